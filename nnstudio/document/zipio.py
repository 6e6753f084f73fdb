"""Low-level zip reading and writing for the project file: what ``zipfile`` does not offer.

* :class:`ZipWriter` writes an archive whose big stored members (weight arrays) are written
  straight from their arrays while their CRC-32 is computed at the same time on worker
  threads (``zipfile`` computes it in the writing thread, one pass after the other); each
  local header is patched with its CRC once it is known.  Small members (``project.json``,
  embedded files) are deflated in memory first.  Zip64 records are written exactly where the
  sizes or offsets need them, as ``zipfile`` does, so ``zipfile`` and every common tool read
  the result.
* :func:`crc32_combine` (the CRC of ``A + B`` from those of ``A`` and ``B``) lets one buffer
  be checksummed in pieces on several threads; :func:`fill` reads a stored member straight
  into its destination array in two halves, one per thread, each read, checksummed and
  inspected (the weights' finiteness) chunk by chunk while it is in the cache.
* :class:`FileSource` / :class:`MemorySource` read bytes at an offset without a shared file
  position (``os.preadv``), so that several threads can read one file at once.
* :func:`check_directory` and :func:`data_offset` read the end record and a local header,
  the two places of an archive that must be checked before ``zipfile`` or a reader trusts it.

Writing to a file on Linux, the writer asks the kernel to start writing each few MiB to disk
as soon as they are written (``sync_file_range(SYNC_FILE_RANGE_WRITE)``, which does not wait),
so that the disk works while the rest is written and the caller's final ``fsync`` finds little
left to do.  It is only a hint: durability still comes from that ``fsync``.

CRC-32 here is zlib's (the zip polynomial, reflected 0xEDB88320); ``zlib.crc32`` releases the
GIL for buffers over 5 KiB, which is what makes the threads pay.
"""

from __future__ import annotations

import io
import os
import struct
import sys
import threading
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO, Callable

ZIP64_LIMIT = 0xFFFF_FFFF           # sizes and offsets from here on need zip64 records
ZIP64_COUNT_LIMIT = 0xFFFF          # so does this many entries
CHUNK = 1 << 20                     # read, checksum and inspect this many bytes at a time
PARALLEL_MIN = 1 << 20              # buffers from this size are split over the threads
THREADS = 2                         # how many halves (this machine's cores; 1 = serial)
WRITEBACK_STEP = 4 << 20            # start writing to disk after every this many bytes
EARLY_WRITEBACK = True              # (Linux: see ZipWriter)

_LOCAL = struct.Struct("<4s5H3L2H")           # local file header (30 bytes)
_CENTRAL = struct.Struct("<4s6H3L5H2L")       # central directory entry (46 bytes)
_EOCD = struct.Struct("<4s4H2LH")             # end of central directory record (22 bytes)
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")     # zip64 end of central directory record (56)
_ZIP64_LOCATOR = struct.Struct("<4sLQL")      # zip64 end of central directory locator (20)
LOCAL_MAGIC = b"PK\x03\x04"
STORED, DEFLATED = 0, 8
_UTF8_FLAG = 0x800
_UNIX = 3                                     # "version made by": Unix, so that the
_FILE_MODE = 0o644 << 16                      # permission bits are meaningful


class Truncated(Exception):
    """A member's bytes end before its declared size (the file is shorter than its zip
    directory says)."""


class Rejected(Exception):
    """The ``inspect`` function of :meth:`ZipWriter.write_array` refused a chunk of the
    member ``args[0]``."""


class DirectoryTooLarge(Exception):
    """The archive's end record declares more entries or a larger directory than allowed;
    ``args`` are ``(entries, directory bytes)``."""


# == CRC-32 ====================================================================================
_POLY = 0xEDB88320


def _multmodp(a: int, b: int) -> int:
    """``a * b`` modulo the CRC polynomial, in GF(2) (bit-reflected, as zlib)."""
    m, p = 1 << 31, 0
    while True:
        if a & m:
            p ^= b
            if not a & (m - 1):
                return p
        m >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1


def _x2n_table() -> list[int]:
    table = [1 << 30]  # x^1
    for _ in range(31):
        table.append(_multmodp(table[-1], table[-1]))
    return table


