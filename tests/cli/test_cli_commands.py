"""``nnstudio info|evaluate|predict|export`` and every error path."""

import csv
import json
import subprocess
import sys

import numpy as np
import pytest

from nnstudio import cli
from nnstudio.document import project_file
from nnstudio.training import snapshot

from .conftest import EXAMPLES, ROOT, copy_example


def _write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _one_line_error(capsys, needle):
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("nnstudio: ") and needle in err, err
    return err


# -- info --------------------------------------------------------------------------------------
@pytest.mark.parametrize("example", [p.stem for p in EXAMPLES])
def test_info_shows_network_data_and_runs(tmp_path, capsys, example):
    path = copy_example(tmp_path, example)
    assert cli.main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "data: synthetic" in out and "total" in out and "runs: 0" in out
    assert cli.main(["train", str(path), "--epochs", "1"]) == 0
    capsys.readouterr()
    assert cli.main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "runs: 1" in out and "run1" in out and "completed" in out


# -- evaluate ----------------------------------------------------------------------------------
def test_evaluate_text_shows_the_confusion_matrix(trained, capsys):
    assert cli.main(["evaluate", str(trained)]) == 0
    out = capsys.readouterr().out
    assert "on validation data: 120 samples" in out
    assert "confusion matrix" in out and "arm 2" in out


