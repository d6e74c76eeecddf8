"""The Inspector's module parts: the Module section of a definition tab (name, description,
exposed parameters), the expose button of each parameter of a node inside a definition,
and the line under an instance that names its definition with an Edit Module button.

Every change goes through :mod:`designer.ui.module_commands` (undoable); a name that cannot
be is said under its field (or in the name dialog, asked again), never raised.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..graph.modules import ModuleDef, module_id_of
from . import ask
from . import module_commands as mc
from .param_editors import show_value

if TYPE_CHECKING:
    from .inspector import InspectorDock

PORT_TYPES = ("module_input", "module_output")


def ask_name(parent: QWidget, title: str, label: str, default: str) -> str | None:
    """A name from the user, or None when cancelled (tests replace this)."""
    return ask.ask_name(parent, title, label, default)


def _muted(text: str, name: str = "muted") -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    label.setWordWrap(True)
    return label


def signature(insp: InspectorDock) -> tuple[Any, ...]:
    """What the module parts show; the Inspector rebuilds when it changes."""
    parts: list[Any] = []
    d = insp.definition
    if d is not None:
        parts.append((d.name, d.description, tuple(d.exposed)))
    session = insp.session
    node = session.doc.nodes.get(insp.node_id or "") if session is not None else None
    if node is not None:
        mid = module_id_of(node.type_id)
        if mid is not None:
            md = session.doc.library.defs.get(mid)  # type: ignore[union-attr]
            parts.append((md.name, tuple(md.exposed)) if md is not None else None)
        parts.append(tuple(node.params))
    return tuple(parts)


# ----------------------------------------------------------- a definition tab
def module_section(insp: InspectorDock, d: ModuleDef) -> QWidget:
    """Name, description and exposed parameters of the definition shown in the tab."""
    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(4)
    column.addWidget(_muted("Module", "sectionTitle"))
    error = _muted("", "fieldError")
    error.setVisible(False)
    insp.module_error = error

    def say(message: str) -> None:
        error.setText(message)
        error.setVisible(bool(message))

    form = QFormLayout()
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    name = QLineEdit(d.name)
    name.setObjectName("moduleNameField")
    name.setToolTip("The definition's name (the class name in the exported code)")

    def on_name_finished() -> None:
        if name.text().strip() == d.name:
            return
        message = mc.rename_module(insp.session, d, name.text())
        name.setProperty("invalid", bool(message))
        name.style().polish(name)
        say(f"{message}; the name stays {d.name!r}" if message else "")

    name.editingFinished.connect(on_name_finished)
    form.addRow("Name", name)
    description = QLineEdit(d.description)
    description.setCursorPosition(0)  # a long description shows its start
    description.setToolTip(d.description)
    description.setObjectName("moduleDescriptionField")
    description.setPlaceholderText("What the block does")
    description.editingFinished.connect(lambda: mc.set_module_description(insp.session, d, description.text()))
    form.addRow("Description", description)
    column.addLayout(form)
    column.addWidget(error)
    insp.module_name_edit, insp.module_description_edit = name, description
    column.addWidget(_muted("Exposed parameters", "sectionTitle"))
    insp.exposed_edits = {}
    if not d.exposed:
        column.addWidget(_muted("None yet: select a node and press ◇ next to a parameter to expose it."))
    grid = QGridLayout()
    grid.setColumnStretch(0, 1)
    grid.setHorizontalSpacing(6)
    for i, e in enumerate(d.exposed):
        node = d.body.nodes.get(e.node_id)
        where = f"{node.name if node else '?'}.{e.param}"
        field = QLineEdit(e.name)
        field.setToolTip(f"The name instances set {where} by (Enter renames it)")
        field.editingFinished.connect(lambda f=field, old=e.name: _rename_exposed(insp, d, old, f, say))
        remove = QToolButton()
        remove.setText("✕")
        remove.setObjectName("unexposeButton")
        remove.setToolTip(f"Stop exposing {e.name} (instances then use the module's value)")
        remove.clicked.connect(lambda checked=False, n=e.name: say(mc.unexpose(insp.session, insp.design, d, n)))
        grid.addWidget(field, i, 0)
        grid.addWidget(_muted(where), i, 1)
        grid.addWidget(remove, i, 2)
        insp.exposed_edits[e.name] = field
    column.addLayout(grid)
    return box


def _rename_exposed(insp: InspectorDock, d: ModuleDef, old: str, field: QLineEdit, say) -> None:
    if field.text().strip() == old or old not in {e.name for e in d.exposed}:
        return
    message = mc.rename_exposed(insp.session, insp.design, d, old, field.text())
    if message:
        field.setText(old)
        say(f"{message}; it stays {old!r}")
    else:
        say("")


# --------------------------------------------------- a node inside a definition
def can_expose(insp: InspectorDock, node_id: str) -> bool:
    d = insp.definition
    return d is not None and node_id in d.body.nodes and d.body.nodes[node_id].type_id not in PORT_TYPES


def expose_widgets(insp: InspectorDock, node_id: str, key: str) -> tuple[QToolButton, QLabel]:
    """The toggle beside a parameter of a node inside a definition, and the mark under it."""
    d = insp.definition
    assert d is not None
    exposed = d.exposed_name(node_id, key)
    button = QToolButton()
    button.setObjectName("exposeButton")
    button.setCheckable(True)
    button.setChecked(exposed is not None)
    button.setText("◆" if exposed else "◇")
    button.setToolTip(
        f"Exposed as {exposed}: each instance sets it. Click to stop exposing it"
        if exposed
        else "Expose as module parameter… (each instance then sets its own value)"
    )
    button.clicked.connect(lambda checked=False: toggle_exposed(insp, node_id, key))
    mark = _muted("")
    mark.setVisible(exposed is not None)
    return button, mark


def field_column(insp: InspectorDock, editor: QWidget, error: QLabel, key: str) -> QVBoxLayout:
    """A parameter's field over its error; inside a definition, with its expose toggle
    beside it and the 'exposed as' mark under it."""
    column = QVBoxLayout()
    column.setSpacing(2)
    if insp.node_id is not None and can_expose(insp, insp.node_id):
        button, mark = expose_widgets(insp, insp.node_id, key)
        row = QHBoxLayout()
        row.setSpacing(4)
        row.addWidget(editor, 1)
        row.addWidget(button)
        column.addLayout(row)
        column.addWidget(mark)
        insp.expose_marks[key] = mark
    else:
        column.addWidget(editor)
    column.addWidget(error)
    return column


def mark_text(insp: InspectorDock, node_id: str, key: str) -> str:
    """'exposed as ch1x1 · inception3b: 128' (the chosen instance's value), or ''."""
    d = insp.definition
    name = d.exposed_name(node_id, key) if d is not None else None
    if name is None:
        return ""
    text = f"exposed as {name}: each instance sets it (this is the default)"
    session = insp.session
    bound = session.bindings if session is not None else None
    value = bound.params.get(node_id, {}).get(key) if bound is not None else None
    if value is not None and session is not None and session.bindings_for:
        text += f"; {session.bindings_for} has {show_value(value)}"
    return text


def toggle_exposed(insp: InspectorDock, node_id: str, key: str) -> str:
    """Expose the parameter (asking for its name) or stop exposing it; returns the last
    message shown ('' when done or cancelled)."""
    d = insp.definition
    if d is None or insp.session is None:
        return ""
    exposed = d.exposed_name(node_id, key)
    if exposed is not None:
        message = mc.unexpose(insp.session, insp.design, d, exposed)
    else:
        default, message = mc.default_exposed_name(d, node_id, key), ""
        node = d.body.nodes[node_id]
        while True:
            label = f"Name of {node.name}.{key} on every instance of {d.name}:"
            name = ask_name(insp, "Expose as module parameter", f"{message}\n\n{label}" if message else label, default)
            if name is None:
                message = ""
                break
            message = mc.expose(insp.session, insp.design, d, node_id, key, name)
            if not message:
                break
            default = name
    if message:
        insp.show_module_message(message)
    insp.refresh_module_parts(force=True)
    return message


# ----------------------------------------------------------------- an instance
def instance_row(insp: InspectorDock, node_id: str, d: ModuleDef) -> QWidget:
    """'Module  Inception  [Edit Module]' under an instance's name."""
    holder = QWidget()
    row = QHBoxLayout(holder)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(_muted("Module"))
    name = QLabel(d.name)
    name.setObjectName("moduleName")
    name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    row.addWidget(name, 1)
    button = QPushButton("Edit Module")
    button.setObjectName("editModuleButton")
    button.setToolTip(f"Open {d.name} in its tab, with the shapes of this instance")
    button.clicked.connect(lambda checked=False: insp.open_module_requested.emit(node_id))
    row.addWidget(button)
    insp.edit_module_button = button
    return holder
