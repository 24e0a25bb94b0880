"""Dark and light themes: a Fusion palette plus a few style-sheet touches."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

_DARK = {
    QPalette.ColorRole.Window: "#202225",
    QPalette.ColorRole.WindowText: "#e6e6e6",
    QPalette.ColorRole.Base: "#17181a",
    QPalette.ColorRole.AlternateBase: "#1f2023",
    QPalette.ColorRole.ToolTipBase: "#2b2d31",
    QPalette.ColorRole.ToolTipText: "#e6e6e6",
    QPalette.ColorRole.Text: "#e6e6e6",
    QPalette.ColorRole.Button: "#2b2d31",
    QPalette.ColorRole.ButtonText: "#e6e6e6",
    QPalette.ColorRole.BrightText: "#ff6b6b",
    QPalette.ColorRole.Highlight: "#3d6fb6",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#6ea8ff",
    QPalette.ColorRole.PlaceholderText: "#8a8a8a",
}
_LIGHT = {
    QPalette.ColorRole.Window: "#f3f3f3",
    QPalette.ColorRole.WindowText: "#1b1b1b",
    QPalette.ColorRole.Base: "#ffffff",
    QPalette.ColorRole.AlternateBase: "#f5f7fa",
    QPalette.ColorRole.ToolTipBase: "#ffffdc",
    QPalette.ColorRole.ToolTipText: "#1b1b1b",
    QPalette.ColorRole.Text: "#1b1b1b",
    QPalette.ColorRole.Button: "#e8e8e8",
    QPalette.ColorRole.ButtonText: "#1b1b1b",
    QPalette.ColorRole.BrightText: "#c62828",
    QPalette.ColorRole.Highlight: "#3d6fb6",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#1a5fb4",
    QPalette.ColorRole.PlaceholderText: "#808080",
}

STYLE = """
QPushButton#orderTicket\\.buyButton { background: #1f6feb; color: white; font-weight: bold;
    padding: 8px; border-radius: 4px; }
QPushButton#orderTicket\\.sellButton { background: #c62828; color: white; font-weight: bold;
    padding: 8px; border-radius: 4px; }
QPushButton#orderTicket\\.buyButton:disabled, QPushButton#orderTicket\\.sellButton:disabled {
    background: #6b6b6b; color: #d0d0d0; }
QLabel#orderTicket\\.environment[live="true"] { background: #c62828; color: white;
    font-weight: bold; padding: 4px; border-radius: 3px; }
QLabel#orderTicket\\.environment[live="false"] { background: #2e7d32; color: white;
    font-weight: bold; padding: 4px; border-radius: 3px; }
QLabel#orderTicket\\.bid, QLabel#orderTicket\\.offer { font-size: 18px; font-weight: bold; }
"""

CHART_COLOURS = {
    "dark": {"background": "#17181a", "foreground": "#d0d0d0"},
    "light": {"background": "#ffffff", "foreground": "#303030"},
}


def palette(theme: str) -> QPalette:
    pal = QPalette()
    for role, colour in (_DARK if theme == "dark" else _LIGHT).items():
        pal.setColor(role, QColor(colour))
    disabled = QColor("#6b6b6b") if theme == "dark" else QColor("#a0a0a0")
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText,
                 QPalette.ColorRole.WindowText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return pal


def apply_theme(theme: str) -> None:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    app.setPalette(palette(theme))
    app.setStyleSheet(STYLE)
