"""A validated document as a topologically ordered plan with blocks (an fx-like IR with a block tree).

The plan is what both the model builder (:mod:`.build`) and the code generator
(:mod:`.codegen`) consume, so the two agree on every name and on the order things run:

* one :class:`PlanNode` per node that feeds the main output or an auxiliary head, with its
  layers grouped into :mod:`units <.units>`, the slots of its inputs, its output shape, and a
  legal unique identifier made from its name;
* one :class:`PlanBlock` per document group (an Inception block): its member nodes become
  children of one submodule (``inception_3a.b1.conv.weight``), computed by one call;
* a module instance nested in another module's body is a block inside its outer run's block
  (``pair1.r1.a.conv.weight``): :attr:`PlanBlock.parent` and :attr:`PlanBlock.program` make
  a tree that follows :attr:`ModuleUse.parent <designer.graph.expand.ModuleUse.parent>`;
* ``program``: the top-level execution order, each entry a node or a block.

A group becomes a block only when it can run as one call: the input node and, in a group
that also holds main-path nodes, nodes that feed only aux heads stay at the top level;
a group that something outside it sits in the middle of (``a -> outside -> b``), or that
would have to run both before and after another block, is dissolved into the top level. The
same holds inside a block: a nested run that cannot run as one call is inlined into its outer
block (its nodes become the outer block's).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import networkx as nx

from ..graph.document import GraphDocument
from ..graph.expand import ModuleUse
from ..graph.registry import Step
from ..graph.shapes import Shape
from ..graph.validate import Report, validate
from .names import Namespace
from .units import Unit, make_units, module_class

__all__ = ["CompileError", "Plan", "PlanBlock", "PlanNode", "make_plan"]


class CompileError(ValueError):
    """The design has errors and cannot be compiled; ``diagnostics`` lists them."""

    def __init__(self, message: str, diagnostics: list[Any] | None = None):
        super().__init__(message)
        self.diagnostics = diagnostics or []


@dataclass(frozen=True)
class PlanNode:
    """One node of the plan. ``index`` is also the slot its output is stored in."""

    index: int
    node_id: str
    #: Attribute (and local variable) name inside its owner: the block, or the model.
    ident: str
    name: str
    type_id: str
    role: str
    params: dict[str, Any]
    inputs: tuple[int, ...]
    in_shapes: tuple[Shape, ...]
    out_shape: Shape
    steps: tuple[Step, ...]
    #: True when the node only feeds auxiliary heads (runs in training mode only).
    aux_only: bool = False
    units: tuple[Unit, ...] = ()
    #: The stem of the class of named children the node's module is (``InceptionAux``), or ""
    #: when the module is its one unit (see :func:`designer.compiler.units.module_class`).
    module_class: str = ""
    #: Index into ``Plan.blocks`` of the innermost block holding the node, or None for a top-level node.
    block: int | None = None
    #: Dotted module path in the compiled model (``inception_3a.b1``, ``pair1.r1.a``); "" for the input.
    path: str = ""


@dataclass(frozen=True)
class PlanBlock:
    """A document group, or a module instance nested in another's run, that runs as one submodule."""

    index: int
    #: Attribute name inside its owner: the model, or the block it is nested in.
    ident: str
    #: The group's name (a nested run's flat name prefix: ``pair1_r1``).
    name: str
    #: The document group ("" for a nested run).
    group_id: str
    #: Member plan-node indices (those of nested blocks included), in execution order.
    nodes: tuple[int, ...]
    #: Slots from outside the block that its members read (the block's forward arguments).
    inputs: tuple[int, ...]
    #: Member slots read outside the block, or returned by the model (the block's results).
    outputs: tuple[int, ...]
    aux_only: bool = False
    #: The class to name the block's module after (a module instance: its definition's name).
    class_name: str = ""
    #: The run of a module this block is (its definition, exposed parameters and values), or None.
    module: ModuleUse | None = None
    #: The block this one is nested in (Plan.blocks index), or None for a top-level block.
    parent: int | None = None
    #: The block's own entries in execution order: ``("node", plan index)`` or ``("block", block
    #: index)`` (a nested block); also the order of its children in the ``state_dict``.
    program: tuple[tuple[str, int], ...] = ()
    #: Dotted module path in the compiled model (``pair1``, ``pair1.r1``).
    path: str = ""


