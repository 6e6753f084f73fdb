"""ONNX export: onnxruntime gives the engine's predictions within 1e-5."""

import numpy as np
import pytest

from nnstudio import cli

from .conftest import ROOT, probe_inputs, skip_network

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from engine.export import onnx as onnx_export  # noqa: E402


def _run(model, x):
    session = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    return session.run([onnx_export.OUTPUT], {onnx_export.INPUT: x})[0]


def test_every_example_project_matches(example):
    job, net = example
    x = np.concatenate([job.x, probe_inputs(net.n_features)])
    model = onnx_export.to_model(net)
    assert model.opset_import[0].version == 17
    np.testing.assert_allclose(_run(model, x), net.predict(x), atol=1e-5, rtol=1e-5)


def test_skip_connections_and_every_activation_match():
    net, x, _ = skip_network()
    model = onnx_export.to_model(net)
    ops = {node.op_type for node in model.graph.node}
    assert ops >= {"Gemm", "Add", "Concat", "BatchNormalization", "Identity", "Sigmoid",
                   "Tanh", "Relu", "LeakyRelu", "Elu", "Selu", "Softplus", "Softmax", "Erf",
                   "Where"}
    probe = np.concatenate([x, probe_inputs(2)])
    np.testing.assert_allclose(_run(model, probe), net.predict(probe), atol=1e-5, rtol=1e-5)


def test_softplus_beyond_its_threshold_is_the_identity():
    from engine import network

    spec = {"nodes": [{"id": "in", "type": "input", "config": {}},
                      {"id": "sp", "type": "activation",
                       "config": {"activation": {"name": "softplus", "beta": 2.0,
                                                 "threshold": 5.0}}}],
            "edges": [["in", "sp"]]}
    net = network.build(spec, 1)
    x = np.linspace(-10, 10, 201, dtype=np.float32)[:, None]
    got = _run(onnx_export.to_model(net), x)
    np.testing.assert_allclose(got, net.predict(x), atol=1e-6)
    assert np.array_equal(got[x[:, 0] > 2.5], x[x[:, 0] > 2.5])


def test_cli_export_onnx(tmp_path, capsys):
    import shutil

    path = tmp_path / "p.nnproj"
    shutil.copy(ROOT / "resources/examples/spirals-classifier.nnproj", path)
    assert cli.main(["train", str(path), "--epochs", "2"]) == 0
    out = tmp_path / "model.onnx"
    assert cli.main(["export", str(path), "--onnx", str(out)]) == 0
    model = onnx.load(out)
    onnx.checker.check_model(model)
    x = probe_inputs(2)
    from nnstudio.document import project_file

    net = cli.run_network(project_file.load(path).runs[-1])
    np.testing.assert_allclose(_run(model, x), net.predict(x), atol=1e-5, rtol=1e-5)


def test_cli_export_needs_a_target(tmp_path, capsys):
    assert cli.main(["export", str(tmp_path / "p.nnproj")]) == cli.EXIT_USAGE
    assert "--onnx" in capsys.readouterr().err
