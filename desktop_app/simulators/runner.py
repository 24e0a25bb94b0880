"""Run simulators on 127.0.0.1: uvicorn in a daemon thread with its own event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import uvicorn

from desktop_app.simulators.registry import SimulatorBundle, factory
from desktop_app.simulators.streams import StreamKnobs

log = logging.getLogger(__name__)
_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 5.0
_EXPORT_TIMEOUT = 10.0


class _Server(uvicorn.Server):
    """uvicorn's server, woken at once by ``request_exit`` instead of its next 0.1 s tick."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864_000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)

    def request_exit(self) -> None:
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(wake.set)


@dataclass
class RunningSimulator:
    name: str
    display_name: str
    base_url: str  # the REST root, e.g. "http://127.0.0.1:PORT/api/v1"
    credentials: dict[str, str]
    state: Any
    seed: int
    port: int
    _server: _Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _stop_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    stream_urls: dict[str, str] = field(default_factory=dict)  # label -> ws://... URL
    _stream_knobs: StreamKnobs | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def persistent(self) -> bool:
        """Whether this simulator can save and restore its state (``export_state``)."""
        return callable(getattr(self.state, "export_state", None))

    def export_state(self) -> dict[str, Any]:
        """The state to save, taken on the simulator's own loop between two requests (a
        request is handled in one go there, so the snapshot is never half a deal)."""
        loop = self._server._loop
        if (loop is None or loop.is_closed() or not self._thread.is_alive()
                or threading.current_thread() is self._thread):
            return dict(self.state.export_state())

        async def take() -> dict[str, Any]:
            return dict(self.state.export_state())

        return asyncio.run_coroutine_threadsafe(take(), loop).result(_EXPORT_TIMEOUT)

    def drop_streams(self, refuse_seconds: float = 0.0) -> int:
        """Cut every live price stream as a network fault would (no close frame) and
        turn new ones away with HTTP 503 for ``refuse_seconds``; how many were cut."""
        knobs = self._stream_knobs
        if knobs is None:
            return 0
        knobs.refuse(refuse_seconds)
        return knobs.drop()

    def stop(self) -> None:
        """Shut the server down and join its thread; safe to call twice."""
        with self._stop_lock:
            if self._stream_knobs is not None:
                # An open chunked stream would hold uvicorn's graceful shutdown for seconds.
                self._stream_knobs.end_all()
            self._server.request_exit()
            if self._thread.is_alive() and self._thread is not threading.current_thread():
                self._thread.join(_STOP_TIMEOUT)
                if self._thread.is_alive():
                    self._server.force_exit = True
                    self._thread.join(_STOP_TIMEOUT)


def new_seed() -> int:
    return secrets.randbelow(1_000_000)


def _serve(server: uvicorn.Server, sock: socket.socket) -> None:
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(server.serve(sockets=[sock]))
    except BaseException:  # the starting thread learns of it through server.started
        log.exception("simulator server stopped with an error")
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        sock.close()


def start_simulator(
    name: str,
    port: int = 0,
    seed: int | None = None,
    session_idle_timeout: float = 600.0,
    *,
    host: str = "127.0.0.1",
    access_log: bool = False,
    saved: Mapping[str, Any] | None = None,
    wrap: Callable[[Any], Any] | None = None,
) -> RunningSimulator:
    """Start simulator ``name`` and return once it is listening (port 0 picks a free one).

    ``saved``: a state from ``RunningSimulator.export_state()`` of a simulator with the
    same ``seed``, to carry on from (the Sandbox across restarts); a state that does not
    fit raises before anything listens. ``wrap``: an outer ASGI layer (the fault layer of
    the fault-injection tests, ``simulators.fault_layer``).
    """
    seed = new_seed() if seed is None else seed
    restore = {"origin": float(saved["origin"])} if saved is not None else {}
    bundle: SimulatorBundle = factory(name)(
        seed, session_idle_timeout=session_idle_timeout, **restore)
    if saved is not None:
        bundle.state.import_state(dict(saved))
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted connections only when
    # the listening socket says TCP; without it every keep-alive reply waits ~40 ms (Nagle).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        wrap(bundle.app) if wrap is not None else bundle.app,
        # Inside the app (its logging set up: desktop_app.logs) uvicorn's records go to the
        # app's log file, masked like every other; uvicorn's own config would add handlers
        # that write to the terminal. Standalone (the simulators' CLI) it keeps its own.
        log_config=None if logging.getLogger().handlers else uvicorn.config.LOGGING_CONFIG,
        log_level="warning",
        access_log=access_log,
        lifespan="off",
        timeout_graceful_shutdown=2,
        server_header=False,
    )
    server = _Server(config)
    thread = threading.Thread(
        target=_serve, args=(server, sock), name=f"sim-{name}-{bound_port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + _START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"simulator {name!r} did not start on {host}:{bound_port}")
        time.sleep(0.01)
    return RunningSimulator(
        name=bundle.name,
        display_name=bundle.display_name,
        base_url=f"http://{host}:{bound_port}{bundle.api_root}",
        # Read after the import: a restored Darwinex hands out its newest token pair.
        credentials=dict(bundle.state.credentials if saved is not None else bundle.credentials),
        state=bundle.state,
        seed=seed,
        port=bound_port,
        _server=server,
        _thread=thread,
        stream_urls=bundle.stream_urls(host, bound_port),
        _stream_knobs=bundle.stream_knobs,
    )


def start_sandbox(
    brokers: tuple[str, ...] = ("capital",),
    seed: int | None = None,
    *,
    announce: bool = True,
    saved: Mapping[str, Mapping[str, Any]] | None = None,
    factories: Mapping[str, str] | None = None,
) -> dict[str, RunningSimulator]:
    """Start one simulator per broker for the Sandbox profile; prints their demo logins.

    ``saved``: per broker, a state to carry on from (made with the same ``seed``);
    ``factories``: per broker, its simulator's "module:function" (a broker spec's
    ``simulator``; by default the simulator package of the same name)."""
    seed = new_seed() if seed is None else seed
    saved = saved or {}
    factories = factories or {}
    started: dict[str, RunningSimulator] = {}
    try:
        for broker in brokers:
            started[broker] = start_simulator(factories.get(broker, broker), seed=seed,
                                              saved=saved.get(broker))
    except BaseException:
        for sim in started.values():
            sim.stop()
        raise
    if announce:
        for sim in started.values():
            print(describe(sim), flush=True)
    return started


def describe(sim: RunningSimulator) -> str:
    """The lines a person needs to log in to the simulator by hand (demo credentials only)."""
    lines = [f"{sim.display_name} simulator (seed {sim.seed}): {sim.base_url}"]
    lines += [f"  {key}: {value}" for key, value in sim.credentials.items()]
    lines += [f"  {label}: {url}" for label, url in sim.stream_urls.items()]
    account_ids = getattr(sim.state, "account_ids", None)
    if callable(account_ids):
        lines.append("  accounts: " + ", ".join(str(a) for a in account_ids()))
    return "\n".join(lines)
