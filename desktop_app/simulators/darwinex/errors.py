"""Darwinex error answers.

Two shapes reach a client ([RB] api.rb matches on both):

- the WSO2 gateway's faults, ``{"fault": {"code", "message", "description"}}`` (bad token,
  throttling, unknown resource);
- the backend's business errors, ``{"status": "<message>"}`` (HTTP 400/403/404/409).

The token endpoint speaks OAuth2: ``{"error", "error_description"}``.
"""

from __future__ import annotations

from typing import Any

NOT_YOUR_ACCOUNT = "Investor account provided does not belong to the user."


class DarwinexError(Exception):
    def __init__(
        self, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def business(status: int, message: str) -> DarwinexError:
    return DarwinexError(status, {"status": message})


def bad_request(message: str) -> DarwinexError:
    return business(400, message)


def conflict(message: str) -> DarwinexError:
    return business(409, message)


def not_found(message: str) -> DarwinexError:
    return business(404, message)


def fault(status: int, code: int, message: str, description: str, **extra: Any) -> DarwinexError:
    return DarwinexError(
        status, {"fault": {"code": code, "message": message, "description": description, **extra}}
    )


def invalid_credentials() -> DarwinexError:
    return fault(
        401,
        900901,
        "Invalid Credentials",
        "Invalid Credentials. Make sure you have given the correct access token",
    )


def no_matching_resource() -> DarwinexError:
    return fault(
        404,
        900906,
        "No matching resource found for given API Request",
        "The requested resource is not available.",
    )


def method_not_allowed() -> DarwinexError:
    return fault(
        405,
        900906,
        "No matching resource found for given API Request",
        "The method is not allowed for the requested resource.",
    )


def throttled(next_access_time: str, retry_after: int | None) -> DarwinexError:
    error = fault(
        429,
        900800,
        "Message throttled out",
        "You have exceeded your quota",
        nextAccessTime=next_access_time,
    )
    if retry_after is not None:
        error.headers["Retry-After"] = str(retry_after)
    return error


def oauth(status: int, error: str, description: str) -> DarwinexError:
    return DarwinexError(status, {"error": error, "error_description": description})
