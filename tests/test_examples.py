"""The shipped examples: they load, validate, hit the reference figures exactly (measured with PyTorch 2.13, checked against the published numbers; README, Examples), compile
to models with those parameter counts and output shapes, and lay out without overlaps."""

from __future__ import annotations

import functools
from itertools import combinations

import pytest
import torch

from designer.compiler.build import DesignOutputs, compile_model
from designer.examples import (
    DEFAULT_EXAMPLE,
    EXAMPLE_INFO,
    EXAMPLES,
    EXAMPLES_DIR,
    MODULAR,
    build,
    example_path,
    render,
)
from designer.graph.cost import CostReport, compute_costs
from designer.graph.diagnostics import Severity
from designer.graph.document import GraphDocument
from designer.graph.expand import expand
from designer.graph.layout import FRAME_MARGIN, FRAME_TITLE, NODE_H, NODE_W, auto_layout
from designer.graph.validate import Report, validate
from designer.io.project import load

torch.set_num_threads(1)

NETWORKS = MODULAR


@functools.cache
def _doc(name: str) -> GraphDocument:
    return load(example_path(name))


@functools.cache
def _report(name: str) -> Report:
    return validate(_doc(name))


@functools.cache
def _costs(name: str) -> CostReport:
    return compute_costs(_doc(name), _report(name))


@functools.cache
def _flat(name: str) -> GraphDocument:
    """The example as the compiler sees it: every module instance expanded into a group."""
    return expand(_doc(name))


@functools.cache
def _flat_report(name: str) -> Report:
    return validate(_flat(name))


def _by_name(name: str, node: str) -> str:
    return _doc(name).find(node).id


def _group_output(name: str, group: str) -> tuple[int, ...]:
    """The shape a block hands on: its last concat or residual sum (in the expanded design)."""
    doc, rep = _flat(name), _flat_report(name)
    (grp,) = [g for g in doc.groups.values() if g.name == group]
    outs = [n for n in grp.node_ids if not any(e.dst in grp.node_ids for e in doc.out_edges(n))]
    assert len(outs) == 1, f"{group} should have one output node, has {outs}"
    return rep.shapes[outs[0]]  # type: ignore[return-value]


# --------------------------------------------------------------------------- the registry
def test_menu_lists_every_example_with_a_description_and_the_default():
    assert DEFAULT_EXAMPLE == "inception_module"
    assert DEFAULT_EXAMPLE in EXAMPLES
    assert set(EXAMPLE_INFO) == set(EXAMPLES)
    assert all(text and "\n" not in text for text in EXAMPLE_INFO.values())
    assert {p.stem for p in EXAMPLES_DIR.glob("*.json")} >= set(EXAMPLES)


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_file_on_disk_is_what_the_builder_makes(name):
    """``python -m designer.examples`` output is committed; stable ids make it reproducible."""
    assert example_path(name).read_text(encoding="utf-8") == render(name)
    assert render(name) == render(name)


@pytest.mark.parametrize("name", [n for n in EXAMPLES if n != "inception_module_mismatch"])
def test_example_validates_without_errors_or_warnings(name):
    rep = _report(name)
    bad = [d.message for d in rep.diagnostics if d.severity in (Severity.ERROR, Severity.WARNING)]
    assert not bad
    doc = _doc(name)
    assert len({n.name for n in doc.nodes.values()}) == len(doc.nodes), "node names must be unique"
    assert doc.description


def test_mismatch_example_is_rejected_naming_branch_1():
    rep = _report("inception_module_mismatch")
    (err,) = rep.errors
    assert err.code == "merge-mismatch"
    assert _doc("inception_module_mismatch").nodes[err.cause_id].name == "b1"
    assert "26x26" in err.message or "26 x 26" in err.message


def test_card_module_figures():
    c = _costs("inception_module")
    assert c.total.params == 163_696
    assert c.inference.macs == 128_049_152
    assert _group_output("inception_module", "inception module") == (256, 28, 28)


# --------------------------------------------------------------------------- GoogLeNet
GOOGLENET_SHAPES = {
    "inception3a": (256, 28, 28),
    "inception3b": (480, 28, 28),
    "inception4a": (512, 14, 14),
    "inception4b": (512, 14, 14),
    "inception4c": (512, 14, 14),
    "inception4d": (528, 14, 14),
    "inception4e": (832, 14, 14),
    "inception5a": (832, 7, 7),
    "inception5b": (1024, 7, 7),
}


