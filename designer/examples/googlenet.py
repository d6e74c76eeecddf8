"""GoogLeNet (Inception v1) as in the paper, Table 1 (Szegedy et al., 2015).

Conv with bias + ReLU, no BatchNorm, no LRN, a true 5x5 branch, max-pools with
``ceil_mode`` (224 -> 112 -> 56 -> 28 -> 14 -> 7), two auxiliary heads on 4a and 4d.
Names follow torchvision's ``GoogLeNet`` attributes (``conv1``, ``inception3a``, ``aux1``).
"""

from __future__ import annotations

from ..graph.document import GraphDocument
from ._net import PLAIN, NetBuilder

__all__ = ["GOOGLENET_BLOCKS", "googlenet", "inception_v1_block"]

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

#: A max-pool 3/2 (ceil) follows these blocks.
_POOL_AFTER = {"inception3b": "maxpool3", "inception4e": "maxpool4"}
#: An aux head hangs off these blocks.
_AUX_AFTER = {"inception4a": "aux1", "inception4d": "aux2"}


def inception_v1_block(b: NetBuilder, x: str, name: str, c1: int, r3: int, c3: int, r5: int, c5: int, proj: int) -> str:
    """One Inception module (figure 2b): 1x1 | 1x1 -> 3x3 | 1x1 -> 5x5 | 3x3 max-pool -> 1x1."""
    with b.group(name):
        b1 = b.cbr(x, f"{name}_b1_1x1", c1, 1)
        b2 = b.cbr(b.cbr(x, f"{name}_b2_reduce", r3, 1), f"{name}_b2_3x3", c3, 3)
        b3 = b.cbr(b.cbr(x, f"{name}_b3_reduce", r5, 1), f"{name}_b3_5x5", c5, 5)
        pool = b.max_pool(x, f"{name}_b4_pool", 3, 1, "same")
        b4 = b.cbr(pool, f"{name}_b4_proj", proj, 1)
        return b.concat([b1, b2, b3, b4], f"{name}_concat")


def googlenet(num_classes: int = 1000) -> GraphDocument:
    b = NetBuilder(
        "GoogLeNet",
        "GoogLeNet (Inception v1) as in the paper's Table 1: 3 x 224 x 224 input, nine Inception "
        "modules (3a-5b) with 1x1 bottlenecks before the 3x3 and 5x5 convs, conv with bias + ReLU, "
        "no BatchNorm or LRN, ceil-mode max-pools 224 -> 112 -> 56 -> 28 -> 14 -> 7, global average "
        "pool, dropout 0.4, FC 1000. Two auxiliary heads on 4a and 4d (avg-pool 5/3, 1x1 conv 128, "
        "FC 1024, dropout 0.7, FC 1000) add 0.3 x their loss in training and are dropped at inference. "
        "7.0M parameters and 1.58G multiply-adds without the aux heads.",
        PLAIN,
    )
    x = b.input(channels=3, height=224, width=224)
    x = b.cbr(x, "conv1", 64, 7, stride=2, padding=3)  # 64 x 112 x 112
    x = b.max_pool(x, "maxpool1", ceil_mode=True)  # 56
    x = b.cbr(x, "conv2", 64, 1)
    x = b.cbr(x, "conv3", 192, 3)
    x = b.max_pool(x, "maxpool2", ceil_mode=True)  # 28
    for name, *widths in GOOGLENET_BLOCKS:
        x = inception_v1_block(b, x, name, *widths)
        if name in _AUX_AFTER:
            b.node("aux_head", x, _AUX_AFTER[name], num_classes=num_classes)
        if name in _POOL_AFTER:
            x = b.max_pool(x, _POOL_AFTER[name], ceil_mode=True)  # 14, then 7
    b.output(x, "classifier", num_classes=num_classes, dropout=0.4)
    return b.done()
