"""The look: resources/style.qss on the whole application, its colours taken from the palette in
use (light, dark or high contrast), with a focus ring that keeps 3:1 contrast.

`apply(app)` loads it (once; again after the palette changes); `focus_colour(palette)` is the
ring's colour; `contrast(a, b)` the WCAG contrast ratio of two colours."""

from __future__ import annotations

from ui.qt import QtGui, QtWidgets

FOCUS_MIN_CONTRAST = 3.0


def _luminance(colour: QtGui.QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF()) + 0.0722 * channel(colour.blueF())


def contrast(a: QtGui.QColor, b: QtGui.QColor) -> float:
    """The WCAG 2 contrast ratio of two colours (1 to 21)."""
    first, second = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (first + 0.05) / (second + 0.05)


def focus_colour(palette: QtGui.QPalette) -> QtGui.QColor:
    """The palette's highlight if it has 3:1 contrast with both the window and the fields behind
    it; else black or white, whichever contrasts more with the window."""
    role = QtGui.QPalette.ColorRole
    window, base = palette.color(role.Window), palette.color(role.Base)
    highlight = palette.color(role.Highlight)
    if min(contrast(highlight, window), contrast(highlight, base)) >= FOCUS_MIN_CONTRAST:
        return highlight
    black, white = QtGui.QColor("#000000"), QtGui.QColor("#ffffff")
    return black if contrast(black, window) >= contrast(white, window) else white


def stylesheet(palette: QtGui.QPalette) -> str:
    from app.paths import resource_path

    text = resource_path("style.qss").read_text(encoding="utf-8")
    return text.replace("{focus}", focus_colour(palette).name())


def apply(app: QtWidgets.QApplication | None = None) -> str:
    """Load the stylesheet onto the application (again only if the palette changed)."""
    app = app or QtWidgets.QApplication.instance()
    sheet = stylesheet(app.palette())
    if getattr(app, "_spocdesk_sheet", None) != sheet:
        app._spocdesk_sheet = sheet
        app.setStyleSheet(sheet)
    return sheet
