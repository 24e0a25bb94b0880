"""LWork's JSON read into small typed records the client and the mapping share.

Every reader raises ``ProtocolError`` on a reply it cannot read; a money field that is
missing is unreadable, never zero.

Times: the cash flow carries epoch milliseconds; trades, positions and orders carry
local times without a zone (``"2017-03-24T07:49:27.000"``). The docs' pending order
shows an unset ``executionTime`` as ``"1970-01-01T08:00:00.000"``, the epoch in UTC+8:
LWork writes these times in UTC+8 (its servers' zone), so they are read as UTC+8
(UNCONFIRMED; ``LWORK_TIME_ZONE``, a client option). The ``from``/``to`` dates of the
paged lists are taken in the same zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from desktop_app.brokers.common.replies import reads
from desktop_app.brokers.lwork.errors import BROKER
from desktop_app.domain.errors import ProtocolError
from desktop_app.domain.money import from_epoch_ms, optional_decimal, to_decimal

LWORK_TIME_ZONE = timezone(timedelta(hours=8))
VENDORS = ("MT4", "MT5")

DEPOSIT = "Deposit"
WITHDRAW = "Withdraw"
TRANSFER = "Transfer"
CASHFLOW_TYPES = (DEPOSIT, WITHDRAW, TRANSFER)


@reads("obj data", BROKER)
def obj(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ProtocolError(f"LWork sent an unexpected {what} (not an object).",
                            broker=BROKER)
    return data


@reads("items data", BROKER)
def items(data: Any, what: str) -> list[Any]:
    if not isinstance(data, list):
        raise ProtocolError(f"LWork sent an unexpected {what} (not a list).", broker=BROKER)
    return data


@reads("text data", BROKER)
def text(data: dict[str, Any], name: str, *, required: bool = True) -> str:
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ProtocolError(f"LWork's reply has no {name}.", broker=BROKER)
        return ""
    if isinstance(value, dict | list):
        raise ProtocolError(f"LWork's {name} is not a value.", broker=BROKER)
    return str(value).strip()


@reads("money data", BROKER)
def money(data: dict[str, Any], name: str) -> Decimal:
    """A required number: missing or unreadable is a ``ProtocolError``, never 0."""
    if data.get(name) is None or data.get(name) == "":
        raise ProtocolError(f"LWork's reply has no {name}.", broker=BROKER)
    try:
        return to_decimal(data[name], field=name)
    except ProtocolError as exc:
        raise ProtocolError(f"LWork's {name} is not a number.", broker=BROKER) from exc


@reads("optional money data", BROKER)
def optional_money(data: dict[str, Any], name: str) -> Decimal | None:
    try:
        return optional_decimal(data.get(name), field=name)
    except ProtocolError as exc:
        raise ProtocolError(f"LWork's {name} is not a number.", broker=BROKER) from exc


@reads("price or none data", BROKER)
def price_or_none(data: dict[str, Any], name: str) -> Decimal | None:
    """Stop loss / take profit: MT sends 0 for "none"."""
    value = optional_money(data, name)
    return None if value is None or value == 0 else value


@reads("local time data", BROKER)
def local_time(value: object, zone: timezone = LWORK_TIME_ZONE) -> datetime | None:
    """``"2017-03-24T07:49:27.000"`` in LWork's zone -> aware UTC; "" is None; a time at
    the epoch (an unset MT time) is None."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        at = from_epoch_ms(value)
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise ProtocolError(f"LWork sent an unreadable time {value!r}.",
                                broker=BROKER) from exc
        at = parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
    at = at.astimezone(UTC)
    return None if at.timestamp() == 0 else at


@reads("required time data", BROKER)
def required_time(data: dict[str, Any], name: str,
                  zone: timezone = LWORK_TIME_ZONE) -> datetime:
    at = local_time(data.get(name), zone)
    if at is None:
        raise ProtocolError(f"LWork's reply has no {name}.", broker=BROKER)
    return at


