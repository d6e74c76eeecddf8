"""A design with modules as one flat design: what the compiler works on.

Each top-level instance (each copy of a repeated one) becomes a group of its inner nodes named
``<instance>_<inner>`` with ``class_name`` set to its definition's name, so the compiled
``state_dict`` keys follow the instance names (``inception3a.b1_1x1.conv.weight``) and the
generated code has one class per definition. A nested instance's nodes are in its outer
instance's group; the compiler makes each nested run a block of its own inside the outer one
(``pair1.r1.a.conv.weight``) from the :class:`ModuleUse` records (their ``parent``).

:func:`expand` can also say what became of each instance (:class:`ModuleUse`): the flat nodes
of each run of a module (top-level or nested), and where each exposed parameter went, so the
generated code names a definition's constructor arguments after its exposed parameters
(``Inception(192, ch1x1=64, ...)``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .document import GraphDocument, GraphError
from .module_type import REPEAT
from .modules import ModuleDef, module_id_of

__all__ = ["ModuleUse", "expand"]

Resolver = Callable[[], "tuple[str, str] | None"]


@dataclass(frozen=True)
class ModuleUse:
    """One run of a module in the flat design: a top-level instance (one copy of it), or an
    instance nested in another module's body (its nodes in the outer run's group; the compiler
    makes it a block inside the outer run's, following ``parent``)."""

    #: The definition's id and name.
    module_id: str
    definition: str
    #: The instance's flat name prefix without the trailing ``_`` (``inception3a``,
    #: ``block35_2``, ``pair_r1``): a nested run's includes the outer run's.
    name: str
    #: The instance node's id in the design or in the body that holds it.
    node_id: str
    #: Which copy of a repeated instance this run is (0-based), and how many copies it has.
    copy: int = 0
    copies: int = 1
    #: Index of the outer run in the list :func:`expand` fills (None: a top-level instance).
    parent: int | None = None
    #: The flat group this run is (top-level runs), else "".
    group_id: str = ""
    #: The flat nodes of this run (nested runs' included), in body order.
    members: tuple[str, ...] = ()
    #: Exposed parameter name -> the (flat node id, parameter) pairs it sets (several when it
    #: sets a parameter of a repeated nested instance), in the definition's order.
    exposed: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict, compare=False)
    #: The run's value of each exposed parameter.
    values: dict[str, Any] = field(default_factory=dict, compare=False)
    #: The definition's description.
    description: str = ""


def _targets(d: ModuleDef, name: str, prefix_id: str, values: dict[str, Any], depth: int = 0) -> list[tuple[str, str]]:
    """The flat (node id, parameter) pairs exposed parameter ``name`` of ``d`` sets in a run whose
    flat ids start with ``prefix_id`` (through nested instances, each copy of a repeated one)."""
    if depth > 32:
        return []
    out: list[tuple[str, str]] = []
    bind = d.bindings(values, [])
    for e in d.exposed:
        node = d.body.nodes.get(e.node_id) if e.name == name else None
        if node is None:
            continue
        inner = module_id_of(node.type_id)
        if inner is None:
            out.append((f"{prefix_id}{e.node_id}", e.param))
            continue
        nested = d.library.defs.get(inner)
        if nested is None:
            continue
        p = bind.params.get(e.node_id, node.params)
        repeat = p.get(REPEAT, 1)
        for k in range(repeat):
            sub = f"{prefix_id}{e.node_id}" + (f"#{k}" if repeat > 1 else "") + "/"
            out += _targets(nested, e.param, sub, p, depth + 1)
    return out


