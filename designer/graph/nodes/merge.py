"""Merges: Concat (the Inception module's join) and Add (residual sum)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..layers import ACTIVATIONS
from ..params import ChoiceParam, FloatParam
from ..registry import NodeType, PortSpec, Step, register
from ..shapes import Shape, ShapeError, fmt_hw, fmt_shape

__all__ = ["Add", "Concat", "MergeMismatch"]


class MergeMismatch(ShapeError):
    """Inputs of a merge disagree. ``bad`` are the indices of inputs that differ from ``reference``."""

    def __init__(self, message: str, *, reference: Shape, bad: list[int], spatial: bool):
        super().__init__(message, port="in")
        self.reference = reference
        self.bad = bad
        #: True when the disagreement is in H x W (concat), False when in the full shape (add).
        self.spatial = spatial


def _majority(keys: list[Any]) -> Any:
    """The most common key; ties go to the one that appears first."""
    counts = Counter(keys)
    best = max(counts.values())
    return next(k for k in keys if counts[k] == best)


@register
class Concat(NodeType):
    type_id = "concat"
    display_name = "Concat"
    category = "Concat"
    role = "merge"
    name_stem = "concat"
    description = "Joins branches on the channel axis; every input must have the same H x W."
    inputs = (PortSpec("in", multi=True),)

    def infer(self, p: dict[str, Any], in_shapes: list[Shape]) -> tuple[Shape, list[Step]]:
        ranks = [len(s) for s in in_shapes]
        if len(set(ranks)) > 1:
            ref_rank = _majority(ranks)
            bad = [i for i, r in enumerate(ranks) if r != ref_rank]
            ref = next(s for s in in_shapes if len(s) == ref_rank)
            raise MergeMismatch(
                "cannot concatenate feature maps with flat vectors: "
                + ", ".join(f"input {i} is {fmt_shape(in_shapes[i])}" for i in bad),
                reference=ref,
                bad=bad,
                spatial=True,
            )
        if ranks[0] == 1:
            return (sum(s[0] for s in in_shapes),), []
        hws = [s[1:] for s in in_shapes]
        ref_hw = _majority(hws)
        bad = [i for i, hw in enumerate(hws) if hw != ref_hw]
        if bad:
            ref = next(s for s in in_shapes if s[1:] == ref_hw)
            raise MergeMismatch(
                f"inputs disagree in height x width: expected {ref_hw[0]} x {ref_hw[1]}, but "
                + ", ".join(f"input {i} is {fmt_hw(in_shapes[i])}" for i in bad),
                reference=ref,
                bad=bad,
                spatial=True,
            )
        return (sum(s[0] for s in in_shapes), *ref_hw), []

    def build(self, p: dict[str, Any], steps: list[Step]) -> Any:
        from ..nn_modules import Concat as ConcatModule

        return ConcatModule()

    def merge_code(self, p: dict[str, Any], args: list[str]) -> str:
        return f"torch.cat([{', '.join(args)}], 1)"

    def summary(self, p: dict[str, Any]) -> str:
        return "concat channels"


@register
class Add(NodeType):
    type_id = "add"
    display_name = "Add (residual)"
    category = "Merge"
    role = "merge"
    name_stem = "add"
    description = (
        "Residual sum: the first input is the shortcut, the others are added after scaling "
        "(Inception-ResNet scales residuals by 0.1-0.3 to keep training stable)."
    )
    inputs = (PortSpec("in", multi=True),)
    params = (
        FloatParam("scale", 1.0, minimum=0.0, maximum=10.0, help="Multiplies every input but the first"),
        ChoiceParam("activation", "none", choices=ACTIVATIONS),
    )

    def infer(self, p: dict[str, Any], in_shapes: list[Shape]) -> tuple[Shape, list[Step]]:
        ref = _majority(list(in_shapes))
        bad = [i for i, s in enumerate(in_shapes) if s != ref]
        if bad:
            raise MergeMismatch(
                f"inputs must all have the same shape, expected {fmt_shape(ref)}, but "
                + ", ".join(f"input {i} is {fmt_shape(in_shapes[i])}" for i in bad),
                reference=ref,
                bad=bad,
                spatial=False,
            )
        return ref, []

    def build(self, p: dict[str, Any], steps: list[Step]) -> Any:
        from ..nn_modules import ScaledAdd

        return ScaledAdd(p["scale"], p["activation"])

    def merge_code(self, p: dict[str, Any], args: list[str]) -> str:
        scale, act = p["scale"], p["activation"]
        expr = args[0]
        if len(args) > 1:
            r = args[1] if len(args) == 2 else f"({' + '.join(args[1:])})"
            expr = f"{args[0]} + {r}" if scale == 1.0 else f"{args[0]} + {scale!r} * {r}"
        return f"F.{act}({expr})" if act != "none" else expr

    def summary(self, p: dict[str, Any]) -> str:
        text = "add" if p["scale"] == 1.0 else f"add, residual x{p['scale']:g}"
        return text + (f", {p['activation']}" if p["activation"] != "none" else "")
