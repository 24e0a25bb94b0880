"""The History tab for Capital.com: dealing activity (a request per day, with its FIQL
filter) and transactions (realised P/L, deposits and top-ups), each with its own kind,
read from the simulator over loopback HTTP."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

from desktop_app.brokers.capital.service import CapitalService
from desktop_app.domain.money import utc_now
from desktop_app.domain.types import (
    FundingKind,
    FundingRequest,
    OrderRequest,
    OrderType,
    Side,
)
from tests.brokers.capital.conftest import account_refs

SIZE = Decimal("0.01")  # Bitcoin: trades around the clock
ACTIVITY = "GET /history/activity"


def kinds(entries) -> list[str]:
    return [e.kind for e in entries]


def backdate_activity(sim, deal_id: str, days: float) -> None:
    market = sim.state.market
    for i, result in enumerate(market.activity):
        if any(a.deal_id == deal_id for a in result.affected):
            market.activity[i] = replace(result, at=result.at - timedelta(days=days))


def test_the_history_says_what_each_entry_is(
    service: CapitalService, capital_sim, run, request_log
) -> None:
    usd, _ = account_refs(capital_sim, service)
    assert service.capabilities.history
    run(service.accounts())
    since = utc_now() - timedelta(days=7)
    before = run(service.history(usd, since))
    assert kinds(before) == ["Deposit"]  # the account's opening deposit
    assert before[0].profit_loss == capital_sim.state.market.account(usd.account_id).ledger[
        0].amount

    run(service.fund(FundingRequest(usd, FundingKind.DEMO_TOPUP, Decimal("500"))))
    opened = run(service.place_order(OrderRequest(usd, "BTCUSD", Side.BUY, SIZE)))
    (deal_id,) = opened.deal_ids
    closed = run(service.close_position(usd, deal_id))
    order = run(service.place_order(OrderRequest(
        usd, "BTCUSD", Side.BUY, SIZE, OrderType.LIMIT, level=Decimal("1000"))))
    run(service.cancel_order(usd, order.deal_ids[0]))
    capital_sim.state.market.set_status("ETHUSD", "CLOSED")
    run(service.place_order(OrderRequest(usd, "ETHUSD", Side.BUY, Decimal("0.5"))))

    entries = run(service.history(usd, since))
    assert kinds(entries) == [
        "Order refused", "Working order cancelled", "Working order placed",
        "Position closed", "Realised P/L", "Position opened", "Deposit", "Deposit",
    ]
    by_kind = {e.kind: e for e in entries}
    opened_entry, closed_entry = by_kind["Position opened"], by_kind["Position closed"]
    assert (opened_entry.symbol, opened_entry.side, opened_entry.size) == (
        "BTCUSD", Side.BUY, SIZE)
    assert opened_entry.name == "Bitcoin/USD" or opened_entry.name
    assert closed_entry.side is Side.SELL and closed_entry.level == closed.level
    assert deal_id in opened_entry.note and deal_id in closed_entry.note
    realised = by_kind["Realised P/L"]
    assert realised.profit_loss == closed.profit_loss and realised.symbol == "BTCUSD"
    assert realised.currency == "USD" and "Trade closed" in realised.note
    assert entries[-2].profit_loss == Decimal("500")  # the top-up, newest deposit first
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)
    assert len({e.entry_id for e in entries}) == len(entries)

    # A day per activity request (the broker's limit), each with the FIQL filter.
    sent = [e.url for e in request_log.entries if "/history/activity" in e.url]
    assert len(sent) >= 2 * 7
    query = parse_qs(urlsplit(sent[-1]).query)
    assert query["filter"] == ["type==POSITION,WORKING_ORDER,EDIT_STOP_AND_LIMIT"]
    assert query["detailed"] == ["true"]


def test_days_apart_and_a_position_opened_before_the_range(
    service: CapitalService, capital_sim, run, request_log
) -> None:
    usd, _ = account_refs(capital_sim, service)
    old = run(service.place_order(OrderRequest(usd, "BTCUSD", Side.BUY, SIZE)))
    (old_id,) = old.deal_ids
    backdate_activity(capital_sim, old_id, days=10)  # opened ten days ago
    kept = run(service.place_order(OrderRequest(usd, "ETHUSD", Side.SELL, Decimal("0.5"))))
    (kept_id,) = kept.deal_ids
    backdate_activity(capital_sim, kept_id, days=3)  # opened three days ago, still open
    run(service.close_position(usd, old_id))
    request_log.entries.clear()
    entries = run(service.history(usd, utc_now() - timedelta(days=5)))
    deals = [e for e in entries if e.kind.startswith("Position")]
    # The BUY's opening is older than the range: its one row there is its close.
    assert [(e.kind, e.symbol, e.side) for e in deals] == [
        ("Position closed", "BTCUSD", Side.SELL), ("Position opened", "ETHUSD", Side.SELL)]
    assert old_id in deals[0].note and kept_id in deals[1].note
    assert deals[1].at < utc_now() - timedelta(days=2)
    assert sum("/history/activity" in e.url for e in request_log.entries) == 6  # 5 days + 1


def test_a_stop_loss_closes(service: CapitalService, capital_sim, run) -> None:
    usd, _ = account_refs(capital_sim, service)
    quote = run(service.quote(usd, "BTCUSD"))
    opened = run(service.place_order(OrderRequest(
        usd, "BTCUSD", Side.BUY, SIZE, stop_level=(quote.bid * Decimal("0.995")).quantize(
            Decimal("0.01")))))
    (deal_id,) = opened.deal_ids
    market = capital_sim.state.market
    position = market.account(usd.account_id).positions[deal_id]
    market.close_position(usd.account_id, deal_id, source="SL", level=position.stop_level)
    entries = run(service.history(usd, utc_now() - timedelta(hours=1)))
    assert kinds(entries)[:3] == ["Closed by stop loss", "Realised P/L", "Position opened"]
    assert "Stop loss" in entries[1].note and "source SL" in entries[0].note
