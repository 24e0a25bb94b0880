"""The journal: every order and funding request with its outcome, and balance snapshots.

SQLite (WAL) in the data dir. An order is written and committed *before* it is sent
and completed after the reply, so a crash in between leaves a ``pending`` entry that
the next start reconciles with the broker. Writes are one short transaction each (a
few ms on the loop); order and funding rows are synced to disk (``synchronous=FULL``)
because they must survive a power cut, snapshots are not (``NORMAL``).

States: ``pending`` (written, reply not seen), ``completed`` (the reply said accepted
or rejected), ``unknown`` (the reply was lost and the outcome is not established),
``reconciled`` (the outcome was established later by asking the broker).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from desktop_app.domain.money import utc_now
from desktop_app.domain.types import (
    AccountRef,
    Balance,
    FundingRequest,
    FundingResult,
    OrderRequest,
    OrderResult,
    OrderStatus,
)
from desktop_app.storage import codec
from desktop_app.storage.errors import JournalDamaged, JournalUnavailable
from desktop_app.storage.journal_db import (
    SCHEMA_VERSION,
    connect_read_only,
    connect_writable,
)
from desktop_app.storage.paths import journal_path

__all__ = ["SCHEMA_VERSION", "Journal", "JournalEntry"]

log = logging.getLogger(__name__)
# How far before an entry other placements' deals still count as claimed (see
# claimed_deal_ids): well beyond any broker clock margin.
CLAIM_LOOKBACK = timedelta(minutes=10)


class EntryState(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    UNKNOWN = "unknown"
    RECONCILED = "reconciled"


class OrderAction(StrEnum):
    PLACE = "place"
    CLOSE = "close"
    CANCEL = "cancel"
    MODIFY = "modify"
    CLOSE_ALL = "close_all"
    # Account lifecycle (Upvest, LWork): the entry's account is the connection's for an
    # opening (no account exists yet), the account itself for a close.
    OPEN_ACCOUNT = "open_account"
    CLOSE_ACCOUNT = "close_account"


class DuplicateRequest(ValueError):
    """The same client reference was journalled before: the request was already sent."""


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One order or funding request as journalled (for listings and reconciliation)."""

    id: int
    kind: str  # "order" | "funding"
    action: str  # order: place/close/cancel; funding: the FundingKind value
    client_ref: str
    connection: str
    broker: str
    account_id: str
    request: dict[str, Any]
    state: EntryState
    result: dict[str, Any] | None
    broker_ref: str
    message: str
    created: datetime
    updated: datetime

    @property
    def account(self) -> AccountRef:
        return AccountRef(self.connection, self.broker, self.account_id)

    def order_request(self) -> OrderRequest:
        if self.kind != "order" or self.action != OrderAction.PLACE:
            raise ValueError("not a journalled order placement")
        return codec.order_request_from_dict(self.request)

    def order_result(self) -> OrderResult | None:
        return codec.order_result_from_dict(self.result) if self.result else None

    def funding_request(self) -> FundingRequest:
        if self.kind != "funding":
            raise ValueError("not a journalled funding request")
        return codec.funding_request_from_dict(self.request)

    def funding_result(self) -> FundingResult | None:
        return codec.funding_result_from_dict(self.result) if self.result else None


@dataclass(frozen=True, slots=True)
class BalanceSnapshot:
    account: AccountRef
    at: datetime
    balance: Decimal
    equity: Decimal
    available: Decimal
    currency: str


_Values = tuple[Decimal, Decimal, Decimal, str]


