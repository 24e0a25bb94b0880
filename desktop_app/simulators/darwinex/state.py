"""Everything the Darwinex simulator remembers, and the knobs tests turn.

One user with a DEMO application and a LIVE application (separate consumer keys and
tokens), one DEMO investor account (EUR, 50,000) and one LIVE account (USD, 10,000);
``add_account`` adds more. Credentials and ids are deterministic per seed.
"""

from __future__ import annotations

import random
import string
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from desktop_app.domain.exact_json import dumps
from desktop_app.simulators.clock import SimClock
from desktop_app.simulators.darwinex import errors
from desktop_app.simulators.darwinex.book import Book, ExecutedOrder, InvestorAccount
from desktop_app.simulators.darwinex.products import Catalogue
from desktop_app.simulators.darwinex.throttle import Throttle, Window
from desktop_app.simulators.darwinex.tokens import OAuthClient, TokenStore
from desktop_app.simulators.faults import SimulatorKnobs
from desktop_app.simulators.streams import StreamKnobs

DEMO, LIVE = "DEMO", "LIVE"
DEMO_EQUITY = Decimal("50000.00")
_ALNUM = string.ascii_letters + string.digits


@dataclass(slots=True)
class ThrottleLimits:
    """Darwinex staff's figures (community thread 7657) and the seed's ~10/min on scores."""

    per_user_per_minute: int = 50  # across all APIs, per user (here: per environment)
    per_api_per_second: int = 5  # per API, across all users
    account_info_per_minute: int = 20  # Investor Account Info, per investor account
    scores_per_minute: int = 10  # /dxscore, /scores, /history/*, per user


@dataclass(slots=True)
class QuoteStreamTiming:
    """The quote stream and WebSocket (see ``quote_stream``)."""

    heartbeat_seconds: float = 10.0  # UNCONFIRMED
    quote_seconds: float = 1.0
    stream_max_seconds: float = 3600.0  # "the stream closes after about 1 hour"
    tick_seconds: float = 0.1


