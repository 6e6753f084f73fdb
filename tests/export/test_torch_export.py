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


# -- the raw CSV with the stored preprocessing ----------------------------------------------
def _trained_run(project):
    from engine import training
    from nnstudio.training import snapshot

    job = snapshot.prepare(project)
    events = list(training.fit(job.network, job.x, job.y, batch_events=False,
                               **job.fit_kwargs))
    return job, snapshot.make_run(job, events[-1], events[-1].history, None, "run1")


def _penguins():
    from tests.cli.test_cli_raw_csv import penguins_project

    return penguins_project()


def _iris_onehot():
    """iris under categorical cross-entropy (one-hot targets) with min-max scaling."""
    from nnstudio.document.model import DataSource

    from .test_builtin_datasets_onnx import builtin_project

    project = builtin_project("iris")
    project.data = DataSource("builtin", {"name": "iris"}, {"*": {"scale": "minmax"}})
    project.set_training(loss={"name": "categorical_crossentropy"}, test_split=0.2,
                         validation_split=0.1)
    return project


def _diabetes():
    from .test_builtin_datasets_onnx import builtin_project

    project = builtin_project("diabetes")
    project.set_training(test_split=0.1)
    return project


@pytest.mark.parametrize("make", [_penguins, _iris_onehot, _diabetes])
def test_the_script_reads_the_raw_csv_with_the_same_preprocessing(make, tmp_path, capsys):
    from nnstudio.training import runs, snapshot

    job, run = _trained_run(make())
    paths = runs.export_torch(run, tmp_path / "tab.py")
    assert [p.name for p in paths] == ["tab.py", "tab_weights.npz", "tab_data.csv",
                                       "tab_split.json"]
    source = paths[0].read_text()
    assert "nnstudio" not in source.replace("NN Studio", "")
    for column in run.preprocessor["columns"]:  # the fitted numbers, readable in the script
        assert repr(column["name"]) in source
        # as the shortest text of the float32 the script computes with
        assert all(str(np.float32(column[k])) in source for k in ("center", "width")
                   if k in column)
    module = _import(paths[0])
    header, rows = module.read_rows()
    x, usable = module.preprocess(header, rows)
    expected_x, keep = runs.encode_csv(runs.run_preprocessor(run), paths[2])
    assert np.array_equal(usable, keep)
    np.testing.assert_allclose(x[usable], expected_x, atol=1e-6, rtol=0)
    net = runs.run_network(run)
    np.testing.assert_allclose(module.predict_csv(paths[2])[usable], net.predict(expected_x),
                               atol=1e-5, rtol=1e-5)
    # it trains on exactly the rows the engine trained on (test and validation held out)
    xt, yt, xv, yv = module.load_data()
    train = job.x[snapshot._fit_train_positions(len(job.x), job.training)]
    order = np.lexsort(train.T)
    got = xt.numpy()
    np.testing.assert_allclose(got[np.lexsort(got.T)], train[order], atol=1e-6, rtol=0)
    assert len(xv) == len(job.x) - len(train)
    assert len(xt) + len(xv) + len(job.x_test) == len(job.dataset.x)
    module.train(module.load_model(), epochs=1)
    assert "epoch 1/1  loss" in capsys.readouterr().out


def test_cli_export_torch_of_a_csv_project_runs_standalone(tmp_path):
    from nnstudio.document import project_file

    path = tmp_path / "penguins.nnproj"
    project_file.save(_penguins(), path)
    assert cli.main(["train", str(path), "--epochs", "1"]) == 0
    folder = tmp_path / "export"
    folder.mkdir()
    assert cli.main(["export", str(path), "--torch", str(folder / "peng.py")]) == 0
    out = subprocess.run([sys.executable, "peng.py", "--epochs", "1"], cwd=folder,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "epoch 1/1" in out.stdout and (folder / "peng.pt").exists()


@pytest.mark.parametrize("loss, activation, units, pos_weight", [
    ("sparse_categorical_crossentropy", "softmax", 3, None),   # fused: on logits
    ("sparse_categorical_crossentropy", "sigmoid", 3, None),   # on outputs
    ("categorical_crossentropy", "softmax", 3, None),
    ("categorical_crossentropy", "sigmoid", 3, None),
    ("binary_crossentropy", "sigmoid", 2, None),
    ("binary_crossentropy", "sigmoid", 2, [3.0, 0.5]),
    ("binary_crossentropy", "softmax", 2, None),
    ("binary_crossentropy", "softmax", 2, [3.0, 0.5]),
])
def test_class_weighted_losses_match_the_engine(tmp_path, loss, activation, units,
                                                pos_weight):
    from engine import losses, network

    spec = {"nodes": [{"id": "in", "type": "input", "config": {}},
                      {"id": "out", "type": "dense",
                       "config": {"units": units, "activation": activation}}],
            "edges": [["in", "out"]]}
    net = network.build(spec, 2, units, seed=0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2)).astype(np.float32)
    labels = rng.integers(0, units, 40)
    config = {"name": loss, "weight": [0.5, 2.0, 1.0][:units]}
    if pos_weight is not None:
        config["pos_weight"] = pos_weight
    y = {"sparse_categorical_crossentropy": labels,
         "categorical_crossentropy": np.eye(units, dtype=np.float32)[labels],
         "binary_crossentropy": (rng.random((40, units)) > 0.5).astype(np.float32)}[loss]
    settings = {**TRAINING, "loss": config, "validation_split": 0.0}
    paths = torch_script.save(net, tmp_path / "weighted.py", training=settings, x=x, y=y)
    assert "CLASS_WEIGHT = [0.5, 2.0" in paths[0].read_text()
    module = _import(paths[0])
    model = module.load_model()
    engine_loss = losses.get(config)
    fused = net.fused_with(engine_loss)
    target = torch.from_numpy(y) if y.dtype != np.int64 else torch.from_numpy(y).long()
    with torch.no_grad():
        out = model(torch.from_numpy(x), logits=True) if fused else model(torch.from_numpy(x))
        got = float(module.loss_fn(model, out, target))
    a = net.forward(x)
    expected = (engine_loss.value_logits(net.layers[net.output_id].z, y) if fused
                else engine_loss.value(a, y))
    assert got == pytest.approx(float(expected), rel=1e-5)
    module.train(module.load_model(), epochs=1)
