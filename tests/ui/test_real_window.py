"""The real app under a real X server (Xvfb, xcb platform, openbox where installed), as a person runs it.

Each app is a subprocess (``python -X faulthandler -m designer``) with its own temporary
XDG_CONFIG_HOME (where QSettings keeps ``inception-designer/Inception Designer.ini``),
XDG_DATA_HOME and autosave folder. What is asserted is what a person sees from outside: the
process stays up, its window is mapped, the title's modified mark, a Ctrl+Q exit code, the
pixels of a screenshot. Set INCEPTION_DESIGNER_SHOTS=/some/dir to keep the screenshots there too.

Without Xvfb/xdotool (``bash .ci/setup`` installs them as root) these tests are skipped, and
the run ends with one line saying so (tests/conftest.py).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from xserver import App, XServer, keep_shot

pytestmark = pytest.mark.xserver

STAY_UP_S = 5.0  # the crash this guards came ~0.3 s after the first paint, every time


def distinct_colours(path: Path) -> int:
    from PIL import Image

    with Image.open(path) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1 << 16)
    return len(colours) if colours is not None else 1 << 16


def stays_up(app: App, seconds: float = STAY_UP_S) -> bool:
    """True if the process is still running ``seconds`` after its window was mapped."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not app.alive:
            return False
        time.sleep(0.1)
    return app.alive


# ------------------------------------------------------------------ settings files
def read_layout(ini: Path) -> dict[str, bytes]:
    from PySide6.QtCore import QSettings

    s = QSettings(str(ini), QSettings.Format.IniFormat)
    return {k: bytes(s.value(f"window/{k}")) for k in ("geometry", "state") if s.value(f"window/{k}") is not None}


def write_layout(ini: Path, layout: dict[str, bytes]) -> None:
    """The settings file a quit with this window geometry/state leaves (QSettings' INI, as the app writes it)."""
    from PySide6.QtCore import QByteArray, QSettings

    ini.parent.mkdir(parents=True, exist_ok=True)
    s = QSettings(str(ini), QSettings.Format.IniFormat)
    for key, value in layout.items():
        s.setValue(f"window/{key}", QByteArray(value))
    s.sync()
    assert s.status() == QSettings.Status.NoError


#: QWidget::saveGeometry(), format 3: magic, version, frame and normal rects, screen, then this flag.
MAXIMIZED_BYTE = 4 + 2 + 2 + 16 + 16 + 4


def is_maximized(geometry: bytes) -> bool:
    return len(geometry) > MAXIMIZED_BYTE and geometry[MAXIMIZED_BYTE] != 0


def utf16(name: str) -> bytes:
    return name.encode("utf-16-be")


# A script run with the app's own window (nothing in the app changed) to save the layouts a person
# makes with the mouse: maximize, float every panel, close every panel, tab them all together, and
# the states an older version left (a dock that no longer exists, one that did not exist yet).
MAKE_LAYOUTS = textwrap.dedent(
    """
    import json, sys, time
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDockWidget, QLabel
    from designer.ui.app import make_app
    from designer.ui.main_window import MainWindow
    from designer.ui.settings import app_settings

    app = make_app()

    def wait(done, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not done():
            app.processEvents()
            time.sleep(0.01)
        app.processEvents()

    def make(kind):
        settings = app_settings()
        settings.remove("window")  # each layout from the default one
        settings.sync()
        w = MainWindow()
        w.show()
        wait(lambda: w.windowHandle() is not None and w.windowHandle().isExposed(), 10)
        panels = [w.palette_dock, w.inspector_dock, w.problems_dock, w.summary_dock, w.code_dock, w.training_dock]
        panels = [d for d in panels if d is not None]
        if kind == "maximized":
            w.showMaximized()
        elif kind == "floated":
            for d in panels:
                d.setFloating(True)
        elif kind == "closed":
            for d in panels:
                d.close()
        elif kind == "tabbed":
            for d in panels[1:]:
                w.tabifyDockWidget(panels[0], d)
        elif kind == "extra_dock":
            extra = QDockWidget("Properties", w)
            extra.setObjectName("PropertiesDock")
            extra.setWidget(QLabel("a panel this version does not have"))
            w.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, extra)
        elif kind == "without_training":
            w.removeDockWidget(w.training_dock)
        wait((lambda: w.isMaximized()) if kind == "maximized" else (lambda: False), 5 if kind == "maximized" else 0.4)
        w.close()
        w.settings.sync()
        out[kind] = {k: bytes(w.settings.value("window/" + k)).hex() for k in ("geometry", "state")}
        w.deleteLater()
        app.processEvents()

    out = {}
    for kind in sys.argv[1:]:
        make(kind)
    print("LAYOUTS " + json.dumps(out))
    """
)
MADE = ("default", "maximized", "floated", "closed", "tabbed", "extra_dock", "without_training")


