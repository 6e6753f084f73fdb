"""Step mode: one batch going forward through the layers and its gradients coming back.

After Train > Step (one batch), a row per layer, input side first: the feedforward half --
the mean and spread of the layer's outputs over the batch and a heat strip of each unit's
mean output -- and the backpropagation half -- the norm of the gradient of the loss with
respect to the layer's weights, and a strip of that norm per unit.  The numbers are those of
the batch just trained, computed with the weights before its update (what the optimizer's
step used).

Feed it ``TrainingController.stepped`` (``set_step``; see
:func:`nnstudio.training.probes.step_state`).
"""

from __future__ import annotations

import math

from PySide6.QtCore import QCoreApplication, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QLabel, QSizePolicy,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

import numpy as np

from nnstudio import help_texts

__all__ = ["StepView", "HeatStrip", "COLUMNS"]

COLUMNS = ("layer", "units", "mean", "std", "activations", "gradient", "unit_gradients")
_NEGATIVE = QColor(49, 104, 176)  # diverging strips: blue below 0, red above
_POSITIVE = QColor(196, 58, 49)
_SEQUENTIAL = QColor(120, 60, 170)  # gradient magnitudes: white to purple


def _glossary(term: str) -> str:
    """The glossary's text for ``term`` (help_texts.GLOSSARY), translated."""
    for name, text in help_texts.GLOSSARY:
        if name == term:
            return QCoreApplication.translate("glossary", text)
    return ""


def _blend(base: QColor, t: float, paper: QColor) -> QColor:
    t = min(1.0, max(0.0, t))
    return QColor(round(paper.red() + (base.red() - paper.red()) * t),
                  round(paper.green() + (base.green() - paper.green()) * t),
                  round(paper.blue() + (base.blue() - paper.blue()) * t))


