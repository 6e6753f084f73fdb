"""Vectorized parsing of plain CSV chunks: field boundaries, decimal numbers, category keys.

:mod:`engine.data.csv_import` hands lines here when they hold no quote character and no
carriage return but in CRLF line ends; a piece whose lines do not all have one field per
column is handed back.  Everything is done with whole-array NumPy operations on the bytes,
because per-value work in Python (``float()``, ``str.split``) and NumPy's own text parsers
(``np.loadtxt``, ``np.fromstring``, which call ``strtod`` once per number) cost 50-100 ns a
value, two to four times what ``pandas.read_csv`` takes for a whole field.

The trick is SWAR ("SIMD within a register") on 16-byte windows: every field of at most 16
bytes is gathered, right-aligned, as two little-endian ``uint64`` words, and the digits of
all fields are checked and combined with a fixed sequence of integer operations.  Only the
plain decimal form ``[-]digits[.digits]`` with at most 15 digits is accepted here; anything
else (exponents, ``+``, spaces, ``NaN``, missing tokens, text, longer fields) is reported as
not parsed, and the caller gives exactly those fields to the careful per-value code, so the
two paths cannot disagree.  An accepted field's value is exact: with ``D`` the digits read as
an integer (the decimal point as a 0 digit) and ``f`` the number of digits after the point,

    M = D - floor(D / 10**(f+1)) * 9 * 10**f        (the digits without the point, exactly)
    value = M / 10**f                               (one correctly rounded division)

is computed in float64 where every intermediate is an integer below 2**53, so the result is
the correctly rounded float64 of the text, which is what ``float()`` returns.
"""

from __future__ import annotations

import threading

import numpy as np

PAD = 16          # bytes before the lines, so that every field has a 16-byte window
WIDTH = 16        # longest field read as one window
MAX_DIGITS = 15   # below 2**53: every integer the parser forms is exact in float64
BATCH = 1 << 15   # fields per call of parse_decimals that keep its temporaries in cache

_U = np.uint64
_X30 = _U(0x3030303030303030)
_X7F = _U(0x7F7F7F7F7F7F7F7F)
_X76 = _U(0x7676767676767676)     # 0x80 - 10: a byte >= 10 carries into its top bit
_X80 = _U(0x8080808080808080)
_MASK = _U(0x000000FF000000FF)
_MUL1 = _U(100 + (1000000 << 32))
_MUL2 = _U(1 + (10000 << 32))
_HASH = _U(0x9E3779B97F4A7C15)   # odd: multiplying by it is a bijection of uint64


def _window_masks() -> np.ndarray:
    """``(17,)`` of 16-byte masks: for a field of n bytes, 0xFF in the window's last n bytes."""
    out = np.zeros((WIDTH + 1, 16), np.uint8)
    for n in range(WIDTH + 1):
        out[n, WIDTH - n:] = 0xFF
    return out.view("V16").ravel()


def _scale_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """10**(f+1), 9*10**f and (signed) 10**f for each point position and sign.

    Indexed by ``a + 9*b + 81*negative``, where ``a`` is the point's byte in the window's low
    word (8: not there) and ``b`` its byte in the high word; no point is ``a = b = 8``.
    """
    p, q, r = np.ones(162), np.zeros(162), np.ones(162)
    for byte in range(16):                     # the point at byte ``byte`` of the window
        a, b = (byte, 8) if byte < 8 else (8, byte - 8)
        f = 15 - byte
        p[a + 9 * b], q[a + 9 * b], r[a + 9 * b] = 10.0 ** (f + 1), 9 * 10.0 ** f, 10.0 ** f
    p[81:], q[81:], r[81:] = p[:81], q[:81], -r[:81]
    return p, q, r


def _words(windows: np.ndarray) -> np.ndarray:
    return windows.view("<u8").reshape(-1, 2).astype(np.uint64, copy=False)


HEAD = bytes(PAD - 1) + b"\n"    # what a block read for the fast path starts with
_KMASK = _window_masks()
_P, _Q, _R = _scale_tables()


_local = threading.local()


