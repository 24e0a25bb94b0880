"""Lenient reading of request bodies, as third-party clients send them.

Tolerated: numbers sent as strings, ``null`` for absent optionals, booleans as
``"true"``/``"false"``, and extra IG-style fields (``expiry``, ``orderType``, ``forceOpen``).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from desktop_app.domain.types import Side
from desktop_app.simulators.capital import errors
from desktop_app.simulators.capital.errors import CapitalError


def parse_body(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CapitalError(400, errors.MALFORMED_BODY) from exc
    if not isinstance(body, dict):
        raise CapitalError(400, errors.MALFORMED_BODY)
    return body


def _present(body: dict[str, Any], key: str) -> bool:
    value = body.get(key)
    return value is not None and value != ""


def opt_decimal(body: dict[str, Any], key: str) -> Decimal | None:
    if not _present(body, key):
        return None
    value = body[key]
    if isinstance(value, bool):
        raise errors.invalid(key)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise errors.invalid(key) from exc
    if not number.is_finite():
        raise errors.invalid(key)
    return number


def req_decimal(body: dict[str, Any], key: str) -> Decimal:
    value = opt_decimal(body, key)
    if value is None:
        raise errors.null(key)
    return value


def opt_bool(body: dict[str, Any], key: str, default: bool = False) -> bool:
    value = body.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise errors.invalid(key)


def req_str(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise errors.null(key)
    return str(value).strip()


def req_direction(body: dict[str, Any]) -> Side:
    text = req_str(body, "direction").upper()
    try:
        return Side(text)
    except ValueError as exc:
        raise errors.invalid("direction") from exc


def opt_utc(body: dict[str, Any], key: str) -> datetime | None:
    """``YYYY-MM-DDTHH:MM:SS`` in UTC (fractions and a trailing Z accepted)."""
    if not _present(body, key):
        return None
    return parse_utc_text(str(body[key]), key)


_UTC_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z?")


def parse_utc_text(text: str, key: str) -> datetime:
    """The API's date format; a bare date such as ``2022-01-17`` is refused ([PM] example)."""
    text = text.strip()
    if not _UTC_TEXT.fullmatch(text):
        raise errors.invalid(key)
    try:
        parsed = datetime.fromisoformat(text.removesuffix("Z"))
    except ValueError as exc:
        raise errors.invalid(key) from exc
    return parsed.replace(tzinfo=UTC)
