"""The desktop shell: unlock, lock (manual, idle, quit), clipboard, drafts, one instance per vault."""

from __future__ import annotations

import json

import pytest

from notes_area import NotesArea

from app.policy import set_policy
from app.unlock_throttle import FREE_ATTEMPTS
from app.vault import Vault
from app.vault.keyslots import KeyslotFile, keyslot_path
from conftest import PASSPHRASE
from ui.kit import clipboard
from ui.kit import config
from PySide6.QtTest import QTest  # QTest's QWindow overloads: input as the window system gives it
from ui.qt import QtCore, QtGui, QtWidgets, Qt

CANARY = "Zofia Kowalczyk-CANARY-7f3a"


def _all_visible_text() -> list[str]:
    """Every string any live widget or item model holds, to prove a lock left nothing behind."""
    texts: list[str] = []
    for widget in QtWidgets.QApplication.allWidgets():
        for getter in ("text", "toPlainText", "currentText", "windowTitle", "placeholderText"):
            value = getattr(widget, getter, None)
            if callable(value):
                try:
                    texts.append(str(value()))
                except TypeError:
                    pass
        if isinstance(widget, QtWidgets.QComboBox):
            texts += [widget.itemText(i) for i in range(widget.count())]
        if isinstance(widget, QtWidgets.QAbstractItemView) and widget.model() is not None:
            model = widget.model()
            root = QtCore.QModelIndex()
            columns = 1 if isinstance(model, QtCore.QAbstractListModel) else model.columnCount(root)
            for row in range(model.rowCount(root)):
                for column in range(columns):
                    texts.append(str(model.data(model.index(row, column, root))))
    return texts


def _flush_deletes(qtbot):
    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
    qtbot.wait(1)


def test_unlock_success_shows_marked_main_window_with_who_and_where(qtbot, closed_vault, make_shell, unlock_with):
    shell = make_shell()
    shell.start(closed_vault)
    window = shell.unlock_window
    assert window.user_box.currentText() == "alice"   # the only user is preselected
    main = unlock_with(shell)
    assert main is not None and main.isVisible()
    assert shell.unlock_window is None
    banners = [w.text() for w in main.findChildren(QtWidgets.QLabel, "markingBanner")]
    assert banners == ["OFFICIAL-SENSITIVE", "OFFICIAL-SENSITIVE"]
    status = {k: label.text() for k, label in main.status_labels.items()}
    assert status["user"] == "User: alice"
    assert status["role"] == "Role: Administrator"
    assert "Derbyshire Constabulary" in status["agency"] and "(DCON)" in status["agency"]
    assert status["vault"] == f"Vault: {closed_vault.name}"
    assert config.vault_setting(closed_vault, "last_user") == "alice"
    assert closed_vault.resolve() in [p.resolve() for p in config.recent_vaults()]


def test_wrong_passphrase_says_so_and_a_growing_wait_follows_five_failures(qtbot, closed_vault, make_shell, unlock_with):
    shell = make_shell()
    shell.start(closed_vault)
    for attempt in range(1, FREE_ATTEMPTS + 1):
        assert shell.unlock_window.unlock_button.isEnabled(), f"attempt {attempt} should be allowed"
        assert unlock_with(shell, passphrase="not the passphrase at all") is None
        assert shell.unlock_window.error.text() == "Wrong user name or passphrase."
        assert shell.unlock_window.passphrase.text() == ""
    window = shell.unlock_window
    assert not window.unlock_button.isEnabled()
    assert window.unlock_button.text().startswith("Try again in ")
    assert not window.passphrase.isEnabled()
    # Every failure is kept for the audit trail (the vault cannot be written without the key).
    assert len(KeyslotFile.load(keyslot_path(closed_vault)).failed_unlocks) == FREE_ATTEMPTS
    # A restart does not reset the wait: a new unlock screen reads the same failures.
    shell.show_unlock(closed_vault)
    assert not shell.unlock_window.unlock_button.isEnabled()


