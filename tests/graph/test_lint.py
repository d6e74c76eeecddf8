"""Design advice: figures in the messages are the real costs, and the fixes do what they say."""

from __future__ import annotations

import pytest

from designer.examples import EXAMPLES, example_path
from designer.graph.builder import Builder
from designer.graph.cost import compute_costs, fmt_count
from designer.graph.diagnostics import Severity
from designer.graph.lint import lint
from designer.graph.validate import validate
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


# --------------------------------------------------------------------------- advice from the papers, extended
NEW_CODES = {
    "dropout-with-bn",
    "lrn-with-bn",
    "representational-bottleneck",
    "aux-heads",
    "unused",
    "receptive-field",
    "input-sizes",
}


def _advice(doc, code):
    return [d for d in lint(doc) if d.code == code]


def _bn_conv(b, x, name="c", channels=16):
    return b.conv(x, name, out_channels=channels, kernel_size=3, batch_norm=True, bias=False)


def test_dropout_right_after_batchnorm_gets_advice_and_a_fix_that_turns_it_off():
    b = Builder()
    x = b.input(channels=3, height=8, width=8)
    c = _bn_conv(b, x)
    d = b.node("dropout", c, "drop", p=0.4)
    b.output(d, num_classes=10)
    doc = b.done()
    (adv,) = _advice(doc, "dropout-with-bn")
    assert adv.severity == Severity.INFO and adv.node_id == d and adv.related == (c,) and adv.param == "p"
    assert "'drop': dropout (p 0.4, on 16 x 8 x 8) right after the BatchNorm of 'c'" in adv.message
    assert "Inception v2" in adv.message
    adv.fix.apply(doc)
    assert doc.nodes[d].params["p"] == 0.0
    assert validate(doc).ok and not _advice(doc, "dropout-with-bn")


def test_dropout_or_lrn_next_to_batchnorm_through_activations_and_before_a_bn_node():
    b = Builder()
    x = b.input(channels=3, height=8, width=8)
    c = b.conv(x, "c", out_channels=16, kernel_size=3, batch_norm=True, bias=False, activation="none")
    a = b.node("activation", c, "relu")
    lrn = b.node("lrn", a, "lrn")  # BN -> ReLU -> LRN
    plain = b.conv(lrn, "plain", out_channels=16, kernel_size=1)  # no BN
    d = b.node("dropout", plain, "drop", p=0.5)
    bn = b.node("batch_norm", d, "bn")  # dropout right before a BatchNorm node
    b.output(bn, num_classes=10)
    doc = b.done()
    (lrn_adv,) = _advice(doc, "lrn-with-bn")
    assert lrn_adv.node_id == lrn and lrn_adv.fix is None and lrn_adv.related == (c,)
    assert "local response normalization (size 5, on 16 x 8 x 8) right after the BatchNorm of 'c'" in lrn_adv.message
    (drop_adv,) = _advice(doc, "dropout-with-bn")
    assert drop_adv.node_id == d and "right before the BatchNorm of 'bn'" in drop_adv.message


def test_dropout_and_lrn_without_batchnorm_are_left_alone():
    """GoogLeNet (v1) used LRN and dropout, and no BatchNorm: nothing to say."""
    b = Builder()
    x = b.input(channels=3, height=8, width=8)
    c = b.conv(x, "c", out_channels=16, kernel_size=3)
    lrn = b.node("lrn", c, "lrn")
    d = b.node("dropout", lrn, "drop", p=0.4)
    bn_off = _bn_conv(b, d, "after")  # BN inside the next conv comes after its conv, not next to the dropout
    zero = b.node("dropout", bn_off, "zero", p=0.0)  # already does nothing
    b.output(zero, num_classes=10)
    doc = b.done()
    assert not _advice(doc, "dropout-with-bn") and not _advice(doc, "lrn-with-bn")


def _pool_then(b, x, channels):
    c = b.conv(x, "c1", out_channels=32, kernel_size=3)
    p = b.pool(c, "pool", kernel_size=2, stride=2)
    return p, b.conv(p, "c2", out_channels=channels, kernel_size=3)


