"""Add, edit and remove connection profiles (non-modal). Broker-neutral: the form is built
from the broker's credential fields; secret ones are typed in password mode."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain.types import Environment
from desktop_app.ui.accessibility import credential_description, describe_widgets
from desktop_app.ui.common import error_label, set_result, show_error
from desktop_app.ui.owner_dialog import OwnerDialog
from desktop_app.viewmodels.profiles_vm import (
    CONNECTION_ID_ROLE,
    F_BASE_URL,
    F_NAME,
    LIVE_WARNING,
    ProfileForm,
    ProfilesViewModel,
)
from desktop_app.viewmodels.server_url import url_error


class ProfilesDialog(QDialog):
    def __init__(self, vm: ProfilesViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("profiles.dialog")
        self.setWindowTitle("Connections")
        self.vm = vm
        self.form: ProfileForm | None = None
        self.remove_box: QMessageBox | None = None
        self.field_edits: dict[str, QLineEdit] = {}
        self.field_flags: dict[str, QCheckBox] = {}

        self.list = QListView(self)
        self.list.setObjectName("profiles.list")
        self.list.setModel(vm.profiles)
        self.add_button = QPushButton("Add", self)
        self.add_button.setObjectName("profiles.addButton")
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setObjectName("profiles.removeButton")

        self.broker = QComboBox(self)
        self.broker.setObjectName("profiles.broker")
        for info in vm.brokers():
            self.broker.addItem(info.display_name, info.broker)
        self.name = QLineEdit(self)
        self.name.setObjectName("profiles.name")
        self.environment = QComboBox(self)
        self.environment.setObjectName("profiles.environment")
        self.fields_form = QFormLayout()
        # Advanced: another host (a standalone simulator, the broker's other environment);
        # empty uses the broker's documented host, shown as the placeholder.
        self.base_url = QLineEdit(self)
        self.base_url.setObjectName("profiles.baseUrl")
        self.base_url.setClearButtonEnabled(True)
        self.base_url_error = error_label("profiles.baseUrlError", self)
        self.live_opt_in = QCheckBox(
            "Allow live trading: I understand this trades real money", self
        )
        self.live_opt_in.setObjectName("profiles.liveOptIn")
        self.live_warning = QLabel(LIVE_WARNING, self)
        self.live_warning.setObjectName("profiles.liveWarning")
        self.live_warning.setWordWrap(True)
        self.live_warning.setStyleSheet("color: #d64545; font-weight: bold;")
        self.secret_note = QLabel(
            "Secrets are kept in the system keyring, never in the settings file.", self
        )
        self.secret_note.setObjectName("profiles.secretNote")
        self.secret_note.setWordWrap(True)
        self.message = QLabel(self)
        self.message.setObjectName("profiles.message")
        self.message.setWordWrap(True)
        self.save_button = QPushButton("Save and connect", self)
        self.save_button.setObjectName("profiles.saveButton")
        self.close_button = QPushButton("Close", self)
        self.close_button.setObjectName("profiles.closeButton")
        # The account holder's name the broker keeps (LWork), for a saved connection.
        self.owner_button = QPushButton("Holder's name…", self)
        self.owner_button.setObjectName("profiles.ownerButton")
        self.owner_dialog: OwnerDialog | None = None
        self.key_dialog: QFileDialog | None = None

        left = QVBoxLayout()
        left.addWidget(self.list)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        left.addLayout(row)
        form = QFormLayout()
        form.addRow("Broker", self.broker)
        form.addRow("Name", self.name)
        form.addRow("Environment", self.environment)
        right = QVBoxLayout()
        right.addLayout(form)
        right.addLayout(self.fields_form)
        advanced = QFormLayout()
        url_box = QWidget(self)
        url_column = QVBoxLayout(url_box)
        url_column.setContentsMargins(0, 0, 0, 0)
        url_column.addWidget(self.base_url)
        url_column.addWidget(self.base_url_error)
        advanced.addRow("Advanced: server URL", url_box)
        right.addLayout(advanced)
        right.addWidget(self.live_opt_in)
        right.addWidget(self.live_warning)
        right.addWidget(self.secret_note)
        right.addWidget(self.message)
        right.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.owner_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.close_button)
        right.addLayout(buttons)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addLayout(right, 2)

        self.add_button.clicked.connect(lambda: self.start_form(self.vm.new_form(self._broker())))
        self.remove_button.clicked.connect(self._ask_remove)
        self.save_button.clicked.connect(self._save)
        self.close_button.clicked.connect(self.reject)
        self.owner_button.clicked.connect(self._open_owner)
        self.list.clicked.connect(self._edit)
        self.broker.currentIndexChanged.connect(self._broker_changed)
        self.environment.currentIndexChanged.connect(lambda _i: self._update_live())
        self.environment.currentIndexChanged.connect(lambda _i: self._show_default_url())
        self.base_url.textChanged.connect(self._check_url)
        vm.failed.connect(lambda text: set_result(self.message, text, False))
        vm.saved.connect(self._saved)
        vm.removed.connect(lambda _cid: self.start_form(self.vm.new_form(self._broker())))
        vm.busyChanged.connect(self._busy_changed)
        self.start_form(vm.new_form())

    # --- form ---------------------------------------------------------------------------

    def _broker(self) -> str | None:
        return self.broker.currentData()

    def start_form(self, form: ProfileForm) -> None:
        self.form = form
        editing = form.connection_id is not None
        self.broker.blockSignals(True)
        self.broker.setCurrentIndex(max(0, self.broker.findData(form.broker)))
        self.broker.blockSignals(False)
        self.broker.setEnabled(not editing)
        self.name.setText(form.name)
        self._build_fields(form)
        self.base_url.setText(form.base_url or "")
        self._show_default_url()
        self.live_opt_in.setChecked(form.live_opt_in)
        self.remove_button.setEnabled(editing)
        offered, why = self.vm.owner_state(form.connection_id)
        self.owner_button.setVisible(editing and offered)
        self.owner_button.setToolTip(why or "The name the broker keeps for the holder.")
        self.save_button.setText("Save and reconnect" if editing else "Save and connect")
        set_result(self.message, "", True)
        if not editing:
            self.list.clearSelection()

    def _build_fields(self, form: ProfileForm) -> None:
        while self.fields_form.rowCount():
            self.fields_form.removeRow(0)
        self.field_edits.clear()
        self.field_flags.clear()
        info = self.vm.broker_info(form.broker)
        self.environment.blockSignals(True)
        self.environment.clear()
        for env in (info.environments if info else ()):
            self.environment.addItem(env.value.title(), env.value)
        self.environment.setCurrentIndex(max(0, self.environment.findData(form.environment.value)))
        self.environment.blockSignals(False)
        editing = form.connection_id is not None
        for field in self.vm.fields(form.broker):
            if field.flag:
                box = QCheckBox(field.label, self)
                box.setObjectName(f"profiles.field.{field.name}")
                box.setChecked(form.values.get(field.name, "").lower() == "true")
                box.setAccessibleDescription(credential_description(field))
                self.fields_form.addRow("", box)
                self.field_flags[field.name] = box
                continue
            edit = QLineEdit(self)
            edit.setObjectName(f"profiles.field.{field.name}")
            edit.setAccessibleDescription(credential_description(field))
            if field.secret or field.private_key:
                edit.setEchoMode(QLineEdit.EchoMode.Password)
                edit.setPlaceholderText(
                    "unchanged (type to replace)" if editing else field.placeholder
                )
            else:
                edit.setPlaceholderText(field.placeholder)
                edit.setText(form.values.get(field.name, ""))
            label = field.label + ("" if field.optional else " *")
            self.fields_form.addRow(label, self._with_key_file(field.name, edit)
                                    if field.private_key else edit)
            self.field_edits[field.name] = edit
        self._update_live()
        describe_widgets(self)  # the broker's fields, named by their labels

    def _with_key_file(self, name: str, edit: QLineEdit) -> QWidget:
        """A private key is pasted, or read from the file the trader chooses."""
        button = QToolButton(self)
        button.setObjectName(f"profiles.field.{name}.file")
        button.setText("File…")
        button.setToolTip("Read the key from a PEM file (kept in the keyring, not the path)")
        button.clicked.connect(lambda: self._choose_key_file(edit))
        box = QWidget(self)
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(edit, 1)
        row.addWidget(button)
        return box

    def _choose_key_file(self, edit: QLineEdit) -> None:
        if self.key_dialog is not None:
            return  # one is open already
        dialog = QFileDialog(self, "Choose the private key file")
        dialog.setObjectName("profiles.keyFileDialog")
        dialog.setNameFilters(["Keys (*.pem *.key *.txt)", "All files (*)"])
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.key_dialog = dialog

        def read(future: asyncio.Future[str | None]) -> None:
            text = None if future.cancelled() else future.result()
            # The form may have been rebuilt (another broker) while the file was read.
            if text and edit in self.field_edits.values():
                edit.setText(text)

        def chosen(path: str) -> None:
            self.vm.read_key_file(path).add_done_callback(read)

        dialog.fileSelected.connect(chosen)
        dialog.finished.connect(lambda _r: setattr(self, "key_dialog", None))
        dialog.open()

    def _open_owner(self) -> None:
        form = self.form
        if form is None or form.connection_id is None:
            return
        if self.owner_dialog is not None:
            self.owner_dialog.raise_()
            return
        dialog = OwnerDialog(self.vm.owner_vm(form.connection_id), form.name, self)
        dialog.destroyed.connect(lambda _o=None: setattr(self, "owner_dialog", None))
        self.owner_dialog = dialog
        dialog.open()

    def _broker_changed(self, _row: int) -> None:
        broker = self._broker()
        if broker and (self.form is None or self.form.connection_id is None):
            self.start_form(self.vm.new_form(broker))

    def _environment(self) -> Environment:
        value = self.environment.currentData()
        return Environment(value) if value else Environment.DEMO

    def _show_default_url(self) -> None:
        default = self.vm.default_url(self._broker() or "", self._environment())
        self.base_url.setPlaceholderText(default or "the broker's own host")
        self.base_url.setToolTip(
            "Empty: the broker's documented host"
            + (f" ({default})" if default else "")
            + ". Another one for a standalone simulator (http://127.0.0.1:PORT/…, "
            "python -m desktop_app.simulators) or the broker's other environment; "
            "https:// except on this computer.")
        self._check_url()

    def _check_url(self) -> None:
        default = self.vm.default_url(self._broker() or "", self._environment())
        show_error(self.base_url_error, url_error(self.base_url.text(), default))

    def _update_live(self) -> None:
        live = self._environment() is Environment.LIVE
        self.live_opt_in.setVisible(live)
        self.live_warning.setVisible(live)
        if not live:
            self.live_opt_in.setChecked(False)

    def current_form(self) -> ProfileForm:
        base = self.form or self.vm.new_form(self._broker())
        return ProfileForm(
            connection_id=base.connection_id,
            broker=self._broker() or base.broker,
            name=self.name.text(),
            environment=self._environment(),
            values={
                **{name: edit.text() for name, edit in self.field_edits.items()},
                **{n: "true" if b.isChecked() else "false" for n, b in self.field_flags.items()},
            },
            live_opt_in=self.live_opt_in.isChecked(),
            sandbox=base.sandbox,
            base_url=self.base_url.text().strip() or None,
        )

    def _save(self) -> None:
        form = self.current_form()
        errors = self.vm.validate(form)
        if errors:
            set_result(self.message, " ".join(errors.values()), False)
            target = self.name if F_NAME in errors else (
                self.base_url if F_BASE_URL in errors else next(
                    (self.field_edits[k] for k in errors if k in self.field_edits), None))
            if target is not None:
                target.setFocus()
            return
        set_result(self.message, "Saving and connecting…", True)
        self.vm.save(form)

    def _saved(self, connection_id: str) -> None:
        # Forget what was typed: secrets live in the keyring now, not in this widget.
        for edit in self.field_edits.values():
            if edit.echoMode() == QLineEdit.EchoMode.Password:
                edit.clear()
        form = self.vm.edit_form(connection_id)
        if form is not None:
            self.start_form(form)
            row = self.vm.profiles.row_of(connection_id)
            if row >= 0:
                self.list.setCurrentIndex(self.vm.profiles.index(row, 0))
        set_result(self.message, "Saved. The connection status is in the status bar.", True)

    def _edit(self, index: QModelIndex) -> None:
        connection_id = index.data(CONNECTION_ID_ROLE)
        form = self.vm.edit_form(connection_id) if connection_id else None
        if form is not None:
            self.start_form(form)

    def _busy_changed(self, busy: bool) -> None:
        self.save_button.setEnabled(not busy)
        editing = self.form is not None and self.form.connection_id is not None
        self.remove_button.setEnabled(editing and not busy)

    def _ask_remove(self) -> None:
        form = self.form
        if form is None or form.connection_id is None or self.vm.busy:
            return
        if self.remove_box is not None:  # asked already (a double click): one question
            self.remove_box.raise_()
            return
        connection_id = form.connection_id
        box = QMessageBox(
            QMessageBox.Icon.Question, "Remove connection",
            f"Remove “{form.name}”? Its stored secrets are deleted too.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self,
        )
        box.setObjectName("profiles.confirmRemove")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.button(QMessageBox.StandardButton.Yes).setObjectName("profiles.confirmRemoveYes")
        box.buttonClicked.connect(
            lambda b: self.vm.remove(connection_id)
            if b is box.button(QMessageBox.StandardButton.Yes) else None
        )
        box.finished.connect(lambda _r: setattr(self, "remove_box", None))
        self.remove_box = box
        describe_widgets(box)
        box.open()
