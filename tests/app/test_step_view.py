"""Step mode: Train > Step through the real window, against a forward and backward pass
written out in NumPy with the weights before the step."""

import numpy as np
import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from engine import network as network_module
from engine import training
from nnstudio.document import examples
from nnstudio.training import probes
from nnstudio.training.snapshot import prepare
from nnstudio.views.step_view import COLUMNS, HeatStrip, StepView

TIMEOUT = 30_000
LAYERS = ("hidden1", "hidden2", "output")


def first_batch(job):
    """fit's first batch written out: the training rows left by the split ([seed, 1]),
    shuffled by the permutation of [seed, 2], the first batch_size of them."""
    kw = job.fit_kwargs
    seed, n = kw["seed"], len(job.x)
    n_val = int(round(n * kw["validation_split"]))
    train = np.random.default_rng([seed, 1]).permutation(n)[n_val:]
    order = np.random.default_rng([seed, 2]).permutation(len(train))
    rows = train[order[:kw["batch_size"]]]
    return job.x[rows], job.y[rows]


def spirals_step(weights, x, y):
    """2-16-16-3 tanh / tanh / softmax with sparse categorical cross-entropy (mean over the
    batch): the activations of every layer and the gradient of every parameter."""
    w = {k: np.asarray(v, dtype=np.float64) for k, v in weights.items()}
    x = x.astype(np.float64)
    h1 = np.tanh(x @ w["hidden1.weight"].T + w["hidden1.bias"])
    h2 = np.tanh(h1 @ w["hidden2.weight"].T + w["hidden2.bias"])
    z = h2 @ w["output.weight"].T + w["output.bias"]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    dz3 = p.copy()
    dz3[np.arange(len(y)), y] -= 1
    dz3 /= len(y)
    dz2 = (dz3 @ w["output.weight"]) * (1 - h2 ** 2)
    dz1 = (dz2 @ w["hidden2.weight"]) * (1 - h1 ** 2)
    grads = {}
    for name, dz, a in (("output", dz3, h2), ("hidden2", dz2, h1), ("hidden1", dz1, x)):
        grads[name] = (dz.T @ a, dz.sum(axis=0))
    return {"hidden1": h1, "hidden2": h2, "output": p}, grads


def open_example(window, name):
    """File > Open Example > name, as a person picks it."""
    window.findChild(QAction, f"action_example_{name}").trigger()


def step_and_wait(qtbot, window):
    with qtbot.waitSignal(window.controller.stepped, timeout=TIMEOUT):
        window.actions_by_name["step"].trigger()
    qtbot.waitUntil(lambda: window.controller.state == "paused", timeout=TIMEOUT)
    return window.step_view.step


def test_one_step_shows_each_layer_forward_and_backward_of_that_batch(qtbot, window):
    open_example(window, "spirals-classifier")
    before = prepare(window.session.project)  # the same seed: the weights the run starts from
    initial = before.network.get_weights()
    xb, yb = first_batch(before)

    step = step_and_wait(qtbot, window)

    view = window.step_view
    assert window.step_dock.widget() is view and not window.step_dock.visibleRegion().isNull()
    assert view.table.rowCount() == len(LAYERS) == len(step["layers"])
    assert [view.table.item(r, 0).text().split(" ")[0] for r in range(3)] == list(LAYERS)
    np.testing.assert_array_equal(step["inputs"], xb)  # the very batch fit trained on
    assert (step["epoch"], step["batch"], step["iteration"], step["batch_size"]) == (
        0, 0, 1, 32)

    outputs, grads = spirals_step(initial, xb, yb)
    for r, (name, entry) in enumerate(zip(LAYERS, step["layers"])):
        a = outputs[name]
        dw, db = grads[name]
        assert entry["id"] == name and entry["units"] == a.shape[1]
        assert entry["mean"] == pytest.approx(a.mean(), rel=1e-4, abs=1e-6)
        assert entry["std"] == pytest.approx(a.std(), rel=1e-4)
        np.testing.assert_allclose(entry["unit_mean"], a.mean(axis=0), rtol=1e-4, atol=1e-6)
        norm = np.sqrt((dw ** 2).sum() + (db ** 2).sum())
        assert entry["grad_norm"] == pytest.approx(norm, rel=1e-4)
        per_unit = np.sqrt((dw ** 2).sum(axis=1) + db ** 2)
        np.testing.assert_allclose(entry["unit_grad"], per_unit, rtol=1e-4)
        # the table shows the same numbers, the strips one cell per unit
        assert float(view.table.item(r, COLUMNS.index("mean")).text()) == pytest.approx(
            a.mean(), rel=1e-3, abs=1e-5)
        assert float(view.table.item(r, COLUMNS.index("gradient")).text()) == pytest.approx(
            norm, rel=1e-3)
        strip = view.table.cellWidget(r, COLUMNS.index("activations"))
        assert isinstance(strip, HeatStrip) and strip.values.size == a.shape[1]
        assert view.table.cellWidget(r, COLUMNS.index("unit_gradients")).values.size == \
            a.shape[1]
    assert "iteration 1" in view.summary.text()
    assert "Feedforward" in view.legend.text() and "Backpropagation" in view.legend.text()
    # the glossary's own words are one hover away
    assert "layer after layer" in view.legend.toolTip()

    # a second step: the next batch, with the weights the first step left; the tab the
    # person went to meanwhile stays in front
    window.boundary_dock.raise_()
    weights = window.controller.job.network.get_weights()
    second = step_and_wait(qtbot, window)
    assert second is not step and second["iteration"] == 2 and view.step is second
    assert window.step_dock.visibleRegion().isNull()
    x2 = second["inputs"]
    kw = before.fit_kwargs
    n_val = int(round(len(before.x) * kw["validation_split"]))
    train = np.random.default_rng([kw["seed"], 1]).permutation(len(before.x))[n_val:]
    order = np.random.default_rng([kw["seed"], 2]).permutation(len(train))
    rows = train[order[32:64]]
    np.testing.assert_array_equal(x2, before.x[rows])
    outputs, grads = spirals_step(weights, x2, before.y[rows])
    assert second["layers"][0]["grad_norm"] == pytest.approx(
        np.sqrt(sum((g ** 2).sum() for g in grads["hidden1"])), rel=1e-4)
    assert "iteration 2" in view.summary.text()


