"""Inception-ResNet-v2 in the Keras layout (``keras.applications.InceptionResNetV2``;
Szegedy et al., 2017), input 3 x 299 x 299.

Every conv is Keras' ``conv2d_bn``: conv without bias, BatchNorm(eps=0.001), ReLU, except
each residual block's 1x1 "up" projection, which has a bias and neither BatchNorm nor
activation. The residual sum is an Add node: the first input is the shortcut, the
up-projection is scaled (0.17, 0.1, 0.2) and ReLU follows. As in Keras, the last block8
uses scale 1.0 and no activation. Names follow Keras (``block35_3_up`` is Keras'
``block35_3_conv``); the reduction blocks are ``Mixed_6a`` / ``Mixed_7a``.

The network is drawn with modules named like timm's classes: ``Mixed_5b``, ``Block35``,
``Mixed_6a``, ``Block17``, ``Mixed_7a``, ``Block8`` (the residual blocks expose ``scale`` and
``activation``); ``block35`` is one instance repeated 10 times, which expands to
``block35_1 .. block35_10`` as before, so the compiled weights keep their names.
"""

from __future__ import annotations

from ..graph.document import GraphDocument
from ._net import KERAS_BN, NetBuilder

__all__ = [
    "block8",
    "block17",
    "block35",
    "define_irv2_modules",
    "inception_resnet_v2",
    "irv2_builder",
    "mixed_5b",
    "mixed_6a",
    "mixed_7a",
]


def irv2_builder(name: str, description: str, inline_modules: bool = False) -> NetBuilder:
    return NetBuilder(name, description, KERAS_BN, inline_modules=inline_modules)


def _residual(b: NetBuilder, x: str, branches: list[str], channels: int, scale: float, activation: str) -> str:
    """Concatenate, project back up with a 1x1 conv (bias, no BN, no activation), scale, add."""
    up = b.cbr(b.concat(branches, "mixed"), "up", channels, 1, bias=True, batch_norm=False, activation="none")
    return b.add([x, up], "add", scale=scale, activation=activation)


def block35(b: NetBuilder, x: str, scale: float = 0.17, activation: str = "relu") -> str:
    """Inception-ResNet-A (35 x 35 x 320): 1x1 | 1x1 -> 3x3 | 1x1 -> 3x3 -> 3x3, up to 320."""
    b0 = b.cbr(x, "b0", 32, 1)
    b1 = b.chain(x, "b1", [(32, 1), (32, 3)])
    b2 = b.chain(x, "b2", [(32, 1), (48, 3), (64, 3)])
    return _residual(b, x, [b0, b1, b2], 320, scale, activation)


def block17(b: NetBuilder, x: str, scale: float = 0.1, activation: str = "relu") -> str:
    """Inception-ResNet-B (17 x 17 x 1088): 1x1 | 1x1 -> 1x7 -> 7x1, up to 1088."""
    b0 = b.cbr(x, "b0", 192, 1)
    b1 = b.chain(x, "b1", [(128, 1), (160, [1, 7]), (192, [7, 1])])
    return _residual(b, x, [b0, b1], 1088, scale, activation)


def block8(b: NetBuilder, x: str, scale: float = 0.2, activation: str = "relu") -> str:
    """Inception-ResNet-C (8 x 8 x 2080): 1x1 | 1x1 -> 1x3 -> 3x1, up to 2080."""
    b0 = b.cbr(x, "b0", 192, 1)
    b1 = b.chain(x, "b1", [(192, 1), (224, [1, 3]), (256, [3, 1])])
    return _residual(b, x, [b0, b1], 2080, scale, activation)


def mixed_5b(b: NetBuilder, x: str) -> str:
    b0 = b.cbr(x, "b0", 96, 1)
    b1 = b.chain(x, "b1", [(48, 1), (64, 5)])
    b2 = b.chain(x, "b2", [(64, 1), (96, 3), (96, 3)])
    # Keras' AveragePooling2D(padding='same') leaves the padding out of the average.
    pool = b.avg_pool(x, "pool", padding="same", count_include_pad=False)
    bp = b.cbr(pool, "b3", 64, 1)
    return b.concat([b0, b1, b2, bp], "concat")  # 320 x 35 x 35


def mixed_6a(b: NetBuilder, x: str) -> str:
    b0 = b.cbr(x, "b0", 384, 3, stride=2, padding="valid")
    b1 = b.chain(x, "b1", [(256, 1), (256, 3)])
    b1 = b.cbr(b1, "b1_3", 384, 3, stride=2, padding="valid")
    bp = b.max_pool(x, "pool")
    return b.concat([b0, b1, bp], "concat")  # 1088 x 17 x 17


def mixed_7a(b: NetBuilder, x: str) -> str:
    b0 = b.cbr(b.cbr(x, "b0_1", 256, 1), "b0_2", 384, 3, stride=2, padding="valid")
    b1 = b.cbr(b.cbr(x, "b1_1", 256, 1), "b1_2", 288, 3, stride=2, padding="valid")
    b2 = b.chain(x, "b2", [(256, 1), (288, 3)])
    b2 = b.cbr(b2, "b2_3", 320, 3, stride=2, padding="valid")
    bp = b.max_pool(x, "pool")
    return b.concat([b0, b1, b2, bp], "concat")  # 2080 x 8 x 8


