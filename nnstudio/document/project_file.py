"""The project file (``.nnproj``): save a :class:`~nnstudio.document.model.Project` and load
it back exactly, Qt-free (the command line and the tests use it without a display).

A project file is a zip archive (the layout is documented for other programs in
``docs/file-format.md``; member names in :mod:`nnstudio.document.members`)::

    project.json                           {"format", "format_version", "app_version", "saved",
                                            "document"}
    data/<name>                            embedded data files (deflated)
    weights/<run id>/<parameter>.npy       a run's last weights, one stored .npy per array
    weights/<run id>.best/<parameter>.npy  its best epoch's weights

Loading trusts nothing: the zip directory is checked against safety limits before any member
is read; ``project.json`` goes through the migrations (``migrations.py``) and every value is
then validated with a precise location (``validation.py``); arrays are read with
``allow_pickle=False`` semantics (only little-endian float32 / float64 ``.npy`` members are
accepted), straight from the file into their arrays, their CRC-32 checked on two threads
(``zipio.py``), and checked against the network each run was trained on.  Every failure is a
:class:`~nnstudio.document.errors.ProjectFileError`.  Saving validates the same way (a file
that would not load again is never written) and is atomic: a temporary file in the same
folder, flushed and fsynced, then renamed over the old one.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import math
import os
import secrets
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

import nnstudio

from . import migrations, zipio
from .errors import (CorruptProjectError, NotAProjectError, ProjectFileError,
                     ProjectLimitError, ProjectSaveError)
from .members import (DATA_DIR, PROJECT_JSON, WEIGHTS_DIR, array_member, parameter_of,
                      weights_folder)
from .model import Project, Run
from .validation import (RUN_STATUSES, Checker, DocumentReader, describe, is_int,
                         parse_json, subpath)

__all__ = ["save", "load", "dumps", "loads", "SUFFIX", "PROJECT_JSON", "MAX_MEMBERS",
           "MAX_DIRECTORY_BYTES", "MAX_JSON_BYTES", "MAX_TOTAL_BYTES", "MAX_RATIO",
           "RUN_STATUSES"]

SUFFIX = ".nnproj"

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
# Safety limits, checked from the zip directory before any member is read.
MAX_MEMBERS = 10_000                 # members in the archive
MAX_DIRECTORY_BYTES = 4 * MiB        # size of the zip central directory
MAX_JSON_BYTES = 64 * MiB            # project.json, uncompressed
MAX_TOTAL_BYTES = 16 * GiB           # all members together, uncompressed
MAX_RATIO = 200                      # a deflated member expands at most this much ...
RATIO_SLACK = 64 * KiB               # ... plus this (tiny members compress unevenly)
NPY_HEADER_SLACK = 4 * KiB           # a weights member: 8 bytes per value plus this

WEIGHT_DTYPES = ("<f4", "<f8")       # float32 / float64, little-endian
_NPY_MAGIC = b"\x93NUMPY"

# What zipfile raises on a damaged archive (NotImplementedError: a garbled "version needed").
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError,
               ValueError, NotImplementedError, RuntimeError, struct.error, OverflowError)


# == public API ===============================================================================
def save(project: Project, path: str | os.PathLike) -> None:
    """Write ``project`` to ``path`` atomically.

    The project is validated first (a file that would not load again is never written); the
    archive goes to a temporary file in the same folder, is flushed and fsynced, and then
    replaces ``path`` in one rename.  On any failure the temporary file is removed, the
    previous file at ``path`` is left as it was, and :class:`ProjectSaveError` says why.
    """
    target = os.path.realpath(os.fspath(path))  # through a symlink: replace the real file
    existed = os.path.exists(target)
    kept = "the previous file is unchanged" if existed else "no file was written"
    plan = _prepare(project, None, target, kept)
    folder, name = os.path.split(target)
    tmp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
    try:
        # 0o666 lets the umask decide a new file's permissions, as for any saved document
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
    except OSError as exc:
        raise ProjectSaveError(f"could not create a file in {folder} ({_os_reason(exc)}); "
                               f"{kept}", target) from exc
    try:
        with os.fdopen(fd, "wb") as f:
            _write(plan, f)
            f.flush()
            os.fsync(f.fileno())
        if existed:
            try:
                os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
            except OSError:
                pass  # keeping the old permissions is a courtesy, not a condition
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, ProjectSaveError):
            raise
        if isinstance(exc, Exception):
            raise ProjectSaveError(f"could not write the project ({_os_reason(exc)}); {kept}",
                                   target) from exc
        raise
    _fsync_folder(folder)


def load(path: str | os.PathLike) -> Project:
    """Read a project file; raises :class:`ProjectFileError` (only) when it cannot."""
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise ProjectFileError(f"cannot open the file ({_os_reason(exc)})", path) from exc
    with f:
        try:
            source = zipio.FileSource(f)
        except OSError as exc:
            raise ProjectFileError(f"cannot read the file ({_os_reason(exc)})", path) from exc
        return _read(f, source, path)


def dumps(project: Project, *, saved: _dt.datetime | None = None) -> bytes:
    """The bytes :func:`save` would write (``saved``: the time to record, default now)."""
    plan = _prepare(project, saved, None, "nothing was written")
    buffer = io.BytesIO()
    _write(plan, buffer)
    return buffer.getvalue()


def loads(data: bytes, name: str | None = None) -> Project:
    """Read a project from bytes (``name`` appears in error messages)."""
    data = bytes(data)
    return _read(io.BytesIO(data), zipio.MemorySource(data), name)


# == reading ==================================================================================
def _read(f: BinaryIO, source, path) -> Project:
    try:
        return _Reader(f, source, path).project()
    except ProjectFileError:
        raise
    except MemoryError as exc:
        raise ProjectLimitError("there is not enough memory to open this project", path) from exc
    except Exception as exc:  # the last line of defence: a check nobody thought of
        error = CorruptProjectError(
            f"the file could not be read ({type(exc).__name__}: {exc}); it is probably "
            "damaged", path)
        error.unexpected = True
        raise error from exc


@dataclass
class _Member:
    """A member as the reader sees it: a name in the current layout, how errors call it (its
    place in the real file), its directory entry, and where its bytes are (``source``; the
    entry's ``header_offset`` counts from ``base``: a member of a nested archive in a format-1
    file lies inside another member)."""

    name: str
    where: str
    info: zipfile.ZipInfo
    source: Any
    base: int = 0

    def encoded_name(self) -> bytes:
        encoding = "utf-8" if self.info.flag_bits & 0x800 else "cp437"
        return self.info.orig_filename.encode(encoding, "replace")


class _Reader:
    """Reads one archive: container, project.json, document, embedded files, weights."""

    def __init__(self, f: BinaryIO, source, path):
        self.f, self.source, self.path = f, source, path
        self.origins: dict[str, str] = {}  # weights folder -> the format-1 member it was

    def fail(self, reason: str, where: str | None = None, cls=CorruptProjectError):
        raise cls(reason, self.path, where)

    # -- container ----------------------------------------------------------------------
    def project(self) -> Project:
        f = self.f
        size = f.seek(0, io.SEEK_END)
        f.seek(0)
        head = f.read(30 + len(PROJECT_JSON))
        # Our files begin with project.json; if the directory then lacks it, the directory
        # found is that of something nested in a truncated file, not the project's own.
        begins_as_project = head[:4] == b"PK\x03\x04" and head[30:] == PROJECT_JSON.encode()
        head = head[:4]
        if size == 0:
            self.fail("the file is empty (0 bytes), so it holds no project; it may have been "
                      "cut off while it was copied or saved", cls=NotAProjectError)
        self.check_directory(f, size, None)
        try:
            archive = zipfile.ZipFile(f)
        except _ZIP_ERRORS as exc:
            if head == b"PK\x03\x04":
                self.fail(f"the zip archive is damaged or incomplete ({exc}); the file may have "
                          "been truncated: use a backup copy")
            hint = " (it looks like a JSON file; open the .nnproj archive itself)" if (
                head.lstrip()[:1] in (b"{", b"[")) else ""
            self.fail(f"this is not an NN Studio project: it is not a zip archive{hint}",
                      cls=NotAProjectError)
        with archive:
            members = self.members(archive)
            if PROJECT_JSON not in members and begins_as_project:
                self.fail(f"the archive is damaged or truncated: its directory does not list "
                          f"the {PROJECT_JSON} it begins with; use a backup copy")
            if PROJECT_JSON not in members:
                self.fail(f"the archive has no {PROJECT_JSON}, so it is not an NN Studio "
                          "project (or it is damaged)", cls=NotAProjectError)
            raw = self.member_bytes(archive, members[PROJECT_JSON], MAX_JSON_BYTES)
            data, version = self.header(parse_json(raw, self.path))
            doc = DocumentReader(self.path)
            project = doc.document(data["document"])
            if version < migrations.FORMAT_VERSION:
                view = _ArchiveView(self, members)
                migrations.migrate_archive(version, view, self.path)
                members = view.members
            self.check_members(members, project, doc)
            for name in doc.embedded:
                info = members[DATA_DIR + name]
                project.embedded[name] = self.member_bytes(archive, info, MAX_TOTAL_BYTES)
            for run in project.runs:
                layout = doc.layouts[run.id]
                last, best = doc.has_weights[run.id]
                if last:
                    run.weights = self.weights(members, weights_folder(run.id), layout, run)
                if best:
                    run.best_weights = self.weights(members, weights_folder(run.id, True),
                                                    layout, run)
        return project

    def check_directory(self, f, size: int, where: str | None) -> None:
        try:
            zipio.check_directory(f, size, MAX_MEMBERS, MAX_DIRECTORY_BYTES)
        except zipio.DirectoryTooLarge as exc:
            entries, cd_size = exc.args
            what = f"{entries} members" if entries > MAX_MEMBERS else (
                f"a {_size(cd_size)} directory")
            self.fail(f"the archive declares {what}; a project has at most {MAX_MEMBERS} "
                      f"members and a directory of {_size(MAX_DIRECTORY_BYTES)}: refused as "
                      "damaged or hostile", where, ProjectLimitError)

    def members(self, archive: zipfile.ZipFile, source=None, base: int = 0,
                where: str | None = None) -> dict[str, _Member]:
        """The directory of ``archive`` (the project file's own, or one nested in member
        ``where`` of a format-1 file), checked for duplicate names and the limits."""
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            self.fail(f"the archive has {len(infos)} members; a project has at most "
                      f"{MAX_MEMBERS}", where, ProjectLimitError)
        members: dict[str, _Member] = {}
        total = 0
        for info in infos:
            label = info.filename if where is None else f"{where}: {info.filename}"
            if info.filename in members:
                self.fail("the archive holds two members of this name; it is damaged", label)
            members[info.filename] = _Member(info.filename, label, info,
                                             self.source if source is None else source, base)
            total += info.file_size
        if total > MAX_TOTAL_BYTES:
            self.fail(f"the archive's members add up to {_size(total)} uncompressed; a "
                      f"project may hold at most {_size(MAX_TOTAL_BYTES)}", where,
                      ProjectLimitError)
        return members

    def check_member(self, member: _Member, limit: int) -> None:
        info, where = member.info, member.where
        if info.flag_bits & 0x1:
            self.fail("is encrypted; NN Studio projects are never encrypted", where)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            self.fail(f"uses compression method {info.compress_type}; project files use only "
                      "stored (0) or deflated (8) members", where)
        if info.file_size > limit:
            self.fail(f"declares {_size(info.file_size)} uncompressed, more than the "
                      f"{_size(limit)} this member may hold", where, ProjectLimitError)
        if info.compress_type == zipfile.ZIP_DEFLATED and (
                info.file_size > MAX_RATIO * info.compress_size + RATIO_SLACK):
            self.fail(f"would expand from {_size(info.compress_size)} to "
                      f"{_size(info.file_size)} (more than {MAX_RATIO} times): refused as a "
                      "possible zip bomb", where, ProjectLimitError)
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            self.fail("is stored uncompressed but declares two different sizes; the archive "
                      "is damaged", where)

    def member_bytes(self, archive: zipfile.ZipFile, member: _Member, limit: int) -> bytes:
        """A member of the project file's own directory, read (and its CRC checked) by
        ``zipfile``."""
        self.check_member(member, limit)
        try:
            with archive.open(member.info) as stream:
                data = stream.read()
        except _ZIP_ERRORS as exc:
            self.fail(f"cannot be read: the archive is damaged or truncated ({exc})",
                      member.where)
        if len(data) != member.info.file_size:
            self.fail(f"holds {len(data)} bytes but the archive declares "
                      f"{member.info.file_size}; it is damaged", member.where)
        return data

    def data_start(self, member: _Member) -> int:
        """Where the member's data starts in its source (after its local header), checked to
        lie wholly inside the source."""
        try:
            start = zipio.data_offset(member.source, member.base + member.info.header_offset,
                                      member.encoded_name())
        except zipio.BadHeader as exc:
            self.fail(f"{exc.args[0]}; the file is damaged or truncated", member.where)
        except zipio.Truncated:
            self.fail("ends early: the file is truncated", member.where)
        if start + member.info.compress_size > member.source.size:
            self.fail("ends early: the file is truncated", member.where)
        return start

    def inflate(self, member: _Member) -> bytes:
        """A deflated member's bytes (any member, nested ones too), CRC checked; its limits
        were checked already."""
        info = member.info
        start = self.data_start(member)
        raw = zipio.read_exact(member.source, start, info.compress_size)
        try:
            inflater = zlib.decompressobj(-15)
            data = inflater.decompress(raw, info.file_size + 1)
        except zlib.error as exc:
            self.fail(f"cannot be decompressed ({exc}); the file is damaged", member.where)
        if len(data) != info.file_size or not inflater.eof:
            self.fail(f"does not decompress to the {info.file_size} bytes it declares; the file "
                      "is damaged", member.where)
        if zlib.crc32(data) != info.CRC:
            self.fail("fails its checksum (CRC-32): the file is damaged", member.where)
        return data

    def header(self, data: Any) -> tuple[dict, int]:
        """The header checked and migrated to the current format, and the file's version."""
        where = PROJECT_JSON
        if not isinstance(data, dict):
            self.fail(f"must hold a JSON object, but it holds {describe(data)}", where)
        if "format" not in data:
            self.fail("has no 'format' key, so it is not an NN Studio project",
                      where, NotAProjectError)
        if data["format"] != migrations.FORMAT_NAME:
            self.fail(f"this is a {describe(data['format'])} file, not an NN Studio project "
                      f"({migrations.FORMAT_NAME!r})", f"{where}: format", NotAProjectError)
        version = data.get("format_version")
        if not is_int(version):
            got = "missing" if "format_version" not in data else f"got {describe(version)}"
            self.fail(f"must be a whole number ({got}); the file is damaged",
                      f"{where}: format_version")
        app = data.get("app_version")
        data = migrations.migrate(data, self.path, app if isinstance(app, str) else None)
        check = Checker(self.path)
        check.obj(data, "", ("format", "format_version", "app_version", "saved", "document"))
        check.string(data["app_version"], "app_version")
        check.string(data["saved"], "saved")
        return data, version

    def check_members(self, members: dict[str, _Member], project: Project,
                      doc: DocumentReader) -> None:
        """The archive holds exactly what project.json declares under data/ and weights/."""
        expected = dict.fromkeys([PROJECT_JSON] + [DATA_DIR + n for n in doc.embedded])
        folders: dict[str, Run] = {}
        for run in project.runs:
            for best, present in zip((False, True), doc.has_weights[run.id]):
                if present:
                    folder = weights_folder(run.id, best)
                    folders[folder] = run
                    expected.update(dict.fromkeys(array_member(folder, p)
                                                  for p in doc.layouts[run.id]))
        for name in expected:
            if name in members:
                continue
            if name.startswith(DATA_DIR):
                self.fail(f"is missing from the archive, though {PROJECT_JSON} lists it; the "
                          "file is damaged or incomplete", name)
            folder = name[:name.index("/", len(WEIGHTS_DIR)) + 1]
            parameter = parameter_of(name, folder)
            where = f"{self.origins[folder]}: {parameter}" if folder in self.origins else name
            self.fail(f"the parameter {parameter} of run {folders[folder].id!r} is missing "
                      "from the archive; the file is damaged or incomplete", where)
        # weights/ and data/ belong to the format: anything there it does not declare means
        # project.json and the archive disagree.  Other members are ignored (never read).
        for name, member in members.items():
            if not name.startswith((WEIGHTS_DIR, DATA_DIR)) or name.endswith("/") or (
                    name in expected):
                continue
            folder = name[:name.find("/", len(WEIGHTS_DIR)) + 1]
            parameter = parameter_of(name, folder) if folder in folders else None
            if parameter is not None:
                run = folders[folder]
                layout = doc.layouts[run.id]
                if parameter in layout:
                    self.fail(f"names the parameter {parameter} in a spelling NN Studio does not "
                              f"write (it writes {array_member(folder, parameter)!r}); the "
                              "file is damaged", member.where)
                self.fail(f"the network of run {run.id!r} has no parameter {parameter!r}; its "
                          f"parameters are: {', '.join(layout) or '(none)'}", member.where)
            self.fail(f"is not listed in {PROJECT_JSON}; the archive and its "
                      f"{PROJECT_JSON} disagree, so the file is damaged", member.where)

    # -- weights ------------------------------------------------------------------------
    def weights(self, members: dict[str, _Member], folder: str, layout: dict,
                run: Run) -> dict[str, np.ndarray]:
        """A run's arrays, in the archive's order (the order they were saved in)."""
        found = [(parameter_of(name, folder), member) for name, member in members.items()
                 if name.startswith(folder) and not name.endswith("/")]
        return {p: self.array(member, layout[p], run) for p, member in found}

    def array(self, member: _Member, shape: tuple, run: Run) -> np.ndarray:
        """One ``.npy`` member: read straight into its array (stored members), its CRC-32
        checked on two threads and its values checked to be finite on the way."""
        info, where = member.info, member.where
        label = f"run {run.id!r}"
        self.check_member(member, 8 * math.prod(shape) + NPY_HEADER_SLACK)
        if info.compress_type == zipfile.ZIP_DEFLATED:  # zipped again by another tool
            source, start = zipio.MemorySource(self.inflate(member)), 0
            checked = True
        else:
            source, start = member.source, self.data_start(member)
            checked = False
        size = info.file_size
        try:
            prefix = zipio.read_exact(source, start, min(size, 12))
        except zipio.Truncated:
            self.fail("ends early: the file is truncated", where)
        if len(prefix) < 10 or prefix[:6] != _NPY_MAGIC:
            self.fail("is not a .npy array (its first bytes are wrong); the file is damaged",
                      where)
        version = (prefix[6], prefix[7])
        if version == (1, 0):
            header_len = 10 + struct.unpack_from("<H", prefix, 8)[0]
        elif version == (2, 0) and len(prefix) == 12:
            header_len = 12 + struct.unpack_from("<L", prefix, 8)[0]
        else:
            self.fail(f"is a .npy file of version {version[0]}.{version[1]}; NN Studio reads "
                      "versions 1.0 and 2.0", where)
        if header_len > size:
            self.fail(f"has a .npy header of {header_len} bytes in a member of {size}; the "
                      "file is damaged", where)
        head = zipio.read_exact(source, start, header_len)
        shape_found, fortran, dtype = self.npy_header(head, version, where)
        if not isinstance(dtype, np.dtype) or dtype.str not in WEIGHT_DTYPES:
            what = ("Python objects (dtype object, a pickle), which NN Studio never reads"
                    if isinstance(dtype, np.dtype) and dtype.hasobject else f"dtype {dtype}")
            self.fail(f"holds {what}; weights are little-endian float32 or float64", where)
        if tuple(shape_found) != tuple(shape):
            self.fail(f"has shape {tuple(shape_found)}, but the network of {label} needs "
                      f"{tuple(shape)} for this parameter", where)
        if size != header_len + math.prod(shape) * dtype.itemsize:
            self.fail(f"declares {size} bytes, but a {tuple(shape)} {dtype} array needs "
                      f"{header_len + math.prod(shape) * dtype.itemsize}; the file is damaged",
                      where)
        flat = np.empty(math.prod(shape), dtype)
        itemsize = dtype.itemsize

        def finite(lo: int, hi: int) -> bool:
            return bool(np.isfinite(flat[lo // itemsize:hi // itemsize]).all())

        try:
            crc, ok = zipio.fill(source, start + header_len, memoryview(flat).cast("B"),
                                 zlib.crc32(head), itemsize, finite)
        except zipio.Truncated:
            self.fail("ends early: the file is truncated", where)
        if not checked and crc != info.CRC:
            self.fail("fails its checksum (CRC-32): the file is damaged", where)
        if not ok:
            self.fail(f"holds NaN or infinite values; the weights of {label} are not usable",
                      where)
        return flat.reshape(shape, order="F" if fortran else "C")

    def npy_header(self, head: bytes, version: tuple, where: str):
        stream = io.BytesIO(head)
        stream.seek(8)
        try:
            if version == (1, 0):
                return np.lib.format.read_array_header_1_0(stream)
            return np.lib.format.read_array_header_2_0(stream)
        except Exception as exc:  # numpy parses the header text; its errors vary by version
            self.fail(f"is not a valid .npy array ({exc}); the file is damaged", where)


class _ArchiveView:
    """The reader's members as an archive migration sees them (``migrations.Archive``)."""

    def __init__(self, reader: _Reader, members: dict[str, _Member]):
        self.reader, self.members = reader, dict(members)
        self._nested: dict[str, dict[str, _Member]] = {}

    def names(self) -> list[str]:
        return list(self.members)

    def fail(self, reason: str, where: str) -> None:
        self.reader.fail(reason, self.members[where].where if where in self.members else where)

    def nested(self, name: str) -> list[str]:
        if name not in self._nested:
            self._nested[name] = self._open(self.members[name])
        return list(self._nested[name])

    def _open(self, member: _Member) -> dict[str, _Member]:
        reader = self.reader
        reader.check_member(member, MAX_TOTAL_BYTES)
        if member.info.compress_type == zipfile.ZIP_DEFLATED:  # zipped again by another tool
            source, start = zipio.MemorySource(reader.inflate(member)), 0
        else:
            source, start = member.source, reader.data_start(member)
        window = zipio.Window(source, start, member.info.file_size)
        reader.check_directory(window, window.size, member.where)
        try:
            nested = zipfile.ZipFile(window)
        except _ZIP_ERRORS as exc:
            reader.fail(f"is not a readable .npz archive ({exc}); the file is damaged",
                        member.where)
        with nested:
            return reader.members(nested, source, start, member.where)

    def rename(self, old: str, new: str) -> None:
        if new in self.members:
            self.reader.fail(f"would become {new!r}, which the archive holds already; the file "
                             "is damaged", self.members[old].where)
        self.members = {(new if k == old else k): v for k, v in self.members.items()}
        self.members[new].name = new

    def expand(self, name: str, renames: dict[str, tuple[str, str]], folder: str) -> None:
        nested = self._nested[name] if name in self._nested else self._open(self.members[name])
        replaced: dict[str, _Member] = {}
        for key, member in self.members.items():
            if key != name:
                replaced[key] = member
                continue
            for inner, m in nested.items():
                new_name, where = renames[inner]
                if new_name in replaced or new_name in self.members:
                    self.reader.fail("holds the same parameter twice; the file is damaged",
                                     where)
                replaced[new_name] = _Member(new_name, where, m.info, m.source, m.base)
        if len(replaced) > MAX_MEMBERS:
            self.reader.fail(f"the archive's weights hold {len(replaced)} arrays and members; "
                             f"a project has at most {MAX_MEMBERS}", name, ProjectLimitError)
        self.members = replaced
        self.reader.origins[folder] = name


def _names_problem(names, layout: dict, label: str) -> tuple[str, str] | None:
    """``(parameter, reason)`` when the weight names differ from the network's."""
    for name in names:
        if name not in layout:
            return name, (f"{label}'s network has no parameter {name!r}; its parameters are: "
                          f"{', '.join(layout) or '(none)'}")
    for name in layout:
        if name not in names:
            return name, f"the parameter {name} of {label} is missing"
    return None


# == writing ===================================================================================
@dataclass
class _Plan:
    """Everything to write, validated: the bytes of project.json, the members' time stamp,
    the embedded files and, for each weights member, its name, .npy header and array.  That
    every weight is finite is checked while it is written (on the threads that compute its
    CRC, in the same pass); ``path`` and ``kept`` word the refusal."""

    project_json: bytes
    date_time: tuple
    embedded: list[tuple[str, bytes]]
    weights: list[tuple[str, bytes, np.ndarray]]
    path: str | None = None
    kept: str = "nothing was written"


def _prepare(project: Project, saved: _dt.datetime | None, path, kept: str) -> _Plan:
    def refuse(reason: str, where: str | None = None):
        raise ProjectSaveError(f"the project cannot be saved: {reason}; {kept}", path, where)

    if not isinstance(project, Project):
        refuse(f"expected a Project, got {type(project).__name__}")
    saved = saved or _dt.datetime.now(_dt.timezone.utc)
    header = {"format": migrations.FORMAT_NAME, "format_version": migrations.FORMAT_VERSION,
              "app_version": nnstudio.__version__,
              "saved": saved.isoformat(timespec="seconds"), "document": project.to_dict()}
    try:
        bad = _not_json(header["document"], "document")
        if bad:
            refuse(f"it holds {bad[1]}, which a project file cannot store",
                   f"{PROJECT_JSON}: {bad[0]}")
        text = json.dumps(header, ensure_ascii=False, indent=1)
    except (RecursionError, ValueError) as exc:  # a value that contains itself
        refuse(f"it holds a value that cannot be written as JSON ({exc})")
    # What is written must load again: check the JSON exactly as load will read it.
    reader = DocumentReader(path)
    try:
        reader.document(json.loads(text)["document"])
    except ProjectFileError as exc:
        refuse(f"{exc.reason} (a file holding this could not be opened again)", exc.where)
    project_json = text.encode("utf-8")
    if len(project_json) > MAX_JSON_BYTES:
        refuse(f"its {PROJECT_JSON} would be {_size(len(project_json))}, more than the "
               f"{_size(MAX_JSON_BYTES)} a reader accepts", PROJECT_JSON)
    embedded = []
    for name in reader.embedded:
        blob = project.embedded.get(name)
        if not isinstance(blob, (bytes, bytearray, memoryview)):
            refuse(f"the embedded file {name!r} holds {type(blob).__name__}, not bytes",
                   DATA_DIR + name)
        embedded.append((name, bytes(blob)))
    weights = []
    for run in project.runs:
        for best, arrays in ((False, run.weights), (True, run.best_weights)):
            if arrays is None:
                continue
            folder = weights_folder(run.id, best)
            problem = _weights_problem(arrays, reader.layouts[run.id], f"run {run.id!r}")
            if problem:
                refuse(problem[1], array_member(folder, problem[0]) if problem[0] else folder)
            for name, array in arrays.items():
                array = np.ascontiguousarray(array)  # C order (a Fortran array is copied)
                weights.append((array_member(folder, name), _npy_header(array), array))
    names = ([PROJECT_JSON] + [DATA_DIR + n for n, _ in embedded] + [w[0] for w in weights])
    if len(names) > MAX_MEMBERS:
        refuse(f"it would need {len(names)} members (one per weight array), more than the "
               f"{MAX_MEMBERS} a reader accepts")
    encoded = [len(n.encode("utf-8")) for n in names]
    directory = sum(46 + n + 28 for n in encoded)  # each entry, with room for zip64 fields
    if max(encoded) > 0xFFFF or directory > MAX_DIRECTORY_BYTES:
        refuse("its layer ids are so long that the archive's directory would be larger than "
               f"a reader accepts ({_size(MAX_DIRECTORY_BYTES)})")
    total = len(project_json) + sum(len(b) for _, b in embedded) + sum(
        len(h) + a.nbytes for _, h, a in weights)
    if total > MAX_TOTAL_BYTES:
        refuse(f"it would hold {_size(total)}, more than the {_size(MAX_TOTAL_BYTES)} a "
               "reader accepts")
    return _Plan(project_json, saved.timetuple()[:6], embedded, weights, path, kept)


def _npy_header(array: np.ndarray) -> bytes:
    """The ``.npy`` header ``np.save`` writes for a C-contiguous ``array`` (version 1.0, or
    2.0 for a shape too long for it)."""
    buffer = io.BytesIO()
    fields = np.lib.format.header_data_from_array_1_0(array)
    try:
        np.lib.format.write_array_header_1_0(buffer, fields)
    except ValueError:
        buffer = io.BytesIO()
        np.lib.format.write_array_header_2_0(buffer, fields)
    return buffer.getvalue()


def _not_json(value, where: str) -> tuple[str, str] | None:
    """The first value JSON cannot hold exactly: ``(where, what)``, or None."""
    if value is None or isinstance(value, (str, bool, int)):
        return None
    if isinstance(value, float):
        return None  # NaN and infinities are written as NaN / Infinity (see file-format.md)
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            bad = _not_json(item, f"{where}[{i}]")
            if bad:
                return bad
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return where, f"the key {key!r} ({type(key).__name__}, not text)"
            bad = _not_json(item, subpath(where, key))
            if bad:
                return bad
        return None
    return where, f"a {type(value).__module__}.{type(value).__name__} value ({value!r:.40})"


def _weights_problem(arrays, layout: dict, label: str) -> tuple[str | None, str] | None:
    if not isinstance(arrays, dict):
        return None, f"the weights of {label} are {type(arrays).__name__}, not a dict"
    problem = _names_problem(list(arrays), layout, label)
    if problem:
        return problem
    for name, array in arrays.items():
        if not isinstance(array, np.ndarray):
            return name, f"is a {type(array).__name__}, not a NumPy array"
        if array.dtype.str not in WEIGHT_DTYPES:
            return name, f"has dtype {array.dtype}; weights are float32 or float64"
        if array.shape != tuple(layout[name]):
            return name, (f"has shape {array.shape}, but the network of {label} needs "
                          f"{tuple(layout[name])}")
    return None  # finiteness: checked while writing (_write)


def _write(plan: _Plan, f: BinaryIO) -> None:
    writer = zipio.ZipWriter(f, plan.date_time)
    try:
        _put(writer, PROJECT_JSON, plan.project_json)
        for name, blob in plan.embedded:
            _put(writer, DATA_DIR + name, blob)
        for member, header, array in plan.weights:
            writer.write_array(member, header, array, array.itemsize, _finite(array.dtype))
        writer.close()
    except zipio.Rejected as exc:
        writer.abandon()
        raise ProjectSaveError(f"the project cannot be saved: holds NaN or infinite values; "
                               f"{plan.kept}", plan.path, exc.args[0]) from None
    except BaseException:
        writer.abandon()
        raise


def _finite(dtype: np.dtype):
    """Whether a chunk of bytes holds only finite values of ``dtype``."""
    return lambda chunk: bool(np.isfinite(np.frombuffer(chunk, dtype)).all())


def _put(writer: zipio.ZipWriter, name: str, data: bytes) -> None:
    """Write a member deflated -- unless it compresses so well that a reader's zip-bomb
    limit (``MAX_RATIO``) would refuse it; then it is stored."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    deflated = compressor.compress(data) + compressor.flush()
    if len(data) > RATIO_SLACK and len(data) > MAX_RATIO // 2 * len(deflated):
        writer.write_bytes(name, data, zipio.STORED)
    else:
        writer.write_bytes(name, data, zipio.DEFLATED, deflated)


# == helpers ===================================================================================
def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror + (f": {exc.filename}" if exc.filename else "")
    return f"{type(exc).__name__}: {exc}"


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _size(n: int) -> str:
    for unit, scale in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"
