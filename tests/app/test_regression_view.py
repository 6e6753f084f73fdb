"""The regression view: real regression runs, checked against an independent computation."""

import dataclasses

import numpy as np
import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from engine import network as network_module
from engine.data.dataset import Dataset
from nnstudio.document import examples
from nnstudio.document.model import DataSource
from nnstudio.training.snapshot import prepare
from nnstudio.views.regression import RegressionView, fit_figures

TIMEOUT = 60_000


@pytest.fixture
def view(qtbot):
    widget = RegressionView()
    widget.resize(900, 320)
    qtbot.addWidget(widget)
    return widget


def diabetes_project(epochs=30):
    """The built-in diabetes table: 10 features, one value to predict."""
    project = examples.plane_regression()
    project.data = DataSource("builtin", {"name": "diabetes"})
    project.set_training(epochs=epochs, validation_split=0.25, seed=3)
    return project


def validation_rows(n: int, fraction: float, seed: int) -> np.ndarray:
    """fit's seeded split, written out: the first round(n * fraction) of a permutation."""
    return np.random.default_rng([seed, 1]).permutation(n)[:int(round(n * fraction))]


def final_predictions(job, result, rows):
    """A fresh network with the run's final weights, predicting the given rows."""
    net = network_module.build(job.spec, job.n_features, job.n_outputs, initialize=False)
    net.set_weights(result["weights"])
    return net.predict(job.x[rows]).astype(np.float64)


def run(qtbot, controller, view, job):
    view.set_job(job)
    updates = []
    controller.regressionUpdated.connect(view.set_result)
    controller.regressionUpdated.connect(updates.append)
    with qtbot.waitSignal(controller.finished, timeout=TIMEOUT) as blocker:
        controller.start(job)
    assert blocker.args[0]["status"] == "completed"
    return blocker.args[0], updates


def test_the_scatter_holds_the_validation_rows_of_diabetes_with_the_final_weights(
        qtbot, view, controller):
    job = prepare(diabetes_project())
    result, updates = run(qtbot, controller, view, job)

    rows = validation_rows(len(job.x), 0.25, 3)
    actual = job.dataset.y[rows].reshape(len(rows), -1)[:, 0].astype(np.float64)
    predicted = final_predictions(job, result, rows)[:, 0]
    assert len(rows) == 110 and view.applies

    shown_actual, shown_predicted = view.scatter_data()
    np.testing.assert_array_equal(shown_actual, actual)
    np.testing.assert_allclose(shown_predicted, predicted, rtol=1e-6, atol=1e-6)
    # what pyqtgraph draws: the same points, and the residuals against the predictions
    xs, ys = view.points.getData()
    np.testing.assert_array_equal(xs, actual)
    np.testing.assert_allclose(ys, predicted, rtol=1e-6, atol=1e-6)
    rx, ry = view.residual_points.getData()
    np.testing.assert_allclose(rx, predicted, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ry, actual - predicted, rtol=1e-6, atol=1e-5)
    # the identity line spans every point, the residuals' zero line is at 0
    lx, ly = view.identity.getData()
    np.testing.assert_array_equal(lx, ly)
    assert lx[0] < min(actual.min(), predicted.min()) and lx[-1] > max(actual.max(),
                                                                        predicted.max())
    assert view.zero_line.value() == 0 and view.zero_line.angle == 0
    assert updates[-1]["final"] and [u["final"] for u in updates].count(True) == 1
    assert list(updates[-1]["indices"]) == list(rows)
    # the summary's figures are those of these numbers
    figures = fit_figures(actual, predicted)
    shown = view.summary.text().split("R\u00b2\u00a0")[1]
    assert float(shown) == pytest.approx(figures["r2"], rel=1e-3, abs=1e-4)
    assert "Final\u00a0weights" in view.summary.text()


def test_the_view_updates_during_training_and_ends_with_the_final_state(
        qtbot, view, controller):
    project = examples.plane_regression()
    project.set_training(epochs=100_000)  # trains until stopped, whatever the machine's speed
    job = prepare(project)
    view.set_job(job)
    updates = []
    controller.regressionUpdated.connect(view.set_result)
    controller.regressionUpdated.connect(updates.append)
    controller.start(job)
    qtbot.waitUntil(lambda: len(updates) >= 2, timeout=TIMEOUT)  # throttled updates
    with qtbot.waitSignal(controller.finished, timeout=TIMEOUT) as blocker:
        controller.stop()
    assert blocker.args[0]["status"] == "stopped"
    last_epoch = len(blocker.args[0]["history"]["lr"]) - 1

    assert len(updates) >= 3 and view.n_updates == len(updates)
    epochs = [u["epoch"] for u in updates]
    assert epochs == sorted(epochs) and epochs[-1] == last_epoch
    assert [u["final"] for u in updates] == [False] * (len(updates) - 1) + [True]
    assert view.result is updates[-1]
    # an earlier update came from earlier weights
    assert not np.array_equal(updates[0]["y_pred"], updates[-1]["y_pred"])
    np.testing.assert_allclose(view.scatter_data()[1], job.network.predict(
        job.x[updates[-1]["indices"]])[:, 0], rtol=1e-6)


