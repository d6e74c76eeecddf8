"""Xception in the Keras layout (``keras.applications.Xception``; Chollet, 2017), input
3 x 299 x 299.

Separable convs have no bias and are followed by BatchNorm (eps 0.001, with scale). The
ReLUs that Keras puts *before* a separable conv (``block3_sepconv1_act``) are Activation
nodes, so the shortcut of a residual block reads the block input before that ReLU, as in
Keras. Shortcuts of the entry and exit flow are 1x1 stride-2 convs + BatchNorm; the middle
flow's are identities. Each Add's first input is the shortcut.

Drawn with modules: ``EntryBlock`` (block3, block4; ``channels`` wide), ``MiddleBlock`` (one
instance ``middle`` repeated 8 times: ``middle_1 .. middle_8``, Keras' block5 - block12) and
``ExitBlock`` (block13). block1 and block2 (whose input has just had its ReLU, so it has no
pre-activation) and block14 stay plain nodes in groups.
"""

from __future__ import annotations

from ..graph.document import GraphDocument
from ._net import KERAS_BN, NetBuilder

__all__ = ["define_xception_modules", "entry_block", "exit_block", "middle_block", "xception"]

_SEP = {**KERAS_BN, "kernel_size": 3, "padding": "same"}


def _sep(b: NetBuilder, x: str, name: str, out: int, activation: str = "none") -> str:
    return b.node("separable_conv", x, name, out_channels=out, activation=activation, **_SEP)


def _down(b: NetBuilder, x: str, c1: int, c2: int, pre_act: bool = True) -> str:
    """[ReLU] sep c1, ReLU, sep c2, 3x3/2 max-pool, plus the 1x1 stride-2 conv + BatchNorm shortcut."""
    shortcut = b.cbr(x, "residual", c2, 1, stride=2, activation="none")
    y = b.act(x, "sepconv1_act") if pre_act else x
    y = _sep(b, y, "sepconv1", c1)
    y = _sep(b, b.act(y, "sepconv2_act"), "sepconv2", c2)
    y = b.max_pool(y, "pool", padding="same")
    return b.add([shortcut, y], "add")


def entry_block(b: NetBuilder, x: str, channels: int = 256) -> str:
    """An entry-flow block: ReLU, sep, ReLU, sep (``channels`` wide), 3x3/2 max-pool, projection shortcut."""
    return _down(b, x, channels, channels)


def middle_block(b: NetBuilder, x: str) -> str:
    """A middle-flow block: three (ReLU, sep 728) with an identity shortcut."""
    y = x
    for i in (1, 2, 3):
        y = _sep(b, b.act(y, f"sepconv{i}_act"), f"sepconv{i}", 728)
    return b.add([x, y], "add")


def exit_block(b: NetBuilder, x: str) -> str:
    """The exit flow's residual block: ReLU, sep 728, ReLU, sep 1024, 3x3/2 max-pool, projection shortcut."""
    return _down(b, x, 728, 1024)


_STYLE = "Separable convs have no bias; BatchNorm (eps 0.001) follows each. The shortcut is added first."


def define_xception_modules(b: NetBuilder) -> None:
    b.define(
        "EntryBlock",
        entry_block,
        {"x": (128, 74, 74)},
        {"channels": ("residual", "sepconv1", "sepconv2")},
        "Xception's entry-flow block (Keras' block3, block4): ReLU, 3x3 separable conv, ReLU, 3x3 "
        "separable conv, 3x3/2 max-pool, added to a 1x1 stride-2 conv + BatchNorm shortcut of the "
        "block input: halves the map, channels wide. " + _STYLE,
    )
    b.define(
        "MiddleBlock",
        middle_block,
        {"x": (728, 19, 19)},
        {},
        "Xception's middle-flow block (Keras' block5 - block12): three times ReLU then a 3x3 "
        "separable conv to 728 channels, added to the block input (identity shortcut). " + _STYLE,
    )
    b.define(
        "ExitBlock",
        exit_block,
        {"x": (728, 19, 19)},
        {},
        "Xception's exit-flow residual block (Keras' block13): ReLU, separable conv 728, ReLU, "
        "separable conv 1024, 3x3/2 max-pool, added to a 1x1 stride-2 conv + BatchNorm shortcut. " + _STYLE,
    )


def xception(num_classes: int = 1000, modules: bool = True) -> GraphDocument:
    """Xception; ``modules=False`` draws the blocks as plain nodes in groups."""
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
        inline_modules=not modules,
    )
    define_xception_modules(b)
    x = b.input(channels=3, height=299, width=299)
    with b.group("block1"):
        x = b.cbr(x, "block1_conv1", 32, 3, stride=2, padding="valid")  # 149
        x = b.cbr(x, "block1_conv2", 64, 3, padding="valid")  # 147
    with b.group("block2", prefix="block2_"):  # its input has just had a ReLU: no pre-activation
        x = _down(b, x, 128, 128, pre_act=False)  # 128 x 74 x 74
    x = b.instance("EntryBlock", x, "block3", channels=256)  # 37
    x = b.instance("EntryBlock", x, "block4", channels=728)  # 19
    x = b.instance("MiddleBlock", x, "middle", repeat=8)  # middle_1 .. middle_8 (Keras' block5 - block12)
    x = b.instance("ExitBlock", x, "block13")  # 1024 x 10 x 10
    with b.group("block14"):
        x = _sep(b, x, "block14_sepconv1", 1536, activation="relu")
        x = _sep(b, x, "block14_sepconv2", 2048, activation="relu")
    b.output(x, "classifier", num_classes=num_classes)
    return b.done()
