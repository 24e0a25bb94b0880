"""Alerts, each made to happen at the Capital.com simulator the way it happens at a broker:
an order from the app fills; a working order fills when the price crosses it, or the
broker cancels it; a stop loss, a take profit or the broker (a stop-out) closes a
position; the connection is lost and comes back. What the app does itself (its own
close, its own cancel) is no alert. Each alert is in the activity log; a kind turned off
is not shown but still logged."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from desktop_app.domain.types import OrderType, Side
from desktop_app.storage.settings import AlertPrefs, Settings
from desktop_app.viewmodels.alerts_vm import Alert
from desktop_app.viewmodels.app_vm import AppViewModel
from tests.viewmodels.sandbox import SYMBOL, running_app, wait_for
from tests.viewmodels.test_app_vm import choose


def collect(app_vm: AppViewModel) -> list[Alert]:
    alerts: list[Alert] = []
    app_vm.alerts.alerted.connect(alerts.append)
    return alerts


def of(alerts: list[Alert], kind: str) -> list[Alert]:
    return [a for a in alerts if a.kind == kind]


async def buy(app_vm: AppViewModel, *, stop: str = "", profit: str = "") -> str:
    """A market BUY of 0.01 BTCUSD from the ticket; the new position's id."""
    ticket, positions = app_vm.ticket, app_vm.positions.positions
    before = {positions.key(r) for r in range(positions.rowCount())}
    ticket.set_order_type(OrderType.MARKET)
    ticket.set_size_text("0.01")
    ticket.set_stop_text(stop)
    ticket.set_profit_text(profit)
    sending = ticket.submit(Side.BUY)
    await wait_for(lambda: sending.done() or ticket.awaiting_confirmation, what="the order")
    if not sending.done():  # the same order moments ago: yes, a second one is meant
        ticket.confirm_duplicate(True)
    result = await sending
    assert result is not None and result.accepted, ticket.result_text

    def new() -> str | None:
        keys = {positions.key(r) for r in range(positions.rowCount())}
        return next(iter(keys - before), None)

    return await wait_for(new, what="the new position")


def account_id(app_vm: AppViewModel) -> str:
    assert app_vm.accounts.selected is not None
    return app_vm.accounts.selected.account_id


def logged(app_vm: AppViewModel, title: str) -> bool:
    app_vm.activity.model.flush()
    return any(r.kind == "alert" and r.summary.startswith(title)
               for r in app_vm.activity.model.rows())


def test_an_order_from_the_app_fills_and_its_own_close_is_no_alert(capital_sim, qrun):
    async def scenario():
        async with running_app(capital_sim) as app_vm:
            alerts = collect(app_vm)
            await choose(app_vm, "Bitcoin", SYMBOL)
            key = await buy(app_vm)
            filled = await wait_for(lambda: of(alerts, "order_filled"), what="the fill alert")
            assert filled[0].title == "Order filled"
            assert filled[0].text.startswith("BUY 0.01 BTCUSD at ")
            assert "DEMO" in filled[0].text and filled[0].notify and not filled[0].sound
            assert logged(app_vm, "Order filled: BUY 0.01 BTCUSD")
            # Closed from the app: the positions panel says so; no alert.
            closed = await app_vm.positions.close_position(key)
            assert closed is not None and closed.accepted
            await wait_for(lambda: app_vm.positions.positions.rowCount() == 0, what="closed")
            await asyncio.sleep(2.5)  # two more polls of the positions
            assert of(alerts, "position_closed") == []
            assert len(of(alerts, "order_filled")) == 1  # the close is no "order filled"

    qrun(scenario(), timeout=90)


def test_a_working_order_filled_in_the_background(capital_sim, qrun):
    async def scenario():
        async with running_app(capital_sim) as app_vm:
            alerts = collect(app_vm)
            ticket, orders = app_vm.ticket, app_vm.positions.orders
            await choose(app_vm, "Bitcoin", SYMBOL)
            market = capital_sim.state.market
            market.freeze_prices()
            level = (ticket.quote.bid * Decimal("0.99")).quantize(Decimal("0.01"))
            ticket.set_order_type(OrderType.LIMIT)
            ticket.set_size_text("0.01")
            ticket.set_level_text(str(level))
            result = await ticket.submit(Side.BUY)
            assert result is not None and result.accepted, ticket.result_text
            await wait_for(lambda: orders.rowCount() == 1, what="the working order")
            assert of(alerts, "order_filled") == []  # placed, not filled
            market.set_price(SYMBOL, level * Decimal("0.98"))  # the market comes down to it
            filled = await wait_for(lambda: of(alerts, "working_order_filled"), within=20,
                                    what="the working order's fill")
            assert filled[0].title == "Working order filled"
            assert filled[0].text.startswith(f"BUY limit 0.01 BTCUSD at {level}")
            await wait_for(lambda: app_vm.positions.positions.rowCount() == 1,
                           what="its position")
            await asyncio.sleep(1.5)
            assert of(alerts, "working_order_cancelled") == []
            assert of(alerts, "position_closed") == []
            assert logged(app_vm, "Working order filled: BUY limit 0.01 BTCUSD")

    qrun(scenario(), timeout=90)


