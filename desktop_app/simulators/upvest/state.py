"""Everything the Upvest simulator remembers, and the knobs tests turn.

One tenant (client id, secret, key id and its P-521 key pair), three users with a
PERSONAL account group each and their accounts, eight instruments priced by seeded
random walks (``pricepath``), orders, positions, cash, virtual cash, webhooks.

Status changes run on timers (``schedule``), advanced by every request (``sync``) and by
the delivery worker, so they happen with nobody asking: PENDING_APPROVAL -> ACTIVE after
``approval_delay``, CLOSING -> CLOSED after ``closing_delay`` once the account holds no
shares and no open order, an order NEW -> PROCESSING after ``processing_delay`` and
PROCESSING -> FILLED after ``fill_delay`` (limit and stop orders stay NEW until the price
crosses), executions FILLED -> SETTLED after ``settlement_delay``. Every delay is in
seconds divided by ``time_scale``.
"""

from __future__ import annotations

import heapq
import itertools
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from desktop_app.simulators.faults import SimulatorKnobs, SlidingWindow
from desktop_app.simulators.pricepath import PricePath, stable_key
from desktop_app.simulators.upvest import keys
from desktop_app.simulators.upvest.delivery import Deliveries, WebhookSigner, backoff_seconds
from desktop_app.simulators.upvest.model import (
    Account,
    Group,
    Instrument,
    Order,
    Position,
    User,
    VirtualCash,
    Webhook,
    cents,
    stamp,
)
from desktop_app.simulators.upvest.verify import RequestVerifier

DAILY_VOL = 0.02
# (ISIN, WKN, name, EUR price, fractional, trading status)
INSTRUMENTS = (
    ("US0378331005", "865985", "Apple Inc.", "180.00", True, "ACTIVE"),
    ("US5949181045", "870747", "Microsoft Corp.", "390.00", True, "ACTIVE"),
    ("US0231351067", "906866", "Amazon.com Inc.", "170.00", True, "ACTIVE"),
    ("US88160R1014", "A1CX3T", "Tesla Inc.", "160.00", True, "ACTIVE"),
    ("DE0007164600", "716460", "SAP SE", "175.00", True, "ACTIVE"),
    ("DE0007236101", "723610", "Siemens AG", "170.00", False, "ACTIVE"),
    ("IE00B4L5Y983", "A0RPWH", "iShares Core MSCI World UCITS ETF", "90.00", True, "ACTIVE"),
    ("DE0008404005", "840400", "Allianz SE", "250.00", True, "INACTIVE"),
)
SEED_USERS = (
    ("Karl", "Schmidt", "1972-09-30", Decimal("10000.00")),
    ("Anna", "Becker", "1985-03-14", Decimal("2500.00")),
    ("Lena", "Weber", "1990-11-02", Decimal("0.00")),
)


class Token:
    __slots__ = ("client_id", "expires_at", "scopes", "value")

    def __init__(self, value: str, client_id: str, scopes: set[str], expires_at: float) -> None:
        self.value = value
        self.client_id = client_id
        self.scopes = scopes
        self.expires_at = expires_at


