"""The ``mini_inception`` example: a small Inception network that trains in minutes on a CPU.

It is sized for the built-in synthetic dataset (3 x 32 x 32, 10 classes; see
:mod:`designer.training.synthetic`): a 3x3 stem at full resolution keeps the fine
textures, three Inception blocks at 16 x 16, 8 x 8 and 4 x 4 see the coarse shapes,
and an auxiliary head on the middle block adds its loss with weight 0.3 in training.
"""

from __future__ import annotations

from ..graph.builder import Builder
from ..graph.document import GraphDocument

__all__ = ["mini_inception"]

_BN = {"batch_norm": True, "bias": False}


def _block(b: Builder, x: str, name: str, c1: int, r3: int, c3: int, r5: int, c5: int, cp: int) -> str:
    """One Inception module: 1x1 | 1x1 -> 3x3 | 1x1 -> 5x5 (two 3x3) | 3x3 max-pool -> 1x1."""
    b.begin_group()
    b1 = b.conv(x, f"{name}_1x1", out_channels=c1, kernel_size=1, **_BN)
    b2 = b.node("branch", x, f"{name}_3x3", reduce_channels=r3, out_channels=c3, kernel_size=3, **_BN)
    b3 = b.node(
        "branch", x, f"{name}_5x5", reduce_channels=r5, out_channels=c5, kernel_size=5, factorize="stacked 3x3", **_BN
    )
    p = b.pool(x, f"{name}_pool", mode="max", kernel_size=3, stride=1, padding="same")
    b4 = b.conv(p, f"{name}_proj", out_channels=cp, kernel_size=1, **_BN)
    out = b.concat([b1, b2, b3, b4], f"{name}_concat")
    b.end_group(name)
    return out


def mini_inception() -> GraphDocument:
    """Build the mini Inception design (about 136 k parameters, 7.9 M MACs, 3 x 32 x 32 -> 10 classes)."""
    b = Builder(
        "Mini Inception",
        "A small Inception network for 3 x 32 x 32 images and 10 classes, sized to train in a few "
        "minutes on a CPU on the built-in synthetic dataset (textured shapes: the texture needs fine "
        "detail, the shape a wide view). Three Inception blocks with 1x1 bottlenecks and a factorized "
        "5x5 branch, BatchNorm throughout, and one auxiliary head (loss weight 0.3) on the middle block.",
    )
    x = b.input(channels=3, height=32, width=32)
    x = b.node(
        "stem",
        x,
        "stem",
        out_channels=32,
        kernel_size=3,
        stride=1,
        padding=1,
        pool="max",
        pool_kernel=2,
        pool_stride=2,
        ceil_mode=False,
        **_BN,
    )  # 32 x 16 x 16
    x = _block(b, x, "inception_3a", 32, 24, 32, 8, 16, 16)  # 96 x 16 x 16
    x = b.pool(x, "pool3", mode="max", kernel_size=2, stride=2)  # 96 x 8 x 8
    x = _block(b, x, "inception_4a", 48, 32, 64, 12, 24, 24)  # 160 x 8 x 8
    b.node(
        "aux_head",
        x,
        "aux",
        num_classes=10,
        pool_kernel=3,
        pool_stride=2,
        conv_channels=48,
        hidden=128,
        dropout=0.5,
        **_BN,
    )
    x = b.pool(x, "pool4", mode="max", kernel_size=2, stride=2)  # 160 x 4 x 4
    x = _block(b, x, "inception_5a", 64, 48, 96, 16, 32, 32)  # 224 x 4 x 4
    b.output(x, num_classes=10, dropout=0.2)
    return b.done()
