"""The graphics items of the network canvas: layer nodes, their ports, connections, and the
transient rubber line and hint shown while a connection is dragged.

Items draw what the scene tells them (``NodeItem.display``) and keep no document state of
their own, nor references back to the scene: a scene <-> item cycle would leave the scene, and
the session whose ``push`` it holds, to the garbage collector's order of destruction, and a
QUndoStack destroyed that way after its commands' wrappers crashes in ``clear()``.  Nodes are
cached as device pixmaps, so a drag only blits them and redraws the few edges attached to the
moved nodes.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QCoreApplication, QPointF, QRectF, Qt
from PySide6.QtGui import (QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath,
                           QPainterPathStroker, QPalette, QPen)
from PySide6.QtWidgets import QApplication, QGraphicsItem, QGraphicsObject, QStyle

from engine import activations

NODE_W, NODE_H = 150.0, 92.0
PORT_R = 6.0  # drawn radius; the port reacts within PORT_HIT
PORT_HIT = 11.0
GLYPH_W, GLYPH_H = 26.0, 14.0

# Colours per role: input, hidden, output (distinct in light and dark palettes, and told
# apart by more than hue: the band's width and the role word in the tooltip).
ROLE_COLOURS = {"input": QColor("#3b82c4"), "hidden": QColor("#6b7c93"),
                "output": QColor("#d9822b")}
SEVERITY_COLOURS = {"error": QColor("#d13438"), "warning": QColor("#c48a00")}
GOOD = QColor("#2e9d5b")
BAD = QColor("#d13438")


def _tr(text: str) -> str:
    return QCoreApplication.translate("canvas", text)


def _palette() -> QPalette:
    return QApplication.palette()


def _muted(palette: QPalette) -> QColor:
    colour = QColor(palette.color(QPalette.ColorRole.Text))
    colour.setAlpha(150)
    return colour


# -- activation glyphs ------------------------------------------------------------------------
_glyphs: dict[str, QPainterPath | None] = {}


def activation_glyph(name: str) -> QPainterPath | None:
    """The curve of activation ``name`` over -3..3, from the engine's own ``forward``, as a
    path filling a GLYPH_W x GLYPH_H box (y grows downwards); None for an unknown name."""
    if name in _glyphs:
        return _glyphs[name]
    try:
        fn = activations.get(name)
    except (ValueError, TypeError, KeyError):
        _glyphs[name] = None
        return None
    z = np.linspace(-3.0, 3.0, 61).reshape(1, -1)  # one row: softmax normalizes along it
    y = np.asarray(fn.forward(z), dtype=np.float64).ravel()
    if not np.all(np.isfinite(y)):
        _glyphs[name] = None
        return None
    low, high = float(y.min()), float(y.max())
    span = high - low if high - low > 1e-9 else 1.0
    path = QPainterPath()
    for i, (zi, yi) in enumerate(zip(z.ravel(), y)):
        point = QPointF((zi + 3.0) / 6.0 * GLYPH_W, GLYPH_H - (yi - low) / span * GLYPH_H)
        if i == 0:
            path.moveTo(point)
        else:
            path.lineTo(point)
    _glyphs[name] = path
    return path


def activation_name(config: dict) -> str | None:
    value = config.get("activation")
    if isinstance(value, dict):
        value = value.get("name")
    return value if isinstance(value, str) else None


# -- fonts (made on first use: a QFont needs the application) ---------------------------------
_fonts: dict[str, QFont] = {}


def _font(kind: str) -> QFont:
    font = _fonts.get(kind)
    if font is None:
        font = QFont(QApplication.font())
        size = font.pointSizeF() if font.pointSizeF() > 0 else 9.0
        if kind == "title":
            font.setBold(True)
            font.setPointSizeF(size)
        elif kind == "small":
            font.setPointSizeF(max(6.5, size - 1.5))
        _fonts[kind] = font
    return font


def forget_fonts() -> None:
    """Make the fonts anew from the application's font (after it changed)."""
    _fonts.clear()


