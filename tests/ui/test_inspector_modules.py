"""The Inspector and modules: exposing a parameter of a node inside a definition, the Module
section of a definition tab, and an instance's exposed parameters with its Edit Module
button. Every edit is undone and redone, and what the canvases painted is checked."""

from __future__ import annotations

import pytest
from test_module_tabs import node_shape, out_label, two_blocks
from test_trust_what_you_see import type_into

from designer.graph.module_edits import apply_edit, plan_make_module
from designer.graph.modules import ExposedParam
from designer.ui import module_inspector


@pytest.fixture
def win(make_window):
    window = make_window(two_blocks())
    window.show()
    return window


@pytest.fixture
def answers(monkeypatch):
    """Stand in for the user in the 'Expose as module parameter' dialog: each call takes the
    next answer (None: Cancel); the prompts shown are kept."""
    given: list[str | None] = []
    prompts: list[tuple[str, str]] = []

    def ask(parent, title, label, default):
        prompts.append((label, default))
        return given.pop(0)

    monkeypatch.setattr(module_inspector, "ask_name", ask)
    return given, prompts


def _expose_b1(win, answers_, *names):
    given, prompts = answers_
    tab = win.open_module(win.document.find("a").id)
    b1 = tab.document.find("b1")
    tab.editor.select([b1.id])
    given.extend(names)
    row = win.inspector_dock.editors["out_channels"].parentWidget()
    button = next(b for b in row.findChildren(module_inspector.QToolButton) if b.objectName() == "exposeButton")
    button.click()
    return tab, b1, prompts


def exposed_button(win, key):
    """The expose toggle beside the field ``key`` of the Inspector."""
    editor = win.inspector_dock.editors[key]
    for b in editor.parentWidget().findChildren(module_inspector.QToolButton):
        if b.objectName() == "exposeButton" and b.geometry().center().y() - editor.geometry().center().y() in range(
            -8, 9
        ):
            return b
    raise AssertionError(f"no expose button beside {key}")


def test_exposing_a_parameter_asks_its_name_and_marks_the_row(win, answers):
    tab, b1, prompts = _expose_b1(win, answers, "9bad", "ch1x1")
    d = tab.definition
    assert d.exposed == [ExposedParam("ch1x1", b1.id, "out_channels")]
    (first_label, default), (second_label, _) = prompts
    assert default == "b1_out_channels"
    assert "'9bad' is not a parameter name" in second_label  # asked again, saying why
    insp = win.inspector_dock
    assert insp.expose_marks["out_channels"].text().startswith("exposed as ch1x1")
    assert not insp.expose_marks["out_channels"].isHidden()
    assert exposed_button(win, "out_channels").isChecked()
    assert not exposed_button(win, "kernel_size").isChecked()
    # the instances take the module's value (8), and show it as theirs
    assert win.document.find("a").params == {"ch1x1": 8, "repeat": 1}
    # the Module section (nothing selected) lists it
    tab.editor.select([])
    assert list(insp.exposed_edits) == ["ch1x1"]


def test_cancelling_the_name_exposes_nothing(win, answers):
    tab, _, _ = _expose_b1(win, answers, None)
    assert tab.definition.exposed == []
    assert not exposed_button(win, "out_channels").isChecked()
    assert win.session.undo_stack.count() == 0


