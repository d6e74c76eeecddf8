"""Inspector: the selected node's name and parameters, editors generated from its ParamSpecs.

Typing previews live on the canvas; consecutive edits of one field merge into one undo
step that closes when the field is committed. Invalid values are flagged on the field with
the ParamError message and never reach the document.

In a module definition's tab, each parameter of a node inside can be exposed (set per
instance), and with nothing selected the Inspector shows the definition (name, description,
exposed parameters); an instance shows its exposed parameters and its definition with an
Edit Module button. Those parts are in :mod:`designer.ui.module_inspector`.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDockWidget,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..graph.document import DocEvent, GraphDocument, ModuleChanged, NodeRemoved, NodeRenamed, ParamChanged
from ..graph.modules import ModuleDef, module_id_of
from ..graph.params import ParamError
from . import icons, operations
from . import module_inspector as mi
from .format import compact, grouped, params_text, percent, shape_text
from .param_editors import ParamEditorWidget, make_editor, show_value
from .session import Session


def _label(text: str = "", name: str = "", wrap: bool = False) -> QLabel:
    label = QLabel(text)
    if name:
        label.setObjectName(name)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class InspectorDock(QDockWidget):
    #: The user pressed Fix under the selected node's problem (a Diagnostic with a fix).
    fix_requested = Signal(object)
    #: Edit Module under an instance was pressed (the instance's node id).
    open_module_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Inspector", parent)
        self.setObjectName("InspectorDock")
        self.session: Session | None = None
        #: The definition whose body the session shows (a definition tab), else None.
        self.definition: ModuleDef | None = None
        #: The project's design (module edits reach every document that uses a definition).
        self.design: GraphDocument | None = None
        self.node_id: str | None = None
        self.expose_marks: dict[str, QLabel] = {}
        self._module_sig: tuple[Any, ...] = ()
        self.editors: dict[str, ParamEditorWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self._local_errors: set[str] = set()
        self._edit_sessions: dict[str, int] = {}
        self._edit_start: dict[str, Any] = {}  # each field's value when its current edit began
        self._next_session = 0
        self.name_edit: QLineEdit | None = None
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(self.scroll)
        self._show_overview()

    # ----------------------------------------------------------------- wiring
    def set_session(
        self, session: Session, definition: ModuleDef | None = None, design: GraphDocument | None = None
    ) -> None:
        """Show ``session``'s nodes; ``definition``: the session shows that definition's body."""
        if self.session is not None:
            self.session.changed.disconnect(self._on_session_changed)
            self.session.report_changed.disconnect(self._on_session_report_changed)
        self.session, self.definition = session, definition
        self.design = design if design is not None else (self.design if definition is not None else session.doc)
        session.changed.connect(self._on_session_changed)
        session.report_changed.connect(self._on_session_report_changed)
        self.node_id = None
        self.show_nodes([])

    def show_nodes(self, node_ids: list[str]) -> None:
        if len(node_ids) == 1:
            if node_ids[0] != self.node_id:
                self._build(node_ids[0])
            return
        self.node_id = None
        self._show_overview(len(node_ids))

    # ------------------------------------------------------------------ views
    def _set_body(self, body: QWidget) -> None:
        old = self.scroll.takeWidget()
        if old is not None:
            old.deleteLater()
        self.scroll.setWidget(body)

    def _show_overview(self, count: int = 0) -> None:
        self.editors, self.errors, self.name_edit, self.expose_marks = {}, {}, None, {}
        self._module_sig = mi.signature(self)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(14, 12, 14, 12)
        if self.session is not None and count == 0:
            doc, costs = self.session.doc, self.session.costs
            if self.definition is not None:
                layout.addWidget(mi.module_section(self, self.definition))
            else:
                layout.addWidget(_label(doc.name, "nodeTitle", wrap=True))
                if doc.description:
                    layout.addWidget(_label(doc.description, "muted", wrap=True))
            layout.addWidget(_label("Design" if self.definition is None else "Block, as shown", "sectionTitle"))
            form = QFormLayout()
            form.addRow("Nodes", _label(f"{len(doc.nodes)}"))
            form.addRow("Parameters", _label(params_text(costs.inference.params, costs.total.params), wrap=True))
            form.addRow("MACs / image", _label(f"{grouped(costs.inference.macs)}  ({compact(costs.inference.macs)})"))
            out = self.session.report.output_id
            form.addRow("Output", _label(shape_text(self.session.report.shapes.get(out)) if out else "–"))
            layout.addLayout(form)
        hint = f"{count} nodes selected" if count > 1 else "Select a node to edit its parameters."
        layout.addWidget(_label(hint, "emptyState", wrap=True))
        layout.addStretch(1)
        self._set_body(body)

    def _build(self, node_id: str) -> None:
        assert self.session is not None
        node = self.session.doc.nodes[node_id]
        self.node_id = node_id
        self._local_errors.clear()
        self._edit_sessions.clear()
        self._edit_start.clear()
        self.editors, self.errors, self.expose_marks = {}, {}, {}
        self._module_sig = mi.signature(self)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(6)
        head = QHBoxLayout()
        icon = QLabel()
        icon.setPixmap(icons.category_icon(node.type.category, 22).pixmap(22, 22))
        head.addWidget(icon)
        self.name_edit = QLineEdit(node.name)
        self.name_edit.setObjectName("nameField")
        self.name_edit.setToolTip("Node name (used for identifiers in the exported code)")
        self.name_edit.editingFinished.connect(self._on_name_edit_editing_finished)
        head.addWidget(self.name_edit, 1)
        layout.addLayout(head)
        kind = node.type.display_name
        if node.type.category.lower() not in kind.lower():  # "Conv · Layers", but "Input", not "Input · Input"
            kind += f" · {node.type.category}"
        layout.addWidget(_label(kind, "muted"))
        if node.type.description:
            layout.addWidget(_label(node.type.description, "muted", wrap=True))
        module = self.session.doc.library.defs.get(module_id_of(node.type_id) or "")
        if module is not None:
            layout.addWidget(mi.instance_row(self, node_id, module))
        self.problems = _label("", "fieldError", wrap=True)
        layout.addWidget(self.problems)
        self.fix_button = QPushButton("Fix")
        self.fix_button.setObjectName("fixButton")
        self.fix_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.fix_button.clicked.connect(self._on_fix_button_clicked)
        self.fix_button.hide()
        self._fixable: Any = None
        layout.addWidget(self.fix_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(_label("Tensor", "sectionTitle"))
        self.io_form = QFormLayout()
        self.in_label, self.out_label, self.cost_label = _label(wrap=True), _label(wrap=True), _label(wrap=True)
        self.io_form.addRow("Input", self.in_label)
        self.io_form.addRow("Output", self.out_label)
        self.io_form.addRow("Cost", self.cost_label)
        layout.addLayout(self.io_form)
        basic = [s for s in node.type.params if not s.advanced]
        advanced = [s for s in node.type.params if s.advanced]
        if basic:
            layout.addWidget(_label("Parameters", "sectionTitle"))
            layout.addLayout(self._form(basic, node.params))
        if advanced:
            toggle = QToolButton()
            toggle.setText(f"Advanced ({len(advanced)})")
            toggle.setCheckable(True)
            toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            toggle.setArrowType(Qt.ArrowType.RightArrow)
            holder = QWidget()
            holder.setLayout(self._form(advanced, node.params))
            holder.setVisible(False)

            def _on_toggle_toggled(on: bool) -> None:
                holder.setVisible(on)
                toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)

            toggle.toggled.connect(_on_toggle_toggled)
            layout.addWidget(toggle)
            layout.addWidget(holder)
        layout.addStretch(1)
        self._set_body(body)
        self._show_report()

    def _form(self, specs: list, values: dict[str, Any]) -> QFormLayout:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(4)
        for spec in specs:
            editor = make_editor(spec)
            editor.set_value(values[spec.name])
            editor.edited.connect(lambda final, key=spec.name: self._on_editor_edited(key, final))
            editor.cancelled.connect(lambda key=spec.name: self._on_editor_cancelled(key))
            error = _label("", "fieldError", wrap=True)
            error.setVisible(False)
            column = mi.field_column(self, editor, error, spec.name)  # (with its expose toggle inside a module)
            label = QLabel(spec.title)
            label.setToolTip(spec.help or spec.name)
            form.addRow(label, column)
            self.editors[spec.name], self.errors[spec.name] = editor, error
        return form

    # ---------------------------------------------------------------- editing
    def _on_editor_edited(self, key: str, final: bool) -> None:
        """Typing previews each valid value live (one undo step per field edit); an invalid
        value is flagged and the design goes back to the value the edit started from, so
        nothing invalid or half-typed stays in it. Committing (Enter, Tab, focus out) an
        invalid value puts the last valid one back in the field and says why."""
        if self.session is None or self.node_id is None:
            return
        editor = self.editors[key]
        node = self.session.doc.nodes[self.node_id]
        if key not in self._edit_sessions:
            self._next_session += 1
            self._edit_sessions[key] = self._next_session
            self._edit_start[key] = node.params[key]
        try:
            value = node.type.param(key).validate(editor.value())
        except ParamError as exc:
            start = self._edit_start[key]
            self._set(key, start)  # no partial value stays in the design
            if final:
                self._end_edit(key)
                editor.set_value(start)
                self._local_errors.discard(key)
                self._flag(key, f"{exc}; kept {show_value(start)}")
            else:
                self._local_errors.add(key)
                self._flag(key, str(exc))
            return
        self._local_errors.discard(key)
        self._flag(key, "")
        self._set(key, value)
        if final:
            self._end_edit(key)
            self._show_report()

    def _on_editor_cancelled(self, key: str) -> None:
        """Escape: the field and the design go back to the value before this edit."""
        if self.session is None or self.node_id is None:
            return
        node = self.session.doc.nodes[self.node_id]
        start = self._edit_start.get(key, node.params[key])
        self._set(key, start)
        self._end_edit(key)
        self.editors[key].set_value(start)
        self._local_errors.discard(key)
        self._flag(key, "")
        self._show_report()

    def _set(self, key: str, value: Any) -> None:
        """Set the parameter within the field's edit session (consecutive values merge)."""
        operations.set_param(self.session, self.node_id, key, value, self._edit_sessions.get(key, -1))

    def _end_edit(self, key: str) -> None:
        self._edit_sessions.pop(key, None)
        self._edit_start.pop(key, None)

    def _on_name_edit_editing_finished(self) -> None:
        if self.session is None or self.node_id is None or self.name_edit is None:
            return
        text = self.name_edit.text().strip()
        node = self.session.doc.nodes[self.node_id]
        if not text:
            self.name_edit.setText(node.name)
        else:
            operations.rename(self.session, self.node_id, text)

    def _flag(self, key: str, message: str) -> None:
        editor, error = self.editors[key], self.errors[key]
        editor.set_invalid(bool(message))
        error.setText(message)
        error.setVisible(bool(message))

    def error_text(self, key: str) -> str:
        """The message shown under a field ('' when the field is fine)."""
        label = self.errors.get(key)
        return label.text() if label is not None and not label.isHidden() else ""

    # ------------------------------------------------------------ model -> view
    def _on_session_changed(self, event: DocEvent) -> None:
        if isinstance(event, ModuleChanged):
            self.refresh_module_parts()
            return
        if self.session is None or self.node_id is None or getattr(event, "node_id", None) != self.node_id:
            return
        if isinstance(event, NodeRemoved):
            self.node_id = None
            self._show_overview()
            return
        node = self.session.doc.nodes[self.node_id]
        if isinstance(event, ParamChanged) and event.key in self.editors:
            if event.key in self._edit_sessions:
                return  # the field being typed into: its text is the user's
            editor = self.editors[event.key]
            try:
                current = node.type.param(event.key).validate(editor.value())
            except ParamError:
                current = None
            if current != node.params[event.key]:  # undo/redo or a fix: show the model's value
                editor.set_value(node.params[event.key])
                self._local_errors.discard(event.key)
                self._flag(event.key, "")
        elif isinstance(event, NodeRenamed) and self.name_edit is not None and self.name_edit.text() != node.name:
            self.name_edit.setText(node.name)

    def refresh_module_parts(self, force: bool = False) -> None:
        """Rebuild when what the module parts show changed (a definition renamed, a parameter
        exposed); never under a field being typed into."""
        if self.session is None or self._edit_sessions:
            return
        if not force and mi.signature(self) == self._module_sig:
            return
        if self.node_id is not None and self.node_id in self.session.doc.nodes:
            self._build(self.node_id)
        else:
            self.node_id = None
            self._show_overview()

    def show_module_message(self, message: str) -> None:
        """Say why a module edit was not done (in the status bar)."""
        window = self.window()
        if hasattr(window, "statusBar"):
            window.statusBar().showMessage(message, 6000)

    def _on_fix_button_clicked(self) -> None:
        if self._fixable is not None:
            self.fix_requested.emit(self._fixable)

    def _on_session_report_changed(self, report) -> None:
        if self.node_id is None:
            if self.session is not None and not self.editors:
                self._show_overview()
            return
        self._show_report()

    def _show_report(self) -> None:
        session, nid = self.session, self.node_id
        if session is None or nid is None or nid not in session.doc.nodes:
            return
        rep = session.report
        ins = rep.in_shapes.get(nid)
        self.in_label.setText(", ".join(shape_text(s) for s in ins) if ins else "–")
        self.out_label.setText(shape_text(rep.shapes.get(nid)))
        cost = session.costs.nodes.get(nid)
        self.cost_label.setText(
            f"{grouped(cost.params)} params · {compact(cost.macs)} MACs ({percent(session.costs.share(nid))})"
            if cost
            else "–"
        )
        diags = [d for d in rep.diagnostics if nid in (d.node_id, d.cause_id) and d.severity != "info"]
        self.problems.setText("\n".join(d.message for d in diags))
        self.problems.setVisible(bool(diags))
        self._fixable = next((d for d in diags if d.fix is not None), None)
        if self._fixable is not None:
            self.fix_button.setText(f"Fix: {self._fixable.fix.label}")
        self.fix_button.setVisible(self._fixable is not None)
        flagged = {d.param: d.message for d in diags if d.param}
        for key in self.editors:
            if key not in self._local_errors:
                self._flag(key, flagged.get(key, ""))
        for key, mark in self.expose_marks.items():
            mark.setText(mi.mark_text(self, nid, key))
            mark.setVisible(bool(mark.text()))
