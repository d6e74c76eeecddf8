"""Edges: a curve from an output port (bottom) down to an input port (top), labelled with the
tensor shape it carries; red while a diagnostic names it."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPainterPathStroker, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyle

from ...graph.layout import GAP_Y, NODE_H
from .port_item import PortItem


def curve(a: QPointF, b: QPointF) -> QPainterPath:
    """A vertical S-curve from ``a`` (pointing down) to ``b`` (arriving from above)."""
    dy = max(abs(b.y() - a.y()) * 0.5, 40.0)
    path = QPainterPath(a)
    path.cubicTo(QPointF(a.x(), a.y() + dy), QPointF(b.x(), b.y() - dy), b)
    return path


def route(a: QPointF, b: QPointF) -> tuple[QPainterPath, QPointF]:
    """The drawn path of an edge from ``a`` (a node's bottom) to ``b`` (a node's top), and
    where its shape label goes.

    Between neighbouring levels of the layout, the S-curve of :func:`curve`. An edge that
    spans levels bends just below its source, runs across in the gap under the source's
    level and then goes straight down to its target, in the lane the layout keeps free
    for it: like the buses of the papers' figures, and never through the nodes of the
    levels it crosses (which an S-curve cuts across diagonally). Its label sits on that
    last straight run, clear of the labels of the other edges sharing the bus.
    """
    dx, dy = b.x() - a.x(), b.y() - a.y()
    if dy < NODE_H + GAP_Y or abs(dx) < 1.0:
        path = curve(a, b)
        return path, path.pointAtPercent(0.5)
    r = min(14.0, abs(dx) / 2)
    s = 1.0 if dx > 0 else -1.0
    y0 = a.y() + GAP_Y / 2
    path = QPainterPath(a)
    path.lineTo(a.x(), y0 - r)
    path.quadTo(a.x(), y0, a.x() + s * r, y0)
    path.lineTo(b.x() - s * r, y0)
    path.quadTo(b.x(), y0, b.x(), y0 + r)
    path.lineTo(b)
    return path, QPointF(b.x(), (y0 + b.y()) / 2)


class EdgeItem(QGraphicsItem):
    _font: QFont | None = None

    def __init__(self, edge_id: str, src: PortItem, dst: PortItem):
        super().__init__()
        self.edge_id = edge_id
        self.src = src
        self.dst = dst
        self.index, self.count = 0, 1
        self.label = ""
        self.error = ""
        #: (label, error) as the last paint call drew them: what the user sees (tests compare it).
        self.painted: tuple[str, str] | None = None
        self._path = QPainterPath()
        self._hit = QPainterPath()
        self._label_rect = QRectF()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(0)
        self.setAcceptHoverEvents(True)
        self.update_path()

    @classmethod
    def font(cls) -> QFont:
        if cls._font is None:
            cls._font = QFont()
            cls._font.setPointSizeF(7.5)
        return cls._font

    def set_slot(self, index: int, count: int) -> None:
        if (index, count) != (self.index, self.count):
            self.index, self.count = index, count
            self.update_path()

    def set_status(self, label: str, error: str) -> bool:
        if (label, error) == (self.label, self.error):
            return False
        self.label, self.error = label, error
        self.setToolTip(error or (f"tensor {label}" if label else ""))
        self.update_path()
        return True

    def update_path(self) -> None:
        """Re-route the edge and repaint it (the item is cached: without ``update()`` the old
        label and colour would stay on screen until something else repainted it)."""
        self.prepareGeometryChange()
        self.update()
        a = self.src.anchor()
        b = self.dst.anchor(self.index, self.count)
        self._path, mid = route(a, b - QPointF(0, 12))
        stroker = QPainterPathStroker()
        stroker.setWidth(12)
        self._hit = stroker.createStroke(self._path)
        if self.label:
            fm = QFontMetricsF(self.font())
            w, h = fm.horizontalAdvance(self.label) + 12, fm.height() + 4
            self._label_rect = QRectF(mid.x() - w / 2, mid.y() - h / 2, w, h)
        else:
            self._label_rect = QRectF()

    def boundingRect(self) -> QRectF:
        return self._hit.boundingRect().united(self._label_rect).adjusted(-4, -4, 4, 12)

    def shape(self) -> QPainterPath:
        path = QPainterPath(self._hit)
        if not self._label_rect.isNull():
            path.addRect(self._label_rect)
        return path

    def paint(self, painter: QPainter, option, widget=None) -> None:
        theme = self.scene().theme  # type: ignore[union-attr]
        self.painted = (self.label, self.error)
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, lod > 0.3)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        color = QColor(theme.error if self.error else theme.accent if selected else theme.edge)
        width = 2.5 if (self.error or selected) else 1.6
        painter.setPen(QPen(color, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)
        end = self._path.pointAtPercent(1.0)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawPolygon(QPolygonF([end + QPointF(-4.5, -1), end + QPointF(4.5, -1), end + QPointF(0, 6)]))
        if self.label and lod > 0.55:
            painter.setPen(QPen(color, 1))
            painter.setBrush(QColor(theme.label_bg))
            painter.drawRoundedRect(self._label_rect, self._label_rect.height() / 2, self._label_rect.height() / 2)
            painter.setFont(self.font())
            painter.setPen(QColor(theme.error if self.error else theme.subtext))
            painter.drawText(self._label_rect, Qt.AlignmentFlag.AlignCenter, self.label)


class DragEdgeItem(QGraphicsPathItem):
    """The rubber-band edge that follows the cursor while connecting."""

    def __init__(self, color: QColor):
        super().__init__()
        pen = QPen(color, 2, Qt.PenStyle.DashLine, Qt.PenCapStyle.RoundCap)
        self.setPen(pen)
        self.setZValue(5)

    def set_ends(self, a: QPointF, b: QPointF, from_output: bool) -> None:
        self.setPath(curve(a, b) if from_output else curve(b, a))
