"""Design advice: figures in the messages are the real costs, and the fixes do what they say."""

from __future__ import annotations

from designer.examples import example_path
from designer.graph.builder import Builder
from designer.graph.cost import compute_costs
from designer.graph.lint import lint
from designer.io.project import load


def _codes(doc):
    return {(doc.nodes[d.node_id].name, d.code) for d in lint(doc)}


def test_bare_5x5_gets_bottleneck_advice_with_the_card_figures():
    b = Builder()
    x = b.input(channels=192, height=28, width=28)
    b.conv(x, "b3_5x5", out_channels=32, kernel_size=5)
    doc = b.done()
    advice = [d for d in lint(doc) if d.code == "bottleneck"]
    assert len(advice) == 1
    assert "120M" in advice[0].message and "12.4M" in advice[0].message and "9.7x" in advice[0].message


def test_the_card_module_needs_no_bottleneck_advice():
    doc = load(example_path("inception_module"))
    assert not [d for d in lint(doc) if d.code == "bottleneck"]


def test_branch_bottleneck_fix_gives_the_predicted_cost():
    b = Builder()
    x = b.input(channels=192, height=28, width=28)
    br = b.node("branch", x, "br", out_channels=32, kernel_size=5)
    doc = b.done()
    before = compute_costs(doc).nodes[br].macs
    advice = next(d for d in lint(doc) if d.code == "bottleneck")
    advice.fix.apply(doc)
    after = compute_costs(doc).nodes[br].macs
    assert before == 120_422_400
    assert after == 2_408_448 + 10_035_200
    assert ("br", "bottleneck") not in _codes(doc)


def test_factorize_fix_keeps_shape_and_cuts_macs():
    b = Builder()
    x = b.input(channels=64, height=17, width=17)
    br = b.node("branch", x, "br", out_channels=64, kernel_size=7, reduce_channels=32)
    doc = b.done()
    before = compute_costs(doc).nodes[br]
    fix = next(d for d in lint(doc) if d.code == "factorize").fix
    fix.apply(doc)
    after = compute_costs(doc).nodes[br]
    assert doc.nodes[br].params["factorize"] == "asymmetric"
    assert after.macs < before.macs
    assert after.rf == before.rf == (7, 7)


def test_bias_before_batchnorm_fix_removes_exactly_the_bias_parameters():
    b = Builder()
    x = b.input(channels=3, height=8, width=8)
    c = b.conv(x, "c", out_channels=16, kernel_size=3, batch_norm=True, bias=True)
    doc = b.done()
    before = compute_costs(doc).total.params
    d = next(d for d in lint(doc) if d.code == "bias-before-bn")
    assert d.node_id == c and d.param == "bias"
    d.fix.apply(doc)
    assert compute_costs(doc).total.params == before - 16
    assert not [d for d in lint(doc) if d.code == "bias-before-bn"]
