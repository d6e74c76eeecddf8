"""Classifier heads: the main Output and the auxiliary heads of GoogLeNet / Inception v3."""

from __future__ import annotations

from typing import Any

from ..layers import Act, AvgPool2d, Dropout, Flatten, GlobalAvgPool, Linear
from ..params import BoolParam, ChoiceParam, FloatParam, IntParam
from ..registry import NodeType, Step, register
from ..shapes import Shape
from . import common

__all__ = ["AuxHead", "Output"]


def _dropout(name: str, default: float) -> FloatParam:
    return FloatParam(name, default, minimum=0.0, maximum=0.99, help="0 for none")


@register
class Output(NodeType):
    type_id = "output"
    display_name = "Output (classifier)"
    category = "Heads"
    role = "output"
    name_stem = "classifier"
    description = (
        "The main classifier: global average pool (or flatten), optional dropout, linear layer to the classes."
    )
    outputs = ()
    #: A class of named children in generated code (avgpool/flatten, dropout, fc).
    module_class = "Classifier"
    params = (
        IntParam("num_classes", 1000, minimum=1, maximum=1_000_000, label="Classes"),
        ChoiceParam("pool", "avg", choices=("avg", "flatten"), help="How a feature map becomes a vector"),
        _dropout("dropout", 0.0),
        BoolParam("bias", True, advanced=True),
    )

    def expand(self, p: dict[str, Any], shape: Shape) -> list[Step]:
        s = common.Stack(shape)
        if len(shape) == 3:
            s.add(GlobalAvgPool(True) if p["pool"] == "avg" else Flatten())  # avgpool, flatten
        if p["dropout"] > 0:
            s.add(Dropout(p["dropout"]), name="dropout")
        s.add(Linear(s.shape[0], p["num_classes"], p["bias"]), name="fc")
        return s.steps

    def summary(self, p: dict[str, Any]) -> str:
        drop = f", dropout {p['dropout']:g}" if p["dropout"] else ""
        return f"{p['pool']} -> {p['num_classes']} classes{drop}"


@register
class AuxHead(NodeType):
    type_id = "aux_head"
    display_name = "Aux head"
    category = "Aux head"
    role = "aux"
    name_stem = "aux"
    description = (
        "Auxiliary classifier used only in training (GoogLeNet: avg-pool 5/3, 1x1 conv 128, FC 1024, "
        "dropout 0.7, FC; its loss is added with weight 0.3). Dropped at inference and export for eval."
    )
    outputs = ()
    #: A class of named children in generated code: pool, conv, [conv2, avgpool], flatten, fc1, act, dropout, fc2.
    module_class = "InceptionAux"
    params = (
        IntParam("num_classes", 1000, minimum=1, maximum=1_000_000, label="Classes"),
        FloatParam("loss_weight", 0.3, minimum=0.0, maximum=10.0, help="Weight of this head's loss in the total"),
        common.kernel("pool_kernel", 5, label="Pool kernel"),
        common.stride("pool_stride", 3, label="Pool stride"),
        common.channels("conv_channels", 128, label="1x1 conv"),
        IntParam(
            "conv2_channels",
            0,
            minimum=0,
            maximum=65_536,
            label="2nd conv",
            help="Inception v3 adds a second conv (768, 5x5) then a global pool; 0 for none",
        ),
        common.kernel("conv2_kernel", 5, label="2nd conv kernel"),
        IntParam("hidden", 1024, minimum=0, maximum=65_536, label="FC hidden", help="0 for none"),
        _dropout("dropout", 0.7),
        BoolParam("bias", True, help="Conv bias; off with BatchNorm"),
        *common.bn_params(),
        common.activation(),
    )

    def expand(self, p: dict[str, Any], shape: Shape) -> list[Step]:
        from ..params import as_pair

        s = common.Stack(shape)
        s.add(AvgPool2d(as_pair(p["pool_kernel"]), as_pair(p["pool_stride"])), blame="pool_kernel", name="pool")
        opts = common.conv_kwargs(p)
        s.conv(p["conv_channels"], 1, padding=0, **opts, name="conv")
        if p["conv2_channels"]:
            s.conv(p["conv2_channels"], p["conv2_kernel"], padding=0, **opts, blame="conv2_kernel", name="conv2")
            s.add(GlobalAvgPool(True))  # avgpool, flatten
        else:
            s.add(Flatten())
        if p["hidden"]:
            # the published heads use no BN on the FC layer
            s.add(Linear(s.shape[0], p["hidden"]), name="fc1")
            if p["activation"] != "none":
                s.add(Act(p["activation"]))
        if p["dropout"] > 0:
            s.add(Dropout(p["dropout"]), name="dropout")
        s.add(Linear(s.shape[0], p["num_classes"]), name="fc2" if p["hidden"] else "fc")
        return s.steps

    def summary(self, p: dict[str, Any]) -> str:
        return f"aux x{p['loss_weight']:g} -> {p['num_classes']} classes"
