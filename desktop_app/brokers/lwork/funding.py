"""LWork funding: signed deposits (3.2), withdrawals (3.4) and signed transfers (3.11),
each with LWork's rules shown before sending, and followed through the cash flow (3.7).

A deposit is an application: LWork answers what to pay (``payAmount`` in the pay
currency) and a ``jobId``; the account is credited once the payment is confirmed (3.3),
so ``fund`` returns PENDING and ``reconcile_funding`` tells later whether it was paid. A
withdrawal waits for the broker's approval (PENDING, then debited or refused); a transfer
moves the money at once. None of the replies names the cash-flow entry, so the entry is
found right after the reply by the one rule of ``brokers.common.funding_lookup`` (kind,
amount, pay currency or other account, made since the send, not claimed) and its id is
handed to the journal. A lost reply is looked up the same way, never resent.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from desktop_app.brokers.common.funding_lookup import (
    CLOCK_MARGIN,
    FundingCandidate,
    reconcile_funding,
)
from desktop_app.brokers.lwork import forms, mapping, wire
from desktop_app.brokers.lwork.bodies import Withdrawal
from desktop_app.brokers.lwork.errors import BROKER
from desktop_app.brokers.lwork.reads import LWorkReads
from desktop_app.brokers.lwork.wire import CashRecord, TradingAccount
from desktop_app.domain.errors import BrokerError, ProtocolError, ValidationError
from desktop_app.domain.money import format_money, utc_now
from desktop_app.domain.service import OnReference
from desktop_app.domain.types import (
    AccountRef,
    FundingKind,
    FundingRequest,
    FundingResult,
    FundingRules,
    OrderStatus,
)

log = logging.getLogger(__name__)

# A deposit's jobId is LWork's reference for the application, not a cash-flow entry id.
JOB_PREFIX = "job:"
# Without a journal time, the cash flow is searched this far back.
LOOKBACK = timedelta(days=30)
CASH_KINDS = {FundingKind.DEPOSIT: wire.DEPOSIT, FundingKind.WITHDRAW: wire.WITHDRAW,
              FundingKind.TRANSFER: wire.TRANSFER}
PENDING_DEPOSIT = "The account is credited once the payment is confirmed."
PENDING_WITHDRAWAL = "The account is debited once the broker approves it."
# Withdrawal form field -> Withdrawal attribute.
BANK_FIELDS = {"bankAccountName": "bank_account_name", "bankAccountNumber":
               "bank_account_number", "bankName": "bank_name",
               "bankBranchName": "bank_branch_name", "SWIFT": "swift"}


def record_result(record: CashRecord) -> FundingResult:
    """A cash-flow entry's state as a funding result (its id as the reference)."""
    settled = mapping.settled(record)
    status = (OrderStatus.PENDING if settled is None
              else OrderStatus.ACCEPTED if settled else OrderStatus.REJECTED)
    what = mapping.cash_kind(record)
    state = mapping.cash_status(record) or "listed"
    text = f"LWork lists the {what.lower()} as {state}"
    if record.pay_amount is not None and record.pay_currency:
        text += f" (pay {format_money(record.pay_amount, record.pay_currency)})"
    return FundingResult(status, broker_ref=record.record_id, message=text + ".")


class _CashFlow:
    """How LWork's cash flow is searched for one account (see ``FundingLookup``)."""

    what = "cash flow"

    def __init__(self, service: LWorkFunding, account: TradingAccount) -> None:
        self.service = service
        self.account = account

    def names_record(self, ref: str) -> bool:
        return not ref.startswith(JOB_PREFIX)

    async def by_reference(self, request: FundingRequest, ref: str,
                           since: datetime | None) -> FundingResult | None:
        start = (since or utc_now() - LOOKBACK) - CLOCK_MARGIN
        records = await self.service.client.cash_flow(
            self.account, kinds=(CASH_KINDS[request.kind],), since=start)
        found = next((r for r in records if r.record_id == ref), None)
        return record_result(found) if found is not None else None

    async def candidates(self, request: FundingRequest,
                         since: datetime) -> list[FundingCandidate]:
        counterpart = request.destination.account_id if request.destination else ""
        records = await self.service.client.find_cash_records(
            self.account, CASH_KINDS[request.kind], amount=request.amount, since=since,
            pay_currency=request.details.get(forms.PAY_CURRENCY, ""),
            counterpart=counterpart, margin=CLOCK_MARGIN,
        )
        # Money in for a deposit, out for a withdrawal or a transfer from here.
        inward = request.kind is FundingKind.DEPOSIT
        return [FundingCandidate(r.record_id, r.created_at, record_result(r))
                for r in records if (r.amount > 0) == inward]


