"""The main window over a real Hub on the Upvest simulator (loopback HTTP, signed
requests, webhooks to the service's receiver), for the Upvest window tests.

The poller's own schedule is pushed far out (a minute for what is on screen and for the
account list, no positions in the background): what changes within a second then comes
from a webhook (the service reports it and the session refreshes at once) or from a
click, never from a poll.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from PySide6.QtWidgets import QPushButton, QTableView

from desktop_app.domain.types import Account, AccountRef
from desktop_app.sandbox import sandbox_connection
from desktop_app.session.events import Topic
from desktop_app.session.hub import Hub
from desktop_app.session.poll_config import PollConfig
from desktop_app.storage.journal import Journal
from desktop_app.storage.secrets import SecretStore
from desktop_app.storage.settings import Settings
from desktop_app.ui.main_window import MainWindow
from desktop_app.viewmodels.app_vm import AppViewModel
from desktop_app.viewmodels.keyed_table import KEY_ROLE
from tests.ui.harness import find
from tests.viewmodels.sandbox import _LOOPS_KEPT_ALIVE, wait_for

SLOW_POLLS = PollConfig(
    visible={Topic.QUOTES: 60.0, Topic.POSITIONS: 60.0, Topic.WORKING_ORDERS: 60.0,
             Topic.BALANCES: 60.0},
    background={Topic.BALANCES: 60.0, Topic.POSITIONS: None, Topic.WORKING_ORDERS: None,
                Topic.QUOTES: None},
)
CID = "sandbox-upvest"


@contextlib.asynccontextmanager
async def upvest_window(qtbot: Any, sim: Any, *, poll_config: PollConfig = SLOW_POLLS
                        ) -> AsyncIterator[MainWindow]:
    loop = asyncio.get_running_loop()
    if loop not in _LOOPS_KEPT_ALIVE:
        _LOOPS_KEPT_ALIVE.append(loop)
    hub = Hub(settings=Settings.load(), secrets=SecretStore(), journal=Journal(),
              poll_config=poll_config)
    await hub.start()
    try:
        app_vm = AppViewModel(hub, hub.settings)
        try:
            profile, secrets = sandbox_connection("upvest", sim)
            await hub.add_connection(profile, {**profile.fields, **secrets}, persist=False)
            window = MainWindow(app_vm)
            qtbot.addWidget(window)
            window.show()
            await wait_for(window.isVisible, what="the window")
            await wait_for(lambda: len(upvest_accounts(window)) >= 4, what="the accounts")
            try:
                yield window
            finally:
                window.close()
        finally:
            await app_vm.aclose()
    finally:
        await hub.stop()
        hub.journal.close()


def upvest_accounts(window: MainWindow) -> list[Account]:
    return [a for a in window.vm.hub.accounts() if a.ref.connection == CID]


def account_named(window: MainWindow, name: str, owner: str = "") -> Account | None:
    return next((a for a in upvest_accounts(window)
                 if a.name == name and (not owner or a.owner == owner)), None)


async def click_account(window: MainWindow, ref: AccountRef) -> None:
    """Select the account's row in the accounts table, as a trader clicks it."""
    table = find(window, QTableView, "accounts.table")
    accounts = window.vm.accounts

    def row() -> int:
        index = accounts.model.row_for_account(ref)
        return index + 1 if index >= 0 else 0

    source = await wait_for(row, what=f"{ref} in the accounts table") - 1
    key = accounts.model.key(source)
    proxy = table.model()
    for r in range(proxy.rowCount()):
        if proxy.index(r, 0).data(KEY_ROLE) == key:
            table.selectRow(r)
            break
    await wait_for(lambda: window.vm.lifecycle.account == ref, what=f"{ref} selected")


def double_click(button: QPushButton) -> None:
    """Two clicks in a row, as a double click on a button ends up."""
    button.click()
    button.click()


def service_of(window: MainWindow) -> Any:
    conn = window.vm.hub.connection(CID)
    assert conn is not None and conn.service is not None
    return conn.service
