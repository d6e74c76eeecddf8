"""Make Module (Ctrl+G), Ungroup (Ctrl+Shift+G), instances on the canvas, Edit Module and the
palette's modules, driven like a person on the real main window (offscreen): clicks and keys
on the canvas, the Inspector's fields, the palette's entries; then what was painted."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QContextMenuEvent, QDropEvent, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from ui_helpers import assert_canvas_shows_the_truth

from designer.graph.document import GraphDocument
from designer.graph.module_edits import apply_edit, plan_make_module
from designer.io.project import dumps
from designer.ui.format import shape_text
from designer.ui.menus import add_here_menu


def flat_googlenet() -> GraphDocument:
    """GoogLeNet with its nine Inception modules drawn as plain nodes in groups."""
    from designer.examples import googlenet as g

    try:
        return g.googlenet(modules=False)
    except TypeError:  # (an example without modules: always plain nodes)
        return g.googlenet()


@pytest.fixture
def gwin(make_window, qtbot):
    window = make_window(flat_googlenet())
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    window.view.setFocus()
    QApplication.processEvents()
    return window


def members(doc: GraphDocument, group: str) -> list[str]:
    return list(next(g.node_ids for g in doc.groups.values() if g.name == group))


def show(window, node_ids: list[str]) -> None:
    """Bring these nodes into the view at a readable zoom (as a user scrolls to them)."""
    scene = window.scene
    rect = scene.nodes[node_ids[0]].sceneBoundingRect()
    for nid in node_ids[1:]:
        rect = rect.united(scene.nodes[nid].sceneBoundingRect())
    window.view.fitInView(rect.adjusted(-40, -40, 40, 40), Qt.AspectRatioMode.KeepAspectRatio)
    QApplication.processEvents()


def click(window, node_id: str, modifier=Qt.KeyboardModifier.NoModifier, double: bool = False) -> None:
    """Click a node's body (its summary line, away from its ports) in the viewport."""
    item = window.scene.nodes[node_id]
    at = window.view.mapFromScene(item.mapToScene(QPointF(item.rect.width() / 2, 40)))
    vp = window.view.viewport()
    if double:  # press, release, then the second press (a double-click) and its release
        QTest.mouseClick(vp, Qt.MouseButton.LeftButton, modifier, at)
        QTest.mouseDClick(vp, Qt.MouseButton.LeftButton, modifier, at)
        QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, modifier, at)
    else:
        QTest.mouseClick(vp, Qt.MouseButton.LeftButton, modifier, at)


def select_by_clicks(window, node_ids: list[str]) -> None:
    show(window, node_ids)
    click(window, node_ids[0])
    for nid in node_ids[1:]:
        click(window, nid, Qt.KeyboardModifier.ControlModifier)
    assert set(window.editor.selected_node_ids()) == set(node_ids)


def press(window, keys: str) -> None:
    """Type a shortcut on the canvas."""
    window.view.setFocus()
    seq = QKeySequence(keys)[0]
    QTest.keyClick(window.view, seq.key(), seq.keyboardModifiers())
    QApplication.processEvents()


def painted(window, node_ids: list[str]) -> None:
    show(window, node_ids)
    window.view.viewport().grab()


def make_inception3a(window) -> str:
    select_by_clicks(window, members(window.document, "inception3a"))
    press(window, "Ctrl+G")
    (inst,) = window.editor.selected_node_ids()
    return inst


def test_ctrl_g_makes_inception3a_one_instance_and_undo_redo_ungroup_follow(gwin):
    window, doc = gwin, gwin.document
    before, count = dumps(doc), len(doc.nodes)
    shapes_before = {doc.nodes[n].name: s for n, s in window.session.report.shapes.items()}
    block = members(doc, "inception3a")
    names = {doc.nodes[n].name for n in block}
    assert len(block) == 8
    select_by_clicks(window, block)
    assert window.actions.make_module.isEnabled() and not window.actions.ungroup.isEnabled()
    press(window, "Ctrl+G")
    (inst,) = window.editor.selected_node_ids()  # the new instance is selected
    assert len(doc.nodes) == count - 7
    assert [n.name for n in doc.instances()] == ["inception3a"]
    item = window.scene.nodes[inst]
    painted(window, [inst])
    assert item.painted[:3] == ("inception3a", "Inception", "256 × 28 × 28")
    assert item.painted_module[0] == "Inception" and item.painted_module[1] == ""
    assert item.painted_module[2] == "163.7K params · 128.0M MACs"  # the block's totals
    out = [window.scene.edges[e.id] for e in doc.out_edges(inst)]
    assert len(out) == 4 and all(e.painted[0] == "256 × 28 × 28" for e in out)
    assert "Made module Inception" in window.statusBar().currentMessage()
    assert window.actions.ungroup.isEnabled()
    assert_canvas_shows_the_truth(window)

    press(window, "Ctrl+Z")  # one step back: the design as it was, byte for byte
    assert dumps(doc) == before
    assert not any(i.is_instance for i in window.scene.nodes.values())
    assert_canvas_shows_the_truth(window)
    window.actions.redo.trigger()
    QApplication.processEvents()
    assert [n.name for n in doc.instances()] == ["inception3a"]
    assert window.scene.nodes[inst].is_instance
    assert_canvas_shows_the_truth(window)

    window.editor.select([inst])
    press(window, "Ctrl+Shift+G")
    back = window.editor.selected_node_ids()
    assert len(back) == 8 and len(doc.nodes) == count and not doc.instances()
    assert {doc.nodes[n].name for n in back} == names  # the nodes come back under their names
    shapes_after = {doc.nodes[n].name: s for n, s in window.session.report.shapes.items()}
    assert shapes_after == shapes_before  # every node computes what it did before the module
    assert_canvas_shows_the_truth(window)


