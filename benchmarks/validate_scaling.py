"""How long validation + shape inference + costs take, against graph size and against torch.

Run: ``.venv/bin/python benchmarks/validate_scaling.py [--quick]``

Prints one row per graph: node count, the median time of ``validate(doc)`` followed by
``compute_costs(doc, report)`` (what the app runs after every edit), the time per node
(flat when growth is linear; an edit is an incremental update since edit_latency.py's work, so
its time per node falls as the graph grows), and for comparison the same model's shape propagation
through torch on the 'meta' device (compiled with ``compile_model(doc, init=False)``,
moved to meta, a meta tensor run through it; only the forward is timed).

Targets (issue #2): the GoogLeNet-sized graph well under 5 ms; linear growth; at least
20x faster than the meta pass. Timings on a shared machine are noisy: medians of many
runs, garbage collection left on (as in the app), both measurements in the same process.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from designer.graph.builder import Builder  # noqa: E402
from designer.graph.cost import compute_costs  # noqa: E402
from designer.graph.document import GraphDocument  # noqa: E402
from designer.graph.validate import validate  # noqa: E402

#: The card module (1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj): 64 + 128 + 32 + 32 = 256 channels.
CARD = (64, 96, 128, 16, 32, 32)


def inception(b: Builder, x: str, name: str, spec: tuple[int, ...]) -> str:
    """One Inception module as 8 nodes: four branches and the concat, grouped."""
    c1, r3, c3, r5, c5, pp = spec
    b.begin_group()
    br1 = b.conv(x, f"{name}_1x1", out_channels=c1, kernel_size=1)
    br2 = b.conv(b.conv(x, f"{name}_3r", out_channels=r3, kernel_size=1), f"{name}_3x3", out_channels=c3)
    br3 = b.conv(b.conv(x, f"{name}_5r", out_channels=r5, kernel_size=1), f"{name}_5x5", out_channels=c5, kernel_size=5)
    pool = b.pool(x, f"{name}_pool", kernel_size=3, stride=1, padding="same")
    out = b.concat([br1, br2, br3, b.conv(pool, f"{name}_proj", out_channels=pp, kernel_size=1)], name)
    b.end_group(name)
    return out


def inception_chain(modules: int) -> GraphDocument:
    """``modules`` card modules in a row at 28 x 28 (8 nodes each, plus input and output).

    Module ``i`` widens its 1x1 branch to ``64 + i`` channels, so no two modules (and no two
    nodes) see the same input: a cold run cannot reuse one module's inference for the next.
    """
    b = Builder(f"chain of {modules} modules")
    x = b.input(channels=256, height=28, width=28)
    for i in range(modules):
        x = inception(b, x, f"m{i}", (CARD[0] + i, *CARD[1:]))
    b.output(x, num_classes=1000)
    return b.done(layout=False)


def googlenet() -> GraphDocument:
    """The shipped GoogLeNet example (the paper's Table 1, with its two aux heads on 4a and 4d)."""
    from designer.examples import build

    return build("googlenet")


def clear_caches() -> None:
    """Forget every memoised inference and cost figure, and every document's previous analysis
    (a cold start: no incremental update)."""
    from designer.graph import cost
    from designer.graph import validate as validate_module

    getattr(validate_module, "_INFER_CACHE", {}).clear()
    getattr(cost, "_FIGURES", {}).clear()
    forget = getattr(validate_module, "forget", None)
    if forget is not None:
        forget()


def median_time(
    fn: Callable[[], object], budget_s: float, setup: Callable[[], object] | None = None, max_runs: int = 2000
) -> float:
    """Median seconds of ``fn()`` (``setup()`` untimed before each run) within ``budget_s``."""
    fn()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < 5 or (len(times) < max_runs and time.perf_counter() - start < budget_s):
        if setup is not None:
            setup()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def core(doc: GraphDocument) -> None:
    compute_costs(doc, validate(doc))


def editor(doc: GraphDocument) -> Callable[[], None]:
    """An edit of one node (the classifier's class count), as between two validations in the app."""
    head = next(n for n in doc.nodes.values() if n.type_id == "output")
    values = [1000, 999]

    def edit() -> None:
        values.reverse()
        doc.set_param(head.id, "num_classes", values[0])

    return edit


def meta_forward(doc: GraphDocument) -> Callable[[], None] | None:
    """The torch reference: the compiled model's forward on the meta device (shapes only)."""
    try:
        import torch

        from designer.compiler.build import compile_model
    except ImportError:
        return None
    torch.set_num_threads(1)
    if len(doc.nodes) <= 200:
        model = compile_model(doc, init=False).to("meta")
    else:  # do not allocate gigabytes of real weights only to move them to meta
        with torch.device("meta"):
            model = compile_model(doc, init=False)
    model.eval()
    x = torch.empty(1, *model.input_shape, device="meta")

    def run() -> None:
        with torch.no_grad():
            model(x)

    return run


def measure(doc: GraphDocument, budget_s: float, meta: bool) -> dict[str, float]:
    rep = validate(doc)
    assert rep.ok, [d.message for d in rep.errors]
    edit = editor(doc)
    out = {
        "cold": median_time(lambda: core(doc), budget_s, setup=clear_caches),
        "edit": median_time(lambda: core(doc), budget_s, setup=edit),
        # validate alone: structure checks + shape inference, the "validate + infer shapes"
        "vcold": median_time(lambda: validate(doc), budget_s, setup=clear_caches),
        "vedit": median_time(lambda: validate(doc), budget_s, setup=edit),
    }
    forward = meta_forward(doc) if meta else None
    if forward is not None:
        out["meta"] = median_time(forward, budget_s, max_runs=300)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter timing budgets")
    parser.add_argument("--no-meta", action="store_true", help="skip the torch meta-device comparison")
    args = parser.parse_args(argv)
    budget = 1.0 if args.quick else 3.0
    gc.collect()

    graphs: list[tuple[str, Callable[[], GraphDocument]]] = [
        ("GoogLeNet + 2 aux heads", googlenet),
        ("12 Inception modules", lambda: inception_chain(12)),
        ("125 Inception modules", lambda: inception_chain(125)),
        ("1250 Inception modules", lambda: inception_chain(1250)),
    ]
    print("cold: validate + compute_costs with empty caches; edit: the same after changing one node;")
    print("meta: the compiled model's forward on torch's meta device. Medians.\n")
    header = (
        f"{'graph':<24} {'nodes':>6} {'cold':>10} {'per node':>9} {'edit':>10} {'per node':>9} "
        f"{'torch meta':>11} {'meta/cold':>9} {'meta/edit':>9}"
    )
    print(header)
    print("-" * len(header))
    rows = []
    for label, make in graphs:
        doc = make()
        n = len(doc.nodes)
        t = measure(doc, budget if n < 5000 else 2 * budget, not args.no_meta)
        rows.append((label, n, t))
        meta = t.get("meta")
        line = (
            f"{label:<24} {n:>6} {t['cold'] * 1e3:8.2f}ms {t['cold'] / n * 1e6:7.1f}us "
            f"{t['edit'] * 1e3:8.2f}ms {t['edit'] / n * 1e6:7.1f}us "
        )
        if meta is not None:
            line += f"{meta * 1e3:9.2f}ms {meta / t['cold']:8.1f}x {meta / t['edit']:8.1f}x"
        print(line, flush=True)

    print()
    per_node = [t["cold"] / n for _, n, t in rows[1:]]
    print(f"cold: per-node time, largest / smallest chain = {max(per_node) / min(per_node):.2f} (1 = linear)")
    edits = [t["edit"] for _, _, t in rows[1:]]
    print(
        f"edit: an update of the previous analysis (the nodes the edit reaches); largest / smallest chain "
        f"= {max(edits) / min(edits):.2f} for {rows[-1][1] / rows[1][1]:.0f}x the nodes"
    )
    print()
    print("validate alone (structure + shape inference, no cost figures):")
    for label, _n, t in rows:
        line = f"  {label:<24} cold {t['vcold'] * 1e3:8.2f} ms   after an edit {t['vedit'] * 1e3:8.2f} ms"
        if "meta" in t:
            line += f"   meta/cold {t['meta'] / t['vcold']:5.1f}x   meta/edit {t['meta'] / t['vedit']:5.1f}x"
        print(line)
    g = rows[0][2]
    print()
    print(f"GoogLeNet: cold {g['cold'] * 1e3:.2f} ms, after an edit {g['edit'] * 1e3:.2f} ms (target < 5 ms)")
    if "meta" in g:
        print(
            f"GoogLeNet vs meta pass, validate + costs: {g['meta'] / g['cold']:.1f}x cold, "
            f"{g['meta'] / g['edit']:.1f}x after an edit"
        )
        print(
            f"GoogLeNet vs meta pass, validate alone:   {g['meta'] / g['vcold']:.1f}x cold, "
            f"{g['meta'] / g['vedit']:.1f}x after an edit (target >= 20x)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
