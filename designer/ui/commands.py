"""Undoable edits. The UI changes the document only through these commands.

Commands hold ids and plain values, never items or node objects, so they stay valid
while other commands delete and restore nodes. Parameter edits merge while one field
is being typed into (same ``edit_session``); moves merge while the same nodes are
nudged with the keyboard.
"""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtGui import QUndoCommand

from ..graph.diagnostics import Fix
from ..graph.document import GraphDocument
from ..graph.layout import auto_layout
from ..graph.module_edits import ModuleEdit, apply_edit, plan_make_module, plan_ungroup, revert_edit

_PARAM_ID, _MOVE_ID = 1001, 1002


class AddGraphCommand(QUndoCommand):
    """Add nodes (with their edges and groups) given as plain data with final ids: a palette
    drop is one node; a paste or duplicate is a sub-graph."""

    def __init__(self, doc: GraphDocument, data: dict[str, Any], text: str):
        super().__init__()
        self.doc = doc
        self.data = copy.deepcopy(data)
        self.node_ids = [n["id"] for n in self.data["nodes"]]
        self.setText(text)

    def redo(self) -> None:
        self.doc.add_graph_data(self.data)

    def undo(self) -> None:
        for g in reversed(self.data.get("groups", [])):
            self.doc.remove_group(g["id"])
        for nid in reversed(self.node_ids):
            self.doc.remove_node(nid)


class AddModulesCommand(QUndoCommand):
    """Add module definitions (as data, with the definitions they use) to the design's library,
    and optionally nodes and edges that use them (a palette drop of a library module, the
    Inception block builder), as one step. Definitions the library already has are kept."""

    def __init__(self, doc: GraphDocument, modules: list[dict[str, Any]], graph: dict[str, Any] | None, text: str):
        super().__init__()
        self.doc = doc
        self.modules = copy.deepcopy(modules)
        self.graph = AddGraphCommand(doc, graph, text) if graph else None
        self.node_ids = self.graph.node_ids if self.graph else []
        self._added: list[str] = []
        self._removed: list[Any] = []  # the definitions an undo took out, put back by redo
        self.setText(text)

    def redo(self) -> None:
        if self._removed:
            self.doc.library.put_back(self._removed)
        else:
            self._added = self.doc.library.add_data(self.modules)
        if self.graph is not None:
            self.graph.redo()

    def undo(self) -> None:
        if self.graph is not None:
            self.graph.undo()
        self._removed = self.doc.library.remove_ids(self._added)


class ModuleEditCommand(QUndoCommand):
    """A planned :class:`~designer.graph.module_edits.ModuleEdit` as one step; undo puts the
    design (and the library) back exactly. ``focus``: the ids to select after it is done."""

    def __init__(self, doc: GraphDocument, edit: ModuleEdit):
        super().__init__()
        self.doc, self.edit = doc, edit
        self.focus = list(edit.focus)
        self.setText(edit.text)

    def redo(self) -> None:
        apply_edit(self.doc, self.edit)

    def undo(self) -> None:
        revert_edit(self.doc, self.edit)


class MakeModuleCommand(ModuleEditCommand):
    """Replace the selected nodes by one instance of a new definition made of them. Raises
    :class:`~designer.graph.document.GraphError` (the reason, for the user) when they cannot be."""

    def __init__(self, doc: GraphDocument, node_ids: list[str], name: str | None = None):
        super().__init__(doc, plan_make_module(doc, node_ids, name))


class UngroupCommand(ModuleEditCommand):
    """Turn one instance back into its definition's nodes (the definition stays). Raises
    :class:`~designer.graph.document.GraphError` when the node is not a usable instance."""

    def __init__(self, doc: GraphDocument, instance_id: str):
        super().__init__(doc, plan_ungroup(doc, instance_id))