def test_a_selection_that_cannot_be_a_module_says_why_and_changes_nothing(gwin):
    window, doc = gwin, gwin.document
    before, steps = dumps(doc), window.session.undo_stack.count()
    select_by_clicks(window, [doc.find("conv1").id, doc.find("maxpool1").id, doc.find("input").id])
    press(window, "Ctrl+G")
    message = window.statusBar().currentMessage()
    assert message.startswith("Cannot make a module") and "'input'" in message
    two_ends = [doc.find("inception3a_b1_1x1").id, doc.find("inception3a_b3_5x5").id]
    select_by_clicks(window, two_ends)
    press(window, "Ctrl+G")
    assert "one output" in window.statusBar().currentMessage()
    assert dumps(doc) == before and window.session.undo_stack.count() == steps
    assert not window.actions.ungroup.isEnabled()  # plain nodes: nothing to ungroup
    press(window, "Ctrl+Shift+G")
    assert dumps(doc) == before


def test_repeat_set_in_the_inspector_shows_the_badge_and_the_totals_of_every_copy(gwin, qtbot):
    window, doc = gwin, gwin.document
    inst = make_inception3a(window)
    insp = window.inspector_dock
    assert "repeat" in insp.editors  # the Inspector builds it from the instance's type
    line = insp.editors["repeat"].line
    line.clear()
    qtbot.keyClicks(line, "3")
    line.editingFinished.emit()
    QApplication.processEvents()
    assert doc.nodes[inst].params["repeat"] == 3
    item = window.scene.nodes[inst]
    painted(window, [inst])
    assert item.painted_module[1] == "× 3"
    # Three copies one after another: the 2nd and 3rd read 256 channels, the 1st 192.
    assert window.session.costs.nodes[inst].params > 3 * 163_696
    assert item.painted_module[2] == "517.7K params · 405.0M MACs"
    assert_canvas_shows_the_truth(window)
    # Exposed parameters appear in the Inspector and on the node's face.
    d = doc.library.by_name("Inception")
    from designer.graph.modules import ExposedParam

    b1 = d.body.find("b1_1x1").id
    doc.library.set_exposed(d.id, [ExposedParam("ch1x1", b1, "out_channels")])
    QApplication.processEvents()
    window.scene.select_nodes([])
    window.scene.select_nodes([inst])
    assert "ch1x1" in window.inspector_dock.editors
    painted(window, [inst])
    assert "ch1x1=64" in item.painted[1] and "ch1x1=64" in item.toolTip()
    assert_canvas_shows_the_truth(window)


def right_click(window, monkeypatch, node_id: str, take: str | None = None) -> dict[str, bool]:
    """Right-click a node; the menu's entries (text: enabled), after choosing ``take``."""
    painted(window, [node_id])
    entries: dict[str, bool] = {}

    def popup(menu, global_pos):
        entries.update({a.text().replace("&", ""): a.isEnabled() for a in menu.actions() if a.text()})
        if take is not None:
            next(a for a in menu.actions() if a.text() == take).trigger()

    monkeypatch.setattr(window.editor, "popup_menu", popup)
    vp, item = window.view.viewport(), window.scene.nodes[node_id]
    local = window.view.mapFromScene(item.mapToScene(QPointF(100, 40)))
    QApplication.sendEvent(vp, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, local, vp.mapToGlobal(local)))
    return entries