def test_the_wait_is_per_user_another_user_still_unlocks(qtbot, vault_path, make_shell, unlock_with):
    """Issue 16: the back-off is per user and in the core; bob is not held up by alice's failures."""
    from app import users

    vault, _ = Vault.create(vault_path, user="alice", passphrase=PASSPHRASE, agency="DCON")
    users.add_user(vault, "bob", "spoc", "copper violin harbour 19")
    vault.close()
    shell = make_shell()
    shell.start(vault_path)
    for _ in range(FREE_ATTEMPTS):
        unlock_with(shell, passphrase="not the passphrase at all")
    window = shell.unlock_window
    assert not window.unlock_button.isEnabled() and window.user_box.isEnabled()
    window.user_box.setCurrentText("bob")
    assert window.unlock_button.isEnabled()
    main = unlock_with(shell, user="bob", passphrase="copper violin harbour 19")
    assert main is not None


def test_failed_attempts_reach_the_audit_trail_at_the_next_unlock(qtbot, closed_vault, make_shell, unlock_with):
    shell = make_shell()
    shell.start(closed_vault)
    unlock_with(shell, passphrase="not the passphrase at all")
    main = unlock_with(shell)
    actions = [r["action"] for r in shell.session.vault.db.query("SELECT action FROM audit_events ORDER BY seq")]
    assert actions[-2:] == ["login.failed", "login"]
    assert main is not None


def test_ctrl_l_locks_and_leaves_no_personal_data_anywhere(qtbot, closed_vault, make_shell, unlock_with):
    shell = make_shell()
    shell.start(closed_vault)
    main = unlock_with(shell)
    main.show_area("notes_test")
    area = main.area("notes_test")
    area.notes.setText(CANARY)
    area.model.appendRow(QtGui.QStandardItem(CANARY))
    vault = shell.session.vault
    assert any(CANARY in text for text in _all_visible_text())

    qtbot.keyClick(main, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)

    assert shell.session is None and shell.main_window is None
    assert vault.db.closed and not vault.is_open
    assert shell.unlock_window is not None and shell.unlock_window.isVisible()
    _flush_deletes(qtbot)
    assert not any(CANARY in text for text in _all_visible_text())
    visible = [w for w in QtWidgets.QApplication.topLevelWidgets() if w.isVisible()]
    assert visible == [shell.unlock_window]


def test_lock_closes_open_dialogs(qtbot, closed_vault, make_shell, unlock_with):
    shell = make_shell()
    shell.start(closed_vault)
    main = unlock_with(shell)
    dialog = QtWidgets.QDialog(main)
    field = QtWidgets.QLineEdit(CANARY, dialog)
    dialog.open()
    assert dialog.isVisible() and field.text() == CANARY
    shell.lock("manual")
    _flush_deletes(qtbot)
    assert not any(CANARY in text for text in _all_visible_text())


def test_idle_lock_fires_after_the_policy_time_and_activity_postpones_it(qtbot, closed_vault, make_shell, unlock_with):
    with Vault.open(closed_vault, user="alice", passphrase=PASSPHRASE) as vault:
        set_policy(vault, "idle_lock_minutes", "2")
    shell = make_shell()
    shell.start(closed_vault)
    main = unlock_with(shell)
    timer = shell.idle.timer
    assert timer.isActive() and timer.interval() == 2 * 60_000
    # Drive the timer instead of waiting two minutes: a short interval, then activity restarts it.
    timer.setInterval(400)
    timer.start()
    qtbot.wait(250)
    # as the window system delivers it: to the window, which hands it to the focused widget
    QTest.keyClick(main.windowHandle(), Qt.Key.Key_Down)
    assert timer.remainingTime() > 300
    qtbot.waitUntil(lambda: shell.main_window is None, timeout=3000)
    assert shell.unlock_window is not None
    assert "without use" in shell.unlock_window.notice.text()


def test_activity_in_a_dialog_opened_later_postpones_the_idle_lock(qtbot, closed_vault, make_shell, unlock_with):
    shell = make_shell()
    shell.start(closed_vault)
    main = unlock_with(shell)
    dialog = QtWidgets.QDialog(main)
    dialog.setLayout(QtWidgets.QVBoxLayout())
    dialog.layout().addWidget(QtWidgets.QLineEdit())
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QtGui.QGuiApplication.focusWindow() is dialog.windowHandle(), timeout=3000)
    timer = shell.idle.timer
    timer.setInterval(400)
    timer.start()
    qtbot.wait(250)
    QTest.mouseMove(dialog.windowHandle(), QtCore.QPoint(5, 5))
    QTest.keyClick(dialog.windowHandle(), Qt.Key.Key_A)
    assert timer.remainingTime() > 300
    dialog.close()


