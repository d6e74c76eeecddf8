"""Make a module from a selection, and turn an instance back into nodes, as plain data.

:func:`plan_make_module` and :func:`plan_ungroup` compute a :class:`ModuleEdit` (what leaves
the design, what enters it, each with its place); :func:`apply_edit` does it and
:func:`revert_edit` puts the design back exactly, so the UI's undo commands stay thin and
make module -> undo gives a byte-identical document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .document import MODULE_PREFIX, GraphDocument, GraphError, new_id
from .module_type import REPEAT, snake
from .modules import _IDENT, module_id_of

__all__ = ["ModuleEdit", "apply_edit", "plan_collapse_repeats", "plan_make_module", "plan_ungroup", "revert_edit"]


@dataclass
class ModuleEdit:
    """A make-module or ungroup edit as plain data: what leaves the design and what enters it.

    :func:`apply_edit` does it, :func:`revert_edit` puts the design back exactly (node order,
    input order, groups), so make -> undo gives an identical document.
    """

    text: str
    #: Removed, each with its place: nodes (index, data), edges (input index, data), groups.
    removed_nodes: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    removed_edges: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    changed_groups: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    #: Added: nodes, edges (input index, data) and the groups' new member lists.
    added_nodes: list[dict[str, Any]] = field(default_factory=list)
    added_edges: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    new_groups: list[dict[str, Any]] = field(default_factory=list)
    #: A definition added to the library (make module), as data with its id.
    added_module: dict[str, Any] | None = None
    #: The node to select afterwards.
    focus: list[str] = field(default_factory=list)
    #: Other nodes moved to make room: (node id, old position, new position).
    moves: list[tuple[str, tuple[float, float], tuple[float, float]]] = field(default_factory=list)
    #: The definition object made by the first apply, put back by later ones (redo).
    module_def: Any = field(default=None, repr=False, compare=False)


def _common_prefix(names: list[str]) -> str:
    """The ``foo_`` that every name starts with (whole ``_`` words), or ""."""
    parts = [n.split("_") for n in names]
    if len(parts) < 2:
        return ""
    out = []
    for words in zip(*parts, strict=False):
        if len(set(words)) != 1:
            break
        out.append(words[0])
    if any(len(p) <= len(out) for p in parts):
        out = out[:-1] if out else out
    return "_".join(out) + "_" if out else ""


def plan_make_module(doc: GraphDocument, node_ids: Iterable[str], name: str | None = None) -> ModuleEdit:
    """Replace the selected nodes by one instance of a new definition made of them.

    Each distinct outside tensor the selection reads becomes a ``Module input`` (in the order
    first read); the one selected node that the rest of the design reads (or the selection's
    one end) feeds the ``Module output``. Raises :class:`GraphError` saying why a selection
    cannot be a module.
    """
    ids = [nid for nid in doc.nodes if nid in set(node_ids)]
    if not ids:
        raise GraphError("select the nodes that make up the module")
    sel = set(ids)
    for nid in ids:
        t = doc.nodes[nid].type
        if t.type_id in ("input", "module_input", "module_output") or t.role in ("output",):
            raise GraphError(
                f"{doc.nodes[nid].name!r} ({t.display_name}) cannot be inside a module: "
                "a module is what runs between the input and the classifier"
            )
    # Outside tensors read inside (module inputs), in the order first read.
    sources: list[tuple[str, str]] = []
    for nid in ids:
        for e in doc.in_edges(nid):
            if e.src not in sel and (e.src, e.src_port) not in sources:
                sources.append((e.src, e.src_port))
    outgoing = [e for nid in ids for e in doc.out_edges(nid) if e.dst not in sel]
    results = list(dict.fromkeys(e.src for e in outgoing))
    if len(results) > 1:
        names = ", ".join(repr(doc.nodes[r].name) for r in results[:4])
        raise GraphError(
            f"a module has one output, but the rest of the design reads {len(results)} of the selected nodes ({names})"
        )
    if not results:
        ends = [nid for nid in ids if not any(e.dst in sel for e in doc.out_edges(nid))]
        if len(ends) != 1:
            raise GraphError("a module has one output: the selection ends in several nodes; add the merge they feed")
        results = ends
    if not sources:
        raise GraphError("the selection reads nothing from the rest of the design: a module needs an input")
    out_node = results[0]

    names = [doc.nodes[n].name for n in ids]
    prefix = _common_prefix(names)
    groups_inside = [g for g in doc.groups.values() if g.node_ids and set(g.node_ids) <= sel]
    inst_name = prefix[:-1] if prefix else ""
    if not inst_name and len(groups_inside) == 1:
        inst_name = groups_inside[0].name
    lib = doc.library
    def_name = name or lib.unique_name(_camel(inst_name) if inst_name else "Block")

    xs = [doc.nodes[n].pos[0] for n in ids]
    ys = [doc.nodes[n].pos[1] for n in ids]
    cx = sum(xs) / len(xs)
    body_nodes: list[dict[str, Any]] = []
    port_of: dict[tuple[str, str], str] = {}
    used_names = {n[len(prefix) :] if prefix else n for n in names}
    for i, src in enumerate(sources):
        pid = new_id()
        port_of[src] = pid
        stem = "x" if len(sources) == 1 else f"x{i + 1}"
        while stem in used_names:
            stem += "_in"
        used_names.add(stem)
        spos = doc.nodes[src[0]].pos
        body_nodes.append(
            {
                "id": pid,
                "type": "module_input",
                "name": stem,
                "params": _preview_params(doc, src[0]),
                "pos": [spos[0] if len(sources) > 1 else cx, min(ys) - 110.0],
            }
        )
    for nid in ids:
        data = doc.node_data(nid)
        if prefix:
            data["name"] = data["name"][len(prefix) :]
        body_nodes.append(data)
    out_id = new_id()
    out_name = "out" if "out" not in used_names else "module_out"
    body_nodes.append(
        {"id": out_id, "type": "module_output", "name": out_name, "params": {}, "pos": [cx, max(ys) + 110.0]}
    )
    body_edges = []
    for nid in ids:
        for e in doc.in_edges(nid):
            data = doc.edge_data(e.id)
            if e.src not in sel:
                data["src"], data["src_port"] = port_of[(e.src, e.src_port)], "out"
            body_edges.append(data)
    body_edges.append({"id": new_id(), "src": out_node, "src_port": "out", "dst": out_id, "dst_port": "in"})
    body_groups = [doc.group_data(g.id) for g in groups_inside]
    module_id = new_id()
    module_data = {
        "id": module_id,
        "name": def_name,
        "description": "",
        "nodes": body_nodes,
        "edges": body_edges,
        "groups": body_groups,
        "exposed": [],
    }

    edit = ModuleEdit(f"Make module {def_name}")
    edit.added_module = module_data
    edit.removed_nodes = sorted((doc.node_index(n), doc.node_data(n)) for n in ids)
    touching = {e.id for n in ids for e in doc.in_edges(n) + doc.out_edges(n)}
    edit.removed_edges = sorted(((doc.input_index(e), doc.edge_data(e)) for e in touching), key=lambda t: t[0])
    for g in doc.groups.values():
        if sel & set(g.node_ids):
            edit.changed_groups.append((doc.group_index(g.id), doc.group_data(g.id)))
    inst_id = new_id()
    inst = {
        "id": inst_id,
        "type": MODULE_PREFIX + module_id,
        "name": inst_name or doc.unique_name(snake(def_name) or "block"),
        "params": {REPEAT: 1},
        "pos": [cx, sum(ys) / len(ys)],
    }
    edit.added_nodes = [inst]
    ports = ["in" if i == 0 else f"in{i + 1}" for i in range(len(sources))]
    for i, src in enumerate(sources):
        edit.added_edges.append(  # -1: the document places it by port
            (-1, {"id": new_id(), "src": src[0], "src_port": src[1], "dst": inst_id, "dst_port": ports[i]})
        )
    for e in outgoing:
        data = doc.edge_data(e.id)
        data["src"], data["src_port"] = inst_id, "out"
        edit.added_edges.append((doc.input_index(e.id), data))
    for _, g in edit.changed_groups:
        if set(g["nodes"]) <= sel and g["id"] in {x.id for x in groups_inside}:
            continue  # moved into the definition
        kept = [n for n in g["nodes"] if n not in sel]
        edit.new_groups.append({**g, "nodes": kept + ([inst_id] if len(kept) < len(g["nodes"]) else [])})
    edit.focus = [inst_id]
    return edit


def _preview_params(doc: GraphDocument, node_id: str) -> dict[str, int]:
    """A Module input's preview shape: the shape arriving there now, when it is a feature map."""
    from .validate import validate

    shape = validate(doc).shapes.get(node_id)
    if shape is not None and len(shape) == 3 and all(1 <= d <= 16_384 for d in shape) and shape[0] <= 65_536:
        return {"channels": shape[0], "height": shape[1], "width": shape[2]}
    return {}