def _elided(font: QFont, text: str, width: float) -> str:
    return QFontMetricsF(font).elidedText(text, Qt.TextElideMode.ElideRight, width)


# -- ports ------------------------------------------------------------------------------------
class PortItem(QGraphicsItem):
    """A node's input (left) or output (right) port; dragging one draws a connection.

    The port is the hit area and the mouse handling; its node draws it (into the node's
    cached pixmap), so a repaint of the canvas costs no Python call per port."""

    def __init__(self, node: "NodeItem", side: str):
        super().__init__(node)
        self.side = side
        self.highlight: QColor | None = None
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setZValue(2)
        self.setPos(QPointF(NODE_W if side == "out" else 0.0, NODE_H / 2))
        self.setToolTip(_tr("Drag to another layer's input to connect") if side == "out"
                        else _tr("Drag to another layer's output to connect"))
        self._hover = False

    @property
    def node(self) -> "NodeItem":
        return self.parentItem()  # not kept as an attribute: no reference cycle

    def boundingRect(self) -> QRectF:
        return QRectF(-PORT_HIT, -PORT_HIT, 2 * PORT_HIT, 2 * PORT_HIT)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addEllipse(self.boundingRect())
        return path

    def set_highlight(self, colour: QColor | None) -> None:
        if colour != self.highlight:
            self.highlight = colour
            self.node.update()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        pass  # drawn by the node (draw_on)

    def draw_on(self, painter: QPainter, role: str, base: QColor) -> None:
        colour = self.highlight or ROLE_COLOURS.get(role, ROLE_COLOURS["hidden"])
        radius = PORT_R + (2.0 if self._hover or self.highlight is not None else 0.0)
        painter.setPen(QPen(colour, 2.0))
        painter.setBrush(QBrush(base if self.side == "in" else colour))
        painter.drawEllipse(self.pos(), radius, radius)

    def hoverEnterEvent(self, event):
        self._hover = True
        self.node.update()

    def hoverLeaveEvent(self, event):
        self._hover = False
        self.node.update()

    def mousePressEvent(self, event):
        if event.button() != Qt.MouseButton.LeftButton:
            event.ignore()
            return
        event.accept()
        self.scene().start_connection(self.node.node_id, self.side, event.scenePos())

    def mouseMoveEvent(self, event):
        self.scene().drag_connection(event.scenePos())

    def mouseReleaseEvent(self, event):
        self.scene().finish_connection(event.scenePos())


