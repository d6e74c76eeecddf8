"""Definition tabs: a module's body on its own canvas, analysed for a chosen instance, sharing
the project's undo stack. Each test drives the real main window and looks at what was
painted on the canvases and written in the widgets."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication
from test_trust_what_you_see import type_into

from designer.graph.builder import Builder
from designer.graph.document import MODULE_PREFIX, GraphDocument
from designer.graph.module_edits import apply_edit, plan_make_module, revert_edit
from designer.ui.commands import SetParamCommand
from designer.ui.format import shape_text


def two_blocks(mid_kernel: int = 1) -> GraphDocument:
    """input 16x16 -> stem -> a -> mid -> b -> classifier, where ``a`` and ``b`` are instances
    of one definition ``Down``: a 2x2 'valid' conv /2 and a 3x3 'same' conv /2, concatenated.
    They agree on even sizes only; ``mid_kernel=2`` ('valid') feeds ``b`` 7 x 7."""
    b = Builder("two blocks")
    x = b.input(channels=3, height=16, width=16)
    x = b.conv(x, "stem", out_channels=8, kernel_size=3)
    for g in ("a", "b"):
        with b.group(g):
            y1 = b.conv(x, f"{g}_b1", out_channels=8, kernel_size=2, stride=2, padding="valid")
            y2 = b.conv(x, f"{g}_b2", out_channels=8, kernel_size=3, stride=2)
            x = b.concat([y1, y2], f"{g}_cat")
        if g == "a":
            x = b.conv(x, "mid", out_channels=16, kernel_size=mid_kernel, padding="valid")
    b.output(x, num_classes=10)
    doc = b.done()
    groups = {g.name: list(g.node_ids) for g in doc.groups.values()}
    edit = plan_make_module(doc, groups["a"], "Down")
    apply_edit(doc, edit)
    edit_b = plan_make_module(doc, groups["b"])
    edit_b.added_module = None  # b is an instance of the same definition
    edit_b.added_nodes[0]["type"] = MODULE_PREFIX + edit.added_module["id"]
    apply_edit(doc, edit_b)
    doc.revision = 0
    return doc


def painted(editor) -> None:
    """Paint the editor's canvas as the user sees it (every item draws itself)."""
    editor.view.fit()
    editor.view.viewport().grab()


def node_shape(editor, name: str) -> str:
    """The output shape a node of the editor's canvas last painted."""
    painted(editor)
    item = editor.scene.nodes[editor.document.find(name).id]
    return item.painted[2]


def out_label(editor, name: str) -> str:
    """The shape label last painted on the edge leaving node ``name``."""
    painted(editor)
    doc = editor.document
    nid = doc.find(name).id
    (edge,) = doc.out_edges(nid)
    return editor.scene.edges[edge.id].painted[0]


def node_state(editor, name: str) -> tuple[str, str]:
    """(severity, tooltip) of a node as painted."""
    painted(editor)
    item = editor.scene.nodes[editor.document.find(name).id]
    return item.painted[3], item.toolTip()


@pytest.fixture
def win(make_window):
    window = make_window(two_blocks())
    window.show()
    return window


def test_an_instance_opens_its_definition_in_a_tab_with_its_shapes(win):
    doc = win.document
    tab = win.open_module(doc.find("b").id)
    assert win.tabs.titles() == ["Design", "Down"]
    assert win.tabs.widget.currentWidget() is tab
    assert tab.instance_box.currentText() == "as b"
    assert [tab.instance_box.itemText(i) for i in range(tab.instance_box.count())] == [
        "as a",
        "as b",
        "no instance (preview shapes)",
    ]
    # b is fed the 16 x 8 x 8 that leaves mid
    assert node_shape(tab.editor, "x") == "16 × 8 × 8"
    assert node_shape(tab.editor, "cat") == "16 × 4 × 4"
    assert "16 × 8 × 8" in tab.note.text()
    tab.instance_box.setCurrentIndex(0)  # as a: the stem's 8 x 16 x 16
    assert node_shape(tab.editor, "x") == "8 × 16 × 16"
    assert node_shape(tab.editor, "b1") == "8 × 8 × 8"
    tab.instance_box.setCurrentIndex(2)  # the Module input's own preview shape
    x = tab.document.find("x")
    assert node_shape(tab.editor, "x") == shape_text((x.params["channels"], x.params["height"], x.params["width"]))
    # the tab follows the theme
    win.set_theme_mode("light")
    assert tab.editor.scene.backgroundBrush().color() == QColor(win.theme.canvas) == QColor("#f5f6f8")
    # opening a from the design shows the same tab, for a
    assert win.open_module(doc.find("a").id) is tab and tab.instance_box.currentText() == "as a"
    assert win.tabs.titles() == ["Design", "Down"]


