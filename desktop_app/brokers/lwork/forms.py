"""LWork's rules and forms as the domain's ``FundingRules`` and ``AccountOpeningForm``s.

Deposits follow the deposit settings (1.3): the limits, the pay currencies whose
``transactionCurrency`` is the account's, their exchange rates, the charges. Withdrawals
and transfers have no published limits beyond the free margin (3.1). A transfer goes to
another account of the same user on the same platform (3.11). Bank details are private
fields: sent to LWork, never journalled, logged or shown unmasked.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from desktop_app.brokers.lwork.errors import BROKER
from desktop_app.brokers.lwork.mapping import account_ref, leverage_text
from desktop_app.brokers.lwork.wire import (
    VENDORS,
    TradingAccount,
    items,
    money,
    obj,
    optional_money,
    text,
)
from desktop_app.domain.errors import ProtocolError
from desktop_app.domain.money import format_money
from desktop_app.domain.types import (
    AccountOpeningForm,
    Conversion,
    Fact,
    FormField,
    FundingKind,
    FundingRules,
)

CENT = Decimal("0.01")
# Deposits and transfers carry an optional comment; LW-DOCS gives no limit: ours.
COMMENT_MAX = 100
PAY_CURRENCY = "payCurrency"
WITHDRAW_FIELDS = (
    FormField("bankAccountName", "Payee (bank account name)", private=True, max_len=100),
    FormField("bankAccountNumber", "Bank account number", private=True, max_len=64),
    FormField("bankName", "Bank name", private=True, max_len=100),
    FormField("bankBranchName", "Bank branch", optional=True, private=True, max_len=100),
    FormField("SWIFT", "SWIFT code", optional=True, private=True, max_len=11,
              placeholder="e.g. ICBKCNBJ"),
)
DEMO_KIND = "demo"
REAL_KIND = "real"
DEMO_TYPE_FIELD = "demoAccountType"  # value "<vendor>:<typeId>"
SERVER_FIELD = "server"  # value "<vendor>:<serverId>"


def pay_rates(settings: Any, currency: str) -> list[tuple[str, Decimal, Decimal]]:
    """(pay currency, exchange, floating) for deposits into a ``currency`` account."""
    data = obj(settings, "deposit settings")
    rates: list[tuple[str, Decimal, Decimal]] = []
    for row in items(data.get("exchangeRateSettings") or [], "exchange rates"):
        entry = obj(row, "exchange rate")
        traded = text(entry, "transactionCurrency", required=False)
        if traded and traded != currency:
            continue
        rates.append((text(entry, "payCurrency"), money(entry, "exchange"),
                      optional_money(entry, "exchangeFloat") or Decimal(0)))
    return rates


def deposit_rules(account: TradingAccount, settings: Any) -> FundingRules:
    data = obj(settings, "deposit settings")
    rates = pay_rates(data, account.currency)
    if not rates:
        raise ProtocolError(
            f"LWork's deposit settings list no pay currency for {account.currency}.",
            broker=BROKER)
    facts = [Fact(f"Rate {pay}", f"1 {account.currency} = {rate} {pay}",
                  hint=f"may float by {drift}" if drift else "")
             for pay, rate, drift in rates]
    charges = optional_money(data, "charges") if "charges" in data else None
    if charges and data.get("showCharge") is not False:
        facts.append(Fact("Charges", str(charges)))
    channels = [text(obj(p, "payment channel"), "name", required=False)
                for p in items(data.get("payList") or [], "payment channels")]
    if any(channels):
        facts.append(Fact("Payment channels", ", ".join(c for c in channels if c)))
    return FundingRules(
        kind=FundingKind.DEPOSIT,
        currency=account.currency,
        min_amount=money(data, "minDeposit"),
        max_amount=money(data, "maxDeposit"),
        demo_only=False,
        title="Deposit",
        comment_max_len=COMMENT_MAX,
        fields=(FormField(PAY_CURRENCY, "Pay in",
                          choices=tuple((pay, f"{pay} ({rate} per {account.currency})")
                                        for pay, rate, _drift in rates),
                          default=rates[0][0]),),
        facts=tuple(facts),
        conversions=tuple(Conversion("Payable", pay, rate, field=PAY_CURRENCY, value=pay)
                          for pay, rate, _drift in rates),
        notes=(
            "LWork says what to pay in the chosen currency; the account is credited once "
            "the payment is confirmed. Amounts have at most two decimals."
        ),
    )


def payable(amount: Decimal, rate: Decimal) -> Decimal:
    """The pay-currency amount to show before sending (LWork's own ``payAmount`` in
    the reply is what counts)."""
    return (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def withdraw_rules(account: TradingAccount, info: Any) -> FundingRules:
    free = money(obj(info, "account info"), "marginFree")
    return FundingRules(
        kind=FundingKind.WITHDRAW,
        currency=account.currency,
        min_amount=CENT,
        max_amount=max(free, Decimal(0)),
        demo_only=False,
        title="Withdrawal",
        fields=WITHDRAW_FIELDS,
        facts=(Fact("Free margin", format_money(free, account.currency)),),
        notes=(
            "LWork takes the application and debits the account once the broker "
            "approves it. Bank details are kept in the keyring, never in the journal."
        ),
    )


def transfer_rules(connection: str, account: TradingAccount, info: Any,
                   accounts: Iterable[TradingAccount]) -> FundingRules:
    free = money(obj(info, "account info"), "marginFree")
    targets = tuple(account_ref(connection, a.login) for a in accounts
                    if a.login != account.login and a.vendor == account.vendor
                    and a.currency == account.currency and a.enabled)
    return FundingRules(
        kind=FundingKind.TRANSFER,
        currency=account.currency,
        min_amount=CENT,
        max_amount=max(free, Decimal(0)),
        demo_only=False,
        title="Transfer",
        comment_max_len=COMMENT_MAX,
        destinations=targets,
        facts=(Fact("Free margin", format_money(free, account.currency)),),
        notes=(
            f"Between your own {account.vendor} accounts only (LWork's rule); the money "
            "moves at once."
        ),
    )


def demo_form(types_by_vendor: dict[str, list[Any]]) -> AccountOpeningForm:
    """3.6 with the demo account types of 1.7 (group, initial amount, leverage)."""
    choices: list[tuple[str, str]] = []
    for vendor in VENDORS:
        for row in types_by_vendor.get(vendor, []):
            entry = obj(row, "demo account type")
            amount = money(entry, "initAmount")
            label = (f"{vendor} · {text(entry, 'typeName', required=False) or 'Demo'}: "
                     f"{format_money(amount)} at {leverage_text(entry.get('leverage'))}, "
                     f"group {text(entry, 'accountGroup', required=False)}")
            choices.append((f"{vendor}:{text(entry, 'typeId')}", label))
    if not choices:
        raise ProtocolError("LWork offers no demo account type.", broker=BROKER)
    return AccountOpeningForm(
        kind=DEMO_KIND,
        title="Demo account",
        fields=(
            FormField(DEMO_TYPE_FIELD, "Type", choices=tuple(choices), default=choices[0][0]),
            FormField("accountName", "Account name", max_len=40),
            FormField("phone", "Mobile phone", max_len=20, placeholder="e.g. 15912345678"),
        ),
        notes="LWork opens it on the platform's demo server and sends an SMS.",
    )


def real_form(servers: Iterable[tuple[str, str, str]]) -> AccountOpeningForm:
    """3.5; ``servers`` are (vendor, server id, server name) of live servers."""
    choices = tuple((f"{vendor}:{server_id}", f"{vendor} · {name or server_id}")
                    for vendor, server_id, name in servers)
    return AccountOpeningForm(
        kind=REAL_KIND,
        title="Real account",
        fields=(
            FormField(SERVER_FIELD, "Platform and server", choices=choices,
                      default=choices[0][0] if choices else ""),
            FormField("group", "MT group", placeholder="as the broker told you"),
            FormField("leverage", "Leverage", choices=tuple(
                (str(v), f"1:{v}") for v in (50, 100, 200, 400)), default="100"),
            FormField("accountName", "Account name", max_len=40),
            FormField("email", "E-mail", max_len=100),
            FormField("countryCode", "Country code", max_len=5, placeholder="+86"),
            FormField("phone", "Mobile phone", max_len=20),
        ),
        notes="The new account starts with a zero balance; deposit into it afterwards.",
    )
