"""``nnstudio train|evaluate|predict|export|info``: a project without the window.

Qt-free: it uses the document (``nnstudio.document``), the training snapshot
(``nnstudio.training.snapshot``) and the engine, so it runs on a server or in CI.

Every failure a person can cause ends in one line on stderr, ``nnstudio: <what and why>``,
and a non-zero exit code (never a traceback):

====  ==========================================================================
code  meaning
====  ==========================================================================
0     done
1     the project cannot be trained or exported as it is (network, data, settings),
      or training diverged (the run is saved all the same)
2     the command line itself is wrong (argparse's usage message)
3     a file does not exist
4     the project file cannot be read (``ProjectFileError``) or saved
5     the project has no trained run (train it first: ``nnstudio train PROJECT``)
6     an input CSV cannot be used (a column the model needs is missing, a value is not a
      number, an unknown class)
7     an optional package the command needs is not installed (``onnx`` for ``--onnx``)
130   training was interrupted with Ctrl+C; the finished epochs are saved as a "stopped" run
====  ==========================================================================
"""

from __future__ import annotations

import argparse
import copy
import csv
import dataclasses
import json
import math
import os
import signal
import sys
import threading
import time

import numpy as np

from nnstudio.training.runs import (  # noqa: F401 - shared with the window
    classes as _classes, export_onnx, export_torch, prediction_columns,
    probabilities as _probabilities, run_network, run_project, write_csv)

COMMANDS = ("train", "evaluate", "predict", "export", "info")

EXIT_OK, EXIT_PROJECT, EXIT_USAGE, EXIT_MISSING = 0, 1, 2, 3
EXIT_FILE, EXIT_NO_RUN, EXIT_CSV, EXIT_DEPENDENCY, EXIT_INTERRUPTED = 4, 5, 6, 7, 130


class CliError(Exception):
    """A one-line message for the person and the exit code that goes with it."""

    def __init__(self, message: str, code: int = EXIT_PROJECT):
        super().__init__(message)
        self.code = code


# == entry point ==============================================================================
def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; returns the exit code (see the module docstring).

    Parameters
    ----------
    argv : list of str, optional
        The arguments after ``nnstudio`` (default ``sys.argv[1:]``), the subcommand first.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except CliError as exc:
        return _fail(str(exc), exc.code)
    except Exception as exc:  # noqa: BLE001 - the engine's typed errors carry good messages
        from nnstudio.document.errors import ProjectFileError

        if isinstance(exc, ProjectFileError):
            return _fail(str(exc), EXIT_FILE)
        if isinstance(exc, ValueError) and str(exc):
            return _fail(str(exc), EXIT_PROJECT)
        return _fail(f"unexpected {type(exc).__name__}: {exc}", EXIT_PROJECT)


