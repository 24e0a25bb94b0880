"""LWork's SHA1withRSA signatures: what is signed, and signing it with the tenant's key.

LW-DOCS fixes the method (``SHA1WithRSA``: RSASSA-PKCS1-v1_5 over SHA-1, as Java's
``Signature.getInstance("SHA1WithRSA")``) and, per request, which fields are
concatenated in which order, with no separators:

- deposit (3.2): ``userId + login + payCurrency + depositAmount``
- deposit callback (3.3): ``jobId + orderId + status + payCurrency + payAmount``
- transfer (3.11): ``accountId + currency + pubUserId + receiptAccount +
  receiptAccountName + receiptServerId + receiptVendor + transferAmount``

Amounts "must keep two decimals": ``100`` is signed as ``100.00``, and the body carries
the same string (the docs' examples send ``"depositAmount": "100.00"``). An amount with
more than two decimals is refused here rather than rounded: money is never changed
silently. The signature is Base64 (the sample is 172 characters: a 1024-bit key). Not
documented (UNCONFIRMED): the text encoding (UTF-8 here) and which key signs: the
tenant's RSA private key, whose public key LWork's Support Center holds.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
from decimal import Decimal, InvalidOperation

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from desktop_app.brokers.lwork.errors import BROKER
from desktop_app.domain.errors import AuthError, ValidationError

CENT = Decimal("0.01")
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z ]+)-----(.*?)-----END \1-----", re.DOTALL)
KEY_HINT = (
    "Paste the tenant's RSA private key (PEM, or the Base64 PKCS#8 text that Java tools "
    "write), or choose its file, in the profile."
)


def two_decimals(amount: Decimal, *, field: str = "amount") -> str:
    """``Decimal("100")`` -> ``"100.00"``; more than two decimals, zero or a negative
    amount is a ``ValidationError`` (nothing is sent)."""
    try:
        finite = amount.is_finite()
        exact = finite and amount == amount.quantize(CENT)
    except InvalidOperation:
        exact = False
    if not exact:
        raise ValidationError(
            f"LWork takes amounts with at most two decimals, not {amount}.", field=field,
            broker=BROKER,
        )
    if amount <= 0:
        raise ValidationError("The amount must be more than zero.", field=field,
                              broker=BROKER)
    return format(amount.quantize(CENT), "f")


def deposit_data(user_id: str, login: str, pay_currency: str, deposit_amount: str) -> str:
    """What a deposit application (3.2) signs; ``deposit_amount`` as ``two_decimals``."""
    return f"{user_id}{login}{pay_currency}{deposit_amount}"


def callback_data(job_id: str, order_id: str, status: str, pay_currency: str,
                  pay_amount: str) -> str:
    """What a deposit payment callback (3.3) signs."""
    return f"{job_id}{order_id}{status}{pay_currency}{pay_amount}"


def transfer_data(account_id: str, currency: str, pub_user_id: str, receipt_account: str,
                  receipt_account_name: str, receipt_server_id: str, receipt_vendor: str,
                  transfer_amount: str) -> str:
    """What a transfer application (3.11) signs."""
    return (
        f"{account_id}{currency}{pub_user_id}{receipt_account}{receipt_account_name}"
        f"{receipt_server_id}{receipt_vendor}{transfer_amount}"
    )


def _key_bytes(pem: str) -> bytes:
    text = pem.strip()
    armour = _PEM_BLOCK.search(text)
    if armour is not None:
        # Re-wrapped: a key pasted into a one-line field may have lost its line breaks.
        label, body = armour.group(1), "".join(armour.group(2).split())
    else:
        # Bare Base64 (what Java's Base64.getEncoder() of a PKCS8EncodedKeySpec gives).
        label, body = "PRIVATE KEY", "".join(text.split())
    lines = "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN {label}-----\n{lines}\n-----END {label}-----\n".encode()


class Signer:
    """Signs with the tenant's RSA private key. The key's text is not kept."""

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        self._key = key

    def __repr__(self) -> str:
        return f"Signer(RSA-{self._key.key_size})"

    @property
    def key_size(self) -> int:
        return self._key.key_size

    @classmethod
    def from_pem(cls, pem: str) -> Signer:
        """Reads PKCS#8 or PKCS#1 PEM (or bare Base64 PKCS#8); a bad key is ``AuthError``
        whose message never quotes the key."""
        if not pem or not pem.strip():
            raise AuthError("No RSA private key is set for LWork signatures.",
                            broker=BROKER, hint=KEY_HINT)
        try:
            key = serialization.load_pem_private_key(_key_bytes(pem), password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm, binascii.Error):
            raise AuthError("The RSA private key for LWork signatures cannot be read.",
                            broker=BROKER, hint=KEY_HINT) from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise AuthError("The private key for LWork signatures is not an RSA key.",
                            broker=BROKER, hint=KEY_HINT)
        return cls(key)

    def sign(self, data: str) -> str:
        """Base64 of SHA1withRSA (PKCS#1 v1.5) over ``data`` in UTF-8."""
        raw = self._key.sign(data.encode("utf-8"), padding.PKCS1v15(), hashes.SHA1())
        return base64.b64encode(raw).decode("ascii")

    async def sign_async(self, data: str) -> str:
        # An RSA private-key operation can take milliseconds (2048/4096-bit keys): off the
        # event loop, as every crypto step is.
        return await asyncio.to_thread(self.sign, data)


async def load_signer(pem: str) -> Signer:
    return await asyncio.to_thread(Signer.from_pem, pem)
