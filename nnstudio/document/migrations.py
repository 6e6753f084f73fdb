"""Versions of the project file format and the migrations between them.

Every change to the layout of the file -- of ``project.json``, even by an added key, or of
the archive's members -- raises :data:`FORMAT_VERSION` by one and registers a migration from
the previous version::

    @migration(2)
    def _positions_become_objects(data: dict) -> dict:
        for node in data["document"]["network"]["nodes"]:
            x, y = node["position"]
            node["position"] = {"x": x, "y": y}
        return data

A migration takes the whole parsed ``project.json`` of version ``v`` and returns it in the
layout of version ``v + 1`` (``format_version`` is updated by :func:`migrate`, not by the
migration).  On load, :func:`migrate` applies them in sequence up to the current version, and
only then is the document validated: a file is either read completely, as the current format,
or refused -- never half-read.  A file from a newer NN Studio is refused with
:class:`~nnstudio.document.errors.NewerFormatError` before anything else of it is looked at.

A change of the archive's members registers, beside it, an *archive migration*
(:func:`archive_migration`): a function that renames, splits or drops members of a version
``v`` archive through an :class:`Archive` view, without reading their data, so that the reader
then finds the current layout.  The reader applies them (:func:`migrate_archive`) after the
document has been migrated and validated and before it checks the members against it.

Format 1 -> 2: a run's weights moved from one nested ``weights/<run id>[.best].npz`` archive
to one stored member per array, ``weights/<run id>[.best]/<parameter>.npy``
(:mod:`nnstudio.document.members`); ``project.json`` did not change.

Format 2 -> 3: each run gained ``preprocessor``, the preprocessing fitted on its training
rows (null for runs saved before, which predict from already encoded inputs as they did).
"""

from __future__ import annotations

import re
from typing import Callable, Protocol

from . import members
from .errors import CorruptProjectError, NewerFormatError, ProjectFileError

FORMAT_NAME = "nnstudio-project"
FORMAT_VERSION = 3

#: ``{from_version: function(dict) -> dict}``: the migration from ``from_version`` to the next.
MIGRATIONS: dict[int, Callable[[dict], dict]] = {}


class Archive(Protocol):
    """What an archive migration sees of the file (the reader implements it)."""

    def names(self) -> list[str]:
        """The members' names, in the archive's order."""

    def nested(self, name: str) -> list[str]:
        """The names of the members of the zip archive that member ``name`` holds (its
        directory is checked against the safety limits; nothing else is read)."""

    def rename(self, old: str, new: str) -> None:
        """Give member ``old`` the name ``new`` (errors still call it by its real name)."""

    def expand(self, name: str, renames: dict[str, tuple[str, str]], folder: str) -> None:
        """Replace member ``name`` by the members of its nested archive:
        ``renames[inner name] = (new name, how errors call it)``; ``folder`` is where they go
        (errors about a member missing from it name ``name``)."""

    def fail(self, reason: str, where: str) -> None:
        """Raise the reader's error for a damaged file."""


#: ``{from_version: function(Archive)}``: the archive's part of a migration, where it has one.
ARCHIVE_MIGRATIONS: dict[int, Callable[[Archive], None]] = {}


def migration(from_version: int) -> Callable[[Callable[[dict], dict]], Callable[[dict], dict]]:
    """Decorator that registers the migration from ``from_version`` to ``from_version + 1``."""

    def register(function: Callable[[dict], dict]) -> Callable[[dict], dict]:
        if from_version in MIGRATIONS:
            raise ValueError(f"there is already a migration from format {from_version}")
        MIGRATIONS[from_version] = function
        return function

    return register