def test_evaluate_json_matches_the_runs_validation_metrics(trained, capsys):
    assert cli.main(["evaluate", str(trained), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    run = project_file.load(trained).runs[-1]
    assert result["split"] == "validation" and result["n_samples"] == 120
    assert result["accuracy"] == pytest.approx(run.final_metrics["val_accuracy"])
    assert result["loss"] == pytest.approx(run.final_metrics["val_loss"], rel=1e-5)
    assert np.array(result["confusion_matrix"]).sum() == 120


def test_evaluate_regression_and_test_split(tmp_path, capsys):
    path = copy_example(tmp_path, "plane-regression")
    project = project_file.load(path)
    project.set_training(test_split=0.25)
    project_file.save(project, path)
    assert cli.main(["train", str(path), "--epochs", "2"]) == 0
    capsys.readouterr()
    assert cli.main(["evaluate", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["split"] == "test" and result["n_samples"] == 100
    assert set(result) >= {"mae", "mse", "rmse", "r2"}


def test_evaluate_on_a_csv(trained, tmp_path, capsys):
    data = snapshot.load_data(project_file.load(trained).data)
    rows = [[*x, data.class_names[c]] for x, c in zip(data.x[:50].tolist(), data.y[:50])]
    csv_path = _write_csv(tmp_path / "labelled.csv", ["x1", "x2", "label"], rows)
    assert cli.main(["evaluate", str(trained), "--data", str(csv_path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n_samples"] == 50 and result["split"] == "labelled.csv"


def test_evaluate_csv_without_the_target_column(trained, tmp_path, capsys):
    csv_path = _write_csv(tmp_path / "x.csv", ["x1", "x2"], [[0, 0]])
    assert cli.main(["evaluate", str(trained), "--data", str(csv_path)]) == cli.EXIT_CSV
    _one_line_error(capsys, "'label'")


# -- predict -----------------------------------------------------------------------------------
def test_predict_classification_writes_class_and_probabilities(trained, tmp_path, capsys):
    inp = _write_csv(tmp_path / "in.csv", ["id", "x2", "x1"], [[1, 0.5, 0.1], [2, -1, 2]])
    out = tmp_path / "out.csv"
    assert cli.main(["predict", str(trained), str(inp), "-o", str(out)]) == 0
    rows = list(csv.reader(open(out)))
    assert rows[0] == ["class", "p(arm 0)", "p(arm 1)", "p(arm 2)"] and len(rows) == 3
    run = project_file.load(trained).runs[-1]
    net = cli.run_network(run)
    expected = net.predict(np.array([[0.1, 0.5], [2, -1]], dtype=np.float32))
    got = np.array([[float(v) for v in r[1:]] for r in rows[1:]])
    assert np.allclose(got, expected)
    assert rows[1][0] == ["arm 0", "arm 1", "arm 2"][int(expected[0].argmax())]


def test_predict_binary_and_regression(tmp_path):
    inp = _write_csv(tmp_path / "in.csv", ["x1", "x2"], [[0.5, 0.5], [-0.5, 0.5]])
    for example, header in (("xor-playground", 3), ("plane-regression", 1)):
        path = copy_example(tmp_path, example)
        assert cli.main(["train", str(path), "--epochs", "1"]) == 0
        out = tmp_path / f"{example}.csv"
        assert cli.main(["predict", str(path), str(inp), "-o", str(out)]) == 0
        rows = list(csv.reader(open(out)))
        assert len(rows[0]) == header and len(rows) == 3
    assert rows[0] == ["y"]


def test_predict_missing_column_is_one_line(trained, tmp_path, capsys):
    inp = _write_csv(tmp_path / "in.csv", ["x1", "z"], [[1, 2]])
    code = cli.main(["predict", str(trained), str(inp), "-o", str(tmp_path / "o.csv")])
    assert code == cli.EXIT_CSV
    _one_line_error(capsys, "missing column(s) 'x2'")
    assert not (tmp_path / "o.csv").exists()


def test_predict_bad_number_names_row_and_column(trained, tmp_path, capsys):
    inp = _write_csv(tmp_path / "in.csv", ["x1", "x2"], [[1, 2], [3, "abc"]])
    code = cli.main(["predict", str(trained), str(inp), "-o", str(tmp_path / "o.csv")])
    assert code == cli.EXIT_CSV
    _one_line_error(capsys, "row 3, column 'x2'")


# -- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", [["info"], ["train"], ["evaluate"],
                                     ["predict", "in.csv", "-o", "o.csv"],
                                     ["export", "--onnx", "m.onnx"]])
def test_missing_project_file(tmp_path, capsys, command):
    missing = str(tmp_path / "nope.nnproj")
    argv = [command[0], missing, *command[1:]]
    assert cli.main(argv) == cli.EXIT_MISSING
    _one_line_error(capsys, "no such file")


def test_corrupt_project(tmp_path, capsys):
    path = tmp_path / "broken.nnproj"
    path.write_bytes(b"this is not a zip archive")
    assert cli.main(["info", str(path)]) == cli.EXIT_FILE
    _one_line_error(capsys, "broken.nnproj")


def test_truncated_project(trained, capsys):
    data = trained.read_bytes()
    trained.write_bytes(data[: len(data) // 2])
    assert cli.main(["evaluate", str(trained)]) == cli.EXIT_FILE
    _one_line_error(capsys, str(trained))


@pytest.mark.parametrize("command", [["evaluate"], ["predict", "in.csv", "-o", "o.csv"],
                                     ["export", "--onnx", "m.onnx"]])
def test_no_trained_run(tmp_path, capsys, command):
    path = copy_example(tmp_path)
    assert cli.main([command[0], str(path), *command[1:]]) == cli.EXIT_NO_RUN
    _one_line_error(capsys, "no trained run")


def test_unknown_run_id(trained, capsys):
    assert cli.main(["evaluate", str(trained), "--run", "run9"]) == cli.EXIT_NO_RUN
    _one_line_error(capsys, "no run 'run9' (runs: run1)")


def test_project_that_cannot_train(tmp_path, capsys):
    path = copy_example(tmp_path)
    project = project_file.load(path)
    project.disconnect("hidden1", "hidden2")
    project_file.save(project, path)
    assert cli.main(["train", str(path)]) == cli.EXIT_PROJECT
    capsys.readouterr()


# -- the real command line ---------------------------------------------------------------------
def _nnstudio(*args):
    return subprocess.run([sys.executable, "-m", "nnstudio", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_subprocess_train_evaluate_predict(tmp_path):
    path = copy_example(tmp_path, "xor-playground")
    out = _nnstudio("train", path, "--epochs", "2")
    assert out.returncode == 0 and "saved to" in out.stdout, out.stderr
    out = _nnstudio("evaluate", path)
    assert out.returncode == 0 and "confusion matrix" in out.stdout
    inp = _write_csv(tmp_path / "in.csv", ["x1", "x2"], [[1, 1]])
    out = _nnstudio("predict", path, inp, "-o", tmp_path / "p.csv")
    assert out.returncode == 0 and (tmp_path / "p.csv").exists()
    out = _nnstudio("info", path)
    assert out.returncode == 0 and "run1" in out.stdout


@pytest.mark.parametrize("args, code, needle", [
    (["info", "missing.nnproj"], cli.EXIT_MISSING, "no such file"),
    (["evaluate", ROOT / "resources/examples/spirals-classifier.nnproj"], cli.EXIT_NO_RUN,
     "no trained run"),
])
def test_subprocess_errors_are_one_line_without_traceback(args, code, needle):
    out = _nnstudio(*args)
    assert out.returncode == code
    assert "Traceback" not in out.stderr and out.stderr.count("\n") == 1
    assert needle in out.stderr


def test_subprocess_usage_error():
    out = _nnstudio("train")
    assert out.returncode == 2 and "usage:" in out.stderr


def test_train_and_evaluate_a_project_whose_data_is_an_embedded_csv(tmp_path, capsys):
    from nnstudio.document import examples, project_file
    from nnstudio.document.model import DataSource

    rows = "".join(f"{i % 5 + 0.5 * (i % 2)};{['red', 'green'][i % 2]};{['a', 'b'][i % 2]}\n"
                   for i in range(60))
    project = examples.spirals_classifier()
    project.set_data(DataSource("csv", {"file": "t.csv", "encoding": "latin-1",
                                        "delimiter": ";", "header": True, "target": "kind",
                                        "task": "classification"}, {}),
                     {"t.csv": ("size;colour;kind\n" + rows).encode("latin-1")})
    path = tmp_path / "csv.nnproj"
    project_file.save(project, path)
    assert cli.main(["train", str(path), "--epochs", "2"]) == 0
    assert cli.main(["evaluate", str(path), "--json"]) == 0
    assert '"accuracy"' in capsys.readouterr().out
