"""The freedesktop files: the launcher entry and the AppStream metadata say what the app
really is (command, icon, id, version), validate, and install with the icon."""

from __future__ import annotations

import configparser
import os
import shutil
import stat
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from desktop_app import APP_ID, __version__
from desktop_app.ui.app_icon import ICON_SIZES, ICON_THEME_DIR

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "packaging" / "linux"
DESKTOP = LINUX / f"{APP_ID}.desktop"
METAINFO = LINUX / f"{APP_ID}.metainfo.xml"
INSTALL = LINUX / "install.sh"
COMMAND = "trading-dashboard"

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="freedesktop: Linux")


def desktop_entry(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def validator(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        package = {"desktop-file-validate": "desktop-file-utils", "appstreamcli": "appstream"}
        pytest.skip(f"{name} is not installed (apt-get install {package[name]}); CI installs it")
    return path


def validate_desktop(path: Path) -> None:
    done = subprocess.run([validator("desktop-file-validate"), str(path)],
                          capture_output=True, text=True, timeout=60)
    # It prints hints as well as errors; only errors make it exit non-zero.
    assert done.returncode == 0, done.stdout + done.stderr


def validate_metainfo(path: Path) -> None:
    done = subprocess.run([validator("appstreamcli"), "validate", "--no-net", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_launcher_runs_the_installed_command_with_the_app_icon() -> None:
    entry = desktop_entry(DESKTOP)
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert COMMAND in scripts  # the name pip installs the entry point under
    assert entry["Exec"] == COMMAND and entry["TryExec"] == COMMAND
    assert entry["Icon"] == APP_ID
    assert entry["Type"] == "Application" and entry["Terminal"] == "false"
    # X11 WM_CLASS instance of the window is the executable's name (seen with xprop).
    assert entry["StartupWMClass"] == COMMAND
    assert (ICON_THEME_DIR / "scalable" / "apps" / f"{APP_ID}.svg").is_file()


def test_the_metainfo_describes_this_app() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == DESKTOP.name
    assert root.find("launchable").get("type") == "desktop-id"
    assert root.findtext("provides/binary") == COMMAND
    newest = root.find("releases/release")
    assert newest is not None and newest.get("version") == __version__


def test_the_desktop_entry_validates() -> None:
    validate_desktop(DESKTOP)


def test_the_metainfo_validates() -> None:
    validate_metainfo(METAINFO)


def test_a_broken_entry_does_not_validate(tmp_path) -> None:
    """The validator is really consulted: an entry without Name fails."""
    broken = tmp_path / f"{APP_ID}.desktop"
    broken.write_text(DESKTOP.read_text().replace("Name=Trading Dashboard\n", ""))
    with pytest.raises(AssertionError):
        validate_desktop(broken)


def installed_files(prefix: Path) -> list[Path]:
    share = prefix / "share"
    files = [share / "applications" / DESKTOP.name, share / "metainfo" / METAINFO.name,
             share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"]
    files += [share / "icons" / "hicolor" / f"{n}x{n}" / "apps" / f"{APP_ID}.png"
              for n in ICON_SIZES]
    return files


def run_install(*args: str | Path, script: Path = INSTALL) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    done = subprocess.run(["sh", str(script), *map(str, args)], capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@linux_only
def test_install_script_installs_the_launcher_metadata_and_icons(tmp_path) -> None:
    """For a pip install: the launcher runs this environment's command, by absolute path."""
    command = shutil.which(COMMAND, path=str(Path(sys.executable).parent))
    assert command
    prefix = tmp_path / "prefix with space"
    run_install("--prefix", prefix, "--exec", command)
    for path in installed_files(prefix):
        assert path.is_file(), path
    desktop = prefix / "share" / "applications" / DESKTOP.name
    entry = desktop_entry(desktop)
    assert entry["Icon"] == APP_ID
    assert entry["TryExec"] == str(Path(command).resolve())
    validate_desktop(desktop)
    validate_metainfo(prefix / "share" / "metainfo" / METAINFO.name)
    # What a desktop does with Exec=: run it (here with --version).
    done = subprocess.run([entry["Exec"].strip('"'), "--version"], capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.strip() == f"{COMMAND} {__version__}"

    run_install("--prefix", prefix, "--uninstall")
    assert not any(path.exists() for path in installed_files(prefix))


@linux_only
def test_install_script_installs_a_bundle_folder(tmp_path) -> None:
    """Run from inside an app folder, the script copies the folder under the prefix and
    points the launcher at it. A stand-in folder with the bundle's layout: CI runs the
    same script in the real PyInstaller bundle."""
    bundle = tmp_path / "unpacked" / COMMAND
    icons = bundle / "_internal" / "desktop_app" / "resources" / "icons"
    shutil.copytree(ICON_THEME_DIR, icons / "hicolor")
    for source in (INSTALL, DESKTOP, METAINFO):
        shutil.copy2(source, bundle / source.name)
    executable = bundle / COMMAND
    executable.write_text(f"#!/bin/sh\necho '{COMMAND} {__version__} (stand-in)'\n")
    executable.chmod(executable.stat().st_mode | stat.S_IXUSR)

    prefix = tmp_path / "prefix"
    run_install("--prefix", prefix, script=bundle / INSTALL.name)
    for path in installed_files(prefix):
        assert path.is_file(), path
    lib = prefix / "lib" / COMMAND
    link = prefix / "bin" / COMMAND
    assert (lib / COMMAND).is_file() and link.is_symlink()
    assert link.resolve() == (lib / COMMAND).resolve()
    entry = desktop_entry(prefix / "share" / "applications" / DESKTOP.name)
    assert entry["Exec"] == str(link)
    validate_desktop(prefix / "share" / "applications" / DESKTOP.name)
    done = subprocess.run([entry["Exec"]], capture_output=True, text=True, timeout=30)
    assert "(stand-in)" in done.stdout

    # A second install replaces the first; uninstall removes the folder and the link.
    run_install("--prefix", prefix, script=bundle / INSTALL.name)
    run_install("--prefix", prefix, "--uninstall", script=bundle / INSTALL.name)
    assert not lib.exists() and not link.exists()
    assert not any(path.exists() for path in installed_files(prefix))
