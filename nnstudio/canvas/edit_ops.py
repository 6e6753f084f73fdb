"""Canvas edits that combine several document changes: drop a layer (onto an edge: insert
it there), delete with reconnection, paste with new ids, arrange, append after the selection.
Each returns one undo command for the caller to push: one undo step per gesture.

Compound edits are :class:`Macro` commands holding their parts in a Python list.  Qt's own
parent/child commands (``QUndoCommand(text, parent)``) must not be used from Python: PySide
does not hand the children to their parent, so Python collects them while the parent still
points at them, and pushing the parent crashes the process.
"""

from __future__ import annotations

import copy
import json
from typing import Callable, Iterable

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QUndoCommand

from engine import layers as layer_registry
from nnstudio.document.model import Node, Project
from nnstudio.editor.commands import AddNode, Connect, Disconnect, MoveNodes, RemoveNodes

CLIPBOARD_MIME = "application/x-nnstudio-layers"
ARRANGE_DX, ARRANGE_DY = 240.0, 110.0

Edge = tuple[str, str]


def _tr(text: str) -> str:
    return QCoreApplication.translate("canvas", text)


class Macro(QUndoCommand):
    """Several commands as one undo step: ``redo`` runs them in order, ``undo`` backwards."""

    def __init__(self, text: str, commands: Iterable[QUndoCommand] = ()):
        super().__init__(text)
        self.commands = list(commands)

    def add(self, command: QUndoCommand) -> QUndoCommand:
        self.commands.append(command)
        return command

    def redo(self):
        for command in self.commands:
            command.redo()

    def undo(self):
        for command in reversed(self.commands):
            command.undo()


class ConnectAt(Connect):
    """Connect at a given place in the edge list: the inputs of a merge layer (add,
    concatenate) are ordered as their edges are listed, and an insert or a reconnection must
    keep that order."""

    def __init__(self, project: Project, source: str, target: str, index: int):
        super().__init__(project, source, target)
        self.index = index

    def redo(self):
        self.project.connect(*self.edge, index=self.index)


def default_config(layer_type: str) -> dict:
    """The config a freshly dropped layer starts with."""
    if layer_type == "dense":
        return {"units": 8, "activation": "relu"}
    return {}


def accepts_input(layer_type: str) -> bool:
    """Whether a layer of this type can receive connections (the input layer cannot)."""
    high = layer_registry.LAYERS.cls(layer_type).arity[1]
    return high is None or high > 0


def input_problem(project: Project, layer_type: str) -> str | None:
    """Why a layer of ``layer_type`` cannot be added (None if it can)."""
    if not accepts_input(layer_type) and any(
            not accepts_input(n.type) for n in project.nodes.values()):
        return _tr("The network already has an input layer; it takes one table of features")
    return None


def drop_command(project: Project, layer_type: str, position: tuple[float, float],
                 edge: Edge | None = None) -> tuple[QUndoCommand | None, str]:
    """Add a ``layer_type`` layer at ``position``; dropped on ``edge`` it is inserted there
    (disconnect + add + two connections, one undo step).

    Returns ``(command, new node id)``, or ``(None, reason)`` when it cannot be added.
    """
    reason = input_problem(project, layer_type)
    if reason:
        return None, reason
    node_id = project.new_node_id(layer_type)
    node = Node(node_id, layer_type, default_config(layer_type), tuple(position))
    if edge is None or edge not in project.edges or not accepts_input(layer_type):
        return AddNode(project, node), node_id
    source, target = edge
    index = project.edges.index(edge)
    macro = Macro(_tr("Insert {0} between {1} and {2}").format(layer_type, source, target))
    macro.add(Disconnect(project, source, target))
    macro.add(AddNode(project, node))
    # the new layer takes the old connection's place among the target's inputs
    macro.add(ConnectAt(project, source, node_id, index))
    macro.add(ConnectAt(project, node_id, target, index + 1))
    return macro, node_id


