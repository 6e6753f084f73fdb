"""A project on raw tabular data (penguins: text columns and missing values): the run stores
its fitted preprocessing and its test-split metrics, and ``predict`` / ``evaluate --data`` /
``export --onnx`` apply that preprocessing to a new raw CSV."""

import csv
import json

import numpy as np
import pytest

from nnstudio import cli
from nnstudio.document import project_file
from nnstudio.document.model import DataSource, Node, Project

# imputation in two columns; the others drop rows with a missing value (the default)
SETTINGS = {"bill_length_mm": {"missing": "median"}, "sex": {"missing": "most_frequent"},
            "body_mass_g": {"scale": "minmax"}}
HEADER = ["id", "sex", "year", "body_mass_g", "flipper_length_mm", "bill_depth_mm",
          "bill_length_mm", "island"]  # another order than the training file's, plus an id
ROWS = [["a", "male", 2008, 4200, 210, 17.1, 45.2, "Biscoe"],
        ["b", "female", 2009, 3400, 190, 18.0, 38.9, "Atlantis"],   # an unseen island
        ["c", "female", 2007, 3800, 195, 18.4, "NA", "Dream"],      # bill length imputed
        ["d", "", 2008, 5000, 220, 15.0, 48.0, "Torgersen"],        # sex imputed
        ["e", "male", 2008, 4000, 200, "", 40.0, "Dream"]]          # dropped at training


def _write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def penguins_project(test_split=0.2) -> Project:
    project = Project()
    project.data = DataSource("builtin", {"name": "penguins"}, SETTINGS)
    project.add_node(Node("in", "input", {}))
    project.add_node(Node("h", "dense", {"units": 12, "activation": "tanh"}))
    project.add_node(Node("out", "dense", {"units": "auto", "activation": "softmax"}))
    project.edges = [("in", "h"), ("h", "out")]
    project.set_training(loss={"name": "sparse_categorical_crossentropy"}, epochs=4,
                         batch_size=16, test_split=test_split, validation_split=0.2,
                         optimizer={"name": "adam", "lr": 0.02})
    return project


@pytest.fixture(scope="module")
def trained_penguins(tmp_path_factory):
    path = tmp_path_factory.mktemp("penguins") / "penguins.nnproj"
    project_file.save(penguins_project(), path)
    assert cli.main(["train", str(path)]) == 0
    return path


def by_hand(pre: dict, header, rows) -> tuple[np.ndarray, list[bool]]:
    """The network inputs of ``rows``, computed from the stored numbers alone."""
    out, keep = [], []
    for row in rows:
        cell = dict(zip(header, row))
        x, ok = [], True
        for c in pre["columns"]:
            value = str(cell[c["name"]]).strip()
            missing = value in ("", "NA")
            if missing and c["fill"] is None:
                ok = False
            if c["kind"] == "numeric":
                v = c["fill"] if missing else float(value)
                # in float32, as the engine computes (and as a float32 CSV value is read)
                f32 = np.float32
                x.append(0.0 if v is None else (f32(v) - f32(c["center"])) / f32(c["width"]))
            else:
                index = c["fill"] if missing else (c["categories"].index(value)
                                                   if value in c["categories"] else None)
                x += [1.0 if k == index else 0.0 for k in range(len(c["categories"]))]
        out.append(x)
        keep.append(ok)
    return np.array(out, np.float32), keep


