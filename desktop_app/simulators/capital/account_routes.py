"""/accounts, /accounts/preferences, /accounts/topUp and /history/*."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from desktop_app.simulators.capital import errors
from desktop_app.simulators.capital.errors import CapitalError
from desktop_app.simulators.capital.parsing import opt_bool, parse_utc_text, req_decimal
from desktop_app.simulators.capital.payloads import KINDS_BY_TYPE, account_entry
from desktop_app.simulators.capital.pipeline import Ctx, Endpoint, Reply

_PREFERENCE_ORDER = ("SHARES", "CURRENCIES", "INDICES", "CRYPTOCURRENCIES", "COMMODITIES")


def get_accounts(ctx: Ctx) -> Reply:
    return Reply({"accounts": [account_entry(ctx.market, a) for a in ctx.market.accounts()]})


def get_preferences(ctx: Ctx) -> Reply:
    account = ctx.account
    leverages: dict[str, Any] = {}
    for type_name in _PREFERENCE_ORDER:
        lev = account.leverages.get(KINDS_BY_TYPE[type_name])
        if lev is not None:
            leverages[type_name] = {"current": lev.current, "available": list(lev.available)}
    return Reply({"hedgingMode": account.hedging, "leverages": leverages})


def put_preferences(ctx: Ctx) -> Reply:
    account = ctx.account
    changes: dict[Any, int] = {}
    requested = ctx.body.get("leverages")
    if requested is not None:
        if not isinstance(requested, dict):
            raise CapitalError(400, errors.INVALID_LEVERAGE)
        for type_name, value in requested.items():
            kind = KINDS_BY_TYPE.get(str(type_name).upper())
            lev = account.leverages.get(kind) if kind else None
            try:
                number = int(Decimal(str(value)))
            except ArithmeticError as exc:
                raise CapitalError(400, errors.INVALID_LEVERAGE) from exc
            if lev is None or number not in lev.available:
                raise CapitalError(400, errors.INVALID_LEVERAGE)
            changes[kind] = number
    hedging = opt_bool(ctx.body, "hedgingMode", account.hedging)
    for kind, number in changes.items():
        account.leverages[kind].current = number
    account.hedging = hedging
    return Reply({"status": "SUCCESS"})


def post_top_up(ctx: Ctx) -> Reply:
    """Demo top-up. UNCONFIRMED rules and answer; see ``TopUpRules``."""
    rules = ctx.state.topup
    if not ctx.state.demo:
        raise CapitalError(400, errors.TOPUP_LIVE)
    amount = req_decimal(ctx.body, "amount")
    if amount == 0 or (amount < 0 and not rules.allow_negative) or abs(amount) > rules.max_amount:
        raise CapitalError(400, errors.INVALID_AMOUNT)
    if amount != amount.quantize(Decimal("0.01")):
        raise CapitalError(400, errors.INVALID_AMOUNT)
    cash = ctx.account.cash
    if rules.max_resulting_balance is not None and cash + amount > rules.max_resulting_balance:
        raise CapitalError(400, errors.INVALID_AMOUNT)
    if cash + amount < 0:
        raise CapitalError(400, errors.INVALID_AMOUNT)
    ctx.market.deposit(ctx.account.account_id, amount, "Demo top up")
    return Reply({"status": "SUCCESS"})


def _period(ctx: Ctx, default_seconds: int, max_seconds: int | None) -> tuple[float, float]:
    """(start, end) epoch seconds from from/to or lastPeriod, as the history endpoints take."""
    now = ctx.state.clock()
    start_text, end_text = ctx.query.get("from"), ctx.query.get("to")
    if start_text or end_text:
        end = parse_utc_text(end_text, "to").timestamp() if end_text else None
        start = parse_utc_text(start_text, "from").timestamp() if start_text else None
        if start is None:
            start = (end or now) - 86_400
        if end is None:
            end = start + 86_400
        if max_seconds is not None and end - start > max_seconds:
            raise CapitalError(400, errors.INVALID_FROM)
        return start, end
    try:
        period = int(ctx.query.get("lastPeriod") or default_seconds)
    except ValueError as exc:
        raise errors.invalid("lastPeriod") from exc
    if period <= 0 or (max_seconds is not None and period > max_seconds):
        raise errors.invalid("lastPeriod")
    return now - period, now


def get_transactions(ctx: Ctx) -> Reply:
    start, end = _period(ctx, 600, None)
    wanted = (ctx.query.get("type") or "").upper()
    clock = ctx.clock
    rows = []
    for entry in reversed(ctx.account.ledger):
        at = entry.at.timestamp()
        if not start <= at <= end or (wanted and entry.kind != wanted):
            continue
        row: dict[str, Any] = {
            "date": clock.local_ms(entry.at),
            "dateUtc": clock.utc_ms(entry.at),
        }
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


def get_activity(ctx: Ctx) -> Reply:
    start, end = _period(ctx, 600, 86_400)
    deal_id = ctx.query.get("dealId")
    detailed = (ctx.query.get("detailed") or "").lower() == "true"
    clock = ctx.clock
    rows = []
    for result in reversed(ctx.market.activity):
        at = result.at.timestamp()
        if result.account_id != ctx.account_id or not start <= at <= end:
            continue
        ids = {result.order_id, *(a.deal_id for a in result.affected)}
        if deal_id and deal_id not in ids:
            continue
        row: dict[str, Any] = {
            "date": clock.local_ms(result.at),
            "dateUTC": clock.utc_ms(result.at),
            "epic": result.symbol,
            "dealId": result.affected[0].deal_id if result.affected else result.order_id,
            "source": result.source,
            "type": result.kind,
            "status": "ACCEPTED" if result.accepted else "REJECTED",
        }
        if detailed:
            spec = ctx.market.spec(result.symbol)
            row["details"] = {
                "dealReference": f"p_{row['dealId']}",
                "marketName": spec.name,
                "currency": spec.currency,
                "size": result.size,
                "direction": result.side.value if result.side else None,
                "level": result.level,
                "guaranteedStop": False,
            }
        rows.append(row)
    return Reply({"activities": rows})


ENDPOINTS = [
    Endpoint("GET", "/accounts", get_accounts),
    Endpoint("GET", "/accounts/preferences", get_preferences),
    Endpoint("PUT", "/accounts/preferences", put_preferences),
    Endpoint("POST", "/accounts/topUp", post_top_up),
    Endpoint("GET", "/history/transactions", get_transactions),
    Endpoint("GET", "/history/activity", get_activity),
]
