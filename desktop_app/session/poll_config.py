"""What the poller is asked to do: its intervals and budget share (``PollConfig``), what
is on screen (``Focus``), and in which order a click's refreshes run. The rules that use
them are in ``session.poller``'s module doc."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from desktop_app.domain.types import AccountRef
from desktop_app.session.events import Topic

ACCOUNT_TOPICS = (Topic.POSITIONS, Topic.WORKING_ORDERS)


def _visible_defaults() -> dict[Topic, float]:
    return {Topic.QUOTES: 0.5, Topic.POSITIONS: 1.0, Topic.WORKING_ORDERS: 1.0,
            Topic.BALANCES: 2.0}


def _background_defaults() -> dict[Topic, float | None]:
    return {Topic.BALANCES: 10.0, Topic.POSITIONS: 15.0, Topic.WORKING_ORDERS: 15.0,
            Topic.QUOTES: None}


AFTER_CLICK_ORDER = {
    Topic.POSITIONS: 0,
    Topic.WORKING_ORDERS: 1,
    Topic.QUOTES: 2,
    Topic.BALANCES: 3,
}


@dataclass(frozen=True)
class PollConfig:
    visible: Mapping[Topic, float] = field(default_factory=_visible_defaults)
    # None: not polled in the background at all.
    background: Mapping[Topic, float | None] = field(default_factory=_background_defaults)
    budget_share: float = 0.65
    max_in_flight: int = 3  # per connection
    backoff_initial: float = 1.0
    backoff_max: float = 60.0
    # For a service without a ``limiter``: requests per second the poller allows itself.
    fallback_rate: int = 4
    # Idle wake-up while jobs are due but the budget is spent (seconds).
    budget_recheck: float = 0.05
    # A connection listing more accounts is an operator's desk (Upvest: every account of
    # every user): see the module doc.
    desk_accounts: int = 50


@dataclass(frozen=True)
class Focus:
    account: AccountRef | None = None
    topics: frozenset[Topic] = frozenset()
    quote_symbols: tuple[str, ...] = ()


