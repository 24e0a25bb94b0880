"""The connection state machine (FakeService where timing must be exact; the
simulator for what the real Capital.com service does)."""

import asyncio
import itertools

import pytest

from desktop_app.domain.config import ConnectionProfile
from desktop_app.domain.errors import AuthError, Unavailable
from desktop_app.net.request_log import RequestLog
from desktop_app.session.connection import Backoff, Connection
from desktop_app.session.events import ConnectionChanged, ConnectionState, PollFailed
from tests.session.conftest import CID, capital_profile, capital_secrets, connected_accounts
from tests.session.fakes import FakeService

NO_JITTER = Backoff(initial=0.05, factor=2.0, maximum=1.0, jitter=0.0)


def _connection(service: object, **kw) -> tuple[Connection, list[tuple[str, str]]]:
    seen: list[tuple[str, str]] = []
    conn = Connection(
        ConnectionProfile("c1", "fake", "Fake broker"), {"password": "pw"},
        request_log=RequestLog(), factory=lambda p, c, log: service,
        on_change=lambda c: seen.append((c.state.value, c.message)), **kw,
    )
    return conn, seen


def test_unreachable_broker_is_retried_with_backoff(run) -> None:
    svc = FakeService("c1")
    svc.fail("connect", Unavailable("no route", broker="Fake"),
             Unavailable("no route", broker="Fake"))
    conn, seen = _connection(svc, backoff=NO_JITTER)

    async def go() -> bool:
        first = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(conn.run(first))
        await first  # the first attempt failed, but not for good: no error here
        assert conn.state is ConnectionState.CONNECTING
        assert "no route" in conn.message and "Retrying in" in conn.message
        return await task

    assert run(go()) is True
    assert conn.state is ConnectionState.CONNECTED and conn.attempts == 3
    tries = [t for t, m, _ in svc.calls if m == "connect"]
    gaps = [b - a for a, b in itertools.pairwise(tries)]
    assert gaps[0] >= 0.05 * 0.95 and gaps[1] >= 0.1 * 0.95  # 0.05 s, then 0.1 s
    assert seen[-1] == ("connected", "")
    assert ("connecting", "Reconnecting to Fake broker (attempt 3)…") in seen


def test_refused_credentials_fail_at_once(run) -> None:
    svc = FakeService("c1")
    svc.fail("connect", AuthError("Login refused.", broker="Fake"))
    conn, _ = _connection(svc, backoff=NO_JITTER)

    async def go() -> None:
        first = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(conn.run(first))
        with pytest.raises(AuthError):
            await first
        assert await task is False

    run(go())
    assert conn.state is ConnectionState.FAILED and conn.attempts == 1
    assert conn.message == AuthError("Login refused.", broker="Fake").user_text()
    assert "Check the API key" in conn.message


def test_unexpected_errors_fail_without_leaking_details(run) -> None:
    svc = FakeService("c1")
    svc.fail("connect", RuntimeError("token=abc123 in some internal text"))
    conn, _ = _connection(svc)
    assert run(conn.run()) is False
    assert conn.state is ConnectionState.FAILED
    assert "RuntimeError" in conn.message and "abc123" not in conn.message


def test_unknown_broker_fails_clearly(run) -> None:
    conn = Connection(ConnectionProfile("x", "nobroker", "Mystery"), {},
                      request_log=RequestLog())
    assert run(conn.run()) is False
    assert "Unknown broker 'nobroker'" in conn.message


def test_session_refused_while_polling_fails_then_reconnects(capital_sim, run, make_hub):
    hub = make_hub()
    events: list[object] = []
    hub.subscribe(events.append)

    async def go() -> None:
        await hub.start()
        await hub.add_connection(capital_profile(capital_sim), capital_secrets(capital_sim),
                                 persist=False)
        usd, _ = await connected_accounts(hub)
        hub.set_focus(usd, set(hub.poller.config.visible), set())
        # The session dies and the broker now refuses the login (e.g. the key was revoked):
        # the service renews once, then the hub gives up with the broker's reason.
        capital_sim.state.fail_next(401, "error.invalid.details", "/session", count=1)
        capital_sim.state.expire_all_sessions()
        state = await asyncio.wait_for(hub.wait_connected(CID), 5)
        while state is ConnectionState.CONNECTED:
            await asyncio.sleep(0.02)
            state = hub.connections()[0].state
        assert state is ConnectionState.FAILED
        failed_at = len(events)
        await asyncio.sleep(0.8)
        assert not [e for e in events[failed_at:] if isinstance(e, PollFailed)]  # stopped

        await hub.reconnect(CID)
        assert hub.connections()[0].state is ConnectionState.CONNECTED
        await connected_accounts(hub)

    run(go(), timeout=20)
    failed = [e for e in events if isinstance(e, ConnectionChanged)
              and e.state is ConnectionState.FAILED]
    assert len(failed) == 1
    assert "not accepted" in failed[0].message  # the broker adapter's own user_text()
    assert capital_sim.credentials["password"] not in failed[0].message