class RemoveCommand(QUndoCommand):
    """Delete nodes (with every edge touching them) and edges. Undo puts everything back
    where it was: nodes and groups at their place in the document's order, edges at their
    place among their destination's inputs, so the saved file is byte-identical."""

    def __init__(self, doc: GraphDocument, node_ids: list[str], edge_ids: list[str] = ()):
        super().__init__()
        self.doc = doc
        self.node_ids = [n for n in node_ids if n in doc.nodes]
        self.edge_ids = [e for e in edge_ids if e in doc.edges]
        self._nodes: list[tuple[int, dict[str, Any]]] = []
        self._edges: list[tuple[int, dict[str, Any]]] = []
        self._groups: list[tuple[int, dict[str, Any]]] = []
        nn, ne = len(self.node_ids), len(self.edge_ids)
        if nn == 1 and not ne:
            self.setText(f"Delete {doc.nodes[self.node_ids[0]].name}")
        elif ne and not nn:
            self.setText("Delete connection" if ne == 1 else f"Delete {ne} connections")
        else:
            self.setText(f"Delete {nn} node{'s' * (nn != 1)}")

    def redo(self) -> None:
        doc = self.doc
        gone = set(self.node_ids)
        edges = set(self.edge_ids) | {e.id for nid in self.node_ids for e in doc.in_edges(nid) + doc.out_edges(nid)}
        # Each edge with its index among its destination's inputs, lowest first (restored in that order).
        self._edges = sorted(((doc.input_index(eid), doc.edge_data(eid)) for eid in edges), key=lambda t: t[0])
        self._groups = [
            (doc.group_index(g.id), doc.group_data(g.id)) for g in doc.groups.values() if gone & set(g.node_ids)
        ]
        self._nodes = sorted((doc.node_index(nid), doc.node_data(nid)) for nid in self.node_ids)
        for _, e in reversed(self._edges):  # highest index first keeps the others' indices valid
            doc.disconnect(e["id"])
        for nid in self.node_ids:
            doc.remove_node(nid)  # also leaves its groups

    def undo(self) -> None:
        doc = self.doc
        for index, n in self._nodes:  # lowest place first: each lands where it was
            doc.add_node_data(n, index)
        for index, e in self._edges:
            doc.add_edge_data(e, index)
        for index, g in self._groups:  # the groups again with their members, in their place
            doc.remove_group(g["id"])
            doc.add_group_data(g, index)


class ConnectCommand(QUndoCommand):
    def __init__(
        self,
        doc: GraphDocument,
        src: str,
        dst: str,
        src_port: str,
        dst_port: str,
        edge_id: str,
        index: int | None = None,
    ):
        """``index``: the place among the destination's inputs (a concat's order); last by default."""
        super().__init__()
        self.doc, self.edge = doc, {"id": edge_id, "src": src, "src_port": src_port, "dst": dst, "dst_port": dst_port}
        self.index = index
        self.setText(f"Connect {doc.nodes[src].name} → {doc.nodes[dst].name}")

    def redo(self) -> None:
        self.doc.add_edge_data(self.edge, self.index)

    def undo(self) -> None:
        self.doc.disconnect(self.edge["id"])


class MacroCommand(QUndoCommand):
    """Several commands as one undo step.

    The steps are kept in a Python list rather than as Qt child commands: PySide does not
    keep the Python side of a child command alive, so Qt would call into a freed object.
    """

    def __init__(self, text: str, steps: list[QUndoCommand]):
        super().__init__()
        self.steps = list(steps)
        self.setText(text)

    def redo(self) -> None:
        for step in self.steps:
            step.redo()

    def undo(self) -> None:
        for step in reversed(self.steps):
            step.undo()


def connect_command(doc: GraphDocument, src: str, dst: str, src_port: str, dst_port: str, edge_id: str) -> QUndoCommand:
    """Connect; into an occupied single-input port the old edge is replaced in the same step."""
    port = next(p for p in doc.nodes[dst].type.inputs if p.name == dst_port)
    old = [] if port.multi else [e.id for e in doc.in_edges(dst, dst_port)]
    if not old:
        return ConnectCommand(doc, src, dst, src_port, dst_port, edge_id)
    return MacroCommand(
        f"Reconnect {doc.nodes[dst].name} to {doc.nodes[src].name}",
        [RemoveCommand(doc, [], old), ConnectCommand(doc, src, dst, src_port, dst_port, edge_id)],
    )


