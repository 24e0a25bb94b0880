"""The storage layer's own errors: what a damaged or unusable file turns into."""

from __future__ import annotations

import sqlite3


class JournalDamaged(ValueError):
    """A journal record (or the whole file) cannot be read as what it should be."""


class JournalTooNew(Exception):
    """The journal was written by a newer version of the app (a newer schema)."""

    def __init__(self, version: int, supported: int) -> None:
        super().__init__(
            f"the journal was written by a newer version of the app (format {version}; "
            f"this version reads format {supported})"
        )
        self.version = version


class JournalUnavailable(sqlite3.OperationalError):
    """The journal cannot be written this run; the text says why, for the trader.

    An ``OperationalError`` so that code already prepared for a locked or failing
    database handles it; an order or funding request that cannot be journalled first is
    never sent.
    """