# -- nodes ------------------------------------------------------------------------------------
class NodeItem(QGraphicsObject):
    """One layer: id, type, size, activation glyph, output shape and parameter count, in a
    box coloured by its role (input, hidden, output) and marked when it has a problem."""

    def __init__(self, node_id: str):
        super().__init__()
        self.node_id = node_id
        self.role = "hidden"
        self.problem = ""
        self.severity = ""
        self._shown: tuple | None = None
        self._lines = ("", "", "", "", "", None)  # id, type, setting, size, shape, glyph
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(1)
        self.in_port = PortItem(self, "in")
        self.out_port = PortItem(self, "out")

    def boundingRect(self) -> QRectF:
        reach = PORT_R + 3.5  # the ports (drawn here) stick out left and right
        return QRectF(-reach, -16, NODE_W + 2 * reach, NODE_H + 20)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(QRectF(0, 0, NODE_W, NODE_H), 8, 8)
        return path

    def display(self, *, role: str, layer_type: str, size: str, setting: str,
                glyph: str | None, shape: str, params: int | None, problem: str,
                severity: str, help_text: str, position: tuple[float, float],
                has_input: bool) -> None:
        """Display these values; repaints only when something visible changed."""
        if self.pos() != QPointF(*position):
            self.setPos(QPointF(*position))
        state = (role, layer_type, size, setting, glyph, shape, params, problem, severity,
                 help_text, has_input)
        if state == self._shown:
            return
        self._shown = state
        self.role, self.problem, self.severity = role, problem, severity
        if params is None:
            bottom = shape
        else:
            count = _tr("{0} params").format(f"{params:,}")
            bottom = f"{shape} · {count}" if shape else count
        self._lines = (self.node_id, layer_type, setting, size, bottom, glyph)
        role_word = {"input": _tr("Input layer"), "output": _tr("Output layer"),
                     "hidden": _tr("Hidden layer")}[role]
        tip = f"<b>{self.node_id}</b> — {role_word} ({layer_type})<br>{help_text}"
        if problem:
            tip += f"<br><span style='color:{SEVERITY_COLOURS[severity or 'error'].name()}'>" \
                   f"{problem}</span>"
        self.setToolTip(tip)
        # a plain-text description for tests and accessibility tools
        parts = (role_word, layer_type, setting, size, bottom, problem)
        self.setData(0, " ".join(p for p in parts if p))
        self.in_port.setVisible(has_input)
        self.update()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        palette = _palette()
        colour = ROLE_COLOURS[self.role]
        rect = QRectF(0, 0, NODE_W, NODE_H)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        base = QColor(palette.color(QPalette.ColorRole.Base))
        tint = QColor(colour)
        fill = QColor.fromRgbF(base.redF() * 0.9 + tint.redF() * 0.1,
                               base.greenF() * 0.9 + tint.greenF() * 0.1,
                               base.blueF() * 0.9 + tint.blueF() * 0.1)
        if selected:
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2.0))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(-2.5, -2.5, 2.5, 2.5), 10, 10)
        painter.setBrush(QBrush(fill))
        if self.problem:
            pen = QPen(SEVERITY_COLOURS[self.severity or "error"], 2.0, Qt.PenStyle.DashLine)
        else:
            pen = QPen(colour, 2.0 if selected else 1.3)
        painter.setPen(pen)
        painter.drawRoundedRect(rect, 8, 8)
        band_w = 10.0 if self.role != "hidden" else 6.0
        band = QPainterPath()
        band.addRoundedRect(QRectF(0.6, 0.6, band_w + 6, NODE_H - 1.2), 7.5, 7.5)
        clip = QPainterPath()
        clip.addRect(QRectF(0, 0, band_w, NODE_H))
        painter.fillPath(band.intersected(clip), colour)
        for port in (self.in_port, self.out_port):
            if port.isVisible():
                port.draw_on(painter, self.role, base)
        if lod < 0.35:  # too small for the details: the id, large, and the problem mark
            if lod >= 0.1:
                font = QFont(_font("title"))
                font.setPointSizeF(font.pointSizeF() * min(2.6, 0.5 / lod))
                painter.setFont(font)
                painter.setPen(palette.color(QPalette.ColorRole.Text))
                inner = rect.adjusted(band_w + 4, 2, -4, -2)
                painter.drawText(inner, Qt.AlignmentFlag.AlignCenter,
                                 _elided(font, self._lines[0], inner.width()))
            self._draw_badge(painter, min(1.8, 0.5 / lod))
            return
        left = band_w + 7
        width = NODE_W - left - 7
        ident, layer_type, setting, size, bottom, glyph = self._lines
        text = palette.color(QPalette.ColorRole.Text)
        title, body, small = _font("title"), _font(""), _font("small")
        painter.setFont(small)
        type_w = min(QFontMetricsF(small).horizontalAdvance(layer_type) + 2, width * 0.45)
        painter.setPen(_muted(palette))
        painter.drawText(QRectF(left + width - type_w, 5, type_w, 18),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         layer_type)
        painter.setPen(text)
        painter.setFont(title)
        painter.drawText(QRectF(left, 5, width - type_w - 4, 18), Qt.AlignmentFlag.AlignVCenter,
                         _elided(title, ident, width - type_w - 4))
        x = left
        path = activation_glyph(glyph) if glyph else None
        if path is not None:
            box = QRectF(x, 28, GLYPH_W, GLYPH_H)
            axis = QColor(text)
            axis.setAlpha(55)
            painter.setPen(QPen(axis, 0.8))
            painter.drawLine(QPointF(box.center().x(), box.top() - 1),
                             QPointF(box.center().x(), box.bottom() + 1))
            painter.save()
            painter.translate(box.topLeft())
            painter.setPen(QPen(colour.darker(115), 1.7, Qt.PenStyle.SolidLine,
                                Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(path)
            painter.restore()
            x += GLYPH_W + 6
        painter.setPen(text)
        painter.setFont(body)
        y = 26.0
        if setting or path is not None:
            painter.drawText(QRectF(x, y, left + width - x, 18), Qt.AlignmentFlag.AlignVCenter,
                             _elided(body, setting, left + width - x))
            y += 21
        painter.drawText(QRectF(left, y, width, 18), Qt.AlignmentFlag.AlignVCenter,
                         _elided(body, size, width))
        painter.setPen(_muted(palette))
        painter.setFont(small)
        painter.drawText(QRectF(left, 68, width, 18), Qt.AlignmentFlag.AlignVCenter,
                         _elided(small, bottom, width))
        self._draw_badge(painter)

    def _draw_badge(self, painter: QPainter, scale: float = 1.0) -> None:
        """A round "!" at the top right corner of a layer with a problem."""
        if not self.problem:
            return
        badge = QColor(SEVERITY_COLOURS[self.severity or "error"])
        centre = QPointF(NODE_W - 4, -2)
        r = 7.5 * scale
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(badge)
        painter.drawEllipse(centre, r, r)
        painter.setPen(QPen(QColor("white"), 2.0 * scale, Qt.PenStyle.SolidLine,
                            Qt.PenCapStyle.RoundCap))
        painter.drawLine(centre + QPointF(0, -0.47 * r), centre + QPointF(0, 0.13 * r))
        painter.drawPoint(centre + QPointF(0, 0.53 * r))

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            scene = self.scene()
            if scene is not None:
                scene.node_moved(self.node_id)
        return super().itemChange(change, value)

    def mousePressEvent(self, event):
        if event.button() == Qt.MouseButton.LeftButton:
            self.scene().begin_drag()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event):
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self.scene().end_drag()

    def mouseDoubleClickEvent(self, event):
        self.scene().nodeActivated.emit(self.node_id)
        super().mouseDoubleClickEvent(event)

    def out_anchor(self) -> QPointF:
        return self.pos() + QPointF(NODE_W, NODE_H / 2)

    def in_anchor(self) -> QPointF:
        return self.pos() + QPointF(0, NODE_H / 2)


# -- connections ------------------------------------------------------------------------------
def connection_path(a: QPointF, b: QPointF) -> QPainterPath:
    """A horizontal S-curve from ``a`` (an output port) to ``b`` (an input port); a
    connection that runs backwards makes a short loop instead of swinging far out."""
    span = b.x() - a.x()
    dx = max(40.0, span / 2) if span >= 0 else min(160.0, 50.0 + abs(b.y() - a.y()) / 4)
    path = QPainterPath(a)
    path.cubicTo(a + QPointF(dx, 0), b - QPointF(dx, 0), b)
    return path


class EdgeItem(QGraphicsItem):
    """A connection from the source's output port to the target's input port; selectable
    (Delete disconnects it) and highlighted while a layer is dragged over it."""

    def __init__(self, source: NodeItem, target: NodeItem):
        super().__init__()
        self.source, self.target = source, target
        self.key = (source.node_id, target.node_id)
        self.hot = False
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        # drawn once into a pixmap, redrawn only when it moves or changes
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(0)
        self._path = QPainterPath()
        self._shape: QPainterPath | None = None
        self._rect = QRectF()
        self.adjust()

    def adjust(self) -> None:
        self.prepareGeometryChange()
        self._path = connection_path(self.source.out_anchor(), self.target.in_anchor())
        self._rect = self._path.controlPointRect().adjusted(-10, -10, 10, 10)
        self._shape = None

    def boundingRect(self) -> QRectF:
        return self._rect

    def shape(self) -> QPainterPath:
        if self._shape is None:  # made on demand: hit tests are rarer than moves
            stroker = QPainterPathStroker()
            stroker.setWidth(12.0)
            self._shape = stroker.createStroke(self._path)
        return self._shape

    def itemChange(self, change, value):
        # a connection is selected by clicking it, never by a rubber band drawn around
        # layers (Delete would then cut connections the person did not mean)
        if change == QGraphicsItem.GraphicsItemChange.ItemSelectedChange and value:
            scene = self.scene()
            if scene is not None and any(not v.rubberBandRect().isNull() for v in scene.views()):
                return False
        return super().itemChange(change, value)

    def set_hot(self, hot: bool) -> None:
        if hot != self.hot:
            self.hot = hot
            self.update()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        palette = _palette()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if self.hot or selected:
            colour = QColor(palette.color(QPalette.ColorRole.Highlight))
            width = 3.0
        else:
            colour = QColor(palette.color(QPalette.ColorRole.Text))
            colour.setAlpha(140)
            width = 1.6
        painter.setPen(QPen(colour, width))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)
        end = self._path.pointAtPercent(1.0)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        arrow = QPainterPath(end - QPointF(PORT_R, 0))
        arrow.lineTo(end + QPointF(-PORT_R - 8, -4.5))
        arrow.lineTo(end + QPointF(-PORT_R - 8, 4.5))
        arrow.closeSubpath()
        painter.drawPath(arrow)


