"""Capital.com's encrypted login password.

``base64(RSA/ECB/PKCS1Padding(base64(UTF8(password + "|" + timeStamp))))`` with the
public key from ``GET /session/encryptionKey`` (base64 X.509 SubjectPublicKeyInfo DER).
The docs' prose says "AES"; their code (and the official Java sample) is RSA PKCS#1 v1.5,
and the plaintext is base64-encoded before encryption.
"""

from __future__ import annotations

import asyncio
import base64

from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_der_public_key

from desktop_app.domain.errors import ProtocolError


def plaintext(password: str, timestamp: int | str) -> bytes:
    """What gets RSA-encrypted: the base64 of ``password|timestamp``."""
    return base64.b64encode(f"{password}|{timestamp}".encode())


def load_encryption_key(encryption_key: str) -> RSAPublicKey:
    try:
        key = load_der_public_key(base64.b64decode(encryption_key))
    except ValueError as exc:
        raise ProtocolError(
            "Capital.com sent an encryption key that cannot be read.", broker="Capital.com"
        ) from exc
    if not isinstance(key, RSAPublicKey):
        raise ProtocolError(
            "Capital.com sent an encryption key that is not RSA.", broker="Capital.com"
        )
    return key


def encrypt_password_sync(password: str, timestamp: int | str, encryption_key: str) -> str:
    key = load_encryption_key(encryption_key)
    cipher = key.encrypt(plaintext(password, timestamp), padding.PKCS1v15())
    return base64.b64encode(cipher).decode("ascii")


async def encrypt_password(password: str, timestamp: int | str, encryption_key: str) -> str:
    """The same, off the event loop: RSA is slow enough to stall the UI."""
    return await asyncio.to_thread(encrypt_password_sync, password, timestamp, encryption_key)