def test_a_draft_typed_before_an_idle_lock_comes_back_after_unlock(qtbot, closed_vault, make_shell, unlock_with):
    shell = make_shell()
    shell.start(closed_vault)
    main = unlock_with(shell)
    main.show_area("notes_test")
    main.area("notes_test").notes.setText(CANARY)
    shell.idle.timer.setInterval(10)
    shell.idle.timer.start()
    qtbot.waitUntil(lambda: shell.main_window is None, timeout=3000)
    assert "kept, encrypted" in shell.unlock_window.notice.text()
    # The draft is inside the encrypted vault, not in any plaintext file.
    for path in closed_vault.parent.iterdir():
        assert CANARY.encode() not in path.read_bytes()

    main = unlock_with(shell)
    assert main.current_area_key() == "notes_test"   # back where the user was
    assert main.area("notes_test").notes.text() == CANARY


def test_copied_text_is_cleared_after_30_seconds_unless_replaced(qtbot):
    guard = clipboard.ClipboardGuard()
    assert guard.timer.interval() == 30_000
    board = QtGui.QGuiApplication.clipboard()
    guard.copy("MSR-2026-0001 " + CANARY)
    assert board.text().endswith(CANARY)
    guard.timer.setInterval(20)
    guard.timer.start()
    qtbot.waitUntil(lambda: board.text() == "", timeout=2000)
    guard.copy(CANARY)
    board.setText("something the user copied from elsewhere")
    guard.clear_if_ours()
    assert board.text() == "something the user copied from elsewhere"


def test_copied_text_asks_not_to_be_kept_in_clipboard_histories(qtbot):
    """Windows clipboard history and cloud clipboard, clipboard managers, KDE's Klipper (issue 16)."""
    data = clipboard.private_mime("MSR-2026-0001")
    assert data.text() == "MSR-2026-0001"
    formats = set(data.formats())
    assert 'application/x-qt-windows-mime;value="CanIncludeInClipboardHistory"' in formats
    assert 'application/x-qt-windows-mime;value="CanUploadToCloudClipboard"' in formats
    assert 'application/x-qt-windows-mime;value="ExcludeClipboardContentFromMonitorProcessing"' in formats
    assert bytes(data.data("x-kde-passwordManagerHint")) == b"secret"
    assert bytes(data.data('application/x-qt-windows-mime;value="CanIncludeInClipboardHistory"')) == b"\0\0\0\0"
    guard = clipboard.ClipboardGuard()
    guard.copy("MSR-2026-0001")
    board = QtGui.QGuiApplication.clipboard()
    assert board.text() == "MSR-2026-0001"
    assert "x-kde-passwordManagerHint" in board.mimeData().formats()
    guard.clear_if_ours()


def test_lock_clears_the_clipboard_if_it_still_holds_what_the_app_copied(qtbot, closed_vault, make_shell, unlock_with):
    shell = make_shell()
    shell.start(closed_vault)
    unlock_with(shell)
    shell.session.copy_text(CANARY)
    assert QtGui.QGuiApplication.clipboard().text() == CANARY
    shell.lock("manual")
    assert QtGui.QGuiApplication.clipboard().text() == ""


def test_second_instance_on_an_open_vault_is_refused_clearly(qtbot, closed_vault, make_shell):
    holder = Vault.open(closed_vault, user="alice", passphrase=PASSPHRASE)   # "another window"
    try:
        shell = make_shell()
        shell.start(closed_vault)
        window = shell.unlock_window
        assert window.error.isVisible()
        assert "already open in another SPOC Desk" in window.error.text()
        assert not window.passphrase.isEnabled()
        assert window.unlock_button.text() == "Check &again"
    finally:
        holder.close()
    window.unlock_button.click()
    assert window.passphrase.isEnabled() and not window.error.isVisible()


def test_closing_the_main_window_locks_the_vault(qtbot, closed_vault, make_shell, unlock_with):
    shell = make_shell()
    shell.start(closed_vault)
    main = unlock_with(shell)
    vault = shell.session.vault
    shell.session.copy_text(CANARY)
    main.close()
    assert vault.db.closed and shell.session is None
    assert QtGui.QGuiApplication.clipboard().text() == ""


