"""Tradovate simulator: the REST dialect of https://demo.tradovateapi.com/v1, under /v1.

Follows the OpenAPI spec (TV-SPEC) for paths, bodies and entities, the partner docs
(TV-PARTNER) for errors, rate limits and penalty tickets, and the seed for
``changeDemoBalance``. Paths are case-insensitive (``/order/placeOrder`` and
``/order/placeorder`` are one endpoint). JSON in, JSON out; ``Authorization: Bearer``
on everything but ``/auth/accesstokenrequest``.

Knobs on the state (``TradovateState``): ``environment`` ("demo" | "live" | "replay"),
``token_lifetime``, ``expire_all_tokens()``, ``advance_clock(seconds)``,
``demo_balance_mode`` ("change" | "replace"), ``balance_change_cooldown``,
``max_demo_balance``, ``penalty_next(path, p_time, captcha, count)``,
``force_423(count, path)``, ``force_429(count, path)``, ``lockout_seconds``,
``reject_next_order(reason, text)``, ``drop_reply_next(path)``, ``delay_seconds``,
``close_account(account_id)``, ``rest_quotes``, ``liquidate_requires_admin`` (TV-SPEC
requires ``admin`` on liquidateposition; True by default), ``limits`` (``RateLimits``),
``market`` (prices: ``set_price``, ``freeze_prices``, ``set_status``). Records:
``orders_placed`` (the body of every placeorder that got an orderId, as sent),
``balance_changes``, ``stats`` ("requests", "423", "429", "penalties": Counters per route such as
``"POST /order/placeorder"``; "logins", "failed_logins", "renewals": counts).

Choices where the sources are silent or disagree (all UNCONFIRMED):

- ``changeDemoBalance``: ``cashChange`` is added to the cash (the seed) or, with
  ``demo_balance_mode = "replace"``, becomes the cash (TV-PARTNER's page). The rules are
  checked in this order, each with its own ``errorText``: environment, accountId > 0, an
  account of this user, active, -1,000,000 < cashChange < 1,000,000, comment ≤ 64
  characters (default "Demo Change"), one change per account per hour, resulting cash
  ≤ 50,000. "Balance" means ``totalCashValue``.
- The access token response has ``hasLive`` true only when ``environment`` is "live".
  Tokens live ``token_lifetime`` (90 minutes, TV-PARTNER; one page says 80).
- Wrong name, password, appId, cid or sec: ``{"errorText": "Incorrect username or
  password. Please try again."}``. After 3 failed logins in a row every login attempt
  gets a penalty with ``"p-captcha": true`` for an hour (the limit of 10 a minute gives
  an ordinary penalty). A captcha ticket is never accepted when resent.
- Penalty tickets: a resent request must carry the identical body (for a GET, the same
  query; the ticket goes in the body, or in the ``p-ticket`` query parameter of a GET).
  Accepted once, after ``p-time``; earlier, a new penalty; a used, unknown or
  mismatched ticket gets ``{"errorText", "ok": false}`` and has no effect.
- General budget (1000/s, 5000/min, 5000/h per user): the first excess answers 423,
  another within a minute starts the 429 lock-out (empty body, every request, for
  ``lockout_seconds``). Per-endpoint hourly limits from the research table
  (renewaccesstoken 15, changedemobalance 1000, ...) answer with penalty tickets.
- 401 ``{"errorText": "Access is denied"}`` for a missing, unknown or expired token; an
  ``mdAccessToken`` is accepted only by ``/md/getquote``. 404 ``{"errorText"}`` for an
  unknown path or entity (``/contract/find``, ``/x/item``), 405 for a wrong method, 400
  ``{"errorText"}`` for a body that is not a JSON object or a bad query parameter.
- Malformed bodies: ``{"violations": [{"constraint": <field>, "value", "description"}]}``
  (HTTP 200); enum values are case-sensitive ("Buy", "Market"); integers are bound to
  their OpenAPI format (``orderQty`` int32, ids int64): 1e27 contracts is a violation.
- Renewal extends the same session; the old token lives until its own expiry. A new
  access token request opens another session and drops none.
- Orders: Market, Limit, Stop and StopLimit (MIT, QTS and trailing types answer
  ``Unsupported``). Market orders fill at once at the touch; a marketable Limit too.
  Limit/Stop work in the shared market, which fills them lazily at the next request
  once the price crossed; a StopLimit's stop is checked against the quote at each
  request. Day orders expire at the trade-date change (22:00 UTC), GTD at expireTime,
  IOC/FOK that do not fill at once expire. Unknown symbol: ``InvalidContract``; account
  not the user's: ``Unauthorized`` "Access is denied"; closed market: ``SessionClosed``;
  not enough margin: ``OtherExecutionRelated`` "Insufficient margin". Rejections are
  answered by placeorder itself (no Rejected order entity). In "live", a session opened
  without a deviceId gets 401 on placeorder; in "replay", ``SessionClosed``.
- ``/order/list`` entities carry no quantity or price (as in the spec): read them from
  ``/orderVersion/deps?masterid=<orderId>``. Positions stay listed when flat
  (``netPos`` 0, no ``netPrice``); ``prevPos`` is 0.
- Market data over the WebSocket at ``/v1/websocket`` (the md host's path, here on the
  same port; see ``md_stream``): knobs ``state.streams`` (drop, refuse) and
  ``state.md_stream`` (heartbeat, client timeout).
- REAL TRADOVATE HAS NO REST QUOTES. ``GET /md/getquote?symbol=ESZ6`` (or
  ``contractId=``) is this simulator's own, served only while a test turns
  ``state.rest_quotes`` on (off by default, as real Tradovate: 404 like any unknown
  path; the app's Tradovate prices come from the stream). It answers the quote event's object:
  ``{"id", "contractId", "timestamp", "entries": {"Bid": {"price", "size"}, "Offer",
  "Trade", "TotalTradeVolume": {"size"}, "HighPrice", "LowPrice", "OpeningPrice"}}``.
- Margins are day-trading sized (ES about $520 a contract) and initial = maintenance.
"""

from __future__ import annotations

from desktop_app.simulators.registry import SimulatorBundle
from desktop_app.simulators.streams import StreamEndpoint
from desktop_app.simulators.tradovate.app import create_app
from desktop_app.simulators.tradovate.md_stream import PATH as MD_PATH
from desktop_app.simulators.tradovate.state import API_ROOT, TradovateState


def create_simulator(
    seed: int, *, session_idle_timeout: float = 600.0, origin: float | None = None
) -> SimulatorBundle:
    state = TradovateState(seed, session_idle_timeout=session_idle_timeout, origin=origin)
    return SimulatorBundle(
        name="tradovate",
        display_name="Tradovate",
        app=create_app(state),
        state=state,
        credentials=state.credentials,
        api_root=API_ROOT,
        stream_knobs=state.streams,
        streams=(StreamEndpoint("market data WebSocket", "ws", MD_PATH),),
    )


__all__ = ["TradovateState", "create_simulator"]
