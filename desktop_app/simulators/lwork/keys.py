"""The tenant's RSA key pair: generated per simulator, the private half written to a
PEM file for the trader's profile, the public half verifying SHA1withRSA signatures as
LWork's Support Center would."""

from __future__ import annotations

import base64
import binascii
import os
import tempfile
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

# LWork's sample signature is 128 bytes: a 1024-bit key (see the research notes).
KEY_BITS = 1024


class TenantKey:
    def __init__(self, bits: int = KEY_BITS) -> None:
        self._private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        self.public_key = self._private.public_key()

    @property
    def private_pem(self) -> str:
        return self._private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")

    def sign(self, data: str) -> str:
        """What a correct client sends: for the simulator's own payment platform."""
        raw = self._private.sign(data.encode("utf-8"), padding.PKCS1v15(), hashes.SHA1())
        return base64.b64encode(raw).decode("ascii")

    def verify(self, data: str, signature: object) -> bool:
        if not isinstance(signature, str) or not signature.strip():
            return False
        try:
            raw = base64.b64decode(signature.strip(), validate=True)
            self.public_key.verify(raw, data.encode("utf-8"), padding.PKCS1v15(),
                                   hashes.SHA1())
        except (InvalidSignature, binascii.Error, ValueError):
            return False
        return True

    def write_private_pem(self, tenant_id: str) -> Path:
        """The private key in a file only this user can read; its path is printed."""
        folder = Path(tempfile.mkdtemp(prefix="lwork-simulator-"))
        path = folder / f"{tenant_id}-private-key.pem"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(self.private_pem)
        return path
