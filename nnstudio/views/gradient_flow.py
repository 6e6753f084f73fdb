"""Gradient flow: the L2 norm of each layer's gradient per epoch, on a log scale.

One curve per learning layer (created the first time the layer appears, then ``setData``),
so vanishing and exploding gradients are visible; a warning when the newest epoch's norm of a
layer falls below ``VANISHING`` or rises above ``EXPLODING``; beside the plot a table of
"dead" ReLU units per layer (units whose activation is 0 for every sample of a fixed batch,
counted in the training worker: the epoch dicts' ``dead_units``).

Feed it ``TrainingController.epochsEnded`` (``add_epochs``) or a run's history
(``set_history``: ``grad_norms``, one dict per epoch).
"""

from __future__ import annotations

import csv
import math
import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QColor, QPalette  # noqa: E402
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView,  # noqa: E402
                               QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout,
                               QWidget)

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from nnstudio.views.plot_style import colour_axes, show_grid

__all__ = ["GradientFlowView", "VANISHING", "EXPLODING", "gradient_problems"]

VANISHING = 1e-6  # a layer's gradient norm below this: the gradient vanishes
EXPLODING = 1e3  # ... above this: it explodes
_FLOOR = 1e-30  # a norm of exactly 0 is drawn here (log scale)
COLORS = [(31, 119, 180), (230, 120, 20), (44, 160, 44), (214, 39, 40), (148, 103, 189),
          (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]
WARNING_COLOR = QColor(190, 40, 30)


def gradient_problems(norms: dict[str, float]) -> dict[str, str]:
    """``{layer: "vanishing" | "exploding"}`` for the norms outside the thresholds (a NaN or
    infinite norm explodes)."""
    problems = {}
    for layer, value in norms.items():
        if not math.isfinite(value) or value > EXPLODING:
            problems[layer] = "exploding"
        elif value < VANISHING:
            problems[layer] = "vanishing"
    return problems


class GradientFlowView(QWidget):
    """Per-layer gradient norms per epoch (log scale), warnings and dead ReLU counts.

    Public attributes: ``plot`` (``pg.PlotWidget``), ``curves`` (layer id ->
    ``pg.PlotDataItem``), ``warning`` and ``summary`` (``QLabel``), ``dead_table``
    (``QTableWidget``).
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("gradientFlowView")
        self.setAccessibleName(self.tr("Gradient flow"))
        self._epochs: list[int] = []
        self._norms: dict[str, list[float]] = {}  # layer -> one value per epoch (NaN: none)
        self._dead: dict[str, tuple[int, int]] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        self._problems: dict[str, str] = {}

        background = self.palette().color(QPalette.ColorRole.Base)
        foreground = self.palette().color(QPalette.ColorRole.Text)

        self.summary = QLabel(self.tr("No epochs yet"), self)
        self.summary.setObjectName("gradientFlowSummary")
        self.summary.setAccessibleName(self.tr("Gradient flow summary"))
        self.summary.setWordWrap(True)
        self.warning = QLabel(self)
        self.warning.setObjectName("gradientFlowWarning")
        self.warning.setAccessibleName(self.tr("Gradient warning"))
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(
            f"color: {WARNING_COLOR.name()}; font-weight: bold;")
        self.warning.setVisible(False)

        self.plot = pg.PlotWidget(self, background=background)
        self.plot.setObjectName("gradientFlowPlot")
        self.plot.setAccessibleName(self.tr("Gradient norm per layer and epoch"))
        self.plot.setMinimumSize(220, 160)
        item = self.plot.getPlotItem()
        item.setLogMode(y=True)
        show_grid(item, x=True, y=True)
        item.setLabel("left", self.tr("gradient norm"))
        item.setLabel("bottom", self.tr("epoch"))
        colour_axes(item, foreground, si_prefix=False)
        self.legend = item.addLegend(offset=(-10, 10), labelTextColor=foreground)
        self.legend.setBrush(pg.mkBrush(background))
        threshold_pen = pg.mkPen(WARNING_COLOR, width=1, style=Qt.PenStyle.DashLine)
        self.threshold_lines = []
        for value, label in ((VANISHING, self.tr("vanishing")),
                             (EXPLODING, self.tr("exploding"))):
            # in log mode the view's y is log10 of the value
            line = pg.InfiniteLine(pos=math.log10(value), angle=0, movable=False,
                                   pen=threshold_pen, label=label,
                                   labelOpts={"position": 0.02, "color": WARNING_COLOR,
                                              "anchors": [(0, 1), (0, 1)]})
            item.addItem(line, ignoreBounds=True)
            self.threshold_lines.append(line)

        self.dead_table = QTableWidget(0, 3, self)
        self.dead_table.setObjectName("gradientFlowDeadUnits")
        self.dead_table.setAccessibleName(self.tr("Dead ReLU units per layer"))
        self.dead_table.setToolTip(self.tr(
            "Units of a ReLU layer whose output is 0 for every sample of a fixed batch of "
            "training samples: they pass no gradient and have stopped learning"))
        self.dead_table.setHorizontalHeaderLabels(
            [self.tr("layer"), self.tr("dead ReLU"), self.tr("of units")])
        self.dead_table.verticalHeader().setVisible(False)
        self.dead_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.dead_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.dead_table.setMaximumWidth(260)
        self.dead_table.verticalHeader().setDefaultSectionSize(20)

        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.plot, 1)
        body.addWidget(self.dead_table)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(self.summary)
        layout.addWidget(self.warning)
        layout.addLayout(body, 1)

    # -- data -----------------------------------------------------------------------------
    @property
    def n_epochs(self) -> int:
        return len(self._epochs)

    @property
    def problems(self) -> dict[str, str]:
        """The newest epoch's layers outside the thresholds: ``{layer: "vanishing" |
        "exploding"}``."""
        return dict(self._problems)

    @property
    def dead_units(self) -> dict[str, tuple[int, int]]:
        """The newest ``{layer: (dead, units)}`` of the ReLU layers."""
        return dict(self._dead)

    def norms(self) -> dict[str, list[float]]:
        """A copy of every layer's norms, one per epoch."""
        return {k: list(v) for k, v in self._norms.items()}

    def clear(self) -> None:
        """Forget every epoch (a new run starts); the curves stay, emptied."""
        self._epochs, self._norms, self._dead, self._problems = [], {}, {}, {}
        for curve in self.curves.values():
            curve.setData([], [])
        self._refresh()

    def add_epochs(self, epochs: list[dict]) -> None:
        """Append epochs (``TrainingController.epochsEnded``: ``grad_norms`` and, from the
        controller's worker, ``dead_units``)."""
        for e in epochs:
            self._append(int(e["epoch"]), e.get("grad_norms") or {})
            if e.get("dead_units") is not None:
                self._dead = {k: (int(v[0]), int(v[1])) for k, v in e["dead_units"].items()}
        self._refresh()

    def set_history(self, history: dict) -> None:
        """Show a saved run: ``history["grad_norms"]``, one dict per epoch."""
        self._epochs, self._norms, self._dead = [], {}, {}
        for i, norms in enumerate((history or {}).get("grad_norms") or []):
            self._append(i, norms or {})
        self._refresh()

    def _append(self, epoch: int, norms: dict) -> None:
        n = len(self._epochs)
        for layer in norms:
            if layer not in self._norms:
                self._norms[layer] = [math.nan] * n
        for layer, column in self._norms.items():
            value = norms.get(layer)
            column.append(math.nan if value is None else float(value))
        self._epochs.append(epoch)

    # -- drawing --------------------------------------------------------------------------
    def _curve(self, layer: str) -> pg.PlotDataItem:
        curve = self.curves.get(layer)
        if curve is None:  # created once per layer, then only setData
            color = COLORS[len(self.curves) % len(COLORS)]
            curve = self.plot.plot(name=layer, pen=pg.mkPen(color, width=2),
                                   connect="finite")
            self.curves[layer] = curve
        return curve

    def _refresh(self) -> None:
        x = np.asarray(self._epochs, dtype=float) + 1
        symbol = "o" if len(x) <= 40 else None
        for layer, column in self._norms.items():
            y = np.asarray(column, dtype=float)
            y = np.where(np.isfinite(y), np.maximum(y, _FLOOR), np.nan)
            curve = self._curve(layer)
            pen = curve.opts["pen"]
            curve.setData(x, y, symbol=symbol, symbolSize=4, symbolPen=pen,
                          symbolBrush=pen.color())
        latest = {k: v[-1] for k, v in self._norms.items() if v and not math.isnan(v[-1])}
        self._problems = gradient_problems(latest)
        self._update_warning()
        self._fill_dead()
        if not self._epochs:
            self.summary.setText(self.tr("No epochs yet"))
        else:
            parts = [self.tr("Epoch %1").replace("%1", str(self._epochs[-1] + 1))]
            parts += [f"{k} {v:.2g}" for k, v in latest.items()]
            self.summary.setText(" · ".join(p.replace(" ", "\u00a0") for p in parts))

    def _update_warning(self) -> None:
        vanishing = [k for k, v in self._problems.items() if v == "vanishing"]
        exploding = [k for k, v in self._problems.items() if v == "exploding"]
        parts = []
        if vanishing:
            parts.append(self.tr(
                "Vanishing gradient in %1 (norm below %2): these layers barely learn. Try "
                "ReLU-like activations, a He / Xavier initializer, batch normalization or "
                "fewer layers.").replace("%1", ", ".join(vanishing))
                .replace("%2", f"{VANISHING:g}"))
        if exploding:
            parts.append(self.tr(
                "Exploding gradient in %1 (norm above %2): try a lower learning rate or "
                "gradient clipping.").replace("%1", ", ".join(exploding))
                .replace("%2", f"{EXPLODING:g}"))
        self.warning.setText("\n".join(parts))
        self.warning.setVisible(bool(parts))

    def _fill_dead(self) -> None:
        table = self.dead_table
        table.setRowCount(len(self._dead))
        for r, (layer, (dead, units)) in enumerate(self._dead.items()):
            cells = [layer, str(dead), str(units)]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                if c == 1 and dead:
                    item.setForeground(WARNING_COLOR)
                table.setItem(r, c, item)
        table.setVisible(bool(self._dead))

    # -- export ---------------------------------------------------------------------------
    def export_csv(self, path) -> None:
        """One row per epoch (from 1): the gradient norm of each layer; empty where none."""
        layers = list(self._norms)
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["epoch", *layers])
            for i, epoch in enumerate(self._epochs):
                row = [epoch + 1]
                for layer in layers:
                    v = self._norms[layer][i]
                    row.append("" if math.isnan(v) else repr(v))
                writer.writerow(row)

    def export_png(self, path) -> bool:
        """Save the widget as it looks as a PNG."""
        return self.grab().save(str(path), "PNG")
