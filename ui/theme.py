"""Light and dark themes: Qt's Fusion style, a matching palette, and a style sheet from
``resources/themes/<name>.qss`` (which also colours the painted order cards)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from ui.resources import resource_path

THEMES = ("light", "dark")
DEFAULT_THEME = "light"

# The palette under the style sheet, for what it does not style (menus, scroll bars,
# tool tips, item views' text).
_PALETTES: dict[str, dict[QPalette.ColorRole, str]] = {
    "light": {
        QPalette.ColorRole.Window: "#eef1f5",
        QPalette.ColorRole.WindowText: "#111827",
        QPalette.ColorRole.Base: "#ffffff",
        QPalette.ColorRole.AlternateBase: "#f5f7fa",
        QPalette.ColorRole.Text: "#111827",
        QPalette.ColorRole.Button: "#ffffff",
        QPalette.ColorRole.ButtonText: "#111827",
        QPalette.ColorRole.Highlight: "#f97316",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#ffffff",
        QPalette.ColorRole.ToolTipText: "#111827",
        QPalette.ColorRole.PlaceholderText: "#7b8594",
    },
    "dark": {
        QPalette.ColorRole.Window: "#14181f",
        QPalette.ColorRole.WindowText: "#e5e7eb",
        QPalette.ColorRole.Base: "#1d232c",
        QPalette.ColorRole.AlternateBase: "#232a34",
        QPalette.ColorRole.Text: "#e5e7eb",
        QPalette.ColorRole.Button: "#2a313c",
        QPalette.ColorRole.ButtonText: "#f3f4f6",
        QPalette.ColorRole.Highlight: "#ea580c",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#2a313c",
        QPalette.ColorRole.ToolTipText: "#f3f4f6",
        QPalette.ColorRole.PlaceholderText: "#8b95a3",
    },
}


def style_sheet(name: str) -> str:
    return resource_path(f"themes/{name}.qss").read_text(encoding="utf-8")


def apply_theme(app: QApplication, name: str) -> str:
    """Switch the whole application to theme ``name`` (unknown names: the default)."""
    if name not in THEMES:
        name = DEFAULT_THEME
    app.setStyle("Fusion")
    palette = QPalette()
    for role, color in _PALETTES[name].items():
        palette.setColor(role, QColor(color))
    app.setPalette(palette)
    app.setStyleSheet(style_sheet(name))
    return name