def _camel(name: str) -> str:
    words = [w for w in re.split(r"[^0-9A-Za-z]+", name) if w]
    text = "".join(w[:1].upper() + w[1:] for w in words)
    text = re.sub(r"\d+[a-z]?$", "", text) or text  # inception3a -> Inception
    return text if _IDENT.match(text or "") else "Block"


def plan_ungroup(doc: GraphDocument, instance_id: str) -> ModuleEdit:
    """Turn one instance back into the nodes of its definition (the definition stays).

    Inner nodes are named ``<instance>_<inner>`` and keep their ids where the design has no
    such id (so make module -> ungroup gives the nodes back as they were); exposed values are
    written into the nodes; a repeated instance becomes its copies one after another.
    """
    node = doc.node(instance_id)
    mid = module_id_of(node.type_id)
    if mid is None:
        raise GraphError(f"{node.name!r} is not a module instance")
    d = doc.library.get(mid)
    problem = d.problem()
    if problem:
        raise GraphError(f"cannot ungroup {node.name!r}: {problem}")
    repeat = node.params.get(REPEAT, 1)
    body = d.body
    bind = d.bindings(node.params, [])
    ports = d.input_ports()
    out_port = d.output_port()
    taken_ids = set(doc.nodes)
    taken_names = {n.name for n in doc.nodes.values() if n.id != instance_id}
    ox, oy = node.pos
    bx = [n.pos[0] for n in body.nodes.values()]
    by = [n.pos[1] for n in body.nodes.values()]
    bcx, bcy = sum(bx) / len(bx), sum(by) / len(by)
    height = (max(by) - min(by) + 120.0) if by else 0.0

    edit = ModuleEdit(f"Ungroup {node.name}")
    edit.removed_nodes = [(doc.node_index(instance_id), doc.node_data(instance_id))]
    touching = [e.id for e in doc.in_edges(instance_id) + doc.out_edges(instance_id)]
    edit.removed_edges = sorted(((doc.input_index(e), doc.edge_data(e)) for e in touching), key=lambda t: t[0])
    # Where each port's tensor comes from outside.
    outer_src = {p.name: (e.src, e.src_port) for p in node.type.inputs for e in doc.in_edges(instance_id, p.name)}
    prev_out: tuple[str, str] | None = None
    new_ids_all: list[str] = []
    for k in range(repeat):
        stem = node.name if repeat == 1 else f"{node.name}_{k + 1}"
        idmap: dict[str, str] = {}
        for nid, n in body.nodes.items():
            if nid in ports or nid == out_port:
                continue
            new = nid if (nid not in taken_ids and k == 0) else new_id()
            taken_ids.add(new)
            idmap[nid] = new
            data = body.node_data(nid)
            data["id"] = new
            if nid in bind.params:
                data["params"] = dict(bind.params[nid])
            nm = f"{stem}_{n.name}"
            i = 1
            while nm in taken_names:
                nm = f"{stem}_{n.name}_{i}"
                i += 1
            taken_names.add(nm)
            data["name"] = nm
            data["pos"] = [ox + n.pos[0] - bcx, oy + n.pos[1] - bcy + (k - (repeat - 1) / 2) * height]
            edit.added_nodes.append(data)
            new_ids_all.append(new)

        def source(
            src: str, src_port: str, idmap: dict[str, str] = idmap, k: int = k, prev: tuple[str, str] | None = prev_out
        ) -> tuple[str, str] | None:
            if src in ports:
                if k > 0:
                    return prev
                pname = "in" if ports.index(src) == 0 else f"in{ports.index(src) + 1}"
                return outer_src.get(pname)
            return (idmap[src], src_port)

        for nid in body.nodes:
            if nid in idmap:
                for e in body.in_edges(nid):
                    s = source(e.src, e.src_port)
                    if s is None:
                        continue
                    eid = e.id if (k == 0 and e.id not in doc.edges) else new_id()
                    edit.added_edges.append(
                        (
                            len(edit.added_edges),
                            {"id": eid, "src": s[0], "src_port": s[1], "dst": idmap[nid], "dst_port": e.dst_port},
                        )
                    )
        feeding = body.in_edges(out_port) if out_port else []
        prev_out = source(feeding[0].src, feeding[0].src_port) if feeding else None
    # Placed in each destination's input order: index among its inputs counted at add time.
    edit.added_edges = [(-1, e) for _, e in edit.added_edges]
    for e in doc.out_edges(instance_id):
        if prev_out is None:
            continue
        data = doc.edge_data(e.id)
        data["src"], data["src_port"] = prev_out
        edit.added_edges.append((doc.input_index(e.id), data))
    for g in doc.groups.values():
        if instance_id in g.node_ids:
            edit.changed_groups.append((doc.group_index(g.id), doc.group_data(g.id)))
            members = []
            for m in g.node_ids:
                members.extend(new_ids_all if m == instance_id else [m])
            edit.new_groups.append({**doc.group_data(g.id), "nodes": members})
    if repeat == 1 and not doc.groups_of(instance_id):
        edit.new_groups.append({"id": new_id(), "name": node.name, "nodes": list(new_ids_all), "color": ""})
    # Make room: what sits below the instance moves down by the height the nodes need beyond
    # the instance's own, so they do not land on their neighbours.
    ys = [n["pos"][1] for n in edit.added_nodes]
    if ys:
        top, bottom = min(ys), max(ys) + _NODE_H
        below = oy + _INSTANCE_H / 2
        shift = bottom - below + _GAP
        lift = (oy - _INSTANCE_H / 2) - top + _GAP  # how far the nodes reach above the instance
        for other in doc.nodes.values():
            if other.id == instance_id:
                continue
            x, y = other.pos
            if y > oy and shift > 0:
                edit.moves.append((other.id, (x, y), (x, y + shift)))
            elif y < oy and lift > 0:
                edit.moves.append((other.id, (x, y), (x, y - lift)))
    edit.focus = new_ids_all
    return edit


