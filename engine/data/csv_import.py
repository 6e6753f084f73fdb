"""CSV import: dialect detection, typed columns, target and task -- the GUI's and CLI's one path.

:func:`sniff` looks at the start of a file and proposes a :class:`Dialect` (encoding,
delimiter, quote character, header). :func:`read_csv` reads the whole file in chunks into a
:class:`Table` of typed :class:`Column` objects, each with a detected kind and role that the
caller may override, and works out the target's task and class counts.  The table is what
:mod:`engine.data.preprocessing` encodes into a float32 matrix.

Column kinds
    ``numeric``      float32 values, NaN where missing.
    ``categorical``  int32 codes into ``categories`` (sorted), -1 where missing.
    ``boolean``      like categorical with categories ``[false-word, true-word]``.
    ``text``         names, free text, identifiers: not stored, role ``ignore``.

Rows are named as a spreadsheet shows them: the file's 1-based line number, the header being
row 1.  Every problem with a file raises a :class:`CSVError` subclass whose message names the
file, and the row and column where there is one.

Reading is streamed: about ``chunk_bytes`` at a time (whole lines).  A plain chunk (no quote
character, one field per column on every line) is split and parsed straight from its bytes
by :mod:`engine.data.csv_fast`, in pieces on up to ``THREADS`` threads; the fields it does not take
(missing tokens, exponents, text, ...) and every other chunk go through the careful path:
the :mod:`csv` module and ``float()``, which find the exact row and column of any problem.
Both paths give the same values bit for bit.  A ``progress`` callback gets
``(fraction_of_bytes, rows_so_far)`` after every chunk; returning ``False`` cancels the import
with :class:`ImportCancelled`, so a GUI can run it in a worker thread.
"""

from __future__ import annotations

import codecs
import csv
import math
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

import numpy as np

from engine.data import csv_fast
from engine.data.csv_fast import HEAD, PAD

KINDS = ("numeric", "categorical", "boolean", "text")
ROLES = ("feature", "target", "ignore")
TASKS = ("classification", "regression")
MISSING = frozenset({"", "NA", "N/A", "n/a", "NaN", "nan", "?", "null", "NULL", "None"})
ENCODINGS = ("utf-8-sig", "utf-8", "cp949", "latin-1")
DELIMITERS = (",", ";", "\t", "|")
TRUE_WORDS = frozenset({"true", "yes", "t", "y"})
FALSE_WORDS = frozenset({"false", "no", "f", "n"})
MAX_CATEGORIES = 50        # more distinct strings than this (in the sample) -> text
MAX_CLASSES = 20           # a numeric target with at most this many integer values -> classes
IMBALANCE = 0.1            # smallest / largest class below this -> warning
SAMPLE_BYTES = 1 << 20
SAMPLE_ROWS = 1000
THREADS = min(2, os.cpu_count() or 1)   # threads that parse numbers (NumPy frees the GIL)
PIECE = 1 << 20                         # bytes of lines a thread parses at once

Progress = Callable[[float, int], "bool | None"]


# --- errors ------------------------------------------------------------------------------


class CSVError(ValueError):
    """A file that cannot be imported; the message names the file, row and column.

    Attributes
    ----------
    path : str
    row : int or None
        1-based line number in the file (header = 1).
    column : str or None
        Column name.
    reason : str
        The message without the location.
    """

    def __init__(self, reason: str, path: object = None, row: int | None = None,
                 column: str | None = None):
        self.path, self.row, self.column, self.reason = (
            None if path is None else str(path), row, column, reason)
        where = [w for w in (self.path, None if row is None else f"row {row}",
                             None if column is None else f"column {column!r}") if w]
        super().__init__(f"{', '.join(where)}: {reason}" if where else reason)


class CSVFileNotFoundError(CSVError):
    """The path names no readable file."""


class CSVEmptyError(CSVError):
    """The file holds no data rows."""


class CSVBinaryError(CSVError):
    """The file is not text (NUL bytes or control characters)."""


class CSVEncodingError(CSVError):
    """The bytes do not decode in the chosen encoding."""


class CSVRaggedError(CSVError):
    """A row has more or fewer fields than the header."""


class CSVTypeError(CSVError):
    """A value that does not fit its column's kind (text in a numeric column)."""


class CSVTargetError(CSVError):
    """A target that cannot define a task (one value, text for regression, ...)."""


class CSVSettingsError(CSVError):
    """An override that names no column or gives an unknown kind, role or task."""


class ImportCancelled(Exception):
    """The progress callback returned False."""


# --- dialect -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Dialect:
    """How a file is written. ``header``: whether row 1 holds the column names."""

    encoding: str = "utf-8"
    delimiter: str = ","
    quotechar: str = '"'
    header: bool = True

    def config(self) -> dict:
        return {"encoding": self.encoding, "delimiter": self.delimiter,
                "quotechar": self.quotechar, "header": self.header}