def test_googlenet_reference_figures():
    c = _costs("googlenet")
    assert c.inference.params == 6_998_552
    assert c.total.params == 13_378_280
    assert c.inference.macs == 1_582_671_872
    assert c.nodes[_by_name("googlenet", "aux1")].params == 3_188_840
    assert c.nodes[_by_name("googlenet", "aux2")].params == 3_190_888


def test_googlenet_is_nine_instances_of_one_inception_module():
    doc, rep = _doc("googlenet"), _report("googlenet")
    assert len(doc.nodes) < 25
    (inception,) = doc.library.defs.values()
    assert inception.name == "Inception"
    assert [e.name for e in inception.exposed] == ["ch1x1", "ch3x3red", "ch3x3", "ch5x5red", "ch5x5", "pool_proj"]
    assert [n.name for n in doc.instances()] == list(GOOGLENET_SHAPES)
    assert list(doc.find("inception4e").params.values()) == [256, 160, 320, 32, 128, 128, 1]  # Table 1, x 1
    for name, shape in GOOGLENET_SHAPES.items():
        assert rep.shapes[_by_name("googlenet", name)] == shape, name


def test_googlenet_block_shapes_and_structure():
    doc, rep = _flat("googlenet"), _flat_report("googlenet")
    assert [g.name for g in doc.groups.values()] == list(GOOGLENET_SHAPES)
    for group, shape in GOOGLENET_SHAPES.items():
        assert _group_output("googlenet", group) == shape, group
    # the stem: 224 -> 112 -> 56 -> 28 with ceil-mode pools, then 14 and 7
    for node, hw in {"conv1": 112, "maxpool1": 56, "maxpool2": 28, "maxpool3": 14, "maxpool4": 7}.items():
        assert rep.shapes[doc.find(node).id][1:] == (hw, hw), node
    convs = [n for n in doc.nodes.values() if n.type_id == "conv"]
    assert len(convs) == 3 + 9 * 6
    assert all(n.params["bias"] and not n.params["batch_norm"] for n in convs)
    assert doc.find("inception3a_b3_5x5").params["kernel_size"] == 5  # a true 5x5, unlike torchvision
    assert doc.find("inception5b_b2_3x3").params["out_channels"] == 384  # the instance's value
    assert not [n for n in doc.nodes.values() if n.type_id == "lrn"]
    aux = [n for n in doc.nodes.values() if n.type_id == "aux_head"]
    assert [doc.nodes[doc.in_edges(n.id)[0].src].name for n in aux] == ["inception4a_concat", "inception4d_concat"]
    assert all(n.params["loss_weight"] == 0.3 and n.params["dropout"] == 0.7 for n in aux)
    assert doc.find("classifier").params["dropout"] == 0.4


# --------------------------------------------------------------------------- Inception v3
V3_SHAPES = {
    "Mixed_5b": (256, 35, 35),
    "Mixed_5c": (288, 35, 35),
    "Mixed_5d": (288, 35, 35),
    "Mixed_6a": (768, 17, 17),
    "Mixed_6b": (768, 17, 17),
    "Mixed_6c": (768, 17, 17),
    "Mixed_6d": (768, 17, 17),
    "Mixed_6e": (768, 17, 17),
    "Mixed_7a": (1280, 8, 8),
    "Mixed_7b": (2048, 8, 8),
    "Mixed_7c": (2048, 8, 8),
}


def test_inception_v3_reference_figures():
    c = _costs("inception_v3")
    assert c.inference.params == 23_834_568
    assert c.total.params == 27_161_264
    assert c.inference.macs == 5_713_216_096
    assert c.nodes[_by_name("inception_v3", "AuxLogits")].params == 3_326_696


