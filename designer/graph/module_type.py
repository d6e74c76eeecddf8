"""The node type of a module's instances, and the layer that stands for one run of a module.

See :mod:`designer.graph.modules` for definitions and the library. An instance's shape and
figures come from its definition's body validated for the instance's input shapes and
exposed values, memoised on the definition's version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .document import MODULE_PREFIX
from .layers import Layer
from .params import IntParam, ParamError, ParamSpec
from .registry import NodeType, PortSpec, Step
from .shapes import Shape, ShapeError

if TYPE_CHECKING:
    from .modules import ModuleDef

__all__ = ["REPEAT", "Analysis", "ModuleError", "ModuleLayer", "ModuleType", "snake"]

#: The parameter every instance has: how many copies of the block run one after another.
REPEAT = "repeat"
_REPEAT_SPEC = IntParam(
    REPEAT, 1, minimum=1, maximum=1000, label="Repeat", help="Copies of the block run one after another (x N)"
)


@dataclass(frozen=True)
class ModuleLayer(Layer):
    """One run of a module inside an instance's steps: the block's figures as one layer.

    It carries the sums the cost report needs (parameters, MACs, activations) and the block's
    receptive-field step (the widest window its output sees in its input, and the product of
    its strides), which compose with what comes before exactly like a conv's kernel and stride.
    It is never compiled: the compiler works on :func:`expand`'s flat design.
    """

    module: str
    n_params: int = 0
    n_macs: int = 0
    n_elements: int = 0
    rf_step: tuple[int, int, int, int] = (1, 1, 1, 1)
    default_name = "module"

    def params(self) -> int:
        return self.n_params

    def macs(self, in_shape: Shape, out_shape: Shape) -> int:
        return self.n_macs

    def rf(self, in_shape: Shape) -> tuple[int, int, int, int]:
        return self.rf_step

    def elements(self, out_shape: Shape) -> int:
        return self.n_elements

    def call(self) -> Any:  # pragma: no cover - instances are expanded before compiling
        raise NotImplementedError("module instances are compiled from expand()'s flat design")


class ModuleError(ShapeError):
    """An instance's definition does not work for the instance's inputs or values."""


@dataclass
class Analysis:
    """A definition validated for one use: the body's report and costs, the output shape."""

    report: Any
    costs: Any
    out_shape: Shape | None
    error: str = ""
    param: str | None = None


_ACTIVE: list[str] = []  # definitions being inferred right now (self-containment guard)


