"""The files of a throw-away broker package, written by the test into a temporary folder.

A minimal but real broker: a spec, a service on ``BrokerBase`` talking HTTP through
``BrokerHttp``, and a simulator on the shared simulator pieces with its contract hooks.
Nothing else in the project is edited to add it: only its spec joins the registry tuple.
"""

SPEC = '''
from decimal import Decimal

from desktop_app.brokers.common.spec import BrokerSpec, SmokeTrade
from desktop_app.domain.config import CredentialField
from desktop_app.domain.types import Environment

SPEC = BrokerSpec(
    broker="fakebroker",
    display_name="Fake Broker",
    environments=(Environment.DEMO,),
    credential_fields=(
        CredentialField("login", "Login", secret=False),
        CredentialField("token", "Token", secret=True),
    ),
    service="fakebroker.service:create",
    simulator="fakebroker.sim:create_simulator",
    sandbox_accounts="one demo account",
    smoke=SmokeTrade("FAKE", "FAKE", Decimal(1)),
)
'''

SERVICE = '''
from datetime import datetime
from decimal import Decimal
from typing import Any

from desktop_app.brokers.common.base import BrokerBase
from desktop_app.brokers.common.reconcile import Candidate
from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.errors import ProtocolError, RateLimited, Rejected
from desktop_app.domain.money import parse_utc, utc_now
from desktop_app.domain.types import (
    Account, AccountRef, AccountStatus, Balance, Instrument, OrderRequest, OrderResult,
    OrderStatus, Position, Side,
)
from desktop_app.net.http import BrokerHttp, reply_body
from desktop_app.net.limiter import Budget, RateLimiter


def _error(response):
    if response.status_code == 429:
        return RateLimited("Fake Broker is limiting requests.", broker="Fake Broker")
    if response.status_code == 400:
        return Rejected("Fake Broker said no.", broker="Fake Broker")
    return None


class FakeBrokerService(BrokerBase):
    broker = "fakebroker"
    display_name = "Fake Broker"
    required_fields = ("login", "token")

    def __init__(self, profile, credentials, request_log=None):
        super().__init__(profile, credentials)
        self.rate_limiter = RateLimiter([Budget("all", 50, 1.0)])
        self._limiter = self.rate_limiter
        self.http = BrokerHttp(
            broker="Fake Broker", connection_id=profile.connection_id,
            base_url=profile.base_url or "https://fake.invalid", limiter=self.rate_limiter,
            error_mapper=_error, request_log=request_log,
        )
        self._caps = Capabilities(close_positions=True, instrument_search=True)

    @property
    def capabilities(self):
        return self._caps

    async def _get(self, path, **params):
        response = await self.http.request(
            "GET", path, params=params, headers={"X-Token": self.fields["token"]})
        return reply_body(response, "Fake Broker")

    async def connect(self):
        await self._get("/accounts")

    async def close(self):
        await self.http.aclose()

    async def accounts(self):
        return [
            Account(AccountRef(self.connection_id, self.broker, a["id"]), a["id"], "USD",
                    AccountStatus.ENABLED, self.environment,
                    balance=Balance(Decimal(a["cash"]), Decimal(a["cash"]),
                                    Decimal(a["cash"]), Decimal(0), "USD", utc_now()))
            for a in await self._get("/accounts")
        ]

    async def positions(self, account):
        rows = await self._get("/positions", account=account.account_id)
        return [Position(account, r["id"], r["symbol"], r["symbol"], Side(r["side"]),
                         Decimal(r["size"]), Decimal(1), Decimal(1), Decimal(0), "USD",
                         parse_utc(r["at"])) for r in rows]

    async def search_instruments(self, account, text):
        return [Instrument(s, s, min_size=Decimal(1)) for s in await self._get("/instruments")
                if text.upper() in s]

    async def place_order(self, request, on_reference=None):
        body = {"account": request.account.account_id, "symbol": request.symbol,
                "side": request.side.value, "size": request.size}
        response = await self.http.request("POST", "/orders", json=body, write=True,
                                           headers={"X-Token": self.fields["token"]})
        data = reply_body(response, "Fake Broker", write=True)
        self.hand_over(on_reference, data["id"])
        return OrderResult(OrderStatus.ACCEPTED, broker_ref=data["id"], deal_ids=(data["id"],))

    def order_lookup(self, request):
        return _Lookup(self)

    async def close_position(self, account, position_id):
        response = await self.http.request(
            "DELETE", f"/positions/{position_id}", write=True,
            headers={"X-Token": self.fields["token"]})
        reply_body(response, "Fake Broker", write=True)
        return OrderResult(OrderStatus.ACCEPTED, deal_ids=(position_id,))


class _Lookup:
    what = "positions"
    complete = False

    def __init__(self, service):
        self.service = service

    async def by_reference(self, request, ref):
        return OrderResult(OrderStatus.UNKNOWN, broker_ref=ref)

    async def candidates(self, request, since):
        rows = await self.service._get("/positions", account=request.account.account_id)
        return [Candidate(r["id"], parse_utc(r["at"]),
                          OrderResult(OrderStatus.ACCEPTED, deal_ids=(r["id"],)))
                for r in rows if r["symbol"] == request.symbol and r["side"] == request.side.value
                and Decimal(r["size"]) == request.size]


def create(profile, credentials, request_log):
    return FakeBrokerService(profile, credentials, request_log)
'''

