"""The layer vocabulary that node types are made of.

Each node type describes itself as a short sequence of these layers (a conv node is
``[Pad2d?] Conv2d [BatchNorm] [Act]``, a branch is several of those). Shape inference,
parameter and MAC counts, the receptive field, the torch module and the generated
code all derive from the same objects, so they cannot disagree.

Shapes follow ATen's formulas exactly (``conv_output_size``, ``pooling_output_shape``)
and raise :class:`ShapeError` wherever torch would raise. Nothing here imports torch
at module level: ``build()`` imports it when called.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .shapes import Shape, ShapeError, fmt_shape

__all__ = [
    "ACTIVATIONS",
    "Act",
    "AvgPool2d",
    "BatchNorm",
    "Conv2d",
    "Dropout",
    "Flatten",
    "GlobalAvgPool",
    "Layer",
    "Linear",
    "LocalResponseNorm",
    "MaxPool2d",
    "Pad2d",
]

ACTIVATIONS = ("relu", "relu6", "gelu", "silu", "none")


def _need_map(shape: Shape, what: str) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise ShapeError(f"{what} needs a C x H x W feature map, got a flat vector of {fmt_shape(shape)}")
    return shape  # type: ignore[return-value]


def _floor_div(a: int, b: int) -> int:
    return a // b  # Python's // rounds toward -inf, like ATen's div_rtn


@dataclass(frozen=True)
class Layer:
    """Base class. Subclasses override what differs from an identity layer."""

    def out_shape(self, shape: Shape) -> Shape:
        return shape

    def params(self) -> int:
        return 0

    def macs(self, in_shape: Shape, out_shape: Shape) -> int:
        return 0

    def rf(self, in_shape: Shape) -> tuple[int, int, int, int]:
        """Receptive-field step ``(kernel_h, kernel_w, stride_h, stride_w)`` (effective kernel)."""
        return 1, 1, 1, 1

    def build(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def code(self) -> str:  # pragma: no cover - abstract
        """A Python expression constructing the same module, using ``nn``."""
        raise NotImplementedError


def _pair_code(p: tuple[int, int]) -> str:
    return str(p[0]) if p[0] == p[1] else f"({p[0]}, {p[1]})"


@dataclass(frozen=True)
class Conv2d(Layer):
    in_channels: int
    out_channels: int
    kernel: tuple[int, int]
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    groups: int = 1
    bias: bool = True

    def out_shape(self, shape: Shape) -> Shape:
        c, h, w = _need_map(shape, "A convolution")
        if c != self.in_channels:
            raise ShapeError(f"expected {self.in_channels} input channels, got {c}")
        if self.in_channels % self.groups:
            raise ShapeError(
                f"groups ({self.groups}) must divide the input channels ({self.in_channels})", param="groups"
            )
        if self.out_channels % self.groups:
            raise ShapeError(
                f"groups ({self.groups}) must divide the output channels ({self.out_channels})", param="groups"
            )
        dims = []
        for size, k, s, p, d in zip((h, w), self.kernel, self.stride, self.padding, self.dilation, strict=True):
            eff = d * (k - 1) + 1
            if size + 2 * p < eff:
                raise ShapeError(
                    f"the {self.kernel[0]}x{self.kernel[1]} kernel (reaching {eff} with dilation) is larger "
                    f"than the padded input ({size + 2 * p}); the map is too small here",
                    param="kernel_size",
                )
            dims.append(_floor_div(size + 2 * p - eff, s) + 1)
        return (self.out_channels, dims[0], dims[1])

    def params(self) -> int:
        n = self.out_channels * (self.in_channels // self.groups) * self.kernel[0] * self.kernel[1]
        return n + (self.out_channels if self.bias else 0)

    def macs(self, in_shape: Shape, out_shape: Shape) -> int:
        c, h, w = out_shape
        return c * h * w * (self.in_channels // self.groups) * self.kernel[0] * self.kernel[1]

    def rf(self, in_shape: Shape) -> tuple[int, int, int, int]:
        (kh, kw), (dh, dw) = self.kernel, self.dilation
        return dh * (kh - 1) + 1, dw * (kw - 1) + 1, self.stride[0], self.stride[1]

    def build(self) -> Any:
        from torch import nn

        return nn.Conv2d(
            self.in_channels,
            self.out_channels,
            kernel_size=self.kernel,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            groups=self.groups,
            bias=self.bias,
        )

    def code(self) -> str:
        args = [str(self.in_channels), str(self.out_channels), f"kernel_size={_pair_code(self.kernel)}"]
        if self.stride != (1, 1):
            args.append(f"stride={_pair_code(self.stride)}")
        if self.padding != (0, 0):
            args.append(f"padding={_pair_code(self.padding)}")
        if self.dilation != (1, 1):
            args.append(f"dilation={_pair_code(self.dilation)}")
        if self.groups != 1:
            args.append(f"groups={self.groups}")
        if not self.bias:
            args.append("bias=False")
        return f"nn.Conv2d({', '.join(args)})"


@dataclass(frozen=True)
class Pad2d(Layer):
    """Explicit (possibly uneven) padding: ``(left, right, top, bottom)`` as ``F.pad`` takes it."""

    pad: tuple[int, int, int, int]
    #: ``0.0`` pads zeros (before a conv); ``-inf`` pads for a max-pool, which ignores padding.
    value: float = 0.0

    def out_shape(self, shape: Shape) -> Shape:
        c, h, w = _need_map(shape, "Padding")
        left, right, top, bottom = self.pad
        return (c, h + top + bottom, w + left + right)

    def build(self) -> Any:
        from torch import nn

        if self.value == 0.0:
            return nn.ZeroPad2d(self.pad)
        return nn.ConstantPad2d(self.pad, self.value)

    def code(self) -> str:
        if self.value == 0.0:
            return f"nn.ZeroPad2d({self.pad})"
        return f'nn.ConstantPad2d({self.pad}, value=float("{self.value}"))'


@dataclass(frozen=True)
class BatchNorm(Layer):
    channels: int
    eps: float = 1e-5
    #: ``BatchNorm1d`` over a flat vector instead of ``BatchNorm2d`` over a map.
    flat: bool = False

    def out_shape(self, shape: Shape) -> Shape:
        if shape[0] != self.channels:
            raise ShapeError(f"expected {self.channels} channels, got {shape[0]}")
        return shape

    def params(self) -> int:
        return 2 * self.channels

    def build(self) -> Any:
        from torch import nn

        return (nn.BatchNorm1d if self.flat else nn.BatchNorm2d)(self.channels, eps=self.eps)

    def code(self) -> str:
        cls = "BatchNorm1d" if self.flat else "BatchNorm2d"
        eps = "" if self.eps == 1e-5 else f", eps={self.eps!r}"
        return f"nn.{cls}({self.channels}{eps})"


_ACT_MODULES = {"relu": "ReLU", "relu6": "ReLU6", "gelu": "GELU", "silu": "SiLU", "none": "Identity"}


@dataclass(frozen=True)
class Act(Layer):
    kind: str = "relu"
    #: In place only where the input is a fresh tensor made by the layer before (inside a node);
    #: a standalone Activation node's input may feed other nodes too, so it must not be modified.
    inplace: bool = True

    def _inplace(self) -> bool:
        return self.inplace and self.kind in ("relu", "relu6", "silu")

    def build(self) -> Any:
        from torch import nn

        cls = getattr(nn, _ACT_MODULES[self.kind])
        return cls(inplace=True) if self._inplace() else cls()

    def code(self) -> str:
        return f"nn.{_ACT_MODULES[self.kind]}({'inplace=True' if self._inplace() else ''})"


def _pool_out(size: int, k: int, s: int, p: int, ceil_mode: bool) -> int:
    """ATen's ``pooling_output_shape`` (dilation 1)."""
    out = _floor_div(size + 2 * p - (k - 1) - 1 + (s - 1 if ceil_mode else 0), s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


@dataclass(frozen=True)
class _Pool2d(Layer):
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int] = (0, 0)
    ceil_mode: bool = False
    _what = "pooling"

    def out_shape(self, shape: Shape) -> Shape:
        c, h, w = _need_map(shape, "Pooling")
        for k, p in zip(self.kernel, self.padding, strict=True):
            if p > k // 2:
                raise ShapeError(
                    f"padding {p} is more than half the kernel ({k}); torch allows at most {k // 2}",
                    param="padding",
                )
        oh = _pool_out(h, self.kernel[0], self.stride[0], self.padding[0], self.ceil_mode)
        ow = _pool_out(w, self.kernel[1], self.stride[1], self.padding[1], self.ceil_mode)
        if oh < 1 or ow < 1:
            raise ShapeError(
                f"the {self.kernel[0]}x{self.kernel[1]} {self._what} window does not fit the "
                f"{h} x {w} input (output would be {oh} x {ow})",
                param="kernel_size",
            )
        return (c, oh, ow)

    def rf(self, in_shape: Shape) -> tuple[int, int, int, int]:
        return self.kernel[0], self.kernel[1], self.stride[0], self.stride[1]

    def _args(self) -> list[str]:
        args = [f"kernel_size={_pair_code(self.kernel)}", f"stride={_pair_code(self.stride)}"]
        if self.padding != (0, 0):
            args.append(f"padding={_pair_code(self.padding)}")
        if self.ceil_mode:
            args.append("ceil_mode=True")
        return args


