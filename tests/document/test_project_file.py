"""Saving and loading projects: exact round trips, shipped examples, migrations, atomic saves."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import stat
import zipfile

import numpy as np
import pytest

import nnstudio
from engine import network
from nnstudio.document import example_files, examples, migrations, validation, zipio
from nnstudio.document import project_file as pf
from nnstudio.document.errors import (NewerFormatError, ProjectFileError, ProjectSaveError)
from nnstudio.document.model import Project, Run

from .conftest import folder_arrays, members, project_json, rezip, trained_project, with_json

CURRENT = migrations.FORMAT_VERSION


def same_weights(a: dict, b: dict) -> bool:
    return list(a) == list(b) and all(
        a[k].dtype == b[k].dtype and a[k].shape == b[k].shape
        and a[k].tobytes() == b[k].tobytes() for k in a)


# -- round trips -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(examples.EXAMPLES))
def test_every_example_round_trips(name, tmp_path):
    project = examples.EXAMPLES[name]()
    path = tmp_path / f"{name}.nnproj"
    pf.save(project, path)
    loaded = pf.load(path)
    assert loaded == project
    assert loaded.to_dict() == project.to_dict()
    assert loaded.spec() == project.spec()


@pytest.mark.parametrize("fixture", ["trained32", "trained64"])
def test_trained_runs_round_trip_bit_for_bit(fixture, request, tmp_path):
    project = request.getfixturevalue(fixture)
    dtype = np.float32 if fixture == "trained32" else np.float64
    path = tmp_path / "trained.nnproj"
    pf.save(project, path)
    loaded = pf.load(path)
    assert loaded == project
    assert [r.id for r in loaded.runs] == ["run1", "run2"]
    for original, run in zip(project.runs, loaded.runs):
        assert run.weights is not None and run.best_weights is not None
        assert same_weights(run.weights, original.weights)
        assert same_weights(run.best_weights, original.best_weights)
        assert all(a.dtype == dtype for a in run.weights.values())
        assert run.history == original.history and run.history["train"]["loss"]
        assert run.settings == original.settings
    assert loaded.embedded == project.embedded


def test_the_two_runs_really_differ_and_their_weights_fit_the_engine(trained32):
    loaded = pf.loads(pf.dumps(trained32))
    first, second = loaded.runs
    assert not same_weights(first.weights, second.weights)
    for run in loaded.runs:
        s = run.settings
        net = network.build(s["spec"], s["n_features"], s["n_outputs"],
                            dtype=s["training"]["dtype"])
        net.set_weights(run.weights)  # the engine accepts what the file gives back
        net.set_weights(run.best_weights)
        assert list(run.weights) == list(net.get_weights())


def test_embedded_files_round_trip_byte_for_byte():
    project = examples.xor_playground()
    blobs = {"data.csv": b"a,b\n1,2\n" * 1000, "empty.bin": b"", "bytes.bin": bytes(range(256)),
             "zeros.bin": bytes(1_000_000), "naïve — ünïcode.txt": "é".encode()}
    project.set_data(project.data, blobs)
    loaded = pf.loads(pf.dumps(project))
    assert loaded.embedded == blobs and loaded == project


def test_a_project_without_layers_runs_or_data_round_trips():
    project = Project()
    assert pf.loads(pf.dumps(project)) == project


def test_fortran_ordered_and_buffered_weights_round_trip():
    project = examples.spirals_classifier()
    run = _run_like(project)
    run.weights = {k: np.asfortranarray(v) for k, v in run.weights.items()}
    project.add_run(run)
    loaded = pf.loads(pf.dumps(project))
    assert loaded == project


def _run_like(project, run_id="run1", spec=None):
    spec = spec or project.spec()
    net = network.build(spec, 2, 3, seed=5)
    return Run(run_id, "r", "2026-01-01T00:00:00+00:00",
               {"spec": spec, "n_features": 2, "n_outputs": 3,
                "training": project.training.to_dict(), "data": project.data.to_dict()},
               history={"train": {"loss": [1.0, 0.5]}, "lr": [0.01, 0.01]},
               weights=net.get_weights())


def test_batch_norm_buffers_are_part_of_the_weights():
    project = examples.spirals_classifier()
    spec = {"nodes": [{"id": "in", "type": "input", "config": {}},
                      {"id": "bn", "type": "batch_norm", "config": {}},
                      {"id": "out", "type": "dense", "config": {"units": 3,
                                                                 "activation": "softmax"}}],
            "edges": [["in", "bn"], ["bn", "out"]]}
    run = _run_like(project, spec=spec)
    assert "bn.running_mean" in run.weights
    run.weights["bn.running_var"] = np.array([2.0, 3.0], dtype=np.float32)
    project.add_run(run)
    assert pf.loads(pf.dumps(project)) == project


def test_layout_is_the_engines_weight_layout():
    spec = {"nodes": [{"id": "in", "type": "input", "config": {}},
                      {"id": "a", "type": "dense", "config": {"units": 4}},
                      {"id": "b", "type": "dense", "config": {"units": 3}},
                      {"id": "bn", "type": "batch_norm", "config": {}},
                      {"id": "cat", "type": "concatenate", "config": {}},
                      {"id": "out", "type": "dense", "config": {"units": "auto"}}],
            "edges": [["in", "a"], ["in", "b"], ["b", "bn"], ["a", "cat"], ["bn", "cat"],
                      ["cat", "out"]]}
    weights = network.build(spec, 5, 2).get_weights()
    assert validation.weight_layout(spec, 5, 2) == {k: v.shape for k, v in weights.items()}
    assert list(validation.weight_layout(spec, 5, 2)) == list(weights)


def test_the_archive_layout_is_as_documented(trained32):
    data = pf.dumps(trained32, saved=dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.timezone.utc))
    found = members(data)
    names = list(trained32.runs[0].weights)
    assert list(found) == (["project.json", "data/notes.csv"]
                           + [f"weights/{run}/{n}.npy" for run in ("run1", "run1.best", "run2",
                                                                   "run2.best") for n in names])
    assert found["project.json"][0] == zipfile.ZIP_DEFLATED
    assert all(found[n][0] == zipfile.ZIP_STORED for n in found if n.startswith("weights/"))
    head = project_json(data)
    assert list(head) == ["format", "format_version", "app_version", "saved", "document"]
    assert head["format"] == "nnstudio-project" and head["format_version"] == CURRENT == 3
    assert head["app_version"] == nnstudio.__version__
    assert head["saved"] == "2026-05-01T12:00:00+00:00"
    assert head["document"] == json.loads(json.dumps(trained32.to_dict()))
    # plain zipfile + numpy read the weights, without pickles, each member a .npy file
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None  # every CRC right
        for run in trained32.runs:
            for folder, arrays in ((f"weights/{run.id}/", run.weights),
                                   (f"weights/{run.id}.best/", run.best_weights)):
                for name, array in arrays.items():
                    loaded = np.load(io.BytesIO(archive.read(f"{folder}{name}.npy")),
                                     allow_pickle=False)
                    assert loaded.dtype == array.dtype and np.array_equal(loaded, array)


def test_the_array_members_are_plain_npy_files_a_reader_can_map(trained32):
    """A stored member's data is exactly np.save's bytes, found after the local header."""
    data = pf.dumps(trained32)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo("weights/run1/hidden1.weight.npy")
        start = zipio.data_offset(zipio.MemorySource(data), info.header_offset,
                                  info.filename.encode())
    array = trained32.runs[0].weights["hidden1.weight"]
    buffer = io.BytesIO()
    np.save(buffer, array)
    assert data[start:start + info.file_size] == buffer.getvalue()


def test_parameter_names_are_percent_encoded_in_member_names():
    """Node ids are any text: a '/' must not make a folder, nor '%' be ambiguous."""
    project = examples.xor_playground()
    spec = project.spec()
    renamed = {"hidden1": "a/b.c", "hidden2": "50% ü:\\x"}
    for node in spec["nodes"]:
        node["id"] = renamed.get(node["id"], node["id"])
    spec["edges"] = [[renamed.get(a, a), renamed.get(b, b)] for a, b in spec["edges"]]
    net = network.build(spec, 2, 1, seed=3)
    project.add_run(Run("r1", "r", "2026-01-01T00:00:00+00:00",
                        {"spec": spec, "n_features": 2, "n_outputs": 1,
                         "training": project.training.to_dict(),
                         "data": project.data.to_dict()}, weights=net.get_weights()))
    data = pf.dumps(project)
    weights = [n for n in members(data) if n.startswith("weights/")]
    assert "weights/r1/a%2Fb.c.weight.npy" in weights
    assert "weights/r1/50%25%20%C3%BC%3A%5Cx.bias.npy" in weights
    assert all(n.count("/") == 2 for n in weights)
    assert pf.loads(data) == project
    assert list(folder_arrays(data, "weights/r1/")) == list(net.get_weights())


def test_zip64_records_are_read(trained32):
    """Archives over 4 GiB need zip64 records; the writer puts them exactly where zipfile
    does, and forced everywhere they must still read (with zipfile and with load)."""
    plan = pf._prepare(trained32, None, None, "")
    out = io.BytesIO()
    real = zipio.ZipWriter.__init__
    try:
        zipio.ZipWriter.__init__ = lambda self, f, t, zip64_limit=0: real(self, f, t, 0)
        pf._write(plan, out)
    finally:
        zipio.ZipWriter.__init__ = real
    data = out.getvalue()
    assert b"PK\x06\x06" in data  # the zip64 end record
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
    assert pf.loads(data) == trained32


def test_same_project_and_time_give_the_same_bytes(trained32):
    when = dt.datetime(2026, 5, 1, tzinfo=dt.timezone.utc)
    assert pf.dumps(trained32, saved=when) == pf.dumps(trained32, saved=when)


def test_weights_cost_no_more_than_their_raw_bytes():
    project = examples.spirals_classifier()
    spec = project.spec()
    spec["nodes"][1]["config"]["units"] = 300
    spec["nodes"][2]["config"]["units"] = 300
    run = _run_like(project, spec=spec)
    project.add_run(run)
    raw = sum(a.nbytes for a in run.weights.values())
    assert len(pf.dumps(project)) <= raw * 1.02 + 8192


def test_files_zipped_again_with_compression_still_load(trained32):
    """A person unzips a project and zips it again: every member deflated, weights too."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, (_, blob) in members(pf.dumps(trained32)).items():
            archive.writestr(name, blob)
    assert pf.loads(out.getvalue()) == trained32


