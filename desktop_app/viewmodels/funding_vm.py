"""Funding of the selected account, driven by the broker's own rules, and its journal.

One press, one request: while a request is under way or waits for the trader's answer a
second ``submit`` does nothing, and an accepted request empties the amount (a late second
press has nothing to send). On a LIVE account every request waits for ``confirm(True)``
after ``confirmationRequested``, naming the account and the amount.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.money import utc_now
from desktop_app.domain.types import (
    AccountRef,
    FundingKind,
    FundingRequest,
    FundingResult,
    FundingRules,
    OrderStatus,
)
from desktop_app.session.events import (
    AccountsUpdated,
    BalanceUpdated,
    ConnectionChanged,
    JournalChanged,
)
from desktop_app.viewmodels import formatting as fmt
from desktop_app.viewmodels.account_context import account_context, account_name
from desktop_app.viewmodels.base import HubViewModel
from desktop_app.viewmodels.confirmation import LIVE_REASON, Confirmation
from desktop_app.viewmodels.funding_form import FundingForm
from desktop_app.viewmodels.input_numbers import parse
from desktop_app.viewmodels.keyed_table import Column, KeyedTableModel
from desktop_app.viewmodels.once_after import OnceAfter
from desktop_app.viewmodels.tasks import send_and_report

if TYPE_CHECKING:
    from desktop_app.session.hub import Hub

KIND_LABELS = {
    FundingKind.DEMO_TOPUP: "Demo top-up",
    FundingKind.DEPOSIT: "Deposit",
    FundingKind.WITHDRAW: "Withdrawal",
    FundingKind.TRANSFER: "Transfer",
}
KIND_ORDER = (FundingKind.DEMO_TOPUP, FundingKind.DEPOSIT, FundingKind.WITHDRAW,
              FundingKind.TRANSFER)


def _req(entry: Any, key: str) -> str:
    return str(entry.request.get(key, "")) if isinstance(entry.request, dict) else ""


def _amount(entry: Any) -> str:
    raw = _req(entry, "amount")
    try:
        return fmt.money(Decimal(raw))
    except ArithmeticError:
        return raw


def _amount_value(entry: Any) -> Decimal | str:
    """The amount as journalled, exactly (exported): a Decimal, else the text as it is."""
    raw = _req(entry, "amount")
    try:
        return Decimal(raw)
    except ArithmeticError:
        return raw


def _outcome(entry: Any) -> str:
    result = entry.result if isinstance(entry.result, dict) else {}
    parts = [str(result.get("status") or entry.state.value)]
    message = result.get("message") or entry.message
    if message:
        parts.append(str(message))
    if result.get("new_balance"):
        parts.append(f"new balance {result['new_balance']}")
    return " · ".join(parts)


@dataclass(frozen=True, slots=True)
class FundingRow:
    """A journal entry with what the trader calls its account and its kind."""

    entry: Any  # desktop_app.storage.journal.JournalEntry
    account: str
    kind: str

    @property
    def id(self) -> int:
        return int(self.entry.id)


JOURNAL_COLUMNS: tuple[Column[FundingRow], ...] = (
    Column("When (UTC)", ("entry",), lambda r: fmt.time_utc(r.entry.created),
           lambda r: r.entry.created.timestamp(), raw=lambda r: r.entry.created),
    Column("Account", ("account",), lambda r: r.account, lambda r: r.account),
    Column("Kind", ("kind",), lambda r: r.kind, lambda r: r.kind),
    # The amount and its currency in two cells: a spreadsheet sums the first.
    Column("Amount", ("entry",), lambda r: _amount(r.entry),
           lambda r: float(_req(r.entry, "amount") or 0), True,
           raw=lambda r: _amount_value(r.entry)),
    Column("Currency", ("entry",), lambda r: _req(r.entry, "currency"),
           lambda r: _req(r.entry, "currency")),
    Column("State", ("entry",), lambda r: r.entry.state.value, lambda r: r.entry.state.value),
    Column("Outcome", ("entry",), lambda r: _outcome(r.entry), lambda r: _outcome(r.entry)),
)


class FundingJournalModel(KeyedTableModel[FundingRow]):
    """Journal entries, newest first (the panel sorts by time)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(JOURNAL_COLUMNS, "id", parent)


