"""The problems list: what the spec check found (errors first, then warnings), each with an
icon by severity; clicking one selects the layers it concerns on the canvas.

The panel only shows what it is given (``set_problems``) and reports clicks
(``nodesActivated``); the window connects it to the check and to the canvas.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from nnstudio.widgets import named

NODES_ROLE = Qt.ItemDataRole.UserRole
SEVERITY_ROLE = Qt.ItemDataRole.UserRole + 1
COLOURS = {"error": QColor("#d13438"), "warning": QColor("#c48a00"), "ok": QColor("#2e9d5b")}

_icons: dict[str, QIcon] = {}


def _draw(painter: QPainter, severity: str, size: float) -> None:
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    colour = COLOURS[severity]
    s = size
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    if severity == "warning":
        path = QPainterPath(QPointF(s / 2, s * 0.06))
        path.lineTo(QPointF(s * 0.97, s * 0.92))
        path.lineTo(QPointF(s * 0.03, s * 0.92))
        path.closeSubpath()
        painter.drawPath(path)
    else:
        painter.drawEllipse(QRectF(s * 0.04, s * 0.04, s * 0.92, s * 0.92))
    pen = QPen(QColor("white"), max(1.5, s * 0.13), Qt.PenStyle.SolidLine,
               Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    if severity == "ok":
        painter.drawPolyline([QPointF(s * 0.28, s * 0.52), QPointF(s * 0.44, s * 0.68),
                              QPointF(s * 0.72, s * 0.34)])
        return
    top = s * (0.36 if severity == "warning" else 0.25)
    painter.drawLine(QPointF(s / 2, top), QPointF(s / 2, s * 0.58))
    painter.drawPoint(QPointF(s / 2, s * (0.78 if severity == "warning" else 0.76)))


def severity_icon(severity: str) -> QIcon:
    """A drawn icon: red circle for errors, amber triangle for warnings, green tick for ok."""
    severity = severity if severity in COLOURS else "error"
    icon = _icons.get(severity)
    if icon is None:
        icon = QIcon()
        for size in (16, 24, 32, 48):
            pixmap = QPixmap(size, size)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            _draw(painter, severity, float(size))
            painter.end()
            icon.addPixmap(pixmap)
        _icons[severity] = icon
    return icon


class ProblemsPanel(QWidget):
    """Signals: ``nodesActivated(list)`` with the node ids of a clicked problem."""

    nodesActivated = Signal(list)

    def __init__(self, parent=None):
        super().__init__(parent)
        named(self, "problemsPanel", self.tr("Problems"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.counts = named(QLabel(), "problemsCount", self.tr("Problem count"))
        self.list = named(QListWidget(), "problemsList", self.tr("Problems in the network"),
                          self.tr("Click a problem to select the layers it concerns"))
        self.list.setWordWrap(True)
        self.list.setUniformItemSizes(False)
        layout.addWidget(self.counts)
        layout.addWidget(self.list, 1)
        self.list.itemClicked.connect(self._activated)
        self.list.itemActivated.connect(self._activated)
        self._shown: list | None = None
        self.set_problems([])

    def set_problems(self, problems) -> None:
        """Show ``problems`` (objects with ``message``, ``severity`` and ``nodes``, such as
        ``engine.spec`` errors and warnings): errors first, in the order found."""
        rows = [(getattr(p, "severity", "error"), getattr(p, "message", str(p)),
                 tuple(getattr(p, "nodes", ()))) for p in problems]
        rows.sort(key=lambda r: r[0] != "error")
        if rows == self._shown:
            return
        self._shown = rows
        self.list.clear()
        errors = sum(r[0] == "error" for r in rows)
        warnings = len(rows) - errors
        if not rows:
            item = QListWidgetItem(severity_icon("ok"),
                                   self.tr("No problems: the network is ready to train"))
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            item.setData(NODES_ROLE, [])
            item.setData(SEVERITY_ROLE, "ok")
            self.list.addItem(item)
            self.counts.setText(self.tr("No problems"))
            return
        self.counts.setText(self.tr("{0} error(s), {1} warning(s)").format(errors, warnings))
        for severity, message, nodes in rows:
            item = QListWidgetItem(severity_icon(severity), message)
            label = self.tr("Error") if severity == "error" else self.tr("Warning")
            tip = f"{label}: {message}"
            if nodes:
                tip += "\n" + self.tr("Click to select: {0}").format(", ".join(nodes))
            item.setToolTip(tip)
            item.setData(NODES_ROLE, list(nodes))
            item.setData(SEVERITY_ROLE, severity)
            self.list.addItem(item)

    def problem_count(self) -> int:
        return len(self._shown or [])

    def _activated(self, item: QListWidgetItem) -> None:
        nodes = item.data(NODES_ROLE) or []
        if nodes:
            self.nodesActivated.emit(list(nodes))
