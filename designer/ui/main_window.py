"""The main window: the canvas in the centre, docks around it, one open design at a time."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QUndoGroup
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QUndoView

from ..graph.document import GraphDocument
from ..io.autosave import Autosaver
from . import editing, files, icons, theme
from .actions import Actions
from .canvas import GraphScene, GraphView
from .code_view import CodeDock
from .commands import FixCommand
from .format import compact, grouped, shape_text
from .inspector import InspectorDock
from .palette import PaletteDock
from .problems import ProblemsDock
from .session import Session
from .settings import app_settings
from .summary import SummaryDock

AUTOSAVE_MS = 30_000


class MainWindow(QMainWindow):
    #: The open design was replaced (new, open, recover): docks re-read ``window.document``.
    document_replaced = Signal()

    def __init__(self, doc: GraphDocument | None = None, path: str | Path | None = None, theme_mode: str | None = None):
        super().__init__()
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self.settings = app_settings()
        self.theme_mode = theme_mode or str(self.settings.value("theme", "system"))
        self.theme = theme.resolve(self.theme_mode)
        self.undo_group = QUndoGroup(self)
        self.session: Session | None = None
        self.scene: GraphScene | None = None  # type: ignore[assignment]
        self.autosaver = Autosaver(uuid.uuid4().hex)
        self.view = GraphView()
        self.view.node_type_dropped.connect(self._on_view_node_type_dropped)
        self.view.zoom_changed.connect(self._on_view_zoom_changed)
        self.setCentralWidget(self.view)
        self._build_docks()
        self.actions = Actions(self)
        self._build_status_bar()
        self.training_dock = self._make_training_dock()
        self._arrange_docks()
        self.set_session(Session(doc if doc is not None else GraphDocument(), path))
        self.apply_theme()
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_style_hints_color_scheme_changed)
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setInterval(AUTOSAVE_MS)
        self._autosave_timer.timeout.connect(self.autosave)
        self._autosave_timer.start()
        self.resize(1440, 900)
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)

    # ------------------------------------------------------------------ build
    def _build_docks(self) -> None:
        self.palette_dock = PaletteDock(self)
        self.palette_dock.add_requested.connect(self._on_palette_dock_add_requested)
        self.inspector_dock = InspectorDock(self)
        self.problems_dock = ProblemsDock(self.theme, self)
        self.problems_dock.node_requested.connect(self.reveal_node)
        self.problems_dock.fix_requested.connect(self.apply_fix)
        self.inspector_dock.fix_requested.connect(self.apply_fix)
        self.summary_dock = SummaryDock(self.theme, self)
        self.summary_dock.node_requested.connect(self.reveal_node)
        self.code_dock = CodeDock(self.theme, self)
        self.history_dock = QDockWidget("History", self)
        self.history_dock.setObjectName("HistoryDock")
        self.history_view = QUndoView(self.undo_group)
        self.history_view.setEmptyLabel("Opened")
        self.history_dock.setWidget(self.history_view)

    def _make_training_dock(self) -> QDockWidget | None:
        try:
            from .training_panel import TrainingDock
        except ImportError:
            return None
        try:
            return TrainingDock(self)
        except Exception as exc:  # noqa: BLE001 - the editor must open even if that panel cannot
            print(f"warning: the Training panel could not start: {exc}", file=sys.stderr)
            return None

    def _arrange_docks(self) -> None:
        A = Qt.DockWidgetArea
        self.setCorner(Qt.Corner.BottomLeftCorner, A.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, A.RightDockWidgetArea)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        self.addDockWidget(A.LeftDockWidgetArea, self.palette_dock)
        self.addDockWidget(A.RightDockWidgetArea, self.inspector_dock)
        bottom = [self.problems_dock, self.summary_dock, self.code_dock]
        if self.training_dock is not None:
            self.training_dock.setObjectName(self.training_dock.objectName() or "TrainingDock")
            bottom.append(self.training_dock)
        for dock in bottom:
            self.addDockWidget(A.BottomDockWidgetArea, dock)
        for dock in bottom[1:]:
            self.tabifyDockWidget(bottom[0], dock)
        self.addDockWidget(A.RightDockWidgetArea, self.history_dock)
        self.history_dock.hide()
        self.resizeDocks([self.palette_dock, self.inspector_dock], [220, 320], Qt.Orientation.Horizontal)
        self.resizeDocks([self.problems_dock], [250], Qt.Orientation.Vertical)
        for dock in (self.palette_dock, self.inspector_dock, *bottom):
            self.actions.panels_menu.addAction(dock.toggleViewAction())
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.status_icon = QLabel()
        self.status_label = QLabel()
        self.zoom_label = QLabel("100%")
        self.zoom_label.setToolTip("Zoom (Ctrl+0 fits the design)")
        bar.addWidget(self.status_icon)
        bar.addWidget(self.status_label, 1)
        bar.addPermanentWidget(self.zoom_label)

    # --------------------------------------------------------------- sessions
    @property
    def document(self) -> GraphDocument:
        return self.session.doc  # type: ignore[union-attr]

    def set_session(self, session: Session) -> None:
        """Show another design (new, open, recover); the old one is dropped."""
        old, old_scene = self.session, self.view.scene()
        self.session = session
        session.setParent(self)
        self.undo_group.addStack(session.undo_stack)
        self.undo_group.setActiveStack(session.undo_stack)
        session.undo_stack.cleanChanged.connect(self._on_undo_stack_clean_changed)
        session.report_changed.connect(self._on_session_report_changed)
        self.scene = GraphScene(session, self.theme, self)
        self.scene.selectionChanged.connect(self._on_scene_selection_changed)
        self.view.setScene(self.scene)
        if old is not None:
            self.undo_group.removeStack(old.undo_stack)
            old.close()
            old.deleteLater()
        if old_scene is not None:
            old_scene.deleteLater()
        self.inspector_dock.set_session(session)
        self.summary_dock.set_session(session)
        self.code_dock.set_session(session)
        self._on_session_report_changed(session.report)
        self._update_title()
        (self.problems_dock if session.report.errors else self.summary_dock).raise_()
        QTimer.singleShot(0, self.view, self.view.fit)
        self.document_replaced.emit()

    # --------------------------------------------------------------- editing
    def add_node(self, type_id: str, scene_pos: QPointF | None = None) -> str:
        """Add a node as a drop from the palette does; returns its id."""
        return editing.add_node(self, type_id, scene_pos)

    def select_all(self) -> None:
        for item in self.scene.nodes.values():
            item.setSelected(True)

    def reveal_node(self, node_id: str) -> None:
        if node_id in self.scene.nodes:
            self.scene.select_nodes([node_id])
            self.view.center_on_node(node_id)

    def apply_fix(self, diagnostic) -> None:
        if diagnostic.fix is not None:
            self.session.push(FixCommand(self.document, diagnostic.fix))
            self.statusBar().showMessage(f"Fixed: {diagnostic.fix.label}", 4000)

    def _on_palette_dock_add_requested(self, type_id: str) -> None:
        selected = self.scene.selected_node_ids()
        editing.add_node(self, type_id, None, after=selected[0] if len(selected) == 1 else None)

    def _on_view_node_type_dropped(self, type_id: str, pos: QPointF) -> None:
        self.add_node(type_id, pos)
        self.view.setFocus()

    def _on_scene_selection_changed(self) -> None:
        self.inspector_dock.show_nodes(self.scene.selected_node_ids())

    def _on_view_zoom_changed(self, zoom: float) -> None:
        self.zoom_label.setText(f"{round(zoom * 100)}%")

    # ------------------------------------------------------------- reporting
    def _on_session_report_changed(self, report) -> None:
        doc = self.document
        names = {nid: n.name for nid, n in doc.nodes.items()}
        self.problems_dock.set_diagnostics(report.diagnostics + self.session.advice, names)
        n_err, n_warn = len(report.errors), len(report.warnings)
        t = self.theme
        if n_err:
            name, color = "error", t.error
            text = f"{n_err} error{'s' * (n_err != 1)}" + (f", {n_warn} warning{'s' * (n_warn != 1)}" if n_warn else "")
        elif not doc.nodes:
            name, color, text = "info", t.info, "Empty design: drag nodes from the palette"
        else:
            costs = self.session.costs
            out = report.shapes.get(report.output_id) if report.output_id else None
            name, color = ("warning", t.warning) if n_warn else ("ok", t.ok)
            text = (
                f"Valid · output {shape_text(out)} · {grouped(costs.total.params)} params · "
                f"{compact(costs.inference.macs)} MACs"
                + (f" · {n_warn} warning{'s' * (n_warn != 1)}" if n_warn else "")
            )
        self.status_icon.setPixmap(icons.pixmap(name, color, 14))
        self.status_label.setText(text)

    def _on_undo_stack_clean_changed(self, clean: bool) -> None:
        self._update_title()

    def _update_title(self) -> None:
        s = self.session
        where = f" — {s.path.parent}" if s.path else ""
        self.setWindowTitle(f"{s.title}[*]{where} — Inception Designer")
        self.setWindowModified(not s.undo_stack.isClean())

    # ----------------------------------------------------------------- themes
    def set_theme_mode(self, mode: str) -> None:
        self.theme_mode = mode
        self.settings.setValue("theme", mode)
        self.apply_theme()

    def apply_theme(self) -> None:
        self.theme = theme.resolve(self.theme_mode)
        app = QApplication.instance()
        if app is not None:
            theme.apply(app, self.theme)  # type: ignore[arg-type]
        self.actions.theme_actions[self.theme_mode].setChecked(True)
        self.actions.apply_theme(self.theme.subtext if self.theme.dark else self.theme.text)
        self.scene.set_theme(self.theme)
        self.view.resetCachedContent()
        for dock in (self.problems_dock, self.summary_dock, self.code_dock, self.palette_dock):
            dock.set_theme(self.theme)
        if self.session is not None:
            self._on_session_report_changed(self.session.report)

    def _on_style_hints_color_scheme_changed(self, scheme) -> None:
        if self.theme_mode == "system":
            self.apply_theme()

    # ------------------------------------------------------------------ files
    new_document = files.new_document
    open_dialog = files.open_dialog
    open_path = files.open_path
    open_example = files.open_example
    save = files.save
    save_as = files.save_as
    save_for_run = files.save_for_run
    autosave = files.autosave
    recent_files = files.recent_files
    clear_recent_files = files.clear_recent_files
    maybe_save = files.maybe_save
    show_about = files.show_about

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        self._autosave_timer.stop()
        self.autosaver.discard()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        if self.training_dock is not None and hasattr(self.training_dock, "shutdown"):
            self.training_dock.shutdown()
        event.accept()


__all__ = ["MainWindow"]
