"""The Training panel as a person types into it."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from window_helpers import set_epochs

from nnstudio.document import examples
from nnstudio.editor.commands import SetTraining
from nnstudio.panels.training_panel import TrainingPanel
from nnstudio.session import Session


@pytest.fixture
def panel(qtbot):
    session = Session()
    session.new(examples.spirals_classifier())
    widget = TrainingPanel(session)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def type_into(qtbot, box, text):
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, text)
    qtbot.keyClick(box, Qt.Key.Key_Return)


@pytest.mark.parametrize("text, value", [("0.05", 0.05), ("0.003", 0.003), ("1.5", 1.5)])
def test_a_typed_learning_rate_is_taken_whole(panel, qtbot, text, value):
    type_into(qtbot, panel.lr, text)
    assert panel.session.project.training.optimizer["lr"] == pytest.approx(value)
    assert panel.session.undo_stack.count() == 1  # one step, not one per digit


def test_a_typed_validation_split_is_taken_whole(panel, qtbot):
    type_into(qtbot, panel.split, "0.3")
    assert panel.session.project.training.validation_split == pytest.approx(0.3)


def test_separate_edits_of_one_setting_are_separate_undo_steps(panel, qtbot, monkeypatch):
    monkeypatch.setattr(SetTraining, "MERGE_SECONDS", 0.0)  # as if a person paused between
    type_into(qtbot, panel.epochs, "25")
    type_into(qtbot, panel.epochs, "30")
    stack = panel.session.undo_stack
    assert stack.count() == 2
    stack.undo()
    assert panel.session.project.training.epochs == 25
    assert panel.epochs.value() == 25


def test_arrow_steps_in_quick_succession_are_one_undo_step(panel, qtbot):
    panel.epochs.setFocus()
    for _ in range(5):
        qtbot.keyClick(panel.epochs, Qt.Key.Key_Up)
    assert panel.session.project.training.epochs == 65
    assert panel.session.undo_stack.count() == 1
    panel.session.undo_stack.undo()
    assert panel.session.project.training.epochs == 60


def test_while_a_run_trains_only_the_learning_rate_stays_editable(panel, qtbot):
    panel.set_running(True)
    assert panel.lr.isEnabled() and panel.live_note.isVisible()
    for box in (panel.loss, panel.optimizer, panel.epochs, panel.batch, panel.split,
                panel.seed):
        assert not box.isEnabled(), box.objectName()
    type_into(qtbot, panel.lr, "0.2")
    assert panel.session.project.training.optimizer == {"name": "adam", "lr": 0.2}
    panel.set_running(False)
    assert all(w.isEnabled() for w in (panel.loss, panel.epochs, panel.seed))
    assert not panel.live_note.isVisible()


# -- a learning rate changed during a real run, through the window ---------------------------
TRAIN_TIMEOUT = 60_000  # ms


def step(window, qtbot):
    window.actions_by_name["step"].trigger()
    qtbot.waitUntil(lambda: window.controller.state == "paused", timeout=TRAIN_TIMEOUT)


def replay(run, change_after_epoch=None, lr=None):
    """Train ``run``'s own network, data and settings again with the engine alone, setting
    the learning rate when epoch ``change_after_epoch`` has ended; the final weights."""
    from engine import training
    from nnstudio.training import runs, snapshot

    job = snapshot.prepare(runs.run_project(run))
    control = training.Control()
    for event in training.fit(job.network, job.x, job.y, control=control, **job.fit_kwargs):
        if isinstance(event, training.EpochEnd) and event.epoch == change_after_epoch:
            control.set_lr(lr)
    return job.network.get_weights()


def test_a_learning_rate_set_in_a_paused_run_is_used_from_the_next_epoch(window, qtbot):
    window.findChild(QAction, "action_example_xor-playground").trigger()  # SGD, lr 0.1
    set_epochs(window, qtbot, 4)
    tp = window.training_panel
    type_into(qtbot, tp.batch, "80")  # 320 training samples: 4 iterations per epoch
    assert "4 iterations per epoch" in tp.iterations.text()
    batches = []
    window.controller.batchEnded.connect(lambda *args: batches.append(args))
    for _ in range(6):  # paused after the 2nd batch of the 2nd epoch
        step(window, qtbot)
    assert batches[-1] == (1, 1, 6, 4)  # epoch, batch (from 0), iteration, per epoch

    # structural edits stay locked; the learning rate does not
    assert tp.lr.isEnabled() and tp.live_note.isVisible()
    assert not tp.epochs.isEnabled() and not tp.batch.isEnabled()
    assert not tp.optimizer.isEnabled() and not tp.loss.isEnabled()
    assert not window.inspector.isEnabled() and not window.palette_widget.isEnabled()
    count = window.session.undo_stack.count()
    type_into(qtbot, tp.lr, "0.5")
    assert window.session.project.training.optimizer["lr"] == pytest.approx(0.5)
    assert window.session.undo_stack.count() == count + 1  # an undo step as usual

    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT):
        window.actions_by_name["pause"].trigger()  # resume
    run = window.session.project.runs[-1]
    # epoch 2 was under way at 0.1 when the rate changed: it counts from epoch 3
    assert run.history["lr"] == pytest.approx([0.1, 0.1, 0.5, 0.5])
    assert run.status == "completed"

    # the optimizer took it: the engine alone, told the same at the same moment, ends
    # with the very same weights; without the change it ends elsewhere
    changed = replay(run, change_after_epoch=1, lr=0.5)
    for name, value in run.weights.items():
        np.testing.assert_array_equal(value, changed[name])
    unchanged = replay(run)
    assert any(not np.array_equal(run.weights[n], unchanged[n]) for n in run.weights)
    assert tp.epochs.isEnabled() and not tp.live_note.isVisible()


def test_changing_the_loss_keeps_the_class_weights_where_the_new_loss_takes_them(panel):
    project = panel.session.project
    project.set_training(loss={"name": "sparse_categorical_crossentropy",
                               "weight": "balanced"})
    panel.loss.setCurrentText("categorical_crossentropy")
    assert project.training.loss == {"name": "categorical_crossentropy",
                                     "weight": "balanced"}
    panel.loss.setCurrentText("mse")  # a regression loss has no class weights
    assert project.training.loss == {"name": "mse"}
