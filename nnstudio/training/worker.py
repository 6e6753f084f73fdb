"""The training run itself: ``engine.training.fit`` and the views' measurements, in a
process of its own.  Qt-free: the training process never loads Qt.

Why a process and not a thread: the views draw with pyqtgraph, in Python, on the GUI thread,
and every millisecond of drawing holds the GIL that the training loop needs between two NumPy
calls.  In one process a window with every view open trained at 0.64-0.72x the headless
engine's speed (docs/performance.md); in a process of its own the run has a core and a GIL of
its own, and the window only draws.

What crosses between the processes (two one-way pipes):

* from the run to the window, at most every ``SEND_INTERVAL_S`` (at once for a stepped batch
  and at the end), one dict of what changed in the :class:`Mailbox` -- the latest batch, the
  finished epochs (none dropped), the latest measurement of each kind, the network's weights
  when it pauses, and at the end the outcome;
* from the window to the run, commands: ``("pause",)``, ``("resume",)``, ``("stop",)``,
  ``("step", n)``, ``("set_lr", lr)``, ``("features", (i, j))``, ``("view_interval", s)``.

On Linux the process is forked (it starts in milliseconds and shares the data copy-on-write);
elsewhere it is spawned, which needs the job to pickle (:class:`WorkerJob` holds only what
the run needs).  A run whose process dies is reported as an error by the window
(``nnstudio.training.controller``), which never loses the document.
"""

from __future__ import annotations

import collections
import copy
import dataclasses
import logging
import multiprocessing
import signal
import sys
import threading
import time
from typing import Any

import numpy as np

from engine import losses as loss_registry
from engine import metrics as metric_registry
from engine import optimizers as optimizer_registry
from engine import training
from nnstudio.training import probes

__all__ = ["WorkerJob", "Mailbox", "Worker", "Probes", "serve", "context", "START_METHOD",
           "SEND_INTERVAL_S", "DEAD_BATCH", "BOUNDARY_INTERVAL_S",
           "BOUNDARY_RESOLUTION", "BOUNDARY_MAX_MACS", "BOUNDARY_MIN_RESOLUTION",
           "boundary_resolution", "REGRESSION_INTERVAL_S", "HISTOGRAM_INTERVAL_S",
           "PROBE_MAX_SHARE"]

log = logging.getLogger(__name__)

# fork where the OS has a safe one (the child touches only NumPy, never Qt); spawn elsewhere
START_METHOD = "fork" if sys.platform.startswith("linux") else "spawn"
SEND_INTERVAL_S = 0.05  # the run sends what changed at most this often (20 times a second)
BOUNDARY_INTERVAL_S = 0.25  # at most this often the worker computes a decision boundary
BOUNDARY_RESOLUTION = 100  # grid points per axis ...
# ... fewer for a big network, so that one grid costs at most about this many multiply-adds
# (a 784-256-128-10 network gets 32 x 32: 100 x 100 took 30 ms a grid, a tenth of training)
BOUNDARY_MAX_MACS = 2.5e8
BOUNDARY_MIN_RESOLUTION = 32
DEAD_BATCH = 256  # samples of the fixed batch on which dead ReLU units are counted
REGRESSION_INTERVAL_S = 0.25  # the regression view's predictions: at most this often
HISTOGRAM_INTERVAL_S = 1.0  # the histograms change slowly; two plots redraw for each
PROBE_MAX_SHARE = 0.05  # ... and each at most this share of the training time

# the Mailbox fields that hold the latest value of their kind (sent when replaced)
LATEST = ("weights", "batch", "boundary", "regression", "histograms", "step", "evaluation")


def context():
    """The multiprocessing context training processes start in (``START_METHOD``)."""
    return multiprocessing.get_context(START_METHOD)


@dataclasses.dataclass
class WorkerJob:
    """What a run needs of a :class:`~nnstudio.training.snapshot.TrainingJob`: the network
    to train in place, the training samples ``x`` (N, n_features) and targets ``y``, and
    ``fit``'s keyword arguments."""

    network: Any
    x: np.ndarray
    y: np.ndarray
    fit_kwargs: dict
    n_features: int

    @classmethod
    def of(cls, job) -> "WorkerJob":
        return cls(job.network, job.x, job.y, job.fit_kwargs, job.n_features)


