"""Which simulators exist: every simulator package, found by its folder."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
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


# Each factory is ``(seed: int, *, session_idle_timeout: float, origin: float | None) ->
# SimulatorBundle`` (``origin``: the first start of a restored simulator). Its state has
# ``export_state() -> dict`` and ``import_state(dict)`` (the Sandbox's state file).
# A simulator is a subpackage of ``desktop_app.simulators`` with a ``create_simulator``:
# found by its folder, so adding a broker's simulator needs no table here; a broker's
# spec names its factory as a "module:function" path. Packages are imported on demand,
# so starting one simulator loads only its own.
_PACKAGE = "desktop_app.simulators"


def simulator_names() -> list[str]:
    """Every simulator package (a folder here with an ``__init__`` naming
    ``create_simulator``)."""
    package = importlib.import_module(_PACKAGE)
    names = []
    for info in pkgutil.iter_modules(package.__path__):
        if not info.ispkg:
            continue
        init = Path(package.__path__[0]) / info.name / "__init__.py"
        if init.is_file() and "def create_simulator" in init.read_text(encoding="utf-8"):
            names.append(info.name)
    return sorted(names)


def factory(name: str) -> Callable[..., SimulatorBundle]:
    """The factory of simulator ``name``, or the one a "module:function" path names (a
    broker spec's ``simulator``)."""
    if ":" in name:
        module_name, _, attribute = name.partition(":")
    elif name in simulator_names():
        module_name, attribute = f"{_PACKAGE}.{name}", "create_simulator"
    else:
        known = ", ".join(simulator_names())
        raise KeyError(f"unknown simulator {name!r} (known: {known})")
    factory_fn: Callable[..., SimulatorBundle] = getattr(
        importlib.import_module(module_name), attribute
    )
    return factory_fn
