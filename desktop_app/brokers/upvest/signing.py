"""HTTP message signatures for the Upvest Investment API, version 15.

Upvest signs with the IETF draft ``draft-ietf-httpbis-message-signatures-15`` (UP-DOCS
"Upgrading v6 to v15"; the notes' section 2.3). ``http-message-signatures`` builds the
structure (component values, the ``"@signature-params"`` line, the Structured Field
headers); this module decides what Upvest wants covered and in which order, and adds
the algorithm the library lacks: ECDSA on P-521 with SHA-512.

What a signed request carries, as Upvest's own Python client (UP-PY) sends it:

- covered components, in this order: ``"@method"``, ``"@path"``, ``"@query"`` (only when
  the URL has a query), then the headers ``accept``, ``upvest-api-version``,
  ``upvest-client-id``, ``authorization`` (all but the token request),
  ``idempotency-key`` (creating POSTs), ``content-type`` (with a body), then ``date``,
  and with a body ``content-digest`` (``sha-512=:<base64>:``) and ``content-length``;
- parameters in UP-PY's order: ``keyid``, ``nonce`` (a uuid4), ``created``,
  ``expires`` = created + 10 s; no ``alg`` (neither UP-PY nor Upvest's Go proxy sends
  one); label ``sig1``;
- ``upvest-signature-version: 15`` beside ``signature`` and ``signature-input``.

Upvest's server reads the component list and the parameters from ``signature-input``
(its Go proxy emits them in map order), so the order is ours to choose; this one is
UP-PY's, which makes the signature base byte for byte the one Upvest's client signs.

ECDSA signatures are DER-encoded (ASN.1), as UP-PY (``cryptography``'s ``sign``) and the
Go proxy (``ecdsa.SignASN1``) produce them; RFC 9421's raw ``r || s`` is not what
Upvest's own tools send.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from http_message_signatures import HTTPMessageSigner, HTTPSignatureAlgorithm, algorithms
from http_message_signatures.resolvers import MappingKeyResolver
from http_message_signatures.structures import PreparedSignature
from http_sf.compat import Item

from desktop_app.domain.errors import AuthError

BROKER = "Upvest"
LABEL = "sig1"
SIGNATURE_VERSION = "15"
# UP-PY: expires = created + 10 s.
EXPIRES_AFTER = 10
# Headers signed when present, in UP-PY's order (after the derived components).
SIGNED_HEADERS = (
    "accept",
    "upvest-api-version",
    "upvest-client-id",
    "authorization",
    "idempotency-key",
    "content-type",
)
KEY_HINT = (
    "Paste the PEM private key whose public key Upvest registered for this client "
    "(ECDSA P-521 or Ed25519), and its passphrase if it has one."
)

SigningKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
VerifyingKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey


class EcdsaP521Sha512(HTTPSignatureAlgorithm):
    """ECDSA on NIST P-521 with SHA-512 (RFC 6979 in Upvest's words), DER signatures.

    ``http-message-signatures`` ships P-256 and P-384 only; this is the same shape."""

    algorithm_id = "ecdsa-p521-sha512"

    def __init__(
        self,
        public_key: ec.EllipticCurvePublicKey | None = None,
        private_key: ec.EllipticCurvePrivateKey | None = None,
    ) -> None:
        for key in (public_key, private_key):
            if key is not None and not isinstance(key.curve, ec.SECP521R1):
                raise ValueError("an ECDSA key for Upvest must be on the P-521 curve")
        self.public_key = public_key
        self.private_key = private_key

    def sign(self, message: bytes) -> bytes:
        if self.private_key is None:
            raise ValueError("no private key to sign with")
        return self.private_key.sign(message, ec.ECDSA(hashes.SHA512()))

    def verify(self, signature: bytes, message: bytes) -> None:
        if self.public_key is None:
            raise ValueError("no public key to verify with")
        self.public_key.verify(signature, message, ec.ECDSA(hashes.SHA512()))


def algorithm_for(key: SigningKey | VerifyingKey) -> type[HTTPSignatureAlgorithm]:
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return algorithms.ED25519
    return EcdsaP521Sha512


_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)


def normalise_pem(pem: str) -> str:
    """The PEM block with its base64 re-wrapped at 64 columns: a key pasted through a
    one-line field or a chat may have lost its line breaks (or gained spaces). A block
    with headers (legacy ``Proc-Type``/``DEK-Info`` encryption) is left as it is."""
    found = _PEM.search(pem)
    if found is None or ":" in found.group(2):
        return pem.strip()
    label, body = found.group(1), "".join(found.group(2).split())
    lines = "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN {label}-----\n{lines}\n-----END {label}-----\n"


def load_private_key(pem: str, passphrase: str = "") -> SigningKey:
    """The signing key from PEM text; plain-words ``AuthError`` (never quoting the key)."""
    text = normalise_pem(pem)
    if "-----BEGIN" not in text:
        raise AuthError("The Upvest private key is not PEM text.", broker=BROKER, hint=KEY_HINT)
    password = passphrase.encode() if passphrase else None
    try:
        key: Any = load_pem_private_key(text.encode(), password=password)
    except TypeError:
        # cryptography: a password for a plain key, or none for an encrypted one.
        what = "has no passphrase" if password else "is protected by a passphrase"
        raise AuthError(
            f"The Upvest private key {what}; enter it as it was generated.",
            broker=BROKER, hint=KEY_HINT,
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise AuthError(
            "The Upvest private key could not be read (damaged PEM or wrong passphrase).",
            broker=BROKER, hint=KEY_HINT,
        ) from None
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP521R1):
        return key
    raise AuthError(
        "The Upvest private key must be ECDSA on P-521 or Ed25519.",
        broker=BROKER, hint=KEY_HINT,
    )


def content_digest(body: bytes) -> str:
    """``sha-512=:<base64>:`` (UP-DOCS "Upgrading v6 to v15", RFC 9530)."""
    return "sha-512=:" + base64.b64encode(hashlib.sha512(body).digest()).decode() + ":"


def covered_components(
    headers: Any, *, has_query: bool, has_body: bool
) -> list[str]:
    """The components to sign for a request with these headers (see the module doc)."""
    names = ["@method", "@path"]
    if has_query:
        names.append("@query")
    present = {str(name).lower() for name in headers}
    names += [h for h in SIGNED_HEADERS if h in present]
    names.append("date")
    if has_body:
        names += ["content-digest", "content-length"]
    return names


@dataclass(frozen=True, slots=True)
class SignatureInput:
    """The signed metadata of one request."""

    key_id: str
    nonce: str
    created: int
    expires: int


class _UpvestSigner(HTTPMessageSigner):
    """The library's signer with Upvest's parameter order (keyid, nonce, created,
    expires); ``prepare`` fixes another order, so the base is built here from the same
    pieces and checked again by the library's ``apply``."""

    def prepare_ordered(
        self, message: Any, *, components: Sequence[str], signed: SignatureInput
    ) -> PreparedSignature:
        nodes = [Item(name) for name in components]  # plain names: String items
        params: dict[str, Any] = {
            "keyid": signed.key_id,
            "nonce": signed.nonce,
            "created": signed.created,
            "expires": signed.expires,
        }
        base, params_node, _ = self._build_signature_base(
            message, covered_component_ids=nodes, signature_params=params
        )
        return PreparedSignature(
            str(base).encode(), str(params_node), LABEL, self.signature_algorithm.algorithm_id
        )


class RequestSigner:
    """Signs requests (anything with ``method``, ``url`` and mutable ``headers``, e.g. an
    ``httpx.Request``) with one key; the caller has set every header to be covered."""

    def __init__(self, key: SigningKey, key_id: str) -> None:
        self.key_id = key_id
        self.algorithm = algorithm_for(key)
        self._algorithm = self.algorithm(private_key=key)
        self._signer = _UpvestSigner(
            signature_algorithm=self.algorithm,
            key_resolver=MappingKeyResolver(public_keys={}, private_keys={key_id: key}),
        )

    def __repr__(self) -> str:  # the key stays out of logs and tracebacks
        return f"RequestSigner(key_id={self.key_id!r}, algorithm={self.algorithm.algorithm_id})"

    def prepare(
        self, message: Any, components: Sequence[str], *, nonce: str, created: int
    ) -> PreparedSignature:
        signed = SignatureInput(self.key_id, nonce, created, created + EXPIRES_AFTER)
        return self._signer.prepare_ordered(message, components=components, signed=signed)

    def sign(
        self, message: Any, components: Sequence[str], *, nonce: str, created: int
    ) -> bytes:
        """Write ``signature-input`` and ``signature``; returns the signature base."""
        prepared = self.prepare(message, components, nonce=nonce, created=created)
        signature = self._algorithm.sign(prepared.signature_base)
        self._signer.apply(message, prepared, signature)
        return prepared.signature_base
