"""Summary: per node output shape, parameters, MACs and share of the total, grouped by block,
with a MAC bar per node so the bottleneck stands out; for a design with modules, first each
definition's totals over the network (instances, runs, parameters, MACs) with its instances
under it (:func:`designer.compiler.summary.module_summary`)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QLabel,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..compiler.summary import module_summary
from .format import compact, grouped, percent, shape_text
from .report_dock import ReportDock
from .session import Session
from .theme import Theme

NODE_ROLE = Qt.ItemDataRole.UserRole + 1
SHARE_ROLE = Qt.ItemDataRole.UserRole + 2
HOT_ROLE = Qt.ItemDataRole.UserRole + 3
#: The share the bar of a row is drawn against (module rows: the largest module's), when not the
#: largest node's (nodes) or the largest block's (blocks).
PEAK_ROLE = Qt.ItemDataRole.UserRole + 4
COLUMNS = ["Node", "Type", "Output", "Params", "MACs", "Share of MACs"]
SHARE_COL = 5


class _ShareBarDelegate(QStyledItemDelegate):
    def __init__(self, dock: SummaryDock):
        super().__init__(dock)
        self.dock = dock

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        share = index.data(SHARE_ROLE)
        if share is None:
            super().paint(painter, option, index)
            return
        theme = self.dock.theme
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(option.rect).adjusted(6, 6, -58, -6)
        track = QColor(theme.border)
        track.setAlpha(90)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(track)
        painter.drawRoundedRect(r, 3, 3)
        is_node = index.siblingAtColumn(0).data(NODE_ROLE) is not None
        peak = index.data(PEAK_ROLE) or (self.dock.peak_share if is_node else self.dock.peak_group)
        peak = max(peak, 1e-9)
        bar = QRectF(r.left(), r.top(), max(r.width() * min(share / peak, 1.0), 2.0 if share else 0.0), r.height())
        painter.setBrush(QColor(theme.warning if index.data(HOT_ROLE) else theme.accent))
        painter.drawRoundedRect(bar, 3, 3)
        painter.setPen(QColor(theme.text))
        text_rect = QRectF(option.rect).adjusted(option.rect.width() - 54, 0, -4, 0)
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, percent(share))
        painter.restore()


class SummaryDock(ReportDock):
    node_requested = Signal(str)

    def __init__(self, theme: Theme, parent: QWidget | None = None):
        super().__init__("Summary", parent, delay_ms=120)
        self.setObjectName("SummaryDock")
        self.theme = theme
        self.peak_share = 0.0
        self.peak_group = 0.0
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.totals = QLabel()
        self.totals.setObjectName("totals")
        self.totals.setTextFormat(Qt.TextFormat.RichText)
        self.totals.setWordWrap(True)  # a long line wraps; it never sets the window's minimum width
        self.tree = QTreeWidget()
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setUniformRowHeights(True)
        self.tree.setItemDelegateForColumn(SHARE_COL, _ShareBarDelegate(self))
        self.tree.itemClicked.connect(self._on_tree_item_clicked)
        header = self.tree.header()
        for col, width in enumerate((180, 110, 110, 90, 80, 200)):
            header.resizeSection(col, width)
        header.setStretchLastSection(True)
        for col in (3, 4):
            self.tree.headerItem().setTextAlignment(col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.totals)
        layout.addWidget(self.tree)
        self.setWidget(body)

    def set_session(self, session: Session) -> None:
        super().set_session(session)
        self.refresh()

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.refresh()

    def refresh(self) -> None:
        self._dirty = False
        self.tree.clear()
        if self.session is None:
            return
        doc, rep, costs = self.session.doc, self.session.report, self.session.costs
        if rep.main:
            params, total, note = costs.inference.params, costs.inference.macs, ""
        else:  # no single output yet (an error, or loose ends): everything whose shape is known
            params, total = costs.total.params, costs.total.macs
            note = " &nbsp;·&nbsp; <i>no single output yet: totals of every node with a known shape</i>"
        shares = (
            {nid: c.macs / total for nid, c in costs.nodes.items() if nid in rep.main or not rep.main} if total else {}
        )
        self.peak_share = max(shares.values(), default=0.0)
        self.peak_group = max((t.macs / total for t in costs.groups.values()), default=0.0) if total else 0.0
        hot = max(shares, key=shares.get) if shares and self.peak_share > 0 else None
        self._add_modules(total)
        order = rep.order + [n for n in doc.nodes if n not in rep.order]
        grouped_ids = {}
        for g in doc.groups.values():
            for nid in g.node_ids:
                grouped_ids.setdefault(nid, g.id)
        group_items: dict[str, QTreeWidgetItem] = {}
        for nid in order:
            gid = grouped_ids.get(nid)
            parent = None
            if gid is not None:
                parent = group_items.get(gid)
                if parent is None:
                    g, t = doc.groups[gid], costs.groups.get(gid)
                    parent = QTreeWidgetItem(
                        [g.name, "block", "", grouped(t.params) if t else "", compact(t.macs) if t else ""]
                    )
                    self._bold(parent)
                    if t and total:
                        parent.setData(SHARE_COL, SHARE_ROLE, t.macs / total)
                    self._align(parent)
                    self.tree.addTopLevelItem(parent)
                    parent.setExpanded(True)
                    group_items[gid] = parent
            node, c = doc.nodes[nid], costs.nodes.get(nid)
            item = QTreeWidgetItem(
                [
                    node.name,
                    node.type.display_name,
                    shape_text(rep.shapes.get(nid)),
                    grouped(c.params) if c else "–",
                    compact(c.macs) if c else "–",
                ]
            )
            item.setData(0, NODE_ROLE, nid)
            if c is not None:
                item.setToolTip(4, f"{grouped(c.macs)} multiply-accumulates per image")
            if nid in shares:
                item.setData(SHARE_COL, SHARE_ROLE, shares[nid])
                item.setData(SHARE_COL, HOT_ROLE, nid == hot)
            self._align(item)
            (parent.addChild(item) if parent is not None else self.tree.addTopLevelItem(item))
        out = rep.shapes.get(rep.output_id) if rep.output_id else None
        text = (
            f"<b>{grouped(params)}</b> parameters &nbsp;·&nbsp; <b>{compact(total)}</b> MACs / image"
            f" &nbsp;·&nbsp; {costs.total.activation_bytes / 2**20:.1f} MiB activations"
            f" &nbsp;·&nbsp; output <b>{shape_text(out)}</b>"
        )
        text += note
        if rep.main and costs.aux_params:
            text += f" &nbsp;·&nbsp; aux heads +{grouped(costs.aux_params)} params (training only)"
        if hot is not None:
            text += (
                f"<br><span style='color:{self.theme.warning}'>▮</span> heaviest: <b>{doc.nodes[hot].name}</b> "
                f"({percent(self.peak_share)} of the MACs)"
            )
        self.totals.setText(text)

    def _add_modules(self, total: int) -> None:
        """A "Modules" row with one row per definition (its figures summed over every run in
        the network) and, under each, its instances."""
        modules = module_summary(self.session.doc, self.session.report)
        if not modules:
            return
        count = f"{len(modules)} definition{'s' * (len(modules) != 1)}"
        root = QTreeWidgetItem(["Modules", count, "", "", ""])
        self._bold(root)
        self.tree.addTopLevelItem(root)
        peak = max((m.macs / total for m in modules), default=0.0) if total else 0.0
        for m in modules:
            item = QTreeWidgetItem([m.name, f"module × {m.runs}", "", grouped(m.params), compact(m.macs)])
            repeats = m.runs - m.instances
            how = f"{m.instances} instance{'s' * (m.instances != 1)}" + (
                f" ({repeats} more copies from repeat)" if repeats else ""
            )
            item.setToolTip(1, f"{how}: {m.runs} run{'s' * (m.runs != 1)} per image")
            item.setToolTip(4, f"{grouped(m.macs)} multiply-accumulates per image, summed over every run")
            self._bold(item)
            if total:
                item.setData(SHARE_COL, SHARE_ROLE, m.macs / total)
                item.setData(SHARE_COL, PEAK_ROLE, peak)
            self._align(item)
            root.addChild(item)
            for u in m.uses:
                kind = f"instance × {u.copies}" if u.copies > 1 else "instance"
                child = QTreeWidgetItem([u.name, kind, shape_text(u.out_shape), grouped(u.params), compact(u.macs)])
                if u.node_id:
                    child.setData(0, NODE_ROLE, u.node_id)
                if total:
                    child.setData(SHARE_COL, SHARE_ROLE, u.macs / total)
                    child.setData(SHARE_COL, PEAK_ROLE, peak)
                self._align(child)
                item.addChild(child)
            item.setExpanded(len(m.uses) <= 12)
        root.setExpanded(True)

    @staticmethod
    def _bold(item: QTreeWidgetItem) -> None:
        font = item.font(0)
        font.setBold(True)
        for col in range(len(COLUMNS)):
            item.setFont(col, font)

    @staticmethod
    def _align(item: QTreeWidgetItem) -> None:
        for col in (3, 4):
            item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def _on_tree_item_clicked(self, item: QTreeWidgetItem, column: int) -> None:
        nid = item.data(0, NODE_ROLE)
        if nid:
            self.node_requested.emit(nid)