def test_pool_then_channel_expansion_is_a_representational_bottleneck():
    b = Builder()
    x = b.input(channels=3, height=32, width=32)
    p, c2 = _pool_then(b, x, 64)
    b.output(c2, num_classes=10)
    doc = b.done()
    (adv,) = _advice(doc, "representational-bottleneck")
    assert adv.node_id == p and adv.related == (c2,) and adv.fix is None
    assert adv.message == (
        "'pool': this 2x2/2 max-pool shrinks 32 x 32 x 32 to 32 x 16 x 16 (4x fewer values per channel) and 'c2' "
        "then widens it to 64 channels (2.0x): a representational bottleneck (Inception v3, section 2). Reduce the "
        "grid in parallel instead (v3's figure 10): a stride-2 conv to 32 channels beside the stride-2 pool, "
        "concatenated, gives 64 x 16 x 16 directly"
    )


def test_modest_expansion_and_stride_1_pools_are_not_bottlenecks():
    b = Builder()
    x = b.input(channels=3, height=32, width=32)
    p, c2 = _pool_then(b, x, 48)  # 1.5x: GoogLeNet's modules widen 192 -> 256 after a pool
    q = b.pool(c2, "same_pool", kernel_size=3, stride=1, padding="same")
    c3 = b.conv(q, "c3", out_channels=256, kernel_size=1)
    b.output(c3, num_classes=10)
    assert not _advice(b.done(), "representational-bottleneck")


def test_pool_feeding_a_module_whose_concat_widens_it():
    b = Builder()
    x = b.input(channels=3, height=32, width=32)
    c = b.conv(x, "c", out_channels=32, kernel_size=3)
    p = b.pool(c, "pool", kernel_size=3, stride=2, padding="same")
    br1 = b.conv(p, "b1", out_channels=32, kernel_size=1)
    br2 = b.node("branch", p, "b2", reduce_channels=16, out_channels=48, kernel_size=3)
    bp = b.pool(p, "bp", kernel_size=3, stride=1, padding="same")
    cat = b.concat([br1, br2, bp], "module")
    b.output(cat, num_classes=10)
    doc = b.done()
    (adv,) = _advice(doc, "representational-bottleneck")
    assert adv.node_id == p and adv.related == (cat,)
    assert "'module' then widens it to 112 channels (3.5x)" in adv.message
    assert "a stride-2 conv to 80 channels beside the stride-2 pool, concatenated, gives 112 x 16 x 16" in adv.message


def test_v3_grid_reduction_is_the_remedy_not_the_problem():
    """A stride-2 pool beside stride-2 convs into one concat (v3's figure 10) widens nothing after a pool."""
    b = Builder()
    x = b.input(channels=32, height=35, width=35)
    conv = b.conv(x, "conv", out_channels=96, kernel_size=3, stride=2, padding="valid")
    pool = b.pool(x, "pool", kernel_size=3, stride=2)
    cat = b.concat([conv, pool], "reduction")
    b.output(cat, num_classes=10)
    doc = b.done()
    assert validate(doc).ok and not _advice(doc, "representational-bottleneck")


def _deep_chain(n, residual=False, aux_at=()):
    b = Builder()
    x = b.input(channels=3, height=64, width=64)
    x = b.conv(x, "stem", out_channels=32, kernel_size=3, stride=2)
    for i in range(n - 1):
        y = b.conv(x, f"c{i}", out_channels=32, kernel_size=3)
        x = b.node("add", [x, y], f"add{i}") if residual else y
        if i in aux_at:
            b.node("aux_head", x, f"aux{i}", num_classes=10)
    out = b.output(x, num_classes=10)
    return b.done(), out


def test_deep_design_without_aux_heads_gets_positions_and_adding_them_works():
    doc, out = _deep_chain(18)  # 18 convs and the classifier's linear layer: 19 deep
    (adv,) = _advice(doc, "aux-heads")
    assert adv.node_id == out and adv.fix is None
    names = [doc.nodes[n].name for n in adv.related]
    assert names == ["c4", "c11"]  # depths 6 and 13 of 19: about 1/3 and 2/3
    assert adv.message.startswith(
        "'classifier': the design is 19 conv and linear layers deep on its longest path, with no auxiliary classifier"
    )
    assert "add them after 'c4' (depth 6, 32 x 32 x 32) and after 'c11' (depth 13, 32 x 32 x 32)" in adv.message
    assert "weight 0.3" in adv.message
    for nid in adv.related:
        b = doc.add_node("aux_head", None, {"num_classes": 10})
        doc.connect(nid, b.id)
    assert validate(doc).ok and not _advice(doc, "aux-heads")


