"""While a run trains, views in hidden docks are updated when they show or when the run ends,
and then hold exactly what they would have held had they been drawn all along."""

from __future__ import annotations

from window_helpers import set_epochs

TRAIN_TIMEOUT = 60_000  # ms


def test_a_hidden_view_catches_up_when_shown_and_all_show_the_final_state(window, qtbot):
    window.open_example("spirals-classifier")
    set_epochs(window, qtbot, 100_000)
    window.plots_dock.raise_()  # the gradient-flow tab is behind the loss plot
    window.actions_by_name["train"].trigger()
    qtbot.waitUntil(lambda: window.loss_plot.n_epochs >= 3, timeout=TRAIN_TIMEOUT)
    gradient = window.gradient_view
    assert gradient.n_epochs == 0 and window._deferred.pending(window.gradient_dock)

    window.gradient_dock.raise_()  # the person opens the tab: every epoch so far arrives
    qtbot.waitUntil(lambda: gradient.n_epochs >= 3, timeout=TRAIN_TIMEOUT)
    assert window._deferred.pending(window.gradient_dock) == 0
    assert gradient._epochs == list(range(gradient.n_epochs))  # none missed, none twice

    window.plots_dock.raise_()
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT):
        window.actions_by_name["stop"].trigger()
    run = window.session.project.runs[-1]
    epochs = len(run.history["lr"])
    # hidden or not, each view shows the whole run
    assert window.loss_plot.n_epochs == epochs == gradient.n_epochs
    assert gradient._epochs == list(range(epochs))
    assert window.boundary_view.grid is not None and window.boundary_view.grid["final"]


def test_when_idle_updates_reach_hidden_views_at_once(window, qtbot):
    window.open_example("spirals-classifier")
    set_epochs(window, qtbot, 2)
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT):
        window.actions_by_name["train"].trigger()
    window.plots_dock.raise_()  # the boundary's tab is hidden
    view = window.boundary_view
    view.x_feature.setCurrentIndex(1)
    view.y_feature.setCurrentIndex(0)
    view.x_feature.activated.emit(1)
    qtbot.waitUntil(lambda: tuple(view.grid["features"]) == (1, 0), timeout=5000)
