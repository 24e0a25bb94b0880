"""Display strings for Decimal money, levels, sizes and ages (fast: used per changed cell)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from desktop_app.domain.money import format_duration, utc_now
from desktop_app.domain.types import Fact, OrderType


def money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def signed_money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:+,.2f}"


def level(value: Decimal | None) -> str:
    """A price as the broker sent it (its own precision), never in exponent form."""
    return "" if value is None else f"{value:f}"


def size(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def grouped(value: Decimal | None) -> str:
    """A size or bound with thousands separators and no trailing zeros: 100,000,000."""
    if value is None:
        return ""
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def facts(items: Iterable[Fact]) -> str:
    return " · ".join(f"{f.label} {f.value}" for f in items)


def order_type(value: OrderType) -> str:
    return value.value.replace("_", "-").title()


def time_utc(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def age(as_of: datetime | None, now: datetime | None = None) -> str:
    if as_of is None:
        return "never"
    seconds = max(0, int(((now or utc_now()) - as_of).total_seconds()))
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"


def period(seconds: float) -> str:
    if seconds <= 1:
        return "per s"
    if seconds == 60:
        return "per min"
    if seconds == 3600:
        return "per h"
    if seconds % 60 == 0 and seconds < 3600:
        return f"per {int(seconds // 60)} min"
    return f"per {seconds:g} s"


def duration(value: timedelta) -> str:
    return format_duration(value)
