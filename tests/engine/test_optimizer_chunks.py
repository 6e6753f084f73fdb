"""Optimizers update long vectors slice by slice and flush subnormal state; neither may
change what a step computes."""

import numpy as np
import pytest

from engine import optimizers

SETTINGS = {"sgd": {"lr": 0.1}, "gd": {"lr": 0.1}, "momentum": {"lr": 0.1, "dampening": 0.3},
            "nag": {"lr": 0.1, "weight_decay": 0.01}, "adagrad": {"lr_decay": 0.01},
            "rmsprop": {"centered": True, "momentum": 0.5}, "adadelta": {},
            "adam": {"weight_decay": 0.1}, "adamw": {}, "nadam": {"decoupled_weight_decay": True,
                                                                   "weight_decay": 0.1}}


@pytest.mark.parametrize("name", optimizers.names())
def test_sliced_update_equals_whole_vector_update(name, monkeypatch):
    rng = np.random.default_rng(1)
    start = rng.normal(size=1000)
    grads = [rng.normal(size=1000) for _ in range(5)]
    results = []
    for chunk in (10**9, 97):  # whole vector, then 11 slices with a ragged last one
        monkeypatch.setattr(optimizers.Optimizer, "CHUNK", chunk)
        opt = optimizers.get({"name": name, **SETTINGS[name]})
        p = start.copy()
        for g in grads:
            opt.step(p, g.copy())
        results.append((p, {k: v.copy() for k, v in opt.state().items()}))
    (p_whole, s_whole), (p_sliced, s_sliced) = results
    assert np.array_equal(p_whole, p_sliced)
    assert s_whole.keys() == s_sliced.keys()
    for key in s_whole:
        assert np.array_equal(s_whole[key], s_sliced[key]), key


def test_subnormal_moments_are_flushed_to_zero():
    opt = optimizers.get("adam")
    p = np.ones(4, dtype=np.float32)
    opt.step(p, np.array([1e-3, 1e-3, 1e-3, 1e-3], dtype=np.float32))
    # the gradient of the first two weights stays 0 (a dead unit): 0.9^t decays their
    # first moment towards subnormal numbers
    steps = opt.FLUSH_EVERY * 6
    unflushed = np.float32(1e-4) * np.float32(0.9) ** (steps - 1)
    assert 0 < unflushed < np.finfo(np.float32).tiny  # what m would be without the flush
    for _ in range(steps - 1):
        opt.step(p, np.array([0, 0, 1e-3, 1e-3], dtype=np.float32))
    m = opt.state()["exp_avg"]
    assert m[0] == 0.0 and m[1] == 0.0  # flushed, instead of lingering as subnormals
    assert m[2] > np.finfo(np.float32).tiny
    assert np.isfinite(p).all()
