"""A dock that redraws from the session's validation report: debounced, and only while visible."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDockWidget, QWidget

from .session import Session


class ReportDock(QDockWidget):
    """Subclasses implement :meth:`refresh`; it runs ``delay_ms`` after the last report change
    while the dock is visible, or when a hidden dock with a stale view is shown."""

    def __init__(self, title: str, parent: QWidget | None, delay_ms: int):
        super().__init__(title, parent)
        self.session: Session | None = None
        self._dirty = True
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.refresh)
        self.visibilityChanged.connect(self._on_self_visibility_changed)

    def set_session(self, session: Session) -> None:
        if self.session is not None:
            self.session.report_changed.disconnect(self._on_session_report_changed)
        self.session = session
        session.report_changed.connect(self._on_session_report_changed)
        self._on_session_report_changed(session.report)

    def _on_session_report_changed(self, report) -> None:
        self._dirty = True
        if self.isVisible():
            self._timer.start()

    def _on_self_visibility_changed(self, visible: bool) -> None:
        if visible and self._dirty:
            self._timer.start()

    def refresh(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError
