"""Runs ``engine.training.fit`` in a worker thread and forwards its events to the GUI.

The worker thread works on a :class:`~nnstudio.training.snapshot.TrainingJob` (a snapshot of
the document), touches only the engine, and never emits a Qt signal: it leaves what it has
seen in a :class:`_Mailbox` -- the latest batch (overwritten, so 30,000 batches a second
cost one attribute store each), the finished epochs (queued, none dropped) and at the end
the outcome.  A timer in the GUI thread empties the mailbox and emits the controller's
signals, so the event loop sees at most ``1000 / batch_interval_ms`` deliveries a second
however fast the engine runs (the model is superqt's ``qthrottled``).  When the thread
ends, everything still in the mailbox is delivered before ``finished``: the last batch and
the last epoch always arrive.

Stop and pause go through ``engine.training.Control`` and are honoured between batches.
"""

from __future__ import annotations

import atexit
import collections
import copy
import logging
import threading
import time

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

import numpy as np

from engine import losses as loss_registry
from engine import metrics as metric_registry
from engine import optimizers as optimizer_registry
from engine import training
from nnstudio.training import probes
from nnstudio.training.snapshot import TrainingJob

__all__ = ["TrainingController", "STATES", "STATUSES"]

log = logging.getLogger(__name__)

STATES = ("idle", "running", "paused", "stopping")
STATUSES = ("completed", "early_stopping", "stopped", "diverged", "error")

# Threads that have not been joined yet.  Holding them here means a QThread is never
# destroyed while it runs (that aborts the process), even when its controller is collected
# without a shutdown; at exit they are stopped and joined.
_LIVE_THREADS: set["_TrainingThread"] = set()


@atexit.register
def _join_live_threads() -> None:  # pragma: no cover - runs at interpreter exit
    for thread in list(_LIVE_THREADS):
        thread.control.stop()
        thread.wait()
    _LIVE_THREADS.clear()


def _epoch_dict(event: training.EpochEnd) -> dict:
    """An ``EpochEnd`` as plain Python data for the GUI thread."""
    return {"epoch": event.epoch, "iterations": event.iterations, "train": event.train,
            "validation": event.validation, "lr": event.lr, "grad_norms": event.grad_norms,
            "confusion": event.confusion, "seconds": event.seconds,
            "samples_per_second": event.samples_per_second, "improved": event.improved}


class _Mailbox:
    """What the worker leaves for the GUI thread.  Only ``epochs`` is shared mutably (a
    deque: append and popleft are atomic); the other fields are replaced whole."""

    def __init__(self):
        self.batch: training.BatchEnd | None = None  # the latest one
        self.epochs: collections.deque[dict] = collections.deque()
        self.paused_after_step = False
        self.boundary: dict | None = None  # the latest decision-boundary grid (overwritten)
        self.evaluation: dict | None = None  # validation predictions at the end of the run
        self.regression: dict | None = None  # the latest validation predictions (regression)
        self.histograms: dict | None = None  # the latest weight / activation histograms
        self.step: dict | None = None  # the latest stepped batch's activations and gradients
        self.outcome: dict | None = None


# While training, the GUI thread spends at most this share of its time on the views'
# updates (see TrainingController._pace); the interval between updates stretches up to
# MAX_VIEW_INTERVAL_S when the views are slow to draw.
GUI_SHARE = 0.08
MAX_VIEW_INTERVAL_S = 2.0
BOUNDARY_INTERVAL_S = 0.25  # at most this often the worker computes a decision boundary
BOUNDARY_MAX_SHARE = 0.05  # ... and it takes at most this share of the training time
BOUNDARY_RESOLUTION = 100  # grid points per axis
DEAD_BATCH = 256  # samples of the fixed batch on which dead ReLU units are counted
REGRESSION_INTERVAL_S = 0.25  # the regression view's predictions: at most this often
HISTOGRAM_INTERVAL_S = 1.0  # the histograms change slowly; two plots redraw for each
PROBE_MAX_SHARE = 0.05  # ... and each at most this share of the training time


class _Budget:
    """When a measurement may run again: at most every ``interval`` seconds and never more
    than ``PROBE_MAX_SHARE`` of the worker's time, however big the network (the final state
    is measured regardless)."""

    def __init__(self, interval: float):
        self.base = self.interval = interval
        self.last = float("-inf")

    def due(self) -> bool:
        return time.monotonic() - self.last >= self.interval

    def spent(self, t0: float) -> None:
        self.last = now = time.monotonic()
        self.interval = max(self.base, (now - t0) / PROBE_MAX_SHARE)


