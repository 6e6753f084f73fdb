"""Versions of the project file format and the migrations between them.

Every change to the layout of ``project.json`` -- even an added key -- raises
:data:`FORMAT_VERSION` by one and registers a migration from the previous version::

    @migration(1)
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

There is no older format yet; the mechanism is exercised by tests that register temporary
migrations.
"""

from __future__ import annotations

from typing import Callable

from .errors import CorruptProjectError, NewerFormatError, ProjectFileError

FORMAT_NAME = "nnstudio-project"
FORMAT_VERSION = 1

#: ``{from_version: function(dict) -> dict}``: the migration from ``from_version`` to the next.
MIGRATIONS: dict[int, Callable[[dict], dict]] = {}


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