class DarwinexState(SimulatorKnobs):
    """Test knobs (all plain attributes or thread-safe methods):

    ``token_lifetime``, ``expire_all_tokens()``, ``revoke_refresh_tokens()``,
    ``revoke_old_access_token``; ``limits`` (ThrottleLimits), ``time_scale``,
    ``send_retry_after``; ``new_account_access_delay``, ``reset_demo_account()``,
    ``add_account()``; ``min_amount``, ``set_market_open()``, ``set_product_flags()``,
    ``set_quote()``, ``quote()``, ``sync()``; ``fail_next()``, ``force_429()``,
    ``drop_reply_next()``, ``delay_seconds``; ``stats`` and ``orders`` to assert on.
    """

    def __init__(
        self,
        seed: int,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        origin: float | None = None,
    ) -> None:
        """``origin``: the instant the simulator first started (the DARWINs' histories are
        anchored there); a restored Sandbox passes the saved one."""
        super().__init__("")
        self.seed = seed
        self.clock = clock
        self.monotonic = monotonic
        self.lock = threading.RLock()
        self.stats: Counter[str] = Counter()  # "METHOD /template" -> requests; "throttled"
        self.orders: list[ExecutedOrder] = []  # every executed buy/sell, all accounts
        rng = random.Random(f"darwinex-{seed}")
        self._rng = rng
        self._removed: set[int] = set()  # ids of reset demo accounts, never given again

        # ---- knobs
        self.token_lifetime = 3600.0
        self.new_account_access_delay = 60.0  # staff: "a maximum of 1 minute"
        self.time_scale = 1.0
        self.send_retry_after = False  # UNCONFIRMED whether 429s carry Retry-After
        self.limits = ThrottleLimits()
        self.streams = StreamKnobs()  # the quote stream and WebSocket: drop / refuse
        self.quote_stream = QuoteStreamTiming()

        # The DARWIN exchange's calendar: move it with session_clock.move_to().
        self.session_clock = SimClock(clock)
        self.origin = clock() if origin is None else origin
        self.catalogue = Catalogue(seed, self.origin)
        self.book = Book(self.catalogue, clock, rng.randrange(40_000_000, 50_000_000),
                         self.orders.append, self.session_clock)
        self.tokens = TokenStore(monotonic, clock, lambda: self.token_lifetime)
        self.throttle = Throttle(monotonic)

        username = f"investor{rng.randrange(10_000, 100_000)}"
        self._logins: dict[str, dict[str, str]] = {}
        for env in (DEMO, LIVE):
            client = OAuthClient(env, _word(rng, 28), _word(rng, 28), username)
            self.tokens.add_client(client)
            access, refresh = f"{rng.getrandbits(128):032x}", f"{rng.getrandbits(128):032x}"
            self.tokens.issue(client, access, refresh)
            self._logins[env] = {
                "consumer_key": client.consumer_key,
                "consumer_secret": client.consumer_secret,
                "access_token": access,
                "refresh_token": refresh,
            }
        self.add_account(DEMO, "EUR", DEMO_EQUITY, name="DEMO", leverage=Decimal("3.0"))
        self.add_account(LIVE, "USD", Decimal("10000.00"), name="LIVE", leverage=Decimal("1.0"))

    # ----------------------------------------------------------------- credentials
    @property
    def credentials(self) -> dict[str, str]:
        """The DEMO login: consumer key/secret and the first access and refresh tokens."""
        return dict(self._logins[DEMO])

    @property
    def live_credentials(self) -> dict[str, str]:
        return dict(self._logins[LIVE])

    # ----------------------------------------------------------------- saved state
    def export_state(self) -> dict[str, Any]:
        from desktop_app.simulators.darwinex.persistence import export_state

        return export_state(self)

    def import_state(self, data: dict[str, Any]) -> None:
        """After this, ``credentials`` holds the newest token pair (the printed one may
        have been rotated by a client before the restart)."""
        from desktop_app.simulators.darwinex.persistence import import_state

        import_state(self, data)

    # ----------------------------------------------------------------- rules as knobs
    @property
    def min_amount(self) -> Decimal:
        return self.book.rules.min_amount

    @min_amount.setter
    def min_amount(self, value: Decimal | int | str) -> None:
        self.book.rules.min_amount = Decimal(str(value))

    @property
    def min_amount_on_sells(self) -> bool:
        return self.book.rules.min_amount_on_sells

    @min_amount_on_sells.setter
    def min_amount_on_sells(self, value: bool) -> None:
        self.book.rules.min_amount_on_sells = value

    @property
    def market_open(self) -> bool:
        return self.book.market_is_open()

    def set_market_open(self, is_open: bool | None) -> None:
        """Open or close the DARWIN market by hand; None follows its trading hours."""
        with self.lock:
            self.book.rules.market_open = is_open
            self.book.match()

    def set_product_flags(
        self,
        name: str,
        *,
        buy: bool | None = None,
        sell: bool | None = None,
        conditional_buy: bool | None = None,
        conditional_sell: bool | None = None,
    ) -> None:
        with self.lock:
            product = self.catalogue.products[name]
            if buy is not None:
                product.buy_allowed = buy
            if sell is not None:
                product.sell_allowed = sell
            if conditional_buy is not None:
                product.conditional_buy_allowed = conditional_buy
            if conditional_sell is not None:
                product.conditional_sell_allowed = conditional_sell

    def quote(self, name: str) -> Decimal:
        with self.lock:
            return self.catalogue.products[name].quote(self.clock())

    def set_quote(self, name: str, value: Decimal | float | str | None) -> None:
        """Hold ``name`` at ``value`` (conditional orders it crosses execute at once);
        None lets it walk on from where it was held."""
        with self.lock:
            product = self.catalogue.products[name]
            now = self.clock()
            if value is None:
                if product.pin is not None:
                    product.path.shock_to(now, float(product.pin))
                product.pin = None
            else:
                pinned = Decimal(str(value)).quantize(Decimal("0.01"))
                if pinned <= 0:
                    raise ValueError("a quote must be positive")
                product.path.shock_to(now, float(pinned))
                product.pin = pinned
            self.book.match()

    # ----------------------------------------------------------------- tokens
    def expire_all_tokens(self) -> None:
        """Every access token stops working now (refresh tokens still work)."""
        self.tokens.expire_all_access()

    def revoke_refresh_tokens(self) -> None:
        """Every refresh token becomes invalid (the user must generate a new token)."""
        self.tokens.revoke_all_refresh()

    @property
    def revoke_old_access_token(self) -> bool:
        return self.tokens.revoke_old_access_token

    @revoke_old_access_token.setter
    def revoke_old_access_token(self, value: bool) -> None:
        self.tokens.revoke_old_access_token = value

    # ----------------------------------------------------------------- accounts
    def add_account(
        self,
        env: str,
        currency: str,
        equity: Decimal | int | str,
        *,
        name: str | None = None,
        leverage: Decimal | int | str = Decimal("3.0"),
        needs_grant: bool = False,
    ) -> int:
        with self.lock:
            account_id = self._new_account_id()
            self.book.accounts[account_id] = InvestorAccount(
                account_id=account_id,
                env=env,
                name=name or env,
                currency=currency,
                cash=Decimal(str(equity)).quantize(Decimal("0.01")),
                leverage=Decimal(str(leverage)).quantize(Decimal("0.1")),
                created_at=self.monotonic(),
                needs_grant=needs_grant,
            )
            return account_id

    def _new_account_id(self) -> int:
        while True:
            candidate = self._rng.randrange(1_000_000, 10_000_000)
            if candidate not in self.book.accounts and candidate not in self._removed:
                return candidate

    def accounts(self, env: str) -> list[InvestorAccount]:
        return [a for a in self.book.accounts.values() if a.env == env]

    def account_ids(self, env: str = DEMO) -> list[int]:
        with self.lock:
            return [a.account_id for a in self.accounts(env)]

    def reset_demo_account(self, account_id: int | None = None) -> int:
        """The seed's story: the demo account is replaced by a NEW one with a new id.

        Listing shows the new account at once; tokens reach it only
        ``new_account_access_delay`` seconds later (read when a request arrives).
        """
        with self.lock:
            demo = self.accounts(DEMO)
            old = next((a for a in demo if account_id in (None, a.account_id)), None)
            if old is None:
                raise KeyError(f"no demo investor account {account_id}")
            del self.book.accounts[old.account_id]
            self._removed.add(old.account_id)
            return self.add_account(DEMO, old.currency, DEMO_EQUITY, name=old.name,
                                    leverage=Decimal("3.0"), needs_grant=True)

    def accessible(self, env: str, account_id: int) -> InvestorAccount:
        """The account if a token of ``env`` may use it now, else the 403 of the seed."""
        account = self.book.accounts.get(account_id)
        if account is None or account.env != env:
            raise errors.business(403, errors.NOT_YOUR_ACCOUNT)
        if account.needs_grant:
            if self.monotonic() - account.created_at < self.new_account_access_delay:
                raise errors.business(403, errors.NOT_YOUR_ACCOUNT)
            account.needs_grant = False
        return account

    # ----------------------------------------------------------------- throttling
    def admit(self, windows: list[Window]) -> None:
        """Raise the WSO2 throttle fault if any window is full (windows / time_scale)."""
        scale = self.time_scale if self.time_scale > 0 else 1.0
        scaled = [Window(w.key, w.limit, w.seconds / scale) for w in windows]
        wait = self.throttle.admit(scaled)
        if wait is None:
            return
        at = datetime.fromtimestamp(self.clock(), UTC) + timedelta(seconds=wait)
        stamp = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        retry_after = max(1, int(-(-wait // 1))) if self.send_retry_after else None
        raise errors.throttled(stamp, retry_after)

    # ----------------------------------------------------------------- faults and stats
    def fail_next(
        self,
        status: int,
        body: Mapping[str, Any] | str,
        path_prefix: str = "",
        count: int = 1,
    ) -> None:
        """Answer the next ``count`` requests under ``path_prefix`` with ``status`` and
        ``body`` (a str becomes ``{"status": body}``), without processing them."""
        payload = {"status": body} if isinstance(body, str) else dict(body)
        super().fail_next(status, dumps(payload, allow_float=True).decode(), path_prefix, count)

    def force_429(self, count: int = 1, path_prefix: str = "") -> None:
        at = datetime.fromtimestamp(self.clock() + 60, UTC)
        stamp = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        error = errors.throttled(stamp, None)
        self.fail_next(429, error.body, path_prefix, count)

    def count(self, route: str, status: int) -> None:
        with self._knob_lock:
            self.stats[route] += 1
            if status == 429:
                self.stats["throttled"] += 1
                self.stats[f"throttled {route}"] += 1

    def sync(self) -> None:
        """Conditional orders and thresholds whose quote has been crossed execute."""
        with self.lock:
            self.book.match()


def _word(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(_ALNUM) for _ in range(length))
