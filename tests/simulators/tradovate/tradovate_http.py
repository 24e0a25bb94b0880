"""A tiny Tradovate client over plain httpx for the simulator tests (not the app's adapter)."""

from __future__ import annotations

from typing import Any

import httpx


def login_body(credentials: dict[str, str], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": credentials["name"],
        "password": credentials["password"],
        "appId": credentials["app_id"],
        "appVersion": credentials["app_version"],
        "cid": int(credentials["cid"]),  # the docs' examples send a number
        "sec": credentials["sec"],
        "deviceId": "test-device-1",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


class TradovateHttp:
    def __init__(self, base_url: str, credentials: dict[str, str]) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=5.0)
        self.credentials = credentials
        self.token: str | None = None
        self.md_token: str | None = None
        self.last_login: dict[str, Any] = {}

    def close(self) -> None:
        self.http.close()

    def login(self, **overrides: Any) -> httpx.Response:
        response = self.http.post("/auth/accesstokenrequest",
                                  json=login_body(self.credentials, **overrides))
        if "accessToken" in response.json():
            self.last_login = response.json()
            self.token = self.last_login["accessToken"]
            self.md_token = self.last_login["mdAccessToken"]
        return response

    def request(self, method: str, path: str, *, token: str | None = None,
                **kwargs: Any) -> httpx.Response:
        bearer = token or self.token
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        headers.update(kwargs.pop("headers", {}))
        return self.http.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, json=body, **kwargs)

    # ----------------------------------------------------------------- conveniences
    def ok(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        response = self.request(method, path, json=body, **kwargs) if body is not None else (
            self.request(method, path, **kwargs))
        assert response.status_code == 200, (response.status_code, response.text)
        return response.json()

    def accounts(self) -> list[dict[str, Any]]:
        return self.ok("GET", "/account/list")

    def snapshot(self, account_id: int) -> dict[str, Any]:
        return self.ok("POST", "/cashBalance/getCashBalanceSnapshot", {"accountId": account_id})

    def place(self, account_id: int, symbol: str, action: str, qty: int,
              order_type: str = "Market", **extra: Any) -> dict[str, Any]:
        body = {"accountId": account_id, "action": action, "symbol": symbol, "orderQty": qty,
                "orderType": order_type, "isAutomated": True, **extra}
        return self.ok("POST", "/order/placeOrder", body)

    def positions(self) -> list[dict[str, Any]]:
        return self.ok("GET", "/position/list")

    def contract_id(self, name: str) -> int:
        return self.ok("GET", "/contract/find", params={"name": name})["id"]
