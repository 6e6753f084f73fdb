"""``nnstudio train`` in process (fast) and in a subprocess (Ctrl+C)."""

import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from nnstudio import cli
from nnstudio.document import project_file

from .conftest import EXAMPLES, ROOT, copy_example


@pytest.mark.parametrize("example", [p.stem for p in EXAMPLES])
def test_train_saves_a_completed_run_into_the_project(tmp_path, capsys, example):
    path = copy_example(tmp_path, example)
    before = project_file.load(path)
    assert cli.main(["train", str(path), "--epochs", "2"]) == 0
    out = capsys.readouterr().out
    assert "epoch 1/2" in out and "epoch 2/2" in out and "\r" not in out  # plain lines
    project = project_file.load(path)
    assert project.training == before.training  # --epochs does not change the project
    [run] = project.runs
    assert run.status == "completed" and len(run.history["lr"]) == 2
    assert run.settings["training"]["epochs"] == 2 and run.weights
    assert "loss" in run.final_metrics


def test_out_writes_elsewhere_and_leaves_the_project(tmp_path):
    path = copy_example(tmp_path)
    out = tmp_path / "trained.nnproj"
    assert cli.main(["train", str(path), "--epochs", "1", "--out", str(out)]) == 0
    assert project_file.load(path).runs == []
    assert len(project_file.load(out).runs) == 1


def test_same_seed_same_weights_other_seed_other_weights(tmp_path):
    path = copy_example(tmp_path)
    for seed in ("5", "5", "6"):
        assert cli.main(["train", str(path), "--epochs", "1", "--seed", seed]) == 0
    a, b, c = project_file.load(path).runs
    assert [r.id for r in (a, b, c)] == ["run1", "run2", "run3"]
    assert all(np.array_equal(a.weights[k], b.weights[k]) for k in a.weights)
    assert not all(np.array_equal(a.weights[k], c.weights[k]) for k in a.weights)
    assert c.settings["training"]["seed"] == 6


def test_keyboard_interrupt_keeps_the_finished_epochs(tmp_path, monkeypatch, capsys):
    path = copy_example(tmp_path)
    seen = []

    def interrupt_at_second(progress, event):
        seen.append(event)
        if event.epoch == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_print_epoch", interrupt_at_second)
    assert cli.main(["train", str(path), "--epochs", "50"]) == cli.EXIT_INTERRUPTED
    [run] = project_file.load(path).runs
    assert run.status == "stopped" and len(run.history["lr"]) == 2
    assert "interrupted" in capsys.readouterr().out


def test_interrupt_before_the_first_epoch_saves_nothing(tmp_path, monkeypatch):
    path = copy_example(tmp_path)

    from engine import training
    real_fit = training.fit

    def fit_then_interrupt(*args, **kwargs):
        raise KeyboardInterrupt
        yield from real_fit(*args, **kwargs)

    monkeypatch.setattr(training, "fit", fit_then_interrupt)
    assert cli.main(["train", str(path)]) == cli.EXIT_INTERRUPTED
    assert project_file.load(path).runs == []


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
def test_ctrl_c_in_a_real_process_stops_cleanly_and_saves(tmp_path):
    path = copy_example(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "nnstudio", "train", str(path),
                             "--epochs", "100000"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.split()[:2] == ["epoch", "3/100000"]:
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == cli.EXIT_INTERRUPTED, err
    assert "Traceback" not in err
    [run] = project_file.load(path).runs
    assert run.status == "stopped" and 3 <= len(run.history["lr"]) < 100000
