"""A node's layers grouped into the modules that both the built model and the generated code hold.

A node expands to a list of :class:`designer.graph.layers.Layer` steps. The compiler turns
them into *units*, one per submodule: ``Conv2d [BatchNorm2d] [Act]`` becomes one
:class:`ConvUnit` (a ``BasicConv2d`` with ``conv`` and ``bn`` children, as torchvision names
them); every other layer is a :class:`LayerUnit`. A node with one unit owns that module
directly; a node with several owns an ``nn.Sequential`` of them. Because
:mod:`designer.compiler.build` and :mod:`designer.compiler.codegen` both read these units,
the ``state_dict`` keys of the compiled model and of the exported code are the same by
construction.

Pure Python: no torch import.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..graph.layers import Act, BatchNorm, Conv2d, Flatten, GlobalAvgPool, Layer
from ..graph.registry import Step
from ..graph.shapes import Shape

__all__ = ["ConvUnit", "LayerUnit", "Unit", "conv_flavour", "make_units"]


@dataclass(frozen=True)
class ConvUnit:
    """``Conv2d``, then an optional ``BatchNorm2d``, then an optional activation."""

    conv: Conv2d
    bn: BatchNorm | None
    act: str  # an activation kind; "none" for no activation
    out_shape: Shape

    @property
    def flavour(self) -> tuple[bool, bool, float, str]:
        return conv_flavour(self)


@dataclass(frozen=True)
class LayerUnit:
    """One layer, built by ``layer.build()`` and written as ``layer.code()``."""

    layer: Layer
    out_shape: Shape


Unit = ConvUnit | LayerUnit


def conv_flavour(unit: ConvUnit) -> tuple[bool, bool, float, str]:
    """``(bias, batch_norm, eps, activation)``: what a ``BasicConv2d`` call must specify."""
    return unit.conv.bias, unit.bn is not None, unit.bn.eps if unit.bn is not None else 1e-5, unit.act


def make_units(steps: tuple[Step, ...] | list[Step]) -> tuple[Unit, ...]:
    """Group a node's layer steps into units (see the module docstring)."""
    out: list[Unit] = []
    i, n = 0, len(steps)
    while i < n:
        layer = steps[i].layer
        if isinstance(layer, Conv2d):
            j = i + 1
            bn = None
            act = "none"
            if j < n and isinstance(steps[j].layer, BatchNorm) and not steps[j].layer.flat:  # type: ignore[attr-defined]
                bn = steps[j].layer
                j += 1
            if j < n and isinstance(steps[j].layer, Act):
                act = steps[j].layer.kind  # type: ignore[attr-defined]
                j += 1
            if bn is None and act == "none":
                out.append(LayerUnit(layer, steps[i].out_shape))
            else:
                out.append(ConvUnit(layer, bn, act, steps[j - 1].out_shape))  # type: ignore[arg-type]
            i = j
            continue
        if isinstance(layer, GlobalAvgPool) and layer.flatten:
            # Two plain modules read better than a nested Sequential, and compute the same.
            c = steps[i].in_shape[0]
            out.append(LayerUnit(GlobalAvgPool(False), (c, 1, 1)))
            out.append(LayerUnit(Flatten(), steps[i].out_shape))
        else:
            out.append(LayerUnit(layer, steps[i].out_shape))
        i += 1
    return tuple(out)
