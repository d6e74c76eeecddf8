"""Undoable edits of a module definition itself: its name, its description and its exposed
parameters. They live on the project's one undo stack, with the design's and the bodies' edits.

Changing a definition's exposed list makes every document that uses it normalise its
instances' parameters (a new exposed parameter takes the definition's value, a removed one
is dropped); so :class:`SetExposedCommand` keeps every instance's parameters from before
(in the design and in every definition body) and puts them back exactly on undo, and the
values after on redo. A renamed exposed parameter carries each instance's value over.

Each function checks the edit first and returns "" when it was done, else the message that
says why not (nothing is pushed then).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from PySide6.QtGui import QUndoCommand

from ..graph.document import GraphDocument
from ..graph.modules import ExposedParam, ModuleDef
from ..graph.params import ParamError
from .session import Session

__all__ = [
    "RenameModuleCommand",
    "SetExposedCommand",
    "SetModuleDescriptionCommand",
    "default_exposed_name",
    "expose",
    "rename_exposed",
    "rename_module",
    "set_module_description",
    "unexpose",
]

_Snapshot = list[tuple[GraphDocument, str, dict[str, Any]]]


def project_documents(design: GraphDocument) -> list[GraphDocument]:
    """The design and every definition body of its library (where instances can be)."""
    return [design, *(d.body for d in design.library.defs.values())]


def _snapshot(design: GraphDocument, module_id: str) -> _Snapshot:
    return [
        (doc, node.id, copy.deepcopy(node.params))
        for doc in project_documents(design)
        for node in doc.instances(module_id)
    ]


def _restore(snapshot: _Snapshot) -> None:
    for doc, node_id, params in snapshot:
        if node_id in doc.nodes:
            doc.set_params(node_id, copy.deepcopy(params))


class SetExposedCommand(QUndoCommand):
    """Replace a definition's exposed parameters; undo restores the list and every instance's
    values. ``carry`` maps a new exposed name to the old one whose values it takes (a rename)."""

    def __init__(
        self,
        design: GraphDocument,
        module_id: str,
        exposed: list[ExposedParam],
        text: str,
        carry: dict[str, str] | None = None,
    ):
        super().__init__(text)
        self.design, self.module_id = design, module_id
        self.old = list(design.library.get(module_id).exposed)
        self.new = list(exposed)
        self.carry = dict(carry or {})
        self._before: _Snapshot | None = None
        self._after: _Snapshot | None = None

    def redo(self) -> None:
        lib = self.design.library
        if self._after is None:
            self._before = _snapshot(self.design, self.module_id)
            lib.set_exposed(self.module_id, self.new)
            for doc, node_id, params in self._before:
                values = {new: params[old] for new, old in self.carry.items() if old in params}
                if values and node_id in doc.nodes:
                    doc.set_params(node_id, values)
            self._after = _snapshot(self.design, self.module_id)
        else:
            lib.set_exposed(self.module_id, self.new)
            _restore(self._after)

    def undo(self) -> None:
        self.design.library.set_exposed(self.module_id, self.old)
        _restore(self._before or [])


class RenameModuleCommand(QUndoCommand):
    """Rename a definition (already renamed when pushed: the rename itself is the check)."""

    def __init__(self, definition: ModuleDef, old: str, new: str):
        super().__init__(f"Rename module {old} to {new}")
        self.library, self.module_id, self.old, self.new = definition.library, definition.id, old, new
        self._done = True

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self.library.rename(self.module_id, self.new)

    def undo(self) -> None:
        self.library.rename(self.module_id, self.old)


class SetModuleDescriptionCommand(QUndoCommand):
    def __init__(self, definition: ModuleDef, text: str):
        super().__init__(f"Describe module {definition.name}")
        self.library, self.module_id = definition.library, definition.id
        self.old, self.new = definition.description, text

    def redo(self) -> None:
        self.library.set_description(self.module_id, self.new)

    def undo(self) -> None:
        self.library.set_description(self.module_id, self.old)


# ------------------------------------------------------------------- operations
def default_exposed_name(definition: ModuleDef, node_id: str, param: str) -> str:
    """``<node>_<param>`` as an identifier, numbered when the definition already has it."""
    node = definition.body.nodes[node_id]
    stem = re.sub(r"[^0-9A-Za-z_]+", "_", f"{node.name}_{param}").strip("_") or param
    if stem[0].isdigit():
        stem = "p_" + stem
    stem = stem[:60]
    taken = {e.name for e in definition.exposed}
    name, i = stem, 2
    while name in taken:
        name, i = f"{stem}_{i}", i + 1
    return name


def _push_exposed(
    session: Session,
    design: GraphDocument,
    definition: ModuleDef,
    exposed: list[ExposedParam],
    text: str,
    carry: dict[str, str] | None = None,
) -> str:
    try:
        definition.check_exposed(exposed)
    except ParamError as exc:
        return str(exc)
    session.push(SetExposedCommand(design, definition.id, exposed, text, carry))
    return ""


def expose(session: Session, design: GraphDocument, definition: ModuleDef, node_id: str, param: str, name: str) -> str:
    """Expose ``param`` of the body node ``node_id`` as ``name`` (each instance sets it)."""
    name = name.strip()
    node = definition.body.nodes[node_id]
    if definition.exposed_name(node_id, param) is not None:
        return f"{node.name}.{param} is already exposed as {definition.exposed_name(node_id, param)!r}"
    exposed = [*definition.exposed, ExposedParam(name, node_id, param)]
    return _push_exposed(session, design, definition, exposed, f"Expose {node.name}.{param} as {name}")


def unexpose(session: Session, design: GraphDocument, definition: ModuleDef, name: str) -> str:
    """Stop exposing ``name``: instances drop their values (the body's value applies)."""
    exposed = [e for e in definition.exposed if e.name != name]
    if len(exposed) == len(definition.exposed):
        return f"module {definition.name} has no exposed parameter {name!r}"
    return _push_exposed(session, design, definition, exposed, f"Stop exposing {name} of {definition.name}")


def rename_exposed(session: Session, design: GraphDocument, definition: ModuleDef, old: str, new: str) -> str:
    """Rename an exposed parameter; every instance keeps its value under the new name."""
    new = new.strip()
    if new == old:
        return ""
    exposed = [ExposedParam(new, e.node_id, e.param) if e.name == old else e for e in definition.exposed]
    if exposed == definition.exposed:
        return f"module {definition.name} has no exposed parameter {old!r}"
    text = f"Rename parameter {old} of {definition.name} to {new}"
    return _push_exposed(session, design, definition, exposed, text, {new: old})


def rename_module(session: Session, definition: ModuleDef, name: str) -> str:
    old, name = definition.name, name.strip()
    if name == old:
        return ""
    try:
        definition.library.rename(definition.id, name)
    except ParamError as exc:
        return str(exc)
    session.push(RenameModuleCommand(definition, old, name))
    return ""


def set_module_description(session: Session, definition: ModuleDef, text: str) -> str:
    if text != definition.description:
        session.push(SetModuleDescriptionCommand(definition, text))
    return ""
