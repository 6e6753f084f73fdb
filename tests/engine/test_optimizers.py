"""engine.optimizers against torch.optim: hand-computed first steps from the documented
formulas, torch's defaults, a step-by-step cross-check with torch, errors, configs and dtypes.

The references below are transcriptions of the pseudo-code in torch.optim's documentation
(https://pytorch.org/docs/stable/optim.html, one page per algorithm), written element by
element with plain Python floats and ``math``; they share no code with the engine.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from engine import optimizers
from engine.registry import ConfigError, UnknownNameError

NAMES = optimizers.names()

P0 = [1.0, -2.0, 0.5]
GRADS = [[0.1, -0.2, 0.3], [-0.4, 0.5, 0.25], [0.3, 0.1, -0.6]]

# --------------------------------------------------------------------------- torch defaults
# As documented for torch.optim (2.x); beta1/beta2 are torch's ``betas``.
_SGD = dict(lr=1e-3, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0)
_ADAM = dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0)
TORCH_DEFAULTS = {
    "sgd": _SGD,
    "gd": _SGD,
    "momentum": {**_SGD, "momentum": 0.9},
    "nag": {**_SGD, "momentum": 0.9, "nesterov": True},
    "adagrad": dict(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                    eps=1e-10),
    "rmsprop": dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                    centered=False),
    "adadelta": dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0),
    "adam": _ADAM,
    "adamw": {**_ADAM, "weight_decay": 1e-2},
    "nadam": {**_ADAM, "lr": 2e-3, "momentum_decay": 4e-3, "decoupled_weight_decay": False},
}

# The torch.optim class each engine optimizer reproduces.
TORCH_CLASS = {
    "sgd": "SGD", "gd": "SGD", "momentum": "SGD", "nag": "SGD", "adagrad": "Adagrad",
    "rmsprop": "RMSprop", "adadelta": "Adadelta", "adam": "Adam", "adamw": "AdamW",
    "nadam": "NAdam",
}


# --------------------------------------------------------------------------- references


def _ref_sgd(p, grads, lr, momentum, dampening, nesterov, weight_decay):
    p, b, out = list(p), None, []
    for t, g in enumerate(grads, start=1):
        g = list(g)
        if weight_decay != 0:
            g = [gi + weight_decay * pi for gi, pi in zip(g, p)]
        if momentum != 0:
            if t > 1:
                b = [momentum * bi + (1 - dampening) * gi for bi, gi in zip(b, g)]
            else:
                b = list(g)
            if nesterov:
                g = [gi + momentum * bi for gi, bi in zip(g, b)]
            else:
                g = list(b)
        p = [pi - lr * gi for pi, gi in zip(p, g)]
        out.append(p)
    return out


def _ref_adagrad(p, grads, lr, lr_decay, weight_decay, initial_accumulator_value, eps):
    p, out = list(p), []
    state_sum = [initial_accumulator_value] * len(p)
    for t, g in enumerate(grads, start=1):
        clr = lr / (1 + (t - 1) * lr_decay)
        g = list(g)
        if weight_decay != 0:
            g = [gi + weight_decay * pi for gi, pi in zip(g, p)]
        state_sum = [s + gi * gi for s, gi in zip(state_sum, g)]
        p = [pi - clr * gi / (math.sqrt(s) + eps) for pi, gi, s in zip(p, g, state_sum)]
        out.append(p)
    return out


def _ref_rmsprop(p, grads, lr, alpha, eps, weight_decay, momentum, centered):
    n = len(p)
    p, v, b, g_ave, out = list(p), [0.0] * n, [0.0] * n, [0.0] * n, []
    for g in grads:
        g = list(g)
        if weight_decay != 0:
            g = [gi + weight_decay * pi for gi, pi in zip(g, p)]
        v = [alpha * vi + (1 - alpha) * gi ** 2 for vi, gi in zip(v, g)]
        v_tilde = list(v)
        if centered:
            g_ave = [ga * alpha + (1 - alpha) * gi for ga, gi in zip(g_ave, g)]
            v_tilde = [vt - ga ** 2 for vt, ga in zip(v_tilde, g_ave)]
        if momentum > 0:
            b = [momentum * bi + gi / (math.sqrt(vt) + eps) for bi, gi, vt in zip(b, g, v_tilde)]
            p = [pi - lr * bi for pi, bi in zip(p, b)]
        else:
            p = [pi - lr * gi / (math.sqrt(vt) + eps) for pi, gi, vt in zip(p, g, v_tilde)]
        out.append(p)
    return out


def _ref_adadelta(p, grads, lr, rho, eps, weight_decay):
    n = len(p)
    p, v, u, out = list(p), [0.0] * n, [0.0] * n, []
    for g in grads:
        g = list(g)
        if weight_decay != 0:
            g = [gi + weight_decay * pi for gi, pi in zip(g, p)]
        v = [vi * rho + gi ** 2 * (1 - rho) for vi, gi in zip(v, g)]
        dx = [math.sqrt(ui + eps) / math.sqrt(vi + eps) * gi for ui, vi, gi in zip(u, v, g)]
        u = [ui * rho + d ** 2 * (1 - rho) for ui, d in zip(u, dx)]
        p = [pi - lr * d for pi, d in zip(p, dx)]
        out.append(p)
    return out


def _ref_adam(p, grads, lr, beta1, beta2, eps, weight_decay, decoupled=False):
    n = len(p)
    p, m, v, out = list(p), [0.0] * n, [0.0] * n, []
    for t, g in enumerate(grads, start=1):
        g = list(g)
        if decoupled:  # AdamW: theta <- theta - gamma lambda theta
            p = [pi - lr * weight_decay * pi for pi in p]
        elif weight_decay != 0:
            g = [gi + weight_decay * pi for gi, pi in zip(g, p)]
        m = [beta1 * mi + (1 - beta1) * gi for mi, gi in zip(m, g)]
        v = [beta2 * vi + (1 - beta2) * gi ** 2 for vi, gi in zip(v, g)]
        m_hat = [mi / (1 - beta1 ** t) for mi in m]
        v_hat = [vi / (1 - beta2 ** t) for vi in v]
        p = [pi - lr * mh / (math.sqrt(vh) + eps) for pi, mh, vh in zip(p, m_hat, v_hat)]
        out.append(p)
    return out


def _ref_adamw(p, grads, **hp):
    return _ref_adam(p, grads, decoupled=True, **hp)


def _ref_nadam(p, grads, lr, beta1, beta2, eps, weight_decay, momentum_decay,
               decoupled_weight_decay):
    n = len(p)
    p, m, v, out = list(p), [0.0] * n, [0.0] * n, []

    def mu(t):
        return beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))

    for t, g in enumerate(grads, start=1):
        g = list(g)
        if weight_decay != 0:
            if decoupled_weight_decay:
                p = [pi - lr * weight_decay * pi for pi in p]
            else:
                g = [gi + weight_decay * pi for gi, pi in zip(g, p)]
        mu_t, mu_next = mu(t), mu(t + 1)
        prod_t = math.prod(mu(i) for i in range(1, t + 1))
        prod_next = math.prod(mu(i) for i in range(1, t + 2))
        m = [beta1 * mi + (1 - beta1) * gi for mi, gi in zip(m, g)]
        v = [beta2 * vi + (1 - beta2) * gi ** 2 for vi, gi in zip(v, g)]
        m_hat = [mu_next * mi / (1 - prod_next) + (1 - mu_t) * gi / (1 - prod_t)
                 for mi, gi in zip(m, g)]
        v_hat = [vi / (1 - beta2 ** t) for vi in v]
        p = [pi - lr * mh / (math.sqrt(vh) + eps) for pi, mh, vh in zip(p, m_hat, v_hat)]
        out.append(p)
    return out


_SGD_SETS = [
    dict(lr=0.1, momentum=0.8, dampening=0.3, weight_decay=0.05),
    dict(lr=0.05, momentum=0.7, nesterov=True, weight_decay=0.1),
    dict(lr=0.2, weight_decay=0.1),
]
# name -> (reference, non-default hyper-parameter sets); the defaults are always checked too.
REFERENCES = {
    "sgd": (_ref_sgd, _SGD_SETS),
    "gd": (_ref_sgd, _SGD_SETS),
    "momentum": (_ref_sgd, [dict(lr=0.1, momentum=0.5, dampening=0.5),
                            dict(lr=0.03, nesterov=True, weight_decay=0.01)]),
    "nag": (_ref_sgd, [dict(lr=0.1, momentum=0.6, weight_decay=0.02)]),
    "adagrad": (_ref_adagrad, [dict(lr=0.1, lr_decay=0.5, initial_accumulator_value=0.2,
                                    weight_decay=0.1, eps=1e-3)]),
    "rmsprop": (_ref_rmsprop, [dict(lr=0.05, alpha=0.9, eps=1e-4, weight_decay=0.1,
                                    momentum=0.5, centered=True),
                               dict(centered=True), dict(momentum=0.9)]),
    "adadelta": (_ref_adadelta, [dict(lr=0.5, rho=0.5, eps=1e-3, weight_decay=0.1)]),
    "adam": (_ref_adam, [dict(lr=0.01, beta1=0.8, beta2=0.9, eps=1e-4, weight_decay=0.1)]),
    "adamw": (_ref_adamw, [dict(lr=0.1, beta1=0.5, beta2=0.75, weight_decay=0.5)]),
    "nadam": (_ref_nadam, [dict(lr=0.01, beta1=0.8, weight_decay=0.1, momentum_decay=0.1),
                           dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)]),
}


def _sets(name):
    """Hyper-parameter sets checked for ``name``: the defaults, then the non-default ones."""
    return [{}] + list(REFERENCES[name][1]) if name in REFERENCES else [{}]


CASES = [pytest.param(name, i, id=f"{name}-{i}") for name in NAMES
         for i in range(len(_sets(name)))]


def _run(opt, p0, grads, dtype=np.float64):
    """Params after each step (copies); ``grads`` are copied since ``step`` may overwrite."""
    p = np.array(p0, dtype=dtype)
    out = []
    for g in grads:
        opt.step(p, np.array(g, dtype=dtype))
        out.append(p.copy())
    return p, out


# --------------------------------------------------------------------------- hand-computed


def test_every_optimizer_has_reference_defaults_and_torch_class():
    missing = [n for n in NAMES if n not in REFERENCES or n not in TORCH_DEFAULTS
               or n not in TORCH_CLASS]
    assert not missing, f"add a hand-computed reference / torch default / torch class for {missing}"


@pytest.mark.parametrize("name,case", CASES)
def test_first_three_steps_match_documented_formula(name, case):
    assert name in REFERENCES, f"no hand-computed reference for optimizer {name!r}"
    hp = _sets(name)[case]
    ref, _ = REFERENCES[name]
    expected = ref(P0, GRADS, **{**TORCH_DEFAULTS[name], **hp})
    opt = optimizers.get(name, **hp)
    p, got = _run(opt, P0, GRADS)
    assert p.dtype == np.float64
    assert opt.step_count == 3
    for t, (g, e) in enumerate(zip(got, expected), start=1):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12,
                                   err_msg=f"{name} {hp} after step {t}")
    # the reference really moved: the steps are not trivially zero
    assert not np.allclose(expected[-1], P0, rtol=0, atol=1e-7)


def test_sgd_momentum_dampening_worked_by_hand():
    # momentum 0.5, dampening 0.5, lr 0.1 on one coordinate, g = 1, 2, 4:
    # b1 = 1; p1 = 1 - 0.1 = 0.9
    # b2 = 0.5 * 1 + 0.5 * 2 = 1.5; p2 = 0.9 - 0.15 = 0.75
    # b3 = 0.5 * 1.5 + 0.5 * 4 = 2.75; p3 = 0.75 - 0.275 = 0.475
    opt = optimizers.get("sgd", lr=0.1, momentum=0.5, dampening=0.5)
    _, got = _run(opt, [1.0], [[1.0], [2.0], [4.0]])
    np.testing.assert_allclose(np.concatenate(got), [0.9, 0.75, 0.475], rtol=1e-12)


def test_adam_first_step_is_lr_times_sign():
    # bias correction makes the first Adam step lr * g / (|g| + eps') = lr * sign(g)
    opt = optimizers.get("adam", lr=0.01)
    p, _ = _run(opt, P0, GRADS[:1])
    expected = [pi - 0.01 * gi / (abs(gi) + 1e-8) for pi, gi in zip(P0, GRADS[0])]
    np.testing.assert_allclose(p, expected, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- defaults


@pytest.mark.parametrize("name", NAMES)
def test_defaults_are_torchs(name):
    assert name in TORCH_DEFAULTS, f"no torch default table entry for {name!r}"
    opt = optimizers.get(name)
    assert opt.config() == TORCH_DEFAULTS[name]
    declared = optimizers.OPTIMIZERS.parameters(name)
    assert declared == TORCH_DEFAULTS[name]
    assert opt.step_count == 0
    assert opt.full_batch is (name == "gd")


def test_named_defaults():
    get = optimizers.get
    assert (get("adam").lr, get("adam").beta1, get("adam").beta2, get("adam").eps) == (
        1e-3, 0.9, 0.999, 1e-8)
    assert (get("nadam").lr, get("nadam").momentum_decay) == (2e-3, 4e-3)
    assert (get("adagrad").lr, get("adagrad").eps) == (1e-2, 1e-10)
    assert (get("rmsprop").lr, get("rmsprop").alpha, get("rmsprop").eps) == (1e-2, 0.99, 1e-8)
    assert (get("adadelta").lr, get("adadelta").rho, get("adadelta").eps) == (1.0, 0.9, 1e-6)
    assert get("adamw").weight_decay == 1e-2 and get("adam").weight_decay == 0.0
    assert get("sgd").lr == 1e-3 and get("sgd").momentum == 0.0
    assert get("momentum").momentum == 0.9 and get("nag").momentum == 0.9
    assert get("nag").nesterov is True and get("momentum").nesterov is False


@pytest.mark.torch
@pytest.mark.parametrize("name", NAMES)
def test_default_table_matches_torch_signature(name):
    torch = pytest.importorskip("torch")
    import inspect

    assert name in TORCH_CLASS, f"no torch class for {name!r}"
    sig = inspect.signature(getattr(torch.optim, TORCH_CLASS[name]).__init__).parameters
    ours = _torch_kwargs(TORCH_DEFAULTS[name])
    torch_defaults = {k: sig[k].default for k in ours}
    if name in ("momentum", "nag"):  # torch spells these SGD(momentum=0.9[, nesterov=True])
        torch_defaults.update(momentum=0.9, nesterov=name == "nag")
    assert ours == torch_defaults


# --------------------------------------------------------------------------- torch


def _torch_kwargs(config):
    """torch.optim keyword arguments for an engine config (torch takes ``betas`` as a pair)."""
    kw = dict(config)
    if "beta1" in kw:
        kw["betas"] = (kw.pop("beta1"), kw.pop("beta2"))
    return kw


@pytest.fixture
def torch_f64_scalars():
    """torch keeps scalar state (``step``, NAdam's ``mu_product``) in the default dtype; make
    that float64 so the float64 comparison is not limited by torch's own float32 scalars."""
    torch = pytest.importorskip("torch")
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(old)


def _torch_vs_engine(torch, name, hp, dtype, steps=20, size=37, seed=0, lr_change=None):
    rng = np.random.default_rng(seed)
    p0 = rng.standard_normal(size).astype(dtype)
    grads = [rng.standard_normal(size).astype(dtype) for _ in range(steps)]
    opt = optimizers.get(name, **hp)
    tp = torch.nn.Parameter(torch.from_numpy(p0.copy()))
    topt = getattr(torch.optim, TORCH_CLASS[name])(
        [tp], foreach=False, **_torch_kwargs(opt.config()))
    p = p0.copy()
    for i, g in enumerate(grads):
        if lr_change is not None and i == steps // 2:
            opt.lr = lr_change
            topt.param_groups[0]["lr"] = lr_change
        opt.step(p, g.copy())
        tp.grad = torch.from_numpy(g.copy())
        topt.step()
    return opt, p, topt, tp.detach().numpy()


TORCH_SETS = [pytest.param(name, i, id=f"{name}-{i}") for name in NAMES
              for i in range(min(2, len(_sets(name))))]


@pytest.mark.torch
@pytest.mark.parametrize("name,case", TORCH_SETS)
def test_matches_torch_float64(name, case, torch_f64_scalars):
    torch = torch_f64_scalars
    hp = _sets(name)[case]
    opt, p, topt, tp = _torch_vs_engine(torch, name, hp, np.float64)
    assert p.dtype == np.float64
    np.testing.assert_allclose(p, tp, rtol=1e-12, atol=1e-12)
    tstate = topt.state[topt.param_groups[0]["params"][0]]
    assert opt.step_count == 20
    if "step" in tstate:  # torch's SGD keeps no step count
        assert int(tstate["step"]) == 20
    tensors = {k for k, v in tstate.items() if torch.is_tensor(v) and v.ndim == 1}
    assert set(opt.state()) == tensors
    for key, value in opt.state().items():
        np.testing.assert_allclose(value, tstate[key].numpy(), rtol=1e-12, atol=1e-12,
                                   err_msg=key)


@pytest.mark.torch
@pytest.mark.parametrize("name,case", TORCH_SETS)
def test_matches_torch_float32(name, case):
    torch = pytest.importorskip("torch")
    hp = _sets(name)[case]
    opt, p, topt, tp = _torch_vs_engine(torch, name, hp, np.float32)
    assert p.dtype == np.float32 and tp.dtype == np.float32
    np.testing.assert_allclose(p, tp, rtol=1e-6, atol=1e-6)


@pytest.mark.torch
@pytest.mark.parametrize("name", NAMES)
def test_lr_changed_between_steps_matches_torch(name, torch_f64_scalars):
    hp = _sets(name)[-1]
    _, p, _, tp = _torch_vs_engine(torch_f64_scalars, name, hp, np.float64,
                                   lr_change=0.3 * (hp.get("lr") or TORCH_DEFAULTS[name]["lr"]))
    np.testing.assert_allclose(p, tp, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- errors


def _numeric_params(name):
    return [k for k, v in TORCH_DEFAULTS.get(name, {}).items() if not isinstance(v, bool)]


def _label(param):
    return r"lr|learning rate" if param == "lr" else param


BAD = [pytest.param(name, param, value, id=f"{name}-{param}={value}")
       for name in NAMES for param in _numeric_params(name)
       for value in (-1.0, float("nan"))]


@pytest.mark.parametrize("name,param,value", BAD)
def test_negative_or_nan_hyper_parameter_raises_naming_it(name, param, value):
    with pytest.raises(ValueError, match=_label(param)):
        optimizers.get(name, **{param: value})


@pytest.mark.parametrize("name", NAMES)
def test_negative_and_nan_lr(name):
    for value in (-1e-3, float("nan")):
        with pytest.raises(ValueError, match=r"lr|learning rate"):
            optimizers.get(name, lr=value)


@pytest.mark.parametrize("name", [n for n in NAMES if "beta1" in TORCH_DEFAULTS.get(n, {})])
@pytest.mark.parametrize("param", ["beta1", "beta2"])
def test_beta_of_one_raises(name, param):
    with pytest.raises(ValueError, match=param):
        optimizers.get(name, **{param: 1.0})
    with pytest.raises(ValueError, match=param):
        optimizers.get(name, **{param: 1.5})
    optimizers.get(name, **{param: 0.0})  # 0 <= beta < 1 as torch


@pytest.mark.parametrize("name", [n for n in NAMES if "eps" in TORCH_DEFAULTS.get(n, {})])
def test_negative_eps_raises(name):
    with pytest.raises(ValueError, match="eps"):
        optimizers.get(name, eps=-1e-8)


def test_rho_above_one_raises():
    with pytest.raises(ValueError, match="rho"):
        optimizers.get("adadelta", rho=1.5)


@pytest.mark.parametrize("name", [n for n in NAMES if "nesterov" in TORCH_DEFAULTS.get(n, {})])
def test_nesterov_needs_momentum_and_no_dampening(name):
    with pytest.raises(ValueError, match="(?i)nesterov"):
        optimizers.get(name, nesterov=True, momentum=0.0)
    with pytest.raises(ValueError, match="(?i)nesterov"):
        optimizers.get(name, nesterov=True, momentum=0.9, dampening=0.5)


def test_unknown_name_lists_valid_names():
    with pytest.raises(UnknownNameError) as info:
        optimizers.get("adamm")
    assert isinstance(info.value, ValueError)
    assert "adamm" in str(info.value)
    for name in NAMES:
        assert name in str(info.value)
    assert info.value.valid == NAMES
    with pytest.raises(UnknownNameError):
        optimizers.get({"name": "lbfgs"})


@pytest.mark.parametrize("name", NAMES)
def test_unknown_parameter_is_config_error(name):
    with pytest.raises(ConfigError, match="betas"):
        optimizers.get(name, betas=(0.9, 0.99))
    with pytest.raises(ConfigError, match="momentun"):
        optimizers.get({"name": name, "momentun": 0.9})
    with pytest.raises(ConfigError):
        optimizers.get({"lr": 0.1})


# --------------------------------------------------------------------------- configs


@pytest.mark.parametrize("name,case", CASES)
def test_config_round_trip(name, case):
    opt = optimizers.get(name, **_sets(name)[case])
    config = optimizers.OPTIMIZERS.to_config(opt)
    assert config["name"] == name
    again = optimizers.get(json.loads(json.dumps(config)))
    assert type(again) is type(opt)
    assert optimizers.OPTIMIZERS.to_config(again) == config
    # same config, same numbers
    np.testing.assert_array_equal(_run(again, P0, GRADS)[0], _run(opt, P0, GRADS)[0])


def test_aliases_and_instances():
    assert optimizers.get("nesterov").name == "nag"
    assert optimizers.get("batch_gd").name == "gd"
    assert optimizers.get(" Adam ").name == "adam"
    opt = optimizers.get("adam", lr=0.5)
    assert optimizers.get(opt) is opt
    other = optimizers.get(opt, lr=0.1)
    assert other is not opt and other.lr == 0.1 and other.beta1 == opt.beta1


# --------------------------------------------------------------------------- dtypes, state


@pytest.mark.parametrize("name,case", CASES)
def test_float32_params_keep_float32_state(name, case):
    opt = optimizers.get(name, **_sets(name)[case])
    p = np.array(P0, dtype=np.float32)
    before = p.copy()
    buffer = p
    for g in GRADS:
        opt.step(p, np.array(g, dtype=np.float32))
    assert p is buffer and p.dtype == np.float32
    assert not np.array_equal(p, before)  # updated in place
    for key, value in opt.state().items():
        assert value.dtype == np.float32, (key, value.dtype)
        assert value.shape == p.shape, key
        assert np.isfinite(value).all(), key
    # and the float32 result agrees with float64 to float32 precision
    p64, _ = _run(optimizers.get(name, **_sets(name)[case]), P0, GRADS)
    np.testing.assert_allclose(p, p64, rtol=1e-5, atol=1e-6)


def test_state_arrays_appear_as_configured():
    p, g = np.array(P0), np.array(GRADS[0])
    expected = {
        ("sgd", ()): set(), ("momentum", ()): {"momentum_buffer"},
        ("rmsprop", ()): {"square_avg"},
        ("rmsprop", (("centered", True), ("momentum", 0.5))):
            {"square_avg", "grad_avg", "momentum_buffer"},
        ("adagrad", ()): {"sum"}, ("adadelta", ()): {"square_avg", "acc_delta"},
        ("adam", ()): {"exp_avg", "exp_avg_sq"}, ("nadam", ()): {"exp_avg", "exp_avg_sq"},
    }
    for (name, hp), keys in expected.items():
        opt = optimizers.get(name, **dict(hp))
        opt.step(p.copy(), g.copy())
        assert set(opt.state()) == keys, name


@pytest.mark.parametrize("name", NAMES)
def test_state_is_empty_before_first_step_and_after_reset(name):
    hp = _sets(name)[-1]
    opt = optimizers.get(name, **hp)
    assert opt.state() == {}
    assert opt.step_count == 0
    opt.step(np.array(P0), np.array(GRADS[0]))
    opt.reset()
    assert opt.state() == {}
    assert opt.step_count == 0


@pytest.mark.parametrize("name", NAMES)
def test_other_size_raises_until_reset(name):
    hp = _sets(name)[-1]
    opt = optimizers.get(name, **hp)
    opt.step(np.array(P0), np.array(GRADS[0]))
    bigger = np.array(P0 + [0.25])
    for _ in range(2):  # still refused the second time
        with pytest.raises(ValueError, match="reset"):
            opt.step(bigger, np.ones(4))
        np.testing.assert_array_equal(bigger, P0 + [0.25])  # untouched
        assert opt.step_count == 1
    opt.reset()
    grads4 = [g + [0.5] for g in GRADS]
    p, _ = _run(opt, bigger, grads4)
    assert opt.step_count == 3
    fresh, _ = _run(optimizers.get(name, **hp), bigger, grads4)
    np.testing.assert_array_equal(p, fresh)  # reset forgets everything (moments, products)


@pytest.mark.parametrize("name", NAMES)
def test_same_size_after_reset_replays_identically(name):
    hp = _sets(name)[-1]
    opt = optimizers.get(name, **hp)
    first, _ = _run(opt, P0, GRADS)
    opt.reset()
    second, _ = _run(opt, P0, GRADS)
    np.testing.assert_array_equal(first, second)
