"""Menus, toolbar and shortcuts of the main window (standard keys where Qt has them)."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QToolBar

from ..examples import DEFAULT_EXAMPLE, EXAMPLES_DIR
from . import icons

if TYPE_CHECKING:
    from .main_window import MainWindow

SK = QKeySequence.StandardKey


def example_files() -> list[tuple[str, Path]]:
    """(title, path) of every example in resources/examples/, the card's module first."""
    out = []
    for path in sorted(EXAMPLES_DIR.glob("*.json")):
        try:
            title = json.loads(path.read_text(encoding="utf-8")).get("name") or path.stem
        except (OSError, ValueError, AttributeError):
            title = path.stem.replace("_", " ")
        out.append((str(title), path))
    out.sort(key=lambda tp: (tp[1].stem != DEFAULT_EXAMPLE, tp[0].lower()))
    return out


class Actions:
    def __init__(self, w: MainWindow):
        self.w = w
        self.iconed: dict[QAction, str] = {}
        self.file_new = self._act("&New", w.new_document, SK.New, "new")
        self.file_open = self._act("&Open…", w.open_dialog, SK.Open, "open")
        self.file_save = self._act("&Save", w.save, SK.Save, "save")
        self.file_save_as = self._act("Save &As…", w.save_as, SK.SaveAs)
        self.file_export = self._act("&Export…", w.export_dialog, "Ctrl+E")
        self.file_export.setStatusTip("Write PyTorch code, weights and a training script, or ONNX")
        self.file_quit = self._act("&Quit", w.close, SK.Quit)
        self.undo = w.undo_group.createUndoAction(w, "&Undo")
        self.undo.setShortcuts(SK.Undo)
        self.redo = w.undo_group.createRedoAction(w, "&Redo")
        self.redo.setShortcuts(SK.Redo)
        self.iconed[self.undo], self.iconed[self.redo] = "undo", "redo"
        e = w.editor  # the canvas's own actions, in the window's menus and toolbar
        self.cut, self.copy, self.paste = e.cut_action, e.copy_action, e.paste_action
        self.duplicate, self.delete, self.select_all = e.duplicate_action, e.delete_action, e.select_all_action
        self.add_node, self.layout, self.fit = e.add_node_action, e.layout_action, e.fit_action
        self.zoom_in, self.zoom_out = e.zoom_in_action, e.zoom_out_action
        self.make_module, self.ungroup = e.make_module_action, e.ungroup_action
        self.expand = e.expand_action
        for act, name in (
            (self.zoom_in, "zoom-in"),
            (self.zoom_out, "zoom-out"),
            (self.fit, "fit"),
            (self.layout, "layout"),
        ):
            self.iconed[act] = name
        self.theme_group = QActionGroup(w)
        self.theme_actions: dict[str, QAction] = {}
        for mode, label in (("system", "Follow &System"), ("dark", "&Dark"), ("light", "&Light")):
            act = QAction(label, w, checkable=True)
            act.triggered.connect(partial(w.set_theme_mode, mode))
            self.theme_group.addAction(act)
            self.theme_actions[mode] = act
        self._menus()
        self._toolbar()

    def _act(self, text: str, slot, shortcut=None, icon: str | None = None) -> QAction:
        act = QAction(text, self.w)
        act.triggered.connect(lambda checked=False: slot())
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        if icon:
            self.iconed[act] = icon
        return act

    def _menus(self) -> None:
        w, bar = self.w, self.w.menuBar()
        m = bar.addMenu("&File")
        m.addActions([self.file_new, self.file_open])
        self.recent_menu = m.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._on_recent_menu_about_to_show)
        m.addSeparator()
        m.addActions([self.file_save, self.file_save_as])
        m.addSeparator()
        m.addAction(self.file_export)
        m.addSeparator()
        m.addAction(self.file_quit)
        m = bar.addMenu("&Edit")
        m.addActions([self.undo, self.redo])
        m.addSeparator()
        m.addActions([self.cut, self.copy, self.paste, self.duplicate, self.delete])
        m.addSeparator()
        m.addAction(self.select_all)
        m.addSeparator()
        m.addAction(self.add_node)
        m.addSeparator()
        m.addActions([self.make_module, self.ungroup, self.expand])
        m.addSeparator()
        history = w.history_dock.toggleViewAction()
        history.setText("&History")
        history.setShortcut(QKeySequence("Ctrl+Shift+H"))
        m.addAction(history)
        m = bar.addMenu("&View")
        self.view_menu = m
        m.addActions([self.zoom_in, self.zoom_out, self.fit])
        m.addSeparator()
        m.addAction(self.layout)
        m.addSeparator()
        theme = m.addMenu("&Theme")
        theme.addActions(list(self.theme_actions.values()))
        m.addSeparator()
        self.panels_menu = m.addMenu("&Panels")
        self.examples_menu = bar.addMenu("E&xamples")
        # Filled when the panels are built (reading every example's title is a few ms of
        # JSON parsing the first paint need not wait for), and again whenever it opens.
        self.examples_menu.aboutToShow.connect(self.fill_examples_menu)
        m = bar.addMenu("&Help")
        m.addAction("&About Inception Designer", w.show_about)

    def _toolbar(self) -> None:
        tb = QToolBar("Main")
        tb.setObjectName("MainToolBar")
        tb.setMovable(False)
        tb.setIconSize(QSize(18, 18))
        tb.addActions([self.file_new, self.file_open, self.file_save])
        tb.addSeparator()
        tb.addActions([self.undo, self.redo])
        tb.addSeparator()
        tb.addActions([self.zoom_out, self.zoom_in, self.fit, self.layout])
        self.w.addToolBar(Qt.ToolBarArea.TopToolBarArea, tb)
        self.toolbar = tb

    def apply_theme(self, color: str) -> None:
        for act, name in self.iconed.items():
            act.setIcon(icons.icon(name, color))

    def _on_recent_menu_about_to_show(self) -> None:
        self.recent_menu.clear()
        paths = self.w.recent_files()
        for p in paths:
            act = self.recent_menu.addAction(Path(p).name)
            act.setToolTip(p)
            act.setStatusTip(p)
            act.triggered.connect(partial(self.w.open_path, p))
        if not paths:
            self.recent_menu.addAction("No recent files").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear Menu", self.w.clear_recent_files)

    def fill_examples_menu(self) -> None:
        self.examples_menu.clear()
        for title, path in example_files():
            act = self.examples_menu.addAction(title)
            act.setStatusTip(str(path))
            act.triggered.connect(partial(self.w.open_example, path))