def test_window_geometry_is_kept_as_base64_text_not_pickled(qtbot, closed_vault, make_shell, unlock_with):
    shell = make_shell()
    shell.start(closed_vault)
    main = unlock_with(shell)
    main.resize(900, 640)
    shell.lock("manual")
    from app.paths import config_dir

    stored = json.loads((config_dir() / config.FILE_NAME).read_text())
    assert isinstance(stored["windows"]["main_window"], str)
    assert config.window_state("main_window") == bytes(config.window_state("main_window"))


def test_start_screen_lists_recent_vaults_and_opens_the_chosen_one(qtbot, closed_vault, make_shell, tmp_path):
    config.remember_vault(closed_vault)
    config.remember_vault(tmp_path / "gone.vault")
    shell = make_shell()
    shell.start()
    start = shell.start_window
    texts = [start.recent.item(i).text() for i in range(start.recent.count())]
    assert "(not found)" in texts[0] and closed_vault.name in texts[1]
    start.recent.setCurrentRow(1)
    start.open_button.click()
    assert shell.unlock_window is not None and shell.unlock_window.path == closed_vault


def test_areas_follow_the_role(qtbot, closed_vault, make_shell, unlock_with):
    from app.users import add_user
    from conftest import OTHER_PASSPHRASE

    with Vault.open(closed_vault, user="alice", passphrase=PASSPHRASE) as vault:
        add_user(vault, "sam", "spoc", OTHER_PASSPHRASE)

    class AdminOnly(NotesArea):
        key, title, permission = "admin_only", "Admin only", "users.manage"

    shell = make_shell([NotesArea, AdminOnly])
    shell.start(closed_vault)
    main = unlock_with(shell, user="sam", passphrase=OTHER_PASSPHRASE)
    assert [main.nav.item(i).text() for i in range(main.nav.count())] == ["Notes"]
    shell.lock("manual")
    main = unlock_with(shell)
    assert [main.nav.item(i).text() for i in range(main.nav.count())] == ["Notes", "Admin only"]


_INPUTS = (QtWidgets.QLineEdit, QtWidgets.QComboBox, QtWidgets.QAbstractSpinBox, QtWidgets.QAbstractButton,
           QtWidgets.QTextEdit, QtWidgets.QPlainTextEdit, QtWidgets.QAbstractItemView)


def _unnamed_inputs(root: QtWidgets.QWidget) -> list[str]:
    """Inputs a screen reader could not name: no accessible name and no text of their own."""
    unnamed = []
    for widget in root.findChildren(QtWidgets.QWidget):
        if not isinstance(widget, _INPUTS) or not widget.isVisibleTo(root):
            continue
        if isinstance(widget, QtWidgets.QHeaderView):
            continue  # part of its table, which carries the name
        if isinstance(widget, QtWidgets.QLineEdit) and isinstance(widget.parent(), (QtWidgets.QComboBox,
                                                                                    QtWidgets.QAbstractSpinBox)):
            continue  # the editor inside a combo box or spin box is named by its owner
        if widget.parent() is not None and type(widget.parent()).__name__ in ("QScrollBar", "QTabBar", "QToolBar"):
            continue
        own_text = widget.text() if isinstance(widget, QtWidgets.QAbstractButton) else ""
        if not (widget.accessibleName() or own_text.replace("&", "").strip()):
            unnamed.append(f"{type(widget).__name__} {widget.objectName()!r}")
    return unnamed


