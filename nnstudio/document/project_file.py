"""The project file (``.nnproj``): save a :class:`~nnstudio.document.model.Project` and load
it back exactly, Qt-free (the command line and the tests use it without a display).

A project file is a zip archive (the layout is documented for other programs in
``docs/file-format.md``)::

    project.json               {"format", "format_version", "app_version", "saved", "document"}
    data/<name>                embedded data files (deflated)
    weights/<run id>.npz       a run's last weights, an np.savez archive (stored)
    weights/<run id>.best.npz  its best epoch's weights

Loading trusts nothing: the zip directory is checked against safety limits before any member
is read; ``project.json`` goes through the migrations (``migrations.py``) and every value is
then validated with a precise location; arrays are read with ``allow_pickle=False`` semantics
(only little-endian float32 / float64 ``.npy`` members are accepted) and checked against the
network each run was trained on.  Every failure is a
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
import re
import secrets
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any, BinaryIO, Callable

import numpy as np

import nnstudio
from engine import layers as layer_registry
from engine import losses, metrics, optimizers, schedules
from engine import network as engine_network
from engine import training as engine_training
from engine.data import synthetic
from engine.registry import UnknownNameError

from . import migrations
from .errors import (CorruptProjectError, NotAProjectError, ProjectFileError,
                     ProjectLimitError, ProjectSaveError)
from .model import DataSource, Node, Project, Run, TrainingSettings

__all__ = ["save", "load", "dumps", "loads", "SUFFIX", "PROJECT_JSON", "MAX_MEMBERS",
           "MAX_DIRECTORY_BYTES", "MAX_JSON_BYTES", "MAX_TOTAL_BYTES", "MAX_RATIO",
           "RUN_STATUSES"]

SUFFIX = ".nnproj"
PROJECT_JSON = "project.json"
WEIGHTS_DIR = "weights/"
DATA_DIR = "data/"

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
# Safety limits, checked from the zip directory before any member is read.
MAX_MEMBERS = 10_000                 # members in the archive
MAX_DIRECTORY_BYTES = 4 * MiB        # size of the zip central directory
MAX_JSON_BYTES = 64 * MiB            # project.json, uncompressed
MAX_TOTAL_BYTES = 16 * GiB           # all members together, uncompressed
MAX_RATIO = 200                      # a deflated member expands at most this much ...
RATIO_SLACK = 64 * KiB               # ... plus this (tiny members compress unevenly)

RUN_STATUSES = ("completed", "early_stopping", "stopped", "diverged")
RUN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
WEIGHT_DTYPES = ("<f4", "<f8")       # float32 / float64, little-endian
_CHUNK = 1 * MiB                     # read, checksum and check finiteness chunk by chunk

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
        return _read(f, path)


def dumps(project: Project, *, saved: _dt.datetime | None = None) -> bytes:
    """The bytes :func:`save` would write (``saved``: the time to record, default now)."""
    plan = _prepare(project, saved, None, "nothing was written")
    buffer = io.BytesIO()
    _write(plan, buffer)
    return buffer.getvalue()


def loads(data: bytes, name: str | None = None) -> Project:
    """Read a project from bytes (``name`` appears in error messages)."""
    return _read(io.BytesIO(bytes(data)), name)


# == reading ==================================================================================
def _read(f: BinaryIO, path) -> Project:
    try:
        return _Reader(f, path).project()
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


class _Reader:
    """Reads one archive: container, project.json, document, embedded files, weights."""

    def __init__(self, f: BinaryIO, path):
        self.f, self.path = f, path

    def fail(self, reason: str, where: str | None = None, cls=CorruptProjectError):
        raise cls(reason, self.path, where)

    # -- container ----------------------------------------------------------------------
    def project(self) -> Project:
        f = self.f
        size = f.seek(0, io.SEEK_END)
        f.seek(0)
        head = f.read(30 + len(PROJECT_JSON))
        # Our files begin with project.json; if the directory then lacks it, the directory
        # found is that of a weights .npz inside a truncated file, not the project's own.
        begins_as_project = head[:4] == b"PK\x03\x04" and head[30:] == PROJECT_JSON.encode()
        head = head[:4]
        if size == 0:
            self.fail("the file is empty (0 bytes), so it holds no project; it may have been "
                      "cut off while it was copied or saved", cls=NotAProjectError)
        _check_directory(f, size, MAX_MEMBERS, MAX_DIRECTORY_BYTES, self.path, None)
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
            data = self.header(_parse_json(raw, self.path))
            doc = _DocumentReader(self.path)
            project = doc.document(data["document"])
            self.check_members(members, project, doc)
            for name in doc.embedded:
                info = members[DATA_DIR + name]
                project.embedded[name] = self.member_bytes(archive, info, MAX_TOTAL_BYTES)
            for run in project.runs:
                layout = doc.layouts[run.id]
                if doc.has_weights[run.id][0]:
                    run.weights = self.weights(archive, members[_weights_member(run.id)],
                                               layout, run)
                if doc.has_weights[run.id][1]:
                    run.best_weights = self.weights(
                        archive, members[_weights_member(run.id, best=True)], layout, run)
        return project

    def members(self, archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            self.fail(f"the archive has {len(infos)} members; a project has at most "
                      f"{MAX_MEMBERS}", cls=ProjectLimitError)
        members: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            if info.filename in members:
                self.fail("the archive holds two members of this name; it is damaged",
                          info.filename)
            members[info.filename] = info
            total += info.file_size
        if total > MAX_TOTAL_BYTES:
            self.fail(f"the archive's members add up to {_size(total)} uncompressed; a "
                      f"project may hold at most {_size(MAX_TOTAL_BYTES)}",
                      cls=ProjectLimitError)
        return members

    def check_member(self, info: zipfile.ZipInfo, limit: int) -> None:
        name = info.filename
        if info.flag_bits & 0x1:
            self.fail("is encrypted; NN Studio projects are never encrypted", name)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            self.fail(f"uses compression method {info.compress_type}; project files use only "
                      "stored (0) or deflated (8) members", name)
        if info.file_size > limit:
            self.fail(f"declares {_size(info.file_size)} uncompressed, more than the "
                      f"{_size(limit)} this member may hold", name, ProjectLimitError)
        if info.compress_type == zipfile.ZIP_DEFLATED and (
                info.file_size > MAX_RATIO * info.compress_size + RATIO_SLACK):
            self.fail(f"would expand from {_size(info.compress_size)} to "
                      f"{_size(info.file_size)} (more than {MAX_RATIO} times): refused as a "
                      "possible zip bomb", name, ProjectLimitError)
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            self.fail("is stored uncompressed but declares two different sizes; the archive "
                      "is damaged", name)

    def member_bytes(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
        self.check_member(info, limit)
        try:
            with archive.open(info) as member:
                data = member.read()
        except _ZIP_ERRORS as exc:
            self.fail(f"cannot be read: the archive is damaged or truncated ({exc})",
                      info.filename)
        if len(data) != info.file_size:
            self.fail(f"holds {len(data)} bytes but the archive declares {info.file_size}; it "
                      "is damaged", info.filename)
        return data

    def header(self, data: Any) -> dict:
        where = PROJECT_JSON
        if not isinstance(data, dict):
            self.fail(f"must hold a JSON object, but it holds {_describe(data)}", where)
        if "format" not in data:
            self.fail("has no 'format' key, so it is not an NN Studio project",
                      where, NotAProjectError)
        if data["format"] != migrations.FORMAT_NAME:
            self.fail(f"this is a {_describe(data['format'])} file, not an NN Studio project "
                      f"({migrations.FORMAT_NAME!r})", f"{where}: format", NotAProjectError)
        version = data.get("format_version")
        if not _is_int(version):
            got = "missing" if "format_version" not in data else f"got {_describe(version)}"
            self.fail(f"must be a whole number ({got}); the file is damaged",
                      f"{where}: format_version")
        app = data.get("app_version")
        data = migrations.migrate(data, self.path, app if isinstance(app, str) else None)
        check = _Checker(self.path)
        check.obj(data, "", ("format", "format_version", "app_version", "saved", "document"))
        check.string(data["app_version"], "app_version")
        check.string(data["saved"], "saved")
        return data

    def check_members(self, members: dict, project: Project, doc: "_DocumentReader") -> None:
        expected = {PROJECT_JSON} | {DATA_DIR + n for n in doc.embedded}
        for run in project.runs:
            last, best = doc.has_weights[run.id]
            if last:
                expected.add(_weights_member(run.id))
            if best:
                expected.add(_weights_member(run.id, best=True))
        for name in expected:
            if name not in members:
                self.fail(f"is missing from the archive, though {PROJECT_JSON} lists it; the "
                          "file is damaged or incomplete", name)
        # weights/ and data/ belong to the format: anything there it does not declare means
        # project.json and the archive disagree.  Other members are ignored (never read).
        for name in members:
            if name.startswith((WEIGHTS_DIR, DATA_DIR)) and not name.endswith("/") and (
                    name not in expected):
                self.fail(f"is not listed in {PROJECT_JSON}; the archive and its "
                          f"{PROJECT_JSON} disagree, so the file is damaged", name)

    # -- weights ------------------------------------------------------------------------
    def weights(self, archive, info, layout: dict, run: Run) -> dict[str, np.ndarray]:
        member = info.filename
        self.check_member(info, MAX_TOTAL_BYTES)
        bound = sum(8 * math.prod(s) for s in layout.values()) + 4 * KiB * (len(layout) + 1)
        if info.file_size > bound:
            self.fail(f"is {_size(info.file_size)}, larger than the weights of run "
                      f"{run.id!r} can be ({_size(bound)}); the file is damaged", member)
        if info.compress_type == zipfile.ZIP_STORED:
            # Read the arrays straight from the project file: one copy, one checksum pass.
            start = _data_offset(self.f, info, self.path)
            end = self.f.seek(0, io.SEEK_END)
            if start + info.file_size > end:
                self.fail("ends early: the file is truncated", member)
            source, offset = self.f, start
        else:  # another tool re-zipped the project with compression: decompress it first
            source, offset = io.BytesIO(self.member_bytes(archive, info, bound)), 0
        return _NpzReader(self.path, member, run, layout).read(
            _Window(source, offset, info.file_size))


class _Window(io.RawIOBase):
    """The bytes ``[start, start + size)`` of a seekable file, as a read-only file."""

    def __init__(self, f: BinaryIO, start: int, size: int):
        super().__init__()
        self._f, self._start, self.size, self._pos = f, start, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        n = min(len(view), self.size - self._pos)
        if n <= 0:
            return 0
        self._f.seek(self._start + self._pos)
        got = 0
        while got < n:
            k = self._f.readinto(view[got:n])
            if not k:
                break
            got += k
        self._pos += got
        return got


class _NpzReader:
    """One ``weights/*.npz`` member: an np.savez archive of ``<name>.npy`` arrays."""

    def __init__(self, path, member: str, run: Run, layout: dict[str, tuple]):
        self.path, self.member, self.run, self.layout = path, member, run, layout
        self.label = f"run {run.id!r}"

    def fail(self, reason: str, name: str | None = None):
        where = self.member if name is None else f"{self.member}: {name}"
        raise CorruptProjectError(reason, self.path, where)

    def read(self, window: _Window) -> dict[str, np.ndarray]:
        n = len(self.layout)
        _check_directory(window, window.size, n + 16, (n + 16) * 2 * KiB, self.path,
                         self.member)
        try:
            inner = zipfile.ZipFile(window)
        except _ZIP_ERRORS as exc:
            self.fail(f"is not a readable .npz archive ({exc}); the file is damaged")
        with inner:
            infos = inner.infolist()
            names = []
            for info in infos:
                if not info.filename.endswith(".npy"):
                    self.fail(f"holds {info.filename!r}, which is not an array (.npy)")
                names.append(info.filename[:-4])
            if len(set(names)) != len(names):
                self.fail("holds the same parameter twice; the file is damaged")
            problem = _names_problem(names, self.layout, self.label)
            if problem:
                self.fail(problem[1], problem[0])
            return {name: self.array(window, inner, info, name)
                    for info, name in zip(infos, names)}

    def array(self, window: _Window, inner: zipfile.ZipFile, info: zipfile.ZipInfo,
              name: str) -> np.ndarray:
        if info.flag_bits & 0x1:
            self.fail("is encrypted", name)
        if info.compress_type == zipfile.ZIP_STORED:
            if info.compress_size != info.file_size:
                self.fail("declares two different sizes; the file is damaged", name)
            start = _data_offset(window, info, self.path, f"{self.member}: {name}")
            window.seek(start)
            shape, fortran, dtype = self.header(window, name)
            header_len = window.tell() - start
            nbytes = self.check(shape, dtype, name)
            self.check_size(info, header_len + nbytes, shape, dtype, name)
            if start + info.file_size > window.size:  # before allocating anything
                self.fail("ends early: the file is truncated", name)
            window.seek(start)
            crc = zlib.crc32(window.read(header_len))
            flat, crc, finite = self.fill(window, shape, dtype, crc, name)
            if crc != info.CRC:
                self.fail("fails its checksum (CRC-32): the file is damaged", name)
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            if info.file_size > MAX_RATIO * info.compress_size + RATIO_SLACK:
                raise ProjectLimitError(f"would expand more than {MAX_RATIO} times: refused as "
                                        "a possible zip bomb", self.path,
                                        f"{self.member}: {name}")
            try:
                with inner.open(info) as stream:
                    shape, fortran, dtype = self.header(stream, name)
                    nbytes = self.check(shape, dtype, name)
                    self.check_size(info, stream.tell() + nbytes, shape, dtype, name)
                    flat, _, finite = self.fill(stream, shape, dtype, 0, name)
                    if stream.read(1):  # also makes zipfile verify the CRC at the end
                        self.fail("holds more bytes than its array; the file is damaged", name)
            except _ZIP_ERRORS as exc:
                self.fail(f"cannot be decompressed ({exc}); the file is damaged", name)
        else:
            self.fail(f"uses compression method {info.compress_type}; weights are stored "
                      "or deflated", name)
        if not finite:
            self.fail(f"holds NaN or infinite values; the weights of {self.label} are not "
                      "usable", name)
        return flat.reshape(shape, order="F" if fortran else "C")

    def header(self, stream, name: str):
        try:
            version = np.lib.format.read_magic(stream)
            if version == (1, 0):
                return np.lib.format.read_array_header_1_0(stream)
            if version == (2, 0):
                return np.lib.format.read_array_header_2_0(stream)
        except Exception as exc:  # numpy parses the header text; its errors vary by version
            self.fail(f"is not a valid .npy array ({exc}); the file is damaged", name)
        self.fail(f"is a .npy file of version {version[0]}.{version[1]}; NN Studio reads "
                  "versions 1.0 and 2.0", name)

    def check(self, shape, dtype, name: str) -> int:
        if not isinstance(dtype, np.dtype) or dtype.str not in WEIGHT_DTYPES:
            what = ("Python objects (dtype object, a pickle), which NN Studio never reads"
                    if isinstance(dtype, np.dtype) and dtype.hasobject else f"dtype {dtype}")
            self.fail(f"holds {what}; weights are little-endian float32 or float64", name)
        expected = self.layout[name]
        if tuple(shape) != tuple(expected):
            self.fail(f"has shape {tuple(shape)}, but the network of {self.label} needs "
                      f"{tuple(expected)} for this parameter", name)
        return math.prod(shape) * dtype.itemsize

    def check_size(self, info: zipfile.ZipInfo, needed: int, shape, dtype, name: str) -> None:
        if info.file_size != needed:
            self.fail(f"declares {info.file_size} bytes, but a {tuple(shape)} {dtype} array "
                      f"needs {needed}; the file is damaged", name)

    def fill(self, stream, shape, dtype, crc: int, name: str):
        flat = np.empty(math.prod(shape), dtype)
        view = memoryview(flat).cast("B")
        finite = True
        per_item = dtype.itemsize
        for i in range(0, len(view), _CHUNK):
            piece = view[i:i + _CHUNK]
            got = 0
            while got < len(piece):
                k = stream.readinto(piece[got:])
                if not k:
                    self.fail("ends early: the file is truncated", name)
                got += k
            crc = zlib.crc32(piece, crc)
            finite = finite and bool(np.isfinite(
                flat[i // per_item:(i + len(piece)) // per_item]).all())
        return flat, crc, finite


_EOCD = struct.Struct("<4s4H2LH")          # end of central directory record
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")


def _check_directory(f, size: int, max_members: int, max_bytes: int, path, where) -> None:
    """Refuse an archive whose central directory is too large, reading only its end record
    (found the way ``zipfile`` finds it); a file without one is left to ``zipfile``."""
    tail_len = min(size, _EOCD.size + 0xFFFF)
    f.seek(size - tail_len)
    tail = f.read(tail_len)
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or pos + _EOCD.size > len(tail):
        return
    _, _, _, _, entries, cd_size, _, _ = _EOCD.unpack_from(tail, pos)
    locator = pos - _ZIP64_LOCATOR.size
    if locator - _ZIP64_EOCD.size >= 0 and tail[locator:locator + 4] == b"PK\x06\x07":
        record = _ZIP64_EOCD.unpack_from(tail, locator - _ZIP64_EOCD.size)
        if record[0] == b"PK\x06\x06":
            entries, cd_size = record[7], record[8]
    if entries > max_members or cd_size > max_bytes:
        what = f"{entries} members" if entries > max_members else (
            f"a {_size(cd_size)} directory")
        raise ProjectLimitError(
            f"the archive declares {what}; a project has at most {max_members} members "
            f"and a directory of {_size(max_bytes)}: refused as damaged or hostile",
            path, where)


def _data_offset(f, info: zipfile.ZipInfo, path, where: str | None = None) -> int:
    """Where a member's data starts: after its local header, whose name must match."""
    where = where or info.filename
    header = b""
    if info.header_offset >= 0:
        f.seek(info.header_offset)
        header = f.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise CorruptProjectError("has no valid zip header; the file is damaged or truncated",
                                  path, where)
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    name = f.read(name_len)
    encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
    if name != info.orig_filename.encode(encoding, "replace"):
        raise CorruptProjectError("has a zip header that names another member; the file is "
                                  "damaged", path, where)
    return info.header_offset + 30 + name_len + extra_len


class _DuplicateKey(Exception):
    pass


def _no_duplicate_keys(pairs: list) -> dict:
    result = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _parse_json(raw: bytes, path) -> Any:
    where = PROJECT_JSON
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorruptProjectError(f"is not UTF-8 text (invalid byte at offset {exc.start}); "
                                  "the file is damaged", path, where) from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise CorruptProjectError(f"is not valid JSON ({exc.msg} at line {exc.lineno}, "
                                  f"column {exc.colno}); the file is damaged", path,
                                  where) from None
    except _DuplicateKey as exc:
        raise CorruptProjectError(f"has the key {exc.args[0]!r} twice in one object; the file "
                                  "is damaged", path, where) from None
    except RecursionError:
        raise CorruptProjectError("is nested too deeply to be a project; the file is damaged",
                                  path, where) from None
    except ValueError as exc:  # e.g. an integer with thousands of digits
        raise CorruptProjectError(f"holds a value JSON readers refuse ({exc})", path,
                                  where) from None


# == the document ==============================================================================
def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _describe(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true (a yes/no value)" if value else "false (a yes/no value)"
    if isinstance(value, (int, float)):
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"{text!r} (text)"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _key(where: str, key: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
        return f"{where}.{key}" if where else key
    return f"{where}[{json.dumps(key)}]"


class _Checker:
    """Type checks that fail with the JSON path of the value (``where``)."""

    def __init__(self, path, member: str = PROJECT_JSON):
        self.path, self.member = path, member

    def fail(self, where: str, reason: str):
        raise CorruptProjectError(reason, self.path,
                                  f"{self.member}: {where}" if where else self.member)

    def obj(self, value, where: str, required: tuple, optional: tuple = ()) -> dict:
        if not isinstance(value, dict):
            self.fail(where, f"must be a JSON object, got {_describe(value)}")
        for key in required:
            if key not in value:
                self.fail(_key(where, key), "is missing (this key is required)")
        allowed = required + optional
        for key in value:
            if key not in allowed:
                self.fail(_key(where, key),
                          f"is not a key of this object; its keys are: {', '.join(allowed)}")
        return value

    def array(self, value, where: str) -> list:
        if not isinstance(value, list):
            self.fail(where, f"must be a list, got {_describe(value)}")
        return value

    def string(self, value, where: str, non_empty: bool = False) -> str:
        if not isinstance(value, str) or (non_empty and not value):
            need = "a non-empty text" if non_empty else "a text"
            self.fail(where, f"must be {need}, got {_describe(value)}")
        return value

    def boolean(self, value, where: str) -> bool:
        if not isinstance(value, bool):
            self.fail(where, f"must be true or false, got {_describe(value)}")
        return value

    def whole(self, value, where: str, low: int | None = None) -> int:
        if not _is_int(value) or (low is not None and value < low):
            bound = "" if low is None else f" >= {low}"
            self.fail(where, f"must be a whole number{bound}, got {_describe(value)}")
        return value

    def number(self, value, where: str, low: float | None = None, high: float | None = None,
               low_open: bool = False, high_open: bool = False) -> float:
        ok = _is_number(value) and math.isfinite(value)
        if ok and low is not None:
            ok = value > low if low_open else value >= low
        if ok and high is not None:
            ok = value < high if high_open else value <= high
        if not ok:
            bounds = []
            if low is not None:
                bounds.append(f"{'>' if low_open else '>='} {low}")
            if high is not None:
                bounds.append(f"{'<' if high_open else '<='} {high}")
            need = " and ".join(bounds)
            self.fail(where, f"must be a finite number{' ' + need if need else ''}, got "
                             f"{_describe(value)}")
        return value

    def registry_config(self, registry_get: Callable, value, where: str):
        """A name or ``{"name": ..., **parameters}`` that the engine registry can build."""
        if isinstance(value, dict):
            self.string(value.get("name"), _key(where, "name"), non_empty=True)
        elif not isinstance(value, str):
            self.fail(where, f"must be a name or an object with a 'name', got "
                             f"{_describe(value)}")
        try:
            return registry_get(value)
        except UnknownNameError as exc:
            self.fail(_key(where, "name") if isinstance(value, dict) else where, str(exc))
        except Exception as exc:  # the engine judging untrusted values: any refusal counts
            self.fail(where, _engine_reason(exc))


def _fixed_name(value: str) -> bool:
    """A name safe as one path component of a zip member (data/<name>)."""
    return (0 < len(value) <= 255 and value not in (".", "..")
            and not any(c in value for c in '/\\:') and all(ord(c) >= 32 for c in value))


class _DocumentReader(_Checker):
    """Validates ``project.json``'s ``document`` and builds the :class:`Project` (without its
    embedded bytes and weights, which the archive reader adds)."""

    def __init__(self, path):
        super().__init__(path)
        self.embedded: list[str] = []
        self.layouts: dict[str, dict[str, tuple]] = {}
        self.has_weights: dict[str, tuple[bool, bool]] = {}

    def document(self, value) -> Project:
        where = "document"
        doc = self.obj(value, where, ("network", "data", "embedded", "training", "runs"))
        project = Project()
        project.nodes, project.edges = self.network(doc["network"], f"{where}.network")
        project.data = self.data_source(doc["data"], f"{where}.data")
        self.embedded = self.embedded_names(doc["embedded"], f"{where}.embedded")
        project.training = self.training(doc["training"], f"{where}.training")
        project.runs = self.runs(doc["runs"], f"{where}.runs")
        return project

    # -- network --------------------------------------------------------------------------
    def network(self, value, where: str):
        net = self.obj(value, where, ("nodes", "edges"))
        nodes: dict[str, Node] = {}
        for i, item in enumerate(self.array(net["nodes"], f"{where}.nodes")):
            w = f"{where}.nodes[{i}]"
            node = self.obj(item, w, ("id", "type", "config", "position"))
            node_id = self.node_id(node["id"], f"{w}.id", nodes)
            nodes[node_id] = Node(node_id, self.layer_type(node["type"], f"{w}.type"),
                                  self.plain_object(node["config"], f"{w}.config"),
                                  self.position(node["position"], f"{w}.position"))
        return nodes, self.edges(net["edges"], nodes, f"{where}.edges")

    def node_id(self, value, where: str, taken) -> str:
        node_id = self.string(value, where, non_empty=True)
        if node_id in taken:
            self.fail(where, f"two layers have the id {node_id!r}; ids must be unique")
        return node_id

    def layer_type(self, value, where: str) -> str:
        self.string(value, where, non_empty=True)
        try:
            return layer_registry.LAYERS.canonical(value)
        except UnknownNameError as exc:
            self.fail(where, str(exc))

    def position(self, value, where: str) -> tuple[float, float]:
        if not isinstance(value, list) or len(value) != 2:
            self.fail(where, f"must be a list of two numbers [x, y], got {_describe(value)}")
        x = self.number(value[0], f"{where}[0]")
        y = self.number(value[1], f"{where}[1]")
        return (float(x), float(y))

    def edges(self, value, nodes: dict[str, Node], where: str) -> list[tuple[str, str]]:
        edges: list[tuple[str, str]] = []
        seen = set()
        for i, item in enumerate(self.array(value, where)):
            w = f"{where}[{i}]"
            if not (isinstance(item, list) and len(item) == 2
                    and all(isinstance(e, str) for e in item)):
                self.fail(w, f"must be a pair of layer ids [source, target], got "
                             f"{_describe(item)}")
            source, target = item
            for end, node_id in (("source", source), ("target", target)):
                if node_id not in nodes:
                    self.fail(w, f"the {end} {node_id!r} is not a layer of the network")
            if source == target:
                self.fail(w, f"connects the layer {source!r} to itself")
            if (source, target) in seen:
                self.fail(w, f"the connection {source} -> {target} appears twice")
            if nodes[target].type == "input":
                self.fail(w, f"connects into the input layer {target!r}, which cannot "
                             "receive connections")
            seen.add((source, target))
            edges.append((source, target))
        loop = _loop(list(nodes), edges)
        if loop:
            index = edges.index(loop)
            self.fail(f"{where}[{index}]", f"the connection {loop[0]} -> {loop[1]} closes a "
                                           "loop; a network cannot have loops")
        return edges

    # -- data -----------------------------------------------------------------------------
    def data_source(self, value, where: str) -> DataSource:
        data = self.obj(value, where, ("kind", "config", "preprocessing"))
        kind = self.string(data["kind"], f"{where}.kind", non_empty=True)
        if kind not in _DATA_KINDS:
            self.fail(f"{where}.kind", f"unknown data source kind {kind!r}; the kinds are: "
                                       f"{', '.join(_DATA_KINDS)}")
        config = self.plain_object(data["config"], f"{where}.config")
        _DATA_KINDS[kind](self, config, f"{where}.config")
        preprocessing = self.plain_object(data["preprocessing"], f"{where}.preprocessing")
        return DataSource(kind, config, preprocessing)

    def synthetic_config(self, config: dict, where: str) -> None:
        self.registry_config(synthetic.DATASETS.get, config, where)

    def plain_object(self, value, where: str) -> dict:
        if not isinstance(value, dict):
            self.fail(where, f"must be a JSON object, got {_describe(value)}")
        return value

    def embedded_names(self, value, where: str) -> list[str]:
        names: list[str] = []
        for i, name in enumerate(self.array(value, where)):
            w = f"{where}[{i}]"
            if not isinstance(name, str) or not _fixed_name(name):
                self.fail(w, f"must be a file name (no folders, 1 to 255 characters), got "
                             f"{_describe(name)}")
            if name in names:
                self.fail(w, f"the file {name!r} is listed twice")
            names.append(name)
        return names

    # -- training -------------------------------------------------------------------------
    def training(self, value, where: str) -> TrainingSettings:
        names = tuple(TrainingSettings.field_names())
        settings = self.obj(value, where, names)
        for name in names:
            _TRAINING_CHECKS[name](self, settings[name], f"{where}.{name}")
        if settings["validation_split"] + settings["test_split"] >= 1:
            self.fail(f"{where}.test_split", "validation_split and test_split together must "
                                             "leave samples to train on (their sum < 1)")
        return TrainingSettings(**settings)

    def early_stopping(self, value, where: str) -> None:
        if value is None:
            return
        options = self.obj(value, where, (), ("patience", "min_delta", "monitor",
                                              "restore_best"))
        if "patience" in options:
            self.whole(options["patience"], f"{where}.patience", 0)
        if "min_delta" in options:
            self.number(options["min_delta"], f"{where}.min_delta", 0)
        if "monitor" in options and options["monitor"] is not None:
            self.string(options["monitor"], f"{where}.monitor", non_empty=True)
        if "restore_best" in options:
            self.boolean(options["restore_best"], f"{where}.restore_best")
        try:
            engine_training.EarlyStopping(**options)
        except Exception as exc:
            self.fail(where, _engine_reason(exc))

    def optional_positive(self, value, where: str) -> None:
        if value is not None:
            self.number(value, where, 0, low_open=True)

    def metric_list(self, value, where: str) -> None:
        for i, item in enumerate(self.array(value, where)):
            self.registry_config(metrics.get, item, f"{where}[{i}]")

    def dtype(self, value, where: str) -> None:
        if value not in ("float32", "float64"):
            self.fail(where, f"must be \"float32\" or \"float64\", got {_describe(value)}")

    # -- runs -----------------------------------------------------------------------------
    def runs(self, value, where: str) -> list[Run]:
        runs: list[Run] = []
        for i, item in enumerate(self.array(value, where)):
            w = f"{where}[{i}]"
            r = self.obj(item, w, ("id", "name", "created", "settings", "status", "history",
                                   "final_metrics", "best_epoch", "has_weights",
                                   "has_best_weights"))
            run_id = self.string(r["id"], f"{w}.id")
            if not RUN_ID.fullmatch(run_id):
                self.fail(f"{w}.id", f"a run id is 1 to 64 letters, digits, '_' or '-', got "
                                     f"{_describe(run_id)}")
            if run_id in self.layouts:
                self.fail(f"{w}.id", f"two runs have the id {run_id!r}; ids must be unique")
            self.string(r["name"], f"{w}.name")
            self.string(r["created"], f"{w}.created")
            if r["status"] not in RUN_STATUSES:
                self.fail(f"{w}.status", f"must be one of {', '.join(RUN_STATUSES)}, got "
                                         f"{_describe(r['status'])}")
            self.history(r["history"], f"{w}.history")
            self.plain_object(r["final_metrics"], f"{w}.final_metrics")
            if r["best_epoch"] is not None:
                self.whole(r["best_epoch"], f"{w}.best_epoch", 0)
            last = self.boolean(r["has_weights"], f"{w}.has_weights")
            best = self.boolean(r["has_best_weights"], f"{w}.has_best_weights")
            self.layouts[run_id] = self.run_settings(r["settings"], f"{w}.settings")
            self.has_weights[run_id] = (last, best)
            runs.append(Run(run_id, r["name"], r["created"], r["settings"], r["status"],
                            r["history"], r["final_metrics"], r["best_epoch"]))
        return runs

    def run_settings(self, value, where: str) -> dict[str, tuple]:
        """Check what rebuilds the run's network; returns its weight layout."""
        s = self.obj(value, where, ("spec", "n_features", "n_outputs", "training", "data"))
        spec = self.obj(s["spec"], f"{where}.spec", ("nodes", "edges"))
        ids: set[str] = set()
        for i, item in enumerate(self.array(spec["nodes"], f"{where}.spec.nodes")):
            w = f"{where}.spec.nodes[{i}]"
            node = self.obj(item, w, ("id", "type", "config"))
            ids.add(self.node_id(node["id"], f"{w}.id", ids))
            self.layer_type(node["type"], f"{w}.type")
            self.plain_object(node["config"], f"{w}.config")
        for i, item in enumerate(self.array(spec["edges"], f"{where}.spec.edges")):
            if not (isinstance(item, list) and len(item) == 2
                    and all(isinstance(e, str) for e in item)):
                self.fail(f"{where}.spec.edges[{i}]", f"must be a pair of layer ids [source, "
                                                      f"target], got {_describe(item)}")
        n_features = self.whole(s["n_features"], f"{where}.n_features", 1)
        n_outputs = self.whole(s["n_outputs"], f"{where}.n_outputs", 1)
        self.training(s["training"], f"{where}.training")
        self.data_source(s["data"], f"{where}.data")
        try:
            return _layout(spec, n_features, n_outputs)
        except Exception as exc:  # SpecError, or the engine failing on what it was given
            self.fail(f"{where}.spec", f"the network of this run cannot be rebuilt: "
                                       f"{_engine_reason(exc)}")

    def history(self, value, where: str) -> None:
        """Per-epoch values: each entry is a list of numbers, an object of such lists, or a
        list of objects of numbers (``engine.training.History.to_dict``)."""
        history = self.plain_object(value, where)
        for key, entry in history.items():
            w = _key(where, key)
            if isinstance(entry, dict):
                for name, series in entry.items():
                    self.numbers(series, _key(w, name))
            elif isinstance(entry, list) and entry and isinstance(entry[0], dict):
                for i, item in enumerate(entry):
                    if not isinstance(item, dict):
                        self.fail(f"{w}[{i}]", f"must be an object of numbers, got "
                                               f"{_describe(item)}")
                    for name, number in item.items():
                        if not _is_number(number):
                            self.fail(_key(f"{w}[{i}]", name),
                                      f"must be a number, got {_describe(number)}")
            else:
                self.numbers(entry, w)

    def numbers(self, value, where: str) -> None:
        for i, number in enumerate(self.array(value, where)):
            if not _is_number(number):
                self.fail(f"{where}[{i}]", f"must be a number, got {_describe(number)}")


def _registry_check(get: Callable) -> Callable:
    return lambda self, value, where: self.registry_config(get, value, where)


_TRAINING_CHECKS: dict[str, Callable] = {
    "loss": _registry_check(losses.get),
    "optimizer": _registry_check(optimizers.get),
    "schedule": _registry_check(schedules.get),
    "epochs": lambda self, v, w: self.whole(v, w, 1),
    "batch_size": lambda self, v, w: self.whole(v, w, 1),
    "validation_split": lambda self, v, w: self.number(v, w, 0, 1, high_open=True),
    "test_split": lambda self, v, w: self.number(v, w, 0, 1, high_open=True),
    "seed": lambda self, v, w: self.whole(v, w, 0),
    "early_stopping": _DocumentReader.early_stopping,
    "clip_norm": _DocumentReader.optional_positive,
    "clip_value": _DocumentReader.optional_positive,
    "metrics": _DocumentReader.metric_list,
    "dtype": _DocumentReader.dtype,
}

# Data-source kinds and the check of their config; a new kind of source registers here.
_DATA_KINDS: dict[str, Callable] = {"synthetic": _DocumentReader.synthetic_config}


def _loop(ids: list[str], edges: list[tuple[str, str]]) -> tuple[str, str] | None:
    """An edge on a loop (None if the graph is acyclic): Kahn's algorithm, O(V + E)."""
    indegree = dict.fromkeys(ids, 0)
    outgoing: dict[str, list[str]] = {i: [] for i in ids}
    for source, target in edges:
        indegree[target] += 1
        outgoing[source].append(target)
    ready = [i for i in ids if indegree[i] == 0]
    while ready:
        for target in outgoing[ready.pop()]:
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
    stuck = {i for i, d in indegree.items() if d}
    if not stuck:
        return None
    # Every stuck layer has a stuck predecessor: walking back from one must come round.
    incoming: dict[str, list[str]] = {}
    for source, target in edges:
        if source in stuck and target in stuck:
            incoming.setdefault(target, []).append(source)
    walk, node = [], next(iter(stuck))
    while node not in walk:
        walk.append(node)
        node = incoming[node][0]
    cycle = walk[walk.index(node):]  # each entry's predecessor is the next one
    on_loop = {(cycle[(k + 1) % len(cycle)], cycle[k]) for k in range(len(cycle))}
    # name the connection listed last: most often the one that was added to close it
    return [e for e in edges if e in on_loop][-1]


class _LayoutNetwork(engine_network.Network):
    """A network built only to read its weight layout: its weights are never initialized
    (initializing 10 million parameters costs far more than reading them), so its zeroed
    parameter vector is never touched."""

    def initialize(self, seed=None):
        pass


def _layout(spec: dict, n_features: int, n_outputs: int) -> dict[str, tuple[int, ...]]:
    """``{name: shape}`` of every parameter and buffer, in the engine's documented order --
    what ``Network.set_weights`` demands."""
    net = _LayoutNetwork(spec, n_features, n_outputs)
    layout = {p.name: tuple(p.shape) for p in net.param_info}
    layout.update({name: tuple(buf.shape) for name, buf in net.buffers.items()})
    return layout


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


def _weights_member(run_id: str, best: bool = False) -> str:
    return f"{WEIGHTS_DIR}{run_id}{'.best' if best else ''}.npz"


# == writing ===================================================================================
@dataclass
class _Plan:
    """Everything to write, validated: the bytes of project.json, the members' time stamp,
    the embedded files and the weight arrays of each weights member."""

    project_json: bytes
    date_time: tuple
    embedded: list[tuple[str, bytes]]
    weights: list[tuple[str, dict[str, np.ndarray]]]


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
    reader = _DocumentReader(path)
    try:
        reader.document(json.loads(text)["document"])
    except ProjectFileError as exc:
        refuse(f"{exc.reason} (a file holding this could not be opened again)", exc.where)
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
            if arrays is not None:
                member = _weights_member(run.id, best)
                problem = _weights_problem(arrays, reader.layouts[run.id], f"run {run.id!r}")
                if problem:
                    refuse(problem[1], f"{member}: {problem[0]}" if problem[0] else member)
                weights.append((member, {k: np.ascontiguousarray(v) for k, v in arrays.items()}))
    return _Plan(text.encode("utf-8"), saved.timetuple()[:6], embedded, weights)


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
            bad = _not_json(item, _key(where, key))
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
        if not np.isfinite(array).all():
            return name, "holds NaN or infinite values"
    return None


def _write(plan: _Plan, f: BinaryIO) -> None:
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        _put(archive, PROJECT_JSON, plan.project_json, plan.date_time)
        for name, blob in plan.embedded:
            _put(archive, DATA_DIR + name, blob, plan.date_time)
        for member, arrays in plan.weights:
            info = _info(member, plan.date_time, zipfile.ZIP_STORED)
            with archive.open(info, "w", force_zip64=True) as stream:
                np.savez(stream, **arrays)


def _put(archive: zipfile.ZipFile, name: str, data: bytes, date_time: tuple) -> None:
    """Write a member deflated -- unless it compresses so well that a reader's zip-bomb
    limit (``MAX_RATIO``) would refuse it; then it is stored."""
    method = zipfile.ZIP_DEFLATED
    if len(data) > RATIO_SLACK and len(data) > MAX_RATIO // 2 * len(zlib.compress(data, 6)):
        method = zipfile.ZIP_STORED
    archive.writestr(_info(name, date_time, method), data)


def _info(name: str, date_time: tuple, method: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time)
    info.compress_type = method
    info.external_attr = 0o644 << 16
    return info


# == helpers ===================================================================================
def _engine_reason(exc: Exception) -> str:
    """The engine's message; its type too when it is not one of the engine's own refusals."""
    if isinstance(exc, (ValueError, TypeError)) and str(exc):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


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
