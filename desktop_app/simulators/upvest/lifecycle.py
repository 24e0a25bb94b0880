"""The simulator's scheduled status changes, each its own function so that a restored
state (``persistence``) can schedule again what was under way when it was saved:
approval (PENDING_APPROVAL -> ACTIVE), closure (CLOSING -> CLOSED once nothing is held)
and the confirmation of virtual cash (ISSUED -> CONFIRMED, credited on an increase)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop_app.simulators.upvest.model import Account, VirtualCash

if TYPE_CHECKING:
    from desktop_app.simulators.upvest.state import UpvestState


def schedule_approval(state: UpvestState, account: Account) -> None:
    def activate() -> None:
        if account.status == "PENDING_APPROVAL":
            state.set_status(account, "ACTIVE", "ACCOUNT.ACTIVATED")

    state.schedule(state.approval_delay, activate)


def schedule_closure(state: UpvestState, account: Account) -> None:
    def try_close() -> None:
        if account.status != "CLOSING":
            return
        if state.holds_anything(account.id):
            state.schedule(state.closing_delay, try_close)  # sells first, then closed
            return
        state.set_status(account, "CLOSED", "ACCOUNT.CLOSED")

    state.schedule(state.closing_delay, try_close)


def schedule_confirmation(state: UpvestState, item: VirtualCash) -> None:
    event = "VIRTUAL_CASH_INCREASE" if item.kind == "increase" else "VIRTUAL_CASH_DECREASE"

    def confirm() -> None:
        if item.status != "ISSUED":
            return
        group = state.groups[item.group_id]
        item.status = "CONFIRMED"
        item.updated = state.now()
        if item.kind == "increase":
            group.balance += item.amount
            state.emit("CASH_BALANCE.UPDATED", group.cash_payload())
        state.emit(f"{event}.CONFIRMED", item.payload())

    state.schedule(state.processing_delay, confirm)
