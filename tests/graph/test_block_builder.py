"""The Inception block builder: specs made into module definitions, checked against the examples."""

from __future__ import annotations

import pytest

from designer.examples import build
from designer.graph.block_builder import BlockSpec, BlockSpecError, build_block, preview
from designer.graph.cost import compute_costs
from designer.graph.document import MODULE_PREFIX, GraphDocument
from designer.graph.expand import expand
from designer.graph.layout import NODE_H, NODE_W
from designer.graph.modules import ModuleLibrary


def _group_costs(doc: GraphDocument, name: str) -> tuple[int, int]:
    """Parameters and multiply-adds of one block of an example, drawn as nodes (a group)."""
    doc = expand(doc)
    g = next(g for g in doc.groups.values() if g.name == name)
    c = compute_costs(doc).groups[g.id]
    return c.params, c.macs


def _only(**branches: bool) -> dict[str, bool]:
    """Every branch off except those given."""
    off = dict.fromkeys(("use_1x1", "use_3x3", "use_5x5", "use_nxn", "use_pool"), False)
    return {**off, **branches}


def _definition(spec: BlockSpec, in_shape=(192, 28, 28)):
    lib = ModuleLibrary()
    data = build_block(spec, in_shape)
    lib.add_data([data])
    return lib.get(data["id"])


def test_googlenet_inception3a_is_the_default_block() -> None:
    params, macs = _group_costs(build("googlenet"), "inception3a")
    assert preview(BlockSpec(), (192, 28, 28)) == ((256, 28, 28), 163_696, macs)
    assert params == 163_696


def test_the_definition_exposes_torchvisions_names_and_reads_like_figure_2() -> None:
    d = _definition(BlockSpec())
    assert [e.name for e in d.exposed] == ["ch1x1", "ch3x3red", "ch3x3", "ch5x5red", "ch5x5", "pool_proj"]
    assert [s.default for s in d.param_specs()] == [64, 96, 128, 16, 32, 32]
    assert d.problem() == ""
    body = d.body
    x, out = body.find("x"), body.find("out")
    assert body.find("pool").params["mode"] == "max"
    # Laid out top to bottom: input above the branches, the branches side by side, concat, output.
    convs = [body.find(n) for n in ("branch1x1", "branch3x3_2", "branch5x5_2", "branch_pool")]
    assert x.pos[1] < min(c.pos[1] for c in convs) and body.find("concat").pos[1] < out.pos[1]
    xs = sorted(c.pos[0] for c in convs)
    assert all(b - a >= NODE_W for a, b in zip(xs, xs[1:], strict=False))
    assert len({(round(n.pos[0] / NODE_W), round(n.pos[1] / NODE_H)) for n in body.nodes.values()}) == len(body.nodes)


def test_an_instance_of_the_definition_has_the_previewed_figures() -> None:
    from designer.graph.validate import validate

    doc = GraphDocument("net")
    data = build_block(BlockSpec(), (192, 28, 28))
    doc.library.add_data([data])
    x = doc.add_node("input", "input", {"channels": 192, "height": 28, "width": 28})
    inst = doc.add_node(MODULE_PREFIX + data["id"], "inception3a", {"ch5x5": 64})
    doc.connect(x.id, inst.id)
    rep = validate(doc)
    assert rep.shapes[inst.id] == (288, 28, 28)  # the exposed width is set per instance
    assert compute_costs(doc, rep).nodes[inst.id].params == 163_696 + 16 * 25 * 32 + 32


def test_two_stacked_3x3_against_one_5x5() -> None:
    # Inception v3's factorization with v3's widths (Mixed_5d's branch3x3dbl: 64 -> 96 -> 96).
    five = BlockSpec(**_only(use_5x5=True), ch5x5red=64, ch5x5=96)
    two = BlockSpec(**_only(use_5x5=True), ch5x5red=64, ch5x5=96, factorize_5x5=True)
    shape = (288, 35, 35)
    assert preview(five, shape)[:2] == ((96, 35, 35), (288 * 64 + 64) + (64 * 25 * 96 + 96))
    assert preview(two, shape)[:2] == ((96, 35, 35), (288 * 64 + 64) + (64 * 9 * 96 + 96) + (96 * 9 * 96 + 96))
    assert [e.name for e in _definition(two, shape).exposed] == ["ch5x5red", "ch5x5mid", "ch5x5"]


