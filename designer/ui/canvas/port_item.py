"""Ports: inputs on a node's top edge, outputs on its bottom edge (the layout flows down)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsSceneHoverEvent, QGraphicsSceneMouseEvent

if TYPE_CHECKING:
    from .node_item import NodeItem

PORT_R = 5.5
MULTI_W = 64.0


class PortItem(QGraphicsItem):
    """One port of a node. Pressing it starts a connection drag (handled by the scene)."""

    def __init__(self, node: NodeItem, name: str, is_input: bool, multi: bool, label: str = ""):
        super().__init__(node)
        self.node = node
        self.name = name
        self.is_input = is_input
        self.multi = multi
        self.label = label or name
        #: "" (idle), "compatible" (a valid target during a drag) or "target" (under the cursor).
        self.state = ""
        self._hover = False
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setZValue(2)
        kind = "input" if is_input else "output"
        many = " (takes several inputs, in order)" if multi else ""
        self.setToolTip(f"{kind} '{name}'{many}: drag to connect")

    @property
    def node_id(self) -> str:
        return self.node.node_id

    def half_width(self) -> float:
        return MULTI_W / 2 if self.multi else PORT_R

    def boundingRect(self) -> QRectF:
        w = self.half_width() + 5
        return QRectF(-w, -PORT_R - 5, 2 * w, 2 * PORT_R + 10)

    def anchor(self, index: int = 0, count: int = 1) -> QPointF:
        """Scene position where the ``index``-th of ``count`` edges attaches."""
        if not self.multi or count <= 1:
            return self.scenePos()
        span = min(MULTI_W - 2 * PORT_R, 14.0 * (count - 1))
        x = -span / 2 + span * index / (count - 1)
        return self.mapToScene(QPointF(x, 0))

    def set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.update()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        theme = self.scene().theme  # type: ignore[union-attr]
        color = QColor(theme.port)
        fill = QColor(theme.node)
        if self.state == "compatible":
            color = QColor(theme.accent)
        if self.state == "target" or self._hover:
            color = QColor(theme.accent)
            fill = QColor(theme.accent)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(color, 2.0 if self.state else 1.6))
        painter.setBrush(QBrush(fill))
        r = PORT_R + (1.5 if self.state == "target" else 0)
        if self.multi:
            w = self.half_width()
            painter.drawRoundedRect(QRectF(-w, -r, 2 * w, 2 * r), r, r)
        else:
            painter.drawEllipse(QPointF(0, 0), r, r)

    # ------------------------------------------------------------------ events
    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hover = False
        self.update()

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.scene().begin_connection(self, event.scenePos())  # type: ignore[union-attr]
            event.accept()
        else:
            event.ignore()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self.scene().update_connection(event.scenePos())  # type: ignore[union-attr]

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self.scene().end_connection(event.scenePos())  # type: ignore[union-attr]


__all__ = ["PortItem", "PORT_R"]
