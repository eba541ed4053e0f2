"""Light and high-contrast Windows themes (issue 17): the screens' own colours are theme roles,
GOV.UK's in a normal theme (each text colour 4.5:1 on its background) and the palette's own in
High Contrast Black and White, where every visible label and button keeps 4.5:1 as drawn, no
fixed colour is left in any widget's style, and the primary button and the marking banners
follow the palette; switching theme while the app runs re-applies the look."""

from __future__ import annotations

import datetime as _dt
import re
from collections import Counter

import pytest

from app import breaches as bcore
from app.vault import Vault
from conftest import OTHER_PASSPHRASE, PASSPHRASE
from hc_palettes import palette as hc_palette
from settle import settle
from ui.kit import theme
from ui.qt import QtCore, QtGui, QtWidgets

HEX = re.compile(r"#[0-9a-fA-F]{6}\b")
LIGHT_WINDOWS = ("#efefef", "#f0f0f0", "#ffffff")   # Fusion's, Windows' and a white window


@pytest.fixture
def app_theme(monkeypatch):
    """Set a palette on the application and load the look; put everything back afterwards."""
    app = QtWidgets.QApplication.instance()
    monkeypatch.delenv(theme.ENV_OVERRIDE, raising=False)
    saved_palette, saved_sheet = app.palette(), app.styleSheet()
    saved_cached = getattr(app, "_spocdesk_sheet", None)

    def use(palette: QtGui.QPalette | None) -> QtWidgets.QApplication:
        if palette is not None:
            app.setPalette(palette)
        theme.apply(app)
        QtWidgets.QApplication.processEvents()
        return app

    yield use
    theme._setting.clear()          # the desktop.json choice is read again by the next test
    app._spocdesk_system_palette = None
    watcher = getattr(app, "_spocdesk_theme_watcher", None)
    if watcher is not None:
        app.removeEventFilter(watcher)
        del app._spocdesk_theme_watcher
    app.setPalette(saved_palette)
    app.setStyleSheet(saved_sheet)
    app._spocdesk_sheet = saved_cached
    QtWidgets.QApplication.processEvents()


def _light() -> QtGui.QPalette:
    return QtWidgets.QApplication.style().standardPalette()


def _palette_colours(palette: QtGui.QPalette) -> set[str]:
    found = set()
    for group in (QtGui.QPalette.ColorGroup.Active, QtGui.QPalette.ColorGroup.Disabled):
        for role in QtGui.QPalette.ColorRole:
            if role.name != "NColorRoles":
                found.add(palette.color(group, role).name())
    return found


def _ink(image: QtGui.QImage) -> tuple[QtGui.QColor, QtGui.QColor] | None:
    """(background, text) of a drawn control: its commonest colour, and the pixel colour that
    stands out most from it (the core of the glyphs)."""
    counts = Counter()
    step = 1 if image.width() * image.height() < 40_000 else 2
    for y in range(0, image.height(), step):
        for x in range(0, image.width(), step):
            counts[image.pixel(x, y) & 0xFFFFFF] += 1
    if len(counts) < 2:
        return None
    background = QtGui.QColor(counts.most_common(1)[0][0])
    candidates = [QtGui.QColor(rgb) for rgb, n in counts.items() if n >= 2]
    text = max(candidates, key=lambda c: theme.contrast(c, background))
    return background, text


def _problems(root: QtWidgets.QWidget, palette: QtGui.QPalette, where: str) -> list[str]:
    """Every visible label or button of `root` drawn below 4.5:1, and every widget style holding
    a colour that is not one of the palette's."""
    QtWidgets.QApplication.processEvents()
    allowed = _palette_colours(palette)
    problems = []
    for widget in [root, *root.findChildren(QtWidgets.QWidget)]:
        sheet = widget.styleSheet()
        stray = {c.lower() for c in HEX.findall(sheet)} - allowed
        if stray and widget.isVisibleTo(root.window()):
            problems.append(f"{where}: {type(widget).__name__} {widget.objectName()!r} styled in {sorted(stray)}")
    shot = root.window().grab().toImage()
    ratio = shot.devicePixelRatio()
    window = root.window()
    for widget in root.findChildren(QtWidgets.QWidget):
        if not isinstance(widget, (QtWidgets.QLabel, QtWidgets.QAbstractButton)):
            continue
        if not widget.isVisible() or not widget.text().replace("&", "").strip():
            continue
        if isinstance(widget, QtWidgets.QLabel) and widget.pixmap() is not None and not widget.pixmap().isNull():
            continue
        seen = widget.visibleRegion().boundingRect()
        if seen.width() < 8 or seen.height() < 8:
            continue
        inset = 4 if isinstance(widget, QtWidgets.QAbstractButton) else 0   # the focus ring or border
        seen = seen.adjusted(inset, inset, -inset, -inset)
        corner = widget.mapTo(window, seen.topLeft())
        crop = shot.copy(QtCore.QRect(int(corner.x() * ratio), int(corner.y() * ratio),
                                      int(seen.width() * ratio), int(seen.height() * ratio)))
        drawn = _ink(crop)
        if drawn is None:
            problems.append(f"{where}: {type(widget).__name__} {widget.text()[:40]!r} shows no text")
            continue
        background, text = drawn
        ratio_found = theme.contrast(background, text)
        if ratio_found < theme.TEXT_MIN_CONTRAST:
            problems.append(f"{where}: {type(widget).__name__} {widget.text()[:40]!r} {text.name()} on "
                            f"{background.name()} is {ratio_found:.1f}:1")
    return problems


