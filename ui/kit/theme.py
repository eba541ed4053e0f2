"""The look: resources/style.qss on the whole application, with named colour roles for what the
screens colour themselves, in a normal and in a high-contrast theme.

`apply(app)` loads the stylesheet and re-applies every themed style when the palette changes
(a theme switched while the app runs); `colour(role)` is a role's colour now; `style(widget,
template)` gives a widget a style whose `{role}` tokens follow the theme; `high_contrast()` says
whether a high-contrast theme is in use; `focus_colour(palette)` is the focus ring's colour;
`contrast(a, b)` the WCAG contrast ratio of two colours.

In a normal theme each role is GOV.UK's colour for it, each text colour at least 4.5:1 against
the background it is shown on (`ROLES`, checked by the tests); on a dark palette a text colour
under 4.5:1 is shown in the same hue made light enough, and panel backgrounds follow the
palette. In a high-contrast theme (Windows' "High contrast" setting, a palette of very high
window/text contrast with a strong highlight, or SPOCDESK_HIGH_CONTRAST / the desktop.json
"high_contrast" setting) every role is one of the palette's own text, window or highlight
colours, so the user's choices win: red, amber and green text become the window text (their
bold weight and words still say which), panels become the window, and the primary button and
the marking banners take the highlight colours and a thick border."""

from __future__ import annotations

import os
import re
import sys

from ui.qt import QtCore, QtGui, QtWidgets

FOCUS_MIN_CONTRAST = 3.0
TEXT_MIN_CONTRAST = 4.5
HC_TEXT_CONTRAST = 15.0     # window text against window, for a palette to count as high contrast
HC_HIGHLIGHT_CONTRAST = 7.0  # ... with a highlight this far from the window (a normal theme's is 3-5)
ENV_OVERRIDE = "SPOCDESK_HIGH_CONTRAST"   # 1/on: high contrast; 0/off: normal; unset: follow the system
STYLE_PROPERTY = "spocdeskThemeStyle"     # a widget's style template, re-applied on a palette change

# name: (normal colour, kind, background it is shown on (text), high-contrast palette role)
#   kind "text": a text colour (4.5:1 against its background); "line": a border or bar (not text);
#   "fill": a background under the palette's text; "pair": a background with its own text role.
ROLES: dict[str, tuple[str, str, str, str]] = {
    "text": ("#0b0c0c", "text", "panel", "WindowText"),
    "muted": ("#505a5f", "text", "window", "WindowText"),       # hints and secondary text
    "danger": ("#b10e1e", "text", "window", "WindowText"),      # errors, overdue, breach clocks
    "warning": ("#6f3700", "text", "notice", "WindowText"),     # amber text on a notice
    "ok": ("#00703c", "text", "window", "WindowText"),          # done, saved, verified
    "link": ("#1d70b8", "text", "window", "WindowText"),        # links (underlined as well)
    "weak": ("#a84b00", "text", "window", "WindowText"),        # a weak passphrase
    "strong": ("#005a30", "text", "window", "WindowText"),      # a strong passphrase
    "notice-text": ("#594d00", "text", "notice", "WindowText"),
    "banner-text": ("#ffffff", "text", "banner", "WindowText"),
    "primary-text": ("#ffffff", "text", "primary", "HighlightedText"),
    "alert-text": ("#ffffff", "text", "alert", "WindowText"),
    "primary-focus-text": ("#ffffff", "text", "primary-focus", "WindowText"),
    "border": ("#b1b4b6", "line", "", "WindowText"),            # frames around panels
    "accent": ("#1d70b8", "line", "", "WindowText"),            # the blue bar beside a panel
    "notice-edge": ("#f47738", "line", "", "WindowText"),
    "primary-edge": ("#002d18", "line", "", "WindowText"),
    "halo": ("#ffdd00", "line", "", "Highlight"),               # the chosen node on the map
    "alert-edge": ("#b10e1e", "line", "", "WindowText"),        # the red banner's own colour: a border in HC
    "panel": ("#ffffff", "fill", "", "Window"),                 # a card or summary
    "tint": ("#f3f2f1", "fill", "", "Window"),                  # a grey panel
    "info-tint": ("#e8f1f8", "fill", "", "Window"),             # a blue panel
    "canvas": ("#fbfbfb", "fill", "", "Window"),                # the relationship map
    "preview": ("#6f777b", "line", "", "Window"),               # around the pages of a print preview
    "notice": ("#fff7bf", "pair", "", "Window"),                # yellow notice under notice-text
    "alert": ("#b10e1e", "pair", "", "Window"),                 # a red banner under alert-text
    "banner": ("#8b1a1a", "pair", "", "Window"),                # OFFICIAL-SENSITIVE
    "primary": ("#00703c", "pair", "", "Highlight"),            # the main action
    "primary-hover": ("#005a30", "pair", "", "Highlight"),
    "primary-focus": ("#00703c", "pair", "", "Window"),         # focused: inverted in high contrast
    "primary-disabled": ("#6f9e85", "pair", "", "Window"),
}
# The light window the normal colours are checked against (Fusion's; Windows' is #f0f0f0).
LIGHT_WINDOW = "#efefef"
BRAND_COLOURS = frozenset(colour for colour, *_ in ROLES.values())
_TOKEN = re.compile(r"\{([a-z][a-z-]*)\}")


