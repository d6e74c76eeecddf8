"""The Compare view: variants in a table and a Pareto scatter, switching, diff on the canvas."""

from __future__ import annotations

from ui_helpers import assert_canvas_shows_the_truth, open_example

from designer.graph import variants
from designer.io.project import dumps
from designer.ui.commands import SetParamCommand
from designer.ui.compare_dock import CompareWidget


def _compare(window, qtbot) -> CompareWidget:
    w = CompareWidget()
    qtbot.addWidget(w)
    w.show()
    w.set_editor(window.editor)
    return w


def test_duplicate_edit_and_switch_variants_through_the_view(window, qtbot) -> None:
    doc = open_example(window, "inception_module")
    original = dumps(doc)
    view = _compare(window, qtbot)
    assert view.table.rowCount() == 1
    assert view.duplicate("wide 1x1")
    window.session.flush()
    assert [view.table.item(r, 0).text() for r in range(2)] == ["main", "wide 1x1  (active)"]
    b1 = doc.find("b1_1x1").id
    window.editor.session.push(SetParamCommand(doc, b1, "out_channels", 128))
    window.session.flush()
    params = [view.table.item(r, 1).text() for r in range(2)]
    assert params[0] != params[1]
    # Two valid variants: two points, both on the front (wider has more of both).
    assert len(view.scatter.points()) == 2
    # Double-clicking the first row switches the canvas to it.
    view._on_table_cell_double_clicked(0, 0)
    window.session.flush()
    assert doc.variant == "main" and doc.find("b1_1x1").params["out_channels"] == 64
    assert_canvas_shows_the_truth(window)
    # One undo step back to the wide variant, then back to where we began.
    window.session.undo_stack.undo()
    window.session.flush()
    assert doc.variant == "wide 1x1" and doc.find("b1_1x1").params["out_channels"] == 128
    assert_canvas_shows_the_truth(window)
    while window.session.undo_stack.canUndo():
        window.session.undo_stack.undo()
    assert dumps(doc) == original


def test_diff_outlines_the_changed_nodes_on_the_canvas(window, qtbot) -> None:
    doc = open_example(window, "inception_module")
    view = _compare(window, qtbot)
    view.duplicate("b")
    from designer.ui.commands import SetParamCommand

    b1 = doc.find("b1_1x1").id
    window.session.push(SetParamCommand(doc, b1, "out_channels", 96))
    window.session.flush()
    d = view.show_diff("main")
    assert list(d.changed) == [b1]
    (outline,) = view._overlay
    assert outline.scene() is window.scene
    item = window.scene.nodes[b1]
    assert outline.sceneBoundingRect().contains(item.mapRectToScene(item.rect))
    assert outline.zValue() < min(e.zValue() for e in window.scene.edges.values()), "labels draw over it"
    assert "out_channels 64 → 96" in view.status.text()
    view.switch("main")  # switching clears the outlines
    assert not view._overlay
    assert not any(isinstance(item, type(outline)) for item in window.scene.items())


def test_a_refused_edit_says_why_and_changes_nothing(window, qtbot) -> None:
    doc = open_example(window, "inception_module")
    view = _compare(window, qtbot)
    messages = []
    view.message.connect(lambda text, _ms: messages.append(text))
    assert not view.delete("main")
    assert messages == ["switch to another variant before deleting this one"]
    assert not window.session.undo_stack.count() and variants.names(doc) == ["main"]


def test_latency_is_measured_in_a_worker_and_shown(window, qtbot) -> None:
    open_example(window, "inception_module")
    view = _compare(window, qtbot)
    view.duplicate("copy")
    window.session.flush()
    progress = []
    view.measure_latency()
    view._worker.progress.connect(lambda done, total: progress.append((done, total)))
    assert view.latency_button.text() == "Cancel" and view.latency_button.isEnabled()
    qtbot.waitUntil(lambda: view.latency_button.text() == "Measure Latency", timeout=120_000)
    assert set(view.latency) == {"main", "copy"}, view.status.text()
    assert progress and progress[-1][0] == progress[-1][1], progress  # (2 models + 5 rounds: 7 steps)
    assert view.table.item(0, 4).text().endswith(")") and " ms " in view.table.item(0, 4).text()


def test_a_latency_measurement_can_be_cancelled(window, qtbot) -> None:
    open_example(window, "inception_module")
    view = _compare(window, qtbot)
    view.duplicate("copy")
    window.session.flush()
    view.measure_latency()
    view.latency_button.click()  # "Cancel"
    assert view.status.text() == "Cancelling…" and not view.latency_button.isEnabled()
    qtbot.waitUntil(lambda: view.latency_button.text() == "Measure Latency", timeout=120_000)
    assert view.status.text() == "Latency measurement cancelled." and view.latency == {}
    assert view.latency_button.isEnabled()


def test_rename_asks_in_a_dialog_wide_enough_for_the_name(window, qtbot) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QInputDialog

    doc = open_example(window, "inception_module")
    view = _compare(window, qtbot)
    view.duplicate("copy")
    window.session.flush()
    seen = {}

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QInputDialog):
            QTimer.singleShot(20, answer)
            return
        seen["width"], seen["text"], seen["label"] = dialog.width(), dialog.textValue(), dialog.labelText()
        dialog.setTextValue("  two 3x3 instead of 5x5  ")
        dialog.accept()

    QTimer.singleShot(0, answer)
    view._on_rename_clicked()
    assert seen["width"] >= 380 and seen["text"] == "copy" and "'copy'" in seen["label"]
    assert variants.names(doc) == ["main", "two 3x3 instead of 5x5"]
