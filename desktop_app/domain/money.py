"""Money is Decimal, never float; times are aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from desktop_app.domain.errors import ProtocolError

# No price, size or amount a broker sends comes near this; beyond it a "number" is a
# corrupt reply, and Decimal arithmetic on it (quantize, %) would fail anyway.
MAX_MAGNITUDE = Decimal("1e15")


def to_decimal(value: object, *, field: str = "value") -> Decimal:
    """Read a broker's number (JSON int, float, or string) as an exact Decimal.

    Floats go through ``repr`` so that ``0.1`` becomes ``Decimal("0.1")``, not the
    binary expansion. NaN, infinities and magnitudes of ``MAX_MAGNITUDE`` or more are
    a ProtocolError: no money value is either.
    """
    if isinstance(value, bool) or value is None:
        raise ProtocolError(f"expected a number for {field}, got {value!r}")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        if abs(value) >= MAX_MAGNITUDE:
            raise ProtocolError(f"the number for {field} is out of range")
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > 64:
            raise ProtocolError(f"expected a number for {field}, got a long text")
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise ProtocolError(f"expected a number for {field}, got {value[:40]!r}") from exc
    else:
        raise ProtocolError(f"expected a number for {field}, got {type(value).__name__}")
    if not number.is_finite() or abs(number) >= MAX_MAGNITUDE:
        raise ProtocolError(f"the number for {field} is out of range ({str(number)[:20]})")
    return number


def optional_decimal(value: object, *, field: str = "value") -> Decimal | None:
    return None if value is None or value == "" else to_decimal(value, field=field)


def utc_now() -> datetime:
    return datetime.now(UTC)


def from_epoch_ms(ms: int | float | Decimal) -> datetime:
    """An epoch in milliseconds; one no calendar holds is a ProtocolError."""
    try:
        return datetime.fromtimestamp(float(ms) / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ProtocolError(f"unreadable time {str(ms)[:30]}") from exc


def parse_utc(text: str) -> datetime:
    """Parse an ISO-8601 timestamp; a naive one is taken as UTC (brokers' *UTC fields).
    An unreadable one raises ValueError."""
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
