"""Per-definition and per-instance totals (the Summary dock's and the command line's) against torch."""

from __future__ import annotations

import torch
from module_designs import googlenet_modules, module_net

from designer.compiler.build import compile_model
from designer.compiler.summary import module_summary, module_summary_lines
from designer.graph.builder import Builder
from designer.graph.cost import compute_costs


def _params(module: torch.nn.Module, prefix: str = "") -> int:
    return sum(p.numel() for name, p in module.named_parameters() if name.startswith(prefix))


def _macs(model: torch.nn.Module, x: torch.Tensor) -> dict[str, int]:
    """MACs of each conv and linear, by its dotted name, as torch runs them."""
    found: dict[str, int] = {}

    def hook(name):
        def count(m, _inp, out):
            if isinstance(m, torch.nn.Conv2d):
                k = m.kernel_size[0] * m.kernel_size[1]
                found[name] = out[0].numel() * (m.in_channels // m.groups) * k
            else:
                found[name] = m.in_features * m.out_features

        return count

    handles = [
        m.register_forward_hook(hook(n))
        for n, m in model.named_modules()
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))
    ]
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return found


def test_googlenet_inception_totals_are_torchs() -> None:
    doc = googlenet_modules()
    (inception,) = module_summary(doc)
    assert (inception.name, inception.instances, inception.runs) == ("Inception", 9, 9)
    model = compile_model(doc, seed=0).eval()
    macs = _macs(model, torch.randn(1, *model.input_shape))
    names = [u.name for u in inception.uses]
    assert names[0] == "inception3a" and names[-1] == "inception5b" and len(names) == 9
    for use in inception.uses:
        block = getattr(model, use.name)
        assert use.params == _params(block), use.name
        assert use.macs == sum(v for k, v in macs.items() if k.startswith(f"{use.name}.")), use.name
        assert use.node_id in doc.nodes and use.copies == 1
    assert inception.uses[0].params == 163_696  # torchvision's inception3a (convs with bias)
    assert inception.params == sum(u.params for u in inception.uses)
    assert inception.macs == sum(v for k, v in macs.items() if k.startswith("inception"))
    costs = compute_costs(doc)
    assert [u.params for u in inception.uses] == [costs.nodes[u.node_id].params for u in inception.uses]


def test_repeated_and_nested_uses_count_every_run() -> None:
    doc = module_net()
    by_name = {m.name: m for m in module_summary(doc)}
    res, pair, wide = by_name["Res"], by_name["Pair"], by_name["Wide"]
    # Res: 3 copies at the top, and one inside each Pair.
    assert (res.instances, res.runs) == (3, 5)
    assert [(u.name, u.copies) for u in res.uses] == [("res", 3), ("pair1 / r1", 1), ("pair2 / r1", 1)]
    assert res.uses[1].node_id == "" and res.uses[0].node_id == doc.find("res").id
    model = compile_model(doc, seed=0)
    assert res.uses[0].params == sum(_params(getattr(model, f"res_{k}")) for k in (1, 2, 3))
    assert res.uses[1].params == _params(model.pair1.r1)  # a submodule of the outer block
    assert res.uses[2].params == _params(model.pair2.r1)
    assert res.params == sum(u.params for u in res.uses)
    # A definition's figures include the modules it holds.
    assert pair.uses[0].params == _params(model.pair1) > res.uses[1].params
    assert (wide.instances, wide.runs) == (3, 3)
    total = res.uses[0].params + pair.params + wide.params  # the top-level instances
    assert total + _params(model.stem) + _params(model.classifier) == _params(model)


def test_the_command_line_table() -> None:
    lines = module_summary_lines(module_summary(module_net()))
    assert lines[0].split() == ["module", "/", "instance", "instances", "runs", "params", "MACs"]
    res = next(line for line in lines if line.startswith("Res "))
    assert res.split()[1:3] == ["3", "5"]
    assert any(line.startswith("  res ") and " x3 " in line for line in lines)
    assert any(line.startswith("  pair2 / r1 ") for line in lines)


def test_a_design_without_modules_has_no_module_summary() -> None:
    b = Builder("plain")
    b.output(b.conv(b.input(channels=3, height=8, width=8), "c", out_channels=4, kernel_size=3), num_classes=2)
    doc = b.done(layout=False)
    assert module_summary(doc) == [] and module_summary_lines([]) == []
