"""Synthetic datasets: shapes, determinism, configs, parameter errors and what each set means."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.data import DATASETS, Dataset, GaussianSum, load, names
from engine.registry import UnknownNameError

NAMES = names()
CLASSIFICATION = [n for n in NAMES if DATASETS.cls(n).task == "classification"]
REGRESSION = [n for n in NAMES if DATASETS.cls(n).task == "regression"]


def test_expected_sets_are_registered():
    assert {"circle", "xor", "gaussians", "spiral", "spirals", "plane", "gaussian_sum"} <= set(NAMES)


# --- every set ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_shape_and_dtype(name):
    ds = load({"name": name, "n_samples": 123})
    assert isinstance(ds, Dataset)
    assert ds.name == name
    assert ds.x.shape == (123, 2) and ds.x.dtype == np.float32
    assert ds.n_samples == 123 and ds.n_features == 2
    assert ds.feature_names == ["x1", "x2"]
    assert np.isfinite(ds.x).all()
    assert ds.description
    if ds.task == "classification":
        assert ds.y.shape == (123,) and ds.y.dtype == np.int64
        assert ds.n_outputs == ds.n_classes == len(ds.class_names)
        assert 0 <= ds.y.min() and ds.y.max() < ds.n_classes
    else:
        assert ds.task == "regression"
        assert ds.y.shape == (123, 1) and ds.y.dtype == np.float32
        assert ds.n_classes is None and ds.class_names is None
        assert ds.n_outputs == 1 and ds.target_names == ["y"]


@pytest.mark.parametrize("name", NAMES)
def test_inputs_lie_in_playground_range(name):
    assert np.abs(load(name).x).max() <= 6.0


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_gives_identical_arrays(name):
    a = load({"name": name, "seed": 7, "noise": 0.1})
    b = load({"name": name, "seed": 7, "noise": 0.1})
    assert a.x.tobytes() == b.x.tobytes()
    assert a.y.tobytes() == b.y.tobytes()


@pytest.mark.parametrize("name", NAMES)
def test_different_seed_gives_different_arrays(name):
    a, b = load({"name": name, "seed": 0}), load({"name": name, "seed": 1})
    assert not np.array_equal(a.x, b.x)


@pytest.mark.parametrize("name", NAMES)
def test_noise_changes_the_data(name):
    clean, noisy = load({"name": name, "noise": 0.0}), load({"name": name, "noise": 0.3})
    assert not (np.array_equal(clean.x, noisy.x) and np.array_equal(clean.y, noisy.y))


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_classes_are_roughly_balanced(name):
    ds = load(name)
    counts = np.bincount(ds.y, minlength=ds.n_classes)
    expected = ds.n_samples / ds.n_classes
    assert np.all(np.abs(counts - expected) <= 0.1 * expected), counts


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_rows_are_shuffled(name):
    # a contiguous head slice (as a naive train/test split takes) holds every class
    ds = load(name)
    assert set(np.unique(ds.y[:50])) == set(range(ds.n_classes))


@pytest.mark.parametrize("name", NAMES)
def test_config_round_trip_through_registry_and_json(name):
    gen = DATASETS.get({"name": name, "n_samples": 64, "noise": 0.25, "seed": 5})
    config = json.loads(json.dumps(DATASETS.to_config(gen)))
    assert config["name"] == name
    again = DATASETS.get(config)
    assert type(again) is type(gen) and again.config() == gen.config()
    assert set(gen.config()) == set(DATASETS.parameters(name))
    a, b = gen.load(), again.load()
    assert a.x.tobytes() == b.x.tobytes() and a.y.tobytes() == b.y.tobytes()


@pytest.mark.parametrize("name", NAMES)
def test_defaults(name):
    config = DATASETS.get(name).config()
    assert config["n_samples"] == 500 and config["seed"] == 0 and config["noise"] >= 0


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        ("n_samples", 0, "n_samples must be at least"),
        ("n_samples", -5, "n_samples must be at least"),
        ("n_samples", 2.5, "n_samples must be an integer"),
        ("n_samples", True, "n_samples must be an integer"),
        ("noise", -0.1, "noise must be a finite number >= 0"),
        ("noise", float("nan"), "noise must be a finite number >= 0"),
        ("noise", "high", "noise must be a number"),
        ("seed", -1, "seed must be at least 0"),
    ],
)
def test_bad_parameters_raise_clear_value_error(name, param, value, message):
    with pytest.raises(ValueError, match=message) as info:
        DATASETS.get({"name": name, param: value})
    assert repr(name) in str(info.value)


@pytest.mark.parametrize("name", NAMES)
def test_unknown_parameter_raises(name):
    with pytest.raises(ValueError, match="has no parameter 'radius'"):
        DATASETS.get({"name": name, "radius": 3})


def test_unknown_name_raises_and_lists_valid_names():
    with pytest.raises(UnknownNameError, match="unknown dataset 'moons'") as info:
        load("moons")
    assert isinstance(info.value, ValueError)
    assert "circle" in str(info.value)


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_too_few_samples_for_the_classes(name):
    k = DATASETS.get(name).load().n_classes
    with pytest.raises(ValueError, match=f"n_samples must be at least {k}"):
        DATASETS.get({"name": name, "n_samples": k - 1})
    assert set(load({"name": name, "n_samples": k}).y) == set(range(k))


@settings(max_examples=30, deadline=None)
@given(
    name=st.sampled_from(NAMES),
    n_samples=st.integers(3, 300),
    noise=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32),
)
def test_any_valid_config_gives_a_valid_dataset(name, n_samples, noise, seed):
    ds = load({"name": name, "n_samples": n_samples, "noise": noise, "seed": seed})
    assert ds.x.shape == (n_samples, 2)
    assert np.isfinite(ds.x).all() and np.isfinite(ds.y).all()


# --- what each set means -----------------------------------------------------------------


def test_circle_inner_class_has_smaller_radius():
    ds = load("circle")
    r = np.linalg.norm(ds.x, axis=1)
    assert r[ds.y == 1].max() <= 2.5 < 3.5 <= r[ds.y == 0].min()
    noisy = load({"name": "circle", "noise": 0.3})
    rn = np.linalg.norm(noisy.x, axis=1)
    assert rn[noisy.y == 1].mean() < rn[noisy.y == 0].mean()


@pytest.mark.parametrize("name", ["circle", "xor"])
def test_playground_label_noise_moves_labels_not_points(name):
    clean, noisy = load(name), load({"name": name, "noise": 0.2})
    assert clean.x.tobytes() == noisy.x.tobytes()
    flipped = np.mean(clean.y != noisy.y)
    assert 0 < flipped < 0.3


def test_xor_label_is_sign_of_product_without_noise():
    ds = load("xor")
    product = ds.x[:, 0] * ds.x[:, 1]
    np.testing.assert_array_equal(ds.y, (product > 0).astype(np.int64))
    assert np.abs(ds.x).min() >= 0.3  # the margin keeps points off the axes


def test_gaussians_blobs_sit_at_their_centres():
    ds = load("gaussians")
    np.testing.assert_allclose(ds.x[ds.y == 1].mean(axis=0), [2, 2], atol=0.2)
    np.testing.assert_allclose(ds.x[ds.y == 0].mean(axis=0), [-2, -2], atol=0.2)
    wide = load({"name": "gaussians", "noise": 0.5})
    assert wide.x[wide.y == 1].std() > 2 * ds.x[ds.y == 1].std()


def _angle_residual(ds, angle_of_radius):
    """Distance of each point from where its arm puts a point of the same radius."""
    r = np.linalg.norm(ds.x.astype(np.float64), axis=1)
    angle = angle_of_radius(r, ds.y)
    on_arm = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    return np.linalg.norm(ds.x - on_arm, axis=1)


def test_spiral_points_lie_on_their_arms_without_noise():
    ds = load("spiral")
    residual = _angle_residual(ds, lambda r, y: 1.75 * 2 * np.pi * r / 5 + np.pi * (1 - y))
    assert residual.max() < 1e-4
    noisy = load({"name": "spiral", "noise": 0.5})
    assert 0 < _angle_residual(noisy, lambda r, y: 1.75 * 2 * np.pi * r / 5 + np.pi * (1 - y)).max()


@pytest.mark.parametrize("k", [2, 3, 5])
def test_spirals_have_n_classes_distinct_labels_on_their_arms(k):
    ds = load({"name": "spirals", "n_classes": k, "n_samples": 301, "noise": 0.0})
    assert ds.n_classes == ds.n_outputs == k
    np.testing.assert_array_equal(np.unique(ds.y), np.arange(k))
    assert _angle_residual(ds, lambda r, y: 4.0 * (y + r / 5)).max() < 1e-4


def test_spirals_bad_n_classes():
    with pytest.raises(ValueError, match="n_classes must be at least 2"):
        DATASETS.get({"name": "spirals", "n_classes": 1})
    assert DATASETS.get("spirals").config()["n_classes"] == 3


def test_plane_is_linear_without_noise():
    ds = load("plane")
    np.testing.assert_allclose(ds.y[:, 0], (ds.x[:, 0] + ds.x[:, 1]) / 10, atol=1e-6)
    noisy = load({"name": "plane", "noise": 0.1})
    residual = noisy.y[:, 0] - (noisy.x[:, 0] + noisy.x[:, 1]) / 10
    assert 0 < np.abs(residual).max() <= 1.2 * 0.1 + 1e-6


def test_gaussian_sum_follows_its_bumps():
    ds = load("gaussian_sum")
    np.testing.assert_allclose(ds.y[:, 0], GaussianSum.surface(ds.x.astype(np.float64)), atol=1e-6)
    centres = GaussianSum.BUMPS
    np.testing.assert_allclose(GaussianSum.surface(centres[:, :2]), centres[:, 2], atol=1e-3)
    assert np.abs(ds.y).max() <= 1.0 + 1e-3


# --- the Dataset container ---------------------------------------------------------------


def _good(**changes):
    fields = dict(
        name="t",
        x=np.zeros((4, 2), np.float32),
        y=np.array([0, 1, 0, 1], np.int64),
        task="classification",
        feature_names=["a", "b"],
        class_names=["no", "yes"],
        target_names=["label"],
    )
    fields.update(changes)
    return fields


def test_dataset_accepts_a_valid_regression():
    ds = Dataset(**_good(task="regression", y=np.zeros((4, 3), np.float32), class_names=None,
                         target_names=["p", "q", "r"]))
    assert ds.n_outputs == 3 and ds.n_classes is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (dict(x=np.zeros((4, 2), np.float64)), "x must have dtype float32"),
        (dict(x=np.zeros(4, np.float32)), "x must be a 2-D array"),
        (dict(x=np.array([[0, np.nan]] * 4, np.float32)), "x contains NaN"),
        (dict(x=np.zeros((0, 2), np.float32), y=np.zeros(0, np.int64)), "no samples"),
        (dict(y=np.array([0, 1, 0], np.int64)), "y has shape"),
        (dict(y=np.array([0, 1, 0, 1], np.int32)), "dtype int64"),
        (dict(y=np.array([0, 1, 0, 2], np.int64)), r"class indices in y must lie in \[0, 2\)"),
        (dict(y=np.zeros((4, 1), np.int64)), r"shape \(N,\)"),
        (dict(feature_names=["a"]), "feature_names has 1 names but x has 2 columns"),
        (dict(class_names=None), "needs class_names"),
        (dict(task="clustering"), "task must be one of"),
        (dict(task="regression", class_names=None, y=np.zeros(4, np.float32)), r"shape \(N, K\)"),
        (dict(task="regression", class_names=None, y=np.zeros((4, 1), np.float64)), "dtype float32"),
        (dict(task="regression", y=np.zeros((4, 1), np.float32), target_names=["y"]), "class_names must be None"),
        (dict(task="regression", class_names=None, y=np.zeros((4, 2), np.float32)), "target_names has 1"),
        (dict(name=""), "name must be a non-empty string"),
    ],
)
def test_dataset_rejects_inconsistent_fields(changes, message):
    with pytest.raises(ValueError, match=message):
        Dataset(**_good(**changes))
