"""The journal, written off the event loop and never between the broker and the truth.

SQLite waits (its busy timeout) when another process holds the database; on the loop
that froze the window. Every journal write goes through one worker thread here, so
writes keep their order and the loop never waits for the disk.

Two kinds of write, two rules:

- ``before_send``: the entry a request needs before it may go out. When it cannot be
  written the request is not sent, and the trader is told why (``JournalUnavailable``).
- ``after``: what happened once the broker may have taken the request (its reference,
  its outcome). The broker's answer is the truth: it is returned and shown at once; a
  write that fails is kept in memory, in order, and retried until the journal takes it
  (``pending`` says how many wait), so a locked journal never turns an executed order
  into a failure or invites a retry that would double it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sqlite3
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from desktop_app.domain.errors import ValidationError
from desktop_app.storage.journal import Journal

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

RETRY_FIRST = 1.0
RETRY_MAX = 30.0


class JournalUnavailable(ValidationError):
    """The journal could not record a request before it was sent: nothing was sent."""

    default_hint = (
        "Nothing was sent. Another program may hold the journal (is the app open twice?); "
        "try again in a moment."
    )


@dataclass
class _Later:
    write: Callable[[], object]
    then: Callable[[], None] | None
    what: str


class JournalWriter:
    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal")
        self._backlog: deque[_Later] = deque()
        self._drainer: asyncio.Task[None] | None = None
        self.trouble = ""  # the last failure while writes wait; "" when none wait
        self.on_trouble: Callable[[str], None] | None = None

    @property
    def pending(self) -> int:
        """Writes kept in memory until the journal takes them."""
        return len(self._backlog)

    async def _run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    async def before_send(
        self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Write what must be on disk before a request goes out; refuse to send when it
        cannot be (``JournalUnavailable``). Other errors (a duplicate reference) pass."""
        try:
            return await self._run(fn, *args, **kwargs)
        except sqlite3.Error as exc:
            log.warning("journal write before sending failed: %s", exc)
            raise JournalUnavailable(
                f"The journal could not record the request ({_plain(exc)})."
            ) from exc

    def after(
        self, what: str, write: Callable[[], object], then: Callable[[], None] | None = None
    ) -> None:
        """Queue a write of what the broker said; ``then`` runs once it is on disk (e.g.
        announce the changed entry). Never raises; a failed write is kept and retried."""
        self._backlog.append(_Later(write, then, what))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.ensure_future(self._drain())
            self._drainer.add_done_callback(_retrieve)

    async def _drain(self) -> None:
        wait = RETRY_FIRST
        while self._backlog:
            item = self._backlog[0]
            try:
                await self._run(item.write)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # sqlite3.Error and kin: keep it, say so, try again
                self._set_trouble(
                    f"The journal could not be written ({_plain(exc)}); "
                    f"{len(self._backlog)} outcome(s) are kept in memory and written as soon "
                    "as it can be."
                )
                log.warning("journal write (%s) failed; kept for later: %s", item.what, exc)
                await asyncio.sleep(wait)
                wait = min(RETRY_MAX, wait * 2)
                continue
            self._backlog.popleft()
            wait = RETRY_FIRST
            if item.then is not None:
                try:
                    item.then()
                except Exception:
                    log.exception("announcing a journal write failed")
        if self.trouble:
            self._set_trouble("")

    def _set_trouble(self, text: str) -> None:
        if text == self.trouble:
            return
        self.trouble = text
        if self.on_trouble is not None:
            self.on_trouble(text)

    async def flush(self, within: float) -> bool:
        """Wait (up to ``within`` seconds) for queued writes; True when none is left."""
        drainer = self._drainer
        if drainer is not None and not drainer.done():
            await asyncio.wait([drainer], timeout=within)
        return not self._backlog

    def maybe(self, what: str, write: Callable[[], object]) -> None:
        """A write that may be lost (a balance snapshot for the chart): off the loop, in
        order with the others, dropped with a log line when the journal refuses it."""

        def attempt() -> None:
            try:
                write()
            except Exception as exc:
                log.info("journal %s skipped: %s", what, exc)

        with contextlib.suppress(RuntimeError):  # shut down: the app is closing
            self._executor.submit(attempt)

    async def read(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """A read off the loop, after the writes queued before it."""
        return await self._run(fn, *args, **kwargs)

    def close(self) -> None:
        if self._backlog:
            log.warning("%d journal write(s) could not be made before closing: %s",
                        len(self._backlog), ", ".join(i.what for i in self._backlog))
        if self._drainer is not None:
            self._drainer.cancel()
        self._executor.shutdown(wait=True)


def _plain(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[:120]


def _retrieve(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the journal writer stopped", exc_info=task.exception())