def test_deflated_array_members_load(trained32):
    """Another tool may deflate single members; load reads (and checks) them too."""
    data = pf.dumps(trained32)
    name = "weights/run2.best/hidden2.weight.npy"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for member, (method, blob) in members(data).items():
            archive.writestr(member, blob, zipfile.ZIP_DEFLATED if member == name else method)
    assert pf.loads(out.getvalue()) == trained32


def test_unknown_members_outside_weights_and_data_are_ignored(trained32):
    data = rezip(pf.dumps(trained32), add={"thumbnail.png": b"\x89PNG", "__MACOSX/x": b"",
                                            "weights/": b"", "weights/run1/": b""})
    assert pf.loads(data) == trained32


# -- shipped examples ------------------------------------------------------------------------------
def test_shipped_example_files_are_the_codes_examples():
    paths = example_files.example_paths()
    assert sorted(p.stem for p in paths) == sorted(examples.EXAMPLES)
    for path in paths:
        assert path.suffix == ".nnproj"
        assert pf.load(path) == examples.EXAMPLES[path.stem](), (
            f"{path.name} differs from examples.py: run "
            "python -m nnstudio.document.example_files to write the files again")


def test_write_examples_writes_every_example(tmp_path):
    written = example_files.write_examples(tmp_path)
    assert sorted(p.name for p in written) == sorted(f"{n}.nnproj" for n in examples.EXAMPLES)
    for path in written:
        assert pf.load(path) == examples.EXAMPLES[path.stem]()


