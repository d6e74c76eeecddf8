"""Definition tabs: the design ("Design") and one tab per opened module definition.

A definition tab shows the definition's body on its own :class:`DesignEditor`, with a
:class:`Session` over the body that shares the project's undo stack (Ctrl+Z undoes a body
edit from any tab). The body's shapes and problems are those of one chosen instance: the
tab's selector lists the definition's instances ("as inception3a", ...) and "no instance
(preview shapes)"; the session validates the body with that instance's bindings (its input
shapes and exposed values) at each analysis, and analyses again when the design around the
instance changes. A tab follows its definition: renamed, its title changes; removed (the
undo of Make Module), the tab closes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QTabBar, QTabWidget, QToolButton, QVBoxLayout, QWidget

from ..graph.document import (
    DocEvent,
    DocumentReset,
    GraphDocument,
    ModuleChanged,
    NodeAdded,
    NodeRemoved,
    NodeRenamed,
)
from ..graph.modules import ModuleDef, module_id_of
from ..graph.validate import Bindings
from . import icons
from .editor import DesignEditor
from .format import shape_text
from .session import Session
from .theme import Theme

if TYPE_CHECKING:
    from .main_window import MainWindow

__all__ = ["DefinitionTab", "ModuleTabs"]

#: Which instance a definition tab shows the body for: (document holding it, node id).
Choice = tuple[GraphDocument, str] | None

PREVIEW = "no instance (preview shapes)"


class DefinitionTab(QWidget):
    """One module definition's body on its own canvas, analysed for a chosen instance."""

    def __init__(self, definition: ModuleDef, design: Session, theme: Theme, parent: QWidget | None = None):
        super().__init__(parent)
        self.definition = definition
        self.design = design
        self._choices: list[Choice] = []
        self.choice: Choice = None
        self.instance_box = QComboBox()
        self.instance_box.setObjectName("instanceBox")
        self.instance_box.setToolTip("Show the shapes and problems inside for this instance")
        self.instance_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.note = QLabel()
        self.note.setObjectName("muted")
        self.editor = DesignEditor(theme, self)
        self.refresh_instances()
        self.instance_box.currentIndexChanged.connect(self._on_instance_box_current_index_changed)
        self.session = Session(definition.body, parent=self, undo_stack=design.undo_stack, bindings=self.bindings)
        self.editor.set_session(self.session)
        self.buttons: dict[str, QToolButton] = {}
        header = QHBoxLayout()
        header.setContentsMargins(10, 4, 6, 4)
        header.setSpacing(8)
        header.addWidget(QLabel("Shapes as"))
        header.addWidget(self.instance_box)
        header.addWidget(self.note, 1)
        e = self.editor
        for act, name in (
            (e.zoom_out_action, "zoom-out"),
            (e.zoom_in_action, "zoom-in"),
            (e.fit_action, "fit"),
            (e.layout_action, "layout"),
        ):
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(act)  # its keys act in this tab (the Design's are off while it is shown)
            button = QToolButton()
            button.setDefaultAction(act)
            button.setAutoRaise(True)
            header.addWidget(button)
            self.buttons[name] = button
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addLayout(header)
        column.addWidget(self.editor.view, 1)
        design.changed.connect(self._on_design_changed)
        design.report_changed.connect(self._on_design_report_changed)
        self.session.report_changed.connect(self._on_session_report_changed)
        self.set_theme(theme)
        self._show_note()

    @property
    def document(self) -> GraphDocument:
        """The definition's body."""
        return self.definition.body

    # ------------------------------------------------------------- instances
    def instance_choices(self) -> list[tuple[str, Choice]]:
        """(label, choice) for every instance of the definition: the design's, then those in
        other definitions' bodies, then the preview."""
        mid = self.definition.id
        design = self.design.doc
        out: list[tuple[str, Choice]] = [(f"as {n.name}", (design, n.id)) for n in design.instances(mid)]
        for other in design.library.defs.values():
            if other.id != mid:
                out += [(f"as {n.name} in {other.name}", (other.body, n.id)) for n in other.body.instances(mid)]
        return [*out, (PREVIEW, None)]

    def refresh_instances(self) -> None:
        """Rebuild the selector (instances added, removed, renamed); keep the chosen one."""
        choices = self.instance_choices()
        labels = [label for label, _ in choices]
        current = [self.instance_box.itemText(i) for i in range(self.instance_box.count())]
        keys = [c for _, c in choices]
        if labels == current and keys == self._choices:
            return
        choice = self.choice if self.choice in keys else (keys[0] if keys else None)
        self.instance_box.blockSignals(True)
        self.instance_box.clear()
        self.instance_box.addItems(labels)
        self._choices = keys
        self.instance_box.setCurrentIndex(keys.index(choice))
        self.instance_box.blockSignals(False)
        if choice != self.choice:
            self.choice = choice
            self._reanalyse()

    def choose(self, doc: GraphDocument | None, node_id: str | None = None) -> None:
        """Show the body for this instance (None: preview shapes)."""
        self.refresh_instances()
        choice: Choice = (doc, node_id) if doc is not None and node_id is not None else None
        if choice in self._choices:
            self.instance_box.setCurrentIndex(self._choices.index(choice))

    def _on_instance_box_current_index_changed(self, index: int) -> None:
        if 0 <= index < len(self._choices) and self._choices[index] != self.choice:
            self.choice = self._choices[index]
            self._reanalyse()

    def bindings(self) -> Bindings | None:
        """The chosen instance's input shapes and exposed values (None: preview shapes, also
        while the instance's input is not known)."""
        if self.choice is None:
            return None
        doc, node_id = self.choice
        node = doc.nodes.get(node_id)
        if node is None:
            return None
        if doc is self.design.doc:
            report = self.design.flush()
        else:  # an instance inside another definition: that body's preview shapes
            from ..graph.validate import validate

            report = validate(doc)
        ins = report.in_shapes.get(node_id)
        if ins is None:
            return None
        return self.definition.bindings(node.params, ins)

    def _reanalyse(self) -> None:
        if hasattr(self, "session"):
            self.session.flush()
            self._show_note()

    def _show_note(self) -> None:
        self.session.bindings_for = ""
        if self.choice is None:
            self.note.setText("the Module input nodes' own shapes")
            return
        doc, node_id = self.choice
        node = doc.nodes.get(node_id)
        bound = self.session.bindings
        if node is not None and bound is not None:
            self.session.bindings_for = node.name
        if node is None:
            text = ""
        elif bound is None:
            text = f"the input of {node.name} is not known: showing preview shapes"
        else:
            ins = [shape_text(bound.shapes.get(p)) for p in self.definition.input_ports()]
            text = f"input {', '.join(ins)}"
        self.note.setText(text)

    # ------------------------------------------------------------------ events
    def _on_design_changed(self, event: DocEvent) -> None:
        if isinstance(event, (NodeAdded, NodeRemoved, NodeRenamed, DocumentReset, ModuleChanged)):
            self.refresh_instances()

    def _on_design_report_changed(self, report) -> None:
        self.session.flush()  # the instance's input shape may have changed
        self._show_note()

    def _on_session_report_changed(self, report) -> None:
        self._show_note()

    def set_theme(self, theme: Theme) -> None:
        self.editor.set_theme(theme)
        color = theme.subtext if theme.dark else theme.text
        for name, button in self.buttons.items():
            button.defaultAction().setIcon(icons.icon(name, color))

    def detach(self) -> None:
        """Stop following the design and the body (the tab is being dropped)."""
        self.design.changed.disconnect(self._on_design_changed)
        self.design.report_changed.disconnect(self._on_design_report_changed)
        self.session.close()


