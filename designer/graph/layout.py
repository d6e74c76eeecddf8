"""Automatic layout that reads like the papers' figures: the network flows top to bottom,
the branches of a block stand side by side, and auxiliary heads sit to the right.

A layered (Sugiyama-style) layout:

1. **Levels**: longest path from the inputs, then every node is pulled down next to its
   first consumer, so a short branch ends beside the long ones (GoogLeNet's 1x1 branch
   sits at the level of the 3x3 and 5x5 convs, as in figure 2 of the paper).
2. **Long edges** get a placeholder on every level they cross, so a shortcut or a short
   branch keeps its own lane instead of cutting through the other branches. A residual
   shortcut between two trunk nodes is drawn as a straight line, so its lane is kept
   free in the middle and the branches stand either side of it.
3. **Order** within a level: by the mean position of the parents, ties by the order in
   which the nodes were added (a block's branches keep their drawing order).
4. **Coordinates**: alternate sweeps pull each node towards its neighbours; each level is
   then the closest placement that keeps its order and at least ``NODE_W + GAP_X`` between
   centres (isotonic regression, so nodes never overlap). A level with a single node (the
   trunk between blocks: a concat, a residual sum, a pool) is pinned to the centre line,
   so a deep stack of blocks does not drift sideways.
5. Levels where a block (document group) begins or ends get extra room for the frame the
   UI draws around the group and its title.
6. Nodes that only feed auxiliary heads (or lead nowhere) are placed afterwards, to the
   right of everything on their levels, clear of the block frames.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING

from .document import GraphDocument

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["FRAME_MARGIN", "FRAME_TITLE", "GAP_X", "GAP_Y", "NODE_H", "NODE_W", "apply_layout", "auto_layout"]

NODE_W, NODE_H = 200.0, 84.0
GAP_X, GAP_Y = 36.0, 56.0
#: Room a group frame needs around its nodes, and for its title above them (the UI draws 22 and 26).
FRAME_MARGIN, FRAME_TITLE = 24.0, 28.0
_SLOT = NODE_W + GAP_X
_ROW = NODE_H + GAP_Y
#: Extra space between levels where a block begins or ends: two frame margins, a title, 16 px air.
_GROUP_GAP = max(2 * FRAME_MARGIN + FRAME_TITLE + 16.0 - GAP_Y, 0.0)
_SWEEPS = 3
#: How much a long edge's placeholder pulls on a real node (a real neighbour pulls 1).
_DUMMY_PULL = 0.3
#: How firmly a trunk shortcut's lane holds the centre line against the nodes beside it.
_LANE_WEIGHT = 50.0

_Item = str | tuple[str, str, str, int]  # a node id, or a placeholder ("~", src, dst, level)


def auto_layout(doc: GraphDocument) -> dict[str, tuple[float, float]]:
    """Positions (top-left corners) for every node; does not modify the document."""
    if not doc.nodes:
        return {}
    rank = {nid: i for i, nid in enumerate(doc.nodes)}
    g = _acyclic(doc, rank)
    main = _main_nodes(doc, g)
    level = _levels(g.subgraph(main), rank)
    layers, parents, children, lanes = _layered(g.subgraph(main), level, rank)
    x = _coordinates(layers, parents, children, lanes)
    spans = [
        (min(level[n] for n in members), max(level[n] for n in members), members)
        for members in ([n for n in grp.node_ids if n in main] for grp in doc.groups.values())
        if members
    ]
    ys = [0.0]
    for lv in range(1, len(layers)):
        boundary = any(first == lv or last == lv - 1 for first, last, _ in spans)
        ys.append(ys[-1] + _ROW + (_GROUP_GAP if boundary else 0.0))

    def y_of(lv: int) -> float:
        return ys[lv] if lv < len(ys) else ys[-1] + (lv - len(ys) + 1) * _ROW

    out = {nid: (x[nid] - NODE_W / 2, y_of(level[nid])) for nid in main}
    right: dict[int, float] = defaultdict(lambda: float("-inf"))  # right edge of what is on a level
    for lv, row in enumerate(layers):
        for item in row:
            right[lv] = max(right[lv], x[item] + NODE_W / 2)
    for first, last, members in spans:  # keep clear of the block frames too
        edge = max(out[n][0] for n in members) + NODE_W + FRAME_MARGIN
        for lv in range(first, last + 1):
            right[lv] = max(right[lv], edge)
    _place_side(g, main, level, out, rank, right, y_of)
    return {nid: (round(px, 1), round(py, 1)) for nid, (px, py) in out.items()}


def apply_layout(doc: GraphDocument) -> None:
    for nid, pos in auto_layout(doc).items():
        doc.move(nid, pos)


# --------------------------------------------------------------------------- structure
def _acyclic(doc: GraphDocument, rank: dict[str, int]) -> nx.DiGraph:
    """The document as a simple DAG: parallel edges merged, back edges of a DFS (in document
    order) dropped, so a design with a cycle still gets a readable layout."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(doc.nodes)
    g.add_edges_from((e.src, e.dst) for e in doc.edges.values() if e.src != e.dst)
    if nx.is_directed_acyclic_graph(g):
        return g
    state: dict[str, int] = {}  # 1 on the DFS stack, 2 done
    back = []
    for root in doc.nodes:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(sorted(g.successors(root), key=rank.__getitem__)))]
        while stack:
            u, it = stack[-1]
            for v in it:
                if state.get(v) == 1:
                    back.append((u, v))
                elif v not in state:
                    state[v] = 1
                    stack.append((v, iter(sorted(g.successors(v), key=rank.__getitem__))))
                    break
            else:
                state[u] = 2
                stack.pop()
    g.remove_edges_from(back)
    return g


