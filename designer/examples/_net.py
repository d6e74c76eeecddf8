"""Builder helpers shared by the example networks: BasicConv-style convs, groups, residual sums."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..graph.builder import Builder

__all__ = ["NetBuilder", "PLAIN", "TORCH_BN", "KERAS_BN"]

#: GoogLeNet as in the paper: conv with bias, then ReLU, no BatchNorm.
PLAIN: dict[str, Any] = {"bias": True, "batch_norm": False}
#: torchvision's BasicConv2d in Inception v3: conv without bias, BatchNorm(eps=0.001), ReLU.
TORCH_BN: dict[str, Any] = {"bias": False, "batch_norm": True, "bn_eps": 0.001}
#: Keras' conv2d_bn (Inception-ResNet-v2) and Xception: the same, Keras' default BN eps.
KERAS_BN = TORCH_BN


class NetBuilder(Builder):
    """A :class:`Builder` with one conv style for the whole network and a few block helpers.

    ``conv_style`` holds the parameters every :meth:`cbr` conv gets (bias, BatchNorm, eps)
    unless a call overrides them. Module bodies (:meth:`Builder.define`) are built with the same
    style; ``inline_modules=True`` draws every instance as plain nodes in a group.
    """

    def __init__(
        self, name: str, description: str = "", conv_style: dict[str, Any] | None = None, inline_modules: bool = False
    ):
        super().__init__(name, description, inline_modules=inline_modules)
        self.conv_style = dict(conv_style or {})

    def cbr(
        self,
        x: str,
        name: str,
        out: int,
        kernel: int | list[int] = 1,
        stride: int = 1,
        padding: str | int | list[int] = "same",
        **params: Any,
    ) -> str:
        """A conv in the network's style: ``Conv2d [BatchNorm] ReLU`` unless overridden."""
        shape = {"out_channels": out, "kernel_size": kernel, "stride": stride, "padding": padding}
        return self.conv(x, name, **{**self.conv_style, **shape, **params})

    def chain(self, x: str, name: str, layers: Iterable[tuple[int, int | list[int]]], **params: Any) -> str:
        """Stacked convs ``name_1, name_2, ...`` (torchvision's ``branch3x3dbl_1``, ``_2``, ...)."""
        for i, (out, kernel) in enumerate(layers, 1):
            x = self.cbr(x, f"{name}_{i}", out, kernel, **params)
        return x

    def max_pool(self, x: str, name: str, kernel: int = 3, stride: int = 2, padding: Any = 0, **params: Any) -> str:
        return self.pool(x, name, mode="max", kernel_size=kernel, stride=stride, padding=padding, **params)

    def avg_pool(self, x: str, name: str, kernel: int = 3, stride: int = 1, padding: Any = 1, **params: Any) -> str:
        return self.pool(x, name, mode="avg", kernel_size=kernel, stride=stride, padding=padding, **params)

    def add(self, xs: list[str], name: str, scale: float = 1.0, activation: str = "none") -> str:
        """Residual sum: ``xs[0]`` is the shortcut, the rest are scaled by ``scale``."""
        return self.node("add", xs, name, scale=scale, activation=activation)

    def act(self, x: str, name: str, kind: str = "relu") -> str:
        return self.node("activation", x, name, kind=kind)