def make_layouts(server: XServer, home: Path) -> dict[str, dict[str, bytes]]:
    maker = App(server, home, name="make-layouts")
    home.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [sys.executable, "-c", MAKE_LAYOUTS, *MADE],
        env=maker.env(),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=maker.home,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("LAYOUTS ")]
    assert proc.returncode == 0 and lines, f"making the layouts failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
    made = {kind: {k: bytes.fromhex(v) for k, v in blobs.items()} for kind, blobs in json.loads(lines[0][8:]).items()}
    assert is_maximized(made["maximized"]["geometry"]) or not server.wm, "the WM did not maximize the window"
    layouts = dict(made)
    # An older version's names for two panels (same lengths, so the blob stays well-formed).
    state = made["default"]["state"]
    for old, new in (("SummaryDock", "MetricsDock"), ("TrainingDock", "LearningDock")):
        assert utf16(old) in state
        state = state.replace(utf16(old), utf16(new))
    layouts["renamed_docks"] = {"geometry": made["default"]["geometry"], "state": state}
    rng = random.Random(20240611)
    layouts["random_bytes"] = {"geometry": rng.randbytes(66), "state": rng.randbytes(700)}
    # Valid headers, garbage after them: gets past the magic-number checks into the parsers.
    layouts["random_after_header"] = {
        "geometry": made["default"]["geometry"][:8] + rng.randbytes(58),
        "state": made["default"]["state"][:13] + rng.randbytes(700),
    }
    return layouts


LAYOUTS = (*MADE, "renamed_docks", "random_bytes", "random_after_header")


@pytest.fixture(scope="module")
def layout_runs(xserver, tmp_path_factory):
    """Every saved layout, each started in its own app (all at once, to keep the run short):
    after its window was mapped and STAY_UP_S passed, whether it is up and mapped; then Ctrl+Q."""
    root = tmp_path_factory.mktemp("layouts")
    layouts = make_layouts(xserver, root / "maker")
    apps = {}
    for kind in LAYOUTS:
        app = App(xserver, root / kind, name=kind)
        write_layout(app.settings_file, layouts[kind])
        apps[kind] = app
    results: dict[str, dict] = {}
    try:
        for app in apps.values():
            app.start()
        for kind, app in apps.items():
            try:
                wid = app.wait_window(timeout=60)
            except TimeoutError as exc:
                wid, results[kind] = None, {"mapped_at": None, "waited": str(exc)}
            else:
                results[kind] = {"mapped_at": time.monotonic() if wid else None}
        last = max((r["mapped_at"] for r in results.values() if r["mapped_at"]), default=time.monotonic())
        time.sleep(max(0.0, last + STAY_UP_S - time.monotonic()))
        for kind, app in apps.items():
            r = results[kind]
            r["alive"] = app.alive
            r["viewable"] = app.alive and app.wid is not None and app.info().viewable
            r["state"] = r.get("waited") or app.describe()
        for kind, app in apps.items():
            r = results[kind]
            if r["alive"]:
                try:
                    r["rc"] = app.quit()
                except TimeoutError as exc:
                    r["rc"] = str(exc)
            else:
                r["rc"] = app.returncode
            r["log"] = app.log()
    finally:
        for app in apps.values():
            app.kill()
    return results


@pytest.mark.parametrize("kind", LAYOUTS)
def test_starts_and_stays_up_with_saved_layout(layout_runs, kind):
    r = layout_runs[kind]
    assert r["mapped_at"] is not None, (
        f"{kind}: no window: the process ended before its window was seen (it may have flashed)\n{r['state']}"
    )
    assert r["alive"], f"{kind}: the app died within {STAY_UP_S:.0f} s of showing its window\n{r['state']}"
    assert r["viewable"], f"{kind}: the window is not mapped\n{r['state']}"
    assert r["rc"] == 0, f"{kind}: Ctrl+Q did not end the app cleanly: {r['rc']}\n{r['log'][-3000:]}"


