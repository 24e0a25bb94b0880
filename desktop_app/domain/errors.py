"""Typed errors. Each message is written for a trader: what happened, what to do."""

from __future__ import annotations

from typing import TypedDict


class ErrorContext(TypedDict):
    """The keyword arguments every broker's error mapper passes along (``**context``)."""

    code: str
    broker: str


class BrokerError(Exception):
    """Base of every error a broker service raises."""

    default_hint = ""

    def __init__(self, message: str, *, code: str = "", broker: str = "", hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.broker = broker
        self.hint = hint or self.default_hint

    def user_text(self) -> str:
        prefix = f"{self.broker}: " if self.broker else ""
        suffix = f" {self.hint}" if self.hint else ""
        return f"{prefix}{self.message}{suffix}"

    def __str__(self) -> str:
        return self.user_text()


class AuthError(BrokerError):
    default_hint = "Check the API key, login and password in the profile, then reconnect."


class PermissionDenied(BrokerError):
    default_hint = "This account or action is not enabled for these credentials."


class AccountMoved(PermissionDenied):
    """The broker replaced an account with another (a Darwinex demo reset gives a new
    investor account id). Nothing was done; the connection now uses ``new_id``."""

    default_hint = "Nothing was sent; check the new account and place the order again."

    def __init__(
        self, message: str, *, old_id: str, new_id: str, code: str = "", broker: str = "",
        hint: str = "",
    ) -> None:
        super().__init__(message, code=code, broker=broker, hint=hint)
        self.old_id = old_id
        self.new_id = new_id


class RateLimited(BrokerError):
    default_hint = "The app slows down by itself; try again in a moment."

    def __init__(
        self, message: str, *, retry_after: float | None = None, code: str = "",
        broker: str = "", hint: str = "",
    ) -> None:
        super().__init__(message, code=code, broker=broker, hint=hint)
        self.retry_after = retry_after


class Rejected(BrokerError):
    """The broker understood the request and said no (incl. HTTP-200 business errors)."""


class NotFound(BrokerError):
    pass


class Unavailable(BrokerError):
    default_hint = "The broker could not be reached; the app keeps retrying reads."


class NotSent(Unavailable):
    """A write that provably never reached the broker whole (no connection, or the
    connection failed while the request was still being written): nothing was taken."""

    default_hint = "Nothing reached the broker and nothing was taken; you can send it again."


class ProtocolError(BrokerError):
    default_hint = "The broker's answer could not be read; please report this."


class NotSupported(BrokerError):
    pass


class ValidationError(BrokerError):
    """Local form validation: nothing was sent."""

    def __init__(
        self, message: str, *, field: str = "", code: str = "", broker: str = "",
        hint: str = "",
    ) -> None:
        super().__init__(message, code=code, broker=broker, hint=hint)
        self.field = field


class DuplicateOrder(ValidationError):
    """An identical order for the same account was sent moments ago (a double click, a
    repeated hotkey). Nothing was sent; the trader may confirm and send it again with
    ``allow_duplicate``."""

    default_hint = "Nothing was sent. Confirm to send the same order a second time."

    def __init__(
        self, message: str, *, seconds_ago: float, field: str = "", code: str = "",
        broker: str = "", hint: str = "",
    ) -> None:
        super().__init__(message, field=field, code=code, broker=broker, hint=hint)
        self.seconds_ago = seconds_ago


class OutcomeUnknown(BrokerError):
    """A write whose result could not be established even after reconciliation."""

    default_hint = (
        "Nothing was resent. Check the positions and working orders before trying again; "
        "the journal keeps the request for reconciliation."
    )