@dataclass(frozen=True)
class MaxPool2d(_Pool2d):
    _what = "max-pool"

    def build(self) -> Any:
        from torch import nn

        return nn.MaxPool2d(self.kernel, self.stride, self.padding, ceil_mode=self.ceil_mode)

    def code(self) -> str:
        return f"nn.MaxPool2d({', '.join(self._args())})"


@dataclass(frozen=True)
class AvgPool2d(_Pool2d):
    count_include_pad: bool = True
    _what = "average-pool"

    def build(self) -> Any:
        from torch import nn

        return nn.AvgPool2d(
            self.kernel, self.stride, self.padding, ceil_mode=self.ceil_mode, count_include_pad=self.count_include_pad
        )

    def code(self) -> str:
        args = self._args()
        if not self.count_include_pad:
            args.append("count_include_pad=False")
        return f"nn.AvgPool2d({', '.join(args)})"


@dataclass(frozen=True)
class GlobalAvgPool(Layer):
    """``AdaptiveAvgPool2d(1)``; with ``flatten`` the result is a flat ``(C,)`` vector."""

    flatten: bool = True

    def out_shape(self, shape: Shape) -> Shape:
        c, _, _ = _need_map(shape, "Global pooling")
        return (c,) if self.flatten else (c, 1, 1)

    def rf(self, in_shape: Shape) -> tuple[int, int, int, int]:
        return in_shape[1], in_shape[2], in_shape[1], in_shape[2]

    def build(self) -> Any:
        from torch import nn

        if self.flatten:
            return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(1))
        return nn.AdaptiveAvgPool2d(1)

    def code(self) -> str:
        if self.flatten:
            return "nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(1))"
        return "nn.AdaptiveAvgPool2d(1)"


