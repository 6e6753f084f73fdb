"""The network canvas: a QGraphicsScene that mirrors the document's graph.

Items hold no state of their own beyond what is drawn: they are rebuilt or updated from the
document on every change notification.  A drag moves the items freely and pushes one
``MoveNodes`` command when the mouse is released.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QApplication, QGraphicsItem, QGraphicsObject, QGraphicsScene

from engine import layers as layer_registry
from nnstudio.document.model import Change, Project

NODE_W, NODE_H = 176.0, 72.0

# Colours per role: input, hidden, output (distinct in light and dark palettes).
ROLE_COLOURS = {"input": QColor("#3b82c4"), "hidden": QColor("#6b7c93"),
                "output": QColor("#d9822b")}


def _role(project: Project, node_id: str) -> str:
    node = project.nodes[node_id]
    if node.type == "input":
        return "input"
    if not any(src == node_id for src, _ in project.edges):
        return "output"
    return "hidden"


class NodeItem(QGraphicsObject):
    """One layer: type, units and activation, coloured by its role."""

    def __init__(self, scene: "NetworkScene", node_id: str):
        super().__init__()
        self.network_scene = scene
        self.node_id = node_id
        self.lines: list[str] = []
        self.role = "hidden"
        self.problem = ""
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setAcceptHoverEvents(True)
        self.setZValue(1)

    def boundingRect(self) -> QRectF:
        return QRectF(-2, -2, NODE_W + 4, NODE_H + 4)

    def update_from(self, project: Project, units: int | None) -> None:
        node = project.nodes[self.node_id]
        self.role = _role(project, self.node_id)
        config = node.config
        shown = config.get("units", 8)
        if node.type == "input":
            size = f"{units} features" if units else "features from data"
        elif shown == "auto":
            size = f"auto: {units} units" if units else "auto units"
        else:
            size = f"{units} units" if units else ""
        activation = config.get("activation")
        if isinstance(activation, dict):
            activation = activation.get("name", "?")
        extra = activation or (f"rate {config['rate']}" if "rate" in config else "")
        self.lines = [node.id, f"{node.type} · {size}".strip(" ·"), extra or ""]
        self.setPos(QPointF(*node.position))
        self.setToolTip(self.problem or layer_registry.LAYERS.cls(node.type).help)
        self.update()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        palette = QApplication.palette()
        colour = ROLE_COLOURS[self.role]
        rect = QRectF(0, 0, NODE_W, NODE_H)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        fill = QColor(palette.color(QPalette.ColorRole.Base))
        painter.setBrush(QBrush(fill))
        pen = QPen(colour, 2.5 if self.isSelected() else 1.5)
        if self.problem:
            pen = QPen(QColor("#d13438"), 2.5, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawRoundedRect(rect, 8, 8)
        band = QPainterPath()
        band.addRoundedRect(QRectF(0, 0, 8, NODE_H), 4, 4)
        painter.fillPath(band, colour)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        font = QFont(painter.font())
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(QRectF(16, 6, NODE_W - 22, 20), Qt.AlignmentFlag.AlignLeft,
                         self.lines[0] if self.lines else "")
        font.setBold(False)
        painter.setFont(font)
        for row, text in enumerate(self.lines[1:3]):
            painter.drawText(QRectF(16, 28 + 20 * row, NODE_W - 22, 20),
                             Qt.AlignmentFlag.AlignLeft, text)
        if self.isSelected():
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 1,
                                Qt.PenStyle.DotLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(-3, -3, 3, 3), 10, 10)

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            self.network_scene.node_moved(self.node_id)
        return super().itemChange(change, value)

    def mousePressEvent(self, event):
        self.network_scene.begin_drag()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event):
        super().mouseReleaseEvent(event)
        self.network_scene.end_drag()

    def out_port(self) -> QPointF:
        return self.pos() + QPointF(NODE_W, NODE_H / 2)

    def in_port(self) -> QPointF:
        return self.pos() + QPointF(0, NODE_H / 2)


class EdgeItem(QGraphicsItem):
    """A connection drawn as a curve from the source's right side to the target's left."""

    def __init__(self, source: NodeItem, target: NodeItem):
        super().__init__()
        self.source, self.target = source, target
        self.setZValue(0)
        self._path = QPainterPath()
        self.adjust()

    def adjust(self) -> None:
        self.prepareGeometryChange()
        a, b = self.source.out_port(), self.target.in_port()
        dx = max(40.0, abs(b.x() - a.x()) / 2)
        path = QPainterPath(a)
        path.cubicTo(a + QPointF(dx, 0), b - QPointF(dx, 0), b)
        self._path = path

    def boundingRect(self) -> QRectF:
        return self._path.boundingRect().adjusted(-6, -6, 6, 6)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = QApplication.palette().color(QPalette.ColorRole.Text)
        colour.setAlpha(150)
        painter.setPen(QPen(colour, 1.6))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)
        end = self._path.pointAtPercent(1.0)
        painter.setBrush(colour)
        arrow = QPainterPath(end)
        arrow.lineTo(end + QPointF(-8, -4))
        arrow.lineTo(end + QPointF(-8, 4))
        arrow.closeSubpath()
        painter.drawPath(arrow)


class NetworkScene(QGraphicsScene):
    """Mirrors a Project's network; emits ``movedNodes(old, new)`` after a drag.

    Signals
    -------
    nodesMoved(dict, dict)
        ``{id: (x, y)}`` before and after a drag, emitted once on mouse release.
    """

    nodesMoved = Signal(dict, dict)

    def __init__(self, project: Project, parent=None):
        super().__init__(parent)
        self.project = project
        self.node_items: dict[str, NodeItem] = {}
        self.edge_items: dict[tuple[str, str], EdgeItem] = {}
        self.units: dict[str, int | None] = {}
        self.problems: dict[str, str] = {}
        self._drag_start: dict[str, tuple[float, float]] | None = None
        self._unsubscribe = project.subscribe(self._on_change)
        self.rebuild()

    def detach(self) -> None:
        self._unsubscribe()

    # -- mirroring the document -------------------------------------------------------------
    def _on_change(self, change: Change) -> None:
        if change.kind in ("node_moved",):
            for nid in change.ids:
                item = self.node_items.get(nid)
                if item is not None and self._drag_start is None:
                    item.setPos(QPointF(*self.project.nodes[nid].position))
            return
        if change.kind in ("training", "runs"):
            return
        self.rebuild()

    def set_units(self, units: dict[str, int | None], problems: dict[str, str]) -> None:
        """Sizes and problems found by the spec check (shown on the nodes)."""
        self.units, self.problems = dict(units), dict(problems)
        for nid, item in self.node_items.items():
            item.problem = self.problems.get(nid, "")
            item.update_from(self.project, self.units.get(nid))

    def rebuild(self) -> None:
        selected = {i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)}
        for item in list(self.edge_items.values()):
            self.removeItem(item)
        self.edge_items.clear()
        for nid in list(self.node_items):
            if nid not in self.project.nodes:
                self.removeItem(self.node_items.pop(nid))
        for nid in self.project.nodes:
            item = self.node_items.get(nid)
            if item is None:
                item = self.node_items[nid] = NodeItem(self, nid)
                self.addItem(item)
            item.problem = self.problems.get(nid, "")
            item.update_from(self.project, self.units.get(nid))
            item.setSelected(nid in selected)
        for src, dst in self.project.edges:
            edge = EdgeItem(self.node_items[src], self.node_items[dst])
            self.edge_items[(src, dst)] = edge
            self.addItem(edge)

    def node_moved(self, node_id: str) -> None:
        for (src, dst), edge in self.edge_items.items():
            if node_id in (src, dst):
                edge.adjust()

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
        if moved_new:
            self.nodesMoved.emit(moved_old, moved_new)

    def selected_ids(self) -> list[str]:
        return [i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)]
