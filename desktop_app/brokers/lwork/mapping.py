"""LWork replies -> domain values (Decimal money, aware UTC times).

Every reader raises ``ProtocolError`` (from ``wire``) on a reply it cannot read; a
money field that is missing is never taken as zero.

LWork gives no current price with a position (3.10 has the MT server's P/L only), so a
position's ``current_level`` is its open price, as for Tradovate without quotes; its
P/L is LWork's. Balance: equity = balance + credit + floating P/L; LWork's
``marginFree`` is the available figure; the margin in use is equity - free margin.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from desktop_app.brokers.common.replies import reads
from desktop_app.brokers.lwork.errors import BROKER
from desktop_app.brokers.lwork.wire import (
    DEPOSIT,
    LWORK_TIME_ZONE,
    TRANSFER,
    WITHDRAW,
    CashRecord,
    TradingAccount,
    local_time,
    money,
    obj,
    optional_money,
    price_or_none,
    required_time,
    text,
)
from desktop_app.domain.errors import ProtocolError
from desktop_app.domain.money import format_money, utc_now
from desktop_app.domain.types import (
    Account,
    AccountRef,
    AccountStatus,
    Balance,
    CashflowEntry,
    Environment,
    Fact,
    HistoryEntry,
    OrderType,
    Position,
    Side,
    WorkingOrder,
)

BROKER_ID = "lwork"

_SIDES = {"Buy": Side.BUY, "Sell": Side.SELL}
# MT pending order types (3.9); MT5 adds the stop-limits.
_PENDING = {
    "BuyLimit": (Side.BUY, OrderType.LIMIT),
    "SellLimit": (Side.SELL, OrderType.LIMIT),
    "BuyStop": (Side.BUY, OrderType.STOP),
    "SellStop": (Side.SELL, OrderType.STOP),
    "BuyStopLimit": (Side.BUY, OrderType.STOP_LIMIT),
    "SellStopLimit": (Side.SELL, OrderType.STOP_LIMIT),
}
KIND_NAMES = {DEPOSIT: "Deposit", WITHDRAW: "Withdrawal", TRANSFER: "Transfer"}


def account_ref(connection: str, login: str) -> AccountRef:
    return AccountRef(connection, BROKER_ID, login)


def _side(value: str, what: str) -> Side:
    try:
        return _SIDES[value]
    except KeyError:
        raise ProtocolError(f"LWork named an unknown {what} type {value!r}.",
                            broker=BROKER) from None


@reads("leverage text data", BROKER)
def leverage_text(value: object) -> str:
    return f"1:{value}" if value not in (None, "") else ""


# ---------------------------------------------------------------- accounts


@reads("to account data", BROKER)
def to_account(connection: str, account: TradingAccount, *, owner: str = "",
               info: dict[str, Any] | None = None,
               balance: Balance | None = None) -> Account:
    """One of the user's accounts (2.8); ``info`` (3.1) adds the MT group."""
    mt_group = text(info, "group", required=False) if info else ""
    place = account.server_name or account.vendor
    return Account(
        ref=account_ref(connection, account.login),
        name=account.name or account.login,
        currency=account.currency,
        status=AccountStatus.ENABLED if account.enabled else AccountStatus.DISABLED,
        environment=Environment.LIVE if account.live else Environment.DEMO,
        kind=f"{account.vendor} {'live' if account.live else 'demo'}",
        balance=balance,
        owner=owner,
        group=f"{place} / {mt_group}" if mt_group else place,
        status_note="" if account.enabled else "LWork reports this account as disabled.",
    )


@reads("to balance data", BROKER)
def to_balance(info: Any, *, as_of: datetime | None = None) -> Balance:
    """Account info (3.1) as a balance with its MT figures."""
    data = obj(info, "account info")
    balance = money(data, "balance")
    credit = money(data, "credit")
    floating = money(data, "floatProfit")
    free = money(data, "marginFree")
    currency = text(data, "currency")
    equity = balance + credit + floating
    details = [Fact("Credit", format_money(credit, currency)),
               Fact("Free margin", format_money(free, currency))]
    leverage = leverage_text(data.get("leverage"))
    if leverage:
        details.append(Fact("Leverage", leverage))
    group = text(data, "group", required=False)
    if group:
        details.append(Fact("MT group", group))
    return Balance(
        balance=balance,
        equity=equity,
        available=free,
        profit_loss=floating,
        currency=currency,
        as_of=as_of or utc_now(),
        margin=equity - free,
        details=tuple(details),
    )


# ---------------------------------------------------------------- positions, orders


@reads("to position data", BROKER)
def to_position(ref: AccountRef, row: Any, currency: str,
                zone: timezone = LWORK_TIME_ZONE) -> Position:
    data = obj(row, "position")
    open_level = money(data, "openPrice")
    swap = optional_money(data, "swap")
    commission = optional_money(data, "commission")
    facts = [Fact("Platform", text(data, "vendor", required=False)),
             Fact("Server", text(data, "serverId", required=False))]
    if swap is not None:
        facts.append(Fact("Swap", format_money(swap, currency)))
    if commission is not None:
        facts.append(Fact("Commission", format_money(commission, currency)))
    return Position(
        account=ref,
        position_id=text(data, "id"),
        symbol=text(data, "symbol"),
        name=text(data, "symbol"),
        side=_side(text(data, "type"), "position"),
        size=money(data, "volume"),
        open_level=open_level,
        current_level=open_level,
        profit_loss=money(data, "profit"),
        currency=currency,
        opened_at=required_time(data, "openTime", zone),
        stop_level=price_or_none(data, "stopLoss"),
        profit_level=price_or_none(data, "takeProfit"),
        facts=tuple(f for f in facts if f.value),
    )


