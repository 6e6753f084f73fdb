"""What a finished run is good for without training: its network, its project, its
predictions and its exports.  Qt-free; shared by the command line (``nnstudio.cli``) and the
window's File > Export (``nnstudio.export_actions``)."""

from __future__ import annotations

import copy
import csv
import dataclasses

import numpy as np

__all__ = ["last_trained_run", "run_project", "run_network", "classes", "probabilities",
           "prediction_columns", "predictions_table", "write_csv", "export_onnx",
           "export_torch", "InputCSVError", "run_preprocessor", "encode_csv", "read_raw_csv",
           "RawRows", "plain_preprocessor", "labels_of", "Outputs", "run_outputs"]


class InputCSVError(ValueError):
    """A CSV whose rows cannot become the network's inputs (a column the model needs is
    missing, a value does not fit its column); the message names the file and the column."""


def last_trained_run(project):
    """The last run of ``project`` that has weights, or None."""
    for run in reversed(project.runs):
        if run.weights is not None:
            return run
    return None


def run_project(run, embedded: dict | None = None):
    """A :class:`Project` holding exactly what ``run`` was trained with (its network, data
    and settings, and the project's embedded files, which a CSV source reads), so that
    ``snapshot.prepare`` rebuilds its data and splits."""
    from nnstudio.document.model import DataSource, Node, Project, TrainingSettings

    settings = run.settings
    project = Project()
    for node in settings["spec"]["nodes"]:
        project.add_node(Node(node["id"], node["type"], node.get("config", {})))
    project.edges = [tuple(e) for e in settings["spec"]["edges"]]
    project.data = DataSource(**settings["data"])
    project.training = TrainingSettings(**settings["training"])
    project.embedded = dict(embedded or {})
    return project


def run_network(run):
    """The engine network of ``run`` with its trained weights."""
    from engine import network

    s = run.settings
    net = network.build(s["spec"], s["n_features"], s["n_outputs"],
                        dtype=s["training"]["dtype"], initialize=False)
    net.set_weights(run.weights)
    return net


def run_preprocessor(run):
    """The ``engine.data.preprocessing.Preprocessor`` fitted for ``run``, or None (synthetic
    data, or a run saved before runs stored it)."""
    from engine.data.preprocessing import Preprocessor

    return None if run.preprocessor is None else Preprocessor.from_config(run.preprocessor)


@dataclasses.dataclass
class RawRows:
    """A raw CSV file read for a run (:func:`read_raw_csv`).

    Attributes
    ----------
    x : ndarray of float32, shape (R, F)
        The network inputs of the rows that can be encoded, in file order.
    keep : ndarray of bool, shape (N,)
        For each data row of the file, whether it is in ``x``.
    lines : ndarray of int, shape (N,)
        The file line of each data row (the header is line 1), as a spreadsheet numbers it.
    table : engine.data.csv_import.Table
        The file's columns as read (inputs, and the target column when one was asked for).
    unseen : dict of str to int
        Per categorical input column, the kept cells holding a category the training rows
        never had (their one-hot block is all zeros); only columns with such cells.
    """

    x: np.ndarray
    keep: np.ndarray
    lines: np.ndarray
    table: object
    unseen: dict


def encode_csv(preprocessor, path) -> tuple[np.ndarray, np.ndarray]:
    """The network inputs of a raw CSV file, encoded exactly as the training rows were.

    The file needs a header row naming (at least) the preprocessor's input columns, in any
    order; other columns are ignored.  Numeric columns are read as numbers, the others as
    categories; a missing value is imputed as fitted, a category the training rows never had
    gives an all-zero one-hot block, and a row with a missing value in a column whose
    missing values were dropped at training cannot be encoded.

    Parameters
    ----------
    preprocessor : engine.data.preprocessing.Preprocessor
    path : str or path-like

    Returns
    -------
    x : ndarray of float32, shape (R, F)
        The encoded rows that can be encoded, in file order (R = ``keep.sum()``).
    keep : ndarray of bool, shape (N,)
        For each data row of the file, whether it is in ``x``.

    Raises
    ------
    InputCSVError
        A needed column is missing (the message names every one), or a cell does not fit
        its column (``engine.data.CSVError``'s message names the row and the column).
    """
    rows = read_raw_csv(preprocessor, path)
    return rows.x, rows.keep


