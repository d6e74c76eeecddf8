"""The quick-add popup in a real X11 window (Xvfb, xcb, openbox where installed), as a person uses it.

A connection dragged from the concat's output port and let go on the empty canvas below it opens
the node-type popup. It must open at the mouse (not pushed to the top of the screen because the
full list is taller than the room below), with a bounded height; typing "pool" must leave a
shorter list that is still at the mouse. The popup is found as the X server sees it: the
top-level window that appeared with the drop (an override-redirect popup, a child of the root).
Set INCEPTION_DESIGNER_SHOTS=/some/dir to keep the screenshots.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from xserver import App, WindowInfo, XServer, keep_shot

pytestmark = pytest.mark.xserver

#: The concat's output port (the bottom-most node's bottom port) in a fresh 1440 x 900 window
#: on the default example, relative to the client area's top-left corner; and where it is let go.
CONCAT_OUT_PORT = (664, 564)
RELEASE = (664, 608)  # empty canvas below the concat (inside the canvas, above the Summary panel)
MAX_POPUP_HEIGHT = 440
NEAR = 12  # px: how far the popup's near edge may be from the release point


def top_levels(server: XServer) -> dict[str, WindowInfo]:
    """The mapped direct children of the root window (frames, override-redirect popups)."""
    tree = server.run("xwininfo", "-root", "-children")
    out = {}
    for wid in re.findall(r"^\s+(0x[0-9a-f]+)\s", tree, flags=re.MULTILINE):
        info = WindowInfo(server.run("xwininfo", "-id", wid, check=False))
        if info.viewable and info.width > 1 and info.height > 1:
            out[wid] = info
    return out


def wait_popup(server: XServer, before: set[str], timeout: float = 5.0) -> tuple[str, WindowInfo] | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = {wid: info for wid, info in top_levels(server).items() if wid not in before}
        if new:
            time.sleep(0.2)  # let it settle (size, position)
            wid = next(iter(new))
            return wid, WindowInfo(server.run("xwininfo", "-id", wid))
        time.sleep(0.05)
    return None


def assert_at(popup: WindowInfo, at: tuple[float, float], shot: Path, when: str) -> None:
    """The popup has a corner at the release point: its top edge (opened below) or its bottom
    edge (flipped above) at the mouse's y, its left (or right) edge at the mouse's x."""
    x, y = at
    top, bottom = popup.y, popup.y + popup.height
    left, right = popup.x, popup.x + popup.width
    assert min(abs(top - y), abs(bottom - y)) <= NEAR, f"{when}: popup {popup} is not at the mouse {at} (see {shot})"
    assert min(abs(left - x), abs(right - x)) <= NEAR, f"{when}: popup {popup} is not at the mouse {at} (see {shot})"


def test_quick_add_popup_opens_at_the_mouse_and_shrinks_there_when_filtered(xserver, tmp_path):
    app = App(xserver, tmp_path, name="quick-add").start()
    shots = tmp_path / "shots"

    def shot(name: str) -> Path:
        path = xserver.screenshot(shots / f"quick_add_{name}.png")
        keep_shot(path)
        return path

    try:
        assert app.wait_window(), app.describe()
        time.sleep(1.0)  # the panels replace their placeholders after the first paint
        assert app.activate(), "the window did not get the keyboard focus"
        w = app.info()
        assert (w.width, w.height) == (1440, 900), f"unexpected window size {w}; the coordinates assume 1440x900"
        before = set(top_levels(xserver))
        release = w.at(*RELEASE)
        xserver.drag(w.at(*CONCAT_OUT_PORT), release)
        found = wait_popup(xserver, before)
        opened = shot("1_opened")
        assert found is not None, f"no popup appeared after letting go of the connection (see {opened})"
        wid, popup = found
        assert popup.height <= MAX_POPUP_HEIGHT, f"the popup is {popup.height} px tall (see {opened})"
        assert_at(popup, release, opened, "opened")

        xserver.type("pool")
        time.sleep(0.5)
        typed = shot("2_typed_pool")
        filtered = WindowInfo(xserver.run("xwininfo", "-id", wid))
        assert filtered.viewable, f"the popup closed while typing (see {typed})"
        assert filtered.height < popup.height - 100, (
            f"typing did not shrink the popup: {popup} -> {filtered} (see {typed})"
        )
        assert_at(filtered, release, typed, "after typing 'pool'")

        xserver.key("Escape")
        time.sleep(0.3)
        assert not WindowInfo(xserver.run("xwininfo", "-id", wid, check=False)).viewable, "Escape left the popup open"
        assert "*" not in app.title(), "Escape added a node"
        assert app.alive, app.describe()
        assert app.quit() == 0, app.describe()
    finally:
        app.kill()
