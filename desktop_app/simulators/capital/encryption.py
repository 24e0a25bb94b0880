"""The encrypted-password login: the simulator's own RSA-2048 key pair.

A client fetches the public key (base64 X.509 SubjectPublicKeyInfo DER) and a timestamp,
then sends base64(RSA-PKCS#1-v1.5(base64(password + "|" + timestamp))).
"""

from __future__ import annotations

import base64
import binascii
import threading

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


class PasswordKey:
    """Generated on first use: RSA key generation takes a noticeable fraction of a second."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._private: rsa.RSAPrivateKey | None = None

    def _key(self) -> rsa.RSAPrivateKey:
        with self._lock:
            if self._private is None:
                self._private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            return self._private

    def public_key_b64(self) -> str:
        der = self._key().public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode("ascii")

    def decrypt(self, encrypted: str) -> tuple[str, int]:
        """(password, timestamp ms); ValueError if it is not what the scheme produces."""
        try:
            cipher = base64.b64decode(encrypted, validate=True)
            inner = self._key().decrypt(cipher, padding.PKCS1v15())
            plain = base64.b64decode(inner, validate=True).decode("utf-8")
        except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
            raise ValueError("not an encrypted password") from exc
        password, sep, stamp = plain.rpartition("|")
        if not sep or not stamp.isdigit():
            raise ValueError("no timestamp in the encrypted password")
        return password, int(stamp)
