"""Inception-ResNet-v2 in the Keras layout (``keras.applications.InceptionResNetV2``;
Szegedy et al., 2017), input 3 x 299 x 299.

Every conv is Keras' ``conv2d_bn``: conv without bias, BatchNorm(eps=0.001), ReLU, except
each residual block's 1x1 "up" projection, which has a bias and neither BatchNorm nor
activation. The residual sum is an Add node: the first input is the shortcut, the
up-projection is scaled (0.17, 0.1, 0.2) and ReLU follows. As in Keras, the last block8
uses scale 1.0 and no activation. Names follow Keras (``block35_3_up`` is Keras'
``block35_3_conv``); the reduction blocks are ``Mixed_6a`` / ``Mixed_7a``.
"""

from __future__ import annotations

from ..graph.document import GraphDocument
from ._net import KERAS_BN, NetBuilder

__all__ = ["block8", "block17", "block35", "inception_resnet_v2", "irv2_builder"]


def irv2_builder(name: str, description: str) -> NetBuilder:
    return NetBuilder(name, description, KERAS_BN)


def _residual(
    b: NetBuilder, x: str, name: str, branches: list[str], channels: int, scale: float, activation: str
) -> str:
    mixed = b.concat(branches, f"{name}_mixed")
    up = b.cbr(mixed, f"{name}_up", channels, 1, bias=True, batch_norm=False, activation="none")
    return b.add([x, up], f"{name}_add", scale=scale, activation=activation)


def block35(b: NetBuilder, x: str, name: str, scale: float = 0.17, activation: str = "relu") -> str:
    """Inception-ResNet-A (35 x 35 x 320): 1x1 | 1x1 -> 3x3 | 1x1 -> 3x3 -> 3x3, up to 320."""
    with b.group(name):
        b0 = b.cbr(x, f"{name}_b0", 32, 1)
        b1 = b.chain(x, f"{name}_b1", [(32, 1), (32, 3)])
        b2 = b.chain(x, f"{name}_b2", [(32, 1), (48, 3), (64, 3)])
        return _residual(b, x, name, [b0, b1, b2], 320, scale, activation)


def block17(b: NetBuilder, x: str, name: str, scale: float = 0.1, activation: str = "relu") -> str:
    """Inception-ResNet-B (17 x 17 x 1088): 1x1 | 1x1 -> 1x7 -> 7x1, up to 1088."""
    with b.group(name):
        b0 = b.cbr(x, f"{name}_b0", 192, 1)
        b1 = b.chain(x, f"{name}_b1", [(128, 1), (160, [1, 7]), (192, [7, 1])])
        return _residual(b, x, name, [b0, b1], 1088, scale, activation)


def block8(b: NetBuilder, x: str, name: str, scale: float = 0.2, activation: str = "relu") -> str:
    """Inception-ResNet-C (8 x 8 x 2080): 1x1 | 1x1 -> 1x3 -> 3x1, up to 2080."""
    with b.group(name):
        b0 = b.cbr(x, f"{name}_b0", 192, 1)
        b1 = b.chain(x, f"{name}_b1", [(192, 1), (224, [1, 3]), (256, [3, 1])])
        return _residual(b, x, name, [b0, b1], 2080, scale, activation)


def _mixed_5b(b: NetBuilder, x: str) -> str:
    with b.group("Mixed_5b"):
        b0 = b.cbr(x, "Mixed_5b_b0", 96, 1)
        b1 = b.chain(x, "Mixed_5b_b1", [(48, 1), (64, 5)])
        b2 = b.chain(x, "Mixed_5b_b2", [(64, 1), (96, 3), (96, 3)])
        # Keras' AveragePooling2D(padding='same') leaves the padding out of the average.
        pool = b.avg_pool(x, "Mixed_5b_pool", padding="same", count_include_pad=False)
        bp = b.cbr(pool, "Mixed_5b_b3", 64, 1)
        return b.concat([b0, b1, b2, bp], "Mixed_5b_concat")  # 320 x 35 x 35


def _mixed_6a(b: NetBuilder, x: str) -> str:
    with b.group("Mixed_6a"):
        b0 = b.cbr(x, "Mixed_6a_b0", 384, 3, stride=2, padding="valid")
        b1 = b.chain(x, "Mixed_6a_b1", [(256, 1), (256, 3)])
        b1 = b.cbr(b1, "Mixed_6a_b1_3", 384, 3, stride=2, padding="valid")
        bp = b.max_pool(x, "Mixed_6a_pool")
        return b.concat([b0, b1, bp], "Mixed_6a_concat")  # 1088 x 17 x 17


def _mixed_7a(b: NetBuilder, x: str) -> str:
    with b.group("Mixed_7a"):
        b0 = b.cbr(b.cbr(x, "Mixed_7a_b0_1", 256, 1), "Mixed_7a_b0_2", 384, 3, stride=2, padding="valid")
        b1 = b.cbr(b.cbr(x, "Mixed_7a_b1_1", 256, 1), "Mixed_7a_b1_2", 288, 3, stride=2, padding="valid")
        b2 = b.chain(x, "Mixed_7a_b2", [(256, 1), (288, 3)])
        b2 = b.cbr(b2, "Mixed_7a_b2_3", 320, 3, stride=2, padding="valid")
        bp = b.max_pool(x, "Mixed_7a_pool")
        return b.concat([b0, b1, b2, bp], "Mixed_7a_concat")  # 2080 x 8 x 8


def inception_resnet_v2(num_classes: int = 1000) -> GraphDocument:
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
    )
    x = b.input(channels=3, height=299, width=299)
    x = b.cbr(x, "conv2d_1a", 32, 3, stride=2, padding="valid")  # 149
    x = b.cbr(x, "conv2d_2a", 32, 3, padding="valid")  # 147
    x = b.cbr(x, "conv2d_2b", 64, 3)  # 147
    x = b.max_pool(x, "maxpool_3a")  # 73
    x = b.cbr(x, "conv2d_3b", 80, 1, padding="valid")
    x = b.cbr(x, "conv2d_4a", 192, 3, padding="valid")  # 71
    x = b.max_pool(x, "maxpool_5a")  # 35
    x = _mixed_5b(b, x)
    for i in range(1, 11):
        x = block35(b, x, f"block35_{i}")
    x = _mixed_6a(b, x)
    for i in range(1, 21):
        x = block17(b, x, f"block17_{i}")
    x = _mixed_7a(b, x)
    for i in range(1, 10):
        x = block8(b, x, f"block8_{i}")
    x = block8(b, x, "block8_10", scale=1.0, activation="none")
    x = b.cbr(x, "conv_7b", 1536, 1)
    b.output(x, "classifier", num_classes=num_classes)
    return b.done()