@dataclass
class Plan:
    name: str
    nodes: list[PlanNode] = field(default_factory=list)
    blocks: list[PlanBlock] = field(default_factory=list)
    #: Top-level declaration order (the order of the model's children and of its ``state_dict``):
    #: ``("node", plan index)`` or ``("block", block index)``; what feeds only aux heads comes last.
    program: list[tuple[str, int]] = field(default_factory=list)
    #: The same entries in execution order: each aux-only entry runs as soon as its inputs exist
    #: (an aux head right after the block it branches off, as torchvision's ``forward`` does).
    schedule: list[tuple[str, int]] = field(default_factory=list)
    #: The design's description (``GraphDocument.description``), for docstrings.
    description: str = ""
    input_index: int = 0
    output_index: int = -1
    aux_indices: list[int] = field(default_factory=list)
    #: Every run of a module (top-level and nested; see :func:`~designer.graph.expand.expand`).
    module_uses: list[ModuleUse] = field(default_factory=list)

    @property
    def input_shape(self) -> Shape:
        return self.nodes[self.input_index].out_shape

    @property
    def output_shape(self) -> Shape:
        return self.nodes[self.output_index].out_shape

    @property
    def results(self) -> tuple[int, ...]:
        """Slots the model returns: the main output, then the aux heads."""
        return (self.output_index, *self.aux_indices)

    def last_use(self) -> dict[int, int]:
        """For each slot, the index of the last node that reads it (for freeing memory)."""
        last: dict[int, int] = {}
        for pn in self.nodes:
            for i in pn.inputs:
                last[i] = pn.index
        return last


def make_plan(doc: GraphDocument, report: Report | None = None) -> Plan:
    """Flatten a document into a plan; raises :class:`CompileError` if it has errors.

    Module instances are compiled from :func:`~designer.graph.modules.expand`'s design: each
    instance a block (``inception3a.b1_1x1.conv.weight``) whose class is its definition's.
    """
    rep = report if report is not None and report.revision == doc.revision else validate(doc)
    if not rep.ok:
        first = rep.errors[0].message
        more = f" (and {len(rep.errors) - 1} more)" if len(rep.errors) > 1 else ""
        raise CompileError(f"the design has errors: {first}{more}", rep.errors)
    uses: list[ModuleUse] = []
    if doc.has_library and doc.instances():
        from ..graph.expand import expand

        doc = expand(doc, uses)
        rep = validate(doc)
        if not rep.ok:  # the same checks on the same layers: only a bug gets here
            raise CompileError(f"the expanded design has errors: {rep.errors[0].message}", rep.errors)
    inputs = [nid for nid in rep.order if doc.nodes[nid].type.role == "input"]
    if len(inputs) != 1:
        raise CompileError(f"a compiled model takes one Input node; this design has {len(inputs)}")
    aux_heads = [nid for nid in rep.order if doc.nodes[nid].type.role == "aux"]
    needed = set(rep.main)
    for head in aux_heads:
        needed |= {head} | nx.ancestors(doc.graph, head)
    rank = {nid: i for i, nid in enumerate(doc.nodes)}
    preds = {nid: {e.src for e in doc.in_edges(nid)} for nid in needed}

    member = _assign_groups(doc, needed, rep.main, inputs[0])
    order, blocks_order = _order(needed, preds, member, rank, rep.main)
    use_index = {u.group_id: i for i, u in enumerate(uses) if u.group_id}
    nested: dict[int, list[int]] = {}
    for i, u in enumerate(uses):
        if u.parent is not None:
            nested.setdefault(u.parent, []).append(i)
    trees = {
        gid: _tree(members, use_index.get(gid), uses, nested, preds, rank) for gid, members in blocks_order.items()
    }
    plan = _assemble(doc, rep, order, trees, inputs[0], aux_heads, uses)
    plan.module_uses = uses
    return plan


