"""The network canvas: a QGraphicsScene that mirrors the document's graph.

Items hold nothing but what they draw.  The scene follows the document's change
notifications item by item (a new edge adds one edge item, a config change redraws one node);
only a "reset" (a different document) rebuilds, and even then existing items are updated in
place.  Every edit made with the mouse becomes one undo command handed to ``push`` (the
window sets ``scene.push = session.push``): a drag of any number of nodes is one
``MoveNodes`` on release, a drop one ``AddNode`` (or an insert macro), a port drag one
``Connect``, a delete one macro that may reconnect the neighbours.

Signals
-------
nodesMoved(dict, dict)
    ``{id: (x, y)}`` before and after a drag, on mouse release -- only when ``push`` is None
    (a window that pushes the ``MoveNodes`` itself); with ``push`` set the scene pushes it.
connectionHint(str)
    While a connection is dragged: why the target under the cursor refuses it ("" when it
    accepts, or when the drag ends).  For the status bar.
statusMessage(str)
    A short message about an edit that could not be made (a second input layer, ...).
nodeActivated(str)
    A node was double-clicked (e.g. to raise the inspector).
contentChanged()
    Nodes were added, removed or moved (the view grows its scrollable area).
"""

from __future__ import annotations

import json
from typing import Callable

from PySide6.QtCore import QPointF, QRectF, Signal
from PySide6.QtWidgets import QGraphicsScene

from engine import layers as layer_registry
from nnstudio.canvas import edit_ops
from nnstudio.canvas.items import (BAD, GOOD, NODE_H, NODE_W, EdgeItem, HintItem, NodeItem,
                                   PortItem, WireItem, _tr, activation_name, forget_fonts)
from nnstudio.document.model import Change, Project
from nnstudio.editor.commands import MoveNodes

Edge = tuple[str, str]
_layer_cache: dict[tuple[str, str], object] = {}


def _layer(layer_type: str, config: dict):
    """An engine layer for ``config`` (cached; None when the config is invalid)."""
    try:
        key = (layer_type, json.dumps(config, sort_keys=True, default=str))
    except (TypeError, ValueError):
        return None
    if key not in _layer_cache:
        if len(_layer_cache) > 1024:
            _layer_cache.clear()
        try:
            _layer_cache[key] = layer_registry.get({"name": layer_type, **config})
        except Exception:  # noqa: BLE001 - an invalid config shows as a problem, not a crash
            _layer_cache[key] = None
    return _layer_cache[key]


_default_cache: dict[str, dict] = {}


def _defaults(layer_type: str) -> dict:
    """A layer type's parameters and defaults (cached: the registry inspects signatures)."""
    if layer_type not in _default_cache:
        _default_cache[layer_type] = layer_registry.LAYERS.parameters(layer_type)
    return _default_cache[layer_type]


def _format_units(value) -> str:
    return "?" if value is None else str(value)


