"""Exact JSON for money: a Decimal goes out as its own digits and comes back a Decimal.

``json.dumps`` knows no Decimal, and a float would round a price or a size, so request
bodies are written here; replies are read with ``parse_float=Decimal`` so ``0.1`` never
passes through binary floating point.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any


def dumps(value: Any, *, allow_float: bool = False) -> bytes:
    """Compact JSON; a Decimal is written in plain digits (``1.08503``, ``100``).

    Floats are refused unless ``allow_float`` (the simulators' non-money figures)."""
    parts: list[str] = []
    _write(value, parts, allow_float)
    return "".join(parts).encode("utf-8")


def _write(value: Any, out: list[str], allow_float: bool = False) -> None:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} cannot be sent as a JSON number")
        out.append(format(value, "f"))
    elif isinstance(value, float) and not allow_float:
        # Money and sizes are Decimal end to end; a float here is a bug upstream.
        raise TypeError(f"refusing to send the float {value!r}; use Decimal")
    elif isinstance(value, Mapping):
        out.append("{")
        for i, (key, item) in enumerate(value.items()):
            if i:
                out.append(",")
            out.append(json.dumps(str(key), ensure_ascii=False))
            out.append(":")
            _write(item, out, allow_float)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out, allow_float)
        out.append("]")
    else:
        out.append(json.dumps(value, ensure_ascii=False))


def loads(content: bytes | str) -> Any:
    """JSON with every non-integer number read as an exact Decimal.

    Anything that is not readable JSON raises ValueError, nesting too deep for the
    parser included (a RecursionError is not a reply the app can read either)."""
    try:
        return json.loads(content, parse_float=Decimal)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply to be read") from None
