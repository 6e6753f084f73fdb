"""Weights and activations: per-layer histograms, as the network trains.

For the layer picked in a combo box: left, the histogram of its weights (biases left out);
right, the histogram of its outputs (activations) on a fixed batch of training samples, the
same batch all run long, so that a change of shape is the network's and not the data's.
Saturated sigmoid / tanh units pile up at the ends of the range, dead ReLU units at 0,
exploding weights spread out.

Feed it ``TrainingController.histogramsUpdated`` (``set_histograms``: computed in the
worker at an epoch's end, throttled, the final weights last; see
:func:`nnstudio.training.probes.histograms`).
"""

from __future__ import annotations

import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6.QtGui import QColor, QPalette  # noqa: E402
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QVBoxLayout,  # noqa: E402
                               QWidget)

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402

from nnstudio.views.plot_style import colour_axes, show_grid  # noqa: E402

__all__ = ["HistogramsView"]

WEIGHT_COLOR = QColor(31, 119, 180)
ACTIVATION_COLOR = QColor(230, 120, 20)


class HistogramsView(QWidget):
    """Histograms of one layer's weights and activations, the layer picked in ``layer``.

    Public attributes: ``weights_plot``, ``activations_plot`` (``pg.PlotWidget``),
    ``weights_curve``, ``activations_curve`` (``pg.PlotDataItem``, step mode: x holds the
    bin edges, y the counts), ``layer`` (``QComboBox``), ``summary`` and
    ``weights_note`` (``QLabel``).
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("histogramsView")
        self.setAccessibleName(self.tr("Weights and activations"))
        self._data: dict | None = None
        self.n_updates = 0

        background = self.palette().color(QPalette.ColorRole.Base)
        foreground = self.palette().color(QPalette.ColorRole.Text)

        self.summary = QLabel(self.tr("No histograms yet"), self)
        self.summary.setObjectName("histogramsSummary")
        self.summary.setAccessibleName(self.tr("Histograms summary"))
        self.summary.setWordWrap(True)
        self.layer_label = QLabel(self.tr("Layer:"), self)
        self.layer_label.setObjectName("histogramsLayerLabel")
        self.layer_label.setAccessibleName(self.tr("Layer"))
        self.layer = QComboBox(self)
        self.layer.setObjectName("histogramsLayer")
        self.layer.setAccessibleName(self.tr("Layer shown"))
        self.layer.setToolTip(self.tr("The layer whose weights and activations are shown"))
        self.layer.setMinimumContentsLength(10)
        self.layer.currentIndexChanged.connect(self._draw)
        self.layer_label.setBuddy(self.layer)

        self.weights_plot, self.weights_curve = self._plot(
            "histogramsWeights", self.tr("Histogram of the layer's weights"),
            self.tr("weight"), WEIGHT_COLOR, background, foreground)
        self.activations_plot, self.activations_curve = self._plot(
            "histogramsActivations",
            self.tr("Histogram of the layer's activations on a fixed batch"),
            self.tr("activation"), ACTIVATION_COLOR, background, foreground)
        self.weights_note = pg.TextItem(self.tr("no weights in this layer"),
                                        color=foreground, anchor=(0.5, 0.5))
        self.weights_plot.getPlotItem().getViewBox().addItem(self.weights_note,
                                                            ignoreBounds=True)
        self.weights_note.setPos(0.5, 0.5)
        self.weights_note.setVisible(False)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.summary, 1)
        top.addWidget(self.layer_label)
        top.addWidget(self.layer)
        plots = QHBoxLayout()
        plots.setContentsMargins(0, 0, 0, 0)
        plots.addWidget(self.weights_plot, 1)
        plots.addWidget(self.activations_plot, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addLayout(plots, 1)

    def _plot(self, name: str, accessible: str, quantity: str, color: QColor,
              background, foreground):
        plot = pg.PlotWidget(self, background=background)
        plot.setObjectName(name)
        plot.setAccessibleName(accessible)
        plot.setMinimumSize(200, 150)
        item = plot.getPlotItem()
        show_grid(item, x=False, y=True)
        item.setLabel("bottom", quantity)
        item.setLabel("left", self.tr("count"))
        item.setTitle(accessible, color=foreground, size="9pt")
        colour_axes(item, foreground, si_prefix=False)
        fill = QColor(color)
        fill.setAlpha(140)
        curve = item.plot([0.0, 1.0], [0], stepMode="center", fillLevel=0,
                          pen=pg.mkPen(color.darker(120), width=1), brush=pg.mkBrush(fill))
        curve.setData([], [])
        return plot, curve

    # -- data -----------------------------------------------------------------------------
    @property
    def histograms(self) -> dict | None:
        """The histograms shown (``TrainingController.histogramsUpdated``), or None."""
        return self._data

    @property
    def layers(self) -> list[str]:
        return [self.layer.itemText(i) for i in range(self.layer.count())]

    def clear(self) -> None:
        """Forget the histograms (a new run starts)."""
        self._data = None
        self.n_updates = 0
        self.layer.blockSignals(True)
        self.layer.clear()
        self.layer.blockSignals(False)
        self.weights_curve.setData([], [])
        self.activations_curve.setData([], [])
        self.weights_note.setVisible(False)
        self.summary.setText(self.tr("No histograms yet"))

    def set_histograms(self, data: dict) -> None:
        """Show ``data``: ``{"layers": {id: {"weights", "activations", "units"}},
        "batch_size", "epoch", "final"}``; the layer picked stays picked."""
        self._data = data
        self.n_updates += 1
        names = list(data["layers"])
        if names != self.layers:
            keep = self.layer.currentText()
            self.layer.blockSignals(True)
            self.layer.clear()
            self.layer.addItems(names)
            if keep in names:
                self.layer.setCurrentIndex(names.index(keep))
            self.layer.blockSignals(False)
        self._draw()

    def set_layer(self, layer_id: str) -> None:
        """Show the histograms of ``layer_id``."""
        index = self.layer.findText(layer_id)
        if index >= 0:
            self.layer.setCurrentIndex(index)

    def shown(self) -> tuple[dict | None, dict | None]:
        """``(weights, activations)`` histograms of the layer shown (``counts``, ``edges``);
        weights None for a layer without any."""
        if self._data is None or self.layer.currentIndex() < 0:
            return None, None
        entry = self._data["layers"].get(self.layer.currentText())
        if entry is None:
            return None, None
        return entry["weights"], entry["activations"]

    # -- drawing --------------------------------------------------------------------------
    def _draw(self, *_):
        weights, activations = self.shown()
        if activations is None:
            return
        if weights is None:
            self.weights_curve.setData([], [])
        else:
            self.weights_curve.setData(weights["edges"], weights["counts"])
        self.weights_note.setVisible(weights is None)
        if weights is None:
            self.weights_plot.getPlotItem().getViewBox().setRange(xRange=(0, 1),
                                                                  yRange=(0, 1))
        self.activations_curve.setData(activations["edges"], activations["counts"])
        data = self._data
        entry = data["layers"][self.layer.currentText()]
        parts = [self.tr("Final weights") if data.get("final") else
                 self.tr("Epoch %1").replace("%1", str(int(data.get("epoch", 0)) + 1))]
        parts.append(self.tr("layer %1, %2 units").replace(
            "%1", self.layer.currentText()).replace("%2", str(entry["units"])))
        if weights is not None:
            parts.append(self.tr("%1 weights").replace("%1", str(int(weights["counts"].sum()))))
        parts.append(self.tr("activations of a fixed batch of %1 training samples").replace(
            "%1", str(data.get("batch_size", 0))))
        self.summary.setText(" · ".join(parts))

    # -- export ---------------------------------------------------------------------------
    def export_table(self) -> tuple[list[str], list[list]]:
        """One row per bin of every layer: layer, what (weights | activations), the bin's
        lower and upper edge, its count."""
        header = ["layer", "histogram", "from", "to", "count"]
        rows = []
        for nid, entry in ((self._data or {}).get("layers") or {}).items():
            for what in ("weights", "activations"):
                hist = entry[what]
                if hist is None:
                    continue
                edges, counts = np.asarray(hist["edges"]), np.asarray(hist["counts"])
                for b, count in enumerate(counts):
                    rows.append([nid, what, repr(float(edges[b])), repr(float(edges[b + 1])),
                                 int(count)])
        return header, rows

    def export_png(self, path) -> bool:
        """Save the widget as it looks as a PNG."""
        return self.grab().save(str(path), "PNG")
