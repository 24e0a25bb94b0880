import threading
from pathlib import Path

import keyring.backend
import keyring.errors
import pytest
from keyring.backends import fail, null

from desktop_app.storage.secrets import SERVICE_NAME, SecretStore


class DictKeyring(keyring.backend.KeyringBackend):
    """A keyring plugin holding entries in a dict: stands in for the OS keyring."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.threads: set[int] = set()
        self.locked = False

    def get_password(self, service: str, username: str) -> str | None:
        self.threads.add(threading.get_ident())
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.threads.add(threading.get_ident())
        if self.locked:
            raise keyring.errors.KeyringLocked("collection is locked")
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.entries[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError("not found") from None


def _files_containing(root: Path, needle: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


def test_memory_mode_from_env_works_and_warns(isolated_dirs: Path) -> None:
    store = SecretStore()
    assert not store.persistent
    assert "will not be remembered after you quit" in store.warning
    assert "gnome-keyring" in store.warning
    store.set("cap-1", "password", "s3cret-PASS")
    store.set("cap-1", "api_key", "KEY-123456")
    assert store.get("cap-1", "password") == "s3cret-PASS"
    assert store.get_many("cap-1", ["password", "api_key", "nope"]) == {
        "password": "s3cret-PASS",
        "api_key": "KEY-123456",
    }
    store.delete("cap-1", "password")
    assert store.get("cap-1", "password") is None
    store.delete_all("cap-1")
    assert store.get("cap-1", "api_key") is None
    # Memory mode means memory: nothing was written to any file.
    assert _files_containing(isolated_dirs, "KEY-123456") == []


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()])
def test_fail_and_null_backends_fall_back_to_memory(monkeypatch, backend) -> None:
    monkeypatch.delenv("TRADING_DASHBOARD_KEYRING")
    store = SecretStore(backend=backend)
    assert not store.persistent
    assert store.warning.startswith("Secrets will not be remembered after you quit")
    store.set("c", "password", "pw")
    assert store.get("c", "password") == "pw"


def test_real_backend_gets_service_and_keys(monkeypatch) -> None:
    monkeypatch.delenv("TRADING_DASHBOARD_KEYRING")
    ring = DictKeyring()
    store = SecretStore(backend=ring)
    assert store.persistent and store.warning == ""
    store.set_many("cap-1", {"api_key": "AK", "password": "PW"})
    assert ring.entries[(SERVICE_NAME, "cap-1:api_key")] == "AK"
    assert ring.entries[(SERVICE_NAME, "cap-1:password")] == "PW"
    store.set("cap-2", "password", "OTHER")
    store.delete_all("cap-1")
    assert [k for k in ring.entries if k[1].startswith("cap-1:")] == []
    assert store.get("cap-2", "password") == "OTHER"
    # A second store (the next run) reads what the first one saved.
    assert SecretStore(backend=ring).get("cap-2", "password") == "OTHER"


def test_locked_keyring_falls_back_for_this_run(monkeypatch) -> None:
    monkeypatch.delenv("TRADING_DASHBOARD_KEYRING")
    ring = DictKeyring()
    ring.locked = True
    store = SecretStore(backend=ring)
    assert store.persistent
    store.set("cap-1", "password", "PW")
    assert not store.persistent
    assert "refused access" in store.warning and "KeyringLocked" in store.warning
    assert store.get("cap-1", "password") == "PW"
    assert ring.entries == {}


def test_connection_ids_cannot_forge_keys() -> None:
    with pytest.raises(ValueError):
        SecretStore().set("a:b", "password", "x")


def test_async_wrappers_run_keyring_off_the_loop_thread(monkeypatch, run) -> None:
    monkeypatch.delenv("TRADING_DASHBOARD_KEYRING")
    ring = DictKeyring()
    store = SecretStore(backend=ring)

    async def go() -> dict[str, str]:
        await store.aset_many("c", {"password": "PW", "api_key": "AK"})
        assert await store.aget("c", "password") == "PW"
        await store.adelete("c", "password")
        got = await store.aget_many("c", ["password", "api_key"])
        await store.adelete_all("c")
        return got

    assert run(go()) == {"api_key": "AK"}
    assert ring.threads and threading.get_ident() not in ring.threads
    assert ring.entries == {}
