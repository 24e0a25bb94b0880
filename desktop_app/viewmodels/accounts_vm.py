"""Connections and their accounts, the selected account, switching and preferences."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont

from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.money import utc_now
from desktop_app.domain.types import Account, AccountRef, Balance
from desktop_app.session.events import (
    AccountsUpdated,
    BalanceUpdated,
    ConnectionChanged,
    ConnectionState,
)
from desktop_app.viewmodels import formatting as fmt
from desktop_app.viewmodels.base import HubViewModel
from desktop_app.viewmodels.keyed_table import Column, KeyedTableModel, numeric_key
from desktop_app.viewmodels.throttle import Throttle

if TYPE_CHECKING:
    from desktop_app.session.hub import Hub

STALE_AFTER = timedelta(seconds=30)
STALE_COLOUR = QColor("#8a8a8a")
_FONT = int(Qt.ItemDataRole.FontRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)


@dataclass(frozen=True, slots=True)
class AccountRow:
    """One line of the accounts table: an account, or a connection that has none (yet)."""

    key: str
    connection_id: str
    connection_name: str
    state: ConnectionState
    message: str
    account: Account | None
    balance: Balance | None
    stale: bool
    age: str

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
    return f"{row.account.status.value} · {row.account.environment.value}"


ACCOUNT_COLUMNS: tuple[Column[AccountRow], ...] = (
    Column("Connection", ("connection_name", "state"), _connection_text, _connection_text),
    Column("Account", ("account", "message"), _account_text, _account_text),
    Column("Balance", ("balance",), *_bal("balance"), numeric=True),
    Column("Equity", ("balance",), *_bal("equity"), numeric=True),
    Column("Available", ("balance",), *_bal("available"), numeric=True),
    Column("P/L", ("balance",), *_bal("profit_loss"), numeric=True, signed=True),
    Column("Currency", ("account",), lambda r: r.account.currency if r.account else "",
           lambda r: r.account.currency if r.account else ""),
    Column("Status", ("account", "state"), _status_text, _status_text),
    Column("Updated", ("age", "stale"), lambda r: f"stale · {r.age}" if r.stale else r.age,
           lambda r: r.age),
    Column("Details", ("balance", "account"), lambda r: _details_text(r),
           lambda r: _details_text(r)),
)
BALANCE_FIELDS = {"Balance": "balance", "Equity": "equity", "Available": "available",
                  "P/L": "profit_loss"}
AGE_COLUMN = next(i for i, c in enumerate(ACCOUNT_COLUMNS) if c.title == "Updated")


class AccountsTableModel(KeyedTableModel[AccountRow]):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(ACCOUNT_COLUMNS, "key", parent)
        self._italic = QFont()
        self._italic.setItalic(True)

    def extra_data(self, item: AccountRow, column: int, role: int) -> Any:
        if item.stale and role == _FOREGROUND and column >= 2:
            return STALE_COLOUR
        if item.stale and role == _FONT and column >= 2:
            return self._italic
        return None

    def tooltip(self, item: AccountRow, column: int) -> str | None:
        if item.stale:
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
        self.model = AccountsTableModel(self)
        self.stale_after = stale_after
        self._preferred = preferred
        self._selected: AccountRef | None = None
        self._accounts: dict[str, dict[str, Account]] = {}
        self._switching = False
        # Updates come in bursts (every account of a connection, then its balances):
        # the rows are rebuilt at most once per frame.
        self._rebuild = Throttle(self.refresh, parent=self)
        self._capabilities_dirty = False
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self.refresh)
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

    def rows(self, now: datetime | None = None) -> list[AccountRow]:
        now = now or utc_now()
        out: list[AccountRow] = []
        for info in self.hub.connections():
            cid = info.profile.connection_id
            accounts = self._accounts.get(cid, {})
            broken = info.state is not ConnectionState.CONNECTED
            if not accounts:
                out.append(AccountRow(
                    f"{cid}\x1f", cid, info.profile.name, info.state, info.message,
                    None, None, broken, "",
                ))
                continue
            for account in accounts.values():
                bal = account.balance
                stale = broken or bal is None or now - bal.as_of > self.stale_after
                out.append(AccountRow(
                    account_key(account.ref), cid, info.profile.name, info.state, info.message,
                    account, bal, stale, fmt.age(bal.as_of if bal else None, now),
                ))
        return out

    def refresh(self) -> None:
        """Rebuild the rows now (also settles a coalesced rebuild that was pending)."""
        self._rebuild.cancel()
        rows = self.rows()
        self.model.apply(rows)
        self._ensure_selection(rows)
        if self._capabilities_dirty:  # new accounts: what the selected one offers may differ
            self._capabilities_dirty = False
            self.capabilitiesChanged.emit()

    @property
    def rebuilds_pending(self) -> bool:
        return self._rebuild.pending

    def _ensure_selection(self, rows: list[AccountRow]) -> None:
        refs = [r.ref for r in rows if r.ref is not None]
        if self._selected in refs:
            return
        choice = self._preferred if self._preferred in refs else (refs[0] if refs else None)
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
        self.selectionChanged.emit(ref)
        self.capabilitiesChanged.emit()

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
        super().close()