_X2N = _x2n_table()  # _X2N[k] = x^(2^k) mod p


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-32 of ``A + B`` from ``crc1 = crc32(A)``, ``crc2 = crc32(B)`` and ``len(B)``.

    zlib's ``crc32_combine``: appending ``len2`` bytes multiplies the first CRC by
    ``x^(8 len2)`` modulo the polynomial (the GF(2) linear map that the older zlib builds as a
    32 x 32 bit matrix and squares; zlib 1.2.12 on, as here, multiplies by precomputed powers
    ``x^(2^k)``), and the second CRC is added (xor).  O(log len2) multiplications.
    """
    if len2 < 0:
        raise ValueError("len2 must be >= 0")
    p, k = 1 << 31, 3  # x^0; len2 bytes = 8 * len2 bits = 2^3 * len2
    n = len2
    while n:
        if n & 1:
            p = _multmodp(_X2N[k & 31], p)
        n >>= 1
        k += 1
    return _multmodp(p, crc1 & 0xFFFF_FFFF) ^ (crc2 & 0xFFFF_FFFF)


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def pool() -> ThreadPoolExecutor:
    """The worker threads (created on first use, ``THREADS - 1`` of them beside the caller)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max(1, THREADS - 1), thread_name_prefix="nnproj-crc")
        return _pool


def _halves(n: int, align: int) -> list[tuple[int, int]]:
    """``[(start, end)]``: ``[0, n)`` in one piece, or in ``THREADS`` pieces cut at multiples
    of ``align`` when the buffer is large enough to be worth the threads."""
    if THREADS < 2 or n < PARALLEL_MIN:
        return [(0, n)]
    step = n // THREADS // align * align
    if step == 0:
        return [(0, n)]
    cuts = [i * step for i in range(THREADS)] + [n]
    return list(zip(cuts, cuts[1:]))


def _run_pieces(work: Callable[[int, int], tuple], pieces: list[tuple[int, int]]) -> list:
    """``work(start, end)`` for each piece: the first on this thread, the rest on the pool;
    returns the results in order.  Waits for every piece even when one fails."""
    futures: list[Future] = [pool().submit(work, *piece) for piece in pieces[1:]]
    try:
        first = work(*pieces[0])
    finally:
        for future in futures:  # never leave a worker writing into a buffer we give up on
            future.exception()
    return [first] + [future.result() for future in futures]


def crc32(data, start: int = 0) -> int:
    """``zlib.crc32(data, start)``, computed in pieces on the worker threads when ``data`` is
    large."""
    view = memoryview(data).cast("B")
    pieces = _halves(len(view), 1)
    if len(pieces) == 1:
        return zlib.crc32(view, start)
    crcs = _run_pieces(lambda a, b: zlib.crc32(view[a:b], start if a == 0 else 0), pieces)
    crc = crcs[0]
    for (a, b), part in zip(pieces[1:], crcs[1:]):
        crc = crc32_combine(crc, part, b - a)
    return crc


# == reading ===================================================================================
class FileSource:
    """Reads at an offset of an open file without moving a shared position (``os.preadv``),
    so that threads can read at once; where the OS lacks ``preadv``, a lock serializes
    seek + read."""

    def __init__(self, f: BinaryIO):
        self.f = f
        self.size = os.fstat(f.fileno()).st_size
        self._fd = f.fileno() if hasattr(os, "preadv") else None
        self._lock = threading.Lock()

    def readinto(self, view: memoryview, offset: int) -> int:
        if self._fd is not None:
            return os.preadv(self._fd, [view], offset)
        with self._lock:
            self.f.seek(offset)
            return self.f.readinto(view) or 0


class MemorySource:
    """The same interface over bytes in memory (``loads``, decompressed members)."""

    def __init__(self, data):
        self.data = memoryview(data).cast("B")
        self.size = len(self.data)

    def readinto(self, view: memoryview, offset: int) -> int:
        piece = self.data[offset:offset + len(view)]
        view[:len(piece)] = piece
        return len(piece)


def read_exact(source, offset: int, n: int) -> bytes:
    """``n`` bytes at ``offset``; :class:`Truncated` if the source ends first."""
    buffer = bytearray(n)
    _read_into(source, memoryview(buffer), offset)
    return bytes(buffer)


def _read_into(source, view: memoryview, offset: int) -> None:
    got = 0
    while got < len(view):
        k = source.readinto(view[got:], offset + got)
        if not k:
            raise Truncated
        got += k


