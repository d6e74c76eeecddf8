"""A module instance expanded in place: its definition's inside, drawn beside it on the canvas
with the shapes, values and problems of *this* instance.

The panel is a view of the instance, not a copy: :func:`inside_of` reads the definition's
body and the instance's analysis (``ModuleType.analyse``, memoised on the definition's
version, the instance's values and its input shapes), so it follows every edit of the
definition, of the instance's values and of what feeds it. The scene makes it again after
each report. It is read-only; double-clicking it opens the definition in its tab, shown
for this instance, where the body is edited (double-clicking an inner node selects that node
there, so the Inspector shows it).

A repeating instance (``× N``) shows its first copy: the others take that copy's output,
the note says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from ...graph.layout import NODE_W
from ...graph.module_type import REPEAT
from ..format import shape_text
from ..theme import CATEGORY_COLORS
from . import module_face as mf

__all__ = ["ExpansionItem", "Inside", "InnerEdge", "InnerNode", "inside_of"]

#: An inner node's box, and how the body's layout is scaled to hold such boxes.
BOX_W, BOX_H = 170.0, 56.0
SCALE_X, SCALE_Y = BOX_W / NODE_W, 0.68
PAD, HEAD_H = 14.0, 40.0
#: The gap between the instance and its panel beside it.
DROP = 30.0


@dataclass(frozen=True)
class InnerNode:
    node_id: str
    name: str
    summary: str
    shape: str
    severity: str  # "", "warning" or "error"
    problem: str
    category: str
    x: float  # the box's top left, in the panel
    y: float


@dataclass(frozen=True)
class InnerEdge:
    src: int  # indices into Inside.nodes
    dst: int
    bad: bool


@dataclass(frozen=True)
class Inside:
    """What an expanded instance shows: a title, a note (its input, the repeat, or why the
    shapes are not this instance's), the body's nodes and edges."""

    title: str
    note: str
    nodes: tuple[InnerNode, ...]
    edges: tuple[InnerEdge, ...]
    error: str = ""


def inside_of(doc: Any, node_id: str, report: Any) -> Inside:
    """The inside of instance ``node_id`` of ``doc``, for the design's ``report``."""
    from ...graph.validate import validate

    node = doc.nodes[node_id]
    definition = node.type.definition
    body = definition.body
    ins = report.in_shapes.get(node_id) if report is not None else None
    repeat = int(node.params.get(REPEAT, 1))
    error = ""
    overrides: dict[str, dict[str, Any]] = {}
    if ins is None:
        rep = validate(body)
        note = f"the input of {node.name} is not known: the definition's own shapes"
    else:
        analysis = node.type.analyse(node.params, list(ins))
        rep, error = analysis.report, analysis.error
        overrides = definition.bindings(node.params, list(ins)).params
        note = "input " + ", ".join(shape_text(s) for s in ins)
    if repeat > 1:
        note += f" · × {repeat}: the first copy shown, each next one takes its output"
    problems: dict[str, tuple[str, str]] = {}
    bad_edges: set[str] = set()
    if rep is not None:
        for d in rep.diagnostics:
            if d.node_id is None or d.severity not in ("error", "warning"):
                continue
            severity = "error" if d.is_error else "warning"
            if d.node_id not in problems or severity == "error":
                problems[d.node_id] = (severity, d.message)
            if d.is_error:
                bad_edges.update(d.edge_ids)
    ids = list(body.nodes)
    if ids:
        x0 = min(body.nodes[n].pos[0] for n in ids)
        y0 = min(body.nodes[n].pos[1] for n in ids)
    nodes = []
    for nid in ids:
        n = body.nodes[nid]
        params = overrides.get(nid, n.params)
        severity, problem = problems.get(nid, ("", ""))
        shape = shape_text(rep.shapes.get(nid)) if rep is not None else "?"
        nodes.append(
            InnerNode(
                nid,
                n.name,
                n.type.summary(params),
                shape,
                severity,
                problem,
                n.type.category,
                PAD + (n.pos[0] - x0) * SCALE_X,
                HEAD_H + PAD / 2 + (n.pos[1] - y0) * SCALE_Y,
            )
        )
    index = {nid: i for i, nid in enumerate(ids)}
    edges = tuple(InnerEdge(index[e.src], index[e.dst], e.id in bad_edges) for e in body.edges.values())
    title = f"Inside {node.name} · {definition.name}"
    return Inside(title, note, tuple(nodes), edges, error)


class _Fonts:
    ready = False

    @classmethod
    def ensure(cls) -> None:
        if cls.ready:
            return
        cls.title = QFont()
        cls.title.setPointSizeF(9.5)
        cls.title.setWeight(QFont.Weight.DemiBold)
        cls.small = QFont()
        cls.small.setPointSizeF(8.0)
        cls.name = QFont()
        cls.name.setPointSizeF(8.5)
        cls.name.setWeight(QFont.Weight.DemiBold)
        cls.ready = True


class ExpansionItem(QGraphicsItem):
    """The panel beside an expanded instance (the scene keeps it placed and up to date)."""

    def __init__(self, node_id: str):
        super().__init__()
        self.node_id = node_id
        self.inside: Inside | None = None
        self._rect = QRectF(0, 0, 300, 120)
        #: (name, summary, shape, severity) of each inner node as last painted (tests read it).
        self.painted: list[tuple[str, str, str, str]] | None = None
        self.setZValue(4)  # above nodes (1, selected 2) and edges
        self.setAcceptHoverEvents(False)

    def set_inside(self, inside: Inside) -> None:
        if inside == self.inside:
            return
        self.prepareGeometryChange()
        self.inside = inside
        _Fonts.ensure()
        right = max((n.x + BOX_W for n in inside.nodes), default=0.0) + PAD
        bottom = max((n.y + BOX_H for n in inside.nodes), default=HEAD_H) + PAD
        fm = QFontMetricsF(_Fonts.small)
        text_w = max(fm.horizontalAdvance(inside.note), QFontMetricsF(_Fonts.title).horizontalAdvance(inside.title))
        self._rect = QRectF(0, 0, max(right, text_w + 2 * PAD, NODE_W), bottom)
        self.setToolTip(
            f"<b>{inside.title}</b><br>{inside.note}"
            + (f"<hr>{inside.error}" if inside.error else "")
            + "<br><i>double-click to edit the module</i>"
        )
        self.update()

    def place_beside(self, node_rect: QRectF) -> None:
        """To the right of the instance's item (``node_rect`` in scene coordinates), top-aligned:
        a design flows down, so the nodes above and below the instance stay in sight."""
        self.setPos(QPointF(node_rect.right() + DROP, node_rect.top()))

    def panel_rect(self) -> QRectF:
        """The panel, without the stalk to its instance (scene coordinates)."""
        return self.mapRectToScene(self._rect)

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-DROP - 2, -2, 2, 2)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(self._rect, 10, 10)
        return path

    def inner_node_at(self, pos: QPointF) -> str | None:
        """The id (in the definition's body) of the inner node drawn at ``pos`` (item coordinates)."""
        if self.inside is None:
            return None
        for n in self.inside.nodes:
            if QRectF(n.x, n.y, BOX_W, BOX_H).contains(pos):
                return n.node_id
        return None

    def mouseDoubleClickEvent(self, event) -> None:
        """Open the definition for this instance; on an inner node, with that node selected
        (so the Inspector shows it, ready to edit)."""
        scene = self.scene()
        if scene is not None and event.button() == Qt.MouseButton.LeftButton:
            inner = self.inner_node_at(event.pos())
            if inner is not None:
                scene.inner_node_activated.emit(self.node_id, inner)  # type: ignore[union-attr]
            else:
                scene.node_activated.emit(self.node_id)  # type: ignore[union-attr]
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        inside = self.inside
        if inside is None:
            return
        theme = self.scene().theme  # type: ignore[union-attr]
        _Fonts.ensure()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        accent = mf.module_color()
        r = self._rect
        # the stalk from the instance to the panel
        painter.setPen(QPen(accent, 2, Qt.PenStyle.DashLine))
        painter.drawLine(QPointF(-DROP, HEAD_H / 2), QPointF(0, HEAD_H / 2))
        panel = QColor(theme.panel)
        painter.setPen(QPen(accent, 1.5))
        painter.setBrush(panel)
        painter.drawRoundedRect(r, 10, 10)
        painter.setPen(QColor(theme.text))
        painter.setFont(_Fonts.title)
        painter.drawText(QRectF(PAD, 4, r.width() - 2 * PAD, 18), Qt.AlignmentFlag.AlignVCenter, inside.title)
        painter.setFont(_Fonts.small)
        painter.setPen(QColor(theme.error if inside.error else theme.subtext))
        painter.drawText(
            QRectF(PAD, 21, r.width() - 2 * PAD, 16), Qt.AlignmentFlag.AlignVCenter, inside.error or inside.note
        )
        # edges, then boxes over them
        for e in inside.edges:
            a, b = inside.nodes[e.src], inside.nodes[e.dst]
            p0 = QPointF(a.x + BOX_W / 2, a.y + BOX_H)
            p1 = QPointF(b.x + BOX_W / 2, b.y)
            path = QPainterPath(p0)
            dy = max(abs(p1.y() - p0.y()) / 2, 12.0)
            path.cubicTo(QPointF(p0.x(), p0.y() + dy), QPointF(p1.x(), p1.y() - dy), p1)
            painter.setPen(QPen(QColor(theme.error if e.bad else theme.edge), 2.0 if e.bad else 1.3))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(path)
        fm_name, fm_small = QFontMetricsF(_Fonts.name), QFontMetricsF(_Fonts.small)
        painted = []
        for n in inside.nodes:
            box = QRectF(n.x, n.y, BOX_W, BOX_H)
            color = QColor(CATEGORY_COLORS.get(n.category, theme.accent))
            border = QColor(theme.node_border)
            width = 1.0
            if n.severity == "error":
                border, width = QColor(theme.error), 2.0
            elif n.severity == "warning":
                border, width = QColor(theme.warning), 1.5
            painter.setPen(QPen(border, width))
            painter.setBrush(QColor(theme.node))
            painter.drawRoundedRect(box, 6, 6)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawRect(QRectF(box.left() + 1, box.top() + 1, 3, BOX_H - 2))
            painter.setPen(QColor(theme.text))
            painter.setFont(_Fonts.name)
            inner = box.adjusted(9, 3, -6, 0)
            painter.drawText(
                QRectF(inner.left(), inner.top(), inner.width(), 18),
                Qt.AlignmentFlag.AlignVCenter,
                fm_name.elidedText(n.name, Qt.TextElideMode.ElideRight, inner.width()),
            )
            painter.setFont(_Fonts.small)
            painter.setPen(QColor(theme.subtext))
            painter.drawText(
                QRectF(inner.left(), inner.top() + 16, inner.width(), 16),
                Qt.AlignmentFlag.AlignVCenter,
                fm_small.elidedText(n.summary, Qt.TextElideMode.ElideRight, inner.width()),
            )
            painter.setFont(_Fonts.name)
            painter.setPen(QColor(theme.error if n.severity == "error" else theme.text))
            line = "● " + n.problem if n.severity == "error" and n.shape == "?" else "→ " + n.shape
            painter.drawText(
                QRectF(inner.left(), inner.top() + 33, inner.width(), 17),
                Qt.AlignmentFlag.AlignVCenter,
                fm_name.elidedText(line, Qt.TextElideMode.ElideRight, inner.width()),
            )
            painted.append((n.name, n.summary, n.shape, n.severity))
        self.painted = painted
