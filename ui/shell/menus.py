"""The standard menus and keys of the main window: Edit (undo, cut, copy, paste, select all on
the focused field; find), View (back, refresh, full screen, contrast), Help (the user guide, the
keyboard shortcuts, About), and Ctrl+N new request, Ctrl+S save, Ctrl+F find, Alt+Left back.

Copy and Cut go through the application's clipboard guard (ui/kit/clipboard.py): what is copied
from a field is cleared from the clipboard after 30 seconds and kept out of clipboard histories,
as everything else SPOC Desk copies is."""

from __future__ import annotations

from ui.kit import clipboard
from ui.kit.keys import click_primary
from ui.qt import QtGui, QtWidgets, Qt

_TEXT_EDITS = (QtWidgets.QPlainTextEdit, QtWidgets.QTextEdit)


def focused_field() -> QtWidgets.QWidget | None:
    widget = QtWidgets.QApplication.focusWidget()
    if isinstance(widget, QtWidgets.QComboBox) and widget.isEditable():
        return widget.lineEdit()
    return widget


def _selected_text(widget) -> str:
    if isinstance(widget, QtWidgets.QLineEdit):
        if widget.echoMode() != QtWidgets.QLineEdit.EchoMode.Normal:
            return ""   # a passphrase is never copied
        return widget.selectedText()
    if isinstance(widget, _TEXT_EDITS):
        return widget.textCursor().selectedText().replace("\u2029", "\n").replace("\u2028", "\n")
    if isinstance(widget, QtWidgets.QLabel):
        return widget.selectedText()
    return ""


def _editable(widget) -> bool:
    if isinstance(widget, QtWidgets.QLineEdit):
        return not widget.isReadOnly()
    if isinstance(widget, _TEXT_EDITS):
        return not widget.isReadOnly()
    return False


def edit_command(name: str) -> bool:
    """Do Edit > `name` ("undo", "redo", "cut", "copy", "paste", "select_all") on the focused
    field; False when the focused widget has nothing of the kind."""
    widget = focused_field()
    if widget is None:
        return False
    if name in ("copy", "cut"):
        text = _selected_text(widget)
        if not text:
            return False
        clipboard.copy_text(text)
        if name == "cut" and _editable(widget):
            if isinstance(widget, QtWidgets.QLineEdit):
                widget.del_()
            else:
                widget.textCursor().removeSelectedText()
        return True
    if name in ("undo", "redo", "paste") and not _editable(widget):
        return False
    if name == "select_all":
        if isinstance(widget, (QtWidgets.QLineEdit, QtWidgets.QAbstractItemView) + _TEXT_EDITS):
            widget.selectAll()
            return True
        if isinstance(widget, QtWidgets.QLabel) and widget.text():
            widget.setSelection(0, len(widget.text()))
            return True
        return False
    getattr(widget, name)()
    return True


def _action(window, text: str, keys, slot, tip: str = "") -> QtGui.QAction:
    action = QtGui.QAction(text, window)
    if keys is not None:
        action.setShortcut(QtGui.QKeySequence(keys))
    if tip:
        action.setToolTip(tip)
    action.triggered.connect(lambda _=False: slot())
    return action


def build_edit_menu(window, bar: QtWidgets.QMenuBar) -> QtWidgets.QMenu:
    menu = bar.addMenu("&Edit")
    window.edit_actions = {}
    # The field's own keys (Ctrl+Z, Ctrl+C...) act first; the menu names them and does the same.
    for name, text, keys in (("undo", "&Undo", QtGui.QKeySequence.StandardKey.Undo),
                             ("redo", "&Redo", QtGui.QKeySequence.StandardKey.Redo),
                             (None, None, None),
                             ("cut", "Cu&t", QtGui.QKeySequence.StandardKey.Cut),
                             ("copy", "&Copy", QtGui.QKeySequence.StandardKey.Copy),
                             ("paste", "&Paste", QtGui.QKeySequence.StandardKey.Paste),
                             (None, None, None),
                             ("select_all", "Select &all", QtGui.QKeySequence.StandardKey.SelectAll)):
        if name is None:
            menu.addSeparator()
            continue
        action = _action(window, text, keys, lambda n=name: edit_command(n))
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)   # shown, never stealing the field's key
        window.edit_actions[name] = action
        menu.addAction(action)
    menu.addSeparator()
    window.find_action = _action(window, "&Find…", "Ctrl+F", window.find,
                                 "Go to the search box of this screen, or the requests search")
    menu.addAction(window.find_action)

    def enable() -> None:
        widget = focused_field()
        editable, selected = _editable(widget), bool(widget is not None and _selected_text(widget))
        window.edit_actions["undo"].setEnabled(editable and bool(getattr(widget, "isUndoAvailable", lambda: True)()))
        window.edit_actions["redo"].setEnabled(editable)
        window.edit_actions["cut"].setEnabled(editable and selected)
        window.edit_actions["copy"].setEnabled(selected)
        window.edit_actions["paste"].setEnabled(editable)
        window.edit_actions["select_all"].setEnabled(
            isinstance(widget, (QtWidgets.QLineEdit, QtWidgets.QAbstractItemView, QtWidgets.QLabel) + _TEXT_EDITS))

    menu.aboutToShow.connect(enable)
    menu.aboutToHide.connect(lambda: [a.setEnabled(True) for a in window.edit_actions.values()])
    return menu


