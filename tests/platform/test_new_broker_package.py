"""Adding a broker is its own two folders and one line: a throw-away broker package in a
temporary folder joins the registry tuple and is then in the registry, the connections
dialog's broker list, the Sandbox and the contract suite, with no other file edited."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from desktop_app.brokers import registry
from tests.contract import scenarios
from tests.platform.fake_broker_files import FILES


@pytest.fixture
def fake_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for name, text in FILES.items():
        path = tmp_path / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path / "pkg"))
    from fakebroker.spec import SPEC  # type: ignore[import-not-found]

    # The one line: the spec joins the registry's tuple.
    monkeypatch.setattr(registry, "SPECS", (*registry.SPECS, SPEC))
    yield SPEC
    for module in [m for m in sys.modules if m == "fakebroker" or m.startswith("fakebroker.")]:
        del sys.modules[module]


def test_a_new_broker_is_everywhere_from_its_spec(fake_spec, run) -> None:
    from desktop_app.sandbox import Sandbox, sandbox_brokers
    from desktop_app.session.hub import Hub
    from desktop_app.storage.journal import Journal
    from desktop_app.storage.secrets import SecretStore
    from desktop_app.storage.settings import Settings

    assert registry.get_spec("fakebroker") is fake_spec
    assert "fakebroker" in sandbox_brokers()
    hub = Hub(settings=Settings.load(), secrets=SecretStore(), journal=Journal())
    assert "Fake Broker" in [b.display_name for b in hub.brokers()]

    async def sandbox() -> list[str]:
        box = await Sandbox.start(announce=False)
        try:
            profiles = [p for p, _ in box.connections()]
            fake = next(p for p in profiles if p.broker == "fakebroker")
            credentials = dict(next(c for p, c in box.connections() if p.broker == "fakebroker"))
            await hub.start()
            await hub.add_connection(fake, credentials, persist=False)
            await scenarios.until("its account", lambda: [
                a for a in hub.accounts() if a.ref.broker == "fakebroker"])
            return [a.ref.account_id for a in hub.accounts() if a.ref.broker == "fakebroker"]
        finally:
            await hub.stop()
            hub.journal.close()
            await box.stop()

    assert run(sandbox(), timeout=60) == ["FB-1"]
    # The whole contract suite, on its own simulator.
    assert run(scenarios.run_all(fake_spec), timeout=120) == [
        s.__name__ for s in scenarios.SCENARIOS]
