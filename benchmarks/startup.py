"""Start-up time to a visible, usable window: the app vs a bare PySide6 window with one
QGraphicsView. Each run is a fresh interpreter; prints medians of several runs.

Times run from launching the interpreter to the first paint of the window, which is built
whole (canvas and panels) before it is shown. For
scale, a third child builds the same window chrome with plain PySide6 and no app logic:
a main window with menus, a toolbar, three docks and a dozen canvas items, which alone
touches the ``Qt`` namespace (about 90 Python enums, 30 ms here) and more widget classes.

    python benchmarks/startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A view that reports its first paint and ends the child (the bare and the chrome children).
VIEW = r"""
from PySide6.QtWidgets import QApplication, QGraphicsView


class View(QGraphicsView):
    def paintEvent(self, event):
        super().paintEvent(event)
        print("ready", flush=True)
        QApplication.quit()
"""

BARE = VIEW + r"""
from PySide6.QtWidgets import QGraphicsScene

app = QApplication([])
view = View(QGraphicsScene())
view.resize(1440, 900)
view.show()
app.exec()
"""

CHROME = VIEW + r"""
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QAction, QColor, QFont, QKeySequence, QPainter, QPen
from PySide6.QtWidgets import (
    QDockWidget, QGraphicsRectItem, QGraphicsScene, QGraphicsSimpleTextItem, QLabel, QMainWindow, QToolBar,
)

app = QApplication([])
window = QMainWindow()
scene = QGraphicsScene()
for i in range(12):
    box = QGraphicsRectItem(QRectF(i % 4 * 220, i // 4 * 120, 200, 84))
    box.setBrush(QColor("#2a2f3a"))
    box.setPen(QPen(QColor("#8890a0"), 1.5))
    box.setFlag(QGraphicsRectItem.GraphicsItemFlag.ItemIsMovable)
    scene.addItem(box)
    text = QGraphicsSimpleTextItem(f"node {i}", box)
    text.setFont(QFont("Sans", 10))
    text.setPos(box.rect().topLeft())
view = View(scene)
view.setRenderHints(QPainter.RenderHint.Antialiasing)
window.setCentralWidget(view)
for title in ("&File", "&Edit", "&View", "E&xamples", "&Help"):
    menu = window.menuBar().addMenu(title)
    for j in range(6):
        action = QAction(f"Action {j}", window)
        action.setShortcut(QKeySequence(f"Ctrl+{j}"))
        menu.addAction(action)
toolbar = QToolBar("Main")
toolbar.addAction("New")
toolbar.addAction("Open")
window.addToolBar(toolbar)
A = Qt.DockWidgetArea
for title, area in (("Palette", A.LeftDockWidgetArea), ("Inspector", A.RightDockWidgetArea), ("Problems", A.BottomDockWidgetArea)):
    dock = QDockWidget(title, window)
    dock.setWidget(QLabel(title))
    window.addDockWidget(area, dock)
window.statusBar().showMessage("Valid")
app.setStyleSheet("QMainWindow { background: #1e2129; } QDockWidget { color: #d0d4dc; }")
window.resize(1440, 900)
window.show()
app.exec()
"""

# The path run_app takes: the whole window (canvas and panels), then show.
APP = r"""
import sys
from designer.ui.app import make_app
app = make_app()
from designer.examples import DEFAULT_EXAMPLE, example_path
from designer.ui.main_window import MainWindow
window = MainWindow()
window.open_example(example_path(DEFAULT_EXAMPLE))


def painted():
    assert window.scene.nodes and window.scene.edges, "the design is on the canvas"
    assert window.inspector_dock.isVisible() and window.training_dock is not None
    print("ready", flush=True)
    print("panels", "torch" in sys.modules, "networkx" in sys.modules, flush=True)
    app.quit()


window.view.first_painted.connect(painted)
window.show()
app.exec()
"""


def measure(code: str, env: dict[str, str]) -> tuple[list[float], list[str]]:
    """Seconds from launch to each line the child prints, and the lines."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT
    )
    times, lines = [], []
    for line in proc.stdout:  # type: ignore[union-attr]
        times.append(time.perf_counter() - t0)
        lines.append(line.strip())
    if proc.wait() != 0 or not lines or lines[0] != "ready":
        raise SystemExit(f"the child did not start: {lines!r}")
    return times, lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    sandbox = tempfile.mkdtemp(prefix="id-startup-")
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    # The default layout, and no saved window state or autosaves from this user.
    env["XDG_CONFIG_HOME"] = os.path.join(sandbox, "config")
    env["INCEPTION_DESIGNER_HOME"] = os.path.join(sandbox, "home")
    # An installed app runs from byte-code; compile ours (this machine sets PYTHONDONTWRITEBYTECODE).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "designer")], check=True)
    for code in (BARE, CHROME, APP):  # warm the file cache
        measure(code, env)
    bare, chrome, first, flags = [], [], [], ""
    for _ in range(args.runs):  # interleaved, so background load hits all alike
        bare.append(measure(BARE, env)[0][0])
        chrome.append(measure(CHROME, env)[0][0])
        times, lines = measure(APP, env)
        first.append(times[0])
        flags = lines[1]
    shutil.rmtree(sandbox, ignore_errors=True)

    def fmt(xs: list[float]) -> str:
        runs = ", ".join(f"{x * 1000:.0f}" for x in xs)
        return f"median {statistics.median(xs) * 1000:4.0f} ms, best {min(xs) * 1000:4.0f} ms  (runs: {runs})"

    def ratio(xs: list[float]) -> str:
        return f"{statistics.median(xs) / statistics.median(bare):.2f}x (best/best {min(xs) / min(bare):.2f}x)"

    print(f"bare PySide6 window + QGraphicsView, first paint: {fmt(bare)}")
    print(f"same window chrome, plain PySide6:                {fmt(chrome)}")
    print(f"Inception Designer, window with the card module:  {fmt(first)}")
    _, torch_loaded, nx_loaded = flags.split()
    print(f"ratio to bare: {ratio(first)} (target <= 1.5x)")
    print(f"ratio to bare of the plain chrome alone: {ratio(chrome)}")
    print(f"torch imported: {torch_loaded}, networkx imported: {nx_loaded}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
