"""Weight initialisation: the shipped designs start trainable (the paper's GoogLeNet has no
BatchNorm, so the init alone decides whether its activations keep their scale)."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from designer.compiler.build import compile_model
from designer.examples import example_path
from designer.io import project


@pytest.mark.parametrize("name", ["googlenet", "mini_inception"])
def test_a_fresh_model_starts_near_chance_and_a_few_sgd_steps_stay_finite(name: str) -> None:
    torch.manual_seed(0)
    model = compile_model(project.load(example_path(name)), seed=0)
    batch = 4 if name == "googlenet" else 16
    x = torch.randn(batch, *model.input_shape)
    classes = model.num_classes if hasattr(model, "num_classes") else None
    with torch.no_grad():
        logits = model.eval()(x)
    classes = classes or logits.shape[1]
    # He (fan_in) init keeps the scale through the ReLU stack: logits of order 1, not 30.
    assert logits.std().item() < 5.0, logits.std().item()
    y = torch.randint(0, classes, (batch,))
    loss0 = nn.functional.cross_entropy(logits, y).item()
    assert loss0 < 2 * math.log(classes), f"initial loss {loss0:.1f} vs chance {math.log(classes):.1f}"
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    for _ in range(3):
        out = model(x)
        main, aux = (out[0], out[1]) if isinstance(out, tuple) else (out, ())
        loss = nn.functional.cross_entropy(main, y) + sum(0.3 * nn.functional.cross_entropy(a, y) for a in aux)
        opt.zero_grad()
        loss.backward()
        opt.step()
        assert torch.isfinite(loss), "the loss diverged"
