"""Tradovate's demo balance change (``/cashBalance/changeDemoBalance``, seed 002)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from desktop_app.brokers.tradovate import mapping
from desktop_app.brokers.tradovate.core import (
    DEMO_CHANGE_COOLDOWN,
    DEMO_CHANGE_MAX,
    DEMO_CHANGE_MIN,
    DEMO_CHANGE_NOTES,
    DEMO_COMMENT_MAX,
    DEMO_DEFAULT_COMMENT,
    DEMO_MAX_BALANCE,
    NO_DEPOSITS,
    NO_FUNDING,
    TradovateCore,
)
from desktop_app.brokers.tradovate.errors import BROKER
from desktop_app.domain.errors import (
    BrokerError,
    NotSupported,
    OutcomeUnknown,
    Rejected,
    ValidationError,
)
from desktop_app.domain.money import format_money
from desktop_app.domain.service import OnReference
from desktop_app.domain.types import (
    AccountRef,
    FundingKind,
    FundingRequest,
    FundingResult,
    FundingRules,
    OrderStatus,
)
from desktop_app.net.http import MaybeSent
from desktop_app.net.limiter import Priority


class TradovateFunding(TradovateCore):
    def funding_rules(self, account: AccountRef, kind: FundingKind) -> FundingRules | None:
        if kind is not FundingKind.DEMO_TOPUP or not self.is_demo:
            return None
        return FundingRules(
            kind=FundingKind.DEMO_TOPUP,
            currency=mapping.CURRENCY,
            min_amount=DEMO_CHANGE_MIN,
            max_amount=DEMO_CHANGE_MAX,
            allow_negative=True,
            max_resulting_balance=DEMO_MAX_BALANCE,
            cooldown=DEMO_CHANGE_COOLDOWN,
            comment_max_len=DEMO_COMMENT_MAX,
            default_comment=DEMO_DEFAULT_COMMENT,
            demo_only=True,
            notes=DEMO_CHANGE_NOTES,
            title="Demo balance change",
        )

    async def fund(
        self, request: FundingRequest, on_reference: OnReference | None = None
    ) -> FundingResult:
        account_id = self._account_id(request.account)
        if request.kind is not FundingKind.DEMO_TOPUP:
            raise NotSupported(NO_DEPOSITS, broker=BROKER)
        if not self.is_demo:
            raise NotSupported(NO_FUNDING, broker=BROKER)
        if request.amount == 0:
            raise ValidationError("The change must not be zero.", field="amount",
                                  broker=BROKER)
        # Read first: a failure here leaves nothing sent, and the figure tells a lost
        # reply's outcome (and which way the server applied the amount).
        try:
            before = mapping.number(
                await self.client.cash_snapshot(account_id, priority=Priority.INTERACTIVE),
                "totalCashValue",
            )
        except Rejected:
            before = None  # e.g. not an account of this user: the change says so itself
        body: dict[str, Any] = {"accountId": account_id, "cashChange": request.amount}
        if request.comment:
            body["comment"] = request.comment
        try:
            reply = await self.client.change_demo_balance(body)
        except MaybeSent as exc:
            return await self._funding_outcome(account_id, request.amount, before, exc.message)
        # A refusal (errorText on HTTP 200) is raised as Rejected with Tradovate's words.
        after = mapping.number(reply, "totalCashValue")
        return FundingResult(
            OrderStatus.ACCEPTED, new_balance=after,
            message=_change_message(request.amount, before, after),
        )

    async def _funding_outcome(
        self, account_id: int, amount: Decimal, before: Decimal | None, lost: str
    ) -> FundingResult:
        try:
            after = mapping.number(
                await self.client.cash_snapshot(account_id, priority=Priority.INTERACTIVE),
                "totalCashValue",
            )
        except BrokerError as exc:
            raise OutcomeUnknown(
                f"{lost} The balance could not be read to find out whether the change was "
                f"made ({exc.message}).",
                broker=BROKER,
            ) from exc
        if before is not None and after is not None and after != before and (
            after - before == amount or after == amount
        ):
            return FundingResult(
                OrderStatus.ACCEPTED, new_balance=after,
                message="The reply was lost; the balance shows the change.",
            )
        raise OutcomeUnknown(
            f"{lost} The balance does not show whether the change was made.", broker=BROKER
        )


def _change_message(amount: Decimal, before: Decimal | None, after: Decimal | None) -> str:
    if after is None:
        return "Demo balance changed."
    text = f"Demo balance changed; the cash is now {format_money(after, mapping.CURRENCY)}."
    if before is not None and after != before + amount and after == amount:
        text += (
            " Tradovate set the balance to the amount instead of adding it (the amount "
            "replaced the balance)."
        )
    return text

