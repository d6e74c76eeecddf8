"""The torch modules of the compiled model, built from the units' :class:`~designer.graph.layers.Call` records.

A unit is instantiated from its call (``nn.*`` or a helper's runtime class, see
:mod:`.helpers`); a node with a class of named children (:func:`.units.module_class`) is an
``nn.Sequential`` keyed by the units' names, which has the same ``state_dict`` keys as the
class :mod:`.codegen` writes for it (``aux1.fc2.weight``).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from torch import nn

from ..graph.layers import helper_named, instantiate
from .helpers import BASIC_CONV2D
from .units import Unit

__all__ = ["BasicConv2d", "build_unit", "build_units"]

#: The runtime ``BasicConv2d``: made from the same source text generated code emits.
BasicConv2d = BASIC_CONV2D.runtime()


def __getattr__(name: str) -> Any:
    """Helpers' runtime classes say they are from this module; resolve them here (for pickle)."""
    helper = helper_named(name)
    if helper is None:
        raise AttributeError(name)
    return helper.runtime()


def build_unit(unit: Unit) -> nn.Module:
    return instantiate(unit.call)


def build_units(units: tuple[Unit, ...], named: bool = False) -> Any:
    """One module for a node: its one unit, or (``named``, or several units) its units by name."""
    if len(units) == 1 and not named:
        return build_unit(units[0])
    return nn.Sequential(OrderedDict((u.name, build_unit(u)) for u in units))
