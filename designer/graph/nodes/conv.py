"""Convolutions: Conv, Separable conv, and the card's composites Stem and Branch."""

from __future__ import annotations

from typing import Any

from ..layers import Act, BatchNorm, Conv2d, Pad2d
from ..params import BoolParam, ChoiceParam, IntParam, PairParam, ParamError
from ..registry import NodeType, Stack, Step, register
from ..shapes import Shape, ShapeError
from . import common
from .pool import POOL_MODES, add_pool


@register
class Conv(NodeType):
    type_id = "conv"
    display_name = "Conv"
    category = "Layers"
    name_stem = "conv"
    description = "2-D convolution with optional BatchNorm and activation (torchvision's BasicConv2d when BN is on)."
    params = (
        common.channels(),
        common.kernel(),
        common.stride(),
        common.padding(),
        PairParam("dilation", 1, minimum=1, maximum=64, advanced=True),
        IntParam("groups", 1, minimum=1, maximum=65_536, advanced=True),
        *common.conv_tail(),
    )

    def expand(self, p: dict[str, Any], shape: Shape) -> list[Step]:
        s = Stack(shape)
        s.conv(
            p["out_channels"],
            p["kernel_size"],
            stride=p["stride"],
            padding=p["padding"],
            dilation=p["dilation"],
            groups=p["groups"],
            **common.conv_kwargs(p),
        )
        return s.steps

    def summary(self, p: dict[str, Any]) -> str:
        return f"{common.conv_summary('conv', p)} -> {p['out_channels']}"


@register
class SeparableConv(NodeType):
    type_id = "separable_conv"
    display_name = "Separable conv"
    category = "Layers"
    name_stem = "sepconv"
    #: A class of named children in generated code: depthwise, pointwise.
    module_class = "SeparableConv2d"
    description = "Depthwise k x k conv then pointwise 1 x 1 conv (Xception)."
    params = (
        common.channels(),
        common.kernel(),
        common.stride(),
        common.padding(),
        PairParam("dilation", 1, minimum=1, maximum=64, advanced=True),
        IntParam("depth_multiplier", 1, minimum=1, maximum=64, advanced=True),
        BoolParam("bias", False, help="Bias of the pointwise conv"),
        *common.bn_params(),
        common.activation(default="none"),
    )

    def expand(self, p: dict[str, Any], shape: Shape) -> list[Step]:
        s = common.Stack(shape)
        if len(shape) != 3:
            raise ShapeError(f"a separable conv needs a C x H x W feature map, got a flat vector of {shape[0]}")
        c = shape[0]
        mid = c * p["depth_multiplier"]
        s.conv(
            mid,
            p["kernel_size"],
            stride=p["stride"],
            padding=p["padding"],
            dilation=p["dilation"],
            groups=c,
            bias=False,
            activation="none",
            name="depthwise",
        )
        s.add(Conv2d(mid, p["out_channels"], (1, 1), bias=p["bias"]), name="pointwise")
        if p["batch_norm"]:
            s.add(BatchNorm(p["out_channels"], p["bn_eps"]))
        if p["activation"] != "none":
            s.add(Act(p["activation"]))
        return s.steps

    def summary(self, p: dict[str, Any]) -> str:
        return f"{common.conv_summary('sep conv', p)} -> {p['out_channels']}"


@register
class Stem(NodeType):
    type_id = "stem"
    display_name = "Stem"
    category = "Stem"
    name_stem = "stem"
    #: A class of named children in generated code: conv, pool.
    module_class = "Stem"
    description = "Downsampling stack at the network's entry: a strided conv, then an optional pool (e.g. 7x7/2 conv + 3x3/2 max-pool)."
    params = (
        common.channels(default=64),
        common.kernel(default=7),
        common.stride(default=2),
        common.padding(default=3),
        *common.conv_tail(),
        ChoiceParam("pool", "max", choices=("max", "avg", "none")),
        common.kernel("pool_kernel", 3, label="Pool kernel"),
        common.stride("pool_stride", 2, label="Pool stride"),
        common.padding("pool_padding", 0, label="Pool padding"),
        BoolParam("ceil_mode", True, help="Round the pooled size up, as GoogLeNet does (224 -> 112 -> 56)"),
    )

    def expand(self, p: dict[str, Any], shape: Shape) -> list[Step]:
        s = common.Stack(shape)
        s.conv(
            p["out_channels"],
            p["kernel_size"],
            stride=p["stride"],
            padding=p["padding"],
            **common.conv_kwargs(p),
            name="conv",
        )
        if p["pool"] != "none":
            add_pool(
                s,
                p["pool"],
                p["pool_kernel"],
                p["pool_stride"],
                p["pool_padding"],
                p["ceil_mode"],
                count_include_pad=True,
                blame="pool_kernel",
                pad_blame="pool_padding",
                name="pool",
            )
        return s.steps

    def summary(self, p: dict[str, Any]) -> str:
        text = f"{common.conv_summary('conv', p)} -> {p['out_channels']}"
        if p["pool"] != "none":
            k, st = p["pool_kernel"], p["pool_stride"]
            text += f"; {p['pool']}-pool {k}/{st}" if not isinstance(k, list) else f"; {p['pool']}-pool"
        return text


