"""engine.schedules against torch.optim.lr_scheduler over 30 epochs, hand-computed closed
forms and plateau traces (these need no torch), configs and parameter errors."""

from __future__ import annotations

import json
import math

import pytest

from engine import schedules
from engine.registry import ConfigError, UnknownNameError

NAMES = schedules.names()
EPOCHS = 30

# A monitored loss with improvements, exact plateaus, improvements smaller than the
# threshold, a worsening, and a long final plateau that drives the rate down to min_lr.
PLATEAUS = [1.0, 0.8, 0.7, 0.7, 0.7, 0.7, 0.695, 0.69, 0.6, 0.6,
            0.61, 0.6, 0.6, 0.6, 0.6, 0.6, 0.5, 0.5, 0.5, 0.5,
            0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
FLAT = [1.0] * (EPOCHS + 1)
NOISY = [1.0, 0.9, 0.95, 0.85, 0.86, 0.87, 0.8, 0.81, 0.82, 0.83,
         0.79, 0.795, 0.78, 0.9, 0.9, 0.9, 0.9, 0.7, 0.71, 0.69,
         0.69, 0.69, 0.69, 0.69, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]


def _torch_factories():
    torch = pytest.importorskip("torch")
    sched = torch.optim.lr_scheduler
    # name -> [(engine config, torch factory(optimizer), base lr, monitored or None)]
    return torch, {
        "constant": [({}, lambda o: sched.LambdaLR(o, lambda e: 1.0), 0.1, None)],
        "step": [
            ({}, lambda o: sched.StepLR(o, step_size=10), 0.1, None),
            ({"step_size": 7, "gamma": 0.5}, lambda o: sched.StepLR(o, 7, gamma=0.5), 0.3, None),
            ({"step_size": 1, "gamma": 0.9}, lambda o: sched.StepLR(o, 1, gamma=0.9), 1.0, None),
        ],
        "exponential": [
            ({}, lambda o: sched.ExponentialLR(o, gamma=0.95), 0.1, None),
            ({"gamma": 0.8}, lambda o: sched.ExponentialLR(o, gamma=0.8), 0.01, None),
        ],
        "cosine": [
            ({"t_max": 10, "eta_min": 1e-3},
             lambda o: sched.CosineAnnealingLR(o, T_max=10, eta_min=1e-3), 0.1, None),
            ({"t_max": 30}, lambda o: sched.CosineAnnealingLR(o, T_max=30), 0.05, None),
            ({"t_max": 7, "eta_min": 0.01},
             lambda o: sched.CosineAnnealingLR(o, T_max=7, eta_min=0.01), 1.0, None),
            ({}, lambda o: sched.CosineAnnealingLR(o, T_max=50), 0.1, None),
        ],
        "reduce_on_plateau": [
            ({"factor": 0.5, "patience": 2, "threshold": 1e-2, "cooldown": 3, "min_lr": 0.02},
             lambda o: sched.ReduceLROnPlateau(o, factor=0.5, patience=2, threshold=1e-2,
                                               cooldown=3, min_lr=0.02), 0.1, PLATEAUS),
            ({}, lambda o: sched.ReduceLROnPlateau(o), 0.1, FLAT),
            ({"patience": 0, "cooldown": 1},
             lambda o: sched.ReduceLROnPlateau(o, patience=0, cooldown=1), 1e-6, FLAT),
            ({"factor": 0.7, "patience": 1, "threshold": 0.0, "min_lr": 1e-3},
             lambda o: sched.ReduceLROnPlateau(o, factor=0.7, patience=1, threshold=0.0,
                                               min_lr=1e-3), 0.01, NOISY),
            ({"factor": 0.3, "patience": 3, "cooldown": 2},
             lambda o: sched.ReduceLROnPlateau(o, factor=0.3, patience=3, cooldown=2),
             0.5, PLATEAUS),
            # large losses: the relative threshold (1% of 10 = 0.1) differs from an absolute one
            ({"factor": 0.5, "patience": 1, "threshold": 1e-2},
             lambda o: sched.ReduceLROnPlateau(o, factor=0.5, patience=1, threshold=1e-2),
             0.1, [10 * m for m in PLATEAUS]),
        ],
    }


def _engine_lrs(config, base_lr, monitored, epochs=EPOCHS):
    s = schedules.get(config)
    lrs = [s.start(base_lr)]
    for e in range(epochs):
        lrs.append(s.after_epoch(e, None if monitored is None else monitored[e]))
    return lrs


def _torch_lrs(torch, factory, base_lr, monitored, epochs=EPOCHS):
    p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=base_lr)
    sched = factory(opt)
    lrs = [opt.param_groups[0]["lr"]]
    for e in range(epochs):
        opt.step()  # no gradient: keeps the order torch expects without moving anything
        if monitored is None:
            sched.step()
        else:
            sched.step(monitored[e])
        lrs.append(opt.param_groups[0]["lr"])
    return lrs


