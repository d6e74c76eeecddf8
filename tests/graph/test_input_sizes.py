"""Input-size analysis: the smallest input, the sizes where a merge disagrees, and why.

The analysis infers each node at a few sizes and extrapolates with the period of its strides
(see designer/graph/input_sizes.py). Checked three ways: on hand-made designs with known
answers, against ``validate`` run at every size of random designs (pure Python, many designs),
and against torch on random designs: every size it says works compiles and runs, every size
it says fails makes torch raise (or is rejected for a reason the designer states on purpose).
"""

from __future__ import annotations

import random
import time
from typing import Any

import pytest
import torch
from node_reference import TORCH_ERRORS, DesignReason, reference

from designer.compiler.build import compile_model
from designer.examples import example_path
from designer.graph import input_sizes
from designer.graph.builder import Builder
from designer.graph.document import GraphDocument
from designer.graph.input_sizes import analyse_input_sizes, describe_sizes
from designer.graph.validate import validate
from designer.io.project import load

torch.set_num_threads(1)
pytestmark = pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel:UserWarning")


def odd_module(h: int = 28, w: int = 28) -> tuple[GraphDocument, dict[str, str]]:
    """Works at even sizes only: a 2x2/2 'valid' conv floors 27 to 13, a 3x3/2 'same' one ceils it to 14."""
    b = Builder("odd")
    x = b.input(channels=16, height=h, width=w)
    b1 = b.conv(x, "b1", out_channels=8, kernel_size=2, stride=2, padding="valid")
    b2 = b.conv(x, "b2", out_channels=8, kernel_size=3, stride=2, padding="same")
    c = b.concat([b1, b2], "concat")
    return b.done(), {"input": x, "b1": b1, "b2": b2, "concat": c}


def _at(doc: GraphDocument, h: int, w: int) -> GraphDocument:
    copy = doc.copy()
    (inp,) = [n for n in copy.nodes.values() if n.type_id == "input"]
    copy.set_params(inp.id, {"height": h, "width": w})
    return copy


# --------------------------------------------------------------------------- known answers
def test_module_that_works_at_28_but_not_at_27():
    doc, ids = odd_module()
    res = analyse_input_sizes(doc)
    assert res is not None and res.symmetric
    assert res.works(28, 28) and not res.works(27, 27) and not res.works(28, 27) and res.works(26, 30)
    assert res.smallest == (2, 2)
    (b,) = res.breakages
    assert b.node_id == ids["concat"] and b.merge and b.pattern == "odd sizes" and b.example in (27, 29)
    assert b.cause_id == ids["b1"]
    assert b.sizes == tuple(range(3, 57, 2))
    text = res.summary()
    assert text.startswith("works at 28 x 28 and the smallest input it accepts is 2 x 2")
    assert "'concat' disagrees at odd sizes: 25, 27, 29, 31, ..." in text
    assert "At 27 x 27: input 0 from 'b1' is 13 x 13 (H x W), but 'b2' is 14 x 14" in text
    assert "'b1' (2x2 conv /2, padding 'valid' -> 8) turns 27 x 27 into 13 x 13" in text


def test_design_that_fails_at_its_own_size_says_where_it_works():
    doc, _ = odd_module(27, 27)
    assert not validate(doc).ok
    res = analyse_input_sizes(doc)
    assert res is not None and not res.design_works
    assert res.summary().startswith("fails at 27 x 27 but works at 26 x 26 and 28 x 28")


def test_non_square_input_is_analysed_per_dimension():
    doc, _ = odd_module(28, 40)
    res = analyse_input_sizes(doc)
    assert res is not None and not res.symmetric
    assert res.height.sizes == range(1, 57) and res.width.sizes == range(1, 81)
    assert res.works(28, 40) and res.works(30, 38) and not res.works(27, 40) and not res.works(28, 39)
    assert "odd heights (25, 27, 29, 31, ...) and at odd widths (37, 39, 41, 43, ...)" in res.summary()
    assert "At 27 x 40:" in res.summary()


