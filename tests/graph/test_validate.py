"""Validation: structure (networkx), exact shapes, root-cause diagnostics and one-click fixes."""

from __future__ import annotations

import pytest

from designer.examples import example_path
from designer.graph.builder import Builder
from designer.graph.diagnostics import Diagnostic, Severity
from designer.graph.document import GraphDocument
from designer.graph.params import ParamError
from designer.graph.validate import Report, validate
from designer.io.project import load


def codes(rep: Report, severity: str | None = None) -> list[str]:
    return [d.code for d in rep.diagnostics if severity is None or d.severity == severity]


def only_error(rep: Report) -> Diagnostic:
    assert len(rep.errors) == 1, [d.message for d in rep.errors]
    return rep.errors[0]


def small(name: str = "t") -> tuple[Builder, str]:
    b = Builder(name)
    return b, b.input(channels=8, height=8, width=8)


# --------------------------------------------------------------------------- structure
def test_valid_chain_has_no_diagnostics_and_exact_shapes() -> None:
    b, x = small()
    c = b.conv(x, "c", out_channels=16, kernel_size=3, stride=2, padding="valid")
    b.output(c, num_classes=10)
    doc = b.done()
    rep = validate(doc)
    assert rep.diagnostics == []
    assert rep.ok
    assert rep.shapes[c] == (16, 3, 3)
    assert rep.shapes[rep.output_id] == (10,)
    assert rep.order.index(x) < rep.order.index(c) < rep.order.index(rep.output_id)


def test_validate_is_pure() -> None:
    doc = load(example_path("inception_module_mismatch"))
    before, revision = doc.to_dict(), doc.revision
    first, second = validate(doc), validate(doc)
    assert doc.to_dict() == before and doc.revision == revision
    assert first.diagnostics == second.diagnostics and first.shapes == second.shapes


def test_cycle_names_the_nodes_on_it_and_nothing_downstream_cascades() -> None:
    b, x = small()
    cat = b.concat([x], "cat")
    a = b.conv(cat, "a", out_channels=8)
    bb = b.conv(a, "b", out_channels=8)
    c = b.conv(bb, "c", out_channels=8)
    b.doc.connect(c, cat)  # closes cat -> a -> b -> c -> cat
    out = b.output(c)
    rep = validate(b.done())
    err = only_error(rep)
    assert err.code == "cycle"
    for name in ("cat", "a", "b", "c"):
        assert f"{name} ->" in err.message or f"-> {name}" in err.message
    assert "input" not in err.message and "classifier" not in err.message
    assert set(err.related) == {cat, a, bb, c}
    assert len(err.edge_ids) == 4
    assert rep.shapes[x] == (8, 8, 8)
    assert all(rep.shapes[n] is None for n in (cat, a, bb, c, out))


def test_self_loop_is_a_cycle() -> None:
    b, x = small()
    cat = b.concat([x], "loop")
    b.doc.connect(cat, cat)
    b.output(cat)
    err = only_error(validate(b.done()))
    assert err.code == "cycle" and "loop -> loop" in err.message


def test_unconnected_input_port() -> None:
    b, x = small()
    b.output(x, name="head")
    orphan = b.conv(None, "orphan")
    rep = validate(b.done())
    (err,) = [d for d in rep.errors if d.code == "unconnected"]
    assert err.node_id == orphan and err.port == "in"
    assert "'orphan'" in err.message and "not connected" in err.message
    assert rep.shapes[orphan] is None


def test_extra_input_on_a_single_port() -> None:
    b, x = small()
    p = b.conv(x, "p", out_channels=8)
    q = b.conv(x, "q", out_channels=8)
    c = b.conv([p, q], "c", out_channels=8)
    b.output(c)
    rep = validate(b.done())
    err = only_error(rep)
    assert err.code == "extra-input" and err.node_id == c
    assert "'p'" in err.message and "'q'" in err.message and "Concat or Add" in err.message
    assert len(err.edge_ids) == 2
    assert rep.shapes[c] is None


def test_dead_end_is_a_warning_and_design_stays_valid() -> None:
    b, x = small()
    used = b.conv(x, "used", out_channels=8)
    dead = b.conv(x, "dead", out_channels=8)
    b.output(used)
    rep = validate(b.done())
    assert rep.ok
    (w,) = rep.warnings
    assert (w.code, w.node_id) == ("dead-end", dead)
    assert "'dead'" in w.message
    assert dead not in rep.main and used in rep.main


def test_no_input() -> None:
    doc = GraphDocument()
    c = doc.add_node("conv", "c").id
    o = doc.add_node("output").id
    doc.connect(c, o)
    rep = validate(doc)
    assert "no-input" in codes(rep, Severity.ERROR)
    assert rep.shapes[o] is None


