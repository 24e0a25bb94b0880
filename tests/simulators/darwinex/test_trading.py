"""Darwinex simulator: the Trading API 1.1 (orders, refusals, leverage, stop-out)."""

from __future__ import annotations

from decimal import Decimal

from desktop_app.domain.exact_json import loads
from tests.simulators.darwinex.dx_http import ACCOUNTS, INFO, TRADING, DarwinexHttp


def test_buy_executes_at_the_quote_and_is_recorded_once(
    darwinex_sim, dx: DarwinexHttp, account: int, held: None
) -> None:
    reply = dx.buy(account, "NTI.4.12", "1000.00")
    assert reply.status_code == 200
    assert set(reply.json()) == {"orderId"} and isinstance(reply.json()["orderId"], int)
    order_id = reply.json()["orderId"]
    (executed,) = dx.get(f"{ACCOUNTS}/investoraccounts/{account}/orders/executed").json()[
        "content"]
    assert executed["orderId"] == order_id
    assert (executed["productName"], executed["side"], executed["amount"], executed["quote"]) == (
        "NTI.4.12", "BUY", 1000, 100)
    assert isinstance(executed["executionDate"], int) and executed["executionDate"] > 1.6e12
    (recorded,) = darwinex_sim.state.orders
    assert (recorded.order_id, recorded.account_id, recorded.amount) == (
        order_id, account, Decimal("1000.00"))


def test_partial_sell_realizes_its_share_and_oversell_is_refused(
    darwinex_sim, dx: DarwinexHttp, account: int, held: None
) -> None:
    assert dx.buy(account, "NTI.4.12", 2000).status_code == 200
    darwinex_sim.state.set_quote("NTI.4.12", "125.00")  # worth 2500 now
    too_much = dx.sell(account, "NTI.4.12", "2500.01")
    assert too_much.status_code == 409 and "2500.00" in too_much.json()["status"]
    assert dx.sell(account, "NTI.4.12", 1000).status_code == 200
    (position,) = loads(dx.get(f"{ACCOUNTS}/investoraccounts/{account}/currentpositions").content)
    assert position["amount"] == Decimal("1500.00")
    assert position["invested"] == Decimal("1200.00")  # 3/5 of the cost is still held
    figures = loads(dx.get(f"{ACCOUNTS}/investoraccounts/{account}").content)
    assert figures["equity"] == Decimal("50500.00")  # 200 realized + 300 open
    assert figures["openPnL"] == Decimal("300.00")
    not_held = dx.sell(account, "LVS.4.20", 500)
    assert not_held.status_code == 409 and "LVS.4.20" in not_held.json()["status"]
    assert dx.sell(account, "NTI.4.12", "1500.00").status_code == 200  # the rest
    assert dx.positions(account) == []
    (closed,) = dx.get(f"{ACCOUNTS}/investoraccounts/{account}/trades/closed").json()["content"]
    assert (closed["pnl"], closed["invested"], closed["amount"]) == (500, 2000, 2500)
    assert len(darwinex_sim.state.orders) == 3


def test_amount_rules(darwinex_sim, dx: DarwinexHttp, account: int, held: None) -> None:
    below = dx.buy(account, "NTI.4.12", "199.99")
    assert below.status_code == 400 and "200.00" in below.json()["status"]
    darwinex_sim.state.min_amount = 50
    assert dx.buy(account, "NTI.4.12", 60).status_code == 200
    above = dx.buy(account, "NTI.4.12", 150_000)  # 149,940 left to invest
    assert above.status_code == 409 and "available to invest" in above.json()["status"]
    assert dx.buy(account, "NTI.4.12", -5).status_code == 400
    assert dx.buy(account, "NTI.4.12", "lots").status_code == 400
    missing = dx.trade(account, "orders/buy", {"amount": 500})
    assert missing.status_code == 400 and "productName" in missing.json()["status"]
    malformed = dx.post(f"{TRADING}/investoraccounts/{account}/orders/buy", content=b"{amount")
    assert malformed.status_code == 400
    assert len(darwinex_sim.state.orders) == 1


