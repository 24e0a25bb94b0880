"""Everything the LWork simulator remembers, and the knobs tests turn.

One tenant (id, API token, RSA key pair), a trader whose login, password and user id
are fixed by the seed, with two MT4 demo accounts and one MT5 demo account, and another
user with an MT4 demo account (a transfer there is refused). Deposits, withdrawals
and transfers are kept as LWork's cash flow shows them. Safe to use from the test
thread: one lock around request handling and the knobs.
"""

from __future__ import annotations

import random
import string
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from desktop_app.simulators.faults import SimulatorKnobs
from desktop_app.simulators.lwork.book import Book, MtAccount, Server
from desktop_app.simulators.lwork.keys import TenantKey
from desktop_app.simulators.market import Market

API_ROOT = ""
_ALNUM = string.ascii_letters + string.digits

SERVERS = (
    Server("428", "MT4-Demo", "MT4", False, ("demoforex", "D04DemoLWVIR")),
    Server("430", "MT4-Live", "MT4", True, ("liveforex", "livevip")),
    Server("431", "MT5-Demo", "MT5", False, ("demo\\forex", "demo\\vip")),
    Server("432", "MT5-Live", "MT5", True, ("real\\forex",)),
)

# (accountGroup, initAmount, leverage, typeName) per platform, as 1.7 answers them.
DEMO_TYPES: dict[str, tuple[tuple[str, int, int, str], ...]] = {
    "MT4": (("D04DemoLWVIR", 10_000, 100, "General User"),
            ("D04DemoLWVIR", 50_000, 400, "VIP user")),
    "MT5": (("demo\\forex", 10_000, 100, "General User"),),
}

# (payCurrency, exchange, exchangeFloat) for USD accounts; payAmount = amount x exchange.
EXCHANGE_RATES = (("USD", Decimal(1), Decimal(0)),
                  ("CNY", Decimal("7.1234"), Decimal("0.1")),
                  ("EUR", Decimal("0.9213"), Decimal("0.005")))
MIN_DEPOSIT = Decimal(10)
MAX_DEPOSIT = Decimal(50_000)


@dataclass(slots=True)
class User:
    user_id: str
    login_name: str
    password: str
    username: str
    email: str
    phone: str
    base: dict[str, Any] = field(default_factory=dict)
    finance: dict[str, Any] = field(default_factory=dict)
    cert: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class CashEntry:
    """A deposit, withdrawal or transfer application as the cash flow lists it."""

    kind: str  # Deposit / Withdraw / Transfer
    record_id: str
    login: str
    amount: Decimal  # in the account currency
    currency: str
    created: float  # epoch seconds
    comment: str = ""
    state: str = "Submited"  # LWork's spelling
    pay_status: str = ""
    job_id: str = ""
    pay_amount: Decimal | None = None
    pay_currency: str = ""
    receipt: str = ""  # a transfer's receiving account
    bank: dict[str, str] = field(default_factory=dict, repr=False)
    settled_at: float | None = None


