"""Why a merge's inputs disagree: the branch, the node on it that changed the size, a verified fix.

Only runs when a Concat or Add rejects its inputs, so validation of a valid design never pays
for it. The inputs are grouped by what the merge compares (H x W for a concat, the whole
shape for an add); the largest group is the reference. On a tie, each group is tried as the
reference and the one that leaves the disagreeing branches blamable and fixable with the
simplest change wins (padding 'same' before stride changes), so two branches that disagree
are traced from where they diverge instead of blaming the node both start from.

A disagreeing branch is the chain of main inputs from the merge's input up to the first node
the reference inputs also depend on (where the branches diverge). The node blamed is one on
that chain that really changes what differs: H x W, the channels (the node that sets them,
for an add), or the rank (the node that flattens). A fix is offered only after re-inferring
the design with it: every node it affects must still infer, and the input must then agree.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .diagnostics import Diagnostic, Fix, Severity
from .document import GraphDocument, Node
from .params import ParamError, as_pair
from .shapes import Shape, ShapeError

if TYPE_CHECKING:
    from .validate import Report

__all__ = ["fmt_dims", "fmt_size", "merge_diagnostics"]

Changes = dict[str, dict[str, Any]]  # node id -> {param: value}
#: ``(node type, params, input shapes) -> (output shape, steps)``: validation's memoised inference.
Infer = Callable[[Any, dict[str, Any], list[Shape]], tuple[Shape, Any]]

#: What an input can disagree in: H x W, the channel (or feature) count, feature map vs flat vector.
HW, CHANNELS, RANK = "hw", "channels", "rank"
_WHAT = {HW: "changes H x W", CHANNELS: "changes the channels", RANK: "flattens"}
#: Parameters that set a node's channel (feature) count.
_SETTERS = ("out_channels", "out_features")
#: No verified fix: sorts after every fix.
_NO_FIX = 100


def reaching(preds: dict[str, Any], starts: list[str], known: set[str] | None = None) -> set[str]:
    """``starts`` and every node with a path to one of them (``nx.ancestors``, over lists).

    ``known`` is a set already closed under predecessors (it is included, not walked again).
    """
    seen = set(known) if known else set()
    stack = [s for s in starts if s not in seen]
    seen.update(stack)
    while stack:
        for p in preds[stack.pop()]:
            if p not in seen:
                seen.add(p)
                stack.append(p)
    return seen


def fmt_dims(shape: Shape | None) -> str:
    """``(128, 26, 26) -> '128 x 26 x 26'``; a flat vector is its length; ``None -> '?'``."""
    return "?" if shape is None else " x ".join(str(d) for d in shape)


def fmt_size(shape: Shape) -> str:
    """H x W of a feature map (``'26 x 26'``); a flat vector's length otherwise."""
    return f"{shape[1]} x {shape[2]}" if len(shape) == 3 else fmt_dims(shape)


def _described(shape: Shape) -> str:
    return f"a vector of {shape[0]}" if len(shape) == 1 else f"a {fmt_dims(shape)} feature map"


def _clause_shape(shape: Shape, size_only: bool) -> str:
    """A shape in "X turns A into B": H x W for a concat (its message says so), else the whole shape."""
    if len(shape) == 1:
        return f"a vector of {shape[0]}"
    return fmt_size(shape) if size_only else fmt_dims(shape)


# --------------------------------------------------------------------------- the analysis
@dataclass
class _Blame:
    """The verdict on one disagreeing input for one choice of reference."""

    index: int
    aspects: list[str]
    chain: list[str]  # the input's source first, up to (not including) where the branches diverge
    causes: dict[str, str | None] = field(default_factory=dict)  # aspect -> the node blamed for it
    changes: Changes = field(default_factory=dict)
    cost: int = _NO_FIX

    @property
    def blamed(self) -> list[str]:
        return list(dict.fromkeys(c for c in self.causes.values() if c is not None))


