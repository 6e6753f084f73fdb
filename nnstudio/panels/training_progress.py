"""Progress of the run in the status bar: epochs, iterations within the epoch, samples per
second, elapsed and remaining time.

The widget follows a :class:`~nnstudio.training.controller.TrainingController` through its
signals only; it never asks the worker anything.  Time counts while the run trains, not while
it is paused, so that "remaining" stays an estimate of training time left.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from nnstudio.widgets import named


def clock(seconds: float) -> str:
    """``seconds`` as m:ss, or h:mm:ss from an hour on."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class TrainingProgress(QWidget):
    """Two progress bars (epochs of the run, iterations of the current epoch) and a line with
    samples per second, elapsed and remaining time.  Hidden while nothing trains and no run
    has been shown yet; after a run it keeps the final figures until the next one starts."""

    def __init__(self, controller, parent=None):
        super().__init__(parent)
        named(self, "trainingProgress", self.tr("Training progress"))
        self.controller = controller
        self.epochs = named(QProgressBar(), "epochProgress", self.tr("Epochs"),
                            self.tr("Epochs finished of the run"))
        self.iterations = named(QProgressBar(), "iterationProgress",
                                self.tr("Iterations in the epoch"),
                                self.tr("Iterations (batches) done in the current epoch"))
        for bar in (self.epochs, self.iterations):
            bar.setFixedHeight(16)
            bar.setTextVisible(True)
        self.epochs.setFormat(self.tr("epoch %v/%m"))
        self.iterations.setFormat(self.tr("batch %v/%m"))
        self.figures = named(QLabel(), "trainingFigures", self.tr("Training speed and time"))
        self.figures.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.figures.setFixedHeight(self.figures.sizeHint().height())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.epochs)
        layout.addWidget(self.iterations)
        layout.addWidget(self.figures)
        self._reset()
        self._finished = True
        self.setVisible(False)
        controller.stateChanged.connect(self._state_changed)
        controller.batchEnded.connect(self._batch_ended)
        controller.epochsEnded.connect(self._epochs_ended)

    # -- what it shows --------------------------------------------------------------------
    @property
    def elapsed(self) -> float:
        """Seconds spent training in this run (paused time not counted)."""
        running = time.monotonic() - self._since if self._since is not None else 0.0
        return self._elapsed + running

    @property
    def samples_per_second(self) -> float | None:
        """The engine's figure for the latest epoch; before the first epoch ends, the
        samples of the batches so far over the elapsed time."""
        if self._epoch_rate is not None:
            return self._epoch_rate
        elapsed = self.elapsed
        if self._iterations_done and elapsed > 0 and self._batch_size:
            return self._iterations_done * self._batch_size / elapsed
        return None

    @property
    def remaining(self) -> float | None:
        """Estimated seconds left: the time per iteration so far times the iterations
        left (an upper bound when early stopping may end the run sooner)."""
        if not self._iterations_done or not self._total_iterations:
            return None
        left = max(0, self._total_iterations - self._iterations_done)
        return self.elapsed / self._iterations_done * left

    def text(self) -> str:
        parts = []
        rate = self.samples_per_second
        if rate is not None:
            parts.append(self.tr("{0} samples/s").format(f"{rate:,.0f}"))
        parts.append(self.tr("{0} elapsed").format(clock(self.elapsed)))
        if self.controller.state != "idle":
            remaining = self.remaining
            if remaining is not None:
                parts.append(self.tr("{0} left").format(clock(remaining)))
        return " \u00b7 ".join(parts)

    # -- following the controller ---------------------------------------------------------
    def _reset(self) -> None:
        self._elapsed = 0.0
        self._since = None
        self._iterations_done = 0
        self._total_iterations = 0
        self._epoch_rate = None
        self._batch_size = 0
        for bar in (self.epochs, self.iterations):
            _set_range(bar, 1)
            bar.setValue(0)

    def _state_changed(self, state: str) -> None:
        if state == "running":
            if self._finished:  # a new run (a resume keeps the clock and the figures)
                self._start_run()
            if self._since is None:
                self._since = time.monotonic()
        else:
            if self._since is not None:
                self._elapsed += time.monotonic() - self._since
                self._since = None
            if state == "idle":
                self._finished = True
        self._refresh()

    def _start_run(self) -> None:
        self._reset()
        self._finished = False
        job = self.controller.job
        if job is not None:
            epochs = int(job.training.epochs)
            self._batch_size = int(job.training.batch_size)
            _set_range(self.epochs, max(1, epochs))
        self.setVisible(True)

    def _batch_ended(self, epoch: int, batch: int, iteration: int, per_epoch: int) -> None:
        _set_range(self.iterations, max(1, per_epoch))
        _set_value(self.iterations, batch + 1)
        # epochs before this batch's are done: the bar moves with the batches, not only
        # when the (paced, less frequent) epoch results arrive
        _set_value(self.epochs, max(self.epochs.value(), min(epoch, self.epochs.maximum())))
        self._iterations_done = iteration
        self._total_iterations = per_epoch * self.epochs.maximum()
        self._refresh()

    def _epochs_ended(self, epochs: list) -> None:
        if not epochs:
            return
        last = epochs[-1]
        _set_value(self.epochs, min(self.epochs.maximum(), int(last["epoch"]) + 1))
        rate = last.get("samples_per_second")
        if rate:
            self._epoch_rate = float(rate)
        self._refresh()

    def _refresh(self) -> None:
        text = self.text()
        # A label whose size follows its text asks the whole window to lay out again each
        # time a figure gets a digit longer or shorter (every dock moves, everything is
        # painted): a fixed size, grown when the text needs more, asks nothing.
        label = self.figures
        needed = label.fontMetrics().horizontalAdvance(text) + 8
        if needed > label.width() or label.minimumWidth() != label.maximumWidth():
            label.setFixedWidth(max(needed, label.minimumWidth()))
        label.setText(text)


def _set_value(bar: QProgressBar, value: int) -> None:
    """``bar.setValue(value)``, drawn with the next paint: QProgressBar repaints itself at
    once when its text changes, which in a docked window costs a few milliseconds ten
    times a second while training."""
    if bar.value() == value:
        return
    bar.setUpdatesEnabled(False)
    bar.setValue(value)
    bar.setUpdatesEnabled(True)  # schedules the repaint


def _set_range(bar: QProgressBar, maximum: int) -> None:
    """``bar`` counts 0 .. ``maximum``, wide enough for its text at the largest count."""
    if bar.maximum() == maximum and bar.minimum() == 0:
        return
    bar.setRange(0, maximum)
    text = bar.format().replace("%v", str(maximum)).replace("%m", str(maximum))
    bar.setFixedWidth(max(90, bar.fontMetrics().horizontalAdvance(text) + 24))
