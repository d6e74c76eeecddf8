"""Persistent preferences (theme, recent files, window layout) in QSettings."""

from __future__ import annotations

from PySide6.QtCore import QSettings

ORG, APP = "inception-designer", "Inception Designer"


def app_settings() -> QSettings:
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORG, APP)
