"""Edit operations: each is a function of the session, the ids it acts on and a position,
builds one undo command, pushes it, and returns the ids it created.

They know nothing of windows, scenes or the clipboard (the :class:`~designer.ui.editor.
DesignEditor` supplies selection, positions and clipboard data), so they are tested on a
bare :class:`~designer.ui.session.Session`. Positions are scene coordinates as ``(x, y)``.
"""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtGui import QUndoCommand

from ..graph import registry
from ..graph.diagnostics import Fix
from ..graph.document import MODULE_PREFIX, GraphDocument, GraphError, new_id
from ..graph.layout import NODE_H, NODE_W
from ..graph.module_type import snake
from ..graph.modules import module_id_of
from ..graph.nodes.ports import PORT_CATEGORY
from . import clipboard
from .commands import (
    AddGraphCommand,
    AddModulesCommand,
    ConnectCommand,
    FixCommand,
    MacroCommand,
    MakeModuleCommand,
    MoveCommand,
    RemoveCommand,
    RenameCommand,
    SetParamCommand,
    UngroupCommand,
    connect_command,
    layout_command,
)
from .session import Session

PASTE_OFFSET = 30.0
Pos = tuple[float, float]


def _snap(v: float) -> float:
    return round(v / 10.0) * 10.0


def free_spot(doc: GraphDocument, x: float, y: float) -> Pos:
    """A top-left corner near (x, y), on the grid, that does not sit exactly on another node."""
    taken = {(round(n.pos[0]), round(n.pos[1])) for n in doc.nodes.values()}
    x, y = _snap(x), _snap(y)
    while (round(x), round(y)) in taken:
        x, y = x + PASTE_OFFSET, y + PASTE_OFFSET
    return x, y


def clear_spot(doc: GraphDocument, x: float, y: float, w: float = NODE_W, h: float = NODE_H, gap: float = 40.0) -> Pos:
    """A top-left corner at (x, y) or to its right where a ``w`` x ``h`` box touches no node."""
    x, y = _snap(x), _snap(y)
    for _ in range(1000):
        hit = [
            n
            for n in doc.nodes.values()
            if n.pos[0] < x + w + gap
            and x < n.pos[0] + NODE_W + gap
            and n.pos[1] < y + h + gap
            and y < n.pos[1] + NODE_H + gap
        ]
        if not hit:
            break
        x = _snap(max(n.pos[0] for n in hit) + NODE_W + gap)
    return x, y


def _one_node(doc: GraphDocument, type_id: str, corner: Pos) -> tuple[str, dict[str, Any], registry.NodeType]:
    ntype = doc.type_of(type_id)
    nid = new_id()
    name = doc.unique_name(ntype.name_stem or ntype.type_id)
    node = {"id": nid, "type": ntype.type_id, "name": name, "params": ntype.defaults(), "pos": list(corner)}
    return nid, {"nodes": [node]}, ntype


def add_node(session: Session, type_id: str, centre: Pos, after: str | None = None) -> str:
    """Add a node of ``type_id`` centred on ``centre`` (a drop, or the view's centre).

    With ``after`` (a node id with an output), the node goes below that node instead and
    is connected from it, in the same undo step. Returns the new node's id.
    """
    doc = session.doc
    ntype = doc.type_of(type_id)
    if after is not None and after in doc.nodes and ntype.inputs and doc.nodes[after].type.outputs:
        ax, ay = doc.nodes[after].pos
        corner = free_spot(doc, ax, ay + NODE_H + 60)
    else:
        after = None
        corner = free_spot(doc, centre[0] - NODE_W / 2, centre[1] - NODE_H / 2)
    nid, data, ntype = _one_node(doc, type_id, corner)
    if after is None:
        session.push(AddGraphCommand(doc, data, f"Add {ntype.display_name}"))
    else:
        link = _LateConnect(doc, after, nid, doc.nodes[after].type.outputs[0].name, ntype.inputs[0].name)
        text = f"Add {ntype.display_name} after {doc.nodes[after].name}"
        session.push(MacroCommand(text, [AddGraphCommand(doc, data, ""), link]))
    return nid


#: The category of module instances (the design's own definitions) in menus and the palette.
MODULES_CATEGORY = "Modules"


def node_types(doc: GraphDocument | None = None, ports: bool = False) -> dict[str, list[registry.NodeType]]:
    """Every node type a user can add, by palette category: the built-in ones, then the
    design's module definitions (``doc``'s library) under "Modules". The Module input/output
    nodes belong only inside a definition: listed with ``ports`` (a definition's tab)."""
    out = {c: ts for c, ts in registry.categories().items() if ports or c != PORT_CATEGORY}
    if doc is not None and doc.has_library:
        out[MODULES_CATEGORY] = [d.type for d in doc.library.defs.values()]
    return out