def test_inception_v3_block_shapes_and_structure():
    top = _doc("inception_v3")
    assert {d.name for d in top.library.defs.values()} == {f"Inception{k}" for k in "ABCDE"}
    kinds = [f"Inception{k}" for k in "AAABCCCCDEE"]  # torchvision's classes; B and D reduce the grid
    assert [(n.name, n.type.display_name) for n in top.instances()] == list(zip(V3_SHAPES, kinds, strict=True))
    assert top.find("Mixed_5c").params["pool_features"] == 64
    assert top.find("Mixed_6d").params["channels_7x7"] == 160
    doc = _flat("inception_v3")
    assert [g.name for g in doc.groups.values()] == list(V3_SHAPES)
    for group, shape in V3_SHAPES.items():
        assert _group_output("inception_v3", group) == shape, group
    convs = [n for n in doc.nodes.values() if n.type_id == "conv"]
    assert all(not n.params["bias"] and n.params["batch_norm"] and n.params["bn_eps"] == 0.001 for n in convs)
    assert doc.find("Mixed_6b_branch7x7_2").params["kernel_size"] == [1, 7]
    # channels_7x7 sets every inner 7x7 width: Mixed_6e's are 192
    c7 = [n.params["out_channels"] for n in doc.nodes.values() if n.name.startswith("Mixed_6e_branch7x7")]
    assert c7 == [192] * 8
    # Mixed_7b: 1x3 and 3x1 side by side, concatenated inside the block
    cat = doc.find("Mixed_7b_branch3x3")
    assert cat.type_id == "concat"
    assert [doc.nodes[e.src].name for e in doc.in_edges(cat.id)] == ["Mixed_7b_branch3x3_2a", "Mixed_7b_branch3x3_2b"]
    assert _flat_report("inception_v3").shapes[cat.id] == (768, 8, 8)
    aux = doc.find("AuxLogits")
    assert doc.nodes[doc.in_edges(aux.id)[0].src].name == "Mixed_6e_concat"


# --------------------------------------------------------------------------- Inception-ResNet-v2, Xception
def test_inception_resnet_v2_figures_and_structure():
    top, c = _doc("inception_resnet"), _costs("inception_resnet")
    assert c.total.params == c.inference.params == 55_843_464
    blocks = [(n.name, n.type.display_name, n.params["repeat"]) for n in top.instances()]
    assert blocks == [
        ("Mixed_5b", "Mixed_5b", 1),
        ("block35", "Block35", 10),
        ("Mixed_6a", "Mixed_6a", 1),
        ("block17", "Block17", 20),
        ("Mixed_7a", "Mixed_7a", 1),
        ("block8", "Block8", 9),
        ("block8_10", "Block8", 1),
    ]
    assert [e.name for e in top.library.by_name("Block35").exposed] == ["scale", "activation"]
    doc, rep = _flat("inception_resnet"), _flat_report("inception_resnet")
    names = [g.name for g in doc.groups.values()]
    assert names == (
        ["Mixed_5b"]
        + [f"block35_{i}" for i in range(1, 11)]
        + ["Mixed_6a"]
        + [f"block17_{i}" for i in range(1, 21)]
        + ["Mixed_7a"]
        + [f"block8_{i}" for i in range(1, 11)]
    )
    shapes = {"Mixed_5b": (320, 35, 35), "block35_10": (320, 35, 35), "Mixed_6a": (1088, 17, 17)}
    shapes |= {"block17_20": (1088, 17, 17), "Mixed_7a": (2080, 8, 8), "block8_10": (2080, 8, 8)}
    for group, shape in shapes.items():
        assert _group_output("inception_resnet", group) == shape, group
    assert rep.shapes[doc.find("conv_7b").id] == (1536, 8, 8)
    adds = [n for n in doc.nodes.values() if n.type_id == "add"]
    assert len(adds) == 40
    for add in adds:
        block = add.name.removesuffix("_add")
        shortcut, up = (doc.nodes[e.src] for e in doc.in_edges(add.id))
        assert up.name == f"{block}_up" and up.params["bias"] and not up.params["batch_norm"]
        assert up.params["activation"] == "none"
        assert shortcut.name not in {n.name for g in doc.groups_of(add.id) for n in map(doc.node, g.node_ids)}
        scale = {"block35": 0.17, "block17": 0.1, "block8": 0.2}[block.split("_")[0]]
        last = block == "block8_10"
        assert add.params["scale"] == (1.0 if last else scale)
        assert add.params["activation"] == ("none" if last else "relu")


