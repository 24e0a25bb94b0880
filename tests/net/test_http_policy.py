"""BrokerHttp's policy against httpx's own MockTransport (a transport, not our code)."""

import asyncio

import httpx
import pytest

from desktop_app.domain import NotSent, RateLimited, Rejected, Unavailable
from desktop_app.net.http import READ_RETRIES, BrokerHttp, MaybeSent
from desktop_app.net.limiter import Budget, RateLimiter
from desktop_app.net.request_log import RequestLog


def make(handler, log: RequestLog | None = None) -> BrokerHttp:
    def mapper(resp: httpx.Response):
        if resp.status_code == 400:
            return Rejected(resp.json()["errorCode"], code=resp.json()["errorCode"])
        return None

    return BrokerHttp(
        broker="Test", connection_id="c1", base_url="http://broker.test/api/v1",
        limiter=RateLimiter([Budget("global", 100, 1.0)]), error_mapper=mapper,
        request_log=log, transport=httpx.MockTransport(handler), backoff=0.001,
    )


def test_reads_retried_on_5xx_then_succeed() -> None:
    calls = []

    def handler(req: httpx.Request) -> httpx.Response:
        calls.append(req)
        return httpx.Response(503) if len(calls) < 3 else httpx.Response(200, json={"ok": 1})

    async def go():
        http = make(handler)
        r = await http.request("GET", "/accounts")
        await http.aclose()
        return r

    assert asyncio.run(go()).json() == {"ok": 1}
    assert len(calls) == 3


def test_write_never_resent_after_lost_reply() -> None:
    calls = []

    def handler(req: httpx.Request) -> httpx.Response:
        calls.append(req)
        raise httpx.ReadError("connection reset", request=req)

    async def go():
        http = make(handler)
        try:
            await http.request("POST", "/positions", json={"epic": "GOLD"}, write=True)
        finally:
            await http.aclose()

    with pytest.raises(MaybeSent):
        asyncio.run(go())
    assert len(calls) == 1


def test_read_gives_up_with_unavailable() -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=req)

    async def go():
        http = make(handler)
        try:
            await http.request("GET", "/ping")
        finally:
            await http.aclose()

    with pytest.raises(Unavailable):
        asyncio.run(go())


def test_429_pauses_budget_with_retry_after_then_succeeds() -> None:
    calls = []

    def handler(req: httpx.Request) -> httpx.Response:
        calls.append(asyncio.get_event_loop().time())
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "0.2"},
                                  json={"errorCode": "error.too-many.requests"})
        return httpx.Response(200, json={})

    async def go():
        http = make(handler)
        await http.request("GET", "/accounts")
        await http.aclose()
        return http

    http = asyncio.run(go())
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.19
    assert http.rate_limited == 1 and http.limiter.pauses == 1


def test_mapped_business_error_and_redacted_log() -> None:
    log = RequestLog()

    def handler(req: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"errorCode": "error.invalid.from"})

    async def go():
        http = make(handler, log)
        http.redactor.add_secret("supersecretpw")
        try:
            await http.request("POST", "/session", json={"identifier": "a@b.cd",
                                                         "password": "supersecretpw"})
        finally:
            await http.aclose()

    with pytest.raises(Rejected):
        asyncio.run(go())
    entry = log.entries[-1]
    assert entry.status == 400 and "supersecretpw" not in entry.request_body


def test_write_refused_at_once_when_its_budget_is_used_up_for_long() -> None:
    calls = []

    def handler(req: httpx.Request) -> httpx.Response:
        calls.append(req)
        return httpx.Response(200, json={})

    async def go():
        http = BrokerHttp(
            broker="Test", connection_id="c1", base_url="http://broker.test",
            limiter=RateLimiter([Budget("all", 100, 1.0),
                                 Budget("trading", 1, 3600.0, documented="1 order per hour")]),
            error_mapper=lambda r: None, transport=httpx.MockTransport(handler),
        )
        try:
            await http.request("POST", "/positions", budgets=("all", "trading"), write=True)
            await http.request("POST", "/positions", budgets=("all", "trading"), write=True)
        finally:
            await http.aclose()

    with pytest.raises(RateLimited) as info:
        asyncio.run(go())
    assert len(calls) == 1
    text = str(info.value)
    assert "1 order per hour" in text and "in 60 min." in text and "Nothing was sent" in text
    assert info.value.retry_after > 3500


