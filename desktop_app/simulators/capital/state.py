"""Everything the Capital.com simulator remembers, and the knobs tests turn.

One demo client (one API key, login and password) with two demo accounts on the shared
market. Credentials, account ids and deal ids are deterministic per seed.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import string
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from desktop_app.simulators.capital.encryption import PasswordKey
from desktop_app.simulators.faults import SimulatorKnobs, SlidingWindow
from desktop_app.simulators.instruments import InstrumentSpec
from desktop_app.simulators.market import Market
from desktop_app.simulators.streams import StreamKnobs

API_ROOT = "/api/v1"
_ALNUM = string.ascii_letters + string.digits


@dataclass(slots=True)
class RateLimits:
    """Capital.com's documented limits ([PM] FAQ and changelog), adjustable for tests."""

    per_session_per_second: int = 10  # "10 requests per second per user"
    session_create_per_second: int = 1  # POST /session, per API key
    trading_per_hour: int = 1000  # POST /positions + POST /workingorders, demo


@dataclass(slots=True)
class StreamTiming:
    """The streaming API's limits ([PM]) and how often the simulator looks at prices."""

    ping_timeout: float = 600.0  # "ping at least once every 10 minutes"; a time knob
    max_epics: int = 40  # "a maximum of 40 instruments"
    quote_seconds: float = 0.25
    ohlc_seconds: float = 1.0
    tick_seconds: float = 0.05


@dataclass(slots=True)
class TopUpRules:
    """POST /accounts/topUp. UNCONFIRMED: the docs give only the body {"amount"}.

    Chosen rules: a positive amount of at most ``max_amount`` (the ±40,000 clamp that the
    third-party capitalcom-python applies), optionally a ceiling on the resulting balance.
    """

    max_amount: Decimal = Decimal(40_000)
    allow_negative: bool = False
    max_resulting_balance: Decimal | None = None


@dataclass(slots=True)
class Session:
    """One login. The active account is session state: after ``PUT /session`` the login's
    own CST and X-SECURITY-TOKEN act on the new account (as Capital.com's samples use
    them), and the session's streams are dropped ([PM] FAQ)."""

    cst: str
    active_account: str
    last_used: float
    security_token: str = field(default_factory=lambda: _token(40))

    @property
    def account_tokens(self) -> dict[str, str]:
        """X-SECURITY-TOKEN -> the account it acts on now."""
        return {self.security_token: self.active_account}