def test_shallow_residual_or_headed_designs_need_no_aux_advice():
    assert not _advice(_deep_chain(10)[0], "aux-heads")
    assert not _advice(_deep_chain(20, residual=True)[0], "aux-heads")  # residuals carry the gradient
    assert not _advice(_deep_chain(20, aux_at=(8,))[0], "aux-heads")


def test_unused_nodes_are_named_with_what_they_hold():
    b = Builder()
    x = b.input(channels=3, height=8, width=8)
    c = b.conv(x, "c", out_channels=8, kernel_size=3)
    d1 = b.conv(c, "dead1", out_channels=4, kernel_size=3)
    d2 = b.conv(d1, "dead2", out_channels=4, kernel_size=1)
    b.output(c, num_classes=10)
    doc = b.done()
    (adv,) = _advice(doc, "unused")
    costs = compute_costs(doc)
    params = costs.nodes[d1].params + costs.nodes[d2].params
    macs = costs.nodes[d1].macs + costs.nodes[d2].macs
    assert adv.node_id == d2 and adv.related == (d1,)
    assert adv.message == (
        f"'dead2': its output is never used; it is left out of the model with the 1 unused node before it "
        f"({fmt_count(params)} parameters, {fmt_count(macs)} MACs). Connect it to a merge or the classifier, or delete it"
    )


def test_receptive_field_smaller_than_the_input():
    b = Builder()
    x = b.input(channels=3, height=64, width=64)
    c = b.conv(x, "c1", out_channels=16, kernel_size=3)
    c = b.conv(c, "c2", out_channels=16, kernel_size=3, stride=2)
    out = b.output(c, num_classes=10)
    doc = b.done()
    (adv,) = _advice(doc, "receptive-field")
    assert compute_costs(doc).nodes[c].rf == (5, 5)
    assert adv.node_id == out and adv.related == (c,)
    assert "the last feature map ('c2', 16 x 32 x 32) sees only 5 x 5 pixels of the 64 x 64 input" in adv.message
    # A module without a classifier is a part of a network: its small receptive field is expected.
    assert not _advice(load(example_path("inception_module")), "receptive-field")


def test_input_sizes_advice_on_the_input_node():
    b = Builder()
    x = b.input(channels=16, height=28, width=28)
    b1 = b.conv(x, "b1", out_channels=8, kernel_size=2, stride=2, padding="valid")
    b2 = b.conv(x, "b2", out_channels=8, kernel_size=3, stride=2, padding="same")
    b.concat([b1, b2], "concat")
    doc = b.done()
    (adv,) = _advice(doc, "input-sizes")
    assert adv.node_id == x and adv.severity == Severity.INFO and adv.fix is None
    assert adv.message.startswith(
        "'input': works at 28 x 28 and the smallest input it accepts is 2 x 2, but 'concat' disagrees at odd sizes: "
        "25, 27, 29, 31, ..."
    )
    doc.set_params(x, {"height": 27, "width": 27})
    (adv,) = _advice(doc, "input-sizes")
    assert adv.message.startswith("'input': fails at 27 x 27 but works at 26 x 26 and 28 x 28")


#: What each shipped example is told (new advice only); the classics are not told to undo their papers.
EXAMPLE_ADVICE: dict[str, set[str]] = {name: set() for name in EXAMPLES}


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_shipped_examples_get_no_advice_against_their_papers(name):
    doc = load(example_path(name))
    advice = lint(doc)
    assert {d.code for d in advice} & NEW_CODES == EXAMPLE_ADVICE[name]
    for d in advice:
        assert d.severity == Severity.INFO
        if d.fix is not None:
            copy = doc.copy()
            d.fix.apply(copy)
            assert validate(copy).ok or name == "inception_module_mismatch"
