"""Incremental analysis: after any edit, what validate, compute_costs and lint give by updating
their previous result equals what they give from scratch.

The document's analyses keep their previous result and what changed since (see ``Tracked`` in
designer/graph/validate.py): a parameter edit re-infers the edited node and what its new shape
reaches, a module definition edit its instances. Random designs with module instances, flat
blocks, residual adds, pools, BatchNorm/Dropout/LRN and aux heads get random edits (parameters
of nodes, of instances and of nodes inside definitions, exposed parameters, and structural
edits that make the next analysis a full one); after each, the three analyses are compared
with those of a copy of the document, which has no previous result.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from designer.graph import input_sizes
from designer.graph import validate as validate_module
from designer.graph.cost import compute_costs
from designer.graph.document import GraphDocument
from designer.graph.input_sizes import analyse_input_sizes
from designer.graph.lint import lint
from designer.graph.modules import ExposedParam, ModuleDef
from designer.graph.params import ParamError
from designer.graph.validate import Report, forget, tracked, validate

# --------------------------------------------------------------------------- designs


def _body(d: ModuleDef, spec: list[tuple[str, dict[str, Any]]]) -> dict[str, str]:
    """Build a definition's body from (name, kind) steps; returns the node ids by name."""
    body = d.body
    ids: dict[str, str] = {}

    def node(type_id: str, srcs: list[str], name: str, **params: Any) -> str:
        nid = body.add_node(type_id, name, params).id
        for s in srcs:
            body.connect(ids.get(s, s), nid)
        ids[name] = nid
        return nid

    for name, p in spec:
        p = dict(p)
        type_id, srcs = p.pop("type"), p.pop("srcs", [])
        node(type_id, srcs, name, **p)
    return ids


def _block(doc: GraphDocument) -> ModuleDef:
    """An Inception block: four branches and a concat, four widths exposed."""
    d = doc.library.new_def("Block")
    ids = _body(
        d,
        [
            ("x", {"type": "module_input", "channels": 8, "height": 16, "width": 16}),
            ("b1", {"type": "conv", "srcs": ["x"], "out_channels": 4, "kernel_size": 1}),
            ("r3", {"type": "conv", "srcs": ["x"], "out_channels": 4, "kernel_size": 1}),
            ("c3", {"type": "conv", "srcs": ["r3"], "out_channels": 6, "kernel_size": 3}),
            ("c5", {"type": "conv", "srcs": ["x"], "out_channels": 4, "kernel_size": 5, "batch_norm": True}),
            ("pool", {"type": "pool", "srcs": ["x"], "kernel_size": 3, "stride": 1, "padding": "same"}),
            ("proj", {"type": "conv", "srcs": ["pool"], "out_channels": 2, "kernel_size": 1}),
            ("cat", {"type": "concat", "srcs": ["b1", "c3", "c5", "proj"]}),
            ("out", {"type": "module_output", "srcs": ["cat"]}),
        ],
    )
    doc.library.add(d)
    exposed = [("w1", "b1"), ("w3r", "r3"), ("w3", "c3"), ("wp", "proj")]
    doc.library.set_exposed(d.id, [ExposedParam(name, ids[n], "out_channels") for name, n in exposed])
    return d


def _res(doc: GraphDocument) -> ModuleDef:
    """A residual block (conv, conv, add with the input): needs as many channels out as in."""
    d = doc.library.new_def("Res")
    _body(
        d,
        [
            ("x", {"type": "module_input", "channels": 8, "height": 16, "width": 16}),
            ("a", {"type": "conv", "srcs": ["x"], "out_channels": 8, "kernel_size": 3}),
            ("b", {"type": "conv", "srcs": ["a"], "out_channels": 16, "kernel_size": 3, "activation": "none"}),
            ("add", {"type": "add", "srcs": ["x", "b"], "activation": "relu"}),
            ("out", {"type": "module_output", "srcs": ["add"]}),
        ],
    )
    doc.library.add(d)
    return d


