"""The layer vocabulary that node types are made of.

Each node type describes itself as a short sequence of these layers (a conv node is
``[Pad2d?] Conv2d [BatchNorm] [Act]``, a branch is several of those). Shape inference,
parameter and MAC counts, the receptive field, the torch module and the generated
code all derive from the same objects, so they cannot disagree.

Each layer describes its torch module as data, a :class:`Call` (class name, arguments, and
which arguments are channel counts): ``build()`` instantiates it and the code generator
writes it with :func:`format_call`, so the two cannot disagree either. A call names a
``torch.nn`` class (``nn.Conv2d``) or a :class:`Helper`: a class or function of our own
whose source is one text, emitted into generated code and executed once for the compiled
model (``BasicConv2d`` in :mod:`designer.compiler.helpers`; a layer may bring its own).

A layer may carry a ``name``: what the submodule is called inside a node with several
(``conv``, ``fc1``, ``dropout``); unnamed layers are called by their kind (``default_name``).

Shapes follow ATen's formulas exactly (``conv_output_size``, ``pooling_output_shape``)
and raise :class:`ShapeError` wherever torch would raise. Nothing here imports torch
at module level: ``build()`` imports it when called.
"""

from __future__ import annotations
import __future__

import linecache
import math
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

from .shapes import Shape, ShapeError, fmt_shape