def _main_nodes(doc: GraphDocument, g: nx.DiGraph) -> set[str]:
    """The inference graph: what feeds the Output node (or the loose ends that are not aux heads)."""
    import networkx as nx

    ends = [nid for nid, n in doc.nodes.items() if n.type.role == "output"]
    if not ends:
        ends = [nid for nid in g if not g.out_degree(nid) and doc.nodes[nid].type.role != "aux"]
    main = set(ends).union(*(nx.ancestors(g, e) for e in ends))
    return main or set(g)


def _levels(g: nx.DiGraph, rank: dict[str, int]) -> dict[str, int]:
    import networkx as nx

    topo = list(nx.lexicographical_topological_sort(g, key=rank.__getitem__))
    level: dict[str, int] = {}
    for nid in topo:
        level[nid] = max((level[p] + 1 for p in g.predecessors(nid)), default=0)
    for nid in reversed(topo):  # pull down next to the first consumer
        below = [level[s] for s in g.successors(nid)]
        if below and g.in_degree(nid):
            level[nid] = max(level[nid], min(below) - 1)
    return level


def _layered(
    g: nx.DiGraph, level: dict[str, int], rank: dict[str, int]
) -> tuple[list[list[_Item]], dict[_Item, list[_Item]], dict[_Item, list[_Item]], set[_Item]]:
    """Levels as ordered lists, with placeholders on long edges; each item's neighbours; and the
    placeholders of trunk shortcuts (long edges between two single-node levels)."""
    parents: dict[_Item, list[_Item]] = defaultdict(list)
    children: dict[_Item, list[_Item]] = defaultdict(list)
    rows: dict[int, list[_Item]] = defaultdict(list)
    key: dict[_Item, tuple[int, ...]] = {}
    for nid in g:
        rows[level[nid]].append(nid)
        key[nid] = (rank[nid],)
    long_edges = []
    for u, v in sorted(g.edges, key=lambda e: (rank[e[1]], rank[e[0]])):
        prev: _Item = u
        for lv in range(level[u] + 1, level[v]):
            d: _Item = ("~", u, v, lv)
            rows[lv].append(d)
            key[d] = (rank[v], rank[u])  # a lane sits where its destination would
            parents[d].append(prev)
            children[prev].append(d)
            prev = d
        parents[v].append(prev)
        children[prev].append(v)
        if level[v] - level[u] > 1:
            long_edges.append((u, v))
    single = {lv for lv, row in rows.items() if len(row) == 1}
    lanes: set[_Item] = {
        ("~", u, v, lv)
        for u, v in long_edges
        if level[u] in single and level[v] in single
        for lv in range(level[u] + 1, level[v])
    }
    layers: list[list[_Item]] = []
    index: dict[_Item, int] = {}
    for lv in range(max(rows) + 1):
        row = rows.get(lv, [])

        def bary(item: _Item) -> float:
            ps = [index[p] for p in parents[item]]
            return sum(ps) / len(ps) if ps else -1.0

        row.sort(key=lambda item: (bary(item), key[item]))
        for lane in [item for item in row if item in lanes]:  # a trunk shortcut goes down the middle
            row.remove(lane)
            ties = [i for i, item in enumerate(row) if bary(item) == bary(lane)]
            at = ties[0] + len(ties) // 2 if ties else sum(bary(item) < bary(lane) for item in row)
            row.insert(at, lane)
        index.update((item, i) for i, item in enumerate(row))
        layers.append(row)
    return layers, parents, children, lanes


