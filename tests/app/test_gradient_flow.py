"""Gradient flow view: real runs, a vanishing setup, dead ReLU units counted independently."""

import csv

import numpy as np
import pytest
from PySide6.QtWidgets import QWidget

from nnstudio.document import examples
from nnstudio.document.model import Project, TrainingSettings
from nnstudio.training import probes
from nnstudio.training.worker import DEAD_BATCH
from nnstudio.training.snapshot import prepare
from nnstudio.views.gradient_flow import (EXPLODING, VANISHING, GradientFlowView,
                                          gradient_problems)

TIMEOUT = 60_000


@pytest.fixture
def view(qtbot):
    widget = GradientFlowView()
    widget.resize(760, 480)
    qtbot.addWidget(widget)
    return widget


def train(qtbot, controller, view, job):
    controller.epochsEnded.connect(view.add_epochs)
    seen = []
    controller.epochsEnded.connect(seen.extend)
    with qtbot.waitSignal(controller.finished, timeout=TIMEOUT) as blocker:
        controller.start(job)
    result = blocker.args[0]
    assert result["status"] == "completed", result["message"]
    return result, seen


def deep_sigmoid(n_layers=12, epochs=3) -> Project:
    project = Project()
    project.data = examples.spirals_classifier().data
    layers = [("input", "input", {})]
    layers += [(f"h{i}", "dense", {"units": 16, "activation": "sigmoid"})
               for i in range(1, n_layers + 1)]
    layers += [("output", "dense", {"units": "auto", "activation": "softmax"})]
    examples._chain(project, layers)
    project.training = TrainingSettings(
        loss={"name": "sparse_categorical_crossentropy"},
        optimizer={"name": "sgd", "lr": 0.01}, epochs=epochs, batch_size=32)
    return project


def test_one_curve_per_layer_with_a_point_per_epoch(qtbot, view, controller):
    project = examples.spirals_classifier()
    project.set_training(epochs=15)
    result, seen = train(qtbot, controller, view, prepare(project))

    assert view.n_epochs == 15
    assert set(view.curves) == {"hidden1", "hidden2", "output"}
    for layer, curve in view.curves.items():
        x, y = curve.getData()
        assert len(x) == 15 and list(x) == list(range(1, 16))
        expected = [e["grad_norms"][layer] for e in seen]
        np.testing.assert_allclose(curve.yData, expected, rtol=1e-6)  # drawn on log10
    assert view.plot.getPlotItem().ctrl.logYCheck.isChecked()  # log scale
    assert view.problems == {} and not view.warning.isVisibleTo(view)
    curves = dict(view.curves)
    view.add_epochs([{"epoch": 15, "grad_norms": {"hidden1": 1.0, "hidden2": 1.0,
                                                  "output": 1.0}}])
    assert all(view.curves[k] is curves[k] for k in curves)  # created once


def test_a_deep_sigmoid_stack_raises_the_vanishing_warning(qtbot, view, controller):
    result, seen = train(qtbot, controller, view, prepare(deep_sigmoid()))

    assert view.n_epochs == 3
    assert seen[-1]["grad_norms"]["h1"] < VANISHING
    assert view.problems.get("h1") == "vanishing"
    assert "output" not in view.problems
    assert view.warning.isVisibleTo(view)
    assert "Vanishing" in view.warning.text() and "h1" in view.warning.text()


def test_gradient_problems_thresholds():
    assert gradient_problems({"a": VANISHING / 2, "b": 1.0, "c": EXPLODING * 2,
                              "d": float("nan")}) == {"a": "vanishing", "c": "exploding",
                                                      "d": "exploding"}


def test_dead_relu_counts_equal_an_independent_computation(qtbot, view, controller):
    project = examples.plane_regression()  # 2-8-1 ReLU
    project.set_node_config("hidden1", {"units": 12, "activation": "relu"})
    project.set_training(epochs=5, validation_split=0.25)
    job = prepare(project)
    # kill three units for sure: a bias so negative that no sample switches them on
    weights = job.network.get_weights()
    weights["hidden1.bias"][[0, 4, 7]] = -1e3
    job.network.set_weights(weights)

    result, seen = train(qtbot, controller, view, job)

    # independently: the worker's fixed batch (up to 256 training samples) through W, b
    val, train_rows = probes.validation_indices(len(job.x), 0.25, job.fit_kwargs["seed"])
    x_train = job.x[train_rows]
    batch = x_train[probes.fixed_batch(len(x_train), DEAD_BATCH, job.fit_kwargs["seed"])]
    assert len(batch) == min(DEAD_BATCH, len(x_train))
    w = result["weights"]
    h = np.maximum(batch.astype(np.float64) @ w["hidden1.weight"].T.astype(np.float64)
                   + w["hidden1.bias"], 0)
    dead = int(np.sum(np.all(h == 0, axis=0)))
    assert dead >= 3
    assert seen[-1]["dead_units"] == {"hidden1": (dead, 12)}
    assert view.dead_units == {"hidden1": (dead, 12)}
    table = view.dead_table
    assert table.rowCount() == 1 and table.item(0, 0).text() == "hidden1"
    assert table.item(0, 1).text() == str(dead) and table.item(0, 2).text() == "12"
    assert all("dead_units" in e for e in seen)


def test_export_csv_and_png_and_names(tmp_path, view):
    view.add_epochs([{"epoch": 0, "grad_norms": {"a": 0.5, "b": 2e-7}},
                     {"epoch": 1, "grad_norms": {"a": 0.25, "b": 1e-7},
                      "dead_units": {"a": (1, 8)}}])
    view.export_csv(tmp_path / "g.csv")
    with open(tmp_path / "g.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows == [["epoch", "a", "b"], ["1", "0.5", "2e-07"], ["2", "0.25", "1e-07"]]
    assert view.problems == {"b": "vanishing"}
    assert view.export_png(tmp_path / "g.png") and (tmp_path / "g.png").stat().st_size > 1000
    view.clear()
    assert view.n_epochs == 0 and len(view.curves["a"].getData()[0] or []) == 0
    for name in ("gradientFlowPlot", "gradientFlowWarning", "gradientFlowDeadUnits",
                 "gradientFlowSummary"):
        widget = view.findChild(QWidget, name)
        assert widget is not None and widget.accessibleName()


def test_set_history_shows_a_saved_run(view):
    view.set_history({"grad_norms": [{"h": 1.0}, {"h": 0.5}, {"h": 0.1}]})
    assert view.n_epochs == 3 and len(view.curves["h"].getData()[0]) == 3