def test_closed_market_and_product_flags_refuse_orders(
    darwinex_sim, dx: DarwinexHttp, account: int, held: None
) -> None:
    state = darwinex_sim.state
    assert dx.buy(account, "NTI.4.12", 1000).status_code == 200
    status = dx.get(f"{TRADING}/productmarket/status").json()
    assert set(status) == {"allowBuy", "allowSell", "allowConditionalBuy",
                           "allowConditionalSell", "epochTimestampNextUpdate"}
    assert status["allowBuy"] is status["allowSell"] is True
    state.set_market_open(False)
    status = dx.get(f"{TRADING}/productmarket/status").json()
    assert (status["allowBuy"], status["allowSell"], status["allowConditionalBuy"]) == (
        False, False, True)
    for refused in (dx.buy(account, "LVS.4.20", 500), dx.sell(account, "NTI.4.12", 500),
                    dx.trade(account, "stopout", {})):
        assert refused.status_code == 409 and "closed" in refused.json()["status"]
    state.set_market_open(True)

    closed = dx.buy(account, "DWC.4.20", 500)  # closed to new investors, as recorded
    assert closed.status_code == 409
    assert closed.json() == {"status": "DWC.4.20 is closed to new investments."}
    flags = dx.get(f"{INFO}/products/DWC.4.20/status").json()
    assert (flags["buyAllowed"], flags["sellAllowed"], flags["conditionalBuyAllowed"]) == (
        False, True, False)
    state.set_product_flags("NTI.4.12", sell=False)
    assert dx.sell(account, "NTI.4.12", 500).status_code == 409
    assert dx.get(f"{INFO}/products/NTI.4.12/status").json()["sellAllowed"] is False
    state.set_product_flags("NTI.4.12", sell=True)
    assert dx.sell(account, "NTI.4.12", 500).status_code == 200

    unknown = dx.buy(account, "XXX.4.1", 500)
    assert unknown.status_code == 404 and "XXX.4.1" in unknown.json()["status"]
    deleted = next(p for p in state.catalogue.products.values() if not p.active)
    assert dx.buy(account, deleted.name, 500).status_code == 409
    assert len(state.orders) == 2


def test_leverage(dx: DarwinexHttp, account: int, held: None) -> None:
    path = f"{TRADING}/investoraccounts/{account}/leverage"
    assert dx.get(path).json() == {"leverage": 3.0}
    changed = dx.put(path, json={"leverage": 2.0})
    assert (changed.status_code, changed.json()) == (200, {"leverage": 2.0})
    assert loads(dx.get(f"{ACCOUNTS}/investoraccounts/{account}").content)["leverage"] == 2
    for bad in (0.5, 11, "x", None):
        refused = dx.put(path, json={"leverage": bad})
        assert refused.status_code == 400 and "status" in refused.json()
    assert dx.buy(account, "NTI.4.12", 90_000).status_code == 200
    too_low = dx.put(path, json={"leverage": 1.0})  # 90,000 invested on 50,000 equity
    assert too_low.status_code == 409
    assert dx.get(path).json() == {"leverage": 2.0}


def test_stopout_one_darwin_and_all(
    darwinex_sim, dx: DarwinexHttp, account: int, held: None
) -> None:
    dx.buy(account, "NTI.4.12", 1000)
    dx.buy(account, "LVS.4.20", 1000)
    dx.buy(account, "AEB.5.4", 1000)
    one = dx.trade(account, "stopout/LVS.4.20", {"0": 0})
    assert (one.status_code, one.content) == (200, b"")
    assert sorted(p["productName"] for p in dx.positions(account)) == ["AEB.5.4", "NTI.4.12"]
    assert dx.trade(account, "stopout/LVS.4.20", {}).status_code == 404
    assert dx.trade(account, "stopout/XXX.4.1", {}).status_code == 404
    everything = dx.post(f"{TRADING}/investoraccounts/{account}/stopout", content=b'{"0":0}')
    assert (everything.status_code, everything.content) == (200, b"")
    assert dx.positions(account) == []
    assert dx.post(f"{TRADING}/investoraccounts/{account}/stopout").status_code == 200
    closed = dx.get(f"{ACCOUNTS}/investoraccounts/{account}/trades/closed").json()
    assert closed["totalElements"] == 3
    sells = [o for o in darwinex_sim.state.orders if o.side == "SELL"]
    assert [o.type for o in sells] == ["STOP_OUT"] * 3
    figures = loads(dx.get(f"{ACCOUNTS}/investoraccounts/{account}").content)
    assert figures["invested"] == 0 and figures["equity"] == figures["available"]