def test_given_ranges_and_no_breaks():
    doc = load(example_path("inception_module"))
    res = analyse_input_sizes(doc, heights=range(10, 40), widths=range(10, 40))
    assert res is not None and res.smallest == (10, 10) and not res.has_breaks
    assert res.works(9, 9) is None  # outside the ranges
    assert (
        res.summary()
        == "works at 28 x 28 and the smallest input it accepts is 10 x 10; it works at every size from there up to 39 x 39"
    )


@pytest.mark.parametrize(
    ("name", "smallest", "culprit"),
    [
        ("googlenet", 79, "aux1"),  # the aux heads' 5x5/3 average pool needs 5 x 5 at 1/16
        ("inception_v3", 299, "AuxLogits"),  # 16 x 16 at Mixed_6e pools to 4 x 4: too small for the 5x5 conv
        ("inception_resnet", 75, "Mixed_7a"),  # inside the module, its 3x3/2 max-pool
        ("xception", 7, "block1_conv2"),
        ("mini_inception", 12, "aux"),
    ],
)
def test_smallest_inputs_of_the_shipped_networks(name, smallest, culprit):
    doc = load(example_path(name))
    res = analyse_input_sizes(doc)
    assert res is not None and res.design_works and not res.has_breaks
    assert res.smallest == (smallest, smallest)
    assert res.below_smallest.startswith(f"{culprit!r}: ")
    assert validate(_at(doc, smallest, smallest)).ok
    first = validate(_at(doc, smallest - 1, smallest - 1)).errors[0]
    assert doc.nodes[first.node_id].name == culprit


def test_structural_errors_and_several_inputs_give_no_analysis():
    b = Builder()
    b.input("a", channels=3, height=8, width=8)
    b.input("b", channels=3, height=8, width=8)
    assert analyse_input_sizes(b.done()) is None
    b = Builder()
    b.node("conv", None, "loose", out_channels=4)  # an unconnected input port
    b.input(channels=3, height=8, width=8)
    assert analyse_input_sizes(b.done()) is None


def test_describe_sizes_patterns():
    assert describe_sizes([3, 5, 7, 9], 2, 11) == "odd sizes"
    assert describe_sizes([2, 4, 6, 8, 10], 2, 11) == "even sizes"
    assert describe_sizes([s for s in range(1, 33) if s % 4], 1, 33, "heights") == "heights that are not multiples of 4"
    assert describe_sizes([3, 6, 9, 12], 1, 14) == "multiples of 3"
    assert describe_sizes([1, 3, 5, 7, 9, 11, 13, 15], 1, 17) == "odd sizes"
    assert describe_sizes([s for s in range(1, 41) if s % 8 in (1, 3)], 1, 41) == "sizes 1 and 3 mod 8"
    assert describe_sizes([5], 1, 20) == ""


def test_cost_is_milliseconds_and_repeats_are_cached():
    doc = load(example_path("googlenet"))
    rep = validate(doc)
    start = time.perf_counter()
    res = analyse_input_sizes(doc, rep, explain=False, why_smallest=False)
    cold = time.perf_counter() - start
    assert res is not None and len(res.height.sizes) == 448
    assert cold < 0.5  # about 10 ms on a laptop; generous for a loaded CI machine
    doc.move(rep.order[3], (1.0, 2.0))  # a change that cannot matter
    assert analyse_input_sizes(doc, explain=False, why_smallest=False) is res


# --------------------------------------------------------------------------- random designs
def _pick_pair(rng: random.Random, lo: int, hi: int) -> Any:
    return rng.randint(lo, hi) if rng.random() < 0.8 else [rng.randint(lo, hi), rng.randint(lo, hi)]


