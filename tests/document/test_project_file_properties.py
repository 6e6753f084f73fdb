"""Property tests: however a valid file is damaged, load succeeds or raises ProjectFileError.

Mutations: truncation at any point, random byte flips, and JSON edits (a key deleted, a value
replaced by a random value of any type, a key added).  Each load runs under a watchdog, so a
hang fails the test instead of stalling the suite; hypothesis's deadline catches slow loads.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import signal
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnstudio.document import examples, zipio
from nnstudio.document import project_file as pf
from nnstudio.document.errors import ProjectFileError

from .conftest import folder_arrays, members, rezip, trained_project, with_arrays
from .test_format1 import FORMAT1

TRAINED = pf.dumps(trained_project(), saved=dt.datetime(2026, 1, 1))
EXAMPLE = pf.dumps(examples.spirals_classifier(), saved=dt.datetime(2026, 1, 1))
DOC = json.loads(members(TRAINED)["project.json"][1])

SETTINGS = settings(max_examples=150, deadline=dt.timedelta(seconds=3),
                    suppress_health_check=[HealthCheck.too_slow], derandomize=False)


class Hang(BaseException):
    """Raised by the watchdog; a BaseException, so no ``except Exception`` can swallow it."""


@contextlib.contextmanager
def watchdog(seconds: float = 20.0):
    if not hasattr(signal, "setitimer"):
        yield
        return

    def fire(signum, frame):
        raise Hang(f"load did not finish within {seconds} s")

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def load_or_typed_error(data: bytes):
    """The project, or None after a ProjectFileError; anything else fails the test."""
    with watchdog():
        try:
            return pf.loads(data, "mutated.nnproj")
        except ProjectFileError as err:
            assert not err.unexpected, f"unforeseen failure: {err.__cause__!r}"
            assert err.reason and str(err).startswith("mutated.nnproj")
            return None


def resaves(project) -> None:
    """Whatever load accepts, save accepts and loads back the same."""
    again = pf.loads(pf.dumps(project))
    assert json.dumps(again.to_dict()) == json.dumps(project.to_dict())
    assert again.embedded == project.embedded
    for a, b in zip(again.runs, project.runs):
        for x, y in ((a.weights, b.weights), (a.best_weights, b.best_weights)):
            assert (x is None) == (y is None)
            if x is not None:
                assert all(x[k].tobytes() == y[k].tobytes() for k in x)


@SETTINGS
@given(base=st.sampled_from([TRAINED, EXAMPLE, FORMAT1]),
       fraction=st.floats(0, 1, exclude_max=True))
def test_truncated_files(base, fraction):
    assert load_or_typed_error(base[:int(len(base) * fraction)]) is None


@SETTINGS
@given(base=st.sampled_from([TRAINED, EXAMPLE, FORMAT1]),
       flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)),
                      min_size=1, max_size=6))
def test_flipped_bytes(base, flips):
    data = bytearray(base)
    for where, mask in flips:
        data[int(where * len(data))] ^= mask
    project = load_or_typed_error(bytes(data))
    if project is not None:  # only bytes that nothing reads were hit
        resaves(project)


def _span(data: bytes, member: str) -> tuple[int, int]:
    """Where a member's bytes (local header included) lie in the archive."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(member)
    start = info.header_offset
    return start, zipio.data_offset(zipio.MemorySource(data), start,
                                    member.encode()) + info.compress_size


WEIGHT_SPANS = [_span(TRAINED, m) for m in ("weights/run1/hidden1.weight.npy",
                                            "weights/run1/output.bias.npy",
                                            "weights/run2.best/hidden2.weight.npy")]
JSON_SPAN = _span(TRAINED, "project.json")
FORMAT1_SPANS = [_span(FORMAT1, m) for m in ("weights/run1.npz", "weights/run1.best.npz")]


@SETTINGS
@given(span=st.sampled_from([(TRAINED, s) for s in WEIGHT_SPANS + [JSON_SPAN]]
                            + [(FORMAT1, s) for s in FORMAT1_SPANS]),
       flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)),
                      min_size=1, max_size=3))
def test_flipped_bytes_inside_weights_and_project_json(span, flips):
    """The weights' local and npy headers, the deflated JSON, and the nested archives of a
    format-1 file (their directories too), hit directly."""
    base, span = span
    data = bytearray(base)
    start, end = span
    for where, mask in flips:
        data[start + int(where * (end - start))] ^= mask
    project = load_or_typed_error(bytes(data))
    if project is not None:
        resaves(project)


def _paths(value, path=()):
    """Every (path) to a value inside the JSON document, the root excluded."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield path + (key,)
            yield from _paths(item, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield path + (i,)
            yield from _paths(item, path + (i,))


PATHS = list(_paths(DOC))

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.integers(-3, 300)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12)
    | st.sampled_from(["dense", "input", "adam", "sgd", "mse", "run1", "hidden1", "output",
                       "float64", "synthetic", "spirals", "completed", ""]),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["name", "units", "id", "lr", "x"]) | st.text(max_size=5),
                      children, max_size=4),
    max_leaves=10)


def _mutate(doc, path, action, value, key):
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "replace":
        parent[last] = value
    else:  # add a key next to the value (or an item to its list)
        if isinstance(parent, dict):
            parent[key] = value
        else:
            parent.insert(last, value)
    return doc


@SETTINGS
@given(edits=st.lists(st.tuples(st.sampled_from(PATHS),
                                st.sampled_from(["delete", "replace", "replace", "add"]),
                                JSON_VALUES, st.text(min_size=1, max_size=8)),
                      min_size=1, max_size=3))
def test_json_edits(edits):
    doc = json.loads(json.dumps(DOC))
    for path, action, value, key in edits:
        try:
            doc = _mutate(doc, path, action, value, key)
        except (KeyError, IndexError, TypeError, AttributeError):
            continue  # an earlier edit removed or reshaped this path
    data = rezip(TRAINED, {"project.json": json.dumps(doc).encode()})
    project = load_or_typed_error(data)
    if project is not None:
        resaves(project)


@SETTINGS
@given(top=st.dictionaries(st.sampled_from(["format", "format_version", "app_version",
                                            "saved", "document", "other"]),
                           JSON_VALUES, max_size=6))
def test_arbitrary_headers(top):
    load_or_typed_error(rezip(TRAINED, {"project.json": json.dumps(top).encode()}))


DTYPES = ["<f4", "<f8", ">f4", "<f2", "<i4", "|b1", "<c8", "|u1", "<M8[s]", "|S3", "|O"]


@SETTINGS
@given(parameter=st.sampled_from(sorted(folder_arrays(TRAINED, "weights/run1/"))),
       dtype=st.sampled_from(DTYPES),
       shape=st.lists(st.integers(0, 9), max_size=3).map(tuple),
       fill=st.sampled_from([0.0, 1.5, np.nan, np.inf]),
       drop=st.booleans())
def test_replaced_weight_arrays(parameter, dtype, shape, fill, drop):
    arrays = folder_arrays(TRAINED, "weights/run1/")
    if drop:
        del arrays[parameter]
    else:
        array = np.empty(shape, dtype=dtype)
        if array.dtype.kind in "fc":
            array[...] = fill
        elif array.dtype.kind == "O":
            array[...] = None
        arrays[parameter] = array
    project = load_or_typed_error(with_arrays(TRAINED, "weights/run1/", arrays))
    if project is not None:
        w = project.runs[0].weights[parameter]
        assert w.dtype.str in ("<f4", "<f8") and np.isfinite(w).all()


def test_the_watchdog_stops_a_hang():
    with pytest.raises(Hang):
        with watchdog(0.05):
            while True:
                pass
