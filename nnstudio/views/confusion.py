"""Confusion matrix of a classification run, with its per-class report.

A pyqtgraph ``ImageItem`` + ``ColorBarItem`` heat map (rows: true classes, top to bottom;
columns: predicted classes), the count (or row share) written in every cell, class names on
both axes; beside it a table of per-class precision, recall, F1 and support, accuracy, and
the macro and weighted averages (``engine.metrics.report_from_confusion``).  Below, a
click on a cell lists the samples of that cell -- inputs, true and predicted class, and
the predicted probability of every class -- once the run's predictions have arrived
(``set_evaluation``, fed by ``TrainingController.evaluationReady``).

Feed it ``TrainingController.epochsEnded`` (``add_epochs``: the newest epoch's confusion
matrix, validation if the run has a validation split) and ``evaluationReady``.
"""

from __future__ import annotations

import csv
import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6.QtCore import QRectF, Qt, Signal  # noqa: E402
from PySide6.QtGui import QColor, QFont, QPalette  # noqa: E402
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QHBoxLayout,  # noqa: E402
                               QHeaderView, QLabel, QSplitter, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from nnstudio.views.plot_style import colour_axes

from engine import metrics  # noqa: E402

__all__ = ["ConfusionView"]

COLORMAP = "viridis"
_MAX_LISTED = 500  # rows of one cell listed in the samples table
DARK, LIGHT = QColor(0, 0, 0), QColor(255, 255, 255)  # cell texts on bright / dark cells


class _CellTexts(pg.GraphicsObject):
    """The numbers in the cells of the matrix, all drawn in one paint, upright and unscaled
    whatever the zoom.  (A ``pg.TextItem`` per cell lays out a rich-text document for each:
    a 10-class matrix took a fifth of the window's time while training.)"""

    def __init__(self):
        super().__init__()
        self.texts: list[list[str]] = []  # row i (true class), column j (predicted)
        self.dark: list[list[bool]] = []
        self.font = QFont()

    def set_cells(self, texts: list[list[str]], dark: list[list[bool]], font: QFont) -> None:
        if len(texts) != len(self.texts):
            self.prepareGeometryChange()
        self.texts, self.dark, self.font = texts, dark, font
        self.update()

    def boundingRect(self) -> QRectF:
        k = len(self.texts)
        return QRectF(0, 0, k, k)

    def paint(self, painter, *_args) -> None:
        k = len(self.texts)
        if not k:
            return
        to_device = painter.transform()  # cells in data units, text in pixels
        painter.save()
        painter.resetTransform()
        painter.setFont(self.font)
        centre = Qt.AlignmentFlag.AlignCenter
        for i, (row, dark_row) in enumerate(zip(self.texts, self.dark)):
            for j, (text, dark) in enumerate(zip(row, dark_row)):
                painter.setPen(DARK if dark else LIGHT)
                painter.drawText(to_device.mapRect(QRectF(j, i, 1, 1)), centre, text)
        painter.restore()


class _Table(QTableWidget):
    def __init__(self, name: str, accessible: str, parent: QWidget):
        super().__init__(parent)
        self.setObjectName(name)
        self.setAccessibleName(accessible)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(20)
        self.setAlternatingRowColors(True)


