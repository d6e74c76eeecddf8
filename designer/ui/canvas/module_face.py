"""What sets a module instance apart on the canvas: a glyph (a block of blocks), a double
border, the copies stacked behind it when it repeats, and the "× N" badge.

Drawn with the painter (no icon file), so the canvas items and the palette share one look
in both themes. The colour is the "Modules" category's.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QIcon, QPainter, QPen, QPixmap

from ..theme import CATEGORY_COLORS

#: The category of instances (ModuleType.category) and its colour.
MODULES = "Modules"
MODULE_COLOR = CATEGORY_COLORS.get(MODULES, "#8b5cf6")


def module_color() -> QColor:
    return QColor(MODULE_COLOR)


def paint_glyph(painter: QPainter, rect: QRectF, color: QColor) -> None:
    """A rounded frame holding three small blocks (two over one): a block made of blocks."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = min(rect.width(), rect.height())
    r = QRectF(rect.center().x() - s / 2, rect.center().y() - s / 2, s, s)
    pen = QPen(color, max(1.2, s / 11))
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRoundedRect(r.adjusted(0.7, 0.7, -0.7, -0.7), s * 0.2, s * 0.2)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    m, g = s * 0.22, s * 0.08
    w = (s - 2 * m - g) / 2
    h = (s - 2 * m - g) / 2
    for x, y, ww in ((m, m, w), (m + w + g, m, w), (m, m + h + g, 2 * w + g)):
        painter.drawRoundedRect(QRectF(r.left() + x, r.top() + y, ww, h), s * 0.05, s * 0.05)
    painter.restore()


def glyph_icon(size: int = 18, ratio: float = 2.0) -> QIcon:
    """The glyph as an icon (palette entries and menus)."""
    pm = QPixmap(round(size * ratio), round(size * ratio))
    pm.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pm)
    paint_glyph(painter, QRectF(0, 0, pm.width(), pm.height()).adjusted(1, 1, -1, -1), module_color())
    painter.end()
    pm.setDevicePixelRatio(ratio)
    return QIcon(pm)


def paint_stack(painter: QPainter, rect: QRectF, radius: float, copies: int, fill: QColor, border: QColor) -> None:
    """The copies of a repeated block, peeking out behind it (at most two drawn)."""
    painter.save()
    for k in range(min(copies - 1, 2), 0, -1):
        painter.setPen(QPen(border, 1.0))
        painter.setBrush(fill)
        painter.drawRoundedRect(rect.translated(4.0 * k, 4.0 * k), radius, radius)
    painter.restore()


def paint_double_border(painter: QPainter, rect: QRectF, radius: float, outer: QColor, width: float) -> None:
    """The outer border as given, and a thin inner one in the module colour."""
    painter.save()
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(QPen(outer, max(width, 1.6)))
    painter.drawRoundedRect(rect, radius, radius)
    inner = module_color()
    inner.setAlpha(150)
    painter.setPen(QPen(inner, 1.0))
    painter.drawRoundedRect(rect.adjusted(3.5, 3.5, -3.5, -3.5), radius - 3, radius - 3)
    painter.restore()


def badge_width(text: str, font: QFont) -> float:
    return QFontMetricsF(font).horizontalAdvance(text) + 12


def paint_badge(painter: QPainter, right: float, centre_y: float, text: str, font: QFont) -> QRectF:
    """A pill with ``text`` (e.g. "× 3") ending at ``right``; returns where it was drawn."""
    w = badge_width(text, font)
    h = QFontMetricsF(font).height() + 3
    rect = QRectF(right - w, centre_y - h / 2, w, h)
    painter.save()
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(module_color())
    painter.drawRoundedRect(rect, h / 2, h / 2)
    painter.setPen(QColor("#ffffff"))
    painter.setFont(font)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
    painter.restore()
    return rect


def repeat_text(repeat: int) -> str:
    """The badge's text: "× N" for a repeated block, "" for one copy."""
    return f"× {repeat}" if repeat > 1 else ""


__all__ = [
    "MODULES",
    "MODULE_COLOR",
    "glyph_icon",
    "module_color",
    "paint_badge",
    "paint_double_border",
    "paint_glyph",
    "paint_stack",
    "repeat_text",
]


def paint_chevron(painter: QPainter, rect: QRectF, expanded: bool, color: QColor) -> None:
    """The expand button of an instance: a chevron pointing right (collapsed) or down."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(color, 1.6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    c, h = rect.center(), rect.width() * 0.22
    if expanded:
        pts = [QPointF(c.x() - h, c.y() - h / 2), QPointF(c.x(), c.y() + h / 2), QPointF(c.x() + h, c.y() - h / 2)]
    else:
        pts = [QPointF(c.x() - h / 2, c.y() - h), QPointF(c.x() + h / 2, c.y()), QPointF(c.x() - h / 2, c.y() + h)]
    painter.drawPolyline(pts)
    painter.restore()
