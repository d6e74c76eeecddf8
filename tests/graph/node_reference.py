"""Independent torch references for every node type, for the differential tests.

Each reference builds the node from its parameters with plain ``torch.nn`` and runs it
on a real batch, layer by layer (:class:`Probe`), so every size comes from torch itself,
never from the designer's shape code. Where torch would *accept* something the designer
rejects on purpose, the reference raises :class:`DesignReason` naming one entry of
:data:`DESIGN_REASONS`; everywhere else, an invalid combination makes torch raise.

``'same'`` padding has Keras' meaning (output ``ceil(size / stride)``, the odd pixel at
the bottom/right). With stride 1 the reference uses torch's own ``padding='same'``; with
a stride, which torch refuses, it pads explicitly with TensorFlow's documented formula.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

#: Every reason for which the designer rejects what torch would run. Keep this list short.
DESIGN_REASONS = {
    "linear-on-map": "a Linear node on a C x H x W map: torch would apply it to the last axis (W) only; "
    "the designer asks for a Flatten or a global pool first",
    "add-broadcast": "Add of unequal but broadcastable shapes: torch would broadcast silently, "
    "a residual sum needs equal shapes",
    "avg-pool-uneven-same": "average pooling with 'same' padding that would be uneven: there is no "
    "torch equivalent that excludes the extra pad (zeros would bias the mean)",
    "global-pool-on-vector": "global pooling of a flat vector: AdaptiveAvgPool2d would treat the (N, F) "
    "batch as one unbatched N x F image and mix the samples",
    "stacked-even-kernel": "a Branch factorized into stacked 3x3 convs with an even kernel: no number "
    "of 3x3 convs reaches an even size",
}

#: What torch raises for invalid sizes, channels and paddings (a KeyError or TypeError here
#: would be a bug in this file, so those are not caught).
TORCH_ERRORS = (RuntimeError, ValueError, IndexError)

ACT: dict[str, Callable[[], nn.Module]] = {"relu": nn.ReLU, "relu6": nn.ReLU6, "gelu": nn.GELU, "silu": nn.SiLU}


class DesignReason(Exception):
    def __init__(self, key: str):
        assert key in DESIGN_REASONS, key
        super().__init__(key)
        self.key = key


def pair(v: Any) -> tuple[int, int]:
    return (int(v[0]), int(v[1])) if isinstance(v, (list, tuple)) else (int(v), int(v))


def keras_same(size: int, k: int, s: int, d: int = 1) -> tuple[int, int]:
    """TensorFlow's 'SAME': output ceil(size / s); pad_total split with the extra after."""
    out = math.ceil(size / s)
    total = max((out - 1) * s + d * (k - 1) + 1 - size, 0)
    return total // 2, total - total // 2


class Probe:
    """Runs a batch through modules as they are added; torch raises where sizes do not fit."""

    def __init__(self, x: Tensor):
        self.x = x
        self.mods: list[nn.Module] = []

    def add(self, m: nn.Module) -> None:
        m.eval()
        with torch.no_grad():
            self.x = m(self.x)
        self.mods.append(m)

    @property
    def is_map(self) -> bool:
        return self.x.dim() == 4

    def module(self) -> nn.Module:
        return nn.Sequential(*self.mods)


def conv_block(
    pr: Probe,
    cout: int,
    k: Any,
    stride: Any = 1,
    padding: Any = "same",
    dilation: Any = 1,
    groups: int = 1,
    bias: bool = True,
    bn: bool = False,
    eps: float = 1e-5,
    act: str = "relu",
) -> None:
    cin = pr.x.shape[1]
    k, s, d = pair(k), pair(stride), pair(dilation)
    if padding == "same" and pr.is_map and s == (1, 1):
        pr.add(nn.Conv2d(cin, cout, k, 1, "same", d, groups, bias))
    else:
        if padding == "same" and pr.is_map:
            (t, b), (le, r) = (keras_same(pr.x.shape[i + 2], k[i], s[i], d[i]) for i in (0, 1))
            pr.add(nn.ZeroPad2d((le, r, t, b)))
            pad: Any = 0
        else:
            pad = 0 if padding in ("same", "valid") else pair(padding)
        pr.add(nn.Conv2d(cin, cout, k, s, pad, d, groups, bias))
    if bn:
        pr.add(nn.BatchNorm2d(cout, eps=eps))
    if act != "none":
        pr.add(ACT[act]())


