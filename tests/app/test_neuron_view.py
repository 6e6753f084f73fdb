"""The neuron view: a circle per neuron, a line per weight, coloured by sign; wide layers as
blocks; re-colouring in place; a project and its last run; the panel that follows a session."""

import time

import numpy as np
import pytest
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsLineItem

from engine import network
from nnstudio.document import examples
from nnstudio.document.model import Node, Run
from nnstudio.editor.commands import AddNode, AddRun, Connect, Disconnect, SetNodeConfig
from nnstudio.session import Session
from nnstudio.views.neuron_view import (MAX_UNITS, MAX_WEIGHT_LINES, NEGATIVE_COLOR,
                                        NEUTRAL_COLOR, POSITIVE_COLOR, NeuronPanel,
                                        NeuronView, network_from_project)

MLP = [("input", 2, "input"), ("hidden1", 8), ("hidden2", 8), ("output", 1)]
MLP_EDGES = [("input", "hidden1"), ("hidden1", "hidden2"), ("hidden2", "output")]


def mlp_weights(seed=0):
    rng = np.random.default_rng(seed)
    return {"hidden1.weight": rng.normal(size=(8, 2)), "hidden1.bias": rng.normal(size=8),
            "hidden2.weight": rng.normal(size=(8, 8)), "hidden2.bias": rng.normal(size=8),
            "output.weight": rng.normal(size=(1, 8)), "output.bias": rng.normal(size=1)}


@pytest.fixture
def view(qtbot):
    widget = NeuronView()
    widget.resize(800, 500)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def items_of(view, cls):
    return [i for i in view.scene().items() if type(i) is cls]


def same_rgb(a, b):
    return (a.red(), a.green(), a.blue()) == (b.red(), b.green(), b.blue())


def test_scene_belongs_to_the_view(view):
    assert view.scene().parent() is view


def test_small_mlp_draws_every_neuron_and_weight(view):
    view.set_network(MLP, MLP_EDGES, mlp_weights())
    assert len(items_of(view, QGraphicsEllipseItem)) == 2 + 8 + 8 + 1 == 19
    assert len(items_of(view, QGraphicsLineItem)) == 2 * 8 + 8 * 8 + 8 * 1
    counts = view.counts()
    assert counts["neurons"] == 19 and counts["weight_lines"] == 88
    assert counts["blocks"] == counts["summary_lines"] == counts["connectors"] == 0
    # columns left to right in the order data flows
    xs = [view.groups[n].x for n, *_ in MLP]
    assert xs == sorted(xs) and len(set(xs)) == 4


def test_colour_follows_sign_and_thickness_follows_magnitude(view):
    weights = mlp_weights()
    view.set_network(MLP, MLP_EDGES, weights)
    largest = max(float(np.abs(weights[g.param]).max()) for g in view.line_groups)
    for group in view.line_groups:
        w = weights[group.param]
        assert group.kind == "full" and len(group.items) == w.size
        j, i = group.items[-1].data(0)
        assert view.tooltip_for(group.items[-1]) == \
            f"{group.src}[{i}] \u2192 {group.dst}[{j}]: w = {w[j, i]:.4g}"
        for item in group.items:
            j, i = item.data(0)
            pen = item.pen()
            expected = POSITIVE_COLOR if w[j, i] >= 0 else NEGATIVE_COLOR
            assert same_rgb(pen.color(), expected)
            share = abs(w[j, i]) / largest
            assert pen.widthF() == pytest.approx(0.4 + 4.6 * share, abs=0.011)
            assert pen.color().alpha() == round(25 + 230 * share)


def test_update_weights_recolours_without_recreating_items(view):
    weights = mlp_weights()
    view.set_network(MLP, MLP_EDGES, weights)
    before = list(view.scene().items())
    lines = [item for g in view.line_groups for item in g.items]
    neurons = [n for g in view.groups.values() for n in g.neurons]
    flipped = {k: -v for k, v in weights.items()}
    view.update_weights(flipped)
    assert list(view.scene().items()) == before
    assert [item for g in view.line_groups for item in g.items] == lines
    assert [n for g in view.groups.values() for n in g.neurons] == neurons
    for group in view.line_groups:
        for item in group.items:
            j, i = item.data(0)
            expected = POSITIVE_COLOR if flipped[group.param][j, i] >= 0 else NEGATIVE_COLOR
            assert same_rgb(item.pen().color(), expected)


def test_biases_tint_the_neurons(view):
    weights = mlp_weights()
    view.set_network(MLP, MLP_EDGES, weights)
    h1 = view.groups["hidden1"]
    for i, item in enumerate(h1.neurons):
        colour = item.brush().color()
        positive = weights["hidden1.bias"][i] >= 0
        # blue has more blue than red, orange more red than blue
        assert (colour.blue() > colour.red()) == positive
        assert f"bias {weights['hidden1.bias'][i]:.4g}" in view.tooltip_for(item)