STAGES = ["block", "res", "flat", "pool", "reduce", "odd", "bn_drop", "lrn", "conv", "deep", "deep", "deep"]


@st.composite
def designs(draw: st.DrawFn, deep: bool = False) -> GraphDocument:
    """Random stages; ``deep``: at least three deep stages and a classifier (the aux-heads advice)."""
    doc = GraphDocument("incremental")
    block, res = _block(doc), _res(doc)
    size = draw(st.sampled_from([8, 12, 16, 17, 32]))
    x = doc.add_node("input", "input", {"channels": 16, "height": size, "width": size}).id

    def add(type_id: str, srcs: list[str], name: str | None = None, **params: Any) -> str:
        nid = doc.add_node(type_id, name, params).id
        for s in srcs:
            doc.connect(s, nid)
        return nid

    aux_at = None
    stages = draw(st.lists(st.sampled_from(STAGES), min_size=1, max_size=3 if deep else 8))
    if deep:
        stages = ["deep", "deep", *stages, "deep"]
    for i, stage in enumerate(stages):
        if stage == "block":
            x = add(block.type.type_id, [x], f"block{i}")
        elif stage == "res":
            x = add(res.type.type_id, [x], f"res{i}")
        elif stage == "flat":
            b1 = add("conv", [x], f"f{i}_b1", out_channels=8, kernel_size=1)
            b2 = add("conv", [x], f"f{i}_b2", out_channels=8, kernel_size=3)
            b3 = add("conv", [add("pool", [x], f"f{i}_pool", kernel_size=3, stride=1, padding="same")], f"f{i}_b3")
            x = add("concat", [b1, b2, b3], f"f{i}_cat")
            group = doc.add_group(f"flat{i}", [b1, b2, b3, x])
            assert group
        elif stage == "pool":
            x = add("pool", [x], f"pool{i}", kernel_size=3, stride=2, padding=draw(st.sampled_from([0, 1, "same"])))
        elif stage == "reduce":  # a grid reduction, then a conv that may widen it (a bottleneck)
            y = add("pool", [x], f"reduce{i}", kernel_size=3, stride=2, padding=1)
            x = add("conv", [y], f"widen{i}", out_channels=draw(st.sampled_from([16, 40])), kernel_size=1)
        elif stage == "odd":  # works at even sizes only: 'valid' floors 27 / 2 to 13, 'same' ceils it to 14
            b1 = add("conv", [x], f"odd{i}_valid", out_channels=8, kernel_size=2, stride=2, padding="valid")
            b2 = add("conv", [x], f"odd{i}_same", out_channels=8, kernel_size=3, stride=2, padding="same")
            x = add("concat", [b1, b2], f"odd{i}_cat")
        elif stage == "bn_drop":
            x = add("dropout", [add("batch_norm", [x], f"bn{i}")], f"drop{i}", p=0.2)
        elif stage == "lrn":
            x = add("lrn", [x], f"lrn{i}")
        elif stage == "deep":  # seven convs: two of these are deep enough for the aux-heads advice
            for j in range(6):
                x = add("conv", [x], f"deep{i}_{j}", out_channels=16, kernel_size=1 if j % 2 else 3)
            x = add("branch", [x], f"deep{i}_branch", out_channels=16, reduce_channels=8)
        else:
            x = add("conv", [x], f"conv{i}", out_channels=16, kernel_size=draw(st.sampled_from([1, 3, 5, 7])))
        if aux_at is None and draw(st.booleans()):
            aux_at = x
    if aux_at is not None and not deep and draw(st.booleans()):
        add("aux_head", [aux_at], "aux", num_classes=4, pool_kernel=1, pool_stride=1, hidden=8, conv_channels=8)
    if deep or draw(st.booleans()):
        add("output", [x], "classifier", num_classes=4)
    doc.revision = 0
    return doc


