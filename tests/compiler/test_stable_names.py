"""State-dict keys do not depend on parameters that hold no weights.

Saved weights must keep loading when a design's dropout, activation, padding mode, pool kind,
ceil mode, aux loss weight ... change: layers inside a node are named (``classifier.fc``,
``aux1.fc2``, ``stem.pool``), never numbered by position, and a conv is one ``BasicConv2d``
(``conv.weight``, ``bn.*``) whatever its activation or padding. (Before, setting GoogLeNet's
classifier dropout to 0 turned ``classifier.3.weight`` into ``classifier.2.weight``.)

For every shipped example and for a design with every node type, each parameter that holds
no weights is changed to other values; wherever the design stays valid, the state_dict keys
are the same, and so are the tensor shapes when no layer with weights sees another input
shape. For the every-type design the exported code's keys equal the compiled model's too.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import torch
from compiler_helpers import load_source, model_class

from designer.compiler.build import compile_model, node_module
from designer.compiler.codegen import generate
from designer.compiler.plan import PlanNode, make_plan
from designer.examples import EXAMPLES, example_path
from designer.graph import registry
from designer.graph.builder import Builder
from designer.graph.document import GraphDocument
from designer.graph.expand import expand
from designer.graph.layers import ACTIVATIONS
from designer.graph.validate import Report, validate
from designer.io.project import load

CONV_LIKE = {
    "stride": [1, 2, [1, 2]],
    "padding": ["same", "valid", 0, 1],
    "dilation": [1, 2],
    "bn_eps": [1e-3, 1e-5],
    "activation": list(ACTIVATIONS),
}
POOL_LIKE = {"pool_kernel": [2, 3], "pool_stride": [1, 2], "pool_padding": [0, 1, "same", "valid"]}

#: Per node type: each parameter that holds no weights, with values to try.
WEIGHTLESS: dict[str, dict[str, list[Any]]] = {
    "input": {"height": [31, 32], "width": [33, 32]},
    "conv": CONV_LIKE,
    "separable_conv": CONV_LIKE,
    "stem": {
        **{k: v for k, v in CONV_LIKE.items() if k != "dilation"},
        "pool": ["max", "avg", "none"],
        **POOL_LIKE,
        "ceil_mode": [True, False],
    },  # fmt: skip
    "branch": {"stride": [1, 2], "padding": ["same", "valid"], "bn_eps": [1e-3], "activation": list(ACTIVATIONS)},
    "pool": {
        "mode": ["max", "avg"],
        "kernel_size": [2, 3, [1, 3]],
        "stride": [1, 2],
        "padding": [0, 1, "same", "valid"],
        "ceil_mode": [True, False],
        "count_include_pad": [True, False],
    },
    "global_avg_pool": {"flatten": [True, False]},
    "concat": {},
    "add": {"scale": [1.0, 0.2], "activation": list(ACTIVATIONS)},
    "batch_norm": {"eps": [1e-3, 1e-5]},
    "activation": {"kind": list(ACTIVATIONS)},
    "dropout": {"p": [0.0, 0.5]},
    "flatten": {},
    "linear": {},
    "lrn": {"size": [3, 5], "alpha": [1e-3], "beta": [0.5], "k": [2.0]},
    "output": {"pool": ["avg", "flatten"], "dropout": [0.0, 0.5]},
    "aux_head": {
        "loss_weight": [0.0, 1.0],
        "pool_kernel": [3, 5],
        "pool_stride": [2, 3],
        "dropout": [0.0, 0.7],
        "bn_eps": [1e-3],
        "activation": list(ACTIVATIONS),
    },
}

#: Per node type: the parameters that hold weights (their count or shape), left alone here.
WEIGHTED: dict[str, set[str]] = {
    "input": {"channels"},
    "conv": {"out_channels", "kernel_size", "groups", "bias", "batch_norm"},
    "separable_conv": {"out_channels", "kernel_size", "depth_multiplier", "bias", "batch_norm"},
    "stem": {"out_channels", "kernel_size", "bias", "batch_norm"},
    "branch": {"reduce_channels", "out_channels", "kernel_size", "factorize", "mid_channels", "bias", "batch_norm"},
    "linear": {"out_features", "bias"},
    "output": {"num_classes", "bias"},
    "aux_head": {"num_classes", "conv_channels", "conv2_channels", "conv2_kernel", "hidden", "bias", "batch_norm"},
}


def test_every_parameter_of_every_node_type_is_classified():
    """A new parameter must say whether it holds weights (and, if not, be tried here)."""
    for t in registry.all_types():
        if t.category == "Module ports":  # inside module definitions only; compiled away by expand()
            continue
        names = {spec.name for spec in t.params}
        weightless, weighted = set(WEIGHTLESS.get(t.type_id, {"?"})), WEIGHTED.get(t.type_id, set())
        assert not weightless & weighted, t.type_id
        assert names == weightless | weighted, (t.type_id, sorted(names ^ (weightless | weighted)))


# --------------------------------------------------------------------------- state_dict shapes
#: One node's state_dict (key, shape) pairs by (type, parameters, input shapes): a variant
#: rebuilds only the nodes it changed.
_CACHE: dict[tuple, tuple[tuple[str, tuple[int, ...]], ...]] = {}


def _node_shapes(pn: PlanNode) -> tuple[tuple[str, tuple[int, ...]], ...]:
    key = (pn.type_id, json.dumps(pn.params, sort_keys=True), pn.in_shapes)
    found = _CACHE.get(key)
    if found is None:
        with torch.device("meta"):
            module = node_module(pn)
        found = _CACHE[key] = tuple((k, tuple(v.shape)) for k, v in module.state_dict().items())
    return found


def state_shapes(doc: GraphDocument, rep: Report | None = None) -> dict[str, tuple[int, ...]]:
    """The compiled model's state_dict shapes, composed node by node (as the model composes them)."""
    plan = make_plan(doc, rep)
    return {f"{pn.path}.{k}": shape for pn in plan.nodes if pn.path for k, shape in _node_shapes(pn)}


