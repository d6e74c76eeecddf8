"""Code: the PyTorch source the design exports to, read-only with Python highlighting.

``designer.compiler.codegen`` is imported lazily (never on the start-up path) and only
while the dock is visible; a missing module or a design that cannot be exported yet
shows a friendly message instead of code. A design with modules shows one class per
definition; a definition's tab shows that definition's class, run alone on the input of the
instance the tab shows (or on its preview shape).
"""

from __future__ import annotations

import importlib
import keyword
import re
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from ..graph.modules import ModuleDef
from .report_dock import ReportDock
from .theme import Theme

_DARK = {
    "keyword": "#c792ea",
    "builtin": "#82aaff",
    "string": "#c3e88d",
    "number": "#f78c6c",
    "comment": "#697386",
    "decorator": "#ffcb6b",
    "defname": "#82aaff",
    "self": "#f07178",
}
_LIGHT = {
    "keyword": "#8b2fc9",
    "builtin": "#1f5fbf",
    "string": "#2f7d32",
    "number": "#b35900",
    "comment": "#7a8290",
    "decorator": "#9a6700",
    "defname": "#1f5fbf",
    "self": "#c0392b",
}


class PythonHighlighter(QSyntaxHighlighter):
    RULES = [
        ("keyword", r"\b(?:" + "|".join(keyword.kwlist) + r")\b"),
        ("builtin", r"\b(?:int|float|str|bool|list|tuple|dict|super|len|range|print|isinstance|None|True|False)\b"),
        ("self", r"\bself\b"),
        ("decorator", r"@\w+(?:\.\w+)*"),
        ("number", r"\b\d+(?:\.\d+)?(?:e-?\d+)?\b"),
        ("defname", r"(?<=\bdef )\w+|(?<=\bclass )\w+"),
        ("string", r"'[^'\\\n]*(?:\\.[^'\\\n]*)*'|\"[^\"\\\n]*(?:\\.[^\"\\\n]*)*\""),
        ("comment", r"#[^\n]*"),
    ]

    def __init__(self, document: QTextDocument, dark: bool):
        super().__init__(document)
        self._compiled = [(name, re.compile(pattern)) for name, pattern in self.RULES]
        self.set_dark(dark)

    def set_dark(self, dark: bool) -> None:
        colors = _DARK if dark else _LIGHT
        self.formats = {}
        for name, color in colors.items():
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(color))
            if name in ("keyword", "defname"):
                fmt.setFontWeight(QFont.Weight.DemiBold)
            if name == "comment":
                fmt.setFontItalic(True)
            self.formats[name] = fmt
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        for name, pattern in self._compiled:
            for m in pattern.finditer(text):
                self.setFormat(m.start(), m.end() - m.start(), self.formats[name])
        # Triple-quoted docstrings spanning lines.
        self.setCurrentBlockState(0)
        start = 0 if self.previousBlockState() == 1 else -1
        if start == -1:
            m = re.search(r'"""|\'\'\'', text)
            if m is None:
                return
            start = m.start()
            search_from = m.end()
        else:
            search_from = 0
        end = re.search(r'"""|\'\'\'', text[search_from:])
        if end is None:
            self.setCurrentBlockState(1)
            self.setFormat(start, len(text) - start, self.formats["string"])
        else:
            self.setFormat(start, search_from + end.end() - start, self.formats["string"])


class CodeDock(ReportDock):
    #: The Export… button was pressed (the window opens its export dialog).
    export_requested = Signal()

    def __init__(self, theme: Theme, parent: QWidget | None = None):
        super().__init__("Code", parent, delay_ms=400)
        self.setObjectName("CodeDock")
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("codeView")
        self.editor.setReadOnly(True)
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        font = QFont("DejaVu Sans Mono")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSizeF(9.5)
        self.editor.setFont(font)
        self.highlighter = PythonHighlighter(self.editor.document(), theme.dark)
        self.export_button = QPushButton("Export…")
        self.export_button.setObjectName("exportButton")
        self.export_button.setToolTip("Write this code with its weights and a training script, or ONNX (Ctrl+E)")
        self.export_button.clicked.connect(self.export_requested)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 4)
        bar.addStretch(1)
        bar.addWidget(self.export_button)
        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addLayout(bar)
        column.addWidget(self.editor, 1)
        self.setWidget(body)

    def set_theme(self, theme: Theme) -> None:
        self.highlighter.set_dark(theme.dark)

    def refresh(self) -> None:
        if self.session is None:
            return
        self._dirty = False
        self.set_text(self.generate())

    def generate(self) -> str:
        assert self.session is not None
        rep = self.session.report
        if not rep.ok:
            lines = "\n".join(f"#   - {d.message}" for d in rep.errors[:8])
            return f"# The design has problems, so there is no code to show yet:\n{lines}\n# (see the Problems panel)\n"
        try:
            codegen = importlib.import_module("designer.compiler.codegen")
        except ImportError:
            return "# Code export is not available in this build (designer.compiler.codegen is missing).\n"
        try:
            definition = self._definition()
            if definition is None:
                return codegen.generate(self.session.doc, self.session.report)
            return self._definition_code(codegen, definition)
        except Exception as exc:  # noqa: BLE001 - any failure is shown, never raised into Qt
            return f"# The code generator could not export this design:\n# {type(exc).__name__}: {exc}\n"

    def _definition(self) -> ModuleDef | None:
        """The module definition whose body the session shows (a definition's tab), or None."""
        doc = self.session.doc if self.session is not None else None
        if doc is None or not doc.has_library:
            return None
        return next((d for d in doc.library.defs.values() if d.body is doc), None)

    def _definition_code(self, codegen: Any, definition: ModuleDef) -> str:
        """The definition's class, used alone on the shown instance's input with its values."""
        bindings = self.session.bindings if self.session is not None else None
        shapes, values = None, {}
        if bindings is not None:
            shapes = [bindings.shapes[p] for p in definition.input_ports() if p in bindings.shapes] or None
            for e in definition.exposed:
                if e.node_id in bindings.params and e.param in bindings.params[e.node_id]:
                    values[e.name] = bindings.params[e.node_id][e.param]
        where = (
            f"the input of {self.session.bindings_for}" if bindings is not None and self.session.bindings_for else ""
        )
        try:
            code = codegen.generate_definition(definition, shapes, values)
        except codegen.CompileError as exc:
            return f"# {exc}\n"
        head = (
            f"# Module {definition.name}, alone on {where or 'its preview input'}. The design's code has every class.\n"
        )
        return head + code

    def set_text(self, text: str) -> None:
        if text == self.editor.toPlainText():
            return
        bar = self.editor.verticalScrollBar()
        pos = bar.value()
        self.editor.setPlainText(text)
        bar.setValue(pos)
