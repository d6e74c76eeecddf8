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

``lint(doc, report)`` is pure, like ``validate``; the UI shows its advice in the
Problems panel under the errors and warnings.
"""

from __future__ import annotations

from .cost import fmt_count
from .diagnostics import Diagnostic, Fix, Severity
from .document import GraphDocument
from .layers import BatchNorm, Conv2d
from .validate import Report, validate

__all__ = ["lint", "MIN_SAVING"]

#: Advice is given only when the change would at least halve the layer's MACs.
MIN_SAVING = 2.0


def lint(doc: GraphDocument, report: Report | None = None) -> list[Diagnostic]:
    rep = report if report is not None and report.revision == doc.revision else validate(doc)
    out: list[Diagnostic] = []
    for nid, steps in rep.steps.items():
        node = doc.nodes[nid]
        convs = [(i, s) for i, s in enumerate(steps) if isinstance(s.layer, Conv2d)]
        # --- bias before BatchNorm (any node type with a 'bias' param) -------------
        if node.params.get("bias") is True and any(
            isinstance(steps[i + 1].layer, BatchNorm) for i, _ in convs if i + 1 < len(steps)
        ):
            out.append(Diagnostic(
                Severity.INFO, "bias-before-bn",
                f"{node.name!r}: the conv bias is cancelled by the BatchNorm that follows; turning it off saves "
                f"{sum(s.layer.out_channels for _, s in convs if s.layer.bias):,} parameters",
                nid, param="bias", fix=Fix(f"Turn off the bias of {node.name!r}", ((nid, "bias", False),)),
            ))
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
                out.append(Diagnostic(
                    Severity.INFO, "bottleneck",
                    f"{node.name!r}: this {kh}x{kw} conv reads {conv.in_channels} channels and costs "
                    f"{fmt_count(macs_now)} MACs; a 1x1 bottleneck to {r} channels first would cost "
                    f"{fmt_count(macs_bn)} ({macs_now / macs_bn:.1f}x fewer), as in the Inception module",
                    nid,
                    fix=Fix(f"Add a 1x1 reduction to {r} channels in {node.name!r}", ((nid, "reduce_channels", r),))
                    if node.type_id == "branch" else None,
                ))
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
                out.append(Diagnostic(
                    Severity.INFO, "factorize",
                    f"{node.name!r}: a {kh}x{kw} conv can be factorized into {how} with the same receptive "
                    f"field and {100 * (1 - alt / full):.0f}% fewer MACs (Inception v3)",
                    nid,
                    fix=Fix(f"Factorize {node.name!r} ({choice})", ((nid, "factorize", choice),))
                    if node.type_id == "branch" else None,
                ))
    return out
