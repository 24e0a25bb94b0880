"""Capital.com's ``{"errorCode": ...}`` replies as the domain's typed errors.

Every message is written for a trader; the broker's raw code stays in ``error.code``.
Messages never quote the request, so no credential can leak into them.
"""

from __future__ import annotations

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

BROKER = "Capital.com"

INVALID_DETAILS = "error.invalid.details"
INVALID_SESSION = "error.invalid.session.token"
NOT_DIFFERENT_ACCOUNT = "error.not-different.accountId"
NOT_FOUND_DEAL_REFERENCE = "error.not-found.dealReference"
INVALID_DEAL_REFERENCE = "error.invalid.dealReference"
TOO_MANY_REQUESTS = "error.too-many.requests"

# A 401 with one of these means the session is gone, not the credentials.
SESSION_CODES = frozenset(
    {
        INVALID_SESSION,
        "error.security.account.token.invalid",
        "error.security.client.token.invalid",
        "error.null.client.token",
        "error.null.account.token",
        "error.invalid.account.token",
        "error.invalid.client.token",
    }
)


class SessionExpired(AuthError):
    """The CST / X-SECURITY-TOKEN pair is no longer valid; the client logs in again once."""

    default_hint = "The app logs in again by itself."


_API_KEY_MESSAGES = {
    "error.null.api.key": "No API key was sent.",
    "error.invalid.api.key": "The API key was not accepted.",
    "error.invalid.api.key.expired": (
        "The API key has expired. Generate a new one under Settings > API integrations."
    ),
    "error.invalid.api.key.disabled": (
        "The API key is paused. Resume it under Settings > API integrations."
    ),
}

_NOT_FOUND_NAMES = {
    "dealId": "Position or order not found (it may already be closed or cancelled).",
    "dealReference": "Deal confirmation not found.",
    "epic": "Market not found.",
    "watchlist": "Watchlist not found.",
    "accountId": "Account not found.",
    "nodeId": "Market category not found.",
    "path": "Capital.com does not offer this request.",
}

# The broker's bounds are on the level's *value*; which one is "too close" depends on the
# direction, so the service adds that (see ``level_hint``).
_LEVEL_MESSAGES = {
    "error.invalid.stoploss.minvalue": "Stop loss level too low: minimum is {}",
    "error.invalid.stoploss.maxvalue": "Stop loss level too high: maximum is {}",
    "error.invalid.takeprofit.minvalue": "Take profit level too low: minimum is {}",
    "error.invalid.takeprofit.maxvalue": "Take profit level too high: maximum is {}",
    "error.invalid.size.minvalue": "Size too small: minimum is {}",
    "error.invalid.size.maxvalue": "Size too large: maximum is {}",
    "error.invalid.level.minvalue": "Order level too low: minimum is {}",
    "error.invalid.level.maxvalue": "Order level too high: maximum is {}",
}


def level_hint(code: str, buying: bool) -> str:
    """For a stop / profit bound: is the level too close to the market or too far from it?"""
    base, _ = split_code(code)
    kind, _, bound = base.removeprefix("error.invalid.").partition(".")
    if kind not in ("stoploss", "takeprofit") or bound not in ("minvalue", "maxvalue"):
        return ""
    # A buy's stop lies below the market and its profit above; a sell's the other way.
    below = (kind == "stoploss") == buying
    too_low = bound == "minvalue"
    close = too_low != below
    side = "buy" if buying else "sell"
    return f"too {'close to' if close else 'far from'} the market for a {side}"