#: Rough node sizes on the canvas (scene units) for making room; the canvas draws a plain node
#: about 180 x 70 and an instance about 220 x 120.
_NODE_H, _INSTANCE_H, _GAP = 70.0, 120.0, 40.0


def apply_edit(doc: GraphDocument, edit: ModuleEdit) -> None:
    """Do a :class:`ModuleEdit` (its undo is :func:`revert_edit`)."""
    lib = doc.library
    if edit.module_def is not None:
        lib.put_back([edit.module_def])
    elif edit.added_module is not None:
        (mid,) = lib.add_data([edit.added_module])
        edit.module_def = lib.get(mid)
    for _, e in reversed(edit.removed_edges):
        doc.disconnect(e["id"])
    for _, g in edit.changed_groups:
        doc.remove_group(g["id"])
    for _, n in reversed(edit.removed_nodes):
        doc.remove_node(n["id"])
    for n in edit.added_nodes:
        doc.add_node_data(n)
    for index, e in edit.added_edges:
        doc.add_edge_data(e, None if index < 0 else index)
    by_id = {g["id"]: i for i, g in edit.changed_groups}
    for g in edit.new_groups:
        doc.add_group_data(g, by_id.get(g["id"]))
    for nid, _, new in edit.moves:
        doc.move(nid, new)


