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
3     a file (or the folder to write a file into) does not exist, or the run needs its
      training data file and it is not there
4     the project file cannot be read (``ProjectFileError``), or a file cannot be written
      (the project, predictions, an export)
5     the project has no trained run (train it first: ``nnstudio train PROJECT``)
6     an input CSV cannot be used (a column the model needs is missing, a value is not a
      number, an unknown class)
7     an optional package the command needs is not installed (``onnx`` for ``--onnx``)
130   interrupted with Ctrl+C; in training the finished epochs are saved as a "stopped"
      run
141   the output was cut off (``nnstudio evaluate --json | head``): the rest is dropped
      quietly, as when a shell pipe closes early (128 + SIGPIPE)
====  ==========================================================================
"""

from __future__ import annotations

import argparse
import contextlib
import copy
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
    InputCSVError, classes as _classes, encode_csv, export_onnx, export_torch, labels_of,
    plain_preprocessor, prediction_columns, probabilities as _probabilities, read_raw_csv,
    run_network, run_outputs, run_preprocessor, run_project, write_csv)

COMMANDS = ("train", "evaluate", "predict", "export", "info")

EXIT_OK, EXIT_PROJECT, EXIT_USAGE, EXIT_MISSING = 0, 1, 2, 3
EXIT_FILE, EXIT_NO_RUN, EXIT_CSV, EXIT_DEPENDENCY, EXIT_INTERRUPTED = 4, 5, 6, 7, 130
EXIT_BROKEN_PIPE = 141


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
        code = args.handler(args)
        sys.stdout.flush()  # a reader gone away shows here, not in Python's flush at exit
        return code
    except CliError as exc:
        return _fail(str(exc), exc.code)
    except KeyboardInterrupt:  # Ctrl+C outside the training loop (which saves what it has)
        return _fail("interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except Exception as exc:  # noqa: BLE001 - the engine's typed errors carry good messages
        from engine.data.csv_import import CSVFileNotFoundError
        from nnstudio.document.errors import ProjectFileError

        if isinstance(exc, ProjectFileError):
            return _fail(str(exc), EXIT_FILE)
        if isinstance(exc, CSVFileNotFoundError):  # a person's CSV is checked before
            return _fail(f"{exc} (the project's data file)", EXIT_MISSING)
        if isinstance(exc, ValueError) and str(exc):
            return _fail(str(exc), EXIT_PROJECT)
        return _fail(f"unexpected {type(exc).__name__}: {exc}", EXIT_PROJECT)


def _fail(message: str, code: int) -> int:
    print(f"nnstudio: {' '.join(str(message).split())}", file=sys.stderr)
    return code


def _note(message: str) -> None:
    """One line on stderr that is not an error (stdout may be JSON for a machine)."""
    print(f"nnstudio: {' '.join(str(message).split())}", file=sys.stderr)


def _quiet_stdout() -> None:
    """The reader of stdout went away: point stdout at devnull, so that Python's flush at
    exit does not fail a second time (the recipe of Python's ``signal`` documentation)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (captured, replaced)
        pass


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
    p.add_argument("--onnx", metavar="FILE",
                   help="write an ONNX model (opset 17) that takes the raw columns and applies "
                        "the run's preprocessing")
    p.add_argument("--network-only", action="store_true",
                   help="with --onnx: leave the preprocessing out; the model takes the "
                        "encoded network inputs")
    p.add_argument("--torch", metavar="FILE",
                   help="write a standalone PyTorch script (weights and data beside it)")
    p.add_argument("--run", help="the run id (default: the last run with weights)")
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser("info", help="network summary, data source and runs")
    p.add_argument("project")
    p.set_defaults(handler=cmd_info)
    return parser


def _whole(text: str, low: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < low:
        raise argparse.ArgumentTypeError(f"must be a whole number >= {low}, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    return _whole(text, 1)


def _natural_int(text: str) -> int:
    return _whole(text, 0)


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


def _folder(project_path: str) -> str:
    """The project file's folder: a csv source's relative ``path`` starts there."""
    return os.path.dirname(os.path.abspath(project_path))


def _require_file(path: str) -> None:
    if not os.path.exists(path):
        raise CliError(f"{path}: no such file", EXIT_MISSING)
    if os.path.isdir(path):
        raise CliError(f"{path}: is a folder, not a file", EXIT_MISSING)


def _require_writable(path: str) -> None:
    """Fail before any work when ``path`` cannot be written: its folder is missing (exit 3),
    or it is a folder or in a folder that cannot be written to (exit 4)."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CliError(f"{path}: cannot write it: the folder {os.path.dirname(path)} does not "
                       f"exist", EXIT_MISSING)
    if os.path.isdir(path):
        raise CliError(f"{path}: cannot write it: it is a folder", EXIT_FILE)
    if not os.access(folder, os.W_OK):
        raise CliError(f"{path}: cannot write it: the folder {os.path.dirname(path) or '.'} "
                       f"is not writable", EXIT_FILE)


@contextlib.contextmanager
def _writing(path: str):
    """An ``OSError`` while writing ``path`` becomes one line and exit 4."""
    try:
        yield
    except OSError as exc:
        raise CliError(f"{path}: cannot write it ({exc.strerror or exc})", EXIT_FILE) from None


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
    out = args.out or args.project
    _require_writable(out)  # before training, not after: a run that cannot be saved is lost
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
        return EXIT_INTERRUPTED
    with _sigint_deferred() as interrupted:  # the test metrics, then the save
        run = snapshot.make_run(job, outcome, project.new_run_id())
        project.add_run(run)
        relink(project, _folder(args.project), _folder(out))
        try:
            project_file.save(project, out)
        except ProjectFileError as exc:
            raise CliError(str(exc), EXIT_FILE) from None
        except OSError as exc:
            raise CliError(f"{out}: cannot write it ({exc.strerror or exc})", EXIT_FILE) from None
    n = len(outcome["history"]["lr"])
    metrics = "  ".join(f"{k} {_fmt(v)}" for k, v in run.final_metrics.items())
    if run.status == "diverged":  # in the epoch after the last finished one
        print(f"{run.name} ({run.id}): diverged during epoch {n + 1}"
              + (f"; the epoch before: {metrics}" if metrics else ""))
    else:
        print(f"{run.name} ({run.id}): {run.status} after {n} epoch(s)"
              + (f"; {metrics}" if metrics else ""))
    print(f"saved to {out}")
    if interrupted:
        return _fail("interrupted while saving; the run was saved first", EXIT_INTERRUPTED)
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
        if not history.epochs:
            print("interrupted before the first epoch finished: nothing to save", flush=True)
            return None
        print(f"interrupted: keeping the {history.epochs} finished epoch(s)", flush=True)
        outcome["weights"] = last_weights
    outcome.setdefault("best_epoch", best_epoch)
    outcome.setdefault("best_weights", best_weights)
    outcome["history"] = history.to_dict()
    return outcome


def relink(project, old_dir: str, new_dir: str) -> None:
    """A csv source linked by a relative path names its file from the project file's
    folder: a copy written into another folder (``train --out``) gets the path from there,
    in the project's data and in every run (a run rebuilds its data from its own copy)."""
    if os.path.normcase(os.path.abspath(old_dir)) == os.path.normcase(os.path.abspath(new_dir)):
        return

    def moved(kind: str, config: dict) -> dict | None:
        path = config.get("path")
        if kind != "csv" or config.get("file") is not None or not isinstance(path, str) \
                or not path or os.path.isabs(path):
            return None
        target = os.path.normpath(os.path.join(old_dir, path))
        try:
            return {**config, "path": os.path.relpath(target, new_dir)}
        except ValueError:  # another drive (Windows): no relative path leads there
            return {**config, "path": target}

    config = moved(project.data.kind, project.data.config)
    if config is not None:
        project.data = dataclasses.replace(project.data, config=config)
    for run in project.runs:
        data = run.settings.get("data") or {}
        config = moved(data.get("kind"), data.get("config") or {})
        if config is not None:
            run.settings["data"] = {**data, "config": config}


@contextlib.contextmanager
def _sigint_deferred():
    """Ctrl+C while the run is made and written waits until it is written (the caller then ends
    with exit 130): a run lost to a stray Ctrl+C in the last second is worse than a late
    stop.  Yields a list that is not empty once Ctrl+C came."""
    hit: list = []
    if threading.current_thread() is not threading.main_thread():
        yield hit
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: hit.append(signum))
    try:
        yield hit
    finally:
        signal.signal(signal.SIGINT, previous)


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
def held_out(run, project, base_dir: str | None = None):
    """The data a run did not train on, as ``snapshot.prepare`` and ``fit`` split it.

    Returns
    -------
    (x, y, split, dataset)
        ``split`` is "test" (``test_split`` > 0), "validation" (``validation_split`` > 0: the
        samples ``fit`` held out, chosen by ``np.random.default_rng([seed, 1])`` as it does)
        or "all" (nothing was held out: every sample); ``y`` is in the loss's form.
    """
    from nnstudio.training import snapshot

    job = snapshot.prepare(run_project(run, project.embedded), base_dir=base_dir)
    if job.x_test is not None:
        return job.x_test, job.y_test, "test", job.dataset
    split = job.training.validation_split
    if split:
        n_val = int(round(len(job.x) * split))
        perm = np.random.default_rng([int(job.training.seed), 1]).permutation(len(job.x))
        return job.x[perm[:n_val]], job.y[perm[:n_val]], "validation", job.dataset
    return job.x, job.y, "all", job.dataset


def evaluate(run, x, y, dataset) -> dict:
    """Loss and metrics of ``run``'s weights on ``x`` and ``y`` (``y`` in the loss's form);
    ``dataset`` names the classes (a ``Dataset``, or the run's ``runs.Outputs``).

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
    skipped = None
    if args.data:
        x, y, dataset, skipped = labelled_csv(args.data, run, project, _folder(args.project))
        split = os.path.basename(args.data)
    else:
        x, y, split, dataset = held_out(run, project, _folder(args.project))
    result = {"split": split, **evaluate(run, x, y, dataset)}
    if skipped is not None:
        result["skipped"] = skipped
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
def run_inputs(run, project, base_dir: str | None):
    """The preprocessing that turns a raw CSV into ``run``'s network inputs: the stored one,
    or (synthetic data, a run of format 2) one that reads the input columns as numbers."""
    pre = run_preprocessor(run)
    if pre is not None:
        return pre
    from nnstudio.training import snapshot

    source = run_project(run, project.embedded)
    dataset = _training_data(lambda: snapshot.load_data(
        source.data, source.embedded, training=source.training, base_dir=base_dir))
    return plain_preprocessor(dataset.feature_names)


def outputs_of(run, project, base_dir: str | None):
    """``runs.Outputs`` of ``run``: what its outputs mean (task, target and class names)."""
    return _training_data(lambda: run_outputs(run, project.embedded, base_dir))


def _training_data(load):
    """``load()``, where a missing training data file says why it is needed (exit 3)."""
    from engine.data.csv_import import CSVFileNotFoundError

    try:
        return load()
    except CSVFileNotFoundError as exc:
        raise CliError(f"{exc}; this run was saved without the names of its classes and "
                       f"inputs, so its training data file is needed (put it back, or train "
                       f"the project again)", EXIT_MISSING) from None


def read_rows(path: str, pre, targets=(), target_kind: str = "categorical"):
    """``runs.read_raw_csv`` of a person's CSV; ``CliError`` (exit 3 or 6) when it cannot."""
    _require_file(path)
    try:
        rows = read_raw_csv(pre, path, targets, target_kind)
    except InputCSVError as exc:
        raise CliError(str(exc), EXIT_CSV) from None
    if rows.unseen:
        cells = ", ".join(f"{k} {n}" for k, n in rows.unseen.items())
        _note(f"{path}: cells with a category the training rows never had (their inputs are "
              f"all zeros): {cells}")
    return rows


def _line_list(lines) -> str:
    return ", ".join(str(int(i)) for i in lines[:10]) + (", ..." if len(lines) > 10 else "")


def labelled_csv(path: str, run, project, base_dir: str | None = None):
    """Inputs and true targets (in the loss's form) of a CSV with the training data's
    columns, read from one table so that they stay row for row together.

    Rows without a target value are skipped, as training skips them, and so are rows the
    stored preprocessing cannot encode (a missing value where training dropped such rows);
    one line on stderr says how many.  Returns ``(x, y, outputs, skipped)``, ``skipped``
    being ``{"no_target": n, "missing_value": m}``.
    """
    from engine import losses
    from nnstudio.training import snapshot

    outputs = outputs_of(run, project, base_dir)
    pre = run_inputs(run, project, base_dir)
    classification = outputs.task == "classification"
    targets = list(outputs.target_names)
    rows = read_rows(path, pre, targets, "categorical" if classification else "numeric")
    try:
        if classification:
            labels = labels_of(rows, targets[0], "classification", outputs.class_names)
            has = labels >= 0
        else:
            labels = np.concatenate([labels_of(rows, t, "regression") for t in targets], 1)
            has = ~np.isnan(labels).any(axis=1)
    except InputCSVError as exc:
        raise CliError(str(exc), EXIT_CSV) from None
    skipped = {"no_target": int(np.count_nonzero(~has)),
               "missing_value": int(np.count_nonzero(has & ~rows.keep))}
    reasons = []
    if skipped["no_target"]:
        reasons.append(f"{skipped['no_target']} without a target value (rows "
                       f"{_line_list(rows.lines[~has])})")
    if skipped["missing_value"]:
        reasons.append(f"{skipped['missing_value']} with a missing value the model cannot "
                       f"fill in (rows {_line_list(rows.lines[has & ~rows.keep])})")
    if not np.any(has & rows.keep):
        raise CliError(f"{path}: no row could be evaluated"
                       + (f": {'; '.join(reasons)}" if reasons else ""), EXIT_CSV)
    if reasons:
        _note(f"{path}: skipped {'; '.join(reasons)}")
    x = rows.x[has[rows.keep]]
    y = labels[has & rows.keep]
    loss = losses.get(copy.deepcopy(run.settings["training"]["loss"]))
    y = snapshot._targets_for(loss, y, run.settings["n_outputs"], outputs.task,
                              np.dtype(run.settings["training"]["dtype"]))
    return x, y, outputs, skipped


def cmd_predict(args) -> int:
    """``nnstudio predict PROJECT INPUT.csv -o OUT.csv``.

    INPUT.csv holds raw rows as the training data had them (a header naming the columns;
    the stored preprocessing encodes them).  The output has one row per input row, in
    order: for classification ``class`` (the class name) and ``p(<class name>)`` per class;
    for regression one column per target.  A row with a missing value where training
    dropped such rows (``missing: drop``) cannot be predicted: its cells are left empty.
    A run that stores its class and target names (every run since they are stored)
    predicts without its training data file.
    """
    project = load_project(args.project)
    run = trained_run(project, args.project, args.run)
    _require_writable(args.output)
    base_dir = _folder(args.project)
    outputs = outputs_of(run, project, base_dir)
    rows = read_rows(args.input, run_inputs(run, project, base_dir))
    x, keep = rows.x, rows.keep
    a = run_network(run).predict(x) if len(x) else np.zeros((0, run.settings["n_outputs"]))
    header, predicted = prediction_columns(run, outputs, a)
    found = iter(predicted)
    table = [next(found) if kept else [""] * len(header) for kept in keep]
    with _writing(args.output):
        write_csv(args.output, header, table)
    print(f"{len(table)} prediction(s) of {run.name} ({run.id}) written to {args.output}")
    skipped = rows.lines[~keep]
    if skipped.size:
        print(f"{skipped.size} row(s) left empty (rows {_line_list(skipped)}): a value is "
              f"missing in a column whose missing values the model cannot fill in")
    return EXIT_OK


# == export ===================================================================================
def cmd_export(args) -> int:
    """``nnstudio export PROJECT --onnx FILE [--network-only] | --torch FILE``."""
    if not (args.onnx or args.torch):
        raise CliError("export needs --onnx FILE and/or --torch FILE", EXIT_USAGE)
    if args.network_only and not args.onnx:
        raise CliError("--network-only applies to --onnx only; add --onnx FILE or leave "
                       "--network-only out", EXIT_USAGE)
    project = load_project(args.project)
    run = trained_run(project, args.project, args.run)
    for path in (args.onnx, args.torch):
        if path:
            _require_writable(path)
    if args.onnx:
        try:
            with _writing(args.onnx):
                export_onnx(run, args.onnx, preprocessing=not args.network_only)
        except ImportError:
            raise CliError("--onnx needs the 'onnx' package: pip install onnx",
                           EXIT_DEPENDENCY) from None
        print(f"ONNX model of {run.name} ({run.id}) written to {args.onnx}")
    if args.torch:
        with _writing(args.torch):
            written = export_torch(run, args.torch, project.embedded, _folder(args.project))
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
        job = snapshot.prepare(project, base_dir=_folder(args.project))
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