def read_raw_csv(preprocessor, path, targets=(), target_kind: str = "categorical") -> RawRows:
    """:func:`encode_csv`, with what a caller reporting on the rows needs besides.

    The file is read once, with the dialect it is written in (``sniff``), into the table
    the inputs are encoded from; the ``targets`` columns (read as ``target_kind``:
    "categorical" for class labels as text, "numeric" for values) come from that same table,
    so labels and inputs stay row for row together whatever rows are blank, empty or
    dropped.

    Returns
    -------
    RawRows

    Raises
    ------
    InputCSVError
        A needed column (an input, or a target) is missing, or a cell does not fit its
        column; the message names the file, the row (file line) and the column.
    """
    import os

    from engine.data.csv_import import CSVError, CSVTypeError, read_csv, sniff
    from engine.data.preprocessing import PreprocessingError

    path = os.fspath(path)
    try:
        dialect = sniff(path, header=True)
        with open(path, newline="", encoding=dialect.encoding) as f:
            header = next(csv.reader(f, delimiter=dialect.delimiter,
                                     quotechar=dialect.quotechar or None), [])
        names = [h.strip() for h in header]
        needed = preprocessor.input_names
        missing = [n for n in needed if n not in names]
        if missing:
            raise InputCSVError(f"{path}: missing column(s) "
                                f"{', '.join(repr(m) for m in missing)}; the model needs "
                                f"{', '.join(needed)}")
        types = preprocessor.kinds()
        absent = [t for t in targets if t not in names]
        if absent:
            raise InputCSVError(f"{path}: missing target column(s) "
                                f"{', '.join(repr(t) for t in absent)}; evaluating needs the "
                                f"true values beside the model's columns")
        types.update({t: target_kind for t in targets})
        table = read_csv(path, encoding=dialect.encoding, delimiter=dialect.delimiter,
                         quotechar=dialect.quotechar, header=True, target=None, types=types)
        keep = preprocessor.kept_rows(table)
        x = preprocessor.transform(table)
        lines = _data_lines(path, table)
    except CSVTypeError as exc:
        raise InputCSVError(_not_a_number(exc, path)) from None
    except (CSVError, PreprocessingError) as exc:
        raise InputCSVError(str(exc) if str(path) in str(exc) else f"{path}: {exc}") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputCSVError(f"{path}: cannot read the CSV file ({exc})") from None
    return RawRows(x, keep, lines, table, _unseen(preprocessor, table, keep))


def _not_a_number(exc, path) -> str:
    """A text cell in a numeric column, said for a file the model reads (the engine's own
    message advises on importing, which is not what a person predicting can change)."""
    reason = exc.reason
    cut = reason.find(" is not a number")
    if cut > 0:
        reason = (f"{reason[:cut]} is not a number, but the model was trained on numbers in "
                  f"this column")
    where = [w for w in (str(path), None if exc.row is None else f"row {exc.row}",
                         None if exc.column is None else f"column {exc.column!r}") if w]
    return f"{', '.join(where)}: {reason}"


def _data_lines(path, table) -> np.ndarray:
    """The file line of each of ``table``'s rows.

    ``read_csv`` leaves out blank lines (and numbers rows by file line in its own errors);
    the same ``csv`` reading with the same rule finds the line of every row it kept.
    """
    d = table.dialect
    ncol = len(table.columns)
    lines = []
    with open(path, newline="", encoding=d.encoding) as f:
        reader = csv.reader(f, delimiter=d.delimiter, quotechar=d.quotechar or None)
        if d.header:
            next(reader, None)
        for r in reader:
            if not r or (len(r) == 1 and not r[0].strip() and ncol > 1):
                continue
            lines.append(reader.line_num)
    if len(lines) != table.n_rows:  # a file the two readers split otherwise: count rows
        return np.arange(table.n_rows) + (2 if d.header else 1)
    return np.array(lines, dtype=np.int64)


def _unseen(preprocessor, table, keep) -> dict:
    out = {}
    for c in preprocessor.columns:
        if c["kind"] == "numeric":
            continue
        col = table[c["name"]]
        known = set(c["categories"])
        # one entry per category of the file, and one for the code -1 (missing)
        new = np.array([cat not in known for cat in (col.categories or [])] + [False])
        n = int(np.count_nonzero(new[col.values.astype(np.int64)] & keep))
        if n:
            out[c["name"]] = n
    return out


def plain_preprocessor(feature_names):
    """A preprocessor that reads ``feature_names`` as numbers and passes them on unchanged
    (runs that store none: synthetic data, files of format 2); a row with a missing value
    cannot be encoded."""
    from engine.data.preprocessing import Preprocessor

    return Preprocessor([{"name": n, "kind": "numeric", "scale": "none", "missing": "drop",
                          "fill": None, "center": 0.0, "width": 1.0} for n in feature_names])


