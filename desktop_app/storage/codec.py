"""Exact JSON forms of order/funding requests and results for the journal.

Decimals are strings (never floats), times are ISO-8601 UTC, enums their values.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

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


def iso(dt: datetime) -> str:
    """Fixed-width UTC text, so that text order is time order in SQLite."""
    if dt.tzinfo is None:
        raise ValueError("journal times must be timezone-aware")
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def from_iso(text: str) -> datetime:
    dt = datetime.fromisoformat(text)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def undec(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


def need_dec(value: Any, field: str) -> Decimal:
    out = undec(value)
    if out is None:
        raise ValueError(f"journal entry has no {field}")
    return out


def account_to_dict(ref: AccountRef) -> dict[str, str]:
    return {"connection": ref.connection, "broker": ref.broker, "account_id": ref.account_id}


def account_from_dict(data: dict[str, Any]) -> AccountRef:
    return AccountRef(str(data["connection"]), str(data["broker"]), str(data["account_id"]))


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


def order_request_from_dict(data: dict[str, Any]) -> OrderRequest:
    good_till = data.get("good_till")
    return OrderRequest(
        account=account_from_dict(data["account"]),
        symbol=str(data["symbol"]),
        side=Side(data["side"]),
        size=need_dec(data["size"], "size"),
        order_type=OrderType(data.get("order_type", OrderType.MARKET.value)),
        level=undec(data.get("level")),
        stop_level=undec(data.get("stop_level")),
        profit_level=undec(data.get("profit_level")),
        good_till=from_iso(good_till) if good_till else None,
        client_ref=str(data["client_ref"]),
        stop_price=undec(data.get("stop_price")),
        size_unit=SizeUnit(data.get("size_unit") or SizeUnit.UNITS.value),
        currency=str(data.get("currency") or ""),
        acknowledged=bool(data.get("acknowledged", False)),
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


def order_result_from_dict(data: dict[str, Any]) -> OrderResult:
    return OrderResult(
        status=OrderStatus(data["status"]),
        broker_ref=str(data.get("broker_ref") or ""),
        deal_ids=tuple(str(d) for d in data.get("deal_ids") or ()),
        reason=str(data.get("reason") or ""),
        level=undec(data.get("level")),
        size=undec(data.get("size")),
        profit_loss=undec(data.get("profit_loss")),
        currency=str(data.get("currency") or ""),
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


def funding_request_from_dict(data: dict[str, Any]) -> FundingRequest:
    return FundingRequest(
        account=account_from_dict(data["account"]),
        kind=FundingKind(data["kind"]),
        amount=need_dec(data["amount"], "amount"),
        currency=str(data.get("currency") or ""),
        comment=str(data.get("comment") or ""),
        client_ref=str(data["client_ref"]),
        destination=account_from_dict(data["destination"]) if data.get("destination") else None,
        details={str(k): str(v) for k, v in (data.get("details") or {}).items()},
    )


def funding_result_to_dict(res: FundingResult) -> dict[str, Any]:
    return {
        "status": res.status.value,
        "broker_ref": res.broker_ref,
        "message": res.message,
        "new_balance": dec(res.new_balance),
    }


def funding_result_from_dict(data: dict[str, Any]) -> FundingResult:
    return FundingResult(
        status=OrderStatus(data["status"]),
        broker_ref=str(data.get("broker_ref") or ""),
        message=str(data.get("message") or ""),
        new_balance=undec(data.get("new_balance")),
    )
