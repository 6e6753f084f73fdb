import pathlib

import numpy as np
import pytest

from engine import activations, network, training
from nnstudio.document import project_file
from nnstudio.training import snapshot

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "resources" / "examples").glob("*.nnproj"))


def trained_example(path, epochs=3):
    """(job, net) of an example project trained for a few epochs."""
    project = project_file.load(path)
    project.set_training(epochs=epochs)
    job = snapshot.prepare(project)
    for _ in training.fit(job.network, job.x, job.y, batch_events=False, **job.fit_kwargs):
        pass
    return job, job.network


def skip_network():
    """add + concatenate + batch_norm + dropout + every activation, trained briefly, with
    non-trivial batch-norm running statistics."""
    nodes = [{"id": "in", "type": "input", "config": {}},
             {"id": "stem", "type": "dense", "config": {"units": 6, "activation": "relu"}}]
    edges, prev = [["in", "stem"]], "stem"
    for name in activations.names():
        if name == "softmax":
            continue
        nodes += [{"id": f"{name}.h", "type": "dense", "config": {"units": 6,
                                                                 "activation": name}},
                  {"id": f"{name}+", "type": "add", "config": {}}]
        edges += [[prev, f"{name}.h"], [prev, f"{name}+"], [f"{name}.h", f"{name}+"]]
        prev = f"{name}+"
    nodes += [{"id": "bn", "type": "batch_norm", "config": {}},
              {"id": "drop", "type": "dropout", "config": {"rate": 0.2}},
              {"id": "act", "type": "activation", "config": {"activation": "softmax"}},
              {"id": "cat", "type": "concatenate", "config": {}},
              {"id": "out", "type": "dense", "config": {"units": 3, "activation": "softmax"}}]
    edges += [[prev, "bn"], ["bn", "drop"], ["drop", "act"], ["act", "cat"], ["in", "cat"],
              ["cat", "out"]]
    spec = {"nodes": nodes, "edges": edges}
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0)
    net = network.build(spec, 2, 3, seed=0)
    for _ in training.fit(net, x, y, loss="sparse_categorical_crossentropy",
                          optimizer={"name": "adam", "lr": 0.01}, epochs=3, batch_size=32,
                          batch_events=False):
        pass
    return net, x, y


@pytest.fixture(params=[p.stem for p in EXAMPLES])
def example(request):
    return trained_example(ROOT / "resources" / "examples" / f"{request.param}.nnproj")


def probe_inputs(n_features, n=300):
    rng = np.random.default_rng(1)
    return (rng.normal(size=(n, n_features)) * 2).astype(np.float32)