def test_the_adapter_is_imported_off_the_loop_before_the_service_is_made(
        capital_sim, run, monkeypatch) -> None:
    """A broker's adapter and its dependencies take 80-130 ms to import the first time:
    the connection imports them in a worker thread, so the loop never waits for them."""
    import threading

    from desktop_app.session import connection as connection_module

    seen: list[tuple[str, bool]] = []
    preload = connection_module.preload_service
    factory = connection_module.registry_factory

    def recording_preload(broker: str) -> None:
        seen.append(("preload", threading.current_thread() is threading.main_thread()))
        preload(broker)

    def recording_factory(*args):
        seen.append(("factory", threading.current_thread() is threading.main_thread()))
        return factory(*args)

    monkeypatch.setattr(connection_module, "preload_service", recording_preload)
    monkeypatch.setattr(connection_module, "registry_factory", recording_factory)
    conn = Connection(capital_profile(capital_sim), capital_secrets(capital_sim),
                      request_log=RequestLog(), factory=recording_factory)
    # A factory of its own (a test's, a fake's) is not preloaded: only the registry's.
    assert conn._factory is connection_module.registry_factory

    async def go() -> bool:
        first = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(conn.run(first))
        await first
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await conn.close()
        return conn.state is not ConnectionState.FAILED

    assert run(go())
    assert seen[:2] == [("preload", False), ("factory", True)]


def test_while_adapters_are_imported_the_interpreter_changes_hands_in_short_slices(
        monkeypatch) -> None:
    """Python hands the interpreter between threads every 5 ms by default: while a worker
    thread imports, each call the GUI thread makes into Python (a model's data, a slot)
    could wait that long. During imports the slice is IMPORT_SLICE_S, and the default is
    back once the last of several overlapping imports is done."""
    import sys
    import threading

    from desktop_app.brokers import registry
    from desktop_app.session import connection as connection_module

    default = sys.getswitchinterval()
    seen: dict[str, float] = {}
    second_started = threading.Event()
    first_may_finish = threading.Event()

    class Spec:
        def __init__(self, name: str) -> None:
            self.name = name

        def preload(self) -> None:
            seen[self.name] = sys.getswitchinterval()
            if self.name == "first":
                assert first_may_finish.wait(5)
            else:
                second_started.set()

    monkeypatch.setattr(registry, "get_spec", Spec)
    first = threading.Thread(target=connection_module.preload_service, args=("first",))
    first.start()
    second = threading.Thread(target=connection_module.preload_service, args=("second",))
    second.start()
    assert second_started.wait(5)
    second.join(5)
    # The second import is done, the first is not: still short slices.
    assert sys.getswitchinterval() == pytest.approx(connection_module.IMPORT_SLICE_S)
    first_may_finish.set()
    first.join(5)
    assert seen == {"first": pytest.approx(connection_module.IMPORT_SLICE_S),
                    "second": pytest.approx(connection_module.IMPORT_SLICE_S)}
    assert sys.getswitchinterval() == default


def test_a_connection_is_shown_once_its_adapter_is_imported(
        capital_sim, run, make_hub, monkeypatch) -> None:
    """Adding a connection imports the broker's adapter (in a worker thread) before the
    hub lists it: the panels lay out its row and state while nothing else holds the
    interpreter."""
    import threading

    from desktop_app.session import hub_connections

    hub = make_hub()
    seen: list[tuple[bool, list[str]]] = []
    preload = hub_connections.preload_service

    def recording_preload(broker: str) -> None:
        listed = [c.profile.connection_id for c in hub.connections()]
        seen.append((threading.current_thread() is threading.main_thread(), listed))
        preload(broker)

    monkeypatch.setattr(hub_connections, "preload_service", recording_preload)

    async def go() -> None:
        await hub.start()
        await hub.add_connection(capital_profile(capital_sim), capital_secrets(capital_sim),
                                 persist=False)
        assert [c.profile.connection_id for c in hub.connections()] == [CID]

    run(go(), timeout=30)
    assert seen == [(False, [])]
