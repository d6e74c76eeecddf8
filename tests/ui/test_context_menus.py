"""Right-click menus on the canvas: add a node where you click, add one after a node, insert
one on an edge (a concat keeps its input order), delete a connection; each one undo step."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel
from ui_helpers import node_item, open_example

from designer.io.project import dumps


@pytest.fixture
def user(window, monkeypatch):
    """Right-clicks, then stands in for the user at the menu: ``path`` is the menu texts to
    follow (an entry that opens the node-type popup brings it back here) and ``type`` what to
    type into the node-type popup before Enter."""
    seen: dict = {}

    def popup(menu, global_pos):
        if menu.objectName() == "nodeTypeMenu":  # the searchable node-type popup
            seen["popup_at"] = global_pos
            seen["title"] = menu.findChild(QLabel, "menuTitle").text()
            seen["offered"] = menu.type_ids(visible_only=True)
            if seen.get("type") is not None:
                QTest.keyClicks(menu.search, seen["type"])
                QTest.keyClick(menu.search, Qt.Key.Key_Return)
            return
        seen["texts"] = [a.text() for a in menu.actions() if a.text()]
        for text in seen.get("path", []):
            action = next(a for a in menu.actions() if a.text() == text)
            if action.menu() is None:
                action.trigger()
                return
            menu = action.menu()

    monkeypatch.setattr(window.editor, "popup_menu", popup)

    def right_click(scene_pos: QPointF, path=(), type=None):
        seen.clear()
        seen.update(path=list(path), type=type)
        vp = window.view.viewport()
        local = window.view.mapFromScene(scene_pos)
        seen["clicked_at"] = vp.mapToGlobal(local)
        QApplication.sendEvent(vp, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, local, vp.mapToGlobal(local)))
        return seen

    right_click.seen = seen
    return right_click


def new_nodes(doc, before: set[str]):
    return [n for nid, n in doc.nodes.items() if nid not in before]


def test_right_click_on_empty_canvas_adds_the_typed_node_there(window, user):
    doc = open_example(window, "inception_module")
    window.show()
    window.view.fit()
    ids = set(doc.nodes)
    spot = node_item(window, "concat").sceneBoundingRect().bottomRight() + QPointF(300, 150)
    seen = user(spot, path=["Add Node Here…"], type="global avg")
    assert {"Paste", "Fit to View", "Auto-layout"} <= {t.replace("&", "") for t in seen["texts"]}
    assert seen["title"] == "Add a node here" and "input" in seen["offered"] and "output" in seen["offered"]
    assert seen["popup_at"] == seen["clicked_at"], "the node-type popup opens where the right-click was"
    (gap,) = new_nodes(doc, ids)
    assert gap.type_id == "global_avg_pool"
    assert abs(gap.pos[0] + 100 - spot.x()) <= 40 and abs(gap.pos[1] + 42 - spot.y()) <= 40, "placed at the click"


def test_right_click_on_a_node_adds_one_after_it(window, user):
    doc = open_example(window, "inception_module")
    window.show()
    window.view.fit()
    ids = set(doc.nodes)
    concat = node_item(window, "concat")
    seen = user(concat.sceneBoundingRect().center(), path=["Add After concat…"], type="dropout")
    assert seen["texts"][0] == "Add After concat…"
    assert seen["title"] == "Add a node after concat" and "input" not in seen["offered"]
    assert seen["popup_at"] == seen["clicked_at"], "the node-type popup opens where the right-click was"
    assert window.scene.selected_node_ids() != [concat.node_id]
    (drop,) = new_nodes(doc, ids)
    assert drop.type_id == "dropout" and doc.in_edges(drop.id)[0].src == concat.node_id
    assert drop.pos[1] > concat.pos().y()


def test_right_click_on_an_edge_inserts_a_node_and_the_concat_keeps_its_order(window, user):
    doc = open_example(window, "inception_module")
    window.show()
    window.view.fit()
    before, ids = dumps(doc), set(doc.nodes)
    concat = doc.find("concat").id
    order = [doc.nodes[e.src].name for e in doc.in_edges(concat)]
    edge = next(e for e in doc.in_edges(concat) if doc.nodes[e.src].name == "b2_3x3")
    item = window.scene.edges[edge.id]
    on_edge = item.mapToScene(item._path.pointAtPercent(0.3))
    seen = user(on_edge, path=["Insert Node…"], type="batchnorm")
    assert seen["title"] == "Insert between b2_3x3 and concat"
    assert "batch_norm" in seen["offered"] and "output" not in seen["offered"] and "input" not in seen["offered"]
    (bn,) = new_nodes(doc, ids)
    assert bn.type_id == "batch_norm"
    names = [doc.nodes[e.src].name for e in doc.in_edges(concat)]
    assert names == [bn.name if n == "b2_3x3" else n for n in order], "the concat's inputs keep their order"
    assert doc.nodes[doc.in_edges(bn.id)[0].src].name == "b2_3x3"
    assert window.session.undo_stack.undoText() == "Insert BatchNorm between b2_3x3 and concat"
    window.session.undo_stack.undo()
    assert dumps(doc) == before


def test_right_click_on_an_edge_deletes_it(window, user):
    doc = open_example(window, "inception_module")
    window.show()
    window.view.fit()
    edge = next(iter(doc.in_edges(doc.find("b3_5x5").id)))
    item = window.scene.edges[edge.id]
    user(item.mapToScene(item._path.pointAtPercent(0.5)), path=["Delete Connection"])
    assert edge.id not in doc.edges
    assert window.session.undo_stack.undoText() == "Delete connection"


def test_shift_a_adds_after_the_selected_node_or_anywhere(window, user):
    doc = open_example(window, "inception_module")
    window.show()
    window.view.fit()
    window.view.setFocus()
    ids = set(doc.nodes)
    concat = doc.find("concat").id
    window.scene.select_nodes([concat])
    user.seen.update(path=[], type="flatten")
    assert window.actions.add_node.shortcut().toString() == "Shift+A"
    window.actions.add_node.trigger()
    assert user.seen["title"] == "Add a node after concat"
    (flat,) = new_nodes(doc, ids)
    assert flat.type_id == "flatten" and doc.in_edges(flat.id)[0].src == concat
    window.scene.clearSelection()
    ids = set(doc.nodes)
    user.seen.update(path=[], type="input")
    window.actions.add_node.trigger()
    assert user.seen["title"] == "Add a node here"
    (inp,) = new_nodes(doc, ids)
    assert inp.type_id == "input" and not doc.in_edges(inp.id)


def test_the_context_menu_entry_opens_the_popup_in_real_event_loops(window, qtbot, monkeypatch):
    """As the app runs it: the right-click menu's ``exec``, its "Add Node Here…" entry taken with
    the keyboard, then the node-type popup's own ``exec`` at the click, typed into, Enter."""
    from designer.ui.editor import DesignEditor

    doc = open_example(window, "inception_module")
    window.show()
    window.view.fit()
    ids = set(doc.nodes)
    monkeypatch.setattr(DesignEditor, "popup_menu", lambda self, menu, global_pos: menu.exec(global_pos))
    steps: list[str] = []
    finished = False

    def person():
        if finished:  # never touch a later test's menus
            return
        shown = QApplication.activePopupWidget()
        if shown is None:
            QTimer.singleShot(20, person)
        elif shown.objectName() == "nodeTypeMenu":
            steps.append(f"popup at {shown.geometry().topLeft().toTuple()}")
            QTest.keyClicks(shown.search, "dropout")
            QTest.keyClick(shown.search, Qt.Key.Key_Return)
        else:
            entry = next(a for a in shown.actions() if a.text() == "Add Node Here…")
            steps.append("context menu")
            shown.setActiveAction(entry)
            QTimer.singleShot(20, person)  # (before Enter: the popup's exec runs inside the key press)
            QTest.keyClick(shown, Qt.Key.Key_Return)

    spot = node_item(window, "concat").sceneBoundingRect().bottomLeft() + QPointF(-200, 40)
    vp = window.view.viewport()
    local = window.view.mapFromScene(spot)

    def give_up():  # a menu left open fails the test below instead of hanging it
        while (shown := QApplication.activePopupWidget()) is not None:
            steps.append(f"gave up on {shown.objectName() or type(shown).__name__}")
            shown.close()

    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(give_up)
    guard.start(10_000)
    QTimer.singleShot(20, person)
    QApplication.sendEvent(vp, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, local, vp.mapToGlobal(local)))
    guard.stop()
    finished = True
    assert steps and steps[0] == "context menu" and steps[-1].startswith("popup"), steps
    (new,) = new_nodes(doc, ids)
    assert new.type_id == "dropout"
    assert QApplication.activePopupWidget() is None, "no menu or popup is left open"
