"""Expand an instance in place: its inside drawn beside it with *its* shapes and values, live
through edits of the instance, of its definition and of what feeds it; driven on the real main
window (offscreen) by clicks on the instance's chevron, its menu and the Inspector, then read
from what the panel painted."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from test_trust_what_you_see import type_into
from ui_helpers import assert_canvas_shows_the_truth, open_example

from designer.ui.commands import MoveCommand, SetParamCommand


def shown(window, node_id: str) -> None:
    window.view.set_zoom(0.9)
    window.view.center_on_node(node_id)
    QApplication.processEvents()


def click_chevron(window, node_id: str) -> None:
    item = window.scene.nodes[node_id]
    at = window.view.mapFromScene(item.mapToScene(item.chevron_rect().center()))
    QTest.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at)
    QApplication.processEvents()


def painted(window, node_id: str) -> dict[str, tuple[str, str, str]]:
    """The inside as last painted: inner node name -> (summary, shape, severity)."""
    panel = window.scene.expanded[node_id]
    window.view.ensureVisible(panel.sceneBoundingRect(), 0, 0)
    window.view.viewport().grab()
    assert panel.painted is not None, "the panel was never painted"
    return {name: (summary, shape, severity) for name, summary, shape, severity in panel.painted}


def test_the_chevron_expands_an_instance_with_its_own_shapes_and_values_and_collapses_it(window, qtbot):
    doc = open_example(window, "googlenet")
    window.show()
    qtbot.waitExposed(window)
    c4 = doc.find("inception4c").id
    shown(window, c4)
    click_chevron(window, c4)
    assert c4 in window.scene.expanded and window.scene.nodes[c4].expanded
    inside = painted(window, c4)
    # torchvision's inception4c: Inception(512, 128, 128, 256, 24, 64, 64) at 14 x 14
    assert inside["b1_1x1"][1] == "128 × 14 × 14" and "128" in inside["b1_1x1"][0]
    assert inside["b3_reduce"][1] == "24 × 14 × 14" and inside["concat"][1] == "512 × 14 × 14"
    assert window.scene.expanded[c4].inside.note.startswith("input 512 × 14 × 14")
    # The panel sits beside the instance and covers neither it nor the chain below it.
    panel = window.scene.expanded[c4].panel_rect()
    for name in ("inception4c", "inception4d", "inception4e"):
        assert not panel.intersects(window.scene.nodes[doc.find(name).id].sceneBoundingRect()), name
    # Another instance of the same definition shows its own figures.
    a3 = doc.find("inception3a").id
    window.scene.set_expanded(a3, True)
    assert painted(window, a3)["b1_1x1"][1] == "64 × 28 × 28"
    assert painted(window, c4)["b1_1x1"][1] == "128 × 14 × 14"
    shown(window, c4)
    click_chevron(window, c4)
    assert c4 not in window.scene.expanded and not window.scene.nodes[c4].expanded
    assert [type(i).__name__ for i in window.scene.items()].count("ExpansionItem") == 1  # 3a's still open
    assert_canvas_shows_the_truth(window)


def test_the_inside_follows_the_instance_its_definition_and_its_input(window, qtbot):
    doc = open_example(window, "googlenet")
    window.show()
    c4 = doc.find("inception4c").id
    window.scene.set_expanded(c4, True)
    # The instance's value, typed in the Inspector.
    window.scene.select_nodes([c4])
    type_into(qtbot, window.inspector_dock, "ch1x1", "100")
    inside = painted(window, c4)
    assert inside["b1_1x1"][1] == "100 × 14 × 14" and inside["concat"][1] == "484 × 14 × 14"
    # The definition, edited (its tab's way: a command on the body through the shared undo stack).
    definition = doc.nodes[c4].type.definition
    b3 = definition.body.find("b3_5x5").id
    window.session.push(SetParamCommand(definition.body, b3, "kernel_size", 3))
    QApplication.processEvents()
    assert painted(window, c4)["b3_5x5"][0].startswith("3x3 conv")
    # ... into a mismatch: every instance breaks, so only the first one's input is known; it
    # shows the branch that shrank and the concat in red, the later ones say why they can't.
    a3 = doc.find("inception3a").id
    window.scene.set_expanded(a3, True)
    window.session.push(SetParamCommand(definition.body, b3, "padding", "valid"))
    QApplication.processEvents()
    inside = painted(window, a3)
    assert inside["b3_5x5"][1] == "32 × 26 × 26"
    assert inside["concat"][2] == "error", "the concat whose branches disagree is red inside"
    assert window.scene.nodes[a3].severity == "error"
    assert "not known" in window.scene.expanded[c4].inside.note
    window.session.undo_stack.undo()
    window.session.undo_stack.undo()
    QApplication.processEvents()
    inside = painted(window, c4)
    assert inside["b3_5x5"][1] == "64 × 14 × 14" and inside["concat"][2] == ""
    assert inside["b3_5x5"][0].startswith("5x5 conv") and "100" in inside["b1_1x1"][0]
    # What feeds it: inception4b's width changes inception4c's input.
    window.scene.select_nodes([doc.find("inception4b").id])
    type_into(qtbot, window.inspector_dock, "ch1x1", "150")
    assert window.scene.expanded[c4].inside.note.startswith("input 502 × 14 × 14")
    assert painted(window, c4)["x"][1] == "502 × 14 × 14"


def test_the_panel_follows_its_instance_and_goes_with_it(window, qtbot):
    doc = open_example(window, "googlenet")
    window.show()
    c4 = doc.find("inception4c").id
    window.scene.select_nodes([c4])
    window.editor.expand_action.trigger()
    assert c4 in window.scene.expanded and window.editor.expand_action.text() == "Colla&pse"
    panel = window.scene.expanded[c4]
    x, y = doc.nodes[c4].pos
    window.session.push(MoveCommand(doc, {c4: (x + 300, y + 50)}))
    QApplication.processEvents()
    item = window.scene.nodes[c4]
    assert panel.pos() == QPointF(item.mapRectToScene(item.rect).right() + 30, item.mapRectToScene(item.rect).top())
    with qtbot.waitSignal(window.editor.open_module_requested, timeout=1000) as got:
        at = window.view.mapFromScene(panel.mapToScene(panel.boundingRect().center()))
        window.view.ensureVisible(panel.sceneBoundingRect(), 0, 0)
        at = window.view.mapFromScene(panel.mapToScene(QPointF(60, 12)))
        QTest.mouseDClick(window.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at)
    assert got.args == [c4]
    window.tabs.widget.setCurrentIndex(0)
    QApplication.processEvents()
    window.scene.select_nodes([c4])
    window.editor.delete_action.trigger()
    QApplication.processEvents()
    assert c4 not in window.scene.expanded and panel.scene() is None
    window.session.undo_stack.undo()  # the instance is back, collapsed
    QApplication.processEvents()
    assert c4 in doc.nodes and c4 not in window.scene.expanded
    assert_canvas_shows_the_truth(window)


def test_a_repeated_instance_shows_its_first_copy_and_says_so(window):
    doc = open_example(window, "inception_resnet")
    repeated = next(n for n in doc.instances() if n.params.get("repeat", 1) > 1)
    window.scene.set_expanded(repeated.id, True)
    inside = window.scene.expanded[repeated.id].inside
    assert f"× {repeated.params['repeat']}: the first copy shown" in inside.note
    ins = window.session.report.in_shapes[repeated.id]
    out = window.session.report.shapes[repeated.id]
    assert ins[0] == out, "a residual block keeps its shape, so every copy looks the same"
    assert any(n.shape for n in inside.nodes)
    assert window.scene.set_expanded(doc.find("input").id, True) is False, "only an instance expands"


def test_expanding_scrolls_the_panel_into_sight_and_a_reset_keeps_it_open(window, qtbot):
    doc = open_example(window, "googlenet")
    window.show()
    c4 = doc.find("inception4c").id
    window.resize(1200, 800)
    QApplication.processEvents()
    view = window.view
    view.set_zoom(1.5)
    view.center_on_node(doc.find("conv1").id)  # far from inception4c
    QApplication.processEvents()
    seen = view.mapToScene(view.viewport().rect()).boundingRect()
    assert not seen.intersects(window.scene.nodes[c4].sceneBoundingRect())
    window.editor.toggle_expanded(c4)
    seen = view.mapToScene(view.viewport().rect()).boundingRect()
    assert seen.intersects(window.scene.expanded[c4].panel_rect()), "the panel came into sight"
    # A rebuild of the scene (the document reset: a variant switch, an undone load) keeps it open.
    window.scene.rebuild()
    assert c4 in window.scene.expanded and window.scene.nodes[c4].expanded
    assert painted(window, c4)["b1_1x1"][1] == "128 × 14 × 14"


def test_double_clicking_a_node_inside_opens_the_definition_with_that_node_selected(window, qtbot):
    doc = open_example(window, "googlenet")
    window.show()
    c4 = doc.find("inception4c").id
    window.scene.set_expanded(c4, True)
    panel = window.scene.expanded[c4]
    box = next(n for n in panel.inside.nodes if n.name == "b3_5x5")
    window.view.ensureVisible(panel.mapRectToScene(QRectF(box.x, box.y, 170, 56)), 10, 10)
    QApplication.processEvents()
    at = window.view.mapFromScene(panel.mapToScene(QPointF(box.x + 60, box.y + 28)))
    QTest.mouseDClick(window.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at)
    QApplication.processEvents()
    tab = window.tabs.current()
    assert tab is not None and tab.instance_box.currentText() == "as inception4c"
    assert tab.editor.selected_node_ids() == [box.node_id]
    inspector = window.inspector_dock
    assert inspector.name_edit is not None and inspector.name_edit.text() == "b3_5x5"
    assert "kernel_size" in inspector.editors, "the Inspector shows the inner conv, ready to edit"
