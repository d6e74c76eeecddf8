"""The canvas view: zoom around the cursor, pan with the middle button or space+drag,
rubber-band selection, a grid, and drops from the palette."""

from __future__ import annotations

import json
import math

from PySide6.QtCore import QLineF, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsView

from .scene import GraphScene

PALETTE_MIME = "application/x-inception-designer-node-type"
#: A library module dragged from the palette: JSON, the definitions as data (the first is the
#: one instantiated, the others those it uses).
MODULES_MIME = "application/x-inception-designer-modules"
_DROPS = (PALETTE_MIME, MODULES_MIME)
MIN_ZOOM, MAX_ZOOM = 0.01, 3.0  # 1%: Inception-ResNet-v2 (38,000 px tall) fits a small window
MINOR, MAJOR = 20.0, 100.0


class GraphView(QGraphicsView):
    zoom_changed = Signal(float)
    #: Emitted once, after the viewport's first paint (the app then builds its panels).
    first_painted = Signal()
    #: A node type was dropped from the palette: (type_id, scene position).
    node_type_dropped = Signal(str, QPointF)
    #: Library modules were dropped from the palette: (module data list, scene position).
    modules_dropped = Signal(list, QPointF)
    #: Right-click (or the menu key): (scene position, global position) for the window's menus.
    context_menu_requested = Signal(QPointF, QPoint)

    def __init__(self, scene: GraphScene | None = None, parent=None):
        super().__init__(parent)
        if scene is not None:
            self.setScene(scene)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setOptimizationFlags(QGraphicsView.OptimizationFlag.DontSavePainterState)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setAcceptDrops(True)
        self.setSceneRect(QRectF(-50_000, -50_000, 100_000, 100_000))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._space = False
        self._pan_from: QPointF | None = None
        self._painted = False

    # ---------------------------------------------------------------- zooming
    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, zoom: float, anchor_under_mouse: bool = False) -> None:
        zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
        factor = zoom / self.zoom
        if abs(factor - 1) < 1e-6:
            return
        old = self.transformationAnchor()
        if not anchor_under_mouse:
            self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.scale(factor, factor)
        self.setTransformationAnchor(old)
        self.resetCachedContent()
        self.zoom_changed.emit(self.zoom)

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom * 1.25)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom / 1.25)

    def fit(self) -> None:
        """Fit the whole design, never magnifying past 1:1 (small designs stay crisp)."""
        scene = self.scene()
        rect = QRectF()
        for item in scene.nodes.values():  # type: ignore[attr-defined]
            rect = rect.united(item.sceneBoundingRect())
        for group in scene.groups.values():  # type: ignore[attr-defined]
            if group.isVisible():  # the frame; its bounding rect also holds the zoomed-out title's room
                rect = rect.united(group.mapRectToScene(group.frame))
        if rect.isNull():
            self.set_zoom(1.0)
            self.centerOn(0, 0)
            return
        rect = rect.adjusted(-40, -40, 40, 40)
        vp = self.viewport().rect()
        zoom = min(vp.width() / rect.width(), vp.height() / rect.height(), 1.0)
        self.set_zoom(zoom)
        self.centerOn(rect.center())

    def center_on_node(self, node_id: str) -> None:
        item = self.scene().nodes.get(node_id)  # type: ignore[attr-defined]
        if item is not None:
            self.centerOn(item.sceneBoundingRect().center())

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & (Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.AltModifier):
            super().wheelEvent(event)  # scroll
            return
        delta = event.angleDelta().y() or event.pixelDelta().y()
        if delta:
            self.set_zoom(self.zoom * math.pow(1.0015, delta), anchor_under_mouse=True)
        event.accept()

    # ---------------------------------------------------------------- panning
    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().unsetCursor()
            return
        super().keyReleaseEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        self.context_menu_requested.emit(self.mapToScene(event.pos()), event.globalPos())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.MiddleButton or (
            self._space and event.button() == Qt.MouseButton.LeftButton
        ):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.pan(delta.x(), delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            if self._space:
                self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            else:
                self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def pan(self, dx: float, dy: float) -> None:
        """Move the content by (dx, dy) viewport pixels."""
        h, v = self.horizontalScrollBar(), self.verticalScrollBar()
        h.setValue(h.value() - round(dx))
        v.setValue(v.value() - round(dy))

    # ------------------------------------------------------------------ drops
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(event.mimeData().hasFormat(f) for f in _DROPS):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:
        if any(event.mimeData().hasFormat(f) for f in _DROPS):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        at = self.mapToScene(event.position().toPoint())
        if mime.hasFormat(PALETTE_MIME):
            type_id = bytes(mime.data(PALETTE_MIME).data()).decode()
            self.node_type_dropped.emit(type_id, at)
            event.acceptProposedAction()
        elif mime.hasFormat(MODULES_MIME):
            try:
                modules = json.loads(bytes(mime.data(MODULES_MIME).data()).decode())
            except ValueError:
                modules = None
            if isinstance(modules, list) and modules:
                self.modules_dropped.emit(modules, at)
                event.acceptProposedAction()
        else:
            super().dropEvent(event)

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            self.first_painted.emit()

    # ------------------------------------------------------------- background
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        theme = self.scene().theme  # type: ignore[attr-defined]
        painter.fillRect(rect, QColor(theme.canvas))
        zoom = self.zoom
        for step, color, min_zoom in ((MINOR, theme.grid_minor, 0.5), (MAJOR, theme.grid_major, 0.12)):
            if zoom < min_zoom:
                continue
            painter.setPen(QPen(QColor(color), 0))
            left = math.floor(rect.left() / step) * step
            top = math.floor(rect.top() / step) * step
            x = left
            lines = []
            while x < rect.right():
                lines.append(QLineF(x, rect.top(), x, rect.bottom()))
                x += step
            y = top
            while y < rect.bottom():
                lines.append(QLineF(rect.left(), y, rect.right(), y))
                y += step
            painter.drawLines(lines)
