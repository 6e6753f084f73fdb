"""Metrics for classification and regression, accumulated batch by batch.

The training loop feeds every batch to an accumulator (:class:`ConfusionAccumulator` or
:class:`RegressionAccumulator`); a registered metric then turns the accumulator into one number
with ``compute(acc)``.  Accumulators only keep a few sums, so an epoch's metric costs a couple
of NumPy calls per batch and equals the metric computed on the whole epoch at once.

Classification metrics follow ``sklearn.metrics`` with ``zero_division=0``; regression metrics
follow ``torch.nn.L1Loss`` / ``MSELoss`` (``reduction='mean'``) and ``sklearn.metrics.r2_score``.

Examples
--------
>>> import numpy as np
>>> from engine import metrics
>>> acc = metrics.ConfusionAccumulator(3)
>>> acc.update(np.array([0, 1, 2, 2]), np.array([0, 2, 2, 2]))
>>> metrics.get({"name": "recall", "average": "macro"}).compute(acc)
0.6666666666666666
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike

from engine import checks
from engine.registry import Configurable, Registry

METRICS = Registry("metric")

CLASSIFICATION = "classification"
REGRESSION = "regression"

__all__ = [
    "METRICS",
    "names",
    "get",
    "to_config",
    "ConfusionAccumulator",
    "RegressionAccumulator",
    "Metric",
    "ClassificationMetric",
    "RegressionMetric",
    "Accuracy",
    "Precision",
    "Recall",
    "F1",
    "MAE",
    "MSE",
    "RMSE",
    "R2",
    "confusion_matrix",
    "classification_report",
    "report_from_confusion",
    "regression_report",
]


def names() -> list[str]:
    """Names of all registered metrics, in registration order."""
    return METRICS.names()


def get(spec: Any, **overrides: Any) -> "Metric":
    """Create a metric from a name (``"f1"``) or a config (``{"name": "f1", "average": "weighted"}``)."""
    return METRICS.get(spec, **overrides)


def to_config(metric: "Metric") -> dict:
    """The JSON-able config ``{"name": ..., **parameters}`` that rebuilds ``metric``."""
    return METRICS.to_config(metric)


# --------------------------------------------------------------------------- input checks


# Words of the accumulators' size errors, older than engine.checks and held by tests.
_POSITIVE = ("a positive integer", "a positive integer")


def _as_labels(y: ArrayLike, what: str) -> np.ndarray:
    """Class indices as a 1-D integer array (a column (N, 1) is accepted too)."""
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(
            f"{what} must be class indices of shape (N,), got shape {arr.shape}; "
            "for one-hot rows or class probabilities pass their argmax(axis=1)"
        )
    kind = arr.dtype.kind
    if kind in "iub":
        # intp so that true * K + pred cannot overflow a small dtype such as uint8.
        return arr.astype(np.intp, copy=False)
    if kind == "f":
        # Labels read from a CSV often arrive as floats; whole numbers are fine.
        finite = np.isfinite(arr)
        whole = finite & (arr == np.trunc(np.where(finite, arr, 0.0)))
        if not whole.all():
            bad = arr[~whole][0]
            raise ValueError(
                f"{what} must hold whole-number class indices, got {float(bad)!r}"
            )
        return arr.astype(np.intp)
    raise ValueError(f"{what} must hold integer class indices, got dtype {arr.dtype}")


def _check_same_length(y_true: np.ndarray, y_pred: np.ndarray) -> None:
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"y_true and y_pred must have the same number of samples, "
            f"got {len(y_true)} and {len(y_pred)}"
        )
    if len(y_true) == 0:
        raise ValueError("y_true and y_pred are empty; metrics need at least one sample")


def _label_pair(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """True and predicted class indices as 1-D integer arrays of one length N > 0."""
    true = _as_labels(y_true, "y_true")
    pred = _as_labels(y_pred, "y_pred")
    _check_same_length(true, pred)
    return true, pred


def _check_label_range(labels: np.ndarray, n_classes: int, what: str) -> None:
    low, high = labels.min(), labels.max()
    if low < 0 or high >= n_classes:
        bad = int(low) if low < 0 else int(high)
        raise ValueError(
            f"{what} holds label {bad}, outside the allowed range [0, {n_classes}) "
            f"for {n_classes} classes"
        )


def _as_targets(y: ArrayLike, what: str) -> np.ndarray:
    """Regression targets as float64 of shape (N, K); (N,) is read as one output."""
    arr = np.asarray(y)
    if arr.dtype.kind not in "iufb":
        raise ValueError(f"{what} must hold numbers, got dtype {arr.dtype}")
    # float64 because float32 sums of squares over an epoch lose digits R² depends on.
    arr = arr.astype(np.float64, copy=False)
    if arr.ndim == 1:
        return arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{what} must have shape (N,) or (N, K), got shape {arr.shape}")
    return arr


def _as_confusion(matrix: ArrayLike) -> np.ndarray:
    arr = np.asarray(matrix)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
        raise ValueError(
            f"a confusion matrix must be square of shape (K, K) with K >= 1, got shape {arr.shape}"
        )
    if arr.dtype.kind not in "iuf":
        raise ValueError(f"a confusion matrix must hold counts, got dtype {arr.dtype}")
    if arr.dtype.kind == "f" and not (np.isfinite(arr).all() and (arr == np.trunc(arr)).all()):
        raise ValueError("a confusion matrix must hold whole-number counts")
    if (arr < 0).any():
        raise ValueError(f"a confusion matrix must hold counts >= 0, got {arr.min()}")
    if arr.sum() == 0:
        raise ValueError("the confusion matrix is all zeros; metrics need at least one sample")
    return arr.astype(np.int64, copy=False)


def _safe_div(numerator: ArrayLike, denominator: ArrayLike) -> np.ndarray:
    """numerator / denominator, with 0 where the denominator is 0 (sklearn's zero_division=0)."""
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    out = np.zeros(np.broadcast_shapes(num.shape, den.shape))
    return np.divide(num, den, out=out, where=den != 0)


# --------------------------------------------------------------------------- accumulators


class ConfusionAccumulator:
    """Confusion matrix accumulated over batches of class predictions.

    Parameters
    ----------
    n_classes : int
        Number of classes K; labels must lie in ``[0, K)``.

    Attributes
    ----------
    n_classes : int
    count : int
        Samples seen since the last :meth:`reset`.

    Notes
    -----
    ``matrix[i, j]`` counts samples of true class ``i`` predicted as class ``j`` (the
    convention of ``sklearn.metrics.confusion_matrix``).  One update is a single
    ``np.bincount(true * K + pred, minlength=K * K)``.
    """

    def __init__(self, n_classes: int):
        self.n_classes = checks.whole("n_classes", n_classes, 1, wording=_POSITIVE)
        self._matrix = np.zeros((self.n_classes, self.n_classes), dtype=np.int64)
        self.count = 0

    def update(self, y_true: ArrayLike, y_pred: ArrayLike) -> None:
        """Add one batch.

        Parameters
        ----------
        y_true, y_pred : array_like of int, shape (N,)
            True and predicted class indices in ``[0, K)``.

        Raises
        ------
        ValueError
            If the lengths differ, the batch is empty or a label lies outside ``[0, K)``.
        """
        true, pred = _label_pair(y_true, y_pred)
        k = self.n_classes
        _check_label_range(true, k, "y_true")
        _check_label_range(pred, k, "y_pred")
        self._matrix += np.bincount(true * k + pred, minlength=k * k).reshape(k, k)
        self.count += len(true)

    @property
    def matrix(self) -> np.ndarray:
        """int64 array (K, K): rows are true classes, columns predicted classes.

        A copy, because the matrix is handed to other threads while training goes on.
        """
        return self._matrix.copy()

    def reset(self) -> None:
        """Forget all samples (start of a new epoch)."""
        self._matrix[...] = 0
        self.count = 0

    def __repr__(self) -> str:
        return f"ConfusionAccumulator(n_classes={self.n_classes}, count={self.count})"


class RegressionAccumulator:
    """Running sums for MAE, MSE, RMSE and R², accumulated over batches.

    Parameters
    ----------
    n_outputs : int
        Number of regression outputs K.

    Attributes
    ----------
    n_outputs : int
    count : int
        Samples N seen since the last :meth:`reset`.
    sum_abs_error : ndarray of float64, shape (K,)
        ``sum_i |y_pred_ik - y_true_ik|``.
    sum_sq_error : ndarray of float64, shape (K,)
        ``SS_res_k = sum_i (y_pred_ik - y_true_ik)**2``.
    y_mean : ndarray of float64, shape (K,)
        Mean of ``y_true`` per output.
    ss_tot : ndarray of float64, shape (K,)
        ``SS_tot_k = sum_i (y_true_ik - y_mean_k)**2``.

    Notes
    -----
    ``SS_tot`` is not formed as ``sum y**2 - (sum y)**2 / N``: that difference cancels
    catastrophically when targets have a large mean and a small spread.  Each batch's mean and
    sum of squared deviations are merged instead (Chan, Golub and LeVeque, 1979):

    ``delta = mean_b - mean_a``,
    ``SS_tot = SS_a + SS_b + delta**2 * N_a * N_b / (N_a + N_b)``.

    Sums are kept in float64 whatever the input dtype.
    """

    def __init__(self, n_outputs: int):
        self.n_outputs = checks.whole("n_outputs", n_outputs, 1, wording=_POSITIVE)
        self.reset()

    def update(self, y_true: ArrayLike, y_pred: ArrayLike) -> None:
        """Add one batch.

        Parameters
        ----------
        y_true, y_pred : array_like of float, shape (N, K) or (N,) when K == 1

        Raises
        ------
        ValueError
            If shapes differ, the batch is empty, K differs from ``n_outputs`` or a value is
            NaN or infinite.
        """
        true = _as_targets(y_true, "y_true")
        pred = _as_targets(y_pred, "y_pred")
        _check_same_length(true, pred)
        if true.shape != pred.shape:
            raise ValueError(
                f"y_true and y_pred must have the same shape, got {true.shape} and {pred.shape}"
            )
        if true.shape[1] != self.n_outputs:
            raise ValueError(
                f"expected {self.n_outputs} output(s), got arrays with {true.shape[1]} columns"
            )
        # NaN/inf/overflow are caught below with a message, not as NumPy warnings.
        with np.errstate(invalid="ignore", over="ignore"):
            error = pred - true
            abs_b = np.abs(error).sum(axis=0)
            sq_b = np.einsum("ij,ij->j", error, error)
            # Deviations from the first row, so a constant column gives SS_tot exactly 0
            # (R²'s special case) instead of rounding noise left by an inexact mean.
            shifted = true - true[0]
            shift_mean = shifted.mean(axis=0)
            centred = shifted - shift_mean
            ss_b = np.einsum("ij,ij->j", centred, centred)
            mean_b = true[0] + shift_mean
        # NaN/inf in either input reaches these sums, so checking K numbers checks N * K.
        if not (np.isfinite(sq_b).all() and np.isfinite(ss_b).all()):
            self._raise_not_finite(true, pred)

        n_a, n_b = self.count, len(true)
        if n_a == 0:
            self.y_mean, self.ss_tot = mean_b, ss_b
        else:
            n = n_a + n_b
            delta = mean_b - self.y_mean
            self.y_mean = self.y_mean + delta * (n_b / n)
            self.ss_tot = self.ss_tot + ss_b + delta * delta * (n_a * n_b / n)
        self.sum_abs_error = self.sum_abs_error + abs_b
        self.sum_sq_error = self.sum_sq_error + sq_b
        self.count = n_a + n_b

    @staticmethod
    def _raise_not_finite(true: np.ndarray, pred: np.ndarray) -> None:
        for what, arr in (("y_true", true), ("y_pred", pred)):
            bad = ~np.isfinite(arr)
            if bad.any():
                row, col = np.argwhere(bad)[0]
                raise ValueError(
                    f"{what} holds {arr[row, col]} at row {row}, column {col}; "
                    "regression metrics need finite numbers"
                )
        raise ValueError(
            "squared errors overflow float64; the values are too large for regression metrics"
        )

    def reset(self) -> None:
        """Forget all samples (start of a new epoch)."""
        k = self.n_outputs
        self.count = 0
        self.sum_abs_error = np.zeros(k)
        self.sum_sq_error = np.zeros(k)
        self.y_mean = np.zeros(k)
        self.ss_tot = np.zeros(k)

    def __repr__(self) -> str:
        return f"RegressionAccumulator(n_outputs={self.n_outputs}, count={self.count})"


# --------------------------------------------------------------------------- metric classes


class Metric(Configurable):
    """Base of all registered metrics.

    Attributes
    ----------
    name : str
        Registry name, set by ``METRICS.register``.
    task : str
        ``"classification"`` or ``"regression"``.
    accumulator : type
        The accumulator class whose instances :meth:`compute` reads.
    label : str
        Short human name for plots and tables.
    higher_is_better : bool
        For picking the best epoch.
    """

    name: str
    task: str
    accumulator: type
    label: str
    higher_is_better: bool

    def compute(self, acc: Any) -> float:
        """The metric over everything ``acc`` has accumulated."""
        if not isinstance(acc, self.accumulator):
            raise TypeError(
                f"metric {self.name!r} reads a {self.accumulator.__name__}, "
                f"got {type(acc).__name__}"
            )
        if acc.count == 0:
            raise ValueError(
                f"metric {self.name!r}: the accumulator holds no samples; call update() first"
            )
        return float(self._score(acc))

    def _score(self, acc: Any) -> float:
        raise NotImplementedError


class ClassificationMetric(Metric):
    """A metric read from a confusion matrix C of shape (K, K), rows true, columns predicted."""

    task = CLASSIFICATION
    accumulator = ConfusionAccumulator
    higher_is_better = True

    def compute(self, acc: ConfusionAccumulator) -> float:
        """The metric over the samples in ``acc`` (a :class:`ConfusionAccumulator`)."""
        return super().compute(acc)

    def from_confusion(self, matrix: ArrayLike) -> float:
        """The metric from a confusion matrix of shape (K, K)."""
        return float(self._from_matrix(_as_confusion(matrix)))

    def _score(self, acc: ConfusionAccumulator) -> float:
        return self._from_matrix(acc._matrix)

    def _from_matrix(self, matrix: np.ndarray) -> float:
        raise NotImplementedError


@METRICS.register("accuracy", aliases=("acc",))
class Accuracy(ClassificationMetric):
    """Fraction of samples whose predicted class is the true class.

    ``accuracy = trace(C) / sum(C)``, computed from the confusion matrix C (K, K).
    """

    label = "Accuracy"

    def _from_matrix(self, matrix: np.ndarray) -> float:
        return np.trace(matrix) / matrix.sum()


def _counts(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per class: true positives, support (row sums) and predicted count (column sums)."""
    return np.diagonal(matrix), matrix.sum(axis=1), matrix.sum(axis=0)


def _macro(score: Callable, tp: np.ndarray, n_true: np.ndarray, n_pred: np.ndarray) -> float:
    return score(tp, n_true, n_pred).mean()


def _weighted(score: Callable, tp: np.ndarray, n_true: np.ndarray, n_pred: np.ndarray) -> float:
    return _safe_div((score(tp, n_true, n_pred) * n_true).sum(), n_true.sum())


def _micro(score: Callable, tp: np.ndarray, n_true: np.ndarray, n_pred: np.ndarray) -> float:
    return score(tp.sum(), n_true.sum(), n_pred.sum())


# How the per-class scores are combined into one number, as in sklearn's ``average=``.
AVERAGES: dict[str, Callable] = {"macro": _macro, "weighted": _weighted, "micro": _micro}


class AveragedMetric(ClassificationMetric):
    """A per-class score combined over classes.

    Parameters
    ----------
    average : {"macro", "weighted", "micro"}, default "macro"
        ``macro``: unweighted mean over all K classes (classes without samples count as 0).
        ``weighted``: mean weighted by support, ``sum_k s_k * score_k / sum_k s_k``.
        ``micro``: the score of the summed counts ``TP = sum_k TP_k`` etc.; for single-label
        classification this equals the accuracy.
    """

    def __init__(self, average: str = "macro"):
        if average not in AVERAGES:
            raise ValueError(
                f"average must be one of {', '.join(map(repr, AVERAGES))}, got {average!r}"
            )
        self.average = average

    def config(self) -> dict:
        return {"average": self.average}

    @staticmethod
    def score(tp: ArrayLike, n_true: ArrayLike, n_pred: ArrayLike) -> np.ndarray:
        """Per-class score from true positives, support and predicted counts, shape (K,)."""
        raise NotImplementedError

    def per_class(self, matrix: ArrayLike) -> np.ndarray:
        """The score of every class, float64 of shape (K,), from a confusion matrix (K, K)."""
        return self.score(*_counts(_as_confusion(matrix)))

    def _from_matrix(self, matrix: np.ndarray) -> float:
        return AVERAGES[self.average](self.score, *_counts(matrix))


@METRICS.register("precision")
class Precision(AveragedMetric):
    """Precision: of the samples predicted as class k, the fraction that are class k.

    ``precision_k = TP_k / (TP_k + FP_k) = C[k, k] / sum_i C[i, k]``, and 0 when class k is
    never predicted (sklearn's ``zero_division=0``).  See :class:`AveragedMetric` for
    ``average``.
    """

    label = "Precision"

    @staticmethod
    def score(tp: ArrayLike, n_true: ArrayLike, n_pred: ArrayLike) -> np.ndarray:
        return _safe_div(tp, n_pred)


@METRICS.register("recall", aliases=("sensitivity",))
class Recall(AveragedMetric):
    """Recall: of the samples of class k, the fraction predicted as class k.

    ``recall_k = TP_k / (TP_k + FN_k) = C[k, k] / sum_j C[k, j]``, and 0 when class k has no
    samples.  See :class:`AveragedMetric` for ``average``.
    """

    label = "Recall"

    @staticmethod
    def score(tp: ArrayLike, n_true: ArrayLike, n_pred: ArrayLike) -> np.ndarray:
        return _safe_div(tp, n_true)


@METRICS.register("f1", aliases=("f1_score", "f1-score"))
class F1(AveragedMetric):
    """F1 score: harmonic mean of precision and recall per class.

    ``f1_k = 2 TP_k / (2 TP_k + FP_k + FN_k)``, and 0 when class k is neither present nor
    predicted.  Formed from the counts (as sklearn does), so it equals
    ``2 P_k R_k / (P_k + R_k)`` wherever that is defined.  See :class:`AveragedMetric` for
    ``average``.
    """

    label = "F1"

    @staticmethod
    def score(tp: ArrayLike, n_true: ArrayLike, n_pred: ArrayLike) -> np.ndarray:
        # 2TP + FP + FN == support + predicted count
        return _safe_div(2 * np.asarray(tp), np.asarray(n_true) + np.asarray(n_pred))


class RegressionMetric(Metric):
    """A metric read from a :class:`RegressionAccumulator`.

    Over K outputs the per-output values are averaged uniformly (sklearn's
    ``multioutput='uniform_average'``).
    """

    task = REGRESSION
    accumulator = RegressionAccumulator
    higher_is_better = False

    def compute(self, acc: RegressionAccumulator) -> float:
        """The metric over the samples in ``acc`` (a :class:`RegressionAccumulator`)."""
        return super().compute(acc)


@METRICS.register("mae", aliases=("mean_absolute_error", "l1"))
class MAE(RegressionMetric):
    """Mean absolute error over all N * K elements.

    ``MAE = sum_ik |y_pred_ik - y_true_ik| / (N K)``, as ``torch.nn.L1Loss(reduction='mean')``;
    equal to the uniform average of the per-output MAEs.
    """

    label = "MAE"

    def _score(self, acc: RegressionAccumulator) -> float:
        return acc.sum_abs_error.mean() / acc.count


@METRICS.register("mse", aliases=("mean_squared_error",))
class MSE(RegressionMetric):
    """Mean squared error over all N * K elements.

    ``MSE = sum_ik (y_pred_ik - y_true_ik)**2 / (N K)``, as
    ``torch.nn.MSELoss(reduction='mean')``; equal to the uniform average of per-output MSEs.
    """

    label = "MSE"

    def _score(self, acc: RegressionAccumulator) -> float:
        return acc.sum_sq_error.mean() / acc.count


@METRICS.register("rmse", aliases=("root_mean_squared_error",))
class RMSE(RegressionMetric):
    """Root mean squared error, ``RMSE = sqrt(MSE)`` with MSE over all N * K elements.

    With several outputs this is the root of the averaged MSE, not sklearn's
    ``root_mean_squared_error`` (which averages per-output roots); it matches
    ``sqrt(torch.nn.MSELoss()(pred, target))``, the RMSE loss.
    """

    label = "RMSE"

    def _score(self, acc: RegressionAccumulator) -> float:
        return np.sqrt(acc.sum_sq_error.mean() / acc.count)


@METRICS.register("r2", aliases=("r2_score", "r²"))
class R2(RegressionMetric):
    """Coefficient of determination, uniformly averaged over outputs.

    ``R²_k = 1 - SS_res_k / SS_tot_k`` with ``SS_res_k = sum_i (y_true_ik - y_pred_ik)**2``
    and ``SS_tot_k = sum_i (y_true_ik - mean_i y_true_ik)**2``;  ``R² = mean_k R²_k``.
    A constant target (``SS_tot_k == 0``) scores 1.0 if predicted exactly and 0.0 otherwise,
    as sklearn's ``r2_score(force_finite=True)``.  Unlike sklearn, one sample is not an error
    (it is a constant target).
    """

    label = "R²"
    higher_is_better = True

    def _score(self, acc: RegressionAccumulator) -> float:
        ss_res, ss_tot = acc.sum_sq_error, acc.ss_tot
        constant = np.where(ss_res == 0, 1.0, 0.0)
        per_output = np.where(ss_tot != 0, 1.0 - _safe_div(ss_res, ss_tot), constant)
        return per_output.mean()


# --------------------------------------------------------------------------- whole arrays


def confusion_matrix(
    y_true: ArrayLike, y_pred: ArrayLike, n_classes: int | None = None
) -> np.ndarray:
    """Confusion matrix of class predictions.

    Parameters
    ----------
    y_true, y_pred : array_like of int, shape (N,)
        True and predicted class indices.
    n_classes : int, optional
        Number of classes K; labels must lie in ``[0, K)``.  Default: the largest label + 1.

    Returns
    -------
    ndarray of int64, shape (K, K)
        ``C[i, j] = #{n : y_true[n] = i and y_pred[n] = j}`` (rows true, columns predicted,
        as ``sklearn.metrics.confusion_matrix(..., labels=range(K))``).

    Raises
    ------
    ValueError
        If the lengths differ, the arrays are empty or a label lies outside ``[0, K)``.
    """
    true, pred = _label_pair(y_true, y_pred)
    if n_classes is None:
        for what, labels in (("y_true", true), ("y_pred", pred)):
            if labels.min() < 0:
                raise ValueError(f"{what} holds label {int(labels.min())}; labels must be >= 0")
        n_classes = int(max(true.max(), pred.max())) + 1
    acc = ConfusionAccumulator(n_classes)
    acc.update(true, pred)
    return acc.matrix


def report_from_confusion(
    matrix: ArrayLike, class_names: Sequence[str] | None = None
) -> dict:
    """Classification report from a confusion matrix.

    Parameters
    ----------
    matrix : array_like of int, shape (K, K)
        Rows true classes, columns predicted classes (e.g. ``ConfusionAccumulator.matrix``).
    class_names : sequence of str of length K, optional
        Default ``["0", "1", ...]``.

    Returns
    -------
    dict
        JSON-able (Python ints, floats, strs and lists only)::

            {"n_samples": N, "accuracy": trace(C) / N,
             "per_class": {"class_names": [...], "precision": [...], "recall": [...],
                           "f1": [...], "support": [...]},
             "macro":    {"precision": p, "recall": r, "f1": f},
             "weighted": {"precision": p, "recall": r, "f1": f},
             "binary":   {"precision": p, "recall": r, "f1": f},   # only when K == 2
             "confusion_matrix": [[...], ...]}

        with ``precision_k = C[k,k] / sum_i C[i,k]``, ``recall_k = C[k,k] / sum_j C[k,j]``,
        ``f1_k = 2 C[k,k] / (sum_j C[k,j] + sum_i C[i,k])`` (0 where a denominator is 0),
        ``support_k = sum_j C[k,j]``; macro is the plain mean over classes, weighted the
        support-weighted mean; binary holds the scores of the positive class 1.
    """
    matrix = _as_confusion(matrix)
    k = matrix.shape[0]
    if class_names is None:
        class_names = [str(i) for i in range(k)]
    elif len(class_names) != k:
        raise ValueError(
            f"class_names has {len(class_names)} names but the matrix has {k} classes"
        )
    tp, n_true, n_pred = _counts(matrix)
    scores = {"precision": Precision, "recall": Recall, "f1": F1}
    per_class = {key: cls.score(tp, n_true, n_pred) for key, cls in scores.items()}
    report: dict[str, Any] = {
        "n_samples": int(matrix.sum()),
        "accuracy": float(Accuracy()._from_matrix(matrix)),
        "per_class": {
            "class_names": [str(name) for name in class_names],
            **{key: values.tolist() for key, values in per_class.items()},
            "support": n_true.tolist(),
        },
    }
    for average in ("macro", "weighted"):
        report[average] = {
            key: float(cls(average)._from_matrix(matrix)) for key, cls in scores.items()
        }
    if k == 2:
        report["binary"] = {key: float(values[1]) for key, values in per_class.items()}
    report["confusion_matrix"] = matrix.tolist()
    return report


def classification_report(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    n_classes: int | None = None,
    class_names: Sequence[str] | None = None,
) -> dict:
    """Accuracy and per-class, macro and weighted precision, recall and F1.

    Parameters
    ----------
    y_true, y_pred : array_like of int, shape (N,)
        True and predicted class indices.
    n_classes : int, optional
        Number of classes K.  Default: ``len(class_names)`` if given, else largest label + 1.
    class_names : sequence of str of length K, optional

    Returns
    -------
    dict
        See :func:`report_from_confusion`; built from ``confusion_matrix(y_true, y_pred, K)``.
    """
    if n_classes is None and class_names is not None:
        n_classes = len(class_names)
    return report_from_confusion(confusion_matrix(y_true, y_pred, n_classes), class_names)


def regression_report(y_true: ArrayLike, y_pred: ArrayLike) -> dict:
    """Every registered regression metric on whole arrays.

    Parameters
    ----------
    y_true, y_pred : array_like of float, shape (N, K) or (N,)

    Returns
    -------
    dict
        ``{"mae": ..., "mse": ..., "rmse": ..., "r2": ...}`` as Python floats (see
        :class:`MAE`, :class:`MSE`, :class:`RMSE`, :class:`R2` for the formulas), plus any
        regression metric registered later.

    Raises
    ------
    ValueError
        If shapes differ, the arrays are empty or hold NaN or infinity.
    """
    true = _as_targets(y_true, "y_true")
    acc = RegressionAccumulator(max(true.shape[1], 1))
    acc.update(true, y_pred)
    return {
        name: get(name).compute(acc)
        for name in names()
        if METRICS.cls(name).task == REGRESSION
    }
