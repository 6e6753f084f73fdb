"""The main window's dock layout: each tab group has one tab bar, drawn beside its docks and
over nothing else, with a fresh layout and with a saved one restored.

The windows here are shown and their events processed with ``processEvents`` only, before any
event loop runs (an event loop would also run pending deferred deletions, and hide a tab bar
that the window made and threw away while it was built).
"""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QTabBar

from nnstudio.main_window import DISCARD

BOTTOM = ("plots_dock", "runs_dock", "confusion_dock", "boundary_dock", "gradient_dock",
          "regression_dock", "histograms_dock", "step_dock", "neuron_dock", "problems_dock",
          "summary_dock")


def shown(make_window, qapp, settings=None):
    window = make_window(settings=settings, show=False)
    window.resize(1280, 800)
    window.show()
    for _ in range(5):
        qapp.processEvents()
    return window


def visible_tab_bars(window) -> list[QTabBar]:
    return [bar for bar in window.findChildren(QTabBar)
            if bar.parentWidget() is window and bar.isVisible()]


def tabs(bar: QTabBar) -> list[str]:
    return [bar.tabText(i) for i in range(bar.count())]


def assert_one_clean_tab_bar_per_group(window) -> None:
    bottom = [getattr(window, name) for name in BOTTOM]
    # all the bottom docks in one tab group, in this order
    assert set(window.tabifiedDockWidgets(window.plots_dock)) == set(bottom[1:])
    bars = visible_tab_bars(window)
    assert sorted(tabs(bar) for bar in bars) == sorted(
        [[dock.windowTitle() for dock in bottom],
         [window.data_dock.windowTitle(), window.training_dock.windowTitle()]])
    for i, bar in enumerate(bars):
        for other in bars[i + 1:]:
            assert not bar.geometry().intersects(other.geometry()), (tabs(bar), tabs(other))
        for dock in window.docks():
            if dock.isVisible():
                assert not bar.geometry().intersects(dock.geometry()), \
                    (tabs(bar), dock.objectName())
        assert not bar.geometry().intersects(window.centralWidget().geometry()), tabs(bar)
    # the bottom group's bar: under the bottom dock on top, across the window's bottom area
    bottom_bar = next(bar for bar in bars if bar.count() == len(bottom))
    on_top = next(dock for dock in bottom if dock.isVisible())
    assert bottom_bar.geometry().top() >= on_top.geometry().bottom()
    assert bottom_bar.geometry().bottom() < window.statusBar().geometry().top()
    assert bottom_bar.geometry().left() >= on_top.geometry().left() - 1


def test_a_fresh_layout_has_one_tab_bar_per_tab_group(make_window, qapp):
    assert_one_clean_tab_bar_per_group(shown(make_window, qapp))


def test_a_restored_layout_has_one_tab_bar_per_tab_group(make_window, qapp, settings_path):
    first = shown(make_window, qapp)
    first.step_dock.raise_()
    qapp.processEvents()
    first.person.always["save_changes"] = DISCARD
    assert first.close()  # saves the layout
    settings = QSettings(str(settings_path), QSettings.Format.IniFormat)
    assert settings.value("window/state") is not None
    window = shown(make_window, qapp, settings)
    assert window.step_dock.isVisible()  # the saved layout, not the default one
    assert_one_clean_tab_bar_per_group(window)


def test_reset_layout_keeps_one_tab_bar_per_tab_group(make_window, qapp):
    window = shown(make_window, qapp)
    window.regression_dock.raise_()
    window.reset_layout()
    for _ in range(5):
        qapp.processEvents()
    assert_one_clean_tab_bar_per_group(window)