def test_double_click_and_edit_module_ask_for_the_definition(gwin, qtbot, monkeypatch):
    window, doc = gwin, gwin.document
    inst = make_inception3a(window)
    window.editor.select([])
    painted(window, [inst])
    with qtbot.waitSignal(window.editor.open_module_requested, timeout=1000) as got:
        click(window, inst, double=True)
    assert got.args == [inst]
    window.tabs.widget.setCurrentIndex(0)  # (the window opened the definition's tab: back to the design)
    QApplication.processEvents()
    with qtbot.waitSignal(window.editor.open_module_requested, timeout=1000) as got:
        entries = right_click(window, monkeypatch, inst, take="Edit Module…")
    assert got.args == [inst]
    assert entries["Edit Module…"] and entries["Make Module"] and entries["Ungroup"]
    # On a plain node the menu has no Edit Module… and Ungroup is off.
    window.tabs.widget.setCurrentIndex(0)
    QApplication.processEvents()
    entries = right_click(window, monkeypatch, doc.find("conv1").id)
    assert "Edit Module…" not in entries and entries["Make Module"] and not entries["Ungroup"]
    # The double-click (and the tab it opened) moved nothing and left nothing grabbed.
    assert window.scene.nodes[inst].pos() == QPointF(*doc.nodes[inst].pos)
    assert window.scene.mouseGrabberItem() is None


