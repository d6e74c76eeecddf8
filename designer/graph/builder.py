"""A small fluent API for building designs in Python (examples, tests, benchmarks).

>>> b = Builder("demo")
>>> x = b.input(channels=3, height=32, width=32)
>>> x = b.conv(x, "conv1", out_channels=32, kernel_size=3)
>>> out = b.output(x, num_classes=10)
>>> doc = b.done()

Modules: a *body* is a function ``body(b, *inputs, **exposed) -> output`` that builds a
block with the same helpers, names its nodes without a prefix and takes the exposed values
as keyword arguments (its defaults are the definition's). :meth:`Builder.define` makes it a
module definition; :meth:`Builder.instance` uses it:

>>> def res(b, x, width=16):
...     y = b.conv(x, "a", out_channels=width, kernel_size=3)
...     return b.node("add", [x, b.conv(y, "b", out_channels=16, kernel_size=3)], "add")
>>> b = Builder("demo")
>>> b.define("Res", res, inputs={"x": (16, 32, 32)}, exposed={"width": "a"})
>>> x = b.conv(b.input(channels=3, height=32, width=32), "stem", out_channels=16, kernel_size=3)
>>> x = b.instance("Res", x, "res", repeat=3, width=32)

A builder made with ``inline_modules=True`` draws each instance as plain nodes instead, in a
group named like the instance, the nodes named ``<instance>_<inner>`` (``res_1_a``, ...): the
flat design that :func:`designer.graph.expand.expand` makes of the modular one.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from .document import MODULE_PREFIX, GraphDocument, new_id
from .layout import apply_layout
from .module_type import REPEAT
from .modules import ExposedParam, ModuleDef

__all__ = ["Body", "Builder"]

#: A module body: ``body(builder, *input_ids, **exposed_values) -> output node id``.
Body = Callable[..., str]


class Builder:
    def __init__(self, name: str = "Untitled", description: str = "", *, inline_modules: bool = False):
        self.doc = GraphDocument(name, description)
        self.inline_modules = inline_modules
        self._group: list[str] | None = None
        self._prefix = ""
        self._bodies: dict[str, Body] = {}

    def node(self, type_id: str, inputs: str | Iterable[str] | None, name: str | None = None, **params: Any) -> str:
        node = self.doc.add_node(type_id, name and self._prefix + name, params)
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

    @contextmanager
    def group(self, name: str, prefix: str = "") -> Iterator[None]:
        """Everything added inside the ``with`` becomes the document group ``name``; the
        nodes' names get ``prefix`` in front."""
        self.begin_group()
        outer, self._prefix = self._prefix, self._prefix + prefix
        try:
            yield
        finally:
            self._prefix = outer
            self.end_group(name)

    # ---------------------------------------------------------------- modules
    def define(
        self,
        name: str,
        body: Body,
        inputs: dict[str, tuple[int, int, int]],
        exposed: dict[str, str | tuple[str, ...]] | None = None,
        description: str = "",
    ) -> None:
        """Make ``body`` the module definition ``name``.

        ``inputs`` names the ``Module input`` nodes (the instance's ports ``in``, ``in2``, ...)
        with the shape shown when the definition is viewed alone. ``exposed`` maps each
        exposed parameter (one of ``body``'s keyword arguments) to the inner node(s) it sets:
        ``"b1_1x1"`` (its ``out_channels``), ``"add.scale"``, or a tuple of such.
        """
        self._bodies[name] = body
        if self.inline_modules:
            return
        sub = copy.copy(self)  # the same helpers and conv style, a body of its own
        sub.doc = GraphDocument(name, description, library=self.doc.library)
        sub._group, sub._prefix = None, ""
        ports = [
            sub.node("module_input", None, port, channels=c, height=h, width=w) for port, (c, h, w) in inputs.items()
        ]
        sub.node("module_output", body(sub, *ports), "out")
        apply_layout(sub.doc)
        sub.doc.revision = 0
        params = []
        for key, refs in (exposed or {}).items():
            for ref in (refs,) if isinstance(refs, str) else refs:
                node, _, param = ref.partition(".")
                params.append(ExposedParam(key, sub.doc.find(node).id, param or "out_channels"))
        lib = self.doc.library
        d = ModuleDef(lib, new_id(), name, sub.doc, params, description)
        d.check_exposed(params)  # one name may set several inner parameters (channels_7x7)
        lib.add(d)

    def instance(self, module: str, inputs: str | Iterable[str], name: str, repeat: int = 1, **values: Any) -> str:
        """An instance of the definition ``module`` (``repeat`` copies in a chain) with these
        exposed values; with ``inline_modules``, the copies' nodes in groups instead."""
        if not self.inline_modules:
            type_id = MODULE_PREFIX + self.doc.library.by_name(module).id
            node = self.doc.add_node(type_id, name, {**values, REPEAT: repeat})
            ports = [p.name for p in node.type.inputs]
            for src, port in zip([inputs] if isinstance(inputs, str) else list(inputs), ports, strict=False):
                self.doc.connect(src, node.id, "out", port)  # the i-th input into the i-th port
            if self._group is not None:
                self._group.append(node.id)
            return node.id
        xs = [inputs] if isinstance(inputs, str) else list(inputs)
        outer = self._prefix
        for k in range(repeat):
            copy_name = name if repeat == 1 else f"{name}_{k + 1}"
            top = self._group is None
            if top:
                self.begin_group()
            self._prefix = f"{outer}{copy_name}_"
            try:
                xs = [self._bodies[module](self, *xs, **values)]
            finally:
                self._prefix = outer
            if top:
                self.end_group(outer + copy_name)
        return xs[0]

    def done(self, layout: bool = True) -> GraphDocument:
        if layout:
            apply_layout(self.doc)
        self.doc.revision = 0
        return self.doc