def build_view_menu(window, bar: QtWidgets.QMenuBar) -> QtWidgets.QMenu:
    menu = bar.addMenu("&View")
    window.back_action = _action(window, "&Back", "Alt+Left", window.go_back,
                                 "Back to the list from a record; a form asks before unsaved changes are lost")
    menu.addAction(window.back_action)
    window.refresh_action = _action(window, "&Refresh", "F5", window.refresh_area, "Read this screen again")
    menu.addAction(window.refresh_action)
    menu.addSeparator()
    window.full_screen_action = _action(window, "&Full screen", "F11", window.toggle_full_screen)
    window.full_screen_action.setCheckable(True)
    menu.addAction(window.full_screen_action)
    _add_contrast_menu(window, menu)
    return menu


def _add_contrast_menu(window, menu: QtWidgets.QMenu) -> None:
    """View > Contrast: follow the system's theme, or high contrast or standard colours whatever
    it says (ui/kit/theme.py; remembered for this workstation)."""
    from ui.kit import theme

    contrast = menu.addMenu("&Contrast")
    group = QtGui.QActionGroup(window)
    window.contrast_actions = {}
    for value, text in theme.CHOICES.items():
        action = contrast.addAction(text)
        action.setCheckable(True)
        action.triggered.connect(lambda _=False, v=value: theme.choose(v))
        group.addAction(action)
        window.contrast_actions[value] = action
    contrast.aboutToShow.connect(lambda: window.contrast_actions[theme.choice()].setChecked(True))
    window.contrast_actions[theme.choice()].setChecked(True)


def build_help_menu(window, bar: QtWidgets.QMenuBar) -> QtWidgets.QMenu:
    from ui.shell import help as help_pages

    menu = bar.addMenu("&Help")
    window.guide_action = _action(window, "&User guide", "F1", lambda: help_pages.open_guide(window),
                                  "The guide to the screens, the agreement's processes and the command line")
    menu.addAction(window.guide_action)
    window.shortcuts_action = _action(window, "&Keyboard shortcuts", "Ctrl+/",
                                      lambda: help_pages.open_shortcuts(window))
    menu.addAction(window.shortcuts_action)
    menu.addSeparator()
    about = _action(window, "&About SPOC Desk", None, window._about)
    menu.addAction(about)
    return menu


def build_file_actions(window, file_menu: QtWidgets.QMenu) -> None:
    """New request (Ctrl+N) and Save (Ctrl+S), at the top of the File menu."""
    first = file_menu.actions()[0] if file_menu.actions() else None
    if window.session.can("requests.write") and window.area("requests") is not None:
        window.new_request_action = _action(window, "&New request", "Ctrl+N", window.new_request,
                                            "Start a Modern Slavery personal data request (Appendix 2)")
        file_menu.insertAction(first, window.new_request_action)
    window.save_action = _action(window, "&Save", "Ctrl+S", lambda: save_in_active_window(window),
                                 "Press the main button of the form you are in (Save, Save as draft...)")
    window.save_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
    file_menu.insertAction(first, window.save_action)
    file_menu.insertSeparator(first)


def save_in_active_window(window) -> QtWidgets.QAbstractButton | None:
    active = QtWidgets.QApplication.activeWindow() or window
    return click_primary(active)


def shortcut_rows(window) -> list[tuple[str, str]]:
    """(what, keys) for every action of the window with a key, then the keys every screen has."""
    rows = []
    seen = set()
    for menu in window.menuBar().findChildren(QtWidgets.QMenu):
        title = menu.title().replace("&", "")
        for action in menu.actions():
            keys = action.shortcut().toString(QtGui.QKeySequence.SequenceFormat.NativeText)
            name = action.text().replace("&", "").rstrip("…")
            if keys and (name, keys) not in seen:
                seen.add((name, keys))
                rows.append((f"{title}: {name}", keys))
    rows += [
        ("Move to the next field, button or link", "Tab (Shift+Tab goes back)"),
        ("Press the focused button or link", "Enter or Space"),
        ("Tick or untick the focused box", "Space"),
        ("Close a dialog or leave a form (asks first if you typed anything)", "Escape"),
        ("Go back from a record, search results or a contact form to the list", "Escape or Alt+Left"),
        ("Go to the field a label names", "Alt + the underlined letter"),
        ("Move within a list or table", "Arrow keys, Home, End, Page Up, Page Down"),
    ]
    return rows
