"""Application start: ``run_app(argv)`` opens ``argv[0]`` or the card's Inception module."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from ..examples import DEFAULT_EXAMPLE, example_path
from . import icons
from .settings import APP, ORG


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        QApplication.setOrganizationName(ORG)
        QApplication.setApplicationName(APP)
        QApplication.setApplicationDisplayName(APP)
        app = QApplication([sys.argv[0] if sys.argv else "inception-designer", *(argv or [])])
        app.setWindowIcon(QIcon(icons.pixmap("cat-branch", "#4f8cff", 64)))
        app.aboutToQuit.connect(release_clipboard)
    return app  # type: ignore[return-value]


def release_clipboard() -> None:
    """Clear the clipboard if it holds our copy, before the application is destroyed.

    Qt deletes clipboard data it owns while the QApplication is torn down; with PySide6
    (seen with 6.11 on the offscreen and xcb-less platforms) that crashes the interpreter
    at exit even when Python holds no reference to the QMimeData. Copied nodes do not
    outlive the app anyway (their MIME type is ours alone).
    """
    from .clipboard import MIME

    clipboard = QGuiApplication.clipboard()
    if clipboard is None:
        return
    data = clipboard.mimeData()
    # ownsClipboard() is always False on some platforms (offscreen), so also recognise our format.
    if clipboard.ownsClipboard() or (data is not None and data.hasFormat(MIME)):
        clipboard.clear()


def offer_recovery(window) -> bool:
    """If a previous session left an autosave, offer to restore it; returns True if restored."""
    from ..io.autosave import recoverable
    from .session import Session

    found = recoverable()
    if not found:
        return False
    rec = found[0]
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(rec.saved_at))
    what = Path(rec.original).name if rec.original else "an unsaved design"
    answer = QMessageBox.question(
        window,
        "Recover unsaved work?",
        f"Inception Designer did not close cleanly. Recover the autosaved copy of {what} from {when}?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
    )
    restored = False
    if answer == QMessageBox.StandardButton.Yes:
        try:
            doc = rec.load()
        except Exception as exc:  # noqa: BLE001 - a damaged autosave is reported, not raised
            QMessageBox.warning(window, "Cannot recover", str(exc))
        else:
            session = Session(doc, rec.original)
            window.set_session(session)
            session.undo_stack.resetClean()
            window._update_title()
            restored = True
    for r in found:
        r.discard()
    return restored


def display_problem(environ: Mapping[str, str] | None = None, platform: str | None = None) -> str | None:
    """Why Qt could not open a window here, or None.

    On Linux, Qt's default platforms (xcb, or wayland) need ``DISPLAY`` / ``WAYLAND_DISPLAY``;
    without them Qt aborts the interpreter with a message about the xcb plugin. Other platforms
    (``offscreen``, ``eglfs``, ``vnc`` ...) and other systems are left to Qt.
    """
    env = os.environ if environ is None else environ
    if not (sys.platform if platform is None else platform).startswith("linux"):
        return None
    x11, wayland = bool(env.get("DISPLAY")), bool(env.get("WAYLAND_DISPLAY"))
    # QT_QPA_PLATFORM is a ';'-separated list of fallbacks, each "name[:options]".
    wanted = [p.split(":", 1)[0].strip() for p in env.get("QT_QPA_PLATFORM", "").split(";")]
    wanted = [p for p in wanted if p] or [""]
    for name in wanted:
        if name == "xcb" and not x11:
            continue
        if name.startswith("wayland") and not wayland:
            continue
        if name == "" and not (x11 or wayland):
            continue
        return None
    if wanted == [""]:
        missing = "neither DISPLAY nor WAYLAND_DISPLAY is set"
    elif all(n.startswith("wayland") for n in wanted):
        missing = f"WAYLAND_DISPLAY is not set for QT_QPA_PLATFORM={env.get('QT_QPA_PLATFORM')}"
    else:
        missing = "DISPLAY is not set" + (
            f" for QT_QPA_PLATFORM={env.get('QT_QPA_PLATFORM')}" if env.get("QT_QPA_PLATFORM") else ""
        )
    return (
        f"inception-designer: no display ({missing}); run it on a desktop or under xvfb-run, "
        "or render a picture without one: inception-designer screenshot FILE.json -o shot.png"
    )


def run_app(argv: list[str]) -> int:
    """Open the app; 2 without a display (one line on stderr, before Qt could abort)."""
    if QApplication.instance() is None:
        problem = display_problem()
        if problem is not None:
            print(problem, file=sys.stderr)
            return 2
    app = make_app()
    from .main_window import MainWindow

    window = MainWindow()
    files = [a for a in argv if not a.startswith("-")]
    if files:
        if not window.open_path(files[0], ask=False):
            window.statusBar().showMessage(f"Could not open {files[0]}", 8000)
    elif not offer_recovery(window):
        window.open_example(example_path(DEFAULT_EXAMPLE))
    window.show()
    return app.exec()