def test_the_asymmetric_branch_is_inception_v3_module_c() -> None:
    v3 = expand(build("inception_v3"))
    names = ("Mixed_6b_branch7x7_1", "Mixed_6b_branch7x7_2", "Mixed_6b_branch7x7_3")
    costs = compute_costs(v3)
    want = sum(costs.nodes[v3.find(n).id].params for n in names), sum(costs.nodes[v3.find(n).id].macs for n in names)
    spec = BlockSpec(**_only(use_nxn=True), n=7, chnxnred=128, chnxnmid=128, chnxn=192, batch_norm=True)
    assert preview(spec, (768, 17, 17)) == ((192, 17, 17), *want)
    d = _definition(spec, (768, 17, 17))
    assert [e.name for e in d.exposed] == ["ch7x7red", "ch7x7mid", "ch7x7"]
    assert [d.body.find(f"branch7x7_{i}").params["kernel_size"] for i in (2, 3)] == [[1, 7], [7, 1]]
    assert d.body.find("branch7x7_1").params["bias"] is False


def test_an_asymmetric_3x3_next_to_a_3x3_gets_its_own_names() -> None:
    spec = BlockSpec(**_only(use_3x3=True, use_nxn=True), n=3)
    names = [e.name for e in _definition(spec).exposed]
    assert names == ["ch3x3red", "ch3x3", "ch1x3red", "ch1x3mid", "ch1x3"]


def test_the_residual_block_is_inception_resnet_a() -> None:
    spec = BlockSpec(
        **_only(use_1x1=True, use_3x3=True, use_5x5=True),
        ch1x1=32,
        ch3x3red=32,
        ch3x3=32,
        ch5x5red=32,
        ch5x5mid=48,
        ch5x5=64,
        factorize_5x5=True,
        batch_norm=True,
        residual=True,
        scale=0.17,
    )
    params, macs = _group_costs(build("inception_resnet_a"), "block35_1")
    assert preview(spec, (320, 35, 35)) == ((320, 35, 35), params, macs)  # keeps the input's channels
    d = _definition(spec, (320, 35, 35))
    assert {s.name: s.default for s in d.param_specs()}["scale"] == 0.17
    assert d.body.find("add").params == {"scale": 0.17, "activation": "relu"}
    assert d.body.find("x").params == {"channels": 320, "height": 35, "width": 35}


def test_an_average_pool_branch_keeps_the_size() -> None:
    spec = BlockSpec(**_only(use_pool=True), pool_mode="avg", pool_proj=64)
    assert preview(spec, (288, 35, 35))[:2] == ((64, 35, 35), 288 * 64 + 64)
    assert _definition(spec).body.find("pool").params["mode"] == "avg"


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        (_only(), "use_1x1", "branches: choose at least one branch"),
        ({"ch3x3": 0}, "ch3x3", "3×3 branch, channels (ch3x3) must be at least 1, got 0"),
        ({"ch1x1": 0}, "ch1x1", "1×1 branch, channels (ch1x1) must be at least 1"),
        ({"ch5x5red": 0}, "ch5x5red", "5×5 branch, 1×1 reduce (ch5x5red)"),
        ({"pool_proj": 0}, "pool_proj", "pool branch, 1×1 projection (pool_proj)"),
        ({"use_nxn": True, "chnxn": 0}, "chnxn", "7x7 branch, channels (ch7x7)"),
        ({"use_nxn": True, "n": 1}, "n", "n (the 1×n, n×1 branch's kernel) must be between 2"),
        ({"residual": True, "scale": 0.0}, "scale", "residual scale (scale) must be more than 0"),
        ({"name": ""}, "name", "name: give the block a name"),
        ({"name": "3a block"}, "name", "name: '3a block' is not a module name"),
    ],
)
def test_an_invalid_spec_names_its_field(changes, field, words) -> None:
    spec = BlockSpec(**changes)
    text = preview(spec)
    assert isinstance(text, str) and text.startswith(words)
    with pytest.raises(BlockSpecError) as info:
        build_block(spec)
    assert info.value.field == field


def test_a_branch_that_is_off_is_not_checked() -> None:
    assert preview(BlockSpec(use_3x3=False, ch3x3=0))[0] == (128, 28, 28)


def test_a_block_that_does_not_fit_its_input_says_why() -> None:
    text = preview(BlockSpec(), (192,))
    assert isinstance(text, str) and "on a 192 input" in text and "C x H x W" in text
