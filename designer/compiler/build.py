"""Plan -> ``nn.Module``.

``DesignModel`` registers one submodule per plan node under the node's identifier, so
``state_dict`` keys read like the drawing (``inception_3a_b1.0.weight``). ``forward``
walks a precomputed list of ``(module, input slots)``: no networkx, no name look-ups.

Eval mode returns the main logits. Training mode, when the design has aux heads,
returns :class:`DesignOutputs` ``(logits, aux_logits)`` with the aux logits in the
order of ``model.aux_names`` (their loss weights are ``model.aux_weights``).

Weight initialisation (deliberate, the same for every node type that contains the layer):
conv weights Kaiming-normal (fan_out, ReLU gain) as torchvision's ResNet does, conv and
linear biases zero, BatchNorm weight 1 and bias 0, linear weights normal(0, 0.01).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

from ..graph import registry
from ..graph.document import GraphDocument
from .plan import Plan, make_plan

__all__ = ["DesignModel", "DesignOutputs", "compile_model", "init_weights"]


class DesignOutputs(NamedTuple):
    """What a model with aux heads returns in training mode."""

    logits: Tensor
    aux_logits: tuple[Tensor, ...]


def init_weights(module: nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.01)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


class DesignModel(nn.Module):
    def __init__(self, plan: Plan, init: bool = True):
        super().__init__()
        self.plan_name = plan.name
        self.input_shape = tuple(plan.input_shape)
        self.aux_names: tuple[str, ...] = tuple(plan.nodes[i].name for i in plan.aux_indices)
        self.aux_weights: tuple[float, ...] = tuple(
            float(plan.nodes[i].params["loss_weight"]) for i in plan.aux_indices
        )
        last = plan.last_use()
        # (module, input slots, output slot, runs only for aux heads, slots to free afterwards)
        self._program: list[tuple[nn.Module, tuple[int, ...], int, bool, tuple[int, ...]]] = []
        for pn in plan.nodes:
            if pn.index == plan.input_index:
                continue
            module = registry.get(pn.type_id).build(pn.params, list(pn.steps))
            self.add_module(pn.ident, module)
            free = tuple(i for i in pn.inputs if last.get(i) == pn.index and i != plan.output_index)
            self._program.append((module, pn.inputs, pn.index, pn.aux_only, free))
        self._n = len(plan.nodes)
        self._input = plan.input_index
        self._output = plan.output_index
        self._aux = tuple(plan.aux_indices)
        if init:
            init_weights(self)

    def forward(self, x: Tensor) -> Tensor | DesignOutputs:
        with_aux = self.training and bool(self._aux)
        values: list[Any] = [None] * self._n
        values[self._input] = x
        for module, ins, out, aux_only, free in self._program:
            if aux_only and not with_aux:
                continue
            values[out] = module(*[values[i] for i in ins])
            for i in free:
                values[i] = None
        if with_aux:
            return DesignOutputs(values[self._output], tuple(values[i] for i in self._aux))
        return values[self._output]


def compile_model(doc: GraphDocument, *, init: bool = True, seed: int | None = None) -> DesignModel:
    """Validate, plan and build. Raises :class:`designer.compiler.plan.CompileError` on errors."""
    plan = make_plan(doc)
    if seed is not None:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return DesignModel(plan, init)
    return DesignModel(plan, init)
