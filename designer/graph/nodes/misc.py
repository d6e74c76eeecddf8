"""Single layers: BatchNorm, Activation, Dropout, Flatten, Linear, LocalResponseNorm."""

from __future__ import annotations

from typing import Any

from ..layers import Act, BatchNorm, Dropout, Flatten, Linear, LocalResponseNorm
from ..params import BoolParam, FloatParam, IntParam
from ..registry import NodeType, Stack, Step, register
from ..shapes import Shape
from . import common

__all__ = ["LRN", "Activation", "BatchNormNode", "DropoutNode", "FlattenNode", "LinearNode"]


class _Single(NodeType):
    """A node that is exactly one layer, made by :meth:`layer`."""

    def layer(self, p: dict[str, Any], shape: Shape) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def expand(self, p: dict[str, Any], shape: Shape) -> list[Step]:
        s = Stack(shape)
        s.add(self.layer(p, shape))
        return s.steps


@register
class BatchNormNode(_Single):
    type_id = "batch_norm"
    display_name = "BatchNorm"
    name_stem = "bn"
    description = "Batch normalisation over channels (BatchNorm2d; BatchNorm1d on a flat vector)."
    params = (FloatParam("eps", 1e-5, minimum=0.0, maximum=1.0, min_inclusive=False),)

    def layer(self, p: dict[str, Any], shape: Shape) -> Any:
        return BatchNorm(shape[0], p["eps"], flat=len(shape) == 1)

    def summary(self, p: dict[str, Any]) -> str:
        return "batch norm"


@register
class Activation(_Single):
    type_id = "activation"
    display_name = "Activation"
    name_stem = "act"
    description = "Elementwise non-linearity."
    params = (common.activation("kind"),)

    def layer(self, p: dict[str, Any], shape: Shape) -> Any:
        return Act(p["kind"], inplace=False)  # its input may also feed other nodes

    def summary(self, p: dict[str, Any]) -> str:
        return p["kind"]


@register
class DropoutNode(_Single):
    type_id = "dropout"
    display_name = "Dropout"
    name_stem = "dropout"
    description = "Zeroes a random fraction of activations in training."
    params = (FloatParam("p", 0.5, minimum=0.0, maximum=0.99, label="Drop probability"),)

    def layer(self, p: dict[str, Any], shape: Shape) -> Any:
        return Dropout(p["p"])

    def summary(self, p: dict[str, Any]) -> str:
        return f"dropout {p['p']:g}"


@register
class FlattenNode(_Single):
    type_id = "flatten"
    display_name = "Flatten"
    name_stem = "flatten"
    description = "C x H x W -> one vector of C*H*W."

    def layer(self, p: dict[str, Any], shape: Shape) -> Any:
        return Flatten()

    def summary(self, p: dict[str, Any]) -> str:
        return "flatten"


@register
class LinearNode(_Single):
    type_id = "linear"
    display_name = "Linear"
    name_stem = "fc"
    description = "Fully connected layer on a flat vector."
    params = (common.channels("out_features", 1000, label="Out features"), BoolParam("bias", True))

    def layer(self, p: dict[str, Any], shape: Shape) -> Any:
        return Linear(shape[0], p["out_features"], p["bias"])

    def summary(self, p: dict[str, Any]) -> str:
        return f"fc -> {p['out_features']}"


@register
class LRN(_Single):
    type_id = "lrn"
    display_name = "Local response norm"
    name_stem = "lrn"
    description = "Local response normalisation across channels (GoogLeNet v1, AlexNet)."
    params = (
        IntParam("size", 5, minimum=1, maximum=255),
        FloatParam("alpha", 1e-4, minimum=0.0, maximum=10.0),
        FloatParam("beta", 0.75, minimum=0.0, maximum=10.0),
        FloatParam("k", 1.0, minimum=0.0, maximum=100.0),
    )

    def layer(self, p: dict[str, Any], shape: Shape) -> Any:
        return LocalResponseNorm(p["size"], p["alpha"], p["beta"], p["k"])

    def summary(self, p: dict[str, Any]) -> str:
        return f"LRN size {p['size']}"
