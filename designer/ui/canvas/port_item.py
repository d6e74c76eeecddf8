"""Ports: inputs on a node's top edge, outputs on its bottom edge (the layout flows down)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsSceneHoverEvent, QGraphicsSceneMouseEvent

if TYPE_CHECKING:
    from .node_item import NodeItem

PORT_R = 5.5
MULTI_W = 64.0


class PortItem(QGraphicsItem):
    """One port of a node. Pressing it starts a connection drag (handled by the scene)."""

    _font: QFont | None = None

    def __init__(
        self, node: NodeItem, name: str, is_input: bool, multi: bool, label: str = "", show_label: bool = False
    ):
        super().__init__(node)
        self.node = node
        self.name = name
        self.is_input = is_input
        self.multi = multi
        self.label = label or name
        #: Draw the label next to the port (a module instance's inputs: which tensor goes where).
        self.show_label = show_label
        #: The label as last painted ("" when none is drawn): what the user sees (tests compare it).
        self.painted_label: str | None = None
        self._label_rect = QRectF()
        if show_label:
            fm = QFontMetricsF(self.label_font())
            w, h = fm.horizontalAdvance(self.label) + 10, fm.height() + 2
            x = self.half_width() + 3
            self._label_rect = QRectF(x, -PORT_R - 4 - h, w, h)
        #: "" (idle), "compatible" (a valid target during a drag) or "target" (under the cursor).
        self.state = ""
        self._hover = False
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setZValue(2)
        kind = "input" if is_input else "output"
        many = " (takes several inputs, in order)" if multi else ""
        self.setToolTip(f"{kind} '{self.label if show_label else name}'{many}: drag to connect")

    @classmethod
    def label_font(cls) -> QFont:
        if cls._font is None:
            cls._font = QFont()
            cls._font.setPointSizeF(7.5)
        return cls._font

    @property
    def node_id(self) -> str:
        return self.node.node_id

    def half_width(self) -> float:
        return MULTI_W / 2 if self.multi else PORT_R

    def boundingRect(self) -> QRectF:
        w = self.half_width() + 5
        return QRectF(-w, -PORT_R - 5, 2 * w, 2 * PORT_R + 10).united(self._label_rect.adjusted(-1, -1, 1, 1))

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
        self.painted_label = self.label if self.show_label else ""
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
        if self.show_label:
            rect = self._label_rect
            painter.setPen(QPen(QColor(theme.node_border), 1))
            painter.setBrush(QColor(theme.label_bg))
            painter.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
            painter.setFont(self.label_font())
            painter.setPen(QColor(theme.subtext))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.label)

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
