"""Context menus of the canvas.

Right-click on empty canvas adds a node there; on a node, it offers to add one after it and
the edit actions; on an edge, to insert a node on it or delete it. Letting go of a dragged
connection on empty canvas offers the node types that fit its loose end (quick-add). Every
list of node types is one searchable popup at the mouse (a context menu's entry opens it where
the menu was asked for): type to filter, Enter takes the first match.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QPointF
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QMenu, QWidget

from ..graph import registry
from . import operations
from .type_popup import POPUP_MAX_HEIGHT, NodeTypePopup

if TYPE_CHECKING:
    from .editor import DesignEditor

__all__ = ["POPUP_MAX_HEIGHT", "NodeTypePopup", "node_type_menu"]
_NodeTypePopup = NodeTypePopup  # (the name it had here)


def node_type_menu(
    parent: QWidget,
    title: str,
    types: dict[str, list[registry.NodeType]],
    pick: Callable[[str], object],
) -> _NodeTypePopup:
    """A popup with a title, a search field and ``types`` under their palette categories;
    choosing one calls ``pick(type_id)``. Typing filters the list and selects the first match,
    so Enter takes it. Shown like a menu: ``exec(global_pos)`` runs it until it closes."""
    return _NodeTypePopup(parent, title, types, pick)


def _popup_action(menu: QMenu, editor: DesignEditor, text: str, global_pos: QPoint, make: Callable[[], QWidget]):
    """An entry of a context menu that opens a node-type popup at ``global_pos`` (where the
    menu was asked for), once the menu has closed, as any action opens its dialog."""
    action = menu.addAction(text)
    action.triggered.connect(lambda: editor._show_menu(make(), global_pos))
    return action


def _global_pos(editor: DesignEditor, scene_pos: QPointF) -> QPoint:
    return editor.view.viewport().mapToGlobal(editor.view.mapFromScene(scene_pos))


def quick_add_menu(
    editor: DesignEditor,
    node_id: str,
    port: str,
    port_is_input: bool,
    scene_pos: QPointF,
    parent: QWidget | None = None,
) -> _NodeTypePopup:
    """For a connection let go on empty canvas: the node types that fit its loose end."""
    origin = editor.document.nodes[node_id].name
    return node_type_menu(
        parent or editor.view,
        f"Add a node {'feeding' if port_is_input else 'after'} {origin}",
        operations.quick_add_types(port_is_input, editor.document, editor.editing_definition),
        lambda type_id: editor.add_connected(type_id, scene_pos, node_id, port, port_is_input),
    )


def add_here_menu(editor: DesignEditor, scene_pos: QPointF, parent: QWidget | None = None) -> _NodeTypePopup:
    """Every node type; the one chosen is added at ``scene_pos``."""
    types = operations.node_types(editor.document, editor.editing_definition)
    return node_type_menu(parent or editor.view, "Add a node here", types, lambda t: editor.add_node(t, scene_pos))


def canvas_menu(editor: DesignEditor, scene_pos: QPointF) -> QMenu:
    """Right-click on empty canvas: add any node there; paste, select all, fit, auto-layout."""
    menu = QMenu(editor.view)
    _popup_action(
        menu, editor, "Add Node Here…", _global_pos(editor, scene_pos), lambda: add_here_menu(editor, scene_pos)
    )
    menu.addSeparator()
    menu.addActions([editor.paste_action, editor.select_all_action, editor.fit_action, editor.layout_action])
    return menu


def after_node_menu(
    editor: DesignEditor, node_id: str, x: float, parent: QWidget | None = None
) -> _NodeTypePopup | None:
    """The node types that can follow ``node_id``; the one chosen goes below it at ``x``,
    connected from its first output. None for a node without outputs."""
    node = editor.document.nodes[node_id]
    if not node.type.outputs:
        return None
    below = QPointF(x, editor.scene.nodes[node_id].sceneBoundingRect().bottom() + 60)
    return quick_add_menu(editor, node_id, node.type.outputs[0].name, False, below, parent=parent)


def node_menu(editor: DesignEditor, node_id: str, scene_pos: QPointF) -> QMenu:
    """Right-click on a node (selected first): add a node after it; an instance's Edit Module…;
    Make Module (the selection) and Ungroup (an instance); cut, copy, duplicate, delete."""
    menu = QMenu(editor.view)
    node = editor.document.nodes[node_id]
    if node.type.outputs:
        where = _global_pos(editor, scene_pos)
        _popup_action(
            menu, editor, f"Add After {node.name}…", where, lambda: after_node_menu(editor, node_id, scene_pos.x())
        )
        menu.addSeparator()
    e = editor
    if operations.is_instance(editor.document, node_id):
        edit = menu.addAction("Edit Module…", partial(editor.open_module, node_id))
        edit.setObjectName("editModule")
        edit.setStatusTip(f"Open the definition of {node.type.display_name} (its nodes, ports, exposed parameters)")
        expanded = node_id in editor.scene.expanded
        expand = menu.addAction("Collapse" if expanded else "Expand in Place", partial(editor.toggle_expanded, node_id))
        expand.setObjectName("expandInPlace")
    menu.addActions([e.make_module_action, e.ungroup_action])
    menu.addSeparator()
    menu.addActions([e.cut_action, e.copy_action, e.duplicate_action, e.delete_action])
    return menu


def edge_menu(editor: DesignEditor, edge_id: str) -> QMenu:
    """Right-click on an edge: insert a node on it (BatchNorm, an activation, a pool ...), or delete it."""
    doc = editor.document
    edge = doc.edges[edge_id]
    menu = QMenu(editor.view)
    title = f"Insert between {doc.nodes[edge.src].name} and {doc.nodes[edge.dst].name}"

    def insert() -> _NodeTypePopup:
        return node_type_menu(
            editor.view,
            title,
            operations.insertable_types(doc, editor.editing_definition),
            lambda type_id: editor.insert_on_edge(type_id, edge_id),
        )

    _popup_action(menu, editor, "Insert Node…", QCursor.pos(), insert)  # at the right-click
    menu.addSeparator()
    menu.addAction("Delete Connection", partial(editor.delete_edges, [edge_id]))
    return menu
