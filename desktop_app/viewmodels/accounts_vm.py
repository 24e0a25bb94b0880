"""Connections and their accounts, the selected account, switching and preferences."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from itertools import compress, count
from operator import attrgetter, not_
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.money import utc_now
from desktop_app.domain.types import Account, AccountRef
from desktop_app.session.events import (
    AccountsUpdated,
    BalanceUpdated,
    ConnectionChanged,
    ConnectionState,
)
from desktop_app.viewmodels.accounts_model import (
    STALE_AFTER,
    AccountRow,
    AccountsTableModel,
    account_key,
)
from desktop_app.viewmodels.base import HubViewModel
from desktop_app.viewmodels.gc_guard import freeze_long_lived
from desktop_app.viewmodels.throttle import Throttle

if TYPE_CHECKING:
    from desktop_app.session.hub import Hub

_ROW_ACCOUNT = attrgetter("account")
# What a row shows of its connection, as ``AccountsViewModel._build_rows`` compares it.
_context = attrgetter("state", "message", "connection_name", "owner_shown")
# Rows built anew per frame; the next slice and the settling after the last one follow
# this much later (see refresh).
ROWS_PER_SLICE = 500
SETTLE_AFTER_MS = 20


class AccountsViewModel(HubViewModel):
    """The accounts panel: rows, selection, freshness, switching, preferences entry."""

    selectionChanged = Signal(object)  # AccountRef | None
    capabilitiesChanged = Signal()
    message = Signal(str)  # outcome of a switch, for the status bar

    def __init__(
        self, hub: Hub, parent: QObject | None = None, *,
        preferred: AccountRef | None = None, stale_after: timedelta = STALE_AFTER,
    ) -> None:
        super().__init__(hub, parent)
        self.model = AccountsTableModel(self, stale_after=stale_after)
        # The rows last built: an account that did not change keeps its row (the table's
        # diff then skips it by identity). Found by the account object's id (an account is
        # a new object whenever it changes; every id here is of an account a row holds),
        # or by key (built when needed) where the connection's state, name or owners moved.
        self._last_rows: list[AccountRow] = []
        self._rows_by_account: dict[int, AccountRow] = {}
        # Per connection: what its rows show besides the accounts, when every one of its
        # rows was built with it; and its listing's owners (several or one).
        self._built_with: dict[str, tuple[Any, ...]] = {}
        self._owners: dict[str, tuple[dict[str, Account], bool]] = {}
        self._preferred = preferred
        self._selected: AccountRef | None = None
        self._accounts: dict[str, dict[str, Account]] = {}
        self._switching = False
        # Updates come in bursts (every account of a connection, then its balances):
        # the rows are rebuilt at most once per frame.
        self._rebuild = Throttle(self.refresh, parent=self)
        self._next_slice = QTimer(self)
        self._next_slice.setSingleShot(True)
        self._next_slice.setInterval(SETTLE_AFTER_MS)
        self._next_slice.timeout.connect(self.refresh)
        self._sliced = False  # the rows shown are slices of a listing not yet all there
        self._capabilities_dirty = False
        self._announcing_selection = False
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)
        self._clock.start()
        for account in hub.accounts():
            self._accounts.setdefault(account.ref.connection, {})[account.ref.account_id] = account
        self.refresh()

    # --- state ----------------------------------------------------------------------

    @property
    def selected(self) -> AccountRef | None:
        return self._selected

    def selected_account(self) -> Account | None:
        ref = self._selected
        if ref is None:
            return None
        return self._accounts.get(ref.connection, {}).get(ref.account_id)

    def capabilities(self) -> Capabilities | None:
        return self.hub.capabilities(self._selected.connection) if self._selected else None

    def on_event(self, event: Any) -> None:
        if isinstance(event, AccountsUpdated):
            self._accounts[event.connection_id] = {a.ref.account_id: a for a in event.accounts}
            self._capabilities_dirty = True
            self._rebuild.trigger()
        elif isinstance(event, BalanceUpdated):
            accounts = self._accounts.setdefault(event.account.connection, {})
            account = accounts.get(event.account.account_id)
            if account is not None:
                accounts[event.account.account_id] = replace(account, balance=event.balance)
                self._rebuild.trigger()
        elif isinstance(event, ConnectionChanged):
            if event.state in (ConnectionState.DISCONNECTED,) and not any(
                c.profile.connection_id == event.connection_id for c in self.hub.connections()
            ):
                self._accounts.pop(event.connection_id, None)
            self.refresh()
            self.capabilitiesChanged.emit()

    @property
    def stale_after(self) -> timedelta:
        return self.model.stale_after

    @stale_after.setter
    def stale_after(self, value: timedelta) -> None:
        self.model.set_stale_after(value)

    def is_stale(self, row: AccountRow) -> bool:
        return self.model.stale(row)

    def rows(self, now: datetime | None = None) -> list[AccountRow]:
        """The table's rows; ``now`` is taken for the ages (see AccountsTableModel)."""
        return self._build_rows(None)[0]

    def _build_rows(self, budget: int | None) -> tuple[list[AccountRow], bool]:
        """The rows, and whether they are all there: with a ``budget``, at most that many
        are built anew; past it a changed account keeps its last row and a new one waits
        for the next slice.

        A slice reads every account again: the unchanged ones' rows are looked up in C
        loops (a desk's 4,500 rows took 4-5 ms a slice one by one)."""
        out: list[AccountRow] = []
        by_account = self._rows_by_account
        by_key: dict[str, AccountRow] | None = None
        built_with: dict[str, tuple[Any, ...]] = {}
        owners_seen: dict[str, tuple[dict[str, Account], bool]] = {}
        built, complete = 0, True
        for info in self.hub.connections():
            cid = info.profile.connection_id
            accounts = self._accounts.get(cid, {})
            name = info.profile.name
            if not accounts:
                out.append(AccountRow(f"{cid}\x1f", cid, name, info.state, info.message,
                                      None, None))
                continue
            owners = self._owners_shown(cid, accounts, owners_seen)
            context = (info.state, info.message, name, owners)
            same = self._built_with.get(cid) == context
            rows: list[AccountRow | None] = (
                list(map(by_account.get, map(id, accounts.values()))) if same
                else [None] * len(accounts))
            missing = list(compress(count(), map(not_, rows)))
            # Every row found by its account's id shows ``context``: true of the rows
            # of a connection whose context held, kept where a row is carried over from
            # another context.
            whole = True
            if missing:
                listed = list(accounts.values())
                for i in missing:
                    account = listed[i]
                    key = account_key(account.ref)
                    if budget is None or built < budget:
                        row = None
                        if not same:  # its row may still show it as it is
                            if by_key is None:
                                by_key = {r.key: r for r in self._last_rows}
                            row = by_key.get(key)
                            if row is not None and (row.account is not account
                                                    or _context(row) != context):
                                row = None
                        if row is None:
                            built += 1
                            row = AccountRow(key, cid, name, info.state, info.message,
                                             account, account.balance, owners)
                    else:  # the next slice: meanwhile a changed account keeps its row
                        if by_key is None:
                            by_key = {r.key: r for r in self._last_rows}
                        row = by_key.get(key)
                        complete = False
                        if row is not None and _context(row) != context:
                            whole = False
                    rows[i] = row
                out.extend(filter(None, rows))  # type: ignore[arg-type]
            else:
                out.extend(rows)  # type: ignore[arg-type]
            if whole:
                built_with[cid] = context
        self._last_rows = out
        self._rows_by_account = dict(zip(map(id, map(_ROW_ACCOUNT, out)), out, strict=True))
        self._built_with = built_with
        self._owners = owners_seen
        return out, complete

    def _owners_shown(self, cid: str, accounts: dict[str, Account],
                      seen: dict[str, tuple[dict[str, Account], bool]]) -> bool:
        """Whether a connection's accounts belong to several owners; worked out once per
        listing (a balance changes an account, never its owner). Kept in ``seen``, which
        replaces the last build's (a removed connection's listing is let go)."""
        found = self._owners.get(cid)
        if found is None or found[0] is not accounts:
            found = (accounts, len({a.owner for a in accounts.values()}) > 1)
        seen[cid] = found
        return found[1]

    def _tick(self) -> None:
        self.model.tick(utc_now())

    def refresh(self) -> None:
        """Rebuild the rows now (also settles a coalesced rebuild that was pending).

        A desk's thousands of accounts arriving (or changing at once) are shown a slice
        of ``ROWS_PER_SLICE`` per frame: building 5,000 rows, inserting them into the
        sorted table and repainting made one frame of 15-20 ms. Each slice reads the
        accounts afresh, so a newer listing simply carries on from what is shown."""
        self._rebuild.cancel()
        self._next_slice.stop()
        model = self.model
        signals = model.signals_emitted
        rows, complete = self._build_rows(ROWS_PER_SLICE)
        model.apply(rows)
        changed = model.signals_emitted != signals
        if not complete:
            self._sliced = True
            self._next_slice.start()
            return
        if self._sliced:
            self._sliced = False
            # The clock's pass over every row, then the first selection (every panel
            # follows it), each in a frame of its own. Not on zero timers: those ran in
            # the same pass of Qt's loop, before any repaint.
            QTimer.singleShot(SETTLE_AFTER_MS, self, self._settle_listing)
            return
        self._settle(changed)

    def _settle_listing(self) -> None:
        self.model.tick(utc_now())
        QTimer.singleShot(SETTLE_AFTER_MS, self, self._settle_desk)

    def _settle_desk(self) -> None:
        self._settle(changed=False)
        # A desk's thousands of accounts and rows live as long as its connection: left
        # out of later collections, which otherwise walked them all (16-17 ms at 5,000).
        freeze_long_lived()

    def _settle(self, changed: bool) -> None:
        if changed:  # rows that changed show their ages from now, not the last clock pass
            self.model.tick(utc_now())
        self._ensure_selection()
        if self._capabilities_dirty:  # new accounts: what the selected one offers may differ
            self._capabilities_dirty = False
            self.capabilitiesChanged.emit()

    @property
    def rebuilds_pending(self) -> bool:
        return self._rebuild.pending or self._next_slice.isActive()

    def _listed(self, ref: AccountRef | None) -> bool:
        # The model's index, not a pass over the rows: a desk lists thousands.
        return ref is not None and self.model.row_for_account(ref) >= 0

    def _ensure_selection(self) -> None:
        if self._listed(self._selected):
            return
        if self._listed(self._preferred):
            choice = self._preferred
        else:
            model = self.model
            refs = (model.item(r).ref for r in range(model.rowCount()))
            choice = next((ref for ref in refs if ref is not None), None)
        if choice != self._selected:
            self._set_selected(choice)

    def select(self, ref: AccountRef | None) -> None:
        if ref == self._selected:
            return
        self._preferred = ref
        self._set_selected(ref)

    def select_row(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            ref = self.model.item(row).ref
            if ref is not None:
                self.select(ref)

    def _set_selected(self, ref: AccountRef | None) -> None:
        self._selected = ref
        # Said once: the panels following the selection re-read what it offers (twice,
        # when new accounts had also marked it changed, 1-2 ms at a desk's first account).
        self._capabilities_dirty = False
        self.selectionChanged.emit(ref)
        self._announcing_selection = True
        try:
            self.capabilitiesChanged.emit()
        finally:
            self._announcing_selection = False

    @property
    def announcing_selection(self) -> bool:
        """True while ``capabilitiesChanged`` says what a new selection offers: a panel
        that followed ``selectionChanged`` just before has read it already."""
        return self._announcing_selection

    # --- switching --------------------------------------------------------------------

    def switch_state(self) -> tuple[bool, str]:
        """(enabled, why not) for the switch button."""
        account = self.selected_account()
        caps = self.capabilities()
        if account is None:
            return False, "Select an account first."
        if caps is None:
            return False, "The connection is not ready yet."
        if not caps.account_switching:
            return False, caps.why_not("account_switching")
        if account.active:
            return False, "This is already the session's active account."
        if self._switching:
            return False, "Switching…"
        return True, "Make this the active account of its session (orders go to it)."

    def switch_to_selected(self):  # -> asyncio.Task[None] | None
        enabled, why = self.switch_state()
        ref = self._selected
        if not enabled or ref is None:
            self.message.emit(why)
            return None
        self._switching = True
        self.capabilitiesChanged.emit()

        async def switch() -> None:
            try:
                await self.hub.switch_account(ref)
                accounts = self._accounts.get(ref.connection, {})
                for account_id, account in list(accounts.items()):
                    accounts[account_id] = replace(account, active=account_id == ref.account_id)
                self.refresh()
            finally:
                self._switching = False
                self.capabilitiesChanged.emit()
            self.message.emit(f"Switched the active account to {ref.account_id}.")

        return self.tasks.start(switch())

    # --- preferences --------------------------------------------------------------------

    def preferences_state(self) -> tuple[bool, bool, str]:
        """(visible, enabled, why) of the preferences button."""
        caps = self.capabilities()
        if caps is None or not caps.preferences:
            why = caps.why_not("preferences") if caps else "No connected account selected."
            return False, False, why
        return True, self._selected is not None, "Hedging mode and leverage per asset class."

    def close(self) -> None:
        self._clock.stop()
        self._rebuild.cancel()
        self._next_slice.stop()
        super().close()
