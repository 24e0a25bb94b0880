"""Start never dies on a damaged file (issue 9): the real entry point, one case each.

Each case either starts (window up, then Ctrl+Q: exit 0, nothing on stderr) and says in
the window and the log what was wrong and what was kept, the damaged file moved aside
under a timestamped name; or, where it cannot start at all, exits with one line and a
status != 0. Never a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from desktop_app.domain.types import AccountRef, OrderRequest, Side
from desktop_app.storage.journal import Journal
from tests.app.process import Finished, app_env, run_and_quit

ACCOUNT = AccountRef("cap-1", "capital", "ACC-1")


def journal_file(home: Path) -> Path:
    return home / "data" / "journal.sqlite3"


def write_real_journal(home: Path, orders: int = 40, snapshots: int = 2000) -> bytes:
    journal = Journal(journal_file(home))
    for i in range(orders):
        journal.begin_order(OrderRequest(ACCOUNT, "EURUSD", Side.BUY, Decimal(i + 1)))
    for i in range(snapshots):
        journal.add_snapshot(ACCOUNT, datetime(2024, 1, 1, tzinfo=UTC).replace(
            minute=i % 60, hour=(i // 60) % 24, day=1 + i // 1440),
            Decimal(i), Decimal(i), Decimal(i), "USD")
    journal.close()
    return journal_file(home).read_bytes()


def assert_clean_start(done: Finished, *phrases: str) -> None:
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr  # no traceback, no warning on the terminal
    for phrase in phrases:
        assert phrase in done.log, f"{phrase!r} not in the log:\n{done.log}"


def moved_aside(folder: Path, pattern: str, original: bytes) -> Path:
    [aside] = folder.glob(pattern)
    assert aside.read_bytes() == original  # kept byte for byte, not repaired, not deleted
    return aside


def test_journal_of_garbage(tmp_path) -> None:
    journal_file(tmp_path).parent.mkdir(parents=True)
    garbage = os.urandom(3000)
    journal_file(tmp_path).write_bytes(garbage)
    done = run_and_quit(tmp_path)
    aside = moved_aside(tmp_path / "data", "journal.damaged-*.sqlite3", garbage)
    assert_clean_start(done, "could not be read: file is not a database",
                       f"moved aside as {aside.name}", "new, empty journal")
    assert Journal(journal_file(tmp_path)).orders() == []  # the new one works


def test_truncated_journal(tmp_path) -> None:
    whole = write_real_journal(tmp_path)
    cut = whole[: len(whole) * 2 // 3]
    journal_file(tmp_path).write_bytes(cut)
    done = run_and_quit(tmp_path)
    aside = moved_aside(tmp_path / "data", "journal.damaged-*.sqlite3", cut)
    assert_clean_start(done, "the file is cut short", f"moved aside as {aside.name}")


def test_journal_from_a_newer_version(tmp_path) -> None:
    write_real_journal(tmp_path, snapshots=10)
    db = sqlite3.connect(journal_file(tmp_path))
    db.execute("PRAGMA user_version=9")
    db.close()
    original = journal_file(tmp_path).read_bytes()
    done = run_and_quit(tmp_path)
    aside = moved_aside(tmp_path / "data", "journal.newer-version-*.sqlite3", original)
    assert_clean_start(done, "newer version of the app (format 9", aside.name)
    kept = sqlite3.connect(aside)  # whole, for the newer version to read again
    assert kept.execute("SELECT count(*) FROM orders").fetchone() == (40,)
    kept.close()


def test_journal_locked_by_another_program(tmp_path) -> None:
    write_real_journal(tmp_path, snapshots=10)
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sqlite3, time
            db = sqlite3.connect({str(journal_file(tmp_path))!r}, isolation_level=None)
            db.execute("BEGIN EXCLUSIVE")
            print("locked", flush=True)
            time.sleep(120)
        """)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        done = run_and_quit(tmp_path)
    finally:
        holder.kill()
        holder.wait()
    assert_clean_start(done, "is locked by another program", "Nothing in it was changed")
    assert list((tmp_path / "data").glob("journal.*-*.sqlite3")) == []  # not moved
    assert len(Journal(journal_file(tmp_path)).orders()) == 40


def _without_write_permission() -> tuple[str, ...]:
    """A prefix that makes permissions bite: root ignores them unless it drops the
    capabilities that let it (setpriv, util-linux)."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a read-only folder cannot be made")
    return (setpriv, "--bounding-set=-dac_override,-dac_read_search")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_read_only_data_folder(tmp_path) -> None:
    prefix = _without_write_permission()
    write_real_journal(tmp_path, snapshots=10)
    data = tmp_path / "data"
    data.chmod(0o555)
    try:
        done = run_and_quit(tmp_path, prefix=prefix)
    finally:
        data.chmod(0o755)
    assert_clean_start(done, f"the data folder {data} is read-only",
                       "orders and funding requests are not sent")
    assert sorted(p.name for p in data.iterdir()) == ["journal.sqlite3"]  # untouched


def test_a_file_where_the_data_folder_should_be(tmp_path) -> None:
    (tmp_path / "data").write_text("not a folder")
    done = subprocess.run([sys.executable, "-m", "desktop_app"], env=app_env(tmp_path),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("trading-dashboard: cannot start: the data folder")
    assert "is a file, not a folder" in lines[0]
    assert (tmp_path / "data").read_text() == "not a folder"


def settings_file(home: Path) -> Path:
    path = home / "config" / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b'{"version": 1, "theme": "light\xff\xfe"}', "it is not UTF-8 text"),
        (b"[" * 100_000, "nested too deeply"),
        (b'{"profiles": [' * 50_000, "nested too deeply"),
    ],
    ids=["invalid-utf8", "nested-lists-100000", "nested-objects-50000"],
)
def test_unreadable_settings(tmp_path, content, why) -> None:
    settings_file(tmp_path).write_bytes(content)
    done = run_and_quit(tmp_path)
    aside = moved_aside(tmp_path / "config", "settings.damaged-*.json", content)
    assert_clean_start(done, why, aside.name)
    json.loads(settings_file(tmp_path).read_text())  # a fresh, readable file was written


def test_hand_edited_connection_id_with_a_colon(tmp_path) -> None:
    content = json.dumps({"version": 1, "profiles": [
        {"connection_id": "my:capital", "broker": "capital", "name": "Mine"},
    ]}).encode()
    settings_file(tmp_path).write_bytes(content)
    done = run_and_quit(tmp_path)
    aside = moved_aside(tmp_path / "config", "settings.original-*.json", content)
    assert_clean_start(done, "'my:capital' contains ':'", aside.name)