def pool_block(pr: Probe, mode: str, k: Any, s: Any, padding: Any, ceil: bool, count_include_pad: bool = True) -> None:
    k, s = pair(k), pair(s)
    pad: Any = 0
    if padding == "same" and pr.is_map:
        (t, b), (le, r) = (keras_same(pr.x.shape[i + 2], k[i], s[i]) for i in (0, 1))
        if t == b and le == r:
            pad = (t, le)
        elif mode == "avg":
            raise DesignReason("avg-pool-uneven-same")
        else:
            pr.add(nn.ConstantPad2d((le, r, t, b), float("-inf")))
    elif padding not in ("same", "valid"):
        pad = pair(padding)
    if mode == "max":
        pr.add(nn.MaxPool2d(k, s, pad, ceil_mode=ceil))
    else:
        pr.add(nn.AvgPool2d(k, s, pad, ceil_mode=ceil, count_include_pad=count_include_pad))


def tail(p: dict[str, Any]) -> dict[str, Any]:
    return {"bias": p["bias"], "bn": p["batch_norm"], "eps": p["bn_eps"], "act": p["activation"]}


# --------------------------------------------------------------------------- per type
def _input(pr: Probe, p: dict[str, Any]) -> None:
    pr.add(nn.Identity())


def _conv(pr: Probe, p: dict[str, Any]) -> None:
    conv_block(
        pr, p["out_channels"], p["kernel_size"], p["stride"], p["padding"], p["dilation"], p["groups"], **tail(p)
    )


def _separable(pr: Probe, p: dict[str, Any]) -> None:
    c = pr.x.shape[1]
    mid = c * p["depth_multiplier"]
    conv_block(pr, mid, p["kernel_size"], p["stride"], p["padding"], p["dilation"], c, bias=False, act="none")
    conv_block(pr, p["out_channels"], 1, padding=0, **tail(p))


def _stem(pr: Probe, p: dict[str, Any]) -> None:
    conv_block(pr, p["out_channels"], p["kernel_size"], p["stride"], p["padding"], **tail(p))
    if p["pool"] != "none":
        pool_block(pr, p["pool"], p["pool_kernel"], p["pool_stride"], p["pool_padding"], p["ceil_mode"])


def _branch(pr: Probe, p: dict[str, Any]) -> None:
    t = tail(p)
    if p["reduce_channels"]:
        conv_block(pr, p["reduce_channels"], 1, padding=0, **t)
    k, out, f, pad = p["kernel_size"], p["out_channels"], p["factorize"], p["padding"]
    mid = p["mid_channels"] or out
    if f == "none" or k == 1:
        conv_block(pr, out, k, p["stride"], pad, **t)
    elif f == "stacked 3x3":
        if k % 2 == 0:
            raise DesignReason("stacked-even-kernel")
        n = (k - 1) // 2  # a k x k receptive field from n 3x3 convs
        for i in range(n):
            last = i == n - 1
            conv_block(pr, out if last else mid, 3, p["stride"] if last else 1, pad, **t)
    else:
        conv_block(pr, mid, (1, k), 1, pad, **t)
        conv_block(pr, out, (k, 1), p["stride"], pad, **t)


def _pool(pr: Probe, p: dict[str, Any]) -> None:
    pool_block(pr, p["mode"], p["kernel_size"], p["stride"], p["padding"], p["ceil_mode"], p["count_include_pad"])


def _global_pool(pr: Probe, p: dict[str, Any]) -> None:
    if not pr.is_map:
        raise DesignReason("global-pool-on-vector")
    pr.add(nn.AdaptiveAvgPool2d(1))
    if p["flatten"]:
        pr.add(nn.Flatten(1))


