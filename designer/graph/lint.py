"""Design advice from the Inception papers, as informational diagnostics.

Validation says what is wrong; lint says what could be better, with the figures:

* **bottleneck** -- a k x k conv (k >= 3) reading many channels costs
  ``H*W*C_out*C_in*k*k`` MACs; a 1x1 reduction to ``C_out / 2`` channels first (the
  Inception module's trick) costs ``H*W*r*(C_in + C_out*k*k)``. On the card's module:
  192 -> 32 with a 5x5 is 120.4M MACs, through a 1x1 to 16 it is 12.4M (9.7x fewer).
* **factorize** -- a 5x5 is two stacked 3x3 with the same receptive field (28% fewer
  MACs when the channels stay the same; the message gives this layer's figure), a 7x7
  is 1x7 then 7x1 (Inception v3, section 3).
* **bias-before-bn** -- a conv bias followed by BatchNorm is cancelled by the BN's
  mean subtraction: wasted parameters. Fix: turn the bias off.
* **dropout-with-bn**, **lrn-with-bn** -- a Dropout or LRN node right next to a
  BatchNorm (only activations between): Inception v2, the BatchNorm paper, removed both
  (BN regularizes, and LRN was "not necessary"). Fix for dropout: probability 0, which
  makes the node an identity; LRN has no such setting (delete the node). Without BN
  (GoogLeNet v1 has LRN and dropout) nothing is said.
* **representational-bottleneck** -- a strided pool whose output a conv (or the concat of
  the module it feeds) then widens at least 2x in channels: the pool squeezed the
  representation first (Inception v3, section 2; figure 9, left). The message gives the
  shapes and proposes v3's grid reduction: a stride-2 conv with the extra channels,
  concatenated with the stride-2 pool (figure 10). No fix: that is a new branch. A pool
  that is one branch of such a reduction (v3's Mixed_6a) is the remedy, not the problem;
  GoogLeNet's and v3's own pool-then-module steps widen 1.1-1.7x and are not flagged.
* **aux-heads** -- a design at least ``AUX_DEPTH`` conv/linear layers deep on its longest
  path, with no aux head and no residual Add: GoogLeNet (22 deep) adds heads at about 1/3
  and 2/3 of its depth, loss weight 0.3. The message names the module outputs nearest
  those depths that every path passes and where a default Aux head fits. No fix (new nodes).
  Residual designs (Inception-ResNet, Xception) train deep without heads: nothing said.
* **unused** -- a node whose output nothing uses (it reaches neither the output nor an
  aux head): how many nodes are left out of the model with it, and their parameters and
  MACs (validation warns about each such node; this names the end of the dead chain).
* **receptive-field** -- the classifier's input (the last feature map) sees less than the
  whole input: each of its positions covers ``rf`` pixels of the ``H x W`` input (only
  with an Output node: a lone module is a part of a network).
* **input-sizes** -- some input sizes near the design's break it (a concat whose branches
  round odd sizes differently), or the design fails at its own size but works at others;
  see :mod:`designer.graph.input_sizes`. On the Input node.

``lint(doc, report, costs=...)`` is pure, like ``validate`` (``costs`` saves computing the
receptive fields again); the UI shows its advice in the Problems panel under the errors
and warnings. Like ``validate`` it updates its previous advice on the document after
parameter edits (per-node advice of the nodes the edit reached, the pools whose module search
reaches one of them, the depths below a node whose layers changed); what depends on the
structure alone is kept. The advice is the same as from scratch.
"""

from __future__ import annotations

from . import registry
from .blame import reaching
from .cost import CostReport, compute_costs, fmt_count
from .diagnostics import Diagnostic, Fix, Severity
from .document import GraphDocument
from .input_sizes import analyse_input_sizes
from .layers import Act, BatchNorm, Conv2d, Linear
from .params import ParamError
from .registry import Step
from .shapes import ShapeError, fmt_shape
from .validate import Delta, Report, Worklist, tracked, validate

