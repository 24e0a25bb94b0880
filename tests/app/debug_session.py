"""A real session at DEBUG with sentinel secrets, for test_no_secret_in_logs.

Run as ``python -m tests.app.debug_session TOKENS_JSON`` in a child process (its own
logging set-up; TRADING_DASHBOARD_HOME and TRADING_DASHBOARD_KEYRING=memory from the
environment): the app's ``setup_logging(debug=True)`` on a qasync loop like the app's,
the three simulators with the sentinels below as their credentials, every connection
saved to the keyring (so its secrets cross qasync's worker threads, whose arguments and
results qasync logs), one demo trade per broker through the view-models (the --smoke
path), then a second session that reads the secrets back from the keyring. The tokens
the simulators issued along the way (Capital.com CST/X-SECURITY-TOKEN, Tradovate access
and market-data tokens, Darwinex access and refresh tokens) are written to TOKENS_JSON,
which the test greps for too.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

SENTINELS = {
    "capital.api_key": "SntlCapKey9qXz4W",  # the simulator wants [A-Za-z0-9]
    "capital.password": "Sntl-Cap Pw/1+x=é!",
    "tradovate.password": "Sntl-Tv Pw/2+y=ü?",
    "tradovate.sec": "Sntl-TvSec&3;z%7",
    "darwinex.consumer_secret": "Sntl-DxSecret:4/w+",
    "darwinex.access_token": "Sntl-DxAccess-5~a",
    "darwinex.refresh_token": "Sntl-DxRefresh-6~b",
}


def _use_sentinels(sims: dict) -> None:
    from desktop_app.sandbox import OPEN_SESSION
    from desktop_app.simulators.darwinex.tokens import OAuthClient

    capital = sims["capital"].state
    capital.api_key = SENTINELS["capital.api_key"]
    capital.password = SENTINELS["capital.password"]
    tradovate = sims["tradovate"].state
    tradovate.password = SENTINELS["tradovate.password"]
    tradovate.sec = SENTINELS["tradovate.sec"]
    darwinex = sims["darwinex"].state
    login = darwinex._logins["DEMO"]
    old = darwinex.tokens.clients[login["consumer_key"]]
    client = OAuthClient(old.env, "SentinelConsumerKey", SENTINELS["darwinex.consumer_secret"],
                         old.username)
    darwinex.tokens.add_client(client)
    darwinex.tokens.issue(client, SENTINELS["darwinex.access_token"],
                          SENTINELS["darwinex.refresh_token"])
    login.update(consumer_key=client.consumer_key,
                 consumer_secret=SENTINELS["darwinex.consumer_secret"],
                 access_token=SENTINELS["darwinex.access_token"],
                 refresh_token=SENTINELS["darwinex.refresh_token"])
    for sim in sims.values():  # the login a profile is made from (sandbox_connection)
        sim.credentials.update(sim.state.credentials)
        clock = getattr(sim.state, "session_clock", None)  # every market open, any day
        if clock is not None:
            clock.move_to(OPEN_SESSION)


def _issued_tokens(sims: dict) -> list[str]:
    tokens: list[str] = []
    for session in sims["capital"].state.sessions.values():
        tokens += [session.cst, *session.account_tokens]
    for value, token in sims["tradovate"].state.tokens.items():
        tokens += [value, getattr(token, "md_value", "")]
    store = sims["darwinex"].state.tokens
    tokens += [*store._access, *store._refresh]
    return [t for t in tokens if t]


async def _session() -> list[str]:
    from desktop_app.sandbox import sandbox_connection
    from desktop_app.session.hub import Hub
    from desktop_app.simulators.runner import start_simulator
    from desktop_app.smoke import run_smoke
    from desktop_app.storage.journal import Journal
    from desktop_app.storage.secrets import SecretStore
    from desktop_app.storage.settings import Settings
    from desktop_app.viewmodels.app_vm import AppViewModel

    sims = {name: start_simulator(name, seed=11) for name in ("capital", "tradovate",
                                                              "darwinex")}
    _use_sentinels(sims)
    secrets = SecretStore()
    settings = Settings.load()
    journal = Journal()
    try:
        hub = Hub(settings=settings, secrets=secrets, journal=journal)
        app_vm = AppViewModel(hub, settings)
        await hub.start()
        for broker, sim in sims.items():
            profile, credentials = sandbox_connection(broker, sim)
            if broker == "capital":  # the RSA-encrypted login: the password goes to a thread
                credentials = {**credentials, "encrypted_login": "true"}
            await hub.add_connection(profile, {**profile.fields, **credentials}, persist=True)
        print(await run_smoke(app_vm, hub), flush=True)
        issued = _issued_tokens(sims)  # before the logouts end the sessions
        await app_vm.aclose()
        await hub.stop()
        # A second run of the session: the secrets come back from the keyring.
        again = Hub(settings=settings, secrets=secrets, journal=journal)
        await again.start()
        for broker in sims:
            await asyncio.wait_for(again.wait_connected(f"sandbox-{broker}"), 30)
        await again.stop()
        return sorted({*issued, *_issued_tokens(sims)})
    finally:
        journal.close()
        for sim in sims.values():
            sim.stop()


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["QT_API"] = "pyside6"
    from desktop_app.logs import setup_logging

    setup = setup_logging(debug=True)
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        issued = runner.run(_session())
    setup.close()
    with open(sys.argv[1], "w", encoding="utf-8") as fh:
        json.dump(issued, fh)
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
