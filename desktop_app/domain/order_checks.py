"""The rules an order's fields must keep, and what makes an order unusual enough to ask.

Pure Python, so the ticket, the hub and the services can apply the same checks:

- ``size_error`` / ``price_error``: bounds first (before any arithmetic, so ``1e28``
  never reaches ``size % step``), then minimum and step;
- ``protection_errors``: stop loss and take profit on the right side of the order's
  reference price;
- ``order_errors``: all of the above for a complete ``OrderRequest``;
- ``unusual_order``: why an order that keeps every rule may still be a slip of the
  finger (a level far through the market, a size many times the usual one, a value
  many times the account): the ticket asks before sending, showing these texts.

Field keys are the ticket's (``F_SIZE`` ...), so a message lands next to its field.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext

from desktop_app.domain.types import Instrument, OrderRequest, OrderType, Quote, Side, SizeUnit

F_INSTRUMENT = "instrument"
F_SIZE = "size"
F_LEVEL = "level"
F_STOP = "stop"
F_PROFIT = "profit"
F_STOP_PRICE = "stop_price"

LEVEL_TYPES = (OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT)


@dataclass(frozen=True, slots=True)
class OrderLimits:
    """Bounds and thresholds (configurable; the defaults suit a retail account)."""

    # No retail order comes near these; they keep typos such as a pasted account number
    # (and numbers past Decimal's precision) away from the broker and the arithmetic.
    max_size: Decimal = Decimal(100_000_000)
    max_price: Decimal = Decimal(1_000_000_000)
    # A limit or stop order whose level is this many percent *through* the market (a buy
    # limit above the offer, a buy stop below it) fills or triggers at once.
    through_market_pct: Decimal = Decimal(3)
    # A resting level this far away from the market is more likely a typo (515 for 5150).
    away_from_market_pct: Decimal = Decimal(50)
    # A size this many times the trader's last size for the same instrument.
    usual_size_factor: Decimal = Decimal(10)
    # A value at the market this many times the account's equity.
    equity_factor: Decimal = Decimal(20)
    # A value at the market above this (in the instrument's currency); None: no bound.
    max_notional: Decimal | None = None


DEFAULT_LIMITS = OrderLimits()


@dataclass(frozen=True, slots=True)
class Concern:
    """Why an order that keeps the rules is worth a second look (shown before sending)."""

    field: str
    text: str


def _num(value: Decimal) -> str:
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def size_ceiling(instrument: Instrument | None, limits: OrderLimits = DEFAULT_LIMITS) -> Decimal:
    """The largest size the ticket accepts for ``instrument``."""
    return limits.max_size


def is_cash_sized(instrument: Instrument | None) -> bool:
    """Whether the size is an amount of money (Darwinex: EUR to invest), not units."""
    if instrument is None:
        return False
    return instrument.size_units[:1] == (SizeUnit.CASH,) or (
        instrument.size_label.lower().startswith("amount")
    )


def size_error(
    size: Decimal | None, instrument: Instrument | None, limits: OrderLimits = DEFAULT_LIMITS
) -> str | None:
    """What is wrong with ``size`` for ``instrument``, or None."""
    if size is None:
        return "Enter a size."
    if not size.is_finite():
        return "Size must be a number."
    if size <= 0:
        return "Size must be greater than 0."
    ceiling = size_ceiling(instrument, limits)
    if size > ceiling:
        return f"Size must be at most {_num(ceiling)}."
    if instrument is None:
        return None
    if instrument.min_size and size < instrument.min_size:
        return f"Size must be at least {_num(instrument.min_size)}."
    step = instrument.size_step
    if step and step > 0 and not _multiple_of(size, step):
        return f"Size must be a multiple of {_num(step)}."
    return None


def _multiple_of(value: Decimal, step: Decimal) -> bool:
    # Bounded values, but a broker's step may have many places: enough precision for the
    # quotient, and an impossible one reads as "not a multiple" instead of raising.
    with localcontext() as ctx:
        ctx.prec = 80
        try:
            return value % step == 0
        except InvalidOperation:
            return False


def price_error(
    value: Decimal | None, label: str, limits: OrderLimits = DEFAULT_LIMITS
) -> str | None:
    """Bounds of a level, stop price, stop loss or take profit (None: fine or empty)."""
    if value is None:
        return None
    if not value.is_finite():
        return f"{label} must be a number."
    if value <= 0:
        return f"{label} must be greater than 0."
    if value > limits.max_price:
        return f"{label} must be at most {_num(limits.max_price)}."
    return None


def market_price(side: Side, quote: Quote | None) -> Decimal | None:
    """What the order would trade at now: the offer for a buy, the bid for a sell."""
    if quote is None:
        return None
    return quote.offer if side is Side.BUY else quote.bid


def protection_errors(
    side: Side,
    level: Decimal | None,
    quote: Quote | None,
    stop: Decimal | None,
    profit: Decimal | None,
) -> dict[str, str]:
    """Stop loss below / take profit above a buy's reference (the order level, else the
    offer), the other way round for a sell."""
    errors: dict[str, str] = {}
    if stop is None and profit is None:
        return errors
    ref: Decimal | None
    if level is not None:
        ref, what = level, "the order level"
    else:
        ref = market_price(side, quote)
        what = "the offer" if side is Side.BUY else "the bid"
    if ref is None:
        errors[F_STOP if stop is not None else F_PROFIT] = (
            "Waiting for a price to check the stop loss / take profit against."
        )
        return errors
    shown = f"{ref:f}"
    if side is Side.BUY:
        if stop is not None and stop >= ref:
            errors[F_STOP] = f"For a buy, the stop loss must be below {shown} ({what})."
        if profit is not None and profit <= ref:
            errors[F_PROFIT] = f"For a buy, the take profit must be above {shown} ({what})."
    else:
        if stop is not None and stop <= ref:
            errors[F_STOP] = f"For a sell, the stop loss must be above {shown} ({what})."
        if profit is not None and profit >= ref:
            errors[F_PROFIT] = f"For a sell, the take profit must be below {shown} ({what})."
    return errors


def request_errors(
    request: OrderRequest, limits: OrderLimits = DEFAULT_LIMITS
) -> dict[str, str]:
    """The rules that need neither the instrument nor the market: bounds, levels present
    where the order type needs them. The hub and every service apply these before
    anything is sent; the ticket applies them as part of ``order_errors``."""
    return order_errors(request, None, None, limits, market_rules=False)


def request_error(request: OrderRequest, limits: OrderLimits = DEFAULT_LIMITS) -> str | None:
    """The first of ``request_errors`` (None: the request may go on)."""
    return next(iter(request_errors(request, limits).values()), None)


def order_errors(
    request: OrderRequest,
    instrument: Instrument | None,
    quote: Quote | None,
    limits: OrderLimits = DEFAULT_LIMITS,
    *,
    market_rules: bool = True,
) -> dict[str, str]:
    """Every field rule for a complete request (empty: it may be sent); without
    ``market_rules`` the stop loss / take profit sides are not checked (no price)."""
    errors: dict[str, str] = {}
    if not request.symbol.strip():
        errors[F_INSTRUMENT] = "Choose an instrument first."
    if (message := size_error(request.size, instrument, limits)) is not None:
        errors[F_SIZE] = message
    kind = request.order_type.value.lower().replace("_", "-")
    if request.order_type in LEVEL_TYPES and request.level is None:
        errors[F_LEVEL] = f"A {kind} order needs a level."
    if request.order_type is OrderType.STOP_LIMIT and request.stop_price is None:
        errors[F_STOP_PRICE] = "A stop-limit order needs a stop (trigger) price."
    for key, value, label in (
        (F_LEVEL, request.level, "Level"),
        (F_STOP_PRICE, request.stop_price, "Stop price"),
        (F_STOP, request.stop_level, "Stop loss"),
        (F_PROFIT, request.profit_level, "Take profit"),
    ):
        if key not in errors and (message := price_error(value, label, limits)) is not None:
            errors[key] = message
    if not errors and market_rules:
        errors.update(protection_errors(
            request.side, request.level, quote, request.stop_level, request.profit_level
        ))
    return errors


def _pct(part: Decimal, whole: Decimal) -> Decimal:
    return (part / whole * 100).quantize(Decimal("0.1"))


def level_concerns(
    side: Side, order_type: OrderType, level: Decimal | None, quote: Quote | None,
    limits: OrderLimits = DEFAULT_LIMITS, *, label: str = "level", field: str = F_LEVEL,
) -> list[Concern]:
    """A limit or stop ``level`` far through the market (it would fill or trigger at
    once) or very far away from it. For a stop-limit order pass its stop price as a
    STOP; its limit level is only checked for distance (it lies beyond the stop)."""
    market = market_price(side, quote)
    if level is None or market is None or market <= 0 or order_type is OrderType.MARKET:
        return []
    what = "the offer" if side is Side.BUY else "the bid"
    distance = _pct(abs(level - market), market)
    above = level > market
    direction = "above" if above else "below"
    through = False
    if order_type is OrderType.LIMIT:  # a buy limit above the offer fills at once
        through = above if side is Side.BUY else level < market
    elif order_type is OrderType.STOP:  # a buy stop below the offer triggers at once
        through = level < market if side is Side.BUY else above
    if through and distance > limits.through_market_pct:
        verb = "fill" if order_type is OrderType.LIMIT else "trigger"
        kind = order_type.value.lower()
        return [Concern(field, (
            f"The {label} {level:f} is {distance} % {direction} {what} ({market:f}): "
            f"a {side.value.lower()} {kind} there would {verb} at once, at the market."
        ))]
    if not through and distance > limits.away_from_market_pct:
        return [Concern(field, (
            f"The {label} {level:f} is {distance} % {direction} {what} ({market:f})."
        ))]
    return []


def notional(
    request: OrderRequest, instrument: Instrument | None, quote: Quote | None
) -> Decimal | None:
    """The order's value at the market: size × price (the amount itself when the size is
    an amount of money). A futures contract's point value is not in it."""
    if is_cash_sized(instrument) or request.size_unit is SizeUnit.CASH:
        return request.size
    price = request.level if request.level is not None else market_price(request.side, quote)
    if price is None:
        return None
    return request.size * price


