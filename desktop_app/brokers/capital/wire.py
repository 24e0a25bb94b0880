"""Capital.com replies read as exact JSON (see domain/exact_json.py)."""

from __future__ import annotations

from typing import Any

import httpx

from desktop_app.brokers.capital.errors import BROKER
from desktop_app.domain.errors import ProtocolError
from desktop_app.domain.exact_json import loads


def reply_json(response: httpx.Response) -> Any:
    try:
        return loads(response.content)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError alike
        raise ProtocolError(
            f"Capital.com sent a reply that is not JSON (HTTP {response.status_code}).",
            broker=BROKER,
        ) from exc
