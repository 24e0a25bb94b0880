"""The Upvest simulator's resources and their JSON, shaped as UP-SPEC 1.9.0 writes them.

Money and quantities are Decimal and go out as decimal strings (UP-SPEC's patterns);
times are RFC 3339 UTC with a ``Z``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

CENT = Decimal("0.01")
SHARE_STEP = Decimal("0.000001")  # fractional shares: six decimals (UNCONFIRMED)
ZERO = Decimal(0)


def stamp(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def text(value: Decimal) -> str:
    return format(value, "f")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def shares(value: Decimal) -> Decimal:
    return value.quantize(SHARE_STEP, rounding=ROUND_DOWN)


@dataclass(slots=True)
class User:
    id: str
    created: float
    first_name: str
    last_name: str
    birth_date: str
    status: str = "ACTIVE"

    def payload(self) -> dict[str, Any]:
        return {
            "id": self.id, "created_at": stamp(self.created), "updated_at": stamp(self.created),
            "first_name": self.first_name, "last_name": self.last_name,
            "birth_date": self.birth_date, "nationalities": ["DE"],
            "address": {"address_line1": "Rosenweg 221", "postcode": "45678",
                        "city": "Berlin", "country": "DE"},
            "status": self.status,
        }


@dataclass(slots=True)
class Group:
    """An account group (securities account) with its one EUR cash balance."""

    id: str
    created: float
    user_id: str
    securities_account_number: str
    balance: Decimal = ZERO
    locked_for_trading: Decimal = ZERO
    pending_settlement: Decimal = ZERO
    next_account_number: int = 1
    updated: float = 0.0
    status: str = "ACTIVE"
    type: str = "PERSONAL"

    def payload(self) -> dict[str, Any]:
        return {
            "id": self.id, "created_at": stamp(self.created),
            "updated_at": stamp(self.updated or self.created),
            "users": [{"id": self.user_id, "type": "OWNER"}], "status": self.status,
            "type": self.type, "securities_account_number": self.securities_account_number,
        }

    @property
    def available_for_trading(self) -> Decimal:
        return self.balance - self.locked_for_trading

    def cash_payload(self) -> dict[str, Any]:
        withdrawable = self.balance - self.locked_for_trading - self.pending_settlement
        return {
            "account_group_id": self.id, "currency": "EUR",
            "balance": text(cents(self.balance)),
            "locked_for_trading": text(cents(self.locked_for_trading)),
            "pending_settlement": text(cents(self.pending_settlement)),
            "available_for_withdrawal": text(cents(withdrawable)),
            "available_for_trading": text(cents(self.available_for_trading)),
        }


@dataclass(slots=True)
class Account:
    id: str
    created: float
    updated: float
    group_id: str
    user_id: str
    type: str
    number: int
    name: str
    status: str

    def payload(self) -> dict[str, Any]:
        return {
            "id": self.id, "created_at": stamp(self.created), "updated_at": stamp(self.updated),
            "account_group_id": self.group_id, "type": self.type,
            "users": [{"id": self.user_id, "type": "OWNER"}],
            "account_number": self.number, "name": self.name, "status": self.status,
        }


@dataclass(slots=True)
class Instrument:
    id: str
    isin: str
    wkn: str
    name: str
    price: Decimal  # the start of its price path (EUR)
    fractional: bool = True
    trading_status: str = "ACTIVE"
    created: float = 0.0

    def payload(self) -> dict[str, Any]:
        return {
            "id": self.id, "created_at": stamp(self.created), "updated_at": stamp(self.created),
            "isin": self.isin, "wkn": self.wkn, "name": self.name,
            "fractional_trading": self.fractional, "trading_status": self.trading_status,
        }


@dataclass(slots=True)
class Execution:
    id: str
    order_id: str
    side: str
    cash_amount: Decimal
    share_quantity: Decimal
    price: Decimal
    time: float
    status: str = "FILLED"
    settlement_date: str = ""

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "cash_amount": text(cents(self.cash_amount)),
            "share_quantity": text(self.share_quantity), "price": text(self.price),
            "transaction_time": stamp(self.time),
            "taxes": [{"type": "TOTAL", "amount": "0"}],
            "order_id": self.order_id, "status": self.status, "side": self.side,
            "currency": "EUR",
        }
        if self.settlement_date:
            out["settlement_date"] = self.settlement_date
        return out


@dataclass(slots=True)
class Order:
    id: str
    created: float
    updated: float
    user_id: str
    account_id: str
    group_id: str
    side: str
    isin: str
    order_type: str
    cash_amount: Decimal  # 0: by quantity (as Upvest writes it)
    quantity: Decimal  # 0: by amount
    acknowledged: bool
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    expiry_date: str = ""
    client_reference: str = ""
    status: str = "NEW"
    cancellation_reason: str = ""
    executions: list[Execution] = field(default_factory=list)
    locked_cash: Decimal = ZERO
    locked_shares: Decimal = ZERO

    @property
    def by_amount(self) -> bool:
        return self.cash_amount > 0

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "created_at": stamp(self.created), "updated_at": stamp(self.updated),
            "user_id": self.user_id, "account_id": self.account_id,
            "cash_amount": text(self.cash_amount), "currency": "EUR", "side": self.side,
            "instrument_id": self.isin, "instrument_id_type": "ISIN",
            "order_type": self.order_type, "quantity": text(self.quantity),
            "user_instrument_fit_acknowledgement": self.acknowledged,
            "limit_price": "" if self.limit_price is None else text(self.limit_price),
            "stop_price": "" if self.stop_price is None else text(self.stop_price),
            "status": self.status, "fee": "0",
            "initiation_flow": "API", "execution_flow": "STRAIGHT_THROUGH",
            "executions": [e.payload() for e in self.executions],
            "client_reference": self.client_reference,
        }
        if self.expiry_date:
            out["expiry_date"] = self.expiry_date
        if self.cancellation_reason:
            out["cancellation_reason"] = self.cancellation_reason
        return out


@dataclass(slots=True)
class Position:
    account_id: str
    instrument: Instrument
    quantity: Decimal = ZERO
    locked_for_trading: Decimal = ZERO
    pending_settlement: Decimal = ZERO

    @property
    def available(self) -> Decimal:
        # Pending settlement may be sold (UNCONFIRMED); open sell orders may not.
        return self.quantity - self.locked_for_trading

    def payload(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "instrument": {"uuid": self.instrument.id, "isin": self.instrument.isin},
            "quantity": text(self.quantity),
            "locked_for_trading": text(self.locked_for_trading),
            "pending_settlement": text(self.pending_settlement),
            "available_for_trading": text(self.available),
        }


@dataclass(slots=True)
class VirtualCash:
    id: str
    created: float
    updated: float
    group_id: str
    amount: Decimal
    kind: str  # "increase" | "decrease"
    status: str = "ISSUED"

    def payload(self) -> dict[str, Any]:
        return {
            "id": self.id, "created_at": stamp(self.created), "updated_at": stamp(self.updated),
            "account_group_id": self.group_id, "amount": text(cents(self.amount)),
            "currency": "EUR", "status": self.status,
        }


@dataclass(slots=True)
class Webhook:
    id: str
    created: float
    updated: float
    title: str
    url: str
    types: list[str]
    delay: str = "1s"
    max_package_size: int = 10240
    enabled: bool = True
    queue: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    retry_at: float = 0.0  # monotonic

    def payload(self) -> dict[str, Any]:
        return {
            "id": self.id, "created_at": stamp(self.created), "updated_at": stamp(self.updated),
            "title": self.title, "url": self.url, "enabled": self.enabled, "type": self.types,
            "config": {"delay": self.delay, "max_package_size": self.max_package_size},
        }

    def wants(self, event_type: str) -> bool:
        family = event_type.split(".", 1)[0]
        return "ALL" in self.types or family in self.types
