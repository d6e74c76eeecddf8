"""The main window: the canvas in the centre, docks around it, one open design at a time."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QByteArray, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QUndoGroup
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QUndoView

from ..graph.document import GraphDocument, new_id
from ..io.autosave import Autosaver
from . import files, icons, theme
from .actions import Actions
from .canvas import GraphScene, GraphView
from .editor import DesignEditor
from .format import compact, params_text, shape_text
from .session import Session
from .settings import app_settings

AUTOSAVE_MS = 30_000

#: The panels around the canvas: attribute, object name (saved window state), title, area.
PANELS = (
    ("palette_dock", "PaletteDock", "Palette", "left"),
    ("inspector_dock", "InspectorDock", "Inspector", "right"),
    ("problems_dock", "ProblemsDock", "Problems", "bottom"),
    ("summary_dock", "SummaryDock", "Summary", "bottom"),
    ("code_dock", "CodeDock", "Code", "bottom"),
    ("training_dock", "TrainingDock", "Training", "bottom"),
)


class MainWindow(QMainWindow):
    """Hosts the design editor (the canvas) with the panels around it, the menus and the
    theme; one open design (session) at a time. Editing lives in :class:`DesignEditor`."""

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
        self.autosaver = Autosaver(new_id())
        self.editor = DesignEditor(self.theme, self)
        self.editor.selection_changed.connect(self._on_editor_selection_changed)
        self.editor.message.connect(self._on_editor_message)
        self.view.zoom_changed.connect(self._on_view_zoom_changed)
        self.setCentralWidget(self.view)
        self.history_dock = QDockWidget("History", self)
        self.history_dock.setObjectName("HistoryDock")
        self.history_view = QUndoView(self.undo_group)
        self.history_view.setEmptyLabel("Opened")
        self.history_dock.setWidget(self.history_view)
        self.actions = Actions(self)
        self._build_status_bar()
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        self._build_panels()
        self.set_session(Session(doc if doc is not None else GraphDocument(), path))
        self.apply_theme()
        self._restore_layout()
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_style_hints_color_scheme_changed)
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setInterval(AUTOSAVE_MS)
        self._autosave_timer.timeout.connect(self.autosave)
        self._autosave_timer.start()

    # ------------------------------------------------------------- the editor
    @property
    def view(self) -> GraphView:
        return self.editor.view

    @property
    def scene(self) -> GraphScene:
        return self.editor.scene

    @property
    def document(self) -> GraphDocument:
        return self.session.doc  # type: ignore[union-attr]

    def add_node(self, type_id: str, scene_pos: QPointF | None = None) -> str:
        """Add a node as a drop from the palette does; returns its id."""
        return self.editor.add_node(type_id, scene_pos)

    def reveal_node(self, node_id: str) -> None:
        self.editor.reveal_node(node_id)

    def apply_fix(self, diagnostic) -> None:
        self.editor.apply_fix(diagnostic)

    def _on_editor_message(self, text: str, ms: int) -> None:
        self.statusBar().showMessage(text, ms)

    # ------------------------------------------------------------------ build
    def _build_panels(self) -> None:
        """Create the panels around the canvas (before the window is shown: docks are never
        swapped on a live window, which crashed the app under X11 with a maximized layout)."""
        from .code_view import CodeDock
        from .inspector import InspectorDock
        from .palette import PaletteDock
        from .problems import ProblemsDock
        from .summary import SummaryDock

        self.palette_dock = PaletteDock(self)
        self.palette_dock.add_requested.connect(self.editor.add_after_selection)
        self.inspector_dock = InspectorDock(self)
        self.problems_dock = ProblemsDock(self.theme, self)
        self.problems_dock.node_requested.connect(self.reveal_node)
        self.problems_dock.fix_requested.connect(self.apply_fix)
        self.inspector_dock.fix_requested.connect(self.apply_fix)
        self.summary_dock = SummaryDock(self.theme, self)
        self.summary_dock.node_requested.connect(self.reveal_node)
        self.code_dock = CodeDock(self.theme, self)
        self.code_dock.export_requested.connect(self.export_dialog)
        self.training_dock = self._make_training_dock()
        A = Qt.DockWidgetArea
        areas = {"left": A.LeftDockWidgetArea, "right": A.RightDockWidgetArea, "bottom": A.BottomDockWidgetArea}
        placed = [
            (getattr(self, attr), areas[where]) for attr, _, _, where in PANELS if getattr(self, attr) is not None
        ]
        for dock, area in placed:
            self.addDockWidget(area, dock)
        bottom = [dock for dock, area in placed if area == A.BottomDockWidgetArea]
        for dock in bottom[1:]:
            self.tabifyDockWidget(bottom[0], dock)
        self.addDockWidget(A.RightDockWidgetArea, self.history_dock)  # below the inspector
        self.history_dock.hide()
        self.resizeDocks([self.palette_dock, self.inspector_dock], [220, 320], Qt.Orientation.Horizontal)
        self.resizeDocks([self.problems_dock], [250], Qt.Orientation.Vertical)
        for dock, _ in placed:
            self.actions.panels_menu.addAction(dock.toggleViewAction())
        self.actions.fill_examples_menu()

    def _restore_layout(self) -> None:
        """The user's saved window size and dock layout; one that cannot be restored is
        dropped with a message (the default layout stays), never a crash."""
        self.resize(1440, 900)
        geometry, state = self.settings.value("window/geometry"), self.settings.value("window/state")
        dropped = []
        if geometry is not None and not (isinstance(geometry, QByteArray) and self.restoreGeometry(geometry)):
            self.settings.remove("window/geometry")
            self.resize(1440, 900)
            dropped.append("window size")
        if state is not None and not (isinstance(state, QByteArray) and self.restoreState(state)):
            self.settings.remove("window/state")
            dropped.append("panel layout")
        if dropped:
            self.statusBar().showMessage(
                f"The saved {' and '.join(dropped)} could not be restored; using the default", 8000
            )
        self._raise_report_panel()

    def _make_training_dock(self) -> QDockWidget | None:
        try:
            from .training_panel import TrainingDock
        except ImportError:
            return None
        try:
            dock = TrainingDock(self)
            dock.save_for_run = self.save_for_run
            dock.message.connect(self._on_editor_message)
        except Exception as exc:  # noqa: BLE001 - the editor must open even if that panel cannot
            print(f"warning: the Training panel could not start: {exc}", file=sys.stderr)
            return None
        dock.setObjectName(dock.objectName() or "TrainingDock")
        return dock

    def _raise_report_panel(self) -> None:
        """Bring Problems to the front when the design has errors, else Summary."""
        (self.problems_dock if self.session.report.errors else self.summary_dock).raise_()

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
    def set_session(self, session: Session) -> None:
        """Show another design (new, open, recover); the old one is dropped."""
        old = self.session
        self.session = session
        session.setParent(self)
        self.undo_group.addStack(session.undo_stack)
        self.undo_group.setActiveStack(session.undo_stack)
        session.undo_stack.cleanChanged.connect(self._on_undo_stack_clean_changed)
        session.report_changed.connect(self._on_session_report_changed)
        self.editor.set_session(session)
        if old is not None:
            self.undo_group.removeStack(old.undo_stack)
            old.close()
            old.deleteLater()
        self.inspector_dock.set_session(session)
        self.summary_dock.set_session(session)
        self.code_dock.set_session(session)
        if self.training_dock is not None:
            self.training_dock.set_session(session)
        self._raise_report_panel()
        self._on_session_report_changed(session.report)
        self._update_title()
        self.document_replaced.emit()

    def _on_editor_selection_changed(self, node_ids: list[str]) -> None:
        self.inspector_dock.show_nodes(node_ids)

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
                f"Valid · output {shape_text(out)} · {params_text(costs.inference.params, costs.total.params, ' params')} · "
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
        self.editor.set_theme(self.theme)
        self._theme_panels()
        if self.session is not None:
            self._on_session_report_changed(self.session.report)

    def _theme_panels(self) -> None:
        for dock in (self.problems_dock, self.summary_dock, self.code_dock, self.palette_dock):
            dock.set_theme(self.theme)

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

    def export_dialog(self):
        from .export_dialog import show_export_dialog  # (the exporters load when an export runs)

        return show_export_dialog(self)

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
