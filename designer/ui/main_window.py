"""The main window: the canvas in the centre, docks around it, one open design at a time.

The centre holds tabs: the design, and a tab per opened module definition
(:mod:`designer.ui.module_tabs`); the Inspector, Problems and Summary follow the current
tab's editor and session, the status bar, Code and Training stay on the design."""

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
from .module_tabs import ModuleTabs, instance_module
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
        self.tabs = ModuleTabs(self)
        self.tabs.current_changed.connect(self._on_tabs_current_changed)
        self.setCentralWidget(self.tabs.widget)
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
        self.wire_editor(self.editor, None)
        self.set_session(Session(doc if doc is not None else GraphDocument(), path))
        self.apply_theme()
        self._restore_layout()
        self._build_branch_bars()
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

    @property
    def current_editor(self) -> DesignEditor:
        """The editor of the current tab (the design's, or a module definition's)."""
        tab = self.tabs.current()
        return tab.editor if tab is not None else self.editor

    @property
    def current_session(self) -> Session:
        tab = self.tabs.current()
        return tab.session if tab is not None else self.session  # type: ignore[return-value]

    def add_node(self, type_id: str, scene_pos: QPointF | None = None) -> str:
        """Add a node as a drop from the palette does; returns its id."""
        return self.current_editor.add_node(type_id, scene_pos)

    def reveal_node(self, node_id: str) -> None:
        self.current_editor.reveal_node(node_id)

    def apply_fix(self, diagnostic) -> None:
        self.current_editor.apply_fix(diagnostic)

    def open_module(self, instance_id: str, doc: GraphDocument | None = None, select: str | None = None):
        """Open the definition of an instance in its tab, showing the body for that instance
        (with the body's node ``select`` selected and in view). ``doc`` holds the instance
        (default: the current tab's document, else the design). Returns the tab, or None (with
        a message) when the node is not an instance."""
        docs = [doc] if doc is not None else [self.current_session.doc, self.document]
        for d in docs:
            mid = instance_module(d, instance_id)
            if mid is not None and mid in self.document.library.defs:
                tab = self.tabs.open(mid, (d, instance_id))
                if select is not None and select in tab.document.nodes:
                    tab.editor.select([select])
                    tab.editor.view.center_on_node(select)
                return tab
        self.statusBar().showMessage("Only a module instance has a definition to open", 4000)
        return None

    def wire_editor(self, editor: DesignEditor, session: Session | None) -> None:
        """Connect an editor (the design's, or a definition tab's) to the window."""
        editor.selection_changed.connect(lambda ids, e=editor: self._on_editor_selection_changed(e, ids))
        editor.message.connect(self._on_editor_message)
        editor.view.zoom_changed.connect(self._on_view_zoom_changed)
        requested = getattr(editor, "open_module_requested", None)  # (the editor's double-click, menu)
        if requested is not None:
            requested.connect(lambda nid, e=editor: self.open_module(nid, e.document))
            editor.open_inner_requested.connect(lambda nid, inner, e=editor: self.open_module(nid, e.document, inner))
        if session is not None:
            session.report_changed.connect(self._on_tab_report_changed)

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
        self.palette_dock.add_requested.connect(self._on_palette_dock_add_requested)
        self.inspector_dock = InspectorDock(self)
        self.problems_dock = ProblemsDock(self.theme, self)
        self.problems_dock.node_requested.connect(self.reveal_node)
        self.problems_dock.fix_requested.connect(self.apply_fix)
        self.inspector_dock.fix_requested.connect(self.apply_fix)
        self.inspector_dock.open_module_requested.connect(self._on_inspector_dock_open_module_requested)
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
        from .library_actions import LibraryActions

        self.library_actions = LibraryActions(self)
        self.compare_dock = self.library_actions.compare_dock
        self.addDockWidget(A.BottomDockWidgetArea, self.compare_dock)
        self.tabifyDockWidget(bottom[-1], self.compare_dock)
        self.compare_dock.hide()  # Variants > Compare Variants shows it
        bar = self.menuBar()
        self.library_actions.add_menus(bar.actions()[0].menu(), bar)
        placed.append((self.compare_dock, A.BottomDockWidgetArea))
        for dock, _ in placed:
            self.actions.panels_menu.addAction(dock.toggleViewAction())
        self.actions.fill_examples_menu()
        # The library's files (about 0.1 s of checked JSON) are read once the window is up.
        QTimer.singleShot(0, self, self.library_actions.refresh_palette)  # (cancelled with the window)

    def _build_branch_bars(self) -> None:
        """Each Concat's branch shares (from training) under it on the canvas; View toggles them."""
        from .canvas.branch_bars import BranchBars

        self.branch_bars = BranchBars(self)
        menu = self.actions.view_menu
        menu.insertAction(menu.actions()[menu.actions().index(self.actions.layout) + 1], self.branch_bars.action)

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
        self.tabs.set_design(session)
        if old is not None:
            self.undo_group.removeStack(old.undo_stack)
            old.close()
            old.deleteLater()
        self.inspector_dock.set_session(session, design=session.doc)
        self.summary_dock.set_session(session)
        self.code_dock.set_session(session)
        self.library_actions.compare.set_editor(self.editor)
        if self.training_dock is not None:
            self.training_dock.set_session(session)
        self._raise_report_panel()
        self._on_session_report_changed(session.report)
        self._update_title()
        self.document_replaced.emit()

    def _on_editor_selection_changed(self, editor: DesignEditor, node_ids: list[str]) -> None:
        if editor is self.current_editor:
            self.inspector_dock.show_nodes(node_ids)

    def _on_tabs_current_changed(self) -> None:
        """Inspector, Problems and Summary follow the current tab; the design's window-wide
        keys (zoom, fit, layout) and edit menu act on the design only while it is shown
        (a definition tab has its own)."""
        tab = self.tabs.current()
        on_design = tab is None
        e = self.editor
        for act in (*e.edit_actions, e.zoom_in_action, e.zoom_out_action, e.fit_action, e.layout_action):
            act.setEnabled(on_design)
        session, editor = self.current_session, self.current_editor
        session.flush()  # (a tab closed inside a command: the design's report may be behind)
        self.inspector_dock.set_session(session, tab.definition if tab else None, self.document)
        self.inspector_dock.show_nodes(editor.selected_node_ids())
        self.summary_dock.set_session(session)
        self._show_problems()
        self._on_view_zoom_changed(editor.view.transform().m11())

    def _on_palette_dock_add_requested(self, type_id: str) -> None:
        self.current_editor.add_after_selection(type_id)

    def _on_inspector_dock_open_module_requested(self, node_id: str) -> None:
        self.open_module(node_id, self.inspector_dock.session.doc if self.inspector_dock.session else None)

    def _on_view_zoom_changed(self, zoom: float) -> None:
        self.zoom_label.setText(f"{round(zoom * 100)}%")

    # ------------------------------------------------------------- reporting
    def _show_problems(self) -> None:
        """The Problems dock lists the current tab's diagnostics and advice."""
        session = self.current_session
        names = {nid: n.name for nid, n in session.doc.nodes.items()}
        self.problems_dock.set_diagnostics(session.report.diagnostics + session.advice, names)

    def _on_tab_report_changed(self, report) -> None:
        if self.sender() is self.current_session:
            self._show_problems()

    def _on_session_report_changed(self, report) -> None:
        doc = self.document
        if self.tabs.current() is None:
            self._show_problems()
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
        self.tabs.set_theme(self.theme)
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
