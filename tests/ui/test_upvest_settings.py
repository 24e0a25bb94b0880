"""The connection's webhooks in the window (list, test, disable, enable, delete after a
question), and the account lifecycle on a LIVE connection (every write asked first),
against the Upvest simulator over loopback."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from PySide6.QtWidgets import QDialog, QLabel, QMessageBox, QPushButton, QTableView

from desktop_app.domain.types import Environment, OrderStatus
from desktop_app.sandbox import sandbox_connection
from desktop_app.simulators.runner import start_simulator
from desktop_app.viewmodels.account_lifecycle_vm import AccountLifecycleViewModel
from tests.ui.harness import find
from tests.ui.upvest_window import double_click, service_of, upvest_window
from tests.viewmodels.sandbox import running_hub, wait_for

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints",
                                       "This plugin does not support raise")


@pytest.fixture
def sim() -> Iterator[object]:
    running = start_simulator("upvest", port=0, seed=9)
    running.state.time_scale = 10.0
    yield running
    running.stop()


def test_webhooks_listed_tested_disabled_enabled_and_deleted(sim, qtbot, qrun):
    requests = sim.state.stats["requests"]

    async def scenario():
        async with upvest_window(qtbot, sim) as window:
            service = service_of(window)
            await wait_for(lambda: service.receiver.deliveries >= 1, what="the test delivery")
            button = find(window, QPushButton, "accounts.webhooksButton")
            await wait_for(button.isEnabled, what="Webhooks… offered")
            double_click(button)
            dialog = await wait_for(lambda: window.findChild(QDialog, "webhooks.dialog"),
                                    what="the dialog")
            assert len(window.findChildren(QDialog, "webhooks.dialog")) == 1
            table = find(dialog, QTableView, "webhooks.table")
            await wait_for(lambda: table.model().rowCount() == 1, what="the webhook listed")
            assert table.model().index(0, 0).data().endswith("(this app)")
            summary = find(dialog, QLabel, "webhooks.summary")
            assert service.receiver.url in summary.text() and "deliveries" in summary.text()
            hook = next(iter(sim.state.webhooks.values()))
            buttons = {a: find(dialog, QPushButton, f"webhooks.{a}")
                       for a in ("test", "enable", "disable", "delete")}
            await wait_for(lambda: buttons["test"].isEnabled(), what="Send test")
            assert not buttons["enable"].isEnabled()  # it is enabled

            before = service.receiver.deliveries
            double_click(buttons["test"])
            result = find(dialog, QLabel, "webhooks.result")
            await wait_for(lambda: "Test delivery requested" in result.text(), what="tested")
            await wait_for(lambda: service.receiver.deliveries > before, what="it arrived")
            assert requests["POST /webhooks/{webhook_id}/test"] == 2  # connect's + this one

            double_click(buttons["disable"])
            await wait_for(lambda: not hook.enabled, what="disabled at Upvest")
            await wait_for(lambda: buttons["enable"].isEnabled(), what="Enable offered")
            assert not buttons["test"].isEnabled() and "Enable it first" in \
                buttons["test"].toolTip()
            assert requests["PATCH /webhooks/{webhook_id}"] == 1
            assert not service.webhooks_live  # the app polls meanwhile
            double_click(buttons["enable"])
            await wait_for(lambda: hook.enabled, what="enabled again")
            assert requests["PATCH /webhooks/{webhook_id}"] == 2

            # Delete asks first: "Keep it" deletes nothing, "Delete" deletes once.
            await wait_for(lambda: buttons["delete"].isEnabled(), what="Delete offered")
            double_click(buttons["delete"])
            box = await wait_for(lambda: window.findChild(QMessageBox,
                                                          "webhooks.confirmDelete"),
                                 what="the question")
            assert "this app's own" in box.text()
            find(box, QPushButton, "webhooks.confirmDelete.no").click()
            await wait_for(lambda: "Not deleted" in result.text(), what="kept")
            assert sim.state.webhooks and requests["DELETE /webhooks/{webhook_id}"] == 0
            await wait_for(lambda: buttons["delete"].isEnabled(), what="Delete offered")
            buttons["delete"].click()
            box = await wait_for(lambda: window.findChild(QMessageBox,
                                                          "webhooks.confirmDelete"),
                                 what="the question again")
            find(box, QPushButton, "webhooks.confirmDelete.yes").click()
            await wait_for(lambda: table.model().rowCount() == 0, what="gone")
            assert requests["DELETE /webhooks/{webhook_id}"] == 1 and not sim.state.webhooks
            assert "deleted" in summary.text()
            find(dialog, QPushButton, "webhooks.close").click()

    qrun(scenario(), timeout=90)


def test_on_a_live_connection_every_lifecycle_write_is_asked_first(sim, qrun):
    requests = sim.state.stats["requests"]

    async def scenario():
        async with running_hub() as hub:
            profile, secrets = sandbox_connection("upvest", sim)
            live = replace(profile, environment=Environment.LIVE, live_opt_in=True,
                           sandbox=False)
            await hub.add_connection(live, {**live.fields, **secrets}, persist=False)
            await wait_for(lambda: hub.accounts(), what="the accounts")
            vm = AccountLifecycleViewModel(hub)
            questions: list[object] = []
            vm.confirmationRequested.connect(questions.append)
            karl = next(a for a in hub.accounts() if a.name == "Savings plan")
            vm.set_account(karl.ref)
            declined = vm.rename("Kept")
            assert questions and questions[-1].live and "Rename" in questions[-1].summary
            assert vm.awaiting_confirmation and not vm.state(
                next(iter(vm.hub.capabilities(live.connection_id).account_actions))).enabled
            vm.rename("Twice?")  # while a question is open nothing else starts
            vm.confirm(False)
            assert await declined is None
            assert requests["PATCH /accounts/{account_id}"] == 0
            renamed = vm.rename("Pension")
            vm.confirm(True)
            assert (await renamed).name == "Pension"
            assert requests["PATCH /accounts/{account_id}"] == 1
            closing = vm.close_account()
            vm.confirm(True)
            result = await closing
            assert result.status is OrderStatus.PENDING
            assert requests["DELETE /accounts/{account_id}"] == 1
            await vm.aclose()

    qrun(scenario(), timeout=60)
