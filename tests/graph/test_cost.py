"""Cost figures against the reference figures (measured with PyTorch 2.13 and checked against the
published numbers: the paper's Table 1, torchvision; README, Examples) and against the compiled torch model."""

from __future__ import annotations

import pytest

from designer.examples import example_path
from designer.graph.builder import Builder
from designer.graph.cost import compute_costs, fmt_count
from designer.graph.document import GraphDocument
from designer.graph.validate import validate
from designer.io.project import load


def card() -> GraphDocument:
    return load(example_path("inception_module"))


def compiled_numel(doc: GraphDocument) -> int:
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    from designer.compiler.build import compile_model

    return sum(p.numel() for p in compile_model(doc, init=False).parameters())


# --------------------------------------------------------------------------- the card module
def test_card_module_figures() -> None:
    doc = card()
    rep = validate(doc)
    costs = compute_costs(doc, rep)
    assert rep.shapes[doc.find("concat").id] == (256, 28, 28)
    assert costs.total.params == costs.inference.params == 163_696
    assert costs.inference.macs == 128_049_152
    (group,) = doc.groups.values()
    assert costs.groups[group.id].params == 163_696
    assert costs.groups[group.id].macs == 128_049_152
    assert sum(c.params for c in costs.nodes.values()) == 163_696


def test_card_module_params_equal_the_compiled_model() -> None:
    doc = card()
    assert compute_costs(doc).total.params == compiled_numel(doc)


def test_card_module_without_bias() -> None:
    doc = card()
    for node in doc.nodes.values():
        if node.type_id == "conv":
            doc.set_param(node.id, "bias", False)
    assert compute_costs(doc).total.params == 163_328


def test_bottleneck_figures() -> None:
    b = Builder()
    x = b.input(channels=192, height=28, width=28)
    direct = b.conv(x, "direct", out_channels=32, kernel_size=5, padding="same")
    reduce = b.conv(x, "reduce", out_channels=16, kernel_size=1)
    five = b.conv(reduce, "five", out_channels=32, kernel_size=5)
    doc = b.done()
    costs = compute_costs(doc)
    assert costs.nodes[direct].macs == 120_422_400
    assert costs.nodes[reduce].macs == 2_408_448
    assert costs.nodes[five].macs == 10_035_200
    assert costs.nodes[reduce].macs + costs.nodes[five].macs == 12_443_648
    # One Branch node with the bottleneck inside costs the same as the two convs.
    branch = b.node("branch", x, "branch", reduce_channels=16, out_channels=32, kernel_size=5)
    costs = compute_costs(doc)
    assert costs.nodes[branch].macs == 12_443_648
    assert costs.nodes[branch].params == costs.nodes[reduce].params + costs.nodes[five].params


def test_linear_and_grouped_macs() -> None:
    b = Builder()
    x = b.input(channels=8, height=4, width=4)
    g = b.conv(x, "g", out_channels=8, kernel_size=3, groups=4, bias=False)
    out = b.output(g, num_classes=10)
    costs = compute_costs(b.done())
    assert costs.nodes[g].params == 8 * 2 * 9
    assert costs.nodes[g].macs == 8 * 4 * 4 * 2 * 9
    assert costs.nodes[out].params == 8 * 10 + 10
    assert costs.nodes[out].macs == 8 * 10


def test_activation_counts() -> None:
    b = Builder()
    x = b.input(channels=3, height=5, width=5)
    c = b.conv(x, "c", out_channels=4, kernel_size=3, batch_norm=True)  # conv, BN, ReLU: three 4x5x5 outputs
    cat = b.concat([c, c], "cat")
    costs = compute_costs(b.done())
    assert costs.nodes[x].activations == 75
    assert costs.nodes[c].activations == 3 * 100
    assert costs.nodes[cat].activations == 200
    assert costs.total.activation_bytes == 4 * (75 + 300 + 200)


# --------------------------------------------------------------------------- receptive field
@pytest.mark.parametrize(
    ("layers", "rf", "jump"),
    [
        ([dict(kernel_size=3)], (3, 3), (1, 1)),
        ([dict(kernel_size=3), dict(kernel_size=3)], (5, 5), (1, 1)),
        ([dict(kernel_size=3)] * 3, (7, 7), (1, 1)),
        ([dict(kernel_size=3, stride=2), dict(kernel_size=3)], (7, 7), (2, 2)),
        ([dict(kernel_size=3, stride=2), dict(kernel_size=3, stride=2), dict(kernel_size=3)], (15, 15), (4, 4)),
        ([dict(kernel_size=3, dilation=2)], (5, 5), (1, 1)),
        ([dict(kernel_size=[1, 7]), dict(kernel_size=[7, 1])], (7, 7), (1, 1)),
        ([dict(kernel_size=[1, 7])], (1, 7), (1, 1)),
    ],
)
def test_receptive_field_of_a_stack(layers: list[dict], rf: tuple[int, int], jump: tuple[int, int]) -> None:
    b = Builder()
    x = b.input(channels=2, height=64, width=64)
    for i, params in enumerate(layers):
        x = b.conv(x, f"c{i}", out_channels=2, **params)
    cost = compute_costs(b.done()).nodes[x]
    assert (cost.rf, cost.jump) == (rf, jump)


