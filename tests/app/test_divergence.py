"""A run that diverges (exploding gradients, NaN) is explained, kept with its last good epochs,
and leaves every view and the window usable."""

from __future__ import annotations

import numpy as np
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
    assert [title for title, _ in window.person.errors] == ["Training diverged"]
    assert "gradient" in window.person.errors[0][1]
    run = window.session.project.runs[-1]
    assert run.status == "diverged" and len(run.history["lr"]) >= 2
    # the kept weights are the last finite ones
    assert all(np.isfinite(w).all() for w in run.weights.values())
    assert window.runs_panel.table.rowCount() == 1
    # the window goes on: a sane run trains after it
    window.training_panel.lr.setValue(0.01)
    set_epochs(window, qtbot, 3)
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT) as done:
        window.actions_by_name["train"].trigger()
    assert done.args[0]["status"] == "completed"
    assert len(window.session.project.runs) == 2


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