# ---- the roles in a normal theme -------------------------------------------------------------


@pytest.mark.parametrize("window", LIGHT_WINDOWS)
def test_every_text_role_has_4_5_to_1_on_its_background_in_a_light_theme(qapp, window):
    palette = _light()
    for role in (QtGui.QPalette.ColorRole.Window, QtGui.QPalette.ColorRole.Button):
        palette.setColor(role, QtGui.QColor(window))
    palette.setColor(QtGui.QPalette.ColorRole.WindowText, QtGui.QColor("#000000"))
    assert not theme.palette_is_high_contrast(palette)
    shown = theme.colours(palette)
    behind = {"window": QtGui.QColor(window)}
    checked = 0
    for name, (brand, kind, background, _hc) in theme.ROLES.items():
        if kind != "text":
            continue
        under = behind.get(background) or shown[background]
        assert theme.contrast(shown[name], under) >= 4.5, (name, shown[name].name(), under.name())
        # GOV.UK's own colour wherever it already reads; only the link blue is a shade darker on grey.
        if name != "link" or window == "#ffffff":
            assert shown[name].name() == brand, name
        checked += 1
    assert checked >= 10
    for name in ("primary", "banner", "alert", "accent", "danger"):
        assert shown[name].name() == theme.ROLES[name][0]      # the brand colours, unchanged
    assert shown["accent"].name() == "#1d70b8" and theme.contrast(shown["accent"], QtGui.QColor(window)) >= 3


# ---- knowing the theme is high contrast -------------------------------------------------------


def test_high_contrast_is_known_from_the_palette_or_an_override(qapp, monkeypatch):
    monkeypatch.delenv(theme.ENV_OVERRIDE, raising=False)
    assert theme.palette_is_high_contrast(hc_palette("hcblack"))
    assert theme.palette_is_high_contrast(hc_palette("hcwhite"))
    assert not theme.palette_is_high_contrast(_light())
    white = QtGui.QPalette(QtGui.QColor("#ffffff"), QtGui.QColor("#ffffff"))
    white.setColor(QtGui.QPalette.ColorRole.WindowText, QtGui.QColor("#000000"))
    white.setColor(QtGui.QPalette.ColorRole.Highlight, QtGui.QColor("#0078d4"))   # Windows' light theme
    assert not theme.palette_is_high_contrast(white)
    dark = QtGui.QPalette(QtGui.QColor("#2d2d2d"), QtGui.QColor("#202020"))
    assert not theme.palette_is_high_contrast(dark)
    assert theme.windows_high_contrast() is False      # not Windows: the palette decides
    monkeypatch.setenv(theme.ENV_OVERRIDE, "on")
    assert theme.high_contrast(_light())
    monkeypatch.setenv(theme.ENV_OVERRIDE, "off")
    assert not theme.high_contrast(hc_palette("hcblack"))


@pytest.mark.parametrize("name", ["hcblack", "hcwhite"])
def test_in_high_contrast_every_role_is_a_palette_colour(qapp, name):
    palette = hc_palette(name)
    allowed = _palette_colours(palette)
    shown = theme.colours(palette)
    assert {c.name() for c in shown.values()} <= allowed
    window = palette.color(QtGui.QPalette.ColorRole.Window)
    for role in ("danger", "warning", "ok", "muted", "link", "text", "notice-text", "banner-text"):
        assert theme.contrast(shown[role], window) >= 15, role
    assert shown["primary"] == palette.color(QtGui.QPalette.ColorRole.Highlight)
    assert shown["primary-text"] == palette.color(QtGui.QPalette.ColorRole.HighlightedText)
    sheet = theme.stylesheet(palette)
    assert not {c.lower() for c in HEX.findall(sheet)} - allowed, "the application's stylesheet"


