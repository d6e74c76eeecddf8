"""Random designs for the differential tests: DAGs of every node type (merges, strides,
dilation, ceil_mode, groups, asymmetric kernels, separable convs, stems, every branch
factorization, aux heads, groups as blocks), and what torch sees when the compiled model runs
(each node's output shape through forward hooks, and the MACs of its convs and linears)."""

from __future__ import annotations

from typing import Any

import torch
from hypothesis import strategies as st

from designer.graph.builder import Builder
from designer.graph.document import GraphDocument
from designer.graph.validate import validate

__all__ = ["designs", "hook_shapes", "params_for"]

ACTS = ("relu", "relu6", "gelu", "silu", "none")
LAYER_TYPES = (
    "conv",
    "conv",
    "separable_conv",
    "stem",
    "branch",
    "branch",
    "pool",
    "global_avg_pool",
    "concat",
    "concat",
    "add",
    "add",
    "batch_norm",
    "activation",
    "dropout",
    "flatten",
    "linear",
    "lrn",
)

FLAT_TYPES = ("concat", "add", "batch_norm", "activation", "dropout", "linear", "linear")
MAP_TYPES = tuple(t for t in LAYER_TYPES if t != "linear")


def _k(draw) -> int | list[int]:
    if draw(st.integers(0, 3)) == 0:
        return [draw(st.integers(1, 4)), draw(st.integers(1, 4))]
    return draw(st.sampled_from((1, 3, 2, 4, 5)))


def _stride(draw) -> int | list[int]:
    if draw(st.integers(0, 5)) == 0:
        return [draw(st.integers(1, 3)), draw(st.integers(1, 3))]
    return draw(st.sampled_from((1, 2, 1, 1, 3)))


def _padding(draw) -> Any:
    return draw(st.sampled_from(("same", "valid", "same", 0, 1, 2, [0, 1], [1, 2])))


def _conv_tail(draw) -> dict[str, Any]:
    bn = draw(st.booleans())
    return {"bias": not bn, "batch_norm": bn, "activation": draw(st.sampled_from(ACTS))}


def params_for(draw, type_id: str) -> dict[str, Any]:
    ch = st.integers(1, 6)
    if type_id == "conv":
        return {
            "out_channels": draw(st.sampled_from((2, 3, 4, 6))),
            "kernel_size": _k(draw),
            "stride": _stride(draw),
            "padding": _padding(draw),
            "dilation": draw(st.sampled_from((1, 2, 1, [1, 2]))),
            "groups": draw(st.sampled_from((1, 2, 1, 3))),
            **_conv_tail(draw),
        }
    if type_id == "separable_conv":
        return {
            "out_channels": draw(ch),
            "kernel_size": _k(draw),
            "stride": _stride(draw),
            "padding": _padding(draw),
            "dilation": draw(st.sampled_from((1, 2))),
            "depth_multiplier": draw(st.integers(1, 2)),
            **_conv_tail(draw),
        }
    if type_id == "stem":
        return {
            "out_channels": draw(ch),
            "kernel_size": _k(draw),
            "stride": _stride(draw),
            "padding": _padding(draw),
            **_conv_tail(draw),
            "pool": draw(st.sampled_from(("max", "avg", "none"))),
            "pool_kernel": draw(st.integers(1, 3)),
            "pool_stride": draw(st.integers(1, 2)),
            "pool_padding": draw(st.sampled_from((0, 1, "same", "valid"))),
            "ceil_mode": draw(st.booleans()),
        }
    if type_id == "branch":
        return {
            "reduce_channels": draw(st.integers(0, 3)),
            "out_channels": draw(ch),
            "kernel_size": draw(st.integers(1, 5)),
            "factorize": draw(st.sampled_from(("none", "stacked 3x3", "asymmetric"))),
            "mid_channels": draw(st.integers(0, 3)),
            "stride": _stride(draw),
            "padding": draw(st.sampled_from(("same", "valid"))),
            **_conv_tail(draw),
        }
    if type_id == "pool":
        return {
            "mode": draw(st.sampled_from(("max", "avg"))),
            "kernel_size": _k(draw),
            "stride": _stride(draw),
            "padding": draw(st.sampled_from((0, 0, 1, "same", "valid", [0, 1]))),
            "ceil_mode": draw(st.booleans()),
            "count_include_pad": draw(st.booleans()),
        }
    if type_id == "global_avg_pool":
        return {"flatten": draw(st.booleans())}
    if type_id == "add":
        return {"scale": draw(st.sampled_from((1.0, 0.5, 0.17))), "activation": draw(st.sampled_from(ACTS))}
    if type_id == "activation":
        return {"kind": draw(st.sampled_from(ACTS))}
    if type_id == "dropout":
        return {"p": draw(st.sampled_from((0.0, 0.3)))}
    if type_id == "linear":
        return {"out_features": draw(ch), "bias": draw(st.booleans())}
    if type_id == "lrn":
        return {"size": draw(st.integers(1, 4))}
    return {}