class NetworkScene(QGraphicsScene):
    """Mirrors a Project's network (see the module docstring)."""

    nodesMoved = Signal(dict, dict)
    connectionHint = Signal(str)
    statusMessage = Signal(str)
    nodeActivated = Signal(str)
    contentChanged = Signal()

    def __init__(self, project: Project, parent=None,
                 push: Callable | None = None):
        super().__init__(parent)
        self.project = project
        #: applies an undo command (``session.push``); None applies it without undo
        self.push: Callable | None = push
        #: asked before a delete reconnects neighbours: ``ask_reconnect([(src, dst), ...])``
        self.ask_reconnect: Callable[[list[Edge]], bool] = lambda bridges: True
        self.node_items: dict[str, NodeItem] = {}
        self.edge_items: dict[Edge, EdgeItem] = {}
        self._edges_of: dict[str, set[Edge]] = {}
        self.units: dict[str, int | None] = {}  # from the last spec check
        self.sizes: dict[str, int | None] = {}  # inferred now, even while there are errors
        self._shown_sizes: dict[str, tuple] = {}
        self.problems: dict[str, tuple[str, str]] = {}  # node id -> (message, severity)
        self.task: str | None = None
        self.n_features: int | None = None  # the data's sizes, for the input and "auto"
        self.n_outputs: int | None = None
        self._drag_start: dict[str, tuple[float, float]] | None = None
        self._wire: WireItem | None = None
        self._hint: HintItem | None = None
        self._wiring: dict | None = None
        self._hot_edge: Edge | None = None
        self._unsubscribe = project.subscribe(self._on_change)
        self.rebuild()

    def set_project(self, project: Project) -> None:
        """Mirror another document (or the same one after it was replaced)."""
        self.detach()
        self.project = project
        self._unsubscribe = project.subscribe(self._on_change)
        self.rebuild()

    def detach(self) -> None:
        self._unsubscribe()
        self._unsubscribe = lambda: None

    def apply(self, command) -> None:
        """Hand an edit to ``push`` (or apply it directly when there is no undo stack)."""
        if command is None:
            return
        if self.push is not None:
            self.push(command)
        else:
            command.redo()

    # -- mirroring the document -------------------------------------------------------------
    def _on_change(self, change: Change) -> None:
        kind = change.kind
        if kind in ("training", "runs", "data"):
            return
        if kind == "node_moved":
            if self._drag_start is None:
                for nid in change.ids:
                    item = self.node_items.get(nid)
                    if item is not None:
                        item.setPos(QPointF(*self.project.nodes[nid].position))
            self.contentChanged.emit()
        elif kind == "node_added":
            for nid in change.ids:
                self._add_node_item(nid)
            self._resize()
            self.contentChanged.emit()
        elif kind == "node_removed":
            for nid in change.ids:
                self._remove_node_item(nid)
            self._resize()
            self.contentChanged.emit()
        elif kind == "node_config":
            self._resize(change.ids)
        elif kind == "edge_added":
            for edge in change.ids:
                self._add_edge_item(tuple(edge))
            self._resize([n for e in change.ids for n in e])
        elif kind == "edge_removed":
            for edge in change.ids:
                self._remove_edge_item(tuple(edge))
            self._resize([n for e in change.ids for n in e])
        else:  # "reset" and anything new: compare everything, change what differs
            self.rebuild()

    def rebuild(self) -> None:
        """Bring every item in line with the document, creating and removing only what
        appeared or went away and updating the rest in place."""
        edges = set(self.project.edges)
        for edge in [e for e in self.edge_items if e not in edges]:
            self._remove_edge_item(edge)
        for nid in [n for n in self.node_items if n not in self.project.nodes]:
            self._remove_node_item(nid)
        for nid in self.project.nodes:
            if nid not in self.node_items:
                self._add_node_item(nid)
        for edge in self.project.edges:
            if edge not in self.edge_items:
                self._add_edge_item(edge)
        self._resize(list(self.node_items))  # also moves items whose position differs
        self.contentChanged.emit()

    def _add_node_item(self, nid: str) -> None:
        """A new item (drawn by the ``_resize`` that follows)."""
        if nid in self.node_items or nid not in self.project.nodes:
            return
        item = self.node_items[nid] = NodeItem(nid)
        self._edges_of.setdefault(nid, set())
        item.setPos(QPointF(*self.project.nodes[nid].position))
        self.addItem(item)

    def _remove_node_item(self, nid: str) -> None:
        for edge in list(self._edges_of.get(nid, ())):
            self._remove_edge_item(edge)
        self._edges_of.pop(nid, None)
        self._shown_sizes.pop(nid, None)
        item = self.node_items.pop(nid, None)
        if item is not None:
            self.removeItem(item)

    def _add_edge_item(self, edge: Edge) -> None:
        src, dst = edge
        if edge in self.edge_items or src not in self.node_items or dst not in self.node_items:
            return
        item = self.edge_items[edge] = EdgeItem(self.node_items[src], self.node_items[dst])
        self._edges_of[src].add(edge)
        self._edges_of[dst].add(edge)
        self.addItem(item)

    def _remove_edge_item(self, edge: Edge) -> None:
        item = self.edge_items.pop(edge, None)
        if item is None:
            return
        if self._hot_edge == edge:
            self._hot_edge = None
        for nid in edge:
            self._edges_of.get(nid, set()).discard(edge)
        self.removeItem(item)

    def _role(self, nid: str) -> str:
        node = self.project.nodes[nid]
        if node.type in layer_registry.LAYERS and not edit_ops.accepts_input(node.type):
            return "input"
        edges = self._edges_of.get(nid, ())
        if any(e[1] == nid for e in edges) and not any(e[0] == nid for e in edges):
            return "output"
        return "hidden"

    def _inputs_of(self, nid: str) -> list[str]:
        return [s for s, t in self._edges_of.get(nid, ()) if t == nid]

    def infer_sizes(self) -> dict[str, int | None]:
        """Every layer's output units as far as they can be told now, even while the network
        has errors elsewhere (the spec check then gives none): from the layers' configs and
        their inputs, with the input and "auto" output sizes from the last check."""
        preds: dict[str, list[str]] = {nid: [] for nid in self.project.nodes}
        indegree = dict.fromkeys(self.project.nodes, 0)
        outgoing: dict[str, list[str]] = {nid: [] for nid in self.project.nodes}
        for src, dst in self.project.edges:
            if src in preds and dst in preds:
                preds[dst].append(src)
                outgoing[src].append(dst)
                indegree[dst] += 1
        ready = [nid for nid, d in indegree.items() if d == 0]
        sizes: dict[str, int | None] = {}
        while ready:
            nid = ready.pop()
            sizes[nid] = self._size_of(nid, [sizes.get(s) for s in preds[nid]])
            for nxt in outgoing[nid]:
                indegree[nxt] -= 1
                if indegree[nxt] == 0:
                    ready.append(nxt)
        return {nid: sizes.get(nid) for nid in self.project.nodes}  # loops stay unknown

    def _size_of(self, nid: str, ins: list) -> int | None:
        node = self.project.nodes[nid]
        layer = _layer(node.type, node.config) if node.type in layer_registry.LAYERS else None
        if layer is None:
            return None
        configured = getattr(layer, "units_config", None)
        if not edit_ops.accepts_input(node.type):
            if configured is not None:
                return configured
            return self.units.get(nid) or self.n_features
        if configured == "auto":
            if self.units.get(nid) is not None:
                return self.units[nid]
            is_last = not any(e[0] == nid for e in self._edges_of.get(nid, ()))
            return self.n_outputs if is_last else None  # "auto" only sizes the output
        if getattr(layer, "sized_by_config", False):
            return configured
        if not ins or any(u is None for u in ins):
            return None
        try:
            return layer.output_units(ins)
        except Exception:  # noqa: BLE001 - sizes it cannot join: a problem, shown elsewhere
            return None

    def _resize(self, touched=()) -> None:
        """Re-infer the sizes and redraw the layers whose size, or whose inputs' sizes,
        changed (plus ``touched``)."""
        self.sizes = self.infer_sizes()
        for nid in self.node_items:
            signature = (self.sizes.get(nid),
                         tuple(sorted(self.sizes.get(s) or 0 for s in self._inputs_of(nid))))
            if self._shown_sizes.get(nid) != signature:
                self._shown_sizes[nid] = signature
                self._refresh(nid)
        for nid in touched:
            self._refresh(nid)

    def _refresh(self, nid: str) -> None:
        """Show node ``nid`` as the document and the last spec check describe it."""
        item = self.node_items.get(nid)
        node = self.project.nodes.get(nid)
        if item is None or node is None:
            return
        known = node.type in layer_registry.LAYERS
        cls = layer_registry.LAYERS.cls(node.type) if known else None
        role = self._role(nid)
        units = self.sizes.get(nid)
        config = node.config
        configured = config.get("units")
        if role == "input":
            size = (_tr("{0} features").format(units) if units is not None
                    else _tr("features from data"))
        elif configured == "auto":
            size = (_tr("auto: {0}").format(self._auto_noun(units)) if units is not None
                    else _tr("auto units"))
        else:
            shown = units if units is not None else configured
            size = _tr("{0} units").format(shown) if shown is not None else ""
        glyph = activation_name(config)
        if glyph is None and cls is not None:
            default = _defaults(node.type).get("activation")
            glyph = default if isinstance(default, str) else None
        setting = glyph or ""
        if not setting and cls is not None:
            if cls.arity[1] is None:  # merge layers: count their inputs
                setting = _tr("{0} inputs").format(len(self._inputs_of(nid)))
            else:  # the layer's number settings (dropout rate, batch-norm momentum, ...)
                values = {**_defaults(node.type), **config}
                setting = next((f"{k} {v:g}" for k, v in values.items()
                                    if k != "units" and isinstance(v, (int, float))
                                    and not isinstance(v, bool)), "")
        ins = [self.sizes.get(s) for s in self._inputs_of(nid)]
        params = None
        layer = _layer(node.type, config) if known else None
        if (layer is not None and units is not None and (ins or role == "input")
                and all(u is not None for u in ins)):
            layer.units, layer.input_units = units, ins  # as the network sizes it
            try:
                shapes = layer.param_shapes(ins) if ins else {}
                params = sum(_prod(s) for s in shapes.values())
            except Exception:  # noqa: BLE001 - sizes the layer refuses: shown as a problem
                params = None
        shape = f"(None, {_format_units(units)})" if units is not None else _tr("(None, ?)")
        message, severity = self.problems.get(nid, ("", ""))
        item.display(role=role, layer_type=node.type, size=size, setting=setting,
                     glyph=glyph, shape=shape, params=params, problem=message,
                     severity=severity, help_text=cls.help if cls is not None else "",
                     position=node.position, has_input=role != "input")

    def _auto_noun(self, units: int) -> str:
        if self.task == "classification":
            return _tr("{0} classes").format(units) if units > 1 else _tr("1 unit (binary)")
        if self.task == "regression":
            return _tr("{0} target(s)").format(units)
        return _tr("{0} units").format(units)

    def set_units(self, units: dict[str, int | None], problems, task: str | None = None,
                  n_features: int | None = None, n_outputs: int | None = None) -> None:
        """Show the results of the spec check.

        Parameters
        ----------
        units : dict
            Node id -> output units (``Graph.units``).
        problems : list or dict
            The spec check's problems (``SpecError`` / ``SpecWarning`` with ``.nodes``), or
            a dict node id -> message.  Each marked node shows its first problem; errors
            come before warnings.
        task : "classification" or "regression", optional
            Words the output size ("auto: 3 classes").
        n_features, n_outputs : int, optional
            The data's sizes: the input layer's and the "auto" output layer's units, shown
            even while an error elsewhere keeps the check from sizing the network.
        """
        if isinstance(problems, dict):
            marks = {nid: (msg, "error") for nid, msg in problems.items()}
        else:
            marks = {}
            ranked = sorted(problems, key=lambda p: getattr(p, "severity", "error") != "error")
            for problem in ranked:
                for nid in getattr(problem, "nodes", ()):
                    marks.setdefault(nid, (getattr(problem, "message", str(problem)),
                                           getattr(problem, "severity", "error")))
        self.units, self.problems, self.task = dict(units), marks, task
        self.n_features, self.n_outputs = n_features, n_outputs
        self._resize(list(self.node_items))

    def set_graph(self, graph, task: str | None = None, n_features: int | None = None,
                  n_outputs: int | None = None) -> None:
        """``set_units`` from an ``engine.spec.Graph`` (its units and problems)."""
        self.set_units(graph.units, graph.problems, task, n_features, n_outputs)

    def refresh_style(self) -> None:
        """Redraw every item (after a palette or font change: items cache their pixmaps)."""
        forget_fonts()
        for item in (*self.node_items.values(), *self.edge_items.values()):
            item.update()

    def node_moved(self, node_id: str) -> None:
        """A node item moved: only its own connections follow."""
        for edge in self._edges_of.get(node_id, ()):
            self.edge_items[edge].adjust()

    # -- selection ----------------------------------------------------------------------------
    def selected_ids(self) -> list[str]:
        """Selected layers, in document order."""
        chosen = {i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)}
        return [nid for nid in self.project.nodes if nid in chosen]

    def selected_edges(self) -> list[Edge]:
        return [i.key for i in self.selectedItems() if isinstance(i, EdgeItem)]

    def select_nodes(self, node_ids) -> None:
        """Select exactly these layers (unknown ids are ignored)."""
        wanted = set(node_ids)
        self.blockSignals(True)
        try:
            self.clearSelection()
        finally:
            self.blockSignals(False)
        for nid in wanted:
            item = self.node_items.get(nid)
            if item is not None:
                item.setSelected(True)
        self.selectionChanged.emit()

    def select_all(self) -> None:
        for item in self.node_items.values():
            item.setSelected(True)

    def nodes_rect(self, node_ids) -> QRectF:
        rect = QRectF()
        for nid in node_ids:
            item = self.node_items.get(nid)
            if item is not None:
                rect = rect.united(item.sceneBoundingRect())
        return rect

    # -- drags: one undo step each ------------------------------------------------------------
    def begin_drag(self) -> None:
        self._drag_start = {nid: (item.pos().x(), item.pos().y())
                            for nid, item in self.node_items.items()}

    def end_drag(self) -> None:
        start, self._drag_start = self._drag_start, None
        if not start:
            return
        moved_old, moved_new = {}, {}
        for nid, item in self.node_items.items():
            now = (item.pos().x(), item.pos().y())
            if nid in start and start[nid] != now:
                moved_old[nid], moved_new[nid] = start[nid], now
        if not moved_new:
            return
        if self.push is None:
            self.nodesMoved.emit(moved_old, moved_new)
        else:
            self.push(MoveNodes(self.project, moved_old, moved_new))

    # -- dropping layers from the palette -------------------------------------------------------
    def edge_at(self, pos: QPointF) -> Edge | None:
        """The connection under ``pos`` (scene coordinates), if any."""
        for item in self.items(QRectF(pos.x() - 6, pos.y() - 6, 12, 12)):
            if isinstance(item, NodeItem) and item.shape().contains(item.mapFromScene(pos)):
                return None  # a layer above the connection hides it
            if isinstance(item, EdgeItem) and item.shape().contains(pos):
                return item.key
        return None

    def hover_drop(self, layer_type: str | None, pos: QPointF | None) -> None:
        """Highlight the connection a layer dragged to ``pos`` would be inserted into."""
        edge = None
        if layer_type and pos is not None and edit_ops.accepts_input(layer_type):
            edge = self.edge_at(pos)
        if edge != self._hot_edge:
            if self._hot_edge in self.edge_items:
                self.edge_items[self._hot_edge].set_hot(False)
            self._hot_edge = edge
            if edge is not None:
                self.edge_items[edge].set_hot(True)

    def drop_layer(self, layer_type: str, pos: QPointF) -> str | None:
        """Add a ``layer_type`` layer centred at ``pos``; onto a connection, insert it there.
        Returns the new layer's id (selected), or None with ``statusMessage`` saying why."""
        self.hover_drop(None, None)
        if layer_type not in layer_registry.LAYERS:
            self.statusMessage.emit(_tr("Unknown layer type {0}").format(layer_type))
            return None
        layer_type = layer_registry.LAYERS.canonical(layer_type)
        edge = self.edge_at(pos) if edit_ops.accepts_input(layer_type) else None
        position = (round(pos.x() - NODE_W / 2), round(pos.y() - NODE_H / 2))
        command, result = edit_ops.drop_command(self.project, layer_type, position, edge)
        if command is None:
            self.statusMessage.emit(result)
            return None
        self.apply(command)
        self.select_nodes([result])
        return result

    # -- deleting -------------------------------------------------------------------------------
    def delete_selection(self) -> bool:
        """Delete the selected layers and connections (one undo step), offering through
        ``ask_reconnect`` to join the neighbours of a deleted layer.  True if anything went."""
        return self.delete(self.selected_ids(), self.selected_edges())

    def delete(self, node_ids, edges=()) -> bool:
        command = edit_ops.delete_command(self.project, node_ids, edges, self.ask_reconnect)
        if command is None:
            return False
        self.apply(command)
        return True

    def paste(self, payload: bytes, offset=(40.0, 40.0)) -> list[str]:
        """Paste copied layers with new ids (one undo step); selects and returns them."""
        renamed = edit_ops.paste_ids(self.project, payload)
        command = edit_ops.paste_command(self.project, payload, offset)
        if command is None:
            return []
        self.apply(command)
        self.select_nodes(renamed.values())
        return list(renamed.values())

    # -- connecting by dragging a port ----------------------------------------------------------
    def start_connection(self, node_id: str, side: str, pos: QPointF) -> None:
        """A drag from ``node_id``'s ``side`` ("out" or "in") port began."""
        self.cancel_connection()
        item = self.node_items[node_id]
        anchor = item.out_anchor() if side == "out" else item.in_anchor()
        self._wiring = {"node": node_id, "side": side, "anchor": anchor, "target": None,
                        "problem": None}
        self._wire = WireItem()
        self._hint = HintItem()
        self._hint.setVisible(False)
        self.addItem(self._wire)
        self.addItem(self._hint)
        self.drag_connection(pos)

    def _target_at(self, pos: QPointF) -> str | None:
        """The layer a connection dragged to ``pos`` would join: the one under the cursor
        (its port or its body).  The dragged layer itself counts only over its other port,
        so that leaving its own port is not taken for a connection to itself."""
        wiring = self._wiring
        for item in self.items(pos):
            if isinstance(item, PortItem):
                if item.node.node_id == wiring["node"]:
                    return item.node.node_id if item.side != wiring["side"] else None
                return item.node.node_id
            if isinstance(item, NodeItem):
                return None if item.node_id == wiring["node"] else item.node_id
        return None

    def connection_problem(self, source: str, target: str) -> str | None:
        """Why ``source -> target`` cannot be made: the document's reasons (itself, a
        duplicate, the input layer, a loop), then a target that takes no more inputs, then
        sizes it cannot join (from the last spec check)."""
        reason = self.project.connection_problem(source, target)
        if reason:
            return reason
        node = self.project.nodes[target]
        ins = self._inputs_of(target)
        if node.type in layer_registry.LAYERS:
            high = layer_registry.LAYERS.cls(node.type).arity[1]
            if high is not None and len(ins) >= high:
                return _tr("{0} ({1}) takes {2} incoming connection(s) and already has "
                           "{3}; delete one first (click it, then Delete)").format(
                    target, node.type, high, len(ins))
        layer = _layer(node.type, node.config)
        sizes = [self.sizes.get(s) for s in ins] + [self.sizes.get(source)]
        if layer is not None and len(sizes) > 1 and all(u is not None for u in sizes):
            try:
                layer.output_units(sizes)
            except layer_registry.ShapeError as exc:
                return _tr("{0} cannot take {1}: {2}").format(target, source, exc)
        return None

    def drag_connection(self, pos: QPointF) -> None:
        wiring = self._wiring
        if wiring is None:
            return
        target = self._target_at(pos)
        if target != wiring["target"]:
            self._set_port_highlight(wiring, None)
            wiring["target"] = target
            wiring["problem"] = None
            if target is not None:
                src, dst = ((wiring["node"], target) if wiring["side"] == "out"
                            else (target, wiring["node"]))
                wiring["problem"] = self.connection_problem(src, dst)
                self._set_port_highlight(wiring, BAD if wiring["problem"] else GOOD)
            self.connectionHint.emit(wiring["problem"] or "")
        end, state = pos, "free"
        if target is not None:
            item = self.node_items[target]
            state = "refused" if wiring["problem"] else "ok"
            if state == "ok":  # snap onto the port it will join
                end = item.in_anchor() if wiring["side"] == "out" else item.out_anchor()
        a, b = (wiring["anchor"], end) if wiring["side"] == "out" else (end, wiring["anchor"])
        self._wire.set_ends(a, b, state)
        self._hint.setPos(pos)
        self._hint.set_text(wiring["problem"] or "")

    def _set_port_highlight(self, wiring: dict, colour) -> None:
        target = wiring.get("target")
        if target in self.node_items:
            item = self.node_items[target]
            port = item.in_port if wiring["side"] == "out" else item.out_port
            port.set_highlight(colour)

    def finish_connection(self, pos: QPointF) -> bool:
        """Release: connect when the target accepts; True if a connection was made."""
        wiring = self._wiring
        if wiring is None:
            return False
        self.drag_connection(pos)
        target, problem = wiring["target"], wiring["problem"]
        self.cancel_connection()
        if target is None or problem:
            return False
        src, dst = ((wiring["node"], target) if wiring["side"] == "out"
                    else (target, wiring["node"]))
        command, reason = edit_ops.connect_command(self.project, src, dst)
        if command is None:
            self.statusMessage.emit(reason)
            return False
        self.apply(command)
        return True

    def cancel_connection(self) -> None:
        if self._wiring is not None:
            self._set_port_highlight(self._wiring, None)
            self._wiring = None
            self.connectionHint.emit("")
        for item in (self._wire, self._hint):
            if item is not None:
                self.removeItem(item)
        self._wire = self._hint = None

    @property
    def connecting(self) -> bool:
        return self._wiring is not None


def _prod(shape) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n
