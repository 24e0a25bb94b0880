"""Streamed prices in the view-models: the ticket and the status bar on Tradovate (no REST
quotes), the products view's selected DARWIN; real hubs on the simulators."""

from __future__ import annotations

from decimal import Decimal

from desktop_app.sandbox import sandbox_connection
from desktop_app.session.streams import PriceMode
from desktop_app.viewmodels.app_vm import AppViewModel
from tests.viewmodels.sandbox import running_hub, wait_for


async def _app(hub, sim, broker: str) -> AppViewModel:
    vm = AppViewModel(hub, hub.settings)
    profile, credentials = sandbox_connection(broker, sim)
    await hub.add_connection(profile, credentials, persist=False)
    await wait_for(lambda: vm.accounts.selected is not None, what="a selected account")
    return vm


def test_ticket_and_status_bar_follow_the_tradovate_stream(tradovate_sim, qrun) -> None:
    sim = tradovate_sim
    es = next(c.name for c in sim.state.catalog.contracts.values()
              if c.product.name == "ES" and c.maturity.is_front)
    market, knobs = sim.state.market, sim.state.streams

    async def scenario() -> None:
        async with running_hub() as hub:
            vm = await _app(hub, sim, "tradovate")
            try:
                status, ticket = vm.status, vm.ticket
                found = await ticket.search(es)
                ticket.choose(next(i for i in found if i.symbol == es))
                await wait_for(lambda: ticket.quote is not None, what="the first price")
                await wait_for(lambda: "Tradovate Sandbox ● prices streaming"
                               in status.connection_text, what="streaming in the status bar")
                assert "Prices streaming: Prices stream for 1 symbol" in (
                    status.connection_tooltip)
                market.freeze_prices()
                knobs.refuse(1.0)
                knobs.drop()
                await wait_for(lambda: "prices reconnecting…" in status.connection_text,
                               what="reconnecting in the status bar")
                assert "connection was lost" in status.connection_tooltip
                await wait_for(lambda: "prices streaming" in status.connection_text,
                               within=15, what="streaming again")
                bid = ticket.quote.bid
                market.set_price(es, bid + 25)
                moved = market.quote(es).bid
                await wait_for(lambda: ticket.quote.bid == moved, what="the price to resume")
                assert ticket.bid_text == f"{moved:f}"
            finally:
                await vm.aclose()

    qrun(scenario(), timeout=60)
    # The ticket's quote and details asked at once before the first 404 (no REST quotes
    # here, as at real Tradovate) was known; never again after it.
    assert sim.state.stats["requests"]["GET /md/getquote"] <= 2


def test_the_selected_darwin_streams_in_the_products_view(darwinex_sim, qrun) -> None:
    sim = darwinex_sim
    sim.state.quote_stream.quote_seconds = 0.05

    async def scenario() -> None:
        async with running_hub() as hub:
            vm = await _app(hub, sim, "darwinex")
            try:
                products = vm.products
                found = await products.find("DWC")
                assert [i.symbol for i in found] == ["DWC.4.20"]
                products.select("DWC.4.20")
                cid = vm.accounts.selected.connection
                await wait_for(lambda: "DWC.4.20" in hub.price_feed(cid).streamed,
                               what="the selected DARWIN to stream")
                assert hub.price_feed(cid).mode is PriceMode.STREAMING
                assert hub.poller.focus.quote_symbols == ()  # not polled: the stream has it
                await wait_for(lambda: products.quote is not None, what="its price")
                sim.state.set_quote("DWC.4.20", Decimal("123.45"))
                await wait_for(lambda: "Price 123.45 " in products.details_text,
                               what="the streamed price in the details")
                products.select(None)
                await wait_for(lambda: not hub.price_feed(cid).streamed,
                               what="the stream to let it go")
            finally:
                await vm.aclose()

    qrun(scenario(), timeout=60)
