"""Guards against Qt binding releases that break a long-running app.

PySide6-Essentials 6.12.0 drops a reference to ``None`` on every call of a C++ method that
returns void (``QColor.setAlpha``, ``QPainter.setPen`` ...). On CPython < 3.12 ``None`` is
not immortal, so a few seconds of painting abort the interpreter ("deallocating None").
pyproject excludes that release; this test fails if such a build is installed again.
"""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication
app = QApplication([])
c = QColor(1, 2, 3)
before = sys.getrefcount(None)
for _ in range(20000):
    c.setAlpha(10)
print(sys.getrefcount(None) - before)
"""


def test_void_calls_do_not_leak_references_to_none():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert abs(int(proc.stdout.strip())) < 100, f"None refcount drifted by {proc.stdout.strip()} over 20,000 calls"


COPY_THEN_QUIT = """
from PySide6.QtCore import QTimer
from designer.examples import example_path
from designer.ui.app import make_app
from designer.ui.main_window import MainWindow
app = make_app()
window = MainWindow()
window.open_example(example_path("inception_module"))
window.scene.select_nodes(list(window.document.nodes)[:2])
window.actions.copy.trigger()
QTimer.singleShot(0, app.quit)
app.exec()
print("exited")
"""


def test_quitting_with_copied_nodes_on_the_clipboard_exits_cleanly():
    """Qt deletes clipboard data during QApplication teardown, which crashed the interpreter
    (exit 139) after a copy; the app releases its clipboard data on quit."""
    proc = subprocess.run([sys.executable, "-c", COPY_THEN_QUIT], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-2000:]}"
    assert proc.stdout.strip().endswith("exited")