def _luminance(colour: QtGui.QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF()) + 0.0722 * channel(colour.blueF())


def contrast(a: QtGui.QColor, b: QtGui.QColor) -> float:
    """The WCAG 2 contrast ratio of two colours (1 to 21)."""
    first, second = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (first + 0.05) / (second + 0.05)


def _palette(palette: QtGui.QPalette | None) -> QtGui.QPalette:
    if palette is not None:
        return palette
    app = QtWidgets.QApplication.instance()
    return app.palette() if app is not None else QtGui.QPalette()


# ---- is the theme high contrast? ------------------------------------------------------------


def windows_high_contrast() -> bool:
    """Windows' own "High contrast" setting (SPI_GETHIGHCONTRAST, HCF_HIGHCONTRASTON)."""
    if sys.platform != "win32":
        return False
    import ctypes
    from ctypes import wintypes

    class HIGHCONTRASTW(ctypes.Structure):
        _fields_ = [("cbSize", wintypes.UINT), ("dwFlags", wintypes.DWORD),
                    ("lpszDefaultScheme", wintypes.LPWSTR)]

    spi_gethighcontrast, hcf_highcontraston = 0x0042, 0x00000001
    info = HIGHCONTRASTW()
    info.cbSize = ctypes.sizeof(HIGHCONTRASTW)
    try:
        ok = ctypes.windll.user32.SystemParametersInfoW(spi_gethighcontrast, info.cbSize, ctypes.byref(info), 0)
    except (AttributeError, OSError):
        return False
    return bool(ok) and bool(info.dwFlags & hcf_highcontraston)


def palette_is_high_contrast(palette: QtGui.QPalette) -> bool:
    """Window text at least 15:1 on the window, with a saturated highlight at least 7:1 from it:
    Windows' High Contrast Black and White, and their like on other systems (a normal light or
    dark theme has its highlight at 3-5:1 from the window)."""
    role = QtGui.QPalette.ColorRole
    window, text = palette.color(role.Window), palette.color(role.WindowText)
    highlight = palette.color(role.Highlight)
    return (contrast(window, text) >= HC_TEXT_CONTRAST and contrast(highlight, window) >= HC_HIGHLIGHT_CONTRAST
            and highlight.hsvSaturationF() >= 0.5)


_setting: list[str] = []   # desktop.json's "high_contrast", read once per `apply`


def _override() -> bool | None:
    text = os.environ.get(ENV_OVERRIDE, "").strip().lower()
    if not text:
        if not _setting:
            from ui.kit import config

            _setting.append(str(config.desktop_setting("high_contrast", "") or "").strip().lower())
        text = _setting[0]
    if text in ("1", "on", "yes", "true"):
        return True
    if text in ("0", "off", "no", "false"):
        return False
    return None


def high_contrast(palette: QtGui.QPalette | None = None) -> bool:
    """Whether to show the high-contrast look: the override if one is set, else Windows' setting
    or a high-contrast palette."""
    override = _override()
    if override is not None:
        return override
    return windows_high_contrast() or palette_is_high_contrast(_palette(palette))


# Windows' High Contrast Black and White as Qt palettes (the system colours Qt's Windows platform
# maps to each role): shown when high contrast is chosen in SPOC Desk on a system without it,
# and used by the tests. role: (black, white)
_HC_COLOURS = {
    "Window": ("#000000", "#ffffff"), "WindowText": ("#ffffff", "#000000"),
    "Base": ("#000000", "#ffffff"), "AlternateBase": ("#000000", "#ffffff"),
    "Text": ("#ffffff", "#000000"), "Button": ("#000000", "#ffffff"), "ButtonText": ("#ffffff", "#000000"),
    "Highlight": ("#1aebff", "#37006e"), "HighlightedText": ("#000000", "#ffffff"),
    "Link": ("#ffff00", "#00009f"), "LinkVisited": ("#ffff00", "#00009f"),
    "ToolTipBase": ("#000000", "#ffffff"), "ToolTipText": ("#ffffff", "#000000"),
    "PlaceholderText": ("#ffffff", "#000000"), "BrightText": ("#ffffff", "#000000"),
    "Light": ("#ffffff", "#000000"), "Midlight": ("#000000", "#ffffff"), "Mid": ("#ffffff", "#000000"),
    "Dark": ("#ffffff", "#000000"), "Shadow": ("#ffffff", "#000000"),
}
_HC_DISABLED = ("#3ff23f", "#600000")   # Windows' GrayText