# --------------------------------------------------------------------------- edits
#: Parameters edited at random, by node type, with values that may also break the design.
VALUES: dict[str, dict[str, list[Any]]] = {
    "conv": {
        "out_channels": [4, 8, 16, 17, 40],
        "kernel_size": [1, 3, 5, 7],
        "stride": [1, 2],
        "padding": ["same", "valid", 0, 1],
        "bias": [True, False],
        "batch_norm": [True, False],
    },
    "pool": {"kernel_size": [2, 3], "stride": [1, 2, 3], "padding": [0, 1, "same"], "mode": ["max", "avg"]},
    "branch": {"reduce_channels": [0, 8], "stride": [1, 2], "kernel_size": [3, 5]},
    "dropout": {"p": [0.0, 0.2]},
    "input": {"height": [5, 8, 12, 16, 17, 32], "width": [8, 12, 16, 17], "channels": [8, 16]},
    "output": {"num_classes": [4, 10]},
    "add": {"activation": ["none", "relu"]},
    "aux_head": {"pool_kernel": [1, 5], "hidden": [8, 16]},
    "lrn": {"size": [3, 5]},
}


class _Nothing(Exception):
    """Nothing of the kind to edit."""


def _pick(data: st.DataObject, items: list[Any]) -> Any:
    if not items:
        raise _Nothing
    return data.draw(st.sampled_from(items))


def _edit(doc: GraphDocument, data: st.DataObject) -> str:
    """One random edit of ``doc`` (or of a definition's body); returns what it was."""
    kind = data.draw(
        st.sampled_from(
            ["param"] * 4 + ["instance"] * 3 + ["definition"] * 3 + ["exposed", "structure", "rename", "move", "group"]
        )
    )
    lib = doc.library
    try:
        if kind == "param":
            flat = [n for n in doc.nodes.values() if n.type_id in VALUES]
            node = _pick(data, flat)
            key = _pick(data, sorted(VALUES[node.type_id]))
            value = _pick(data, VALUES[node.type_id][key])
            doc.set_param(node.id, key, value)
            return f"{node.name}.{key} = {value!r}"
        if kind == "instance":
            instances = doc.instances()
            if not instances:
                return "no instance"
            node = _pick(data, instances)
            key = _pick(data, sorted(node.params))
            value = _pick(data, [1, 2, 3] if key == "repeat" else [2, 4, 6, 8])
            doc.set_param(node.id, key, value)
            return f"{node.name}.{key} = {value!r}"
        if kind == "definition":
            d = _pick(data, list(lib.defs.values()))
            inner = [n for n in d.body.nodes.values() if n.type_id in VALUES]
            node = _pick(data, inner)
            key = _pick(data, sorted(VALUES[node.type_id]))
            value = _pick(data, VALUES[node.type_id][key])
            d.body.set_param(node.id, key, value)
            return f"{d.name}:{node.name}.{key} = {value!r}"
        if kind == "exposed":
            d = _pick(data, list(lib.defs.values()))
            convs = [n for n in d.body.nodes.values() if n.type_id == "conv"]
            chosen = data.draw(st.lists(st.sampled_from(convs), unique_by=lambda n: n.id, max_size=3))
            lib.set_exposed(d.id, [ExposedParam(f"w_{n.name}", n.id, "out_channels") for n in chosen])
            return f"{d.name} exposes {[n.name for n in chosen]}"
        if kind == "structure":
            what = _pick(data, ["disconnect", "connect", "remove", "add"])
            ids = list(doc.nodes)
            if what == "disconnect" and doc.edges:
                doc.disconnect(_pick(data, sorted(doc.edges)))
            elif what == "connect":
                src, dst = _pick(data, ids), _pick(data, ids)
                port = _pick(data, [p.name for p in doc.nodes[dst].type.inputs] or ["in"])
                doc.connect(src, dst, "out", port)
            elif what == "remove":
                doc.remove_node(_pick(data, ids))
            else:
                src = _pick(data, ids)
                nid = doc.add_node("conv", None, {"out_channels": 8}).id
                doc.connect(src, nid)
            return what
        if kind == "rename":
            node = _pick(data, list(doc.nodes.values()))
            doc.rename(node.id, _pick(data, ["input", "x", "same", "block0"]))
            return f"rename {node.name}"
        if kind == "move":
            node = _pick(data, list(doc.nodes.values()))
            doc.move(node.id, (node.pos[0] + 10, node.pos[1]))
            return "move"
        ids = list(doc.nodes)
        if doc.groups and data.draw(st.booleans()):
            doc.remove_group(_pick(data, sorted(doc.groups)))
            return "remove group"
        doc.add_group("g", data.draw(st.lists(st.sampled_from(ids), max_size=4)))
        return "add group"
    except _Nothing:
        return "nothing to edit"
    except (ParamError, ValueError) as exc:  # an edit the document refuses (GraphError is a ValueError)
        return f"refused: {exc}"


