"""Cost figures per node, per group and in total.

Parameters are counted as torch counts them (``sum(p.numel())``: conv/linear weights
and biases, BatchNorm weight and bias; running statistics are buffers). MACs are
multiply-accumulates per image for conv and linear layers only, biases and BatchNorm
not counted (the convention of the published figures the tests check). Activation memory is the number of output elements
of every layer inside a node, times 4 bytes (fp32), for one image.

The receptive field is the size, in input pixels, of the window one output element sees
(height, width), exact as long as it is smaller than the input. A window at least as large as
the input is reported as the input's size, with ``rf_capped`` set for that dimension: the
figure is then a lower bound, and "the node sees as far as the whole input" is all there is
to say about a larger one. Uncapped, it would grow without bound: every stride-2 layer doubles
the distance between neighbouring outputs (the ``jump``), so a long chain of strided pools,
which stays valid at 1 x 1, reaches numbers with thousands of digits (more than Python prints
or JSON carries). The jump is capped at the input's size in the same way; both caps leave
every receptive field below the input's size exact. With several Input nodes, the largest
height and width count.

After parameter edits the previous costs of the document are updated: the nodes whose layers
changed and those their receptive field reaches, the totals by difference (see
:func:`designer.graph.validate.validate`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .document import GraphDocument
from .registry import Step
from .validate import Delta, Report, Worklist, few, gc_paused, tracked, validate

__all__ = ["NodeCost", "Totals", "CostReport", "compute_costs", "fmt_count"]


@dataclass(frozen=True)
class NodeCost:
    params: int = 0
    macs: int = 0
    #: Output elements of every layer inside the node (one image).
    activations: int = 0
    #: Receptive field (h, w) of one output element, in input pixels, at most the input's size.
    rf: tuple[int, int] = (1, 1)
    #: Distance in input pixels between neighbouring outputs (the product of strides), at most
    #: the input's size.
    jump: tuple[int, int] = (1, 1)
    #: Per dimension: the receptive field reaches the input's size (``rf`` is then that size, and
    #: the true figure at least that). See the module docstring.
    rf_capped: tuple[bool, bool] = (False, False)


@dataclass
class Totals:
    params: int = 0
    macs: int = 0
    activations: int = 0

    def add(self, c: NodeCost) -> None:
        self.params += c.params
        self.macs += c.macs
        self.activations += c.activations

    @property
    def activation_bytes(self) -> int:
        return 4 * self.activations


@dataclass
class CostReport:
    nodes: dict[str, NodeCost] = field(default_factory=dict)
    #: Everything that trains, aux heads included (nodes that reach no head are left out).
    total: Totals = field(default_factory=Totals)
    #: The inference graph only (what feeds the main output; aux heads dropped).
    inference: Totals = field(default_factory=Totals)
    groups: dict[str, Totals] = field(default_factory=dict)

    @property
    def aux_params(self) -> int:
        return self.total.params - self.inference.params

    def share(self, node_id: str) -> float:
        """The node's share of the inference MACs (0..1)."""
        macs = self.inference.macs
        return self.nodes[node_id].macs / macs if macs else 0.0


#: Per-node figures by the (immutable, shared) steps tuple of a validation report; the tuple is
#: kept in the entry, so its ``id`` cannot be reused while the entry lives.
_FIGURES: dict[int, tuple[tuple[Step, ...], tuple[int, int, int, int, int, int, int], dict[Any, NodeCost]]] = {}
_FIGURES_SIZE = 16_384


def _figures(steps: Sequence[Step]) -> tuple[tuple[int, int, int, int, int, int, int], dict[Any, NodeCost]]:
    """``(params, macs, activations, rf_h, rf_w, stride_h, stride_w)`` of a node's layers.

    ``rf_*`` is how much the node widens the receptive field in units of its input's jump,
    ``stride_*`` how much it multiplies the jump: an input with receptive field ``r`` and
    jump ``j`` gives ``r + j * rf`` and ``j * stride``. The dict holds the node's finished
    :class:`NodeCost` by input receptive field, so identical nodes share one object.
    """
    entry = _FIGURES.get(id(steps))
    if entry is not None and entry[0] is steps:
        return entry[1], entry[2]
    params = macs = acts = 0
    ah = aw = 0
    sh = sw = 1
    for step in steps:
        layer = step.layer
        params += layer.params()
        macs += layer.macs(step.in_shape, step.out_shape)
        acts += layer.elements(step.out_shape)
        kh, kw, lh, lw = layer.rf(step.in_shape)
        ah, aw = ah + (kh - 1) * sh, aw + (kw - 1) * sw
        sh, sw = sh * lh, sw * lw
    figures = (params, macs, acts, ah, aw, sh, sw)
    done: dict[Any, NodeCost] = {}
    if isinstance(steps, tuple):
        if len(_FIGURES) >= _FIGURES_SIZE:
            _FIGURES.clear()
        _FIGURES[id(steps)] = (steps, figures, done)
    return figures, done


