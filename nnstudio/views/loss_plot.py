"""Loss and metric curves per epoch, live during training or from a saved run.

Two x-linked pyqtgraph plots: training and validation loss on top (optionally on a log
scale), the first metric below.  Curves are created once and updated with ``setData``; the
best epoch is marked with a vertical line on both.  Epochs are shown counted from 1, as the
rest of the interface counts them (the engine counts from 0).

Feed it ``TrainingController.epochsEnded`` (``add_epochs``) or a run's history
(``set_history``).
"""

from __future__ import annotations

import csv
import math
import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6.QtCore import Qt  # noqa: E402 - PySide6 before pyqtgraph picks a binding
from PySide6.QtGui import QColor, QPalette  # noqa: E402
from PySide6.QtWidgets import (QCheckBox, QHBoxLayout, QLabel, QSizePolicy,  # noqa: E402
                               QVBoxLayout, QWidget)

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from nnstudio.views.plot_style import colour_axes

__all__ = ["LossPlot"]

TRAIN_COLOR = QColor(31, 119, 180)  # blue
VALIDATION_COLOR = QColor(230, 120, 20)  # orange
BEST_COLOR = QColor(44, 160, 44)  # green
_SYMBOLS_UP_TO = 40  # epochs; beyond that the markers only clutter the line
_NOT_METRICS = ("loss", "penalty")


