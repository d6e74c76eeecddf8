"""Inception v3 in torchvision's layout (Szegedy et al., 2016, "Rethinking the Inception
architecture"), input 3 x 299 x 299.

Every conv is torchvision's ``BasicConv2d``: conv without bias, BatchNorm(eps=0.001), ReLU.
Node and group names are torchvision's attribute names (``Conv2d_1a_3x3``, ``Mixed_5b``,
``Mixed_5b_branch3x3dbl_2``, ``AuxLogits``), so the drawing reads like ``inception.py``.
The blocks are modules under torchvision's class names: ``InceptionA`` (``pool_features``),
``InceptionB`` and ``InceptionD`` (the grid reductions), ``InceptionC`` (``channels_7x7``) and
``InceptionE``; the aux head is one node, ``AuxLogits`` (torchvision's ``InceptionAux``).
"""

from __future__ import annotations

from ..graph.document import GraphDocument
from ._net import TORCH_BN, NetBuilder

__all__ = [
    "define_v3_modules",
    "inception_a",
    "inception_b",
    "inception_c",
    "inception_d",
    "inception_e",
    "inception_v3",
    "v3_builder",
]


def v3_builder(name: str, description: str, inline_modules: bool = False) -> NetBuilder:
    return NetBuilder(name, description, TORCH_BN, inline_modules=inline_modules)


def _pool_branch(b: NetBuilder, x: str, out: int) -> str:
    """3x3 average pool (stride 1, padding 1) then a 1x1 conv: torchvision's ``branch_pool``."""
    return b.cbr(b.avg_pool(x, "pool"), "branch_pool", out, 1)


def inception_a(b: NetBuilder, x: str, pool_features: int = 32) -> str:
    """Module A (figure 5): 1x1 | 1x1 -> 5x5 | 1x1 -> 3x3 -> 3x3 | avg-pool -> 1x1 (35 x 35)."""
    b1 = b.cbr(x, "branch1x1", 64, 1)
    b5 = b.chain(x, "branch5x5", [(48, 1), (64, 5)])
    b3 = b.chain(x, "branch3x3dbl", [(64, 1), (96, 3), (96, 3)])
    bp = _pool_branch(b, x, pool_features)
    return b.concat([b1, b5, b3, bp], "concat")


def inception_b(b: NetBuilder, x: str) -> str:
    """Grid reduction 35 -> 17: a stride-2 3x3 | 1x1 -> 3x3 -> 3x3/2 | 3x3/2 max-pool."""
    b3 = b.cbr(x, "branch3x3", 384, 3, stride=2, padding="valid")
    d = b.chain(x, "branch3x3dbl", [(64, 1), (96, 3)])
    d = b.cbr(d, "branch3x3dbl_3", 96, 3, stride=2, padding="valid")
    bp = b.max_pool(x, "branch_pool")
    return b.concat([b3, d, bp], "concat")


def inception_c(b: NetBuilder, x: str, channels_7x7: int = 128) -> str:
    """Module C (figure 6): the 7x7 convs factorized into 1x7 and 7x1 (17 x 17)."""
    c7 = channels_7x7
    b1 = b.cbr(x, "branch1x1", 192, 1)
    b7 = b.chain(x, "branch7x7", [(c7, 1), (c7, [1, 7]), (192, [7, 1])])
    d = b.chain(x, "branch7x7dbl", [(c7, 1), (c7, [7, 1]), (c7, [1, 7]), (c7, [7, 1]), (192, [1, 7])])
    bp = _pool_branch(b, x, 192)
    return b.concat([b1, b7, d, bp], "concat")


def inception_d(b: NetBuilder, x: str) -> str:
    """Grid reduction 17 -> 8: 1x1 -> 3x3/2 | 1x1 -> 1x7 -> 7x1 -> 3x3/2 | 3x3/2 max-pool."""
    b3 = b.cbr(b.cbr(x, "branch3x3_1", 192, 1), "branch3x3_2", 320, 3, 2, "valid")
    b7 = b.chain(x, "branch7x7x3", [(192, 1), (192, [1, 7]), (192, [7, 1])])
    b7 = b.cbr(b7, "branch7x7x3_4", 192, 3, stride=2, padding="valid")
    bp = b.max_pool(x, "branch_pool")
    return b.concat([b3, b7, bp], "concat")


def inception_e(b: NetBuilder, x: str) -> str:
    """Module E (figure 7), the expanded filter bank at 8 x 8: the 3x3 outputs split into a
    1x3 and a 3x1 conv side by side, concatenated (a nested concat)."""
    b1 = b.cbr(x, "branch1x1", 320, 1)
    r = b.cbr(x, "branch3x3_1", 384, 1)
    b3 = b.concat([b.cbr(r, "branch3x3_2a", 384, [1, 3]), b.cbr(r, "branch3x3_2b", 384, [3, 1])], "branch3x3")
    d = b.chain(x, "branch3x3dbl", [(448, 1), (384, 3)])
    bd = b.concat([b.cbr(d, "branch3x3dbl_3a", 384, [1, 3]), b.cbr(d, "branch3x3dbl_3b", 384, [3, 1])], "branch3x3dbl")
    bp = _pool_branch(b, x, 192)
    return b.concat([b1, b3, bd, bp], "concat")


_C7 = tuple(f"branch7x7{s}" for s in ("_1", "_2", "dbl_1", "dbl_2", "dbl_3", "dbl_4"))
_BASIC = "Every conv is BasicConv2d (conv without bias, BatchNorm eps 0.001, ReLU)."


