"""PyTorch script export: the standalone module gives the engine's outputs within 1e-5
and its training loop runs."""

import importlib.util
import shutil
import subprocess
import sys

import numpy as np
import pytest

from nnstudio import cli

from .conftest import ROOT, probe_inputs, skip_network

torch = pytest.importorskip("torch")

from engine.export import torch_script  # noqa: E402

TRAINING = {"loss": {"name": "sparse_categorical_crossentropy"},
            "optimizer": {"name": "adam", "lr": 0.01, "beta1": 0.8},
            "schedule": {"name": "step", "step_size": 1, "gamma": 0.5}, "epochs": 2,
            "batch_size": 32, "validation_split": 0.25, "seed": 0, "clip_norm": 1.0,
            "clip_value": 0.5, "dtype": "float32"}


def _import(path):
    spec = importlib.util.spec_from_file_location(f"exported_{path.parent.name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _torch_outputs(module, x):
    model = module.load_model()
    with torch.no_grad():
        return model(torch.from_numpy(x)).numpy()


def test_every_example_project_matches_and_trains(example, tmp_path, capsys):
    job, net = example
    paths = torch_script.save(net, tmp_path / "model.py", training=job.training.to_dict(),
                              x=job.x, y=job.y)
    assert [p.name for p in paths] == ["model.py", "model_weights.npz", "model_data.npz"]
    module = _import(paths[0])
    x = np.concatenate([job.x, probe_inputs(net.n_features)])
    np.testing.assert_allclose(_torch_outputs(module, x), net.predict(x), atol=1e-5,
                               rtol=1e-5)
    module.train(module.load_model(), epochs=1)
    assert "epoch 1/1  loss" in capsys.readouterr().out


def test_skip_network_matches_and_trains(tmp_path, capsys):
    net, x, y = skip_network()
    paths = torch_script.save(net, tmp_path / "skip.py", training=TRAINING, x=x, y=y)
    source = paths[0].read_text()
    assert "torch.optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.999)" in source
    assert "StepLR(optimizer, step_size=1, gamma=0.5)" in source
    assert "nnstudio" not in source.replace("NN Studio", "")
    module = _import(paths[0])
    probe = np.concatenate([x, probe_inputs(2)])
    np.testing.assert_allclose(_torch_outputs(module, probe), net.predict(probe), atol=1e-5,
                               rtol=1e-5)
    module.train(module.load_model(), epochs=1)
    assert "val_loss" in capsys.readouterr().out


def test_cli_export_torch_runs_standalone(tmp_path):
    path = tmp_path / "p.nnproj"
    shutil.copy(ROOT / "resources/examples/plane-regression.nnproj", path)
    assert cli.main(["train", str(path), "--epochs", "2"]) == 0
    folder = tmp_path / "export"
    folder.mkdir()
    assert cli.main(["export", str(path), "--torch", str(folder / "plane.py")]) == 0
    out = subprocess.run([sys.executable, "plane.py", "--epochs", "1"], cwd=folder,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "epoch 1/1" in out.stdout and (folder / "plane.pt").exists()


@pytest.mark.parametrize("optimizer", torch_script.OPTIMIZERS)
@pytest.mark.parametrize("schedule", torch_script.SCHEDULES)
def test_every_optimizer_and_schedule_maps_to_torch(tmp_path, optimizer, schedule):
    from engine import network

    spec = {"nodes": [{"id": "in", "type": "input", "config": {}},
                      {"id": "out", "type": "dense", "config": {"units": 1,
                                                               "activation": "linear"}}],
            "edges": [["in", "out"]]}
    net = network.build(spec, 2)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2)).astype(np.float32)
    settings = {**TRAINING, "loss": {"name": "mse"}, "optimizer": {"name": optimizer},
                "schedule": {"name": schedule}}
    paths = torch_script.save(net, tmp_path / f"m_{optimizer}.py", training=settings, x=x,
                              y=x[:, :1] * 2)
    module = _import(paths[0])
    module.train(module.load_model(), epochs=2)