def revert_edit(doc: GraphDocument, edit: ModuleEdit) -> None:
    """Undo :func:`apply_edit`: the design is exactly as it was before."""
    for nid, old, _ in reversed(edit.moves):
        doc.move(nid, old)
    for g in reversed(edit.new_groups):
        doc.remove_group(g["id"])
    for _, e in reversed(edit.added_edges):
        doc.disconnect(e["id"])
    for n in reversed(edit.added_nodes):
        doc.remove_node(n["id"])
    for index, n in edit.removed_nodes:
        doc.add_node_data(n, index)
    for index, e in edit.removed_edges:
        doc.add_edge_data(e, index)
    for index, g in edit.changed_groups:
        doc.add_group_data(g, index)
    if edit.added_module is not None:
        doc.library.remove_ids([edit.added_module["id"]])


def plan_collapse_repeats(doc: GraphDocument, instance_id: str) -> ModuleEdit:
    """Fold a chain of identical instances around ``instance_id`` into one with ``repeat`` N.

    Identical: the same definition and exposed values, each feeding only the next, which has
    one input (Inception-ResNet's ten ``block35`` in a row become ``block35 x 10``). The first
    instance stays (its id and name); the others go. Ungroup gives the copies back.
    """
    node = doc.node(instance_id)
    if module_id_of(node.type_id) is None:
        raise GraphError(f"{node.name!r} is not a module instance")

    def same(other_id: str) -> bool:
        o = doc.nodes[other_id]
        strip = {k: v for k, v in o.params.items() if k != REPEAT}
        return o.type_id == node.type_id and strip == {k: v for k, v in node.params.items() if k != REPEAT}

    def single_in(nid: str) -> str | None:
        ins = doc.in_edges(nid)
        return ins[0].src if len(ins) == 1 and len(doc.nodes[nid].type.inputs) == 1 else None

    chain = [instance_id]
    while (src := single_in(chain[0])) is not None and same(src) and len(doc.out_edges(src)) == 1:
        chain.insert(0, src)
    while True:
        outs = doc.out_edges(chain[-1])
        if len(outs) != 1 or not same(outs[0].dst) or single_in(outs[0].dst) != chain[-1]:
            break
        chain.append(outs[0].dst)
    if len(chain) == 1:
        raise GraphError(f"no identical instance of {node.type.display_name} comes right before or after {node.name!r}")
    first, last = chain[0], chain[-1]
    edit = ModuleEdit(f"Fold {len(chain)} x {doc.nodes[first].name}")
    total = sum(doc.nodes[n].params.get(REPEAT, 1) for n in chain)
    edit.removed_nodes = sorted((doc.node_index(n), doc.node_data(n)) for n in chain)
    touching = {e.id for n in chain for e in doc.in_edges(n) + doc.out_edges(n)}
    edit.removed_edges = sorted(((doc.input_index(e), doc.edge_data(e)) for e in touching), key=lambda t: t[0])
    data = doc.node_data(first)
    data["params"][REPEAT] = total
    edit.added_nodes = [data]
    for e in doc.in_edges(first):
        edit.added_edges.append((doc.input_index(e.id), doc.edge_data(e.id)))
    for e in doc.out_edges(last):
        moved = doc.edge_data(e.id)
        moved["src"] = first
        edit.added_edges.append((doc.input_index(e.id), moved))
    gone = set(chain[1:])
    for g in doc.groups.values():
        if gone & set(g.node_ids) or first in g.node_ids:
            edit.changed_groups.append((doc.group_index(g.id), doc.group_data(g.id)))
            edit.new_groups.append({**doc.group_data(g.id), "nodes": [m for m in g.node_ids if m not in gone]})
    edit.focus = [first]
    return edit
