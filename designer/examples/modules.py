"""Single Inception modules: the card's module (and its mismatch), and the v3 / Inception-ResNet
module variants each on the input they see inside the full network."""

from __future__ import annotations

from ..graph.builder import Builder
from ..graph.document import GraphDocument
from .inception_resnet import define_irv2_modules, irv2_builder
from .inception_v3 import define_v3_modules, v3_builder

__all__ = ["card_module", "inception_resnet_a_module", "inception_v3_module"]


def card_module(mismatch: bool) -> GraphDocument:
    b = Builder(
        "Inception module" + (" (mismatch)" if mismatch else ""),
        "The Inception module from GoogLeNet (inception 3a) on a 192 x 28 x 28 input: four branches "
        "concatenated on channels. The 1x1 bottleneck before the 5x5 conv cuts that branch from "
        "120M to 12M multiply-adds."
        + (
            " Branch 1 is a 3x3 conv with 'valid' padding, so it comes out 26 x 26 and the concat "
            "cannot join it: open the Problems panel and press Fix."
            if mismatch
            else ""
        ),
    )
    x = b.input(channels=192, height=28, width=28)
    b.begin_group()
    if mismatch:
        b1 = b.conv(x, "b1", out_channels=64, kernel_size=3, padding="valid")
    else:
        b1 = b.conv(x, "b1_1x1", out_channels=64, kernel_size=1)
    b2 = b.conv(b.conv(x, "b2_reduce", out_channels=96, kernel_size=1), "b2_3x3", out_channels=128, kernel_size=3)
    b3 = b.conv(b.conv(x, "b3_reduce", out_channels=16, kernel_size=1), "b3_5x5", out_channels=32, kernel_size=5)
    p = b.pool(x, "b4_pool", mode="max", kernel_size=3, stride=1, padding="same")
    b4 = b.conv(p, "b4_proj", out_channels=32, kernel_size=1)
    b.concat([b1, b2, b3, b4], "concat")
    b.end_group("inception module")
    return b.done()


_V3_MODULES = {
    # kind: (title, input C x H x W, module, its values, group name, description)
    "a": (
        "Inception v3 module A",
        (288, 35, 35),
        "InceptionA",
        {"pool_features": 64},
        "Mixed_5d",
        "Figure 5 of the Inception v3 paper, as torchvision's Mixed_5d on 288 x 35 x 35: the 5x5 conv "
        "of GoogLeNet's module is factorized into two stacked 3x3 convs (same receptive field, 28% "
        "fewer multiply-adds) and the pool branch uses an average pool. BasicConv2d everywhere "
        "(conv without bias, BatchNorm, ReLU).",
    ),
    "c": (
        "Inception v3 module C",
        (768, 17, 17),
        "InceptionC",
        {"channels_7x7": 128},
        "Mixed_6b",
        "Figure 6 of the Inception v3 paper, as torchvision's Mixed_6b on 768 x 17 x 17: the 7x7 convs "
        "are factorized into a 1x7 followed by a 7x1 (asymmetric convolutions), which costs 2/7 of "
        "a full 7x7 for the same receptive field.",
    ),
    "e": (
        "Inception v3 module E",
        (1280, 8, 8),
        "InceptionE",
        {},
        "Mixed_7b",
        "Figure 7 of the Inception v3 paper, as torchvision's Mixed_7b on 1280 x 8 x 8: the expanded "
        "filter bank for the coarsest grid. The 3x3 branches end in a 1x3 and a 3x1 conv side by "
        "side whose outputs are concatenated (a concat inside the module), widening the output "
        "to 2048 channels.",
    ),
}


def inception_v3_module(kind: str) -> GraphDocument:
    """One v3 module drawn as plain nodes (what a user designs), as in the full network."""
    title, (c, h, w), module, values, group, description = _V3_MODULES[kind]
    b = v3_builder(title, description, inline_modules=True)
    define_v3_modules(b)
    b.instance(module, b.input(channels=c, height=h, width=w), group, **values)
    return b.done()


def inception_resnet_a_module() -> GraphDocument:
    b = irv2_builder(
        "Inception-ResNet-A",
        "The Inception-ResNet-v2 block35 (Keras layout) on 320 x 35 x 35: three branches "
        "concatenated to 128 channels, a 1x1 conv with bias (no BatchNorm, no activation) projects "
        "back up to 320 channels, and the Add node sums it onto the shortcut scaled by 0.17, then "
        "applies ReLU. The scaling keeps the residual small so a deep stack trains stably.",
        inline_modules=True,
    )
    define_irv2_modules(b)
    b.instance("Block35", b.input(channels=320, height=35, width=35), "block35_1")
    return b.done()
