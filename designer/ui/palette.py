"""Palette: every node type by category, with search; drag onto the canvas or double-click."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QColor, QDrag
from PySide6.QtWidgets import QDockWidget, QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from ..graph import registry
from . import icons
from .canvas.view import PALETTE_MIME
from .theme import Theme

TYPE_ROLE = Qt.ItemDataRole.UserRole + 1


class _PaletteTreeWidget(QTreeWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QTreeWidget.DragDropMode.DragOnly)
        self.setIndentation(10)
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)

    def startDrag(self, supported_actions) -> None:
        item = self.currentItem()
        type_id = item.data(0, TYPE_ROLE) if item is not None else None
        if not type_id:
            return
        mime = QMimeData()
        mime.setData(PALETTE_MIME, type_id.encode())
        drag = QDrag(self)
        drag.setMimeData(mime)
        drag.setPixmap(item.icon(0).pixmap(28, 28))
        drag.exec(Qt.DropAction.CopyAction)


class PaletteDock(QDockWidget):
    #: Double-click (or Enter) on a node type: add it at the view's centre.
    add_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Palette", parent)
        self.setObjectName("PaletteDock")
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
        self.tree = _PaletteTreeWidget()
        self.tree.itemActivated.connect(self._on_tree_item_activated)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.setWidget(body)
        self._populate()

    def set_theme(self, theme: Theme) -> None:
        """Category headings in the theme's secondary text colour (readable on both themes)."""
        for head in self._heads:
            head.setForeground(0, QColor(theme.subtext))

    def _populate(self) -> None:
        self._heads: list[QTreeWidgetItem] = []
        for category, types in registry.categories().items():
            head = QTreeWidgetItem([category.upper()])
            head.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = head.font(0)
            font.setPointSizeF(max(font.pointSizeF() - 1.5, 7))
            font.setBold(True)
            head.setFont(0, font)
            self.tree.addTopLevelItem(head)
            self._heads.append(head)
            for t in types:
                item = QTreeWidgetItem([t.display_name])
                item.setIcon(0, icons.category_icon(category))
                item.setData(0, TYPE_ROLE, t.type_id)
                item.setToolTip(
                    0, f"<b>{t.display_name}</b><br>{t.description}<br><i>drag onto the canvas or double-click</i>"
                )
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
                head.addChild(item)
            head.setExpanded(True)

    def type_ids(self) -> list[str]:
        """Visible node types, in palette order."""
        out = []
        for i in range(self.tree.topLevelItemCount()):
            head = self.tree.topLevelItem(i)
            for j in range(head.childCount()):
                child = head.child(j)
                if not child.isHidden():
                    out.append(child.data(0, TYPE_ROLE))
        return out

    def _on_search_text_changed(self, text: str) -> None:
        words = text.lower().split()
        for i in range(self.tree.topLevelItemCount()):
            head = self.tree.topLevelItem(i)
            shown = 0
            for j in range(head.childCount()):
                child = head.child(j)
                t = registry.get(child.data(0, TYPE_ROLE))
                hay = f"{t.display_name} {t.type_id} {t.category} {t.description}".lower()
                ok = all(w in hay for w in words)
                child.setHidden(not ok)
                shown += ok
            head.setHidden(shown == 0)
        first = self.type_ids()
        if words and first:
            self.tree.setCurrentItem(self._item(first[0]))

    def _item(self, type_id: str) -> QTreeWidgetItem | None:
        for i in range(self.tree.topLevelItemCount()):
            head = self.tree.topLevelItem(i)
            for j in range(head.childCount()):
                if head.child(j).data(0, TYPE_ROLE) == type_id:
                    return head.child(j)
        return None

    def _on_search_return_pressed(self) -> None:
        ids = self.type_ids()
        if self.search.text() and ids:
            self.add_requested.emit(ids[0])

    def _on_tree_item_activated(self, item: QTreeWidgetItem, column: int) -> None:
        type_id = item.data(0, TYPE_ROLE)
        if type_id:
            self.add_requested.emit(type_id)
