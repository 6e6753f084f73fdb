"""Canvas edits that combine several document changes: paste with new ids, arrange,
append a layer after the selection.  Each returns undo commands for the caller to push."""

from __future__ import annotations

import copy
import json

from PySide6.QtGui import QUndoCommand

from nnstudio.document.model import Node, Project
from nnstudio.editor.commands import AddNode, Connect, MoveNodes

CLIPBOARD_MIME = "application/x-nnstudio-layers"
ARRANGE_DX, ARRANGE_DY = 200.0, 100.0


def copy_payload(project: Project, node_ids: list[str]) -> bytes:
    """The selected layers and the connections among them, as JSON."""
    chosen = set(node_ids)
    nodes = [project.nodes[n].to_dict() for n in project.nodes if n in chosen]
    edges = [list(e) for e in project.edges if e[0] in chosen and e[1] in chosen]
    return json.dumps({"nodes": nodes, "edges": edges}).encode()


def paste_command(project: Project, payload: bytes, offset=(40.0, 40.0)) -> QUndoCommand | None:
    """One undo step that adds copies of the layers in ``payload`` with fresh ids."""
    try:
        data = json.loads(payload.decode())
        nodes, edges = data["nodes"], data["edges"]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    macro = QUndoCommand(f"Paste {len(nodes)} layer(s)")
    renamed: dict[str, str] = {}
    taken = set(project.nodes)
    for raw in nodes:
        if raw.get("type") == "input" and any(n.type == "input" for n in project.nodes.values()):
            continue  # one input layer per network
        base_id = project.new_node_id(raw["type"])
        new_id, i = base_id, 1
        while new_id in taken:
            i += 1
            new_id = f"{raw['type'].replace('_', '')}{len(taken) + i}"
        taken.add(new_id)
        renamed[raw["id"]] = new_id
        x, y = raw.get("position", (0.0, 0.0))
        AddNode(project, Node(new_id, raw["type"], copy.deepcopy(raw.get("config", {})),
                              (x + offset[0], y + offset[1])), parent_command=macro)
    for src, dst in edges:
        if src in renamed and dst in renamed:
            Connect(project, renamed[src], renamed[dst], parent_command=macro)
    return macro if renamed else None


def append_command(project: Project, layer_type: str, after: str | None) -> QUndoCommand:
    """Add a ``layer_type`` layer right of ``after`` (connected from it), or at the end."""
    node_id = project.new_node_id(layer_type)
    if after is not None and after in project.nodes:
        x, y = project.nodes[after].position
        position = (x + ARRANGE_DX, y)
    else:
        xs = [n.position[0] for n in project.nodes.values()] or [-ARRANGE_DX]
        position = (max(xs) + ARRANGE_DX, 0.0)
    config = {"units": 8, "activation": "relu"} if layer_type == "dense" else {}
    return AddNode(project, Node(node_id, layer_type, config, position),
                   connect_from=after if after in project.nodes else None)


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
