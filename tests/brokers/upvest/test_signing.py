"""The v15 signature base, pinned for a fixed key, time and nonce; keys from PEM."""

from __future__ import annotations

import base64

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from desktop_app.brokers.upvest.auth import UpvestAuth
from desktop_app.brokers.upvest.signing import (
    EcdsaP521Sha512,
    RequestSigner,
    content_digest,
    load_private_key,
)
from desktop_app.domain.errors import AuthError

SEED = bytes(range(32))
CLIENT_ID = "5ec16164-6173-461d-b90d-116d68f55b40"


def _request(method: str, path: str, **kw) -> httpx.Request:
    client = httpx.Client(base_url="https://sandbox.upvest.co",
                          headers={"Accept": "application/json"})
    return client.build_request(method, path, **kw)


def _auth(key) -> UpvestAuth:
    return UpvestAuth(RequestSigner(key, "8d4997a8-cf7a-4e51-adbb-401656a3e5c2"), CLIENT_ID,
                      clock=lambda: 1633529659.9, nonce=lambda: "o085M4cMgpbicuOL")


def test_base_of_a_creating_post_matches_upvests_client_line_by_line():
    key = ed25519.Ed25519PrivateKey.from_private_bytes(SEED)
    request = _request(
        "POST", "/accounts", params={"x": "1"}, content=b'{"key": "value"}',
        headers={"Content-Type": "application/json", "authorization": "Bearer access-token",
                 "idempotency-key": "2133825797664cad"},
    )
    base = _auth(key).sign(request).decode()
    assert base == (
        '"@method": POST\n'
        '"@path": /accounts\n'
        '"@query": ?x=1\n'
        '"accept": application/json\n'
        '"upvest-api-version": 1\n'
        f'"upvest-client-id": {CLIENT_ID}\n'
        '"authorization": Bearer access-token\n'
        '"idempotency-key": 2133825797664cad\n'
        '"content-type": application/json\n'
        '"date": Wed, 06 Oct 2021 14:14:19 GMT\n'
        # UP-DOCS' own example digest of {"key": "value"} (Upgrading v6 to v15).
        '"content-digest": sha-512=:Hd9/AvGZkbjitW1+Ml8Fg1ux1mtcDYe6mLQjDyoowIWa3LM/PmwN2v9O+'
        'MjtQGrCA3EQWUL54dlgxKHyYbrucw==:\n'
        '"content-length": 16\n'
        '"@signature-params": ("@method" "@path" "@query" "accept" "upvest-api-version" '
        '"upvest-client-id" "authorization" "idempotency-key" "content-type" "date" '
        '"content-digest" "content-length");keyid="8d4997a8-cf7a-4e51-adbb-401656a3e5c2";'
        'nonce="o085M4cMgpbicuOL";created=1633529659;expires=1633529669'
    )
    assert request.headers["signature-input"] == "sig1=" + base.rsplit(": ", 1)[1]
    assert request.headers["upvest-signature-version"] == "15"
    # Ed25519 is deterministic: the signature itself is pinned by the base.
    expected = base64.b64encode(key.sign(base.encode())).decode()
    assert request.headers["signature"] == f"sig1=:{expected}:"


def test_a_get_without_query_or_body_covers_no_query_digest_or_length():
    key = ed25519.Ed25519PrivateKey.from_private_bytes(SEED)
    request = _request("GET", "/accounts/abc", headers={"authorization": "Bearer t"})
    base = _auth(key).sign(request).decode()
    assert base.splitlines()[-1] == (
        '"@signature-params": ("@method" "@path" "accept" "upvest-api-version" '
        '"upvest-client-id" "authorization" "date");keyid="8d4997a8-cf7a-4e51-adbb-401656a3e5c2";'
        'nonce="o085M4cMgpbicuOL";created=1633529659;expires=1633529669'
    )
    assert "content-digest" not in request.headers


def test_the_token_request_is_signed_without_authorization():
    key = ed25519.Ed25519PrivateKey.from_private_bytes(SEED)
    request = _request("POST", "/auth/token", content=b"client_id=a&scope=users%3Aread",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    base = _auth(key).sign(request).decode()
    assert '"authorization"' not in base
    assert '"content-type": application/x-www-form-urlencoded' in base


def test_p521_signatures_are_der_and_verify_over_the_base():
    key = ec.generate_private_key(ec.SECP521R1())
    request = _request("GET", "/users", headers={"authorization": "Bearer t"})
    base = _auth(key).sign(request)
    raw = base64.b64decode(request.headers["signature"].split(":")[1])
    assert raw[0] == 0x30  # ASN.1 SEQUENCE: DER, as UP-PY and Upvest's Go proxy send
    key.public_key().verify(raw, base, ec.ECDSA(hashes.SHA512()))
    EcdsaP521Sha512(public_key=key.public_key()).verify(raw, base)


def test_content_digest_is_upvests_example():
    assert content_digest(b'{"hello": "world"}') == (
        "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwE"
        "mTHWXvJwew==:"
    )


def _pem(key, passphrase: bytes | None = None) -> str:
    encryption = (serialization.BestAvailableEncryption(passphrase) if passphrase
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             encryption).decode()


def test_private_keys_load_from_pem_with_and_without_a_passphrase():
    key = ec.generate_private_key(ec.SECP521R1())
    assert isinstance(load_private_key(_pem(key)), ec.EllipticCurvePrivateKey)
    assert isinstance(load_private_key(_pem(key, b"s3cret"), "s3cret"),
                      ec.EllipticCurvePrivateKey)
    with pytest.raises(AuthError, match="protected by a passphrase"):
        load_private_key(_pem(key, b"s3cret"))
    with pytest.raises(AuthError, match="could not be read") as wrong:
        load_private_key(_pem(key, b"s3cret"), "wrong")
    assert "BEGIN" not in str(wrong.value)


def test_other_curves_and_non_pem_text_are_refused_in_plain_words():
    with pytest.raises(AuthError, match="P-521 or Ed25519"):
        load_private_key(_pem(ec.generate_private_key(ec.SECP256R1())))
    with pytest.raises(AuthError, match="not PEM text"):
        load_private_key("just a secret")


def test_a_key_that_lost_its_line_breaks_still_loads() -> None:
    """Pasted through a one-line field or a chat: the base64 is re-wrapped."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from desktop_app.brokers.upvest.signing import load_private_key, normalise_pem

    key = ec.generate_private_key(ec.SECP521R1())
    pem = key.private_bytes(serialization.Encoding.PEM,
                            serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption()).decode()
    flat = pem.replace("\n", " ")
    assert normalise_pem(flat) == pem
    loaded = load_private_key(flat)
    assert loaded.private_numbers() == key.private_numbers()
