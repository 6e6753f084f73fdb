"""What the data panel shows about the project's dataset, gathered without Qt.

:func:`gather` loads the data source once (the table of a built-in or CSV source and the
encoded :class:`~engine.data.dataset.Dataset` training sees) and works out the facts the panel
draws: class balance, split sizes, a preview, per-column summaries and, for image data such as
digits, sample images.
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass, field

import numpy as np

from engine.data.dataset import Dataset
from nnstudio.document.model import DataSource, TrainingSettings
from nnstudio.training import probes, snapshot

IMBALANCE = 0.1          # smallest / largest class below this: a warning
PREVIEW_ROWS = 12
IMAGE_SAMPLES = 20       # sample images drawn for image data
_PIXEL = re.compile(r"pixel_(\d+)_(\d+)$")


@dataclass
class DataFacts:
    """Facts about one dataset (see :func:`gather`).

    Attributes
    ----------
    dataset : Dataset
        As training sees it (features encoded).
    class_counts : list of int or None
        Samples per class (classification).
    splits : (int, int, int)
        Samples for training, validation and test under the training settings.
    train_counts : list of int or None
        Samples per class among the training rows (what balanced class weights use).
    preview : (header, rows)
        The first rows as text: the file's columns (tables) or features and target.
    columns : list of dict
        Per column: ``name``, ``kind``, ``role``, ``missing`` and ``min``/``max``/``mean``
        (numeric) or ``categories``.
    images : ndarray (n, h, w) or None
        Sample images (pixel values as stored) for data whose columns are ``pixel_r_c``.
    image_labels : list of str
        The class of each sample image.
    file_rows : int or None
        Data rows of the file (tables): more than the dataset's samples when rows without a
        target or with a value missing where missing values drop the row were left out.
    preprocessor : engine.data.preprocessing.Preprocessor or None
        What encoded a table's columns (fitted on the training rows; None for synthetic
        data): with ``dataset`` it is what ``snapshot.prepare(..., loaded=...)`` takes, so
        that starting a run does not read the file again.
    """

    dataset: Dataset
    class_counts: list[int] | None
    splits: tuple[int, int, int]
    train_counts: list[int] | None
    preview: tuple[list[str], list[list[str]]]
    columns: list[dict]
    images: np.ndarray | None = None
    image_labels: list[str] = field(default_factory=list)
    preprocessor: object = None
    file_rows: int | None = None

    @property
    def imbalanced(self) -> bool:
        counts = self.class_counts
        return bool(counts) and max(counts) > 0 and min(counts) / max(counts) < IMBALANCE


def gather(source: DataSource, embedded: dict | None, training: TrainingSettings,
           base_dir: str | None = None, table=None, progress=None) -> DataFacts:
    """Load ``source`` and describe it (raises what ``snapshot.load_data`` raises).

    ``table``: the source's table when the caller has just read it (the import dialog),
    so that the file is not read twice.  ``progress(fraction, rows)``: called while a file
    is read (``read_csv``'s callback: returning False cancels with ``ImportCancelled``)."""
    if source.kind == "synthetic":
        dataset, preprocessor = snapshot.load_encoded(source, embedded, training=training,
                                                      base_dir=base_dir)
    else:
        if table is None:
            table = snapshot.read_table(source, embedded, base_dir, progress)
        if table.target is None:
            raise ValueError("the data has no target column to train on")
        name, description = _name(source)
        dataset, preprocessor = snapshot.encode_table(table, source.preprocessing, training,
                                                      name, description)
    classification = dataset.task == "classification"
    labels = dataset.y if classification else None
    fit_rows, test = snapshot.split_rows(dataset.n_samples, training, labels)
    val, train = probes.validation_indices(len(fit_rows), _fraction(training.validation_split),
                                           training.seed)
    counts = train_counts = None
    if classification:
        counts = np.bincount(dataset.y, minlength=dataset.n_classes).tolist()
        train_counts = np.bincount(dataset.y[fit_rows[train]],
                                   minlength=dataset.n_classes).tolist()
    facts = DataFacts(dataset, counts, (len(train), len(val), len(test)), train_counts,
                      _preview(dataset, table), _columns(dataset, table),
                      preprocessor=preprocessor)
    if table is not None:
        facts.images, facts.image_labels = _images(table)
        facts.file_rows = int(table.n_rows)
    return facts


def _fraction(value) -> float:
    return float(value) if isinstance(value, (int, float)) and 0 < value < 1 else 0.0


def _name(source: DataSource) -> tuple[str, str]:
    if source.kind == "builtin":
        from engine.data.builtin import BUILTIN_DATASETS
        spec = BUILTIN_DATASETS.get(copy.deepcopy(source.config))
        return spec.name, spec.description
    path = source.config.get("file") or source.config.get("path") or "csv"
    return os.path.splitext(os.path.basename(path))[0], ""


def _format(value: float) -> str:
    return f"{value:.4g}"


def _preview(dataset: Dataset, table) -> tuple[list[str], list[list[str]]]:
    if table is not None:
        rows = table.preview[1:] if table.dialect.header else table.preview
        return list(table.names), [list(r) for r in rows[:PREVIEW_ROWS]]
    header = list(dataset.feature_names) + list(dataset.target_names)
    rows = []
    for k in range(min(PREVIEW_ROWS, dataset.n_samples)):
        values = [_format(v) for v in dataset.x[k]]
        if dataset.task == "classification":
            values.append(dataset.class_names[int(dataset.y[k])])
        else:
            values += [_format(v) for v in dataset.y[k]]
        rows.append(values)
    return header, rows


def _columns(dataset: Dataset, table) -> list[dict]:
    if table is not None:
        return [c.summary() for c in table.columns]
    out = []
    for j, name in enumerate(dataset.feature_names):
        v = dataset.x[:, j].astype(np.float64)
        out.append({"name": name, "kind": "numeric", "role": "feature", "missing": 0,
                    "min": float(v.min()), "max": float(v.max()), "mean": float(v.mean())})
    if dataset.task == "classification":
        out.append({"name": dataset.target_names[0], "kind": "categorical", "role": "target",
                    "missing": 0, "categories": list(dataset.class_names)})
    else:
        for j, name in enumerate(dataset.target_names):
            v = dataset.y[:, j].astype(np.float64)
            out.append({"name": name, "kind": "numeric", "role": "target", "missing": 0,
                        "min": float(v.min()), "max": float(v.max()), "mean": float(v.mean())})
    return out


def _images(table) -> tuple[np.ndarray | None, list[str]]:
    """Sample images of a table whose feature columns are the pixels ``pixel_r_c`` of a
    rectangular grid, one sample per class in turn (as many as ``IMAGE_SAMPLES``)."""
    cells = {}
    for c in table.columns:
        match = _PIXEL.match(c.name)
        if match and c.kind == "numeric" and c.values is not None:
            cells[(int(match.group(1)), int(match.group(2)))] = c.values
    if len(cells) < 4:
        return None, []
    h = max(r for r, _ in cells) + 1
    w = max(c for _, c in cells) + 1
    if len(cells) != h * w:
        return None, []
    pixels = np.stack([cells[(r, c)] for r in range(h) for c in range(w)], axis=1)
    y, valid = table.y()
    rows = []
    if table.task == "classification" and table.class_names:
        # the first rows of each class in turn: 0, 1, 2, ... then the next of each
        by_class = [np.flatnonzero(valid & (y == k)) for k in range(len(table.class_names))]
        depth = 0
        while len(rows) < IMAGE_SAMPLES and any(depth < len(b) for b in by_class):
            rows += [int(b[depth]) for b in by_class if depth < len(b)]
            depth += 1
        rows = rows[:IMAGE_SAMPLES]
        labels = [table.class_names[int(y[r])] for r in rows]
    else:
        rows = np.flatnonzero(valid)[:IMAGE_SAMPLES].tolist()
        labels = ["" for _ in rows]
    images = np.nan_to_num(pixels[rows].astype(np.float32)).reshape(len(rows), h, w)
    return images, labels
