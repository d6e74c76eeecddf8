"""Editing operations behind the Edit menu, the palette and the canvas: each builds one
undo command from the current selection and pushes it on the session."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF
from PySide6.QtGui import QGuiApplication, QUndoCommand

from ..graph import registry
from ..graph.document import new_id
from ..graph.layout import NODE_H, NODE_W
from . import clipboard
from .commands import AddGraphCommand, ConnectCommand, MacroCommand, MoveCommand, RemoveCommand, layout_command

if TYPE_CHECKING:
    from .main_window import MainWindow

PASTE_OFFSET = 30.0


def _snap(v: float) -> float:
    return round(v / 10.0) * 10.0


def free_spot(window: MainWindow, x: float, y: float) -> tuple[float, float]:
    """A top-left corner near (x, y) that does not sit exactly on another node."""
    taken = {(round(n.pos[0]), round(n.pos[1])) for n in window.document.nodes.values()}
    x, y = _snap(x), _snap(y)
    while (round(x), round(y)) in taken:
        x, y = x + PASTE_OFFSET, y + PASTE_OFFSET
    return x, y


def add_node(window: MainWindow, type_id: str, scene_pos: QPointF | None = None, after: str | None = None) -> str:
    """Add a node of ``type_id`` centred on ``scene_pos`` (a drop) or at the view's centre.

    With ``after`` (a node id), the new node goes below that node and is connected to it,
    in the same undo step. Returns the new node's id.
    """
    doc = window.document
    ntype = registry.get(type_id)
    if after is not None and after in doc.nodes and ntype.inputs and doc.nodes[after].type.outputs:
        ax, ay = doc.nodes[after].pos
        x, y = free_spot(window, ax, ay + NODE_H + 60)
    else:
        after = None
        if scene_pos is None:
            scene_pos = window.view.mapToScene(window.view.viewport().rect().center())
        x, y = free_spot(window, scene_pos.x() - NODE_W / 2, scene_pos.y() - NODE_H / 2)
    nid = new_id()
    name = doc.unique_name(ntype.name_stem or ntype.type_id)
    data = {"nodes": [{"id": nid, "type": ntype.type_id, "name": name, "params": ntype.defaults(), "pos": (x, y)}]}
    if after is None:
        window.session.push(AddGraphCommand(doc, data, f"Add {ntype.display_name}"))
    else:
        steps = [
            AddGraphCommand(doc, data, ""),
            _LateConnect(doc, after, nid, doc.nodes[after].type.outputs[0].name, ntype.inputs[0].name),
        ]
        window.session.push(MacroCommand(f"Add {ntype.display_name} after {doc.nodes[after].name}", steps))
    window.scene.select_nodes([nid])
    return nid


def quick_add_types(from_input: bool) -> dict[str, list[registry.NodeType]]:
    """Node types, by palette category, that can sit at the loose end of a connection dragged
    from an input port (they need an output) or from an output port (they need an input)."""
    return {
        category: kept
        for category, types in registry.categories().items()
        if (kept := [t for t in types if (t.outputs if from_input else t.inputs)])
    }


def add_connected(
    window: MainWindow, type_id: str, scene_pos: QPointF, node_id: str, port: str, port_is_input: bool
) -> str:
    """Add a node where a connection from ``node_id``'s ``port`` was dropped and connect it,
    in one undo step: below the drop point when fed by an output, above it when it feeds an
    input. Returns the new node's id."""
    doc = window.document
    ntype = registry.get(type_id)
    other = doc.nodes[node_id]
    y = scene_pos.y() - NODE_H if port_is_input else scene_pos.y()
    x, y = free_spot(window, scene_pos.x() - NODE_W / 2, y)
    nid = new_id()
    name = doc.unique_name(ntype.name_stem or ntype.type_id)
    data = {"nodes": [{"id": nid, "type": ntype.type_id, "name": name, "params": ntype.defaults(), "pos": (x, y)}]}
    if port_is_input:
        link = _LateConnect(doc, nid, node_id, ntype.outputs[0].name, port)
        text = f"Add {ntype.display_name} before {other.name}"
    else:
        link = _LateConnect(doc, node_id, nid, port, ntype.inputs[0].name)
        text = f"Add {ntype.display_name} after {other.name}"
    window.session.push(MacroCommand(text, [AddGraphCommand(doc, data, ""), link]))
    window.scene.select_nodes([nid])
    return nid


