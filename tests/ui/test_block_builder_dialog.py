"""Insert > Inception Block…: the block builder dialog, its live preview, and Insert as one undo step.

Set INCEPTION_DESIGNER_SHOTS=/some/dir to keep PNGs of the dialog in both themes.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)
from ui_helpers import assert_canvas_shows_the_truth, open_example

from designer.graph.block_builder import BlockSpec
from designer.graph.document import GraphDocument
from designer.ui.block_builder_dialog import BlockBuilderDialog, insert_block, open_block_builder
from designer.ui.session import Session

GOOGLENET_3A = "192 × 28 × 28 → 256 × 28 × 28 · 163.7K params · 128.0M MACs"


def builder_after(window, qtbot, node: str | None) -> BlockBuilderDialog:
    doc = open_example(window, "inception_module")
    window.editor.select([doc.find(node).id] if node else [])
    dialog = open_block_builder(window)
    qtbot.addWidget(dialog)
    assert dialog.isVisible() and dialog.windowTitle() == "Inception Block Builder"
    return dialog


def type_into(qtbot, field, text: str) -> None:
    """Select what the field holds and type ``text`` over it, as a user does."""
    edit = field if isinstance(field, QLineEdit) else field.lineEdit()
    edit.selectAll()
    qtbot.keyClicks(edit, text)


def test_the_preview_follows_every_change(window, qtbot):
    dialog = builder_after(window, qtbot, "input")
    assert dialog.input_label.text() == "Input: 192 × 28 × 28  (output of input)"
    assert dialog.preview_label.text() == GOOGLENET_3A, "GoogLeNet's inception3a by default"
    f = dialog.fields
    qtbot.mouseClick(f["use_1x1"], Qt.MouseButton.LeftButton)
    assert not f["ch1x1"].isEnabled()
    # Without the 64-wide 1x1 branch (12,352 parameters, 9.7M multiply-adds).
    assert dialog.preview_label.text() == "192 × 28 × 28 → 192 × 28 × 28 · 151.3K params · 118.4M MACs"
    qtbot.mouseClick(f["use_1x1"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(f["factorize_5x5"], Qt.MouseButton.LeftButton)  # 16 -> 3x3 32 -> 3x3 32
    assert f["ch5x5mid"].isEnabled() and f["ch5x5mid"].text() == "= channels"
    assert dialog.preview_label.text().startswith("192 × 28 × 28 → 256 × 28 × 28 · 164.8K params")
    qtbot.mouseClick(f["residual"], Qt.MouseButton.LeftButton)
    assert f["scale"].isEnabled()
    assert dialog.preview_label.text().startswith("192 × 28 × 28 → 192 × 28 × 28 · "), "back to the input's width"
    type_into(qtbot, f["ch3x3"], "208")
    assert dialog.preview_label.text().startswith("192 × 28 × 28 → 192 × 28 × 28 · 298.7K params")
    assert dialog.insert_button.isEnabled()


def test_an_invalid_count_shows_the_message_and_disables_insert(window, qtbot):
    dialog = builder_after(window, qtbot, "input")
    f = dialog.fields
    type_into(qtbot, f["ch3x3"], "0")
    assert dialog.preview_label.text() == "3×3 branch, channels (ch3x3) must be at least 1, got 0"
    assert not dialog.insert_button.isEnabled()
    assert f["ch3x3"].property("invalid") is True
    assert window.theme.error in dialog.preview_label.styleSheet()
    dialog.accept()  # Enter on an invalid block does nothing
    assert dialog.isVisible() and not window.document.library.defs
    type_into(qtbot, f["ch3x3"], "128")
    assert dialog.preview_label.text() == GOOGLENET_3A and dialog.insert_button.isEnabled()
    assert f["ch3x3"].property("invalid") is False
    for key in ("use_1x1", "use_3x3", "use_5x5", "use_pool"):
        qtbot.mouseClick(f[key], Qt.MouseButton.LeftButton)
    assert dialog.preview_label.text() == "branches: choose at least one branch"
    assert not dialog.insert_button.isEnabled()
    qtbot.mouseClick(f["use_pool"], Qt.MouseButton.LeftButton)
    type_into(qtbot, f["name"], "2nd")
    assert dialog.preview_label.text().startswith("name: '2nd' is not a module name")
    assert not dialog.insert_button.isEnabled()


def test_insert_adds_one_instance_with_the_previewed_shape_and_undo_removes_it(window, qtbot):
    dialog = builder_after(window, qtbot, "concat")  # inception3b's input
    doc = window.document
    before = len(doc.nodes)
    f = dialog.fields
    for key, value in (("ch1x1", 128), ("ch3x3red", 128), ("ch3x3", 192), ("ch5x5red", 32), ("ch5x5", 96)):
        type_into(qtbot, f[key], str(value))
    type_into(qtbot, f["pool_proj"], "64")
    type_into(qtbot, f["name"], "Inception3b")
    assert dialog.preview_label.text() == "256 × 28 × 28 → 480 × 28 × 28 · 388.7K params · 304.3M MACs"
    qtbot.mouseClick(dialog.insert_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    window.session.flush()
    (inst,) = doc.instances()
    assert len(doc.nodes) == before + 1 and inst.name == "inception3b"
    assert window.editor.selected_node_ids() == [inst.id], "the new block is selected"
    assert [doc.nodes[e.src].name for e in doc.in_edges(inst.id)] == ["concat"]
    assert window.session.report.shapes[inst.id] == (480, 28, 28)
    assert window.session.costs.nodes[inst.id].params == 388_736
    assert inst.params == {
        "ch1x1": 128,
        "ch3x3red": 128,
        "ch3x3": 192,
        "ch5x5red": 32,
        "ch5x5": 96,
        "pool_proj": 64,
        "repeat": 1,
    }
    assert [d.name for d in doc.library.defs.values()] == ["Inception3b"]
    assert_canvas_shows_the_truth(window)
    assert window.session.undo_stack.undoText() == "Insert block Inception3b after concat"
    window.actions.undo.trigger()
    assert not doc.instances() and not doc.library.defs and len(doc.nodes) == before
    assert_canvas_shows_the_truth(window)
    window.actions.redo.trigger()
    assert len(doc.instances()) == 1 and window.session.flush().shapes[doc.instances()[0].id] == (480, 28, 28)


def test_without_a_selection_the_block_takes_the_default_input_and_stands_alone(window, qtbot):
    dialog = builder_after(window, qtbot, None)
    assert dialog.input_label.text() == "Input: 192 × 28 × 28  (default: no node selected)"
    assert dialog.preview_label.text() == GOOGLENET_3A
    qtbot.mouseClick(dialog.insert_button, Qt.MouseButton.LeftButton)
    (inst,) = window.document.instances()
    assert not window.document.in_edges(inst.id)
    assert window.session.undo_stack.undoText() == "Insert block Inception"


def test_a_second_block_gets_its_own_names():
    session = Session(GraphDocument("net"))
    doc = session.doc
    x = doc.add_node("input", "input", {"channels": 192, "height": 28, "width": 28}).id
    a = insert_block(session, BlockSpec(), x)
    b = insert_block(session, BlockSpec(residual=True), a)
    assert [d.name for d in doc.library.defs.values()] == ["Inception", "Inception2"]
    assert (doc.nodes[a].name, doc.nodes[b].name) == ("inception", "inception2")
    report = session.flush()
    assert (report.shapes[a], report.shapes[b]) == ((256, 28, 28), (256, 28, 28))
    assert doc.nodes[b].pos[1] > doc.nodes[a].pos[1] > doc.nodes[x].pos[1], "each below the one it follows"


def _text_boxes(dialog):
    kinds = (QLabel, QPushButton, QCheckBox, QAbstractSpinBox, QComboBox, QLineEdit)
    for w in dialog.findChildren(QWidget):
        if not isinstance(w, kinds):
            continue
        if isinstance(w, QLabel) and not w.text():
            continue
        if w.isVisible() and not (isinstance(w, QLineEdit) and isinstance(w.parent(), (QAbstractSpinBox, QComboBox))):
            yield w, QRect(w.mapTo(dialog, QPoint(0, 0)), w.size())


@pytest.mark.parametrize("mode", ["dark", "light"])
def test_the_dialog_is_laid_out_in_both_themes(window, qtbot, mode):
    window.set_theme_mode(mode)
    dialog = builder_after(window, qtbot, "input")
    assert dialog.theme.name == mode
    for key in ("use_nxn", "factorize_5x5", "residual", "batch_norm"):
        dialog.fields[key].setChecked(True)
    dialog.adjustSize()
    QApplication.processEvents()
    seen = []
    for w, box in _text_boxes(dialog):
        assert dialog.rect().contains(box), f"{w.objectName() or type(w).__name__} is outside the dialog"
        if isinstance(w, (QLabel, QPushButton, QCheckBox)) and not getattr(w, "wordWrap", lambda: False)():
            assert box.width() >= w.minimumSizeHint().width(), f"{w.text()!r} is cut"
        for other, other_box in seen:
            assert not box.intersects(other_box), f"{w!r} overlaps {other!r}"
        seen.append((w, box))
    where = os.environ.get("INCEPTION_DESIGNER_SHOTS")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        dialog.grab().save(str(Path(where) / f"block_builder_{mode}.png"))


def test_an_inserted_block_lands_where_no_node_is(window):
    """After a node in the middle of GoogLeNet, the block goes beside the chain, not on it."""
    from designer.graph.layout import NODE_H, NODE_W

    doc = open_example(window, "googlenet")
    inst = insert_block(window.session, BlockSpec(), doc.find("maxpool3").id)
    x, y = doc.nodes[inst].pos
    for n in doc.nodes.values():
        if n.id != inst:
            apart_x = n.pos[0] >= x + NODE_W + 40 or x >= n.pos[0] + NODE_W
            apart_y = n.pos[1] >= y + 2 * NODE_H or y >= n.pos[1] + NODE_H
            assert apart_x or apart_y, n.name


def test_a_name_the_library_has_says_what_the_block_will_be_called(window, qtbot):
    doc = open_example(window, "googlenet")  # its library has Inception
    window.editor.select([doc.find("maxpool2").id])
    dialog = open_block_builder(window)
    qtbot.addWidget(dialog)
    dialog.fields["name"].clear()
    type_into(qtbot, dialog.fields["name"], "Inception")
    taken = doc.library.unique_name("Inception")
    assert taken != "Inception"
    assert dialog.name_note.isVisibleTo(dialog) and dialog.name_note.text().endswith(f"this one will be {taken}")
    dialog.fields["name"].clear()
    type_into(qtbot, dialog.fields["name"], "MyBlock")
    assert not dialog.name_note.isVisibleTo(dialog)
    qtbot.mouseClick(dialog.insert_button, Qt.MouseButton.LeftButton)
    assert doc.nodes[dialog.inserted_id].type.display_name == "MyBlock"
