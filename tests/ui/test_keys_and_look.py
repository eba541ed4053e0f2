"""Focus, keys, menus and look (issue 17): Enter presses a focused button, focus scrolls into
view, error-summary links come straight after the summary, containers take no focus, the
focus ring is 3 px with 3:1 contrast from the palette, the standard menus and keys work, the
window fits the screen, and the breach record reads as a page."""

from __future__ import annotations

import datetime as _dt

import pytest

from app import breaches as bcore
from desk_helpers import make_desk
from PySide6.QtTest import QTest
from ui.kit import keys, theme
from ui.kit.widgets import ErrorSummary, FieldRow, frameless_scroll
from ui.qt import QtCore, QtGui, QtWidgets, Qt
from ui.shell.main_window import MainWindow
from ui.shell.session import Session


@pytest.fixture
def desk(tmp_path):
    vault = make_desk(tmp_path / "police.vault", "DCON", "spoc")
    yield vault
    QtCore.QThreadPool.globalInstance().waitForDone(30_000)
    if vault.is_open:
        vault.close()


def main_window(qtbot, vault) -> MainWindow:
    from ui.shell.shell import default_areas

    main = MainWindow(Session(vault.path, vault), default_areas())
    qtbot.addWidget(main)
    main.show()
    main.activateWindow()
    qtbot.waitUntil(main.isActiveWindow, timeout=5_000)
    return main


def key(widget, k, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(widget, k, modifier)


def shown_window(qtbot, widget: QtWidgets.QWidget) -> QtWidgets.QWidget:
    qtbot.addWidget(widget)
    widget.show()
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow, timeout=5_000)
    return widget


# ---- Enter, focus and scrolling ---------------------------------------------------------------


