"""Remove secrets from anything that may be shown or written: headers, bodies, text.

Two parts: ``Redactor`` for what a client shows in the activity log (headers, JSON
bodies), and ``KNOWN_SECRETS`` + ``redact_log_text`` for the app's log records, whoever
wrote them (qasync logs the arguments of work sent to threads, httpcore the headers of
replies). Every secret a ``Redactor`` or the ``SecretStore`` sees is registered with
``KNOWN_SECRETS`` in each form it may be written in.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Iterable, Mapping
from decimal import Decimal
from urllib.parse import quote, quote_plus

MASK = "***"

SECRET_HEADERS = frozenset(
    {"authorization", "x-cap-api-key", "cst", "x-security-token", "cookie", "set-cookie",
     "x-api-key", "x-signature"}
)
SECRET_FIELDS = frozenset(
    {"password", "apikey", "api_key", "api_token", "apitoken", "sec", "secret", "token",
     "accesstoken",
     "access_token", "refreshtoken", "refresh_token", "mdaccesstoken", "sign", "signature",
     "privatekey", "private_key", "encryptionkey", "client_secret", "consumer_secret"}
)
PARTIAL_FIELDS = frozenset(
    {"identifier", "accountid", "account_id", "currentaccountid", "clientid", "login",
     "name", "email", "cid", "deviceid"}
)


def mask_partial(value: str) -> str:
    """Keep the last few characters so a person can tell accounts apart."""
    if len(value) <= 4:
        return MASK
    return MASK + value[-4:]


# Items of a list the log shows (its text is cut at 2,000 characters anyway).
LOG_ITEMS = 20
# ``Redactor.body``'s ``parsed`` when the caller has not read the body.
NOT_PARSED = object()


class Redactor:
    def __init__(
        self,
        *,
        headers: Iterable[str] = SECRET_HEADERS,
        fields: Iterable[str] = SECRET_FIELDS,
        partial: Iterable[str] = PARTIAL_FIELDS,
    ) -> None:
        self._headers = {h.lower() for h in headers}
        self._fields = {f.lower() for f in fields}
        self._partial = {f.lower() for f in partial}
        self._literals: set[str] = set()

    def add_secret(self, value: str | None) -> None:
        """Scrub this exact value wherever it appears (passwords, keys, tokens)."""
        if value and len(value) >= 4:
            self._literals.add(value)
            register_secret(value)

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {
            k: (MASK if k.lower() in self._headers else self.text(v)) for k, v in headers.items()
        }

    def value(self, data: object, max_items: int | None = None) -> object:
        """``data`` with secrets masked; lists cut after ``max_items`` (for the log,
        which shows the first 2,000 characters: a page of 1,000 accounts need not be
        walked whole on the loop to show its start)."""
        if isinstance(data, Mapping):
            out: dict[str, object] = {}
            for k, v in data.items():
                key = str(k).lower()
                if key in self._fields:
                    out[k] = MASK
                elif key in self._partial and isinstance(v, (str, int)):
                    out[k] = mask_partial(str(v))
                else:
                    out[k] = self.value(v, max_items)
            return out
        if isinstance(data, list):
            if max_items is not None and len(data) > max_items:
                kept: list[object] = [self.value(v, max_items) for v in data[:max_items]]
                return [*kept, f"… {len(data) - max_items} more"]
            return [self.value(v, max_items) for v in data]
        if isinstance(data, str):
            return self.text(data)
        return data

    def text(self, text: str) -> str:
        for secret in self._literals:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def body(self, raw: bytes | str | None, limit: int = 2000, *,
             parsed: object = NOT_PARSED) -> str:
        """The body as the log shows it; ``parsed``: its JSON, already read by the
        caller (a page of 1,000 accounts need not be read twice on the loop)."""
        if not raw:
            return ""
        try:
            data = parsed
            if data is NOT_PARSED:
                text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
                data = json.loads(text)
            shown = json.dumps(self.value(data, LOG_ITEMS), separators=(",", ":"),
                               default=_number)
        except (ValueError, RecursionError):  # not JSON, or nested past reading: as text
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
            shown = re.sub(r"(?i)(password|sec|token)=[^&\s]+", r"\1=" + MASK, self.text(text))
        return shown if len(shown) <= limit else shown[:limit] + "…"


def _number(value: object) -> object:
    """A Decimal of exactly read JSON, shown as ``json`` shows a number it read."""
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


# --- secrets in log records ------------------------------------------------------------

MIN_SECRET_LENGTH = 4
MIN_FRAGMENT_LENGTH = 8  # shorter base64 fragments would match ordinary words


def _base64_forms(raw: bytes) -> set[str]:
    """The secret's base64 text at each of the three alignments it can have inside a
    longer encoded value (``user:password`` in Basic auth), edge characters dropped."""
    forms: set[str] = set()
    for offset in range(3):
        encoded_len = offset + len(raw)
        first = -(-8 * offset // 6)  # the first character made of the secret's bits only
        last = 8 * encoded_len // 6  # characters after this mix in what follows
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(b"\0" * offset + raw).decode("ascii")[first:last]
            if offset == 0 or len(text) >= MIN_FRAGMENT_LENGTH:
                forms.add(text.rstrip("="))
    return {f for f in forms if len(f) >= MIN_SECRET_LENGTH}


def secret_forms(value: str) -> set[str]:
    """Every way ``value`` may be written: as is, URL-encoded, base64, and escaped as in
    a Python repr (bytes or text) or a JSON string."""
    raw = value.encode("utf-8")
    forms = {
        value,
        quote(value, safe=""),
        quote(value, safe="/"),
        quote(value, safe="!*'()~"),  # what JavaScript's encodeURIComponent leaves
        quote_plus(value),
        repr(value)[1:-1],
        repr(raw)[2:-1],
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
    }
    forms |= _base64_forms(raw)
    return {f for f in forms if len(f) >= MIN_SECRET_LENGTH}


class KnownSecrets:
    """The secret values in use in this process (the newest ``limit``), thread-safe."""

    def __init__(self, limit: int = 256) -> None:
        self._limit = limit
        self._values: dict[str, None] = {}  # insertion-ordered: oldest first
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None
        self._dirty = False

    def add(self, value: str | None) -> None:
        if not value or len(value) < MIN_SECRET_LENGTH:
            return
        with self._lock:
            if value in self._values:
                return
            self._values[value] = None
            while len(self._values) > self._limit:
                del self._values[next(iter(self._values))]
            self._dirty = True

    def __contains__(self, value: object) -> bool:
        with self._lock:
            return value in self._values

    def _compiled(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._dirty:
                forms = {f for v in self._values for f in secret_forms(v)}
                ordered = sorted(forms, key=len, reverse=True)  # longest form wins
                self._pattern = re.compile("|".join(map(re.escape, ordered))) if forms else None
                self._dirty = False
            return self._pattern

    def scrub(self, text: str) -> str:
        pattern = self._compiled()
        return pattern.sub(MASK, text) if pattern is not None else text


KNOWN_SECRETS = KnownSecrets()


def register_secret(value: str | None) -> None:
    """Never write ``value`` (in any of its forms) to a log record from now on."""
    KNOWN_SECRETS.add(value)


def _names_pattern(names: Iterable[str]) -> str:
    # "x-security-token", "x_security_token" and "xsecuritytoken" are one name.
    parts = {re.sub(r"[-_]", "[-_]?", re.escape(n).replace("\\-", "-")) for n in names}
    return "|".join(sorted(parts, key=len, reverse=True))


_LOG_NAMES_BASE = (
    SECRET_HEADERS | SECRET_FIELDS
    | {"proxy-authorization", "id_token", "client_secret", "passphrase", "private-key"}
)
_QUOTED = r"""(?P<vq>b?(?P<q>['"]))(?P<value>(?:\\.|(?!(?P=q)).)*)(?P=q)"""
_BARE = r"""(?P<bare>[^\s&,;'"<>(){}\[\]]+)"""


def _key_value_pattern(names: Iterable[str]) -> re.Pattern[str]:
    """'password': 'x'  "CST": "x"  (b'cst', b'x')  password='x'  password=x  CST: x"""
    alternatives = _names_pattern(names)
    return re.compile(
        rf"""(?ix)
        (?P<key>b?(?P<kq>['"])(?:{alternatives})(?P=kq)\s*[:,=]\s*
          |(?<![\w-])(?:{alternatives})(?![\w-])\s*[:=]\s*)
        (?:{_QUOTED}|{_BARE})
        """
    )


_log_names: set[str] = set(_LOG_NAMES_BASE)
_KEY_VALUE = _key_value_pattern(_log_names)


def add_secret_field_names(names: Iterable[str]) -> None:
    """Mask the values of these fields too (each broker's secret credential fields)."""
    global _KEY_VALUE
    new = {n.lower() for n in names if n} - _log_names
    if new:
        _log_names.update(new)
        _KEY_VALUE = _key_value_pattern(_log_names)


_AUTH_SCHEME = re.compile(r"(?i)\b(bearer|basic|digest)\s+[A-Za-z0-9._~+/=-]{4,}")


def _mask_value(match: re.Match[str]) -> str:
    if match.group("bare") is not None:
        return match.group("key") + MASK
    return f"{match.group('key')}{match.group('vq')}{MASK}{match.group('q')}"


def redact_log_text(text: str) -> str:
    """``text`` with every known secret and every value of a secret-named header or
    field masked (for log records and tracebacks)."""
    text = KNOWN_SECRETS.scrub(text)
    text = _AUTH_SCHEME.sub(lambda m: f"{m.group(1)} {MASK}", text)
    return _KEY_VALUE.sub(_mask_value, text)
