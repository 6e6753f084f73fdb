"""How ``format1.nnproj`` was made: a small trained project saved in file format 1.

Format 1 kept each run's weights in one nested ``weights/<run id>[.best].npz`` archive.  The
file was written by the format-1 writer (commit c1c980a, ``nnstudio/document/project_file.py``)
and is kept as it is: the current code writes format 2 and cannot make it again.  It tests the
migration from format 1 (``tests/document/test_format1.py``).  To look at what it holds, run
this script with ``--check``: it reads the file with zipfile and NumPy only.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import pathlib
import sys
import zipfile

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
FILE = HERE / "format1.nnproj"


def make() -> bytes:  # pragma: no cover - needs the format-1 writer
    from nnstudio.document import migrations, project_file
    from nnstudio.document.model import DataSource, Node, Project, TrainingSettings
    from tests.document.conftest import trained_run

    if migrations.FORMAT_VERSION != 1:
        raise SystemExit("this NN Studio writes format "
                         f"{migrations.FORMAT_VERSION}; check out commit c1c980a to write "
                         "format 1 (the fixture is kept as it is)")

    project = Project()
    project.data = DataSource("synthetic", {"name": "xor", "n_samples": 64, "noise": 0.0,
                                            "seed": 3})
    layers = [("in", "input", {}), ("hidden.1", "dense", {"units": 4, "activation": "tanh"}),
              ("bn/2", "batch_norm", {}), ("out", "dense", {"units": 1,
                                                            "activation": "sigmoid"})]
    for i, (node_id, kind, config) in enumerate(layers):
        project.add_node(Node(node_id, kind, config, (100.0 * i, 20.0)))
        if i:
            project.connect(layers[i - 1][0], node_id)
    project.training = TrainingSettings(loss={"name": "binary_crossentropy"},
                                        optimizer={"name": "adam", "lr": 0.05}, epochs=3,
                                        batch_size=16, validation_split=0.25,
                                        metrics=["accuracy"])
    project.add_run(trained_run(project, "run1", seed=1))
    unsaved = trained_run(project, "run-2", seed=2, epochs=2)
    unsaved.weights = unsaved.best_weights = None  # a run whose weights were not kept
    project.add_run(unsaved)
    project.embedded["notes.csv"] = b"x1,x2,label\n0,1,1\n"
    return project_file.dumps(project, saved=dt.datetime(2026, 5, 1, tzinfo=dt.timezone.utc))


def read(path=FILE):
    """The document and ``{"run1": {name: array}, "run1.best": ...}``, read as format 1."""
    with zipfile.ZipFile(path) as archive:
        header = json.loads(archive.read("project.json"))
        assert header["format_version"] == 1
        weights = {}
        for run in header["document"]["runs"]:
            for flag, suffix in (("has_weights", ""), ("has_best_weights", ".best")):
                if run[flag]:
                    blob = archive.read(f"weights/{run['id']}{suffix}.npz")
                    with np.load(io.BytesIO(blob), allow_pickle=False) as arrays:
                        weights[run["id"] + suffix] = {k: arrays[k] for k in arrays.files}
    return header["document"], weights


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        document, weights = read()
        print(json.dumps(document["network"], indent=1))
        for key, arrays in weights.items():
            print(key, {k: (v.dtype.str, v.shape) for k, v in arrays.items()})
    else:
        FILE.write_bytes(make())
        print(FILE, FILE.stat().st_size, "bytes")
