"""Reading the shape of a broker's JSON reply: an unexpected shape is a ProtocolError
(the project's own), never an AttributeError or TypeError from deep inside a mapping."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar, cast

from desktop_app.domain.errors import BrokerError, ProtocolError

log = logging.getLogger(__name__)


def as_object(value: Any, what: str, *, broker: str = "") -> dict[str, Any]:
    """``value`` as a JSON object; anything else is a ProtocolError naming ``what``."""
    if isinstance(value, dict):
        return value
    raise ProtocolError(
        f"{broker or 'The broker'} sent {_kind(value)} where {what} was expected.",
        broker=broker,
    )


def as_list(value: Any, what: str, *, broker: str = "") -> list[Any]:
    """``value`` as a JSON array (``None`` is an empty one)."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    raise ProtocolError(
        f"{broker or 'The broker'} sent {_kind(value)} where a list of {what} was expected.",
        broker=broker,
    )


def objects(value: Any, what: str, *, broker: str = "") -> list[dict[str, Any]]:
    """A JSON array of objects; items that are not objects are a ProtocolError."""
    return [as_object(item, what, broker=broker) for item in as_list(value, what, broker=broker)]


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a true/false value"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, str):
        return "a text"
    return "a number"


F = TypeVar("F", bound=Callable[..., Any])

# What a mapping function may trip over in a reply it cannot read: a field of the wrong
# type, a missing key, a number that is not one or too big for Decimal arithmetic,
# nesting deeper than Python recurses.
_UNREADABLE = (AttributeError, TypeError, KeyError, IndexError, ValueError, ArithmeticError,
               RecursionError)


def reads(what: str, broker: str) -> Callable[[F], F]:
    """Mark a mapping function as a reader of ``what`` from the broker: a reply it cannot
    read is a ProtocolError naming it (with the fields it had, in the log), never an
    AttributeError from deep inside; the project's own errors pass unchanged."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except BrokerError:
                raise
            except _UNREADABLE as exc:
                log.warning("%s: %s unreadable (%s: %s); fields: %s", broker, what,
                            type(exc).__name__, str(exc)[:200], _field_names(args, kwargs))
                raise ProtocolError(
                    f"{broker} sent {what} that could not be read ({type(exc).__name__}).",
                    broker=broker,
                ) from None

        return cast(F, wrapper)

    return decorate


def _field_names(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """The keys of the reply objects passed in (never their values: they may be private)."""
    names: list[str] = []
    for value in (*args, *kwargs.values()):
        if isinstance(value, dict):
            names.extend(str(k)[:40] for k in list(value)[:30])
    return ", ".join(names) or "-"