# --------------------------------------------------------------------------- the check
def _fields(rep: Report) -> dict[str, Any]:
    """Everything a report holds, dict orders included (the revision aside: a copy starts at 0)."""
    return {
        "order": rep.order,
        "shapes": list(rep.shapes.items()),
        "in_shapes": list(rep.in_shapes.items()),
        "steps": list(rep.steps.items()),
        "diagnostics": rep.diagnostics,
        "main": rep.main,
        "model": rep.model,
        "output_id": rep.output_id,
    }


def _from_scratch(doc: GraphDocument) -> tuple[Report, Any, list[Any], Any, Any]:
    """The analyses of ``doc`` with nothing kept from before (what was kept is put back after, so
    the next edit is updated from the incremental results as in the app)."""
    t = tracked(doc)
    saved = dict(vars(t))
    cache = input_sizes._CACHE
    input_sizes._CACHE = input_sizes._Epoch()  # (no analysis of an earlier, identical design)
    forget(doc)
    try:
        rep = validate(doc)
        costs = compute_costs(doc, rep)
        advice = lint(doc, rep, costs=costs)
        sizes = analyse_input_sizes(doc, rep, why_smallest=False)
        return rep, costs, advice, sizes, t.sizes
    finally:
        input_sizes._CACHE = cache
        vars(t).update(saved)


def assert_same_as_from_scratch(doc: GraphDocument, what: str = "") -> Report:
    """Validate, cost and lint ``doc`` as the app does; compare with the same from scratch, and
    (what does not depend on the order nodes and edges were added in) with a copy's; returns
    the report."""
    rep = validate(doc)
    costs = compute_costs(doc, rep)
    advice = lint(doc, rep, costs=costs)
    # The input-size analysis behind the advice (as lint asks for it: the same result again).
    sizes = analyse_input_sizes(doc, rep, why_smallest=False)
    kept = tracked(doc).sizes
    rep0, costs0, advice0, sizes0, kept0 = _from_scratch(doc)
    assert rep.revision == doc.revision
    a, b = _fields(rep), _fields(rep0)
    for key in a:
        assert a[key] == b[key], f"after {what}: {key} differs"
    assert costs == costs0, f"after {what}: costs differ"
    assert advice == advice0, f"after {what}: advice differs"
    assert sizes == sizes0, f"after {what}: input sizes differ"
    # What the analysis keeps to update next time: each node's sizes, and validations at other sizes.
    if sizes is not None and kept is not None and kept0 is not None:
        for key, run0 in kept0.runs.items():
            if key not in kept.runs:
                continue  # (an earlier analysis of the same design was at hand: nothing to update)
            run, axis = kept.runs[key], key[0]
            templates = {nid: input_sizes._masked(t, axis) for nid, t in run.templates.items()}
            templates0 = {nid: input_sizes._masked(t, axis) for nid, t in run0.templates.items()}
            assert (run.values, templates, run.fails) == (run0.values, templates0, run0.fails), what
        for (input_id, h, w), (error, _) in kept.errors.found.items():
            assert error == input_sizes._first_error(doc, input_id, h, w), f"after {what}: stale error at {h} x {w}"
    # A copy (its own module definitions, no caches of this document's): the same figures.
    if len(rep.order) < len(doc.nodes):
        return rep  # (a cycle: which one networkx reports depends on the order edges were added in)
    fresh = doc.copy()
    rep1 = validate(fresh)
    costs1 = compute_costs(fresh, rep1)
    advice1 = lint(fresh, rep1, costs=costs1)
    sizes1 = analyse_input_sizes(fresh, rep1, why_smallest=False)
    assert (rep.shapes, rep.in_shapes, rep.steps) == (rep1.shapes, rep1.in_shapes, rep1.steps), what
    assert sorted(map(repr, rep.diagnostics)) == sorted(map(repr, rep1.diagnostics)), what
    assert costs == costs1, what
    assert sorted(map(repr, advice)) == sorted(map(repr, advice1)), what
    if sizes is None or sizes1 is None:
        assert sizes is sizes1, what
    else:
        for axis in ("height", "width"):
            x, y = getattr(sizes, axis), getattr(sizes1, axis)
            assert (x.failures.keys(), x.smallest) == (y.failures.keys(), y.smallest), what
    return rep


