"""Connections and their accounts, the selected account, switching and preferences."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import compress, count
from operator import attrgetter, not_
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont

from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.money import utc_now
from desktop_app.domain.types import STATUS_MEANING, Account, AccountRef, Balance
from desktop_app.session.events import (
    AccountsUpdated,
    BalanceUpdated,
    ConnectionChanged,
    ConnectionState,
)
from desktop_app.viewmodels import formatting as fmt
from desktop_app.viewmodels.base import HubViewModel
from desktop_app.viewmodels.gc_guard import freeze_long_lived
from desktop_app.viewmodels.keyed_table import Column, KeyedTableModel, numeric_key
from desktop_app.viewmodels.throttle import Throttle

if TYPE_CHECKING:
    from desktop_app.session.hub import Hub

STALE_AFTER = timedelta(seconds=30)
STALE_COLOUR = QColor("#8a8a8a")
_FONT = int(Qt.ItemDataRole.FontRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)


# Not frozen: a frozen dataclass sets each field through object.__setattr__ (1.4 µs a
# row against 0.3), and a desk's first listing builds thousands of rows in one frame.
# Rows are never changed once built; the table's diff relies on that.
@dataclass(slots=True, eq=False)
class AccountRow:
    """One line of the accounts table: an account, or a connection that has none (yet)."""

    key: str
    connection_id: str
    connection_name: str
    state: ConnectionState
    message: str
    account: Account | None
    balance: Balance | None
    # The connection's accounts belong to several owners (an Upvest desk): the account
    # column names the owner too, so that "Main account" is told from "Main account".
    owner_shown: bool = False

    @property
    def ref(self) -> AccountRef | None:
        return self.account.ref if self.account else None


def _bal(attr: str):
    def display(row: AccountRow) -> str:
        return fmt.money(getattr(row.balance, attr)) if row.balance else ""

    def sort(row: AccountRow) -> float:
        return numeric_key(getattr(row.balance, attr)) if row.balance else float("-inf")

    return display, sort


def _connection_text(row: AccountRow) -> str:
    if row.state is ConnectionState.CONNECTED:
        return row.connection_name
    return f"{row.connection_name} ({row.state.value})"


# Long texts (a connection's error) go to the tooltip; the cell keeps a short start, so
# no message can widen the column and push the balances off the screen.
SHORT_MESSAGE = 48
ACTIVE_MARK = "★"
HEADER_TIPS = {
    "Account": f"{ACTIVE_MARK} marks the session's active account: the one the broker "
               "trades on when it keeps one active account per login (Capital.com). "
               "“Make active” changes it.",
    "Updated": "When the balance was last refreshed; “stale” when that is too long ago.",
    "Details": "The broker's further figures; hover a row for all of them.",
}


def short(text: str, limit: int = SHORT_MESSAGE) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def _account_text(row: AccountRow) -> str:
    if row.account is None:
        return f"⚠ {short(row.message)}" if row.message else "no accounts"
    name = row.account.name or row.account.ref.account_id
    if row.owner_shown and row.account.owner:
        name = f"{name} · {row.account.owner}"
    return f"{name} {ACTIVE_MARK}" if row.account.active else name


def _placed(row: AccountRow) -> list[str]:
    """Where an account sits and whose it is, for brokers with more than one server or
    holder per login (LWork: "MT4 demo", "MT4-Demo / demoforex", the holder)."""
    account = row.account
    if account is None or not (account.group or account.owner):
        return []
    return [t for t in (account.kind, account.group, account.owner) if t]


def _details_text(row: AccountRow) -> str:
    """The broker's further figures (margins, realized P/L, invested, leverage)."""
    bal = row.balance
    if bal is None:
        return " · ".join(_placed(row))
    extra = _placed(row)
    if bal.realized_profit_loss is not None:
        extra.append(f"Realized P/L {fmt.signed_money(bal.realized_profit_loss)}")
    if bal.margin is not None:
        extra.append(f"Margin {fmt.money(bal.margin)}")
    known = {"realized p/l", "margin"}
    extra += [f"{f.label} {f.value}" for f in bal.details if f.label.lower() not in known]
    return " · ".join(extra)


def _status_text(row: AccountRow) -> str:
    if row.account is None:
        return row.state.value
    status = row.account.status.value.replace("_", " ")
    return f"{status} · {row.account.environment.value}"


ACCOUNT_COLUMNS: tuple[Column[AccountRow], ...] = (
    Column("Connection", ("connection_name", "state"), _connection_text, _connection_text),
    Column("Account", ("account", "message", "owner_shown"), _account_text, _account_text),
    Column("Balance", ("balance",), *_bal("balance"), numeric=True),
    Column("Equity", ("balance",), *_bal("equity"), numeric=True),
    Column("Available", ("balance",), *_bal("available"), numeric=True),
    Column("P/L", ("balance",), *_bal("profit_loss"), numeric=True, signed=True),
    Column("Currency", ("account",), lambda r: r.account.currency if r.account else "",
           lambda r: r.account.currency if r.account else ""),
    Column("Status", ("account", "state"), _status_text, _status_text),
    # Computed when shown, from the model's clock (see AccountsTableModel.tick).
    Column("Updated", ("balance", "state"), lambda r: "", lambda r: 0.0),
    Column("Details", ("balance", "account"), lambda r: _details_text(r),
           lambda r: _details_text(r)),
)
BALANCE_FIELDS = {"Balance": "balance", "Equity": "equity", "Available": "available",
                  "P/L": "profit_loss"}
AGE_COLUMN = next(i for i, c in enumerate(ACCOUNT_COLUMNS) if c.title == "Updated")
STATUS_COLUMN = next(i for i, c in enumerate(ACCOUNT_COLUMNS) if c.title == "Status")