def test_receptive_field_through_pool_and_merge() -> None:
    b = Builder()
    x = b.input(channels=2, height=32, width=32)
    p = b.pool(x, "pool", kernel_size=2, stride=2)  # rf 2, jump 2
    narrow = b.conv(p, "narrow", out_channels=2, kernel_size=1)  # rf 2
    wide = b.conv(p, "wide", out_channels=2, kernel_size=5)  # 2 + 4 * 2 = 10
    cat = b.concat([narrow, wide], "cat")
    after = b.conv(cat, "after", out_channels=2, kernel_size=3)  # the widest branch counts: 10 + 2 * 2 = 14
    costs = compute_costs(b.done())
    assert costs.nodes[p].rf == (2, 2) and costs.nodes[p].jump == (2, 2)
    assert costs.nodes[wide].rf == (10, 10)
    assert costs.nodes[cat].rf == (10, 10)
    assert costs.nodes[after].rf == (14, 14)


def test_receptive_field_is_exact_below_the_input_size_and_capped_at_it() -> None:
    b = Builder()
    x = b.input(channels=2, height=16, width=64)
    for i in range(3):
        x = b.conv(x, f"c{i}", out_channels=2, kernel_size=3, stride=2)  # 3, 7, 15 (jump 2, 4, 8)
    wide = b.conv(x, "wide", out_channels=2, kernel_size=3)  # 15 + 2 * 8 = 31
    costs = compute_costs(b.done())
    assert costs.nodes[x].rf == (15, 15) and costs.nodes[x].rf_capped == (False, False)
    # 31 rows of a 16-row input: reported as 16, flagged; the 64 columns are not reached.
    assert costs.nodes[wide].rf == (16, 31) and costs.nodes[wide].rf_capped == (True, False)
    assert costs.nodes[wide].jump == (8, 8)


def deep_strided_design(depth: int = 2_500) -> GraphDocument:
    """A valid chain of stride-64 pools: the uncapped receptive field would have ~4,500 digits."""
    b = Builder("deep")
    x = b.input(channels=1, height=4, width=5)
    for i in range(depth):
        x = b.pool(x, f"p{i}", mode="max", kernel_size=3, stride=64, padding="same")
    b.output(x, "head", num_classes=2)
    return b.done(layout=False)


def test_deep_strided_chain_has_finite_figures() -> None:
    doc = deep_strided_design()
    rep = validate(doc)
    assert rep.ok
    costs = compute_costs(doc, rep)
    last = doc.find("p2499").id
    assert costs.nodes[last].rf == (4, 5) and costs.nodes[last].rf_capped == (True, True)
    assert costs.nodes[last].jump == (4, 5)
    assert costs.nodes[doc.find("p0").id].rf == (3, 3)  # exact while below the input's size
    for cost in costs.nodes.values():
        assert all(len(str(v)) < 20 for v in (*cost.rf, *cost.jump, cost.params, cost.macs, cost.activations))


# --------------------------------------------------------------------------- totals and groups
def with_aux_and_dead_end() -> tuple[GraphDocument, dict[str, str]]:
    b = Builder()
    x = b.input(channels=3, height=16, width=16)
    b.begin_group()
    c1 = b.conv(x, "c1", out_channels=8, kernel_size=3)
    c2 = b.conv(c1, "c2", out_channels=8, kernel_size=3)
    g1 = b.end_group("block1")
    b.begin_group()
    c3 = b.conv(c2, "c3", out_channels=16, kernel_size=3, stride=2)
    g2 = b.end_group("block2")
    aux = b.node("aux_head", c2, "aux", num_classes=5, pool_kernel=4, pool_stride=4, conv_channels=4, hidden=8)
    dead = b.conv(c1, "dead", out_channels=4, kernel_size=1)
    out = b.output(c3, num_classes=5)
    return b.done(), dict(c1=c1, c2=c2, c3=c3, aux=aux, dead=dead, out=out, g1=g1, g2=g2)


def test_group_totals_are_the_sums_of_their_nodes() -> None:
    doc, ids = with_aux_and_dead_end()
    costs = compute_costs(doc)
    n = costs.nodes
    assert costs.groups[ids["g1"]].params == n[ids["c1"]].params + n[ids["c2"]].params
    assert costs.groups[ids["g1"]].macs == n[ids["c1"]].macs + n[ids["c2"]].macs
    assert costs.groups[ids["g2"]].params == n[ids["c3"]].params == 16 * 8 * 9 + 16
    assert costs.groups[ids["g2"]].macs == 16 * 8 * 8 * 8 * 9


