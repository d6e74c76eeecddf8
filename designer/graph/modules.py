"""Modules: a block designed once (a definition) and used many times (instances).

A :class:`ModuleDef` is a small design of its own (a :class:`GraphDocument`, its ``body``)
whose inputs are ``Module input`` nodes and whose result is one ``Module output`` node
(:mod:`designer.graph.nodes.ports`). Any parameter of a node inside can be *exposed* under a
name (:class:`ExposedParam`): GoogLeNet's Inception exposes ``ch1x1, ch3x3red, ...``.

An instance is a node whose type is the definition's :class:`ModuleType`: its input ports are
the definition's ``Module input`` nodes (``in``, ``in2``, ...), its parameters the exposed
ones plus ``repeat`` (a chain of N copies, Inception-ResNet's ``block35 x 10``). Validating
an instance validates the body with the instance's input shapes and parameter values
(:class:`~designer.graph.validate.Bindings`), memoised on the definition's version, the
values and the shapes: 1,250 instances of one definition with the same widths cost one
inner validation, and editing the definition re-validates each distinct use once. In-channels
come from the instance's input, so one definition fits every place in the network.

Definitions live in a :class:`ModuleLibrary` shared by the design and by every definition's
body (so modules nest). A definition that contains itself, directly or through another, is
reported where it is used. The compiler works on :func:`expand`'s flat design, in which
every instance is a group of its inner nodes named ``<instance>_<inner>`` (so the compiled
``state_dict`` keys follow the instance names and the generated code has one class per
definition). Making a module from a selection and turning an instance back into nodes are
in :mod:`designer.graph.module_edits`; the flat design for the compiler is
:func:`designer.graph.expand.expand`.

The format is data an importer (torch.fx) can produce: a definition per repeated submodule
class, instances per call, exposed parameters for the constructor arguments that differ.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from .document import MODULE_PREFIX, GraphDocument, GraphError, NodeMoved, new_id
from .module_type import REPEAT, ModuleType
from .params import ParamError, ParamSpec
from .registry import UnknownNodeType
from .shapes import Shape

__all__ = [
    "ExposedParam",
    "ModuleDef",
    "ModuleLibrary",
    "module_id_of",
]

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def module_id_of(type_id: str) -> str | None:
    """The definition id of an instance's type id, or None for a built-in type."""
    return type_id[len(MODULE_PREFIX) :] if type_id.startswith(MODULE_PREFIX) else None


@dataclass(frozen=True)
class ExposedParam:
    """A parameter of a node inside a definition, set per instance under ``name``."""

    name: str
    node_id: str
    param: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "node": self.node_id, "param": self.param}


