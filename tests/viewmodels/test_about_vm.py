"""What Help → About is made of: licences read from package metadata, the app's folders."""

from __future__ import annotations

import email.message

import shiboken6
from PySide6.QtCore import QObject

from desktop_app import __version__
from desktop_app.viewmodels.about_vm import (
    AboutViewModel,
    about_facts,
    dependency_licences,
    licence_of,
)


def _meta(**fields: str | list[str]) -> email.message.Message:
    meta = email.message.Message()
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            meta[key.replace("_", "-")] = item
    return meta


def test_licence_prefers_the_spdx_expression_then_a_short_field_then_classifiers() -> None:
    assert licence_of(_meta(License_Expression="MIT", License="BSD")) == "MIT"
    assert licence_of(_meta(License="BSD-3-Clause")) == "BSD-3-Clause"
    full_text = "Copyright (c) 2024\n\nPermission is hereby granted, free of charge, ..."
    classifiers = ["License :: OSI Approved :: MIT License", "Programming Language :: Python"]
    assert licence_of(_meta(License=full_text, Classifier=classifiers)) == "MIT License"
    assert licence_of(_meta(License="UNKNOWN")) == "not stated"
    assert licence_of(_meta()) == "not stated"


def test_dependencies_are_the_installed_ones_without_extras() -> None:
    deps = {d.name.lower(): d for d in dependency_licences()}
    # Direct and transitive requirements of the app, each once.
    for name in ("pyside6_essentials", "shiboken6", "httpx", "httpcore", "starlette", "numpy"):
        assert name in deps, sorted(deps)
    assert deps["httpx"].licence == "BSD-3-Clause"
    # The test extra is not the app's dependency; the app is not its own.
    assert not {"pytest", "pytest-qt", "ruff", "trading-dashboard"} & set(deps)
    assert [d.name.lower() for d in dependency_licences()] == sorted(deps)


def test_an_app_not_installed_as_a_package_lists_nothing() -> None:
    assert dependency_licences("no-such-distribution-here") == []


def test_facts_name_the_version_and_the_folders(isolated_dirs) -> None:
    facts = about_facts()
    assert facts.version == __version__
    assert facts.log_dir == isolated_dirs / "logs"
    assert facts.config_dir == isolated_dirs / "config"
    assert facts.data_dir == isolated_dirs / "data"
    assert not facts.bundled
    text = facts.as_text()
    assert f"Trading Dashboard {__version__}" in text and str(isolated_dirs / "logs") in text


def test_licences_read_after_the_dialog_is_gone_reach_nobody(qapp, qrun) -> None:
    async def scenario():
        owner = QObject()
        vm = AboutViewModel(owner)
        got: list[object] = []
        vm.licencesReady.connect(got.append)
        task = vm.load()
        shiboken6.delete(owner)  # the dialog closed with the main window, mid-read
        await task
        assert got == []

    qrun(scenario())  # the qrun fixture fails the test on any error in the loop


def test_licences_arrive_once_read(qapp, qrun) -> None:
    async def scenario():
        vm = AboutViewModel()
        got: list[list] = []
        vm.licencesReady.connect(got.append)
        await vm.load()
        assert len(got) == 1 and got[0] == vm.licences and vm.licences
        assert "httpx" in vm.report_text()

    qrun(scenario())
