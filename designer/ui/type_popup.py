"""The searchable popup of node types that every "add a node" gesture opens (context menus,
quick-add, Shift+A): a title, a search field and the types under their palette categories."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QEventLoop, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QCursor, QFont, QFontMetrics, QGuiApplication, QIcon
from PySide6.QtWidgets import QFrame, QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from ..graph import registry
from . import icons
from .canvas import module_face

__all__ = ["POPUP_MAX_HEIGHT", "NodeTypePopup"]


def _category_icon(category: str) -> QIcon:
    return module_face.glyph_icon() if category == module_face.MODULES else icons.category_icon(category)


#: The node-type popup's height at most (px): the list scrolls inside it, as in Blender's and
#: Unreal's node search. Below that, it is as tall as its rows.
POPUP_MAX_HEIGHT = 420
_POPUP_MIN_WIDTH, _POPUP_MAX_WIDTH = 240, 380
_TYPE_ROLE = Qt.ItemDataRole.UserRole  # an entry's type id (headings have none)
_KEY_ROLE = Qt.ItemDataRole.UserRole + 1  # what typing matches against


class NodeTypePopup(QFrame):
    """The searchable list of node types: a title, a search field and the entries under their
    category headings, in one popup window (``Qt.Popup``: a click outside closes it).

    Typing filters the list (headings only for categories with matches) and selects the first
    match; Up/Down move through the matches, Enter takes the selected one, a click takes the
    clicked one, Escape closes. The popup opens with a corner at the given point: below it
    when it fits, else flipped above it (then the search field is at the bottom, next to the
    mouse), at most POPUP_MAX_HEIGHT tall; filtering shrinks it towards that point. ``exec``
    runs until it closes, as ``QMenu.exec`` does, and returns the chosen type id (or None).
    """

    def __init__(
        self,
        parent: QWidget | None,
        title: str,
        types: dict[str, list[registry.NodeType]],
        pick: Callable[[str], object],
    ):
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("nodeTypeMenu")
        self.setWindowTitle(title)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._pick = pick
        self._chosen: str | None = None
        self._loop: QEventLoop | None = None
        self._anchor: QPoint | None = None
        self._above = False
        self._title = QLabel(title)
        self._title.setObjectName("menuTitle")
        self.search = QLineEdit()
        self.search.setObjectName("menuSearch")
        self.search.setPlaceholderText("Search…")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget()
        self.list.setObjectName("menuList")
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keyboard stays in the search field
        self.list.setMouseTracking(True)  # the entry under the mouse is selected, as in a menu
        self.list.setUniformItemSizes(False)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.list.setIconSize(QSize(16, 16))
        heading_font = QFont(self.list.font())
        heading_font.setBold(True)
        if heading_font.pointSizeF() > 0:
            heading_font.setPointSizeF(max(6.0, heading_font.pointSizeF() * 0.8))
        # Fixed row heights: the popup's size is known before it is shown (and never guessed).
        entry_size = QSize(0, max(QFontMetrics(self.list.font()).height(), 16) + 9)
        heading_size = QSize(0, QFontMetrics(heading_font).height() + 9)
        self._headings: list[tuple[QListWidgetItem, list[QListWidgetItem]]] = []
        for category, category_types in types.items():
            icon = _category_icon(category)
            icon.addPixmap(icon.pixmap(QSize(18, 18), 2.0), QIcon.Mode.Selected)  # not tinted when selected
            heading = QListWidgetItem(category.upper())
            heading.setFlags(Qt.ItemFlag.NoItemFlags)  # not selectable: drawn in the disabled (sub)text colour
            heading.setFont(heading_font)
            heading.setSizeHint(heading_size)
            heading.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom)
            self.list.addItem(heading)
            entries = []
            for ntype in category_types:
                entry = QListWidgetItem(icon, ntype.display_name)
                entry.setData(_TYPE_ROLE, ntype.type_id)
                entry.setData(_KEY_ROLE, f"{ntype.display_name} {ntype.type_id} {category}".lower())
                entry.setToolTip(ntype.description)
                entry.setSizeHint(entry_size)
                self.list.addItem(entry)
                entries.append(entry)
            self._headings.append((heading, entries))
        self._empty = QListWidgetItem("No node type matches")
        self._empty.setFlags(Qt.ItemFlag.NoItemFlags)
        self._empty.setSizeHint(entry_size)
        self.list.addItem(self._empty)
        self._empty.setHidden(True)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(6, 6, 6, 6)
        self._layout.setSpacing(4)
        self._arrange(above=False)
        self.search.textChanged.connect(self._filter)
        self.search.installEventFilter(self)
        self.list.itemClicked.connect(self._take)
        self.list.itemEntered.connect(lambda item: self._select(item) if item.data(_TYPE_ROLE) else None)
        self._filter("")

    # ------------------------------------------------------------ what it offers
    def entries(self, visible_only: bool = False) -> list[QListWidgetItem]:
        return [e for _, entries in self._headings for e in entries if not (visible_only and e.isHidden())]

    def type_ids(self, visible_only: bool = False) -> list[str]:
        """The offered node types, in order (only the matches of the search with ``visible_only``)."""
        return [e.data(_TYPE_ROLE) for e in self.entries(visible_only)]

    def entry(self, type_id: str) -> QListWidgetItem:
        return next(e for e in self.entries() if e.data(_TYPE_ROLE) == type_id)

    def sections(self) -> list[str]:
        """The category headings shown."""
        return [h.text() for h, _ in self._headings if not h.isHidden()]

    def current_type_id(self) -> str | None:
        item = self.list.currentItem()
        return item.data(_TYPE_ROLE) if item is not None and not item.isHidden() else None

    # -------------------------------------------------------------------- showing
    def popup(self, global_pos: QPoint) -> None:
        """Show it with a corner at ``global_pos`` (and the keyboard in the search field)."""
        self._anchor = QPoint(global_pos)
        self._chosen = None
        self._place()
        self.search.setFocus(Qt.FocusReason.PopupFocusReason)
        self.show()
        self.raise_()
        self.search.setFocus(Qt.FocusReason.PopupFocusReason)
        self.list.scrollToTop()

    def exec(self, global_pos: QPoint | None = None) -> str | None:
        """Show it at ``global_pos`` (the mouse by default) until it closes; the type id chosen."""
        self.popup(global_pos if global_pos is not None else QCursor.pos())
        if self.isVisible():
            self._loop = QEventLoop(self)
            self._loop.exec()
            self._loop = None
        return self._chosen

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        if self._loop is not None:
            self._loop.exit()

    def _arrange(self, above: bool) -> None:
        """Title, search, list; or, flipped above the mouse, the search field last (next to it)."""
        self._above = above
        order = [self._title, self.list, self.search] if above else [self._title, self.search, self.list]
        for widget in order:
            self._layout.removeWidget(widget)
        for widget in order:
            self._layout.addWidget(widget)

    def _list_height(self) -> int:
        rows = [r for r in range(self.list.count()) if not self.list.item(r).isHidden()]
        return sum(max(self.list.sizeHintForRow(r), 1) for r in rows) + 2 * self.list.frameWidth() + 2

    def _width(self) -> int:
        fm = self.list.fontMetrics()
        longest = max((fm.horizontalAdvance(e.text()) for e in self.entries()), default=0)
        entries = longest + self.list.iconSize().width() + 48 + self.list.verticalScrollBar().sizeHint().width()
        title = self._title.fontMetrics().horizontalAdvance(self._title.text()) + 24
        return max(_POPUP_MIN_WIDTH, min(_POPUP_MAX_WIDTH, max(entries, title)))

    def _place(self) -> None:
        """Size it to its visible rows (at most POPUP_MAX_HEIGHT) and put a corner at the anchor:
        below and right of it when that fits, else flipped above (and/or left)."""
        anchor = self._anchor if self._anchor is not None else QCursor.pos()
        self.ensurePolished()
        self.list.ensurePolished()
        screen = QGuiApplication.screenAt(anchor) or (self.screen() or QGuiApplication.primaryScreen())
        area = screen.availableGeometry()
        m = self._layout.contentsMargins()
        chrome = (
            m.top()
            + m.bottom()
            + 2 * self._layout.spacing()
            + self._title.sizeHint().height()
            + self.search.sizeHint().height()
            + 2 * self.frameWidth()
        )
        want = min(POPUP_MAX_HEIGHT, chrome + self._list_height())
        below, above = area.bottom() + 1 - anchor.y(), anchor.y() - area.top()
        if self._anchor is not None and self.isVisible():
            flip = self._above  # shrinking while typing: keep the side it opened on
        else:
            flip = want > below and (want <= above or above > below)
        room = above if flip else below
        height = max(min(want, room), min(want, chrome + 60))
        self.list.setFixedHeight(max(height - chrome, 0))
        if flip != self._above:
            self._arrange(flip)
        self._layout.activate()  # the window's minimum size follows now, not after the next event loop turn
        width = self._width()
        x = anchor.x() if anchor.x() + width <= area.right() + 1 else anchor.x() - width
        x = max(area.left(), min(x, area.right() + 1 - width))
        y = anchor.y() - height if flip else anchor.y()
        y = max(area.top(), min(y, area.bottom() + 1 - height))
        self.setGeometry(QRect(x, y, width, height))

    # ------------------------------------------------------------------ filtering
    def _filter(self, text: str) -> None:
        words = text.lower().split()
        first = None
        for heading, entries in self._headings:
            shown = 0
            for entry in entries:
                match = all(w in entry.data(_KEY_ROLE) for w in words)
                entry.setHidden(not match)
                shown += match
                if match and first is None:
                    first = entry
            heading.setHidden(shown == 0)
        self._empty.setHidden(first is not None)
        self._select(first)
        if self.isVisible():
            self._place()
        self.list.scrollToTop()  # the first match and its heading

    def _select(self, item: QListWidgetItem | None, scroll: bool = False) -> None:
        if item is None:
            self.list.setCurrentItem(None)
            self.list.clearSelection()
            return
        self.list.setCurrentItem(item)
        if scroll:
            self.list.scrollToItem(item)

    def _step(self, by: int) -> None:
        shown = self.entries(visible_only=True)
        if not shown:
            return
        current = self.list.currentItem()
        i = shown.index(current) if current in shown else (-1 if by > 0 else len(shown))
        self._select(shown[max(0, min(len(shown) - 1, i + by))], scroll=True)

    # ------------------------------------------------------------------ choosing
    def _take(self, item: QListWidgetItem | None) -> None:
        if item is None or item.isHidden() or item.data(_TYPE_ROLE) is None:
            return
        self._chosen = item.data(_TYPE_ROLE)
        self.close()
        self._pick(self._chosen)

    def keyPressEvent(self, event) -> None:  # (the search field has the keyboard; in case it has not)
        if event.key() == Qt.Key.Key_Escape:
            self.close()
        else:
            super().keyPressEvent(event)

    def eventFilter(self, watched, event) -> bool:
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            steps = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1, Qt.Key.Key_PageDown: 8, Qt.Key.Key_PageUp: -8}
            if key in steps:
                self._step(steps[key])
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                current = self.list.currentItem()
                self._take(current if current is not None and not current.isHidden() else None)
                return True
            if key == Qt.Key.Key_Escape:
                self.close()
                return True
        return super().eventFilter(watched, event)