def test_throttle_policy_without_retry_raises_its_message_and_pauses() -> None:
    from desktop_app.net.http import Throttle

    calls = []

    def handler(req: httpx.Request) -> httpx.Response:
        calls.append(req)
        return httpx.Response(429)

    async def go():
        http = make(handler)
        http.throttle = lambda r: (
            Throttle(3600.0, retry=False, message="Locked out for an hour.")
            if r.status_code == 429 else None
        )
        try:
            await http.request("GET", "/accounts")
        finally:
            waiting = http.limiter.wait_time()
            await http.aclose()
        return waiting

    with pytest.raises(RateLimited) as caught:
        asyncio.run(go())
    assert "Locked out for an hour." in caught.value.user_text()
    assert caught.value.retry_after == 3600.0
    assert len(calls) == 1  # no hammering


def test_form_body_is_url_encoded() -> None:
    seen = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(200, json={})

    async def go():
        http = make(handler)
        await http.request("POST", "/token", form={"grant_type": "refresh_token", "x": "a b"})
        await http.aclose()

    asyncio.run(go())
    assert seen[0].headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert seen[0].content == b"grant_type=refresh_token&x=a+b"


def test_reply_body_reads_exact_json_and_an_unreadable_write_is_maybe_sent() -> None:
    from decimal import Decimal

    from desktop_app.domain import ProtocolError
    from desktop_app.net.http import reply_body

    request = httpx.Request("POST", "http://broker.test/orders")
    good = httpx.Response(200, content=b'{"price": 1.10}', request=request)
    assert reply_body(good, "Test") == {"price": Decimal("1.10")}
    garbled = httpx.Response(200, content=b"<html>", request=request)
    with pytest.raises(ProtocolError):
        reply_body(garbled, "Test")
    with pytest.raises(MaybeSent):
        reply_body(garbled, "Test", write=True)
    empty = httpx.Response(200, content=b"", request=request)
    assert reply_body(empty, "Test", empty={}) == {}
    with pytest.raises(MaybeSent):
        reply_body(empty, "Test", write=True, allow_empty=False)


def test_auth_signs_the_exact_bytes_sent_and_each_retry_afresh() -> None:
    """An httpx.Auth given to BrokerHttp sees the final body (exact JSON digits) and
    signs every attempt anew (a retried read carries a fresh nonce)."""
    import hashlib
    import itertools
    from decimal import Decimal

    nonces = itertools.count(1)

    class DigestAuth(httpx.Auth):
        requires_request_body = True

        def auth_flow(self, request: httpx.Request):
            request.headers["X-Digest"] = hashlib.sha256(request.content).hexdigest()
            request.headers["X-Nonce"] = str(next(nonces))
            yield request

    seen: list[tuple[bytes, str, str]] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append((req.content, req.headers["X-Digest"], req.headers["X-Nonce"]))
        if req.method == "GET" and len(seen) == 2:
            return httpx.Response(503)
        return httpx.Response(200, json={"ok": 1})

    async def go() -> None:
        http = BrokerHttp(
            broker="Test", connection_id="c1", base_url="http://broker.test",
            limiter=RateLimiter([Budget("global", 100, 1.0)]), error_mapper=lambda r: None,
            transport=httpx.MockTransport(handler), backoff=0.001, auth=DigestAuth(),
        )
        await http.request("POST", "/orders", json={"amount": Decimal("10.50")}, write=True)
        await http.request("GET", "/orders")
        await http.aclose()

    asyncio.run(go())
    body, digest, _ = seen[0]
    assert body == b'{"amount":10.50}'
    assert digest == hashlib.sha256(body).hexdigest()
    assert [n for _, _, n in seen] == ["1", "2", "3"]  # the retried GET was signed again


