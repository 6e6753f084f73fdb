"""The neuron view: every neuron a circle, every weight a line, like the classic playground.

Layers are columns, left to right in the order data flows (a layer's column is the longest
path to it from the input, so skip connections jump over columns).  A layer of at most
``MAX_UNITS`` units shows each neuron; a wider one is a block with an ellipsis
("… 512 units"), so a 784-256-128-10 network draws a handful of items, never a hundred
thousand lines.

Weight lines are drawn for dense layers only, from the layer that feeds them: blue for a
positive weight, orange for a negative one, thickness and opacity growing with ``|w|``
relative to the largest weight shown.  Where one side is a block, one line per drawn neuron
summarizes its weights to or from the block (colour: sign of their mean, thickness: their
root mean square); between two blocks a single band does.  Other connections (dropout,
batch norm, activation, add, concatenate) carry no weights: thin grey dashed lines join
unit to unit.  A neuron's fill shows its bias (same colours) when the weights include it.

``update_weights`` only re-colours the existing lines and neurons, so the view can follow
training without recreating a single item.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import (QBrush, QColor, QFont, QPainter, QPainterPath, QPalette, QPen)
from PySide6.QtWidgets import (QGraphicsEllipseItem, QGraphicsLineItem, QGraphicsPathItem,
                               QGraphicsScene, QGraphicsSimpleTextItem, QGraphicsTextItem,
                               QGraphicsView, QLabel, QToolTip, QVBoxLayout, QWidget)

from engine import layers as layer_registry

__all__ = ["NeuronView", "NeuronPanel", "network_from_project", "MAX_UNITS",
           "MAX_WEIGHT_LINES", "POSITIVE_COLOR", "NEGATIVE_COLOR", "NEUTRAL_COLOR"]

MAX_UNITS = 32            # wider layers are drawn as a block
MAX_WEIGHT_LINES = 6000   # beyond this, further dense connections are summarized per neuron
POSITIVE_COLOR = QColor(8, 119, 189)    # blue, as the playground
NEGATIVE_COLOR = QColor(245, 147, 34)   # orange
NEUTRAL_COLOR = QColor(150, 150, 150)   # no weights (not trained yet)

RADIUS = 9.0
SPACING = 26.0       # between neuron centres in a column
COLUMN = 190.0       # between columns
GROUP_GAP = 60.0     # between layers that share a column
HEADER = 40.0        # room for a layer's title above it
BLOCK_W, BLOCK_H = 40.0, 210.0


def _topological(ids: list[str], edges: list[tuple[str, str]]) -> list[str]:
    """``ids`` sorted so that every edge goes forward (stable; loops keep their order)."""
    known = set(ids)
    incoming = {n: 0 for n in ids}
    outgoing: dict[str, list[str]] = {n: [] for n in ids}
    for s, t in edges:
        if s in known and t in known:
            incoming[t] += 1
            outgoing[s].append(t)
    order, ready = [], [n for n in ids if incoming[n] == 0]
    while ready:
        n = ready.pop(0)
        order.append(n)
        for t in outgoing[n]:
            incoming[t] -= 1
            if incoming[t] == 0:
                ready.append(t)
    return order + [n for n in ids if n not in order]


@dataclass
class _Group:
    """One layer as drawn: a column of neurons, or a block."""

    node_id: str
    units: int | None
    layer_type: str
    x: float
    top: float
    expanded: bool
    neurons: list = field(default_factory=list)
    block: QGraphicsPathItem | None = None

    @property
    def height(self) -> float:
        return self.units * SPACING if self.expanded else BLOCK_H

    def centre(self, i: int) -> QPointF:
        return QPointF(self.x, self.top + (i + 0.5) * SPACING)

    def port(self, i: int, right: bool) -> QPointF:
        """Where a line to neuron ``i`` touches it (its right or left side)."""
        c = self.centre(i)
        return QPointF(c.x() + (RADIUS if right else -RADIUS), c.y())

    def block_port(self, k: int, n: int, right: bool) -> QPointF:
        """The ``k``-th of ``n`` points spread along a block's right or left side."""
        x = self.x + (BLOCK_W / 2 if right else -BLOCK_W / 2)
        margin = 24.0
        return QPointF(x, self.top + margin + (BLOCK_H - 2 * margin) * (k + 0.5) / n)


