"""Everything the Tradovate simulator remembers, and the knobs tests turn.

One demo user with two demo accounts on the shared market. Credentials, ids and
prices are deterministic per seed. Every knob is a plain attribute or method and is
safe to use from the test thread (one lock around request handling and the knobs).
"""

from __future__ import annotations

import random
import secrets
import string
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from desktop_app.domain.types import InstrumentKind
from desktop_app.simulators.accounts import Leverage
from desktop_app.simulators.faults import SimulatorKnobs
from desktop_app.simulators.market import Market
from desktop_app.simulators.streams import StreamKnobs
from desktop_app.simulators.tradovate.catalog import Catalog
from desktop_app.simulators.tradovate.limits import Forced, Limiter, RateLimits
from desktop_app.simulators.tradovate.md_stream import MdStreamTiming
from desktop_app.simulators.tradovate.trading import Book, Failure, Ids

API_ROOT = "/v1"
Environment = Literal["demo", "live", "replay"]
_ALNUM = string.ascii_letters + string.digits

# Leverage that gives day-trading margins near Tradovate's (ES ~$520, MES ~$52, CL ~$520).
FUTURES_LEVERAGE: dict[InstrumentKind, Leverage] = {
    InstrumentKind.INDEX: Leverage(500, (500,)),
    InstrumentKind.COMMODITY: Leverage(150, (150,)),
    InstrumentKind.CURRENCY: Leverage(250, (250,)),
    InstrumentKind.OTHER: Leverage(200, (200,)),
}


@dataclass(slots=True)
class TvAccount:
    account_id: int
    name: str  # also the accountSpec
    created_at: datetime
    active: bool = True


@dataclass(slots=True)
class Session:
    session_id: int
    device_id: str
    app_id: str
    opened_at: float


@dataclass(slots=True)
class Token:
    value: str
    session: Session
    expires_at: float
    market_data: bool = False  # an mdAccessToken: good for market data only
    md_value: str = ""  # the mdAccessToken issued with this access token


@dataclass(frozen=True, slots=True)
class BalanceChange:
    """One accepted ``changedemobalance``: what was sent and what it did."""

    account: int
    amount: Decimal  # cashChange as sent
    comment: str
    at: datetime
    mode: str  # "change" or "replace"
    delta: Decimal  # what was added to the cash
    balance: Decimal  # the cash afterwards