class Journal:
    def __init__(
        self,
        path: Path | str | None = None,
        *,
        snapshot_same_interval: float = 300.0,
        snapshot_min_interval: float = 30.0,
        clock: Callable[[], datetime] = utc_now,
        unavailable: str = "",
    ) -> None:
        """Open (creating if needed) the journal at ``path`` (default: the data dir).

        Snapshots are throttled: identical values are stored at most once per
        ``snapshot_same_interval`` seconds, changed ones at most once per
        ``snapshot_min_interval`` seconds (enough for a chart; bounded table growth).

        ``unavailable`` (why it cannot be written, for the trader) opens it read-only,
        if it can be read at all: writes raise ``JournalUnavailable``, reads give what
        the file holds (nothing when it cannot be read). ``journal_open.open_journal``
        decides this at start. Opening a damaged or newer file raises
        (``sqlite3.DatabaseError``, ``JournalTooNew``).
        """
        self.path = Path(path) if path else journal_path()
        self.snapshot_same_interval = snapshot_same_interval
        self.snapshot_min_interval = snapshot_min_interval
        self._clock = clock
        self._lock = threading.Lock()
        self.unavailable = unavailable
        self._db: sqlite3.Connection | None
        if unavailable:
            self._db = connect_read_only(self.path)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = connect_writable(self.path)
        self._durable = True
        self._closed = False
        self._last_snapshot: dict[tuple[str, str], tuple[datetime, _Values]] = {}

    # -- plumbing -----------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
            self._closed = True

    def _conn(self) -> sqlite3.Connection:
        if self._db is None or self._closed:
            raise RuntimeError("the journal is closed")
        return self._db

    def _write(self, sql: str, params: tuple[Any, ...], *, durable: bool) -> sqlite3.Cursor:
        if self.unavailable:
            raise JournalUnavailable(self.unavailable)
        with self._lock:
            db = self._conn()
            if durable != self._durable:
                db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
                self._durable = durable
            # One statement in autocommit mode = one short transaction.
            return db.execute(sql, params)

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            if self.unavailable and not self._closed:  # what can be read, if anything
                if self._db is None:
                    return []
                try:
                    return self._db.execute(sql, params).fetchall()
                except sqlite3.Error as exc:
                    log.warning("the read-only journal could not be read: %s", exc)
                    return []
            return self._conn().execute(sql, params).fetchall()

    def _now(self) -> str:
        return codec.iso(self._clock())

    # -- entries (orders and funding share one shape) -----------------------------
    def _begin(
        self, table: str, account: AccountRef, client_ref: str, action: str,
        request: dict[str, Any],
    ) -> int:
        now = self._now()
        try:
            cur = self._write(
                f"INSERT INTO {table} (client_ref, connection, broker, account, action, request,"
                " state, created, updated) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                (
                    client_ref,
                    account.connection,
                    account.broker,
                    account.account_id,
                    action,
                    json.dumps(request, sort_keys=True),
                    now,
                    now,
                ),
                durable=True,
            )
        except sqlite3.IntegrityError as exc:
            raise DuplicateRequest(
                f"request {client_ref} is already in the journal; it is not sent again"
            ) from exc
        entry_id = cur.lastrowid
        if entry_id is None:  # pragma: no cover - sqlite always sets it for an INSERT
            raise RuntimeError("the journal did not return an id")
        return entry_id

    def _update(self, table: str, entry_id: int, **values: Any) -> None:
        values["updated"] = self._now()
        cols = ", ".join(f"{k} = ?" for k in values)
        cur = self._write(
            f"UPDATE {table} SET {cols} WHERE id = ?", (*values.values(), entry_id), durable=True
        )
        if cur.rowcount != 1:
            raise KeyError(f"no {table} journal entry {entry_id}")

    def _entries(
        self, table: str, where: str = "", params: tuple[Any, ...] = (), limit: int = -1
    ) -> list[JournalEntry]:
        kind = "order" if table == "orders" else "funding"
        rows = self._read(
            f"SELECT id, action, client_ref, connection, broker, account, request, state, result,"
            f" broker_ref, message, created, updated FROM {table} {where}"
            f" ORDER BY id DESC LIMIT ?",
            (*params, limit),
        )
        entries = []
        for r in rows:
            try:
                entries.append(JournalEntry(
                    id=r[0],
                    kind=kind,
                    action=r[1],
                    client_ref=r[2],
                    connection=r[3],
                    broker=r[4],
                    account_id=r[5],
                    request=codec.loads_object(r[6]),
                    state=EntryState(r[7]),
                    result=codec.loads_object(r[8]) if r[8] else None,
                    broker_ref=r[9],
                    message=r[10],
                    created=codec.from_iso(r[11]),
                    updated=codec.from_iso(r[12]),
                ))
            except (JournalDamaged, ValueError) as exc:  # one bad row must not hide the rest
                log.warning("%s journal entry %s cannot be read (skipped): %s", kind, r[0], exc)
        return entries

    def _in_states(
        self, table: str, states: tuple[EntryState, ...], connection: str | None
    ) -> list[JournalEntry]:
        marks = ", ".join("?" for _ in states)
        where = f"WHERE state IN ({marks})"
        params: tuple[Any, ...] = tuple(s.value for s in states)
        if connection is not None:
            where += " AND connection = ?"
            params += (connection,)
        return list(reversed(self._entries(table, where, params)))  # oldest first

    # -- orders -------------------------------------------------------------------
    def begin_order(self, request: OrderRequest) -> int:
        """Record an order placement as pending; committed when this returns."""
        return self._begin(
            "orders",
            request.account,
            request.client_ref,
            OrderAction.PLACE,
            codec.order_request_to_dict(request),
        )

    def begin_order_action(
        self,
        account: AccountRef,
        action: OrderAction,
        target_id: str,
        client_ref: str,
        details: dict[str, str] | None = None,
    ) -> int:
        """Record a close (position id), cancel or modify (working order id) or close-all
        (no target) as pending; ``details`` holds what a modify changes."""
        request = {
            "account": codec.account_to_dict(account),
            "action": action.value,
            "target_id": target_id,
            "client_ref": client_ref,
        }
        if details:
            request["details"] = dict(details)
        return self._begin("orders", account, client_ref, action, request)

    def begin_account_action(
        self, account: AccountRef, action: OrderAction, client_ref: str,
        details: dict[str, str],
    ) -> int:
        """Record an account opening (``details``: its kind and form values; ``account``
        names the connection, its id empty) or a close as pending."""
        request = {
            "account": codec.account_to_dict(account),
            "action": action.value,
            "target_id": account.account_id,
            "client_ref": client_ref,
            "details": dict(details),
        }
        return self._begin("orders", account, client_ref, action, request)

    def set_broker_ref(self, entry_id: int, broker_ref: str) -> None:
        self._update("orders", entry_id, broker_ref=broker_ref)

    def complete_order(self, entry_id: int, result: OrderResult) -> None:
        self._finish("orders", entry_id, EntryState.COMPLETED, codec.order_result_to_dict(result),
                     result.broker_ref, result.reason)

    def reconcile_order(self, entry_id: int, result: OrderResult, message: str = "") -> None:
        """Store the outcome established by asking the broker after a lost reply."""
        self._finish("orders", entry_id, EntryState.RECONCILED,
                     codec.order_result_to_dict(result), result.broker_ref,
                     message or result.reason)

    def mark_unknown(
        self, entry_id: int, reason: str, result: OrderResult | None = None
    ) -> None:
        """The outcome is not established; ``result`` keeps what the broker did say."""
        if result is None:
            self._update("orders", entry_id, state=EntryState.UNKNOWN.value, message=reason)
        else:
            self._finish("orders", entry_id, EntryState.UNKNOWN,
                         codec.order_result_to_dict(result), result.broker_ref, reason)

    def order(self, entry_id: int) -> JournalEntry | None:
        found = self._entries("orders", "WHERE id = ?", (entry_id,))
        return found[0] if found else None

    def pending_orders(self, connection: str | None = None) -> list[JournalEntry]:
        return self._in_states("orders", (EntryState.PENDING,), connection)

    def unresolved_orders(self, connection: str | None = None) -> list[JournalEntry]:
        """Pending and unknown entries, oldest first."""
        return self._in_states("orders", (EntryState.PENDING, EntryState.UNKNOWN), connection)

    def orders(self, limit: int = 200) -> list[JournalEntry]:
        """Newest first."""
        return self._entries("orders", limit=limit)

    def claimed_deal_ids(self, entry: JournalEntry) -> set[str]:
        """Deal ids that other placements on ``entry``'s connection are known to have
        opened: never to be taken for ``entry``'s. Placements journalled shortly before
        it count too (a confirmed double: its twin's deal may be stamped within the
        reconciliation's clock margin)."""
        rows = self._read(
            "SELECT result FROM orders WHERE connection = ? AND action = ? AND id != ?"
            " AND created >= ? AND state IN (?, ?) AND result IS NOT NULL",
            (entry.connection, OrderAction.PLACE.value, entry.id,
             codec.iso(entry.created - CLAIM_LOOKBACK),
             EntryState.COMPLETED.value, EntryState.RECONCILED.value),
        )
        claimed: set[str] = set()
        for (text,) in rows:
            try:
                deal_ids = codec.loads_object(text).get("deal_ids") or ()
                claimed.update(str(d) for d in deal_ids if isinstance(d, (str, int)))
            except (JournalDamaged, TypeError):
                continue  # an unreadable result claims nothing
        return claimed

    # -- funding ------------------------------------------------------------------
    def last_funding_at(self, account: AccountRef, kind: str) -> datetime | None:
        """When the latest request of ``kind`` on ``account`` that may have taken effect
        (accepted, pending or unknown; not rejected) was journalled."""
        rows = self._read(
            "SELECT created, state, result FROM funding WHERE connection = ? AND account = ?"
            " AND action = ? ORDER BY created DESC, id DESC LIMIT 50",
            (account.connection, account.account_id, kind),
        )
        for created, state, result in rows:
            if state in (EntryState.PENDING.value, EntryState.UNKNOWN.value):
                return codec.from_iso(created)
            try:
                status = codec.loads_object(result).get("status") if result else None
            except JournalDamaged:
                return codec.from_iso(created)  # unreadable: it may have taken effect
            if status != OrderStatus.REJECTED.value:
                return codec.from_iso(created)
        return None

    def begin_funding(self, request: FundingRequest) -> int:
        return self._begin(
            "funding",
            request.account,
            request.client_ref,
            request.kind.value,
            codec.funding_request_to_dict(request),
        )

    def set_funding_broker_ref(self, entry_id: int, broker_ref: str) -> None:
        self._update("funding", entry_id, broker_ref=broker_ref)

    def complete_funding(self, entry_id: int, result: FundingResult) -> None:
        self._finish("funding", entry_id, EntryState.COMPLETED,
                     codec.funding_result_to_dict(result), result.broker_ref, result.message)

    def reconcile_funding(self, entry_id: int, result: FundingResult, message: str = "") -> None:
        self._finish("funding", entry_id, EntryState.RECONCILED,
                     codec.funding_result_to_dict(result), result.broker_ref,
                     message or result.message)

    def mark_funding_unknown(
        self, entry_id: int, reason: str, result: FundingResult | None = None
    ) -> None:
        """The outcome is not established; ``result`` keeps what the broker did say."""
        if result is None:
            self._update("funding", entry_id, state=EntryState.UNKNOWN.value, message=reason)
        else:
            self._finish("funding", entry_id, EntryState.UNKNOWN,
                         codec.funding_result_to_dict(result), result.broker_ref, reason)

    def funding_entry(self, entry_id: int) -> JournalEntry | None:
        found = self._entries("funding", "WHERE id = ?", (entry_id,))
        return found[0] if found else None

    def pending_funding(self, connection: str | None = None) -> list[JournalEntry]:
        return self._in_states("funding", (EntryState.PENDING,), connection)

    def unsettled_funding(self, connection: str | None = None) -> list[JournalEntry]:
        """Funding requests still to be followed, oldest first: those the broker took but
        has not settled (completed or reconciled with a PENDING result) and those whose
        outcome is not known (``unknown``)."""
        # The result is JSON written with json.dumps: inside a string value the quotes
        # are escaped, so this pattern matches the status field only.
        where = "WHERE (state = ? OR (state IN (?, ?) AND result LIKE ?))"
        params: tuple[Any, ...] = (EntryState.UNKNOWN.value, EntryState.COMPLETED.value,
                                   EntryState.RECONCILED.value,
                                   f'%"status": "{OrderStatus.PENDING.value}"%')
        if connection is not None:
            where += " AND connection = ?"
            params += (connection,)
        return list(reversed(self._entries("funding", where, params)))

    def claimed_funding_refs(self, entry: JournalEntry) -> set[str]:
        """Broker references other funding entries of ``entry``'s connection hold: a
        record one of them is known to be is never taken for ``entry``'s."""
        rows = self._read(
            "SELECT broker_ref FROM funding WHERE connection = ? AND id != ?"
            " AND broker_ref != ''",
            (entry.connection, entry.id),
        )
        return {str(ref) for (ref,) in rows}

    def funding(self, limit: int = 200) -> list[JournalEntry]:
        """Newest first."""
        return self._entries("funding", limit=limit)

    def _finish(
        self, table: str, entry_id: int, state: EntryState, result: dict[str, Any], ref: str,
        message: str,
    ) -> None:
        values: dict[str, Any] = {
            "state": state.value,
            "result": json.dumps(result, sort_keys=True),
            "message": message,
        }
        if ref:  # keep a ref stored earlier when the result carries none
            values["broker_ref"] = ref
        self._update(table, entry_id, **values)

    # -- balance snapshots --------------------------------------------------------
    def add_snapshot(
        self,
        account: AccountRef,
        at: datetime,
        balance: Decimal,
        equity: Decimal,
        available: Decimal,
        currency: str,
    ) -> bool:
        """Store a snapshot unless throttled; True when a row was written."""
        if self.unavailable:
            return False  # a chart point is not worth an error
        key = (account.connection, account.account_id)
        values: _Values = (balance, equity, available, currency)
        last = self._last_snapshot.get(key)
        if last is None:
            last = self._load_last_snapshot(account)
        if last is not None:
            last_at, last_values = last
            age = (at - last_at).total_seconds()
            if age < 0:
                return False  # an older value arriving late adds nothing to a chart
            same = last_values == values
            if (same and age < self.snapshot_same_interval) or age < self.snapshot_min_interval:
                return False
        self._write(
            "INSERT INTO balance_snapshots (connection, broker, account, at, balance, equity,"
            " available, currency) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                account.connection,
                account.broker,
                account.account_id,
                codec.iso(at),
                str(balance),
                str(equity),
                str(available),
                currency,
            ),
            durable=False,
        )
        self._last_snapshot[key] = (at, values)
        return True

    def add_balance(self, account: AccountRef, balance: Balance) -> bool:
        return self.add_snapshot(
            account, balance.as_of, balance.balance, balance.equity, balance.available,
            balance.currency,
        )

    def _load_last_snapshot(self, account: AccountRef) -> tuple[datetime, _Values] | None:
        rows = self._read(
            "SELECT at, balance, equity, available, currency FROM balance_snapshots"
            " WHERE connection = ? AND account = ? ORDER BY at DESC LIMIT 1",
            (account.connection, account.account_id),
        )
        if not rows:
            return None
        at, bal, eq, avail, cur = rows[0]
        return codec.from_iso(at), (Decimal(bal), Decimal(eq), Decimal(avail), cur)

    def snapshots(
        self, account: AccountRef, since: datetime | None = None, limit: int = 100_000
    ) -> list[BalanceSnapshot]:
        """Oldest first."""
        sql = (
            "SELECT at, balance, equity, available, currency FROM balance_snapshots"
            " WHERE connection = ? AND account = ?"
        )
        params: tuple[Any, ...] = (account.connection, account.account_id)
        if since is not None:
            sql += " AND at >= ?"
            params += (codec.iso(since),)
        sql += " ORDER BY at DESC LIMIT ?"
        rows = self._read(sql, (*params, limit))
        return [
            BalanceSnapshot(account, codec.from_iso(a), Decimal(b), Decimal(e), Decimal(v), c)
            for a, b, e, v, c in reversed(rows)
        ]

    def prune_snapshots(self, before: datetime) -> int:
        """Delete snapshots older than ``before`` (run it off the loop: may be bulk work)."""
        cur = self._write(
            "DELETE FROM balance_snapshots WHERE at < ?", (codec.iso(before),), durable=False
        )
        return cur.rowcount
