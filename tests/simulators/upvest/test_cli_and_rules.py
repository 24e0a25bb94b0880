"""The Upvest simulator alone: what it prints, and the refusals a client would not send."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from desktop_app.simulators.runner import describe, start_simulator


def test_it_runs_alone_and_prints_its_credentials():
    proc = subprocess.Popen(
        [sys.executable, "-m", "desktop_app.simulators", "upvest", "--port", "0", "--seed", "3"],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        lines = [proc.stdout.readline() for _ in range(5)]
    finally:
        proc.terminate()
        proc.wait(10)
    text = "".join(lines)
    assert "Upvest simulator (seed 3): http://127.0.0.1:" in text
    for label in ("client_id:", "client_secret:", "key_id:", "private_key_file:"):
        assert label in text
    key_file = Path(text.split("private_key_file: ")[1].split()[0])
    assert "BEGIN EC PRIVATE KEY" in key_file.read_text()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert "PRIVATE KEY-----" not in text  # the key's text is never printed


def test_unsigned_requests_get_upvests_problem_json():
    sim = start_simulator("upvest", port=0, seed=5)
    try:
        assert "private_key_file" in describe(sim)
        plain = httpx.get(sim.base_url + "/accounts")
        assert plain.status_code == 400
        assert plain.headers["content-type"] == "application/problem+json"
        body = plain.json()
        assert body["type"] == "https://docs.upvest.co/errors/missing_client_id"
        assert body["request_id"] == plain.headers["upvest-request-id"]
        unsigned = httpx.get(sim.base_url + "/accounts",
                             headers={"upvest-client-id": sim.credentials["client_id"]})
        assert (unsigned.status_code, unsigned.json()["detail"]) == (401, "Signature is missing")
        assert unsigned.json()["title"] == "Unauthorised"
    finally:
        sim.stop()
