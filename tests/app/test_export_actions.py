"""File > Export of the last run: ONNX model, PyTorch script and predictions as CSV."""

import csv
import importlib.util
import os

import numpy as np
import pytest
from window_helpers import set_epochs
from PySide6.QtGui import QAction

from nnstudio.training import runs, snapshot

TRAIN_TIMEOUT = 60_000  # ms
EXPORTS = ("export_onnx", "export_torch", "export_predictions_csv")


def trained_xor(window, qtbot, epochs=3):
    window.findChild(QAction, "action_example_xor-playground").trigger()
    set_epochs(window, qtbot, epochs)
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT):
        window.actions_by_name["train"].trigger()
    run = runs.last_trained_run(window.session.project)
    assert run is not None
    return run


def export(window, name, path):
    window.person.will("save_path", str(path))
    action = window.actions_by_name[name]
    assert action.isEnabled(), name
    action.trigger()


def test_the_export_menu_offers_every_format(window):
    menu = window.findChild(type(window.menuBar().actions()[0].menu()), "menu_export")
    names = [a.objectName() for a in menu.actions() if not a.isSeparator()]
    assert names == ["action_export_onnx", "action_export_torch",
                     "action_export_predictions_csv", "action_export_plot_png",
                     "action_export_view_image", "action_export_history_csv",
                     "action_export_view_data"]


def test_export_the_trained_xor_network(window, qtbot, tmp_path):
    run = trained_xor(window, qtbot)
    net = runs.run_network(run)
    job = snapshot.prepare(runs.run_project(run, window.session.project.embedded))
    x = np.concatenate([job.x, np.random.default_rng(0).normal(size=(50, 2))
                        .astype(np.float32)])

    # ONNX
    ort = pytest.importorskip("onnxruntime")
    from engine.export import onnx as onnx_export

    export(window, "export_onnx", tmp_path / "xor.onnx")
    assert window.person.errors == []
    session = ort.InferenceSession(str(tmp_path / "xor.onnx"),
                                   providers=["CPUExecutionProvider"])
    got = session.run([onnx_export.OUTPUT], {onnx_export.INPUT: x})[0]
    np.testing.assert_allclose(got, net.predict(x), atol=1e-5, rtol=1e-5)

    # PyTorch script (the suffix is added when the person leaves it out)
    export(window, "export_torch", tmp_path / "xor_model")
    assert window.person.errors == []
    script = tmp_path / "xor_model.py"
    assert script.exists() and (tmp_path / "xor_model_weights.npz").exists()
    if importlib.util.find_spec("torch") is not None:
        import torch

        spec = importlib.util.spec_from_file_location("exported_xor_gui", script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        cwd = os.getcwd()
        try:
            os.chdir(tmp_path)
            model = module.load_model()
        finally:
            os.chdir(cwd)
        with torch.no_grad():
            out = model(torch.from_numpy(x)).numpy()
        np.testing.assert_allclose(out, net.predict(x), atol=1e-5, rtol=1e-5)

    # predictions as CSV
    export(window, "export_predictions_csv", tmp_path / "pred.csv")
    assert window.person.errors == []
    with open(tmp_path / "pred.csv", newline="") as f:
        rows = list(csv.reader(f))
    ds = job.dataset
    header, body = rows[0], rows[1:]
    assert len(body) == ds.n_samples
    assert header == (list(ds.feature_names) + [f"true {ds.target_names[0]}",
                                               "predicted class"]
                      + [f"p({c})" for c in ds.class_names])
    features = np.array([[float(v) for v in r[:2]] for r in body], dtype=np.float32)
    np.testing.assert_array_equal(features, ds.x)
    assert [r[2] for r in body] == [ds.class_names[int(c)] for c in ds.y]
    probs = np.array([[float(v) for v in r[4:]] for r in body])
    np.testing.assert_allclose(probs, runs.probabilities(net.predict(ds.x)), atol=1e-6)
    assert [r[3] for r in body] == [ds.class_names[int(c)] for c in probs.argmax(1)]


def test_without_a_trained_run_each_export_says_so_and_writes_nothing(window, tmp_path):
    window.findChild(QAction, "action_example_xor-playground").trigger()
    for name in EXPORTS:
        window.actions_by_name[name].trigger()
    assert len(window.person.errors) == len(EXPORTS)
    assert all("no trained run" in message for _, message in window.person.errors)
    assert not [q for q in window.person.asked if q[0] == "save_path"]
    assert os.listdir(tmp_path) == [p for p in os.listdir(tmp_path)
                                    if p in ("settings", "appdata")]


def test_a_cancelled_export_writes_nothing(window, qtbot, tmp_path):
    trained_xor(window, qtbot, epochs=1)
    for name in EXPORTS:
        window.person.will("save_path", None)
        window.actions_by_name[name].trigger()
    assert window.person.errors == []
    assert not list(tmp_path.glob("*.onnx")) and not list(tmp_path.glob("*.py"))


def test_exports_are_disabled_while_training(window, qtbot):
    window.findChild(QAction, "action_example_spirals-classifier").trigger()
    set_epochs(window, qtbot, 100_000)
    assert all(window.actions_by_name[n].isEnabled() for n in EXPORTS)
    window.actions_by_name["train"].trigger()
    qtbot.waitUntil(lambda: window.controller.state == "running", timeout=TRAIN_TIMEOUT)
    assert not any(window.actions_by_name[n].isEnabled() for n in EXPORTS)
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT):
        window.actions_by_name["stop"].trigger()
    qtbot.waitUntil(lambda: all(window.actions_by_name[n].isEnabled() for n in EXPORTS),
                    timeout=TRAIN_TIMEOUT)
