"""Edit latency on a design that expands to 10,000 nodes: from one edit to the canvas.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/edit_latency.py [--quick] [--no-canvas]``

Two designs of the same network, 1,250 Inception-like blocks in a chain at 256 x 28 x 28
(each block eight nodes: four branches of 1x1, 1x1 -> 3x3, 1x1 -> 5x5, 3x3 pool -> 1x1
projection, and their concat), between an Input and an Output:

* **modules**: one module definition (the eight nodes between a ``Module input`` and a
  ``Module output``, its six widths exposed as ``ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5,
  pool_proj``) and 1,250 instances of it (1,252 nodes);
* **flat**: the same design expanded (:func:`designer.graph.expand.expand`), 10,002 nodes.

Edits (each a real change: every repeat sets a value the design has not had just before):

* *instance param*: ``ch1x1`` of the middle instance (its output widens, so the next
  instance sees a new input and is validated for it once; the rest are unchanged);
* *definition param*: the kernel of the 3x3 conv inside the definition, 3 <-> 5 (every
  instance is validated again: one inner validation, then the memo);
* *node param* (flat): ``out_channels`` of the middle block's 1x1 conv.

Columns: ``set`` is the edit alone (the document's ``set_param``, with what its listeners do);
``analysis`` is the edit plus what :meth:`designer.ui.session.Session._analyse`
runs after it (``validate`` + ``compute_costs`` + ``lint``), split into its three parts;
``canvas`` is the edit pushed on the session's undo stack (the analysis runs inside the
push, the scene applies the report), the posted events processed and the view (1280 x 800,
centred on the edited node) repainted; ``(apply)`` is the part of it in the scene's
``apply_report`` (every node and edge item's shape text and problem state). Medians of repeats on a shared machine (noisy);
``cpu`` columns are the process's CPU time for the same runs (less sensitive to other
load). ``target`` is the issue's: 16 ms (one frame at 60 Hz) for an instance edit, 100 ms
for a definition edit; the flat design's node edit is given against the 16 ms frame too.
Ratios are measured / target (below 1 meets it). Nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("INCEPTION_DESIGNER_HOME", tempfile.mkdtemp(prefix="id-bench-"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from designer.graph.cost import compute_costs  # noqa: E402
from designer.graph.document import GraphDocument  # noqa: E402
from designer.graph.expand import expand  # noqa: E402
from designer.graph.layout import apply_layout  # noqa: E402
from designer.graph.lint import lint  # noqa: E402
from designer.graph.modules import ExposedParam, ModuleDef  # noqa: E402
from designer.graph.validate import validate  # noqa: E402

#: The card's module widths: 1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool projection (256 channels out).
WIDTHS = {"ch1x1": 64, "ch3x3red": 96, "ch3x3": 128, "ch5x5red": 16, "ch5x5": 32, "pool_proj": 32}
BLOCKS = 1250
TARGETS = {"instance param": 16.0, "definition param": 100.0, "node param": 16.0}


def module_design(blocks: int = BLOCKS, layout: bool = True) -> tuple[GraphDocument, ModuleDef]:
    """``blocks`` instances of one 8-node Inception module in a chain (see the module docstring)."""
    doc = GraphDocument(f"{blocks} module instances", "benchmark")
    lib = doc.library
    d = lib.new_def("Inception")
    body = d.body

    def node(type_id: str, srcs: list[str], name: str, **params: object) -> str:
        nid = body.add_node(type_id, name, params).id
        for s in srcs:
            body.connect(s, nid)
        return nid

    x = node("module_input", [], "x", channels=256, height=28, width=28)
    b1 = node("conv", [x], "b1", out_channels=WIDTHS["ch1x1"], kernel_size=1)
    r3 = node("conv", [x], "r3", out_channels=WIDTHS["ch3x3red"], kernel_size=1)
    c3 = node("conv", [r3], "c3", out_channels=WIDTHS["ch3x3"], kernel_size=3)
    r5 = node("conv", [x], "r5", out_channels=WIDTHS["ch5x5red"], kernel_size=1)
    c5 = node("conv", [r5], "c5", out_channels=WIDTHS["ch5x5"], kernel_size=5)
    pool = node("pool", [x], "pool", kernel_size=3, stride=1, padding="same")
    proj = node("conv", [pool], "proj", out_channels=WIDTHS["pool_proj"], kernel_size=1)
    cat = node("concat", [b1, c3, c5, proj], "cat")
    node("module_output", [cat], "out")
    lib.add(d)
    inner = dict(zip(WIDTHS, (b1, r3, c3, r5, c5, proj), strict=True))
    lib.set_exposed(d.id, [ExposedParam(name, nid, "out_channels") for name, nid in inner.items()])
    prev = doc.add_node("input", "input", {"channels": 256, "height": 28, "width": 28}).id
    for i in range(blocks):
        nid = doc.add_node(d.type.type_id, f"m{i}").id
        doc.connect(prev, nid)
        prev = nid
    out = doc.add_node("output", "classifier", {"num_classes": 1000}).id
    doc.connect(prev, out)
    if layout:
        apply_layout(doc)
    doc.revision = 0
    return doc, d


def analyse(doc: GraphDocument) -> tuple[float, float, float]:
    """What Session._analyse runs; returns the seconds of its three parts."""
    t0 = time.perf_counter()
    rep = validate(doc)
    t1 = time.perf_counter()
    costs = compute_costs(doc, rep)
    t2 = time.perf_counter()
    lint(doc, rep, costs=costs)
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2


class Edit:
    """One kind of edit: ``apply(k)`` makes the k-th change (each differs from the one before)."""

    def __init__(self, label: str, doc: GraphDocument, target_doc: GraphDocument, node_id: str, key: str, values):
        self.label, self.doc, self.target_doc, self.node_id, self.key = label, doc, target_doc, node_id, key
        self.values: Callable[[int], object] = values

    def apply(self, k: int) -> None:
        self.target_doc.set_param(self.node_id, self.key, self.values(k))


def measure_analysis(edit: Edit, repeats: int) -> dict[str, float]:
    """Medians (ms) of edit + analysis (wall and CPU) and of each part."""
    doc = edit.doc
    analyse(doc)
    walls, cpus, parts = [], [], []
    for k in range(repeats):
        gc.collect()
        c0, t0 = time.process_time(), time.perf_counter()
        edit.apply(k + 1)
        t1 = time.perf_counter()
        p = analyse(doc)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        parts.append((t1 - t0, *p))
    med = statistics.median
    return {
        "wall": med(walls) * 1e3,
        "cpu": med(cpus) * 1e3,
        "edit": med(p[0] for p in parts) * 1e3,
        "validate": med(p[1] for p in parts) * 1e3,
        "costs": med(p[2] for p in parts) * 1e3,
        "lint": med(p[3] for p in parts) * 1e3,
        "min": min(walls) * 1e3,
    }


_KEEP: list[object] = []  # the scenes and views of finished measurements (kept: no teardown mid-run)


def _timed(fn: Callable, into: list[float]) -> Callable:
    def wrapper(*args: object, **kwargs: object) -> object:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            into.append(time.perf_counter() - t0)

    return wrapper


def measure_canvas(edit: Edit, repeats: int) -> dict[str, float] | None:
    """Medians (ms) from the edit pushed on the undo stack to the view repainted, and of the parts:
    the session's analysis and the scene applying its report (timed by wrapping the two methods)."""
    try:
        from designer.ui.app import make_app
        from designer.ui.canvas import GraphScene, GraphView
        from designer.ui.commands import SetParamCommand
        from designer.ui.session import Session
        from designer.ui.theme import resolve
    except ImportError:
        return None
    app = make_app()
    session = Session(edit.doc)
    scene = GraphScene(session, resolve("dark"))
    view = GraphView()
    view.setScene(scene)
    _KEEP.extend((session, scene, view))
    view.resize(1280, 800)
    view.show()
    app.processEvents()
    # The node shown: the instance edited, or (a definition edit) the middle instance.
    shown = edit.node_id if edit.target_doc is edit.doc else edit.doc.find(f"m{BLOCKS // 2}").id
    view.set_zoom(1.0)
    view.center_on_node(shown)
    view.viewport().repaint()
    app.processEvents()
    analysis: list[float] = []
    applied: list[float] = []
    session._analyse = _timed(session._analyse, analysis)  # type: ignore[method-assign]
    scene.apply_report = _timed(scene.apply_report, applied)  # type: ignore[method-assign]
    walls, cpus = [], []
    base = 1001  # values the analysis-only runs did not use (odd: the first differs from the design)
    for k in range(repeats):
        gc.collect()
        value = edit.values(base + k)
        n = len(applied)
        c0, t0 = time.process_time(), time.perf_counter()
        session.push(SetParamCommand(edit.target_doc, edit.node_id, edit.key, value))
        app.processEvents()
        view.viewport().repaint()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        assert not session.stale and len(applied) > n, "the scene did not get the new report"
    session.close()
    view.hide()
    app.processEvents()
    med = statistics.median
    return {
        "wall": med(walls) * 1e3,
        "cpu": med(cpus) * 1e3,
        "analyse": med(analysis[-repeats:]) * 1e3,
        "apply": med(applied[-repeats:]) * 1e3,
        "min": min(walls) * 1e3,
    }


