"""Generate the app's icon set from the source art.

    python packaging/make_icons.py

reads ``resources/icons/trading-dashboard.svg`` and writes, inside the package (so the
wheel and the bundle carry them), a freedesktop ``hicolor`` tree named after the app id:

    desktop_app/resources/icons/hicolor/scalable/apps/<APP_ID>.svg
    desktop_app/resources/icons/hicolor/<N>x<N>/apps/<APP_ID>.png   N = 16 ... 256

The PNGs are rendered by Qt's own SVG renderer (QSvgRenderer), the one that draws the
icon at run time too. Commit what it writes; run it again whenever the SVG changes.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parent.parent
SOURCE_SVG = ROOT / "resources" / "icons" / "trading-dashboard.svg"
HICOLOR = ROOT / "desktop_app" / "resources" / "icons" / "hicolor"
PNG_SIZES = (16, 32, 48, 64, 128, 256)


def render(svg: Path, size: int) -> QImage:
    """The SVG drawn on a transparent square of ``size`` pixels (a QGuiApplication must
    exist)."""
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"Qt cannot read {svg}")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    from PySide6.QtGui import QGuiApplication

    from desktop_app import APP_ID

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    scalable = HICOLOR / "scalable" / "apps"
    scalable.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SOURCE_SVG, scalable / f"{APP_ID}.svg")
    for size in PNG_SIZES:
        try:
            image = render(SOURCE_SVG, size)
        except ValueError as exc:
            print(f"make_icons: {exc}", file=sys.stderr)
            return 1
        target = HICOLOR / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(target), "PNG"):
            print(f"make_icons: could not write {target}", file=sys.stderr)
            return 1
        print(f"{target.relative_to(ROOT)}: {size}x{size}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
