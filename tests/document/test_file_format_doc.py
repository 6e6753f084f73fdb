"""docs/file-format.md is the contract other programs read files by: its code must run, and
its tables must name every key and limit the code uses."""

from __future__ import annotations

import pathlib
import re

import numpy as np

from nnstudio.document import migrations
from nnstudio.document import project_file as pf
from nnstudio.document.model import Run, TrainingSettings

from .conftest import trained_project

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEXT = (ROOT / "docs" / "file-format.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", TEXT, flags=re.S)


def test_the_reading_examples_run_and_agree_with_load(tmp_path, monkeypatch):
    assert len(BLOCKS) == 2
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    exec(compile(BLOCKS[0], "docs/file-format.md block 1", "exec"), namespace)
    project = trained_project("float64")
    path = tmp_path / "trained.nnproj"
    pf.save(project, path)
    namespace["path"] = str(path)
    exec(compile(BLOCKS[1], "docs/file-format.md block 2", "exec"), namespace)
    document, weights, embedded = namespace["read_project"](path)
    loaded = pf.load(path)
    assert document == loaded.to_dict() and embedded == loaded.embedded
    for run in loaded.runs:
        for key, arrays in ((run.id, run.weights), (run.id + ".best", run.best_weights)):
            assert list(weights[key]) == list(arrays)
            assert all(np.array_equal(weights[key][k], arrays[k]) for k in arrays)


def _documented_keys() -> set[str]:
    return set(re.findall(r"^\| `([a-z_]+)` \|", TEXT, flags=re.M))


def test_every_key_the_format_has_is_documented():
    keys = _documented_keys()
    header = {"format", "format_version", "app_version", "saved", "document"}
    run_keys = set(Run("r", "n", "c", {}).to_dict())
    settings_keys = {"spec", "n_features", "n_outputs", "training", "data"}
    data_keys = {"kind", "config", "preprocessing"}
    expected = header | set(TrainingSettings.field_names()) | run_keys | settings_keys | data_keys
    assert expected - keys == set()
    assert set(pf.RUN_STATUSES) <= set(re.findall(r"`([a-z_]+)`", TEXT))


def test_the_documented_limits_are_the_codes():
    assert f"{pf.MAX_MEMBERS:,}" in TEXT
    assert f"{pf.MAX_DIRECTORY_BYTES // 2**20} MiB" in TEXT
    assert f"{pf.MAX_JSON_BYTES // 2**20} MiB" in TEXT
    assert f"{pf.MAX_TOTAL_BYTES // 2**30} GiB" in TEXT
    assert (f"at most {pf.MAX_RATIO} times its compressed size, plus "
            f"{pf.RATIO_SLACK // 1024} KiB") in TEXT
    assert f"format version {migrations.FORMAT_VERSION}" in TEXT.replace("**", "")
