"""Start-up time to a visible, usable window: the app vs a bare PySide6 window with one
QGraphicsView. Each run is a fresh interpreter; prints medians of several runs.

    python benchmarks/startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BARE = r"""
from PySide6.QtWidgets import QApplication, QGraphicsScene, QGraphicsView
app = QApplication([])
view = QGraphicsView(QGraphicsScene())
view.resize(1440, 900)
view.show()
while not view.isVisible() or not view.viewport().isVisible():
    app.processEvents()
view.viewport().repaint()
app.processEvents()
print("ready", flush=True)
"""

APP = r"""
import sys
from designer.ui.app import make_app
app = make_app()
from designer.examples import DEFAULT_EXAMPLE, example_path
from designer.ui.main_window import MainWindow
window = MainWindow()
window.open_example(example_path(DEFAULT_EXAMPLE))
window.show()
while not window.isVisible():
    app.processEvents()
app.processEvents()
window.view.viewport().repaint()
assert window.scene.nodes, "the design is on the canvas"
print("ready", "torch" in sys.modules, flush=True)
"""


def measure(code: str, env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    line = proc.stdout.readline()  # type: ignore[union-attr]
    elapsed = time.perf_counter() - t0
    proc.wait()
    if not line.startswith("ready"):
        raise SystemExit(f"the child did not start: {line!r}")
    return elapsed, line.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    env["INCEPTION_DESIGNER_HOME"] = env.get("INCEPTION_DESIGNER_HOME", "/tmp/inception-designer-bench")
    measure(BARE, env)  # warm the file cache
    measure(APP, env)
    bare, app, torch_loaded = [], [], False
    for _ in range(args.runs):  # alternate, so background load hits both alike
        bare.append(measure(BARE, env)[0])
        t, line = measure(APP, env)
        app.append(t)
        torch_loaded |= line.endswith("True")
    b, a = statistics.median(bare), statistics.median(app)
    print(
        f"bare PySide6 window + QGraphicsView: median {b * 1000:.0f} ms  (runs: {', '.join(f'{x * 1000:.0f}' for x in bare)})"
    )
    print(
        f"Inception Designer, card module open: median {a * 1000:.0f} ms  (runs: {', '.join(f'{x * 1000:.0f}' for x in app)})"
    )
    print(f"ratio: {a / b:.2f}x (target <= 1.5x); torch imported at start-up: {torch_loaded}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
