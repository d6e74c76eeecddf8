"""Modules in a real X11 window (Xvfb, xcb, openbox where installed): a click on an instance's
chevron expands it in place, and a double-click on a node inside opens the definition's tab with
that node in the Inspector, with the mouse as the X server delivers it (xdotool).

The app runs in a subprocess under the test's X server; the script in it finds where the chevron
and the inner node are on screen (they depend on the layout and the zoom), moves the real
pointer there and clicks, then reports what the window shows as JSON. Set
INCEPTION_DESIGNER_SHOTS=/some/dir to keep the screenshot.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from xserver import keep_shot

pytestmark = pytest.mark.xserver

SCRIPT = textwrap.dedent(
    r"""
    import json, subprocess, sys, tempfile
    from PySide6.QtCore import QPointF, QSettings, QTimer
    from designer.examples import example_path
    from designer.ui.app import make_app
    from designer.ui.main_window import MainWindow

    shot = sys.argv[1]
    app = make_app()
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp())
    w = MainWindow(theme_mode="dark")
    w.open_path(str(example_path("googlenet")), ask=False)
    w.resize(1440, 900)
    w.show()
    out = {}

    def xdo(*args):
        subprocess.run(["xdotool", *map(str, args)], check=True, timeout=10)

    def on_screen(item, pos):
        return w.view.viewport().mapToGlobal(w.view.mapFromScene(item.mapToScene(pos)))

    def expand():
        nid = w.document.find("inception4c").id
        w.view.set_zoom(0.85)
        w.view.center_on_node(nid)
        app.processEvents()
        item = w.scene.nodes[nid]
        p = on_screen(item, item.chevron_rect().center())
        xdo("mousemove", "--sync", p.x(), p.y())
        xdo("click", 1)
        QTimer.singleShot(800, lambda: inside(nid))

    def inside(nid):
        panel = w.scene.expanded.get(nid)
        out["expanded"] = panel is not None
        if panel is None:
            return done()
        out["note"] = panel.inside.note
        out["shapes"] = {n.name: n.shape for n in panel.inside.nodes}
        box = next(n for n in panel.inside.nodes if n.name == "b3_5x5")
        p = on_screen(panel, QPointF(box.x + 60, box.y + 28))
        xdo("mousemove", "--sync", p.x(), p.y())
        xdo("click", "--repeat", 2, "--delay", 80, 1)
        QTimer.singleShot(1200, done)

    def done():
        tab = w.tabs.current()
        out["tab"] = tab.instance_box.currentText() if tab is not None else None
        out["selected"] = [tab.document.nodes[n].name for n in tab.editor.selected_node_ids()] if tab else []
        out["inspector"] = w.inspector_dock.name_edit.text() if w.inspector_dock.name_edit else None
        subprocess.run(["import", "-window", "root", shot], check=True, timeout=30)
        print("RESULT " + json.dumps(out), flush=True)
        app.quit()

    QTimer.singleShot(1500, expand)
    app.exec()
    """
)


def test_a_real_click_expands_an_instance_and_a_double_click_inside_edits_that_node(xserver, tmp_path):
    shot = tmp_path / "real_window_expand.png"
    env = xserver.env(
        QT_QPA_PLATFORM="xcb",
        OMP_WAIT_POLICY="PASSIVE",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
    )
    proc = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", SCRIPT, str(shot)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=Path(__file__).resolve().parents[2],  # the repository root: `designer` imports from there
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, f"rc {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    keep_shot(shot)
    seen = json.loads(lines[-1][len("RESULT ") :])
    assert seen["expanded"], "the click on the chevron did not expand inception4c"
    assert seen["note"].startswith("input 512 × 14 × 14")
    assert seen["shapes"]["b1_1x1"] == "128 × 14 × 14" and seen["shapes"]["concat"] == "512 × 14 × 14"
    assert seen["tab"] == "as inception4c", seen
    assert seen["selected"] == ["b3_5x5"] and seen["inspector"] == "b3_5x5", seen
    from PIL import Image

    with Image.open(shot) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 50, "the screenshot looks blank"