def test_aux_heads_count_in_total_but_not_inference_and_dead_ends_in_neither() -> None:
    doc, ids = with_aux_and_dead_end()
    rep = validate(doc)
    assert rep.ok and [w.code for w in rep.warnings] == ["dead-end"]
    costs = compute_costs(doc, rep)
    n = costs.nodes
    main = sum(n[ids[k]].params for k in ("c1", "c2", "c3", "out"))
    assert costs.inference.params == main
    assert costs.aux_params == n[ids["aux"]].params
    assert costs.total.params == main + n[ids["aux"]].params
    assert costs.inference.macs == sum(n[ids[k]].macs for k in ("c1", "c2", "c3", "out"))
    assert costs.total.params == compiled_numel(doc)  # the dead end is not part of the model


def test_costs_skip_nodes_without_a_shape() -> None:
    doc = load(example_path("inception_module_mismatch"))
    costs = compute_costs(doc)
    assert doc.find("concat").id not in costs.nodes
    assert doc.find("b1").id in costs.nodes
    assert costs.nodes[doc.find("b1").id].params == 64 * 192 * 9 + 64


def test_stale_report_is_recomputed() -> None:
    doc = card()
    rep = validate(doc)
    doc.set_param(doc.find("b1_1x1").id, "out_channels", 32)
    assert compute_costs(doc, rep).total.params == 163_696 - 32 * 193


# --------------------------------------------------------------------------- GoogLeNet
GOOGLENET_BLOCKS = [
    ("3a", 64, 96, 128, 16, 32, 32),
    ("3b", 128, 128, 192, 32, 96, 64),
    "pool",
    ("4a", 192, 96, 208, 16, 48, 64),
    ("4b", 160, 112, 224, 24, 64, 64),
    ("4c", 128, 128, 256, 24, 64, 64),
    ("4d", 112, 144, 288, 32, 64, 64),
    ("4e", 256, 160, 320, 32, 128, 128),
    "pool",
    ("5a", 256, 160, 320, 32, 128, 128),
    ("5b", 384, 192, 384, 48, 128, 128),
]


def googlenet() -> tuple[GraphDocument, dict[str, str]]:
    """As in the paper: conv with bias + ReLU, no BN, true 5x5 branch, no LRN, no aux heads."""
    b = Builder("GoogLeNet")
    x = b.input(channels=3, height=224, width=224)
    x = b.conv(x, "conv1", out_channels=64, kernel_size=7, stride=2, padding=3)
    x = b.pool(x, "pool1", kernel_size=3, stride=2, ceil_mode=True)
    x = b.conv(x, "conv2", out_channels=64, kernel_size=1)
    x = b.conv(x, "conv3", out_channels=192, kernel_size=3)
    x = b.pool(x, "pool2", kernel_size=3, stride=2, ceil_mode=True)
    blocks = {}
    for i, spec in enumerate(GOOGLENET_BLOCKS):
        if spec == "pool":
            x = b.pool(x, f"pool{i}", kernel_size=3, stride=2, ceil_mode=True)
            continue
        name, c1, r3, c3, r5, c5, pp = spec
        br1 = b.conv(x, f"{name}_1x1", out_channels=c1, kernel_size=1)
        br2 = b.conv(b.conv(x, f"{name}_3r", out_channels=r3, kernel_size=1), f"{name}_3", out_channels=c3)
        br3 = b.conv(
            b.conv(x, f"{name}_5r", out_channels=r5, kernel_size=1), f"{name}_5", out_channels=c5, kernel_size=5
        )
        p = b.pool(x, f"{name}_pool", kernel_size=3, stride=1, padding="same")
        x = blocks[name] = b.concat([br1, br2, br3, b.conv(p, f"{name}_pp", out_channels=pp, kernel_size=1)], name)
    b.output(x, num_classes=1000, dropout=0.4)
    return b.done(layout=False), blocks


def test_googlenet_matches_the_paper() -> None:
    doc, blocks = googlenet()
    rep = validate(doc)
    assert rep.ok, [d.message for d in rep.errors]
    expected = {
        "3a": (256, 28, 28),
        "3b": (480, 28, 28),
        "4a": (512, 14, 14),
        "4b": (512, 14, 14),
        "4c": (512, 14, 14),
        "4d": (528, 14, 14),
        "4e": (832, 14, 14),
        "5a": (832, 7, 7),
        "5b": (1024, 7, 7),
    }
    assert {name: rep.shapes[nid] for name, nid in blocks.items()} == expected
    costs = compute_costs(doc, rep)
    assert costs.inference.params == 6_998_552
    assert costs.inference.macs == 1_582_671_872


def test_fmt_count() -> None:
    assert fmt_count(12_443_648) == "12.4M"
    assert fmt_count(163_696) == "164K"
    assert fmt_count(950) == "950"
    assert fmt_count(1_582_671_872) == "1.58G"
