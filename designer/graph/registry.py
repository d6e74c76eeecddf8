"""Node type declarations and the registry that holds them.

A node type is declared once, as a subclass of :class:`NodeType` decorated with
:func:`register`. It states its ports and parameters and how it expands into layers
(:mod:`designer.graph.layers`); shape inference, costs, the torch module and generated
code all derive from that. Saved files store ``type_id``; a renamed type keeps its
old ids in ``legacy_ids`` so old files still load.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from .layers import Act, BatchNorm, Conv2d, Layer, Pad2d
from .params import ParamError, ParamSpec, as_pair
from .shapes import Shape, ShapeError, same_padding

__all__ = [
    "CATEGORY_ORDER",
    "NodeType",
    "PortSpec",
    "Stack",
    "Step",
    "UnknownNodeType",
    "all_types",
    "categories",
    "get",
    "register",
]

#: Palette order. The first five are the card's vocabulary.
CATEGORY_ORDER = ("Input", "Stem", "Branch", "Concat", "Pooling", "Aux head", "Layers", "Merge", "Heads")


class UnknownNodeType(KeyError):
    def __init__(self, type_id: str):
        super().__init__(type_id)
        self.type_id = type_id

    def __str__(self) -> str:
        return f"unknown node type {self.type_id!r}"


@dataclass(frozen=True)
class PortSpec:
    """An input or output port. ``multi`` ports take any number of ordered edges."""

    name: str
    multi: bool = False
    label: str = ""


@dataclass(frozen=True)
class Step:
    """One layer of an expanded node with the shapes around it."""

    layer: Layer
    in_shape: Shape
    out_shape: Shape


class Stack:
    """Builds a node's layer sequence while tracking the shape, so each layer sees its real input.

    Composite node types (stem, branch, aux head) call :meth:`conv` and :meth:`add`;
    the result is a list of :class:`Step`.
    """

    def __init__(self, shape: Shape):
        self.shape = shape
        self.steps: list[Step] = []

    def add(self, layer: Layer, *, blame: str | None = None) -> None:
        try:
            out = layer.out_shape(self.shape)
        except ShapeError as exc:
            if blame is not None and exc.param is not None:
                exc.param = blame
            raise
        self.steps.append(Step(layer, self.shape, out))
        self.shape = out

    def resolve_padding(
        self,
        padding: str | int | list[int],
        kernel: tuple[int, int],
        stride: tuple[int, int],
        dilation: tuple[int, int] = (1, 1),
    ) -> tuple[tuple[int, int, int, int] | None, tuple[int, int]]:
        """Turn a padding parameter into ``(explicit_pad_or_None, symmetric_padding)``."""
        if padding == "valid":
            return None, (0, 0)
        if padding != "same":
            return None, as_pair(padding)
        if len(self.shape) != 3:
            return None, (0, 0)  # the layer itself will report the flat input
        (top, bottom), (left, right) = (
            same_padding(self.shape[1], kernel[0], stride[0], dilation[0]),
            same_padding(self.shape[2], kernel[1], stride[1], dilation[1]),
        )
        if top == bottom and left == right:
            return None, (top, left)
        return (left, right, top, bottom), (0, 0)

    def conv(
        self,
        out_channels: int,
        kernel: int | list[int] | tuple[int, int],
        *,
        stride: int | list[int] | tuple[int, int] = 1,
        padding: str | int | list[int] = "same",
        dilation: int | list[int] | tuple[int, int] = 1,
        groups: int = 1,
        bias: bool = True,
        batch_norm: bool = False,
        bn_eps: float = 1e-5,
        activation: str = "relu",
        blame: str | None = None,
    ) -> None:
        """Add ``[Pad2d] Conv2d [BatchNorm] [Act]`` for the current shape."""
        if len(self.shape) != 3:
            raise ShapeError(f"a convolution needs a C x H x W feature map, got a flat vector of {self.shape[0]}")
        k, s, d = as_pair(kernel), as_pair(stride), as_pair(dilation)
        explicit, pad = self.resolve_padding(padding, k, s, d)
        if explicit is not None:
            self.add(Pad2d(explicit))
        self.add(Conv2d(self.shape[0], out_channels, k, s, pad, d, groups, bias), blame=blame)
        if batch_norm:
            self.add(BatchNorm(out_channels, bn_eps))
        if activation != "none":
            self.add(Act(activation))


class NodeType:
    """Base class of every node type. Subclasses set the class attributes and override
    :meth:`expand` (sequential nodes) or :meth:`infer` and :meth:`build` (merges)."""

    type_id: ClassVar[str] = ""
    display_name: ClassVar[str] = ""
    category: ClassVar[str] = "Layers"
    description: ClassVar[str] = ""
    #: 'input', 'output' (the main classifier), 'aux' (auxiliary classifier), 'merge' or 'layer'.
    role: ClassVar[str] = "layer"
    inputs: ClassVar[tuple[PortSpec, ...]] = (PortSpec("in"),)
    outputs: ClassVar[tuple[PortSpec, ...]] = (PortSpec("out"),)
    params: ClassVar[tuple[ParamSpec, ...]] = ()
    legacy_ids: ClassVar[tuple[str, ...]] = ()
    #: Default node name stem ("conv" -> conv, conv_1, ...).
    name_stem: ClassVar[str] = ""
    #: Changes when what the type computes changes (a module definition is edited); part of
    #: the inference cache's key. Built-in types never change.
    version: ClassVar[int] = 0

    # ----------------------------------------------------------------- params
    @classmethod
    def param(cls, name: str) -> ParamSpec:
        for spec in cls.params:
            if spec.name == name:
                return spec
        raise KeyError(name)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {spec.name: spec.default for spec in cls.params}

    @classmethod
    def validate_params(cls, values: dict[str, Any]) -> dict[str, Any]:
        """Normalise a full parameter dict (missing ones take defaults; unknown ones raise).

        Raises :class:`ParamError` whose ``args[1]`` is the parameter's name.
        """
        unknown = set(values) - {spec.name for spec in cls.params}
        if unknown:
            name = sorted(unknown)[0]
            raise ParamError(f"{cls.display_name} has no parameter {name!r}", name)
        out = {}
        for spec in cls.params:
            try:
                out[spec.name] = spec.validate(values.get(spec.name, spec.default))
            except ParamError as exc:
                raise ParamError(str(exc), spec.name) from None
        return out

    # ----------------------------------------------------------------- shapes
    def expand(self, p: dict[str, Any], shape: Shape) -> list[Step]:
        """The layers this node runs for an input of ``shape`` (sequential node types)."""
        raise NotImplementedError(f"{type(self).__name__} must define expand() or infer()")

    def infer(self, p: dict[str, Any], in_shapes: list[Shape]) -> tuple[Shape, list[Step]]:
        """Output shape and layer steps for the given input shapes; raises :class:`ShapeError`."""
        steps = self.expand(p, in_shapes[0])
        return (steps[-1].out_shape if steps else in_shapes[0]), steps

    # ------------------------------------------------------------------ torch
    def build(self, p: dict[str, Any], steps: list[Step]) -> Any:
        """A torch module computing this node; called with the node's inputs as positional args."""
        from torch import nn

        modules = [step.layer.build() for step in steps]
        if len(modules) == 1:
            return modules[0]
        return nn.Sequential(*modules) if modules else nn.Identity()

    def merge_code(self, p: dict[str, Any], args: list[str]) -> str:
        """A Python expression combining the input expressions ``args`` (merge node types only).

        The code generator writes merges inline (``torch.cat([...], 1)``) instead of calling
        a parameter-free module, as torchvision's models do.
        """
        raise NotImplementedError(f"{type(self).__name__} is not a merge node type")

    # --------------------------------------------------------------- display
    def summary(self, p: dict[str, Any]) -> str:
        """Key parameters in a few words, for node faces and messages."""
        return self.display_name

    def __repr__(self) -> str:
        return f"<NodeType {self.type_id}>"