@dataclass(eq=False)
class _Kept:
    """What :func:`compute_costs` keeps of its last result on a document (see ``Tracked``)."""

    serial: int  # the report's (its Delta's serial)
    costs: CostReport
    rfs: dict[str, tuple[int, int, int, int]]
    extent: tuple[int, int]
    #: The groups of each grouped node (made on the first update; groups changed: a full run).
    groups_of: dict[str, list[str]] | None = None


@gc_paused
def compute_costs(doc: GraphDocument, report: Report | None = None) -> CostReport:
    """Costs of every node whose shape is known (run :func:`validate` first, or let this do it).

    When ``report`` was updated from the report of this document's previous costs (see
    :func:`validate`), only the nodes it touched and those their receptive field reaches are
    counted again; the totals are updated by difference. The result is the same.
    """
    rep = report if report is not None and report.revision == doc.revision else validate(doc)
    delta = rep.delta
    if delta is None:  # validated with bindings (a definition for one instance)
        return _costs(doc, rep, None)
    t = tracked(doc)
    kept: _Kept | None = t.costs
    if kept is not None and kept.serial == delta.serial:  # asked again for the same report
        prev = kept.costs
        return CostReport(dict(prev.nodes), replace(prev.total), replace(prev.inference), dict(prev.groups))
    if (
        kept is not None
        and delta.base == kept.serial
        and not delta.groups
        and few(len(delta.touched), len(rep.order))
        and _extent(rep, delta.inputs) == kept.extent
    ):
        kept = _update(doc, rep, delta, kept)
    else:
        rfs: dict[str, tuple[int, int, int, int]] = {}
        kept = _Kept(delta.serial, _costs(doc, rep, rfs), rfs, _extent(rep, delta.inputs))
    t.costs = kept
    return kept.costs


def _node_cost(
    rep: Report,
    nid: str,
    steps: tuple[Step, ...],
    ins: list[tuple[int, int, int, int]],
    ch: int,
    cw: int,
) -> tuple[NodeCost, tuple[int, int, int, int]]:
    """One node's costs (with its layers ``steps``) and receptive field, from its inputs' fields."""
    if len(ins) == 1:
        rh, rw, jh, jw = ins[0]
    elif ins:  # the widest input decides
        rh, rw = max(r[0] for r in ins), max(r[1] for r in ins)
        jh, jw = max(r[2] for r in ins), max(r[3] for r in ins)
    else:
        rh = rw = jh = jw = 1
    (params, macs, acts, ah, aw, sh, sw), done = _figures(steps)
    if not steps:  # merges and inputs: their output is one tensor
        acts = 1
        for d in rep.shapes[nid] or ():
            acts *= d
    # Capped at the input's size (see the module docstring): exact below it, never unbounded.
    rh, rw = min(rh + ah * jh, ch), min(rw + aw * jw, cw)
    jh, jw = min(jh * sh, ch), min(jw * sw, cw)
    key = (rh, rw, jh, jw, ch, cw)
    cost = done.get(key) if steps else None
    if cost is None:
        cost = NodeCost(params, macs, acts, (rh, rw), (jh, jw), (rh >= ch, rw >= cw))
        if steps:
            done[key] = cost
    return cost, (rh, rw, jh, jw)


def _costs(doc: GraphDocument, rep: Report, rfs: dict[str, tuple[int, int, int, int]] | None) -> CostReport:
    """Every node's costs (fills ``rfs`` with the receptive fields when given)."""
    out = CostReport()
    nodes = out.nodes
    rfs = {} if rfs is None else rfs
    preds = doc.pred  # networkx-layout predecessor dicts, read only (faster than networkx's views)
    counted = rep.model or None  # dead ends are not part of the model
    main = rep.main
    ch, cw = _input_extent(doc, rep) if rep.delta is None else _extent(rep, rep.delta.inputs)
    tp = tm = ta = ip = im = ia = 0
    for nid in rep.order:
        steps = rep.steps.get(nid)
        if steps is None:
            continue
        cost, rfs[nid] = _node_cost(rep, nid, steps, [rfs[src] for src in preds[nid] if src in rfs], ch, cw)
        nodes[nid] = cost
        if counted is None or nid in counted:
            tp, tm, ta = tp + cost.params, tm + cost.macs, ta + cost.activations
        if nid in main:
            ip, im, ia = ip + cost.params, im + cost.macs, ia + cost.activations
    out.total = Totals(tp, tm, ta)
    out.inference = Totals(ip, im, ia)
    for gid, group in doc.groups.items():
        t = Totals()
        for nid in group.node_ids:
            if nid in nodes:
                t.add(nodes[nid])
        out.groups[gid] = t
    return out


