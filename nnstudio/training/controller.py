"""Runs ``engine.training.fit`` in a training process and forwards its events to the GUI.

The run works in a process of its own (``nnstudio.training.worker``: why, and what crosses
between the processes) on a :class:`~nnstudio.training.snapshot.TrainingJob` (a snapshot of
the document).  In the window a receiver thread copies what the run sends into a
:class:`~nnstudio.training.worker.Mailbox` -- the latest batch (overwritten, so 30,000 batches
a second cost nothing here), the finished epochs (queued, none dropped) and at the end the
outcome -- and never emits a Qt signal.  A timer in the GUI thread empties the mailbox and
emits the controller's signals, so the event loop sees at most ``1000 / batch_interval_ms``
deliveries a second however fast the engine runs (the model is superqt's ``qthrottled``).
When the run ends, everything still in the mailbox is delivered before ``finished``: the last
batch and the last epoch always arrive.

Stop, pause, step, the learning rate and the boundary's features are commands sent to the
run, honoured between batches.  A run whose process dies ends with status "error"; the window
and the document are untouched.
"""

from __future__ import annotations

import atexit
import gc
import logging
import threading
import time

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from engine import training
from nnstudio.training import probes, worker
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
        thread.send("stop")
        if not thread.wait(int(STOP_WAIT_S * 1000)):
            thread.terminate_process()
            thread.wait()
    _LIVE_THREADS.clear()


# While training, the GUI thread spends at most this share of its time on the views'
# updates (see TrainingController._pace); the interval between updates stretches up to
# MAX_VIEW_INTERVAL_S when the views are slow to draw.
GUI_SHARE = 0.08
MAX_VIEW_INTERVAL_S = 2.0
STOP_WAIT_S = 5.0  # a run told to stop that has not ended after this long is terminated