def test_a_layer_without_weights_shows_activations_only(qtbot):
    spec = {"nodes": [{"id": "input", "type": "input", "config": {}},
                      {"id": "h", "type": "dense", "config": {"units": 4,
                                                             "activation": "relu"}},
                      {"id": "act", "type": "activation", "config": {"activation": "tanh"}},
                      {"id": "out", "type": "dense", "config": {"units": 1,
                                                               "activation": "linear"}}],
            "edges": [["input", "h"], ["h", "act"], ["act", "out"]]}
    net = network_module.build(spec, 3, 1, seed=0)
    x = np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32)
    net.loss_and_gradients(x, x[:, :1], "mse")
    state = probes.step_state(net)
    view = StepView()
    qtbot.addWidget(view)
    view.resize(900, 300)
    view.set_step({**state, "epoch": 0, "batch": 0, "iteration": 1, "batch_size": 8,
                   "clipped": True})
    assert [e["id"] for e in state["layers"]] == ["h", "act", "out"]
    assert state["layers"][1]["grad_norm"] is None and state["layers"][1]["unit_grad"] is None
    assert view.table.item(1, COLUMNS.index("gradient")).text() == "\u2014"
    assert view.table.item(1, COLUMNS.index("unit_gradients")).text() == "no weights"
    assert "after clipping" in view.summary.text()
    header, rows = view.export_table()
    assert header[0] == "layer" and [r[0] for r in rows] == ["h", "act", "out"]
    assert rows[1][4] == ""
    for name in ("stepTable", "stepSummary", "stepLegend"):
        widget = view.findChild(QWidget, name)
        assert widget is not None and widget.accessibleName()
    view.clear()
    assert view.step is None and view.table.rowCount() == 0


def test_the_gradients_are_the_backward_pass_not_the_optimizers_update(qtbot, controller):
    project = examples.spirals_classifier()
    # weight decay and Nesterov momentum are added into the gradient buffer by the step
    project.set_training(optimizer={"name": "sgd", "lr": 0.1, "momentum": 0.9,
                                    "nesterov": True, "weight_decay": 0.05})
    job = prepare(project)
    initial = job.network.get_weights()
    xb, yb = first_batch(job)
    steps = []
    controller.stepped.connect(steps.append)
    with qtbot.waitSignal(controller.stepped, timeout=TIMEOUT):
        controller.step(job)
    _, grads = spirals_step(initial, xb, yb)
    for entry in steps[0]["layers"]:
        dw, db = grads[entry["id"]]
        assert entry["grad_norm"] == pytest.approx(
            np.sqrt((dw ** 2).sum() + (db ** 2).sum()), rel=1e-4)
    # while the buffer the optimizer leaves holds something else: the same first batch
    # trained here, in this thread, by the engine alone
    qtbot.waitUntil(lambda: controller.state == "paused", timeout=TIMEOUT)
    alone = prepare(project)
    events = training.fit(alone.network, alone.x, alone.y, **alone.fit_kwargs)
    next(e for e in events if isinstance(e, training.BatchEnd))
    after = probes.step_state(alone.network)
    dw, db = grads["hidden1"]
    assert after["layers"][0]["grad_norm"] != pytest.approx(
        np.sqrt((dw ** 2).sum() + (db ** 2).sum()), rel=1e-3)
