"""A connection being dragged: a rubber-band edge from the pressed port to the cursor, with
the ports it may connect to highlighted (no self-loops, no cycles, no duplicate edges)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QLineF, QPointF
from PySide6.QtGui import QColor

from .edge_item import DragEdgeItem
from .node_item import NodeItem
from .port_item import PortItem

if TYPE_CHECKING:
    from .scene import GraphScene

SNAP = 28.0


class ConnectionDrag:
    def __init__(self, scene: GraphScene, origin: PortItem):
        self.scene = scene
        self.origin = origin
        doc = scene.doc
        nid = origin.node_id
        # Connecting out -> in must not close a cycle: targets may not be upstream of the origin.
        import networkx as nx  # already loaded after start-up (see MainWindow._finish_start)

        if origin.is_input:
            banned = nx.descendants(doc.graph, nid) | {nid}
        else:
            banned = nx.ancestors(doc.graph, nid) | {nid}
        existing = {(e.src, e.src_port, e.dst, e.dst_port) for e in doc.edges.values()}
        self.targets: list[PortItem] = []
        for other_id, item in scene.nodes.items():
            if other_id in banned:
                continue
            ports = item.outputs if origin.is_input else item.inputs
            for port in ports.values():
                key = (
                    (port.node_id, port.name, nid, origin.name)
                    if origin.is_input
                    else (nid, origin.name, port.node_id, port.name)
                )
                if key not in existing:
                    self.targets.append(port)
        for port in self.targets:
            port.set_state("compatible")
        origin.set_state("target")
        self.hover: PortItem | None = None
        self.line = DragEdgeItem(QColor(scene.theme.accent))
        scene.addItem(self.line)

    def _target_at(self, pos: QPointF) -> PortItem | None:
        best, best_d = None, SNAP
        for port in self.targets:
            d = QLineF(port.scenePos(), pos).length() - (port.half_width() - 5)
            if d < best_d:
                best, best_d = port, d
        if best is not None:
            return best
        for item in self.scene.items(pos):  # dropped on a node's body: its first compatible port
            if isinstance(item, NodeItem):
                return next((p for p in self.targets if p.node is item), None)
        return None

    def move(self, pos: QPointF) -> None:
        hover = self._target_at(pos)
        if hover is not self.hover:
            if self.hover is not None:
                self.hover.set_state("compatible")
            if hover is not None:
                hover.set_state("target")
            self.hover = hover
        end = hover.scenePos() if hover is not None else pos
        self.line.set_ends(self.origin.scenePos(), end, not self.origin.is_input)

    def finish(self, pos: QPointF) -> PortItem | None:
        target = self._target_at(pos)
        for port in self.targets:
            port.set_state("")
        self.origin.set_state("")
        self.scene.removeItem(self.line)
        return target
