"""The torch modules the compiled model is made of, beyond ``torch.nn`` (see :mod:`.units`).

:mod:`.codegen` writes classes with the same children (``conv``, ``bn``), so a state_dict
moves between the compiled model and the exported code unchanged.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from ..graph.layers import Act
from .units import ConvUnit, LayerUnit, Unit

__all__ = ["BasicConv2d", "build_unit", "build_units"]


class BasicConv2d(nn.Module):
    """``Conv2d``, then ``BatchNorm2d`` when there is one, then the activation (torchvision's name)."""

    def __init__(self, conv: nn.Conv2d, bn: nn.BatchNorm2d | None, act: nn.Module | None) -> None:
        super().__init__()
        self.conv = conv
        self.bn = bn
        self.act = act

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        if self.act is not None:
            x = self.act(x)
        return x


def build_unit(unit: Unit) -> nn.Module:
    if isinstance(unit, LayerUnit):
        return unit.layer.build()
    assert isinstance(unit, ConvUnit)
    act = Act(unit.act).build() if unit.act != "none" else None
    return BasicConv2d(unit.conv.build(), unit.bn.build() if unit.bn is not None else None, act)


def build_units(units: tuple[Unit, ...]) -> Any:
    """One module for a node: the unit itself, or an ``nn.Sequential`` of several."""
    if len(units) == 1:
        return build_unit(units[0])
    return nn.Sequential(*(build_unit(u) for u in units))
