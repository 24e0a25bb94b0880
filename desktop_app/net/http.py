"""One configured httpx.AsyncClient per connection, behind the limiter.

Reads are retried with backoff on transport errors and 5xx. Writes (orders, funding)
are sent once: if the reply is lost the caller gets ``Unavailable(maybe_sent=True)``
and must reconcile. A 429 pauses the budget (``Retry-After`` when given) and the
request waits its turn again: the broker refused it, so resending is not blind.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from desktop_app.domain import exact_json
from desktop_app.domain.errors import (
    BrokerError,
    NotSent,
    ProtocolError,
    RateLimited,
    Unavailable,
)
from desktop_app.domain.money import utc_now
from desktop_app.net.limiter import Priority, RateLimiter
from desktop_app.net.redact import NOT_PARSED, Redactor
from desktop_app.net.request_log import LogEntry, RequestLog

ErrorMapper = Callable[[httpx.Response], BrokerError | None]


@dataclass(frozen=True, slots=True)
class Throttle:
    """What to do with a reply that says "too many requests".

    ``pause`` seconds stop the request's budgets; ``retry`` sends the request again
    after the pause (it was refused, so that is not a blind resend). Without a retry
    ``RateLimited`` is raised with ``message`` (or the error mapper's text).
    """

    pause: float
    retry: bool = True
    message: str = ""


# Reads a reply: a Throttle when it is a rate-limit refusal, None otherwise.
ThrottlePolicy = Callable[[httpx.Response], Throttle | None]

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
READ_RETRIES = 3
RATE_LIMIT_RETRIES = 3
DEFAULT_429_PAUSE = 1.0
# A click should not hang for minutes behind an exhausted hourly budget: say when instead.
MAX_WRITE_WAIT = 5.0


class MaybeSent(Unavailable):
    """The request may have reached the broker; only reconciliation can tell."""


def retry_after_seconds(response: httpx.Response, default: float = DEFAULT_429_PAUSE) -> float:
    value = response.headers.get("Retry-After")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
    return default


def http_429(response: httpx.Response) -> Throttle | None:
    """The default policy: HTTP 429 pauses for ``Retry-After`` (or a second), then retries."""
    if response.status_code == 429:
        return Throttle(retry_after_seconds(response))
    return None


class BrokerHttp:
    def __init__(
        self,
        *,
        broker: str,
        connection_id: str,
        base_url: str,
        limiter: RateLimiter,
        error_mapper: ErrorMapper,
        request_log: RequestLog | None = None,
        redactor: Redactor | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        backoff: float = 0.25,
        sleep: Callable[[float], Any] = asyncio.sleep,
        max_write_wait: float = MAX_WRITE_WAIT,
        throttle: ThrottlePolicy = http_429,
        auth: httpx.Auth | None = None,
    ) -> None:
        self.broker = broker
        self.connection_id = connection_id
        self.limiter = limiter
        self.error_mapper = error_mapper
        self.request_log = request_log
        self.redactor = redactor or Redactor()
        self.backoff = backoff
        self._sleep = sleep
        self.max_write_wait = max_write_wait
        self.throttle = throttle
        # Signs each request as it is sent (httpx's auth flow sees the final bytes: the
        # body written by exact_json, the query, the headers), so what is signed is
        # exactly what goes on the wire. Re-run on every retry: a fresh nonce/date.
        self.auth = auth
        self.client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "trading-dashboard"},
        )
        self.rate_limited = 0

    async def aclose(self) -> None:
        await self.client.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        budgets: Iterable[str] = (),
        json: Any = None,
        form: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        write: bool = False,
        priority: Priority = Priority.VISIBLE,
    ) -> httpx.Response:
        """Send through the limiter; ``json`` bodies are exact JSON (Decimal digits;
        a float is refused), ``form`` bodies are url-encoded. The client's ``auth`` signs
        the request as built, so a signature covers exactly these bytes."""
        budget_names = tuple(budgets)
        if write:
            self._refuse_long_wait(budget_names)
        attempt = 0
        limited = 0
        while True:
            await self.limiter.acquire(*budget_names, priority=priority)
            started = time.perf_counter()
            request = self._build(method, path, json, params, headers, form)
            try:
                response = await self.client.send(request, auth=self.auth)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                # Never left this machine: safe to retry even a write.
                self._log(request, None, started, f"not sent: {type(exc).__name__}")
                if attempt < READ_RETRIES:
                    attempt += 1
                    await self._sleep(self.backoff * 2 ** (attempt - 1))
                    continue
                raise (NotSent if write else Unavailable)(
                    f"Cannot reach {self.broker} ({type(exc).__name__}).", broker=self.broker
                ) from exc
            except httpx.WriteError as exc:
                # The connection failed while the request was still being written: the
                # broker never had the whole request, so it cannot have acted on it.
                self._log(request, None, started, f"not sent whole: {type(exc).__name__}")
                if not write and attempt < READ_RETRIES:
                    attempt += 1
                    await self._sleep(self.backoff * 2 ** (attempt - 1))
                    continue
                raise (NotSent if write else Unavailable)(
                    f"The connection to {self.broker} failed while sending "
                    f"({type(exc).__name__}).", broker=self.broker,
                ) from exc
            except httpx.TransportError as exc:
                self._log(request, None, started, f"no reply: {type(exc).__name__}")
                if not write and attempt < READ_RETRIES:
                    attempt += 1
                    await self._sleep(self.backoff * 2 ** (attempt - 1))
                    continue
                cls = MaybeSent if write else Unavailable
                raise cls(
                    f"{self.broker} did not answer ({type(exc).__name__}).", broker=self.broker
                ) from exc
            self._log(request, response, started)
            throttled = self.throttle(response)
            if throttled is not None:
                self.rate_limited += 1
                pause = throttled.pause
                self.limiter.pause(pause, *budget_names)
                if throttled.retry and limited < RATE_LIMIT_RETRIES:
                    limited += 1
                    continue
                if throttled.message:
                    raise RateLimited(throttled.message, retry_after=pause, broker=self.broker)
                mapped = self.error_mapper(response)
                if isinstance(mapped, RateLimited):
                    mapped.retry_after = pause
                    raise mapped
                raise RateLimited(
                    f"{self.broker} is limiting requests.", retry_after=pause, broker=self.broker
                )
            if response.status_code >= 500:
                if not write and attempt < READ_RETRIES:
                    attempt += 1
                    await self._sleep(self.backoff * 2 ** (attempt - 1))
                    continue
                mapped = self.error_mapper(response)
                if mapped is not None and not isinstance(mapped, Unavailable):
                    raise mapped
                cls = MaybeSent if write else Unavailable
                raise cls(
                    f"{self.broker} had a server error (HTTP {response.status_code}).",
                    broker=self.broker,
                )
            mapped = self.error_mapper(response)
            if mapped is not None:
                raise mapped
            if response.status_code >= 400:
                raise ProtocolError(
                    f"Unexpected HTTP {response.status_code} from {self.broker}.",
                    broker=self.broker,
                )
            return response

    def _build(
        self,
        method: str,
        path: str,
        body: Any,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        form: Mapping[str, str] | None = None,
    ) -> httpx.Request:
        if form is not None:  # an OAuth token endpoint's x-www-form-urlencoded body
            merged = httpx.Headers(headers)
            merged["Content-Type"] = "application/x-www-form-urlencoded"
            return self.client.build_request(
                method, path, content=urlencode(dict(form)).encode(), params=params,
                headers=merged,
            )
        if body is None:
            return self.client.build_request(method, path, params=params, headers=headers)
        merged = httpx.Headers(headers)
        merged["Content-Type"] = "application/json"
        return self.client.build_request(
            method, path, content=exact_json.dumps(body), params=params, headers=merged
        )

    def _refuse_long_wait(self, budget_names: tuple[str, ...]) -> None:
        wait = self.limiter.wait_time(*budget_names)
        if wait <= self.max_write_wait:
            return
        names = budget_names or (self.limiter.default,)
        worst = max(
            (b for b in self.limiter.budgets if b.name in names),
            key=lambda b: self.limiter.wait_time(b.name),
        )
        limit = worst.documented or f"{worst.limit} requests per {worst.period:g} s"
        minutes, seconds = divmod(int(wait + 0.999), 60)
        parts = (f"{minutes} min" if minutes else "", f"{seconds} s" if seconds else "")
        when = " ".join(p for p in parts if p)
        raise RateLimited(
            f"The request budget ({limit}) is used up; the next one can go in {when}.",
            retry_after=wait,
            broker=self.broker,
            hint="Nothing was sent.",
        )

    def _log(
        self,
        request: httpx.Request,
        response: httpx.Response | None,
        started: float,
        note: str = "",
    ) -> None:
        if self.request_log is None:
            return
        r = self.redactor
        url = r.text(str(request.url.copy_with(query=None)))
        if request.url.query:
            url += "?" + r.text(request.url.query.decode())
        self.request_log.add(
            LogEntry(
                at=utc_now(),
                connection=self.connection_id,
                broker=self.broker,
                method=request.method,
                url=url,
                status=response.status_code if response is not None else None,
                elapsed_ms=(time.perf_counter() - started) * 1000,
                request_body=r.body(request.content),
                response_body=r.body(response.content, parsed=_read_for_log(response))
                if response is not None else "",
                note=note,
            )
        )


# A long reply's JSON, read once for the request log and handed to the first reader.
READ_ONCE_FROM = 16_384
_READ = "trading_dashboard.json"
_NOT_JSON = object()


def _read_for_log(response: httpx.Response) -> object:
    """A long reply's JSON (a page of 1,000 accounts is 2-3 ms to read), kept on the
    response for ``json_body``; a short one is read by each as before."""
    if len(response.content) < READ_ONCE_FROM:
        return NOT_PARSED
    try:
        data = exact_json.loads(response.content)
    except ValueError:
        data = _NOT_JSON
    response.extensions[_READ] = data
    return NOT_PARSED if data is _NOT_JSON else data


def json_body(response: httpx.Response, broker: str) -> Any:
    # Taken, not shared: a second reader of the same reply gets its own copy.
    data = response.extensions.pop(_READ, NOT_PARSED) if response.extensions else NOT_PARSED
    try:
        if data is _NOT_JSON:
            raise ValueError("not JSON")
        return exact_json.loads(response.content) if data is NOT_PARSED else data
    except ValueError as exc:
        raise ProtocolError(
            f"{broker} sent a reply that is not JSON (HTTP {response.status_code}).",
            broker=broker,
        ) from exc


def reply_body(response: httpx.Response, broker: str, *, write: bool = False,
               empty: Any = None, allow_empty: bool = True) -> Any:
    """The reply's JSON, Decimal-exact; ``empty`` when the body is empty (unless the
    broker always answers with a body: ``allow_empty=False`` makes that unreadable).

    An unreadable answer to a write raises ``MaybeSent``: a 2xx means the broker took
    it, only its outcome is unknown, so the caller reconciles instead of resending.
    """
    if not response.content and allow_empty:
        return empty
    try:
        return json_body(response, broker)
    except ProtocolError as exc:
        if not write:
            raise
        raise MaybeSent(
            f"{broker} accepted the request but its reply could not be read "
            f"(HTTP {response.status_code}).",
            broker=broker,
        ) from exc
