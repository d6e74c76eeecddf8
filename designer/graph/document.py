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

__all__ = ["Node", "Edge", "Group", "GraphDocument", "GraphError", "DocEvent", "new_id"]


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

    @property
    def type(self) -> registry.NodeType:
        return registry.get(self.type_id)


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


@dataclass(frozen=True)
class DocEvent:
    """A change, named in the past tense: ``node_added``, ``param_changed``, ..."""

    kind: str
    node_id: str | None = None
    edge_id: str | None = None
    group_id: str | None = None
    key: str | None = None


_NAME_TAIL = re.compile(r"^(.*?)(?:_(\d+))?$")


class GraphDocument:
    """Nodes and edges of one design. Input order into a multi port is edge insertion order."""

    def __init__(self, name: str = "Untitled", description: str = ""):
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

    def _emit(self, kind: str, **ids: Any) -> None:
        self.revision += 1
        event = DocEvent(kind, **ids)
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
    ) -> Node:
        """Add a node; parameters not given take their defaults. Raises ParamError/GraphError."""
        ntype = registry.get(type_id)
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
        )
        self.nodes[node_id] = node
        self._in[node_id] = []
        self._nattr[node_id] = {}
        self._succ[node_id] = {}
        self._pred[node_id] = {}
        self._emit("node_added", node_id=node_id)
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
        self._emit("node_removed", node_id=node_id)
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
            self._emit("param_changed", node_id=node_id, key=name)
        return value

    def set_params(self, node_id: str, values: dict[str, Any]) -> None:
        """Set several parameters at once (validated together, one event each)."""
        node = self._node(node_id)
        merged = node.type.validate_params({**node.params, **values})
        for key, value in merged.items():
            if node.params[key] != value:
                node.params[key] = value
                self._emit("param_changed", node_id=node_id, key=key)

    def rename(self, node_id: str, name: str) -> None:
        node = self._node(node_id)
        name = name.strip()
        if not name:
            raise ParamError("a node name cannot be empty")
        if len(name) > 200:
            raise ParamError("a node name can be at most 200 characters")
        if node.name != name:
            node.name = name
            self._emit("node_renamed", node_id=node_id)

    def move(self, node_id: str, pos: tuple[float, float]) -> None:
        node = self._node(node_id)
        pos = (float(pos[0]), float(pos[1]))
        if node.pos != pos:
            node.pos = pos
            self._emit("node_moved", node_id=node_id)

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
        ins.insert(len(ins) if index is None else max(0, min(index, len(ins))), edge_id)
        keys = self._succ[src].get(dst)
        if keys is None:
            keys = self._succ[src][dst] = self._pred[dst][src] = {}
        keys[edge_id] = {}
        self._emit("edge_added", edge_id=edge_id, node_id=dst)
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
        self._emit("edge_removed", edge_id=edge_id, node_id=edge.dst)
        return edge, index

    def in_edges(self, node_id: str, port: str | None = None) -> list[Edge]:
        """Edges into a node, in input order (optionally only those into ``port``)."""
        edges = [self.edges[e] for e in self._in[node_id]]
        return edges if port is None else [e for e in edges if e.dst_port == port]

    def out_edges(self, node_id: str) -> list[Edge]:
        return [self.edges[k] for keys in self._succ[node_id].values() for k in keys]

    # ----------------------------------------------------------------- groups
    def add_group(self, name: str, node_ids: Iterable[str] = (), group_id: str | None = None, color: str = "") -> Group:
        group_id = group_id or new_id()
        if group_id in self.groups:
            raise GraphError(f"a group with id {group_id!r} already exists")
        ids = list(dict.fromkeys(node_ids))
        for nid in ids:
            self._node(nid)
        group = Group(group_id, name, ids, color)
        self.groups[group_id] = group
        self._emit("group_added", group_id=group_id)
        return group

    def remove_group(self, group_id: str) -> Group:
        try:
            group = self.groups.pop(group_id)
        except KeyError:
            raise GraphError(f"no group with id {group_id!r}") from None
        self._emit("group_removed", group_id=group_id)
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
        self._emit("reset")

    # ---------------------------------------------------------- serialisation
    def to_dict(self) -> dict[str, Any]:
        """Plain data for the project file (see :mod:`designer.io.project` for the format)."""
        return {
            "name": self.name,
            "description": self.description,
            "nodes": [
                {
                    "id": n.id,
                    "type": n.type_id,
                    "name": n.name,
                    "params": copy.deepcopy(n.params),
                    "pos": [n.pos[0], n.pos[1]],
                }
                for n in self.nodes.values()
            ],
            "edges": [
                {"id": e.id, "src": e.src, "src_port": e.src_port, "dst": e.dst, "dst_port": e.dst_port}
                for n in self.nodes.values()
                for e in self.in_edges(n.id)
            ],
            "groups": [
                {"id": g.id, "name": g.name, "nodes": list(g.node_ids), "color": g.color} for g in self.groups.values()
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GraphDocument:
        """Rebuild a document from :meth:`to_dict` output that has already been checked.

        Untrusted files go through :func:`designer.io.project.load`, which checks every
        field and reports problems by position; this is the trusted fast path.
        """
        doc = cls(data.get("name", "Untitled"), data.get("description", ""))
        for n in data["nodes"]:
            doc.add_node(n["type"], n["name"], n.get("params", {}), tuple(n.get("pos", (0, 0))), n["id"])
        for e in data["edges"]:
            doc.connect(e["src"], e["dst"], e.get("src_port", "out"), e.get("dst_port", "in"), e["id"])
        for g in data.get("groups", []):
            doc.add_group(g["name"], g["nodes"], g["id"], g.get("color", ""))
        doc.revision = 0
        return doc

    def copy(self) -> GraphDocument:
        return GraphDocument.from_dict(self.to_dict())
