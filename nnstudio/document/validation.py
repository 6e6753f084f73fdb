"""The checks of ``project.json``: every value is validated and every refusal names its place.

:func:`parse_json` turns the member's bytes into Python values (refusing duplicate keys and
anything ``json`` chokes on); :class:`DocumentReader` validates the ``document`` object --
network, data source, training settings, runs -- and builds the
:class:`~nnstudio.document.model.Project` (without embedded files and weights, which the
archive reader adds) together with each run's weight layout (:func:`weight_layout`).  Every
failure is a :class:`~nnstudio.document.errors.CorruptProjectError` whose ``where`` is the
JSON path of the value (``"project.json: document.training.epochs"``).
"""

from __future__ import annotations

import codecs
import json
import math
import re
from typing import Any, Callable

from engine import layers as layer_registry
from engine import losses, metrics, optimizers, schedules
from engine import network as engine_network
from engine import training as engine_training
from engine.data import synthetic
from engine.data.builtin import BUILTIN_DATASETS
from engine.data.csv_import import KINDS, ROLES, TASKS
from engine.data.preprocessing import MISSING as PRE_MISSING
from engine.data.preprocessing import SCALES as PRE_SCALES
from engine.data.preprocessing import VERSION as PRE_VERSION
from engine.registry import UnknownNameError

from .errors import CorruptProjectError
from .members import PROJECT_JSON
from .model import DataSource, Node, Project, Run, TrainingSettings

RUN_STATUSES = ("completed", "early_stopping", "stopped", "diverged")
RUN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class _DuplicateKey(Exception):
    pass


def _no_duplicate_keys(pairs: list) -> dict:
    result = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def parse_json(raw: bytes, path) -> Any:
    """``project.json``'s bytes as Python values: UTF-8 (a BOM allowed), standard JSON plus
    NaN / Infinity, no key twice in an object."""
    where = PROJECT_JSON
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorruptProjectError(f"is not UTF-8 text (invalid byte at offset {exc.start}); "
                                  "the file is damaged", path, where) from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise CorruptProjectError(f"is not valid JSON ({exc.msg} at line {exc.lineno}, "
                                  f"column {exc.colno}); the file is damaged", path,
                                  where) from None
    except _DuplicateKey as exc:
        raise CorruptProjectError(f"has the key {exc.args[0]!r} twice in one object; the file "
                                  "is damaged", path, where) from None
    except RecursionError:
        raise CorruptProjectError("is nested too deeply to be a project; the file is damaged",
                                  path, where) from None
    except ValueError as exc:  # e.g. an integer with thousands of digits
        raise CorruptProjectError(f"holds a value JSON readers refuse ({exc})", path,
                                  where) from None


