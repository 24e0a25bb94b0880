"""What every LWork request goes through: tenant headers, route, body, envelope.

In order: injected faults (``fail_next``, ``force_429``), the route (HTTP 404 for an
unknown path, 405 for a wrong method), the tenant id and API token headers (HTTP 200
refusals), the JSON body, lazy settling of payments and approvals, then the handler.
A handler raises ``Fail(mcode)`` for a refusal: ``{"result": false, "mcode": ...}``
with HTTP 200, as LWork answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from desktop_app.domain import exact_json
from desktop_app.simulators.lwork.book import MtAccount
from desktop_app.simulators.lwork.codes import (
    ACCOUNT_UNKNOWN,
    BAD_VENDOR,
    MISSING_HEADER,
    PARAMETER,
    SUCCESS,
    TENANT_UNKNOWN,
    TOKEN_EMPTY,
    TOKEN_INVALID,
    USER_UNKNOWN,
)
from desktop_app.simulators.lwork.state import LWorkState, User

VENDORS = ("MT4", "MT5")


class Fail(Exception):
    def __init__(self, mcode: str, message: str = "", data: Any = None) -> None:
        super().__init__(mcode)
        self.mcode = mcode
        self.message = message
        self.data = data


@dataclass(slots=True)
class Reply:
    body: Any
    status: int = 200

    def content(self) -> bytes:
        return exact_json.dumps(self.body, allow_float=True)


def ok(data: Any = None) -> Reply:
    body: dict[str, Any] = {"mcode": SUCCESS, "result": True}
    if data is not None:
        body = {"data": data, **body}
    return Reply(body)


def refused(mcode: str, message: str = "", data: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"mcode": mcode, "result": False}
    if message:
        body["message"] = message
    if data is not None:
        body["data"] = data
    return body


@dataclass(slots=True)
class Ctx:
    state: LWorkState
    method: str
    path: str
    params: dict[str, str]  # path parameters
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: dict[str, Any] = field(default_factory=dict)

    # ----------------------------------------------------------------- reading

    def user(self, name: str = "userId") -> User:
        user = self.state.users.get(self.params[name])
        if user is None:
            raise Fail(USER_UNKNOWN)
        return user

    def account_of(self, user: User, login: str) -> MtAccount:
        account = self.state.book.accounts.get(login)
        if account is None or account.user_id != user.user_id:
            raise Fail(ACCOUNT_UNKNOWN)
        return account

    def field(self, name: str, *, required: bool = True) -> str:
        value = self.body.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise Fail(PARAMETER, f"{name} is required")
            return ""
        if isinstance(value, dict | list | bool):
            raise Fail(PARAMETER, f"{name} is not a value")
        return str(value).strip()

    def amount(self, name: str) -> Decimal:
        """A money field with at most two decimals, as the signature rules want."""
        text = self.field(name)
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise Fail(PARAMETER, f"{name} is not a number") from None
        if not value.is_finite() or value != value.quantize(Decimal("0.01")):
            raise Fail(PARAMETER, f"{name} must keep two decimals")
        return value.quantize(Decimal("0.01"))

    def query_text(self, name: str) -> str:
        value = self.query.get(name, "").strip()
        if not value:
            raise Fail(PARAMETER, f"{name} is required")
        return value

    def query_int(self, name: str) -> int:
        text = self.query_text(name)
        if not text.isdigit() or int(text) < 1:
            raise Fail(PARAMETER, f"{name} must be a positive integer")
        return int(text)

    def query_date(self, name: str) -> date:
        try:
            return date.fromisoformat(self.query_text(name))
        except ValueError:
            raise Fail(PARAMETER, f"{name} must be YYYY-MM-DD") from None


def vendor(value: str) -> str:
    """MT4 / MT5, upper case only (LWork's introduction insists)."""
    if value not in VENDORS:
        raise Fail(BAD_VENDOR, f"vendor {value!r}")
    return value


Handler = Callable[[Ctx], Reply]


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    pattern: str  # e.g. "/v1/api/user/{userId}/detail"
    handler: Handler

    @property
    def regex(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.pattern) + "$")


class Pipeline:
    def __init__(self, state: LWorkState, endpoints: list[Endpoint]) -> None:
        self.state = state
        self.routes = [(e, e.regex) for e in endpoints]

    def process(self, method: str, path: str, query: Mapping[str, str],
                headers: Mapping[str, str], raw_body: bytes) -> Reply:
        state = self.state
        route = f"{method} {path}"
        mcode = ""
        with state.lock:
            try:
                endpoint, params = self._route(method, path)
                route = f"{method} {endpoint.pattern}"
                fault = state.take_fault(path)
                if fault is not None:
                    status, mcode = fault
                    reply = Reply(refused(mcode), status)
                else:
                    self._check_tenant(headers)
                    ctx = Ctx(state, method, path, params, query, headers,
                              self._body(method, raw_body))
                    state.settle()
                    reply = endpoint.handler(ctx)
            except Fail as fail:
                mcode = fail.mcode
                reply = Reply(refused(fail.mcode, fail.message, fail.data))
            except _HttpStatus as status:
                reply = Reply(refused("-1", status.text), status.status)
        state.count(route, reply.status, mcode)
        return reply

    def _route(self, method: str, path: str) -> tuple[Endpoint, dict[str, str]]:
        allowed = False
        for endpoint, regex in self.routes:
            found = regex.match(path)
            if found is None:
                continue
            if endpoint.method == method:
                return endpoint, found.groupdict()
            allowed = True
        if allowed:
            raise _HttpStatus(405, f"{method} is not supported")
        raise _HttpStatus(404, "Not Found")

    def _check_tenant(self, headers: Mapping[str, str]) -> None:
        tenant = headers.get("x-api-tenantid", "").strip()
        if not tenant:
            raise Fail(MISSING_HEADER, "x-api-tenantId")
        if tenant != self.state.tenant_id:
            raise Fail(TENANT_UNKNOWN)
        token = headers.get("x-api-token", "").strip()
        if not token:
            raise Fail(TOKEN_EMPTY)
        if token != self.state.api_token:
            raise Fail(TOKEN_INVALID)

    @staticmethod
    def _body(method: str, raw: bytes) -> dict[str, Any]:
        if method != "POST":
            return {}
        try:
            body = exact_json.loads(raw) if raw.strip() else {}
        except ValueError:
            raise Fail(PARAMETER, "the body is not JSON") from None
        if not isinstance(body, dict):
            raise Fail(PARAMETER, "the body is not a JSON object")
        return body


class _HttpStatus(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text