def high_contrast_palette(name: str) -> QtGui.QPalette:
    """Windows' "High Contrast Black" ("black") or "High Contrast White" ("white") palette."""
    column = {"black": 0, "white": 1}[name]
    result = QtGui.QPalette()
    role, group = QtGui.QPalette.ColorRole, QtGui.QPalette.ColorGroup
    for name_, colours in _HC_COLOURS.items():
        result.setColor(getattr(role, name_), QtGui.QColor(colours[column]))
    for name_ in ("WindowText", "Text", "ButtonText"):
        result.setColor(group.Disabled, getattr(role, name_), QtGui.QColor(_HC_DISABLED[column]))
    return result


# ---- the roles ------------------------------------------------------------------------------


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


_cache: dict[tuple, dict[str, QtGui.QColor]] = {}


def readable_on(colour_: QtGui.QColor, background: QtGui.QColor) -> QtGui.QColor:
    """`colour_` if it has 4.5:1 with `background`, else its hue made light or dark enough."""
    return QtGui.QColor(colour_) if contrast(colour_, background) >= TEXT_MIN_CONTRAST else _readable(colour_, background)


def colours(palette: QtGui.QPalette | None = None, contrast_theme: bool | None = None) -> dict[str, QtGui.QColor]:
    """{role: colour} for this palette (the application's if None)."""
    palette = _palette(palette)
    hc = high_contrast(palette) if contrast_theme is None else contrast_theme
    key = (palette.cacheKey(), hc)
    if key not in _cache:
        if len(_cache) > 32:
            _cache.clear()
        _cache[key] = _colours(palette, hc)
    return dict(_cache[key])


def _colours(palette: QtGui.QPalette, hc: bool) -> dict[str, QtGui.QColor]:
    group = QtGui.QPalette.ColorGroup.Active
    if hc:
        return {name: QtGui.QColor(palette.color(group, getattr(QtGui.QPalette.ColorRole, hc_role)))
                for name, (_c, _k, _b, hc_role) in ROLES.items()}
    window = palette.color(group, QtGui.QPalette.ColorRole.Window)
    dark = _luminance(window) < 0.18
    result = {}
    for name, (hex_colour, kind, _b, _hc) in ROLES.items():
        result[name] = QtGui.QColor(hex_colour)
        if dark and kind == "fill":
            result[name] = QtGui.QColor(palette.color(
                group, QtGui.QPalette.ColorRole.AlternateBase if name != "panel" else QtGui.QPalette.ColorRole.Base))
    for name, (_c, kind, background, _hc) in ROLES.items():
        if kind == "text":
            behind = window if background == "window" else result[background]
            if contrast(result[name], behind) < TEXT_MIN_CONTRAST:
                result[name] = _readable(result[name], behind)
    return result


def colour(role: str, palette: QtGui.QPalette | None = None) -> QtGui.QColor:
    """The colour of `role` (one of ROLES) in the theme in use."""
    return colours(palette)[role]


def css(template: str, palette: QtGui.QPalette | None = None) -> str:
    """`template` with each `{role}` token replaced by the role's colour (and `{focus}` by the
    focus ring's)."""
    palette = _palette(palette)
    found = colours(palette)
    names = {name: value.name() for name, value in found.items()}
    role = QtGui.QPalette.ColorRole
    names.update(focus=focus_colour(palette).name(), window=palette.color(role.Window).name())
    names["window-text"] = palette.color(role.WindowText).name()
    return _TOKEN.sub(lambda m: names.get(m.group(1), m.group(0)), template)


def style(widget: QtWidgets.QWidget, template: str) -> QtWidgets.QWidget:
    """Give `widget` the style `template` (its `{role}` tokens in the theme's colours), again
    whenever the palette changes; "" clears it."""
    widget.setProperty(STYLE_PROPERTY, template)
    widget.setStyleSheet(css(template) if template else "")
    return widget


def item_colour(role: str) -> QtGui.QColor | None:
    """`role`'s colour for a table item's text, or None in high contrast, where the view's own
    text and highlighted-text colours (the system's) are the readable ones."""
    return None if high_contrast() else colour(role)