# == the document ==============================================================================
def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def describe(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true (a yes/no value)" if value else "false (a yes/no value)"
    if isinstance(value, (int, float)):
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"{text!r} (text)"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def subpath(where: str, key: str) -> str:
    """The JSON path of ``key`` inside ``where``: ``a.b``, or ``a["odd key"]``."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
        return f"{where}.{key}" if where else key
    return f"{where}[{json.dumps(key)}]"


class Checker:
    """Type checks that fail with the JSON path of the value (``where``)."""

    def __init__(self, path, member: str = PROJECT_JSON):
        self.path, self.member = path, member
        self._accepted: set = set()  # (registry, config) pairs that built

    def fail(self, where: str, reason: str):
        raise CorruptProjectError(reason, self.path,
                                  f"{self.member}: {where}" if where else self.member)

    def obj(self, value, where: str, required: tuple, optional: tuple = ()) -> dict:
        if not isinstance(value, dict):
            self.fail(where, f"must be a JSON object, got {describe(value)}")
        for key in required:
            if key not in value:
                self.fail(subpath(where, key), "is missing (this key is required)")
        allowed = required + optional
        for key in value:
            if key not in allowed:
                self.fail(subpath(where, key),
                          f"is not a key of this object; its keys are: {', '.join(allowed)}")
        return value

    def array(self, value, where: str) -> list:
        if not isinstance(value, list):
            self.fail(where, f"must be a list, got {describe(value)}")
        return value

    def string(self, value, where: str, non_empty: bool = False) -> str:
        if not isinstance(value, str) or (non_empty and not value):
            need = "a non-empty text" if non_empty else "a text"
            self.fail(where, f"must be {need}, got {describe(value)}")
        return value

    def boolean(self, value, where: str) -> bool:
        if not isinstance(value, bool):
            self.fail(where, f"must be true or false, got {describe(value)}")
        return value

    def whole(self, value, where: str, low: int | None = None) -> int:
        if not is_int(value) or (low is not None and value < low):
            bound = "" if low is None else f" >= {low}"
            self.fail(where, f"must be a whole number{bound}, got {describe(value)}")
        return value

    def number(self, value, where: str, low: float | None = None, high: float | None = None,
               low_open: bool = False, high_open: bool = False) -> float:
        ok = is_number(value) and math.isfinite(value)
        if ok and low is not None:
            ok = value > low if low_open else value >= low
        if ok and high is not None:
            ok = value < high if high_open else value <= high
        if not ok:
            bounds = []
            if low is not None:
                bounds.append(f"{'>' if low_open else '>='} {low}")
            if high is not None:
                bounds.append(f"{'<' if high_open else '<='} {high}")
            need = " and ".join(bounds)
            self.fail(where, f"must be a finite number{' ' + need if need else ''}, got "
                             f"{describe(value)}")
        return value

    def registry_config(self, registry_get: Callable, value, where: str):
        """A name or ``{"name": ..., **parameters}`` that the engine registry can build."""
        if isinstance(value, dict):
            self.string(value.get("name"), subpath(where, "name"), non_empty=True)
        elif not isinstance(value, str):
            self.fail(where, f"must be a name or an object with a 'name', got "
                             f"{describe(value)}")
        try:
            key = (registry_get, json.dumps(value, sort_keys=True))
        except (TypeError, ValueError):  # not plain JSON: nothing to remember it by
            key = None
        if key is not None and key in self._accepted:
            return  # a run's settings repeat the project's: build each config once
        try:
            registry_get(value)
        except UnknownNameError as exc:
            self.fail(subpath(where, "name") if isinstance(value, dict) else where, str(exc))
        except Exception as exc:  # the engine judging untrusted values: any refusal counts
            self.fail(where, engine_reason(exc))
        if key is not None:
            self._accepted.add(key)


def fixed_name(value: str) -> bool:
    """A name safe as one path component of a zip member (data/<name>)."""
    return (0 < len(value) <= 255 and value not in (".", "..")
            and not any(c in value for c in '/\\:') and all(ord(c) >= 32 for c in value))


class DocumentReader(Checker):
    """Validates ``project.json``'s ``document`` and builds the :class:`Project` (without its
    embedded bytes and weights, which the archive reader adds)."""

    def __init__(self, path):
        super().__init__(path)
        self.embedded: list[str] = []
        self.data_files: list[tuple[str, str]] = []  # (embedded name, where) csv sources use
        self.layouts: dict[str, dict[str, tuple]] = {}
        self.has_weights: dict[str, tuple[bool, bool]] = {}

    def document(self, value) -> Project:
        where = "document"
        doc = self.obj(value, where, ("network", "data", "embedded", "training", "runs"))
        project = Project()
        project.nodes, project.edges = self.network(doc["network"], f"{where}.network")
        project.data = self.data_source(doc["data"], f"{where}.data")
        self.embedded = self.embedded_names(doc["embedded"], f"{where}.embedded")
        for name, w in self.data_files:
            if name not in self.embedded:
                self.fail(w, f"names the data file {name!r}, which the project does not "
                             "carry (it is not listed in document.embedded)")
        project.training = self.training(doc["training"], f"{where}.training")
        project.runs = self.runs(doc["runs"], f"{where}.runs")
        return project

    # -- network --------------------------------------------------------------------------
    def network(self, value, where: str):
        net = self.obj(value, where, ("nodes", "edges"))
        nodes: dict[str, Node] = {}
        for i, item in enumerate(self.array(net["nodes"], f"{where}.nodes")):
            w = f"{where}.nodes[{i}]"
            node = self.obj(item, w, ("id", "type", "config", "position"))
            node_id = self.node_id(node["id"], f"{w}.id", nodes)
            nodes[node_id] = Node(node_id, self.layer_type(node["type"], f"{w}.type"),
                                  self.plain_object(node["config"], f"{w}.config"),
                                  self.position(node["position"], f"{w}.position"))
        return nodes, self.edges(net["edges"], nodes, f"{where}.edges")

    def node_id(self, value, where: str, taken) -> str:
        node_id = self.string(value, where, non_empty=True)
        if node_id in taken:
            self.fail(where, f"two layers have the id {node_id!r}; ids must be unique")
        return node_id

    def layer_type(self, value, where: str) -> str:
        self.string(value, where, non_empty=True)
        try:
            return layer_registry.LAYERS.canonical(value)
        except UnknownNameError as exc:
            self.fail(where, str(exc))

    def position(self, value, where: str) -> tuple[float, float]:
        if not isinstance(value, list) or len(value) != 2:
            self.fail(where, f"must be a list of two numbers [x, y], got {describe(value)}")
        x = self.number(value[0], f"{where}[0]")
        y = self.number(value[1], f"{where}[1]")
        return (float(x), float(y))

    def edges(self, value, nodes: dict[str, Node], where: str) -> list[tuple[str, str]]:
        edges: list[tuple[str, str]] = []
        seen = set()
        for i, item in enumerate(self.array(value, where)):
            w = f"{where}[{i}]"
            if not (isinstance(item, list) and len(item) == 2
                    and all(isinstance(e, str) for e in item)):
                self.fail(w, f"must be a pair of layer ids [source, target], got "
                             f"{describe(item)}")
            source, target = item
            for end, node_id in (("source", source), ("target", target)):
                if node_id not in nodes:
                    self.fail(w, f"the {end} {node_id!r} is not a layer of the network")
            if source == target:
                self.fail(w, f"connects the layer {source!r} to itself")
            if (source, target) in seen:
                self.fail(w, f"the connection {source} -> {target} appears twice")
            if nodes[target].type == "input":
                self.fail(w, f"connects into the input layer {target!r}, which cannot "
                             "receive connections")
            seen.add((source, target))
            edges.append((source, target))
        loop = _loop(list(nodes), edges)
        if loop:
            index = edges.index(loop)
            self.fail(f"{where}[{index}]", f"the connection {loop[0]} -> {loop[1]} closes a "
                                           "loop; a network cannot have loops")
        return edges

    # -- data -----------------------------------------------------------------------------
    def data_source(self, value, where: str) -> DataSource:
        data = self.obj(value, where, ("kind", "config", "preprocessing"))
        kind = self.string(data["kind"], f"{where}.kind", non_empty=True)
        if kind not in DATA_KINDS:
            self.fail(f"{where}.kind", f"unknown data source kind {kind!r}; the kinds are: "
                                       f"{', '.join(DATA_KINDS)}")
        config = self.plain_object(data["config"], f"{where}.config")
        DATA_KINDS[kind](self, config, f"{where}.config")
        preprocessing = self.plain_object(data["preprocessing"], f"{where}.preprocessing")
        self.preprocessing(preprocessing, f"{where}.preprocessing")
        return DataSource(kind, config, preprocessing)

    def builtin_config(self, config: dict, where: str) -> None:
        self.registry_config(BUILTIN_DATASETS.get, config, where)

    def csv_config(self, config: dict, where: str) -> None:
        """``{"file": <embedded name>}`` or ``{"path": <file>}`` plus ``read_csv`` options."""
        known = ("file", "path", "encoding", "delimiter", "quotechar", "header", "target",
                 "task", "types", "roles")
        for key in config:
            if key not in known:
                self.fail(subpath(where, key), f"is not a csv data option; the options are: "
                                               f"{', '.join(known)}")
        if ("file" in config) == ("path" in config):
            self.fail(where, "a csv data source names either an embedded 'file' or a 'path'")
        if "file" in config:
            name = config["file"]
            if not isinstance(name, str) or not fixed_name(name):
                self.fail(subpath(where, "file"), f"must be a file name (no folders, 1 to 255 "
                                                  f"characters), got {describe(name)}")
            self.data_files.append((name, subpath(where, "file")))
        else:
            self.string(config["path"], subpath(where, "path"), non_empty=True)
        if "encoding" in config:
            enc = self.string(config["encoding"], subpath(where, "encoding"), non_empty=True)
            try:
                codecs.lookup(enc)
            except LookupError:
                self.fail(subpath(where, "encoding"), f"unknown text encoding {enc!r}")
        for key in ("delimiter", "quotechar"):
            if key in config:
                value = config[key]
                if not isinstance(value, str) or len(value) != 1 or value in "\r\n":
                    self.fail(subpath(where, key), f"must be one character, got "
                                                   f"{describe(value)}")
        if "header" in config:
            self.boolean(config["header"], subpath(where, "header"))
        if "target" in config and config["target"] is not None:
            self.string(config["target"], subpath(where, "target"), non_empty=True)
        if "task" in config and config["task"] is not None and config["task"] not in TASKS:
            self.fail(subpath(where, "task"), f"must be one of {', '.join(TASKS)} or null, "
                                              f"got {describe(config['task'])}")
        for key, allowed in (("types", KINDS), ("roles", ROLES)):
            if key in config:
                mapping = self.plain_object(config[key], subpath(where, key))
                for column, value in mapping.items():
                    if value not in allowed:
                        self.fail(subpath(subpath(where, key), column),
                                  f"must be one of {', '.join(allowed)}, got {describe(value)}")

    def preprocessing(self, settings: dict, where: str) -> None:
        """``engine.data.preprocessing`` settings: ``{column or "*": {"scale", "missing"}}``."""
        scales = sorted({s for values in PRE_SCALES.values() for s in values})
        missing = sorted({m for values in PRE_MISSING.values() for m in values})
        for column, entry in settings.items():
            w = subpath(where, column)
            entry = self.plain_object(entry, w)
            for key, value in entry.items():
                allowed = {"scale": scales, "missing": missing}.get(key)
                if allowed is None:
                    self.fail(subpath(w, key), "is not a preprocessing setting; the settings "
                                               "are: scale, missing")
                if value not in allowed:
                    self.fail(subpath(w, key), f"must be one of {', '.join(allowed)}, got "
                                               f"{describe(value)}")

    def synthetic_config(self, config: dict, where: str) -> None:
        self.registry_config(synthetic.DATASETS.get, config, where)

    def plain_object(self, value, where: str) -> dict:
        if not isinstance(value, dict):
            self.fail(where, f"must be a JSON object, got {describe(value)}")
        return value

    def embedded_names(self, value, where: str) -> list[str]:
        names: list[str] = []
        for i, name in enumerate(self.array(value, where)):
            w = f"{where}[{i}]"
            if not isinstance(name, str) or not fixed_name(name):
                self.fail(w, f"must be a file name (no folders, 1 to 255 characters), got "
                             f"{describe(name)}")
            if name in names:
                self.fail(w, f"the file {name!r} is listed twice")
            names.append(name)
        return names

    # -- training -------------------------------------------------------------------------
    def training(self, value, where: str) -> TrainingSettings:
        names = tuple(TrainingSettings.field_names())
        settings = self.obj(value, where, names)
        for name in names:
            TRAINING_CHECKS[name](self, settings[name], f"{where}.{name}")
        if settings["validation_split"] + settings["test_split"] >= 1:
            self.fail(f"{where}.test_split", "validation_split and test_split together must "
                                             "leave samples to train on (their sum < 1)")
        return TrainingSettings(**settings)

    def early_stopping(self, value, where: str) -> None:
        if value is None:
            return
        options = self.obj(value, where, (), ("patience", "min_delta", "monitor",
                                              "restore_best"))
        if "patience" in options:
            self.whole(options["patience"], f"{where}.patience", 0)
        if "min_delta" in options:
            self.number(options["min_delta"], f"{where}.min_delta", 0)
        if "monitor" in options and options["monitor"] is not None:
            self.string(options["monitor"], f"{where}.monitor", non_empty=True)
        if "restore_best" in options:
            self.boolean(options["restore_best"], f"{where}.restore_best")
        try:
            engine_training.EarlyStopping(**options)
        except Exception as exc:
            self.fail(where, engine_reason(exc))

    def optional_positive(self, value, where: str) -> None:
        if value is not None:
            self.number(value, where, 0, low_open=True)

    def metric_list(self, value, where: str) -> None:
        for i, item in enumerate(self.array(value, where)):
            self.registry_config(metrics.get, item, f"{where}[{i}]")

    def dtype(self, value, where: str) -> None:
        if value not in ("float32", "float64"):
            self.fail(where, f"must be \"float32\" or \"float64\", got {describe(value)}")

    # -- runs -----------------------------------------------------------------------------
    def runs(self, value, where: str) -> list[Run]:
        runs: list[Run] = []
        for i, item in enumerate(self.array(value, where)):
            w = f"{where}[{i}]"
            r = self.obj(item, w, ("id", "name", "created", "settings", "status", "history",
                                   "final_metrics", "best_epoch", "has_weights",
                                   "has_best_weights", "preprocessor"), ("targets",))
            run_id = self.string(r["id"], f"{w}.id")
            if not RUN_ID.fullmatch(run_id):
                self.fail(f"{w}.id", f"a run id is 1 to 64 letters, digits, '_' or '-', got "
                                     f"{describe(run_id)}")
            if run_id in self.layouts:
                self.fail(f"{w}.id", f"two runs have the id {run_id!r}; ids must be unique")
            self.string(r["name"], f"{w}.name")
            self.string(r["created"], f"{w}.created")
            if r["status"] not in RUN_STATUSES:
                self.fail(f"{w}.status", f"must be one of {', '.join(RUN_STATUSES)}, got "
                                         f"{describe(r['status'])}")
            self.history(r["history"], f"{w}.history")
            self.plain_object(r["final_metrics"], f"{w}.final_metrics")
            if r["best_epoch"] is not None:
                self.whole(r["best_epoch"], f"{w}.best_epoch", 0)
            last = self.boolean(r["has_weights"], f"{w}.has_weights")
            best = self.boolean(r["has_best_weights"], f"{w}.has_best_weights")
            self.layouts[run_id] = self.run_settings(r["settings"], f"{w}.settings")
            self.has_weights[run_id] = (last, best)
            if r["preprocessor"] is not None:
                self.fitted_preprocessor(r["preprocessor"], f"{w}.preprocessor",
                                         r["settings"]["n_features"])
            targets = r.get("targets")
            if targets is not None:
                self.run_targets(targets, f"{w}.targets")
            runs.append(Run(run_id, r["name"], r["created"], r["settings"], r["status"],
                            r["history"], r["final_metrics"], r["best_epoch"],
                            preprocessor=r["preprocessor"], targets=targets))
        return runs

    def run_targets(self, value, where: str) -> None:
        """What a run's outputs mean: ``{"task", "names", "classes"}`` (optional key)."""
        targets = self.obj(value, where, ("task", "names", "classes"))
        if targets["task"] not in ("classification", "regression"):
            self.fail(f"{where}.task", f"must be \"classification\" or \"regression\", "
                                       f"got {describe(targets['task'])}")
        names = self.array(targets["names"], f"{where}.names")
        if not names:
            self.fail(f"{where}.names", "must name at least one target column")
        for k, name in enumerate(names):
            self.string(name, f"{where}.names[{k}]", non_empty=True)
        classes = targets["classes"]
        if (classes is None) != (targets["task"] == "regression"):
            self.fail(f"{where}.classes", "must list the class names exactly when the task is "
                                          f"classification, got {describe(classes)}")
        if classes is not None:
            for k, name in enumerate(self.array(classes, f"{where}.classes")):
                self.string(name, f"{where}.classes[{k}]")
            if len(classes) < 2 or len(set(classes)) != len(classes):
                self.fail(f"{where}.classes", "must list at least two different class names")

    def fitted_preprocessor(self, value, where: str, n_features: int) -> None:
        """A fitted ``engine.data.preprocessing.Preprocessor`` config whose encoded columns
        are the run's network inputs: ``{"version": 1, "columns": [...]}``."""
        config = self.obj(value, where, ("version", "columns"))
        if config["version"] != PRE_VERSION:
            self.fail(f"{where}.version", f"must be {PRE_VERSION}, got "
                                          f"{describe(config['version'])}")
        names: set[str] = set()
        width = 0
        for i, item in enumerate(self.array(config["columns"], f"{where}.columns")):
            w = f"{where}.columns[{i}]"
            kind = self.plain_object(item, w).get("kind")
            if kind not in PRE_SCALES:
                self.fail(f"{w}.kind", f"must be one of {', '.join(PRE_SCALES)}, got "
                                       f"{describe(kind)}")
            extra = ("center", "width") if kind == "numeric" else ("categories",)
            column = self.obj(item, w, ("name", "kind", "scale", "missing", "fill") + extra)
            name = self.string(column["name"], f"{w}.name", non_empty=True)
            if name in names:
                self.fail(f"{w}.name", f"two columns are called {name!r}")
            names.add(name)
            for key, allowed in (("scale", PRE_SCALES[kind]), ("missing", PRE_MISSING[kind])):
                if column[key] not in allowed:
                    self.fail(f"{w}.{key}", f"must be one of {', '.join(allowed)} for a {kind} "
                                            f"column, got {describe(column[key])}")
            fill = column["fill"]
            if (fill is None) != (column["missing"] == "drop"):
                self.fail(f"{w}.fill", "must be null exactly when missing is \"drop\", got "
                                       f"{describe(fill)}")
            if kind == "numeric":
                if fill is not None:
                    self.number(fill, f"{w}.fill")
                self.number(column["center"], f"{w}.center")
                self.number(column["width"], f"{w}.width", 0, low_open=True)
                width += 1
                continue
            categories = self.array(column["categories"], f"{w}.categories")
            for k, category in enumerate(categories):
                self.string(category, f"{w}.categories[{k}]")
            if len(set(categories)) != len(categories):
                self.fail(f"{w}.categories", "lists a category twice")
            if kind == "boolean" and len(categories) != 2:
                self.fail(f"{w}.categories", f"a boolean column has two categories (false, "
                                             f"true), got {len(categories)}")
            if fill is not None and not (is_int(fill) and 0 <= fill < len(categories)):
                self.fail(f"{w}.fill", f"must be the index of a category (0 to "
                                       f"{len(categories) - 1}), got {describe(fill)}")
            width += 1 if kind == "boolean" else len(categories)
        if width != n_features:
            self.fail(f"{where}.columns", f"encode {width} network inputs, but the run's "
                                          f"network has n_features {n_features}")

    def run_settings(self, value, where: str) -> dict[str, tuple]:
        """Check what rebuilds the run's network; returns its weight layout."""
        s = self.obj(value, where, ("spec", "n_features", "n_outputs", "training", "data"))
        spec = self.obj(s["spec"], f"{where}.spec", ("nodes", "edges"))
        ids: set[str] = set()
        for i, item in enumerate(self.array(spec["nodes"], f"{where}.spec.nodes")):
            w = f"{where}.spec.nodes[{i}]"
            node = self.obj(item, w, ("id", "type", "config"))
            ids.add(self.node_id(node["id"], f"{w}.id", ids))
            self.layer_type(node["type"], f"{w}.type")
            self.plain_object(node["config"], f"{w}.config")
        for i, item in enumerate(self.array(spec["edges"], f"{where}.spec.edges")):
            if not (isinstance(item, list) and len(item) == 2
                    and all(isinstance(e, str) for e in item)):
                self.fail(f"{where}.spec.edges[{i}]", f"must be a pair of layer ids [source, "
                                                      f"target], got {describe(item)}")
        n_features = self.whole(s["n_features"], f"{where}.n_features", 1)
        n_outputs = self.whole(s["n_outputs"], f"{where}.n_outputs", 1)
        self.training(s["training"], f"{where}.training")
        self.data_source(s["data"], f"{where}.data")
        try:
            return weight_layout(spec, n_features, n_outputs)
        except Exception as exc:  # SpecError, or the engine failing on what it was given
            self.fail(f"{where}.spec", f"the network of this run cannot be rebuilt: "
                                       f"{engine_reason(exc)}")

    def history(self, value, where: str) -> None:
        """Per-epoch values: each entry is a list of numbers, an object of such lists, or a
        list of objects of numbers (``engine.training.History.to_dict``)."""
        history = self.plain_object(value, where)
        for key, entry in history.items():
            w = subpath(where, key)
            if isinstance(entry, dict):
                for name, series in entry.items():
                    self.numbers(series, subpath(w, name))
            elif isinstance(entry, list) and entry and isinstance(entry[0], dict):
                for i, item in enumerate(entry):
                    if not isinstance(item, dict):
                        self.fail(f"{w}[{i}]", f"must be an object of numbers, got "
                                               f"{describe(item)}")
                    for name, number in item.items():
                        if not is_number(number):
                            self.fail(subpath(f"{w}[{i}]", name),
                                      f"must be a number, got {describe(number)}")
            else:
                self.numbers(entry, w)

    def numbers(self, value, where: str) -> None:
        for i, number in enumerate(self.array(value, where)):
            if not is_number(number):
                self.fail(f"{where}[{i}]", f"must be a number, got {describe(number)}")


