"""Finite-difference checks of every backward pass in the engine, in float64.

Everything is parametrized over the registries' ``names()``: a newly registered activation,
loss or layer type is checked here without touching this file.  Gradients are compared with
central differences (``EPS = 1e-6``) to a relative tolerance of 1e-6 with a small absolute
floor (the rounding error of a central difference is about ``|f| * 1e-16 / EPS``).
"""

from __future__ import annotations

import numpy as np
import pytest

from engine import activations, layers, losses, network

EPS = 1e-6
RTOL = 1e-6
ATOL = 1e-8


# --------------------------------------------------------------------------- helpers


def assert_grad_close(analytic, numeric, what, rtol=RTOL, atol=ATOL):
    """``|analytic - numeric| <= rtol * max(|analytic|, |numeric|) + atol`` everywhere."""
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    assert analytic.shape == numeric.shape, (what, analytic.shape, numeric.shape)
    assert np.all(np.isfinite(analytic)), f"{what}: non-finite analytic gradient"
    err = np.abs(analytic - numeric)
    bound = rtol * np.maximum(np.abs(analytic), np.abs(numeric)) + atol
    if not np.all(err <= bound):
        k = np.unravel_index(np.argmax(err - bound), err.shape)
        raise AssertionError(
            f"{what}: gradient mismatch at {k}: analytic {analytic[k]!r}, numeric "
            f"{numeric[k]!r} (|diff| {err[k]:.3g} > bound {bound[k]:.3g}); "
            f"{int(np.sum(err > bound))} of {err.size} entries off")


def node(nid, kind, **config):
    return {"id": nid, "type": kind, "config": config}


def make_spec(nodes, edges):
    return {"nodes": nodes, "edges": [list(e) for e in edges]}


def chain_spec(*nodes):
    return make_spec(list(nodes), [(a["id"], b["id"]) for a, b in zip(nodes, nodes[1:])])


def reset_rngs(net, seed=1234):
    """Give every layer a fresh generator with a fixed seed: dropout then draws the same mask
    on every forward, so the loss is a deterministic function of the parameters."""
    for i, nid in enumerate(net.order):
        net.layers[nid].rng = np.random.default_rng([seed, i])


def numeric_network_gradients(net, x, y, loss, training=True):
    """Central differences of ``loss_and_gradients(...)[0]`` over every parameter entry,
    perturbed in place through the writable views of ``net.parameters()``."""

    def value():
        reset_rngs(net)
        return net.loss_and_gradients(x, y, loss, training=training)[0]

    numeric = {}
    for name, p in net.parameters().items():
        assert np.shares_memory(p, net.params), f"{name} is not a view of the flat vector"
        flat = p.reshape(-1)
        assert np.shares_memory(flat, net.params)
        num = np.empty(flat.size)
        for k in range(flat.size):
            old = flat[k]
            flat[k] = old + EPS
            fp = value()
            flat[k] = old - EPS
            fm = value()
            flat[k] = old
            num[k] = (fp - fm) / (2 * EPS)
        numeric[name] = num.reshape(p.shape)
    return numeric


def check_network(net, x, y, loss, training=True):
    before = net.params.copy()
    reset_rngs(net)
    value, grads = net.loss_and_gradients(x, y, loss, training=training)
    assert np.isfinite(value)
    assert list(grads) == [p.name for p in net.param_info]
    for name, g in net.gradients().items():
        np.testing.assert_array_equal(grads[name], g)
    numeric = numeric_network_gradients(net, x, y, loss, training=training)
    np.testing.assert_array_equal(net.params, before)  # perturbations were undone
    reset_rngs(net)
    again, _ = net.loss_and_gradients(x, y, loss, training=training)
    assert again == value  # deterministic given the rng reset
    assert set(numeric) == set(grads)
    for name in grads:
        assert_grad_close(grads[name], numeric[name], f"{loss} / {name}")
    return value, grads


