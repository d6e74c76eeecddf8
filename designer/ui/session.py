"""One open design: the document, its undo stack, its file and its latest validation report.

Document events are relayed as a Qt signal (``changed``) so that widgets connect with
Qt's lifetime rules instead of holding Python listeners; validation runs once per
event-loop turn after any number of changes and publishes ``report_changed``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from ..graph.cost import CostReport, compute_costs
from ..graph.diagnostics import Diagnostic
from ..graph.document import DocEvent, GraphDocument
from ..graph.lint import lint
from ..graph.validate import Report, validate


class Session(QObject):
    changed = Signal(object)  # DocEvent
    report_changed = Signal(object)  # Report

    def __init__(self, doc: GraphDocument, path: str | Path | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.doc = doc
        self.path: Path | None = Path(path) if path else None
        self.undo_stack = QUndoStack(self)
        self.report: Report = validate(doc)
        #: Design advice (graph/lint.py) for the current report; shown in Problems, not on the canvas.
        self.advice: list[Diagnostic] = lint(doc, self.report)
        self._costs: CostReport | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._unsubscribe = doc.subscribe(self._on_doc_event)

    # ------------------------------------------------------------------ editing
    def push(self, command: QUndoCommand) -> None:
        self.undo_stack.push(command)

    @property
    def title(self) -> str:
        return self.path.name if self.path else (self.doc.name or "Untitled")

    def close(self) -> None:
        self._unsubscribe()
        self._timer.stop()

    # --------------------------------------------------------------- validation
    def _on_doc_event(self, event: DocEvent) -> None:
        self.changed.emit(event)
        self._costs = None
        if not self._timer.isActive():
            self._timer.start()

    def _on_timer_timeout(self) -> None:
        self.revalidate()

    def revalidate(self) -> Report:
        """Validate now (also called by tests to skip the event-loop turn)."""
        self._timer.stop()
        self.report = validate(self.doc)
        self.advice = lint(self.doc, self.report)
        self._costs = None
        self.report_changed.emit(self.report)
        return self.report

    @property
    def costs(self) -> CostReport:
        if self._costs is None:
            if self.report.revision != self.doc.revision:
                self.revalidate()
            self._costs = compute_costs(self.doc, self.report)
        return self._costs