class SetParamCommand(QUndoCommand):
    """One parameter of one node. Consecutive commands with the same ``edit_session`` merge."""

    def __init__(self, doc: GraphDocument, node_id: str, key: str, value: Any, edit_session: int = -1):
        super().__init__()
        self.doc, self.node_id, self.key = doc, node_id, key
        node = doc.nodes[node_id]
        self.old = copy.deepcopy(node.params[key])
        self.new = node.type.param(key).validate(value)
        self.edit_session = edit_session
        self.setText(f"Set {node.type.param(key).title.lower()} of {node.name} to {self._show(self.new)}")

    @staticmethod
    def _show(value: Any) -> str:
        return repr(value) if isinstance(value, str) else str(value)

    def id(self) -> int:
        return _PARAM_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetParamCommand) or self.edit_session < 0:
            return False
        if (other.node_id, other.key, other.edit_session) != (self.node_id, self.key, self.edit_session):
            return False
        self.new = other.new
        self.setText(other.text())
        self.setObsolete(self.new == self.old)
        return True

    def redo(self) -> None:
        self.doc.set_param(self.node_id, self.key, copy.deepcopy(self.new))

    def undo(self) -> None:
        self.doc.set_param(self.node_id, self.key, copy.deepcopy(self.old))


class RenameCommand(QUndoCommand):
    def __init__(self, doc: GraphDocument, node_id: str, name: str):
        super().__init__()
        self.doc, self.node_id = doc, node_id
        self.old, self.new = doc.nodes[node_id].name, name.strip()
        self.setText(f"Rename {self.old} to {self.new}")

    def redo(self) -> None:
        self.doc.rename(self.node_id, self.new)

    def undo(self) -> None:
        self.doc.rename(self.node_id, self.old)


class MoveCommand(QUndoCommand):
    """Move nodes. Keyboard nudges of the same nodes merge into one step."""

    def __init__(self, doc: GraphDocument, moves: dict[str, tuple[float, float]], nudge: bool = False, text: str = ""):
        super().__init__()
        self.doc, self.nudge = doc, nudge
        self.new = {nid: (float(p[0]), float(p[1])) for nid, p in moves.items()}
        self.old = {nid: doc.nodes[nid].pos for nid in moves}
        n = len(moves)
        self.setText(text or (f"Move {doc.nodes[next(iter(moves))].name}" if n == 1 else f"Move {n} nodes"))

    def id(self) -> int:
        return _MOVE_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not (isinstance(other, MoveCommand) and self.nudge and other.nudge and set(other.new) == set(self.new)):
            return False
        self.new = dict(other.new)
        return True

    def redo(self) -> None:
        for nid, pos in self.new.items():
            self.doc.move(nid, pos)

    def undo(self) -> None:
        for nid, pos in self.old.items():
            self.doc.move(nid, pos)


def layout_command(doc: GraphDocument) -> MoveCommand:
    return MoveCommand(doc, auto_layout(doc), text="Auto-layout")


class FixCommand(QUndoCommand):
    """Apply a diagnostic's fix (``Fix.changes``) as one step."""

    def __init__(self, doc: GraphDocument, fix: Fix):
        super().__init__()
        self.doc, self.changes = doc, tuple(fix.changes)
        self.old = [(nid, key, copy.deepcopy(doc.nodes[nid].params[key])) for nid, key, _ in self.changes]
        self.setText(fix.label)

    def redo(self) -> None:
        Fix("", self.changes).apply(self.doc)

    def undo(self) -> None:
        for nid, key, value in reversed(self.old):
            self.doc.set_param(nid, key, value)
