"""Palette: every node type by category, with search; drag onto the canvas or double-click.

Above the built-in types, "Modules" lists the design's own module definitions (an entry adds
an instance, type id ``module:<id>``); below them, sections of library modules from elsewhere
(:meth:`PaletteDock.set_extra_modules`: the user's folder, the shipped blocks), whose entries
add the definition (with those it uses) and an instance in one undo step. The Module
input/output nodes are listed only while a definition is being edited
(:meth:`PaletteDock.set_show_ports`).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QColor, QDrag
from PySide6.QtWidgets import QDockWidget, QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from ..graph.document import MODULE_PREFIX, DocEvent, DocumentReset, ModuleChanged
from ..graph.modules import module_id_of
from . import icons, operations
from .canvas.module_face import MODULES, glyph_icon
from .canvas.view import MODULES_MIME, PALETTE_MIME
from .session import Session
from .theme import Theme

TYPE_ROLE = Qt.ItemDataRole.UserRole + 1  # a node type's id (built-in or module:<id>)
EXTRA_ROLE = Qt.ItemDataRole.UserRole + 2  # a library module's key in PaletteDock.extra_data
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 3  # what typing matches against
_HINT = "<i>drag onto the canvas or double-click</i>"


def _closure(modules: list[dict[str, Any]], first: dict[str, Any]) -> list[dict[str, Any]]:
    """``first`` and the definitions of ``modules`` it uses (directly or not), ``first`` first."""
    by_id = {m["id"]: m for m in modules}
    need, todo = [first["id"]], [first]
    while todo:
        for n in todo.pop().get("nodes", []):
            mid = module_id_of(str(n.get("type", "")))
            if mid in by_id and mid not in need:
                need.append(mid)
                todo.append(by_id[mid])
    return [by_id[mid] for mid in need]


class _PaletteTreeWidget(QTreeWidget):
    def __init__(self, dock: PaletteDock):
        super().__init__(dock)
        self.dock = dock
        self.setHeaderHidden(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QTreeWidget.DragDropMode.DragOnly)
        self.setIndentation(10)
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)

    def startDrag(self, supported_actions) -> None:
        item = self.currentItem()
        mime = self.dock.mime_for(item) if item is not None else None
        if mime is None:
            return
        drag = QDrag(self)
        drag.setMimeData(mime)
        drag.setPixmap(item.icon(0).pixmap(28, 28))
        drag.exec(Qt.DropAction.CopyAction)


class PaletteDock(QDockWidget):
    #: Double-click (or Enter) on a node type: add it at the view's centre.
    add_requested = Signal(str)
    #: Double-click (or Enter) on a library module: add its definitions and an instance.
    add_modules_requested = Signal(list)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Palette", parent)
        self.setObjectName("PaletteDock")
        self.session: Session | None = None
        self.show_ports = False
        self.theme: Theme | None = None
        self._extra: list[tuple[str, list[dict[str, Any]]]] = []
        #: Library modules by entry key: the data dropped (the entry's definition first).
        self.extra_data: dict[str, list[dict[str, Any]]] = {}
        self._modules_key: tuple[Any, ...] = ()
        self._attached: Any = None
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.setSpacing(6)
        self.search = QLineEdit()
        self.search.setObjectName("searchField")
        self.search.setPlaceholderText("Search nodes…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._on_search_text_changed)
        self.search.returnPressed.connect(self._on_search_return_pressed)
        self.tree = _PaletteTreeWidget(self)
        self.tree.itemActivated.connect(self._on_tree_item_activated)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.setWidget(body)
        self._populate()
        if hasattr(parent, "editor"):
            self.attach(parent)

    # ----------------------------------------------------------------- wiring
    def attach(self, window: Any) -> None:
        """Follow a main window: its design's library (``editor.session_replaced``), its
        definition tabs (``tabs.current_changed``: ports listed in a definition's tab) and
        its current editor (library modules added by double-click). Once per window."""
        if self._attached is window:
            return
        self._attached = window
        window.editor.session_replaced.connect(self.set_session)
        if window.editor.session is not None:
            self.set_session(window.editor.session)
        tabs = getattr(window, "tabs", None)
        if tabs is not None and hasattr(tabs, "current_changed"):
            tabs.current_changed.connect(lambda: self.set_show_ports(tabs.current() is not None))
        self.add_modules_requested.connect(
            lambda modules: getattr(window, "current_editor", window.editor).add_modules(modules)
        )

    def set_session(self, session: Session) -> None:
        """List ``session``'s module definitions (and follow their changes)."""
        if self.session is not None:
            with contextlib.suppress(RuntimeError, TypeError):  # (the old session may be gone)
                self.session.changed.disconnect(self._on_session_changed)
        self.session = session
        session.changed.connect(self._on_session_changed)
        self._populate()

    def set_show_ports(self, show: bool) -> None:
        """List the Module input/output nodes (while a definition's body is edited)."""
        if show != self.show_ports:
            self.show_ports = show
            self._populate()

    def set_extra_modules(self, items: list[tuple[str, list[dict[str, Any]]]]) -> None:
        """Sections of library modules: (title, definitions as data, as ``ModuleLibrary.closure_data``
        gives them). Each definition is an entry; dropping it adds it with those it uses."""
        self._extra = [(str(title), list(modules)) for title, modules in items]
        self._populate()

    def set_theme(self, theme: Theme) -> None:
        """Category headings in the theme's secondary text colour (readable on both themes)."""
        self.theme = theme
        for head in self._heads:
            head.setForeground(0, QColor(theme.subtext))

    def _on_session_changed(self, event: DocEvent) -> None:
        if isinstance(event, (ModuleChanged, DocumentReset)) and self._library_key() != self._modules_key:
            self._populate()

    # ---------------------------------------------------------------- building
    def _library_key(self) -> tuple[Any, ...]:
        doc = self.session.doc if self.session is not None else None
        if doc is None or not doc.has_library:
            return ()
        return tuple((d.id, d.name, d.description) for d in doc.library.defs.values())

    def _head(self, title: str) -> QTreeWidgetItem:
        head = QTreeWidgetItem([title.upper()])
        head.setFlags(Qt.ItemFlag.ItemIsEnabled)
        font = head.font(0)
        font.setPointSizeF(max(font.pointSizeF() - 1.5, 7))
        font.setBold(True)
        head.setFont(0, font)
        if self.theme is not None:
            head.setForeground(0, QColor(self.theme.subtext))
        self.tree.addTopLevelItem(head)
        self._heads.append(head)
        return head

    def _entry(self, head: QTreeWidgetItem, name: str, icon, tip: str, search: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem([name])
        item.setIcon(0, icon)
        item.setToolTip(0, tip)
        item.setData(0, SEARCH_ROLE, search.lower())
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
        head.addChild(item)
        return item

    def _populate(self) -> None:
        self.tree.clear()
        self._heads: list[QTreeWidgetItem] = []
        self.extra_data = {}
        self._modules_key = self._library_key()
        doc = self.session.doc if self.session is not None else None
        for category, types in operations.node_types(doc, self.show_ports).items():
            head = self._head(category)
            icon = glyph_icon() if category == MODULES else icons.category_icon(category)
            for t in types:
                item = self._entry(
                    head,
                    t.display_name,
                    icon,
                    f"<b>{t.display_name}</b><br>{t.description}<br>{_HINT}",
                    f"{t.display_name} {t.type_id} {category} {t.description}",
                )
                item.setData(0, TYPE_ROLE, t.type_id)
            head.setExpanded(True)
        for s, (title, modules) in enumerate(self._extra):
            head = self._head(title)
            for m in modules:
                key = f"{s}/{m['id']}"
                self.extra_data[key] = _closure(modules, m)
                desc = str(m.get("description", "")) or f"Module {m['name']}"
                tip = f"<b>{m['name']}</b> · {title}<br>{desc}<br>{_HINT}"
                item = self._entry(head, str(m["name"]), glyph_icon(), tip, f"{m['name']} {title} module {desc}")
                item.setData(0, EXTRA_ROLE, key)
            head.setExpanded(True)
        self._on_search_text_changed(self.search.text())

    # ---------------------------------------------------------------- queries
    def _entries(self, visible_only: bool = True) -> list[QTreeWidgetItem]:
        out = []
        for i in range(self.tree.topLevelItemCount()):
            head = self.tree.topLevelItem(i)
            for j in range(head.childCount()):
                child = head.child(j)
                if not (visible_only and child.isHidden()):
                    out.append(child)
        return out

    def type_ids(self) -> list[str]:
        """Visible node types (module instances as ``module:<id>``), in palette order."""
        return [t for item in self._entries() if (t := item.data(0, TYPE_ROLE))]

    def sections(self) -> list[str]:
        """The headings shown, in order."""
        heads = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        return [head.text(0) for head in heads if not head.isHidden()]

    def module_items(self) -> list[QTreeWidgetItem]:
        """The visible entries that add a module instance (the design's and library ones)."""
        return [
            item
            for item in self._entries()
            if item.data(0, EXTRA_ROLE) or str(item.data(0, TYPE_ROLE) or "").startswith(MODULE_PREFIX)
        ]

    def mime_for(self, item: QTreeWidgetItem) -> QMimeData | None:
        """What dragging ``item`` carries: a node type id, or library modules as JSON."""
        mime = QMimeData()
        type_id, key = item.data(0, TYPE_ROLE), item.data(0, EXTRA_ROLE)
        if type_id:
            mime.setData(PALETTE_MIME, str(type_id).encode())
        elif key in self.extra_data:
            mime.setData(MODULES_MIME, json.dumps(self.extra_data[key]).encode())
        else:
            return None
        return mime

    def _item(self, type_id: str) -> QTreeWidgetItem | None:
        return next((item for item in self._entries(False) if item.data(0, TYPE_ROLE) == type_id), None)

    # ---------------------------------------------------------------- actions
    def _on_search_text_changed(self, text: str) -> None:
        words = text.lower().split()
        for i in range(self.tree.topLevelItemCount()):
            head = self.tree.topLevelItem(i)
            shown = 0
            for j in range(head.childCount()):
                child = head.child(j)
                ok = all(w in (child.data(0, SEARCH_ROLE) or "") for w in words)
                child.setHidden(not ok)
                shown += ok
            head.setHidden(shown == 0)
        first = self._entries()
        if words and first:
            self.tree.setCurrentItem(first[0])

    def _on_search_return_pressed(self) -> None:
        shown = self._entries()
        if self.search.text() and shown:
            self._activate(shown[0])

    def _on_tree_item_activated(self, item: QTreeWidgetItem, column: int) -> None:
        self._activate(item)

    def _activate(self, item: QTreeWidgetItem) -> None:
        type_id, key = item.data(0, TYPE_ROLE), item.data(0, EXTRA_ROLE)
        if type_id:
            self.add_requested.emit(type_id)
        elif key in self.extra_data:
            self.add_modules_requested.emit(self.extra_data[key])
