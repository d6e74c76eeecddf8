"""Problems: every diagnostic with its severity; click to select the node, Fix to repair it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..graph.diagnostics import Diagnostic, Severity
from . import icons
from .theme import Theme

DIAG_ROLE = Qt.ItemDataRole.UserRole + 1
_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


class ProblemsDock(QDockWidget):
    #: The user picked a problem: select and centre this node.
    node_requested = Signal(str)
    #: The user pressed Fix on a problem.
    fix_requested = Signal(object)  # Diagnostic

    def __init__(self, theme: Theme, parent: QWidget | None = None):
        super().__init__("Problems", parent)
        self.setObjectName("ProblemsDock")
        self.theme = theme
        self.diagnostics: list[Diagnostic] = []
        self._names: dict[str, str] = {}
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        self.empty = QLabel()
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Problem", "Node", ""])
        self.tree.setRootIsDecorated(False)
        self.tree.setWordWrap(True)
        self.tree.setAlternatingRowColors(False)
        self.tree.itemClicked.connect(self._on_tree_item_clicked)
        self.tree.itemActivated.connect(self._on_tree_item_clicked)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, header.ResizeMode.Stretch)
        header.setSectionResizeMode(1, header.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, header.ResizeMode.ResizeToContents)
        layout.addWidget(self.tree)
        layout.addWidget(self.empty)
        self.setWidget(body)
        self.set_diagnostics([], {})

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.set_diagnostics(self.diagnostics, self._names)

    def set_diagnostics(self, diagnostics: list[Diagnostic], names: dict[str, str]) -> None:
        ordered = sorted(diagnostics, key=lambda d: _ORDER.get(d.severity, 3))
        if ordered == self.diagnostics and names == self._names and self.tree.topLevelItemCount() == len(ordered):
            return
        self.diagnostics, self._names = ordered, dict(names)
        self.tree.clear()
        colors = {
            Severity.ERROR: self.theme.error,
            Severity.WARNING: self.theme.warning,
            Severity.INFO: self.theme.info,
        }
        for i, d in enumerate(ordered):
            item = QTreeWidgetItem([d.message, names.get(d.node_id or "", ""), ""])
            item.setIcon(
                0, icons.icon(d.severity if d.severity in colors else "info", colors.get(d.severity, self.theme.info))
            )
            item.setData(0, DIAG_ROLE, i)  # an index: Python objects in QVariants leak refs
            item.setToolTip(0, d.message + (f"\n\nFix: {d.fix.label}" if d.fix else ""))
            self.tree.addTopLevelItem(item)
            if d.fix is not None:
                button = QPushButton("Fix")
                button.setObjectName("fixButton")
                button.setToolTip(d.fix.label)
                button.setCursor(Qt.CursorShape.PointingHandCursor)
                button.clicked.connect(lambda checked=False, diag=d: self.fix_requested.emit(diag))
                holder = QWidget()
                row = QHBoxLayout(holder)
                row.setContentsMargins(4, 2, 8, 2)
                row.addWidget(button)
                self.tree.setItemWidget(item, 2, holder)
        n_err = sum(d.severity == Severity.ERROR for d in ordered)
        n_warn = sum(d.severity == Severity.WARNING for d in ordered)
        self.tree.setVisible(bool(ordered))
        self.empty.setVisible(not ordered)
        self.empty.setText("No problems: the design is valid." if not ordered else "")
        # The title counts every row listed, by kind: "Problems (1 error, 2 notes)".
        n_other = len(ordered) - n_err - n_warn
        parts = [
            f"{n} {word}{'s' * (n != 1)}" for n, word in ((n_err, "error"), (n_warn, "warning"), (n_other, "note")) if n
        ]
        title = f"Problems ({', '.join(parts)})" if parts else "Problems"
        self.setWindowTitle(title)

    def fix_buttons(self) -> list[QPushButton]:
        return self.tree.findChildren(QPushButton, "fixButton")

    def _on_tree_item_clicked(self, item: QTreeWidgetItem, column: int) -> None:
        d = self.diagnostics[item.data(0, DIAG_ROLE)]
        target = d.node_id or d.cause_id
        if target:
            self.node_requested.emit(target)
