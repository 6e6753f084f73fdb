"""CSV import: dialects, types, roles, task, progress / cancel, and every bad file's message."""

from __future__ import annotations

import numpy as np
import pytest

from engine.data import ImportCancelled, read_csv, sniff
from engine.data.csv_import import (CSVBinaryError, CSVEmptyError, CSVEncodingError, CSVError,
                                    CSVFileNotFoundError, CSVRaggedError, CSVSettingsError,
                                    CSVTargetError, CSVTypeError)

CITIES = ["서울 Zürich", "Café", "Köln", "Zürich"]
ROWS = [["도시 city", "temp", "rainy", "label"]] + [
    [CITIES[i % 4], ["1.5", "-2", "3.25", "0"][i % 4], ["yes", "no"][i % 2], "ab"[i % 2]]
    for i in range(8)]


def _write(tmp_path, rows, *, delimiter=",", encoding="utf-8", name="data.csv", newline="\n"):
    path = tmp_path / name
    text = newline.join(delimiter.join(r) for r in rows) + newline
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949", "latin-1"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_every_dialect_imports(tmp_path, encoding, delimiter):
    rows = ROWS if encoding in ("utf-8", "utf-8-sig", "cp949") else [
        [c.replace("도시 ", "").replace("서울 ", "") for c in r] for r in ROWS]
    if encoding == "cp949":   # cp949 has no ü / é
        rows = [[c.replace("ü", "u").replace("é", "e").replace("ö", "o") for c in r] for r in rows]
    path = _write(tmp_path, rows, delimiter=delimiter, encoding=encoding)
    table = read_csv(path)
    assert table.dialect.encoding == encoding
    assert table.dialect.delimiter == delimiter and table.dialect.header
    assert table.names == rows[0]
    assert table.n_rows == 8
    np.testing.assert_allclose(table["temp"].values, [1.5, -2, 3.25, 0] * 2)
    assert table[rows[0][0]].categories == sorted({r[0] for r in rows[1:]})
    assert table["rainy"].kind == "boolean" and table["rainy"].categories == ["no", "yes"]
    assert table.target == "label" and table.task == "classification"
    assert table.class_counts == {"a": 4, "b": 4}


def test_crlf_quotes_and_no_header(tmp_path):
    path = tmp_path / "q.csv"
    path.write_bytes(b'1.5,"red, dark",x\r\n2.5,"blue ""sky""",y\r\n3.5,red,x\r\n')
    table = read_csv(path, types={"column 2": "categorical"})
    assert not table.dialect.header
    assert table.names == ["column 1", "column 2", "column 3"]
    assert table["column 2"].categories == ['blue "sky"', "red", "red, dark"]


def test_overrides_win(tmp_path):
    path = _write(tmp_path, ROWS)
    table = read_csv(path, delimiter=",", header=True, target="temp", task="regression",
                     roles={"rainy": "ignore"}, types={"label": "categorical"})
    assert table.task == "regression" and table["rainy"].role == "ignore"
    assert [c.name for c in table.features()] == ["도시 city", "label"]
    d = sniff(path, encoding="latin-1")
    assert d.encoding == "latin-1"


def test_types_and_missing_values(tmp_path):
    rows = [["id", "name", "x", "flag", "y"]]
    for i in range(30):
        x = ["", "NA", "NaN", "?"][i % 4] if i % 5 == 0 else str(i * 0.5)
        rows.append([str(i + 1), f"person {i}", x, ["true", "false"][i % 2], str(i % 3)])
    table = read_csv(_write(tmp_path, rows))
    kinds = {c.name: (c.kind, c.role) for c in table.columns}
    assert kinds == {"id": ("text", "ignore"), "name": ("text", "ignore"),
                     "x": ("numeric", "feature"), "flag": ("boolean", "feature"),
                     "y": ("numeric", "target")}
    assert table["x"].n_missing == 6 and table.task == "classification"
    assert table.class_names == ["0", "1", "2"]
    assert table["flag"].categories == ["false", "true"]


def test_numeric_detected_early_but_text_later_becomes_categorical(tmp_path):
    rows = [["v", "y"]] + [[str(i % 3), str(i % 2)] for i in range(1500)] + [["high", "0"]]
    table = read_csv(_write(tmp_path, rows))
    assert table["v"].kind == "categorical"
    assert table["v"].categories == ["0", "1", "2", "high"]


def test_regression_task_and_imbalance_warning(tmp_path):
    rows = [["x", "y"]] + [[str(i), f"{i * 0.37:.3f}"] for i in range(0, 60, 2)]
    assert read_csv(_write(tmp_path, rows)).task == "regression"
    rows = [["x", "y"]] + [[str(i * 3), "rare" if i < 2 else "common"] for i in range(50)]
    table = read_csv(_write(tmp_path, rows, name="imb.csv"))
    assert table.class_counts == {"common": 48, "rare": 2}
    assert any("imbalance" in w for w in table.warnings)


