"""What a training run works on: a snapshot of the document taken when Train is pressed.

Qt-free (the command line and the tests use it without a display).  :func:`prepare` copies
the network spec, the data source and the training settings out of the :class:`Project`,
loads the data, builds the engine network and converts the targets, so that later edits of
the document never reach a run in progress (DESIGN, convention 5).  :func:`make_run` turns a
finished run into the document's :class:`Run`.

Every problem is raised as the engine's typed exception (``SpecError``, ``TargetError``,
``TrainingError``, ...) or a ``ValueError`` whose message a person can act on.
"""

from __future__ import annotations

import copy
import datetime
import importlib.resources
import os
import re
import tempfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine import losses as loss_registry
from engine import network as network_module
from engine.data import synthetic
from engine.data.dataset import Dataset
from engine.training import History
from nnstudio.document.model import DataSource, Project, Run, TrainingSettings

__all__ = ["TrainingJob", "prepare", "make_run", "load_data", "load_encoded", "output_units",
           "final_metrics", "test_metrics"]


@dataclass
class TrainingJob:
    """Everything one run needs, independent of the document it came from.

    Attributes
    ----------
    spec : dict
        Deep copy of the network spec (``Project.spec()``).
    data : DataSource
        Deep copy of the data source.
    training : TrainingSettings
        Deep copy of the training settings.
    dataset : Dataset
        The loaded data (all samples, targets as the dataset gives them).
    x, y : ndarray
        The training samples (the test split, if any, held out) and their targets in the
        loss's form: class indices for sparse cross-entropy, one-hot rows for categorical
        cross-entropy, a 0/1 column for binary cross-entropy, values for regression.
    x_test, y_test : ndarray or None
        The samples held out by ``training.test_split`` (never trained on).
    preprocessor : engine.data.preprocessing.Preprocessor or None
        What encoded a table's raw columns (builtin and csv data), fitted on the training
        rows; None for synthetic data.
    network : engine.network.Network
        Built with ``training.seed`` and ``training.dtype``; ``fit`` trains it in place.
    n_features, n_outputs : int
    fit_kwargs : dict
        Keyword arguments of ``engine.training.fit`` besides the network and the data.
    """

    spec: dict
    data: DataSource
    training: TrainingSettings
    dataset: Dataset
    x: np.ndarray
    y: np.ndarray
    network: Any
    n_features: int
    n_outputs: int
    fit_kwargs: dict = field(default_factory=dict)
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    preprocessor: Any = None

    @property
    def n_samples(self) -> int:
        """Samples that ``fit`` receives (training plus validation split)."""
        return int(len(self.x))


# -- data ------------------------------------------------------------------------------------
DATA_KINDS = ("synthetic", "builtin", "csv")
CSV_READ_OPTIONS = ("encoding", "delimiter", "quotechar", "header", "target", "task", "types",
                    "roles")


def _holdout(n: int, fraction, seed: int, stream: int, labels) -> tuple[np.ndarray, np.ndarray]:
    """``(held_out, rest)`` positions of ``round(n * fraction)`` of ``n`` rows drawn by the
    seeded stream ``[seed, stream]``; with class ``labels`` each class gives its share
    (``engine.data.splits.stratified_holdout``)."""
    n_out = int(round(n * fraction))
    perm = np.random.default_rng([int(seed), stream]).permutation(n)
    if labels is None:
        return perm[:n_out], perm[n_out:]
    from engine.data.splits import stratified_holdout
    return stratified_holdout(labels, n_out, perm)


def split_rows(n: int, training: TrainingSettings, labels=None) -> tuple[np.ndarray, np.ndarray]:
    """``(fit_rows, test_rows)``: positions of ``n`` samples that ``fit`` receives (in that
    order: ``job.x``) and that the test split holds out (``job.x_test``).

    With class ``labels`` (N,) both hold-outs are stratified: the test rows directly, the
    validation rows by where they stand in ``fit_rows``: ``engine.training.fit`` holds out
    the first ``round(len * validation_split)`` positions of
    ``default_rng([seed, 1]).permutation(len)``, so the stratified choice is placed at
    exactly those positions, and everything that repeats fit's split (the probes, the
    command line) finds the same rows."""
    rows, test = np.arange(n), np.arange(0)
    fraction = training.test_split or 0
    if fraction and isinstance(fraction, (int, float)) and 0 < fraction < 1:
        if 0 < int(round(n * fraction)) < n - 1:
            # [seed, 3]: a stream of its own, apart from fit's split ([seed, 1]) and
            # shuffle ([seed, 2])
            test, rows = _holdout(n, fraction, training.seed, 3, labels)
    fraction = training.validation_split or 0
    if labels is not None and fraction and isinstance(fraction, (int, float)) \
            and 0 < fraction < 1 and 0 < int(round(len(rows) * fraction)) < len(rows):
        val, train = _holdout(len(rows), fraction, training.seed, 1, np.asarray(labels)[rows])
        perm = np.random.default_rng([int(training.seed), 1]).permutation(len(rows))
        order = np.empty(len(rows), np.int64)
        order[perm[:len(val)]], order[perm[len(val):]] = val, train
        rows = rows[order]
    return rows, test


