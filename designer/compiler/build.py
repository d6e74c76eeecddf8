"""Plan -> ``nn.Module``.

``DesignModel`` holds one submodule per block (document group) and per top-level node,
and each block one submodule per member node and per block nested in it (a module instance
inside another module's body), all named by the plan (``inception_3a.b1.conv.weight``,
``pair1.r1.a.conv.weight``), exactly as the exported code names them.
``forward`` walks a precomputed program of ``(module, input slots, output slots)``:
no networkx, no name look-ups. Merges (concat, add) are parameter-free modules here, so
forward hooks see every node; the exported code writes them inline (``torch.cat``).

Eval mode returns the main logits. Training mode, when the design has aux heads,
returns :class:`DesignOutputs` ``(logits, aux_logits)`` with the aux logits in the
order of ``model.aux_names`` (their loss weights are ``model.aux_weights``).

Weight initialisation (deliberate, the same for every node type that contains the layer):
conv weights Kaiming-normal (fan_in, ReLU gain: He et al.'s, which keeps the activations'
variance through a ReLU network), conv and linear biases zero, BatchNorm weight 1 and bias 0,
linear weights normal(0, 0.01); the function is :data:`.helpers.INIT_WEIGHTS`, which the
exported code carries verbatim. (torchvision's ResNet uses fan_out, which BatchNorm makes
harmless; in GoogLeNet as the paper drew it, without BatchNorm, fan_out gave logits with a
standard deviation of 32 at the start and the loss went to NaN within five steps; fan_in: 1.4.)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

from ..graph import registry
from ..graph.document import GraphDocument
from .helpers import INIT_WEIGHTS
from .modules import build_units
from .plan import Plan, PlanNode, make_plan

__all__ = ["DesignBlock", "DesignModel", "DesignOutputs", "compile_model", "init_weights"]

#: (module, input slots, output slot or slots, aux only, slots to free afterwards)
Op = tuple[nn.Module, tuple[int, ...], "int | tuple[int, ...]", bool, tuple[int, ...]]


class DesignOutputs(NamedTuple):
    """What a model with aux heads returns in training mode."""

    logits: Tensor
    aux_logits: tuple[Tensor, ...]


#: Kaiming-normal convs (fan_in), zero biases, BatchNorm 1/0, linear weights normal(0, 0.01):
#: the function generated code emits, made from the same source (:data:`.helpers.INIT_WEIGHTS`).
init_weights = INIT_WEIGHTS.runtime()


def node_module(pn: PlanNode) -> nn.Module:
    """The module computing one plan node (merges: the node type's parameter-free module)."""
    if pn.units:
        return build_units(pn.units, named=bool(pn.module_class))
    return registry.get(pn.type_id).build(pn.params, list(pn.steps))


def _frees(reads: list[tuple[int, ...]], keep: set[int]) -> list[tuple[int, ...]]:
    """For each op, the slots it is the last reader of (not those in ``keep``)."""
    last: dict[int, int] = {}
    for k, ins in enumerate(reads):
        for i in ins:
            last[i] = k
    return [tuple(dict.fromkeys(i for i in ins if last[i] == k and i not in keep)) for k, ins in enumerate(reads)]


def _run(program: list[Op], values: list[Any], with_aux: bool) -> None:
    for module, ins, out, aux_only, free in program:
        if aux_only and not with_aux:
            continue
        result = module(*[values[i] for i in ins])
        if isinstance(out, int):
            values[out] = result
        else:
            for slot, value in zip(out, result, strict=True):
                values[slot] = value
        for i in free:
            values[i] = None


def _entry(plan: Plan, kind: str, ref: int) -> tuple[str, nn.Module, tuple[int, ...], int | tuple[int, ...], bool]:
    """One entry of a program: its attribute name, module, input slots, output slot(s), aux only."""
    if kind == "block":
        block = plan.blocks[ref]
        out: int | tuple[int, ...] = block.outputs[0] if len(block.outputs) == 1 else block.outputs
        return block.ident, DesignBlock(plan, ref), block.inputs, out, block.aux_only
    pn = plan.nodes[ref]
    return pn.ident, node_module(pn), pn.inputs, pn.index, pn.aux_only


class DesignBlock(nn.Module):
    """One document group (or a module instance nested in another's run): its member nodes and
    nested blocks as children, run in plan order.

    Called with the block's inputs; returns its one output, or a tuple of several.
    """

    def __init__(self, plan: Plan, index: int):
        super().__init__()
        block = plan.blocks[index]
        local = {s: i for i, s in enumerate(block.inputs)}
        made = [_entry(plan, kind, ref) for kind, ref in block.program]
        for _ident, _module, _ins, out, _aux in made:
            for s in (out,) if isinstance(out, int) else out:
                local[s] = len(local)
        self._n = len(local)
        self._n_in = len(block.inputs)
        self._outs = tuple(local[s] for s in block.outputs)
        reads = [tuple(local[i] for i in ins) for _ident, _module, ins, _out, _aux in made]
        frees = _frees(reads, set(self._outs))
        self._program: list[Op] = []
        for (ident, module, _ins, out, _aux), ins, free in zip(made, reads, frees, strict=True):
            self.add_module(ident, module)
            where = local[out] if isinstance(out, int) else tuple(local[s] for s in out)
            self._program.append((module, ins, where, False, free))

    def forward(self, *xs: Tensor) -> Any:
        values: list[Any] = [*xs, *([None] * (self._n - self._n_in))]
        _run(self._program, values, False)
        if len(self._outs) == 1:
            return values[self._outs[0]]
        return tuple(values[i] for i in self._outs)


class DesignModel(nn.Module):
    """The compiled design. See the module docstring for what ``forward`` returns."""

    def __init__(self, plan: Plan, init: bool = True):
        super().__init__()
        self.plan_name = plan.name
        self.input_shape = tuple(plan.input_shape)
        self.aux_names: tuple[str, ...] = tuple(plan.nodes[i].name for i in plan.aux_indices)
        self.aux_weights: tuple[float, ...] = tuple(
            float(plan.nodes[i].params["loss_weight"]) for i in plan.aux_indices
        )
        #: node id -> dotted module path (``inception_3a.b1``); merges included, the input not.
        self.node_paths: dict[str, str] = {pn.node_id: pn.path for pn in plan.nodes if pn.path}
        # Children are declared in program order (the state_dict's) and run in schedule order.
        made: dict[tuple[str, int], tuple[nn.Module, tuple[int, ...], int | tuple[int, ...], bool]] = {}
        for kind, ref in plan.program:
            if kind == "block" or ref != plan.input_index:
                ident, module, ins, out, aux_only = _entry(plan, kind, ref)
                self.add_module(ident, module)
                made[(kind, ref)] = (module, ins, out, aux_only)
        entries = [made[e] for e in (plan.schedule or plan.program) if e in made]
        frees = _frees([e[1] for e in entries], set(plan.results))
        self._program: list[Op] = [(*e, f) for e, f in zip(entries, frees, strict=True)]
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
        _run(self._program, values, with_aux)
        if with_aux:
            return DesignOutputs(values[self._output], tuple(values[i] for i in self._aux))
        return values[self._output]


def compile_model(doc: GraphDocument, *, init: bool = True, seed: int | None = None) -> DesignModel:
    """Validate, plan and build.

    Parameters
    ----------
    doc
        The design.
    init
        Initialise the weights (see the module docstring); otherwise torch's defaults.
    seed
        Seed for the initial weights, without touching the global RNG state.

    Raises
    ------
    designer.compiler.plan.CompileError
        When the design has errors.
    """
    plan = make_plan(doc)
    if seed is not None:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return DesignModel(plan, init)
    return DesignModel(plan, init)