def migrate(data: dict, path=None, app_version: str | None = None) -> dict:
    """Bring ``data`` (a parsed ``project.json`` whose ``format_version`` is a whole number)
    to :data:`FORMAT_VERSION`.

    Raises
    ------
    NewerFormatError
        The file is newer than this version of NN Studio reads.
    ProjectFileError
        The version is below 1, or no migration leads from it to the current one.
    CorruptProjectError
        A migration failed on this file's content.
    """
    version = data["format_version"]
    current = FORMAT_VERSION  # read at call time: tests patch it
    where = "project.json: format_version"
    if version > current:
        raise NewerFormatError(version, current, app_version, path, where)
    if version < 1:
        raise CorruptProjectError(
            f"format version {version} does not exist (versions start at 1); the file is "
            "damaged", path, where)
    while version < current:
        step = MIGRATIONS.get(version)
        if step is None:
            raise ProjectFileError(
                f"file format {version} can no longer be read by this version of NN Studio "
                f"(it reads formats {min(MIGRATIONS, default=current)} to {current}); open "
                "and save the file with an older NN Studio first", path, where)
        try:
            data = step(data)
        except ProjectFileError:
            raise
        except Exception as exc:  # a migration meeting content it did not expect
            raise CorruptProjectError(
                f"could not convert the file from format {version} to format {version + 1} "
                f"({type(exc).__name__}: {exc}); the file is damaged", path,
                "project.json") from exc
        if not isinstance(data, dict):
            raise TypeError(f"the migration from format {version} returned "
                            f"{type(data).__name__}, not a dict")
        version += 1
        data["format_version"] = version
    return data


def archive_migration(from_version: int) -> Callable[[Callable[[Archive], None]],
                                                     Callable[[Archive], None]]:
    """Decorator that registers the archive's part of the migration from ``from_version``."""

    def register(function: Callable[[Archive], None]) -> Callable[[Archive], None]:
        if from_version in ARCHIVE_MIGRATIONS:
            raise ValueError(f"there is already an archive migration from format {from_version}")
        ARCHIVE_MIGRATIONS[from_version] = function
        return function

    return register


def migrate_archive(version: int, archive: Archive, path=None) -> None:
    """Apply the archive migrations from format ``version`` (the file's, before
    :func:`migrate`) up to :data:`FORMAT_VERSION`."""
    for v in range(version, FORMAT_VERSION):
        step = ARCHIVE_MIGRATIONS.get(v)
        if step is None:
            continue
        try:
            step(archive)
        except ProjectFileError:
            raise
        except Exception as exc:
            raise CorruptProjectError(
                f"could not convert the archive from format {v} to format {v + 1} "
                f"({type(exc).__name__}: {exc}); the file is damaged", path) from exc


# == 1 -> 2: weights as one stored .npy member per array ========================================
_V1_WEIGHTS = re.compile(r"weights/([A-Za-z0-9_-]{1,64}(?:\.best)?)\.npz")


@migration(1)
def _project_json_unchanged(data: dict) -> dict:
    return data  # format 2 changed only the archive (below)


@archive_migration(1)
def _npz_weights_become_npy_members(archive: Archive) -> None:
    """``weights/run1.npz`` (an ``np.savez`` archive of ``<parameter>.npy`` members) becomes
    ``weights/run1/<quoted parameter>.npy``; likewise ``weights/run1.best.npz``.  The arrays
    are not copied: the new members are the nested archive's own stored members, read where
    they lie in the file."""
    for name in archive.names():
        match = _V1_WEIGHTS.fullmatch(name)
        if match is None:
            continue  # anything else under weights/ is refused as undeclared later
        folder = f"{members.WEIGHTS_DIR}{match[1]}/"
        renames = {}
        for inner in archive.nested(name):
            if not inner.endswith(members.NPY):
                archive.fail(f"holds {inner!r}, which is not an array (.npy)", name)
            parameter = inner[:-len(members.NPY)]
            renames[inner] = (members.array_member(folder, parameter), f"{name}: {parameter}")
        archive.expand(name, renames, folder)


# == 2 -> 3: a run stores its fitted preprocessing ============================================
@migration(2)
def _runs_gain_a_preprocessor(data: dict) -> dict:
    document = data.get("document")
    runs = document.get("runs") if isinstance(document, dict) else None
    for run in runs if isinstance(runs, list) else ():
        if isinstance(run, dict):  # anything else is refused, with its place, by validation
            run.setdefault("preprocessor", None)
    return data
