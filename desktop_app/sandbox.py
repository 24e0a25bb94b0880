"""The Sandbox: local simulators of every broker, reached through the real adapters.

Runs the simulators in their own thread (see ``simulators.runner``) so their work never
steals frames from the app's loop, and turns each into a demo connection profile.

The Sandbox keeps its state between runs (``sandbox_state``): its seed (so the printed
logins and the account ids stay the same) and every simulator's exported state, saved
right after it starts, every ``SAVE_INTERVAL`` seconds when something changed (a crash
loses little) and when it stops. Saving runs in a thread of its own; each simulator's
export is taken on that simulator's loop, between two requests. ``reset`` starts over on
purpose.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_app.brokers.registry import broker_specs, get_spec
from desktop_app.domain.config import ConnectionProfile, Credentials
from desktop_app.domain.types import Environment
from desktop_app.sandbox_state import Loaded, SandboxStateFile
from desktop_app.simulators.runner import RunningSimulator, describe, start_sandbox

if TYPE_CHECKING:
    from desktop_app.session.hub import Hub

log = logging.getLogger(__name__)

SAVE_INTERVAL = 15.0
# How long "Simulate a dropped price stream" keeps the simulators' streams refused.
STREAM_OUTAGE = 5.0
# ISO 8601 instant: the Sandbox's exchanges read this time (and tick on from it); to try
# closed markets, e.g. TRADING_DASHBOARD_SANDBOX_TIME=2025-01-18T12:00Z (a Saturday).
SESSION_TIME_ENV = "TRADING_DASHBOARD_SANDBOX_TIME"
# A Wednesday 09:00 in Chicago: every market of every simulator is open (the smoke run).
OPEN_SESSION = datetime(2025, 1, 15, 15, 0, tzinfo=UTC)


def sandbox_credentials(broker: str, sim: RunningSimulator) -> dict[str, str]:
    """What a person would type for the simulator: its printed credentials, with each
    private-key field's PEM read from the key file the simulator wrote (it prints the
    file's path, ``<field>_file``, not the key)."""
    values = dict(sim.credentials)
    for wanted in get_spec(broker).credential_fields:
        path = values.get(f"{wanted.name}_file")
        if wanted.private_key and path and wanted.name not in values:
            values[wanted.name] = Path(path).read_text(encoding="ascii")
    return values


def sandbox_connection(broker: str, sim: RunningSimulator) -> tuple[ConnectionProfile, Credentials]:
    """A demo profile pointing at the simulator; secret fields stay out of the profile."""
    spec = get_spec(broker)
    secret = spec.secret_fields
    values = sandbox_credentials(broker, sim)
    profile = ConnectionProfile(
        connection_id=f"sandbox-{broker}",
        broker=broker,
        name=f"{spec.display_name} Sandbox",
        environment=Environment.DEMO,
        fields={k: v for k, v in values.items() if k not in secret},
        base_url=sim.base_url,
        sandbox=True,
    )
    return profile, {k: v for k, v in values.items() if k in secret}


def sandbox_brokers() -> tuple[str, ...]:
    """The Sandbox runs every registered broker's simulator."""
    return tuple(spec.broker for spec in broker_specs())


def _factories(brokers: tuple[str, ...]) -> dict[str, str]:
    return {b: get_spec(b).simulator for b in brokers}


def session_time_from_env() -> datetime | None:
    """The ``TRADING_DASHBOARD_SANDBOX_TIME`` knob; ValueError when it is not an instant."""
    text = os.environ.get(SESSION_TIME_ENV, "").strip()
    if not text:
        return None
    at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if at.tzinfo is None:
        raise ValueError(f"{SESSION_TIME_ENV}={text!r} needs a time zone (e.g. ...Z)")
    return at