class _Context:
    def __init__(self, doc: GraphDocument, rep: Report, merge: Node, infer: Infer, spatial: bool):
        self.doc, self.rep, self.merge, self.infer = doc, rep, merge, infer
        self.edges = doc.in_edges(merge.id)
        self.ins: list[Shape] = rep.in_shapes[merge.id]
        #: The merge compares H x W only (a concat); otherwise whole shapes (an add).
        self.concat = spatial
        self._position: dict[str, int] | None = None

    @property
    def position(self) -> dict[str, int]:
        if self._position is None:
            self._position = {nid: i for i, nid in enumerate(self.rep.order)}
        return self._position

    # ------------------------------------------------------------- structure
    def upstream(self, starts: set[str]) -> set[str]:
        """``starts`` and every node with a path to one of them."""
        return reaching(self.doc.pred, list(starts))

    def chain(self, src: str, shared: set[str]) -> list[str]:
        """Main inputs from ``src`` upwards until a node in ``shared`` (where the branches diverge)."""
        out: list[str] = []
        node = src
        while node not in shared and node not in out and self.rep.in_shapes.get(node):
            out.append(node)
            node = self.doc.in_edges(node)[0].src
        return out

    def agrees(self, shape: Shape, ref: Shape) -> bool:
        if len(shape) != len(ref):
            return False
        return shape == ref if not self.concat else (len(shape) == 1 or shape[1:] == ref[1:])

    # ------------------------------------------------------------- what if
    def reinfer(self, changes: Changes) -> dict[str, Shape] | None:
        """New output shapes of the nodes ``changes`` affects before the merge (None: one of them fails)."""
        doc, rep, pos = self.doc, self.rep, self.position
        stop = pos[self.merge.id]
        heap = [(pos[nid], nid) for nid in changes]
        heapq.heapify(heap)
        queued = set(changes)
        new: dict[str, Shape] = {}
        while heap:
            _, nid = heapq.heappop(heap)
            if rep.shapes.get(nid) is None:
                continue  # it failed (or was never reached) before the change: not this fix's business
            node = doc.nodes[nid]
            params = dict(node.params)
            for name, value in changes.get(nid, {}).items():
                try:
                    params[name] = node.type.param(name).validate(value)
                except (KeyError, ParamError):
                    return None
            ins = [new.get(e.src, rep.shapes[e.src]) for e in doc.in_edges(nid)]
            try:
                out, _ = self.infer(node.type, params, ins)  # type: ignore[arg-type]
            except (ShapeError, ParamError):
                return None
            new[nid] = out
            for child in doc.succ[nid]:
                if child not in queued and pos.get(child, stop) < stop:
                    queued.add(child)
                    heapq.heappush(heap, (pos[child], child))
        return new

    def verify(self, b: _Blame, ref: Shape, changes: Changes, key: Callable[[Shape], Any] | None) -> bool:
        """Does input ``b.index`` agree after ``changes`` (in ``key`` only, or as the merge compares)?"""
        new = self.reinfer(changes)
        if new is None:
            return False
        shape = new.get(self.edges[b.index].src, self.ins[b.index])
        if key is not None:
            return len(shape) == len(ref) and key(shape) == key(ref)
        if not self.agrees(shape, ref):
            return False
        ins = [new.get(e.src, s) for e, s in zip(self.edges, self.ins, strict=True)]
        if all(self.agrees(s, ref) for s in ins):  # it was the only disagreeing input: the merge must infer
            try:
                self.merge.type.infer(self.merge.params, ins)
            except (ShapeError, ParamError):
                return False
        return True

    # ------------------------------------------------------------- blame
    def analyse(self, i: int, ref: Shape, shared: set[str]) -> _Blame:
        bad = self.ins[i]
        if len(bad) != len(ref):
            aspects = [RANK]
        else:
            aspects = [HW] if len(bad) == 3 and bad[1:] != ref[1:] else []
            if not self.concat and bad[0] != ref[0]:
                aspects.append(CHANNELS)
        b = _Blame(i, aspects, self.chain(self.edges[i].src, shared))
        cost = 0
        for aspect in aspects:
            cause, changes, c = self._blame(b, aspect, ref)
            b.causes[aspect] = cause
            if changes is None or cost == _NO_FIX:
                cost = _NO_FIX
                continue
            cost += c
            for nid, values in changes.items():
                b.changes.setdefault(nid, {}).update(values)
        if cost < _NO_FIX and len(aspects) > 1 and not self.verify(b, ref, b.changes, None):
            cost = _NO_FIX  # each part agrees on its own, but not together
        b.cost = cost
        if cost == _NO_FIX:
            b.changes = {}
        return b

    def changes_it(self, nid: str, aspect: str) -> bool:
        """Whether node ``nid`` changes ``aspect`` (its input and output differ there)."""
        before, after = self.rep.in_shapes[nid][0], self.rep.shapes[nid]
        assert after is not None
        if aspect == RANK:
            return len(before) != len(after)
        if aspect == HW:
            return len(before) == len(after) == 3 and before[1:] != after[1:]
        return len(before) == len(after) and before[0] != after[0]

    def _blame(self, b: _Blame, aspect: str, ref: Shape) -> tuple[str | None, Changes | None, int]:
        """The node to blame for ``aspect``, the cheapest verified change (or None) and its cost."""
        key = _KEYS[aspect]
        nodes = [n for n in b.chain if self.changes_it(n, aspect)]  # nearest the merge first
        if aspect == CHANNELS:
            # The node that sets the branch's channel count: the nearest that changes it or has a parameter for it.
            params = self.doc.nodes
            lead = [n for n in b.chain if n in nodes or any(p in params[n].params for p in _SETTERS)][:1]
            nodes = lead
        else:
            # The one whose input still had the reference size made the difference: it leads.
            lead = [n for n in nodes if key(self.rep.in_shapes[n][0]) == key(ref)][:1]
        # With nothing to blame, the fix can only be a stride on a node that keeps H x W.
        targets = nodes or (b.chain if aspect == HW else [])
        tries = [
            (n not in lead, cost, k, n, values)
            for k, n in enumerate(targets)
            for cost, values in _candidates(self.doc.nodes[n], aspect, ref, self.rep.in_shapes[n][0], bool(nodes))
        ]
        tries.sort(key=lambda t: t[:3])
        cause = (lead or nodes or [None])[0]
        for _, cost, _, nid, values in tries:
            changes = {nid: values}
            if self.verify(b, ref, changes, key if len(b.aspects) > 1 else None):
                return (nid if nodes else None), changes, cost
        return cause, None, 0