def test_a_working_order_cancelled_by_the_broker_but_not_the_apps_own_cancel(capital_sim,
                                                                              qrun):
    async def scenario():
        async with running_app(capital_sim) as app_vm:
            alerts = collect(app_vm)
            ticket, orders = app_vm.ticket, app_vm.positions.orders
            await choose(app_vm, "Bitcoin", SYMBOL)
            ticket.set_order_type(OrderType.LIMIT)
            ticket.set_size_text("0.01")
            for factor in ("0.8", "0.7"):
                level = (ticket.quote.bid * Decimal(factor)).quantize(Decimal("0.01"))
                ticket.set_level_text(str(level))
                result = await ticket.submit(Side.BUY)
                assert result is not None and result.accepted, ticket.result_text
            await wait_for(lambda: orders.rowCount() == 2, what="two working orders")
            mine, theirs = orders.key(0), orders.key(1)
            cancelled = await app_vm.positions.cancel_order(mine)
            assert cancelled is not None and cancelled.accepted
            # The other one goes at the broker (another platform, the broker's desk).
            capital_sim.state.market.cancel_order(account_id(app_vm), theirs)
            alert = (await wait_for(lambda: of(alerts, "working_order_cancelled"),
                                    within=20, what="the cancel alert"))[0]
            assert alert.title == "Working order cancelled"
            assert "(outside the app)" in alert.text and alert.warning
            await asyncio.sleep(2.5)
            assert len(of(alerts, "working_order_cancelled")) == 1  # not the app's own
            assert of(alerts, "working_order_filled") == []

    qrun(scenario(), timeout=90)


def test_stop_loss_take_profit_and_a_stop_out_close_positions(capital_sim, qrun):
    async def scenario():
        async with running_app(capital_sim) as app_vm:
            alerts = collect(app_vm)
            ticket = app_vm.ticket
            market = capital_sim.state.market
            await choose(app_vm, "Bitcoin", SYMBOL)
            market.freeze_prices()
            await wait_for(lambda: ticket.quote is not None, what="a quote")
            bid = ticket.quote.bid
            stop = (bid * Decimal("0.98")).quantize(Decimal("0.01"))
            await buy(app_vm, stop=str(stop))
            market.set_price(SYMBOL, bid * Decimal("0.95"))  # through the stop
            hit = (await wait_for(lambda: of(alerts, "position_closed"), within=20,
                                  what="the stop loss alert"))[0]
            assert hit.title == "Stop loss hit" and hit.warning
            assert f"BUY 0.01 BTCUSD closed at its stop ({stop})" in hit.text
            assert "last P/L" in hit.text

            await wait_for(lambda: ticket.quote is not None and ticket.quote.bid < bid,
                           what="the lower quote")
            low = ticket.quote.bid
            profit = (low * Decimal("1.02")).quantize(Decimal("0.01"))
            await buy(app_vm, profit=str(profit))
            market.set_price(SYMBOL, low * Decimal("1.05"))
            took = await wait_for(lambda: of(alerts, "position_closed")[1:], within=20,
                                  what="the take profit alert")
            assert took[0].title == "Take profit hit" and not took[0].warning
            assert f"closed at its take profit ({profit})" in took[0].text

            key = await buy(app_vm)
            market.close_position(account_id(app_vm), key, source="SYSTEM")  # a stop-out
            out = await wait_for(lambda: of(alerts, "position_closed")[2:], within=20,
                                 what="the stop-out alert")
            assert out[0].title == "Position closed by the broker"
            assert "closed outside the app (a stop-out, or another platform)" in out[0].text
            assert logged(app_vm, "Stop loss hit") and logged(app_vm, "Take profit hit")

    qrun(scenario(), timeout=120)


def test_a_lost_connection_is_an_alert_after_the_preference_and_again_when_back(capital_sim,
                                                                               qrun):
    async def scenario():
        async with running_app(capital_sim) as app_vm:
            alerts = collect(app_vm)
            app_vm.set_alert_prefs(AlertPrefs(connection_lost_after=2, sound=True))
            capital_sim.state.fail_next(503, "error.service.unavailable", "", count=10**6)
            lost = (await wait_for(lambda: of(alerts, "connection_lost"), within=30,
                                   what="the lost connection alert"))[0]
            assert lost.title == "Connection lost" and lost.warning and lost.sound
            assert lost.text.startswith("Capital.com demo has had no connection for 2 s")
            assert lost.source == "Capital.com demo"
            capital_sim.state.clear_faults()
            back = await wait_for(lambda: of(alerts, "connection_lost")[1:], within=30,
                                  what="the connection back")
            assert back[0].title == "Connection back"
            assert back[0].text.startswith("Capital.com demo is connected again after ")
            assert logged(app_vm, "Connection lost") and logged(app_vm, "Connection back")

    qrun(scenario(), timeout=90)


def test_a_kind_turned_off_is_logged_not_shown_and_the_choice_is_kept(capital_sim, qrun):
    async def scenario():
        async with running_app(capital_sim) as app_vm:
            alerts = collect(app_vm)
            prefs = AlertPrefs(enabled=frozenset({"connection_lost"}), sound=True,
                               connection_lost_after=45)
            app_vm.set_alert_prefs(prefs)
            await choose(app_vm, "Bitcoin", SYMBOL)
            await buy(app_vm)
            filled = (await wait_for(lambda: of(alerts, "order_filled"),
                                     what="the fill alert"))[0]
            assert not filled.notify and not filled.sound  # off: not shown, no sound
            assert logged(app_vm, "Order filled")  # but written down
            await app_vm.saves.wait_all()
            saved = Settings.load(app_vm.settings.path).alert_prefs()
            assert saved == prefs

    qrun(scenario(), timeout=60)