def test_xception_figures_and_structure():
    top, c = _doc("xception"), _costs("xception")
    assert c.total.params == c.inference.params == 22_855_952
    blocks = [(n.name, n.type.display_name, n.params.get("channels"), n.params["repeat"]) for n in top.instances()]
    assert blocks == [
        ("block3", "EntryBlock", 256, 1),
        ("block4", "EntryBlock", 728, 1),
        ("middle", "MiddleBlock", None, 8),
        ("block13", "ExitBlock", None, 1),
    ]
    doc, rep = _flat("xception"), _flat_report("xception")
    seps = [n for n in doc.nodes.values() if n.type_id == "separable_conv"]
    assert len(seps) == 34 and all(not n.params["bias"] and n.params["batch_norm"] for n in seps)
    adds = [n for n in doc.nodes.values() if n.type_id == "add"]
    assert len(adds) == 12
    for add in adds:
        ins = [rep.shapes[e.src] for e in doc.in_edges(add.id)]
        assert len(ins) == 2 and ins[0] == ins[1], add.name
    hw = {"block2": 74, "block3": 37, "block4": 19, "middle_8": 19, "block13": 10}
    for block, size in hw.items():
        assert _group_output("xception", block)[1:] == (size, size), block
    # the pre-activation ReLU is its own node: the shortcut reads the block input before it
    act = doc.find("middle_1_sepconv1_act")
    src = doc.in_edges(act.id)[0].src
    assert doc.in_edges(doc.find("middle_1_add").id)[0].src == src
    assert "block2_sepconv1_act" not in {n.name for n in doc.nodes.values()}  # block1 ended in a ReLU


# --------------------------------------------------------------------------- modules vs flat
def _signature(doc: GraphDocument) -> tuple:
    """A design by names: nodes (type, params) and edges (ports, input order), ids aside."""
    names = {n.id: n.name for n in doc.nodes.values()}
    nodes = sorted((n.name, n.type_id, sorted(n.params.items())) for n in doc.nodes.values())
    edges = sorted(
        (names[e.src], e.src_port, names[e.dst], e.dst_port, doc.input_index(e.id)) for e in doc.edges.values()
    )
    groups = sorted((g.name, sorted(names[m] for m in g.node_ids)) for g in doc.groups.values())
    return nodes, edges, groups


@pytest.mark.parametrize("name", NETWORKS)
def test_modular_example_has_the_figures_of_its_flat_drawing(name):
    """Drawn with modules or as plain nodes, a network is the same: the figures, each block's
    figures and shape, the expanded design node for node, the compiled model's weights."""
    flat = build(name, modules=False)
    frep = validate(flat)
    fc = compute_costs(flat, frep)
    c = _costs(name)
    for part in ("inference", "total"):
        mine, theirs = getattr(c, part), getattr(fc, part)
        assert (mine.params, mine.macs, mine.activations) == (theirs.params, theirs.macs, theirs.activations), part
    assert _signature(_flat(name)) == _signature(flat)
    doc, rep = _doc(name), _report(name)
    for inst in doc.instances():
        repeat = inst.params["repeat"]
        copies = [inst.name] if repeat == 1 else [f"{inst.name}_{k}" for k in range(1, repeat + 1)]
        groups = [g for g in flat.groups.values() if g.name in copies]
        assert len(groups) == repeat, inst.name
        assert c.nodes[inst.id].params == sum(fc.groups[g.id].params for g in groups), inst.name
        assert c.nodes[inst.id].macs == sum(fc.groups[g.id].macs for g in groups), inst.name
        last = groups[-1]
        (out,) = [m for m in last.node_ids if not any(e.dst in last.node_ids for e in flat.out_edges(m))]
        assert rep.shapes[inst.id] == frep.shapes[out], inst.name
    flat_model = compile_model(flat, seed=0).eval()
    model = compile_model(doc, seed=1).eval()
    assert list(model.state_dict()) == list(flat_model.state_dict())
    model.load_state_dict(flat_model.state_dict(), strict=True)
    x = torch.randn(1, *model.input_shape)
    with torch.no_grad():
        torch.testing.assert_close(model(x), flat_model(x))


# --------------------------------------------------------------------------- compiled models
@pytest.mark.parametrize("name", [n for n in EXAMPLES if n != "inception_module_mismatch"])
def test_compiled_model_matches_predictions(name):
    doc, rep, c = _doc(name), _report(name), _costs(name)
    model = compile_model(doc, init=False).eval()
    assert sum(p.numel() for p in model.parameters()) == c.total.params
    shape = rep.shapes[rep.output_id]
    with torch.no_grad():
        out = model(torch.randn(1, *model.input_shape))
    assert tuple(out.shape) == (1, *shape)


def test_googlenet_training_mode_returns_both_aux_logits():
    model = compile_model(_doc("googlenet"), seed=0).train()
    out = model(torch.randn(1, 3, 224, 224))
    assert isinstance(out, DesignOutputs)
    assert out.logits.shape == (1, 1000)
    assert [tuple(t.shape) for t in out.aux_logits] == [(1, 1000), (1, 1000)]
    assert model.aux_names == ("aux1", "aux2") and model.aux_weights == (0.3, 0.3)