def softmax_rows(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def raw_targets(loss, n, k, rng):
    """Targets a person would give ``loss`` for ``k`` outputs: class indices or one-hot rows
    for a softmax loss (whichever it accepts), 0/1 for a sigmoid loss, reals otherwise."""
    if loss.fused_activation == "softmax":
        labels = rng.permutation(np.arange(n) % k)  # every class present
        try:
            loss.prepare_targets(labels, k, np.float64)
            return labels
        except losses.TargetError:
            return np.eye(k)[labels]
    if loss.fused_activation == "sigmoid" or loss.task == "classification":
        y = rng.integers(0, 2, size=(n, k)).astype(np.float64)
        y[0], y[1] = 0.0, 1.0
        return y
    return rng.normal(scale=1.5, size=(n, k))


def valid_outputs(loss, n, k, rng):
    """Outputs ``a`` inside the loss's domain: softmax rows, sigmoid values, reals."""
    z = rng.normal(scale=1.2, size=(n, k))
    if loss.fused_activation == "softmax":
        return softmax_rows(z)
    if loss.fused_activation == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    return z


def away_from_kinks(z, kinks=(0.0, 20.0, -20.0), margin=1e-2):
    """Moves entries within ``margin`` of a kink (ReLU family at 0, softplus's threshold at
    20) to ``margin`` beyond it, so central differences never straddle one."""
    z = z.copy()
    for k in kinks:
        near = np.abs(z - k) < margin
        z[near] = k + np.where(z[near] >= k, margin, -margin) * 3
    return z


# --------------------------------------------------------------------------- activations


def activation_inputs(seed=0):
    rng = np.random.default_rng(seed)
    body = rng.uniform(-4.0, 4.0, size=(6, 5))
    # saturating / linear regions, and either side of softplus's threshold
    tails = np.array([[-30.0, -12.0, 8.5, 19.0, 21.5], [-7.0, 15.0, -19.5, 25.0, 31.0]])
    return away_from_kinks(np.vstack([body, tails]))


@pytest.mark.parametrize("name", activations.names())
@pytest.mark.parametrize("weights", ["random", "ones"])
def test_activation_backward_matches_finite_differences(name, weights):
    act = activations.get(name)
    z = activation_inputs()
    rng = np.random.default_rng(1)
    g = rng.normal(size=z.shape) if weights == "random" else np.ones_like(z)
    z_before, g_before = z.copy(), g.copy()
    a = act.forward(z)
    a_before = a.copy()
    analytic = act.backward(g, z, a)
    np.testing.assert_array_equal(z, z_before)
    np.testing.assert_array_equal(g, g_before)
    np.testing.assert_array_equal(a, a_before)

    numeric = np.empty_like(z)
    for idx in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += EPS
        zm[idx] -= EPS
        # difference before summing: entries the perturbation leaves alone cancel exactly
        numeric[idx] = np.sum(g * (act.forward(zp) - act.forward(zm))) / (2 * EPS)
    assert_grad_close(analytic, numeric, f"{name} backward")


@pytest.mark.parametrize("name", activations.names())
def test_activation_backward_out_aliasing_grad(name):
    """``out`` may alias ``grad`` (documented): the result must be the same."""
    act = activations.get(name)
    z = activation_inputs(2)
    g = np.random.default_rng(3).normal(size=z.shape)
    a = act.forward(z)
    expected = act.backward(g.copy(), z, a)
    buf = g.copy()
    got = act.backward(buf, z, a, out=buf)
    np.testing.assert_allclose(got, expected, rtol=1e-15, atol=0)
    forward_buf = np.empty_like(z)
    np.testing.assert_allclose(act.forward(z, out=forward_buf), a, rtol=1e-15, atol=0)


@pytest.mark.parametrize("name", activations.names())
def test_activation_derivative_is_jacobian_diagonal(name):
    """``derivative(z)`` is ``f'(z)`` elementwise and, for softmax, the diagonal of the
    Jacobian ``d a_ij / d z_ij`` (as its docstring says)."""
    act = activations.get(name)
    z = activation_inputs(4)
    analytic = act.derivative(z)
    numeric = np.empty_like(z)
    for idx in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += EPS
        zm[idx] -= EPS
        numeric[idx] = (act.forward(zp)[idx] - act.forward(zm)[idx]) / (2 * EPS)
    assert_grad_close(analytic, numeric, f"{name} derivative")


# --------------------------------------------------------------------------- losses


N, K = 6, 3


def loss_output_sizes():
    """(loss name, output units): 1 and 3 units, except that softmax needs 2 or more."""
    return [(name, k) for name in losses.names() for k in (1, K)
            if not (losses.get(name).fused_activation == "softmax" and k < 2)]


@pytest.mark.parametrize(("name", "k"), loss_output_sizes())
def test_loss_value_and_grad_matches_finite_differences(name, k):
    loss = losses.get(name)
    rng = np.random.default_rng(10 + k)
    a = valid_outputs(loss, N, k, rng)
    y = loss.prepare_targets(raw_targets(loss, N, k, rng), k, np.float64)
    a_before, y_before = a.copy(), y.copy()
    value, grad = loss.value_and_grad(a, y)
    np.testing.assert_array_equal(a, a_before)
    np.testing.assert_array_equal(y, y_before)
    assert isinstance(value, float) and np.isfinite(value)
    assert value == pytest.approx(loss.value(a, y), rel=1e-14)
    assert grad.shape == a.shape

    numeric = np.empty_like(a)
    for idx in np.ndindex(a.shape):
        ap, am = a.copy(), a.copy()
        ap[idx] += EPS
        am[idx] -= EPS
        numeric[idx] = (loss.value(ap, y) - loss.value(am, y)) / (2 * EPS)
    assert_grad_close(grad, numeric, f"{name} value_and_grad", atol=1e-9)

    out = np.empty_like(a)
    value2, grad2 = loss.value_and_grad(a, y, out=out)
    assert value2 == value
    np.testing.assert_array_equal(grad2, grad)


@pytest.mark.parametrize("name", [n for n in losses.names()
                                  if losses.get(n).fused_activation is not None])
@pytest.mark.parametrize("scale", [1.0, 4.0])
def test_fused_loss_logits(name, scale):
    loss = losses.get(name)
    act = activations.get(loss.fused_activation)
    k = K
    rng = np.random.default_rng(20)
    z = rng.normal(scale=scale, size=(N, k))
    y = loss.prepare_targets(raw_targets(loss, N, k, rng), k, np.float64)
    a = act.forward(z)

    v_logits = loss.value_logits(z, y)
    assert v_logits == pytest.approx(loss.value(a, y), rel=1e-12, abs=1e-14)

    g = loss.grad_logits(z, a, y)
    numeric = np.empty_like(z)
    for idx in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += EPS
        zm[idx] -= EPS
        numeric[idx] = (loss.value_logits(zp, y) - loss.value_logits(zm, y)) / (2 * EPS)
    assert_grad_close(g, numeric, f"{name} grad_logits", atol=1e-9)

    # the fused gradient is the chain rule through the activation
    _, ga = loss.value_and_grad(a, y)
    assert_grad_close(g, act.backward(ga, z, a), f"{name} fused vs chain rule", rtol=1e-9,
                      atol=1e-12)

    v2, g2 = loss.value_and_grad_logits(z, a, y)
    assert v2 == v_logits
    np.testing.assert_array_equal(g2, g)


@pytest.mark.parametrize("name", [n for n in losses.names()
                                  if losses.get(n).fused_activation is not None])
def test_fused_loss_is_finite_for_extreme_logits(name):
    loss = losses.get(name)
    act = activations.get(loss.fused_activation)
    rng = np.random.default_rng(21)
    z = rng.normal(size=(N, K)) * 800.0
    y = loss.prepare_targets(raw_targets(loss, N, K, rng), K, np.float64)
    a = act.forward(z)
    value, g = loss.value_and_grad_logits(z, a, y)
    assert np.isfinite(value) and np.all(np.isfinite(g))
    assert value > 0


# --------------------------------------------------------------------------- layers


def generic_layer_spec(layer_type):
    """A small network containing one ``layer_type`` node with its default config, built
    only from the layer class's arity so that a newly registered layer is covered."""
    lo, _hi = layers.LAYERS.cls(layer_type).arity
    inp = node("in", "input")
    out = node("out", "dense", units="auto", activation="linear")
    if lo == 0:
        return chain_spec(inp, out)
    if lo == 1:
        return chain_spec(inp, node("h", "dense", units=5, activation="tanh"),
                          node("x", layer_type), out)
    branches = [node(f"b{i}", "dense", units=5, activation=act)
                for i, act in zip(range(max(lo, 2)), ["tanh", "sigmoid", "elu", "softplus"])]
    edges = [("in", b["id"]) for b in branches] + [(b["id"], "x") for b in branches]
    return make_spec([inp, *branches, node("x", layer_type), out], edges + [("x", "out")])


def layer_data(n_features=4, n_outputs=2, n=7, seed=30):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n_features)), rng.normal(scale=1.5, size=(n, n_outputs))


