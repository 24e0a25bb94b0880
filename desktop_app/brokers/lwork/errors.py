"""LWork's ``{result, mcode, data}`` envelope and its error codes as typed errors.

Every TW API reply is an envelope (LW-DOCS, every section): ``result: true`` with
``mcode: "m0000000"`` is a success, anything else an error whose code is in ``mcode``
(some replies add ``message`` or ``errorMessage``). Errors come with HTTP 200, so the
``error_mapper`` given to ``BrokerHttp`` reads the body of every reply.

LWork's words for a code come from ``GET /v1/api/sys/error/code?lang=...`` (LW-DOCS 1.5),
which the client reads once and caches: the mapper, which cannot wait for a request,
raises ``Refusal`` with the bare code, and the client turns it into the typed error with
LWork's text (``explain``). Which typed error a code becomes is fixed by ``KINDS``: the
codes of LW-DOCS and the research notes, and the ones the simulator uses where LWork
documents none (marked there). An unknown code is ``Rejected`` in LWork's words.
"""

from __future__ import annotations

from typing import Any

import httpx

from desktop_app.domain import exact_json
from desktop_app.domain.errors import (
    AuthError,
    BrokerError,
    NotFound,
    PermissionDenied,
    ProtocolError,
    RateLimited,
    Rejected,
    Unavailable,
)
from desktop_app.net.http import MaybeSent, Throttle, retry_after_seconds

BROKER = "LWork"
SUCCESS = "m0000000"
SYSTEM_ERROR = "-1"
ERROR_CODES_PATH = "/v1/api/sys/error/code"

SIGNATURE_HINT = (
    "Check the tenant's RSA private key in the profile: its public key must be the one "
    "registered in LWork's Support Center."
)
CREDENTIALS_HINT = "Check the tenant id, API token, login and password in the profile."

# Which typed error each code becomes. LW-DOCS documents -1 and the PUB_AUTH e-mail and
# phone codes; the research notes add the others from LWork's client apps (UNCONFIRMED);
# TWAPI_* are the simulator's, for cases LWork documents no code for (UNCONFIRMED).
AUTH_CODES = frozenset({
    "PUB_AUTH_0000017", "PUB_AUTH_0000052",  # wrong user name or password
    "PUB_AUTH_0000018",  # token expired
    "PUB_AUTH_0000029", "BW_API_0000001",  # token empty
    "TWAPI_0000014",  # unknown tenant
})
PERMISSION_CODES = frozenset({"BW_API_0000004"})  # no OPENAPI permission
NOT_FOUND_CODES = frozenset({
    "TWAPI_0000001",  # trading account
    "TWAPI_0000008",  # user
    "TWAPI_0000009",  # deposit application
    "TWAPI_0000011",  # server
    "TWAPI_0000013",  # demo account type
})
SIGNATURE_CODES = frozenset({"TWAPI_0000005"})

# LWork's words for the codes its docs and client apps show, for when the code list
# itself cannot be read (it needs the same tenant headers a refused token lacks).
KNOWN_TEXTS = {
    SYSTEM_ERROR: "System error",
    "PUB_AUTH_0000001": "Email format error",
    "PUB_AUTH_0000002": "Mobile format error",
    "PUB_AUTH_0000007": "Email already registered",
    "PUB_AUTH_0000008": "Phone already registered",
    "PUB_AUTH_0000017": "Wrong username or password",
    "PUB_AUTH_0000052": "Wrong username or password",
    "PUB_AUTH_0000018": "Token expired",
    "PUB_AUTH_0000029": "Token empty",
    "BW_API_0000001": "token is empty",
    "BW_API_0000003": "invalid ID",
    "BW_API_0000004": "No OPENAPI permission",
}


class Refusal(Rejected):
    """An envelope that is not a success, before LWork's words are looked up."""

    def __init__(self, mcode: str, said: str, *, status: int) -> None:
        super().__init__(said or f"LWork refused the request ({mcode}).", code=mcode,
                         broker=BROKER)
        self.mcode = mcode
        self.said = said
        self.status = status


