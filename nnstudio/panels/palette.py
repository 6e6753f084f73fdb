"""The layer palette: every layer type in the engine's registry, with its one-line help.

Double-clicking an entry appends that layer after the selected one; dragging one carries its
registry name as MIME data (``application/x-nnstudio-layer``) for the canvas.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QMimeData, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem

from engine import layers as layer_registry
from nnstudio.widgets import named

MIME_TYPE = "application/x-nnstudio-layer"


class Palette(QListWidget):
    """Signals: ``layerActivated(str)`` with the registry name on double-click / Enter."""

    layerActivated = Signal(str)

    def __init__(self, icon_for=None, parent=None):
        super().__init__(parent)
        named(self, "layerPalette", self.tr("Layer palette"))
        self.icon_for = icon_for
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        for name in layer_registry.names():
            cls = layer_registry.LAYERS.cls(name)
            item = QListWidgetItem(name.replace("_", " "))
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(cls.help)
            item.setStatusTip(cls.help)
            self.addItem(item)
        self._set_icons()
        self.itemActivated.connect(
            lambda item: self.layerActivated.emit(item.data(Qt.ItemDataRole.UserRole)))

    def _set_icons(self) -> None:
        if self.icon_for is None:
            return
        for row in range(self.count()):
            item = self.item(row)
            name = item.data(Qt.ItemDataRole.UserRole)
            try:
                item.setIcon(self.icon_for(f"layer-{name.replace('_', '-')}"))
            except KeyError:
                pass

    def changeEvent(self, event) -> None:
        # icons are drawn in the palette's text colour: redraw them for a new palette
        if event.type() == QEvent.Type.PaletteChange:
            self._set_icons()
        super().changeEvent(event)

    def mimeData(self, items):
        data = QMimeData()
        if items:
            data.setData(MIME_TYPE, items[0].data(Qt.ItemDataRole.UserRole).encode())
        return data

    def mimeTypes(self):
        return [MIME_TYPE]