class UpvestState(SimulatorKnobs):
    """Test knobs (plain attributes or thread-safe methods): ``time_scale``,
    ``token_lifetime``, ``expire_tokens()``, ``approval_delay``, ``closing_delay``,
    ``processing_delay``, ``fill_delay``, ``settlement_delay``, ``hold_orders``,
    ``require_fit_acknowledgement``, ``rate_limit`` (requests a second per client),
    ``add_bulk_accounts(n)``, ``lock_account(id)``, ``set_price(isin, eur)``,
    ``price(isin)``, ``register_key(key_id, public_key)``; ``fail_next()``,
    ``force_429()``, ``drop_reply_next()``, ``delay_seconds``; counters ``stats``
    (requests per route), ``created`` (resources made, per route),
    ``idempotent_replays``, ``keys_seen`` (distinct keys per creating route), ``refusals``
    (401 details) and ``deliveries``."""

    too_many_requests_code = "too_many_requests"

    def __init__(self, seed: int, *, clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic,
                 key_dir: str | None = None, origin: float | None = None) -> None:
        """``origin``: the instant the simulator first started (the price paths' anchor;
        a restored Sandbox passes the saved one)."""
        super().__init__("")
        self.seed = seed
        self.origin = clock() if origin is None else origin
        self.clock = clock
        self.monotonic = monotonic
        self.lock = threading.RLock()
        self._rng = random.Random(f"upvest-{seed}")
        # ---- knobs
        self.time_scale = 1.0
        self.token_lifetime = 1799.0  # the sandbox's (UP-PY's example reply)
        self.approval_delay = 2.0
        self.closing_delay = 2.0
        self.processing_delay = 0.3
        self.fill_delay = 0.5
        self.settlement_delay = 5.0
        self.hold_orders = False  # True: orders stay NEW (to cancel them)
        self.require_fit_acknowledgement = True
        self.rate_limit = 50
        # ---- counters
        self.created: Counter[str] = Counter()
        self.idempotent_replays = 0
        # Distinct idempotency keys received per creating route: one per request made,
        # however often it was asked again (the contract tests' "placements").
        self.keys_seen: dict[str, set[str]] = {}
        self.refusals: list[str] = []
        self.deliveries: list[dict[str, Any]] = []
        # ---- the tenant
        self.client_id = self.new_id()
        self.client_secret = f"{self._rng.getrandbits(160):040x}"
        self.key_id = self.new_id()
        client_key = keys.new_p521_key()
        self.private_key_pem = keys.private_pem(client_key)
        self.private_key_path = keys.write_private_key(self.private_key_pem, key_dir)
        self.public_keys: dict[str, keys.PublicKey] = {self.key_id: client_key.public_key()}
        self.verifier = RequestVerifier(self.public_keys, clock)
        webhook_key = keys.new_p521_key()
        self.webhook_key_id = self.new_id()
        self.webhook_jwk = keys.jwk(self.webhook_key_id, webhook_key.public_key())
        self.tokens: dict[str, Token] = {}
        self.idempotency: dict[tuple[str, str], tuple[str, str, int, bytes]] = {}
        self.window = SlidingWindow(10_000, 1.0, monotonic)
        # ---- resources
        self.users: dict[str, User] = {}
        self.groups: dict[str, Group] = {}
        self.accounts: dict[str, Account] = {}
        self.instruments: dict[str, Instrument] = {}
        self.paths: dict[str, PricePath] = {}
        self.orders: dict[str, Order] = {}
        self.positions: dict[tuple[str, str], Position] = {}
        self.virtual_cash: dict[str, VirtualCash] = {}
        self.webhooks: dict[str, Webhook] = {}
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self.created_clock = itertools.count()
        self.worker = Deliveries(self.sync, self._due_deliveries, self._settle_delivery,
                                 self._busy, WebhookSigner(webhook_key, self.webhook_key_id))
        start = self.origin
        for isin, wkn, name, price, fractional, status in INSTRUMENTS:
            self.instruments[isin] = Instrument(self.new_id(), isin, wkn, name, Decimal(price),
                                                fractional, status, start - 86_400 * 400)
            self.paths[isin] = PricePath(stable_key(seed, isin), float(price), DAILY_VOL,
                                         start)
        for first, last, born, cash in SEED_USERS:
            user = self.add_user(first, last, born)
            group = self.add_group(user.id, cash)
            self.add_account(user.id, group.id, "TRADING", "Main account")
        first_user = next(iter(self.users.values()))
        first_group = next(g for g in self.groups.values() if g.user_id == first_user.id)
        self.add_account(first_user.id, first_group.id, "PORTFOLIO", "Savings plan")

    # ----------------------------------------------------------------- identities

    def new_id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    @property
    def credentials(self) -> dict[str, str]:
        """What the runner prints: never the secret key's text, only its file."""
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "key_id": self.key_id,
            "private_key_file": str(self.private_key_path),
        }

    def register_key(self, key_id: str, public_key: keys.PublicKey) -> None:
        """A further signing key of the tenant (e.g. Ed25519)."""
        with self.lock:
            self.public_keys[key_id] = public_key

    def issue_token(self, scopes: set[str]) -> Token:
        token = Token(f"ory_at_{self._rng.getrandbits(256):064x}", self.client_id, scopes,
                      self.monotonic() + self.token_lifetime)
        self.tokens[token.value] = token
        return token

    def expire_tokens(self) -> None:
        with self.lock:
            for token in self.tokens.values():
                token.expires_at = 0.0

    # ----------------------------------------------------------------- saved state

    def account_ids(self) -> list[str]:
        with self.lock:
            return list(self.accounts)

    def export_state(self) -> dict[str, Any]:
        from desktop_app.simulators.upvest.persistence import export_state

        return export_state(self)

    def import_state(self, data: dict[str, Any]) -> None:
        from desktop_app.simulators.upvest.persistence import import_state

        import_state(self, data)

    # ----------------------------------------------------------------- time

    def now(self) -> float:
        return self.clock()

    def _stamp(self) -> float:
        # Creation times strictly increase, so sorting by created_at is stable.
        return self.clock() + next(self.created_clock) * 1e-6

    def schedule(self, delay: float, action: Callable[[], None]) -> None:
        due = self.monotonic() + max(0.0, delay) / (self.time_scale or 1.0)
        with self.lock:
            heapq.heappush(self._timers, (due, next(self._seq), action))
        self.worker.wake()

    def sync(self) -> None:
        """Run what is due: timers, resting orders whose price crossed, closing accounts."""
        from desktop_app.simulators.upvest import orders  # the order book acts on this state

        with self.lock:
            now = self.monotonic()
            while self._timers and self._timers[0][0] <= now:
                _, _, action = heapq.heappop(self._timers)
                action()
            orders.match_resting(self)

    def _busy(self) -> bool:
        with self.lock:
            return bool(self._timers) or any(
                h.queue and h.enabled for h in self.webhooks.values()
            ) or any(o.status == "NEW" and o.order_type != "MARKET" for o in self.orders.values())

    # ----------------------------------------------------------------- prices

    def price(self, isin: str) -> Decimal:
        return cents(Decimal(repr(self.paths[isin].mid(self.clock()))))

    def set_price(self, isin: str, eur: Decimal | str) -> None:
        with self.lock:
            self.paths[isin].shock_to(self.clock(), float(eur))
        self.worker.wake()

    # ----------------------------------------------------------------- people and accounts

    def add_user(self, first: str, last: str, born: str) -> User:
        with self.lock:
            user = User(self.new_id(), self._stamp(), first, last, born)
            self.users[user.id] = user
            return user

    def add_group(self, user_id: str, cash: Decimal = Decimal(0)) -> Group:
        with self.lock:
            number = f"{self._rng.randrange(10**8, 10**9)}"
            group = Group(self.new_id(), self._stamp(), user_id, number, balance=cash)
            self.groups[group.id] = group
            return group

    def add_account(self, user_id: str, group_id: str, kind: str, name: str,
                    status: str = "ACTIVE") -> Account:
        with self.lock:
            group = self.groups[group_id]
            created = self._stamp()
            account = Account(self.new_id(), created, created, group_id, user_id, kind,
                              group.next_account_number, name, status)
            group.next_account_number += 1
            self.accounts[account.id] = account
            return account

    def add_bulk_accounts(self, count: int) -> str:
        """``count`` more accounts for one new user (paging tests); returns the user id."""
        with self.lock:
            user = self.add_user("Bulk", "Holder", "1980-01-01")
            group = self.add_group(user.id)
            for n in range(count):
                self.add_account(user.id, group.id, "TRADING", f"Bulk account {n + 1}")
            return user.id

    def set_status(self, account: Account, status: str, event: str) -> None:
        account.status = status
        account.updated = self.clock()
        self.emit(event, account.payload())

    def lock_account(self, account_id: str) -> None:
        with self.lock:
            self.set_status(self.accounts[account_id], "LOCKED", "ACCOUNT.LOCKED")

    def position(self, account_id: str, isin: str) -> Position:
        key = (account_id, isin)
        found = self.positions.get(key)
        if found is None:
            found = Position(account_id, self.instruments[isin])
            self.positions[key] = found
        return found

    def holds_anything(self, account_id: str) -> bool:
        if any(p.quantity > 0 for (a, _), p in self.positions.items() if a == account_id):
            return True
        return any(o.account_id == account_id and o.status in ("NEW", "PROCESSING")
                   for o in self.orders.values())

    # ----------------------------------------------------------------- webhooks

    def emit(self, event_type: str, obj: dict[str, Any]) -> None:
        queued = False
        with self.lock:
            for hook in self.webhooks.values():
                if hook.enabled and hook.wants(event_type):
                    hook.queue.append({"id": self.new_id(), "created_at": stamp(self.clock()),
                                       "type": event_type, "object": obj,
                                       "webhook_id": hook.id})
                    queued = True
        if queued:
            self.worker.wake()

    def _due_deliveries(self) -> list[tuple[Webhook, list[dict[str, Any]]]]:
        now = self.monotonic()
        out = []
        with self.lock:
            for hook in self.webhooks.values():
                if hook.enabled and hook.queue and hook.retry_at <= now:
                    out.append((hook, self._package(hook)))
        return out

    @staticmethod
    def _package(hook: Webhook) -> list[dict[str, Any]]:
        from desktop_app.domain.exact_json import dumps

        events: list[dict[str, Any]] = []
        size = 0
        for event in hook.queue:
            size += len(dumps(event, allow_float=True))
            if events and size > hook.max_package_size:
                break
            events.append(event)
        return events

    def _settle_delivery(self, hook: Webhook, events: list[dict[str, Any]], status: int) -> None:
        with self.lock:
            hook.attempts = 0 if status == 200 else hook.attempts + 1
            self.deliveries.append({"webhook_id": hook.id, "status": status,
                                    "events": [e["id"] for e in events],
                                    "attempt": hook.attempts})
            if status == 200:
                sent = {e["id"] for e in events}
                hook.queue = [e for e in hook.queue if e["id"] not in sent]
                hook.retry_at = 0.0
            else:
                pause = backoff_seconds(hook.attempts) / (self.time_scale or 1.0)
                hook.retry_at = self.monotonic() + pause

    # ----------------------------------------------------------------- limits, funding

    def limit_ok(self, client_id: str) -> bool:
        if self.window.limit != self.rate_limit:
            self.window.limit = self.rate_limit
        return self.window.allow(client_id)

    def new_virtual_cash(self, group: Group, amount: Decimal, kind: str) -> VirtualCash:
        now = self.clock()
        item = VirtualCash(self.new_id(), now, now, group.id, amount, kind)
        self.virtual_cash[item.id] = item
        return item