def test_the_run_stores_its_preprocessing_and_test_metrics(trained_penguins, capsys):
    run = project_file.load(trained_penguins).runs[-1]
    columns = {c["name"]: c for c in run.preprocessor["columns"]}
    assert set(columns) == {"island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm",
                            "body_mass_g", "sex", "year"}
    assert columns["sex"]["categories"] == ["female", "male"]
    assert columns["sex"]["missing"] == "most_frequent" and columns["sex"]["fill"] in (0, 1)
    assert columns["bill_length_mm"]["missing"] == "median"
    assert columns["body_mass_g"]["scale"] == "minmax"
    assert set(run.final_metrics) == {"loss", "accuracy", "val_loss", "val_accuracy",
                                      "test_loss", "test_accuracy"}
    # evaluate recomputes the test split its own way: the same numbers
    assert cli.main(["evaluate", str(trained_penguins), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["split"] == "test" and result["n_samples"] == 68  # 20 % of 342 rows
    assert result["accuracy"] == pytest.approx(run.final_metrics["test_accuracy"])
    assert result["loss"] == pytest.approx(run.final_metrics["test_loss"], rel=1e-5)


def test_no_test_metrics_without_a_test_split(tmp_path):
    path = tmp_path / "p.nnproj"
    project_file.save(penguins_project(test_split=0.0), path)
    assert cli.main(["train", str(path), "--epochs", "1"]) == 0
    run = project_file.load(path).runs[-1]
    assert not [k for k in run.final_metrics if k.startswith("test_")]
    assert run.preprocessor is not None


def test_predict_applies_the_stored_preprocessing_to_raw_rows(trained_penguins, tmp_path,
                                                             capsys):
    inp = _write_csv(tmp_path / "new.csv", HEADER, ROWS)
    out = tmp_path / "out.csv"
    assert cli.main(["predict", str(trained_penguins), str(inp), "-o", str(out)]) == 0
    assert "1 row(s) left empty (rows 6)" in capsys.readouterr().out
    got = list(csv.reader(open(out)))
    assert got[0] == ["class", "p(Adelie)", "p(Chinstrap)", "p(Gentoo)"] and len(got) == 6
    assert got[5] == ["", "", "", ""]  # bill depth missing: training dropped such rows
    run = project_file.load(trained_penguins).runs[-1]
    x, keep = by_hand(run.preprocessor, HEADER, ROWS)
    assert keep == [True, True, True, True, False]
    assert x[1, :3].tolist() == [0.0, 0.0, 0.0]  # Atlantis: no island of training
    expected = cli.run_network(run).predict(x[:4])
    np.testing.assert_allclose([[float(v) for v in r[1:]] for r in got[1:5]], expected,
                               atol=1e-6)
    assert [r[0] for r in got[1:5]] == [["Adelie", "Chinstrap", "Gentoo"][k]
                                        for k in expected.argmax(1)]


def test_predict_on_the_training_file_itself(trained_penguins, tmp_path):
    from engine.data.builtin import BUILTIN_DATASETS

    source = BUILTIN_DATASETS.get("penguins").path()
    inp = tmp_path / "penguins.csv"
    inp.write_bytes(source.read_bytes())
    out = tmp_path / "out.csv"
    assert cli.main(["predict", str(trained_penguins), str(inp), "-o", str(out)]) == 0
    got = list(csv.reader(open(out)))[1:]
    raw = list(csv.reader(open(inp)))
    assert len(got) == len(raw) - 1 == 344
    assert sum(1 for r in got if r[0] == "") == 2  # the rows without bill depth


def test_predict_names_a_missing_column(trained_penguins, tmp_path, capsys):
    header = [h for h in HEADER if h != "sex"]
    rows = [[v for h, v in zip(HEADER, r) if h != "sex"] for r in ROWS]
    inp = _write_csv(tmp_path / "no_sex.csv", header, rows)
    out = tmp_path / "o.csv"
    assert cli.main(["predict", str(trained_penguins), str(inp), "-o", str(out)]) == cli.EXIT_CSV
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("nnstudio: ") and "Traceback" not in err
    assert "missing column(s) 'sex'" in err and "no_sex.csv" in err
    assert not out.exists()


def test_predict_names_a_cell_that_is_not_a_number(trained_penguins, tmp_path, capsys):
    rows = [list(r) for r in ROWS]
    rows[2][3] = "heavy"  # body_mass_g
    inp = _write_csv(tmp_path / "bad.csv", HEADER, rows)
    code = cli.main(["predict", str(trained_penguins), str(inp), "-o", str(tmp_path / "o.csv")])
    assert code == cli.EXIT_CSV
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "row 4" in err and "body_mass_g" in err, err


def test_evaluate_on_a_raw_labelled_csv(trained_penguins, tmp_path, capsys):
    labels = ["Gentoo", "Adelie", "Chinstrap", "Gentoo", "Adelie"]
    inp = _write_csv(tmp_path / "labelled.csv", HEADER + ["species"],
                     [r + [s] for r, s in zip(ROWS, labels)])
    assert cli.main(["evaluate", str(trained_penguins), "--data", str(inp), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n_samples"] == 4 and result["split"] == "labelled.csv"
    run = project_file.load(trained_penguins).runs[-1]
    x, _ = by_hand(run.preprocessor, HEADER, ROWS)
    predicted = cli.run_network(run).predict(x[:4]).argmax(1)
    assert result["accuracy"] == pytest.approx(np.mean(predicted == [2, 0, 1, 2]))


def test_export_onnx_takes_raw_columns(trained_penguins, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from engine.export import onnx as onnx_export

    path = tmp_path / "penguins.onnx"
    assert cli.main(["export", str(trained_penguins), "--onnx", str(path)]) == 0
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["input", "categories"]
    run = project_file.load(trained_penguins).runs[-1]
    pre = cli.run_preprocessor(run)
    columns = {h: [r[k] for r in ROWS] for k, h in enumerate(HEADER)}
    for name in ("bill_length_mm", "bill_depth_mm"):
        columns[name] = [np.nan if v in ("", "NA") else v for v in columns[name]]
    got = session.run(["output"], onnx_export.raw_inputs(pre, columns))[0]
    x, _ = by_hand(run.preprocessor, HEADER, ROWS)
    np.testing.assert_allclose(got[:4], cli.run_network(run).predict(x[:4]), atol=1e-5)
    assert np.isnan(got[4]).all()  # the row training would have dropped
    plain = tmp_path / "network.onnx"
    assert cli.main(["export", str(trained_penguins), "--onnx", str(plain),
                     "--network-only"]) == 0
    session = ort.InferenceSession(str(plain), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(["output"], {"input": x[:4]})[0],
                               cli.run_network(run).predict(x[:4]), atol=1e-5)
