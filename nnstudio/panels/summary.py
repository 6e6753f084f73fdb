"""The network summary, like Keras' ``model.summary()``: each layer with its type, output
shape and parameter count, and the totals -- computed by building the network with the
engine (``engine.network.build``), so the numbers are the ones training will use.

While the network cannot be built the panel says why instead.  ``show_network`` is cheap to
call on every change: it rebuilds only when the spec or the data's sizes changed (moving a
layer on the canvas changes neither), and then a moment later (``DELAY_MS``), once, after a
burst of edits -- or when the panel is next shown, if it is hidden.  Building a 200-layer
network takes tens of milliseconds, which an edit should not wait for.
"""

from __future__ import annotations

import json

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QAbstractButton, QAbstractItemView, QHeaderView, QLabel,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from engine import network as network_module
from nnstudio.widgets import named


def _count(n: int) -> str:
    return f"{n:,}"


def _bytes(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024
    return ""


class SummaryPanel(QWidget):
    """A table: layer, type, output shape, parameters; a total row; the reason when the
    network cannot be built."""

    COLUMNS = ("layer", "type", "shape", "params")
    DELAY_MS = 150

    def __init__(self, parent=None):
        super().__init__(parent)
        named(self, "summaryPanel", self.tr("Network summary"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.status = named(QLabel(), "summaryStatus", self.tr("Summary status"))
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = named(QTableWidget(0, 4), "summaryTable",
                           self.tr("Layers, output shapes and parameters"))
        self.table.setHorizontalHeaderLabels([self.tr("Layer"), self.tr("Type"),
                                              self.tr("Output shape"), self.tr("Param #")])
        named(self.table.horizontalHeader(), "summaryColumns", self.tr("Summary columns"))
        named(self.table.verticalHeader(), "summaryRows", self.tr("Summary rows"))
        self.table.verticalHeader().setVisible(False)
        self.table.setCornerButtonEnabled(False)
        for button in self.table.findChildren(QAbstractButton):  # Qt's corner button
            named(button, "summarySelectAll", self.tr("Select all rows"))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.totals = named(QLabel(), "summaryTotals", self.tr("Parameter totals"))
        self.totals.setWordWrap(True)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.totals)
        self._key: str | None = None
        self._pending: tuple | None = None
        self._timer = QTimer(self)
        self._timer.setObjectName("summaryTimer")
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.DELAY_MS)
        self._timer.timeout.connect(self.flush)
        self.network = None
        self.reason = ""
        self.show_network(None, now=True)

    def show_network(self, spec, n_features: int | None = None,
                     n_outputs: int | None = None, dtype: str = "float32",
                     now: bool = False) -> None:
        """Summarize ``spec`` (``Project.spec()``) for data of ``n_features`` inputs and
        ``n_outputs`` outputs: when one of them changed, rebuild after ``DELAY_MS`` (or when
        the panel is shown), or at once with ``now``."""
        try:
            key = json.dumps([spec, n_features, n_outputs, dtype], sort_keys=True, default=str)
        except (TypeError, ValueError):
            key = None
        if key is not None and key == self._key:
            self._pending = None
            self._timer.stop()
            return
        self._pending = (spec, n_features, n_outputs, dtype, key)
        if now:
            self.flush()
        elif self.isVisible():
            self._timer.start()

    @property
    def pending(self) -> bool:
        """A change waits to be shown."""
        return self._pending is not None

    def flush(self) -> None:
        """Show the last network given now."""
        self._timer.stop()
        if self._pending is None:
            return
        spec, n_features, n_outputs, dtype, key = self._pending
        self._pending = None
        self._key = key
        self.network, self.reason = None, ""
        if spec is None or not spec.get("nodes"):
            self._show_reason(self.tr("Add layers to the canvas to see the network's summary."))
            return
        try:
            self.network = network_module.build(spec, n_features, n_outputs, dtype=dtype)
        except Exception as exc:  # noqa: BLE001 - every reason is shown, none is fatal
            self.reason = getattr(exc, "message", None) or str(exc)
            self._show_reason(self.tr("No summary while the network cannot be built: {0}")
                              .format(self.reason))
            return
        self._show_table(self.network)

    def showEvent(self, event):
        super().showEvent(event)
        if self._pending is not None:
            self._timer.start(0)

    def _show_reason(self, text: str) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #d13438" if self.reason else "")
        self.table.setRowCount(0)
        self.table.setEnabled(False)
        self.totals.setText("")

    def _show_table(self, net) -> None:
        per_node: dict[str, int] = {}
        for info in net.param_info:
            per_node[info.node] = per_node.get(info.node, 0) + info.size
        inputs = {nid: [] for nid in net.order}
        for src, dst in net.spec.get("edges", []):
            if dst in inputs:
                inputs[dst].append(src)
        self.table.setEnabled(True)
        self.table.setRowCount(len(net.order) + 1)
        for row, nid in enumerate(net.order):
            layer = net.layers[nid]
            cells = (nid, layer.name, f"(None, {net.units[nid]})", _count(per_node.get(nid, 0)))
            tip = (self.tr("Input of the network") if not inputs[nid] else
                   self.tr("Fed by: {0}").format(", ".join(inputs[nid])))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(tip)
                if col == 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)
        total = int(net.params.size)
        bold = QFont(self.font())
        bold.setBold(True)
        cells = (self.tr("Total"), "", "", _count(total))
        for col, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setFont(bold)
            if col == 3:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(len(net.order), col, item)
        buffers = sum(int(b.size) for b in net.buffers.values())
        itemsize = net.params.dtype.itemsize
        self.status.setText(self.tr("{0} layers, {1} inputs → {2} outputs").format(
            len(net.order), net.n_features, net.n_outputs))
        self.status.setStyleSheet("")
        text = self.tr("Total params: {0} ({1}) · trainable: {0}").format(
            _count(total), _bytes(total * itemsize))
        if buffers:
            text += " · " + self.tr("non-trainable (running statistics): {0}").format(
                _count(buffers))
        self.totals.setText(text)

    # -- for tests and the window -----------------------------------------------------------------
    def rows(self) -> list[tuple[str, ...]]:
        """The table's text, row by row (the total row last)."""
        out = []
        for row in range(self.table.rowCount()):
            out.append(tuple(self.table.item(row, col).text() if self.table.item(row, col)
                             else "" for col in range(4)))
        return out

    def total_params(self) -> int | None:
        return None if self.network is None else int(self.network.params.size)