class WireItem(QGraphicsItem):
    """The rubber connection drawn while a port is dragged: green-ish when the target under
    the cursor accepts it, red when it refuses, neutral over empty canvas."""

    def __init__(self):
        super().__init__()
        self.setZValue(3)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self._path = QPainterPath()
        self._rect = QRectF()
        self.state = "free"  # free | ok | refused

    def set_ends(self, a: QPointF, b: QPointF, state: str) -> None:
        self.prepareGeometryChange()
        self._path = connection_path(a, b)
        self._rect = self._path.controlPointRect().adjusted(-8, -8, 8, 8)
        self.state = state
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = {"ok": GOOD, "refused": BAD}.get(
            self.state, _palette().color(QPalette.ColorRole.Highlight))
        style = Qt.PenStyle.SolidLine if self.state == "ok" else Qt.PenStyle.DashLine
        painter.setPen(QPen(colour, 2.2, style, Qt.PenCapStyle.RoundCap))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)
        if self.state == "refused":  # a cross at the cursor end
            end = self._path.pointAtPercent(1.0)
            painter.setPen(QPen(colour, 2.5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            for dx, dy in ((5, 5), (5, -5)):
                painter.drawLine(end + QPointF(-dx, -dy), end + QPointF(dx, dy))


class HintItem(QGraphicsItem):
    """A short message beside the cursor (why a connection is refused); drawn at screen size
    whatever the zoom."""

    MAX_W = 300.0

    def __init__(self):
        super().__init__()
        self.setZValue(4)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.text = ""
        self._rect = QRectF()

    def set_text(self, text: str) -> None:
        self.prepareGeometryChange()
        self.text = text
        metrics = QFontMetricsF(_font("small"))
        box = metrics.boundingRect(QRectF(0, 0, self.MAX_W, 1000),
                                   int(Qt.TextFlag.TextWordWrap), text)
        self._rect = QRectF(16, 16, math.ceil(box.width()) + 14, math.ceil(box.height()) + 10)
        self.setVisible(bool(text))
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-1, -1, 1, 1)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if not self.text:
            return
        palette = _palette()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(BAD, 1.2))
        painter.setBrush(palette.color(QPalette.ColorRole.ToolTipBase))
        painter.drawRoundedRect(self._rect, 5, 5)
        painter.setPen(palette.color(QPalette.ColorRole.ToolTipText))
        painter.setFont(_font("small"))
        painter.drawText(self._rect.adjusted(7, 5, -7, -5), int(Qt.TextFlag.TextWordWrap),
                         self.text)
