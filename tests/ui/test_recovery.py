"""Crash recovery: an autosave left by a session that died is offered at the next start."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from designer.examples import build
from designer.io.autosave import Autosaver, recoverable
from designer.io.project import dumps


def _crashed_session_left_behind(tmp_path):
    doc = build("inception_module")
    doc.set_param(doc.find("b1_1x1").id, "out_channels", 48)  # unsaved work
    Autosaver("crashed").save(doc, original=tmp_path / "mine.json")
    assert len(recoverable()) == 1
    return doc


def test_recovery_yes_restores_the_autosaved_design_and_clears_it(make_window, monkeypatch, tmp_path):
    from designer.ui import app

    lost = _crashed_session_left_behind(tmp_path)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    window = make_window()
    assert app.offer_recovery(window) is True
    assert dumps(window.document) == dumps(lost)
    assert window.session.path is not None and window.session.path.name == "mine.json"
    assert recoverable() == []


def test_recovery_no_discards_the_autosave(make_window, monkeypatch, tmp_path):
    from designer.ui import app

    _crashed_session_left_behind(tmp_path)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    window = make_window()
    assert app.offer_recovery(window) is False
    assert recoverable() == []


def test_a_clean_close_leaves_nothing_to_recover(make_window):
    window = make_window(build("inception_module"))
    window.autosave(force=True)
    assert len(recoverable()) == 1
    window.close()
    assert recoverable() == []
