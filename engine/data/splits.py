"""Train / validation / test splits: ratios, stratified for classification, seeded.

>>> import numpy as np
>>> y = np.array([0] * 80 + [1] * 20)
>>> train, val, test = split_indices(y, (0.6, 0.2, 0.2), stratify=True, seed=0)
>>> [int((y[s] == 1).sum()) for s in (train, val, test)]
[12, 4, 4]
"""

from __future__ import annotations

import numpy as np

from engine import checks


class SplitError(ValueError):
    """Ratios or a seed that do not make a split."""


def split_indices(y_or_n, ratios=(0.7, 0.15, 0.15), *, stratify: bool = False,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row indices of the train, validation and test parts.

    Parameters
    ----------
    y_or_n : int or ndarray
        The number of rows N, or the targets of shape (N,) / (N, K) (class indices when
        ``stratify``).
    ratios : (float, float, float)
        Fractions of train, validation and test; non-negative, summing to 1 (a pair
        ``(train, test)`` means no validation part). Train must be > 0.
    stratify : bool
        Split each class in the ratios (classification), so every part keeps the class
        balance of the whole.
    seed : int
        Seed of ``np.random.default_rng``; the same inputs give the same indices.

    Returns
    -------
    train, val, test : ndarray of int64
        Sorted, disjoint, together ``0 .. N-1``.

    Notes
    -----
    Part sizes are ``floor(n * ratio)`` with the remainders handed out by largest fraction
    (Hamilton's method), per class when stratified, so they differ from ``n * ratio`` by less
    than one row (per class).
    """
    ratios = _ratios(ratios)
    seed = checks.whole("split seed", seed, 0, error=SplitError)
    if isinstance(y_or_n, (int, np.integer)) and not isinstance(y_or_n, bool):
        n, y = int(y_or_n), None
    else:
        y = np.asarray(y_or_n)
        n = int(y.shape[0])
    if n < 1:
        raise SplitError("cannot split zero rows")
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[], [], []]
    if stratify:
        if y is None or y.ndim != 1:
            raise SplitError("a stratified split needs class labels of shape (N,)")
        classes, inverse = np.unique(y, return_inverse=True)
        groups = [np.flatnonzero(inverse == k) for k in range(len(classes))]
    else:
        groups = [np.arange(n)]
    for group in groups:
        group = group[rng.permutation(len(group))]
        sizes = _sizes(len(group), ratios)
        start = 0
        for p, size in enumerate(sizes):
            parts[p].append(group[start:start + size])
            start += size
    out = tuple(np.sort(np.concatenate(p)).astype(np.int64) if p else np.empty(0, np.int64)
                for p in parts)
    if out[0].size == 0:
        raise SplitError(f"the training part is empty: {n} rows at ratios {ratios}")
    return out  # type: ignore[return-value]


def stratified_holdout(y, n_out: int, order) -> tuple[np.ndarray, np.ndarray]:
    """Hold out exactly ``n_out`` rows, each class in proportion to its size.

    Parameters
    ----------
    y : ndarray, shape (N,)
        Class labels.
    n_out : int
        Rows to hold out, ``0 <= n_out <= N``.
    order : ndarray of int, shape (N,)
        A permutation of ``0 .. N-1`` (a seeded shuffle): each class gives up its rows in
        this order, so the same order gives the same choice.

    Returns
    -------
    held_out, rest : ndarray of int64
        Positions, each in ``order``'s order; ``len(held_out) == n_out``.

    Notes
    -----
    Class ``c`` with ``n_c`` rows gives ``floor(n_out n_c / N)`` rows, and the rows still
    missing go one each to the classes with the largest remainders (Hamilton's method over
    the whole count, so the total is exact, unlike a per-class rounding).
    """
    y = np.asarray(y)
    order = np.asarray(order, dtype=np.int64)
    n = int(y.shape[0])
    if y.ndim != 1 or order.shape != (n,):
        raise SplitError(f"stratified_holdout needs labels (N,) and an order (N,), got "
                         f"{y.shape} and {order.shape}")
    n_out = checks.whole("rows to hold out", n_out, 0, n, error=SplitError)
    classes, inverse = np.unique(y[order], return_inverse=True)
    counts = np.bincount(inverse, minlength=len(classes))
    exact = n_out * counts / max(n, 1)
    quota = np.floor(exact).astype(np.int64)
    by_remainder = sorted(range(len(classes)), key=lambda c: (-(exact[c] - quota[c]), c))
    for c in by_remainder[:n_out - int(quota.sum())]:
        quota[c] += 1
    # rank of each row within its class, in ``order``'s order
    rank = np.empty(n, np.int64)
    for c in range(len(classes)):
        members = np.flatnonzero(inverse == c)
        rank[members] = np.arange(len(members))
    out = rank < quota[inverse]
    return order[out], order[~out]


def _ratios(ratios) -> tuple[float, float, float]:
    values = list(ratios)
    if len(values) == 2:
        values = [values[0], 0.0, values[1]]
    if len(values) != 3:
        raise SplitError(f"ratios must be (train, validation, test), got {ratios!r}")
    values = [checks.number(f"{part} ratio", v, 0, 1, error=SplitError)
              for part, v in zip(("train", "validation", "test"), values)]
    if abs(sum(values) - 1.0) > 1e-6:
        raise SplitError(f"ratios must sum to 1, got {values} (sum {sum(values):g})")
    if values[0] <= 0:
        raise SplitError("the train ratio must be > 0")
    return tuple(values)  # type: ignore[return-value]


def _sizes(n: int, ratios) -> list[int]:
    exact = [n * r for r in ratios]
    sizes = [int(np.floor(e)) for e in exact]
    order = sorted(range(3), key=lambda i: (-(exact[i] - sizes[i]), i))
    for i in order[:n - sum(sizes)]:
        sizes[i] += 1
    return sizes
