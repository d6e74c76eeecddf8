"""A small fluent API for building designs in Python (examples, tests, benchmarks).

>>> b = Builder("demo")
>>> x = b.input(channels=3, height=32, width=32)
>>> x = b.conv(x, "conv1", out_channels=32, kernel_size=3)
>>> b.output(x, num_classes=10)
>>> doc = b.done()
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .document import GraphDocument
from .layout import apply_layout

__all__ = ["Builder"]


class Builder:
    def __init__(self, name: str = "Untitled", description: str = ""):
        self.doc = GraphDocument(name, description)
        self._group: list[str] | None = None

    def node(self, type_id: str, inputs: str | Iterable[str] | None, name: str | None = None, **params: Any) -> str:
        node = self.doc.add_node(type_id, name, params)
        for src in [inputs] if isinstance(inputs, str) else (inputs or []):
            self.doc.connect(src, node.id)
        if self._group is not None:
            self._group.append(node.id)
        return node.id

    def input(self, name: str = "input", **params: Any) -> str:
        return self.node("input", None, name, **params)

    def conv(self, x: str, name: str | None = None, **params: Any) -> str:
        return self.node("conv", x, name, **params)

    def pool(self, x: str, name: str | None = None, **params: Any) -> str:
        return self.node("pool", x, name, **params)

    def concat(self, xs: Iterable[str], name: str | None = None) -> str:
        return self.node("concat", list(xs), name)

    def output(self, x: str, name: str = "classifier", **params: Any) -> str:
        return self.node("output", x, name, **params)

    def begin_group(self) -> None:
        self._group = []

    def end_group(self, name: str, color: str = "") -> str:
        ids, self._group = self._group or [], None
        return self.doc.add_group(name, ids, color=color).id

    def done(self, layout: bool = True) -> GraphDocument:
        if layout:
            apply_layout(self.doc)
        self.doc.revision = 0
        return self.doc
