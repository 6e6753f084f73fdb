"""The vectorized fast path of CSV import gives exactly what the careful (csv module) path gives.

Every test reads one real file twice: as the importer reads it (plain chunks through
``engine.data.csv_fast``), and with the fast path switched off so that every chunk goes through
the csv module and ``float()``.  A spy checks that the fast path really took the file (or the
part of it that it should), so that no test compares the careful path with itself.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from engine.data import csv_import
from engine.data.csv_import import CSVRaggedError, CSVTypeError, read_csv


@pytest.fixture
def fast_blocks(monkeypatch):
    """Counts the blocks the fast path parsed (a list, one entry per block it took)."""
    taken = []
    chunk = csv_import._FastReader.chunk

    def spy(self, *args, **kwargs):
        parts = chunk(self, *args, **kwargs)
        if parts is not None:
            taken.append(sum(p["rows"] for p in parts))
        return parts

    monkeypatch.setattr(csv_import._FastReader, "chunk", spy)
    return taken


def careful(path, **options):
    """Read with every chunk through the csv module."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr(csv_import._FastReader, "chunk", lambda self, *a, **k: None)
        return read_csv(path, **options)


def assert_same(fast, slow):
    assert fast.names == slow.names and fast.n_rows == slow.n_rows
    for a, b in zip(fast.columns, slow.columns):
        assert (a.kind, a.role, a.n_missing, a.categories) == (b.kind, b.role, b.n_missing,
                                                                 b.categories), a.name
        if b.values is None:
            assert a.values is None
            continue
        assert a.values.dtype == b.values.dtype and a.values.shape == b.values.shape
        # bit for bit: same NaNs, same signed zeros, same float32 rounding
        np.testing.assert_array_equal(a.values.view(np.int32), b.values.view(np.int32),
                                      err_msg=a.name)
    assert (fast.target, fast.task, fast.class_names, fast.class_counts, fast.warnings) == (
        slow.target, slow.task, slow.class_names, slow.class_counts, slow.warnings)


def write(path, lines, *, newline="\n", end=True, encoding="utf-8"):
    text = newline.join(lines) + (newline if end else "")
    path.write_bytes(text.encode(encoding))
    return path


def plain_rows(n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n) * 10.0 ** rng.integers(-3, 4, n)
    colours = np.array(["red", "green", "blue"])
    return [f"{v:.6g},{colours[k]},{k % 2}" for v, k in zip(x, rng.integers(0, 3, n))]


def test_number_spellings_match_float(tmp_path, fast_blocks):
    """Every way of writing a number, parsed or handed on, gives float()'s float32."""
    values = ["0", "-0", "-0.0", "007", "5.", ".5", "-.5", "1.25", "-1.25", "123456789012345",
              "1234567890123456", "12345678901234567", "0.000001", "-0.00154971",
              "3.141592653589793", "0.1000000000000000055511151231257827", "1e-05", "1E5",
              "-2.5e+10", "+3", "+.5", "16777217", "16777216.5", "0.30000000000000004",
              "99999999.99999999", "1.00000005960464477539", "340282356779733661637539395",
              "1.401298464324817e-45", "nan", "NaN", "", "NA", "?", "null"]
    rows = ["x,k"] + [f"{v},{i % 2}" for i, v in enumerate(values)]
    rng = np.random.default_rng(1)
    for _ in range(3000):   # random decimals of every length the fast path takes, and longer
        digits = "".join(map(str, rng.integers(0, 10, rng.integers(1, 19))))
        cut = rng.integers(0, len(digits) + 1)
        text = ("-" if rng.random() < 0.5 else "") + digits[:cut] + "." + digits[cut:] \
            if rng.random() < 0.8 else digits
        rows.append(f"{text},{len(rows) % 2}")
    path = write(tmp_path / "numbers.csv", rows)
    fast = read_csv(path)
    assert fast_blocks and fast["x"].kind == "numeric"
    assert_same(fast, careful(path))
    expected = np.array([np.nan if v in ("", "NA", "?", "null") else float(v)
                         for v in [r.split(",")[0] for r in rows[1:]]], np.float32)
    np.testing.assert_array_equal(fast["x"].values, expected)
    assert np.signbit(fast["x"].values[1:3]).all()          # "-0" and "-0.0" stay negative


