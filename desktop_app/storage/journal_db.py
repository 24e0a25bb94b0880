"""The journal's SQLite file: schema, opening it for writing or only for reading, and a
start-up probe that finds a damaged file before an order depends on it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from desktop_app.storage.errors import JournalDamaged, JournalTooNew

SCHEMA_VERSION = 1
BUSY_TIMEOUT = 5.0
# quick_check reads every page: cheap for a small journal, seconds for a year of snapshots.
QUICK_CHECK_MAX_BYTES = 32 * 1024 * 1024
TABLES = ("orders", "funding", "balance_snapshots")

_ENTRY_COLUMNS = """
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_ref TEXT NOT NULL UNIQUE,
    connection TEXT NOT NULL,
    broker TEXT NOT NULL,
    account TEXT NOT NULL,
    action TEXT NOT NULL,
    request TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'completed', 'unknown', 'reconciled')),
    result TEXT,
    broker_ref TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    updated TEXT NOT NULL
"""

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS orders ({_ENTRY_COLUMNS});
CREATE TABLE IF NOT EXISTS funding ({_ENTRY_COLUMNS});
CREATE INDEX IF NOT EXISTS orders_state ON orders (state);
CREATE INDEX IF NOT EXISTS funding_state ON funding (state);
CREATE TABLE IF NOT EXISTS balance_snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    connection TEXT NOT NULL,
    broker TEXT NOT NULL,
    account TEXT NOT NULL,
    at TEXT NOT NULL,
    balance TEXT NOT NULL,
    equity TEXT NOT NULL,
    available TEXT NOT NULL,
    currency TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS snapshots_account_at ON balance_snapshots (connection, account, at);
"""


def is_locked(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def connect_writable(path: Path, timeout: float = BUSY_TIMEOUT) -> sqlite3.Connection:
    """Open (creating if needed) for reading and writing.

    Writes only what is missing (WAL mode, tables, the version): another program that
    holds the write lock must not stop a start that only needs to read.
    """
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=timeout)
    try:
        mode = db.execute("PRAGMA journal_mode").fetchone()[0]  # reads the header first
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise JournalTooNew(version, SCHEMA_VERSION)
        if str(mode).lower() != "wal":
            db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        if not set(TABLES) <= tables:
            db.executescript(SCHEMA)
        if version != SCHEMA_VERSION:
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    except BaseException:
        db.close()
        raise
    return db


def connect_read_only(path: Path) -> sqlite3.Connection | None:
    """Open for reading only, with no file created beside it (a read-only folder);
    None when even that is not possible."""
    if not path.is_file():
        return None
    try:
        db = sqlite3.connect(
            f"{path.resolve().as_uri()}?immutable=1", uri=True, check_same_thread=False,
            isolation_level=None,
        )
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error:
        return None
    return db


def truncation(path: Path) -> str:
    """Whether the file is shorter than its own header says (a cut copy, a full disk)."""
    try:
        with path.open("rb") as fh:
            header = fh.read(100)
        size = path.stat().st_size
    except OSError:
        return ""
    if len(header) < 100 or not header.startswith(b"SQLite format 3\0"):
        return ""
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    header_valid = header[24:28] == header[92:96]  # SQLite's own rule for this field
    if header_valid and pages and size < pages * page_size:
        return f"the file is cut short ({size} of {pages * page_size} bytes)"
    return ""


def probe(db: sqlite3.Connection, path: Path) -> None:
    """Raise ``JournalDamaged`` when the file cannot be trusted: cut short, or its
    newest rows (the end of each table, where a cut file breaks) cannot be read."""
    why = truncation(path)
    if why:
        raise JournalDamaged(why)
    try:
        for table in TABLES:
            db.execute(f"SELECT * FROM {table} ORDER BY id DESC LIMIT 20").fetchall()
        for table in ("orders", "funding"):
            db.execute(
                f"SELECT id FROM {table} WHERE state IN ('pending', 'unknown')"
            ).fetchall()
        if path.stat().st_size <= QUICK_CHECK_MAX_BYTES:
            rows = db.execute("PRAGMA quick_check(5)").fetchall()
            if rows != [("ok",)]:
                raise JournalDamaged("; ".join(str(r[0]) for r in rows))
    except sqlite3.OperationalError:
        raise
    except sqlite3.DatabaseError as exc:
        raise JournalDamaged(str(exc)) from exc


def write_locked(db: sqlite3.Connection) -> bool:
    """Whether another program holds the write lock now (asked without waiting long)."""
    db.execute("PRAGMA busy_timeout=200")
    try:
        db.execute("BEGIN IMMEDIATE")
        db.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as exc:
        if is_locked(exc):
            return True
        raise
    finally:
        db.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")
