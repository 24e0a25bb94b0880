"""Broker-neutral types, money, errors and the BrokerService contract (pure Python)."""

from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.errors import (
    AuthError,
    BrokerError,
    DuplicateOrder,
    NotFound,
    NotSupported,
    OutcomeUnknown,
    PermissionDenied,
    ProtocolError,
    RateLimited,
    Rejected,
    Unavailable,
    ValidationError,
)
from desktop_app.domain.money import to_decimal, utc_now
from desktop_app.domain.service import BrokerService
from desktop_app.domain.types import (
    Account,
    AccountPreferences,
    AccountRef,
    AccountStatus,
    Balance,
    CashflowEntry,
    Environment,
    FundingKind,
    FundingRequest,
    FundingResult,
    FundingRules,
    Instrument,
    InstrumentKind,
    LeverageSetting,
    MarketNode,
    OrderRequest,
    OrderResult,
    OrderStatus,
    OrderType,
    Position,
    Quote,
    Side,
    Watchlist,
    WorkingOrder,
)

__all__ = [
    "Account", "AccountPreferences", "AccountRef", "AccountStatus", "AuthError", "Balance",
    "BrokerError", "BrokerService", "Capabilities", "CashflowEntry", "DuplicateOrder",
    "Environment", "FundingKind", "FundingRequest", "FundingResult", "FundingRules", "Instrument",
    "InstrumentKind", "LeverageSetting", "MarketNode", "NotFound", "NotSupported",
    "OrderRequest", "OrderResult", "OrderStatus", "OrderType", "OutcomeUnknown",
    "PermissionDenied", "Position", "ProtocolError", "Quote", "RateLimited", "Rejected",
    "Side", "Unavailable", "ValidationError", "Watchlist", "WorkingOrder", "to_decimal",
    "utc_now",
]