@pytest.mark.parametrize("layer_type", layers.names())
@pytest.mark.parametrize("training", [True, False])
def test_layer_gradients_default_config(layer_type, training):
    spec = generic_layer_spec(layer_type)
    assert layer_type in {n["type"] for n in spec["nodes"]}
    x, y = layer_data()
    net = network.build(spec, 4, 2, dtype="float64", seed=3)
    check_network(net, x, y, "mse", training=training)


def _push_away_from_zero(net, names, margin=0.05):
    params = net.parameters()
    for name in names:
        w = params[name]
        small = np.abs(w) < margin
        w[small] = np.where(w[small] >= 0, margin, -margin)


IN = node("in", "input")
OUT = node("out", "dense", units="auto", activation="linear")

LAYER_CASES = {
    "dense_l1_l2": chain_spec(
        IN, node("h1", "dense", units=6, activation="tanh", l1=0.01, l2=0.02),
        node("out", "dense", units="auto", activation="linear", l1=0.003, l2=0.0)),
    "dense_l2_only": chain_spec(
        IN, node("h1", "dense", units=6, activation="sigmoid", l2=0.05), OUT),
    "dense_no_bias": chain_spec(
        IN, node("h1", "dense", units=6, activation="tanh", bias=False),
        node("out", "dense", units="auto", activation="linear", bias=False)),
    "dense_relu_default": chain_spec(IN, node("h1", "dense", units=6), OUT),
    "activation_layer_softmax": chain_spec(
        IN, node("h1", "dense", units=5, activation="linear"),
        node("act", "activation", activation="softmax"), OUT),
    "activation_layer_elu": chain_spec(
        IN, node("h1", "dense", units=5, activation="linear"),
        node("act", "activation", activation="elu"), OUT),
    "dropout_rate_0": chain_spec(
        IN, node("h1", "dense", units=6, activation="tanh"), node("d", "dropout", rate=0.0),
        OUT),
    "dropout_seeded": chain_spec(
        IN, node("h1", "dense", units=6, activation="tanh"), node("d", "dropout", rate=0.4),
        node("h2", "dense", units=5, activation="tanh"), node("d2", "dropout", rate=0.5), OUT),
    "batch_norm": chain_spec(
        IN, node("h1", "dense", units=6, activation="linear"), node("bn", "batch_norm"),
        node("act", "activation", activation="tanh"), OUT),
    "batch_norm_after_activation": chain_spec(
        IN, node("h1", "dense", units=6, activation="sigmoid"),
        node("bn", "batch_norm", momentum=0.3, eps=1e-3), OUT),
    "add_three": make_spec(
        [IN, node("a", "dense", units=5, activation="tanh"),
         node("b", "dense", units=5, activation="sigmoid"),
         node("c", "dense", units=5, activation="linear"), node("sum", "add"), OUT],
        [("in", "a"), ("in", "b"), ("in", "c"), ("a", "sum"), ("b", "sum"), ("c", "sum"),
         ("sum", "out")]),
    "concatenate_three": make_spec(
        [IN, node("a", "dense", units=3, activation="tanh"),
         node("b", "dense", units=2, activation="sigmoid"), node("cat", "concatenate"), OUT],
        [("in", "a"), ("in", "b"), ("a", "cat"), ("in", "cat"), ("b", "cat"),
         ("cat", "out")]),
    # input -> dense -> dense -> add(with the first dense) -> concatenate(with input) -> output
    "skip_dag": make_spec(
        [IN, node("d1", "dense", units=5, activation="tanh"),
         node("d2", "dense", units=5, activation="tanh"), node("sum", "add"),
         node("cat", "concatenate"), OUT],
        [("in", "d1"), ("d1", "d2"), ("d2", "sum"), ("d1", "sum"), ("sum", "cat"),
         ("in", "cat"), ("cat", "out")]),
}


