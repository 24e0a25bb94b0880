"""The app's identity towards the desktop: its icon on every window, its desktop file name."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QGuiApplication, QIcon

import desktop_app
from desktop_app import APP_ID

# Rendered from resources/icons/trading-dashboard.svg by packaging/make_icons.py and
# shipped inside the package (wheel and bundle) as a freedesktop hicolor tree.
ICON_THEME_DIR = Path(desktop_app.__file__).resolve().parent / "resources" / "icons" / "hicolor"
ICON_SIZES = (16, 32, 48, 64, 128, 256)


def icon_file(size: int) -> Path:
    return ICON_THEME_DIR / f"{size}x{size}" / "apps" / f"{APP_ID}.png"


def app_icon() -> QIcon:
    """The app icon at every size it ships; a null icon only if the files are missing."""
    icon = QIcon()
    for size in ICON_SIZES:
        path = icon_file(size)
        if path.is_file():
            icon.addFile(str(path), QSize(size, size))
    return icon


def apply_app_identity(app: QGuiApplication) -> QIcon:
    """Every window without an icon of its own (dialogs included) shows the app icon; the
    desktop file name lets a shell (Wayland app_id, task bars) match windows to the
    installed launcher."""
    icon = app_icon()
    app.setWindowIcon(icon)
    app.setDesktopFileName(APP_ID)
    return icon
