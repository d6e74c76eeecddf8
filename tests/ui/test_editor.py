"""Building, editing and undoing a design through the editor, as a user would."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDropEvent
from ui_helpers import node_item, open_example

from designer.graph.document import GraphDocument
from designer.io.project import dumps
from designer.ui.canvas.view import PALETTE_MIME


def drop(window, type_id: str, scene_pos: QPointF) -> str:
    """Drop a palette entry on the canvas through the view's real drop handler."""
    before = set(window.document.nodes)
    mime = QMimeData()
    mime.setData(PALETTE_MIME, type_id.encode())
    view_pos = window.view.mapFromScene(scene_pos)
    event = QDropEvent(
        QPointF(view_pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    window.view.dropEvent(event)
    (new,) = set(window.document.nodes) - before
    return new


def connect(window, src: str, dst: str) -> None:
    scene = window.scene
    scene.connect_ports(scene.nodes[src].outputs["out"], scene.nodes[dst].inputs["in"])


def edit(window, qtbot, node_id: str, **values) -> None:
    """Select the node and type each value into its inspector field, then commit it."""
    window.scene.select_nodes([node_id])
    inspector = window.inspector_dock
    for key, value in values.items():
        editor = inspector.editors[key]
        if hasattr(editor, "line"):
            editor.line.clear()
            qtbot.keyClicks(editor.line, str(value))
            editor.line.editingFinished.emit()
        else:
            editor.combo.setCurrentText(str(value))


def build_card_module(window, qtbot) -> dict[str, str]:
    assert {"input", "conv", "pool", "concat"} <= set(window.palette_dock.type_ids())
    ids = {}
    ids["input"] = drop(window, "input", QPointF(0, 0))
    edit(window, qtbot, ids["input"], channels=192, height=28, width=28)
    specs = {
        "b1": (1, 64, None),
        "b2r": (1, 96, None),
        "b2": (3, 128, "b2r"),
        "b3r": (1, 16, None),
        "b3": (5, 32, "b3r"),
    }
    for i, (name, (k, c, parent)) in enumerate(specs.items()):
        nid = drop(window, "conv", QPointF(-400 + 200 * i, 150 if parent is None else 300))
        ids[name] = nid
        connect(window, ids[parent] if parent else ids["input"], nid)
        edit(window, qtbot, nid, out_channels=c, kernel_size=k)
    ids["pool"] = drop(window, "pool", QPointF(600, 150))
    connect(window, ids["input"], ids["pool"])
    edit(window, qtbot, ids["pool"], kernel_size=3, stride=1, padding="same")
    ids["b4"] = drop(window, "conv", QPointF(600, 300))
    connect(window, ids["pool"], ids["b4"])
    edit(window, qtbot, ids["b4"], out_channels=32, kernel_size=1)
    ids["concat"] = drop(window, "concat", QPointF(0, 450))
    for name in ("b1", "b2", "b3", "b4"):
        connect(window, ids[name], ids["concat"])
    return ids


def test_build_the_card_module_from_the_palette_then_undo_and_redo(window, qtbot):
    empty = dumps(window.document)
    ids = build_card_module(window, qtbot)
    rep = window.session.revalidate()
    assert rep.shapes[ids["concat"]] == (256, 28, 28)
    costs = window.session.costs
    assert costs.total.params == 163_696
    assert costs.inference.macs == 128_049_152
    # The canvas shows what the model says.
    assert window.scene.nodes[ids["concat"]].out_shape == "256 × 28 × 28"
    edge = window.document.in_edges(ids["concat"])[1]
    assert window.scene.edges[edge.id].label == "128 × 28 × 28"
    assert window.scene.nodes[ids["b3"]].summary.startswith("5x5 conv")
    built = dumps(window.document)
    stack = window.session.undo_stack
    steps = stack.count()
    # Typing into a field previews live but is one undo step per field.
    assert steps < 60
    while stack.canUndo():
        stack.undo()
    assert dumps(window.document) == empty
    assert not window.scene.nodes and not window.scene.edges
    while stack.canRedo():
        stack.redo()
    assert dumps(window.document) == built
    assert len(window.scene.nodes) == 9 and len(window.scene.edges) == 11


def test_typing_previews_live_and_merges_into_one_step(window, qtbot):
    open_example(window, "inception_module")
    nid = window.document.find("b2_3x3").id
    window.scene.select_nodes([nid])
    editor = window.inspector_dock.editors["out_channels"]
    stack = window.session.undo_stack
    before = stack.count()
    editor.line.clear()
    for value in (1, 12, 120):
        qtbot.keyClicks(editor.line, str(value)[-1])
        assert window.document.nodes[nid].params["out_channels"] == value  # live preview
        assert window.scene.nodes[nid].summary.endswith(f"-> {value}")
    editor.line.editingFinished.emit()
    assert stack.count() == before + 1
    qtbot.keyClick(editor.line, "1")
    editor.line.setText("121")
    editor.line.textEdited.emit("121")
    editor.line.editingFinished.emit()
    assert stack.count() == before + 2  # a new edit after commit is a new step
    stack.undo()
    stack.undo()
    assert window.document.nodes[nid].params["out_channels"] == 128
    assert editor.value() == 128  # the inspector follows undo


def test_inspector_rejects_bad_values_with_a_message(window, qtbot):
    doc = open_example(window, "inception_module")
    nid = doc.find("b2_3x3").id
    window.scene.select_nodes([nid])
    insp = window.inspector_dock
    saved = dumps(doc)
    insp.editors["out_channels"].line.clear()
    qtbot.keyClicks(insp.editors["out_channels"].line, "0")
    assert "at least 1" in insp.error_text("out_channels")
    assert insp.editors["out_channels"].field.property("invalid") is True
    kernel = insp.editors["kernel_size"]
    kernel.line.clear()
    qtbot.keyClicks(kernel.line, "abc")
    assert "whole number" in insp.error_text("kernel_size")
    pad = insp.editors["padding"]
    pad.line.clear()
    qtbot.keyClicks(pad.line, "full")
    pad.line.editingFinished.emit()
    assert "'same' or 'valid'" in insp.error_text("padding")
    assert dumps(doc) == saved  # nothing invalid reached the document
    insp.editors["out_channels"].line.clear()
    qtbot.keyClicks(insp.editors["out_channels"].line, "64")
    assert insp.error_text("out_channels") == ""
    kernel.line.clear()
    qtbot.keyClicks(kernel.line, "1x7")
    assert doc.nodes[nid].params["kernel_size"] == [1, 7]


def test_rename_from_the_inspector(window, qtbot):
    doc = open_example(window, "inception_module")
    nid = doc.find("b1_1x1").id
    window.scene.select_nodes([nid])
    field = window.inspector_dock.name_edit
    field.setText("branch_one")
    field.editingFinished.emit()
    assert doc.nodes[nid].name == "branch_one"
    assert window.scene.nodes[nid].name == "branch_one"
    window.session.undo_stack.undo()
    assert doc.nodes[nid].name == "b1_1x1"
    assert field.text() == "b1_1x1"


def test_connecting_into_an_occupied_input_replaces_the_edge_in_one_step(window):
    doc = open_example(window, "inception_module")
    saved = dumps(doc)
    b2, b3r = doc.find("b2_3x3").id, doc.find("b3_reduce").id
    window.scene.connect_ports(window.scene.nodes[b3r].outputs["out"], window.scene.nodes[b2].inputs["in"])
    (edge,) = doc.in_edges(b2)
    assert edge.src == b3r
    window.session.undo_stack.undo()
    assert dumps(doc) == saved


def test_delete_and_undo_restore_the_identical_document(window):
    doc = open_example(window, "inception_module")
    saved = dumps(doc)
    window.scene.select_nodes([doc.find("b2_reduce").id, doc.find("concat").id])
    window.actions.delete.trigger()
    assert len(doc.nodes) == 7
    window.session.undo_stack.undo()
    assert dumps(doc) == saved
    window.session.undo_stack.redo()
    window.session.undo_stack.undo()
    assert dumps(doc) == saved


def test_copy_paste_across_documents_with_fresh_ids(make_window):
    a = make_window()
    doc = open_example(a, "inception_module")
    picked = [doc.find("b2_reduce").id, doc.find("b2_3x3").id]
    a.scene.select_nodes(picked)
    a.actions.copy.trigger()
    a.actions.paste.trigger()
    assert len(doc.nodes) == 11
    pasted = a.scene.selected_node_ids()
    assert set(pasted).isdisjoint(picked)
    names = {doc.nodes[n].name for n in pasted}
    assert names == {"b2_reduce_1", "b2_3x3_1"}
    assert any(e.src in pasted and e.dst in pasted for e in doc.edges.values())
    b = make_window()
    b.set_session(type(a.session)(GraphDocument()))
    b.actions.paste.trigger()
    assert sorted(n.name for n in b.document.nodes.values()) == ["b2_3x3", "b2_reduce"]
    assert len(b.document.edges) == 1
    b.scene.select_nodes(list(b.document.nodes))
    b.actions.duplicate.trigger()
    assert len(b.document.nodes) == 4


def test_moves_snap_and_auto_layout_is_undoable(window):
    doc = open_example(window, "inception_module")
    item = node_item(window, "b1_1x1")
    nid = item.node_id
    item.setPos(QPointF(403, 517))
    window.scene.commit_moves()
    assert doc.nodes[nid].pos == (400.0, 520.0)
    window.session.undo_stack.undo()
    assert item.pos() == QPointF(*doc.nodes[nid].pos)
    saved = dumps(doc)
    window.actions.layout.trigger()
    window.session.undo_stack.undo()
    assert dumps(doc) == saved


def test_zoom_fit_and_pan(window, qtbot):
    open_example(window, "inception_module")
    window.show()
    qtbot.waitExposed(window)
    view = window.view
    view.fit()
    assert 0.08 <= view.zoom <= 1.0
    view.zoom_in()
    z = view.zoom
    view.zoom_out()
    assert view.zoom < z
    before = view.mapToScene(QPoint(10, 10))
    view.pan(40, 0)
    assert view.mapToScene(QPoint(10, 10)).x() < before.x()


def test_dragging_a_connection_highlights_compatible_ports_and_connects(window):
    doc = open_example(window, "inception_module")
    scene = window.scene
    b1, concat, inp = doc.find("b1_1x1").id, doc.find("concat").id, doc.find("input").id
    new = window.add_node("conv", QPointF(800, 0))
    origin = scene.nodes[new].outputs["out"]
    scene.begin_connection(origin, origin.scenePos())
    assert scene.nodes[concat].inputs["in"].state == "compatible"
    assert scene.nodes[b1].inputs["in"].state == "compatible"
    assert scene.nodes[new].inputs["in"].state == ""  # no self-loop
    target = scene.nodes[concat].inputs["in"]
    scene.update_connection(target.scenePos())
    assert target.state == "target"
    scene.end_connection(target.scenePos())
    assert [e.src for e in doc.in_edges(concat)][-1] == new  # appended as the 5th input
    assert all(p.state == "" for item in scene.nodes.values() for p in item.inputs.values())
    # From b1's output, upstream ports would close a cycle: not offered.
    scene.begin_connection(scene.nodes[concat].outputs["out"], QPointF(0, 0))
    assert scene.nodes[b1].inputs["in"].state == ""
    scene.end_connection(QPointF(-5000, -5000))  # dropped on nothing: no edge
    assert len(doc.in_edges(inp)) == 0


def test_parameters_are_quoted_for_inference_with_the_aux_heads_total_beside(window):
    open_example(window, "googlenet")
    window.session.revalidate()
    status = window.status_label.text()
    assert "6,998,552 params (13,378,280 with aux heads)" in status, status
    assert "1.6G MACs" in status
    open_example(window, "inception_module")
    assert "163,696 params ·" in window.status_label.text(), "no aux heads: one figure"
