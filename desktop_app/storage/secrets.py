"""Secrets (API keys, passwords) in the OS keyring, never in a file we write.

Keys are ``f"{connection_id}:{field}"`` under the service ``trading-dashboard``.
Without a usable keyring (keyring's fail/null backend, a locked or absent Secret
Service, or ``TRADING_DASHBOARD_KEYRING=memory``) secrets live in memory for this run
only, and ``persistent``/``warning`` say so plainly: there is no plaintext fallback.

Keyring calls can block (D-Bus, an unlock prompt), so the loop uses the ``a*``
wrappers, which run them in a worker thread.

Every value read or written is registered with the log redaction first
(``net.redact.register_secret``): work sent to a thread is logged with its arguments
and result by qasync at DEBUG, and the value must already be known there.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Iterable, Mapping

from desktop_app.net.redact import register_secret

log = logging.getLogger(__name__)

SERVICE_NAME = "trading-dashboard"
KEYRING_ENV = "TRADING_DASHBOARD_KEYRING"
# Keyring cannot list entries, so each connection keeps the names of its stored fields
# (not their values) under this pseudo-field; delete_all() uses it.
INDEX_FIELD = "__fields__"

NOT_REMEMBERED = (
    "Secrets will not be remembered after you quit: {why}. Install or unlock a keyring "
    "(e.g. gnome-keyring or KWallet; on Windows and macOS the system one is used) and "
    "restart the app to have them saved. Until then you will be asked again next time."
)


def _key(connection_id: str, field: str) -> str:
    if ":" in connection_id:
        raise ValueError("a connection id cannot contain ':'")
    return f"{connection_id}:{field}"


def _unusable_backend_reason(backend: object) -> str:
    """Why this keyring backend cannot keep secrets, or "" when it can."""
    from keyring.backends import chainer, fail, null

    if isinstance(backend, fail.Keyring):
        return "no system keyring was found"
    if isinstance(backend, null.Keyring):
        return "the keyring is disabled (null backend)"
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return "no system keyring was found"
    return ""


class SecretStore:
    """get/set/delete secrets per connection and field; thread-safe."""

    def __init__(self, *, service: str = SERVICE_NAME, backend: object | None = None) -> None:
        self.service = service
        self._lock = threading.Lock()
        self._index_lock = threading.Lock()  # serialises the index's read-modify-write
        self._memory: dict[str, str] = {}
        self._backend: object | None = None
        self.persistent = False
        self.warning = ""
        if os.environ.get(KEYRING_ENV, "").strip().lower() == "memory":
            self._use_memory("the app was started with TRADING_DASHBOARD_KEYRING=memory")
            return
        if backend is None:
            try:
                import keyring

                backend = keyring.get_keyring()
            except Exception as exc:  # a broken keyring install must not stop the app
                self._use_memory(f"the keyring could not be loaded ({type(exc).__name__})")
                return
        reason = _unusable_backend_reason(backend)
        if reason:
            self._use_memory(reason)
            return
        self._backend = backend
        self.persistent = True

    @property
    def backend_name(self) -> str:
        return "memory" if self._backend is None else type(self._backend).__module__

    def _use_memory(self, why: str) -> None:
        if self._backend is not None or not self.warning:
            log.warning("secrets kept in memory only: %s", why)
        self._backend = None
        self.persistent = False
        self.warning = NOT_REMEMBERED.format(why=why)

    def _fallback(self, exc: Exception) -> None:
        # A keyring that is present but locked or unreachable (no D-Bus session, the
        # user dismissed the unlock prompt): keep working for this run, say so.
        self._use_memory(f"the system keyring refused access ({type(exc).__name__})")

    # -- sync API (blocking: call from a thread, or use the async wrappers) -------
    def get(self, connection_id: str, field: str) -> str | None:
        key = _key(connection_id, field)
        with self._lock:
            if key in self._memory or self._backend is None:
                value = self._memory.get(key)
                if field != INDEX_FIELD:
                    register_secret(value)
                return value
            backend = self._backend
        try:
            found = backend.get_password(self.service, key)  # type: ignore[attr-defined]
            value = None if found is None else str(found)
            if field != INDEX_FIELD:
                register_secret(value)
            return value
        except Exception as exc:
            with self._lock:
                self._fallback(exc)
            return None

    def set(self, connection_id: str, field: str, value: str) -> None:
        self._set_one(connection_id, field, value)
        if field != INDEX_FIELD:
            with self._index_lock:
                names = self._index(connection_id)
                if field not in names:
                    self._set_one(connection_id, INDEX_FIELD, ",".join([*names, field]))

    def _set_one(self, connection_id: str, field: str, value: str) -> None:
        key = _key(connection_id, field)
        if field != INDEX_FIELD:
            register_secret(value)
        with self._lock:
            backend = self._backend
            if backend is None:
                self._memory[key] = value
                return
        try:
            backend.set_password(self.service, key, value)  # type: ignore[attr-defined]
        except Exception as exc:
            with self._lock:
                self._fallback(exc)
                self._memory[key] = value

    def delete(self, connection_id: str, field: str) -> None:
        key = _key(connection_id, field)
        with self._lock:
            self._memory.pop(key, None)
            backend = self._backend
        if backend is not None:
            try:
                backend.delete_password(self.service, key)  # type: ignore[attr-defined]
            except Exception as exc:
                # PasswordDeleteError = there was nothing to delete; anything else is
                # logged without the key's value (we never had it here anyway).
                if type(exc).__name__ != "PasswordDeleteError":
                    log.warning("keyring delete failed for %s: %s", key, type(exc).__name__)

    def _index(self, connection_id: str) -> list[str]:
        raw = self.get(connection_id, INDEX_FIELD) or ""
        return [n for n in raw.split(",") if n]

    def delete_all(self, connection_id: str, fields: Iterable[str] = ()) -> None:
        """Delete every secret of a connection: the indexed fields plus ``fields``."""
        names = {*self._index(connection_id), *fields}
        with self._lock:
            prefix = f"{connection_id}:"
            names.update(k[len(prefix):] for k in self._memory if k.startswith(prefix))
        for name in names:
            if name != INDEX_FIELD:
                self.delete(connection_id, name)
        self.delete(connection_id, INDEX_FIELD)

    def get_many(self, connection_id: str, fields: Iterable[str]) -> dict[str, str]:
        out = {}
        for name in fields:
            value = self.get(connection_id, name)
            if value is not None:
                out[name] = value
        return out

    def set_many(self, connection_id: str, values: Mapping[str, str]) -> None:
        for name, value in values.items():
            self.set(connection_id, name, value)

    # -- async wrappers: keyring may block on D-Bus, keep it off the loop ---------
    async def aget(self, connection_id: str, field: str) -> str | None:
        return await asyncio.to_thread(self.get, connection_id, field)

    async def aset(self, connection_id: str, field: str, value: str) -> None:
        register_secret(value)
        await asyncio.to_thread(self.set, connection_id, field, value)

    async def adelete(self, connection_id: str, field: str) -> None:
        await asyncio.to_thread(self.delete, connection_id, field)

    async def adelete_all(self, connection_id: str, fields: Iterable[str] = ()) -> None:
        await asyncio.to_thread(self.delete_all, connection_id, tuple(fields))

    async def aget_many(self, connection_id: str, fields: Iterable[str]) -> dict[str, str]:
        return await asyncio.to_thread(self.get_many, connection_id, tuple(fields))

    async def aset_many(self, connection_id: str, values: Mapping[str, str]) -> None:
        for value in values.values():
            register_secret(value)
        await asyncio.to_thread(self.set_many, connection_id, dict(values))
