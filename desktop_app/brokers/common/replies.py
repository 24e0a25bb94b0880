"""Reading the shape of a broker's JSON reply: an unexpected shape is a ProtocolError
(the project's own), never an AttributeError or TypeError from deep inside a mapping."""

from __future__ import annotations

from typing import Any

from desktop_app.domain.errors import ProtocolError


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
