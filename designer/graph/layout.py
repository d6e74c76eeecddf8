"""Automatic layout: layers by longest path from the inputs, flowing top to bottom like the
papers' figures, with the branches of a block side by side (barycentre ordering)."""

from __future__ import annotations

from collections import defaultdict

import networkx as nx

from .document import GraphDocument

__all__ = ["auto_layout", "NODE_W", "NODE_H"]

NODE_W, NODE_H = 200.0, 84.0
GAP_X, GAP_Y = 36.0, 56.0


def auto_layout(doc: GraphDocument) -> dict[str, tuple[float, float]]:
    """Positions (top-left corners) for every node; does not modify the document."""
    g = doc.graph
    try:
        topo = list(nx.topological_sort(g))
    except nx.NetworkXUnfeasible:  # a cycle: lay out by document order, still readable
        topo = list(doc.nodes)
    position = {nid: i for i, nid in enumerate(doc.nodes)}
    depth: dict[str, int] = {}
    for nid in topo:
        preds = [depth[p] for p in g.predecessors(nid) if p in depth]
        depth[nid] = max(preds) + 1 if preds else 0
    # Pull each node down next to its first consumer, so a branch's layers stack under each other
    # and a long edge does not drag a branch up to the top.
    for nid in reversed(topo):
        succ = [depth[s] for s in g.successors(nid) if s in depth]
        if succ and g.in_degree(nid) > 0:
            depth[nid] = max(depth[nid], min(succ) - 1)
    layers: dict[int, list[str]] = defaultdict(list)
    for nid in topo:
        layers[depth[nid]].append(nid)
    x: dict[str, float] = {}
    out: dict[str, tuple[float, float]] = {}
    for level in sorted(layers):
        row = layers[level]

        def key(nid: str) -> tuple[float, int]:
            parents = [x[p] for p in g.predecessors(nid) if p in x]
            return (sum(parents) / len(parents) if parents else 0.0, position[nid])

        row.sort(key=key)
        width = len(row) * NODE_W + (len(row) - 1) * GAP_X
        for i, nid in enumerate(row):
            cx = -width / 2 + i * (NODE_W + GAP_X) + NODE_W / 2
            x[nid] = cx
            out[nid] = (round(cx - NODE_W / 2, 1), round(level * (NODE_H + GAP_Y), 1))
    return out


def apply_layout(doc: GraphDocument) -> None:
    for nid, pos in auto_layout(doc).items():
        doc.move(nid, pos)


__all__ += ["apply_layout"]
