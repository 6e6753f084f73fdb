"""Autosave and crash recovery.

While a document has unsaved changes, the window saves a copy every few minutes to the
application-data folder (``QStandardPaths.AppDataLocation``/autosave), with a small JSON
note of the file it belongs to and the process that wrote it.  A clean exit deletes the copy.
When NN Studio starts and finds copies whose process is gone, it offers to recover them.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass

from PySide6.QtCore import QStandardPaths

from nnstudio.document.errors import ProjectFileError
from nnstudio.document.model import Project


def folder() -> str:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    path = os.path.join(base, "autosave")
    os.makedirs(path, exist_ok=True)
    return path


@dataclass
class Recoverable:
    """An autosaved document left behind by a session that did not end cleanly."""

    data_path: str
    note_path: str
    original_path: str | None
    saved_at: float

    def load(self) -> Project:
        from nnstudio.document import project_file  # not needed before the first save

        return project_file.load(self.data_path)

    def discard(self) -> None:
        for path in (self.data_path, self.note_path):
            try:
                os.remove(path)
            except FileNotFoundError:
                pass


class Autosaver:
    """Writes one session's autosave copy; ``clear()`` removes it after a save or on exit."""

    def __init__(self):
        self.key = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"

    @property
    def data_path(self) -> str:
        return os.path.join(folder(), f"{self.key}.nnproj")

    @property
    def note_path(self) -> str:
        return os.path.join(folder(), f"{self.key}.json")

    def save(self, project: Project, original_path: str | None) -> None:
        from nnstudio.document import project_file

        project_file.save(project, self.data_path)
        note = {"original_path": original_path, "pid": os.getpid(), "saved_at": time.time()}
        tmp = self.note_path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(note, f)
        os.replace(tmp, self.note_path)

    def clear(self) -> None:
        Recoverable(self.data_path, self.note_path, None, 0).discard()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def leftovers() -> list[Recoverable]:
    """Autosaved documents whose writing process is no longer running, newest first."""
    found = []
    base = folder()
    for name in os.listdir(base):
        if not name.endswith(".json"):
            continue
        note_path = os.path.join(base, name)
        data_path = note_path[:-5] + ".nnproj"
        try:
            with open(note_path, encoding="utf-8") as f:
                note = json.load(f)
            pid = int(note["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if _alive(pid):
            continue
        if not os.path.exists(data_path):
            # the process died before (or while) writing its copy: nothing to recover
            Recoverable(data_path, note_path, None, 0).discard()
            continue
        found.append(Recoverable(data_path, note_path, note.get("original_path"),
                                 float(note.get("saved_at", 0))))
    return sorted(found, key=lambda r: -r.saved_at)


__all__ = ["Autosaver", "Recoverable", "leftovers", "folder", "ProjectFileError"]
