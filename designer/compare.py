"""``inception-designer compare A.json B.json ...``: designs side by side.

Per design: parameters (the inference graph, and with the aux heads), multiply-adds per
image and activation memory (fp32, batch 1), all from :func:`designer.graph.cost.compute_costs`;
with ``--latency`` the measured CPU latency of the compiled model at batch 1 and 32; and the
best validation accuracy and training images/s of the design's latest run, where its run
folder (``<design>.runs/``, beside the file, as the app keeps them) holds one.

Latency: each design is compiled (:func:`designer.compiler.build.compile_model`), put in eval
mode and run under ``torch.inference_mode`` on random input, with a fixed number of torch
threads. After warm-up runs, each timed sample runs the model enough times to take about
20 ms (at least once) and gives the time of one run; the designs and batch sizes take turns
sample by sample, so a slower or faster spell of the machine falls on all of them alike.
Reported: the median, the quartiles and the min-max of the samples.

Without ``--latency`` nothing here loads torch. Exit codes as the other commands: 0 all
designs are valid, 1 a design has errors, 2 a file cannot be read (the others are still
listed).
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["compare", "format_table", "latest_run", "measure_latency", "pareto", "run", "variant_rows"]

EXIT_OK, EXIT_DESIGN_ERRORS, EXIT_UNREADABLE = 0, 1, 2
BATCH_SIZES = (1, 32)
#: A timed sample runs the model this long at least (a fast model: several runs per sample).
SAMPLE_S = 0.02


def latest_run(design_file: str | Path) -> dict[str, Any] | None:
    """The latest run in ``<design>.runs/`` as plain data, or None when there is none."""
    from .training.checkpoint import list_runs

    runs = list_runs(Path(design_file).with_suffix(".runs"))
    if not runs:
        return None
    info = runs[-1]
    epochs = [e for e in info.get("epochs") or [] if isinstance(e, dict)]
    speeds = [e.get("images_per_s") for e in epochs if isinstance(e.get("images_per_s"), (int, float))]
    best = info.get("best_val_accuracy")
    if best is None:
        accs = [e.get("val_accuracy") for e in epochs if isinstance(e.get("val_accuracy"), (int, float))]
        best = max(accs) if accs else None
    return {
        "dir": info.get("dir", ""),
        "id": Path(info.get("dir", "")).name,
        "status": info.get("status", ""),
        "epochs": len(epochs),
        "best_val_accuracy": best,
        "final_val_accuracy": info.get("final_val_accuracy"),
        # The training throughput of the run's last epoch (validation not counted).
        "images_per_s": speeds[-1] if speeds else None,
        "device": info.get("device", ""),
        "started_at": info.get("started_at", ""),
        "params": info.get("params"),
        "macs": info.get("macs"),
    }


def _design(path: str) -> tuple[dict[str, Any], Any]:
    """One design's row (and its document, None when it cannot be compiled)."""
    from .graph.cost import compute_costs
    from .graph.validate import validate
    from .io.project import ProjectError, load

    row: dict[str, Any] = {"file": path, "name": None, "valid": False, "errors": []}
    try:
        doc = load(path)
    except ProjectError as exc:
        row["unreadable"] = str(exc)
        return row, None
    row["name"] = doc.name
    rep = validate(doc)
    row["valid"] = rep.ok
    row["errors"] = [
        f"{doc.nodes[d.node_id].name if d.node_id in doc.nodes else doc.name}: {d.message}" for d in rep.errors
    ]
    figures = {
        "params": None, "params_with_aux": None, "aux_params": None, "macs": None, "macs_with_aux": None,
        "activation_bytes": None, "activation_bytes_with_aux": None,
    }  # fmt: skip
    if rep.ok:
        c = compute_costs(doc, rep)
        figures = {
            "params": c.inference.params, "params_with_aux": c.total.params, "aux_params": c.aux_params,
            "macs": c.inference.macs, "macs_with_aux": c.total.macs,
            "activation_bytes": c.inference.activation_bytes, "activation_bytes_with_aux": c.total.activation_bytes,
        }  # fmt: skip
    row.update(figures)
    row["latency"] = None
    run = latest_run(path)
    if run is not None:
        # The run trained the design as it was then: say so when the figures have changed since.
        run["matches_design"] = rep.ok and (run["params"], run["macs"]) == (row["params"], row["macs"])
    row["run"] = run
    return row, doc if rep.ok else None


