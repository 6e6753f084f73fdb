"""Network specs and their check: one typed problem per thing a person can fix.

A *spec* is the plain, JSON-able dict the project file stores::

    {"nodes": [{"id": "in",  "type": "input", "config": {}},
               {"id": "h1",  "type": "dense", "config": {"units": 8, "activation": "tanh"}},
               {"id": "out", "type": "dense", "config": {"units": "auto",
                                                          "activation": "sigmoid"}}],
     "edges": [["in", "h1"], ["h1", "out"]]}

Node ``type`` is a layer registry name (``engine.layers.names()``), ``config`` the layer's
parameters; other keys of a node (a canvas position, say) are ignored.  Edges are
``[source_id, target_id]``; the inputs of a merge layer (``add``, ``concatenate``) are ordered
as its incoming edges are listed.  The input layer's ``units`` may be left out (it then comes
from the data's features), and the output layer's ``units`` may be ``"auto"`` (one unit per
class or target column).

``check(spec, ...)`` returns every problem found, as instances of the classes below (errors
derive from :class:`SpecError`, warnings from :class:`SpecWarning`); ``build`` raises the first
error.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from . import layers as layer_registry
from . import losses as loss_registry
from .registry import ConfigError, UnknownNameError


class SpecError(ValueError):
    """A problem that prevents building or training the network.

    Attributes
    ----------
    nodes : tuple of str
        Ids of the nodes the problem concerns (to mark them on the canvas).
    """

    severity = "error"

    def __init__(self, message: str, nodes=()):
        super().__init__(message)
        self.message = message
        self.nodes = tuple(nodes)


class SpecWarning(UserWarning):
    """Something that trains, but probably not as meant (e.g. MSE on class labels)."""

    severity = "warning"

    def __init__(self, message: str, nodes=()):
        super().__init__(message)
        self.message = message
        self.nodes = tuple(nodes)


class SpecFormatError(SpecError):
    """The spec is not a dict of ``nodes`` and ``edges`` of the documented shape."""


class DuplicateIdError(SpecError):
    """Two nodes share an id."""


class UnknownLayerError(SpecError):
    """A node's type is not a registered layer."""


class InvalidConfigError(SpecError):
    """A node's config has an unknown parameter or a value outside what it allows."""


class UnknownNodeError(SpecError):
    """An edge names a node that does not exist."""


class DuplicateEdgeError(SpecError):
    """The same connection appears twice (or a node connects to itself)."""


class NoInputError(SpecError):
    """The network has no input layer."""


class MultipleInputsError(SpecError):
    """More than one input layer (the data is one table of features)."""


class NotConnectedError(SpecError):
    """A layer that no path from the input reaches, or one that leads nowhere."""


class ArityError(SpecError):
    """A layer with too few or too many incoming connections (e.g. ``add`` with one)."""


class CycleError(SpecError):
    """Connections that form a loop; a feedforward network must be acyclic."""


class NoOutputError(SpecError):
    """No layer is left to be the output (only an input, or everything in a loop)."""


class MultipleOutputsError(SpecError):
    """More than one layer has no outgoing connection, so the output is ambiguous."""


class ShapeMismatchError(SpecError):
    """Inputs whose sizes a layer cannot join (``add`` of 8 and 4 units), or sizes unknown."""


class LossMismatchError(SpecError):
    """Loss, output activation, output size and labels do not fit together."""


class LossWarning(SpecWarning):
    """Loss and output fit, but not as well as they could (trains anyway)."""


@dataclass
class Graph:
    """A checked spec: layers in topological order and their wiring (for :class:`Network`)."""

    order: list[str]
    layers: dict[str, layer_registry.Layer]
    inputs: dict[str, list[str]]
    units: dict[str, int | None]
    input_id: str
    output_id: str
    problems: list = field(default_factory=list)


def check(spec, n_features: int | None = None, n_outputs: int | None = None,
          loss=None, targets=None) -> list:
    """All problems of ``spec``: errors (``SpecError``) and warnings (``SpecWarning``).

    Parameters
    ----------
    spec : dict
        The network spec (module docstring).
    n_features : int, optional
        Input features of the data; fills an input layer without ``units``.
    n_outputs : int, optional
        Output units the data needs; fills an output layer with ``units="auto"``.
    loss : str or dict or Loss, optional
        Checked against the output activation and size.
    targets : array or TargetInfo, optional
        Labels (or their description) to check against the loss.
    """
    return analyse(spec, n_features, n_outputs, loss, targets).problems