def model_shapes(doc: GraphDocument) -> dict[str, tuple[int, ...]]:
    with torch.device("meta"):
        model = compile_model(doc, init=False)
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def weight_inputs(doc: GraphDocument, rep: Report) -> dict[str, list[tuple[str, tuple[int, ...]]]]:
    """What each layer with weights sees: when this is unchanged, no weight changes shape."""
    return {
        nid: [(type(s.layer).__name__, s.in_shape) for s in rep.steps.get(nid, ()) if s.layer.params()]
        for nid in doc.nodes
    }


Place = tuple[GraphDocument, str]  # a node: (the design or the module body holding it, its id)


def _variants(places: list[Place]):
    """(node, param, value) for each weightless parameter changed to each other value; the node is
    changed in place while the caller looks at it, and restored after."""
    for owner, nid in places:
        node = owner.nodes[nid]
        for param, values in WEIGHTLESS[node.type_id].items():
            old = node.params[param]
            for value in values:
                if owner.set_param(nid, param, value) == old:
                    continue
                try:
                    yield node, param, value
                finally:
                    owner.set_param(nid, param, old)


def _flat_inputs(doc: GraphDocument) -> dict[str, list[tuple[str, tuple[int, ...]]]]:
    """:func:`weight_inputs` of every layer, those inside module instances included."""
    flat = expand(doc)
    return weight_inputs(flat, validate(flat))


def _check_variants(doc: GraphDocument, places: list[Place], *, exported: bool = False) -> int:
    base_rep = validate(doc)
    base = state_shapes(doc, base_rep)
    base_inputs = _flat_inputs(doc)
    checked = 0
    for node, param, value in _variants(places):
        rep = validate(doc)
        if not rep.ok:  # e.g. a stride that makes a later map too small: not a design to load weights into
            continue
        what = f"{doc.name}: {node.name}.{param} = {value!r}"
        got = state_shapes(doc, rep)
        assert sorted(got) == sorted(base), (what, sorted(set(got) ^ set(base)))
        if _flat_inputs(doc) == base_inputs:
            assert got == base, what
        if exported:
            model = compile_model(doc, seed=0)
            assert {k: tuple(v.shape) for k, v in model.state_dict().items()} == got, what
            gen = model_class(load_source(generate(doc, rep)))()
            gen.load_state_dict(model.state_dict(), strict=True)
        checked += 1
    return checked


# --------------------------------------------------------------------------- the examples
def _sample(doc: GraphDocument) -> list[Place]:
    """Per node type: its first node inside a block, its first outside one, and its first inside a
    module definition (whose change reaches every instance)."""
    grouped = {n for g in doc.groups.values() for n in g.node_ids}
    bodies = [d.body for d in doc.library.defs.values()] if doc.has_library else []
    picked: dict[tuple[str, str], Place] = {}
    for owner in (doc, *bodies):
        for nid, node in owner.nodes.items():
            if node.type_id in WEIGHTLESS:  # not a module instance or port
                where = "module" if owner is not doc else "block" if nid in grouped else "top"
                picked.setdefault((node.type_id, where), (owner, nid))
    return list(picked.values())