def expand(doc: GraphDocument, uses: list[ModuleUse] | None = None) -> GraphDocument:
    """The design with every instance replaced by its definition's nodes (for the compiler).

    Each top-level instance (each copy of a repeated one) becomes a group named like it,
    holding its inner nodes named ``<instance>_<inner>``, with ``class_name`` set to the
    definition's name; nested instances' nodes are in their outer instance's group (the
    :class:`ModuleUse` records say which run of which module each belongs to).
    Exposed values are written into the inner nodes. A design without instances is returned
    as it is. Sources are resolved lazily (closures), so a body's nodes may come in any order.

    ``uses``, when given, is filled with one :class:`ModuleUse` per run of a module (outer
    runs before the runs nested in them).
    """
    if not doc.has_library or not doc.instances():
        return doc
    flat = GraphDocument(doc.name, doc.description)
    #: (name, class name, member ids, use index, group id: the instance's, so expanding twice gives
    #: the same design, and the compiled model and the generated code the same blocks)
    groups: list[tuple[str, str, list[str], int, str]] = []
    pending: list[tuple[str, Resolver, str, str]] = []  # (edge id, source, dst, dst port)
    runs: list[dict[str, Any]] = []  # ModuleUse fields, completed at the end

    def add_scope(
        body: GraphDocument,
        prefix_id: str,
        prefix_name: str,
        params: dict[str, dict[str, Any]],
        port_source: Callable[[str], tuple[str, str] | None],
        members: list[list[str]],
        parent: int | None,
        depth: int,
    ) -> Resolver:
        """Add ``body``'s nodes (a definition's, or the design's when ``port_source`` is unused).

        ``members`` are the member lists of the runs this body is inside (innermost last).
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
                outputs[nid] = add_instance(body, nid, values, source, prefix_id, prefix_name, members, parent, depth)
            else:
                fid = f"{prefix_id}{nid}"
                flat.add_node(n.type_id, f"{prefix_name}{n.name}", values, n.pos, fid)
                for m in members:
                    m.append(fid)
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
        members: list[list[str]],
        parent: int | None,
        depth: int,
    ) -> Resolver:
        n = owner.nodes[nid]
        d = owner.library.get(module_id_of(n.type_id) or "")
        ports = d.input_ports()
        port_names = ["in" if i == 0 else f"in{i + 1}" for i in range(len(ports))]
        outer = {e.dst_port: e.src for e in owner.in_edges(nid)}
        bind = d.bindings(values, [])
        repeat = values.get(REPEAT, 1)
        exposed_values = {e.name: values[e.name] for e in d.exposed if e.name in values}
        previous: Resolver | None = None
        for k in range(repeat):
            copy_name = n.name if repeat == 1 else f"{n.name}_{k + 1}"
            copy_id = f"{prefix_id}{nid}" + (f"#{k}" if repeat > 1 else "") + "/"
            own: list[str] = []
            run = len(runs)
            runs.append(
                {
                    "module_id": d.id,
                    "definition": d.name,
                    "name": f"{prefix_name}{copy_name}",
                    "node_id": nid,
                    "copy": k,
                    "copies": repeat,
                    "parent": parent,
                    "members": own,
                    "exposed": {
                        e.name: tuple(_targets(d, e.name, copy_id, exposed_values))
                        for e in d.exposed
                        if e.name in exposed_values
                    },
                    "values": exposed_values,
                    "description": d.description,
                }
            )
            if parent is None:  # a top-level instance: its own group (one block of the plan)
                groups.append((f"{prefix_name}{copy_name}", d.name, own, run, copy_id[:-1]))

            def port_source(port_node: str, prev: Resolver | None = previous) -> tuple[str, str] | None:
                if prev is not None:
                    return prev()
                src = outer.get(port_names[ports.index(port_node)])
                return owner_source(src) if src is not None else None

            previous = add_scope(
                d.body,
                copy_id,
                f"{prefix_name}{copy_name}_",
                bind.params,
                port_source,
                [*members, own],
                run,
                depth + 1,
            )
        return previous or (lambda: None)

    add_scope(doc, "", "", {}, lambda _port: None, [], None, 0)
    for eid, src_of, dst, dst_port in pending:
        src = src_of()
        if src is not None:
            flat.connect(src[0], dst, src[1], dst_port, eid)
    for gid, g in doc.groups.items():
        members = [m for m in g.node_ids if m in flat.nodes]
        if members:
            flat.add_group(g.name, members, gid, g.color)
    group_of: dict[int, str] = {}
    for name, class_name, members, run, group_id in groups:
        if members:
            grp = flat.add_group(name, members, group_id)
            grp.class_name = class_name
            group_of[run] = grp.id
    if uses is not None:
        for i, r in enumerate(runs):
            uses.append(ModuleUse(**{**r, "members": tuple(r["members"]), "group_id": group_of.get(i, "")}))
    flat.revision = doc.revision
    return flat
