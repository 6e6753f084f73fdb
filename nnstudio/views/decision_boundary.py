"""Decision boundary: what the network predicts over the plane of two input features.

Like the TensorFlow playground: every point of a grid over the data's range is coloured by
its predicted class, the stronger the more probable (for regression, by the predicted value
on a diverging colour map), with the data points on top, coloured by their class.  The
grid is computed in the training worker with the current weights (at most every
``BOUNDARY_INTERVAL_S`` and at the end; see ``TrainingController.boundaryUpdated``); this
view only draws.  With more than two features the person picks the two axes, and the other
features are held at their training mean (``nnstudio.training.probes.grid_points``) -- or
picks the plane of the data's first two principal components through the training mean
(PCA), where the data points are drawn at their projections.
"""

from __future__ import annotations

import csv
import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6.QtCore import QRectF, Signal  # noqa: E402
from PySide6.QtGui import QColor, QPalette  # noqa: E402
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QVBoxLayout,  # noqa: E402
                               QWidget)

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from nnstudio.views.plot_style import colour_axes

from nnstudio.training import probes  # noqa: E402

__all__ = ["DecisionBoundaryView", "CLASS_COLORS", "grid_rgb"]

# the playground's orange and blue first, then the tab10 colours
CLASS_COLORS = [(245, 147, 34), (8, 119, 189), (44, 160, 44), (214, 39, 40),
                (148, 103, 189), (140, 86, 75), (227, 119, 194), (127, 127, 127),
                (188, 189, 34), (23, 190, 207)]
REGRESSION_MAP = "CET-D1"  # diverging blue-white-red
_MAX_POINTS = 3000  # data points drawn (a seeded subset of larger data)
_STRENGTH = 0.75  # the most confident cell: this share of its class colour over white


def _class_color(k: int) -> tuple[int, int, int]:
    return CLASS_COLORS[k % len(CLASS_COLORS)]


def grid_rgb(values: np.ndarray, classification: bool,
             levels: tuple[float, float] | None = None) -> np.ndarray:
    """uint8 RGB image (rows, columns, 3) of a grid of outputs (rows, columns, K).

    Classification: the class colour mixed into white by the confidence above chance,
    ``t = (p_max - 1/K) / (1 - 1/K)``; regression: the first output on ``REGRESSION_MAP``
    between ``levels`` (default: the grid's range).
    """
    if classification:
        classes, confidence = probes.classes_and_confidence(values)
        k = max(2, values.shape[-1])
        t = np.clip((confidence - 1.0 / k) / (1 - 1.0 / k), 0, 1) * _STRENGTH
        t = np.nan_to_num(t, nan=0.0)  # a diverged network's NaN: white
        colors = np.array([_class_color(c) for c in range(k)], dtype=np.float64)
        rgb = 255 + (colors[classes] - 255) * t[..., None]
        return np.clip(rgb, 0, 255).astype(np.uint8)
    v = values[..., 0].astype(np.float64)
    finite = v[np.isfinite(v)]
    lo, hi = levels if levels is not None else (
        (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0))
    with np.errstate(all="ignore"):  # a diverged network's NaN and inf: the low end
        scaled = np.nan_to_num(np.clip((v - lo) / (hi - lo if hi > lo else 1.0), 0, 1),
                               nan=0.0)
    lut = pg.colormap.get(REGRESSION_MAP).getLookupTable(nPts=256, alpha=False)
    return lut[(scaled * 255).astype(np.int64)].astype(np.uint8)


