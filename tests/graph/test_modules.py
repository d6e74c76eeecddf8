"""Modules: definitions, instances, make module / ungroup, repeat, nesting, files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from designer.graph.builder import Builder
from designer.graph.cost import compute_costs
from designer.graph.document import GraphDocument, ModuleChanged
from designer.graph.expand import expand
from designer.graph.module_edits import apply_edit, plan_make_module, plan_ungroup, revert_edit
from designer.graph.modules import ExposedParam
from designer.graph.params import ParamError
from designer.graph.validate import validate
from designer.io.project import ProjectError, dumps, load, loads


def _googlenet() -> GraphDocument:
    """GoogLeNet as nine hand-made copies of the block framed as groups (the version-1 example)."""
    return load(Path(__file__).parent.parent / "io" / "v1" / "googlenet_v1.json")


def _group(doc: GraphDocument, name: str) -> list[str]:
    return next(g.node_ids for g in doc.groups.values() if g.name == name)


def _make(doc: GraphDocument, ids: list[str], name: str | None = None):
    edit = plan_make_module(doc, ids, name)
    apply_edit(doc, edit)
    return edit, doc.library.get(edit.added_module["id"]), doc.nodes[edit.focus[0]]


def _residual() -> GraphDocument:
    """input -> stem -> [a -> b] + shortcut (add) -> [c -> d] + shortcut -> output."""
    b = Builder("res")
    x = b.input(channels=3, height=32, width=32)
    x = b.conv(x, "stem", out_channels=16, kernel_size=3)
    for k in (1, 2):
        y = b.conv(x, f"r{k}_a", out_channels=16, kernel_size=3)
        y = b.conv(y, f"r{k}_b", out_channels=16, kernel_size=3, activation="none")
        x = b.node("add", [x, y], f"r{k}_add", activation="relu")
    b.output(x, num_classes=10)
    return b.done(layout=False)


def test_make_module_then_undo_gives_the_identical_document() -> None:
    doc = _googlenet()
    before = dumps(doc)
    edit, d, inst = _make(doc, _group(doc, "inception4c"))
    assert d.name == "Inception" and inst.name == "inception4c"
    assert len(doc.nodes) == 83 - 8 + 1
    revert_edit(doc, edit)
    assert dumps(doc) == before
    assert not doc.library.defs


def test_an_instance_computes_what_its_nodes_did() -> None:
    flat = _googlenet()
    rep0, costs0 = validate(flat), compute_costs(flat)
    doc = _googlenet()
    _, _, inst = _make(doc, _group(doc, "inception3a"))
    rep, costs = validate(doc), compute_costs(doc)
    assert rep.ok
    concat = flat.find("inception3a_concat").id
    assert rep.shapes[inst.id] == rep0.shapes[concat] == (256, 28, 28)
    # The figures of the block, the network and the receptive field are those of the flat design.
    block = compute_costs(flat).groups[next(g.id for g in flat.groups.values() if g.name == "inception3a")]
    assert (costs.nodes[inst.id].params, costs.nodes[inst.id].macs) == (block.params, block.macs)
    assert costs.nodes[inst.id].activations == block.activations
    assert costs.nodes[inst.id].rf == costs0.nodes[concat].rf
    assert costs.nodes[inst.id].jump == costs0.nodes[concat].jump
    assert (costs.inference.params, costs.total.params, costs.inference.macs) == (
        costs0.inference.params,
        costs0.total.params,
        costs0.inference.macs,
    )
    nxt = doc.find("inception3b_b1_1x1").id
    assert rep.shapes[nxt] == rep0.shapes[flat.find("inception3b_b1_1x1").id]


def test_editing_a_definition_updates_every_instance() -> None:
    doc = _residual()
    _, d, r1 = _make(doc, [doc.find(n).id for n in ("r1_a", "r1_b", "r1_add")])
    # Use the definition a second time in place of the second block.
    edit2 = plan_make_module(doc, [doc.find(n).id for n in ("r2_a", "r2_b", "r2_add")])
    apply_edit(doc, edit2)
    second = doc.nodes[edit2.focus[0]]
    revert_edit(doc, edit2)
    events: list[object] = []
    doc.subscribe(events.append)
    assert validate(doc).shapes[r1.id] == (16, 32, 32)
    inner = d.body.find("a")
    d.body.set_param(inner.id, "stride", 2)  # now the block halves H x W: the add disagrees inside
    assert any(isinstance(e, ModuleChanged) for e in events)
    rep = validate(doc)
    err = rep.for_node(r1.id)
    assert err and "inside module" in err[0].message and "add" in err[0].message
    d.body.set_param(inner.id, "stride", 1)
    assert validate(doc).ok and second.id not in doc.nodes
    # A shape error inside names the input where it happened, once (not again the instance's).
    d.body.set_param(inner.id, "kernel_size", 41)
    d.body.set_param(inner.id, "padding", "valid")
    (err,) = validate(doc).for_node(r1.id)
    assert "inside module" in err.message and err.message.count("(input ") == 1, err.message


def test_exposed_parameters_validate_like_node_parameters() -> None:
    doc = _googlenet()
    _, d, inst = _make(doc, _group(doc, "inception3a"))
    b1 = d.body.find("b1_1x1").id
    doc.library.set_exposed(d.id, [ExposedParam("ch1x1", b1, "out_channels")])
    assert inst.type.param("ch1x1").default == 64
    doc.set_params(inst.id, {"ch1x1": 32})
    assert validate(doc).shapes[inst.id] == (224, 28, 28)
    with pytest.raises(ParamError, match="at least 1"):
        doc.set_param(inst.id, "ch1x1", 0)
    with pytest.raises(ParamError, match="not a parameter name"):
        doc.library.set_exposed(d.id, [ExposedParam("1x1", b1, "out_channels")])
    with pytest.raises(ParamError, match="no parameter 'nope'"):
        doc.library.set_exposed(d.id, [ExposedParam("w", b1, "nope")])
    with pytest.raises(ParamError, match="every instance's copy count"):
        doc.library.set_exposed(d.id, [ExposedParam("repeat", b1, "out_channels")])


def test_repeat_chains_copies_and_counts_each() -> None:
    doc = _residual()
    _, d, inst = _make(doc, [doc.find(n).id for n in ("r1_a", "r1_b", "r1_add")])
    one = compute_costs(doc).nodes[inst.id].params
    doc.set_param(inst.id, "repeat", 5)
    costs = compute_costs(doc)
    assert costs.nodes[inst.id].params == 5 * one
    assert costs.nodes[inst.id].rf == (3 + 5 * 4, 3 + 5 * 4)  # stem 3x3, then 5 x two 3x3
    flat = expand(doc)
    assert [g.name for g in flat.groups.values()][:3] == ["r1_1", "r1_2", "r1_3"]
    assert compute_costs(flat).total.params == costs.total.params


def test_nested_modules() -> None:
    doc = _residual()
    _, inner, r1 = _make(doc, [doc.find(n).id for n in ("r1_a", "r1_b", "r1_add")], "Res")
    _, outer, both = _make(doc, [r1.id, *(doc.find(n).id for n in ("r2_a", "r2_b", "r2_add"))], "Pair")
    assert outer.uses() == {inner.id}
    rep, costs = validate(doc), compute_costs(doc)
    flat = _residual()
    assert rep.ok and rep.shapes[both.id] == (16, 32, 32)
    assert costs.total.params == compute_costs(flat).total.params
    # Editing the inner definition reaches the outer instance.
    inner.body.set_param(inner.body.find("a").id, "out_channels", 8)
    assert validate(doc).ok
    assert compute_costs(doc).total.params < compute_costs(flat).total.params
    e = expand(doc)
    assert validate(e).ok and len(e.nodes) == len(flat.nodes)


def test_a_module_that_contains_itself_is_an_error_where_it_is_used() -> None:
    doc = _residual()
    _, d, inst = _make(doc, [doc.find(n).id for n in ("r1_a", "r1_b", "r1_add")])
    body = d.body
    a = body.find("a")
    me = body.add_node(inst.type_id, "me")
    for e in body.out_edges(a.id):
        body.disconnect(e.id)
        body.connect(me.id, e.dst, "out", e.dst_port)
    body.connect(a.id, me.id)
    rep = validate(doc)
    assert any("contains itself" in x.message for x in rep.for_node(inst.id))


def test_ungroup_gives_the_nodes_back() -> None:
    doc = _googlenet()
    before = validate(doc).shapes
    edit, d, inst = _make(doc, _group(doc, "inception3a"))
    ungroup = plan_ungroup(doc, inst.id)
    apply_edit(doc, ungroup)
    assert validate(doc).ok
    # Room was made: no other node sits in the band of rows the block's nodes take.
    ys = [doc.nodes[n].pos[1] for n in ungroup.focus]
    top, bottom = min(ys), max(ys)
    assert all(not (top - 30 < n.pos[1] < bottom + 60) for n in doc.nodes.values() if n.id not in ungroup.focus)
    assert {n.name for n in doc.nodes.values()} == {n.name for n in _googlenet().nodes.values()}
    assert validate(doc).shapes == before  # same ids, same shapes
    revert_edit(doc, ungroup)
    assert doc.nodes[inst.id].type_id == inst.type_id


def test_selection_that_cannot_be_a_module_says_why() -> None:
    doc = _googlenet()
    ids = _group(doc, "inception3a")
    branch_ends = [doc.find("inception3a_b1_1x1").id, doc.find("inception3a_b2_3x3").id]
    with pytest.raises(Exception, match="one output"):
        plan_make_module(doc, [i for i in ids if doc.nodes[i].name.endswith(("b1_1x1", "b2_3x3", "b2_reduce"))])
    with pytest.raises(Exception, match="cannot be inside a module"):
        plan_make_module(doc, [doc.find("input").id, *branch_ends])


def test_project_file_with_modules_round_trips_byte_identical() -> None:
    doc = _residual()
    _, d, r1 = _make(doc, [doc.find(n).id for n in ("r1_a", "r1_b", "r1_add")], "Res")
    doc.library.set_exposed(d.id, [ExposedParam("width", d.body.find("a").id, "out_channels")])
    doc.set_param(r1.id, "repeat", 3)
    text = dumps(doc)
    loaded = loads(text)
    assert dumps(loaded) == text
    assert validate(loaded).shapes == validate(doc).shapes


def _module_file(mutate) -> str:
    doc = _residual()
    _make(doc, [doc.find(n).id for n in ("r1_a", "r1_b", "r1_add")], "Res")
    data = json.loads(dumps(doc))
    mutate(data)
    return json.dumps(data)


def test_bad_module_files_name_the_place() -> None:
    def missing(data):
        data["modules"] = []

    with pytest.raises(ProjectError, match=r"nodes\[\d+\] \(node 'r1'\)\.type: unknown node type"):
        loads(_module_file(missing))

    def self_ref(data):
        m = data["modules"][0]
        m["nodes"].append({"id": "me", "type": "module:" + m["id"], "name": "me", "params": {}, "pos": [0, 0]})

    with pytest.raises(ProjectError, match=r"modules\[0\] \(module 'Res'\): the module contains itself"):
        loads(_module_file(self_ref))

    def bad_exposed(data):
        m = data["modules"][0]
        m["exposed"] = [{"name": "w", "node": m["nodes"][1]["id"], "param": "colour"}]

    with pytest.raises(ProjectError, match=r"modules\[0\] \(module 'Res'\)\.exposed\[0\]: .*no parameter 'colour'"):
        loads(_module_file(bad_exposed))

    def port_outside(data):
        data["nodes"][0]["type"] = "module_input"

    with pytest.raises(ProjectError, match="belongs inside a module definition"):
        loads(_module_file(port_outside))


def test_expand_compiles_to_the_same_model_as_the_flat_design() -> None:
    torch = pytest.importorskip("torch")
    from designer.compiler.build import compile_model

    doc = _googlenet()
    for name in ("inception3a", "inception4b", "inception5b"):
        _make(doc, _group(doc, name))
    flat_model = compile_model(_googlenet(), seed=0).eval()
    model = compile_model(doc, seed=1).eval()
    assert list(model.state_dict()) == list(flat_model.state_dict())
    model.load_state_dict(flat_model.state_dict(), strict=True)
    x = torch.randn(1, 3, 224, 224)
    torch.testing.assert_close(model(x), flat_model(x))


def test_a_chain_of_identical_instances_folds_into_one_with_repeat() -> None:
    from designer.graph.module_edits import plan_collapse_repeats

    b = Builder("chain")
    x = b.input(channels=8, height=16, width=16)
    for k in range(4):
        y = b.conv(x, f"r{k}_a", out_channels=8, kernel_size=3)
        x = b.node("add", [x, y], f"r{k}_add")
    b.output(x, num_classes=3)
    doc = b.done(layout=False)
    _, d, first = _make(doc, [doc.find("r0_a").id, doc.find("r0_add").id], "Res")
    for k in (1, 2, 3):  # the same definition in place of each block
        nid = doc.add_node(first.type_id, f"r{k}").id
        a, add = doc.find(f"r{k}_a"), doc.find(f"r{k}_add")
        src = doc.in_edges(a.id)[0]
        outs = doc.out_edges(add.id)
        doc.remove_node(a.id), doc.remove_node(add.id)
        doc.connect(src.src, nid)
        for e in outs:
            doc.connect(nid, e.dst, "out", e.dst_port)
    costs = compute_costs(doc)
    before = dumps(doc)
    edit = plan_collapse_repeats(doc, doc.find("r2").id)
    apply_edit(doc, edit)
    assert [n.name for n in doc.nodes.values()] == ["input", "classifier", "r0"]
    assert doc.find("r0").params["repeat"] == 4
    assert compute_costs(doc).total.params == costs.total.params
    assert validate(doc).ok
    revert_edit(doc, edit)
    assert dumps(doc) == before
    with pytest.raises(Exception, match="no identical instance"):
        plan_collapse_repeats(_residual_with_one(doc), first.id)


def _residual_with_one(doc: GraphDocument) -> GraphDocument:
    """The design with only its first instance kept in the chain (the rest ungrouped)."""
    for name in ("r1", "r2", "r3"):
        apply_edit(doc, plan_ungroup(doc, doc.find(name).id))
    return doc


def test_redo_of_make_module_puts_back_the_same_definition() -> None:
    """Undo commands further up the stack hold the body: a redo must not build a new one."""
    doc = _residual()
    edit, d, inst = _make(doc, [doc.find(n).id for n in ("r1_a", "r1_b", "r1_add")])
    body, a = d.body, d.body.find("b").id  # b feeds the add
    body.set_param(a, "out_channels", 8)  # an edit inside (a later command on the stack)
    body.set_param(a, "out_channels", 16)  # undo it
    revert_edit(doc, edit)  # undo Make Module
    apply_edit(doc, edit)  # redo Make Module
    assert doc.library.get(d.id) is d
    body.set_param(a, "out_channels", 8)  # redo the edit inside, through the same body
    assert validate(doc).for_node(inst.id)  # the add inside now disagrees: the instance shows it
    body.set_param(a, "out_channels", 16)
    assert validate(doc).ok
