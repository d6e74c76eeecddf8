"""Dropping a connection on empty canvas offers the node types that fit the loose end;
choosing one adds that node there, connected, as one undo step."""

from __future__ import annotations

from itertools import pairwise

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel
from ui_helpers import node_item, open_example

from designer.io.project import dumps
from designer.ui import menus as node_menus


@pytest.fixture
def menus(window, monkeypatch):
    """Stands in for the user at the quick-add popup: records what it offered and clicks
    ``choose``, or types ``type`` into its search field and presses Enter."""
    seen: dict = {"choose": None, "offered": None, "type": None}

    def popup(menu, global_pos):
        seen["offered"] = menu.type_ids()
        seen["title"] = menu.findChild(QLabel, "menuTitle").text()
        seen["sections"] = menu.sections()
        seen["at"] = global_pos
        if seen["type"] is not None:  # type into the search field, then Enter
            QTest.keyClicks(menu.search, seen["type"])
            seen["visible"] = menu.type_ids(visible_only=True)
            QTest.keyClick(menu.search, Qt.Key.Key_Return)
            return
        if seen["choose"] is not None:  # click it, as a person does
            menu.popup(global_pos)
            item = menu.entry(seen["choose"])
            menu.list.scrollToItem(item)
            QTest.mouseClick(
                menu.list.viewport(),
                Qt.MouseButton.LeftButton,
                Qt.KeyboardModifier.NoModifier,
                menu.list.visualItemRect(item).center(),
            )
            assert not menu.isVisible(), "choosing an entry closes the popup"

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
    vp = window.view.viewport()
    assert menus["at"] == vp.mapToGlobal(window.view.mapFromScene(drop)), "the popup opens where it was let go"
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


#: The popup's height at most (the list scrolls inside), as Blender's and Unreal's node search.
MAX_POPUP_HEIGHT = 440


def quick_add_popup(window, name="concat"):
    """The quick-add popup for a connection from ``name``'s output (as a drop there makes it)."""
    node_id = window.document.find(name).id
    return node_menus.quick_add_menu(window.editor, node_id, "out", False, QPointF(0, 600))


def shown_rows(menu):
    """The rectangles of the popup's visible rows (headings and entries), top to bottom."""
    lst = menu.list
    rows = [lst.item(r) for r in range(lst.count()) if not lst.item(r).isHidden()]
    return [(row.text(), lst.visualItemRect(row)) for row in rows]


@pytest.mark.parametrize("where", ["room below", "near the bottom"])
def test_the_popup_opens_at_the_mouse_bounded_and_filtering_shrinks_it_there(window, qtbot, where):
    """The whole list is taller than the room below a point near the screen's bottom: the popup
    must not be pushed to the top of the screen; it flips above the point, at most about
    420 px tall, and typing shrinks it towards the point, with a heading only for
    categories with matches and no rows drawn over each other."""
    open_example(window, "inception_module")
    window.show()
    area = QGuiApplication.primaryScreen().availableGeometry()
    below = where == "room below"
    at = QPoint(area.left() + 150, area.top() + 60 if below else area.bottom() - 80)
    menu = quick_add_popup(window)
    qtbot.addWidget(menu)
    menu.popup(at)
    qtbot.waitExposed(menu)
    full = menu.geometry()
    assert full.height() <= MAX_POPUP_HEIGHT, f"{full.height()} px tall: taller than the room below, so it is moved"
    assert full.height() >= 200, "with the whole list to show it uses the height it may"
    assert full.left() == at.x()
    if below:
        assert full.top() == at.y(), f"{full} does not open below {at}"
    else:
        assert full.bottom() + 1 == at.y(), f"{full} is not flipped above {at}"
    assert menu.list.verticalScrollBar().maximum() > 0, "the rest of the list scrolls inside"
    assert menu.search.hasFocus()

    QTest.keyClicks(menu.search, "pool")
    qtbot.wait(20)
    filtered = menu.geometry()
    assert filtered.height() < full.height() - 150, f"typing did not shrink it: {full} -> {filtered}"
    assert filtered.left() == at.x()
    assert (filtered.top() if below else filtered.bottom() + 1) == at.y(), "it shrinks towards the mouse"
    assert menu.sections() == ["POOLING"]
    assert menu.type_ids(visible_only=True) == ["pool", "global_avg_pool"]
    rows = shown_rows(menu)
    assert [text for text, _ in rows] == ["POOLING", "Pooling", "Global avg pool"]
    for (a, ra), (b, rb) in pairwise(rows):
        assert ra.bottom() < rb.top(), f"{a!r} {ra} and {b!r} {rb} overlap"
    assert menu.list.viewport().rect().contains(rows[-1][1]), "every match shows without scrolling"
    assert menu.list.verticalScrollBar().maximum() == 0
    assert menu.current_type_id() == "pool", "the first match is selected"

    menu.search.clear()
    assert menu.geometry().height() == full.height(), "clearing the search brings the whole list back"
    menu.close()


def test_up_down_move_through_the_matches_and_escape_adds_nothing(window, qtbot):
    doc = open_example(window, "inception_module")
    window.show()
    before = dumps(doc)
    menu = quick_add_popup(window)
    qtbot.addWidget(menu)
    menu.popup(QPoint(100, 100))
    QTest.keyClicks(menu.search, "conv")
    matches = menu.type_ids(visible_only=True)
    assert matches[:2] == ["branch", "conv"] and "separable_conv" in matches
    assert menu.current_type_id() == matches[0]
    for key, want in ((Qt.Key.Key_Down, 1), (Qt.Key.Key_Down, 2), (Qt.Key.Key_Up, 1), (Qt.Key.Key_Up, 0)):
        QTest.keyClick(menu.search, key)
        assert menu.current_type_id() == matches[want]
    QTest.keyClick(menu.search, Qt.Key.Key_Up)
    assert menu.current_type_id() == matches[0], "Up stops at the first match"
    assert menu.search.text() == "conv", "the keys did not reach the search field"
    QTest.keyClick(menu.search, Qt.Key.Key_Escape)
    assert not menu.isVisible() and dumps(doc) == before

    menu = quick_add_popup(window)
    qtbot.addWidget(menu)
    menu.popup(QPoint(100, 100))
    QTest.keyClicks(menu.search, "nothing like it")
    assert menu.type_ids(visible_only=True) == [] and menu.sections() == []
    QTest.keyClick(menu.search, Qt.Key.Key_Return)
    assert menu.isVisible() and dumps(doc) == before, "Enter without a match takes nothing"
    menu.close()


def test_exec_runs_until_a_type_is_chosen_as_a_menu_does(window, qtbot):
    """The editor shows it with ``menu.exec(global_pos)`` (a local event loop until it closes)."""
    doc = open_example(window, "inception_module")
    window.show()
    ids = set(doc.nodes)
    menu = quick_add_popup(window)
    qtbot.addWidget(menu)

    def person():
        assert menu.isVisible()
        QTest.keyClicks(menu.search, "flatten")
        QTest.keyClick(menu.search, Qt.Key.Key_Return)

    QTimer.singleShot(50, person)
    assert menu.exec(QPoint(120, 120)) == "flatten"
    assert not menu.isVisible()
    (new,) = [n for nid, n in doc.nodes.items() if nid not in ids]
    assert new.type_id == "flatten" and doc.in_edges(new.id)[0].src == doc.find("concat").id