def _token(length: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


@dataclass(frozen=True, slots=True)
class Watchlist:
    watchlist_id: str
    name: str
    epics: list[str]
    editable: bool = True
    default_system: bool = False


class CapitalState(SimulatorKnobs):
    too_many_requests_code = "error.too-many.requests"

    def __init__(
        self,
        seed: int,
        *,
        session_idle_timeout: float = 600.0,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        origin: float | None = None,
    ) -> None:
        """``origin``: the instant the market started (prices are anchored there); a
        restored Sandbox passes the saved one (see ``persistence``)."""
        super().__init__(API_ROOT)
        self.seed = seed
        self.clock = clock
        self.monotonic = monotonic
        rng = random.Random(f"capital-{seed}")
        self._rng = rng
        self._lock = threading.RLock()
        self.api_key = "".join(rng.choice(_ALNUM) for _ in range(16))
        self.identifier = f"demo.trader{rng.randrange(1000, 10000)}@example.com"
        self.password = "Sandbox-" + "".join(rng.choice(_ALNUM) for _ in range(8)) + "!"
        self.client_id = str(rng.randrange(10_000_000, 100_000_000))
        deal_prefix = f"{rng.getrandbits(32):08x}"
        self._deal_counter = 0x80560000

        def deal_id() -> str:
            self._deal_counter += 1
            return f"{deal_prefix}-0001-54c4-0000-{self._deal_counter:012x}"

        self.market = Market(seed, id_factory=deal_id, clock=clock, started_at=origin)
        # The exchanges' calendar: move it with session_clock.move_to() (see ``clock``).
        self.session_clock = self.market.session_clock
        usd_id = str(rng.randrange(10**16, 10**17))
        eur_id = str(rng.randrange(10**16, 10**17))
        self.market.add_account(usd_id, "USD", "USD", Decimal("10000.00"), preferred=True)
        self.market.add_account(eur_id, "EUR", "EUR", Decimal("10000.00"))
        self.preferred_account = usd_id

        self.session_idle_timeout = session_idle_timeout
        self.sessions: dict[str, Session] = {}
        self.confirms: dict[str, dict[str, Any]] = {}
        self.password_key = PasswordKey()
        # UNCONFIRMED: how old an encryption-key timestamp may be when the login arrives.
        self.encryption_key_max_age = 300.0
        self.timezone_offset_hours = 3  # as in the [PM] examples (local time = UTC+3)
        self.trailing_stops_enabled = False
        self.limits = RateLimits()
        self.topup = TopUpRules()
        # Farthest stop loss / take profit, in percent of the price, for every epic (None:
        # each instrument's own). [PM]'s SILVER refusals (stop at least 17.146, take profit
        # at most 31.817 around 24.5) imply 30; NATURALGAS's dealingRules say 30, SILVER's
        # 60. UNCONFIRMED which holds where; dealingRules show what is enforced.
        self.max_stop_percent: Decimal | None = Decimal(30)
        self.demo = True
        self.watchlists: dict[str, Watchlist] = {
            "1000001": Watchlist("1000001", "Popular", ["EURUSD", "GOLD", "US500", "BTCUSD",
                                                        "AAPL", "OIL_CRUDE"],
                                 editable=False, default_system=True),
            "1000002": Watchlist("1000002", "My watchlist", ["GBPUSD", "SILVER", "DE40", "TSLA"]),
        }
        self._next_watchlist = 1000003
        self._windows: dict[str, SlidingWindow] = {}
        # Streaming (/connect): knobs, and which live streams use which login.
        self.streams = StreamKnobs()
        self.stream_timing = StreamTiming()
        self._switch_watchers: dict[str, dict[int, tuple[asyncio.AbstractEventLoop,
                                                         Callable[[], None]]]] = {}

    # ----------------------------------------------------------------- test knobs
    @property
    def credentials(self) -> dict[str, str]:
        return {"api_key": self.api_key, "identifier": self.identifier, "password": self.password}

    def expire_all_sessions(self) -> None:
        with self._lock:
            self.sessions.clear()

    def account_ids(self) -> list[str]:
        return [a.account_id for a in self.market.accounts()]

    # ----------------------------------------------------------------- saved state
    def export_state(self) -> dict[str, Any]:
        from desktop_app.simulators.capital.persistence import export_state

        return export_state(self)

    def import_state(self, data: dict[str, Any]) -> None:
        from desktop_app.simulators.capital.persistence import import_state

        import_state(self, data)

    # ----------------------------------------------------------------- sessions
    def open_session(self) -> Session:
        with self._lock:
            session = Session(_token(24), self.preferred_account, self.monotonic())
            self.sessions[session.cst] = session
            return session

    def find_session(self, cst: str | None) -> Session | None:
        """The live session for ``cst``; an idle one expires here (10 minutes after last use)."""
        if not cst:
            return None
        with self._lock:
            session = self.sessions.get(cst)
            if session is None:
                return None
            if self.monotonic() - session.last_used > self.session_idle_timeout:
                del self.sessions[cst]
                return None
            return session

    # ----------------------------------------------------------------- streams
    def watch_switch(self, cst: str, stream: Any) -> None:
        """``stream`` (on the running loop) is dropped when this login switches account."""
        with self._lock:
            self._switch_watchers.setdefault(cst, {})[id(stream)] = (
                asyncio.get_running_loop(), stream.on_account_switch)

    def unwatch_switch(self, cst: str, stream: Any) -> None:
        with self._lock:
            self._switch_watchers.get(cst, {}).pop(id(stream), None)

    def account_switched(self, cst: str) -> None:
        with self._lock:
            watchers = list(self._switch_watchers.pop(cst, {}).values())
        for loop, callback in watchers:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(callback)

    def close_session(self, cst: str) -> None:
        with self._lock:
            self.sessions.pop(cst, None)

    def stop_limit_percent(self, spec: InstrumentSpec) -> tuple[Decimal, Decimal]:
        """(nearest, farthest) stop or limit distance in percent, as dealingRules say."""
        far = self.max_stop_percent if self.max_stop_percent is not None else (
            spec.max_stop_percent)
        return spec.min_stop_percent, far

    # ----------------------------------------------------------------- rate limits
    def allow(self, budget: str, key: str) -> bool:
        limits = {
            "session": (self.limits.per_session_per_second, 1.0),
            "login": (self.limits.session_create_per_second, 1.0),
            "trading": (self.limits.trading_per_hour, 3600.0),
        }
        limit, seconds = limits[budget]
        with self._lock:
            window = self._windows.get(budget)
            if window is None or window.limit != limit:
                window = self._windows[budget] = SlidingWindow(limit, seconds, self.monotonic)
        return window.allow(key)

    # ----------------------------------------------------------------- references
    def deal_reference(self, prefix: str = "o_") -> str:
        with self._lock:
            hex32 = f"{self._rng.getrandbits(128):032x}"
        return f"{prefix}{hex32[:8]}-{hex32[8:12]}-4{hex32[13:16]}-{hex32[16:20]}-{hex32[20:]}"

    def new_watchlist_id(self) -> str:
        with self._lock:
            self._next_watchlist += 1
            return str(self._next_watchlist - 1)
