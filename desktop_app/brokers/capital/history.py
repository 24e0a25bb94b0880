"""Capital.com's account history for the History tab: the dealing activity and the cash
transactions ([PM] "Account activity history" and "Account transactions history").

- ``GET /history/activity`` (at most one day per request, so one request per day asked
  for, newest first; the same client call the lost-order lookup uses), detailed, with a
  FIQL ``filter`` keeping deals, working orders and stop/limit changes
  (``type==POSITION,WORKING_ORDER,EDIT_STOP_AND_LIMIT``): positions opened and closed
  (by the trader, a working order's fill, a stop loss, a take profit, a close-out),
  refusals, working orders placed, changed, cancelled, expired.
- ``GET /history/transactions`` (one request for the whole range): the money that moved:
  realised P/L of each close (``TRADE``), deposits and demo top-ups (``DEPOSIT``),
  withdrawals, overnight funding (``SWAP``), commissions; ``size`` is a string.

An activity row does not say whether a deal opened or closed a position: both carry the
position's ``dealId``. Within the range read, the first accepted row of a deal is its
opening and later ones close it; a deal seen once is an opening if the position is still
open (``GET /positions``), else the close of a position opened before the range. Stop
loss, take profit and close-out rows always close.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from desktop_app.brokers.capital.core import CapitalCore
from desktop_app.brokers.capital.errors import BROKER
from desktop_app.brokers.capital.mapping import parse_time, side
from desktop_app.brokers.common.replies import reads
from desktop_app.domain.money import optional_decimal, utc_now
from desktop_app.domain.types import AccountRef, HistoryEntry
from desktop_app.net.limiter import Priority

ACTIVITY_FILTER = "type==POSITION,WORKING_ORDER,EDIT_STOP_AND_LIMIT"
ACTIVITY_SPAN = timedelta(days=1)  # [PM]: from..to at most one day

CLOSING_SOURCES = {"SL": "Closed by stop loss", "TP": "Closed by take profit",
                   "CLOSE_OUT": "Closed out (margin)", "DEALER": "Closed by the dealer"}
ORDER_KINDS = {"ACCEPTED": "Working order placed", "CREATED": "Working order placed",
               "MODIFIED": "Working order changed", "CANCELLED": "Working order cancelled",
               "EXPIRED": "Working order expired", "REJECTED": "Working order refused",
               "EXECUTED": "Working order filled",
               "MODIFY_REJECT": "Working order change refused",
               "CANCEL_REJECT": "Working order cancel refused"}
TRANSACTION_KINDS = {"TRADE": "Realised P/L", "DEPOSIT": "Deposit",
                     "WITHDRAWAL": "Withdrawal", "SWAP": "Overnight funding",
                     "TRADE_COMMISSION": "Commission", "TRADE_COMMISSION_GSL": "Commission",
                     "INACTIVITY_FEE": "Inactivity fee", "ADJUSTMENT": "Adjustment",
                     "TRANSFER": "Transfer", "REFUND": "Refund", "BONUS": "Bonus"}


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _accepted_position(row: dict[str, Any]) -> bool:
    return (_text(row.get("type")).upper() == "POSITION"
            and _text(row.get("status")).upper() == "ACCEPTED")


def position_kinds(rows: list[dict[str, Any]], open_now: set[str]) -> dict[int, str]:
    """What each accepted POSITION row did (by its index in ``rows``, oldest first)."""
    accepted = [i for i, r in enumerate(rows) if _accepted_position(r)]
    later: dict[str, int] = {}
    for i in accepted:
        later[_text(rows[i].get("dealId"))] = later.get(_text(rows[i].get("dealId")), 0) + 1
    opened: set[str] = set()
    kinds: dict[int, str] = {}
    for i in accepted:
        row = rows[i]
        deal = _text(row.get("dealId"))
        source = _text(row.get("source")).upper()
        later[deal] -= 1
        if source in CLOSING_SOURCES:
            kinds[i] = CLOSING_SOURCES[source]
        elif deal in opened:
            kinds[i] = "Position closed"
        elif later[deal] > 0 or deal in open_now:
            opened.add(deal)
            kinds[i] = ("Position opened (working order filled)" if source == "SYSTEM"
                        else "Position opened")
        else:  # its opening is older than the range read
            kinds[i] = "Position closed"
    return kinds


@reads("activity data", BROKER)
def activity_entry(row: dict[str, Any], kind: str, ref: AccountRef) -> HistoryEntry:
    details = row.get("details")
    if not isinstance(details, dict):
        details = {}
    at = parse_time(row.get("dateUTC"))
    if at is None:
        raise ValueError("an activity without dateUTC")
    deal = _text(row.get("dealId"))
    source = _text(row.get("source")).upper()
    notes = [f"deal {deal}"] if deal else []
    if source and source != "USER":
        notes.append(f"source {source}")
    direction = details.get("direction")
    return HistoryEntry(
        account=ref,
        entry_id=f"activity:{deal}:{_text(row.get('dateUTC'))}:{_text(row.get('type'))}:"
                 f"{_text(row.get('status'))}:{source}",
        at=at,
        kind=kind,
        symbol=_text(row.get("epic")),
        name=_text(details.get("marketName")),
        side=side(direction) if direction else None,
        size=optional_decimal(details.get("size"), field="size") or None,
        level=optional_decimal(details.get("level"), field="level"),
        currency=_text(details.get("currency")),
        note=", ".join(notes),
    )


def activity_kind(row: dict[str, Any], position_kind: str | None) -> str:
    kind = _text(row.get("type")).upper()
    status = _text(row.get("status")).upper()
    if kind == "POSITION":
        if position_kind is not None:
            return position_kind
        return "Order refused" if status == "REJECTED" else f"Deal {status.lower()}"
    if kind == "WORKING_ORDER":
        return ORDER_KINDS.get(status, f"Working order {status.lower()}")
    if kind == "EDIT_STOP_AND_LIMIT":
        return ("Stop / limit change refused" if status == "REJECTED"
                else "Stop / limit changed")
    return f"{kind.replace('_', ' ').capitalize()} {status.lower()}".strip()


def activity_entries(
    rows: Iterable[dict[str, Any]], ref: AccountRef, open_now: set[str]
) -> list[HistoryEntry]:
    """Activity rows (any order) as history entries."""
    ordered = sorted(rows, key=lambda r: _text(r.get("dateUTC")))
    kinds = position_kinds(ordered, open_now)
    return [activity_entry(row, activity_kind(row, kinds.get(i)), ref)
            for i, row in enumerate(ordered)]


@reads("transaction data", BROKER)
def transaction_entry(row: dict[str, Any], ref: AccountRef) -> HistoryEntry:
    at = parse_time(row.get("dateUtc") or row.get("dateUTC"))
    if at is None:
        raise ValueError("a transaction without dateUtc")
    kind = _text(row.get("transactionType")).upper()
    reference = _text(row.get("reference"))
    note = _text(row.get("note"))
    if reference:
        note = f"{note}, reference {reference}" if note else f"reference {reference}"
    return HistoryEntry(
        account=ref,
        entry_id=f"transaction:{kind}:{reference}:{_text(row.get('dateUtc'))}",
        at=at,
        kind=TRANSACTION_KINDS.get(kind, kind.replace("_", " ").capitalize()),
        symbol=_text(row.get("instrumentName")),
        profit_loss=optional_decimal(row.get("size"), field="size"),
        currency=_text(row.get("currency")),
        note=note,
    )


class CapitalHistory(CapitalCore):
    async def history(self, account: AccountRef, since: datetime) -> list[HistoryEntry]:
        """Activity (a request per day) and transactions (one request) since ``since``,
        newest first. Each request switches to the account under the account lock on
        its own, so orders and polling are not held up for the whole read."""
        client = self.client
        # Bounds are sent to the second: the range is widened to whole seconds, and a
        # minute past now covers a deal stamped after the broker's clock was read.
        end = client.broker_time(utc_now()).replace(microsecond=0) + timedelta(minutes=1)
        start = client.broker_time(since).replace(microsecond=0)
        rows: list[dict[str, Any]] = []
        day_end = end
        while day_end > start:
            day_start = max(start, day_end - ACTIVITY_SPAN)
            rows += await self._on_account(account, partial(
                client.activity, start=day_start, end=day_end, fiql=ACTIVITY_FILTER,
                priority=Priority.VISIBLE))
            day_end = day_start
        cash = await self._on_account(
            account,
            lambda: client.transactions(start=start, end=end, priority=Priority.VISIBLE),
        )
        open_now = {_text((p.get("position") or {}).get("dealId"))
                    for p in await self._on_account(account, client.positions)
                    if isinstance(p, dict)}
        unique = {self._row_key(r): r for r in rows}  # a row on a day boundary comes twice
        entries = activity_entries(unique.values(), account, open_now)
        entries += [transaction_entry(t, account) for t in cash]
        # Newest first; a deal and the money it moved share a time: the deal first.
        return sorted((e for e in entries if e.at >= since - client.clock_offset),
                      key=lambda e: (e.at, e.entry_id.startswith("activity:")),
                      reverse=True)

    @staticmethod
    def _row_key(row: dict[str, Any]) -> tuple[str, ...]:
        return tuple(_text(row.get(k)) for k in ("dealId", "dateUTC", "type", "status",
                                                  "source"))
