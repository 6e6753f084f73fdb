"""Every way a project file can be wrong ends in one typed error that says what and where."""

from __future__ import annotations

import io
import json
import struct
import zipfile

import numpy as np
import pytest

from nnstudio.document import project_file as pf
from nnstudio.document import zipio
from nnstudio.document.errors import (CorruptProjectError, NewerFormatError, NotAProjectError,
                                      ProjectFileError, ProjectLimitError)

from .conftest import (folder_arrays, members, npy, project_json, rezip, trained_project,
                       with_arrays, with_json)

GOOD = pf.dumps(trained_project())
W1 = "weights/run1/"          # run1's last weights
B2 = "weights/run2.best/"     # run2's best weights


def load_error(data: bytes, name: str = "broken.nnproj") -> ProjectFileError:
    with pytest.raises(ProjectFileError) as info:
        pf.loads(data, name)
    err = info.value
    assert not err.unexpected, f"an unforeseen failure slipped through: {err.__cause__!r}"
    assert err.path == name and str(err).startswith(name)
    assert err.reason and err.reason in str(err)
    return err


def json_edit(edit):
    return lambda data: with_json(data, edit)


def weights_edit(edit, folder=W1):
    def apply(data):
        arrays = folder_arrays(data, folder)
        arrays = edit(arrays) or arrays
        return with_arrays(data, folder, arrays)
    return apply


def drop_key(*path):
    def edit(doc):
        target = doc
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return edit


def set_key(value, *path):
    def edit(doc):
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return edit


def flip_in_array(member: str, at: float = 1.0):
    """Flip one bit of a stored member's data (``at``: where, 0 = first byte, 1 = last)."""
    def apply(data):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo(member)
        start = zipio.data_offset(zipio.MemorySource(data), info.header_offset,
                                  member.encode())
        out = bytearray(data)
        out[start + min(int(at * info.file_size), info.file_size - 1)] ^= 0x01
        return bytes(out)
    return apply


def central_entry(data, member: str) -> int:
    """Offset of a member's entry in the zip's central directory."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        start = archive.start_dir
    pos = start
    while True:
        pos = data.index(b"PK\x01\x02", pos)
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if bytes(data[pos + 46:pos + 46 + name_len]) == member.encode():
            return pos
        pos += 4


def declare_size(member: str, size: int):
    """Rewrite the uncompressed size a member declares in the zip's central directory."""
    def apply(data):
        out = bytearray(data)
        struct.pack_into("<L", out, central_entry(data, member) + 24, size)
        return bytes(out)
    return apply


def big_endian(arrays):
    arrays["hidden1.bias"] = arrays["hidden1.bias"].astype(">f4")


def pickled(arrays):
    arrays["hidden1.bias"] = np.array([{"evil": 1}] * 8, dtype=object)


DOC = "document"
T = (DOC, "training")
N = (DOC, "network")
R0 = (DOC, "runs", 0)
P0 = "project.json: document.runs[0].preprocessor"
# a fitted preprocessor that encodes run1's two network inputs: x1, then c's one category
PRE = {"version": 1, "columns": [
    {"name": "x1", "kind": "numeric", "scale": "standardize", "missing": "mean", "fill": 0.5,
     "center": 0.1, "width": 2.0},
    {"name": "c", "kind": "categorical", "scale": "onehot", "missing": "most_frequent",
     "fill": 0, "categories": ["a"]}]}


def pre_edit(edit):
    """run1 with :data:`PRE` as its preprocessor, then ``edit(preprocessor)`` applied."""
    def apply(doc):
        pre = json.loads(json.dumps(PRE))
        doc[DOC]["runs"][0]["preprocessor"] = pre
        edit(pre)
    return json_edit(apply)