# --------------------------------------------------------------------------- groups
def _assign_groups(doc: GraphDocument, needed: set[str], main: set[str], input_id: str) -> dict[str, str]:
    """node id -> group id for the nodes that run inside a block."""
    member: dict[str, str] = {}
    for gid, group in doc.groups.items():
        ids = [n for n in group.node_ids if n in needed and n != input_id and n not in member]
        if any(n in main for n in ids):
            ids = [n for n in ids if n in main]
        for n in ids:
            member[n] = gid
    # Dissolve groups that cannot run as one call, until the block graph is acyclic. In drawing
    # order (never in an order that depends on ids or hashing: expanding a design twice gives
    # the same blocks); a module instance's group is the last a cycle gives up.
    rank = {nid: i for i, nid in enumerate(doc.nodes)}
    ordered = sorted(needed, key=rank.__getitem__)
    while True:
        cg = nx.DiGraph()
        key = {n: ("b", member[n]) if n in member else ("n", n) for n in ordered}
        cg.add_nodes_from(dict.fromkeys(key[n] for n in ordered))
        for n in ordered:
            for e in doc.in_edges(n):
                if key[e.src] != key[n]:
                    cg.add_edge(key[e.src], key[n])
        try:
            cycle = nx.find_cycle(cg)
        except nx.NetworkXNoCycle:
            return member
        inside = [k for edge in cycle for k in edge[:2] if k[0] == "b"]
        bad = next((k for k in inside if not doc.groups[k[1]].class_name), inside[0])
        member = {n: g for n, g in member.items() if g != bad[1]}


# --------------------------------------------------------------------------- order
def _dfs_topo(items: list[str], preds: dict[str, set[str]], succs: dict[str, list[str]]) -> list[str]:
    """Topological order that finishes a chain before starting the next (branch by branch)."""
    indeg = {n: len(preds[n]) for n in items}
    stack = [n for n in reversed(items) if indeg[n] == 0]
    out: list[str] = []
    while stack:
        n = stack.pop()
        out.append(n)
        ready = []
        for c in succs[n]:
            indeg[c] -= 1
            if indeg[c] == 0:
                ready.append(c)
        stack.extend(reversed(ready))
    return out


def _order(
    needed: set[str],
    preds: dict[str, set[str]],
    member: dict[str, str],
    rank: dict[str, int],
    main: set[str],
) -> tuple[list[tuple[str, str]], dict[str, list[str]]]:
    """Top-level order of ``("n", node)`` / ``("b", group)`` items, and each block's members in
    drawing order (:func:`_tree` orders them)."""
    key = {n: ("b", member[n]) if n in member else ("n", n) for n in needed}
    first: dict[tuple[str, str], int] = {}
    for n in sorted(needed, key=rank.__getitem__):
        first.setdefault(key[n], rank[n])
    items = sorted(first, key=first.__getitem__)
    aux_items = {key[n] for n in needed if n not in main}
    cpreds: dict[Any, set[Any]] = {k: set() for k in items}
    csuccs: dict[Any, list[Any]] = {k: [] for k in items}
    for n in sorted(needed, key=rank.__getitem__):
        for p in sorted(preds[n], key=rank.__getitem__):
            a, b = key[p], key[n]
            if a != b and a not in cpreds[b]:
                cpreds[b].add(a)
                csuccs[a].append(b)
    top = _dfs_topo(items, cpreds, csuccs)  # type: ignore[arg-type]
    # What feeds only aux heads runs last (in drawing order), after the main output.
    aux = [k for k in items if k in aux_items]
    if aux:
        aset = set(aux)
        tail = _dfs_topo(aux, {k: cpreds[k] & aset for k in aux}, {k: [c for c in csuccs[k] if c in aset] for k in aux})
        top = [k for k in top if k not in aset] + tail
    inside: dict[str, list[str]] = {}
    for gid in {g for kind, g in items if kind == "b"}:
        inside[gid] = sorted((n for n in needed if member.get(n) == gid), key=rank.__getitem__)
    return top, inside  # type: ignore[return-value]


# --------------------------------------------------------------------------- block trees
@dataclass
class _Tree:
    """A block before it is numbered: its nested runs' blocks, and its entries in execution order."""

    #: The run of a module it is (index into the uses), or None (a document group).
    use: int | None
    #: ``("n", node id)`` or ``("b", _Tree)``, in execution order.
    order: list[tuple[str, Any]] = field(default_factory=list)

    def flat(self) -> list[str]:
        """Every member node id (nested blocks' included), in execution order."""
        out: list[str] = []
        for kind, ref in self.order:
            out.extend(ref.flat() if kind == "b" else [ref])
        return out