@reads("to working order data", BROKER)
def to_working_order(ref: AccountRef, row: Any, currency: str,
                     zone: timezone = LWORK_TIME_ZONE) -> WorkingOrder:
    data = obj(row, "pending order")
    kind = text(data, "type")
    try:
        side, order_type = _PENDING[kind]
    except KeyError:
        raise ProtocolError(f"LWork named an unknown pending order type {kind!r}.",
                            broker=BROKER) from None
    return WorkingOrder(
        account=ref,
        order_id=text(data, "id"),
        symbol=text(data, "symbol"),
        name=text(data, "symbol"),
        side=side,
        size=money(data, "volume"),
        order_type=order_type,
        level=money(data, "orderPrice"),
        created_at=required_time(data, "orderTime", zone),
        stop_level=price_or_none(data, "stopLoss"),
        profit_level=price_or_none(data, "takeProfit"),
        currency=currency,
    )


# ---------------------------------------------------------------- history


@reads("trade to history data", BROKER)
def trade_to_history(ref: AccountRef, row: Any, currency: str,
                     zone: timezone = LWORK_TIME_ZONE) -> HistoryEntry:
    """A closed trade (3.8). The docs' field list says ``swap``, its example
    ``swaps``: either is read."""
    data = obj(row, "trade")
    kind = text(data, "type")
    side = _SIDES.get(kind)
    swap = optional_money(data, "swap")
    if swap is None:
        swap = optional_money(data, "swaps")
    commission = optional_money(data, "commission")
    notes = [f"opened {text(data, 'openPrice', required=False)}"]
    if commission is not None:
        notes.append(f"commission {format_money(commission, currency)}")
    if swap is not None:
        notes.append(f"swap {format_money(swap, currency)}")
    closed = local_time(data.get("closeTime"), zone) or required_time(data, "openTime", zone)
    return HistoryEntry(
        account=ref,
        entry_id=text(data, "id"),
        at=closed,
        kind="Closed trade" if side is not None else kind,
        symbol=text(data, "symbol", required=False),
        name=text(data, "symbol", required=False),
        side=side,
        size=optional_money(data, "volume"),
        level=optional_money(data, "closePrice"),
        profit_loss=money(data, "profit"),
        currency=currency,
        note=", ".join(notes),
    )


@reads("cash status data", BROKER)
def cash_status(record: CashRecord) -> str:
    parts = [p for p in (record.state, record.pay_status and f"payment {record.pay_status}")
             if p]
    return ", ".join(parts)


def _cash_note(record: CashRecord) -> str:
    notes = [cash_status(record)]
    if record.pay_amount is not None and record.pay_currency:
        notes.append(f"pay {format_money(record.pay_amount, record.pay_currency)}")
    if record.counterpart:
        notes.append(("from " if record.amount > 0 else "to ") + record.counterpart)
    if record.comment:
        notes.append(record.comment)
    return "; ".join(n for n in notes if n)


@reads("cash kind data", BROKER)
def cash_kind(record: CashRecord) -> str:
    if record.kind == TRANSFER:
        return "Transfer in" if record.amount > 0 else "Transfer out"
    return KIND_NAMES[record.kind]


@reads("to cashflow data", BROKER)
def to_cashflow(ref: AccountRef, record: CashRecord) -> CashflowEntry:
    """A cash-flow entry (3.7), signed from the account's side, with its status."""
    return CashflowEntry(account=ref, at=record.created_at, amount=record.amount,
                         currency=record.currency, kind=cash_kind(record),
                         note=_cash_note(record))


@reads("cash to history data", BROKER)
def cash_to_history(ref: AccountRef, record: CashRecord) -> HistoryEntry:
    return HistoryEntry(account=ref, entry_id=record.record_id, at=record.created_at,
                        kind=cash_kind(record), symbol="", profit_loss=record.amount,
                        currency=record.currency, note=_cash_note(record))


@reads("settled data", BROKER)
def settled(record: CashRecord) -> bool | None:
    """True once the money moved, False when refused, None while pending (deposits:
    paid; withdrawals: approved; transfers move at once). UNCONFIRMED state names:
    Pending / Paid and Submited / Approved / Rejected."""
    state = record.state.lower()
    if state in ("rejected", "failed", "cancelled", "canceled"):
        return False
    if record.kind == DEPOSIT:
        if record.pay_status.lower() in ("failed", "fail"):
            return False
        return True if record.pay_status.lower() in ("paid", "success") else None
    if record.kind == WITHDRAW:
        return True if state in ("approved", "finished", "completed") else None
    return True
