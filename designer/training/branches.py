"""What the branches do: each Concat input's share of the activation and of the gradient.

For every Concat of the compiled model, :class:`BranchMeter` hooks the concat's module
(a forward hook on it, a tensor hook on its output) and, on the sampled training steps,
adds up per output channel

* the activation magnitude ``sum |y|`` over batch and positions (L1), and
* the squared gradient ``sum (dL/dy)^2`` of the loss w.r.t. the concat's output.

At the end of an epoch the channels are split into the concat's inputs (branches, in
input order, each named by the node that feeds it): a branch's **activation share** is
its channels' ``sum |y|`` over the whole output's (equivalently its share of the mean
absolute activation summed over channels), its **gradient share** its channels' share of
the squared gradient norm ``||g_b||^2 / ||g||^2``. Both sum to 1 over a concat's branches.

The cost is one reduction over each concat's output and gradient per sampled step, kept on
the device (one sync per epoch); ``every`` samples one step in that many (the first step of
an epoch always counts).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn

__all__ = ["LOW_SHARE", "BranchMeter", "branch_advice", "concat_branches"]

#: A branch carrying less than this share of its concat's activation is pointed out.
LOW_SHARE = 0.03

Branches = dict[str, tuple[tuple[str, float, float], ...]]


def concat_branches(doc: Any, model: nn.Module) -> list[tuple[str, nn.Module, tuple[str, ...]]]:
    """``(concat node name, its module in model, names of the nodes feeding its inputs)``
    for every Concat of the design that the compiled ``model`` runs, in plan order."""
    from ..compiler.plan import make_plan

    plan = make_plan(doc)
    core = getattr(model, "_orig_mod", model)
    out = []
    for pn in plan.nodes:
        if pn.type_id != "concat" or not pn.path:
            continue
        try:
            module = core.get_submodule(pn.path)
        except AttributeError:
            continue
        out.append((pn.name, module, tuple(plan.nodes[i].name for i in pn.inputs)))
    return out


def _channel_sums(t: Tensor, square: bool) -> Tensor:
    t = t.detach()
    v = t.square() if square else t.abs()
    dims = [d for d in range(v.dim()) if d != 1]
    return v.sum(dim=dims, dtype=torch.float32) if dims else v.float()


class _Probe:
    def __init__(self, meter: BranchMeter, name: str, branches: tuple[str, ...]):
        self.meter, self.name, self.branches = meter, name, branches
        self.sizes: list[int] = []
        self.act: Tensor | None = None
        self.grad: Tensor | None = None

    def reset(self) -> None:
        self.act = self.grad = None

    def forward_hook(self, module: nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
        if not self.meter.active or not isinstance(output, Tensor) or output.dim() < 2:
            return
        self.sizes = [int(x.shape[1]) for x in inputs]
        a = _channel_sums(output, False)
        self.act = a if self.act is None else self.act + a
        if output.requires_grad:
            output.register_hook(self._grad_hook)

    def _grad_hook(self, grad: Tensor) -> None:
        g = _channel_sums(grad, True)
        self.grad = g if self.grad is None else self.grad + g

    def shares(self) -> tuple[tuple[str, float, float], ...] | None:
        if self.act is None or not self.sizes:
            return None
        acts = _split(self.act, self.sizes)
        grads = _split(self.grad, self.sizes) if self.grad is not None else [0.0] * len(self.sizes)
        ta, tg = sum(acts), sum(grads)
        return tuple(
            (b, a / ta if ta > 0 else 0.0, g / tg if tg > 0 else 0.0)
            for b, a, g in zip(self.branches, acts, grads, strict=False)
        )


def _split(per_channel: Tensor, sizes: Sequence[int]) -> list[float]:
    """Sum each input's slice of channels (one sync)."""
    if sum(sizes) != per_channel.numel():
        return [0.0] * len(sizes)
    return torch.stack([c.sum() for c in torch.split(per_channel, list(sizes))]).tolist()


class BranchMeter:
    """Hooks every Concat of ``model``; :meth:`step` before a training forward, :meth:`epoch`
    at the end of the epoch (the shares, then a fresh start). :meth:`close` removes the hooks."""

    def __init__(self, doc: Any, model: nn.Module, every: int = 1):
        self.every = max(1, int(every))
        self.active = False
        self._n = 0
        self.probes: list[_Probe] = []
        self._handles: list[Any] = []
        for name, module, branches in concat_branches(doc, model):
            probe = _Probe(self, name, branches)
            self.probes.append(probe)
            self._handles.append(module.register_forward_hook(probe.forward_hook))

    def __bool__(self) -> bool:
        return bool(self.probes)

    def step(self) -> None:
        """Call before each training forward: decides whether this step is sampled."""
        self.active = self._n % self.every == 0
        self._n += 1

    def pause(self) -> None:
        """Stop measuring (validation) until the next :meth:`step`."""
        self.active = False

    def epoch(self) -> Branches:
        """``{concat name: ((branch name, activation share, gradient share), ...)}`` for the
        steps measured since the last call; then starts over."""
        out: Branches = {}
        for p in self.probes:
            shares = p.shares()
            if shares is not None:
                out[p.name] = shares
            p.reset()
        self.active, self._n = False, 0
        return out

    def close(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles.clear()


def branch_advice(branches: Branches, low: float = LOW_SHARE) -> tuple[str, ...]:
    """A line for each branch that carries under ``low`` of its concat's activation."""
    lines = []
    for concat, rows in branches.items():
        for name, act, _grad in rows:
            if act < low:
                lines.append(
                    f"branch '{name}' of '{concat}' carries {act:.0%} of the activation: try it narrower or drop it"
                )
    return tuple(lines)
