"""Darwinex simulator: the Investor Account Info API 2.0."""

from __future__ import annotations

from decimal import Decimal

from desktop_app.domain.exact_json import loads
from tests.simulators.darwinex.dx_http import ACCOUNTS, DarwinexHttp

ACCOUNT_FIELDS = {"id", "available", "availableToInvest", "leverage", "equity", "openPnL",
                  "invested", "currency", "maxRisk", "risk", "name"}
PAGE_FIELDS = {"content", "pageable", "last", "totalPages", "totalElements", "size", "number",
               "sort", "numberOfElements", "first", "empty"}


def test_account_list_and_single_account_as_recorded(dx: DarwinexHttp, account: int) -> None:
    listed = dx.get(f"{ACCOUNTS}/investoraccounts")
    assert listed.headers["content-type"] == "application/json;charset=UTF-8"
    (entry,) = loads(listed.content)
    assert set(entry) == ACCOUNT_FIELDS | {"manager", "follower"}
    assert entry["manager"] is None and entry["follower"] is None
    single = loads(dx.get(f"{ACCOUNTS}/investoraccounts/{account}").content)
    assert set(single) == ACCOUNT_FIELDS
    assert single["equity"] == Decimal("50000.00") == single["available"]
    assert single["leverage"] == Decimal("3.0")
    assert single["availableToInvest"] == Decimal("150000.00")
    assert single["invested"] == single["openPnL"] == 0
    assert isinstance(single["id"], int)


def test_positions_and_account_figures_follow_a_buy(
    darwinex_sim, dx: DarwinexHttp, account: int, held: None
) -> None:
    assert dx.buy(account, "NTI.4.12", 3000).status_code == 200
    assert dx.buy(account, "LVS.4.20", 1000).status_code == 200
    darwinex_sim.state.set_quote("NTI.4.12", "110.00")
    positions = loads(dx.get(f"{ACCOUNTS}/investoraccounts/{account}/currentpositions").content)
    nti = next(p for p in positions if p["productName"] == "NTI.4.12")
    assert nti["invested"] == Decimal("3000.00")
    assert nti["amount"] == Decimal("3300.00")
    assert nti["pnl"] == Decimal("300.00")
    assert nti["currentQuote"] == Decimal("110.00")
    assert nti["openQuote"] == nti["averageQuote"] == Decimal("100.0000")
    assert nti["thresholds"] == []
    only = dx.get(f"{ACCOUNTS}/investoraccounts/{account}/currentpositions",
                  params={"productName": "LVS.4.20"}).json()
    assert [p["productName"] for p in only] == ["LVS.4.20"]
    figures = loads(dx.get(f"{ACCOUNTS}/investoraccounts/{account}").content)
    assert figures["invested"] == Decimal("4000.00")
    assert figures["openPnL"] == Decimal("300.00")
    assert figures["equity"] == Decimal("50300.00")
    # exposure 4300 at leverage 3: 50300 * 3 - 4300
    assert figures["availableToInvest"] == Decimal("146600.00")


def test_paged_lists_and_single_lookups(
    darwinex_sim, dx: DarwinexHttp, account: int, held: None
) -> None:
    order_ids = []
    for amount in (500, 600, 700):
        reply = dx.buy(account, "NTI.4.12", amount)
        order_ids.append(reply.json()["orderId"])
    base = f"{ACCOUNTS}/investoraccounts/{account}"
    page = dx.get(f"{base}/orders/executed", params={"page": 1, "per_page": 2}).json()
    assert set(page) == PAGE_FIELDS
    assert (page["totalElements"], page["totalPages"], page["number"], page["size"]) == (3, 2, 1, 2)
    assert (page["first"], page["last"], page["numberOfElements"]) == (False, True, 1)
    assert page["pageable"]["offset"] == 2
    assert [o["orderId"] for o in page["content"]] == [order_ids[0]]  # newest first
    first = dx.get(f"{base}/orders/executed").json()
    assert first["size"] == 50 and len(first["content"]) == 3
    order = dx.get(f"{base}/orders/{order_ids[1]}").json()
    assert (order["side"], order["amount"], order["quote"], order["type"]) == (
        "BUY", 600, 100, "MARKET")
    assert dx.get(f"{base}/orders/999").status_code == 404
    assert dx.get(f"{base}/orders/executed", params={"productName": "LVS.4.20"}).json()[
        "totalElements"] == 0

    (trade,) = dx.get(f"{base}/trades/open").json()["content"]
    assert (trade["status"], trade["invested"]) == ("OPEN", 1800)
    assert dx.get(f"{base}/trades/{trade['tradeId']}").json()["tradeId"] == trade["tradeId"]
    assert dx.get(f"{base}/trades/closed").json()["empty"] is True
    assert dx.get(f"{base}/conditionalorders/pending").json()["content"] == []
    assert dx.get(f"{base}/conditionalorders/12345").status_code == 404
    bad = dx.get(f"{base}/conditionalorders/sideways")
    assert bad.status_code == 400 and "status" in bad.json()
    assert dx.get(f"{base}/orders/executed", params={"per_page": 0}).status_code == 400
    assert dx.get(f"{base}/performancefees").json() == []
    assert dx.get(f"{base}/performancefees/NTI.4.12").json() == []
    assert dx.get(f"{base[:-1]}x/currentpositions").status_code == 400  # not a number