def reconnections(project: Project, node_ids: Iterable[str],
                  cut: Iterable[Edge] = ()) -> list[tuple[int, Edge]]:
    """The connections that bridge deleted layers: a deleted layer with exactly one input
    and some outputs passes its input on to its outputs (through chains of deleted layers
    too).  Returns ``(index, edge)`` pairs: where each new edge belongs in the edge list once
    the layers are gone, so that merge layers keep the order of their inputs."""
    deleted = [n for n in project.nodes if n in set(node_ids)]
    cut = set(cut)
    edges = [e for e in project.edges if e not in cut]
    for nid in deleted:
        preds = [s for s, t in edges if t == nid]
        bridged: list[Edge] = []
        for s, t in edges:
            if s == nid and len(preds) == 1:
                new = (preds[0], t)
                if new not in edges and new not in bridged and new[0] != new[1]:
                    bridged.append(new)
                    continue
            if nid in (s, t):
                continue
            bridged.append((s, t))
        edges = bridged
    original = set(project.edges)
    return [(i, e) for i, e in enumerate(edges) if e not in original]


def delete_command(project: Project, node_ids: Iterable[str], edges: Iterable[Edge] = (),
                   ask: Callable[[list[Edge]], bool] | None = None) -> QUndoCommand | None:
    """Delete layers (and selected connections) as one undo step; when a deleted layer had
    exactly one input and some outputs, ``ask(bridges)`` is offered the connections that
    would join its neighbours (None: yes) and, if it agrees, they are made in the same step.
    """
    nodes = [n for n in node_ids if n in project.nodes]
    gone = set(nodes)
    cut = [e for e in edges if e in project.edges and not (set(e) & gone)]
    if not nodes and not cut:
        return None
    bridges = reconnections(project, nodes, cut) if nodes else []
    if bridges and ask is not None and not ask([e for _, e in bridges]):
        bridges = []
    if nodes and cut:
        text = _tr("Delete {0} layer(s) and {1} connection(s)").format(len(nodes), len(cut))
    elif nodes:
        text = _tr("Delete {0} layer(s)").format(len(nodes))
    else:
        text = _tr("Delete {0} connection(s)").format(len(cut))
    if bridges:
        text = _tr("{0} and reconnect").format(text)
    macro = Macro(text)
    for source, target in cut:
        macro.add(Disconnect(project, source, target))
    if nodes:
        macro.add(RemoveNodes(project, nodes))
    for index, (source, target) in bridges:
        macro.add(ConnectAt(project, source, target, index))
    return macro


def connect_command(project: Project, source: str, target: str) -> tuple[QUndoCommand | None,
                                                                           str]:
    """``(Connect command, "")`` or ``(None, reason)`` (cycle, duplicate, itself, input)."""
    reason = project.connection_problem(source, target)
    if reason:
        return None, reason
    return Connect(project, source, target), ""


def copy_payload(project: Project, node_ids: list[str]) -> bytes:
    """The selected layers and the connections among them, as JSON."""
    chosen = set(node_ids)
    nodes = [project.nodes[n].to_dict() for n in project.nodes if n in chosen]
    edges = [list(e) for e in project.edges if e[0] in chosen and e[1] in chosen]
    return json.dumps({"nodes": nodes, "edges": edges}).encode()


def _fresh_id(project: Project, layer_type: str, taken: set[str]) -> str:
    base = layer_type.replace("_", "")
    i = 1
    while f"{base}{i}" in project.nodes or f"{base}{i}" in taken:
        i += 1
    return f"{base}{i}"


def paste_ids(project: Project, payload: bytes) -> dict[str, str]:
    """Old id -> new id for the layers ``paste_command`` would add."""
    try:
        nodes = json.loads(payload.decode())["nodes"]
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}
    renamed: dict[str, str] = {}
    has_input = any(not accepts_input(n.type) for n in project.nodes.values())
    for raw in nodes:
        layer_type = raw.get("type") if isinstance(raw, dict) else None
        if layer_type not in layer_registry.LAYERS:
            continue
        if not accepts_input(layer_type):
            if has_input:
                continue  # one input layer per network
            has_input = True
        renamed[raw["id"]] = _fresh_id(project, layer_type, set(renamed.values()))
    return renamed