def labels_of(rows: RawRows, target: str, task: str, class_names=None) -> np.ndarray:
    """The true targets in ``rows``' target column, for every data row of the file.

    Returns
    -------
    ndarray
        Classification: int64 class indices of shape (N,), -1 where the cell is missing.
        A label is matched by the class's name, or, when every class name is a number, by
        its value ("10.0" is the class "10"), never by position.
        Regression: float32 of shape (N, 1), NaN where missing.

    Raises
    ------
    InputCSVError
        A label that is no class, named with its file line.
    """
    col = rows.table[target]
    if task != "classification":
        return col.values.astype(np.float32).reshape(-1, 1)
    names = [str(n) for n in class_names]
    index = {n: k for k, n in enumerate(names)}
    try:  # classes that are numbers (a numeric target column) also match by value
        values = {float(n): k for k, n in enumerate(names)}
    except ValueError:
        values = None
    lookup = []
    for category in col.categories or []:
        k = index.get(category)
        if k is None and values is not None:
            try:
                k = values.get(float(category))
            except ValueError:
                k = None
        lookup.append(-2 if k is None else k)
    lookup = np.array(lookup + [-1], dtype=np.int64)
    y = lookup[col.values.astype(np.int64)]
    bad = np.flatnonzero(y == -2)
    if bad.size:
        i = int(bad[0])
        raise InputCSVError(f"{rows.table.path}, row {int(rows.lines[i])}, column {target!r}: "
                            f"unknown class {col.categories[col.values[i]]!r}; the classes "
                            f"are {', '.join(names)}")
    return y


@dataclasses.dataclass(frozen=True)
class Outputs:
    """What a run's outputs mean: ``task``, ``target_names`` and (classification)
    ``class_names``, in the order of the network's class outputs."""

    task: str
    target_names: list
    class_names: list | None = None


def run_outputs(run, embedded: dict | None = None, base_dir: str | None = None) -> Outputs:
    """:class:`Outputs` of ``run``: stored with the run (``run.targets``), else read from its
    training data (a run saved before runs stored them), which must then be at hand."""
    targets = getattr(run, "targets", None)
    if targets is not None:
        return Outputs(targets["task"], list(targets["names"]),
                       None if targets.get("classes") is None else list(targets["classes"]))
    from nnstudio.training import snapshot

    source = run_project(run, embedded)
    dataset = snapshot.load_data(source.data, source.embedded, training=source.training,
                                 base_dir=base_dir)
    return Outputs(dataset.task, list(dataset.target_names),
                   None if dataset.class_names is None else list(dataset.class_names))


def run_loss(run):
    """The loss object ``run`` was trained with."""
    from engine import losses

    return losses.get(copy.deepcopy(run.settings["training"]["loss"]))


def classes(a: np.ndarray) -> np.ndarray:
    """Predicted class indices: argmax, or ``p >= 0.5`` for one sigmoid unit."""
    if a.shape[1] == 1:
        return (a[:, 0] >= 0.5).astype(np.int64)
    return a.argmax(axis=1)


def probabilities(a: np.ndarray) -> np.ndarray:
    """Per-class probabilities (one sigmoid unit gives two columns: 1 - p, p)."""
    return np.concatenate([1 - a, a], axis=1) if a.shape[1] == 1 else a


