"""What a broker can do; the UI greys out the rest and says why."""

from __future__ import annotations

from dataclasses import dataclass, field

from desktop_app.domain.types import AccountAction, FundingKind, InstrumentScreen, OrderType


@dataclass(frozen=True, slots=True)
class Capabilities:
    order_types: frozenset[OrderType] = frozenset({OrderType.MARKET})
    stops_and_limits: bool = False
    close_positions: bool = False
    working_orders: bool = False
    funding: frozenset[FundingKind] = frozenset()
    account_creation: bool = False
    # Account lifecycle: open / rename / close (Upvest, LWork). ``account_creation`` is
    # the same as OPEN in this set.
    account_actions: frozenset[AccountAction] = frozenset()
    # Trading through this API at all (LWork reads MT4/MT5 accounts but trades in the
    # terminal): False greys the ticket out with ``why_not("trading")``.
    trading: bool = True
    # Positions and working orders of accounts other than the focused one are polled in
    # the background; False: the focused account's only (LWork: no published limits,
    # every account costs requests of its own).
    poll_all_accounts: bool = True
    # One login reaches demo and live accounts alike (LWork): each account's own
    # environment decides; a profile's label is not expected to match every account.
    mixed_environments: bool = False
    # The account holder's name can be changed (``rename_owner``; LWork 3.12).
    owner_rename: bool = False
    instrument_search: bool = False
    market_navigation: bool = False
    watchlists: bool = False
    quotes: bool = False
    # Prices pushed over a stream (``quote_stream()``): the session streams what is on
    # screen and polls ``quote()`` only while the stream is down.
    streaming_quotes: bool = False
    account_switching: bool = False
    preferences: bool = False
    modify_orders: bool = False
    close_all: bool = False
    # instrument_details(): scores and facts of one instrument (fetched sparingly).
    instrument_details: bool = False
    quote_history: bool = False
    # history(): executed orders, fills, closed trades (read when the trader asks).
    history: bool = False
    instrument_screens: tuple[InstrumentScreen, ...] = ()
    # webhooks() / webhook_action(): the broker pushes changes to a URL the app serves.
    webhooks: bool = False
    # Why a capability is missing, shown as a tooltip on the greyed-out control.
    reasons: dict[str, str] = field(default_factory=dict)

    def why_not(self, name: str) -> str:
        return self.reasons.get(name, f"Not offered by this broker ({name}).")
