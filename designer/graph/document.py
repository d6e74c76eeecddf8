"""The design being edited: nodes, edges, positions and groups, held in a networkx graph.

The adjacency is stored in networkx's own ``MultiDiGraph`` layout (``succ[u][v][edge_id]``,
``pred[v][u]`` sharing the same key dicts) and :attr:`GraphDocument.graph` is a
``networkx.MultiDiGraph`` over exactly those dicts, made on first use. So networkx's
algorithms always see the current design, while importing networkx (about 0.2 s, most
of it scanning installed packages for networkx backends) stays off the app's start-up path.

``GraphDocument`` is plain data with change events. It does not judge the design
(that is :mod:`designer.graph.validate`, a pure function of the document); it only
refuses edits that could never mean anything: unknown node types, ports a node
does not have, invalid parameter values. The UI changes it only through undoable
commands and redraws when it reports a change.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import registry
from .params import ParamError

if TYPE_CHECKING:
    import networkx as nx

    from .modules import ModuleLibrary

__all__ = [
    "Node",
    "Edge",
    "Group",
    "GraphDocument",
    "GraphError",
    "DocEvent",
    "NodeAdded",
    "NodeRemoved",
    "ParamChanged",
    "NodeRenamed",
    "NodeMoved",
    "EdgeAdded",
    "EdgeRemoved",
    "GroupAdded",
    "GroupRemoved",
    "DocumentReset",
    "ModuleChanged",
    "VariantsChanged",
    "MODULE_PREFIX",
    "new_id",
]


class GraphError(ValueError):
    """An edit that cannot be applied (unknown node, unknown port, ...)."""


def new_id() -> str:
    """32 random hex digits (as ``uuid4().hex``, without importing uuid and platform at start-up)."""
    return os.urandom(16).hex()


@dataclass
class Node:
    id: str
    type_id: str
    name: str
    params: dict[str, Any]
    pos: tuple[float, float] = (0.0, 0.0)
    #: The resolved type (a built-in node type, or a module definition's type); set by the document.
    ntype: registry.NodeType | None = field(default=None, repr=False, compare=False)

    @property
    def type(self) -> registry.NodeType:
        return self.ntype if self.ntype is not None else registry.get(self.type_id)


@dataclass(frozen=True)
class Edge:
    id: str
    src: str
    dst: str
    src_port: str = "out"
    dst_port: str = "in"


@dataclass
class Group:
    """A named set of nodes, e.g. one Inception block ("inception_3a")."""

    id: str
    name: str
    node_ids: list[str] = field(default_factory=list)
    color: str = ""
    #: The class the compiler names this block's module after (set for module instances by
    #: :func:`designer.graph.modules.expand`; "" lets the code generator choose).
    class_name: str = ""


@dataclass(frozen=True)
class DocEvent:
    """A change to the document. Subclasses are named in the past tense (``NodeAdded``,
    ``ParamChanged``, ...); listeners dispatch on the class, never on strings."""


@dataclass(frozen=True)
class NodeAdded(DocEvent):
    node_id: str


@dataclass(frozen=True)
class NodeRemoved(DocEvent):
    node_id: str


@dataclass(frozen=True)
class ParamChanged(DocEvent):
    node_id: str
    key: str


@dataclass(frozen=True)
class NodeRenamed(DocEvent):
    node_id: str


@dataclass(frozen=True)
class NodeMoved(DocEvent):
    node_id: str


@dataclass(frozen=True)
class EdgeAdded(DocEvent):
    edge_id: str
    node_id: str  # the destination (its input order changed)


@dataclass(frozen=True)
class EdgeRemoved(DocEvent):
    edge_id: str
    node_id: str  # the destination


@dataclass(frozen=True)
class GroupAdded(DocEvent):
    group_id: str


@dataclass(frozen=True)
class GroupRemoved(DocEvent):
    group_id: str


@dataclass(frozen=True)
class DocumentReset(DocEvent):
    """Everything may have changed (cleared, or loaded anew)."""


@dataclass(frozen=True)
class VariantsChanged(DocEvent):
    """The list of the project's variants, or the active one's name, changed."""


@dataclass(frozen=True)
class ModuleChanged(DocEvent):
    """A module definition of the document's library was added, removed or edited
    (its instances' shapes and figures may have changed)."""

    module_id: str


#: Type ids of module instances are ``"module:" + definition id``.
MODULE_PREFIX = "module:"


def _move_last_to(mapping: dict[str, Any], index: int) -> None:
    """Move the last entry of an insertion-ordered dict to ``index`` (in place)."""
    items = list(mapping.items())
    last = items.pop()
    items.insert(max(0, index), last)
    mapping.clear()
    mapping.update(items)


_NAME_TAIL = re.compile(r"^(.*?)(?:_(\d+))?$")


class GraphDocument:
    """Nodes and edges of one design. Input order into a multi port is edge insertion order."""

    def __init__(self, name: str = "Untitled", description: str = "", library: ModuleLibrary | None = None):
        self.name = name
        self.description = description
        self.nodes: dict[str, Node] = {}
        self.edges: dict[str, Edge] = {}
        self.groups: dict[str, Group] = {}
        # networkx's MultiDiGraph storage: node attributes, successors, predecessors.
        self._nattr: dict[str, dict[str, Any]] = {}
        self._succ: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
        self._pred: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
        self._graph: nx.MultiDiGraph | None = None
        self._in: dict[str, list[str]] = {}
        self._listeners: list[Callable[[DocEvent], None]] = []
        #: Bumped on every change; views and caches compare it.
        self.revision = 0
        self._library: ModuleLibrary | None = None
        self._unsubscribe_library: Callable[[], None] | None = None
        #: The active variant's name, and the other variants as graph data (see graph/variants.py).
        self.variant = "main"
        self.variants: list[dict[str, Any]] = []
        #: The active variant's place among all of them (the others keep their order).
        self.variant_index = 0
        if library is not None:
            self.library = library

    # ---------------------------------------------------------------- modules
    @property
    def library(self) -> ModuleLibrary:
        """The module definitions this design (and every definition in it) can instantiate."""
        if self._library is None:
            from .modules import ModuleLibrary

            self.library = ModuleLibrary()
        return self._library  # type: ignore[return-value]

    @library.setter
    def library(self, library: ModuleLibrary) -> None:
        if self._unsubscribe_library is not None:
            self._unsubscribe_library()
        self._library = library
        self._unsubscribe_library = library.subscribe(self._on_library_changed)

    @property
    def has_library(self) -> bool:
        """True when the library holds at least one definition (without creating one)."""
        return self._library is not None and bool(self._library.defs)

    def _on_library_changed(self, module_id: str) -> None:
        # An instance's parameters follow its definition's exposed ones (new ones take the
        # definition's value, removed ones go); undo commands restore values themselves.
        lib = self._library
        names: dict[str, set[str] | None] = {}  # per type: its parameter names (None: definition gone)
        for node in self.nodes.values():
            if node.type_id.startswith(MODULE_PREFIX) and node.ntype is not None and lib is not None:
                if node.type_id not in names:
                    alive = node.type_id[len(MODULE_PREFIX) :] in lib.defs
                    names[node.type_id] = {s.name for s in node.ntype.params} if alive else None
                wanted = names[node.type_id]
                if wanted is not None and node.params.keys() != wanted:
                    node.params = node.ntype.validate_params({k: v for k, v in node.params.items() if k in wanted})
        self._emit(ModuleChanged(module_id))

    def type_of(self, type_id: str) -> registry.NodeType:
        """The node type for a type id: a built-in one, or a module of :attr:`library`."""
        if type_id.startswith(MODULE_PREFIX):
            return self.library.type_of(type_id)
        return registry.get(type_id)

    def instances(self, module_id: str | None = None) -> list[Node]:
        """The module instances among this design's nodes (of one definition, or of any)."""
        if module_id is None:
            return [n for n in self.nodes.values() if n.type_id.startswith(MODULE_PREFIX)]
        tid = MODULE_PREFIX + module_id
        return [n for n in self.nodes.values() if n.type_id == tid]

    # ------------------------------------------------------------- structure
    @property
    def graph(self) -> nx.MultiDiGraph:
        """The design for networkx's algorithms: node ids, edges keyed by edge id. Read only.

        It shares this document's adjacency dicts, so it is always current; change the
        design through the document's methods, never through this graph.
        """
        if self._graph is None:
            import networkx as nx

            g = nx.MultiDiGraph()
            g._node = self._nattr
            g._succ = self._succ  # networkx's descriptor sets _adj to the same dict
            g._pred = self._pred
            self._graph = g
        return self._graph

    @property
    def succ(self) -> dict[str, dict[str, dict[str, dict[str, Any]]]]:
        """``succ[u][v]`` = {edge id: {}} for the edges u -> v (networkx's layout). Read only."""
        return self._succ

    @property
    def pred(self) -> dict[str, dict[str, dict[str, dict[str, Any]]]]:
        """``pred[v][u]``: the same key dicts as :attr:`succ`, seen from the destination. Read only."""
        return self._pred

    # ----------------------------------------------------------------- events
    def subscribe(self, listener: Callable[[DocEvent], None]) -> Callable[[], None]:
        """Call ``listener(event)`` after every change; returns a function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _emit(self, event: DocEvent) -> None:
        self.revision += 1
        for listener in list(self._listeners):
            listener(event)

    # ------------------------------------------------------------------ nodes
    def unique_name(self, stem: str, exclude: str | None = None) -> str:
        taken = {n.name for n in self.nodes.values() if n.id != exclude}
        if stem not in taken:
            return stem
        base = _NAME_TAIL.match(stem).group(1) or stem  # type: ignore[union-attr]
        i = 1
        while f"{base}_{i}" in taken:
            i += 1
        return f"{base}_{i}"

    def add_node(
        self,
        type_id: str,
        name: str | None = None,
        params: dict[str, Any] | None = None,
        pos: tuple[float, float] = (0.0, 0.0),
        node_id: str | None = None,
        index: int | None = None,
    ) -> Node:
        """Add a node; parameters not given take their defaults. Raises ParamError/GraphError.

        ``index`` puts it at that place in the node order (undo restores a deleted node
        where it was, so the saved file is the same as before); last by default."""
        ntype = self.type_of(type_id)
        node_id = node_id or new_id()
        if node_id in self.nodes:
            raise GraphError(f"a node with id {node_id!r} already exists")
        values = ntype.validate_params(params or {})
        node = Node(
            node_id,
            ntype.type_id,
            name or self.unique_name(ntype.name_stem or ntype.type_id),
            values,
            (float(pos[0]), float(pos[1])),
            ntype,
        )
        self.nodes[node_id] = node
        if index is not None and index < len(self.nodes) - 1:
            _move_last_to(self.nodes, index)
        self._in[node_id] = []
        self._nattr[node_id] = {}
        self._succ[node_id] = {}
        self._pred[node_id] = {}
        self._emit(NodeAdded(node_id))
        return node

    def remove_node(self, node_id: str) -> list[Edge]:
        """Remove a node and its edges; returns the removed edges (for undo)."""
        node = self._node(node_id)
        removed = [e for e in self.edges.values() if node_id in (e.src, e.dst)]
        for edge in removed:
            self.disconnect(edge.id)
        for group in self.groups.values():
            if node_id in group.node_ids:
                group.node_ids.remove(node_id)
        del self.nodes[node.id]
        del self._in[node.id]
        del self._nattr[node.id], self._succ[node.id], self._pred[node.id]
        self._emit(NodeRemoved(node_id))
        return removed

    def set_param(self, node_id: str, name: str, value: Any) -> Any:
        """Validate and set one parameter; returns the normalised value. Raises ParamError."""
        node = self._node(node_id)
        try:
            spec = node.type.param(name)
        except KeyError:
            raise GraphError(f"{node.type.display_name} has no parameter {name!r}") from None
        value = spec.validate(value)
        if node.params[name] != value:
            node.params[name] = value
            self._emit(ParamChanged(node_id, name))
        return value

    def set_params(self, node_id: str, values: dict[str, Any]) -> None:
        """Set several parameters at once (validated together, one event each)."""
        node = self._node(node_id)
        merged = node.type.validate_params({**node.params, **values})
        for key, value in merged.items():
            if node.params[key] != value:
                node.params[key] = value
                self._emit(ParamChanged(node_id, key))

    def rename(self, node_id: str, name: str) -> None:
        node = self._node(node_id)
        name = name.strip()
        if not name:
            raise ParamError("a node name cannot be empty")
        if len(name) > 200:
            raise ParamError("a node name can be at most 200 characters")
        if node.name != name:
            node.name = name
            self._emit(NodeRenamed(node_id))

    def move(self, node_id: str, pos: tuple[float, float]) -> None:
        node = self._node(node_id)
        pos = (float(pos[0]), float(pos[1]))
        if node.pos != pos:
            node.pos = pos
            self._emit(NodeMoved(node_id))

    # ------------------------------------------------------------------ edges
    def connect(
        self,
        src: str,
        dst: str,
        src_port: str = "out",
        dst_port: str = "in",
        edge_id: str | None = None,
        index: int | None = None,
    ) -> Edge:
        """Connect an output port to an input port.

        The document accepts any edge between existing ports, also a second edge into a
        single-input port or one that closes a cycle: validation reports those, so a
        loaded file with such a mistake opens and shows the problem instead of failing.
        ``index`` places the edge among the destination's inputs (concat order).
        """
        s, d = self._node(src), self._node(dst)
        if src_port not in {p.name for p in s.type.outputs}:
            raise GraphError(f"{s.name!r} ({s.type.display_name}) has no output port {src_port!r}")
        if dst_port not in {p.name for p in d.type.inputs}:
            raise GraphError(f"{d.name!r} ({d.type.display_name}) has no input port {dst_port!r}")
        edge_id = edge_id or new_id()
        if edge_id in self.edges:
            raise GraphError(f"an edge with id {edge_id!r} already exists")
        edge = Edge(edge_id, src, dst, src_port, dst_port)
        self.edges[edge_id] = edge
        ins = self._in[dst]
        ports = d.type.inputs
        if index is None and len(ports) > 1:
            # A node with several named ports (a module's in, in2, ...) keeps its inputs in port
            # order, whatever order they were connected in: its i-th input is its i-th port's.
            rank = {p.name: i for i, p in enumerate(ports)}
            mine = rank[dst_port]
            index = sum(1 for eid in ins if rank.get(self.edges[eid].dst_port, 0) <= mine)
        ins.insert(len(ins) if index is None else max(0, min(index, len(ins))), edge_id)
        keys = self._succ[src].get(dst)
        if keys is None:
            keys = self._succ[src][dst] = self._pred[dst][src] = {}
        keys[edge_id] = {}
        self._emit(EdgeAdded(edge_id, dst))
        return edge

    def disconnect(self, edge_id: str) -> tuple[Edge, int]:
        """Remove an edge; returns it and its index among the destination's inputs (for undo)."""
        try:
            edge = self.edges.pop(edge_id)
        except KeyError:
            raise GraphError(f"no edge with id {edge_id!r}") from None
        ins = self._in[edge.dst]
        index = ins.index(edge_id)
        ins.remove(edge_id)
        keys = self._succ[edge.src][edge.dst]
        del keys[edge_id]
        if not keys:
            del self._succ[edge.src][edge.dst], self._pred[edge.dst][edge.src]
        self._emit(EdgeRemoved(edge_id, edge.dst))
        return edge, index

    def in_edges(self, node_id: str, port: str | None = None) -> list[Edge]:
        """Edges into a node, in input order (optionally only those into ``port``)."""
        edges = [self.edges[e] for e in self._in[node_id]]
        return edges if port is None else [e for e in edges if e.dst_port == port]

    def out_edges(self, node_id: str) -> list[Edge]:
        return [self.edges[k] for keys in self._succ[node_id].values() for k in keys]

    # ----------------------------------------------------------------- groups
    def add_group(
        self,
        name: str,
        node_ids: Iterable[str] = (),
        group_id: str | None = None,
        color: str = "",
        index: int | None = None,
    ) -> Group:
        group_id = group_id or new_id()
        if group_id in self.groups:
            raise GraphError(f"a group with id {group_id!r} already exists")
        ids = list(dict.fromkeys(node_ids))
        for nid in ids:
            self._node(nid)
        group = Group(group_id, name, ids, color)
        self.groups[group_id] = group
        if index is not None and index < len(self.groups) - 1:
            _move_last_to(self.groups, index)
        self._emit(GroupAdded(group_id))
        return group

    def remove_group(self, group_id: str) -> Group:
        try:
            group = self.groups.pop(group_id)
        except KeyError:
            raise GraphError(f"no group with id {group_id!r}") from None
        self._emit(GroupRemoved(group_id))
        return group

    def groups_of(self, node_id: str) -> list[Group]:
        return [g for g in self.groups.values() if node_id in g.node_ids]

    # ---------------------------------------------------------------- queries
    def _node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise GraphError(f"no node with id {node_id!r}") from None

    def node(self, node_id: str) -> Node:
        return self._node(node_id)

    def find(self, name: str) -> Node:
        """The node called ``name`` (tests and scripts; names are not required to be unique)."""
        for node in self.nodes.values():
            if node.name == name:
                return node
        raise GraphError(f"no node named {name!r}")

    def clear(self) -> None:
        self.nodes.clear()
        self.edges.clear()
        self.groups.clear()
        self._in.clear()
        self._nattr.clear()
        self._succ.clear()
        self._pred.clear()
        self._emit(DocumentReset())

    # -------------------------------------------------------------- snapshots
    # Plain data in the project file's format, for undo commands and the clipboard: a
    # command keeps these values and gives them back to the methods above, never touching
    # the document's containers itself.
    def node_data(self, node_id: str) -> dict[str, Any]:
        n = self._node(node_id)
        return {"id": n.id, "type": n.type_id, "name": n.name, "params": copy.deepcopy(n.params), "pos": list(n.pos)}

    def edge_data(self, edge_id: str) -> dict[str, Any]:
        e = self.edges[edge_id]
        return {"id": e.id, "src": e.src, "src_port": e.src_port, "dst": e.dst, "dst_port": e.dst_port}

    def group_data(self, group_id: str) -> dict[str, Any]:
        g = self.groups[group_id]
        return {"id": g.id, "name": g.name, "nodes": list(g.node_ids), "color": g.color}

    def node_index(self, node_id: str) -> int:
        """The node's place in the node order (the order of the saved file)."""
        return list(self.nodes).index(node_id)

    def group_index(self, group_id: str) -> int:
        return list(self.groups).index(group_id)

    def input_index(self, edge_id: str) -> int:
        """The edge's place among its destination's inputs (a concat's order)."""
        return self._in[self.edges[edge_id].dst].index(edge_id)

    def add_node_data(self, data: dict[str, Any], index: int | None = None) -> Node:
        """Add a node from :meth:`node_data`'s form."""
        return self.add_node(
            data["type"], data["name"], data.get("params", {}), tuple(data.get("pos", (0, 0))), data["id"], index
        )

    def add_edge_data(self, data: dict[str, Any], index: int | None = None) -> Edge:
        """Add an edge from :meth:`edge_data`'s form (``index``: among the destination's inputs)."""
        return self.connect(
            data["src"], data["dst"], data.get("src_port", "out"), data.get("dst_port", "in"), data["id"], index
        )

    def add_group_data(self, data: dict[str, Any], index: int | None = None) -> Group:
        return self.add_group(data["name"], data["nodes"], data["id"], data.get("color", ""), index)

    def add_graph_data(self, data: dict[str, Any]) -> None:
        """Add the nodes, edges (in input order) and groups of :meth:`to_dict`'s form."""
        for n in data["nodes"]:
            self.add_node_data(n)
        for e in data.get("edges", []):
            self.add_edge_data(e)
        for g in data.get("groups", []):
            self.add_group_data(g)

    # ---------------------------------------------------------- serialisation
    def graph_data(self) -> dict[str, Any]:
        """Nodes, edges (in input order) and groups as plain data (no name, no modules)."""
        return {
            "nodes": [self.node_data(nid) for nid in self.nodes],
            "edges": [self.edge_data(eid) for nid in self.nodes for eid in self._in[nid]],
            "groups": [self.group_data(gid) for gid in self.groups],
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the project file (see :mod:`designer.io.project` for the format)."""
        data = {
            "name": self.name,
            "description": self.description,
            **self.graph_data(),
            "modules": self._library.to_list() if self._library is not None else [],
        }
        if self.variants:  # written only when there are variants: a plain design stays as it was
            data["variant"] = self.variant
            data["variant_index"] = self.variant_index
            data["variants"] = copy.deepcopy(self.variants)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GraphDocument:
        """Rebuild a document from :meth:`to_dict` output that has already been checked.

        Untrusted files go through :func:`designer.io.project.load`, which checks every
        field and reports problems by position; this is the trusted fast path.
        """
        doc = cls(data.get("name", "Untitled"), data.get("description", ""))
        if data.get("modules"):
            from .modules import ModuleLibrary

            doc.library = ModuleLibrary.from_list(data["modules"])
        doc.add_graph_data(data)
        if data.get("variants"):
            doc.variant = data.get("variant", "main")
            doc.variant_index = data.get("variant_index", 0)
            doc.variants = copy.deepcopy(data["variants"])
        doc.revision = 0
        return doc

    def copy(self) -> GraphDocument:
        return GraphDocument.from_dict(self.to_dict())
