"""The module library and variants in the window: menus, Palette sections, import/export, Compare."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication
from ui_helpers import open_example

from designer.io.library import SHIPPED_DIR, load_module
from designer.io.project import dumps


def _menu_titles(window) -> list[str]:
    return [a.text() for a in window.menuBar().actions()]


def test_the_menus_offer_modules_insert_and_variants(window) -> None:
    titles = _menu_titles(window)
    assert titles.index("&Insert") < titles.index("Varian&ts") < titles.index("E&xamples")
    file_menu = window.menuBar().actions()[0].menu()
    modules = next(a.menu() for a in file_menu.actions() if a.text() == "&Modules")
    assert [a.text() for a in modules.actions()] == ["&Import Module…", "E&xport Module…", "Save Module to &Library"]
    assert window.library_actions.block_builder.shortcut().toString() == "Ctrl+Shift+B"


def test_the_palette_lists_the_shipped_classic_blocks(window, qtbot) -> None:
    qtbot.waitUntil(lambda: "CLASSIC BLOCKS" in window.palette_dock.sections(), timeout=5000)
    names = {item.text(0) for item in window.palette_dock.module_items()}
    assert {"Inception", "InceptionA", "Block35", "MiddleBlock"} <= names


def test_import_a_module_file_is_one_undo_step(window) -> None:
    doc = open_example(window, "inception_module")
    before = dumps(doc)
    mid = window.library_actions.import_dialog(str(SHIPPED_DIR / "googlenet_inception.json"))
    assert doc.library.get(mid).name == "Inception"
    assert "Inception" in window.statusBar().currentMessage()
    window.session.undo_stack.undo()
    assert dumps(doc) == before
    bad = window.library_actions.import_dialog(str(Path(__file__)))  # not a module file
    assert bad is None and "invalid JSON" in window.statusBar().currentMessage()


def test_export_the_selected_instances_module_and_read_it_back(window, tmp_path) -> None:
    doc = open_example(window, "googlenet")
    window.editor.select([doc.find("inception4a").id])
    path = window.library_actions.export_dialog(str(tmp_path / "inception.json"))
    main, items = load_module(path)
    assert [i["name"] for i in items if i["id"] == main] == ["Inception"]
    window.editor.select([])
    assert window.library_actions.export_dialog(str(tmp_path / "x.json")) is None
    assert "Select a module instance" in window.statusBar().currentMessage()


def test_duplicate_as_variant_and_compare(window, qtbot) -> None:
    doc = open_example(window, "inception_module")
    assert window.library_actions.duplicate_as_variant()
    assert doc.variant == "main copy" and [v["name"] for v in doc.variants] == ["main"]
    window.library_actions.show_compare()
    QApplication.processEvents()
    compare = window.library_actions.compare
    assert compare.table.rowCount() == 2
    window.session.undo_stack.undo()
    window.session.flush()
    compare.refresh()  # (offscreen and unshown: the view refreshes itself only while visible)
    assert not doc.variants and compare.table.rowCount() == 1
