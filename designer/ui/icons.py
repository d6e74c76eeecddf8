"""Icons drawn as SVG in ``resources/icons/`` and tinted at load time (``#COLOR``)."""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from .theme import CATEGORY_COLORS, RESOURCES

ICONS = RESOURCES / "icons"


def category_icon_name(category: str) -> str:
    return "cat-" + category.lower().replace(" ", "-")


@lru_cache(maxsize=256)
def _svg(name: str, color: str) -> bytes:
    path = ICONS / f"{name}.svg"
    if not path.exists():
        path = ICONS / "cat-layers.svg"
    return path.read_text(encoding="utf-8").replace("#COLOR", color).encode()


@lru_cache(maxsize=512)
def pixmap(name: str, color: str, size: int = 18, ratio: float = 2.0) -> QPixmap:
    pm = QPixmap(QSize(round(size * ratio), round(size * ratio)))
    pm.fill(Qt.GlobalColor.transparent)
    renderer = QSvgRenderer(QByteArray(_svg(name, color)))
    painter = QPainter(pm)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, pm.width(), pm.height()))
    painter.end()
    pm.setDevicePixelRatio(ratio)
    return pm


@lru_cache(maxsize=256)
def _faded(name: str, color: str, size: int, opacity: float) -> QPixmap:
    """The icon at ``opacity``: how a disabled action looks on either theme (Qt's own
    disabled icon greys the pixmap, which leaves a light icon bright on a dark toolbar)."""
    source = pixmap(name, color, size)
    pm = QPixmap(source.size())
    pm.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pm)
    painter.setOpacity(opacity)
    painter.drawPixmap(0, 0, source)
    painter.end()
    pm.setDevicePixelRatio(source.devicePixelRatio())
    return pm


def icon(name: str, color: str, size: int = 18) -> QIcon:
    ico = QIcon(pixmap(name, color, size))
    ico.addPixmap(_faded(name, color, size, 0.3), QIcon.Mode.Disabled)
    return ico


def category_icon(category: str, size: int = 18) -> QIcon:
    return icon(category_icon_name(category), CATEGORY_COLORS.get(category, "#888888"), size)


def render(painter: QPainter, name: str, color: str, rect: QRectF) -> None:
    """Paint an icon straight into ``rect`` (canvas items)."""
    QSvgRenderer(QByteArray(_svg(name, color))).render(painter, rect)
