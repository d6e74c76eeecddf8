"""Problems in place and fixes; files: save/open round trip, errors, title, leaks."""

from __future__ import annotations

import gc

import shiboken6
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication
from ui_helpers import open_example

from designer.io.project import dumps, load


def test_mismatch_shows_on_the_concat_and_fix_clears_it(window, qtbot):
    doc = open_example(window, "inception_module_mismatch")
    concat = window.scene.nodes[doc.find("concat").id]
    assert concat.severity == "error"
    assert "'b1'" in concat.toolTip() and "26 x 26" in concat.toolTip()
    (diag,) = [d for d in window.session.report.errors if d.code == "merge-mismatch"]
    (bad_edge,) = diag.edge_ids
    assert window.scene.edges[bad_edge].error
    ok_edges = [e.id for e in doc.in_edges(concat.node_id) if e.id != bad_edge]
    assert not any(window.scene.edges[e].error for e in ok_edges)
    # The Problems dock lists it with a Fix button; clicking the row reveals the node.
    problems = window.problems_dock
    assert problems.tree.topLevelItemCount() >= 1
    problems._on_tree_item_clicked(problems.tree.topLevelItem(0), 0)
    assert window.scene.selected_node_ids() == [concat.node_id]
    (button,) = problems.fix_buttons()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: concat.severity == "", timeout=2000)
    assert not window.scene.edges[bad_edge].error
    assert doc.find("b1").params["padding"] == "same"
    assert window.session.undo_stack.undoText().startswith("Set padding")
    window.session.undo_stack.undo()
    qtbot.waitUntil(lambda: concat.severity == "error", timeout=2000)


def test_save_open_round_trip_and_modified_title(window, make_window, tmp_path):
    doc = open_example(window, "inception_module")
    assert not window.isWindowModified()
    window.scene.select_nodes([doc.find("b1_1x1").id])
    window.actions.delete.trigger()
    assert window.isWindowModified()
    path = tmp_path / "module.json"
    window.session.path = path
    assert window.save()
    assert not window.isWindowModified()
    assert "module.json" in window.windowTitle()
    assert load(path).to_dict() == doc.to_dict()
    other = make_window()
    assert other.open_path(path)
    assert dumps(other.document) == dumps(doc)
    assert str(path.resolve()) in other.recent_files()


def test_open_errors_are_shown_not_raised(window, errors, tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text('{"format_version": 1, "nodes": [{"id": "a", "type": "warp_drive", "name": "x"}]}')
    assert not window.open_path(bad)
    (title, message) = errors[-1]
    assert "broken.json" in message and "warp_drive" in message
    assert not window.open_path(tmp_path / "missing.json")
    assert "missing.json" in errors[-1][1]


def test_autosave_writes_while_modified(window):
    doc = open_example(window, "inception_module")
    window.scene.select_nodes([doc.find("b1_1x1").id])
    window.actions.delete.trigger()
    window.autosave()
    assert window.autosaver.path.exists()
    assert load(window.autosaver.path).to_dict() == doc.to_dict()
    assert window.save_for_run()


def test_no_leaked_top_level_widgets(make_window, qtbot):
    from designer.ui.main_window import MainWindow

    QApplication.processEvents()
    before = {shiboken6.getCppPointer(w)[0] for w in QApplication.topLevelWidgets()}
    window = MainWindow(theme_mode="light")
    open_example(window, "inception_module_mismatch")
    window.show()
    qtbot.waitExposed(window)
    window.close()
    window.deleteLater()
    del window
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    QApplication.processEvents()
    gc.collect()
    after = [w for w in QApplication.topLevelWidgets() if shiboken6.getCppPointer(w)[0] not in before]
    assert after == [], [
        (type(w).__name__, w.title() if hasattr(w, "title") else "", type(w.parent()).__name__) for w in after
    ]


def test_theme_switch_and_code_dock(window):
    open_example(window, "inception_module")
    window.set_theme_mode("light")
    assert window.scene.theme.name == "light"
    window.set_theme_mode("dark")
    assert window.scene.theme.name == "dark"
    text = window.code_dock.generate()
    assert isinstance(text, str) and text


def test_screenshot_command_writes_a_png(tmp_path):
    from designer.examples import example_path
    from designer.ui.screenshot import render

    out = tmp_path / "shot.png"
    assert render(str(example_path("inception_module_mismatch")), str(out), "light", (1200, 800)) == 0
    assert out.stat().st_size > 10_000


def test_fix_from_the_inspector_of_the_cause(window):
    """Selecting the branch that causes the mismatch offers the same Fix in the Inspector."""
    doc = open_example(window, "inception_module_mismatch")
    b1 = doc.find("b1").id
    window.scene.select_nodes([b1])
    window.session.revalidate()
    button = window.inspector_dock.fix_button
    assert not button.isHidden() and "padding" in button.text() and "'same'" in button.text()
    button.click()
    window.session.revalidate()
    assert window.session.report.ok
    assert doc.nodes[b1].params["padding"] == "same"
    assert window.inspector_dock.fix_button.isHidden()
