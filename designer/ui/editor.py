"""The design editor: the canvas of one open design and every way of editing it.

In the role of Orange canvas's ``SchemeEditWidget``: it owns the session, the scene, the
view, the selection (with its own signal) and the edit actions (cut, copy, paste, delete,
duplicate, add node, nudge, zoom, fit, auto-layout) with their shortcuts and menus. Every
edit goes through a function of :mod:`designer.ui.operations` with the session, the
selected ids and a position; the main window only hosts the editor, docks, menus and themes.

Modules: Make Module (Ctrl+G) turns the selection into one instance of a new definition,
Ungroup (Ctrl+Shift+G) an instance back into nodes; a selection that cannot be a module is
told why in the status bar. Double-clicking an instance (or its menu's Edit Module…) asks
for its definition (``open_module_requested``); the window opens it in a tab.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCursor, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from ..graph.diagnostics import Diagnostic
from ..graph.document import GraphDocument, GraphError
from . import clipboard, menus, operations
from .canvas import EdgeItem, GraphScene, GraphView, NodeItem, PortItem
from .session import Session
from .theme import Theme

SK = QKeySequence.StandardKey


class DesignEditor(QObject):
    #: The selected node ids changed (in selection order as the scene reports them).
    selection_changed = Signal(list)
    #: A short message for the status bar: (text, milliseconds).
    message = Signal(str, int)
    #: Another session is shown (new, open, recover).
    session_replaced = Signal(object)
    #: The user asked to open an instance's definition (the instance's node id).
    open_module_requested = Signal(str)
    #: An instance's definition, with one of its nodes to select: (instance id, inner node id).
    open_inner_requested = Signal(str, str)

    def __init__(self, theme: Theme, parent: QWidget | None = None):
        super().__init__(parent)
        self.theme = theme
        self.session: Session | None = None
        self.scene: GraphScene | None = None
        self.view = GraphView()
        self.view.node_type_dropped.connect(self._on_view_node_type_dropped)
        self.view.context_menu_requested.connect(self._on_view_context_menu_requested)
        self.view.modules_dropped.connect(self._on_view_modules_dropped)
        self.view.installEventFilter(self)  # shown/hidden (a tab): the module actions follow
        self._make_actions(parent)

    # ---------------------------------------------------------------- actions
    def _act(self, parent: QWidget | None, text: str, slot, shortcut=None) -> QAction:
        act = QAction(text, parent)
        act.triggered.connect(lambda checked=False: slot())
        if shortcut is not None:
            if isinstance(shortcut, list):
                act.setShortcuts([QKeySequence(s) for s in shortcut])
            else:
                act.setShortcut(QKeySequence(shortcut))
        return act

    def _make_actions(self, parent: QWidget | None) -> None:
        a = self._act
        self.cut_action = a(parent, "Cu&t", self.cut, SK.Cut)
        self.copy_action = a(parent, "&Copy", self.copy, SK.Copy)
        self.paste_action = a(parent, "&Paste", self.paste, SK.Paste)
        self.duplicate_action = a(parent, "D&uplicate", self.duplicate, "Ctrl+D")
        self.delete_action = a(parent, "&Delete", self.delete_selection, [SK.Delete, Qt.Key.Key_Backspace])
        self.select_all_action = a(parent, "Select &All", self.select_all, SK.SelectAll)
        self.add_node_action = a(parent, "Add &Node…", self.add_node_menu_at_cursor, "Shift+A")
        self.add_node_action.setToolTip("Add a node at the cursor, or after the selected node (connected)")
        self.zoom_in_action = a(parent, "Zoom &In", self.view.zoom_in, SK.ZoomIn)
        self.zoom_out_action = a(parent, "Zoom &Out", self.view.zoom_out, SK.ZoomOut)
        self.fit_action = a(parent, "&Fit to View", self.view.fit, "Ctrl+0")
        self.layout_action = a(parent, "Auto-&layout", self.auto_layout, "Ctrl+L")
        self.make_module_action = a(parent, "&Make Module", self.make_module, "Ctrl+G")
        self.make_module_action.setStatusTip("Turn the selected nodes into one instance of a new module")
        self.ungroup_action = a(parent, "U&ngroup", self.ungroup, "Ctrl+Shift+G")
        self.ungroup_action.setStatusTip("Turn the selected module instance back into its nodes")
        self.expand_action = a(parent, "E&xpand in Place", self.toggle_expanded, "Ctrl+Shift+E")
        self.expand_action.setStatusTip(
            "Show the selected instance's inside beside it, with its shapes (again: hide it)"
        )
        for text, dx, dy, key in (
            ("left", -10, 0, "Left"),
            ("right", 10, 0, "Right"),
            ("up", 0, -10, "Up"),
            ("down", 0, 10, "Down"),
        ):
            act = a(parent, f"Nudge {text}", partial(self.nudge, dx, dy), key)
            act.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            self.view.addAction(act)
        # Edit shortcuts act on the canvas; text fields keep their own Ctrl+C / Delete.
        for act in (*self.edit_actions, *self.module_actions):
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.view.addAction(act)
        self._update_module_actions()

    @property
    def edit_actions(self) -> list[QAction]:
        return [
            self.cut_action,
            self.copy_action,
            self.paste_action,
            self.duplicate_action,
            self.delete_action,
            self.select_all_action,
            self.add_node_action,
        ]

    @property
    def module_actions(self) -> list[QAction]:
        """Make Module and Ungroup: enabled only when they can act (on the shown canvas)."""
        return [self.make_module_action, self.ungroup_action, self.expand_action]

    def _update_module_actions(self) -> None:
        shown = not self.view.isHidden()
        selected = self.selected_node_ids() if self.session is not None else []
        self.make_module_action.setEnabled(shown and bool(selected))
        one_instance = len(selected) == 1 and operations.is_instance(self.document, selected[0])
        self.ungroup_action.setEnabled(shown and one_instance)
        self.expand_action.setEnabled(shown and one_instance)
        expanded = one_instance and selected[0] in self.scene.expanded
        self.expand_action.setText("Colla&pse" if expanded else "E&xpand in Place")

    def eventFilter(self, watched, event) -> bool:
        if watched is self.view and event.type() in (QEvent.Type.Show, QEvent.Type.Hide):
            self._update_module_actions()
        return super().eventFilter(watched, event)

    # ---------------------------------------------------------------- session
    @property
    def document(self) -> GraphDocument:
        assert self.session is not None
        return self.session.doc

    def set_session(self, session: Session) -> None:
        """Show another design; the old scene is dropped (the caller owns the old session)."""
        old_scene = self.scene
        self.session = session
        self.scene = GraphScene(session, self.theme, self)
        self.scene.selectionChanged.connect(self._on_scene_selection_changed)
        self.scene.connection_dropped.connect(self._on_scene_connection_dropped)
        self.scene.node_activated.connect(self._on_scene_node_activated)
        self.scene.expansion_toggled.connect(self._on_scene_expansion_toggled)
        self.scene.inner_node_activated.connect(self.open_inner_requested)
        session.undo_stack.indexChanged.connect(self._on_undo_stack_index_changed)
        self.view.setScene(self.scene)
        if old_scene is not None:
            old_scene.deleteLater()
        QTimer.singleShot(0, self.view, self.view.fit)
        self.session_replaced.emit(session)
        self.selection_changed.emit([])
        self._update_module_actions()

    @property
    def editing_definition(self) -> bool:
        """The canvas shows a module definition's body (its Module input/output nodes may be
        added here, and only here)."""
        doc = self.session.doc if self.session is not None else None
        return doc is not None and doc.has_library and any(d.body is doc for d in doc.library.defs.values())

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        if self.scene is not None:
            self.scene.set_theme(theme)
        self.view.resetCachedContent()

    # -------------------------------------------------------------- selection
    def selected_node_ids(self) -> list[str]:
        return self.scene.selected_node_ids() if self.scene is not None else []

    def selected_edge_ids(self) -> list[str]:
        return self.scene.selected_edge_ids() if self.scene is not None else []

    def select(self, node_ids: list[str]) -> None:
        self.scene.select_nodes(node_ids)

    def select_all(self) -> None:
        self.select(list(self.document.nodes))

    def _on_scene_selection_changed(self) -> None:
        self._update_module_actions()
        self.selection_changed.emit(self.selected_node_ids())

    def _on_undo_stack_index_changed(self, index: int) -> None:
        if self.scene is not None:
            self._update_module_actions()

    def reveal_node(self, node_id: str) -> None:
        if node_id in self.scene.nodes:
            self.select([node_id])
            self.view.center_on_node(node_id)

    # ------------------------------------------------------------------ edits
    def view_centre(self) -> tuple[float, float]:
        p = self.view.mapToScene(self.view.viewport().rect().center())
        return p.x(), p.y()

    def _selected(self, ids: list[str]) -> list[str]:
        self.select(ids)
        return ids

    def add_node(self, type_id: str, scene_pos: QPointF | None = None, after: str | None = None) -> str:
        """Add a node centred on ``scene_pos`` (or the view's centre), or after ``after``, connected."""
        centre = (scene_pos.x(), scene_pos.y()) if scene_pos is not None else self.view_centre()
        return self._selected([operations.add_node(self.session, type_id, centre, after)])[0]

    def add_after_selection(self, type_id: str) -> str:
        """The palette's double-click: after the one selected node (connected), else at the centre."""
        selected = self.selected_node_ids()
        return self.add_node(type_id, None, after=selected[0] if len(selected) == 1 else None)

    def add_connected(self, type_id: str, scene_pos: QPointF, node_id: str, port: str, port_is_input: bool) -> str:
        nid = operations.add_connected(
            self.session, type_id, (scene_pos.x(), scene_pos.y()), node_id, port, port_is_input
        )
        return self._selected([nid])[0]

    def insert_on_edge(self, type_id: str, edge_id: str) -> str:
        return self._selected([operations.insert_on_edge(self.session, type_id, edge_id)])[0]

    def delete_selection(self) -> None:
        operations.delete(self.session, self.selected_node_ids(), self.selected_edge_ids())

    def delete_edges(self, edge_ids: list[str]) -> None:
        n = len(edge_ids)
        operations.delete(self.session, [], edge_ids, "Delete connection" if n == 1 else f"Delete {n} connections")

    def copy(self) -> bool:
        nodes = self.selected_node_ids()
        if not nodes:
            return False
        data = clipboard.selection_data(self.document, nodes)
        QGuiApplication.clipboard().setMimeData(clipboard.to_mime(data))
        return True

    def cut(self) -> None:
        nodes = self.selected_node_ids()
        if self.copy():
            operations.delete(self.session, nodes, [], f"Cut {len(nodes)} node{'s' * (len(nodes) != 1)}")

    def paste(self, data: dict[str, Any] | None = None) -> list[str]:
        """Paste the clipboard (or ``data``) with fresh ids, offset from the originals."""
        if data is None:
            data = clipboard.from_mime(QGuiApplication.clipboard().mimeData())
        if not data:
            self.message.emit("Nothing to paste: the clipboard holds no nodes", 3000)
            return []
        return self._selected(operations.paste(self.session, data))

    def duplicate(self) -> list[str]:
        ids = operations.duplicate(self.session, self.selected_node_ids())
        return self._selected(ids) if ids else []

    def nudge(self, dx: float, dy: float) -> None:
        operations.nudge(self.session, self.selected_node_ids(), dx, dy)

    def auto_layout(self) -> None:
        if operations.auto_layout(self.session):
            self.view.fit()

    # ---------------------------------------------------------------- modules
    def make_module(self, name: str | None = None) -> list[str]:
        """Ctrl+G: the selected nodes become one instance of a new module (selected after);
        a selection that cannot be says why in the status bar. Returns the instance's id."""
        selected = self.selected_node_ids()
        try:
            ids = operations.make_module(self.session, selected, name)
        except GraphError as exc:
            self.message.emit(f"Cannot make a module: {exc}", 8000)
            return []
        node = self.document.nodes[ids[0]]
        n = len(selected)
        self.message.emit(f"Made module {node.type.display_name} from {n} node{'s' * (n != 1)}: {node.name}", 5000)
        return self._selected(ids)

    def ungroup(self) -> list[str]:
        """Ctrl+Shift+G: the selected instance becomes its definition's nodes (selected after)."""
        selected = self.selected_node_ids()
        if len(selected) != 1 or not operations.is_instance(self.document, selected[0]):
            self.message.emit("Cannot ungroup: select one module instance", 6000)
            return []
        try:
            ids = operations.ungroup(self.session, selected[0])
        except GraphError as exc:
            self.message.emit(f"Cannot ungroup: {exc}", 8000)
            return []
        return self._selected(ids)

    def _instance(self, node_id: str | None, refusal: str) -> str | None:
        """``node_id`` (default: the one selected node) when it is a module instance; else None,
        with ``refusal`` in the status bar."""
        if node_id is None:
            selected = self.selected_node_ids()
            node_id = selected[0] if len(selected) == 1 else None
        if node_id is None or not operations.is_instance(self.document, node_id):
            self.message.emit(refusal, 4000)
            return None
        return node_id

    def toggle_expanded(self, node_id: str | None = None) -> bool:
        """Expand an instance (the selected one by default) in place, or collapse it; False
        when the node is not an instance."""
        node_id = self._instance(node_id, "Only a module instance can be expanded")
        if node_id is None:
            return False
        self.scene.toggle_expanded(node_id)
        return True

    def open_module(self, node_id: str | None = None) -> bool:
        """Ask for an instance's definition (the selected one by default); False when the node
        is not an instance."""
        node_id = self._instance(node_id, "Only a module instance has a definition to open")
        if node_id is None:
            return False
        self.open_module_requested.emit(node_id)
        return True

    def add_modules(self, modules: list[dict[str, Any]], scene_pos: QPointF | None = None) -> str | None:
        """Add definitions given as data (a library's) and an instance of the first, at
        ``scene_pos`` or, without one, after the one selected node (else at the centre)."""
        selected = self.selected_node_ids()
        after = selected[0] if scene_pos is None and len(selected) == 1 else None
        centre = (scene_pos.x(), scene_pos.y()) if scene_pos is not None else self.view_centre()
        try:
            nid = operations.add_modules(self.session, modules, centre, after)
        except (GraphError, KeyError, ValueError) as exc:
            self.message.emit(f"Cannot add the module: {exc}", 8000)
            return None
        return self._selected([nid])[0]

    def _on_scene_expansion_toggled(self, node_id: str, expanded: bool) -> None:
        self._update_module_actions()
        if expanded and not self.scene.rebuilding:  # bring the panel into sight, as far as it fits
            item = self.scene.nodes[node_id]
            rect = self.scene.expanded[node_id].panel_rect().united(item.sceneBoundingRect())
            self.view.ensureVisible(rect, 30, 30)

    def _on_scene_node_activated(self, node_id: str) -> None:
        if operations.is_instance(self.document, node_id):
            self.open_module_requested.emit(node_id)

    def _on_view_modules_dropped(self, modules: list, pos: QPointF) -> None:
        self.add_modules(modules, pos)
        self.view.setFocus()

    def apply_fix(self, diagnostic: Diagnostic) -> None:
        if operations.apply_fix(self.session, diagnostic.fix):
            self.message.emit(f"Fixed: {diagnostic.fix.label}", 4000)

    # ------------------------------------------------------------------ menus
    def _on_view_node_type_dropped(self, type_id: str, pos: QPointF) -> None:
        self.add_node(type_id, pos)
        self.view.setFocus()

    def context_menu(self, scene_pos: QPointF) -> QMenu:
        """The canvas menu for what is under ``scene_pos``: a node (selected first), an edge, or nothing."""
        for item in self.scene.items(scene_pos):
            node = item if isinstance(item, NodeItem) else item.node if isinstance(item, PortItem) else None
            if isinstance(node, NodeItem):
                if not node.isSelected():
                    self.select([node.node_id])
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
        selected = self.selected_node_ids()
        menu = menus.after_node_menu(self, selected[0], scene_pos.x()) if len(selected) == 1 else None
        self._show_menu(menu or menus.add_here_menu(self, scene_pos), view.viewport().mapToGlobal(local))

    def _on_view_context_menu_requested(self, scene_pos: QPointF, global_pos: QPoint) -> None:
        self._show_menu(self.context_menu(scene_pos), global_pos)

    def _on_scene_connection_dropped(self, node_id: str, port: str, port_is_input: bool, scene_pos: QPointF) -> None:
        menu = menus.quick_add_menu(self, node_id, port, port_is_input, scene_pos)
        self._show_menu(menu, self.view.viewport().mapToGlobal(self.view.mapFromScene(scene_pos)))

    def _show_menu(self, menu: QMenu, global_pos: QPoint) -> None:
        self.popup_menu(menu, global_pos)
        menu.deleteLater()

    def popup_menu(self, menu: QMenu, global_pos: QPoint) -> None:
        """Run a context menu until it closes (tests stand in for the user here)."""
        menu.exec(global_pos)