def _shown(rep: Report) -> dict[str, Any]:
    """What a canvas shows of each node: shape, inputs, layers, and its diagnostics (own or blaming it)."""
    diags: dict[str, list[Any]] = {}
    for d in rep.diagnostics:
        for nid in {d.node_id, d.cause_id} - {None}:
            diags.setdefault(nid, []).append(d)  # type: ignore[arg-type]
    nodes = set(rep.shapes) | set(diags)
    return {nid: (rep.shapes.get(nid), rep.in_shapes.get(nid), rep.steps.get(nid), diags.get(nid, [])) for nid in nodes}


def assert_changes_are_named(before: Report, after: Report, what: str) -> None:
    """``changed_since`` names every node whose shape, layers or diagnostics changed."""
    named = after.changed_since(before)
    if named is None:
        return
    old, new = _shown(before), _shown(after)
    differ = {nid for nid in old.keys() | new.keys() if old.get(nid) != new.get(nid)}
    assert differ <= named, f"after {what}: {differ - named} changed unannounced"


@pytest.fixture
def always_update(monkeypatch: pytest.MonkeyPatch) -> None:
    """Update node by node however much changed (these designs are small: an edit often reaches
    more than ``UPDATE_SHARE`` of them, and would be worked out from scratch)."""
    monkeypatch.setattr(validate_module, "UPDATE_SHARE", 1.0)


SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture]


@settings(max_examples=60, deadline=None, suppress_health_check=SLOW_OK)
@given(designs(), st.data())
def test_incremental_analysis_equals_a_full_one_after_random_edits(
    always_update: None, doc: GraphDocument, data: st.DataObject
) -> None:
    before = first = assert_same_as_from_scratch(doc, "building")
    done = []
    for _ in range(data.draw(st.integers(1, 12))):
        done.append(_edit(doc, data))
        if data.draw(st.integers(0, 3)):  # sometimes two edits between analyses
            after = assert_same_as_from_scratch(doc, "; ".join(done))
            assert_changes_are_named(before, after, "; ".join(done))
            before = after
    # A view that showed the first report and missed the ones in between (another caller got
    # them) still learns everything that changed since.
    assert_changes_are_named(first, before, "all of: " + "; ".join(done))


@settings(max_examples=20, deadline=None, suppress_health_check=SLOW_OK)
@given(designs(deep=True), st.data())
def test_incremental_aux_heads_advice_equals_a_full_one(
    always_update: None, doc: GraphDocument, data: st.DataObject
) -> None:
    """Deep designs with a classifier: the aux-heads advice (depths, where a head fits) after edits."""
    assert_same_as_from_scratch(doc, "building")
    done = []
    for _ in range(data.draw(st.integers(1, 6))):
        done.append(_edit(doc, data))
        assert_same_as_from_scratch(doc, "; ".join(done))


