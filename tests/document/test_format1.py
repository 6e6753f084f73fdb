"""Files of format 1 -- each run's weights in one nested ``weights/<run id>[.best].npz``
archive -- open through the migration 1 -> 2 exactly as they were saved.

``data/format1.nnproj`` was written by the format-1 writer (``data/make_format1.py`` says
how): a batch-norm network whose node ids hold a dot and a slash, a run with last and best
weights, a run without weights, and an embedded file.
"""

from __future__ import annotations

import io
import json
import pathlib
import zipfile

import numpy as np
import pytest

from nnstudio.document import migrations, zipio
from nnstudio.document import project_file as pf
from nnstudio.document.errors import CorruptProjectError, ProjectFileError

from .conftest import members, npz, project_json, rezip

DATA = pathlib.Path(__file__).resolve().parent / "data"
PATH = DATA / "format1.nnproj"
FORMAT1 = PATH.read_bytes()
NPZ = "weights/run1.npz"


def read_format1(data: bytes):
    """The document and ``{"run1": {name: array}, "run1.best": ...}``, read with zipfile and
    NumPy only, as format 1 documents it."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        header = json.loads(archive.read("project.json"))
        weights = {}
        for run in header["document"]["runs"]:
            for flag, suffix in (("has_weights", ""), ("has_best_weights", ".best")):
                if run[flag]:
                    blob = archive.read(f"weights/{run['id']}{suffix}.npz")
                    with np.load(io.BytesIO(blob), allow_pickle=False) as arrays:
                        weights[run["id"] + suffix] = {k: arrays[k] for k in arrays.files}
    return header, weights


HEADER, WEIGHTS = read_format1(FORMAT1)


def same_as_saved(project) -> None:
    # the migration 2 -> 3 gives each run a preprocessor: none for these (synthetic) runs
    runs = [{**run, "preprocessor": None} for run in HEADER["document"]["runs"]]
    assert project.to_dict() == {**HEADER["document"], "runs": runs}
    assert project.embedded == {"notes.csv": b"x1,x2,label\n0,1,1\n"}
    found = {}
    for run in project.runs:
        for suffix, arrays in (("", run.weights), (".best", run.best_weights)):
            if arrays is not None:
                found[run.id + suffix] = arrays
    assert list(found) == list(WEIGHTS) == ["run1", "run1.best"]
    for key, arrays in WEIGHTS.items():
        assert list(found[key]) == list(arrays)  # the order they were saved in
        for name, array in arrays.items():
            assert found[key][name].dtype == array.dtype == np.float32
            assert found[key][name].tobytes() == array.tobytes()


def test_the_fixture_is_a_format1_file():
    assert HEADER["format_version"] == 1 < migrations.FORMAT_VERSION
    assert list(members(FORMAT1)) == ["project.json", "data/notes.csv", "weights/run1.npz",
                                      "weights/run1.best.npz"]
    assert "bn/2.running_var" in WEIGHTS["run1"] and "hidden.1.weight" in WEIGHTS["run1"]


def test_a_format1_file_loads_as_it_was_saved():
    same_as_saved(pf.loads(FORMAT1))
    same_as_saved(pf.load(PATH))  # from disk: the arrays read where they lie in the file


def test_a_format1_project_is_saved_as_the_current_format(tmp_path):
    project = pf.load(PATH)
    path = tmp_path / "again.nnproj"
    pf.save(project, path)
    data = path.read_bytes()
    assert project_json(data)["format_version"] == migrations.FORMAT_VERSION
    names = list(members(data))
    assert "weights/run1/hidden.1.weight.npy" in names
    assert "weights/run1.best/bn%2F2.running_var.npy" in names
    assert not any(n.endswith(".npz") for n in names)
    assert pf.load(path) == project
    same_as_saved(pf.load(path))


def test_a_format1_file_zipped_again_with_compression_loads():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, (_, blob) in members(FORMAT1).items():
            archive.writestr(name, blob)
    same_as_saved(pf.loads(out.getvalue()))


def test_a_format1_npz_compressed_by_another_tool_loads():
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **WEIGHTS["run1"])
    same_as_saved(pf.loads(rezip(FORMAT1, {NPZ: buffer.getvalue()})))


def load_error(data: bytes) -> ProjectFileError:
    with pytest.raises(ProjectFileError) as info:
        pf.loads(data, "old.nnproj")
    assert not info.value.unexpected, repr(info.value.__cause__)
    return info.value


def _flip_in_npz(data: bytes, member: str, inner: str) -> bytes:
    source = zipio.MemorySource(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        outer = archive.getinfo(member)
        blob = archive.read(member)
    with zipfile.ZipFile(io.BytesIO(blob)) as nested:
        info = nested.getinfo(inner)
    start = zipio.data_offset(source, outer.header_offset, member.encode())
    position = zipio.data_offset(zipio.MemorySource(blob), info.header_offset,
                                 inner.encode()) + info.file_size - 1
    out = bytearray(data)
    out[start + position] ^= 0x10
    return bytes(out)


def test_errors_in_a_format1_file_name_its_nested_members():
    err = load_error(_flip_in_npz(FORMAT1, NPZ, "bn/2.bias.npy"))
    assert isinstance(err, CorruptProjectError) and "checksum" in err.reason
    assert err.where == "weights/run1.npz: bn/2.bias"
    arrays = dict(WEIGHTS["run1"])
    del arrays["out.bias"]
    err = load_error(rezip(FORMAT1, {NPZ: npz(arrays)}))
    assert err.where == "weights/run1.npz: out.bias" and "is missing" in err.reason
    err = load_error(rezip(FORMAT1, {NPZ: npz({**WEIGHTS["run1"], "x": np.zeros(2)})}))
    assert err.where == "weights/run1.npz: x" and "no parameter 'x'" in err.reason
    err = load_error(rezip(FORMAT1, {NPZ: npz({**WEIGHTS["run1"], "out.bias": np.zeros(3)})}))
    assert err.where == "weights/run1.npz: out.bias" and "shape (3,)" in err.reason


def test_a_damaged_format1_npz_is_a_typed_error():
    err = load_error(rezip(FORMAT1, {NPZ: b"not a zip at all"}))
    assert err.where == NPZ and "not a readable .npz" in err.reason
    with_text = io.BytesIO()
    with zipfile.ZipFile(with_text, "w") as archive:
        archive.writestr("readme.txt", b"hello")
    err = load_error(rezip(FORMAT1, {NPZ: with_text.getvalue()}))
    assert err.where == NPZ and "not an array" in err.reason


def test_weights_of_a_run_without_weights_are_refused():
    err = load_error(rezip(FORMAT1, add={"weights/run-2.npz": npz(WEIGHTS["run1"])}))
    assert err.where.startswith("weights/run-2.npz: ") and "not listed" in err.reason