# -- versions and migrations ---------------------------------------------------------------------
def test_a_registered_migration_upgrades_an_old_file(monkeypatch, trained32):
    """Pretend the current format stored positions as {"x", "y"} and the next one (made
    current) as [x, y]."""
    def positions_as_objects(doc):
        for node in doc["document"]["network"]["nodes"]:
            x, y = node["position"]
            node["position"] = {"x": x, "y": y}
    old_file = with_json(pf.dumps(trained32), positions_as_objects)

    calls = []

    def positions_as_lists(data):
        calls.append(data["format_version"])
        for node in data["document"]["network"]["nodes"]:
            node["position"] = [node["position"]["x"], node["position"]["y"]]
        return data

    monkeypatch.setattr(migrations, "FORMAT_VERSION", CURRENT + 1)
    monkeypatch.setitem(migrations.MIGRATIONS, CURRENT, positions_as_lists)
    assert pf.loads(old_file) == trained32
    assert calls == [CURRENT]
    # and saving writes the current format
    assert project_json(pf.dumps(trained32))["format_version"] == CURRENT + 1


def test_migrations_run_in_sequence(monkeypatch):
    order = []

    def step(version):
        def migrate(data):
            order.append(version)
            data["document"]["training"]["epochs"] += 1
            return data
        return migrate

    project = examples.xor_playground()
    data = pf.dumps(project)
    monkeypatch.setattr(migrations, "FORMAT_VERSION", CURRENT + 3)
    for v in (CURRENT, CURRENT + 1, CURRENT + 2):
        monkeypatch.setitem(migrations.MIGRATIONS, v, step(v))
    assert pf.loads(data).training.epochs == project.training.epochs + 3
    assert order == [CURRENT, CURRENT + 1, CURRENT + 2]