def _summary(samples: list[float]) -> dict[str, Any]:
    ms = sorted(1000 * s for s in samples)
    q = statistics.quantiles(ms, n=4, method="inclusive") if len(ms) > 1 else [ms[0], ms[0], ms[0]]
    return {
        "median_ms": statistics.median(ms),
        "q1_ms": q[0],
        "q3_ms": q[2],
        "min_ms": ms[0],
        "max_ms": ms[-1],
        "samples": len(ms),
    }


class Cancelled(Exception):
    """The measurement was stopped (``measure_latency``'s ``cancelled`` said so)."""


def measure_latency(
    docs: dict[int, Any],
    *,
    threads: int,
    repeats: int,
    warmup: int,
    batch_sizes: tuple[int, ...] = BATCH_SIZES,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> tuple[dict[int, dict[str, Any]], dict[str, Any]]:
    """CPU latency of each design (by row index) at each batch size; and the set-up used.

    ``progress(done, total)`` is called after each step (a model compiled and warmed up, a
    round of samples); ``cancelled()``, asked as often, stops it with :class:`Cancelled`."""
    steps = len(docs) + max(1, repeats)
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, steps)
        if cancelled is not None and cancelled():
            raise Cancelled()

    import torch

    from .compiler.build import compile_model
    from .compiler.plan import CompileError

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    results: dict[int, dict[str, Any]] = {}
    try:
        cases: list[tuple[int, int, Any, Any, int]] = []  # (row, batch, model, input, runs per sample)
        with torch.inference_mode():
            for i, doc in docs.items():
                try:
                    model = compile_model(doc, seed=0).eval()
                except CompileError as exc:
                    results[i] = {"error": str(exc)}
                    step()
                    continue
                results[i] = {}
                for b in batch_sizes:
                    x = torch.randn(b, *model.input_shape, generator=torch.Generator().manual_seed(b))
                    for _ in range(max(0, warmup)):
                        model(x)
                    t = time.perf_counter()
                    model(x)
                    one = time.perf_counter() - t
                    cases.append((i, b, model, x, max(1, min(100, math.ceil(SAMPLE_S / max(one, 1e-6))))))
                step()
            samples: dict[tuple[int, int], list[float]] = {(i, b): [] for i, b, *_ in cases}
            for _ in range(max(1, repeats)):
                for i, b, model, x, inner in cases:
                    t = time.perf_counter()
                    for _ in range(inner):
                        model(x)
                    samples[(i, b)].append((time.perf_counter() - t) / inner)
                step()
        for (i, b), s in samples.items():
            fig = _summary(s)
            fig["images_per_s"] = b / (fig["median_ms"] / 1000)
            results[i][f"batch_{b}"] = fig
    finally:
        torch.set_num_threads(before)
    setup = {
        "device": "cpu",
        "threads": threads,
        "warmup": warmup,
        "repeats": max(1, repeats),
        "batch_sizes": list(batch_sizes),
        "torch": torch.__version__.split("+")[0],
        "mode": "eval, torch.inference_mode, fp32, random input",
    }
    return results, setup


