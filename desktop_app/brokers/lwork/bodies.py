"""What LWork's write calls send: the request values and their JSON bodies.

Field names and order follow the docs' examples (LW-DOCS 3.2-3.6, 3.11, 3.12). Amounts
go as two-decimal strings, the very strings that are signed (``signing.two_decimals``).
Bank details and an account password are private: kept out of ``repr``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from desktop_app.brokers.lwork.errors import BROKER
from desktop_app.brokers.lwork.signing import two_decimals
from desktop_app.brokers.lwork.wire import VENDORS, TradingAccount
from desktop_app.domain.errors import ValidationError


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """A withdrawal application (3.4); the bank details are personal data."""

    amount: Decimal
    bank_account_name: str = field(repr=False)
    bank_account_number: str = field(repr=False)
    bank_name: str = field(repr=False)
    bank_branch_name: str = field(default="", repr=False)
    swift: str = field(default="", repr=False)
    pay_currency: str = ""


@dataclass(frozen=True, slots=True)
class RealAccountApplication:
    """Opening a real account for the user (3.5)."""

    vendor: str
    server_id: str
    group: str
    leverage: int
    account_name: str
    email: str
    country_code: str
    phone: str
    agent_account: str = ""
    password: str = field(default="", repr=False)


def required(value: str, label: str, name: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise ValidationError(f"{label} is required.", field=name, broker=BROKER)
    return cleaned


def wire_vendor(value: str) -> str:
    vendor = value.strip().upper()
    if vendor not in VENDORS:
        raise ValidationError(f"The platform must be MT4 or MT5, not {value!r}.",
                              field="vendor", broker=BROKER)
    return vendor


def deposit_body(amount: str, pay_currency: str, comment: str, signature: str) -> dict[str, Any]:
    return {"depositAmount": amount, "payCurrency": pay_currency, "comment": comment,
            "signature": signature}


def callback_body(job_id: str, order_id: str, status: str, platform: str, pay_amount: str,
                  pay_currency: str, signature: str) -> dict[str, Any]:
    return {"jobId": job_id, "orderId": order_id, "status": status, "platform": platform,
            "payAmount": pay_amount, "payCurrency": pay_currency, "signature": signature}


def withdraw_body(account: TradingAccount, request: Withdrawal) -> dict[str, Any]:
    body: dict[str, Any] = {"currency": account.currency}
    if request.pay_currency.strip():
        body["payCurrency"] = request.pay_currency.strip().upper()
    body["withdrawAmount"] = two_decimals(request.amount)
    body["bankAccountName"] = required(request.bank_account_name, "The payee",
                                       "bankAccountName")
    body["bankAccountNumber"] = required(request.bank_account_number,
                                         "The bank account number", "bankAccountNumber")
    body["bankName"] = required(request.bank_name, "The bank name", "bankName")
    body["bankBranchName"] = request.bank_branch_name.strip()
    if request.swift.strip():
        body["SWIFT"] = request.swift.strip().upper()
    return body


def transfer_body(user_id: str, destination: TradingAccount, currency: str, amount: str,
                  comment: str, signature: str) -> dict[str, Any]:
    return {
        "receiptAccount": destination.login,
        "receiptAccountName": destination.name,
        "receiptServerId": destination.server_id,
        "receiptUserId": user_id,
        "receiptVendor": destination.vendor,
        "currency": currency,
        "transferAmount": amount,
        "comment": comment,
        "signature": signature,
    }


def real_account_body(application: RealAccountApplication) -> dict[str, Any]:
    if application.leverage <= 0:
        raise ValidationError("The leverage must be a positive whole number.",
                              field="leverage", broker=BROKER)
    body: dict[str, Any] = {
        "vendor": wire_vendor(application.vendor),
        "serverId": required(application.server_id, "The server", "serverId"),
        "group": required(application.group, "The MT group", "group"),
        "leverage": application.leverage,
        "accountName": required(application.account_name, "The account name",
                                "accountName"),
        "phone": {
            "countryCode": required(application.country_code, "The country code",
                                    "countryCode"),
            "phone": required(application.phone, "The phone number", "phone"),
        },
        "email": required(application.email, "The e-mail address", "email"),
    }
    if application.agent_account.strip():
        body["agentAccount"] = application.agent_account.strip()
    if application.password:
        body["password"] = application.password
    return body


def demo_account_body(vendor: str, demo_account_type: str, account_name: str,
                      phone: str) -> dict[str, Any]:
    return {
        "demoAccountType": required(demo_account_type, "The demo account type",
                                    "demoAccountType"),
        "vendor": wire_vendor(vendor),
        "accountName": required(account_name, "The account name", "accountName"),
        "phone": required(phone, "The phone number", "phone"),
    }