def test_several_outputs_are_picked_one_at_a_time(qtbot, view, controller):
    base = prepare(examples.plane_regression())
    x = base.dataset.x
    y = np.column_stack([base.dataset.y[:, 0], 2 * x[:, 0] - x[:, 1]]).astype(np.float32)
    dataset = Dataset("two targets", x, y, "regression", base.dataset.feature_names, None,
                      ["height", "slope"])
    net = network_module.build(base.spec, 2, 2, seed=0)
    job = dataclasses.replace(base, dataset=dataset, y=y, network=net, n_outputs=2,
                              fit_kwargs={**base.fit_kwargs, "epochs": 20})
    result, _ = run(qtbot, controller, view, job)

    assert view.output.isVisibleTo(view) and view.output.count() == 2
    assert view.output.itemText(1) == "slope"
    rows = validation_rows(len(x), 0.2, 0)
    predicted = final_predictions(job, result, rows)
    np.testing.assert_array_equal(view.scatter_data()[0], y[rows, 0])
    np.testing.assert_allclose(view.scatter_data()[1], predicted[:, 0], rtol=1e-6)
    view.output.setCurrentIndex(1)
    np.testing.assert_array_equal(view.scatter_data()[0], y[rows, 1])
    np.testing.assert_allclose(view.points.getData()[1], predicted[:, 1], rtol=1e-6)
    assert "slope" in view.summary.text()
    header, table = view.export_table()
    assert header[:4] == ["row", "height actual", "height predicted", "height residual"]
    assert len(table) == len(rows) and table[0][0] == int(rows[0])
    assert float(table[0][4]) == pytest.approx(float(y[rows[0], 1]))


def test_a_classification_run_says_the_view_is_for_regression(qtbot, view, controller):
    job = prepare(examples.xor_playground())
    job.fit_kwargs["epochs"] = 3
    updates = []
    controller.regressionUpdated.connect(updates.append)
    view.set_job(job)
    with qtbot.waitSignal(controller.finished, timeout=TIMEOUT):
        controller.start(job)
    assert updates == []  # nothing computed for a classification
    assert not view.applies
    assert view.note.isVisibleTo(view) and "regression" in view.note.text()
    assert not view.scatter_plot.isVisibleTo(view)
    assert not view.output.isVisibleTo(view)


def test_names_and_png(tmp_path, view):
    view.set_task(False, ["y"])
    view.set_result({"split": "validation", "y_true": np.array([[0.0], [1.0], [2.0]]),
                     "y_pred": np.array([[0.5], [1.0], [1.0]]), "epoch": 4, "final": False,
                     "indices": np.array([7, 3, 9])})
    assert "Epoch\u00a05" in view.summary.text()
    header, rows = view.export_table()
    assert rows == [[7, "0.0", "0.5", "-0.5"], [3, "1.0", "1.0", "0.0"],
                    [9, "2.0", "1.0", "1.0"]]
    assert view.export_png(tmp_path / "r.png") and (tmp_path / "r.png").stat().st_size > 1000
    for name in ("regressionScatter", "regressionResiduals", "regressionOutput",
                 "regressionSummary", "regressionNote"):
        widget = view.findChild(QWidget, name)
        assert widget is not None and widget.accessibleName()
    view.clear()
    assert view.result is None and len(view.points.data) == 0


def test_through_the_window_the_view_shows_the_finished_run(qtbot, window):
    window.findChild(QAction, "action_example_plane-regression").trigger()
    with qtbot.waitSignal(window.controller.finished, timeout=TIMEOUT) as blocker:
        window.actions_by_name["train"].trigger()
    assert blocker.args[0]["status"] == "completed"
    view = window.regression_view
    assert window.regression_dock.widget() is view and view.applies
    job = window.controller.job
    run = window.session.project.runs[-1]
    rows = validation_rows(len(job.x), job.fit_kwargs["validation_split"],
                           job.fit_kwargs["seed"])
    predicted = final_predictions(job, {"weights": run.weights}, rows)[:, 0]
    np.testing.assert_array_equal(view.scatter_data()[0], job.dataset.y[rows, 0])
    np.testing.assert_allclose(view.scatter_data()[1], predicted, rtol=1e-6, atol=1e-6)
    assert view.result["final"] and window.regression_dock in window.docks()

    # a classification project next: the view says it is for regression
    window.person.always["save_changes"] = "discard"
    window.findChild(QAction, "action_example_xor-playground").trigger()
    with qtbot.waitSignal(window.controller.finished, timeout=TIMEOUT):
        window.actions_by_name["train"].trigger()
    assert not view.applies and view.note.isVisibleTo(view) and view.result is None