class TradovateState(SimulatorKnobs):
    """State and test knobs; paths in knobs are relative to /v1 (or full) in any case."""

    def __init__(self, seed: int, *, session_idle_timeout: float = 600.0,
                 origin: float | None = None) -> None:
        """``origin``: the instant the simulator first started (the listed contracts and
        the prices are anchored there); a restored Sandbox passes the saved one."""
        super().__init__(API_ROOT)
        self.seed = seed
        self.lock = threading.RLock()
        self._offset = 0.0
        rng = random.Random(f"tradovate-{seed}")
        self.username = "demo_trader"
        self.password = "Sandbox-" + "".join(rng.choice(_ALNUM) for _ in range(10))
        self.app_id = "Trading Dashboard"
        self.app_version = "1.0"
        self.cid = "8"
        self.sec = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        self.user_id = rng.randrange(1_000_000, 4_000_000)
        # Tradovate has no idle expiry; kept for the shared factory signature.
        self.session_idle_timeout = session_idle_timeout

        origin = self.clock() if origin is None else origin
        self.catalog = Catalog(seed, datetime.fromtimestamp(origin, UTC).date())
        self.market = Market(seed, instruments=self.catalog.instrument_specs(), clock=self.clock,
                             started_at=origin)
        # CME's calendar: move it with session_clock.move_to() (see ``simulators.clock``).
        self.session_clock = self.market.session_clock
        self.accounts: dict[int, TvAccount] = {}
        first_id = rng.randrange(700_000, 900_000)
        for offset, balance in ((0, Decimal("25000.00")), (rng.randrange(3, 40),
                                                           Decimal("50000.00"))):
            account_id, name = first_id + offset, f"DEMO{rng.randrange(100_000, 999_999)}"
            opened = self.market.add_account(
                str(account_id), name, "USD", balance,
                leverages={k: Leverage(v.current, v.available)
                           for k, v in FUTURES_LEVERAGE.items()},
            )
            self.accounts[account_id] = TvAccount(account_id, name, opened.ledger[0].at)
        self.book = Book(self.market, Ids({
            "order": rng.randrange(200_000_000, 300_000_000),
            "orderVersion": rng.randrange(200_000_000, 300_000_000),
            "fill": rng.randrange(200_000_000, 300_000_000),
            "executionReport": rng.randrange(400_000_000, 500_000_000),
            "command": rng.randrange(400_000_000, 500_000_000),
            "position": rng.randrange(50_000_000, 60_000_000),
        }), self.now)

        # Knobs and records (see the package docstring).
        # REAL TRADOVATE HAS NO REST QUOTES: prices come only over the market-data
        # WebSocket (md_stream). GET /md/getquote is this simulator's own, served only
        # while a test turns ``rest_quotes`` on (off by default, as real Tradovate).
        self.rest_quotes = False
        # TV-SPEC: LiquidatePosition requires ``admin``; False accepts a body without it.
        self.liquidate_requires_admin = True
        self.streams = StreamKnobs()
        self.md_stream = MdStreamTiming()
        self.environment: Environment = "demo"
        self.token_lifetime = 90 * 60.0
        self.demo_balance_mode: Literal["change", "replace"] = "change"
        self.balance_change_cooldown = 3600.0
        self.max_demo_balance = Decimal(50_000)
        self.balance_changes: list[BalanceChange] = []
        self.orders_placed: list[dict[str, Any]] = []
        self.limiter = Limiter(RateLimits(), self.clock)
        self.stats: dict[str, Any] = {
            "requests": Counter(), "423": Counter(), "429": Counter(), "penalties": Counter(),
            "logins": 0, "failed_logins": 0, "renewals": 0,
        }
        self.tokens: dict[str, Token] = {}
        self._next_session = rng.randrange(100_000_000, 200_000_000)
        self._last_balance_change: dict[int, float] = {}
        self._order_rejections: list[Failure] = []

    # ----------------------------------------------------------------- time
    def clock(self) -> float:
        """The simulator's now (epoch seconds): wall time plus ``advance_clock`` moves."""
        return time.time() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def advance_clock(self, seconds: float) -> None:
        """Move the simulator's now forward (token expiry, cooldowns, rate windows, prices)."""
        with self.lock:
            self._offset += seconds

    # ----------------------------------------------------------------- knobs
    @property
    def credentials(self) -> dict[str, str]:
        return {"name": self.username, "password": self.password, "app_id": self.app_id,
                "app_version": self.app_version, "cid": self.cid, "sec": self.sec}

    @property
    def limits(self) -> RateLimits:
        return self.limiter.limits

    @limits.setter
    def limits(self, value: RateLimits) -> None:
        with self.lock:
            self.limiter.limits = value

    @property
    def lockout_seconds(self) -> float:
        return self.limiter.lockout_seconds

    @lockout_seconds.setter
    def lockout_seconds(self, value: float) -> None:
        self.limiter.lockout_seconds = value

    def relative(self, path: str) -> str:
        path = path.lower()
        if path.startswith(API_ROOT):
            path = path[len(API_ROOT):]
        return path or "/"

    def penalty_next(self, path: str, p_time: float = 1.0, captcha: bool = False,
                     count: int = 1) -> None:
        """The next ``count`` requests to ``path`` get a penalty ticket and have no effect."""
        with self.lock:
            self.limiter.forced_penalties.append(
                Forced(self.relative(path), count, p_time, captcha))

    def force_423(self, count: int = 1, path: str = "") -> None:
        with self.lock:
            self.limiter.forced_423.append(Forced(self.relative(path), count))

    def force_429(self, count: int = 1, path: str = "") -> None:
        """The next matching request gets 429 and starts a lock-out of ``lockout_seconds``."""
        with self.lock:
            self.limiter.forced_429.append(Forced(self.relative(path), count))

    def drop_reply_next(self, path: str) -> None:
        super().drop_reply_next(path)

    def expire_all_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def reject_next_order(self, reason: str = "UnknownReason", text: str = "Rejected") -> None:
        """The next placeorder answers ``{"failureReason": reason, "failureText": text}``."""
        with self.lock:
            self._order_rejections.append(Failure(reason, text))

    def take_order_rejection(self) -> Failure | None:
        return self._order_rejections.pop(0) if self._order_rejections else None

    def close_account(self, account_id: int) -> None:
        """Mark a demo account closed/inactive (it stays in /account/list with active false)."""
        with self.lock:
            self.accounts[account_id].active = False

    def clear_faults(self) -> None:
        super().clear_faults()
        with self.lock:
            self.limiter.reset()
            self._order_rejections.clear()

    def account_ids(self) -> list[int]:
        return list(self.accounts)

    def count(self, route: str, status: int) -> None:
        with self._knob_lock:
            self.stats["requests"][route] += 1
            if status in (423, 429):
                self.stats[str(status)][route] += 1

    def bump(self, key: str, route: str | None = None) -> None:
        with self._knob_lock:
            if route is None:
                self.stats[key] += 1
            else:
                self.stats[key][route] += 1

    # ----------------------------------------------------------------- saved state
    def export_state(self) -> dict[str, Any]:
        from desktop_app.simulators.tradovate.persistence import export_state

        return export_state(self)

    def import_state(self, data: dict[str, Any]) -> None:
        from desktop_app.simulators.tradovate.persistence import import_state

        import_state(self, data)

    # ----------------------------------------------------------------- sessions
    def open_session(self, device_id: str, app_id: str) -> Token:
        self._next_session += 1
        session = Session(self._next_session, device_id, app_id, self.clock())
        return self.issue_token(session)

    def issue_token(self, session: Session) -> Token:
        expires = self.clock() + self.token_lifetime
        md = Token(secrets.token_urlsafe(96), session, expires, market_data=True)
        token = Token(secrets.token_urlsafe(96), session, expires, md_value=md.value)
        self.tokens[token.value] = token
        self.tokens[md.value] = md
        return token

    def find_token(self, value: str | None, *, market_data_ok: bool = False) -> Token | None:
        if not value:
            return None
        token = self.tokens.get(value)
        if token is None:
            return None
        if token.expires_at <= self.clock():
            del self.tokens[value]
            return None
        if token.market_data and not market_data_ok:
            return None
        return token

    # ----------------------------------------------------------------- balance changes
    def last_balance_change(self, account_id: int) -> float | None:
        return self._last_balance_change.get(account_id)

    def record_balance_change(self, change: BalanceChange) -> None:
        self.balance_changes.append(change)
        self._last_balance_change[change.account] = change.at.timestamp()