def test_starts_again_after_quitting_maximized(xserver, tmp_path):
    """Launch, maximize (a double-click on the title bar), Ctrl+Q; launch again: it must stay up.

    This died at every start, ~0.3 s after the first paint, with ``double free or corruption
    (fasttop)`` or a segfault in MainWindow._arrange_docks (tabifyDockWidget) called from
    build_panels, when the placeholder docks gave way to the real panels.
    """
    first = App(xserver, tmp_path, name="first").start()
    try:
        assert first.wait_window(), first.describe()
        time.sleep(0.5)  # the panels replace their placeholders after the first paint
        maximized = first.maximize()
        assert first.alive, first.describe()
        assert first.quit() == 0, first.describe()
    finally:
        first.kill()
    saved = read_layout(first.settings_file)
    assert set(saved) == {"geometry", "state"}, f"no layout saved in {first.settings_file}"
    if not maximized:  # no window manager to maximize it: the file a maximized quit leaves
        g = bytearray(saved["geometry"])
        g[MAXIMIZED_BYTE] = 2  # Qt::WindowMaximized
        write_layout(first.settings_file, {"geometry": bytes(g)})
    else:
        assert is_maximized(saved["geometry"]), "the maximized window's quit did not save it as maximized"

    again = App(xserver, tmp_path, name="again").start()
    try:
        assert again.wait_window(), f"the app died before its window was seen (it may have flashed)\n{again.describe()}"
        assert stays_up(again), f"the app died within {STAY_UP_S:.0f} s of showing its window\n{again.describe()}"
        assert again.info().viewable, again.describe()
        if maximized:
            assert "MAXIMIZED_HORZ" in again.net_wm_state(), "the window did not come back maximized"
        assert again.quit() == 0, again.describe()
    finally:
        again.kill()


# Where things are in a fresh window (1440 x 900 client area, default layout, canvas fitted to the
# default example), relative to the client area's top-left corner; see the screenshots on failure.
SEARCH_FIELD = (110, 110)
FIRST_MATCH = (80, 155)  # the first node type the search leaves in the palette
EMPTY_CANVAS = (380, 150)  # left of the input node, above the Inception module's frame
INPUT_OUT_PORT = (665, 178)  # the input node's output port


def test_drag_connect_undo_like_a_person(xserver, tmp_path):
    """Drag a node type from the Palette onto the canvas, wire the input node to it by dragging
    from port to node, undo twice with Ctrl+Z; the title's modified mark follows each step."""
    app = App(xserver, tmp_path, name="person").start()
    shots = tmp_path / "shots"

    def shot(name: str) -> Path:
        path = xserver.screenshot(shots / f"real_window_{name}.png")
        keep_shot(path)
        return path

    try:
        assert app.wait_window(), app.describe()
        time.sleep(1.0)  # the panels replace their placeholders after the first paint
        assert app.activate(), "the window did not get the keyboard focus"
        w = app.info()
        assert (w.width, w.height) == (1440, 900), f"unexpected window size {w}; the coordinates assume 1440x900"
        start = app.title()
        assert "*" not in start, start

        xserver.click(*w.at(*SEARCH_FIELD))
        xserver.type("separable")  # leaves one match: Separable conv
        time.sleep(0.4)
        shot("1_search")
        xserver.drag(w.at(*FIRST_MATCH), w.at(*EMPTY_CANVAS))
        dropped = app.wait_title(lambda t: "*" in t)
        after_drop = shot("2_dropped")
        assert "*" in dropped, f"no modified mark after the drop: {dropped!r} (see {after_drop})"

        xserver.drag(w.at(*INPUT_OUT_PORT), w.at(*EMPTY_CANVAS))
        time.sleep(0.3)
        after_connect = shot("3_connected")
        assert "*" in app.title()

        xserver.key("ctrl+z")  # undoes the connection: the dropped node is still there
        time.sleep(0.4)
        after_undo = shot("4_undo_connection")
        assert "*" in app.title(), (
            f"one Ctrl+Z cleared the modified mark: the connection was not made (see {after_connect})"
        )
        xserver.key("ctrl+z")  # undoes the drop: back to the file as opened
        clean = app.wait_title(lambda t: "*" not in t)
        after_undo_drop = shot("5_undo_drop")
        assert clean == start, f"{clean!r} after undoing both edits (see {after_undo_drop})"

        for path in (after_drop, after_connect, after_undo):
            assert distinct_colours(path) > 50, f"{path} looks blank"
        # The connection shows: the screenshots with and without it differ.
        assert _pixels(after_connect) != _pixels(after_undo), "undoing the connection changed nothing on screen"
        assert app.alive, app.describe()
        assert app.quit() == 0, app.describe()
    finally:
        app.kill()


def _pixels(path: Path) -> bytes:
    from PIL import Image

    with Image.open(path) as im:
        return im.convert("RGB").tobytes()
