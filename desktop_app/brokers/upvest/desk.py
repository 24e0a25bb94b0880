"""The operator's desk: every account of every user with its owner, group, status and the
group's cash, and the account lifecycle (open, rename, close).

Upvest keeps cash per account group, so each account shows its group's cash balance (the
same figures on every account of the group, said so in its details). Opening is
``POST /accounts`` under the journal's reference as idempotency key: a reply lost on the
way back is asked again with the same key by the client, and Upvest answers with the one
account it made. Closing is ``DELETE /accounts/{id}`` (202): the account goes CLOSING
(sells only) and CLOSED once it holds nothing.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from desktop_app.brokers.upvest import mapping
from desktop_app.brokers.upvest.client import ACCOUNT_TYPES, NAME_MAX
from desktop_app.brokers.upvest.core import UpvestCore, idempotency_key
from desktop_app.brokers.upvest.errors import BROKER
from desktop_app.domain.errors import BrokerError, NotFound, Rejected, ValidationError
from desktop_app.domain.service import OnReference
from desktop_app.domain.types import (
    Account,
    AccountOpening,
    AccountOpeningForm,
    AccountOpeningResult,
    AccountRef,
    Balance,
    Fact,
    FormField,
    OrderStatus,
)
from desktop_app.net.http import MaybeSent
from desktop_app.net.limiter import Priority

OPENING_NOTES = (
    "Upvest opens the account as PENDING_APPROVAL (visible, nothing can be done on it) "
    "until it approves it; then it is ACTIVE. Cash is the account group's: every account "
    "of the group trades from the same balance."
)
CLOSING_TEXT = (
    "Upvest is closing the account: it stays CLOSING (only sales are possible) until it "
    "holds no shares and no open orders, then it is CLOSED."
)
# Accounts mapped between two turns of the event loop (a first listing of thousands).
MAP_SLICE = 200
SHARED_CASH = "Upvest keeps cash per account group: every account of the group shows it."


class UpvestDesk(UpvestCore):
    # ------------------------------------------------------------------ accounts

    def to_account(self, data: dict[str, Any]) -> Account:
        """The account as the domain has it; the same one as last time while Upvest's
        data, the group's cash and the names are unchanged (a desk lists thousands: the
        mapping is done for those that changed)."""
        account_id = str(data.get("id") or "")
        balance = self._balance(str(data.get("account_group_id") or ""))
        held = self._securities.get(account_id)
        known = self._mapped.get(account_id)
        if known is not None and known[1] is balance and known[2] == (self._people_at, held) \
                and known[0] == data:
            return known[3]
        account = self._to_account(data)
        if held is not None and account.balance is not None:
            # Equity: the group's cash and this account's shares at their valuation (read
            # with its positions; the cash is shared, the shares are the account's own).
            cash = account.balance
            account = replace(account, balance=replace(cash, equity=cash.balance + held))
        self._mapped[account_id] = (data, balance, (self._people_at, held), account)
        return account

    def _to_account(self, data: dict[str, Any]) -> Account:
        group = str(data.get("account_group_id") or "")
        owner = mapping.owner_of(data)
        account = mapping.account(
            data, connection=self.connection_id, environment=self.environment,
            owner_name=self.user_label(owner),
        )
        # A closed account holds nothing: the group's cash is its other accounts'.
        closed = data.get("status") == "CLOSED"
        return replace(account, group=self.group_label(group),
                       balance=None if closed else self._balance(group))

    def _balance(self, group: str) -> Balance | None:
        """The group's cash as a Balance, made once per cash reading (every account of
        the group shows the same one)."""
        cash = self.cash_of(group)
        if cash is None:
            return None
        # Kept current by events: as of the latest reading of the list, when later.
        as_of = cash.as_of
        if self.webhooks_live and self.listed_wall is not None and self.listed_wall > as_of:
            as_of = self.listed_wall
        known = self._balances.get(group)
        if known is not None and known[0] is cash and known[1] == (self._people_at, as_of):
            return known[2]
        found = mapping.balance(cash.data, as_of=as_of)
        balance = replace(found, details=(*found.details, Fact(
            "Cash of", self.group_label(group), SHARED_CASH)))
        self._balances[group] = (cash, (self._people_at, as_of), balance)
        return balance

    async def accounts(self) -> list[Account]:
        raw = await self.list_accounts()
        await self.refresh_cash([str(a.get("account_group_id") or "") for a in raw])
        out: list[Account] = []
        for n, data in enumerate(raw, 1):
            out.append(self.to_account(data))
            if n % MAP_SLICE == 0:
                await asyncio.sleep(0)  # thousands to map: the loop breathes in between
        return out

    # ------------------------------------------------------------------ opening

    async def account_opening_forms(self) -> list[AccountOpeningForm]:
        await self.load_people(force=True)
        users = sorted(((uid, mapping.user_name(u)) for uid, u in self._users.items()
                        if u.get("status", "ACTIVE") == "ACTIVE"), key=lambda c: c[1])
        groups = sorted(
            ((gid, f"{self.group_label(gid)} · {self.user_label(self.group_owner(gid))}")
             for gid, g in self._groups.items() if g.get("status", "ACTIVE") == "ACTIVE"),
            key=lambda c: c[1],
        )
        fields = (
            FormField("user_id", "User", choices=tuple(users)),
            FormField("account_group_id", "Account group", choices=tuple(groups)),
            FormField("name", "Name", optional=True, max_len=NAME_MAX,
                      placeholder="e.g. Savings (up to 100 characters)"),
        )
        return [
            AccountOpeningForm("TRADING", "Trading account", fields, notes=OPENING_NOTES),
            AccountOpeningForm(
                "PORTFOLIO", "Portfolio account", fields,
                notes="A portfolio account holds a managed portfolio. " + OPENING_NOTES,
            ),
        ]

    def _check_opening(self, opening: AccountOpening) -> tuple[str, str, str]:
        if opening.connection != self.connection_id:
            raise ValidationError("The opening is for another connection.", broker=BROKER)
        if opening.kind not in ACCOUNT_TYPES:
            raise ValidationError("An Upvest account is a trading or a portfolio account.",
                                  field="kind", broker=BROKER)
        user_id = opening.values.get("user_id", "").strip()
        group_id = opening.values.get("account_group_id", "").strip()
        name = opening.values.get("name", "").strip()
        if not user_id:
            raise ValidationError("Choose the user the account is for.", field="user_id",
                                  broker=BROKER)
        if not group_id:
            raise ValidationError("Choose the account group it belongs to.",
                                  field="account_group_id", broker=BROKER)
        owner = self.group_owner(group_id)
        if owner and owner != user_id:
            raise ValidationError(
                f"{self.group_label(group_id)} belongs to {self.user_label(owner)}, not to "
                f"{self.user_label(user_id)}: choose one of the user's own groups.",
                field="account_group_id", broker=BROKER,
            )
        if len(name) > NAME_MAX:
            raise ValidationError(f"A name takes at most {NAME_MAX} characters.",
                                  field="name", broker=BROKER)
        return user_id, group_id, name

    async def open_account(
        self, opening: AccountOpening, on_reference: OnReference | None = None
    ) -> AccountOpeningResult:
        user_id, group_id, name = self._check_opening(opening)
        self.require_live_opt_in("Opening accounts")
        try:
            data = await self.client.create_account(
                user_id=user_id, account_group_id=group_id, account_type=opening.kind,
                name=name, idempotency_key=idempotency_key(opening.client_ref),
            )
        except (Rejected, NotFound) as exc:
            return AccountOpeningResult(OrderStatus.REJECTED, message=exc.message)
        # MaybeSent goes up: the client already asked again under the same key.
        account_id = str(data.get("id") or "")
        self.hand_over(on_reference, account_id)
        self.remember_account(data)
        self.notify_changed(None, "balances")
        ref = self.ref(account_id)
        if data.get("status") == "ACTIVE":
            return AccountOpeningResult(OrderStatus.ACCEPTED, ref, "Opened: ACTIVE.")
        return AccountOpeningResult(
            OrderStatus.PENDING, ref,
            f"Opened: {data.get('status', 'PENDING_APPROVAL')} until Upvest approves it.",
        )

    # ------------------------------------------------------------------ rename, close

    async def rename_account(self, account: AccountRef, name: str) -> Account:
        self.check_account(account)
        self.require_live_opt_in("Renaming accounts")
        data = await self.client.rename_account(account.account_id, name)
        self.remember_account(data)
        self.notify_changed(None, "balances")
        return self.to_account(data)

    async def close_account(self, account: AccountRef) -> AccountOpeningResult:
        self.check_account(account)
        self.require_live_opt_in("Closing accounts")
        lost = ""
        try:
            await self.client.close_account(account.account_id)
        except MaybeSent as exc:
            lost = exc.message  # a DELETE: the account's status tells whether it was taken
        except (Rejected, NotFound) as exc:
            return AccountOpeningResult(OrderStatus.REJECTED, account, exc.message)
        try:
            data = await self.client.account(account.account_id,
                                             priority=Priority.INTERACTIVE)
        except BrokerError as exc:
            if lost:
                return AccountOpeningResult(
                    OrderStatus.UNKNOWN, account,
                    f"{lost} The account could not be read to see whether it is closing "
                    f"({exc.message}); the account list will show it.",
                )
            return AccountOpeningResult(OrderStatus.PENDING, account, CLOSING_TEXT)
        self.remember_account(data)
        self.notify_changed(None, "balances")
        status = data.get("status")
        if status == "CLOSED":
            return AccountOpeningResult(OrderStatus.ACCEPTED, account, "Closed.")
        if status == "CLOSING":
            prefix = "The reply was lost; the account shows CLOSING. " if lost else ""
            return AccountOpeningResult(OrderStatus.PENDING, account, prefix + CLOSING_TEXT)
        if lost:
            return AccountOpeningResult(
                OrderStatus.UNKNOWN, account,
                f"{lost} The account is still {status}; nothing was resent.",
            )
        return AccountOpeningResult(OrderStatus.PENDING, account, CLOSING_TEXT)