def _fit_train_positions(m: int, training: TrainingSettings) -> np.ndarray:
    """Positions (of the ``m`` rows ``fit`` receives) that it trains on, once its
    validation split is held out."""
    val = training.validation_split or 0
    if val and isinstance(val, (int, float)) and 0 < val < 1:
        n_val = int(round(m * val))
        if 0 < n_val < m:
            return np.random.default_rng([int(training.seed), 1]).permutation(m)[n_val:]
    return np.arange(m)


def _training_rows(n: int, training: TrainingSettings, labels=None) -> np.ndarray:
    """Positions (of ``n`` samples) that training fits on: exactly the rows left once
    :func:`split_rows` holds out the test split and ``engine.training.fit`` its validation
    split (same seeded streams; stratified by class ``labels`` when given), so preprocessing
    is fitted on them alone."""
    rows, _test = split_rows(n, training, labels)
    return np.sort(rows[_fit_train_positions(len(rows), training)])


def csv_path(source: DataSource, base_dir: str | None = None) -> str:
    """The file a ``csv`` source's ``"path"`` names (relative to ``base_dir``, the project
    file's folder)."""
    path = source.config.get("path")
    if not isinstance(path, str) or not path:
        raise ValueError("a csv data source needs a 'file' (embedded) or a 'path'")
    if not os.path.isabs(path) and base_dir:
        path = os.path.join(base_dir, path)
    return path


def read_table(source: DataSource, embedded: dict | None = None,
               base_dir: str | None = None, progress=None):
    """The :class:`engine.data.Table` of a ``builtin`` or ``csv`` source."""
    from engine.data.builtin import BUILTIN_DATASETS
    from engine.data.csv_import import read_csv

    config = source.config
    if source.kind == "builtin":
        spec = BUILTIN_DATASETS.get(copy.deepcopy(config))
        with importlib.resources.as_file(spec.path()) as path:
            return read_csv(path, target=spec.target, task=spec.task, types=spec.types,
                            progress=progress)
    options = {k: copy.deepcopy(config[k]) for k in CSV_READ_OPTIONS if k in config}
    name = config.get("file")
    if name is not None:
        blob = (embedded or {}).get(name)
        if blob is None:
            raise ValueError(f"the project does not carry the data file {name!r}")
        with tempfile.TemporaryDirectory(prefix="nnstudio-") as folder:
            path = os.path.join(folder, os.path.basename(name) or "data.csv")
            with open(path, "wb") as f:
                f.write(blob)
            table = read_csv(path, progress=progress, **options)
        table.path = name
        return table
    return read_csv(csv_path(source, base_dir), progress=progress, **options)


def dataset_from_table(table, settings: dict | None, training: TrainingSettings,
                       name: str, description: str = "") -> Dataset:
    """Every usable row of ``table`` encoded, with preprocessing fitted on the rows training
    will fit on (see :func:`_training_rows`)."""
    return encode_table(table, settings, training, name, description)[0]


def encode_table(table, settings: dict | None, training: TrainingSettings, name: str,
                 description: str = ""):
    """``(dataset, preprocessor)``: :func:`dataset_from_table` and the fitted
    ``engine.data.preprocessing.Preprocessor`` that encoded it."""
    from engine.data.preprocessing import fit, make_dataset

    settings = copy.deepcopy(settings) or None
    if not table.features():
        raise ValueError(f"{name}: no column is a feature (identifiers and free text are "
                         "ignored); give a column the role feature")
    _y, valid = table.y()
    rows = np.flatnonzero(valid)
    # which rows survive missing-value dropping does not depend on fitted values
    probe = fit(table, settings, rows=rows)
    keep = probe.kept_rows({c["name"]: table[c["name"]] for c in probe.columns})
    rows = rows[keep[rows]]
    if rows.size == 0:
        raise ValueError(f"{name}: no row is left once rows with missing values are dropped")
    labels = _y[rows] if table.task == "classification" else None
    pre = fit(table, settings, rows=rows[_training_rows(len(rows), training, labels)])
    return make_dataset(table, pre, rows, name, description), pre


