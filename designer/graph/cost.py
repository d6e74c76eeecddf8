"""Cost figures per node, per group and in total.

Parameters are counted as torch counts them (``sum(p.numel())``: conv/linear weights
and biases, BatchNorm weight and bias; running statistics are buffers). MACs are
multiply-accumulates per image for conv and linear layers only, biases and BatchNorm
not counted (see REFERENCE.md). Activation memory is the number of output elements
of every layer inside a node, times 4 bytes (fp32), for one image. The receptive
field is the size, in input pixels, of the window one output element sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .document import GraphDocument
from .validate import Report, validate

__all__ = ["NodeCost", "Totals", "CostReport", "compute_costs", "fmt_count"]


@dataclass(frozen=True)
class NodeCost:
    params: int = 0
    macs: int = 0
    #: Output elements of every layer inside the node (one image).
    activations: int = 0
    #: Receptive field (h, w) of one output element, in input pixels.
    rf: tuple[int, int] = (1, 1)
    #: Distance in input pixels between neighbouring outputs (the product of strides).
    jump: tuple[int, int] = (1, 1)


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


def compute_costs(doc: GraphDocument, report: Report | None = None) -> CostReport:
    """Costs of every node whose shape is known (run :func:`validate` first, or let this do it)."""
    rep = report if report is not None and report.revision == doc.revision else validate(doc)
    out = CostReport()
    rfs: dict[str, tuple[int, int, int, int]] = {}
    for nid in rep.order:
        if nid not in rep.steps:
            continue
        ins = [rfs[e.src] for e in doc.in_edges(nid) if e.src in rfs]
        rh, rw, jh, jw = (
            (max(r[0] for r in ins), max(r[1] for r in ins), max(r[2] for r in ins), max(r[3] for r in ins))
            if ins
            else (1, 1, 1, 1)
        )
        params = macs = acts = 0
        for step in rep.steps[nid]:
            layer = step.layer
            params += layer.params()
            macs += layer.macs(step.in_shape, step.out_shape)
            n = 1
            for d in step.out_shape:
                n *= d
            acts += n
            kh, kw, sh, sw = layer.rf(step.in_shape)
            rh, rw = rh + (kh - 1) * jh, rw + (kw - 1) * jw
            jh, jw = jh * sh, jw * sw
        if not rep.steps[nid]:  # merges and inputs: their output is one tensor
            shape = rep.shapes[nid]
            n = 1
            for d in shape or ():
                n *= d
            acts = n
        rfs[nid] = (rh, rw, jh, jw)
        cost = NodeCost(params, macs, acts, (rh, rw), (jh, jw))
        out.nodes[nid] = cost
        if not rep.model or nid in rep.model:  # dead ends are not part of the model
            out.total.add(cost)
        if nid in rep.main:
            out.inference.add(cost)
    for gid, group in doc.groups.items():
        t = Totals()
        for nid in group.node_ids:
            if nid in out.nodes:
                t.add(out.nodes[nid])
        out.groups[gid] = t
    return out


def fmt_count(n: float) -> str:
    """``12_443_648 -> '12.4M'``, ``163_696 -> '164K'``, ``950 -> '950'``."""
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= div:
            v = n / div
            return f"{v:.3g}{suffix}" if v < 100 else f"{v:.0f}{suffix}"
    return f"{n:g}"
