"""Per-column feature encoding fitted on the training rows only, stored as a JSON-able config.

A :class:`Preprocessor` turns columns (a :class:`~engine.data.csv_import.Table`'s feature
columns, or plain arrays) into the float32 matrix the network reads:

========================  ======================================================================
column kind               encoding (``scale``)
========================  ======================================================================
numeric                   ``standardize``: ``(x - mean) / std`` (population std, 1 if 0);
                          ``minmax``: ``(x - min) / (max - min)`` (1 if max = min);
                          ``none``: ``x``
categorical               ``onehot``: one column per training category, ``name=category``;
                          a category not seen in training gives an all-zero row
boolean                   ``binary``: one column, 1.0 for the true word (unseen: 0)
========================  ======================================================================

Missing values, per column (``missing``): ``drop`` the row, or impute ``mean`` / ``median``
(numeric) or ``most_frequent`` (any), all computed on the training rows.

Settings are a dict ``{column name: {"scale": ..., "missing": ...}}`` (either key may be left
out); ``"*"`` gives defaults for every column. Defaults: ``standardize`` / ``onehot`` /
``binary`` and ``drop``.

>>> import numpy as np
>>> pre = fit({"h": np.array([1.0, 3.0]), "c": np.array(["a", "b"], dtype=object)})
>>> pre.feature_names
['h', 'c=a', 'c=b']
>>> pre.transform({"h": np.array([2.0]), "c": np.array(["z"], dtype=object)}).tolist()
[[0.0, 0.0, 0.0]]
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from engine.data.dataset import Dataset

VERSION = 1
SCALES = {"numeric": ("standardize", "minmax", "none"), "categorical": ("onehot",),
          "boolean": ("binary",)}
MISSING = {"numeric": ("drop", "mean", "median", "most_frequent"),
           "categorical": ("drop", "most_frequent"), "boolean": ("drop", "most_frequent")}


class PreprocessingError(ValueError):
    """Settings that do not fit a column, or columns that do not fit a fitted preprocessor."""


class Preprocessor:
    """Fitted per-column transforms; build with :func:`fit` or :meth:`from_config`.

    Attributes
    ----------
    columns : list of dict
        One JSON-able entry per input column, in order: ``name``, ``kind``, ``scale``,
        ``missing``, ``fill`` (imputed value or category index, None for drop) and
        ``center``/``width`` (numeric) or ``categories`` (categorical, boolean).
    """

    def __init__(self, columns: list[dict]):
        self.columns = [dict(c) for c in columns]

    # --- config ----------------------------------------------------------------------

    def to_config(self) -> dict:
        """JSON-able config; :meth:`from_config` rebuilds an equal preprocessor."""
        return {"version": VERSION, "columns": [dict(c) for c in self.columns]}

    @classmethod
    def from_config(cls, config: Mapping) -> "Preprocessor":
        if not isinstance(config, Mapping) or config.get("version") != VERSION:
            raise PreprocessingError(f"a preprocessing config must be a dict with version "
                                     f"{VERSION}, got {config!r:.80}")
        return cls(list(config["columns"]))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Preprocessor) and self.to_config() == other.to_config()

    # --- shapes ----------------------------------------------------------------------

    @property
    def input_names(self) -> list[str]:
        return [c["name"] for c in self.columns]

    @property
    def feature_names(self) -> list[str]:
        """Names of the output columns (``name`` or ``name=category`` for one-hot)."""
        out = []
        for c in self.columns:
            if c["scale"] == "onehot":
                out += [f"{c['name']}={cat}" for cat in c["categories"]]
            else:
                out.append(c["name"])
        return out

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    def kinds(self) -> dict[str, str]:
        """``{name: kind}`` -- pass as ``types`` to ``read_csv`` for a prediction-time file."""
        return {c["name"]: c["kind"] for c in self.columns}

    # --- transform -------------------------------------------------------------------

    def kept_rows(self, columns) -> np.ndarray:
        """Mask of rows that :meth:`transform` keeps (no missing value in a ``drop`` column)."""
        return self._keep(_columns(columns, self.input_names, self.kinds()))

    def _keep(self, data) -> np.ndarray:
        keep = np.ones(_length(data), bool)
        for c in self.columns:
            if c["missing"] == "drop":
                keep &= ~_missing(c["kind"], data[c["name"]])
        return keep

    def transform(self, columns, rows: np.ndarray | None = None) -> np.ndarray:
        """Encode columns into the float32 feature matrix.

        Parameters
        ----------
        columns : Table or mapping of name to Column / ndarray
            Must hold every input column (extra ones are ignored).
        rows : ndarray of int, optional
            Rows to encode (default all).

        Returns
        -------
        ndarray of float32, shape (R, F)
            R: the rows kept (see :meth:`kept_rows`), F: ``n_features``.
        """
        data = _columns(columns, self.input_names, self.kinds())
        if rows is not None:
            data = {k: (v[0][rows], v[1]) for k, v in data.items()}
        keep = self._keep(data)
        if keep.all():
            keep = None
        n = _length(data) if keep is None else int(keep.sum())
        out = np.zeros((n, self.n_features), np.float32)
        j = 0
        for c in self.columns:
            values, cats = data[c["name"]]
            if keep is not None:
                values = values[keep]
            if c["kind"] == "numeric":
                x = values.astype(np.float32, copy=True)
                if c["fill"] is not None:
                    x[np.isnan(x)] = c["fill"]
                out[:, j] = (x - np.float32(c["center"])) / np.float32(c["width"])
                j += 1
                continue
            idx = _indices(values, cats, c["categories"])   # -1 missing, -2 unseen
            if c["fill"] is not None:
                idx[idx == -1] = c["fill"]
            if c["scale"] == "binary":
                out[:, j] = idx == 1
                j += 1
            else:
                hit = idx >= 0
                out[np.flatnonzero(hit), j + idx[hit]] = 1.0
                j += len(c["categories"])
        return out


def fit(columns, settings: Mapping | None = None, rows: np.ndarray | None = None) -> Preprocessor:
    """Fit the per-column transforms on the training rows.

    Parameters
    ----------
    columns : Table or mapping of name to Column / ndarray
        A Table contributes its ``feature`` columns. Arrays: float -> numeric, str / object
        -> categorical (None, NaN and "" missing).
    settings : dict, optional
        ``{name: {"scale": ..., "missing": ...}, "*": {...defaults}}``, see the module.
    rows : ndarray of int, optional
        The training rows; statistics see only these.

    Returns
    -------
    Preprocessor
    """
    settings = dict(settings or {})
    default = dict(settings.pop("*", {}))
    names = _input_names(columns)
    unknown = [k for k in settings if k not in names]
    if unknown:
        raise PreprocessingError(f"preprocessing settings name columns that are not features: "
                                 f"{', '.join(map(repr, unknown))}")
    data = _columns(columns, names, None)
    specs = []
    for name in names:
        values, cats = data[name]
        kind = _kind_of(columns, name, values)
        if rows is not None:
            values = values[rows]
        own = dict(settings.get(name, {}))
        # a "*" default applies where it fits the column's kind; a column's own setting must fit
        scale = own.get("scale", default.get("scale") if default.get("scale") in SCALES[kind]
                        else SCALES[kind][0])
        how = own.get("missing", default.get("missing") if default.get("missing") in MISSING[kind]
                      else "drop")
        if scale not in SCALES[kind]:
            raise PreprocessingError(f"column {name!r} is {kind}: scale must be one of "
                                     f"{SCALES[kind]}, got {scale!r}")
        if how not in MISSING[kind]:
            raise PreprocessingError(f"column {name!r} is {kind}: missing must be one of "
                                     f"{MISSING[kind]}, got {how!r}")
        spec: dict[str, Any] = {"name": name, "kind": kind, "scale": scale, "missing": how,
                                "fill": None}
        if kind == "numeric":
            v = values[~np.isnan(values)].astype(np.float64)
            if v.size == 0:
                raise PreprocessingError(f"column {name!r} has no value in the training rows")
            if how != "drop":
                if how == "mean":
                    spec["fill"] = float(v.mean())
                elif how == "median":
                    spec["fill"] = float(np.median(v))
                else:
                    levels, counts = np.unique(v, return_counts=True)
                    spec["fill"] = float(levels[counts.argmax()])
            if scale == "standardize":
                std = float(v.std())
                spec["center"], spec["width"] = float(v.mean()), std if std > 0 else 1.0
            elif scale == "minmax":
                span = float(v.max() - v.min())
                spec["center"], spec["width"] = float(v.min()), span if span > 0 else 1.0
            else:
                spec["center"], spec["width"] = 0.0, 1.0
        else:
            all_cats = list(cats) if cats is not None else None
            idx, present = _codes_of(values, all_cats)
            counts = np.bincount(idx[idx >= 0], minlength=len(present))
            used = [k for k in range(len(present)) if counts[k] > 0] if kind == "categorical" \
                else list(range(len(present)))
            spec["categories"] = [present[k] for k in used]
            if kind == "boolean" and len(spec["categories"]) != 2:
                raise PreprocessingError(f"boolean column {name!r} must have two values in the "
                                         f"training rows, has {spec['categories']}")
            if how == "most_frequent":
                if not counts.sum():
                    raise PreprocessingError(f"column {name!r} has no value in the training rows")
                spec["fill"] = used.index(int(counts.argmax()))
        specs.append(spec)
    return Preprocessor(specs)


def make_dataset(table, pre: Preprocessor, rows: np.ndarray, name: str,
                 description: str = "") -> Dataset:
    """Encode ``rows`` of a Table (with a target) into a :class:`Dataset`.

    Rows dropped for missing values (``missing="drop"``) or a missing target are left out.
    """
    y_all, valid = table.y()
    rows = np.asarray(rows, dtype=np.int64)
    rows = rows[valid[rows]]
    keep = pre.kept_rows({c["name"]: table[c["name"]] for c in pre.columns})[rows]
    rows = rows[keep]
    x = pre.transform(table, rows=rows)
    y = y_all[rows]
    classification = table.task == "classification"
    return Dataset(name=name, x=np.ascontiguousarray(x), y=np.ascontiguousarray(y),
                   task=table.task, feature_names=pre.feature_names,
                   class_names=list(table.class_names) if classification else None,
                   target_names=[table.target], description=description)


def prepare(table, settings: Mapping | None = None, ratios=(0.7, 0.15, 0.15), *,
            stratify: bool | None = None, seed: int = 0, name: str | None = None):
    """Split a Table, fit preprocessing on its training part, encode all three parts.

    Parameters
    ----------
    table : Table
        With a target.
    settings : dict, optional
        Preprocessing settings (see :func:`fit`).
    ratios : (train, validation, test)
    stratify : bool, optional
        Default: True for classification.
    seed : int

    Returns
    -------
    dict
        ``{"train": Dataset, "validation": Dataset or None, "test": Dataset or None,
        "preprocessor": Preprocessor, "indices": (train, val, test) row indices}``.
    """
    from engine.data.splits import split_indices

    y, valid = table.y()
    rows = np.flatnonzero(valid)
    if stratify is None:
        stratify = table.task == "classification"
    parts = split_indices(y[rows] if stratify else len(rows), ratios, stratify=stratify, seed=seed)
    indices = tuple(rows[p] for p in parts)
    pre = fit(table, settings, rows=indices[0])
    base = name or table.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    out: dict[str, Any] = {"preprocessor": pre, "indices": indices}
    for key, idx in zip(("train", "validation", "test"), indices):
        out[key] = make_dataset(table, pre, idx, f"{base} ({key})") if idx.size else None
    return out


# --- column access -----------------------------------------------------------------------


def _input_names(columns) -> list[str]:
    if hasattr(columns, "features"):
        return [c.name for c in columns.features()]
    return list(columns)


def _kind_of(columns, name, values) -> str:
    col = columns[name]
    kind = getattr(col, "kind", None)
    if kind is None:
        kind = "numeric" if values.dtype.kind in "fiub" else "categorical"
    if kind not in SCALES:
        raise PreprocessingError(f"column {name!r} is {kind} and cannot be a feature")
    return kind


def _columns(columns, names, kinds) -> dict[str, tuple[np.ndarray, list | None]]:
    """``{name: (values, categories)}``; numeric values as float, others codes or strings."""
    out = {}
    for name in names:
        try:
            col = columns[name]
        except KeyError:
            raise PreprocessingError(f"the data has no column {name!r}, which the "
                                     f"preprocessing was fitted with") from None
        if hasattr(col, "kind"):
            if kinds is not None and col.kind != kinds[name] and not (
                    kinds[name] != "numeric" and col.kind in ("categorical", "boolean")):
                raise PreprocessingError(f"column {name!r} is {col.kind} here but was "
                                         f"{kinds[name]} when the preprocessing was fitted")
            if col.values is None:
                raise PreprocessingError(f"column {name!r} holds no values (a text column)")
            out[name] = (col.values, col.categories)
        else:
            values = np.asarray(col)
            if kinds is not None and kinds[name] == "numeric":
                values = values.astype(np.float64)
            out[name] = (values, None)
    return out


def _length(data) -> int:
    return len(next(iter(data.values()))[0]) if data else 0


def _missing(kind: str, entry) -> np.ndarray:
    values, cats = entry
    if cats is not None or values.dtype.kind in "iu" and kind != "numeric":
        return np.asarray(values) < 0
    if kind == "numeric" or values.dtype.kind == "f":
        return np.isnan(values.astype(np.float64, copy=False))
    return np.array([_is_missing(v) for v in values], dtype=bool)


def _is_missing(v) -> bool:
    return v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip())


def _codes_of(values, cats) -> tuple[np.ndarray, list[str]]:
    """Codes (-1 missing) and category list of a categorical column."""
    if cats is not None:
        return np.asarray(values, dtype=np.int64), list(cats)
    present = sorted({str(v).strip() for v in values if not _is_missing(v)})
    index = {c: k for k, c in enumerate(present)}
    return np.array([-1 if _is_missing(v) else index[str(v).strip()] for v in values],
                    dtype=np.int64), present


def _indices(values, cats, fitted: list[str]) -> np.ndarray:
    """Index of each value in the fitted categories: -1 missing, -2 unseen."""
    index = {c: k for k, c in enumerate(fitted)}
    if cats is not None:
        lookup = np.array([index.get(c, -2) for c in cats] + [-1], dtype=np.int64)
        return lookup[np.asarray(values, dtype=np.int64)]
    return np.array([-1 if _is_missing(v) else index.get(str(v).strip(), -2) for v in values],
                    dtype=np.int64)
