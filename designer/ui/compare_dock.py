"""The Compare view: the project's variants side by side, a Pareto scatter, and a diff.

A table (one row per variant: parameters, MACs, activation memory, CPU latency at batch 1
and 32 measured in a worker thread, and for trained variants the best validation accuracy
and images/s of their latest run) and a pyqtgraph scatter of MACs against parameters, or
against accuracy once two variants are trained, with the Pareto front drawn through the
points no other variant beats on both. Clicking a row or a point switches to that variant
(one undo step). Duplicate as Variant, Rename and Delete act on the project; "Diff with"
outlines on the canvas the nodes that differ from another variant (added: the OK colour,
changed: the warning colour) and lists the parameter changes.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QObject, QRectF, Qt, QThread, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGraphicsRectItem,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from ..compare import pareto, variant_rows
from ..graph import variants
from ..graph.document import DocumentReset, GraphDocument, GraphError, VariantsChanged
from .ask import ask_name
from .format import grouped
from .variant_commands import delete_command, duplicate_command, rename_command, switch_command

__all__ = ["CompareWidget", "LatencyWorker"]

_COLUMNS = ("Variant", "Params", "MACs", "Activations", "Latency b1", "Latency b32", "Best val acc", "Images/s")


class LatencyWorker(QObject):
    """Times the variants' compiled models (designer.compare.measure_latency) off the GUI thread."""

    done = Signal(object)  # {variant name: figures}, {"error": text} or {"cancelled": True}
    progress = Signal(int, int)  # (steps done, steps in all)

    def __init__(self, designs: dict[str, dict[str, Any]]):
        super().__init__()
        self._designs = designs
        self._stop = threading.Event()

    def cancel(self) -> None:
        """Stop after the current step (any thread)."""
        self._stop.set()

    @Slot()
    def run(self) -> None:
        from ..compare import Cancelled

        try:
            from ..compare import measure_latency
            from ..training.threads import default_cpu_threads

            names = list(self._designs)
            docs = {i: GraphDocument.from_dict(self._designs[n]) for i, n in enumerate(names)}
            results, _setup = measure_latency(
                docs,
                threads=default_cpu_threads(),
                repeats=5,
                warmup=1,
                progress=self.progress.emit,
                cancelled=self._stop.is_set,
            )
            self.done.emit({names[i]: fig for i, fig in results.items()})
        except Cancelled:
            self.done.emit({"cancelled": True})
        except Exception as exc:  # reported in the view; the app goes on
            self.done.emit({"error": f"{type(exc).__name__}: {exc}"})


