"""What the shared market hands back: quotes, bars and the outcome of each deal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from desktop_app.domain.types import Side
from desktop_app.simulators.instruments import TRADEABLE

CENT = Decimal("0.01")
SUCCESS = "SUCCESS"
INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
MARKET_CLOSED = "MARKET_CLOSED"


def money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


@dataclass(frozen=True, slots=True)
class MarketQuote:
    symbol: str
    bid: Decimal
    offer: Decimal
    high: Decimal  # highest bid since 00:00 UTC
    low: Decimal
    net_change: Decimal  # bid now minus bid at 00:00 UTC
    percentage_change: Decimal
    status: str
    at: datetime

    @property
    def tradeable(self) -> bool:
        return self.status == TRADEABLE


@dataclass(frozen=True, slots=True)
class Bar:
    start: datetime
    open: Decimal  # bid prices; the offer is bid + spread
    high: Decimal
    low: Decimal
    close: Decimal
    spread: Decimal
    volume: int


@dataclass(frozen=True, slots=True)
class AffectedDeal:
    deal_id: str
    status: str  # OPENED, AMENDED, DELETED, FULLY_CLOSED, PARTIALLY_CLOSED


@dataclass(frozen=True, slots=True)
class DealResult:
    """Outcome of one dealing request, kept so a broker can confirm it later."""

    accepted: bool
    reason: str  # SUCCESS or why it was rejected
    status: str | None  # OPEN, CLOSED, PARTIALLY_CLOSED, AMENDED, DELETED; None if rejected
    order_id: str
    account_id: str
    symbol: str
    side: Side | None
    size: Decimal | None
    level: Decimal | None
    at: datetime
    affected: tuple[AffectedDeal, ...] = ()
    profit: Decimal | None = None
    currency: str = ""
    source: str = "USER"  # USER, SYSTEM (order fill or expiry), SL, TP
    kind: str = "POSITION"  # POSITION or WORKING_ORDER