def test_an_archive_migration_renames_members(monkeypatch, trained32):
    """The archive's part of a migration: pretend the current format kept weights under
    'arrays/' and the next one under 'weights/'."""
    data = pf.dumps(trained32)
    old_file = rezip(data, drop=[n for n in members(data) if n.startswith("weights/")],
                     add={"arrays/" + n[len("weights/"):]: blob
                          for n, (_, blob) in members(data).items() if n.startswith("weights/")},
                     add_method=zipfile.ZIP_STORED)

    def arrays_become_weights(archive):
        for name in archive.names():
            if name.startswith("arrays/"):
                archive.rename(name, "weights/" + name[len("arrays/"):])

    monkeypatch.setattr(migrations, "FORMAT_VERSION", CURRENT + 1)
    monkeypatch.setitem(migrations.MIGRATIONS, CURRENT, lambda d: d)
    monkeypatch.setitem(migrations.ARCHIVE_MIGRATIONS, CURRENT, arrays_become_weights)
    assert pf.loads(old_file) == trained32
    monkeypatch.delitem(migrations.ARCHIVE_MIGRATIONS, CURRENT)
    with pytest.raises(ProjectFileError, match="is missing"):
        pf.loads(old_file)


def test_a_failing_archive_migration_is_a_project_file_error(monkeypatch):
    def broken(archive):
        raise KeyError("nothing")

    data = pf.dumps(examples.xor_playground())
    monkeypatch.setattr(migrations, "FORMAT_VERSION", CURRENT + 1)
    monkeypatch.setitem(migrations.MIGRATIONS, CURRENT, lambda d: d)
    monkeypatch.setitem(migrations.ARCHIVE_MIGRATIONS, CURRENT, broken)
    with pytest.raises(ProjectFileError, match=f"archive from format {CURRENT} to format "
                                               f"{CURRENT + 1}") as info:
        pf.loads(data)
    assert not info.value.unexpected


def test_a_failing_migration_is_a_project_file_error(monkeypatch):
    def broken(data):
        return data["no such key"]

    data = pf.dumps(examples.xor_playground())
    monkeypatch.setattr(migrations, "FORMAT_VERSION", CURRENT + 1)
    monkeypatch.setitem(migrations.MIGRATIONS, CURRENT, broken)
    with pytest.raises(ProjectFileError, match=f"from format {CURRENT} to format "
                                               f"{CURRENT + 1}") as info:
        pf.loads(data)
    assert info.value.where == "project.json" and not info.value.unexpected


def test_a_gap_in_the_migrations_is_a_clear_error(monkeypatch):
    data = pf.dumps(examples.xor_playground())
    monkeypatch.setattr(migrations, "FORMAT_VERSION", CURRENT + 2)
    monkeypatch.setitem(migrations.MIGRATIONS, CURRENT + 1, lambda d: d)
    with pytest.raises(ProjectFileError, match="older NN Studio first"):
        pf.loads(data)


def test_every_older_format_has_a_migration():
    assert set(migrations.MIGRATIONS) == set(range(1, CURRENT))
    assert set(migrations.ARCHIVE_MIGRATIONS) <= set(migrations.MIGRATIONS)


def test_a_newer_file_is_refused_before_anything_else_is_read():
    # a newer document may look like anything; only the version is read
    data = with_json(pf.dumps(examples.xor_playground()),
                     lambda d: {"format": "nnstudio-project", "format_version": CURRENT + 1,
                                "app_version": "9.0.0", "brand new": {"layout": []}})
    with pytest.raises(NewerFormatError) as info:
        pf.loads(data, "future.nnproj")
    err = info.value
    assert (err.found, err.supported) == (CURRENT + 1, CURRENT)
    assert "update NN Studio" in str(err) and "NN Studio 9.0.0" in str(err)
    assert err.where == "project.json: format_version" and err.path == "future.nnproj"


# -- atomic saves ---------------------------------------------------------------------------------
def test_save_replaces_the_file_and_leaves_no_temporary_files(tmp_path, trained32):
    path = tmp_path / "p.nnproj"
    pf.save(examples.xor_playground(), path)
    pf.save(trained32, path)
    assert pf.load(path) == trained32
    assert os.listdir(tmp_path) == ["p.nnproj"]