SIMULATOR = '''
import itertools
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from desktop_app.simulators.asgi import SimulatorASGI
from desktop_app.simulators.faults import SimulatorKnobs
from desktop_app.simulators.registry import SimulatorBundle


class State(SimulatorKnobs):
    def __init__(self):
        super().__init__("")
        self.positions = {}
        self.ids = itertools.count(1)
        self.placements = 0


def create_simulator(seed, *, session_idle_timeout=600.0, origin=None):
    state = State()
    token = f"tok-{seed}"

    def checked(handler):
        async def endpoint(request):
            route = f"{request.method} {request.url.path}"
            fault = state.take_fault(request.url.path)
            state.count(route, fault[0] if fault else 200)
            if fault:
                return JSONResponse({"error": fault[1]}, status_code=fault[0])
            if request.headers.get("X-Token") != token:
                return JSONResponse({"error": "bad token"}, status_code=401)
            return await handler(request)
        return endpoint

    async def accounts(request):
        return JSONResponse([{"id": "FB-1", "cash": "10000.00"}])

    async def instruments(request):
        return JSONResponse(["FAKE", "FAKER"])

    async def positions(request):
        return JSONResponse(list(state.positions.values()))

    async def place(request):
        body = await request.json()
        state.placements += 1
        deal = f"D-{next(state.ids)}"
        state.positions[deal] = {"id": deal, "symbol": body["symbol"], "side": body["side"],
                                 "size": str(body["size"]),
                                 "at": datetime.now(UTC).isoformat()}
        return JSONResponse({"id": deal})

    async def close(request):
        state.positions.pop(request.path_params["deal"], None)
        return JSONResponse({})

    app = Starlette(routes=[
        Route("/accounts", checked(accounts)),
        Route("/instruments", checked(instruments)),
        Route("/positions", checked(positions)),
        Route("/orders", checked(place), methods=["POST"]),
        Route("/positions/{deal}", checked(close), methods=["DELETE"]),
    ])
    return SimulatorBundle(
        name="fakebroker", display_name="Fake Broker", app=SimulatorASGI(app, state),
        state=state, credentials={"login": "demo", "token": token}, api_root="",
    )
'''

CONTRACT = '''
class _Hooks:
    def __init__(self, state):
        self.state = state

    def placements(self):
        return self.state.placements

    def lose_next_placement_reply(self, account_id):
        self.state.drop_reply_next("/orders")

    def rate_limit_next(self, count=1):
        self.state.force_429(count)


def hooks(state):
    return _Hooks(state)
'''

FILES = {
    "fakebroker/__init__.py": "",
    "fakebroker/spec.py": SPEC,
    "fakebroker/service.py": SERVICE,
    "fakebroker/sim/__init__.py": SIMULATOR,
    "fakebroker/sim/contract.py": CONTRACT,
}
