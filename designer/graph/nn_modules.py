"""The few torch modules the designer needs beyond ``torch.nn``.

Imported only by ``NodeType.build`` (never at ``designer.graph`` import time), so the
graph core loads without torch. The exported code defines equivalent classes.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .layers import _ACT_MODULES


class Concat(nn.Module):
    """Concatenates its inputs on the channel axis."""

    def forward(self, *xs: Tensor) -> Tensor:
        return torch.cat(xs, 1)


class ScaledAdd(nn.Module):
    """``act(x0 + scale * (x1 + ... + xn))``: a residual sum as in Inception-ResNet."""

    def __init__(self, scale: float = 1.0, activation: str = "none"):
        super().__init__()
        self.scale = scale
        cls = getattr(nn, _ACT_MODULES[activation])
        self.act = cls()

    def forward(self, x: Tensor, *residuals: Tensor) -> Tensor:
        if not residuals:  # a single input is valid (validation only warns): nothing to add
            return self.act(x)
        if not residuals:  # a single-input Add is only a warning in validation: it passes x through
            return self.act(x)
        r = residuals[0]
        for other in residuals[1:]:
            r = r + other
        return self.act(x + self.scale * r if self.scale != 1.0 else x + r)

    def extra_repr(self) -> str:
        return f"scale={self.scale}"
