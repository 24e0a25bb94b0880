"""darwinexapis (PyPI 0.4.5, Darwinex Labs' own wrapper) making its calls against a Darwinex
simulator, in a venv of its own (it pulls pandas, matplotlib, plotly, dash and PyTables).
Run by tests/thirdparty/test_darwinexapis_client.py, which starts the simulator and asserts
on what this prints: one JSON object, each call's answer as the client returned it
(DataFrames as their columns and rows).

    python darwinexapis_calls.py BASE_URL WS_URL CREDENTIALS_JSON ACCOUNT_ID

Pointed at the simulator: its constructors' own ``_api_url`` (and the versions its example
script uses: Info 2.0, Trading 1.1, Quotes 1.0; the defaults 1.5 and 1.0 are older APIs),
and the token host that ``_get_access_refresh_tokens_`` names as a default argument.
Nothing else of the client is touched; its logging (all WARNING) goes to stderr.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from darwinexapis.API.DWX_API_Auth import DWX_API_AUTHENTICATION
from darwinexapis.API.InfoAPI.DWX_Info_API import DWX_Info_API
from darwinexapis.API.InvestorAccountInfoAPI.DWX_AccInfo_API import DWX_AccInfo_API
from darwinexapis.API.QuotesAPI.DWX_Quotes_API import DWX_Quotes_API
from darwinexapis.API.TradingAPI.DWX_Trading_API import DWX_Trading_API
from darwinexapis.API.WebSocketAPI.DWX_WebSocket_API import DWX_WebSocket_API

PRODUCT = "NTI.4.12"  # the product of its own dummy orders
OTHER = "LVS.4.20"


def _frame(frame: Any) -> dict[str, Any]:
    return {"columns": [str(c) for c in frame.columns],
            "rows": json.loads(frame.to_json(orient="values", date_format="iso"))}


def _first_quote(quotes: DWX_Quotes_API, names: list[str]) -> dict[str, Any]:
    lines = quotes._stream_quotes_(_symbols=names)
    seen: dict[str, Any] = {}
    for line in lines:
        item = eval(line)  # what its _process_stream_ does with each line
        seen[item["productName"]] = item
        if len(seen) == len(names):
            break
    lines.close()
    return seen


async def _websocket(ws: DWX_WebSocket_API, names: list[str]) -> list[Any]:
    got: list[Any] = []

    async def watch() -> None:
        while True:
            await asyncio.sleep(0.05)
            message = getattr(ws, "_ret", None)
            if message is not None and (not got or got[-1] is not message):
                got.append(message)
                if '"productName"' in message:
                    ws._active = False  # its own stop flag; the loop ends at the next message
                    return

    watcher = asyncio.ensure_future(watch())
    await asyncio.wait_for(asyncio.gather(ws.subscribe(names), watcher), 30)
    return [json.loads(m) for m in got]


def main() -> None:
    base, ws_url, creds_json, account_text = sys.argv[1:5]
    account = int(account_text)
    creds = json.loads(creds_json)
    DWX_API_AUTHENTICATION._get_access_refresh_tokens_.__defaults__ = (base + "/token",)
    accounts = DWX_AccInfo_API(creds, _api_url=base, _version=2.0)
    trading = DWX_Trading_API(creds, _api_url=base, _version=1.1)
    info = DWX_Info_API(creds, _api_url=base, _version=2.0)
    quotes = DWX_Quotes_API(creds, _api_url=base, _version=1.0)
    out: dict[str, Any] = {}

    out["accounts"] = accounts._Get_Accounts_()
    out["account"] = accounts._Get_Account_Info_(account)
    out["market_status"] = trading._Get_Permitted_Operations_()
    out["leverage"] = trading._Get_Account_Leverage_(account)
    out["stream_quotes"] = _first_quote(quotes, [PRODUCT, OTHER])
    quote = Decimal(str(out["stream_quotes"][PRODUCT]["quote"]))

    # Its order bodies are JSON text, as its dummy generators write them.
    out["buy"] = trading._Buy_At_Market_(account, json.dumps({
        "amount": 500.0, "productName": PRODUCT,
        "thresholdParameters": {"quoteStopLoss": float(round(quote / 2, 2)),
                                "quoteTakeProfit": float(round(quote * 2, 2))}}))
    out["positions"] = accounts._Get_Current_Open_Positions_(account, PRODUCT)
    out["executed"] = accounts._Get_Executed_Orders_(account, PRODUCT, 0, 10)
    out["order"] = accounts._Get_Order_by_ID_(account, out["buy"]["orderId"])
    out["open_trades"] = accounts._Get_Trades_by_Status_(account, PRODUCT, "open", 0, 10)
    trade_id = out["open_trades"]["content"][0]["tradeId"]
    out["trade"] = accounts._Get_Trade_by_ID_(account, trade_id)
    out["sell"] = trading._Sell_At_Market(account, json.dumps(
        {"amount": 200.0, "productName": PRODUCT}))
    out["positions_after_sell"] = accounts._Get_Current_Open_Positions_(account, PRODUCT)

    limit = float(round(quote * Decimal("0.8"), 2))
    out["conditional"] = trading._Raise_Conditional_Order_(account, json.dumps({
        "amount": 300.0, "productName": PRODUCT, "quote": limit, "side": "BUY",
        "type": "LESS_THAN_EQUAL"}))
    conditional_id = out["conditional"]["orderId"]
    out["pending"] = accounts._Get_Conditional_Orders_by_Status_(
        account, PRODUCT, "pending", 0, 10)
    out["update"] = trading._Update_Conditional_Order_(account, conditional_id, json.dumps(
        {"amount": 400.0, "quote": float(round(quote * Decimal("0.7"), 2))}))
    out["conditional_updated"] = accounts._Get_Conditional_Order_by_ID_(account, conditional_id)
    out["cancel"] = trading._Cancel_Conditional_Order_(account, conditional_id)
    out["cancelled"] = accounts._Get_Conditional_Orders_by_Status_(
        account, PRODUCT, "cancelled", 0, 10)

    out["close_darwin"] = trading._Close_All_DARWIN_Trades_(account, PRODUCT)
    out["positions_after_close"] = accounts._Get_Current_Open_Positions_(account, PRODUCT)
    trading._Buy_At_Market_(account, json.dumps({"amount": 250.0, "productName": OTHER}))
    out["close_all"] = trading._Close_All_Account_Trades_(account)
    out["positions_after_close_all"] = accounts._Get_Current_Open_Positions_(account, "")
    out["closed_trades"] = accounts._Get_Trades_by_Status_(account, PRODUCT, "closed", 0, 10)

    # Its refresh: due once expires_in has passed; the rotated pair lands in creds.
    before = dict(creds)
    accounts.AUTHENTICATION.expires_in = 0
    out["accounts_after_refresh"] = accounts._Get_Accounts_()
    out["refreshed"] = {"access_token_changed": creds["access_token"] != before["access_token"],
                        "refresh_token_changed":
                            creds["refresh_token"] != before["refresh_token"],
                        "access_token": creds["access_token"]}

    out["universe"] = _frame(info._Get_DARWIN_Universe_(_status="ACTIVE", _perPage=20,
                                                        _delay=0))
    out["filtered"] = _frame(info._Get_Filtered_DARWINS_(
        _filters=[["drawdown", -100, 0, "6m"]], _order=["return", "12m", "DESC"],
        _perPage=20, _delay=0))
    out["history_quotes"] = _frame(info._Get_Historical_Quotes_(_symbols=[PRODUCT, OTHER],
                                                                _delay=0))
    scores = info._Get_Historical_Scores_(_symbols=[PRODUCT], _delay=0)
    out["history_badges"] = _frame(scores[PRODUCT])
    candles = info._Get_DARWIN_OHLC_Candles_(_symbols=[PRODUCT], _from_dt="", _timeframe="/1D",
                                             _resolution="1m", _delay=0)
    out["candles_1d"] = _frame(candles[PRODUCT]) if PRODUCT in candles else None
    now = datetime.now(UTC)
    candles = info._Get_DARWIN_OHLC_Candles_(
        _symbols=[PRODUCT], _from_dt=(now - timedelta(hours=3)).isoformat(),
        _to_dt=now.isoformat(), _resolution="1m", _delay=0)
    out["candles_range"] = _frame(candles[PRODUCT]) if PRODUCT in candles else None

    socket = DWX_WebSocket_API(creds, _api_url=ws_url)
    out["websocket"] = asyncio.new_event_loop().run_until_complete(
        _websocket(socket, [PRODUCT, OTHER]))
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
