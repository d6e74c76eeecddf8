"""A design with modules as one flat design: what the compiler works on.

Each top-level instance (each copy of a repeated one) becomes a group of its inner nodes named
``<instance>_<inner>`` with ``class_name`` set to its definition's name, so the compiled
``state_dict`` keys follow the instance names (``inception3a.b1_1x1.conv.weight``) and the
generated code has one class per definition.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .document import GraphDocument, GraphError
from .module_type import REPEAT
from .modules import module_id_of

__all__ = ["expand"]

Resolver = Callable[[], "tuple[str, str] | None"]


def expand(doc: GraphDocument) -> GraphDocument:
    """The design with every instance replaced by its definition's nodes (for the compiler).

    Each top-level instance (each copy of a repeated one) becomes a group named like it,
    holding its inner nodes named ``<instance>_<inner>``, with ``class_name`` set to the
    definition's name; nested instances are inlined into their outer instance's group.
    Exposed values are written into the inner nodes. A design without instances is returned
    as it is. Sources are resolved lazily (closures), so a body's nodes may come in any order.
    """
    if not doc.has_library or not doc.instances():
        return doc
    flat = GraphDocument(doc.name, doc.description)
    groups: list[tuple[str, str, list[str]]] = []  # (name, class name, member ids)
    pending: list[tuple[str, Resolver, str, str]] = []  # (edge id, source, dst, dst port)

    def add_scope(
        body: GraphDocument,
        prefix_id: str,
        prefix_name: str,
        params: dict[str, dict[str, Any]],
        port_source: Callable[[str], tuple[str, str] | None],
        members: list[str] | None,
        depth: int,
    ) -> Resolver:
        """Add ``body``'s nodes (a definition's, or the design's when ``port_source`` is unused).

        Returns how to find the flat source of the body's Module output.
        """
        if depth > 32:
            raise GraphError("modules nested more than 32 deep (does a module contain itself?)")
        outputs: dict[str, Resolver] = {}

        def source(src: str) -> tuple[str, str] | None:
            f = outputs.get(src)
            return f() if f is not None else None

        for nid, n in body.nodes.items():
            values = params.get(nid, n.params)
            if n.type_id == "module_input":
                outputs[nid] = lambda nid=nid: port_source(nid)
            elif n.type_id == "module_output":
                continue
            elif module_id_of(n.type_id) is not None:
                outputs[nid] = add_instance(body, nid, values, source, prefix_id, prefix_name, members, depth)
            else:
                fid = f"{prefix_id}{nid}"
                flat.add_node(n.type_id, f"{prefix_name}{n.name}", values, n.pos, fid)
                if members is not None:
                    members.append(fid)
                outputs[nid] = lambda fid=fid: (fid, "out")
                for e in body.in_edges(nid):
                    pending.append((f"{prefix_id}{e.id}", lambda e=e: source(e.src), fid, e.dst_port))
        outs = [nid for nid, n in body.nodes.items() if n.type_id == "module_output"]
        feeding = body.in_edges(outs[0]) if outs else []
        if not feeding:
            return lambda: None
        return lambda: source(feeding[0].src)

    def add_instance(
        owner: GraphDocument,
        nid: str,
        values: dict[str, Any],
        owner_source: Callable[[str], tuple[str, str] | None],
        prefix_id: str,
        prefix_name: str,
        members: list[str] | None,
        depth: int,
    ) -> Resolver:
        n = owner.nodes[nid]
        d = owner.library.get(module_id_of(n.type_id) or "")
        ports = d.input_ports()
        port_names = ["in" if i == 0 else f"in{i + 1}" for i in range(len(ports))]
        outer = {e.dst_port: e.src for e in owner.in_edges(nid)}
        bind = d.bindings(values, [])
        repeat = values.get(REPEAT, 1)
        previous: Resolver | None = None
        for k in range(repeat):
            copy_name = n.name if repeat == 1 else f"{n.name}_{k + 1}"
            copy_id = f"{prefix_id}{nid}" + (f"#{k}" if repeat > 1 else "") + "/"
            inner_members = members
            if members is None:  # a top-level instance: its own group (one block of the plan)
                inner_members = []
                groups.append((f"{prefix_name}{copy_name}", d.name, inner_members))

            def port_source(port_node: str, prev: Resolver | None = previous) -> tuple[str, str] | None:
                if prev is not None:
                    return prev()
                src = outer.get(port_names[ports.index(port_node)])
                return owner_source(src) if src is not None else None

            previous = add_scope(
                d.body, copy_id, f"{prefix_name}{copy_name}_", bind.params, port_source, inner_members, depth + 1
            )
        return previous or (lambda: None)

    add_scope(doc, "", "", {}, lambda _port: None, None, 0)
    for eid, src_of, dst, dst_port in pending:
        src = src_of()
        if src is not None:
            flat.connect(src[0], dst, src[1], dst_port, eid)
    for gid, g in doc.groups.items():
        members = [m for m in g.node_ids if m in flat.nodes]
        if members:
            flat.add_group(g.name, members, gid, g.color)
    for name, class_name, members in groups:
        if members:
            grp = flat.add_group(name, members)
            grp.class_name = class_name
    flat.revision = doc.revision
    return flat