__all__ = ["lint", "AUX_DEPTH", "MIN_EXPANSION", "MIN_SAVING"]

#: Advice is given only when the change would at least halve the layer's MACs.
MIN_SAVING = 2.0
#: A pool followed by this much channel growth is a representational bottleneck (v3's figure 9: 2x).
MIN_EXPANSION = 2.0
#: Conv and linear layers on the longest path from which a design without aux heads gets the advice.
AUX_DEPTH = 16


def lint(doc: GraphDocument, report: Report | None = None, *, costs: CostReport | None = None) -> list[Diagnostic]:
    """Design advice for ``doc`` (``report`` and ``costs``: its validation and costs, when at hand).

    When ``report`` was updated from the report of this document's previous advice (see
    :func:`validate`), per-node advice is asked again only of the nodes the edit can change
    (the edited ones, those whose shapes or layers changed, and the pools whose module those
    reach); what depends on the structure alone is kept. The advice is the same.
    """
    rep = report if report is not None and report.revision == doc.revision else validate(doc)
    delta = rep.delta
    t = tracked(doc) if delta is not None else None
    kept: _Kept | None = t.lint if t is not None else None
    if kept is not None and delta is not None and kept.serial == delta.serial:
        return list(kept.advice)  # asked again for the same report
    if kept is None or delta is None or delta.base != kept.serial:
        kept = _Kept.full(doc, rep)
    else:
        kept = kept.update(doc, rep, delta)
    out = [d for ds in kept.layer.values() for d in ds]
    out += _next_to_bn(doc, rep, kept.bn_candidates)
    out += [kept.pools[nid] for nid in kept.pool_order if nid in kept.pools]
    out += kept.aux_advice(doc, rep)
    out += _unused(doc, rep, kept.unused)
    out += _receptive_field(doc, rep, costs, kept.inputs)
    out += _input_sizes(doc, rep)
    if t is not None and delta is not None:
        kept.advice = out
        t.lint = kept
    return list(out)


class _Kept:
    """What :func:`lint` keeps between analyses of one document: advice by node, and what depends
    on the structure alone (valid while ``validate`` updates its reports incrementally)."""

    def __init__(self, serial: int | None) -> None:
        self.serial = serial
        self.advice: list[Diagnostic] = []
        #: Advice of :func:`_layer_node` by node, in topological order (nodes without advice left out).
        self.layer: dict[str, list[Diagnostic]] = {}
        self.bn_candidates: list[str] = []
        #: Every pool (document order) and the advice of those that have some.
        self.pool_order: list[str] = []
        self.pools: dict[str, Diagnostic] = {}
        self.unused: list[tuple[str, set[str]]] = []
        self.inputs: tuple[str, ...] = ()
        self.pos: dict[str, int] = {}
        self.aux: _Aux | None = None

    @classmethod
    def full(cls, doc: GraphDocument, rep: Report) -> _Kept:
        delta = rep.delta
        k = cls(delta.serial if delta is not None else None)
        k.pos = delta.pos if delta is not None else {nid: i for i, nid in enumerate(rep.order)}
        k.inputs = (
            delta.inputs if delta is not None else tuple(nid for nid, n in doc.nodes.items() if n.type.role == "input")
        )
        for nid in rep.order:
            steps = rep.steps.get(nid)
            if steps is not None:
                advice = _layer_node(doc, rep, nid, steps)
                if advice:
                    k.layer[nid] = advice
        nodes = doc.nodes
        k.bn_candidates = [nid for nid, n in nodes.items() if n.type_id in ("dropout", "lrn")]
        k.pool_order = [nid for nid, n in nodes.items() if n.type_id == "pool"]
        for nid in k.pool_order:
            d = _pool_bottleneck(doc, rep, nid)
            if d is not None:
                k.pools[nid] = d
        used = rep.model
        if used:
            preds = doc.pred
            k.unused = [
                (nid, reaching(preds, [nid], used) - used)
                for nid, n in nodes.items()
                if nid not in used and not doc.succ[nid] and n.type.role not in ("output", "aux")
            ]
        k.aux = _Aux.make(doc, rep)
        return k

    def update(self, doc: GraphDocument, rep: Report, delta: Delta) -> _Kept:
        """The advice kept for the previous report, brought up to date for ``rep``."""
        k = _Kept(delta.serial)
        k.pos, k.inputs = self.pos, self.inputs
        k.bn_candidates, k.pool_order, k.unused = self.bn_candidates, self.pool_order, self.unused
        k.layer, k.pools = self.layer, self.pools
        k.aux = self.aux.update(doc, rep, delta) if self.aux is not None else None
        changed = delta.touched | delta.dirty
        if not changed:
            return k
        succ = doc.succ
        # Layer advice: the nodes changed, and the convs below an edited node (a 1x1 above is a bottleneck).
        again = set(changed)
        for nid in delta.dirty:
            again.update(succ[nid])
        layer = k.layer = dict(self.layer)
        added = False
        for nid in again:
            steps = rep.steps.get(nid)
            advice = _layer_node(doc, rep, nid, steps) if steps is not None else []
            if advice:
                added = added or nid not in layer
                layer[nid] = advice
            else:
                layer.pop(nid, None)
        if added:
            pos = k.pos
            k.layer = {nid: layer[nid] for nid in sorted(layer, key=pos.__getitem__)}
        # Pool advice: the pools whose module search (or direct consumers) reaches a changed node.
        if self.pool_order:
            pools = k.pools = dict(self.pools)
            for nid in _pools_reaching(doc, changed):
                d = _pool_bottleneck(doc, rep, nid)
                if d is None:
                    pools.pop(nid, None)
                else:
                    pools[nid] = d
        return k

    def aux_advice(self, doc: GraphDocument, rep: Report) -> list[Diagnostic]:
        return self.aux.advice(doc, rep) if self.aux is not None else []