def test_inception_v3_training_mode_returns_aux_logits():
    # batch 2: BatchNorm in the aux head sees a 1 x 1 map, which needs more than one value in training
    model = compile_model(_doc("inception_v3"), init=False).train()
    out = model(torch.randn(2, 3, 299, 299))
    assert isinstance(out, DesignOutputs)
    assert out.logits.shape == (2, 1000)
    assert [tuple(t.shape) for t in out.aux_logits] == [(2, 1000)]
    assert model.aux_names == ("AuxLogits",)


# --------------------------------------------------------------------------- layout
@pytest.mark.parametrize("name", list(EXAMPLES))
def test_layout_has_no_overlapping_nodes(name):
    doc = build(name)
    pos = auto_layout(doc)
    assert set(pos) == set(doc.nodes)
    assert {n.id: n.pos for n in doc.nodes.values()} == pos  # the builder applied it
    boxes = sorted(pos.values())
    for (ax, ay), (bx, by) in combinations(boxes, 2):
        if bx - ax >= NODE_W:  # sorted by x: nothing later can overlap a box this far left
            continue
        assert abs(ax - bx) >= NODE_W or abs(ay - by) >= NODE_H, f"{name}: boxes at {(ax, ay)} and {(bx, by)}"


@pytest.mark.parametrize("name", NETWORKS)
def test_module_bodies_are_laid_out(name):
    for d in build(name).library.defs.values():
        pos = auto_layout(d.body)
        assert {n.id: n.pos for n in d.body.nodes.values()} == pos, d.name
        _assert_no_overlap(pos)


@pytest.mark.parametrize("name", NETWORKS)
def test_layout_flows_down_and_blocks_do_not_interleave(name):
    doc = _doc(name)
    for e in doc.edges.values():
        assert doc.nodes[e.dst].pos[1] > doc.nodes[e.src].pos[1]
    spans = []
    for g in doc.groups.values():
        ys = [doc.nodes[n].pos[1] for n in g.node_ids]
        spans.append((min(ys), max(ys)))
    for (_, last), (first, _) in zip(spans, spans[1:], strict=False):
        assert first > last  # each block starts below the one before it
    for head in (n for n in doc.nodes.values() if n.type.role == "aux"):
        # an aux head stands to the right of the block frames beside it (the UI's frame margin is 22)
        for g in doc.groups.values():
            members = [doc.nodes[n] for n in g.node_ids]
            top = min(n.pos[1] for n in members) - FRAME_MARGIN - FRAME_TITLE
            bottom = max(n.pos[1] for n in members) + NODE_H + FRAME_MARGIN
            if head.pos[1] < bottom and head.pos[1] + NODE_H > top:
                assert head.pos[0] >= max(n.pos[0] for n in members) + NODE_W + FRAME_MARGIN, (head.name, g.name)


def _assert_no_overlap(pos: dict[str, tuple[float, float]]) -> None:
    for (ax, ay), (bx, by) in combinations(pos.values(), 2):
        assert abs(ax - bx) >= NODE_W or abs(ay - by) >= NODE_H


def test_layout_copes_with_cycles_dead_ends_and_aux_chains():
    from designer.graph.builder import Builder

    b = Builder("odd")
    x = b.input(channels=8, height=16, width=16)
    other = b.input("input_2", channels=8, height=16, width=16)
    a = b.conv(x, "a", out_channels=8, kernel_size=3)
    c = b.conv(a, "c", out_channels=8, kernel_size=3)
    b.doc.connect(c, a)  # a cycle: validation reports it, the layout must still place everything
    b.conv(a, "dead_end", out_channels=4, kernel_size=1)
    side = b.pool(c, "aux_pool", mode="avg", kernel_size=5, stride=3, padding=0)
    b.node("aux_head", side, "aux", conv_channels=8, hidden=0, num_classes=3)
    b.concat([c, other], "cat")
    b.output(c, num_classes=3)
    doc = b.done()
    pos = auto_layout(doc)
    assert set(pos) == set(doc.nodes)
    _assert_no_overlap(pos)
    assert pos[doc.find("aux").id][1] > pos[doc.find("aux_pool").id][1]
    assert auto_layout(Builder("empty").done()) == {}