_REGISTRY: dict[str, NodeType] = {}
_ALIASES: dict[str, str] = {}


def register(cls: type[NodeType]) -> type[NodeType]:
    """Class decorator: instantiate and register a node type under its ``type_id``."""
    tid = cls.type_id
    if not tid:
        raise ValueError(f"{cls.__name__} has no type_id")
    for key in (tid, *cls.legacy_ids):
        if key in _REGISTRY or key in _ALIASES:
            raise ValueError(f"node type id {key!r} is already registered")
    names = [spec.name for spec in cls.params]
    if len(names) != len(set(names)):
        raise ValueError(f"{cls.__name__} declares a parameter twice")
    _REGISTRY[tid] = cls()
    for legacy in cls.legacy_ids:
        _ALIASES[legacy] = tid
    return cls


def get(type_id: str) -> NodeType:
    """The node type for an id or a legacy id; raises :class:`UnknownNodeType`."""
    found = _REGISTRY.get(type_id)  # fast path: every Node.type goes through here
    if found is not None:
        return found
    _ensure_loaded()
    try:
        return _REGISTRY[_ALIASES.get(type_id, type_id)]
    except KeyError:
        raise UnknownNodeType(type_id) from None


def canonical_id(type_id: str) -> str:
    _ensure_loaded()
    return _ALIASES.get(type_id, type_id)


def all_types() -> Iterator[NodeType]:
    _ensure_loaded()
    return iter(_REGISTRY.values())


def categories() -> dict[str, list[NodeType]]:
    """Node types grouped by palette category, in palette order."""
    _ensure_loaded()
    out: dict[str, list[NodeType]] = {c: [] for c in CATEGORY_ORDER}
    for t in _REGISTRY.values():
        out.setdefault(t.category, []).append(t)
    return {c: ts for c, ts in out.items() if ts}


def _ensure_loaded() -> None:
    from . import nodes  # noqa: F401  (registers the built-in node types)
