"""Dropping a connection on empty canvas offers the node types that fit the loose end;
choosing one adds that node there, connected, as one undo step."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel
from ui_helpers import node_item, open_example

from designer.io.project import dumps


@pytest.fixture
def menus(window, monkeypatch):
    """Stands in for the user at the quick-add menu: records what it offered and picks ``choose``."""
    seen: dict = {"choose": None, "offered": None, "type": None}

    def popup(menu, global_pos):
        actions = [a for a in menu.actions() if a.data()]
        seen["offered"] = [a.data() for a in actions]
        seen["title"] = menu.findChild(QLabel, "menuTitle").text()
        seen["sections"] = [label.text() for label in menu.findChildren(QLabel, "menuSection")]
        if seen["type"] is not None:  # type into the search field, then Enter
            QTest.keyClicks(menu.search, seen["type"])
            seen["visible"] = [a.data() for a in actions if a.isVisible()]
            QTest.keyClick(menu.search, Qt.Key.Key_Return)
            return
        chosen = next((a for a in actions if a.data() == seen["choose"]), None)
        if chosen is not None:
            chosen.trigger()

    monkeypatch.setattr(window.editor, "popup_menu", popup)
    return seen


def drag(window, qtbot, start: QPointF, end: QPointF) -> None:
    """Press at ``start`` and release at ``end`` (scene coordinates), as a mouse would."""
    vp = window.view.viewport()
    a, b = window.view.mapFromScene(start), window.view.mapFromScene(end)
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, a)
    for i in range(1, 6):
        p = a + (b - a) * (i / 5)
        QTest.mouseMove(vp, QPoint(round(p.x()), round(p.y())))
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, b)


def test_dropping_an_output_connection_on_empty_canvas_adds_a_connected_node(window, qtbot, menus):
    doc = open_example(window, "inception_module")
    window.show()
    window.view.fit()
    before, ids = dumps(doc), set(doc.nodes)
    concat = node_item(window, "concat")
    port = concat.outputs["out"].scenePos()
    drop = port + QPointF(0, 160)
    assert not window.scene.items(drop), "the drop point is empty canvas"
    menus["choose"] = "pool"
    drag(window, qtbot, port, drop)

    offered = menus["offered"]
    assert "conv" in offered and "pool" in offered and "output" in offered
    assert "input" not in offered, "an Input node has no input port to take the connection"
    assert menus["title"] == "Add a node after concat"
    assert menus["sections"][:3] == ["STEM", "BRANCH", "CONCAT"] and "INPUT" not in menus["sections"]
    (pool,) = [n for nid, n in doc.nodes.items() if nid not in ids]
    assert pool.type_id == "pool"
    (edge,) = doc.in_edges(pool.id)
    assert (doc.nodes[edge.src].name, edge.src_port) == ("concat", "out")
    assert pool.pos[1] >= concat.pos().y(), "the new node sits below the node it follows"
    assert window.scene.selected_node_ids() == [pool.id]
    assert window.session.report.shapes[pool.id] is not None, "its shape is inferred at once"
    assert window.session.undo_stack.undoText() == "Add Pooling after concat"

    window.session.undo_stack.undo()
    assert dumps(doc) == before, "one undo step removes the node and its edge"
    window.session.undo_stack.redo()
    assert doc.in_edges(pool.id)[0].src == concat.node_id


def test_dropping_an_input_connection_adds_a_node_that_feeds_it(window, qtbot, menus):
    doc = window.document
    window.show()
    relu = window.add_node("activation", QPointF(0, 0))
    item = window.scene.nodes[relu]
    port = item.inputs["in"].scenePos()
    menus["choose"] = "input"
    drag(window, qtbot, port, port - QPointF(0, 150))
    assert "output" not in menus["offered"], "an Output node has no output port to feed it"
    (src,) = [n for n in doc.nodes.values() if n.type_id == "input"]
    (edge,) = doc.in_edges(relu)
    assert edge.src == src.id
    assert src.pos[1] < doc.nodes[relu].pos[1], "the feeding node sits above"


def test_a_dismissed_menu_or_a_drop_on_a_node_adds_nothing(window, qtbot, menus):
    doc = open_example(window, "inception_module")
    window.show()
    window.view.fit()
    before = dumps(doc)
    concat = node_item(window, "concat")
    port = concat.outputs["out"].scenePos()
    drag(window, qtbot, port, port + QPointF(0, 160))  # menus["choose"] is None: dismissed
    assert menus["offered"] and dumps(doc) == before
    menus["offered"] = None
    b2 = node_item(window, "b2_reduce")
    drag(window, qtbot, port, b2.sceneBoundingRect().center())  # a node upstream: no target, no menu
    assert menus["offered"] is None and dumps(doc) == before


def test_typing_in_the_menu_filters_it_and_enter_adds_the_first_match(window, qtbot, menus):
    doc = open_example(window, "inception_module")
    window.show()
    window.view.fit()
    ids = set(doc.nodes)
    port = node_item(window, "concat").outputs["out"].scenePos()
    menus["type"] = "sep conv"
    drag(window, qtbot, port, port + QPointF(0, 160))
    assert menus["visible"] == ["separable_conv"]
    (new,) = [n for nid, n in doc.nodes.items() if nid not in ids]
    assert new.type_id == "separable_conv"
    assert doc.in_edges(new.id)[0].src == doc.find("concat").id
