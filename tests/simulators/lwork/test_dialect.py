"""The LWork simulator over plain HTTP: envelope, headers, vendor case, paging,
signatures and the transfer rules, and its command line."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from tests.simulators.lwork.conftest import Raw


def _user(raw: Raw) -> str:
    return raw.sim.credentials["user_id"]


def _accounts(raw: Raw) -> list[dict]:
    return raw.get(f"/v1/api/user/{_user(raw)}/detail").json()["data"]["accounts"]


def test_success_envelope_and_login(raw: Raw) -> None:
    creds = raw.sim.credentials
    reply = raw.post("/v1/api/user/login", {"loginName": creds["login_name"],
                                            "password": creds["password"]})
    body = reply.json()
    assert reply.status_code == 200 and body["result"] is True
    assert body["mcode"] == "m0000000" and body["data"]["userId"] == creds["user_id"]
    wrong = raw.post("/v1/api/user/login", {"loginName": creds["login_name"],
                                            "password": "x"}).json()
    assert wrong == {"mcode": "PUB_AUTH_0000017", "result": False}


@pytest.mark.parametrize(("drop", "change", "mcode"), [
    ("x-api-tenantId", None, "TWAPI_0000003"),
    ("x-api-token", None, "PUB_AUTH_0000029"),
    (None, ("x-api-token", "nope"), "PUB_AUTH_0000018"),
    (None, ("x-api-tenantId", "T0"), "TWAPI_0000014"),
])
def test_tenant_headers_are_required(raw: Raw, drop, change, mcode) -> None:
    headers = dict(raw.headers)
    if drop:
        headers.pop(drop)
    if change:
        headers[change[0]] = change[1]
    reply = raw.get("/v1/api/sys/error/code", headers=headers)
    assert reply.status_code == 200
    assert reply.json()["result"] is False and reply.json()["mcode"] == mcode


def test_account_info_needs_upper_case_vendor_and_server(raw: Raw) -> None:
    login = _accounts(raw)[0]["accountId"]
    path = f"/v1/api/account/{login}"
    good = raw.get(path, headers=raw.headers | {"x-api-vendor": "MT4",
                                                "x-api-serverid": "428"}).json()
    assert good["result"] is True and set(good["data"]) == {
        "accountId", "accountName", "balance", "credit", "currency", "floatProfit", "group",
        "leverage", "marginFree"}
    cases = [({"x-api-vendor": "mt4", "x-api-serverid": "428"}, "TWAPI_0000002"),
             ({"x-api-serverid": "428"}, "TWAPI_0000003"),
             ({"x-api-vendor": "MT5", "x-api-serverid": "431"}, "TWAPI_0000001"),
             ({"x-api-vendor": "MT4", "x-api-serverid": "430"}, "TWAPI_0000001")]
    for extra, mcode in cases:
        assert raw.get(path, headers=raw.headers | extra).json()["mcode"] == mcode
    assert raw.get("/v1/api/sys/conf/demo/account/type", platform="mt4").json()[
        "mcode"] == "TWAPI_0000002"


def test_unknown_path_and_method(raw: Raw) -> None:
    assert raw.get("/v1/api/nothing").status_code == 404
    assert raw.get("/v1/api/account/deposit/callback").status_code == 405


def test_paging(raw: Raw) -> None:
    login = _accounts(raw)[0]["accountId"]
    path = f"/v1/api/account/{_user(raw)}/{login}/history"
    first = raw.get(path, **{"from": "2000-01-01", "to": "2100-01-01", "page": 1,
                             "size": 10}).json()["data"]
    assert (first["pager"], first["pages"], first["size"], first["total"]) == (1, 3, 10, 23)
    last = raw.get(path, **{"from": "2000-01-01", "to": "2100-01-01", "page": 3,
                            "size": 10}).json()["data"]
    assert len(last["list"]) == 3 and last["offset"] == 20
    ids = {r["id"] for r in first["list"]} | {r["id"] for r in last["list"]}
    assert len(ids) == 13
    empty = raw.get(path, **{"from": "2000-01-01", "to": "2000-01-02", "page": 1,
                             "size": 10}).json()["data"]
    assert (empty["total"], empty["pages"], empty["list"]) == (0, 1, [])
    for bad in ({"from": "2000-01-01", "to": "2100-01-01", "page": 0, "size": 10},
                {"from": "01/01/2000", "to": "2100-01-01", "page": 1, "size": 10},
                {"from": "2000-01-01", "to": "2100-01-01", "page": 1, "size": 1000},
                {"to": "2100-01-01", "page": 1, "size": 10}):
        assert raw.get(path, **bad).json()["mcode"] == "TWAPI_0000012"
    other = raw.get(f"/v1/api/account/{_user(raw)}/2090009999/history",
                    **{"from": "2000-01-01", "to": "2100-01-01", "page": 1, "size": 10})
    assert other.json()["mcode"] == "TWAPI_0000001"


def test_deposit_signature_missing_or_wrong(raw: Raw) -> None:
    state = raw.sim.state
    login = _accounts(raw)[0]["accountId"]
    path = f"/v2/api/account/{_user(raw)}/428/{login}/deposit"
    body = {"depositAmount": "100.00", "payCurrency": "CNY", "comment": ""}
    assert raw.post(path, body).json()["mcode"] == "TWAPI_0000005"
    wrong = state.key.sign(f"{_user(raw)}{login}CNY100")  # amount without two decimals
    assert raw.post(path, body | {"signature": wrong}).json()["mcode"] == "TWAPI_0000005"
    right = state.key.sign(f"{_user(raw)}{login}CNY100.00")
    reply = raw.post(path, body | {"signature": right}).json()
    assert reply["result"] is True and reply["data"]["payAmount"] == 712.34
    small = state.key.sign(f"{_user(raw)}{login}CNY1.00")
    assert raw.post(path, body | {"depositAmount": "1.00", "signature": small}).json()[
        "mcode"] == "TWAPI_0000004"
    assert raw.post(f"/v2/api/account/{_user(raw)}/431/{login}/deposit",
                    body | {"signature": right}).json()["mcode"] == "TWAPI_0000001"


def _transfer(raw: Raw, source: str, target: dict, *, user: str | None = None,
              vendor: str | None = None) -> dict:
    state = raw.sim.state
    me = _user(raw)
    body = {"receiptAccount": target["accountId"], "receiptAccountName":
            target["accountName"], "receiptServerId": state.account(
                target["accountId"]).server.server_id, "receiptUserId": user or me,
            "receiptVendor": vendor or target["platformName"], "currency": "USD",
            "transferAmount": "10.00", "comment": ""}
    data = (f"{source}USD{me}{body['receiptAccount']}{body['receiptAccountName']}"
            f"{body['receiptServerId']}{body['receiptVendor']}10.00")
    body["signature"] = state.key.sign(data)
    return raw.post(f"/v1/api/account/{me}/{source}/transfer", body).json()


def test_transfer_rules(raw: Raw) -> None:
    state = raw.sim.state
    mt4, mt4b, mt5 = _accounts(raw)
    stranger = state.account(state.account_ids(state.other_user.user_id)[0])
    stranger_row = {"accountId": stranger.login, "accountName": stranger.name,
                    "platformName": "MT4"}
    assert _transfer(raw, mt4["accountId"], mt5)["mcode"] == "TWAPI_0000006"
    assert _transfer(raw, mt4["accountId"], stranger_row)["mcode"] == "TWAPI_0000006"
    assert _transfer(raw, mt4["accountId"], stranger_row,
                     user=state.other_user.user_id)["mcode"] == "TWAPI_0000006"
    assert _transfer(raw, mt4["accountId"], mt4b, vendor="mt4")["mcode"] == "TWAPI_0000002"
    assert state.cash == []
    assert _transfer(raw, mt4["accountId"], mt4b)["result"] is True
    assert state.account(mt4b["accountId"]).balance == Decimal("2510.00")
    assert state.account(mt4["accountId"]).balance == Decimal("9990.00")


def test_callback_needs_the_tenants_signature_and_success_status(raw: Raw) -> None:
    state = raw.sim.state
    state.deposit_pay_after = None
    login = _accounts(raw)[0]["accountId"]
    me = _user(raw)
    signed = state.key.sign(f"{me}{login}USD100.00")
    job = raw.post(f"/v2/api/account/{me}/428/{login}/deposit",
                   {"depositAmount": "100.00", "payCurrency": "USD",
                    "signature": signed}).json()["data"]["jobId"]
    body = {"jobId": job, "orderId": "1", "status": "0", "platform": "twAPI",
            "payAmount": "100.00", "payCurrency": "USD"}
    failed = raw.post("/v1/api/account/deposit/callback",
                      body | {"signature": state.key.sign(f"{job}10USD100.00")}).json()
    assert failed == {"data": "0", "mcode": "TWAPI_0000015", "result": False}
    assert raw.post("/v1/api/account/deposit/callback", body | {"status": "1"}).json()[
        "mcode"] == "TWAPI_0000005"
    paid = raw.post("/v1/api/account/deposit/callback", body | {
        "status": "1", "signature": state.key.sign(f"{job}11USD100.00")}).json()
    assert paid == {"data": "1", "mcode": "m0000000", "result": True}
    assert state.account(login).balance == Decimal("10100.00")


def test_command_line_prints_what_a_profile_needs() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop_app.simulators", "lwork", "--port", "0", "--seed", "5"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(8)]
        match = re.search(r"LWork simulator \(seed 5\): (http://127\.0\.0\.1:\d+)$",
                          lines[0].strip())
        assert match, lines
        printed = dict(line.strip().split(": ", 1) for line in lines[1:8])
        assert set(printed) == {"tenant_id", "api_token", "login_name", "password",
                                "user_id", "private_key_file", "server_ids"}
        pem = Path(printed["private_key_file"]).read_text()
        assert pem.startswith("-----BEGIN PRIVATE KEY-----")
        assert Path(printed["private_key_file"]).stat().st_mode & 0o077 == 0
        login = httpx.post(f"{match.group(1)}/v1/api/user/login", json={
            "loginName": printed["login_name"], "password": printed["password"]},
            headers={"x-api-tenantId": printed["tenant_id"],
                     "x-api-token": printed["api_token"]}).json()
        assert login["data"]["userId"] == printed["user_id"]
        process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 10
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process.returncode == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(5)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
