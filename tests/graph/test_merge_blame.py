"""Merge mismatches blame the branch that changed the size, never a node that kept it.

A concat (or add) whose inputs disagree gets a diagnostic naming the disagreeing branch,
the node on it that changes H x W (or the channels of an add) and how, and a fix only when
re-inferring the design with it makes the merge agree.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from designer.graph.builder import Builder
from designer.graph.diagnostics import Diagnostic
from designer.graph.document import GraphDocument
from designer.graph.validate import Report, validate


def mismatches(rep: Report) -> list[Diagnostic]:
    return [d for d in rep.errors if d.code == "merge-mismatch"]


def only_mismatch(rep: Report) -> Diagnostic:
    assert [d.code for d in rep.errors] == ["merge-mismatch"], [d.message for d in rep.errors]
    return rep.errors[0]


def assert_one_notation(message: str) -> None:
    """Shapes read 'C x H x W' or 'H x W' with spaces; '3x3' is left to name kernels."""
    assert "?" not in message, message
    assert not re.search(r"\b\d+x\d+x\d+\b", message), message
    assert not re.search(r"\b(is|are|into|of) \d+x\d+\b", message), message
    assert re.search(r"\b\d+ x \d+\b", message), message


# --------------------------------------------------------------------------- the two reported cases
def test_valid_conv_next_to_a_same_pool_blames_the_conv() -> None:
    b = Builder("case 1")
    x = b.input(channels=3, height=32, width=32)
    conv = b.conv(x, "conv", out_channels=16, kernel_size=3, padding="valid")
    pool = b.pool(x, "pool", kernel_size=3, stride=1, padding=1)
    cat = b.concat([conv, pool], "concat")
    b.output(cat, num_classes=10)
    doc = b.done(layout=False)

    err = only_mismatch(validate(doc))
    assert (err.node_id, err.cause_id) == (cat, conv)
    assert err.edge_ids == tuple(e.id for e in doc.in_edges(cat) if e.src == conv)
    assert "'conv'" in err.message and "padding 'valid'" in err.message
    assert "30 x 30" in err.message and "32 x 32" in err.message and "H x W" in err.message
    assert "turns 32 x 32 into 30 x 30" in err.message
    assert "'input'" not in err.message.split("Cause:")[-1]
    assert_one_notation(err.message)

    assert err.fix is not None and err.fix.changes == ((conv, "padding", "same"),)
    err.fix.apply(doc)
    rep = validate(doc)
    assert rep.errors == [] and rep.shapes[cat] == (19, 32, 32)


def test_two_strided_convs_that_round_differently_blame_the_valid_one() -> None:
    b = Builder("case 2")
    x = b.input(channels=16, height=28, width=28)
    left = b.conv(x, "left", out_channels=8, kernel_size=3, stride=2, padding="valid")
    right = b.conv(x, "right", out_channels=8, kernel_size=3, stride=2, padding="same")
    cat = b.concat([left, right], "concat")
    b.output(cat, num_classes=10)
    doc = b.done(layout=False)

    err = only_mismatch(validate(doc))
    assert (err.node_id, err.cause_id) == (cat, left)
    assert err.edge_ids == tuple(e.id for e in doc.in_edges(cat) if e.src == left)
    assert "'left'" in err.message and "'right'" in err.message
    assert "13 x 13" in err.message and "14 x 14" in err.message and "H x W" in err.message
    assert "turns 28 x 28 into 13 x 13" in err.message
    assert "'input'" not in err.message
    assert_one_notation(err.message)

    assert err.fix is not None and err.fix.changes == ((left, "padding", "same"),)
    err.fix.apply(doc)
    rep = validate(doc)
    assert rep.errors == [] and rep.shapes[cat] == (16, 14, 14)


def test_add_channel_mismatch_blames_the_conv_that_sets_the_channels() -> None:
    b = Builder("add")
    x = b.input(channels=8, height=8, width=8)
    c1 = b.conv(x, "widen", out_channels=6, kernel_size=1)
    pool = b.pool(c1, "pool", kernel_size=3, stride=1, padding="same")
    add = b.node("add", [x, pool], "sum")
    b.output(add, num_classes=10)
    doc = b.done(layout=False)

    err = only_mismatch(validate(doc))
    assert (err.node_id, err.cause_id) == (add, c1)
    assert "6 x 8 x 8" in err.message and "8 x 8 x 8" in err.message and "'widen'" in err.message
    assert_one_notation(err.message)
    assert err.fix is not None and err.fix.changes == ((c1, "out_channels", 8),)
    err.fix.apply(doc)
    assert validate(doc).errors == []


def test_three_disagreeing_inputs_blame_the_two_that_changed_the_size() -> None:
    b = Builder("three")
    x = b.input(channels=8, height=28, width=28)
    three = b.conv(x, "three", out_channels=8, kernel_size=3, padding="valid")
    one = b.conv(x, "one", out_channels=8, kernel_size=1)
    five = b.conv(x, "five", out_channels=8, kernel_size=5, padding="valid")
    cat = b.concat([three, one, five], "concat")
    b.output(cat)
    doc = b.done(layout=False)

    errs = mismatches(validate(doc))
    assert [d.cause_id for d in errs] == [three, five]  # never the 1x1 that kept 28 x 28
    assert "26 x 26 (H x W), but 'one' is 28 x 28" in errs[0].message
    assert "turns 28 x 28 into 24 x 24" in errs[1].message
    for d in errs:
        assert d.fix is not None and d.fix.changes == ((d.cause_id, "padding", "same"),)
        d.fix.apply(doc)
    assert validate(doc).errors == []


def test_the_node_that_left_the_reference_size_is_blamed_not_the_input() -> None:
    b = Builder("upstream")
    x = b.input(channels=8, height=28, width=28)
    pool = b.pool(x, "pool", kernel_size=3, stride=2, padding="same")  # 14 x 14, like the other branch
    conv = b.conv(pool, "conv", out_channels=8, kernel_size=3, padding="valid")  # 12 x 12
    mix = b.conv(conv, "mix", out_channels=8, kernel_size=1)
    other = b.conv(x, "other", out_channels=8, kernel_size=3, stride=2)
    cat = b.concat([other, mix], "concat")
    b.output(cat)
    doc = b.done(layout=False)

    err = only_mismatch(validate(doc))
    assert err.cause_id == conv and err.edge_ids == tuple(e.id for e in doc.in_edges(cat) if e.src == mix)
    assert "input 1 from 'mix' is 12 x 12 (H x W), but 'other' is 14 x 14" in err.message
    assert "Cause: 'conv' (3x3 conv, padding 'valid' -> 8) turns 14 x 14 into 12 x 12" in err.message
    assert err.fix is not None and err.fix.label == "Set padding of 'conv' to 'same'"


def test_a_branch_that_kept_the_size_is_named_but_no_node_is_blamed() -> None:
    b = Builder("forgot the stride")
    x = b.input(channels=8, height=28, width=28)
    keep = b.conv(x, "keep", out_channels=8, kernel_size=1)
    down1 = b.conv(x, "down1", out_channels=8, kernel_size=3, stride=2)
    down2 = b.pool(x, "down2", kernel_size=3, stride=2, padding="same")
    cat = b.concat([keep, down1, down2], "concat")
    b.output(cat)
    doc = b.done(layout=False)

    err = only_mismatch(validate(doc))
    assert err.cause_id is None and err.edge_ids == tuple(e.id for e in doc.in_edges(cat) if e.src == keep)
    assert "'keep' is 28 x 28 (H x W), but 'down1' and 'down2' are 14 x 14" in err.message
    assert "no node on its branch changes H x W" in err.message
    assert err.fix is not None and err.fix.changes == ((keep, "stride", 2),)
    err.fix.apply(doc)
    assert validate(doc).errors == []


def test_a_flat_input_to_a_concat_blames_the_node_that_flattened_it() -> None:
    b = Builder("flat")
    x = b.input(channels=8, height=8, width=8)
    a = b.conv(x, "a", out_channels=8)
    gap = b.node("global_avg_pool", a, "gap")
    c = b.conv(x, "c", out_channels=8)
    d = b.conv(x, "d", out_channels=8)
    cat = b.concat([gap, c, d], "concat")
    b.output(cat)
    err = only_mismatch(validate(b.done(layout=False)))
    assert err.cause_id == gap
    assert "'gap' is a vector of 8, but 'c' and 'd' are feature maps" in err.message
    assert "turns 8 x 8 x 8 into a vector of 8" in err.message


def test_valid_designs_never_run_the_blame(monkeypatch) -> None:
    from designer.examples import build
    from designer.graph import validate as validate_module

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("blame traced on a valid design")

    monkeypatch.setattr(validate_module, "merge_diagnostics", boom)
    assert validate(build("googlenet")).ok


# --------------------------------------------------------------------------- random merges
LAYER = st.tuples(
    st.sampled_from(["conv", "conv", "pool"]),
    st.sampled_from([1, 3, 5]),
    st.sampled_from([1, 2]),
    st.sampled_from(["same", "valid", 0, 1, 2]),
    st.sampled_from([4, 8]),  # conv out_channels
)


@st.composite
def merge_designs(draw: st.DrawFn) -> tuple[GraphDocument, str]:
    kind = draw(st.sampled_from(["concat", "add"]))
    channels = draw(st.sampled_from([4, 8]))
    height = draw(st.integers(6, 32))
    width = draw(st.one_of(st.just(height), st.integers(6, 32)))
    b = Builder("random merge")
    x = b.input(channels=channels, height=height, width=width)
    made = [x]
    ends = []
    for i in range(draw(st.integers(2, 3))):
        # A branch starts at the input or at a node of an earlier branch (a shared trunk).
        node = draw(st.sampled_from(made))
        # An add's first input may be the bare shortcut.
        for j, (op, k, s, pad, out) in enumerate(draw(st.lists(LAYER, min_size=0 if i == 0 else 1, max_size=3))):
            if op == "conv":
                node = b.conv(node, f"b{i}_{j}", out_channels=out, kernel_size=k, stride=s, padding=pad)
            else:
                node = b.pool(node, f"b{i}_{j}", mode="max", kernel_size=k, stride=s, padding=pad)
            made.append(node)
        ends.append(node)
    merge = b.concat(ends, "merge") if kind == "concat" else b.node("add", ends, "merge")
    b.output(merge, num_classes=10)
    return b.done(layout=False), merge


def _upstream(doc: GraphDocument, starts: set[str]) -> set[str]:
    seen, stack = set(starts), list(starts)
    while stack:
        for e in doc.in_edges(stack.pop()):
            if e.src not in seen:
                seen.add(e.src)
                stack.append(e.src)
    return seen


def _changes(rep: Report, nid: str, aspect: str) -> bool:
    before, after = rep.in_shapes[nid][0], rep.shapes[nid]
    return before[1:] != after[1:] if aspect == "hw" else before[0] != after[0]


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(merge_designs())
def test_random_merges_blame_a_node_that_changed_the_size(design: tuple[GraphDocument, str]) -> None:
    doc, merge = design
    rep = validate(doc)
    errs = mismatches(rep)
    if not errs:
        return
    edges = doc.in_edges(merge)
    bad_edges = {e for d in errs for e in d.edge_ids}
    ref_srcs = {e.src for e in edges if e.id not in bad_edges}
    assert ref_srcs, "some inputs must be the reference"
    ref_shape = rep.shapes[next(iter(ref_srcs))]
    shared = _upstream(doc, ref_srcs)
    concat = doc.nodes[merge].type.type_id == "concat"

    for d in errs:
        assert d.node_id == merge and d.edge_ids and set(d.edge_ids) <= {e.id for e in edges}
        assert_one_notation(d.message)
        (src,) = {e.src for e in edges if e.id in d.edge_ids}
        bad_shape = rep.shapes[src]
        aspects = []
        if bad_shape[1:] != ref_shape[1:]:
            aspects.append("hw")
        if not concat and bad_shape[0] != ref_shape[0]:
            aspects.append("channels")
        assert aspects, (bad_shape, ref_shape)
        branch = _upstream(doc, {src}) - shared  # the nodes only the disagreeing input sees
        if d.cause_id is None:
            # Nothing to blame: no node on the branch changes what differs.
            assert not any(_changes(rep, n, a) for n in branch for a in aspects), d.message
        else:
            assert d.cause_id in branch, d.message
            cause = doc.nodes[d.cause_id]
            # It changes what differs; for an add's channels it may also be the conv that sets them.
            assert any(_changes(rep, d.cause_id, a) for a in aspects) or (
                "channels" in aspects and "out_channels" in cause.params
            ), d.message
            assert f"{cause.name!r}" in d.message
        if d.fix is not None:
            fixed = GraphDocument.from_dict(doc.to_dict())
            d.fix.apply(fixed)
            after = validate(fixed)
            assert all(e.code == "merge-mismatch" for e in after.errors), [e.message for e in after.errors]
            assert not set(d.edge_ids) & {e for m in after.errors for e in m.edge_ids}, d.message
            if len(errs) == 1:
                assert after.errors == [], (d.message, [e.message for e in after.errors])
