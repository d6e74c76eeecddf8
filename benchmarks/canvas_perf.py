"""Canvas performance: a 1,000-node design (open + first paint, frame time while panning)
and a parameter edit on a 500-node design reaching the canvas.

    QT_QPA_PLATFORM=offscreen python benchmarks/canvas_perf.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("INCEPTION_DESIGNER_HOME", tempfile.mkdtemp(prefix="id-bench-"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from designer.graph.builder import Builder  # noqa: E402
from designer.io.project import save  # noqa: E402


def stacked_modules(n_nodes: int):
    """Inception modules stacked until the design has ``n_nodes`` nodes (8 per module)."""
    b = Builder(f"{n_nodes} nodes", "benchmark")
    x = b.input(channels=64, height=28, width=28)
    i = 0
    while len(b.doc.nodes) + 8 <= n_nodes:
        b.begin_group()
        b1 = b.conv(x, f"m{i}_b1", out_channels=32, kernel_size=1)
        b2 = b.conv(b.conv(x, f"m{i}_b2r", out_channels=24, kernel_size=1), f"m{i}_b2", out_channels=32, kernel_size=3)
        b3 = b.conv(b.conv(x, f"m{i}_b3r", out_channels=8, kernel_size=1), f"m{i}_b3", out_channels=16, kernel_size=5)
        b4 = b.conv(
            b.pool(x, f"m{i}_pool", kernel_size=3, stride=1, padding="same"), f"m{i}_b4", out_channels=16, kernel_size=1
        )
        x = b.concat([b1, b2, b3, b4], f"m{i}_concat")
        b.end_group(f"module_{i}")
        i += 1
    while len(b.doc.nodes) < n_nodes:
        x = b.conv(x, None, out_channels=96, kernel_size=1)
    return b.done()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> int:
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    from designer.ui.app import make_app
    from designer.ui.main_window import MainWindow

    app = make_app()
    tmp = Path(tempfile.mkdtemp(prefix="id-bench-"))
    big = tmp / "1000.json"
    save(stacked_modules(1000), big)
    window = MainWindow(theme_mode="dark")
    window.resize(1600, 1000)
    window.show()
    app.processEvents()

    # --- open + first paint -------------------------------------------------------
    t0 = time.perf_counter()
    window.open_path(big, ask=False)
    app.sendPostedEvents(None, 0)
    window.view.fit()
    window.view.viewport().repaint()
    t_open = time.perf_counter() - t0
    print(f"1,000-node design ({len(window.document.edges)} edges): open + first paint {ms(t_open)}")

    # --- panning ----------------------------------------------------------------------
    view = window.view
    for zoom, label in ((1.0, "100% zoom (working view)"), (0.35, "35% zoom"), (view.zoom, "fit (whole design)")):
        view.set_zoom(zoom)
        view.center_on_node(window.document.find("m40_b2").id)
        view.viewport().repaint()
        app.processEvents()
        for mode in ("scroll", "full repaint"):
            frames = []
            for i in range(120):
                dx = 12 if (i // 30) % 2 == 0 else -12
                t = time.perf_counter()
                view.pan(dx, 7 if i % 2 else -7)
                if mode == "scroll":  # what a drag does: blit, then paint the exposed strips
                    app.processEvents()
                else:  # worst case: every pixel of the viewport painted again
                    view.viewport().repaint()
                frames.append(time.perf_counter() - t)
            frames.sort()
            print(
                f"pan at {label}, {mode}: median frame {ms(statistics.median(frames))}, "
                f"p95 {ms(frames[int(len(frames) * 0.95)])}, worst {ms(frames[-1])} (target <= 16 ms)"
            )

    # --- a parameter edit on 500 nodes --------------------------------------------------
    mid = tmp / "500.json"
    save(stacked_modules(500), mid)
    window.open_path(mid, ask=False)
    app.sendPostedEvents(None, 0)
    app.processEvents()
    nid = window.document.find("m30_b3").id
    window.reveal_node(nid)
    view.set_zoom(1.0)
    view.center_on_node(nid)
    view.viewport().repaint()
    editor = window.inspector_dock.editors["out_channels"]
    item = window.scene.nodes[nid]
    times, redrawn = [], []
    window.scene.report_applied.connect(redrawn.append)
    for value in (17, 18, 19, 20, 21, 22, 23, 24, 25, 26):
        t = time.perf_counter()
        editor.box.setValue(value)  # as typed into the inspector: command -> document -> canvas
        app.processEvents()  # the validation turn: new shapes on the edges below
        view.viewport().repaint()
        times.append(time.perf_counter() - t)
        assert item.summary.endswith(f"-> {value}")
    times.sort()
    print(
        f"parameter edit on 500 nodes to canvas repaint: median {ms(statistics.median(times))}, "
        f"worst {ms(times[-1])} (target <= 50 ms); items redrawn per edit: {redrawn[-1]}"
    )
    window.session.undo_stack.setClean()
    window.close()
    window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