class _Probes:
    """What the worker measures for the views besides the engine's events (DESIGN,
    convention 5: computed in the worker from the network, handed over as small arrays).

    ``features`` (two input indices or None) is replaced whole by the GUI thread."""

    def __init__(self, job: TrainingJob, features=(0, 1)):
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
        self.resolution = BOUNDARY_RESOLUTION
        self.interval = BOUNDARY_INTERVAL_S
        self.last = float("-inf")
        self._ranges: dict = {}
        self.regression_budget = _Budget(REGRESSION_INTERVAL_S)
        self._validation: tuple | None = None  # split, rows, x and y of the regression view
        self.histogram_budget = _Budget(HISTOGRAM_INTERVAL_S)

    def boundary_due(self) -> bool:
        return self.features is not None and time.monotonic() - self.last >= self.interval

    def boundary(self, epoch: int, iteration: int, final: bool = False) -> dict | None:
        features = self.features
        if features is None:
            return None
        t0 = time.monotonic()
        if features not in self._ranges:
            self._ranges[features] = probes.grid_axes(self.job.x, features, self.resolution)
        x_range, y_range = self._ranges[features]
        grid = probes.boundary(self.job.network, self.job.x, features, self.resolution,
                               self.hold, x_range, y_range)
        grid.update(epoch=epoch, iteration=iteration, final=final,
                    classification=self.classification)
        now = time.monotonic()
        self.last = now
        # never more than BOUNDARY_MAX_SHARE of the worker's time, however big the network
        self.interval = max(BOUNDARY_INTERVAL_S, (now - t0) / BOUNDARY_MAX_SHARE)
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


class _TrainingThread(QThread):
    """The worker: iterates ``fit`` and fills the mailbox.  Emits no signals of its own
    (only QThread's ``finished``, from C++)."""

    def __init__(self, job: TrainingJob, control: training.Control, mailbox: _Mailbox,
                 steps: int, features=(0, 1)):
        super().__init__()
        self.setObjectName("trainingThread")
        self.job, self.control, self.mailbox = job, control, mailbox
        self.features = features
        self.probes: _Probes | None = None
        self.step_gradients = None  # the stepped batch's gradients, before its update
        self._steps_lock = threading.Lock()
        self._steps = steps  # batches left before pausing (0: no step pending)

    def add_step(self) -> None:
        """Run one more batch, then pause (the caller resumes the control)."""
        with self._steps_lock:
            self._steps = 1
            self.mailbox.paused_after_step = False

    def run(self) -> None:
        job, control, box = self.job, self.control, self.mailbox
        history = training.History()  # the engine's own arrives with the final event
        best_epoch, best_weights = None, None
        try:
            events = training.fit(job.network, job.x, job.y, control=control,
                                  **self._fit_kwargs())
            self.probes = probe = self._make_probes()
            BatchEnd, EpochEnd = training.BatchEnd, training.EpochEnd
            for event in events:
                kind = type(event)
                if kind is BatchEnd:
                    box.batch = event
                    if self._steps:
                        with self._steps_lock:
                            if self._steps > 0:
                                self._steps -= 1
                                if self._steps == 0:
                                    if probe is not None:
                                        # first: the network still holds this batch's
                                        # forward and backward passes
                                        box.step = self._probe(
                                            lambda: probe.step(event, self.step_gradients),
                                            None)
                                    # the engine checks the control before the next batch
                                    control.pause()
                                    box.paused_after_step = True
                    if probe is not None and probe.boundary_due():
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

    def _fit_kwargs(self) -> dict:
        """The job's ``fit`` arguments, with an optimizer that keeps the gradients of a
        stepped batch before its step: optimizers add weight decay or a Nesterov term into
        the gradient buffer, so after the batch it no longer holds the backward pass."""
        kwargs = dict(self.job.fit_kwargs)
        optimizer = optimizer_registry.get(copy.deepcopy(kwargs["optimizer"]))
        step = optimizer.step

        def step_keeping_gradients(params, grads):
            if self._steps == 1:  # the batch that ends a step: one attribute test per batch
                self.step_gradients = grads.copy()
            step(params, grads)

        optimizer.step = step_keeping_gradients
        kwargs["optimizer"] = optimizer
        return kwargs

    def _make_probes(self) -> _Probes | None:
        try:
            return _Probes(self.job, self.features)
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
            self.probes.last = float("-inf")

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