_REJECTED_MESSAGES = {
    NOT_DIFFERENT_ACCOUNT: "This account is already the active one.",
    "error.invalid.accountId": "Capital.com does not know this account for these credentials.",
    "error.invalid.leverage.value": (
        "This leverage is not offered for this asset class; choose one of the listed values."
    ),
    INVALID_DEAL_REFERENCE: "The deal confirmation is not ready yet.",
    "error.null.searchTerm": "Enter a market name to search for.",
    "error.null.epic": "No market was chosen.",
    "error.not-in-future.goodTillDate": "The expiry time must be in the future.",
    "error.size.createwatchlistrequest.name": "A watchlist name must have 1 to 20 characters.",
    "error.invalid.from": "The start date is not valid.",
    "error.invalid.limit": "The limit is not valid.",
    "error.invalid.resolution": "The price resolution is not valid.",
    "error.invalid.watchlist": "Watchlist not found.",
    "error.invalid.hedgingMode": "Hedging mode cannot be changed now.",
    "error.invalid.stoploss.not-allowed": (
        "Stop loss is not allowed on this market (real stocks take no stop loss or take "
        "profit)."
    ),
    "error.invalid.takeprofit.not-allowed": (
        "Take profit is not allowed on this market (real stocks take no stop loss or take "
        "profit)."
    ),
    "error.invalid.guaranteedstop.stop-required": "A guaranteed stop needs a stop level.",
    "error.invalid.guaranteedstop.hedging-mode": (
        "Guaranteed stops are not available in hedging mode."
    ),
    "error.invalid.trailingstop.disabled": "Trailing stops are switched off for this account.",
    "error.invalid.amount": "Capital.com does not accept this amount.",
    "error.topup.live-account": "Top-up works on demo accounts only.",
    "error.invalid.epics": "Too many markets requested at once (at most 50).",
    "error.malformed.request": "Capital.com could not read the request.",
}


def error_code(response: httpx.Response) -> str:
    try:
        body = exact_json.loads(response.content)
    except ValueError:
        return ""
    if isinstance(body, dict):
        code = body.get("errorCode")
        if isinstance(code, str):
            return code.strip()
    return ""


def split_code(raw: str) -> tuple[str, str]:
    """``"error.invalid.stoploss.minvalue: 17.1"`` -> ``("error.invalid...minvalue", "17.1")``."""
    base, sep, value = raw.partition(":")
    return base.strip(), value.strip() if sep else ""


def _is_login(response: httpx.Response) -> bool:
    request = response.request
    return request.method == "POST" and request.url.path.rstrip("/").endswith("/session")


def map_error(response: httpx.Response) -> BrokerError | None:
    """The ``error_mapper`` for ``BrokerHttp``: None for a success, else a typed error."""
    status = response.status_code
    if status < 400:
        return None
    raw = error_code(response)
    base, value = split_code(raw)
    kw: ErrorContext = {"code": raw, "broker": BROKER}

    if status == 429 or base == TOO_MANY_REQUESTS:
        return RateLimited("Capital.com is limiting requests (too many requests).", **kw)
    if status >= 500:
        return Unavailable(f"Capital.com had a server error (HTTP {status}).", **kw)

    if base == INVALID_DETAILS:
        return AuthError(
            "Login or password not accepted by Capital.com.",
            hint=(
                "Check the login e-mail and the password (the API key's custom password if "
                "it has one), then reconnect."
            ),
            **kw,
        )
    if base in _API_KEY_MESSAGES:
        return AuthError(_API_KEY_MESSAGES[base], **kw)
    if base.startswith("error.invalid.api.key"):
        return AuthError("The API key was not accepted.", **kw)
    if base in SESSION_CODES or (status == 401 and not _is_login(response)):
        return SessionExpired("The Capital.com session has expired.", **kw)
    if status == 401:
        return AuthError("Capital.com did not accept the login.", **kw)
    if status == 403:
        return PermissionDenied("Capital.com does not allow this for these credentials.", **kw)

    if base.startswith("error.not-found.") or base.endswith(".not-found") or status == 404:
        what = base.removeprefix("error.not-found.")
        if base.endswith(".not-found"):
            what = base.removeprefix("error.").removesuffix(".not-found")
        message = _NOT_FOUND_NAMES.get(what) or _REJECTED_MESSAGES.get(base)
        if message is None:
            message = f"{what} not found." if what and what != base else "Not found."
        return NotFound(message, **kw)

    if base in _LEVEL_MESSAGES and value:
        return Rejected(_LEVEL_MESSAGES[base].format(value), **kw)
    if base in _REJECTED_MESSAGES:
        return Rejected(_REJECTED_MESSAGES[base], **kw)
    if raw:
        return Rejected(f"Capital.com refused the request ({raw}).", **kw)
    return Rejected(f"Capital.com refused the request (HTTP {status}).", **kw)
