"""Keys of the Upvest simulator: the demo client's key pair and Upvest's webhook key.

Upvest registers a tenant's public key and issues the client id, secret and key id; the
simulator does the same for its demo client: it generates an ECDSA P-521 key pair,
writes the private key as PEM to a file of its own (mode 0600) for the person running
it, and keeps only the public key to verify requests. Webhooks are signed with a key of
Upvest's, published as a JWK at ``/auth/verify_keys`` (UP-SPEC: ``kty`` EC, ``crv``
P-521, ``x``/``y`` base64url).
"""

from __future__ import annotations

import base64
import os
import tempfile
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from http_message_signatures import HTTPSignatureAlgorithm, algorithms

PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey


class P521(HTTPSignatureAlgorithm):
    """ECDSA P-521 / SHA-512 with DER signatures, as Upvest's tools send them."""

    algorithm_id = "ecdsa-p521-sha512"

    def __init__(self, public_key: Any = None, private_key: Any = None) -> None:
        self.public_key = public_key
        self.private_key = private_key

    def sign(self, message: bytes) -> bytes:
        signature: bytes = self.private_key.sign(message, ec.ECDSA(hashes.SHA512()))
        return signature

    def verify(self, signature: bytes, message: bytes) -> None:
        self.public_key.verify(signature, message, ec.ECDSA(hashes.SHA512()))


def algorithm_for(key: PublicKey) -> type[HTTPSignatureAlgorithm]:
    return algorithms.ED25519 if isinstance(key, ed25519.Ed25519PublicKey) else P521


def new_p521_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP521R1())


def private_pem(key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey,
                passphrase: str = "") -> str:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase else serialization.NoEncryption()
    )
    fmt = (serialization.PrivateFormat.PKCS8 if isinstance(key, ed25519.Ed25519PrivateKey)
           else serialization.PrivateFormat.TraditionalOpenSSL)
    return key.private_bytes(serialization.Encoding.PEM, fmt, encryption).decode()


def write_private_key(pem: str, directory: str | None = None) -> Path:
    """The demo client's key as a PEM file only this user can read."""
    folder = Path(directory or tempfile.mkdtemp(prefix="upvest-sim-"))
    path = folder / "upvest-demo-client-key.pem"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(pem)
    return path


def _b64url(number: int, size: int) -> str:
    return base64.urlsafe_b64encode(number.to_bytes(size, "big")).rstrip(b"=").decode()


def jwk(key_id: str, public_key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    numbers = public_key.public_numbers()
    return {"kid": key_id, "kty": "EC", "crv": "P-521",
            "x": _b64url(numbers.x, 66), "y": _b64url(numbers.y, 66)}