def test_single_loose_end_is_the_output() -> None:
    b, x = small()
    end = b.conv(x, "features", out_channels=4)
    doc = b.done()
    rep = validate(doc)
    assert rep.ok and rep.output_id == end
    (info,) = rep.diagnostics
    assert info.severity == Severity.INFO and "'features'" in info.message

    torch = pytest.importorskip("torch")
    from designer.compiler.build import compile_model

    torch.set_num_threads(1)
    y = compile_model(doc, seed=0).eval()(torch.zeros(2, 8, 8, 8))
    assert tuple(y.shape) == (2, *rep.shapes[end])


def test_several_loose_ends_is_an_error_naming_them() -> None:
    b, x = small()
    b.conv(x, "left", out_channels=4)
    b.conv(x, "right", out_channels=4)
    rep = validate(b.done())
    err = only_error(rep)
    assert err.code == "no-output" and "'left'" in err.message and "'right'" in err.message
    assert rep.output_id is None


def test_several_output_nodes() -> None:
    b, x = small()
    o1 = b.output(x, name="head1")
    o2 = b.output(x, name="head2")
    rep = validate(b.done())
    assert {d.node_id for d in rep.errors if d.code == "many-outputs"} == {o1, o2}
    assert not rep.ok


@pytest.mark.parametrize(
    ("type_id", "param", "value", "words"),
    [
        ("conv", "kernel_size", 0, ["Kernel", "between 1", "0"]),
        ("conv", "kernel_size", [3, 0], ["Kernel", "[3, 0]"]),
        ("conv", "out_channels", -8, ["Out channels", "at least 1", "-8"]),
        ("conv", "out_channels", 2.5, ["whole number", "2.5"]),
        ("conv", "padding", "full", ["'same' or 'valid'", "'full'"]),
        ("conv", "stride", True, ["Stride", "True"]),
        ("pool", "mode", "min", ["'max'", "'avg'", "'min'"]),
        ("dropout", "p", float("nan"), ["finite", "nan"]),
        ("input", "height", 10**9, ["at most", "1000000000"]),
    ],
)
def test_set_param_rejects_invalid_values_clearly(type_id: str, param: str, value: object, words: list[str]) -> None:
    doc = GraphDocument()
    node = doc.add_node(type_id, "n")
    old, revision = dict(node.params), doc.revision
    with pytest.raises(ParamError) as info:
        doc.set_param(node.id, param, value)
    for word in words:
        assert word in str(info.value)
    assert node.params == old and doc.revision == revision


def test_groups_not_dividing_channels() -> None:
    b, x = small()  # 8 channels
    c = b.conv(x, "grouped", out_channels=9, kernel_size=3, groups=3)
    b.output(c)
    err = only_error(validate(b.done()))
    assert (err.code, err.node_id, err.param) == ("shape", c, "groups")
    assert "groups (3)" in err.message and "(8)" in err.message and "'grouped'" in err.message


def test_map_shrinking_to_zero_is_reported_once_at_the_root() -> None:
    b = Builder()
    x = b.input(channels=4, height=5, width=5)
    c1 = b.conv(x, "c1", out_channels=4, kernel_size=3, padding="valid")
    c2 = b.conv(c1, "c2", out_channels=4, kernel_size=3, padding="valid")
    c3 = b.conv(c2, "c3", out_channels=4, kernel_size=3, padding="valid")
    c4 = b.conv(c3, "c4", out_channels=4, kernel_size=3, groups=3)  # also wrong, but never reached
    out = b.output(c4)
    rep = validate(b.done())
    err = only_error(rep)
    assert (err.node_id, err.param) == (c3, "kernel_size")
    assert "(input 4 x 1 x 1)" in err.message and "too small" in err.message
    assert rep.shapes[c2] == (4, 1, 1)
    assert rep.shapes[c3] is rep.shapes[c4] is rep.shapes[out] is None


def test_pool_shrinking_to_zero() -> None:
    b = Builder()
    x = b.input(channels=4, height=3, width=3)
    p = b.pool(x, "p", kernel_size=5, stride=1)
    b.output(p)
    err = only_error(validate(b.done()))
    assert err.node_id == p and "does not fit" in err.message and "3 x 3" in err.message