@pytest.mark.parametrize("case", list(LAYER_CASES))
def test_layer_gradients_cases(case):
    x, y = layer_data()
    net = network.build(LAYER_CASES[case], 4, 2, dtype="float64", seed=5)
    if case.startswith("dense_l1"):
        _push_away_from_zero(net, ["h1.weight", "out.weight"])
        assert net.penalty() > 0
    if case == "dense_no_bias":
        assert all(not p.name.endswith(".bias") for p in net.param_info)
    if case == "dropout_seeded":
        # sanity: without the rng reset two training steps draw different masks
        a1 = net.loss_and_gradients(x, y, "mse")[0]
        a2 = net.loss_and_gradients(x, y, "mse")[0]
        assert a1 != a2
    value, _ = check_network(net, x, y, "mse")
    if case.startswith("dense_l1"):
        reset_rngs(net)
        a = net.forward(x, training=True)
        data_loss = losses.get("mse").value(a, y)
        w1, w2 = net.parameters()["h1.weight"], net.parameters()["out.weight"]
        expected = (data_loss + 0.01 * np.abs(w1).sum() + 0.02 * (w1 ** 2).sum()
                    + 0.003 * np.abs(w2).sum())
        assert value == pytest.approx(expected, rel=1e-12)


def test_every_layer_type_has_a_dedicated_case():
    covered = {n["type"] for spec in LAYER_CASES.values() for n in spec["nodes"]}
    assert set(layers.names()) <= covered | {"input"}