@reads("epoch ms data", BROKER)
def epoch_ms(data: dict[str, Any], name: str) -> datetime:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str) or value == "":
        raise ProtocolError(f"LWork's reply has no {name}.", broker=BROKER)
    try:
        return from_epoch_ms(int(value))
    except (ValueError, OverflowError) as exc:
        raise ProtocolError(f"LWork's {name} is not a time.", broker=BROKER) from exc


def lwork_date(at: datetime | date, zone: timezone = LWORK_TIME_ZONE) -> str:
    """A ``from``/``to`` query value (``YYYY-MM-DD``), the day in LWork's zone."""
    if isinstance(at, datetime):
        at = at.astimezone(zone).date()
    return at.isoformat()


def vendor_of(value: str) -> str:
    """MT4/MT5 in the upper case LWork insists on; anything else is unreadable."""
    vendor = value.strip().upper()
    if vendor not in VENDORS:
        raise ProtocolError(f"LWork named an unknown platform {value!r}.", broker=BROKER)
    return vendor


# ---------------------------------------------------------------- user


@dataclass(frozen=True, slots=True)
class LoginInfo:
    user_id: str
    phone: str = ""
    language: str = ""
    last_login: datetime | None = None


@reads("read login data", BROKER)
def read_login(data: Any) -> LoginInfo:
    body = obj(data, "login reply")
    last = body.get("lastLoginTime")
    return LoginInfo(
        user_id=text(body, "userId"),
        phone=text(body, "phone", required=False),
        language=text(body, "language", required=False),
        last_login=epoch_ms(body, "lastLoginTime") if last not in (None, "") else None,
    )


@dataclass(frozen=True, slots=True)
class TradingAccount:
    """One MT4/MT5 account of the user (2.8), with the server id its calls need."""

    login: str
    name: str
    vendor: str  # MT4 / MT5
    server_name: str
    server_id: str  # "" when neither the reply nor the profile's server map says
    live: bool
    currency: str
    leverage: int | None
    balance: Decimal | None
    enabled: bool
    group_id: str = ""
    group_name: str = ""


@reads("read trading account data", BROKER)
def read_trading_account(entry: Any, server_ids: dict[str, str]) -> TradingAccount:
    row = obj(entry, "trading account")
    vendor = vendor_of(text(row, "platformName"))
    server_name = text(row, "serverName", required=False)
    kind = text(row, "accountType")
    if kind not in ("Live", "Demo"):
        raise ProtocolError(f"LWork named an unknown account type {kind!r}.", broker=BROKER)
    leverage = row.get("leverage")
    server_id = (text(row, "serverId", required=False)
                 or server_ids.get(server_name, "") or server_ids.get(vendor, ""))
    return TradingAccount(
        login=text(row, "accountId"),
        name=text(row, "accountName", required=False),
        vendor=vendor,
        server_name=server_name,
        server_id=server_id,
        live=kind == "Live",
        currency=text(row, "currency"),
        leverage=int(leverage) if isinstance(leverage, int | str) and str(leverage).isdigit()
        else None,
        balance=optional_money(row, "balance"),
        enabled=row.get("status") is not False,
        group_id=text(row, "accountGroup", required=False),
        group_name=text(row, "accountGroupName", required=False),
    )


@dataclass(frozen=True, slots=True)
class UserDetail:
    user_name: str
    email: str
    nickname: str
    accounts: tuple[TradingAccount, ...]


@reads("read user detail data", BROKER)
def read_user_detail(data: Any, server_ids: dict[str, str]) -> UserDetail:
    body = obj(data, "user detail")
    rows = body.get("accounts")
    return UserDetail(
        user_name=text(body, "username", required=False),
        email=text(body, "email", required=False),
        nickname=text(body, "nickname", required=False),
        accounts=tuple(read_trading_account(row, server_ids)
                       for row in ([] if rows is None else items(rows, "account list"))),
    )


# ---------------------------------------------------------------- paging


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[Any]
    pager: int
    pages: int
    size: int
    total: int