def _epoch_dict(event: training.EpochEnd) -> dict:
    """An ``EpochEnd`` as plain Python data for the window."""
    return {"epoch": event.epoch, "iterations": event.iterations, "train": event.train,
            "validation": event.validation, "lr": event.lr, "grad_norms": event.grad_norms,
            "confusion": event.confusion, "seconds": event.seconds,
            "samples_per_second": event.samples_per_second, "improved": event.improved}


class Mailbox:
    """What the run leaves for the window.  Only ``epochs`` is shared mutably (a deque:
    append and popleft are atomic); the other fields are replaced whole.

    The training process fills one; its sender thread ships the changes; the window's
    receiver thread copies them into the window's own, which a GUI timer empties."""

    def __init__(self):
        self.batch: training.BatchEnd | None = None  # the latest one
        self.epochs: collections.deque[dict] = collections.deque()
        self.paused_after_step = 0  # (window) the number of the step the run paused after
        self.step_paused = 0  # (run) the same, on the run's side (steps count from 1)
        self.weights: dict | None = None  # the network's, when the run paused
        self.boundary: dict | None = None  # the latest decision-boundary grid (overwritten)
        self.evaluation: dict | None = None  # validation predictions at the end of the run
        self.regression: dict | None = None  # the latest validation predictions (regression)
        self.histograms: dict | None = None  # the latest weight / activation histograms
        self.step: dict | None = None  # the latest stepped batch's activations and gradients
        self.outcome: dict | None = None
        self.wake = threading.Event()  # (run) send now, do not wait for the interval


def boundary_resolution(network) -> int:
    """Grid points per axis of the decision boundary of ``network``: ``BOUNDARY_RESOLUTION``,
    or fewer when ``resolution**2 * n_params`` (about the multiply-adds of one grid) would
    pass ``BOUNDARY_MAX_MACS``; never fewer than ``BOUNDARY_MIN_RESOLUTION``."""
    n_params = max(1, int(network.params.size))
    fit = int((BOUNDARY_MAX_MACS / n_params) ** 0.5)
    return max(BOUNDARY_MIN_RESOLUTION, min(BOUNDARY_RESOLUTION, fit))


class _Budget:
    """When a measurement may run again: at most every ``base`` seconds (raised to the
    window's view interval: see ``Probes.set_view_interval``) and never more than
    ``PROBE_MAX_SHARE`` of the worker's time, however big the network (the final state is
    measured regardless).  ``next`` is the time it is due: a clock read and a comparison
    decide, cheap enough for every batch."""

    def __init__(self, interval: float):
        self.minimum = self.base = interval
        self.next = float("-inf")

    def due(self) -> bool:
        return time.monotonic() >= self.next

    def spent(self, t0: float) -> None:
        now = time.monotonic()
        self.next = now + max(self.base, (now - t0) / PROBE_MAX_SHARE)