def test_enter_presses_a_focused_button_as_space_does(qtbot):
    keys.install()
    page = QtWidgets.QWidget()
    layout = QtWidgets.QVBoxLayout(page)
    button, link = QtWidgets.QPushButton("Open"), QtWidgets.QPushButton("A link")
    link.setFlat(True)
    layout.addWidget(button)
    layout.addWidget(link)
    shown_window(qtbot, page)
    pressed = []
    button.clicked.connect(lambda: pressed.append("button"))
    link.clicked.connect(lambda: pressed.append("link"))
    button.setFocus()
    key(button, Qt.Key.Key_Return)
    link.setFocus()
    key(link, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
    key(link, Qt.Key.Key_Space)
    assert pressed == ["button", "link", "link"]


def _tall_form():
    scroll = frameless_scroll()
    body = QtWidgets.QWidget()
    layout = QtWidgets.QVBoxLayout(body)
    summary = ErrorSummary()
    layout.addWidget(summary)
    rows = {}
    for n in range(30):
        rows[f"f{n}"] = FieldRow(f"Field {n}", QtWidgets.QLineEdit())
        layout.addWidget(rows[f"f{n}"])
    scroll.setWidget(body)
    scroll.resize(500, 300)
    return scroll, summary, rows


def _in_view(scroll, widget) -> bool:
    top = widget.mapTo(scroll.viewport(), QtCore.QPoint(0, 0)).y()
    return 0 <= top and top + widget.height() <= scroll.viewport().height()


def test_a_field_focused_below_the_fold_scrolls_into_view(qtbot):
    keys.install()
    scroll, _summary, rows = _tall_form()
    shown_window(qtbot, scroll)
    far = rows["f29"].field
    assert not _in_view(scroll, far)
    far.setFocus(Qt.FocusReason.OtherFocusReason)    # as a sub-form or a summary link does
    qtbot.waitUntil(lambda: far.hasFocus() and _in_view(scroll, far), timeout=2_000)


def test_error_summary_links_come_straight_after_the_summary_and_enter_follows_them(qtbot):
    keys.install()
    scroll, summary, rows = _tall_form()
    shown_window(qtbot, scroll)
    summary.show_problems([(rows["f28"].field, "Enter field 28"), (rows["f5"].field, "Enter field 5")])
    links = summary._links
    assert links[0].nextInFocusChain() is links[1]
    # From the summary, Tab goes to its first link, then its second, then the first field.
    chain, widget = [], links[0]
    for _ in range(3):
        chain.append(widget)
        widget = widget.nextInFocusChain()
        while widget.focusPolicy() == Qt.FocusPolicy.NoFocus or not widget.isVisible():
            widget = widget.nextInFocusChain()
    assert chain[:2] == links and chain[2] is rows["f0"].field
    links[0].setFocus()
    key(links[0], Qt.Key.Key_Return)                 # Enter follows a link
    target = rows["f28"].field
    qtbot.waitUntil(lambda: target.hasFocus() and _in_view(scroll, target), timeout=2_000)


def test_scroll_areas_and_stacks_take_no_focus_and_tab_leaves_a_table(qtbot):
    keys.install()
    page = QtWidgets.QWidget()
    layout = QtWidgets.QVBoxLayout(page)
    scroll, stack = frameless_scroll(), QtWidgets.QStackedWidget()
    table = QtWidgets.QTableWidget(3, 3)
    after = QtWidgets.QPushButton("After the table")
    for widget in (scroll, stack, table, after):
        layout.addWidget(widget)
    shown_window(qtbot, page)
    assert scroll.focusPolicy() == Qt.FocusPolicy.NoFocus and stack.focusPolicy() == Qt.FocusPolicy.NoFocus
    table.setFocus()
    key(table, Qt.Key.Key_Tab)
    assert after.hasFocus()


def test_dialogs_have_no_maximise_button_and_fit_the_screen(qtbot):
    keys.install()
    dialog = QtWidgets.QDialog()
    qtbot.addWidget(dialog)
    dialog.resize(5000, 5000)
    dialog.show()
    flags = dialog.windowFlags()
    assert not flags & Qt.WindowType.WindowMaximizeButtonHint
    assert flags & Qt.WindowType.WindowCloseButtonHint
    available = dialog.screen().availableGeometry()
    assert available.contains(dialog.frameGeometry())


# ---- the look -------------------------------------------------------------------------------


def _palette(window: str, base: str, highlight: str, text: str = "#000000") -> QtGui.QPalette:
    palette = QtGui.QPalette()
    role = QtGui.QPalette.ColorRole
    for r, colour in ((role.Window, window), (role.Base, base), (role.Highlight, highlight),
                      (role.WindowText, text), (role.Text, text), (role.ButtonText, text), (role.Button, window)):
        palette.setColor(r, QtGui.QColor(colour))
    return palette


@pytest.mark.parametrize("window, base, highlight", [
    ("#efefef", "#ffffff", "#308cc6"),     # Fusion light
    ("#353535", "#2a2a2a", "#2a82da"),     # a dark theme
    ("#000000", "#000000", "#1aebff"),     # Windows high contrast (black)
    ("#ffffff", "#ffffff", "#ffff66"),     # a highlight too pale for the ring
])
def test_the_focus_ring_has_3_to_1_contrast_in_every_palette(window, base, highlight):
    palette = _palette(window, base, highlight)
    ring = theme.focus_colour(palette)
    assert theme.contrast(ring, QtGui.QColor(window)) >= 3 and theme.contrast(ring, QtGui.QColor(base)) >= 3
    sheet = theme.stylesheet(palette)
    assert "{focus}" not in sheet and f"3px solid {ring.name()}" in sheet
    for control in ("QPushButton:focus", "QLineEdit:focus", "QPlainTextEdit:focus", "QComboBox:focus",
                    "QAbstractSpinBox:focus", "QAbstractItemView:focus", "QCheckBox:focus", "QRadioButton:focus",
                    "QToolButton:focus"):
        assert control in sheet, control


def test_a_focused_control_draws_a_3px_ring_in_the_focus_colour(qtbot):
    app = QtWidgets.QApplication.instance()
    sheet = theme.stylesheet(app.palette())
    ring = theme.focus_colour(app.palette())
    page = QtWidgets.QWidget()
    page.setStyleSheet(sheet)
    layout = QtWidgets.QVBoxLayout(page)
    edit, button = QtWidgets.QLineEdit(), QtWidgets.QPushButton("Save")
    layout.addWidget(edit)
    layout.addWidget(button)
    shown_window(qtbot, page)
    for widget in (edit, button):
        widget.setFocus()
        qtbot.waitUntil(widget.hasFocus)
        image = widget.grab().toImage()
        middle = image.height() // 2
        for x in (0, 1, 2):
            assert QtGui.QColor(image.pixel(x, middle)).name() == ring.name(), (type(widget).__name__, x)


def test_the_stylesheet_is_packaged_and_the_app_loads_it(monkeypatch):
    from app.paths import resource_path
    import tomllib
    from pathlib import Path

    assert resource_path("style.qss").is_file()
    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    assert "**/*" in project["tool"]["setuptools"]["package-data"]["resources"]
    app = QtWidgets.QApplication.instance()
    applied = []
    monkeypatch.setattr(app, "setStyleSheet", applied.append)
    monkeypatch.setattr(app, "_spocdesk_sheet", None, raising=False)
    theme.apply(app)
    assert applied and "QLabel#markingBanner" in applied[0] and 'QPushButton[primary="true"]' in applied[0]


# ---- the main window: size, menus and keys ---------------------------------------------------


def test_the_main_window_fills_the_available_area_maximised_the_first_time(qtbot, desk):
    main = main_window(qtbot, desk)
    available = main.screen().availableGeometry()
    assert main.windowState() & Qt.WindowState.WindowMaximized
    assert main.width() <= available.width() and main.height() <= available.height()
    assert main.minimumWidth() <= available.width() and main.minimumHeight() <= available.height()


def test_standard_menus_are_there(qtbot, desk):
    main = main_window(qtbot, desk)
    titles = [a.text().replace("&", "") for a in main.menuBar().actions()]
    assert titles[:3] == ["File", "Edit", "View"] and titles[-1] == "Help"
    shortcuts = {a.text().replace("&", "").rstrip("…"): a.shortcut().toString()
                 for menu in main.menuBar().findChildren(QtWidgets.QMenu) for a in menu.actions()}
    assert shortcuts["New request"] == "Ctrl+N" and shortcuts["Save"] == "Ctrl+S"
    assert shortcuts["Find"] == "Ctrl+F" and shortcuts["Back"] == "Alt+Left"
    for name in ("Undo", "Cut", "Copy", "Paste", "Select all", "User guide", "Keyboard shortcuts", "About SPOC Desk"):
        assert name in shortcuts
    toolbar = main.findChild(QtWidgets.QToolBar, "sessionToolbar")
    assert toolbar.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonTextBesideIcon
    assert all(not a.icon().isNull() for a in toolbar.actions() if a.text())


def test_edit_menu_acts_on_the_focused_field_and_copies_through_the_guard(qtbot, desk, monkeypatch):
    from ui.kit import clipboard
    from ui.shell import menus

    copied = []
    monkeypatch.setattr(clipboard, "copy_text", copied.append)
    main = main_window(qtbot, desk)
    main.show_area("requests")
    box = main.area("requests").search_box
    box.setFocus()
    qtbot.waitUntil(box.hasFocus)
    box.setText("Popescu Ion")
    main.edit_actions["select_all"].trigger()
    assert box.selectedText() == "Popescu Ion"
    main.edit_actions["cut"].trigger()
    assert copied == ["Popescu Ion"] and box.text() == ""
    main.edit_actions["undo"].trigger()
    assert box.text() == "Popescu Ion"
    box.setEchoMode(QtWidgets.QLineEdit.EchoMode.Password)
    box.selectAll()
    assert not menus.edit_command("copy")        # a passphrase is never copied
    assert copied == ["Popescu Ion"]


def test_ctrl_n_ctrl_f_ctrl_s_and_alt_left(qtbot, desk):
    main = main_window(qtbot, desk)
    key(main.nav, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    requests = main.area("requests")
    assert main.current_area_key() == "requests" and requests.search_box.hasFocus()
    key(requests.search_box, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    form = requests.form
    assert form is not None and requests.stack.currentWidget() is form
    key(form.requester_name, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)   # Save: the error summary
    assert form.summary.isVisible() and requests.stack.currentWidget() is form
    key(QtWidgets.QApplication.focusWidget(), Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)   # Back
    assert requests.form is None and requests.stack.currentWidget() is requests.list_page


def test_help_shows_the_user_guide_and_the_keyboard_shortcuts(qtbot, desk):
    from ui.shell import help as help_pages

    main = main_window(qtbot, desk)
    main.guide_action.trigger()
    guide = next(w for w in QtWidgets.QApplication.topLevelWidgets()
                 if isinstance(w, help_pages.GuideDialog) and w.isVisible())
    assert guide.page_names()[0] == "desktop.md" and "cli.md" in guide.page_names()
    assert "Discard changes?" in guide.text.toPlainText()
    assert guide.show_page("breaches.md") and "breach" in guide.text.toPlainText().lower()
    guide.close()
    main.shortcuts_action.trigger()
    shortcuts = next(w for w in QtWidgets.QApplication.topLevelWidgets()
                     if isinstance(w, help_pages.ShortcutsDialog) and w.isVisible())
    rows = dict((keys_, what) for what, keys_ in shortcuts.rows())
    assert rows["Ctrl+N"] == "File: New request" and rows["Alt+Left"] == "View: Back"
    assert rows["Ctrl+L"] == "File: Lock" and "Enter or Space" in rows
    shortcuts.close()


# ---- after a save, focus goes to what happened ------------------------------------------------


def test_after_saving_settings_focus_is_on_the_confirmation(qtbot, tmp_path):
    vault = make_desk(tmp_path / "admin.vault", "DCON", "admin")
    try:
        main = main_window(qtbot, vault)
        main.show_area("settings")
        settings = main.area("settings")
        settings.idle.setValue(settings.idle.value() + 1)
        settings.save_button.setFocus()
        key(settings.save_button, Qt.Key.Key_Return)
        assert settings.saved.hasFocus() and settings.saved.text().startswith("Saved")
    finally:
        QtCore.QThreadPool.globalInstance().waitForDone(30_000)
        vault.close()


# ---- the breach record as a page ----------------------------------------------------------


def test_the_breach_record_is_a_page_of_headings_and_label_value_rows(qtbot, tmp_path):
    from ui.breaches.area import DpmArea
    from fake_session import FakeSession

    vault = make_desk(tmp_path / "dpm.vault", "DCON", "dpm")
    try:
        aware = (_dt.datetime.now() - _dt.timedelta(hours=2)).strftime("%d/%m/%Y %H:%M")
        breach = bcore.create_breach(vault, {"reporter": "DS Jane <b>Smith</b>", "agency": "DCON", "category": "device-loss",
                                             "aware_at": aware, "facts": "Laptop left on a train & not found.",
                                             "containment": "Remote wipe", "records_count": "12"})
        area = DpmArea(FakeSession(vault))
        qtbot.addWidget(area)
        area.show()
        area.refresh()
        from settle import settle

        settle(qtbot)
        area.select(breach.reference)
        headings = [h.text() for h in area.record_headings.values() if h.isVisible()]
        assert headings == ["The breach as reported", "What happened", "Data involved", "What has been done"]
        reported = area.record_grids["reported"].values
        assert reported["Reported by"].text() == "DS Jane <b>Smith</b>"
        assert reported["Reported by"].textFormat() == Qt.TextFormat.PlainText
        assert area.record_grids["happened"].values["Facts"].text() == "Laptop left on a train & not found."
        assert area.record_grids["data"].values["About how many records"].text() == "12"
        assert "Remedial action" not in area.record_grids["actions"].values   # empty rows are left out
    finally:
        QtCore.QThreadPool.globalInstance().waitForDone(30_000)
        vault.close()


def test_govuk_text_colours_stay_readable_on_a_dark_or_high_contrast_palette(qtbot):
    from ui.kit.widgets import HINT_STYLE, hint_label

    light = _palette("#efefef", "#ffffff", "#308cc6")
    swaps = theme.text_colours(light)                       # a light window: only the few just under 4.5:1
    assert not {"#0b0c0c", "#505a5f", "#b10e1e", "#00703c"} & set(swaps)
    assert all(theme.contrast(QtGui.QColor(c), QtGui.QColor("#efefef")) >= 4.5 for c in swaps.values())
    assert theme.text_colours(_palette("#ffffff", "#ffffff", "#1d70b8")).keys() <= {"#b1b4b6"}
    for window in ("#353535", "#000000"):
        dark = _palette(window, window, "#2a82da", text="#ffffff")
        swaps = theme.text_colours(dark)
        assert {"#505a5f", "#b10e1e", "#1d70b8", "#0b0c0c"} <= set(swaps)
        for new in swaps.values():
            assert theme.contrast(QtGui.QColor(new), QtGui.QColor(window)) >= 4.5
        sheet = "QLabel { border-left: 5px solid #1d70b8; color: #b10e1e; background-color: #b10e1e; }"
        assert theme.recolour(sheet, swaps) == ("QLabel { border-left: 5px solid #1d70b8; "
                                                f"color: {swaps['#b10e1e']}; background-color: #b10e1e; }}")
    # Applied to an application whose palette is dark, a hint label is rewritten as it is styled,
    # and a label styled before the palette was known is rewritten when it is applied.
    earlier = hint_label("Styled before")
    qtbot.addWidget(earlier)
    before = theme.use_text_colours(theme.text_colours(_palette("#000000", "#000000", "#1aebff", "#ffffff")))
    try:
        label = hint_label("A hint")
        qtbot.addWidget(label)
        label.show()
        assert label.styleSheet() != HINT_STYLE and "#505a5f" not in label.styleSheet()
        assert earlier.styleSheet() == label.styleSheet()
        label.setStyleSheet("QLabel { border-left: 5px solid #1d70b8; }")   # no text colour: as written
        assert label.styleSheet() == "QLabel { border-left: 5px solid #1d70b8; }"
    finally:
        theme.use_text_colours(before)