def load_data(source: DataSource, embedded: dict | None = None, *,
              training: TrainingSettings | None = None, base_dir: str | None = None,
              progress=None) -> Dataset:
    """The dataset of :func:`load_encoded` (see there)."""
    return load_encoded(source, embedded, training=training, base_dir=base_dir,
                        progress=progress)[0]


def load_encoded(source: DataSource, embedded: dict | None = None, *,
                 training: TrainingSettings | None = None, base_dir: str | None = None,
                 progress=None):
    """Load the dataset a :class:`DataSource` describes.

    ``synthetic``: an ``engine.data.synthetic`` config.  ``builtin``: ``{"name": ...}`` of
    ``engine.data.builtin``.  ``csv``: ``{"file": <name in embedded>}`` or ``{"path": ...}``
    (relative to ``base_dir``) plus ``read_csv`` options.  Tables (builtin, csv) are encoded
    with ``source.preprocessing`` (``engine.data.preprocessing`` settings) fitted on the rows
    that ``training``'s test and validation splits leave for training (default settings when
    not given): float32 features, class indices as classification targets.

    Returns
    -------
    (Dataset, Preprocessor or None)
        The preprocessor that encoded a table (None for synthetic data).

    Raises
    ------
    ValueError
        For a kind that cannot be loaded, or a config / file the loader refuses
        (``engine.data.CSVError`` names file, row and column).
    """
    if source.kind == "synthetic":
        return synthetic.load(copy.deepcopy(source.config)), None
    if source.kind not in DATA_KINDS:
        raise ValueError(
            f"cannot load data of kind {source.kind!r}; the kinds that can be trained "
            f"on are: {', '.join(DATA_KINDS)}")
    table = read_table(source, embedded, base_dir, progress)
    if source.kind == "builtin":
        from engine.data.builtin import BUILTIN_DATASETS
        spec = BUILTIN_DATASETS.get(copy.deepcopy(source.config))
        name, description = spec.name, spec.description
    else:
        name = os.path.splitext(os.path.basename(
            source.config.get("file") or source.config.get("path") or "csv"))[0]
        description = ""
    if table.target is None:
        raise ValueError(f"{name}: the data has no target column to train on")
    return encode_table(table, source.preprocessing, training or TrainingSettings(), name,
                        description)


def output_units(dataset: Dataset, loss) -> int:
    """Output units the network needs for ``dataset`` and ``loss``.

    Classification data: one unit per class for the (sparse) categorical cross-entropies,
    a single sigmoid unit when binary cross-entropy meets two classes.  Regression data: one
    unit per target column.  Class labels under a regression loss are one column of numbers.
    """
    loss = loss_registry.get(loss)
    if dataset.task == "classification":
        if loss.task != "classification":
            return 1
        if loss.independent_outputs and dataset.n_classes == 2:
            return 1
        return int(dataset.n_classes)
    return int(dataset.n_outputs)


def _targets_for(loss, y: np.ndarray, n_outputs: int, task: str, dtype) -> np.ndarray:
    """``y`` in the form ``loss`` computes with (its ``prepare_targets`` checks the rest)."""
    if task != "classification":
        return y
    if loss.name == "categorical_crossentropy" and y.ndim == 1:
        onehot = np.zeros((len(y), n_outputs), dtype=dtype)
        if len(y) and (y.min() < 0 or y.max() >= n_outputs):
            raise loss_registry.TargetError(
                f"label {int(y.max())} is out of range for {n_outputs} output units")
        onehot[np.arange(len(y)), y] = 1
        return onehot
    if y.ndim == 1 and (loss.task != "classification"
                        or (loss.independent_outputs and n_outputs == 1)):
        return y.astype(dtype)[:, None]
    return y


