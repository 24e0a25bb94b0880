"""Log redaction: every known secret in each form it can be written in, and the values of
secret-named headers and fields as libraries format them."""

from __future__ import annotations

import base64
from urllib.parse import quote, quote_plus

import pytest

from desktop_app.net.redact import MASK, KnownSecrets, Redactor, redact_log_text, register_secret

SECRET = "Pa55/wörd+&=x!"


@pytest.fixture(autouse=True)
def _known() -> None:
    register_secret(SECRET)


@pytest.mark.parametrize(
    "written",
    [
        SECRET,
        quote(SECRET, safe=""),
        quote_plus(SECRET),
        base64.b64encode(SECRET.encode()).decode(),
        base64.urlsafe_b64encode(SECRET.encode()).decode().rstrip("="),
        repr(SECRET.encode()),
        repr(("user", SECRET)),
    ],
    ids=["plain", "url", "url-plus", "base64", "base64url", "bytes-repr", "tuple-repr"],
)
def test_a_known_secret_is_masked_in_every_form(written: str) -> None:
    line = f"sent {written} to the broker"
    assert redact_log_text(line) != line
    assert SECRET not in redact_log_text(line) and MASK in redact_log_text(line)


@pytest.mark.parametrize("prefix", ["", "u", "us", "someone@example.com:"])
def test_a_secret_inside_a_longer_base64_value_is_masked(prefix: str) -> None:
    # Basic auth: base64("user:secret"); the secret sits at any of three alignments.
    encoded = base64.b64encode(f"{prefix}{SECRET}".encode()).decode()
    masked = redact_log_text(f"Authorization-ish {encoded}")
    assert MASK in masked
    assert base64.b64encode(SECRET.encode()).decode()[2:-3] not in masked


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("return_value=(b'HTTP/1.1', 200, b'OK', [(b'CST', b'abcDEF123'), "
         "(b'X-SECURITY-TOKEN', b'zz99yy88'), (b'content-type', b'application/json')])",
         "application/json"),
        ("{'password': 'hunter2hunter', 'identifier': 'me@example.com'}", "me@example.com"),
        ('{"accessToken":"tok123456789","expirationTime":"2025"}', "expirationTime"),
        ("grant_type=refresh_token&refresh_token=abcd1234efgh&x=1", "grant_type"),
        ("Authorization: Bearer eyJhbGciOi.payload.sig", "Authorization"),
        ("partial(<bound method SecretStore.set>, 'cid', 'sec', 'uuid-like-secret')", "cid"),
        ("Credentials(password='p4ssw0rd!!', name='demo')", "name='demo'"),
    ],
)
def test_secret_named_values_are_masked_whoever_logs_them(line: str, kept: str) -> None:
    masked = redact_log_text(line)
    for value in ("abcDEF123", "zz99yy88", "hunter2hunter", "tok123456789", "abcd1234efgh",
                  "eyJhbGciOi", "uuid-like-secret", "p4ssw0rd!!"):
        assert value not in masked
    assert kept in masked


def test_ordinary_text_is_left_alone() -> None:
    line = "GET /positions 200 in 12 ms; token expired; renewed the session"
    assert redact_log_text(line) == line


def test_a_client_redactor_registers_its_secrets_for_the_logs() -> None:
    Redactor().add_secret("client-only-secret-42")
    assert "client-only-secret-42" not in redact_log_text("x client-only-secret-42 y")


def test_the_newest_secrets_are_kept_within_the_limit() -> None:
    known = KnownSecrets(limit=3)
    for n in range(5):
        known.add(f"secret-number-{n}")
    assert "secret-number-0" not in known and "secret-number-4" in known
    assert known.scrub("secret-number-4 secret-number-2") == f"{MASK} {MASK}"
    known.add("abc")  # too short to be told from ordinary text
    assert known.scrub("abc") == "abc"


def test_a_broker_s_own_secret_field_names_can_be_added() -> None:
    from desktop_app.net.redact import add_secret_field_names

    line = "credentials={'tenant_id': 'T1', 'merchant_pin': 'pin-7788-99'}"
    assert "pin-7788-99" in redact_log_text(line)
    add_secret_field_names(["merchant_pin"])
    assert "pin-7788-99" not in redact_log_text(line) and "T1" in redact_log_text(line)
