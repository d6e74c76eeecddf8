"""Editors generated from ParamSpecs. Each emits ``edited(final)``: ``final`` is False while
the user types (live preview) and True when the value is committed (Enter, Tab or focus
out, a click on a checkbox or combo), and ``cancelled()`` on Escape. ``value()`` returns
the entered value or raises ParamError; the spec's own ``validate`` decides whether it is
acceptable. Numbers are typed as text, never clamped or cut by the widget: what the user
typed is what gets validated, and an out-of-range value is reported, never half-taken."""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLineEdit, QWidget

from ..graph.params import (
    BoolParam,
    ChoiceParam,
    FloatParam,
    IntParam,
    PaddingParam,
    PairParam,
    ParamError,
    ParamSpec,
)

_PAIR = re.compile(r"^\s*[\[(]?\s*(-?\d+)\s*(?:[x×,\s]\s*(-?\d+))?\s*[\])]?\s*$")


def parse_pair(title: str, text: str) -> int | list[int]:
    """``'3' -> 3``, ``'1x7'``, ``'1, 7'`` or ``'[1, 7]' -> [1, 7]``."""
    m = _PAIR.match(text)
    if not m:
        raise ParamError(f"{title} must be a whole number or a pair like 1x7, got {text.strip()!r}")
    a, b = m.groups()
    return int(a) if b is None else [int(a), int(b)]


def show_value(value: Any) -> str:
    if isinstance(value, list):
        return f"{value[0]}x{value[1]}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class ParamEditorWidget(QWidget):
    edited = Signal(bool)
    cancelled = Signal()

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None):
        super().__init__(parent)
        self.spec = spec
        self.layout_ = QHBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        if spec.help:
            self.setToolTip(spec.help)

    def value(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def set_value(self, value: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def set_invalid(self, invalid: bool) -> None:
        field = self.field
        if field.property("invalid") != invalid:
            field.setProperty("invalid", invalid)
            field.style().unpolish(field)
            field.style().polish(field)

    @property
    def field(self) -> QWidget:
        return self.layout_.itemAt(0).widget()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.key() == Qt.Key.Key_Escape:
                self.cancelled.emit()
                return True
            if event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down) and self.step(1 if event.key() == Qt.Key.Key_Up else -1):
                return True
        return super().eventFilter(watched, event)

    def step(self, direction: int) -> bool:
        """Up/Down arrow keys; numbers step by one. Returns whether the key was used."""
        return False


class TextEditorWidget(ParamEditorWidget):
    """Float, pair (k or kh x kw) and padding ('same' / 'valid' / int / pair) values as text."""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None):
        super().__init__(spec, parent)
        if isinstance(spec, PaddingParam):
            self.combo = QComboBox()
            self.combo.setEditable(True)
            self.combo.addItems(list(spec.modes))
            self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
            self.line = self.combo.lineEdit()
            self.combo.activated.connect(self._on_combo_activated)
            self.layout_.addWidget(self.combo)
        else:
            self.line = QLineEdit()
            self.layout_.addWidget(self.line)
        if isinstance(spec, PairParam):
            self.line.setPlaceholderText("k, or kh x kw (e.g. 1x7)")
        self.line.installEventFilter(self)
        self.line.textEdited.connect(self._on_line_text_edited)
        self.line.editingFinished.connect(self._on_line_editing_finished)

    def value(self) -> Any:
        text = self.line.text().strip()
        spec = self.spec
        if isinstance(spec, IntParam):
            try:
                return int(text)
            except ValueError:
                raise ParamError(f"{spec.title} must be a whole number, got {text!r}") from None
        if isinstance(spec, FloatParam):
            try:
                return float(text)
            except ValueError:
                raise ParamError(f"{spec.title} must be a number, got {text!r}") from None
        if isinstance(spec, PaddingParam) and not re.match(r"^[\[(\d-]", text):
            return text
        return parse_pair(spec.title, text)

    def set_value(self, value: Any) -> None:
        self.line.blockSignals(True)
        self.line.setText(show_value(value))
        self.line.blockSignals(False)

    def step(self, direction: int) -> bool:
        if not isinstance(self.spec, IntParam):
            return False
        try:
            value = int(self.line.text().strip()) + direction
        except ValueError:
            return False
        self.line.setText(str(value))
        self.edited.emit(True)
        return True

    def _on_line_text_edited(self, text: str) -> None:
        self.edited.emit(False)

    def _on_line_editing_finished(self) -> None:
        self.edited.emit(True)

    def _on_combo_activated(self, index: int) -> None:
        self.edited.emit(True)


class BoolEditorWidget(ParamEditorWidget):
    def __init__(self, spec: BoolParam, parent: QWidget | None = None):
        super().__init__(spec, parent)
        self.box = QCheckBox()
        self.box.toggled.connect(self._on_box_toggled)
        self.layout_.addWidget(self.box)

    def value(self) -> bool:
        return self.box.isChecked()

    def set_value(self, value: Any) -> None:
        self.box.blockSignals(True)
        self.box.setChecked(bool(value))
        self.box.blockSignals(False)

    def _on_box_toggled(self, checked: bool) -> None:
        self.edited.emit(True)


class ChoiceEditorWidget(ParamEditorWidget):
    def __init__(self, spec: ChoiceParam, parent: QWidget | None = None):
        super().__init__(spec, parent)
        self.combo = QComboBox()
        self.combo.addItems(list(spec.choices))
        self.combo.currentTextChanged.connect(self._on_combo_current_text_changed)
        self.layout_.addWidget(self.combo)

    def value(self) -> str:
        return self.combo.currentText()

    def set_value(self, value: Any) -> None:
        self.combo.blockSignals(True)
        self.combo.setCurrentText(str(value))
        self.combo.blockSignals(False)

    def _on_combo_current_text_changed(self, text: str) -> None:
        self.edited.emit(True)


def make_editor(spec: ParamSpec, parent: QWidget | None = None) -> ParamEditorWidget:
    if isinstance(spec, BoolParam):
        return BoolEditorWidget(spec, parent)
    if isinstance(spec, ChoiceParam):
        return ChoiceEditorWidget(spec, parent)
    return TextEditorWidget(spec, parent)
