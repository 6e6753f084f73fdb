"""Preprocessing: fitted on train, applied to test, equal to hand-computed values; configs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.data import PreprocessingError, Preprocessor, fit, prepare, read_csv


def _train_test():
    train = {"h": np.array([1.0, 2.0, 3.0, np.nan]),
             "w": np.array([10.0, 20.0, 30.0, 40.0]),
             "c": np.array(["a", "b", "a", None], dtype=object)}
    test = {"h": np.array([np.nan, 4.0]), "w": np.array([25.0, 50.0]),
            "c": np.array(["b", "zzz"], dtype=object)}
    return train, test


def test_fit_on_train_transform_test_by_hand():
    train, test = _train_test()
    pre = fit(train, {"h": {"scale": "standardize", "missing": "mean"},
                      "w": {"scale": "minmax"},
                      "c": {"missing": "most_frequent"}})
    assert pre.feature_names == ["h", "w", "c=a", "c=b"]
    x = pre.transform(test)
    mean, std = 2.0, np.std([1.0, 2.0, 3.0])       # nan left out, population std
    expected = np.array([[(2.0 - mean) / std, (25 - 10) / 30, 0, 1],    # h imputed with mean
                         [(4.0 - mean) / std, (50 - 10) / 30, 0, 0]],   # unseen "zzz": zeros
                        dtype=np.float32)
    np.testing.assert_allclose(x, expected, rtol=1e-6)
    assert x.dtype == np.float32


def test_missing_drop_median_and_most_frequent():
    train, _ = _train_test()
    pre = fit(train, {"h": {"missing": "median", "scale": "none"}, "w": {"scale": "none"}})
    assert pre.columns[0]["fill"] == 2.0
    x = pre.transform(train)        # "c" drops the row with None
    assert x.shape == (3, 4)
    np.testing.assert_array_equal(pre.kept_rows(train), [True, True, True, False])
    pre = fit(train, {"h": {"missing": "most_frequent", "scale": "none"}, "c": {"missing": "most_frequent"}})
    assert pre.columns[0]["fill"] == 1.0 and pre.columns[2]["fill"] == 0


def test_config_round_trip_through_json():
    train, test = _train_test()
    pre = fit(train, {"*": {"missing": "most_frequent"}})
    again = Preprocessor.from_config(json.loads(json.dumps(pre.to_config())))
    assert again == pre
    np.testing.assert_array_equal(again.transform(test), pre.transform(test))


def test_fit_sees_only_training_rows():
    values = {"v": np.array([0.0, 10.0, 1000.0])}
    pre = fit(values, {"v": {"scale": "minmax"}}, rows=np.array([0, 1]))
    np.testing.assert_allclose(pre.transform(values)[:, 0], [0, 1, 100])


@pytest.mark.parametrize("settings, words", [
    ({"c": {"scale": "standardize"}}, "categorical: scale must be"),
    ({"c": {"missing": "mean"}}, "missing must be"),
    ({"nope": {}}, "not features: 'nope'")])
def test_bad_settings(settings, words):
    train, _ = _train_test()
    with pytest.raises(PreprocessingError, match=words):
        fit(train, settings)


def test_missing_column_at_transform():
    train, _ = _train_test()
    with pytest.raises(PreprocessingError, match="no column 'w'"):
        fit(train).transform({"h": np.array([1.0]), "c": np.array(["a"], dtype=object)})


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_prepare_then_predict_on_csv_with_unseen_category(tmp_path):
    rows = ["colour,size,label"]
    rng = np.random.default_rng(0)
    for i in range(60):
        colour = ["red", "green", "blue"][i % 3]
        rows.append(f"{colour},{rng.normal():.4f},{'yes' if i % 3 == 0 else 'no'}")
    table = read_csv(_write(tmp_path / "train.csv", "\n".join(rows) + "\n"), target="label")
    out = prepare(table, ratios=(0.6, 0.2, 0.2), seed=0)
    pre = out["preprocessor"]
    assert out["train"].x.shape == (36, 4) and out["test"].x.shape == (12, 4)
    assert pre.feature_names == ["colour=blue", "colour=green", "colour=red", "size"]
    new = read_csv(_write(tmp_path / "new.csv", "colour,size\npurple,0.5\nred,-1\n"),
                   target=None, types=pre.kinds())
    x = pre.transform(new)
    size = pre.columns[1]
    np.testing.assert_allclose(x, [[0, 0, 0, (0.5 - size["center"]) / size["width"]],
                                   [0, 0, 1, (-1 - size["center"]) / size["width"]]], rtol=1e-5)


def test_table_fit_uses_training_split_only(tmp_path):
    path = _write(tmp_path / "t.csv", "v,y\n" + "".join(f"{(i * 7) % 100},{i % 2}\n" for i in range(100)))
    table = read_csv(path)
    out = prepare(table, ratios=(0.5, 0.25, 0.25), seed=4)
    train_rows = out["indices"][0]
    v = table["v"].values[train_rows].astype(np.float64)
    assert out["preprocessor"].columns[0]["center"] == pytest.approx(v.mean())
    assert out["preprocessor"].columns[0]["width"] == pytest.approx(v.std())
    np.testing.assert_allclose(out["train"].x.mean(), 0, atol=1e-6)
