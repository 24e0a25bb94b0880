"""/positions, /workingorders and /confirms.

Every dealing request answers ``{"dealReference"}`` at once; the outcome (accepted or
rejected with a reason) is kept for ``GET /confirms/{dealReference}``. New deals and
working orders get ``o_`` references, position amendments and closes ``p_<dealId>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from desktop_app.domain.types import OrderType, Side
from desktop_app.simulators.capital import errors
from desktop_app.simulators.capital.errors import CapitalError
from desktop_app.simulators.capital.parsing import (
    opt_bool,
    opt_decimal,
    opt_utc,
    req_decimal,
    req_direction,
    req_str,
)
from desktop_app.simulators.capital.payloads import confirm, order_entry, position_entry
from desktop_app.simulators.capital.pipeline import Ctx, Endpoint, Reply
from desktop_app.simulators.instruments import InstrumentSpec
from desktop_app.simulators.market import DealResult


@dataclass(frozen=True, slots=True)
class Protection:
    stop_level: Decimal | None
    profit_level: Decimal | None
    guaranteed_stop: bool


def _spec(ctx: Ctx, epic: str) -> InstrumentSpec:
    spec = ctx.market.instruments.get(epic)
    if spec is None:
        raise CapitalError(404, errors.NOT_FOUND_EPIC)
    return spec


def _size(ctx: Ctx, spec: InstrumentSpec) -> Decimal:
    size = req_decimal(ctx.body, "size")
    if size <= 0:
        raise errors.invalid("size")
    size = size.quantize(spec.size_step, rounding=ROUND_DOWN)
    if size < spec.min_size:
        raise CapitalError(400, f"{errors.SIZE_MIN}: {spec.min_size}")
    return size


def _distance_from_amount(
    ctx: Ctx, spec: InstrumentSpec, amount: Decimal, size: Decimal
) -> Decimal:
    """A money amount in the account currency -> a price distance for ``size``."""
    in_instrument = ctx.market.convert(amount, ctx.account.currency, spec.currency)
    return abs(in_instrument) / (size * spec.lot_size)


def _protection(
    ctx: Ctx, spec: InstrumentSpec, side: Side, size: Decimal, reference: Decimal
) -> Protection:
    """Stop loss / take profit from levels, distances or amounts, checked like the server.

    ``reference`` is the price the levels are measured from: the exit side of the market
    for positions, the order level for working orders.
    """
    body = ctx.body
    sign = 1 if side is Side.BUY else -1
    stop = opt_decimal(body, "stopLevel")
    if stop is None and (distance := opt_decimal(body, "stopDistance")) is not None:
        stop = reference - sign * abs(distance)
    if stop is None and (amount := opt_decimal(body, "stopAmount")) is not None:
        stop = reference - sign * _distance_from_amount(ctx, spec, amount, size)
    profit = opt_decimal(body, "profitLevel")
    if profit is None and (distance := opt_decimal(body, "profitDistance")) is not None:
        profit = reference + sign * abs(distance)
    if profit is None and (amount := opt_decimal(body, "profitAmount")) is not None:
        profit = reference + sign * _distance_from_amount(ctx, spec, amount, size)
    guaranteed = opt_bool(body, "guaranteedStop")
    if opt_bool(body, "trailingStop") and not ctx.state.trailing_stops_enabled:
        raise CapitalError(400, errors.TRAILING_STOP_DISABLED)
    if spec.real_stock and stop is not None:
        raise CapitalError(400, errors.STOP_NOT_ALLOWED)
    if spec.real_stock and profit is not None:
        raise CapitalError(400, errors.PROFIT_NOT_ALLOWED)
    if guaranteed and stop is None:
        raise CapitalError(400, errors.GUARANTEED_STOP_NEEDS_STOP)
    if guaranteed and ctx.account.hedging:
        raise CapitalError(400, errors.GUARANTEED_STOP_HEDGING)
    near_percent, far_percent = ctx.state.stop_limit_percent(spec)
    near = reference * near_percent / 100
    far = reference * far_percent / 100
    if stop is not None:
        stop = spec.price_of(stop)
        _check_range(spec, stop, reference - sign * far, reference - sign * near,
                     errors.STOP_MIN, errors.STOP_MAX)
    if profit is not None:
        profit = spec.price_of(profit)
        _check_range(spec, profit, reference + sign * near, reference + sign * far,
                     errors.PROFIT_MIN, errors.PROFIT_MAX)
    return Protection(stop, profit, guaranteed)


def _check_range(spec: InstrumentSpec, level: Decimal, a: Decimal, b: Decimal,
                 too_low: str, too_high: str) -> None:
    low, high = spec.price_of(min(a, b)), spec.price_of(max(a, b))
    if level < low:
        raise CapitalError(400, f"{too_low}: {low}")
    if level > high:
        raise CapitalError(400, f"{too_high}: {high}")


def _store(ctx: Ctx, reference: str, result: DealResult) -> Reply:
    ctx.state.confirms[reference] = confirm(result, reference, ctx.clock)
    return Reply({"dealReference": reference})


# ----------------------------------------------------------------------------- positions
def get_positions(ctx: Ctx) -> Reply:
    account = ctx.account
    entries = [
        position_entry(ctx.market, account, p, ctx.clock)
        for p in sorted(account.positions.values(), key=lambda p: p.created_at)
    ]
    return Reply({"positions": entries})


def _position(ctx: Ctx, deal_id: str) -> Any:
    position = ctx.account.positions.get(deal_id)
    if position is None:
        raise CapitalError(404, errors.NOT_FOUND_DEAL_ID)
    return position


def get_position(ctx: Ctx) -> Reply:
    position = _position(ctx, ctx.params["dealId"])
    return Reply(position_entry(ctx.market, ctx.account, position, ctx.clock))


def post_position(ctx: Ctx) -> Reply:
    # IG-style extras (expiry, orderType, forceOpen, currencyCode) are accepted and ignored.
    spec = _spec(ctx, req_str(ctx.body, "epic"))
    side = req_direction(ctx.body)
    size = _size(ctx, spec)
    quote = ctx.market.quote(spec.symbol)
    exit_price = quote.bid if side is Side.BUY else quote.offer
    protection = _protection(ctx, spec, side, size, exit_price)
    result = ctx.market.open_position(
        ctx.account.account_id, spec.symbol, side, size,
        stop_level=protection.stop_level, profit_level=protection.profit_level,
        guaranteed_stop=protection.guaranteed_stop,
    )
    return _store(ctx, ctx.state.deal_reference(), result)


def put_position(ctx: Ctx) -> Reply:
    """Sets stop and profit as sent: a level left out (or null) is removed. UNCONFIRMED."""
    deal_id = ctx.params["dealId"]
    position = _position(ctx, deal_id)
    spec = ctx.market.spec(position.symbol)
    exit_price = ctx.market.exit_price(position.side, position.symbol)
    protection = _protection(ctx, spec, position.side, position.size, exit_price)
    result = ctx.market.amend_position(
        ctx.account.account_id, deal_id, stop_level=protection.stop_level,
        profit_level=protection.profit_level, guaranteed_stop=protection.guaranteed_stop,
    )
    return _store(ctx, f"p_{deal_id}", result)


def _close(ctx: Ctx, deal_id: str, size: Decimal | None) -> Reply:
    _position(ctx, deal_id)
    result = ctx.market.close_position(ctx.account.account_id, deal_id, size)
    return _store(ctx, f"p_{deal_id}", result)


def delete_position(ctx: Ctx) -> Reply:
    return _close(ctx, ctx.params["dealId"], opt_decimal(ctx.body, "size"))


def delete_positions_by_body(ctx: Ctx) -> Reply:
    """IG-style close that some clients send: DELETE /positions with a JSON body."""
    deal_id = ctx.body.get("dealId")
    size = opt_decimal(ctx.body, "size")
    if deal_id:
        return _close(ctx, str(deal_id), size)
    epic = req_str(ctx.body, "epic")
    closing = req_direction(ctx.body)
    matching = sorted(
        (p for p in ctx.account.positions.values()
         if p.symbol == epic and p.side is closing.opposite),
        key=lambda p: p.created_at,
    )
    if not matching:
        raise CapitalError(404, errors.NOT_FOUND_DEAL_ID)
    remaining = size
    first = matching[0].deal_id
    reply = Reply(None)
    for position in matching:
        if remaining is not None and remaining <= 0:
            break
        qty = min(remaining, position.size) if remaining is not None else None
        reply = _close(ctx, position.deal_id, qty)
        if remaining is not None and qty is not None:
            remaining -= qty
    reply.body = {"dealReference": f"p_{first}"}
    return reply


# ----------------------------------------------------------------------------- working orders
def get_orders(ctx: Ctx) -> Reply:
    orders = sorted(ctx.account.orders.values(), key=lambda o: o.created_at)
    return Reply({"workingOrders": [order_entry(ctx.market, o, ctx.clock) for o in orders]})


def _order_type(ctx: Ctx) -> OrderType:
    text = req_str(ctx.body, "type").upper()
    if text not in ("LIMIT", "STOP"):
        raise errors.invalid("type")
    return OrderType(text)


def _good_till(ctx: Ctx) -> Any:
    good_till = opt_utc(ctx.body, "goodTillDate")
    if good_till is not None and good_till.timestamp() <= ctx.state.clock():
        raise CapitalError(400, errors.NOT_IN_FUTURE_GOOD_TILL)
    return good_till


def post_order(ctx: Ctx) -> Reply:
    spec = _spec(ctx, req_str(ctx.body, "epic"))
    side = req_direction(ctx.body)
    size = _size(ctx, spec)
    level = spec.price_of(req_decimal(ctx.body, "level"))
    if level <= 0:
        raise errors.invalid("level")
    order_type = _order_type(ctx)
    good_till = _good_till(ctx)
    protection = _protection(ctx, spec, side, size, level)
    result = ctx.market.place_order(
        ctx.account.account_id, spec.symbol, side, size, order_type, level,
        good_till=good_till, stop_level=protection.stop_level,
        profit_level=protection.profit_level, guaranteed_stop=protection.guaranteed_stop,
    )
    return _store(ctx, ctx.state.deal_reference(), result)


def _order(ctx: Ctx) -> Any:
    order = ctx.account.orders.get(ctx.params["dealId"])
    if order is None:
        raise CapitalError(404, errors.NOT_FOUND_DEAL_ID)
    return order


def put_order(ctx: Ctx) -> Reply:
    """level and goodTillDate change only when sent; stop and profit are set as sent."""
    order = _order(ctx)
    spec = ctx.market.spec(order.symbol)
    level = opt_decimal(ctx.body, "level")
    level = spec.price_of(level) if level is not None else order.level
    good_till = _good_till(ctx) if "goodTillDate" in ctx.body else order.good_till
    protection = _protection(ctx, spec, order.side, order.size, level)
    result = ctx.market.amend_order(
        ctx.account.account_id, order.deal_id, level=level, good_till=good_till,
        stop_level=protection.stop_level, profit_level=protection.profit_level,
        guaranteed_stop=protection.guaranteed_stop,
    )
    return _store(ctx, ctx.state.deal_reference(), result)


def delete_order(ctx: Ctx) -> Reply:
    order = _order(ctx)
    result = ctx.market.cancel_order(ctx.account.account_id, order.deal_id)
    return _store(ctx, ctx.state.deal_reference(), result)


def get_confirm(ctx: Ctx) -> Reply:
    found = ctx.state.confirms.get(ctx.params["dealReference"])
    if found is None:
        raise CapitalError(404, errors.NOT_FOUND_DEAL_REFERENCE)
    return Reply(found)


ENDPOINTS = [
    Endpoint("GET", "/positions", get_positions),
    Endpoint("POST", "/positions", post_position, trading=True),
    Endpoint("DELETE", "/positions", delete_positions_by_body),
    Endpoint("GET", "/positions/{dealId}", get_position),
    Endpoint("PUT", "/positions/{dealId}", put_position),
    Endpoint("DELETE", "/positions/{dealId}", delete_position),
    Endpoint("GET", "/workingorders", get_orders),
    Endpoint("POST", "/workingorders", post_order, trading=True),
    Endpoint("PUT", "/workingorders/{dealId}", put_order),
    Endpoint("DELETE", "/workingorders/{dealId}", delete_order),
    Endpoint("GET", "/confirms/{dealReference}", get_confirm),
]
