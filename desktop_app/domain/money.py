"""Money is Decimal, never float; times are aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from desktop_app.domain.errors import ProtocolError


def to_decimal(value: object, *, field: str = "value") -> Decimal:
    """Read a broker's number (JSON int, float, or string) as an exact Decimal.

    Floats go through ``repr`` so that ``0.1`` becomes ``Decimal("0.1")``, not the
    binary expansion.
    """
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or value is None:
        raise ProtocolError(f"expected a number for {field}, got {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation as exc:
            raise ProtocolError(f"expected a number for {field}, got {value!r}") from exc
    raise ProtocolError(f"expected a number for {field}, got {type(value).__name__}")


def optional_decimal(value: object, *, field: str = "value") -> Decimal | None:
    return None if value is None or value == "" else to_decimal(value, field=field)


def utc_now() -> datetime:
    return datetime.now(UTC)


def from_epoch_ms(ms: int | float) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def parse_utc(text: str) -> datetime:
    """Parse an ISO-8601 timestamp; a naive one is taken as UTC (brokers' *UTC fields)."""
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def format_money(amount: Decimal, currency: str = "", places: int = 2) -> str:
    q = Decimal(1).scaleb(-places)
    text = f"{amount.quantize(q):,}"
    return f"{text} {currency}".strip()


def format_duration(value: timedelta | None) -> str:
    """"1 h", "15 min", "40 s": the largest whole unit."""
    seconds = int(value.total_seconds()) if value is not None else 0
    if seconds % 3600 == 0 and seconds >= 3600:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0 and seconds >= 60:
        return f"{seconds // 60} min"
    return f"{seconds} s"