def drop(window, mime, scene_pos: QPointF) -> list[str]:
    """Drop what a palette entry carries on the canvas through the view's real drop handler."""
    before = set(window.document.nodes)
    at = QPointF(window.view.mapFromScene(scene_pos))
    event = QDropEvent(at, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.view.dropEvent(event)
    QApplication.processEvents()
    return [n for n in window.document.nodes if n not in before]


def double_click_entry(palette, item) -> None:
    palette.tree.scrollToItem(item)
    rect = palette.tree.visualItemRect(item)
    QTest.mouseClick(palette.tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center())
    QTest.mouseDClick(palette.tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center())
    QApplication.processEvents()


def test_the_palette_lists_the_designs_modules_and_adds_instances(gwin):
    window, doc = gwin, gwin.document
    palette = window.palette_dock
    palette.set_extra_modules([])  # only the design's own modules (the library's: test_library_actions)
    assert "MODULES" not in palette.sections() and "MODULE PORTS" not in palette.sections()
    inst = make_inception3a(window)
    mid = doc.nodes[inst].type_id
    assert palette.sections()[-1] == "MODULES" and mid in palette.type_ids()
    (entry,) = palette.module_items()
    assert entry.text(0) == "Inception"
    stack, steps = window.session.undo_stack, window.session.undo_stack.count()
    (new,) = drop(window, palette.mime_for(entry), QPointF(2000, 0))
    assert doc.nodes[new].type_id == mid and stack.count() == steps + 1
    painted(window, [new])
    assert window.scene.nodes[new].painted_module[0] == "Inception"
    window.editor.select([])
    double_click_entry(palette, entry)
    (added,) = window.editor.selected_node_ids()
    assert added != new and doc.nodes[added].type_id == mid and stack.count() == steps + 2
    assert_canvas_shows_the_truth(window)
    stack.undo()
    stack.undo()
    assert [n.id for n in doc.instances()] == [inst]
    # A renamed definition is renamed in the palette and on its instances.
    doc.library.rename(doc.library.by_name("Inception").id, "InceptionV1")
    QApplication.processEvents()
    assert [i.text(0) for i in palette.module_items()] == ["InceptionV1"]
    painted(window, [inst])
    assert window.scene.nodes[inst].painted_module[0] == "InceptionV1"
    # Undoing Make Module takes the definition out of the palette.
    while doc.instances():
        stack.undo()
    assert "MODULES" not in palette.sections()


def test_library_modules_from_elsewhere_add_definition_and_instance_in_one_step(gwin):
    window, doc = gwin, gwin.document
    other = flat_googlenet()
    edit = plan_make_module(other, members(other, "inception4a"))
    apply_edit(other, edit)
    data = other.library.closure_data([edit.added_module["id"]])
    palette = window.palette_dock
    palette.set_extra_modules([("Shipped blocks", data)])
    assert "SHIPPED BLOCKS" in palette.sections()
    (entry,) = palette.module_items()
    before, stack = dumps(doc), window.session.undo_stack
    (new,) = drop(window, palette.mime_for(entry), QPointF(2000, 0))
    assert doc.nodes[new].type.display_name == "Inception" and len(doc.library.defs) == 1
    assert "MODULES" in palette.sections()  # the design has it now
    stack.undo()
    assert dumps(doc) == before and not doc.library.defs
    # A definition with a name the design already uses comes in under a free name.
    make_inception3a(window)
    extra = next(i for i in palette.module_items() if i.data(0, Qt.ItemDataRole.UserRole + 2))
    window.editor.select([])
    double_click_entry(palette, extra)
    (added,) = window.editor.selected_node_ids()
    assert doc.nodes[added].type.display_name == "Inception2"
    assert sorted(d.name for d in doc.library.defs.values()) == ["Inception", "Inception2"]
    assert_canvas_shows_the_truth(window)


def test_module_ports_are_listed_only_in_a_definitions_tab(gwin):
    window, doc = gwin, gwin.document
    palette = window.palette_dock
    assert "module_input" not in palette.type_ids()
    inst = make_inception3a(window)
    assert window.editor.open_module(inst)
    QApplication.processEvents()
    assert window.tabs.current() is not None  # the window opened the definition's tab
    assert {"module_input", "module_output"} <= set(palette.type_ids())
    assert window.tabs.current().editor.editing_definition and not window.editor.editing_definition
    tab_menu = add_here_menu(window.tabs.current().editor, QPointF(0, 0))
    assert "module_input" in tab_menu.type_ids()
    window.tabs.widget.setCurrentIndex(0)
    QApplication.processEvents()
    assert "module_input" not in palette.type_ids()
    offered = add_here_menu(window.editor, QPointF(0, 0)).type_ids()  # right-click > Add Node Here…
    assert "module_input" not in offered and doc.nodes[inst].type_id in offered


def test_copy_and_paste_an_instance_uses_the_same_definition(gwin):
    window, doc = gwin, gwin.document
    inst = make_inception3a(window)
    press(window, "Ctrl+C")
    press(window, "Ctrl+V")
    (pasted,) = window.editor.selected_node_ids()
    assert pasted != inst and doc.nodes[pasted].type_id == doc.nodes[inst].type_id
    assert len(doc.library.defs) == 1
    assert_canvas_shows_the_truth(window)
    press(window, "Ctrl+Z")
    assert pasted not in doc.nodes and len(doc.library.defs) == 1


def test_a_multi_input_instance_labels_its_input_ports(gwin):
    window, doc = gwin, gwin.document
    select_by_clicks(window, [doc.find("inception3b_concat").id])
    press(window, "Ctrl+G")
    (inst,) = window.editor.selected_node_ids()
    item = window.scene.nodes[inst]
    painted(window, [inst])
    labels = [p.painted_label for p in item.inputs.values()]
    assert labels == [p.label for p in doc.nodes[inst].type.inputs] and len(labels) == 4
    assert all(labels)
    assert item.painted[2] == shape_text((480, 28, 28))
    assert_canvas_shows_the_truth(window)


def test_a_block_with_several_inputs_computes_what_its_nodes_did(gwin):
    """inception3a's pool projection and concat as a module: four inputs (the pool's output
    and three branches); the instance's output is the concat's 256 x 28 x 28."""
    window, doc = gwin, gwin.document
    select_by_clicks(window, [doc.find("inception3a_b4_proj").id, doc.find("inception3a_concat").id])
    press(window, "Ctrl+G")
    (inst,) = window.editor.selected_node_ids()
    painted(window, [inst])
    assert len(window.scene.nodes[inst].inputs) == 4
    assert window.scene.nodes[inst].painted[2] == "256 × 28 × 28"
    assert {window.scene.edges[e.id].painted[0] for e in doc.out_edges(inst)} == {"256 × 28 × 28"}


def test_connecting_an_instances_first_input_last_keeps_its_shapes(gwin):
    """The same four-input block, its inputs dragged again port by port: the order in which
    the user connects them must not matter."""
    window, doc = gwin, gwin.document
    select_by_clicks(window, [doc.find("inception3a_b4_proj").id, doc.find("inception3a_concat").id])
    press(window, "Ctrl+G")
    (inst,) = window.editor.selected_node_ids()
    scene = window.scene
    feeds = {e.dst_port: e.src for e in doc.in_edges(inst)}

    def rewire(ports: list[str]) -> str:
        window.editor.delete_edges([e.id for e in doc.in_edges(inst) if e.dst_port in ports])
        for port in ports:
            scene.connect_ports(scene.nodes[feeds[port]].outputs["out"], scene.nodes[inst].inputs[port])
        QApplication.processEvents()
        painted(window, [inst])
        return scene.nodes[inst].painted[2]

    assert rewire(["in", "in2", "in3", "in4"]) == "256 × 28 × 28"  # connected in port order
    assert rewire(["in"]) == "256 × 28 × 28"  # the first port connected last
