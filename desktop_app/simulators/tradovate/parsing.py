"""Reading request bodies the way Tradovate's validation layer answers them.

A body that is not JSON is HTTP 400. A JSON body whose fields break the schema (a
required field missing, a wrong type, a value outside an enum) is HTTP 200 with
``{"violations": [{"constraint", "value", "description"}]}``; every broken field is
listed. ``constraint`` names the field (one of the two forms TV-PARTNER shows).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any


class BadRequest(Exception):
    """HTTP 400: the body is not a JSON object."""


class Violations(Exception):
    def __init__(self, items: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(item["description"] for item in items))
        self.items = items

    def body(self) -> dict[str, Any]:
        return {"violations": self.items}


def parse_body(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("Malformed JSON") from exc
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object")
    return body


def _shown(value: Any) -> str:
    return "" if value is None else str(value)


class Reader:
    """Typed access to a body; collects violations and raises them all in ``done()``."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self._violations: list[dict[str, Any]] = []

    def violation(self, key: str, description: str) -> None:
        self._violations.append(
            {"constraint": key, "value": _shown(self.body.get(key)), "description": description})

    def done(self) -> None:
        if self._violations:
            raise Violations(self._violations)

    def _missing(self, key: str, required: bool) -> bool:
        value = self.body.get(key)
        if value is None or value == "":
            if required:
                self.violation(key, f"{key} should be specified")
            return True
        return False

    def integer(self, key: str, *, required: bool = False, positive: bool = False) -> int | None:
        if self._missing(key, required):
            return None
        value = self.body[key]
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, Decimal) and value == value.to_integral_value():
            number = int(value)
        elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
            number = int(value.strip())
        if number is None:
            self.violation(key, f"{key} should be an integer")
            return None
        if positive and number <= 0:
            self.violation(key, f"{key} should be greater than 0")
            return None
        return number

    def decimal(self, key: str, *, required: bool = False) -> Decimal | None:
        if self._missing(key, required):
            return None
        value = self.body[key]
        if isinstance(value, bool):
            self.violation(key, f"{key} should be a number")
            return None
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            self.violation(key, f"{key} should be a number")
            return None
        return number

    def text(self, key: str, *, required: bool = False, max_length: int | None = None,
             numbers_ok: bool = False) -> str | None:
        if self._missing(key, required):
            return None
        value = self.body[key]
        if numbers_ok and isinstance(value, int | Decimal) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.violation(key, f"{key} should be a string")
            return None
        if max_length is not None and len(value) > max_length:
            self.violation(key, f"{key} should be at most {max_length} characters")
            return None
        return value

    def choice(self, key: str, choices: Iterable[str], *, required: bool = False) -> str | None:
        value = self.text(key, required=required)
        options = tuple(choices)
        if value is not None and value not in options:
            self.violation(key, f"{key} should be one of {', '.join(options)}")
            return None
        return value

    def boolean(self, key: str, default: bool = False, *, required: bool = False) -> bool:
        value = self.body.get(key)
        if value is None:
            if required:
                self.violation(key, f"{key} should be specified")
            return default
        if isinstance(value, bool):
            return value
        self.violation(key, f"{key} should be true or false")
        return default

    def timestamp(self, key: str) -> datetime | None:
        text = self.text(key)
        if text is None:
            return None
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            self.violation(key, f"{key} should be an ISO-8601 date-time")
            return None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