class LWorkFunding(LWorkReads):
    # ------------------------------------------------------------------ rules

    def funding_rules(self, account: AccountRef, kind: FundingKind) -> FundingRules | None:
        if account.connection != self.connection_id or account.broker != self.broker:
            return None
        trading = self._listed(account.account_id)
        if trading is None:
            return None
        info = self._info_of(trading.login)
        try:
            if kind is FundingKind.DEPOSIT:
                settings = self._deposit_settings.get(trading.vendor)
                return forms.deposit_rules(trading, settings[0]) if settings else None
            if info is None:
                return None
            if kind is FundingKind.WITHDRAW:
                return forms.withdraw_rules(trading, info)
            if kind is FundingKind.TRANSFER:
                detail = self._detail
                return forms.transfer_rules(self.connection_id, trading, info,
                                            detail.accounts if detail else ())
        except ProtocolError as exc:
            log.warning("LWork %s rules unreadable: %s", kind.value, exc.message)
        return None

    # ------------------------------------------------------------------ sending

    async def fund(
        self, request: FundingRequest, on_reference: OnReference | None = None
    ) -> FundingResult:
        self.check_account(request.account)
        if request.kind not in CASH_KINDS:
            raise self.refuse(request.kind.value)
        account = await self._trading_account(request.account)
        self.check_money_allowed(account)
        if request.kind is FundingKind.DEPOSIT:
            return await self._deposit(account, request, on_reference)
        if request.kind is FundingKind.WITHDRAW:
            return await self._withdraw(account, request, on_reference)
        return await self._transfer(account, request, on_reference)

    def _pay_currency(self, account: TradingAccount, request: FundingRequest) -> str:
        rules = self.funding_rules(request.account, FundingKind.DEPOSIT)
        choices = [value for f in (rules.fields if rules else ()) if f.name ==
                   forms.PAY_CURRENCY for value, _label in f.choices]
        chosen = request.details.get(forms.PAY_CURRENCY, "").strip().upper()
        if not chosen:
            if not choices:
                raise ValidationError(
                    f"LWork's deposit settings for {account.vendor} are not known yet; try "
                    "again in a moment.", field=forms.PAY_CURRENCY, broker=BROKER)
            chosen = choices[0]
        if choices and chosen not in choices:
            raise ValidationError(
                f"LWork takes deposits into {account.currency} accounts paid in "
                f"{', '.join(choices)}, not {chosen}.", field=forms.PAY_CURRENCY,
                broker=BROKER)
        return chosen

    async def _identify(self, account: TradingAccount, request: FundingRequest,
                        sent_at: datetime, on_reference: OnReference | None,
                        fallback_ref: str) -> FundingResult:
        """The cash-flow entry of a request LWork just took (UNKNOWN: not found yet)."""
        found = await reconcile_funding(
            _CashFlow(self, account), request, "", broker=BROKER, since=sent_at,
            exclude=frozenset(self._claimed))
        if found.status is OrderStatus.UNKNOWN:
            return replace(found, broker_ref=fallback_ref)
        self._claimed.add(found.broker_ref)
        self.hand_over(on_reference, found.broker_ref)
        return found

    async def _deposit(self, account: TradingAccount, request: FundingRequest,
                       on_reference: OnReference | None) -> FundingResult:
        pay = self._pay_currency(account, request)
        request = replace(request, details={**request.details, forms.PAY_CURRENCY: pay})
        sent_at = utc_now()
        receipt = await self.client.deposit(account, request.amount, pay, request.comment)
        job = JOB_PREFIX + receipt.job_id
        self.hand_over(on_reference, job)
        taken = (f"LWork took the deposit application (job {receipt.job_id}): pay "
                 f"{format_money(receipt.pay_amount, receipt.pay_currency)}.")
        found = await self._identify(account, request, sent_at, on_reference, job)
        return await self._settled_result(account, found, taken, PENDING_DEPOSIT)

    async def _withdraw(self, account: TradingAccount, request: FundingRequest,
                        on_reference: OnReference | None) -> FundingResult:
        bank = {attr: request.private_details.get(name, "")
                for name, attr in BANK_FIELDS.items()}
        withdrawal = Withdrawal(amount=request.amount, **bank)
        sent_at = utc_now()
        await self.client.withdraw(account, withdrawal)
        found = await self._identify(account, request, sent_at, on_reference, "")
        return await self._settled_result(account, found, "LWork took the withdrawal "
                                          "application.", PENDING_WITHDRAWAL)

    async def _transfer(self, account: TradingAccount, request: FundingRequest,
                        on_reference: OnReference | None) -> FundingResult:
        if request.destination is None:
            raise ValidationError("Choose the account to transfer to.", field="destination",
                                  broker=BROKER)
        destination = await self._trading_account(request.destination)
        self.check_money_allowed(destination)
        sent_at = utc_now()
        await self.client.transfer(account, destination, request.amount, request.comment)
        self._changed(account.login, destination.login)
        self.notify_changed(request.destination, "balances")
        found = await self._identify(account, request, sent_at, on_reference, "")
        taken = (f"Moved to {destination.name or destination.login} "
                 f"({destination.login}).")
        if found.status is not OrderStatus.REJECTED:
            # LWork moves a transfer at once: its reply is the outcome.
            found = replace(found, status=OrderStatus.ACCEPTED)
        return await self._settled_result(account, found, taken, "")

    async def _settled_result(self, account: TradingAccount, found: FundingResult,
                              taken: str, pending: str) -> FundingResult:
        """The result of a request LWork took: pending (with what happens next) or
        already settled (a transfer; a payment that arrived at once)."""
        if found.status is OrderStatus.UNKNOWN:
            # LWork took it; only its cash-flow entry is not listed yet.
            return FundingResult(OrderStatus.PENDING, broker_ref=found.broker_ref,
                                 message=f"{taken} {pending}".strip())
        parts = [taken, f"Cash-flow entry {found.broker_ref}."]
        if found.status is OrderStatus.PENDING:
            return replace(found, message=" ".join([*parts, pending]))
        if pending:  # an application that settled at once: say how LWork lists it
            parts.append(found.message)
        return await self._with_balance(account, replace(found, message=" ".join(parts)))

    async def _with_balance(self, account: TradingAccount,
                            result: FundingResult) -> FundingResult:
        """A settled result carries the balance LWork shows now."""
        self._changed(account.login)
        if result.status is not OrderStatus.ACCEPTED:
            return result
        try:
            info: dict[str, Any] = await self.account_figures(
                mapping.account_ref(self.connection_id, account.login))
            return replace(result, new_balance=wire.money(info, "balance"))
        except BrokerError as exc:
            log.info("LWork balance after a funding request unreadable: %s", exc.message)
            return result

    # ------------------------------------------------------------------ looking up

    async def reconcile_funding(
        self,
        request: FundingRequest,
        broker_ref: str,
        *,
        since: datetime | None = None,
        exclude: frozenset[str] = frozenset(),
    ) -> FundingResult:
        if request.kind not in CASH_KINDS:
            return await super().reconcile_funding(request, broker_ref, since=since,
                                                   exclude=exclude)
        try:
            account = await self._trading_account(request.account)
        except BrokerError as exc:
            return FundingResult(OrderStatus.UNKNOWN, broker_ref=broker_ref,
                                 message=f"The account could not be read ({exc.message}).")
        claimed = (exclude | self._claimed) - {broker_ref}
        found = await reconcile_funding(_CashFlow(self, account), request, broker_ref,
                                        broker=BROKER, since=since, exclude=claimed)
        if found.status is OrderStatus.UNKNOWN:
            return found
        self._claimed.add(found.broker_ref)
        if found.status is OrderStatus.PENDING:
            return found
        if request.destination is not None:
            self._changed(request.destination.account_id)
        return await self._with_balance(account, found)
