"""The scene mirrors one document: an item per node, edge and group, redrawn on document events
and validation reports. User gestures on the canvas (connect, finish a drag) become undo
commands pushed on the session; items never touch the model."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSceneMouseEvent

from ...graph.diagnostics import Severity
from ...graph.document import (
    MODULE_PREFIX,
    DocEvent,
    DocumentReset,
    EdgeAdded,
    EdgeRemoved,
    GroupAdded,
    GroupRemoved,
    ModuleChanged,
    NodeAdded,
    NodeMoved,
    NodeRemoved,
    NodeRenamed,
    ParamChanged,
)
from .. import operations
from ..format import compact, shape_text
from ..session import Session
from ..theme import Theme
from .connect import ConnectionDrag
from .edge_item import EdgeItem
from .expansion import ExpansionItem, inside_of
from .group_item import GroupItem
from .node_item import NodeItem, port_signature
from .port_item import PortItem

#: What a node's face says for a problem (the full message is its tooltip).
SHORT = {
    "merge-mismatch": "inputs disagree",
    "unconnected": "input not connected",
    "extra-input": "too many inputs",
    "cycle": "on a cycle",
    "shape": "does not fit its input",
    "param": "invalid parameters",
    "many-outputs": "more than one Output",
}
_RANK = {Severity.ERROR: 3, Severity.WARNING: 2, "cause": 3, Severity.INFO: 1}


class GraphScene(QGraphicsScene):
    #: Emitted after a report was applied, with the number of items that had to be redrawn.
    report_applied = Signal(int)
    #: A connection was dragged from a port and released on empty canvas: (node id, port name,
    #: whether that port is an input, scene position). The window offers to add a node there.
    connection_dropped = Signal(str, str, bool, QPointF)
    #: A node was double-clicked (its id): the editor opens an instance's definition.
    node_activated = Signal(str)
    #: A node inside an expanded instance was double-clicked: (instance id, inner node id).
    inner_node_activated = Signal(str, str)
    #: An instance was expanded in place or collapsed: (node id, expanded).
    expansion_toggled = Signal(str, bool)

    def __init__(self, session: Session, theme: Theme, parent=None):
        super().__init__(parent)
        self.session = session
        self.doc = session.doc
        self.theme = theme
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict[str, EdgeItem] = {}
        self.groups: dict[str, GroupItem] = {}
        #: Instances expanded in place: their inside drawn beside them (a view state, not saved).
        self.expanded: dict[str, ExpansionItem] = {}
        self._bulk = False
        self._drag: ConnectionDrag | None = None
        #: The report the items show now, and the edges it marked bad: the next report updated
        #: from it redraws only the nodes it names as changed (see ``apply_report``).
        self._shown = None
        self._bad_edges: dict[str, str] = {}
        #: Items made since the last report was applied (they show nothing yet).
        self._fresh_nodes: set[str] = set()
        self._fresh_edges: set[str] = set()
        #: In a definition's tab: the nodes whose faces show the chosen instance's values.
        self._bound: set[str] = set()
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.rebuild()
        session.changed.connect(self._on_session_changed)
        session.report_changed.connect(self._on_session_report_changed)

    # ------------------------------------------------------------------ build
    def rebuild(self) -> None:
        self._drag = None
        keep = [nid for nid in self.expanded if nid in self.doc.nodes]
        self.expanded.clear()
        self.clear()
        self.nodes.clear()
        self.edges.clear()
        self.groups.clear()
        self._shown = None
        self._bulk = True
        for nid in self.doc.nodes:
            self._add_node(nid)
        for eid in self.doc.edges:
            self._add_edge(eid)
        for nid in self.doc.nodes:
            self._update_slots(nid)
        for gid in self.doc.groups:
            self._add_group(gid)
        for nid in keep:  # (still in bulk: a view following the scene does not scroll to them)
            self.set_expanded(nid, True)
        self._bulk = False
        self.apply_report(self.session.report)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setBackgroundBrush(QColor(theme.canvas))
        for item in self.items():
            item.update()
        self.update()

    # ------------------------------------------------------------- model sync
    def _on_session_changed(self, event: DocEvent) -> None:
        match event:
            case NodeAdded(node_id=nid):
                self._add_node(nid)
            case NodeRemoved(node_id=nid):
                item = self.nodes.pop(nid, None)
                if item is not None:
                    self.removeItem(item)
                self.set_expanded(nid, False)
                self._refresh_groups()
            case ParamChanged(node_id=nid) | NodeRenamed(node_id=nid) | NodeMoved(node_id=nid):
                self.nodes[nid].sync(self.doc.nodes[nid], self._bound_params(nid))
            case EdgeAdded(edge_id=eid, node_id=nid):
                self._add_edge(eid)
                self._update_slots(nid)
            case EdgeRemoved(edge_id=eid, node_id=nid):
                item = self.edges.pop(eid, None)
                if item is not None:
                    self.removeItem(item)
                if nid in self.doc.nodes:
                    self._update_slots(nid)
            case GroupAdded(group_id=gid):
                self._add_group(gid)
            case GroupRemoved(group_id=gid):
                item = self.groups.pop(gid, None)
                if item is not None:
                    self.removeItem(item)
            case ModuleChanged(module_id=mid):
                self._sync_instances(mid)
            case DocumentReset():
                self.rebuild()

    def _add_node(self, nid: str) -> None:
        node = self.doc.nodes[nid]
        item = NodeItem(nid, node.type)
        item.sync(node, self._bound_params(nid))
        self.addItem(item)
        self.nodes[nid] = item
        self._fresh_nodes.add(nid)

    def _sync_instances(self, module_id: str) -> None:
        """A definition changed: its instances (and those of the definitions using it) show its
        new name and values; an instance whose ports changed (a Module input added or removed
        inside) is made again, with its edges."""
        lib = self.doc.library if self.doc.has_library else None
        affected = {MODULE_PREFIX + m for m in {module_id, *(lib.dependents(module_id) if lib is not None else ())}}
        signatures: dict[str, tuple] = {}
        for nid, item in list(self.nodes.items()):
            if not item.is_instance or nid not in self.doc.nodes:
                continue
            node = self.doc.nodes[nid]
            if node.type_id not in affected:
                continue
            ports = signatures.get(node.type_id)
            if ports is None:  # (a module's ports are worked out on each access: once per definition)
                ports = signatures[node.type_id] = port_signature(node.type)
            if item.ports_key == ports:
                bound = self._bound_params(nid)
                if not item.shows_values_of(node, bound):
                    item.sync(node, bound)
                continue
            touching = [e.id for e in self.doc.in_edges(nid) + self.doc.out_edges(nid)]
            for eid in touching:
                old = self.edges.pop(eid, None)
                if old is not None:
                    self.removeItem(old)
            selected = item.isSelected()
            self.removeItem(self.nodes.pop(nid))
            self._add_node(nid)
            self.nodes[nid].setSelected(selected)
            self.nodes[nid].set_expanded(nid in self.expanded)
            for eid in touching:
                self._add_edge(eid)
            for other in {nid} | {self.doc.edges[e].dst for e in touching}:
                self._update_slots(other)
            self._refresh_groups(nid)

    def _bound_params(self, nid: str) -> dict | None:
        """In a definition's tab, the chosen instance's values for a node with exposed
        parameters (its face shows what that instance computes); None elsewhere."""
        bindings = getattr(self.session, "bindings", None)
        return bindings.params.get(nid) if bindings is not None else None

    def _sync_bound_faces(self) -> None:
        """The instance shown changed (or its values did): faces follow."""
        bindings = getattr(self.session, "bindings", None)
        bound = set(bindings.params) if bindings is not None else set()
        for nid in (bound | self._bound) & self.nodes.keys():
            if nid in self.doc.nodes:
                self.nodes[nid].sync(self.doc.nodes[nid], self._bound_params(nid))
        self._bound = bound

    def _add_edge(self, eid: str) -> None:
        e = self.doc.edges[eid]
        src = self.nodes[e.src].port(e.src_port, False, create=True)
        dst = self.nodes[e.dst].port(e.dst_port, True, create=True)
        item = EdgeItem(eid, src, dst)
        self.addItem(item)
        self.edges[eid] = item
        self._fresh_edges.add(eid)

    def _add_group(self, gid: str) -> None:
        item = GroupItem(gid)
        self.addItem(item)
        self.groups[gid] = item
        self._refresh_group(gid)

    def _update_slots(self, nid: str) -> None:
        """Spread the edges into a multi-input port in input order (concat order is visible)."""
        for port in self.doc.nodes[nid].type.inputs:
            edges = self.doc.in_edges(nid, port.name)
            for i, e in enumerate(edges):
                if e.id in self.edges:
                    self.edges[e.id].set_slot(i, len(edges))

    def _refresh_group(self, gid: str) -> None:
        g = self.doc.groups[gid]
        rect = QRectF()
        for nid in g.node_ids:
            item = self.nodes.get(nid)
            if item is not None:
                rect = rect.united(item.mapRectToScene(item.rect))
        self.groups[gid].set_frame(g.name, g.color, rect)

    def _refresh_groups(self, node_id: str | None = None) -> None:
        for gid, g in self.doc.groups.items():
            if gid in self.groups and (node_id is None or node_id in g.node_ids):
                self._refresh_group(gid)

    def node_item_moved(self, item: NodeItem) -> None:
        """A node item moved (dragged, or synced from the model): follow with edges and frames."""
        if self._bulk or item.node_id not in self.doc.nodes:
            return
        nid = item.node_id
        for e in self.doc.in_edges(nid):
            if e.id in self.edges:
                self.edges[e.id].update_path()
        for e in self.doc.out_edges(nid):
            if e.id in self.edges:
                self.edges[e.id].update_path()
        self._refresh_groups(nid)
        panel = self.expanded.get(nid)
        if panel is not None:
            panel.place_beside(item.mapRectToScene(item.rect))

    # --------------------------------------------------------------- expansion
    @property
    def rebuilding(self) -> bool:
        """True while the items are being made again (a new document, an undone reset)."""
        return self._bulk

    def set_expanded(self, node_id: str, on: bool) -> bool:
        """Show (or hide) an instance's inside beside it; False when ``node_id`` is not an
        instance of this design."""
        item = self.nodes.get(node_id)
        if on:
            if item is None or not item.is_instance:
                return False
            if node_id not in self.expanded:
                panel = ExpansionItem(node_id)
                self.addItem(panel)
                self.expanded[node_id] = panel
                self._refresh_expansion(node_id, self.session.report)
                item.set_expanded(True)
                self.expansion_toggled.emit(node_id, True)
            return True
        panel = self.expanded.pop(node_id, None)
        if panel is not None:
            self.removeItem(panel)
            if item is not None:
                item.set_expanded(False)
            self.expansion_toggled.emit(node_id, False)
        return item is not None and item.is_instance

    def toggle_expanded(self, node_id: str) -> bool:
        """Expand a collapsed instance, collapse an expanded one; returns whether it is expanded."""
        self.set_expanded(node_id, node_id not in self.expanded)
        return node_id in self.expanded

    def _refresh_expansion(self, node_id: str, report) -> None:
        panel, item = self.expanded[node_id], self.nodes.get(node_id)
        node = self.doc.nodes.get(node_id)
        if item is None or node is None or not item.is_instance or node.ntype is None:
            self.set_expanded(node_id, False)
            return
        try:
            panel.set_inside(inside_of(self.doc, node_id, report))
        except KeyError:  # (its definition is gone: the validation's error says so on the node)
            self.set_expanded(node_id, False)
            return
        panel.place_beside(item.mapRectToScene(item.rect))

    # ---------------------------------------------------------------- reports
    def _on_session_report_changed(self, report) -> None:
        self.apply_report(report)

    def apply_report(self, report) -> int:
        """Show shapes and problems; only items whose text or state changed are redrawn.

        When ``report`` was updated from the one shown now, only the nodes it names as changed
        (``Report.changed_since``), the edges touching them, the edges marked bad before or now
        and items made since are visited: after one edit in a design of 10,000 nodes that is a
        handful, not every item. Otherwise (a new document, a different instance's shapes, most
        of the design changed) every item is."""
        per_node: dict[str, list[tuple[str, str, str]]] = {}
        bad_edges: dict[str, str] = {}
        for d in report.diagnostics:
            if d.node_id is not None:
                per_node.setdefault(d.node_id, []).append((d.severity, d.message, d.code))
            if d.cause_id is not None and d.cause_id != d.node_id and d.is_error:
                per_node.setdefault(d.cause_id, []).append(("cause", d.message, "cause"))
            if d.is_error:
                for eid in d.edge_ids:
                    bad_edges[eid] = d.message
        costs = self.session.costs if report is self.session.report else None
        only = report.changed_since(self._shown) if self._shown is not None else None
        if only is not None and 4 * len(only) > len(self.nodes):
            only = None
        if only is None:
            node_ids, edge_ids = list(self.nodes), list(self.edges)
        else:
            node_ids_set = {nid for nid in only if nid in self.nodes} | (self._fresh_nodes & self.nodes.keys())
            edge_set = {eid for eid in (*self._bad_edges, *bad_edges, *self._fresh_edges) if eid in self.edges}
            for nid in node_ids_set:
                if nid in self.doc.nodes:
                    edge_set.update(e.id for e in self.doc.in_edges(nid) if e.id in self.edges)
                    edge_set.update(e.id for e in self.doc.out_edges(nid) if e.id in self.edges)
            node_ids, edge_ids = list(node_ids_set), list(edge_set)
        self._shown, self._bad_edges = report, bad_edges
        self._fresh_nodes.clear()
        self._fresh_edges.clear()
        changed = 0
        for nid in node_ids:
            item = self.nodes[nid]
            found = per_node.get(nid, [])
            shape = shape_text(report.shapes.get(nid))
            if found:
                top = max(_RANK.get(s, 0) for s, _, _ in found)
                severity = {3: "error", 2: "warning", 1: "info"}[top]
                worst = [(m, c) for s, m, c in found if _RANK.get(s, 0) == top]
                problem = "\n".join(m for m, _ in worst)
                short = SHORT.get(worst[0][1], "") if severity == "error" else ""
                severity = "" if severity == "info" else severity
            else:
                severity, problem, short = "", "", ""
            changed += item.set_status(shape, severity, problem, short)
            if item.is_instance:
                cost = costs.nodes.get(nid) if costs is not None else None
                totals = f"{compact(cost.params)} params · {compact(cost.macs)} MACs" if cost is not None else ""
                changed += item.set_totals(totals)
        for eid in edge_ids:
            item = self.edges[eid]
            src = self.doc.edges[eid].src
            shape = report.shapes.get(src)
            changed += item.set_status(shape_text(shape) if shape is not None else "", bad_edges.get(eid, ""))
        for nid in list(self.expanded):
            self._refresh_expansion(nid, report)
        if self._bound or getattr(self.session, "bindings", None) is not None:
            self._sync_bound_faces()
        self.report_applied.emit(changed)
        return changed

    def helpEvent(self, event) -> None:  # noqa: N802  (Qt's name)
        """Node tooltips are written when asked for: bring those under the pointer up to date,
        then let Qt show the topmost one."""
        for item in self.items(event.scenePos()):
            node = item if isinstance(item, NodeItem) else item.parentItem()
            if isinstance(node, NodeItem):
                node.refresh_tooltip()
        super().helpEvent(event)

    # -------------------------------------------------------------- selection
    def selected_node_ids(self) -> list[str]:
        return [i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)]

    def selected_edge_ids(self) -> list[str]:
        return [i.edge_id for i in self.selectedItems() if isinstance(i, EdgeItem)]

    def select_nodes(self, node_ids: list[str]) -> None:
        self.clearSelection()
        for nid in node_ids:
            if nid in self.nodes:
                self.nodes[nid].setSelected(True)

    # ------------------------------------------------------------- connecting
    def begin_connection(self, port: PortItem, pos: QPointF) -> None:
        self._drag = ConnectionDrag(self, port)
        self._drag.move(pos)

    def update_connection(self, pos: QPointF) -> None:
        if self._drag is not None:
            self._drag.move(pos)

    def end_connection(self, pos: QPointF) -> None:
        drag, self._drag = self._drag, None
        if drag is None:
            return
        target = drag.finish(pos)
        if target is not None:
            out, inp = (drag.origin, target) if not drag.origin.is_input else (target, drag.origin)
            self.connect_ports(out, inp)
        elif not any(isinstance(item, (NodeItem, PortItem)) for item in self.items(pos)):
            origin = drag.origin
            self.connection_dropped.emit(origin.node_id, origin.name, origin.is_input, pos)

    def connect_ports(self, out: PortItem, inp: PortItem) -> str:
        """Connect an output port to an input port through an undo command; returns the edge id."""
        return operations.connect(self.session, out.node_id, out.name, inp.node_id, inp.name)

    # ------------------------------------------------------------------ moves
    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        self.commit_moves()

    def commit_moves(self) -> None:
        """Turn items dragged away from their model position into one MoveCommand."""
        moves = {}
        for nid, item in self.nodes.items():
            p = item.pos()
            if (p.x(), p.y()) != self.doc.nodes[nid].pos:
                moves[nid] = (p.x(), p.y())
        operations.move(self.session, moves)
