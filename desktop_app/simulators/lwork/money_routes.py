"""Writes: deposit (3.2) and its payment callback (3.3), withdrawal (3.4), transfer
(3.11), opening accounts (3.5, 3.6, 3.15, 3.16) and the owner's info (3.12-3.14).

Signed requests are checked against the tenant's public key over exactly the fields
of LW-DOCS, amounts written with two decimals, before any business rule.
"""

from __future__ import annotations

import re
import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from desktop_app.simulators.lwork.book import MtAccount
from desktop_app.simulators.lwork.codes import (
    ACCOUNT_UNKNOWN,
    ALREADY_PAID,
    AMOUNT_RANGE,
    BAD_SIGNATURE,
    CURRENCY,
    DEMO_TYPE_UNKNOWN,
    DEPOSIT_UNKNOWN,
    DISABLED,
    EMAIL_FORMAT,
    INSUFFICIENT,
    NOT_PAID,
    PARAMETER,
    PAY_CURRENCY,
    PHONE_FORMAT,
    SERVER_UNKNOWN,
    TRANSFER_SCOPE,
)
from desktop_app.simulators.lwork.pipeline import Ctx, Endpoint, Fail, Reply, ok, vendor
from desktop_app.simulators.lwork.state import (
    EXCHANGE_RATES,
    MAX_DEPOSIT,
    MIN_DEPOSIT,
    CashEntry,
)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^[0-9x+\- ]{5,20}$")


def _verify(ctx: Ctx, data: str) -> None:
    if not ctx.state.key.verify(data, ctx.body.get("signature")):
        raise Fail(BAD_SIGNATURE)


def _usable(account: MtAccount) -> MtAccount:
    if not account.enabled:
        raise Fail(DISABLED)
    return account


def _on_server(ctx: Ctx) -> MtAccount:
    """The path's user, server and login must name one of the user's accounts."""
    user = ctx.user()
    server = ctx.state.servers.get(ctx.params["serverId"])
    if server is None:
        raise Fail(SERVER_UNKNOWN)
    account = ctx.account_of(user, ctx.params["login"])
    if account.server.server_id != server.server_id:
        raise Fail(ACCOUNT_UNKNOWN)
    return _usable(account)