class _TrainingThread(QThread):
    """Starts the training process (``nnstudio.training.worker.serve``), copies what it sends
    into the window's mailbox, and sends it the window's commands.  Emits no signals of its
    own (only QThread's ``finished``, from C++, once the process has ended).

    ``job.network`` is the window's copy of the network: the controller puts the run's
    weights in it (in the GUI thread) when the run pauses and when it ends, so that it holds
    the trained network whenever training does not run."""

    def __init__(self, job: TrainingJob, mailbox: worker.Mailbox, steps: int,
                 features=(0, 1)):
        super().__init__()
        self.setObjectName("trainingThread")
        self.job, self.mailbox = job, mailbox
        ctx = worker.context()
        self._results, results = ctx.Pipe(duplex=False)
        commands, self._commands = ctx.Pipe(duplex=False)
        self._send_lock = threading.Lock()
        self.process = ctx.Process(
            target=worker.serve, name="nnstudio-training", daemon=True,
            args=(worker.WorkerJob.of(job), results, commands, int(steps), features,
                  (self._results, self._commands)))
        self._child_ends = (results, commands)
        self.terminated = False  # ended by terminate_process

    def send(self, *command) -> None:
        """Send ``command`` to the run (ignored once the run has ended)."""
        with self._send_lock:
            try:
                self._commands.send(command)
            except (OSError, ValueError):  # the process has ended: nothing to command
                pass

    def terminate_process(self) -> None:
        """End the training process now (a run that does not stop when told)."""
        if self.process.is_alive():
            log.warning("terminating the training process")
            self.terminated = True
            self.process.terminate()

    def run(self) -> None:
        box = self.mailbox
        # A forked child inherits this process's objects, PySide wrappers among them: frozen,
        # the child's garbage collector never frees them (which would run Qt destructors in
        # a process without Qt), and their pages stay shared instead of being copied.
        gc.freeze()
        try:
            self.process.start()
        except Exception as exc:  # noqa: BLE001 - e.g. out of memory or processes
            log.exception("the training process cannot start")
            box.outcome = {"status": "error",
                           "error": f"The training process could not start: {exc}"}
            self._close()
            return
        finally:
            gc.unfreeze()
        for conn in self._child_ends:  # the child's ends: now the child's alone
            conn.close()
        outcome, failure = None, None
        while outcome is None:
            try:
                outcome = self._take(self._results.recv())
            except (EOFError, OSError):  # the process ended without an outcome
                break
            except Exception as exc:  # noqa: BLE001 - a message that cannot be read or used
                log.exception("a message from the training process cannot be used")
                if failure is None:  # the views would go wrong from here: end the run,
                    failure = exc  # and read on to its outcome
                    self.send("stop")
        self.process.join(STOP_WAIT_S)
        if self.process.is_alive():
            self.terminate_process()
            self.process.join()
        if outcome is None:
            code = self.process.exitcode
            why = (f"a message from it could not be used ({type(failure).__name__}: "
                   f"{failure})" if failure is not None else f"exit code {code}")
            outcome = {"status": "error", "error": (
                f"The run did not stop within {STOP_WAIT_S:.0f} s of being told to, so its "
                f"process was ended; the project is intact." if self.terminated else
                f"The training process ended unexpectedly ({why}); the project is intact.")}
        elif failure is not None:  # stopped because of it: say so, not just "stopped"
            outcome["interrupted"] = f"{type(failure).__name__}: {failure}"
        box.outcome = outcome
        self._close()

    def _take(self, message: dict) -> dict | None:
        """Copies ``message`` into the mailbox in the order the run produced it; returns
        its outcome, if it has one."""
        box = self.mailbox
        if "weights" in message:  # the GUI thread puts them in the network (see _deliver)
            box.weights = message["weights"]
        if "batch" in message:
            box.batch = message["batch"]
        for epoch in message.get("epochs", ()):
            box.epochs.append(epoch)
        evaluation = message.get("evaluation")
        if evaluation is not None and "x" not in evaluation:  # sent without the samples
            evaluation["x"] = self.job.x[evaluation["indices"]]
        for name in ("boundary", "regression", "histograms", "step", "evaluation"):
            if name in message:
                setattr(box, name, message[name])
        if message.get("paused_after_step"):
            box.paused_after_step = int(message["paused_after_step"])
        return message.get("outcome")

    def _close(self) -> None:
        for conn in (self._results, self._commands, *self._child_ends):
            conn.close()


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
        weights (read after the loop), n_epochs, seconds (wall time from ``start`` until the
        run had ended, before its last delivery to the views).
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
        self._box: worker.Mailbox | None = None
        self._job: TrainingJob | None = None
        self._delivered_batch = None
        self._delivered_boundary = None
        self._delivered_probes: dict = {}
        self._features = (0, 1)
        self._epoch_interval = epoch_interval_ms / 1000.0
        self._view_interval = self._epoch_interval
        self._told_interval = 0.0  # the view interval the run was told last
        self._steps_taken, self._awaited_step = 0, None  # see start()
        self._applied_weights = None  # the last weights put in job.network
        self._network_current = False  # job.network holds the last run's final weights
        self._started = time.monotonic()
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
        """Train ``job`` in a training process.  ``paused_after=n`` pauses after n batches
        (``step()`` uses 1).  Raises RuntimeError while a run is in progress.  A process that
        cannot start ends the run with status "error"."""
        if self._thread is not None:
            raise RuntimeError("training is already running; stop it first")
        self._job = job
        self._box = worker.Mailbox()
        self._delivered_batch = None
        self._last_epoch_delivery = float("-inf")
        self._view_interval = self._epoch_interval
        self._told_interval = 0.0
        self._cpu_mark = time.thread_time()
        self._delivered_boundary = None
        self._delivered_probes = {}
        # steps are numbered so that a late "paused after step n" of a step that a pause or
        # resume overtook changes nothing
        self._steps_taken = 1 if paused_after else 0
        self._applied_weights = None
        self._awaited_step = self._steps_taken or None
        if max(self._features) >= job.n_features or (
                probes.is_pca(self._features) and job.n_features <= 2):
            # axes picked for an earlier dataset with more features: start from the first two
            self._features = (0, 1)
        thread = _TrainingThread(job, self._box, int(paused_after), self._features)
        thread.finished.connect(self._on_thread_finished)
        self._started = time.monotonic()
        self._thread = thread
        _LIVE_THREADS.add(thread)
        self._set_state("running")
        self._timer.start()
        thread.start()

    def pause(self) -> None:
        """Pause before the next batch."""
        if self._state == "running":
            self._awaited_step = None  # a step under way is cancelled: the pause wins
            self._thread.send("pause")
            self._set_state("paused")

    def resume(self) -> None:
        if self._state == "paused":
            self._awaited_step = None
            self._thread.send("resume")
            self._set_state("running")

    def set_lr(self, lr: float) -> bool:
        """Train with learning rate ``lr`` from the next epoch on (the engine's
        ``Control.set_lr``: the schedule restarts from it, and the run's ``history["lr"]``
        records it per epoch).  Returns False when no run is in progress.  Raises the
        engine's ``TrainingError`` for a negative or non-finite rate."""
        if self._state not in ("running", "paused"):
            return False
        check = training.Control()
        check.set_lr(lr)  # the engine's own validation, here, where the caller hears of it
        self._thread.send("set_lr", check.pending_lr)
        return True

    def stop(self) -> None:
        """Stop before the next batch; ``finished`` follows with status "stopped"."""
        if self._state in ("running", "paused"):
            self._awaited_step = None
            thread = self._thread
            thread.send("stop")
            self._set_state("stopping")
            # a batch that never ends (or a run that cannot hear) must not keep the window
            # stopping for ever: its process is ended, and the run reported as an error
            QTimer.singleShot(int(STOP_WAIT_S * 1000), self, lambda: self._stop_overdue(thread))

    def _stop_overdue(self, thread: "_TrainingThread") -> None:
        if thread is self._thread and self._state == "stopping":
            log.warning("the run did not stop within %.0f s", STOP_WAIT_S)
            thread.terminate_process()

    def step(self, job: TrainingJob | None = None) -> None:
        """Run exactly one batch, then pause: resumes a paused run for one batch, or
        starts ``job`` paused after its first batch when nothing runs."""
        if self._state == "idle":
            if job is None:
                raise RuntimeError("nothing to step: no run in progress and no job given")
            self.start(job, paused_after=1)
        elif self._state == "paused":
            self._steps_taken += 1
            self._awaited_step = self._steps_taken
            self._thread.send("step", self._steps_taken)
            self._set_state("running")

    @property
    def boundary_features(self) -> tuple[int, int]:
        return self._features

    def set_boundary_features(self, i: int, j: int) -> None:
        """Draw the decision boundary over input features ``i`` (horizontal) and ``j``
        (vertical), the others held at their training mean -- or, for ``probes.PCA``, over the
        plane of the first two principal components.  While a run goes on, the worker
        switches at its next batch; when idle after a run, the grid of the run's final
        weights is computed at once and ``boundaryUpdated`` emitted."""
        features = (int(i), int(j))
        self._features = features
        if self._thread is not None:
            self._thread.send("features", features)
            return
        job = self._job
        if job is None or job.n_features < 2 or not self._network_current:
            return  # (a run that ended in an error sent no weights to draw)
        try:
            probe = worker.Probes(job, features)
            grid = probe.boundary(0, 0, final=True)
        except Exception:  # noqa: BLE001 - e.g. a network that never trained
            log.exception("the decision boundary cannot be computed")
            return
        last = self._box.batch if self._box is not None else None
        if last is not None:
            grid.update(epoch=last.epoch, iteration=last.iteration)
        self.boundaryUpdated.emit(grid)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop the run and join the receiver thread (call from ``closeEvent``).

        Returns True when the thread has ended.  A run that has not stopped after
        ``timeout_ms`` (a batch that takes longer) has its process terminated; should the
        thread still not end, it stays referenced and is joined at interpreter exit, so a
        running QThread is never destroyed.
        """
        thread = self._thread
        if thread is None:
            return True
        thread.send("stop")
        self._set_state("stopping")
        if not thread.wait(max(0, int(timeout_ms))):
            log.warning("the training run did not stop within %d ms", timeout_ms)
            thread.terminate_process()
            if not thread.wait(int(STOP_WAIT_S * 1000)):
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
        paused_after_step = bool(box.paused_after_step) and (
            box.paused_after_step == self._awaited_step)  # not one a pause overtook
        weights = box.weights  # of a pause: before the state can turn "paused"
        if weights is not None and weights is not self._applied_weights:
            self._applied_weights = weights
            self._put_weights(weights)
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
        # (a run that ends on its stepped batch goes straight to idle, not through paused)
        if paused_after_step and self._state == "running" and not final:
            self._awaited_step = None
            self._set_state("paused")

    def _put_weights(self, weights: dict) -> None:
        """The run's ``weights`` into the window's copy of the network."""
        try:
            self._job.network.set_weights(weights)
        except Exception:  # noqa: BLE001 - e.g. a batch-norm statistic gone infinite: the
            log.exception("the run's weights do not fit the network")  # run goes on

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
        thread, told = self._thread, self._told_interval
        if thread is not None and abs(self._view_interval - told) > 0.2 * told:
            # the run measures the boundary no more often than the views show it
            self._told_interval = self._view_interval
            thread.send("view_interval", self._view_interval)

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
        seconds = time.monotonic() - self._started
        self._timer.stop()
        self._deliver(final=True)
        outcome = self._box.outcome or {"status": "error",
                                        "error": self.tr("the training thread ended early")}
        if outcome.get("weights") is not None:
            self._put_weights(outcome["weights"])
        self._thread = None
        _LIVE_THREADS.discard(thread)
        thread.finished.disconnect(self._on_thread_finished)
        self._last_thread = thread  # finished, so safe to destroy with the next run
        result = self._result(outcome)
        result["seconds"] = seconds
        self._network_current = result["weights"] is not None
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
            if outcome.get("interrupted"):
                message += " " + self.tr(
                    "It was stopped because a result from the training process could not be "
                    "shown (%1).").replace("%1", outcome["interrupted"])
        elif status == "diverged":
            message = outcome.get("engine_message", "")
        else:
            message = outcome.get("error", "")
        return {"status": status, "message": message, "history": history,
                "best_epoch": outcome.get("best_epoch"),
                "best_weights": outcome.get("best_weights"),
                "weights": outcome.get("weights"), "n_epochs": n_epochs}
