"""What an account's status allows: the same answer for the hub (which refuses) and the
view-models (which grey controls out with the reason)."""

from __future__ import annotations

from dataclasses import dataclass

from desktop_app.domain.types import STATUS_MEANING, Account, AccountStatus, Side


@dataclass(frozen=True, slots=True)
class AccountAllows:
    buy: bool
    sell: bool
    funding: bool
    rename: bool
    close: bool
    why: str  # why something is not allowed ("" when everything is)

    def side(self, side: Side) -> bool:
        return self.buy if side is Side.BUY else self.sell


def account_allows(account: Account) -> AccountAllows:
    status = account.status
    why = account.status_note or STATUS_MEANING.get(status, "")
    if status is AccountStatus.ENABLED:
        return AccountAllows(True, True, True, True, True, "")
    if status is AccountStatus.CLOSING:
        # Upvest: while an account closes, its holdings may only be sold.
        return AccountAllows(False, True, False, False, False, why)
    if status is AccountStatus.SUSPENDED:
        return AccountAllows(False, False, True, True, True, why)
    if status is AccountStatus.UNKNOWN:
        # The broker did not say: nothing is held back here (the broker decides).
        return AccountAllows(True, True, True, True, True, "")
    # PENDING_APPROVAL, LOCKED, CLOSED, DISABLED: visible, nothing actionable.
    return AccountAllows(False, False, False, False, False, why)
