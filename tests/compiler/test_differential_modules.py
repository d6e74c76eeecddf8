"""Differential property test with modules: random designs whose random sub-graphs become modules.

Random designs (:mod:`random_designs`) get random selections made into modules
(``plan_make_module``), some of them holding instances made before (nested), some instances
repeated, some definitions with a random parameter of an inner node exposed and set to random
values per instance, and some definitions used again before the classifier. For a design that
validation accepts, the compiled model runs and:

* every inner node's shape predicted by its definition's analysis (for that run's input
  shapes and values), and every instance's and every copy's output shape, equal what torch
  computes at the corresponding node of the compiled model;
* the predicted parameters and MACs of the design (the instances' sums) equal torch's, and
  each top-level instance's parameters equal those of its blocks in the compiled model;
* the generated code loads the compiled ``state_dict`` strictly and computes the same.

A design that validation rejects does not compile (``CompileError``).
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
import torch
from compiler_helpers import load_source, model_class
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from random_designs import designs, hook_shapes, params_for

from designer.compiler.build import compile_model
from designer.compiler.codegen import generate
from designer.compiler.plan import CompileError, make_plan
from designer.graph.cost import compute_costs
from designer.graph.document import GraphDocument, GraphError
from designer.graph.expand import expand
from designer.graph.module_edits import apply_edit, plan_make_module
from designer.graph.module_type import REPEAT
from designer.graph.modules import ExposedParam, ModuleDef, module_id_of
from designer.graph.params import ParamError
from designer.graph.validate import validate

PORTS = ("module_input", "module_output")


def _selectable(doc: GraphDocument) -> list[str]:
    return [nid for nid, n in doc.nodes.items() if n.type.role not in ("input", "output", "aux")]


def _make_modules(draw, doc: GraphDocument) -> list[ModuleDef]:
    """Random connected selections made into modules (a selection may hold earlier instances)."""
    made = []
    for _ in range(draw(st.integers(1, 4))):
        candidates = _selectable(doc)
        if not candidates:
            break
        ids = [draw(st.sampled_from(candidates))]
        for _ in range(draw(st.integers(0, 4))):
            near = [e.src for n in ids for e in doc.in_edges(n)] + [e.dst for n in ids for e in doc.out_edges(n)]
            near = [f for f in dict.fromkeys(near) if f in candidates and f not in ids]
            if not near:
                break
            ids.append(draw(st.sampled_from(near)))
        try:
            edit = plan_make_module(doc, ids)
        except GraphError:
            continue
        apply_edit(doc, edit)
        made.append(doc.library.get(edit.added_module["id"]))
    return made


def _instances(doc: GraphDocument, d: ModuleDef) -> list[tuple[GraphDocument, str]]:
    """Every instance of ``d``: (the design or body holding it, its id)."""
    owners = [doc, *(o.body for o in doc.library.defs.values())]
    return [(owner, n.id) for owner in owners for n in owner.instances(d.id)]


def _expose(draw, doc: GraphDocument, d: ModuleDef) -> None:
    """Expose one parameter of a random inner node and give each instance a random value."""
    inner = [n for n in d.body.nodes.values() if n.type_id not in PORTS]
    node = draw(st.sampled_from(inner))
    nested = module_id_of(node.type_id) is not None
    fresh = {REPEAT: draw(st.integers(1, 3))} if nested else params_for(draw, node.type_id)
    names = [p for p in fresh if p in node.params]
    if not names:
        return
    param = draw(st.sampled_from(names))
    doc.library.set_exposed(d.id, [*d.exposed, ExposedParam(f"p{len(d.exposed)}", node.id, param)])
    for owner, nid in _instances(doc, d):
        value = draw(st.integers(1, 3)) if nested else params_for(draw, node.type_id)[param]
        with contextlib.suppress(ParamError):  # a value the parameter does not take: keep the default
            owner.set_param(nid, f"p{len(d.exposed) - 1}", value)


def _use_again(draw, doc: GraphDocument) -> None:
    """Run a random one-input definition (maybe repeated) right before the classifier."""
    defs = [d for d in doc.library.defs.values() if len(d.input_ports()) == 1]
    out = next((n for n in doc.nodes.values() if n.type.role == "output"), None)
    if not defs or out is None or not doc.in_edges(out.id):
        return
    d = draw(st.sampled_from(defs))
    edge = doc.in_edges(out.id)[0]
    inst = doc.add_node(d.type.type_id, "again", {REPEAT: draw(st.integers(1, 3))})
    doc.disconnect(edge.id)
    doc.connect(edge.src, inst.id)
    doc.connect(inst.id, out.id)
    if not validate(doc).ok and draw(st.integers(0, 3)):  # mostly keep only a use that fits
        doc.remove_node(inst.id)
        doc.connect(edge.src, out.id)


@st.composite
def module_designs(draw) -> GraphDocument:
    doc = draw(designs())
    made = _make_modules(draw, doc)
    for d in made:
        if draw(st.booleans()):
            _expose(draw, doc, d)
    for inst in doc.instances():
        if len(inst.type.inputs) == 1 and draw(st.integers(0, 3)) == 0:
            doc.set_param(inst.id, REPEAT, draw(st.integers(2, 3)))
            if not validate(doc).ok and draw(st.integers(0, 3)):
                doc.set_param(inst.id, REPEAT, 1)
    if made and draw(st.booleans()):
        _use_again(draw, doc)
    return doc


class _Runs:
    """Walks every run of every module (each copy, each nesting) and compares predictions."""

    def __init__(self, flat: GraphDocument, seen: dict[str, tuple[int, ...]]):
        self.flat, self.seen, self.checked = flat, seen, 0

    def compare(self, fid: str, predicted: Any, what: str) -> None:
        if fid in self.seen:
            assert self.seen[fid] == predicted, (what, fid, self.seen[fid], predicted)
            self.checked += 1

    def source(self, owner: GraphDocument, nid: str, prefix: str, params: dict[str, Any]) -> str | None:
        """The flat node that computes ``nid``'s output (an instance's: its last copy's result)."""
        mid = module_id_of(owner.nodes[nid].type_id)
        if mid is None:
            return None if owner.nodes[nid].type_id in PORTS else f"{prefix}{nid}"
        d = owner.library.get(mid)
        repeat = params.get(REPEAT, 1)
        sub = f"{prefix}{nid}" + (f"#{repeat - 1}" if repeat > 1 else "") + "/"
        feeding = d.body.in_edges(d.output_port())
        inner = d.bindings(params, []).params
        src = feeding[0].src
        return self.source(d.body, src, sub, inner.get(src, d.body.nodes[src].params)) if feeding else None

    def walk(self, owner: GraphDocument, rep: Any, bound: dict[str, dict[str, Any]], prefix: str) -> None:
        for nid, n in owner.nodes.items():
            if n.type_id in PORTS:
                continue
            params = bound.get(nid, n.params)
            mid = module_id_of(n.type_id)
            if mid is None:
                self.compare(f"{prefix}{nid}", rep.shapes[nid], n.name)
                continue
            src = self.source(owner, nid, prefix, params)
            if src is not None:
                self.compare(src, rep.shapes[nid], f"instance {n.name}")
            d = owner.library.get(mid)
            repeat, shapes = params.get(REPEAT, 1), list(rep.in_shapes[nid])
            for k in range(repeat):
                a = d.type.analyse(params, shapes)
                assert not a.error, a.error
                sub = f"{prefix}{nid}" + (f"#{k}" if repeat > 1 else "") + "/"
                self.walk(d.body, a.report, d.bindings(params, shapes).params, sub)
                shapes = [a.out_shape]


