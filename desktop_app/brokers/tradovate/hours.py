"""Whether a Tradovate product trades now, and when it opens, from its product session.

``/productSession/deps?masterid=<productId>`` (the OpenAPI spec's ``ProductSession``)
gives ``openTime``, ``startTime``, ``stopTime``, ``closeTime`` and ``sundayOpenTime`` as
``{"hour", "minute"}`` with no zone. Read here (UNCONFIRMED beyond the schema) as CME
Globex does: exchange time (US Central, ``America/Chicago``), trading from ``startTime``
to ``stopTime`` the next day for sessions starting Sunday to Thursday, orders taken but
not matched (the pre-open) from ``openTime`` (on Sunday from ``sundayOpenTime``) until
``startTime``; closed otherwise (the daily maintenance break, the weekend).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

EXCHANGE_ZONE = ZoneInfo("America/Chicago")
_SESSION_DAYS = (6, 0, 1, 2, 3)  # a session starting Sunday to Thursday


class SessionState(StrEnum):
    OPEN = "OPEN"
    PRE_OPEN = "PRE_OPEN"
    CLOSED = "CLOSED"


@dataclass(frozen=True, slots=True)
class SessionNow:
    state: SessionState
    opens_at: datetime | None  # the next start of trading when not open


def _time(value: Any) -> time | None:
    if not isinstance(value, dict):
        return None
    try:
        return time(int(value["hour"]), int(value["minute"]))
    except (KeyError, TypeError, ValueError):
        return None


def session_now(session: dict[str, Any], at: datetime) -> SessionNow | None:
    """The state at ``at`` and the next start (None: the session cannot be read)."""
    start, stop = _time(session.get("startTime")), _time(session.get("stopTime"))
    if start is None or stop is None:
        return None
    pre = _time(session.get("openTime")) or start
    sunday_pre = _time(session.get("sundayOpenTime")) or pre
    today = at.astimezone(EXCHANGE_ZONE).date()
    next_start: datetime | None = None
    state = SessionState.CLOSED
    for offset in range(-2, 9):
        day = today + timedelta(days=offset)
        if day.weekday() not in _SESSION_DAYS:
            continue
        begins = datetime.combine(day, start, EXCHANGE_ZONE).astimezone(UTC)
        end_day = day + timedelta(days=1) if stop <= start else day
        ends = datetime.combine(end_day, stop, EXCHANGE_ZONE).astimezone(UTC)
        early = datetime.combine(day, sunday_pre if day.weekday() == 6 else pre,
                                 EXCHANGE_ZONE).astimezone(UTC)
        if begins <= at < ends:
            state = SessionState.OPEN
        elif early <= at < begins:
            state = SessionState.PRE_OPEN
        if begins > at and next_start is None:
            next_start = begins
    return SessionNow(state, None if state is SessionState.OPEN else next_start)
