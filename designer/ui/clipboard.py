"""Copy and paste as JSON in QMimeData, so a selection moves between windows and documents.

The payload is a small project (same checks as a file on open: pasting never trusts the
clipboard) holding the selected nodes, the edges among them and the groups entirely
inside the selection, with the module definitions its instances use (so a pasted instance
works in another project). Pasting gives every node, edge and group a fresh id; the
definitions keep theirs (the same definition is not added twice). A definition's port nodes
are not copied: they belong to the definition, not to the selection.
"""

from __future__ import annotations

import json
import re
from typing import Any

from PySide6.QtCore import QMimeData

from ..graph.document import GraphDocument, new_id
from ..graph.modules import module_id_of
from ..graph.nodes.ports import PORT_CATEGORY
from ..io.project import FORMAT_VERSION, ProjectError, from_data

MIME = "application/x-inception-designer-graph"


def selection_data(doc: GraphDocument, node_ids: list[str]) -> dict[str, Any]:
    chosen = {nid for nid in node_ids if nid in doc.nodes and doc.nodes[nid].type.category != PORT_CATEGORY}
    full = doc.graph_data()
    used = {m for nid in chosen if (m := module_id_of(doc.nodes[nid].type_id)) is not None}
    return {
        "format_version": FORMAT_VERSION,
        "app": "inception-designer",
        "name": "clipboard",
        "nodes": [n for n in full["nodes"] if n["id"] in chosen],
        "edges": [e for e in full["edges"] if e["src"] in chosen and e["dst"] in chosen],
        "groups": [g for g in full["groups"] if g["nodes"] and set(g["nodes"]) <= chosen],
        "modules": doc.library.closure_data(used) if used else [],
    }


def to_mime(data: dict[str, Any]) -> QMimeData:
    mime = QMimeData()
    payload = json.dumps(data, ensure_ascii=False).encode()
    mime.setData(MIME, payload)
    mime.setText(payload.decode())
    return mime


def from_mime(mime: QMimeData | None) -> dict[str, Any] | None:
    """The checked clipboard payload, or None when the clipboard holds no design."""
    if mime is None:
        return None
    if mime.hasFormat(MIME):
        raw = bytes(mime.data(MIME).data()).decode("utf-8", "replace")
    elif mime.hasText() and mime.text().lstrip().startswith("{"):
        raw = mime.text()
    else:
        return None
    try:
        data = json.loads(raw)
        checked = from_data(data, "clipboard")
    except (ValueError, ProjectError, RecursionError):
        return None
    return checked.to_dict() if checked.nodes else None


def fresh(data: dict[str, Any], doc: GraphDocument, offset: tuple[float, float] = (0.0, 0.0)) -> dict[str, Any]:
    """A copy of ``data`` with new ids, names unique in ``doc`` and positions shifted."""
    ids = {n["id"]: new_id() for n in data["nodes"]}
    taken = {n.name for n in doc.nodes.values()}
    nodes = []
    for n in data["nodes"]:
        name = n["name"]
        if name in taken:
            base, i = re.sub(r"_\d+$", "", name) or name, 1
            while f"{base}_{i}" in taken:
                i += 1
            name = f"{base}_{i}"
        taken.add(name)
        x, y = n["pos"]
        nodes.append({**n, "id": ids[n["id"]], "name": name, "pos": (x + offset[0], y + offset[1])})
    edges = [{**e, "id": new_id(), "src": ids[e["src"]], "dst": ids[e["dst"]]} for e in data["edges"]]
    groups = [{**g, "id": new_id(), "nodes": [ids[m] for m in g["nodes"]]} for g in data.get("groups", [])]
    return {"nodes": nodes, "edges": edges, "groups": groups, "modules": list(data.get("modules", []))}