# --------------------------------------------------------------------------- whole network


def loss_network(loss, n_outputs, output_activation=None):
    act = output_activation or loss.fused_activation or "linear"
    return chain_spec(IN, node("h1", "dense", units=7, activation="tanh"),
                      node("h2", "dense", units=5, activation="softplus"),
                      node("out", "dense", units="auto", activation=act))


@pytest.mark.parametrize(("name", "n_outputs"), loss_output_sizes())
def test_network_gradients_each_loss(name, n_outputs):
    loss = losses.get(name)
    rng = np.random.default_rng(40 + n_outputs)
    x = rng.normal(size=(9, 4))
    y = raw_targets(loss, 9, n_outputs, rng)
    net = network.build(loss_network(loss, n_outputs), 4, n_outputs, dtype="float64",
                        seed=7, loss=name, targets=y)
    check_network(net, x, y, name)
    assert net.fused_with(loss) == (loss.fused_activation is not None)


@pytest.mark.parametrize("name", [n for n in losses.names()
                                  if losses.get(n).fused_activation is not None])
def test_fused_with_does_not_depend_on_a_previous_forward(name):
    """Whether a loss is fused is a property of the architecture: ``fit`` asks before its
    first forward, and must get the same answer as after one."""
    loss = losses.get(name)
    net = network.build(loss_network(loss, 3), 4, 3, dtype="float64", seed=7)
    before = net.fused_with(loss)
    net.forward(np.zeros((2, 4)))
    assert net.fused_with(loss) is True
    assert before is True, "fused_with is False on a network that has not run forward yet"


def test_categorical_crossentropy_with_soft_targets():
    rng = np.random.default_rng(41)
    x = rng.normal(size=(8, 4))
    y = softmax_rows(rng.normal(size=(8, 3)))
    net = network.build(loss_network(losses.get("categorical_crossentropy"), 3), 4, 3,
                        dtype="float64", seed=8)
    check_network(net, x, y, "categorical_crossentropy")