# --------------------------------------------------------------------------- the card's mismatch
def test_card_mismatch_names_branch_shapes_cause_and_fix() -> None:
    doc = load(example_path("inception_module_mismatch"))
    b1, concat = doc.find("b1").id, doc.find("concat").id
    rep = validate(doc)
    err = only_error(rep)
    assert (err.code, err.node_id, err.port, err.cause_id) == ("merge-mismatch", concat, "in", b1)
    assert "'b1'" in err.message and "26 x 26 (H x W)" in err.message and "28 x 28" in err.message
    assert "Cause: 'b1'" in err.message and "padding 'valid'" in err.message
    assert "turns 28 x 28 into 26 x 26" in err.message
    assert err.edge_ids == tuple(e.id for e in doc.in_edges(concat) if e.src == b1)
    assert err.fix is not None
    assert err.fix.changes == ((b1, "padding", "same"),)
    assert err.fix.label == "Set padding of 'b1' to 'same'"

    err.fix.apply(doc)
    fixed = validate(doc)
    assert fixed.ok
    assert fixed.shapes[concat] == (256, 28, 28)
    assert fixed.shapes[b1] == (64, 28, 28)


def test_downstream_of_a_mismatch_gets_no_shape_and_no_extra_error() -> None:
    doc = load(example_path("inception_module_mismatch"))
    concat = doc.find("concat").id
    head = doc.add_node("output", "classifier").id
    doc.connect(concat, head)
    rep = validate(doc)
    only_error(rep)
    assert rep.shapes[concat] is None and rep.shapes[head] is None
    assert rep.for_node(head) == []


def test_add_channel_mismatch_and_its_fix() -> None:
    b, x = small()
    r = b.conv(x, "residual", out_channels=6, kernel_size=3)
    add = b.node("add", [x, r], "sum")
    b.output(add)
    doc = b.done()
    err = only_error(validate(doc))
    assert (err.code, err.node_id, err.cause_id) == ("merge-mismatch", add, r)
    assert "6 x 8 x 8 (C x H x W)" in err.message and "8 x 8 x 8" in err.message and "'residual'" in err.message
    assert err.fix is not None and err.fix.changes == ((r, "out_channels", 8),)
    err.fix.apply(doc)
    rep = validate(doc)
    assert rep.ok and rep.shapes[add] == (8, 8, 8)


def test_add_spatial_mismatch_traces_the_strided_cause_upstream() -> None:
    b, x = small()
    down = b.conv(x, "down", out_channels=8, kernel_size=3, stride=2)
    r = b.conv(down, "mix", out_channels=8, kernel_size=1)
    add = b.node("add", [x, r], "sum")
    b.output(add)
    doc = b.done()
    err = only_error(validate(doc))
    assert err.cause_id == down and "'down'" in err.message and "8 x 4 x 4" in err.message
    assert err.fix is not None and err.fix.changes == ((down, "stride", 1),)
    err.fix.apply(doc)
    assert validate(doc).ok


def test_revalidation_after_edits_sees_every_change() -> None:
    """Inference is memoised by (type, parameters, input shapes): edits must still show at once."""
    b, x = small()
    a = b.conv(x, "a", out_channels=8, kernel_size=3)
    twin = b.conv(x, "twin", out_channels=8, kernel_size=3)  # identical to 'a'
    cat = b.concat([a, twin], "cat")
    b.output(cat)
    doc = b.done()
    assert validate(doc).shapes[cat] == (16, 8, 8)
    doc.set_param(a, "kernel_size", [1, 3])
    doc.set_param(a, "padding", "valid")
    rep = validate(doc)
    assert rep.shapes[a] == (8, 8, 6) and rep.shapes[twin] == (8, 8, 8) and rep.shapes[cat] is None
    doc.set_param(a, "padding", "same")
    doc.set_param(twin, "out_channels", 4)
    rep = validate(doc)
    assert rep.shapes[cat] == (12, 8, 8)
    assert isinstance(rep.steps[a], tuple)  # shared between reports: immutable


def test_a_tensor_too_large_for_any_machine_is_rejected_where_it_grows():
    """Channels that double at every step (concat of x and a copy of x) pass every local
    check; past 2**48 values per image the node is rejected, and nothing downstream cascades."""
    from designer.graph.document import GraphDocument
    from designer.graph.validate import validate

    doc = GraphDocument()
    x = doc.add_node("input", "input", {"channels": 1, "height": 1, "width": 1}).id
    for i in range(60):
        copy = doc.add_node("activation", f"copy{i}").id
        cat = doc.add_node("concat", f"cat{i}").id
        doc.connect(x, copy)
        doc.connect(x, cat)
        doc.connect(copy, cat)
        x = cat
    rep = validate(doc)
    (err,) = rep.errors
    assert doc.nodes[err.node_id].name == "cat48" and "more than any machine can hold" in err.message
    assert rep.shapes[doc.find("cat47").id] == (2**48, 1, 1)
