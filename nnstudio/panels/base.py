"""What every settings panel shares: it mirrors a part of the session's document."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


class DocumentPanel(QWidget):
    """A panel that shows part of the document and edits it through undo commands.

    ``refresh()`` (the subclass's) runs once at the start and after every change whose kind is
    in ``KINDS`` or that replaced the whole document.  The session keeps one Project object
    for its lifetime, so one subscription serves every document it shows.
    """

    KINDS: tuple[str, ...] = ()

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self._updating = False  # True while refresh() writes widgets: edits are not echoed
        unsubscribe = session.project.subscribe(self._on_change)
        self.destroyed.connect(lambda *_a: unsubscribe())

    def _on_change(self, change) -> None:
        if change.kind in self.KINDS or change.kind == "reset":
            self.refresh()

    def refresh(self) -> None:
        raise NotImplementedError
