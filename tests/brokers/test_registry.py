"""The broker registry's Capital.com entry."""

from __future__ import annotations

import pytest

from desktop_app.brokers.registry import broker_specs, get_spec
from desktop_app.domain.config import ConnectionProfile
from desktop_app.domain.errors import NotSupported
from desktop_app.domain.service import BrokerService
from desktop_app.domain.types import Environment
from desktop_app.net.limiter import RateLimiter
from desktop_app.net.request_log import RequestLog


def test_capital_entry_describes_its_login_form() -> None:
    spec = get_spec("capital")
    assert spec in broker_specs()
    assert spec.display_name == "Capital.com"
    assert spec.environments == (Environment.DEMO, Environment.LIVE)
    secret = {f.name: f.secret for f in spec.credential_fields}
    assert secret == {
        "identifier": False, "api_key": True, "password": True, "encrypted_login": False,
    }


def test_capital_entry_creates_a_broker_service(run) -> None:
    profile = ConnectionProfile(
        "c1", "capital", "Demo", fields={"identifier": "me@example.com"}
    )
    service = get_spec("capital").create(
        profile, {"api_key": "k" * 16, "password": "p" * 10}, RequestLog()
    )
    assert isinstance(service, BrokerService)
    assert isinstance(service.limiter, RateLimiter)
    assert service.connection_id == "c1"
    assert service.client.http.client.base_url.host == "demo-api-capital.backend-capital.com"
    run(service.close())


def test_unknown_broker() -> None:
    with pytest.raises(NotSupported):
        get_spec("nobody")


@pytest.mark.parametrize(("broker", "host", "fields", "secrets"), [
    ("capital", "https://api-capital.backend-capital.com/api/v1",
     {"identifier": "me@example.com"}, {"api_key": "k" * 16, "password": "p" * 10}),
    ("tradovate", "https://live.tradovateapi.com/v1",
     {"name": "me", "app_id": "a", "cid": "1"}, {"password": "p" * 10, "sec": "s" * 10}),
])
def test_the_brokers_live_host_makes_its_accounts_live_whatever_the_label(
    broker, host, fields, secrets, run
) -> None:
    """A demo profile pointed at a broker's live server (the connections dialog's server
    URL) reaches live accounts: they are listed LIVE, so the hub refuses the profile."""
    profile = ConnectionProfile("c1", broker, "Mislabelled", fields=fields, base_url=host)
    service = get_spec(broker).create(profile, secrets, RequestLog())
    assert profile.environment is Environment.DEMO
    assert service.served_environment is Environment.LIVE
    run(service.close())
