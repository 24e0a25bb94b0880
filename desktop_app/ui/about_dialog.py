"""Help → About: the version, what the app runs on, where its files are, and the licences
of the packages it is built from (non-modal)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app import APP_DISPLAY_NAME
from desktop_app.ui.app_icon import app_icon
from desktop_app.viewmodels.about_vm import AboutViewModel, DependencyLicence

SUMMARY = "Balances, positions, demo trading and funding across brokers."


def _value(text: str, name: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName(name)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(True)
    return label


class AboutDialog(QDialog):
    def __init__(self, vm: AboutViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle(f"About {APP_DISPLAY_NAME}")
        self.vm = vm
        vm.setParent(self)
        facts = vm.facts

        icon = QLabel(self)
        icon.setObjectName("about.icon")
        icon.setPixmap(app_icon().pixmap(64, 64))
        title = QLabel(f"<b>{APP_DISPLAY_NAME} {facts.version}</b>", self)
        title.setObjectName("about.title")
        header = QHBoxLayout()
        header.addWidget(icon)
        text = QVBoxLayout()
        text.addWidget(title)
        text.addWidget(QLabel(SUMMARY, self))
        header.addLayout(text, 1)

        form = QFormLayout()
        version = facts.version + (" (self-contained bundle)" if facts.bundled else "")
        for label, value, name in (
            ("Version:", version, "about.version"),
            ("Qt:", facts.qt_version, "about.qt"),
            ("PySide6:", facts.pyside_version, "about.pyside"),
            ("Python:", facts.python_version, "about.python"),
            ("Platform:", facts.platform, "about.platform"),
            ("Settings folder:", str(facts.config_dir), "about.configDir"),
            ("Data folder (journal):", str(facts.data_dir), "about.dataDir"),
            ("Log folder:", str(facts.log_dir), "about.logDir"),
        ):
            form.addRow(label, _value(value, name, self))

        self.licences = QTreeWidget(self)
        self.licences.setObjectName("about.licences")
        self.licences.setAccessibleName("Licences of the dependencies")
        self.licences.setAccessibleDescription(
            "Each package the app is built from, its version and its licence"
        )
        self.licences.setHeaderLabels(["Package", "Version", "Licence"])
        self.licences.setRootIsDecorated(False)
        self.licences.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.licences.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.licences.header().setStretchLastSection(True)
        self.licences.setMinimumHeight(140)
        self.licences_status = QLabel("Reading the installed packages…", self)
        self.licences_status.setObjectName("about.licencesStatus")

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setObjectName("about.close")
        self.copy_button = QPushButton("Copy details", self)
        self.copy_button.setObjectName("about.copy")
        self.copy_button.setAccessibleDescription(
            "Copies the versions, folders and licences as text, for a bug report"
        )
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.copy_button.clicked.connect(self.copy_details)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addLayout(form)
        layout.addWidget(QLabel("Licences of the packages the app is built from:", self))
        layout.addWidget(self.licences, 1)
        layout.addWidget(self.licences_status)
        layout.addWidget(buttons)
        self.resize(640, 560)

        vm.licencesReady.connect(self._show_licences)
        vm.load()

    def _show_licences(self, licences: list[DependencyLicence]) -> None:
        self.licences.clear()
        for dep in licences:
            self.licences.addTopLevelItem(QTreeWidgetItem([dep.name, dep.version, dep.licence]))
        if licences:
            self.licences_status.setText(f"{len(licences)} packages.")
        else:
            self.licences_status.setText(
                "Not available: the app is not installed as a package here (run from a "
                "source tree), so there is no package metadata to read."
            )

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.vm.report_text())
