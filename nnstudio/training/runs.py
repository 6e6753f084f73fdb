"""What a finished run is good for without training: its network, its project, its
predictions and its exports.  Qt-free; shared by the command line (``nnstudio.cli``) and the
window's File > Export (``nnstudio.export_actions``)."""

from __future__ import annotations

import copy
import csv

import numpy as np

__all__ = ["last_trained_run", "run_project", "run_network", "classes", "probabilities",
           "prediction_columns", "predictions_table", "write_csv", "export_onnx",
           "export_torch"]


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
    per target."""
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


def export_onnx(run, path) -> None:
    """``run``'s trained network as an ONNX model at ``path`` (``ImportError`` without
    the ``onnx`` package)."""
    from engine.export import onnx as onnx_export

    onnx_export.save(run_network(run), path)


def export_torch(run, path, embedded: dict | None = None, base_dir: str | None = None):
    """A standalone PyTorch script of ``run`` at ``path`` (weights and data beside it);
    returns the paths written."""
    from engine.export import torch_script
    from nnstudio.training import snapshot

    job = snapshot.prepare(run_project(run, embedded), base_dir=base_dir)
    return torch_script.save(run_network(run), path, training=run.settings["training"],
                             x=job.x, y=job.y)
