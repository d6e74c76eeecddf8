"""Pooling: windowed max/avg pooling and global average pooling."""

from __future__ import annotations

from typing import Any

from ..layers import AvgPool2d, GlobalAvgPool, MaxPool2d, Pad2d
from ..params import BoolParam, ChoiceParam, as_pair, describe_pair
from ..registry import NodeType, Stack, Step, register
from ..shapes import Shape, ShapeError
from . import common

POOL_MODES = ("max", "avg")


def add_pool(
    s: Stack,
    mode: str,
    kernel: Any,
    stride: Any,
    padding: Any,
    ceil_mode: bool,
    *,
    count_include_pad: bool = True,
    blame: str = "kernel_size",
    pad_blame: str = "padding",
    name: str = "",
) -> None:
    """Add a max/avg pool, resolving 'same' padding (explicit -inf padding for uneven max-pools).

    ``name`` names the pool (and ``<name>_pad`` its padding) inside a composite node.
    """
    if len(s.shape) != 3:
        raise ShapeError(f"pooling needs a C x H x W feature map, got a flat vector of {s.shape[0]}")
    k, st = as_pair(kernel), as_pair(stride)
    explicit, pad = s.resolve_padding(padding, k, st)
    if explicit is not None:
        if mode == "avg":
            raise ShapeError(
                f"'same' padding for this average pool would be uneven at {s.shape[1]} x {s.shape[2]}; "
                "use an explicit padding or a max-pool",
                param=pad_blame,
            )
        s.add(Pad2d(explicit, float("-inf"), name=f"{name}_pad" if name else ""))
    cls = MaxPool2d if mode == "max" else AvgPool2d
    extra = {} if mode == "max" else {"count_include_pad": count_include_pad}
    try:
        s.add(cls(k, st, pad, ceil_mode, **extra, name=name), blame=blame)
    except ShapeError as exc:
        if exc.param == "padding":
            exc.param = pad_blame
        raise


@register
class Pooling(NodeType):
    type_id = "pool"
    display_name = "Pooling"
    category = "Pooling"
    name_stem = "pool"
    description = "Max or average pooling over a window; 3x3 stride 1 'same' is the Inception pool branch."
    params = (
        ChoiceParam("mode", "max", choices=POOL_MODES),
        common.kernel(default=3),
        common.stride(default=2),
        common.padding(default=0),
        BoolParam("ceil_mode", False, help="Round the output size up instead of down"),
        BoolParam("count_include_pad", True, advanced=True, help="Average pools: count padded zeros"),
    )

    def expand(self, p: dict[str, Any], shape: Shape) -> list[Step]:
        s = Stack(shape)
        add_pool(
            s,
            p["mode"],
            p["kernel_size"],
            p["stride"],
            p["padding"],
            p["ceil_mode"],
            count_include_pad=p["count_include_pad"],
        )
        return s.steps

    def summary(self, p: dict[str, Any]) -> str:
        st = p["stride"]
        text = (
            f"{describe_pair(p['kernel_size'])} {p['mode']}-pool /{describe_pair(st) if isinstance(st, list) else st}"
        )
        pad = p["padding"]
        text += f", padding {pad!r}" if isinstance(pad, str) else (f", pad {describe_pair(pad)}" if pad else "")
        return text + (", ceil" if p["ceil_mode"] else "")


@register
class GlobalPool(NodeType):
    type_id = "global_avg_pool"
    display_name = "Global avg pool"
    category = "Pooling"
    name_stem = "gap"
    description = "Averages each channel over H x W; by default the result is a flat C vector."
    params = (BoolParam("flatten", True, help="Output a flat C vector instead of C x 1 x 1"),)

    def expand(self, p: dict[str, Any], shape: Shape) -> list[Step]:
        s = Stack(shape)
        s.add(GlobalAvgPool(p["flatten"]))
        return s.steps

    def summary(self, p: dict[str, Any]) -> str:
        return "global avg-pool"
