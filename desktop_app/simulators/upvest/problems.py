"""Upvest's problem details (RFC 9457), as raised by the simulator's handlers.

Types and titles as UP-DOCS "API Errors" lists them: ``https://docs.upvest.co/errors/``
+ ``bad_request`` "Bad Request", ``missing_client_id`` "Missing Client ID",
``missing_idempotency_key`` "Missing idempotency key", ``unauthorised`` "Unauthorised",
``forbidden`` "Forbidden", ``not_found`` "Not Found", ``conflict`` "Conflict",
``unprocessable_entity`` "Unprocessable Entity", ``too_many_requests`` "Too many
requests", ``internal_server_error``; ``request_id`` repeats the ``upvest-request-id``
header.
"""

from __future__ import annotations

TYPE_ROOT = "https://docs.upvest.co/errors/"

TITLES = {
    "bad_request": "Bad Request",
    "missing_client_id": "Missing Client ID",
    "missing_idempotency_key": "Missing idempotency key",
    "unauthorised": "Unauthorised",
    "forbidden": "Forbidden",
    "not_found": "Not Found",
    "method_not_allowed": "Method Not Allowed",
    "conflict": "Conflict",
    "unprocessable_entity": "Unprocessable Entity",
    "too_many_requests": "Too many requests",
    "internal_server_error": "Internal Server Error",
    "service_unavailable": "Service Unavailable",
}


class Problem(Exception):
    def __init__(self, status: int, kind: str, detail: str = "") -> None:
        super().__init__(detail or kind)
        self.status = status
        self.kind = kind
        self.detail = detail

    def body(self, request_id: str) -> dict[str, object]:
        out: dict[str, object] = {
            "type": TYPE_ROOT + self.kind,
            "status": self.status,
            "title": TITLES.get(self.kind, self.kind.replace("_", " ").capitalize()),
        }
        if self.detail:
            out["detail"] = self.detail
        out["request_id"] = request_id
        return out


def bad_request(detail: str) -> Problem:
    return Problem(400, "bad_request", detail)


def unauthorised(detail: str) -> Problem:
    return Problem(401, "unauthorised", detail)


def forbidden(detail: str) -> Problem:
    return Problem(403, "forbidden", detail)


def not_found(detail: str = "") -> Problem:
    return Problem(404, "not_found", detail)


def conflict(detail: str) -> Problem:
    return Problem(409, "conflict", detail)


def unprocessable(detail: str) -> Problem:
    return Problem(422, "unprocessable_entity", detail)