def compare(
    files: list[str], *, latency: bool = False, threads: int = 0, repeats: int = 7, warmup: int = 2
) -> tuple[dict[str, Any], int]:
    """The comparison as plain data (what ``--json`` prints) and the exit code."""
    rows: list[dict[str, Any]] = []
    docs: dict[int, Any] = {}
    for i, path in enumerate(files):
        row, doc = _design(path)
        rows.append(row)
        if doc is not None:
            docs[i] = doc
    setup = None
    if latency and docs:
        if threads <= 0:
            from .training.threads import default_cpu_threads

            threads = default_cpu_threads()
        measured, setup = measure_latency(docs, threads=threads, repeats=repeats, warmup=warmup)
        for i, fig in measured.items():
            rows[i]["latency"] = fig
    code = EXIT_OK
    if any(not r["valid"] for r in rows):
        code = EXIT_DESIGN_ERRORS
    if any("unreadable" in r for r in rows):
        code = EXIT_UNREADABLE
    return {"designs": rows, "latency_setup": setup}, code


# ------------------------------------------------------------------------------ the table
def _num(n: int | None) -> str:
    return "–" if n is None else f"{n:,}"


def _mib(n: int | None) -> str:
    return "–" if n is None else f"{n / 2**20:.2f}"


def _lat(row: dict[str, Any], b: int) -> str:
    lat = row.get("latency") or {}
    if "error" in lat:
        return "cannot compile"
    fig = lat.get(f"batch_{b}")
    if not fig:
        return "–"
    med = fig["median_ms"]
    d = 3 if med < 1 else 2 if med < 10 else 1 if med < 100 else 0  # three significant digits for the median
    return f"{med:.{d}f} ({fig['min_ms']:.{d}f}-{fig['max_ms']:.{d}f})"


def _labels(rows: list[dict[str, Any]]) -> list[str]:
    """Each design's label: the file's name, or its path where two share a name."""
    stems = [Path(r["file"]).name for r in rows]
    return [s if stems.count(s) == 1 else r["file"] for s, r in zip(stems, rows, strict=True)]


def format_table(data: dict[str, Any]) -> str:
    """The comparison as a text table with notes under it."""
    rows = data["designs"]
    setup = data.get("latency_setup")
    head = ["design", "name", "params", "params+aux", "MACs", "act. MiB"]
    if setup:
        head += [f"b{b} ms (min-max)" for b in setup["batch_sizes"]]
    head += ["best val acc", "train img/s"]
    table = [head]
    notes: list[str] = []
    for label, r in zip(_labels(rows), rows, strict=True):
        if "unreadable" in r:
            line = [label, "(unreadable)"] + ["–"] * (len(head) - 2)
            table.append(line)
            notes.append(f"{label}: cannot be read: {r['unreadable']}")
            continue
        line = [label, r["name"], _num(r["params"]), _num(r["params_with_aux"]), _num(r["macs"])]
        line.append(_mib(r["activation_bytes"]))
        if setup:
            line += [_lat(r, b) if r["valid"] else "–" for b in setup["batch_sizes"]]
        run = r.get("run")
        if run is not None:
            acc, ips = run["best_val_accuracy"], run["images_per_s"]
            line += [f"{acc:.1%}" if acc is not None else "–", f"{ips:,.0f}" if ips is not None else "–"]
            if not run["matches_design"] and r["valid"]:
                notes.append(f"{label}: its latest run ({run['id']}) trained an earlier version of the design")
        else:
            line += ["–", "–"]
        table.append(line)
        if not r["valid"]:
            n = len(r["errors"])
            notes.append(f"{label}: {n} error{'s' * (n != 1)}: " + "; ".join(r["errors"][:3]) + (" …" if n > 3 else ""))
        lat = r.get("latency") or {}
        if "error" in lat:
            notes.append(f"{label}: cannot be compiled for timing: {lat['error']}")
    widths = [max(len(str(line[i])) for line in table) for i in range(len(head))]
    out = []
    for k, line in enumerate(table):
        cells = [
            str(v).ljust(w) if i < 2 else str(v).rjust(w) for i, (v, w) in enumerate(zip(line, widths, strict=True))
        ]
        out.append("  ".join(cells).rstrip())
        if k == 0:
            out.append("  ".join("-" * w for w in widths))
    foot = [
        "params: the inference graph (aux heads dropped); params+aux: with the aux heads; "
        "MACs: per image, inference graph; act.: activations, fp32, batch 1, inference graph."
    ]
    if setup:
        threads = f"{setup['threads']} thread{'s' * (setup['threads'] != 1)}"
        foot.append(
            f"b1, b32 ms: CPU latency per batch of 1 and 32 images, {threads}, torch {setup['torch']}, eval mode "
            f"under inference_mode; median (min-max) of {setup['repeats']} timed samples after "
            f"{setup['warmup']} warm-up runs, the designs taking turns."
        )
    foot.append(
        "best val acc, train img/s: the latest run in the design's NAME.runs/ folder "
        "(its best validation accuracy; training images/s of its last epoch)."
    )
    out.append("")
    for text in foot + notes:
        out += textwrap.wrap(text, width=100, subsequent_indent="  ", break_on_hyphens=False)
    return "\n".join(out)