class SystemError_(Unavailable):
    """mcode -1 ("System error"): LWork failed on its side; a read may be tried again, a
    write's outcome is unknown."""


def _body(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return exact_json.loads(response.content)
    except ValueError:
        return None


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def said_in(body: dict[str, Any]) -> str:
    """The reply's own message, where LWork adds one (``message`` / ``errorMessage``)."""
    for key in ("message", "errorMessage"):
        value = body.get(key)
        if isinstance(value, list):
            value = "; ".join(_text(v) for v in value if _text(v))
        if _text(value):
            return _text(value)
    return ""


def envelope_error(body: Any, status: int = 200) -> Refusal | None:
    """The refusal an envelope carries, or None for a success (or a non-envelope, which
    the client reports as unreadable)."""
    if not isinstance(body, dict) or "result" not in body:
        return None
    mcode = _text(body.get("mcode"))
    if body.get("result") is True and mcode == SUCCESS:
        return None
    return Refusal(mcode or "(none)", said_in(body), status=status)


def map_error(response: httpx.Response) -> BrokerError | None:
    """The ``error_mapper`` for ``BrokerHttp``: None for a success, else an error."""
    status = response.status_code
    body = _body(response)
    refusal = envelope_error(body, status)
    if status < 400:
        return refusal
    code = refusal.mcode if refusal else f"HTTP {status}"
    kw = {"code": code, "broker": BROKER}
    said = refusal.said if refusal else ""
    if status == 429:
        return RateLimited(said or "LWork is limiting requests (HTTP 429).", code=code,
                           broker=BROKER)
    if status >= 500:
        return Unavailable(said or f"LWork had a server error (HTTP {status}).", **kw)
    if refusal is not None and refusal.mcode not in ("(none)", SYSTEM_ERROR):
        return refusal  # the envelope's code says more than the status
    if status == 401:
        return AuthError(said or "LWork did not accept the tenant id or API token.",
                         hint=CREDENTIALS_HINT, **kw)
    if status == 403:
        return PermissionDenied(said or "LWork does not allow this for this tenant.", **kw)
    if status == 404:
        return NotFound(said or "LWork does not know this (HTTP 404).", **kw)
    return Rejected(said or f"LWork refused the request (HTTP {status}).", **kw)


def throttle_policy(response: httpx.Response) -> Throttle | None:
    """LWork documents no rate limit; should it answer 429, wait ``Retry-After`` (or
    two seconds) and try again, as a refused request had no effect."""
    if response.status_code == 429:
        return Throttle(retry_after_seconds(response, default=2.0))
    return None


def explain(refusal: Refusal, codebook: dict[str, str], *, write: bool) -> BrokerError:
    """The typed error for a refusal, in LWork's words (its code list, else the words
    its docs show, then the reply's own message, then the bare code)."""
    mcode = refusal.mcode
    listed = codebook.get(mcode, "") or KNOWN_TEXTS.get(mcode, "")
    said = refusal.said
    if listed and said and said != listed:
        text = f"{listed} ({said})"
    else:
        text = listed or said or f"LWork refused the request (code {mcode})."
    kw = {"code": mcode, "broker": BROKER}
    if mcode == SYSTEM_ERROR:
        if write:
            return MaybeSent(
                f"LWork reported a system error ({text}); the request may have been "
                "carried out.", **kw)
        return SystemError_(text, **kw)
    if mcode in AUTH_CODES:
        return AuthError(text, hint=CREDENTIALS_HINT, **kw)
    if mcode in PERMISSION_CODES:
        return PermissionDenied(text, **kw)
    if mcode in NOT_FOUND_CODES:
        return NotFound(text, **kw)
    if mcode in SIGNATURE_CODES:
        return Rejected(text, hint=SIGNATURE_HINT, **kw)
    return Rejected(text, **kw)


def unreadable(what: str, *, write: bool) -> BrokerError:
    """A success envelope whose ``data`` is not what the docs describe."""
    if write:
        return MaybeSent(
            f"LWork accepted the request but its reply could not be read ({what}).",
            broker=BROKER,
        )
    return ProtocolError(f"LWork sent an unexpected reply ({what}).", broker=BROKER)