def deposit(ctx: Ctx) -> Reply:
    account = _on_server(ctx)
    amount = ctx.amount("depositAmount")
    pay_currency = ctx.field("payCurrency")
    _verify(ctx, f"{ctx.params['userId']}{account.login}{pay_currency}{amount:.2f}")
    rate = next((r for c, r, _f in EXCHANGE_RATES if c == pay_currency), None)
    if rate is None:
        raise Fail(PAY_CURRENCY)
    if not MIN_DEPOSIT <= amount <= MAX_DEPOSIT:
        raise Fail(AMOUNT_RANGE)
    state = ctx.state
    entry = CashEntry(
        "Deposit", state.record_id(), account.login, amount, account.currency,
        state.clock(), comment=ctx.field("comment", required=False), pay_status="Pending",
        job_id=str(uuid.uuid4()), pay_currency=pay_currency,
        pay_amount=(amount * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
    )
    state.cash.append(entry)
    return ok({"payAmount": entry.pay_amount, "jobId": entry.job_id,
               "accountId": account.login})


def deposit_callback(ctx: Ctx) -> Reply:
    job_id, order_id = ctx.field("jobId"), ctx.field("orderId")
    status, currency = ctx.field("status"), ctx.field("payCurrency")
    ctx.field("platform")
    pay_amount = ctx.amount("payAmount")
    _verify(ctx, f"{job_id}{order_id}{status}{currency}{pay_amount:.2f}")
    state = ctx.state
    entry = next((e for e in state.cash if e.kind == "Deposit" and e.job_id == job_id), None)
    if entry is None:
        raise Fail(DEPOSIT_UNKNOWN, data="0")
    if status != "1":
        raise Fail(NOT_PAID, data="0")
    if entry.pay_status == "Paid":
        raise Fail(ALREADY_PAID, data="0")
    if currency != entry.pay_currency or pay_amount != entry.pay_amount:
        raise Fail(PARAMETER, "payAmount and payCurrency must be the application's",
                   data="0")
    state.pay_deposit(job_id)
    return ok("1")


def withdraw(ctx: Ctx) -> Reply:
    account = _on_server(ctx)
    if ctx.field("currency") != account.currency:
        raise Fail(CURRENCY)
    amount = ctx.amount("withdrawAmount")
    bank = {name: ctx.field(name) for name in
            ("bankAccountName", "bankAccountNumber", "bankName")}
    bank |= {name: ctx.field(name, required=False) for name in ("bankBranchName", "SWIFT")}
    if amount <= 0:
        raise Fail(AMOUNT_RANGE)
    state = ctx.state
    pending = sum((e.amount for e in state.cash if e.kind == "Withdraw"
                   and e.login == account.login and e.settled_at is None), Decimal(0))
    if amount + pending > state.book.figures(account).free_margin:
        raise Fail(INSUFFICIENT)
    state.cash.append(CashEntry(
        "Withdraw", state.record_id(), account.login, amount, account.currency,
        state.clock(), pay_currency=ctx.field("payCurrency", required=False), bank=bank,
    ))
    return ok()


def transfer(ctx: Ctx) -> Reply:
    user = ctx.user("pubUserId")
    source = _usable(ctx.account_of(user, ctx.params["accountId"]))
    names = ("receiptAccount", "receiptAccountName", "receiptServerId", "receiptUserId",
             "receiptVendor", "currency")
    receipt, receipt_name, server_id, receipt_user, receipt_vendor, currency = (
        ctx.field(name) for name in names)
    amount = ctx.amount("transferAmount")
    _verify(ctx, f"{source.login}{currency}{user.user_id}{receipt}{receipt_name}"
                 f"{server_id}{receipt_vendor}{amount:.2f}")
    vendor(receipt_vendor)
    state = ctx.state
    target = state.book.accounts.get(receipt)
    if target is None or target.server.server_id != server_id or target.vendor != receipt_vendor:
        raise Fail(ACCOUNT_UNKNOWN)
    if (receipt_user != user.user_id or target.user_id != user.user_id
            or target.vendor != source.vendor or target.login == source.login):
        raise Fail(TRANSFER_SCOPE)
    _usable(target)
    if receipt_name != target.name:
        raise Fail(PARAMETER, "receiptAccountName is not the account's name")
    if currency != source.currency or target.currency != source.currency:
        raise Fail(CURRENCY)
    if amount <= 0:
        raise Fail(AMOUNT_RANGE)
    if amount > state.book.figures(source).free_margin:
        raise Fail(INSUFFICIENT)
    # Both balances change under the state lock, in one step.
    source.balance -= amount
    target.balance += amount
    entry = CashEntry("Transfer", state.record_id(), source.login, amount, currency,
                      state.clock(), comment=ctx.field("comment", required=False),
                      state="Approved", receipt=target.login)
    entry.settled_at = entry.created
    state.cash.append(entry)
    return ok()


# ----------------------------------------------------------------- accounts


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise Fail(EMAIL_FORMAT)
    return value


def _phone(value: str) -> str:
    if not _PHONE.match(value):
        raise Fail(PHONE_FORMAT)
    return value


def _leverage(value: Any) -> int:
    text = str(value).strip() if value is not None else ""
    if not text.isdigit() or int(text) <= 0:
        raise Fail(PARAMETER, "leverage must be a positive integer")
    return int(text)


def _live_server(ctx: Ctx, platform: str, server_id: str, group: str) -> str:
    server = ctx.state.servers.get(server_id)
    if server is None or server.vendor != platform:
        raise Fail(SERVER_UNKNOWN)
    if group not in server.groups:
        raise Fail(PARAMETER, f"group {group!r} does not exist on {server.name}")
    return server.server_id


def _opened(account: MtAccount, email: str, phone: str) -> dict[str, Any]:
    return {"address": "", "city": "", "country": "", "currency": account.currency,
            "email": email, "enable": 1, "enableChangePass": 1, "group": account.group,
            "leverage": account.leverage, "login": int(account.login), "name": account.name,
            "phone": phone, "state": ""}


def open_real(ctx: Ctx) -> Reply:
    user = ctx.user()
    platform = vendor(ctx.field("vendor"))
    group = ctx.field("group")
    server_id = _live_server(ctx, platform, ctx.field("serverId"), group)
    leverage = _leverage(ctx.body.get("leverage"))
    name = ctx.field("accountName")
    email = _email(ctx.field("email"))
    phone = ctx.body.get("phone")
    if not isinstance(phone, dict):
        raise Fail(PHONE_FORMAT)
    code = str(phone.get("countryCode", "")).strip()
    number = _phone(str(phone.get("phone", "")).strip())
    account = ctx.state.open_account(user.user_id, server_id, name, group, leverage,
                                     Decimal("0.00"))
    return ok(_opened(account, email, f"{code} {number}".strip()))


def open_demo(ctx: Ctx) -> Reply:
    user = ctx.user("pubUserId")
    type_id = ctx.field("demoAccountType")
    platform = vendor(ctx.field("vendor"))
    name = ctx.field("accountName")
    _phone(ctx.field("phone"))
    found = next((t for t in ctx.state.demo_types[platform] if t["typeId"] == type_id), None)
    if found is None:
        raise Fail(DEMO_TYPE_UNKNOWN)
    server = next(s for s in ctx.state.servers.values()
                  if s.vendor == platform and not s.live)
    ctx.state.open_account(user.user_id, server.server_id, name, found["accountGroup"],
                           int(found["leverage"]), Decimal(found["initAmount"]))
    return ok()


def open_v2(ctx: Ctx) -> Reply:
    """3.15 opens at once; 3.16 (``task/open``) submits a task for the back office."""
    user = ctx.user()
    platform = vendor(ctx.field("vendor"))
    info = ctx.body.get("accountInfo")
    if not isinstance(info, dict):
        raise Fail(PARAMETER, "accountInfo is required")
    group = str(info.get("group", "")).strip()
    server_id = _live_server(ctx, platform, ctx.field("serverId"), group)
    leverage = _leverage(info.get("leverage"))
    email = _email(str(info.get("email", "")).strip())
    base = ctx.body.get("baseInfo")
    name = str(base.get("accountName", "")).strip() if isinstance(base, dict) else ""
    if ctx.path.endswith("/task/open"):
        ctx.state.tasks.append({"userId": user.user_id, "vendor": platform,
                                "serverId": server_id, "state": "Submited"})
        return ok()
    account = ctx.state.open_account(user.user_id, server_id, name or user.username, group,
                                     leverage, Decimal("0.00"))
    return ok(_opened(account, email, ""))


def _update(section: str) -> Any:
    def handler(ctx: Ctx) -> Reply:
        user = ctx.user("pubUserId")
        if not ctx.body:
            raise Fail(PARAMETER, "nothing to change")
        getattr(user, section).update(ctx.body)
        return ok()
    return handler


ENDPOINTS: list[Endpoint] = [
    Endpoint("POST", "/v2/api/account/{userId}/{serverId}/{login}/deposit", deposit),
    Endpoint("POST", "/v1/api/account/deposit/callback", deposit_callback),
    Endpoint("POST", "/v2/api/account/{userId}/{serverId}/{login}/withdraw", withdraw),
    Endpoint("POST", "/v1/api/account/{pubUserId}/{accountId}/transfer", transfer),
    Endpoint("POST", "/v1/api/account/{userId}/open", open_real),
    Endpoint("POST", "/v1/api/account/{pubUserId}/sms/open/demo", open_demo),
    Endpoint("POST", "/v2/api/account/{userId}/open", open_v2),
    Endpoint("POST", "/v2/api/account/{userId}/task/open", open_v2),
    Endpoint("POST", "/v1/api/account/{pubUserId}/update/diff/base", _update("base")),
    Endpoint("POST", "/v1/api/account/{pubUserId}/update/diff/finance", _update("finance")),
    Endpoint("POST", "/v1/api/account/{pubUserId}/update/diff/certificate", _update("cert")),
]
