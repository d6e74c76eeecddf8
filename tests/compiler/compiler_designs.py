"""Designs for the compiler tests, built with the Builder (independent of designer.examples)."""

from __future__ import annotations

from designer.graph.builder import Builder
from designer.graph.document import GraphDocument


def inception(b: Builder, x: str, name: str, c1: int, c3r: int, c3: int, c5r: int, c5: int, pp: int, **kw) -> str:
    """One GoogLeNet Inception block as a group (Branch nodes with a 1x1 reduce)."""
    b.begin_group()
    b1 = b.node("branch", x, "b1", reduce_channels=0, out_channels=c1, kernel_size=1, **kw)
    b2 = b.node("branch", x, "b2", reduce_channels=c3r, out_channels=c3, kernel_size=3, **kw)
    b3 = b.node("branch", x, "b3", reduce_channels=c5r, out_channels=c5, kernel_size=5, **kw)
    p = b.pool(x, "b4_pool", mode="max", kernel_size=3, stride=1, padding="same")
    b4 = b.conv(p, "b4", out_channels=pp, kernel_size=1, **kw)
    out = b.concat([b1, b2, b3, b4], "concat")
    b.end_group(name)
    return out


def card_module() -> GraphDocument:
    """The card's Inception module, as shipped (resources/examples/inception_module.json)."""
    from designer.examples import build

    return build("inception_module")


def googlenet(
    *,
    size: int = 224,
    classes: int = 1000,
    aux: bool = True,
    bn: bool = False,
    width: float = 1.0,
    dropout: float = 0.4,
) -> GraphDocument:
    """The paper's GoogLeNet (conv + bias + ReLU, true 5x5), optionally narrowed by ``width``."""

    def c(n: int) -> int:
        return max(1, int(n * width))

    kw = {"bias": not bn, "batch_norm": bn, "bn_eps": 1e-3} if bn else {}
    b = Builder("GoogLeNet")
    x = b.input(channels=3, height=size, width=size)
    x = b.node("stem", x, "conv1", out_channels=c(64), kernel_size=7, stride=2, padding=3, **kw)
    x = b.conv(x, "conv2", out_channels=c(64), kernel_size=1, **kw)
    x = b.conv(x, "conv3", out_channels=c(192), kernel_size=3, padding=1, **kw)
    x = b.pool(x, "maxpool2", kernel_size=3, stride=2, ceil_mode=True)
    x = inception(b, x, "inception_3a", c(64), c(96), c(128), c(16), c(32), c(32), **kw)
    x = inception(b, x, "inception_3b", c(128), c(128), c(192), c(32), c(96), c(64), **kw)
    x = b.pool(x, "maxpool3", kernel_size=3, stride=2, ceil_mode=True)
    x = inception(b, x, "inception_4a", c(192), c(96), c(208), c(16), c(48), c(64), **kw)
    a1 = x
    x = inception(b, x, "inception_4b", c(160), c(112), c(224), c(24), c(64), c(64), **kw)
    x = inception(b, x, "inception_4c", c(128), c(128), c(256), c(24), c(64), c(64), **kw)
    x = inception(b, x, "inception_4d", c(112), c(144), c(288), c(32), c(64), c(64), **kw)
    a2 = x
    x = inception(b, x, "inception_4e", c(256), c(160), c(320), c(32), c(128), c(128), **kw)
    x = b.pool(x, "maxpool4", kernel_size=2, stride=2, ceil_mode=True)
    x = inception(b, x, "inception_5a", c(256), c(160), c(320), c(32), c(128), c(128), **kw)
    x = inception(b, x, "inception_5b", c(384), c(192), c(384), c(48), c(128), c(128), **kw)
    b.output(x, "classifier", num_classes=classes, dropout=dropout)
    if aux:
        for name, src in (("aux1", a1), ("aux2", a2)):
            b.node(
                "aux_head",
                src,
                name,
                num_classes=classes,
                conv_channels=c(128),
                hidden=c(1024),
                **({"bias": False, "batch_norm": True, "bn_eps": 1e-3} if bn else {}),
            )
    return b.done(layout=False)


def mixed_design() -> GraphDocument:
    """Several conv flavours (generic BasicConv2d), uneven 'same' padding, separable conv, add with scale."""
    b = Builder("mixed")
    x = b.input(channels=4, height=15, width=15)
    a = b.conv(x, "a", out_channels=8, kernel_size=3, stride=2, padding="same", batch_norm=True, activation="gelu")
    c = b.conv(x, "c", out_channels=8, kernel_size=[1, 3], stride=2, padding="same", activation="silu")
    s = b.node("separable_conv", x, "s", out_channels=8, kernel_size=3, stride=2, batch_norm=True, activation="relu")
    p = b.pool(x, "p", mode="max", kernel_size=2, stride=2, padding="same")
    p = b.conv(p, "p_proj", out_channels=8, kernel_size=1, activation="none")
    y = b.node("add", [a, c, s, p], "sum", scale=0.2, activation="relu6")
    y = b.node("lrn", y, "lrn", size=3)
    y = b.node("batch_norm", y, "bn")
    y = b.node("global_avg_pool", y, "gap")
    y = b.node("linear", y, "fc", out_features=6)
    y = b.node("batch_norm", y, "bn1d")
    y = b.node("activation", y, "act", kind="gelu")
    b.output(y, num_classes=3, dropout=0.3)
    return b.done(layout=False)
