"""Switching between a classification and a regression dataset through the real window:
the loss, the metrics and the output activation follow the data in the same undo step, and
the Training panel's metrics list offers only the metrics that fit the loss."""

import copy

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from window_helpers import set_epochs

from engine import spec as spec_check

TRAIN_TIMEOUT = 60_000  # ms


def choose(panel, kind, name):
    index = panel.dataset.findData(f"{kind}:{name}")
    assert index >= 0, f"{kind}:{name} is not offered"
    panel.dataset.setCurrentIndex(index)


def metric_items(window) -> dict:
    """The metrics list as a person sees it: name -> ticked."""
    box = window.training_panel.metrics
    return {box.item(i).text(): box.item(i).checkState() == Qt.CheckState.Checked
            for i in range(box.count())}


def click_metric(window, qtbot, name):
    """Tick or untick a metric with the mouse, on its check box."""
    box = window.training_panel.metrics
    item = next(box.item(i) for i in range(box.count()) if box.item(i).text() == name)
    rect = box.visualItemRect(item)
    # the check indicator sits at the item's left edge, vertically centred
    point = rect.topLeft() + type(rect.topLeft())(8, rect.height() // 2)
    qtbot.mouseClick(box.viewport(), Qt.MouseButton.LeftButton, pos=point)


@pytest.fixture
def spirals(window, qtbot):
    window.findChild(QAction, "action_example_spirals-classifier").trigger()
    return window


def state(project):
    return (project.data.to_dict(), project.training.to_dict(),
            copy.deepcopy(project.nodes["output"].config))


def test_diabetes_after_spirals_trains_a_regression_run_and_undo_restores_it(spirals, qtbot):
    window = spirals
    project = window.session.project
    before = state(project)
    assert metric_items(window) == {"accuracy": True, "precision": False, "recall": False,
                                    "f1": False}
    count = window.session.undo_stack.index()

    choose(window.data_panel, "builtin", "diabetes")
    assert window.session.undo_stack.index() == count + 1  # one step for all of it
    assert project.data.config == {"name": "diabetes"}
    assert project.training.loss == {"name": "mse"}
    assert project.training.metrics == ["mae"]
    assert project.nodes["output"].config["activation"] == "linear"
    assert window.training_panel.loss.currentText() == "mse"
    assert metric_items(window) == {"mae": True, "mse": False, "rmse": False, "r2": False}
    # no problem at all: the data is known to be a regression, so its whole-number
    # targets (diabetes progression 25..346) are not taken for class labels
    assert window.validate() == []
    assert window.problems_panel.isEnabled() and window.problem_label.text() == ""

    after_data = window.session.undo_stack.index()
    set_epochs(window, qtbot, 3)
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT) as blocker:
        window.actions_by_name["train"].trigger()
    assert blocker.args[0]["status"] == "completed"
    run = project.runs[-1]
    assert run.status == "completed"
    train, validation = run.history["train"], run.history["validation"]
    assert set(train) == {"loss", "mae"} and set(validation) == {"val_loss", "val_mae"}
    assert len(train["mae"]) == 3 and len(validation["val_mae"]) == 3
    # mae of a progression score (25..346) from an untrained start: tens, and it falls
    assert all(v > 1 for v in train["mae"]) and train["mae"][-1] < train["mae"][0]
    assert window.person.errors == []

    # undo the epochs edit, then the data change: the classification setup, exactly
    stack = window.session.undo_stack
    stack.setIndex(after_data)
    assert project.training.epochs == before[1]["epochs"]
    stack.undo()
    assert stack.index() == count
    assert state(project) == before
    assert window.training_panel.loss.currentText() == "sparse_categorical_crossentropy"
    assert metric_items(window)["accuracy"] is True
    stack.redo()
    assert project.training.loss == {"name": "mse"} and project.training.metrics == ["mae"]


def test_a_dataset_of_the_same_task_leaves_the_training_setup_alone(spirals, qtbot):
    window = spirals
    project = window.session.project
    window.training_panel.loss.setCurrentText("categorical_crossentropy")
    training = project.training.to_dict()
    choose(window.data_panel, "builtin", "iris")
    assert project.training.to_dict() == training
    assert project.nodes["output"].config["activation"] == "softmax"


def test_back_from_regression_to_classification_sets_cross_entropy_and_softmax(spirals, qtbot):
    window = spirals
    project = window.session.project
    choose(window.data_panel, "builtin", "diabetes")
    click_metric(window, qtbot, "r2")
    assert project.training.metrics == ["mae", "r2"]
    choose(window.data_panel, "builtin", "wine")
    assert project.training.loss == {"name": "sparse_categorical_crossentropy"}
    assert project.training.metrics == ["accuracy"]
    assert project.nodes["output"].config["activation"] == "softmax"
    assert spec_check.errors(window.validate()) == []


def test_the_metrics_list_offers_fitting_metrics_and_each_tick_is_an_undo_step(spirals, qtbot):
    window = spirals
    project = window.session.project
    stack = window.session.undo_stack
    count = stack.count()
    click_metric(window, qtbot, "f1")
    click_metric(window, qtbot, "precision")  # at once: still a step of its own
    assert project.training.metrics == ["accuracy", "f1", "precision"]
    assert stack.count() == count + 2
    click_metric(window, qtbot, "accuracy")
    assert project.training.metrics == ["f1", "precision"]
    assert metric_items(window) == {"accuracy": False, "precision": True, "recall": False,
                                    "f1": True}
    stack.undo()
    assert project.training.metrics == ["accuracy", "f1", "precision"]
    assert metric_items(window)["accuracy"] is True
    stack.undo()
    assert project.training.metrics == ["accuracy", "f1"]
    assert metric_items(window)["precision"] is False

    # a regression loss: the classification metrics go, mae takes their place, in the
    # loss's own undo step; the list now offers the regression metrics
    steps = stack.index()
    window.training_panel.loss.setCurrentText("mae")
    assert stack.index() == steps + 1
    assert project.training.loss == {"name": "mae"}
    assert project.training.metrics == ["mae"]
    assert metric_items(window) == {"mae": True, "mse": False, "rmse": False, "r2": False}
    stack.undo()
    assert project.training.loss == {"name": "sparse_categorical_crossentropy"}
    assert project.training.metrics == ["accuracy", "f1"]
    assert list(metric_items(window)) == ["accuracy", "precision", "recall", "f1"]


def test_the_metrics_list_is_locked_while_a_run_trains(spirals, qtbot):
    panel = spirals.training_panel
    assert panel.metrics.isEnabled()
    panel.set_running(True)
    assert not panel.metrics.isEnabled()
    panel.set_running(False)
    assert panel.metrics.isEnabled()


def test_a_classification_loss_on_regression_targets_says_what_to_use(spirals, qtbot):
    window = spirals
    choose(window.data_panel, "builtin", "diabetes")
    window.training_panel.loss.setCurrentText("sparse_categorical_crossentropy")
    assert window.session.project.training.metrics == ["accuracy"]
    messages = [str(p) for p in spec_check.errors(window.validate())]
    # diabetes progression runs 25..346: the units' message offers the regression way out
    assert any("values to predict (regression)" in m and "mse" in m for m in messages), \
        messages
    assert not any("up to class" in m for m in messages)