def _entry_order(members: list[str], key: dict[str, Any], preds: dict[str, set[str]], rank: dict[str, int]) -> list:
    """The entries (``key`` of each member: itself, or the nested run it is in) in a topological
    order that finishes a chain before starting the next; members come in drawing order."""
    first: dict[Any, int] = {}
    for n in members:
        first.setdefault(key[n], rank[n])
    items = sorted(first, key=first.__getitem__)
    mset = set(members)
    cpreds: dict[Any, set[Any]] = {k: set() for k in items}
    csuccs: dict[Any, list[Any]] = {k: [] for k in items}
    for n in members:
        for p in sorted(preds[n] & mset, key=rank.__getitem__):
            a, b = key[p], key[n]
            if a != b and a not in cpreds[b]:
                cpreds[b].add(a)
                csuccs[a].append(b)
    return _dfs_topo(items, cpreds, csuccs)  # type: ignore[arg-type]


def _tree(
    members: list[str],
    use: int | None,
    uses: list[ModuleUse],
    nested: dict[int, list[int]],
    preds: dict[str, set[str]],
    rank: dict[str, int],
) -> _Tree:
    """A block of ``members`` (in drawing order): each run of a module nested in run ``use`` whose
    nodes are among them a block of its own inside, unless it cannot run as one call (something
    in the block sits between two of its nodes): then its nodes are the block's own."""
    mset = set(members)
    sub: dict[str, int] = {}
    for child in nested.get(use, []) if use is not None else []:
        for n in uses[child].members:
            if n in mset:
                sub.setdefault(n, child)
    while True:
        key = {n: ("b", sub[n]) if n in sub else ("n", n) for n in members}
        cg = nx.DiGraph()
        cg.add_nodes_from(dict.fromkeys(key[n] for n in members))
        for n in members:
            for p in preds[n] & mset:
                if key[p] != key[n]:
                    cg.add_edge(key[p], key[n])
        try:
            cycle = nx.find_cycle(cg)
        except nx.NetworkXNoCycle:
            break
        bad = next(k for edge in cycle for k in edge[:2] if k[0] == "b")
        sub = {n: c for n, c in sub.items() if c != bad[1]}
    tree = _Tree(use)
    for kind, ref in _entry_order(members, key, preds, rank):
        if kind == "n":
            tree.order.append(("n", ref))
        else:
            inner = [n for n in members if sub.get(n) == ref]
            tree.order.append(("b", _tree(inner, ref, uses, nested, preds, rank)))
    return tree


