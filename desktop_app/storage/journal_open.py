"""Open the journal at start, whatever state its file is in.

- damaged (not a database, cut short, unreadable rows at its end) or written by a newer
  version: moved aside under a timestamped name (never deleted), a new journal started;
- locked for writing by another program: opened as it is; the trader is told that
  orders wait for the lock;
- not writable at all (a read-only folder, a lock held in another program's exclusive
  mode): opened read-only where possible; writes are refused with the reason, so no
  order is sent without being journalled first.

Each case gives a note for the window: what was wrong and what was kept. Blocking work
(SQLite, renames): run it in a thread.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from desktop_app.storage.aside import move_aside
from desktop_app.storage.errors import JournalDamaged, JournalTooNew
from desktop_app.storage.journal import Journal
from desktop_app.storage.journal_db import is_locked, probe, truncation, write_locked
from desktop_app.storage.paths import journal_path

log = logging.getLogger(__name__)

NOT_SENT = (
    "Balances and positions are shown, but orders and funding requests are not sent "
    "this run: each is journalled before it is sent."
)


@dataclass
class OpenedJournal:
    journal: Journal
    notes: list[str] = field(default_factory=list)


def open_journal(path: Path | None = None) -> OpenedJournal:
    path = path or journal_path()
    try:
        journal = _open_checked(path)
    except (JournalDamaged, JournalTooNew) as exc:
        return _start_afresh(path, exc)
    except sqlite3.OperationalError as exc:
        return _unwritable(path, _why_unwritable(path, exc))
    except sqlite3.DatabaseError as exc:  # "file is not a database", "malformed"
        return _start_afresh(path, JournalDamaged(str(exc)))
    except OSError as exc:
        return _unwritable(path, f"it cannot be opened ({exc.strerror or exc})")
    notes = []
    if _locked_now(journal):
        notes.append(
            f"The journal {path} is locked by another program. Orders and funding "
            "requests are journalled before they are sent, so they wait for it (and "
            "fail after a few seconds) until that program lets go of it. Nothing in it "
            "was changed."
        )
    return OpenedJournal(journal, notes)


def _open_checked(path: Path) -> Journal:
    why = truncation(path)  # before SQLite reads it: its own error would say less
    if why:
        raise JournalDamaged(why)
    journal = Journal(path)
    db = journal._db
    assert db is not None
    try:
        probe(db, path)
    except BaseException:
        journal.close()
        raise
    return journal


def _locked_now(journal: Journal) -> bool:
    db = journal._db
    try:
        return db is not None and write_locked(db)
    except sqlite3.Error as exc:
        log.warning("journal lock probe failed: %s", exc)
        return False


def _start_afresh(path: Path, problem: Exception) -> OpenedJournal:
    newer = isinstance(problem, JournalTooNew)
    label = "newer-version" if newer else "damaged"
    log.warning("journal %s: %s", path, problem)
    try:
        aside = move_aside(path, label)
    except OSError as exc:
        return _unwritable(
            path, f"{problem}, and it could not be moved aside ({exc.strerror or exc})"
        )
    try:
        journal = Journal(path)
    except (sqlite3.Error, OSError, JournalTooNew) as exc:
        return _unwritable(path, f"a new journal could not be started ({exc})")
    if newer:
        what = (
            f"The journal was written by a newer version of the app ({problem}). It was "
            f"moved aside as {aside.name} in {path.parent}, where the newer version can "
            "still read it, and a new, empty journal was started."
        )
    else:
        what = (
            f"The journal (orders, funding requests, balance history) could not be read: "
            f"{problem}. It was moved aside as {aside.name} in {path.parent}, not deleted, "
            "and a new, empty journal was started."
        )
    return OpenedJournal(journal, [
        what + " Orders sent before are not reconciled by the app: check them at the broker."
    ])


def _why_unwritable(path: Path, exc: sqlite3.OperationalError) -> str:
    folder = path.parent
    if is_locked(exc):
        return "another program holds it locked"
    if not os.access(folder, os.W_OK) or "readonly" in str(exc).lower():
        return f"the data folder {folder} is read-only"
    return f"it cannot be opened ({exc})"


def _unwritable(path: Path, why: str) -> OpenedJournal:
    log.warning("journal %s cannot be written: %s", path, why)
    journal = Journal(path, unavailable=f"The journal cannot be written: {why}.")
    if "read-only" in why:
        hint = " Make the folder writable and start the app again."
    elif "locked" in why:
        hint = " Start the app again once that program has let go of it."
    else:
        hint = ""
    return OpenedJournal(
        journal, [f"The journal {path} cannot be written: {why}. {NOT_SENT}{hint}"]
    )