def _check_accepted(doc: GraphDocument, rep) -> None:
    model = compile_model(doc, seed=0)
    model.train()
    x = torch.randn(2, *model.input_shape)
    seen, macs = hook_shapes(model, doc, x)
    runs = _Runs(expand(doc), seen)
    runs.walk(doc, rep, {}, "")
    assert runs.checked >= len(seen) - 1  # every compiled node was compared (but the input)
    costs = compute_costs(doc, rep)
    assert costs.total.params == sum(p.numel() for p in model.parameters())
    assert costs.total.macs == macs
    by_instance: dict[str, int] = {}
    for block in make_plan(doc, rep).blocks:
        if block.module is not None and block.parent is None:  # a nested block is in its outer one
            sub = getattr(model, block.ident, None)  # a block of merges only holds no module
            own = sum(p.numel() for p in sub.parameters()) if sub is not None else 0
            by_instance[block.module.node_id] = by_instance.get(block.module.node_id, 0) + own
    for nid, params in by_instance.items():
        assert costs.nodes[nid].params == params, doc.nodes[nid].name
    gen = model_class(load_source(generate(doc, rep)))()
    gen.load_state_dict(model.state_dict(), strict=True)
    model.eval()
    gen.eval()
    with torch.no_grad():
        torch.testing.assert_close(gen(x), model(x), rtol=1e-4, atol=1e-5)


STATS = {"accepted": 0, "rejected": 0, "instances": 0, "nested": 0, "repeated": 0, "exposed": 0, "reused": 0}


def _count(doc: GraphDocument) -> None:
    lib = doc.library
    STATS["instances"] += len(doc.instances())
    STATS["nested"] += any(d.uses() for d in lib.defs.values())
    STATS["repeated"] += any(n.params.get(REPEAT, 1) > 1 for n in doc.instances())
    STATS["exposed"] += any(d.exposed for d in lib.defs.values())
    STATS["reused"] += any(len(_instances(doc, d)) > 1 for d in lib.defs.values())


@settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    database=None,
)
@given(module_designs())
def test_random_module_designs_agree_with_torch(doc: GraphDocument) -> None:
    torch.set_num_threads(1)
    rep = validate(doc)
    if not doc.instances():
        return
    if rep.ok:
        STATS["accepted"] += 1
        _count(doc)
        _check_accepted(doc, rep)
    else:
        STATS["rejected"] += 1
        with pytest.raises(CompileError):
            compile_model(doc)


def test_every_kind_of_module_use_was_exercised() -> None:
    """The property test above saw accepted designs with nested, repeated, reused modules and
    exposed parameters, and rejected ones."""
    if STATS["accepted"] + STATS["rejected"] == 0:
        test_random_module_designs_agree_with_torch()
    assert STATS["accepted"] >= 80, STATS
    assert STATS["rejected"] >= 40, STATS
    assert STATS["repeated"] >= 40, STATS
    for kind in ("nested", "exposed", "reused"):
        assert STATS[kind] >= 20, STATS