@pytest.mark.parametrize("role", ["admin", "spoc", "dpm", "chair", "auditor"])
def test_every_input_on_every_screen_has_an_accessible_name(qtbot, closed_vault, make_shell, unlock_with, role):
    """Every screen each role can reach: every area, the pages inside them (a request, the
    request form and its subject panel, a response), the menus' dialogs and the breach dialog."""
    from app.requests import create_request, send_to_agencies
    from app.users import add_user
    from conftest import OTHER_PASSPHRASE
    from desk_helpers import request_data
    from ui.shell.shell import default_areas

    user, passphrase = ("alice", PASSPHRASE) if role == "admin" else (f"{role}-user", OTHER_PASSPHRASE)
    with Vault.open(closed_vault, user="alice", passphrase=PASSPHRASE) as vault:
        if role != "admin":
            add_user(vault, user, role, OTHER_PASSPHRASE)
        if role != "spoc":
            add_user(vault, "sam", "spoc", OTHER_PASSPHRASE)
    with Vault.open(closed_vault, user=user if role == "spoc" else "sam", passphrase=OTHER_PASSPHRASE) as vault:
        request = create_request(vault, request_data())
        send_to_agencies(vault, request.id, ["HMRC"])
    shell = make_shell(default_areas())
    shell.start()
    assert _unnamed_inputs(shell.start_window) == []
    shell.show_unlock(closed_vault)
    assert _unnamed_inputs(shell.unlock_window) == []
    main = unlock_with(shell, user, passphrase)
    assert _unnamed_inputs(main) == [], "the window, its toolbar and status bar"
    seen = []
    for row in range(main.nav.count()):
        main.nav.setCurrentRow(row)
        area = main.stack.currentWidget()
        seen.append(main.current_area_key())
        assert _unnamed_inputs(area) == [], main.nav.item(row).text()
    requests = main.area("requests")
    if requests is not None:
        main.show_area("requests")
        assert requests.open_request(request.id)
        assert _unnamed_inputs(requests.view) == [], "a request"
        if main.session.can("requests.write"):
            form = requests.open_form(None)
            form.subjects.add_person.click()
            assert _unnamed_inputs(form) == [], "the request form with its subject panel"
            form.cancelled.emit()
    if hasattr(main, "report_breach_action"):
        dialog = main.report_breach()
        assert _unnamed_inputs(dialog) == [], "the breach dialog"
        dialog.close()
    for action in (main.guide_action, main.shortcuts_action):
        action.trigger()
        dialog = QtWidgets.QApplication.activeModalWidget() or next(
            w for w in QtWidgets.QApplication.topLevelWidgets() if isinstance(w, QtWidgets.QDialog) and w.isVisible())
        assert _unnamed_inputs(dialog) == [], action.text()
        dialog.close()
    expected = {"admin": "users", "spoc": "requests", "dpm": "breaches", "chair": "meetings", "auditor": "audit"}
    assert expected[role] in seen


def test_mnemonics_and_enter_reach_the_unlock_fields(qtbot, closed_vault, make_shell):
    shell = make_shell()
    shell.start(closed_vault)
    window = shell.unlock_window
    labels = {label.text(): label.buddy() for label in window.findChildren(QtWidgets.QLabel) if label.buddy()}
    assert labels["Us&er"] is window.user_box and labels["&Passphrase"] is window.passphrase
    assert window.unlock_button.isDefault()


def test_remember_on_this_workstation_only_where_policy_and_a_keyring_allow(
        qtbot, closed_vault, make_shell, unlock_with, memory_keyring):
    shell = make_shell()
    shell.start(closed_vault)
    window = shell.unlock_window
    assert not window.remember_box.isEnabled()
    assert "policy does not allow" in window.remember_reason.text()

    assert unlock_with(shell) is not None
    set_policy(shell.session.vault, "keyring_allowed", "yes")
    shell.lock("manual")          # the next unlock screen knows the policy allows it
    window = shell.unlock_window
    assert window.remember_box.isEnabled() and not window.remember_reason.isVisible()
    window.remember_box.setChecked(True)
    unlock_with(shell)
    assert memory_keyring.store, "the wrapping secret went to the credential store"
    shell.lock("manual")
    window = shell.unlock_window
    assert window.remembered_button.isVisible() or window.remembered_button.isVisibleTo(window)
    window.remembered_button.click()
    qtbot.waitUntil(lambda: shell.main_window is not None, timeout=10_000)
    assert shell.session.user.name == "alice"


def test_a_locked_workstation_screen_locks_the_vault(qtbot, closed_vault, make_shell, unlock_with):
    shell = make_shell()
    shell.start(closed_vault)
    unlock_with(shell)
    vault = shell.session.vault
    shell.screen.screen_locked.emit()   # what the Windows session or D-Bus screensaver watcher emits
    assert vault.db.closed and shell.main_window is None
    assert "screen was locked" in shell.unlock_window.notice.text()