def _item(text: str, number: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if number:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class ConfusionView(QWidget):
    """Confusion matrix heat map, per-class report and the samples of a clicked cell.

    Signals
    -------
    cellSelected(int true, int predicted)

    Public attributes: ``plot`` (``pg.PlotWidget``), ``image`` (``pg.ImageItem``),
    ``color_bar`` (``pg.ColorBarItem``), ``normalized`` (``QCheckBox``), ``report_table``,
    ``samples_table`` (``QTableWidget``), ``summary``, ``samples_label`` (``QLabel``).
    """

    cellSelected = Signal(int, int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("confusionView")
        self.setAccessibleName(self.tr("Confusion matrix"))
        self._matrix: np.ndarray | None = None
        self._names: list[str] = []
        self._feature_names: list[str] = []
        self._epoch: int | None = None
        self._evaluation: dict | None = None
        self._report: dict | None = None
        self._selected: tuple[int, int] | None = None

        background = self.palette().color(QPalette.ColorRole.Base)
        foreground = self.palette().color(QPalette.ColorRole.Text)
        self._foreground = foreground

        self.summary = QLabel(self.tr("No confusion matrix yet"), self)
        self.summary.setObjectName("confusionSummary")
        self.summary.setAccessibleName(self.tr("Confusion matrix summary"))
        self.summary.setWordWrap(True)
        self.normalized = QCheckBox(self.tr("Row-normalized"), self)
        self.normalized.setObjectName("confusionNormalized")
        self.normalized.setAccessibleName(self.tr("Show each row as shares of its class"))
        self.normalized.setToolTip(self.tr(
            "Show each true class's row as fractions of its samples (the diagonal is then "
            "the recall of each class)"))
        self.normalized.toggled.connect(self._draw)

        self.plot = pg.PlotWidget(self, background=background)
        self.plot.setObjectName("confusionPlot")
        self.plot.setAccessibleName(self.tr("Confusion matrix heat map"))
        self.plot.setMinimumSize(220, 200)
        item = self.plot.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        item.getViewBox().setMouseEnabled(x=False, y=False)
        item.getViewBox().setAspectLocked(True)
        item.getViewBox().invertY(True)  # true class 0 on top, as the matrix is written
        item.setLabel("bottom", self.tr("predicted class"))
        item.setLabel("left", self.tr("true class"))
        colour_axes(item, foreground)
        self.image = pg.ImageItem(axisOrder="row-major")
        item.addItem(self.image)
        self.cells = _CellTexts()
        item.addItem(self.cells)
        self.color_bar = pg.ColorBarItem(values=(0, 1), colorMap=pg.colormap.get(COLORMAP),
                                         interactive=False, width=14)
        self.color_bar.setImageItem(self.image, insert_in=item)
        self.plot.scene().sigMouseClicked.connect(self._clicked)

        self.report_table = _Table("confusionReport", self.tr("Per-class report"), self)
        self.report_table.setColumnCount(4)
        self.report_table.setHorizontalHeaderLabels(
            [self.tr("precision"), self.tr("recall"), self.tr("F1"), self.tr("support")])
        self.report_table.verticalHeader().setVisible(True)
        self.report_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)

        self.samples_label = QLabel(self.tr("Click a cell to list its samples."), self)
        self.samples_label.setObjectName("confusionSamplesLabel")
        self.samples_label.setAccessibleName(self.tr("Selected cell"))
        self.samples_label.setWordWrap(True)
        self.samples_table = _Table("confusionSamples",
                                    self.tr("Samples of the selected cell"), self)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.summary, 1)
        top.addWidget(self.normalized)

        upper = QSplitter(Qt.Orientation.Horizontal, self)
        upper.setObjectName("confusionSplitter")
        upper.setAccessibleName(self.tr("Heat map and report"))
        upper.addWidget(self.plot)
        upper.addWidget(self.report_table)
        upper.setStretchFactor(0, 3)
        upper.setStretchFactor(1, 2)
        upper.setSizes([470, 340])
        lower = QWidget(self)
        lower.setObjectName("confusionSamplesPane")
        lower.setAccessibleName(self.tr("Samples of the selected cell"))
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.samples_label)
        lower_layout.addWidget(self.samples_table)
        outer = QSplitter(Qt.Orientation.Vertical, self)
        outer.setObjectName("confusionOuterSplitter")
        outer.setAccessibleName(self.tr("Matrix and samples"))
        outer.addWidget(upper)
        outer.addWidget(lower)
        outer.setStretchFactor(0, 3)
        outer.setStretchFactor(1, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(outer, 1)

    # -- data -----------------------------------------------------------------------------
    @property
    def matrix(self) -> np.ndarray | None:
        """The counts shown (int64 (K, K), rows true, columns predicted), or None."""
        return None if self._matrix is None else self._matrix.copy()

    @property
    def report(self) -> dict | None:
        """``engine.metrics.report_from_confusion`` of the matrix shown."""
        return self._report

    @property
    def class_names(self) -> list[str]:
        return list(self._names)

    def set_class_names(self, names, feature_names=None) -> None:
        """Names of the classes (axes, report, samples) and of the input features."""
        self._names = [str(n) for n in (names or [])]
        if feature_names is not None:
            self._feature_names = [str(n) for n in feature_names]
        if self._matrix is not None:
            self._set(self._matrix)

    def clear(self) -> None:
        """Forget the matrix and the samples (a new run starts)."""
        self._matrix, self._report, self._evaluation = None, None, None
        self._epoch, self._selected = None, None
        self.image.clear()
        self.cells.set_cells([], [], self.font())
        self.report_table.setRowCount(0)
        self.samples_table.setRowCount(0)
        self.samples_table.setColumnCount(0)
        self.summary.setText(self.tr("No confusion matrix yet"))
        self.samples_label.setText(self.tr("Click a cell to list its samples."))

    def add_epochs(self, epochs: list[dict]) -> None:
        """Show the newest confusion matrix of ``epochs`` (``TrainingController.epochsEnded``);
        epochs without one (regression) change nothing."""
        for e in reversed(epochs):
            if e.get("confusion") is not None:
                self._epoch = int(e["epoch"])
                self.set_matrix(e["confusion"])
                return

    def set_matrix(self, matrix) -> None:
        """Show the counts ``matrix`` (K, K), rows true classes, columns predicted."""
        self._set(np.asarray(matrix, dtype=np.int64))

    def set_evaluation(self, evaluation: dict) -> None:
        """The run's predictions (``TrainingController.evaluationReady``): shows their
        confusion matrix and makes the cells' samples listable."""
        self._evaluation = evaluation
        if evaluation.get("confusion") is not None:
            self._set(np.asarray(evaluation["confusion"], dtype=np.int64))
        if self._selected is not None:
            self.select_cell(*self._selected)

    def _set(self, matrix: np.ndarray) -> None:
        k = matrix.shape[0]
        if len(self._names) != k:
            self._names = [str(i) for i in range(k)]
        self._matrix = matrix
        try:
            self._report = metrics.report_from_confusion(matrix, self._names)
        except ValueError:  # an all-zero matrix: no samples yet
            self._report = None
        self._draw()
        self._fill_report()

    # -- drawing --------------------------------------------------------------------------
    def shown_values(self) -> np.ndarray | None:
        """What the cells show: counts, or row shares when row-normalized."""
        m = self._matrix
        if m is None:
            return None
        if not self.normalized.isChecked():
            return m.astype(np.float64)
        rows = m.sum(axis=1, keepdims=True).astype(np.float64)
        return np.divide(m, rows, out=np.zeros(m.shape), where=rows != 0)

    def cell_text(self, i: int, j: int) -> str:
        """The text drawn in the cell of true class ``i`` and predicted class ``j``."""
        return self.cells.texts[i][j]

    def _draw(self, *_):
        values = self.shown_values()
        if values is None:
            return
        k = values.shape[0]
        normalized = self.normalized.isChecked()
        top = 1.0 if normalized else max(1.0, float(values.max()))
        self.image.setImage(values, autoLevels=False, levels=(0, top))
        self.image.setRect(QRectF(0, 0, k, k))
        self.color_bar.setLevels((0, top))
        texts = [[f"{v:.2f}" if normalized else str(int(v)) for v in row] for row in values]
        # dark text on the bright end of the map, light text on the dark end
        dark = (values / top > 0.6).tolist()
        font = QFont(self.font())
        font.setPointSize(max(7, min(12, int(40 / max(k, 1)) + 5)))
        self.cells.set_cells(texts, dark, font)
        ticks = [(i + 0.5, self._short(name)) for i, name in enumerate(self._names)]
        item = self.plot.getPlotItem()
        item.getAxis("bottom").setTicks([ticks])
        item.getAxis("left").setTicks([ticks])
        item.getViewBox().setRange(xRange=(0, k), yRange=(0, k), padding=0)
        self._update_summary()

    @staticmethod
    def _short(name: str, limit: int = 14) -> str:
        return name if len(name) <= limit else name[:limit - 1] + "\u2026"

    def _update_summary(self) -> None:
        if self._report is None:
            self.summary.setText(self.tr("No samples in the matrix"))
            return
        parts = []
        if self._evaluation is not None:
            parts.append(self.tr("Final weights, %1 split").replace(
                "%1", self._evaluation.get("split", "")))
        elif self._epoch is not None:
            parts.append(self.tr("Epoch %1").replace("%1", str(self._epoch + 1)))
        parts.append(self.tr("accuracy %1").replace("%1", f"{self._report['accuracy']:.3f}"))
        parts.append(self.tr("%1 samples").replace("%1", str(self._report["n_samples"])))
        self.summary.setText(" · ".join(parts))

    def _fill_report(self) -> None:
        table, report = self.report_table, self._report
        if report is None:
            table.setRowCount(0)
            return
        per = report["per_class"]
        k = len(per["class_names"])
        labels = list(per["class_names"]) + [self.tr("accuracy"), self.tr("macro avg"),
                                              self.tr("weighted avg")]
        table.setRowCount(len(labels))
        table.setVerticalHeaderLabels([self._short(n, 20) for n in labels])
        n = report["n_samples"]
        for i in range(k):
            for c, key in enumerate(("precision", "recall", "f1")):
                table.setItem(i, c, _item(f"{per[key][i]:.3f}", True))
            table.setItem(i, 3, _item(str(per["support"][i]), True))
        table.setItem(k, 0, _item(""))
        table.setItem(k, 1, _item(""))
        table.setItem(k, 2, _item(f"{report['accuracy']:.3f}", True))
        table.setItem(k, 3, _item(str(n), True))
        for r, average in ((k + 1, "macro"), (k + 2, "weighted")):
            for c, key in enumerate(("precision", "recall", "f1")):
                table.setItem(r, c, _item(f"{report[average][key]:.3f}", True))
            table.setItem(r, 3, _item(str(n), True))

    # -- cells ----------------------------------------------------------------------------
    def _clicked(self, event) -> None:
        if self._matrix is None:
            return
        vb = self.plot.getPlotItem().getViewBox()
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        point = vb.mapSceneToView(event.scenePos())
        j, i = int(np.floor(point.x())), int(np.floor(point.y()))
        k = self._matrix.shape[0]
        if 0 <= i < k and 0 <= j < k:
            self.select_cell(i, j)

    def cell_rows(self, true: int, predicted: int) -> np.ndarray:
        """Positions (in the evaluation's arrays) of the samples of class ``true`` predicted
        as ``predicted``; empty before the run's predictions arrive."""
        ev = self._evaluation
        if ev is None:
            return np.arange(0)
        return np.flatnonzero((np.asarray(ev["y_true"]) == true)
                              & (np.asarray(ev["y_pred"]) == predicted))

    def select_cell(self, true: int, predicted: int) -> None:
        """List the samples of the cell (``true``, ``predicted``) and emit
        ``cellSelected``."""
        self._selected = (int(true), int(predicted))
        names = self._names
        name = (lambda c: names[c] if c < len(names) else str(c))
        ev = self._evaluation
        table = self.samples_table
        if ev is None:
            table.setRowCount(0)
            self.samples_label.setText(self.tr(
                "True %1, predicted %2: the samples are listed when the run ends.")
                .replace("%1", name(true)).replace("%2", name(predicted)))
            self.cellSelected.emit(int(true), int(predicted))
            return
        rows = self.cell_rows(true, predicted)
        x, probs = np.asarray(ev["x"]), np.asarray(ev["probabilities"])
        indices = np.asarray(ev.get("indices", np.arange(len(x))))
        features = (self._feature_names if len(self._feature_names) == x.shape[1]
                    else [f"x{c + 1}" for c in range(x.shape[1])])
        if probs.shape[1] == 1:  # one sigmoid output: p(class 1)
            probs = np.concatenate([1 - probs, probs], axis=1)
        headers = ([self.tr("row")] + features + [self.tr("true"), self.tr("predicted")]
                   + [self.tr("p(%1)").replace("%1", self._short(name(c), 10))
                      for c in range(probs.shape[1])])
        kind = (self.tr("correctly classified") if true == predicted
                else self.tr("misclassified"))
        self.samples_label.setText(
            self.tr("%n sample(s) %2 (%3 split): true %4, predicted %5", "", len(rows))
            .replace("%2", kind)
            .replace("%3", str(ev.get("split", ""))).replace("%4", name(true))
            .replace("%5", name(predicted))
            + (self.tr(" -- the first %1 listed").replace("%1", str(_MAX_LISTED))
               if len(rows) > _MAX_LISTED else ""))
        shown = rows[:_MAX_LISTED]
        table.setUpdatesEnabled(False)
        table.clear()
        table.setColumnCount(len(headers))
        table.setHorizontalHeaderLabels(headers)
        table.setRowCount(len(shown))
        for r, pos in enumerate(shown):
            cells = [str(int(indices[pos]))]
            cells += [f"{v:.4g}" for v in x[pos]]
            cells += [name(int(ev["y_true"][pos])), name(int(ev["y_pred"][pos]))]
            cells += [f"{p:.3f}" for p in probs[pos]]
            for c, text in enumerate(cells):
                table.setItem(r, c, _item(text, c != len(features) + 1
                                          and c != len(features) + 2))
        table.resizeColumnsToContents()
        table.setUpdatesEnabled(True)
        self.cellSelected.emit(int(true), int(predicted))

    # -- export ---------------------------------------------------------------------------
    def export_csv(self, path) -> None:
        """The matrix (counts; a header row of predicted classes, a first column of true
        classes), a blank line, then the report: class, precision, recall, F1, support, and
        rows for accuracy, macro avg and weighted avg."""
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            if self._matrix is None:
                writer.writerow(["true \\ predicted"])
                return
            writer.writerow(["true \\ predicted", *self._names])
            for name, row in zip(self._names, self._matrix):
                writer.writerow([name, *[int(v) for v in row]])
            if self._report is None:
                return
            r = self._report
            per = r["per_class"]
            writer.writerow([])
            writer.writerow(["class", "precision", "recall", "f1", "support"])
            for i, name in enumerate(per["class_names"]):
                writer.writerow([name, repr(per["precision"][i]), repr(per["recall"][i]),
                                 repr(per["f1"][i]), per["support"][i]])
            writer.writerow(["accuracy", "", "", repr(r["accuracy"]), r["n_samples"]])
            for average in ("macro", "weighted"):
                writer.writerow([f"{average} avg", repr(r[average]["precision"]),
                                 repr(r[average]["recall"]), repr(r[average]["f1"]),
                                 r["n_samples"]])

    def export_png(self, path) -> bool:
        """Save the widget as it looks as a PNG."""
        return self.grab().save(str(path), "PNG")