def test_quoted_fields_with_the_delimiter_fall_back_per_chunk(tmp_path, fast_blocks):
    rows = ["x,colour,y"] + plain_rows(4000)
    rows[2500] = '1.5,"red, dark",1'
    rows[2501] = '2.5,"blue ""sky""",0'
    path = write(tmp_path / "quoted.csv", rows)
    fast = read_csv(path, chunk_bytes=8192)
    assert fast_blocks and sum(fast_blocks) < fast.n_rows == 4000   # mixed fast and careful
    assert "red, dark" in fast["colour"].categories and 'blue "sky"' in fast["colour"].categories
    assert_same(fast, careful(path, chunk_bytes=8192))


def test_empty_fields_and_missing_tokens(tmp_path, fast_blocks):
    rows = ["a,b,colour,y"]
    for i in range(3000):
        a = ["", "NA", "nan", "?", "NaN", " ", str(i * 0.25)][i % 7]
        colour = ["", "red", "NA", "blue"][i % 4]
        rows.append(f"{a},{'' if i % 5 == 0 else -i},{colour},{i % 3}")
    path = write(tmp_path / "missing.csv", rows)
    fast = read_csv(path, chunk_bytes=4096)
    assert sum(fast_blocks) == 3000
    assert fast["a"].n_missing == 6 * 3000 // 7 + 1 and fast["b"].n_missing == 600
    assert fast["colour"].categories == ["blue", "red"] and fast["colour"].n_missing == 1500
    assert_same(fast, careful(path, chunk_bytes=4096))


@pytest.mark.parametrize("spelling", ["inf", "-inf", "Infinity", "1e999"])
def test_infinite_values_are_the_same_error(tmp_path, fast_blocks, spelling):
    rows = ["a,y"] + [f"{i * 0.5},{i % 2}" for i in range(2000)]
    rows[1500] = f"{spelling},1"
    path = write(tmp_path / "inf.csv", rows)
    with pytest.raises(CSVTypeError) as fast_error:
        read_csv(path, chunk_bytes=4096)
    assert fast_blocks
    with pytest.raises(CSVTypeError) as slow_error:
        careful(path, chunk_bytes=4096)
    assert str(fast_error.value) == str(slow_error.value)
    assert "row 1501, column 'a'" in str(fast_error.value) and "infinite" in str(fast_error.value)


def test_crlf_line_ends(tmp_path, fast_blocks):
    path = write(tmp_path / "crlf.csv", ["x,colour,y"] + plain_rows(3000), newline="\r\n")
    fast = read_csv(path, chunk_bytes=8192)
    assert sum(fast_blocks) == 3000 and fast["colour"].categories == ["blue", "green", "red"]
    assert_same(fast, careful(path, chunk_bytes=8192))
    assert_same(fast, read_csv(write(tmp_path / "lf.csv", ["x,colour,y"] + plain_rows(3000))))


def test_last_line_without_newline(tmp_path, fast_blocks):
    rows = ["x,colour,y"] + plain_rows(3000)
    path = write(tmp_path / "noeol.csv", rows, end=False)
    fast = read_csv(path, chunk_bytes=8192)
    assert sum(fast_blocks) == 3000 and fast.n_rows == 3000
    assert fast["x"].values[-1] == np.float32(float(rows[-1].split(",")[0]))
    assert_same(fast, careful(path, chunk_bytes=8192))


def test_whitespace_around_numbers_and_categories(tmp_path, fast_blocks):
    rows = ["x;colour;y"] + [f"{' ' * (i % 3)}{i * 0.75}{' ' * (i % 2)};"
                             f"{' red' if i % 2 else 'red '};{i % 2}" for i in range(2000)]
    path = write(tmp_path / "spaces.csv", rows)
    fast = read_csv(path)
    assert fast_blocks and fast.dialect.delimiter == ";"
    assert fast["colour"].categories == ["red"] and fast["x"].values[3] == np.float32(2.25)
    assert_same(fast, careful(path))


