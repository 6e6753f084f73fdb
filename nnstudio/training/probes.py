"""What the training worker measures besides the engine's events, Qt-free.

The views draw; these functions compute (in the worker thread, on the network being
trained, between two batches):

* :func:`boundary` -- the network's outputs over a grid spanning two input features, the
  others held at their training mean (the decision-boundary view's image);
* :func:`dead_units` -- per ReLU layer, the units whose activation is 0 for every sample
  of a fixed batch (the gradient-flow view's "dead ReLU" count);
* :func:`evaluation` -- inputs, true classes and predicted probabilities of the validation
  split (the confusion view's list of misclassified rows);
* :func:`regression` -- actual and predicted values of the validation split (the regression
  view's scatter and residuals);
* :func:`histograms` -- per layer, histograms of the weights and of the activations on a
  fixed batch (the weights-and-activations view);
* :func:`step_state` -- per layer, what the batch just trained left in the network: its
  forward activations and the gradients of the backward pass (the step view).

``validation_indices`` repeats ``engine.training.fit``'s seeded split, so the GUI knows which
samples the confusion matrix counts without the engine having to return them.
"""

from __future__ import annotations

import numpy as np

__all__ = ["validation_indices", "class_indices", "PCA", "is_pca", "principal_plane", "project",
           "grid_axes", "grid_points", "boundary",
           "classes_and_confidence", "fixed_batch", "dead_units", "evaluation",
           "regression", "histogram", "histograms", "step_state", "DEAD_ACTIVATIONS",
           "HISTOGRAM_BINS"]

# activations whose output is exactly 0 on a half-line: a unit can die
DEAD_ACTIVATIONS = ("relu",)
HISTOGRAM_BINS = 30  # bins of every histogram of the weights-and-activations view