def _close(got, expected, base_lr, rel=1e-12):
    assert len(got) == len(expected)
    for e, (g, x) in enumerate(zip(got, expected)):
        assert math.isclose(g, x, rel_tol=rel, abs_tol=rel * base_lr), (e, g, x, got, expected)


# --------------------------------------------------------------------------- torch


@pytest.mark.torch
@pytest.mark.parametrize("name", NAMES)
def test_matches_torch_over_30_epochs(name):
    torch, table = _torch_factories()
    assert name in table, f"no torch counterpart for schedule {name!r}"
    for config, factory, base_lr, monitored in table[name]:
        got = _engine_lrs({"name": name, **config}, base_lr, monitored)
        expected = _torch_lrs(torch, factory, base_lr, monitored)
        _close(got, expected, base_lr)


@pytest.mark.torch
def test_plateau_cases_actually_reduce():
    # guard against the torch comparison passing vacuously on a constant rate
    torch, table = _torch_factories()
    for config, factory, base_lr, monitored in table["reduce_on_plateau"]:
        lrs = _torch_lrs(torch, factory, base_lr, monitored)
        assert min(lrs) < base_lr, config


@pytest.mark.torch
def test_defaults_match_torch():
    torch = pytest.importorskip("torch")
    import inspect

    sched = torch.optim.lr_scheduler

    def defaults(cls, keys):
        sig = inspect.signature(cls.__init__).parameters
        return {k: sig[k].default for k in keys}

    plateau = schedules.get("reduce_on_plateau").config()
    assert plateau == defaults(sched.ReduceLROnPlateau, plateau)
    assert schedules.get("step").gamma == defaults(sched.StepLR, ["gamma"])["gamma"]
    assert schedules.get("cosine").eta_min == defaults(sched.CosineAnnealingLR,
                                                       ["eta_min"])["eta_min"]


# --------------------------------------------------------------------------- by hand


def test_every_schedule_has_a_hand_check():
    assert set(NAMES) <= set(HAND), f"add hand-computed values for {set(NAMES) - set(HAND)}"


def _hand_constant():
    _close(_engine_lrs("constant", 0.05, None), [0.05] * (EPOCHS + 1), 0.05)