@dataclass(frozen=True)
class Flatten(Layer):
    def out_shape(self, shape: Shape) -> Shape:
        n = 1
        for d in shape:
            n *= d
        return (n,)

    def rf(self, in_shape: Shape) -> tuple[int, int, int, int]:
        if len(in_shape) == 3:
            return in_shape[1], in_shape[2], in_shape[1], in_shape[2]
        return 1, 1, 1, 1

    def build(self) -> Any:
        from torch import nn

        return nn.Flatten(1)

    def code(self) -> str:
        return "nn.Flatten(1)"


@dataclass(frozen=True)
class Dropout(Layer):
    p: float = 0.5

    def build(self) -> Any:
        from torch import nn

        return nn.Dropout(p=self.p)

    def code(self) -> str:
        return f"nn.Dropout(p={self.p!r})"


@dataclass(frozen=True)
class Linear(Layer):
    in_features: int
    out_features: int
    bias: bool = True

    def out_shape(self, shape: Shape) -> Shape:
        if len(shape) != 1:
            raise ShapeError(
                f"a linear layer needs a flat input, got a {fmt_shape(shape)} feature map; "
                "put a Flatten or Global average pool before it"
            )
        if shape[0] != self.in_features:
            raise ShapeError(f"expected {self.in_features} input features, got {shape[0]}")
        return (self.out_features,)

    def params(self) -> int:
        return self.in_features * self.out_features + (self.out_features if self.bias else 0)

    def macs(self, in_shape: Shape, out_shape: Shape) -> int:
        return self.in_features * self.out_features

    def build(self) -> Any:
        from torch import nn

        return nn.Linear(self.in_features, self.out_features, bias=self.bias)

    def code(self) -> str:
        bias = "" if self.bias else ", bias=False"
        return f"nn.Linear({self.in_features}, {self.out_features}{bias})"


@dataclass(frozen=True)
class LocalResponseNorm(Layer):
    size: int = 5
    alpha: float = 1e-4
    beta: float = 0.75
    k: float = 1.0

    def out_shape(self, shape: Shape) -> Shape:
        _need_map(shape, "Local response normalisation")
        return shape

    def build(self) -> Any:
        from torch import nn

        return nn.LocalResponseNorm(self.size, alpha=self.alpha, beta=self.beta, k=self.k)

    def code(self) -> str:
        return f"nn.LocalResponseNorm({self.size}, alpha={self.alpha!r}, beta={self.beta!r}, k={self.k!r})"
