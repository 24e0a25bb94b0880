"""The hub's connections: add, change, remove, reconnect; saved profiles at start; secrets
to the keyring and rotated credentials kept."""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import replace

from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.config import ConnectionProfile, Credentials
from desktop_app.domain.errors import (
    AuthError,
    BrokerError,
    NotFound,
    NotSupported,
    PermissionDenied,
)
from desktop_app.domain.money import utc_now
from desktop_app.domain.service import CHANGE_TOPICS
from desktop_app.domain.types import Account, AccountRef, Environment
from desktop_app.session.connection import Connection, preload_service, registry_factory
from desktop_app.session.events import AccountsUpdated, ConnectionChanged, ConnectionState, Topic
from desktop_app.session.hub_core import HubCore
from desktop_app.session.info import BrokerInfo, ConnectionInfo
from desktop_app.session.writes import CHECK_BALANCE

log = logging.getLogger(__name__)


class HubConnections(HubCore):
    # ------------------------------------------------------------------ connections
    def _secret_names(self, broker: str) -> set[str] | None:
        """Names of the broker's secret fields; None when the broker is not registered."""
        from desktop_app.brokers.registry import get_spec

        try:
            spec = get_spec(broker)
        except NotSupported:
            return None
        return set(spec.secret_fields)

    def _split(
        self, broker: str, credentials: Credentials
    ) -> tuple[dict[str, str], dict[str, str]]:
        """(non-secret fields for the profile, secrets for the keyring)."""
        names = self._secret_names(broker)
        if names is None:  # unknown field kinds: treat every one as secret
            return {}, dict(credentials)
        public = {k: v for k, v in credentials.items() if k not in names}
        return public, {k: v for k, v in credentials.items() if k in names}

    def _new_connection(self, profile: ConnectionProfile, credentials: Credentials) -> Connection:
        conn = Connection(
            profile, credentials, request_log=self.request_log,
            on_change=self._on_connection_change, factory=self._factory, backoff=self._backoff,
            on_credentials=self._on_credentials_changed, on_changed=self._on_broker_change,
        )
        # Assigning to an existing key keeps the connection's place in the list.
        self._connections[profile.connection_id] = conn
        return conn

    def _environment_disagrees(self, connection_id: str, accounts: tuple[Account, ...]) -> bool:
        """Whether an account is live is the broker's word, not the profile's label: a
        demo profile whose credentials reach a live account (or a live one that reaches
        demo accounts only) is refused, with the reason, before anything can be sent."""
        conn = self._connections.get(connection_id)
        caps = conn.capabilities if conn is not None else None
        if conn is None or not accounts or caps is None or caps.mixed_environments:
            return False
        label = conn.profile.environment
        live = [a for a in accounts if a.environment is Environment.LIVE]
        name = conn.profile.name or conn.profile.broker
        if label is not Environment.LIVE and live:
            shown = ", ".join(f"{a.name} ({a.ref.account_id})" for a in live[:3])
            error: BrokerError = PermissionDenied(
                f"The {label.value} connection '{name}' reaches LIVE money: {shown}. "
                "Its credentials are live ones.",
                hint="Nothing can be sent on it. For real money set the connection to Live "
                "and tick 'Allow live trading'; for demo, enter the demo credentials.",
            )
        elif label is Environment.LIVE and not live:
            error = PermissionDenied(
                f"The live connection '{name}' reaches demo accounts only.",
                hint="Set the connection to Demo, or enter the live credentials.",
            )
        else:
            return False
        log.warning("connection %s refused: its accounts' environment is not %s",
                    connection_id, label.value)
        self.poller.unregister(connection_id)
        conn.fail(error)
        self._spawn(self._close_failed(conn), name=f"close-refused:{connection_id}")
        return True

    def _on_broker_change(
        self, conn: Connection, account: AccountRef | None, topics: frozenset[str]
    ) -> None:
        """A broker told its service what changed: refresh that now, not at the next poll."""
        if self._connections.get(conn.connection_id) is conn and not self._stopped:
            wanted = [Topic(t) for t in sorted(topics) if t in CHANGE_TOPICS]
            self.poller.refresh(conn.connection_id, account, wanted)

    def _on_credentials_changed(self, conn: Connection, updates: Credentials) -> None:
        """A service rotated a token or moved to a new account id: keep it for next time.

        Secrets go to the keyring, the rest into the profile; the Sandbox (not
        persisted) keeps them in memory only.
        """
        public, secret = self._split(conn.profile.broker, updates)
        if public:
            conn.profile = replace(conn.profile, fields={**conn.profile.fields, **public})
        cid = conn.connection_id
        if cid not in self._persisted:
            return
        if public:
            names = self._secret_names(conn.profile.broker) or set()
            self.settings.upsert_profile(conn.profile, secret_fields=names)
            self._spawn(self.settings.save_async(), name=f"save-profile:{cid}")
        if secret:
            self._spawn(self.secrets.aset_many(cid, secret), name=f"save-secrets:{cid}")

    def _on_connection_change(self, conn: Connection) -> None:
        if self._connections.get(conn.connection_id) is conn:
            self._publish(ConnectionChanged(conn.connection_id, conn.state, conn.message))

    async def _start_saved(self, conn: Connection) -> None:
        profile = conn.profile
        names = self._secret_names(profile.broker)
        if names is None:
            conn.fail(NotSupported(
                f"The connection '{profile.name}' is for the broker '{profile.broker}', "
                "which this version of the app does not know."
            ))
            return
        stored = await self.secrets.aget_many(profile.connection_id, sorted(names))
        from desktop_app.brokers.registry import get_spec

        required = get_spec(profile.broker).required_secrets
        missing = sorted(required - stored.keys())
        if missing:
            note = "" if self.secrets.persistent else " " + self.secrets.warning
            conn.fail(AuthError(
                f"The saved {', '.join(missing)} for '{profile.name}' could not be found.",
                hint="Edit the connection and enter them again." + note,
            ))
            return
        conn.credentials = stored
        await self._connection_main(conn, None)

    async def _launch(self, profile: ConnectionProfile, credentials: Credentials) -> None:
        """Create and connect; return after the first attempt, raising if it failed for good."""
        conn = self._new_connection(profile, credentials)
        first: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        task = self._spawn(
            self._connection_main(conn, first), name=f"connect:{profile.connection_id}"
        )
        # A task cancelled before it ran would never answer: cancel the wait with it.
        task.add_done_callback(lambda _t: first.done() or first.cancel())
        self._conn_tasks[profile.connection_id] = task
        await first

    async def _shut(self, connection_id: str, *, forget: bool) -> Connection | None:
        self.poller.unregister(connection_id)
        await self.streams.unregister(connection_id)
        task = self._conn_tasks.pop(connection_id, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await self._wait_writes(connection_id)
        conn = self._connections.get(connection_id)
        if conn is not None:
            # Detach first so that closing does not announce DISCONNECTED for a
            # connection that is being replaced.
            if forget:
                del self._connections[connection_id]
            await conn.close()
        self._accounts.pop(connection_id, None)
        for cache in (self._positions, self._orders):
            for ref in [r for r in cache if r.connection == connection_id]:
                del cache[ref]
        return conn

    async def add_connection(
        self, profile: ConnectionProfile, credentials: Credentials, *, persist: bool = True
    ) -> None:
        """Add (or replace) a connection and try to log in.

        Non-secret fields go into the profile, secrets into the keyring (``persist``) or
        nowhere but memory (the Sandbox). Returns after the first attempt: raises the
        typed error when it failed for good (bad credentials, ...); when the broker is
        unreachable it returns and keeps retrying in the background.
        """
        if self._stopped:
            raise RuntimeError("the session has been stopped")
        cid = profile.connection_id
        public, secret = self._split(profile.broker, credentials)
        profile = replace(profile, fields={**profile.fields, **public})
        if cid in self._connections:
            await self._shut(cid, forget=False)
        if persist:
            names = self._secret_names(profile.broker) or set(credentials)
            profile = self.settings.upsert_profile(profile, secret_fields=names)
            await self.settings.save_async()
            await self.secrets.aset_many(cid, secret)
            self._persisted.add(cid)
        else:
            self._persisted.discard(cid)
        if self._factory is registry_factory:  # a test's own factory imports nothing
            # The broker's adapter is imported (in a worker thread) before the connection
            # is shown: its row and state were laid out while the import held the
            # interpreter, and each call into Python waited (18 ms frames).
            await asyncio.to_thread(preload_service, profile.broker)
        await self._launch(profile, {**public, **secret})

    async def update_connection(
        self, profile: ConnectionProfile, credentials: Credentials | None
    ) -> None:
        """Change a connection; ``credentials`` None (or missing fields) keeps the current."""
        cid = profile.connection_id
        old = self._connections.get(cid)
        current: dict[str, str] = dict(old.credentials) if old else {}
        if not current and cid in self._persisted:
            names = self._secret_names(profile.broker) or set()
            current = await self.secrets.aget_many(cid, sorted(names))
        merged = {**current, **(credentials or {})}
        persist = cid in self._persisted or old is None
        await self.add_connection(profile, merged, persist=persist)

    async def remove_connection(self, connection_id: str) -> None:
        conn = await self._shut(connection_id, forget=True)
        broker = conn.profile.broker if conn else ""
        if self.settings.remove_profile(connection_id):
            await self.settings.save_async()
        if connection_id in self._persisted or conn is None:
            names = (self._secret_names(broker) if broker else None) or set()
            await self.secrets.adelete_all(connection_id, sorted(names))
        self._persisted.discard(connection_id)
        removed = "The connection was removed before this order could be reconciled. " \
            "Check at the broker."
        for entry in await self.writer.read(self.journal.pending_orders, connection_id):
            if ("order", entry.id) not in self._in_flight_entries:
                self.writer.after("order unknown (connection removed)", functools.partial(
                    self.journal.mark_unknown, entry.id, removed))
        for entry in await self.writer.read(self.journal.pending_funding, connection_id):
            if ("funding", entry.id) not in self._in_flight_entries:
                self.writer.after("funding unknown (connection removed)", functools.partial(
                    self.journal.mark_funding_unknown, entry.id,
                    "The connection was removed. " + CHECK_BALANCE))
        self._publish(ConnectionChanged(connection_id, ConnectionState.DISCONNECTED, "Removed."))
        self._publish(AccountsUpdated(connection_id, (), utc_now()))

    async def reconnect(self, connection_id: str) -> None:
        conn = self._connections.get(connection_id)
        if conn is None:
            raise NotFound(f"There is no connection {connection_id!r}.")
        profile, credentials = conn.profile, dict(conn.credentials)
        await self._shut(connection_id, forget=False)
        await self._launch(profile, credentials)

    async def wait_connected(self, connection_id: str) -> ConnectionState:
        """Until the connection is connected or has failed (use with a timeout)."""
        while True:
            conn = self._connections.get(connection_id)
            if conn is None:
                raise NotFound(f"There is no connection {connection_id!r}.")
            state = await conn.wait_settled()
            if self._connections.get(connection_id) is conn:
                return state

    def connection(self, connection_id: str) -> Connection | None:
        """The live Connection object (diagnostics and tests; view-models use connections())."""
        return self._connections.get(connection_id)

    def connections(self) -> list[ConnectionInfo]:
        return [
            ConnectionInfo(c.profile, c.state, c.message, c.capabilities)
            for c in self._connections.values()
        ]

    def brokers(self) -> list[BrokerInfo]:
        return list(_broker_infos())

    def capabilities(self, connection_id: str) -> Capabilities | None:
        conn = self._connections.get(connection_id)
        return conn.capabilities if conn else None

    def _on_poll_health(self, connection_id: str, message: str) -> None:
        conn = self._connections.get(connection_id)
        if conn is not None and conn.usable:
            state = ConnectionState.DEGRADED if message else ConnectionState.CONNECTED
            conn.set_state(state, message)

    def _on_poll_fatal(self, connection_id: str, exc: BaseException) -> None:
        conn = self._connections.get(connection_id)
        if conn is not None:
            conn.fail(exc)
            # A connection shown failed must not keep its session alive at the broker.
            self._spawn(self._close_failed(conn), name=f"close-failed:{connection_id}")

    async def _close_failed(self, conn: Connection) -> None:
        await self.streams.unregister(conn.connection_id)
        await self._wait_writes(conn.connection_id)
        await conn.close_service()


_BROKER_INFOS: list[tuple[object, tuple[BrokerInfo, ...]]] = []


def _broker_infos() -> tuple[BrokerInfo, ...]:
    """The registry's brokers, made once per registry (every panel asks on each click on
    an account)."""
    from desktop_app.brokers import registry

    specs = registry.SPECS
    if not _BROKER_INFOS or _BROKER_INFOS[0][0] is not specs:
        _BROKER_INFOS[:] = [(specs, tuple(
            BrokerInfo(s.broker, s.display_name, s.environments, s.credential_fields, s.hosts)
            for s in specs))]
    return _BROKER_INFOS[0][1]