class Probes:
    """What the worker measures for the views besides the engine's events (DESIGN,
    convention 5: computed in the worker from the network, handed over as small arrays).

    ``features`` (two input indices or None) is replaced whole by the GUI thread."""

    def __init__(self, job, features=(0, 1)):
        kw = job.fit_kwargs
        x = job.x
        self.job = job
        self.seed = int(kw.get("seed") or 0)
        self.val_idx, self.train_idx = probes.validation_indices(
            len(x), kw.get("validation_split") or 0.0, self.seed)
        x_train = x[self.train_idx]
        self.hold = x_train.astype(np.float64).mean(axis=0)  # the training mean
        self.batch = x_train[probes.fixed_batch(len(x_train), DEAD_BATCH, self.seed)]
        loss = loss_registry.get(copy.deepcopy(kw.get("loss")))
        self.classification = loss.task == "classification"
        self.features = features if job.n_features >= 2 else None
        self.resolution = boundary_resolution(job.network)
        self.boundary_budget = _Budget(BOUNDARY_INTERVAL_S)
        if self.features is None:  # one input feature: never due
            self.boundary_budget.next = float("inf")
        self._ranges: dict = {}
        self.regression_budget = _Budget(REGRESSION_INTERVAL_S)
        self._validation: tuple | None = None  # split, rows, x and y of the regression view
        self.histogram_budget = _Budget(HISTOGRAM_INTERVAL_S)

    def set_view_interval(self, seconds: float) -> None:
        """The window draws the views every ``seconds``: the decision boundary and the
        regression predictions are not measured more often than that (the newest would
        replace the previous one unseen)."""
        for budget in (self.boundary_budget, self.regression_budget):
            budget.base = max(budget.minimum, float(seconds))

    def boundary(self, epoch: int, iteration: int, final: bool = False) -> dict | None:
        features = self.features
        if features is None:
            return None
        t0 = time.monotonic()
        if features not in self._ranges:  # the data does not change: once per run
            basis = (probes.principal_plane(self.job.x, self.hold, self.seed)
                     if probes.is_pca(features) else None)
            plane = (self.hold, basis) if basis is not None else None
            self._ranges[features] = (*probes.grid_axes(self.job.x, features, self.resolution,
                                                        plane=plane), basis)
        x_range, y_range, basis = self._ranges[features]
        grid = probes.boundary(self.job.network, self.job.x, features, self.resolution,
                               self.hold, x_range, y_range, basis)
        grid.update(epoch=epoch, iteration=iteration, final=final,
                    classification=self.classification)
        self.boundary_budget.spent(t0)
        return grid

    def dead_units(self) -> dict:
        return probes.dead_units(self.job.network, self.batch)

    def _split(self) -> tuple[str, np.ndarray]:
        """The validation split's name and rows of ``job.x`` (the training rows without
        one)."""
        if len(self.val_idx):
            return "validation", self.val_idx
        return "training", self.train_idx

    def regression(self, epoch: int, final: bool = False) -> dict | None:
        """The validation split's actual and predicted values (regression only)."""
        if self.classification:
            return None
        t0 = time.monotonic()
        if self._validation is None:  # taken once: the rows are the same all run long
            split, idx = self._split()
            self._validation = split, idx, self.job.x[idx], self.job.y[idx]
        split, idx, x, y = self._validation
        result = probes.regression(self.job.network, x, y, split)
        result.update(indices=idx, epoch=epoch, final=final)
        self.regression_budget.spent(t0)
        return result

    def histograms(self, epoch: int, final: bool = False) -> dict:
        """Per-layer histograms of the weights and of the activations on the fixed batch."""
        t0 = time.monotonic()
        result = probes.histograms(self.job.network, self.batch)
        result.update(epoch=epoch, final=final)
        self.histogram_budget.spent(t0)
        return result

    def step(self, event: training.BatchEnd, gradients=None) -> dict:
        """The batch just trained, as the network holds it (call before any other forward
        pass): its activations, and ``gradients`` (the flat gradient vector kept before the
        optimizer's step; default the network's), with the weights before its update."""
        kw = self.job.fit_kwargs
        result = probes.step_state(self.job.network, gradients)
        result.update(epoch=event.epoch, batch=event.batch, iteration=event.iteration,
                      batch_size=event.batch_size,
                      clipped=kw.get("clip_norm") is not None
                      or kw.get("clip_value") is not None)
        return result

    def evaluation(self) -> dict | None:
        if not self.classification:
            return None
        job = self.job
        split = "validation" if len(self.val_idx) else "training"
        idx = self.val_idx if len(self.val_idx) else self.train_idx
        result = probes.evaluation(job.network, job.x[idx], job.y[idx], split)
        result["indices"] = idx
        n_classes = max(2, result["probabilities"].shape[1])
        result["confusion"] = metric_registry.confusion_matrix(
            result["y_true"], result["y_pred"], n_classes)
        return result


class _PausingControl(training.Control):
    """The engine's ``Control``, calling ``before_wait`` when the loop is about to wait in a
    pause: the run then sends its weights, so that the window's copy of the network is the
    trained one whenever training holds."""

    before_wait = None

    def wait_while_paused(self) -> None:
        if self.before_wait is not None and self.paused and not self.stopped:
            self.before_wait()
        super().wait_while_paused()


