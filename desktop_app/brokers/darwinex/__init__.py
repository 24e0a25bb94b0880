"""Darwinex DARWIN API adapter: OAuth2 client (rotating refresh tokens), budgets, service.

One host, https://api.darwinex.com, serves the token endpoint (``/token``), DARWIN Info
2.0, Investor Account Info 2.0 and Trading 1.1 for DEMO and LIVE alike: the token
decides which investor accounts a call sees (see ``client``, ``service``, ``budgets``).

Choices where Darwinex's sources are silent (UNCONFIRMED), and what the app does:

- Success bodies of buy, sell and a new conditional order: ``{"orderId": n}`` is read
  when present; a 2xx without it is reconciled like a lost reply. Amend, cancel and
  stop-out: any 2xx is success.
- A minimum of 200 (account currency) per operation: a third-party client's constant,
  checked locally with that wording.
- Throttling: WSO2's HTTP 429 fault 900800 "Message throttled out"; the pause is
  ``Retry-After`` when sent, else the fault's ``nextAccessTime``, else 20 s (capped at
  90 s against clock skew). Reads wait and go again; writes are refused
  (``RateLimited``: a throttled order was not executed).
- Limits beyond staff's figures (50/min all APIs, 20/min per account on Investor
  Account Info, 5/s per API): the account list gets its own 20/min window, the scores
  and histories 8/min (the seed: a 429 after about 10 a minute on ``/dxscore``).
- The refresh token's refusal is ``{"error": "invalid_grant"}`` whatever the status.
- A 401 on a write is resent once after the refresh: the gateway checks the token
  before the trading backend sees the request.
- ``GET /products`` is read in pages of 1000 (a server that gives fewer is asked for
  more pages) and cached for 10 minutes.
- Investor leverage choices: 1 to 10 (Darwinex's answer to others is shown).
- A position's stop loss / take profit are conditional orders with a ``thresholdType``:
  shown on the position, not as working orders.
- D-Leverage is not in the API (staff, thread 8504): the latest value of
  ``history/riskadjustment`` is shown under that name, with a hint saying so.
"""

from desktop_app.brokers.darwinex.spec import SPEC

__all__ = ["SPEC"]