__all__ = [
    "ACTIVATIONS",
    "NO_DEFAULT",
    "Act",
    "Arg",
    "Call",
    "Helper",
    "Sym",
    "format_call",
    "instantiate",
    "literal",
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


# --------------------------------------------------------------------------- construction records
class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


#: An :class:`Arg` without a default: always written.
NO_DEFAULT: Any = _NoDefault()


@dataclass(frozen=True)
class Sym:
    """A name written instead of a literal: a constructor argument of a generated class."""

    name: str


class Arg(NamedTuple):
    """One constructor argument of a :class:`Call`."""

    #: The parameter's name (``in_channels``, ``kernel_size``), also when passed by position.
    name: str
    #: A literal (int, float, bool, str, None, or a tuple of them) or a :class:`Sym`.
    value: Any
    positional: bool = False
    #: A channel count (``in_channels``, ``out_channels``, ``num_features``, ``groups`` ...):
    #: what a class shared by blocks built alike may take as a constructor argument.
    channels: bool = False
    #: A keyword argument equal to its default is left out of the source (the module is the same).
    default: Any = NO_DEFAULT


@dataclass(frozen=True, eq=False)
class Helper:
    """A class or function of our own that calls may name: one source text for both uses.

    ``source`` is a :class:`string.Template`: ``$name`` takes the literal of a default value
    (``defaults``). The compiled model executes it once, with ``defaults``; generated code
    emits it with the defaults that suit the design (its commonest flavour), so that its calls
    can leave those arguments out. ``requires`` are helpers the source uses; ``typing`` the
    names it takes from :mod:`typing`. Its namespace has ``torch``, ``nn``, ``F`` and ``Tensor``.
    """

    name: str
    source: str
    defaults: tuple[tuple[str, Any], ...] = ()
    requires: tuple[Helper, ...] = ()
    typing: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        known = _HELPERS.setdefault(self.name, self)
        if known is not self and known.source != self.source:
            raise ValueError(f"two helpers are called {self.name!r}")

    def render(self, defaults: Mapping[str, Any] | None = None) -> str:
        """The source, with ``defaults`` (by default the runtime's) filled in."""
        values = {**dict(self.defaults), **(defaults or {})}
        return string.Template(self.source).substitute({k: literal(v) for k, v in values.items()})

    def runtime(self) -> Any:
        """The class or function itself, made from :meth:`render` once (imports torch)."""
        found = _RUNTIME.get(self.name)
        if found is None:
            found = _RUNTIME[self.name] = _exec_helper(self)
        return found


_HELPERS: dict[str, Helper] = {}
_RUNTIME: dict[str, Any] = {}
#: The module the runtime helpers say they are from (it resolves them by name, for pickle).
HELPER_MODULE = "designer.compiler.modules"


def helper_named(name: str) -> Helper | None:
    return _HELPERS.get(name)


def _exec_helper(helper: Helper) -> Any:
    import typing

    import torch
    import torch.nn.functional as F
    from torch import Tensor, nn

    source = helper.render()
    filename = f"<helper {helper.name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # tracebacks show it
    namespace: dict[str, Any] = {"__name__": HELPER_MODULE, "torch": torch, "nn": nn, "F": F, "Tensor": Tensor}
    namespace.update({name: getattr(typing, name) for name in helper.typing})
    namespace.update({r.name: r.runtime() for r in helper.requires})
    code = compile(source, filename, "exec", flags=__future__.annotations.compiler_flag, dont_inherit=True)
    exec(code, namespace)  # noqa: S102 - our own helper source, a constant of this package
    return namespace[helper.name]


@dataclass(frozen=True)
class Call:
    """How to construct one module: ``cls(*positional, **keywords)``, as data."""

    #: ``nn.Conv2d`` (torch.nn), a helper's name, or the name of a class the code generator writes.
    cls: str
    args: tuple[Arg, ...] = ()
    helper: Helper | None = None

    def with_values(self, values: Mapping[int, Any]) -> Call:
        """The same call with ``args[i].value`` replaced for each ``i`` in ``values``."""
        args = tuple(a._replace(value=values[i]) if i in values else a for i, a in enumerate(self.args))
        return Call(self.cls, args, self.helper)


def literal(value: Any) -> str:
    """Python source for a value of a :class:`Call` (``float("-inf")``, ``"relu"``, ``(1, 7)``)."""
    if isinstance(value, Sym):
        return value.name
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f'float("{value}")'
    if isinstance(value, str):
        return f'"{value}"' if value.isprintable() and not set(value) & {'"', "\\"} else repr(value)
    if isinstance(value, tuple):
        items = ", ".join(literal(v) for v in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    raise TypeError(f"no literal for {value!r}")


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def format_call(call: Call, defaults: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    """``cls(positional, ..., keyword=value, ...)``; keywords equal to their default are left out.

    ``defaults`` maps a class name to the defaults its emitted source has (a helper's
    template values); otherwise a helper's runtime defaults, then the argument's own apply.
    """
    own = (defaults or {}).get(call.cls, {})
    helper = dict(call.helper.defaults) if call.helper is not None else {}
    parts = []
    for a in call.args:
        if a.positional:
            parts.append(literal(a.value))
            continue
        default = own.get(a.name, helper.get(a.name, a.default))
        if default is not NO_DEFAULT and not isinstance(a.value, Sym) and _same(a.value, default):
            continue
        parts.append(f"{a.name}={literal(a.value)}")
    return f"{call.cls}({', '.join(parts)})"


def instantiate(call: Call) -> Any:
    """The torch module a call describes (imports torch)."""
    if call.helper is not None:
        cls = call.helper.runtime()
    elif call.cls.startswith("nn."):
        from torch import nn

        cls = getattr(nn, call.cls[3:])
    else:
        raise ValueError(f"{call.cls} is a generated class, not a module the compiler builds")
    for a in call.args:
        if isinstance(a.value, Sym):
            raise ValueError(f"{call.cls}: argument {a.name} is the symbol {a.value.name}, not a value")
    return cls(
        *(a.value for a in call.args if a.positional), **{a.name: a.value for a in call.args if not a.positional}
    )


def _pair(p: tuple[int, int]) -> int | tuple[int, int]:
    """``(3, 3) -> 3``, ``(1, 7) -> (1, 7)``: a size as torch takes it and as people write it."""
    return p[0] if p[0] == p[1] else p


# --------------------------------------------------------------------------- layers
def _need_map(shape: Shape, what: str) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise ShapeError(f"{what} needs a C x H x W feature map, got a flat vector of {fmt_shape(shape)}")
    return shape  # type: ignore[return-value]


def _floor_div(a: int, b: int) -> int:
    return a // b  # Python's // rounds toward -inf, like ATen's div_rtn


@dataclass(frozen=True)
class Layer:
    """Base class. Subclasses override what differs from an identity layer."""

    #: The submodule's name inside a node of several layers; "" for :attr:`default_name`.
    name: str = field(default="", kw_only=True, compare=False)
    #: What an unnamed layer is called (``conv``, ``pool``, ``fc`` ...).
    default_name: ClassVar[str] = "layer"

    @property
    def label(self) -> str:
        return self.name or self.default_name

    def out_shape(self, shape: Shape) -> Shape:
        return shape

    def params(self) -> int:
        return 0

    def macs(self, in_shape: Shape, out_shape: Shape) -> int:
        return 0

    def rf(self, in_shape: Shape) -> tuple[int, int, int, int]:
        """Receptive-field step ``(kernel_h, kernel_w, stride_h, stride_w)`` (effective kernel)."""
        return 1, 1, 1, 1

    def elements(self, out_shape: Shape) -> int:
        """Activation values this layer keeps for one image (its output's size)."""
        n = 1
        for d in out_shape:
            n *= d
        return n

    def call(self) -> Call:  # pragma: no cover - abstract
        """How to construct the torch module, as data (see :class:`Call`)."""
        raise NotImplementedError

    def parts(self) -> tuple[Layer, ...]:
        """The layers that are one module each (a layer that needs two modules splits itself)."""
        return (self,)

    def build(self) -> Any:
        """The torch module (imports torch)."""
        parts = self.parts()
        if len(parts) == 1:
            return instantiate(parts[0].call())
        from torch import nn

        return nn.Sequential(*(instantiate(p.call()) for p in parts))

    def code(self) -> str:
        """A Python expression constructing the same module, using ``nn``."""
        return format_call(self.call())


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
    default_name = "conv"

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

    def conv_args(self) -> tuple[Arg, ...]:
        """``in_channels, out_channels, kernel_size, stride, padding, dilation, groups`` as :class:`Arg`."""
        return (
            Arg("in_channels", self.in_channels, positional=True, channels=True),
            Arg("out_channels", self.out_channels, positional=True, channels=True),
            Arg("kernel_size", _pair(self.kernel)),
            Arg("stride", _pair(self.stride), default=1),
            Arg("padding", _pair(self.padding), default=0),
            Arg("dilation", _pair(self.dilation), default=1),
            Arg("groups", self.groups, channels=True, default=1),
        )

    def call(self) -> Call:
        return Call("nn.Conv2d", (*self.conv_args(), Arg("bias", self.bias, default=True)))


@dataclass(frozen=True)
class Pad2d(Layer):
    """Explicit (possibly uneven) padding: ``(left, right, top, bottom)`` as ``F.pad`` takes it."""

    pad: tuple[int, int, int, int]
    #: ``0.0`` pads zeros (before a conv); ``-inf`` pads for a max-pool, which ignores padding.
    value: float = 0.0
    default_name = "pad"

    def out_shape(self, shape: Shape) -> Shape:
        c, h, w = _need_map(shape, "Padding")
        left, right, top, bottom = self.pad
        return (c, h + top + bottom, w + left + right)

    def call(self) -> Call:
        if self.value == 0.0:
            return Call("nn.ZeroPad2d", (Arg("padding", self.pad, positional=True),))
        return Call("nn.ConstantPad2d", (Arg("padding", self.pad, positional=True), Arg("value", self.value)))


@dataclass(frozen=True)
class BatchNorm(Layer):
    channels: int
    eps: float = 1e-5
    #: ``BatchNorm1d`` over a flat vector instead of ``BatchNorm2d`` over a map.
    flat: bool = False
    default_name = "bn"

    def out_shape(self, shape: Shape) -> Shape:
        if shape[0] != self.channels:
            raise ShapeError(f"expected {self.channels} channels, got {shape[0]}")
        return shape

    def params(self) -> int:
        return 2 * self.channels

    def call(self) -> Call:
        return Call(
            "nn.BatchNorm1d" if self.flat else "nn.BatchNorm2d",
            (Arg("num_features", self.channels, positional=True, channels=True), Arg("eps", self.eps, default=1e-5)),
        )


_ACT_MODULES = {"relu": "ReLU", "relu6": "ReLU6", "gelu": "GELU", "silu": "SiLU", "none": "Identity"}


@dataclass(frozen=True)
class Act(Layer):
    kind: str = "relu"
    #: In place only where the input is a fresh tensor made by the layer before (inside a node);
    #: a standalone Activation node's input may feed other nodes too, so it must not be modified.
    inplace: bool = True
    default_name = "act"

    def _inplace(self) -> bool:
        return self.inplace and self.kind in ("relu", "relu6", "silu")

    def call(self) -> Call:
        inplace = (Arg("inplace", True),) if self._inplace() else ()
        return Call(f"nn.{_ACT_MODULES[self.kind]}", inplace)


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
    default_name = "pool"

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

    def _args(self) -> tuple[Arg, ...]:
        return (
            Arg("kernel_size", _pair(self.kernel)),
            Arg("stride", _pair(self.stride)),
            Arg("padding", _pair(self.padding), default=0),
            Arg("ceil_mode", self.ceil_mode, default=False),
        )


@dataclass(frozen=True)
class MaxPool2d(_Pool2d):
    _what = "max-pool"

    def call(self) -> Call:
        return Call("nn.MaxPool2d", self._args())


@dataclass(frozen=True)
class AvgPool2d(_Pool2d):
    count_include_pad: bool = True
    _what = "average-pool"

    def call(self) -> Call:
        return Call("nn.AvgPool2d", (*self._args(), Arg("count_include_pad", self.count_include_pad, default=True)))


@dataclass(frozen=True)
class GlobalAvgPool(Layer):
    """``AdaptiveAvgPool2d(1)``; with ``flatten`` the result is a flat ``(C,)`` vector."""

    flatten: bool = True
    default_name = "avgpool"

    def out_shape(self, shape: Shape) -> Shape:
        c, _, _ = _need_map(shape, "Global pooling")
        return (c,) if self.flatten else (c, 1, 1)

    def rf(self, in_shape: Shape) -> tuple[int, int, int, int]:
        return in_shape[1], in_shape[2], in_shape[1], in_shape[2]

    def parts(self) -> tuple[Layer, ...]:
        if self.flatten:  # two plain modules (``avgpool``, ``flatten``), as torchvision writes them
            return (GlobalAvgPool(False, name=self.name), Flatten())
        return (self,)

    def call(self) -> Call:
        if self.flatten:
            raise ValueError("a flattening global pool is two modules: see parts()")
        return Call("nn.AdaptiveAvgPool2d", (Arg("output_size", 1, positional=True),))


@dataclass(frozen=True)
class Flatten(Layer):
    default_name = "flatten"

    def out_shape(self, shape: Shape) -> Shape:
        n = 1
        for d in shape:
            n *= d
        return (n,)

    def rf(self, in_shape: Shape) -> tuple[int, int, int, int]:
        if len(in_shape) == 3:
            return in_shape[1], in_shape[2], in_shape[1], in_shape[2]
        return 1, 1, 1, 1

    def call(self) -> Call:
        return Call("nn.Flatten", (Arg("start_dim", 1, positional=True),))


@dataclass(frozen=True)
class Dropout(Layer):
    p: float = 0.5
    default_name = "dropout"

    def call(self) -> Call:
        return Call("nn.Dropout", (Arg("p", float(self.p)),))


@dataclass(frozen=True)
class Linear(Layer):
    in_features: int
    out_features: int
    bias: bool = True
    default_name = "fc"

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

    def call(self) -> Call:
        return Call(
            "nn.Linear",
            (
                Arg("in_features", self.in_features, positional=True, channels=True),
                Arg("out_features", self.out_features, positional=True, channels=True),
                Arg("bias", self.bias, default=True),
            ),
        )


@dataclass(frozen=True)
class LocalResponseNorm(Layer):
    size: int = 5
    alpha: float = 1e-4
    beta: float = 0.75
    k: float = 1.0
    default_name = "lrn"

    def out_shape(self, shape: Shape) -> Shape:
        _need_map(shape, "Local response normalisation")
        return shape

    def call(self) -> Call:
        return Call(
            "nn.LocalResponseNorm",
            (
                Arg("size", self.size, positional=True),  # a window size, not a channel count
                Arg("alpha", float(self.alpha)),
                Arg("beta", float(self.beta)),
                Arg("k", float(self.k)),
            ),
        )
