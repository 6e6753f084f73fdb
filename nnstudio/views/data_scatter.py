"""A scatter plot of two chosen features of the dataset, coloured by class (or by target
value for regression), for the data panel.

Importing this module imports pyqtgraph, which dominates the application's start-up: the data
panel imports it only when the plot is first needed.
"""

from __future__ import annotations

import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import numpy as np  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402 - PySide6 before pyqtgraph picks a binding
from PySide6.QtGui import QColor, QPalette  # noqa: E402
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget  # noqa: E402

import pyqtgraph as pg  # noqa: E402

from nnstudio.views.decision_boundary import CLASS_COLORS, grid_rgb  # noqa: E402
from nnstudio.views.plot_style import colour_axes  # noqa: E402
from nnstudio.widgets import named  # noqa: E402

__all__ = ["DataScatter", "MAX_POINTS"]

MAX_POINTS = 3000  # points drawn (a seeded subset of larger data): the plot stays fluent


class DataScatter(QWidget):
    """Two feature combo boxes over a ``pg.PlotWidget`` with one ``ScatterPlotItem``.

    ``set_data(x, feature_names, y, class_names)``: class indices ``y`` with their names
    (classification) or values (N,) and ``class_names=None`` (regression).  Public attributes:
    ``x_feature``, ``y_feature`` (``QComboBox``), ``plot``, ``points``, ``legend`` (``QLabel``).
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dataScatter")
        self.setAccessibleName(self.tr("Scatter plot of two features"))
        self._x: np.ndarray | None = None
        self._y: np.ndarray | None = None
        self._names: list[str] = []
        self._class_names: list[str] | None = None

        self.x_feature = named(QComboBox(), "dataScatterX", self.tr("Feature on the horizontal axis"),
                               self.tr("The feature drawn on the horizontal axis"))
        self.y_feature = named(QComboBox(), "dataScatterY", self.tr("Feature on the vertical axis"),
                               self.tr("The feature drawn on the vertical axis"))
        for combo in (self.x_feature, self.y_feature):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(6)
            combo.currentIndexChanged.connect(lambda _i: self._draw())
        x_label = QLabel(self.tr("x:"))
        x_label.setBuddy(self.x_feature)
        y_label = QLabel(self.tr("y:"))
        y_label.setBuddy(self.y_feature)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(x_label)
        top.addWidget(self.x_feature, 1)
        top.addWidget(y_label)
        top.addWidget(self.y_feature, 1)

        background = self.palette().color(QPalette.ColorRole.Base)
        foreground = self.palette().color(QPalette.ColorRole.Text)
        self.plot = named(pg.PlotWidget(background=background), "dataScatterPlot",
                          self.tr("Samples over two features"))
        self.plot.setMinimumHeight(220)
        item = self.plot.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        colour_axes(item, foreground)
        self.points = pg.ScatterPlotItem(size=5, pen=pg.mkPen(QColor(40, 40, 40, 160), width=0.5))
        item.addItem(self.points)
        self.legend = named(QLabel(), "dataScatterLegend", self.tr("Colour legend"))
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.legend)

    @property
    def features(self) -> tuple[int, int]:
        return self.x_feature.currentIndex(), self.y_feature.currentIndex()

    def set_data(self, x: np.ndarray, feature_names: list[str], y: np.ndarray,
                 class_names: list[str] | None) -> None:
        """Show ``x`` (N, F); keeps the chosen features when their names are still there."""
        old = [self.x_feature.currentText(), self.y_feature.currentText()]
        rows = np.arange(len(x))
        if len(rows) > MAX_POINTS:
            rows = np.sort(np.random.default_rng(0).choice(len(x), MAX_POINTS, replace=False))
        self._x, self._y = np.asarray(x)[rows], np.asarray(y)[rows]
        self._names, self._class_names = list(feature_names), class_names
        for combo in (self.x_feature, self.y_feature):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(self._names)
        defaults = [0, 1 if len(self._names) > 1 else 0]
        for combo, name, default in zip((self.x_feature, self.y_feature), old, defaults):
            index = combo.findText(name) if name else -1
            combo.setCurrentIndex(index if index >= 0 else default)
            combo.blockSignals(False)
        self._draw()

    def _draw(self) -> None:
        if self._x is None or not len(self._x):
            self.points.setData([], [])
            return
        i, j = self.features
        if i < 0 or j < 0:
            return
        if self._class_names is not None:
            palette = [pg.mkBrush(*CLASS_COLORS[k % len(CLASS_COLORS)])
                       for k in range(len(self._class_names))]
            brushes = [palette[int(k)] for k in self._y]
            self.legend.setText(" ".join(
                f'<span style="color: rgb{CLASS_COLORS[k % len(CLASS_COLORS)]}">\u25cf</span>'
                f"\u00a0{name}" for k, name in enumerate(self._class_names)))
        else:
            values = self._y.reshape(len(self._y), -1)[:, 0].astype(np.float64)
            lo, hi = float(values.min()), float(values.max())
            colors = grid_rgb(values[:, None], False, (lo, hi))
            brushes = [pg.mkBrush(*c) for c in colors]
            self.legend.setText(self.tr("Colour: target value, blue {0} to red {1}").format(
                f"{lo:.4g}", f"{hi:.4g}"))
        self.points.setData(self._x[:, i], self._x[:, j], brush=brushes)
        item = self.plot.getPlotItem()
        item.setLabel("bottom", self._names[i])
        item.setLabel("left", self._names[j])
        item.autoRange()