def test_a_conv_edited_inside_changes_every_instance_on_the_design(win, qtbot):
    tab = win.open_module(win.document.find("a").id)
    b1 = tab.document.find("b1")
    tab.editor.select([b1.id])
    assert win.inspector_dock.node_id == b1.id  # the Inspector follows the definition's canvas
    type_into(qtbot, win.inspector_dock, "out_channels", "20")
    assert node_shape(tab.editor, "cat") == "28 × 8 × 8"
    win.tabs.widget.setCurrentIndex(0)
    assert out_label(win.editor, "a") == "28 × 8 × 8"
    assert out_label(win.editor, "b") == "28 × 4 × 4"
    assert node_shape(win.editor, "mid") == "16 × 8 × 8"  # mid reads 28 channels now, gives 16
    # one undo step, from the Design tab too
    win.actions.undo.trigger()
    assert out_label(win.editor, "a") == "16 × 8 × 8"
    assert out_label(win.editor, "b") == "16 × 4 × 4"
    win.tabs.widget.setCurrentWidget(tab)
    assert node_shape(tab.editor, "cat") == "16 × 8 × 8"


def test_ctrl_z_in_a_definition_tab_undoes_a_body_edit(win, qtbot):
    tab = win.open_module(win.document.find("a").id)
    b2 = tab.document.find("b2")
    tab.editor.select([b2.id])
    type_into(qtbot, win.inspector_dock, "out_channels", "24")
    assert out_label(tab.editor, "cat") == "32 × 8 × 8"
    win.activateWindow()
    tab.editor.view.setFocus()
    qtbot.keyClick(tab.editor.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    QApplication.processEvents()
    assert b2.params["out_channels"] == 8
    assert out_label(tab.editor, "cat") == "16 × 8 × 8"
    assert win.inspector_dock.editors["out_channels"].line.text() == "8"
    win.tabs.widget.setCurrentIndex(0)
    assert out_label(win.editor, "a") == "16 × 8 × 8"


def test_a_definition_wrong_for_one_instance_shows_it_there_and_inside(make_window):
    win = make_window(two_blocks(mid_kernel=2))  # b is fed 7 x 7: its branches give 3 x 3 and 4 x 4
    win.show()
    severity, tip = node_state(win.editor, "b")
    assert severity == "error" and "inside module Down" in tip and "3 x 3" in tip
    assert node_state(win.editor, "a")[0] == ""
    assert out_label(win.editor, "a") == "16 × 8 × 8"
    problems = [
        win.problems_dock.tree.topLevelItem(i).text(0) for i in range(win.problems_dock.tree.topLevelItemCount())
    ]
    assert any("inside module Down" in p for p in problems)
    tab = win.open_module(win.document.find("b").id)
    severity, tip = node_state(tab.editor, "cat")
    assert severity == "error" and "3 x 3" in tip
    assert node_shape(tab.editor, "b1") == "8 × 3 × 3"
    rows = [win.problems_dock.tree.topLevelItem(i).text(1) for i in range(win.problems_dock.tree.topLevelItemCount())]
    assert "cat" in rows  # Problems lists the body's problem, at the node inside
    tab.instance_box.setCurrentIndex(0)  # as a: fine
    assert node_state(tab.editor, "cat")[0] == ""
    assert node_shape(tab.editor, "cat") == "16 × 8 × 8"
    # mending the design around b (mid back to 1x1) mends b inside, for the instance shown
    tab.instance_box.setCurrentIndex(1)
    win.tabs.widget.setCurrentIndex(0)
    mid = win.document.find("mid")
    win.editor.select([mid.id])
    win.inspector_dock.editors["kernel_size"].line.setText("1")
    win.inspector_dock.editors["kernel_size"].edited.emit(True)
    assert node_state(win.editor, "b")[0] == ""
    assert node_state(tab.editor, "cat")[0] == "" and node_shape(tab.editor, "x") == "16 × 8 × 8"


def test_tabs_close_but_the_design_does_not(win):
    tab = win.open_module(win.document.find("a").id)
    bar = win.tabs.widget.tabBar()
    assert bar.tabButton(0, bar.ButtonPosition.RightSide) is None
    assert bar.tabButton(0, bar.ButtonPosition.LeftSide) is None
    assert bar.tabButton(1, bar.ButtonPosition.RightSide) or bar.tabButton(1, bar.ButtonPosition.LeftSide)
    win.tabs.widget.tabCloseRequested.emit(0)
    assert win.tabs.titles() == ["Design", "Down"]
    session = tab.session
    win.tabs.widget.tabCloseRequested.emit(1)
    assert win.tabs.titles() == ["Design"]
    assert win.current_editor is win.editor and win.inspector_dock.session is win.session
    assert not win.tabs.tabs
    # the closed tab's session no longer analyses (it let go of the shared stack and the design)
    analyses = session.analyses
    win.editor.select([win.document.find("stem").id])
    win.inspector_dock.editors["out_channels"].line.setText("12")
    win.inspector_dock.editors["out_channels"].edited.emit(True)
    assert win.document.find("stem").params["out_channels"] == 12
    assert node_shape(win.editor, "stem") == "12 × 16 × 16"
    assert session.analyses == analyses
    # reopened, it shows the new input
    tab = win.open_module(win.document.find("a").id)
    assert node_shape(tab.editor, "x") == "12 × 16 × 16"


def test_renaming_and_removing_the_definition_follow_in_the_tab(win):
    doc = win.document
    d = next(iter(doc.library.defs.values()))
    tab = win.open_module(doc.find("a").id)
    win.inspector_dock.show_nodes([])
    field = win.inspector_dock.module_name_edit
    field.setText("Reduce")
    field.editingFinished.emit()
    assert d.name == "Reduce" and win.tabs.titles() == ["Design", "Reduce"]
    field = win.inspector_dock.module_name_edit
    field.setText("9lives")
    field.editingFinished.emit()
    assert d.name == "Reduce"
    message = win.inspector_dock.module_error.text()
    assert "'9lives' is not a module name" in message and not win.inspector_dock.module_error.isHidden()
    win.actions.undo.trigger()
    assert d.name == "Down" and win.tabs.titles() == ["Design", "Down"]
    # the definition leaves the library (as the undo of Make Module does): its tab closes
    edit = plan_make_module(doc, [doc.find("mid").id], "Mid")
    apply_edit(doc, edit)
    win.open_module(edit.focus[0])
    assert win.tabs.titles() == ["Design", "Down", "Mid"]
    revert_edit(doc, edit)
    assert win.tabs.titles() == ["Design", "Down"]
    assert win.tabs.current() is tab and win.inspector_dock.session is tab.session


def test_undoing_make_module_closes_the_new_definitions_tab(win):
    doc = win.document
    win.editor.select([doc.find("mid").id])
    (inst,) = win.editor.make_module("Mid")
    win.open_module(inst)
    assert win.tabs.titles() == ["Design", "Mid"]
    win.actions.undo.trigger()  # (from the Mid tab: the tab goes with its definition)
    assert win.tabs.titles() == ["Design"] and "mid" in {n.name for n in doc.nodes.values()}
    assert win.current_session is win.session and win.inspector_dock.session is win.session
    assert win.summary_dock.session is win.session
    assert node_shape(win.editor, "mid") == "16 × 8 × 8"


def test_opening_another_design_closes_the_definition_tabs(win):
    win.open_module(win.document.find("a").id)
    win.new_document()
    assert win.tabs.titles() == ["Design"]
    assert win.open_module("nope") is None
    assert "Only a module instance" in win.statusBar().currentMessage()


def test_faces_in_a_definition_tab_show_the_chosen_instances_values(make_window):
    """Shapes and values agree: a branch whose width is exposed shows the chosen instance's
    width on its face (GoogLeNet's inception3a: 64; inception4c: 128), the definition's own
    value in the preview, and follows a value typed on the instance."""
    from designer.examples import example_path
    from designer.io import project

    window = make_window(project.load(example_path("googlenet")))
    window.show()
    doc = window.document
    c4 = doc.find("inception4c").id
    tab = window.open_module(c4)

    def face(name: str) -> tuple[str, str]:
        painted(tab.editor)
        item = tab.editor.scene.nodes[tab.document.find(name).id]
        return item.painted[1], item.painted[2]  # (summary, shape)

    summary, shape = face("b1_1x1")
    assert summary.endswith("-> 128") and shape.startswith("128 ×"), (summary, shape)
    labels = [tab.instance_box.itemText(i) for i in range(tab.instance_box.count())]
    tab.instance_box.setCurrentIndex(labels.index("as inception3a"))
    summary, shape = face("b1_1x1")
    assert summary.endswith("-> 64") and shape.startswith("64 ×"), (summary, shape)
    tab.instance_box.setCurrentIndex(labels.index("no instance (preview shapes)"))
    own = tab.document.find("b1_1x1").params["out_channels"]
    summary, shape = face("b1_1x1")
    assert summary.endswith(f"-> {own}") and shape.startswith(f"{own} ×"), (summary, shape)
    tab.instance_box.setCurrentIndex(labels.index("as inception4c"))
    window.session.push(SetParamCommand(doc, c4, "ch1x1", 96))
    QApplication.processEvents()
    summary, shape = face("b1_1x1")
    assert summary.endswith("-> 96") and shape.startswith("96 ×"), (summary, shape)
