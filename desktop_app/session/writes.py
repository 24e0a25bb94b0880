"""The journalled write: send once, classify the outcome, record it, reconcile once.

Orders, closes, cancels and funding requests all go through ``run_write`` so that one
rule holds for each of them: an entry may only be recorded as *rejected* when nothing
can have reached the broker (or the broker said no). Once the request may have been
taken, a failure to learn the outcome leaves the entry ``unknown``, the trader is told
that nothing was resent, and the outcome is looked up once (never by sending again).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from desktop_app.domain.errors import (
    AuthError,
    BrokerError,
    NotSent,
    NotSupported,
    OutcomeUnknown,
    PermissionDenied,
    RateLimited,
    Rejected,
    ValidationError,
)
from desktop_app.domain.types import FundingResult, OrderResult, OrderStatus
from desktop_app.session.connection import unexpected_text
from desktop_app.session.journal_writer import JournalWriter

log = logging.getLogger(__name__)

R = TypeVar("R", OrderResult, FundingResult)
Announce = Callable[[], None]

CHECK_POSITIONS = OutcomeUnknown.default_hint
CHECK_BALANCE = (
    "Nothing was resent. Check the account balance before trying again; the journal "
    "keeps the request."
)

# The broker said no, or the request was stopped on this side: nothing was taken.
_REFUSALS = (ValidationError, PermissionDenied, NotSupported, Rejected)
# Raised by any request, also by a read after the write: they prove that nothing was
# taken only when the write reports its reference and none came (NotSent from a read
# made after the write proves nothing about the write).
_NOT_SENT_WITHOUT_REFERENCE = (AuthError, RateLimited, NotSent)


def refused_before_send(exc: BaseException, *, references: bool, referenced: bool) -> bool:
    """True when ``exc`` shows that the broker did not take the request.

    ``references``: the send reports the broker's reference as soon as it has one;
    ``referenced``: it did. Anything else (server errors, lost replies, unreadable
    answers, unexpected exceptions) may have happened after the broker took it.
    """
    if referenced or isinstance(exc, OutcomeUnknown):
        return False
    if isinstance(exc, _REFUSALS):
        return True
    return references and isinstance(exc, _NOT_SENT_WITHOUT_REFERENCE)


class Ledger(Generic[R]):
    """How one kind of entry (order or funding) is written to the journal.

    Every write goes through the ``JournalWriter``: off the loop, in order, and kept in
    memory and retried when the journal cannot take it (the broker's answer stands);
    ``then`` runs once the write is on disk (it announces the changed entry)."""

    kind = ""
    hint = ""

    def __init__(self, writer: JournalWriter) -> None:
        self.writer = writer
        self.journal = writer.journal

    def _after(self, what: str, write: Callable[[], object], then: Announce) -> None:
        self.writer.after(f"{self.kind} {what}", write, then)

    def set_ref(self, entry_id: int, ref: str, then: Announce) -> None:
        raise NotImplementedError

    def complete(self, entry_id: int, result: R, then: Announce) -> None:
        raise NotImplementedError

    def reconciled(self, entry_id: int, result: R, then: Announce, message: str = "") -> None:
        raise NotImplementedError

    def unknown(self, entry_id: int, message: str, result: R | None, then: Announce) -> None:
        raise NotImplementedError

    def rejected(self, text: str) -> R:
        raise NotImplementedError

    @staticmethod
    def text(result: R) -> str:
        return result.reason if isinstance(result, OrderResult) else result.message

    @staticmethod
    def with_text(result: R, text: str) -> R:
        if isinstance(result, OrderResult):
            return replace(result, reason=text)
        return replace(result, message=text)


class OrderLedger(Ledger[OrderResult]):
    kind = "order"
    hint = CHECK_POSITIONS

    def set_ref(self, entry_id: int, ref: str, then: Announce) -> None:
        self._after("reference", lambda: self.journal.set_broker_ref(entry_id, ref), then)

    def complete(self, entry_id: int, result: OrderResult, then: Announce) -> None:
        self._after("outcome", lambda: self.journal.complete_order(entry_id, result), then)

    def reconciled(
        self, entry_id: int, result: OrderResult, then: Announce, message: str = ""
    ) -> None:
        self._after("reconciliation",
                    lambda: self.journal.reconcile_order(entry_id, result, message), then)

    def unknown(
        self, entry_id: int, message: str, result: OrderResult | None, then: Announce
    ) -> None:
        self._after("unknown outcome",
                    lambda: self.journal.mark_unknown(entry_id, message, result), then)

    def rejected(self, text: str) -> OrderResult:
        return OrderResult(OrderStatus.REJECTED, reason=text)


class FundingLedger(Ledger[FundingResult]):
    kind = "funding"
    hint = CHECK_BALANCE

    def set_ref(self, entry_id: int, ref: str, then: Announce) -> None:
        self._after("reference",
                    lambda: self.journal.set_funding_broker_ref(entry_id, ref), then)

    def complete(self, entry_id: int, result: FundingResult, then: Announce) -> None:
        self._after("outcome", lambda: self.journal.complete_funding(entry_id, result), then)

    def reconciled(
        self, entry_id: int, result: FundingResult, then: Announce, message: str = ""
    ) -> None:
        self._after("reconciliation",
                    lambda: self.journal.reconcile_funding(entry_id, result, message), then)

    def unknown(
        self, entry_id: int, message: str, result: FundingResult | None, then: Announce
    ) -> None:
        self._after("unknown outcome",
                    lambda: self.journal.mark_funding_unknown(entry_id, message, result), then)

    def rejected(self, text: str) -> FundingResult:
        return FundingResult(OrderStatus.REJECTED, message=text)


Send = Callable[[Callable[[str], None]], Awaitable[R]]
# Looks the outcome up (given the reference, "" when none); None: still not known.
Reconcile = Callable[[str], Awaitable[R | None]]


@dataclass(frozen=True, slots=True)
class JournalledWrite(Generic[R]):
    ledger: Ledger[R]
    entry_id: int
    send: Send[R]
    reconcile: Reconcile[R] | None
    references: bool  # send calls its callback with the broker's reference
    broker: str


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?" else text + "."


async def run_write(write: JournalledWrite[R], announce: Callable[[], None]) -> R:
    """Send once and record the outcome; ``announce`` publishes every journal change.

    Raises the broker's error when it refused (entry completed as rejected), or
    ``OutcomeUnknown`` when the outcome could not be established (entry unknown).
    Returns the result otherwise (an ``UNKNOWN`` one too, entry unknown). A
    cancellation leaves the entry as it is (pending, with any reference) for the
    reconciliation at the next start.
    """
    ledger, entry_id = write.ledger, write.entry_id
    refs: list[str] = []

    def on_reference(ref: str) -> None:
        if not ref or ref in refs:
            return
        refs.append(ref)
        ledger.set_ref(entry_id, ref, announce)  # queued: never fails the write itself

    try:
        result = await write.send(on_reference)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        if refused_before_send(exc, references=write.references, referenced=bool(refs)):
            assert isinstance(exc, BrokerError)
            ledger.complete(entry_id, ledger.rejected(exc.user_text()), announce)
            raise
        return await _settle(write, announce, refs, exc, None)
    if result.status is OrderStatus.UNKNOWN:
        return await _settle(write, announce, refs, None, result)
    ledger.complete(entry_id, result, announce)
    return result


async def _settle(
    write: JournalledWrite[R],
    announce: Callable[[], None],
    refs: list[str],
    exc: Exception | None,
    result: R | None,
) -> R:
    """The request may have been taken and its outcome is not known: say so, look once."""
    ledger, entry_id = write.ledger, write.entry_id
    if exc is None:
        assert result is not None
        what = ledger.text(result) or "The broker did not confirm the outcome."
    elif isinstance(exc, BrokerError):
        what = exc.message
    else:
        log.error("a %s request failed unexpectedly", ledger.kind, exc_info=exc)
        what = unexpected_text(exc)
    core = _sentence(what)
    message = f"{core} {ledger.hint}"
    ledger.unknown(entry_id, message, result, announce)

    found: R | None = None
    # The service's own OutcomeUnknown comes after its own reconciliation.
    if write.reconcile is not None and not isinstance(exc, OutcomeUnknown):
        ref = (
            (refs[-1] if refs else "")
            or str(getattr(exc, "broker_ref", "") or "")
            or (result.broker_ref if result is not None else "")
        )
        try:
            found = await write.reconcile(ref)
        except asyncio.CancelledError:
            raise
        except Exception as again:
            if not isinstance(again, BrokerError):
                log.error("reconciling a %s failed unexpectedly", ledger.kind, exc_info=again)
            detail = again.message if isinstance(again, BrokerError) else unexpected_text(again)
            core = f"{_sentence(what)} {_sentence(detail)}"
            message = f"{core} {ledger.hint}"
            ledger.unknown(entry_id, message, result, announce)
        else:
            if found is not None and found.status is not OrderStatus.UNKNOWN:
                ledger.reconciled(entry_id, found, announce)
                return found
            if found is not None:
                result = found
                core = f"{_sentence(what)} {_sentence(ledger.text(found))}".strip()
                message = f"{core} {ledger.hint}"
                ledger.unknown(entry_id, message, found, announce)
    if exc is None and result is not None:
        return ledger.with_text(result, message)
    broker = exc.broker if isinstance(exc, BrokerError) else write.broker
    raise OutcomeUnknown(core, broker=broker, hint=ledger.hint) from exc
