"""Exact JSON forms of order/funding requests and results for the journal.

Decimals are strings (never floats), times are ISO-8601 UTC, enums their values.

Reading is total: for any input (a hand-edited row, a damaged file, a row from another
version) the ``*_from_dict`` readers and ``loads_object`` return a value or raise
``JournalDamaged``, never ``KeyError``, ``TypeError``, ``RecursionError`` & co.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ParamSpec, TypeVar

from desktop_app.domain.types import (
    AccountRef,
    FundingKind,
    FundingRequest,
    FundingResult,
    OrderRequest,
    OrderResult,
    OrderStatus,
    OrderType,
    Side,
    SizeUnit,
)
from desktop_app.storage.errors import JournalDamaged

P = ParamSpec("P")
R = TypeVar("R")
# What reading a malformed value can raise; each becomes JournalDamaged.
_FOREIGN = (
    LookupError, TypeError, ValueError, ArithmeticError, AttributeError, RecursionError,
    InvalidOperation,
)
MAX_TEXT = 1_000_000  # a row longer than this is not one the app wrote


def _reader(fn: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(fn)
    def read(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except JournalDamaged:
            raise
        except _FOREIGN as exc:
            raise JournalDamaged(
                f"a journal record cannot be read ({fn.__name__}: {type(exc).__name__})"
            ) from None

    return read


@_reader
def loads_object(text: Any) -> dict[str, Any]:
    """The JSON object in a journal column."""
    if not isinstance(text, str | bytes) or len(text) > MAX_TEXT:
        raise JournalDamaged("a journal record is not JSON text of a sane size")
    data = json.loads(text)
    if not isinstance(data, dict):
        raise JournalDamaged("a journal record is not a JSON object")
    return data


def _obj(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise JournalDamaged("a journal record is not an object")
    return data


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise JournalDamaged("a journal list field is not a list")
    return list(value)


def _text(value: Any) -> str:
    """A text field: strings and numbers as written; containers are not text."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise JournalDamaged("a journal text field holds a " + type(value).__name__)
    return str(value)


def iso(dt: datetime) -> str:
    """Fixed-width UTC text, so that text order is time order in SQLite."""
    if dt.tzinfo is None:
        raise ValueError("journal times must be timezone-aware")
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


@_reader
def from_iso(text: Any) -> datetime:
    if not isinstance(text, str):
        raise JournalDamaged("a journal time is not text")
    dt = datetime.fromisoformat(text)
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC)


def dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def undec(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise JournalDamaged("a journal amount is not a number")
    if isinstance(value, str) and len(value) > 100:
        raise JournalDamaged("a journal amount is too long to be one")
    out = Decimal(str(value))
    if not out.is_finite():
        raise JournalDamaged("a journal amount is not a finite number")
    return out


def need_dec(value: Any, field: str) -> Decimal:
    out = undec(value)
    if out is None:
        raise JournalDamaged(f"journal entry has no {field}")
    return out


def account_to_dict(ref: AccountRef) -> dict[str, str]:
    return {"connection": ref.connection, "broker": ref.broker, "account_id": ref.account_id}


@_reader
def account_from_dict(data: Any) -> AccountRef:
    data = _obj(data)
    return AccountRef(
        _text(data["connection"]), _text(data["broker"]), _text(data["account_id"])
    )


def order_request_to_dict(req: OrderRequest) -> dict[str, Any]:
    return {
        "account": account_to_dict(req.account),
        "symbol": req.symbol,
        "side": req.side.value,
        "size": str(req.size),
        "order_type": req.order_type.value,
        "level": dec(req.level),
        "stop_level": dec(req.stop_level),
        "profit_level": dec(req.profit_level),
        "good_till": iso(req.good_till) if req.good_till else None,
        "client_ref": req.client_ref,
        "stop_price": dec(req.stop_price),
        "size_unit": req.size_unit.value,
        "currency": req.currency,
        "acknowledged": req.acknowledged,
    }


@_reader
def order_request_from_dict(data: Any) -> OrderRequest:
    data = _obj(data)
    good_till = data.get("good_till")
    return OrderRequest(
        account=account_from_dict(data["account"]),
        symbol=_text(data["symbol"]),
        side=Side(data["side"]),
        size=need_dec(data["size"], "size"),
        order_type=OrderType(data.get("order_type", OrderType.MARKET.value)),
        level=undec(data.get("level")),
        stop_level=undec(data.get("stop_level")),
        profit_level=undec(data.get("profit_level")),
        good_till=from_iso(good_till) if good_till else None,
        client_ref=_text(data["client_ref"]),
        stop_price=undec(data.get("stop_price")),
        size_unit=SizeUnit(data.get("size_unit") or SizeUnit.UNITS.value),
        currency=_text(data.get("currency")),
        acknowledged=data.get("acknowledged", False) is True,
    )


def order_result_to_dict(res: OrderResult) -> dict[str, Any]:
    return {
        "status": res.status.value,
        "broker_ref": res.broker_ref,
        "deal_ids": list(res.deal_ids),
        "reason": res.reason,
        "level": dec(res.level),
        "size": dec(res.size),
        "profit_loss": dec(res.profit_loss),
        "currency": res.currency,
    }


@_reader
def order_result_from_dict(data: Any) -> OrderResult:
    data = _obj(data)
    return OrderResult(
        status=OrderStatus(data["status"]),
        broker_ref=_text(data.get("broker_ref")),
        deal_ids=tuple(_text(d) for d in _list(data.get("deal_ids"))),
        reason=_text(data.get("reason")),
        level=undec(data.get("level")),
        size=undec(data.get("size")),
        profit_loss=undec(data.get("profit_loss")),
        currency=_text(data.get("currency")),
    )


def funding_request_to_dict(req: FundingRequest) -> dict[str, Any]:
    return {
        "account": account_to_dict(req.account),
        "kind": req.kind.value,
        "amount": str(req.amount),
        "currency": req.currency,
        "comment": req.comment,
        "client_ref": req.client_ref,
        "destination": account_to_dict(req.destination) if req.destination else None,
        # private_details (bank details) are deliberately not journalled.
        "details": dict(req.details),
    }


@_reader
def funding_request_from_dict(data: Any) -> FundingRequest:
    data = _obj(data)
    return FundingRequest(
        account=account_from_dict(data["account"]),
        kind=FundingKind(data["kind"]),
        amount=need_dec(data["amount"], "amount"),
        currency=_text(data.get("currency")),
        comment=_text(data.get("comment")),
        client_ref=_text(data["client_ref"]),
        destination=account_from_dict(data["destination"]) if data.get("destination") else None,
        details={_text(k): _text(v) for k, v in _obj(data.get("details") or {}).items()},
    )


def funding_result_to_dict(res: FundingResult) -> dict[str, Any]:
    return {
        "status": res.status.value,
        "broker_ref": res.broker_ref,
        "message": res.message,
        "new_balance": dec(res.new_balance),
    }


@_reader
def funding_result_from_dict(data: Any) -> FundingResult:
    data = _obj(data)
    return FundingResult(
        status=OrderStatus(data["status"]),
        broker_ref=_text(data.get("broker_ref")),
        message=_text(data.get("message")),
        new_balance=undec(data.get("new_balance")),
    )
