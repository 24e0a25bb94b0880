"""Remove secrets from anything that may be shown or written: headers, bodies, text."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

MASK = "***"

SECRET_HEADERS = frozenset(
    {"authorization", "x-cap-api-key", "cst", "x-security-token", "cookie", "set-cookie",
     "x-api-key", "x-signature"}
)
SECRET_FIELDS = frozenset(
    {"password", "apikey", "api_key", "sec", "secret", "token", "accesstoken",
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

    def body(self, raw: bytes | str | None, limit: int = 2000) -> str:
        if not raw:
            return ""
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        try:
            shown = json.dumps(self.value(json.loads(text), LOG_ITEMS), separators=(",", ":"))
        except (ValueError, RecursionError):  # not JSON, or nested past reading: as text
            shown = re.sub(r"(?i)(password|sec|token)=[^&\s]+", r"\1=" + MASK, self.text(text))
        return shown if len(shown) <= limit else shown[:limit] + "…"
