"""LWork simulator: the TW API (Trader Work, a broker's CRM over MT4/MT5 servers).

Follows the seed (3.1-3.16) and LWork's Trader Work API docs (1.x base, 2.x user) for
paths, bodies and the ``{result, mcode, data}`` envelope; refusals are HTTP 200 with
``result: false`` and an ``mcode`` whose words ``/v1/api/sys/error/code`` lists
(``codes.py``). Every request needs ``x-api-tenantId`` and ``x-api-token``; account info
(3.1) also ``x-api-vendor`` (MT4/MT5, upper case) and ``x-api-serverid``. Deposits,
their payment callbacks and transfers must carry a SHA1withRSA signature by the
tenant's private key over the documented fields (two-decimal amounts); the simulator
generates the key pair and writes the private key to a PEM file whose path it prints.

State and knobs (``LWorkState``): ``user`` (login, password, user id; two MT4 demo
accounts and one MT5 demo account), ``other_user`` (one MT4 demo account),
``servers`` (MT4-Demo 428, MT4-Live 430, MT5-Demo 431, MT5-Live 432), ``market``
(prices: ``set_price``, ``freeze_prices``), ``deposit_pay_after`` (seconds until a
deposit's payment arrives by itself; None: only the 3.3 callback or ``pay_deposit``),
``pay_deposit(job_id)``, ``withdraw_approve_after`` (seconds until a withdrawal is
approved and debited), ``advance_clock(seconds)``, ``disable_account(login)``,
``max_page_size``, ``key`` (``sign``/``verify`` with the tenant's key), and the shared
fault knobs (``fail_next(status, mcode, path)``: e.g. ``fail_next(200, "-1", path)``
for a system error; ``force_429``, ``drop_reply_next(path)``, ``delay_seconds``).
Records: ``cash`` (deposits, withdrawals, transfers), ``tasks`` (3.16), ``stats``
("requests" per route such as ``"POST /v1/api/user/login"``, "refusals" per mcode).

Choices where the sources are silent (all UNCONFIRMED):

- The account list (2.8) carries no server id, as in the docs; the printed
  ``server_ids`` give them (Support Center shows them to a tenant).
- Trade times are written in UTC+8 without a zone (the docs' unset ``executionTime``
  is ``1970-01-01T08:00:00.000``); ``from``/``to`` filter by that local day, both ends
  included. Pages count from 1; ``size`` at most ``max_page_size``; an empty list is one
  page. Lists are newest first.
- Cash flow: a deposit is ``payStatus`` Pending / Paid with ``state`` Submited /
  Approved (LWork's spelling); withdrawals are Submited, then Approved (debited) or
  Rejected (not enough free margin) after ``withdraw_approve_after``; transfers are
  Approved at once and listed for both accounts. The withdrawal and transfer objects
  (``withdrawTransaction``, ``transferTransaction``) are modelled on the deposit's.
- payAmount = depositAmount x the pay currency's ``exchange``, rounded half up to
  cents; deposits between ``minDeposit`` and ``maxDeposit`` (account currency). The
  callback must repeat the application's payAmount and payCurrency.
- Transfers: the receipt account must exist on ``receiptServerId`` with
  ``receiptVendor``, belong to the same user and platform, and carry the name given;
  the amount may not exceed the free margin. Withdrawals likewise (pending ones count).
- Opening a demo account (3.6) puts it on the platform's demo server with the type's
  group, amount and leverage; a real one (3.5) on the named live server, balance 0.
- ``nickname`` in 2.8 follows the owner's base ``accountName`` (3.12).
"""

from __future__ import annotations

from desktop_app.simulators.lwork.app import create_app
from desktop_app.simulators.lwork.state import API_ROOT, LWorkState
from desktop_app.simulators.registry import SimulatorBundle


def create_simulator(seed: int, *, session_idle_timeout: float = 600.0,
                     origin: float | None = None) -> SimulatorBundle:
    state = LWorkState(seed, session_idle_timeout=session_idle_timeout, origin=origin)
    return SimulatorBundle(
        name="lwork",
        display_name="LWork",
        app=create_app(state),
        state=state,
        credentials=state.credentials,
        api_root=API_ROOT,
    )


__all__ = ["LWorkState", "create_simulator"]
