"""Orders, fills and positions of the Tradovate simulator, on the shared market.

The shared market holds cash, the open contracts (netted per contract, FIFO) and the
Limit/Stop orders it matches lazily; this module keeps what Tradovate shows on top:
integer order ids with their versions, fills, execution reports, and per-contract
position records (bought/sold counts and values for the day).

Market orders and marketable limits fill at once at the touch; Limit and Stop orders
work in the shared market until the price crosses them; a StopLimit waits here until
the quote touches its stop and then works as a Limit. Outside CME's hours every order
gets ``SessionClosed``, except that limit and stop orders are taken in the pre-open.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from desktop_app.domain.types import OrderType, Side
from desktop_app.simulators.hours import SessionState
from desktop_app.simulators.market import MARKET_CLOSED, DealResult, Market
from desktop_app.simulators.tradovate.catalog import Contract

ACTIONS = ("Buy", "Sell")
ORDER_TYPES = ("Limit", "MIT", "Market", "QTS", "Stop", "StopLimit", "TrailingStop",
               "TrailingStopLimit")
SUPPORTED_TYPES = ("Market", "Limit", "Stop", "StopLimit")
TIME_IN_FORCE = ("Day", "FOK", "GTC", "GTD", "IOC")
WORKING = "Working"


def trade_date_of(at: datetime) -> tuple[int, int, int]:
    """CME trade date: the session that opens at 22:00 UTC belongs to the next day."""
    shifted = (at + timedelta(hours=2)).date()
    return shifted.year, shifted.month, shifted.day


def trade_date_start(at: datetime) -> datetime:
    year, month, day = trade_date_of(at)
    return datetime(year, month, day, tzinfo=UTC) - timedelta(hours=2)


def trade_week_start(at: datetime) -> datetime:
    start = trade_date_start(at)
    monday = start + timedelta(hours=2)
    return start - timedelta(days=monday.weekday())


@dataclass(frozen=True, slots=True)
class Failure:
    """A PlaceOrderResult / CommandResult failure (``failureReason``, ``failureText``)."""

    reason: str
    text: str


@dataclass(slots=True)
class OrderVersion:
    version_id: int
    order_id: int
    qty: int
    order_type: str
    price: Decimal | None
    stop_price: Decimal | None
    time_in_force: str
    expire_time: datetime | None
    text: str | None


@dataclass(slots=True)
class Order:
    order_id: int
    account_id: int
    contract: Contract
    action: str
    status: str
    created_at: datetime
    versions: list[OrderVersion]
    cl_ord_id: str | None
    is_automated: bool
    admin: bool = False
    command_id: int = 0  # the latest New/Modify/Cancel command
    market_deal_id: str | None = None  # while it works in the shared market
    triggered: bool = False  # a StopLimit whose stop was touched
    expires_at: datetime | None = None
    cum_qty: int = 0
    avg_price: Decimal | None = None

    @property
    def version(self) -> OrderVersion:
        return self.versions[-1]

    @property
    def side(self) -> Side:
        return Side.BUY if self.action == "Buy" else Side.SELL


@dataclass(frozen=True, slots=True)
class Fill:
    fill_id: int
    order_id: int
    contract_id: int
    at: datetime
    action: str
    qty: int
    price: Decimal


@dataclass(frozen=True, slots=True)
class ExecutionReport:
    report_id: int
    command_id: int
    account_id: int
    contract_id: int
    at: datetime
    order_id: int
    exec_type: str
    ord_status: str
    action: str
    cum_qty: int
    avg_px: Decimal | None
    last_qty: int | None = None
    last_px: Decimal | None = None
    reject_reason: str | None = None
    text: str | None = None


@dataclass(slots=True)
class PositionRecord:
    position_id: int
    account_id: int
    contract: Contract
    at: datetime
    bought: int = 0
    bought_value: Decimal = Decimal(0)
    sold: int = 0
    sold_value: Decimal = Decimal(0)

    @property
    def net_pos(self) -> int:
        return self.bought - self.sold


@dataclass(slots=True)
class OrderRequest:
    account_id: int
    contract: Contract
    action: str
    qty: int
    order_type: str
    price: Decimal | None
    stop_price: Decimal | None
    time_in_force: str
    expire_time: datetime | None
    text: str | None
    cl_ord_id: str | None
    is_automated: bool


_REASONS = {MARKET_CLOSED: ("SessionClosed", "Market is closed"),
            "INSUFFICIENT_FUNDS": ("OtherExecutionRelated", "Insufficient margin")}


class Ids:
    """Increasing integer ids per entity kind, starting at seeded values."""

    def __init__(self, starts: dict[str, int]) -> None:
        self._next = dict(starts)

    def __call__(self, kind: str) -> int:
        value = self._next[kind]
        self._next[kind] = value + 1
        return value


@dataclass
class Book:
    market: Market
    ids: Ids
    now: Callable[[], datetime]
    orders: dict[int, Order] = field(default_factory=dict)
    fills: list[Fill] = field(default_factory=list)
    reports: list[ExecutionReport] = field(default_factory=list)
    positions: dict[tuple[int, int], PositionRecord] = field(default_factory=dict)

    # ----------------------------------------------------------------- validation
    def check(self, request: OrderRequest) -> Failure | None:
        tick = request.contract.product.tick_size
        kind = request.order_type
        if kind not in SUPPORTED_TYPES:
            return Failure("Unsupported", f"{kind} orders are not supported by this simulator")
        if kind in ("Limit", "StopLimit") and request.price is None:
            return Failure("InvalidPrice", f"{kind} order needs a price")
        if kind in ("Stop", "StopLimit") and request.stop_price is None:
            return Failure("InvalidPrice", f"{kind} order needs a stopPrice")
        for value in (request.price, request.stop_price):
            if value is not None and (value <= 0 or value % tick != 0):
                return Failure("InvalidPrice",
                               f"Price {value} is not a multiple of the tick size {tick}")
        if request.time_in_force == "GTD" and request.expire_time is None:
            return Failure("UnknownReason", "expireTime is required for GTD orders")
        return None

    # ----------------------------------------------------------------- placing
    def place(self, request: OrderRequest) -> Order | Failure:
        failure = self.check(request)
        if failure is not None:
            return failure
        now = self.now()
        order_id = self.ids("order")
        version = OrderVersion(self.ids("orderVersion"), order_id, request.qty,
                               request.order_type, request.price, request.stop_price,
                               request.time_in_force, request.expire_time, request.text)
        order = Order(order_id, request.account_id, request.contract, request.action, WORKING,
                      now, [version], request.cl_ord_id, request.is_automated)
        order.expires_at = self._expiry(version, now)
        if request.order_type == "Market":
            result = self._deal(order, request.qty)
            if not result.accepted:
                reason, text = _REASONS.get(result.reason, ("UnknownReason", result.reason))
                return Failure(reason, text)
            self.orders[order_id] = order
            self._command(order)
            self._report(order, "New", WORKING)
            self._filled(order, result)
            return order
        # Limit and stop orders are taken in CME's pre-open too (they work from the open).
        if self.market.session(request.contract.name) is SessionState.CLOSED:
            return Failure(*_REASONS[MARKET_CLOSED])
        self.orders[order_id] = order
        self._command(order)
        self._report(order, "New", WORKING)
        self._work(order)
        self.sync()
        if order.status == WORKING and version.time_in_force in ("IOC", "FOK"):
            self._end(order, "Expired", "Expired")
        return order

    def _expiry(self, version: OrderVersion, now: datetime) -> datetime | None:
        if version.order_type == "Market":
            return None
        if version.time_in_force == "Day":
            return trade_date_start(now) + timedelta(days=1)
        if version.time_in_force == "GTD":
            return version.expire_time
        return None

    def _deal(self, order: Order, qty: int) -> DealResult:
        return self.market.open_position(str(order.account_id), order.contract.name,
                                         order.side, Decimal(qty), order_id=str(order.order_id))

    def _work(self, order: Order) -> None:
        """Hand a Limit/Stop (or a triggered StopLimit) to the shared market."""
        version = order.version
        if version.order_type == "StopLimit" and not order.triggered:
            return  # waits here for its stop, see _trigger_stop_limit
        kind, level = ((OrderType.STOP, version.stop_price) if version.order_type == "Stop"
                       else (OrderType.LIMIT, version.price))
        assert level is not None
        result = self.market.place_order(
            str(order.account_id), order.contract.name, order.side, Decimal(version.qty),
            kind, level, good_till=order.expires_at,
        )
        order.market_deal_id = result.order_id

    def _unwork(self, order: Order) -> None:
        deal_id, order.market_deal_id = order.market_deal_id, None
        account = self.market.account(str(order.account_id))
        if deal_id is not None and deal_id in account.orders:
            self.market.cancel_order(str(order.account_id), deal_id)

    # ----------------------------------------------------------------- commands
    def cancel(self, order_id: int) -> int | Failure:
        order = self.orders.get(order_id)
        if order is None:
            return Failure("UnknownReason", f"Order {order_id} not found")
        if order.status != WORKING:
            return Failure("TooLate", f"Order is {order.status}")
        self._unwork(order)
        command_id = self._command(order)
        self._end(order, "Canceled", "Canceled")
        return command_id

    def modify(self, order_id: int, qty: int, order_type: str, price: Decimal | None,
               stop_price: Decimal | None, time_in_force: str | None,
               expire_time: datetime | None, text: str | None) -> int | Failure:
        order = self.orders.get(order_id)
        if order is None:
            return Failure("UnknownReason", f"Order {order_id} not found")
        if order.status != WORKING:
            return Failure("TooLate", f"Order is {order.status}")
        current = order.version
        request = OrderRequest(order.account_id, order.contract, order.action, qty, order_type,
                               price, stop_price, time_in_force or current.time_in_force,
                               expire_time or current.expire_time, text or current.text,
                               order.cl_ord_id, order.is_automated)
        failure = self.check(request)
        if failure is not None:
            return failure
        self._unwork(order)
        order.triggered = False
        order.versions.append(OrderVersion(
            self.ids("orderVersion"), order.order_id, qty, order_type, price, stop_price,
            request.time_in_force, request.expire_time, request.text))
        order.expires_at = self._expiry(order.version, self.now())
        command_id = self._command(order)
        self._report(order, "Replaced", WORKING)
        if order_type == "Market":
            result = self._deal(order, qty)
            if result.accepted:
                self._filled(order, result)
            else:
                self._end(order, "Rejected", "Rejected", reject=_REASONS.get(result.reason))
            return command_id
        self._work(order)
        self.sync()
        return command_id

    def liquidate(self, account_id: int, contract: Contract, admin: bool) -> Order | Failure:
        """Cancel the contract's working orders, then flatten its position at the market."""
        for order in list(self.orders.values()):
            if (order.account_id, order.contract.contract_id) == (
                account_id, contract.contract_id) and order.status == WORKING:
                self.cancel(order.order_id)
        net = self.net_position(account_id, contract)[0]
        if net == 0:
            return Failure("UnknownReason", "No position to liquidate")
        request = OrderRequest(account_id, contract, "Sell" if net > 0 else "Buy", abs(net),
                               "Market", None, None, "Day", None, None, None, True)
        placed = self.place(request)
        if isinstance(placed, Order):
            placed.admin = admin
        return placed

    # ----------------------------------------------------------------- matching
    def sync(self) -> None:
        """Bring orders up to date with what the shared market did since the last request."""
        self.market.sync()
        triggered = False
        for order in self.working():
            if order.market_deal_id is not None:
                account = self.market.account(str(order.account_id))
                if order.market_deal_id not in account.orders:
                    self._settle(order)
            elif order.version.order_type == "StopLimit" and not order.triggered:
                triggered = self._trigger_stop_limit(order) or triggered
        if triggered:  # a limit that is marketable at once fills now
            self.sync()

    def working(self) -> Iterator[Order]:
        return (o for o in list(self.orders.values()) if o.status == WORKING)

    def _settle(self, order: Order) -> None:
        deal_id = order.market_deal_id
        order.market_deal_id = None
        result = next((r for r in reversed(self.market.activity) if r.order_id == deal_id
                       and r.kind == "POSITION"), None)
        if result is None:  # the market removed it without a deal: it expired
            self._end(order, "Expired", "Expired")
        elif result.accepted:
            self._filled(order, result)
        else:
            self._end(order, "Rejected", "Rejected", reject=_REASONS.get(result.reason))

    def _trigger_stop_limit(self, order: Order) -> bool:
        version = order.version
        if order.expires_at is not None and order.expires_at <= self.now():
            self._end(order, "Expired", "Expired")
            return False
        quote = self.market.quote(order.contract.name)
        assert version.stop_price is not None
        touched = (quote.offer >= version.stop_price if order.side is Side.BUY
                   else quote.bid <= version.stop_price)
        if touched:
            order.triggered = True
            self._work(order)
        return touched

    # ----------------------------------------------------------------- records
    def _filled(self, order: Order, result: DealResult) -> None:
        assert result.level is not None and result.size is not None
        qty, price, at = int(result.size), result.level, self.now()
        self.fills.append(Fill(self.ids("fill"), order.order_id, order.contract.contract_id,
                               at, order.action, qty, price))
        order.status = "Filled"
        order.cum_qty, order.avg_price = qty, price
        record = self.position_record(order.account_id, order.contract)
        record.at = at
        if order.action == "Buy":
            record.bought += qty
            record.bought_value += qty * price
        else:
            record.sold += qty
            record.sold_value += qty * price
        self._report(order, "Trade", "Filled", last_qty=qty, last_px=price)

    def _end(self, order: Order, exec_type: str, status: str,
             reject: tuple[str, str] | None = None) -> None:
        order.status = status
        self._report(order, exec_type, status, reject_reason=reject[0] if reject else None,
                     text=reject[1] if reject else None)

    def _command(self, order: Order) -> int:
        order.command_id = self.ids("command")
        return order.command_id

    def _report(self, order: Order, exec_type: str, status: str, *, last_qty: int | None = None,
                last_px: Decimal | None = None, reject_reason: str | None = None,
                text: str | None = None) -> None:
        self.reports.append(ExecutionReport(
            self.ids("executionReport"), order.command_id, order.account_id,
            order.contract.contract_id, self.now(), order.order_id, exec_type, status,
            order.action, order.cum_qty, order.avg_price, last_qty, last_px, reject_reason, text,
        ))

    def position_record(self, account_id: int, contract: Contract) -> PositionRecord:
        key = (account_id, contract.contract_id)
        record = self.positions.get(key)
        if record is None:
            record = self.positions[key] = PositionRecord(
                self.ids("position"), account_id, contract, self.now())
        return record

    def net_position(self, account_id: int, contract: Contract) -> tuple[int, Decimal | None]:
        """(net contracts, average open price) from the shared market's open positions."""
        account = self.market.account(str(account_id))
        held = [p for p in account.positions.values() if p.symbol == contract.name]
        net = sum((p.size if p.side is Side.BUY else -p.size for p in held), Decimal(0))
        if not held:
            return 0, None
        size = sum((p.size for p in held), Decimal(0))
        average = sum((p.size * p.level for p in held), Decimal(0)) / size
        places = Decimal(1).scaleb(-(contract.product.decimals + 4))
        return int(net), average.quantize(places).normalize()
