"""Upvest's ``application/problem+json`` replies as the domain's typed errors.

Every error body is RFC 7807/9457 problem details (UP-SPEC ``ResponseSingleError``;
UP-DOCS "API Errors"): ``{type, status, title?, detail?, instance?, request_id?}``, with
``type`` a URL such as ``https://docs.upvest.co/errors/unauthorised`` (the spec's own
examples give the bare ``unauthorised``), and an ``upvest-request-id`` header on every
reply. Messages quote Upvest's title and detail and end with the request id, which is
what Upvest's support asks for; they never quote the request, so no secret leaks.

- 401 on ``/auth/token``: the client id or secret (or the token request's signature)
  was refused: ``AuthError``;
- 401 elsewhere: ``TokenRejected`` (an ``AuthError``): a stale token or a signature
  Upvest did not accept; the client renews the token once and sends again (nothing was
  done: the request was refused before it reached the service);
- 403 ``PermissionDenied`` (a scope not granted), 404 ``NotFound``, 400/409/422
  ``Rejected`` (malformed, the resource's state forbids it, a semantic error),
  406 ``ProtocolError`` (we asked for a representation Upvest does not have),
  429 ``RateLimited``, 5xx ``Unavailable``.
"""

from __future__ import annotations

from dataclasses import dataclass
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

BROKER = "Upvest"
TOKEN_PATH = "/auth/token"
REQUEST_ID_HEADER = "upvest-request-id"

CREDENTIALS_HINT = (
    "Check the client id, client secret, key id and private key in the connection: "
    "Upvest issues them together when it registers your public key."
)
SCOPE_HINT = "Ask Upvest to grant this client the scope, or add it to the connection's scopes."


class TokenRejected(AuthError):
    """A 401 on a call that carried a token: stale, revoked, or a refused signature."""

    default_hint = "The app asks for a new token by itself."


@dataclass(frozen=True, slots=True)
class Problem:
    type: str
    status: int
    title: str = ""
    detail: str = ""
    instance: str = ""
    request_id: str = ""

    @property
    def kind(self) -> str:
        """The error type's last path segment (``unauthorised``, ``too_many_requests``)."""
        return self.type.rstrip("/").rsplit("/", 1)[-1]

    def words(self, fallback: str) -> str:
        """Upvest's title and detail ("Unauthorised: Signature is incorrect")."""
        title = self.title.strip()
        detail = self.detail.strip()
        if title and detail and detail.lower() != title.lower():
            return f"{title}: {detail}"
        return title or detail or fallback


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def problem_of(response: httpx.Response) -> Problem | None:
    """The problem details of an error reply, or None when the body is not one."""
    try:
        body = exact_json.loads(response.content) if response.content else None
    except ValueError:
        body = None
    header_id = response.headers.get(REQUEST_ID_HEADER, "")
    if not isinstance(body, dict):
        if response.status_code < 400:
            return None
        return Problem(type="", status=response.status_code, request_id=header_id)
    status = body.get("status")
    return Problem(
        type=_text(body.get("type")),
        status=status if isinstance(status, int) else response.status_code,
        title=_text(body.get("title")),
        detail=_text(body.get("detail")),
        instance=_text(body.get("instance")),
        request_id=_text(body.get("request_id")) or header_id,
    )


def with_request_id(message: str, problem: Problem) -> str:
    if not problem.request_id:
        return message
    return f"{message} (Upvest request id {problem.request_id})"


def is_token_call(request: httpx.Request) -> bool:
    return request.url.path.rstrip("/").endswith(TOKEN_PATH)


def map_error(response: httpx.Response) -> BrokerError | None:
    """The ``error_mapper`` for ``BrokerHttp``: None for a success, else a typed error."""
    status = response.status_code
    if status < 400:
        return None
    problem = problem_of(response) or Problem(type="", status=status)
    kw: dict[str, Any] = {"code": problem.kind or str(status), "broker": BROKER}

    def said(fallback: str) -> str:
        return with_request_id(problem.words(fallback), problem)

    if status == 429:
        return RateLimited(said("Too many requests"), **kw)
    if status >= 500:
        return Unavailable(said(f"Upvest had a server error (HTTP {status})"), **kw)
    if is_token_call(response.request):
        if status == 403:
            return PermissionDenied(
                said("Upvest did not grant the requested scopes"), hint=SCOPE_HINT, **kw
            )
        return AuthError(
            said("Upvest did not accept the client credentials"), hint=CREDENTIALS_HINT, **kw
        )
    if status == 401:
        return TokenRejected(said("Upvest did not accept the request's authorisation"), **kw)
    if status == 403:
        return PermissionDenied(said("Upvest does not allow this for this client"),
                                hint=SCOPE_HINT, **kw)
    if status == 404:
        return NotFound(said("Not found at Upvest"), **kw)
    if status == 406:
        return ProtocolError(said("Upvest cannot answer in JSON (Not acceptable)"), **kw)
    return Rejected(said(f"Upvest refused the request (HTTP {status})"), **kw)