class ModuleDef:
    """A module definition: a body design with ports, exposed parameters and a version."""

    def __init__(
        self,
        library: ModuleLibrary,
        module_id: str,
        name: str,
        body: GraphDocument,
        exposed: Iterable[ExposedParam] = (),
        description: str = "",
    ):
        self.library = library
        self.id = module_id
        self.name = name
        self.description = description
        self.exposed: list[ExposedParam] = list(exposed)
        #: Bumped on every change that can change what an instance computes.
        self.version = 0
        self.body = body
        body.library = library
        self.type = ModuleType(self)
        self._unsubscribe = body.subscribe(self._on_body_event)

    def _on_body_event(self, event: Any) -> None:
        if isinstance(event, NodeMoved):
            return
        if getattr(event, "module_id", None) is not None:  # a nested definition changed
            return  # the library already bumped this definition if it uses that one
        self.library.changed(self.id)

    def detach(self) -> None:
        """Stop following the body (the definition left the library; it may come back)."""
        self._unsubscribe()
        self._unsubscribe = lambda: None

    def attach(self) -> None:
        """Follow the body again (the same definition put back by a redo)."""
        self._unsubscribe()
        self._unsubscribe = self.body.subscribe(self._on_body_event)

    # ------------------------------------------------------------------ ports
    def input_ports(self) -> list[str]:
        return [nid for nid, n in self.body.nodes.items() if n.type_id == "module_input"]

    def output_port(self) -> str | None:
        outs = [nid for nid, n in self.body.nodes.items() if n.type_id == "module_output"]
        return outs[0] if len(outs) == 1 else None

    def problem(self) -> str:
        """Why the definition cannot be used at all ("" when it can)."""
        if not self.input_ports():
            return "the module has no Module input node"
        outs = [n for n in self.body.nodes.values() if n.type_id == "module_output"]
        if len(outs) != 1:
            return "the module has no Module output node" if not outs else f"the module has {len(outs)} Module outputs"
        for e in self.exposed:
            if self.exposed_spec(e) is None:
                return f"exposed parameter {e.name!r} refers to a parameter that no longer exists"
        return ""

    # ------------------------------------------------------------- parameters
    def exposed_spec(self, e: ExposedParam) -> ParamSpec | None:
        node = self.body.nodes.get(e.node_id)
        if node is None:
            return None
        try:
            spec = node.type.param(e.param)
        except KeyError:
            return None
        help_text = f"{node.name}: {spec.title}" + (f". {spec.help}" if spec.help else "")
        return replace(spec, name=e.name, default=node.params[e.param], label=e.name, help=help_text)

    def param_specs(self) -> list[ParamSpec]:
        """One spec per exposed name (a name that sets several parameters shows once)."""
        specs: dict[str, ParamSpec] = {}
        for e in self.exposed:
            if e.name not in specs and (spec := self.exposed_spec(e)) is not None:
                specs[e.name] = spec
        return list(specs.values())

    def exposed_name(self, node_id: str | None, param: str | None) -> str | None:
        for e in self.exposed:
            if e.node_id == node_id and e.param == param:
                return e.name
        return None

    def bindings(self, p: dict[str, Any], in_shapes: list[Shape]) -> Any:
        from .validate import Bindings

        params: dict[str, dict[str, Any]] = {}
        for e in self.exposed:
            if e.name in p and e.node_id in self.body.nodes:
                inner = params.get(e.node_id)
                if inner is None:
                    inner = params[e.node_id] = dict(self.body.nodes[e.node_id].params)
                inner[e.param] = p[e.name]
        return Bindings(dict(zip(self.input_ports(), in_shapes, strict=False)), params)

    def check_exposed(self, exposed: list[ExposedParam]) -> None:
        """Raise :class:`ParamError` naming the first exposed parameter that cannot be.

        One name may set several inner parameters of one kind (torchvision's ``channels_7x7``
        sets six convs' widths): every instance gives them the same value."""
        kinds: dict[str, type] = {}
        places: set[tuple[str, str]] = set()
        for e in exposed:
            if not _IDENT.match(e.name):
                raise ParamError(f"{e.name!r} is not a parameter name (letters, digits and _; not first a digit)")
            if e.name == REPEAT:
                raise ParamError(f"{REPEAT!r} is every instance's copy count; choose another name")
            node = self.body.nodes.get(e.node_id)
            if node is None:
                raise ParamError(f"exposed parameter {e.name!r} refers to a node the module does not have")
            try:
                spec = node.type.param(e.param)
            except KeyError:
                raise ParamError(f"node {node.name!r} has no parameter {e.param!r} (exposed as {e.name!r})") from None
            if (e.node_id, e.param) in places:
                raise ParamError(f"{node.name}.{e.param} is exposed twice")
            places.add((e.node_id, e.param))
            if kinds.setdefault(e.name, type(spec)) is not type(spec):
                raise ParamError(f"{e.name!r} sets parameters of different kinds")

    # ------------------------------------------------------------------- data
    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            **self.body.graph_data(),
            "exposed": [e.to_dict() for e in self.exposed],
        }

    def uses(self) -> set[str]:
        """Ids of the definitions this one instantiates directly."""
        return {t for n in self.body.nodes.values() if (t := module_id_of(n.type_id)) is not None}

    def __repr__(self) -> str:
        return f"<ModuleDef {self.name} ({self.id})>"


