"""Alerts on the desktop: the system tray's message where the desktop has a tray, a toast
in the window's corner where it has none (or the tray cannot show messages), and a beep
when the trader asked for sound. What is shown is the view-model's ``Alert``."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QSystemTrayIcon,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.viewmodels.alerts_vm import Alert, AlertsViewModel

TOAST_MS = 8000
MAX_TOASTS = 4
TOAST_WIDTH = 360
MARGIN = 16
WARNING_STYLE = "QFrame#alerts\\.toast { border-left: 4px solid #d64545; }"
INFO_STYLE = "QFrame#alerts\\.toast { border-left: 4px solid #3d8bfd; }"


class Toast(QFrame):
    dismissed = Signal()

    def __init__(self, alert: Alert, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("alerts.toast")
        self.alert = alert
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setStyleSheet(WARNING_STYLE if alert.warning else INFO_STYLE)
        self.title = QLabel(f"<b>{alert.title}</b>", self)
        self.title.setObjectName("alerts.toast.title")
        self.text = QLabel(alert.text, self)
        self.text.setObjectName("alerts.toast.text")
        self.text.setWordWrap(True)
        self.close_button = QToolButton(self)
        self.close_button.setObjectName("alerts.toast.close")
        self.close_button.setText("×")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Dismiss (the activity log keeps it)")
        self.close_button.setAccessibleName("Dismiss alert")
        self.close_button.setAccessibleDescription("Hides this alert; the activity log keeps it.")
        self.close_button.clicked.connect(self.dismiss)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 8)
        layout.addLayout(top)
        layout.addWidget(self.text)
        self.setFixedWidth(TOAST_WIDTH)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.dismiss)
        self.timer.start(TOAST_MS)

    def dismiss(self) -> None:
        self.timer.stop()
        self.hide()
        self.dismissed.emit()
        self.deleteLater()


class Notifier(QObject):
    """Shows the alerts the trader wants; ``toasts`` are those on screen."""

    def __init__(self, window: QMainWindow, vm: AlertsViewModel,
                 *, use_tray: bool | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.vm = vm
        if use_tray is None:
            use_tray = (QSystemTrayIcon.isSystemTrayAvailable()
                        and QSystemTrayIcon.supportsMessages())
        self.use_tray = use_tray
        self.tray: QSystemTrayIcon | None = None
        self.toasts: list[Toast] = []
        self.shown: list[Alert] = []  # the alerts shown, newest last (a trace for tests)
        window.installEventFilter(self)  # follows the window's size
        vm.alerted.connect(self.show)

    def show(self, alert: Alert) -> None:
        if not alert.notify:
            return
        self.shown.append(alert)
        del self.shown[:-50]
        if self.use_tray:
            self._tray().showMessage(
                alert.title, alert.text,
                QSystemTrayIcon.MessageIcon.Warning if alert.warning
                else QSystemTrayIcon.MessageIcon.Information, TOAST_MS)
        else:
            self._toast(alert)
        if alert.sound:
            QApplication.beep()

    def _tray(self) -> QSystemTrayIcon:
        if self.tray is None:
            self.tray = QSystemTrayIcon(self.window.windowIcon(), self)
            self.tray.setObjectName("alerts.tray")
            self.tray.setToolTip(self.window.windowTitle())
            self.tray.messageClicked.connect(self._bring_forward)
            self.tray.activated.connect(lambda _reason: self._bring_forward())
            self.tray.show()
        return self.tray

    def _bring_forward(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    def _toast(self, alert: Alert) -> None:
        self.toasts = [t for t in self.toasts if t.isVisible()]
        while len(self.toasts) >= MAX_TOASTS:
            self.toasts.pop(0).dismiss()
        toast = Toast(alert, self.window)
        toast.dismissed.connect(lambda t=toast: self._gone(t))
        self.toasts.append(toast)
        toast.show()
        self._place()

    def _gone(self, toast: Toast) -> None:
        if toast in self.toasts:
            self.toasts.remove(toast)
        self._place()

    def _place(self) -> None:
        """Newest at the bottom left, above the status bar, older ones above it: over the
        chart in the default layout, never over the ticket's Buy and Sell (bottom right)."""
        bottom = self.window.height() - 12
        status = self.window.statusBar()
        if status is not None and status.isVisible():
            bottom -= status.height()
        for toast in reversed([t for t in self.toasts if t.isVisible()]):
            toast.adjustSize()
            height = toast.sizeHint().height()
            toast.setGeometry(MARGIN, bottom - height, TOAST_WIDTH, height)
            toast.raise_()
            bottom -= height + 8

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Resize and self.toasts:
            self._place()
        return False

    def close(self) -> None:
        for toast in list(self.toasts):
            toast.dismiss()
        if self.tray is not None:
            self.tray.hide()
