"""Insert > Inception Block…: build an Inception block from a few numbers and insert it as a module.

The dialog edits a :class:`~designer.graph.block_builder.BlockSpec`: which branches the block
has (1x1; 3x3; 5x5, optionally as two 3x3; 1 x n then n x 1; pool then 1x1), each conv's
width, BatchNorm, the Inception-ResNet residual and its scale, and the module's name. A
preview line shows the block on its input (the selected node's output, or 192 x 28 x 28):
output shape, parameters, multiply-adds, updated on every change; when the block cannot be
built the line says why and Insert is disabled. Insert adds the definition and one instance,
connected after the selected node, as one undo step (:func:`insert_block`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..graph.block_builder import DEFAULT_IN_SHAPE, MAX_N, BlockSpec, build_block, check_spec, preview
from ..graph.document import MODULE_PREFIX, new_id
from ..graph.layout import NODE_H, NODE_W
from ..graph.module_type import REPEAT, snake
from ..graph.params import MAX_CHANNELS
from ..graph.shapes import Shape
from . import theme as themes
from .commands import AddModulesCommand
from .format import compact, shape_text
from .operations import clear_spot

if TYPE_CHECKING:
    from .main_window import MainWindow
    from .session import Session

__all__ = ["BlockBuilderDialog", "block_input", "insert_block", "open_block_builder"]

Pos = tuple[float, float]


def block_input(session: Session, node_id: str | None) -> tuple[Shape, str | None, str]:
    """What a block inserted after ``node_id`` reads: ``(shape, node to connect from, where the
    shape comes from)``; the default 192 x 28 x 28 and no node when there is none to use."""
    doc = session.doc
    node = doc.nodes.get(node_id) if node_id else None
    if node is None or not node.type.outputs:
        why = f"{node.name} has no output" if node is not None else "no node selected"
        return DEFAULT_IN_SHAPE, None, f"default: {why}"
    shape = session.flush().shapes.get(node.id)
    if shape is None:
        return DEFAULT_IN_SHAPE, node.id, f"default: {node.name} has no shape yet"
    return tuple(shape), node.id, f"output of {node.name}"


def insert_block(
    session: Session,
    spec: BlockSpec,
    after_node_id: str | None = None,
    pos: Pos = (0.0, 0.0),
    in_shape: Shape | None = None,
) -> str:
    """Add the block's definition and one instance (connected after ``after_node_id`` when that
    node has an output, else centred on ``pos``) as one undo step; returns the instance's id.
    Raises :class:`~designer.graph.block_builder.BlockSpecError` for a spec that cannot be built."""
    doc = session.doc
    shape, after, _ = block_input(session, after_node_id)
    data = build_block(spec, in_shape or shape)
    data["name"] = doc.library.unique_name(data["name"])
    inst_id = new_id()
    if after is not None:
        ax, ay = doc.nodes[after].pos
        corner = clear_spot(doc, ax, ay + NODE_H + 60, NODE_W + 40, 2 * NODE_H)
    else:
        corner = clear_spot(doc, pos[0] - NODE_W / 2, pos[1] - NODE_H / 2, NODE_W + 40, 2 * NODE_H)
    inst = {
        "id": inst_id,
        "type": MODULE_PREFIX + data["id"],
        "name": doc.unique_name(snake(data["name"]) or "block"),
        "params": {REPEAT: 1},
        "pos": list(corner),
    }
    edges = []
    text = f"Insert block {data['name']}"
    if after is not None:
        port = doc.nodes[after].type.outputs[0].name
        edges.append({"id": new_id(), "src": after, "src_port": port, "dst": inst_id, "dst_port": "in"})
        text += f" after {doc.nodes[after].name}"
    session.push(AddModulesCommand(doc, [data], {"nodes": [inst], "edges": edges}, text))
    return inst_id


def open_block_builder(window: MainWindow) -> BlockBuilderDialog:
    """Show the block builder for the window's design: the block goes after the one selected
    node (connected), else at the view's centre; the new instance is selected afterwards."""
    editor = window.editor
    for old in window.findChildren(BlockBuilderDialog):  # one at a time; the last one's input is stale
        old.deleteLater()
    selected = editor.selected_node_ids()
    dialog = BlockBuilderDialog(
        editor.session, selected[0] if len(selected) == 1 else None, editor.view_centre(), window.theme, window
    )
    dialog.accepted.connect(lambda: dialog.inserted_id and editor.select([dialog.inserted_id]))
    dialog.open()  # window-modal, returns at once
    return dialog


def _spin(value: int, minimum: int = 1, maximum: int = MAX_CHANNELS) -> QSpinBox:
    box = QSpinBox()
    box.setRange(minimum, maximum)
    box.setValue(value)
    box.setMinimumWidth(84)
    return box


def _changed(w: QWidget) -> Any:
    """The signal a field sends when the user changes it."""
    if isinstance(w, QCheckBox):
        return w.toggled
    if isinstance(w, QComboBox):
        return w.currentTextChanged
    if isinstance(w, QLineEdit):
        return w.textChanged
    return w.valueChanged