class CompareWidget(QWidget):
    """Lives in a dock; follows the Design tab's session (``set_editor``)."""

    message = Signal(str, int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.editor: Any = None
        self._session: Any = None  # the session whose signals this view follows
        self.rows: list[dict[str, Any]] = []
        self.latency: dict[str, dict[str, Any]] = {}
        self._thread: QThread | None = None
        self._worker: LatencyWorker | None = None
        self._overlay: list[QGraphicsRectItem] = []
        self.diff_text = ""
        self._dirty = True

        self.table = QTableWidget(0, len(_COLUMNS))
        self.table.setHorizontalHeaderLabels(_COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.cellDoubleClicked.connect(self._on_table_cell_double_clicked)

        # The scatter (pyqtgraph, about 0.3 s to import) is made when the view first shows figures.
        self.plot: Any = None
        self.scatter: Any = None
        self.front: Any = None
        self.labels: list[Any] = []
        self.plot_area = QWidget()
        self.plot_area.setMinimumHeight(160)
        QVBoxLayout(self.plot_area).setContentsMargins(0, 0, 0, 0)

        self.duplicate_button = QPushButton("Duplicate as Variant")
        self.rename_button = QPushButton("Rename…")
        self.delete_button = QPushButton("Delete")
        self.latency_button = QPushButton("Measure Latency")
        self._latency_tip = "Time each variant's model on this machine's CPU at batch 1 and 32 (in the background)"
        self.latency_button.setToolTip(self._latency_tip)
        self.duplicate_button.clicked.connect(self.duplicate)
        self.rename_button.clicked.connect(self._on_rename_clicked)
        self.delete_button.clicked.connect(self._on_delete_clicked)
        self.latency_button.clicked.connect(self.measure_latency)
        self.diff_combo = QComboBox()
        self.diff_combo.activated.connect(self._on_diff_activated)
        self.status = QLabel("")
        self.status.setWordWrap(True)

        buttons = QHBoxLayout()
        for b in (self.duplicate_button, self.rename_button, self.delete_button, self.latency_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        diff_row = QHBoxLayout()
        diff_row.addWidget(QLabel("Diff with:"))
        diff_row.addWidget(self.diff_combo, 1)
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addLayout(buttons)
        tl.addWidget(self.table, 1)
        tl.addLayout(diff_row)
        tl.addWidget(self.status)
        # The table keeps room for a few variants; the scatter takes what is left.
        self.table.setMinimumHeight(self.table.verticalHeader().defaultSectionSize() * 4 + 30)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(self.plot_area)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split)

    # ----------------------------------------------------------------- wiring
    def set_editor(self, editor: Any) -> None:
        """Follow ``editor``'s session (the Design tab's)."""
        old = self._session
        if old is not None and isValid(old):
            old.changed.disconnect(self._on_session_changed)
            old.report_changed.disconnect(self._on_report_changed)
        self.editor = editor
        self._session = editor.session
        editor.session.changed.connect(self._on_session_changed)
        editor.session.report_changed.connect(self._on_report_changed)
        self.latency.clear()
        self._dirty = True
        if self.isVisible():
            self.refresh()

    @property
    def doc(self) -> GraphDocument:
        return self.editor.session.doc

    def _on_session_changed(self, event: object) -> None:
        if isinstance(event, (VariantsChanged, DocumentReset)):
            self.clear_diff()

    def _on_report_changed(self, _report: object) -> None:
        if self.isVisible():
            self.refresh()
        else:  # each variant is validated for its row: only while the view is shown
            self._dirty = True

    def changeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == event.Type.PaletteChange and self.plot is not None:
            self._draw_plot()  # the theme changed: colours follow

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._dirty:
            self.refresh()

    # ----------------------------------------------------------------- figures
    def runs_dir(self) -> Any:
        path = self.editor.session.path
        return path.with_suffix(".runs") if path is not None else None

    def refresh(self) -> None:
        if self.editor is None:
            return
        self._dirty = False
        self.rows = variant_rows(self.doc, self.runs_dir())
        self._fill_table()
        self._draw_plot()
        names = variants.names(self.doc)
        current = self.diff_combo.currentText()
        self.diff_combo.blockSignals(True)
        self.diff_combo.clear()
        self.diff_combo.addItem("(none)")
        self.diff_combo.addItems([n for n in names if n != self.doc.variant])
        if current in names and current != self.doc.variant:
            self.diff_combo.setCurrentText(current)
        self.diff_combo.blockSignals(False)
        self.delete_button.setEnabled(len(names) > 1)

    def _cells(self, row: dict[str, Any]) -> list[str]:
        lat = self.latency.get(row["variant"], {})

        def ms(b: int) -> str:
            fig = lat.get(f"batch_{b}")
            if not fig:
                return "…" if self._thread is not None else ""
            return f"{fig['median_ms']:.1f} ms (±{(fig['q3_ms'] - fig['q1_ms']) / 2:.1f})"

        run = row.get("run") or {}
        acc = run.get("best_val_accuracy")
        ips = run.get("images_per_s")
        if not row["valid"]:
            return [row["variant"], "has errors", "", "", "", "", "", ""]
        return [
            row["variant"] + ("  (active)" if row["active"] else ""),
            grouped(row["params"]),
            grouped(row["macs"]),
            f"{row['activation_bytes'] / 2**20:.1f} MiB",
            ms(1),
            ms(32),
            f"{100 * acc:.1f}%" if isinstance(acc, (int, float)) else "",
            f"{ips:.0f}" if isinstance(ips, (int, float)) else "",
        ]

    def _fill_table(self) -> None:
        self.table.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            for c, text in enumerate(self._cells(row)):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if row["active"]:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(r, c, item)

    def plot_points(self) -> tuple[list[int], list[tuple[float, float]], str, bool]:
        """(row indices, (x, y) points, y-axis label, maximise y) of the scatter."""
        valid = [i for i, r in enumerate(self.rows) if r["valid"]]
        trained = [i for i in valid if (self.rows[i].get("run") or {}).get("best_val_accuracy") is not None]
        if len(trained) >= 2:
            pts = [(self.rows[i]["macs"] / 1e6, 100 * self.rows[i]["run"]["best_val_accuracy"]) for i in trained]
            return trained, pts, "best validation accuracy (%)", True
        pts = [(self.rows[i]["macs"] / 1e6, self.rows[i]["params"] / 1e6) for i in valid]
        return valid, pts, "parameters (M)", False

    def _make_plot(self) -> None:
        import pyqtgraph as pg

        self.plot = pg.PlotWidget()
        self.plot.getViewBox().setDefaultPadding(0.15)  # points and their labels off the edges
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.setMenuEnabled(False)
        self.scatter = pg.ScatterPlotItem(size=11, hoverable=True)
        self.scatter.sigClicked.connect(self._on_scatter_clicked)
        self.front = pg.PlotDataItem()
        self.plot.addItem(self.front)
        self.plot.addItem(self.scatter)
        self.plot_area.layout().addWidget(self.plot)

    def _draw_plot(self) -> None:
        import pyqtgraph as pg

        if self.plot is None:
            self._make_plot()
        for label in self.labels:
            self.plot.removeItem(label)
        self.labels = []
        idx, pts, ylabel, maximise = self.plot_points()
        palette = self.palette()
        text = palette.color(palette.ColorRole.Text)
        accent = palette.color(palette.ColorRole.Highlight)
        front = set(pareto(pts, maximise))
        spots = []
        for k, (i, (x, y)) in enumerate(zip(idx, pts, strict=True)):
            row = self.rows[i]
            on_front = k in front
            spots.append(
                {
                    "pos": (x, y),
                    "data": row["variant"],
                    "brush": QBrush(accent if on_front else QColor(text.red(), text.green(), text.blue(), 110)),
                    "pen": QPen(text, 2 if row["active"] else 0.5),
                    "symbol": "s" if row["active"] else "o",
                }
            )
            k_same = sum(1 for p in pts[:k] if p == (x, y))  # labels of equal designs stack, not overlap
            label = pg.TextItem(row["variant"], color=text, anchor=(0, 1 - 1.2 * k_same))
            label.setPos(x, y)
            self.plot.addItem(label)
            self.labels.append(label)
        self.scatter.setData(spots)
        ordered = sorted((pts[k] for k in front), key=lambda p: p[0])
        self.front.setData([p[0] for p in ordered], [p[1] for p in ordered], pen=pg.mkPen(accent, width=1.5))
        self.plot.setLabel("bottom", "MACs (M)", color=text.name())
        self.plot.setLabel("left", ylabel, color=text.name())
        self.plot.setBackground(palette.color(palette.ColorRole.Base))
        for axis in ("bottom", "left"):
            self.plot.getAxis(axis).setTextPen(text)
            self.plot.getAxis(axis).setPen(text)

    # ----------------------------------------------------------------- actions
    def _push(self, make: Any) -> bool:
        try:
            cmd = make()
        except GraphError as exc:
            self.message.emit(str(exc), 5000)
            return False
        self.editor.session.push(cmd)
        return True

    def duplicate(self, name: str | None = None) -> bool:
        return self._push(lambda: duplicate_command(self.doc, name or None))

    def switch(self, name: str) -> bool:
        if name == self.doc.variant:
            return False
        return self._push(lambda: switch_command(self.doc, name))

    def rename(self, old: str, new: str) -> bool:
        return self._push(lambda: rename_command(self.doc, old, new))

    def delete(self, name: str) -> bool:
        return self._push(lambda: delete_command(self.doc, name))

    def selected_variant(self) -> str:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()]["variant"] if rows else self.doc.variant

    def _on_rename_clicked(self) -> None:
        old = self.selected_variant()
        new = ask_name(self, "Rename Variant", f"New name for variant {old!r}:", old)
        if new and new != old:
            self.rename(old, new)

    def _on_delete_clicked(self) -> None:
        self.delete(self.selected_variant())

    def _on_table_cell_double_clicked(self, row: int, _column: int) -> None:
        self.switch(self.rows[row]["variant"])

    def _on_scatter_clicked(self, _item: object, points: Any, *_: object) -> None:
        if len(points):
            self.switch(points[0].data())

    # ----------------------------------------------------------------- latency
    def measure_latency(self) -> None:
        """Start timing the variants; while that runs, the button cancels it."""
        if self._thread is not None:
            if self._worker is not None:
                self._worker.cancel()
                self.latency_button.setEnabled(False)
                self.status.setText("Cancelling…")
            return
        designs = {}
        for row in self.rows:
            if row["valid"]:
                design = variants.design_of(self.doc, row["variant"])
                designs[row["variant"]] = design.to_dict()
        if not designs:
            return
        self._thread = QThread(self)
        self._worker = LatencyWorker(designs)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.done.connect(self._on_worker_done, Qt.ConnectionType.QueuedConnection)
        self._worker.progress.connect(self._on_worker_progress, Qt.ConnectionType.QueuedConnection)
        self.latency_button.setText("Cancel")
        self.latency_button.setToolTip("Stop measuring (what was measured so far is dropped)")
        self.status.setText(f"Measuring latency on this machine's CPU: {len(designs)} variants…")
        self._fill_table()
        self._thread.start()

    @Slot(object)
    def _on_worker_done(self, results: dict[str, Any]) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.quit()
            thread.wait()
        self._worker = None
        self.latency_button.setText("Measure Latency")
        self.latency_button.setToolTip(self._latency_tip)
        self.latency_button.setEnabled(True)
        if "cancelled" in results:
            self.status.setText("Latency measurement cancelled.")
        elif "error" in results:
            self.status.setText(f"Latency could not be measured: {results['error']}")
        else:
            self.latency.update(results)
            self.status.setText("Latency: median of 5 samples per batch size, ± half the interquartile range.")
        self._fill_table()

    @Slot(int, int)
    def _on_worker_progress(self, done: int, total: int) -> None:
        if self._thread is not None:
            self.status.setText(f"Measuring latency on this machine's CPU: {100 * done // max(total, 1)}%…")

    def wait(self) -> None:
        """Block until a running measurement ends (tests, quitting)."""
        if self._thread is not None:
            self._thread.wait()

    # -------------------------------------------------------------------- diff
    def _on_diff_activated(self, _index: int) -> None:
        name = self.diff_combo.currentText()
        if name == "(none)" or not name:
            self.clear_diff()
        else:
            self.show_diff(name)

    def clear_diff(self) -> None:
        for item in self._overlay:
            # A design switch rebuilds the scene, which deletes the outlines with everything else.
            if isValid(item) and item.scene() is not None:
                item.scene().removeItem(item)
        self._overlay = []
        self.diff_text = ""
        self.status.setText("")

    def show_diff(self, other: str) -> variants.VariantDiff:
        """Outline the nodes of the active design that differ from variant ``other``."""
        self.clear_diff()
        d = variants.diff(variants.design_of(self.doc, other).graph_data(), self.doc.graph_data())
        scene = self.editor.scene
        theme = getattr(self.editor, "theme", None)
        colours = {
            "added": QColor(getattr(theme, "ok", "#3fb950")),
            "changed": QColor(getattr(theme, "warning", "#d29922")),
        }
        for kind, ids in (("added", d.added), ("changed", list(d.changed))):
            for nid in ids:
                item = scene.nodes.get(nid)
                if item is None:
                    continue
                # Close around the node's box (not its ports' room), under the edges and
                # their shape labels, so the outline never crosses a label.
                rect = item.mapRectToScene(item.rect).adjusted(-4, -4, 4, 4)
                outline = QGraphicsRectItem(QRectF(rect))
                outline.setPen(QPen(colours[kind], 3, Qt.PenStyle.DashLine))
                outline.setZValue(-1)
                outline.setData(0, kind)
                scene.addItem(outline)
                self._overlay.append(outline)
        lines = []
        doc = self.doc
        for nid, changes in d.changed.items():
            what = ", ".join(f"{k} {a!r} → {b!r}" for k, (a, b) in changes.items())
            lines.append(f"{doc.nodes[nid].name}: {what}")
        for nid in d.added:
            lines.append(f"{doc.nodes[nid].name}: only in {doc.variant}")
        if d.removed:
            lines.append(f"{len(d.removed)} node{'s' * (len(d.removed) != 1)} only in {other}")
        self.diff_text = "\n".join(lines) if lines else f"{doc.variant} and {other} are the same design"
        self.status.setText(self.diff_text)
        return d
