"""A tiny Darwinex client over plain httpx for the simulator tests (not the app's adapter)."""

from __future__ import annotations

import base64
from typing import Any

import httpx

INFO = "/darwininfo/2.0"
ACCOUNTS = "/investoraccountinfo/2.0"
TRADING = "/trading/1.1"


class DarwinexHttp:
    def __init__(self, base_url: str, credentials: dict[str, str]) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=5.0)
        self.consumer_key = credentials["consumer_key"]
        self.consumer_secret = credentials["consumer_secret"]
        self.access_token = credentials["access_token"]
        self.refresh_token = credentials["refresh_token"]

    def close(self) -> None:
        self.http.close()

    def basic(self, key: str | None = None, secret: str | None = None) -> dict[str, str]:
        pair = f"{key or self.consumer_key}:{secret or self.consumer_secret}"
        return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}

    def refresh(self, refresh_token: str | None = None, **headers: str) -> httpx.Response:
        response = self.http.post(
            "/token",
            headers=headers or self.basic(),
            data={"grant_type": "refresh_token",
                  "refresh_token": refresh_token or self.refresh_token},
        )
        if response.status_code == 200:
            self.access_token = response.json()["access_token"]
            self.refresh_token = response.json()["refresh_token"]
        return response

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.access_token}", **kwargs.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    # ------------------------------------------------------------ shortcuts
    def account_ids(self) -> list[int]:
        response = self.get(f"{ACCOUNTS}/investoraccounts")
        assert response.status_code == 200, response.text
        return [a["id"] for a in response.json()]

    def account(self, account_id: int) -> dict[str, Any]:
        response = self.get(f"{ACCOUNTS}/investoraccounts/{account_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def positions(self, account_id: int) -> list[dict[str, Any]]:
        response = self.get(f"{ACCOUNTS}/investoraccounts/{account_id}/currentpositions")
        assert response.status_code == 200, response.text
        return response.json()

    def trade(self, account_id: int, action: str, body: dict[str, Any]) -> httpx.Response:
        return self.post(f"{TRADING}/investoraccounts/{account_id}/{action}", json=body)

    def buy(self, account_id: int, product: str, amount: Any, **extra: Any) -> httpx.Response:
        return self.trade(account_id, "orders/buy",
                          {"amount": amount, "productName": product, **extra})

    def sell(self, account_id: int, product: str, amount: Any) -> httpx.Response:
        return self.trade(account_id, "orders/sell", {"amount": amount, "productName": product})

    def conditional(self, account_id: int, which: str, **params: Any) -> Any:
        response = self.get(f"{ACCOUNTS}/investoraccounts/{account_id}/conditionalorders/{which}",
                            params=params)
        assert response.status_code == 200, response.text
        return response.json()
