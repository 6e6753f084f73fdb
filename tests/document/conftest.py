"""Projects for the project-file tests: the examples, and projects whose runs really trained."""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from urllib.parse import quote, unquote

import numpy as np
import pytest

from engine import network, training
from engine.data import synthetic
from nnstudio.document import examples
from nnstudio.document.model import Run


def trained_run(project, run_id: str, *, seed: int, epochs: int = 3) -> Run:
    """Train the project's network on its synthetic data for a few epochs, as the app's
    training worker does, and record the run (settings, history, last and best weights)."""
    data = synthetic.load(project.data.config)
    settings = project.training
    net = network.build(project.spec(), data.n_features, data.n_outputs, seed=seed,
                        dtype=settings.dtype)
    finished = None
    for event in training.fit(net, data.x, data.y, loss=settings.loss,
                              optimizer=settings.optimizer, schedule=settings.schedule,
                              epochs=epochs, batch_size=settings.batch_size,
                              validation_split=settings.validation_split, seed=seed,
                              metrics=settings.metrics, batch_events=False):
        if isinstance(event, training.Finished):
            finished = event
    assert finished is not None
    history = finished.history.to_dict()
    history["seconds"] = [0.25] * len(history["seconds"])  # timings differ from run to run
    return Run(run_id, f"seed {seed}", "2026-01-02T03:04:05+00:00",
               {"spec": project.spec(), "n_features": data.n_features,
                "n_outputs": data.n_outputs, "training": settings.to_dict(),
                "data": project.data.to_dict()},
               status=finished.reason, history=history,
               final_metrics={"accuracy": 0.5, "report": {"per_class": {
                   "class_names": ["a", "b"], "f1": [0.5, 0.25]}, "confusion_matrix": [[1, 2],
                                                                                        [3, 4]]}},
               best_epoch=finished.best_epoch, weights=net.get_weights(),
               best_weights=finished.best_weights)


def trained_project(dtype: str = "float32", name: str = "xor-playground"):
    """An example project with two trained runs (different seeds) and an embedded file."""
    project = examples.EXAMPLES[name]()
    project.set_training(dtype=dtype)
    project.add_run(trained_run(project, "run1", seed=1))
    project.add_run(trained_run(project, "run2", seed=2, epochs=2))
    project.embedded["notes.csv"] = b"x1,x2,label\n0,1,1\n\xff\x00binary too\n"
    return project


@pytest.fixture(scope="session")
def trained32():
    return trained_project("float32")


@pytest.fixture(scope="session")
def trained64():
    return trained_project("float64")


# -- editing archives ------------------------------------------------------------------------
def members(data: bytes) -> dict[str, tuple[int, bytes]]:
    """``{name: (compress_type, bytes)}`` of an archive, in order."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {i.filename: (i.compress_type, archive.read(i)) for i in archive.infolist()}


def rezip(data: bytes, replace: dict | None = None, drop=(), add: dict | None = None,
          add_method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """The archive with members replaced (bytes), dropped or added (stored as before; new
    members deflated unless ``add_method`` says otherwise)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tests add duplicate names on purpose
        for name, (method, blob) in members(data).items():
            if name in drop:
                continue
            blob = (replace or {}).get(name, blob)
            archive.writestr(zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0)), blob,
                             compress_type=method)
        for name, blob in (add or {}).items():
            archive.writestr(name, blob, compress_type=add_method)
    return out.getvalue()


def project_json(data: bytes) -> dict:
    return json.loads(members(data)["project.json"][1])


def with_json(data: bytes, edit) -> bytes:
    """The archive with ``edit(dict)`` applied to project.json (edit may return a new value)."""
    doc = project_json(data)
    result = edit(doc)
    doc = doc if result is None else result
    return rezip(data, {"project.json": json.dumps(doc).encode()})


def npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def folder_arrays(data: bytes, folder: str) -> dict:
    """``{parameter: array}`` of a weights folder (``"weights/run1/"``), in archive order."""
    return {unquote(name[len(folder):-4]): np.load(io.BytesIO(blob), allow_pickle=False)
            for name, (_, blob) in members(data).items()
            if name.startswith(folder) and name.endswith(".npy")}


def with_arrays(data: bytes, folder: str, arrays: dict) -> bytes:
    """The archive with a weights folder's members replaced by ``arrays`` (stored .npy)."""
    old = [n for n in members(data) if n.startswith(folder)]
    return rezip(data, drop=old, add={folder + quote(k, safe="") + ".npy": npy(v)
                                      for k, v in arrays.items()},
                 add_method=zipfile.ZIP_STORED)


def npz(arrays: dict) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()
