"""Prices as the brokers stream them: what a streaming service offers the session.

A service whose ``capabilities.streaming_quotes`` is set makes ``QuoteStream`` objects
(``BrokerService.quote_stream()``): one network connection each, opened, told which
symbols to stream, and closed by the session (``session.streams``), which also decides
what is streamed (what is on screen), reconnects with back-off and polls REST quotes
while a stream is down. A stream never reconnects by itself: when its connection ends,
``closed()`` returns the reason and the stream is done.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from desktop_app.domain.errors import BrokerError, Unavailable
from desktop_app.domain.types import Quote

# Called on the loop for every price the broker sends, as soon as it is read.
QuoteSink = Callable[[Quote], None]


class StreamClosed(Unavailable):
    """A stream's connection ended. ``at_once``: the app knows why and a new connection
    may be opened right away (Capital.com drops the stream on an account switch; a
    Darwinex token was renewed), instead of after a back-off."""

    default_hint = ""  # the session says what happens meanwhile (polling or not)

    def __init__(
        self, message: str, *, at_once: bool = False, code: str = "", broker: str = "",
        hint: str = "",
    ) -> None:
        super().__init__(message, code=code, broker=broker, hint=hint)
        self.at_once = at_once


class QuoteStream(Protocol):
    """One streaming connection of a service. Every method runs on the app loop."""

    @property
    def max_symbols(self) -> int | None:
        """How many symbols one connection may stream (None: no stated limit)."""
        ...

    @property
    def limit_text(self) -> str:
        """The broker's limit in its own words (for the status bar)."""
        ...

    async def open(self, sink: QuoteSink) -> None:
        """Connect and authorise. ``AuthError`` when the broker refuses the credentials,
        ``Unavailable`` when it cannot be reached or refuses the connection for now."""
        ...

    async def subscribe(self, symbols: Sequence[str]) -> dict[str, str]:
        """Stream ``symbols`` too; returns those the broker refused, with its reason.
        Raises ``StreamClosed`` (or another ``BrokerError``) when the connection is gone."""
        ...

    async def unsubscribe(self, symbols: Sequence[str]) -> None:
        """Stop streaming ``symbols``."""
        ...

    async def closed(self) -> BrokerError:
        """Wait until the connection ends; the reason (``StreamClosed``, or ``AuthError``
        when the broker refused the credentials on the way)."""
        ...

    async def close(self) -> None:
        """End the connection (idempotent)."""
        ...
