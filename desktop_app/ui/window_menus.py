"""Menu entries of the main window that are not panels' own: File → Export and Alerts,
View → Theme (following the OS colour scheme unless overridden) and Reset layout, and
Help → Keyboard shortcuts."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication
from PySide6.QtWidgets import QMenu

from desktop_app.viewmodels.app_vm import AppViewModel

THEME_LABELS = (("system", "Follow the system"), ("dark", "Dark"), ("light", "Light"))


def system_theme() -> str:
    """The OS colour scheme as a theme name ("" when the platform says none)."""
    hints = QGuiApplication.styleHints()
    scheme = hints.colorScheme() if hints is not None else Qt.ColorScheme.Unknown
    return {Qt.ColorScheme.Dark: "dark", Qt.ColorScheme.Light: "light"}.get(scheme, "")


def follow_system_theme(vm: AppViewModel) -> None:
    """Tell the view-model the OS scheme now and whenever it changes (Qt 6.5+)."""
    vm.set_system_theme(system_theme())
    hints = QGuiApplication.styleHints()
    if hints is not None:
        hints.colorSchemeChanged.connect(lambda _scheme: vm.set_system_theme(system_theme()))


def theme_menu(menu: QMenu, vm: AppViewModel, owner: QObject) -> dict[str, QAction]:
    """View → Theme: follow the system (the default), or Dark / Light as overrides."""
    sub = menu.addMenu("&Theme")
    sub.setObjectName("menu.themeMenu")
    group = QActionGroup(owner)
    group.setExclusive(True)
    actions: dict[str, QAction] = {}
    for choice, label in THEME_LABELS:
        action = QAction(label, owner)
        action.setObjectName(f"menu.theme.{choice}")
        action.setCheckable(True)
        action.setChecked(vm.theme_choice == choice)
        action.triggered.connect(lambda _=False, c=choice: vm.set_theme(c))
        group.addAction(action)
        sub.addAction(action)
        actions[choice] = action
    vm.themeChoiceChanged.connect(
        lambda choice: actions[choice].setChecked(True) if choice in actions else None)
    return actions


def add_action(menu: QMenu, owner: QObject, text: str, name: str,
               slot: Callable[[], object], *, before: QAction | None = None) -> QAction:
    action = QAction(text, owner)
    action.setObjectName(name)
    action.triggered.connect(lambda _=False: slot())
    if before is not None:
        menu.insertAction(before, action)
    else:
        menu.addAction(action)
    return action