def test_progress_and_cancel(tmp_path):
    rows = [["a", "b", "y"]] + [[str(i * 0.1), str(i % 7), str(i % 2)] for i in range(20000)]
    path = _write(tmp_path, rows)
    seen = []
    table = read_csv(path, progress=lambda f, n: seen.append((f, n)), chunk_bytes=4096)
    assert table.n_rows == 20000 and len(seen) > 10
    assert seen[-1] == (1.0, 20000) and all(a[0] <= b[0] for a, b in zip(seen, seen[1:]))
    with pytest.raises(ImportCancelled):
        read_csv(path, progress=lambda f, n: f < 0.5, chunk_bytes=4096)


def test_fast_and_careful_paths_agree(tmp_path):
    rng = np.random.default_rng(0)
    rows = [["a", "b", "c", "y"]] + [[f"{v:.6g}", ["p", "q", "r"][k], f"{w:.3f}", str(k % 2)]
                                     for v, k, w in zip(rng.normal(size=3000), rng.integers(0, 3, 3000),
                                                        rng.normal(size=3000))]
    plain = read_csv(_write(tmp_path, rows, name="plain.csv"))
    quoted_rows = [rows[0]] + [[r[0], f'"{r[1]}"', r[2], r[3]] for r in rows[1:]]
    quoted = read_csv(_write(tmp_path, quoted_rows, name="quoted.csv"))
    for name in ("a", "b", "c", "y"):
        np.testing.assert_array_equal(plain[name].values, quoted[name].values)


# --- bad files ---------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(CSVFileNotFoundError, match=r"nope\.csv: no such file"):
        read_csv(tmp_path / "nope.csv")


def test_empty_file_and_header_only(tmp_path):
    (tmp_path / "e.csv").write_bytes(b"")
    with pytest.raises(CSVEmptyError, match=r"e\.csv: the file is empty"):
        read_csv(tmp_path / "e.csv")
    (tmp_path / "h.csv").write_bytes(b"a,b,c\n")
    with pytest.raises(CSVEmptyError, match=r"h\.csv: .*no data rows"):
        read_csv(tmp_path / "h.csv")


def test_binary_junk(tmp_path):
    path = tmp_path / "junk.csv"
    path.write_bytes(bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8)))
    with pytest.raises(CSVBinaryError, match=r"junk\.csv: this is not a text file"):
        read_csv(path)


def test_ragged_row_names_row_and_column(tmp_path):
    path = _write(tmp_path, [["a", "b", "c"], ["1", "2", "x"], ["3", "4"], ["5", "6", "y"]])
    with pytest.raises(CSVRaggedError, match=r"data\.csv, row 3, column 'c': the row has 2 fields"):
        read_csv(path)
    path = _write(tmp_path, [["a", "b", "c"], ["1", "2", "x"], ["3", "4", "y", "9"]], name="x.csv")
    with pytest.raises(CSVRaggedError, match=r"x\.csv, row 3, column 'c': .*extra field"):
        read_csv(path)


def test_target_with_one_value(tmp_path):
    path = _write(tmp_path, [["a", "y"], ["1", "k"], ["2", "k"], ["3", "k"]])
    with pytest.raises(CSVTargetError,
                       match=r"data\.csv, column 'y': .*only the value 'k' in every row \(rows 2-4\)"):
        read_csv(path)


def test_text_in_a_column_set_numeric(tmp_path):
    rows = [["a", "y"]] + [[str(i), str(i % 2)] for i in range(5)] + [["seven", "1"]]
    with pytest.raises(CSVTypeError, match=r"data\.csv, row 7, column 'a': 'seven' is not a number"):
        read_csv(_write(tmp_path, rows), types={"a": "numeric"})


def test_bad_bytes_for_a_forced_encoding(tmp_path):
    path = _write(tmp_path, [["a", "y"], ["1", "x"], ["Zürich", "z"]], encoding="latin-1")
    with pytest.raises(CSVEncodingError, match=r"data\.csv, row 3: the bytes do not decode as utf-8"):
        read_csv(path, encoding="utf-8")


def test_unknown_settings(tmp_path):
    path = _write(tmp_path, ROWS)
    with pytest.raises(CSVSettingsError, match="column 'nope'"):
        read_csv(path, types={"nope": "numeric"})
    with pytest.raises(CSVSettingsError, match="no target column 'zz'"):
        read_csv(path, target="zz")
    with pytest.raises(CSVTargetError, match="regression needs a numeric target"):
        read_csv(path, task="regression")


def test_every_error_is_a_csv_error_and_a_value_error():
    for cls in (CSVFileNotFoundError, CSVEmptyError, CSVBinaryError, CSVEncodingError,
                CSVRaggedError, CSVTypeError, CSVTargetError, CSVSettingsError):
        assert issubclass(cls, CSVError) and issubclass(cls, ValueError)
