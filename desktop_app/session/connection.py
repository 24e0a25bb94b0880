"""One saved connection: its BrokerService and the state the trader sees.

``run()`` logs in, retrying with exponential backoff while the broker is unreachable
(``Unavailable``) or limiting us (``RateLimited``), and gives up (``FAILED`` with the
error's ``user_text()``) on anything a retry cannot fix: bad credentials, a permission,
a missing field, an unknown broker.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass

from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.config import ConnectionProfile, Credentials
from desktop_app.domain.errors import BrokerError, RateLimited, Unavailable
from desktop_app.domain.service import BrokerService
from desktop_app.domain.types import AccountRef
from desktop_app.net.request_log import RequestLog
from desktop_app.session.events import ConnectionState

log = logging.getLogger(__name__)

ServiceFactory = Callable[[ConnectionProfile, Credentials, RequestLog], BrokerService]
StateListener = Callable[["Connection"], None]
# Persists credentials a service changed by itself (a rotated refresh token, a moved
# account id, a generated device id).
CredentialsListener = Callable[["Connection", Credentials], None]
# The broker told a service that something changed (a webhook, a stream).
ChangeListener = Callable[["Connection", AccountRef | None, frozenset[str]], None]

CLOSE_TIMEOUT = 5.0


def registry_factory(
    profile: ConnectionProfile, credentials: Credentials, request_log: RequestLog
) -> BrokerService:
    # Imported here so that the session layer's other modules load without any broker.
    from desktop_app.brokers.registry import get_spec

    return get_spec(profile.broker).create(profile, credentials, request_log)


# While a worker thread imports, the GUI thread waits at most this long for the
# interpreter each time it calls into Python (a model's data, a slot). Python's own slice
# is 5 ms: the first connection's frames, full of such calls, took 20-36 ms while an
# adapter was imported beside them.
IMPORT_SLICE_S = 0.00005
_slices_lock = threading.Lock()
_importing = 0
_default_slice = 0.0


def preload_service(broker: str) -> None:
    """Import a broker's adapter and what it brings (TLS, signatures, a webhook server):
    80-130 ms the first time, in a worker thread, so the event loop never waits for it;
    meanwhile the interpreter is handed back and forth in short slices."""
    from desktop_app.brokers.registry import get_spec

    global _importing, _default_slice
    with _slices_lock:
        if _importing == 0:
            _default_slice = sys.getswitchinterval()
            sys.setswitchinterval(min(IMPORT_SLICE_S, _default_slice))
        _importing += 1
    try:
        get_spec(broker).preload()
    finally:
        with _slices_lock:
            _importing -= 1
            if _importing == 0:
                sys.setswitchinterval(_default_slice)


@dataclass(frozen=True, slots=True)
class Backoff:
    initial: float = 1.0
    factor: float = 2.0
    maximum: float = 60.0
    jitter: float = 0.1  # +-10 %, so that many connections do not retry in lockstep

    def delay(self, attempt: int) -> float:
        base = min(self.maximum, self.initial * self.factor ** max(0, attempt - 1))
        return base * (1 + random.uniform(-self.jitter, self.jitter))


def unexpected_text(exc: BaseException) -> str:
    # The exception's own text may carry request details; name its kind only.
    return f"Unexpected error ({type(exc).__name__}); the activity log has the details."


def error_text(exc: BaseException) -> str:
    return exc.user_text() if isinstance(exc, BrokerError) else unexpected_text(exc)


class Connection:
    def __init__(
        self,
        profile: ConnectionProfile,
        credentials: Credentials,
        *,
        request_log: RequestLog,
        on_change: StateListener | None = None,
        factory: ServiceFactory = registry_factory,
        backoff: Backoff = Backoff(),
        on_credentials: CredentialsListener | None = None,
        on_changed: ChangeListener | None = None,
    ) -> None:
        self.profile = profile
        self.credentials = dict(credentials)
        self.request_log = request_log
        self.state = ConnectionState.DISCONNECTED
        self.message = ""
        self.error: BaseException | None = None
        self.service: BrokerService | None = None
        self.attempts = 0
        self._on_change = on_change
        self._factory = factory
        self._backoff = backoff
        self._on_credentials = on_credentials
        self._on_changed = on_changed
        self._settled = asyncio.Event()
        self._closed = False

    @property
    def connection_id(self) -> str:
        return self.profile.connection_id

    @property
    def capabilities(self) -> Capabilities | None:
        return self.service.capabilities if self.service is not None else None

    @property
    def usable(self) -> bool:
        return self.state in (ConnectionState.CONNECTED, ConnectionState.DEGRADED)

    def set_state(self, state: ConnectionState, message: str = "") -> None:
        if self._closed and state is not ConnectionState.DISCONNECTED:
            return
        if (state, message) == (self.state, self.message):
            return
        self.state = state
        self.message = message
        if state in (ConnectionState.CONNECTED, ConnectionState.FAILED):
            self._settled.set()
        elif state is ConnectionState.CONNECTING:
            self._settled.clear()
        if self._on_change is not None:
            self._on_change(self)

    def fail(self, exc: BaseException) -> None:
        self.error = exc
        self.set_state(ConnectionState.FAILED, error_text(exc))

    async def wait_settled(self) -> ConnectionState:
        """Until the connection is CONNECTED or has FAILED."""
        await self._settled.wait()
        return self.state

    async def run(self, first_attempt: asyncio.Future[None] | None = None) -> bool:
        """Connect, retrying while that can help. True once connected, False if it failed.

        ``first_attempt`` is resolved after the first try: with the error when the
        connection failed for good, with None otherwise (connected, or retrying).
        """

        def settle_first(exc: BaseException | None) -> None:
            if first_attempt is not None and not first_attempt.done():
                if exc is None:
                    first_attempt.set_result(None)
                else:
                    first_attempt.set_exception(exc)

        name = self.profile.name or self.profile.broker
        try:
            while True:
                self.attempts += 1
                self.set_state(
                    ConnectionState.CONNECTING,
                    f"Connecting to {name}…" if self.attempts == 1
                    else f"Reconnecting to {name} (attempt {self.attempts})…",
                )
                try:
                    if self.service is None:
                        if self._factory is registry_factory:
                            await asyncio.to_thread(preload_service, self.profile.broker)
                        self.service = self._factory(
                            self.profile, self.credentials, self.request_log
                        )
                        self._attach_credentials_sink(self.service)
                    await self.service.connect()
                except (Unavailable, RateLimited) as exc:
                    self.error = exc
                    wait = self._backoff.delay(self.attempts)
                    if isinstance(exc, RateLimited) and exc.retry_after:
                        wait = max(wait, exc.retry_after)
                    self.set_state(
                        ConnectionState.CONNECTING,
                        f"{exc.user_text()} Retrying in {wait:.0f} s.",
                    )
                    settle_first(None)
                    await asyncio.sleep(wait)
                    continue
                except BrokerError as exc:
                    self.fail(exc)
                    settle_first(exc)
                    return False
                except Exception as exc:
                    log.exception("connecting %s failed unexpectedly", self.connection_id)
                    self.fail(exc)
                    settle_first(exc)
                    return False
                self.error = None
                self.set_state(ConnectionState.CONNECTED, "")
                settle_first(None)
                return True
        except asyncio.CancelledError:
            settle_first(None)
            raise

    def _attach_credentials_sink(self, service: BrokerService) -> None:
        """What a service changes by itself (a rotated token, a moved account id) is kept
        for this run and handed to the session to persist."""

        def changed(updates: Credentials) -> None:
            self.credentials.update(updates)
            if self._on_credentials is not None:
                self._on_credentials(self, dict(updates))

        service.credentials_changed = changed

        def told(account: AccountRef | None, topics: frozenset[str]) -> None:
            if self._on_changed is not None and self.service is service:
                self._on_changed(self, account, topics)

        service.changed = told

    async def close(self) -> None:
        """Close the service (logs out, best effort) and show DISCONNECTED."""
        await self.close_service()
        self.set_state(ConnectionState.DISCONNECTED, "")
        self._closed = True
        self._settled.set()

    async def close_service(self) -> None:
        """Close the service (logs out, stops its keep-alive), keeping the state shown:
        after a fatal error the connection stays FAILED until reconnected."""
        service, self.service = self.service, None
        if service is not None:
            try:
                async with asyncio.timeout(CLOSE_TIMEOUT):
                    await service.close()
            except (TimeoutError, BrokerError) as exc:
                log.info("closing %s: %s", self.connection_id, type(exc).__name__)
            except Exception:
                log.exception("closing %s failed", self.connection_id)