class Worker:
    """Iterates ``fit`` on ``job`` and fills ``mailbox``: what the training process's main
    thread runs (and what a thread could run: nothing here knows of the pipes)."""

    def __init__(self, job: WorkerJob, control: training.Control, mailbox: Mailbox,
                 steps: int, features=(0, 1)):
        self.job, self.control, self.mailbox = job, control, mailbox
        self.features = features
        self.probes: Probes | None = None
        self.step_gradients = None  # the stepped batch's gradients, before its update
        self._steps_lock = threading.Lock()
        self._steps = steps  # batches left before pausing (0: no step pending)
        self._step_number = 1 if steps else 0  # which step that is (the window numbers them)
        self._weights_at = None  # the iteration whose weights were sent last
        self._step_pause = 0  # the step whose batch ended and whose pause is not said yet
        self._optimizer = None  # fit's optimizer (see _fit_kwargs)
        self.view_interval = 0.0

    def add_step(self, number: int = 0) -> None:
        """Run one more batch, then pause (the caller resumes the control); ``number`` is
        the window's number of this step, reported back when the run pauses after it."""
        with self._steps_lock:
            self._steps = 1
            self._step_number = int(number)
            self._keep_gradients(True)

    def cancel_step(self) -> None:
        """Forget a pending step: the person paused or resumed meanwhile, which wins."""
        with self._steps_lock:
            self._steps = 0
            self._step_pause = 0
            self._keep_gradients(False)

    def on_wait(self) -> None:
        """The loop is about to wait in a pause: leave the network's weights for the window
        (once per iteration), then, if a step brought the pause, say so (last: the window
        turns "paused" on it, with the step's results and weights already there)."""
        box = self.mailbox
        batch = box.batch
        iteration = batch.iteration if batch is not None else 0
        if iteration != self._weights_at:
            self._weights_at = iteration
            box.weights = self.job.network.get_weights()
        if self._step_pause:
            box.step_paused, self._step_pause = self._step_pause, 0
        box.wake.set()

    def run(self) -> None:
        job, control, box = self.job, self.control, self.mailbox
        history = training.History()  # the engine's own arrives with the final event
        best_epoch, best_weights = None, None
        try:
            events = training.fit(job.network, job.x, job.y, control=control,
                                  **self._fit_kwargs())
            self.probes = probe = self._make_probes()
            BatchEnd, EpochEnd = training.BatchEnd, training.EpochEnd
            clock = time.monotonic
            for event in events:
                kind = type(event)
                if kind is BatchEnd:
                    box.batch = event
                    if self._steps:
                        with self._steps_lock:
                            if self._steps > 0:
                                self._steps -= 1
                                if self._steps == 0:
                                    self._end_step(event, probe)
                    if probe is not None and clock() >= probe.boundary_budget.next:
                        self._probe_boundary(event.epoch, event.iteration)
                elif kind is EpochEnd:
                    if event.improved:
                        best_epoch, best_weights = event.epoch, job.network.get_weights()
                    history.add(event)
                    epoch = _epoch_dict(event)
                    if probe is not None:
                        epoch["dead_units"] = self._probe(probe.dead_units, {})
                        self._probe_epoch(event.epoch)
                    box.epochs.append(epoch)
                else:
                    history = event.history
                    outcome = self._outcome(event, best_epoch, best_weights)
                    break
            else:  # pragma: no cover - fit always ends with a final event
                outcome = {"status": "error",
                           "error": "the training loop ended without a result"}
        except Exception as exc:  # noqa: BLE001 - reported to the GUI, which stays up
            log.exception("training failed")
            message = str(exc) if isinstance(exc, ValueError) and str(exc) else (
                f"{type(exc).__name__}: {exc}")
            outcome = {"status": "error", "error": message, "best_epoch": best_epoch,
                       "best_weights": best_weights}
        try:
            outcome["weights"] = job.network.get_weights()
        except Exception:  # noqa: BLE001 - a broken network has no weights to keep
            outcome["weights"] = None
        if self.probes is not None and outcome["status"] != "error":
            # the final state, with the weights the run ends with
            last = box.batch
            self._probe_boundary(last.epoch if last else 0, last.iteration if last else 0,
                                 final=True)
            box.evaluation = self._probe(self.probes.evaluation, None)
            epochs = len(history.lr) if isinstance(history, training.History) else 0
            self._probe_epoch(max(0, epochs - 1), final=True)
        outcome["history"] = copy.deepcopy(history.to_dict())
        box.outcome = outcome
        box.wake.set()

    def _end_step(self, event: training.BatchEnd, probe: Probes | None) -> None:
        """The batch that ends a step: its activations and gradients, the weights it left,
        then pause (the engine checks the control before the next batch)."""
        box = self.mailbox
        if probe is not None:
            # first: the network still holds this batch's forward and backward passes
            box.step = self._probe(lambda: probe.step(event, self.step_gradients), None)
        self._keep_gradients(False)
        self._step_pause = self._step_number  # said when the loop waits (see on_wait): a
        self.control.pause()  # run whose last batch this was ends instead of pausing
        box.wake.set()

    def _fit_kwargs(self) -> dict:
        """The job's ``fit`` arguments, with an optimizer that keeps the gradients of a
        stepped batch before its step: optimizers add weight decay or a Nesterov term into
        the gradient buffer, so after the batch it no longer holds the backward pass."""
        kwargs = dict(self.job.fit_kwargs)
        self._optimizer = optimizer_registry.get(copy.deepcopy(kwargs["optimizer"]))
        self._keep_gradients(self._steps > 0)
        kwargs["optimizer"] = self._optimizer
        return kwargs

    def _keep_gradients(self, keep: bool) -> None:
        """While a step is pending, the optimizer's ``step`` copies the gradients before
        stepping (the engine looks ``step`` up per batch); otherwise it is the optimizer's
        own, which costs nothing extra per batch."""
        optimizer = self._optimizer
        if optimizer is None:
            return
        if not keep:
            optimizer.__dict__.pop("step", None)
            return
        step = type(optimizer).step.__get__(optimizer)

        def step_keeping_gradients(params, grads):
            if self._steps == 1:  # the batch that ends the step
                self.step_gradients = grads.copy()
            step(params, grads)

        optimizer.step = step_keeping_gradients

    def _make_probes(self) -> Probes | None:
        try:
            probe = Probes(self.job, self.features)
            probe.set_view_interval(self.view_interval)
            return probe
        except Exception:  # noqa: BLE001 - the views go without; training goes on
            log.exception("the views' measurements cannot be set up")
            return None

    def _probe(self, func, default):
        try:
            return func()
        except Exception:  # noqa: BLE001 - a failed measurement never stops training
            log.exception("a view measurement failed")
            return default

    def _probe_epoch(self, epoch: int, final: bool = False) -> None:
        """The regression predictions and the histograms, when due (always when final)."""
        probe, box = self.probes, self.mailbox
        if not probe.classification and (final or probe.regression_budget.due()):
            result = self._probe(lambda: probe.regression(epoch, final), None)
            if result is not None:
                box.regression = result
        if final or probe.histogram_budget.due():
            result = self._probe(lambda: probe.histograms(epoch, final), None)
            if result is not None:
                box.histograms = result

    def _probe_boundary(self, epoch: int, iteration: int, final: bool = False) -> None:
        probe = self.probes
        if self.features is not None and probe.features != self.features:
            probe.features = self.features  # the GUI picked other features
        grid = self._probe(lambda: probe.boundary(epoch, iteration, final), None)
        if grid is not None:
            self.mailbox.boundary = grid

    def set_features(self, features) -> None:
        """Draw the boundary over ``features`` (two input indices) from the next batch on."""
        self.features = features
        if self.probes is not None:
            self.probes.boundary_budget.next = float("-inf")

    def set_view_interval(self, seconds: float) -> None:
        """``Probes.set_view_interval``, kept for the probes of a run not started yet."""
        self.view_interval = float(seconds)
        if self.probes is not None:
            self.probes.set_view_interval(self.view_interval)

    @staticmethod
    def _outcome(event, best_epoch, best_weights) -> dict:
        if isinstance(event, training.Finished):
            return {"status": event.reason, "best_epoch": event.best_epoch,
                    "best_weights": event.best_weights, "restored_best": event.restored_best}
        outcome = {"status": "stopped" if isinstance(event, training.Stopped) else
                   "diverged", "best_epoch": best_epoch, "best_weights": best_weights,
                   "epoch": event.epoch, "iteration": event.iteration}
        if isinstance(event, training.Diverged):
            outcome.update(engine_message=event.message, layer=event.layer,
                           quantity=event.quantity)
        return outcome


