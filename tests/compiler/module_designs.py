"""Designs with modules for the compiler tests: GoogLeNet with one ``Inception`` definition (the
example), residual nets with a repeated block, a nested module and a structural exposed parameter."""

from __future__ import annotations

from designer.examples import build
from designer.graph.builder import Builder
from designer.graph.document import GraphDocument


def googlenet_modules() -> GraphDocument:
    """The example GoogLeNet: nine instances of ``Inception`` exposing torchvision's arguments."""
    doc = build("googlenet")
    assert len(doc.instances()) == 9, "the GoogLeNet example is drawn with Inception modules"
    return doc


def _res(b: Builder, x: str, width: int = 8) -> str:
    y = b.conv(x, "a", out_channels=width, kernel_size=3, batch_norm=True, bias=False)
    y = b.conv(y, "b", out_channels=8, kernel_size=3, activation="none", batch_norm=True, bias=False)
    return b.node("add", [x, y], "add", activation="relu")


def _pair(b: Builder, x: str, width: int = 8, inner: int = 8) -> str:
    x = b.instance("Res", x, "r1", width=inner)
    y = b.conv(x, "c", out_channels=width, kernel_size=1)
    y = b.conv(y, "d", out_channels=8, kernel_size=3, activation="none")
    return b.node("add", [x, y], "add")


def _wide(b: Builder, x: str, w1: int = 4, w2: int = 4, kernel: int = 3) -> str:
    p = b.conv(x, "p", out_channels=w1, kernel_size=1)
    q = b.conv(x, "q", out_channels=w2, kernel_size=kernel)
    cat = b.concat([p, q], "cat")
    return b.conv(cat, "mix", out_channels=8, kernel_size=1)


def _net(name: str, inline: bool) -> Builder:
    b = Builder(name, inline_modules=inline)
    b.define("Res", _res, inputs={"x": (8, 16, 16)}, exposed={"width": "a"})
    b.define("Pair", _pair, inputs={"x": (8, 16, 16)}, exposed={"width": "c", "inner": "r1.width"})
    b.define("Wide", _wide, inputs={"x": (8, 16, 16)}, exposed={"w1": "p", "w2": "q", "kernel": "q.kernel_size"})
    return b


def module_net(inline: bool = False) -> GraphDocument:
    """Every kind of use: a repeated ``Res`` (x3), a ``Pair`` holding a ``Res`` (nested, an
    exposed parameter of the outer set through the inner's), ``Wide`` with two kernel sizes
    (two classes) and varying widths; ``inline=True`` draws the same network without modules."""
    b = _net("module net", inline)
    x = b.input(channels=3, height=16, width=16)
    x = b.conv(x, "stem", out_channels=8, kernel_size=3)
    x = b.instance("Res", x, "res", repeat=3, width=6)
    x = b.instance("Pair", x, "pair1", width=5, inner=7)
    x = b.instance("Pair", x, "pair2", width=9, inner=4)
    x = b.instance("Wide", x, "wide1", w1=3, w2=5, kernel=3)
    x = b.instance("Wide", x, "wide2", w1=6, w2=2, kernel=3)
    x = b.instance("Wide", x, "wide3", w1=2, w2=2, kernel=5)
    b.output(x, num_classes=5)
    return b.done(layout=False)
