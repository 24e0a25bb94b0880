"""/history/activity and /history/transactions, fed by what happened in the simulator.

Both take ``from`` / ``to`` (``YYYY-MM-DDTHH:MM:SS``, UTC; a bare date is 400
``error.invalid.from``) or ``lastPeriod`` (seconds, default 600). Activity ([PM]): at most
one day (``from``..``to`` or ``lastPeriod`` up to 86,400; one bound alone means a day
from it), ``dealId``, ``detailed=true`` (adds ``details``) and a FIQL ``filter`` over
``epic``, ``source``, ``status``, ``type`` and ``dealId``: ``;`` joins conditions that must
all hold, ``field==A,B`` means one of A or B and ``field!=A,B`` neither (as in [PM]'s
``source!=DEALER;type!=POSITION;status==REJECTED;epic==OIL_CRUDE,GOLD``).

Each dealing outcome is one activity, newest first: a position opened or closed by the
trader (``source`` USER), by an order's fill or expiry (SYSTEM), by a stop loss or take
profit (SL / TP); an amended stop or limit is ``type`` EDIT_STOP_AND_LIMIT. ``status`` is
ACCEPTED or REJECTED; for working orders (UNCONFIRMED beyond [PM]'s example, where a placed
order is ACCEPTED) an amended one is MODIFIED, a cancelled one CANCELLED, an expired one
EXPIRED. Transactions are the account's cash ledger: the
opening deposit and top-ups (DEPOSIT), a withdrawal, realised P/L of closes (TRADE, note
"Trade closed" / "Stop loss" / "Take profit"); ``size`` is a string as in [PM].
UNCONFIRMED: a filter this simulator cannot read is 400 ``error.invalid.filter``.
"""

from __future__ import annotations

import re
from typing import Any

from desktop_app.simulators.capital import errors
from desktop_app.simulators.capital.errors import CapitalError
from desktop_app.simulators.capital.parsing import parse_utc_text
from desktop_app.simulators.capital.pipeline import Ctx, Endpoint, Reply
from desktop_app.simulators.market import DealResult

INVALID_FILTER = "error.invalid.filter"
_DAY = 86_400
_CONDITION = re.compile(r"^\s*(epic|source|status|type|dealId)\s*(==|!=)\s*(.*?)\s*$")
# [PM]'s enums for the filter's fields.
SOURCES = ("CLOSE_OUT", "DEALER", "SL", "SYSTEM", "TP", "USER")
STATUSES = ("ACCEPTED", "CREATED", "EXECUTED", "EXPIRED", "REJECTED", "MODIFIED",
            "MODIFY_REJECT", "CANCELLED", "CANCEL_REJECT", "UNKNOWN")
TYPES = ("POSITION", "WORKING_ORDER", "EDIT_STOP_AND_LIMIT", "SWAP", "SYSTEM")


def _period(ctx: Ctx, max_seconds: int | None) -> tuple[float, float]:
    """(start, end) epoch seconds from from/to, else lastPeriod (default 600 s)."""
    now = ctx.state.clock()
    start_text, end_text = ctx.query.get("from"), ctx.query.get("to")
    if start_text or end_text:
        end = parse_utc_text(end_text, "to").timestamp() if end_text else None
        start = parse_utc_text(start_text, "from").timestamp() if start_text else None
        if start is None:
            start = (end or now) - _DAY
        if end is None:
            end = start + _DAY
        if max_seconds is not None and end - start > max_seconds:
            raise CapitalError(400, errors.INVALID_FROM)
        return start, end
    try:
        period = int(ctx.query.get("lastPeriod") or 600)
    except ValueError as exc:
        raise errors.invalid("lastPeriod") from exc
    if period <= 0 or (max_seconds is not None and period > max_seconds):
        raise errors.invalid("lastPeriod")
    return now - period, now


def parse_filter(text: str) -> list[tuple[str, bool, set[str]]]:
    """``a==X,Y;b!=Z`` -> [("a", True, {X, Y}), ("b", False, {Z})]."""
    conditions = []
    for part in text.split(";"):
        if not part.strip():
            continue
        found = _CONDITION.match(part)
        if found is None:
            raise CapitalError(400, INVALID_FILTER)
        field, op, values = found.groups()
        wanted = {v.strip() for v in values.split(",") if v.strip()}
        if not wanted:
            raise CapitalError(400, INVALID_FILTER)
        conditions.append((field, op == "==", wanted))
    return conditions


def _status(result: DealResult) -> str:
    if not result.accepted:
        return "REJECTED"
    if result.kind == "WORKING_ORDER":
        if result.status == "AMENDED":
            return "MODIFIED"
        if result.status == "DELETED":
            return "EXPIRED" if result.source == "SYSTEM" else "CANCELLED"
    return "ACCEPTED"


def _type(result: DealResult) -> str:
    if result.kind == "POSITION" and result.status == "AMENDED":
        return "EDIT_STOP_AND_LIMIT"
    return result.kind


def activity_row(ctx: Ctx, result: DealResult, detailed: bool) -> dict[str, Any]:
    clock = ctx.clock
    row: dict[str, Any] = {
        "date": clock.local_ms(result.at),
        "dateUTC": clock.utc_ms(result.at),
        "epic": result.symbol,
        "dealId": result.affected[0].deal_id if result.affected else result.order_id,
        "source": result.source,
        "type": _type(result),
        "status": _status(result),
    }
    if detailed:
        spec = ctx.market.spec(result.symbol)
        row["details"] = {
            "dealReference": f"p_{row['dealId']}",
            "marketName": spec.name,
            "currency": spec.currency,
            "size": result.size if result.size is not None else 0,
            "direction": result.side.value if result.side else None,
            "level": result.level,
            "guaranteedStop": False,
        }
    return row


def get_activity(ctx: Ctx) -> Reply:
    start, end = _period(ctx, _DAY)
    deal_id = ctx.query.get("dealId")
    detailed = (ctx.query.get("detailed") or "").lower() == "true"
    conditions = parse_filter(ctx.query.get("filter") or "")
    rows = []
    for result in reversed(ctx.market.activity):
        if result.account_id != ctx.account_id or not start <= result.at.timestamp() <= end:
            continue
        if deal_id and deal_id not in {result.order_id, *(a.deal_id for a in result.affected)}:
            continue
        row = activity_row(ctx, result, detailed)
        if all((row[field] in wanted) == equal for field, equal, wanted in conditions):
            rows.append(row)
    return Reply({"activities": rows})


def get_transactions(ctx: Ctx) -> Reply:
    start, end = _period(ctx, None)
    wanted = (ctx.query.get("type") or "").strip().upper()
    clock = ctx.clock
    rows = []
    for entry in reversed(ctx.account.ledger):
        if not start <= entry.at.timestamp() <= end or (wanted and entry.kind != wanted):
            continue
        row: dict[str, Any] = {"date": clock.local_ms(entry.at), "dateUtc": clock.utc_ms(entry.at)}
        if entry.symbol:
            row["instrumentName"] = entry.symbol
        row |= {
            "transactionType": entry.kind,
            "note": entry.note,
            "reference": entry.reference,
            "size": str(entry.amount),
            "currency": ctx.account.currency,
        }
        rows.append(row)
    return Reply({"transactions": rows})


ENDPOINTS = [
    Endpoint("GET", "/history/transactions", get_transactions),
    Endpoint("GET", "/history/activity", get_activity),
]
