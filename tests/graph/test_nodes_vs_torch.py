"""Differential tests: every node type's inferred shape and parameter count against torch.

For random parameters and input sizes, ``NodeType.infer`` must accept exactly what torch
runs (``node_reference`` builds each node independently from ``torch.nn``), predict the
shape torch produces, count the parameters torch has, and build a module that computes
the same values as the reference. Where ``infer`` rejects, torch must raise too, or the
reference names one of the listed design reasons (``node_reference.DESIGN_REASONS``).
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from node_reference import DESIGN_REASONS, TORCH_ERRORS, DesignReason, reference

from designer.graph import registry
from designer.graph.layers import ACTIVATIONS
from designer.graph.shapes import Shape, ShapeError

torch.set_num_threads(1)
pytestmark = pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel:UserWarning")

# --------------------------------------------------------------------------- strategies
MAPS = st.tuples(st.integers(1, 8), st.integers(1, 12), st.integers(1, 12))
FLATS = st.tuples(st.integers(1, 16))
#: Mostly feature maps, sometimes a flat vector (every map-only type must reject those).
SHAPES = st.integers(0, 4).flatmap(lambda i: FLATS if i == 0 else MAPS)
ACTS = st.sampled_from(ACTIVATIONS)


def pairs(lo: int, hi: int) -> st.SearchStrategy[Any]:
    """An int or an [h, w] pair (asymmetric kernels such as [1, 7])."""
    return st.one_of(st.integers(lo, hi), st.lists(st.integers(lo, hi), min_size=2, max_size=2))


def paddings(hi: int) -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(["same", "valid"]), pairs(0, hi))


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


TAIL = st.fixed_dictionaries(
    {
        "bias": st.booleans(),
        "batch_norm": st.booleans(),
        "bn_eps": st.sampled_from([1e-5, 1e-3]),
        "activation": ACTS,
    }
)


@st.composite
def conv_case(draw: st.DrawFn) -> tuple[dict[str, Any], list[Shape]]:
    shape = draw(SHAPES)
    groups = draw(st.one_of(st.sampled_from(divisors(shape[0])), st.integers(1, 4)))
    out = draw(st.one_of(st.integers(1, 8), st.integers(1, 3).map(lambda m: m * groups)))
    p = {
        "out_channels": out,
        "kernel_size": draw(pairs(1, 5)),
        "stride": draw(pairs(1, 3)),
        "padding": draw(paddings(3)),
        "dilation": draw(pairs(1, 3)),
        "groups": groups,
        **draw(TAIL),
    }
    return p, [shape]


@st.composite
def separable_case(draw: st.DrawFn) -> tuple[dict[str, Any], list[Shape]]:
    p = {
        "out_channels": draw(st.integers(1, 8)),
        "kernel_size": draw(pairs(1, 5)),
        "stride": draw(pairs(1, 3)),
        "padding": draw(paddings(3)),
        "dilation": draw(pairs(1, 2)),
        "depth_multiplier": draw(st.integers(1, 2)),
        **draw(TAIL),
    }
    return p, [draw(SHAPES)]


@st.composite
def stem_case(draw: st.DrawFn) -> tuple[dict[str, Any], list[Shape]]:
    p = {
        "out_channels": draw(st.integers(1, 8)),
        "kernel_size": draw(pairs(1, 7)),
        "stride": draw(pairs(1, 3)),
        "padding": draw(paddings(3)),
        **draw(TAIL),
        "pool": draw(st.sampled_from(["max", "avg", "none"])),
        "pool_kernel": draw(pairs(1, 4)),
        "pool_stride": draw(pairs(1, 3)),
        "pool_padding": draw(paddings(2)),
        "ceil_mode": draw(st.booleans()),
    }
    shape = draw(st.tuples(st.integers(1, 4), st.integers(1, 16), st.integers(1, 16)))
    return p, [shape]


@st.composite
def branch_case(draw: st.DrawFn) -> tuple[dict[str, Any], list[Shape]]:
    p = {
        "reduce_channels": draw(st.one_of(st.just(0), st.integers(1, 6))),
        "out_channels": draw(st.integers(1, 8)),
        "kernel_size": draw(st.integers(1, 7)),
        "factorize": draw(st.sampled_from(["none", "stacked 3x3", "asymmetric"])),
        "mid_channels": draw(st.one_of(st.just(0), st.integers(1, 6))),
        "stride": draw(pairs(1, 3)),
        "padding": draw(st.sampled_from(["same", "valid"])),
        **draw(TAIL),
    }
    return p, [draw(SHAPES)]


@st.composite
def pool_case(draw: st.DrawFn) -> tuple[dict[str, Any], list[Shape]]:
    p = {
        "mode": draw(st.sampled_from(["max", "avg"])),
        "kernel_size": draw(pairs(1, 4)),
        "stride": draw(pairs(1, 3)),
        "padding": draw(paddings(2)),
        "ceil_mode": draw(st.booleans()),
        "count_include_pad": draw(st.booleans()),
    }
    return p, [draw(SHAPES)]


@st.composite
def aux_case(draw: st.DrawFn) -> tuple[dict[str, Any], list[Shape]]:
    p = {
        "num_classes": draw(st.integers(1, 6)),
        "pool_kernel": draw(pairs(1, 5)),
        "pool_stride": draw(pairs(1, 3)),
        "conv_channels": draw(st.integers(1, 8)),
        "conv2_channels": draw(st.one_of(st.just(0), st.integers(1, 6))),
        "conv2_kernel": draw(pairs(1, 3)),
        "hidden": draw(st.one_of(st.just(0), st.integers(1, 8))),
        "dropout": draw(st.sampled_from([0.0, 0.7])),
        **draw(TAIL),
    }
    shape = draw(
        st.integers(0, 6).flatmap(lambda i: FLATS if i == 0 else MAPS.map(lambda s: (s[0], s[1] + 4, s[2] + 4)))
    )
    return p, [shape]


@st.composite
def concat_case(draw: st.DrawFn) -> tuple[dict[str, Any], list[Shape]]:
    hw = draw(st.tuples(st.integers(1, 6), st.integers(1, 6)))
    agree = st.integers(1, 5).map(lambda c: (c, *hw))
    n = draw(st.integers(1, 4))
    return {}, [draw(st.integers(0, 3).flatmap(lambda i: SHAPES if i == 0 else agree)) for _ in range(n)]


@st.composite
def add_case(draw: st.DrawFn) -> tuple[dict[str, Any], list[Shape]]:
    c, h, w = draw(MAPS)
    variants = st.sampled_from([(c, h, w), (c, h, w), (c, h, w), (1, h, w), (c, 1, 1), (c, h, 1), (c + 1, h, w), (w,)])
    n = draw(st.integers(1, 4))
    p = {"scale": draw(st.sampled_from([1.0, 0.2, 0.0])), "activation": draw(ACTS)}
    return p, [draw(st.one_of(variants, SHAPES)) for _ in range(n)]


def single(params: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[tuple[dict[str, Any], list[Shape]]]:
    return st.tuples(params, SHAPES.map(lambda s: [s]))


#: One strategy per node type id. A type without an entry fails test_every_type_has_a_strategy.
STRATEGIES: dict[str, st.SearchStrategy[tuple[dict[str, Any], list[Shape]]]] = {
    "input": st.tuples(
        st.fixed_dictionaries(
            {"channels": st.integers(1, 8), "height": st.integers(1, 12), "width": st.integers(1, 12)}
        ),
        st.just([]),
    ),
    "conv": conv_case(),
    "separable_conv": separable_case(),
    "stem": stem_case(),
    "branch": branch_case(),
    "pool": pool_case(),
    "global_avg_pool": single(st.fixed_dictionaries({"flatten": st.booleans()})),
    "output": single(
        st.fixed_dictionaries(
            {
                "num_classes": st.integers(1, 10),
                "pool": st.sampled_from(["avg", "flatten"]),
                "dropout": st.sampled_from([0.0, 0.5]),
                "bias": st.booleans(),
            }
        )
    ),
    "aux_head": aux_case(),
    "concat": concat_case(),
    "add": add_case(),
    "batch_norm": single(st.fixed_dictionaries({"eps": st.sampled_from([1e-5, 1e-3])})),
    "activation": single(st.fixed_dictionaries({"kind": ACTS})),
    "dropout": single(st.fixed_dictionaries({"p": st.sampled_from([0.0, 0.5])})),
    "flatten": single(st.just({})),
    "linear": single(st.fixed_dictionaries({"out_features": st.integers(1, 8), "bias": st.booleans()})),
    "lrn": single(
        st.fixed_dictionaries(
            {
                "size": st.integers(1, 5),
                "alpha": st.sampled_from([1e-4, 0.5]),
                "beta": st.sampled_from([0.75, 1.0]),
                "k": st.sampled_from([1.0, 2.0]),
            }
        )
    ),
}

#: Module ports only carry a tensor through (tested with modules, tests/graph/test_modules.py).
TYPE_IDS = sorted(t.type_id for t in registry.all_types() if t.category != "Module ports")


# --------------------------------------------------------------------------- the check
def check(type_id: str, raw: dict[str, Any], in_shapes: list[Shape]) -> str:
    """Compare one node against torch; returns 'ok', 'torch' (both reject) or a design reason."""
    ntype = registry.get(type_id)
    p = ntype.validate_params(raw)
    gen = torch.Generator().manual_seed(0)
    xs = [torch.randn(2, *s, generator=gen) for s in in_shapes]
    feed = xs or [torch.randn(2, p["channels"], p["height"], p["width"], generator=gen)]
    try:
        ref, ref_y = reference(type_id, p, [x.clone() for x in feed])
        verdict = "ok"
    except DesignReason as reason:
        verdict = reason.key
    except TORCH_ERRORS:
        verdict = "torch"

    try:
        out, steps = ntype.infer(p, list(in_shapes))
    except ShapeError as exc:
        assert verdict != "ok", f"{type_id} {p} on {in_shapes}: designer rejects ({exc}) but torch runs it"
        return verdict
    assert verdict == "ok", f"{type_id} {p} on {in_shapes}: designer accepts {out}, reference says {verdict}"

    # The steps chain: each layer sees the previous layer's output.
    if steps:
        assert steps[0].in_shape == in_shapes[0]
        assert steps[-1].out_shape == out
        assert all(a.out_shape == b.in_shape for a, b in zip(steps, steps[1:], strict=False))

    built = ntype.build(p, steps)
    built.eval()
    before = [x.clone() for x in feed]
    with torch.no_grad():
        y = built(*feed)
    for x, x0 in zip(feed, before, strict=True):
        assert torch.equal(x, x0), f"{type_id} modified its input in place"
    assert tuple(y.shape) == (2, *out), (
        f"{type_id} {p} on {in_shapes}: inferred {out}, torch gives {tuple(y.shape)[1:]}"
    )
    assert tuple(ref_y.shape) == (2, *out)

    counted = sum(step.layer.params() for step in steps)
    assert counted == sum(t.numel() for t in built.parameters()) == sum(t.numel() for t in ref.parameters())

    # Same layers in the same order: copy the weights and compare values (checks where padding goes).
    built_params, ref_params = list(built.parameters()), list(ref.parameters())
    assert [t.shape for t in built_params] == [t.shape for t in ref_params]
    with torch.no_grad():
        for a, b in zip(built_params, ref_params, strict=True):
            b.copy_(a)
        ref_y = ref(*[x.clone() for x in feed])
        y = built(*[x.clone() for x in feed])
    torch.testing.assert_close(y, ref_y, rtol=1e-4, atol=1e-5)
    return "ok"


# --------------------------------------------------------------------------- tests
def test_every_type_has_a_strategy() -> None:
    assert set(STRATEGIES) == set(TYPE_IDS), "add a strategy and a reference for each new node type"


@pytest.mark.parametrize("type_id", TYPE_IDS)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(data=st.data())
def test_node_agrees_with_torch(type_id: str, data: st.DataObject) -> None:
    if type_id not in STRATEGIES:
        pytest.fail(f"node type {type_id!r} has no strategy in STRATEGIES")
    params, in_shapes = data.draw(STRATEGIES[type_id], label="case")
    check(type_id, params, in_shapes)


C = dict(bias=True, batch_norm=False, bn_eps=1e-5, activation="relu")

CASES: list[tuple[str, dict[str, Any], list[Shape], str, Shape | None]] = [
    # padding 'same' / 'valid' / int / pair, stride, dilation, groups, asymmetric kernels
    ("conv", dict(out_channels=4, kernel_size=3, padding="same"), [(3, 28, 28)], "ok", (4, 28, 28)),
    ("conv", dict(out_channels=4, kernel_size=3, padding="valid"), [(3, 28, 28)], "ok", (4, 26, 26)),
    ("conv", dict(out_channels=4, kernel_size=4, padding="same"), [(3, 9, 9)], "ok", (4, 9, 9)),
    ("conv", dict(out_channels=4, kernel_size=[1, 7], padding="same"), [(3, 17, 17)], "ok", (4, 17, 17)),
    ("conv", dict(out_channels=4, kernel_size=[7, 1], padding="valid"), [(3, 17, 17)], "ok", (4, 11, 17)),
    ("conv", dict(out_channels=4, kernel_size=3, padding=[0, 2]), [(3, 8, 8)], "ok", (4, 6, 10)),
    ("conv", dict(out_channels=4, kernel_size=3, stride=2, padding=1), [(3, 7, 7)], "ok", (4, 4, 4)),
    ("conv", dict(out_channels=4, kernel_size=3, stride=2, padding="same"), [(3, 8, 8)], "ok", (4, 4, 4)),
    ("conv", dict(out_channels=4, kernel_size=[1, 4], stride=[2, 3], padding="same"), [(3, 7, 7)], "ok", (4, 4, 3)),
    ("conv", dict(out_channels=4, kernel_size=3, dilation=2, padding="same"), [(3, 6, 6)], "ok", (4, 6, 6)),
    ("conv", dict(out_channels=4, kernel_size=3, dilation=3, padding="valid"), [(3, 6, 6)], "torch", None),
    ("conv", dict(out_channels=4, kernel_size=5, padding="valid"), [(3, 4, 9)], "torch", None),
    ("conv", dict(out_channels=9, kernel_size=1, groups=3), [(6, 4, 4)], "ok", (9, 4, 4)),
    ("conv", dict(out_channels=8, kernel_size=1, groups=4), [(6, 4, 4)], "torch", None),
    ("conv", dict(out_channels=3, kernel_size=1, groups=2), [(4, 4, 4)], "torch", None),
    ("conv", dict(out_channels=4, kernel_size=1), [(12,)], "torch", None),
    ("separable_conv", dict(out_channels=4, kernel_size=3, stride=2, depth_multiplier=2), [(3, 5, 5)], "ok", (4, 3, 3)),
    # pooling: ceil_mode (ATen drops a last window that starts in the padding), 'same' for max and avg
    ("pool", dict(kernel_size=3, stride=2, ceil_mode=True), [(2, 112, 112)], "ok", (2, 56, 56)),
    ("pool", dict(kernel_size=3, stride=2, ceil_mode=False), [(2, 112, 112)], "ok", (2, 55, 55)),
    ("pool", dict(kernel_size=2, stride=2, padding=1, ceil_mode=True), [(1, 5, 5)], "ok", (1, 3, 3)),
    ("pool", dict(kernel_size=3, stride=1, padding="same"), [(2, 28, 28)], "ok", (2, 28, 28)),
    ("pool", dict(kernel_size=2, stride=2, padding="same"), [(2, 7, 7)], "ok", (2, 4, 4)),
    ("pool", dict(mode="avg", kernel_size=3, stride=1, padding="same"), [(2, 9, 9)], "ok", (2, 9, 9)),
    ("pool", dict(mode="avg", kernel_size=2, stride=1, padding="same"), [(2, 9, 9)], "avg-pool-uneven-same", None),
    ("pool", dict(kernel_size=3, stride=1, padding=2), [(2, 9, 9)], "torch", None),
    ("pool", dict(kernel_size=5, stride=1, padding="valid"), [(2, 3, 3)], "torch", None),
    ("pool", dict(kernel_size=3), [(12,)], "torch", None),
    (
        "stem",
        dict(out_channels=4, pool="avg", pool_padding="same", pool_stride=1, pool_kernel=2),
        [(3, 32, 32)],
        "avg-pool-uneven-same",
        None,
    ),
    ("stem", dict(out_channels=4), [(3, 32, 32)], "ok", (4, 8, 8)),
    (
        "branch",
        dict(reduce_channels=2, out_channels=4, kernel_size=5, factorize="stacked 3x3"),
        [(3, 9, 9)],
        "ok",
        (4, 9, 9),
    ),
    ("branch", dict(out_channels=4, kernel_size=4, factorize="stacked 3x3"), [(3, 9, 9)], "stacked-even-kernel", None),
    ("branch", dict(out_channels=4, kernel_size=7, factorize="asymmetric", stride=2), [(3, 9, 9)], "ok", (4, 5, 5)),
    (
        "branch",
        dict(out_channels=4, kernel_size=7, factorize="asymmetric", padding="valid"),
        [(3, 9, 5)],
        "torch",
        None,
    ),
    # merges
    ("concat", {}, [(2, 4, 4), (3, 4, 4)], "ok", (5, 4, 4)),
    ("concat", {}, [(2, 4, 4), (3, 4, 5)], "torch", None),
    ("concat", {}, [(2, 4, 4), (3,)], "torch", None),
    ("concat", {}, [(2,), (3,)], "ok", (5,)),
    ("add", dict(scale=0.2), [(2, 4, 4), (2, 4, 4), (2, 4, 4)], "ok", (2, 4, 4)),
    ("add", {}, [(2, 4, 4)], "ok", (2, 4, 4)),
    ("add", {}, [(2, 4, 4), (2, 1, 1)], "add-broadcast", None),
    ("add", {}, [(2, 4, 4), (3, 4, 4)], "torch", None),
    # heads and flat layers
    ("linear", dict(out_features=3), [(4, 2, 2)], "linear-on-map", None),
    ("linear", dict(out_features=3), [(4,)], "ok", (3,)),
    ("global_avg_pool", {}, [(4,)], "global-pool-on-vector", None),
    ("output", dict(num_classes=5, pool="flatten"), [(2, 3, 3)], "ok", (5,)),
    ("aux_head", dict(num_classes=5, conv_channels=4, hidden=8), [(3, 14, 14)], "ok", (5,)),
    ("aux_head", dict(num_classes=5, conv_channels=4, hidden=8), [(3, 4, 4)], "torch", None),
    ("lrn", {}, [(6,)], "torch", None),
]


@pytest.mark.parametrize(("type_id", "params", "in_shapes", "verdict", "out"), CASES)
def test_named_case(type_id: str, params: dict, in_shapes: list[Shape], verdict: str, out: Shape | None) -> None:
    if type_id in ("conv", "branch", "stem"):
        params = {**C, **params}
    assert check(type_id, params, in_shapes) == verdict
    if out is not None:
        assert registry.get(type_id).infer(registry.get(type_id).validate_params(params), in_shapes)[0] == out


def test_every_design_reason_is_exercised() -> None:
    """Each listed reason has a named case, so the list cannot grow stale."""
    assert {c[3] for c in CASES} - {"ok", "torch"} == set(DESIGN_REASONS)
