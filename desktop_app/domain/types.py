"""Broker-neutral value types shared by every layer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum


class Environment(StrEnum):
    DEMO = "demo"
    LIVE = "live"
    REPLAY = "replay"


class AccountStatus(StrEnum):
    ENABLED = "enabled"  # open and usable (Upvest: ACTIVE)
    DISABLED = "disabled"
    SUSPENDED = "suspended"
    UNKNOWN = "unknown"
    # Account lifecycle (Upvest's statuses; LWork's new accounts): see STATUS_MEANING.
    PENDING_APPROVAL = "pending_approval"
    CLOSING = "closing"
    CLOSED = "closed"
    LOCKED = "locked"


# What each status means for the trader, shown next to it (tooltip, details).
STATUS_MEANING: dict[AccountStatus, str] = {
    AccountStatus.ENABLED: "Open: trading and funding as the broker allows.",
    AccountStatus.DISABLED: "Disabled by the broker: nothing can be done on it.",
    AccountStatus.SUSPENDED: "Suspended from dealing: positions can be seen, not traded.",
    AccountStatus.UNKNOWN: "The broker did not say.",
    AccountStatus.PENDING_APPROVAL: "Waiting for the broker's approval: visible, nothing "
    "can be done on it yet.",
    AccountStatus.CLOSING: "Being closed: only selling is possible until it is closed.",
    AccountStatus.CLOSED: "Closed: kept for the record.",
    AccountStatus.LOCKED: "Locked by the broker: nothing can be done on it.",
}


class AccountAction(StrEnum):
    """Account lifecycle operations a broker may offer (``Capabilities.account_actions``)."""

    OPEN = "open"
    RENAME = "rename"
    CLOSE = "close"


class SizeUnit(StrEnum):
    """What an order's size counts."""

    UNITS = "units"  # units / lots / shares (fractional where the instrument allows)
    CONTRACTS = "contracts"  # futures contracts
    CASH = "cash"  # an amount of money in ``OrderRequest.currency`` (Darwinex, Upvest)


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(StrEnum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP = "STOP"
    STOP_LIMIT = "STOP_LIMIT"


class OrderStatus(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PENDING = "pending"
    UNKNOWN = "unknown"


class InstrumentKind(StrEnum):
    CURRENCY = "currency"
    COMMODITY = "commodity"
    INDEX = "index"
    SHARE = "share"
    CRYPTO = "crypto"
    FUTURE = "future"
    FUND = "fund"
    OTHER = "other"


class FundingKind(StrEnum):
    DEMO_TOPUP = "demo_topup"
    DEPOSIT = "deposit"
    WITHDRAW = "withdraw"
    TRANSFER = "transfer"


@dataclass(frozen=True, slots=True)
class AccountRef:
    """Which account: the connection (profile) it belongs to and the broker's id."""

    connection: str
    broker: str
    account_id: str

    def __str__(self) -> str:
        return f"{self.broker}:{self.account_id}"


@dataclass(frozen=True, slots=True)
class Fact:
    """A labelled figure a broker adds to an account, instrument or position
    (e.g. "D-Score" "55.15", "Maintenance margin" "1,200.00 USD"); shown as given."""

    label: str
    value: str
    hint: str = ""


@dataclass(frozen=True, slots=True)
class Balance:
    balance: Decimal
    equity: Decimal
    available: Decimal
    profit_loss: Decimal
    currency: str
    as_of: datetime
    deposit: Decimal | None = None
    realized_profit_loss: Decimal | None = None
    margin: Decimal | None = None
    # Further broker figures (net liquidation, invested, leverage, ...), in order.
    details: tuple[Fact, ...] = ()


@dataclass(frozen=True, slots=True)
class Account:
    ref: AccountRef
    name: str
    currency: str
    status: AccountStatus
    environment: Environment
    active: bool = False
    kind: str = ""
    balance: Balance | None = None
    # Who holds it and where it sits, where a broker has more than one owner per login
    # (Upvest: user and account group; LWork: the platform and server).
    owner: str = ""
    group: str = ""
    # Why the status restricts what can be done (the broker's words, else STATUS_MEANING).
    status_note: str = ""


@dataclass(frozen=True, slots=True)
class Instrument:
    symbol: str
    name: str
    kind: InstrumentKind = InstrumentKind.OTHER
    currency: str = ""
    min_size: Decimal = Decimal("0")
    size_step: Decimal = Decimal("0")
    tradeable: bool = True
    stops_allowed: bool = True
    market_status: str = ""
    bid: Decimal | None = None
    offer: Decimal | None = None
    # What the ticket's size field means: "" is units/lots; e.g. "Contracts",
    # "Amount (EUR)" where an order buys an amount of account currency (Darwinex).
    size_label: str = ""
    # Scores and other figures (D-Score, contract month, tick value, ...).
    facts: tuple[Fact, ...] = ()
    buy_allowed: bool = True
    sell_allowed: bool = True
    # Why buying or selling is not possible now, in the broker's or the app's words.
    note: str = ""
    # What the size counts; CASH: an amount of account currency. Brokers that take
    # both (Upvest: quantity or EUR amount) list them; the first is the default.
    size_units: tuple[SizeUnit, ...] = (SizeUnit.UNITS,)
    # Identifiers beyond the symbol (ISIN, WKN, ...), shown and searchable.
    codes: tuple[Fact, ...] = ()
    # When a closed market opens next, from the broker's own data (None: open, or the
    # broker does not say).
    opens_at: datetime | None = None
    # What the trader must acknowledge before buying, where the broker asks for it
    # (Upvest: the user was told the instrument may not fit them); "" when nothing is.
    # The ticket shows it as a checkbox and sends ``OrderRequest.acknowledged``.
    buy_acknowledgement: str = ""


@dataclass(frozen=True, slots=True)
class Quote:
    symbol: str
    bid: Decimal
    offer: Decimal
    as_of: datetime
    market_status: str = "TRADEABLE"
    buy_allowed: bool = True
    sell_allowed: bool = True
    # Why an order cannot be sent now (market closed, product closed to new money, ...).
    note: str = ""
    # Limit and stop orders may be taken when market orders are not (Darwinex outside
    # market hours); None: as for market orders.
    conditional_buy_allowed: bool | None = None
    conditional_sell_allowed: bool | None = None
    # When a closed market opens next, from the broker's own data (None: open or unknown).
    opens_at: datetime | None = None

    @property
    def tradeable(self) -> bool:
        return self.market_status == "TRADEABLE"


@dataclass(frozen=True, slots=True)
class Position:
    account: AccountRef
    position_id: str
    symbol: str
    name: str
    side: Side
    size: Decimal
    open_level: Decimal
    current_level: Decimal
    profit_loss: Decimal
    currency: str
    opened_at: datetime
    stop_level: Decimal | None = None
    profit_level: Decimal | None = None
    leverage: Decimal | None = None
    facts: tuple[Fact, ...] = ()
    # Why the broker's reply for this position could not be read (fields missing or of
    # the wrong kind): size, levels and P/L are then unknown, not zero, and shown so.
    unreadable: str = ""


@dataclass(frozen=True, slots=True)
class WorkingOrder:
    account: AccountRef
    order_id: str
    symbol: str
    name: str
    side: Side
    size: Decimal
    order_type: OrderType
    level: Decimal
    created_at: datetime
    stop_level: Decimal | None = None
    profit_level: Decimal | None = None
    good_till: datetime | None = None
    currency: str = ""
    # The trigger price of a stop-limit order (``level`` is then its limit price).
    stop_price: Decimal | None = None


def new_client_ref() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class OrderRequest:
    account: AccountRef
    symbol: str
    side: Side
    size: Decimal
    order_type: OrderType = OrderType.MARKET
    level: Decimal | None = None
    stop_level: Decimal | None = None
    profit_level: Decimal | None = None
    good_till: datetime | None = None
    client_ref: str = field(default_factory=new_client_ref)
    # STOP_LIMIT only: the trigger price; ``level`` is the limit price.
    stop_price: Decimal | None = None
    # What ``size`` counts; CASH sizes are an amount of ``currency``.
    size_unit: SizeUnit = SizeUnit.UNITS
    currency: str = ""
    # The trader gave the instrument's ``buy_acknowledgement`` (sent to the broker).
    acknowledged: bool = False


@dataclass(frozen=True, slots=True)
class OrderAmendment:
    """New values for a working order; None keeps the current one."""

    account: AccountRef
    order_id: str
    level: Decimal | None = None
    size: Decimal | None = None
    stop_price: Decimal | None = None
    stop_level: Decimal | None = None
    profit_level: Decimal | None = None


@dataclass(frozen=True, slots=True)
class InstrumentScreen:
    """A broker-side product filter the trader can pick (e.g. "Return 12m > 10 %")."""

    key: str
    label: str


@dataclass(frozen=True, slots=True)
class PricePoint:
    at: datetime
    price: Decimal


@dataclass(frozen=True, slots=True)
class OrderResult:
    status: OrderStatus
    broker_ref: str = ""
    deal_ids: tuple[str, ...] = ()
    reason: str = ""
    level: Decimal | None = None
    size: Decimal | None = None
    # A close: the profit or loss it realised, where the broker says (in ``currency``).
    profit_loss: Decimal | None = None
    currency: str = ""

    @property
    def accepted(self) -> bool:
        return self.status is OrderStatus.ACCEPTED


@dataclass(frozen=True, slots=True)
class FundingRequest:
    account: AccountRef
    kind: FundingKind
    amount: Decimal
    currency: str = ""
    comment: str = ""
    client_ref: str = field(default_factory=new_client_ref)
    # TRANSFER: the account the money goes to (same broker connection).
    destination: AccountRef | None = None
    # Values of the rules' extra ``fields`` (pay currency, ...): journalled.
    details: dict[str, str] = field(default_factory=dict)
    # Values of ``private`` fields (bank details): sent to the broker, never journalled,
    # logged or shown unmasked.
    private_details: dict[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class FundingResult:
    status: OrderStatus
    broker_ref: str = ""
    message: str = ""
    new_balance: Decimal | None = None

    @property
    def accepted(self) -> bool:
        return self.status is OrderStatus.ACCEPTED


@dataclass(frozen=True, slots=True)
class FormField:
    """One extra input of a broker form (funding details, account opening): a text, or
    one of ``choices`` ((value, label) pairs). ``private`` values (bank details) are
    masked on screen and kept out of the journal and logs."""

    name: str
    label: str
    choices: tuple[tuple[str, str], ...] = ()
    optional: bool = False
    private: bool = False
    max_len: int = 0
    placeholder: str = ""
    default: str = ""


@dataclass(frozen=True, slots=True)
class Conversion:
    """The amount as it will be paid in another currency, shown while it is typed (LWork:
    the payable amount in the chosen pay currency). Applies while the form's ``field``
    holds ``value`` (always when ``field`` is empty); the broker's own reply counts."""

    label: str
    currency: str
    rate: Decimal  # units of ``currency`` per unit of the rules' currency
    field: str = ""
    value: str = ""
    places: int = 2  # decimals the payable amount is rounded (half up) to

    def applies(self, values: dict[str, str]) -> bool:
        return not self.field or values.get(self.field, "") == self.value


@dataclass(frozen=True, slots=True)
class FundingRules:
    """What the broker allows for a funding kind; the funding panel validates with it."""

    kind: FundingKind
    currency: str
    min_amount: Decimal
    max_amount: Decimal
    allow_negative: bool = False
    max_resulting_balance: Decimal | None = None
    cooldown: timedelta | None = None
    comment_max_len: int = 0
    default_comment: str = ""
    demo_only: bool = True
    notes: str = ""
    # Set by the session from the journal: the earliest time the cooldown allows.
    next_allowed_at: datetime | None = None
    # The broker's own name for it ("Demo balance change"); "" for the app's default.
    title: str = ""
    # Extra inputs the broker needs (pay currency, bank details, ...).
    fields: tuple[FormField, ...] = ()
    # TRANSFER: the accounts money may go to (same owner and platform, the broker's rule).
    destinations: tuple[AccountRef, ...] = ()
    # Figures to show before sending (exchange rate, payable amount rule, ...).
    facts: tuple[Fact, ...] = ()
    # The amount converted as it is typed (the payable amount in a pay currency).
    conversions: tuple[Conversion, ...] = ()


@dataclass(frozen=True, slots=True)
class AccountOpeningForm:
    """What opening an account asks (``Capabilities.account_actions`` has OPEN): one
    form per kind the broker offers (e.g. LWork "Demo account" / "Real account",
    Upvest "Trading account" / "Portfolio account")."""

    kind: str
    title: str
    fields: tuple[FormField, ...]
    notes: str = ""


@dataclass(frozen=True, slots=True)
class AccountOpening:
    connection: str
    kind: str
    values: dict[str, str]
    # The idempotency key where the broker takes one (journalled before sending).
    client_ref: str = field(default_factory=new_client_ref)


@dataclass(frozen=True, slots=True)
class AccountOpeningResult:
    status: OrderStatus
    account: AccountRef | None = None
    message: str = ""


class WebhookAction(StrEnum):
    """What the trader can do to a broker's webhook subscription (``Capabilities.webhooks``)."""

    TEST = "test"
    ENABLE = "enable"
    DISABLE = "disable"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class Webhook:
    """A subscription at the broker that pushes events to a URL (Upvest's webhooks)."""

    webhook_id: str
    title: str
    url: str
    events: tuple[str, ...]
    enabled: bool
    # The one this connection registered for its own receiver.
    ours: bool = False


@dataclass(frozen=True, slots=True)
class WebhookOverview:
    """The broker's webhooks and this app's receiver, for the connection's settings."""

    webhooks: tuple[Webhook, ...]
    receiver_url: str = ""  # where this app listens ("" when it does not)
    deliveries: int = 0  # signed deliveries received since the connection came up
    note: str = ""  # how events reach the app (or why they cannot), in plain words


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """Something that happened on an account: an executed order, a fill, a closed trade,
    a cancelled or rejected order (``kind`` says which, in the broker's terms)."""

    account: AccountRef
    entry_id: str
    at: datetime
    kind: str
    symbol: str
    name: str = ""
    side: Side | None = None
    size: Decimal | None = None
    level: Decimal | None = None
    profit_loss: Decimal | None = None
    currency: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class CashflowEntry:
    account: AccountRef
    at: datetime
    amount: Decimal
    currency: str
    kind: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class MarketNode:
    node_id: str
    name: str


@dataclass(frozen=True, slots=True)
class Watchlist:
    watchlist_id: str
    name: str


@dataclass(frozen=True, slots=True)
class LeverageSetting:
    current: int
    available: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class AccountPreferences:
    hedging_mode: bool
    leverages: dict[str, LeverageSetting] = field(default_factory=dict)
