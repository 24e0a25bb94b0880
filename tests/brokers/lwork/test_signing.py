"""The signed strings of LW-DOCS's examples, byte for byte, and SHA1withRSA itself."""

from __future__ import annotations

import base64
from decimal import Decimal

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from desktop_app.brokers.lwork.signing import (
    Signer,
    callback_data,
    deposit_data,
    transfer_data,
    two_decimals,
)
from desktop_app.domain.errors import AuthError, ValidationError


def test_deposit_example_3_2() -> None:
    data = deposit_data("980cf1bb-82e1-42b1-89b0-9120f798cd91", "2090001464", "CNY",
                        two_decimals(Decimal("100")))
    assert data.encode("utf-8") == (
        b"980cf1bb-82e1-42b1-89b0-9120f798cd912090001464CNY100.00")


def test_callback_example_3_3() -> None:
    data = callback_data("63b63daa-3c1e-4fe2-a4bb-8133704f9697", "17051110011", "1", "CNY",
                         two_decimals(Decimal("682.34")))
    assert data.encode("utf-8") == (
        b"63b63daa-3c1e-4fe2-a4bb-8133704f969717051110011" b"1CNY682.34")


def test_transfer_example_3_11() -> None:
    data = transfer_data("1234580040", "USD", "37848f89-257a-4005-b0b4-88f1a31005a5",
                         "1234580207", "Tom", "429", "MT4", two_decimals(Decimal("100.01")))
    assert data.encode("utf-8") == (
        b"1234580040USD37848f89-257a-4005-b0b4-88f1a31005a51234580207Tom429MT4100.01")


def test_non_ascii_names_are_signed_as_utf8() -> None:
    data = transfer_data("1", "USD", "u", "2", "张三", "429", "MT4", "5.00")
    assert data.encode("utf-8") == "1USDu2张三429MT45.00".encode()


@pytest.mark.parametrize(("amount", "wire"), [
    ("100", "100.00"), ("100.0", "100.00"), ("0.5", "0.50"), ("1E+2", "100.00"),
    ("12345.67", "12345.67"),
])
def test_two_decimals(amount: str, wire: str) -> None:
    assert two_decimals(Decimal(amount)) == wire


@pytest.mark.parametrize("amount", ["100.005", "0", "-1", "NaN", "Infinity"])
def test_amounts_lwork_cannot_take_are_refused_not_rounded(amount: str) -> None:
    with pytest.raises(ValidationError):
        two_decimals(Decimal(amount))


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


def _pem(key: rsa.RSAPrivateKey, fmt: serialization.PrivateFormat) -> str:
    return key.private_bytes(serialization.Encoding.PEM, fmt,
                             serialization.NoEncryption()).decode()


def test_signature_is_pkcs1_v15_sha1_base64_over_utf8() -> None:
    key = _key()
    signer = Signer.from_pem(_pem(key, serialization.PrivateFormat.PKCS8))
    data = "980cf1bb-82e1-42b1-89b0-9120f798cd912090001464CNY100.00"
    signature = signer.sign(data)
    raw = base64.b64decode(signature, validate=True)
    assert len(signature) == 172 and len(raw) == 128  # as LW-DOCS's sample
    key.public_key().verify(raw, data.encode(), padding.PKCS1v15(), hashes.SHA1())
    with pytest.raises(InvalidSignature):
        key.public_key().verify(raw, (data + "0").encode(), padding.PKCS1v15(),
                                hashes.SHA1())
    # PKCS#1 v1.5 is deterministic: the same bytes sign the same.
    assert signer.sign(data) == signature


def test_key_formats_pkcs1_pkcs8_and_bare_base64() -> None:
    key = _key()
    pkcs8 = _pem(key, serialization.PrivateFormat.PKCS8)
    pkcs1 = _pem(key, serialization.PrivateFormat.TraditionalOpenSSL)
    bare = "".join(line for line in pkcs8.splitlines() if not line.startswith("-----"))
    signatures = {Signer.from_pem(text).sign("x") for text in (pkcs8, pkcs1, bare)}
    assert len(signatures) == 1


def test_a_bad_key_is_an_auth_error_that_does_not_quote_it() -> None:
    secret = "-----BEGIN PRIVATE KEY-----\nTm90QUtleVNlY3JldFRleHQ=\n-----END PRIVATE KEY-----"
    with pytest.raises(AuthError) as caught:
        Signer.from_pem(secret)
    assert "Tm90QUtleVNlY3JldFRleHQ" not in str(caught.value)
    assert "private key" in caught.value.hint
    with pytest.raises(AuthError):
        Signer.from_pem("  ")
    assert "RSA-1024" in repr(Signer.from_pem(_pem(_key(), serialization.PrivateFormat.PKCS8)))


def test_a_pasted_pem_that_lost_its_line_breaks_still_signs() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from desktop_app.brokers.lwork.signing import Signer

    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    flat = pem.replace("\n", " ")
    assert Signer.from_pem(flat).sign("abc") == Signer.from_pem(pem).sign("abc")