def test_a_suspended_session_locks_the_vault(qtbot, closed_vault, make_shell, unlock_with):
    shell = make_shell()
    shell.start(closed_vault)
    unlock_with(shell)
    vault = shell.session.vault
    app = QtWidgets.QApplication.instance()
    app.applicationStateChanged.emit(Qt.ApplicationState.ApplicationSuspended)
    assert vault.db.closed and shell.main_window is None
    assert "session was suspended" in shell.unlock_window.notice.text()


def test_unlock_still_succeeds_and_says_why_when_the_key_cannot_be_remembered(
        qtbot, closed_vault, make_shell, unlock_with, memory_keyring):
    config.set_vault_setting(closed_vault, "keyring_allowed", True)   # stale: the policy now says no
    shell = make_shell()
    shell.start(closed_vault)
    shell.unlock_window.remember_box.setChecked(True)
    assert unlock_with(shell) is not None

    def told():
        return [w for w in QtWidgets.QApplication.topLevelWidgets()
                if isinstance(w, QtWidgets.QMessageBox) and w.isVisible()]
    qtbot.waitUntil(lambda: bool(told()), timeout=3000)
    assert told()[0].text().startswith("The key was not remembered: ")
    assert memory_keyring.store == {}
    told()[0].close()


class _NoteDialog(QtWidgets.QDialog):
    """Stands in for a dialog whose input must survive a lock (the breach-logging dialog)."""

    draft_key = "note_dialog_test"

    def __init__(self, parent, session):
        super().__init__(parent)
        self.note = QtWidgets.QLineEdit(self)
        self.note.setAccessibleName("Note")

    def draft_state(self):
        return {"note": self.note.text()} if self.note.text() else None

    def restore_draft_state(self, payload):
        self.note.setText(payload["note"])


def _open_note_dialog(parent, session):
    dialog = _NoteDialog(parent, session)
    dialog.open()
    return dialog


def test_a_dialog_typed_in_before_a_lock_reopens_with_its_input(
        qtbot, closed_vault, make_shell, unlock_with, monkeypatch):
    from ui.shell import shell as shell_module

    monkeypatch.setitem(shell_module.DIALOG_DRAFTS, _NoteDialog.draft_key, f"{__name__}:_open_note_dialog")
    shell = make_shell()
    shell.start(closed_vault)
    main = unlock_with(shell)
    _open_note_dialog(main, shell.session).note.setText(CANARY)
    shell.lock("idle")
    _flush_deletes(qtbot)
    assert not any(CANARY in text for text in _all_visible_text())
    main = unlock_with(shell)
    reopened = [w for w in main.findChildren(_NoteDialog) if w.isVisible()]
    assert len(reopened) == 1 and reopened[0].note.text() == CANARY


def test_a_breach_can_be_reported_from_any_screen_and_survives_a_lock(qtbot, closed_vault, make_shell, unlock_with):
    from app.users import add_user
    from conftest import OTHER_PASSPHRASE
    from ui.breaches.dialog import BreachDialog
    from ui.shell.shell import default_areas

    with Vault.open(closed_vault, user="alice", passphrase=PASSPHRASE) as vault:
        add_user(vault, "sam", "spoc", OTHER_PASSPHRASE)
    shell = make_shell(default_areas())
    shell.start(closed_vault)
    main = unlock_with(shell, user="sam", passphrase=OTHER_PASSPHRASE)
    for area in ("requests", "partners"):
        main.show_area(area)
        qtbot.keyClick(main, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        dialogs = [w for w in main.findChildren(BreachDialog) if w.isVisible()]
        assert len(dialogs) == 1, f"Ctrl+Shift+B on {area}"
        dialog = dialogs[0]
        if area == "requests":
            dialog.reject()
            dialog.deleteLater()
    dialog.facts.setPlainText(CANARY)
    shell.lock("idle")
    _flush_deletes(qtbot)
    assert not any(CANARY in text for text in _all_visible_text())
    main = unlock_with(shell, user="sam", passphrase=OTHER_PASSPHRASE)
    reopened = [w for w in main.findChildren(BreachDialog) if w.isVisible()]
    assert len(reopened) == 1 and CANARY in reopened[0].facts.toPlainText()


def test_home_describes_every_permission_in_plain_words():
    from app.roles import PERMISSIONS
    from ui.home.area import _DESCRIPTIONS

    assert set(PERMISSIONS) <= set(_DESCRIPTIONS)
