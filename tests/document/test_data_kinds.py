"""Project files with the builtin and csv data kinds: round trip, validation, training."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from nnstudio.document import examples
from nnstudio.document import project_file as pf
from nnstudio.document.errors import ProjectFileError
from nnstudio.document.model import DataSource
from nnstudio.training import snapshot

CSV = ("size;colour;kind\n" + "".join(
    f"{i % 5 + 0.5 * (i % 2)};{['red', 'green'][i % 2]};{['a', 'b'][i % 2]}\n"
    for i in range(60))).encode("latin-1")


def csv_project(**config):
    project = examples.spirals_classifier()
    cfg = {"file": "t.csv", "encoding": "latin-1", "delimiter": ";", "header": True,
           "target": "kind", "task": "classification", **config}
    project.set_data(DataSource("csv", cfg, {"size": {"scale": "minmax"}}), {"t.csv": CSV})
    return project


def builtin_project(name="iris"):
    project = examples.spirals_classifier()
    project.set_data(DataSource("builtin", {"name": name}, {}))
    return project


@pytest.mark.parametrize("make", [builtin_project, csv_project])
def test_new_kinds_round_trip(make):
    project = make()
    assert pf.loads(pf.dumps(project)) == project


def test_csv_kind_trains_with_preprocessing_fitted_on_training_rows():
    project = csv_project()
    job = snapshot.prepare(project)
    assert job.x.dtype == np.float32 and job.n_features == 3 and job.n_outputs == 2
    assert job.y.dtype == np.int64
    # min-max fitted on the training rows only: those lie in [0, 1]
    rows = snapshot._training_rows(len(job.dataset.x), project.training)
    size = job.dataset.x[rows, 0]
    assert size.min() == pytest.approx(0) and size.max() == pytest.approx(1)


def test_csv_kind_with_a_path_relative_to_the_project(tmp_path):
    (tmp_path / "t.csv").write_bytes(CSV)
    project = csv_project()
    config = dict(project.data.config)
    del config["file"]
    project.set_data(DataSource("csv", {"path": "t.csv", **config}, {}))
    path = tmp_path / "p.nnproj"
    pf.save(project, path)
    loaded = pf.load(path)
    assert loaded == project
    job = snapshot.prepare(loaded, base_dir=str(tmp_path))
    assert job.n_features == 3


def test_builtin_sizes():
    for name, (features, outputs) in {"iris": (4, 3), "penguins": (10, 3),
                                      "diabetes": (10, 1)}.items():
        ds = snapshot.load_data(DataSource("builtin", {"name": name}))
        assert (ds.n_features, ds.n_outputs if ds.task == "regression" else ds.n_classes) == (
            features, outputs)


def _rewrite(blob: bytes, edit) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(blob))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "project.json":
                doc = json.loads(data)
                edit(doc["document"])
                data = json.dumps(doc).encode()
            dst.writestr(info, data)
    return out.getvalue()


@pytest.mark.parametrize("edit, words", [
    (lambda d: d["data"]["config"].update(name="nope"), "nope"),
    (lambda d: d["data"].update(kind="parquet"), "parquet"),
])
def test_bad_builtin_sources_are_refused(edit, words):
    blob = _rewrite(pf.dumps(builtin_project()), edit)
    with pytest.raises(ProjectFileError, match=words):
        pf.loads(blob)


@pytest.mark.parametrize("edit, words", [
    (lambda d: d["data"]["config"].update(file="other.csv"), "other.csv"),
    (lambda d: d["data"]["config"].update(delimiter=";;"), "one character"),
    (lambda d: d["data"]["config"].update(encoding="klingon"), "klingon"),
    (lambda d: d["data"]["config"].update(task="ranking"), "ranking"),
    (lambda d: d["data"]["config"].update(roles={"size": "boss"}), "boss"),
    (lambda d: d["data"]["config"].update(path="x.csv"), "either"),
    (lambda d: d["data"]["config"].update(colour="blue"), "colour"),
    (lambda d: d["data"]["preprocessing"].update(size={"scale": "log"}), "log"),
])
def test_bad_csv_sources_are_refused(edit, words):
    blob = _rewrite(pf.dumps(csv_project()), edit)
    with pytest.raises(ProjectFileError, match=words):
        pf.loads(blob)
