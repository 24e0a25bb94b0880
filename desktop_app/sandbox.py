"""The Sandbox: local simulators of every broker, reached through the real adapters.

Runs the simulators in their own thread (see ``simulators.runner``) so their work never
steals frames from the app's loop, and turns each into a demo connection profile.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from desktop_app.brokers.registry import SPECS, get_spec
from desktop_app.domain.config import ConnectionProfile, Credentials
from desktop_app.domain.types import Environment
from desktop_app.simulators.runner import RunningSimulator, start_sandbox

SANDBOX_BROKERS = tuple(spec.broker for spec in SPECS)


def sandbox_connection(broker: str, sim: RunningSimulator) -> tuple[ConnectionProfile, Credentials]:
    """A demo profile pointing at the simulator; secret fields stay out of the profile.

    A simulator prints the file its demo client's private key is in (``NAME_file``), never
    the key: a ``private_key`` field gets the file's PEM text, as the connections dialog
    reads a picked file (a few hundred bytes, read once at start).
    """
    spec = get_spec(broker)
    secret = spec.secret_fields
    values = dict(sim.credentials)
    for f in spec.credential_fields:
        path = values.pop(f"{f.name}_file", None) if f.private_key else None
        if path is not None and f.name not in values:
            values[f.name] = Path(path).read_text(encoding="utf-8")
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


@dataclass
class Sandbox:
    simulators: dict[str, RunningSimulator] = field(default_factory=dict)

    @classmethod
    async def start(
        cls, brokers: tuple[str, ...] = SANDBOX_BROKERS, *, announce: bool = True
    ) -> Sandbox:
        sims = await asyncio.to_thread(start_sandbox, brokers, announce=announce)
        return cls(dict(sims))

    def connections(self) -> list[tuple[ConnectionProfile, Credentials]]:
        return [sandbox_connection(b, s) for b, s in self.simulators.items()]

    async def stop(self) -> None:
        for sim in self.simulators.values():
            await asyncio.to_thread(sim.stop)
        self.simulators.clear()