def paste_command(project: Project, payload: bytes, offset=(40.0, 40.0)) -> QUndoCommand | None:
    """One undo step that adds copies of the layers in ``payload`` with fresh ids."""
    try:
        data = json.loads(payload.decode())
        nodes, edges = data["nodes"], data["edges"]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    renamed = paste_ids(project, payload)
    if not renamed:
        return None
    macro = Macro(_tr("Paste {0} layer(s)").format(len(renamed)))
    for raw in nodes:
        if raw.get("id") not in renamed:
            continue
        x, y = raw.get("position", (0.0, 0.0))
        macro.add(AddNode(project, Node(renamed[raw["id"]], raw["type"],
                                        copy.deepcopy(raw.get("config", {})),
                                        (x + offset[0], y + offset[1]))))
    for src, dst in edges:
        if src in renamed and dst in renamed:
            macro.add(Connect(project, renamed[src], renamed[dst]))
    return macro


def append_command(project: Project, layer_type: str, after: str | None) -> QUndoCommand:
    """Add a ``layer_type`` layer right after ``after``, or at the end of the network.

    When ``after`` already feeds other layers, the new layer goes in between (it takes over
    ``after``'s outgoing connections, in their places among merge inputs) and the layers to
    the right make room: one undo step, as a drop on a connection is.
    """
    node_id = project.new_node_id(layer_type)
    if after is None or after not in project.nodes:
        xs = [n.position[0] for n in project.nodes.values()] or [-ARRANGE_DX]
        node = Node(node_id, layer_type, default_config(layer_type), (max(xs) + ARRANGE_DX, 0.0))
        return AddNode(project, node)
    x, y = project.nodes[after].position
    node = Node(node_id, layer_type, default_config(layer_type), (x + ARRANGE_DX, y))
    outgoing = [(i, e) for i, e in enumerate(project.edges) if e[0] == after]
    if not accepts_input(layer_type):
        return AddNode(project, node)
    if not outgoing:
        return AddNode(project, node, connect_from=after)
    macro = Macro(_tr("Insert {0} after {1}").format(layer_type, after))
    right = {nid: n.position for nid, n in project.nodes.items() if n.position[0] > x}
    if right:
        macro.add(MoveNodes(project, right, {nid: (px + ARRANGE_DX, py)
                                             for nid, (px, py) in right.items()}))
    for _, (src, dst) in outgoing:
        macro.add(Disconnect(project, src, dst))
    macro.add(AddNode(project, node, connect_from=after))
    for index, (_, dst) in outgoing:
        macro.add(ConnectAt(project, node_id, dst, index))
    return macro


def arrange_positions(project: Project) -> dict[str, tuple[float, float]]:
    """Left-to-right layout: a layer's column is its longest path from a source."""
    depth = {nid: 0 for nid in project.nodes}
    changed = True
    rounds = 0
    while changed and rounds <= len(depth):  # longest path in a DAG; stops on loops too
        changed = False
        rounds += 1
        for src, dst in project.edges:
            if depth[dst] < depth[src] + 1:
                depth[dst] = depth[src] + 1
                changed = True
    columns: dict[int, list[str]] = {}
    for nid in project.nodes:
        columns.setdefault(depth[nid], []).append(nid)
    positions = {}
    for col, ids in columns.items():
        top = -(len(ids) - 1) * ARRANGE_DY / 2
        for row, nid in enumerate(ids):
            positions[nid] = (col * ARRANGE_DX, top + row * ARRANGE_DY)
    return positions


def arrange_command(project: Project) -> MoveNodes | None:
    new = arrange_positions(project)
    old = {nid: project.nodes[nid].position for nid in new}
    moved = {nid: pos for nid, pos in new.items() if old[nid] != pos}
    if not moved:
        return None
    return MoveNodes(project, {k: old[k] for k in moved}, moved)