# --------------------------------------------------------------------------- the bookkeeping
def test_a_parameter_edit_infers_only_what_it_reaches(monkeypatch) -> None:
    from designer.graph import validate as validate_module

    doc = GraphDocument("chain")
    block = _block(doc)
    prev = doc.add_node("input", "input", {"channels": 16, "height": 16, "width": 16}).id
    for i in range(40):
        nid = doc.add_node(block.type.type_id, f"b{i}").id
        doc.connect(prev, nid)
        prev = nid
    doc.connect(prev, doc.add_node("output", "classifier", {"num_classes": 10}).id)
    first = validate(doc)
    seen: list[str] = []
    real = validate_module._infer_node

    def spy(doc_: GraphDocument, rep: Report, n: Any, *args: Any) -> Any:
        if doc_ is doc:  # (not the definition's body, validated for an instance)
            seen.append(n.name)
        return real(doc_, rep, n, *args)

    monkeypatch.setattr(validate_module, "_infer_node", spy)
    doc.set_param(doc.find("b20").id, "w1", 7)  # 16 -> 19 channels out: b21 sees a new input, b22 the same
    rep = validate(doc)
    assert seen == ["b20", "b21"]
    assert rep.delta is not None and rep.delta.touched == {doc.find("b20").id, doc.find("b21").id}
    assert rep.changed_since(first) == {doc.find("b20").id, doc.find("b21").id}  # what a canvas redraws
    assert first.changed_since(rep) is None and rep.changed_since(None) is None
    doc.set_param(doc.find("b30").id, "w1", 7)
    between = validate(doc)  # (another caller's report: a view that showed ``rep`` never saw it)
    doc.set_param(doc.find("b35").id, "w1", 7)
    last = validate(doc)
    assert last.changed_since(between) == {doc.find(f"b{i}").id for i in (35, 36)}
    assert last.changed_since(rep) == {doc.find(f"b{i}").id for i in (30, 31, 35, 36)}
    assert last.changed_since(first) == {doc.find(f"b{i}").id for i in (20, 21, 30, 31, 35, 36)}
    seen.clear()
    block.body.set_param(block.body.find("c3").id, "kernel_size", 5)  # every instance: inferred again
    validate(doc)
    assert len(seen) == 40
    seen.clear()
    doc.move(doc.find("b3").id, (5.0, 5.0))  # nothing to infer
    assert validate(doc).revision == doc.revision and not seen
    forget(doc)
    validate(doc)
    assert len(seen) == len(doc.nodes)


def test_a_mismatched_merge_is_asked_again_when_a_node_it_blames_changes(always_update: None) -> None:
    """The blame names the cause with its parameters: padding 'valid' -> 0 keeps every shape (the
    merge's inputs too), yet its message changes."""
    doc = GraphDocument("odd")
    x = doc.add_node("input", "input", {"channels": 8, "height": 27, "width": 27}).id
    b1 = doc.add_node("conv", "b1", {"out_channels": 8, "kernel_size": 2, "stride": 2, "padding": "valid"}).id
    b2 = doc.add_node("conv", "b2", {"out_channels": 8, "kernel_size": 3, "stride": 2, "padding": "same"}).id
    cat = doc.add_node("concat", "cat").id
    for src, dst in ((x, b1), (x, b2), (b1, cat), (b2, cat)):
        doc.connect(src, dst)
    before = assert_same_as_from_scratch(doc, "building")
    (mismatch,) = [d for d in before.errors if d.node_id == cat]
    assert "padding 'valid'" in mismatch.message
    doc.set_param(b1, "padding", 0)
    after = assert_same_as_from_scratch(doc, "padding 0")
    (mismatch,) = [d for d in after.errors if d.node_id == cat]
    assert after.shapes == before.shapes and "pad 0" in mismatch.message
    assert_changes_are_named(before, after, "padding 0")


