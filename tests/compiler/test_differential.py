"""Differential property test: random designs, predictions against the compiled model.

For random DAGs made of every node type (merges, strides, dilation, ceil_mode, groups,
asymmetric kernels, separable convs, stems, every branch factorization, aux heads, groups
as blocks):

* a design that validation accepts compiles and runs, and every node's predicted shape
  equals the shape a forward hook sees; predicted parameters equal ``sum(p.numel())``;
  predicted MACs equal a hook-based count (Conv2d: output elements x in/groups x kh x kw,
  Linear: in x out); the generated code loads the state_dict and computes the same;
* a design that validation rejects for a shape reason fails in torch when the node is
  built naively from its raw parameters (``tests/graph/node_reference.py``), or the
  reference names the design reason.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch
from compiler_helpers import load_source, model_class
from hypothesis import HealthCheck, given, settings
from random_designs import designs, hook_shapes

from designer.compiler.build import DesignOutputs, compile_model
from designer.compiler.codegen import generate
from designer.graph.cost import compute_costs
from designer.graph.document import GraphDocument
from designer.graph.validate import validate

_spec = importlib.util.spec_from_file_location(
    "compiler_node_reference", Path(__file__).parents[1] / "graph" / "node_reference.py"
)
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)


def _check_accepted(doc: GraphDocument, rep) -> None:
    model = compile_model(doc, seed=0)
    model.train()
    x = torch.randn(2, *model.input_shape)
    seen, macs = hook_shapes(model, doc, x)
    for nid, path in model.node_paths.items():
        assert seen[nid] == rep.shapes[nid], (doc.nodes[nid].name, path, seen[nid], rep.shapes[nid])
    costs = compute_costs(doc, rep)
    assert costs.total.params == sum(p.numel() for p in model.parameters())
    assert costs.total.macs == macs
    # The generated code is the same model.
    gen = model_class(load_source(generate(doc, rep)))()
    gen.load_state_dict(model.state_dict(), strict=True)
    torch.manual_seed(5)
    a = model(x)
    torch.manual_seed(5)
    g = gen(x)
    if isinstance(a, DesignOutputs):
        pairs = [(a.logits, g.logits), *zip(a.aux_logits, g.aux_logits, strict=True)]
    else:
        pairs = [(a, g)]
    model.eval()
    gen.eval()
    with torch.no_grad():
        pairs.append((model(x), gen(x)))
    for p, q in pairs:
        assert p.shape == q.shape
        assert torch.allclose(p, q, rtol=1e-4, atol=1e-5)


def _check_rejected(doc: GraphDocument, rep) -> None:
    for d in rep.errors:
        assert d.code in ("shape", "merge-mismatch"), d.message  # the generator builds no structural errors
        node = doc.nodes[d.node_id]
        xs = [torch.zeros(2, *s) for s in rep.in_shapes[d.node_id]]
        try:
            ref.reference(node.type_id, node.params, xs)
        except ref.DesignReason:
            continue
        except ref.TORCH_ERRORS:
            continue
        raise AssertionError(
            f"validation rejected {node.type_id} {node.params} on {rep.in_shapes[d.node_id]} "
            f"({d.message}) but torch runs it"
        )


STATS = {"accepted": 0, "rejected": 0}


@settings(
    max_examples=500,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
@given(designs())
def test_random_designs_agree_with_torch(doc: GraphDocument) -> None:
    torch.set_num_threads(1)
    rep = validate(doc)
    if rep.ok:
        STATS["accepted"] += 1
        _check_accepted(doc, rep)
    else:
        STATS["rejected"] += 1
        _check_rejected(doc, rep)


def test_both_outcomes_were_exercised() -> None:
    """The property test above saw plenty of accepted and of rejected designs."""
    if STATS["accepted"] + STATS["rejected"] == 0:
        test_random_designs_agree_with_torch()
    assert STATS["accepted"] >= 60, STATS
    assert STATS["rejected"] >= 30, STATS