FACTORIZATIONS = ("none", "stacked 3x3", "asymmetric")


@register
class Branch(NodeType):
    type_id = "branch"
    display_name = "Conv branch"
    category = "Branch"
    name_stem = "branch"
    #: A class of named children in generated code: reduce, then conv (or conv1, conv2 ... when factorized).
    module_class = "Branch"
    description = (
        "One Inception branch: an optional 1x1 bottleneck, then a k x k conv, optionally factorized "
        "into stacked 3x3 convs (a 5x5 becomes two 3x3) or into 1 x k then k x 1."
    )
    params = (
        IntParam(
            "reduce_channels",
            0,
            minimum=0,
            maximum=65_536,
            label="1x1 reduce",
            help="Channels of the 1x1 bottleneck; 0 for none",
        ),
        common.channels(default=128),
        IntParam("kernel_size", 3, minimum=1, maximum=63, label="Kernel"),
        ChoiceParam(
            "factorize",
            "none",
            choices=FACTORIZATIONS,
            help="'stacked 3x3': (k-1)/2 3x3 convs; 'asymmetric': 1 x k then k x 1",
        ),
        IntParam(
            "mid_channels",
            0,
            minimum=0,
            maximum=65_536,
            label="Mid channels",
            help="Channels between factorized convs; 0 means the output channels",
        ),
        common.stride(),
        ChoiceParam("padding", "same", choices=("same", "valid")),
        *common.conv_tail(),
    )

    def expand(self, p: dict[str, Any], shape: Shape) -> list[Step]:
        s = common.Stack(shape)
        opts = common.conv_kwargs(p)
        if p["reduce_channels"]:
            s.conv(p["reduce_channels"], 1, padding=0, **opts, name="reduce")
        k, out, factor = p["kernel_size"], p["out_channels"], p["factorize"]
        mid = p["mid_channels"] or out
        if factor == "none" or k == 1:
            s.conv(out, k, stride=p["stride"], padding=p["padding"], **opts, blame="kernel_size", name="conv")
        elif factor == "stacked 3x3":
            if k % 2 == 0:
                raise ShapeError(
                    f"a {k}x{k} kernel cannot be stacked from 3x3 convs; use an odd kernel", param="kernel_size"
                )
            n = (k - 1) // 2
            for i in range(n):
                last = i == n - 1
                s.conv(
                    out if last else mid,
                    3,
                    stride=p["stride"] if last else 1,
                    padding=p["padding"],
                    **opts,
                    blame="kernel_size",
                    name=f"conv{i + 1}" if n > 1 else "conv",
                )
        else:
            s.conv(mid, (1, k), padding=p["padding"], **opts, blame="kernel_size", name="conv1")
            s.conv(out, (k, 1), stride=p["stride"], padding=p["padding"], **opts, blame="kernel_size", name="conv2")
        return s.steps

    def summary(self, p: dict[str, Any]) -> str:
        k = p["kernel_size"]
        parts = []
        if p["reduce_channels"]:
            parts.append(f"1x1 {p['reduce_channels']}")
        core = f"{k}x{k}"
        if p["factorize"] == "stacked 3x3" and k > 3:
            core += " (3x3 stack)"
        elif p["factorize"] == "asymmetric" and k > 1:
            core = f"1x{k}+{k}x1"
        if p["stride"] not in (1, [1, 1]):
            core += f" /{p['stride']}"
        parts.append(f"{core} {p['out_channels']}")
        text = " -> ".join(parts)
        return text + (", padding 'valid'" if p["padding"] == "valid" else "")


__all__ = ["FACTORIZATIONS", "POOL_MODES", "Branch", "Conv", "Pad2d", "ParamError", "SeparableConv", "Stem"]
