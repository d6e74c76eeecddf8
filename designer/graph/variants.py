"""Variants of a design kept in one project: duplicate, switch, rename, delete, and diff.

A project holds one active design (the document's nodes, edges and groups) and any number of
other variants as plain graph data (``GraphDocument.variants``: dicts with ``name``,
``description``, ``nodes``, ``edges``, ``groups``), all sharing the module library. A variant
made with :func:`duplicate` keeps the node ids of its original, so :func:`diff` can say which
nodes were added, removed or changed and which parameters differ.

Every edit goes through :func:`state` and :func:`restore`: an undo command keeps the state
before and after (plain data) and restores one or the other, so each edit is one undo step.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from .document import DocumentReset, GraphDocument, GraphError, VariantsChanged

__all__ = ["VariantDiff", "delete", "design_of", "diff", "duplicate", "names", "rename", "restore", "state", "switch"]

_NAME = re.compile(r"^\S(.{0,78}\S)?$")


def names(doc: GraphDocument) -> list[str]:
    """Every variant's name, the active one included, in project order."""
    others = [v["name"] for v in doc.variants]
    index = max(0, min(doc.variant_index, len(others)))
    return [*others[:index], doc.variant, *others[index:]]


def state(doc: GraphDocument) -> dict[str, Any]:
    """Everything variants change, as plain data (for undo)."""
    return {
        "variant": doc.variant,
        "variants": copy.deepcopy(doc.variants),
        "variant_index": doc.variant_index,
        "graph": doc.graph_data(),
        "description": doc.description,
    }


def restore(doc: GraphDocument, st: dict[str, Any]) -> None:
    """Put back a :func:`state` (the graph only when it differs, so a rename repaints nothing)."""
    doc.variant = st["variant"]
    doc.variants = copy.deepcopy(st["variants"])
    doc.variant_index = st["variant_index"]
    if doc.graph_data() != st["graph"] or doc.description != st["description"]:
        doc.description = st["description"]
        _load_graph(doc, st["graph"])
    doc._emit(VariantsChanged())


def _load_graph(doc: GraphDocument, graph: dict[str, Any]) -> None:
    listeners, doc._listeners = doc._listeners, []
    try:
        doc.clear()
        doc.add_graph_data(graph)
    finally:
        doc._listeners = listeners
    doc._emit(DocumentReset())


def _check_name(doc: GraphDocument, name: str, exclude: str | None = None) -> str:
    name = name.strip()
    if not _NAME.match(name):
        raise GraphError("a variant name is 1 to 80 characters and cannot be blank")
    if name != exclude and name in names(doc):
        raise GraphError(f"there is already a variant called {name!r}")
    return name


def _unique(doc: GraphDocument, stem: str) -> str:
    taken = set(names(doc))
    if stem not in taken:
        return stem
    i = 2
    while f"{stem} {i}" in taken:
        i += 1
    return f"{stem} {i}"


def duplicate(doc: GraphDocument, name: str | None = None) -> str:
    """Keep the active design as a variant and go on editing a copy named ``name`` (active).

    The copy has the same node ids, so :func:`diff` matches nodes across the two.
    """
    name = _check_name(doc, name) if name else _unique(doc, f"{doc.variant} copy")
    index = doc.variant_index
    doc.variants.insert(index, {"name": doc.variant, "description": doc.description, **doc.graph_data()})
    doc.variant_index = index + 1
    doc.variant = name
    doc._emit(VariantsChanged())
    return name


def switch(doc: GraphDocument, name: str) -> None:
    """Make ``name`` the active variant (the active one is kept in its place)."""
    if name == doc.variant:
        return
    target = next((i for i, v in enumerate(doc.variants) if v["name"] == name), None)
    if target is None:
        raise GraphError(f"no variant called {name!r}")
    order = names(doc)
    new = doc.variants.pop(target)
    mine = {"name": doc.variant, "description": doc.description, **doc.graph_data()}
    # Keep the project order: the old active variant goes back to its place.
    others = [n for n in order if n != name]
    by_name = {v["name"]: v for v in doc.variants}
    by_name[mine["name"]] = mine
    doc.variants = [by_name[n] for n in others]
    doc.variant_index = order.index(name)
    doc.variant = name
    doc.description = new.get("description", doc.description)
    _load_graph(doc, new)
    doc._emit(VariantsChanged())


def rename(doc: GraphDocument, old: str, new: str) -> None:
    new = _check_name(doc, new, exclude=old)
    if old == doc.variant:
        doc.variant = new
    else:
        v = next((v for v in doc.variants if v["name"] == old), None)
        if v is None:
            raise GraphError(f"no variant called {old!r}")
        v["name"] = new
    doc._emit(VariantsChanged())


def delete(doc: GraphDocument, name: str) -> None:
    """Remove a variant that is not the active one."""
    if name == doc.variant:
        raise GraphError("switch to another variant before deleting this one")
    index = next((i for i, v in enumerate(doc.variants) if v["name"] == name), None)
    if index is None:
        raise GraphError(f"no variant called {name!r}")
    del doc.variants[index]
    if index < doc.variant_index:
        doc.variant_index -= 1
    doc._emit(VariantsChanged())


def design_of(doc: GraphDocument, name: str) -> GraphDocument:
    """A variant as a document of its own (sharing the module library; for analysis)."""
    if name == doc.variant:
        return doc
    v = next((v for v in doc.variants if v["name"] == name), None)
    if v is None:
        raise GraphError(f"no variant called {name!r}")
    out = GraphDocument(
        doc.name, v.get("description", doc.description), library=doc.library if doc.has_library else None
    )
    out.add_graph_data(v)
    out.revision = 0
    return out


@dataclass
class VariantDiff:
    """What differs from variant A to variant B (nodes matched by id)."""

    added: list[str] = field(default_factory=list)  # node ids only in B
    removed: list[str] = field(default_factory=list)  # node ids only in A
    #: node id -> {param: (value in A, value in B)}; a changed type or name counts too.
    changed: dict[str, dict[str, tuple[Any, Any]]] = field(default_factory=dict)
    edges_added: list[str] = field(default_factory=list)
    edges_removed: list[str] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not (self.added or self.removed or self.changed or self.edges_added or self.edges_removed)


def diff(a: dict[str, Any], b: dict[str, Any]) -> VariantDiff:
    """Compare two graph datas (``doc.graph_data()`` or a stored variant)."""
    out = VariantDiff()
    na = {n["id"]: n for n in a["nodes"]}
    nb = {n["id"]: n for n in b["nodes"]}
    out.added = [i for i in nb if i not in na]
    out.removed = [i for i in na if i not in nb]
    for i in na.keys() & nb.keys():
        x, y = na[i], nb[i]
        changes = {}
        for key in ("type", "name"):
            if x[key] != y[key]:
                changes[key] = (x[key], y[key])
        for key in x["params"].keys() | y["params"].keys():
            if x["params"].get(key) != y["params"].get(key):
                changes[key] = (x["params"].get(key), y["params"].get(key))
        if changes:
            out.changed[i] = changes

    def ends(e: dict[str, Any]) -> tuple[str, str, str, str]:
        return (e["src"], e.get("src_port", "out"), e["dst"], e.get("dst_port", "in"))

    ea = {ends(e): e["id"] for e in a["edges"]}
    eb = {ends(e): e["id"] for e in b["edges"]}
    out.edges_added = [eid for k, eid in eb.items() if k not in ea]
    out.edges_removed = [eid for k, eid in ea.items() if k not in eb]
    return out
