"""Start coroutines on the running loop, keep them alive, report their errors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

from PySide6.QtCore import QObject, Signal

from desktop_app.domain.errors import BrokerError
from desktop_app.domain.types import OrderStatus

T = TypeVar("T")
log = logging.getLogger(__name__)


def error_text(exc: BaseException) -> str:
    """What a trader is shown for an exception: the broker error's own text, never a traceback."""
    if isinstance(exc, BrokerError):
        return exc.user_text()
    # Unexpected errors: name the kind only; their text may carry request details.
    return f"Unexpected error ({type(exc).__name__}); the activity log has the details."


def settled(value: T) -> asyncio.Future[T]:
    """A future that already holds ``value``: what a write control returns when nothing
    was sent (refused before sending, or nothing to do)."""
    future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
    future.set_result(value)
    return future


def resolve_with(task: asyncio.Task[Any], future: asyncio.Future[Any]) -> None:
    """Settle ``future`` when ``task`` ends: its result, None if it raised (its own
    handlers report why), cancelled if it was cancelled; a future already settled is left."""

    def done(t: asyncio.Task[Any]) -> None:
        if future.done():
            return
        if t.cancelled():
            future.cancel()
        else:
            future.set_result(t.result() if t.exception() is None else None)

    task.add_done_callback(done)


class Outcome(Protocol):
    @property
    def accepted(self) -> bool: ...

    @property
    def status(self) -> OrderStatus: ...


R = TypeVar("R", bound=Outcome)


def send_and_report(
    runner: TaskRunner,
    call: Coroutine[Any, Any, R],
    future: asyncio.Future[R | None],
    *,
    describe: Callable[[R], str],
    show: Callable[[str, bool], None],
    finish: Callable[[], None],
    taken: Callable[[R], None] | None = None,
) -> None:
    """Run a write (order, top-up) for a form: show the broker's outcome or why it failed,
    call ``finish`` either way (clear busy flags), settle ``future`` with the result.
    ``taken`` sees the broker's answer before ``finish`` re-enables the form (to empty
    what was sent, so no press in between can send it again)."""

    async def send() -> R | None:
        try:
            result = await call
            if taken is not None:
                taken(result)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            show(f"Failed: {error_text(exc)}", False)
            return None
        finally:
            finish()
        # Taken but not settled yet (a deposit waiting for its payment) is no failure.
        show(describe(result), result.accepted or result.status is OrderStatus.PENDING)
        return result

    resolve_with(runner.start(send()), future)


class TaskRunner(QObject):
    """Holds references to the tasks a view-model starts (asyncio keeps only weak ones).

    A failed task is reported through ``failed(text)`` unless its own ``on_error``
    handles it; cancellation is silent.
    """

    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks: set[asyncio.Task[Any]] = set()

    def start(
        self,
        coro: Coroutine[Any, Any, T],
        *,
        on_result: Callable[[T], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> asyncio.Task[T]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task[T]) -> None:
            self._tasks.discard(t)
            if t.cancelled():
                return
            exc = t.exception()
            try:
                if exc is None:
                    if on_result is not None:
                        on_result(t.result())
                elif on_error is not None:
                    on_error(exc)
                else:
                    self.report(exc)
            except Exception as handler_exc:  # a bug in a handler must not kill the loop
                self.report(handler_exc)

        task.add_done_callback(done)
        return task

    def report(self, exc: BaseException) -> None:
        """What a task without its own ``on_error`` gets: logged if unexpected, then
        ``failed(text)``."""
        if not isinstance(exc, BrokerError):
            log.error("view-model task failed", exc_info=exc)
        self.failed.emit(error_text(exc))

    @property
    def pending(self) -> int:
        return len(self._tasks)

    def cancel_all(self) -> list[asyncio.Task[Any]]:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        return tasks

    async def wait_all(self) -> None:
        """Let running tasks finish (writes that must not be cut short, e.g. saving)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        tasks = self.cancel_all()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
