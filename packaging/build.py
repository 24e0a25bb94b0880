"""Build the self-contained app folder with PyInstaller and say how big it is and how long
it took.

    pip install -e ".[bundle]"
    python packaging/build.py            -> dist/trading-dashboard/trading-dashboard

Options: --smoke runs ``<bundle>/trading-dashboard --smoke`` afterwards; --archive also
packs the folder as dist/trading-dashboard-<version>-<platform>.tar.gz (zip on Windows).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "trading-dashboard.spec"
DIST = ROOT / "dist"
WORK = ROOT / "build" / "pyinstaller"
NAME = "trading-dashboard"


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def version() -> str:
    text = (ROOT / "desktop_app" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"', text, re.M)
    assert match, "no __version__ in desktop_app/__init__.py"
    return match.group(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="run the bundle's --smoke after")
    parser.add_argument("--archive", action="store_true", help="also pack the folder")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    command = [
        sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
        "--distpath", str(DIST), "--workpath", str(WORK), str(SPEC),
    ]
    print("+", " ".join(command), flush=True)
    done = subprocess.run(command, cwd=ROOT)
    if done.returncode != 0:
        print(f"build: PyInstaller failed (exit {done.returncode})", file=sys.stderr)
        return done.returncode
    took = time.perf_counter() - started
    bundle = DIST / NAME
    executable = bundle / (NAME + (".exe" if sys.platform == "win32" else ""))
    if not executable.is_file():
        print(f"build: no executable at {executable}", file=sys.stderr)
        return 1
    size = folder_size(bundle)
    print(f"bundle: {bundle} ({size / 2**20:.0f} MiB), built in {took:.0f} s", flush=True)

    if args.archive:
        base = DIST / f"{NAME}-{version()}-{platform.system().lower()}-{platform.machine()}"
        archive = shutil.make_archive(
            str(base), "zip" if sys.platform == "win32" else "gztar", DIST, NAME
        )
        print(f"archive: {archive} ({os.path.getsize(archive) / 2**20:.0f} MiB)", flush=True)

    if args.smoke:
        smoke = subprocess.run([str(executable), "--smoke"], timeout=180)
        if smoke.returncode != 0:
            print(f"build: the bundle's --smoke failed (exit {smoke.returncode})", file=sys.stderr)
            return smoke.returncode
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
