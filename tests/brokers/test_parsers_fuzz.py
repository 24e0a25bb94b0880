"""Whatever a broker sends, the adapters raise only the project's own errors.

Every public function of every broker's ``mapping`` module, the reply readers and the
error mappers are fed arbitrary JSON (keys drawn from the module's own field names, so
the fields are hit, not only missed), bodies nested 5,000 deep and numbers of 10**62.
A parser may return a value or raise a ``BrokerError`` (ProtocolError and kin); any
other exception (AttributeError, TypeError, KeyError, InvalidOperation, OverflowError,
RecursionError) is a bug: the trader would see "Unexpected error" instead of the reason.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import os
import re
import typing
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.domain import exact_json
from desktop_app.domain.errors import BrokerError
from desktop_app.domain.types import AccountRef, Environment, Side
from desktop_app.net.http import json_body, reply_body

BROKERS = ("capital", "tradovate", "darwinex", "lwork", "upvest")
DEEP = 5000
# Examples per parser; FUZZ_EXAMPLES=500 for a long run (the CI default keeps the suite fast).
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
REF = AccountRef("c1", "x", "A1")


def _keys(module_name: str) -> list[str]:
    source = Path(importlib.import_module(module_name).__file__).read_text()
    return sorted(set(re.findall(r'"([A-Za-z_][A-Za-z0-9_]{1,40})"', source)))[:400]


def json_values(keys: list[str]) -> st.SearchStrategy[Any]:
    key = st.sampled_from(keys) | st.text(max_size=8) if keys else st.text(max_size=8)
    scalars = (
        st.none() | st.booleans()
        | st.integers(min_value=-10**70, max_value=10**70)
        | st.sampled_from([10**62, -10**62, 0, 1, -1])
        | st.floats(allow_nan=True, allow_infinity=True)
        | st.decimals(allow_nan=True, allow_infinity=True)
        | st.text(max_size=20)
        | st.sampled_from(["", "NaN", "1e999", "2026-12-04T10:00:00", "BUY", "SELL",
                           "-1", "abc", "1,5", "TRADEABLE", "ACTIVE", "Filled"])
    )
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=4)
        | st.dictionaries(key, children, max_size=6),
        max_leaves=25,
    )


def _deep(depth: int = DEEP) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


KNOWN: dict[str, Any] = {
    "ref": REF, "account": REF, "server_ids": {}, "login": "1001", "pay_currency": "USD",
    "connection": "c1", "environment": Environment.DEMO,
    "currency": "USD", "symbol": "ES", "contract_name": "ESZ6", "side": Side.BUY,
    "name": "x", "what": "an account", "fallback_name": "x", "state": "cancelled",
    "today": datetime(2026, 12, 4, tzinfo=UTC), "price": Decimal("10"),
    "average_cost": Decimal("9"), "active_id": "A1", "kind": "x",
}


# Where each broker reads raw replies: its mapping, and LWork's wire records.
READERS = ("mapping", "wire")


def _callables(broker: str) -> list[tuple[str, Callable[..., Any]]]:
    found = []
    for reader in READERS:
        try:
            module = importlib.import_module(f"desktop_app.brokers.{broker}.{reader}")
        except ImportError:
            continue
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or fn.__module__ != module.__name__:
                continue
            found.append((f"{broker}.{reader}.{name}", fn))
    return found


FUNCTIONS: list[tuple[str, Callable[..., Any]]] = []


def _fuzzed_params(fn: Callable[..., Any]) -> list[str] | None:
    """Parameters that take broker data (the rest get KNOWN values); None: skip."""
    hints = typing.get_type_hints(fn)
    fuzzed = []
    for param in inspect.signature(fn).parameters.values():
        if param.name in KNOWN:
            continue
        hint = str(hints.get(param.name, ""))
        if param.default is not inspect.Parameter.empty and "dict" not in hint and (
            "Any" not in hint
        ):
            continue
        raw = ("dict", "Any", "object", "Iterable", "list")
        if not hint or not any(t in hint for t in raw):
            return None  # takes our own values or parsed records, not the broker's JSON
        fuzzed.append(param.name)
    return fuzzed


# Parsers of broker data only (functions over our own values, e.g. wire_time, are not).
FUNCTIONS = [(n, fn) for broker in BROKERS for n, fn in _callables(broker)
             if _fuzzed_params(fn) is not None]


def _call(fn: Callable[..., Any], data: Any) -> None:
    fuzzed = _fuzzed_params(fn) or []
    kwargs: dict[str, Any] = {}
    for param in inspect.signature(fn).parameters.values():
        if param.name in fuzzed:
            kwargs[param.name] = data
        elif param.name in KNOWN:
            kwargs[param.name] = KNOWN[param.name]
    with contextlib.suppress(BrokerError):
        fn(**kwargs)


@pytest.mark.parametrize(("name", "fn"), FUNCTIONS, ids=[n for n, _ in FUNCTIONS])
def test_mapping_raises_only_project_errors(name: str, fn: Callable[..., Any]) -> None:
    keys = _keys(fn.__module__)

    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(json_values(keys))
    def check(data: Any) -> None:
        _call(fn, data)
        if isinstance(data, dict):
            for key in list(data)[:2]:
                _call(fn, {**data, key: _deep(50)})

    check()
    _call(fn, _deep())
    _call(fn, {k: 10**62 for k in keys[:60]})


def _response(content: bytes, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=content,
                          request=httpx.Request("GET", "https://broker.test/x"))


BODIES = [
    b"[" * DEEP + b"]" * DEEP, b"{\"a\":" * DEEP + b"1" + b"}" * DEEP,
    b"1" + b"0" * 100, b"1e999999", b"NaN", b"<html>", b"", b"\xff\xfe", b"{", b"[1,",
]


@pytest.mark.parametrize("body", BODIES, ids=range(len(BODIES)))
def test_reply_readers_raise_only_project_errors(body: bytes) -> None:
    for read in (lambda r: json_body(r, "X"), lambda r: reply_body(r, "X"),
                 lambda r: reply_body(r, "X", write=True)):
        with contextlib.suppress(BrokerError):
            read(_response(body))
    # exact_json is the domain's reader: a ValueError the readers turn into ours.
    with contextlib.suppress(ValueError):
        exact_json.loads(body)


MAPPERS = []
for _broker in BROKERS:
    try:
        _errors = importlib.import_module(f"desktop_app.brokers.{_broker}.errors")
    except ImportError:
        continue
    if hasattr(_errors, "map_error"):
        MAPPERS.append((_broker, _errors.map_error))


@pytest.mark.parametrize(("broker", "mapper"), MAPPERS, ids=[b for b, _ in MAPPERS])
@pytest.mark.parametrize("status", [200, 400, 401, 403, 404, 409, 423, 429, 500, 503])
def test_error_mappers_raise_only_project_errors(broker, mapper, status) -> None:
    keys = _keys(mapper.__module__)

    @settings(max_examples=max(10, FUZZ_EXAMPLES // 4), deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(json_values(keys))
    def check(data: Any) -> None:
        try:
            body = exact_json.dumps(data, allow_float=True)
        except (ValueError, TypeError):
            return
        with contextlib.suppress(BrokerError):
            mapper(_response(body, status))

    check()
    for body in BODIES:
        with contextlib.suppress(BrokerError):
            mapper(_response(body, status))
