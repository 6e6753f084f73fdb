"""Loss functions with their gradients, and the rules for which outputs and labels they fit.

All losses use ``reduction='mean'`` as ``torch.nn`` does: the regression losses and binary
cross-entropy average over every element (N x K), the categorical cross-entropies over the N
samples.  Each loss class holds its value, its gradient and its fit rules side by side.

Targets
-------
``describe_targets(y)`` names the encoding of a label array:

* ``"integer"``  -- class indices, shape (N,) (or (N, 1)) of whole numbers >= 0;
* ``"one_hot"``  -- shape (N, K), K >= 2, every entry 0 or 1, every row sums to 1;
* ``"binary"``   -- shape (N,) or (N, K) with every entry 0 or 1 (not one-hot);
* ``"continuous"`` -- anything else (real-valued regression targets, soft labels).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import checks
from .activations import ACTIVATIONS, _buffer
from .registry import Configurable, Registry

LOSSES = Registry("loss")

# torch.nn.BCELoss clamps each log term at -100 so that p = 0 or 1 gives a finite loss.
_LOG_CLAMP = -100.0
# torch's BCELoss backward divides by max(p (1 - p), 1e-12).
_BCE_EPS = 1e-12


def names() -> list[str]:
    """Registered loss names."""
    return LOSSES.names()


def get(spec, **overrides) -> "Loss":
    """A loss from a name, a config dict or an instance."""
    return LOSSES.get(spec, **overrides)


class TargetError(ValueError):
    """Targets that do not fit the loss or the network's output (shape, encoding, range)."""


@dataclass(frozen=True)
class TargetInfo:
    """What a label array looks like: its encoding (``kind``), its column count, its class
    count, and its smallest and largest value (``low``, ``high``)."""

    kind: str
    columns: int
    n_classes: int | None
    low: float = 0.0
    high: float = 1.0


def describe_targets(y: np.ndarray) -> TargetInfo:
    """Classify the encoding of targets ``y`` (see the module docstring).

    Parameters
    ----------
    y : array, shape (N,) or (N, K)

    Returns
    -------
    TargetInfo
        ``kind`` one of "integer", "one_hot", "binary", "continuous"; ``columns`` K (1 for a
        vector); ``n_classes`` for integer (max + 1) and one-hot (K) labels, 2 for binary.
    """
    y = np.asarray(y)
    if y.ndim == 0 or y.ndim > 2 or y.shape[0] == 0:
        raise TargetError(f"targets must have shape (N,) or (N, K) with N > 0, got {y.shape}")
    columns = 1 if y.ndim == 1 else y.shape[1]
    if y.dtype.kind in "fc" and not np.all(np.isfinite(y)):
        raise TargetError("targets contain NaN or infinite values")
    if y.dtype.kind == "b":
        y = y.astype(np.int8)
    if y.dtype.kind not in "biuf":
        raise TargetError(f"targets must be numbers, got dtype {y.dtype}")
    low, high = float(y.min()), float(y.max())
    binary = bool(np.all((y == 0) | (y == 1)))
    if columns >= 2 and binary and np.all(y.sum(axis=1) == 1):
        return TargetInfo("one_hot", columns, columns, low, high)
    if columns == 1 and low >= 0 and np.all(y == np.round(y)) and not binary:
        return TargetInfo("integer", 1, int(high) + 1, low, high)
    if binary:
        # A 0/1 vector is both binary labels and integer class indices of 2 classes.
        return TargetInfo("binary", columns, 2, low, high)
    return TargetInfo("continuous", columns, None, low, high)


@dataclass(frozen=True)
class Fit:
    """A finding about whether loss, output activation, output size and labels fit together."""

    severity: str  # "error": cannot train correctly; "warning": trains, but probably not as meant
    message: str