def test_text_late_in_a_numeric_column(tmp_path, fast_blocks):
    rows = ["v,y"] + [f"{i % 7}.5,{i % 2}" for i in range(5000)] + ["high,0"]
    path = write(tmp_path / "late.csv", rows)
    fast = read_csv(path, chunk_bytes=8192)
    assert fast_blocks and fast["v"].kind == "categorical" and "high" in fast["v"].categories
    assert_same(fast, careful(path, chunk_bytes=8192))
    with pytest.raises(CSVTypeError) as fast_error:
        read_csv(path, chunk_bytes=8192, types={"v": "numeric"})
    with pytest.raises(CSVTypeError) as slow_error:
        careful(path, chunk_bytes=8192, types={"v": "numeric"})
    assert str(fast_error.value) == str(slow_error.value)
    assert "row 5002, column 'v': 'high' is not a number" in str(fast_error.value)


def test_ragged_row_inside_a_plain_chunk(tmp_path, fast_blocks):
    rows = ["x,colour,y"] + plain_rows(3000)
    rows[2000] = rows[2000] + ",extra"
    path = write(tmp_path / "ragged.csv", rows)
    with pytest.raises(CSVRaggedError) as fast_error:
        read_csv(path, chunk_bytes=8192)
    with pytest.raises(CSVRaggedError) as slow_error:
        careful(path, chunk_bytes=8192)
    assert str(fast_error.value) == str(slow_error.value)
    assert "row 2001, column 'y'" in str(fast_error.value)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949", "latin-1"])
def test_encodings_and_long_categories(tmp_path, fast_blocks, encoding):
    names = {"utf-8": ["서울", "Zürich", "Köln", "Ελλάδα"],
             "utf-8-sig": ["서울", "Zürich", "a"],
             "cp949": ["서울", "부산", "Seoul"],
             "latin-1": ["Zürich", "Köln", "Café"]}[encoding]
    names = names + ["a category name longer than sixteen bytes"]
    rng = np.random.default_rng(2)
    rows = ["city,x,y"] + [f"{names[k]},{v:.4f},{k % 2}" for k, v in
                           zip(rng.integers(0, len(names), 4000), rng.normal(size=4000))]
    path = write(tmp_path / f"{encoding}.csv", rows, encoding=encoding)
    fast = read_csv(path, chunk_bytes=16384)
    assert fast.dialect.encoding == encoding and sum(fast_blocks) == 4000
    assert fast["city"].categories == sorted(names)
    assert_same(fast, careful(path, chunk_bytes=16384))


def test_python_number_forms_beyond_ascii_digits(tmp_path, fast_blocks):
    """float() also reads "1_000" and other scripts' digits; so does the fast path's fallback."""
    rows = ["a,y"] + [f"{i * 0.5},{i % 2}" for i in range(2000)]
    rows[1500], rows[1501] = "1_000,1", "\u0661\u0662,0"
    path = write(tmp_path / "forms.csv", rows)
    fast = read_csv(path, types={"a": "numeric"})
    assert fast_blocks and fast["a"].values[1499] == 1000 and fast["a"].values[1500] == 12
    assert_same(fast, careful(path, types={"a": "numeric"}))


def test_many_categories(tmp_path, fast_blocks):
    """More categories than the hash table holds without collisions, alike in their first bytes."""
    rng = np.random.default_rng(4)
    codes = rng.integers(0, 3000, 20_000)
    rows = ["item,x,y"] + [f"category_{c:04d},{c * 0.5},{c % 2}" for c in codes]
    path = write(tmp_path / "many.csv", rows)
    fast = read_csv(path, types={"item": "categorical"}, chunk_bytes=1 << 16)
    assert sum(fast_blocks) == 20_000
    assert fast["item"].categories == [f"category_{c:04d}" for c in np.unique(codes)]
    np.testing.assert_array_equal(fast["item"].values, np.searchsorted(np.unique(codes), codes))
    assert_same(fast, careful(path, types={"item": "categorical"}, chunk_bytes=1 << 16))


def test_blank_lines_in_a_one_column_file(tmp_path, fast_blocks):
    rows = ["x"] + [("" if i % 50 == 7 else f"{i * 0.5}") for i in range(3000)]
    path = write(tmp_path / "one.csv", rows)
    fast = read_csv(path, target=None, chunk_bytes=4096)
    assert fast.n_rows == 3000 - 60
    assert_same(fast, careful(path, target=None, chunk_bytes=4096))


