"""Trading hours: when each market is open, in its exchange's own time zone.

A ``TradingHours`` is a normal week of local sessions (no holiday calendar). Sessions are
end-exclusive: at the closing minute the market is closed. Daylight saving time follows
the zone (``zoneinfo``), so CME's 17:00 Chicago open is 22:00 UTC in winter and 21:00 UTC
in summer. Sources:

- FX (every broker here): Sunday 22:00 to Friday 22:00 UTC.
- CME Globex futures: Sunday-Friday 17:00-16:00 US Central with the daily 60-minute
  break; order entry (pre-open) from 16:00 on Sunday and from 16:45 on weekdays
  (CME Group's Globex schedule).
- DARWINs: Darwinex's help centre: no buying or selling 16:59-17:05 New York time (the
  daily closure); Friday closes at 16:55 and the week opens Sunday 17:05 New York time.
- US shares 09:30-16:00 New York; UK and German indices as Capital.com lists them for a
  CFD (07:00-21:00 London, 08:00-22:00 Frankfurt); crypto around the clock.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WINDOW_DAYS = 9  # intervals are built for this many days either side of an instant


class SessionState(StrEnum):
    OPEN = "OPEN"  # orders are matched
    PRE_OPEN = "PRE_OPEN"  # orders are taken but not matched (CME's pre-open)
    CLOSED = "CLOSED"


@dataclass(frozen=True, slots=True)
class Span:
    """One session on one local weekday (0 = Monday), minutes since local midnight."""

    day: int
    start: int
    end: int  # 1440 = the next midnight
    state: SessionState = SessionState.OPEN


Interval = tuple[datetime, datetime, SessionState]


@dataclass(frozen=True, slots=True)
class TradingHours:
    name: str
    zone: str  # IANA name, e.g. "America/Chicago"
    spans: tuple[Span, ...]

    def intervals(self, at: datetime) -> tuple[Interval, ...]:
        """Merged UTC sessions from about nine days before ``at`` to nine days after."""
        return _intervals(self, at.astimezone(ZoneInfo(self.zone)).date().toordinal())

    def state(self, at: datetime) -> SessionState:
        for start, end, state in self.intervals(at):
            if start <= at < end:
                return state
        return SessionState.CLOSED

    def is_open(self, at: datetime) -> bool:
        return self.state(at) is SessionState.OPEN

    def next_open(self, at: datetime) -> datetime | None:
        """``at`` itself when open, else when the next session opens (None: never)."""
        for start, end, state in self.intervals(at):
            if state is SessionState.OPEN and end > at:
                return max(start, at)
        return None

    def next_close(self, at: datetime) -> datetime | None:
        """When the session open at ``at`` ends (None: closed now, or never closes)."""
        for start, end, state in self.intervals(at):
            if state is SessionState.OPEN and start <= at < end:
                return None if end == _FAR else end
        return None

    def week_table(self, at: datetime) -> dict[str, list[str]]:
        """Open sessions of the UTC week (Monday-Sunday) holding ``at``, per UTC day, in
        Capital.com's ``openingHours`` shape: ``"HH:MM - HH:MM"``, midnight as 00:00."""
        monday = datetime.combine(at.astimezone(UTC).date(), time(), UTC) - timedelta(
            days=at.astimezone(UTC).weekday())
        table: dict[str, list[str]] = {}
        opens = [(s, e) for s, e, st in self.intervals(at) if st is SessionState.OPEN]
        for index, name in enumerate(DAY_NAMES):
            day_start = monday + timedelta(days=index)
            day_end = day_start + timedelta(days=1)
            spans = []
            for start, end in opens:
                lo, hi = max(start, day_start), min(end, day_end)
                if lo < hi:
                    spans.append(f"{lo:%H:%M} - {hi:%H:%M}")
            table[name] = spans
        return table


_FAR = datetime.max.replace(tzinfo=UTC)


