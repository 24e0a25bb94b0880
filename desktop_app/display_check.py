"""Say plainly why no window can open, instead of Qt's plugin error and abort()."""

from __future__ import annotations

import ctypes.util
import os
import sys
from pathlib import Path

# Qt >= 6.5's xcb platform plugin loads these at start-up; without them Qt aborts.
XCB_LIBRARIES = {
    "xcb-cursor": "libxcb-cursor0",
    "xcb-icccm": "libxcb-icccm4",
    "xcb-keysyms": "libxcb-keysyms1",
}
HEADLESS_PLATFORMS = {"offscreen", "minimal", "vnc", "linuxfb", "eglfs", "minimalegl"}


def _has_library(name: str) -> bool:
    if ctypes.util.find_library(name) is not None:
        return True
    # A PyInstaller bundle carries its own copies beside the Qt it ships, where the
    # system's library search does not look.
    bundled = getattr(sys, "_MEIPASS", None)
    return bool(bundled) and any(Path(bundled).glob(f"lib{name}.so*"))


def display_problem(environ: dict[str, str] | None = None, platform: str = sys.platform) -> str:
    """An actionable message if Qt will not be able to open a window, else ''."""
    env = os.environ if environ is None else environ
    requested = env.get("QT_QPA_PLATFORM", "").split(":")[0].strip().lower()
    if requested in HEADLESS_PLATFORMS or not platform.startswith("linux"):
        return ""
    wayland = bool(env.get("WAYLAND_DISPLAY")) and requested in ("", "wayland", "wayland-egl")
    if wayland:
        return ""
    if not env.get("DISPLAY"):
        return (
            "No display to open the window on: DISPLAY is not set.\n"
            "Run the app inside a desktop session, or on a server start a virtual one:\n"
            "  sudo apt-get install -y xvfb && Xvfb :99 & export DISPLAY=:99\n"
            "To check the app without a screen: trading-dashboard --smoke"
        )
    missing = [pkg for lib, pkg in XCB_LIBRARIES.items() if not _has_library(lib)]
    if missing:
        return (
            "Qt needs system libraries that are not installed: " + ", ".join(missing) + ".\n"
            "On Debian/Ubuntu: sudo apt-get install -y " + " ".join(missing)
        )
    return ""