# ---- the primary button and the banners ------------------------------------------------------


def _centre(widget: QtWidgets.QWidget) -> str:
    """The fill of a button (left of its words) or a banner (above its words, inside any border)."""
    image = widget.grab().toImage()
    if isinstance(widget, QtWidgets.QLabel):
        return QtGui.QColor(image.pixel(image.width() // 2, 3)).name()
    return QtGui.QColor(image.pixel(6, image.height() // 2)).name()


@pytest.mark.parametrize("name", [None, "hcblack", "hcwhite"])
def test_the_primary_button_and_the_banners_follow_the_theme(qtbot, app_theme, name):
    from ui.kit.keys import primary_button
    from ui.kit.widgets import MarkingBanner

    app = app_theme(hc_palette(name) if name else _light())
    page = QtWidgets.QWidget()
    layout = QtWidgets.QVBoxLayout(page)
    save = primary_button(QtWidgets.QPushButton("Save"))
    banner = MarkingBanner()
    layout.addWidget(banner)
    layout.addWidget(save)
    layout.addWidget(QtWidgets.QLineEdit())
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    palette = app.palette()
    if name is None:
        assert _centre(save) == "#00703c"          # GOV.UK green, as before
        assert _centre(banner) == "#8b1a1a"
    else:
        assert _centre(save) == palette.color(QtGui.QPalette.ColorRole.Highlight).name()
        assert _centre(banner) == palette.color(QtGui.QPalette.ColorRole.Window).name()
        edge = banner.grab().toImage()
        assert QtGui.QColor(edge.pixel(1, edge.height() // 2)).name() == \
            palette.color(QtGui.QPalette.ColorRole.WindowText).name()      # a thick border marks it out
        assert _problems(page, palette, "banner and button") == []


# ---- a theme switched while the app runs -----------------------------------------------------


def test_switching_to_high_contrast_while_running_re_applies_every_style(qtbot, app_theme):
    from ui.kit.widgets import hint_label

    app = app_theme(_light())
    page = QtWidgets.QWidget()
    layout = QtWidgets.QVBoxLayout(page)
    error = QtWidgets.QLabel("Enter a date")
    theme.style(error, "color: {danger}; font-weight: bold;")
    hint = hint_label("dd/mm/yyyy")
    layout.addWidget(error)
    layout.addWidget(hint)
    qtbot.addWidget(page)
    page.show()
    assert "#b10e1e" in error.styleSheet() and "#505a5f" in hint.styleSheet()
    app.setPalette(hc_palette("hcblack"))
    qtbot.waitUntil(lambda: "#b10e1e" not in error.styleSheet(), timeout=3_000)
    assert "#ffffff" in error.styleSheet() and "#505a5f" not in hint.styleSheet()
    assert "#1aebff" in app.styleSheet()                  # the primary button is in the highlight now
    assert _problems(page, app.palette(), "after the switch") == []
    app.setPalette(_light())
    qtbot.waitUntil(lambda: "#b10e1e" in error.styleSheet(), timeout=3_000)
    assert "#00703c" in app.styleSheet()


# ---- every screen of every role --------------------------------------------------------------


def _roles_desk(closed_vault, role):
    """The accessible-name test's desk: `role`'s user, a SPOC's request sent to HMRC and, for
    the DPM, a breach overdue for its 24-hour notification (the red clock on Home)."""
    from app.requests import create_request, send_to_agencies
    from app.users import add_user
    from desk_helpers import request_data

    user, passphrase = ("alice", PASSPHRASE) if role == "admin" else (f"{role}-user", OTHER_PASSPHRASE)
    with Vault.open(closed_vault, user="alice", passphrase=PASSPHRASE) as vault:
        if role != "admin":
            add_user(vault, user, role, OTHER_PASSPHRASE)
        if role != "spoc":
            add_user(vault, "sam", "spoc", OTHER_PASSPHRASE)
    with Vault.open(closed_vault, user=user if role == "spoc" else "sam", passphrase=OTHER_PASSPHRASE) as vault:
        request = create_request(vault, request_data())
        send_to_agencies(vault, request.id, ["HMRC"])
        aware = (_dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(hours=30)).astimezone()
        bcore.create_breach(vault, {"reporter": "DC Sam Lee", "agency": "DCON", "category": "device-loss",
                                    "aware_at": aware.strftime("%d/%m/%Y %H:%M"), "facts": "Laptop lost.",
                                    "containment": "Wiped remotely."})
    return user, passphrase, request


def _walk(qtbot, shell, unlock_with, vault_path, user, passphrase, request, palette) -> tuple[list[str], list[str]]:
    problems = []
    shell.start()
    problems += _problems(shell.start_window, palette, "start")
    shell.show_unlock(vault_path)
    problems += _problems(shell.unlock_window, palette, "unlock")
    main = unlock_with(shell, user, passphrase)
    main.resize(1400, 950)
    seen = []
    for row in range(main.nav.count()):
        main.nav.setCurrentRow(row)
        settle(qtbot)
        seen.append(main.current_area_key())
        problems += _problems(main, palette, main.nav.item(row).text())
    requests = main.area("requests")
    if requests is not None:
        main.show_area("requests")
        assert requests.open_request(request.id)
        settle(qtbot)
        problems += _problems(main, palette, "a request")
        if main.session.can("requests.write"):
            form = requests.open_form(None)
            form.subjects.add_person.click()
            problems += _problems(main, palette, "the request form")
            form.cancelled.emit()
    breaches = main.area("breaches")
    if breaches is not None and main.show_area("breaches"):
        settle(qtbot)
        breaches.select(breaches.model.item(0).reference)
        settle(qtbot)
        problems += _problems(main, palette, "the breach detail")
    if hasattr(main, "report_breach_action"):
        dialog = main.report_breach()
        problems += _problems(dialog, palette, "the breach dialog")
        dialog.close()
    return problems, seen


def _run_walk(qtbot, app_theme, closed_vault, make_shell, unlock_with, role, name):
    from ui.shell.shell import default_areas

    app = app_theme(hc_palette(name))
    user, passphrase, request = _roles_desk(closed_vault, role)
    shell = make_shell(default_areas())
    problems, seen = _walk(qtbot, shell, unlock_with, closed_vault, user, passphrase, request, app.palette())
    assert problems == []
    return seen


@pytest.mark.parametrize("name", ["hcblack", "hcwhite"])
def test_a_dpm_sees_every_screen_readable_in_high_contrast(qtbot, app_theme, closed_vault, make_shell,
                                                           unlock_with, name):
    seen = _run_walk(qtbot, app_theme, closed_vault, make_shell, unlock_with, "dpm", name)
    assert {"home", "requests", "breaches"} <= set(seen)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["hcblack", "hcwhite"])
@pytest.mark.parametrize("role", ["admin", "spoc", "chair", "auditor"])
def test_every_screen_of_every_role_is_readable_in_high_contrast(qtbot, app_theme, closed_vault, make_shell,
                                                                 unlock_with, role, name):
    expected = {"admin": "users", "spoc": "requests", "chair": "meetings", "auditor": "audit"}
    assert expected[role] in _run_walk(qtbot, app_theme, closed_vault, make_shell, unlock_with, role, name)


def test_overdue_table_cells_use_the_tables_own_colours_in_high_contrast(qtbot, app_theme):
    """A red cell would be unreadable on a high-contrast selection: there the words and bold say it."""
    app_theme(_light())
    item = QtWidgets.QTableWidgetItem("OVERDUE by 2 days")
    theme.mark_item(item, "danger")
    assert item.foreground().color().name() == "#b10e1e"
    table = QtWidgets.QTableWidget(1, 1)
    qtbot.addWidget(table)
    table.setItem(0, 0, item)
    app = app_theme(hc_palette("hcblack"))
    fresh = QtWidgets.QTableWidgetItem("OVERDUE by 2 days")
    theme.mark_item(fresh, "danger")
    assert fresh.foreground().style() == QtCore.Qt.BrushStyle.NoBrush and theme.item_colour("danger") is None
    # A table filled before the switch is coloured again: no red left on the black window.
    assert table.item(0, 0).foreground().style() == QtCore.Qt.BrushStyle.NoBrush
    app.setPalette(_light())
    qtbot.waitUntil(lambda: table.item(0, 0).foreground().color().name() == "#b10e1e", timeout=3_000)


# ---- View > Contrast -------------------------------------------------------------------------


def test_view_contrast_turns_high_contrast_on_and_back_to_the_system(qtbot, app_theme, tmp_path):
    """On a system without a high-contrast theme (here: Fusion's light palette) the menu shows
    Windows' High Contrast White, remembers the choice, and gives the system's palette back."""
    from desk_helpers import make_desk
    from ui.kit import config
    from ui.shell.main_window import MainWindow
    from ui.shell.session import Session
    from ui.home.area import HomeArea
    from ui.requests.area import RequestsArea

    app = app_theme(_light())
    vault = make_desk(tmp_path / "police.vault", "DCON", "spoc")
    try:
        main = MainWindow(Session(vault.path, vault), [HomeArea, RequestsArea])
        qtbot.addWidget(main)
        main.show()
        assert main.contrast_actions["auto"].isChecked()
        main.show_area("requests")
        settle(qtbot)
        new = main.area("requests").new_button
        assert "#00703c" in new.styleSheet()
        main.contrast_actions["on"].trigger()
        assert config.desktop_setting("high_contrast") == "on"
        assert app.palette().color(QtGui.QPalette.ColorRole.Window).name() == "#ffffff"
        assert theme.high_contrast() and "#00703c" not in new.styleSheet() and "#37006e" in new.styleSheet()
        assert _problems(main, app.palette(), "forced high contrast") == []
        main.contrast_actions["auto"].trigger()
        assert config.desktop_setting("high_contrast") == "auto"
        assert app.palette().color(QtGui.QPalette.ColorRole.Window).name() == _light().color(
            QtGui.QPalette.ColorRole.Window).name()
        assert not theme.high_contrast() and "#00703c" in new.styleSheet()
        main.contrast_actions["off"].trigger()                 # standard colours even on a black theme
        app.setPalette(hc_palette("hcblack"))
        qtbot.waitUntil(lambda: "#1aebff" not in new.styleSheet(), timeout=3_000)
        assert not theme.high_contrast() and "#00703c" in new.styleSheet()
        main.close()
    finally:
        config.set_desktop_setting("high_contrast", "auto")
        theme._setting.clear()
        QtCore.QThreadPool.globalInstance().waitForDone(30_000)
        vault.close()


def test_the_relationship_map_redraws_in_the_window_text_when_the_theme_switches(qtbot, app_theme):
    from app import links as lk
    from ui.kit.relmap import RelationshipMap

    app = app_theme(_light())
    graph = lk.MapGraph("case", "CASE-2026-0001", "test")
    graph.nodes["a"] = lk.Node("a", "person", "Ana Popa")
    graph.nodes["b"] = lk.Node("b", "location", "12 Example Street")
    widget = RelationshipMap()
    qtbot.addWidget(widget)
    widget.show()
    widget.draw(graph, {"a": (-0.5, 0.0), "b": (0.5, 0.0)})
    legend = widget.legend
    assert widget.view.nodes["a"].brush().color().name() == lk.NODE_STYLE["person"][1]
    assert widget.view.backgroundBrush().color().name() == "#fbfbfb"
    app.setPalette(hc_palette("hcblack"))
    qtbot.waitUntil(lambda: widget.legend is not legend, timeout=3_000)
    node = widget.view.nodes["a"]
    assert node.brush().color().name() == "#000000" and node.pen().color().name() == "#ffffff"
    assert node.text.brush().color().name() == "#ffffff"
    assert widget.view.backgroundBrush().color().name() == "#000000"
    for kind in lk.LINK_COLOURS:        # each link kind keeps its hue, readable on the black window
        icon = widget.kind_actions[kind].icon().pixmap(28, 12).toImage()
        drawn = QtGui.QColor(icon.pixel(14, 6))
        assert theme.contrast(drawn, QtGui.QColor("#000000")) >= 4.5, kind


@pytest.mark.parametrize("flags, expected", [(0x1, True), (0x0, False), (0x4 | 0x1, True)])
def test_windows_high_contrast_reads_spi_gethighcontrast(monkeypatch, flags, expected):
    """SystemParametersInfoW(SPI_GETHIGHCONTRAST, sizeof(HIGHCONTRASTW), &info, 0): on when
    HCF_HIGHCONTRASTON is in dwFlags (a stand-in for user32, as this runs off Windows)."""
    import ctypes
    import sys as _sys

    calls = []

    class User32:
        @staticmethod
        def SystemParametersInfoW(action, size, ref, ini):  # noqa: N802 - the Windows name
            info = ref._obj
            calls.append((action, size, info.cbSize, ini))
            info.dwFlags = flags
            return 1

    monkeypatch.setattr(_sys, "platform", "win32")
    monkeypatch.setattr(ctypes, "windll", type("WinDLL", (), {"user32": User32})(), raising=False)
    assert theme.windows_high_contrast() is expected
    action, size, cb_size, ini = calls[0]
    assert action == 0x0042 and size == cb_size > 0 and ini == 0     # the struct's own size, in both places