def quick_add_types(
    from_input: bool, doc: GraphDocument | None = None, ports: bool = False
) -> dict[str, list[registry.NodeType]]:
    """Node types, by palette category, that can sit at the loose end of a connection dragged
    from an input port (they need an output) or from an output port (they need an input)."""
    return {
        category: kept
        for category, types in node_types(doc, ports).items()
        if (kept := [t for t in types if (t.outputs if from_input else t.inputs)])
    }


def insertable_types(doc: GraphDocument | None = None, ports: bool = False) -> dict[str, list[registry.NodeType]]:
    """Node types, by palette category, that can sit on an edge (one input, one output)."""
    return {
        category: kept
        for category, types in node_types(doc, ports).items()
        if (kept := [t for t in types if t.inputs and t.outputs])
    }


def add_connected(session: Session, type_id: str, at: Pos, node_id: str, port: str, port_is_input: bool) -> str:
    """Add a node where a connection from ``node_id``'s ``port`` was let go (``at``) and
    connect it, in one undo step: below that point when fed by an output, above it when it
    feeds an input. Returns the new node's id."""
    doc = session.doc
    other = doc.nodes[node_id]
    y = at[1] - NODE_H if port_is_input else at[1]
    nid, data, ntype = _one_node(doc, type_id, free_spot(doc, at[0] - NODE_W / 2, y))
    if port_is_input:
        link = _LateConnect(doc, nid, node_id, ntype.outputs[0].name, port)
        text = f"Add {ntype.display_name} before {other.name}"
    else:
        link = _LateConnect(doc, node_id, nid, port, ntype.inputs[0].name)
        text = f"Add {ntype.display_name} after {other.name}"
    session.push(MacroCommand(text, [AddGraphCommand(doc, data, ""), link]))
    return nid


def insert_on_edge(session: Session, type_id: str, edge_id: str) -> str:
    """Put a new node on an edge (src -> new -> dst), half-way along it, in one undo step;
    a concat keeps the order of its inputs. Returns the new node's id."""
    doc = session.doc
    edge = doc.edges[edge_id]
    src, dst = doc.nodes[edge.src], doc.nodes[edge.dst]
    index = doc.input_index(edge_id)
    corner = free_spot(doc, (src.pos[0] + dst.pos[0]) / 2, (src.pos[1] + dst.pos[1]) / 2)
    nid, data, ntype = _one_node(doc, type_id, corner)
    steps = [
        RemoveCommand(doc, [], [edge_id]),
        AddGraphCommand(doc, data, ""),
        _LateConnect(doc, edge.src, nid, edge.src_port, ntype.inputs[0].name),
        _LateConnect(doc, nid, edge.dst, ntype.outputs[0].name, edge.dst_port, index),
    ]
    session.push(MacroCommand(f"Insert {ntype.display_name} between {src.name} and {dst.name}", steps))
    return nid


class _LateConnect(QUndoCommand):
    """A connect step inside a macro whose end node is created by an earlier step."""

    def __init__(self, doc: GraphDocument, src: str, dst: str, src_port: str, dst_port: str, index: int | None = None):
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


def connect(session: Session, src: str, src_port: str, dst: str, dst_port: str) -> str:
    """Connect an output port to an input port (replacing what a single input held, in the
    same step); returns the new edge's id."""
    eid = new_id()
    session.push(connect_command(session.doc, src, dst, src_port, dst_port, eid))
    return eid


def delete(session: Session, node_ids: list[str], edge_ids: list[str] = (), text: str = "") -> bool:
    """Delete nodes (with their edges) and edges in one step; False when there was nothing."""
    node_ids = [n for n in node_ids if n in session.doc.nodes]
    edge_ids = [e for e in edge_ids if e in session.doc.edges]
    if not node_ids and not edge_ids:
        return False
    cmd = RemoveCommand(session.doc, node_ids, edge_ids)
    if text:
        cmd.setText(text)
    session.push(cmd)
    return True


def paste(session: Session, data: dict[str, Any] | None, text: str = "Paste") -> list[str]:
    """Add a copied sub-graph with fresh ids and names, offset from the originals so that no
    node lands exactly on another; returns the new node ids ([] for no data)."""
    if not data or not data.get("nodes"):
        return []
    doc = session.doc
    offset = PASTE_OFFSET
    taken = {(round(n.pos[0]), round(n.pos[1])) for n in doc.nodes.values()}
    while any((round(n["pos"][0] + offset), round(n["pos"][1] + offset)) in taken for n in data["nodes"]):
        offset += PASTE_OFFSET
    payload = clipboard.fresh(data, doc, (offset, offset))
    modules = _free_names(doc, payload.pop("modules", None) or [])
    n = len(payload["nodes"])
    text = f"{text} {n} node{'s' * (n != 1)}"
    session.push(AddModulesCommand(doc, modules, payload, text) if modules else AddGraphCommand(doc, payload, text))
    return [node["id"] for node in payload["nodes"]]


def duplicate(session: Session, node_ids: list[str]) -> list[str]:
    node_ids = [n for n in node_ids if n in session.doc.nodes]
    if not node_ids:
        return []
    return paste(session, clipboard.selection_data(session.doc, node_ids), "Duplicate")


