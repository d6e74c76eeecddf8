"""A node on the canvas: name, type, key parameters and output shape; red when it has a problem.

A module instance shows its definition's name, its exposed values, the block's totals
(parameters and MACs, from the cost report), a "× N" badge when it repeats, and looks
apart: a module glyph, a double border and the copies stacked behind it
(:mod:`.module_face`); with several inputs, each input port carries its label.

The item never edits the model: dragging it moves only the item, and the scene turns
the finished drag into a MoveCommand. It redraws when the scene calls ``sync`` (the
document changed) or ``set_status`` (a new validation report).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyle, QStyleOptionGraphicsItem

from ...graph.layout import NODE_H, NODE_W
from ...graph.module_type import REPEAT
from .. import icons
from ..theme import CATEGORY_COLORS
from . import module_face as mf
from .port_item import PortItem

GRID = 10.0
RADIUS = 9.0
HEADER_H = 30.0


class _Fonts:
    title: QFont
    small: QFont
    shape: QFont
    ready = False

    @classmethod
    def ensure(cls) -> None:
        if cls.ready:
            return
        base = QFont()
        cls.title = QFont(base)
        cls.title.setPointSizeF(9.5)
        cls.title.setWeight(QFont.Weight.DemiBold)
        cls.small = QFont(base)
        cls.small.setPointSizeF(8.0)
        cls.shape = QFont(base)
        cls.shape.setPointSizeF(8.5)
        cls.shape.setWeight(QFont.Weight.DemiBold)
        cls.ready = True


def port_signature(type_: Any) -> tuple[Any, ...]:
    """What a node item's ports are made from: an item whose type's ports changed (a module
    input added to its definition) is made again."""
    return tuple(tuple((p.name, p.multi, p.label) for p in ports) for ports in (type_.inputs, type_.outputs))


class NodeItem(QGraphicsItem):
    def __init__(self, node_id: str, type_: Any):
        super().__init__()
        self.node_id = node_id
        self.category = type_.category
        self.type_name = type_.display_name
        #: A module instance (drawn with its definition's name, totals and repeat badge).
        self.is_instance = type_.category == mf.MODULES
        self.ports_key = port_signature(type_)
        self.name = ""
        self.summary = ""
        self.out_shape = ""
        self.severity = ""
        self.problem = ""
        self.short = ""
        self.repeat = 1
        self.values_text = ""  # an instance's exposed values ("ch1x1=64, ...")
        self.totals = ""  # an instance's parameters and MACs
        #: The tooltip is written when it is asked for (a hover, ``toolTip()``), not at every
        #: change: a definition edit changes 1,250 instances' texts, and Qt's setToolTip costs.
        self._tip_stale = True
        #: An instance shown expanded in place (its chevron points down).
        self.expanded = False
        #: (name, summary, shape, severity, short) as the last paint call drew them (tests compare it).
        self.painted: tuple[str, str, str, str, str] | None = None
        #: An instance's (definition name, repeat badge, totals) as last painted ("" badge: none).
        self.painted_module: tuple[str, str, str] | None = None
        self._syncing = False
        self._activated = False  # double-clicked: activated when the button is let go
        self.rect = QRectF(0, 0, NODE_W, NODE_H)
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
        )
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setAcceptHoverEvents(True)
        self.setZValue(1)
        self.inputs: dict[str, PortItem] = {}
        self.outputs: dict[str, PortItem] = {}
        for ports, specs, y, is_input in (
            (self.inputs, type_.inputs, 0.0, True),
            (self.outputs, type_.outputs, NODE_H, False),
        ):
            labelled = is_input and self.is_instance and len(specs) > 1
            for i, spec in enumerate(specs):
                port = PortItem(self, spec.name, is_input, spec.multi, spec.label, show_label=labelled)
                port.setPos(NODE_W * (i + 1) / (len(specs) + 1), y)
                ports[spec.name] = port

    # ----------------------------------------------------------------- model
    def sync(self, node: Any, params: dict[str, Any] | None = None) -> None:
        """Take name, key parameters and position from the document's node (``params``: the
        values to show instead of its own, those a module instance gives it)."""
        ntype = node.type
        self._synced = (node.params, params)
        state = (node.name, ntype.summary(node.params if params is None else params), ntype.display_name)
        if self.is_instance:
            values = ", ".join(f"{k}={v}" for k, v in node.params.items() if k != REPEAT)
            module = (node.params.get(REPEAT, 1), values)
        else:
            module = (1, "")
        if (*state, *module) != (self.name, self.summary, self.type_name, self.repeat, self.values_text):
            self.name, self.summary, self.type_name = state
            self.repeat, self.values_text = module
            self._tip_stale = True
            self.update()
        self.set_model_pos(QPointF(*node.pos))

    def shows_values_of(self, node: Any, params: dict[str, Any] | None = None) -> bool:
        """True when the face was last synced from these very parameter dicts and still names
        the node's type: a definition edit that left an instance's values alone need not
        redraw it (its document replaces an instance's dict when its values change)."""
        synced = getattr(self, "_synced", None)
        return (
            synced is not None
            and synced[0] is node.params
            and synced[1] is params
            and node.type.display_name == self.type_name
        )

    def set_totals(self, text: str) -> bool:
        """An instance's parameters and MACs; returns whether they changed (and were redrawn)."""
        if text == self.totals:
            return False
        self.totals = text
        self._tip_stale = True
        self.update()
        return True

    def set_model_pos(self, pos: QPointF) -> None:
        if self.pos() != pos:
            self._syncing = True
            self.setPos(pos)
            self._syncing = False

    def set_status(self, shape: str, severity: str, problem: str, short: str = "") -> bool:
        """Show a new shape/diagnostic; returns whether anything changed (and was redrawn)."""
        if (shape, severity, problem, short) == (self.out_shape, self.severity, self.problem, self.short):
            return False
        self.out_shape, self.severity, self.problem, self.short = shape, severity, problem, short
        self._tip_stale = True
        self.update()
        return True

    def set_expanded(self, on: bool) -> None:
        if on != self.expanded:
            self.expanded = on
            self.update()

    def chevron_rect(self) -> QRectF:
        """An instance's expand/collapse button, at the right end of its header."""
        return QRectF(self.rect.right() - 24, 7, 18, 18)

    def toolTip(self) -> str:  # noqa: N802  (Qt's name)
        self.refresh_tooltip()
        return super().toolTip()

    def refresh_tooltip(self) -> None:
        """Write the tooltip if what it says changed since (the scene calls this before Qt
        shows it)."""
        if not self._tip_stale:
            return
        self._tip_stale = False
        if self.is_instance:
            copies = f" × {self.repeat} (copies one after another)" if self.repeat > 1 else ""
            tip = f"<b>{self.name}</b> · module {self.type_name}{copies}"
            tip += f"<br>{self.values_text}" if self.values_text else ""
            tip += f"<br>output {self.out_shape}<br>{self.totals}<br><i>double-click to edit the module</i>"
        else:
            tip = f"<b>{self.name}</b> · {self.type_name}<br>{self.summary}<br>output {self.out_shape}"
        if self.problem:
            tip += f"<hr>{self.problem}"
        self.setToolTip(tip)

    def port(self, name: str, is_input: bool, create: bool = False) -> PortItem | None:
        """The port called ``name``; with ``create``, one the node's type lacks is added at
        the right end (an edge into an input its module definition no longer has stays
        visible until the validation's error about it is dealt with)."""
        ports = self.inputs if is_input else self.outputs
        found = ports.get(name)
        if found is None and create:
            found = ports[name] = PortItem(self, name, is_input, False, name)
            found.setPos(NODE_W - 10 - 14 * (len(ports) - 1), 0.0 if is_input else NODE_H)
        return found

    # ------------------------------------------------------------------- Qt
    def boundingRect(self) -> QRectF:
        return self.rect.adjusted(-6, -10, 14, 12) if self.is_instance else self.rect.adjusted(-6, -10, 10, 6)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(self.rect, RADIUS, RADIUS)
        return path

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionChange and not self._syncing:
            p = value
            return QPointF(round(p.x() / GRID) * GRID, round(p.y() / GRID) * GRID)
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged and self.scene() is not None:
            self.scene().node_item_moved(self)  # type: ignore[union-attr]
        elif change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            self.setZValue(2 if self.isSelected() else 1)
        return super().itemChange(change, value)

    def mousePressEvent(self, event) -> None:
        """A click on an instance's chevron expands it in place (or collapses it)."""
        if (
            self.is_instance
            and event.button() == Qt.MouseButton.LeftButton
            and self.chevron_rect().contains(event.pos())
            and self.scene() is not None
        ):
            self.scene().toggle_expanded(self.node_id)  # type: ignore[union-attr]
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        """Double-click: once the button is let go, the scene tells the editor (an instance's
        definition opens, maybe in another tab: not before the release, or the hidden canvas
        would keep this item grabbed and the next mouse move would drag it)."""
        if event.button() == Qt.MouseButton.LeftButton:
            self._activated = True
        super().mouseDoubleClickEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        super().mouseReleaseEvent(event)
        if self._activated and event.button() == Qt.MouseButton.LeftButton:
            self._activated = False
            scene = self.scene()
            if scene is not None:
                scene.node_activated.emit(self.node_id)  # type: ignore[union-attr]

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        theme = self.scene().theme  # type: ignore[union-attr]
        self.painted = (self.name, self.summary, self.out_shape, self.severity, self.short)
        if self.is_instance:
            self.painted_module = (self.type_name, mf.repeat_text(self.repeat), self.totals)
        _Fonts.ensure()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        if self.is_instance:
            accent = mf.module_color()
        else:
            accent = QColor(CATEGORY_COLORS.get(self.category, theme.accent))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = self.rect
        border = accent if self.is_instance else QColor(theme.node_border)
        width = 1.0
        if self.severity == "error":
            border, width = QColor(theme.error), 2.0
        elif self.severity == "warning":
            border, width = QColor(theme.warning), 1.5
        if selected:
            border, width = QColor(theme.accent), 2.5
        if self.is_instance and self.repeat > 1:  # the copies, stacked behind
            mf.paint_stack(painter, r, RADIUS, self.repeat, QColor(theme.node), accent)
        if lod < 0.35:  # far away: a coloured block is all that can be seen
            painter.setPen(QPen(border, width / max(lod, 0.1)))
            painter.setBrush(accent if self.severity != "error" else QColor(theme.error))
            painter.drawRoundedRect(r, RADIUS, RADIUS)
            return
        if self.severity == "error":
            glow = QColor(theme.error)
            glow.setAlpha(50)
            painter.setPen(QPen(glow, 6))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(r, RADIUS, RADIUS)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(QColor(theme.node)))
        painter.drawRoundedRect(r, RADIUS, RADIUS)
        # header band with the category's colour along the top
        painter.save()
        painter.setClipPath(self.shape())
        painter.setBrush(QColor(theme.node_header))
        painter.drawRect(QRectF(r.left(), r.top(), r.width(), HEADER_H))
        painter.setBrush(accent)
        painter.drawRect(QRectF(r.left(), r.top(), r.width(), 3))
        painter.restore()
        if self.is_instance:
            mf.paint_double_border(painter, r, RADIUS, border, width)
        else:
            painter.setPen(QPen(border, width))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(r, RADIUS, RADIUS)
        if lod < 0.6:
            painter.setPen(QColor(theme.text))
            painter.setFont(_Fonts.title)
            painter.drawText(
                r.adjusted(10, 4, -10, 0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.name
            )
            return
        if self.is_instance:
            mf.paint_glyph(painter, QRectF(10, 9, 15, 15), accent)
        else:
            painter.drawPixmap(
                QRectF(10, 9, 15, 15),
                icons.pixmap(icons.category_icon_name(self.category), accent.name(), 15),
                QRectF(),
            )
        fm_small = QFontMetricsF(_Fonts.small)
        type_w = min(fm_small.horizontalAdvance(self.type_name), r.width() * 0.42)
        header_right = r.right() - 10
        if self.is_instance:
            header_right = self.chevron_rect().left() - 2
            mf.paint_chevron(painter, self.chevron_rect(), self.expanded, QColor(theme.subtext))
        painter.setFont(_Fonts.small)
        painter.setPen(QColor(theme.subtext))
        type_text = fm_small.elidedText(self.type_name, Qt.TextElideMode.ElideRight, type_w + 1)
        painter.drawText(
            QRectF(header_right - type_w, 4, type_w, HEADER_H - 2),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            type_text,
        )
        painter.setFont(_Fonts.title)
        painter.setPen(QColor(theme.text))
        fm = QFontMetricsF(_Fonts.title)
        name_w = header_right - 30 - type_w - 8
        painter.drawText(
            QRectF(30, 4, name_w, HEADER_H - 2),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fm.elidedText(self.name, Qt.TextElideMode.ElideRight, name_w),
        )
        painter.setFont(_Fonts.small)
        painter.setPen(QColor(theme.subtext))
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        if self.is_instance:  # exposed values, then the block's totals
            y = HEADER_H + 3
            for text in (t for t in (self.values_text, self.totals) if t):
                painter.drawText(
                    QRectF(12, y, r.width() - 24, 14),
                    left,
                    fm_small.elidedText(text, Qt.TextElideMode.ElideRight, r.width() - 24),
                )
                y += 14
            shape_row = QRectF(12, r.bottom() - 26, r.width() - 24, 20)
        else:
            painter.drawText(
                QRectF(12, HEADER_H + 4, r.width() - 24, 18),
                left,
                fm_small.elidedText(self.summary, Qt.TextElideMode.ElideRight, r.width() - 24),
            )
            shape_row = QRectF(12, r.bottom() - 30, r.width() - 24, 20)
        badge = mf.repeat_text(self.repeat) if self.is_instance else ""
        if badge:
            pill = mf.paint_badge(painter, r.right() - 10, shape_row.center().y(), badge, _Fonts.shape)
            shape_row.setRight(pill.left() - 6)
        painter.setFont(_Fonts.shape)
        if self.severity == "error":
            painter.setPen(QColor(theme.error))
            text = ("→ " + self.out_shape) if self.out_shape != "?" else "● " + (self.short or "error")
        else:
            painter.setPen(QColor(theme.text))
            text = "→ " + self.out_shape
        fm_shape = QFontMetricsF(_Fonts.shape)
        painter.drawText(shape_row, left, fm_shape.elidedText(text, Qt.TextElideMode.ElideRight, shape_row.width()))
        if self.severity in ("error", "warning"):
            color = QColor(theme.error if self.severity == "error" else theme.warning)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            c = QPointF(r.right() - 2, r.top() + 2)
            painter.drawEllipse(c, 8, 8)
            painter.setPen(QPen(QColor("#ffffff"), 2))
            painter.drawLine(QPointF(c.x(), c.y() - 4), QPointF(c.x(), c.y() + 1))
            painter.drawPoint(QPointF(c.x(), c.y() + 4))
