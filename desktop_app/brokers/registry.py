"""Which brokers the app knows: one spec per broker package.

Adding a broker is a new package under ``brokers/`` (with its ``spec.py``), its simulator
under ``simulators/``, and one entry in ``SPECS``; the session, the Sandbox, ``--smoke``,
the simulators' command line, the connections dialog and the tests read everything from
these specs.
"""

from __future__ import annotations

from desktop_app.brokers.capital.spec import SPEC as CAPITAL
from desktop_app.brokers.common.spec import BrokerSpec, SmokeTrade
from desktop_app.brokers.darwinex.spec import SPEC as DARWINEX
from desktop_app.brokers.lwork.spec import SPEC as LWORK
from desktop_app.brokers.tradovate.spec import SPEC as TRADOVATE
from desktop_app.brokers.upvest.spec import SPEC as UPVEST
from desktop_app.domain.errors import NotSupported

__all__ = ["SPECS", "BrokerSpec", "SmokeTrade", "broker_specs", "get_spec"]

SPECS: tuple[BrokerSpec, ...] = (CAPITAL, TRADOVATE, DARWINEX, LWORK, UPVEST)


def broker_specs() -> list[BrokerSpec]:
    return list(SPECS)


def get_spec(broker: str) -> BrokerSpec:
    for spec in SPECS:
        if spec.broker == broker:
            return spec
    raise NotSupported(f"Unknown broker {broker!r}.")
