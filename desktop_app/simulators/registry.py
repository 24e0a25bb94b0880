"""Which simulators exist: a name -> factory table (one entry per broker)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from desktop_app.simulators.streams import StreamEndpoint, StreamKnobs


@dataclass(frozen=True, slots=True)
class SimulatorBundle:
    name: str
    display_name: str
    app: Any  # an ASGI application
    state: Any  # the broker's state object, with its test knobs
    credentials: dict[str, str]
    api_root: str  # path of the REST root, e.g. "/api/v1"
    streams: tuple[StreamEndpoint, ...] = ()  # the price streams it serves
    stream_knobs: StreamKnobs | None = None  # so stopping can end open streams first

    def stream_urls(self, host: str, port: int) -> dict[str, str]:
        """``{label: "ws://host:port/path"}`` for every stream."""
        return {s.label: f"{s.scheme}://{host}:{port}{s.path}" for s in self.streams}


# Each factory is ``(seed: int, *, session_idle_timeout: float) -> SimulatorBundle``. Module
# paths are imported on demand, so starting one simulator loads only its own package.
_FACTORIES: dict[str, str] = {
    "capital": "desktop_app.simulators.capital:create_simulator",
    "darwinex": "desktop_app.simulators.darwinex:create_simulator",
    "lwork": "desktop_app.simulators.lwork:create_simulator",
    "tradovate": "desktop_app.simulators.tradovate:create_simulator",
    "upvest": "desktop_app.simulators.upvest:create_simulator",
}


def simulator_names() -> list[str]:
    return sorted(_FACTORIES)


def factory(name: str) -> Callable[..., SimulatorBundle]:
    """The factory registered under ``name``, or the one a "module:function" path names
    (a broker spec's ``simulator``)."""
    try:
        module_name, _, attribute = (name if ":" in name else _FACTORIES[name]).partition(":")
    except KeyError:
        known = ", ".join(simulator_names())
        raise KeyError(f"unknown simulator {name!r} (known: {known})") from None
    factory_fn: Callable[..., SimulatorBundle] = getattr(
        importlib.import_module(module_name), attribute
    )
    return factory_fn
