"""Loading the public examples under tests/fixtures and comparing replies with them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def shape_errors(example: Any, actual: Any, where: str = "$",
                 optional: frozenset[str] = frozenset()) -> list[str]:
    """Where ``actual`` lacks a key of ``example`` or has another JSON type; arrays are
    compared by their first items. A null in the example matches anything; keys named in
    ``optional`` (as ``key`` or ``$.path.key``) may be missing."""
    if example is None:
        return []
    if _kind(example) != _kind(actual):
        return [f"{where}: {_kind(actual)} where the example has {_kind(example)}"]
    errors: list[str] = []
    if isinstance(example, dict):
        for key, value in example.items():
            if key not in actual:
                if key not in optional and f"{where}.{key}" not in optional:
                    errors.append(f"{where}.{key} missing")
                continue
            errors += shape_errors(value, actual[key], f"{where}.{key}", optional)
    elif isinstance(example, list) and example and actual:
        errors += shape_errors(example[0], actual[0], f"{where}[0]", optional)
    return errors


def values_of(body: Any, key: str) -> list[Any]:
    """Every value of ``key`` anywhere in ``body``."""
    found: list[Any] = []
    if isinstance(body, dict):
        for k, v in body.items():
            if k == key and not isinstance(v, dict | list):
                found.append(v)
            found += values_of(v, key)
    elif isinstance(body, list):
        for item in body:
            found += values_of(item, key)
    return found
