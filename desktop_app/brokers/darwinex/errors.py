"""Darwinex replies as the domain's typed errors, in the broker's own words.

Three shapes reach a client:

- the WSO2 gateway's faults ``{"fault": {"code", "message", "description"}}``:
  900901 "Invalid Credentials" (a bad or expired access token, HTTP 401) and 900800
  "Message throttled out" (HTTP 429, with ``nextAccessTime``);
- the backend's business errors ``{"status": "<message>"}`` (HTTP 400/403/404/409), e.g.
  403 "Investor account provided does not belong to the user." after a demo reset;
- OAuth2 errors of ``POST /token``: ``{"error": "invalid_grant" | "invalid_client", ...}``.

Messages never quote the request, so no token can leak into them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
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
from desktop_app.domain.money import parse_utc, utc_now
from desktop_app.net.http import Throttle, retry_after_seconds

BROKER = "Darwinex"

INVALID_CREDENTIALS = "Invalid Credentials"
THROTTLED = "Message throttled out"
INVALID_CREDENTIALS_CODE = 900901
THROTTLED_CODE = 900800
NOT_YOUR_ACCOUNT = "Investor account provided does not belong to the user."

# Seconds to stop a throttled budget when the fault says nothing about when to retry.
DEFAULT_THROTTLE_PAUSE = 20.0
# A nextAccessTime further off than this is taken as clock skew and capped.
MAX_THROTTLE_PAUSE = 90.0

TOKEN_HINT = (
    "Generate a new token on darwinex.com (Tools > API > Generate token) for this "
    "environment - demo and live tokens differ - and enter the access and refresh "
    "tokens in the connection."
)


class TokenExpired(AuthError):
    """The gateway refused the access token (900901); the client refreshes it once."""

    default_hint = "The app renews the token by itself."


class AccountNotOwned(PermissionDenied):
    """403 "Investor account provided does not belong to the user." (a demo reset)."""


def reply_body(response: httpx.Response) -> Any:
    try:
        return exact_json.loads(response.content)
    except ValueError:
        return None


def fault(body: Any) -> dict[str, Any]:
    if isinstance(body, dict) and isinstance(found := body.get("fault"), dict):
        return found
    return {}


def status_text(body: Any) -> str:
    if isinstance(body, dict):
        text = body.get("status")
        if isinstance(text, str):
            return text.strip()
        message = body.get("message")
        if isinstance(message, str):
            return message.strip()
    return ""


def _is_token_call(response: httpx.Response) -> bool:
    return response.request.url.path.rstrip("/").endswith("/token")


def is_throttled(response: httpx.Response) -> bool:
    if response.status_code == 429:
        return True
    f = fault(reply_body(response))
    return f.get("code") == THROTTLED_CODE or f.get("message") == THROTTLED


def is_write(request: httpx.Request) -> bool:
    """Trading calls that change something. ``POST /products`` (a search) and the token
    refresh are safe to repeat after a refusal."""
    if request.method == "GET":
        return False
    path = request.url.path.rstrip("/")
    return not (path.endswith("/products") or path.endswith("/token"))


def throttle_pause(response: httpx.Response, time_scale: float = 1.0) -> float:
    """How long to stop: Retry-After, else the fault's nextAccessTime, else a back-off."""
    scale = time_scale if time_scale > 0 else 1.0
    fallback = DEFAULT_THROTTLE_PAUSE / scale
    if response.headers.get("Retry-After"):
        return min(retry_after_seconds(response, fallback), MAX_THROTTLE_PAUSE / scale)
    stamp = fault(reply_body(response)).get("nextAccessTime")
    if isinstance(stamp, str) and stamp:
        try:
            at: datetime = parse_utc(stamp)
        except ValueError:
            return fallback
        wait = (at - utc_now()).total_seconds()
        if math.isfinite(wait):
            return min(max(wait, 0.05 / scale), MAX_THROTTLE_PAUSE / scale)
    return fallback


def throttle_policy(time_scale: float = 1.0) -> Callable[[httpx.Response], Throttle | None]:
    """WSO2 throttling: pause the request's budgets; retry reads, refuse writes."""

    def policy(response: httpx.Response) -> Throttle | None:
        if not is_throttled(response):
            return None
        pause = throttle_pause(response, time_scale)
        if is_write(response.request):
            return Throttle(
                pause, retry=False,
                message=(
                    f"Darwinex is limiting requests (message throttled out); the order was "
                    f"not executed. Try again in {math.ceil(pause)} s."
                ),
            )
        return Throttle(pause)

    return policy


def _oauth_error(response: httpx.Response, body: Any) -> BrokerError:
    error = body.get("error") if isinstance(body, dict) else None
    kw: ErrorContext = {"code": str(error or response.status_code), "broker": BROKER}
    if error == "invalid_grant":
        return AuthError(
            "Darwinex no longer accepts the refresh token (invalid_grant): it was used "
            "already, has expired or was revoked.",
            hint=TOKEN_HINT, **kw,
        )
    if error == "invalid_client" or response.status_code == 401:
        return AuthError(
            "Darwinex did not accept the consumer key and secret (invalid_client).",
            hint=(
                "Copy both from the API store (Applications > your application > "
                "Production keys) into the connection."
            ),
            **kw,
        )
    what = error or f"HTTP {response.status_code}"
    return AuthError(f"Darwinex refused to renew the token ({what}).", hint=TOKEN_HINT, **kw)


def map_error(response: httpx.Response) -> BrokerError | None:
    """The ``error_mapper`` for ``BrokerHttp``: None for a success, else a typed error."""
    status = response.status_code
    if status < 400:
        return None
    body = reply_body(response)
    f = fault(body)
    text = status_text(body)
    kw: ErrorContext = {"code": str(f.get("code") or status), "broker": BROKER}

    if is_throttled(response):
        return RateLimited(
            f"Darwinex is limiting requests ({f.get('message') or THROTTLED}: "
            f"{f.get('description') or 'You have exceeded your quota'}).",
            **kw,
        )
    if _is_token_call(response):
        if status >= 500:
            return Unavailable(f"Darwinex's token service had an error (HTTP {status}).", **kw)
        return _oauth_error(response, body)
    if status >= 500:
        return Unavailable(f"Darwinex had a server error (HTTP {status}).", **kw)
    if f.get("code") == INVALID_CREDENTIALS_CODE or f.get("message") == INVALID_CREDENTIALS or (
        status == 401
    ):
        return TokenExpired(
            "Darwinex did not accept the access token (Invalid Credentials).", **kw
        )
    if status == 403:
        if text == NOT_YOUR_ACCOUNT:
            return AccountNotOwned(text, code="not_your_account", broker=BROKER)
        return PermissionDenied(
            text or "Darwinex does not allow this for this token.", **kw
        )
    if status == 404:
        return NotFound(text or f.get("description") or "Not found at Darwinex.", **kw)
    if text:
        return Rejected(text, **kw)
    return Rejected(f"Darwinex refused the request (HTTP {status}).", **kw)