def _hand_step():
    _close(_engine_lrs({"name": "step", "step_size": 3, "gamma": 0.5}, 0.1, None, epochs=9),
           [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125], 0.1)
    expected = [0.2 * 0.1 ** (e // 10) for e in range(EPOCHS + 1)]
    _close(_engine_lrs("step", 0.2, None), expected, 0.2)


def _hand_exponential():
    _close(_engine_lrs({"name": "exponential", "gamma": 0.5}, 1.0, None, epochs=4),
           [1.0, 0.5, 0.25, 0.125, 0.0625], 1.0)
    _close(_engine_lrs("exponential", 0.1, None), [0.1 * 0.95 ** e for e in range(31)], 0.1)


def _hand_cosine():
    # T_max = 4, eta_min = 0, lr_0 = 1: (1 + cos(pi e / 4)) / 2, periodic with period 8
    a = (1 + math.sqrt(0.5)) / 2  # e = 1
    b = (1 - math.sqrt(0.5)) / 2  # e = 3
    _close(_engine_lrs({"name": "cosine", "t_max": 4}, 1.0, None, epochs=9),
           [1.0, a, 0.5, b, 0.0, b, 0.5, a, 1.0, a], 1.0)
    # eta_min = 0.1, lr_0 = 0.5, T_max = 2: 0.1 + 0.4 (1 + cos(pi e / 2)) / 2
    _close(_engine_lrs({"name": "cosine", "t_max": 2, "eta_min": 0.1}, 0.5, None, epochs=4),
           [0.5, 0.3, 0.1, 0.3, 0.5], 0.5)


def _hand_plateau():
    # factor 0.5, patience 1, cooldown 1, min_lr 0.03, threshold 0, lr_0 = 0.1:
    # e0 best 5; e1 best 4; e2 bad 1; e3 bad 2 > 1 -> 0.05, cooldown; e4 cooldown;
    # e5 best 3; e6 bad 1; e7 bad 2 -> max(0.025, 0.03) = 0.03; e8 cooldown; e9 bad 1;
    # e10 bad 2 -> max(0.015, 0.03) = 0.03, no change; e11 cooldown.
    cfg = {"name": "reduce_on_plateau", "factor": 0.5, "patience": 1, "cooldown": 1,
           "min_lr": 0.03, "threshold": 0.0}
    monitored = [5, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3]
    _close(_engine_lrs(cfg, 0.1, monitored, epochs=12),
           [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.03, 0.03, 0.03, 0.03, 0.03], 0.1)
    # relative threshold 0.1: 0.95 is no improvement on 1.0 (needs < 0.9); 0.85 is.
    cfg = {"name": "reduce_on_plateau", "factor": 0.5, "patience": 0, "threshold": 0.1}
    _close(_engine_lrs(cfg, 1.0, [1.0, 0.95, 0.85], epochs=3), [1.0, 1.0, 0.5, 0.5], 1.0)
    # ... and relative, not absolute: from 10, 9.95 is no improvement (needs < 9.9); 9.8 is.
    cfg = {"name": "reduce_on_plateau", "factor": 0.5, "patience": 0, "threshold": 0.01}
    _close(_engine_lrs(cfg, 1.0, [10.0, 9.95, 9.8], epochs=3), [1.0, 1.0, 0.5, 0.5], 1.0)
    # changes smaller than torch's eps = 1e-8 are ignored: 1e-6 -> 1e-7 -> 1e-8, then stuck
    cfg = {"name": "reduce_on_plateau", "patience": 0}
    _close(_engine_lrs(cfg, 1e-6, [1.0] * 5, epochs=5),
           [1e-6, 1e-6, 1e-7, 1e-8, 1e-8, 1e-8], 1e-6)
    # defaults: patience 10, so the 12th flat epoch is the first reduction
    lrs = _engine_lrs("reduce_on_plateau", 0.1, FLAT)
    _close(lrs, [0.1] * 12 + [0.01] * 11 + [0.001] * 8, 0.1)


HAND = {"constant": _hand_constant, "step": _hand_step, "exponential": _hand_exponential,
        "cosine": _hand_cosine, "reduce_on_plateau": _hand_plateau}


@pytest.mark.parametrize("name", NAMES)
def test_hand_computed(name):
    assert name in HAND, f"no hand-computed values for schedule {name!r}"
    HAND[name]()


def test_plateau_ignores_missing_monitor_and_start_resets():
    cfg = {"name": "reduce_on_plateau", "factor": 0.5, "patience": 0}
    s = schedules.get(cfg)
    assert s.start(1.0) == 1.0
    assert s.after_epoch(0, None) == 1.0
    assert s.after_epoch(1, 2.0) == 1.0
    assert s.after_epoch(2, 2.0) == 0.5
    # start() forgets best, bad epochs, cooldown and the reduced rate
    assert s.start(1.0) == 1.0
    assert [s.after_epoch(e, 2.0) for e in range(3)] == [1.0, 0.5, 0.25]


@pytest.mark.parametrize("name", NAMES)
def test_start_restarts(name):
    s = schedules.get(name)
    first = [s.start(0.1)] + [s.after_epoch(e, 1.0) for e in range(EPOCHS)]
    second = [s.start(0.1)] + [s.after_epoch(e, 1.0) for e in range(EPOCHS)]
    assert first == second


# --------------------------------------------------------------------------- configs, errors


@pytest.mark.parametrize("name", NAMES)
def test_config_round_trip(name):
    s = schedules.get(name)
    config = schedules.SCHEDULES.to_config(s)
    again = schedules.get(json.loads(json.dumps(config)))
    assert type(again) is type(s)
    assert schedules.SCHEDULES.to_config(again) == config


def test_aliases_unknown_names_and_parameters():
    assert schedules.get("none").name == "constant"
    assert schedules.get("plateau").name == "reduce_on_plateau"
    with pytest.raises(UnknownNameError) as info:
        schedules.get("cosine_warm_restarts")
    for name in NAMES:
        assert name in str(info.value)
    with pytest.raises(ConfigError, match="T_max"):
        schedules.get("cosine", T_max=10)
    with pytest.raises(ConfigError, match="mode"):
        schedules.get({"name": "reduce_on_plateau", "mode": "max"})


NAN, INF = float("nan"), float("inf")
BAD = [
    ("step", "step_size", 0), ("step", "step_size", -1), ("step", "step_size", 1.5),
    ("step", "step_size", NAN), ("step", "step_size", INF),
    ("step", "gamma", 0.0), ("step", "gamma", -0.1), ("step", "gamma", NAN),
    ("step", "gamma", INF),
    ("exponential", "gamma", 0.0), ("exponential", "gamma", -1.0),
    ("exponential", "gamma", NAN), ("exponential", "gamma", INF),
    ("cosine", "t_max", 0), ("cosine", "t_max", -5), ("cosine", "t_max", 2.5),
    ("cosine", "t_max", NAN), ("cosine", "t_max", INF),
    ("cosine", "eta_min", -0.1), ("cosine", "eta_min", NAN),
    ("reduce_on_plateau", "factor", 0.0), ("reduce_on_plateau", "factor", 1.0),
    ("reduce_on_plateau", "factor", 1.5), ("reduce_on_plateau", "factor", -0.5),
    ("reduce_on_plateau", "factor", NAN),
    ("reduce_on_plateau", "patience", -1), ("reduce_on_plateau", "patience", 1.5),
    ("reduce_on_plateau", "patience", NAN), ("reduce_on_plateau", "patience", INF),
    ("reduce_on_plateau", "cooldown", -1), ("reduce_on_plateau", "cooldown", 0.5),
    ("reduce_on_plateau", "cooldown", NAN), ("reduce_on_plateau", "cooldown", INF),
    ("reduce_on_plateau", "threshold", -1e-4), ("reduce_on_plateau", "threshold", NAN),
    ("reduce_on_plateau", "min_lr", -1.0), ("reduce_on_plateau", "min_lr", NAN),
]


@pytest.mark.parametrize("name,param,value", [pytest.param(*b, id=f"{b[0]}-{b[1]}={b[2]}")
                                              for b in BAD])
def test_bad_parameter_raises_value_error_naming_it(name, param, value):
    with pytest.raises(ValueError, match=param):
        schedules.get(name, **{param: value})


def test_every_schedule_with_parameters_has_bad_cases():
    covered = {(n, p) for n, p, _ in BAD}
    for name in NAMES:
        for param in schedules.SCHEDULES.parameters(name):
            assert (name, param) in covered, f"no bad-value case for {name}.{param}"