# --------------------------------------------------------------------------- coordinates
def _coordinates(
    layers: list[list[_Item]],
    parents: dict[_Item, list[_Item]],
    children: dict[_Item, list[_Item]],
    lanes: set[_Item],
) -> dict[_Item, float]:
    x: dict[_Item, float] = {}
    for row in layers:
        for i, item in enumerate(row):
            x[item] = (i - (len(row) - 1) / 2) * _SLOT
    pinned = [len(row) == 1 and isinstance(row[0], str) for row in layers]

    def place(row_index: int, neighbours: dict[_Item, list[_Item]]) -> None:
        row = layers[row_index]
        if pinned[row_index]:
            x[row[0]] = 0.0
            return
        want, weights = [], []
        for item in row:
            if item in lanes:  # both ends sit on the centre line, and so does the drawn edge
                want.append(0.0)
                weights.append(_LANE_WEIGHT)
                continue
            total = weight = 0.0
            for other in neighbours[item]:
                w = 1.0 if isinstance(item, tuple) or isinstance(other, str) else _DUMMY_PULL
                total += w * x[other]
                weight += w
            want.append(total / weight if weight else x[item])
            weights.append(1.0)
        for item, value in zip(row, _spread(want, weights), strict=True):
            x[item] = value

    for sweep in range(_SWEEPS + 1):
        for i in range(1, len(layers)):
            place(i, parents)
        if sweep < _SWEEPS:
            for i in range(len(layers) - 2, -1, -1):
                place(i, children)
    return x


def _spread(want: list[float], weights: list[float]) -> list[float]:
    """The positions closest to ``want`` (weighted least squares) that keep the order and
    ``_SLOT`` apart.

    With ``y_i = x_i - i * _SLOT`` the constraint is ``y`` non-decreasing: weighted isotonic
    regression by pool-adjacent-violators.
    """
    blocks: list[list[float]] = []  # [weighted sum, weight, count]
    for i, (target, w) in enumerate(zip(want, weights, strict=True)):
        blocks.append([w * (target - i * _SLOT), w, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, weight, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += weight
            blocks[-1][2] += count
    out: list[float] = []
    for total, weight, count in blocks:
        out.extend([total / weight] * int(count))
    return [y + i * _SLOT for i, y in enumerate(out)]


def _place_side(
    g: nx.DiGraph,
    main: set[str],
    level: dict[str, int],
    out: dict[str, tuple[float, float]],
    rank: dict[str, int],
    right: dict[int, float],
    y_of: Callable[[int], float],
) -> None:
    """Aux heads and dead ends: each connected piece to the right of what is on its levels."""
    import networkx as nx

    side = [nid for nid in nx.lexicographical_topological_sort(g, key=rank.__getitem__) if nid not in main]
    if not side:
        return
    lv = dict(level)
    for nid in side:
        lv[nid] = max((lv[p] + 1 for p in g.predecessors(nid)), default=0)
    first = {nid: i for i, nid in enumerate(side)}
    pieces = list(nx.weakly_connected_components(g.subgraph(side)))
    pieces.sort(key=lambda piece: min(first[n] for n in piece))
    for piece in pieces:
        rows: dict[int, list[str]] = defaultdict(list)
        for nid in sorted(piece, key=first.__getitem__):
            rows[lv[nid]].append(nid)
        edge = max(right[r] for r in range(min(rows), max(rows) + 1))
        x0 = edge + GAP_X if edge > float("-inf") else 0.0
        for r, row in rows.items():
            for i, nid in enumerate(row):
                out[nid] = (x0 + i * _SLOT, y_of(r))
            right[r] = max(right[r], x0 + len(row) * _SLOT - GAP_X)