def test_without_weights_the_lines_are_grey(view):
    view.set_network(MLP, MLP_EDGES, None)
    assert view.counts()["weight_lines"] == 88
    for group in view.line_groups:
        for item in group.items:
            assert same_rgb(item.pen().color(), NEUTRAL_COLOR)
    assert "no weights" in view.tooltip_for(view.line_groups[0].items[0])


def test_weights_of_the_wrong_shape_are_ignored(view):
    weights = mlp_weights()
    weights["hidden2.weight"] = np.ones((3, 3))
    view.set_network(MLP, MLP_EDGES, weights)
    h2 = next(g for g in view.line_groups if g.dst == "hidden2")
    assert all(same_rgb(i.pen().color(), NEUTRAL_COLOR) for i in h2.items)


def test_wide_network_draws_blocks_fast_and_bounded(view):
    rng = np.random.default_rng(1)
    layers = [("input", 784, "input"), ("h1", 256), ("h2", 128), ("out", 10)]
    edges = [("input", "h1"), ("h1", "h2"), ("h2", "out")]
    weights = {"h1.weight": rng.normal(size=(256, 784)), "h2.weight": rng.normal(size=(128, 256)),
               "out.weight": rng.normal(size=(10, 128))}
    start = time.perf_counter()
    view.set_network(layers, edges, weights)
    view.grab()  # drawing included
    elapsed = time.perf_counter() - start
    assert elapsed < 0.5
    counts = view.counts()
    assert counts["blocks"] == 3 and counts["neurons"] == 10
    assert counts["weight_lines"] == 0
    assert counts["summary_lines"] == 1 + 1 + 10  # block-block bands, one line per output
    assert counts["items"] < 100
    texts = [i.text() for i in view.scene().items() if hasattr(i, "text")]
    assert "\u2026 784 units" in texts and "\u2026 256 units" in texts
    # the summary lines follow the weights too, in place
    out = next(g for g in view.line_groups if g.dst == "out")
    assert out.kind == "rows"
    for item, row in zip(out.items, weights["out.weight"]):
        expected = POSITIVE_COLOR if row.mean() >= 0 else NEGATIVE_COLOR
        assert same_rgb(item.pen().color(), expected)
    row0 = weights["out.weight"][0]
    assert view.tooltip_for(out.items[0]) == (
        f"h2 \u2192 out[0]: mean w = {row0.mean():.3g}, rms {np.sqrt((row0 ** 2).mean()):.3g}")
    band = next(g for g in view.line_groups if g.dst == "h1")
    assert band.kind == "all" and "784\u00d7256" in view.tooltip_for(band.items[0])
    view.update_weights({k: -v for k, v in weights.items()})
    for item, row in zip(out.items, weights["out.weight"]):
        expected = NEGATIVE_COLOR if row.mean() >= 0 else POSITIVE_COLOR
        assert same_rgb(item.pen().color(), expected)
    assert view.counts() == counts


def test_exactly_max_units_is_still_drawn_neuron_by_neuron(view):
    layers = [("in", MAX_UNITS, "input"), ("d", MAX_UNITS + 1)]
    view.set_network(layers, [("in", "d")])
    assert view.counts()["neurons"] == MAX_UNITS and view.counts()["blocks"] == 1


def test_a_deep_wide_network_stays_within_the_line_budget(view):
    layers = [("in", 32, "input")] + [(f"d{k}", 32) for k in range(40)]
    edges = [("in", "d0")] + [(f"d{k}", f"d{k + 1}") for k in range(39)]
    start = time.perf_counter()
    view.set_network(layers, edges)
    assert time.perf_counter() - start < 1.0
    counts = view.counts()
    assert counts["weight_lines"] <= MAX_WEIGHT_LINES
    assert counts["neurons"] == 32 * 41
    assert counts["summary_lines"] > 0  # the rest summarized per neuron


def test_skip_connections(view):
    rng = np.random.default_rng(2)
    layers = [("in", 4, "input"), ("d1", 6, "dense"), ("drop", 6, "dropout"),
              ("d2", 6, "dense"), ("sum", 6, "add"), ("cat", 12, "concatenate"),
              ("out", 3, "dense")]
    edges = [("in", "d1"), ("d1", "drop"), ("drop", "d2"), ("d1", "sum"), ("d2", "sum"),
             ("sum", "cat"), ("d2", "cat"), ("cat", "out")]
    weights = {"d1.weight": rng.normal(size=(6, 4)), "d2.weight": rng.normal(size=(6, 6)),
               "out.weight": rng.normal(size=(3, 12))}
    view.set_network(layers, edges, weights)
    counts = view.counts()
    assert counts["neurons"] == 4 + 6 + 6 + 6 + 6 + 12 + 3  # merge layers drawn too
    # weight lines into dense layers only, each from its own input layer
    assert {(g.src, g.dst) for g in view.line_groups} == {("in", "d1"), ("drop", "d2"),
                                                          ("cat", "out")}
    assert counts["weight_lines"] == 4 * 6 + 6 * 6 + 12 * 3
    # unit-to-unit connectors: d1->drop, d1->sum, d2->sum, sum->cat, d2->cat
    assert counts["connectors"] == 6 * 5
    x = {n: view.groups[n].x for n, *_ in layers}
    assert x["in"] < x["d1"] < x["drop"] < x["d2"] < x["sum"] < x["cat"] < x["out"]
    # the skip d1 -> sum arcs above the layers between (no line hides behind them)
    skip = [c for c in view.connectors
            if c.path().elementAt(0).x < x["drop"] and c.path().currentPosition().x() > x["d2"]]
    assert len(skip) == 6
    lowest_title = min(view.groups[n].top for n in ("drop", "d2")) - 40
    assert all(c.boundingRect().top() < lowest_title for c in skip)


