"""The ticket says when a closed market opens, from the broker's own data, in the trader's
local time with its zone; an order sent anyway gets the broker's own refusal."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from desktop_app.domain.types import OrderRequest, OrderStatus, Side
from desktop_app.viewmodels import formatting as fmt
from tests.viewmodels.sandbox import running_app, wait_for

SATURDAY = datetime(2025, 1, 18, 12, 0, tzinfo=UTC)


def test_local_time_names_its_zone() -> None:
    at = datetime(2025, 1, 19, 22, 0, tzinfo=UTC)
    assert fmt.local_time(at, ZoneInfo("Europe/Berlin")) == "Sun 19 Jan 23:00 CET"
    assert fmt.local_time(at, ZoneInfo("America/New_York")) == "Sun 19 Jan 17:00 EST"
    assert fmt.local_time(at, UTC) == "Sun 19 Jan 22:00 UTC"


def test_capital_ticket_says_when_the_market_opens(capital_sim, qrun):
    async def scenario():
        capital_sim.state.session_clock.move_to(SATURDAY)  # FX is shut at weekends
        async with running_app(capital_sim) as app_vm:
            ticket = app_vm.ticket
            found = await ticket.search("EUR")
            ticket.choose(next(i for i in found if i.symbol == "EURUSD"))
            await wait_for(lambda: ticket.quote is not None, what="the quote")
            opens = ticket.quote.opens_at
            # From the market's openingHours (FX: Sunday 22:00 UTC), whatever today is.
            assert opens is not None and opens > datetime.now(UTC)
            assert (opens.weekday(), opens.hour, opens.minute) == (6, 22, 0)
            assert ticket.market_text() == f"Market closed, opens at {fmt.local_time(opens)}"
            state = ticket.state()
            assert not state.can_send and "opens at" in state.send_why
            # Sent anyway (past the ticket): Capital.com's own refusal, in its words.
            account = app_vm.accounts.selected
            result = await app_vm.hub.place_order(
                OrderRequest(account, "EURUSD", Side.BUY, Decimal(100)))
            assert result.status is OrderStatus.REJECTED
            assert "closed" in result.reason.lower()

    qrun(scenario(), timeout=60)


def test_size_rules_are_stated_for_an_instrument_only(capital_sim, qrun):
    async def scenario():
        async with running_app(capital_sim) as app_vm:
            ticket = app_vm.ticket
            await wait_for(lambda: ticket.account is not None, what="an account")
            assert ticket.size_rules_text == ""  # no instrument: no ceiling out of nowhere
            found = await ticket.search("Bitcoin")
            ticket.choose(next(i for i in found if i.symbol == "BTCUSD"))
            await wait_for(lambda: ticket.instrument is not None, what="the instrument")
            assert ticket.size_rules_text.startswith("min 0.001")
            assert "max " in ticket.size_rules_text

    qrun(scenario(), timeout=60)
