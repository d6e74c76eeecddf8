"""The helpers of generated code and of the compiled model, each defined once, as source text.

A :class:`~designer.graph.layers.Helper` is one source text. Generated code emits it (with
the defaults that suit the design: :func:`file_defaults`); the compiled model executes the
same text once, on first use, with the runtime defaults (:meth:`Helper.runtime`). So
``BasicConv2d`` and ``init_weights`` cannot differ between the two.

Why text rather than a class in a module whose source is copied out with ``inspect``: code
generation runs on every edit in the app and must not import torch, and the text needs no
parsing to be emitted (the defaults are :class:`string.Template` fields).

A layer may bring a helper of its own (a future squeeze-excite block): its
:meth:`~designer.graph.layers.Layer.call` names the class and carries the :class:`Helper`;
the compiled model instantiates ``helper.runtime()``, and the code generator emits
``helper.render(...)`` (and those it ``requires``) once, before the classes that use it.

Pure Python: no torch import.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from ..graph.layers import Arg, BatchNorm, Call, Conv2d, Helper

__all__ = ["BASIC_CONV2D", "INIT_WEIGHTS", "MAKE_ACTIVATION", "basic_conv_call", "file_defaults", "helpers_of"]

MAKE_ACTIVATION = Helper(
    "make_activation",
    '''\
def make_activation(kind: str) -> nn.Module | None:
    """The activation for ``kind`` (relu, relu6, gelu, silu; in place where it can be), or None for none."""
    if kind == "none":
        return None
    if kind == "gelu":
        return nn.GELU()
    return {"relu": nn.ReLU, "relu6": nn.ReLU6, "silu": nn.SiLU}[kind](inplace=True)
''',
)

BASIC_CONV2D = Helper(
    "BasicConv2d",
    '''\
class BasicConv2d(nn.Module):
    """Conv2d, then BatchNorm2d when ``batch_norm``, then the ``activation`` (torchvision's name).

    ``pad`` (left, right, top, bottom) zero-pads the input first: 'same' padding where it is uneven.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        pad: tuple[int, int, int, int] | None = None,
        bias: bool = $bias,
        batch_norm: bool = $batch_norm,
        eps: float = $eps,
        activation: str = $activation,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        self.pad = nn.ZeroPad2d(pad) if pad is not None else None
        self.conv = nn.Conv2d(in_channels, out_channels, bias=bias, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=eps) if batch_norm else None
        self.act = make_activation(activation)

    def forward(self, x: Tensor) -> Tensor:
        if self.pad is not None:
            x = self.pad(x)
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        if self.act is not None:
            x = self.act(x)
        return x
''',
    defaults=(("bias", True), ("batch_norm", False), ("eps", 1e-5), ("activation", "relu")),
    requires=(MAKE_ACTIVATION,),
    typing=("Any",),
)

INIT_WEIGHTS = Helper(
    "init_weights",
    '''\
def init_weights(module: nn.Module) -> None:
    """Kaiming-normal convs (fan_in, ReLU gain), zero biases, BatchNorm 1/0, linear weights normal(0, 0.01)."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.01)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
''',
)


def basic_conv_call(conv: Conv2d, bn: BatchNorm | None, act: str, pad: tuple[int, int, int, int] | None = None) -> Call:
    """``[ZeroPad2d] Conv2d [BatchNorm2d] [activation]`` as one ``BasicConv2d``.

    Every conv of a node is one: its ``state_dict`` keys (``conv.weight``, ``bn.*``) are the
    same whatever the activation or padding (which hold no weights).
    """
    flavour = [Arg("bias", conv.bias), Arg("batch_norm", bn is not None)]
    if bn is not None:
        flavour.append(Arg("eps", bn.eps))  # only where there is a BatchNorm to take it
    flavour.append(Arg("activation", act))
    return Call("BasicConv2d", (*conv.conv_args(), Arg("pad", pad, default=None), *flavour), BASIC_CONV2D)


def helpers_of(calls: Iterable[Call]) -> list[Helper]:
    """The helpers the calls use, with those they require, each once, a helper after its requirements."""
    out: list[Helper] = []

    def visit(h: Helper) -> None:
        if h in out:
            return
        for r in h.requires:
            visit(r)
        out.append(h)

    for call in calls:
        if call.helper is not None:
            visit(call.helper)
    return out


def file_defaults(calls: Iterable[Call]) -> dict[str, dict[str, Any]]:
    """For each helper class with template defaults: the commonest value of each, over ``calls``.

    Generated code emits the helper with these as its defaults and leaves them out of the
    calls (a design of plain conv + ReLU writes ``BasicConv2d(3, 64, kernel_size=7)``).
    """
    counts: dict[str, dict[str, Counter]] = {}
    for call in calls:
        h = call.helper
        if h is None or not h.defaults:
            continue
        tunable = dict(h.defaults)
        per = counts.setdefault(h.name, {})
        for a in call.args:
            if a.name in tunable and not a.positional:
                per.setdefault(a.name, Counter())[_key(a.value)] += 1
    return {name: {arg: c.most_common(1)[0][0][1] for arg, c in per.items()} for name, per in counts.items()}


def _key(value: Any) -> tuple[str, Any]:
    return type(value).__name__, value  # True and 1 are different defaults