class ModuleTabs(QObject):
    """The window's central tabs: the design first (never closed), then definition tabs."""

    #: The current tab changed (the docks follow its editor and session).
    current_changed = Signal()

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.widget = QTabWidget()
        self.widget.setObjectName("centralTabs")
        self.widget.setDocumentMode(True)
        self.widget.setTabsClosable(True)
        self.widget.setTabBarAutoHide(True)  # no bar (all the height for the canvas) until a definition opens
        self.widget.addTab(window.view, "Design")
        self.widget.setTabToolTip(0, "The design")
        bar = self.widget.tabBar()
        for side in (QTabBar.ButtonPosition.RightSide, QTabBar.ButtonPosition.LeftSide):
            bar.setTabButton(0, side, None)  # the design's tab cannot be closed
        self.widget.tabCloseRequested.connect(self._on_widget_tab_close_requested)
        self.widget.currentChanged.connect(self._on_widget_current_changed)
        self.tabs: dict[str, DefinitionTab] = {}
        self._design: Session | None = None
        self._unsubscribe = None

    # ----------------------------------------------------------------- design
    def set_design(self, session: Session) -> None:
        """Another design is shown: its definitions' tabs (if any) are gone with the old one."""
        for mid in list(self.tabs):
            self.close(mid)
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._design = session
        self._unsubscribe = session.doc.library.subscribe(self._on_library_changed)
        self.widget.setCurrentIndex(0)

    def _on_library_changed(self, module_id: str) -> None:
        lib = self._design.doc.library if self._design is not None else None
        if lib is None:
            return
        if module_id in self.tabs and module_id not in lib.defs:
            self.close(module_id)
        for mid, tab in list(self.tabs.items()):
            if mid in lib.defs:
                self.widget.setTabText(self.widget.indexOf(tab), lib.defs[mid].name)
                tab.refresh_instances()

    # ------------------------------------------------------------------- tabs
    def current(self) -> DefinitionTab | None:
        tab = self.widget.currentWidget()
        return tab if isinstance(tab, DefinitionTab) else None

    def open(self, module_id: str, instance: tuple[GraphDocument, str] | None = None) -> DefinitionTab:
        """Show a definition's tab (made when not open yet), for ``instance`` when given."""
        assert self._design is not None
        tab = self.tabs.get(module_id)
        if tab is None:
            definition = self._design.doc.library.get(module_id)
            tab = DefinitionTab(definition, self._design, self.window.theme)
            self.tabs[module_id] = tab
            index = self.widget.addTab(tab, definition.name)
            self.widget.setTabToolTip(index, f"Module definition {definition.name}")
            self.window.wire_editor(tab.editor, tab.session)
        if instance is not None:
            tab.choose(*instance)
        self.widget.setCurrentWidget(tab)
        return tab

    def close(self, module_id: str) -> None:
        tab = self.tabs.pop(module_id, None)
        if tab is None:
            return
        tab.detach()
        self.widget.removeTab(self.widget.indexOf(tab))
        tab.deleteLater()

    def close_at(self, index: int) -> None:
        tab = self.widget.widget(index)
        for mid, t in list(self.tabs.items()):
            if t is tab:
                self.close(mid)

    def _on_widget_tab_close_requested(self, index: int) -> None:
        self.close_at(index)

    def _on_widget_current_changed(self, index: int) -> None:
        self.current_changed.emit()

    def set_theme(self, theme: Theme) -> None:
        for tab in self.tabs.values():
            tab.set_theme(theme)

    def titles(self) -> list[str]:
        return [self.widget.tabText(i) for i in range(self.widget.count())]


def instance_module(doc: GraphDocument, node_id: str) -> str | None:
    """The definition id of an instance node of ``doc`` (None: not an instance)."""
    node = doc.nodes.get(node_id)
    return module_id_of(node.type_id) if node is not None else None