def move(session: Session, moves: dict[str, Pos], nudge: bool = False) -> None:
    doc = session.doc
    moves = {nid: p for nid, p in moves.items() if nid in doc.nodes and tuple(p) != doc.nodes[nid].pos}
    if moves:
        session.push(MoveCommand(doc, moves, nudge=nudge))


def nudge(session: Session, node_ids: list[str], dx: float, dy: float) -> None:
    doc = session.doc
    move(session, {nid: (doc.nodes[nid].pos[0] + dx, doc.nodes[nid].pos[1] + dy) for nid in node_ids}, nudge=True)


def auto_layout(session: Session) -> bool:
    if not session.doc.nodes:
        return False
    session.push(layout_command(session.doc))
    return True


def set_param(session: Session, node_id: str, key: str, value: Any, edit_session: int = -1) -> bool:
    """Set one parameter (validated by its spec: raises ParamError, changing nothing); False
    when the value is the current one. Edits with the same ``edit_session`` >= 0 merge into
    one undo step."""
    cmd = SetParamCommand(session.doc, node_id, key, value, edit_session)  # validates
    if cmd.new == cmd.old:
        return False
    session.push(cmd)
    return True


def rename(session: Session, node_id: str, name: str) -> bool:
    name = name.strip()
    if not name or name == session.doc.nodes[node_id].name:
        return False
    session.push(RenameCommand(session.doc, node_id, name))
    return True


# ------------------------------------------------------------------ modules
def is_instance(doc: GraphDocument, node_id: str) -> bool:
    """Whether the node is an instance of one of the design's module definitions."""
    node = doc.nodes.get(node_id)
    return node is not None and doc.has_library and (module_id_of(node.type_id) or "") in doc.library.defs


def _free_names(doc: GraphDocument, modules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A copy of module data in which a definition the design lacks, named like one it has,
    takes a free name (the one it has by id is kept as it is: it is the same definition)."""
    modules = copy.deepcopy(modules)
    if not modules:
        return modules
    lib = doc.library
    for m in modules:
        if m["id"] not in lib.defs and any(d.name == m["name"] for d in lib.defs.values()):
            m["name"] = lib.unique_name(m["name"])
    return modules


def make_module(session: Session, node_ids: list[str], name: str | None = None) -> list[str]:
    """Replace the nodes by one instance of a new definition made of them, in one step;
    returns the instance's id (in a list: the ids to select). Raises GraphError, changing
    nothing, with the reason a selection cannot be a module."""
    cmd = MakeModuleCommand(session.doc, [n for n in node_ids if n in session.doc.nodes], name)
    session.push(cmd)
    return cmd.focus


def ungroup(session: Session, instance_id: str) -> list[str]:
    """Turn one instance back into its definition's nodes, in one step; returns their ids.
    Raises GraphError, changing nothing, when the node is not a usable instance."""
    doc = session.doc
    if not is_instance(doc, instance_id):
        name = doc.nodes[instance_id].name if instance_id in doc.nodes else instance_id
        raise GraphError(f"{name!r} is not a module instance: only an instance can be ungrouped")
    cmd = UngroupCommand(doc, instance_id)
    session.push(cmd)
    return cmd.focus


def add_modules(session: Session, modules: list[dict[str, Any]], centre: Pos, after: str | None = None) -> str:
    """Add module definitions given as data (a library's: the first one and those it uses)
    and an instance of the first, centred on ``centre`` or below ``after`` (connected), in
    one step. A definition the design already has (same id) is the one used; one whose name
    is taken gets a free name. Returns the instance's id."""
    if not modules:
        raise GraphError("no module to add")
    doc = session.doc
    lib = doc.library
    modules = _free_names(doc, modules)
    first = modules[0]
    existing = lib.defs.get(first["id"])
    name = existing.name if existing is not None else first["name"]
    has_input = any(n.get("type") == "module_input" for n in first.get("nodes", []))
    if after is not None and after in doc.nodes and has_input and doc.nodes[after].type.outputs:
        ax, ay = doc.nodes[after].pos
        corner = free_spot(doc, ax, ay + NODE_H + 60)
    else:
        after = None
        corner = free_spot(doc, centre[0] - NODE_W / 2, centre[1] - NODE_H / 2)
    nid = new_id()
    node = {"id": nid, "type": MODULE_PREFIX + first["id"], "name": doc.unique_name(snake(name) or "module")}
    graph = {"nodes": [{**node, "params": {}, "pos": list(corner)}]}
    if after is None:
        session.push(AddModulesCommand(doc, modules, graph, f"Add {name}"))
    else:
        link = _LateConnect(doc, after, nid, doc.nodes[after].type.outputs[0].name, "in")
        text = f"Add {name} after {doc.nodes[after].name}"
        session.push(MacroCommand(text, [AddModulesCommand(doc, modules, graph, ""), link]))
    return nid


def apply_fix(session: Session, fix: Fix | None) -> bool:
    if fix is None:
        return False
    session.push(FixCommand(session.doc, fix))
    return True