def _scratch(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Two bool arrays of n elements, kept per thread: fresh pages cost more than the work."""
    have = getattr(_local, "masks", None)
    if have is None or have.shape[1] < n:
        have = _local.masks = np.empty((2, max(n, 1 << 20)), bool)
    return have[0, :n], have[1, :n]


class Chunk:
    """Lines ``raw[start:end]`` of a block, with windowed views of the bytes around them.

    ``raw[start - 1]`` must be a newline (so that the first field starts after a separator
    like every other), ``raw`` must hold ``PAD`` bytes before ``start`` (whatever they are:
    they are masked away), and ``raw[end - 1]`` must be the last line's newline.  Offsets
    returned and taken by the methods count from ``start - PAD``.

    Attributes
    ----------
    buf : ndarray of uint8
        ``raw[start - PAD:end]`` (no copy).
    windows : ndarray of void16
        ``windows[i]`` is ``buf[i:i+16]`` (a strided view, no copy).
    ascii : bool
        Whether every byte is below 0x80 (the caller knows it for the whole block).
    """

    def __init__(self, raw: bytes, start: int, end: int, ascii: bool):
        self.raw, self.base, self.ascii = raw, start - PAD, ascii
        self.buf = np.frombuffer(raw, np.uint8, count=end - self.base, offset=self.base)
        self.windows = np.ndarray((len(self.buf) - WIDTH + 1,), dtype="V16", buffer=raw,
                                  offset=self.base, strides=(1,))

    def separators(self, delimiter: bytes, ncol: int) -> np.ndarray | None:
        """Offsets of every separator, the newline before the first line first.

        Field ``i`` (row-major) spans ``seps[i] + 1`` to ``seps[i + 1]``, so the result has
        ``rows * ncol + 1`` entries.  None when a line does not have exactly ``ncol`` fields.
        """
        b = self.buf
        newline, mask = _scratch(len(b))
        np.equal(b, 10, out=newline)
        newline[:PAD - 1] = False                      # bytes before the lines
        np.equal(b, delimiter[0], out=mask)
        mask[:PAD - 1] = False
        n_lines = np.count_nonzero(newline)            # rows + the newline before them
        mask |= newline
        seps = np.flatnonzero(mask)
        if seps.size != (n_lines - 1) * ncol + 1:
            return None
        # every row's last field ends in a newline and no other does: ncol fields a line
        if not np.all(b.take(seps[ncol::ncol]) == 10):
            return None
        return seps

    def texts(self, starts: np.ndarray, ends: np.ndarray) -> list[bytes]:
        """The bytes of the fields from ``starts`` to ``ends``."""
        raw, base = self.raw, self.base
        return [raw[a:b] for a, b in zip((starts + base).tolist(), (ends + base).tolist())]

    def words(self, ends: np.ndarray) -> np.ndarray:
        """The 16 bytes before each end offset, shape (N, 2) uint64: low word, high word."""
        return _words(self.windows[ends - WIDTH])


def parse_decimals(chunk: Chunk, starts: np.ndarray, ends: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Parse fields of the form ``[-]digits[.digits]`` exactly.

    Parameters
    ----------
    chunk : Chunk
    starts, ends : ndarray of int64, shape (N,)
        Field offsets into ``chunk.buf`` (end exclusive).

    Returns
    -------
    values : ndarray of float64, shape (N,)
        The correctly rounded value of every parsed field (anything where ``ok`` is False).
    ok : ndarray of bool, shape (N,)
        Whether the field was parsed; the others need the careful per-value path.
    """
    body = ends - starts
    neg = chunk.buf[starts] == 0x2D                        # a leading "-"
    body -= neg                                            # bytes of digits and point
    x = chunk.words(ends)                                  # (N, 2): low, high words
    x ^= _X30                                              # digits -> 0..9
    x &= _words(_KMASK.take(np.minimum(body, WIDTH, out=np.empty_like(body))))
    if chunk.ascii:                                        # every byte < 0x80: no carries
        one = x + _X76
    else:
        one = x & _X7F
        one += _X76
        one |= x
    one &= _X80                                            # 0x80 in each byte that is no digit
    one >>= _U(7)                                          # 0x01 there
    dot = one * _U(0x1E)                                   # "." ^ "0" == 0x1E
    x ^= dot                                               # a point becomes a 0 digit
    one_ff = one * _U(0xFF)
    one_ff &= x                                            # non-zero: a non-digit that is no "."
    n_points = np.bitwise_count(one[:, 0] | (one[:, 1] << _U(1)))
    ok = (one_ff[:, 0] | one_ff[:, 1]) == 0
    ok &= n_points <= 1
    ok &= body <= MAX_DIGITS
    ok &= body > n_points                                  # at least one digit
    # eight digits per word, most significant in the lowest byte (fast_float's parse_eight_digits)
    y = x >> _U(8)
    x *= _U(10)
    x += y
    y = x >> _U(16)
    y &= _MASK
    y *= _MUL2
    x &= _MASK
    x *= _MUL1
    x += y
    x >>= _U(32)
    digits = x[:, 0] * _U(100_000_000)
    digits += x[:, 1]
    digits = digits.astype(np.float64)
    # where the point is: (byte index in the low word or 8, in the high word or 8), and the sign
    one -= _U(1)
    at = np.bitwise_count(one)                             # uint8: 8 * byte, or 64
    at >>= np.uint8(3)
    where = at[:, 1] * np.uint8(9)
    where += at[:, 0]
    where += neg.view(np.uint8) * np.uint8(81)
    where = where.astype(np.intp)
    whole = _P.take(where)
    np.divide(digits, whole, out=whole)
    np.floor(whole, out=whole)
    whole *= _Q.take(where)
    digits -= whole
    digits /= _R.take(where)
    return digits, ok


class Categories:
    """Codes of the short fields of one column, remembered across chunks in a hash table.

    :meth:`lookup` looks every field of at most 16 bytes up by its bytes; :meth:`resolve`
    groups the fields not in the table, has their texts coded by ``encode`` (a list of byte
    strings -> int32 codes; the caller's one place that knows what a category is), and adds
    them to the table.  A field's window, masked to its length, identifies it exactly: fields
    hold no NUL bytes, so the zero bytes in front of a shorter one cannot be part of another.
    """

    BITS = 12

    def __init__(self):
        size = 1 << self.BITS
        self.lo = np.zeros(size, np.uint64)
        self.hi = np.zeros(size, np.uint64)
        self.code = np.full(size, -2, np.int32)          # -2: empty slot (codes are >= -1)

    def _hash(self, w: np.ndarray) -> np.ndarray:
        key = w[:, 0] * _HASH
        key ^= w[:, 1]
        key *= _HASH
        return key

    def _slots(self, key: np.ndarray) -> np.ndarray:
        return (key >> _U(64 - self.BITS)).astype(np.intp)

    def lookup(self, chunk: Chunk, starts: np.ndarray, ends: np.ndarray) -> tuple | None:
        """Look the fields up; None when one is longer than 16 bytes.

        Only reads the table, so it may run in a worker thread while another thread adds
        to it (a slot's code is written after its bytes: a half-written slot is a miss).
        Returns what :meth:`resolve` takes.
        """
        length = ends - starts
        if length.size and length.max() > WIDTH:
            return None
        w = chunk.words(ends)
        w &= _words(_KMASK.take(length))
        key = self._hash(w)
        slot = self._slots(key)
        out = self.code.take(slot)
        hit = self.lo.take(slot) == w[:, 0]
        hit &= self.hi.take(slot) == w[:, 1]
        hit &= out != -2
        return out, np.flatnonzero(~hit), w, key, slot

    def resolve(self, chunk: Chunk, starts: np.ndarray, ends: np.ndarray, found: tuple | None,
                encode) -> np.ndarray:
        """int32 code of every field, shape (N,), from :meth:`lookup`'s result.

        ``encode`` gives the codes of a list of byte strings (new values) and is called in
        this thread only.
        """
        if found is None:
            return np.asarray(encode(chunk.texts(starts, ends)), np.int32)
        out, miss, w, key, slot = found
        if miss.size:
            mw = w[miss]
            _, first, inverse = np.unique(key[miss], return_index=True, return_inverse=True)
            same = first[inverse]
            if not np.array_equal(mw[same], mw):     # two new values share a key: one by one
                first, inverse = np.arange(miss.size), np.arange(miss.size)
            rows = miss[first]
            new = np.asarray(encode(chunk.texts(starts[rows], ends[rows])), np.int32)
            out[miss] = new[inverse]
            for r, c in zip(rows.tolist(), new.tolist()):
                k = slot[r]
                if self.code[k] == -2:                  # a taken slot keeps its first value
                    self.lo[k], self.hi[k] = w[r, 0], w[r, 1]
                    self.code[k] = c                    # last: see lookup
        return out
