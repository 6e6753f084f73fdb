"""engine.metrics against sklearn.metrics, batch accumulation, registry round trips, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import metrics
from engine.registry import ConfigError, UnknownNameError

AVERAGES = ("macro", "weighted", "micro")


# --------------------------------------------------------------------------- data


def _binary(rng):
    y_true = rng.integers(0, 2, 300)
    flip = rng.random(300) < 0.25
    return y_true, np.where(flip, 1 - y_true, y_true), 2


def _never_predicted(rng):
    # class 3 is never predicted and class 5 never occurs at all
    y_true = rng.integers(0, 5, 400)
    y_pred = rng.choice([0, 1, 2, 4], 400)
    return y_true, y_pred, 6


def _imbalanced(rng):
    y_true = rng.choice(4, 500, p=[0.85, 0.1, 0.04, 0.01])
    noise = rng.random(500) < 0.3
    return y_true, np.where(noise, rng.integers(0, 4, 500), y_true), 4


CLASS_DATA = {"binary": _binary, "never_predicted": _never_predicted, "imbalanced": _imbalanced}


def _single(rng):
    y_true = rng.normal(3.0, 2.0, 200)
    return y_true, y_true + rng.normal(0, 0.7, 200)


def _multi(rng):
    y_true = rng.normal(size=(250, 3)) * [1.0, 10.0, 0.1] + [0.0, 100.0, -5.0]
    return y_true, y_true + rng.normal(size=(250, 3))


def _with_constant_outputs(rng):
    # output 0 constant and mispredicted, output 1 constant and exact, output 2 ordinary
    y_true = np.column_stack([np.full(120, 2.5), np.full(120, -1.0), rng.normal(size=120)])
    y_pred = y_true + np.column_stack([rng.normal(size=120), np.zeros(120), rng.normal(size=120)])
    return y_true, y_pred


def _float32(rng):
    y_true, y_pred = _multi(rng)
    return y_true.astype(np.float32), y_pred.astype(np.float32)


REG_DATA = {
    "single": _single,
    "multi": _multi,
    "constant_outputs": _with_constant_outputs,
    "float32": _float32,
}


@pytest.fixture(params=list(CLASS_DATA))
def class_data(request):
    return _load(request.param)


@pytest.fixture(params=list(REG_DATA))
def reg_data(request):
    return _load(request.param)[:2]


# --------------------------------------------------------------------------- references

# sklearn reference for every registered metric; a new metric fails here until it has one.
SKLEARN = {
    "accuracy": lambda t, p, k: skm.accuracy_score(t, p),
    "precision": lambda t, p, k, average: skm.precision_score(
        t, p, labels=range(k), average=average, zero_division=0
    ),
    "recall": lambda t, p, k, average: skm.recall_score(
        t, p, labels=range(k), average=average, zero_division=0
    ),
    "f1": lambda t, p, k, average: skm.f1_score(
        t, p, labels=range(k), average=average, zero_division=0
    ),
    "mae": lambda t, p: skm.mean_absolute_error(t, p),
    "mse": lambda t, p: skm.mean_squared_error(t, p),
    # RMSE = sqrt(MSE over all elements), not sklearn's mean of per-output roots
    "rmse": lambda t, p: np.sqrt(skm.mean_squared_error(t, p)),
    "r2": lambda t, p: skm.r2_score(t, p),
}


def _variants(name):
    """Configs worth testing for a metric: every average for those that take one."""
    if "average" in metrics.METRICS.parameters(name):
        return [{"average": a} for a in AVERAGES]
    return [{}]


ALL_CONFIGS = [
    pytest.param(name, cfg, id=f"{name}-{cfg.get('average', 'default')}")
    for name in metrics.names()
    for cfg in _variants(name)
]


def _task(name):
    return metrics.METRICS.cls(name).task


def _accumulate(metric, y_true, y_pred, batches, size):
    """An accumulator for ``metric`` fed the data in ``batches`` uneven slices."""
    acc = metric.accumulator(size)
    cuts = np.linspace(0, len(y_true), batches + 1).astype(int)
    cuts[1:-1] += np.arange(1, batches) % 3  # uneven sizes
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        acc.update(y_true[lo:hi], y_pred[lo:hi])
    return acc


def _n_outputs(y):
    return 1 if np.ndim(y) == 1 else np.shape(y)[1]


def _assert_plain_json(value):
    """Only Python ints, floats, strs, lists and dicts (np.float64 would pass json.dumps)."""
    if isinstance(value, dict):
        assert all(type(k) is str for k in value)
        for v in value.values():
            _assert_plain_json(v)
    elif isinstance(value, list):
        for v in value:
            _assert_plain_json(v)
    else:
        assert type(value) in (int, float, str), f"{value!r} is {type(value)}"


# --------------------------------------------------------------------------- registry


def test_names_hold_the_glossary_metrics():
    assert {"accuracy", "precision", "recall", "f1", "mae", "mse", "rmse", "r2"} <= set(
        metrics.names()
    )
    assert metrics.names() == metrics.METRICS.names()


@pytest.mark.parametrize("name, cfg", ALL_CONFIGS)
def test_registry_round_trip(name, cfg):
    metric = metrics.get({"name": name, **cfg})
    config = metrics.to_config(metric)
    assert config == {"name": name, **cfg}
    assert json.loads(json.dumps(config)) == config
    again = metrics.get(config)
    assert type(again) is type(metric) and again.config() == metric.config()
    assert again == metric and hash(again) == hash(metric)
    assert metrics.get(metric) is metric
    assert metric.name == name
    assert metric.task in ("classification", "regression")
    assert metric.accumulator in (metrics.ConfusionAccumulator, metrics.RegressionAccumulator)
    assert metric.accumulator.__name__.startswith(
        "Confusion" if metric.task == "classification" else "Regression"
    )
    assert isinstance(metric.label, str) and isinstance(metric.higher_is_better, bool)


@pytest.mark.parametrize("name", metrics.names())
def test_every_metric_has_a_reference(name):
    assert name in SKLEARN, f"add a sklearn reference for metric {name!r} to SKLEARN"


def test_aliases_and_overrides():
    assert isinstance(metrics.get("ACC"), metrics.Accuracy)
    assert isinstance(metrics.get("r2_score"), metrics.R2)
    assert metrics.get("f1", average="weighted").average == "weighted"
    assert metrics.get("precision").average == "macro"


def test_registry_errors():
    with pytest.raises(UnknownNameError, match="'auc'.*accuracy"):
        metrics.get("auc")
    with pytest.raises(ConfigError, match="'beta'.*average"):
        metrics.get({"name": "f1", "beta": 2})
    with pytest.raises(ValueError, match="average must be one of 'macro', 'weighted', 'micro', got 'binary'"):
        metrics.get({"name": "precision", "average": "binary"})


# --------------------------------------------------------------------------- against sklearn


def _data_cases():
    """(metric, config, dataset) for every metric with every dataset of its task."""
    for name in metrics.names():
        datasets = CLASS_DATA if _task(name) == "classification" else REG_DATA
        for cfg in _variants(name):
            for data in datasets:
                yield pytest.param(
                    name, cfg, data, id=f"{name}-{cfg.get('average', 'default')}-{data}"
                )


DATA_CASES = list(_data_cases())


def _load(data):
    rng = np.random.default_rng(len(data))
    if data in CLASS_DATA:
        return CLASS_DATA[data](rng)
    y_true, y_pred = REG_DATA[data](rng)
    return y_true, y_pred, _n_outputs(y_true)


@pytest.mark.parametrize("name, cfg, data", DATA_CASES)
def test_metric_matches_sklearn(name, cfg, data):
    metric = metrics.get({"name": name, **cfg})
    y_true, y_pred, size = _load(data)
    acc = metric.accumulator(size)
    acc.update(y_true, y_pred)
    if metric.task == "classification":
        expected = SKLEARN[name](y_true, y_pred, size, **cfg)
        assert metric.from_confusion(acc.matrix) == pytest.approx(expected, abs=1e-12)
    else:
        expected = SKLEARN[name](y_true.astype(np.float64), y_pred.astype(np.float64), **cfg)
    got = metric.compute(acc)
    assert type(got) is float
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("name, cfg, data", DATA_CASES)
def test_accumulating_batches_equals_whole(name, cfg, data):
    metric = metrics.get({"name": name, **cfg})
    y_true, y_pred, size = _load(data)
    whole = _accumulate(metric, y_true, y_pred, 1, size)
    batched = _accumulate(metric, y_true, y_pred, 7, size)
    assert batched.count == whole.count == len(y_true)
    assert metric.compute(batched) == pytest.approx(metric.compute(whole), rel=1e-12, abs=1e-12)


def test_confusion_matrix_matches_sklearn(class_data):
    y_true, y_pred, k = class_data
    expected = skm.confusion_matrix(y_true, y_pred, labels=range(k))
    got = metrics.confusion_matrix(y_true, y_pred, n_classes=k)
    assert got.dtype == np.int64 and got.shape == (k, k)
    np.testing.assert_array_equal(got, expected)
    inferred = metrics.confusion_matrix(y_true, y_pred)
    n = max(y_true.max(), y_pred.max()) + 1
    np.testing.assert_array_equal(inferred, expected[:n, :n])


def test_classification_report_matches_sklearn(class_data):
    y_true, y_pred, k = class_data
    names = [f"class {i}" for i in range(k)]
    report = metrics.classification_report(y_true, y_pred, class_names=names)
    _assert_plain_json(report)
    assert json.loads(json.dumps(report)) == report

    assert report["accuracy"] == pytest.approx(skm.accuracy_score(y_true, y_pred))
    assert report["n_samples"] == len(y_true)
    p, r, f, s = skm.precision_recall_fscore_support(
        y_true, y_pred, labels=range(k), average=None, zero_division=0
    )
    per_class = report["per_class"]
    assert per_class["class_names"] == names
    np.testing.assert_allclose(per_class["precision"], p, atol=1e-12)
    np.testing.assert_allclose(per_class["recall"], r, atol=1e-12)
    np.testing.assert_allclose(per_class["f1"], f, atol=1e-12)
    assert per_class["support"] == s.tolist()
    for average in ("macro", "weighted"):
        p, r, f, _ = skm.precision_recall_fscore_support(
            y_true, y_pred, labels=range(k), average=average, zero_division=0
        )
        assert report[average] == pytest.approx({"precision": p, "recall": r, "f1": f}, abs=1e-12)
    if k == 2:
        p, r, f, _ = skm.precision_recall_fscore_support(
            y_true, y_pred, average="binary", zero_division=0
        )
        assert report["binary"] == pytest.approx({"precision": p, "recall": r, "f1": f}, abs=1e-12)
    else:
        assert "binary" not in report
    np.testing.assert_array_equal(
        report["confusion_matrix"], skm.confusion_matrix(y_true, y_pred, labels=range(k))
    )


def test_micro_equals_accuracy(class_data):
    y_true, y_pred, k = class_data
    acc = metrics.ConfusionAccumulator(k)
    acc.update(y_true, y_pred)
    accuracy = metrics.get("accuracy").compute(acc)
    for name in ("precision", "recall", "f1"):
        assert metrics.get(name, average="micro").compute(acc) == pytest.approx(accuracy)


def test_per_class_matches_sklearn(class_data):
    y_true, y_pred, k = class_data
    matrix = metrics.confusion_matrix(y_true, y_pred, k)
    refs = {"precision": skm.precision_score, "recall": skm.recall_score, "f1": skm.f1_score}
    for name, ref in refs.items():
        expected = ref(y_true, y_pred, labels=range(k), average=None, zero_division=0)
        np.testing.assert_allclose(metrics.get(name).per_class(matrix), expected, atol=1e-12)


def test_report_from_accumulated_matrix_equals_report_on_concatenation(class_data):
    y_true, y_pred, k = class_data
    acc = _accumulate(metrics.get("accuracy"), y_true, y_pred, 5, k)
    from_acc = metrics.report_from_confusion(acc.matrix)
    assert from_acc == metrics.classification_report(y_true, y_pred, n_classes=k)
    assert from_acc["per_class"]["class_names"] == [str(i) for i in range(k)]


def test_regression_report_matches_sklearn_and_torch_formulas(reg_data):
    y_true, y_pred = reg_data
    report = metrics.regression_report(y_true, y_pred)
    _assert_plain_json(report)
    assert list(report)[:4] == ["mae", "mse", "rmse", "r2"]
    t, p = y_true.astype(np.float64), y_pred.astype(np.float64)
    error = p - t
    # torch.nn.L1Loss / MSELoss with reduction='mean': mean over every element
    assert report["mae"] == pytest.approx(np.mean(np.abs(error)), rel=1e-12)
    assert report["mse"] == pytest.approx(np.mean(error**2), rel=1e-12)
    assert report["rmse"] == pytest.approx(np.sqrt(np.mean(error**2)), rel=1e-12)
    assert report["mae"] == pytest.approx(skm.mean_absolute_error(t, p), rel=1e-12)
    assert report["mse"] == pytest.approx(skm.mean_squared_error(t, p), rel=1e-12)
    assert report["r2"] == pytest.approx(skm.r2_score(t, p), rel=1e-9, abs=1e-12)


def test_r2_constant_target_follows_sklearn():
    y = np.full(10, 4.0)
    assert metrics.regression_report(y, y)["r2"] == 1.0 == skm.r2_score(y, y)
    assert metrics.regression_report(y, y + 1)["r2"] == 0.0 == skm.r2_score(y, y + 1)
    # a constant that has no exact binary mean still counts as constant
    y = np.full(7, 0.1)
    assert metrics.regression_report(y, y + 0.5)["r2"] == 0.0
    acc = _accumulate(metrics.get("r2"), y, y + 0.5, 3, 1)
    assert acc.ss_tot.tolist() == [0.0]


def test_r2_is_stable_for_large_mean_and_small_spread():
    rng = np.random.default_rng(7)
    y_true = 1e8 + rng.normal(size=1000)
    y_pred = y_true + 0.1 * rng.normal(size=1000)
    acc = _accumulate(metrics.get("r2"), y_true, y_pred, 10, 1)
    assert metrics.get("r2").compute(acc) == pytest.approx(skm.r2_score(y_true, y_pred), rel=1e-9)


# --------------------------------------------------------------------------- accumulators


def test_confusion_accumulator_reset_count_and_copy():
    acc = metrics.ConfusionAccumulator(3)
    acc.update([0, 1, 2], [0, 2, 2])
    acc.update(np.array([1]), np.array([1]))
    assert acc.count == 4
    matrix = acc.matrix
    matrix[0, 0] = 99
    assert acc.matrix[0, 0] == 1, "matrix must be a copy the caller may keep"
    acc.reset()
    assert acc.count == 0 and not acc.matrix.any()
    with pytest.raises(ValueError, match="no samples"):
        metrics.get("accuracy").compute(acc)


def test_label_dtypes_and_shapes():
    # uint8 labels: true * K + pred would overflow uint8 if not widened
    y_true = np.array([19, 18, 0], dtype=np.uint8)
    y_pred = np.array([19, 0, 0], dtype=np.uint8)
    expected = skm.confusion_matrix(y_true, y_pred, labels=range(20))
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred, 20), expected)
    # whole-number floats (labels read from CSV), bools and (N, 1) columns
    np.testing.assert_array_equal(
        metrics.confusion_matrix([0.0, 1.0, 1.0], np.array([[0], [1], [0]])),
        [[1, 0], [1, 1]],
    )
    np.testing.assert_array_equal(
        metrics.confusion_matrix(np.array([True, False]), np.array([True, True])),
        [[0, 1], [0, 1]],
    )


def test_regression_accumulator_shapes_and_reset():
    acc = metrics.RegressionAccumulator(1)
    acc.update([1.0, 2.0, 3.0], [[1.5], [2.0], [2.0]])
    assert acc.count == 3
    assert metrics.get("mae").compute(acc) == pytest.approx(0.5)
    assert acc.sum_abs_error.dtype == np.float64
    acc.reset()
    assert acc.count == 0 and not acc.sum_sq_error.any()
    with pytest.raises(ValueError, match="no samples"):
        metrics.get("mse").compute(acc)


def test_compute_with_wrong_accumulator():
    with pytest.raises(TypeError, match="ConfusionAccumulator, got RegressionAccumulator"):
        metrics.get("accuracy").compute(metrics.RegressionAccumulator(1))
    with pytest.raises(TypeError, match="RegressionAccumulator, got ConfusionAccumulator"):
        metrics.get("r2").compute(metrics.ConfusionAccumulator(2))


# --------------------------------------------------------------------------- properties

_labels = st.integers(1, 6).flatmap(
    lambda k: st.tuples(
        st.just(k),
        st.lists(st.tuples(st.integers(0, k - 1), st.integers(0, k - 1)), min_size=1, max_size=60),
        st.lists(st.integers(1, 60), min_size=1, max_size=8),
    )
)


def _split(n, cuts):
    bounds = sorted({0, n, *(c % (n + 1) for c in cuts)})
    return list(zip(bounds[:-1], bounds[1:]))


@pytest.mark.filterwarnings("ignore:A single label was found:UserWarning")
@settings(max_examples=150, deadline=None)
@given(_labels)
def test_property_batched_confusion_equals_whole(data):
    k, pairs, cuts = data
    y_true, y_pred = np.array(pairs).T
    acc = metrics.ConfusionAccumulator(k)
    for lo, hi in _split(len(y_true), cuts):
        acc.update(y_true[lo:hi], y_pred[lo:hi])
    whole = metrics.confusion_matrix(y_true, y_pred, k)
    np.testing.assert_array_equal(acc.matrix, whole)
    np.testing.assert_array_equal(whole, skm.confusion_matrix(y_true, y_pred, labels=range(k)))
    assert metrics.report_from_confusion(acc.matrix) == metrics.classification_report(
        y_true, y_pred, k
    )


# multiples of 1/8 are exact in binary, so a constant column is recognised in any batching
_values = st.integers(-800, 800).map(lambda v: v / 8)
_targets = st.integers(1, 3).flatmap(
    lambda k: st.tuples(
        st.lists(st.lists(_values, min_size=2 * k, max_size=2 * k), min_size=1, max_size=40),
        st.lists(st.integers(1, 40), min_size=1, max_size=6),
        st.just(k),
    )
)


@settings(max_examples=150, deadline=None)
@given(_targets)
def test_property_batched_regression_equals_whole(data):
    rows, cuts, k = data
    both = np.array(rows)
    y_true, y_pred = both[:, :k], both[:, k:]
    acc = metrics.RegressionAccumulator(k)
    for lo, hi in _split(len(y_true), cuts):
        acc.update(y_true[lo:hi], y_pred[lo:hi])
    whole = metrics.regression_report(y_true, y_pred)
    for name in metrics.names():
        if _task(name) == "regression":
            got = metrics.get(name).compute(acc)
            assert got == pytest.approx(whole[name], rel=1e-9, abs=1e-9), name
    if len(y_true) >= 2:
        assert whole["r2"] == pytest.approx(skm.r2_score(y_true, y_pred), rel=1e-9, abs=1e-9)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "call",
    [
        lambda: metrics.confusion_matrix([0, 1, 1], [0, 1]),
        lambda: metrics.classification_report([0, 1], [0, 1, 1]),
        lambda: metrics.regression_report([1.0, 2.0], [1.0]),
        lambda: metrics.ConfusionAccumulator(2).update([0], [0, 1]),
        lambda: metrics.RegressionAccumulator(1).update([1.0, 2.0, 3.0], [1.0]),
    ],
    ids=["confusion", "class_report", "reg_report", "confusion_acc", "reg_acc"],
)
def test_mismatched_lengths(call):
    with pytest.raises(ValueError, match=r"same number of samples, got \d and \d"):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: metrics.confusion_matrix([], []),
        lambda: metrics.classification_report(np.array([], int), np.array([], int)),
        lambda: metrics.regression_report([], []),
        lambda: metrics.ConfusionAccumulator(2).update([], []),
        lambda: metrics.RegressionAccumulator(2).update(np.zeros((0, 2)), np.zeros((0, 2))),
    ],
    ids=["confusion", "class_report", "reg_report", "confusion_acc", "reg_acc"],
)
def test_empty_arrays(call):
    with pytest.raises(ValueError, match="empty"):
        call()


@pytest.mark.parametrize(
    "y_true, y_pred, n_classes, message",
    [
        ([0, 1, 3], [0, 1, 1], 3, r"y_true holds label 3, outside the allowed range \[0, 3\)"),
        ([0, 1, 2], [0, -1, 1], 3, r"y_pred holds label -1, outside the allowed range \[0, 3\)"),
        ([0, -2], [0, 1], None, "y_true holds label -2; labels must be >= 0"),
        ([0, 1.5], [0, 1], None, "y_true must hold whole-number class indices, got 1.5"),
        ([0, np.nan], [0, 1], None, "y_true must hold whole-number class indices, got nan"),
        ([0, 1], np.eye(2), None, r"y_pred must be class indices of shape \(N,\).*argmax"),
        (["a", "b"], [0, 1], None, "y_true must hold integer class indices, got dtype <U1"),
    ],
)
def test_bad_labels(y_true, y_pred, n_classes, message):
    with pytest.raises(ValueError, match=message):
        metrics.confusion_matrix(y_true, y_pred, n_classes)
    if n_classes is not None:
        with pytest.raises(ValueError, match=message):
            metrics.ConfusionAccumulator(n_classes).update(y_true, y_pred)


def test_labels_beyond_class_names():
    with pytest.raises(ValueError, match=r"y_pred holds label 2, outside the allowed range \[0, 2\)"):
        metrics.classification_report([0, 1], [0, 2], class_names=["cat", "dog"])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", ["y_true", "y_pred"])
def test_non_finite_regression_inputs(bad, where):
    y_true = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    y_pred = y_true + 0.5
    target = y_true if where == "y_true" else y_pred
    target[2, 1] = bad
    acc = metrics.RegressionAccumulator(2)
    with pytest.raises(ValueError, match=rf"{where} holds {bad} at row 2, column 1.*finite"):
        acc.update(y_true, y_pred)
    assert acc.count == 0, "a rejected batch must leave the accumulator untouched"
    with pytest.raises(ValueError, match=rf"{where} holds {bad}"):
        metrics.regression_report(y_true, y_pred)


def test_regression_shape_errors():
    with pytest.raises(ValueError, match=r"same shape, got \(3, 2\) and \(3, 1\)"):
        metrics.regression_report(np.zeros((3, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="expected 2 output"):
        metrics.RegressionAccumulator(2).update(np.zeros((3, 3)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"shape \(N,\) or \(N, K\), got shape \(2, 2, 2\)"):
        metrics.regression_report(np.zeros((2, 2, 2)), np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="must hold numbers"):
        metrics.regression_report(["a", "b"], [1.0, 2.0])


def test_overflowing_squares():
    with pytest.raises(ValueError, match="overflow"):
        metrics.regression_report([1e200, 0.0], [-1e200, 0.0])


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "3", None])
@pytest.mark.parametrize("cls", [metrics.ConfusionAccumulator, metrics.RegressionAccumulator])
def test_bad_sizes(cls, bad):
    with pytest.raises(ValueError, match=rf"must be a positive integer, got {bad!r}"):
        cls(bad)


@pytest.mark.parametrize(
    "matrix, message",
    [
        (np.zeros((2, 3), int), r"square.*got shape \(2, 3\)"),
        (np.array([[1, -1], [0, 1]]), "counts >= 0, got -1"),
        (np.zeros((2, 2), int), "all zeros"),
        (np.array([[1.5, 0], [0, 1]]), "whole-number counts"),
    ],
)
def test_bad_confusion_matrix(matrix, message):
    with pytest.raises(ValueError, match=message):
        metrics.report_from_confusion(matrix)
    with pytest.raises(ValueError, match=message):
        metrics.get("accuracy").from_confusion(matrix)


def test_class_names_length():
    with pytest.raises(ValueError, match="class_names has 3 names but the matrix has 2 classes"):
        metrics.report_from_confusion([[1, 0], [0, 1]], class_names=["a", "b", "c"])
