"""Tiny designs for the training tests (a second or two each on two CPU cores)."""

from __future__ import annotations

from designer.graph.builder import Builder
from designer.graph.document import GraphDocument


def tiny_design(aux: int = 1, channels: int = 3, size: int = 32, classes: int = 10) -> GraphDocument:
    """Input -> strided conv -> (aux heads) -> conv -> output: a few thousand parameters."""
    b = Builder("tiny")
    x = b.input(channels=channels, height=size, width=size)
    x = b.conv(x, "conv1", out_channels=8, kernel_size=3, stride=2, batch_norm=True, bias=False)
    for i in range(aux):
        b.node(
            "aux_head", x, f"aux{i + 1}", num_classes=classes, pool_kernel=4, pool_stride=4,
            conv_channels=4, hidden=0, dropout=0.0, loss_weight=0.3,
        )  # fmt: skip
    x = b.conv(x, "conv2", out_channels=16, kernel_size=3, stride=2)
    b.output(x, num_classes=classes)
    return b.done()