def _count(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProtocolError(f"LWork's page has no {name}.", broker=BROKER)
    return value


@reads("read page data", BROKER)
def read_page(data: Any) -> Page:
    body = obj(data, "page")
    return Page(
        rows=items(body.get("list") if body.get("list") is not None else [], "page list"),
        pager=_count(body, "pager"),
        pages=_count(body, "pages"),
        size=_count(body, "size"),
        total=_count(body, "total"),
    )


# ---------------------------------------------------------------- funding


@dataclass(frozen=True, slots=True)
class DepositReceipt:
    """A deposit application LWork took (3.2): pay ``pay_amount`` to complete it."""

    job_id: str
    pay_amount: Decimal
    account_id: str
    pay_currency: str
    deposit_amount: Decimal


@reads("read deposit receipt data", BROKER)
def read_deposit_receipt(data: Any, *, pay_currency: str,
                         deposit_amount: Decimal) -> DepositReceipt:
    body = obj(data, "deposit reply")
    return DepositReceipt(
        job_id=text(body, "jobId"),
        pay_amount=money(body, "payAmount"),
        account_id=text(body, "accountId", required=False),
        pay_currency=pay_currency,
        deposit_amount=deposit_amount,
    )


@dataclass(frozen=True, slots=True)
class CashRecord:
    """One cash-flow entry (3.7): a deposit, withdrawal or transfer application.

    ``amount`` is in the account's currency and signed as seen from ``login``: money in
    is positive, out negative. Deposits' fields are LW-DOCS's; the withdrawal and
    transfer objects (``withdrawTransaction``, ``transferTransaction``) are not shown
    in the docs and are read by analogy (UNCONFIRMED)."""

    kind: str  # Deposit / Withdraw / Transfer
    record_id: str
    login: str
    created_at: datetime
    amount: Decimal
    currency: str
    state: str = ""
    pay_status: str = ""
    pay_amount: Decimal | None = None
    pay_currency: str = ""
    comment: str = ""
    counterpart: str = ""  # a transfer's other account
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@reads("read cash record data", BROKER)
def read_cash_record(entry: Any, login: str) -> CashRecord:
    row = obj(entry, "cash-flow entry")
    kind = text(row, "transactionType")
    if kind not in CASHFLOW_TYPES:
        raise ProtocolError(f"LWork named an unknown cash-flow type {kind!r}.",
                            broker=BROKER)
    detail = obj(row.get(f"{kind[0].lower()}{kind[1:]}Transaction"), f"{kind} entry")
    record_id = text(detail, "id")
    created_at = epoch_ms(detail, "createTime")
    state = text(detail, "state", required=False)
    comment = text(detail, "comment", required=False)
    if kind == DEPOSIT:
        return CashRecord(
            kind=kind, record_id=record_id, created_at=created_at, state=state,
            comment=comment, raw=detail,
            login=text(detail, "accountId", required=False) or login,
            amount=money(detail, "depositAmount"),
            currency=text(detail, "depositCurrency"),
            pay_status=text(detail, "payStatus", required=False),
            pay_amount=optional_money(detail, "payAmount"),
            pay_currency=text(detail, "payCurrency", required=False),
        )
    if kind == WITHDRAW:
        return CashRecord(
            kind=kind, record_id=record_id, created_at=created_at, state=state,
            comment=comment, raw=detail,
            login=text(detail, "accountId", required=False) or login,
            amount=-money(detail, "withdrawAmount"),
            currency=text(detail, "currency"),
            pay_currency=text(detail, "payCurrency", required=False),
        )
    source = text(detail, "accountId")
    receipt = text(detail, "receiptAccount")
    amount = money(detail, "transferAmount")
    incoming = receipt == login and source != login
    return CashRecord(
        kind=kind, record_id=record_id, created_at=created_at, state=state,
        comment=comment, raw=detail, login=login,
        amount=amount if incoming else -amount,
        currency=text(detail, "currency"),
        counterpart=source if incoming else receipt,
    )
