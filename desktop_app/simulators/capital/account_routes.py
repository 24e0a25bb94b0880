"""/accounts, /accounts/preferences and /accounts/topUp."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from desktop_app.simulators.capital import errors
from desktop_app.simulators.capital.errors import CapitalError
from desktop_app.simulators.capital.parsing import opt_bool, req_decimal
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


ENDPOINTS = [
    Endpoint("GET", "/accounts", get_accounts),
    Endpoint("GET", "/accounts/preferences", get_preferences),
    Endpoint("PUT", "/accounts/preferences", put_preferences),
    Endpoint("POST", "/accounts/topUp", post_top_up),
]