def _output(pr: Probe, p: dict[str, Any]) -> None:
    if pr.is_map:
        pr.add(nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(1)) if p["pool"] == "avg" else nn.Flatten(1))
    if p["dropout"] > 0:
        pr.add(nn.Dropout(p["dropout"]))
    pr.add(nn.Linear(pr.x.shape[1], p["num_classes"], bias=p["bias"]))


def _aux(pr: Probe, p: dict[str, Any]) -> None:
    t = tail(p)
    pr.add(nn.AvgPool2d(pair(p["pool_kernel"]), pair(p["pool_stride"])))
    conv_block(pr, p["conv_channels"], 1, padding=0, **t)
    if p["conv2_channels"]:
        conv_block(pr, p["conv2_channels"], p["conv2_kernel"], padding=0, **t)
        pr.add(nn.AdaptiveAvgPool2d(1))
    pr.add(nn.Flatten(1))
    if p["hidden"]:
        pr.add(nn.Linear(pr.x.shape[1], p["hidden"]))
        if p["activation"] != "none":
            pr.add(ACT[p["activation"]]())
    if p["dropout"] > 0:
        pr.add(nn.Dropout(p["dropout"]))
    pr.add(nn.Linear(pr.x.shape[1], p["num_classes"]))


def _batch_norm(pr: Probe, p: dict[str, Any]) -> None:
    pr.add((nn.BatchNorm2d if pr.is_map else nn.BatchNorm1d)(pr.x.shape[1], eps=p["eps"]))


def _activation(pr: Probe, p: dict[str, Any]) -> None:
    pr.add(ACT[p["kind"]]() if p["kind"] != "none" else nn.Identity())


def _linear(pr: Probe, p: dict[str, Any]) -> None:
    if pr.x.dim() != 2:
        raise DesignReason("linear-on-map")
    pr.add(nn.Linear(pr.x.shape[1], p["out_features"], bias=p["bias"]))


SEQUENTIAL: dict[str, Callable[[Probe, dict[str, Any]], None]] = {
    "input": _input,
    "conv": _conv,
    "separable_conv": _separable,
    "stem": _stem,
    "branch": _branch,
    "pool": _pool,
    "global_avg_pool": _global_pool,
    "output": _output,
    "aux_head": _aux,
    "batch_norm": _batch_norm,
    "activation": _activation,
    "dropout": lambda pr, p: pr.add(nn.Dropout(p["p"])),
    "flatten": lambda pr, p: pr.add(nn.Flatten(1)),
    "linear": _linear,
    "lrn": lambda pr, p: pr.add(nn.LocalResponseNorm(p["size"], p["alpha"], p["beta"], p["k"])),
}


class RefCat(nn.Module):
    def forward(self, *xs: Tensor) -> Tensor:
        return torch.cat(xs, 1)


class RefAdd(nn.Module):
    def __init__(self, scale: float, act: str):
        super().__init__()
        self.scale, self.act = scale, (ACT[act]() if act != "none" else nn.Identity())

    def forward(self, x: Tensor, *rest: Tensor) -> Tensor:
        return self.act(x + self.scale * sum(rest)) if rest else self.act(x)


def reference(type_id: str, p: dict[str, Any], xs: list[Tensor]) -> tuple[nn.Module, Tensor]:
    """The reference module for a node and its output on ``xs``.

    Raises :class:`DesignReason`, or one of :data:`TORCH_ERRORS` where torch refuses.
    """
    if type_id == "concat":
        m: nn.Module = RefCat()
    elif type_id == "add":
        shapes = [tuple(x.shape) for x in xs]
        if len(set(shapes)) > 1:
            torch.broadcast_shapes(*shapes)  # raises RuntimeError when torch cannot add them
            raise DesignReason("add-broadcast")
        m = RefAdd(p["scale"], p["activation"])
    else:
        (x,) = xs
        pr = Probe(x)
        SEQUENTIAL[type_id](pr, p)
        return pr.module(), pr.x
    m.eval()
    with torch.no_grad():
        return m, m(*xs)
