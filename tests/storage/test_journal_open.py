"""Opening the journal whatever state its file is in (storage level; the app-level cases
are in tests/app/test_damaged_files.py)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from desktop_app.domain.types import AccountRef, FundingKind, FundingRequest, OrderRequest, Side
from desktop_app.storage.aside import aside_name, move_aside
from desktop_app.storage.errors import JournalUnavailable
from desktop_app.storage.journal import Journal
from desktop_app.storage.journal_open import open_journal

ACC = AccountRef("cap-1", "capital", "ACC-1")


def _order(n: int = 1) -> OrderRequest:
    return OrderRequest(ACC, "EURUSD", Side.BUY, Decimal(n))


def _fill(path: Path, orders: int = 5) -> None:
    journal = Journal(path)
    for i in range(orders):
        journal.begin_order(_order(i + 1))
    journal.close()


def test_a_healthy_journal_opens_without_notes(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    _fill(path)
    opened = open_journal(path)
    assert opened.notes == []
    assert len(opened.journal.orders()) == 5
    opened.journal.begin_order(_order(9))
    opened.journal.close()


def test_garbage_is_moved_aside_and_a_new_journal_works(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    path.write_bytes(b"\x00garbage" * 500)
    opened = open_journal(path)
    [aside] = tmp_path.glob("journal.damaged-*.sqlite3")
    assert aside.read_bytes() == b"\x00garbage" * 500
    [note] = opened.notes
    assert aside.name in note and "file is not a database" in note
    opened.journal.begin_order(_order())
    assert len(opened.journal.orders()) == 1
    opened.journal.close()


def test_a_cut_journal_is_found_before_an_order_depends_on_it(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    _fill(path, orders=300)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) - 4096])  # the last page gone
    opened = open_journal(path)
    assert "cut short" in opened.notes[0]
    assert list(tmp_path.glob("journal.damaged-*.sqlite3"))
    opened.journal.close()


def test_a_corrupted_page_is_found_by_the_check(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    _fill(path, orders=300)
    data = bytearray(path.read_bytes())
    page = 4096
    data[page * 2: page * 3] = os.urandom(page)  # scribble over a b-tree page
    path.write_bytes(bytes(data))
    opened = open_journal(path)
    assert opened.notes and "could not be read" in opened.notes[0]
    opened.journal.close()


def test_a_newer_journal_is_kept_whole_and_a_new_one_started(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    _fill(path)
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version=3")
    db.close()
    opened = open_journal(path)
    [aside] = tmp_path.glob("journal.newer-version-*.sqlite3")
    assert "format 3" in opened.notes[0] and aside.name in opened.notes[0]
    assert opened.journal.orders() == []
    opened.journal.close()
    kept = sqlite3.connect(aside)
    assert kept.execute("PRAGMA user_version").fetchone() == (3,)
    kept.close()


def test_a_write_locked_journal_is_opened_as_it_is_and_said_so(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    _fill(path)
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sqlite3, time
            db = sqlite3.connect({str(path)!r}, isolation_level=None)
            db.execute("BEGIN EXCLUSIVE")
            print("locked", flush=True)
            time.sleep(60)
        """)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        opened = open_journal(path)
        assert "locked by another program" in opened.notes[0]
        assert len(opened.journal.orders()) == 5  # reads go on
    finally:
        holder.kill()
        holder.wait()
    opened.journal.begin_order(_order(7))  # and once it is free, writes do too
    opened.journal.close()
    assert list(tmp_path.glob("journal.*-*")) == []


def test_an_unwritable_journal_refuses_writes_and_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    _fill(path)
    journal = Journal(path, unavailable="The journal cannot be written: test.")
    assert len(journal.orders()) == 5
    with pytest.raises(JournalUnavailable, match="cannot be written: test"):
        journal.begin_order(_order(8))
    with pytest.raises(sqlite3.OperationalError):  # what the session already handles
        journal.begin_funding(FundingRequest(ACC, FundingKind.DEMO_TOPUP, Decimal(5)))
    assert journal.add_snapshot(ACC, datetime.now(UTC), Decimal(1), Decimal(1), Decimal(1),
                                "USD") is False
    journal.close()
    nothing = Journal(tmp_path / "absent.sqlite3", unavailable="gone")
    assert nothing.orders() == [] and nothing.unresolved_orders() == []
    nothing.close()


def test_one_unreadable_row_does_not_hide_the_others(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    _fill(path, orders=3)
    db = sqlite3.connect(path)
    db.execute("UPDATE orders SET request = '[[[' WHERE id = 2")
    db.execute("UPDATE orders SET created = 'yesterday' WHERE id = 3")
    db.commit()
    db.close()
    journal = Journal(path)
    assert [e.id for e in journal.orders()] == [1]
    journal.close()


def test_move_aside_keeps_companions_and_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    path.write_text("one")
    (tmp_path / "journal.sqlite3-wal").write_text("wal")
    moment = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    first = move_aside(path, "damaged", clock=lambda: moment)
    assert first.name == "journal.damaged-20250102T030405Z.sqlite3"
    assert first.with_name(first.name + "-wal").read_text() == "wal"
    path.write_text("two")
    second = move_aside(path, "damaged", clock=lambda: moment)
    assert second.name == "journal.damaged-20250102T030405Z-2.sqlite3"
    assert (first.read_text(), second.read_text()) == ("one", "two")
    assert aside_name(path, "damaged", moment).name.endswith("-3.sqlite3")


def test_json_columns_written_by_the_app_still_round_trip(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    request = _order(2)
    entry_id = journal.begin_order(request)
    [entry] = journal.orders()
    assert entry.id == entry_id and entry.order_request() == request
    assert json.loads(json.dumps(entry.request)) == entry.request
    journal.close()
