"""The look: resources/style.qss on the whole application, its colours taken from the palette in
use (light, dark or high contrast), with a focus ring that keeps 3:1 contrast.

`apply(app)` loads it (once; again after the palette changes); `focus_colour(palette)` is the
ring's colour; `contrast(a, b)` the WCAG contrast ratio of two colours.

Some screens colour their text with GOV.UK's colours (hint grey, error red, success green, link
blue), chosen for a white window. Where one of them falls below 4.5:1 against the window of the
palette in use (on Fusion's light grey a few do; on a dark or high-contrast palette most),
`apply` rewrites it, in every widget's own style, to the same hue made light or dark enough
(`text_colours`).

The rewrite happens where a style is set: `QWidget.setStyleSheet`, called from Python by every
screen, recolours the sheet it is given, and `apply` recolours the widgets styled before it.
An application-wide event filter doing the same at each widget's polish made every event of
every widget a trip through Python — about 50 ms before the unlock screen could paint."""

from __future__ import annotations

import re

from ui.qt import QtGui, QtWidgets

FOCUS_MIN_CONTRAST = 3.0
TEXT_MIN_CONTRAST = 4.5
# The text colours screens set in their own style (GOV.UK's), by what they are for.
TEXT_COLOURS = ("#0b0c0c", "#505a5f", "#b10e1e", "#d4351c", "#00703c", "#1d70b8", "#6f3700", "#b1b4b6")
_TEXT_COLOUR = re.compile(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})")


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


def _readable(colour: QtGui.QColor, window: QtGui.QColor) -> QtGui.QColor:
    """`colour`'s hue, made lighter (on a dark window) or darker until it has 4.5:1 with `window`."""
    hue, saturation, lightness, _alpha = colour.getHslF()
    step = 0.04 if _luminance(window) < 0.18 else -0.04
    for _ in range(30):
        lightness = min(1.0, max(0.0, lightness + step))
        candidate = QtGui.QColor.fromHslF(max(hue, 0.0), saturation, lightness)
        if contrast(candidate, window) >= TEXT_MIN_CONTRAST:
            return candidate
    return QtGui.QColor("#ffffff") if step > 0 else QtGui.QColor("#000000")


def text_colours(palette: QtGui.QPalette) -> dict[str, str]:
    """{GOV.UK colour: the colour to show instead} for those below 4.5:1 on this palette's window."""
    window = palette.color(QtGui.QPalette.ColorRole.Window)
    swaps = {}
    for name in TEXT_COLOURS:
        colour = QtGui.QColor(name)
        if contrast(colour, window) < TEXT_MIN_CONTRAST:
            swaps[name] = _readable(colour, window).name()
    return swaps


def recolour(sheet: str, swaps: dict[str, str]) -> str:
    """`sheet` with each swapped text colour replaced (backgrounds and borders are left alone)."""
    return _TEXT_COLOUR.sub(lambda m: f"color: {swaps.get(m.group(1).lower(), m.group(1))}", sheet)


# {GOV.UK colour: the colour shown instead} for the palette `apply` last saw; empty: as written.
_swaps: dict[str, str] = {}
_qt_set_style_sheet = QtWidgets.QWidget.setStyleSheet


def _set_style_sheet(widget: QtWidgets.QWidget, sheet: str) -> None:
    """QWidget.setStyleSheet, with the text colours unreadable on this palette swapped."""
    if _swaps and sheet and "color" in sheet:
        sheet = recolour(sheet, _swaps)
    _qt_set_style_sheet(widget, sheet)


def use_text_colours(swaps: dict[str, str]) -> dict[str, str]:
    """Swap these text colours in every widget's own style from now on, and in the styles of the
    widgets that exist already; returns the swaps used until now."""
    global _swaps
    before = _swaps
    _swaps = dict(swaps)
    if QtWidgets.QWidget.setStyleSheet is not _set_style_sheet:
        QtWidgets.QWidget.setStyleSheet = _set_style_sheet
    if _swaps:
        for widget in QtWidgets.QApplication.allWidgets():
            sheet = widget.styleSheet()
            if sheet and "color" in sheet:
                changed = recolour(sheet, _swaps)
                if changed != sheet:
                    _qt_set_style_sheet(widget, changed)
    return before


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
    swaps = text_colours(app.palette())
    if swaps != _swaps:
        use_text_colours(swaps)
    return sheet
