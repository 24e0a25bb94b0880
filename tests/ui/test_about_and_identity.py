"""The app's identity on screen: version in the title, the icon on the app and its windows,
Help → About with versions, folders and dependency licences."""

from __future__ import annotations

import platform

import PySide6
import pytest
from PySide6.QtCore import QSize, qVersion
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QPushButton, QTreeWidget

from desktop_app import APP_ID, __version__
from desktop_app.storage import paths
from desktop_app.ui.app_icon import ICON_SIZES, app_icon, icon_file
from tests.ui.harness import find, running_window
from tests.viewmodels.sandbox import wait_for

# The offscreen platform says these (docks, dialogs, raising a window); a real screen does not.
pytestmark = pytest.mark.qt_log_ignore(
    "This plugin does not support propagateSizeHints", "This plugin does not support raise"
)


def test_the_icon_ships_at_every_size(qapp) -> None:
    for size in ICON_SIZES:
        assert icon_file(size).is_file(), icon_file(size)
    icon = app_icon()
    assert not icon.isNull()
    assert {s.width() for s in icon.availableSizes()} == set(ICON_SIZES)
    # Drawn, not blank: the 32 px pixmap has opaque pixels in the middle.
    image = icon.pixmap(QSize(32, 32)).toImage()
    assert image.width() == 32 and image.pixelColor(16, 16).alpha() == 255


def test_window_title_icon_and_about_dialog(capital_sim, qtbot, qrun, isolated_dirs):
    async def scenario():
        async with running_window(capital_sim, qtbot) as window:
            assert window.windowTitle() == f"Trading Dashboard {__version__}"
            app = QApplication.instance()
            assert not app.windowIcon().isNull()
            assert QGuiApplication.desktopFileName() == APP_ID
            assert not window.windowIcon().isNull()
            assert window.windowIcon().cacheKey() == app.windowIcon().cacheKey()

            about_action = window.findChild(QAction, "menu.about")
            assert about_action is not None and about_action in window.help_menu.actions()
            about_action.trigger()
            dialog = window.findChild(QDialog, "aboutDialog")
            assert dialog is not None and dialog.isVisible()
            assert not dialog.windowIcon().isNull()  # every window carries the app icon

            def text(name: str) -> str:
                return find(dialog, QLabel, name).text()

            assert __version__ in text("about.title") and __version__ in text("about.version")
            assert text("about.qt") == qVersion()
            assert text("about.pyside") == PySide6.__version__
            assert text("about.python").startswith(platform.python_version())
            # The folders the app really uses (the test's own, by TRADING_DASHBOARD_HOME).
            assert text("about.configDir") == str(paths.config_dir()) == str(
                isolated_dirs / "config")
            assert text("about.dataDir") == str(paths.data_dir())
            assert text("about.logDir") == str(paths.log_dir()) == str(isolated_dirs / "logs")

            licences = find(dialog, QTreeWidget, "about.licences")
            await wait_for(lambda: licences.topLevelItemCount() > 0, what="the licences")
            rows = {
                licences.topLevelItem(i).text(0).lower(): (
                    licences.topLevelItem(i).text(1), licences.topLevelItem(i).text(2))
                for i in range(licences.topLevelItemCount())
            }
            for dependency in ("pyside6_essentials", "httpx", "qasync", "keyring", "numpy"):
                assert dependency in rows, sorted(rows)
                assert rows[dependency][0] and rows[dependency][1] not in ("", "not stated")
            assert "LGPL" in rows["pyside6_essentials"][1]
            assert "pytest" not in rows  # the test extra is no dependency of the app
            assert f"{len(rows)} packages" in text("about.licencesStatus")

            find(dialog, QPushButton, "about.copy").click()
            copied = QGuiApplication.clipboard().text()
            assert f"Trading Dashboard {__version__}" in copied
            assert str(isolated_dirs / "logs") in copied and "httpx" in copied

            # Asked again, the same dialog comes back (no second instance).
            about_action.trigger()
            assert window.findChildren(QDialog, "aboutDialog") == [dialog]
            dialog.close()

            window.open_profiles()
            assert not window.profiles_dialog.windowIcon().isNull()
            window.profiles_dialog.close()

    qrun(scenario(), timeout=60)
