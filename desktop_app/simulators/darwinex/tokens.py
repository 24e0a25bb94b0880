"""OAuth2 as the WSO2 gateway in front of api.darwinex.com does it (refresh-token grant).

Each environment (DEMO, LIVE) has its own application keys (consumer key and secret) and
so its own tokens; the token decides which investor accounts a request can see.
Refresh tokens rotate: using one issues a new pair and makes the old refresh token
invalid. UNCONFIRMED: whether the previous ACCESS token stays valid until it expires; here
it is revoked too (``revoke_old_access_token``), as WSO2 does when it renews a token.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class OAuthClient:
    env: str  # DEMO / LIVE
    consumer_key: str
    consumer_secret: str
    username: str


@dataclass(slots=True)
class AccessToken:
    value: str
    client: OAuthClient
    expires_at: float  # monotonic

    @property
    def env(self) -> str:
        return self.client.env


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenStore:
    def __init__(
        self,
        monotonic: Callable[[], float],
        clock: Callable[[], float],
        lifetime: Callable[[], float],
    ) -> None:
        self._monotonic = monotonic
        self._clock = clock
        self._lifetime = lifetime
        self._lock = threading.Lock()
        self.clients: dict[str, OAuthClient] = {}
        self._access: dict[str, AccessToken] = {}
        self._refresh: dict[str, tuple[OAuthClient, str]] = {}  # -> (client, its access token)
        # consumer key -> the newest (access, refresh) pair issued to that application
        self.latest: dict[str, tuple[str, str]] = {}
        self.revoke_old_access_token = True

    def add_client(self, client: OAuthClient) -> None:
        self.clients[client.consumer_key] = client

    def client_for(self, key: str, secret: str) -> OAuthClient | None:
        client = self.clients.get(key)
        if client is None or not secrets.compare_digest(client.consumer_secret, secret):
            return None
        return client

    def issue(self, client: OAuthClient, access: str | None = None,
              refresh: str | None = None) -> tuple[AccessToken, str]:
        access = access or secrets.token_hex(16)
        refresh = refresh or secrets.token_hex(16)
        with self._lock:
            token = AccessToken(access, client, self._monotonic() + self._lifetime())
            self._access[access] = token
            self._refresh[refresh] = (client, access)
            self.latest[client.consumer_key] = (access, refresh)
        return token, refresh

    def rotate(self, client: OAuthClient, refresh: str) -> tuple[AccessToken, str] | None:
        """Trade a refresh token for a new pair; None if it is unknown, used or foreign."""
        with self._lock:
            entry = self._refresh.get(refresh)
            if entry is None or entry[0] is not client:
                return None
            del self._refresh[refresh]
            if self.revoke_old_access_token:
                self._access.pop(entry[1], None)
        return self.issue(client)

    def find(self, value: str | None) -> AccessToken | None:
        if not value:
            return None
        with self._lock:
            token = self._access.get(value)
            if token is None:
                return None
            if self._monotonic() >= token.expires_at:
                del self._access[value]
                return None
            return token

    def expire_all_access(self) -> None:
        with self._lock:
            self._access.clear()

    def revoke_all_refresh(self) -> None:
        with self._lock:
            self._refresh.clear()

    def reply(self, token: AccessToken, refresh: str) -> dict[str, Any]:
        return {
            "access_token": token.value,
            "expires_in": int(self._lifetime()),
            "id_token": self._id_token(token.client),
            "refresh_token": refresh,
            "scope": "openid",
            "token_type": "Bearer",
        }

    def _id_token(self, client: OAuthClient) -> str:
        """A JWT-shaped id_token (the signature is random: nobody should verify it)."""
        now = int(self._clock())
        header = {"typ": "JWT", "alg": "RS256"}
        claims = {
            "iss": "https://api.darwinex.com/oauth2/token",
            "sub": client.username,
            "aud": [client.consumer_key],
            "azp": client.consumer_key,
            "iat": now,
            "exp": now + int(self._lifetime()),
        }
        parts = [json.dumps(part, separators=(",", ":")).encode() for part in (header, claims)]
        return ".".join([*(_b64url(p) for p in parts), _b64url(secrets.token_bytes(32))])
