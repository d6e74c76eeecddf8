"""The main window: the canvas in the centre, docks around it, one open design at a time."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QCursor, QGuiApplication, QUndoGroup
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QUndoView,
)

from ..graph.document import GraphDocument, new_id
from ..io.autosave import Autosaver
from . import editing, files, icons, menus, theme
from .actions import Actions
from .canvas import EdgeItem, GraphScene, GraphView, NodeItem, PortItem
from .commands import FixCommand
from .format import compact, params_text, shape_text
from .session import Session
from .settings import app_settings

if TYPE_CHECKING:
    from .code_view import CodeDock
    from .inspector import InspectorDock
    from .palette import PaletteDock
    from .problems import ProblemsDock
    from .summary import SummaryDock

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
    #: The open design was replaced (new, open, recover): docks re-read ``window.document``.
    document_replaced = Signal()
    #: The panels are built (at once, or after the first paint with ``defer_panels``).
    panels_ready = Signal()

    def __init__(
        self,
        doc: GraphDocument | None = None,
        path: str | Path | None = None,
        theme_mode: str | None = None,
        *,
        defer_panels: bool = False,
    ):
        """``defer_panels``: show the canvas first and build the panels (Palette, Inspector,
        Problems, Summary, Code, Training) right after the window's first paint, in place of
        titled placeholders, so the app is on screen as early as possible (see
        :meth:`build_panels`; ``run_app`` does this, tests and screenshots build everything)."""
        super().__init__()
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self.settings = app_settings()
        self.theme_mode = theme_mode or str(self.settings.value("theme", "system"))
        self.theme = theme.resolve(self.theme_mode)
        self.undo_group = QUndoGroup(self)
        self.session: Session | None = None
        self.scene: GraphScene | None = None  # type: ignore[assignment]
        self.autosaver = Autosaver(new_id())
        self.view = GraphView()
        self.view.node_type_dropped.connect(self._on_view_node_type_dropped)
        self.view.zoom_changed.connect(self._on_view_zoom_changed)
        self.view.context_menu_requested.connect(self._on_view_context_menu_requested)
        self.setCentralWidget(self.view)
        # The window's size first, so the saved dock layout is restored at the size it was saved at.
        self.resize(1440, 900)
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        self.palette_dock: PaletteDock | None = None
        self.inspector_dock: InspectorDock | None = None
        self.problems_dock: ProblemsDock | None = None
        self.summary_dock: SummaryDock | None = None
        self.code_dock: CodeDock | None = None
        self.training_dock: QDockWidget | None = None
        self.history_dock = QDockWidget("History", self)
        self.history_dock.setObjectName("HistoryDock")
        self.history_view = QUndoView(self.undo_group)
        self.history_view.setEmptyLabel("Opened")
        self.history_dock.setWidget(self.history_view)
        self.actions = Actions(self)
        self._build_status_bar()
        self._placeholders: dict[str, QDockWidget] = {}
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        if defer_panels:
            for attr, object_name, title, _ in PANELS:
                placeholder = QDockWidget(title, self)
                placeholder.setObjectName(object_name)
                self._placeholders[attr] = placeholder
            self._arrange_docks(self._placeholders)
            self.view.first_painted.connect(self._on_view_first_painted)
        else:
            self.build_panels()
        self.set_session(Session(doc if doc is not None else GraphDocument(), path))
        self.apply_theme()
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_style_hints_color_scheme_changed)
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setInterval(AUTOSAVE_MS)
        self._autosave_timer.timeout.connect(self.autosave)
        self._autosave_timer.start()

    # ------------------------------------------------------------------ build
    @property
    def panels_built(self) -> bool:
        return self.palette_dock is not None

    def build_panels(self) -> None:
        """Create the panels (once) and show the open design in them."""
        if self.panels_built:
            return
        from .code_view import CodeDock
        from .inspector import InspectorDock
        from .palette import PaletteDock
        from .problems import ProblemsDock
        from .summary import SummaryDock

        self.setUpdatesEnabled(False)  # placeholders give way to the panels in one repaint
        try:
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
            self.training_dock = self._make_training_dock()
            docks = {attr: getattr(self, attr) for attr, *_ in PANELS if getattr(self, attr) is not None}
            state, opened = None, {}
            if self._placeholders:
                # The layout as the placeholders hold it (the user's), for the panels to take over.
                state = self.saveState()
                # A placeholder's toggle action says whether that layout has the panel open.
                opened = {attr: ph.toggleViewAction().isChecked() for attr, ph in self._placeholders.items()}
                for placeholder in self._placeholders.values():
                    self.removeDockWidget(placeholder)
                    placeholder.setParent(None)  # gone now, not later: no two docks share a name
                self._placeholders.clear()
            self._arrange_docks(docks, state)
            for attr, dock in docks.items():
                if not opened.get(attr, True):
                    dock.hide()
            for dock in docks.values():
                self.actions.panels_menu.addAction(dock.toggleViewAction())
            self.actions.fill_examples_menu()
            if self.session is not None:
                self._show_session_in_panels(self.session)
                self._theme_panels()
                self._on_session_report_changed(self.session.report)
                self._on_scene_selection_changed()
        finally:
            self.setUpdatesEnabled(True)
        if self.isVisible():  # Qt shows docks added to a shown window from the event loop: after that
            QTimer.singleShot(0, self, self.panels_ready.emit)
        else:
            self.panels_ready.emit()

    def _on_view_first_painted(self) -> None:
        QTimer.singleShot(0, self, self.build_panels)

    def _make_training_dock(self) -> QDockWidget | None:
        try:
            from .training_panel import TrainingDock
        except ImportError:
            return None
        try:
            dock = TrainingDock(self)
        except Exception as exc:  # noqa: BLE001 - the editor must open even if that panel cannot
            print(f"warning: the Training panel could not start: {exc}", file=sys.stderr)
            return None
        dock.setObjectName(dock.objectName() or "TrainingDock")
        return dock

    def _arrange_docks(self, docks: dict[str, QDockWidget], state=None) -> None:
        """Place the panels (or their placeholders) and restore ``state`` or the user's saved layout."""
        A = Qt.DockWidgetArea
        areas = {"left": A.LeftDockWidgetArea, "right": A.RightDockWidgetArea, "bottom": A.BottomDockWidgetArea}
        placed = [(docks[attr], areas[where]) for attr, _, _, where in PANELS if attr in docks]
        for dock, area in placed:
            self.addDockWidget(area, dock)
        bottom = [dock for dock, area in placed if area == A.BottomDockWidgetArea]
        for dock in bottom[1:]:
            self.tabifyDockWidget(bottom[0], dock)
        self.addDockWidget(A.RightDockWidgetArea, self.history_dock)  # (back) below the inspector
        self.history_dock.hide()
        self.resizeDocks([docks["palette_dock"], docks["inspector_dock"]], [220, 320], Qt.Orientation.Horizontal)
        self.resizeDocks([docks["problems_dock"]], [250], Qt.Orientation.Vertical)
        if state is None:
            state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)
        if bottom and self.session is not None:
            self._raise_report_panel(docks)

    def _raise_report_panel(self, docks: dict[str, QDockWidget] | None = None) -> None:
        """Bring Problems to the front when the design has errors, else Summary."""
        docks = docks or {"problems_dock": self.problems_dock, "summary_dock": self.summary_dock}
        docks["problems_dock" if self.session.report.errors else "summary_dock"].raise_()

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
        self.scene.connection_dropped.connect(self._on_scene_connection_dropped)
        self.view.setScene(self.scene)
        if old is not None:
            self.undo_group.removeStack(old.undo_stack)
            old.close()
            old.deleteLater()
        if old_scene is not None:
            old_scene.deleteLater()
        if self.panels_built:
            self._show_session_in_panels(session)
        if self.panels_built or self._placeholders:
            self._raise_report_panel(self._placeholders or None)
        self._on_session_report_changed(session.report)
        self._update_title()
        QTimer.singleShot(0, self.view, self.view.fit)
        self.document_replaced.emit()

    def _show_session_in_panels(self, session: Session) -> None:
        self.inspector_dock.set_session(session)
        self.summary_dock.set_session(session)
        self.code_dock.set_session(session)

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

    def context_menu(self, scene_pos: QPointF) -> QMenu:
        """The canvas menu for what is under ``scene_pos``: a node (selected first), an edge, or nothing."""
        for item in self.scene.items(scene_pos):
            node = item if isinstance(item, NodeItem) else item.node if isinstance(item, PortItem) else None
            if isinstance(node, NodeItem):
                if not node.isSelected():
                    self.scene.select_nodes([node.node_id])
                return menus.node_menu(self, node.node_id, scene_pos)
            if isinstance(item, EdgeItem):
                return menus.edge_menu(self, item.edge_id)
        return menus.canvas_menu(self, scene_pos)

    def add_node_menu_at_cursor(self) -> None:
        """Shift+A: the searchable node menu at the mouse (or the view's centre); with one node
        selected, the node is added after it, connected."""
        view = self.view
        local = view.viewport().mapFromGlobal(QCursor.pos())
        if not view.viewport().rect().contains(local):
            local = view.viewport().rect().center()
        scene_pos = view.mapToScene(local)
        selected = self.scene.selected_node_ids()
        menu = menus.after_node_menu(self, selected[0], scene_pos.x()) if len(selected) == 1 else None
        self._show_menu(menu or menus.add_here_menu(self, scene_pos), view.viewport().mapToGlobal(local))

    def _on_view_context_menu_requested(self, scene_pos: QPointF, global_pos) -> None:
        self._show_menu(self.context_menu(scene_pos), global_pos)

    def _on_scene_connection_dropped(self, node_id: str, port: str, port_is_input: bool, scene_pos: QPointF) -> None:
        menu = menus.quick_add_menu(self, node_id, port, port_is_input, scene_pos)
        self._show_menu(menu, self.view.viewport().mapToGlobal(self.view.mapFromScene(scene_pos)))

    def _show_menu(self, menu: QMenu, global_pos) -> None:
        self.popup_menu(menu, global_pos)
        menu.deleteLater()

    def popup_menu(self, menu: QMenu, global_pos) -> None:
        """Run a context menu until it closes (tests stand in for the user here)."""
        menu.exec(global_pos)

    def _on_scene_selection_changed(self) -> None:
        if self.inspector_dock is not None:
            self.inspector_dock.show_nodes(self.scene.selected_node_ids())

    def _on_view_zoom_changed(self, zoom: float) -> None:
        self.zoom_label.setText(f"{round(zoom * 100)}%")

    # ------------------------------------------------------------- reporting
    def _on_session_report_changed(self, report) -> None:
        doc = self.document
        if self.problems_dock is not None:
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
        self.scene.set_theme(self.theme)
        self.view.resetCachedContent()
        if self.panels_built:
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