def test_project_and_its_last_run(view):
    project = examples.xor_playground()
    net = network.build(project.spec(), 2, 1, seed=3)
    run = Run("run1", "Run 1", "2024-01-01T00:00:00+00:00",
              {"spec": project.spec(), "n_features": 2, "n_outputs": 1},
              weights=net.get_weights())
    project.add_run(run)
    view.set_project(project)
    assert view.counts()["neurons"] == 19 and view.counts()["weight_lines"] == 88
    w = run.weights["hidden2.weight"]
    group = next(g for g in view.line_groups if g.dst == "hidden2")
    for item in group.items:
        j, i = item.data(0)
        assert same_rgb(item.pen().color(),
                        POSITIVE_COLOR if w[j, i] >= 0 else NEGATIVE_COLOR)


def test_project_units_from_the_weights_when_the_data_is_unknown():
    project = examples.spirals_classifier()  # output units "auto", input from data
    net = network.build(project.spec(), 2, 3)
    run = Run("run1", "Run 1", "now", {}, weights=net.get_weights())
    project.add_run(run)
    info = network_from_project(project)
    assert [u for _, u, _ in info["layers"]] == [2, 16, 16, 3]
    assert info["captions"]["hidden1"] == "dense \u00b7 16 \u00b7 tanh"
    untrained = network_from_project(project, run=None)
    assert untrained["weights"] is None
    assert [u for _, u, _ in untrained["layers"]] == [None, 16, 16, None]
    assert network_from_project(project, None, 5, 4)["layers"][0][1] == 5


def test_panel_follows_the_session(qtbot):
    session = Session()
    session.new(examples.xor_playground())
    shape = [(2, 1)]  # (features, outputs) of the data, as the window would report them
    panel = NeuronPanel(session, data_shape=lambda: shape[0])
    panel.resize(700, 450)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: panel.view.counts()["weight_lines"] == 88)
    lines = [i for g in panel.view.line_groups for i in g.items]
    assert all(same_rgb(i.pen().color(), NEUTRAL_COLOR) for i in lines)

    # a finished run: the same items, re-coloured
    project = session.project
    net = network.build(project.spec(), 2, 1, seed=1)
    session.push(AddRun(project, Run("run1", "Run 1", "now",
                                     {"n_features": 2, "n_outputs": 1},
                                     weights=net.get_weights())))
    qtbot.waitUntil(lambda: not same_rgb(lines[0].pen().color(), NEUTRAL_COLOR))
    assert [i for g in panel.view.line_groups for i in g.items] == lines

    # an edit of the network redraws it
    session.push(SetNodeConfig(project, "hidden1", {"units": 4, "activation": "tanh"}))
    qtbot.waitUntil(lambda: panel.view.counts()["neurons"] == 2 + 4 + 8 + 1)
    assert panel.view.counts()["weight_lines"] == 2 * 4 + 4 * 8 + 8

    session.push(Disconnect(project, "hidden2", "output"))
    session.push(AddNode(project, Node("wide", "dense", {"units": 300}), "hidden2"))
    session.push(Connect(project, "wide", "output"))
    qtbot.waitUntil(lambda: panel.view.counts()["blocks"] == 1)
    assert panel.note.isVisible() and str(MAX_UNITS) in panel.note.text()

    # a new document (three classes: the 'auto' output layer gets three units)
    shape[0] = (2, 3)
    session.new(examples.spirals_classifier())
    qtbot.waitUntil(lambda: panel.view.counts()["neurons"] == 2 + 16 + 16 + 3)


def test_panel_waits_while_hidden(qtbot):
    session = Session()
    session.new(examples.xor_playground())
    panel = NeuronPanel(session, data_shape=lambda: (2, 1))
    qtbot.addWidget(panel)
    session.push(SetNodeConfig(session.project, "hidden1", {"units": 3}))
    qtbot.wait(100)
    assert panel.view.counts()["neurons"] == 0  # nothing drawn while nobody looks
    panel.show()
    qtbot.waitUntil(lambda: panel.view.counts()["neurons"] == 2 + 3 + 8 + 1)