@functools.lru_cache(maxsize=512)
def _intervals(hours: TradingHours, day_ordinal: int) -> tuple[Interval, ...]:
    zone = ZoneInfo(hours.zone)
    first = date.fromordinal(day_ordinal - _WINDOW_DAYS)
    raw: list[Interval] = []
    for offset in range(2 * _WINDOW_DAYS + 1):
        day = first + timedelta(days=offset)
        for span in hours.spans:
            if span.day != day.weekday():
                continue
            start = _local(day, span.start, zone)
            end = _local(day, span.end, zone)
            if start < end:
                raw.append((start, end, span.state))
    raw.sort(key=lambda item: item[0])
    merged: list[Interval] = []
    for start, end, state in raw:
        if merged and merged[-1][2] is state and merged[-1][1] >= start:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end), state)
        else:
            merged.append((start, end, state))
    # A session running to the edge of the window may go on beyond it: around the clock
    # (crypto) is open with no end in sight.
    if len(merged) == 1 and merged[0][2] is SessionState.OPEN and _covers_week(hours):
        return ((datetime.min.replace(tzinfo=UTC), _FAR, SessionState.OPEN),)
    return tuple(merged)


def _covers_week(hours: TradingHours) -> bool:
    days = {s.day for s in hours.spans if s.start == 0 and s.end == 1440
            and s.state is SessionState.OPEN}
    return days == set(range(7))


def _local(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    """``minutes`` after local midnight of ``day`` (1440: the next midnight), in UTC."""
    local = datetime.combine(day + timedelta(days=minutes // 1440),
                             time((minutes % 1440) // 60, minutes % 60), zone)
    return local.astimezone(UTC)


def _weekly(*sessions: tuple[int, str, str], pre_open: tuple[tuple[int, str, str], ...] = ()
            ) -> tuple[Span, ...]:
    def minutes(text: str) -> int:
        hh, mm = text.split(":")
        return int(hh) * 60 + int(mm)

    spans = [Span(d, minutes(a), minutes(b)) for d, a, b in sessions]
    spans += [Span(d, minutes(a), minutes(b), SessionState.PRE_OPEN) for d, a, b in pre_open]
    return tuple(spans)


MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
_WEEKDAYS = (MON, TUE, WED, THU, FRI)
_MON_THU = (MON, TUE, WED, THU)

ALWAYS = TradingHours("24/7", "UTC", _weekly(*((d, "00:00", "24:00") for d in range(7))))
FX = TradingHours("FX 24/5", "UTC", _weekly(
    (SUN, "22:00", "24:00"), *((d, "00:00", "24:00") for d in _MON_THU), (FRI, "00:00", "22:00")))
_GLOBEX_SESSIONS = (
    (SUN, "17:00", "24:00"),
    *((d, "00:00", "16:00") for d in _WEEKDAYS),
    *((d, "17:00", "24:00") for d in _MON_THU),
)
CME_GLOBEX = TradingHours("CME Globex", "America/Chicago", _weekly(
    *_GLOBEX_SESSIONS,
    pre_open=((SUN, "16:00", "17:00"), *((d, "16:45", "17:00") for d in _MON_THU)),
))
# A CFD on a CME future (Capital.com's indices and commodities): the future's hours,
# with no pre-open of its own.
CME_CFD = TradingHours("CME hours (CFD)", "America/Chicago", _weekly(*_GLOBEX_SESSIONS))
US_SHARES = TradingHours("US shares", "America/New_York",
                         _weekly(*((d, "09:30", "16:00") for d in _WEEKDAYS)))
UK_INDEX = TradingHours("UK index", "Europe/London",
                        _weekly(*((d, "07:00", "21:00") for d in _WEEKDAYS)))
DE_INDEX = TradingHours("German index", "Europe/Berlin",
                        _weekly(*((d, "08:00", "22:00") for d in _WEEKDAYS)))
DARWINS = TradingHours("DARWINs", "America/New_York", _weekly(
    (SUN, "17:05", "24:00"),
    *((d, "00:00", "16:59") for d in _MON_THU),
    *((d, "17:05", "24:00") for d in _MON_THU),
    (FRI, "00:00", "16:55"),
))