class HeatStrip(QWidget):
    """A row of coloured cells, one per unit.  ``signed``: blue (negative) to red
    (positive) around the palette's base colour, scaled by the largest magnitude; else the
    base colour to purple from 0 to the largest value."""

    def __init__(self, values, signed: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.values = np.asarray(values, dtype=np.float64).ravel()
        self.signed = signed
        self.setMinimumSize(60, 14)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setObjectName("heatStrip")
        finite = self.values[np.isfinite(self.values)]
        text = self.tr("%1 units").replace("%1", str(self.values.size))
        if finite.size:
            text = self.tr("%1 units, from %2 to %3").replace(
                "%1", str(self.values.size)).replace("%2", f"{finite.min():.4g}").replace(
                "%3", f"{finite.max():.4g}")
        self.setAccessibleName(text)
        self.setToolTip(text)

    def sizeHint(self) -> QSize:
        return QSize(160, 16)

    def colors(self) -> list[QColor]:
        paper = self.palette().color(QPalette.ColorRole.Base)
        v = self.values
        finite = v[np.isfinite(v)]
        top = float(np.abs(finite).max()) if finite.size else 0.0
        colors = []
        for value in v:
            if not math.isfinite(value):
                colors.append(QColor(0, 0, 0))
            elif top == 0:
                colors.append(paper)
            elif self.signed:
                base = _POSITIVE if value >= 0 else _NEGATIVE
                colors.append(_blend(base, abs(value) / top, paper))
            else:
                colors.append(_blend(_SEQUENTIAL, value / top, paper))
        return colors

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        n = max(1, self.values.size)
        rect = QRectF(self.rect()).adjusted(2, 3, -2, -3)
        width = rect.width() / n
        for i, color in enumerate(self.colors()):
            painter.fillRect(QRectF(rect.left() + i * width, rect.top(), width + 0.5,
                                    rect.height()), color)
        painter.setPen(self.palette().color(QPalette.ColorRole.Mid))
        painter.drawRect(rect)
        painter.end()


class StepView(QWidget):
    """A table of the layers of the stepped batch: feedforward and backpropagation.

    Public attributes: ``table`` (``QTableWidget``, one row per layer, columns
    ``COLUMNS``), ``summary`` and ``legend`` (``QLabel``).
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("stepView")
        self.setAccessibleName(self.tr("Step mode"))
        self._step: dict | None = None
        feedforward, backprop = _glossary("Feedforward"), _glossary("Backpropagation")

        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setObjectName("stepSummary")
        self.summary.setAccessibleName(self.tr("Step summary"))
        self.legend = QLabel(self.tr(
            "<b>Feedforward</b> \u2193 each layer's outputs for this batch, from the input "
            "to the output. <b>Backpropagation</b> \u2191 the gradient of the loss with "
            "respect to each layer's weights, from the output back to the input."), self)
        self.legend.setObjectName("stepLegend")
        self.legend.setAccessibleName(self.tr("Feedforward and backpropagation"))
        self.legend.setWordWrap(True)
        self.legend.setToolTip(f"<b>{self.tr('Feedforward')}</b>: {feedforward}<br>"
                               f"<b>{self.tr('Backpropagation')}</b>: {backprop}")

        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("stepTable")
        self.table.setAccessibleName(self.tr("Activations and gradients per layer"))
        headers = [self.tr("layer"), self.tr("units"), self.tr("feedforward \u2193\nmean"),
                   self.tr("std"), self.tr("mean activation per unit"),
                   self.tr("backpropagation \u2191\ngradient norm"),
                   self.tr("gradient norm per unit")]
        tips = [self.tr("The layer, its type and activation"), self.tr("Units of the layer"),
                self.tr("Mean of the layer's outputs over the batch and its units. ")
                + feedforward,
                self.tr("Standard deviation of the layer's outputs over the batch"),
                self.tr("Each unit's output averaged over the batch: blue below 0, red "
                        "above"),
                self.tr("L2 norm of the gradient of the loss with respect to the layer's "
                        "weights and biases. ") + backprop,
                self.tr("The gradient norm of each unit's weights and bias: a unit without "
                        "colour did not learn from this batch")]
        for c, (text, tip) in enumerate(zip(headers, tips)):
            item = QTableWidgetItem(text)
            item.setToolTip(tip)
            self.table.setHorizontalHeaderItem(c, item)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        for c in range(len(COLUMNS)):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        for c in (COLUMNS.index("activations"), COLUMNS.index("unit_gradients")):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.Stretch)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(self.summary)
        layout.addWidget(self.legend)
        layout.addWidget(self.table, 1)
        self.clear()

    # -- data -----------------------------------------------------------------------------
    @property
    def step(self) -> dict | None:
        """The step shown (``TrainingController.stepped``), or None."""
        return self._step

    def clear(self) -> None:
        """Forget the step (a new run starts)."""
        self._step = None
        self.table.setRowCount(0)
        self.summary.setText(self.tr(
            "Press Step (Train > Step One Batch, F10) to train a single batch and see it go "
            "forward through the layers and its gradients come back."))

    def set_step(self, step: dict) -> None:
        """Show ``step``: the per-layer entries of ``probes.step_state`` plus epoch, batch,
        iteration, batch_size and clipped."""
        self._step = step
        layers = step["layers"]
        table = self.table
        table.setRowCount(len(layers))
        for r, layer in enumerate(layers):
            kind = layer["type"] + (f", {layer['activation']}" if layer["activation"] else "")
            name = QTableWidgetItem(f"{layer['id']} ({kind})")
            table.setItem(r, 0, name)
            table.setItem(r, 1, self._number(str(layer["units"])))
            table.setItem(r, 2, self._number(f"{layer['mean']:.4g}"))
            table.setItem(r, 3, self._number(f"{layer['std']:.4g}"))
            table.setCellWidget(r, 4, HeatStrip(layer["unit_mean"], signed=True))
            norm = layer["grad_norm"]
            table.setItem(r, 5, self._number("\u2014" if norm is None else f"{norm:.4g}"))
            if layer["unit_grad"] is None:
                table.removeCellWidget(r, 6)
                table.setItem(r, 6, QTableWidgetItem(self.tr("no weights")))
            else:
                table.setItem(r, 6, QTableWidgetItem(""))
                table.setCellWidget(r, 6, HeatStrip(layer["unit_grad"], signed=False))
        text = self.tr(
            "Step: epoch %1, batch %2 (iteration %3), %4 samples; the weights before this "
            "batch's update").replace("%1", str(step.get("epoch", 0) + 1)).replace(
            "%2", str(step.get("batch", 0) + 1)).replace(
            "%3", str(step.get("iteration", 0))).replace("%4", str(step.get("batch_size", 0)))
        if step.get("clipped"):
            text += self.tr("; gradients after clipping")
        self.summary.setText(text + ".")

    @staticmethod
    def _number(text: str) -> QTableWidgetItem:
        item = QTableWidgetItem(text)
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return item

    # -- export ---------------------------------------------------------------------------
    def export_table(self) -> tuple[list[str], list[list]]:
        """One row per layer: id, units, activation mean and std, gradient norm."""
        header = ["layer", "units", "activation mean", "activation std", "gradient norm"]
        rows = []
        for layer in (self._step or {}).get("layers", []):
            norm = layer["grad_norm"]
            rows.append([layer["id"], layer["units"], repr(layer["mean"]), repr(layer["std"]),
                         "" if norm is None else repr(norm)])
        return header, rows

    def export_png(self, path) -> bool:
        """Save the widget as it looks as a PNG."""
        return self.grab().save(str(path), "PNG")
