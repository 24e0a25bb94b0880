"""Exact JSON for Capital.com: Decimals go out as their own digits and come back as Decimals.

``json.dumps`` knows no Decimal and a float would round a price or a size, so request
bodies are written here; replies are read with ``parse_float=Decimal`` so ``0.1`` never
passes through binary floating point.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import httpx

from desktop_app.brokers.capital.errors import BROKER
from desktop_app.domain.errors import ProtocolError


def dumps(value: Any) -> bytes:
    """Compact JSON; a Decimal is written in plain digits (``1.08503``, ``100``)."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts).encode("utf-8")


def _write(value: Any, out: list[str]) -> None:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} cannot be sent as a JSON number")
        out.append(format(value, "f"))
    elif isinstance(value, float):
        # Money and sizes are Decimal end to end; a float here is a bug upstream.
        raise TypeError(f"refusing to send the float {value!r}; use Decimal")
    elif isinstance(value, Mapping):
        out.append("{")
        for i, (key, item) in enumerate(value.items()):
            if i:
                out.append(",")
            out.append(json.dumps(str(key), ensure_ascii=False))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        out.append(json.dumps(value, ensure_ascii=False))


def loads(content: bytes | str) -> Any:
    """JSON with every non-integer number read as an exact Decimal."""
    return json.loads(content, parse_float=Decimal)


def reply_json(response: httpx.Response) -> Any:
    try:
        return loads(response.content)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError alike
        raise ProtocolError(
            f"Capital.com sent a reply that is not JSON (HTTP {response.status_code}).",
            broker=BROKER,
        ) from exc


def send_exact_json(client: httpx.AsyncClient) -> None:
    """Make ``client`` encode ``json=`` bodies with :func:`dumps`.

    BrokerHttp builds every request with ``build_request(..., json=body)``; httpx's
    encoder would fail on a Decimal, so the body is encoded here at that one place.
    """
    build = client.build_request

    def build_request(
        method: str, url: httpx.URL | str, *, json: Any = None, headers: Any = None,
        **kwargs: Any,
    ) -> httpx.Request:
        if json is None:
            return build(method, url, headers=headers, **kwargs)
        merged = httpx.Headers(headers)
        merged["Content-Type"] = "application/json"
        return build(method, url, content=dumps(json), headers=merged, **kwargs)

    client.build_request = build_request  # type: ignore[method-assign]
