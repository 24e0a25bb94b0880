import json
from pathlib import Path

import pytest

from desktop_app.domain.config import ConnectionProfile
from desktop_app.domain.types import AccountRef, Environment
from desktop_app.storage import paths
from desktop_app.storage.settings import SETTINGS_VERSION, Settings


def _profile(cid: str = "cap-1", **kw) -> ConnectionProfile:
    return ConnectionProfile(
        connection_id=cid,
        broker="capital",
        name=kw.pop("name", "My Capital demo"),
        environment=kw.pop("environment", Environment.DEMO),
        fields=kw.pop("fields", {"identifier": "trader@example.com"}),
        **kw,
    )


def test_paths_follow_the_home_override(isolated_dirs: Path) -> None:
    assert paths.config_dir() == isolated_dirs / "config"
    assert paths.data_dir() == isolated_dirs / "data"
    assert paths.settings_path().parent.is_dir()


def test_round_trip_keeps_every_setting() -> None:
    s = Settings.load()
    assert s.profiles == [] and s.load_warning == ""
    s.upsert_profile(_profile(live_opt_in=True, environment=Environment.LIVE))
    s.upsert_profile(_profile("sandbox", base_url="http://127.0.0.1:1/api/v1", sandbox=True))
    s.set_theme("light")
    s.window_geometry = "AdnQywADAAA="
    s.window_state = "AAAA/wAAAAD9"
    s.selected_account = AccountRef("cap-1", "capital", "12345")
    s.set_pref("positions.columns", ["symbol", "size", "pl"])
    s.save()

    again = Settings.load()
    assert again.profiles == s.profiles
    assert again.profiles[0].environment is Environment.LIVE and again.profiles[0].live_opt_in
    assert again.profiles[1].sandbox and again.profiles[1].base_url == "http://127.0.0.1:1/api/v1"
    assert again.theme == "light"
    assert (again.window_geometry, again.window_state) == ("AdnQywADAAA=", "AAAA/wAAAAD9")
    assert again.selected_account == AccountRef("cap-1", "capital", "12345")
    assert again.get_pref("positions.columns") == ["symbol", "size", "pl"]
    data = json.loads(paths.settings_path().read_text())
    assert data["version"] == SETTINGS_VERSION


def test_upsert_replaces_and_remove_clears_selection() -> None:
    s = Settings()
    s.upsert_profile(_profile())
    s.upsert_profile(_profile(name="renamed"))
    assert [p.name for p in s.profiles] == ["renamed"]
    s.selected_account = AccountRef("cap-1", "capital", "1")
    assert s.remove_profile("cap-1")
    assert s.profiles == [] and s.selected_account is None
    assert not s.remove_profile("cap-1")


def test_theme_and_prefs_are_checked() -> None:
    s = Settings()
    with pytest.raises(ValueError):
        s.set_theme("purple")
    with pytest.raises(TypeError):
        s.set_pref("bad", object())


def test_corrupt_file_is_moved_aside_and_defaults_are_used() -> None:
    path = paths.settings_path()
    path.write_text('{"version": 1, "profiles": [ {"connection_id": "x"', encoding="utf-8")
    s = Settings.load()
    assert s.profiles == []
    [backup] = path.parent.glob("settings.damaged-*.json")
    assert "could not be read" in s.load_warning and backup.name in s.load_warning
    assert backup.read_text().startswith('{"version": 1')
    assert not path.exists()
    s.save()  # the app can go on and write a fresh file
    assert Settings.load().load_warning == ""


def test_wrong_shape_is_corrupt_too() -> None:
    paths.settings_path().write_text("[1, 2, 3]", encoding="utf-8")
    s = Settings.load()
    assert "settings.damaged-" in s.load_warning
    assert len(list(paths.config_dir().glob("settings.damaged-*.json"))) == 1


def test_one_bad_profile_is_skipped_not_everything() -> None:
    good = {"connection_id": "a", "broker": "capital", "name": "A"}
    bad = {"broker": "capital"}  # no id
    paths.settings_path().write_text(
        json.dumps({"version": 1, "profiles": [good, bad], "theme": "light"}), encoding="utf-8"
    )
    s = Settings.load()
    assert [p.connection_id for p in s.profiles] == ["a"]
    assert s.theme == "light"
    assert "skipped" in s.load_warning


def test_newer_format_is_read_leniently_with_a_note() -> None:
    paths.settings_path().write_text(
        json.dumps({"version": SETTINGS_VERSION + 1, "theme": "light", "future": {"x": 1}}),
        encoding="utf-8",
    )
    s = Settings.load()
    assert s.theme == "light"
    assert "newer version" in s.load_warning


def test_missing_file_gives_defaults_silently() -> None:
    s = Settings.load()
    # The theme follows the OS colour scheme until the trader picks dark or light.
    assert (s.theme, s.profiles, s.load_warning) == ("system", [], "")


def test_atomic_write_leaves_no_temp_files() -> None:
    s = Settings()
    for i in range(5):
        s.set_pref("n", i)
        s.save()
    names = sorted(p.name for p in paths.config_dir().iterdir())
    assert names == ["settings.json"]
    assert Settings.load().get_pref("n") == 4


def test_no_secret_value_lands_in_the_file(run) -> None:
    secret_values = {"password": "hunter2-PASSWORD", "api_key": "AK-987654321-SECRET"}
    s = Settings()
    # A caller passing secrets inside the profile's fields by mistake: they are dropped.
    s.upsert_profile(_profile(fields={"identifier": "me@example.com", **secret_values}))
    # And broker-specific secret field names passed by the hub are dropped as well.
    s.upsert_profile(
        _profile("other", fields={"identifier": "x", "pin": "4242-PIN-SECRET"}),
        secret_fields=["pin"],
    )
    s.set_pref("note", "nothing secret")
    run(s.save_async())
    text = paths.settings_path().read_text()
    for value in [*secret_values.values(), "4242-PIN-SECRET"]:
        assert value not in text
    assert "me@example.com" in text  # the non-secret login field is kept


def test_an_older_save_finishing_late_never_overwrites_a_newer_one(monkeypatch) -> None:
    import asyncio
    import threading

    from desktop_app.storage import settings as settings_module

    real_write = settings_module.atomic_write_text
    release = threading.Event()
    entered = threading.Event()
    calls = {"n": 0}

    def slow_first_write(path, text):
        calls["n"] += 1
        if calls["n"] == 1:  # the async save: hold it until the sync one is done
            entered.set()
            release.wait(5)
        real_write(path, text)

    monkeypatch.setattr(settings_module, "atomic_write_text", slow_first_write)
    s = Settings()
    s.set_theme("dark")

    async def go() -> None:
        task = asyncio.create_task(s.save_async())  # snapshot: dark
        await asyncio.to_thread(entered.wait, 5)
        s.set_theme("light")
        # The sync save would block on the writer lock held by the slow thread.
        sync = asyncio.get_running_loop().run_in_executor(None, s.save)
        await asyncio.sleep(0.05)
        release.set()
        await task
        await sync

    asyncio.run(go())
    assert Settings.load(s.path).theme == "light"
