"""Built-in real datasets: each loads through the CSV importer with its documented shape."""

from __future__ import annotations

import numpy as np
import pytest

from engine.data import BUILTIN_DATASETS, Dataset, builtin_names, load_builtin
from engine.data.builtin import datasets_dir

NAMES = builtin_names()


def test_expected_sets_are_registered():
    assert set(NAMES) == {"iris", "wine", "breast_cancer", "digits", "diabetes", "penguins"}


@pytest.mark.parametrize("name", NAMES)
def test_documented_shape_and_task(name):
    cls = BUILTIN_DATASETS.cls(name)
    ds = load_builtin(name)
    assert isinstance(ds, Dataset)
    assert ds.x.shape == cls.shape and ds.x.dtype == np.float32
    assert ds.task == cls.task
    assert ds.n_classes == cls.n_classes
    assert ds.target_names == [cls.target]
    if ds.task == "classification":
        assert set(np.unique(ds.y)) == set(range(cls.n_classes))
    else:
        assert ds.y.shape == (cls.shape[0], 1)


@pytest.mark.parametrize("name", NAMES)
def test_csv_and_readme_are_shipped(name):
    assert datasets_dir().joinpath(BUILTIN_DATASETS.cls(name).file).is_file()
    readme = datasets_dir().joinpath("README.md").read_text(encoding="utf-8")
    assert BUILTIN_DATASETS.cls(name).file in readme


def test_values_match_scikit_learn():
    datasets = pytest.importorskip("sklearn.datasets")
    iris = load_builtin("iris")
    ref = datasets.load_iris()
    np.testing.assert_allclose(iris.x, ref.data.astype(np.float32))
    assert iris.class_names == list(ref.target_names)
    np.testing.assert_array_equal(iris.y, ref.target)
    digits = load_builtin("digits")
    np.testing.assert_array_equal(digits.x, datasets.load_digits().data.astype(np.float32))


def test_penguins_has_text_and_missing_values_handled():
    ds = load_builtin("penguins")
    assert ds.class_names == ["Adelie", "Chinstrap", "Gentoo"]
    assert "island=Biscoe" in ds.feature_names and "sex=male" in ds.feature_names
    assert np.isfinite(ds.x).all()


def test_load_by_config_and_unknown_name():
    assert load_builtin({"name": "iris"}).n_samples == 150
    with pytest.raises(ValueError, match="unknown built-in dataset 'nope'"):
        load_builtin("nope")