# --------------------------------------------------------------------------- assemble
def _assemble(
    doc: GraphDocument,
    rep: Report,
    top: list[tuple[str, str]],
    trees: dict[str, _Tree],
    input_id: str,
    aux_heads: list[str],
    uses: list[ModuleUse],
) -> Plan:
    flat: list[str] = []
    for kind, ref in top:
        flat.extend(trees[ref].flat() if kind == "b" else [ref])
    slot = {nid: i for i, nid in enumerate(flat)}
    results = {slot[rep.output_id], *(slot[h] for h in aux_heads)}  # type: ignore[index]
    readers: dict[int, set[str]] = {i: set() for i in range(len(flat))}
    for nid in flat:
        for e in doc.in_edges(nid):
            readers[slot[e.src]].add(nid)

    plan = Plan(doc.name)
    top_names = Namespace()
    use_of = {u.group_id: u for u in uses if u.group_id}

    def add_node(nid: str, b: int | None, block_name: str, block_path: str, space: Namespace) -> int:
        node = doc.nodes[nid]
        name = node.name if b is None else _strip_prefix(node.name, block_name)
        ident = space.add(name, node.type.name_stem or "node")
        steps = tuple(rep.steps.get(nid, ()))
        path = "" if nid == input_id else (f"{block_path}.{ident}" if b is not None else ident)
        units = make_units(steps)
        plan.nodes.append(
            PlanNode(
                index=slot[nid],
                node_id=nid,
                ident=ident,
                name=node.name,
                type_id=node.type_id,
                role=node.type.role,
                params=dict(node.params),
                inputs=tuple(slot[e.src] for e in doc.in_edges(nid)),
                in_shapes=tuple(rep.in_shapes.get(nid, ())),
                out_shape=rep.shapes[nid],  # type: ignore[arg-type]
                steps=steps,
                aux_only=nid not in rep.main,
                units=units,
                module_class=module_class(node.type, units) if units else "",
                block=b,
                path=path,
            )
        )
        return slot[nid]

    def add_block(tree: _Tree, gid: str, parent: int | None, ident: str) -> int:
        """Add the block (before the blocks nested in it) and its members; its index."""
        members = tree.flat()
        mset = set(members)
        ins: list[int] = []
        for nid in members:
            for e in doc.in_edges(nid):
                if e.src not in mset and slot[e.src] not in ins:
                    ins.append(slot[e.src])
        outs = tuple(slot[n] for n in members if slot[n] in results or any(r not in mset for r in readers[slot[n]]))
        b = len(plan.blocks)
        plan.blocks.append(None)  # type: ignore[arg-type]  # numbered before the blocks nested in it
        if parent is None:
            group = doc.groups[gid]
            name, class_name, use, path = group.name, group.class_name, use_of.get(gid), ident
        else:
            use = uses[tree.use]  # type: ignore[index]
            name, class_name, path = use.name, use.definition, f"{plan.blocks[parent].path}.{ident}"
        space = Namespace({f"x{i}" for i in range(len(ins))})
        entries: list[tuple[str, int]] = []
        inner: list[tuple[int, _Tree, str]] = []
        for kind, ref in tree.order:  # names in execution order
            if kind == "n":
                entries.append(("node", add_node(ref, b, name, path, space)))
            else:
                inner.append((len(entries), ref, space.add(_strip_prefix(uses[ref.use].name, name), "block")))
                entries.append(("block", -1))  # numbered once this block is
        plan.blocks[b] = PlanBlock(
            index=b,
            ident=ident,
            name=name,
            group_id=gid,
            nodes=tuple(slot[n] for n in members),
            inputs=tuple(ins),
            outputs=outs,
            aux_only=all(n not in rep.main for n in members),
            class_name=class_name,
            module=use,
            parent=parent,
            path=path,
        )
        for k, sub, sub_ident in inner:
            entries[k] = ("block", add_block(sub, "", b, sub_ident))
        plan.blocks[b] = replace(plan.blocks[b], program=tuple(entries))
        return b

    for kind, ref in top:
        if kind == "n":
            plan.program.append(("node", slot[ref]))
            add_node(ref, None, "", "", top_names)
        else:
            plan.program.append(
                ("block", add_block(trees[ref], ref, None, top_names.add(doc.groups[ref].name, "block")))
            )
    plan.nodes.sort(key=lambda pn: pn.index)
    plan.input_index = slot[input_id]
    plan.output_index = slot[rep.output_id]  # type: ignore[index]
    plan.aux_indices = [slot[h] for h in aux_heads]
    plan.schedule = _schedule(plan)
    plan.description = str(getattr(doc, "description", "") or "")
    return plan


def _schedule(plan: Plan) -> list[tuple[str, int]]:
    """``plan.program`` with each aux-only entry moved up to just after the entry that makes its
    last input (aux entries keep their relative order; main entries keep theirs)."""

    def reads(entry: tuple[str, int]) -> tuple[int, ...]:
        kind, ref = entry
        return plan.blocks[ref].inputs if kind == "block" else plan.nodes[ref].inputs

    def makes(entry: tuple[str, int]) -> tuple[int, ...]:
        kind, ref = entry
        return plan.blocks[ref].nodes if kind == "block" else (ref,)

    def aux_only(entry: tuple[str, int]) -> bool:
        kind, ref = entry
        return plan.blocks[ref].aux_only if kind == "block" else plan.nodes[ref].aux_only

    main = [e for e in plan.program if not aux_only(e)]
    ready: dict[int, int] = {}  # slot -> position in ``main`` after which it exists
    for k, e in enumerate(main):
        for s in makes(e):
            ready[s] = k
    after: dict[int, list[tuple[str, int]]] = {}
    for e in plan.program:
        if aux_only(e):
            k = max((ready[s] for s in reads(e)), default=-1)
            after.setdefault(k, []).append(e)
            for s in makes(e):
                ready[s] = k
    out = list(after.get(-1, []))
    for k, e in enumerate(main):
        out.append(e)
        out.extend(after.get(k, []))
    return out


def _strip_prefix(name: str, group: str) -> str:
    """``block35_1_b0`` in group ``block35_1`` -> ``b0``: names inside a block need no block prefix.

    (Then blocks built alike get the same member names, and one class in the generated code.)
    """
    if len(name) > len(group) and name.lower().startswith(group.lower()):
        rest = name[len(group) :]
        if rest[0] in " _-.:/":
            rest = rest.lstrip(" _-.:/")
            if rest:
                return rest
    return name
