"""Opening, renaming and closing accounts, for every broker that offers it
(``Capabilities.account_actions``), driven by the broker's own opening forms.

Each action is offered only where the broker has it and the selected account's status
allows it (``domain.account_rules``); otherwise it is greyed out with the reason (the
broker's, or the status's meaning: pending = visible and nothing actionable, closing =
sells only, locked = nothing). Every write is one-shot: while one is in flight (or waits
for a LIVE confirmation) no other is started. A write on a LIVE connection waits for
``confirm(True)`` after ``confirmationRequested(text)``.

Driving it from code (tests)::

    vm.set_account(ref)
    forms = await vm.load_forms()
    result = await vm.open_account("TRADING", {"user_id": ..., "account_group_id": ...})
    await vm.rename("Savings")
    await vm.close_account()
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from desktop_app.domain.account_rules import account_allows
from desktop_app.domain.types import (
    STATUS_MEANING,
    Account,
    AccountAction,
    AccountOpening,
    AccountOpeningForm,
    AccountOpeningResult,
    AccountRef,
    FormField,
    OrderStatus,
)
from desktop_app.session.events import AccountsUpdated, ConnectionChanged
from desktop_app.viewmodels.base import HubViewModel
from desktop_app.viewmodels.confirmation import LIVE_REASON, Confirmation
from desktop_app.viewmodels.tasks import error_text, resolve_with, settled

if TYPE_CHECKING:
    from desktop_app.session.hub import Hub

NAME_MAX = 100
CAPABILITY_NAMES = {
    AccountAction.OPEN: "account_creation",
    AccountAction.RENAME: "account_rename",
    AccountAction.CLOSE: "account_close",
}
BUSY = "A request is being sent…"
WAITING = "Waiting for your confirmation of the LIVE request…"


@dataclass(frozen=True, slots=True)
class ActionState:
    """What one lifecycle button shows: offered at all, clickable now, and why not."""

    visible: bool
    enabled: bool
    why: str


def field_errors(form: AccountOpeningForm, values: dict[str, str]) -> dict[str, str]:
    """Missing choices, unknown choices and texts over their length, per field name."""
    errors: dict[str, str] = {}
    for f in form.fields:
        value = values.get(f.name, "").strip()
        if not value:
            if not f.optional:
                errors[f.name] = f"{f.label}: choose or enter a value."
            continue
        if f.choices and value not in {v for v, _ in f.choices}:
            errors[f.name] = f"{f.label}: choose one of the listed values."
        elif f.max_len and len(value) > f.max_len:
            errors[f.name] = f"{f.label}: at most {f.max_len} characters."
    return errors


def choice_label(f: FormField, value: str) -> str:
    return next((label for v, label in f.choices if v == value), value)


class AccountLifecycleViewModel(HubViewModel):
    stateChanged = Signal()
    resultChanged = Signal(str, bool)  # text, ok
    confirmationRequested = Signal(object)  # Confirmation: a LIVE write, answer confirm()
    accountOpened = Signal(object)  # AccountRef of a new account

    def __init__(self, hub: Hub, parent: QObject | None = None) -> None:
        super().__init__(hub, parent)
        self.account: AccountRef | None = None
        self.connection_id: str | None = None
        self.busy = False
        self.result_text = ""
        self.forms: list[AccountOpeningForm] = []
        self._pending: tuple[str, Callable[[], Awaitable[Any]],
                             asyncio.Future[Any]] | None = None

    # --- what is selected -----------------------------------------------------------

    def set_account(self, account: AccountRef | None) -> None:
        if account == self.account:
            self.stateChanged.emit()
            return
        self._cancel_pending("Not sent: the selected account changed.")
        self.account = account
        if account is not None:
            self.connection_id = account.connection
        self.stateChanged.emit()

    def set_connection(self, connection_id: str | None) -> None:
        """A connection without an account selected yet (opening its first account)."""
        if self.account is None or self.account.connection != connection_id:
            self.set_account(None)
        self.connection_id = connection_id
        self.stateChanged.emit()

    def on_event(self, event: Any) -> None:
        if isinstance(event, AccountsUpdated | ConnectionChanged):
            self.stateChanged.emit()

    def selected_account(self) -> Account | None:
        return self.hub.account(self.account)

    def account_label(self) -> str:
        account = self.selected_account()
        if account is None:
            return self.account.account_id if self.account else ""
        owner = f" ({account.owner})" if account.owner else ""
        return f"{account.name or account.ref.account_id}{owner}"

    def _live(self) -> bool:
        cid = self.connection_id
        info = next((c for c in self.hub.connections() if c.profile.connection_id == cid), None)
        if info is not None and info.profile.is_live:
            return True
        return self.account is not None and self.hub.is_live(self.account)

    # --- what may be done -----------------------------------------------------------

    def state(self, action: AccountAction) -> ActionState:
        cid = self.connection_id
        caps = self.hub.capabilities(cid) if cid else None
        if caps is None:
            return ActionState(False, False, "No connected account selected.")
        offered = action in caps.account_actions or (
            action is AccountAction.OPEN and caps.account_creation)
        if not caps.account_actions and not caps.account_creation:
            return ActionState(False, False, caps.why_not(CAPABILITY_NAMES[action]))
        if not offered:
            return ActionState(True, False, caps.why_not(CAPABILITY_NAMES[action]))
        if self.busy:
            return ActionState(True, False, BUSY)
        if self._pending is not None:
            return ActionState(True, False, WAITING)
        if action is AccountAction.OPEN:
            return ActionState(True, True, "Open a new account with the broker's form.")
        account = self.selected_account()
        if account is None:
            return ActionState(True, False, "Select an account first.")
        allows = account_allows(account)
        allowed = allows.rename if action is AccountAction.RENAME else allows.close
        if not allowed:
            status = account.status.value.replace("_", " ")
            why = allows.why or STATUS_MEANING.get(account.status, "")
            return ActionState(True, False, f"Not possible while the account is {status}. "
                                            f"{why}".strip())
        if action is AccountAction.RENAME:
            return ActionState(True, True, f"Give {self.account_label()} a new name.")
        return ActionState(True, True, f"Ask the broker to close {self.account_label()}.")

    # --- forms ----------------------------------------------------------------------

    async def load_forms(self) -> list[AccountOpeningForm]:
        cid = self.connection_id
        if cid is None:
            return []
        self.forms = await self.hub.account_opening_forms(cid)
        return self.forms

    # --- writes ---------------------------------------------------------------------

    def open_account(self, kind: str, values: dict[str, str]) -> asyncio.Future[Any]:
        """Open an account of ``kind`` with the form's ``values``; resolves to the
        AccountOpeningResult, or None when nothing was sent (the result text says why)."""
        state = self.state(AccountAction.OPEN)
        form = next((f for f in self.forms if f.kind == kind), None)
        if not state.enabled:
            return self._refuse(state.why)
        if form is None or self.connection_id is None:
            return self._refuse("Choose what kind of account to open.")
        clean = {k: v.strip() for k, v in values.items() if v.strip()}
        errors = field_errors(form, clean)
        if errors:
            return self._refuse(" ".join(errors.values()))
        opening = AccountOpening(self.connection_id, kind, clean)
        chosen = ", ".join(choice_label(f, clean[f.name]) for f in form.fields
                           if f.name in clean)
        what = f"Open a {form.title.lower()} ({chosen})"

        async def send() -> AccountOpeningResult:
            result = await self.hub.open_account(opening)
            if result.account is not None:
                self.accountOpened.emit(result.account)
            return result

        return self._write(what, send, self._describe_opening)

    def rename(self, name: str) -> asyncio.Future[Any]:
        state = self.state(AccountAction.RENAME)
        account = self.account
        name = name.strip()
        if not state.enabled or account is None:
            return self._refuse(state.why)
        if not name or len(name) > NAME_MAX:
            return self._refuse(f"A name needs 1 to {NAME_MAX} characters.")
        what = f"Rename {self.account_label()} to “{name}”"
        return self._write(what, lambda: self.hub.rename_account(account, name),
                           lambda a: (f"Renamed to “{a.name}”.", True))

    def close_account(self) -> asyncio.Future[Any]:
        state = self.state(AccountAction.CLOSE)
        account = self.account
        if not state.enabled or account is None:
            return self._refuse(state.why)
        what = f"Close {self.account_label()}"
        return self._write(what, lambda: self.hub.close_account(account),
                           self._describe_closing)

    @staticmethod
    def _describe_opening(result: AccountOpeningResult) -> tuple[str, bool]:
        if result.status is OrderStatus.REJECTED:
            return f"Not opened: {result.message or 'the broker refused it'}", False
        if result.status is OrderStatus.UNKNOWN:
            return f"Outcome not known: {result.message}", False
        return result.message or "Opened.", True

    @staticmethod
    def _describe_closing(result: AccountOpeningResult) -> tuple[str, bool]:
        if result.status is OrderStatus.REJECTED:
            return f"Not closed: {result.message or 'the broker refused it'}", False
        if result.status is OrderStatus.UNKNOWN:
            return f"Outcome not known: {result.message}", False
        return result.message or "Closing.", True

    def _write(self, what: str, call: Callable[[], Awaitable[Any]],
               describe: Callable[[Any], tuple[str, bool]]) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        async def run() -> Any:
            try:
                result = await call()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._set_result(f"Failed: {error_text(exc)}", False)
                return None
            finally:
                self.busy = False
                self.stateChanged.emit()
            self._set_result(*describe(result))
            return result

        if self._live():
            self._pending = (what, run, future)
            self._set_result(WAITING, False)
            self.stateChanged.emit()
            self.confirmationRequested.emit(Confirmation(
                title="Confirm on a LIVE account", summary=f"{what}?",
                reasons=(LIVE_REASON,), live=True, yes_text="Send",
            ))
            return future
        self._start(what, run, future)
        return future

    def _start(self, what: str, run: Callable[[], Awaitable[Any]],
               future: asyncio.Future[Any]) -> None:
        # Busy at once, before the task runs: a second click in between sends nothing.
        self.busy = True
        self._set_result(f"Sending: {what}…", True)
        self.stateChanged.emit()
        resolve_with(self.tasks.start(run()), future)

    def confirm(self, accepted: bool) -> None:
        """The answer to ``confirmationRequested``."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        what, run, future = pending
        if not accepted:
            self._set_result(f"Not sent: {what} was not confirmed.", False)
            self.stateChanged.emit()
            if not future.done():
                future.set_result(None)
            return
        self._start(what, run, future)

    @property
    def awaiting_confirmation(self) -> bool:
        return self._pending is not None

    def _cancel_pending(self, why: str) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            self._set_result(why, False)
            if not pending[2].done():
                pending[2].set_result(None)

    def _refuse(self, why: str) -> asyncio.Future[Any]:
        self._set_result(f"Not sent: {why}", False)
        return settled(None)

    def _set_result(self, text: str, ok: bool) -> None:
        self.result_text = text
        self.resultChanged.emit(text, ok)

    def close(self) -> None:
        self._cancel_pending("Not sent: the app is closing.")
        super().close()
