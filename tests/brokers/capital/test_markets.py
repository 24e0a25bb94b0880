"""Market data, navigation, watchlists and account preferences against the simulator."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from itertools import pairwise

import pytest

from desktop_app.brokers.capital.service import CapitalService
from desktop_app.domain.errors import NotFound, Rejected
from desktop_app.domain.types import InstrumentKind, LeverageSetting
from tests.brokers.capital.conftest import account_refs


def test_search_finds_markets_with_dealing_rules(
    service: CapitalService, capital_sim, run
) -> None:
    usd, _ = account_refs(capital_sim, service)
    found = run(service.search_instruments(usd, "gold"))
    gold = next(i for i in found if i.symbol == "GOLD")
    spec = capital_sim.state.market.spec("GOLD")
    assert gold.name == "Gold"
    assert gold.kind is InstrumentKind.COMMODITY
    assert gold.currency == "USD"
    assert gold.min_size == spec.min_size
    assert gold.tradeable
    assert gold.bid is not None and gold.offer is not None and gold.bid < gold.offer
    assert run(service.search_instruments(usd, "  ")) == []
    assert run(service.search_instruments(usd, "no such market at all")) == []


def test_market_navigation_from_the_top_to_markets(
    service: CapitalService, capital_sim, run
) -> None:
    usd, _ = account_refs(capital_sim, service)
    groups, markets = run(service.market_navigation(usd, None))
    assert markets == []
    commodities = next(n for n in groups if "commodities" in n.node_id)
    leaves, _ = run(service.market_navigation(usd, commodities.node_id))
    metals = next(n for n in leaves if n.name == "Metals")
    _, instruments = run(service.market_navigation(usd, metals.node_id))
    assert {i.symbol for i in instruments} == {"GOLD", "SILVER"}
    with pytest.raises(NotFound):
        run(service.market_navigation(usd, "hierarchy_v1.nothing_here"))


def test_watchlists_and_their_markets(service: CapitalService, capital_sim, run) -> None:
    usd, _ = account_refs(capital_sim, service)
    lists = run(service.watchlists(usd))
    assert {w.name for w in lists} >= {"Popular", "My watchlist"}
    mine = next(w for w in lists if w.name == "My watchlist")
    symbols = [i.symbol for i in run(service.watchlist_instruments(usd, mine.watchlist_id))]
    assert symbols == capital_sim.state.watchlists[mine.watchlist_id].epics
    with pytest.raises(NotFound) as caught:
        run(service.watchlist_instruments(usd, "999"))
    assert "Watchlist" in str(caught.value)


def test_quote_matches_the_market(service: CapitalService, capital_sim, run) -> None:
    usd, _ = account_refs(capital_sim, service)
    quote = run(service.quote(usd, "EURUSD"))
    market = capital_sim.state.market.quote("EURUSD")
    assert quote.symbol == "EURUSD"
    assert isinstance(quote.bid, Decimal)
    assert quote.offer - quote.bid == market.offer - market.bid
    assert abs(quote.bid - market.bid) < Decimal("0.01")
    assert quote.tradeable
    assert quote.as_of.utcoffset() is not None
    with pytest.raises(NotFound) as caught:
        run(service.quote(usd, "NOPE"))
    assert "Market not found" in str(caught.value)


def test_preferences_get_set_and_invalid_leverage(
    service: CapitalService, capital_sim, run
) -> None:
    _, eur = account_refs(capital_sim, service)
    prefs = run(service.preferences(eur))
    assert prefs.hedging_mode is False
    shares = prefs.leverages["SHARES"]
    other = next(v for v in shares.available if v != shares.current)

    changed = replace(
        prefs, hedging_mode=True,
        leverages={**prefs.leverages, "SHARES": replace(shares, current=other)},
    )
    after = run(service.set_preferences(eur, changed))
    assert after.hedging_mode is True
    assert after.leverages["SHARES"].current == other
    account = capital_sim.state.market.account(eur.account_id)
    assert account.hedging is True
    # Only the EUR account changed: preferences are per account.
    usd_account = capital_sim.state.market.account(capital_sim.state.account_ids()[0])
    assert usd_account.hedging is False

    bad = replace(after, leverages={"SHARES": LeverageSetting(current=600, available=())})
    with pytest.raises(Rejected) as caught:
        run(service.set_preferences(eur, bad))
    assert caught.value.code == "error.invalid.leverage.value"
    assert "leverage" in caught.value.user_text()
    assert run(service.preferences(eur)).leverages["SHARES"].current == other


def test_instrument_details_carry_margin_and_the_days_range(
    service: CapitalService, capital_sim, run
) -> None:
    usd, _ = account_refs(capital_sim, service)
    gold = run(service.instrument_details(usd, "GOLD"))
    facts = {f.label: f.value for f in gold.facts}
    assert gold.symbol == "GOLD" and gold.name == "Gold"
    assert gold.min_size == capital_sim.state.market.spec("GOLD").min_size
    assert facts["Margin factor"].endswith("%")
    assert facts["Minimum size"] == "0.01"
    low, high = (Decimal(v) for v in facts["Day range"].split(" - "))
    assert low <= high
    with pytest.raises(NotFound):
        run(service.instrument_details(usd, "NO_SUCH_EPIC"))


def test_quote_history_is_daily_mid_closes_since_the_date_asked(
    service: CapitalService, capital_sim, run
) -> None:
    from datetime import timedelta

    from desktop_app.domain.money import utc_now

    usd, _ = account_refs(capital_sim, service)
    since = utc_now() - timedelta(days=30)
    points = run(service.quote_history(usd, "EURUSD", since))
    assert 25 <= len(points) <= 32
    assert all(a.at < b.at for a, b in pairwise(points))
    assert all(p.at >= since - timedelta(days=1) for p in points)
    assert all(Decimal("0.5") < p.price < Decimal("2") for p in points)
