"""File handling of the main window: new, open, save, recent files, autosave, examples.

These are MainWindow methods kept in their own module. Every failure is shown in a message
box that names the problem (ProjectError messages name the file and the place in it).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from .. import __version__
from ..graph.document import GraphDocument
from ..io.project import ProjectError, load
from ..io.project import save as save_project
from .session import Session

if TYPE_CHECKING:
    from .main_window import MainWindow

FILTER = "Inception designs (*.json);;All files (*)"
MAX_RECENT = 10


def show_error(parent: QWidget, title: str, message: str) -> None:
    """A message box naming the problem (tests replace this)."""
    QMessageBox.warning(parent, title, message)


def ask_unsaved(parent: QWidget, name: str) -> str:
    """'save', 'discard' or 'cancel' (tests replace this)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Unsaved changes")
    box.setText(f"Save the changes to “{name}” before closing?")
    box.setInformativeText("Your changes will be lost if you don't save them.")
    box.setStandardButtons(
        QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel
    )
    box.setDefaultButton(QMessageBox.StandardButton.Save)
    answer = box.exec()
    return {QMessageBox.StandardButton.Save: "save", QMessageBox.StandardButton.Discard: "discard"}.get(
        QMessageBox.StandardButton(answer), "cancel"
    )


def maybe_save(self: MainWindow) -> bool:
    """True when it is fine to drop the current design (saved, discarded or unchanged)."""
    if self.session is None or self.session.undo_stack.isClean():
        return True
    answer = ask_unsaved(self, self.session.title)
    if answer == "save":
        return save(self)
    return answer == "discard"


def new_document(self: MainWindow) -> None:
    if maybe_save(self):
        self.autosaver.discard()
        self.set_session(Session(GraphDocument("Untitled")))


def open_dialog(self: MainWindow) -> bool:
    start = str(self.session.path.parent) if self.session and self.session.path else str(Path.home())
    path, _ = QFileDialog.getOpenFileName(self, "Open design", start, FILTER)
    return open_path(self, path) if path else False


def _open(self: MainWindow, path: str | Path, what: str, *, ask: bool, as_file: bool) -> bool:
    """Load ``path`` into a new session (as that file, or as an untitled copy)."""
    if ask and not maybe_save(self):
        return False
    try:
        doc = load(path)
    except ProjectError as exc:
        show_error(self, f"Cannot open the {what}", str(exc))
        return False
    self.autosaver.discard()
    self.set_session(Session(doc, Path(path).resolve() if as_file else None))
    return True


def open_path(self: MainWindow, path: str | Path, *, ask: bool = True) -> bool:
    if not _open(self, path, "design", ask=ask, as_file=True):
        return False
    _add_recent(self, str(Path(path).resolve()))
    return True


def open_example(self: MainWindow, path: str | Path) -> bool:
    """Open a shipped example as a new, unsaved design (Save asks where, never overwrites it)."""
    return _open(self, path, "example", ask=True, as_file=False)


def save(self: MainWindow) -> bool:
    session = self.session
    if session is None:
        return False
    if session.path is None:
        return save_as(self)
    return _write(self, session.path)


def save_as(self: MainWindow) -> bool:
    session = self.session
    default = str(session.path) if session.path else str(Path.home() / f"{_slug(session.doc.name)}.json")
    path, _ = QFileDialog.getSaveFileName(self, "Save design as", default, FILTER)
    if not path:
        return False
    if not Path(path).suffix:
        path += ".json"
    return _write(self, Path(path))


def _write(self: MainWindow, path: Path) -> bool:
    session = self.session
    try:
        save_project(session.doc, path)
    except (OSError, ValueError) as exc:
        show_error(self, "Cannot save the design", f"{path}: {getattr(exc, 'strerror', None) or exc}")
        return False
    session.path = path.resolve()
    session.undo_stack.setClean()
    self.autosaver.discard()
    _add_recent(self, str(session.path))
    self._update_title()
    self.statusBar().showMessage(f"Saved {session.path}", 3000)
    return True


def save_for_run(self: MainWindow) -> bool:
    """Before a training run: save a design that has a file, autosave one that has none.

    Returns False only if the user cancelled (a failed save was already reported)."""
    session = self.session
    if session is None:
        return False
    if session.path is not None:
        return session.undo_stack.isClean() or _write(self, session.path)
    autosave(self, force=True)
    return True


def autosave(self: MainWindow, force: bool = False) -> None:
    session = self.session
    if session is None or (session.undo_stack.isClean() and not force):
        return
    try:
        self.autosaver.save(session.doc, session.path, force=force)
    except OSError as exc:
        self.statusBar().showMessage(f"Autosave failed: {exc.strerror or exc}", 5000)


def recent_files(self: MainWindow) -> list[str]:
    value = self.settings.value("recent", [])
    if isinstance(value, str):
        value = [value]
    return [p for p in (value or []) if Path(p).exists()]


def _add_recent(self: MainWindow, path: str) -> None:
    paths = [path] + [p for p in recent_files(self) if p != path]
    self.settings.setValue("recent", paths[:MAX_RECENT])


def clear_recent_files(self: MainWindow) -> None:
    self.settings.setValue("recent", [])


def show_about(self: MainWindow) -> None:
    QMessageBox.about(
        self,
        "About Inception Designer",
        f"<b>Inception Designer</b> {__version__}<p>Design Inception-style CNNs as a node graph: "
        "exact shapes as you draw, costs per block, PyTorch code, training.</p>",
    )


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_") or "design"