def test_a_failure_while_writing_leaves_the_old_file_intact(tmp_path, monkeypatch, trained32):
    path = tmp_path / "p.nnproj"
    pf.save(examples.xor_playground(), path)
    before = path.read_bytes()
    real_write = pf._write

    def write_then_fail(plan, f):
        real_write(plan, f)
        f.seek(len(before) // 2)
        f.write(b"half-written garbage")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pf, "_write", write_then_fail)
    with pytest.raises(ProjectSaveError, match="No space left on device.*previous file is "
                                               "unchanged"):
        pf.save(trained32, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["p.nnproj"]


def test_a_failure_midway_through_the_weights_leaves_the_old_file_intact(tmp_path, monkeypatch,
                                                                        trained32):
    path = tmp_path / "p.nnproj"
    pf.save(examples.spirals_classifier(), path)
    before = path.read_bytes()
    calls = []
    real = zipio.ZipWriter.write_array

    def fails_second_time(self, *args):
        calls.append(1)
        if len(calls) == 2:
            self.f.write(b"\0" * 1000)
            raise MemoryError("out of memory")
        real(self, *args)

    monkeypatch.setattr(zipio.ZipWriter, "write_array", fails_second_time)
    with pytest.raises(ProjectSaveError, match="MemoryError"):
        pf.save(trained32, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["p.nnproj"]


def test_a_failing_rename_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "p.nnproj"
    pf.save(examples.spirals_classifier(), path)
    before = path.read_bytes()

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied", dst)

    monkeypatch.setattr(pf.os, "replace", refuse)
    with pytest.raises(ProjectSaveError, match="Permission denied"):
        pf.save(examples.xor_playground(), path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["p.nnproj"]


def test_saving_into_a_missing_folder_fails_cleanly(tmp_path):
    with pytest.raises(ProjectSaveError, match="no file was written") as info:
        pf.save(examples.xor_playground(), tmp_path / "missing" / "p.nnproj")
    assert info.value.path.endswith("p.nnproj")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="needs POSIX permissions that root ignores")
def test_saving_into_a_read_only_folder_fails_cleanly(tmp_path):
    path = tmp_path / "p.nnproj"
    pf.save(examples.xor_playground(), path)
    before = path.read_bytes()
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(ProjectSaveError, match="previous file is unchanged"):
            pf.save(examples.spirals_classifier(), path)
    finally:
        tmp_path.chmod(0o755)
    assert path.read_bytes() == before


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_save_keeps_the_files_permissions(tmp_path):
    path = tmp_path / "p.nnproj"
    pf.save(examples.xor_playground(), path)
    path.chmod(0o640)
    pf.save(examples.spirals_classifier(), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_saving_through_a_symlink_replaces_the_real_file(tmp_path):
    real = tmp_path / "real.nnproj"
    link = tmp_path / "link.nnproj"
    pf.save(examples.xor_playground(), real)
    link.symlink_to(real)
    pf.save(examples.spirals_classifier(), link)
    assert link.is_symlink() and pf.load(real) == examples.spirals_classifier()


# -- what save refuses (it never writes a file that would not load) ------------------------------
def _refused(project, match, where=None):
    with pytest.raises(ProjectSaveError, match=match) as info:
        pf.dumps(project)
    if where is not None:
        assert info.value.where == where
    return info.value


def test_save_refuses_values_json_cannot_hold():
    project = examples.xor_playground()
    project.set_node_config("hidden1", {"units": np.int64(8)})
    _refused(project, "numpy.int64", "project.json: document.network.nodes[1].config.units")


def test_save_refuses_settings_a_load_would_refuse():
    project = examples.xor_playground()
    project.set_training(epochs="ten")
    _refused(project, "whole number", "project.json: document.training.epochs")


def test_save_refuses_weights_that_do_not_fit(trained32):
    project = trained_project()
    project.runs[0].weights["hidden1.weight"] = np.zeros((3, 3), np.float32)
    _refused(project, r"shape \(3, 3\)", "weights/run1/hidden1.weight.npy")
    project = trained_project()
    project.runs[1].best_weights["output.bias"] = np.array([np.nan], np.float32)
    _refused(project, "NaN", "weights/run2.best/output.bias.npy")
    project = trained_project()
    del project.runs[0].weights["output.bias"]
    _refused(project, "missing", "weights/run1/output.bias.npy")
    project = trained_project()
    project.runs[0].weights["hidden1.bias"] = project.runs[0].weights["hidden1.bias"].astype(
        np.float16)
    _refused(project, "float16")


def test_save_refuses_run_ids_that_cannot_name_a_member():
    project = examples.xor_playground()
    project.add_run(Run("../evil", "r", "now", {}))
    _refused(project, "run id", "project.json: document.runs[0].id")


def test_save_refuses_embedded_names_that_are_paths():
    project = examples.xor_playground()
    project.embedded["../../etc/passwd"] = b"x"
    _refused(project, "file name", "project.json: document.embedded[0]")
