"""The app view-model over a real Hub on the Capital.com simulator."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from PySide6.QtCore import QByteArray

from desktop_app.domain.types import OrderType, Side
from desktop_app.session.events import ConnectionState
from desktop_app.storage.settings import Settings
from desktop_app.viewmodels.accounts_model import AGE_COLUMN
from desktop_app.viewmodels.order_ticket_vm import F_LEVEL, F_PROFIT, F_SIZE, F_STOP
from tests.viewmodels.sandbox import SYMBOL, running_app, wait_for


async def choose(app_vm, text: str, symbol: str):
    found = await app_vm.ticket.search(text)
    inst = next(i for i in found if i.symbol == symbol)
    app_vm.ticket.choose(inst)
    await wait_for(lambda: app_vm.ticket.quote is not None, what="the first quote")
    return inst


def test_accounts_selection_drives_the_panels(capital_sim, qrun):
    async def scenario():
        async with running_app(capital_sim) as app_vm:
            hub, accounts = app_vm.hub, app_vm.accounts
            rows = accounts.rows()
            assert len(rows) == 2 and all(r.state is ConnectionState.CONNECTED for r in rows)
            first = accounts.selected
            assert first == rows[0].ref
            assert first == app_vm.positions.account == app_vm.ticket.account
            assert first == app_vm.funding.account == app_vm.chart.account
            assert hub.settings.selected_account == first
            assert hub.poller.focus.account == first
            row = accounts.model.row_for_account(first)
            assert accounts.model.data(accounts.model.index(row, 2)) == "10,000.00"
            assert accounts.model.data(accounts.model.index(row, AGE_COLUMN)).endswith("s ago")
            other = rows[1].ref
            accounts.select(other)
            assert app_vm.positions.account == other == app_vm.chart.account
            assert app_vm.funding.account == other == hub.poller.focus.account
            assert hub.settings.selected_account == other
            # Stale values are marked (here: everything is older than -1 s).
            accounts.stale_after = timedelta(seconds=-1)
            accounts.refresh()
            model = accounts.model
            assert model.data(model.index(0, AGE_COLUMN)).startswith("stale · ")
            assert "Stale: last updated" in model.tooltip(model.item(0), 2)

    qrun(scenario(), timeout=60)


def test_search_see_quote_move_buy_and_close(capital_sim, qrun):
    async def scenario():
        async with running_app(capital_sim) as app_vm:
            ticket = app_vm.ticket
            await choose(app_vm, "Bitcoin", SYMBOL)
            assert ticket.quote_symbols() == {SYMBOL}
            # Capital.com streams: the ticket's symbol is streamed once the stream is up,
            # and polled over REST only until then.
            hub, cid = app_vm.hub, ticket.account.connection
            await wait_for(lambda: SYMBOL in hub.price_feed(cid).streamed, what="the stream")
            assert hub.poller.focus.quote_symbols == ()
            first = ticket.quote
            assert first.bid < first.offer
            # Live bid/offer: the stream's QuoteUpdated events move the ticket's quote.
            await wait_for(
                lambda: (ticket.quote.bid, ticket.quote.offer) != (first.bid, first.offer),
                within=10, what="the quote to move",
            )
            ticket.set_size_text("0.01")
            result = await ticket.submit(Side.BUY)
            assert result is not None and result.accepted, ticket.result_text
            assert ticket.result_text.startswith("Confirmed: BUY 0.01 BTCUSD")
            assert result.deal_ids[0] in ticket.result_text
            positions = app_vm.positions.positions
            await wait_for(lambda: positions.rowCount() == 1, what="the position")
            position = positions.item(0)
            assert position.symbol == SYMBOL and position.size == Decimal("0.01")
            closed = await app_vm.positions.close_position(positions.key(0))
            assert closed is not None and closed.accepted
            await wait_for(lambda: positions.rowCount() == 0, what="the position to go")
            app_vm.activity.model.flush()
            summaries = [r.summary for r in app_vm.activity.model.rows() if r.kind == "order"]
            assert any(s.startswith("Confirmed: BUY") for s in summaries), summaries
            # The close says what was closed, at what price, with its P/L.
            closes = [s for s in summaries if s.startswith("Closed BUY 0.01 BTCUSD")]
            assert closes, summaries
            assert " at " in closes[0] and "P/L" in closes[0], closes[0]

    qrun(scenario(), timeout=60)


def test_limit_order_then_cancel(capital_sim, qrun):
    async def scenario():
        async with running_app(capital_sim) as app_vm:
            ticket = app_vm.ticket
            await choose(app_vm, "Bitcoin", SYMBOL)
            ticket.set_order_type(OrderType.LIMIT)
            ticket.set_size_text("0.01")
            level = (ticket.quote.bid * Decimal("0.8")).quantize(Decimal("0.01"))
            ticket.set_level_text(str(level))
            result = await ticket.submit(Side.BUY)
            assert result is not None and result.accepted, ticket.result_text
            assert ticket.result_text.startswith("Accepted: BUY")
            orders = app_vm.positions.orders
            await wait_for(lambda: orders.rowCount() == 1, what="the working order")
            assert orders.item(0).level == level
            cancelled = await app_vm.positions.cancel_order(orders.key(0))
            assert cancelled is not None and cancelled.accepted
            await wait_for(lambda: orders.rowCount() == 0, what="the order to be cancelled")

    qrun(scenario(), timeout=60)


def test_validation_blocks_sending(capital_sim, qrun):
    async def scenario():
        async with running_app(capital_sim) as app_vm:
            ticket = app_vm.ticket
            assert not ticket.state().can_send and "instrument" in ticket.state().send_why
            assert await ticket.submit(Side.BUY) is None
            inst = await choose(app_vm, "Bitcoin", SYMBOL)
            ticket.set_size_text("0")
            assert ticket.errors[F_SIZE] == "Size must be greater than 0."
            ticket.set_size_text("abc")
            assert "not a number" in ticket.errors[F_SIZE]
            ticket.set_size_text(str(inst.min_size / 10))
            assert ticket.errors[F_SIZE].startswith("Size must be at least")
            ticket.set_size_text("0.01")
            assert F_SIZE not in ticket.errors
            ticket.set_order_type(OrderType.STOP)
            assert await ticket.submit(Side.BUY) is None
            assert ticket.errors[F_LEVEL] == "A stop order needs a level."
            ticket.set_order_type(OrderType.MARKET)
            bid, offer = ticket.quote.bid, ticket.quote.offer
            ticket.set_stop_text(str(offer * 2))  # a buy's stop above the price
            ticket.set_profit_text(str(bid / 2))  # and its target below it
            assert await ticket.submit(Side.BUY) is None
            assert ticket.errors[F_STOP].startswith("For a buy, the stop loss must be below")
            assert ticket.errors[F_PROFIT].startswith("For a buy, the take profit must be above")
            ticket.set_stop_text(str(bid / 2))
            ticket.set_profit_text(str(offer * 2))
            assert await ticket.submit(Side.SELL) is None
            assert ticket.errors[F_STOP].startswith("For a sell, the stop loss must be above")
            assert ticket.result_text.startswith("Not sent:")
            assert app_vm.hub.order_journal() == []  # nothing reached the hub

    qrun(scenario(), timeout=60)


def test_closed_market_and_refused_stops(capital_sim, qrun):
    async def scenario():
        async with running_app(capital_sim) as app_vm:
            ticket = app_vm.ticket
            await choose(app_vm, "Bitcoin", SYMBOL)
            assert ticket.state().can_send
            capital_sim.state.market.set_status(SYMBOL, "CLOSED")
            await wait_for(lambda: not ticket.state().can_send, what="the market to close")
            assert "Market closed" in ticket.state().send_why
            assert ticket.market_text().startswith("Market closed")
            capital_sim.state.market.set_status(SYMBOL, "TRADEABLE")
            # An instrument that refuses stop loss / take profit (a real, non-CFD share):
            # the adapter maps that to ``stops_allowed``; the ticket follows the flag.
            found = await ticket.search("Apple")
            apple = next(i for i in found if i.symbol == "AAPL")
            ticket.choose(replace(apple, stops_allowed=False))
            state = ticket.state()
            assert not state.stops_enabled and "does not accept a stop loss" in state.stops_why

    qrun(scenario(), timeout=60)


def test_top_up_and_journal(capital_sim, qrun):
    async def scenario():
        async with running_app(capital_sim) as app_vm:
            funding = app_vm.funding
            assert funding.availability() == (True, "")
            assert "Amount from 0.01 to 40,000.00" in funding.rules_text()
            funding.set_amount_text("0")
            assert funding.amount_error == "The amount must not be 0."
            funding.set_amount_text("50000")
            assert funding.amount_error.startswith("The amount must be at most 40,000.00")
            assert await funding.submit() is None
            assert app_vm.hub.funding_journal() == []
            funding.set_amount_text("500")
            assert funding.amount_error == ""
            result = await funding.submit()
            assert result is not None and result.accepted, funding.result_text
            assert funding.result_text.startswith("Done: Demo top-up of 500.00")
            await wait_for(lambda: funding.journal.rowCount() == 1, what="the journal row")
            model = funding.journal
            assert model.data(model.index(0, 3)).startswith("500.00")
            assert model.data(model.index(0, 4)) == "USD"  # its own cell: a sum in a sheet
            assert model.data(model.index(0, 5)) == "completed"

    qrun(scenario(), timeout=60)


def test_switch_account_and_preferences(capital_sim, qrun):
    async def scenario():
        async with running_app(capital_sim) as app_vm:
            accounts = app_vm.accounts
            inactive = next(r.ref for r in accounts.rows() if not r.account.active)
            accounts.select(inactive)
            assert accounts.switch_state()[0]
            await accounts.switch_to_selected()
            active = {r.ref: r.account.active for r in accounts.rows()}
            assert active[inactive] is True and sum(active.values()) == 1
            assert accounts.switch_state() == (
                False, "This is already the session's active account."
            )
            assert accounts.preferences_state()[0] is True
            prefs_vm = app_vm.preferences_vm()
            loaded = []
            prefs_vm.loaded.connect(loaded.append)
            await prefs_vm.load()
            prefs = loaded[-1]
            crypto = prefs.leverages["CRYPTOCURRENCIES"]
            new_value = next(v for v in crypto.available if v != crypto.current)
            chosen = {k: s.current for k, s in prefs.leverages.items()}
            chosen["CRYPTOCURRENCIES"] = new_value
            await prefs_vm.save(prefs.hedging_mode, chosen)
            await prefs_vm.load()
            assert loaded[-1].leverages["CRYPTOCURRENCIES"].current == new_value
            assert prefs_vm.save(False, {"SHARES": 7}) is None  # 7:1 is not offered

    qrun(scenario(), timeout=60)


def test_theme_and_window_state_persist(capital_sim, qrun):
    async def scenario():
        async with running_app(capital_sim) as app_vm:
            assert app_vm.theme == "dark"
            assert app_vm.toggle_theme() == "light"
            app_vm.save_window(QByteArray(b"geometry-bytes"), QByteArray(b"state-bytes"))
            reloaded = Settings.load(app_vm.settings.path)
            assert reloaded.theme == "light"
            assert reloaded.window_state and reloaded.window_geometry
            assert bytes(app_vm.window_state().data()) == b"state-bytes"

    qrun(scenario(), timeout=60)


def test_navigation_and_watchlists_load_lazily(capital_sim, qrun):
    from PySide6.QtCore import QModelIndex

    from desktop_app.domain.types import Instrument

    async def expand(model, index):
        assert model.canFetchMore(index)
        model.fetchMore(index)
        await wait_for(lambda: model.rowCount(index) > 0, what="children")
        return [model.index(r, 0, index) for r in range(model.rowCount(index))]

    async def scenario():
        async with running_app(capital_sim) as app_vm:
            nav = app_vm.ticket.navigation
            root = QModelIndex()
            assert nav.rowCount(root) == 0 and nav.hasChildren(root)
            groups = await expand(nav, root)
            commodities = next(i for i in groups if "commodities" in i.data())
            assert nav.instrument_at(commodities) is None
            leaves = await expand(nav, commodities)
            metals = next(i for i in leaves if i.data() == "Metals")
            assert nav.parent(metals) == commodities
            markets = await expand(nav, metals)
            found = {nav.instrument_at(i).symbol for i in markets}
            assert found == {"GOLD", "SILVER"}
            assert not nav.hasChildren(markets[0])  # instruments are leaves
            assert not nav.canFetchMore(metals)  # fetched once only

            lists = app_vm.ticket.watchlists
            names = await expand(lists, root)
            assert [i.data() for i in names] == ["Popular", "My watchlist"]
            members = await expand(lists, names[0])
            assert all(isinstance(lists.instrument_at(i), Instrument) for i in members)

    qrun(scenario(), timeout=60)


def test_broker_rejection_and_errors_are_shown_not_raised(capital_sim, qrun):
    async def scenario():
        async with running_app(capital_sim) as app_vm:
            ticket = app_vm.ticket
            await choose(app_vm, "Bitcoin", SYMBOL)
            ticket.set_size_text("1000")  # far beyond a 10,000 demo balance
            pending = ticket.submit(Side.BUY)
            # Worth about 65 million: the ticket asks before sending; sent, it is refused.
            question = ticket.pending_question
            assert question is not None and "× this account's equity" in question.text
            assert app_vm.hub.order_journal() == []
            ticket.confirm(True)
            result = await pending
            assert result is not None and not result.accepted
            assert ticket.result_text.startswith("Rejected: BUY 1000 BTCUSD · ")
            assert result.reason and result.reason in ticket.result_text
            # A 400 with the broker's error code: rejected, with the broker's reason.
            # (GET /positions polls share the path: a few faults, so the POST gets one.)
            capital_sim.state.fail_next(400, "error.invalid.stoploss.minvalue: 17.146",
                                        path_prefix="/positions", count=3)
            ticket.set_size_text("0.01")
            result = await ticket.submit(Side.BUY)
            assert result is not None and not result.accepted
            assert "17.146" in ticket.result_text and ticket.result_text.startswith("Rejected")
            # Closing what is not there: the broker's reason, in the panel and the log.
            actions = []
            app_vm.positions.actionDone.connect(lambda text, ok: actions.append((text, ok)))
            closed = await app_vm.positions.close_position("no-such-deal")
            assert closed is not None and not closed.accepted
            text, ok = actions[-1]
            assert not ok and text.startswith("Not closed: no-such-deal · ")
            assert closed.reason in text
            # An error the hub raises becomes its user text, never a traceback.
            statuses = []
            ticket.searchStatus.connect(statuses.append)
            capital_sim.state.fail_next(400, "error.null.searchTerm", path_prefix="/markets",
                                        count=3)
            assert await ticket.search("Gold") == []
            assert statuses[-1].startswith("Capital.com") and "Traceback" not in statuses[-1]
            app_vm.activity.model.flush()
            rows = app_vm.activity.model.rows()
            assert any(r.kind == "order" and r.failed and r.summary == text for r in rows)
            assert any(r.kind == "request" and r.failed and " 400 " in f" {r.summary} "
                       for r in rows)

    qrun(scenario(), timeout=60)
