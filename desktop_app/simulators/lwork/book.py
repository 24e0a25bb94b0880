"""MT4/MT5 servers, their accounts, open positions, pending orders and closed trades.

Nothing is traded through LWork's API, so positions and orders are set up once per seed
and only their floating P/L moves, with the shared market's prices (``Market.quote``).
Money is Decimal in the account's currency (USD), cents.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from desktop_app.simulators.market import Market

CENT = Decimal("0.01")
# LWork writes trade times in UTC+8 without a zone (see the package docstring).
LWORK_ZONE = timezone(timedelta(hours=8))

# MT symbol -> (the shared market's symbol, contract size). All quoted in USD.
SYMBOLS: dict[str, tuple[str, Decimal]] = {
    "EURUSD": ("EURUSD", Decimal(100_000)),
    "GBPUSD": ("GBPUSD", Decimal(100_000)),
    "AUDUSD": ("AUDUSD", Decimal(100_000)),
    "XAUUSD": ("GOLD", Decimal(100)),
}
_DIGITS = {"EURUSD": 5, "GBPUSD": 5, "AUDUSD": 5, "XAUUSD": 2}


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def lwork_time(at: datetime) -> str:
    return at.astimezone(LWORK_ZONE).strftime("%Y-%m-%dT%H:%M:%S.000")


@dataclass(frozen=True, slots=True)
class Server:
    server_id: str
    name: str  # e.g. "MT4-Demo"
    vendor: str  # MT4 / MT5
    live: bool
    groups: tuple[str, ...]


@dataclass(slots=True)
class Trade:
    ticket: str
    symbol: str
    kind: str  # Buy / Sell (positions, history); BuyLimit, SellStop, ... (pending)
    volume: Decimal
    open_price: Decimal
    open_time: datetime
    stop_loss: Decimal = Decimal(0)
    take_profit: Decimal = Decimal(0)
    commission: Decimal = Decimal(0)
    swap: Decimal = Decimal(0)
    close_price: Decimal | None = None
    close_time: datetime | None = None
    profit: Decimal | None = None


@dataclass(slots=True)
class MtAccount:
    login: str
    user_id: str
    server: Server
    name: str
    group: str
    leverage: int
    balance: Decimal
    currency: str = "USD"
    credit: Decimal = Decimal(0)
    enabled: bool = True
    group_id: str = ""
    group_name: str = ""
    positions: list[Trade] = field(default_factory=list)
    pending: list[Trade] = field(default_factory=list)
    history: list[Trade] = field(default_factory=list)

    @property
    def vendor(self) -> str:
        return self.server.vendor


@dataclass(frozen=True, slots=True)
class Figures:
    floating: Decimal  # profit + swap + commission of open positions
    equity: Decimal
    margin: Decimal
    free_margin: Decimal


class Book:
    def __init__(self, market: Market, rng: random.Random) -> None:
        self.market = market
        self._rng = rng
        self.accounts: dict[str, MtAccount] = {}
        self._next_ticket = rng.randrange(12_000_000, 13_000_000)

    def ticket(self) -> str:
        self._next_ticket += rng_step(self._rng)
        return str(self._next_ticket)

    # ----------------------------------------------------------------- prices

    def bid_offer(self, symbol: str) -> tuple[Decimal, Decimal]:
        quote = self.market.quote(SYMBOLS[symbol][0])
        return quote.bid, quote.offer

    def profit(self, trade: Trade) -> Decimal:
        bid, offer = self.bid_offer(trade.symbol)
        size = trade.volume * SYMBOLS[trade.symbol][1]
        if trade.kind == "Buy":
            return cents((bid - trade.open_price) * size)
        return cents((trade.open_price - offer) * size)

    def figures(self, account: MtAccount) -> Figures:
        floating = Decimal(0)
        margin = Decimal(0)
        for trade in account.positions:
            floating += self.profit(trade) + trade.swap + trade.commission
            bid, offer = self.bid_offer(trade.symbol)
            size = trade.volume * SYMBOLS[trade.symbol][1]
            margin += size * (bid + offer) / 2 / account.leverage
        equity = account.balance + account.credit + floating
        margin = cents(margin)
        return Figures(cents(floating), cents(equity), margin, cents(equity - margin))

    # ----------------------------------------------------------------- set-up

    def add(self, account: MtAccount) -> MtAccount:
        self.accounts[account.login] = account
        return account

    def seed_trades(self, account: MtAccount, now: datetime, *, positions: int,
                    pending: int, history: int) -> None:
        """Deterministic positions, pending orders and closed trades for ``account``."""
        rng = self._rng
        symbols = sorted(SYMBOLS)
        for _ in range(positions):
            symbol = rng.choice(symbols)
            bid, offer = self.bid_offer(symbol)
            side = rng.choice(("Buy", "Sell"))
            drift = Decimal(1) + Decimal(rng.randrange(-30, 31)) / 10_000
            price = ((offer if side == "Buy" else bid) * drift).quantize(
                Decimal(1).scaleb(-_DIGITS[symbol]))
            volume = Decimal(rng.choice(("0.01", "0.05", "0.10", "0.50", "1.00")))
            account.positions.append(Trade(
                self.ticket(), symbol, side, volume, price,
                now - timedelta(hours=rng.randrange(1, 240)),
                commission=cents(-volume * 7), swap=cents(Decimal(rng.randrange(-300, 50))
                                                          / 100),
            ))
        for _ in range(pending):
            symbol = rng.choice(symbols)
            bid, _offer = self.bid_offer(symbol)
            kind = rng.choice(("BuyLimit", "SellLimit", "BuyStop", "SellStop"))
            below = kind in ("BuyLimit", "SellStop")
            step = Decimal(rng.randrange(20, 200)) / 10_000
            price = (bid * (1 - step if below else 1 + step)).quantize(
                Decimal(1).scaleb(-_DIGITS[symbol]))
            account.pending.append(Trade(
                self.ticket(), symbol, kind, Decimal("0.10"), price,
                now - timedelta(hours=rng.randrange(1, 48)),
            ))
        for index in range(history):
            symbol = rng.choice(symbols)
            bid, _offer = self.bid_offer(symbol)
            side = rng.choice(("Buy", "Sell"))
            digits = Decimal(1).scaleb(-_DIGITS[symbol])
            opened = now - timedelta(days=60) + timedelta(hours=index * 50 + rng.randrange(0, 20))
            open_price = (bid * (1 + Decimal(rng.randrange(-200, 200)) / 10_000)).quantize(digits)
            close_price = (open_price * (1 + Decimal(rng.randrange(-50, 51)) / 10_000)).quantize(
                digits)
            volume = Decimal(rng.choice(("0.01", "0.10", "0.20", "1.00")))
            size = volume * SYMBOLS[symbol][1]
            move = close_price - open_price if side == "Buy" else open_price - close_price
            account.history.append(Trade(
                self.ticket(), symbol, side, volume, open_price, opened,
                commission=cents(-volume * 7), close_price=close_price,
                close_time=opened + timedelta(minutes=rng.randrange(1, 600)),
                profit=cents(move * size),
            ))


def rng_step(rng: random.Random) -> int:
    return rng.randrange(1, 9)