def validation_indices(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(validation, training)`` row indices of ``fit(..., validation_split=fraction,
    seed=seed)`` on ``n`` samples (the engine's split: ``default_rng([seed, 1])``)."""
    if not fraction:
        return np.arange(0), np.arange(n)
    n_val = int(round(n * fraction))
    perm = np.random.default_rng([int(seed), 1]).permutation(n)
    return perm[:n_val], perm[n_val:]


def class_indices(y: np.ndarray) -> np.ndarray:
    """Class indices (N,) from targets in any loss's form: indices, one-hot rows or a 0/1
    column."""
    y = np.asarray(y)
    if y.ndim == 1:
        return y.astype(np.int64)
    if y.shape[1] == 1:
        return (y[:, 0] >= 0.5).astype(np.int64)
    return y.argmax(axis=1).astype(np.int64)


PCA = (-1, -2)  # the "features" of the plane of the first two principal components
PCA_ROWS = 5000  # rows of the data the principal components are computed on, at most


def is_pca(features) -> bool:
    """True for :data:`PCA`, the boundary over the principal-component plane."""
    return features is not None and tuple(int(f) for f in features) == PCA


def principal_plane(x: np.ndarray, centre: np.ndarray | None = None, seed: int = 0
                    ) -> np.ndarray:
    """The first two principal components of ``x`` (N, F), rows of a (2, F) float64 array
    of unit length: the directions of largest variance of the data about ``centre``
    (default its mean), as the eigenvectors of the covariance ``(x - c)^T (x - c) / N`` with
    the two largest eigenvalues, each signed so that its largest entry is positive (SVD
    and eigen-solvers leave the sign open).  On at most ``PCA_ROWS`` rows (a seeded
    sample).  F = 1 gives a zero second row."""
    x = np.asarray(x, dtype=np.float64)
    if len(x) > PCA_ROWS:
        x = x[np.sort(np.random.default_rng([int(seed), 5]).choice(len(x), PCA_ROWS,
                                                                   replace=False))]
    c = x.mean(axis=0) if centre is None else np.asarray(centre, dtype=np.float64)
    xc = x - c
    _, vectors = np.linalg.eigh(xc.T @ xc / max(1, len(xc)))  # ascending eigenvalues
    basis = np.zeros((2, x.shape[1]))
    top = vectors[:, ::-1][:, :2].T
    basis[:len(top)] = top
    for row in basis:
        k = int(np.argmax(np.abs(row)))
        if row[k] < 0:
            row *= -1
    return basis


def project(x: np.ndarray, centre: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Coordinates (N, 2) of the rows of ``x`` in the plane through ``centre`` spanned by
    ``basis`` (2, F): ``(x - centre) @ basis.T``."""
    return (np.asarray(x, dtype=np.float64) - centre) @ np.asarray(basis).T


def grid_axes(x: np.ndarray, features: tuple[int, int], resolution: int = 100,
              padding: float = 0.1, plane=None) -> tuple[tuple[float, float],
                                                          tuple[float, float]]:
    """The ranges ``(lo, hi)`` of features ``i`` and ``j`` of ``x`` -- or, with ``plane``
    ``(centre, basis)``, of its coordinates in that plane -- widened by ``padding`` of their
    span on each side (a constant feature gets a span of 1)."""
    ranges = []
    columns = (project(x, *plane).T if plane is not None else
               [np.asarray(x[:, f], dtype=np.float64) for f in features])
    for column in columns:
        lo, hi = float(column.min()), float(column.max())
        span = hi - lo if hi > lo else 1.0
        ranges.append((lo - padding * span, hi + padding * span))
    return ranges[0], ranges[1]


def grid_points(x_range, y_range, resolution: int, features: tuple[int, int],
                hold: np.ndarray, dtype=np.float32, basis: np.ndarray | None = None
                ) -> np.ndarray:
    """Rows ``(resolution * resolution, n_features)``: every feature at ``hold`` (e.g. the
    training mean) except ``features[0]`` and ``features[1]``, which run over an evenly
    spaced grid; row ``r * resolution + c`` has feature i at column c, feature j at row r.
    With ``basis`` (2, F) the grid runs over the plane ``hold + a * basis[0] + b *
    basis[1]`` instead (a at column c, b at row r; ``features`` is ignored).

    The grid's cell centres: ``lo + (k + 0.5) * (hi - lo) / resolution``.
    """
    n = int(resolution)
    xs = x_range[0] + (np.arange(n) + 0.5) * (x_range[1] - x_range[0]) / n
    ys = y_range[0] + (np.arange(n) + 0.5) * (y_range[1] - y_range[0]) / n
    gx, gy = np.meshgrid(xs, ys)  # (rows = y, columns = x)
    if basis is not None:  # the plane hold + a * basis[0] + b * basis[1]
        points = (np.asarray(hold, dtype=np.float64) + gx.reshape(-1, 1) * basis[0]
                  + gy.reshape(-1, 1) * basis[1])
        return points.astype(dtype)
    i, j = features
    points = np.empty((n * n, len(hold)), dtype=dtype)
    points[:] = np.asarray(hold, dtype=dtype)
    points[:, i] = gx.ravel()
    points[:, j] = gy.ravel()
    return points


def boundary(network, x: np.ndarray, features: tuple[int, int] = (0, 1),
             resolution: int = 100, hold: np.ndarray | None = None,
             x_range=None, y_range=None, basis: np.ndarray | None = None) -> dict:
    """The network's outputs over a grid of two input features, or over the plane of the
    data's first two principal components.

    Parameters
    ----------
    network : engine.network.Network
    x : ndarray (N, n_features)
        The data whose range the grid spans (and whose mean the other features take).
    features : (i, j) or PCA
        Feature on the horizontal axis, feature on the vertical axis; :data:`PCA` for the
        plane through ``hold`` spanned by the first two principal components of ``x``
        (``basis``, default :func:`principal_plane` of ``x`` about ``hold``): a point at
        (a, b) of the grid is the input ``hold + a * basis[0] + b * basis[1]``.
    resolution : int
        Points per axis.
    hold : ndarray (n_features,), optional
        Values of the other features (the plane's centre for PCA); default
        ``x.mean(axis=0)``.

    Returns
    -------
    dict
        ``features``, ``x_range``, ``y_range``, ``resolution``, ``hold`` (float64 list) and
        ``values``: float32 (resolution, resolution, n_outputs), row r / column c the output
        at feature j = r-th y, feature i = c-th x (see :func:`grid_points`); for PCA also
        ``basis`` (2, n_features) float64.
    """
    i, j = int(features[0]), int(features[1])
    if hold is None:
        hold = np.asarray(x, dtype=np.float64).mean(axis=0)
    pca = is_pca((i, j))
    if pca and basis is None:
        basis = principal_plane(x, hold)
    if x_range is None or y_range is None:
        x_range, y_range = grid_axes(x, (i, j), resolution,
                                     plane=(hold, basis) if pca else None)
    points = grid_points(x_range, y_range, resolution, (i, j), hold, network.dtype,
                         basis if pca else None)
    with np.errstate(all="ignore"):
        values = network.predict(points)
    n = int(resolution)
    grid = {"features": (i, j), "x_range": tuple(map(float, x_range)),
            "y_range": tuple(map(float, y_range)), "resolution": n,
            "hold": [float(v) for v in hold],
            "values": np.ascontiguousarray(values, dtype=np.float32).reshape(n, n, -1)}
    if pca:
        grid["basis"] = np.asarray(basis, dtype=np.float64)
    return grid


def classes_and_confidence(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Predicted class and its probability from outputs ``(..., K)``: argmax and max for
    K > 1, ``p >= 0.5`` and ``max(p, 1 - p)`` for one sigmoid output."""
    values = np.asarray(values)
    if values.shape[-1] == 1:
        p = values[..., 0]
        return (p >= 0.5).astype(np.int64), np.maximum(p, 1 - p)
    return values.argmax(axis=-1).astype(np.int64), values.max(axis=-1)


def fixed_batch(n: int, size: int = 256, seed: int = 0) -> np.ndarray:
    """Up to ``size`` row indices out of ``n``, a seeded choice kept for the whole run."""
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng([int(seed), 7]).choice(n, size, replace=False))


def dead_units(network, batch: np.ndarray) -> dict[str, tuple[int, int]]:
    """``{layer id: (dead, units)}`` for every layer ending in a ReLU: a unit is dead when
    its activation is 0 for every row of ``batch`` (an evaluation-mode forward pass; the
    layers' outputs are read from ``network._outs``)."""
    with np.errstate(all="ignore"):
        network.forward(batch)
    result = {}
    for nid, out in zip(network.order, network._outs):
        activation = getattr(network.layers[nid], "activation", None)
        if activation is None or getattr(activation, "name", None) not in DEAD_ACTIVATIONS:
            continue
        out = np.asarray(out)
        dead = int(np.count_nonzero(~(out != 0).any(axis=0)))
        result[nid] = (dead, int(out.shape[1]))
    return result


def evaluation(network, x: np.ndarray, y: np.ndarray, split: str) -> dict:
    """``{"split", "indices", "x", "y_true", "probabilities", "y_pred"}`` of ``x``: the rows a
    confusion view lists when a cell is clicked."""
    with np.errstate(all="ignore"):
        probabilities = network.predict(x)
    y_pred, _ = classes_and_confidence(probabilities)
    return {"split": split, "x": np.array(x, copy=True), "y_true": class_indices(y),
            "probabilities": probabilities.astype(np.float32), "y_pred": y_pred}


def regression(network, x: np.ndarray, y: np.ndarray, split: str) -> dict:
    """``{"split", "y_true", "y_pred"}``: the targets ``y`` and the network's
    evaluation-mode predictions of ``x``, both float64 ``(N, n_outputs)`` (a target vector
    (N,) becomes one column)."""
    with np.errstate(all="ignore"):
        predicted = network.predict(x)
    actual = np.asarray(y, dtype=np.float64)
    if actual.ndim == 1:
        actual = actual[:, None]
    return {"split": split, "y_true": actual,
            "y_pred": np.asarray(predicted, dtype=np.float64)}


def histogram(values, bins: int = HISTOGRAM_BINS) -> dict:
    """``{"counts": int64 (bins,), "edges": float64 (bins + 1,)}`` of the finite values:
    ``np.histogram(values, bins)`` over their range (a single value: that value +- 0.5, as
    NumPy does; no finite value: empty counts over [0, 1])."""
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    if v.size == 0:
        return {"counts": np.zeros(int(bins), dtype=np.int64),
                "edges": np.linspace(0.0, 1.0, int(bins) + 1)}
    span = float(v.max()) - float(v.min())
    if np.isfinite(span):
        try:
            counts, edges = np.histogram(v, bins=int(bins))
        except ValueError:  # a spread too fine for float64 around a huge value: bin the
            centre = float(np.median(v))  # distances from its middle instead
            counts, edges = np.histogram(v - centre, bins=int(bins))
            edges = edges + centre
    else:  # values near the float64 limits (a diverging network): bin them scaled down
        scale = float(np.abs(v).max())
        counts, edges = np.histogram(v / scale, bins=int(bins))
        with np.errstate(over="ignore"):
            edges = edges * scale
    return {"counts": counts.astype(np.int64), "edges": edges}


def _layer_weights(network) -> dict[str, np.ndarray]:
    """``{layer id: all its "weight" parameters, flattened}`` (biases left out: they start
    at 0 and would hide the shape of the weights' distribution)."""
    weights: dict[str, list] = {}
    for name, value in network.parameters().items():
        nid, pname = name.rsplit(".", 1)
        if pname == "weight":
            weights.setdefault(nid, []).append(np.asarray(value).ravel())
    return {nid: np.concatenate(parts) for nid, parts in weights.items()}


def histograms(network, batch: np.ndarray, bins: int = HISTOGRAM_BINS) -> dict:
    """Per-layer histograms of the weights and of the activations on ``batch``.

    Parameters
    ----------
    network : engine.network.Network
    batch : ndarray (B, n_features)
        A fixed batch of inputs (see :func:`fixed_batch`), run forward in evaluation mode.
    bins : int

    Returns
    -------
    dict
        ``{"layers": {layer id: {"weights": histogram or None, "activations": histogram,
        "units": int}}, "batch_size": B}`` for every layer after the input, in execution
        order; each histogram as :func:`histogram` gives it.
    """
    weights = _layer_weights(network)
    with np.errstate(all="ignore"):
        network.forward(batch)
    layers = {}
    for nid, out in zip(network.order, network._outs):
        if nid == network.input_id:
            continue
        w = weights.get(nid)
        layers[nid] = {"weights": None if w is None else histogram(w, bins),
                       "activations": histogram(out, bins),
                       "units": int(np.asarray(out).shape[1])}
    return {"layers": layers, "batch_size": int(len(batch))}


def _unit_norms(network, grads: np.ndarray, nid: str, units: int) -> np.ndarray | None:
    """Per unit of layer ``nid``, the L2 norm of its parameters' gradient (the unit's row
    of every parameter whose first axis runs over the units), or None without any;
    ``grads`` is laid out as ``network.grads``."""
    rows = [grads[p.offset:p.offset + p.size].astype(np.float64).reshape(units, -1)
            for p in network.param_info
            if p.node == nid and len(p.shape) >= 1 and p.shape[0] == units]
    if not rows:
        return None
    return np.sqrt(sum((r * r).sum(axis=1) for r in rows))


def step_state(network, grads: np.ndarray | None = None) -> dict:
    """What the last training batch left in ``network``: its forward activations and its
    backward gradients (read right after the batch, before any other forward pass).

    ``grads`` (P,), laid out as ``network.grads``, are the batch's gradients when the caller
    kept them before the optimizer's step (which may add weight decay into the buffer);
    default ``network.grads``.

    Returns
    -------
    dict
        ``{"inputs": the batch (B, n_features), "layers": [...]}``, one entry per layer
        after the input, in execution order (feedforward order): ``id``, ``type``,
        ``activation`` (name or None), ``units``, ``mean`` and ``std`` of its outputs over
        the batch, ``unit_mean`` (units,) the mean output of each unit, ``grad_norm`` the L2
        norm of its parameters' gradient ``sqrt(sum_p sum (dL/dp)^2)`` (None for a layer
        without parameters), ``unit_grad`` (units,) the same per unit (or None).  Float64.
    """
    outs = network._outs
    grads = network.grads if grads is None else np.asarray(grads)
    layers = []
    slices = network.node_slices
    for nid, out in zip(network.order, outs):
        if nid == network.input_id:
            continue
        layer = network.layers[nid]
        out = np.asarray(out, dtype=np.float64)
        units = int(out.shape[1])
        grad_norm = None
        if nid in slices:
            g = grads[slices[nid]].astype(np.float64)
            grad_norm = float(np.sqrt(np.dot(g, g)))
        activation = getattr(layer, "activation", None)
        layers.append({"id": nid, "type": layer.name,
                       "activation": None if activation is None else activation.name,
                       "units": units, "mean": float(out.mean()), "std": float(out.std()),
                       "unit_mean": out.mean(axis=0), "grad_norm": grad_norm,
                       "unit_grad": _unit_norms(network, grads, nid, units)})
    return {"inputs": np.array(outs[0], copy=True), "layers": layers}
