"""Funding in Upvest's sandbox: the account group's virtual cash balance.

``POST /virtual_cash_balances/increases`` (a positive amount) and ``/decreases`` (a
negative one), ``{account_group_id, amount, currency: "EUR"}``, each under the journal's
reference as idempotency key (journalled before sending). An increase is ISSUED and
credited once CONFIRMED; a decrease beyond what is available for withdrawal is refused.
The API has no look-up of a request: its confirmation arrives as a webhook event
(VIRTUAL_CASH_INCREASE/DECREASE.CONFIRMED), which the session's follow-up then reads.
Cash belongs to the account group, so every account of the group sees it.

Live accounts have no virtual cash: the reason (``core.NO_LIVE_FUNDING``) says what
Upvest offers instead. A lost answer is asked again under the same key by the client;
if every answer was lost the session reconciles once and Upvest is asked once more under
the same key (``KEY_WINDOW``): it answers with the first request's result.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from desktop_app.brokers.upvest.client import CASH_AMOUNT_MAX
from desktop_app.brokers.upvest.core import NO_LIVE_FUNDING, idempotency_key
from desktop_app.brokers.upvest.errors import BROKER
from desktop_app.brokers.upvest.orders import KEY_WINDOW, UpvestOrders
from desktop_app.domain.errors import BrokerError, NotFound, NotSupported, Rejected, ValidationError
from desktop_app.domain.money import utc_now
from desktop_app.domain.service import OnReference
from desktop_app.domain.types import (
    AccountRef,
    Fact,
    FundingKind,
    FundingRequest,
    FundingResult,
    FundingRules,
    OrderStatus,
)

VIRTUAL_NOTES = (
    "Upvest's sandbox credits or debits the account group's virtual cash (a negative "
    "amount is a decrease). An increase is ISSUED, then credited once Upvest confirms it; "
    "a decrease may take at most what is available for withdrawal. Every account of the "
    "group shares this cash. Each request carries an idempotency key, so it is made once."
)
MIN_AMOUNT = Decimal("0.01")


def funding_result(data: dict[str, Any], increase: bool, note: str = "") -> FundingResult:
    status = str(data.get("status") or "")
    ref = str(data.get("id") or "")
    if status == "CONFIRMED":
        done = "credited" if increase else "debited"
        result = FundingResult(OrderStatus.ACCEPTED, ref, f"Confirmed: the group's cash is "
                               f"{done}.")
    else:
        what = ("Upvest credits the group's cash once it confirms it" if increase
                else "the amount is taken from the group's cash")
        result = FundingResult(OrderStatus.PENDING, ref, f"{status or 'Issued'}: {what}.")
    if note:
        return FundingResult(result.status, result.broker_ref, f"{note} {result.message}")
    return result


class UpvestFunding(UpvestOrders):
    def funding_rules(self, account: AccountRef, kind: FundingKind) -> FundingRules | None:
        if kind is not FundingKind.DEMO_TOPUP or not self.is_demo:
            return None
        data = self._accounts.get(account.account_id) or {}
        group = str(data.get("account_group_id") or "")
        facts = (Fact("Cash of", self.group_label(group), "Shared by the group's accounts."),
                 ) if group else ()
        return FundingRules(
            kind=FundingKind.DEMO_TOPUP, currency="EUR", min_amount=MIN_AMOUNT,
            max_amount=CASH_AMOUNT_MAX, allow_negative=True, demo_only=True,
            notes=VIRTUAL_NOTES, title="Virtual cash (sandbox)", facts=facts,
        )

    def _check_funding(self, request: FundingRequest) -> None:
        self.check_account(request.account)
        if request.kind is not FundingKind.DEMO_TOPUP or not self.is_demo:
            raise NotSupported(NO_LIVE_FUNDING, broker=BROKER)
        if request.amount == 0:
            raise ValidationError("The amount must not be zero.", field="amount", broker=BROKER)
        if request.currency not in ("", "EUR"):
            raise ValidationError("Upvest's virtual cash is in EUR.", field="amount",
                                  broker=BROKER)

    async def _virtual(self, request: FundingRequest) -> dict[str, Any]:
        data = await self.account_data(request.account.account_id)
        group = str(data.get("account_group_id") or "")
        key = idempotency_key(request.client_ref)
        if request.amount > 0:
            return await self.client.increase_virtual_cash(group, request.amount,
                                                           idempotency_key=key)
        return await self.client.decrease_virtual_cash(group, -request.amount,
                                                       idempotency_key=key)

    async def fund(
        self, request: FundingRequest, on_reference: OnReference | None = None
    ) -> FundingResult:
        self._check_funding(request)
        try:
            data = await self._virtual(request)
        except (Rejected, NotFound) as exc:
            return FundingResult(OrderStatus.REJECTED, message=exc.message)
        # MaybeSent goes up: the session reconciles it (reconcile_funding).
        self.hand_over(on_reference, str(data.get("id") or ""))
        self.notify_changed(None, "balances")
        return funding_result(data, request.amount > 0)

    async def reconcile_funding(
        self,
        request: FundingRequest,
        broker_ref: str,
        *,
        since: datetime | None = None,
        exclude: frozenset[str] = frozenset(),
    ) -> FundingResult:
        """Its state: CONFIRMED once Upvest said so (the VIRTUAL_CASH_*.CONFIRMED webhook
        event; the API has no look-up of one), PENDING until then. A request whose answer
        was lost (no reference) is asked again under the same idempotency key while the
        key is fresh: Upvest answers with the first request's result."""
        self._check_funding(request)
        increase = request.amount > 0
        if broker_ref:
            return self._virtual_state(broker_ref, increase)
        if since is None or utc_now() - since > KEY_WINDOW:
            return FundingResult(
                OrderStatus.UNKNOWN,
                message="Upvest lists no virtual cash requests to look it up; the group's "
                "cash balance shows whether it was made.",
            )
        try:
            data = await self._virtual(request)
        except (Rejected, NotFound) as exc:
            return FundingResult(OrderStatus.REJECTED, message=exc.message)
        except BrokerError as exc:
            return FundingResult(OrderStatus.UNKNOWN,
                                 message=f"Asked again under the same idempotency key, "
                                 f"Upvest did not answer either ({exc.message}).")
        self.notify_changed(None, "balances")
        note = "Asked again under the same idempotency key:"
        ref = str(data.get("id") or "")
        if ref in self._virtual_settled:
            state = self._virtual_state(ref, increase)
            return FundingResult(state.status, ref, f"{note} {state.message}")
        return funding_result(data, increase, note)

    def _virtual_state(self, ref: str, increase: bool) -> FundingResult:
        status = self._virtual_settled.get(ref, "")
        if status == "CONFIRMED":
            return funding_result({"id": ref, "status": status}, increase)
        what = "credited" if increase else "taken"
        hint = ("" if self.webhooks_live else " Without webhooks the app cannot see "
                "Upvest's confirmation: the group's cash balance shows it.")
        return FundingResult(OrderStatus.PENDING, ref,
                             f"Issued: {what} once Upvest confirms it.{hint}")
