"""Start-up: the window is built whole (panels included) before it is shown, restores the
user's layout or drops one it cannot restore with a message, and imports neither torch
(about 2 s here) nor networkx (about 0.2 s) nor pyqtgraph on the way."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt

from designer.examples import example_path

SCRIPT = """
import sys
from designer.examples import DEFAULT_EXAMPLE, example_path
from designer.ui.app import make_app
from designer.ui.main_window import MainWindow
app = make_app()
window = MainWindow()
window.open_example(example_path(DEFAULT_EXAMPLE))
seen = {}
heavy = ("torch", "onnx", "torchinfo", "pyqtgraph", "networkx")


def painted():
    seen["painted"] = sorted(m for m in heavy if m in sys.modules)
    app.quit()


window.view.first_painted.connect(painted)
window.show()
app.exec()
assert window.scene.nodes and window.training_dock is not None
print(seen)
"""


def test_start_up_imports_nothing_heavy():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    seen = eval(proc.stdout.strip().splitlines()[-1])  # a dict of lists, printed above
    assert seen == {"painted": []}


def test_the_panels_show_the_design_and_follow_the_session(make_window, qtbot):
    window = make_window(theme="light")
    window.open_example(example_path("inception_module_mismatch"))
    window.show()
    for dock in (window.palette_dock, window.inspector_dock, window.problems_dock):
        assert dock.isVisible() and dock.widget().isVisible(), dock.objectName()
    assert any(d.code == "merge-mismatch" for d in window.problems_dock.diagnostics)
    assert not window.problems_dock.visibleRegion().isEmpty(), "errors bring Problems to the front"
    names = [a.text() for a in window.actions.panels_menu.actions()]
    for title in ("Palette", "Inspector", "Problems", "Summary", "Code", "Training"):
        assert any(name.startswith(title) for name in names), (title, names)  # "Problems (2)"
    window.apply_fix(next(d for d in window.problems_dock.diagnostics if d.code == "merge-mismatch"))
    qtbot.waitUntil(lambda: not any(d.code == "merge-mismatch" for d in window.problems_dock.diagnostics))


def test_the_saved_layout_is_restored(make_window, qtbot):
    first = make_window(theme="light")
    first.open_example(example_path("inception_module"))
    first.show()
    first.resize(790, 580)  # the offscreen screen is 800 x 600
    first.palette_dock.close()
    first.resizeDocks([first.inspector_dock], [330], Qt.Orientation.Horizontal)
    first.code_dock.raise_()
    qtbot.wait(20)
    saved_inspector, saved_canvas = first.inspector_dock.geometry(), first.view.geometry()
    assert first.close()

    from designer.ui.main_window import MainWindow

    window = MainWindow(theme_mode="light")  # (make_window would resize it)
    qtbot.addWidget(window)
    window.open_example(example_path("inception_module"))
    window.show()
    qtbot.wait(20)
    assert window.palette_dock.isHidden() and not window.palette_dock.toggleViewAction().isChecked()
    assert window.inspector_dock.geometry() == saved_inspector
    assert window.view.geometry() == saved_canvas
    # Opening a design brings its report to the front: Summary for a valid one.
    assert not window.summary_dock.visibleRegion().isEmpty() and window.code_dock.visibleRegion().isEmpty()
    state = bytes(window.saveState().data())
    for name in ("PaletteDock", "InspectorDock", "ProblemsDock", "SummaryDock", "CodeDock", "TrainingDock"):
        assert state.count(name.encode("utf-16-be")) == 1, f"{name} is saved once"


def test_a_saved_layout_that_cannot_be_restored_is_dropped_with_a_message(make_window, qtbot):
    from designer.ui.settings import app_settings

    settings = app_settings()
    settings.setValue("window/state", QByteArray(b"\x00\xffnot a layout" * 20))
    settings.setValue("window/geometry", "some text")
    settings.sync()
    window = make_window()
    window.show()
    assert "could not be restored" in window.statusBar().currentMessage()
    assert app_settings().value("window/state") is None and app_settings().value("window/geometry") is None
    assert window.inspector_dock.isVisible() and window.palette_dock.isVisible(), "the default layout"


RUN_APP = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from designer.ui.app import make_app, run_app
app = make_app()


def check():
    (window,) = [w for w in QApplication.topLevelWidgets() if type(w).__name__ == "MainWindow"]
    errors = [d.code for d in window.problems_dock.diagnostics if d.severity == "error"]
    print(len(window.scene.nodes), window.windowTitle(), errors, sep="|", flush=True)
    window.close()


QTimer.singleShot(3000, check)
sys.exit(run_app(sys.argv[1:]))
"""


def test_the_real_entry_point_opens_a_file(tmp_path):
    import shutil

    design = tmp_path / "my design.json"
    shutil.copy(example_path("inception_module_mismatch"), design)
    proc = subprocess.run(
        [sys.executable, "-c", RUN_APP, str(design)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    nodes, title, errors = proc.stdout.strip().splitlines()[-1].split("|")
    assert nodes == "9"
    assert "my design" in title and "merge-mismatch" in errors


def test_the_examples_menu_lists_every_shipped_example(make_window):
    from designer.examples import EXAMPLES

    window = make_window()
    paths = [a.statusTip() for a in window.actions.examples_menu.actions()]
    assert sorted(Path(p).stem for p in paths) == sorted(EXAMPLES)
    assert Path(paths[0]).stem == "inception_module", "the card's module first"