def _split_test(x, y, training: TrainingSettings, labels=None):
    """``(x, y, x_test, y_test)``: :func:`split_rows` applied (rows in the order ``fit``
    receives them; stratified by class ``labels`` when given)."""
    fraction = training.test_split
    if fraction:
        if not (isinstance(fraction, (int, float)) and 0 <= fraction < 1):
            raise ValueError(f"test_split must lie in [0, 1), got {fraction!r}")
        n_test = int(round(len(x) * fraction))
        if n_test == 0 or n_test >= len(x) - 1:
            raise ValueError(
                f"test_split {fraction} of {len(x)} samples leaves {n_test} for testing and "
                f"{len(x) - n_test} for training; choose a fraction that keeps some of both")
    rows, test = split_rows(len(x), training, labels)
    if not len(test):
        return (x, y, None, None) if labels is None else (x[rows], y[rows], None, None)
    return x[rows], y[rows], x[test], y[test]


def _base_dir(project: Project) -> str | None:
    path = getattr(project, "path", None)
    return os.path.dirname(os.path.abspath(path)) if path else None


# -- prepare ---------------------------------------------------------------------------------
def prepare(project: Project, base_dir: str | None = None, loaded=None) -> TrainingJob:
    """Snapshot ``project`` and make everything ready for ``engine.training.fit``.

    ``base_dir``: the project file's folder, for a csv source that names a ``path``.
    ``loaded``: ``(dataset, preprocessor)`` as :func:`load_encoded` gives them for the
    project's data source and split settings, when the caller has loaded them already (the
    window's data panel), so that the file is not read again; the job only reads them.

    Returns
    -------
    TrainingJob
        ``fit(job.network, job.x, job.y, **job.fit_kwargs)`` trains it.

    Raises
    ------
    engine.spec.SpecError
        The network cannot be built (or does not fit the loss and labels).
    engine.losses.TargetError, engine.registry.UnknownNameError, ValueError
        The data, the loss or a setting cannot be used.
    """
    spec = copy.deepcopy(project.spec())
    data = copy.deepcopy(project.data)
    settings = copy.deepcopy(project.training)

    if loaded is None:
        loaded = load_encoded(data, project.embedded, training=settings,
                              base_dir=base_dir or _base_dir(project))
    dataset, preprocessor = loaded
    loss = loss_registry.get(copy.deepcopy(settings.loss))
    n_features = int(dataset.n_features)
    n_outputs = output_units(dataset, loss)
    dtype = np.dtype(settings.dtype)

    y = _targets_for(loss, dataset.y, n_outputs, dataset.task, dtype)
    labels = dataset.y if dataset.task == "classification" else None
    x, y, x_test, y_test = _split_test(dataset.x, y, settings, labels)
    if getattr(loss, "weight", None) == loss_registry.BALANCED:
        # balanced class weights from the rows fit trains on; the run records the numbers
        train = y[_fit_train_positions(len(y), settings)]
        loss = loss_registry.resolve_class_weights(loss, train, n_outputs)
        settings.loss = loss_registry.LOSSES.to_config(loss)
    if dtype != x.dtype:
        x = x.astype(dtype)
        x_test = None if x_test is None else x_test.astype(dtype)

    network = network_module.build(spec, n_features, n_outputs, seed=settings.seed,
                                   dtype=settings.dtype, loss=copy.deepcopy(settings.loss),
                                   targets=y)
    fit_kwargs = {
        "loss": copy.deepcopy(settings.loss),
        "optimizer": copy.deepcopy(settings.optimizer),
        "epochs": settings.epochs,
        "batch_size": settings.batch_size,
        "validation_split": settings.validation_split,
        "seed": settings.seed,
        "metrics": copy.deepcopy(settings.metrics) if settings.metrics else None,
        "schedule": copy.deepcopy(settings.schedule),
        "clip_norm": settings.clip_norm,
        "clip_value": settings.clip_value,
        "early_stopping": copy.deepcopy(settings.early_stopping),
    }
    return TrainingJob(spec, data, settings, dataset, x, y, network, n_features, n_outputs,
                       fit_kwargs, x_test, y_test, preprocessor)


# -- the document's Run ----------------------------------------------------------------------
def _history_dict(history) -> dict:
    if history is None:
        return {}
    if isinstance(history, History):
        history = history.to_dict()
    return copy.deepcopy(dict(history))


def final_metrics(history: dict) -> dict:
    """The last epoch's training and validation numbers, e.g. ``{"loss", "val_loss", ...}``."""
    result = {}
    for part in ("train", "validation"):
        for key, values in (history.get(part) or {}).items():
            if values:
                result[key] = float(values[-1])
    return result


