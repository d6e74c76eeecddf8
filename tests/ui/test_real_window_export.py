"""File > Export… in the real app under a real X server (Xvfb, xcb, openbox where installed).

Ctrl+E opens the export dialog as a window of its own; Return exports into the folder the
settings remember (Export is the default button); the files appear; Escape closes the dialog
and Ctrl+Q quits with 0. Quitting while an export runs cancels it: the app exits with 0 (no
thread destroyed while running, which aborts the process) and leaves all of the files or none.
Set INCEPTION_DESIGNER_SHOTS=/some/dir to keep the screenshots.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from xserver import App, WindowInfo, XServer, keep_shot

from designer.examples import example_path

pytestmark = pytest.mark.xserver

FILES = ["net.pt", "net.py", "train_net.py"]


def app_on_the_card_module(server: XServer, tmp_path: Path, out: Path, name: str) -> App:
    """The app on a copy of the card's module named net.json, its settings remembering ``out``."""
    design = tmp_path / "net.json"
    shutil.copy(example_path("inception_module"), design)
    app = App(server, tmp_path / name, str(design), name=name)
    app.settings_file.parent.mkdir(parents=True, exist_ok=True)
    app.settings_file.write_text(f"[export]\nfolder={out}\nformat=python\n", encoding="utf-8")
    return app


def wait_dialog(app: App, timeout: float = 10.0) -> str | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = app.server.xdo(
            "search", "--all", "--onlyvisible", "--pid", app.proc.pid, "--name", "^Export", check=False
        ).split()
        if found:
            return found[-1]
        time.sleep(0.1)
    return None


def test_ctrl_e_then_return_exports_and_the_app_quits_cleanly(xserver, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    app = app_on_the_card_module(xserver, tmp_path, out, "export").start()
    try:
        assert app.wait_window(), app.describe()
        assert app.activate(), "the main window did not get the focus"
        xserver.key("ctrl+e")
        dialog = wait_dialog(app)
        assert dialog, f"Ctrl+E opened no Export window\n{app.describe()}"
        time.sleep(0.3)
        info = WindowInfo(xserver.run("xwininfo", "-id", dialog))
        sw, sh = xserver.size
        assert info.viewable and info.width >= 500 and info.height >= 200, info
        assert info.x >= 0 and info.x + info.width <= sw and info.y >= 0 and info.y + info.height <= sh, info
        keep_shot(xserver.screenshot(tmp_path / "export_dialog_real.png"))

        xserver.key("Return")  # Export is the default button
        deadline = time.monotonic() + 120
        while sorted(p.name for p in out.iterdir()) != FILES and time.monotonic() < deadline:
            assert app.alive, app.describe()
            time.sleep(0.2)
        assert sorted(p.name for p in out.iterdir()) == FILES, app.describe()
        time.sleep(0.5)
        keep_shot(xserver.screenshot(tmp_path / "export_dialog_real_done.png"))
        xserver.key("Escape")
        deadline = time.monotonic() + 5
        while wait_dialog(app, 0.2) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not wait_dialog(app, 0.2), "Escape left the dialog open"
        assert app.quit() == 0, app.describe()
    finally:
        app.kill()
    assert "Traceback" not in app.log(), app.log()


def test_quitting_while_exporting_exits_cleanly_and_writes_all_or_nothing(xserver, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    app = app_on_the_card_module(xserver, tmp_path, out, "quit").start()
    try:
        assert app.wait_window(), app.describe()
        assert app.activate()
        xserver.key("ctrl+e")
        assert wait_dialog(app), app.describe()
        xserver.key("Return")  # starts the export (torch alone takes seconds to load)
        time.sleep(0.3)
        assert app.quit(timeout=120) == 0, app.describe()
    finally:
        app.kill()
    left = sorted(p.name for p in out.iterdir())
    assert left in ([], FILES), f"a partial export was left: {left}"