def prediction_columns(run, dataset, a: np.ndarray) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the predictions ``a`` (the network's outputs): for classification
    ``class`` (the class name) and ``p(<class name>)`` per class; for regression one column
    per target.  ``dataset``: what names the outputs (``class_names``, ``target_names``): the
    run's :class:`Outputs`, or its training ``Dataset``."""
    if run_loss(run).task == "classification" and dataset.class_names:
        names = list(dataset.class_names)
        header = ["class"] + [f"p({n})" for n in names]
        rows = [[names[c]] + [repr(float(p)) for p in row]
                for c, row in zip(classes(a), probabilities(a))]
    else:
        header = list(dataset.target_names) if a.shape[1] == len(dataset.target_names) else [
            f"y{i + 1}" for i in range(a.shape[1])]
        rows = [[repr(float(v)) for v in row] for row in a]
    return header, rows


def predictions_table(run, embedded: dict | None = None, base_dir: str | None = None):
    """``run``'s predictions on every sample of its project's data.

    Returns ``(header, rows)``: the feature columns (the network's inputs, after the stored
    preprocessing), the true target (``true <name>``: the class name, or the values), then
    the columns of :func:`prediction_columns` prefixed with ``predicted``.
    """
    from nnstudio.training import snapshot

    source = run_project(run, embedded)
    dataset = snapshot.load_data(source.data, source.embedded, training=source.training,
                                 base_dir=base_dir)
    a = run_network(run).predict(dataset.x)
    pred_header, pred_rows = prediction_columns(run, dataset, a)
    if dataset.task == "classification":
        names = list(dataset.class_names)
        true_header = [f"true {dataset.target_names[0]}"]
        true_rows = [[names[int(c)]] for c in dataset.y]
    else:
        true_header = [f"true {n}" for n in dataset.target_names]
        true_rows = [[repr(float(v)) for v in row] for row in np.asarray(dataset.y).reshape(
            len(dataset.x), -1)]
    header = (list(dataset.feature_names) + true_header
              + [f"predicted {h}" if not h.startswith("p(") else h for h in pred_header])
    rows = [[repr(float(v)) for v in xr] + tr + pr
            for xr, tr, pr in zip(dataset.x, true_rows, pred_rows)]
    return header, rows


def write_csv(path: str, header: list[str], rows: list[list[str]]) -> None:
    """Write a CSV with a header row (``OSError`` when the file cannot be written)."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def export_onnx(run, path, preprocessing: bool = True) -> None:
    """``run``'s trained network as an ONNX model at ``path`` (``ImportError`` without
    the ``onnx`` package).

    With ``preprocessing`` (and a run that stores its fitted preprocessor) the model takes
    the raw columns and encodes them itself (see ``engine.export.onnx``); without, or for
    data that is not encoded (synthetic sets), it takes the network's inputs."""
    from engine.export import onnx as onnx_export

    onnx_export.save(run_network(run), path, run_preprocessor(run) if preprocessing else None)


def export_torch(run, path, embedded: dict | None = None, base_dir: str | None = None):
    """A standalone PyTorch script of ``run`` at ``path`` (weights and data beside it);
    returns the paths written."""
    from engine.export import torch_script
    from nnstudio.training import snapshot

    project = run_project(run, embedded)
    job = snapshot.prepare(project, base_dir=base_dir)
    pre = run_preprocessor(run) or job.preprocessor
    source = None
    if pre is not None and project.data.kind in ("builtin", "csv"):
        source = _csv_source(project, job, pre, base_dir)
    return torch_script.save(run_network(run), path, training=run.settings["training"],
                             x=job.x, y=job.y, preprocessor=pre, source=source)


def _csv_source(project, job, pre, base_dir) -> dict:
    """What ``torch_script.save`` needs to read the raw CSV as ``job`` did: its bytes, its
    dialect and target, and the data rows held out for testing and validation."""
    import importlib.resources

    from engine.data.builtin import BUILTIN_DATASETS
    from nnstudio.training import snapshot

    data = project.data
    table = snapshot.read_table(data, project.embedded, base_dir)
    if data.kind == "builtin":
        with importlib.resources.as_file(
                BUILTIN_DATASETS.get(copy.deepcopy(data.config)).path()) as file:
            raw = file.read_bytes()
    elif data.config.get("file") is not None:
        raw = project.embedded[data.config["file"]]
    else:
        with open(snapshot.csv_path(data, base_dir), "rb") as f:
            raw = f.read()
    # the table rows behind the dataset's samples (as snapshot.encode_table keeps them)
    y_all, valid = table.y()
    rows = np.flatnonzero(valid & pre.kept_rows(table))
    classification = job.dataset.task == "classification"
    labels = job.dataset.y if classification else None
    fit_rows, test = snapshot.split_rows(len(rows), job.training, labels)
    train_positions = snapshot._fit_train_positions(len(fit_rows), job.training)
    validation = np.setdiff1d(np.arange(len(fit_rows)), train_positions)
    if job.y.ndim == 1:
        form = "index"
    elif classification:
        form = "onehot" if job.y.shape[1] > 1 else "column"
    else:
        form = "values"
    dialect = table.dialect
    return {"data": raw, "encoding": dialect.encoding, "delimiter": dialect.delimiter,
            "quotechar": dialect.quotechar, "header": dialect.header, "target": table.target,
            "task": job.dataset.task if classification else "regression",
            "class_names": list(table.class_names or []),
            "numeric_classes": classification and table[table.target].kind == "numeric",
            "target_form": form, "test": rows[test].tolist(),
            "validation": rows[fit_rows[validation]].tolist()}