class LossPlot(QWidget):
    """Training and validation loss per epoch, the first metric beneath, the best epoch
    marked.

    Public attributes ``loss_plot``, ``metric_plot`` (``pg.PlotWidget``), ``train_curve``,
    ``val_curve``, ``metric_curve``, ``val_metric_curve`` (``pg.PlotDataItem``),
    ``log_scale`` (``QCheckBox``) and ``summary`` (``QLabel``).
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("lossPlot")
        self.setAccessibleName(self.tr("Loss and metric curves"))
        self._epochs: list[int] = []  # engine epochs (from 0)
        self._series: dict[str, list[float]] = {}  # "loss", "val_loss", "accuracy", ...
        self._metric: str | None = None
        self._best: int | None = None
        self._best_from_events = False

        background = self.palette().color(QPalette.ColorRole.Base)
        foreground = self.palette().color(QPalette.ColorRole.Text)

        self.log_scale = QCheckBox(self.tr("Log scale"), self)
        self.log_scale.setObjectName("lossPlotLogScale")
        self.log_scale.setAccessibleName(self.tr("Logarithmic loss axis"))
        self.log_scale.setToolTip(self.tr("Show the loss on a logarithmic axis"))
        self.log_scale.toggled.connect(self._set_log)

        self.summary = QLabel(self)
        self.summary.setObjectName("lossPlotSummary")
        self.summary.setAccessibleName(self.tr("Training summary"))
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.summary.setWordWrap(True)  # a narrow dock wraps it instead of growing

        self.loss_plot = self._make_plot("lossPlotLoss", self.tr("Loss per epoch"),
                                         background, foreground)
        self.loss_plot.setLabel("left", self.tr("loss"))
        legend = self.loss_plot.addLegend(offset=(-10, 10), labelTextColor=foreground)
        # see-through: an opaque box in the top right corner hid the last epochs' curves
        shade = pg.mkColor(background)
        shade.setAlpha(120)
        legend.setBrush(pg.mkBrush(shade))
        self.train_curve = self.loss_plot.plot(
            name=self.tr("training"), pen=pg.mkPen(TRAIN_COLOR, width=2), connect="finite")
        self.val_curve = self.loss_plot.plot(
            name=self.tr("validation"), pen=pg.mkPen(VALIDATION_COLOR, width=2),
            connect="finite")

        self.metric_plot = self._make_plot("lossPlotMetric", self.tr("Metric per epoch"),
                                           background, foreground)
        self.metric_plot.setLabel("bottom", self.tr("epoch"))
        self.metric_plot.setXLink(self.loss_plot)
        self.metric_curve = self.metric_plot.plot(
            pen=pg.mkPen(TRAIN_COLOR, width=2), connect="finite")
        self.val_metric_curve = self.metric_plot.plot(
            pen=pg.mkPen(VALIDATION_COLOR, width=2), connect="finite")

        best_pen = pg.mkPen(BEST_COLOR, width=1.5, style=Qt.PenStyle.DashLine)
        self._best_lines = []
        for plot, label in ((self.loss_plot, self.tr("best")), (self.metric_plot, None)):
            line = pg.InfiniteLine(angle=90, movable=False, pen=best_pen, label=label,
                                   labelOpts={"position": 0.6, "color": BEST_COLOR})
            line.setVisible(False)
            plot.addItem(line, ignoreBounds=True)
            self._best_lines.append(line)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.summary, 1)
        top.addWidget(self.log_scale)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.loss_plot, 3)
        layout.addWidget(self.metric_plot, 2)
        self._refresh()

    def _make_plot(self, name, accessible, background, foreground) -> pg.PlotWidget:
        plot = pg.PlotWidget(self, background=background)
        plot.setObjectName(name)
        plot.setAccessibleName(accessible)
        plot.setMinimumHeight(80)
        item = plot.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.15)
        colour_axes(item, foreground, si_prefix=False)  # "loss (x0.001)" reads worse than 0.2
        item.getAxis("left").setWidth(56)  # both plots: the same width, so epochs line up
        item.getViewBox().setMouseEnabled(x=True, y=False)
        return plot

    # -- data -----------------------------------------------------------------------------
    @property
    def n_epochs(self) -> int:
        """Epochs shown."""
        return len(self._epochs)

    @property
    def metric_name(self) -> str | None:
        """The metric drawn in the lower plot (the first one the run reports)."""
        return self._metric

    @property
    def best_epoch(self) -> int | None:
        """The best epoch (counted from 0, as in the engine), or None."""
        return self._best

    def series(self) -> dict[str, list[float]]:
        """A copy of every column: ``{"loss": [...], "val_loss": [...], ...}``."""
        return {k: list(v) for k, v in self._series.items()}

    def clear(self) -> None:
        """Forget every epoch (a new run starts)."""
        self._epochs, self._series = [], {}
        self._metric, self._best, self._best_from_events = None, None, False
        self._refresh()

    def add_epochs(self, epochs: list[dict]) -> None:
        """Append epochs: dicts with ``epoch``, ``train`` and ``validation`` (as
        ``TrainingController.epochsEnded`` delivers them); ``improved`` marks the best."""
        for e in epochs:
            self._append(int(e["epoch"]), dict(e.get("train") or {}),
                         dict(e.get("validation") or {}))
            if "improved" in e:
                self._best_from_events = True
                if e["improved"]:
                    self._best = int(e["epoch"])
        self._refresh()

    def set_history(self, history: dict, best_epoch: int | None = None) -> None:
        """Show a saved run: ``history`` as ``History.to_dict()`` (``train`` and
        ``validation`` dicts of lists); ``best_epoch`` counted from 0 (default: the epoch of
        the lowest validation loss, else training loss)."""
        self._epochs, self._series = [], {}
        self._metric, self._best, self._best_from_events = None, None, False
        train = (history or {}).get("train") or {}
        validation = (history or {}).get("validation") or {}
        n = max((len(v) for v in (*train.values(), *validation.values())), default=0)
        for i in range(n):
            self._append(i, {k: v[i] for k, v in train.items() if i < len(v)},
                         {k: v[i] for k, v in validation.items() if i < len(v)})
        if best_epoch is not None:
            self._best, self._best_from_events = int(best_epoch), True
        self._refresh()

    def set_best_epoch(self, epoch: int | None) -> None:
        """Mark ``epoch`` (from 0) as the best, e.g. a run's ``best_epoch``; None hides it."""
        self._best, self._best_from_events = epoch, True
        self._refresh()

    def _append(self, epoch: int, train: dict, validation: dict) -> None:
        values = {**train, **validation}
        n = len(self._epochs)
        for key in values:
            if key not in self._series:
                self._series[key] = [math.nan] * n
        for key, column in self._series.items():
            value = values.get(key)
            column.append(math.nan if value is None else float(value))
        self._epochs.append(epoch)
        if self._metric is None:
            self._metric = next((k for k in train if k not in _NOT_METRICS), None)

    def _computed_best(self) -> int | None:
        for key in ("val_loss", "loss"):
            column = np.asarray(self._series.get(key, []), dtype=float)
            if column.size and np.isfinite(column).any():
                return int(self._epochs[int(np.nanargmin(column))])
        return None

    # -- drawing --------------------------------------------------------------------------
    def _column(self, key: str) -> np.ndarray | None:
        column = self._series.get(key)
        if column is None or not np.isfinite(np.asarray(column, dtype=float)).any():
            return None
        return np.asarray(column, dtype=float)

    def _set(self, curve: pg.PlotDataItem, x: np.ndarray, y: np.ndarray | None) -> None:
        if y is None:
            curve.setData([], [])
            curve.setVisible(False)
            return
        symbol = "o" if len(x) <= _SYMBOLS_UP_TO else None
        pen = curve.opts["pen"]
        curve.setData(x, y, symbol=symbol, symbolSize=5, symbolPen=pen,
                      symbolBrush=pen.color())
        curve.setVisible(True)

    def _refresh(self) -> None:
        x = np.asarray(self._epochs, dtype=float) + 1
        self._set(self.train_curve, x, self._column("loss"))
        self._set(self.val_curve, x, self._column("val_loss"))
        metric = self._metric
        self._set(self.metric_curve, x, self._column(metric) if metric else None)
        self._set(self.val_metric_curve, x, self._column("val_" + metric) if metric else None)
        self.metric_plot.setVisible(metric is not None or not self._epochs)
        self.metric_plot.setLabel("left", metric or self.tr("metric"))
        if not self._best_from_events:
            self._best = self._computed_best()
        # the label sits right of the line, or left of it in the right half of the plot
        right = self._best is not None and len(x) > 0 and self._best + 1 > (x[0] + x[-1]) / 2
        anchor = (1.0, 0.5) if right else (0.0, 0.5)
        for line in self._best_lines:
            line.setVisible(self._best is not None)
            if self._best is not None:
                line.setPos(self._best + 1)
                label = getattr(line, "label", None)
                if label is not None:
                    label.anchors = [anchor, anchor]
                    label.updatePosition()
        self._update_summary()

    def _update_summary(self) -> None:
        if not self._epochs:
            self.summary.setText(self.tr("No epochs yet"))
            return
        i = len(self._epochs) - 1
        parts = [self.tr("Epoch %1").replace("%1", str(self._epochs[i] + 1))]
        for key in ("loss", "val_loss", self._metric, "val_" + (self._metric or "")):
            column = self._series.get(key) if key else None
            if column is not None and math.isfinite(column[i]):
                parts.append(f"{key} {column[i]:.4g}")
        if self._best is not None:
            parts.append(self.tr("best epoch %1").replace("%1", str(self._best + 1)))
        # wrap only between the parts, never inside "best epoch 12"
        self.summary.setText(" · ".join(part.replace(" ", "\u00a0") for part in parts))

    def _set_log(self, on: bool) -> None:
        self.loss_plot.getPlotItem().setLogMode(y=bool(on))
        self.loss_plot.getPlotItem().enableAutoRange()

    # -- export ---------------------------------------------------------------------------
    def csv_columns(self) -> list[str]:
        """The exported columns after ``epoch``: loss, val_loss, then each metric beside
        its validation value, then anything else (e.g. the regularization penalty)."""
        keys = [k for k in ("loss", "val_loss") if k in self._series]
        for key in self._series:
            if key.startswith("val_") or key in keys:
                continue
            keys.append(key)
            if "val_" + key in self._series and "val_" + key not in keys:
                keys.append("val_" + key)
        keys += [k for k in self._series if k not in keys]
        return keys

    def export_csv(self, path) -> None:
        """Write one row per epoch (from 1): epoch, loss, val_loss, metrics; empty cells
        where a value is missing."""
        keys = self.csv_columns()
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["epoch", *keys])
            for i, epoch in enumerate(self._epochs):
                row = [epoch + 1]
                for key in keys:
                    value = self._series[key][i]
                    row.append("" if math.isnan(value) else repr(value))
                writer.writerow(row)

    def export_png(self, path) -> bool:
        """Save the widget as it looks (both plots and the summary) as a PNG."""
        return self.grab().save(str(path), "PNG")