@dataclass
class _LineGroup:
    """The lines of one dense connection ``src -> dst``.

    ``kind``: "full" (one line per weight, row-major over the (dst, src) matrix), "rows"
    (one per dst neuron), "cols" (one per src neuron) or "all" (one band).
    """

    src: str
    dst: str
    param: str
    shape: tuple[int, int]
    kind: str
    items: list = field(default_factory=list)
    values: tuple | None = None  # (value, strength) per line, as last drawn


class NeuronView(QGraphicsView):
    """Draws a network's neurons and weights.  See the module docstring.

    Public attributes (read them, do not change them): ``groups`` (``{node_id: _Group}``),
    ``line_groups`` (``list[_LineGroup]``), ``connectors`` (the grey lines of weightless
    connections), ``legend`` (the text beneath).
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("neuronView")
        self.setAccessibleName(self.tr("Neurons and weights"))
        self.setScene(QGraphicsScene(self))  # parented: it lives as long as the view
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.BoundingRectViewportUpdate)
        self.groups: dict[str, _Group] = {}
        self.line_groups: list[_LineGroup] = []
        self.connectors: list[QGraphicsLineItem] = []
        self.legend: QGraphicsTextItem | None = None
        self._auto_fit = True
        self._base = self.palette().color(QPalette.ColorRole.Base)
        self._text = self.palette().color(QPalette.ColorRole.Text)
        self.setBackgroundBrush(self._base)
        self._clear()

    # -- public API -----------------------------------------------------------------------
    def set_network(self, layers, edges, weights: dict | None = None, *,
                    types: dict[str, str] | None = None,
                    captions: dict[str, str] | None = None) -> None:
        """Draw a network.

        Parameters
        ----------
        layers : list of (node_id, units) or (node_id, units, layer_type)
            Every layer; ``units`` may be None (unknown: drawn as a block "? units").
        edges : list of (source_id, target_id)
        weights : dict of str to ndarray, optional
            Engine weights, ``"<node>.weight"`` of shape (units, in) for dense layers and
            ``"<node>.bias"`` (units,); None draws the structure in grey.
        types : dict, optional
            Layer type of each node (default: the third element of its ``layers`` entry,
            else "dense").  Weight lines are drawn into dense layers only.
        captions : dict, optional
            A second title line per node (default: type and units).
        """
        self._clear()
        types = dict(types or {})
        entries = []
        for entry in layers:
            node_id, units = str(entry[0]), entry[1]
            layer_type = types.get(node_id) or (entry[2] if len(entry) > 2 else "dense")
            units = None if units is None else int(units)
            entries.append((node_id, units, layer_type))
        info = {e[0]: e for e in entries}
        edges = [(str(s), str(t)) for s, t in edges if s in info and t in info]
        self._layout(entries, edges, captions or {})
        self._draw_edges(edges, info)
        self._draw_legend()
        self.update_weights(weights)
        rect = self.scene().itemsBoundingRect().adjusted(-30, -30, 30, 30)
        self.scene().setSceneRect(rect)
        self._auto_fit = True
        self._fit()

    def update_weights(self, weights: dict | None) -> None:
        """Re-colour the existing lines and neurons for new ``weights`` (no item is created
        or removed); None shows the structure in grey."""
        weights = weights or {}
        values: list[tuple[_LineGroup, np.ndarray, np.ndarray] | None] = []
        full_max = summary_max = 0.0
        for group in self.line_groups:
            w = weights.get(group.param)
            w = None if w is None else np.asarray(w, dtype=np.float64)
            if w is None or w.shape != group.shape or not w.size:
                values.append(None)
                continue
            w = np.where(np.isfinite(w), w, 0.0)
            if group.kind == "full":
                value = w.ravel()
                strength = np.abs(value)
                full_max = max(full_max, float(strength.max(initial=0.0)))
            else:
                axis = {"rows": 1, "cols": 0, "all": None}[group.kind]
                value = np.atleast_1d(w.mean(axis=axis))
                strength = np.atleast_1d(np.sqrt((w * w).mean(axis=axis)))
                summary_max = max(summary_max, float(strength.max(initial=0.0)))
            values.append((group, value, strength))
        pens: dict = {}  # a few hundred distinct pens serve thousands of lines
        grey = self._pen(0, 0)
        for group, entry in zip(self.line_groups, values):
            if entry is None:
                group.values = None
                for item in group.items:
                    item.setPen(grey)
                continue
            _, value, strength = entry
            group.values = (value, strength)
            top = full_max if group.kind == "full" else summary_max
            shares = np.clip(strength / top, 0.0, 1.0) if top > 0 else np.zeros_like(strength)
            levels = np.rint(shares * 230).astype(int) * np.where(value >= 0, 1, -1)
            levels[(levels == 0) & (value < 0)] = -1000  # a negative weight of ~0
            for item, level in zip(group.items, levels.tolist()):
                pen = pens.get(level)
                if pen is None:
                    pen = pens[level] = self._pen(-1 if level < 0 else 1,
                                                  0 if level == -1000 else abs(level))
                item.setPen(pen)
        self._colour_biases(weights)
        self._draw_legend(bool(weights) and any(v is not None for v in values))

    def counts(self) -> dict[str, int]:
        """How many items of each kind are drawn (tests, benchmarks)."""
        return {
            "neurons": sum(len(g.neurons) for g in self.groups.values()),
            "blocks": sum(g.block is not None for g in self.groups.values()),
            "weight_lines": sum(len(g.items) for g in self.line_groups if g.kind == "full"),
            "summary_lines": sum(len(g.items) for g in self.line_groups if g.kind != "full"),
            "connectors": len(self.connectors),
            "items": len(self.scene().items()),
        }

    def set_project(self, project, run="last", n_features: int | None = None,
                    n_outputs: int | None = None) -> None:
        """Draw ``project``'s network with the weights of ``run`` (default: its last run;
        None: no weights).  See :func:`network_from_project`."""
        net = network_from_project(project, run, n_features, n_outputs)
        self.set_network(net["layers"], net["edges"], net["weights"], types=net["types"],
                         captions=net["captions"])

    # -- building -------------------------------------------------------------------------
    def _clear(self) -> None:
        self.scene().clear()
        self.groups, self.line_groups, self.connectors, self.legend = {}, [], [], None
        self._biases: dict[str, np.ndarray] = {}

    def _layout(self, entries, edges, captions) -> None:
        ids = [e[0] for e in entries]
        order = _topological(ids, edges)
        position = {n: k for k, n in enumerate(order)}
        outgoing: dict[str, list[str]] = {n: [] for n in ids}
        for s, t in edges:
            if position[t] > position[s]:  # a loop's back edge sets no column
                outgoing[s].append(t)
        depth = {n: 0 for n in ids}
        for n in order:
            for t in outgoing[n]:
                depth[t] = max(depth[t], depth[n] + 1)
        columns: dict[int, list] = {}
        for n in order:
            columns.setdefault(depth[n], []).append(n)
        info = {e[0]: e for e in entries}
        bold = QFont(self.font())
        bold.setBold(True)
        small = QFont(self.font())
        small.setPointSizeF(max(6.0, self.font().pointSizeF() * 0.85))
        for col, members in sorted(columns.items()):
            x = col * COLUMN
            heights = []
            for n in members:
                units = info[n][1]
                expanded = units is not None and 0 < units <= MAX_UNITS
                heights.append((units * SPACING if expanded else BLOCK_H) + HEADER)
            total = sum(heights) + GROUP_GAP * (len(members) - 1)
            y = -total / 2
            for n, h in zip(members, heights):
                _, units, layer_type = info[n]
                expanded = units is not None and 0 < units <= MAX_UNITS
                group = _Group(n, units, layer_type, x, y + HEADER, expanded)
                self.groups[n] = group
                self._draw_title(group, captions.get(n), bold, small)
                if expanded:
                    self._draw_neurons(group)
                else:
                    self._draw_block(group, small)
                y += h + GROUP_GAP

    def _draw_title(self, group: _Group, caption, bold: QFont, small: QFont) -> None:
        scene = self.scene()
        title = QGraphicsSimpleTextItem(group.node_id)
        title.setFont(bold)
        title.setBrush(self._text)
        sub = QGraphicsSimpleTextItem(caption or self._caption(group))
        sub.setFont(small)
        sub.setBrush(_mix(self._text, self._base, 0.35))
        for item, dy in ((title, HEADER - 36), (sub, HEADER - 19)):
            rect = item.boundingRect()
            item.setPos(group.x - rect.width() / 2, group.top - HEADER + dy)
            scene.addItem(item)

    @staticmethod
    def _caption(group: _Group) -> str:
        units = "?" if group.units is None else str(group.units)
        return f"{group.layer_type} \u00b7 {units}"

    def _draw_neurons(self, group: _Group) -> None:
        kind = group.layer_type
        border = QPen(_mix(self._text, self._base, 0.25), 2.0 if kind == "input" else 1.4)
        fill = QBrush(_mix(self._text, self._base, 0.88) if kind == "input" else self._base)
        for i in range(group.units):
            c = group.centre(i)
            item = QGraphicsEllipseItem(c.x() - RADIUS, c.y() - RADIUS, 2 * RADIUS, 2 * RADIUS)
            item.setPen(border)
            item.setBrush(fill)
            item.setZValue(2)
            item.setData(1, fill)
            item.setData(2, ("neuron", group.node_id, i))
            self.scene().addItem(item)
            group.neurons.append(item)

    def _draw_block(self, group: _Group, small: QFont) -> None:
        rect = QRectF(group.x - BLOCK_W / 2, group.top, BLOCK_W, BLOCK_H)
        path = QPainterPath()
        path.addRoundedRect(rect, 10, 10)
        r = 5.0
        for k in range(3):  # a few neurons at each end, the rest elided
            for cy in (group.top + 16 + 14 * k, group.top + BLOCK_H - 16 - 14 * k):
                path.addEllipse(QPointF(group.x, cy), r, r)
        item = QGraphicsPathItem(path)
        item.setPen(QPen(_mix(self._text, self._base, 0.3), 1.4))
        item.setBrush(QBrush(_mix(self._text, self._base, 0.9)))
        item.setZValue(2)
        units = "?" if group.units is None else str(group.units)
        item.setToolTip(self.tr("{0}: {1} units, too many to draw one by one").format(
            group.node_id, units))
        self.scene().addItem(item)
        group.block = item
        dots = QGraphicsSimpleTextItem("\u22ee")
        dots.setFont(QFont(self.font().family(), 18))
        dots.setBrush(_mix(self._text, self._base, 0.3))
        b = dots.boundingRect()
        dots.setPos(group.x - b.width() / 2, group.top + BLOCK_H / 2 - b.height() / 2)
        dots.setZValue(3)
        self.scene().addItem(dots)
        label = QGraphicsSimpleTextItem(self.tr("\u2026 {0} units").format(units))
        label.setFont(small)
        label.setBrush(self._text)
        b = label.boundingRect()
        label.setPos(group.x - b.width() / 2, group.top + BLOCK_H + 4)
        self.scene().addItem(label)

    def _draw_edges(self, edges, info) -> None:
        budget = MAX_WEIGHT_LINES
        for s, t in edges:
            src, dst = self.groups[s], self.groups[t]
            if dst.layer_type == "dense":
                budget -= self._draw_dense(src, dst, budget)
            else:
                self._draw_connector(src, dst, edges)

    def _line(self, a: QPointF, b: QPointF, data=None) -> QGraphicsLineItem:
        item = QGraphicsLineItem(a.x(), a.y(), b.x(), b.y())
        item.setZValue(1)
        item.setData(0, data)
        self.scene().addItem(item)
        return item

    def _draw_dense(self, src: _Group, dst: _Group, budget: int) -> int:
        """Lines of the dense connection ``src -> dst``; returns how many weight lines."""
        if src.units is None or dst.units is None:
            return 0
        group = _LineGroup(src.node_id, dst.node_id, f"{dst.node_id}.weight",
                           (dst.units, src.units), "all")
        both = src.expanded and dst.expanded
        if both and src.units * dst.units <= budget:
            group.kind = "full"
            for j in range(dst.units):
                b = dst.port(j, right=False)
                for i in range(src.units):
                    group.items.append(self._line(src.port(i, right=True), b, (j, i)))
        elif dst.expanded:
            group.kind = "rows"
            for j in range(dst.units):
                # from the block's side, or (too many lines to draw) from the column's middle
                a = (src.block_port(j, dst.units, True) if not src.expanded
                     else QPointF(src.x + RADIUS, src.top + src.height / 2))
                group.items.append(self._line(a, dst.port(j, right=False), (j,)))
        elif src.expanded:
            group.kind = "cols"
            for i in range(src.units):
                group.items.append(self._line(src.port(i, right=True),
                                              dst.block_port(i, src.units, False), (i,)))
        else:
            group.items.append(self._line(QPointF(src.x + BLOCK_W / 2, src.top + BLOCK_H / 2),
                                          QPointF(dst.x - BLOCK_W / 2, dst.top + BLOCK_H / 2),
                                          ()))
        for item in group.items:
            item.setData(2, ("line", len(self.line_groups)))
        self.line_groups.append(group)
        return len(group.items) if group.kind == "full" else 0

    def _draw_connector(self, src: _Group, dst: _Group, edges) -> None:
        """Grey dashed unit-to-unit lines of a connection without weights; a connection
        that skips columns arcs over them, so it never hides behind the layers between."""
        offset = 0
        if dst.layer_type == "concatenate":
            for s, t in edges:
                if t != dst.node_id:
                    continue
                if s == src.node_id:
                    break
                offset += self.groups[s].units or 0
        # the layers (with their titles) between the two columns, which an arc must clear
        between = [g.top - HEADER for g in self.groups.values() if src.x < g.x < dst.x]
        clear = min(between) - 12 if between else None
        bottom = src.top + src.height
        if src.expanded and dst.expanded and src.units is not None:
            pen = QPen(_with_alpha(NEUTRAL_COLOR, 120), 1.0, Qt.PenStyle.DashLine)
            for i in range(src.units):
                if i + offset < dst.units:
                    a = src.port(i, True)
                    peak = None if clear is None else clear - 0.4 * (bottom - a.y())
                    self._connector(a, dst.port(i + offset, False), peak, pen)
            return
        a = QPointF(src.x + (RADIUS if src.expanded else BLOCK_W / 2), src.top + src.height / 2)
        b = QPointF(dst.x - (RADIUS if dst.expanded else BLOCK_W / 2), dst.top + dst.height / 2)
        self._connector(a, b, clear, QPen(_with_alpha(NEUTRAL_COLOR, 120), 3.0,
                                          Qt.PenStyle.DashLine))

    def _connector(self, a: QPointF, b: QPointF, peak: float | None, pen: QPen) -> None:
        """A straight line, or an arc whose highest point is ``peak``."""
        path = QPainterPath(a)
        if peak is not None:
            peak = min(peak, a.y(), b.y())
            # a cubic with both control points at height c peaks at (a + b + 6 c) / 8
            c = (8 * peak - a.y() - b.y()) / 6
            span = b.x() - a.x()
            path.cubicTo(QPointF(a.x() + span * 0.2, c), QPointF(b.x() - span * 0.2, c), b)
        else:
            path.lineTo(b)
        item = QGraphicsPathItem(path)
        item.setPen(pen)
        item.setZValue(0.5)
        self.scene().addItem(item)
        self.connectors.append(item)

    def _draw_legend(self, trained: bool | None = None) -> None:
        if self.legend is None:
            self.legend = QGraphicsTextItem()
            self.legend.setDefaultTextColor(_mix(self._text, self._base, 0.2))
            self.scene().addItem(self.legend)
        if trained:
            html = self.tr(
                "<span style='color:{0}'>\u25a0 positive weight</span> &nbsp; "
                "<span style='color:{1}'>\u25a0 negative weight</span> &nbsp; "
                "thicker: larger |w| &nbsp; fill: bias").format(
                POSITIVE_COLOR.name(), NEGATIVE_COLOR.name())
        else:
            html = self.tr("Grey: no weights yet. Train the network to see them "
                           "(<span style='color:{0}'>blue</span> positive, "
                           "<span style='color:{1}'>orange</span> negative).").format(
                POSITIVE_COLOR.name(), NEGATIVE_COLOR.name())
        self.legend.setHtml(html)
        bottom = max((g.top + g.height + (24 if not g.expanded else 0)
                      for g in self.groups.values()), default=0.0)
        left = min((g.x for g in self.groups.values()), default=0.0) - 30
        self.legend.setPos(left, bottom + 14)

    # -- colours ----------------------------------------------------------------------------
    @staticmethod
    def _pen(sign: int, level: int) -> QPen:
        """Sign 0: grey (no weights); else the sign's colour with ``level`` / 230 of the
        full thickness and opacity (``|w|`` relative to the largest shown)."""
        if not sign:
            pen = QPen(_with_alpha(NEUTRAL_COLOR, 130), 0.8)
        else:
            share = level / 230
            colour = POSITIVE_COLOR if sign > 0 else NEGATIVE_COLOR
            pen = QPen(_with_alpha(colour, 25 + level), 0.4 + 4.6 * share)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        return pen

    def tooltip_for(self, item) -> str:
        """The tooltip of a neuron, block or weight line (computed when asked, so that
        re-colouring thousands of lines does not format thousands of texts)."""
        key = item.data(2) if item is not None else None
        if not key:
            return item.toolTip() if item is not None else ""
        if key[0] == "line":
            group = self.line_groups[key[1]]
            index = item.data(0)
            values = getattr(group, "values", None)
            if values is None:
                return self._line_tip(group, index, None)
            k = (index[0] * group.shape[1] + index[1]) if group.kind == "full" else \
                (index[0] if index else 0)
            return self._line_tip(group, index, float(values[0][k]), float(values[1][k]))
        node_id, i = key[1], key[2]
        tip = self.tr("{0} \u00b7 unit {1}").format(node_id, i)
        b = self._biases.get(node_id)
        if b is not None:
            tip += self.tr("\nbias {0:.4g}").format(float(b[i]))
        return tip

    def viewportEvent(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            item = self.itemAt(event.pos())
            tip = self.tooltip_for(item)
            if tip:
                QToolTip.showText(event.globalPos(), tip, self.viewport())
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().viewportEvent(event)

    def _line_tip(self, group: _LineGroup, index, value, strength=None) -> str:
        if group.kind == "full":
            j, i = index
            where = f"{group.src}[{i}] \u2192 {group.dst}[{j}]"
        elif group.kind == "rows":
            where = f"{group.src} \u2192 {group.dst}[{index[0]}]"
        elif group.kind == "cols":
            where = f"{group.src}[{index[0]}] \u2192 {group.dst}"
        else:
            where = f"{group.src} \u2192 {group.dst} ({group.shape[1]}\u00d7{group.shape[0]})"
        if value is None:
            return self.tr("{0}: no weights yet").format(where)
        if group.kind == "full":
            return f"{where}: w = {value:.4g}"
        return self.tr("{0}: mean w = {1:.3g}, rms {2:.3g}").format(where, value, strength)

    def _colour_biases(self, weights: dict) -> None:
        biases = {}
        for node_id, group in self.groups.items():
            b = weights.get(f"{node_id}.bias")
            if group.expanded and group.layer_type == "dense" and b is not None:
                b = np.asarray(b, dtype=np.float64)
                if b.shape == (group.units,):
                    biases[node_id] = np.where(np.isfinite(b), b, 0.0)
        self._biases = biases
        top = max((float(np.abs(b).max(initial=0.0)) for b in biases.values()), default=0.0)
        for node_id, group in self.groups.items():
            b = biases.get(node_id)
            for i, item in enumerate(group.neurons):
                if b is None or top <= 0:
                    item.setBrush(item.data(1))
                else:
                    colour = POSITIVE_COLOR if b[i] >= 0 else NEGATIVE_COLOR
                    share = abs(b[i]) / top
                    item.setBrush(QBrush(_mix(colour, self._base, 1.0 - 0.75 * share)))

    # -- view -------------------------------------------------------------------------------
    def _fit(self) -> None:
        rect = self.sceneRect()
        if rect.isEmpty():
            return
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        scale = self.transform().m11()
        if scale > 1.5:  # a tiny net in a big window: do not blow the circles up
            self.resetTransform()
            self.scale(1.5, 1.5)
            self.centerOn(rect.center())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._auto_fit:
            self._fit()

    def wheelEvent(self, event) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            factor = 1.0015 ** event.angleDelta().y()
            self.scale(factor, factor)
            self._auto_fit = False
            event.accept()
        else:
            super().wheelEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        self._auto_fit = True
        self._fit()
        super().mouseDoubleClickEvent(event)


def _with_alpha(colour: QColor, alpha: int) -> QColor:
    c = QColor(colour)
    c.setAlpha(max(0, min(255, alpha)))
    return c


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    """``a`` blended towards ``b`` by ``t`` (0: a, 1: b)."""
    return QColor(round(a.red() + (b.red() - a.red()) * t),
                  round(a.green() + (b.green() - a.green()) * t),
                  round(a.blue() + (b.blue() - a.blue()) * t))


# -- from a project ---------------------------------------------------------------------------
def network_from_project(project, run="last", n_features: int | None = None,
                         n_outputs: int | None = None) -> dict:
    """What :meth:`NeuronView.set_network` needs to draw ``project``'s network.

    Parameters
    ----------
    project : nnstudio.document.model.Project
    run : Run or "last" or None
        Whose weights to show ("last": the project's last run, if any).
    n_features, n_outputs : int, optional
        Units of an input layer without ``units`` and of an output layer with ``"auto"``;
        default: those the run was trained with, else read from its weights' shapes.

    Returns
    -------
    dict
        ``layers`` [(id, units, type)], ``edges`` [(source, target)], ``types``,
        ``captions`` and ``weights`` (the run's, or None).  Units that cannot be known
        are None (drawn as "? units").
    """
    if run == "last":
        run = project.runs[-1] if project.runs else None
    weights = getattr(run, "weights", None) if run is not None else None
    settings = getattr(run, "settings", None) or {}
    n_features = n_features or settings.get("n_features")
    n_outputs = n_outputs or settings.get("n_outputs")
    nodes = project.nodes
    edges = [(s, t) for s, t in project.edges if s in nodes and t in nodes]
    inputs: dict[str, list[str]] = {n: [] for n in nodes}
    for s, t in edges:
        inputs[t].append(s)

    def weight_shape(node_id):
        w = (weights or {}).get(f"{node_id}.weight")
        return None if w is None or np.ndim(w) != 2 else np.shape(w)

    units: dict[str, int | None] = {}
    captions: dict[str, str] = {}
    for nid in _topological(list(nodes), edges):
        node = nodes[nid]
        config = node.config
        value = None
        try:
            layer = layer_registry.get({"name": node.type, **config})
        except Exception:  # noqa: BLE001 - a config the spec check reports on the canvas
            layer = None
        if node.type == "input":
            value = config.get("units") or n_features
            if value is None:  # from the weights of a dense layer it feeds
                for s, t in edges:
                    if s == nid and weight_shape(t) is not None:
                        value = weight_shape(t)[1]
                        break
        elif layer is not None and layer.sized_by_config:
            value = config.get("units", layer_registry.LAYERS.parameters(node.type).get(
                "units"))
            if value == "auto":
                shape = weight_shape(nid)
                value = n_outputs or (shape[0] if shape else None)
        elif layer is not None:
            ins = [units.get(s) for s in inputs[nid]]
            if ins and all(isinstance(u, int) for u in ins):
                try:
                    value = layer.output_units(ins)
                except Exception:  # noqa: BLE001 - a shape mismatch
                    value = None
        units[nid] = int(value) if isinstance(value, (int, np.integer)) else None
        shown = "?" if units[nid] is None else str(units[nid])
        activation = config.get("activation") if "activation" in \
            layer_registry.LAYERS.parameters(node.type) else None
        if layer is not None and getattr(layer, "activation", None) is not None:
            activation = layer.activation.name
        captions[nid] = " \u00b7 ".join(
            p for p in (node.type, shown, activation if isinstance(activation, str) else None)
            if p)
    return {"layers": [(nid, units[nid], nodes[nid].type) for nid in nodes],
            "edges": edges,
            "types": {nid: node.type for nid, node in nodes.items()},
            "captions": captions,
            "weights": weights}


class NeuronPanel(QWidget):
    """The neuron view of a session's document, redrawn when the network or its runs
    change (coalesced, and only while visible); a run's weights re-colour it in place.

    Parameters
    ----------
    session : nnstudio.session.Session
    data_shape : callable, optional
        Returns ``(n_features, n_outputs)`` of the current data (or Nones), for networks
        that have not been trained yet.
    """

    def __init__(self, session, data_shape=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("neuronPanel")
        self.session = session
        self.data_shape = data_shape
        self.view = NeuronView(self)
        self.note = QLabel(self)
        self.note.setObjectName("neuronPanelNote")
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.note)
        self._structure = None
        self._dirty = True
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(60)
        self._timer.timeout.connect(self.refresh)
        holder: list = []
        self._holder = holder
        self.destroyed.connect(lambda *_a, h=holder: h and h[0]())
        self._unsubscribe = None
        session.documentReplaced.connect(self.attach)
        self.attach()

    def attach(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
        self._unsubscribe = self.session.project.subscribe(self._on_change)
        self._holder[:] = [self._unsubscribe]
        self._schedule()

    def _on_change(self, change) -> None:
        # the loss (a training setting) can change the output units: only moves are ignored
        if change.kind != "node_moved":
            self._schedule()

    def _schedule(self) -> None:
        self._dirty = True
        if self.isVisible():
            self._timer.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._dirty:
            self._timer.start()

    def refresh(self) -> None:
        """Redraw now (re-colour only, when just the weights changed)."""
        self._dirty = False
        shape = self.data_shape() if self.data_shape else (None, None)
        net = network_from_project(self.session.project, "last", *(shape or (None, None)))
        structure = (net["layers"], net["edges"], net["captions"])
        if structure == self._structure:
            self.view.update_weights(net["weights"])
        else:
            self._structure = structure
            self.view.set_network(net["layers"], net["edges"], net["weights"],
                                  types=net["types"], captions=net["captions"])
        widest = max((u or 0 for _, u, _ in net["layers"]), default=0)
        self.note.setText(self.tr(
            "Layers wider than {0} units are drawn as blocks; their weights are summarized."
        ).format(MAX_UNITS) if widest > MAX_UNITS else "")
        self.note.setVisible(widest > MAX_UNITS)