NON_FUSED_CASES = {
    # non-fused paths: the loss's dL/da goes back through the output activation
    "mse_on_sigmoid": ("mse", chain_spec(
        IN, node("h1", "dense", units=6, activation="tanh"),
        node("out", "dense", units="auto", activation="sigmoid"))),
    "huber_on_softmax": ("huber", chain_spec(
        IN, node("h1", "dense", units=6, activation="tanh"),
        node("out", "dense", units="auto", activation="softmax"))),
    # cross-entropy behind a dropout: output activation "linear", so value_and_grad(a) and
    # softmax backward are used instead of the fused form
    "cce_unfused_behind_dropout": ("categorical_crossentropy", chain_spec(
        IN, node("h1", "dense", units=6, activation="tanh"),
        node("sm", "dense", units=3, activation="softmax"), node("out", "dropout", rate=0.0))),
    "scce_unfused_behind_dropout": ("sparse_categorical_crossentropy", chain_spec(
        IN, node("h1", "dense", units=6, activation="tanh"),
        node("sm", "dense", units=3, activation="softmax"), node("out", "dropout", rate=0.0))),
    "bce_unfused_behind_dropout": ("binary_crossentropy", chain_spec(
        IN, node("h1", "dense", units=6, activation="tanh"),
        node("sg", "dense", units=3, activation="sigmoid"), node("out", "dropout", rate=0.0))),
    # fused through a separate activation layer at the output
    "bce_fused_activation_layer": ("binary_crossentropy", chain_spec(
        IN, node("h1", "dense", units=3, activation="tanh"),
        node("out", "activation", activation="sigmoid"))),
    "scce_fused_activation_layer": ("sparse_categorical_crossentropy", chain_spec(
        IN, node("h1", "dense", units=3, activation="linear"),
        node("out", "activation", activation="softmax"))),
}


@pytest.mark.parametrize("case", list(NON_FUSED_CASES))
def test_network_gradients_output_paths(case):
    name, spec = NON_FUSED_CASES[case]
    loss = losses.get(name)
    rng = np.random.default_rng(50)
    x = rng.normal(size=(8, 4))
    y = raw_targets(loss, 8, 3, rng)
    if loss.task == "regression":
        y = rng.uniform(0, 1, size=(8, 3))
    net = network.build(spec, 4, 3, dtype="float64", seed=9)
    check_network(net, x, y, name)
    assert net.fused_with(loss) == ("unfused" not in case and loss.fused_activation is not None)


# --------------------------------------------------------------------------- input gradients

INPUT_FLOW_CASES = {
    "batch_norm_first": chain_spec(
        IN, node("bn", "batch_norm"), node("h1", "dense", units=5, activation="tanh"), OUT),
    "activation_first": chain_spec(
        IN, node("act", "activation", activation="tanh"),
        node("h1", "dense", units=5, activation="tanh"), OUT),
    "dropout_first": chain_spec(
        IN, node("d", "dropout", rate=0.25), node("h1", "dense", units=5, activation="tanh"),
        OUT),
    "batch_norm_then_activation_first": chain_spec(
        IN, node("bn", "batch_norm"), node("act", "activation", activation="elu"),
        node("h1", "dense", units=5, activation="tanh"), OUT),
    "activation_then_batch_norm_first": chain_spec(
        IN, node("act", "activation", activation="sigmoid"), node("bn", "batch_norm"),
        node("h1", "dense", units=5, activation="tanh"), OUT),
    # merges of branches in which nothing learns yet
    "add_of_input_and_activation": make_spec(
        [IN, node("act", "activation", activation="tanh"), node("sum", "add"),
         node("h1", "dense", units=5, activation="tanh"), OUT],
        [("in", "act"), ("act", "sum"), ("in", "sum"), ("sum", "h1"), ("h1", "out")]),
    "concatenate_of_input_and_activation": make_spec(
        [IN, node("act", "activation", activation="tanh"), node("cat", "concatenate"),
         node("h1", "dense", units=5, activation="tanh"), OUT],
        [("in", "act"), ("act", "cat"), ("in", "cat"), ("cat", "h1"), ("h1", "out")]),
    "concatenate_of_input_and_batch_norm": make_spec(
        [IN, node("bn", "batch_norm"), node("cat", "concatenate"), OUT],
        [("in", "bn"), ("in", "cat"), ("bn", "cat"), ("cat", "out")]),
}


@pytest.mark.parametrize("case", list(INPUT_FLOW_CASES))
def test_input_gradient_flow(case):
    rng = np.random.default_rng(60)
    x = rng.normal(loc=0.5, scale=2.0, size=(8, 4))
    y = rng.normal(size=(8, 2))
    net = network.build(INPUT_FLOW_CASES[case], 4, 2, dtype="float64", seed=11)
    check_network(net, x, y, "mse")