class AccountsTableModel(KeyedTableModel[AccountRow]):
    """Rows change when accounts do; how old each balance is, and whether it is stale, is
    worked out when a row is shown, from ``now``: the once-a-second ``tick`` re-formats
    what is on screen instead of rebuilding every row (an operator's desk lists
    thousands)."""

    extra_roles = frozenset({_FOREGROUND, _FONT})

    def __init__(self, parent: QObject | None = None, *,
                 stale_after: timedelta = STALE_AFTER) -> None:
        columns = list(ACCOUNT_COLUMNS)
        columns[AGE_COLUMN] = Column("Updated", ("balance", "state"), self.age_text,
                                     self.age_sort)
        super().__init__(columns, "key", parent)
        self._italic = QFont()
        self._italic.setItalic(True)
        self.now = utc_now()
        self.stale_after = stale_after
        self._stale_keys: set[str] = set()  # rows shown stale at the last tick
        self._scan_at: datetime | None = None  # when a fresh row turns stale next

    def set_stale_after(self, value: timedelta) -> None:
        """A new limit: which rows are stale is worked out again and shown at once."""
        self.stale_after = value
        self._scan_at = None
        self.tick(utc_now())

    def stale(self, row: AccountRow) -> bool:
        bal = row.balance
        # As tick() works it out for every row at once.
        return (row.state is not ConnectionState.CONNECTED or bal is None
                or self.now > bal.as_of + self.stale_after)

    def age(self, row: AccountRow) -> str:
        return fmt.age(row.balance.as_of if row.balance else None, self.now)

    def age_text(self, row: AccountRow) -> str:
        return f"stale · {self.age(row)}" if self.stale(row) else self.age(row)

    @staticmethod
    def age_sort(row: AccountRow) -> float:
        return -row.balance.as_of.timestamp() if row.balance else float("-inf")

    def apply(self, items: Iterable[AccountRow]) -> None:
        before = self.signals_emitted
        super().apply(items)
        if self.signals_emitted != before:
            self._scan_at = None  # rows changed: which are stale is looked at again

    def tick(self, now: datetime) -> None:
        """The clock moved: the ages are shown afresh (one signal over that column; only
        rows in view are formatted again), and rows whose balance became stale (or fresh)
        are re-styled. A sort by another column is left alone. Which rows are stale is
        worked out again only when rows changed or the next one falls due."""
        self.now = now
        rows = self.rowCount()
        if not rows:
            return
        self.forget_looks()
        self.dataChanged.emit(self.createIndex(0, AGE_COLUMN),
                              self.createIndex(rows - 1, AGE_COLUMN))
        if self._scan_at is not None and now < self._scan_at:
            return
        stale: set[str] = set()
        due: datetime | None = None
        # stale(), for every row in one loop (a desk's first listing: 5,000 rows, 7-10 ms
        # as a method call per row): stale unless connected with a balance no older than
        # the limit; the first fresh one to turn stale says when to look again.
        connected, limit = ConnectionState.CONNECTED, self.stale_after
        for key, row in zip(self._keys, self._rows, strict=True):
            balance = row.balance
            if row.state is not connected or balance is None:
                stale.add(key)
                continue
            at = balance.as_of + limit
            if now > at:
                stale.add(key)
            elif due is None or at < due:
                due = at
        self._scan_at = due or now + self.stale_after
        flipped = sorted(self.row_of(k) for k in stale ^ self._stale_keys
                         if self.row_of(k) >= 0)
        self._stale_keys = stale
        last = self.columnCount() - 1
        for r in flipped:
            self.dataChanged.emit(self.createIndex(r, 2), self.createIndex(r, last))

    def extra_data(self, item: AccountRow, column: int, role: int) -> Any:
        if column < 2 or role not in (_FOREGROUND, _FONT) or not self.stale(item):
            return None
        return STALE_COLOUR if role == _FOREGROUND else self._italic

    def tooltip(self, item: AccountRow, column: int) -> str | None:
        if self.stale(item):
            when = fmt.time_utc(item.balance.as_of) + " UTC" if item.balance else "never"
            why = (
                item.message or f"the connection is {item.state.value}"
                if item.state is not ConnectionState.CONNECTED
                else "no refresh for a while"
            )
            return f"Stale: last updated {when}; {why}."
        if column == 1 and item.account is not None:
            active = " (the session's active account)" if item.account.active else ""
            return f"{item.account.ref.account_id}{active}"
        if column == STATUS_COLUMN and item.account is not None:
            # What the status allows, in the broker's words where it gave them.
            account = item.account
            return account.status_note or STATUS_MEANING.get(account.status, "")
        if column in (0, 1) and item.message:
            return item.message
        if item.balance is not None and item.balance.details and column >= 2:
            return "\n".join(
                f"{f.label}: {f.value}" + (f" ({f.hint})" if f.hint else "")
                for f in item.balance.details
            )
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role == _TOOLTIP and orientation == Qt.Orientation.Horizontal:
            return HEADER_TIPS.get(self.columns[section].title)
        return super().headerData(section, orientation, role)

    def row_for_account(self, ref: AccountRef) -> int:
        return self.row_of(account_key(ref))

    def raw_value(self, item: AccountRow, column: int) -> Any:
        """Exported: the balance's figures as Decimals, when it was read (not its age)."""
        title = self.columns[column].title
        if title in BALANCE_FIELDS:
            return getattr(item.balance, BALANCE_FIELDS[title]) if item.balance else None
        if title == "Updated":
            return item.balance.as_of if item.balance else None
        return super().raw_value(item, column)


def account_key(ref: AccountRef) -> str:
    return f"{ref.connection}\x1f{ref.account_id}"


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
