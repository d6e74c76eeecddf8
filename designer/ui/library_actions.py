"""The module library in the window: the Palette's library sections, import and export of
module files, saving a definition to the user's library, the Inception block builder, and
the project's variants (Duplicate as Variant, the Compare dock).

The library is the classic blocks shipped in ``resources/modules`` and the user's own
folder (:func:`designer.io.library.user_library_dir`); a file that cannot be read is named in
the status bar and skipped. Importing adds the file's definitions to the project in one undo
step (a definition the project already has is reused; clashing names get a number).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QFileDialog, QMenu

from ..graph.modules import module_id_of
from ..io.library import load_module, plan_import, save_module, save_user_module, shipped_modules, user_modules
from ..io.project import ProjectError
from .commands import AddModulesCommand

if TYPE_CHECKING:
    from .main_window import MainWindow

__all__ = ["LibraryActions", "library_sections"]


def library_sections() -> tuple[list[tuple[str, list[dict[str, Any]]]], list[str]]:
    """The Palette's library sections (title, definitions as data) and the problems met."""
    sections, problems = [], []
    for title, listing in (("Classic blocks", shipped_modules()), ("My modules", user_modules())):
        seen: dict[str, dict[str, Any]] = {}
        for f in listing.files:
            for item in f.items:
                seen.setdefault(item["id"], item)
        problems.extend(listing.problems)
        if seen:
            sections.append((title, list(seen.values())))
    return sections, problems


class LibraryActions:
    """Menu actions and the Compare dock, owned by the main window."""

    def __init__(self, w: MainWindow):
        self.w = w
        self.import_module = self._act("&Import Module…", self.import_dialog)
        self.export_module = self._act("E&xport Module…", self.export_dialog)
        self.save_to_library = self._act("Save Module to &Library", self.save_to_user_library)
        self.block_builder = self._act("Inception &Block…", self.open_block_builder, "Ctrl+Shift+B")
        self.duplicate_variant = self._act("&Duplicate as Variant", self.duplicate_as_variant, "Ctrl+Alt+D")
        self.compare_variants = self._act("&Compare Variants", self.show_compare)
        from .compare_dock import CompareWidget

        self.compare = CompareWidget()
        self.compare.message.connect(w._on_editor_message)
        self.compare_dock = QDockWidget("Compare", w)
        self.compare_dock.setObjectName("CompareDock")
        self.compare_dock.setWidget(self.compare)

    def _act(self, text: str, slot: Any, shortcut: str | None = None) -> QAction:
        act = QAction(text, self.w)
        act.triggered.connect(lambda _checked=False: slot())
        if shortcut:
            act.setShortcut(shortcut)
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        return act

    def add_menus(self, file_menu: QMenu, bar: Any) -> None:
        """File > Modules, and the Insert and Variants menus (before Examples)."""
        export = next((a for a in file_menu.actions() if a.text() == "&Export…"), None)
        modules = QMenu("&Modules", file_menu)
        modules.addActions([self.import_module, self.export_module, self.save_to_library])
        file_menu.insertMenu(export, modules) if export is not None else file_menu.addMenu(modules)
        before = next((a for a in bar.actions() if a.text() == "E&xamples"), None)
        for title, acts in (
            ("&Insert", [self.block_builder]),
            ("Varian&ts", [self.duplicate_variant, self.compare_variants]),
        ):
            menu = QMenu(title, bar)
            menu.addActions(acts)
            bar.insertMenu(before, menu) if before is not None else bar.addMenu(menu)

    # ----------------------------------------------------------------- library
    def refresh_palette(self) -> None:
        sections, problems = library_sections()
        self.w.palette_dock.set_extra_modules(sections)
        if problems:
            self.w.statusBar().showMessage(f"{len(problems)} module file(s) could not be read: {problems[0]}", 10000)

    def current_module_id(self) -> str | None:
        """The definition the user means: the open definition tab's, or the selected instance's."""
        tab = self.w.tabs.current()
        if tab is not None:
            return tab.definition.id
        editor = self.w.current_editor
        for nid in editor.selected_node_ids():
            mid = module_id_of(editor.document.nodes[nid].type_id)
            if mid is not None:
                return mid
        return None

    def _say(self, text: str) -> None:
        self.w.statusBar().showMessage(text, 8000)

    def import_dialog(self, path: str | None = None) -> str | None:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self.w, "Import Module", "", "Module files (*.json)")
            if not path:
                return None
        try:
            main, items = load_module(path)
        except ProjectError as exc:
            self._say(str(exc))
            return None
        doc = self.w.document
        main_id, new = plan_import(doc.library, main, items)
        name = next((i["name"] for i in new if i["id"] == main_id), None) or doc.library.get(main_id).name
        if new:
            self.w.session.push(AddModulesCommand(doc, new, None, f"Import module {name}"))
        self._say(f"Module {name} is in the Palette under Modules" if new else f"The project already has {name}")
        return main_id

    def export_dialog(self, path: str | None = None) -> Path | None:
        mid = self.current_module_id()
        if mid is None:
            self._say("Select a module instance (or open a definition) to export it")
            return None
        lib = self.w.document.library
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self.w, "Export Module", f"{lib.get(mid).name}.json", "Module files (*.json)"
            )
            if not path:
                return None
        try:
            save_module(lib, mid, path)
        except OSError as exc:
            self._say(f"{path}: cannot write the file: {exc.strerror or exc}")
            return None
        self._say(f"Exported module {lib.get(mid).name} to {path}")
        return Path(path)

    def save_to_user_library(self) -> Path | None:
        mid = self.current_module_id()
        if mid is None:
            self._say("Select a module instance (or open a definition) to save it to your library")
            return None
        try:
            path = save_user_module(self.w.document.library, mid)
        except OSError as exc:
            self._say(f"Cannot save to the library: {exc.strerror or exc}")
            return None
        self.refresh_palette()
        self._say(f"Saved to your library: {path}")
        return path

    def open_block_builder(self) -> Any:
        from .block_builder_dialog import open_block_builder

        return open_block_builder(self.w)

    # ---------------------------------------------------------------- variants
    def duplicate_as_variant(self) -> bool:
        self.compare.set_editor(self.w.editor) if self.compare.editor is not self.w.editor else None
        done = self.compare.duplicate()
        if done:
            self._say(f"Now editing variant {self.w.document.variant!r}; Variants > Compare shows them side by side")
        return done

    def show_compare(self) -> None:
        if self.compare.editor is not self.w.editor:
            self.compare.set_editor(self.w.editor)
        self.compare_dock.show()
        self.compare_dock.raise_()
        self.compare.refresh()