def test_metrics(job: TrainingJob, weights: dict) -> dict:
    """Loss and metrics of ``weights`` on the job's test split (``x_test``, ``y_test``),
    computed as ``engine.training.fit`` computes its validation numbers (same loss, same
    metrics, evaluation mode), with the prefix ``test_``: ``{"test_loss", "test_accuracy",
    ...}``; ``{}`` when there is no test split."""
    from engine import metrics as metric_registry
    from engine import training as engine_training

    if job.x_test is None or not len(job.x_test):
        return {}
    s = job.fit_kwargs
    net = network_module.build(job.spec, job.n_features, job.n_outputs,
                               dtype=job.training.dtype, initialize=False)
    net.set_weights(weights)
    loss = loss_registry.get(copy.deepcopy(s["loss"]))
    metrics = s["metrics"] or (["accuracy"] if loss.task == "classification" else ["mae"])
    # fit's own evaluator, so that test numbers mean exactly what validation numbers mean
    evaluator = engine_training._Evaluator(
        net, loss, [metric_registry.get(copy.deepcopy(m)) for m in metrics])
    y = loss.prepare_targets(job.y_test, net.n_outputs, net.dtype)
    result, _confusion = evaluator.evaluate(evaluator.outputs(job.x_test), y, "test_")
    return {k: float(v) for k, v in result.items()}


_EVENT_STATUS = {"Stopped": "stopped", "Diverged": "diverged"}


def make_run(job: TrainingJob, finished, history=None, status: str | None = None,
             run_id: str | None = None, name: str | None = None) -> Run:
    """The document's :class:`Run` of a finished training.

    Its ``final_metrics`` are the last epoch's training and validation numbers and, when the
    project holds out a test split, the test numbers of the final weights
    (:func:`test_metrics`); its ``preprocessor`` is the job's fitted preprocessing.

    ``make_run(job, result, run_id)`` is the short form for the controller's result dict,
    which carries the history and the status.

    Parameters
    ----------
    job : TrainingJob
    finished : dict, engine event or None
        The controller's result dict (``history``, ``status``, ``best_epoch``,
        ``best_weights``, ``weights``) or an engine ``Finished`` / ``Stopped`` /
        ``Diverged`` event; with ``None`` (or what lacks them) the best epoch is unknown and
        the weights are read from ``job.network``.
    history : engine.training.History or its dict, optional
        Default: that of ``finished``.
    status : str, optional
        "completed", "early_stopping", "stopped" or "diverged"; default: that of
        ``finished`` (an engine ``Finished`` gives its reason), else "completed".
    run_id : str
    name : str, optional
        Default: "Run 3" for the id "run3", else the id.
    """
    if isinstance(history, str) and run_id is None:  # the short form
        run_id, history = history, None
    if run_id is None:
        raise TypeError("make_run needs a run_id")
    if isinstance(finished, dict):
        get = finished.get
    else:
        def get(key, default=None):
            return getattr(finished, key, default)
    if history is None:
        history = get("history")
    if status is None:
        status = get("status") or get("reason") or _EVENT_STATUS.get(
            type(finished).__name__, "completed")
    if name is None:
        match = re.fullmatch(r"run(\d+)", run_id)
        name = f"Run {match.group(1)}" if match else run_id
    weights = get("weights")
    if weights is None:
        weights = job.network.get_weights()
    best_weights = get("best_weights")
    best_epoch = get("best_epoch")
    hist = _history_dict(history)
    settings = {
        "spec": copy.deepcopy(job.spec),
        "n_features": job.n_features,
        "n_outputs": job.n_outputs,
        "training": job.training.to_dict(),
        "data": job.data.to_dict(),
    }
    created = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    metrics = final_metrics(hist)
    if status != "diverged":  # diverged weights hold NaN: no number to report
        metrics.update(test_metrics(job, weights))
    return Run(id=run_id, name=name, created=created, settings=settings, status=status,
               history=hist, final_metrics=metrics,
               preprocessor=None if job.preprocessor is None else job.preprocessor.to_config(),
               targets={"task": job.dataset.task, "names": list(job.dataset.target_names),
                        "classes": None if job.dataset.class_names is None
                        else list(job.dataset.class_names)},
               best_epoch=None if best_epoch is None else int(best_epoch),
               weights={k: np.array(v, copy=True) for k, v in weights.items()},
               best_weights=None if best_weights is None else
               {k: np.array(v, copy=True) for k, v in best_weights.items()})
