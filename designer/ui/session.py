"""One open design: the document, its undo stack, its file and its latest analysis.

There is one way for a change to travel: a command changes the document, the document
emits a typed event (relayed as ``changed`` so that widgets connect with Qt's lifetime
rules), and the session analyses the design once (validation, costs and design advice
together) and publishes ``report_changed``. Views render ``report``, ``costs`` and
``advice`` as they are handed; nothing re-validates on its own.

When the analysis runs: right after every undo-stack step (push, undo, redo, a merged
keystroke), so the canvas shows the truth as soon as the command returns; and, for
changes that do not come through the stack (a document loaded or built in code), once
per event-loop turn after any number of them.

A session can show a module definition's body (a definition tab): it then shares the
project's undo stack (``undo_stack``), and ``bindings`` says, at each analysis, which
instance's input shapes and exposed values to validate the body for (None: the body's own
preview shapes). The analysis re-runs when the document changed or when the bindings did
(the design around the instance changed); :meth:`flush` checks both.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from ..graph.cost import CostReport, compute_costs
from ..graph.diagnostics import Diagnostic
from ..graph.document import DocEvent, GraphDocument
from ..graph.lint import lint
from ..graph.validate import Bindings, Report, validate

_CURRENT = object()  # "ask the bindings provider"


#: Advice about a whole network (its receptive field, aux heads, input sizes), not shown for a module body.
_NETWORK_ADVICE = frozenset({"receptive-field", "aux-heads", "input-sizes"})


class Session(QObject):
    changed = Signal(object)  # DocEvent
    report_changed = Signal(object)  # Report

    def __init__(
        self,
        doc: GraphDocument,
        path: str | Path | None = None,
        parent: QObject | None = None,
        *,
        undo_stack: QUndoStack | None = None,
        bindings: Callable[[], Bindings | None] | None = None,
    ):
        super().__init__(parent)
        self.doc = doc
        self.path: Path | None = Path(path) if path else None
        #: The stack commands go on: the session's own, or the project's (a definition tab).
        self.undo_stack = undo_stack if undo_stack is not None else QUndoStack(self)
        self._bindings_provider = bindings
        #: The bindings the current report was validated with (None: preview shapes), and the
        #: name of the instance they are for (set by a definition tab, for display).
        self.bindings: Bindings | None = None
        self.bindings_for = ""
        self.report: Report
        self.costs: CostReport
        #: Design advice (graph/lint.py) for the current report; shown in Problems, not on the canvas.
        self.advice: list[Diagnostic]
        #: How many times the design was analysed (tests check it runs once per change).
        self.analyses = 0
        self._analyse()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._on_timer_timeout)
        self.undo_stack.indexChanged.connect(self._on_undo_stack_index_changed)
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
        if self.undo_stack.parent() is not self:  # a shared stack outlives this session
            self.undo_stack.indexChanged.disconnect(self._on_undo_stack_index_changed)

    # ----------------------------------------------------------------- analysis
    @property
    def stale(self) -> bool:
        """The document changed since the last analysis (one is scheduled)."""
        return self.report.revision != self.doc.revision

    def _current_bindings(self) -> Bindings | None:
        return self._bindings_provider() if self._bindings_provider is not None else None

    def _analyse(self, bindings: Bindings | None | object = _CURRENT) -> None:
        if bindings is _CURRENT:
            bindings = self._current_bindings()
        self.bindings = bindings
        self.report = validate(self.doc, bindings)
        self.costs = compute_costs(self.doc, self.report)
        advice = lint(self.doc, self.report, costs=self.costs)
        if self._bindings_provider is not None:
            # A module's body is part of a network: whole-network advice does not apply.
            advice = [d for d in advice if d.code not in _NETWORK_ADVICE]
        self.advice = advice
        self.analyses += 1

    def _on_doc_event(self, event: DocEvent) -> None:
        self.changed.emit(event)
        if not self._timer.isActive():
            self._timer.start()

    def _on_undo_stack_index_changed(self, index: int) -> None:
        self.flush()

    def _on_timer_timeout(self) -> None:
        self.flush()

    def flush(self) -> Report:
        """Analyse now if the document (or the bindings) changed since the last analysis;
        returns the report."""
        bindings = self._current_bindings()  # (may analyse the design around an instance first)
        if self.stale or bindings != self.bindings:
            self.revalidate(bindings)
        return self.report

    def revalidate(self, bindings: Bindings | None | object = _CURRENT) -> Report:
        """Analyse the design now and hand the result to every view."""
        self._timer.stop()
        self._analyse(bindings)
        self.report_changed.emit(self.report)
        return self.report
