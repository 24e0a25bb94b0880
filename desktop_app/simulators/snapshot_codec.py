"""Small, exact encodings for the simulators' saved state (the Sandbox's state file).

Money and sizes go out as Decimal strings (``"10000.00"`` comes back with its exponent),
instants as ISO 8601 UTC text, a ``random.Random``'s state as a list.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from datetime import datetime
from decimal import Decimal
from types import UnionType
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")


def dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def undec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def req_dec(value: Any) -> Decimal:
    if value is None:
        raise ValueError("a saved amount is missing")
    return Decimal(str(value))


def when(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def unwhen(value: Any) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        raise ValueError(f"saved time {value!r} has no zone")
    return parsed


def req_when(value: Any) -> datetime:
    parsed = unwhen(value)
    if parsed is None:
        raise ValueError("a saved time is missing")
    return parsed


def rng_state(rng: random.Random) -> list[Any]:
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def set_rng_state(rng: random.Random, saved: list[Any]) -> None:
    version, internal, gauss = saved
    rng.setstate((int(version), tuple(int(x) for x in internal), gauss))


# ----------------------------------------------------------------------------- dataclasses
def plain(value: Any) -> Any:
    """A dataclass (or list of them) as JSON-ready rows; Decimals and instants as text."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return to_row(value)
    return value


def to_row(obj: Any, *, refs: dict[str, Callable[[Any], Any]] | None = None,
           skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """``obj``'s fields by name; ``refs`` turns a field that points at another object
    (a contract, a client) into its key."""
    refs = refs or {}
    row = {}
    for f in fields(obj):
        if f.name in skip:
            continue
        value = getattr(obj, f.name)
        row[f.name] = refs[f.name](value) if f.name in refs else plain(value)
    return row


def from_row(cls: type[T], row: dict[str, Any], *,
             refs: dict[str, Callable[[Any], Any]] | None = None, **given: Any) -> T:
    """The inverse of ``to_row``: each field read back by its annotated type; fields not
    in ``row`` keep their defaults, ``given`` ones are taken as they are."""
    refs = refs or {}
    hints = get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in fields(cls):  # type: ignore[arg-type]
        if f.name in given:
            kwargs[f.name] = given[f.name]
        elif f.name in row:
            value = row[f.name]
            kwargs[f.name] = refs[f.name](value) if f.name in refs else revive(
                hints[f.name], value)
    return cls(**kwargs)


def revive(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = get_origin(hint)
    if origin in (Union, UnionType):
        arms = [a for a in get_args(hint) if a is not type(None)]
        return revive(arms[0], value) if len(arms) == 1 else value
    if origin in (list, tuple):
        (item, *_rest) = get_args(hint) or (Any,)
        items = [revive(item, v) for v in value]
        return items if origin is list else tuple(items)
    if hint is Decimal:
        return Decimal(str(value))
    if hint is datetime:
        return req_when(value)
    if isinstance(hint, type) and is_dataclass(hint):
        return from_row(hint, value)
    if hint in (int, float, str, bool):
        return hint(value)
    return value
