"""The network's input."""

from __future__ import annotations

from typing import Any

from ..params import MAX_SPATIAL, IntParam
from ..registry import NodeType, Step, register
from ..shapes import Shape

__all__ = ["Input"]


@register
class Input(NodeType):
    type_id = "input"
    display_name = "Input"
    category = "Input"
    role = "input"
    name_stem = "input"
    description = "The image batch entering the network (C x H x W; the batch size is free)."
    inputs = ()
    params = (
        IntParam("channels", 3, minimum=1, maximum=4096),
        IntParam("height", 224, minimum=1, maximum=MAX_SPATIAL),
        IntParam("width", 224, minimum=1, maximum=MAX_SPATIAL),
    )

    def infer(self, p: dict[str, Any], in_shapes: list[Shape]) -> tuple[Shape, list[Step]]:
        return (p["channels"], p["height"], p["width"]), []

    def build(self, p: dict[str, Any], steps: list[Step]) -> Any:
        from torch import nn

        return nn.Identity()

    def summary(self, p: dict[str, Any]) -> str:
        return f"{p['channels']} x {p['height']} x {p['width']}"
