"""settings.json as a person or a broken disk may leave it: read what can be read, keep
the file as it was under a timestamped name, say so; never raise."""

from __future__ import annotations

import json

import pytest

from desktop_app.storage import paths
from desktop_app.storage.settings import Settings


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"\xff\xfe{\x00}", "not UTF-8 text: byte 0 is 0xff"),
        (b'{"theme": "caf\xe9"}', "not UTF-8 text"),
        (b"[" * 100_000, "nested too deeply"),
        (b'{"a":' * 100_000, "nested too deeply"),
        (b"", "Expecting value"),
        (b"null", "does not hold a settings object"),
    ],
    ids=["utf16-bom", "latin1", "lists-100000", "objects-100000", "empty", "null"],
)
def test_unreadable_file_is_moved_aside_with_defaults(content: bytes, why: str) -> None:
    path = paths.settings_path()
    path.write_bytes(content)
    settings = Settings.load()
    [aside] = path.parent.glob("settings.damaged-*.json")
    assert aside.read_bytes() == content
    assert why in settings.load_warning and aside.name in settings.load_warning
    assert settings.profiles == [] and not path.exists()
    settings.save()
    assert Settings.load().load_warning == ""


def test_an_id_with_a_colon_is_skipped_the_rest_kept_and_the_file_copied() -> None:
    good = {"connection_id": "capital-1", "broker": "capital", "name": "Mine"}
    bad = {"connection_id": "my:capital", "broker": "capital", "name": "Edited"}
    text = json.dumps({"version": 1, "profiles": [bad, good], "theme": "light"})
    path = paths.settings_path()
    path.write_text(text, encoding="utf-8")
    settings = Settings.load()
    assert [p.connection_id for p in settings.profiles] == ["capital-1"]
    assert settings.theme == "light"
    [copy] = path.parent.glob("settings.original-*.json")
    assert copy.read_text(encoding="utf-8") == text
    assert "'my:capital' contains ':'" in settings.load_warning
    assert copy.name in settings.load_warning


def test_a_folder_where_the_file_should_be_gives_defaults() -> None:
    paths.settings_path().mkdir()
    settings = Settings.load()
    assert "could not be read" in settings.load_warning and settings.profiles == []