_RESIDUAL = {"scale": "add.scale", "activation": "add.activation"}
_CBR = "Convs have no bias and BatchNorm (eps 0.001), then ReLU (Keras' conv2d_bn)."
_UP = (
    "The branches are concatenated, projected back up by a 1x1 conv with bias (no BatchNorm, no "
    "activation), multiplied by scale and added to the shortcut; activation follows the sum."
)


def define_irv2_modules(b: NetBuilder) -> None:
    """Inception-ResNet-v2's blocks under timm's class names (Mixed_5b, Block35, ...)."""
    b.define(
        "Mixed_5b",
        mixed_5b,
        {"x": (192, 35, 35)},
        {},
        "Inception-ResNet-v2's first Inception block, 192 -> 320 channels at 35 x 35: 1x1 | 1x1 -> 5x5 "
        "| 1x1 -> 3x3 -> 3x3 | 3x3 avg-pool -> 1x1. " + _CBR,
    )
    b.define(
        "Block35",
        block35,
        {"x": (320, 35, 35)},
        _RESIDUAL,
        "Inception-ResNet-A (Keras' block35) at 320 x 35 x 35: 1x1 | 1x1 -> 3x3 | 1x1 -> 3x3 -> 3x3. "
        + _UP
        + " Scale 0.17 in the paper. "
        + _CBR,
    )
    b.define(
        "Mixed_6a",
        mixed_6a,
        {"x": (320, 35, 35)},
        {},
        "Inception-ResNet-v2's reduction A, 35 -> 17: a stride-2 3x3 conv | 1x1 -> 3x3 -> 3x3/2 | 3x3/2 "
        "max-pool, concatenated to 1088 channels. " + _CBR,
    )
    b.define(
        "Block17",
        block17,
        {"x": (1088, 17, 17)},
        _RESIDUAL,
        "Inception-ResNet-B (Keras' block17) at 1088 x 17 x 17: 1x1 | 1x1 -> 1x7 -> 7x1. "
        + _UP
        + " Scale 0.1 in the paper. "
        + _CBR,
    )
    b.define(
        "Mixed_7a",
        mixed_7a,
        {"x": (1088, 17, 17)},
        {},
        "Inception-ResNet-v2's reduction B, 17 -> 8: three 1x1 -> stride-2 3x3 branches and a 3x3/2 "
        "max-pool, concatenated to 2080 channels. " + _CBR,
    )
    b.define(
        "Block8",
        block8,
        {"x": (2080, 8, 8)},
        _RESIDUAL,
        "Inception-ResNet-C (Keras' block8) at 2080 x 8 x 8: 1x1 | 1x1 -> 1x3 -> 3x1. "
        + _UP
        + " Scale 0.2 in the paper; the network's last block has scale 1 and no activation. "
        + _CBR,
    )


def inception_resnet_v2(num_classes: int = 1000, modules: bool = True) -> GraphDocument:
    """Inception-ResNet-v2; ``modules=False`` draws the 43 blocks as plain nodes in groups."""
    b = irv2_builder(
        "Inception-ResNet-v2",
        "Inception-ResNet-v2 in the Keras layout on a 3 x 299 x 299 input: the Inception v3-style "
        "stem down to 192 x 35 x 35, Mixed_5b (320 channels), 10 Inception-ResNet-A blocks "
        "(block35, residual scale 0.17), reduction Mixed_6a to 1088 x 17 x 17, 20 Inception-ResNet-B "
        "blocks (block17, scale 0.1), reduction Mixed_7a to 2080 x 8 x 8, 10 Inception-ResNet-C blocks "
        "(block8, scale 0.2; the last with scale 1 and no activation, as in Keras), a 1x1 conv to 1536, "
        "global average pool and FC 1000. Each block's branches are concatenated, projected back up "
        "by a 1x1 conv with bias, scaled and added to the shortcut. Convs have no bias and BatchNorm "
        "(eps 0.001) with weight and bias: 55.8M parameters in PyTorch's convention.",
        inline_modules=not modules,
    )
    define_irv2_modules(b)
    x = b.input(channels=3, height=299, width=299)
    x = b.cbr(x, "conv2d_1a", 32, 3, stride=2, padding="valid")  # 149
    x = b.cbr(x, "conv2d_2a", 32, 3, padding="valid")  # 147
    x = b.cbr(x, "conv2d_2b", 64, 3)  # 147
    x = b.max_pool(x, "maxpool_3a")  # 73
    x = b.cbr(x, "conv2d_3b", 80, 1, padding="valid")
    x = b.cbr(x, "conv2d_4a", 192, 3, padding="valid")  # 71
    x = b.max_pool(x, "maxpool_5a")  # 35
    x = b.instance("Mixed_5b", x, "Mixed_5b")
    x = b.instance("Block35", x, "block35", repeat=10)  # block35_1 .. block35_10, scale 0.17
    x = b.instance("Mixed_6a", x, "Mixed_6a")
    x = b.instance("Block17", x, "block17", repeat=20)  # scale 0.1
    x = b.instance("Mixed_7a", x, "Mixed_7a")
    x = b.instance("Block8", x, "block8", repeat=9)  # scale 0.2
    x = b.instance("Block8", x, "block8_10", scale=1.0, activation="none")
    x = b.cbr(x, "conv_7b", 1536, 1)
    b.output(x, "classifier", num_classes=num_classes)
    return b.done()
