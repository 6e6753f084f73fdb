"""Updates for views that nobody can see wait until their dock shows.

While a run trains, most views sit in tabs behind another one.  Handing each of them every
update costs the GUI thread (and, through the GIL, the training thread) work whose result
nobody sees, so a view's updates are held back while its dock is hidden and handed over at
once when the dock shows -- or when the run ends, so that every view holds the final state.

The updates of the views that show are handed out one dock per turn of the event loop, so
that each view's redraw is a paint event of its own: drawn all in one turn, a window with
every view open held the loop for up to 90 ms, long enough for a click or a keypress to feel
late.

Two kinds of update: *accumulated* ones (lists of epochs) are concatenated while held back,
so a view that keeps a history misses nothing; *latest* ones (a decision-boundary grid, a set
of histograms) replace each other, since only the newest matters.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QDockWidget

log = logging.getLogger(__name__)


class DeferredUpdates(QObject):
    """Holds back updates of the views in hidden docks.

    ``send(dock, method, value, accumulate=False)`` keeps the update: one pending value per
    (dock, method), a list extended by each accumulated update.  When ``dock`` shows, its
    updates go out at the next turn of the event loop that hands out no other dock's (one
    dock per turn, in the order they first had something pending); when it is hidden, once
    it shows.  ``flush()`` hands out all of them now; ``clear()`` drops them (the views are
    being cleared anyway).
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self._pending: dict[tuple[int, Callable], list] = {}
        self._docks: dict[int, QDockWidget] = {}
        self._due: list[int] = []  # showing docks with updates, first come first served
        self._turn = QTimer(self)
        self._turn.setObjectName("viewUpdateTurn")
        self._turn.setSingleShot(True)
        self._turn.setInterval(0)  # the next turn: after the paints the last one caused
        self._turn.timeout.connect(self._next_dock)

    @staticmethod
    def showing(dock: QDockWidget) -> bool:
        """True when the dock's contents can be seen: shown, and the current tab if tabbed
        (Qt hides the docks of the other tabs)."""
        return dock.isVisible() and not dock.visibleRegion().isEmpty()

    def send(self, dock: QDockWidget, method: Callable, value, accumulate: bool = False):
        key = (id(dock), method)
        if id(dock) not in self._docks:
            self._docks[id(dock)] = dock
            dock.visibilityChanged.connect(lambda visible, d=dock: visible and self._shown(d))
        if accumulate:
            self._pending.setdefault(key, [method, []])[1].extend(value)
        else:
            self._pending[key] = [method, value]
        if self.showing(dock):
            if id(dock) not in self._due:
                self._due.append(id(dock))
            if not self._turn.isActive():
                self._turn.start()

    def pending(self, dock: QDockWidget) -> int:
        """How many updates of ``dock`` are held back."""
        return sum(1 for (dock_id, _m) in self._pending if dock_id == id(dock))

    def flush(self) -> None:
        """Hand every held-back update to its view now."""
        pending, self._pending = self._pending, {}
        self._due.clear()
        self._turn.stop()
        for method, value in pending.values():
            _call(method, value)

    def clear(self) -> None:
        self._pending = {}
        self._due.clear()
        self._turn.stop()

    def _next_dock(self) -> None:
        """One showing dock's updates (a dock hidden meanwhile keeps them until it shows)."""
        while self._due:
            dock = self._docks.get(self._due.pop(0))
            if dock is not None and self.showing(dock):
                self._shown(dock)
                break
        if self._due:
            self._turn.start()

    def _shown(self, dock: QDockWidget) -> None:
        for key in [k for k in self._pending if k[0] == id(dock)]:
            method, value = self._pending.pop(key)
            _call(method, value)


def _call(method: Callable, value) -> None:
    """``method(value)``; one view that fails leaves the others their updates."""
    try:
        method(value)
    except Exception:  # noqa: BLE001 - a view's drawing error must not stop the rest
        log.exception("a view could not show an update")
