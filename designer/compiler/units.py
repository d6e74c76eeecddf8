"""A node's layers grouped into the modules that both the built model and the generated code hold.

A node expands to a list of :class:`designer.graph.layers.Layer` steps. The compiler turns
them into *units*, one per submodule, each a :class:`~designer.graph.layers.Call` (how to
construct it) with a name: ``[ZeroPad2d] Conv2d [BatchNorm2d] [Act]`` is one ``BasicConv2d``
(children ``conv`` and ``bn`` as torchvision names them; the padding and activation hold no
weights); every other layer is one unit of its own (a flattening global pool is two).

A unit's name is its layer's name (``conv``, ``fc1``, ``dropout``: composite node types name
their layers) or its kind. A node with one unit owns that module directly, unless its type is
a *composite* (``module_class``: Output, Aux head, Stem, Branch, Separable conv): then, and
for any node with several units, it owns a module whose children are the units *by name*
(``aux1.fc2.weight``, never ``aux1.6.weight``), so the ``state_dict`` keys do not move when
a parameter that holds no weights (dropout, activation, padding, pool kind) adds or drops a
layer. Because :mod:`designer.compiler.build` and :mod:`designer.compiler.codegen` both read
these units, the keys of the compiled model and of the exported code are the same by
construction.

Pure Python: no torch import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..graph.layers import Act, BatchNorm, Call, Conv2d, Pad2d
from ..graph.registry import Step
from ..graph.shapes import Shape
from .helpers import basic_conv_call

__all__ = ["Unit", "make_units", "module_class"]


@dataclass(frozen=True)
class Unit:
    """One submodule of a node: its name inside the node, how to construct it, its output shape."""

    name: str
    call: Call
    out_shape: Shape


def make_units(steps: tuple[Step, ...] | list[Step]) -> tuple[Unit, ...]:
    """Group a node's layer steps into named units (see the module docstring)."""
    out: list[tuple[str, Call, Shape]] = []
    i, n = 0, len(steps)
    while i < n:
        layer = steps[i].layer
        pad = None
        if isinstance(layer, Pad2d) and layer.value == 0.0 and i + 1 < n and isinstance(steps[i + 1].layer, Conv2d):
            pad, i = layer.pad, i + 1  # zero padding belongs to the conv after it
            layer = steps[i].layer
        if isinstance(layer, Conv2d):
            j, bn, act = i + 1, None, "none"
            if j < n and isinstance(steps[j].layer, BatchNorm) and not steps[j].layer.flat:  # type: ignore[attr-defined]
                bn = steps[j].layer
                j += 1
            if j < n and isinstance(steps[j].layer, Act):
                act = steps[j].layer.kind  # type: ignore[attr-defined]
                j += 1
            out.append((layer.label, basic_conv_call(layer, bn, act, pad), steps[j - 1].out_shape))  # type: ignore[arg-type]
            i = j
            continue
        shape = steps[i].in_shape
        for part in layer.parts():
            shape = part.out_shape(shape)
            out.append((part.label, part.call(), shape))
        i += 1
    names: set[str] = set()
    units = []
    for name, call, shape in out:
        unique, k = name, 1
        while unique in names:  # two unnamed layers of a kind: pool, pool_1
            unique, k = f"{name}_{k}", k + 1
        names.add(unique)
        units.append(Unit(unique, call, shape))
    return tuple(units)


def module_class(node_type: Any, units: tuple[Unit, ...]) -> str:
    """The stem of the class a node's module is (``InceptionAux``), or "" when it is its one unit.

    A node type that declares ``module_class`` is always a class of named children, whatever
    its parameters; a node of any other type is one when it has several units.
    """
    declared = getattr(node_type, "module_class", "")
    if declared:
        return declared
    if len(units) <= 1:
        return ""
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", node_type.display_name) if p]
    return "".join(p[:1].upper() + p[1:] for p in parts) or "Module"
