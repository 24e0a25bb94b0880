"""What the session layer tells its listeners (the view-models). Plain values only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from desktop_app.domain.types import (
    Account,
    AccountRef,
    Balance,
    Position,
    Quote,
    WorkingOrder,
)


class ConnectionState(StrEnum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DEGRADED = "degraded"  # connected, but the last refresh failed; values are going stale
    FAILED = "failed"  # gave up: the message says what the trader must do


class Topic(StrEnum):
    BALANCES = "balances"
    POSITIONS = "positions"
    WORKING_ORDERS = "working_orders"
    QUOTES = "quotes"


@dataclass(frozen=True, slots=True)
class ConnectionChanged:
    connection_id: str
    state: ConnectionState
    message: str = ""


@dataclass(frozen=True, slots=True)
class AccountsUpdated:
    connection_id: str
    accounts: tuple[Account, ...]
    as_of: datetime


@dataclass(frozen=True, slots=True)
class BalanceUpdated:
    account: AccountRef
    balance: Balance


@dataclass(frozen=True, slots=True)
class PositionsUpdated:
    account: AccountRef
    positions: tuple[Position, ...]
    as_of: datetime


@dataclass(frozen=True, slots=True)
class WorkingOrdersUpdated:
    account: AccountRef
    orders: tuple[WorkingOrder, ...]
    as_of: datetime


@dataclass(frozen=True, slots=True)
class QuoteUpdated:
    account: AccountRef
    quote: Quote


@dataclass(frozen=True, slots=True)
class PricesChanged:
    """How a connection's prices come changed (``session.streams.PriceMode`` value:
    streaming, reconnecting, idle, ...), with the reason."""

    connection_id: str
    mode: str
    detail: str


@dataclass(frozen=True, slots=True)
class PollFailed:
    connection_id: str
    topic: Topic
    message: str
    account: AccountRef | None = None


@dataclass(frozen=True, slots=True)
class JournalTrouble:
    """The journal cannot be written: ``pending`` outcomes are kept in memory and written
    once it can be ("" message and 0 pending: all written again)."""

    message: str
    pending: int


@dataclass(frozen=True, slots=True)
class JournalChanged:
    """An order or funding journal entry was written or completed."""

    kind: str  # "order" | "funding"
    entry_id: int
    extra: dict[str, str] = field(default_factory=dict)


Event = (
    ConnectionChanged
    | AccountsUpdated
    | BalanceUpdated
    | PositionsUpdated
    | WorkingOrdersUpdated
    | QuoteUpdated
    | PricesChanged
    | PollFailed
    | JournalChanged
    | JournalTrouble
)
