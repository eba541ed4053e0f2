"""Render resources/icons/spocdesk.svg to the PNG and the multi-size ICO the bundle ships.

    .venv/bin/python installer/make_icon.py

The SVG is the source; the PNG (256 px, Linux menus and the window icon) and the ICO (Windows
executable and Start menu) are committed so a build needs no rendering.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(renderer: QSvgRenderer, size: int) -> bytes:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data)


def ico(images: dict[int, bytes]) -> bytes:
    """An ICO file whose entries are PNGs (Windows Vista and later read them at every size)."""
    header = struct.pack("<HHH", 0, 1, len(images))
    entries, offset = b"", 6 + 16 * len(images)
    for size, png in images.items():
        dim = 0 if size >= 256 else size  # 0 means 256 in an ICO directory entry
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(png), offset)
        offset += len(png)
    return header + entries + b"".join(images.values())


def main() -> int:
    application = QGuiApplication(sys.argv[:1])  # QImage and QPainter need a Gui application
    renderer = QSvgRenderer(str(ICONS / "spocdesk.svg"))
    if not renderer.isValid():
        print("make_icon: spocdesk.svg does not render", file=sys.stderr)
        return 1
    images = {size: render(renderer, size) for size in ICO_SIZES}
    del application
    (ICONS / "spocdesk.png").write_bytes(images[256])
    (ICONS / "spocdesk.ico").write_bytes(ico(images))
    print(f"wrote {ICONS / 'spocdesk.png'} and {ICONS / 'spocdesk.ico'} ({', '.join(map(str, ICO_SIZES))} px)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
