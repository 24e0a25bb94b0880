"""Investor accounts: cash, DARWIN investments (amount-based), conditional orders, history.

An investment in a DARWIN is money in the account currency. A buy of ``amount`` at quote
``q`` adds ``amount / q`` units; the position is worth ``units * currentQuote``. Returns are
applied in the account currency as they are (no FX between the DARWIN's and the
account's currency). One open trade per DARWIN gathers every buy until it is closed.

Money figures (UNCONFIRMED formulas, fitted to the one recorded account):
``equity = cash + openPnL``, ``exposure = sum of position values``,
``availableToInvest = max(0, equity * leverage - exposure)``,
``available = max(0, equity - exposure / leverage)``, ``maxRisk = equity``,
``risk = available``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from desktop_app.simulators.clock import SimClock
from desktop_app.simulators.darwinex import errors
from desktop_app.simulators.darwinex.products import CENT, Catalogue, Product
from desktop_app.simulators.hours import DARWINS

BUY, SELL = "BUY", "SELL"
LESS_THAN_EQUAL, GREATER_THAN_EQUAL = "LESS_THAN_EQUAL", "GREATER_THAN_EQUAL"
STOP_LOSS, TAKE_PROFIT = "STOP_LOSS", "TAKE_PROFIT"
PENDING, EXECUTED, REJECTED, CANCELLED, DELETED = (
    "PENDING", "EXECUTED", "REJECTED", "CANCELLED", "DELETED")
CONDITIONAL_STATUSES = ("pending", "executed", "rejected", "cancelled", "deleted")
# Executed order types: how the order came about.
MARKET, CONDITIONAL, STOP_OUT = "MARKET", "CONDITIONAL", "STOP_OUT"
_UNITS = Decimal("1e-12")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


@dataclass(slots=True)
class Rules:
    min_amount: Decimal = Decimal(200)  # UNCONFIRMED: a third-party client's constant
    # UNCONFIRMED whether Darwinex holds sells to the minimum; the third-party constant is
    # a minimum investment, so sells (market and conditional) are exempt unless this is on.
    min_amount_on_sells: bool = False
    leverage_min: Decimal = Decimal(1)
    leverage_max: Decimal = Decimal(10)
    market_open: bool | None = None  # None: DARWINs' trading hours decide (a test knob)


@dataclass(slots=True)
class Thresholds:
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None

    def __bool__(self) -> bool:
        return self.stop_loss is not None or self.take_profit is not None


@dataclass(slots=True)
class ConditionalOrder:
    order_id: int
    product: str
    side: str
    type: str  # LESS_THAN_EQUAL / GREATER_THAN_EQUAL
    amount: Decimal
    quote: Decimal
    created_ms: int
    modified_ms: int
    threshold: str | None = None  # STOP_LOSS / TAKE_PROFIT of an open position
    thresholds: Thresholds = field(default_factory=Thresholds)  # applied when a BUY fills
    status: str = PENDING
    closed_ms: int | None = None
    execution_quote: Decimal | None = None
    executed_order_id: int | None = None
    reason: str | None = None

    def triggered_by(self, quote: Decimal) -> bool:
        return quote <= self.quote if self.type == LESS_THAN_EQUAL else quote >= self.quote


@dataclass(slots=True)
class ExecutedOrder:
    order_id: int
    account_id: int
    product: str
    side: str
    amount: Decimal
    quote: Decimal
    executed_ms: int
    type: str  # MARKET, CONDITIONAL, STOP_LOSS, TAKE_PROFIT, STOP_OUT
    trade_id: int
    conditional_order_id: int | None = None


@dataclass(slots=True)
class Trade:
    """One DARWIN position from its first buy until it is sold out."""

    trade_id: int
    product: str
    opened_ms: int
    units: Decimal = Decimal(0)
    invested: Decimal = Decimal(0)  # cost of the units still held
    realized: Decimal = Decimal(0)
    bought: Decimal = Decimal(0)  # every buy's amount
    sold: Decimal = Decimal(0)  # every sell's amount
    open_quote: Decimal = Decimal(0)  # average open quote, kept after the close
    closed_ms: int | None = None
    close_quote: Decimal | None = None
    stop_loss_id: int | None = None
    take_profit_id: int | None = None

    def value(self, quote: Decimal) -> Decimal:
        return cents(self.units * quote)

    @property
    def average_quote(self) -> Decimal:
        if not self.units:
            return Decimal(0)
        return (self.invested / self.units).quantize(Decimal("0.0001"), ROUND_HALF_EVEN)

    def threshold_ids(self) -> list[int]:
        return [i for i in (self.stop_loss_id, self.take_profit_id) if i is not None]


@dataclass(slots=True)
class InvestorAccount:
    account_id: int
    env: str  # DEMO / LIVE
    name: str
    currency: str
    cash: Decimal
    leverage: Decimal
    created_at: float  # monotonic
    needs_grant: bool = False  # made by a demo reset: tokens reach it only after a delay
    open_trades: dict[str, Trade] = field(default_factory=dict)
    closed_trades: list[Trade] = field(default_factory=list)
    conditional: dict[int, ConditionalOrder] = field(default_factory=dict)
    executed: list[ExecutedOrder] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Summary:
    equity: Decimal
    open_pnl: Decimal
    invested: Decimal
    exposure: Decimal
    available: Decimal
    available_to_invest: Decimal


class Book:
    """The trading engine over every investor account of both environments."""

    def __init__(
        self,
        catalogue: Catalogue,
        clock: Callable[[], float],
        first_id: int,
        on_execution: Callable[[ExecutedOrder], None],
        session_clock: SimClock | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.clock = clock
        self.session_clock = session_clock or SimClock(clock)
        self.rules = Rules()
        self.accounts: dict[int, InvestorAccount] = {}
        self._next_id = first_id
        self._on_execution = on_execution

    # ------------------------------------------------------------------ basics
    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def quote(self, product: str) -> Decimal:
        found = self.catalogue.get(product)
        assert found is not None
        return found.quote(self.clock())

    def summary(self, account: InvestorAccount) -> Summary:
        invested = exposure = Decimal("0.00")
        for trade in account.open_trades.values():
            invested += trade.invested
            exposure += trade.value(self.quote(trade.product))
        open_pnl = exposure - invested
        equity = account.cash + open_pnl
        lev = account.leverage
        return Summary(
            equity=equity,
            open_pnl=open_pnl,
            invested=invested,
            exposure=exposure,
            available=max(Decimal(0), cents(equity - exposure / lev)),
            available_to_invest=max(Decimal(0), cents(equity * lev - exposure)),
        )

    def product(self, name: str) -> Product:
        found = self.catalogue.get(name)
        if found is None:
            raise errors.not_found(f"Product {name} not found.")
        return found

    # ------------------------------------------------------------------ checks
    def _check_amount(self, amount: Decimal, side: str = BUY) -> Decimal:
        if amount <= 0:
            raise errors.bad_request("The amount must be positive.")
        amount = cents(amount)
        if amount <= 0:
            raise errors.bad_request("The amount must be at least 0.01.")
        exempt = side == SELL and not self.rules.min_amount_on_sells
        if not exempt and amount < self.rules.min_amount:
            raise errors.bad_request(
                f"The minimum amount per operation is {cents(self.rules.min_amount)}.")
        return amount

    def _tradeable(self, product: Product) -> None:
        if not product.active:
            raise errors.conflict(f"{product.name} is no longer active.")

    def market_is_open(self) -> bool:
        if self.rules.market_open is not None:
            return self.rules.market_open
        return DARWINS.is_open(self.session_clock.now())

    def next_open(self) -> datetime | None:
        """When the DARWIN market opens next, on the simulator clock (None: set by hand)."""
        if self.rules.market_open is not None:
            return None
        found = DARWINS.next_open(self.session_clock.now())
        return self.session_clock.to_base(found) if found is not None else None

    def next_open_ms(self, now: float) -> int:
        """``next_open`` in epoch ms (the recorded closed status of a Sunday said 21:05
        UTC, i.e. 17:05 New York); closed by hand: an hour on."""
        found = self.next_open()
        if found is not None:
            return int(found.timestamp() * 1000)
        return (int(now * 1000) // 3_600_000 + 1) * 3_600_000

    def _market_open(self) -> None:
        if not self.market_is_open():
            raise errors.conflict("The DARWIN market is closed.")

    def _can_buy(self, product: Product) -> None:
        self._tradeable(product)
        self._market_open()
        if not product.buy_allowed:
            raise errors.conflict(f"{product.name} is closed to new investments.")

    def _can_sell(self, product: Product) -> None:
        self._tradeable(product)
        self._market_open()
        if not product.sell_allowed:
            raise errors.conflict(f"Selling {product.name} is not allowed at the moment.")

    def _funds(self, account: InvestorAccount, amount: Decimal) -> None:
        room = self.summary(account).available_to_invest
        if amount > room:
            raise errors.conflict(f"The amount exceeds the available to invest ({room}).")

    def _check_thresholds(self, thresholds: Thresholds, reference: Decimal) -> None:
        if thresholds.stop_loss is not None and not 0 < thresholds.stop_loss < reference:
            raise errors.bad_request(f"quoteStopLoss must be below the quote {reference}.")
        if thresholds.take_profit is not None and thresholds.take_profit <= reference:
            raise errors.bad_request(f"quoteTakeProfit must be above the quote {reference}.")

    def _held(self, account: InvestorAccount, product: str) -> Trade:
        trade = account.open_trades.get(product)
        if trade is None:
            raise errors.conflict(f"There is no investment in {product}.")
        return trade

    # ------------------------------------------------------------------ market orders
    def buy(
        self, account: InvestorAccount, name: str, amount: Decimal, thresholds: Thresholds
    ) -> ExecutedOrder:
        product = self.product(name)
        amount = self._check_amount(amount)
        self._can_buy(product)
        quote = product.quote(self.clock())
        self._check_thresholds(thresholds, quote)
        self._funds(account, amount)
        return self._fill_buy(account, product, amount, quote, thresholds, MARKET, None)

    def sell(self, account: InvestorAccount, name: str, amount: Decimal) -> ExecutedOrder:
        product = self.product(name)
        amount = self._check_amount(amount, SELL)
        self._can_sell(product)
        trade = self._held(account, name)
        quote = product.quote(self.clock())
        value = trade.value(quote)
        if amount > value:
            raise errors.conflict(
                f"The amount exceeds the current value of the investment in {name} ({value}).")
        return self._fill_sell(account, trade, amount, quote, MARKET, None)

    def stopout(self, account: InvestorAccount, name: str | None) -> list[ExecutedOrder]:
        """Sell everything in one DARWIN (``name``) or in all of them."""
        self._market_open()
        if name is not None:
            self.product(name)
            if name not in account.open_trades:
                raise errors.not_found(f"There is no investment in {name}.")
            names = [name]
        else:
            names = list(account.open_trades)
        filled = []
        for product_name in names:
            trade = account.open_trades[product_name]
            quote = self.quote(product_name)
            filled.append(
                self._fill_sell(account, trade, trade.value(quote), quote, STOP_OUT, None))
        return filled

    def set_leverage(self, account: InvestorAccount, leverage: Decimal) -> Decimal:
        rules = self.rules
        if not rules.leverage_min <= leverage <= rules.leverage_max:
            raise errors.bad_request(
                f"The leverage must be between {rules.leverage_min} and {rules.leverage_max}.")
        summary = self.summary(account)
        if summary.exposure > summary.equity * leverage:
            raise errors.conflict("The leverage is too low for the current investments.")
        account.leverage = leverage.quantize(Decimal("0.1"), ROUND_HALF_EVEN)
        return account.leverage

    # ------------------------------------------------------------------ fills
    def _trade_for(self, account: InvestorAccount, product: str) -> Trade:
        trade = account.open_trades.get(product)
        if trade is None:
            trade = Trade(self.new_id(), product, self.now_ms())
            account.open_trades[product] = trade
        return trade

    def _record(
        self, account: InvestorAccount, trade: Trade, side: str, amount: Decimal,
        quote: Decimal, kind: str, conditional_id: int | None,
    ) -> ExecutedOrder:
        order = ExecutedOrder(self.new_id(), account.account_id, trade.product, side, amount,
                              quote, self.now_ms(), kind, trade.trade_id, conditional_id)
        account.executed.append(order)
        self._on_execution(order)
        return order

    def _fill_buy(
        self, account: InvestorAccount, product: Product, amount: Decimal, quote: Decimal,
        thresholds: Thresholds, kind: str, conditional_id: int | None,
    ) -> ExecutedOrder:
        trade = self._trade_for(account, product.name)
        trade.units += (amount / quote).quantize(_UNITS, ROUND_HALF_EVEN)
        trade.invested += amount
        trade.bought += amount
        trade.open_quote = trade.average_quote
        order = self._record(account, trade, BUY, amount, quote, kind, conditional_id)
        if thresholds:
            self._set_thresholds(account, trade, thresholds)
        self._resize_thresholds(account, trade)
        return order

    def _fill_sell(
        self, account: InvestorAccount, trade: Trade, amount: Decimal, quote: Decimal,
        kind: str, conditional_id: int | None,
    ) -> ExecutedOrder:
        value = trade.value(quote)
        if amount >= value or value - amount < CENT:
            amount, cost, units = value, trade.invested, trade.units
        else:
            fraction = amount / value
            cost = cents(trade.invested * fraction)
            units = (trade.units * fraction).quantize(_UNITS, ROUND_HALF_EVEN)
        trade.units -= units
        trade.invested -= cost
        trade.realized += amount - cost
        trade.sold += amount
        account.cash += amount - cost
        order = self._record(account, trade, SELL, amount, quote, kind, conditional_id)
        if trade.units <= 0 or trade.value(quote) < CENT:
            self._close_trade(account, trade, quote, conditional_id)
        else:
            self._resize_thresholds(account, trade)
        return order

    def _close_trade(
        self, account: InvestorAccount, trade: Trade, quote: Decimal, keep_id: int | None
    ) -> None:
        # Leftover cost of rounding dust is written off against the realized result.
        account.cash -= trade.invested
        trade.realized -= trade.invested
        trade.units, trade.invested = Decimal(0), Decimal(0)
        trade.closed_ms, trade.close_quote = self.now_ms(), quote
        for order_id in trade.threshold_ids():
            if order_id != keep_id:
                self._finish(account.conditional[order_id], DELETED)
        trade.stop_loss_id = trade.take_profit_id = None
        del account.open_trades[trade.product]
        account.closed_trades.append(trade)

    # ------------------------------------------------------------------ thresholds
    def _set_thresholds(
        self, account: InvestorAccount, trade: Trade, thresholds: Thresholds
    ) -> None:
        for kind, quote in ((STOP_LOSS, thresholds.stop_loss),
                            (TAKE_PROFIT, thresholds.take_profit)):
            if quote is None:
                continue
            current = trade.stop_loss_id if kind == STOP_LOSS else trade.take_profit_id
            if current is not None:
                order = account.conditional[current]
                order.quote, order.modified_ms = quote, self.now_ms()
                continue
            order = ConditionalOrder(
                self.new_id(), trade.product, SELL,
                LESS_THAN_EQUAL if kind == STOP_LOSS else GREATER_THAN_EQUAL,
                trade.invested, quote, self.now_ms(), self.now_ms(), threshold=kind)
            account.conditional[order.order_id] = order
            if kind == STOP_LOSS:
                trade.stop_loss_id = order.order_id
            else:
                trade.take_profit_id = order.order_id

    def _resize_thresholds(self, account: InvestorAccount, trade: Trade) -> None:
        for order_id in trade.threshold_ids():
            account.conditional[order_id].amount = trade.invested

    # ------------------------------------------------------------------ conditional orders
    def create_conditional(
        self, account: InvestorAccount, name: str, side: str, type_: str, amount: Decimal,
        quote: Decimal, thresholds: Thresholds,
    ) -> ConditionalOrder:
        if side not in (BUY, SELL):
            raise errors.bad_request("side must be BUY or SELL.")
        if type_ not in (LESS_THAN_EQUAL, GREATER_THAN_EQUAL):
            raise errors.bad_request("type must be LESS_THAN_EQUAL or GREATER_THAN_EQUAL.")
        if quote <= 0:
            raise errors.bad_request("The quote must be positive.")
        if side == SELL and thresholds:
            raise errors.bad_request("thresholdParameters apply to BUY orders only.")
        product = self.product(name)
        amount = self._check_amount(amount, side)
        self._check_thresholds(thresholds, quote)
        self._tradeable(product)
        if side == BUY:
            if not product.conditional_buy_allowed:
                raise errors.conflict(f"{name} takes no conditional buy orders at the moment.")
            self._funds(account, amount)
        else:
            if not product.conditional_sell_allowed:
                raise errors.conflict(f"{name} takes no conditional sell orders at the moment.")
            self._held(account, name)
        now = self.now_ms()
        order = ConditionalOrder(self.new_id(), name, side, type_, amount, quote, now, now,
                                 thresholds=thresholds)
        account.conditional[order.order_id] = order
        return order

    def conditional_order(self, account: InvestorAccount, order_id: int) -> ConditionalOrder:
        order = account.conditional.get(order_id)
        if order is None:
            raise errors.not_found(f"Conditional order {order_id} not found.")
        return order

    def amend_conditional(
        self, account: InvestorAccount, order_id: int, amount: Decimal | None,
        quote: Decimal | None, thresholds: Thresholds | None,
    ) -> ConditionalOrder:
        order = self.conditional_order(account, order_id)
        if order.status != PENDING:
            raise errors.conflict(f"Conditional order {order_id} is {order.status.lower()}.")
        if quote is not None and quote <= 0:
            raise errors.bad_request("The quote must be positive.")
        new_quote = order.quote if quote is None else quote
        if order.threshold is not None:
            # A position's stop loss / take profit: only its level moves; it always covers
            # the whole position.
            current = self.quote(order.product)
            if order.threshold == STOP_LOSS:
                self._check_thresholds(Thresholds(stop_loss=new_quote), current)
            else:
                self._check_thresholds(Thresholds(take_profit=new_quote), current)
            order.quote = new_quote
        else:
            new_amount = order.amount if amount is None else self._check_amount(
                amount, order.side)
            new_thresholds = order.thresholds if thresholds is None else thresholds
            if order.side == SELL and new_thresholds:
                raise errors.bad_request("thresholdParameters apply to BUY orders only.")
            self._check_thresholds(new_thresholds, new_quote)
            order.amount, order.quote, order.thresholds = new_amount, new_quote, new_thresholds
        order.modified_ms = self.now_ms()
        return order

    def cancel_conditional(self, account: InvestorAccount, order_id: int) -> ConditionalOrder:
        order = self.conditional_order(account, order_id)
        if order.status != PENDING:
            raise errors.conflict(f"Conditional order {order_id} is {order.status.lower()}.")
        if order.threshold is not None:
            trade = account.open_trades.get(order.product)
            if trade is not None and trade.stop_loss_id == order_id:
                trade.stop_loss_id = None
            if trade is not None and trade.take_profit_id == order_id:
                trade.take_profit_id = None
        self._finish(order, CANCELLED)
        return order

    def _finish(self, order: ConditionalOrder, status: str, reason: str | None = None) -> None:
        order.status, order.reason = status, reason
        order.closed_ms = order.modified_ms = self.now_ms()

    def pending(self, account: InvestorAccount) -> Iterator[ConditionalOrder]:
        return (o for o in list(account.conditional.values()) if o.status == PENDING)

    def match(self) -> None:
        """Execute (or reject) every pending conditional order its DARWIN's quote has crossed."""
        if not self.market_is_open():
            return
        for account in list(self.accounts.values()):
            for order in sorted(self.pending(account), key=lambda o: o.order_id):
                if order.status != PENDING:  # a close earlier in this pass deleted it
                    continue
                quote = self.quote(order.product)
                if order.triggered_by(quote):
                    self._trigger(account, order, quote)

    def _trigger(self, account: InvestorAccount, order: ConditionalOrder, quote: Decimal) -> None:
        try:
            if order.threshold is not None:
                trade = account.open_trades[order.product]
                filled = self._fill_sell(account, trade, trade.value(quote), quote,
                                         order.threshold, order.order_id)
            elif order.side == BUY:
                product = self.product(order.product)
                self._can_buy(product)
                self._funds(account, order.amount)
                filled = self._fill_buy(account, product, order.amount, quote,
                                        order.thresholds, CONDITIONAL, order.order_id)
            else:
                product = self.product(order.product)
                self._can_sell(product)
                trade = self._held(account, order.product)
                filled = self._fill_sell(account, trade, min(order.amount, trade.value(quote)),
                                         quote, CONDITIONAL, order.order_id)
        except errors.DarwinexError as err:
            self._finish(order, REJECTED, str(err.body.get("status", "")))
            return
        order.execution_quote, order.executed_order_id = quote, filled.order_id
        self._finish(order, EXECUTED)