def unusual_order(
    request: OrderRequest,
    instrument: Instrument | None,
    quote: Quote | None,
    *,
    usual_size: Decimal | None = None,
    equity: Decimal | None = None,
    equity_currency: str = "",
    limits: OrderLimits = DEFAULT_LIMITS,
) -> list[Concern]:
    """Why this order (which keeps every rule) deserves a second look; [] if it does not.

    ``usual_size``: the trader's last size for this instrument; ``equity``: the account's.
    """
    concerns = level_concerns(request.side, request.order_type, request.level, quote, limits)
    if request.order_type is OrderType.STOP_LIMIT:
        concerns += level_concerns(
            request.side, OrderType.STOP, request.stop_price, quote, limits,
            label="stop price", field=F_STOP_PRICE,
        )
    if usual_size and usual_size > 0 and request.size >= usual_size * limits.usual_size_factor:
        times = (request.size / usual_size).quantize(Decimal(1))
        concerns.append(Concern(F_SIZE, (
            f"The size {_num(request.size)} is {times}× your last size for "
            f"{request.symbol} ({_num(usual_size)})."
        )))
    value = notional(request, instrument, quote)
    if value is not None:
        currency = (instrument.currency if instrument else "") or equity_currency
        shown = f"{_money(value)} {currency}".strip()
        if equity is not None and equity > 0 and value > equity * limits.equity_factor:
            times = (value / equity).quantize(Decimal(1))
            concerns.append(Concern(F_SIZE, (
                f"Its value at the market is about {shown}, {times}× this account's "
                f"equity ({_money(equity)} {equity_currency})".rstrip() + "."
            )))
        elif limits.max_notional is not None and value > limits.max_notional:
            concerns.append(Concern(F_SIZE, (
                f"Its value at the market is about {shown}, above "
                f"{_money(limits.max_notional)}."
            )))
    return concerns