# -- the training process -------------------------------------------------------------------
class _Sender:
    """Ships what changed in the run's mailbox to the window: every ``SEND_INTERVAL_S``, or
    at once when the run sets ``wake``; ends after sending the outcome."""

    def __init__(self, box: Mailbox, conn):
        self.box, self.conn = box, conn
        self.sent: dict = {}  # per LATEST field, the object sent last
        self.step_paused = 0

    def changes(self) -> dict:
        box = self.box
        # read first: the run sets these last, after everything they go with
        outcome, step_paused = box.outcome, box.step_paused
        message = {}
        for name in LATEST:
            value = getattr(box, name)
            if value is not None and value is not self.sent.get(name):
                self.sent[name] = message[name] = value
        if "evaluation" in message and "indices" in message["evaluation"]:
            # the window has the samples: the rows' indices are enough
            message["evaluation"] = {k: v for k, v in message["evaluation"].items()
                                     if k != "x"}
        epochs = []
        while box.epochs:
            epochs.append(box.epochs.popleft())
        if epochs:
            message["epochs"] = epochs
        if step_paused != self.step_paused:
            self.step_paused = message["paused_after_step"] = step_paused
        if outcome is not None:
            message["outcome"] = outcome
        return message

    def run(self) -> None:
        box = self.box
        while True:
            box.wake.wait(SEND_INTERVAL_S)
            box.wake.clear()
            message = self.changes()
            if message:
                try:
                    self.conn.send(message)  # pickles first: nothing is written if that fails
                except (OSError, ValueError):  # the window has gone: nobody to tell
                    return
                except Exception:  # noqa: BLE001 - something that cannot be pickled
                    log.exception("a training result cannot be sent to the window")
                    if not self._send_each(message):
                        return
            if "outcome" in message:
                return

    def _send_each(self, message: dict) -> bool:
        """Send the fields of ``message`` one by one, in its order, leaving out those that
        cannot be pickled (an unsendable outcome becomes an error outcome): the epochs, the
        step's pause and the end still arrive.  False when the window has gone."""
        for name, value in message.items():
            try:
                self.conn.send({name: value})
            except (OSError, ValueError):
                return False
            except Exception as exc:  # noqa: BLE001 - this field alone is lost
                if name == "outcome":
                    try:
                        self.conn.send({"outcome": {
                            "status": "error", "error": f"the run's result cannot be sent: {exc}"}})
                    except Exception:  # noqa: BLE001 - the window reports the ended process
                        return False
        return True


