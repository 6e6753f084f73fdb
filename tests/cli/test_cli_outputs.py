"""Where the command line writes, what it needs to read, and how it ends: ``train --out``
into another folder, predicting without the training data, outputs that cannot be written,
Ctrl+C and closed pipes outside the training loop, and the one-line messages."""

import ast
import csv
import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from nnstudio import cli
from nnstudio.document import project_file
from nnstudio.document.errors import ProjectFileError

from .conftest import ROOT, copy_example
from .test_cli_labelled_csv import numeric_classes_project
from .test_cli_raw_csv import _write_csv, penguins_project


def _one_line(capsys, needle):
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("nnstudio: ") and needle in err, err
    assert "Traceback" not in err and "unexpected" not in err, err
    return err


@pytest.fixture
def levels(tmp_path):
    """A project whose CSV is linked by the relative path 'levels.csv', trained 2 epochs."""
    path = numeric_classes_project(tmp_path)
    assert cli.main(["train", str(path), "--epochs", "2"]) == 0
    return path


# -- train --out into another folder -----------------------------------------------------------
def test_train_out_into_a_subfolder_keeps_the_data_linked(levels, tmp_path, capsys):
    (tmp_path / "sub").mkdir()
    out = tmp_path / "sub" / "x.nnproj"
    assert cli.main(["train", str(levels), "--epochs", "1", "--out", str(out)]) == 0
    project = project_file.load(out)
    assert project.data.config["path"] == os.path.join("..", "levels.csv")
    assert [r.settings["data"]["config"]["path"] for r in project.runs] == [
        os.path.join("..", "levels.csv")] * 2
    assert project_file.load(levels).data.config["path"] == "levels.csv"  # left alone
    capsys.readouterr()
    assert cli.main(["info", str(out)]) == 0
    assert "150 samples" in capsys.readouterr().out
    for command in (["evaluate", str(out)], ["evaluate", str(out), "--run", "run1"],
                    ["export", str(out), "--torch", str(tmp_path / "sub" / "m.py")],
                    ["train", str(out), "--epochs", "1"]):
        assert cli.main(command) == 0, capsys.readouterr().err


