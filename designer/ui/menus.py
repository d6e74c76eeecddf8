"""Context menus of the canvas.

Right-click on empty canvas adds a node there; on a node, it offers to add one after it and
the edit actions; on an edge, to insert a node on it or delete it. Letting go of a dragged
connection on empty canvas offers the node types that fit its loose end (quick-add). Every
list of node types is one searchable menu: type to filter, Enter takes the first match.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QTimer
from PySide6.QtWidgets import QLabel, QLineEdit, QMenu, QVBoxLayout, QWidget, QWidgetAction

from ..graph import registry
from . import icons, operations

if TYPE_CHECKING:
    from .editor import DesignEditor


def node_type_menu(
    parent: QWidget,
    title: str,
    types: dict[str, list[registry.NodeType]],
    pick: Callable[[str], object],
) -> QMenu:
    """A title, a search field and ``types`` under their palette categories; choosing one
    calls ``pick(type_id)``. Typing filters the list and selects the first match, so Enter
    (passed on by the line edit to the menu) takes it."""
    menu = QMenu(title, parent)
    menu.setObjectName("nodeTypeMenu")
    head = QWidget()
    layout = QVBoxLayout(head)
    layout.setContentsMargins(8, 4, 8, 4)
    label = QLabel(title)
    label.setObjectName("menuTitle")
    search = QLineEdit()
    search.setObjectName("menuSearch")
    search.setPlaceholderText("Search…")
    search.setClearButtonEnabled(True)
    layout.addWidget(label)
    layout.addWidget(search)
    head_action = QWidgetAction(menu)
    head_action.setDefaultWidget(head)
    menu.addAction(head_action)
    groups: list[tuple[QWidgetAction, list]] = []
    for category, category_types in types.items():
        heading = QWidgetAction(menu)
        section = QLabel(category.upper())
        section.setObjectName("menuSection")
        heading.setDefaultWidget(section)
        heading.setEnabled(False)
        menu.addAction(heading)
        entries = []
        for ntype in category_types:
            action = menu.addAction(icons.category_icon(category), ntype.display_name)
            action.setData(ntype.type_id)
            action.setToolTip(ntype.description)
            action.triggered.connect(partial(pick, ntype.type_id))
            entries.append((f"{ntype.display_name} {ntype.type_id} {category}".lower(), action))
        groups.append((heading, entries))

    def on_search_text_changed(text: str) -> None:
        words = text.lower().split()
        for heading, entries in groups:
            shown = 0
            for key, action in entries:
                action.setVisible(all(w in key for w in words))
                shown += action.isVisible()
            heading.setVisible(shown > 0)
        menu.setActiveAction(next((a for _, entries in groups for _, a in entries if a.isVisible()), None))

    search.textChanged.connect(on_search_text_changed)
    menu.aboutToShow.connect(lambda: QTimer.singleShot(0, search, search.setFocus))
    menu.search = search  # type: ignore[attr-defined]  (tests type into it)
    return menu


def quick_add_menu(
    editor: DesignEditor, node_id: str, port: str, port_is_input: bool, scene_pos: QPointF, parent: QWidget | None = None
) -> QMenu:
    """For a connection let go on empty canvas: the node types that fit its loose end."""
    origin = editor.document.nodes[node_id].name
    return node_type_menu(
        parent or editor.view,
        f"Add a node {'feeding' if port_is_input else 'after'} {origin}",
        operations.quick_add_types(port_is_input),
        lambda type_id: editor.add_connected(type_id, scene_pos, node_id, port, port_is_input),
    )


def add_here_menu(editor: DesignEditor, scene_pos: QPointF, parent: QWidget | None = None) -> QMenu:
    """Every node type; the one chosen is added at ``scene_pos``."""
    return node_type_menu(
        parent or editor.view, "Add a node here", registry.categories(), lambda t: editor.add_node(t, scene_pos)
    )


def canvas_menu(editor: DesignEditor, scene_pos: QPointF) -> QMenu:
    """Right-click on empty canvas: add any node there; paste, select all, fit, auto-layout."""
    menu = QMenu(editor.view)
    add = add_here_menu(editor, scene_pos, parent=menu)
    add.setTitle("Add Node Here")
    menu.addMenu(add)
    menu.addSeparator()
    menu.addActions([editor.paste_action, editor.select_all_action, editor.fit_action, editor.layout_action])
    return menu


def after_node_menu(editor: DesignEditor, node_id: str, x: float, parent: QWidget | None = None) -> QMenu | None:
    """The node types that can follow ``node_id``; the one chosen goes below it at ``x``,
    connected from its first output. None for a node without outputs."""
    node = editor.document.nodes[node_id]
    if not node.type.outputs:
        return None
    below = QPointF(x, editor.scene.nodes[node_id].sceneBoundingRect().bottom() + 60)
    menu = quick_add_menu(editor, node_id, node.type.outputs[0].name, False, below, parent=parent)
    menu.setTitle(f"Add After {node.name}")
    return menu


def node_menu(editor: DesignEditor, node_id: str, scene_pos: QPointF) -> QMenu:
    """Right-click on a node (selected first): add a node after it; cut, copy, duplicate, delete."""
    menu = QMenu(editor.view)
    after = after_node_menu(editor, node_id, scene_pos.x(), parent=menu)
    if after is not None:
        menu.addMenu(after)
        menu.addSeparator()
    e = editor
    menu.addActions([e.cut_action, e.copy_action, e.duplicate_action, e.delete_action])
    return menu


def edge_menu(editor: DesignEditor, edge_id: str) -> QMenu:
    """Right-click on an edge: insert a node on it (BatchNorm, an activation, a pool ...), or delete it."""
    doc = editor.document
    edge = doc.edges[edge_id]
    menu = QMenu(editor.view)
    insert = node_type_menu(
        menu,
        f"Insert between {doc.nodes[edge.src].name} and {doc.nodes[edge.dst].name}",
        operations.insertable_types(),
        lambda type_id: editor.insert_on_edge(type_id, edge_id),
    )
    insert.setTitle("Insert Node")
    menu.addMenu(insert)
    menu.addSeparator()
    menu.addAction("Delete Connection", partial(editor.delete_edges, [edge_id]))
    return menu