class TrainingController(QObject):
    """Starts, pauses, steps and stops one training run at a time.

    Signals
    -------
    stateChanged(str)
        "idle", "running", "paused" or "stopping".
    batchEnded(int epoch, int batch, int iteration, int iterations_per_epoch)
        The latest batch (0-based epoch and batch, iteration from 1); at most one per
        ``batch_interval_ms``, the last batch of a run always delivered.
    epochsEnded(object: list)
        The epochs finished since the previous delivery, oldest first (dicts with epoch,
        iterations, train, validation, lr, grad_norms, confusion, seconds,
        samples_per_second, improved); at most one delivery per view interval (at least
        ``epoch_interval_ms``, longer when the views are slow to draw: see ``_pace``;
        epochs, boundary and probe results go out together), never an epoch dropped, all
        delivered before ``finished``.
    epochEnded(object: dict)
        The newest epoch of each ``epochsEnded`` delivery (for views that show only the
        latest: confusion matrix, gradient flow).
    finished(object)
        A dict: status (completed | early_stopping | stopped | diverged | error), message,
        history (``History.to_dict()`` of the finished epochs), best_epoch, best_weights,
        weights (read after the loop), n_epochs.
    failed(str)
        The worker raised; emitted before ``finished`` (status "error").
    boundaryUpdated(object: dict)
        A decision-boundary grid computed in the worker with the current weights (see
        :func:`nnstudio.training.probes.boundary`; plus epoch, iteration, final,
        classification): at most every ``BOUNDARY_INTERVAL_S`` while training, and always
        once with ``final`` True, with the final weights, before ``finished``.  Not sent
        for networks with fewer than two input features.
    regressionUpdated(object: dict)
        Regression only: the validation split (the training data without one) as predicted
        by the current weights -- split, indices (rows of ``job.x``), y_true, y_pred
        (float64 (N, n_outputs)), epoch, final; at most every ``REGRESSION_INTERVAL_S`` at an
        epoch's end, and always once with ``final`` True, with the final weights, before
        ``finished``.
    histogramsUpdated(object: dict)
        Per-layer histograms of the weights and of the activations on the fixed batch (see
        :func:`nnstudio.training.probes.histograms`; plus epoch, final): at an epoch's
        end, at most every ``HISTOGRAM_INTERVAL_S``; the final one always.
    stepped(object: dict)
        After each ``step()``: the stepped batch's forward activations and backward gradients
        per layer, with the weights before its update (see
        :func:`nnstudio.training.probes.step_state`; plus epoch, batch, iteration,
        batch_size, clipped); delivered before the state turns "paused".
    evaluationReady(object: dict)
        Classification only, before ``finished``: the validation split (the training data
        without one) as predicted by the final weights -- split, indices (rows of
        ``job.x``), x, y_true, y_pred, probabilities, confusion.

    Each epoch dict also holds ``dead_units``: ``{layer id: (dead, units)}`` for the ReLU
    layers, counted on a fixed batch of up to ``DEAD_BATCH`` training samples.
    """

    stateChanged = Signal(str)
    batchEnded = Signal(int, int, int, int)
    # ``object``, not ``list`` / ``dict``: those go through QVariant, which copies the data
    # and sorts dict keys (the train dict's order -- loss first, then the metrics -- matters)
    epochsEnded = Signal(object)
    epochEnded = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    boundaryUpdated = Signal(object)
    evaluationReady = Signal(object)
    regressionUpdated = Signal(object)
    histogramsUpdated = Signal(object)
    stepped = Signal(object)

    def __init__(self, parent: QObject | None = None, *, batch_interval_ms: int = 100,
                 epoch_interval_ms: int = 250):
        super().__init__(parent)
        self.setObjectName("trainingController")
        self._state = "idle"
        self._thread: _TrainingThread | None = None
        self._last_thread: _TrainingThread | None = None
        self._control: training.Control | None = None
        self._box: _Mailbox | None = None
        self._job: TrainingJob | None = None
        self._delivered_batch = None
        self._delivered_boundary = None
        self._delivered_probes: dict = {}
        self._features = (0, 1)
        self._epoch_interval = epoch_interval_ms / 1000.0
        self._view_interval = self._epoch_interval
        self._cpu_mark = time.thread_time()
        self._last_epoch_delivery = float("-inf")
        self._timer = QTimer(self)
        self._timer.setObjectName("trainingDeliveryTimer")
        self._timer.setInterval(int(batch_interval_ms))
        self._timer.timeout.connect(self._deliver)

    # -- state ----------------------------------------------------------------------------
    @property
    def state(self) -> str:
        return self._state

    @property
    def job(self) -> TrainingJob | None:
        """The job of the current (or last) run."""
        return self._job

    @property
    def worker_thread(self) -> QThread | None:
        """The QThread of the current run, else of the last one (finished), else None."""
        return self._thread or self._last_thread

    def is_running(self) -> bool:
        """True from ``start`` until ``finished`` (also while paused or stopping)."""
        return self._state != "idle"

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.stateChanged.emit(state)

    # -- commands -------------------------------------------------------------------------
    def start(self, job: TrainingJob, *, paused_after: int = 0) -> None:
        """Train ``job`` in the worker thread.  ``paused_after=n`` pauses after n batches
        (``step()`` uses 1).  Raises RuntimeError while a run is in progress."""
        if self._thread is not None:
            raise RuntimeError("training is already running; stop it first")
        self._job = job
        self._control = training.Control()
        self._box = _Mailbox()
        self._delivered_batch = None
        self._last_epoch_delivery = float("-inf")
        self._view_interval = self._epoch_interval
        self._cpu_mark = time.thread_time()
        self._delivered_boundary = None
        self._delivered_probes = {}
        if max(self._features) >= job.n_features:
            # axes picked for an earlier dataset with more features: start from the first two
            self._features = (0, 1)
        thread = _TrainingThread(job, self._control, self._box, int(paused_after),
                                 self._features)
        thread.finished.connect(self._on_thread_finished)
        self._thread = thread
        _LIVE_THREADS.add(thread)
        self._set_state("running")
        self._timer.start()
        thread.start()

    def pause(self) -> None:
        """Pause before the next batch."""
        if self._state == "running":
            self._control.pause()
            self._set_state("paused")

    def resume(self) -> None:
        if self._state == "paused":
            self._box.paused_after_step = False
            self._control.resume()
            self._set_state("running")

    def set_lr(self, lr: float) -> bool:
        """Train with learning rate ``lr`` from the next epoch on (the engine's
        ``Control.set_lr``: the schedule restarts from it, and the run's ``history["lr"]``
        records it per epoch).  Returns False when no run is in progress.  Raises the
        engine's ``TrainingError`` for a negative or non-finite rate."""
        if self._state not in ("running", "paused") or self._control is None:
            return False
        self._control.set_lr(lr)
        return True

    def stop(self) -> None:
        """Stop before the next batch; ``finished`` follows with status "stopped"."""
        if self._state in ("running", "paused"):
            self._control.stop()
            self._set_state("stopping")

    def step(self, job: TrainingJob | None = None) -> None:
        """Run exactly one batch, then pause: resumes a paused run for one batch, or
        starts ``job`` paused after its first batch when nothing runs."""
        if self._state == "idle":
            if job is None:
                raise RuntimeError("nothing to step: no run in progress and no job given")
            self.start(job, paused_after=1)
        elif self._state == "paused":
            self._thread.add_step()
            self._control.resume()
            self._set_state("running")

    @property
    def boundary_features(self) -> tuple[int, int]:
        return self._features

    def set_boundary_features(self, i: int, j: int) -> None:
        """Draw the decision boundary over input features ``i`` (horizontal) and ``j``
        (vertical), the others held at their training mean.  While a run goes on, the worker
        switches at its next batch; when idle after a run, the grid of the run's final
        weights is computed at once and ``boundaryUpdated`` emitted."""
        features = (int(i), int(j))
        self._features = features
        if self._thread is not None:
            self._thread.set_features(features)
            return
        job = self._job
        if job is None or job.n_features < 2:
            return
        try:
            probe = _Probes(job, features)
            grid = probe.boundary(0, 0, final=True)
        except Exception:  # noqa: BLE001 - e.g. a network that never trained
            log.exception("the decision boundary cannot be computed")
            return
        last = self._box.batch if self._box is not None else None
        if last is not None:
            grid.update(epoch=last.epoch, iteration=last.iteration)
        self.boundaryUpdated.emit(grid)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop the run and join the worker thread (call from ``closeEvent``).

        Returns True when the thread has ended.  If it has not ended after ``timeout_ms``
        (a batch that takes longer), it stays referenced and is joined at interpreter exit,
        so a running QThread is never destroyed.
        """
        thread = self._thread
        if thread is None:
            return True
        self._control.stop()
        self._set_state("stopping")
        if not thread.wait(max(0, int(timeout_ms))):
            log.warning("the training thread did not end within %d ms", timeout_ms)
            return False
        self._on_thread_finished()
        return True

    # -- delivery (GUI thread) --------------------------------------------------------------
    @Slot()
    def _deliver(self, final: bool = False) -> None:
        box = self._box
        if box is None:
            return
        # read first: the worker leaves the step's batch and layers before it sets the flag,
        # so they are delivered before the state turns "paused"
        paused_after_step = box.paused_after_step
        batch = box.batch
        if batch is not None and batch is not self._delivered_batch:
            self._delivered_batch = batch
            self.batchEnded.emit(batch.epoch, batch.batch, batch.iteration,
                                 batch.iterations_per_epoch)
        now = time.monotonic()
        # Everything the views draw goes out together, at most once per view interval: one
        # redraw of every view instead of one per kind of update.
        if final or paused_after_step or now - self._last_epoch_delivery >= self._view_interval:
            delivered = False
            if box.epochs:
                epochs = []
                while box.epochs:
                    epochs.append(box.epochs.popleft())
                self.epochsEnded.emit(epochs)
                self.epochEnded.emit(epochs[-1])
                delivered = True
            grid = box.boundary
            if grid is not None and grid is not self._delivered_boundary:
                self._delivered_boundary = grid
                self.boundaryUpdated.emit(grid)
                delivered = True
            for name, signal in (("regression", self.regressionUpdated),
                                 ("histograms", self.histogramsUpdated),
                                 ("step", self.stepped)):
                value = getattr(box, name)
                if value is not None and value is not self._delivered_probes.get(name):
                    self._delivered_probes[name] = value
                    signal.emit(value)
                    delivered = True
            if delivered:
                self._last_epoch_delivery = now
                self._pace()
        if final and box.evaluation is not None:
            evaluation, box.evaluation = box.evaluation, None
            self.evaluationReady.emit(evaluation)
        if paused_after_step and self._state == "running":
            self._set_state("paused")

    def _pace(self) -> None:
        """Stretch the view interval so that the GUI thread spends at most ``GUI_SHARE`` of
        its time on what training sends it.

        Drawing holds the GIL, which the training thread needs for every batch: each
        millisecond the views take is a millisecond training waits.  The GUI thread's CPU
        time since the previous delivery (the slots and the paints they caused) over
        ``GUI_SHARE`` is the interval that keeps the share; never shorter than
        ``epoch_interval_ms``, never longer than ``MAX_VIEW_INTERVAL_S``.
        """
        cpu = time.thread_time()  # of this (the GUI) thread only
        spent, self._cpu_mark = cpu - self._cpu_mark, cpu
        self._view_interval = min(MAX_VIEW_INTERVAL_S,
                                  max(self._epoch_interval, spent / GUI_SHARE))

    @property
    def view_interval(self) -> float:
        """Seconds between two deliveries to the views, as paced now (see ``_pace``)."""
        return self._view_interval

    @Slot()
    def _on_thread_finished(self) -> None:
        thread = self._thread
        # A queued ``finished`` can arrive after shutdown() has already handled its thread,
        # even once the next run has started: act only when the current thread is done.
        if thread is None or (self._box.outcome is None and not thread.isFinished()):
            return
        thread.wait()  # run() has returned; this only makes sure the OS thread is gone
        self._timer.stop()
        self._deliver(final=True)
        outcome = self._box.outcome or {"status": "error",
                                        "error": self.tr("the training thread ended early")}
        self._thread = None
        _LIVE_THREADS.discard(thread)
        thread.finished.disconnect(self._on_thread_finished)
        self._last_thread = thread  # finished, so safe to destroy with the next run
        result = self._result(outcome)
        self._set_state("idle")
        if result["status"] == "error":
            self.failed.emit(result["message"])
        self.finished.emit(result)

    def _result(self, outcome: dict) -> dict:
        history = outcome.get("history")
        n_epochs = len(history["lr"]) if history else 0
        status = outcome["status"]
        if status == "completed":
            message = self.tr("Training completed: %n epoch(s).", "", n_epochs)
        elif status == "early_stopping":
            best = outcome.get("best_epoch")
            message = self.tr("Early stopping after %n epoch(s)", "", n_epochs)
            if best is not None:
                message += self.tr("; the best epoch was %1").replace("%1", str(best + 1))
                if outcome.get("restored_best"):
                    message += self.tr(" and its weights were restored")
            message += "."
        elif status == "stopped":
            message = self.tr("Training stopped after %n finished epoch(s).", "", n_epochs)
        elif status == "diverged":
            message = outcome.get("engine_message", "")
        else:
            message = outcome.get("error", "")
        return {"status": status, "message": message, "history": history,
                "best_epoch": outcome.get("best_epoch"),
                "best_weights": outcome.get("best_weights"),
                "weights": outcome.get("weights"), "n_epochs": n_epochs}
