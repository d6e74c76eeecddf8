"""Dark and light themes: one palette of named colours drives the Qt palette, the style
sheet (``resources/style/app.qss``, a template with ``@name`` placeholders) and the canvas.

``mode`` is ``"system"`` (follow ``QStyleHints.colorScheme``), ``"dark"`` or ``"light"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

RESOURCES = Path(__file__).resolve().parent.parent.parent / "resources"
MODES = ("system", "dark", "light")

#: Accent colour of each palette category (node header stripe, palette icons).
CATEGORY_COLORS = {
    "Input": "#14b8a6",
    "Stem": "#6366f1",
    "Branch": "#3b82f6",
    "Concat": "#a855f7",
    "Pooling": "#22c55e",
    "Aux head": "#f97316",
    "Layers": "#0ea5e9",
    "Merge": "#ec4899",
    "Heads": "#eab308",
}


@dataclass(frozen=True)
class Theme:
    name: str
    window: str
    panel: str
    base: str
    alt_base: str
    border: str
    text: str
    subtext: str
    accent: str
    accent_text: str
    error: str
    warning: str
    info: str
    ok: str
    # canvas
    canvas: str
    grid_minor: str
    grid_major: str
    node: str
    node_border: str
    node_header: str
    port: str
    edge: str
    label_bg: str
    group_fill: str
    group_border: str

    @property
    def dark(self) -> bool:
        return self.name == "dark"

    def color(self, key: str) -> QColor:
        return QColor(getattr(self, key))

    def category_color(self, category: str) -> QColor:
        return QColor(CATEGORY_COLORS.get(category, self.accent))


DARK = Theme(
    name="dark",
    window="#1e2127",
    panel="#23272e",
    base="#1a1d22",
    alt_base="#262a31",
    border="#353a44",
    text="#e3e6ea",
    subtext="#9aa3ae",
    accent="#4f8cff",
    accent_text="#ffffff",
    error="#f25f5c",
    warning="#f0b429",
    info="#5fa8f5",
    ok="#3ecf8e",
    canvas="#16181c",
    grid_minor="#1e2126",
    grid_major="#262a31",
    node="#2a2e36",
    node_border="#3d434e",
    node_header="#323741",
    port="#8b95a3",
    edge="#7b8494",
    label_bg="#23272e",
    group_fill="#4f8cff12",
    group_border="#4f8cff55",
)

LIGHT = Theme(
    name="light",
    window="#f3f4f6",
    panel="#fbfbfc",
    base="#ffffff",
    alt_base="#f6f7f9",
    border="#d9dce1",
    text="#1f2328",
    subtext="#5c6570",
    accent="#2f6fec",
    accent_text="#ffffff",
    error="#d93b36",
    warning="#c27c00",
    info="#2f7fd8",
    ok="#1f9d63",
    canvas="#f5f6f8",
    grid_minor="#eceef1",
    grid_major="#e0e3e8",
    node="#ffffff",
    node_border="#cdd2d9",
    node_header="#f1f3f6",
    port="#7d8795",
    edge="#8a93a1",
    label_bg="#ffffff",
    group_fill="#2f6fec0d",
    group_border="#2f6fec50",
)


def system_is_dark() -> bool:
    app = QGuiApplication.instance()
    if app is None:
        return False
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def resolve(mode: str) -> Theme:
    if mode == "dark":
        return DARK
    if mode == "light":
        return LIGHT
    return DARK if system_is_dark() else LIGHT


def _qcolor(value: str) -> QColor:
    if len(value) == 9:  # #rrggbbaa -> QColor wants #aarrggbb
        return QColor(f"#{value[7:9]}{value[1:7]}")
    return QColor(value)


def qcolor(value: str) -> QColor:
    return _qcolor(value)


def palette(theme: Theme) -> QPalette:
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: theme.window,
        QPalette.ColorRole.WindowText: theme.text,
        QPalette.ColorRole.Base: theme.base,
        QPalette.ColorRole.AlternateBase: theme.alt_base,
        QPalette.ColorRole.ToolTipBase: theme.panel,
        QPalette.ColorRole.ToolTipText: theme.text,
        QPalette.ColorRole.PlaceholderText: theme.subtext,
        QPalette.ColorRole.Text: theme.text,
        QPalette.ColorRole.Button: theme.panel,
        QPalette.ColorRole.ButtonText: theme.text,
        QPalette.ColorRole.BrightText: theme.error,
        QPalette.ColorRole.Highlight: theme.accent,
        QPalette.ColorRole.HighlightedText: theme.accent_text,
        QPalette.ColorRole.Link: theme.accent,
        QPalette.ColorRole.Mid: theme.border,
        QPalette.ColorRole.Midlight: theme.alt_base,
        QPalette.ColorRole.Dark: theme.border,
        QPalette.ColorRole.Light: theme.base,
    }
    for role, value in roles.items():
        pal.setColor(role, QColor(value))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor(theme.subtext))
    return pal


_STYLE_CACHE: dict[str, str] = {}


def style_sheet(theme: Theme) -> str:
    if theme.name not in _STYLE_CACHE:
        template = (RESOURCES / "style" / "app.qss").read_text(encoding="utf-8")
        values = {k: getattr(theme, k) for k in theme.__dataclass_fields__}
        values["icons"] = (RESOURCES / "icons").as_posix()
        # Longest names first so @node_border is not read as @node + _border.
        pattern = re.compile("@(" + "|".join(sorted(values, key=len, reverse=True)) + ")")
        _STYLE_CACHE[theme.name] = pattern.sub(lambda m: values[m.group(1)], template)
    return _STYLE_CACHE[theme.name]


def apply(app: QApplication, theme: Theme) -> None:
    """Set the Fusion style, the palette and the style sheet of the whole application."""
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    app.setPalette(palette(theme))
    app.setStyleSheet(style_sheet(theme))
