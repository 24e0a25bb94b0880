"""The hub's account lifecycle: opening forms, opening, renaming and closing accounts
(``Capabilities.account_actions``). Openings and closes are journalled like orders."""

from __future__ import annotations

from desktop_app.domain.errors import NotSupported, ValidationError
from desktop_app.domain.service import OnReference
from desktop_app.domain.types import (
    Account,
    AccountAction,
    AccountOpening,
    AccountOpeningForm,
    AccountOpeningResult,
    AccountRef,
    OrderResult,
    new_client_ref,
)
from desktop_app.session.connection import Connection
from desktop_app.session.events import Topic
from desktop_app.session.hub_core import HubCore, interactive
from desktop_app.session.writes import JournalledWrite, OrderLedger
from desktop_app.storage.journal import DuplicateRequest, OrderAction

NAME_MAX = 100


def _as_order_result(result: AccountOpeningResult) -> OrderResult:
    """The journal keeps account requests beside orders: the account id is the deal."""
    account_id = result.account.account_id if result.account is not None else ""
    return OrderResult(
        result.status, broker_ref=account_id, deal_ids=(account_id,) if account_id else (),
        reason=result.message,
    )


class HubAccounts(HubCore):
    def _lifecycle(self, connection_id: str, action: AccountAction) -> Connection:
        conn = self._usable(connection_id)
        caps = conn.capabilities
        if caps is None or action not in caps.account_actions:
            what = {AccountAction.OPEN: "account_creation", AccountAction.RENAME:
                    "account_rename", AccountAction.CLOSE: "account_close"}[action]
            raise NotSupported(caps.why_not(what) if caps else "Not connected.")
        return conn

    def _refresh_accounts(self, connection_id: str) -> None:
        if not self._stopped:
            self.poller.refresh(connection_id, None, (Topic.BALANCES,))

    async def account_opening_forms(self, connection_id: str) -> list[AccountOpeningForm]:
        conn = self._lifecycle(connection_id, AccountAction.OPEN)
        assert conn.service is not None
        with interactive():
            return await conn.service.account_opening_forms()

    async def open_account(self, opening: AccountOpening) -> AccountOpeningResult:
        """Journal, send once (the broker's idempotency key is ``opening.client_ref``
        where it takes one), complete. A lost reply is never resent blindly."""
        conn = self._lifecycle(opening.connection, AccountAction.OPEN)
        self._check_live(conn, "Opening accounts")
        service = conn.service
        assert service is not None
        where = AccountRef(opening.connection, service.broker, "")
        try:
            entry_id = await self.writer.before_send(
                self.journal.begin_account_action,
                where, OrderAction.OPEN_ACCOUNT, opening.client_ref,
                {"kind": opening.kind, **opening.values},
            )
        except DuplicateRequest as exc:
            raise ValidationError("This request was already sent once; it is not sent "
                                  "again.") from exc
        opened: list[AccountRef] = []

        async def send(on_ref: OnReference) -> OrderResult:
            result = await service.open_account(opening, on_ref)
            if result.account is not None:
                opened.append(result.account)
            return _as_order_result(result)

        result = await self._journalled(
            JournalledWrite(OrderLedger(self.writer), entry_id, send, None,
                            references=True, broker=service.broker),
            where, lambda: self._refresh_accounts(opening.connection),
        )
        return AccountOpeningResult(result.status, opened[0] if opened else None, result.reason)

    async def rename_account(self, account: AccountRef, name: str) -> Account:
        conn = self._lifecycle(account.connection, AccountAction.RENAME)
        name = name.strip()
        if not name or len(name) > NAME_MAX:
            raise ValidationError(f"A name needs 1 to {NAME_MAX} characters.", field="name")
        self._check_live(conn, "Renaming accounts")
        assert conn.service is not None
        with interactive():
            renamed = await conn.service.rename_account(account, name)
        self._refresh_accounts(account.connection)
        return renamed

    # ------------------------------------------------------------------ the holder
    def _owner(self, connection_id: str) -> Connection:
        conn = self._usable(connection_id)
        caps = conn.capabilities
        if caps is None or not caps.owner_rename:
            raise NotSupported(caps.why_not("owner_rename") if caps else "Not connected.")
        return conn

    async def owner_name(self, connection_id: str) -> str:
        """The account holder's name as the broker keeps it (``owner_rename``)."""
        conn = self._owner(connection_id)
        assert conn.service is not None
        with interactive():
            return await conn.service.owner_name()

    async def rename_owner(self, connection_id: str, name: str) -> str:
        """Change the holder's name at the broker (LWork 3.12); the accounts show it."""
        conn = self._owner(connection_id)
        name = name.strip()
        if not name or len(name) > NAME_MAX:
            raise ValidationError(f"A name needs 1 to {NAME_MAX} characters.", field="name")
        self._check_live(conn, "Changing the holder's name")
        assert conn.service is not None
        with interactive():
            renamed = await conn.service.rename_owner(name)
        self._refresh_accounts(connection_id)
        return renamed

    async def close_account(self, account: AccountRef) -> AccountOpeningResult:
        """Ask the broker to close the account (journalled; it may go CLOSING first)."""
        conn = self._lifecycle(account.connection, AccountAction.CLOSE)
        self._check_live(conn, "Closing accounts")
        service = conn.service
        assert service is not None
        entry_id = await self.writer.before_send(
            self.journal.begin_account_action,
            account, OrderAction.CLOSE_ACCOUNT, new_client_ref(), {}
        )

        async def send(_on_ref: OnReference) -> OrderResult:
            return _as_order_result(await service.close_account(account))

        result = await self._journalled(
            JournalledWrite(OrderLedger(self.writer), entry_id, send, None,
                            references=False, broker=service.broker),
            account, lambda: self._refresh_accounts(account.connection),
        )
        return AccountOpeningResult(result.status, account, result.reason)