def run(args: Any) -> int:
    """The ``compare`` command: print the table (or JSON); returns the exit code."""
    data, code = compare(
        list(args.files), latency=args.latency, threads=args.threads, repeats=args.repeats, warmup=args.warmup
    )
    for r in data["designs"]:
        if "unreadable" in r:
            print(f"error: {r['unreadable']}", file=sys.stderr)
    if args.json:
        json.dump(data, sys.stdout, indent=2)
        print()
    else:
        print(format_table(data))
    return code


# ------------------------------------------------------------------------------ variants
def variant_rows(doc: Any, runs_dir: str | Path | None = None) -> list[dict[str, Any]]:
    """One row per variant of the project (the active one included), in project order.

    The same figures as :func:`compare`'s rows, plus ``variant`` (its name) and ``active``; a
    run belongs to a variant when it trained the same parameters and MACs (the latest such run
    in ``runs_dir`` gives best validation accuracy and images/s).
    """
    from .graph import variants
    from .graph.cost import compute_costs
    from .graph.validate import validate
    from .training.checkpoint import list_runs

    runs = list_runs(runs_dir) if runs_dir is not None else []
    rows = []
    for name in variants.names(doc):
        design = variants.design_of(doc, name)
        rep = validate(design)
        row: dict[str, Any] = {"variant": name, "active": name == doc.variant, "valid": rep.ok, "latency": None}
        row["errors"] = [d.message for d in rep.errors]
        row["params"] = row["macs"] = row["activation_bytes"] = row["params_with_aux"] = None
        row["run"] = None
        if rep.ok:
            c = compute_costs(design, rep)
            row.update(
                params=c.inference.params,
                params_with_aux=c.total.params,
                macs=c.inference.macs,
                activation_bytes=c.inference.activation_bytes,
            )
            mine = [
                r
                for r in runs
                if (r.get("params"), r.get("macs"))
                in ((c.total.params, c.total.macs), (c.inference.params, c.inference.macs))
            ]
            if mine:
                info = mine[-1]
                epochs = [e for e in info.get("epochs") or [] if isinstance(e, dict)]
                accs = [e["val_accuracy"] for e in epochs if isinstance(e.get("val_accuracy"), (int, float))]
                speeds = [e["images_per_s"] for e in epochs if isinstance(e.get("images_per_s"), (int, float))]
                best = info.get("best_val_accuracy")
                row["run"] = {
                    "id": Path(info.get("dir", "")).name,
                    "best_val_accuracy": best if best is not None else (max(accs) if accs else None),
                    "images_per_s": speeds[-1] if speeds else None,
                }
        rows.append(row)
    return rows


def pareto(points: list[tuple[float, float]], maximise_y: bool = False) -> list[int]:
    """Indices of the points no other point beats on both x (less is better) and y.

    y is better when lower (parameters), or when higher with ``maximise_y`` (accuracy).
    """
    sign = -1.0 if maximise_y else 1.0
    out = []
    for i, (x, y) in enumerate(points):
        beaten = any(
            (x2 <= x and sign * y2 <= sign * y) and (x2 < x or sign * y2 < sign * y)
            for j, (x2, y2) in enumerate(points)
            if j != i
        )
        if not beaten:
            out.append(i)
    return out
