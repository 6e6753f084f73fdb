"""Weights and activations: histograms from a real run, against an independent computation."""

import numpy as np
import pytest
from PySide6.QtWidgets import QWidget

from nnstudio.document import examples
from nnstudio.training.snapshot import prepare
from nnstudio.views.histograms import HistogramsView

TIMEOUT = 60_000
BINS = 30


@pytest.fixture
def view(qtbot):
    widget = HistogramsView()
    widget.resize(900, 320)
    qtbot.addWidget(widget)
    return widget


def fixed_batch_of(job):
    """The fixed batch written out: the training rows left by fit's split ([seed, 1]),
    then 256 of them drawn without replacement from [seed, 7], in row order."""
    seed, n = job.fit_kwargs["seed"], len(job.x)
    n_val = int(round(n * job.fit_kwargs["validation_split"]))
    train = job.x[np.random.default_rng([seed, 1]).permutation(n)[n_val:]]
    pick = np.sort(np.random.default_rng([seed, 7]).choice(len(train), 256, replace=False))
    return train[pick]


def spirals_forward(weights, x):
    """2-16-16-3: tanh, tanh, softmax, in plain NumPy."""
    def dense(a, name):
        return a @ weights[f"{name}.weight"].T + weights[f"{name}.bias"]
    h1 = np.tanh(dense(x, "hidden1"))
    h2 = np.tanh(dense(h1, "hidden2"))
    z = dense(h2, "output")
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return {"hidden1": h1, "hidden2": h2, "output": e / e.sum(axis=1, keepdims=True)}


def run(qtbot, controller, view, epochs, stop_after_updates=None):
    """Train the spirals example; with ``stop_after_updates``, for (nearly) ever until that
    many histograms arrived, then stop (what a run shows while it trains does not depend on
    how fast the machine is)."""
    project = examples.spirals_classifier()
    project.set_training(epochs=epochs)
    job = prepare(project)
    updates = []
    controller.histogramsUpdated.connect(view.set_histograms)
    controller.histogramsUpdated.connect(updates.append)
    if stop_after_updates is None:
        with qtbot.waitSignal(controller.finished, timeout=TIMEOUT) as blocker:
            controller.start(job)
        assert blocker.args[0]["status"] == "completed"
    else:
        controller.start(job)
        qtbot.waitUntil(lambda: len(updates) >= stop_after_updates, timeout=TIMEOUT)
        with qtbot.waitSignal(controller.finished, timeout=TIMEOUT) as blocker:
            controller.stop()
        assert blocker.args[0]["status"] == "stopped"
    return job, blocker.args[0], updates


def test_final_histograms_equal_an_independent_computation(qtbot, view, controller):
    job, result, updates = run(qtbot, controller, view, epochs=20)
    weights = {k: np.asarray(v, dtype=np.float64) for k, v in result["weights"].items()}
    outputs = spirals_forward(weights, fixed_batch_of(job).astype(np.float64))

    final = updates[-1]
    assert final["final"] and view.histograms is final
    assert list(final["layers"]) == ["hidden1", "hidden2", "output"] == view.layers
    assert final["batch_size"] == 256
    for layer in ("hidden1", "hidden2", "output"):
        counts, edges = np.histogram(weights[f"{layer}.weight"], bins=BINS)
        hist = final["layers"][layer]["weights"]
        np.testing.assert_array_equal(hist["counts"], counts)
        np.testing.assert_allclose(hist["edges"], edges, rtol=1e-6)
        assert hist["counts"].sum() == weights[f"{layer}.weight"].size

        values = outputs[layer]
        counts, edges = np.histogram(values, bins=BINS)
        hist = final["layers"][layer]["activations"]
        np.testing.assert_allclose(hist["edges"], edges, rtol=1e-5, atol=1e-6)
        # float32 against float64 forward passes: a value may sit on the other side of an
        # edge, nothing more
        assert np.abs(hist["counts"] - counts).sum() <= 2
        assert hist["counts"].sum() == values.size == 256 * final["layers"][layer]["units"]

    # the plots draw the histograms of the layer picked: edges across, counts up
    view.set_layer("hidden2")
    x, y = view.activations_curve.getData()
    hist = final["layers"]["hidden2"]["activations"]
    np.testing.assert_array_equal(x, hist["edges"])
    np.testing.assert_array_equal(y, hist["counts"])
    x, y = view.weights_curve.getData()
    np.testing.assert_array_equal(y, final["layers"]["hidden2"]["weights"]["counts"])
    assert "hidden2" in view.summary.text() and "256" in view.summary.text()
    # tanh saturates at +-1: every activation of the hidden layers lies within
    assert hist["edges"][0] >= -1 and hist["edges"][-1] <= 1


def test_histograms_update_during_training_and_the_layer_stays_picked(
        qtbot, view, controller):
    picked = []

    def pick_once(_data):  # a person picks a layer once the first histograms are shown
        if view.layers and not picked:
            view.set_layer("output")
            picked.append(len(view.layers))

    controller.histogramsUpdated.connect(pick_once)
    job, result, updates = run(qtbot, controller, view, epochs=100_000, stop_after_updates=2)

    assert len(updates) >= 3 and view.n_updates == len(updates)
    epochs = [u["epoch"] for u in updates]
    assert epochs == sorted(epochs) and epochs[-1] == len(result["history"]["lr"]) - 1
    assert [u["final"] for u in updates].count(True) == 1 and updates[-1]["final"]
    # the weights moved between the first and the last histogram
    first, last = updates[0]["layers"]["hidden1"], updates[-1]["layers"]["hidden1"]
    assert not np.array_equal(first["weights"]["edges"], last["weights"]["edges"])
    assert picked  # picked after the first update, kept through the later ones
    assert view.layer.currentText() == "output"
    assert "Final weights" in view.summary.text()


def test_export_names_and_clear(tmp_path, view):
    view.set_histograms({"layers": {
        "h": {"weights": {"counts": np.array([1, 2]), "edges": np.array([0.0, 0.5, 1.0])},
              "activations": {"counts": np.array([3]), "edges": np.array([-1.0, 1.0])},
              "units": 2},
        "drop": {"weights": None,
                 "activations": {"counts": np.array([4]), "edges": np.array([0.0, 2.0])},
                 "units": 2}}, "batch_size": 2, "epoch": 0, "final": False})
    header, rows = view.export_table()
    assert header == ["layer", "histogram", "from", "to", "count"]
    assert rows == [["h", "weights", "0.0", "0.5", 1], ["h", "weights", "0.5", "1.0", 2],
                    ["h", "activations", "-1.0", "1.0", 3],
                    ["drop", "activations", "0.0", "2.0", 4]]
    view.set_layer("drop")  # a layer without weights says so
    assert view.weights_note.isVisible() or view.weights_note.isVisibleTo(view.weights_plot)
    assert len(view.weights_curve.getData()[0] or []) == 0
    assert view.export_png(tmp_path / "h.png") and (tmp_path / "h.png").stat().st_size > 1000
    for name in ("histogramsWeights", "histogramsActivations", "histogramsLayer",
                 "histogramsSummary"):
        widget = view.findChild(QWidget, name)
        assert widget is not None and widget.accessibleName()
    view.clear()
    assert view.histograms is None and view.layers == []