@dataclass
class Sandbox:
    simulators: dict[str, RunningSimulator] = field(default_factory=dict)
    seed: int = 0
    store: SandboxStateFile | None = None
    notice: str | None = None  # said once to the trader (a saved state moved aside)
    _extra: dict[str, dict[str, Any]] = field(default_factory=dict)
    _save_lock: threading.Lock = field(default_factory=threading.Lock)
    _stop_saver: threading.Event = field(default_factory=threading.Event)
    _saver: threading.Thread | None = None

    @classmethod
    async def start(
        cls,
        brokers: tuple[str, ...] | None = None,
        *,
        announce: bool = True,
        state_dir: Path | None = None,
        session_time: datetime | None = None,
    ) -> Sandbox:
        """Every registered broker's simulator (or ``brokers``); ``state_dir`` None: nothing
        is loaded or saved (the smoke run)."""
        chosen = brokers if brokers is not None else sandbox_brokers()
        return await asyncio.to_thread(cls._start, chosen, announce, state_dir, session_time)

    @classmethod
    def _start(cls, brokers: tuple[str, ...], announce: bool, state_dir: Path | None,
               session_time: datetime | None) -> Sandbox:
        store = SandboxStateFile(state_dir) if state_dir is not None else None
        loaded = store.load() if store is not None else Loaded()
        notice = loaded.notice
        try:
            sims = start_sandbox(brokers, loaded.seed, announce=False, saved=loaded.simulators,
                                 factories=_factories(brokers))
        except Exception as exc:
            if store is None or not loaded.simulators:
                raise
            log.exception("the saved Sandbox could not be restored")
            moved = store.move_aside("damaged")
            notice = (f"The saved Sandbox could not be restored ({type(exc).__name__}: {exc}); "
                      f"it was moved to {moved} and a new Sandbox was started.")
            loaded = Loaded()
            sims = start_sandbox(brokers, announce=False, factories=_factories(brokers))
        if announce:
            for sim in sims.values():
                print(describe(sim), flush=True)
        if session_time is not None:
            for sim in sims.values():
                clock = getattr(sim.state, "session_clock", None)  # brokers with hours
                if clock is not None:
                    clock.move_to(session_time)
        extra = {k: v for k, v in loaded.simulators.items() if k not in sims}
        seed = next(iter(sims.values())).seed if sims else 0
        sandbox = cls(dict(sims), seed, store, notice, extra)
        if store is not None:
            sandbox.save()
            sandbox._saver = threading.Thread(target=sandbox._save_periodically,
                                              name="sandbox-saver", daemon=True)
            sandbox._saver.start()
        return sandbox

    def connections(self) -> list[tuple[ConnectionProfile, Credentials]]:
        return [sandbox_connection(b, s) for b, s in self.simulators.items()]

    def account_ids(self) -> dict[str, list[str]]:
        """Per persistent simulator (those that keep their state), its account ids."""
        return {b: [str(a) for a in s.state.account_ids()] for b, s in self.simulators.items()
                if s.persistent}

    # ----------------------------------------------------------------- saving
    def save(self) -> bool:
        """Write every simulator's state if anything changed (blocking: a worker thread)."""
        if self.store is None:
            return False
        with self._save_lock:
            states = dict(self._extra)
            for broker, sim in self.simulators.items():
                if sim.running and sim.persistent:
                    states[broker] = sim.export_state()
            return self.store.save(self.seed, states)

    def _save_periodically(self) -> None:
        while not self._stop_saver.wait(SAVE_INTERVAL):
            try:
                self.save()
            except Exception:  # the next round tries again; the trader's work goes on
                log.exception("the Sandbox state could not be saved")

    async def stop(self, *, save: bool = True) -> None:
        """Stop saving and the simulators; the last state is written first (``save``)."""
        self._stop_saver.set()
        saver, self._saver = self._saver, None
        if saver is not None:
            await asyncio.to_thread(saver.join)
        if save:
            try:
                await asyncio.to_thread(self.save)
            except Exception:
                log.exception("the Sandbox state could not be saved on stop")
        for sim in self.simulators.values():
            await asyncio.to_thread(sim.stop)
        self.simulators.clear()

    async def discard(self) -> None:
        """Stop and put the state aside as the one-step backup (``reset``)."""
        await self.stop()
        if self.store is not None:
            await asyncio.to_thread(self.store.discard)


class SandboxControl:
    """The Sandbox beside the hub's connections: opened at start or from the Connections
    menu, reset on purpose, closed (and saved) at quit. The window's view-model drives it
    through ``viewmodels.sandbox_vm.SandboxController``."""

    def __init__(
        self,
        hub: Hub,
        *,
        state_dir: Path | None,
        announce: bool = True,
        session_time: datetime | None = None,
        report: Callable[[str], None] = lambda _text: None,
    ) -> None:
        self.hub = hub
        self.state_dir = state_dir
        self.announce = announce
        self.session_time = session_time
        self.report = report
        self.sandbox: Sandbox | None = None
        self._lock = asyncio.Lock()

    @property
    def running(self) -> bool:
        return self.sandbox is not None

    async def open(self) -> str:
        """Start the Sandbox (if it is not running) and connect its accounts."""
        async with self._lock:
            if self.sandbox is not None:
                return "The Sandbox is already open."
            await self._start()
            return "The Sandbox is open: simulated brokers with demo money."

    async def reset(self) -> str:
        """Start over: new seed, new accounts; the old state is kept as a backup file."""
        async with self._lock:
            if self.sandbox is not None:
                for profile, _ in self.sandbox.connections():
                    await self.hub.remove_connection(profile.connection_id)
                await self.sandbox.discard()
                self.sandbox = None
            elif self.state_dir is not None:
                await asyncio.to_thread(SandboxStateFile(self.state_dir).discard)
            await self._start()
            return "The Sandbox was reset: new demo accounts at every simulated broker."

    async def drop_streams(self, refuse_seconds: float = STREAM_OUTAGE) -> str:
        """Cut every simulator's price streams and refuse new ones for a while, to see
        what the app does when a broker's stream goes down (Sandbox only)."""
        sandbox = self.sandbox
        if sandbox is None:
            return "The Sandbox is not open."
        cut = sum(sim.drop_streams(refuse_seconds) for sim in sandbox.simulators.values())
        return (f"The Sandbox cut {cut} price stream{'s' if cut != 1 else ''} and refuses new "
                f"ones for {refuse_seconds:g} s; the app reconnects by itself.")

    async def close(self) -> None:
        async with self._lock:
            sandbox, self.sandbox = self.sandbox, None
            if sandbox is not None:
                await sandbox.stop()

    async def _start(self) -> None:
        sandbox = await Sandbox.start(announce=self.announce, state_dir=self.state_dir,
                                      session_time=self.session_time)
        self.sandbox = sandbox
        if sandbox.notice:
            self.report(sandbox.notice)

        async def add(profile: ConnectionProfile, credentials: Credentials) -> None:
            try:
                await self.hub.add_connection(profile, credentials, persist=False)
            except Exception as exc:  # shown, not fatal: the window stays usable
                self.report(f"{profile.name}: {exc}")

        await asyncio.gather(*(add(p, c) for p, c in sandbox.connections()))
