"""Loss, learning-rate schedule and optimizer of a training run (shared with ``train.py``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from .records import TrainConfig

__all__ = ["NonFiniteLoss", "total_loss", "lr_at", "make_optimizer"]


class NonFiniteLoss(RuntimeError):
    def __init__(self, step: int, epoch: int, lr: float, value: float):
        super().__init__(
            f"the loss became {value} at step {step} (epoch {epoch + 1}) with learning rate {lr:.3g}: "
            f"the run is unstable; try a lower learning rate (e.g. {lr / 10:.3g}) or a warm-up"
        )
        self.step = step


def total_loss(
    outputs: Tensor | Sequence[Any], target: Tensor, aux_weights: Sequence[float], label_smoothing: float = 0.0
) -> tuple[Tensor, Tensor, list[Tensor]]:
    """Total, main and per-aux-head losses for a model's outputs.

    ``outputs`` is the main logits, or ``(logits, aux_logits)`` as a model with aux heads
    returns in training mode. The total is ``main + sum(w_i * aux_i)``.
    """
    if isinstance(outputs, Tensor):
        logits, aux = outputs, ()
    else:
        logits, aux = outputs[0], tuple(outputs[1])
    main = F.cross_entropy(logits.float(), target, label_smoothing=label_smoothing)
    parts = [F.cross_entropy(a.float(), target, label_smoothing=label_smoothing) for a in aux]
    total = main
    for w, part in zip(aux_weights, parts, strict=True):
        total = total + w * part
    return total, main, parts


def lr_at(step: int, total_steps: int, steps_per_epoch: int, cfg: TrainConfig) -> float:
    """The learning rate for optimizer step ``step`` (0-based) of ``total_steps``."""
    base = cfg.lr
    total = max(1, total_steps)
    if cfg.schedule == "onecycle":  # as torch's OneCycleLR: 30 % up from lr/25, cosine down to lr/25e4
        up = max(1, int(0.3 * total))
        lo, end = base / 25, base / 25e4
        if step < up:
            return lo + (base - lo) * (1 - math.cos(math.pi * step / up)) / 2
        t = min(1.0, (step - up) / max(1, total - up))
        return end + (base - end) * (1 + math.cos(math.pi * t)) / 2
    warm = int(round(cfg.warmup_epochs * steps_per_epoch))
    if step < warm:
        return base * (step + 1) / warm
    if cfg.schedule == "cosine":
        t = min(1.0, (step - warm) / max(1, total - warm))
        return base * (1 + math.cos(math.pi * t)) / 2
    if cfg.schedule == "step":
        every = cfg.step_epochs or max(1, cfg.epochs // 3)
        return base * cfg.step_gamma ** ((step // max(1, steps_per_epoch)) // every)
    return base


def make_optimizer(model: torch.nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    """SGD (momentum, Nesterov) or AdamW; no weight decay on biases and norm weights."""
    # no weight decay on biases and norm weights (1-d parameters)
    decay = [p for p in model.parameters() if p.requires_grad and p.ndim > 1]
    rest = [p for p in model.parameters() if p.requires_grad and p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": rest, "weight_decay": 0.0}]
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=cfg.lr)
    return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov and cfg.momentum > 0)
