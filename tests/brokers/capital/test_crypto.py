"""The encrypted-login password format, checked by decrypting with a test key."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from desktop_app.brokers.capital.crypto import encrypt_password, encrypt_password_sync
from desktop_app.domain.errors import ProtocolError


@pytest.fixture(scope="module")
def keypair() -> tuple[rsa.RSAPrivateKey, str]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = private.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return private, base64.b64encode(der).decode()


def decrypt(private: rsa.RSAPrivateKey, token: str) -> str:
    inner = private.decrypt(base64.b64decode(token), padding.PKCS1v15())
    return base64.b64decode(inner).decode()


def test_format_is_base64_rsa_of_base64_password_and_timestamp(keypair) -> None:
    private, public_b64 = keypair
    token = encrypt_password_sync("1111qqqq", 1647440528194, public_b64)
    assert len(token) == 344  # RSA-2048 ciphertext, base64
    assert decrypt(private, token) == "1111qqqq|1647440528194"


def test_randomised_padding_gives_different_tokens(keypair) -> None:
    private, public_b64 = keypair
    a = encrypt_password_sync("pässwörd|x", 1, public_b64)
    b = encrypt_password_sync("pässwörd|x", 1, public_b64)
    assert a != b
    assert decrypt(private, a) == decrypt(private, b) == "pässwörd|x|1"


def test_async_variant_runs_off_the_loop(keypair, run) -> None:
    private, public_b64 = keypair
    token = run(encrypt_password("secret", "1700000000000", public_b64))
    assert decrypt(private, token) == "secret|1700000000000"


def test_unreadable_key_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        encrypt_password_sync("x", 1, base64.b64encode(b"not a key").decode())
