"""Small widgets of the data panel: class balance bars, a grid of sample images, and the
names a table's parts need.

Both paint with QPainter (no pyqtgraph: the data panel is built at start-up) and size
themselves to their content, so that they read in a dock about 360 pixels wide.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QCoreApplication, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QImage, QPainter, QPalette
from PySide6.QtWidgets import QAbstractButton, QSizePolicy, QTableWidget, QWidget

from nnstudio.widgets import named

def _tr(text: str) -> str:
    return QCoreApplication.translate("DataPanel", text)


_ROW = 18          # pixels per class row
_IMAGE = 36        # pixels per sample image
_GAP = 6


def name_table_parts(table: QTableWidget, object_name: str, accessible: str) -> None:
    """Names for a table's headers and Qt's corner button (screen readers land on them)."""
    named(table.horizontalHeader(), f"{object_name}Columns",
          _tr("{0}: columns").format(accessible))
    named(table.verticalHeader(), f"{object_name}Rows",
          _tr("{0}: rows").format(accessible))
    table.setCornerButtonEnabled(False)
    for button in table.findChildren(QAbstractButton):  # Qt's corner button
        named(button, f"{object_name}SelectAll", _tr("Select all"))


class ClassBars(QWidget):
    """One row per class: its name, a bar as long as its share of the largest class, the
    count (and a weight, when given).  A class below ``warn_below`` of the largest is drawn
    in the warning colour."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("classBalance")
        self.setAccessibleName(self.tr("Class balance"))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.names: list[str] = []
        self.counts: list[int] = []
        self.weights: list[float] | None = None
        self.warn_below = 0.1

    def set_counts(self, names, counts, weights=None) -> None:
        self.names, self.counts = [str(n) for n in names], [int(c) for c in counts]
        self.weights = None if weights is None else [float(w) for w in weights]
        total = sum(self.counts) or 1
        parts = [f"{n}: {c} ({100 * c / total:.0f}%)" for n, c in zip(self.names, self.counts)]
        if self.weights:
            parts = [f"{p}, weight {w:.3g}" for p, w in zip(parts, self.weights)]
        self.setAccessibleDescription("; ".join(parts))
        self.setToolTip("\n".join(parts))
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(240, max(1, len(self.counts)) * _ROW + 2)

    def minimumSizeHint(self) -> QSize:
        return QSize(160, self.sizeHint().height())

    def paintEvent(self, _event) -> None:
        if not self.counts:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        fm = QFontMetrics(self.font())
        total = sum(self.counts) or 1
        biggest = max(self.counts) or 1
        name_w = min(max(fm.horizontalAdvance(n) for n in self.names) + 2 * _GAP,
                     self.width() // 3)
        texts = [f"{c}  {100 * c / total:.0f}%" for c in self.counts]
        if self.weights:
            texts = [f"{t}  ×{w:.2g}" for t, w in zip(texts, self.weights)]
        text_w = max(fm.horizontalAdvance(t) for t in texts) + _GAP
        bar_w = max(20, self.width() - name_w - text_w - 2)
        normal = pal.color(QPalette.ColorRole.Highlight)
        warn = QColor(214, 39, 40)
        for k, (name, count, text) in enumerate(zip(self.names, self.counts, texts)):
            top = k * _ROW + 1
            p.setPen(pal.color(QPalette.ColorRole.Text))
            p.drawText(QRectF(0, top, name_w - _GAP, _ROW),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                       fm.elidedText(name, Qt.TextElideMode.ElideRight, name_w - _GAP))
            rare = count / biggest < self.warn_below
            colour = QColor(warn if rare else normal)
            colour.setAlpha(200)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(colour)
            p.drawRoundedRect(QRectF(name_w, top + 3, max(2.0, bar_w * count / biggest),
                                     _ROW - 6), 2, 2)
            p.setPen(warn if rare else pal.color(QPalette.ColorRole.Text))
            p.drawText(QRectF(name_w + bar_w + 2, top, text_w, _ROW),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
        p.end()


class SampleImages(QWidget):
    """A grid of small grey-scale images (dark ink on white, as digits are written) with
    their class below each."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("sampleImages")
        self.setAccessibleName(self.tr("Sample images"))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.images: list[QImage] = []
        self.labels: list[str] = []

    def set_images(self, images: np.ndarray | None, labels: list[str]) -> None:
        self.images, self.labels = [], list(labels)
        if images is not None and len(images):
            lo, hi = float(images.min()), float(images.max())
            scale = 255.0 / (hi - lo) if hi > lo else 0.0
            for img in images:
                grey = (255 - (img - lo) * scale).clip(0, 255).astype(np.uint8)
                grey = np.ascontiguousarray(grey)
                h, w = grey.shape
                # copy(): the QImage must own its pixels, not borrow the array's
                self.images.append(QImage(grey.data, w, h, w,
                                          QImage.Format.Format_Grayscale8).copy())
        self.setAccessibleDescription(self.tr("{0} sample images: {1}").format(
            len(self.images), " ".join(self.labels)))
        self.updateGeometry()
        self.update()

    def _columns(self) -> int:
        return max(1, (self.width() + _GAP) // (_IMAGE + _GAP))

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        columns = max(1, (width + _GAP) // (_IMAGE + _GAP))
        rows = -(-len(self.images) // columns) if self.images else 0
        return rows * (_IMAGE + self._label_height() + _GAP)

    def _label_height(self) -> int:
        return QFontMetrics(self.font()).height()

    def sizeHint(self) -> QSize:
        return QSize(300, self.heightForWidth(300))

    def paintEvent(self, _event) -> None:
        if not self.images:
            return
        p = QPainter(self)
        columns = self._columns()
        cell_h = _IMAGE + self._label_height() + _GAP
        frame = self.palette().color(QPalette.ColorRole.Mid)
        for k, (image, label) in enumerate(zip(self.images, self.labels)):
            x = (k % columns) * (_IMAGE + _GAP)
            y = (k // columns) * cell_h
            target = QRectF(x, y, _IMAGE, _IMAGE)
            p.drawImage(target, image)   # nearest neighbour: the pixels stay sharp
            p.setPen(frame)
            p.drawRect(target.adjusted(0, 0, -1, -1))
            p.setPen(self.palette().color(QPalette.ColorRole.Text))
            p.drawText(QRectF(x, y + _IMAGE, _IMAGE, self._label_height()),
                       Qt.AlignmentFlag.AlignCenter, label)
        p.end()
