"""Start-up: the window shows the design first and builds its panels right after the first
paint, in place of titled placeholders, without moving anything; neither torch (about 2 s
here) nor networkx (about 0.2 s) is imported on the way."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from designer.examples import example_path

SCRIPT = """
import sys
from designer.examples import DEFAULT_EXAMPLE, example_path
from designer.ui.app import make_app
from designer.ui.main_window import MainWindow
app = make_app()
window = MainWindow(defer_panels=True)
window.open_example(example_path(DEFAULT_EXAMPLE))
seen = {}
heavy = ("torch", "onnx", "torchinfo", "pyqtgraph", "networkx")


def painted():
    seen["painted"] = sorted(m for m in heavy if m in sys.modules)
    seen["built_at_paint"] = window.panels_built


def ready():
    seen["panels"] = sorted(m for m in heavy if m in sys.modules)
    app.quit()


window.view.first_painted.connect(painted)
window.panels_ready.connect(ready)
window.show()
app.exec()
assert window.scene.nodes and window.training_dock is not None
print(seen)
"""


def test_start_up_paints_the_design_before_the_panels_and_imports_nothing_heavy():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    seen = eval(proc.stdout.strip().splitlines()[-1])  # a dict of lists and a bool, printed above
    assert seen == {"painted": [], "built_at_paint": False, "panels": []}


@pytest.fixture
def deferred(qtbot):
    from designer.ui.main_window import MainWindow

    def make(example: str):
        window = MainWindow(defer_panels=True, theme_mode="light")
        qtbot.addWidget(window)
        window.open_example(example_path(example))
        return window

    return make


def test_panels_replace_their_placeholders_in_place(deferred, qtbot):
    window = deferred("inception_module_mismatch")
    assert not window.panels_built and window.inspector_dock is None
    titles = sorted(d.windowTitle() for d in window._placeholders.values())
    assert titles == ["Code", "Inspector", "Palette", "Problems", "Summary", "Training"]
    at_first_paint = []
    window.view.first_painted.connect(lambda: at_first_paint.append((window.panels_built, window.view.geometry())))
    with qtbot.waitSignal(window.panels_ready, timeout=10_000):
        window.show()
    # Checked as the signal is handled: the panels are on screen when panels_ready says so.
    assert window.panels_built and not window._placeholders
    assert at_first_paint == [(False, window.view.geometry())], "the canvas keeps its place when the panels arrive"
    for dock in (window.palette_dock, window.inspector_dock, window.problems_dock):
        assert dock.isVisible() and dock.widget().isVisible(), dock.objectName()
    # The panels show the design that was opened before they existed.
    assert any(d.code == "merge-mismatch" for d in window.problems_dock.diagnostics)
    assert not window.problems_dock.visibleRegion().isEmpty(), "errors bring Problems to the front"
    names = [a.text() for a in window.actions.panels_menu.actions()]
    for title in ("Palette", "Inspector", "Problems", "Summary", "Code", "Training"):
        assert any(name.startswith(title) for name in names), (title, names)  # "Problems (2)"
    # And they follow the session from then on: fixing the concat clears Problems.
    window.apply_fix(next(d for d in window.problems_dock.diagnostics if d.code == "merge-mismatch"))
    qtbot.waitUntil(lambda: not any(d.code == "merge-mismatch" for d in window.problems_dock.diagnostics))


def test_a_design_opened_before_the_panels_exist_is_the_one_they_show(deferred, qtbot):
    window = deferred("inception_module")
    window.open_example(example_path("googlenet"))
    first = next(iter(window.document.nodes))
    window.scene.select_nodes([first])
    with qtbot.waitSignal(window.panels_ready, timeout=10_000):
        window.show()
    assert window.summary_dock.session is window.session is window.inspector_dock.session
    assert window.inspector_dock.node_id == first, "the selection made before the panels is edited"


def test_the_saved_layout_is_restored_without_moving_the_canvas(deferred, qtbot):
    first = deferred("inception_module")
    first.show()
    qtbot.waitUntil(lambda: first.panels_built)
    first.resize(790, 580)  # the offscreen screen is 800 x 600
    first.palette_dock.close()
    first.resizeDocks([first.inspector_dock], [330], Qt.Orientation.Horizontal)
    first.code_dock.raise_()
    qtbot.wait(20)
    saved_inspector, saved_canvas = first.inspector_dock.geometry(), first.view.geometry()
    assert first.close()

    window = deferred("inception_module")
    at_first_paint = []
    window.view.first_painted.connect(lambda: at_first_paint.append(window.view.geometry()))
    with qtbot.waitSignal(window.panels_ready, timeout=10_000):
        window.show()
    assert at_first_paint == [window.view.geometry()], "the canvas keeps its place when the panels arrive"
    assert window.palette_dock.isHidden() and not window.palette_dock.toggleViewAction().isChecked()
    assert window.inspector_dock.geometry() == saved_inspector
    assert window.view.geometry() == saved_canvas
    # Opening a design brings its report to the front: Summary for a valid one.
    assert not window.summary_dock.visibleRegion().isEmpty() and window.code_dock.visibleRegion().isEmpty()
    state = bytes(window.saveState().data())
    for name in ("PaletteDock", "InspectorDock", "ProblemsDock", "SummaryDock", "CodeDock", "TrainingDock"):
        assert state.count(name.encode("utf-16-be")) == 1, f"{name} is saved once"


RUN_APP = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from designer.ui.app import make_app, run_app
app = make_app()


def check():
    (window,) = [w for w in QApplication.topLevelWidgets() if type(w).__name__ == "MainWindow"]
    errors = [d.code for d in window.problems_dock.diagnostics if d.severity == "error"]
    print(window.panels_built, len(window.scene.nodes), window.windowTitle(), errors, sep="|", flush=True)
    window.close()


QTimer.singleShot(3000, check)
sys.exit(run_app(sys.argv[1:]))
"""


def test_the_real_entry_point_opens_a_file_and_builds_its_panels(tmp_path):
    import shutil

    design = tmp_path / "my design.json"
    shutil.copy(example_path("inception_module_mismatch"), design)
    proc = subprocess.run(
        [sys.executable, "-c", RUN_APP, str(design)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    built, nodes, title, errors = proc.stdout.strip().splitlines()[-1].split("|")
    assert (built, nodes) == ("True", "9")
    assert "my design" in title and "merge-mismatch" in errors


def test_the_examples_menu_lists_every_shipped_example_once_the_panels_are_built(deferred, qtbot):
    from designer.examples import EXAMPLES

    window = deferred("inception_module")
    with qtbot.waitSignal(window.panels_ready, timeout=10_000):
        window.show()
    paths = [a.statusTip() for a in window.actions.examples_menu.actions()]
    assert sorted(Path(p).stem for p in paths) == sorted(EXAMPLES)
    assert Path(paths[0]).stem == "inception_module", "the card's module first"