def test_a_write_that_never_left_whole_is_not_sent_and_not_resent() -> None:
    """A connection that fails while the request is being written never gave the broker a
    whole request: the write is NotSent (nothing taken), not 'maybe sent', and not resent."""


    calls = []

    def handler(req: httpx.Request) -> httpx.Response:
        calls.append(req)
        raise httpx.WriteError("broken pipe", request=req)

    async def go(method: str, write: bool):
        http = make(handler)
        try:
            await http.request(method, "/positions", json={"epic": "GOLD"}, write=write)
        finally:
            await http.aclose()

    with pytest.raises(NotSent) as caught:
        asyncio.run(go("POST", True))
    assert not isinstance(caught.value, MaybeSent)
    assert len(calls) == 1
    calls.clear()
    with pytest.raises(Unavailable) as read_caught:
        asyncio.run(go("GET", False))
    assert not isinstance(read_caught.value, NotSent)
    assert len(calls) == 1 + READ_RETRIES  # a read is tried again


def test_a_write_that_cannot_connect_is_not_sent() -> None:


    calls = []

    def handler(req: httpx.Request) -> httpx.Response:
        calls.append(req)
        raise httpx.ConnectError("refused", request=req)

    async def go():
        http = make(handler)
        try:
            await http.request("POST", "/positions", json={"epic": "GOLD"}, write=True)
        finally:
            await http.aclose()

    with pytest.raises(NotSent):
        asyncio.run(go())
    assert len(calls) == 1 + READ_RETRIES  # never left the machine: safe to try again


def test_a_long_reply_is_read_once_for_the_log_and_its_reader(monkeypatch) -> None:
    """A page of 1,000 accounts: the request log and the adapter used to read its JSON
    each (2-3 ms each on the loop); now once, the log showing the same masked start, and
    the reader getting exact Decimals. A second reader of the reply reads it again."""
    import json
    from decimal import Decimal

    from desktop_app.net import http as http_module
    from desktop_app.net.redact import MASK

    page = {"data": [{"id": f"A{i}", "balance": 10.25 + i, "password": f"pw{i}"}
                     for i in range(1000)]}
    reads: list[int] = []
    real = json.loads

    def counted(content, **kwargs):
        if len(content) >= http_module.READ_ONCE_FROM:
            reads.append(len(content))
        return real(content, **kwargs)

    monkeypatch.setattr(json, "loads", counted)  # the log's reading and the reader's
    log = RequestLog()

    async def go():
        http = make(lambda req: httpx.Response(200, json=page), log)
        r = await http.request("GET", "/accounts")
        await http.aclose()
        return r

    response = asyncio.run(go())
    assert len(response.content) >= http_module.READ_ONCE_FROM
    data = http_module.json_body(response, "Test")
    assert len(reads) == 1
    assert data["data"][3]["balance"] == Decimal("13.25")
    again = http_module.json_body(response, "Test")
    assert len(reads) == 2 and again == data and again is not data
    shown = log.entries[-1].response_body
    assert '"balance":10.25' in shown and MASK in shown and "pw1" not in shown


def test_a_long_reply_that_is_not_json_is_refused_as_before() -> None:
    from desktop_app.domain.errors import ProtocolError
    from desktop_app.net import http as http_module

    text = "<html>" + "x" * http_module.READ_ONCE_FROM + "</html>"

    async def go():
        http = make(lambda req: httpx.Response(200, text=text), RequestLog())
        r = await http.request("GET", "/accounts")
        await http.aclose()
        return r

    response = asyncio.run(go())
    with pytest.raises(ProtocolError):
        http_module.json_body(response, "Test")