def _registry_check(get: Callable) -> Callable:
    return lambda self, value, where: self.registry_config(get, value, where)


TRAINING_CHECKS: dict[str, Callable] = {
    "loss": _registry_check(losses.get),
    "optimizer": _registry_check(optimizers.get),
    "schedule": _registry_check(schedules.get),
    "epochs": lambda self, v, w: self.whole(v, w, 1),
    "batch_size": lambda self, v, w: self.whole(v, w, 1),
    "validation_split": lambda self, v, w: self.number(v, w, 0, 1, high_open=True),
    "test_split": lambda self, v, w: self.number(v, w, 0, 1, high_open=True),
    "seed": lambda self, v, w: self.whole(v, w, 0),
    "early_stopping": DocumentReader.early_stopping,
    "clip_norm": DocumentReader.optional_positive,
    "clip_value": DocumentReader.optional_positive,
    "metrics": DocumentReader.metric_list,
    "dtype": DocumentReader.dtype,
}

# Data-source kinds and the check of their config; a new kind of source registers here.
DATA_KINDS: dict[str, Callable] = {"synthetic": DocumentReader.synthetic_config,
                                   "builtin": DocumentReader.builtin_config,
                                   "csv": DocumentReader.csv_config}


def _loop(ids: list[str], edges: list[tuple[str, str]]) -> tuple[str, str] | None:
    """An edge on a loop (None if the graph is acyclic): Kahn's algorithm, O(V + E)."""
    indegree = dict.fromkeys(ids, 0)
    outgoing: dict[str, list[str]] = {i: [] for i in ids}
    for source, target in edges:
        indegree[target] += 1
        outgoing[source].append(target)
    ready = [i for i in ids if indegree[i] == 0]
    while ready:
        for target in outgoing[ready.pop()]:
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
    stuck = {i for i, d in indegree.items() if d}
    if not stuck:
        return None
    # Every stuck layer has a stuck predecessor: walking back from one must come round.
    incoming: dict[str, list[str]] = {}
    for source, target in edges:
        if source in stuck and target in stuck:
            incoming.setdefault(target, []).append(source)
    walk, node = [], next(iter(stuck))
    while node not in walk:
        walk.append(node)
        node = incoming[node][0]
    cycle = walk[walk.index(node):]  # each entry's predecessor is the next one
    on_loop = {(cycle[(k + 1) % len(cycle)], cycle[k]) for k in range(len(cycle))}
    # name the connection listed last: most often the one that was added to close it
    return [e for e in edges if e in on_loop][-1]


def weight_layout(spec: dict, n_features: int, n_outputs: int) -> dict[str, tuple[int, ...]]:
    """``{name: shape}`` of every parameter and buffer, in the engine's documented order --
    what ``Network.set_weights`` demands."""
    # built without drawing its weights: initializing 10 million parameters costs far more
    # than reading them, and this network's zeroed parameters are never looked at
    net = engine_network.build(spec, n_features, n_outputs, initialize=False)
    layout = {p.name: tuple(p.shape) for p in net.param_info}
    layout.update({name: tuple(buf.shape) for name, buf in net.buffers.items()})
    return layout


def engine_reason(exc: Exception) -> str:
    """The engine's message; its type too when it is not one of the engine's own refusals."""
    if isinstance(exc, (ValueError, TypeError)) and str(exc):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"

