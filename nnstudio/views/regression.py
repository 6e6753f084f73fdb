"""Regression: predicted vs actual values of the validation split, and their residuals.

Left, a scatter of every validation sample (actual value across, predicted value up) with
the identity line ``predicted = actual`` on which a perfect model's points would lie;
right, the residuals ``actual - predicted`` against the predicted value, with the zero line
(a pattern in them -- a curve, a funnel -- is what the model has not learned).  A network
with several outputs shows one at a time, picked in a combo box.  For a classification
run the view says plainly that it applies to regression.

Feed it ``TrainingController.regressionUpdated`` (``set_result``: computed in the worker
with the current weights, throttled, the final weights last) and, when a run starts, its
job (``set_job``: the task and the names of the outputs).
"""

from __future__ import annotations

import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QColor, QPalette  # noqa: E402
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QVBoxLayout,  # noqa: E402
                               QWidget)

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402

from engine import losses as loss_registry  # noqa: E402
from nnstudio.views.plot_style import colour_axes, show_grid  # noqa: E402

__all__ = ["RegressionView", "fit_figures"]

POINT_COLOR = QColor(31, 119, 180)
LINE_COLOR = QColor(214, 39, 40)


def fit_figures(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """MAE, RMSE and R^2 of one output: ``mean|y - p|``, ``sqrt(mean (y - p)^2)`` and
    ``1 - sum (y - p)^2 / sum (y - mean y)^2`` (NaN for constant targets)."""
    actual = np.asarray(actual, dtype=np.float64)
    residual = actual - np.asarray(predicted, dtype=np.float64)
    if residual.size == 0:
        return {"mae": float("nan"), "rmse": float("nan"), "r2": float("nan")}
    total = float(((actual - actual.mean()) ** 2).sum())
    r2 = 1.0 - float((residual ** 2).sum()) / total if total > 0 else float("nan")
    return {"mae": float(np.abs(residual).mean()),
            "rmse": float(np.sqrt((residual ** 2).mean())), "r2": r2}


class RegressionView(QWidget):
    """Predicted vs actual scatter with the identity line, and residuals vs predicted.

    Public attributes: ``scatter_plot``, ``residual_plot`` (``pg.PlotWidget``), ``points``
    and ``residual_points`` (``pg.ScatterPlotItem``), ``identity`` (``pg.PlotDataItem``),
    ``zero_line`` (``pg.InfiniteLine``), ``output`` (``QComboBox``), ``summary`` and
    ``note`` (``QLabel``).
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("regressionView")
        self.setAccessibleName(self.tr("Regression"))
        self._result: dict | None = None
        self._names: list[str] = []
        self._classification = False
        self.n_updates = 0

        background = self.palette().color(QPalette.ColorRole.Base)
        foreground = self.palette().color(QPalette.ColorRole.Text)

        self.summary = QLabel(self.tr("No predictions yet"), self)
        self.summary.setObjectName("regressionSummary")
        self.summary.setAccessibleName(self.tr("Regression summary"))
        self.summary.setWordWrap(True)
        self.output_label = QLabel(self.tr("Output:"), self)
        self.output_label.setObjectName("regressionOutputLabel")
        self.output_label.setAccessibleName(self.tr("Output"))
        self.output = QComboBox(self)
        self.output.setObjectName("regressionOutput")
        self.output.setAccessibleName(self.tr("Output shown"))
        self.output.setToolTip(self.tr("The network has several outputs: pick the one shown"))
        self.output.currentIndexChanged.connect(self._draw)
        self.output_label.setBuddy(self.output)
        self.note = QLabel(self.tr(
            "This view applies to regression tasks, where the network predicts numbers "
            "(a loss such as MSE or MAE). This run is a classification: see the confusion "
            "matrix and the decision boundary instead."), self)
        self.note.setObjectName("regressionNote")
        self.note.setAccessibleName(self.tr("Regression view note"))
        self.note.setWordWrap(True)
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note.setVisible(False)

        point_pen = pg.mkPen(POINT_COLOR.darker(130))
        point_brush = pg.mkBrush(POINT_COLOR.red(), POINT_COLOR.green(), POINT_COLOR.blue(),
                                 150)
        line_pen = pg.mkPen(LINE_COLOR, width=1.5, style=Qt.PenStyle.DashLine)

        self.scatter_plot = pg.PlotWidget(self, background=background)
        self.scatter_plot.setObjectName("regressionScatter")
        self.scatter_plot.setAccessibleName(self.tr("Predicted against actual values"))
        self.scatter_plot.setMinimumSize(200, 160)
        item = self.scatter_plot.getPlotItem()
        show_grid(item, x=True, y=True)
        item.setLabel("bottom", self.tr("actual"))
        item.setLabel("left", self.tr("predicted"))
        colour_axes(item, foreground, si_prefix=False)
        legend = item.addLegend(offset=(10, 10), labelTextColor=foreground)
        legend.setBrush(pg.mkBrush(background))
        self.identity = item.plot([], [], pen=line_pen,
                                  name=self.tr("identity: predicted = actual"))
        self.points = pg.ScatterPlotItem(size=6, pen=point_pen, brush=point_brush,
                                         name=self.tr("validation samples"))
        item.addItem(self.points)

        self.residual_plot = pg.PlotWidget(self, background=background)
        self.residual_plot.setObjectName("regressionResiduals")
        self.residual_plot.setAccessibleName(self.tr("Residuals against predicted values"))
        self.residual_plot.setMinimumSize(200, 160)
        item = self.residual_plot.getPlotItem()
        show_grid(item, x=True, y=True)
        item.setLabel("bottom", self.tr("predicted"))
        item.setLabel("left", self.tr("residual (actual \u2212 predicted)"))
        colour_axes(item, foreground, si_prefix=False)
        self.zero_line = pg.InfiniteLine(pos=0, angle=0, movable=False, pen=line_pen)
        item.addItem(self.zero_line)
        self.residual_points = pg.ScatterPlotItem(size=6, pen=point_pen, brush=point_brush)
        item.addItem(self.residual_points)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.summary, 1)
        top.addWidget(self.output_label)
        top.addWidget(self.output)
        plots = QHBoxLayout()
        plots.setContentsMargins(0, 0, 0, 0)
        plots.addWidget(self.scatter_plot, 1)
        plots.addWidget(self.residual_plot, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.note, 1)
        layout.addLayout(plots, 1)
        self._set_outputs([])

    # -- data -----------------------------------------------------------------------------
    @property
    def result(self) -> dict | None:
        """The predictions shown (``TrainingController.regressionUpdated``), or None."""
        return self._result

    @property
    def applies(self) -> bool:
        """False when the run is a classification (the view then only says so)."""
        return not self._classification

    def set_job(self, job) -> None:
        """The task of a ``TrainingJob``'s loss and the names of its outputs."""
        loss = loss_registry.get(dict(job.fit_kwargs.get("loss") or {}))
        dataset = job.dataset
        names = list(dataset.target_names)
        if len(names) != job.n_outputs:
            names = [self.tr("output %1").replace("%1", str(k + 1))
                     for k in range(job.n_outputs)]
        self.set_task(loss.task == "classification", names)

    def set_task(self, classification: bool, output_names=()) -> None:
        """Classification (the view shows its note) or regression with these outputs."""
        self.clear()
        self._classification = bool(classification)
        self.note.setVisible(self._classification)
        for widget in (self.scatter_plot, self.residual_plot, self.summary):
            widget.setVisible(not self._classification)
        self._set_outputs([] if classification else [str(n) for n in output_names])

    def _set_outputs(self, names: list[str]) -> None:
        self._names = names
        self.output.blockSignals(True)
        self.output.clear()
        self.output.addItems(names)
        self.output.blockSignals(False)
        several = len(names) > 1
        self.output.setVisible(several)
        self.output_label.setVisible(several)

    def clear(self) -> None:
        """Forget the predictions (a new run starts)."""
        self._result = None
        self.n_updates = 0
        self.points.setData([], [])
        self.residual_points.setData([], [])
        self.identity.setData([], [])
        self.summary.setText(self.tr("No predictions yet"))

    def set_result(self, result: dict) -> None:
        """Show ``result``: y_true and y_pred (N, K) of a split, with epoch and final."""
        if self._classification:
            return
        self._result = result
        self.n_updates += 1
        k = np.asarray(result["y_true"]).shape[1]
        if len(self._names) != k:
            self._set_outputs([self.tr("output %1").replace("%1", str(i + 1))
                               for i in range(k)])
        self._draw()

    def current_output(self) -> int:
        return max(0, self.output.currentIndex())

    def scatter_data(self) -> tuple[np.ndarray, np.ndarray]:
        """``(actual, predicted)`` of the output shown, one value per sample."""
        result = self._result
        if result is None:
            return np.empty(0), np.empty(0)
        k = self.current_output()
        return (np.asarray(result["y_true"])[:, k].astype(np.float64),
                np.asarray(result["y_pred"])[:, k].astype(np.float64))

    # -- drawing --------------------------------------------------------------------------
    def _draw(self, *_):
        actual, predicted = self.scatter_data()
        if self._result is None:
            return
        finite = np.isfinite(actual) & np.isfinite(predicted)
        self.points.setData(actual, predicted)
        self.residual_points.setData(predicted, actual - predicted)
        if finite.any():
            both = np.concatenate([actual[finite], predicted[finite]])
            lo, hi = float(both.min()), float(both.max())
            pad = 0.05 * (hi - lo if hi > lo else 1.0)
            self.identity.setData([lo - pad, hi + pad], [lo - pad, hi + pad])
        figures = fit_figures(actual[finite], predicted[finite])
        result = self._result
        parts = [self.tr("Final weights") if result.get("final") else
                 self.tr("Epoch %1").replace("%1", str(int(result.get("epoch", 0)) + 1))]
        parts.append(self.tr("%1 split, %2 samples").replace(
            "%1", result.get("split", "validation")).replace("%2", str(len(actual))))
        if len(self._names) > 1:
            parts.append(self._names[self.current_output()])
        parts.append(f"MAE {figures['mae']:.4g}")
        parts.append(f"RMSE {figures['rmse']:.4g}")
        parts.append(f"R\u00b2 {figures['r2']:.4g}")
        self.summary.setText(" · ".join(p.replace(" ", "\u00a0") for p in parts))

    # -- export ---------------------------------------------------------------------------
    def export_table(self) -> tuple[list[str], list[list]]:
        """One row per sample: its row in the data, then actual, predicted and residual of
        every output."""
        result = self._result
        if result is None:
            return ["row"], []
        y_true = np.asarray(result["y_true"])
        y_pred = np.asarray(result["y_pred"])
        names = self._names or [f"output {k + 1}" for k in range(y_true.shape[1])]
        header = ["row"]
        for name in names:
            header += [f"{name} actual", f"{name} predicted", f"{name} residual"]
        indices = result.get("indices")
        rows = []
        for n in range(len(y_true)):
            row = [int(indices[n]) if indices is not None else n]
            for k in range(y_true.shape[1]):
                a, p = float(y_true[n, k]), float(y_pred[n, k])
                row += [repr(a), repr(p), repr(a - p)]
            rows.append(row)
        return header, rows

    def export_png(self, path) -> bool:
        """Save the widget as it looks as a PNG."""
        return self.grab().save(str(path), "PNG")
