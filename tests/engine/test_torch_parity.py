"""The engine against PyTorch: same weights in, same outputs, losses and gradients out.

Each engine network is mirrored by a torch model made of ``torch.nn.Linear`` and
``torch.nn.BatchNorm1d`` modules holding a copy of the engine's initial weights (the engine's
dense weight already has torch's (out, in) layout), wired by the same spec.  Float64 results
must agree to 1e-10 relative, float32 ones to about 1e-5.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from engine import activations, layers, losses, network  # noqa: E402

pytestmark = pytest.mark.torch

TORCH_DTYPES = {"float64": torch.float64, "float32": torch.float32}
# (rtol, atol as a multiple of the largest reference value) per dtype
TOL = {"float64": (1e-10, 1e-12), "float32": (1e-5, 1e-6)}


# --------------------------------------------------------------------------- torch mirrors


def torch_activation(act: activations.Activation):
    """The torch function computing the engine activation ``act`` (with its config)."""
    cfg = act.config()
    table = {
        "sigmoid": lambda: torch.sigmoid,
        "tanh": lambda: torch.tanh,
        "relu": lambda: torch.relu,
        "leaky_relu": lambda: functools.partial(F.leaky_relu,
                                                negative_slope=cfg["negative_slope"]),
        "elu": lambda: functools.partial(F.elu, alpha=cfg["alpha"]),
        "swish": lambda: F.silu,
        "linear": lambda: (lambda z: z),
        "softmax": lambda: functools.partial(torch.softmax, dim=-1),
        "gelu": lambda: F.gelu,
        "selu": lambda: F.selu,
        "softplus": lambda: functools.partial(F.softplus, beta=cfg["beta"],
                                              threshold=cfg["threshold"]),
    }
    assert act.name in table, f"no torch counterpart for activation {act.name!r}: add one"
    return table[act.name]()


def torch_loss(loss: losses.Loss):
    """``f(torch_output, torch_logits, y) -> list of losses`` that must all equal the engine's
    value; the first one is the one differentiated."""
    cfg = loss.config()
    table = {
        "mae": lambda a, z, y: [F.l1_loss(a, y)],
        "mse": lambda a, z, y: [F.mse_loss(a, y)],
        "rmse": lambda a, z, y: [torch.sqrt(F.mse_loss(a, y))],
        "huber": lambda a, z, y: [F.huber_loss(a, y, delta=cfg["delta"])],
        # logits form (what torch users write) and, for the record, the probability form
        "sparse_categorical_crossentropy": lambda a, z, y: [
            F.cross_entropy(z, y), F.nll_loss(torch.log(a), y)],
        "categorical_crossentropy": lambda a, z, y: [
            F.cross_entropy(z, y), -(y * torch.log(a)).sum(dim=1).mean()],
        "binary_crossentropy": lambda a, z, y: [
            F.binary_cross_entropy_with_logits(z, y), F.binary_cross_entropy(a, y)],
    }
    assert loss.name in table, f"no torch counterpart for loss {loss.name!r}: add one"
    return table[loss.name]


class TorchMirror(torch.nn.Module):
    """A torch model equivalent to an engine network, initialized with its weights."""

    def __init__(self, net: network.Network, dtype):
        super().__init__()
        self.net = net
        self.edges = net.spec["edges"]
        self.mods = torch.nn.ModuleDict()
        params = net.parameters()
        for nid in net.order:
            layer = net.layers[nid]
            if layer.name == "dense":
                lin = torch.nn.Linear(layer.input_units[0], layer.units, bias=layer.use_bias,
                                      dtype=dtype)
                with torch.no_grad():
                    lin.weight.copy_(torch.from_numpy(params[f"{nid}.weight"].copy()))
                    if layer.use_bias:
                        lin.bias.copy_(torch.from_numpy(params[f"{nid}.bias"].copy()))
                self.mods[nid] = lin
            elif layer.name == "batch_norm":
                bn = torch.nn.BatchNorm1d(layer.units, eps=layer.eps, momentum=layer.momentum,
                                          dtype=dtype)
                with torch.no_grad():
                    bn.weight.copy_(torch.from_numpy(params[f"{nid}.weight"].copy()))
                    bn.bias.copy_(torch.from_numpy(params[f"{nid}.bias"].copy()))
                    bn.running_mean.copy_(torch.from_numpy(net.buffers[f"{nid}.running_mean"]))
                    bn.running_var.copy_(torch.from_numpy(net.buffers[f"{nid}.running_var"]))
                self.mods[nid] = bn
            elif layer.name == "dropout":
                assert layer.rate == 0.0, "parity nets use dropout(0) (random masks differ)"
            else:
                assert layer.name in ("input", "activation", "add", "concatenate"), (
                    f"no torch mirror for layer type {layer.name!r}: add one")

    def tensor(self, name):
        nid, what = name.split(".", 1)
        return getattr(self.mods[nid], what)

    def forward(self, x):
        """Returns (output, pre-activation of the output layer)."""
        outs, pre = {}, {}
        for nid in self.net.order:
            layer = self.net.layers[nid]
            ins = [outs[s] for s, d in self.edges if d == nid]
            if layer.name == "input":
                outs[nid] = x
            elif layer.name == "dense":
                pre[nid] = self.mods[nid](ins[0])
                outs[nid] = torch_activation(layer.activation)(pre[nid])
            elif layer.name == "activation":
                pre[nid] = ins[0]
                outs[nid] = torch_activation(layer.activation)(ins[0])
            elif layer.name == "batch_norm":
                outs[nid] = self.mods[nid](ins[0])
            elif layer.name == "dropout":
                outs[nid] = ins[0]
            elif layer.name == "add":
                outs[nid] = functools.reduce(torch.add, ins)
            elif layer.name == "concatenate":
                outs[nid] = torch.cat(ins, dim=1)
        out = self.net.output_id
        return outs[out], pre.get(out, outs[out])


# --------------------------------------------------------------------------- comparison


def assert_close(engine, reference, what, dtype, scale=None):
    """Relative tolerance, with an absolute floor at ``atol_scale * scale`` (default: the
    largest reference value), for entries that are zero up to rounding."""
    rtol, atol_scale = TOL[dtype]
    engine = np.asarray(engine, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    assert engine.shape == reference.shape, (what, engine.shape, reference.shape)
    if scale is None:
        scale = float(np.max(np.abs(reference), initial=0.0))
    atol = atol_scale * max(scale, 1e-300)
    np.testing.assert_allclose(engine, reference, rtol=rtol, atol=atol, err_msg=what)


def node(nid, kind, **config):
    return {"id": nid, "type": kind, "config": config}


def chain_spec(*nodes):
    return {"nodes": list(nodes),
            "edges": [[a["id"], b["id"]] for a, b in zip(nodes, nodes[1:])]}


def targets_for(loss, n, k, rng):
    if loss.name == "sparse_categorical_crossentropy":
        return rng.permutation(np.arange(n) % k)
    if loss.name == "categorical_crossentropy":
        return np.eye(k)[rng.permutation(np.arange(n) % k)]
    if loss.name == "binary_crossentropy":
        y = rng.integers(0, 2, size=(n, k)).astype(np.float64)
        y[0], y[1] = 0.0, 1.0
        return y
    return rng.normal(scale=1.5, size=(n, k))


def compare_with_torch(spec, n_features, n_outputs, loss_name, dtype, seed=0, n=16,
                       training=True):
    loss = losses.get(loss_name)
    rng = np.random.default_rng(seed + 100)
    x = rng.normal(size=(n, n_features))
    y = targets_for(loss, n, n_outputs, rng)
    net = network.build(spec, n_features, n_outputs, dtype=dtype, seed=seed)
    tdt = TORCH_DTYPES[dtype]
    mirror = TorchMirror(net, tdt)
    mirror.train(training)

    value, grads = net.loss_and_gradients(x, y, loss, training=training)

    xt = torch.from_numpy(x.astype(dtype))
    yp = loss.prepare_targets(y, n_outputs, np.dtype(dtype))
    yt = torch.from_numpy(yp)
    a_t, z_t = mirror(xt)
    torch_values = torch_loss(loss)(a_t, z_t, yt)
    torch_values[0].backward()

    assert_close(net._outs[-1], a_t.detach().numpy(), "forward output", dtype)
    for i, tv in enumerate(torch_values):
        assert_close(value, tv.item(), f"loss value (torch form {i})", dtype)
    torch_grads = {name: mirror.tensor(name).grad for name in grads}
    assert all(tg is not None for tg in torch_grads.values())
    # a bias right before batch norm has a gradient of exactly 0 in exact arithmetic: both
    # sides hold rounding noise there, so the floor is set by the network's gradient scale
    scale = max(float(tg.abs().max()) for tg in torch_grads.values())
    for name, g in grads.items():
        assert_close(g, torch_grads[name].numpy(), f"gradient of {name}", dtype, scale=scale)
    for name, buf in net.buffers.items():
        assert_close(buf, mirror.tensor(name).detach().numpy(), f"buffer {name}", dtype)
    # evaluation mode as well (batch norm uses the running statistics just updated)
    mirror.eval()
    with torch.no_grad():
        a_eval, _ = mirror(xt)
    assert_close(net.forward(x), a_eval.numpy(), "evaluation-mode output", dtype)
    return net


# --------------------------------------------------------------------------- architectures

IN = node("in", "input")
DTYPES = pytest.mark.parametrize("dtype", ["float64", "float32"])

SPECS = {
    "tanh_sigmoid_2_8_8_1": chain_spec(
        IN, node("h1", "dense", units=8, activation="tanh"),
        node("h2", "dense", units=8, activation="tanh"),
        node("out", "dense", units=1, activation="sigmoid")),
    "relu_softmax_5_16_16_3": chain_spec(
        IN, node("h1", "dense", units=16, activation="relu"),
        node("h2", "dense", units=16, activation="relu"),
        node("out", "dense", units=3, activation="softmax")),
    "regression_3_8_2": chain_spec(
        IN, node("h1", "dense", units=8, activation="tanh"),
        node("out", "dense", units=2, activation="linear")),
    "batch_norm": chain_spec(
        IN, node("h1", "dense", units=8, activation="linear"),
        node("bn", "batch_norm", momentum=0.2, eps=1e-4),
        node("act", "activation", activation="relu"), node("bn2", "batch_norm"),
        node("out", "dense", units=3, activation="softmax")),
    # input -> d1 -> d2 (no bias) -> add(d2, d1) -> concatenate(with input) -> dropout(0) -> out
    "skip_dag": {
        "nodes": [IN, node("d1", "dense", units=6, activation="elu"),
                  node("d2", "dense", units=6, activation="tanh", bias=False),
                  node("sum", "add"), node("cat", "concatenate"),
                  node("drop", "dropout", rate=0.0),
                  node("out", "dense", units=2, activation="linear")],
        "edges": [["in", "d1"], ["d1", "d2"], ["d2", "sum"], ["d1", "sum"], ["sum", "cat"],
                  ["in", "cat"], ["cat", "drop"], ["drop", "out"]]},
}


def hidden_activation_spec(act):
    return chain_spec(IN, node("h1", "dense", units=8, activation=act),
                      node("h2", "dense", units=6, activation=act),
                      node("out", "dense", units=3, activation="softmax"))


@DTYPES
def test_tanh_sigmoid_bce_2_8_8_1(dtype):
    compare_with_torch(SPECS["tanh_sigmoid_2_8_8_1"], 2, 1, "binary_crossentropy", dtype,
                       seed=1)


@DTYPES
@pytest.mark.parametrize("loss_name", ["sparse_categorical_crossentropy",
                                       "categorical_crossentropy"])
def test_relu_softmax_crossentropy_5_16_16_3(dtype, loss_name):
    compare_with_torch(SPECS["relu_softmax_5_16_16_3"], 5, 3, loss_name, dtype, seed=2, n=24)


REGRESSION_LOSSES = [n for n in losses.names() if losses.get(n).task == "regression"]


@DTYPES
@pytest.mark.parametrize("loss_name", REGRESSION_LOSSES)
def test_regression_3_8_2(dtype, loss_name):
    compare_with_torch(SPECS["regression_3_8_2"], 3, 2, loss_name, dtype, seed=3)


@DTYPES
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_net(dtype, training):
    compare_with_torch(SPECS["batch_norm"], 4, 3, "sparse_categorical_crossentropy", dtype,
                       seed=4, training=training)


@DTYPES
def test_skip_connections_and_bias_free_dense(dtype):
    compare_with_torch(SPECS["skip_dag"], 3, 2, "huber", dtype, seed=5)


HIDDEN_ACTIVATIONS = [n for n in activations.names() if n != "softmax"]


@DTYPES
@pytest.mark.parametrize("act", HIDDEN_ACTIVATIONS)
def test_every_hidden_activation(dtype, act):
    compare_with_torch(hidden_activation_spec(act), 4, 3, "sparse_categorical_crossentropy",
                       dtype, seed=6)


@pytest.mark.parametrize("layer_type", layers.names())
def test_every_layer_type_is_in_a_parity_architecture(layer_type):
    used = {n["type"] for spec in SPECS.values() for n in spec["nodes"]}
    assert layer_type in used, f"add a torch parity architecture using {layer_type!r}"


# --------------------------------------------------------------------------- activations


def activation_grid(dtype):
    line = np.linspace(-60.0, 60.0, 241)
    special = [-1000.0, -500.0, -100.0, -20.0, -1e-8, 0.0, 1e-8, 19.999, 20.0, 20.001, 100.0,
               500.0, 1000.0, -3.3, 7.7]
    z = np.concatenate([line, special, np.random.default_rng(7).normal(scale=3, size=4)])
    return z.reshape(-1, 5).astype(dtype)  # rows of 5: softmax sees large gaps as well


def assert_pointwise(engine, reference, z, what, dtype):
    # relative to torch, with an absolute floor of a few ulps of max(1, |z|): where a
    # function underflows towards 0 (sigmoid(-60) ~ 1e-26) both are "0" at that scale
    eps = np.finfo(dtype).eps
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    engine = np.asarray(engine, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    assert np.all(np.isfinite(engine)), f"{what}: non-finite values"
    bound = rtol * np.abs(reference) + 4 * eps * np.maximum(1.0, np.abs(z.astype(np.float64)))
    bad = np.abs(engine - reference) > bound
    if bad.any():
        k = np.argwhere(bad)[0]
        k = tuple(k)
        raise AssertionError(f"{what}: at z={z[k]!r} engine {engine[k]!r} torch "
                             f"{reference[k]!r} ({int(bad.sum())} of {bad.size} off)")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", activations.names())
def test_activation_matches_torch(name, dtype):
    act = activations.get(name)
    f = torch_activation(act)
    z = activation_grid(dtype)
    g = np.random.default_rng(8).normal(size=z.shape).astype(dtype)

    zt = torch.from_numpy(z.copy()).requires_grad_(True)
    at = f(zt)
    a = act.forward(z.copy())
    assert a.dtype == dtype
    assert_pointwise(a, at.detach().numpy(), z, f"{name} forward", dtype)

    (vjp,) = torch.autograd.grad(at, zt, grad_outputs=torch.from_numpy(g), retain_graph=True)
    b = act.backward(g.copy(), z, a)
    assert b.dtype == dtype
    assert_pointwise(b, vjp.numpy(), z, f"{name} backward", dtype)

    # derivative: f'(z) elementwise; for softmax the Jacobian diagonal d a_ij / d z_ij
    diag = np.empty_like(z)
    for j in range(z.shape[1]):
        (col,) = torch.autograd.grad(at[:, j].sum(), zt, retain_graph=True)
        diag[:, j] = col.numpy()[:, j]
    if dtype == np.float64:
        assert_pointwise(act.derivative(z), diag, z, f"{name} derivative", dtype)