def _commands(conn, control: training.Control, worker: Worker) -> None:
    """Carries out the window's commands until the pipe closes (then stops the run: the
    window has gone)."""
    while True:
        try:
            command, *args = conn.recv()
        except (EOFError, OSError):
            control.stop()
            return
        except Exception:  # noqa: BLE001 - one unreadable command: the next may be fine
            log.exception("a command from the window cannot be read")
            continue
        try:
            _carry_out(command, args, control, worker)
        except Exception:  # noqa: BLE001 - a bad command never costs the run its commands
            log.exception("the window's command %r failed", command)


def _carry_out(command: str, args: list, control: training.Control, worker: Worker) -> None:
    if command == "stop":
        control.stop()
    elif command == "pause":
        worker.cancel_step()  # a pause wins over a step not yet taken
        control.pause()
    elif command == "resume":
        worker.cancel_step()
        control.resume()
    elif command == "step":
        worker.add_step(*args)
        control.resume()
    elif command == "set_lr":
        control.set_lr(args[0])
    elif command == "features":
        worker.set_features(args[0])
    elif command == "view_interval":
        worker.set_view_interval(args[0])
    else:
        log.warning("unknown command from the window: %r", command)


def serve(job: WorkerJob, results, commands, steps: int = 0, features=(0, 1),
          inherited=()) -> None:
    """The training process's entry point: train ``job`` (a :class:`WorkerJob`), send what
    changes through the connection ``results`` and carry out the commands that arrive on
    ``commands`` (see the module docstring).  ``steps=n`` pauses after n batches;
    ``inherited`` are the window's ends of the pipes, closed here first so that each side
    sees the other's end close (a forked child holds copies)."""
    for conn in inherited:
        conn.close()
    try:  # Ctrl+C in a terminal is the window's to handle: it stops the run
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except (ValueError, OSError):  # pragma: no cover - not the main thread
        pass
    box = Mailbox()
    control = _PausingControl()
    worker = Worker(job, control, box, int(steps), features)
    control.before_wait = worker.on_wait
    sender = _Sender(box, results)
    sending = threading.Thread(target=sender.run, name="trainingSender", daemon=True)
    sending.start()
    threading.Thread(target=_commands, args=(commands, control, worker),
                     name="trainingCommands", daemon=True).start()
    worker.run()
    sending.join()
    results.close()
