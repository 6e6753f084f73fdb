"""Loss and metric curves per epoch, live during training or from a saved run.

Two x-linked pyqtgraph plots: training and validation loss on top (optionally on a log
scale), the first metric below.  Curves are created once and updated with ``setData``; the
best epoch is marked with a vertical line on both.  Epochs are shown counted from 1, as the
rest of the interface counts them (the engine counts from 0).

Feed it ``TrainingController.epochsEnded`` (``add_epochs``) or a run's history
(``set_history``).  Earlier runs can be overlaid for comparison (``set_overlays``): thin,
muted curves named after the run in the legend.  The legend lists only curves that have
data, so an empty plot shows no legend, just a hint.
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
from nnstudio.views.plot_style import colour_axes, show_grid

__all__ = ["LossPlot"]

TRAIN_COLOR = QColor(31, 119, 180)  # blue
VALIDATION_COLOR = QColor(230, 120, 20)  # orange
BEST_COLOR = QColor(44, 160, 44)  # green
# compared runs: muted tones, apart from the live curves' blue and orange
OVERLAY_COLORS = (QColor(140, 110, 170), QColor(120, 150, 120), QColor(170, 120, 120),
                  QColor(110, 140, 170), QColor(160, 150, 100), QColor(130, 130, 130))
OVERLAY_ALPHA = 170
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
        self.legend = legend
        self._legend_entries: tuple = ()
        # named in the legend by _sync_legend, and only while they have data
        self.train_curve = self.loss_plot.plot(
            pen=pg.mkPen(TRAIN_COLOR, width=2), connect="finite")
        self.val_curve = self.loss_plot.plot(
            pen=pg.mkPen(VALIDATION_COLOR, width=2), connect="finite")
        self._overlays: dict[str, dict] = {}  # key -> {"name", "history", "curves"}
        self.hint = pg.TextItem(self.tr("Train the network to see its loss per epoch"),
                                color=foreground, anchor=(0.5, 0.5))
        self.loss_plot.addItem(self.hint, ignoreBounds=True)
        self._empty_shown: bool | None = None
        self._run_name: str | None = None

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
        show_grid(item, x=True, y=True)
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
        """Forget every epoch (a new run starts); overlaid runs stay."""
        self._epochs, self._series, self._run_name = [], {}, None
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

    def set_history(self, history: dict, best_epoch: int | None = None,
                    name: str | None = None) -> None:
        """Show a saved run: ``history`` as ``History.to_dict()`` (``train`` and
        ``validation`` dicts of lists); ``best_epoch`` counted from 0 (default: the epoch of
        the lowest validation loss, else training loss); ``name`` (the run's) leads the
        summary line."""
        self._epochs, self._series, self._run_name = [], {}, name
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

    def set_run_name(self, name: str | None) -> None:
        """The name of the saved run shown (it leads the summary line), e.g. after a
        rename."""
        if name != self._run_name and self._epochs:
            self._run_name = name
            self._update_summary()

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
        self._draw_overlays()
        self._sync_legend()
        self._show_empty_state()
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

    # -- earlier runs -----------------------------------------------------------------------
    @property
    def overlay_names(self) -> list[str]:
        """Names of the overlaid runs, in the order given to ``set_overlays``."""
        return [o["name"] for o in self._overlays.values()]

    def overlay_curves(self, key: str) -> tuple:
        """``(loss, val_loss, metric, val_metric)`` curves of the overlaid run ``key``."""
        return tuple(self._overlays[key]["curves"])

    def set_overlays(self, runs) -> None:
        """Overlay earlier runs: ``runs`` is a list of ``(key, name, history)`` (key: e.g.
        the run id; history as ``History.to_dict()``).  Their training loss is drawn solid
        and their validation loss dashed, thin and muted, with the run's name in the
        legend; the lower plot shows their values of the metric drawn there.  Curves of
        runs that stay are updated, not recreated."""
        wanted = {str(key): (str(name), history or {}) for key, name, history in runs}
        if [(k, o["name"], id(o["history"])) for k, o in self._overlays.items()] == [
                (k, n, id(h)) for k, (n, h) in wanted.items()]:
            return  # nothing changed: nothing to redraw
        for key in [k for k in self._overlays if k not in wanted]:
            loss, val_loss, metric, val_metric = self._overlays.pop(key)["curves"]
            for plot, curve in ((self.loss_plot, loss), (self.loss_plot, val_loss),
                                (self.metric_plot, metric), (self.metric_plot, val_metric)):
                plot.removeItem(curve)
        for i, (key, (name, history)) in enumerate(wanted.items()):
            overlay = self._overlays.get(key)
            if overlay is None:
                overlay = self._overlays[key] = {"curves": self._overlay_curves(i)}
            overlay.update(name=name, history=history)
        # keep the order of ``runs`` (the legend follows it)
        self._overlays = {k: self._overlays[k] for k in wanted}
        self._refresh()

    def _overlay_curves(self, i: int) -> list:
        color = QColor(OVERLAY_COLORS[i % len(OVERLAY_COLORS)])
        color.setAlpha(OVERLAY_ALPHA)
        solid = pg.mkPen(color, width=1.5)
        dashed = pg.mkPen(color, width=1.5, style=Qt.PenStyle.DashLine)
        curves = []
        for plot, pen in ((self.loss_plot, solid), (self.loss_plot, dashed),
                          (self.metric_plot, solid), (self.metric_plot, dashed)):
            curve = plot.plot(pen=pen, connect="finite")
            curve.setZValue(-1)  # beneath the run being shown
            curves.append(curve)
        return curves

    def _draw_overlays(self) -> None:
        metric = self._metric
        for overlay in self._overlays.values():
            history = overlay["history"]
            train = history.get("train") or {}
            validation = history.get("validation") or {}
            columns = (train.get("loss"), validation.get("val_loss"),
                       train.get(metric) if metric else None,
                       validation.get("val_" + metric) if metric else None)
            if metric is None and not self._epochs:  # nothing live: show the run's metric
                first = next((k for k in train if k not in _NOT_METRICS), None)
                columns = columns[:2] + (train.get(first) if first else None,
                                         validation.get("val_" + first) if first else None)
            for curve, values in zip(overlay["curves"], columns):
                y = None
                if values:
                    y = np.asarray([math.nan if v is None else v for v in values], dtype=float)
                    if not np.isfinite(y).any():
                        y = None
                if y is None:
                    curve.setData([], [])
                    curve.setVisible(False)
                else:
                    curve.setData(np.arange(1, len(y) + 1, dtype=float), y)
                    curve.setVisible(True)

    def _sync_legend(self) -> None:
        """The legend names what is drawn: training, validation, then each overlaid run
        (by its training curve, else its validation curve); rebuilt only when that
        changes."""
        entries = [(self.train_curve, self.tr("training")),
                   (self.val_curve, self.tr("validation"))]
        for overlay in self._overlays.values():
            loss, val_loss = overlay["curves"][:2]
            entries.append((loss if loss.isVisible() else val_loss, overlay["name"]))
        entries = tuple((c, n) for c, n in entries if c.isVisible())
        if entries != self._legend_entries:
            self.legend.clear()
            for curve, name in entries:
                self.legend.addItem(curve, name)
            self._legend_entries = entries
        self.legend.setVisible(bool(entries))

    def _show_empty_state(self) -> None:
        """Nothing to draw: a hint over epochs 1 to 10 instead of an empty frame; once
        there is data again the axes follow it."""
        empty = not self._epochs and not any(
            c.isVisible() for o in self._overlays.values() for c in o["curves"])
        self.hint.setVisible(empty)
        if empty == self._empty_shown:
            return
        self._empty_shown = empty
        for plot in (self.loss_plot, self.metric_plot):
            item = plot.getPlotItem()
            if empty:
                item.setXRange(1, 10, padding=0)
                item.setYRange(0, 1, padding=0)
            else:
                item.enableAutoRange()
        if empty:
            self.hint.setPos(5.5, 0.5)

    def _update_summary(self) -> None:
        if not self._epochs:
            self.summary.setText(self.tr("No epochs yet"))
            return
        i = len(self._epochs) - 1
        parts = [self.tr("Epoch %1").replace("%1", str(self._epochs[i] + 1))]
        if self._run_name:
            parts.insert(0, self._run_name)
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

    def export_table(self) -> tuple[list[str], list[list[str]]]:
        """The data drawn, one row per epoch (from 1): epoch, then :meth:`csv_columns`,
        then the loss and validation loss of each overlaid run (``"<run name>: loss"``);
        empty cells where a value is missing (see ``nnstudio.views.view_export``)."""
        keys = self.csv_columns()
        columns = [[epoch + 1 for epoch in self._epochs]]
        columns += [self._series[key] for key in keys]
        header = ["epoch", *keys]
        for overlay in self._overlays.values():
            history = overlay["history"]
            for part, key in (("train", "loss"), ("validation", "val_loss")):
                values = (history.get(part) or {}).get(key)
                if values:
                    header.append(f"{overlay['name']}: {key}")
                    columns.append(list(values))
        n = max((len(c) for c in columns), default=0)
        if len(columns[0]) < n:  # an overlaid run longer than the one shown
            columns[0] = columns[0] + list(range(len(columns[0]) + 1, n + 1))

        def cell(column, i, first):
            value = column[i] if i < len(column) else None
            if first:
                return str(int(value))
            return "" if value is None or math.isnan(value) else repr(float(value))

        rows = [[cell(c, i, j == 0) for j, c in enumerate(columns)] for i in range(n)]
        return header, rows

    def export_csv(self, path) -> None:
        """Write :meth:`export_table` to ``path``."""
        header, rows = self.export_table()
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(rows)

    def export_png(self, path) -> bool:
        """Save the widget as it looks (both plots and the summary) as a PNG."""
        return self.grab().save(str(path), "PNG")