def _fail(message: str, code: int) -> int:
    print(f"nnstudio: {' '.join(str(message).split())}", file=sys.stderr)
    return code


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the five subcommands."""
    parser = argparse.ArgumentParser(prog="nnstudio", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("train", help="train the project headless and save the run")
    p.add_argument("project")
    p.add_argument("--epochs", type=_positive_int, help="override the project's epochs")
    p.add_argument("--seed", type=_natural_int, help="override the project's seed")
    p.add_argument("--out", help="write the project with its new run here (default: in place)")
    p.set_defaults(handler=cmd_train)

    p = sub.add_parser("evaluate", help="metrics of the last run on held-out data")
    p.add_argument("project")
    p.add_argument("--data", metavar="CSV", help="evaluate on this CSV (features and targets)")
    p.add_argument("--run", help="the run id (default: the last run with weights)")
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.set_defaults(handler=cmd_evaluate)

    p = sub.add_parser("predict", help="predictions of the last run for a CSV of inputs")
    p.add_argument("project")
    p.add_argument("input", metavar="INPUT.csv")
    p.add_argument("-o", "--output", required=True, metavar="OUT.csv")
    p.add_argument("--run", help="the run id (default: the last run with weights)")
    p.set_defaults(handler=cmd_predict)

    p = sub.add_parser("export", help="export the trained network to ONNX or a PyTorch script")
    p.add_argument("project")
    p.add_argument("--onnx", metavar="FILE", help="write an ONNX model (opset 17)")
    p.add_argument("--torch", metavar="FILE",
                   help="write a standalone PyTorch script (weights and data beside it)")
    p.add_argument("--run", help="the run id (default: the last run with weights)")
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser("info", help="network summary, data source and runs")
    p.add_argument("project")
    p.set_defaults(handler=cmd_info)
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text}")
    return value


def _natural_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text}")
    return value


# == shared helpers ===========================================================================
def load_project(path: str):
    """The project at ``path``; ``CliError`` (exit 3 or 4) when it is missing or unreadable."""
    from nnstudio.document import project_file
    from nnstudio.document.errors import ProjectFileError

    _require_file(path)
    try:
        return project_file.load(path)
    except ProjectFileError as exc:
        raise CliError(str(exc), EXIT_FILE) from None


def _require_file(path: str) -> None:
    if not os.path.exists(path):
        raise CliError(f"{path}: no such file", EXIT_MISSING)
    if os.path.isdir(path):
        raise CliError(f"{path}: is a folder, not a file", EXIT_MISSING)


def trained_run(project, path: str, run_id: str | None = None):
    """The run whose weights a command uses: ``run_id``, else the last run with weights."""
    if run_id is not None:
        for run in project.runs:
            if run.id == run_id:
                if run.weights is None:
                    raise CliError(f"{path}: run {run_id!r} has no weights", EXIT_NO_RUN)
                return run
        known = ", ".join(r.id for r in project.runs) or "none"
        raise CliError(f"{path}: there is no run {run_id!r} (runs: {known})", EXIT_NO_RUN)
    for run in reversed(project.runs):
        if run.weights is not None:
            return run
    raise CliError(f"{path}: the project has no trained run; train it first with "
                   f"'nnstudio train {path}'", EXIT_NO_RUN)


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if math.isfinite(value) else str(value)
    return str(value)


# == train ====================================================================================
class _Progress:
    """Per-epoch lines; on a terminal also a progress bar over the epoch's batches."""

    def __init__(self, stream, epochs: int, tty: bool):
        self.stream, self.epochs, self.tty = stream, epochs, tty
        self._shown = 0.0

    def batch(self, event) -> None:
        now = time.monotonic()
        if now - self._shown < 0.1 and event.batch + 1 < event.iterations_per_epoch:
            return
        self._shown = now
        width = 30
        done = (event.batch + 1) / event.iterations_per_epoch
        bar = "#" * int(done * width)
        self.stream.write(f"\repoch {event.epoch + 1}/{self.epochs} [{bar:<{width}}] "
                          f"{event.batch + 1}/{event.iterations_per_epoch}")
        self.stream.flush()

    def epoch(self, event) -> None:
        cells = "  ".join(f"{k} {_fmt(v)}" for k, v in
                          {**event.train, **(event.validation or {})}.items())
        line = (f"epoch {event.epoch + 1:>{len(str(self.epochs))}}/{self.epochs}  {cells}  "
                f"({event.samples_per_second:,.0f} samples/s)")
        self.stream.write(("\r\x1b[K" if self.tty else "") + line + "\n")
        self.stream.flush()