def define_v3_modules(b: NetBuilder) -> None:
    """Inception v3's five blocks under torchvision's class names (A, C, E; B and D reduce the grid)."""
    b.define(
        "InceptionA",
        inception_a,
        {"x": (192, 35, 35)},
        {"pool_features": "branch_pool"},
        "Inception v3 module A (figure 5; Mixed_5b-5d) at 35 x 35: 1x1 | 1x1 -> 5x5 | 1x1 -> 3x3 -> 3x3 "
        "| 3x3 avg-pool -> 1x1 (pool_features wide). " + _BASIC,
    )
    b.define(
        "InceptionB",
        inception_b,
        {"x": (288, 35, 35)},
        {},
        "Inception v3 grid reduction 35 -> 17 (Mixed_6a): a stride-2 3x3 conv | 1x1 -> 3x3 -> 3x3/2 "
        "| 3x3/2 max-pool, concatenated. " + _BASIC,
    )
    b.define(
        "InceptionC",
        inception_c,
        {"x": (768, 17, 17)},
        {"channels_7x7": _C7},
        "Inception v3 module C (figure 6; Mixed_6b-6e) at 17 x 17: the 7x7 convs factorized into "
        "1x7 and 7x1 (channels_7x7 wide inside the branches), 1x1 and avg-pool branches of 192. " + _BASIC,
    )
    b.define(
        "InceptionD",
        inception_d,
        {"x": (768, 17, 17)},
        {},
        "Inception v3 grid reduction 17 -> 8 (Mixed_7a): 1x1 -> 3x3/2 | 1x1 -> 1x7 -> 7x1 -> 3x3/2 "
        "| 3x3/2 max-pool, concatenated. " + _BASIC,
    )
    b.define(
        "InceptionE",
        inception_e,
        {"x": (1280, 8, 8)},
        {},
        "Inception v3 module E (figure 7; Mixed_7b, 7c) at 8 x 8, the expanded filter bank: the 3x3 "
        "branches end in a 1x3 and a 3x1 conv side by side, concatenated, 2048 channels out. " + _BASIC,
    )


def inception_v3(num_classes: int = 1000, modules: bool = True) -> GraphDocument:
    """Inception v3; ``modules=False`` draws the eleven blocks as plain nodes in groups."""
    b = v3_builder(
        "Inception v3",
        "Inception v3 in torchvision's layout on a 3 x 299 x 299 input: every conv is BasicConv2d "
        "(conv without bias, BatchNorm eps 0.001, ReLU). Stem of 3x3 convs and max-pools down to "
        "192 x 35 x 35; three modules A (5x5 as two 3x3) at 35 x 35; grid reduction Mixed_6a "
        "(stride-2 convs concatenated with a stride-2 max-pool); four modules C with 7x7 factorized "
        "into 1x7 and 7x1 at 17 x 17; reduction Mixed_7a; two expanded modules E at 8 x 8; global "
        "average pool, dropout 0.5, FC 1000. The auxiliary head on Mixed_6e (avg-pool 5/3, 1x1 conv "
        "128, 5x5 conv 768, global pool, FC) adds 0.4 x its loss in training (TF-slim's weight). "
        "23.8M parameters and 5.71G multiply-adds without the aux head.",
        inline_modules=not modules,
    )
    define_v3_modules(b)
    x = b.input(channels=3, height=299, width=299)
    x = b.cbr(x, "Conv2d_1a_3x3", 32, 3, stride=2, padding="valid")  # 149
    x = b.cbr(x, "Conv2d_2a_3x3", 32, 3, padding="valid")  # 147
    x = b.cbr(x, "Conv2d_2b_3x3", 64, 3, padding=1)  # 147
    x = b.max_pool(x, "maxpool1")  # 73
    x = b.cbr(x, "Conv2d_3b_1x1", 80, 1, padding="valid")
    x = b.cbr(x, "Conv2d_4a_3x3", 192, 3, padding="valid")  # 71
    x = b.max_pool(x, "maxpool2")  # 35
    x = b.instance("InceptionA", x, "Mixed_5b", pool_features=32)  # 256
    x = b.instance("InceptionA", x, "Mixed_5c", pool_features=64)  # 288
    x = b.instance("InceptionA", x, "Mixed_5d", pool_features=64)  # 288
    x = b.instance("InceptionB", x, "Mixed_6a")  # 768 x 17 x 17
    for name, c7 in (("Mixed_6b", 128), ("Mixed_6c", 160), ("Mixed_6d", 160), ("Mixed_6e", 192)):
        x = b.instance("InceptionC", x, name, channels_7x7=c7)
    b.node(
        "aux_head",
        x,
        "AuxLogits",
        num_classes=num_classes,
        loss_weight=0.4,
        pool_kernel=5,
        pool_stride=3,
        conv_channels=128,
        conv2_channels=768,
        conv2_kernel=5,
        hidden=0,
        dropout=0.0,
        bias=False,
        batch_norm=True,
        bn_eps=0.001,
    )
    x = b.instance("InceptionD", x, "Mixed_7a")  # 1280 x 8 x 8
    x = b.instance("InceptionE", x, "Mixed_7b")  # 2048
    x = b.instance("InceptionE", x, "Mixed_7c")  # 2048
    b.output(x, "classifier", num_classes=num_classes, dropout=0.5)
    return b.done()