def sniff(path, *, encoding: str | None = None, delimiter: str | None = None,
          quotechar: str | None = None, header: bool | None = None,
          sample_bytes: int = SAMPLE_BYTES) -> Dialect:
    """Detect a file's dialect from its first ``sample_bytes``; given arguments win.

    Encoding: a UTF-8 BOM -> ``utf-8-sig``; else strict UTF-8; else cp949 if it decodes and
    holds Hangul; else latin-1 (which decodes anything). Delimiter: of ``, ; TAB |`` the one
    that splits the sample's lines into the most equal, >1 field counts (``csv.Sniffer`` breaks
    ties). Header: row 1 is a header when none of its fields is a number while a column below
    it is numeric; when every column is text, ``csv.Sniffer.has_header`` decides.

    Raises
    ------
    CSVFileNotFoundError, CSVEmptyError, CSVBinaryError, CSVEncodingError
    """
    raw = _head_bytes(path, sample_bytes)
    enc = encoding or _detect_encoding(raw)
    text = _decode_sample(path, raw, enc, complete=len(raw) < sample_bytes)
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise CSVEmptyError("the file holds no rows", path)
    q = '"' if quotechar is None else quotechar
    d = delimiter or _detect_delimiter(lines[:200], q)
    if header is None:
        header = _detect_header(lines[:SAMPLE_ROWS], d, q)
    return Dialect(encoding=enc, delimiter=d, quotechar=q, header=bool(header))