# -- predicting without the training data -------------------------------------------------------
def test_predict_and_evaluate_without_the_training_data(levels, tmp_path, capsys):
    inp = _write_csv(tmp_path / "in.csv", ["x1", "x2", "level"], [[-0.9, 0, 10], [0.9, 0, 30]])
    os.remove(tmp_path / "levels.csv")
    out = tmp_path / "out.csv"
    assert cli.main(["predict", str(levels), str(inp), "-o", str(out)]) == 0
    rows = list(csv.reader(open(out)))
    assert rows[0] == ["class", "p(10)", "p(20)", "p(30)"] and len(rows) == 3
    capsys.readouterr()
    assert cli.main(["evaluate", str(levels), "--data", str(inp), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n_samples"] == 2
    # held-out evaluation needs the data itself: exit 3, as for any missing file
    assert cli.main(["evaluate", str(levels)]) == cli.EXIT_MISSING
    _one_line(capsys, "levels.csv: no such file")


def test_a_run_without_stored_names_needs_its_training_data(levels, tmp_path, capsys):
    project = project_file.load(levels)
    assert project.runs[0].targets == {"task": "classification", "names": ["level"],
                                       "classes": ["10", "20", "30"]}
    project.runs[0].targets = None  # as a run saved before runs stored them
    project_file.save(project, levels)
    assert "targets" not in project_file.load(levels).runs[0].to_dict()  # loads as before
    inp = _write_csv(tmp_path / "in.csv", ["x1", "x2"], [[-0.9, 0]])
    out = tmp_path / "out.csv"
    assert cli.main(["predict", str(levels), str(inp), "-o", str(out)]) == 0
    os.remove(tmp_path / "levels.csv")
    capsys.readouterr()
    assert cli.main(["predict", str(levels), str(inp), "-o", str(out)]) == cli.EXIT_MISSING
    _one_line(capsys, "training data file is needed")


def test_stored_names_are_validated(levels):
    project = project_file.load(levels)
    project.runs[0].targets = {"task": "classification", "names": ["level"], "classes": None}
    with pytest.raises(ProjectFileError, match=r"runs\[0\]\.targets\.classes"):
        project_file.save(project, levels)
    project.runs[0].targets = {"task": "clustering", "names": ["level"], "classes": None}
    with pytest.raises(ProjectFileError, match=r"runs\[0\]\.targets\.task"):
        project_file.save(project, levels)


# -- outputs that cannot be written --------------------------------------------------------------
@pytest.mark.parametrize("option", ["--onnx", "--torch"])
def test_export_into_a_missing_folder(levels, tmp_path, capsys, option):
    target = tmp_path / "nodir" / "m.out"
    assert cli.main(["export", str(levels), option, str(target)]) == cli.EXIT_MISSING
    _one_line(capsys, "does not exist")


def test_train_out_into_a_missing_folder_fails_before_training(levels, tmp_path, capsys):
    target = tmp_path / "nodir" / "x.nnproj"
    capsys.readouterr()
    assert cli.main(["train", str(levels), "--out", str(target)]) == cli.EXIT_MISSING
    assert "epoch" not in capsys.readouterr().out  # no training to lose
    assert cli.main(["train", str(levels), "--out", str(target)]) == cli.EXIT_MISSING
    _one_line(capsys, "nodir does not exist")


def test_predict_output_that_cannot_be_written(levels, tmp_path, capsys):
    inp = _write_csv(tmp_path / "in.csv", ["x1", "x2"], [[-0.9, 0]])
    target = tmp_path / "nodir" / "o.csv"
    assert cli.main(["predict", str(levels), str(inp), "-o", str(target)]) == cli.EXIT_MISSING
    _one_line(capsys, "does not exist")
    if os.path.exists("/dev/full"):  # a device whose every write fails (disk full)
        assert cli.main(["predict", str(levels), str(inp), "-o", "/dev/full"]) == cli.EXIT_FILE
        _one_line(capsys, "/dev/full: cannot write it")


# -- Ctrl+C and closed pipes ---------------------------------------------------------------------
def _ctrl_c_during(monkeypatch, module, name):
    """Ctrl+C (a real SIGINT) arrives while ``module.name`` runs, which then goes on."""
    real = getattr(module, name)

    def interrupted(*args, **kwargs):
        signal.raise_signal(signal.SIGINT)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, interrupted)


def test_ctrl_c_while_loading_is_one_line_and_130(levels, tmp_path, monkeypatch, capsys):
    from nnstudio.training import snapshot

    _ctrl_c_during(monkeypatch, snapshot, "read_table")
    capsys.readouterr()
    assert cli.main(["train", str(levels)]) == cli.EXIT_INTERRUPTED  # before the first batch
    _one_line(capsys, "interrupted")
    inp = _write_csv(tmp_path / "in.csv", ["x1", "x2"], [[-0.9, 0]])
    _ctrl_c_during(monkeypatch, project_file, "load")
    for command in (["predict", str(levels), str(inp), "-o", str(tmp_path / "o.csv")],
                    ["evaluate", str(levels)], ["export", str(levels), "--onnx",
                                                str(tmp_path / "m.onnx")]):
        assert cli.main(command) == cli.EXIT_INTERRUPTED
        _one_line(capsys, "interrupted")


def test_ctrl_c_while_saving_saves_first(levels, monkeypatch, capsys):
    _ctrl_c_during(monkeypatch, project_file, "save")
    assert cli.main(["train", str(levels), "--epochs", "1"]) == cli.EXIT_INTERRUPTED
    out, err = capsys.readouterr()
    assert "saved to" in out and "the run was saved first" in err
    assert [r.id for r in project_file.load(levels).runs] == ["run1", "run2"]


def test_ctrl_c_before_the_first_epoch_says_one_thing(tmp_path, monkeypatch, capsys):
    path = copy_example(tmp_path)
    from engine import training

    def fit_then_interrupt(*args, **kwargs):
        raise KeyboardInterrupt
        yield

    monkeypatch.setattr(training, "fit", fit_then_interrupt)
    assert cli.main(["train", str(path)]) == cli.EXIT_INTERRUPTED
    out, err = capsys.readouterr()
    text = out + err
    assert "nothing to save" in text and "keeping the 0" not in text
    assert text.count("interrupted") + text.count("stopped") == 1, text


def test_a_closed_pipe_ends_quietly(levels):
    read, write = os.pipe()
    os.close(read)  # as `| head` does once it has its lines
    proc = subprocess.run([sys.executable, "-m", "nnstudio", "evaluate", str(levels), "--json"],
                          cwd=ROOT, stdout=write, stderr=subprocess.PIPE, text=True,
                          timeout=120)
    os.close(write)
    assert proc.returncode == cli.EXIT_BROKEN_PIPE
    assert proc.stderr == "", proc.stderr


# -- messages ------------------------------------------------------------------------------------
def test_a_word_for_a_number_of_epochs(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["train", "x.nnproj", "--epochs", "abc"])
    assert exc.value.code == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "--epochs: must be a whole number >= 1, got 'abc'" in err
    assert "_positive_int" not in err


def test_network_only_needs_onnx(levels, tmp_path, capsys):
    code = cli.main(["export", str(levels), "--torch", str(tmp_path / "m.py"),
                     "--network-only"])
    assert code == cli.EXIT_USAGE
    _one_line(capsys, "--network-only")
    assert not (tmp_path / "m.py").exists()


def test_divergence_in_the_first_epoch(tmp_path, capsys):
    path = copy_example(tmp_path, "plane-regression")
    project = project_file.load(path)
    project.set_training(optimizer={"name": "sgd", "lr": 1e12})
    project_file.save(project, path)
    assert cli.main(["train", str(path), "--epochs", "3"]) == cli.EXIT_PROJECT
    out = capsys.readouterr().out
    assert "diverged during epoch 1" in out and "after 0 epoch(s)" not in out, out
    assert project_file.load(path).runs[0].status == "diverged"


def test_torch_script_columns_are_short_float32_numbers(tmp_path):
    path = tmp_path / "penguins.nnproj"
    project_file.save(penguins_project(), path)
    assert cli.main(["train", str(path), "--epochs", "1"]) == 0
    script = tmp_path / "m.py"
    assert cli.main(["export", str(path), "--torch", str(script)]) == 0
    text = script.read_text()
    block = text[text.index("COLUMNS = ["):]
    columns = ast.literal_eval(block[len("COLUMNS = "):block.index("\n]") + 2])
    stored = {c["name"]: c for c in project_file.load(path).runs[0].preprocessor["columns"]}
    checked = 0
    for c in columns:
        for key in ("fill", "center", "width"):
            value = c.get(key)
            if c["kind"] != "numeric" or value is None:
                continue
            assert np.float32(value) == np.float32(stored[c["name"]][key])
            assert repr(value) == str(np.float32(value)), (c["name"], key, value)
            checked += 1
    assert checked >= 10
    assert "43.599998" not in text and "0000001" not in block