def cmd_train(args) -> int:
    """``nnstudio train PROJECT [--epochs N] [--seed S] [--out FILE]``."""
    from engine import training
    from nnstudio.document import project_file
    from nnstudio.document.errors import ProjectFileError
    from nnstudio.document.model import Project
    from nnstudio.training import snapshot

    project = load_project(args.project)
    overrides = {k: v for k, v in (("epochs", args.epochs), ("seed", args.seed))
                 if v is not None}
    view = Project()  # the project with the overrides, leaving its own settings alone
    view.nodes, view.edges, view.data = project.nodes, project.edges, project.data
    view.embedded = project.embedded
    view.training = dataclasses.replace(project.training, **overrides)
    job = snapshot.prepare(view, base_dir=os.path.dirname(os.path.abspath(args.project)))
    epochs = job.fit_kwargs["epochs"]
    tty = sys.stdout.isatty()
    progress = _Progress(sys.stdout, epochs, tty)
    print(f"training {os.path.basename(args.project)}: {job.n_samples} samples, "
          f"{job.network.n_params} parameters, {epochs} epochs", flush=True)

    control = training.Control()
    outcome = _fit(job, control, progress, tty)
    if outcome is None:
        print("stopped before the first epoch finished: nothing to save", file=sys.stderr)
        return EXIT_INTERRUPTED
    run = snapshot.make_run(job, outcome, project.new_run_id())
    project.add_run(run)
    out = args.out or args.project
    try:
        project_file.save(project, out)
    except ProjectFileError as exc:
        raise CliError(str(exc), EXIT_FILE) from None
    n = len(outcome["history"]["lr"])
    metrics = "  ".join(f"{k} {_fmt(v)}" for k, v in run.final_metrics.items())
    print(f"{run.name} ({run.id}): {run.status} after {n} epoch(s); {metrics}")
    print(f"saved to {out}")
    if run.status == "stopped":
        return EXIT_INTERRUPTED
    if run.status == "diverged":
        return _fail(outcome.get("message", "training diverged"), EXIT_PROJECT)
    return EXIT_OK


def _fit(job, control, progress, tty) -> dict | None:
    """Run ``fit`` to its end, or to Ctrl+C; the outcome ``snapshot.make_run`` takes, or None
    when no epoch finished.

    Ctrl+C asks the engine to stop between batches (a SIGINT handler calls
    ``control.stop()``); a second Ctrl+C, or one that arrives while this loop prints, raises
    ``KeyboardInterrupt`` and ends the loop at once.  Either way the run keeps the weights of
    the last *finished* epoch, so that its weights and its history agree.
    """
    from engine import training

    history = training.History()
    last_weights = best_weights = best_epoch = None
    outcome: dict = {}
    restore = _on_sigint(control)
    try:
        events = training.fit(job.network, job.x, job.y, control=control,
                              batch_events=tty, **job.fit_kwargs)
        for event in events:
            if isinstance(event, training.BatchEnd):
                progress.batch(event)
            elif isinstance(event, training.EpochEnd):
                history.add(event)
                last_weights = job.network.get_weights()
                if event.improved:
                    best_epoch, best_weights = event.epoch, last_weights
                _print_epoch(progress, event)
            elif isinstance(event, training.Finished):
                outcome = {"status": event.reason, "best_epoch": event.best_epoch,
                           "best_weights": event.best_weights,
                           "weights": job.network.get_weights()}
            elif isinstance(event, training.Diverged):
                outcome = {"status": "diverged", "message": event.message,
                           "weights": job.network.get_weights()}
            elif isinstance(event, training.Stopped):
                outcome = {"status": "stopped"}
    except KeyboardInterrupt:
        outcome = {"status": "stopped"}
    finally:
        restore()
    if outcome["status"] == "stopped":
        if tty:
            sys.stdout.write("\r\x1b[K")
        print(f"interrupted: keeping the {history.epochs} finished epoch(s)", flush=True)
        if not history.epochs:
            return None
        outcome["weights"] = last_weights
    outcome.setdefault("best_epoch", best_epoch)
    outcome.setdefault("best_weights", best_weights)
    outcome["history"] = history.to_dict()
    return outcome


def _print_epoch(progress, event) -> None:
    progress.epoch(event)


