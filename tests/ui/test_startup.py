"""Start-up stays light: opening the app on its default example must not import torch
(about 2 s here); torch loads when the user compiles, exports or trains."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from designer.examples import DEFAULT_EXAMPLE, example_path
from designer.ui.app import make_app
from designer.ui.main_window import MainWindow
app = make_app()
window = MainWindow()
window.open_example(example_path(DEFAULT_EXAMPLE))
window.show()
app.processEvents()
assert window.scene.nodes and window.training_dock is not None
print(sorted(m for m in ("torch", "onnx", "torchinfo", "pyqtgraph") if m in sys.modules))
"""


def test_opening_the_app_does_not_import_torch():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == "[]"