@pytest.mark.parametrize("name", [n for n in EXAMPLES if not n.endswith("mismatch")])
def test_weightless_parameters_keep_the_examples_state_dict_keys(name):
    doc = load(example_path(name))
    assert state_shapes(doc) == model_shapes(doc)  # the composition above is the model's state_dict
    checked = _check_variants(doc, _sample(doc))
    assert checked >= 10, checked


def test_googlenet_classifier_without_dropout_keeps_its_keys():
    """The bug this file guards: ``classifier.3.weight`` became ``classifier.2.weight``."""
    doc = load(example_path("googlenet"))
    before = model_shapes(doc)
    assert {"classifier.fc.weight", "aux1.fc2.weight", "aux1.conv.conv.weight"} <= set(before)
    for head in ("classifier", "aux1", "aux2"):
        doc.set_param(doc.find(head).id, "dropout", 0.0)
    assert model_shapes(doc) == before


# --------------------------------------------------------------------------- every node type
def every_type_design() -> GraphDocument:
    """Every node type once, uneven 'same' padding (conv and max-pool) included, some in a block."""
    b = Builder("every type")
    x = b.input(channels=3, height=32, width=32)
    x = b.node("stem", x, "stem", out_channels=8, kernel_size=3, stride=2, padding="same", pool="max",
               pool_kernel=3, pool_stride=2, pool_padding="same", ceil_mode=False)  # fmt: skip
    b.begin_group()
    b1 = b.node("branch", x, "b1", reduce_channels=4, out_channels=8, kernel_size=5, factorize="stacked 3x3")
    b2 = b.node("branch", x, "b2", out_channels=8, kernel_size=3, factorize="asymmetric", mid_channels=6)
    b3 = b.node("separable_conv", x, "b3", out_channels=8, kernel_size=3, batch_norm=True)
    p = b.pool(x, "b4_pool", mode="max", kernel_size=3, stride=1, padding="same")
    b4 = b.conv(p, "b4", out_channels=8, kernel_size=1, batch_norm=True, bias=False)
    cat = b.concat([b1, b2, b3, b4], "cat")
    b.end_group("block")
    y = b.conv(cat, "proj", out_channels=8, kernel_size=1)
    y = b.node("add", [x, y], "add", scale=0.5, activation="relu")
    y = b.node("lrn", y, "lrn")
    y = b.node("batch_norm", y, "bn")
    y = b.node("activation", y, "act", kind="relu")
    y = b.node("dropout", y, "drop", p=0.2)
    y = b.node("global_avg_pool", y, "gap", flatten=False)
    y = b.node("flatten", y, "flat")
    y = b.node("linear", y, "fc", out_features=16)
    y = b.node("batch_norm", y, "bn1d")
    b.output(y, "classifier", num_classes=5, dropout=0.3)
    b.node("aux_head", cat, "aux", num_classes=5, pool_kernel=3, pool_stride=2, conv_channels=8, hidden=16,
           dropout=0.5, batch_norm=True, bias=False)  # fmt: skip
    b.node("global_avg_pool", cat, "side_gap")  # feeds nothing: not compiled, but its parameters are tried
    return b.done(layout=False)


def test_every_node_type_keeps_its_state_dict_keys_in_the_model_and_the_exported_code():
    doc = every_type_design()
    assert validate(doc).ok
    top_level = {t.type_id for t in registry.all_types() if t.category != "Module ports"}
    assert {n.type_id for n in doc.nodes.values()} == top_level
    assert state_shapes(doc) == model_shapes(doc)
    checked = _check_variants(doc, [(doc, nid) for nid in doc.nodes], exported=True)
    assert checked >= 80, checked


def test_composite_nodes_name_their_layers():
    keys = set(model_shapes(every_type_design()))
    assert {
        "stem.conv.conv.weight",
        "block.b1.reduce.conv.weight",
        "block.b1.conv2.conv.weight",
        "block.b2.conv1.conv.weight",
        "block.b3.depthwise.conv.weight",
        "block.b3.pointwise.bn.weight",
        "classifier.fc.weight",
        "aux_.conv.bn.running_mean",  # "aux" is a name forward uses
        "aux_.fc1.weight",
        "aux_.fc2.weight",
    } <= keys
    assert not [k for k in keys if any(part.isdigit() for part in k.split("."))], "a key with a position"
