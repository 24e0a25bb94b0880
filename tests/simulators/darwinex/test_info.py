"""Darwinex simulator: the DARWIN Info API 2.0."""

from __future__ import annotations

import datetime as dt
import itertools
import time

from tests.simulators.darwinex.dx_http import INFO, DarwinexHttp

SUMMARY_FIELDS = {"productName", "shortName", "status", "migrationDate", "validationDate",
                  "resetDate", "currency"}


def test_product_pages(dx: DarwinexHttp) -> None:
    everything = dx.get(f"{INFO}/products").json()
    assert 40 <= everything["totalElements"] <= 60
    active = dx.get(f"{INFO}/products", params={"status": "ACTIVE", "per_page": 2}).json()
    deleted = dx.get(f"{INFO}/products", params={"status": "DELETED"}).json()
    assert active["totalElements"] + deleted["totalElements"] == everything["totalElements"]
    assert deleted["totalElements"] > 0
    assert {p["status"] for p in deleted["content"]} == {"DELETED"}
    assert set(active["content"][0]) == SUMMARY_FIELDS
    assert active["totalPages"] == -(-active["totalElements"] // 2)
    last = dx.get(f"{INFO}/products", params={"status": "ACTIVE", "per_page": 2,
                                               "page": active["totalPages"] - 1}).json()
    assert last["last"] is True and last["first"] is False
    names = {p["productName"] for p in everything["content"]}
    assert {"DWC.4.20", "AEB.5.4", "NTI.4.12", "LVS.4.20"} <= names
    dwc = next(p for p in everything["content"] if p["productName"] == "DWC.4.20")
    assert dwc["shortName"] == "DWC" and dwc["resetDate"] == 0
    assert dx.get(f"{INFO}/products", params={"status": "GONE"}).status_code == 400


def test_filter_search(dx: DarwinexHttp) -> None:
    def search(**body: object) -> list[dict]:
        response = dx.post(f"{INFO}/products", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    base = {"order": "DESC", "orderField": "return", "perPage": 50, "period": "6m"}
    found = search(filter=[{"name": "drawdown", "options": [{"min": -10, "max": 0,
                                                             "period": "6m"}]}], page=0, **base)
    assert found, "some DARWIN should have lost less than 10% in six months"
    assert all(-10 <= p["drawdown"] <= 0 for p in found)
    returns = [p["return"] for p in found]
    assert returns == sorted(returns, reverse=True)
    assert search(filter=[], page=1, **base) == []  # fewer than 50 ACTIVE: page 1 is the end
    by_score = search(filter=[{"name": "dscore", "options": [{"min": 50, "max": 100}]}], page=0,
                      **{**base, "orderField": "dscore", "order": "ASC"})
    assert by_score and all(p["dscore"] >= 50 for p in by_score)
    assert [p["dscore"] for p in by_score] == sorted(p["dscore"] for p in by_score)
    paged = search(filter=[], page=1, **{**base, "perPage": 5})
    assert len(paged) == 5
    bad = dx.post(f"{INFO}/products", json={"filter": [{"name": "luck", "options": []}]})
    assert bad.status_code == 400 and "luck" in bad.json()["status"]


def test_scores_are_bare_numbers(darwinex_sim, dx: DarwinexHttp) -> None:
    scores = dx.get(f"{INFO}/products/DWC.4.20/scores").json()
    assert set(scores) == {"productName", "dc", "os", "cs", "mc", "rplus", "ra", "ex", "pf",
                           "score", "rminus", "rs", "sc", "la", "cp"}
    dxscore = dx.get(f"{INFO}/products/DWC.4.20/dxscore")
    assert dxscore.text == str(scores["score"])
    assert dx.get(f"{INFO}/products/DWC.4.20/scores/EXPERIENCE").json() == scores["ex"]
    assert dx.get(f"{INFO}/products/DWC.4.20/scores/NOPE").status_code == 400
    assert dx.get(f"{INFO}/products/DWC.4.20/monthlydivergence").json() == 0.0


def test_status(darwinex_sim, dx: DarwinexHttp) -> None:
    darwinex_sim.state.set_quote("NTI.4.12", "123.45")
    status = dx.get(f"{INFO}/products/NTI.4.12/status")
    assert status.headers["content-type"] == "application/json"
    body = status.json()
    assert len(body) >= 24
    assert body["quote"] == 123.45
    assert (body["buyAllowed"], body["sellAllowed"], body["status"]) == (True, True, "ACTIVE")
    assert abs(body["quoteDate"] / 1000 - time.time()) < 60
    for key in ("productReturn", "drawdown", "invested", "numInvestors", "currency",
                "averageDLeverage", "conditionalBuyAllowed", "conditionalSellAllowed"):
        assert key in body
    deleted = next(p for p in darwinex_sim.state.catalogue.products.values() if not p.active)
    gone = dx.get(f"{INFO}/products/{deleted.name}/status").json()
    assert (gone["status"], gone["buyAllowed"], gone["sellAllowed"]) == ("DELETED", False, False)
    unknown = dx.get(f"{INFO}/products/XXX.4.1/status")
    assert unknown.status_code == 404 and "XXX.4.1" in unknown.json()["status"]


def test_daily_quote_history(dx: DarwinexHttp) -> None:
    rows = dx.get(f"{INFO}/products/LVS.4.20/history/quotes").json()
    assert len(rows) > 300
    assert 95 < rows[0][1] < 105  # a DARWIN starts at 100 on its validation day
    days = [dt.datetime.fromtimestamp(ms / 1000, dt.UTC) for ms, _ in rows]
    assert all(d.weekday() < 5 and d.hour == 21 for d in days)
    assert all(later > earlier for earlier, later in itertools.pairwise(days))
    start, end = rows[10][0], rows[20][0]
    window = dx.get(f"{INFO}/products/LVS.4.20/history/quotes",
                    params={"start": start, "end": end}).json()
    assert window == rows[10:21]


RECORDED_STATUS_FIELDS = [
    "productName", "quote", "quoteDate", "buyAllowed", "sellAllowed", "conditionalBuyAllowed",
    "conditionalSellAllowed", "returnPercentage", "estimatedOpenDate", "traderEquity", "status",
    "username", "description", "confirmationDate", "migrationDate", "productReturn",
    "drawdown", "invested", "currency", "numInvestors", "monthlyDivergenceInvestors",
    "returnRisk", "communityDarwin", "averageDLeverage",
]


def test_status_has_the_recorded_fields_and_the_d_leverage(darwinex_sim, dx) -> None:
    body = dx.get(f"{INFO}/products/NTI.4.12/status").json()
    assert list(body) == RECORDED_STATUS_FIELDS  # the recording's fields, in its order
    assert body["averageDLeverage"] == darwinex_sim.state.catalogue.products[
        "NTI.4.12"].d_leverage


def test_attribute_histories_share_element_one_and_carry_their_own_detail(
    darwinex_sim, dx: DarwinexHttp
) -> None:
    product = darwinex_sim.state.catalogue.products["NTI.4.12"]
    kinds = ("experience", "riskadjustment", "capacity", "openstrategy", "closestrategy",
             "performance", "durationconsistency", "winningconsistency", "losingconsistency")
    series = {k: dx.get(f"{INFO}/products/NTI.4.12/history/{k}").json() for k in kinds}
    days = {k: {row[0]: row[1] for row in rows} for k, rows in series.items()}
    first = days["experience"]
    assert all(d == first for d in days.values())  # element 1 is one value per date
    values = list(first.values())
    # As recorded: it rises by 1/15 per trading day, and it is neither the D-Score nor
    # the D-Leverage (DWC.4.20: 65.33 while its D-Score was 55.15).
    assert [round(b - a, 9) for a, b in itertools.pairwise(values[1:])] == [
        round(1 / 15, 9)] * (len(values) - 2)
    assert values[-1] not in (product.dscore, product.d_leverage)
    detail = {k: next(row[2] for row in reversed(rows) if len(row) == 3)
              for k, rows in series.items()}
    assert len(detail["experience"]) == 2 and isinstance(detail["experience"][0], int)
    ra = detail["riskadjustment"]
    assert len(ra) == 3 and all(len(t) == 7 for t in ra[2])
    assert len(detail["capacity"]) == 4 and len(detail["capacity"][0]) == 5
    assert len(detail["openstrategy"]) == 12 and all(isinstance(n, int)
                                                     for n in detail["openstrategy"])
    assert isinstance(detail["performance"][0], int) and len(detail["performance"][1][2]) == 13
    assert all(len(t) == 5 for t in detail["winningconsistency"])
    assert len(series["experience"][0]) == 2  # the first day carries no detail
    assert dx.get(f"{INFO}/products/NTI.4.12/history/mood").status_code == 404


def test_badges_correlation_and_divergence_rows(dx: DarwinexHttp) -> None:
    experience = dx.get(f"{INFO}/products/NTI.4.12/history/experience").json()
    badges = dx.get(f"{INFO}/products/NTI.4.12/history/badges").json()
    assert all(len(row) == 5 and len(row[2]) == 13 for row in badges)
    scores = dx.get(f"{INFO}/products/NTI.4.12/scores").json()
    last = badges[-1][2]
    assert last[0] == scores["ex"] and last[12] == scores["score"]  # ex ... cp, then D-Score
    assert badges[-1][1] == experience[-2][1]  # as recorded: the previous day's value
    correlation = dx.get(f"{INFO}/products/NTI.4.12/history/marketcorrelation").json()
    assert len(correlation) == 1 and correlation[0][2][0][0][0] == "N/A"
    orders = dx.get(f"{INFO}/products/NTI.4.12/history/orderdivergence").json()
    assert len(orders) == 100 and all(row[1] == "N/A" and len(row) == 5 for row in orders)
    assert orders[-1][0] <= time.time() * 1000
    quotes = dx.get(f"{INFO}/products/NTI.4.12/history/quotes").json()
    divergence = dx.get(f"{INFO}/products/NTI.4.12/history/returndivergence").json()
    assert [row[1] for row in divergence[-5:]] == [row[1] for row in quotes[-5:]]


def test_candles(dx: DarwinexHttp) -> None:
    now = int(time.time())
    backwards = dx.get(f"{INFO}/products/DWC.4.20/candles",
                       params={"resolution": "1m", "from": now, "to": now - 6}).json()
    assert backwards == {"candles": [], "period": {"start": now, "end": now - 6},
                         "resolution": "1m", "supportedResolutions": ["1m"]}
    start = (now // 60 - 40) * 60
    body = dx.get(f"{INFO}/products/DWC.4.20/candles",
                  params={"resolution": "1m", "from": start, "to": start + 30 * 60}).json()
    candles = body["candles"]
    assert [c["timestamp"] for c in candles] == list(range(start, start + 31 * 60, 60))
    for c in candles:
        bar = c["candle"]
        assert bar["low"] <= min(bar["open"], bar["close"]) <= max(bar["open"], bar["close"]) \
            <= bar["high"]
    assert dx.get(f"{INFO}/products/DWC.4.20/candles",
                  params={"resolution": "5m"}).status_code == 400
    empty = dx.get(f"{INFO}/products/DWC.4.20/candles",
                   params={"resolution": "", "from": now, "to": now - 6}).json()
    assert empty["resolution"] == "1m"  # as recorded for an empty resolution=


def test_candles_by_timeframe(dx: DarwinexHttp) -> None:
    day = dx.get(f"{INFO}/products/DWC.4.20/candles/1D").json()
    assert day["resolution"] == "1m" and "1m" in day["supportedResolutions"]
    assert day["period"]["end"] - day["period"]["start"] == 86_400
    assert 1400 <= len(day["candles"]) <= 1440
    assert set(day["candles"][0]) == {"timestamp", "candle"}
    year = dx.get(f"{INFO}/products/DWC.4.20/candles/1Y", params={"resolution": "1d"}).json()
    assert "1m" not in year["supportedResolutions"]
    assert 360 <= len(year["candles"]) <= 366
    steps = {b["timestamp"] - a["timestamp"] for a, b in itertools.pairwise(year["candles"])}
    assert steps == {86_400}
    assert dx.get(f"{INFO}/products/DWC.4.20/candles/1Y",
                  params={"resolution": "1m"}).status_code == 400
    assert dx.get(f"{INFO}/products/DWC.4.20/candles/5Y").status_code == 400


def test_unknown_paths_get_the_gateway_fault(dx: DarwinexHttp) -> None:
    for path in ("/darwininfo/1.0/products", "/nothing", f"{INFO}/products/DWC.4.20/x"):
        response = dx.get(path)
        assert response.status_code == 404
        assert response.json()["fault"]["code"] == 900906
    wrong_method = dx.delete(f"{INFO}/products")
    assert wrong_method.status_code == 405 and "fault" in wrong_method.json()
