"""The canvas view: palette drops, zoom (Ctrl+wheel, pinch, keys), pan (middle button or
Space + drag), rubber-band selection, fit to the network.

Pinch zoom comes two ways, both handled: touchpads that the platform reports as native
gestures (macOS, Wayland/libinput: ``QNativeGestureEvent`` of type ``ZoomNativeGesture``),
and touch screens through Qt's gesture framework (``QPinchGesture``).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QGraphicsView

from nnstudio.panels.palette import MIME_TYPE


class CanvasView(QGraphicsView):
    """Signals: ``zoomChanged(float)`` with the new scale (1.0 = 100 %)."""

    ZOOM_STEP = 1.15
    MIN_ZOOM, MAX_ZOOM = 0.1, 4.0
    MARGIN = 600.0  # scrollable room around the network, in scene units

    zoomChanged = Signal(float)

    def __init__(self, scene, parent=None):
        super().__init__(scene, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState, False)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().grabGesture(Qt.GestureType.PinchGesture)
        self._pan_from: QPointF | None = None
        self._space = False
        self._drop_type: str | None = None
        scene.contentChanged.connect(self.update_scene_rect)
        self.update_scene_rect()

    def changeEvent(self, event):
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange,
                            QEvent.Type.FontChange, QEvent.Type.ApplicationFontChange):
            scene = self.scene()
            if scene is not None:
                scene.refresh_style()
        super().changeEvent(event)

    # -- scrollable area ------------------------------------------------------------------------
    def update_scene_rect(self) -> None:
        """Room to pan around the network; never shrinks under what is on screen."""
        items = self.scene().itemsBoundingRect()
        visible = self.mapToScene(self.viewport().rect()).boundingRect()
        rect = items.adjusted(-self.MARGIN, -self.MARGIN, self.MARGIN, self.MARGIN)
        self.setSceneRect(rect.united(visible) if not visible.isEmpty() else rect)

    # -- zoom -----------------------------------------------------------------------------------
    def scale_factor(self) -> float:
        return self.transform().m11()

    def zoom(self, factor: float, anchor: QPointF | None = None) -> None:
        """Scale by ``factor`` (clamped to 10 %..400 %), keeping the scene point under
        ``anchor`` (viewport coordinates; default the centre) where it is."""
        current = self.scale_factor()
        target = min(self.MAX_ZOOM, max(self.MIN_ZOOM, current * factor))
        if abs(target - current) < 1e-9:
            return
        if anchor is None:
            anchor = QPointF(self.viewport().rect().center())
        fixed = self.mapToScene(anchor.toPoint())
        self.scale(target / current, target / current)
        self.update_scene_rect()
        moved = self.mapFromScene(fixed)
        delta = moved - anchor.toPoint()
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + delta.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + delta.y())
        self.zoomChanged.emit(target)

    def zoom_in(self) -> None:
        self.zoom(self.ZOOM_STEP)

    def zoom_out(self) -> None:
        self.zoom(1 / self.ZOOM_STEP)

    def reset_zoom(self) -> None:
        self.zoom(1.0 / self.scale_factor())

    def fit(self) -> None:
        rect = self.scene().itemsBoundingRect()
        if rect.isEmpty():
            return
        self.update_scene_rect()
        self.fitInView(rect.adjusted(-40, -40, 40, 40), Qt.AspectRatioMode.KeepAspectRatio)
        if self.scale_factor() > 1.25:  # a tiny network should not fill the screen
            self.resetTransform()
            self.scale(1.25, 1.25)
        elif self.scale_factor() < self.MIN_ZOOM:
            self.resetTransform()
            self.scale(self.MIN_ZOOM, self.MIN_ZOOM)
        self.centerOn(rect.center())
        self.zoomChanged.emit(self.scale_factor())

    def show_nodes(self, node_ids) -> None:
        """Select these layers and scroll them into view (e.g. from the problems list)."""
        scene = self.scene()
        scene.select_nodes(node_ids)
        rect = scene.nodes_rect(node_ids)
        if not rect.isEmpty():
            self.ensureVisible(rect, 40, 40)

    def wheelEvent(self, event):
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = event.angleDelta().y() / 120.0
            if steps:
                self.zoom(self.ZOOM_STEP ** steps, event.position())
            event.accept()
            return
        super().wheelEvent(event)

    def viewportEvent(self, event):
        kind = event.type()
        if kind == QEvent.Type.NativeGesture:
            if event.gestureType() == Qt.NativeGestureType.ZoomNativeGesture:
                self.zoom(1.0 + event.value(), event.position())
                event.accept()
                return True
            if event.gestureType() == Qt.NativeGestureType.SmartZoomNativeGesture:
                self.fit()
                event.accept()
                return True
        elif kind == QEvent.Type.Gesture:
            pinch = event.gesture(Qt.GestureType.PinchGesture)
            if pinch is not None:
                flags = pinch.changeFlags()
                if flags & pinch.ChangeFlag.ScaleFactorChanged:
                    centre = self.viewport().mapFromGlobal(pinch.centerPoint().toPoint())
                    self.zoom(pinch.scaleFactor(), QPointF(centre))
                event.accept(pinch)
                return True
        return super().viewportEvent(event)

    # -- pan: middle button, or Space held with the left button ---------------------------------
    def keyPressEvent(self, event):
        if event.key() == Qt.Key.Key_Space and not event.modifiers():
            if not event.isAutoRepeat():
                self._space = True
                if self._pan_from is None:
                    self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        if event.key() == Qt.Key.Key_Escape and self.scene().connecting:
            self.scene().cancel_connection()
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event):
        if event.key() == Qt.Key.Key_Space:
            if not event.isAutoRepeat():
                self._space = False
                if self._pan_from is None:
                    self.viewport().unsetCursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    def focusOutEvent(self, event):
        self._space = False  # the release may never come
        if self._pan_from is None:
            self.viewport().unsetCursor()
        super().focusOutEvent(event)

    @property
    def panning(self) -> bool:
        return self._pan_from is not None

    def mousePressEvent(self, event):
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (
                button == Qt.MouseButton.LeftButton and self._space):
            self._pan_from = event.position()
            self._pan_button = button
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event):
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(
                self.horizontalScrollBar().value() - round(delta.x()))
            self.verticalScrollBar().setValue(
                self.verticalScrollBar().value() - round(delta.y()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event):
        if self._pan_from is not None and event.button() == self._pan_button:
            self._pan_from = None
            if self._space:
                self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            else:
                self.viewport().unsetCursor()
            self.update_scene_rect()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    # -- drops from the palette -------------------------------------------------------------------
    @staticmethod
    def _layer_type(event) -> str | None:
        mime = event.mimeData()
        if mime is None or not mime.hasFormat(MIME_TYPE):
            return None
        return bytes(mime.data(MIME_TYPE)).decode("utf-8", "replace").strip() or None

    def dragEnterEvent(self, event):
        self._drop_type = self._layer_type(event)
        if self._drop_type is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.scene().hover_drop(self._drop_type, self.mapToScene(event.position().toPoint()))

    def dragMoveEvent(self, event):
        if self._layer_type(event) is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.scene().hover_drop(self._drop_type, self.mapToScene(event.position().toPoint()))

    def dragLeaveEvent(self, event):
        self._drop_type = None
        self.scene().hover_drop(None, None)
        event.accept()

    def dropEvent(self, event):
        layer_type = self._layer_type(event)
        self._drop_type = None
        if layer_type is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.scene().drop_layer(layer_type, self.mapToScene(event.position().toPoint()))
        self.setFocus(Qt.FocusReason.OtherFocusReason)

    def visible_scene_rect(self) -> QRectF:
        return self.mapToScene(self.viewport().rect()).boundingRect()
