"""Undoable variant edits: duplicate as variant, switch, rename, delete (one undo step each).

Each command keeps the project's variant state before and after (plain data, see
:func:`designer.graph.variants.state`) and restores one or the other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QUndoCommand

from ..graph import variants
from ..graph.document import GraphDocument


class VariantCommand(QUndoCommand):
    """Run ``action(doc)`` once (it raises GraphError before anything changes, or succeeds);
    undo and redo restore the states around it."""

    def __init__(self, doc: GraphDocument, text: str, action: Callable[[GraphDocument], Any]):
        super().__init__()
        self.doc = doc
        self.before = variants.state(doc)
        self.result = action(doc)
        self.after = variants.state(doc)
        self._first = True
        self.setText(text)

    def redo(self) -> None:
        if self._first:  # already done in __init__ (so a refused edit never reaches the stack)
            self._first = False
            return
        variants.restore(self.doc, self.after)

    def undo(self) -> None:
        variants.restore(self.doc, self.before)


def duplicate_command(doc: GraphDocument, name: str | None = None) -> VariantCommand:
    return VariantCommand(doc, "Duplicate as variant", lambda d: variants.duplicate(d, name))


def switch_command(doc: GraphDocument, name: str) -> VariantCommand:
    return VariantCommand(doc, f"Switch to variant {name}", lambda d: variants.switch(d, name))


def rename_command(doc: GraphDocument, old: str, new: str) -> VariantCommand:
    return VariantCommand(doc, f"Rename variant {old} to {new}", lambda d: variants.rename(d, old, new))


def delete_command(doc: GraphDocument, name: str) -> VariantCommand:
    return VariantCommand(doc, f"Delete variant {name}", lambda d: variants.delete(d, name))
