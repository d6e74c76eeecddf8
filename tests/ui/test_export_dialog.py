"""File > Export… (Ctrl+E) and the Code panel's Export…: one dialog that writes the design as
PyTorch code + weights + train_<name>.py or as ONNX, off the GUI thread, into a folder it remembers.

Set INCEPTION_DESIGNER_SHOTS=/some/dir to keep PNGs of the dialog in its states.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QWidget
from ui_helpers import open_example

from designer.training.script import script_name
from designer.ui import export_dialog, export_worker
from designer.ui.export_dialog import REPLACES, ExportDialog
from designer.ui.export_worker import name_problem, planned_files, safe_stem

WAIT_MS = 180_000  # an export on a busy 2-core machine (ONNX takes ~10 s alone)


@pytest.fixture
def asked(monkeypatch):
    """Stand in for the overwrite question: answers ``asked.answer``, records the names."""

    class Asked(list):
        answer = True

    record = Asked()

    def ask(parent, names, folder):
        record.append(list(names))
        return record.answer

    monkeypatch.setattr(export_dialog, "ask_overwrite", ask)
    return record


def dialog_for(window, example: str | None = "inception_module") -> ExportDialog:
    if example:
        open_example(window, example)
    dialog = window.export_dialog()
    assert isinstance(dialog, ExportDialog) and dialog.isVisible()
    return dialog


def fill(dialog: ExportDialog, folder: Path, name: str = "net", fmt: str = "python") -> None:
    dialog.set_format(fmt)
    dialog.folder_edit.setText(str(folder))
    dialog.name_edit.setText(name)


def finish(qtbot, dialog: ExportDialog) -> None:
    qtbot.waitUntil(lambda: dialog.state != "running", timeout=WAIT_MS)


def wait_threads(qtbot) -> None:
    """Every export thread has ended (cancelled ones run on, unseen, until their step ends)."""
    assert export_worker.wait_for_exports(WAIT_MS)
    qtbot.waitUntil(lambda: not export_worker._ACTIVE, timeout=5000)


def keep_shot(dialog: QWidget, name: str) -> None:
    where = os.environ.get("INCEPTION_DESIGNER_SHOTS")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        QApplication.processEvents()
        dialog.grab().save(str(Path(where) / f"export_{name}.png"))


def visible_text_widgets(dialog: QWidget) -> list[QWidget]:
    return [
        w
        for w in dialog.findChildren(QWidget)
        if isinstance(w, (QLabel, QPushButton)) and w.isVisible() and (not isinstance(w, QLabel) or w.text())
    ]


def assert_laid_out(dialog: QWidget) -> None:
    """Nothing overlaps and no text is cut: every visible label and button has its room."""
    dialog.adjustSize()
    QApplication.processEvents()  # the layout settles
    boxes = []
    for w in visible_text_widgets(dialog):
        box = QRect(w.mapTo(dialog, QPoint(0, 0)), w.size())
        assert dialog.rect().contains(box), f"{w.objectName() or w.text()!r} is outside the dialog"
        if isinstance(w, QPushButton) or not w.wordWrap():
            assert box.width() >= w.minimumSizeHint().width(), f"{w.text()!r} is cut"
        else:
            assert box.height() >= w.heightForWidth(box.width()), f"{w.text()!r} is cut"
        for other, other_box in boxes:
            assert not box.intersects(other_box), f"{w.text()!r} overlaps {other.text()!r}"
        boxes.append((w, box))


# ------------------------------------------------------------------------ pure helpers
def test_the_files_an_export_writes_and_the_names_it_takes():
    assert [n for n, _ in planned_files("python", "net")] == ["net.py", "net.pt", "train_net.py"]
    assert [n for n, _ in planned_files("python", "train")] == ["train.py", "train.pt", "train_train.py"]
    assert planned_files("python", "net")[2][0] == script_name("net.py"), "as the worker writes it"
    assert [n for n, _ in planned_files("onnx", "net")] == ["net.onnx"]
    assert safe_stem("Inception v3 (ours)") == "inception_v3_ours"
    assert safe_stem("3x3 net") == "model_3x3_net"
    assert safe_stem("Torch") == "torch_model"  # a torch.py beside train_torch.py would hide torch
    assert safe_stem("  ") == "model"
    assert name_problem("net", "python") is None and name_problem("my-net.v2", "onnx") is None
    for bad in ("", "2net", "my-net", "class", "torch", "os"):
        assert name_problem(bad, "python"), bad
    assert name_problem("a/b", "onnx") and name_problem(".hidden", "onnx")


# -------------------------------------------------------------------- opening it
def test_file_export_is_in_the_file_menu_with_ctrl_e_and_on_the_code_panel(window, qtbot):
    window.show()
    action = window.actions.file_export
    file_menu = window.menuBar().actions()[0].menu()
    assert action in file_menu.actions()
    assert action.text().replace("&", "") == "Export…"
    assert action.shortcut() == QKeySequence("Ctrl+E")
    action.trigger()
    dialog = window.findChild(ExportDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.close()
    assert not dialog.isVisible()
    qtbot.mouseClick(window.code_dock.export_button, Qt.MouseButton.LeftButton)
    assert window.findChild(ExportDialog) is dialog and dialog.isVisible(), "one dialog per window"


def test_the_dialog_does_not_import_torch(tmp_path):
    script = (
        "import sys\n"
        "from designer.ui.app import make_app\n"
        "from designer.ui.main_window import MainWindow\n"
        "app = make_app()\n"
        "window = MainWindow()\n"
        "dialog = window.export_dialog()\n"
        "app.processEvents()\n"
        "print(sorted(m for m in ('torch', 'onnx', 'pyqtgraph', 'networkx') if m in sys.modules))\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == "[]"


# ------------------------------------------------------------------------ the plan
def test_it_lists_the_files_of_each_format_and_marks_those_that_exist(window, tmp_path):
    dialog = dialog_for(window)
    assert dialog.stem == "inception_module", "the design's name, made safe"
    assert "fresh initialisation (seed 0)" in dialog.weights_label.text()
    fill(dialog, tmp_path, "net")
    (tmp_path / "net.pt").write_bytes(b"old")
    dialog.refresh()  # (also on every edit and when the dialog is activated)
    assert dialog.planned() == [("net.py", False), ("net.pt", True), ("train_net.py", False)]
    text = dialog.files_label.text()
    assert text.count(REPLACES) == 1 and text.index("net.pt") < text.index(REPLACES) < text.index("train_net.py")
    assert dialog.export_button.isEnabled()
    keep_shot(dialog, "python")

    dialog.set_format("onnx")
    assert dialog.planned() == [("net.onnx", False)]
    assert REPLACES not in dialog.files_label.text()
    assert ".onnx file" in dialog.weights_label.text()
    (tmp_path / "net.onnx").write_bytes(b"old")
    dialog.name_edit.setText("net")  # any edit looks again
    dialog.refresh()
    assert dialog.planned() == [("net.onnx", True)] and REPLACES in dialog.files_label.text()

    dialog.folder_edit.setText(str(tmp_path / "new" / "folder"))
    assert dialog.export_button.isEnabled() and "Export creates it" in dialog.status_label.text()


def test_a_bad_name_or_folder_disables_export_and_says_why(window, tmp_path):
    dialog = dialog_for(window)
    fill(dialog, tmp_path, "2 bad-name")
    assert not dialog.export_button.isEnabled()
    assert dialog.name_error.isVisible() and "letters, digits" in dialog.name_error.text()
    dialog.name_edit.setText("torch")
    assert not dialog.export_button.isEnabled() and "hide" in dialog.name_error.text()
    dialog.name_edit.setText("net")
    assert dialog.export_button.isEnabled() and not dialog.name_error.isVisible()
    dialog.folder_edit.setText("relative/folder")
    assert not dialog.export_button.isEnabled() and "full path" in dialog.folder_error.text()
    (tmp_path / "afile").write_text("x")
    dialog.folder_edit.setText(str(tmp_path / "afile"))
    assert not dialog.export_button.isEnabled() and "not a folder" in dialog.folder_error.text()
    assert not dialog.export(), "nothing starts"


def test_browse_fills_the_folder(window, tmp_path, monkeypatch):
    dialog = dialog_for(window)
    monkeypatch.setattr(export_dialog, "choose_folder", lambda parent, start: str(tmp_path))
    dialog.browse_button.click()
    assert dialog.folder_edit.text() == str(tmp_path)


# ----------------------------------------------------------------------- exporting
def test_exporting_the_card_module_writes_code_weights_and_script(make_window, qtbot, tmp_path, asked, monkeypatch):
    window = make_window()
    dialog = dialog_for(window)
    out = tmp_path / "out"
    out.mkdir()
    (out / "net.pt").write_bytes(b"old weights")
    fill(dialog, out, "net")
    assert dialog.export()
    assert asked == [["net.pt"]], "asked before replacing net.pt, and only about it"
    assert dialog.state == "running" and dialog.progress.isVisible()
    assert dialog.close_button.text() == "Cancel" and not dialog.export_button.isEnabled()
    assert not dialog.name_edit.isEnabled() and not dialog.folder_edit.isEnabled()
    finish(qtbot, dialog)
    assert dialog.state == "done", dialog.error
    assert sorted(p.name for p in out.iterdir()) == ["net.pt", "net.py", "train_net.py"], "no temporary files left"
    names = [(Path(p).name, size) for p, size in dialog.written]
    assert names == [(n, (out / n).stat().st_size) for n in ("net.py", "net.pt", "train_net.py")]
    text = dialog.files_label.text()
    assert "net.py" in text and "KiB" in text and REPLACES not in text
    assert dialog.status_label.text().startswith("Exported 3 files to")
    assert "Exported 3 files" in window.statusBar().currentMessage()
    assert dialog.open_folder_button.isVisible()
    opened = []
    monkeypatch.setattr(export_dialog, "open_folder", lambda path: opened.append(path) or True)
    dialog.open_folder_button.click()
    assert opened == [str(out)]
    keep_shot(dialog, "done")

    # The code loads its weights strictly (torch is loaded by now: the export used it).
    import torch

    # The script imports the model class by name (the class that loads the weights).
    script = (out / "train_net.py").read_text(encoding="utf-8")
    compile(script, "train_net.py", "exec")
    imported = re.findall(r"^from net import (\w+)  #", script, re.M)
    assert imported == ["InceptionModule"]
    spec = importlib.util.spec_from_file_location("exported_net", out / "net.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = getattr(module, imported[0])()
    net.load_state_dict(torch.load(out / "net.pt", weights_only=True), strict=True)
    assert tuple(net(torch.zeros(1, 192, 28, 28)).shape) == (1, 256, 28, 28)

    # The folder is remembered: the next window's dialog offers it.
    other = make_window()
    assert other.export_dialog().folder_edit.text() == str(out)


def test_the_onnx_export_writes_one_file(window, qtbot, tmp_path, asked):
    dialog = dialog_for(window, "inception_module")
    fill(dialog, tmp_path / "onnx", "module", fmt="onnx")
    assert dialog.export()
    assert asked == [], "nothing to replace"
    assert "module.onnx" in dialog.status_label.text() or "Starting" in dialog.status_label.text()
    finish(qtbot, dialog)
    assert dialog.state == "done", dialog.error
    assert [p.name for p in (tmp_path / "onnx").iterdir()] == ["module.onnx"]
    assert (tmp_path / "onnx" / "module.onnx").stat().st_size > 100_000  # the weights are inside
    assert [Path(p).name for p, _ in dialog.written] == ["module.onnx"]


def test_no_to_replacing_writes_nothing(window, tmp_path, asked):
    dialog = dialog_for(window)
    (tmp_path / "net.py").write_text("mine")
    fill(dialog, tmp_path, "net")
    asked.answer = False
    assert not dialog.export()
    assert asked == [["net.py"]]
    assert dialog.state == "idle" and not dialog.runner.running and not export_worker._ACTIVE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.py"]
    assert (tmp_path / "net.py").read_text() == "mine"


def test_cancel_and_close_stop_an_export_and_write_nothing(window, qtbot, tmp_path):
    dialog = dialog_for(window)
    fill(dialog, tmp_path / "a", "net")
    assert dialog.export()
    dialog.close_button.click()  # "Cancel"
    assert dialog.state == "idle" and dialog.isVisible()
    assert dialog.status_label.text() == "Cancelled: nothing was written."
    assert dialog.close_button.text() == "Close" and dialog.export_button.isEnabled()
    fill(dialog, tmp_path / "b", "net")
    assert dialog.export()
    dialog.close()  # Escape or the title bar's close button
    assert not dialog.isVisible() and dialog.state == "idle"
    wait_threads(qtbot)
    for sub in ("a", "b"):
        assert not (tmp_path / sub).exists() or not list((tmp_path / sub).iterdir()), f"{sub} stayed empty"


def test_a_failure_is_shown_in_one_sentence_and_its_traceback_goes_to_stderr(window, qtbot, tmp_path, capfd):
    dialog = dialog_for(window)
    (tmp_path / "afile").write_text("x")
    fill(dialog, tmp_path / "afile" / "sub", "net")  # a file stands where a folder must be made
    assert dialog.export()
    finish(qtbot, dialog)
    assert dialog.state == "failed"
    message = dialog.status_label.text()
    assert message.startswith("Could not write to ") and message.endswith("Not a directory.")
    assert "\n" not in message and dialog.status_label.isVisible()
    assert "Export failed" in window.statusBar().currentMessage()
    err = capfd.readouterr().err
    assert "Traceback (most recent call last)" in err and "NotADirectoryError" in err
    keep_shot(dialog, "failed")
    dialog.name_edit.setText("net2")  # an edit goes back to the plan
    assert dialog.state == "idle" and not dialog.status_label.text().startswith("Could not")


# -------------------------------------------------------------------- invalid designs
def test_a_design_with_errors_cannot_be_exported_and_the_dialog_says_why(window, qtbot, tmp_path):
    window.show()
    dialog = dialog_for(window, "inception_module_mismatch")
    fill(dialog, tmp_path, "net")
    n = len(window.session.report.errors)
    assert n >= 1
    assert (
        dialog.status_label.text()
        == f"The design has {n} error{'s' * (n != 1)}: fix {'them' if n != 1 else 'it'} first."
    )
    assert not dialog.export_button.isEnabled() and not dialog.export()
    assert dialog.problems_button.isVisible()
    keep_shot(dialog, "invalid")
    window.summary_dock.raise_()
    qtbot.wait(10)
    assert window.problems_dock.visibleRegion().isEmpty()
    dialog.problems_button.click()
    qtbot.wait(10)
    assert not window.problems_dock.visibleRegion().isEmpty(), "Problems is in front"
    assert not dialog.isVisible()

    dialog = window.export_dialog()
    fix = next(d for d in window.session.report.errors if d.fix is not None)
    window.apply_fix(fix)
    qtbot.waitUntil(lambda: not window.session.report.errors)
    assert dialog.export_button.isEnabled() and not dialog.problems_button.isVisible(), "follows the design live"


def test_a_new_design_gets_its_own_name(window):
    dialog = dialog_for(window, "inception_module")
    dialog.name_edit.setText("custom")
    dialog.close()
    assert window.export_dialog().stem == "custom", "kept while the design is the same"
    open_example(window, "mini_inception")
    assert dialog.stem == safe_stem(window.document.name)


# ------------------------------------------------------------------------- looks
@pytest.mark.parametrize("mode", ["dark", "light"])
def test_nothing_overlaps_in_any_state(make_window, qtbot, tmp_path, mode, asked):
    window = make_window(theme=mode)
    dialog = dialog_for(window)
    (tmp_path / "net.pt").write_bytes(b"x")
    fill(dialog, tmp_path, "net")
    assert_laid_out(dialog)
    fill(dialog, tmp_path, "2 bad", fmt="onnx")
    dialog.folder_edit.setText("relative")
    assert_laid_out(dialog)
    keep_shot(dialog, f"errors_{mode}")
    fill(dialog, tmp_path / "x", "net")
    assert dialog.export()
    assert_laid_out(dialog)
    keep_shot(dialog, f"running_{mode}")
    finish(qtbot, dialog)
    assert_laid_out(dialog)
    keep_shot(dialog, f"done_{mode}")
    open_example(window, "inception_module_mismatch")
    dialog = window.export_dialog()
    dialog.name_edit.setText("a_rather_long_name_for_the_files_of_this_design_" * 2)
    assert_laid_out(dialog)
    keep_shot(dialog, f"invalid_{mode}")
    other = "light" if mode == "dark" else "dark"
    window.set_theme_mode(other)
    assert dialog._styled_for == other, "the dialog follows the theme"
    assert window.theme.error in dialog.status_label.styleSheet()
