"""Tradovate's replies as the domain's typed errors.

Tradovate answers most business errors with HTTP 200 (TV-PARTNER error-handling):
``{"errorText": "...", "ok": false}``, an ``errorText`` inside the typed reply,
``{"violations": [...]}`` for a malformed body, ``{"failureReason", "failureText"}``
from order commands, and ``{"p-ticket", "p-time", "p-captcha"}`` when a per-endpoint
limit was exceeded (a penalty: the request had no effect). HTTP 401 is a missing or
expired token, 423 "slow down" (precedes a lock-out), 429 (empty body) a lock-out of
about an hour. Messages carry the broker's own words; no message ever quotes a request,
so no credential can leak into one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from desktop_app.domain import exact_json
from desktop_app.domain.errors import (
    AuthError,
    BrokerError,
    ErrorContext,
    NotFound,
    PermissionDenied,
    RateLimited,
    Rejected,
    Unavailable,
)
from desktop_app.net.http import Throttle

BROKER = "Tradovate"

LOGIN_PATH = "/auth/accesstokenrequest"
RENEW_PATH = "/auth/renewaccesstoken"

# Paths that change something at the broker (lower case: Tradovate's paths are
# case-insensitive). A 423 on one of them is not retried: the trader decides.
WRITE_PATHS = frozenset({
    "/order/placeorder",
    "/order/placeoso",
    "/order/placeoco",
    "/order/cancelorder",
    "/order/modifyorder",
    "/order/liquidateposition",
    "/cashbalance/changedemobalance",
})

# A 429 locks the login out for about an hour (TV-PARTNER rate-limits).
LOCKOUT_SECONDS = 3600.0
# A 423 asks to slow down before a lock-out; reads wait this long, then go again.
SLOW_DOWN_SECONDS = 5.0

LOCKOUT_TEXT = (
    "Tradovate locked this login out for sending too many requests (HTTP 429). It lifts "
    "after about an hour; the app sends nothing to Tradovate until then."
)
SLOW_DOWN_TEXT = (
    "Tradovate asked the app to slow down (HTTP 423, the step before a lock-out)."
)
SLOW_DOWN_WRITE_TEXT = (
    f"{SLOW_DOWN_TEXT} The request was refused and not resent; try again in a few seconds."
)
CAPTCHA_TEXT = (
    "Tradovate wants a captcha solved before it takes this request again (penalty "
    "ticket with p-captcha), which an API client cannot do; nothing was resent."
)
CAPTCHA_HINT = "Wait about an hour, then try again (or log in once on tradovate.com)."


class SessionExpired(AuthError):
    """HTTP 401 on a call with a token: the token expired or was revoked; the client
    logs in once more."""

    default_hint = "The app logs in again by itself."


class Penalty(RateLimited):
    """A penalty ticket: the request had no effect; resend the identical body plus
    ``"p-ticket"`` after ``p_time`` seconds, unless ``captcha``."""

    def __init__(self, message: str, *, ticket: str, p_time: float, captcha: bool,
                 **kw: str) -> None:
        super().__init__(message, retry_after=p_time, **kw)
        self.ticket = ticket
        self.p_time = p_time
        self.captcha = captcha


def wire_path(response_or_request: httpx.Response | httpx.Request) -> str:
    """The path below the API root (``/v1``), lower case: ``/order/placeorder``."""
    request = (
        response_or_request.request
        if isinstance(response_or_request, httpx.Response)
        else response_or_request
    )
    path = request.url.path.lower().rstrip("/")
    marker = path.find("/v1/")
    return path[marker + 3:] if marker >= 0 else path


def _body(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return exact_json.loads(response.content)
    except ValueError:
        return None


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _seconds(value: object) -> float:
    try:
        return max(0.0, float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 1.0


def penalty(body: Any) -> Penalty | None:
    if not isinstance(body, dict) or "p-ticket" not in body:
        return None
    p_time = _seconds(body.get("p-time"))
    captcha = body.get("p-captcha") is True
    return Penalty(
        CAPTCHA_TEXT if captcha else (
            f"Tradovate imposed a penalty of {p_time:g} s on this request (a per-endpoint "
            "limit was exceeded); it had no effect."
        ),
        ticket=_text(body.get("p-ticket")),
        p_time=p_time,
        captcha=captcha,
        code="p-ticket",
        broker=BROKER,
        hint=CAPTCHA_HINT if captcha else "",
    )


def _violations(items: object) -> str:
    parts = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            description = _text(item.get("description")) or _text(item.get("constraint"))
            value = item.get("value")
            if value is not None and _text(value):
                description = f"{description} ({_text(value)})"
            if description:
                parts.append(description)
    return "; ".join(parts)


def failure(body: dict[str, Any]) -> tuple[str, str] | None:
    """(failureReason, failureText) of a refused command; None when it succeeded."""
    reason = _text(body.get("failureReason"))
    text = _text(body.get("failureText"))
    if (not reason or reason == "Success") and not text:
        return None
    if reason == "Success" and (body.get("orderId") is not None or body.get("commandId")):
        return None
    return reason, text


def business_error(body: Any, *, login: bool = False) -> BrokerError | None:
    """The error an HTTP-200 body carries, or None for a success."""
    if not isinstance(body, dict):
        return None
    found = penalty(body)
    if found is not None:
        return found
    error_text = _text(body.get("errorText"))
    if error_text:
        if login:
            return AuthError(
                error_text, code="errorText", broker=BROKER,
                hint=(
                    "Check the username, password, app id, cid and secret in the profile, "
                    "then reconnect."
                ),
            )
        return Rejected(error_text, code="errorText", broker=BROKER)
    if body.get("ok") is False:
        return Rejected("Tradovate refused the request.", code="ok:false", broker=BROKER)
    if "violations" in body:
        described = _violations(body.get("violations"))
        return Rejected(
            f"Tradovate could not read the request: {described or 'invalid fields'}.",
            code="violations", broker=BROKER,
        )
    refused = failure(body)
    if refused is not None:
        reason, text = refused
        return Rejected(
            text or f"Tradovate refused the order ({reason}).", code=reason, broker=BROKER
        )
    return None


def map_error(response: httpx.Response) -> BrokerError | None:
    """The ``error_mapper`` for ``BrokerHttp``: None for a success, else a typed error."""
    status = response.status_code
    path = wire_path(response)
    login = path == LOGIN_PATH
    if status == 200:
        return business_error(_body(response), login=login)
    if status < 400:
        return None
    body = _body(response)
    said = ""
    if isinstance(body, dict):
        said = _text(body.get("errorText")) or _violations(body.get("violations"))
    kw: ErrorContext = {"code": f"HTTP {status}", "broker": BROKER}
    if status == 429:
        return RateLimited(LOCKOUT_TEXT, **kw)
    if status == 423:
        return RateLimited(SLOW_DOWN_TEXT, **kw)
    if status >= 500:
        return Unavailable(f"Tradovate had a server error (HTTP {status}).", **kw)
    if status == 401:
        if login:
            return AuthError(said or "Tradovate did not accept the login.", **kw)
        return SessionExpired(
            said or "Tradovate did not accept the access token (HTTP 401).", **kw
        )
    if status == 403:
        return PermissionDenied(
            said or "Tradovate does not allow this for these credentials.", **kw
        )
    if status == 404:
        return NotFound(said or "Tradovate does not know this (HTTP 404).", **kw)
    if status == 400:
        return Rejected(
            said or "Tradovate could not read the request (HTTP 400).", **kw
        )
    return Rejected(said or f"Tradovate refused the request (HTTP {status}).", **kw)


def throttle_policy(
    *, on_lockout: Callable[[], None], slow_down: Callable[[], float]
) -> Callable[[httpx.Response], Throttle | None]:
    """Which replies are rate-limit refusals (see ``net.http.ThrottlePolicy``).

    429: a lock-out; ``on_lockout`` pauses every budget for the hour, nothing is
    retried. 423: pause the request's budgets a few seconds; reads go again, writes
    are refused with ``RateLimited`` (nothing resent). Penalty tickets come with HTTP
    200 and are handled by the client (the resend needs the ticket in the body).
    """

    def policy(response: httpx.Response) -> Throttle | None:
        status = response.status_code
        if status == 429:
            on_lockout()
            return Throttle(LOCKOUT_SECONDS, retry=False, message=LOCKOUT_TEXT)
        if status == 423:
            if wire_path(response) in WRITE_PATHS:
                return Throttle(slow_down(), retry=False, message=SLOW_DOWN_WRITE_TEXT)
            return Throttle(slow_down(), message=SLOW_DOWN_TEXT)
        return None

    return policy