def edits() -> list[tuple[str, Callable[[], Edit]]]:
    """Each edit with a fresh design (a canvas run and an analysis run never share one)."""

    def instance() -> Edit:
        doc, _ = module_design()
        mid = doc.find(f"m{BLOCKS // 2}").id
        return Edit("instance param", doc, doc, mid, "ch1x1", lambda k: 64 + k % 900 + 1)

    def definition() -> Edit:
        doc, d = module_design()
        c3 = d.body.find("c3").id
        return Edit("definition param", doc, d.body, c3, "kernel_size", lambda k: 5 if k % 2 else 3)

    def flat() -> Edit:
        doc, _ = module_design(layout=False)
        f = expand(doc)
        apply_layout(f)
        f.revision = 0
        nid = f.find(f"m{BLOCKS // 2}_b1").id
        return Edit("node param", f, f, nid, "out_channels", lambda k: 64 + k % 900 + 1)

    return [("modules", instance), ("modules", definition), ("flat", flat)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--no-canvas", action="store_true", help="skip the Qt canvas measurements")
    parser.add_argument("--repeats", type=int, default=0, help="repeats per measurement (default 21, quick 7)")
    args = parser.parse_args(argv)
    repeats = args.repeats or (7 if args.quick else 21)
    print(f"Medians of {repeats} edits (ms). analysis = edit + validate + compute_costs + lint;")
    print("canvas = edit through the undo stack, analysis, report applied to the scene, view repainted")
    print("(the canvas alone: a Session, its GraphScene and a GraphView, as the editor makes them).\n")
    header = (
        f"{'design':<8} {'nodes':>6} {'edit':<17} {'set':>6} {'validate':>9} {'costs':>7} {'lint':>7} "
        f"{'analysis':>9} {'cpu':>7} {'canvas':>8} {'cpu':>7} {'(apply)':>8} {'target':>7} {'analysis/t':>10} "
        f"{'canvas/t':>9}"
    )
    print(header)
    print("-" * len(header))
    for design, make in edits():
        edit = make()
        n = len(edit.doc.nodes)
        a = measure_analysis(edit, repeats)
        c = None if args.no_canvas else measure_canvas(make(), repeats)
        target = TARGETS[edit.label]
        line = (
            f"{design:<8} {n:>6} {edit.label:<17} {a['edit']:6.2f} {a['validate']:9.2f} {a['costs']:7.2f} {a['lint']:7.2f} "
            f"{a['wall']:9.2f} {a['cpu']:7.2f} "
        )
        line += f"{c['wall']:8.2f} {c['cpu']:7.2f} {c['apply']:8.2f} " if c else f"{'-':>8} {'-':>7} {'-':>8} "
        line += f"{target:7.0f} {a['wall'] / target:10.2f} "
        line += f"{c['wall'] / target:9.2f}" if c else f"{'-':>9}"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
