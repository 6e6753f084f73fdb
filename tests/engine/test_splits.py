"""Train / validation / test splits: sizes, stratification, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

from engine.data import SplitError, split_indices


def test_parts_are_disjoint_and_cover_every_row():
    train, val, test = split_indices(103, (0.7, 0.15, 0.15), seed=1)
    assert len(train) + len(val) + len(test) == 103
    assert np.array_equal(np.sort(np.concatenate([train, val, test])), np.arange(103))
    assert (len(train), len(val), len(test)) == (72, 16, 15)


def test_stratified_keeps_class_balance():
    y = np.array([0] * 500 + [1] * 100 + [2] * 20)
    np.random.default_rng(0).shuffle(y)
    parts = split_indices(y, (0.6, 0.2, 0.2), stratify=True, seed=3)
    for part, ratio in zip(parts, (0.6, 0.2, 0.2)):
        counts = np.bincount(y[part], minlength=3)
        np.testing.assert_allclose(counts, np.array([500, 100, 20]) * ratio, atol=1)


def test_same_seed_same_split_other_seed_other_split():
    y = np.arange(200) % 4
    a = split_indices(y, (0.5, 0.25, 0.25), stratify=True, seed=7)
    b = split_indices(y, (0.5, 0.25, 0.25), stratify=True, seed=7)
    c = split_indices(y, (0.5, 0.25, 0.25), stratify=True, seed=8)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not np.array_equal(a[0], c[0])


def test_two_ratios_mean_no_validation():
    train, val, test = split_indices(10, (0.8, 0.2))
    assert (len(train), len(val), len(test)) == (8, 0, 2)


@pytest.mark.parametrize("ratios, words", [((0.5, 0.2, 0.2), "sum to 1"),
                                           ((0.0, 0.5, 0.5), "train ratio"),
                                           ((1.2, -0.1, -0.1), "ratio must be"),
                                           ((0.5,), "ratios must be")])
def test_bad_ratios_are_refused(ratios, words):
    with pytest.raises(SplitError, match=words):
        split_indices(10, ratios)


def test_bad_seed_is_refused():
    with pytest.raises(SplitError, match="split seed"):
        split_indices(10, seed=-1)
