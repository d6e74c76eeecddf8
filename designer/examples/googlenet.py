"""GoogLeNet (Inception v1) as in the paper, Table 1 (Szegedy et al., 2015).

Conv with bias + ReLU, no BatchNorm, no LRN, a true 5x5 branch, max-pools with
``ceil_mode`` (224 -> 112 -> 56 -> 28 -> 14 -> 7), two auxiliary heads on 4a and 4d.
Names follow torchvision's ``GoogLeNet`` attributes (``conv1``, ``inception3a``, ``aux1``).

Drawn with one module, ``Inception``, exposing torchvision's arguments (``ch1x1, ch3x3red,
ch3x3, ch5x5red, ch5x5, pool_proj``) and nine instances of it; the compiled weights are
``inception3a.b1_1x1.conv.weight`` as in the flat drawing (``googlenet(modules=False)``).
"""

from __future__ import annotations

from ..graph.document import GraphDocument
from ._net import PLAIN, NetBuilder

__all__ = ["GOOGLENET_BLOCKS", "INCEPTION_PARAMS", "define_inception", "googlenet", "inception"]

#: Table 1: name, #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj.
GOOGLENET_BLOCKS: tuple[tuple[str, int, int, int, int, int, int], ...] = (
    ("inception3a", 64, 96, 128, 16, 32, 32),
    ("inception3b", 128, 128, 192, 32, 96, 64),
    ("inception4a", 192, 96, 208, 16, 48, 64),
    ("inception4b", 160, 112, 224, 24, 64, 64),
    ("inception4c", 128, 128, 256, 24, 64, 64),
    ("inception4d", 112, 144, 288, 32, 64, 64),
    ("inception4e", 256, 160, 320, 32, 128, 128),
    ("inception5a", 256, 160, 320, 32, 128, 128),
    ("inception5b", 384, 192, 384, 48, 128, 128),
)
#: The Inception module's exposed parameters (torchvision's ``Inception`` arguments) and the
#: node each one sets.
INCEPTION_PARAMS = {
    "ch1x1": "b1_1x1",
    "ch3x3red": "b2_reduce",
    "ch3x3": "b2_3x3",
    "ch5x5red": "b3_reduce",
    "ch5x5": "b3_5x5",
    "pool_proj": "b4_proj",
}

#: A max-pool 3/2 (ceil) follows these blocks.
_POOL_AFTER = {"inception3b": "maxpool3", "inception4e": "maxpool4"}
#: An aux head hangs off these blocks.
_AUX_AFTER = {"inception4a": "aux1", "inception4d": "aux2"}


def inception(
    b: NetBuilder,
    x: str,
    ch1x1: int = 64,
    ch3x3red: int = 96,
    ch3x3: int = 128,
    ch5x5red: int = 16,
    ch5x5: int = 32,
    pool_proj: int = 32,
) -> str:
    """One Inception module (figure 2b): 1x1 | 1x1 -> 3x3 | 1x1 -> 5x5 | 3x3 max-pool -> 1x1."""
    b1 = b.cbr(x, "b1_1x1", ch1x1, 1)
    b2 = b.cbr(b.cbr(x, "b2_reduce", ch3x3red, 1), "b2_3x3", ch3x3, 3)
    b3 = b.cbr(b.cbr(x, "b3_reduce", ch5x5red, 1), "b3_5x5", ch5x5, 5)
    b4 = b.cbr(b.max_pool(x, "b4_pool", 3, 1, "same"), "b4_proj", pool_proj, 1)
    return b.concat([b1, b2, b3, b4], "concat")


def define_inception(b: NetBuilder) -> None:
    b.define(
        "Inception",
        inception,
        inputs={"x": (192, 28, 28)},
        exposed=INCEPTION_PARAMS,
        description="GoogLeNet's Inception module (figure 2b of the paper): a 1x1 conv, a 1x1 bottleneck "
        "then a 3x3, a 1x1 bottleneck then a 5x5, and a 3x3 max-pool then a 1x1 projection, side by side "
        "and concatenated on channels. Conv with bias + ReLU. The widths are torchvision's Inception "
        "arguments (ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj); the defaults are inception3a's.",
    )


def googlenet(num_classes: int = 1000, modules: bool = True) -> GraphDocument:
    """GoogLeNet; ``modules=False`` draws the nine Inception modules as plain nodes in groups."""
    b = NetBuilder(
        "GoogLeNet",
        "GoogLeNet (Inception v1) as in the paper's Table 1: 3 x 224 x 224 input, nine Inception "
        "modules (3a-5b) with 1x1 bottlenecks before the 3x3 and 5x5 convs, conv with bias + ReLU, "
        "no BatchNorm or LRN, ceil-mode max-pools 224 -> 112 -> 56 -> 28 -> 14 -> 7, global average "
        "pool, dropout 0.4, FC 1000. Two auxiliary heads on 4a and 4d (avg-pool 5/3, 1x1 conv 128, "
        "FC 1024, dropout 0.7, FC 1000) add 0.3 x their loss in training and are dropped at inference. "
        "7.0M parameters and 1.58G multiply-adds without the aux heads.",
        PLAIN,
        inline_modules=not modules,
    )
    define_inception(b)
    x = b.input(channels=3, height=224, width=224)
    x = b.cbr(x, "conv1", 64, 7, stride=2, padding=3)  # 64 x 112 x 112
    x = b.max_pool(x, "maxpool1", ceil_mode=True)  # 56
    x = b.cbr(x, "conv2", 64, 1)
    x = b.cbr(x, "conv3", 192, 3)
    x = b.max_pool(x, "maxpool2", ceil_mode=True)  # 28
    for name, *widths in GOOGLENET_BLOCKS:
        x = b.instance("Inception", x, name, **dict(zip(INCEPTION_PARAMS, widths, strict=True)))
        if name in _AUX_AFTER:
            b.node("aux_head", x, _AUX_AFTER[name], num_classes=num_classes)
        if name in _POOL_AFTER:
            x = b.max_pool(x, _POOL_AFTER[name], ceil_mode=True)  # 14, then 7
    b.output(x, "classifier", num_classes=num_classes, dropout=0.4)
    return b.done()
