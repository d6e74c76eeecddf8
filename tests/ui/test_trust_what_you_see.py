"""What the user sees after an edit: edges redrawn with their new shape and colour, the
Inspector showing the current problems, and typed values that never reach the design in
part. Each test drives the widgets as a person would and looks at what was painted."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication
from ui_helpers import assert_canvas_shows_the_truth, open_example, painted_canvas

from designer.ui import operations


def type_into(qtbot, inspector, key: str, text: str, commit=Qt.Key.Key_Return) -> None:
    """Select the field's text, type ``text`` key by key, then press ``commit`` (None: don't)."""
    line = inspector.editors[key].line
    line.setFocus()
    line.selectAll()
    qtbot.keyClicks(line, text)
    if commit is not None:
        qtbot.keyClick(line, commit)
    QApplication.processEvents()


def edge_between(window, src: str, dst: str):
    doc = window.document
    (edge,) = [e for e in doc.edges.values() if doc.nodes[e.src].name == src and doc.nodes[e.dst].name == dst]
    return window.scene.edges[edge.id]


def red_pixels_along(window, item) -> int:
    """Pixels of the theme's error colour on the painted viewport, inside the edge's box."""
    view = window.view
    image = view.viewport().grab().toImage()
    box = view.mapFromScene(item.sceneBoundingRect()).boundingRect().intersected(view.viewport().rect())
    red = QColor(window.theme.error)
    count = 0
    for x in range(box.left(), box.right(), 2):
        for y in range(box.top(), box.bottom(), 2):
            c = image.pixelColor(x, y)
            count += abs(c.red() - red.red()) + abs(c.green() - red.green()) + abs(c.blue() - red.blue()) < 60
    return count


def test_an_edge_is_repainted_with_its_new_shape_and_colour_and_back_after_fix(window, qtbot):
    open_example(window, "inception_module")
    window.show()
    painted_canvas(window)
    edge = edge_between(window, "b2_3x3", "concat")
    assert edge.painted == ("128 × 28 × 28", "")
    assert red_pixels_along(window, edge) == 0

    window.scene.select_nodes([window.document.find("b2_3x3").id])
    inspector = window.inspector_dock
    inspector.editors["padding"].combo.setFocus()
    type_into(qtbot, inspector, "padding", "valid")
    painted_canvas(window)
    assert edge.painted[0] == "128 × 26 × 26" and edge.painted[1], "the edge shows the new shape, in red"
    assert red_pixels_along(window, edge) > 20
    assert_canvas_shows_the_truth(window)

    fix = next(d for d in window.session.report.errors if d.fix is not None)
    window.apply_fix(fix)
    painted_canvas(window)
    assert edge.painted == ("128 × 28 × 28", ""), "after Fix the edge is grey again with the old shape"
    assert red_pixels_along(window, edge) == 0
    assert_canvas_shows_the_truth(window)


def test_a_new_edge_is_painted_with_its_shape_at_once(window, qtbot):
    window.show()
    src = window.add_node("input", QPointF(0, 0))
    dst = window.add_node("conv", QPointF(0, 200))
    eid = operations.connect(window.session, src, "out", dst, "in")
    QApplication.processEvents()
    painted_canvas(window)
    assert window.scene.edges[eid].painted == ("3 × 224 × 224", "")
    assert_canvas_shows_the_truth(window)


def test_the_inspector_drops_a_fixed_error_when_the_cause_is_edited(window, qtbot):
    """The mismatch example: select b1, type 'same' into its padding, Enter: no error left."""
    open_example(window, "inception_module_mismatch")
    window.show()
    b1 = window.document.find("b1").id
    window.scene.select_nodes([b1])
    inspector = window.inspector_dock
    assert inspector.problems.isVisibleTo(inspector) and inspector.fix_button.isVisibleTo(inspector)
    type_into(qtbot, inspector, "padding", "same")
    assert not window.session.report.errors
    assert window.status_label.text().startswith("Valid")
    assert not inspector.problems.isVisibleTo(inspector), inspector.problems.text()
    assert not inspector.fix_button.isVisibleTo(inspector)
    assert_canvas_shows_the_truth(window)


def test_an_out_of_range_number_never_reaches_the_design(window, qtbot):
    open_example(window, "inception_module")
    window.show()
    conv = window.document.find("b2_3x3")
    window.scene.select_nodes([conv.id])
    inspector = window.inspector_dock
    before = window.session.undo_stack.count()
    type_into(qtbot, inspector, "out_channels", "99999999999", commit=None)
    assert "at most 65536" in inspector.error_text("out_channels")
    assert conv.params["out_channels"] == 128, "no prefix of the typed number (9999) stays in the design"
    assert window.session.report.shapes[conv.id] == (128, 28, 28)
    qtbot.keyClick(inspector.editors["out_channels"].line, Qt.Key.Key_Tab)
    QApplication.processEvents()
    assert inspector.editors["out_channels"].line.text() == "128", "Tab on an invalid value restores the last valid one"
    assert conv.params["out_channels"] == 128
    assert window.session.undo_stack.count() == before, "nothing to undo: the design never changed"
    assert_canvas_shows_the_truth(window)


def test_escape_restores_the_value_before_the_edit(window, qtbot):
    open_example(window, "inception_module")
    window.show()
    conv = window.document.find("b2_3x3")
    window.scene.select_nodes([conv.id])
    inspector = window.inspector_dock
    type_into(qtbot, inspector, "out_channels", "96", commit=None)
    assert conv.params["out_channels"] == 96, "typing previews live"
    qtbot.keyClick(inspector.editors["out_channels"].line, Qt.Key.Key_Escape)
    QApplication.processEvents()
    assert conv.params["out_channels"] == 128 and inspector.editors["out_channels"].line.text() == "128"
    type_into(qtbot, inspector, "out_channels", "70000", commit=None)
    qtbot.keyClick(inspector.editors["out_channels"].line, Qt.Key.Key_Escape)
    assert inspector.error_text("out_channels") == "" and conv.params["out_channels"] == 128


def test_a_committed_value_is_one_undo_step(window, qtbot):
    open_example(window, "inception_module")
    window.show()
    conv = window.document.find("b2_3x3")
    window.scene.select_nodes([conv.id])
    before = window.session.undo_stack.count()
    type_into(qtbot, window.inspector_dock, "out_channels", "192")
    assert conv.params["out_channels"] == 192
    assert window.session.undo_stack.count() == before + 1
    window.session.undo_stack.undo()
    assert conv.params["out_channels"] == 128
    assert window.inspector_dock.editors["out_channels"].line.text() == "128"


def test_the_problems_title_counts_every_row_it_lists(window):
    open_example(window, "inception_module_mismatch")
    dock = window.problems_dock
    rows = dock.tree.topLevelItemCount()
    assert rows == len(window.session.report.diagnostics) + len(window.session.advice) > 1
    counts = [int(word) for word in dock.windowTitle().replace("(", " ").replace(",", " ").split() if word.isdigit()]
    assert sum(counts) == rows, dock.windowTitle()


def test_fit_shows_the_tallest_example_whole_and_zoom_out_still_works(window, qtbot):
    open_example(window, "inception_resnet")
    window.show()
    window.view.fit()
    seen = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    for item in window.scene.nodes.values():
        assert seen.contains(item.sceneBoundingRect()), "every node is inside the view after Fit"
    zoom = window.view.zoom
    window.editor.zoom_out_action.trigger()
    assert window.view.zoom < zoom, "Zoom Out still zooms out after Fit"


def test_disabled_undo_looks_disabled_in_the_dark_theme(window):
    from PySide6.QtGui import QIcon

    window.set_theme_mode("dark")
    icon = window.actions.undo.icon()
    on = icon.pixmap(18, 18, QIcon.Mode.Normal).toImage()
    off = icon.pixmap(18, 18, QIcon.Mode.Disabled).toImage()

    def ink(image):  # summed alpha: how much of the icon shows on the toolbar
        return sum(image.pixelColor(x, y).alpha() for x in range(image.width()) for y in range(image.height()))

    assert ink(off) < 0.5 * ink(on)


def test_after_one_edit_only_the_changed_nodes_are_visited_and_the_canvas_still_tells_the_truth(
    window, qtbot, monkeypatch
):
    """The scene redraws what the report says changed (not every item of a large design), and
    what it leaves alone still matches a fresh validation: an edit that breaks a concat, then
    the fix, then an edit that changes nothing downstream."""
    from designer.ui.canvas.edge_item import EdgeItem
    from designer.ui.canvas.node_item import NodeItem

    open_example(window, "googlenet")
    window.show()
    assert_canvas_shows_the_truth(window)
    visited: list[str] = []
    for cls in (NodeItem, EdgeItem):
        original = cls.set_status

        def counting(self, *args, _original=original, **kwargs):
            visited.append(getattr(self, "node_id", None) or self.edge_id)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "set_status", counting)
    per_report: list[int] = []

    def applied(_changed: int) -> None:
        per_report.append(len(visited))
        visited.clear()

    window.scene.report_applied.connect(applied)
    doc = window.document
    total = len(window.scene.nodes) + len(window.scene.edges)
    # An instance's width (applied as it is typed): its output and the next block's costs
    # change, nothing else.
    window.scene.select_nodes([doc.find("inception4c").id])
    for text in ("100", "160"):
        per_report.clear()
        type_into(qtbot, window.inspector_dock, "ch1x1", text)
        assert window.session.report.revision == doc.revision
        assert per_report and 0 < max(per_report) < total / 4, f"{per_report} of {total} items visited"
        assert_canvas_shows_the_truth(window)
    # A stem conv's padding breaks every shape below it (the scene visits them all), then back.
    window.scene.select_nodes([doc.find("conv2").id])
    for text in ("5", "1"):
        type_into(qtbot, window.inspector_dock, "kernel_size", text)
        assert_canvas_shows_the_truth(window)


def test_a_node_tooltip_is_written_when_it_is_shown(window, qtbot):
    """Tooltips are written lazily; the scene's help event brings the one under the pointer up
    to date before Qt shows it, so a hover always shows the node's current problem."""
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QGraphicsSceneHelpEvent, QToolTip

    open_example(window, "inception_module")
    window.show()
    doc = window.document
    window.scene.select_nodes([doc.find("b2_3x3").id])
    type_into(qtbot, window.inspector_dock, "padding", "valid")
    concat = window.scene.nodes[doc.find("concat").id]
    assert concat._tip_stale, "the tooltip is not written at every change"
    window.view.center_on_node(concat.node_id)
    event = QGraphicsSceneHelpEvent(QEvent.Type.GraphicsSceneHelp)
    pos = concat.mapToScene(concat.rect.center())
    event.setScenePos(pos)
    event.setScreenPos(window.view.viewport().mapToGlobal(window.view.mapFromScene(pos)))
    QApplication.sendEvent(window.scene, event)
    assert not concat._tip_stale
    assert "26 x 26" in QToolTip.text() and "'b2_3x3'" in QToolTip.text()
