"""The accounts table: a row per account (or per connection without any), its columns
and texts, staleness and ages."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QFont

from desktop_app.domain.money import utc_now
from desktop_app.domain.types import STATUS_MEANING, Account, AccountRef, Balance
from desktop_app.session.events import ConnectionState
from desktop_app.viewmodels import formatting as fmt
from desktop_app.viewmodels.keyed_table import Column, KeyedTableModel, numeric_key

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