def insert_on_edge(window: MainWindow, type_id: str, edge_id: str) -> str:
    """Put a new node of ``type_id`` on an edge (src -> new -> dst), half-way along it, in one
    undo step; a concat keeps the order of its inputs. Returns the new node's id."""
    doc = window.document
    ntype = registry.get(type_id)
    edge = doc.edges[edge_id]
    src, dst = doc.nodes[edge.src], doc.nodes[edge.dst]
    index = [e.id for e in doc.in_edges(edge.dst)].index(edge_id)
    x, y = free_spot(window, (src.pos[0] + dst.pos[0]) / 2, (src.pos[1] + dst.pos[1]) / 2)
    nid = new_id()
    name = doc.unique_name(ntype.name_stem or ntype.type_id)
    data = {"nodes": [{"id": nid, "type": ntype.type_id, "name": name, "params": ntype.defaults(), "pos": (x, y)}]}
    steps = [
        RemoveCommand(doc, [], [edge_id]),
        AddGraphCommand(doc, data, ""),
        _LateConnect(doc, edge.src, nid, edge.src_port, ntype.inputs[0].name),
        _LateConnect(doc, nid, edge.dst, ntype.outputs[0].name, edge.dst_port, index),
    ]
    window.session.push(MacroCommand(f"Insert {ntype.display_name} between {src.name} and {dst.name}", steps))
    window.scene.select_nodes([nid])
    return nid


def insertable_types() -> dict[str, list[registry.NodeType]]:
    """Node types, by palette category, that can sit on an edge (one input, one output)."""
    return {
        category: kept
        for category, types in registry.categories().items()
        if (kept := [t for t in types if t.inputs and t.outputs])
    }


class _LateConnect(QUndoCommand):
    """A connect step inside a macro whose destination node is created by an earlier step."""

    def __init__(self, doc, src: str, dst: str, src_port: str, dst_port: str, index: int | None = None):
        super().__init__()
        self.args = (doc, src, dst, src_port, dst_port, new_id(), index)
        self.inner: QUndoCommand | None = None

    def redo(self) -> None:
        if self.inner is None:
            self.inner = ConnectCommand(*self.args)
        self.inner.redo()

    def undo(self) -> None:
        assert self.inner is not None
        self.inner.undo()


def delete_selection(window: MainWindow) -> None:
    nodes, edges = window.scene.selected_node_ids(), window.scene.selected_edge_ids()
    if nodes or edges:
        window.session.push(RemoveCommand(window.document, nodes, edges))


def delete_edges(window: MainWindow, edge_ids: list[str]) -> None:
    if edge_ids:
        cmd = RemoveCommand(window.document, [], edge_ids)
        cmd.setText("Delete connection" if len(edge_ids) == 1 else f"Delete {len(edge_ids)} connections")
        window.session.push(cmd)


def copy_selection(window: MainWindow) -> bool:
    nodes = window.scene.selected_node_ids()
    if not nodes:
        return False
    QGuiApplication.clipboard().setMimeData(clipboard.to_mime(clipboard.selection_data(window.document, nodes)))
    return True


def cut_selection(window: MainWindow) -> None:
    if copy_selection(window):
        nodes = window.scene.selected_node_ids()
        cmd = RemoveCommand(window.document, nodes)
        cmd.setText(f"Cut {len(nodes)} node{'s' * (len(nodes) != 1)}")
        window.session.push(cmd)


def paste(window: MainWindow, data: dict | None = None, text: str = "Paste") -> list[str]:
    """Paste the clipboard (or ``data``) with fresh ids, offset from the originals."""
    if data is None:
        data = clipboard.from_mime(QGuiApplication.clipboard().mimeData())
    if not data:
        window.statusBar().showMessage("Nothing to paste: the clipboard holds no nodes", 3000)
        return []
    doc = window.document
    offset = PASTE_OFFSET
    taken = {(round(n.pos[0]), round(n.pos[1])) for n in doc.nodes.values()}
    while any((round(n["pos"][0] + offset), round(n["pos"][1] + offset)) in taken for n in data["nodes"]):
        offset += PASTE_OFFSET
    payload = clipboard.fresh(data, doc, (offset, offset))
    n = len(payload["nodes"])
    window.session.push(AddGraphCommand(doc, payload, f"{text} {n} node{'s' * (n != 1)}"))
    ids = [node["id"] for node in payload["nodes"]]
    window.scene.select_nodes(ids)
    return ids


def duplicate(window: MainWindow) -> list[str]:
    nodes = window.scene.selected_node_ids()
    if not nodes:
        return []
    return paste(window, clipboard.selection_data(window.document, nodes), "Duplicate")


def nudge(window: MainWindow, dx: float, dy: float) -> None:
    nodes = window.scene.selected_node_ids()
    if nodes:
        doc = window.document
        moves = {nid: (doc.nodes[nid].pos[0] + dx, doc.nodes[nid].pos[1] + dy) for nid in nodes}
        window.session.push(MoveCommand(doc, moves, nudge=True))


def auto_layout(window: MainWindow) -> None:
    if window.document.nodes:
        window.session.push(layout_command(window.document))
        window.view.fit()