class Loss(Configurable):
    """Base class.

    Attributes
    ----------
    fused_activation : str or None
        Output activation whose derivative this loss folds into a single, stable gradient
        with respect to the pre-activation ``z`` (softmax for the cross-entropies, sigmoid
        for binary cross-entropy).
    task : str
        "classification" or "regression": which metrics and which outputs it is made for.
    independent_outputs : bool
        True when every output unit is its own yes/no decision (binary cross-entropy),
        False when the units together are one choice among classes, or regression values.
    """

    fused_activation: str | None = None
    task = "regression"
    independent_outputs = False

    # -- targets -----------------------------------------------------------------------
    def prepare_targets(self, y: np.ndarray, n_outputs: int, dtype=np.float32) -> np.ndarray:
        """Validate targets against the output layer and convert them to the array this loss
        computes with.

        Parameters
        ----------
        y : array_like, shape (N,) or (N, n_outputs)
            Targets; a vector is read as one column.
        n_outputs : int
            Units K of the output layer.
        dtype : dtype
            The network's float dtype.

        Returns
        -------
        ndarray, shape (N, K), of ``dtype``
            C-contiguous (sparse categorical cross-entropy returns int64 indices (N,)).

        Raises
        ------
        TargetError
            Wrong shape, NaN or infinite values, or values the loss cannot take.
        """
        y = np.asarray(y)
        if y.ndim == 1:
            y = y[:, None]
        if y.ndim != 2 or y.shape[1] != n_outputs:
            raise TargetError(
                f"{self.name} needs targets of shape (N, {n_outputs}) to match the "
                f"{n_outputs} output unit(s), got {np.shape(y)}"
            )
        if not np.all(np.isfinite(y)):
            raise TargetError("targets contain NaN or infinite values")
        return np.ascontiguousarray(y, dtype=dtype)

    def check_fit(self, activation: str, n_outputs: int, targets: TargetInfo | None) -> list[Fit]:
        """Whether this loss fits the output layer and the labels.

        Parameters
        ----------
        activation : str
            Registered name of the output layer's activation ("linear" when it has none).
        n_outputs : int
            Units of the output layer.
        targets : TargetInfo or None
            :func:`describe_targets` of the labels; None when no data is known yet.

        Returns
        -------
        list of Fit
            Errors (cannot train correctly) and warnings (trains, probably not as meant),
            each with a message that says what to change; empty when all fits.
        """
        found = []
        if ACTIVATIONS.cls(activation).outputs_probabilities:
            found.append(Fit("warning", (
                f"{self.name} on {activation} outputs treats class probabilities as numbers; "
                "it trains, but cross-entropy learns faster and is what classification "
                "expects")))
        if targets is not None and targets.kind == "one_hot":
            found.append(Fit("warning", (
                f"{self.name} on one-hot class labels: a classification loss (cross-entropy) "
                "with a softmax output fits them better")))
        elif targets is not None and targets.kind == "integer":
            # whole numbers may be classes or counted values (a regression target): say both
            found.append(Fit("warning", (
                f"{self.name} on whole-number targets 0..{targets.high:g}: if they are class "
                "labels, a classification loss (cross-entropy) with a softmax or sigmoid "
                f"output fits them better; if they are values to predict, {self.name} fits")))
        if targets is not None and targets.columns != n_outputs:
            found.append(Fit("error", (
                f"the targets have {targets.columns} column(s) but the output layer has "
                f"{n_outputs} unit(s); {self.name} compares them one to one: set the output "
                "units to auto")))
        return found

    # -- value and gradient --------------------------------------------------------------
    def value(self, a: np.ndarray, y: np.ndarray) -> float:
        """The mean loss ``L`` (torch ``reduction='mean'``; each loss states its formula).

        Parameters
        ----------
        a : ndarray, shape (N, K)
            Outputs of the network (after the output activation).
        y : ndarray
            Targets as :meth:`prepare_targets` returns them.

        Returns
        -------
        float
        """
        return self.value_and_grad(a, y)[0]

    def value_and_grad(self, a: np.ndarray, y: np.ndarray, out=None) -> tuple[float, np.ndarray]:
        """``(L, dL/da)`` for outputs ``a`` (N, K); ``out`` is an optional (N, K) buffer."""
        raise NotImplementedError

    def grad(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """``dL/da`` alone (training computes the epoch's loss once, at its end).

        Parameters
        ----------
        a : ndarray, shape (N, K)
            Outputs of the network.
        y : ndarray
            Targets as :meth:`prepare_targets` returns them.

        Returns
        -------
        ndarray, shape (N, K)
            The gradient of the mean loss, so it already carries the ``1 / N`` (or
            ``1 / (N K)``) of the mean.
        """
        return self.value_and_grad(a, y)[1]

    def value_and_grad_logits(self, z, a, y, out=None) -> tuple[float, np.ndarray]:
        """``(L, dL/dz)`` where ``a = fused_activation(z)``; numerically stable for any ``z``."""
        return self.value_logits(z, y), self.grad_logits(z, a, y, out)

    def value_logits(self, z: np.ndarray, y: np.ndarray) -> float:
        """The mean loss from the output layer's pre-activation ``z`` (N, K) (fused form)."""
        raise NotImplementedError

    def grad_logits(self, z, a, y, out=None) -> np.ndarray:
        """``dL/dz`` (N, K) of the fused form, given ``z`` and ``a = activation(z)``."""
        raise NotImplementedError


@LOSSES.register("mae", aliases=("l1", "mean_absolute_error"))
class MAE(Loss):
    """Mean absolute error ``L = mean |a - y|`` (torch ``L1Loss``).

    ``dL/da = sign(a - y) / (N K)`` (0 where ``a == y``, as torch).
    """

    def value_and_grad(self, a, y, out=None):
        e = np.subtract(a, y, out=_buffer(a, out))
        loss = float(np.abs(e).mean(dtype=np.float64))
        np.sign(e, out=e)
        e *= e.dtype.type(1.0 / e.size)
        return loss, e


@LOSSES.register("mse", aliases=("l2", "mean_squared_error"))
class MSE(Loss):
    """Mean squared error ``L = mean (a - y)^2`` (torch ``MSELoss``); ``dL/da = 2 (a - y) / (N K)``."""

    def value_and_grad(self, a, y, out=None):
        e = np.subtract(a, y, out=_buffer(a, out))
        loss = float(np.dot(e.ravel(), e.ravel())) / e.size
        e *= e.dtype.type(2.0 / e.size)
        return loss, e

    def grad(self, a, y):
        e = a - y
        e *= e.dtype.type(2.0 / e.size)
        return e


@LOSSES.register("rmse", aliases=("root_mean_squared_error",))
class RMSE(Loss):
    """Root mean squared error ``L = sqrt(mean (a - y)^2)``.

    ``dL/da = (a - y) / (N K L)``, taken as 0 when ``L = 0`` (the subgradient at the minimum).
    """

    def value_and_grad(self, a, y, out=None):
        e = np.subtract(a, y, out=_buffer(a, out))
        loss = float(np.sqrt(float(np.dot(e.ravel(), e.ravel())) / e.size))
        e *= e.dtype.type(1.0 / (e.size * loss) if loss > 0 else 0.0)
        return loss, e


@LOSSES.register("huber", aliases=("smooth_l1",))
class Huber(Loss):
    """Huber loss (torch ``HuberLoss``, ``delta=1.0``), averaged over elements.

    ``l = 0.5 e^2`` if ``|e| < delta`` else ``delta (|e| - 0.5 delta)`` with ``e = a - y``;
    ``dl/de = e`` or ``delta sign(e)``.
    """

    def __init__(self, delta: float = 1.0):
        self.delta = checks.number("huber delta", delta, 0, low_open=True)

    def config(self):
        return {"delta": self.delta}

    def value_and_grad(self, a, y, out=None):
        d = self.delta
        e = np.subtract(a, y, out=_buffer(a, out))
        ae = np.abs(e)
        small = ae < d
        loss = float(np.where(small, 0.5 * e * e, d * (ae - 0.5 * d)).mean(dtype=np.float64))
        np.clip(e, -d, d, out=e)  # is dl/de: e inside the band, delta * sign(e) outside
        e *= e.dtype.type(1.0 / e.size)
        return loss, e


class _ClassificationLoss(Loss):
    task = "classification"
    fused_activation = "softmax"

    def check_fit(self, activation, n_outputs, targets):
        found = []
        if activation != self.fused_activation:
            found.append(Fit("error", (
                f"{self.name} needs {self.fused_activation} outputs (probabilities); the output "
                f"layer uses {activation}. Set the output activation to {self.fused_activation}")))
        if n_outputs < 2 and not self.independent_outputs:
            found.append(Fit("error", (
                f"{self.name} needs at least 2 output units (one per class), the output layer "
                f"has {n_outputs}; for two classes use 2 softmax units or 1 sigmoid unit with "
                "binary_crossentropy")))
        return found

    def prepare_targets(self, y, n_outputs, dtype=np.float32):
        """As :meth:`Loss.prepare_targets`; the targets are probabilities (one-hot rows, 0/1
        labels or soft labels), so every value must lie in [0, 1]."""
        y = super().prepare_targets(y, n_outputs, dtype)
        if np.any(y < 0) or np.any(y > 1):
            bad = y[(y < 0) | (y > 1)][0]
            raise TargetError(f"{self.name} targets must lie in [0, 1], found {bad}")
        return y


def _logsumexp(z: np.ndarray) -> np.ndarray:
    """``log sum_k exp(z_k)`` of each row of ``z`` (N, K), shape (N, 1).

    Computed as ``m + log sum_k exp(z_k - m)`` with ``m`` the row's maximum, so that no
    ``exp`` overflows and the largest term is exactly 1.
    """
    zmax = z.max(axis=1, keepdims=True)
    return np.log(np.exp(z - zmax).sum(axis=1, keepdims=True)) + zmax


# --- class weights -------------------------------------------------------------------------
BALANCED = "balanced"


def _weights(name: str, value) -> "tuple[float, ...] | str | None":
    """A class-weight parameter as given in a config: None, ``"balanced"`` (numbers computed
    from the training labels by :func:`resolve_class_weights`), or non-negative numbers."""
    if value is None or value == BALANCED:
        return value
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
        raise ValueError(f"{name} must be a list of numbers (one per class or output unit) or "
                         f"{BALANCED!r}, got {value!r}")
    numbers = tuple(checks.number(f"{name} entry", v, 0) for v in value)
    if not numbers:
        raise ValueError(f"{name} must hold one number per class or output unit, got none")
    return numbers


class _Weighted:
    """Mixin of the cross-entropies that take class weights (``weight``, torch's name).

    ``self.weight`` is None, ``"balanced"`` or a tuple of floats; ``_w(k, dtype)`` is the
    array the formulas multiply by (None when unweighted, so that the unweighted path stays
    exactly the unweighted formula).
    """

    weight = None

    def config(self):
        return {"weight": _plain(self.weight)}

    def _vector(self, name: str, value, k: int, dtype) -> np.ndarray | None:
        if value is None:
            return None
        if value == BALANCED:
            raise ValueError(
                f"{self.name}: {name} {BALANCED!r} is computed from the training labels; "
                "call engine.losses.resolve_class_weights(loss, y) before using the loss")
        if len(value) != k:
            raise TargetError(f"{self.name} has {len(value)} {name} value(s) but the output "
                              f"layer has {k} unit(s); give one per unit")
        return np.asarray(value, dtype=dtype)

    def _w(self, k: int, dtype) -> np.ndarray | None:
        return self._vector("weight", self.weight, k, dtype)


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def balanced_class_weights(counts) -> np.ndarray:
    """Weights that make every class count as much as the others, from its sample count.

    ``w_c = n / (k n_c)`` with ``n`` the samples and ``k`` the classes that occur -- the
    formula of scikit-learn's ``compute_class_weight("balanced")``; a class that does not
    occur gets 1 (it never meets the loss).

    Parameters
    ----------
    counts : array_like of int, shape (C,)
        Samples per class.

    Returns
    -------
    ndarray of float64, shape (C,)
    """
    counts = np.asarray(counts, dtype=np.float64)
    present = counts > 0
    if not present.any():
        raise ValueError("balanced class weights need at least one labelled sample")
    out = np.ones_like(counts)
    out[present] = counts.sum() / (present.sum() * counts[present])
    return out


def resolve_class_weights(loss, y, n_classes: int | None = None) -> "Loss":
    """``loss`` with a ``"balanced"`` class weight replaced by numbers computed from ``y``.

    Parameters
    ----------
    loss : name, config dict or Loss
    y : ndarray
        The training targets in the loss's form: class indices (N,) (sparse), one-hot rows
        (N, K) (categorical) or 0/1 columns (N, K) (binary).
    n_classes : int, optional
        Classes of sparse labels (default ``max(y) + 1``): a class missing from ``y`` still
        gets its weight.

    Returns
    -------
    Loss
        Sparse / categorical cross-entropy: ``weight = balanced_class_weights(counts)``.
        Binary cross-entropy, per output unit with ``n_1`` positives and ``n_0`` negatives:
        the balanced weights ``w_0 = n / (2 n_0)``, ``w_1 = n / (2 n_1)`` written in torch's
        terms, ``weight = w_0`` and ``pos_weight = w_1 / w_0``, since
        ``w_0 [pos_weight y log p + (1 - y) log(1 - p)]`` weighs positives by ``w_1``.
        Any other loss, or one without ``"balanced"``, is returned as it is.
    """
    loss = get(loss)
    if getattr(loss, "weight", None) != BALANCED:
        return loss
    y = np.asarray(y)
    if loss.independent_outputs:
        y = y.reshape(len(y), -1).astype(np.float64)
        pos = y.sum(axis=0)
        neg = len(y) - pos
        both = np.stack([neg, pos], axis=1)
        w = np.array([balanced_class_weights(row) for row in both])
        return get({**LOSSES.to_config(loss), "weight": w[:, 0].tolist(),
                    "pos_weight": (w[:, 1] / w[:, 0]).tolist()})
    counts = (np.bincount(y.astype(np.int64), minlength=n_classes or 1) if y.ndim == 1
              else y.reshape(len(y), -1).sum(axis=0))
    return get({**LOSSES.to_config(loss), "weight": balanced_class_weights(counts).tolist()})


@LOSSES.register("categorical_crossentropy", aliases=("cce", "crossentropy"))
class CategoricalCrossEntropy(_Weighted, _ClassificationLoss):
    """Cross-entropy with one-hot (or probability) targets (torch ``CrossEntropyLoss``).

    ``L = -(1/N) sum_n sum_k w_k y_nk log p_nk`` with ``p = softmax(z)`` and class weights
    ``w`` (all 1 without ``weight``), computed as ``log p = z - logsumexp(z)`` so that it
    never takes the log of an underflowed 0.  As torch does for probability targets, the
    mean divides by N, not by the weights (with class indices, sparse cross-entropy divides
    by ``sum_n w_{y_n}``; balanced weights make the two nearly equal on a whole epoch).
    Fused gradient: ``dL/dz = (p * sum_k w_k y_k - w y) / N`` (= ``(p - y) / N`` for
    one-hot rows without weights).  Without logits, ``dL/dp = -w y / (N p)`` with ``log p``
    clamped at -100 as torch's BCE.

    Parameters
    ----------
    weight : list of float (K,) or "balanced", optional
        Class weights (torch ``weight``); ``"balanced"`` is resolved from the training labels
        by :func:`resolve_class_weights`.
    """

    def __init__(self, weight=None):
        self.weight = _weights("categorical_crossentropy weight", weight)

    def check_fit(self, activation, n_outputs, targets):
        found = super().check_fit(activation, n_outputs, targets)
        if targets is None:
            return found
        if targets.columns == 1:
            found.append(Fit("error", (
                "categorical_crossentropy needs one-hot labels (one column per class), the "
                "labels are class indices; use sparse_categorical_crossentropy for those")))
        elif targets.columns != n_outputs:
            found.append(Fit("error", (
                f"the labels have {targets.columns} columns but the output layer has "
                f"{n_outputs} units; they must be equal")))
        return found

    def value_and_grad(self, a, y, out=None):
        n = a.shape[0]
        w = self._w(a.shape[1], a.dtype)
        yw = y if w is None else y * w
        logp = np.maximum(np.log(np.maximum(a, np.finfo(a.dtype).tiny)), _LOG_CLAMP)
        loss = -float(np.einsum("ij,ij->", yw, logp, dtype=np.float64)) / n
        g = np.divide(yw, np.maximum(a, np.finfo(a.dtype).tiny), out=_buffer(a, out))
        g *= a.dtype.type(-1.0 / n)
        return loss, g

    def value_logits(self, z, y):
        w = self._w(z.shape[1], z.dtype)
        yw = y if w is None else y * w
        log_p = z - _logsumexp(z)
        return -float(np.einsum("ij,ij->", yw, log_p, dtype=np.float64)) / len(z)

    def grad_logits(self, z, a, y, out=None):
        w = self._w(a.shape[1], a.dtype)
        yw = y if w is None else y * w
        g = np.multiply(a, yw.sum(axis=1, keepdims=True), out=_buffer(a, out))
        g -= yw
        g *= a.dtype.type(1.0 / len(z))
        return g


@LOSSES.register("sparse_categorical_crossentropy", aliases=("scce", "sparse_crossentropy"))
class SparseCategoricalCrossEntropy(_Weighted, _ClassificationLoss):
    """Cross-entropy with integer class labels (torch ``CrossEntropyLoss`` with indices).

    ``l_n = logsumexp(z_n) - z_{n, y_n}``; ``L = sum_n w_{y_n} l_n / sum_n w_{y_n}`` (the
    weighted mean of torch's ``weight``; ``L = mean l_n`` without weights).  Fused gradient
    ``dL/dz_n = w_{y_n} (softmax(z_n) - onehot(y_n)) / sum_m w_{y_m}``.  Targets are int64
    indices, shape (N,).

    Parameters
    ----------
    weight : list of float (K,) or "balanced", optional
        Class weights (torch ``weight``); ``"balanced"`` is resolved from the training labels
        by :func:`resolve_class_weights`.
    """

    def __init__(self, weight=None):
        self.weight = _weights("sparse_categorical_crossentropy weight", weight)

    def _sample_weights(self, a, y):
        """``(w_{y_n} / sum_m w_{y_m})`` of shape (N,) in float64, or None unweighted."""
        w = self._w(a.shape[1], np.float64)
        if w is None:
            return None
        wn = w[y]
        return wn / wn.sum()

    def check_fit(self, activation, n_outputs, targets):
        found = super().check_fit(activation, n_outputs, targets)
        if targets is None:
            return found
        if targets.kind == "one_hot":
            found.append(Fit("error", (
                "sparse_categorical_crossentropy needs integer class labels (one column), "
                "the labels are one-hot; use categorical_crossentropy for those")))
        elif targets.kind == "continuous" or targets.columns != 1:
            found.append(Fit("error", (
                "sparse_categorical_crossentropy needs integer class labels 0..K-1 in one "
                "column; the targets are not whole numbers >= 0")))
        elif targets.n_classes is not None and targets.n_classes > n_outputs:
            found.append(Fit("error", (
                f"the targets go up to {targets.n_classes - 1}, which as class labels needs "
                f"{targets.n_classes} output units, but the output layer has only {n_outputs}: "
                "set its units to auto; if the targets are values to predict (regression), "
                "use a regression loss such as mse with a linear output")))
        elif targets.n_classes is not None and targets.n_classes < n_outputs:
            found.append(Fit("warning", (
                f"the output layer has {n_outputs} units for {targets.n_classes} classes: the "
                "extra units predict classes that never occur; set the units to auto")))
        return found

    def prepare_targets(self, y, n_outputs, dtype=np.float32):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise TargetError(
                f"sparse_categorical_crossentropy needs class indices of shape (N,), got "
                f"{y.shape}; one-hot labels go with categorical_crossentropy")
        if y.dtype.kind == "f" and not np.all(y == np.round(y)):
            raise TargetError("sparse_categorical_crossentropy labels must be whole numbers")
        yi = y.astype(np.int64)
        if yi.size and (yi.min() < 0 or yi.max() >= n_outputs):
            bad = yi[(yi < 0) | (yi >= n_outputs)][0]
            raise TargetError(
                f"label {bad} is out of range: with {n_outputs} output units the labels must "
                f"be 0..{n_outputs - 1}")
        return yi

    def value_and_grad(self, a, y, out=None):
        n = a.shape[0]
        rows = np.arange(n)
        picked = np.maximum(a[rows, y], np.finfo(a.dtype).tiny)
        terms = np.maximum(np.log(picked), _LOG_CLAMP)
        share = self._sample_weights(a, y)
        g = _buffer(a, out)
        g.fill(0)
        if share is None:
            loss = -float(terms.mean(dtype=np.float64))
            g[rows, y] = -1.0 / (n * picked)
        else:
            loss = -float(np.dot(share, terms.astype(np.float64)))
            g[rows, y] = -share / picked
        return loss, g

    def value_logits(self, z, y):
        lse = _logsumexp(z)[:, 0]
        terms = lse - z[np.arange(len(z)), y]
        share = self._sample_weights(z, y)
        if share is None:
            return float(terms.mean(dtype=np.float64))
        return float(np.dot(share, terms.astype(np.float64)))

    def grad_logits(self, z, a, y, out=None):
        n = len(z)
        g = _buffer(a, out)
        np.copyto(g, a)
        g[np.arange(n), y] -= 1
        share = self._sample_weights(a, y)
        if share is None:
            g *= a.dtype.type(1.0 / n)
        else:
            g *= share.astype(a.dtype)[:, None]
        return g


@LOSSES.register("binary_crossentropy", aliases=("bce", "log_loss"))
class BinaryCrossEntropy(_Weighted, _ClassificationLoss):
    """Binary cross-entropy over every output unit (torch ``BCELoss`` / ``BCEWithLogitsLoss``).

    ``L = -mean[w (r y log p + (1 - y) log(1 - p))]`` over N x K elements, ``log`` clamped at
    -100, with per-unit ``weight`` w and ``pos_weight`` r (torch's names; both 1 when not
    given; the mean divides by N K whatever the weights, as torch's).  With a sigmoid output
    the fused form is used: ``l = w (r y softplus(-z) + (1 - y) softplus(z))`` and
    ``dL/dz = w (sigmoid(z) (r y + 1 - y) - r y) / (N K)`` (= ``(sigmoid(z) - y) / (N K)``
    unweighted).  Targets are 0/1 (or in [0, 1]), shape (N, K).

    Parameters
    ----------
    weight : list of float (K,) or "balanced", optional
        Per-unit rescaling (torch ``weight`` broadcast over the samples); ``"balanced"``
        makes :func:`resolve_class_weights` set ``weight`` and ``pos_weight`` so that
        positives and negatives of every unit weigh as much in total.
    pos_weight : list of float (K,), optional
        Weight of the positive term (torch ``BCEWithLogitsLoss(pos_weight=...)``).
    """

    fused_activation = "sigmoid"
    independent_outputs = True

    def __init__(self, weight=None, pos_weight=None):
        self.weight = _weights("binary_crossentropy weight", weight)
        self.pos_weight = _weights("binary_crossentropy pos_weight", pos_weight)
        if self.pos_weight == BALANCED:
            raise ValueError("binary_crossentropy pos_weight must be numbers; for balanced "
                             "classes set weight to 'balanced'")

    def config(self):
        return {**super().config(), "pos_weight": _plain(self.pos_weight)}

    def _r(self, k, dtype):
        return self._vector("pos_weight", self.pos_weight, k, dtype)

    def check_fit(self, activation, n_outputs, targets):
        found = super().check_fit(activation, n_outputs, targets)
        if targets is None:
            return found
        if targets.kind == "integer" and targets.n_classes and targets.n_classes > 2:
            found.append(Fit("error", (
                f"binary_crossentropy is for two classes (or independent yes/no outputs); the "
                f"labels have {targets.n_classes} classes. Use softmax with "
                "sparse_categorical_crossentropy")))
        elif targets.kind == "continuous" and (targets.low < 0 or targets.high > 1):
            found.append(Fit("error", (
                f"binary_crossentropy needs targets between 0 and 1, the labels range from "
                f"{targets.low:g} to {targets.high:g}")))
        elif targets.columns != n_outputs:
            found.append(Fit("error", (
                f"the labels have {targets.columns} column(s) but the output layer has "
                f"{n_outputs} unit(s); binary_crossentropy needs one sigmoid unit per label")))
        return found

    def value_and_grad(self, a, y, out=None):
        t = a.dtype.type
        k = a.shape[1]
        w, r = self._w(k, a.dtype), self._r(k, a.dtype)
        logp = np.maximum(np.log(a), _LOG_CLAMP)
        log1mp = np.maximum(np.log1p(-a), _LOG_CLAMP)
        ypos = y if r is None else y * r
        terms = ypos * logp + (1 - y) * log1mp
        if w is not None:
            terms *= w
        loss = -float(terms.mean(dtype=np.float64))
        if r is None:
            g = np.subtract(a, y, out=_buffer(a, out))
        else:
            # -(r y / p - (1 - y) / (1 - p)) over the common denominator p (1 - p)
            g = np.multiply(a, 1 - y, out=_buffer(a, out))
            g -= ypos * (1 - a)
        g /= np.maximum(a * (1 - a), t(_BCE_EPS))
        if w is not None:
            g *= w
        g *= t(1.0 / a.size)
        return loss, g

    def value_logits(self, z, y):
        k = z.shape[1]
        w, r = self._w(k, z.dtype), self._r(k, z.dtype)
        # softplus(z) - y z  ==  max(z,0) - y z + log1p(exp(-|z|)), stable for any z.
        sp = np.logaddexp(z.dtype.type(0), z)
        if r is None:
            sp -= y * z
        else:
            # r y softplus(-z) + (1 - y) softplus(z), with softplus(-z) = softplus(z) - z
            sp += (r - 1) * y * sp - r * y * z
        if w is not None:
            sp *= w
        return float(sp.mean(dtype=np.float64))

    def grad_logits(self, z, a, y, out=None):
        k = a.shape[1]
        w, r = self._w(k, a.dtype), self._r(k, a.dtype)
        if r is None:
            g = np.subtract(a, y, out=_buffer(a, out))
        else:
            ypos = y * r
            g = np.multiply(a, ypos + (1 - y), out=_buffer(a, out))
            g -= ypos
        if w is not None:
            g *= w
        g *= a.dtype.type(1.0 / a.size)
        return g
