"""Capital.com demo top-ups (``POST /accounts/topUp``), the only funding its API has."""

from __future__ import annotations

import logging
from decimal import Decimal

from desktop_app.brokers.capital import mapping
from desktop_app.brokers.capital.core import NO_LIVE_FUNDING, CapitalCore
from desktop_app.brokers.capital.errors import BROKER
from desktop_app.domain.errors import (
    BrokerError,
    NotFound,
    NotSupported,
    OutcomeUnknown,
    Rejected,
    ValidationError,
)
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

log = logging.getLogger(__name__)

TOPUP_NOTES = (
    "Capital.com documents only the request: POST /accounts/topUp with {\"amount\"}, on "
    "demo accounts (added 2023-11-28); the amount is added to the chosen demo account's "
    "cash in its currency. Minimum, maximum and negative amounts are not documented: "
    "this app allows 0.01 to 40,000 per top-up (the cap a third-party client applies) "
    "and shows the broker's answer if it refuses."
)
TOPUP_MIN = Decimal("0.01")
TOPUP_MAX = Decimal("40000")


class CapitalFunding(CapitalCore):
    def funding_rules(self, account: AccountRef, kind: FundingKind) -> FundingRules | None:
        if kind is not FundingKind.DEMO_TOPUP or not self.is_demo:
            return None
        currency = self._currencies.get(account.account_id, "")
        if not currency and account.account_id == self.client.account_id:
            currency = str(self.client.session.get("currencyIsoCode") or "")
        return FundingRules(
            kind=FundingKind.DEMO_TOPUP,
            currency=currency,
            min_amount=TOPUP_MIN,
            max_amount=TOPUP_MAX,
            allow_negative=False,
            demo_only=True,
            notes=TOPUP_NOTES,
            title="Demo top-up",
        )

    async def fund(
        self, request: FundingRequest, on_reference: OnReference | None = None
    ) -> FundingResult:
        self.check_account(request.account)
        if request.kind is not FundingKind.DEMO_TOPUP or not self.is_demo:
            raise NotSupported(NO_LIVE_FUNDING, broker=BROKER)
        if request.amount <= 0:
            raise ValidationError(
                "The top-up amount must be above zero.", field="amount", broker=BROKER
            )

        async def top_up() -> FundingResult:
            # Read before sending: a failure here leaves nothing sent.
            before = await self._cash(request.account.account_id)
            try:
                reply = await self.client.top_up(request.amount)
            except MaybeSent as exc:
                return await self._topup_outcome(request, before, exc.message)
            except (Rejected, NotFound) as exc:
                return FundingResult(OrderStatus.REJECTED, message=exc.message)
            if isinstance(reply, dict) and reply.get("successful") is False:
                return FundingResult(
                    OrderStatus.REJECTED, message="Capital.com refused the top-up."
                )
            try:
                after = await self._cash(request.account.account_id)
            except BrokerError as exc:
                # The top-up is done; only the new balance is not known yet.
                log.warning("Capital.com balance after a top-up unreadable: %s", exc.message)
                return FundingResult(
                    OrderStatus.ACCEPTED,
                    message=(
                        "Demo account topped up; the new balance could not be read yet "
                        f"({exc.message})."
                    ),
                )
            return FundingResult(
                OrderStatus.ACCEPTED, message="Demo account topped up.", new_balance=after
            )

        return await self._on_account(request.account, top_up, priority=Priority.INTERACTIVE)

    async def _cash(self, account_id: str) -> Decimal | None:
        for item in await self.client.accounts(priority=Priority.INTERACTIVE):
            if str(item.get("accountId")) == account_id:
                found = mapping.balance(item.get("balance"), "")
                return found.balance if found is not None else None
        return None

    async def _topup_outcome(
        self, request: FundingRequest, before: Decimal | None, lost: str
    ) -> FundingResult:
        """After a lost top-up reply: the balance tells, when it moved by the amount."""
        try:
            after = await self._cash(request.account.account_id)
        except BrokerError as exc:
            raise OutcomeUnknown(
                f"{lost} The balance could not be read to find out whether the top-up "
                f"was made ({exc.message}).",
                broker=BROKER,
            ) from exc
        if before is not None and after is not None:
            if after - before == request.amount:
                return FundingResult(
                    OrderStatus.ACCEPTED, new_balance=after,
                    message="The reply was lost; the balance shows the top-up.",
                )
            if after == before:
                raise OutcomeUnknown(
                    f"{lost} The balance has not changed (yet).", broker=BROKER
                )
        raise OutcomeUnknown(
            f"{lost} The balance does not show whether the top-up was made.", broker=BROKER
        )