def _hw(shape: Shape) -> Any:
    return shape[1:]


def _channels(shape: Shape) -> int:
    return shape[0]


_KEYS: dict[str, Callable[[Shape], Any]] = {HW: _hw, CHANNELS: _channels, RANK: len}


def _candidates(
    node: Node, aspect: str, ref: Shape, shape: Shape, changes_it: bool
) -> list[tuple[int, dict[str, Any]]]:
    """Parameter changes worth trying on ``node``, as (cost, {param: value}); padding 'same' costs least.

    ``changes_it``: the node changes ``aspect`` now (otherwise only a new stride can help).
    """
    p = node.params
    if aspect == CHANNELS:
        return [(0, {name: ref[0]}) for name in _SETTERS if name in p and p[name] != ref[0]]
    if aspect == RANK:
        return [(1, {"flatten": not p["flatten"]})] if "flatten" in p else []
    out: list[tuple[int, dict[str, Any]]] = []
    pad = p.get("padding")
    if changes_it:
        if pad is not None and pad != "same":
            out.append((0, {"padding": "same"}))
        if "pool_padding" in p and p["pool_padding"] != "same":
            out.append((0, {"pool_padding": "same"}))
        if "ceil_mode" in p:
            out.append((1, {"ceil_mode": not p["ceil_mode"]}))
        if pad is not None and pad != "valid":
            out.append((2, {"padding": "valid"}))
        if pad is not None and "kernel_size" in p:
            k = max(as_pair(p["kernel_size"]))
            out.extend((2, {"padding": n}) for n in range(1, k // 2 + 1) if n != pad)
        for name in ("stride", "pool_stride"):
            if name in p and p[name] not in (1, [1, 1]):
                out.append((3, {name: 1}))
                if name == "stride" and pad is not None and pad != "same":
                    out.append((4, {name: 1, "padding": "same"}))
    if "stride" in p and len(shape) == 3 and len(ref) == 3:
        # The stride that takes this node's input to the reference size (rounded either way).
        for pair in {(-(-shape[1] // ref[1]), -(-shape[2] // ref[2])), (shape[1] // ref[1], shape[2] // ref[2])}:
            stride: Any = pair[0] if pair[0] == pair[1] else list(pair)
            if min(pair) < 1 or stride in (1, [1, 1], p["stride"]):
                continue
            out.append((5, {"stride": stride}))
            if pad is not None and pad != "same":
                out.append((5, {"stride": stride, "padding": "same"}))
    return out


# --------------------------------------------------------------------------- the diagnostics
def _groups(ctx: _Context) -> list[list[int]]:
    """Input indices grouped by what the merge compares, in order of first appearance."""
    ins = ctx.ins
    if ctx.concat:
        keys: list[Any] = [len(s) for s in ins] if len({len(s) for s in ins}) > 1 else [s[1:] for s in ins]
    else:
        keys = list(ins)
    groups: dict[Any, list[int]] = {}
    for i, k in enumerate(keys):
        groups.setdefault(k, []).append(i)
    return list(groups.values())


def _choose(ctx: _Context) -> tuple[list[int], list[_Blame]]:
    """The reference group (the largest; on a tie, the one whose outsiders are easiest to blame
    and fix) and the verdict on every input outside it."""
    groups = _groups(ctx)
    top = max(len(g) for g in groups)
    best: tuple[tuple[int, ...], list[int], list[_Blame]] | None = None
    for order, group in enumerate(g for g in groups if len(g) == top):
        ref = ctx.ins[group[0]]
        shared = ctx.upstream({ctx.edges[j].src for j in group})
        blames = [ctx.analyse(i, ref, shared) for i in range(len(ctx.ins)) if i not in group]
        score = (
            sum(c is None for b in blames for c in b.causes.values()),
            sum(b.cost == _NO_FIX for b in blames),
            sum(b.cost for b in blames),
            order,
        )
        if best is None or score < best[0]:
            best = (score, group, blames)
        if score[:3] == (0, 0, 0):
            break  # blamed and fixed with padding 'same': nothing simpler to find
    assert best is not None
    return best[1], best[2]


def _fix_label(doc: GraphDocument, changes: Changes) -> str:
    """'Set padding of 'b1' to 'same'', 'Set stride of 'c' to 1, padding to 'same' and out_channels to 8'."""
    parts = []
    for nid, values in changes.items():
        for n, (name, value) in enumerate(values.items()):
            parts.append(f"{name} of {doc.nodes[nid].name!r} to {value!r}" if n == 0 else f"{name} to {value!r}")
    return "Set " + (", ".join(parts[:-1]) + " and " if len(parts) > 1 else "") + parts[-1]


def _plain_infer(ntype: Any, params: dict[str, Any], ins: list[Shape]) -> tuple[Shape, Any]:
    return ntype.infer(params, ins)


def _names(names: list[str]) -> str:
    """'a', 'a' and 'b', 'a', 'b' and 'c', 'a', 'b', 'c' and 2 more."""
    if len(names) > 3:
        return f"{', '.join(names[:3])} and {len(names) - 3} more"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def merge_diagnostics(
    doc: GraphDocument,
    rep: Report,
    merge: Node,
    *,
    spatial: bool | None = None,
    infer: Infer = _plain_infer,
) -> list[Diagnostic]:
    """One error per input of ``merge`` that disagrees with the others (code ``merge-mismatch``).

    ``spatial``: the merge compares H x W only (a concat; by default, when the merge is a
    concat). ``infer`` infers one node (validation passes its memoised version).

    Each diagnostic's ``node_id`` is the merge, ``edge_ids`` the disagreeing input's edge,
    ``cause_id`` the node on that input's branch that changed what differs (None when none
    there changes it) and ``fix`` a change verified to make that input agree.
    """
    ctx = _Context(doc, rep, merge, infer, merge.type.type_id == "concat" if spatial is None else spatial)
    group, blames = _choose(ctx)
    ins, edges, nodes = ctx.ins, ctx.edges, doc.nodes
    ref = ins[group[0]]
    many = len(group) > 1
    others = f"but {_names([repr(nodes[edges[j].src].name) for j in group])} {'are' if many else 'is'}"
    out = []
    for b in blames:
        edge, bad = edges[b.index], ins[b.index]
        src = nodes[edge.src]
        head = f"{merge.name!r}: input {b.index} from {src.name!r} is"
        if b.aspects == [RANK]:
            theirs = ("vectors" if len(ref) == 1 else "feature maps") if many else _described(ref)
            msg = f"{head} {_described(bad)}, {others} {theirs}"
        elif ctx.concat:
            msg = f"{head} {fmt_size(bad)} (H x W), {others} {fmt_size(ref)}"
        elif len(bad) == 3:
            msg = f"{head} {fmt_dims(bad)} (C x H x W), {others} {fmt_dims(ref)}"
        else:
            msg = f"{head} {_described(bad)}, {others} {_described(ref)}"
        clauses = []
        for cid in b.blamed:
            cause = nodes[cid]
            before, after = rep.in_shapes[cid][0], rep.shapes[cid]
            assert after is not None
            if [a for a, c in b.causes.items() if c == cid] == [CHANNELS] and before[0] == after[0]:
                how = f"sets {after[0]} {'channels' if len(after) == 3 else 'features'}"  # as many as it was given
            else:
                size_only = ctx.concat and b.aspects == [HW]
                how = f"turns {_clause_shape(before, size_only)} into {_clause_shape(after, size_only)}"
            clauses.append(f"{cause.name!r} ({cause.type.summary(cause.params)}) {how}")
        if clauses:
            msg += ". Cause: " + ", and ".join(clauses)
        missing = [_WHAT[a] for a, c in b.causes.items() if c is None]
        if missing:
            msg += "; no node on its branch " + " or ".join(missing)
        changes = tuple((nid, name, v) for nid, values in b.changes.items() for name, v in values.items())
        blamed = b.blamed
        out.append(
            Diagnostic(
                Severity.ERROR,
                "merge-mismatch",
                msg,
                merge.id,
                "in",
                edge_ids=(edge.id,),
                cause_id=blamed[0] if blamed else None,
                fix=Fix(_fix_label(doc, b.changes), changes) if changes else None,
                related=tuple(dict.fromkeys((src.id, *blamed[1:]))),
            )
        )
    return out
