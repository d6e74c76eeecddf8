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
and warnings.
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
from .validate import Report, validate

__all__ = ["lint", "AUX_DEPTH", "MIN_EXPANSION", "MIN_SAVING"]

#: Advice is given only when the change would at least halve the layer's MACs.
MIN_SAVING = 2.0
#: A pool followed by this much channel growth is a representational bottleneck (v3's figure 9: 2x).
MIN_EXPANSION = 2.0
#: Conv and linear layers on the longest path from which a design without aux heads gets the advice.
AUX_DEPTH = 16


def lint(doc: GraphDocument, report: Report | None = None, *, costs: CostReport | None = None) -> list[Diagnostic]:
    """Design advice for ``doc`` (``report`` and ``costs``: its validation and costs, when at hand)."""
    rep = report if report is not None and report.revision == doc.revision else validate(doc)
    out = _layer_advice(doc, rep)
    out += _next_to_bn(doc, rep)
    out += _pool_bottlenecks(doc, rep)
    out += _aux_heads(doc, rep)
    out += _unused(doc, rep)
    out += _receptive_field(doc, rep, costs)
    out += _input_sizes(doc, rep)
    return out


def _layer_advice(doc: GraphDocument, rep: Report) -> list[Diagnostic]:
    """bottleneck, factorize, bias-before-bn: one node at a time."""
    out: list[Diagnostic] = []
    for nid, steps in rep.steps.items():
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
            continue
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
def _next_to_bn(doc: GraphDocument, rep: Report) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for nid, node in doc.nodes.items():
        if node.type_id not in ("dropout", "lrn") or nid not in rep.steps:
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


def _pool_bottlenecks(doc: GraphDocument, rep: Report) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for nid, node in doc.nodes.items():
        if node.type_id != "pool" or nid not in rep.steps:
            continue
        before, after = rep.in_shapes[nid][0], rep.shapes[nid]
        if after is None or len(after) != 3 or after[1] * after[2] >= before[1] * before[2]:
            continue  # not a grid reduction
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
            continue
        c_out, widener = max(wideners)
        if c_out < MIN_EXPANSION * c:
            continue
        p = node.params
        k, st = p["kernel_size"], p["stride"]
        how = f"{k}x{k}/{st}" if not isinstance(k, list) and not isinstance(st, list) else "strided"
        out.append(
            Diagnostic(
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
        )
    return out


# --------------------------------------------------------------------------- aux heads
def _aux_heads(doc: GraphDocument, rep: Report) -> list[Diagnostic]:
    out_id = rep.output_id
    if out_id is None or not rep.ok or doc.nodes[out_id].type.role != "output":
        return []
    if any(n.type.role == "aux" for n in doc.nodes.values()):
        return []
    if any(doc.nodes[n].type_id == "add" for n in rep.main):
        return []  # residual connections carry the gradient (Inception-ResNet, Xception)
    depth: dict[str, int] = {}
    main = rep.main
    order = [n for n in rep.order if n in main]
    for nid in order:
        weighted = sum(isinstance(s.layer, (Conv2d, Linear)) for s in _steps_of(rep, nid))
        depth[nid] = max((depth[e.src] for e in doc.in_edges(nid) if e.src in depth), default=0) + weighted
    total = depth[out_id]
    if total < AUX_DEPTH:
        return []
    # Where a head can go: nodes every path passes (module outputs, single convs) with a map a default
    # Aux head fits.
    aux = registry.get("aux_head")
    defaults = aux.defaults()
    pending = 0
    cuts: list[str] = []
    for nid in order:
        pending -= sum(1 for e in doc.in_edges(nid) if e.src in main)
        if pending == 0 and nid != out_id:
            cuts.append(nid)
        pending += sum(1 for e in doc.out_edges(nid) if e.dst in main)
    places = []
    for nid in cuts:
        shape = rep.shapes[nid]
        if shape is None or len(shape) != 3 or doc.nodes[nid].type.role == "input":
            continue
        try:
            aux.infer(defaults, [shape])
        except (ShapeError, ParamError):  # the head does not fit there
            continue
        places.append(nid)
    chosen: list[str] = []
    for frac in (1 / 3, 2 / 3):
        best = min(
            (n for n in places if n not in chosen),
            key=lambda n: (abs(depth[n] - frac * total), doc.nodes[n].type.role != "merge"),
            default=None,
        )
        if best is not None:
            chosen.append(best)
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
def _unused(doc: GraphDocument, rep: Report) -> list[Diagnostic]:
    used = rep.model
    if not used:
        return []  # no output or head to be used by (validation says so)
    out: list[Diagnostic] = []
    preds = doc.pred
    for nid, node in doc.nodes.items():
        if nid in used or doc.out_edges(nid) or node.type.role in ("output", "aux"):
            continue
        dead = reaching(preds, [nid], used) - used
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
def _receptive_field(doc: GraphDocument, rep: Report, costs: CostReport | None) -> list[Diagnostic]:
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
    inputs = [rep.shapes[n] for n, node in doc.nodes.items() if node.type.role == "input"]
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