def _padding(rng: random.Random, k: Any) -> Any:
    """'same', half the kernel (what 'same' is for odd kernels, one more for even ones) or 'valid'."""
    r = rng.random()
    if r < 0.4:
        return "same"
    if r < 0.8:
        return [k[0] // 2, k[1] // 2] if isinstance(k, list) else k // 2
    return "valid"


def _layer(b: Builder, rng: random.Random, x: str, name: str, stride: Any, padding: Any = None) -> str:
    """One random node of a spatial kind, with ``stride`` (random kernel, and padding unless given)."""
    kind = rng.choice(["conv", "conv", "pool", "pool", "branch", "stem", "separable_conv"])
    k = _pick_pair(rng, 1, 4) if stride != 1 else rng.choice([1, 3, [1, 3], [3, 1]])
    pad = padding if padding is not None else _padding(rng, k)
    kmax, smin = (max(k) if isinstance(k, list) else k), (min(stride) if isinstance(stride, list) else stride)
    if pad == "valid" and kmax > smin and rng.random() < 0.8:
        pad = "same"  # 'valid' with a kernel wider than the stride shrinks a branch at every size
    if kind == "conv":
        dil = 2 if rng.random() < 0.1 else 1
        return b.conv(x, name, out_channels=3, kernel_size=k, stride=stride, padding=pad, dilation=dil)
    if kind == "pool":
        mode = rng.choice(["max", "max", "avg"])
        if mode == "avg" and pad == "same" and rng.random() < 0.7:
            pad = [k[0] // 2, k[1] // 2] if isinstance(k, list) else k // 2  # 'same' is often uneven
        return b.pool(x, name, mode=mode, kernel_size=k, stride=stride, padding=pad, ceil_mode=rng.random() < 0.3)
    if kind == "branch":
        return b.node(
            "branch",
            x,
            name,
            out_channels=3,
            reduce_channels=rng.choice([0, 2]),
            kernel_size=rng.choice([1, 3, 5]),
            factorize=rng.choice(["none", "stacked 3x3", "asymmetric"]),
            stride=stride,
            padding=rng.choice(["same", "same", "valid"]),
        )
    if kind == "stem":  # a strided conv then a pool: two strides in one node
        kk = rng.randint(1, 4)
        return b.node(
            "stem",
            x,
            name,
            out_channels=3,
            kernel_size=kk,
            stride=stride,
            padding=_padding(rng, kk),
            pool=rng.choice(["max", "avg", "none"]),
            pool_kernel=rng.randint(2, 3),
            pool_stride=rng.choice([1, 1, 2]),
            pool_padding=rng.choice([0, 1, "same"]),
            ceil_mode=rng.random() < 0.5,
        )
    return b.node("separable_conv", x, name, out_channels=3, kernel_size=k, stride=stride, padding=pad)


def random_design(seed: int) -> GraphDocument:
    """Inception-like: an input, maybe a strided layer, then one or two modules of 2-3 branches
    (an optional stride-1 layer, then a layer with the module's stride and a random kernel and
    padding) joined by a concat (or an add of equal channels); sometimes a classifier or an aux head.
    Branches with the same stride but different rounding agree at some sizes and not at others."""
    rng = random.Random(seed)
    b = Builder(f"random {seed}")
    h = rng.randint(6, 16)
    w = h if rng.random() < 0.6 else rng.randint(6, 16)
    x = b.input(channels=2, height=h, width=w)
    n = 0
    if rng.random() < 0.4:
        n += 1
        x = _layer(b, rng, x, f"l{n}", rng.choice([1, 2]), rng.choice(["same", 1, "valid"]))
    for _module in range(rng.randint(1, 2)):
        stride = rng.choice([1, 2, 2, 3, [2, 1]])
        add = rng.random() < 0.25
        ends = []
        for _branch in range(rng.randint(2, 3)):
            y = x
            if rng.random() < 0.4:
                n += 1
                y = _layer(b, rng, y, f"l{n}", 1, "same")
            n += 1
            y = _layer(b, rng, y, f"l{n}", stride)
            if add:  # an add needs equal channels
                n += 1
                y = b.conv(y, f"l{n}", out_channels=3, kernel_size=1)
            ends.append(y)
        x = b.node("add", ends, f"m{n}") if add else b.concat(ends, f"m{n}")
    r = rng.random()
    if r < 0.3:
        b.output(x, num_classes=3, pool=rng.choice(["avg", "flatten"]))
    elif r < 0.4:
        b.node(
            "aux_head", x, "aux", num_classes=3, pool_kernel=rng.randint(1, 3), pool_stride=rng.randint(1, 2), hidden=4
        )
        b.output(x, num_classes=3)
    return b.done(layout=False)


SEEDS = range(25)


@pytest.mark.parametrize("seed", range(60))
def test_analysis_matches_validate_at_every_size(seed):
    doc = random_design(seed)
    rep = validate(doc)
    res = analyse_input_sizes(doc, rep, explain=False, why_smallest=False)
    assert res is not None
    h0, w0 = res.design
    for s in res.height.sizes:
        assert res.works(s, w0) == validate(_at(doc, s, w0)).ok, f"height {s}"
    for s in res.width.sizes:
        assert res.works(h0, s) == validate(_at(doc, h0, s)).ok, f"width {s}"
    # Sizes off the axes: a size works iff its height and its width do (each dimension on its own).
    rng = random.Random(seed)
    for _ in range(25):
        h, w = rng.choice(res.height.sizes), rng.choice(res.width.sizes)
        assert res.works(h, w) == validate(_at(doc, h, w)).ok, f"{h} x {w}"


def test_node_memos_kept_between_analyses_do_not_depend_on_channels():
    """After a channel edit the nodes' memos are reused (see _MEMOS): same answer as from scratch."""
    for seed in range(30):
        doc = random_design(seed)
        assert analyse_input_sizes(doc, explain=False, why_smallest=False) is not None
        (inp,) = [n for n in doc.nodes.values() if n.type_id == "input"]
        doc.set_param(inp.id, "channels", 5)
        for nid, node in doc.nodes.items():
            if "out_channels" in node.params and node.type_id != "stem":
                doc.set_param(nid, "out_channels", 3 + seed % 4)
        reused = analyse_input_sizes(doc, explain=False, why_smallest=False)
        input_sizes._MEMOS.clear()
        input_sizes._CACHE.clear()
        fresh = analyse_input_sizes(doc, explain=False, why_smallest=False)
        assert reused is not None and fresh is not None
        assert reused.height.failures.keys() == fresh.height.failures.keys()
        assert reused.width.failures.keys() == fresh.width.failures.keys()


def _runs_in_torch(doc: GraphDocument, order: list[str], h: int, w: int) -> bool:
    """The design at ``h x w`` built from plain torch.nn node by node (tests/graph/node_reference.py):
    True if torch runs it; False if torch raises or the reference names a reason the designer rejects."""
    outs: dict[str, torch.Tensor] = {}
    for nid in order:
        node = doc.nodes[nid]
        if node.type_id == "input":
            outs[nid] = torch.zeros(1, node.params["channels"], h, w)
            continue
        xs = [outs[e.src] for e in doc.in_edges(nid)]
        try:
            _, outs[nid] = reference(node.type_id, node.params, xs)
        except DesignReason:
            return False
        except TORCH_ERRORS:
            return False
    return True


@pytest.mark.parametrize("seed", SEEDS)
def test_analysis_against_torch(seed):
    doc = random_design(seed)
    order = validate(doc).order
    res = analyse_input_sizes(doc, explain=False, why_smallest=False)
    assert res is not None
    h0, w0 = res.design
    cases = [(s, w0) for s in res.height.sizes] + [(h0, s) for s in res.width.sizes if s != w0]
    for h, w in cases:
        works = res.works(h, w)
        assert works == _runs_in_torch(doc, order, h, w), (
            f"{h} x {w}: the analysis says {'works' if works else 'fails'}"
        )
        if works:
            at = _at(doc, h, w)
            rep = validate(at)
            model = compile_model(at, init=False).eval()
            with torch.no_grad():
                y = model(torch.zeros(1, 2, h, w))
            if rep.output_id is not None and doc.nodes[rep.output_id].type.role != "aux":
                assert tuple(y.shape[1:]) == rep.shapes[rep.output_id]


def test_random_designs_cover_both_verdicts():
    """The generator is worth its time: the designs break at some sizes and work at others."""
    verdicts = []
    for seed in SEEDS:
        res = analyse_input_sizes(random_design(seed), explain=False, why_smallest=False)
        assert res is not None
        verdicts.append((res.design_works, res.smallest is not None, res.has_breaks))
    assert sum(v == (True, True, True) for v in verdicts) >= 2  # works at its size, breaks at others
    assert sum(v == (False, True, True) for v in verdicts) >= 2  # the reverse
    assert sum(v == (True, True, False) for v in verdicts) >= 3  # works at every size from the smallest
    assert sum(v[1] for v in verdicts) >= len(verdicts) // 3
