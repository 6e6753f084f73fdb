"""ONNX export on every built-in dataset: onnxruntime gives the engine's predictions
within 1e-5 after two epochs of training."""

import numpy as np
import pytest

from engine import data, training
from nnstudio.document.model import DataSource, Node, Project
from nnstudio.training import snapshot

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from engine.export import onnx as onnx_export  # noqa: E402


def builtin_project(name: str) -> Project:
    """The built-in dataset ``name`` with a small network that fits its task (softmax and
    sparse cross-entropy, or linear and MSE); the output units come from the data."""
    project = Project()
    project.data = DataSource("builtin", {"name": name})
    task = snapshot.load_data(project.data).task
    out_act, loss = (("softmax", "sparse_categorical_crossentropy")
                     if task == "classification" else ("linear", "mse"))
    project.add_node(Node("in", "input", {}))
    project.add_node(Node("h", "dense", {"units": 16, "activation": "relu"}))
    project.add_node(Node("out", "dense", {"units": "auto", "activation": out_act}))
    project.edges = [("in", "h"), ("h", "out")]
    project.set_training(loss={"name": loss}, epochs=2,
                         metrics=["accuracy"] if task == "classification" else ["mae"])
    return project


@pytest.mark.parametrize("name", data.builtin_names())
def test_builtin_dataset_matches_onnxruntime(name, tmp_path):
    job = snapshot.prepare(builtin_project(name))
    for _ in training.fit(job.network, job.x, job.y, batch_events=False, **job.fit_kwargs):
        pass
    path = tmp_path / f"{name}.onnx"
    onnx_export.save(job.network, path)
    onnx.checker.check_model(onnx.load(path))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = job.x.astype(np.float32)
    got = session.run([onnx_export.OUTPUT], {onnx_export.INPUT: x})[0]
    np.testing.assert_allclose(got, job.network.predict(x), atol=1e-5, rtol=1e-5)
