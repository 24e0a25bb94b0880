"""Accounts of the shared market: a cash ledger, open positions and working orders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from desktop_app.domain.types import InstrumentKind, OrderType, Side


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    at: datetime
    amount: Decimal
    kind: str  # DEPOSIT, TRADE, WITHDRAWAL, ...
    note: str
    reference: str
    symbol: str = ""


@dataclass(slots=True)
class Leverage:
    current: int
    available: tuple[int, ...]


@dataclass(slots=True)
class SimPosition:
    deal_id: str
    symbol: str
    side: Side
    size: Decimal
    level: Decimal
    leverage: int
    created_at: datetime
    order_id: str
    stop_level: Decimal | None = None
    profit_level: Decimal | None = None
    guaranteed_stop: bool = False


@dataclass(slots=True)
class SimOrder:
    deal_id: str
    symbol: str
    side: Side
    size: Decimal
    order_type: OrderType  # LIMIT or STOP
    level: Decimal
    created_at: datetime
    good_till: datetime | None = None
    stop_level: Decimal | None = None
    profit_level: Decimal | None = None
    guaranteed_stop: bool = False


@dataclass(slots=True)
class SimAccount:
    account_id: str
    name: str
    currency: str
    hedging: bool = False
    preferred: bool = False
    leverages: dict[InstrumentKind, Leverage] = field(default_factory=dict)
    ledger: list[LedgerEntry] = field(default_factory=list)
    positions: dict[str, SimPosition] = field(default_factory=dict)
    orders: dict[str, SimOrder] = field(default_factory=dict)

    @property
    def cash(self) -> Decimal:
        return sum((entry.amount for entry in self.ledger), Decimal(0))


@dataclass(frozen=True, slots=True)
class AccountFigures:
    """Money of an account in its currency, at the current prices."""

    currency: str
    cash: Decimal  # deposits and realised profit/loss
    profit_loss: Decimal  # unrealised, open positions
    equity: Decimal  # cash + profit_loss
    margin: Decimal
    available: Decimal  # equity - margin


# Retail leverage choices per asset class, as Capital.com's preferences example lists them.
DEFAULT_LEVERAGES: dict[InstrumentKind, Leverage] = {
    InstrumentKind.SHARE: Leverage(5, (1, 2, 3, 5)),
    InstrumentKind.CURRENCY: Leverage(30, (1, 10, 20, 30)),
    InstrumentKind.INDEX: Leverage(20, (1, 10, 20)),
    InstrumentKind.CRYPTO: Leverage(2, (1, 2)),
    InstrumentKind.COMMODITY: Leverage(20, (1, 5, 10, 20)),
}


def default_leverages() -> dict[InstrumentKind, Leverage]:
    return {kind: Leverage(lev.current, lev.available) for kind, lev in DEFAULT_LEVERAGES.items()}
