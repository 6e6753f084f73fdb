"""The names of a project file's members (format 2): one place for the reader, the writer and
the migrations.

::

    project.json                              the header and the document
    data/<name>                               an embedded file
    weights/<run id>/<parameter>.npy          one array of a run's last weights
    weights/<run id>.best/<parameter>.npy     one array of its best epoch's weights

A parameter name (``"<node id>.<parameter>"``; node ids are any text) is percent-encoded in
its member name as ``urllib.parse.quote(name, safe="")`` does: every byte of its UTF-8 form
other than ASCII letters, digits and ``-._~`` becomes ``%XX``, so that ``h1.weight`` stays
``h1.weight.npy`` and no name can hold a ``/`` (a folder), a ``\\``, a ``:`` or a control
character.  Run ids are letters, digits, ``_`` and ``-`` only, so ``<run id>.best`` never
names another run's folder.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

PROJECT_JSON = "project.json"
WEIGHTS_DIR = "weights/"
DATA_DIR = "data/"
NPY = ".npy"
BEST = ".best"


def weights_folder(run_id: str, best: bool = False) -> str:
    """``weights/<run id>/`` or ``weights/<run id>.best/``."""
    return f"{WEIGHTS_DIR}{run_id}{BEST if best else ''}/"


def array_member(folder: str, parameter: str) -> str:
    """The member of one parameter's array in a weights folder."""
    return folder + quote(parameter, safe="") + NPY


def parameter_of(member: str, folder: str) -> str | None:
    """The parameter a member of ``folder`` names (decoded), or None if it names none (a
    sub-folder, another extension)."""
    stem = member[len(folder):]
    if not member.startswith(folder) or not stem.endswith(NPY) or "/" in stem:
        return None
    return unquote(stem[:-len(NPY)], errors="replace")