def test_a_conv_below_an_edited_node_is_advised_again(always_update: None) -> None:
    """A 3x3 conv after a 1x1 is already reduced: no bottleneck advice. The 1x1 made 3x3 ('same',
    so no shape changes anywhere) leaves the conv unreduced: now it gets the advice."""
    doc = GraphDocument("reduced")
    x = doc.add_node("input", "input", {"channels": 256, "height": 28, "width": 28}).id
    r = doc.add_node("conv", "reduce", {"out_channels": 512, "kernel_size": 1}).id
    c = doc.add_node("conv", "conv", {"out_channels": 64, "kernel_size": 3}).id
    doc.connect(x, r)
    doc.connect(r, c)
    assert_same_as_from_scratch(doc, "building")
    doc.set_param(r, "kernel_size", 3)
    rep = assert_same_as_from_scratch(doc, "kernel 3")
    assert any(d.code == "bottleneck" and d.node_id == c for d in lint(doc, rep))


def test_sizes_below_an_edited_node_are_mapped_again(always_update: None) -> None:
    """A 2x2/2 pool floors odd sizes where a 3x3/2 'same' conv ceils them: their concat fails at
    odd sizes. The pool rounding up instead changes no shape at 16 x 16, but the concat then
    works at every size."""
    doc = GraphDocument("rounding")
    x = doc.add_node("input", "input", {"channels": 8, "height": 16, "width": 16}).id
    pool = doc.add_node("pool", "pool", {"kernel_size": 2, "stride": 2, "padding": 0}).id
    conv = doc.add_node("conv", "conv", {"out_channels": 8, "kernel_size": 3, "stride": 2}).id
    cat = doc.add_node("concat", "cat").id
    for src, dst in ((x, pool), (x, conv), (pool, cat), (conv, cat)):
        doc.connect(src, dst)
    assert_same_as_from_scratch(doc, "building")
    assert analyse_input_sizes(doc, why_smallest=False).has_breaks  # type: ignore[union-attr]
    doc.set_param(pool, "ceil_mode", True)
    rep = assert_same_as_from_scratch(doc, "ceil mode")
    assert rep.delta is not None and rep.delta.touched == {pool}  # (only its layers changed)
    assert not analyse_input_sizes(doc, rep, why_smallest=False).has_breaks  # type: ignore[union-attr]


def test_a_definition_edit_reaching_every_instance_is_counted_from_scratch() -> None:
    """(Costs: quicker than node by node when most of the design changed; see UPDATE_SHARE.)"""
    doc = GraphDocument("chain")
    block = _block(doc)
    prev = doc.add_node("input", "input", {"channels": 16, "height": 16, "width": 16}).id
    for i in range(20):
        nid = doc.add_node(block.type.type_id, f"b{i}").id
        doc.connect(prev, nid)
        prev = nid
    doc.connect(prev, doc.add_node("output", "classifier", {"num_classes": 10}).id)
    assert_same_as_from_scratch(doc, "building")
    block.body.set_param(block.body.find("c3").id, "kernel_size", 5)
    rep = assert_same_as_from_scratch(doc, "kernel 5")
    assert rep.delta is not None and rep.delta.base is not None and len(rep.delta.touched) == 20
    doc.set_param(doc.find("b3").id, "w1", 6)
    assert_same_as_from_scratch(doc, "w1 6")


def test_reports_are_not_shared_between_revisions() -> None:
    doc = GraphDocument("two")
    block = _block(doc)
    x = doc.add_node("input", "input", {"channels": 16, "height": 16, "width": 16}).id
    b = doc.add_node(block.type.type_id, "b").id
    doc.connect(x, b)
    before = validate(doc)
    shapes = dict(before.shapes)
    doc.set_param(b, "w1", 9)
    after = validate(doc)
    assert before.shapes == shapes and after.shapes[b] != shapes[b]
