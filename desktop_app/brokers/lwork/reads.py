"""LWork reads: the user's MT4/MT5 accounts with their figures (2.8, 3.1), open positions
(3.10), pending orders (3.9, read-only) and the history (closed trades 3.8 and the cash
flow 3.7), every list paged and read to its end for the range asked."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from desktop_app.brokers.lwork import mapping
from desktop_app.brokers.lwork.core import LWorkCore
from desktop_app.brokers.lwork.wire import TradingAccount
from desktop_app.domain.errors import NotFound, Rejected, ValidationError
from desktop_app.domain.money import utc_now
from desktop_app.domain.types import (
    Account,
    AccountRef,
    HistoryEntry,
    Position,
    WorkingOrder,
)
from desktop_app.net.limiter import Priority

log = logging.getLogger(__name__)

# Figures of the accounts not in focus are read again once this old, at most two a
# listing (the accounts panel calls a balance stale after 30 s).
OTHERS_EVERY = timedelta(seconds=15)
OTHERS_PER_LISTING = 2


class LWorkReads(LWorkCore):
    async def accounts(self) -> list[Account]:
        detail = await self._user_detail()
        await self._read_deposit_settings({a.vendor for a in detail.accounts})
        wanted = [a for a in detail.accounts
                  if a.login == self._focused or a.login in self._stale
                  or (a.login not in self._info and self._may_retry(a.login))]
        wanted += self._due_others(detail.accounts, wanted)
        await asyncio.gather(*(self._refresh_info(a) for a in wanted))
        owner = detail.nickname or detail.user_name
        listed = []
        for account in detail.accounts:
            read = self._info.get(account.login)
            info, as_of = read if read is not None else (None, None)
            balance = mapping.to_balance(info, as_of=as_of) if info is not None else None
            listed.append(mapping.to_account(self.connection_id, account, owner=owner,
                                             info=info, balance=balance))
        return listed

    def _due_others(self, accounts: Sequence[TradingAccount],
                    wanted: list[TradingAccount]) -> list[TradingAccount]:
        """The accounts the trader is not looking at are read too, the oldest first and
        at most ``OTHERS_PER_LISTING`` a listing, once their figures are older than
        ``OTHERS_EVERY``: their balances stay current (not shown stale) at a pace a CRM
        does not notice (a listing every 10 s in the background: two more requests)."""
        now = utc_now()
        taken = {a.login for a in wanted}
        due = [(read[1], a) for a in accounts
               if a.login not in taken and (read := self._info.get(a.login)) is not None
               and now - read[1] >= OTHERS_EVERY]
        due.sort(key=lambda pair: pair[0])
        return [a for _at, a in due[:OTHERS_PER_LISTING]]

    async def _refresh_info(self, account: TradingAccount) -> None:
        try:
            info = await self.client.account_info(account)
        except (NotFound, Rejected, ValidationError) as exc:
            # One account LWork will not describe (unknown server id, disabled) must not
            # hide the others; its last figures stay with their time.
            log.warning("LWork account info for %s unreadable: %s", account.login,
                        exc.message)
            self._stale.discard(account.login)
            self._info_failed[account.login] = self._clock()
            return
        self._note_info(account.login, info)

    async def account_figures(self, ref: AccountRef) -> dict[str, Any]:
        """Account info (3.1) of one account, read now (after a write)."""
        account = await self._trading_account(ref)
        info = await self.client.account_info(account, priority=Priority.INTERACTIVE)
        self._note_info(account.login, info)
        return info

    async def positions(self, account: AccountRef) -> list[Position]:
        trading = await self._trading_account(account)
        # The session reads positions for the account the trader looks at only: that
        # is the account whose figures each listing reads afresh.
        self._focused = trading.login
        rows = await self.client.positions(trading)
        return [mapping.to_position(account, row, trading.currency,
                                    zone=self.client.time_zone) for row in rows]

    async def working_orders(self, account: AccountRef) -> list[WorkingOrder]:
        trading = await self._trading_account(account)
        rows = await self.client.pending_orders(trading)
        return [mapping.to_working_order(account, row, trading.currency,
                                         zone=self.client.time_zone) for row in rows]

    async def history(self, account: AccountRef, since: datetime) -> list[HistoryEntry]:
        trading = await self._trading_account(account)
        trades = await self.client.trade_history(trading, since=since)
        cash = await self.client.cash_flow(trading, since=since)
        entries = [mapping.trade_to_history(account, row, trading.currency,
                                            zone=self.client.time_zone) for row in trades]
        entries += [mapping.cash_to_history(account, record) for record in cash]
        # The lists filter by LWork's day; the range shown starts at ``since``.
        entries = [e for e in entries if e.at >= since]
        return sorted(entries, key=lambda e: e.at, reverse=True)
