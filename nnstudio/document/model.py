"""The project document: the one source of truth, free of Qt.

A :class:`Project` holds the network graph (nodes with ids, layer types, configs and canvas
positions; edges), the data source, the training settings and the runs.  Views mirror it by
subscribing to :class:`Change` notifications; edits reach it through the undo commands of
``nnstudio.editor``, which call the methods below.  Every method that changes the document
notifies the subscribers once, after the change.

The command line and the tests use this module without a display.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field, fields
from typing import Any, Callable

import numpy as np

from engine import layers as layer_registry


class DocumentError(ValueError):
    """An edit the document refuses (unknown id, duplicate edge, a loop, ...)."""


@dataclass
class Node:
    """One layer on the canvas: ``type`` is a layer registry name, ``config`` its parameters."""

    id: str
    type: str
    config: dict = field(default_factory=dict)
    position: tuple[float, float] = (0.0, 0.0)

    def to_dict(self) -> dict:
        return {"id": self.id, "type": self.type, "config": copy.deepcopy(self.config),
                "position": [float(self.position[0]), float(self.position[1])]}


@dataclass
class DataSource:
    """Where the data comes from.

    ``kind`` "synthetic": ``config`` is an ``engine.data.synthetic`` config (name, n_samples,
    noise, seed).  Other kinds (built-in tables, CSV files) carry their own config; their
    bytes, when embedded, travel in the project file.
    """

    kind: str = "synthetic"
    config: dict = field(default_factory=lambda: {"name": "spirals", "n_samples": 600,
                                                  "noise": 0.2, "seed": 0})
    preprocessing: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "config": copy.deepcopy(self.config),
                "preprocessing": copy.deepcopy(self.preprocessing)}


@dataclass
class TrainingSettings:
    """Everything ``engine.training.fit`` needs besides the network and the data.

    ``loss``, ``optimizer`` and ``schedule`` are registry configs (``{"name": ..., ...}``).
    """

    loss: dict = field(default_factory=lambda: {"name": "sparse_categorical_crossentropy"})
    optimizer: dict = field(default_factory=lambda: {"name": "adam", "lr": 0.01})
    schedule: dict = field(default_factory=lambda: {"name": "constant"})
    epochs: int = 50
    batch_size: int = 32
    validation_split: float = 0.2
    test_split: float = 0.0
    seed: int = 0
    early_stopping: dict | None = None
    clip_norm: float | None = None
    clip_value: float | None = None
    metrics: list = field(default_factory=lambda: ["accuracy"])
    dtype: str = "float32"

    def to_dict(self) -> dict:
        return {f.name: copy.deepcopy(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


@dataclass(eq=False)
class Run:
    """One training run: its settings and seed, per-epoch history, final metrics, status,
    the weights of its last and best epochs (``{name: array}``, engine layout) and the
    preprocessing fitted on its training rows (``engine.data.preprocessing.Preprocessor``
    config; None for data that is not encoded, e.g. synthetic sets, and for runs saved
    before format 3), which prediction on a new raw CSV and the exports apply.  ``targets``
    says what the outputs mean (``{"task", "names": [target column, ...], "classes": [class
    name, ...] or None}``) so that predictions can be named without the training data; None
    for runs saved before runs stored it (optional in the file)."""

    id: str
    name: str
    created: str
    settings: dict
    status: str = "completed"  # completed | early_stopping | stopped | diverged
    history: dict = field(default_factory=dict)
    final_metrics: dict = field(default_factory=dict)
    best_epoch: int | None = None
    weights: dict[str, np.ndarray] | None = None
    best_weights: dict[str, np.ndarray] | None = None
    preprocessor: dict | None = None
    targets: dict | None = None

    def to_dict(self) -> dict:
        """JSON-able part (weights are stored beside it, as arrays)."""
        out = {"id": self.id, "name": self.name, "created": self.created,
               "settings": copy.deepcopy(self.settings), "status": self.status,
               "history": copy.deepcopy(self.history),
               "final_metrics": copy.deepcopy(self.final_metrics),
               "best_epoch": self.best_epoch,
               "has_weights": self.weights is not None,
               "has_best_weights": self.best_weights is not None,
               "preprocessor": copy.deepcopy(self.preprocessor)}
        if self.targets is not None:  # optional: files of format 3 written before it lack it
            out["targets"] = copy.deepcopy(self.targets)
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Run) or self.to_dict() != other.to_dict():
            return False
        return _same_weights(self.weights, other.weights) and _same_weights(
            self.best_weights, other.best_weights)


def _same_weights(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return list(a) == list(b) and all(
        a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]) for k in a)


@dataclass(frozen=True)
class Change:
    """What changed: ``kind`` is one of the ``Project.KINDS``; ``ids`` the nodes, edges
    (as ``(source, target)``), runs or setting names concerned."""

    kind: str
    ids: tuple = ()


class Project:
    """The document.  See the module docstring."""

    KINDS = ("node_added", "node_removed", "node_moved", "node_config", "edge_added",
             "edge_removed", "training", "data", "runs", "reset")

    def __init__(self):
        self.nodes: dict[str, Node] = {}
        self.edges: list[tuple[str, str]] = []
        self.data = DataSource()
        self.training = TrainingSettings()
        self.runs: list[Run] = []
        self.embedded: dict[str, bytes] = {}  # file name -> bytes carried in the project
        self._listeners: list[Callable[[Change], None]] = []

    # -- notifications --------------------------------------------------------------------
    def subscribe(self, listener: Callable[[Change], None]) -> Callable[[], None]:
        """Call ``listener(change)`` after every change; returns a function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _notify(self, kind: str, ids=()) -> None:
        change = Change(kind, tuple(ids))
        for listener in list(self._listeners):
            listener(change)

    # -- network edits --------------------------------------------------------------------
    def new_node_id(self, layer_type: str) -> str:
        """A fresh id such as ``dense3`` (the smallest number not taken)."""
        base = layer_type.replace("_", "")
        i = 1
        while f"{base}{i}" in self.nodes:
            i += 1
        return f"{base}{i}"

    def add_node(self, node: Node, index: int | None = None) -> None:
        """Insert ``node`` (at ``index`` in the node order, default last)."""
        if not isinstance(node.id, str) or not node.id:
            raise DocumentError("a layer needs a non-empty id")
        if node.id in self.nodes:
            raise DocumentError(f"there is already a layer with the id {node.id!r}")
        if node.type not in layer_registry.LAYERS:
            raise DocumentError(f"unknown layer type {node.type!r}; the valid types are: "
                                f"{', '.join(layer_registry.names())}")
        node = Node(node.id, layer_registry.LAYERS.canonical(node.type),
                    copy.deepcopy(node.config), _position(node.position))
        items = list(self.nodes.items())
        items.insert(len(items) if index is None else index, (node.id, node))
        self.nodes = dict(items)
        self._notify("node_added", [node.id])

    def remove_node(self, node_id: str) -> tuple[Node, int, list[tuple[int, tuple[str, str]]]]:
        """Remove a node and its edges; returns what ``restore_node`` needs to undo it:
        the node, its index, and its edges with their indices."""
        node = self._node(node_id)
        index = list(self.nodes).index(node_id)
        removed = [(i, e) for i, e in enumerate(self.edges) if node_id in e]
        self.edges = [e for e in self.edges if node_id not in e]
        del self.nodes[node_id]
        for _, edge in removed:
            self._notify("edge_removed", [edge])
        self._notify("node_removed", [node_id])
        return node, index, removed

    def restore_node(self, node: Node, index: int, edges: list[tuple[int, tuple[str, str]]]):
        """Undo ``remove_node``: the node back at its index, its edges at theirs."""
        self.add_node(node, index)
        for i, edge in sorted(edges):
            self.edges.insert(i, edge)
            self._notify("edge_added", [edge])

    def move_nodes(self, positions: dict[str, tuple[float, float]]) -> None:
        """Set the canvas positions of several nodes at once (one notification)."""
        for node_id in positions:
            self._node(node_id)
        for node_id, pos in positions.items():
            self.nodes[node_id].position = _position(pos)
        self._notify("node_moved", list(positions))

    def set_node_config(self, node_id: str, config: dict) -> dict:
        """Replace a node's config; returns the old one."""
        node = self._node(node_id)
        old, node.config = node.config, copy.deepcopy(config)
        self._notify("node_config", [node_id])
        return old

    def connect(self, source: str, target: str, index: int | None = None) -> None:
        """Add the edge ``source -> target``; refuses unknown ids, duplicates and loops."""
        reason = self.connection_problem(source, target)
        if reason:
            raise DocumentError(reason)
        edge = (source, target)
        self.edges.insert(len(self.edges) if index is None else index, edge)
        self._notify("edge_added", [edge])

    def disconnect(self, source: str, target: str) -> int:
        """Remove the edge; returns its index (for undo)."""
        edge = (source, target)
        if edge not in self.edges:
            raise DocumentError(f"there is no connection {source} -> {target}")
        index = self.edges.index(edge)
        del self.edges[index]
        self._notify("edge_removed", [edge])
        return index

    def connection_problem(self, source: str, target: str) -> str | None:
        """Why ``source -> target`` cannot be added (None if it can)."""
        for node_id in (source, target):
            if node_id not in self.nodes:
                return f"there is no layer {node_id!r}"
        if source == target:
            return "a layer cannot be connected to itself"
        if (source, target) in self.edges:
            return f"{source} is already connected to {target}"
        if self.nodes[target].type == "input":
            return "the input layer cannot receive connections"
        if self._reaches(target, source):
            return (f"connecting {source} to {target} would make a loop: {target} already "
                    f"feeds {source}")
        return None

    def _reaches(self, start: str, goal: str) -> bool:
        outgoing: dict[str, list[str]] = {}
        for s, t in self.edges:
            outgoing.setdefault(s, []).append(t)
        stack, seen = [start], set()
        while stack:
            node = stack.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                stack.extend(outgoing.get(node, []))
        return False

    def _node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise DocumentError(f"there is no layer {node_id!r}") from None

    # -- settings, data, runs -------------------------------------------------------------
    def set_training(self, **changes: Any) -> dict:
        """Change training settings by name; returns the old values (for undo)."""
        unknown = [k for k in changes if k not in TrainingSettings.field_names()]
        if unknown:
            raise DocumentError(f"unknown training setting(s) {', '.join(unknown)}; the "
                                f"settings are: {', '.join(TrainingSettings.field_names())}")
        old = {k: copy.deepcopy(getattr(self.training, k)) for k in changes}
        for key, value in changes.items():
            setattr(self.training, key, copy.deepcopy(value))
        self._notify("training", list(changes))
        return old

    def set_data(self, data: DataSource, embedded: dict[str, bytes] | None = None):
        """Replace the data source (and its embedded files); returns the old pair."""
        old = (self.data, self.embedded)
        self.data = copy.deepcopy(data)
        self.embedded = dict(embedded or {})
        self._notify("data")
        return old

    def add_run(self, run: Run, index: int | None = None) -> None:
        if any(r.id == run.id for r in self.runs):
            raise DocumentError(f"there is already a run with the id {run.id!r}")
        self.runs.insert(len(self.runs) if index is None else index, run)
        self._notify("runs", [run.id])

    def remove_run(self, run_id: str) -> tuple[Run, int]:
        run = self.run(run_id)
        index = self.runs.index(run)
        del self.runs[index]
        self._notify("runs", [run_id])
        return run, index

    def rename_run(self, run_id: str, name: str) -> str:
        run = self.run(run_id)
        old, run.name = run.name, str(name)
        self._notify("runs", [run_id])
        return old

    def run(self, run_id: str) -> Run:
        for run in self.runs:
            if run.id == run_id:
                return run
        raise DocumentError(f"there is no run {run_id!r}")

    def new_run_id(self) -> str:
        i = len(self.runs) + 1
        while any(r.id == f"run{i}" for r in self.runs):
            i += 1
        return f"run{i}"

    # -- whole document -------------------------------------------------------------------
    def spec(self) -> dict:
        """The network as an engine spec (``engine.spec``)."""
        return {"nodes": [{"id": n.id, "type": n.type, "config": copy.deepcopy(n.config)}
                          for n in self.nodes.values()],
                "edges": [list(e) for e in self.edges]}

    def to_dict(self) -> dict:
        """The JSON-able document (run weights and embedded files are kept beside it)."""
        return {"network": {"nodes": [n.to_dict() for n in self.nodes.values()],
                            "edges": [list(e) for e in self.edges]},
                "data": self.data.to_dict(),
                "embedded": sorted(self.embedded),
                "training": self.training.to_dict(),
                "runs": [r.to_dict() for r in self.runs]}

    def replace_with(self, other: "Project") -> None:
        """Take over ``other``'s content (keeping the subscribers): one "reset" notification."""
        self.nodes, self.edges = other.nodes, other.edges
        self.data, self.training = other.data, other.training
        self.runs, self.embedded = other.runs, other.embedded
        self._notify("reset")

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Project) and self.to_dict() == other.to_dict()
                and self.embedded == other.embedded
                and all(a == b for a, b in zip(self.runs, other.runs)))

    __hash__ = None  # mutable


def _position(pos) -> tuple[float, float]:
    try:
        x, y = (float(v) for v in pos)
    except (TypeError, ValueError):
        raise DocumentError(f"a position is two numbers, got {pos!r}") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise DocumentError(f"a position must be finite, got {pos!r}")
    return (x, y)
