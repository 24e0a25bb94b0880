"""/account (its deps: by user), /cashBalance (the entities, the snapshot and the demo balance
change) and /position."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from desktop_app.simulators.market import money
from desktop_app.simulators.tradovate import payloads
from desktop_app.simulators.tradovate.families import family
from desktop_app.simulators.tradovate.parsing import Reader
from desktop_app.simulators.tradovate.pipeline import Ctx, Endpoint, Reply, not_found
from desktop_app.simulators.tradovate.state import BalanceChange, TvAccount

DEFAULT_COMMENT = "Demo Change"
CASH_CHANGE_LIMIT = Decimal(1_000_000)
COMMENT_MAX = 64
SUGGEST_DEFAULT = 10

# changeDemoBalance errorTexts. The seed lists the failure cases but not their wording
# (UNCONFIRMED); each rule has its own text so a client can tell them apart.
DEMO_ONLY = "changeDemoBalance is available in the demo environment only"
INVALID_ACCOUNT_ID = "Invalid accountId: it must be greater than 0"
NOT_YOUR_DEMO_ACCOUNT = "Account {account_id} is not a demo account of this user"
ACCOUNT_INACTIVE = "Demo account is closed or inactive"
CASH_CHANGE_RANGE = "cashChange must be between -1,000,000 and 1,000,000 (exclusive)"
COMMENT_TOO_LONG = "comment must be at most 64 characters"
TOO_SOON = ("Only one balance change per account per hour: the last was at {last}, "
            "the next is possible at {next}")
OVER_MAXIMUM = ("The resulting balance of {balance} USD would exceed the maximum demo "
                "balance of {maximum} USD")


def _accounts(ctx: Ctx) -> list[TvAccount]:
    return list(ctx.state.accounts.values())


def _account_find(ctx: Ctx) -> Reply:
    name = ctx.query_text("name").lower()
    for account in ctx.state.accounts.values():
        if account.name.lower() == name:
            return Reply(payloads.account(account, ctx.state.user_id))
    raise not_found("Account")


def _accounts_of_users(ctx: Ctx, users: set[int]) -> Reply:
    """Every account here is the one user's (``state.user_id``)."""
    mine = ctx.state.user_id in users
    return Reply([payloads.account(a, ctx.state.user_id) for a in _accounts(ctx) if mine])


def account_deps(ctx: Ctx) -> Reply:
    return _accounts_of_users(ctx, {ctx.query_int("masterid")})


def account_ldeps(ctx: Ctx) -> Reply:
    return _accounts_of_users(ctx, set(ctx.query_ints("masterids")))


def account_suggest(ctx: Ctx) -> Reply:
    needle = ctx.query_text("t").lower()
    limit = ctx.query_int("l") if "l" in ctx.query else SUGGEST_DEFAULT
    found = [a for a in _accounts(ctx) if needle in a.name.lower()]
    return Reply([payloads.account(a, ctx.state.user_id) for a in found[:limit]])


def cash_balance_snapshot(ctx: Ctx) -> Reply:
    reader = Reader(ctx.body)
    account_id = reader.integer("accountId", required=True)
    reader.done()
    account = ctx.state.accounts.get(account_id) if account_id is not None else None
    if account is None:
        return Reply({"errorText": f"Account {account_id} not found"})
    return Reply(payloads.cash_balance_snapshot(ctx.state.market, account, ctx.state.now()))


def change_demo_balance(ctx: Ctx) -> Reply:
    """Every business error: HTTP 200 ``{"errorText"}`` and the balance unchanged."""
    state = ctx.state
    reader = Reader(ctx.body)
    account_id = reader.integer("accountId", required=True)
    cash_change = reader.decimal("cashChange", required=True)
    comment = reader.text("comment")
    reader.done()
    assert account_id is not None and cash_change is not None
    if state.environment != "demo":
        return Reply({"errorText": DEMO_ONLY})
    if account_id <= 0:
        return Reply({"errorText": INVALID_ACCOUNT_ID})
    account = state.accounts.get(account_id)
    if account is None:
        return Reply({"errorText": NOT_YOUR_DEMO_ACCOUNT.format(account_id=account_id)})
    if not account.active:
        return Reply({"errorText": ACCOUNT_INACTIVE})
    if not -CASH_CHANGE_LIMIT < cash_change < CASH_CHANGE_LIMIT:
        return Reply({"errorText": CASH_CHANGE_RANGE})
    comment = DEFAULT_COMMENT if comment is None else comment
    if len(comment) > COMMENT_MAX:
        return Reply({"errorText": COMMENT_TOO_LONG})
    now = state.clock()
    last = state.last_balance_change(account_id)
    if last is not None and now - last < state.balance_change_cooldown:
        return Reply({"errorText": TOO_SOON.format(
            last=payloads.iso(datetime.fromtimestamp(last, UTC)),
            next=payloads.iso(datetime.fromtimestamp(last + state.balance_change_cooldown, UTC)),
        )})
    cash = state.market.account(str(account_id)).cash
    amount = money(cash_change)
    balance = cash + amount if state.demo_balance_mode == "change" else amount
    if balance > state.max_demo_balance:
        return Reply({"errorText": OVER_MAXIMUM.format(balance=balance,
                                                       maximum=state.max_demo_balance)})
    delta = balance - cash
    state.market.deposit(str(account_id), delta, note=comment)
    state.record_balance_change(BalanceChange(
        account_id, cash_change, comment, state.now(), state.demo_balance_mode, delta, balance))
    return Reply(payloads.cash_balance_snapshot(state.market, account, state.now()))


def _positions(ctx: Ctx) -> list:
    return list(ctx.book.positions.values())


ENDPOINTS = [
    *family("account", _accounts, lambda a: a.account_id,
            lambda ctx, a: payloads.account(a, ctx.state.user_id)),
    Endpoint("GET", "/account/find", _account_find),
    Endpoint("GET", "/account/deps", account_deps),
    Endpoint("GET", "/account/ldeps", account_ldeps),
    Endpoint("GET", "/account/suggest", account_suggest),
    *family("cashbalance", _accounts, payloads.cash_balance_id,
            lambda ctx, a: payloads.cash_balance(ctx.state.market, a, ctx.state.now()),
            master=lambda a: a.account_id),
    Endpoint("POST", "/cashbalance/getcashbalancesnapshot", cash_balance_snapshot),
    Endpoint("POST", "/cashbalance/changedemobalance", change_demo_balance),
    *family("position", _positions, lambda p: p.position_id,
            lambda ctx, p: payloads.position(
                p, ctx.book.net_position(p.account_id, p.contract)[1]),
            master=lambda p: p.account_id),
]
