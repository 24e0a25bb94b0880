"""The headers every LWork request carries, and what the activity log must not show.

LW-DOCS (introduction, 1.4, 1.9): ``x-api-tenantId`` and ``x-api-token`` (the tenant's
API key from Support Center) on every request, ``content-type: application/json``, and
``x-language`` (``en-US`` / ``zh-CN``). Added by an ``httpx.Auth`` handed to
``BrokerHttp``, so no call can go out without them.
"""

from __future__ import annotations

from collections.abc import Generator

import httpx

from desktop_app.net.redact import PARTIAL_FIELDS, SECRET_FIELDS, SECRET_HEADERS, Redactor

TENANT_HEADER = "x-api-tenantId"
TOKEN_HEADER = "x-api-token"
LANGUAGE_HEADER = "x-language"
VENDOR_HEADER = "x-api-vendor"
SERVER_HEADER = "x-api-serverid"
LANGUAGES = ("en-US", "zh-CN")

# Bank details of a withdrawal are personal data; signatures prove the tenant's key.
LWORK_SECRET_FIELDS = frozenset({
    "signature", "password", "bankaccountnumber", "bankaccountname", "swift",
    "bankbranchname", "accountno", "bankaccount", "idnum",
})
LWORK_PARTIAL_FIELDS = frozenset({"loginname", "phone", "email", "bankname"})


class TenantHeaders(httpx.Auth):
    """Adds the tenant id, API token, language and content type to every request."""

    def __init__(self, tenant_id: str, api_token: str, language: str = "en-US") -> None:
        self.tenant_id = tenant_id
        self._token = api_token
        self.language = language

    def __repr__(self) -> str:
        return f"TenantHeaders(tenant={self.tenant_id!r}, token=***)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[TENANT_HEADER] = self.tenant_id
        request.headers[TOKEN_HEADER] = self._token
        request.headers[LANGUAGE_HEADER] = self.language
        request.headers.setdefault("Content-Type", "application/json")
        yield request


def lwork_redactor(*secrets: str) -> Redactor:
    """The shared redactor plus LWork's field and header names; ``secrets`` (token,
    password) are scrubbed wherever they appear."""
    redactor = Redactor(
        headers=SECRET_HEADERS | {TOKEN_HEADER.lower()},
        fields=SECRET_FIELDS | LWORK_SECRET_FIELDS,
        partial=PARTIAL_FIELDS | LWORK_PARTIAL_FIELDS,
    )
    for secret in secrets:
        redactor.add_secret(secret)
    return redactor
