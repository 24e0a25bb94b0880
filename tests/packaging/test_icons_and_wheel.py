"""The icon set: generated from the source SVG, current, and shipped in the wheel."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

from PySide6.QtGui import QImage

from desktop_app import APP_ID
from desktop_app.ui.app_icon import ICON_SIZES, ICON_THEME_DIR, icon_file

ROOT = Path(__file__).resolve().parents[2]
SOURCE_SVG = ROOT / "resources" / "icons" / "trading-dashboard.svg"


def make_icons():
    """packaging/make_icons.py as a module (packaging/ is not a package)."""
    path = ROOT / "packaging" / "make_icons.py"
    spec = importlib.util.spec_from_file_location("make_icons", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_runtime_svg_is_the_source_art() -> None:
    runtime = ICON_THEME_DIR / "scalable" / "apps" / f"{APP_ID}.svg"
    assert runtime.read_bytes() == SOURCE_SVG.read_bytes()


def test_each_png_is_the_svg_drawn_at_its_size(qapp) -> None:
    """Catches an SVG changed without running packaging/make_icons.py again. A small
    tolerance leaves room for anti-aliasing that differs between Qt versions."""
    tool = make_icons()
    assert tuple(tool.PNG_SIZES) == ICON_SIZES
    for size in ICON_SIZES:
        committed = QImage(str(icon_file(size))).convertToFormat(QImage.Format.Format_ARGB32)
        assert (committed.width(), committed.height()) == (size, size)
        fresh = tool.render(SOURCE_SVG, size).convertToFormat(QImage.Format.Format_ARGB32)
        diff = total = 0
        for y in range(size):
            for x in range(size):
                a, b = committed.pixelColor(x, y), fresh.pixelColor(x, y)
                diff += sum(abs(p - q) for p, q in zip(a.getRgb(), b.getRgb(), strict=True))
                total += 4
        assert diff / total < 2.0, f"{size}x{size} differs from the SVG: run make_icons.py"
        # Transparent corner, opaque middle: the tile, not an empty or square image.
        assert committed.pixelColor(0, 0).alpha() == 0
        assert committed.pixelColor(size // 2, size // 2).alpha() == 255


def test_the_wheel_ships_the_icon_set(tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-q", "-w", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    wheels = list(tmp_path.glob("trading_dashboard-*.whl"))
    assert len(wheels) == 1, wheels
    names = set(zipfile.ZipFile(wheels[0]).namelist())
    prefix = "desktop_app/resources/icons/hicolor"
    expected = {f"{prefix}/{n}x{n}/apps/{APP_ID}.png" for n in ICON_SIZES}
    expected.add(f"{prefix}/scalable/apps/{APP_ID}.svg")
    assert expected <= names, sorted(expected - names)
    # The wheel's copies are the committed files, byte for byte.
    with zipfile.ZipFile(wheels[0]) as wheel:
        assert wheel.read(f"{prefix}/256x256/apps/{APP_ID}.png") == icon_file(256).read_bytes()
