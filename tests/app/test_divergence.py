"""A run that diverges (exploding gradients, NaN) is explained, kept with its last good epochs,
and leaves every view and the window usable."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from window_helpers import set_epochs

TRAIN_TIMEOUT = 60_000  # ms


def sgd(window, lr: float) -> None:
    panel = window.training_panel
    panel.optimizer.setCurrentText("sgd")
    panel.lr.setValue(lr)
    assert window.session.project.training.optimizer == {"name": "sgd", "lr": lr}


def test_a_learning_rate_raised_mid_run_diverges_and_the_run_is_kept(window, qtbot):
    window.open_example("plane-regression")
    sgd(window, 0.01)
    set_epochs(window, qtbot, 100_000)  # it would train on and on
    for dock in window.docks():  # every view draws the run, the diverged end included
        dock.show()
    window.actions_by_name["train"].trigger()
    qtbot.waitUntil(lambda: window.loss_plot.n_epochs >= 2, timeout=TRAIN_TIMEOUT)
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT) as done:
        window.training_panel.lr.setValue(10.0)  # far too large: the weights blow up
    assert done.args[0]["status"] == "diverged"
    # a banner over the canvas explains it in the glossary's words; no dialog stops anyone
    assert window.person.errors == []
    banner = window.run_banner
    assert banner.isVisible() and "exploding gradient" in banner.title.text()
    text = banner.message.text()
    assert "lower learning rate" in text and "gradient clipping" in text
    assert "initializer" in text and "weights from before that step are kept" in text
    run = window.session.project.runs[-1]
    assert run.status == "diverged" and len(run.history["lr"]) >= 2
    # the kept weights are the last finite ones
    assert all(np.isfinite(w).all() for w in run.weights.values())
    assert window.runs_panel.table.rowCount() == 1
    # the banner's remedy: one click, a ten times lower rate, undoable like any edit
    assert banner.lower.isVisible() and "1" in banner.lower.text()
    qtbot.mouseClick(banner.lower, Qt.MouseButton.LeftButton)
    assert window.session.project.training.optimizer["lr"] == pytest.approx(1.0)
    assert not banner.isVisible()
    window.actions_by_name["undo"].trigger()
    assert window.session.project.training.optimizer["lr"] == pytest.approx(10.0)
    # the window goes on: a sane run trains after it
    window.training_panel.lr.setValue(0.01)
    set_epochs(window, qtbot, 3)
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT) as done:
        window.actions_by_name["train"].trigger()
    assert done.args[0]["status"] == "completed"
    assert len(window.session.project.runs) == 2
    assert not banner.isVisible()


def test_the_banner_goes_with_escape_or_dismiss_and_when_training_again(window, qtbot):
    window.open_example("plane-regression")
    sgd(window, 10.0)
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT) as done:
        window.actions_by_name["train"].trigger()
    assert done.args[0]["status"] == "diverged"
    banner = window.run_banner
    assert banner.isVisible()
    # it sits above the canvas, which stays as usable as before
    assert banner.geometry().bottom() <= window.view.geometry().top()
    banner.dismiss.setFocus()
    qtbot.keyClick(banner.dismiss, Qt.Key.Key_Escape)
    assert not banner.isVisible()
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT):
        window.actions_by_name["train"].trigger()
    assert banner.isVisible()
    qtbot.mouseClick(banner.dismiss, Qt.MouseButton.LeftButton)
    assert not banner.isVisible()


def test_views_draw_a_diverged_networks_output_without_failing(window, qtbot):
    from nnstudio.training import probes
    from nnstudio.views.decision_boundary import grid_rgb

    values = np.array([[[np.nan], [np.inf]], [[-np.inf], [1.0]]])
    image = grid_rgb(values, classification=False)
    assert image.shape == (2, 2, 3) and image.dtype == np.uint8
    probabilities = np.full((2, 2, 3), np.nan)
    assert grid_rgb(probabilities, classification=True).shape == (2, 2, 3)
    huge = probes.histogram(np.array([-1.7e308, 0.0, 1.7e308, np.nan]))
    assert huge["counts"].sum() == 3 and np.isfinite(huge["edges"]).all()
    # a spread finer than float64 can split into bins, around a huge value
    tight = probes.histogram(np.array([1e20, 1e20 + 2**15, 1e20 + 2**16]))
    assert tight["counts"].sum() == 3 and tight["edges"].shape == (31,)
