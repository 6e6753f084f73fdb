"""The status bar's training progress: epoch and iteration bars, samples per second, elapsed
and remaining time, driven by real runs in the window."""

from __future__ import annotations

import time

from window_helpers import set_epochs
from PySide6.QtWidgets import QApplication

from nnstudio.panels.training_progress import clock

TRAIN_TIMEOUT = 60_000  # ms


def start(window, qtbot, epochs: int) -> None:
    window.open_example("spirals-classifier")
    set_epochs(window, qtbot, epochs)
    window.actions_by_name["train"].trigger()


def test_clock_formats_minutes_and_hours():
    assert clock(0) == "0:00"
    assert clock(59.6) == "1:00"
    assert clock(61) == "1:01"
    assert clock(3600 + 62) == "1:01:02"


def test_hidden_until_a_run_starts(window):
    assert not window.training_progress.isVisible()


def test_a_finished_run_shows_every_epoch_and_iteration(window, qtbot):
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT):
        start(window, qtbot, 7)
        assert window.training_progress.isVisible()
    progress = window.training_progress
    # what the Training panel promised: "N iterations per epoch (M training samples)"
    per_epoch = int(window.training_panel.iterations.text().split()[0])
    assert (progress.epochs.value(), progress.epochs.maximum()) == (7, 7)
    assert (progress.iterations.value(), progress.iterations.maximum()) == (per_epoch,
                                                                           per_epoch)
    text = progress.figures.text()
    assert "samples/s" in text and "elapsed" in text
    assert "left" not in text  # nothing is left once the run is over
    assert progress.samples_per_second > 0
    assert progress.elapsed > 0
    assert progress.isVisible()  # the bars stay to show how the run went


def test_paused_time_is_not_counted_and_a_new_run_starts_from_zero(window, qtbot):
    start(window, qtbot, 100_000)
    controller = window.controller
    progress = window.training_progress
    qtbot.waitUntil(lambda: progress.epochs.value() >= 1, timeout=TRAIN_TIMEOUT)
    window.actions_by_name["pause"].trigger()
    qtbot.waitUntil(lambda: controller.state == "paused", timeout=TRAIN_TIMEOUT)
    paused_at = progress.elapsed
    deadline = time.monotonic() + 0.4
    while time.monotonic() < deadline:
        QApplication.processEvents()
    assert progress.elapsed == paused_at
    assert progress.remaining is not None and progress.remaining > 0
    assert "left" in progress.figures.text()
    window.actions_by_name["pause"].trigger()  # resume: the clock goes on from where it was
    qtbot.waitUntil(lambda: progress.elapsed > paused_at, timeout=TRAIN_TIMEOUT)
    with qtbot.waitSignal(controller.finished, timeout=TRAIN_TIMEOUT):
        window.actions_by_name["stop"].trigger()
    set_epochs(window, qtbot, 2)
    with qtbot.waitSignal(controller.finished, timeout=TRAIN_TIMEOUT):
        window.actions_by_name["train"].trigger()
        assert progress.epochs.maximum() == 2
        assert progress.epochs.value() == 0  # started again from zero
        assert progress.elapsed < 0.5
    assert progress.epochs.value() == 2


def test_the_progress_goes_when_another_run_or_document_is_shown(window, qtbot):
    for _ in range(2):
        with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT):
            start(window, qtbot, 2) if not window.session.project.runs else \
                window.actions_by_name["train"].trigger()
    assert window.training_progress.isVisible()
    assert window.runs_panel.restore("run1")  # the bars were of run 2's training
    assert not window.training_progress.isVisible()
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT):
        window.actions_by_name["train"].trigger()
    assert window.training_progress.isVisible()
    window.session.undo_stack.setClean()
    window.open_example("xor-playground")
    assert not window.training_progress.isVisible()


def test_the_epoch_bar_follows_the_batches_and_the_counts_fit_their_bars(window, qtbot):
    start(window, qtbot, 100_000)
    progress = window.training_progress
    batches = []
    window.controller.batchEnded.connect(lambda *args: batches.append(args))
    qtbot.waitUntil(lambda: len(batches) >= 3 and batches[-1][0] >= 2, timeout=TRAIN_TIMEOUT)
    window.actions_by_name["pause"].trigger()
    qtbot.waitUntil(lambda: window.controller.state == "paused", timeout=TRAIN_TIMEOUT)
    epoch = batches[-1][0]  # 0-based: the epochs before it are finished
    assert progress.epochs.value() >= epoch
    for bar in (progress.epochs, progress.iterations):
        text = bar.text()
        assert bar.fontMetrics().horizontalAdvance(text) < bar.width(), text
    assert progress.epochs.text() == f"epoch {progress.epochs.value()}/100000"
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT):
        window.actions_by_name["stop"].trigger()


def test_the_figures_fit_their_label_without_laying_the_window_out_again(window, qtbot):
    """Each new figure would otherwise resize the label and with it re-lay out every dock
    of the window (which the person sees as the whole window repainting while training)."""
    start(window, qtbot, 100_000)
    progress = window.training_progress
    batches = []
    window.controller.batchEnded.connect(lambda *args: batches.append(args))
    qtbot.waitUntil(lambda: len(batches) >= 3 and bool(progress.samples_per_second),
                    timeout=TRAIN_TIMEOUT)
    label = progress.figures
    widths = set()
    for _ in range(5):  # figures of several lengths go by
        count = len(batches)
        qtbot.waitUntil(lambda: len(batches) > count, timeout=TRAIN_TIMEOUT)
        text = label.text()
        assert "samples/s" in text and "left" in text
        assert label.fontMetrics().horizontalAdvance(text) <= label.width(), text
        assert label.minimumWidth() == label.maximumWidth()  # no size to negotiate
        widths.add(label.width())
    assert len(widths) <= 2  # grown at most once, never shrunk and regrown
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT):
        window.actions_by_name["stop"].trigger()
