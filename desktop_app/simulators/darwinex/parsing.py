"""Lenient reading of request bodies and query strings (numbers may come as strings)."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from starlette.datastructures import QueryParams

from desktop_app.simulators.darwinex import errors
from desktop_app.simulators.darwinex.book import Thresholds
from desktop_app.simulators.darwinex.products import CENT

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 1000


def opt_decimal(body: dict[str, Any], key: str) -> Decimal | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise errors.bad_request(f"{key} must be a number.")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise errors.bad_request(f"{key} must be a number.") from exc
    if not number.is_finite():
        raise errors.bad_request(f"{key} must be a number.")
    return number


def req_decimal(body: dict[str, Any], key: str) -> Decimal:
    value = opt_decimal(body, key)
    if value is None:
        raise errors.bad_request(f"{key} is required.")
    return value


def req_str(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if value is None or not str(value).strip():
        raise errors.bad_request(f"{key} is required.")
    return str(value).strip()


def opt_quote(body: dict[str, Any], key: str) -> Decimal | None:
    """A DARWIN quote: two decimals, like every quote the API shows."""
    value = opt_decimal(body, key)
    return None if value is None else value.quantize(CENT, ROUND_HALF_EVEN)


def thresholds(body: dict[str, Any]) -> Thresholds | None:
    """``thresholdParameters``: None when absent, else its stop loss and take profit."""
    raw = body.get("thresholdParameters")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise errors.bad_request("thresholdParameters must be an object.")
    return Thresholds(opt_quote(raw, "quoteStopLoss"), opt_quote(raw, "quoteTakeProfit"))


def query_int(query: QueryParams, key: str, default: int | None = None) -> int | None:
    text = (query.get(key) or "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise errors.bad_request(f"{key} must be an integer.") from None


def paging(query: QueryParams) -> tuple[int, int]:
    """0-based ``page`` and ``per_page`` (default 50), as the Spring pages take them."""
    page = query_int(query, "page", 0)
    per_page = query_int(query, "per_page", DEFAULT_PER_PAGE)
    assert page is not None and per_page is not None
    if page < 0:
        raise errors.bad_request("page must not be negative.")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise errors.bad_request(f"per_page must be between 1 and {MAX_PER_PAGE}.")
    return page, per_page


def product_filter(query: QueryParams) -> str | None:
    name = (query.get("productName") or "").strip()
    return name or None