def fill(source, offset: int, view: memoryview, crc: int = 0, align: int = 1,
         inspect: Callable[[int, int], bool] | None = None) -> tuple[int, bool]:
    """Read ``len(view)`` bytes at ``offset`` of ``source`` into ``view`` and return
    ``(crc32(those bytes, crc), all inspections true)``.

    Large buffers are split into ``THREADS`` pieces (cut at multiples of ``align``, e.g. the
    item size) read on as many threads; each piece is read, checksummed and passed to
    ``inspect(start, end)`` (byte offsets within ``view``) one chunk at a time, while the
    chunk is still in the cache.  The pieces' CRCs are joined with :func:`crc32_combine`.
    Raises :class:`Truncated` if the source ends early.
    """
    pieces = _halves(len(view), max(align, 1) * 64)

    def work(start: int, end: int) -> tuple[int, bool]:
        c = crc if start == 0 else 0
        ok = True
        for i in range(start, end, CHUNK):
            j = min(i + CHUNK, end)
            chunk = view[i:j]
            _read_into(source, chunk, offset + i)
            c = zlib.crc32(chunk, c)
            if inspect is not None and ok:
                ok = inspect(i, j)
        return c, ok

    if not view:
        return crc, True
    results = _run_pieces(work, pieces)
    total, ok = results[0]
    for (start, end), (part, part_ok) in zip(pieces[1:], results[1:]):
        total = crc32_combine(total, part, end - start)
        ok = ok and part_ok
    return total, ok


class Window(io.RawIOBase):
    """The bytes ``[start, start + size)`` of a source, as a read-only seekable file (so that
    ``zipfile`` can read an archive nested in a stored member without copying it)."""

    def __init__(self, source, start: int, size: int):
        super().__init__()
        self._source, self._start, self.size, self._pos = source, start, size, 0

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
        got = 0
        while got < n:
            k = self._source.readinto(view[got:n], self._start + self._pos + got)
            if not k:
                break
            got += k
        self._pos += got
        return got


def check_directory(f: BinaryIO, size: int, max_members: int, max_bytes: int) -> None:
    """Raise :class:`DirectoryTooLarge` when the archive's end record declares more than
    ``max_members`` entries or a central directory over ``max_bytes``, reading only the end
    record (found the way ``zipfile`` finds it); a file without one is left to ``zipfile``."""
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
        raise DirectoryTooLarge(entries, cd_size)


class BadHeader(Exception):
    """A member's local header is missing, damaged or names another member."""


def data_offset(source, header_offset: int, name: bytes) -> int:
    """Where a member's data starts: after its local header at ``header_offset``, whose
    magic must be right and whose name must be ``name`` (the encoded name the directory
    gives).  Raises :class:`BadHeader` or :class:`Truncated`."""
    if header_offset < 0:
        raise BadHeader("has no valid zip header")
    if header_offset + _LOCAL.size > source.size:  # also keeps absurd offsets from the OS
        raise Truncated
    header = read_exact(source, header_offset, _LOCAL.size)
    if header[:4] != LOCAL_MAGIC:
        raise BadHeader("has no valid zip header")
    name_len, extra_len = struct.unpack_from("<HH", header, 26)
    if read_exact(source, header_offset + _LOCAL.size, name_len) != name:
        raise BadHeader("has a zip header that names another member")
    return header_offset + _LOCAL.size + name_len + extra_len


# == writing ===================================================================================
_sync_file_range_function: list = []  # [the libc function or None], looked up once


def _writeback_starter(f: BinaryIO) -> Callable[[int, int], None] | None:
    """A function ``(offset, length)`` that starts writing those bytes of ``f`` to disk
    without waiting for them (Linux ``sync_file_range``), or None where there is none (not
    Linux, not a real file)."""
    if not EARLY_WRITEBACK or not sys.platform.startswith("linux"):
        return None
    try:
        fd = f.fileno()
    except (AttributeError, OSError, ValueError):  # BytesIO: io.UnsupportedOperation
        return None
    if not _sync_file_range_function:
        try:
            import ctypes
            function = ctypes.CDLL(None, use_errno=True).sync_file_range
            function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
            function.restype = ctypes.c_int
        except (OSError, AttributeError, ImportError):
            function = None
        _sync_file_range_function.append(function)
    function = _sync_file_range_function[0]
    if function is None:
        return None

    def start(offset: int, length: int) -> None:
        function(fd, offset, length, 2)  # SYNC_FILE_RANGE_WRITE; a failure only loses the hint

    return start


