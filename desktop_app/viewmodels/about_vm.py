"""What Help → About shows: the versions the app runs on, where it keeps its files, and the
licences of what it is built from (read from the installed packages' metadata)."""

from __future__ import annotations

import asyncio
import platform
import re
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import PySide6
import shiboken6
from PySide6.QtCore import QObject, Signal, qVersion

from desktop_app import APP_DISPLAY_NAME, __version__
from desktop_app.storage import paths
from desktop_app.viewmodels.tasks import TaskRunner

DISTRIBUTION = "trading-dashboard"
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
# A License field longer than this is the licence's full text, not its name.
_SHORT_LICENCE = 60


@dataclass(frozen=True)
class DependencyLicence:
    name: str
    version: str
    licence: str


@dataclass(frozen=True)
class AboutFacts:
    version: str
    qt_version: str
    pyside_version: str
    python_version: str
    platform: str
    config_dir: Path
    data_dir: Path
    log_dir: Path
    bundled: bool

    def as_text(self) -> str:
        """The facts as plain lines, for a bug report."""
        return "\n".join(
            (
                f"{APP_DISPLAY_NAME} {self.version}" + (" (bundle)" if self.bundled else ""),
                f"Qt {self.qt_version}, PySide6 {self.pyside_version}",
                f"Python {self.python_version}",
                f"Platform: {self.platform}",
                f"Settings: {self.config_dir}",
                f"Data: {self.data_dir}",
                f"Logs: {self.log_dir}",
            )
        )


def about_facts() -> AboutFacts:
    return AboutFacts(
        version=__version__,
        qt_version=qVersion(),
        pyside_version=PySide6.__version__,
        python_version=f"{platform.python_version()} ({platform.python_implementation()})",
        platform=platform.platform(terse=True),
        config_dir=paths.config_dir(create=False),
        data_dir=paths.data_dir(create=False),
        log_dir=paths.log_dir(create=False),
        bundled=bool(getattr(sys, "frozen", False)),
    )


def licence_of(meta: metadata.PackageMetadata) -> str:
    """A distribution's licence as its metadata states it: the SPDX expression (PEP 639),
    else a short License field, else the trove classifiers, else 'not stated'."""
    expression = (meta.get("License-Expression") or "").strip()
    if expression:
        return expression
    field = (meta.get("License") or "").strip()
    if field and "\n" not in field and len(field) <= _SHORT_LICENCE and field != "UNKNOWN":
        return field
    classifiers = [
        c.split(" :: ")[-1]
        for c in meta.get_all("Classifier") or []
        if c.startswith("License :: ") and c.count(" :: ") >= 1
    ]
    classifiers = [c for c in classifiers if c != "OSI Approved"]
    if classifiers:
        return " / ".join(dict.fromkeys(classifiers))
    return "not stated"


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def dependency_licences(root: str = DISTRIBUTION) -> list[DependencyLicence]:
    """Every installed distribution ``root`` depends on (transitively, extras left out),
    with its version and licence, sorted by name. Empty when ``root`` is not installed
    (run from a source tree) or its metadata was not shipped."""
    try:
        metadata.distribution(root)
    except metadata.PackageNotFoundError:
        return []
    seen: dict[str, DependencyLicence] = {}
    queue = [root]
    while queue:
        dist_name = queue.pop()
        try:
            dist = metadata.distribution(dist_name)
        except metadata.PackageNotFoundError:
            continue  # a requirement whose marker excludes this platform
        for requirement in dist.requires or []:
            marker = requirement.partition(";")[2]
            if "extra" in marker:
                continue
            match = _NAME.match(requirement)
            if match and _key(match.group(1)) not in seen and _key(match.group(1)) != root:
                name = match.group(1)
                try:
                    dep = metadata.distribution(name)
                except metadata.PackageNotFoundError:
                    continue
                seen[_key(name)] = DependencyLicence(
                    dep.metadata["Name"] or name, dep.version, licence_of(dep.metadata)
                )
                queue.append(name)
    return sorted(seen.values(), key=lambda d: d.name.lower())


class AboutViewModel(QObject):
    """``facts`` at once; ``licencesReady(list[DependencyLicence])`` once ``load()`` has read
    the package metadata (on a worker thread: it walks every installed distribution)."""

    licencesReady = Signal(list)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.facts = about_facts()
        self.licences: list[DependencyLicence] | None = None
        self.tasks = TaskRunner(self)

    def load(self) -> asyncio.Task[list[DependencyLicence]]:
        def done(licences: list[DependencyLicence]) -> None:
            if not shiboken6.isValid(self):  # the dialog (and this) went while reading
                return
            self.licences = licences
            self.licencesReady.emit(licences)

        return self.tasks.start(asyncio.to_thread(dependency_licences), on_result=done)

    def report_text(self) -> str:
        lines = [self.facts.as_text()]
        if self.licences:
            lines.append("Dependencies:")
            lines += [f"  {d.name} {d.version}: {d.licence}" for d in self.licences]
        return "\n".join(lines)

    async def aclose(self) -> None:
        await self.tasks.aclose()