class FundingViewModel(HubViewModel):
    resultChanged = Signal(str, bool)
    outcome = Signal(str, bool)  # every final outcome, for the activity log
    errorChanged = Signal(str)  # validation message for the amount ('' when fine)
    stateChanged = Signal()
    inputsChanged = Signal()  # amount or comment set from here (cleared): show them
    confirmationRequested = Signal(object)  # Confirmation: answer with confirm()
    confirmationWithdrawn = Signal()

    def __init__(self, hub: Hub, parent: QObject | None = None) -> None:
        super().__init__(hub, parent)
        self.journal = FundingJournalModel(self)
        self.account: AccountRef | None = None
        self.kind: FundingKind | None = None
        self.rules: FundingRules | None = None
        self.balance: Decimal | None = None
        self.amount_text = ""
        self.comment = ""
        self.amount_error = ""
        self.result_text = ""
        self.busy = False
        self._held: tuple[FundingRequest, asyncio.Future[FundingResult | None]] | None = None
        self._entries: list[Any] = []
        # The broker's name for a kind per (connection, kind): fixed per broker.
        self._kind_titles: dict[tuple[str, str], str] = {}
        # A new account (or kind) re-validates once, not at each step of the change.
        self._revalidation = OnceAfter(self._revalidate_now)
        # The broker's own inputs (pay currency, bank details, the destination account)
        # and the facts to see before sending.
        self.form = FundingForm(hub, self.tasks, self)
        self.form.changed.connect(self._revalidate)
        self.refresh_journal()

    def capabilities(self) -> Capabilities | None:
        return self.hub.capabilities(self.account.connection) if self.account else None

    def kinds(self) -> list[FundingKind]:
        caps = self.capabilities()
        return [k for k in KIND_ORDER if caps and k in caps.funding]

    def set_account(self, account: AccountRef | None) -> None:
        with self._revalidation:
            if account != self.account:
                self._withdraw()
                # Nothing carries over: another account has other rules and balance.
                self._set_inputs("", "")
                self._set_result("", True)
            self.account = account
            self.balance = None
            listed = self.hub.account(account)
            if listed is not None and listed.balance is not None:
                self.balance = listed.balance.balance
            kinds = self.kinds()
            self.set_kind(self.kind if self.kind in kinds else (kinds[0] if kinds else None))

    def refresh_capabilities(self) -> None:
        kinds = self.kinds()
        if self.kind not in kinds or self.rules is None:
            self.set_kind(kinds[0] if kinds else None)
        else:
            self.stateChanged.emit()

    def set_kind(self, kind: FundingKind | None) -> None:
        with self._revalidation:
            self.kind = kind
            self.rules = (
                self.hub.funding_rules(self.account, kind)
                if self.account is not None and kind is not None else None
            )
            self.form.set_rules(self.account, self.rules)
            self._revalidate()

    def kind_label(self, kind: FundingKind | None = None) -> str:
        """The broker's own name for ``kind`` on this account ("Demo balance change" at
        Tradovate), else the app's ("Demo top-up")."""
        kind = kind or self.kind
        if kind is None:
            return ""
        rules = self.rules if kind == self.kind else (
            self.hub.funding_rules(self.account, kind) if self.account is not None else None
        )
        return (rules.title if rules is not None and rules.title else
                KIND_LABELS.get(kind, kind.value))

    @property
    def context_text(self) -> str:
        context = account_context(self.hub, self.account)
        return context.text if context else ""

    def availability(self) -> tuple[bool, str]:
        caps = self.capabilities()
        if self.account is None:
            return False, "Select an account first."
        if caps is None:
            return False, "The connection is not ready yet."
        if not caps.funding:
            return False, caps.why_not("funding")
        if self.rules is None:
            return False, "The broker offers no funding of this kind for this account."
        if self.rules.demo_only and not self._is_demo():
            return False, f"Only demo accounts take a {self.kind_label().lower()}."
        if self.busy:
            return False, "A request is being sent…"
        if self._held is not None:
            return False, "A request is waiting for your answer."
        return True, ""

    def _is_demo(self) -> bool:
        for info in self.hub.connections():
            if self.account and info.profile.connection_id == self.account.connection:
                return not info.profile.is_live
        return False

    def rules_text(self) -> str:
        rules = self.rules
        if rules is None:
            return self.availability()[1]
        cur = rules.currency
        lines = [f"Amount from {fmt.money(rules.min_amount)} to {fmt.money(rules.max_amount)} {cur}"
                 .rstrip()]
        if rules.allow_negative:
            lines.append("A negative amount takes money out.")
        if rules.max_resulting_balance is not None:
            lines.append(
                f"The balance may not exceed {fmt.money(rules.max_resulting_balance)} {cur}."
                .replace("  ", " ")
            )
        if rules.cooldown is not None:
            lines.append(f"At most one request every {fmt.duration(rules.cooldown)}.")
        if rules.next_allowed_at is not None:
            lines.append(f"The next is allowed at {self._next_text(rules)}.")
        if rules.comment_max_len:
            lines.append(f"Comment up to {rules.comment_max_len} characters.")
        if rules.notes:
            lines.append(rules.notes)
        return "\n".join(lines)

    def set_amount_text(self, text: str) -> None:
        self.amount_text = text
        self._revalidate()

    def _set_inputs(self, amount: str, comment: str) -> None:
        changed = (amount, comment) != (self.amount_text, self.comment)
        self.amount_text, self.comment = amount, comment
        self._revalidate()
        if changed:
            self.inputsChanged.emit()

    def set_comment(self, text: str) -> None:
        self.comment = text
        self._revalidate()

    def validate(self, include_form: bool = True) -> tuple[str, Decimal | None]:
        """The first thing wrong ('' when none) and the amount; ``include_form``: the
        broker's extra inputs too (the form shows its own message while typing)."""
        rules = self.rules
        try:
            amount = parse(self.amount_text)
        except ValueError as exc:
            return str(exc), None
        if amount is None:
            return "Enter an amount.", None
        if rules is None:
            return self.availability()[1], None
        if amount == 0:
            return "The amount must not be 0.", None
        if amount < 0 and not rules.allow_negative:
            return "The amount must be positive.", None
        magnitude = abs(amount)
        cur = f" {rules.currency}" if rules.currency else ""
        if magnitude < rules.min_amount:
            return f"The amount must be at least {fmt.money(rules.min_amount)}{cur}.", None
        if magnitude > rules.max_amount:
            return f"The amount must be at most {fmt.money(rules.max_amount)}{cur}.", None
        if (
            rules.max_resulting_balance is not None and self.balance is not None
            and self.balance + amount > rules.max_resulting_balance
        ):
            return (
                f"The balance would exceed {fmt.money(rules.max_resulting_balance)}{cur}.", None
            )
        if rules.comment_max_len and len(self.comment) > rules.comment_max_len:
            return f"The comment is longer than {rules.comment_max_len} characters.", None
        if rules.next_allowed_at is not None and rules.next_allowed_at > utc_now():
            return (
                f"One request every {fmt.duration(rules.cooldown or timedelta())}: the next "
                f"is allowed at {self._next_text(rules)}.", None
            )
        form_error = self.form.error() if include_form else ""
        if form_error:
            return form_error, None
        return "", amount

    @staticmethod
    def _next_text(rules: FundingRules) -> str:
        at = rules.next_allowed_at
        if at is None:
            return "once"
        minutes = max(1, int((at - utc_now()).total_seconds() + 59) // 60)
        return f"{at:%H:%M} UTC (in {minutes} min)"

    def _revalidate(self) -> None:
        self._revalidation.request()

    def _revalidate_now(self) -> None:
        error = self.validate(include_form=False)[0] if self.amount_text.strip() else ""
        if error != self.amount_error:
            self.amount_error = error
            self.errorChanged.emit(error)
        self.stateChanged.emit()

    def submit(self) -> asyncio.Future[FundingResult | None]:
        """Send the request; the future resolves to the broker's result or None (see
        ``result_text`` for why)."""
        future: asyncio.Future[FundingResult | None] = asyncio.get_running_loop().create_future()
        if self.busy or self._held is not None:
            future.set_result(None)  # one press, one request
            return future
        ok, why = self.availability()
        error, amount = self.validate() if ok else (why, None)
        if error or amount is None or self.account is None or self.kind is None:
            self.amount_error = error
            self.errorChanged.emit(error)
            if self.amount_text.strip() or not ok:
                self._set_result(f"Not sent: {error}", False)
            # else: an empty form (a late second press after a request went out): the
            # field says what is missing, the last outcome stays in view.
            future.set_result(None)
            return future
        rules = self.rules
        request = FundingRequest(
            account=self.account, kind=self.kind, amount=amount,
            currency=rules.currency if rules else "",
            comment=self.comment or (rules.default_comment if rules else ""),
            destination=self.form.destination if self.form.wants_destination else None,
            details=self.form.details(),
            private_details=self.form.private_details(),
        )
        if self.hub.is_live(self.account):
            context = account_context(self.hub, self.account)
            self._held = (request, future)
            self.stateChanged.emit()
            self._set_result("Waiting for your confirmation…", True)
            self.confirmationRequested.emit(Confirmation(
                f"Confirm LIVE {self.kind_label().lower()}",
                f"{self._what(request)} on {context.text if context else 'this account'}?",
                (LIVE_REASON,), live=True, yes_text="Send", no_text="Don't send",
            ))
            return future
        self._send(request, future)
        return future

    def confirm(self, accepted: bool) -> None:
        """The answer to ``confirmationRequested``."""
        held, self._held = self._held, None
        if held is None:
            return
        request, future = held
        if accepted:
            self._send(request, future)
            return
        self._set_result("Not sent: not confirmed.", False)
        self.stateChanged.emit()
        if not future.done():
            future.set_result(None)

    def _withdraw(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            if not held[1].done():
                held[1].set_result(None)
            self.confirmationWithdrawn.emit()

    def _send(self, request: FundingRequest,
              future: asyncio.Future[FundingResult | None]) -> None:
        self.busy = True
        self.stateChanged.emit()
        self._set_result("Sending…", True)
        label = self.kind_label(request.kind)

        def show(text: str, ok: bool) -> None:
            if request.account == self.account:
                self._set_result(text, ok)
            else:  # the trader moved on: logged, not shown on another account
                self.outcome.emit(text, ok)

        send_and_report(
            self.tasks, self.hub.fund(request), future,
            describe=lambda result: self.describe_result(request, result, label),
            show=show, finish=self._sent, taken=lambda result: self._taken(request, result),
        )

    def _taken(self, request: FundingRequest, result: FundingResult) -> None:
        """The broker took the request (done, or pending its payment or approval): the
        amount is emptied before the form is usable again, so a late second press has
        nothing to send, and private values (bank details) are kept for next time (in
        the keyring)."""
        if result.status not in (OrderStatus.ACCEPTED, OrderStatus.PENDING):
            return
        self.form.remember()
        if request.account == self.account:
            self._set_inputs("", "")

    def payable_text(self) -> str:
        """The rules' facts and the amount as it will be paid, for the amount typed."""
        try:
            amount = parse(self.amount_text)
        except ValueError:
            amount = None
        return self.form.facts_text(amount)

    def _sent(self) -> None:
        self.busy = False
        self.set_kind(self.kind)  # a cooldown may have started
        self.refresh_journal()

    def _what(self, request: FundingRequest) -> str:
        return (f"{self.kind_label(request.kind)} of {fmt.money(request.amount)} "
                f"{request.currency}").rstrip()

    @staticmethod
    def describe_result(request: FundingRequest, result: FundingResult, label: str = "") -> str:
        label = label or KIND_LABELS.get(request.kind, request.kind.value)
        what = f"{label} of {fmt.money(request.amount)} {request.currency}".rstrip()
        if result.status is OrderStatus.PENDING:
            return f"Sent, pending: {what} · {result.message or 'the broker settles it later'}"
        if result.accepted:
            parts = [f"Done: {what}"]
            if result.new_balance is not None:
                parts.append(f"new balance {fmt.money(result.new_balance)}")
            if result.message:
                parts.append(result.message)
            return " · ".join(parts)
        reason = result.message or "the broker gave no reason"
        return f"{result.status.value.title()}: {what} · {reason}"

    def _set_result(self, text: str, ok: bool) -> None:
        self.result_text = text
        self.resultChanged.emit(text, ok)
        if text and text not in ("Sending…", "Waiting for your confirmation…"):
            self.outcome.emit(text, ok)

    def refresh_journal(self) -> None:
        self._entries = self.hub.funding_journal()
        self._show_journal()

    def _show_journal(self) -> None:
        """The journal's rows, with account names and the brokers' names for each kind."""
        names = {ref: account_name(self.hub.account(ref), ref)
                 for ref in {entry.account for entry in self._entries}}
        rows = []
        for entry in self._entries:
            ref = entry.account
            key = (ref.connection, str(entry.action))
            title = self._kind_titles.get(key)
            if title is None:
                title = self._journal_kind(ref, str(entry.action))
                if self.hub.capabilities(ref.connection) is not None:  # the broker's word
                    self._kind_titles[key] = title
            rows.append(FundingRow(entry, names.get(ref, ref.account_id), title))
        self.journal.apply(rows)

    def _journal_kind(self, ref: AccountRef, action: str) -> str:
        try:
            kind = FundingKind(action)
        except ValueError:
            return action
        caps = self.hub.capabilities(ref.connection)
        rules = (self.hub.funding_rules(ref, kind)
                 if caps is not None and kind in caps.funding else None)
        return rules.title if rules is not None and rules.title else KIND_LABELS.get(kind, action)

    def on_event(self, event: Any) -> None:
        if isinstance(event, JournalChanged) and event.kind == "funding":
            self.refresh_journal()
        elif isinstance(event, BalanceUpdated) and event.account == self.account:
            self.balance = event.balance.balance
            # Rules may follow the account's figures (LWork: withdraw up to free margin).
            rules = (self.hub.funding_rules(self.account, self.kind)
                     if self.kind is not None else None)
            if rules != self.rules:
                self.set_kind(self.kind)
        elif isinstance(event, AccountsUpdated):
            self._show_journal()  # account names arrive
            if self.form.wants_destination:
                self.form.changed.emit()  # the destinations' names
        elif (isinstance(event, ConnectionChanged) and self.account is not None
              and event.connection_id == self.account.connection):
            if not self.busy and self._held is None:
                self._set_result("", True)  # said about the connection as it was
            self.stateChanged.emit()

    def close(self) -> None:
        self._withdraw()
        super().close()
