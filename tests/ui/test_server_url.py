"""The connections dialog's "Advanced: server URL": the broker's documented host as the
placeholder (per environment), validated as a URL (http only to this computer), stored
in the profile's ``base_url`` and used: a profile pointed at a standalone simulator
connects to it."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit, QPushButton

from desktop_app.brokers.capital.client import base_url_for as capital_url
from desktop_app.brokers.darwinex.client import BASE_URL as DARWINEX_URL
from desktop_app.brokers.lwork.client import DEFAULT_URL as LWORK_URL
from desktop_app.brokers.registry import broker_specs
from desktop_app.brokers.tradovate.client import base_url_for as tradovate_url
from desktop_app.brokers.upvest.connection import LIVE_URL as UPVEST_LIVE_URL
from desktop_app.brokers.upvest.connection import SANDBOX_URL as UPVEST_SANDBOX_URL
from desktop_app.domain.types import Environment
from desktop_app.session.events import ConnectionState
from desktop_app.storage.settings import Settings
from desktop_app.viewmodels.server_url import is_loopback, normalized, url_error
from tests.ui.harness import find, running_window
from tests.viewmodels.sandbox import wait_for

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.mark.parametrize("text", [
    "", "https://demo-api-capital.backend-capital.com/api/v1", "http://127.0.0.1:8801/api/v1",
    "http://localhost:8801", "http://[::1]:8801/x", "https://10.0.0.5:8443/api/",
    "HTTPS://Example.COM/v1",
])
def test_good_urls(text: str) -> None:
    assert url_error(text) == ""


@pytest.mark.parametrize(("text", "said"), [
    ("http://example.com/api", "http:// is allowed only for this computer"),
    ("http://192.168.1.10:8801", "192.168.1.10 must use https://"),
    ("ftp://example.com", "must start with https://"),
    ("example.com/api", "must start with https://"),
    ("https://", "must start with https://"),
    ("https://user:pw@example.com", "cannot carry a user name or password"),
    ("https://example.com:70000", "port must be a number from 1 to 65535"),
    ("https://example.com:0", "port must be a number from 1 to 65535"),
    ("https://example.com/a?x=1", "cannot have a ? query"),
    ("https://exa mple.com", "cannot hold spaces"),
])
def test_bad_urls_are_refused_with_a_reason(text: str, said: str) -> None:
    assert said in url_error(text)


def test_loopback_and_normal_form() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("LOCALHOST")
    assert is_loopback("api.localhost") and not is_loopback("localhost.example.com")
    assert not is_loopback("10.0.0.1")
    assert normalized(" http://127.0.0.1:1/api/ ") == "http://127.0.0.1:1/api"
    assert normalized("  ") is None


def test_the_specs_documented_hosts_are_the_clients_defaults() -> None:
    hosts = {s.broker: dict(s.hosts) for s in broker_specs()}
    for env in (Environment.DEMO, Environment.LIVE):
        assert hosts["capital"][env] == capital_url(env)
    for env in (Environment.DEMO, Environment.LIVE, Environment.REPLAY):
        assert hosts["tradovate"][env] == tradovate_url(env)
    assert set(hosts["darwinex"].values()) == {DARWINEX_URL}
    assert set(hosts["lwork"].values()) == {LWORK_URL}
    assert hosts["upvest"] == {Environment.DEMO: UPVEST_SANDBOX_URL,
                               Environment.LIVE: UPVEST_LIVE_URL}
    for spec in broker_specs():  # every environment a broker offers has its host
        assert set(dict(spec.hosts)) == set(spec.environments), spec.broker


def test_the_dialog_shows_the_host_refuses_a_bad_url_and_saves_a_simulators(
        capital_sim, qtbot, qrun):
    async def scenario():
        async with running_window(capital_sim, qtbot) as window:
            dialog = window.open_profiles()
            broker = find(dialog, QComboBox, "profiles.broker")
            broker.setCurrentIndex(broker.findData("capital"))
            url = find(dialog, QLineEdit, "profiles.baseUrl")
            environment = find(dialog, QComboBox, "profiles.environment")
            assert url.text() == ""
            assert url.placeholderText() == capital_url(Environment.DEMO)
            environment.setCurrentIndex(environment.findData("live"))
            assert url.placeholderText() == capital_url(Environment.LIVE)
            environment.setCurrentIndex(environment.findData("demo"))
            broker.setCurrentIndex(broker.findData("tradovate"))
            assert url.placeholderText() == tradovate_url(Environment.DEMO)
            broker.setCurrentIndex(broker.findData("capital"))

            # A standalone simulator: python -m desktop_app.simulators capital
            find(dialog, QLineEdit, "profiles.name").setText("My simulator")
            for name, value in capital_sim.credentials.items():
                field = dialog.findChild(QLineEdit, f"profiles.field.{name}")
                if field is not None:
                    field.setText(value)
            error = find(dialog, QLabel, "profiles.baseUrlError")
            url.setText(capital_sim.base_url.replace("127.0.0.1", "example.com"))
            assert "http:// is allowed only for this computer" in error.text()
            save = find(dialog, QPushButton, "profiles.saveButton")
            save.click()
            message = find(dialog, QLabel, "profiles.message")
            assert "http:// is allowed only" in message.text()
            assert dialog.focusWidget() in (url, None)
            assert len(window.vm.hub.connections()) == 1  # nothing saved
            url.setText(capital_sim.base_url + "/")
            assert not error.isVisible() or error.text() == ""
            assert dialog.findChild(QCheckBox, "profiles.liveOptIn") is not None
            save.click()
            await wait_for(lambda: any(c.profile.name == "My simulator"
                                       and c.state is ConnectionState.CONNECTED
                                       for c in window.vm.hub.connections()),
                           within=20, what="the simulator's connection")
            mine = next(c.profile for c in window.vm.hub.connections()
                        if c.profile.name == "My simulator")
            assert mine.base_url == capital_sim.base_url  # stored without the slash
            stored = Settings.load(window.vm.settings.path).profile(mine.connection_id)
            assert stored is not None and stored.base_url == capital_sim.base_url
            # Editing it shows its URL.
            form = window.vm.profiles.edit_form(mine.connection_id)
            assert form is not None
            dialog.start_form(form)
            assert url.text() == capital_sim.base_url
            dialog.close()

    qrun(scenario(), timeout=60)
