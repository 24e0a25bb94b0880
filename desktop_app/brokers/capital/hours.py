"""When a closed Capital.com market opens next, from its own ``openingHours``.

``GET /markets/{epic}`` carries ``instrument.openingHours``: per weekday a list of
``"HH:MM - HH:MM"`` sessions in ``zone`` (an end of ``00:00`` is the next midnight), e.g.
``{"mon": ["00:00 - 22:00", "23:05 - 00:00"], ..., "sat": [], "zone": "UTC"}`` ([PM]).
Sessions that touch (Monday's to midnight, Tuesday's from midnight) are one. When the
broker says the market is not TRADEABLE, the next opening is the start of the first
session after now; the session the clock is in, if any, does not count (the broker says
it is closed: a holiday, a suspension).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_WINDOW = 9  # days either side of now


def _zone(name: object) -> ZoneInfo | None:
    try:
        return ZoneInfo(str(name or "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        return None


def sessions(hours: dict[str, Any], around: datetime) -> list[tuple[datetime, datetime]]:
    """Merged sessions (aware UTC) from about nine days before ``around`` to nine after."""
    zone = _zone(hours.get("zone"))
    if zone is None:
        return []
    today = around.astimezone(zone).date()
    spans: list[tuple[datetime, datetime]] = []
    for offset in range(-_WINDOW, _WINDOW + 1):
        day: date = today + timedelta(days=offset)
        for text in hours.get(DAYS[day.weekday()]) or ():
            found = _SPAN.match(str(text))
            if found is None:
                continue
            h1, m1, h2, m2 = (int(g) for g in found.groups())
            if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59:
                continue
            start = datetime.combine(day, time(h1, m1), zone)
            end_day = day + timedelta(days=1) if (h2, m2) <= (h1, m1) else day
            end = datetime.combine(end_day, time(h2 % 24, m2), zone)
            spans.append((start.astimezone(UTC), end.astimezone(UTC)))
    spans.sort()
    merged: list[tuple[datetime, datetime]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def next_opening(hours: object, now: datetime) -> datetime | None:
    """The start of the first session after ``now`` (None: no hours, or none ahead)."""
    if not isinstance(hours, dict):
        return None
    for start, _end in sessions(hours, now):
        if start > now:
            return start
    return None