def test_an_instance_sets_its_exposed_value_and_undo_restores_every_value(win, answers, qtbot):
    tab, _, _ = _expose_b1(win, answers, "ch1x1")
    d = tab.definition
    win.tabs.widget.setCurrentIndex(0)
    b = win.document.find("b")
    win.editor.select([b.id])
    insp = win.inspector_dock
    assert list(insp.editors) == ["ch1x1", "repeat"]
    assert insp.edit_module_button.text() == "Edit Module"
    type_into(qtbot, insp, "ch1x1", "0", commit=None)  # flagged inline while typed, never applied
    assert "ch1x1 must be at least 1" in insp.error_text("ch1x1") and b.params["ch1x1"] == 8
    type_into(qtbot, insp, "ch1x1", "32")
    assert b.params["ch1x1"] == 32 and insp.error_text("ch1x1") == ""
    assert out_label(win.editor, "b") == "40 × 4 × 4"
    assert out_label(win.editor, "a") == "16 × 8 × 8"  # a keeps the module's value
    stack = win.session.undo_stack
    stack.undo()  # the value
    assert out_label(win.editor, "b") == "16 × 4 × 4"
    stack.undo()  # the expose
    assert d.exposed == [] and b.params == {"repeat": 1}
    assert list(insp.editors) == ["repeat"]
    stack.redo()
    stack.redo()
    assert d.exposed == [ExposedParam("ch1x1", d.body.find("b1").id, "out_channels")]
    assert b.params == {"ch1x1": 32, "repeat": 1}
    assert insp.editors["ch1x1"].line.text() == "32"
    assert out_label(win.editor, "b") == "40 × 4 × 4"
    # Edit Module opens the definition for this instance, showing its value inside
    insp.edit_module_button.click()
    assert win.tabs.current() is tab and tab.instance_box.currentText() == "as b"
    assert node_shape(tab.editor, "b1") == "32 × 4 × 4"


def test_renaming_and_removing_an_exposed_parameter_keep_and_restore_values(win, answers):
    tab, _, _ = _expose_b1(win, answers, "ch1x1")
    d = tab.definition
    doc = win.document
    doc.set_param(doc.find("b").id, "ch1x1", 32)  # (a value set by the user, as above)
    doc.set_param(doc.find("a").id, "ch1x1", 24)
    # a inside another definition: its values must come back too
    outer = plan_make_module(doc, [doc.find("a").id], "Outer")
    apply_edit(doc, outer)
    inner_a = doc.library.get(outer.added_module["id"]).body.find("a")
    assert inner_a.params == {"ch1x1": 24, "repeat": 1}
    tab.editor.select([])
    insp = win.inspector_dock
    field = insp.exposed_edits["ch1x1"]
    field.setText("width")
    field.editingFinished.emit()
    assert [e.name for e in d.exposed] == ["width"]
    assert doc.find("b").params == {"width": 32, "repeat": 1} and inner_a.params == {"width": 24, "repeat": 1}
    field = insp.exposed_edits["width"]
    field.setText("repeat")
    field.editingFinished.emit()
    assert "'repeat' is every instance's copy count" in insp.module_error.text()
    assert [e.name for e in d.exposed] == ["width"] and insp.exposed_edits["width"].text() == "width"
    remove = next(b for b in insp.findChildren(module_inspector.QToolButton) if b.objectName() == "unexposeButton")
    remove.click()
    assert d.exposed == [] and doc.find("b").params == {"repeat": 1} and inner_a.params == {"repeat": 1}
    assert tab.instance_box.currentText() == "as b"  # (a moved into Outer)
    assert out_label(tab.editor, "cat") == "16 × 4 × 4"  # b's 32 is gone: the module's 8
    stack = win.session.undo_stack
    stack.undo()
    assert doc.find("b").params == {"width": 32, "repeat": 1} and inner_a.params == {"width": 24, "repeat": 1}
    stack.undo()
    assert doc.find("b").params == {"ch1x1": 32, "repeat": 1} and inner_a.params == {"ch1x1": 24, "repeat": 1}
    assert list(insp.exposed_edits) == ["ch1x1"]
    stack.redo()
    stack.redo()
    assert d.exposed == [] and doc.find("b").params == {"repeat": 1}


def test_the_module_section_describes_the_definition(win):
    tab = win.open_module(win.document.find("a").id)
    insp = win.inspector_dock
    assert insp.module_name_edit.text() == "Down"
    insp.module_description_edit.setText("Halves the size")
    insp.module_description_edit.editingFinished.emit()
    assert tab.definition.description == "Halves the size"
    win.session.undo_stack.undo()
    assert tab.definition.description == "" and insp.module_description_edit.text() == ""
    # a body node shows no module section, the ports no expose buttons
    tab.editor.select([tab.document.find("x").id])
    assert not insp.expose_marks and insp.module_name_edit is None or not insp.module_name_edit.isVisible()
