"""A session: the open project, its undo stack and the file it belongs to.

The main window shows one session.  Opening, saving, reverting and starting anew happen
here; the window only asks the person (file names, save / discard / cancel) and shows errors.
"""

from __future__ import annotations

import copy
import os

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QUndoStack

from nnstudio.document import examples
from nnstudio.document.model import Project


class Session(QObject):
    """The document, its undo stack and its file.

    Signals
    -------
    stateChanged()
        The file name or the modified state changed (title bar, status bar).
    documentReplaced()
        A different document is shown (new, open, revert, recover): views rebuild.
    """

    stateChanged = Signal()
    documentReplaced = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.project = Project()
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setObjectName("undoStack")
        self.path: str | None = None
        self.untitled_name = ""
        # a bound slot, not a lambda: Qt drops the connection when the session is destroyed,
        # before the undo stack (a child) announces its last clean change from its destructor
        self.undo_stack.cleanChanged.connect(self._clean_changed)

    @Slot(bool)
    def _clean_changed(self, _clean: bool) -> None:
        self.stateChanged.emit()

    # -- state ----------------------------------------------------------------------------
    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    def display_name(self) -> str:
        if self.path:
            return os.path.basename(self.path)
        return self.untitled_name or self.tr("Untitled")

    def push(self, command) -> None:
        """Apply an edit (an undo command)."""
        self.undo_stack.push(command)

    # -- whole documents ------------------------------------------------------------------
    def _replace(self, project: Project, path: str | None, clean: bool = True,
                 untitled_name: str = "") -> None:
        self.project.replace_with(project)
        self.undo_stack.clear()
        self.path = path
        self.untitled_name = untitled_name
        if clean:
            self.undo_stack.setClean()
        else:
            # a recovered document has unsaved changes: make the stack dirty without an
            # undoable step (resetClean marks "no state is clean")
            self.undo_stack.resetClean()
        self.documentReplaced.emit()
        self.stateChanged.emit()

    def new(self, project: Project | None = None, name: str = "") -> None:
        """Start a new, untitled document (an empty project unless one is given)."""
        self._replace(copy.deepcopy(project) if project is not None else Project(), None,
                      untitled_name=name)

    def open(self, path: str) -> None:
        """Load ``path``; raises ProjectFileError and leaves the session as it was."""
        from nnstudio.document import project_file  # kept off the start-up path (0.07 s)

        project = project_file.load(path)
        self._replace(project, os.path.abspath(path))

    def open_example(self, name: str) -> None:
        """A new untitled document made from a built-in example."""
        self.new(examples.EXAMPLES[name](), name=f"{name}.nnproj")

    def save(self, path: str | None = None) -> None:
        """Save to ``path`` (or the current file); raises ProjectFileError and keeps the
        session's state on failure."""
        target = os.path.abspath(path or self.path or "")
        if not (path or self.path):
            raise ValueError("save needs a file name for an untitled document")
        from nnstudio.document import project_file

        project_file.save(self.project, target)
        self.path = target
        self.untitled_name = ""
        self.undo_stack.setClean()
        self.stateChanged.emit()

    def revert(self) -> None:
        """Reload the file from disk, dropping unsaved changes."""
        if not self.path:
            raise ValueError("an untitled document has no file to revert to")
        self.open(self.path)

    def recover(self, project: Project, path: str | None) -> None:
        """Show a recovered document: it belongs to ``path`` and is unsaved."""
        self._replace(project, path, clean=False)