class ModuleLibrary:
    """The module definitions of one project, in order; shared by the design and every body."""

    def __init__(self) -> None:
        self.defs: dict[str, ModuleDef] = {}
        self._listeners: list[Callable[[str], None]] = []

    def subscribe(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """Call ``listener(module_id)`` when a definition is added, removed or changed."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _notify(self, module_id: str) -> None:
        for listener in list(self._listeners):
            listener(module_id)

    def changed(self, module_id: str) -> None:
        """A definition changed: bump it and every definition that uses it, then tell listeners."""
        for mid in self.dependents(module_id) | {module_id}:
            if mid in self.defs:
                self.defs[mid].version += 1
        self._notify(module_id)

    def dependents(self, module_id: str) -> set[str]:
        """Definitions that instantiate ``module_id``, directly or through others."""
        users: dict[str, set[str]] = {}
        for d in self.defs.values():
            for used in d.uses():
                users.setdefault(used, set()).add(d.id)
        out: set[str] = set()
        todo = [module_id]
        while todo:
            for u in users.get(todo.pop(), ()):
                if u not in out:
                    out.add(u)
                    todo.append(u)
        return out

    # ---------------------------------------------------------------- queries
    def type_of(self, type_id: str) -> ModuleType:
        d = self.defs.get(module_id_of(type_id) or "")
        if d is None:
            raise UnknownNodeType(type_id)
        return d.type

    def get(self, module_id: str) -> ModuleDef:
        try:
            return self.defs[module_id]
        except KeyError:
            raise GraphError(f"no module with id {module_id!r}") from None

    def by_name(self, name: str) -> ModuleDef:
        for d in self.defs.values():
            if d.name == name:
                return d
        raise GraphError(f"no module named {name!r}")

    def unique_name(self, stem: str) -> str:
        taken = {d.name for d in self.defs.values()}
        if stem not in taken:
            return stem
        i = 2
        while f"{stem}{i}" in taken:
            i += 1
        return f"{stem}{i}"

    # ---------------------------------------------------------------- editing
    def new_def(
        self,
        name: str,
        data: dict[str, Any] | None = None,
        exposed: Iterable[ExposedParam] = (),
        module_id: str | None = None,
        description: str = "",
    ) -> ModuleDef:
        """A definition bound to this library (not added yet) with a body built from graph data."""
        body = GraphDocument(name, description, library=self)
        if data:
            body.add_graph_data(data)
        body.revision = 0
        return ModuleDef(self, module_id or new_id(), name, body, exposed, description)

    def add(self, d: ModuleDef, index: int | None = None) -> ModuleDef:
        if d.id in self.defs:
            raise GraphError(f"a module with id {d.id!r} already exists")
        self.defs[d.id] = d
        if index is not None and index < len(self.defs) - 1:
            items = list(self.defs.items())
            items.insert(index, items.pop())
            self.defs = dict(items)
        self._notify(d.id)
        return d

    def remove(self, module_id: str) -> tuple[ModuleDef, int]:
        d = self.get(module_id)
        index = list(self.defs).index(module_id)
        del self.defs[module_id]
        self._notify(module_id)
        return d, index

    def rename(self, module_id: str, name: str) -> None:
        name = name.strip()
        if not _IDENT.match(name):
            raise ParamError(f"{name!r} is not a module name (letters, digits and _; not first a digit)")
        d = self.get(module_id)
        if any(o.name == name and o.id != module_id for o in self.defs.values()):
            raise ParamError(f"there is already a module called {name!r}")
        if d.name != name:
            d.name = name
            self.changed(module_id)

    def set_description(self, module_id: str, text: str) -> None:
        d = self.get(module_id)
        if d.description != text:
            d.description = text
            self.changed(module_id)

    def set_exposed(self, module_id: str, exposed: list[ExposedParam]) -> None:
        d = self.get(module_id)
        d.check_exposed(exposed)
        if d.exposed != exposed:
            d.exposed = list(exposed)
            self.changed(module_id)

    # ------------------------------------------------------------------- data
    def to_list(self) -> list[dict[str, Any]]:
        return [d.to_dict() for d in self.defs.values()]

    @classmethod
    def from_list(cls, items: list[dict[str, Any]]) -> ModuleLibrary:
        """Rebuild from :meth:`to_list` (checked data: see :mod:`designer.io.project`)."""
        lib = cls()
        lib.add_data(items, notify=False)
        return lib

    def add_data(self, items: list[dict[str, Any]], notify: bool = True) -> list[str]:
        """Add definitions given as :meth:`ModuleDef.to_dict` data (ids kept); returns their ids.

        Definitions are created empty first, so a body may instantiate any of them; one whose
        id the library already has is skipped (it is the same definition).
        """
        new = [item for item in items if item["id"] not in self.defs]
        for item in new:
            d = self.new_def(item["name"], None, (), item["id"], item.get("description", ""))
            self.defs[d.id] = d
        for item in new:
            d = self.defs[item["id"]]
            d.body.add_graph_data(item)
            d.body.revision = 0
            d.exposed = [ExposedParam(e["name"], e["node"], e["param"]) for e in item.get("exposed", [])]
            d.version = 0
        if notify:
            for item in new:
                self._notify(item["id"])
        return [item["id"] for item in new]

    def remove_ids(self, module_ids: list[str]) -> list[ModuleDef]:
        """Remove definitions (the undo of :meth:`add_data`); returns them for :meth:`put_back`."""
        gone = []
        for mid in reversed(module_ids):
            d = self.remove(mid)[0]
            d.detach()
            gone.append(d)
        return gone[::-1]

    def put_back(self, defs: list[ModuleDef]) -> None:
        """Add removed definitions again, the same objects (a redo: later undo commands hold
        their bodies, so a copy would leave those commands editing a detached body)."""
        for d in defs:
            d.attach()
            self.add(d)

    def closure_data(self, module_ids: Iterable[str]) -> list[dict[str, Any]]:
        """The definitions and every one they use, as data, in library order (for files, copies)."""
        need: set[str] = set()
        todo = list(module_ids)
        while todo:
            mid = todo.pop()
            if mid not in need:
                need.add(mid)
                todo.extend(self.get(mid).uses())
        return [self.defs[m].to_dict() for m in self.defs if m in need]
