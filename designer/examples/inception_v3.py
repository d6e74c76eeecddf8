"""Inception v3 in torchvision's layout (Szegedy et al., 2016, "Rethinking the Inception
architecture"), input 3 x 299 x 299.

Every conv is torchvision's ``BasicConv2d``: conv without bias, BatchNorm(eps=0.001), ReLU.
Node and group names are torchvision's attribute names (``Conv2d_1a_3x3``, ``Mixed_5b``,
``Mixed_5b_branch3x3dbl_2``, ``AuxLogits``), so the drawing reads like ``inception.py``.
"""

from __future__ import annotations

from ..graph.document import GraphDocument
from ._net import TORCH_BN, NetBuilder

__all__ = ["inception_a", "inception_b", "inception_c", "inception_d", "inception_e", "inception_v3", "v3_builder"]


def v3_builder(name: str, description: str) -> NetBuilder:
    return NetBuilder(name, description, TORCH_BN)


def _pool_branch(b: NetBuilder, x: str, name: str, out: int) -> str:
    """3x3 average pool (stride 1, padding 1) then a 1x1 conv: torchvision's ``branch_pool``."""
    return b.cbr(b.avg_pool(x, f"{name}_pool"), f"{name}_branch_pool", out, 1)


def inception_a(b: NetBuilder, x: str, name: str, pool_features: int) -> str:
    """Module A (figure 5): 1x1 | 1x1 -> 5x5 | 1x1 -> 3x3 -> 3x3 | avg-pool -> 1x1 (35 x 35)."""
    with b.group(name):
        b1 = b.cbr(x, f"{name}_branch1x1", 64, 1)
        b5 = b.chain(x, f"{name}_branch5x5", [(48, 1), (64, 5)])
        b3 = b.chain(x, f"{name}_branch3x3dbl", [(64, 1), (96, 3), (96, 3)])
        bp = _pool_branch(b, x, name, pool_features)
        return b.concat([b1, b5, b3, bp], f"{name}_concat")


def inception_b(b: NetBuilder, x: str, name: str) -> str:
    """Grid reduction 35 -> 17: a stride-2 3x3 | 1x1 -> 3x3 -> 3x3/2 | 3x3/2 max-pool."""
    with b.group(name):
        b3 = b.cbr(x, f"{name}_branch3x3", 384, 3, stride=2, padding="valid")
        d = b.chain(x, f"{name}_branch3x3dbl", [(64, 1), (96, 3)])
        d = b.cbr(d, f"{name}_branch3x3dbl_3", 96, 3, stride=2, padding="valid")
        bp = b.max_pool(x, f"{name}_branch_pool")
        return b.concat([b3, d, bp], f"{name}_concat")


def inception_c(b: NetBuilder, x: str, name: str, c7: int) -> str:
    """Module C (figure 6): the 7x7 convs factorized into 1x7 and 7x1 (17 x 17)."""
    with b.group(name):
        b1 = b.cbr(x, f"{name}_branch1x1", 192, 1)
        b7 = b.chain(x, f"{name}_branch7x7", [(c7, 1), (c7, [1, 7]), (192, [7, 1])])
        d = b.chain(x, f"{name}_branch7x7dbl", [(c7, 1), (c7, [7, 1]), (c7, [1, 7]), (c7, [7, 1]), (192, [1, 7])])
        bp = _pool_branch(b, x, name, 192)
        return b.concat([b1, b7, d, bp], f"{name}_concat")


def inception_d(b: NetBuilder, x: str, name: str) -> str:
    """Grid reduction 17 -> 8: 1x1 -> 3x3/2 | 1x1 -> 1x7 -> 7x1 -> 3x3/2 | 3x3/2 max-pool."""
    with b.group(name):
        b3 = b.cbr(b.cbr(x, f"{name}_branch3x3_1", 192, 1), f"{name}_branch3x3_2", 320, 3, 2, "valid")
        b7 = b.chain(x, f"{name}_branch7x7x3", [(192, 1), (192, [1, 7]), (192, [7, 1])])
        b7 = b.cbr(b7, f"{name}_branch7x7x3_4", 192, 3, stride=2, padding="valid")
        bp = b.max_pool(x, f"{name}_branch_pool")
        return b.concat([b3, b7, bp], f"{name}_concat")


def inception_e(b: NetBuilder, x: str, name: str) -> str:
    """Module E (figure 7), the expanded filter bank at 8 x 8: the 3x3 outputs split into a
    1x3 and a 3x1 conv side by side, concatenated (a nested concat)."""
    with b.group(name):
        b1 = b.cbr(x, f"{name}_branch1x1", 320, 1)
        r = b.cbr(x, f"{name}_branch3x3_1", 384, 1)
        b3 = b.concat(
            [b.cbr(r, f"{name}_branch3x3_2a", 384, [1, 3]), b.cbr(r, f"{name}_branch3x3_2b", 384, [3, 1])],
            f"{name}_branch3x3",
        )
        d = b.chain(x, f"{name}_branch3x3dbl", [(448, 1), (384, 3)])
        bd = b.concat(
            [b.cbr(d, f"{name}_branch3x3dbl_3a", 384, [1, 3]), b.cbr(d, f"{name}_branch3x3dbl_3b", 384, [3, 1])],
            f"{name}_branch3x3dbl",
        )
        bp = _pool_branch(b, x, name, 192)
        return b.concat([b1, b3, bd, bp], f"{name}_concat")


def inception_v3(num_classes: int = 1000) -> GraphDocument:
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
    )
    x = b.input(channels=3, height=299, width=299)
    x = b.cbr(x, "Conv2d_1a_3x3", 32, 3, stride=2, padding="valid")  # 149
    x = b.cbr(x, "Conv2d_2a_3x3", 32, 3, padding="valid")  # 147
    x = b.cbr(x, "Conv2d_2b_3x3", 64, 3, padding=1)  # 147
    x = b.max_pool(x, "maxpool1")  # 73
    x = b.cbr(x, "Conv2d_3b_1x1", 80, 1, padding="valid")
    x = b.cbr(x, "Conv2d_4a_3x3", 192, 3, padding="valid")  # 71
    x = b.max_pool(x, "maxpool2")  # 35
    x = inception_a(b, x, "Mixed_5b", 32)  # 256
    x = inception_a(b, x, "Mixed_5c", 64)  # 288
    x = inception_a(b, x, "Mixed_5d", 64)  # 288
    x = inception_b(b, x, "Mixed_6a")  # 768 x 17 x 17
    for name, c7 in (("Mixed_6b", 128), ("Mixed_6c", 160), ("Mixed_6d", 160), ("Mixed_6e", 192)):
        x = inception_c(b, x, name, c7)
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
    x = inception_d(b, x, "Mixed_7a")  # 1280 x 8 x 8
    x = inception_e(b, x, "Mixed_7b")  # 2048
    x = inception_e(b, x, "Mixed_7c")  # 2048
    b.output(x, "classifier", num_classes=num_classes, dropout=0.5)
    return b.done()
