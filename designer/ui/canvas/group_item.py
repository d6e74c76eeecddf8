"""A group frame (one Inception block) drawn behind its nodes, with the block's name."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem

from ..theme import qcolor

MARGIN, TITLE_H = 22.0, 26.0
#: Zoomed out (the whole of GoogLeNet fits at about 10%), the title leaves the frame's top band
#: (too thin to read) for the free canvas left of the frame, at a fixed on-screen size, so the
#: blocks can be told apart like the rows of the papers' tables. Readable down to LOW_LOD.
OVERVIEW_LOD, LOW_LOD, OVERVIEW_PX = 0.25, 0.05, 12.0
OVERVIEW_ROOM = OVERVIEW_PX / LOW_LOD * 9  # scene units left of the frame: about 9 em at LOW_LOD


class GroupItem(QGraphicsItem):
    def __init__(self, group_id: str):
        super().__init__()
        self.group_id = group_id
        self.name = ""
        self.color = ""
        self.frame = QRectF()
        self.setZValue(-10)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._font = QFont()
        self._font.setPointSizeF(9)
        self._font.setWeight(QFont.Weight.DemiBold)

    def set_frame(self, name: str, color: str, member_rect: QRectF) -> None:
        frame = QRectF() if member_rect.isNull() else member_rect.adjusted(-MARGIN, -MARGIN - TITLE_H, MARGIN, MARGIN)
        if (name, color, frame) == (self.name, self.color, self.frame):
            return
        self.prepareGeometryChange()
        self.name, self.color, self.frame = name, color, frame
        self.setToolTip(f"block {name}")
        self.setVisible(not frame.isNull())
        self.update()

    def boundingRect(self) -> QRectF:
        return self.frame.adjusted(-2 - OVERVIEW_ROOM, -2, 2, 2)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        theme = self.scene().theme  # type: ignore[union-attr]
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        fill = qcolor(theme.group_fill)
        border = qcolor(theme.group_border)
        if self.color:
            base = QColor(self.color)
            fill, border = QColor(base), QColor(base)
            fill.setAlpha(22)
            border.setAlpha(110)
        painter.setPen(QPen(border, 1.2, Qt.PenStyle.DashLine))
        painter.setBrush(fill)
        painter.drawRoundedRect(self.frame, 14, 14)
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        title = QColor(border)
        title.setAlpha(255)
        painter.setPen(title)
        if lod > OVERVIEW_LOD:
            painter.setFont(self._font)
            rect = QRectF(self.frame.left() + 14, self.frame.top() + 6, self.frame.width() - 28, TITLE_H - 4)
            painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.name.upper())
        elif lod >= LOW_LOD:
            font = QFont(self._font)
            font.setPixelSize(max(1, round(OVERVIEW_PX / lod)))
            painter.setFont(font)
            gap = OVERVIEW_PX / lod
            rect = QRectF(self.frame.left() - OVERVIEW_ROOM, self.frame.top(), OVERVIEW_ROOM - gap, self.frame.height())
            painter.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, self.name.upper())
