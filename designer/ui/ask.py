"""Small questions to the user (a name), asked the same way everywhere."""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QLineEdit, QWidget

__all__ = ["ask_name"]


def ask_name(parent: QWidget | None, title: str, label: str, default: str) -> str | None:
    """A name from the user (surrounding spaces removed), or None when cancelled. The dialog is
    wide enough for a long name and selects the current one, so typing replaces it."""
    dialog = QInputDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setLabelText(label)
    dialog.setTextEchoMode(QLineEdit.EchoMode.Normal)
    dialog.setTextValue(default)
    dialog.setMinimumWidth(380)
    dialog.resize(max(380, dialog.sizeHint().width()), dialog.sizeHint().height())
    if dialog.exec() != QInputDialog.DialogCode.Accepted:
        return None
    return dialog.textValue().strip()
