"""UI test set-up: settings and autosaves in a temporary folder, no modal dialogs."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings

    monkeypatch.setenv("INCEPTION_DESIGNER_HOME", str(tmp_path / "home"))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    from designer.ui import files

    errors: list[tuple[str, str]] = []
    monkeypatch.setattr(files, "show_error", lambda parent, title, message: errors.append((title, message)))
    monkeypatch.setattr(files, "ask_unsaved", lambda parent, name: "discard")
    # Context menus are modal too: dismissed at once unless a test stands in for the user.
    from designer.ui.editor import DesignEditor

    monkeypatch.setattr(DesignEditor, "popup_menu", lambda self, menu, global_pos: None)
    return errors


@pytest.fixture(autouse=True)
def _clean_clipboard(qapp):
    """No clipboard state leaks between tests, and none is left for Qt's teardown (which
    crashes the interpreter at exit when it still owns copied data)."""
    yield
    from designer.ui.app import release_clipboard

    release_clipboard()


@pytest.fixture
def errors(_isolated):
    return _isolated


@pytest.fixture
def make_window(qtbot):
    from designer.ui.main_window import MainWindow

    def make(doc=None, path=None, theme="dark"):
        window = MainWindow(doc, path, theme_mode=theme)
        qtbot.addWidget(window)
        window.resize(1280, 800)
        return window

    return make


@pytest.fixture
def window(make_window):
    return make_window()


@pytest.fixture(scope="session")
def xserver(tmp_path_factory):
    """One Xvfb (with openbox when installed) for the real-window tests; they are skipped,
    and the run says so in one line, where it cannot start."""
    from xserver import XServer, XServerUnavailable

    try:
        server = XServer(tmp_path_factory.mktemp("xserver")).start()
    except XServerUnavailable as exc:
        pytest.skip(f"real-window tests skipped: {exc}")
    yield server
    server.stop()