def _head_bytes(path, n: int) -> bytes:
    try:
        if os.path.isdir(path):
            raise CSVFileNotFoundError("is a folder, not a file", path)
        with open(path, "rb") as f:
            raw = f.read(n)
    except FileNotFoundError:
        raise CSVFileNotFoundError("no such file", path) from None
    except PermissionError:
        raise CSVFileNotFoundError("the file cannot be read (permission denied)", path) from None
    if not raw.strip():
        raise CSVEmptyError("the file is empty", path)
    body = raw[3:] if raw.startswith(codecs.BOM_UTF8) else raw
    controls = len(body) - len(body.translate(None, _CONTROLS))
    if b"\x00" in body or controls > max(8, len(body) // 100):
        raise CSVBinaryError("this is not a text file (it holds binary bytes); choose a CSV "
                             "file (UTF-16 files must be saved as UTF-8 first)", path)
    return raw


_CONTROLS = bytes((*range(0, 9), 11, 12, *range(14, 32)))   # not in text (TAB, LF, CR are)


def _detect_encoding(raw: bytes) -> str:
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for enc in ("utf-8", "cp949"):
        try:
            text = codecs.getincrementaldecoder(enc)().decode(raw, final=False)
        except UnicodeDecodeError:
            continue
        # cp949 decodes many latin-1 byte pairs too; only Hangul makes it the likely one
        if enc == "utf-8" or any("\uac00" <= ch <= "\ud7a3" for ch in text):
            return enc
    return "latin-1"


def _decode_sample(path, raw: bytes, enc: str, complete: bool) -> str:
    try:
        text = codecs.getincrementaldecoder(enc)().decode(raw, final=complete)
    except UnicodeDecodeError as e:
        row = raw[:e.start].count(b"\n") + 1
        raise CSVEncodingError(f"the bytes do not decode as {enc}; choose another encoding",
                               path, row) from None
    except LookupError:
        raise CSVSettingsError(f"unknown encoding {enc!r}", path) from None
    if not complete and "\n" in text:  # drop a last line cut in the middle
        text = text[:text.rindex("\n") + 1]
    return text


def _detect_delimiter(lines: list[str], q: str) -> str:
    lines = [line for line in lines if line.strip()]
    best, best_score = ",", (-1.0, 0)
    for d in DELIMITERS:
        counts = [len(r) for r in csv.reader(lines, delimiter=d, quotechar=q)]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        if mode < 2:
            continue
        score = (counts.count(mode) / len(counts), mode)
        if score > best_score:
            best, best_score = d, score
    if best_score[0] < 0:
        try:
            return csv.Sniffer().sniff("\n".join(lines[:50]), delimiters="".join(DELIMITERS)).delimiter
        except csv.Error:
            return ","
    return best


def _is_number(s: str) -> bool:
    try:
        return math.isfinite(float(s))
    except ValueError:
        return False


def _detect_header(lines: list[str], d: str, q: str) -> bool:
    rows = [r for r in csv.reader(lines, delimiter=d, quotechar=q) if r]
    if len(rows) < 2:
        return not all(_is_number(v) for v in rows[0]) if rows else True
    first, rest = rows[0], rows[1:]
    if any(_is_number(v.strip()) for v in first):
        return False
    for j in range(len(first)):
        values = [r[j].strip() for r in rest if j < len(r) and r[j].strip() not in MISSING]
        if values and all(_is_number(v) for v in values):
            return True
    try:
        return csv.Sniffer().has_header("\n".join(lines[:50]))
    except csv.Error:
        return True


# --- columns and table -------------------------------------------------------------------


@dataclass(eq=False)
class Column:
    """One column of a :class:`Table`.

    Attributes
    ----------
    name : str
    kind : {"numeric", "categorical", "boolean", "text"}
    role : {"feature", "target", "ignore"}
    values : ndarray or None
        numeric: float32 of shape (N,), NaN where missing; categorical / boolean: int32 codes
        of shape (N,), -1 where missing; text: None (not stored).
    categories : list of str or None
        Category of each code (categorical, boolean).
    n_missing : int
    """

    name: str
    kind: str
    role: str
    values: np.ndarray | None = None
    categories: list[str] | None = None
    n_missing: int = 0

    def missing(self) -> np.ndarray:
        """Boolean mask of missing values, shape (N,)."""
        if self.kind == "numeric":
            return np.isnan(self.values)
        return self.values < 0

    def summary(self) -> dict:
        """Per-column facts for the data panel (JSON-able)."""
        out = {"name": self.name, "kind": self.kind, "role": self.role,
               "missing": int(self.n_missing)}
        if self.kind == "numeric" and self.values is not None and self.values.size > self.n_missing:
            v = self.values[~np.isnan(self.values)]
            out.update(min=float(v.min()), max=float(v.max()), mean=float(v.mean(dtype=np.float64)))
        elif self.categories is not None:
            out["categories"] = list(self.categories)
        return out


@dataclass(eq=False)
class Table:
    """A CSV file read into typed columns, with its target and task.

    Attributes
    ----------
    path : str
    dialect : Dialect
    columns : list of Column
        All columns in file order (text columns with ``values=None``).
    n_rows : int
        Data rows (header and blank lines excluded).
    target : str or None
        Name of the target column (None: no target, e.g. a prediction-time file).
    task : {"classification", "regression"} or None
    class_names : list of str or None
        Classification: class of each index of :meth:`y`.
    class_counts : dict of str to int or None
    warnings : list of str
        Things a person should see (imbalance, dropped rows, ...).
    preview : list of list of str
        The first rows as text, header first (for the import dialog).
    """

    path: str
    dialect: Dialect
    columns: list[Column]
    n_rows: int
    target: str | None = None
    task: str | None = None
    class_names: list[str] | None = None
    class_counts: dict[str, int] | None = None
    warnings: list[str] = field(default_factory=list)
    preview: list[list[str]] = field(default_factory=list)

    def __getitem__(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def features(self) -> list[Column]:
        """Columns with role ``feature``, in file order."""
        return [c for c in self.columns if c.role == "feature"]

    def kinds(self) -> dict[str, str]:
        """``{name: kind}`` of every column -- pass as ``types`` to read a like-shaped file."""
        return {c.name: c.kind for c in self.columns}

    def y(self) -> tuple[np.ndarray, np.ndarray]:
        """Targets of every row and the mask of rows that have one.

        Returns
        -------
        y : ndarray
            Classification: int64 class indices of shape (N,) (-1 where missing).
            Regression: float32 of shape (N, 1) (NaN where missing).
        valid : ndarray of bool, shape (N,)
        """
        if self.target is None:
            raise CSVTargetError("the table has no target column", self.path)
        col = self[self.target]
        if self.task == "regression":
            return col.values.reshape(-1, 1), ~np.isnan(col.values)
        if col.kind == "numeric":
            levels = np.array([float(c) for c in self.class_names])
            valid = ~np.isnan(col.values)
            y = np.full(self.n_rows, -1, np.int64)
            y[valid] = np.searchsorted(levels, col.values[valid].astype(np.float64))
            return y, valid
        return col.values.astype(np.int64), col.values >= 0

    def to_dataset(self, preprocessing: Mapping | None = None, name: str | None = None,
                   description: str = ""):
        """All rows as a :class:`~engine.data.dataset.Dataset`, features encoded.

        ``preprocessing`` is the settings of :func:`engine.data.preprocessing.fit`, fitted on
        every row (for a train / validation / test pipeline use
        :func:`engine.data.preprocessing.prepare`). Rows without a target are dropped, and
        rows with a missing feature value when its column's ``missing`` is ``"drop"``.
        """
        from engine.data.preprocessing import fit, make_dataset

        y, valid = self.y()
        rows = np.flatnonzero(valid)
        pre = fit(self, preprocessing, rows=rows)
        return make_dataset(self, pre, rows, name or _stem(self.path), description)


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0] or "csv"


# --- reading -----------------------------------------------------------------------------


def read_csv(path, *, encoding: str | None = None, delimiter: str | None = None,
             quotechar: str | None = None, header: bool | None = None,
             target: str | int | None = "auto", task: str | None = None,
             types: Mapping[str, str] | None = None, roles: Mapping[str, str] | None = None,
             missing_values: Iterable[str] = MISSING, progress: Progress | None = None,
             chunk_bytes: int = 4 << 20) -> Table:
    """Read a CSV file into a :class:`Table`.

    Parameters
    ----------
    path : str or path-like
    encoding, delimiter, quotechar, header
        Dialect overrides; None: detected by :func:`sniff`.
    target : str or int or None, default "auto"
        Target column by name or 0-based index; ``"auto"``: the last column that is not
        text; None: no target (a file to predict on).
    task : {"classification", "regression"}, optional
        Override of the detected task. Detected: a categorical / boolean / text target, or a
        numeric one with at most 20 distinct integer values, is classification (binary or
        N-class); any other numeric target is regression.
    types : dict of str to str, optional
        Kind overrides by column name (see the module docstring). A column set ``numeric``
        that holds text is an error; a column *detected* numeric from the first rows that
        later holds text becomes categorical.
    roles : dict of str to str, optional
        Role overrides by column name (``"feature"``, ``"target"``, ``"ignore"``). Text
        columns are ignored unless given another kind.
    missing_values : iterable of str
        Tokens (after stripping spaces) that mean "missing"; NaN always does.
    progress : callable, optional
        ``progress(fraction, rows)`` after every chunk; return False to cancel.
    chunk_bytes : int
        Bytes per chunk (memory vs. callback rate); a chunk always ends at a line end.

    Returns
    -------
    Table

    Raises
    ------
    CSVError
        A subclass naming file, row and column. ImportCancelled when cancelled.
    """
    path = os.fspath(path)
    dialect = sniff(path, encoding=encoding, delimiter=delimiter, quotechar=quotechar,
                    header=header)
    missing = frozenset(missing_values) | {"nan", "NaN"}
    names, sample_rows, sample_lines = _sample(path, dialect)
    types = dict(types or {})
    roles = dict(roles or {})
    for what, given, allowed in (("type", types, KINDS), ("role", roles, ROLES)):
        for name, value in given.items():
            if name not in names:
                raise CSVSettingsError(f"a {what} is given for column {name!r}, which the file "
                                       f"does not have; its columns are: {', '.join(names)}", path)
            if value not in allowed:
                raise CSVSettingsError(f"{what} must be one of {allowed}, got {value!r}",
                                       path, column=name)
    if task is not None and task not in TASKS:
        raise CSVSettingsError(f"task must be one of {TASKS}, got {task!r}", path)

    detected = {n: _detect_kind([r[j] if j < len(r) else "" for r in sample_rows], n, missing)
                for j, n in enumerate(names)}
    kinds = {**detected, **types}
    target_name = _choose_target(path, names, kinds, roles, target)
    if target_name is not None and kinds[target_name] == "text":
        kinds[target_name] = "categorical"  # many labels is still classification
    role_of = {}
    for n in names:
        default = "target" if n == target_name else ("ignore" if kinds[n] == "text" else "feature")
        role_of[n] = roles.get(n, default)
        if n != target_name and role_of[n] == "target":
            role_of[n] = "ignore"

    forced = set(types)
    while True:
        try:
            columns, n_rows = _read_columns(path, dialect, names, kinds, forced, missing,
                                            progress, chunk_bytes)
            break
        except _Demote as d:   # detected numeric from the sample, text further down
            kinds[d.name] = "categorical"
    if n_rows == 0:
        raise CSVEmptyError("the file has a header but no data rows", path)

    cols = [Column(n, kinds[n], role_of[n], *columns.get(n, (None, None, 0))) for n in names]
    preview = ([names] if dialect.header else []) + [list(r) for r in sample_rows[:20]]
    table = Table(path, dialect, cols, n_rows, preview=preview)
    if target_name is not None:
        _set_task(table, target_name, task)
    return table


def _sample(path, dialect: Dialect) -> tuple[list[str], list[list[str]], list[str]]:
    raw = _head_bytes(path, SAMPLE_BYTES)
    text = _decode_sample(path, raw, dialect.encoding, complete=len(raw) < SAMPLE_BYTES)
    lines = text.splitlines()[:SAMPLE_ROWS + 1]
    rows = [r for r in csv.reader(lines, delimiter=dialect.delimiter,
                                  quotechar=dialect.quotechar or None) if r]
    if not rows:
        raise CSVEmptyError("the file holds no rows", path)
    if dialect.header:
        names, rows = [v.strip() for v in rows[0]], rows[1:]
    else:
        names = [f"column {j + 1}" for j in range(len(rows[0]))]
    seen: dict[str, int] = {}
    unique = []
    for j, n in enumerate(names):
        n = n or f"column {j + 1}"
        if n in seen:
            seen[n] += 1
            n = f"{n}_{seen[n]}"
        seen.setdefault(n, 1)
        unique.append(n)
    return unique, rows, lines


def _detect_kind(values: list[str], name: str, missing: frozenset) -> str:
    present = [v.strip() for v in values if v.strip() not in missing]
    if not present:
        return "numeric"
    if all(_is_number(v) for v in present):
        numbers = np.array([float(v) for v in present])
        # a running row number (1, 2, 3, ...) is an identifier, not a feature
        if (len(numbers) >= 20 and np.all(numbers == np.round(numbers))
                and np.all(np.diff(numbers) == 1)):
            return "text"
        return "numeric"
    distinct = set(present)
    lowered = {v.lower() for v in distinct}
    if len(distinct) <= 2 and lowered <= (TRUE_WORDS | FALSE_WORDS) and not (
            lowered <= TRUE_WORDS or lowered <= FALSE_WORDS) or lowered in ({"true"}, {"false"}):
        return "boolean"
    if len(distinct) <= MAX_CATEGORIES and len(distinct) <= max(2, len(present) // 2):
        return "categorical"
    return "text"


def _choose_target(path, names, kinds, roles, target) -> str | None:
    given = [n for n, r in roles.items() if r == "target"]
    if target == "auto":
        if given:
            return given[0]
        candidates = [n for n in names if kinds[n] != "text" and roles.get(n) != "ignore"]
        return candidates[-1] if candidates else None
    if target is None:
        return None
    if isinstance(target, int) and not isinstance(target, bool):
        if not -len(names) <= target < len(names):
            raise CSVSettingsError(f"target column index {target} is out of range: the file "
                                   f"has {len(names)} columns", path)
        return names[target]
    if target not in names:
        raise CSVSettingsError(f"there is no target column {target!r}; the columns are: "
                               f"{', '.join(names)}", path)
    return target


class _Demote(Exception):
    def __init__(self, name: str):
        self.name = name


class _Codes:
    """Categories of one column, grown chunk by chunk; strings -> int32 codes."""

    def __init__(self, missing: frozenset):
        self.missing = missing
        self.raw: dict[str, int] = {}          # value as in the file -> code
        self.index: dict[str, int] = {}        # stripped value -> code
        self.categories: list[str] = []

    def encode(self, values: list[str]) -> np.ndarray:
        raw = self.raw
        for v in set(values).difference(raw):
            s = v.strip()
            if s in self.missing:
                raw[v] = -1
                continue
            code = self.index.get(s)
            if code is None:
                code = self.index[s] = len(self.categories)
                self.categories.append(s)
            raw[v] = code
        return np.fromiter(map(raw.__getitem__, values), np.int32, len(values))

    def finish(self, chunks: list[np.ndarray], kind: str) -> tuple[np.ndarray, list[str]]:
        order = sorted(range(len(self.categories)), key=lambda i: _category_key(self.categories[i]))
        if kind == "boolean":
            order.sort(key=lambda i: self.categories[i].lower() in TRUE_WORDS)
        remap = np.empty(len(order) + 1, np.int32)
        remap[np.array(order, dtype=np.int64)] = np.arange(len(order), dtype=np.int32)
        remap[-1] = -1                                  # code -1 indexes the last slot
        codes = np.concatenate(chunks) if chunks else np.empty(0, np.int32)
        return remap[codes], [self.categories[i] for i in order]


def _category_key(s: str):
    try:
        return (0, float(s), s)
    except ValueError:
        return (1, 0.0, s)


def _read_columns(path, dialect, names, kinds, forced, missing, progress, chunk_bytes):
    """Stream the file; returns ``{name: (values, categories, n_missing)}`` and the row count."""
    used = [j for j, n in enumerate(names) if kinds[n] != "text"]
    numeric = {j for j in used if kinds[names[j]] == "numeric"}
    num_cols = [j for j in used if j in numeric]
    numbers = _Rows(len(num_cols))     # float32 (numeric columns, rows), grown as rows come
    chunks: dict[int, list[np.ndarray]] = {j: [] for j in used if j not in numeric}
    coders = {j: _Codes(missing) for j in used if j not in numeric}
    d, q = dialect.delimiter, dialect.quotechar
    fast = _FastReader(path, dialect, names, used, numeric, forced, missing)
    qb = q.encode(fast.field_encoding) if q else b""    # "utf-8-sig" would put a BOM in front
    size = max(1, os.path.getsize(path))
    threads = _threads()
    pool = ThreadPoolExecutor(threads) if fast.enabled and threads > 1 and size > PIECE else None
    fast.pool, fast.threads = pool, threads
    try:
        done, n_rows = 0, 0
        with ExitStack() as stack:
            f = stack.enter_context(open(path, "rb"))
            line_no = 0
            if dialect.header:
                first = f.readline()
                done, line_no = len(first), 1
            decoder = codecs.getincrementaldecoder(dialect.encoding)()
            fed = False
            blocks_of_f = _blocks(f, chunk_bytes, qb)
            if pool is not None:
                blocks_of_f = stack.enter_context(closing(_read_ahead(blocks_of_f, pool)))
            for raw in blocks_of_f:                     # csv_fast.HEAD, then the block
                nul = raw.find(b"\x00", PAD)
                if nul >= 0:
                    row = line_no + raw.count(b"\n", PAD, nul) + 1
                    raise CSVBinaryError("binary bytes (NUL) in the file", path, row)
                ascii = raw.isascii()
                data = text = None
                # plain ASCII reads the same in every encoding the fast path takes: skip decoding
                # (a few bytes still go in first, so that a utf-8-sig decoder has seen the start)
                if not (fast.enabled and ascii):
                    data = raw[PAD:]
                    text = _decode_block(decoder, data, path, line_no, dialect.encoding)
                elif not fed:
                    decoder.decode(raw[PAD:PAD + 3])
                fed = True
                parts = fast.chunk(raw, ascii, line_no, coders) if fast.enabled else None
                if parts is None:
                    if data is None:
                        data = raw[PAD:]
                    if text is None:
                        text = data.decode("ascii")
                    if "\r" in text:
                        text = text.replace("\r\n", "\n")
                    lines = text.split("\n")
                    if lines and lines[-1] == "":
                        lines.pop()
                    parsed = _slow_chunk(path, lines, line_no, d, q, names, used, numeric, kinds,
                                         forced, missing)
                    for j in chunks:
                        parsed[j] = coders[j].encode(parsed[j])
                    parsed["numeric"] = np.stack([parsed[j] for j in num_cols]) if num_cols \
                        else None
                    parsed["rows"] = len(parsed[used[0]]) if used else len(lines)
                    parts = [parsed]
                    line_no += data.count(b"\n") + (not data.endswith(b"\n"))
                else:
                    line_no += sum(p["rows"] for p in parts)
                done += len(raw) - PAD
                expected_rows = (n_rows + sum(p["rows"] for p in parts)) * size / done
                for part in parts:
                    n_rows += part["rows"]
                    if num_cols:
                        numbers.append(part.pop("numeric"), expected_rows)
                    for j in chunks:
                        chunks[j].append(part[j])
                del parts
                if progress is not None and progress(min(1.0, done / size), n_rows) is False:
                    raise ImportCancelled(f"import of {path} cancelled at row {line_no}")
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    out = {}
    matrix = numbers.result()
    for k, j in enumerate(num_cols):
        values = matrix[k]
        out[names[j]] = (values, None, int(np.count_nonzero(np.isnan(values))))
    for j in list(chunks):   # one column at a time, so only one column is ever held twice
        parts = chunks.pop(j)
        values, cats = coders[j].finish(parts, kinds[names[j]])
        out[names[j]] = (values, cats, int((values < 0).sum()))
        del parts
    return out, n_rows


class _Rows:
    """Numeric values of all rows, a (columns, rows) float32 array filled part by part.

    Each part is copied in as soon as it is parsed and let go, so that the values are held
    twice only one part at a time.  The array is allocated for the number of rows the file
    will likely have (from the bytes read so far) and grown if it has more; pages past the
    last row are never touched, so they take no memory.
    """

    def __init__(self, n_columns: int):
        self.values = np.empty((n_columns, 0), np.float32)
        self.n = 0

    def append(self, part: np.ndarray, expected_rows: float) -> None:
        end = self.n + part.shape[1]
        if end > self.values.shape[1]:
            grown = np.empty((len(self.values), max(end, int(expected_rows * 1.02) + 1024,
                                                    self.values.shape[1] * 5 // 4)), np.float32)
            grown[:, :self.n] = self.values[:, :self.n]
            self.values = grown
        self.values[:, self.n:end] = part
        self.n = end

    def result(self) -> np.ndarray:
        """``(columns, rows)``; a copy when the estimate was far too high."""
        if self.values.shape[1] > self.n * 1.1 + 4096:
            return self.values[:, :self.n].copy()
        return self.values[:, :self.n]


def _threads() -> int:
    """Threads to parse on: ``THREADS``, or 1 while other programs keep the cores busy.

    NumPy lets go of the GIL inside each operation, but a thread takes it back between two:
    when two threads share one core, those hand-overs cost more than the second thread gives
    (measured: 15-20 % slower with the other core busy, 20 % faster with it idle).
    """
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):      # not on every platform
        return THREADS
    return THREADS if load < (os.cpu_count() or 1) - 0.5 else 1


def _decode_block(decoder, data: bytes, path, line_no: int, encoding: str) -> str:
    try:
        return decoder.decode(data, final=False)
    except UnicodeDecodeError as e:
        row = line_no + data[:e.start].count(b"\n") + 1
        raise CSVEncodingError(f"the bytes do not decode as {encoding}; choose "
                               f"another encoding (latin-1 reads any bytes)", path, row) from None


def _blocks(f, size: int, qb: bytes):
    """Blocks of ``f`` of about ``size`` bytes that end at a line end outside quotes.

    Each comes after ``csv_fast.HEAD`` (``PAD`` bytes ending in a newline), which the fast
    path needs in front of a block's first line: the file is read straight into a bytearray
    that starts with it and with the previous block's unfinished line.
    """
    carry = b""
    while True:
        raw = bytearray(PAD + len(carry) + size)
        raw[:PAD] = HEAD
        raw[PAD:PAD + len(carry)] = carry
        n = f.readinto(memoryview(raw)[PAD + len(carry):])
        if not n:
            if carry:
                yield HEAD + carry
            return
        end = PAD + len(carry) + n
        cut = raw.rfind(b"\n", PAD + len(carry), end)
        if cut < 0:
            carry = raw[PAD:end]
            continue
        if qb and raw.find(qb, PAD, cut) >= 0 and raw.count(qb, PAD, cut) % 2:
            carry = raw[PAD:end]                      # a quoted field holds a newline: read on
            continue
        carry = bytes(raw[cut + 1:end])
        del raw[cut + 1:]
        yield raw


def _read_ahead(blocks, pool):
    """The items of ``blocks``, each read by ``pool`` while the one before is worked on."""
    pending = pool.submit(next, blocks, None)
    try:
        while (item := pending.result()) is not None:
            pending = pool.submit(next, blocks, None)
            yield item
    finally:
        if not pending.cancel():          # running: wait, a generator runs in one thread at once
            try:
                pending.result()
            except Exception:             # the reader's own error; the caller's is on its way
                pass
        blocks.close()


def _split_lines(raw: bytes, start: int, size: int) -> list[tuple[int, int]]:
    """``raw[start:]`` cut after newlines into ranges of about ``size`` bytes."""
    ranges, a = [], start
    while len(raw) - a > size + size // 2:
        cut = raw.find(b"\n", a + size)
        if cut < 0 or cut + 1 >= len(raw):
            break
        ranges.append((a, cut + 1))
        a = cut + 1
    ranges.append((a, len(raw)))
    return ranges


# encodings in which no byte of a multi-byte character is a delimiter, quote, CR or LF (cp949's
# second bytes can be ASCII letters, never punctuation): lines and fields split on the bytes
_BYTE_SAFE = frozenset({"utf-8", "utf-8-sig", "iso8859-1", "cp949", "euc_kr", "ascii", "cp1252"})


class _FastReader:
    """Reads plain chunks straight from their bytes (:mod:`engine.data.csv_fast`).

    A chunk is plain when it holds no quote character and no carriage return other than in
    CRLF line ends, and every line has exactly one field per column (so no blank line either);
    any other chunk returns None and goes to :func:`_slow_chunk`.  Numbers the vectorized
    parser does not take (missing tokens, exponents, spaces, text, ...) go through
    :func:`_floats`, the careful path's own code, so both paths give the same values and the
    same errors.
    """

    def __init__(self, path, dialect, names, used, numeric, forced, missing):
        self.path, self.names, self.forced, self.missing = path, names, forced, missing
        codec = codecs.lookup(dialect.encoding).name
        # a utf-8-sig field is decoded as utf-8: only the file's first bytes may be a BOM
        self.field_encoding = "utf-8" if codec == "utf-8-sig" else dialect.encoding
        try:
            d = dialect.delimiter.encode(self.field_encoding)
            self.quote = (dialect.quotechar or "").encode(self.field_encoding)
        except UnicodeEncodeError:
            d = self.quote = b""
        self.delimiter = d
        self.enabled = bool(used) and codec in _BYTE_SAFE and len(d) == 1 and d < b"\x80" \
            and d not in b"\r\n" and len(self.quote) <= 1
        self.numeric = [j for j in used if j in numeric]
        self.categorical = [j for j in used if j not in numeric]
        self.categories = {j: csv_fast.Categories() for j in self.categorical}
        self.pool, self.threads = None, 1

    def chunk(self, raw: bytes, ascii: bool, line_no: int, coders: dict) -> list[dict] | None:
        """Parse the plain block ``raw[PAD:]`` (see :func:`_blocks`), else None.

        Returns parts in file order, each ``{"rows": n, "numeric": float32 (numeric columns,
        n), column: int32 codes of shape (n,)}``.  The block is cut into pieces of ``PIECE``
        bytes; the pool's threads split their lines and parse numbers, this thread codes
        categories.
        """
        one_column = len(self.names) == 1     # else a blank line is a row with too few fields
        if (self.quote and raw.find(self.quote, PAD) >= 0) \
                or raw.startswith((b"\n", codecs.BOM_UTF8), PAD) \
                or (one_column and raw.find(b"\n\n", PAD) >= 0):
            return None
        if raw.find(b"\r", PAD) >= 0:
            raw = raw.replace(b"\r\n", b"\n")
            if raw.find(b"\r", PAD) >= 0 or raw.startswith(b"\n", PAD) \
                    or (one_column and raw.find(b"\n\n", PAD) >= 0):
                return None
        if not raw.endswith(b"\n"):
            raw = raw + b"\n"                         # a new object: the caller's stays
        # pieces of at most PIECE bytes, at least one per thread
        ranges = _split_lines(raw, PAD, min(PIECE, (len(raw) - PAD) // self.threads + 1)
                              if self.pool else PIECE)
        if self.pool:
            done = self.pool.map(lambda r: self._numbers(raw, *r, ascii), ranges)
        else:
            done = (self._numbers(raw, a, b, ascii) for a, b in ranges)
        parts, plain = [], True
        enc = self.field_encoding
        ncol = len(self.names)
        for piece in done:              # in file order, as the threads finish them
            plain = plain and piece is not None
            if not plain:
                continue                # let the pool finish; the careful path takes the block
            chunk, seps, values, left, found = piece
            part = {"rows": (seps.size - 1) // ncol, "numeric": values, "piece": piece}
            # new categories are coded here while the threads parse the next pieces; codes
            # given to a block that then goes the careful way are the ones it gives again
            for j in self.categorical:
                part[j] = self.categories[j].resolve(
                    chunk, seps[j:-1:ncol] + 1, seps[j + 1::ncol], found[j],
                    lambda raws, coder=coders[j]: coder.encode([r.decode(enc) for r in raws]))
            parts.append(part)
        if not plain:
            return None
        for part in parts:              # only now: a ragged line further on is the error
            chunk, seps, values, left, _ = part.pop("piece")
            if left is not None:
                self._careful(chunk, seps, values, left, line_no)
            line_no += part["rows"]
        return parts

    def _numbers(self, raw: bytes, start: int, end: int, ascii: bool) -> tuple | None:
        """Split lines ``raw[start:end]`` into fields and parse the numeric columns.

        Runs in a worker thread.  Returns the :class:`~engine.data.csv_fast.Chunk`, its
        separators, the float32 (numeric columns, rows) values, the separator indices of the
        fields left to the careful path (or None) and each categorical column's table lookup;
        None when the lines are not plain.
        """
        chunk = csv_fast.Chunk(raw, start, end, ascii)
        ncol = len(self.names)
        seps = chunk.separators(self.delimiter, ncol)
        if seps is None:
            return None
        n = (seps.size - 1) // ncol
        cols = np.array(self.numeric, dtype=np.intp)
        values = np.empty((len(cols), n), np.float32)
        # a few ten thousand fields at a time, so that the parser's temporaries stay in cache;
        # field (row r, column c) ends at seps[r * ncol + c + 1]
        step = max(64, csv_fast.BATCH // max(1, len(cols)))
        pattern = (np.arange(step) * ncol + cols[:, None] + 1).ravel()
        left = []
        for a in range(0, n if len(cols) else 0, step):
            b = min(n, a + step)
            at = (pattern if b - a == step else
                  (np.arange(b - a) * ncol + cols[:, None] + 1).ravel()) + a * ncol
            e = seps.take(at)                          # column after column
            s = seps.take(at - 1)
            s += 1
            parsed, ok = csv_fast.parse_decimals(chunk, s, e)
            values[:, a:b] = parsed.reshape(len(cols), b - a)
            if not ok.all():
                left.append(at[~ok])
        found = {j: self.categories[j].lookup(chunk, seps[j:-1:ncol] + 1, seps[j + 1::ncol])
                 for j in self.categorical}
        return chunk, seps, values, (np.concatenate(left) if left else None), found

    def _texts(self, chunk, starts, ends) -> list[str]:
        enc = self.field_encoding
        return [t.decode(enc) for t in chunk.texts(starts, ends)]

    def _careful(self, chunk, seps, values, at, line_no):
        """Fill in the fields the vectorized parser left (ending at ``seps[at]``) with the
        careful path's own code, column by column and in file order, as it would."""
        ncol = len(self.names)
        row, col = np.divmod(at - 1, ncol)
        order = np.lexsort((row, col))
        at, row, col = at[order], row[order], col[order]
        for k, j in enumerate(self.numeric):
            lo, hi = np.searchsorted(col, [j, j + 1])
            if lo == hi:
                continue
            texts = self._texts(chunk, seps[at[lo:hi] - 1] + 1, seps[at[lo:hi]])
            rows = row[lo:hi]
            name = self.names[j]
            values[k, rows] = _floats(self.path, texts, (rows + line_no + 1).tolist(), name,
                                      name in self.forced, self.missing)


def _slow_chunk(path, lines, line_no, d, q, names, used, numeric, kinds, forced, missing):
    """Parse a chunk with the csv module, naming the row and column of any problem."""
    reader = csv.reader(lines, delimiter=d, quotechar=q or None)
    rows, rownums = [], []
    ncol = len(names)
    try:
        for r in reader:
            if not r or (len(r) == 1 and not r[0].strip() and ncol > 1):
                continue
            row = line_no + reader.line_num
            if len(r) != ncol:
                if len(r) < ncol:
                    raise CSVRaggedError(f"the row has {len(r)} fields but the header has {ncol}; "
                                         f"this column is missing", path, row, names[len(r)])
                raise CSVRaggedError(f"the row has {len(r)} fields but the header has {ncol} "
                                     f"(extra field after the last column)", path, row, names[-1])
            rows.append(r)
            rownums.append(row)
    except csv.Error as e:
        raise CSVError(f"malformed CSV ({e})", path, line_no + reader.line_num) from None
    fields = list(zip(*rows)) if rows else [() for _ in names]
    out = {}
    for j in used:
        values = list(fields[j])
        out[j] = (_floats(path, values, rownums, names[j], names[j] in forced, missing)
                  if j in numeric else values)
    return out


def _floats(path, values, rownums, name, forced, missing) -> np.ndarray:
    try:
        a = np.fromiter(map(float, values), np.float64, len(values))
        bad = np.flatnonzero(np.isinf(a))
        if not bad.size:
            return a.astype(np.float32)
        i = int(bad[0])
        raise _Bad(i, values[i], "an infinite value is not allowed")
    except ValueError:
        pass
    except _Bad as b:
        raise CSVTypeError(f"{b.value!r}: {b.why}", path, rownums[b.i], name) from None
    out = np.empty(len(values), np.float32)
    for i, v in enumerate(values):
        s = v.strip()
        if s in missing:
            out[i] = np.nan
            continue
        try:
            x = float(s)
        except ValueError:
            if not forced:
                raise _Demote(name) from None
            raise CSVTypeError(f"{v!r} is not a number, but the column is set numeric (leave "
                               f"its type to detection, or make it categorical)",
                               path, rownums[i], name) from None
        if math.isinf(x):
            raise CSVTypeError(f"{v!r}: an infinite value is not allowed", path, rownums[i], name)
        out[i] = x
    return out


class _Bad(Exception):
    def __init__(self, i, value, why):
        self.i, self.value, self.why = i, value, why


def _set_task(table: Table, name: str, task: str | None) -> None:
    col = table[name]
    path = table.path
    if col.kind == "numeric":
        v = col.values[~np.isnan(col.values)]
        levels = np.unique(v)
        integer = bool(np.all(levels == np.round(levels)))
        detected = "classification" if integer and len(levels) <= MAX_CLASSES else "regression"
    else:
        levels = np.arange(len(col.categories))
        detected = "classification"
    chosen = task or detected
    if levels.size < 2:
        only = "no value" if levels.size == 0 else (
            f"only the value {_fmt(levels[0]) if col.kind == 'numeric' else col.categories[0]!r}")
        last = table.n_rows + (1 if table.dialect.header else 0)
        first = 2 if table.dialect.header else 1
        raise CSVTargetError(f"the target column holds {only} in every row (rows {first}-{last}); "
                             f"a target needs at least two different values", path, column=name)
    if chosen == "regression" and col.kind != "numeric":
        raise CSVTargetError(f"regression needs a numeric target, but this column is {col.kind}",
                             path, column=name)
    table.target, table.task = name, chosen
    if chosen == "regression":
        return
    if col.kind == "numeric":
        table.class_names = [_fmt(x) for x in levels]
        counts = np.array([(col.values == x).sum() for x in levels]) if levels.size <= 1000 else \
            np.unique(v, return_counts=True)[1]
    else:
        table.class_names = list(col.categories)
        counts = np.bincount(col.values[col.values >= 0], minlength=len(col.categories))
    table.class_counts = {c: int(k) for c, k in zip(table.class_names, counts)}
    if counts.min() < IMBALANCE * counts.max():
        small = table.class_names[int(counts.argmin())]
        big = table.class_names[int(counts.argmax())]
        table.warnings.append(
            f"strong class imbalance: {small!r} has {int(counts.min())} rows, {big!r} has "
            f"{int(counts.max())}; consider class weights in the loss")
    if col.n_missing:
        table.warnings.append(f"{col.n_missing} rows have no target value and are left out")


def _fmt(x) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() else repr(x)
