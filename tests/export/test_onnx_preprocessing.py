"""ONNX export with the run's preprocessing: onnxruntime on the *raw* rows of the CSV gives
the engine's predictions (the stored preprocessing, then the network) within 1e-5."""

import csv

import numpy as np
import pytest

from engine import training
from engine.data.builtin import BUILTIN_DATASETS
from nnstudio.document.model import DataSource
from nnstudio.training import runs, snapshot

from .test_builtin_datasets_onnx import builtin_project

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from engine.export import onnx as onnx_export  # noqa: E402

MISSING = {"", "NA", "N/A", "n/a", "NaN", "nan", "?", "null", "NULL", "None"}


def trained_job(project):
    job = snapshot.prepare(project)
    for _ in training.fit(job.network, job.x, job.y, batch_events=False, **job.fit_kwargs):
        pass
    return job


def raw_columns(path, pre) -> dict:
    """The preprocessor's columns of a CSV, as plain Python reads them: numbers (NaN where
    missing) and text."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    columns = {}
    for c in pre.columns:
        values = [r[c["name"]].strip() for r in rows]
        if c["kind"] == "numeric":
            values = [np.nan if v in MISSING else float(v) for v in values]
        columns[c["name"]] = values
    return columns


def check(job, path, tmp_path):
    pre = job.preprocessor
    model_path = tmp_path / "model.onnx"
    onnx_export.save(job.network, model_path, pre)
    model = onnx.load(model_path)
    onnx.checker.check_model(model)
    session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    got = session.run([onnx_export.OUTPUT], onnx_export.raw_inputs(pre, raw_columns(path, pre)))[0]
    x, keep = runs.encode_csv(pre, path)
    np.testing.assert_allclose(got[keep], job.network.predict(x), atol=1e-5, rtol=1e-5)
    assert np.isnan(got[~keep]).all()  # rows the engine cannot encode are NaN, not guesses
    return model, keep


@pytest.mark.parametrize("name, settings", [
    ("penguins", {"bill_length_mm": {"missing": "median"}, "sex": {"missing": "most_frequent"},
                  "flipper_length_mm": {"missing": "mean", "scale": "minmax"}}),
    ("iris", {}),
    ("diabetes", {"*": {"scale": "minmax"}, "age": {"scale": "none"}}),
])
def test_builtin_raw_rows_match_the_engine(name, settings, tmp_path):
    project = builtin_project(name)
    project.data = DataSource("builtin", {"name": name}, settings)
    job = trained_job(project)
    path = tmp_path / f"{name}.csv"
    path.write_bytes(BUILTIN_DATASETS.get(name).path().read_bytes())
    model, keep = check(job, path, tmp_path)
    inputs = [i.name for i in model.graph.input]
    if name == "penguins":
        assert inputs == ["input", "categories"] and (~keep).sum() == 2  # bill depth NA
        assert {n.op_type for n in model.graph.node} >= {"OneHotEncoder", "IsNaN", "Where",
                                                         "Sub", "Div", "Gather"}
        assert "island, sex" in model.doc_string and "all-zero" in model.doc_string
        props = {p.key: p.value for p in model.metadata_props}
        assert props["categorical_columns"] == '["island", "sex"]'
    else:
        assert inputs == ["input"] and keep.all()


@pytest.mark.parametrize("name", BUILTIN_DATASETS.names())
def test_every_builtin_dataset_with_default_preprocessing(name, tmp_path):
    job = trained_job(builtin_project(name))
    path = tmp_path / f"{name}.csv"
    path.write_bytes(BUILTIN_DATASETS.get(name).path().read_bytes())
    check(job, path, tmp_path)


def test_boolean_unseen_and_missing_values(tmp_path):
    """An embedded CSV with a yes/no column, a category only the new file has, and missing
    values imputed (numeric by the median, categories by the most frequent) or dropped."""
    rng = np.random.default_rng(0)
    lines = ["size,colour,member,weight,kind"]
    for i in range(120):
        colour = ["red", "green", "blue"][i % 3]
        member = ["yes", "no"][i % 2]
        size = "" if i % 17 == 0 else f"{rng.normal(5, 2):.3f}"
        weight = f"{rng.normal(50, 10):.2f}"
        lines.append(f"{size},{colour if i % 13 else ''},{member},{weight},{['a', 'b'][i % 2]}")
    data = ("\n".join(lines) + "\n").encode()
    from nnstudio.document.model import Node, Project

    project = Project()
    project.set_data(DataSource("csv", {"file": "t.csv", "target": "kind",
                                        "task": "classification"},
                                {"size": {"missing": "median"},
                                 "colour": {"missing": "most_frequent"}}), {"t.csv": data})
    project.add_node(Node("in", "input", {}))
    project.add_node(Node("h", "dense", {"units": 6, "activation": "relu"}))
    project.add_node(Node("out", "dense", {"units": "auto", "activation": "softmax"}))
    project.edges = [("in", "h"), ("h", "out")]
    project.set_training(loss={"name": "sparse_categorical_crossentropy"}, epochs=2,
                         test_split=0.2)
    job = trained_job(project)
    kinds = {c["name"]: c["kind"] for c in job.preprocessor.columns}
    assert kinds == {"size": "numeric", "colour": "categorical", "member": "boolean",
                     "weight": "numeric"}
    new = tmp_path / "new.csv"
    new.write_text("weight,member,colour,size\n"
                   "51,yes,red,4.5\n"      # ordinary
                   "49,no,purple,6\n"      # a colour training never saw
                   "50, yes ,,\n"          # colour and size imputed
                   ",no,blue,5\n")         # weight missing: training dropped such rows
    model, keep = check(job, new, tmp_path)
    assert keep.tolist() == [True, True, True, False]
    x, _ = runs.encode_csv(job.preprocessor, new)
    colours = [i for i, n in enumerate(job.preprocessor.feature_names) if n.startswith("colour=")]
    assert x[1, colours].tolist() == [0.0, 0.0, 0.0]


def test_a_preprocessor_of_another_width_is_refused():
    project = builtin_project("iris")
    job = snapshot.prepare(project)
    other = snapshot.prepare(builtin_project("penguins")).preprocessor
    with pytest.raises(ValueError, match="encodes 10 inputs, but the network takes 4"):
        onnx_export.to_model(job.network, preprocessor=other)


def test_the_docs_onnx_example_runs_and_agrees_with_the_engine(tmp_path, monkeypatch):
    import pathlib
    import re

    from tests.cli.test_cli_raw_csv import HEADER, ROWS, by_hand, penguins_project

    text = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "export.md").read_text()
    [block] = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    job = trained_job(penguins_project())
    onnx_export.save(job.network, tmp_path / "penguins.onnx", job.preprocessor)
    with open(tmp_path / "new_penguins.csv", "w", newline="") as f:
        csv.writer(f).writerows([HEADER] + ROWS)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(block, "docs/export.md", "exec"), namespace)
    x, keep = by_hand(job.preprocessor.to_config(), HEADER, ROWS)
    got = namespace["probabilities"]
    np.testing.assert_allclose(got[keep], job.network.predict(x[keep]), atol=1e-5)
    assert np.isnan(got[~np.array(keep)]).all()