CASES = {
    # -- the container
    "not a zip": (lambda d: b"hello, this is not a project at all", NotAProjectError, None,
                  "not a zip archive"),
    "a JSON file instead of the archive": (lambda d: members(d)["project.json"][1],
                                           NotAProjectError, None, "looks like a JSON file"),
    "empty": (lambda d: b"", NotAProjectError, None, "empty"),
    "truncated": (lambda d: d[:len(d) // 2], CorruptProjectError, None, "truncated"),
    "truncated in the directory": (lambda d: d[:-30], CorruptProjectError, None, "damaged"),
    "no project.json": (lambda d: rezip(d, drop={"project.json"}), NotAProjectError, None,
                        "no project.json"),
    "two members of one name": (lambda d: rezip(d, add={"project.json": b"{}"}),
                                CorruptProjectError, "project.json", "two members"),
    "undeclared weights": (lambda d: rezip(d, add={"weights/run9.npz": b""}),
                           CorruptProjectError, "weights/run9.npz", "not listed"),
    "undeclared data": (lambda d: rezip(d, add={"data/extra.csv": b""}), CorruptProjectError,
                        "data/extra.csv", "not listed"),
    "missing weights": (lambda d: rezip(d, drop={n for n in members(d) if n.startswith(B2)}),
                        CorruptProjectError, B2 + "hidden1.weight.npy",
                        "parameter hidden1.weight of run 'run2' is missing"),
    "undeclared weights folder": (lambda d: rezip(d, add={"weights/run3/h.weight.npy": b""}),
                                  CorruptProjectError, "weights/run3/h.weight.npy",
                                  "not listed"),
    "a weights member in a sub-folder": (
        lambda d: rezip(d, add={W1 + "x/hidden1.bias.npy": b""}), CorruptProjectError,
        W1 + "x/hidden1.bias.npy", "not listed"),
    "a parameter's name spelled otherwise": (
        lambda d: rezip(d, add={W1 + "hidden%31.bias.npy": b""}), CorruptProjectError,
        W1 + "hidden%31.bias.npy", "spelling"),
    "missing embedded member": (lambda d: rezip(d, drop={"data/notes.csv"}),
                                CorruptProjectError, "data/notes.csv", "missing"),
    "a member declared too large (zip bomb)": (declare_size("data/notes.csv", 0xFFFFFFF0),
                                               ProjectLimitError, "data/notes.csv",
                                               "zip bomb"),
    "project.json declared too large": (declare_size("project.json", 0xFFFFFFF0),
                                        ProjectLimitError, "project.json", "64.0 MiB"),
    # -- project.json as text
    "bad JSON": (lambda d: rezip(d, {"project.json": b'{"format": "nnstudio-project",'}),
                 CorruptProjectError, "project.json", "not valid JSON.*line 1"),
    "not UTF-8": (lambda d: rezip(d, {"project.json": b'{"format": "\xff"}'}),
                  CorruptProjectError, "project.json", "not UTF-8"),
    "JSON not an object": (lambda d: rezip(d, {"project.json": b"[1, 2, 3]"}),
                           CorruptProjectError, "project.json", "a list of 3"),
    "a key twice": (lambda d: rezip(d, {"project.json": b'{"format": 1, "format": 2}'}),
                    CorruptProjectError, "project.json", "'format' twice"),
    "nested too deeply": (lambda d: rezip(d, {"project.json": b"[" * 60_000}),
                          CorruptProjectError, "project.json", "nested too deeply|not valid"),
    # -- header
    "wrong format name": (json_edit(set_key("keras-model", "format")), NotAProjectError,
                          "project.json: format", "'keras-model' \\(text\\) file, not an NN"),
    "no format key": (json_edit(drop_key("format")), NotAProjectError, "project.json",
                      "no 'format' key"),
    "newer version": (json_edit(set_key(4, "format_version")), NewerFormatError,
                      "project.json: format_version", "format 4.*up to 3: update NN Studio"),
    "version as text": (json_edit(set_key("1", "format_version")), CorruptProjectError,
                        "project.json: format_version", "whole number"),
    "version zero": (json_edit(set_key(0, "format_version")), CorruptProjectError,
                     "project.json: format_version", "does not exist"),
    "unknown top-level key": (json_edit(set_key(1, "extra")), CorruptProjectError,
                              "project.json: extra", "not a key"),
    "saved not text": (json_edit(set_key(1.5, "saved")), CorruptProjectError,
                       "project.json: saved", "must be a text"),
    # -- network
    "unknown layer type": (json_edit(set_key("dense2", *N, "nodes", 1, "type")),
                           CorruptProjectError, "project.json: document.network.nodes[1].type",
                           "unknown layer 'dense2'; the valid names are: input, dense"),
    "duplicate node id": (json_edit(set_key("hidden1", *N, "nodes", 2, "id")),
                          CorruptProjectError, "project.json: document.network.nodes[2].id",
                          "unique"),
    "empty node id": (json_edit(set_key("", *N, "nodes", 0, "id")), CorruptProjectError,
                      "project.json: document.network.nodes[0].id", "non-empty"),
    "config not an object": (json_edit(set_key([8], *N, "nodes", 1, "config")),
                             CorruptProjectError,
                             "project.json: document.network.nodes[1].config", "object"),
    "position not two numbers": (json_edit(set_key([1.0], *N, "nodes", 1, "position")),
                                 CorruptProjectError,
                                 "project.json: document.network.nodes[1].position", "two"),
    "position infinite": (json_edit(set_key([1.0, float("inf")], *N, "nodes", 1, "position")),
                          CorruptProjectError,
                          "project.json: document.network.nodes[1].position[1]", "finite"),
    "edge to a missing node": (json_edit(set_key(["input", "ghost"], *N, "edges", 0)),
                               CorruptProjectError, "project.json: document.network.edges[0]",
                               "target 'ghost' is not a layer"),
    "edge not a pair": (json_edit(set_key(["input"], *N, "edges", 0)), CorruptProjectError,
                        "project.json: document.network.edges[0]", "pair"),
    "edge into the input": (json_edit(set_key(["hidden1", "input"], *N, "edges", 0)),
                            CorruptProjectError, "project.json: document.network.edges[0]",
                            "input layer"),
    "a loop": (json_edit(lambda doc: doc[DOC]["network"]["edges"].append(["output", "hidden1"])),
               CorruptProjectError, "project.json: document.network.edges[3]", "loop"),
    # -- data
    "unknown data kind": (json_edit(set_key("csv2", DOC, "data", "kind")), CorruptProjectError,
                          "project.json: document.data.kind", "unknown data source kind"),
    "unknown dataset": (json_edit(set_key("moons", DOC, "data", "config", "name")),
                        CorruptProjectError, "project.json: document.data.config.name",
                        "unknown dataset 'moons'"),
    "bad dataset parameter": (json_edit(set_key("many", DOC, "data", "config", "n_samples")),
                              CorruptProjectError, "project.json: document.data.config",
                              "n_samples"),
    "embedded name with a folder": (json_edit(set_key(["../x"], DOC, "embedded")),
                                    CorruptProjectError, "project.json: document.embedded[0]",
                                    "file name"),
    # -- training settings
    "epochs as text": (json_edit(set_key("ten", *T, "epochs")), CorruptProjectError,
                       "project.json: document.training.epochs",
                       "whole number >= 1, got 'ten' \\(text\\)"),
    "epochs as a float": (json_edit(set_key(10.5, *T, "epochs")), CorruptProjectError,
                          "project.json: document.training.epochs", "whole number"),
    "batch size zero": (json_edit(set_key(0, *T, "batch_size")), CorruptProjectError,
                        "project.json: document.training.batch_size", ">= 1"),
    "boolean seed": (json_edit(set_key(True, *T, "seed")), CorruptProjectError,
                     "project.json: document.training.seed", "yes/no"),
    "split out of range": (json_edit(set_key(1.0, *T, "validation_split")),
                           CorruptProjectError,
                           "project.json: document.training.validation_split", "< 1"),
    "splits leave nothing": (json_edit(lambda d: d[DOC]["training"].update(
        validation_split=0.5, test_split=0.5)), CorruptProjectError,
        "project.json: document.training.test_split", "sum < 1"),
    "unknown optimizer": (json_edit(set_key({"name": "adamm"}, *T, "optimizer")),
                          CorruptProjectError, "project.json: document.training.optimizer.name",
                          "unknown optimizer 'adamm'; the valid names are: sgd"),
    "optimizer parameter it does not take": (
        json_edit(set_key({"name": "sgd", "beta1": 0.9}, *T, "optimizer")),
        CorruptProjectError, "project.json: document.training.optimizer", "no parameter"),
    "negative learning rate": (json_edit(set_key({"name": "sgd", "lr": -1}, *T, "optimizer")),
                               CorruptProjectError, "project.json: document.training.optimizer",
                               "learning rate"),
    "unknown loss": (json_edit(set_key({"name": "hinge"}, *T, "loss")), CorruptProjectError,
                     "project.json: document.training.loss.name", "unknown loss 'hinge'"),
    "loss without a name": (json_edit(set_key({"delta": 1}, *T, "loss")), CorruptProjectError,
                            "project.json: document.training.loss.name", "missing|text"),
    "unknown schedule": (json_edit(set_key("sometimes", *T, "schedule")), CorruptProjectError,
                         "project.json: document.training.schedule", "unknown schedule"),
    "unknown metric": (json_edit(set_key(["accuracy", "auc"], *T, "metrics")),
                       CorruptProjectError, "project.json: document.training.metrics[1]",
                       "unknown metric 'auc'"),
    "bad early stopping": (json_edit(set_key({"patience": -1}, *T, "early_stopping")),
                           CorruptProjectError,
                           "project.json: document.training.early_stopping.patience", ">= 0"),
    "unknown early stopping option": (json_edit(set_key({"wait": 3}, *T, "early_stopping")),
                                      CorruptProjectError,
                                      "project.json: document.training.early_stopping.wait",
                                      "not a key"),
    "zero clip norm": (json_edit(set_key(0, *T, "clip_norm")), CorruptProjectError,
                       "project.json: document.training.clip_norm", "> 0"),
    "unknown dtype": (json_edit(set_key("float16", *T, "dtype")), CorruptProjectError,
                      "project.json: document.training.dtype", "float32"),
    "missing setting": (json_edit(drop_key(*T, "seed")), CorruptProjectError,
                        "project.json: document.training.seed", "missing"),
    "unknown setting": (json_edit(set_key(3, *T, "epochz")), CorruptProjectError,
                        "project.json: document.training.epochz", "not a key.*epochs"),
    "missing document key": (json_edit(drop_key(DOC, "network")), CorruptProjectError,
                             "project.json: document.network", "missing"),
    # -- runs
    "duplicate run id": (json_edit(set_key("run1", *R0[:2], 1, "id")), CorruptProjectError,
                         "project.json: document.runs[1].id", "unique"),
    "unknown run status": (json_edit(set_key("crashed", *R0, "status")), CorruptProjectError,
                           "project.json: document.runs[0].status", "completed, early_stopping"),
    "history with text": (json_edit(set_key(["low", "lower"], *R0, "history", "lr")),
                          CorruptProjectError, "project.json: document.runs[0].history.lr[0]",
                          "number"),
    "history not an object": (json_edit(set_key([1, 2], *R0, "history")), CorruptProjectError,
                              "project.json: document.runs[0].history", "object"),
    "negative best epoch": (json_edit(set_key(-1, *R0, "best_epoch")), CorruptProjectError,
                            "project.json: document.runs[0].best_epoch", ">= 0"),
    "has_weights not a boolean": (json_edit(set_key("yes", *R0, "has_weights")),
                                  CorruptProjectError,
                                  "project.json: document.runs[0].has_weights", "true or false"),
    "run spec that cannot be built": (
        json_edit(lambda d: d[DOC]["runs"][0]["settings"]["spec"]["edges"].pop() and None),
        CorruptProjectError, "project.json: document.runs[0].settings.spec",
        "cannot be rebuilt"),
    "run without n_features": (json_edit(drop_key(*R0, "settings", "n_features")),
                               CorruptProjectError,
                               "project.json: document.runs[0].settings.n_features", "missing"),
    "run settings with a bad optimizer": (
        json_edit(set_key("adamm", *R0, "settings", "training", "optimizer")),
        CorruptProjectError, "project.json: document.runs[0].settings.training.optimizer",
        "unknown optimizer"),
    # -- a run's fitted preprocessor
    "preprocessor not an object": (json_edit(set_key("standardize", *R0, "preprocessor")),
                                   CorruptProjectError, P0, "JSON object"),
    "preprocessor of another version": (pre_edit(set_key(2, "version")), CorruptProjectError,
                                        P0 + ".version", "must be 1"),
    "preprocessor without columns": (pre_edit(drop_key("columns")), CorruptProjectError,
                                     P0 + ".columns", "missing"),
    "preprocessor column of a text kind": (
        pre_edit(set_key("text", "columns", 0, "kind")), CorruptProjectError,
        P0 + ".columns[0].kind", "numeric, categorical, boolean"),
    "preprocessor numeric column one-hot": (
        pre_edit(set_key("onehot", "columns", 0, "scale")), CorruptProjectError,
        P0 + ".columns[0].scale", "standardize, minmax, none for a numeric"),
    "preprocessor categorical imputed by the mean": (
        pre_edit(set_key("mean", "columns", 1, "missing")), CorruptProjectError,
        P0 + ".columns[1].missing", "drop, most_frequent"),
    "preprocessor fill as text": (pre_edit(set_key("0.5", "columns", 0, "fill")),
                                  CorruptProjectError, P0 + ".columns[0].fill",
                                  "finite number"),
    "preprocessor imputing without a fill": (
        pre_edit(set_key(None, "columns", 0, "fill")), CorruptProjectError,
        P0 + ".columns[0].fill", "null exactly when missing is \"drop\""),
    "preprocessor zero width": (pre_edit(set_key(0, "columns", 0, "width")),
                                CorruptProjectError, P0 + ".columns[0].width", "> 0"),
    "preprocessor numeric column without a center": (
        pre_edit(drop_key("columns", 0, "center")), CorruptProjectError,
        P0 + ".columns[0].center", "missing"),
    "preprocessor category fill out of range": (
        pre_edit(set_key(1, "columns", 1, "fill")), CorruptProjectError,
        P0 + ".columns[1].fill", "index of a category \\(0 to 0\\)"),
    "preprocessor category not text": (
        pre_edit(set_key([1], "columns", 1, "categories")), CorruptProjectError,
        P0 + ".columns[1].categories[0]", "must be a text"),
    "preprocessor column named twice": (
        pre_edit(set_key("x1", "columns", 1, "name")), CorruptProjectError,
        P0 + ".columns[1].name", "two columns are called 'x1'"),
    "preprocessor encoding more inputs than the network has": (
        pre_edit(set_key(["a", "b"], "columns", 1, "categories")), CorruptProjectError,
        P0 + ".columns", "encode 3 network inputs.*n_features 2"),
    "run network with more outputs than its weights": (
        json_edit(set_key(3, *R0, "settings", "n_features")), CorruptProjectError,
        W1 + "hidden1.weight.npy", r"shape \(8, 2\).*needs \(8, 3\)"),
    # -- weights
    "weights of the wrong shape": (
        weights_edit(lambda a: a.update({"hidden1.weight": np.zeros((8, 5), np.float32)})),
        CorruptProjectError, W1 + "hidden1.weight.npy",
        r"shape \(8, 5\), but the network of run 'run1' needs \(8, 2\)"),
    "a missing parameter": (weights_edit(lambda a: a.pop("output.bias") and None),
                            CorruptProjectError, W1 + "output.bias.npy",
                            "parameter output.bias of run 'run1' is missing"),
    "an unknown parameter": (weights_edit(lambda a: a.update({"extra.weight": np.zeros(2)})),
                             CorruptProjectError, W1 + "extra.weight.npy",
                             "no parameter 'extra.weight'"),
    "NaN weights": (weights_edit(lambda a: a["hidden2.bias"].__setitem__(3, np.nan)),
                    CorruptProjectError, W1 + "hidden2.bias.npy", "NaN or infinite"),
    "infinite best weights": (
        weights_edit(lambda a: a["output.weight"].__setitem__((0, 0), np.inf), B2),
        CorruptProjectError, B2 + "output.weight.npy", "NaN or infinite"),
    "object dtype (a pickle)": (weights_edit(pickled), CorruptProjectError,
                                W1 + "hidden1.bias.npy", "Python objects"),
    "integer weights": (weights_edit(lambda a: a.update(
        {"hidden1.bias": np.zeros(8, np.int32)})), CorruptProjectError,
        W1 + "hidden1.bias.npy", "dtype int32"),
    "big-endian weights": (weights_edit(big_endian), CorruptProjectError,
                           W1 + "hidden1.bias.npy", "little-endian"),
    "Fortran-ordered weights from another tool": (
        weights_edit(lambda a: a.update({"hidden1.weight": np.asfortranarray(
            a["hidden1.weight"]) + np.nan})), CorruptProjectError, W1 + "hidden1.weight.npy",
        "NaN"),
    "a member that is not an array": (lambda d: rezip(d, {W1 + "hidden1.bias.npy": b"no"}),
                                      CorruptProjectError, W1 + "hidden1.bias.npy",
                                      "not a .npy array"),
    "an npy header longer than its member": (
        lambda d: rezip(d, {W1 + "hidden1.bias.npy": b"\x93NUMPY\x01\x00\xff\x00{}"}),
        CorruptProjectError, W1 + "hidden1.bias.npy", "header of 265 bytes"),
    "an npy header of an unknown version": (
        lambda d: rezip(d, {W1 + "hidden1.bias.npy": b"\x93NUMPY\x03\x00" + bytes(200)}),
        CorruptProjectError, W1 + "hidden1.bias.npy", "version 3.0"),
    "an npy header numpy refuses": (
        lambda d: rezip(d, {W1 + "hidden1.bias.npy": b"\x93NUMPY\x01\x00\x08\x00{'x': 1}"}),
        CorruptProjectError, W1 + "hidden1.bias.npy", "not a valid .npy array"),
    "an array member with bytes to spare": (
        lambda d: rezip(d, {W1 + "hidden1.bias.npy": npy(np.zeros(8, np.float32)) + b"\0"}),
        CorruptProjectError, W1 + "hidden1.bias.npy", "needs 160"),
    "a bit flipped in the weights": (flip_in_array(W1 + "hidden2.weight.npy"),
                                     CorruptProjectError, W1 + "hidden2.weight.npy",
                                     "checksum"),
    "a bit flipped in an npy header": (flip_in_array(W1 + "hidden2.weight.npy", 0.2),
                                       CorruptProjectError, W1 + "hidden2.weight.npy",
                                       "checksum|valid|shape|needs"),
    "a bit flipped in best weights": (flip_in_array(B2 + "output.bias.npy"),
                                      CorruptProjectError, B2 + "output.bias.npy",
                                      "checksum"),
    "weights member too large for its network": (
        lambda d: rezip(d, {W1 + "hidden1.bias.npy": npy(np.zeros(100_000))}),
        ProjectLimitError, W1 + "hidden1.bias.npy", "more than the 4.1 KiB"),
    "a weights member that points at another member's header": (
        lambda d: _retarget(d, W1 + "hidden1.bias.npy", W1 + "hidden1.weight.npy"),
        CorruptProjectError, W1 + "hidden1.bias.npy", "names another member"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_broken_file_raises_one_typed_error(case):
    mutate, error_type, where, message = CASES[case]
    err = load_error(mutate(GOOD))
    assert type(err) is error_type, f"{case}: {type(err).__name__}: {err}"
    if where is not None:
        assert err.where == where, f"{case}: {err}"
    assert __import__("re").search(message, err.reason), f"{case}: {err}"


def test_the_cases_start_from_a_file_that_loads():
    assert pf.loads(GOOD) == trained_project()
    loaded = pf.loads(pre_edit(lambda pre: None)(GOOD))
    assert loaded.runs[0].preprocessor == PRE and loaded.runs[1].preprocessor is None


def _retarget(data: bytes, member: str, other: str) -> bytes:
    """Point a member's directory entry at another member's local header."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        offset = archive.getinfo(other).header_offset
    out = bytearray(data)
    struct.pack_into("<L", out, central_entry(data, member) + 42, offset)
    return bytes(out)


def test_a_bit_flip_in_the_weights_names_the_member():
    err = load_error(flip_in_array(W1 + "hidden1.bias.npy", 0.9)(GOOD))
    assert err.where == W1 + "hidden1.bias.npy" and "CRC" in err.reason


def test_a_missing_file(tmp_path):
    path = tmp_path / "nowhere.nnproj"
    with pytest.raises(ProjectFileError, match="cannot open the file") as info:
        pf.load(path)
    assert info.value.path == str(path) and not info.value.unexpected


def test_a_folder_instead_of_a_file(tmp_path):
    with pytest.raises(ProjectFileError, match="cannot open"):
        pf.load(tmp_path)


def test_an_empty_file_on_disk(tmp_path):
    path = tmp_path / "empty.nnproj"
    path.write_bytes(b"")
    with pytest.raises(NotAProjectError, match="empty") as info:
        pf.load(path)
    assert str(info.value).startswith(str(path))


def test_a_highly_compressed_embedded_file_is_refused_as_a_zip_bomb():
    bomb = rezip(GOOD)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, (method, blob) in members(bomb).items():
            if name == "data/notes.csv":
                blob = bytes(20_000_000)  # deflates about 1000-fold
            archive.writestr(name, blob, compress_type=method)
    err = load_error(out.getvalue())
    assert isinstance(err, ProjectLimitError) and err.where == "data/notes.csv"
    assert "zip bomb" in err.reason


def test_limits_are_checked_before_reading(monkeypatch):
    monkeypatch.setattr(pf, "MAX_MEMBERS", 3)
    err = load_error(GOOD)
    assert isinstance(err, ProjectLimitError) and "members" in err.reason
    monkeypatch.setattr(pf, "MAX_MEMBERS", 10_000)
    monkeypatch.setattr(pf, "MAX_TOTAL_BYTES", 1000)
    assert isinstance(load_error(GOOD), ProjectLimitError)
    monkeypatch.setattr(pf, "MAX_TOTAL_BYTES", 1 << 34)
    monkeypatch.setattr(pf, "MAX_JSON_BYTES", 100)
    err = load_error(GOOD)
    assert isinstance(err, ProjectLimitError) and err.where == "project.json"
    monkeypatch.setattr(pf, "MAX_JSON_BYTES", 1 << 26)
    monkeypatch.setattr(pf, "MAX_DIRECTORY_BYTES", 100)
    assert "directory" in load_error(GOOD).reason


def test_saving_stores_what_would_trip_the_zip_bomb_limit():
    project = trained_project()
    project.embedded["zeros.bin"] = bytes(20_000_000)
    data = pf.dumps(project)
    assert members(data)["data/zeros.bin"][0] == zipfile.ZIP_STORED
    assert pf.loads(data).embedded["zeros.bin"] == bytes(20_000_000)


def test_an_encrypted_member_is_refused():
    data = bytearray(GOOD)
    # set the "encrypted" flag of project.json in the central directory
    pos = central_entry(GOOD, "project.json")
    struct.pack_into("<H", data, pos + 8, struct.unpack_from("<H", data, pos + 8)[0] | 1)
    err = load_error(bytes(data))
    assert "encrypted" in err.reason and err.where == "project.json"


def test_the_error_message_reads_as_one_sentence_a_person_can_act_on():
    err = load_error(with_json(GOOD, set_key(4, "format_version")), "spirals.nnproj")
    assert str(err) == (
        "spirals.nnproj: project.json: format_version: this project was saved by NN Studio "
        f"{project_json(GOOD)['app_version']} (file format 4); this version of NN Studio reads "
        "file formats up to 3: update NN Studio to open it")
    err = load_error(with_json(GOOD, set_key("ten", *T, "epochs")), "p.nnproj")
    assert str(err) == ("p.nnproj: project.json: document.training.epochs: must be a whole "
                        "number >= 1, got 'ten' (text)")


def test_json_nan_in_a_setting_is_refused():
    data = rezip(GOOD, {"project.json": members(GOOD)["project.json"][1].replace(
        b'"validation_split": 0.2', b'"validation_split": NaN')})
    err = load_error(data)
    assert err.where == "project.json: document.training.validation_split"


def test_every_training_setting_has_a_check():
    from nnstudio.document import validation
    from nnstudio.document.model import TrainingSettings
    assert set(validation.TRAINING_CHECKS) == set(TrainingSettings.field_names())


def test_a_file_with_an_archive_comment_still_loads():
    out = io.BytesIO(GOOD)
    with zipfile.ZipFile(out, "a") as archive:
        archive.comment = b"zipped again by another tool " * 100
    assert pf.loads(out.getvalue()) == trained_project()


def test_json_written_by_hand_with_a_bom_loads():
    text = members(GOOD)["project.json"][1]
    assert pf.loads(rezip(GOOD, {"project.json": b"\xef\xbb\xbf" + text})) == trained_project()


def test_a_huge_integer_is_a_clean_error():
    data = rezip(GOOD, {"project.json": members(GOOD)["project.json"][1].replace(
        b'"seed": 0', b'"seed": ' + b"9" * 5000, 1)})
    assert load_error(data).where == "project.json"


def test_json_round_trip_keeps_nan_in_histories():
    project = trained_project()
    project.runs[0].history["train"]["loss"][0] = float("nan")
    loaded = pf.loads(pf.dumps(project))
    assert np.isnan(loaded.runs[0].history["train"]["loss"][0])
    assert json.dumps(loaded.to_dict()) == json.dumps(project.to_dict())


def test_a_run_network_the_engine_fails_on_is_a_clean_error():
    """Node ids with a dot trip the engine (KeyError); the file reader reports it cleanly."""
    def dotted(doc):
        spec = doc[DOC]["runs"][0]["settings"]["spec"]
        spec["nodes"][1]["id"] = "hidden.1"
        spec["edges"] = [[("hidden.1" if e == "hidden1" else e) for e in edge]
                         for edge in spec["edges"]]
    err = load_error(with_json(GOOD, dotted))
    assert err.where.startswith(("project.json: document.runs[0]", W1))


def test_a_format2_file_without_preprocessors_loads_through_the_migration():
    def as_format2(doc):
        doc["format_version"] = 2
        for run in doc[DOC]["runs"]:
            del run["preprocessor"]
    project = pf.loads(with_json(GOOD, as_format2))
    assert project == trained_project() and [r.preprocessor for r in project.runs] == [None] * 2
    # format 3 requires the key: leaving it out of a current file is damage, not an old file
    err = load_error(json_edit(drop_key(*R0, "preprocessor"))(GOOD))
    assert err.where == P0 and "missing" in err.reason