# An item's colour role, kept to colour it again: Qt.ItemDataRole.UserRole (0x100) + 417, as a
# plain number, since touching the Qt namespace builds all of its enums (the unlock screen avoids it).
ITEM_ROLE = 0x0100 + 417


def mark_item(item, role: str) -> None:
    """Colour a table or list item's text in `role` (not in high contrast: see `item_colour`);
    the item is coloured again when the theme switches."""
    item.setData(ITEM_ROLE, role)
    _colour_item(item)


def _colour_item(item) -> None:
    found = item_colour(item.data(ITEM_ROLE))
    item.setData(QtCore.Qt.ItemDataRole.ForegroundRole, QtGui.QBrush(found) if found is not None else None)


def recolour_items() -> int:
    """Colour every marked item of every table and list widget again; returns how many."""
    count = 0
    for widget in QtWidgets.QApplication.allWidgets():
        if isinstance(widget, QtWidgets.QTableWidget):
            items = (widget.item(r, c) for r in range(widget.rowCount()) for c in range(widget.columnCount()))
        elif isinstance(widget, QtWidgets.QListWidget):
            items = (widget.item(r) for r in range(widget.count()))
        else:
            continue
        for item in items:
            if item is not None and item.data(ITEM_ROLE):
                _colour_item(item)
                count += 1
    return count


# The look of a main action that is not its form's primary button (Ctrl+S presses those).
PRIMARY_LOOK = ("QPushButton { background: {primary}; color: {primary-text}; padding: 6px 14px; font-weight: bold; }"
                "QPushButton:focus { background: {primary-focus}; color: {primary-focus-text}; }")


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


# ---- the stylesheet -------------------------------------------------------------------------

# In high contrast: the primary button in the highlight colours with a thick border (inverted
# when focused, so the focus still shows), the banners in the window colours inside a thick
# border, and disabled text in the palette's own disabled colour.
_HIGH_CONTRAST_SHEET = """
QPushButton, QLineEdit:read-only, QAbstractItemView { border-color: {window-text}; }
QPushButton:hover, QToolBar#sessionToolbar QToolButton:hover { background: {highlight}; color: {highlighted-text}; }
QStatusBar { border-top: 1px solid {window-text}; }
QToolBar#sessionToolbar { border-bottom: 1px solid {window-text}; }
QListWidget#areaNavigation { border-right: 1px solid {window-text}; }
QPushButton[primary="true"] { border: 3px solid {text}; padding: 3px 14px; }
QPushButton[primary="true"]:focus { background: {window}; color: {window-text}; border: 3px solid {focus}; }
QPushButton[primary="true"]:disabled { border: 3px dashed {disabled}; color: {disabled}; }
QPushButton:disabled, QLabel:disabled, QCheckBox:disabled, QRadioButton:disabled { color: {disabled}; }
QLabel#markingBanner { border: 3px solid {text}; padding: 2px; }
QCheckBox::indicator, QRadioButton::indicator, QAbstractItemView::indicator {
    width: 12px; height: 12px; border: 2px solid {window-text}; background: {window}; }
QRadioButton::indicator { border-radius: 8px; }
QCheckBox::indicator:checked, QRadioButton::indicator:checked, QAbstractItemView::indicator:checked {
    background: {highlight}; }
QScrollBar:vertical { background: {window}; border: 1px solid {window-text}; width: 16px; margin: 0; }
QScrollBar:horizontal { background: {window}; border: 1px solid {window-text}; height: 16px; margin: 0; }
QScrollBar::handle:vertical { background: {window-text}; min-height: 24px; margin: 2px; }
QScrollBar::handle:horizontal { background: {window-text}; min-width: 24px; margin: 2px; }
QScrollBar::handle:hover { background: {highlight}; }
QScrollBar::add-line, QScrollBar::sub-line { width: 0; height: 0; border: none; background: none; }
QScrollBar::add-page, QScrollBar::sub-page { background: {window}; }
QTabWidget::pane { border: 1px solid {window-text}; }
QTabBar::tab { border: 1px solid {window-text}; padding: 4px 10px; background: {window}; color: {window-text}; }
QTabBar::tab:selected { background: {highlight}; color: {highlighted-text}; }
QTabBar::tab:selected:focus { background: {window}; color: {window-text}; }
"""


