"""engine.spec: one typed problem per thing a person can fix, loss fit, build, merges, property."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import layers, losses, network
from engine import spec as S


# --------------------------------------------------------------------------- helpers


def node(nid, type_, **config):
    return {"id": nid, "type": type_, "config": config}


def chain(*nodes):
    """A spec whose nodes are connected one after the other, in the order given."""
    return {"nodes": list(nodes),
            "edges": [[a["id"], b["id"]] for a, b in zip(nodes, nodes[1:])]}


def mlp(out_units="auto", out_activation="softmax", hidden_activation="relu"):
    return chain(node("in", "input"), node("h", "dense", units=8, activation=hidden_activation),
                 node("out", "dense", units=out_units, activation=out_activation))


def only(problems, cls):
    """The single problem of type ``cls`` among ``problems`` (fails if none or several)."""
    found = [p for p in problems if isinstance(p, cls)]
    assert len(found) == 1, f"expected one {cls.__name__}, got {problems!r}"
    return found[0]


def says(message, *hints):
    """The message tells the person what to do: it contains one of ``hints`` (a word or
    phrase of the action / the rule to follow)."""
    pattern = "|".join(rf"\b{re.escape(h)}" for h in hints)
    assert re.search(pattern, message, re.IGNORECASE), (
        f"message does not say what to do (expected one of {hints}): {message!r}")


def errors_of(problems):
    return [p for p in problems if isinstance(p, S.SpecError)]


# --------------------------------------------------------------------------- structure


def test_cycle_names_the_layers_of_the_loop():
    spec = {"nodes": [node("in", "input"), node("a", "dense"), node("b", "dense"),
                      node("out", "dense", units=1)],
            "edges": [["in", "a"], ["a", "b"], ["b", "a"], ["b", "out"]]}
    problem = only(S.check(spec, n_features=2), S.CycleError)
    # 'out' merely follows the loop; marking it on the canvas would point at the wrong layer
    assert set(problem.nodes) == {"a", "b"}
    says(problem.message, "remove", "delete", "break")


def test_connection_into_the_input_is_reported():
    spec = {"nodes": [node("in", "input"), node("out", "dense", units=1)],
            "edges": [["in", "out"], ["out", "in"]]}
    problems = errors_of(S.check(spec, n_features=2))
    assert problems, "an edge into the input layer must be reported"
    assert any("in" in p.nodes for p in problems)


def test_layer_without_incoming_connection_is_not_connected():
    spec = chain(node("in", "input"), node("h", "dense"), node("out", "dense", units=1))
    spec["nodes"].append(node("orphan", "dense"))
    problems = S.check(spec, n_features=2)
    problem = only(problems, S.NotConnectedError)
    assert problem.nodes == ("orphan",)
    says(problem.message, "connect")


def test_layer_fed_only_by_an_island_is_not_connected():
    # x -> y -> out: y has an input (x) but no path from the data's input reaches it
    spec = {"nodes": [node("in", "input"), node("h", "dense"), node("x", "dense"),
                      node("y", "dense"), node("out", "concatenate")],
            "edges": [["in", "h"], ["x", "y"], ["h", "out"], ["y", "out"]]}
    problems = [p for p in S.check(spec, n_features=2) if isinstance(p, S.NotConnectedError)]
    by_node = {p.nodes: p for p in problems}
    assert set(by_node) == {("x",), ("y",)}
    says(by_node[("x",)].message, "connect")
    says(by_node[("y",)].message, "connect", "delete", "remove")


def test_no_input_layer():
    spec = chain(node("h", "dense"), node("out", "dense", units=1))
    problem = only(S.check(spec), S.NoInputError)
    assert problem.nodes == ()
    says(problem.message, "add")


def test_two_input_layers():
    spec = {"nodes": [node("in1", "input"), node("in2", "input"), node("h", "concatenate"),
                      node("out", "dense", units=1)],
            "edges": [["in1", "h"], ["in2", "h"], ["h", "out"]]}
    problem = only(S.check(spec, n_features=2), S.MultipleInputsError)
    assert set(problem.nodes) == {"in1", "in2"}
    says(problem.message, "keep one", "delete", "remove")


def test_no_output_layer():
    spec = {"nodes": [node("in", "input")], "edges": []}
    problem = only(S.check(spec, n_features=2), S.NoOutputError)
    says(problem.message, "connect", "add")


def test_several_output_layers():
    spec = {"nodes": [node("in", "input"), node("a", "dense"), node("b", "dense")],
            "edges": [["in", "a"], ["in", "b"]]}
    problem = only(S.check(spec, n_features=2), S.MultipleOutputsError)
    assert set(problem.nodes) == {"a", "b"}
    says(problem.message, "connect", "delete")


def test_duplicate_id():
    spec = chain(node("in", "input"), node("h", "dense"), node("out", "dense", units=1))
    spec["nodes"].insert(2, node("h", "dense", units=4))
    problem = only(S.check(spec, n_features=2), S.DuplicateIdError)
    assert problem.nodes == ("h",)
    says(problem.message, "rename", "unique", "different id", "another id")


def test_duplicate_edge():
    spec = chain(node("in", "input"), node("out", "dense", units=1))
    spec["edges"].append(["in", "out"])
    problem = only(S.check(spec, n_features=2), S.DuplicateEdgeError)
    assert set(problem.nodes) == {"in", "out"}
    says(problem.message, "remove", "delete")


def test_self_loop():
    spec = chain(node("in", "input"), node("h", "dense"), node("out", "dense", units=1))
    spec["edges"].append(["h", "h"])
    problem = only(S.check(spec, n_features=2), S.DuplicateEdgeError)
    assert set(problem.nodes) == {"h"}
    assert "itself" in problem.message
    says(problem.message, "remove", "delete")


def test_edge_to_unknown_node():
    spec = chain(node("in", "input"), node("out", "dense", units=1))
    spec["edges"].append(["ghost", "out"])
    problem = only(S.check(spec, n_features=2), S.UnknownNodeError)
    assert problem.nodes == ("out",)  # the end that exists, to mark on the canvas
    assert "ghost" in problem.message
    says(problem.message, "remove", "delete", "add")


def test_unknown_layer_type_lists_the_valid_names():
    spec = chain(node("in", "input"), node("conv", "convolution"), node("out", "dense"))
    problem = only(S.check(spec, n_features=2), S.UnknownLayerError)
    assert problem.nodes == ("conv",)
    assert "convolution" in problem.message
    for name in layers.names():
        assert name in problem.message


@pytest.mark.parametrize("nid, type_, config, words", [
    ("h", "dense", {"units": 0}, ("units", ">= 1", "0")),
    ("d", "dropout", {"rate": 1.0}, ("rate", "< 1", "1.0")),
    ("h", "dense", {"neurons": 3}, ("neurons", "units")),  # lists the real parameters
], ids=["units_0", "dropout_rate_1", "unknown_parameter"])
def test_invalid_config(nid, type_, config, words):
    spec = chain(node("in", "input"), {"id": nid, "type": type_, "config": config},
                 node("out", "dense", units=1))
    problem = only(S.check(spec, n_features=2), S.InvalidConfigError)
    assert problem.nodes == (nid,)
    for word in words:
        assert word in problem.message


def test_add_of_mismatched_units():
    spec = {"nodes": [node("in", "input"), node("a", "dense", units=8),
                      node("b", "dense", units=4), node("sum", "add"),
                      node("out", "dense", units=1)],
            "edges": [["in", "a"], ["in", "b"], ["a", "sum"], ["b", "sum"], ["sum", "out"]]}
    problem = only(S.check(spec, n_features=2), S.ShapeMismatchError)
    assert problem.nodes == ("sum",)
    assert "8" in problem.message and "4" in problem.message
    says(problem.message, "equal", "same size")


@pytest.mark.parametrize("merge", ["add", "concatenate"])
def test_merge_with_one_input(merge):
    spec = chain(node("in", "input"), node("h", "dense"), node("m", merge),
                 node("out", "dense", units=1))
    problem = only(S.check(spec, n_features=2), S.ArityError)
    assert problem.nodes == ("m",)
    assert "at least 2" in problem.message and "1" in problem.message


def test_auto_units_on_a_hidden_layer():
    spec = mlp()
    spec["nodes"][1]["config"]["units"] = "auto"
    problem = only(S.check(spec, n_features=2, n_outputs=3), S.ShapeMismatchError)
    assert problem.nodes == ("h",)
    assert "auto" in problem.message and "output" in problem.message


def test_input_units_disagree_with_the_data():
    spec = mlp()
    spec["nodes"][0]["config"]["units"] = 3
    problem = only(S.check(spec, n_features=2, n_outputs=3), S.ShapeMismatchError)
    assert problem.nodes == ("in",)
    assert "3" in problem.message and "2" in problem.message
    says(problem.message, "set", "change", "leave", "remove")


def test_input_units_that_agree_with_the_data_are_fine():
    spec = mlp()
    spec["nodes"][0]["config"]["units"] = 2
    assert S.check(spec, n_features=2, n_outputs=3) == []


# --------------------------------------------------------------------------- loss fit


Y3 = np.array([0, 1, 2, 1, 0, 2])
ONE_HOT3 = np.eye(3)[Y3]
Y01 = np.array([0, 1, 1, 0, 1, 0])


def test_softmax_with_binary_crossentropy_on_three_classes():
    problems = S.check(mlp(), n_features=2, n_outputs=3, loss="binary_crossentropy",
                       targets=Y3)
    assert problems
    problem = errors_of(problems)[0]
    assert isinstance(problem, S.LossMismatchError)
    assert problem.nodes == ("out",)
    # it tells which combination would work
    assert any("sparse_categorical_crossentropy" in p.message or "sigmoid" in p.message
               for p in problems)


def test_sparse_crossentropy_with_one_hot_labels():
    problem = only(S.check(mlp(), n_features=2, n_outputs=3,
                           loss="sparse_categorical_crossentropy", targets=ONE_HOT3),
                   S.LossMismatchError)
    assert problem.nodes == ("out",)
    assert "one-hot" in problem.message and "categorical_crossentropy" in problem.message


def test_categorical_crossentropy_with_integer_labels():
    problem = only(S.check(mlp(), n_features=2, n_outputs=3,
                           loss="categorical_crossentropy", targets=Y3),
                   S.LossMismatchError)
    assert problem.nodes == ("out",)
    assert "sparse_categorical_crossentropy" in problem.message


def test_mse_on_class_labels_with_softmax_is_a_warning_not_an_error():
    problems = S.check(mlp(), n_features=2, n_outputs=3, loss="mse", targets=ONE_HOT3)
    assert errors_of(problems) == []
    assert problems and all(isinstance(p, S.LossWarning) for p in problems)
    assert all(p.severity == "warning" for p in problems)
    # and it still builds: a warning never stops anything
    net = network.build(mlp(), 2, 3, loss="mse", targets=ONE_HOT3)
    assert net.warnings and all(isinstance(w, S.LossWarning) for w in net.warnings)


@pytest.mark.parametrize("loss, targets", [
    ("sparse_categorical_crossentropy", Y3),
    ("categorical_crossentropy", ONE_HOT3),
])
def test_linear_output_with_crossentropy(loss, targets):
    problem = only(S.check(mlp(out_activation="linear"), n_features=2, n_outputs=3,
                           loss=loss, targets=targets), S.LossMismatchError)
    assert problem.nodes == ("out",)
    assert "softmax" in problem.message


def test_sigmoid_unit_with_binary_crossentropy_on_01_labels_fits():
    spec = mlp(out_units=1, out_activation="sigmoid")
    assert S.check(spec, n_features=2, n_outputs=1, loss="binary_crossentropy",
                   targets=Y01) == []


def test_unknown_loss_name_is_a_problem_listing_the_valid_ones():
    problem = only(S.check(mlp(), n_features=2, n_outputs=3, loss="hinge"),
                   S.LossMismatchError)
    for name in losses.names():
        assert name in problem.message


# --------------------------------------------------------------------------- build


def test_build_raises_the_first_error():
    spec = chain(node("in", "input"), node("h", "convolution"), node("out", "dense"))
    spec["nodes"].append(node("out", "dense"))
    problems = S.check(spec, n_features=2, n_outputs=1)
    first = errors_of(problems)[0]
    assert len(errors_of(problems)) >= 2
    with pytest.raises(S.SpecError) as info:
        network.build(spec, 2, 1)
    assert type(info.value) is type(first)
    assert info.value.nodes == first.nodes
    assert info.value.message.startswith(first.message)
    assert "more problem" in info.value.message  # says there is more to fix


def test_build_raises_a_loss_mismatch_when_asked_to_check_the_loss():
    with pytest.raises(S.LossMismatchError):
        network.build(mlp(), 2, 3, loss="categorical_crossentropy", targets=Y3)


def test_build_needs_the_sizes_the_spec_leaves_to_the_data():
    with pytest.raises(S.ShapeMismatchError) as info:
        network.build(mlp(), n_outputs=3)
    assert info.value.nodes == ("in",) and "n_features" in info.value.message


def _skip_spec():
    # in -> h1 -> h2 -> sum(h1, h2) -> cat(sum, in-branch) -> out
    return {"nodes": [node("in", "input"), node("h1", "dense", units=6, activation="tanh"),
                      node("h2", "dense", units=6, activation="tanh"), node("sum", "add"),
                      node("side", "dense", units=3, activation="relu"),
                      node("cat", "concatenate"),
                      node("out", "dense", units="auto", activation="softmax")],
            "edges": [["in", "h1"], ["h1", "h2"], ["h1", "sum"], ["h2", "sum"],
                      ["in", "side"], ["sum", "cat"], ["side", "cat"], ["cat", "out"]]}


def test_dag_with_skip_connections_builds_and_runs():
    spec = _skip_spec()
    assert S.check(spec, n_features=2, n_outputs=3) == []
    net = network.build(spec, 2, 3, seed=1)
    assert net.units["sum"] == 6 and net.units["cat"] == 9 and net.n_outputs == 3
    assert net.get_weights()["out.weight"].shape == (3, 9)
    x = np.random.default_rng(0).normal(size=(5, 2)).astype(np.float32)
    probs = net.forward(x)
    assert probs.shape == (5, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    # the skip path carries gradient: h1 gets gradient through both sum inputs
    _, grads = net.loss_and_gradients(x, np.array([0, 1, 2, 0, 1]),
                                      "sparse_categorical_crossentropy")
    assert all(np.abs(g).sum() > 0 for g in grads.values())


def _concat_spec(first, second):
    return {"nodes": [node("in", "input"), node("a", "dense", units=3, activation="tanh"),
                      node("b", "dense", units=5, activation="tanh"),
                      node("cat", "concatenate")],
            "edges": [["in", "a"], ["in", "b"], [first, "cat"], [second, "cat"]]}


def _dense_out(weights, nid, x):
    return np.tanh(x @ weights[f"{nid}.weight"].T + weights[f"{nid}.bias"])


def test_concatenate_follows_the_edge_order():
    x = np.random.default_rng(3).normal(size=(7, 2)).astype(np.float32)
    ab = network.build(_concat_spec("a", "b"), 2, seed=5)
    ba = network.build(_concat_spec("b", "a"), 2, seed=5)
    assert ab.units["cat"] == ba.units["cat"] == 8
    a_out = _dense_out(ab.get_weights(), "a", x)
    b_out = _dense_out(ab.get_weights(), "b", x)
    out_ab, out_ba = ab.forward(x), ba.forward(x)
    np.testing.assert_allclose(out_ab[:, :3], a_out, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out_ab[:, 3:], b_out, rtol=1e-5, atol=1e-6)
    # same seed, same layer weights; swapping the edges swaps the column blocks
    np.testing.assert_allclose(out_ba[:, :5], b_out, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out_ba[:, 5:], a_out, rtol=1e-5, atol=1e-6)


def test_check_of_a_long_chain_finds_no_problem():
    hidden = [node(f"h{i}", "dense", units=4, activation="tanh") for i in range(198)]
    spec = chain(node("in", "input"), *hidden, node("out", "dense", units=1))
    assert len(spec["nodes"]) == 200
    assert S.check(spec, n_features=2, n_outputs=1) == []


# --------------------------------------------------------------------------- property

_IDS = ["in", "a", "b", "c", "out"]
_value = st.one_of(
    st.integers(-2, 6), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.none(), st.sampled_from(["auto", "relu", "softmax", "tanh", "bogus", "", "zeros"]),
    st.lists(st.integers(0, 2), max_size=2),
    st.fixed_dictionaries({"name": st.sampled_from(["relu", "leaky_relu", "bogus"])}),
)
_config = st.one_of(
    st.dictionaries(st.sampled_from(["units", "activation", "rate", "momentum", "eps",
                                     "initializer", "bias", "l1", "l2", "name", "foo"]),
                    _value, max_size=3),
    st.sampled_from([None, [], "units=3", 4]),  # not a dict at all
)
_node = st.one_of(
    st.fixed_dictionaries({
        "id": st.one_of(st.sampled_from(_IDS), st.sampled_from(["", None, 7])),
        "type": st.one_of(st.sampled_from(layers.names()),
                          st.sampled_from(["convolution", "Dense", "", None])),
        "config": _config,
    }),
    st.sampled_from([None, "dense", ["in", "input"], {}]),  # malformed nodes
)
_edge = st.one_of(
    st.tuples(st.sampled_from(_IDS + ["ghost"]), st.sampled_from(_IDS + ["ghost"])).map(list),
    st.sampled_from([["in"], ["in", "a", "b"], [None, "a"], "in->a", 3]),
)
_spec = st.one_of(
    st.fixed_dictionaries({"nodes": st.lists(_node, max_size=7),
                           "edges": st.lists(_edge, max_size=10)}),
    st.sampled_from([None, [], {}, {"nodes": "in"}, {"nodes": [], "edges": None}]),
)


@st.composite
def _dag_spec(draw):
    """Mostly sensible specs: an input, then layers each fed by earlier ones, sometimes
    with a stray edge or a bad value thrown in (so clean and broken specs both occur)."""
    k = draw(st.integers(1, 6))
    nodes = [node("in", "input")]
    edges = []
    for i in range(1, k + 1):
        type_ = draw(st.sampled_from(["dense", "dense", "dropout", "activation",
                                      "batch_norm", "add", "concatenate"]))
        config = {}
        if type_ == "dense":
            config = {"units": draw(st.sampled_from([1, 2, 3, "auto"])),
                      "activation": draw(st.sampled_from(["relu", "tanh", "softmax",
                                                          "sigmoid", "linear"]))}
        nid = f"n{i}"
        nodes.append({"id": nid, "type": type_, "config": config})
        # a chain, and merges also take an earlier layer (a skip connection)
        edges.append([nodes[-2]["id"], nid])
        if type_ in ("add", "concatenate") and draw(st.integers(0, 4)):
            edges.append([draw(st.sampled_from([n["id"] for n in nodes[:-2]] or ["in"])), nid])
    if draw(st.booleans()):
        edges.append([draw(st.sampled_from([n["id"] for n in nodes] + ["ghost"])),
                      draw(st.sampled_from([n["id"] for n in nodes]))])
    return {"nodes": nodes, "edges": edges}


_targets = st.sampled_from([None, Y3, ONE_HOT3, Y01, np.array([0.5, -2.0, 3.25]),
                            np.zeros((0,)), np.array([np.nan, 1.0]), np.zeros((2, 2, 2)),
                            np.array(["a", "b"])])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=st.one_of(_spec, _dag_spec()), n_features=st.one_of(st.none(), st.integers(1, 4)),
       n_outputs=st.one_of(st.none(), st.integers(1, 4)),
       loss=st.one_of(st.none(), st.sampled_from(losses.names() + ["hinge"])),
       targets=_targets)
def test_check_never_raises_it_only_returns_problems(spec, n_features, n_outputs, loss,
                                                     targets):
    problems = S.check(spec, n_features, n_outputs, loss, targets)
    assert isinstance(problems, list)
    ids = {n["id"] for n in (spec.get("nodes") if isinstance(spec, dict) else None) or []
           if isinstance(n, dict) and isinstance(n.get("id"), str)}
    for p in problems:
        assert isinstance(p, (S.SpecError, S.SpecWarning))
        assert isinstance(p.message, str) and p.message
        assert isinstance(p.nodes, tuple) and set(p.nodes) <= ids
    # a spec that checks clean with known sizes builds and runs
    if n_features is not None and n_outputs is not None and not errors_of(problems):
        net = network.build(spec, n_features, n_outputs, loss=loss, targets=targets)
        out = net.forward(np.ones((3, n_features), dtype=np.float32))
        assert out.shape[0] == 3


def test_a_regression_output_of_the_wrong_size_is_an_error_before_training():
    spec = {"nodes": [{"id": "in", "type": "input", "config": {}},
                      {"id": "h", "type": "dense", "config": {"units": 4}},
                      {"id": "out", "type": "dense", "config": {"units": 8,
                                                               "activation": "linear"}}],
            "edges": [["in", "h"], ["h", "out"]]}
    targets = np.zeros((10, 1), dtype=np.float32) + 0.5
    problems = S.check(spec, 2, 1, loss="mse", targets=targets)
    errors = [p for p in problems if isinstance(p, S.LossMismatchError)]
    assert errors and "1 column(s)" in errors[0].message and "8 unit(s)" in errors[0].message
    assert errors[0].nodes == ("out",)


def test_extra_softmax_units_for_fewer_classes_are_a_warning():
    spec = {"nodes": [{"id": "in", "type": "input", "config": {}},
                      {"id": "out", "type": "dense", "config": {"units": 8,
                                                               "activation": "softmax"}}],
            "edges": [["in", "out"]]}
    problems = S.check(spec, 2, 3, loss="sparse_categorical_crossentropy",
                     targets=np.array([0, 1, 2, 1]))
    assert [type(p).__name__ for p in problems] == ["LossWarning"]
    assert "8 units for 3 classes" in problems[0].message
