"""The one error family of the project file: every way a file can fail ends in one of these.

``load`` raises nothing but :class:`ProjectFileError` (or a subclass): a missing file, a
truncated zip, a bad JSON value and a weight of the wrong shape all surface as one typed error
whose message says what is wrong and what a person can do, and whose ``where`` points at the
place in the file ("project.json: document.network.nodes[2].type",
"weights/run1/h1.weight.npy").  The command line prints ``str(error)``; the GUI shows it in
a message box.
"""

from __future__ import annotations

import os


class ProjectFileError(Exception):
    """A project file that cannot be read (or written).

    Attributes
    ----------
    path : str or None
        The file concerned (None for in-memory bytes without a name).
    where : str or None
        The place inside the file: a zip member and, for JSON, the path of the value
        (``"project.json: document.training.epochs"``).  None when the file as a whole is at
        fault (missing, empty, not a zip archive).
    reason : str
        What is wrong and what to do, without the path and the place.
    unexpected : bool
        True only when the reader met a condition its checks did not foresee and wrapped the
        original exception (kept as ``__cause__``); the tests treat that as a bug.
    """

    unexpected = False

    def __init__(self, reason: str, path: str | os.PathLike | None = None,
                 where: str | None = None):
        self.reason = reason
        self.path = None if path is None else os.fspath(path)
        self.where = where
        super().__init__(self._message())

    def _message(self) -> str:
        parts = [p for p in (self.path, self.where) if p]
        return ": ".join(parts + [self.reason])


class NotAProjectError(ProjectFileError):
    """The file is not an NN Studio project at all (empty, not a zip, no project.json, or
    another program's file)."""


class NewerFormatError(ProjectFileError):
    """The file was written by a newer NN Studio whose format this version does not know.

    ``found`` is the file's format version, ``supported`` the newest this version reads.
    """

    def __init__(self, found: int, supported: int, app_version: str | None = None,
                 path=None, where: str | None = None):
        self.found, self.supported, self.app_version = found, supported, app_version
        by = f"NN Studio {app_version}" if app_version else "a newer NN Studio"
        super().__init__(
            f"this project was saved by {by} (file format {found}); this version of NN "
            f"Studio reads file formats up to {supported}: update NN Studio to open it",
            path, where)


class CorruptProjectError(ProjectFileError):
    """An NN Studio project whose content is damaged or invalid: a truncated archive, a
    checksum mismatch, bad JSON, a value of the wrong type, weights that do not fit."""


class ProjectLimitError(CorruptProjectError):
    """The file exceeds a safety limit (members, sizes, compression ratio): refused before
    anything is decompressed, to protect against zip bombs."""


class ProjectSaveError(ProjectFileError):
    """Saving failed; the message says why and that the previous file is unchanged."""
