"""A tiny Capital.com client over plain httpx for the simulator tests (not the app's adapter)."""

from __future__ import annotations

import base64
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding


def encrypt_password(encryption_key: str, timestamp: int, password: str) -> str:
    """base64(RSA/PKCS#1 v1.5(base64(password|timestamp))), as Capital.com's Java sample does."""
    public_key = serialization.load_der_public_key(base64.b64decode(encryption_key))
    inner = base64.b64encode(f"{password}|{timestamp}".encode())
    return base64.b64encode(public_key.encrypt(inner, padding.PKCS1v15())).decode()


class CapitalHttp:
    def __init__(self, base_url: str, credentials: dict[str, str]) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=5.0)
        self.credentials = credentials
        self.tokens: dict[str, str] = {}

    def close(self) -> None:
        self.http.close()

    def login(self, *, encrypted: bool = False) -> httpx.Response:
        key = {"X-CAP-API-KEY": self.credentials["api_key"]}
        password = self.credentials["password"]
        body: dict[str, Any] = {"identifier": self.credentials["identifier"]}
        if encrypted:
            answer = self.http.get("/session/encryptionKey", headers=key).json()
            password = encrypt_password(answer["encryptionKey"], answer["timeStamp"], password)
            body["encryptedPassword"] = True
        body["password"] = password
        response = self.http.post("/session", headers=key, json=body)
        if response.status_code == 200:
            self.remember(response)
        return response

    def remember(self, response: httpx.Response) -> None:
        self.tokens = {
            "CST": response.headers["CST"],
            "X-SECURITY-TOKEN": response.headers["X-SECURITY-TOKEN"],
        }

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.tokens, **kwargs.pop("headers", {})}
        response = self.http.request(method, path, headers=headers, **kwargs)
        if "CST" in response.headers and "X-SECURITY-TOKEN" in response.headers:
            self.remember(response)
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def deal(self, path: str, body: dict[str, Any], method: str = "POST") -> dict[str, Any]:
        """Send a dealing request and return its confirmation."""
        response = self.request(method, path, json=body)
        assert response.status_code == 200, response.text
        reference = response.json()["dealReference"]
        confirm = self.get(f"/confirms/{reference}")
        assert confirm.status_code == 200, confirm.text
        return confirm.json()

    def positions(self) -> list[dict[str, Any]]:
        return self.get("/positions").json()["positions"]

    def account(self, account_id: str) -> dict[str, Any]:
        accounts = self.get("/accounts").json()["accounts"]
        return next(a for a in accounts if a["accountId"] == account_id)
