"""Add, edit and remove connection profiles. Secrets go to the hub (keyring), never here."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from desktop_app.domain.config import ConnectionProfile, CredentialField
from desktop_app.domain.types import Environment
from desktop_app.session.events import ConnectionChanged
from desktop_app.viewmodels.base import HubViewModel
from desktop_app.viewmodels.owner_vm import OwnerViewModel, owner_rename_offered
from desktop_app.viewmodels.server_url import normalized, url_error
from desktop_app.viewmodels.tasks import error_text, resolve_with

if TYPE_CHECKING:
    from desktop_app.session.hub import Hub

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
CONNECTION_ID_ROLE = int(Qt.ItemDataRole.UserRole) + 20
F_NAME = "name"
F_BROKER = "broker"
F_ENVIRONMENT = "environment"
F_BASE_URL = "base_url"
LIVE_WARNING = (
    "LIVE trades real money. Every live order asks for confirmation; leave the opt-in off "
    "to watch a live account without trading from this app."
)


@dataclass
class ProfileForm:
    """What the profiles dialog edits. ``values`` holds every credential field typed in;
    on save the secret ones go to the hub as credentials and are never kept here."""

    connection_id: str | None
    broker: str
    name: str = ""
    environment: Environment = Environment.DEMO
    values: dict[str, str] = field(default_factory=dict)
    live_opt_in: bool = False
    sandbox: bool = False
    base_url: str | None = None


class ProfileListModel(QAbstractListModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._items: list[tuple[ConnectionProfile, str]] = []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        profile, state = self._items[index.row()]
        if role == _DISPLAY:
            env = profile.environment.value
            env = env.upper() if profile.is_live else env
            extra = " · sandbox" if profile.sandbox else ""
            return f"{profile.name} ({env}{extra}) — {state}"
        if role == CONNECTION_ID_ROLE:
            return profile.connection_id
        if role == _TOOLTIP:
            return f"{profile.broker} · {profile.connection_id}"
        return None

    def set_items(self, items: list[tuple[ConnectionProfile, str]]) -> None:
        self.beginResetModel()
        self._items = items
        self.endResetModel()

    def profile(self, row: int) -> ConnectionProfile:
        return self._items[row][0]

    def row_of(self, connection_id: str) -> int:
        return next((i for i, (p, _) in enumerate(self._items) if p.connection_id == connection_id),
                    -1)


class ProfilesViewModel(HubViewModel):
    """``saved(connection_id)``, ``removed(connection_id)``, ``failed(text)``."""

    saved = Signal(str)
    removed = Signal(str)
    failed = Signal(str)
    busyChanged = Signal(bool)

    def __init__(self, hub: Hub, parent: QObject | None = None) -> None:
        super().__init__(hub, parent)
        self.profiles = ProfileListModel(self)
        self.busy = False
        self.reload()

    def reload(self) -> None:
        self.profiles.set_items(
            [(info.profile, info.state.value) for info in self.hub.connections()]
        )

    def on_event(self, event: Any) -> None:
        if isinstance(event, ConnectionChanged):
            self.reload()

    def brokers(self) -> list[Any]:
        """The hub's BrokerInfo list: broker, display_name, environments, credential_fields."""
        return list(self.hub.brokers())

    def broker_info(self, broker: str) -> Any | None:
        return next((b for b in self.hub.brokers() if b.broker == broker), None)

    def default_url(self, broker: str, environment: Environment) -> str:
        """The broker's documented host for this environment ('' when it has none)."""
        info = self.broker_info(broker)
        hosts = dict(info.hosts) if info else {}
        return str(hosts.get(environment, ""))

    def fields(self, broker: str) -> tuple[CredentialField, ...]:
        info = self.broker_info(broker)
        return tuple(info.credential_fields) if info else ()

    def new_form(self, broker: str | None = None) -> ProfileForm:
        brokers = self.brokers()
        chosen = broker or (brokers[0].broker if brokers else "")
        info = self.broker_info(chosen)
        name = f"{info.display_name} demo" if info else ""
        return ProfileForm(connection_id=None, broker=chosen, name=name)

    def edit_form(self, connection_id: str) -> ProfileForm | None:
        for info in self.hub.connections():
            p = info.profile
            if p.connection_id == connection_id:
                return ProfileForm(
                    connection_id=p.connection_id, broker=p.broker, name=p.name,
                    environment=p.environment, values=dict(p.fields),
                    live_opt_in=p.live_opt_in, sandbox=p.sandbox, base_url=p.base_url,
                )
        return None

    def validate(self, form: ProfileForm) -> dict[str, str]:
        errors: dict[str, str] = {}
        info = self.broker_info(form.broker)
        if info is None:
            errors[F_BROKER] = "Choose a broker."
            return errors
        if not form.name.strip():
            errors[F_NAME] = "Give the connection a name."
        elif any(
            i.profile.name == form.name.strip() and i.profile.connection_id != form.connection_id
            for i in self.hub.connections()
        ):
            errors[F_NAME] = "Another connection already has this name."
        if form.environment not in tuple(info.environments):
            errors[F_ENVIRONMENT] = (
                f"{info.display_name} has no {form.environment.value} environment."
            )
        bad_url = url_error(form.base_url or "", self.default_url(form.broker, form.environment))
        if bad_url:
            errors[F_BASE_URL] = bad_url
        editing = form.connection_id is not None
        for f in info.credential_fields:
            value = form.values.get(f.name, "").strip()
            if f.optional or value:
                continue
            if (f.secret or f.private_key) and editing:
                continue  # blank keeps the stored secret
            errors[f.name] = f"{f.label} is required."
        return errors

    def split(self, form: ProfileForm) -> tuple[ConnectionProfile, dict[str, str] | None]:
        """The profile to store (non-secret fields only) and the credentials (secrets)."""
        fields = self.fields(form.broker)
        # A private key is a secret whatever its field says: never in the settings file.
        public = {
            f.name: form.values.get(f.name, "").strip()
            for f in fields if not (f.secret or f.private_key)
            and form.values.get(f.name, "").strip()
        }
        secrets = {
            f.name: form.values[f.name] for f in fields
            if (f.secret or f.private_key) and form.values.get(f.name, "")
        }
        profile = ConnectionProfile(
            connection_id=form.connection_id or f"{form.broker}-{uuid.uuid4().hex[:8]}",
            broker=form.broker, name=form.name.strip(), environment=form.environment,
            fields=public, base_url=normalized(form.base_url or ""),
            live_opt_in=form.live_opt_in and form.environment is Environment.LIVE,
            sandbox=form.sandbox,
        )
        return profile, (secrets or None)

    def save(self, form: ProfileForm) -> asyncio.Future[str | None]:
        """Validate and save; resolves to the connection id, or None (``failed`` says why).

        A new profile needs every required secret; an edited one keeps its stored secrets
        unless new ones are typed (then all of the broker's secrets are replaced).
        """
        future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        errors = self.validate(form)
        if errors:
            self.failed.emit(" ".join(errors.values()))
            future.set_result(None)
            return future
        profile, secrets = self.split(form)
        editing = form.connection_id is not None
        if editing and secrets is not None:
            missing = [f.label for f in self.fields(form.broker)
                       if (f.secret or f.private_key) and not f.optional
                       and f.name not in secrets]
            if missing:
                self.failed.emit(
                    "To change the secrets, type all of them again: " + ", ".join(missing) + "."
                )
                future.set_result(None)
                return future
        form.values = {k: v for k, v in form.values.items() if k in profile.fields}
        self._set_busy(True)

        async def run() -> str | None:
            try:
                if editing:
                    await self.hub.update_connection(profile, secrets)
                else:
                    await self.hub.add_connection(profile, secrets or {})
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.failed.emit(error_text(exc))
                return None
            finally:
                self._set_busy(False)
                self.reload()
            self.saved.emit(profile.connection_id)
            return profile.connection_id

        resolve_with(self.tasks.start(run()), future)
        return future

    def remove(self, connection_id: str) -> asyncio.Future[bool]:
        """Remove the connection once: a second call while it is being removed, or for a
        connection that is gone already (a double click on Yes), does nothing."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        known = any(i.profile.connection_id == connection_id for i in self.hub.connections())
        if self.busy or not known:
            future.set_result(False)
            return future
        self._set_busy(True)

        async def run() -> bool:
            try:
                await self.hub.remove_connection(connection_id)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.failed.emit(error_text(exc))
                return False
            finally:
                self._set_busy(False)
                self.reload()
            self.removed.emit(connection_id)
            return True

        resolve_with(self.tasks.start(run()), future)
        return future

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.busyChanged.emit(busy)

    # --- a private key from a file, the holder's name ------------------------------

    def read_key_file(self, path: str) -> asyncio.Future[str | None]:
        """The text of a key file the trader chose (read off the loop); None when it
        cannot be read (``failed`` says why). Nothing is stored until the form is saved."""
        future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()

        async def run() -> str | None:
            try:
                text = await asyncio.to_thread(_read_key, path)
            except (OSError, ValueError) as exc:
                self.failed.emit(f"The key file could not be read: {exc}")
                return None
            return text

        resolve_with(self.tasks.start(run()), future)
        return future

    def owner_state(self, connection_id: str | None) -> tuple[bool, str]:
        """(offered, why not) of the holder's-name button for a saved connection."""
        return owner_rename_offered(self.hub, connection_id)

    def owner_vm(self, connection_id: str) -> OwnerViewModel:
        """A view-model for one holder's-name dialog (the dialog adopts and closes it)."""
        return OwnerViewModel(self.hub, connection_id)


KEY_FILE_MAX = 64 * 1024


def _read_key(path: str) -> str:
    with open(path, "rb") as handle:
        raw = handle.read(KEY_FILE_MAX + 1)
    if len(raw) > KEY_FILE_MAX:
        raise ValueError("it is larger than a key file can be")
    try:
        return raw.decode("ascii").strip() + "\n"
    except UnicodeDecodeError:
        raise ValueError("it is not a PEM text file") from None


def with_environment(form: ProfileForm, environment: Environment) -> ProfileForm:
    return replace(form, environment=environment,
                   live_opt_in=form.live_opt_in and environment is Environment.LIVE)