def analyse(spec, n_features=None, n_outputs=None, loss=None, targets=None) -> Graph:
    """Check ``spec`` and return its :class:`Graph` with ``problems`` filled in.

    The graph is complete (every layer built) only when there is no error.
    """
    problems: list = []
    graph = Graph([], {}, {}, {}, "", "", problems)
    nodes, edges = _read_format(spec, problems)
    if nodes is None:
        return graph

    ids: list[str] = []
    for node in nodes:
        nid = node["id"]
        if nid in graph.layers or nid in ids:
            problems.append(DuplicateIdError(
                f"two layers have the id {nid!r}; rename one of them", [nid]))
            continue
        ids.append(nid)
        layer = _make_layer(node, problems)
        if layer is not None:
            graph.layers[nid] = layer
    known = set(ids)

    graph.inputs = {nid: [] for nid in ids}
    outgoing: dict[str, list[str]] = {nid: [] for nid in ids}
    seen_edges = set()
    for src, dst in edges:
        missing = [n for n in (src, dst) if n not in known]
        if missing:
            problems.append(UnknownNodeError(
                f"the connection {src} -> {dst} names a layer that does not exist: "
                f"{', '.join(map(repr, missing))}; remove the connection or add the layer",
                [n for n in (src, dst) if n in known]))
            continue
        if src == dst or (src, dst) in seen_edges:
            what = "connects a layer to itself" if src == dst else "appears twice"
            problems.append(DuplicateEdgeError(
                f"the connection {src} -> {dst} {what}; remove it", [src, dst]))
            continue
        seen_edges.add((src, dst))
        graph.inputs[dst].append(src)
        outgoing[src].append(dst)

    inputs_found = [n for n in ids if isinstance(graph.layers.get(n), layer_registry.Input)]
    if not inputs_found:
        problems.append(NoInputError("the network has no input layer; add one"))
    elif len(inputs_found) > 1:
        problems.append(MultipleInputsError(
            f"the network has {len(inputs_found)} input layers ({', '.join(inputs_found)}); "
            "it takes one table of features, so keep one", inputs_found))
    else:
        graph.input_id = inputs_found[0]

    order = _topological_order(ids, graph.inputs, outgoing, problems)
    if order is None:
        return graph
    graph.order = order
    _check_arity_and_reach(graph, outgoing, problems)
    sinks = [n for n in ids if not outgoing[n]]
    if graph.input_id and sinks == [graph.input_id] or not sinks:
        problems.append(NoOutputError(
            "the network has no output layer; connect a dense layer after the input"))
    elif len(sinks) > 1:
        problems.append(MultipleOutputsError(
            f"{len(sinks)} layers ({', '.join(sinks)}) have no outgoing connection; exactly "
            "one, the output layer, may end the network: connect the others onward or "
            "delete them", sinks))
    else:
        graph.output_id = sinks[0]

    if not any(isinstance(p, SpecError) for p in problems):
        _infer_units(graph, n_features, n_outputs, problems)
    if loss is not None and not any(isinstance(p, SpecError) for p in problems):
        _check_loss(graph, loss, targets, problems)
    return graph


def _read_format(spec, problems):
    if not isinstance(spec, dict):
        problems.append(SpecFormatError(f"a network spec must be a dict, got {type(spec).__name__}"))
        return None, None
    nodes, edges = spec.get("nodes"), spec.get("edges", [])
    if not isinstance(nodes, list) or not isinstance(edges, list):
        problems.append(SpecFormatError("a network spec needs a list 'nodes' and a list 'edges'"))
        return None, None
    good_nodes = []
    for i, node in enumerate(nodes):
        if (not isinstance(node, dict) or not isinstance(node.get("id"), str) or not node["id"]
                or not isinstance(node.get("type"), str)
                or not isinstance(node.get("config", {}), dict)):
            problems.append(SpecFormatError(
                f"node #{i} must be a dict with a non-empty string 'id', a string 'type' and "
                f"a dict 'config', got {node!r}"))
            continue
        good_nodes.append(node)
    good_edges = []
    for i, edge in enumerate(edges):
        if (not isinstance(edge, (list, tuple)) or len(edge) != 2
                or not all(isinstance(e, str) for e in edge)):
            problems.append(SpecFormatError(
                f"edge #{i} must be a pair [source_id, target_id], got {edge!r}"))
            continue
        good_edges.append((edge[0], edge[1]))
    return good_nodes, good_edges


def _make_layer(node, problems):
    nid = node["id"]
    try:
        return layer_registry.get({"name": node["type"], **node.get("config", {})})
    except UnknownNameError as exc:
        if exc.kind == layer_registry.LAYERS.kind:
            problems.append(UnknownLayerError(f"layer {nid!r}: {exc}", [nid]))
        else:  # a known layer type whose config names an unknown activation/initializer
            problems.append(InvalidConfigError(f"layer {nid!r} ({node['type']}): {exc}", [nid]))
    except (ConfigError, ValueError, TypeError) as exc:
        problems.append(InvalidConfigError(f"layer {nid!r} ({node['type']}): {exc}", [nid]))
    return None