def _on_sigint(control):
    """First Ctrl+C: stop between batches; the next one: the default (KeyboardInterrupt)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum, frame):
        control.stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    signal.signal(signal.SIGINT, handler)
    return lambda: signal.signal(signal.SIGINT, previous)


# == evaluate =================================================================================
def held_out(run, project):
    """The data a run did not train on, as ``snapshot.prepare`` and ``fit`` split it.

    Returns
    -------
    (x, y, split, dataset)
        ``split`` is "test" (``test_split`` > 0), "validation" (``validation_split`` > 0: the
        samples ``fit`` held out, chosen by ``np.random.default_rng([seed, 1])`` as it does)
        or "all" (nothing was held out: every sample); ``y`` is in the loss's form.
    """
    from nnstudio.training import snapshot

    job = snapshot.prepare(run_project(run, project.embedded))
    if job.x_test is not None:
        return job.x_test, job.y_test, "test", job.dataset
    split = job.training.validation_split
    if split:
        n_val = int(round(len(job.x) * split))
        perm = np.random.default_rng([int(job.training.seed), 1]).permutation(len(job.x))
        return job.x[perm[:n_val]], job.y[perm[:n_val]], "validation", job.dataset
    return job.x, job.y, "all", job.dataset


def evaluate(run, x, y, dataset) -> dict:
    """Loss and metrics of ``run``'s weights on ``x`` and ``y`` (``y`` in the loss's form).

    Returns
    -------
    dict
        ``{"n_samples", "loss", "task", ...}`` plus, for classification, the report of
        ``engine.metrics.classification_report`` (accuracy, per class, macro, weighted,
        confusion matrix) and, for regression, ``engine.metrics.regression_report``.
    """
    from engine import losses, metrics

    net = run_network(run)
    loss = losses.get(copy.deepcopy(run.settings["training"]["loss"]))
    a = net.forward(x)
    if net.fused_with(loss):
        value = loss.value_logits(net.layers[net.output_id].z, y)
    else:
        value = loss.value(a, y)
    result = {"run": run.id, "n_samples": int(len(x)), "loss": float(value)}
    if loss.task == "classification":
        predicted = _classes(a)
        true = y if y.ndim == 1 else (y[:, 0] > 0.5 if y.shape[1] == 1 else y.argmax(1))
        report = metrics.classification_report(true.astype(np.int64), predicted,
                                               class_names=dataset.class_names)
        result.update(task="classification", **report)
    else:
        result.update(task="regression", **metrics.regression_report(y, a))
    return result


def cmd_evaluate(args) -> int:
    """``nnstudio evaluate PROJECT [--data CSV] [--run ID] [--json]``."""
    project = load_project(args.project)
    run = trained_run(project, args.project, args.run)
    if args.data:
        x, y, dataset = _labelled_csv(args.data, run, project)
        split = os.path.basename(args.data)
    else:
        x, y, split, dataset = held_out(run, project)
    result = {"split": split, **evaluate(run, x, y, dataset)}
    if args.json:
        print(json.dumps(result, indent=2))
        return EXIT_OK
    print(f"{run.name} ({run.id}) on {split} data: {result['n_samples']} samples")
    print(f"  loss      {_fmt(result['loss'])}")
    if result["task"] == "classification":
        print(f"  accuracy  {_fmt(result['accuracy'])}")
        for avg in ("macro", "weighted"):
            print(f"  {avg:<9} " + "  ".join(f"{k} {_fmt(v)}" for k, v in result[avg].items()))
        print(confusion_text(result["confusion_matrix"], result["per_class"]["class_names"]))
    else:
        for key in ("mae", "mse", "rmse", "r2"):
            print(f"  {key:<9} {_fmt(result[key])}")
    return EXIT_OK


def confusion_text(matrix, class_names) -> str:
    """A confusion matrix as a text table (rows: true class, columns: predicted)."""
    labels = [str(n) for n in class_names]
    width = max([len(l) for l in labels] + [len(str(v)) for row in matrix for v in row] + [4])
    lines = ["confusion matrix (rows: true class, columns: predicted)",
             " " * (width + 2) + " ".join(f"{l:>{width}}" for l in labels)]
    for label, row in zip(labels, matrix):
        lines.append(f"{label:>{width}}  " + " ".join(f"{v:>{width}}" for v in row))
    return "\n".join(lines)


# == predict ==================================================================================
def read_columns(path: str, names: list[str]) -> tuple[np.ndarray, dict]:
    """The columns ``names`` of a CSV file with a header row, as float32 (N, len(names)).

    Returns the array and a dict of the file's other columns (name -> list of text).
    Raises ``CliError`` (exit 6) naming a missing column or a cell that is not a number.
    """
    _require_file(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CliError(f"{path}: cannot read the CSV file ({exc})", EXIT_CSV) from None
    if not rows:
        raise CliError(f"{path}: the file is empty; it needs a header row naming the "
                       f"columns {', '.join(names)}", EXIT_CSV)
    header = [h.strip() for h in rows[0]]
    missing = [n for n in names if n not in header]
    if missing:
        raise CliError(f"{path}: missing column(s) {', '.join(repr(m) for m in missing)}; "
                       f"the model needs {', '.join(names)}", EXIT_CSV)
    body = [r for r in rows[1:] if any(cell.strip() for cell in r)]
    if not body:
        raise CliError(f"{path}: no data rows below the header", EXIT_CSV)
    index = [header.index(n) for n in names]
    x = np.empty((len(body), len(names)), dtype=np.float32)
    for i, row in enumerate(body):
        for j, k in enumerate(index):
            cell = row[k].strip() if k < len(row) else ""
            try:
                x[i, j] = float(cell)
            except ValueError:
                raise CliError(f"{path}: row {i + 2}, column {names[j]!r}: {cell!r} is not "
                               f"a number", EXIT_CSV) from None
            if not math.isfinite(x[i, j]):
                raise CliError(f"{path}: row {i + 2}, column {names[j]!r}: {cell!r} is not "
                               f"a finite number", EXIT_CSV)
    others = {h: [r[k] if k < len(r) else "" for r in body]
              for k, h in enumerate(header) if h not in names}
    return x, others


def _labelled_csv(path: str, run, project):
    """Features and targets (in the loss's form) of a CSV with the training data's columns."""
    from engine import losses
    from nnstudio.training import snapshot

    source = run_project(run, project.embedded)
    dataset = snapshot.load_data(source.data, source.embedded, training=source.training)
    targets = list(dataset.target_names)
    x, others = read_columns(path, list(dataset.feature_names))
    missing = [t for t in targets if t not in others]
    if missing:
        raise CliError(f"{path}: missing target column(s) "
                       f"{', '.join(repr(m) for m in missing)}", EXIT_CSV)
    if dataset.task == "classification":
        names = list(dataset.class_names)
        labels = []
        for i, cell in enumerate(others[targets[0]]):
            cell = cell.strip()
            if cell in names:
                labels.append(names.index(cell))
            elif cell.isdigit() and int(cell) < len(names):
                labels.append(int(cell))
            else:
                raise CliError(f"{path}: row {i + 2}, column {targets[0]!r}: unknown class "
                               f"{cell!r}; the classes are {', '.join(names)}", EXIT_CSV)
        y = np.array(labels, dtype=np.int64)
    else:
        try:
            y = np.array([[float(others[t][i]) for t in targets] for i in range(len(x))],
                         dtype=np.float32)
        except ValueError:
            raise CliError(f"{path}: a target value is not a number", EXIT_CSV) from None
    loss = losses.get(copy.deepcopy(run.settings["training"]["loss"]))
    n_out = run.settings["n_outputs"]
    y = snapshot._targets_for(loss, y, n_out, dataset.task,
                              np.dtype(run.settings["training"]["dtype"]))
    return x, y, dataset


def cmd_predict(args) -> int:
    """``nnstudio predict PROJECT INPUT.csv -o OUT.csv``.

    The output has one row per input row, in order: for classification ``class`` (the class
    name) and ``p(<class name>)`` per class; for regression one column per target.
    """
    from nnstudio.training import snapshot

    project = load_project(args.project)
    run = trained_run(project, args.project, args.run)
    source = run_project(run, project.embedded)
    dataset = snapshot.load_data(source.data, source.embedded, training=source.training)
    x, _ = read_columns(args.input, list(dataset.feature_names))
    a = run_network(run).predict(x)
    header, rows = prediction_columns(run, dataset, a)
    try:
        write_csv(args.output, header, rows)
    except OSError as exc:
        raise CliError(f"{args.output}: cannot write ({exc.strerror or exc})", EXIT_CSV) from None
    print(f"{len(rows)} prediction(s) of {run.name} ({run.id}) written to {args.output}")
    return EXIT_OK


# == export ===================================================================================
def cmd_export(args) -> int:
    """``nnstudio export PROJECT --onnx FILE | --torch FILE``."""
    if not (args.onnx or args.torch):
        raise CliError("export needs --onnx FILE and/or --torch FILE", EXIT_USAGE)
    project = load_project(args.project)
    run = trained_run(project, args.project, args.run)
    if args.onnx:
        try:
            export_onnx(run, args.onnx)
        except ImportError:
            raise CliError("--onnx needs the 'onnx' package: pip install onnx",
                           EXIT_DEPENDENCY) from None
        print(f"ONNX model of {run.name} ({run.id}) written to {args.onnx}")
    if args.torch:
        written = export_torch(run, args.torch, project.embedded)
        print(f"PyTorch script of {run.name} ({run.id}) written to "
              f"{', '.join(str(p) for p in written)}")
    return EXIT_OK


# == info =====================================================================================
def cmd_info(args) -> int:
    """``nnstudio info PROJECT``: network summary, data source and runs."""
    from nnstudio.training import snapshot

    project = load_project(args.project)
    print(f"project {args.project}")
    data = project.data
    config = ", ".join(f"{k}={v}" for k, v in data.config.items())
    print(f"data: {data.kind} ({config})")
    try:
        job = snapshot.prepare(project)
    except Exception as exc:  # noqa: BLE001 - info shows a project that cannot train too
        print(f"network: cannot be built: {' '.join(str(exc).split())}")
    else:
        ds = job.dataset
        what = (f"{ds.n_classes} classes ({', '.join(ds.class_names)})"
                if ds.task == "classification" else f"targets {', '.join(ds.target_names)}")
        print(f"      {ds.n_samples} samples, {ds.n_features} features "
              f"({', '.join(ds.feature_names)}), {ds.task}, {what}")
        print("network:")
        for row in job.network.summary():
            print(f"  {row['id']:<12} {row['type']:<12} {row['activation'] or '':<11}"
                  f"{row['units']:>6} units {row['params']:>8} parameters")
        print(f"  total {job.network.n_params} parameters")
    t = project.training
    print(f"training: loss {_name(t.loss)}, optimizer {_name(t.optimizer)}, {t.epochs} epochs,"
          f" batch {t.batch_size}, validation {t.validation_split}, test {t.test_split}, "
          f"seed {t.seed}")
    print(f"runs: {len(project.runs)}")
    for run in project.runs:
        epochs = len(run.history.get("lr", []))
        metrics = "  ".join(f"{k} {_fmt(v)}" for k, v in run.final_metrics.items())
        print(f"  {run.id:<8} {run.name:<12} {run.status:<15} {epochs:>5} epochs  {metrics}")
    return EXIT_OK


def _name(config) -> str:
    if isinstance(config, str):
        return config
    params = ", ".join(f"{k}={v}" for k, v in config.items() if k != "name")
    return f"{config['name']}({params})" if params else config["name"]