class LWorkState(SimulatorKnobs):
    too_many_requests_code = "-1"

    def __init__(self, seed: int, *, session_idle_timeout: float = 600.0,
                 key_bits: int = 1024, origin: float | None = None) -> None:
        """``origin``: the instant the simulator first started (prices follow from the
        seed and it; the Sandbox carries it across restarts)."""
        super().__init__(API_ROOT)
        self.seed = seed
        self.lock = threading.RLock()
        self._offset = 0.0
        rng = random.Random(f"lwork-{seed}")
        self.session_idle_timeout = session_idle_timeout  # LWork has no sessions
        self.tenant_id = f"T00{rng.randrange(1000, 9999)}"
        self.api_token = "".join(rng.choice(_ALNUM) for _ in range(16))
        self.key = TenantKey(key_bits)
        self.key_file: Path = self.key.write_private_pem(self.tenant_id)
        self.servers = {s.server_id: s for s in SERVERS}
        self.market = Market(seed, clock=self.clock, started_at=origin)
        self.book = Book(self.market, rng)
        self.demo_types: dict[str, list[dict[str, Any]]] = {
            vendor: [{"accountGroup": group, "initAmount": amount, "leverage": leverage,
                      "typeId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                      "typeName": name} for group, amount, leverage, name in types]
            for vendor, types in DEMO_TYPES.items()
        }
        self.users: dict[str, User] = {}
        self.user = self._add_user(rng, "trader@example.com", "Demo Trader", "15912345678")
        self.other_user = self._add_user(rng, "other@example.com", "Other Trader",
                                         "15987654321")
        now = self.now()
        # Logins as MT servers hand them out, from the seed (a new Sandbox, new logins).
        self._next_login = {"MT4": 2090000000 + rng.randrange(1000, 9000) * 10,
                            "MT5": 5090000000 + rng.randrange(1000, 9000) * 10}
        first = self.open_account(self.user.user_id, "428", "Demo", "demoforex", 100,
                                  Decimal("10000.00"), group_id="9",
                                  group_name="Sandbox traders")
        self.book.seed_trades(first, now, positions=3, pending=2, history=23)
        second = self.open_account(self.user.user_id, "428", "Demo 2", "demoforex", 100,
                                   Decimal("2500.00"))
        self.book.seed_trades(second, now, positions=0, pending=0, history=2)
        mt5 = self.open_account(self.user.user_id, "431", "Demo MT5", "demo\\forex", 200,
                                Decimal("5000.00"))
        self.book.seed_trades(mt5, now, positions=2, pending=1, history=12)
        self.open_account(self.other_user.user_id, "428", "Other", "demoforex", 100,
                          Decimal("1000.00"))

        # Knobs and records (see the package docstring).
        self.deposit_pay_after: float | None = 5.0
        self.withdraw_approve_after: float = 5.0
        self.max_page_size = 100
        self.cash: list[CashEntry] = []
        self.tasks: list[dict[str, Any]] = []
        self._next_record = rng.randrange(100, 900)
        self.stats: dict[str, Any] = {"requests": Counter(), "429": Counter(),
                                      "refusals": Counter()}

    # ----------------------------------------------------------------- set-up

    def _add_user(self, rng: random.Random, email: str, name: str, phone: str) -> User:
        user = User(
            user_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            login_name=email,
            password="Sandbox-" + "".join(rng.choice(_ALNUM) for _ in range(8)) + "1~",
            username=name, email=email, phone=phone,
        )
        user.base = {"accountName": name, "email": email,
                     "phones": {"countryCode": "+86", "phone": phone,
                                "phoneStr": f"+86 {phone}"}}
        self.users[user.user_id] = user
        return user

    def open_account(self, user_id: str, server_id: str, name: str, group: str,
                     leverage: int, balance: Decimal, *, group_id: str = "",
                     group_name: str = "") -> MtAccount:
        server = self.servers[server_id]
        login = str(self._next_login[server.vendor])
        self._next_login[server.vendor] += 1
        return self.book.add(MtAccount(login, user_id, server, name, group, leverage,
                                       balance, group_id=group_id, group_name=group_name))

    def record_id(self) -> str:
        self._next_record += 1
        return f"{self._next_record:08d}"

    @property
    def credentials(self) -> dict[str, str]:
        """What a person types into the profile (printed by the command line)."""
        return {
            "tenant_id": self.tenant_id,
            "api_token": self.api_token,
            "login_name": self.user.login_name,
            "password": self.user.password,
            "user_id": self.user.user_id,
            "private_key_file": str(self.key_file),
            "server_ids": ", ".join(f"{s.name}={s.server_id}" for s in SERVERS),
        }

    # ----------------------------------------------------------------- saved state

    def export_state(self) -> dict[str, Any]:
        from desktop_app.simulators.lwork.persistence import export_state

        return export_state(self)

    def import_state(self, data: dict[str, Any]) -> None:
        from desktop_app.simulators.lwork.persistence import import_state

        import_state(self, data)

    # ----------------------------------------------------------------- time

    def clock(self) -> float:
        return time.time() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def advance_clock(self, seconds: float) -> None:
        """Knob: move the simulator's time on (payments and approvals fall due)."""
        with self.lock:
            self._offset += seconds

    # ----------------------------------------------------------------- lookups

    def account_ids(self, user_id: str | None = None) -> list[str]:
        wanted = user_id or self.user.user_id
        return [a.login for a in self.book.accounts.values() if a.user_id == wanted]

    def account(self, login: str) -> MtAccount:
        return self.book.accounts[login]

    def disable_account(self, login: str) -> None:
        with self.lock:
            self.book.accounts[login].enabled = False

    def entries(self, kind: str | None = None) -> list[CashEntry]:
        return [e for e in self.cash if kind is None or e.kind == kind]

    # ----------------------------------------------------------------- settling

    def pay_deposit(self, job_id: str) -> CashEntry:
        """Knob: the payment of a deposit application arrived (as a 3.3 callback would
        say); the account is credited."""
        with self.lock:
            entry = next(e for e in self.cash if e.kind == "Deposit" and e.job_id == job_id)
            self._pay(entry)
            return entry

    def _pay(self, entry: CashEntry) -> None:
        if entry.pay_status == "Paid":
            return
        account = self.account(entry.login)
        account.balance += entry.amount
        entry.pay_status = "Paid"
        entry.state = "Approved"
        entry.settled_at = self.clock()

    def settle(self) -> None:
        """Deposits paid and withdrawals approved whose delay has passed (called at
        the start of every request, like the market's lazy matching)."""
        now = self.clock()
        for entry in self.cash:
            if entry.settled_at is not None:
                continue
            waited = now - entry.created
            if (entry.kind == "Deposit" and self.deposit_pay_after is not None
                    and waited >= self.deposit_pay_after):
                self._pay(entry)
            elif entry.kind == "Withdraw" and waited >= self.withdraw_approve_after:
                account = self.account(entry.login)
                if self.book.figures(account).free_margin >= entry.amount:
                    account.balance -= entry.amount
                    entry.state = "Approved"
                else:
                    entry.state = "Rejected"
                entry.settled_at = now

    def count(self, route: str, status: int, mcode: str = "") -> None:
        with self._knob_lock:
            self.stats["requests"][route] += 1
            if status == 429:
                self.stats["429"][route] += 1
            if mcode:
                self.stats["refusals"][mcode] += 1
