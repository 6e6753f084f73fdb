"""engine.initializers: shapes, dtypes, seeding, the documented scales, torch.nn.init parity,
the activation -> initializer defaults, parameter checks, and weights built by a network.

Every test that walks the registry is parametrized over ``initializers.names()``; a name with
no entry in ``EXPECTED`` (or ``TORCH_EQUIVALENT``) fails, so a new initializer cannot slip in
untested.  The expected statistics are written from the formulas in ``torch.nn.init``'s
documentation (https://pytorch.org/docs/stable/nn.init.html), in torch's (fan_out, fan_in)
weight layout; they share no code with the engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

from engine import activations, initializers, network
from engine.registry import ConfigError, UnknownNameError

NAMES = initializers.names()

# A large, deliberately non-square matrix in torch's layout: 400 units fed by 300 inputs.
FAN_OUT, FAN_IN = 400, 300
BIG = (FAN_OUT, FAN_IN)

# Custom parameters for the parametrized initializers (the defaults are tested too).
CUSTOM = {
    "normal": {"mean": 0.3, "std": 0.2},
    "uniform": {"low": -0.2, "high": 0.6},
}

SQRT3 = math.sqrt(3.0)


@dataclass(frozen=True)
class Expect:
    """What a (fan_out, fan_in) matrix drawn by one initializer must look like.

    kind: "uniform" on [low, high], "normal" with mean and std, or "constant" equal to value.
    """

    kind: str
    mean: float = 0.0
    std: float = 0.0
    low: float = 0.0
    high: float = 0.0
    value: float = 0.0


def _uniform(low, high):
    return Expect("uniform", mean=(low + high) / 2, std=(high - low) / math.sqrt(12.0),
                  low=low, high=high)


def _sym_uniform(limit):
    return _uniform(-limit, limit)


def _normal(std, mean=0.0):
    return Expect("normal", mean=mean, std=std)


# name -> (fan_in, fan_out, params) -> Expect
EXPECTED = {
    "glorot_uniform": lambda fi, fo, p: _sym_uniform(math.sqrt(6.0 / (fi + fo))),
    "glorot_normal": lambda fi, fo, p: _normal(math.sqrt(2.0 / (fi + fo))),
    "he_uniform": lambda fi, fo, p: _sym_uniform(math.sqrt(6.0 / fi)),
    "he_normal": lambda fi, fo, p: _normal(math.sqrt(2.0 / fi)),
    "lecun_normal": lambda fi, fo, p: _normal(math.sqrt(1.0 / fi)),
    "zeros": lambda fi, fo, p: Expect("constant", value=0.0),
    "ones": lambda fi, fo, p: Expect("constant", value=1.0),
    "normal": lambda fi, fo, p: _normal(p.get("std", 0.05), p.get("mean", 0.0)),
    "uniform": lambda fi, fo, p: _uniform(p.get("low", -0.05), p.get("high", 0.05)),
}


def expected(name, fan_in=FAN_IN, fan_out=FAN_OUT, params=None) -> Expect:
    if name not in EXPECTED:
        pytest.fail(f"initializer {name!r} has no expected-statistics entry in EXPECTED; "
                    f"add one (its distribution as a function of fan_in, fan_out, params)")
    return EXPECTED[name](fan_in, fan_out, params or {})


def rng(seed=0):
    return np.random.default_rng(seed)


def check_statistics(w: np.ndarray, e: Expect, what: str) -> None:
    """Empirical statistics of ``w`` against ``e``; tolerances are many standard errors wide
    for the ~1e5 draws used here, yet far tighter than any wrong fan or formula."""
    w = np.asarray(w, dtype=np.float64).ravel()
    n = w.size
    if e.kind == "constant":
        assert np.all(w == e.value), f"{what}: expected every value == {e.value}"
        return
    mean, std = w.mean(), w.std()
    assert std == pytest.approx(e.std, rel=0.02), f"{what}: std {std} != {e.std}"
    assert abs(mean - e.mean) < 6 * e.std / math.sqrt(n) + 1e-12, (
        f"{what}: mean {mean} != {e.mean}")
    z = (w - e.mean) / e.std
    within_one = np.mean(np.abs(z) < 1)
    if e.kind == "uniform":
        width = e.high - e.low
        # float32 rounding may land a draw exactly on a bound; never beyond it.
        slack = 1e-6 * max(abs(e.low), abs(e.high), 1.0)
        assert w.min() >= e.low - slack, f"{what}: min {w.min()} below {e.low}"
        assert w.max() <= e.high + slack, f"{what}: max {w.max()} above {e.high}"
        assert w.min() < e.low + 0.001 * width, f"{what}: min {w.min()} far from {e.low}"
        assert w.max() > e.high - 0.001 * width, f"{what}: max {w.max()} far from {e.high}"
        # a uniform's mass within one std is 1/sqrt(3) = 0.577 (a normal's is 0.683)
        assert within_one == pytest.approx(1 / SQRT3, abs=0.01), f"{what}: not uniform"
    elif e.kind == "normal":
        assert within_one == pytest.approx(0.682689, abs=0.01), f"{what}: not normal"
        # untruncated: some draws lie beyond 3 std (0.27 % of them)
        assert np.mean(np.abs(z) > 3) == pytest.approx(0.0027, abs=0.0012), (
            f"{what}: tails of a normal expected")
    else:  # pragma: no cover - a typo in EXPECTED
        pytest.fail(f"unknown kind {e.kind!r}")


def params_of(name):
    return CUSTOM.get(name, {})


# --------------------------------------------------------------------------- table coverage


def test_expected_table_covers_exactly_the_registry():
    assert set(EXPECTED) == set(NAMES), (
        "EXPECTED must have one entry per registered initializer: "
        f"missing {sorted(set(NAMES) - set(EXPECTED))}, stale {sorted(set(EXPECTED) - set(NAMES))}")


# --------------------------------------------------------------------------- shape and dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3, 5), (1, 1), (7, 2), BIG])
@pytest.mark.parametrize("name", NAMES)
def test_shape_and_dtype(name, shape, dtype):
    expected(name)  # fails for a name missing from the table
    w = initializers.get(name)(shape, rng(), dtype)
    assert isinstance(w, np.ndarray)
    assert w.shape == shape
    assert w.dtype == np.dtype(dtype)
    assert np.all(np.isfinite(w))


@pytest.mark.parametrize("name", NAMES)
def test_dtype_defaults_to_float32(name):
    assert initializers.get(name)((4, 3), rng()).dtype == np.float32


@pytest.mark.parametrize("name", NAMES)
def test_returns_a_new_array_each_call(name):
    init = initializers.get(name)
    a = init((4, 3), rng(1))
    b = init((4, 3), rng(1))
    assert a is not b and not np.shares_memory(a, b)


# --------------------------------------------------------------------------- seeding


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", NAMES)
def test_same_seed_gives_same_weights_bit_for_bit(name, dtype):
    init = initializers.get(name, **params_of(name))
    a = init((50, 40), rng(123), dtype)
    b = init((50, 40), rng(123), dtype)
    assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("name", NAMES)
def test_different_seed_gives_different_weights(name):
    e = expected(name)
    init = initializers.get(name)
    a = init((50, 40), rng(1))
    b = init((50, 40), rng(2))
    if e.kind == "constant":
        assert np.array_equal(a, b)  # nothing random to differ
    else:
        assert not np.array_equal(a, b)
        # not a shifted copy either: most entries differ
        assert np.mean(a != b) > 0.99


@pytest.mark.parametrize("name", NAMES)
def test_draws_follow_the_generator_state(name):
    """Two calls on one generator continue its stream: a second layer gets new weights."""
    e = expected(name)
    init = initializers.get(name)
    g = rng(7)
    a = init((20, 10), g)
    b = init((20, 10), g)
    if e.kind != "constant":
        assert not np.array_equal(a, b)


# --------------------------------------------------------------------------- statistics


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", NAMES)
def test_statistics_match_the_formula(name, dtype):
    e = expected(name, FAN_IN, FAN_OUT)
    w = initializers.get(name)(BIG, rng(2024), dtype)
    check_statistics(w, e, f"{name} {BIG} {np.dtype(dtype).name}")


@pytest.mark.parametrize("name", NAMES)
def test_statistics_use_torch_fan_layout(name):
    """(fan_out, fan_in) = (100, 1200): a swapped fan_in/fan_out would be off by sqrt(12)."""
    shape = (100, 1200)
    e = expected(name, fan_in=1200, fan_out=100)
    check_statistics(initializers.get(name)(shape, rng(5)), e, f"{name} {shape}")


@pytest.mark.parametrize("name", sorted(CUSTOM))
def test_statistics_with_custom_parameters(name):
    params = CUSTOM[name]
    e = expected(name, params=params)
    w = initializers.get({"name": name, **params})(BIG, rng(11), np.float64)
    check_statistics(w, e, f"{name} {params}")


def test_normal_and_uniform_defaults_are_documented():
    assert initializers.get("normal").config() == {"mean": 0.0, "std": 0.05}
    assert initializers.get("uniform").config() == {"low": -0.05, "high": 0.05}


def test_degenerate_parameters_are_allowed():
    """std = 0 and low == high are constants, not errors."""
    w = initializers.get("normal", mean=0.25, std=0.0)((6, 4), rng())
    assert np.all(w == np.float32(0.25))
    w = initializers.get("uniform", low=0.5, high=0.5)((6, 4), rng())
    assert np.all(w == np.float32(0.5))


# --------------------------------------------------------------------------- torch parity

# name -> callable(torch, tensor, params) filling the tensor like torch.nn.init would
TORCH_EQUIVALENT = {
    "glorot_uniform": lambda t, w, p: t.nn.init.xavier_uniform_(w),
    "glorot_normal": lambda t, w, p: t.nn.init.xavier_normal_(w),
    "he_uniform": lambda t, w, p: t.nn.init.kaiming_uniform_(w, nonlinearity="relu"),
    "he_normal": lambda t, w, p: t.nn.init.kaiming_normal_(w, nonlinearity="relu"),
    "lecun_normal": lambda t, w, p: t.nn.init.kaiming_normal_(w, nonlinearity="linear"),
    "zeros": lambda t, w, p: t.nn.init.zeros_(w),
    "ones": lambda t, w, p: t.nn.init.ones_(w),
    "normal": lambda t, w, p: t.nn.init.normal_(w, mean=p.get("mean", 0.0),
                                                std=p.get("std", 0.05)),
    "uniform": lambda t, w, p: t.nn.init.uniform_(w, a=p.get("low", -0.05),
                                                  b=p.get("high", 0.05)),
}


@pytest.mark.torch
@pytest.mark.parametrize(
    "name, custom",
    [(n, False) for n in NAMES] + [(n, True) for n in sorted(CUSTOM)],
    ids=[n for n in NAMES] + [f"{n}-custom" for n in sorted(CUSTOM)])
def test_same_scale_as_torch_nn_init(name, custom):
    torch = pytest.importorskip("torch")
    if name not in TORCH_EQUIVALENT:
        pytest.fail(f"initializer {name!r} has no torch.nn.init equivalent in TORCH_EQUIVALENT")
    params = CUSTOM[name] if custom else {}
    torch.manual_seed(0)
    ref = TORCH_EQUIVALENT[name](torch, torch.empty(BIG, dtype=torch.float64), params)
    ref = ref.numpy()
    ours = initializers.get({"name": name, **params})(BIG, rng(0), np.float64)
    if expected(name).kind == "constant":
        assert np.array_equal(ours, ref)
        return
    assert ours.std() == pytest.approx(ref.std(), rel=0.03)
    assert ours.mean() == pytest.approx(ref.mean(), abs=0.03 * ref.std())
    # same support: uniform bounds, or (for normals) comparable extremes
    assert np.abs(ours).max() == pytest.approx(np.abs(ref).max(), rel=0.15)
    # same shape of distribution
    for q in (0.05, 0.25, 0.5, 0.75, 0.95):
        assert np.quantile(ours, q) == pytest.approx(np.quantile(ref, q),
                                                     abs=0.03 * ref.std()), q


# --------------------------------------------------------------------------- defaults per activation

# How every activation's default initializer is chosen (family, per the brief and the docstring
# of Activation.default_initializer): He for the ReLU family, LeCun normal for SELU, Glorot for
# saturating / linear outputs.
ACTIVATION_FAMILY = {
    "sigmoid": "glorot",
    "tanh": "glorot",
    "relu": "he",
    "leaky_relu": "he",
    "elu": "he",
    "swish": "he",
    "gelu": "he",
    "softplus": "he",
    "selu": "lecun_normal",
    "linear": "glorot",
    "softmax": "glorot",
}


@pytest.mark.parametrize("activation", activations.names())
def test_default_for_every_activation_is_registered(activation):
    name = initializers.default_for(activation)
    assert name in NAMES, f"default_for({activation!r}) = {name!r} is not registered"
    assert isinstance(initializers.get(name), initializers.Initializer)
    assert activations.get(activation).default_initializer == name


@pytest.mark.parametrize("activation", activations.names())
def test_default_for_follows_the_family(activation):
    if activation not in ACTIVATION_FAMILY:
        pytest.fail(f"activation {activation!r} has no entry in ACTIVATION_FAMILY")
    family = ACTIVATION_FAMILY[activation]
    name = initializers.default_for(activation)
    if family == "he":
        assert name in ("he_uniform", "he_normal"), (activation, name)
    elif family == "glorot":
        assert name in ("glorot_uniform", "glorot_normal"), (activation, name)
    else:
        assert name == family, (activation, name)


def test_activation_family_table_is_not_stale():
    assert set(ACTIVATION_FAMILY) == set(activations.names())


@pytest.mark.parametrize("spelled, canonical", [("ReLU", "relu"), ("SELU", "selu"),
                                                ("silu", "swish"), (" Tanh ", "tanh"),
                                                ("logistic", "sigmoid")])
def test_default_for_accepts_aliases_and_any_case(spelled, canonical):
    assert initializers.default_for(spelled) == initializers.default_for(canonical)


def test_default_for_unknown_activation_raises():
    with pytest.raises(UnknownNameError) as info:
        initializers.default_for("relux")
    assert "relux" in str(info.value)


# --------------------------------------------------------------------------- bad parameters


@pytest.mark.parametrize("std", [-0.1, -1e-12, float("nan")])
def test_normal_negative_std_raises(std):
    with pytest.raises(ValueError, match="std"):
        initializers.get("normal", std=std)
    with pytest.raises(ValueError, match="std"):
        initializers.get({"name": "normal", "std": std})


@pytest.mark.parametrize("low, high", [(0.1, -0.1), (1.0, 0.999), (float("nan"), 1.0)])
def test_uniform_low_above_high_raises(low, high):
    with pytest.raises(ValueError, match="low"):
        initializers.get("uniform", low=low, high=high)
    with pytest.raises(ValueError, match="low"):
        initializers.get({"name": "uniform", "low": low, "high": high})


def test_bad_parameter_errors_name_the_value():
    with pytest.raises(ValueError) as info:
        initializers.get("normal", std=-0.25)
    assert "-0.25" in str(info.value)
    with pytest.raises(ValueError) as info:
        initializers.get("uniform", low=0.75, high=-0.5)
    assert "0.75" in str(info.value) and "-0.5" in str(info.value)


@pytest.mark.parametrize("name", NAMES)
def test_unknown_parameter_raises_config_error(name):
    with pytest.raises(ConfigError, match="gain"):
        initializers.get(name, gain=2.0)


# --------------------------------------------------------------------------- through a network


def dense_spec(initializer, units=FAN_OUT, activation="linear"):
    return {
        "nodes": [
            {"id": "in", "type": "input", "config": {}},
            {"id": "h", "type": "dense",
             "config": {"units": units, "activation": activation, "initializer": initializer}},
            {"id": "out", "type": "dense", "config": {"units": 1, "activation": "linear"}},
        ],
        "edges": [["in", "h"], ["h", "out"]],
    }


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_network_dense_weights_follow_the_initializer(name, dtype):
    e = expected(name)
    net = network.build(dense_spec(name), n_features=FAN_IN, seed=3, dtype=dtype)
    params = net.parameters()
    w, b = params["h.weight"], params["h.bias"]
    assert w.shape == BIG  # torch.nn.Linear layout (units, in)
    assert w.dtype == np.dtype(dtype)
    check_statistics(w, e, f"network dense {name} {dtype}")
    assert b.shape == (FAN_OUT,)
    assert np.all(b == 0), "the bias starts at zero"


@pytest.mark.parametrize("name", sorted(CUSTOM))
def test_network_dense_initializer_config_with_parameters(name):
    params = CUSTOM[name]
    net = network.build(dense_spec({"name": name, **params}), n_features=FAN_IN, seed=3,
                        dtype="float64")
    check_statistics(net.parameters()["h.weight"], expected(name, params=params),
                     f"network dense {name} {params}")
    assert np.all(net.parameters()["h.bias"] == 0)


@pytest.mark.parametrize("name", NAMES)
def test_network_initialization_is_seeded(name):
    e = expected(name)
    spec = dense_spec(name, units=20)
    a = network.build(spec, n_features=10, seed=1).parameters()["h.weight"].copy()
    b = network.build(spec, n_features=10, seed=1).parameters()["h.weight"].copy()
    c = network.build(spec, n_features=10, seed=2).parameters()["h.weight"].copy()
    assert a.tobytes() == b.tobytes()
    if e.kind == "constant":
        assert np.array_equal(a, c)
    else:
        assert not np.array_equal(a, c)


@pytest.mark.parametrize("activation", activations.names())
def test_network_dense_without_initializer_uses_the_activation_default(activation):
    """No initializer in the config: the weights have the scale of default_for(activation)."""
    default = initializers.default_for(activation)
    net = network.build(dense_spec(None, activation=activation), n_features=FAN_IN, seed=4)
    check_statistics(net.parameters()["h.weight"], expected(default),
                     f"dense({activation}) default {default}")
    assert np.all(net.parameters()["h.bias"] == 0)