class DecisionBoundaryView(QWidget):
    """The predicted class (or value) over two input features, the data points on top.

    Signals
    -------
    featuresChanged(int i, int j)
        The person picked other axes; connect to
        ``TrainingController.set_boundary_features``.

    Public attributes: ``plot`` (``pg.PlotWidget``), ``image`` (``pg.ImageItem``),
    ``points`` (``pg.ScatterPlotItem``), ``x_feature``, ``y_feature`` (``QComboBox``),
    ``summary``, ``note`` (``QLabel``).
    """

    featuresChanged = Signal(int, int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("decisionBoundaryView")
        self.setAccessibleName(self.tr("Decision boundary"))
        self._grid: dict | None = None
        self._x: np.ndarray | None = None
        self._classes: np.ndarray | None = None  # class indices, or values for regression
        self._classification = True
        self._feature_names: list[str] = []
        self._class_names: list[str] = []
        self._n_grids = 0
        self._levels: tuple[float, float] | None = None

        background = self.palette().color(QPalette.ColorRole.Base)
        foreground = self.palette().color(QPalette.ColorRole.Text)

        self.summary = QLabel(self.tr("No decision boundary yet"), self)
        self.summary.setObjectName("decisionBoundarySummary")
        self.summary.setAccessibleName(self.tr("Decision boundary summary"))
        self.summary.setWordWrap(True)
        self.x_feature = QComboBox(self)
        self.x_feature.setObjectName("decisionBoundaryXFeature")
        self.x_feature.setAccessibleName(self.tr("Feature on the horizontal axis"))
        self.y_feature = QComboBox(self)
        self.y_feature.setObjectName("decisionBoundaryYFeature")
        self.y_feature.setAccessibleName(self.tr("Feature on the vertical axis"))
        for combo in (self.x_feature, self.y_feature):
            combo.setToolTip(self.tr("The input feature drawn on this axis"))
            combo.activated.connect(self._features_picked)
        self.axes = QComboBox(self)
        self.axes.setObjectName("decisionBoundaryAxes")
        self.axes.setAccessibleName(self.tr("What the axes show"))
        self.axes.addItems([self.tr("Two features"), self.tr("PCA projection")])
        self.axes.setToolTip(self.tr(
            "Two input features (the others held at their training mean), or the plane of "
            "the first two principal components: the two directions in which the inputs "
            "vary most (PCA, principal component analysis)"))
        self.axes.activated.connect(self._features_picked)
        self.x_label = QLabel(self.tr("x:"), self)
        self.x_label.setObjectName("decisionBoundaryXLabel")
        self.x_label.setAccessibleName(self.tr("Horizontal axis"))
        self.x_label.setBuddy(self.x_feature)
        self.y_label = QLabel(self.tr("y:"), self)
        self.y_label.setObjectName("decisionBoundaryYLabel")
        self.y_label.setAccessibleName(self.tr("Vertical axis"))
        self.y_label.setBuddy(self.y_feature)
        self.note = QLabel(self.tr("Other features are held at their training mean."), self)
        self.note.setObjectName("decisionBoundaryNote")
        self.note.setAccessibleName(self.tr("How the other features are set"))
        self.note.setVisible(False)

        self.plot = pg.PlotWidget(self, background=background)
        self.plot.setObjectName("decisionBoundaryPlot")
        self.plot.setAccessibleName(self.tr("Predicted class over the input plane"))
        self.plot.setMinimumSize(200, 200)
        item = self.plot.getPlotItem()
        item.setMenuEnabled(False)
        colour_axes(item, foreground)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-10)
        item.addItem(self.image)
        self.points = pg.ScatterPlotItem(size=6, pen=pg.mkPen(QColor(40, 40, 40), width=0.7))
        item.addItem(self.points)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.summary, 1)
        top.addWidget(self.axes)
        top.addWidget(self.x_label)
        top.addWidget(self.x_feature)
        top.addWidget(self.y_label)
        top.addWidget(self.y_feature)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.note)
        layout.addWidget(self.plot, 1)
        self._set_features_enabled()

    # -- data -----------------------------------------------------------------------------
    @property
    def grid(self) -> dict | None:
        """The grid drawn (as ``TrainingController.boundaryUpdated`` sent it), or None."""
        return self._grid

    @property
    def n_grids(self) -> int:
        """Grids received since ``clear`` / ``set_data``."""
        return self._n_grids

    @property
    def features(self) -> tuple[int, int]:
        """The two features on the axes, or ``probes.PCA`` for the principal-component
        plane."""
        if self.pca:
            return probes.PCA
        return (max(0, self.x_feature.currentIndex()), max(0, self.y_feature.currentIndex()))

    @property
    def pca(self) -> bool:
        """True when the axes show the principal-component plane."""
        return self.axes.currentIndex() == 1 and self.axes.isVisibleTo(self)

    def set_job(self, job) -> None:
        """The data of a ``TrainingJob``: its inputs, targets, names and task."""
        dataset = job.dataset
        classification = dataset.task == "classification"
        y = probes.class_indices(job.y) if classification else np.asarray(job.y)
        self.set_data(job.x, y, dataset.feature_names, dataset.class_names or [],
                      classification)

    def set_data(self, x, y, feature_names=None, class_names=None,
                 classification: bool = True) -> None:
        """The data points: inputs ``x`` (N, F), class indices (or values) ``y``."""
        self._x = np.asarray(x)
        y = np.asarray(y)
        self._classes = y if classification else (y[:, 0] if y.ndim == 2 else y)
        self._classification = bool(classification)
        n_features = self._x.shape[1]
        self._feature_names = [str(n) for n in (feature_names or [])]
        if len(self._feature_names) != n_features:
            self._feature_names = [f"x{i + 1}" for i in range(n_features)]
        self._class_names = [str(n) for n in (class_names or [])]
        keep = (max(0, self.x_feature.currentIndex()), max(0, self.y_feature.currentIndex()))
        for combo in (self.x_feature, self.y_feature):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(self._feature_names)
            combo.blockSignals(False)
        i, j = keep if max(keep) < n_features and keep[0] != keep[1] else (0, 1)
        if n_features >= 2:
            self.x_feature.setCurrentIndex(i)
            self.y_feature.setCurrentIndex(j)
        self._set_features_enabled()
        self._grid, self._n_grids, self._levels = None, 0, None
        self.image.clear()
        self._draw_points()
        self._update_summary()

    def clear(self) -> None:
        """Forget the grids (a new run starts); the data points stay."""
        self._grid, self._n_grids, self._levels = None, 0, None
        self.image.clear()
        self._update_summary()

    def reset(self) -> None:
        """Forget the data points and the grids (another document is shown)."""
        self._x = None
        self._grid, self._n_grids, self._levels = None, 0, None
        self.image.clear()
        self._draw_points()
        self._set_features_enabled()
        self._update_summary()

    def set_grid(self, grid: dict) -> None:
        """Draw a grid of ``TrainingController.boundaryUpdated``."""
        self._grid = grid
        self._n_grids += 1
        values = np.asarray(grid["values"])
        classification = bool(grid.get("classification", self._classification))
        levels = None
        if not classification:
            levels = self._regression_levels(values)
        self.image.setImage(grid_rgb(values, classification, levels), autoLevels=False,
                            levels=(0, 255))
        (x0, x1), (y0, y1) = grid["x_range"], grid["y_range"]
        self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        if tuple(grid["features"]) != self._drawn_features or probes.is_pca(grid["features"]):
            self._draw_points(tuple(grid["features"]))  # (PCA: in the grid's own plane)
        self._update_summary()

    def _regression_levels(self, values) -> tuple[float, float]:
        """One colour scale for the grid and the points: the range of the targets and the
        predictions."""
        v = values[..., 0]
        lo, hi = float(np.nanmin(v)), float(np.nanmax(v))
        if self._classes is not None and len(self._classes):
            lo = min(lo, float(np.min(self._classes)))
            hi = max(hi, float(np.max(self._classes)))
        self._levels = (lo, hi)
        return self._levels

    # -- drawing --------------------------------------------------------------------------
    _drawn_features: tuple[int, int] | None = None

    def _draw_points(self, features: tuple[int, int] | None = None) -> None:
        x = self._x
        if x is None or x.shape[1] < 2:
            self.points.setData([], [])
            self._drawn_features = None
            return
        features = tuple(features or self.features)
        rows = np.arange(len(x))
        if len(rows) > _MAX_POINTS:
            rows = np.sort(np.random.default_rng(0).choice(len(x), _MAX_POINTS, replace=False))
        y = self._classes[rows]
        if self._classification:
            palette = [pg.mkBrush(*_class_color(k)) for k in range(int(y.max()) + 1)]
            brushes = [palette[int(k)] for k in y]
        else:
            lo, hi = self._levels or (float(y.min()), float(y.max()))
            colors = grid_rgb(np.asarray(y, dtype=np.float64)[:, None], False, (lo, hi))
            brushes = [pg.mkBrush(*c) for c in colors]
        item = self.plot.getPlotItem()
        if probes.is_pca(features):
            centre, basis = self._plane()
            coords = probes.project(x[rows], centre, basis)
            self.points.setData(coords[:, 0], coords[:, 1], brush=brushes)
            names = self.axis_names(features)
        else:
            i, j = features
            self.points.setData(x[rows, i], x[rows, j], brush=brushes)
            names = self.axis_names(features)
        self._drawn_features = features
        item.setLabel("bottom", names[0])
        item.setLabel("left", names[1])

    def axis_names(self, features) -> tuple[str, str]:
        """What the horizontal and vertical axes show, for ``features``."""
        if probes.is_pca(features):
            return (self.tr("principal component 1"), self.tr("principal component 2"))
        i, j = features
        return self._feature_names[i], self._feature_names[j]

    def _plane(self) -> tuple[np.ndarray, np.ndarray]:
        """The PCA plane's centre and basis: the grid's (the worker's, on the training
        data) when it has one, else computed here from the data points."""
        grid = self._grid
        if grid is not None and grid.get("basis") is not None:
            return np.asarray(grid["hold"]), np.asarray(grid["basis"])
        centre = np.asarray(self._x, dtype=np.float64).mean(axis=0)
        return centre, probes.principal_plane(self._x, centre)

    def _set_features_enabled(self) -> None:
        enough = self._x is not None and self._x.shape[1] > 2
        self.axes.setVisible(enough)
        two = enough and self.axes.currentIndex() == 0
        for widget in (self.x_feature, self.y_feature, self.x_label, self.y_label):
            widget.setVisible(two)
        self.note.setVisible(enough)
        self.note.setText(
            self.tr("The plane of the two directions in which the inputs vary most, through "
                    "their training mean; points are drawn at their projections.")
            if enough and not two else self.tr("Other features are held at their training "
                                               "mean."))

    def _features_picked(self, *_):
        self._set_features_enabled()
        i, j = self.features
        if i == j and self.x_feature.count() > 1:  # the other axis moves out of the way
            other = self.y_feature if self.sender() is self.x_feature else self.x_feature
            other.setCurrentIndex((i + 1) % self.x_feature.count())
            i, j = self.features
        self._draw_points((i, j))
        self.featuresChanged.emit(i, j)

    def _update_summary(self) -> None:
        grid = self._grid
        if grid is None:
            self.summary.setText(self.tr("No decision boundary yet: press Train"))
            return
        text = self.tr("Epoch %1, iteration %2").replace(
            "%1", str(int(grid.get("epoch", 0)) + 1)).replace(
            "%2", str(int(grid.get("iteration", 0))))
        if grid.get("final"):
            text = self.tr("Final weights") + " · " + text
        if self._class_names and grid.get("classification", True):
            text += " · " + " ".join(
                f'<span style="color: rgb{_class_color(k)}">\u25a0</span>\u00a0{name}'
                for k, name in enumerate(self._class_names[:len(CLASS_COLORS)]))
        self.summary.setText(text)

    # -- export ---------------------------------------------------------------------------
    def export_csv(self, path) -> None:
        """One row per grid point: both features, then the predicted class and its
        probability (classification) or the predicted value (regression)."""
        grid = self._grid
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            if grid is None:
                return
            n = grid["resolution"]
            values = np.asarray(grid["values"])
            (x0, x1), (y0, y1) = grid["x_range"], grid["y_range"]
            xs = x0 + (np.arange(n) + 0.5) * (x1 - x0) / n
            ys = y0 + (np.arange(n) + 0.5) * (y1 - y0) / n
            classification = grid.get("classification", True)
            if not self._feature_names:
                self._feature_names = [f"x{c + 1}" for c in range(len(grid["hold"]))]
            x_name, y_name = self.axis_names(grid["features"])
            if classification:
                classes, confidence = probes.classes_and_confidence(values)
                writer.writerow([x_name, y_name, "class", "probability"])
                for r in range(n):
                    for c in range(n):
                        writer.writerow([repr(float(xs[c])), repr(float(ys[r])),
                                         int(classes[r, c]), repr(float(confidence[r, c]))])
            else:
                writer.writerow([x_name, y_name, "prediction"])
                for r in range(n):
                    for c in range(n):
                        writer.writerow([repr(float(xs[c])), repr(float(ys[r])),
                                         repr(float(values[r, c, 0]))])

    def export_png(self, path) -> bool:
        """Save the widget as it looks as a PNG."""
        return self.grab().save(str(path), "PNG")