def _layer_node(doc: GraphDocument, rep: Report, nid: str, steps: tuple[Step, ...]) -> list[Diagnostic]:
    """bottleneck, factorize, bias-before-bn of one node (with layers ``steps``)."""
    out: list[Diagnostic] = []
    node = doc.nodes[nid]
    convs = [(i, s) for i, s in enumerate(steps) if isinstance(s.layer, Conv2d)]
    # --- bias before BatchNorm (any node type with a 'bias' param) -------------
    if node.params.get("bias") is True and any(
        isinstance(steps[i + 1].layer, BatchNorm) for i, _ in convs if i + 1 < len(steps)
    ):
        out.append(
            Diagnostic(
                Severity.INFO,
                "bias-before-bn",
                f"{node.name!r}: the conv bias is cancelled by the BatchNorm that follows; turning it off saves "
                f"{sum(s.layer.out_channels for _, s in convs if s.layer.bias):,} parameters",
                nid,
                param="bias",
                fix=Fix(f"Turn off the bias of {node.name!r}", ((nid, "bias", False),)),
            )
        )
    if node.type_id not in ("conv", "branch") or not convs:
        return out
    # --- missing bottleneck ----------------------------------------------------
    _, step = convs[-1]
    conv: Conv2d = step.layer  # type: ignore[assignment]
    kh, kw = conv.kernel
    reduced = node.type_id == "branch" and node.params["reduce_channels"] > 0
    if node.type_id == "conv":
        parent = doc.in_edges(nid)[0].src if doc.in_edges(nid) else None
        pnode = doc.nodes.get(parent) if parent else None
        reduced = pnode is not None and pnode.type_id == "conv" and pnode.params["kernel_size"] in (1, [1, 1])
    if kh * kw >= 9 and conv.groups == 1 and not reduced and conv.in_channels >= 64:
        r = max(conv.out_channels // 2, 1)
        _, oh, ow = step.out_shape
        macs_now = conv.macs(step.in_shape, step.out_shape)
        macs_bn = oh * ow * r * conv.in_channels + oh * ow * r * conv.out_channels * kh * kw
        if r < conv.in_channels and macs_now >= MIN_SAVING * macs_bn:
            out.append(
                Diagnostic(
                    Severity.INFO,
                    "bottleneck",
                    f"{node.name!r}: this {kh}x{kw} conv reads {conv.in_channels} channels and costs "
                    f"{fmt_count(macs_now)} MACs; a 1x1 bottleneck to {r} channels first would cost "
                    f"{fmt_count(macs_bn)} ({macs_now / macs_bn:.1f}x fewer), as in the Inception module",
                    nid,
                    fix=Fix(f"Add a 1x1 reduction to {r} channels in {node.name!r}", ((nid, "reduce_channels", r),))
                    if node.type_id == "branch"
                    else None,
                )
            )
    # --- factorization ---------------------------------------------------------
    if kh == kw and kh >= 5 and (node.type_id != "branch" or node.params["factorize"] == "none"):
        c_in, c_out = conv.in_channels // conv.groups, conv.out_channels
        if kh == 5:
            alt, how = 9 * c_in * c_out + 9 * c_out * c_out, "two stacked 3x3 convs"
            choice = "stacked 3x3"
        else:
            alt, how = kh * c_in * c_out + kh * c_out * c_out, f"a 1x{kh} then a {kh}x1 conv"
            choice = "asymmetric"
        full = kh * kw * c_in * c_out
        if alt < full:
            out.append(
                Diagnostic(
                    Severity.INFO,
                    "factorize",
                    f"{node.name!r}: a {kh}x{kw} conv can be factorized into {how} with the same receptive "
                    f"field and {100 * (1 - alt / full):.0f}% fewer MACs (Inception v3)",
                    nid,
                    fix=Fix(f"Factorize {node.name!r} ({choice})", ((nid, "factorize", choice),))
                    if node.type_id == "branch"
                    else None,
                )
            )
    return out


# --------------------------------------------------------------------------- helpers
def _steps_of(rep: Report, nid: str) -> tuple[Step, ...]:
    return rep.steps.get(nid, ())


def _last_layer(rep: Report, nid: str) -> object | None:
    """The last layer of a node that is not an activation."""
    for step in reversed(_steps_of(rep, nid)):
        if not isinstance(step.layer, Act):
            return step.layer
    return None


def _first_layer(rep: Report, nid: str) -> object | None:
    steps = _steps_of(rep, nid)
    return steps[0].layer if steps else None


def _through_acts(doc: GraphDocument, nid: str, up: bool) -> list[str]:
    """The nodes next to ``nid`` (its input, or its consumers), looking past Activation nodes."""
    out: list[str] = []
    stack = [e.src for e in doc.in_edges(nid)] if up else [e.dst for e in doc.out_edges(nid)]
    seen: set[str] = set()
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        if doc.nodes[n].type_id == "activation":
            stack.extend(e.src for e in doc.in_edges(n)) if up else stack.extend(e.dst for e in doc.out_edges(n))
        else:
            out.append(n)
    return out


# --------------------------------------------------------------------------- dropout / LRN next to BN
def _next_to_bn(doc: GraphDocument, rep: Report, candidates: list[str]) -> list[Diagnostic]:
    """``candidates``: the Dropout and LRN nodes, in document order."""
    out: list[Diagnostic] = []
    for nid in candidates:
        node = doc.nodes[nid]
        if nid not in rep.steps:
            continue
        if node.type_id == "dropout" and node.params["p"] == 0:
            continue  # already does nothing
        before = [n for n in _through_acts(doc, nid, True) if isinstance(_last_layer(rep, n), BatchNorm)]
        after = [n for n in _through_acts(doc, nid, False) if isinstance(_first_layer(rep, n), BatchNorm)]
        if not before and not after:
            continue
        bn = before[0] if before else after[0]
        where = f"right {'after' if before else 'before'} the BatchNorm of {doc.nodes[bn].name!r}"
        shape = fmt_shape(rep.shapes[nid])
        if node.type_id == "dropout":
            p = node.params["p"]
            out.append(
                Diagnostic(
                    Severity.INFO,
                    "dropout-with-bn",
                    f"{node.name!r}: dropout (p {p:g}, on {shape}) {where}: Inception v2 (the BatchNorm paper) "
                    "removed dropout from a network with BatchNorm, which regularizes on its own, and trained "
                    "faster without it",
                    nid,
                    param="p",
                    related=(bn,),
                    fix=Fix(f"Set the drop probability of {node.name!r} to 0 (no dropout)", ((nid, "p", 0.0),)),
                )
            )
        else:
            out.append(
                Diagnostic(
                    Severity.INFO,
                    "lrn-with-bn",
                    f"{node.name!r}: local response normalization (size {node.params['size']}, on {shape}) {where}: "
                    "Inception v2 (the BatchNorm paper) found LRN unnecessary with BatchNorm and removed it; "
                    "delete this node",
                    nid,
                    related=(bn,),
                )
            )
    return out


# --------------------------------------------------------------------------- representational bottleneck
def _module_output(doc: GraphDocument, rep: Report, nid: str) -> str | None:
    """The concat that every branch from ``nid`` reaches at ``nid``'s H x W (an Inception module's output)."""
    hw = rep.shapes[nid][1:]  # type: ignore[index]
    merges: set[str] = set()
    stack, seen = [e.dst for e in doc.out_edges(nid)], set()
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        node = doc.nodes[n]
        if node.type.role == "aux":
            continue
        shape = rep.shapes.get(n)
        if shape is None or len(shape) != 3 or shape[1:] != hw:
            return None
        if node.type.role == "merge":
            merges.add(n)
            continue
        if len(seen) > 64:
            return None
        stack.extend(e.dst for e in doc.out_edges(n))
    if len(merges) != 1:
        return None
    (m,) = merges
    # The pool feeds the whole module: every input of the concat comes from it (in v3's grid
    # reduction the pool is one input and strided convs the others: that is the remedy).
    if doc.nodes[m].type_id != "concat" or any(e.src not in seen and e.src != nid for e in doc.in_edges(m)):
        return None
    return m


def _pool_bottleneck(doc: GraphDocument, rep: Report, nid: str) -> Diagnostic | None:
    """The representational-bottleneck advice of one pool (None: none)."""
    node = doc.nodes[nid]
    if nid not in rep.steps:
        return None
    before, after = rep.in_shapes[nid][0], rep.shapes[nid]
    if after is None or len(after) != 3 or after[1] * after[2] >= before[1] * before[2]:
        return None  # not a grid reduction
    c = after[0]
    # Who widens it: a conv right after, or the concat of the module the pool feeds.
    wideners = [
        (rep.shapes[e.dst][0], e.dst)  # type: ignore[index]
        for e in doc.out_edges(nid)
        if doc.nodes[e.dst].type_id in ("conv", "branch", "separable_conv")
        and rep.shapes.get(e.dst) is not None
        and len(rep.shapes[e.dst]) == 3  # type: ignore[arg-type]
    ]
    module = _module_output(doc, rep, nid)
    if module is not None:
        wideners.append((rep.shapes[module][0], module))  # type: ignore[index]
    if not wideners:
        return None
    c_out, widener = max(wideners)
    if c_out < MIN_EXPANSION * c:
        return None
    p = node.params
    k, st = p["kernel_size"], p["stride"]
    how = f"{k}x{k}/{st}" if not isinstance(k, list) and not isinstance(st, list) else "strided"
    return Diagnostic(
        Severity.INFO,
        "representational-bottleneck",
        f"{node.name!r}: this {how} {p['mode']}-pool shrinks {fmt_shape(before)} to {fmt_shape(after)} "
        f"({before[1] * before[2] / (after[1] * after[2]):.0f}x fewer values per channel) and "
        f"{doc.nodes[widener].name!r} then widens it to {c_out} channels ({c_out / c:.1f}x): a representational "
        f"bottleneck (Inception v3, section 2). Reduce the grid in parallel instead (v3's figure 10): a stride-2 "
        f"conv to {c_out - c} channels beside the stride-2 pool, concatenated, gives "
        f"{fmt_shape((c_out, *after[1:]))} directly",
        nid,
        related=(widener,),
    )


def _pools_reaching(doc: GraphDocument, changed: set[str] | frozenset[str]) -> set[str]:
    """The pools whose advice can read a node of ``changed``: those in it, and those from which a
    path of at most 65 nodes that are neither merges nor aux heads (what :func:`_module_output`
    walks) leads to one."""
    nodes, pred = doc.nodes, doc.pred
    out = {nid for nid in changed if nid in nodes and nodes[nid].type_id == "pool"}
    seen = set(changed)
    frontier = [nid for nid in changed if nid in nodes]
    for _ in range(66):
        if not frontier:
            break
        nxt = []
        for nid in frontier:
            for p in pred[nid]:
                if p in seen:
                    continue
                seen.add(p)
                node = nodes[p]
                if node.type_id == "pool":
                    out.add(p)
                role = node.type.role
                if role != "merge" and role != "aux":
                    nxt.append(p)  # the walk passes through it to what it reads below
        frontier = nxt
    return out


# --------------------------------------------------------------------------- aux heads
#: Whether a default Aux head fits on a feature map of each shape.
_AUX_FITS: dict[tuple[int, ...], bool] = {}


def _fits_at(shape: tuple[int, ...] | None) -> bool:
    """Whether a default Aux head fits on a node's output."""
    if shape is None or len(shape) != 3:
        return False
    fits = _AUX_FITS.get(shape)
    if fits is None:
        if len(_AUX_FITS) > 4096:
            _AUX_FITS.clear()
        aux = registry.get("aux_head")
        try:
            aux.infer(aux.defaults(), [shape])
            fits = True
        except (ShapeError, ParamError):  # the head does not fit there
            fits = False
        _AUX_FITS[shape] = fits
    return fits


def _weight(steps: tuple[Step, ...]) -> int:
    """Conv and linear layers of a node: what counts in the depth."""
    return sum(isinstance(s.layer, (Conv2d, Linear)) for s in steps)


class _Aux:
    """The aux-heads advice for one structure: the main path in order, the nodes every path passes
    (where a head can go), each node's depth (conv and linear layers on the longest path to it)
    and which of those places a default head fits. An edit updates the depths from the nodes
    whose layers changed downwards, and the places it touched; the advice is made again only when
    one of those changed, or the shape of a place it names."""

    def __init__(self, out_id: str, order: list[str], cuts: list[tuple[str, bool]] | None = None) -> None:
        #: ``cuts``: the nodes every path passes, each with whether it is a merge (preferred on a
        #: tie); worked out when first needed (a design as deep as ``AUX_DEPTH``).
        self.out_id, self.order, self.cuts = out_id, order, cuts
        self.cut_ids = {nid for nid, _ in cuts} if cuts is not None else set()
        self.weights: dict[str, int] | None = None
        self.depth: dict[str, int] | None = None
        #: Whether a default head fits after each cut.
        self.fits: dict[str, bool] | None = None
        #: The advice for these depths and places (None: to be made), and the places it names.
        self.result: list[Diagnostic] | None = None
        self.named: tuple[str, ...] = ()

    @classmethod
    def make(cls, doc: GraphDocument, rep: Report) -> _Aux | None:
        """None when the design gets no such advice whatever its shapes."""
        out_id = rep.output_id
        if out_id is None or doc.nodes[out_id].type.role != "output":
            return None
        if any(n.type.role == "aux" for n in doc.nodes.values()):
            return None
        main = rep.main
        if any(doc.nodes[n].type_id == "add" for n in main):
            return None  # residual connections carry the gradient (Inception-ResNet, Xception)
        return cls(out_id, [n for n in rep.order if n in main])

    def _cuts(self, doc: GraphDocument, main: set[str]) -> list[tuple[str, bool]]:
        """Where a head can go: nodes every path passes (module outputs, single convs)."""
        pending = 0
        cuts: list[tuple[str, bool]] = []
        nodes = doc.nodes
        out_id = self.out_id
        for nid in self.order:
            pending -= sum(1 for e in doc.in_edges(nid) if e.src in main)
            if pending == 0 and nid != out_id:
                role = nodes[nid].type.role
                if role != "input":  # (no head right after the input)
                    cuts.append((nid, role == "merge"))
            pending += sum(1 for e in doc.out_edges(nid) if e.dst in main)
        return cuts

    def _depths(self, doc: GraphDocument, rep: Report) -> None:
        preds = doc.pred
        weights: dict[str, int] = {}
        depth: dict[str, int] = {}
        for nid in self.order:
            w = weights[nid] = _weight(_steps_of(rep, nid))
            depth[nid] = max((depth[p] for p in preds[nid] if p in depth), default=0) + w
        self.weights, self.depth = weights, depth

    def update(self, doc: GraphDocument, rep: Report, delta: Delta) -> _Aux:
        new = _Aux(self.out_id, self.order)
        new.cuts, new.cut_ids = self.cuts, self.cut_ids
        weights, depth, fits = self.weights, self.depth, self.fits
        new.weights, new.depth, new.fits = weights, depth, fits
        touched = delta.touched
        if weights is None or depth is None:
            return new  # (worked out by advice() when asked)
        if not touched:
            new.result, new.named = self.result, self.named
            return new
        start = []
        for nid in touched:
            if nid in weights:
                w = _weight(_steps_of(rep, nid))
                if w != weights[nid]:
                    if new.weights is weights:
                        new.weights = dict(weights)
                    new.weights[nid] = w
                    start.append(nid)
            if fits is not None and nid in self.cut_ids:
                fit = _fits_at(rep.shapes[nid])
                if fit != fits[nid]:
                    if new.fits is fits:
                        new.fits = dict(fits)
                    new.fits[nid] = fit
        depth_changed = False
        if start:
            weights = new.weights
            depth = new.depth = dict(depth)
            preds, succ = doc.pred, doc.succ
            work = Worklist(delta.pos, rep.order, start)
            for nid in work:
                d = max((depth[p] for p in preds[nid] if p in depth), default=0) + weights[nid]  # type: ignore[index]
                if d != depth[nid]:
                    depth[nid] = d
                    depth_changed = True
                    for child in succ[nid]:
                        if child in depth:
                            work.push(child)
        if self.result is not None and not depth_changed and new.fits is fits and touched.isdisjoint(self.named):
            new.result, new.named = self.result, self.named
        return new

    def advice(self, doc: GraphDocument, rep: Report) -> list[Diagnostic]:
        if not rep.ok:
            return []
        if self.result is None:
            self.result = self._advice(doc, rep)
        return self.result

    def _advice(self, doc: GraphDocument, rep: Report) -> list[Diagnostic]:
        if self.depth is None:
            self._depths(doc, rep)
        depth = self.depth
        assert depth is not None
        out_id = self.out_id
        total = depth[out_id]
        self.named = ()
        if total < AUX_DEPTH:
            return []
        if self.cuts is None:
            self.cuts = self._cuts(doc, rep.main)
            self.cut_ids = {nid for nid, _ in self.cuts}
        if self.fits is None:
            shapes = rep.shapes
            self.fits = {nid: _fits_at(shapes[nid]) for nid, _ in self.cuts}
        fits = self.fits
        # Where a head can go: the cuts with a map a default Aux head fits; the nearest to 1/3 and
        # 2/3 of the depth (a merge, a module's output, first on a tie).
        chosen: list[str] = []
        for frac in (1 / 3, 2 / 3):
            target = frac * total
            best = None
            for nid, merge in self.cuts:
                if fits[nid]:
                    key = (abs(depth[nid] - target), not merge)
                    if (best is None or key < best[0]) and nid not in chosen:
                        best = (key, nid)
            if best is not None:
                chosen.append(best[1])
        self.named = tuple(chosen)
        where = " and ".join(
            f"after {doc.nodes[n].name!r} (depth {depth[n]}, {fmt_shape(rep.shapes[n])})"
            for n in sorted(chosen, key=depth.get)
        )
        node = doc.nodes[out_id]
        msg = (
            f"{node.name!r}: the design is {total} conv and linear layers deep on its longest path, with no "
            f"auxiliary classifier: GoogLeNet (22 deep) adds Aux heads at about 1/3 and 2/3 of its depth, loss "
            f"weight 0.3, so that the early layers get a strong gradient"
        )
        msg += f"; add them {where}" if where else ""
        return [Diagnostic(Severity.INFO, "aux-heads", msg, out_id, related=tuple(chosen))]


# --------------------------------------------------------------------------- unused nodes
def _unused(doc: GraphDocument, rep: Report, candidates: list[tuple[str, set[str]]]) -> list[Diagnostic]:
    """``candidates``: the nodes outside the model whose output nothing uses, each with the
    unused nodes before it (see :meth:`_Kept.full`)."""
    used = rep.model
    if not used:
        return []  # no output or head to be used by (validation says so)
    out: list[Diagnostic] = []
    for nid, dead in candidates:
        node = doc.nodes[nid]
        params = sum(s.layer.params() for n in dead for s in _steps_of(rep, n))
        macs = sum(s.layer.macs(s.in_shape, s.out_shape) for n in dead for s in _steps_of(rep, n))
        others = len(dead) - 1
        with_ = f" with the {others} unused node{'s' * (others != 1)} before it" if others else ""
        figures = f" ({fmt_count(params)} parameters, {fmt_count(macs)} MACs)" if params or macs else ""
        out.append(
            Diagnostic(
                Severity.INFO,
                "unused",
                f"{node.name!r}: its output is never used; it is left out of the model{with_}{figures}. "
                "Connect it to a merge or the classifier, or delete it",
                nid,
                related=tuple(sorted(dead - {nid})),
            )
        )
    return out


# --------------------------------------------------------------------------- receptive field
def _receptive_field(
    doc: GraphDocument, rep: Report, costs: CostReport | None, input_ids: tuple[str, ...]
) -> list[Diagnostic]:
    out_id = rep.output_id
    if out_id is None or doc.nodes[out_id].type.role != "output" or not rep.ok:
        return []
    edges = doc.in_edges(out_id)
    if len(edges) != 1:
        return []
    src = edges[0].src
    shape = rep.shapes.get(src)
    if shape is None or len(shape) != 3:
        return []
    inputs = [rep.shapes[n] for n in input_ids]
    if len(inputs) != 1 or inputs[0] is None or len(inputs[0]) != 3:
        return []
    _, ih, iw = inputs[0]
    costs = costs if costs is not None else compute_costs(doc, rep)
    nc = costs.nodes.get(src)
    if nc is None or (nc.rf[0] >= ih and nc.rf[1] >= iw):
        return []  # (a receptive field that reaches the input's size is capped there: see cost.py)
    rh, rw = nc.rf
    node = doc.nodes[out_id]
    return [
        Diagnostic(
            Severity.INFO,
            "receptive-field",
            f"{node.name!r}: each position of the last feature map ({doc.nodes[src].name!r}, {fmt_shape(shape)}) sees "
            f"only {rh} x {rw} pixels of the {ih} x {iw} input (its receptive field): no feature relates things "
            f"further apart before the classifier pools them. More layers, larger kernels or earlier downsampling widen it",
            out_id,
            related=(src,),
        )
    ]


# --------------------------------------------------------------------------- input sizes
def _input_sizes(doc: GraphDocument, rep: Report) -> list[Diagnostic]:
    res = analyse_input_sizes(doc, rep, why_smallest=False)
    if res is None:
        return []
    if res.design_works and not res.has_breaks:
        return []
    if not res.design_works and res.smallest is None:
        return []  # it fails at every size: validation's errors say why
    return [Diagnostic(Severity.INFO, "input-sizes", f"{res.name!r}: {res.summary()}", res.input_id)]
