"""Xception in the Keras layout (``keras.applications.Xception``; Chollet, 2017), input
3 x 299 x 299.

Separable convs have no bias and are followed by BatchNorm (eps 0.001, with scale). The
ReLUs that Keras puts *before* a separable conv (``block3_sepconv1_act``) are Activation
nodes, so the shortcut of a residual block reads the block input before that ReLU, as in
Keras. Shortcuts of the entry and exit flow are 1x1 stride-2 convs + BatchNorm; the middle
flow's are identities. Each Add's first input is the shortcut.
"""

from __future__ import annotations

from ..graph.document import GraphDocument
from ._net import KERAS_BN, NetBuilder

__all__ = ["xception"]

_SEP = {**KERAS_BN, "kernel_size": 3, "padding": "same"}


def _sep(b: NetBuilder, x: str, name: str, out: int, activation: str = "none") -> str:
    return b.node("separable_conv", x, name, out_channels=out, activation=activation, **_SEP)


def _shortcut(b: NetBuilder, x: str, name: str, out: int) -> str:
    """1x1 stride-2 conv + BatchNorm, no activation: the entry/exit flow's projection shortcut."""
    return b.cbr(x, f"{name}_residual", out, 1, stride=2, activation="none")


def _down_block(b: NetBuilder, x: str, name: str, c1: int, c2: int, pre_act: bool = True) -> str:
    """[ReLU] sep c1, ReLU, sep c2, 3x3/2 max-pool, plus the projection shortcut."""
    with b.group(name):
        shortcut = _shortcut(b, x, name, c2)
        y = b.act(x, f"{name}_sepconv1_act") if pre_act else x
        y = _sep(b, y, f"{name}_sepconv1", c1)
        y = _sep(b, b.act(y, f"{name}_sepconv2_act"), f"{name}_sepconv2", c2)
        y = b.max_pool(y, f"{name}_pool", padding="same")
        return b.add([shortcut, y], f"{name}_add")


def _middle_block(b: NetBuilder, x: str, name: str) -> str:
    """Three (ReLU, sep 728) with an identity shortcut."""
    with b.group(name):
        y = x
        for i in (1, 2, 3):
            y = _sep(b, b.act(y, f"{name}_sepconv{i}_act"), f"{name}_sepconv{i}", 728)
        return b.add([x, y], f"{name}_add")


def xception(num_classes: int = 1000) -> GraphDocument:
    b = NetBuilder(
        "Xception",
        "Xception in the Keras layout on a 3 x 299 x 299 input: Inception modules taken to the "
        "limit, depthwise separable convs (a 3x3 per channel, then a 1x1 across channels) with "
        "residual shortcuts. Entry flow: two 3x3 convs, then three blocks that halve the map "
        "(147 -> 74 -> 37 -> 19) with 1x1 stride-2 conv shortcuts; middle flow: eight blocks of "
        "three separable convs at 728 x 19 x 19 with identity shortcuts; exit flow: one more "
        "down-sampling block to 1024 x 10 x 10, separable convs to 1536 and 2048, global average "
        "pool and FC 1000. Separable convs have no bias; BatchNorm (eps 0.001) follows each. "
        "22.9M parameters.",
        KERAS_BN,
    )
    x = b.input(channels=3, height=299, width=299)
    with b.group("block1"):
        x = b.cbr(x, "block1_conv1", 32, 3, stride=2, padding="valid")  # 149
        x = b.cbr(x, "block1_conv2", 64, 3, padding="valid")  # 147
    x = _down_block(b, x, "block2", 128, 128, pre_act=False)  # 128 x 74 x 74
    x = _down_block(b, x, "block3", 256, 256)  # 37
    x = _down_block(b, x, "block4", 728, 728)  # 19
    for i in range(5, 13):
        x = _middle_block(b, x, f"block{i}")
    x = _down_block(b, x, "block13", 728, 1024)  # 1024 x 10 x 10
    with b.group("block14"):
        x = _sep(b, x, "block14_sepconv1", 1536, activation="relu")
        x = _sep(b, x, "block14_sepconv2", 2048, activation="relu")
    b.output(x, "classifier", num_classes=num_classes)
    return b.done()