def _topological_order(ids, inputs, outgoing, problems):
    """Kahn's algorithm; ties keep the spec's node order, so the order is stable."""
    indegree = {n: len(inputs[n]) for n in ids}
    position = {n: i for i, n in enumerate(ids)}
    ready = [(position[n], n) for n in ids if indegree[n] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        _, nid = heapq.heappop(ready)
        order.append(nid)
        for nxt in outgoing[nid]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                heapq.heappush(ready, (position[nxt], nxt))
    if len(order) < len(ids):
        # Kahn's algorithm leaves the loops and everything downstream of them; peel off the
        # leftover layers that lead to no other leftover layer, so that only loops remain.
        left = {n for n in ids if indegree[n] > 0}
        outdeg = {n: sum(m in left for m in outgoing[n]) for n in left}
        stack = [n for n in left if outdeg[n] == 0]
        while stack:
            nid = stack.pop()
            left.discard(nid)
            for src in inputs[nid]:
                if src in left:
                    outdeg[src] -= 1
                    if outdeg[src] == 0:
                        stack.append(src)
        looped = [n for n in ids if n in left]
        problems.append(CycleError(
            f"the connections form a loop through {', '.join(looped)}; a feedforward "
            "network cannot feed a layer's output back into itself: remove one of these "
            "connections", looped))
        return None
    return order


def _check_arity_and_reach(graph, outgoing, problems):
    reached = set()
    if graph.input_id:
        stack = [graph.input_id]
        while stack:
            nid = stack.pop()
            if nid not in reached:
                reached.add(nid)
                stack.extend(outgoing[nid])
    for nid in graph.order:
        layer = graph.layers.get(nid)
        if layer is None:
            continue
        n_in = len(graph.inputs[nid])
        low, high = layer.arity
        if n_in == 0 and low > 0:
            problems.append(NotConnectedError(
                f"layer {nid!r} ({layer.name}) has no incoming connection; connect it to "
                "the layer before it", [nid]))
        elif n_in < low or (high is not None and n_in > high):
            want = (f"exactly {low}" if low == high else
                    f"at least {low}" if high is None else f"{low} to {high}")
            if high == 0:
                problems.append(ArityError(
                    f"the input layer {nid!r} cannot receive connections", [nid]))
            else:
                problems.append(ArityError(
                    f"layer {nid!r} ({layer.name}) takes {want} incoming connection(s), "
                    f"it has {n_in}", [nid]))
        elif graph.input_id and nid not in reached:
            problems.append(NotConnectedError(
                f"layer {nid!r} is not reached from the input layer; connect it to a layer "
                "the input feeds, or delete it", [nid]))


def _infer_units(graph, n_features, n_outputs, problems):
    for nid in graph.order:
        layer = graph.layers[nid]
        ins = [graph.units[s] for s in graph.inputs[nid]]
        if isinstance(layer, layer_registry.Input):
            units = layer.units_config
            if units is None:
                units = n_features
            elif n_features is not None and units != n_features:
                problems.append(ShapeMismatchError(
                    f"the input layer has {units} units but the data has {n_features} "
                    f"features; set its units to {n_features} or leave them empty to take "
                    "them from the data", [nid]))
        elif getattr(layer, "units_config", None) == "auto":
            if nid != graph.output_id:
                problems.append(ShapeMismatchError(
                    f"layer {nid!r}: units 'auto' is only allowed on the output layer", [nid]))
                return
            units = n_outputs
        elif any(u is None for u in ins) and not layer.sized_by_config:
            units = None
        else:
            try:
                units = layer.output_units(ins)
            except layer_registry.ShapeError as exc:
                problems.append(ShapeMismatchError(f"layer {nid!r}: {exc}", [nid]))
                return
        graph.units[nid] = units


def output_activation(graph: Graph) -> str:
    """The activation the output layer ends in ("linear" for layers without one)."""
    act = graph.layers[graph.output_id].activation
    return "linear" if act is None else act.name


def _check_loss(graph, loss, targets, problems):
    try:
        loss = loss_registry.get(loss)
    except (UnknownNameError, ConfigError, ValueError) as exc:
        problems.append(LossMismatchError(str(exc)))
        return
    if targets is not None and not isinstance(targets, loss_registry.TargetInfo):
        try:
            targets = loss_registry.describe_targets(targets)
        except loss_registry.TargetError as exc:
            problems.append(LossMismatchError(f"the labels cannot be used: {exc}"))
            return
    units = graph.units[graph.output_id]
    if units is None:
        return
    for fit in loss.check_fit(output_activation(graph), units, targets):
        cls = LossMismatchError if fit.severity == "error" else LossWarning
        problems.append(cls(fit.message, [graph.output_id]))


def errors(problems) -> list[SpecError]:
    """The errors among ``problems``."""
    return [p for p in problems if isinstance(p, SpecError)]


def warnings_of(problems) -> list[SpecWarning]:
    """The warnings among ``problems``."""
    return [p for p in problems if isinstance(p, SpecWarning)]
