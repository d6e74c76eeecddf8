"""Autosave and crash recovery, without Qt (the UI decides when to call these).

Each open document autosaves to ``<data dir>/autosave/<key>.json`` next to a small
``<key>.meta.json`` that records the original path and time. A clean close removes
both; whatever is left at the next start is offered for recovery.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from ..graph.document import GraphDocument
from .project import ProjectError, atomic_write_text, dumps, load

__all__ = ["data_dir", "Autosaver", "Recoverable", "recoverable"]


def data_dir() -> Path:
    """Per-user data directory (``$INCEPTION_DESIGNER_HOME`` overrides; XDG elsewhere)."""
    override = os.environ.get("INCEPTION_DESIGNER_HOME")
    if override:
        return Path(override)
    if os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif os.uname().sysname == "Darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "inception-designer"


@dataclass(frozen=True)
class Recoverable:
    path: Path
    original: str | None
    saved_at: float

    def load(self) -> GraphDocument:
        return load(self.path)

    def discard(self) -> None:
        for p in (self.path, self.path.with_suffix(".meta.json")):
            p.unlink(missing_ok=True)


class Autosaver:
    """Writes one document's autosave file; ``key`` identifies the window/session."""

    def __init__(self, key: str, directory: Path | None = None):
        self.dir = (directory or data_dir()) / "autosave"
        self.path = self.dir / f"{key}.json"
        self._last_revision: int | None = None

    def save(self, doc: GraphDocument, original: str | os.PathLike[str] | None = None, *, force: bool = False) -> bool:
        """Autosave if the document changed since the last call; returns whether it wrote."""
        if not force and doc.revision == self._last_revision:
            return False
        atomic_write_text(self.path, dumps(doc))
        meta = {"original": str(original) if original else None, "saved_at": time.time()}
        atomic_write_text(self.path.with_suffix(".meta.json"), json.dumps(meta) + "\n")
        self._last_revision = doc.revision
        return True

    def discard(self) -> None:
        Recoverable(self.path, None, 0).discard()
        self._last_revision = None


def recoverable(directory: Path | None = None) -> list[Recoverable]:
    """Autosaves left behind by a session that did not close cleanly, newest first."""
    folder = (directory or data_dir()) / "autosave"
    out = []
    for p in folder.glob("*.json"):
        if p.name.endswith(".meta.json"):
            continue
        try:
            meta = json.loads(p.with_suffix(".meta.json").read_text(encoding="utf-8"))
            original, saved = meta.get("original"), float(meta.get("saved_at", 0))
        except (OSError, ValueError, AttributeError, TypeError):
            original, saved = None, p.stat().st_mtime
        out.append(Recoverable(p, original, saved))
    return sorted(out, key=lambda r: r.saved_at, reverse=True)


__all__ += ["ProjectError"]