def test_large_file_parsed_on_threads_in_pieces(tmp_path, fast_blocks, monkeypatch):
    """A file bigger than a piece goes through the thread pool, pieces in file order."""
    monkeypatch.setattr(csv_import, "PIECE", 1 << 16)
    monkeypatch.setattr(csv_import, "_threads", lambda: 2)
    pieces = []                                             # (thread, first byte) per piece
    numbers = csv_import._FastReader._numbers
    monkeypatch.setattr(csv_import._FastReader, "_numbers", lambda self, raw, a, b, ascii: (
        pieces.append((threading.current_thread(), a)) or numbers(self, raw, a, b, ascii)))
    rng = np.random.default_rng(3)
    n = 30_000
    cols = [np.char.mod("%.6g", rng.normal(size=n) * 10.0 ** rng.integers(-6, 4, n))
            for _ in range(6)]
    words = np.array(["low", "mid", "high", "highest of them all!"])     # the last: 20 bytes
    cols.append(words[rng.integers(0, 4, n)])
    cols.append(rng.integers(0, 3, n).astype(str))
    rows = ["a,b,c,d,e,f,level,label"] + [",".join(r) for r in zip(*cols)]
    path = write(tmp_path / "big.csv", rows)
    assert path.stat().st_size > 4 * csv_import.PIECE
    seen = []
    fast = read_csv(path, progress=lambda f, k: seen.append(k), chunk_bytes=3 * csv_import.PIECE)
    assert sum(fast_blocks) == n and seen[-1] == n
    assert len(pieces) >= 2 * len(fast_blocks) and threading.main_thread() not in dict(pieces)
    assert fast.task == "classification" and fast["level"].kind == "categorical"
    assert_same(fast, careful(path, chunk_bytes=3 * csv_import.PIECE))


@pytest.mark.parametrize("text", ["1/5", "1-2", "1+2", "(1)", "1'5", "1*5", "12-", "--1",
                                  "1..2", "1.2.3", "-", ".", "0x10", "1__0", "1 2", "12e",
                                  "1.5\x7f", "1é5", "5€"])
def test_near_numbers_in_a_numeric_column_are_errors(tmp_path, fast_blocks, text):
    """Bytes next to the digits and the point in ASCII are never read as digits."""
    rows = ["a,y"] + [f"{i * 0.5},{i % 2}" for i in range(2000)]
    rows[1800] = f"{text},1"
    path = write(tmp_path / "near.csv", rows)
    with pytest.raises(CSVTypeError) as fast_error:
        read_csv(path, types={"a": "numeric"})
    assert fast_blocks == []   # the block with the error never completes
    with pytest.raises(CSVTypeError) as slow_error:
        careful(path, types={"a": "numeric"})
    assert str(fast_error.value) == str(slow_error.value)
    assert f"row 1801, column 'a': {text!r} is not a number" in str(fast_error.value)


def test_cancel_and_errors_while_threads_parse(tmp_path, fast_blocks, monkeypatch):
    monkeypatch.setattr(csv_import, "PIECE", 1 << 16)
    monkeypatch.setattr(csv_import, "_threads", lambda: 2)
    rows = ["x,colour,y"] + plain_rows(120_000)
    path = write(tmp_path / "cancel.csv", rows)
    assert path.stat().st_size > 4 * csv_import.PIECE        # so read on threads
    seen, threads = [], threading.active_count()
    with pytest.raises(csv_import.ImportCancelled):
        read_csv(path, progress=lambda f, n: seen.append(n) or f < 0.5,
                 chunk_bytes=csv_import.PIECE // 2)
    assert 0 < seen[-1] < 120_000 and fast_blocks
    assert threading.active_count() == threads              # the readers are gone
    rows[100_000] = "seven,red,1"
    path = write(tmp_path / "late_text.csv", rows)
    with pytest.raises(CSVTypeError, match=r"row 100001, column 'x': 'seven' is not a number"):
        read_csv(path, types={"x": "numeric"}, chunk_bytes=csv_import.PIECE // 2)
    table = read_csv(path, chunk_bytes=csv_import.PIECE // 2)      # detected numeric: demoted
    assert table["x"].kind == "categorical" and "seven" in table["x"].categories
