"""Diagnostics are data: what is wrong, where, how bad, and a fix the UI can apply."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Severity", "Fix", "Diagnostic"]


class Severity:
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Fix:
    """Parameter changes that repair a problem: ``changes`` is ``((node_id, param, value), ...)``."""

    label: str
    changes: tuple[tuple[str, str, Any], ...]

    def apply(self, doc: Any) -> None:
        """Apply to a :class:`GraphDocument` (the UI wraps this in one undo step)."""
        for node_id, param, value in self.changes:
            doc.set_param(node_id, param, value)


@dataclass(frozen=True)
class Diagnostic:
    """One problem.

    ``node_id`` is where it shows (for a merge mismatch: the merge); ``param`` the field to
    flag in the inspector; ``edge_ids`` the edges to draw in red; ``cause_id`` the upstream
    node that caused it, when traced.
    """

    severity: str
    code: str
    message: str
    node_id: str | None = None
    port: str | None = None
    param: str | None = None
    edge_ids: tuple[str, ...] = ()
    cause_id: str | None = None
    fix: Fix | None = None
    related: tuple[str, ...] = field(default=())

    @property
    def is_error(self) -> bool:
        return self.severity == Severity.ERROR

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"severity": self.severity, "code": self.code, "message": self.message}
        for key in ("node_id", "port", "param", "cause_id"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.edge_ids:
            out["edge_ids"] = list(self.edge_ids)
        if self.fix is not None:
            out["fix"] = {"label": self.fix.label, "changes": [list(c) for c in self.fix.changes]}
        return out
