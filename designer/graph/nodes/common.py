"""Parameter declarations shared by several node families."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .. import registry
from ..layers import ACTIVATIONS, Layer
from ..params import (
    MAX_CHANNELS,
    BoolParam,
    ChoiceParam,
    FloatParam,
    IntParam,
    PaddingParam,
    PairParam,
    describe_pair,
)


class Stack(registry.Stack):
    """:class:`registry.Stack` whose layers can be named: ``add(layer, name=...)``, ``conv(..., name=...)``.

    Composite node types name their layers (``conv``, ``fc1``, ``dropout``): the names are
    the submodules' names in the compiled model and the exported code, so the state_dict
    keys do not move when a layer without weights comes or goes.
    """

    _name = ""

    def add(self, layer: Layer, *, blame: str | None = None, name: str = "") -> None:
        name = name or self._name
        super().add(replace(layer, name=name) if name and not layer.name else layer, blame=blame)

    def conv(self, out_channels: int, kernel: Any, *, name: str = "", **kwargs: Any) -> None:  # type: ignore[override]
        """``[Pad2d] Conv2d [BatchNorm] [Act]``, all named ``name`` (one ``BasicConv2d`` when compiled)."""
        before, self._name = self._name, name
        try:
            super().conv(out_channels, kernel, **kwargs)
        finally:
            self._name = before


def channels(name: str = "out_channels", default: int = 64, label: str = "", minimum: int = 1) -> IntParam:
    return IntParam(name, default, label=label, minimum=minimum, maximum=MAX_CHANNELS)


def kernel(name: str = "kernel_size", default: int | list[int] = 3, label: str = "") -> PairParam:
    return PairParam(
        name, default, label=label or "Kernel", help="k, or [kh, kw] for asymmetric kernels such as [1, 7]"
    )


def stride(name: str = "stride", default: int = 1, label: str = "") -> PairParam:
    return PairParam(name, default, label=label, minimum=1, maximum=64)


def padding(name: str = "padding", default: str | int = "same", label: str = "") -> PaddingParam:
    return PaddingParam(
        name,
        default,
        label=label,
        help="'same' keeps H x W (ceil(H / stride) with a stride), 'valid' pads nothing, or an explicit int / [h, w]",
    )


def bn_params(prefix: str = "") -> tuple:
    return (
        BoolParam(f"{prefix}batch_norm", False, label="BatchNorm"),
        FloatParam(
            f"{prefix}bn_eps", 1e-5, label="BN eps", minimum=0.0, maximum=1.0, min_inclusive=False, advanced=True
        ),
    )


def activation(name: str = "activation", default: str = "relu") -> ChoiceParam:
    return ChoiceParam(name, default, choices=ACTIVATIONS)


def conv_tail() -> tuple:
    """bias, BatchNorm, eps, activation: the options every conv-like node has."""
    return (BoolParam("bias", True, help="Usually off when BatchNorm follows"), *bn_params(), activation())


def conv_kwargs(p: dict) -> dict:
    return {"bias": p["bias"], "batch_norm": p["batch_norm"], "bn_eps": p["bn_eps"], "activation": p["activation"]}


def conv_summary(kind: str, p: dict) -> str:
    """'3x3 conv /2, padding 'valid' -> 64'."""
    text = f"{describe_pair(p['kernel_size'])} {kind}"
    if p.get("stride", 1) not in (1, [1, 1]):
        text += f" /{describe_pair(p['stride']).replace('x', ',') if isinstance(p['stride'], list) else p['stride']}"
    pad = p.get("padding", "same")
    text += f", padding {pad!r}" if isinstance(pad, str) else f", pad {describe_pair(pad)}"
    return text
