"""Alert preferences and table layouts in the settings file: kept, read leniently (a
hand-edited or older file never stops the app), a kind added later starts on."""

from __future__ import annotations

import json

from desktop_app.storage.settings import (
    ALERT_KINDS,
    DEFAULT_LOST_AFTER,
    MAX_LOST_AFTER,
    MIN_LOST_AFTER,
    AlertPrefs,
    Settings,
)


def test_alert_prefs_round_trip_and_default() -> None:
    s = Settings()
    assert s.alert_prefs() == AlertPrefs()
    assert AlertPrefs().enabled == frozenset(ALERT_KINDS) and not AlertPrefs().sound
    prefs = AlertPrefs(frozenset({"connection_lost"}), sound=True, connection_lost_after=90)
    s.set_alert_prefs(prefs)
    s.save()
    again = Settings.load(s.path)
    assert again.alert_prefs() == prefs
    # What is stored is what is off: a kind added in a later version starts on.
    raw = json.loads(s.path.read_text(encoding="utf-8"))["prefs"]["alerts"]
    assert set(raw["off"]) == set(ALERT_KINDS) - {"connection_lost"}


def test_alert_prefs_are_read_leniently() -> None:
    s = Settings()
    s.prefs["alerts"] = {"off": "all", "sound": "yes", "connection_lost_after": True}
    assert s.alert_prefs() == AlertPrefs(connection_lost_after=DEFAULT_LOST_AFTER)
    s.prefs["alerts"] = {"off": ["no_such_kind"], "connection_lost_after": 10**9}
    assert s.alert_prefs().connection_lost_after == MAX_LOST_AFTER
    assert s.alert_prefs().enabled == frozenset(ALERT_KINDS)
    s.prefs["alerts"] = {"connection_lost_after": 0}
    assert s.alert_prefs().connection_lost_after == MIN_LOST_AFTER
    s.prefs["alerts"] = ["not", "an", "object"]
    assert s.alert_prefs() == AlertPrefs()


def test_table_states_and_reset_layout() -> None:
    s = Settings()
    s.window_state, s.window_geometry = "c3RhdGU=", "Z2VvbWV0cnk="
    s.set_table_states({"positions.table": "abc:AAAA", "accounts.table": "def:BBBB"})
    s.save()
    again = Settings.load(s.path)
    assert again.table_states() == {"positions.table": "abc:AAAA", "accounts.table": "def:BBBB"}
    again.prefs["tables"]["bad"] = 5
    assert "bad" not in again.table_states()
    again.reset_layout()
    assert again.table_states() == {} and again.window_state == again.window_geometry == ""
    assert again.alert_prefs() == AlertPrefs()  # the rest is kept