def _update(doc: GraphDocument, rep: Report, delta: Delta, kept: _Kept) -> _Kept:
    """``kept.costs`` brought up to date for ``rep`` (which ``validate`` updated from its report).

    Nodes whose figures did not change keep their :class:`NodeCost` (and groups their
    :class:`Totals`) objects: shared with the previous result, like the steps of reports.
    """
    prev = kept.costs
    out = CostReport()
    nodes = out.nodes = dict(prev.nodes)
    rfs = dict(kept.rfs)
    out.groups = dict(prev.groups)
    groups_of = kept.groups_of
    new = _Kept(delta.serial, out, rfs, kept.extent, groups_of)
    if not delta.touched:
        out.total, out.inference = replace(prev.total), replace(prev.inference)
        return new
    preds, succ = doc.pred, doc.succ
    counted = rep.model or None
    main = rep.main
    ch, cw = kept.extent
    pos = delta.pos
    t, i = prev.total, prev.inference
    tp, tm, ta, ip, im, ia = t.params, t.macs, t.activations, i.params, i.macs, i.activations
    work = Worklist(pos, rep.order, delta.touched)
    changed: set[str] = set()
    for nid in work:
        old, old_rf = nodes.get(nid), rfs.get(nid)
        steps = rep.steps.get(nid)
        if steps is None:
            cost = rf = None
            nodes.pop(nid, None)
            rfs.pop(nid, None)
        else:
            cost, rf = _node_cost(rep, nid, steps, [rfs[src] for src in preds[nid] if src in rfs], ch, cw)
            nodes[nid], rfs[nid] = cost, rf
        if cost is not old and cost != old:
            changed.add(nid)
            if counted is None or nid in counted:
                if old is not None:
                    tp, tm, ta = tp - old.params, tm - old.macs, ta - old.activations
                if cost is not None:
                    tp, tm, ta = tp + cost.params, tm + cost.macs, ta + cost.activations
            if nid in main:
                if old is not None:
                    ip, im, ia = ip - old.params, im - old.macs, ia - old.activations
                if cost is not None:
                    ip, im, ia = ip + cost.params, im + cost.macs, ia + cost.activations
        if rf != old_rf:
            for child in succ[nid]:
                work.push(child)
    out.total = Totals(tp, tm, ta)
    out.inference = Totals(ip, im, ia)
    if changed and doc.groups:
        if groups_of is None:
            groups_of = new.groups_of = {}
            for gid, group in doc.groups.items():
                for nid in group.node_ids:
                    groups_of.setdefault(nid, []).append(gid)
        for gid in {gid for nid in changed for gid in groups_of.get(nid, ())}:
            g = Totals()
            for nid in doc.groups[gid].node_ids:
                if nid in nodes:
                    g.add(nodes[nid])
            out.groups[gid] = g
    if any(nid not in prev.nodes for nid in changed):  # a node counted again: in topological order
        out.nodes = {nid: nodes[nid] for nid in rep.order if nid in nodes}
    return new


def _extent(rep: Report, inputs: tuple[str, ...]) -> tuple[int, int]:
    h = w = 1
    for nid in inputs:
        shape = rep.shapes.get(nid)
        if shape is not None and len(shape) == 3:
            h, w = max(h, shape[1]), max(w, shape[2])
    return h, w


def _input_extent(doc: GraphDocument, rep: Report) -> tuple[int, int]:
    """The largest height and width of the design's inputs (where receptive fields are capped)."""
    h = w = 1
    for nid, node in doc.nodes.items():
        shape = rep.shapes.get(nid)
        if node.type.role == "input" and shape is not None and len(shape) == 3:
            h, w = max(h, shape[1]), max(w, shape[2])
    return h, w


def fmt_count(n: float) -> str:
    """``12_443_648 -> '12.4M'``, ``163_696 -> '164K'``, ``950 -> '950'``."""
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= div:
            v = n / div
            return f"{v:.3g}{suffix}" if v < 100 else f"{v:.0f}{suffix}"
    return f"{n:g}"
