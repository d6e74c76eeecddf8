"""Tensor shapes without the batch dimension, and the errors raised when they do not fit."""

from __future__ import annotations

__all__ = ["Shape", "ShapeError", "fmt_hw", "fmt_shape", "same_padding"]

#: ``(C, H, W)`` for feature maps, ``(F,)`` for flat vectors. The batch is never included.
Shape = tuple[int, ...]


class ShapeError(ValueError):
    """A node cannot produce an output for its inputs.

    ``param`` names the parameter to blame when there is one, so the inspector can
    flag that field; ``port`` names the input port when the problem is an input.
    """

    def __init__(self, message: str, *, param: str | None = None, port: str | None = None):
        super().__init__(message)
        self.message = message
        self.param = param
        self.port = port


def fmt_shape(shape: Shape | None) -> str:
    """``(256, 28, 28) -> '256 x 28 x 28'`` (the one notation of every message); ``None -> '?'``."""
    if shape is None:
        return "?"
    return " x ".join(str(d) for d in shape)


def fmt_hw(shape: Shape) -> str:
    return f"{shape[1]} x {shape[2]}" if len(shape) == 3 else fmt_shape(shape)


def same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """Padding ``(before, after)`` that gives ``ceil(size / stride)`` outputs (Keras' 'same').

    For stride 1 this equals what ``torch.nn.Conv2d(padding='same')`` does, including
    the extra element after for even kernels.
    """
    out = -(-size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2
