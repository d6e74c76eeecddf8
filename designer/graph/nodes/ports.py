"""The ports of a module definition: where an instance's inputs enter and its output leaves.

A module definition (:mod:`designer.graph.modules`) is a small design whose inputs are
``Module input`` nodes and whose result is one ``Module output`` node. An instance binds
each ``Module input`` to the shape arriving at its port, in the definition's node order;
the channels/height/width parameters are only the shape shown while the definition is
viewed on its own (no instance chosen).
"""

from __future__ import annotations

from typing import Any

from ..params import MAX_SPATIAL, IntParam
from ..registry import NodeType, Step, register
from ..shapes import Shape

__all__ = ["ModuleInput", "ModuleOutput", "PORT_CATEGORY"]

PORT_CATEGORY = "Module ports"


@register
class ModuleInput(NodeType):
    type_id = "module_input"
    display_name = "Module input"
    category = PORT_CATEGORY
    role = "input"
    name_stem = "x"
    description = (
        "An input of the module being defined. Each instance feeds it the tensor arriving at the "
        "matching port; the shape set here is the one shown when no instance is chosen."
    )
    inputs = ()
    params = (
        IntParam("channels", 192, minimum=1, maximum=65_536, help="Channels shown when no instance is chosen"),
        IntParam("height", 28, minimum=1, maximum=MAX_SPATIAL, help="Height shown when no instance is chosen"),
        IntParam("width", 28, minimum=1, maximum=MAX_SPATIAL, help="Width shown when no instance is chosen"),
    )

    def infer(self, p: dict[str, Any], in_shapes: list[Shape]) -> tuple[Shape, list[Step]]:
        return (p["channels"], p["height"], p["width"]), []

    def summary(self, p: dict[str, Any]) -> str:
        return "module input"


@register
class ModuleOutput(NodeType):
    type_id = "module_output"
    display_name = "Module output"
    category = PORT_CATEGORY
    role = "output"
    name_stem = "out"
    description = "The result of the module being defined: what an instance's output port gives."
    outputs = ()

    def infer(self, p: dict[str, Any], in_shapes: list[Shape]) -> tuple[Shape, list[Step]]:
        return in_shapes[0], []

    def summary(self, p: dict[str, Any]) -> str:
        return "module output"