class ModuleType(NodeType):
    """The node type of a definition's instances. One object per definition, for its life."""

    category = "Modules"
    role = "layer"

    def __init__(self, definition: ModuleDef):
        self.definition = definition
        self._memo: dict[tuple[Any, ...], tuple[Shape, list[Step]]] = {}
        self._analyses: dict[tuple[Any, ...], Analysis] = {}
        self._inputs: tuple[Any, tuple[PortSpec, ...]] = (None, ())
        self._params: tuple[Any, tuple[ParamSpec, ...]] = (None, ())

    # The declaration follows the definition (attributes that are class constants elsewhere).
    @property  # type: ignore[override]
    def type_id(self) -> str:
        return MODULE_PREFIX + self.definition.id

    @property  # type: ignore[override]
    def display_name(self) -> str:
        return self.definition.name

    @property  # type: ignore[override]
    def description(self) -> str:
        return self.definition.description or f"Module {self.definition.name}"

    @property  # type: ignore[override]
    def name_stem(self) -> str:
        return snake(self.definition.name) or "module"

    @property  # type: ignore[override]
    def version(self) -> int:
        return self.definition.version

    @property  # type: ignore[override]
    def inputs(self) -> tuple[PortSpec, ...]:
        # Asked for every instance at every validation: kept while the body is unchanged.
        body = self.definition.body
        key = (id(body), body.revision)
        if self._inputs[0] != key:
            ports = self.definition.input_ports()
            value = tuple(
                PortSpec("in" if i == 0 else f"in{i + 1}", label=body.nodes[p].name) for i, p in enumerate(ports)
            )
            self._inputs = (key, value)
        return self._inputs[1]

    @property  # type: ignore[override]
    def outputs(self) -> tuple[PortSpec, ...]:
        return (PortSpec("out"),)

    @property  # type: ignore[override]
    def params(self) -> tuple[ParamSpec, ...]:
        d = self.definition
        key = (id(d.body), d.body.revision, tuple(d.exposed))
        if self._params[0] != key:
            self._params = (key, (*d.param_specs(), _REPEAT_SPEC))
        return self._params[1]

    def param(self, name: str) -> ParamSpec:  # type: ignore[override]
        for spec in self.params:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def defaults(self) -> dict[str, Any]:  # type: ignore[override]
        return {spec.name: spec.default for spec in self.params}

    def validate_params(self, values: dict[str, Any]) -> dict[str, Any]:  # type: ignore[override]
        specs = self.params
        unknown = set(values) - {spec.name for spec in specs}
        if unknown:
            name = sorted(unknown)[0]
            raise ParamError(f"module {self.definition.name} has no parameter {name!r}", name)
        out = {}
        for spec in specs:
            try:
                out[spec.name] = spec.validate(values.get(spec.name, spec.default))
            except ParamError as exc:
                raise ParamError(str(exc), spec.name) from None
        return out

    # ------------------------------------------------------------------ shapes
    def infer(self, p: dict[str, Any], in_shapes: list[Shape]) -> tuple[Shape, list[Step]]:
        d = self.definition
        key = (d.version, _freeze(p), tuple(in_shapes))
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        repeat = p.get(REPEAT, 1)
        if repeat > 1 and len(in_shapes) != 1:
            raise ParamError(f"repeat needs a module with one input; {d.name} has {len(in_shapes)}", REPEAT)
        shapes, steps = list(in_shapes), []
        for k in range(repeat):
            a = self.analyse(p, shapes)
            if a.error or a.out_shape is None:
                copy_note = f" (copy {k + 1} of {repeat})" if repeat > 1 and k else ""
                exc = ModuleError(f"inside module {d.name}{copy_note}: {a.error}")
                exc.param = a.param
                raise exc
            costs = a.costs
            out_id = d.output_port()
            rh, rw = costs.nodes[out_id].rf if out_id in costs.nodes else (1, 1)
            jh, jw = costs.nodes[out_id].jump if out_id in costs.nodes else (1, 1)
            ports = (*d.input_ports(), out_id)  # the tensors around the block are not its own
            own = costs.total.activations - sum(costs.nodes[p].activations for p in ports if p in costs.nodes)
            layer = ModuleLayer(d.name, costs.total.params, costs.total.macs, own, (rh, rw, jh, jw))
            steps.append(Step(layer, shapes[0], a.out_shape))
            shapes = [a.out_shape]
        result = (shapes[0], steps)
        if len(self._memo) > 4096:
            self._memo.clear()
        self._memo[key] = result
        return result

    def analyse(self, p: dict[str, Any], in_shapes: list[Shape]) -> Analysis:
        """The body validated (and costed) for these exposed values and input shapes (memoised)."""
        from .cost import compute_costs
        from .validate import validate

        d = self.definition
        key = (d.version, _freeze(p), tuple(in_shapes))
        hit = self._analyses.get(key)
        if hit is not None:
            return hit
        if d.id in _ACTIVE:
            chain = " -> ".join(d.library.defs[i].name for i in (*_ACTIVE[_ACTIVE.index(d.id) :], d.id))
            return Analysis(None, None, None, f"module {d.name} contains itself ({chain})")
        problem = d.problem()
        if problem:
            return Analysis(None, None, None, problem)
        _ACTIVE.append(d.id)
        try:
            bindings = d.bindings(p, in_shapes)
            rep = validate(d.body, bindings)
            costs = compute_costs(d.body, rep)
        finally:
            _ACTIVE.pop()
        out = rep.shapes.get(d.output_port())
        error, param = "", None
        if rep.errors:
            diag = rep.errors[0]
            error = diag.message
            param = d.exposed_name(diag.node_id, diag.param)
        elif out is None:
            error = "the module output is not connected to a result"
        a = Analysis(rep, costs, out, error, param)
        if len(self._analyses) > 1024:
            self._analyses.clear()
        self._analyses[key] = a
        return a

    def build(self, p: dict[str, Any], steps: list[Step]) -> Any:  # pragma: no cover
        raise NotImplementedError("module instances are compiled from expand()'s flat design")

    def summary(self, p: dict[str, Any]) -> str:
        shown = [f"{k}={v}" for k, v in p.items() if k != REPEAT][:3]
        text = self.definition.name + (f" ({', '.join(shown)})" if shown else "")
        return text + (f" x {p[REPEAT]}" if p.get(REPEAT, 1) > 1 else "")

    def __repr__(self) -> str:
        return f"<ModuleType {self.definition.name} ({self.definition.id})>"


def _freeze(p: dict[str, Any]) -> tuple[Any, ...]:
    return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in p.items())


def snake(name: str) -> str:
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    s = re.sub(r"[^0-9A-Za-z]+", "_", s).strip("_").lower()
    return s