@st.composite
def designs(draw) -> GraphDocument:
    b = Builder("random")
    x = b.input(channels=draw(st.integers(1, 4)), height=draw(st.integers(6, 16)), width=draw(st.integers(6, 16)))
    values = [x]
    shapes = {x: validate(b.doc).shapes[x]}
    for _ in range(draw(st.integers(2, 8))):
        src = draw(st.sampled_from(values))
        flat = shapes.get(src) is not None and len(shapes[src]) == 1
        pool = LAYER_TYPES
        if draw(st.integers(0, 5)):  # mostly a type that fits the input; sometimes anything
            pool = FLAT_TYPES if flat else MAP_TYPES
        type_id = draw(st.sampled_from(pool))
        params = params_for(draw, type_id)
        if type_id in ("concat", "add"):
            n = draw(st.integers(1, 3))
            first = src
            # Mostly inputs that fit (same H x W for concat, same shape for add), sometimes any.
            if draw(st.integers(0, 4)):
                s0 = shapes.get(first)
                same = [
                    v
                    for v in values
                    if shapes.get(v) is not None
                    and s0 is not None
                    and (shapes[v] == s0 if type_id == "add" else shapes[v][1:] == s0[1:] and len(shapes[v]) == len(s0))
                ]
                ins = [first] + [draw(st.sampled_from(same or values)) for _ in range(n)]
            else:
                ins = [first] + [draw(st.sampled_from(values)) for _ in range(n)]
        else:
            ins = src
        node = b.node(type_id, ins, None, **params)
        shape = validate(b.doc).shapes[node]
        if shape is None and draw(st.integers(0, 3)):  # mostly drop a node that does not fit
            b.doc.remove_node(node)
            continue
        values.append(node)
        shapes[node] = shape
    b.output(
        draw(st.sampled_from(values)), num_classes=draw(st.integers(1, 4)), dropout=draw(st.sampled_from((0.0, 0.5)))
    )
    for _ in range(draw(st.integers(0, 2))):
        two = draw(st.booleans())
        b.node(
            "aux_head",
            draw(st.sampled_from(values)),
            None,
            num_classes=draw(st.integers(1, 3)),
            pool_kernel=draw(st.integers(1, 3)),
            pool_stride=draw(st.integers(1, 2)),
            conv_channels=draw(st.integers(1, 4)),
            conv2_channels=draw(st.integers(1, 3)) if two else 0,
            conv2_kernel=draw(st.integers(1, 2)),
            hidden=draw(st.sampled_from((0, 5))),
            dropout=draw(st.sampled_from((0.0, 0.7))),
            **_conv_tail(draw),
        )
    # Random groups (blocks): some convex, some not, some overlapping.
    ids = list(b.doc.nodes)
    for gi in range(draw(st.integers(0, 2))):
        members = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=5, unique=True))
        b.doc.add_group(f"block {gi}", members)
    return b.done(layout=False)


def hook_shapes(model, doc: GraphDocument, x: torch.Tensor) -> tuple[dict[str, tuple[int, ...]], int]:
    seen: dict[str, tuple[int, ...]] = {}
    macs = 0
    handles = []

    def node_hook(nid):
        def hook(_m, _inp, out):
            seen[nid] = tuple(out.shape[1:])

        return hook

    def mac_hook(m, inp, out):
        nonlocal macs
        n = out.shape[0]
        if isinstance(m, torch.nn.Conv2d):
            macs += out.numel() // n * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
        else:
            macs += m.in_features * m.out_features

    for nid, path in model.node_paths.items():
        handles.append(model.get_submodule(path).register_forward_hook(node_hook(nid)))
    for m in model.modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
            handles.append(m.register_forward_hook(mac_hook))
    try:
        model(x)
    finally:
        for h in handles:
            h.remove()
    return seen, macs