class BlockBuilderDialog(QDialog):
    """Branches and widths of an Inception block, a live preview, and Insert."""

    def __init__(
        self,
        session: Session,
        after_node_id: str | None = None,
        pos: Pos = (0.0, 0.0),
        theme: themes.Theme | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("BlockBuilderDialog")
        self.setWindowTitle("Inception Block Builder")
        self.session, self.pos = session, pos
        self.theme = theme or themes.resolve("system")
        self.in_shape, self.after, source = block_input(session, after_node_id)
        #: The instance Insert added ("" before).
        self.inserted_id = ""
        self.fields: dict[str, QWidget] = {}
        root = QVBoxLayout(self)
        root.setSpacing(10)
        self.input_label = QLabel(f"Input: {shape_text(self.in_shape)}  ({source})")
        self.input_label.setObjectName("muted")
        root.addWidget(self.input_label)
        root.addWidget(self._branches_box())
        root.addWidget(self._options_box())
        self.preview_label = QLabel()
        self.preview_label.setObjectName("blockPreview")
        self.preview_label.setWordWrap(True)
        root.addWidget(self.preview_label)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.insert_button = self.buttons.addButton("Insert", QDialogButtonBox.ButtonRole.AcceptRole)
        self.insert_button.setObjectName("blockInsert")
        self.insert_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        root.addWidget(self.buttons)
        self._apply_style(self.theme)
        self.set_spec(BlockSpec())
        for w in self.fields.values():
            _changed(w).connect(self.refresh)
        self.refresh()

    # ------------------------------------------------------------------ build
    def _branches_box(self) -> QGroupBox:
        box = QGroupBox("Branches")
        grid = QGridLayout(box)
        grid.setHorizontalSpacing(12)
        for col, text in enumerate(("", "", "1×1 reduce", "Middle", "Channels")):
            head = QLabel(text)
            head.setObjectName("muted")
            grid.addWidget(head, 0, col)
        f = self.fields
        f["use_1x1"] = QCheckBox("1×1 conv")
        f["ch1x1"] = _spin(64, 0)
        f["use_3x3"] = QCheckBox("3×3 conv")
        f["ch3x3red"], f["ch3x3"] = _spin(96, 0), _spin(128, 0)
        f["use_5x5"] = QCheckBox("5×5 conv")
        f["factorize_5x5"] = QCheckBox("as two 3×3")
        f["factorize_5x5"].setToolTip("Inception v3: two stacked 3×3 convs see as far as one 5×5")
        f["ch5x5red"], f["ch5x5mid"], f["ch5x5"] = _spin(16, 0), _spin(0, 0), _spin(32, 0)
        f["use_nxn"] = QCheckBox("1×n, n×1")
        f["use_nxn"].setToolTip("Inception v3 module C: an n×n conv factorized into 1×n then n×1")
        f["n"] = _spin(7, 2, MAX_N)
        f["n"].setPrefix("n = ")
        f["chnxnred"], f["chnxnmid"], f["chnxn"] = _spin(128, 0), _spin(0, 0), _spin(192, 0)
        f["use_pool"] = QCheckBox("Pool → 1×1")
        f["pool_mode"] = QComboBox()
        f["pool_mode"].addItems(["max", "avg"])
        f["pool_proj"] = _spin(32, 0)
        for key in ("ch5x5mid", "chnxnmid"):
            f[key].setSpecialValueText("= channels")
            f[key].setToolTip("Width between the two convs; '= channels' uses the branch's output width")
        rows = (
            ("use_1x1", None, None, None, "ch1x1"),
            ("use_3x3", None, "ch3x3red", None, "ch3x3"),
            ("use_5x5", "factorize_5x5", "ch5x5red", "ch5x5mid", "ch5x5"),
            ("use_nxn", "n", "chnxnred", "chnxnmid", "chnxn"),
            ("use_pool", "pool_mode", None, None, "pool_proj"),
        )
        for r, keys in enumerate(rows, 1):
            for col, key in enumerate(keys):
                if key is not None:
                    grid.addWidget(f[key], r, col)
        self._rows = rows
        grid.setColumnStretch(5, 1)
        return box

    def _options_box(self) -> QGroupBox:
        box = QGroupBox("Block")
        form = QFormLayout(box)
        f = self.fields
        f["batch_norm"] = QCheckBox("BatchNorm after each conv (conv without bias)")
        form.addRow(f["batch_norm"])
        line = QHBoxLayout()
        f["residual"] = QCheckBox("Residual (Inception-ResNet): 1×1 back to the input's channels, × scale, add, ReLU")
        f["scale"] = QDoubleSpinBox()
        f["scale"].setRange(0.0, 10.0)
        f["scale"].setDecimals(2)
        f["scale"].setSingleStep(0.01)
        f["scale"].setPrefix("scale ")
        line.addWidget(f["residual"])
        line.addWidget(f["scale"])
        line.addStretch(1)
        form.addRow(line)
        f["name"] = QLineEdit()
        f["name"].setPlaceholderText("the module's name, e.g. InceptionA")
        form.addRow("Name", f["name"])
        self.name_note = QLabel()
        self.name_note.setObjectName("muted")
        self.name_note.setWordWrap(True)
        form.addRow("", self.name_note)
        return box

    def _apply_style(self, t: themes.Theme) -> None:
        """Disabled fields (a branch that is off) look off; the scale box like the spin boxes;
        Insert as the primary button, visibly disabled while the block is invalid."""
        icons = (themes.RESOURCES / "icons").as_posix()
        self.setStyleSheet(
            f"QSpinBox:disabled, QDoubleSpinBox:disabled, QComboBox:disabled, QLineEdit:disabled"
            f" {{ color: {t.subtext}; background: {t.window}; }}"
            f"QDoubleSpinBox {{ background: {t.base}; color: {t.text}; border: 1px solid {t.border};"
            f" border-radius: 5px; padding: 3px 18px 3px 6px; }}"
            f"QDoubleSpinBox:focus {{ border-color: {t.accent}; }}"
            f'QDoubleSpinBox[invalid="true"] {{ border-color: {t.error}; }}'
            "QDoubleSpinBox::up-button, QDoubleSpinBox::down-button { width: 16px; border: none; background: transparent; }"
            f"QDoubleSpinBox::up-arrow {{ image: url({icons}/chevron-up-{t.name}.svg); width: 10px; height: 10px; }}"
            f"QDoubleSpinBox::down-arrow {{ image: url({icons}/chevron-down-{t.name}.svg); width: 10px; height: 10px; }}"
            f"QGroupBox {{ color: {t.subtext}; font-weight: 600; }}"
            f"QPushButton#blockInsert {{ background: {t.accent}; color: {t.accent_text}; border: 1px solid {t.accent};"
            " font-weight: 600; padding: 4px 16px; }"
            f"QPushButton#blockInsert:hover {{ background: {t.info}; border-color: {t.info}; }}"
            f"QPushButton#blockInsert:disabled {{ background: {t.alt_base}; color: {t.subtext}; border-color: {t.border}; }}"
        )

    # ------------------------------------------------------------------- spec
    def spec(self) -> BlockSpec:
        values: dict[str, Any] = {}
        for key, w in self.fields.items():
            if isinstance(w, QCheckBox):
                values[key] = w.isChecked()
            elif isinstance(w, QComboBox):
                values[key] = w.currentText()
            elif isinstance(w, QLineEdit):
                values[key] = w.text()
            elif isinstance(w, QDoubleSpinBox):
                values[key] = round(w.value(), 4)
            else:
                values[key] = w.value()
        return BlockSpec(**values)

    def set_spec(self, spec: BlockSpec) -> None:
        for key, w in self.fields.items():
            value = getattr(spec, key)
            if isinstance(w, QCheckBox):
                w.setChecked(value)
            elif isinstance(w, QComboBox):
                w.setCurrentText(value)
            elif isinstance(w, QLineEdit):
                w.setText(value)
            else:
                w.setValue(value)

    # ---------------------------------------------------------------- preview
    def refresh(self) -> None:
        """Enable each row's fields with its branch, then show the preview or the problem."""
        f = self.fields
        for switch, *keys in self._rows:
            on = f[switch].isChecked()
            for key in keys:
                if key is not None:
                    f[key].setEnabled(on)
        f["ch5x5mid"].setEnabled(f["use_5x5"].isChecked() and f["factorize_5x5"].isChecked())
        f["scale"].setEnabled(f["residual"].isChecked())
        spec = self.spec()
        problem = check_spec(spec)
        result = preview(spec, self.in_shape)
        for key, w in f.items():
            invalid = problem is not None and problem.field == key
            if w.property("invalid") != invalid:
                w.setProperty("invalid", invalid)
                w.style().unpolish(w)
                w.style().polish(w)
        t = self.theme
        if isinstance(result, str):
            text, color = result, t.error
        else:
            out, params, macs = result
            text = f"{shape_text(self.in_shape)} → {shape_text(out)} · {compact(params)} params · {compact(macs)} MACs"
            color = t.text
        self.preview_label.setText(text)
        self.preview_label.setStyleSheet(f"color: {color}; font-weight: 600;")
        name = spec.name.strip()
        taken = self.session.doc.library.unique_name(name) if name and self.session.doc.has_library else name
        self.name_note.setText(f"a module called {name} exists: this one will be {taken}" if taken != name else "")
        self.name_note.setVisible(taken != name)
        self.insert_button.setEnabled(not isinstance(result, str))

    @property
    def valid(self) -> bool:
        return self.insert_button.isEnabled()

    def accept(self) -> None:
        """Insert the block (one undo step) and close; nothing happens while it is invalid."""
        if not self.valid:
            return
        self.inserted_id = insert_block(self.session, self.spec(), self.after, self.pos, self.in_shape)
        super().accept()