def stylesheet(palette: QtGui.QPalette) -> str:
    from app.paths import resource_path

    text = resource_path("style.qss").read_text(encoding="utf-8")
    if high_contrast(palette):
        text += _HIGH_CONTRAST_SHEET
    group, role = QtGui.QPalette.ColorGroup, QtGui.QPalette.ColorRole
    extra = {"window": palette.color(role.Window).name(), "window-text": palette.color(role.WindowText).name(),
             "highlight": palette.color(role.Highlight).name(),
             "highlighted-text": palette.color(role.HighlightedText).name(),
             "disabled": palette.color(group.Disabled, role.WindowText).name()}
    if contrast(QtGui.QColor(extra["disabled"]), palette.color(role.Window)) < TEXT_MIN_CONTRAST:
        extra["disabled"] = extra["window-text"]
    text = _TOKEN.sub(lambda m: extra.get(m.group(1), m.group(0)), text)
    return css(text, palette)


def restyle(app: QtWidgets.QApplication | None = None) -> int:
    """Apply every widget's style template again in the theme now in use; returns how many."""
    count = 0
    for widget in QtWidgets.QApplication.allWidgets():
        template = widget.property(STYLE_PROPERTY)
        if isinstance(template, str):
            sheet = css(template) if template else ""
            if widget.styleSheet() != sheet:
                widget.setStyleSheet(sheet)
            count += 1
    return count


class Watcher(QtCore.QObject):
    """Re-applies the look when the application's palette changes (a theme switched while the
    app runs), once the change has settled; `changed` tells painted views to repaint."""

    changed = QtCore.Signal()

    def __init__(self, app: QtWidgets.QApplication):
        super().__init__(app)
        self.app = app
        self._pending = False

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        if obj is getattr(self, "sentinel", None) and event.type() in (
                QtCore.QEvent.Type.ApplicationPaletteChange, QtCore.QEvent.Type.PaletteChange) and not self._pending:
            self._pending = True
            QtCore.QTimer.singleShot(0, self.refresh)
        return False

    def refresh(self) -> None:
        self._pending = False
        apply(self.app)
        _cache.clear()
        restyle(self.app)
        recolour_items()
        self.changed.emit()


def watcher(app: QtWidgets.QApplication | None = None) -> Watcher:
    """The application's watcher (installed by `apply`). It watches one hidden widget of its own,
    which Qt tells of every palette change as it tells every widget: a filter on the application
    itself would see every event of every widget, a trip through Python each (about 50 ms before
    the unlock screen could paint)."""
    app = app or QtWidgets.QApplication.instance()
    found = getattr(app, "_spocdesk_theme_watcher", None)
    if found is None:
        found = app._spocdesk_theme_watcher = Watcher(app)
        found.sentinel = QtWidgets.QWidget()  # never shown; told of palette changes like any widget
        found.sentinel.setObjectName("themeSentinel")
        found.sentinel.installEventFilter(found)
    return found


def _force_palette(app: QtWidgets.QApplication) -> None:
    """High contrast chosen in SPOC Desk where the system's palette is not: show Windows' High
    Contrast Black (on a dark theme) or White instead; chosen off again: the system's palette back."""
    system = getattr(app, "_spocdesk_system_palette", None)
    if _override() is True and not palette_is_high_contrast(app.palette()):
        app._spocdesk_system_palette = QtGui.QPalette(app.palette())
        dark = _luminance(app.palette().color(QtGui.QPalette.ColorRole.Window)) < 0.18
        app.setPalette(high_contrast_palette("black" if dark else "white"))
    elif _override() is not True and system is not None:
        app._spocdesk_system_palette = None
        app.setPalette(system)


CHOICES = {"auto": "Follow the system", "on": "High contrast", "off": "Standard colours"}


def choice() -> str:
    """The contrast chosen on this workstation: "auto" (follow the system), "on" or "off"."""
    override = _override()
    return "auto" if override is None else "on" if override else "off"


def choose(value: str, app: QtWidgets.QApplication | None = None) -> None:
    """Remember `value` (one of CHOICES) in desktop.json and show it now."""
    from ui.kit import config

    if value not in CHOICES:
        raise ValueError(f"contrast must be one of {', '.join(CHOICES)}")
    config.set_desktop_setting("high_contrast", value)
    app = app or QtWidgets.QApplication.instance()
    apply(app)
    watcher(app).refresh()


def apply(app: QtWidgets.QApplication | None = None) -> str:
    """Load the stylesheet onto the application (again only if the palette changed) and watch
    for palette changes."""
    app = app or QtWidgets.QApplication.instance()
    watcher(app)
    _setting.clear()
    _force_palette(app)
    sheet = stylesheet(app.palette())
    if getattr(app, "_spocdesk_sheet", None) != sheet:
        app._spocdesk_sheet = sheet
        app.setStyleSheet(sheet)
    return sheet