def _dos_time(date_time: tuple) -> tuple[int, int]:
    year, month, day, hour, minute, second = date_time[:6]
    return ((max(year, 1980) - 1980) << 9 | month << 5 | day,
            hour << 11 | minute << 5 | second // 2)


@dataclass
class _Entry:
    name: bytes
    flags: int
    method: int
    offset: int
    size: int               # uncompressed
    compressed: int
    crc: int | Callable[[], int]  # or a function that waits for it
    zip64_local: bool = False


class ZipWriter:
    """Writes a zip archive to a seekable binary file, member after member.

    ``write_bytes`` adds a member from bytes (deflated or stored); ``write_array`` adds a
    stored member made of a small header and a large buffer, written straight from the
    buffer while worker threads compute its CRC; ``close`` writes the central directory.
    ``zip64_limit`` is the size from which zip64 records are used (lower it to test them).
    """

    def __init__(self, f: BinaryIO, date_time: tuple, zip64_limit: int = ZIP64_LIMIT):
        self.f = f
        self.start = f.tell()
        self.pos = 0  # relative to self.start
        self.date, self.time = _dos_time(date_time)
        self.zip64_limit = zip64_limit
        self.entries: list[_Entry] = []
        self.names: set[bytes] = set()
        self._writeback = _writeback_starter(f)
        self._written_back = 0  # bytes before this were handed to the disk already

    # -- members --------------------------------------------------------------------------
    def write_bytes(self, name: str, data: bytes, method: int = DEFLATED,
                    deflated: bytes | None = None) -> None:
        """A member from bytes; ``deflated``: ``data`` already compressed (raw deflate)."""
        if method == DEFLATED:
            if deflated is None:
                compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
                deflated = compressor.compress(data) + compressor.flush()
            payload = deflated
        else:
            payload = data
        entry = self._start_member(name, method, len(data), len(payload), zlib.crc32(data))
        self._write(payload)
        self.entries.append(entry)

    def write_array(self, name: str, header: bytes, data, align: int = 1,
                    inspect: Callable[[memoryview], bool] | None = None) -> None:
        """A stored member: ``header`` then the bytes of ``data`` (a C-contiguous buffer).

        Large buffers are written from this thread while the worker threads compute their
        CRC, in ``THREADS`` pieces cut at multiples of ``align`` (e.g. the item size); each
        chunk checksummed is also passed to ``inspect`` (e.g. a check that its values are
        finite), and if that ever returns False, :meth:`close` raises :class:`Rejected`
        naming the member (a small buffer raises it here).
        """
        view = memoryview(data).cast("B")
        size = len(header) + len(view)
        header_crc = zlib.crc32(header)
        pieces = _halves(len(view), max(align, 1) * 64)

        def checksum(start: int, end: int) -> tuple[int, bool]:
            crc, ok = header_crc if start == 0 else 0, True
            for i in range(start, end, CHUNK):
                chunk = view[i:min(i + CHUNK, end)]
                crc = zlib.crc32(chunk, crc)
                ok = ok and (inspect is None or inspect(chunk))
            return crc, ok

        if len(pieces) == 1:
            crc, ok = checksum(0, len(view))
            if not ok:
                raise Rejected(name)
            entry = self._start_member(name, STORED, size, size, crc)
            self._write(header)
            self._write(view)
        else:
            # Every piece's CRC on the workers while this thread writes the whole buffer;
            # the local header is written with CRC 0 and patched by close().
            entry = self._start_member(name, STORED, size, size, 0)
            futures = [pool().submit(checksum, a, b) for a, b in pieces]

            def crc() -> int:
                total, ok = futures[0].result()
                for (a, b), future in zip(pieces[1:], futures[1:]):
                    part, part_ok = future.result()
                    total = crc32_combine(total, part, b - a)
                    ok = ok and part_ok
                if not ok:
                    raise Rejected(name)
                return total

            entry.crc = crc  # called by close(), after the later members are written
            try:
                self._write(header)
                self._write(view)
            except BaseException:
                for future in futures:  # no worker left reading a buffer we give up on
                    future.exception()
                raise
        self.entries.append(entry)

    def _start_member(self, name: str, method: int, size: int, compressed: int,
                      crc: int) -> _Entry:
        try:
            encoded, flags = name.encode("ascii"), 0
        except UnicodeEncodeError:
            encoded, flags = name.encode("utf-8"), _UTF8_FLAG
        if encoded in self.names:
            raise ValueError(f"duplicate member {name!r}")
        if len(encoded) > 0xFFFF:
            raise ValueError(f"member name too long ({len(encoded)} bytes)")
        self.names.add(encoded)
        entry = _Entry(encoded, flags, method, self.pos, size, compressed, crc)
        entry.zip64_local = max(size, compressed) >= self.zip64_limit
        self._write(self._local_header(entry))
        return entry

    def _local_header(self, e: _Entry) -> bytes:
        crc = e.crc if isinstance(e.crc, int) else 0  # patched by close()
        extra = b""
        size, compressed = e.size, e.compressed
        if e.zip64_local:
            extra = struct.pack("<HHQQ", 1, 16, e.size, e.compressed)
            size = compressed = 0xFFFF_FFFF
        version = 45 if e.zip64_local else 20
        return _LOCAL.pack(LOCAL_MAGIC, version, e.flags, e.method, self.time, self.date, crc,
                           compressed, size, len(e.name), len(extra)) + e.name + extra

    def _write(self, data) -> None:
        view = memoryview(data).cast("B")
        step = WRITEBACK_STEP if self._writeback else max(len(view), 1)
        for i in range(0, len(view), step):
            piece = view[i:i + step]
            done = 0
            while done < len(piece):  # a raw (unbuffered) file may write less than asked
                written = self.f.write(piece[done:])
                done += len(piece) - done if written is None else written
            self.pos += len(piece)
            if self._writeback and self.pos - self._written_back >= WRITEBACK_STEP:
                self.f.flush()
                self._writeback(self.start + self._written_back, self.pos - self._written_back)
                self._written_back = self.pos

    # -- the directory --------------------------------------------------------------------
    def close(self) -> None:
        """Patch the local headers of members whose CRC was computed on the side, then
        write the central directory and the end records."""
        end = self.start + self.pos
        for e in self.entries:
            if not isinstance(e.crc, int):
                e.crc = e.crc()
                self.f.seek(self.start + e.offset + 14)
                self.f.write(struct.pack("<L", e.crc))
        self.f.seek(end)
        cd_start = self.pos
        limit = self.zip64_limit
        for e in self.entries:
            fields = []
            size, compressed, offset = e.size, e.compressed, e.offset
            if size >= limit:
                fields.append(size)
                size = 0xFFFF_FFFF
            if compressed >= limit:
                fields.append(compressed)
                compressed = 0xFFFF_FFFF
            if offset >= limit:
                fields.append(offset)
                offset = 0xFFFF_FFFF
            extra = struct.pack(f"<HH{len(fields)}Q", 1, 8 * len(fields), *fields) if (
                fields) else b""
            version = 45 if fields or e.zip64_local else 20
            self._write(_CENTRAL.pack(b"PK\x01\x02", _UNIX << 8 | version, version, e.flags,
                                      e.method, self.time, self.date, e.crc, compressed, size,
                                      len(e.name), len(extra), 0, 0, 0, _FILE_MODE, offset)
                        + e.name + extra)
        cd_size = self.pos - cd_start
        count = len(self.entries)
        if count >= ZIP64_COUNT_LIMIT or cd_size >= limit or cd_start >= limit:
            zip64_start = self.pos
            self._write(_ZIP64_EOCD.pack(b"PK\x06\x06", _ZIP64_EOCD.size - 12, _UNIX << 8 | 45,
                                         45, 0, 0, count, count, cd_size, cd_start))
            self._write(_ZIP64_LOCATOR.pack(b"PK\x06\x07", 0, zip64_start, 1))
            count = min(count, 0xFFFF)
            cd_size = min(cd_size, 0xFFFF_FFFF)
            cd_start = min(cd_start, 0xFFFF_FFFF)
        self._write(_EOCD.pack(b"PK\x05\x06", 0, 0, count, count, cd_size, cd_start, 0))

    def abandon(self) -> None:
        """Wait for the CRCs still being computed (after a failure: nothing more is
        written)."""
        for e in self.entries:
            if not isinstance(e.crc, int):
                try:
                    e.crc()
                except Exception:
                    pass
