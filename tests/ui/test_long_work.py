"""Long work off the GUI thread (ui/worker.py): locking never waits for running work, and an
operation whose screen has gone drops its result quietly (issue 14, "Long work")."""

from __future__ import annotations

import threading
import time

import pytest

from app.vault import Vault, busy_message
from conftest import OTHER_PASSPHRASE, PASSPHRASE
from ui import worker
from ui.qt import QtCore, QtWidgets, Qt


def _flush_deletes(qtbot):
    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
    qtbot.wait(1)


def _pool_done(qtbot):
    qtbot.waitUntil(lambda: QtCore.QThreadPool.globalInstance().activeThreadCount() == 0, timeout=15_000)
    qtbot.wait(20)  # the queued results reach the GUI thread


@pytest.fixture
def slow_open(monkeypatch):
    """Vault.open waits for `gate` first (a slow key derivation)."""
    gate = threading.Event()
    original = Vault.open.__func__

    def opening(cls, *args, **kwargs):
        gate.wait(10)
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(Vault, "open", classmethod(opening))
    yield gate
    gate.set()


def _start_unlock(qtbot, shell, passphrase):
    window = shell.unlock_window
    window.user_box.setCurrentText("alice")
    window.passphrase.setText(passphrase)
    qtbot.mouseClick(window.unlock_button, Qt.MouseButton.LeftButton)
    assert window.busy.isVisibleTo(window) and not window.unlock_button.isEnabled()
    return window


def test_choosing_another_vault_while_an_unlock_runs_drops_its_failure_quietly(
        qtbot, closed_vault, make_shell, slow_open):
    """Before: `_failed` touched the deleted progress bar (RuntimeError in a slot)."""
    shell = make_shell()
    shell.start(closed_vault)
    window = _start_unlock(qtbot, shell, "not the passphrase at all")
    qtbot.mouseClick(window.other_button, Qt.MouseButton.LeftButton)
    assert shell.start_window is not None and shell.unlock_window is None
    _flush_deletes(qtbot)  # the unlock screen is gone
    slow_open.set()
    _pool_done(qtbot)
    assert shell.main_window is None and shell.start_window.isVisible()
    assert worker.pending() == 0


def test_an_unlock_that_succeeds_after_the_user_left_opens_nothing(qtbot, closed_vault, make_shell, slow_open):
    """Before: the result, already queued when the user chose another vault, opened the vault."""
    shell = make_shell()
    shell.start(closed_vault)
    window = _start_unlock(qtbot, shell, PASSPHRASE)
    slow_open.set()
    QtCore.QThreadPool.globalInstance().waitForDone(10_000)  # opened; its result waits in the queue
    qtbot.mouseClick(window.other_button, Qt.MouseButton.LeftButton)
    _pool_done(qtbot)
    _flush_deletes(qtbot)
    assert shell.main_window is None and shell.session is None
    assert shell.start_window is not None and shell.start_window.isVisible()
    assert busy_message(closed_vault) is None     # the vault it opened was closed again
    again = Vault.open(closed_vault, user="alice", passphrase=PASSPHRASE)
    again.close()


def test_locking_while_work_runs_locks_at_once_and_drops_the_result(qtbot, closed_vault, make_shell, unlock_with,
                                                                    monkeypatch):
    """Before: the lock waited (waitForDone, up to 30 s) on the GUI thread for the work to end."""
    from ui.admin import users as users_screen
    from ui.admin.users import UsersArea
    from ui.home.area import HomeArea

    gate, started = threading.Event(), threading.Event()
    real_add_user = users_screen.add_user

    def slow_add_user(vault, name, role, passphrase):
        started.set()
        gate.wait(5)  # a long key derivation
        return real_add_user(vault, name, role, passphrase)

    monkeypatch.setattr(users_screen, "add_user", slow_add_user)
    shell = make_shell([HomeArea, UsersArea])
    shell.start(closed_vault)
    main = unlock_with(shell)
    main.show_area("users")
    area = main.area("users")
    added = []
    area.user_added.connect(added.append)
    area.name.setText("bob")
    area.fields.passphrase.setText(OTHER_PASSPHRASE)
    area.fields.confirm.setText(OTHER_PASSPHRASE)
    qtbot.mouseClick(area.add_button, Qt.MouseButton.LeftButton)
    assert started.wait(5) and not area.add_button.isEnabled()  # busy while the work runs
    vault = shell.session.vault

    began = time.monotonic()
    shell.lock("manual")
    took = time.monotonic() - began

    assert took < 2, f"the lock waited {took:.1f} s for running work"
    assert shell.main_window is None and vault.db.closed
    assert shell.unlock_window is not None and shell.unlock_window.isVisible()
    gate.set()
    _pool_done(qtbot)
    _flush_deletes(qtbot)
    assert added == [] and worker.pending() == 0
    visible = [w for w in QtWidgets.QApplication.topLevelWidgets() if w.isVisible()]
    assert visible == [shell.unlock_window]   # no message box about the dropped work
    with Vault.open(closed_vault, user="alice", passphrase=PASSPHRASE) as again:
        assert [r["name"] for r in again.db.query("SELECT name FROM users")] == ["alice"]  # nothing half-saved


def test_locking_refuses_new_work_and_stops_work_on_the_vault(qtbot, closed_vault, make_shell, unlock_with):
    """Work reading the vault in the pool at the lock fails at its next statement (the lock does
    not wait for it), and work a screen starts while the lock closes it (a dialog's refresh on
    closing) never starts."""
    from ui.home.area import HomeArea

    shell = make_shell([HomeArea])
    shell.start(closed_vault)
    main = unlock_with(shell)
    vault = shell.session.vault
    stop, seen, results, late = threading.Event(), {}, [], []

    def keeps_reading():
        try:
            while not stop.wait(0.005):
                vault.db.scalar("SELECT count(*) FROM audit_events")
        except Exception as exc:  # noqa: BLE001 - the work ends on the locked vault
            seen["ended"] = str(exc)
        return "read"

    worker.Op(main, keeps_reading).success(results.append).failure(results.append).run()
    dialog = QtWidgets.QDialog(main)
    dialog.rejected.connect(lambda: late.append(worker.Op(main, lambda: "late").success(results.append).run()))
    dialog.open()
    qtbot.wait(50)

    began = time.monotonic()
    shell.lock("manual")
    assert time.monotonic() - began < 2
    qtbot.waitUntil(lambda: "ended" in seen, timeout=5000)
    stop.set()
    _pool_done(qtbot)
    assert seen["ended"] == "The vault is locked."
    assert results == [] and len(late) == 1 and not late[0].started
    assert worker.Op(shell.unlock_window, lambda: "after").run().started  # work is taken again after the lock
    _pool_done(qtbot)


# ---- the operation helper itself ------------------------------------------------------------


def test_an_op_shows_busy_then_its_result_then_refreshes(qtbot):
    from app.errors import InvalidInput

    owner = QtWidgets.QWidget()
    qtbot.addWidget(owner)
    button = QtWidgets.QPushButton("Go", owner)
    told, gate = [], threading.Event()
    op = worker.Op(owner, lambda: gate.wait(5) and 42).busy(button, lambda busy: told.append(("busy", busy))) \
        .success(lambda value: told.append(("result", value))).refresh(lambda: told.append("refreshed")).run()
    assert op.running and worker.is_busy(owner) and not button.isEnabled()
    assert owner.cursor().shape() == Qt.CursorShape.BusyCursor
    gate.set()
    qtbot.waitUntil(lambda: not op.running, timeout=5000)
    assert told == [("busy", True), ("busy", False), ("result", 42), "refreshed"]
    assert not worker.is_busy(owner) and button.isEnabled()

    # a failure is said in words where the screen asks: a SpocError's own sentence, else the fallback
    label = QtWidgets.QLabel(owner)

    def refuse():
        raise InvalidInput("The reference is not in this vault.")

    worker.Op(owner, refuse, "That could not be read.").error_to(label).run()
    qtbot.waitUntil(lambda: worker.pending() == 0, timeout=5000)
    assert label.text() == "The reference is not in this vault."
    worker.Op(owner, lambda: 1 / 0, "That could not be read.").error_to(label).run()
    qtbot.waitUntil(lambda: worker.pending() == 0, timeout=5000)
    assert label.text() == "That could not be read."


def test_an_op_without_an_error_target_says_it_in_a_box_over_its_window(qtbot):
    from app.errors import InvalidInput

    window = QtWidgets.QWidget()
    qtbot.addWidget(window)
    inner = QtWidgets.QWidget(window)
    window.show()

    def refuse():
        raise InvalidInput("The disk is full: nothing was saved.")

    worker.Op(inner, refuse).run()
    qtbot.waitUntil(lambda: worker.pending() == 0, timeout=5000)
    boxes = [w for w in QtWidgets.QApplication.topLevelWidgets()
             if isinstance(w, QtWidgets.QMessageBox) and w.isVisible()]
    assert [(b.text(), b.parent() is window) for b in boxes] == [("The disk is full: nothing was saved.", True)]
    for box in boxes:
        box.close()


def test_a_replaced_or_orphaned_op_drops_its_result(qtbot):
    owner = QtWidgets.QWidget()
    got, let_go = [], []
    first = worker.Op(owner, lambda: "old").success(got.append).run()
    first.cancel()                                   # a newer load replaces it
    worker.Op(owner, lambda: "new").success(got.append).run()
    qtbot.waitUntil(lambda: worker.pending() == 0, timeout=5000)
    assert got == ["new"]
    gate = threading.Event()
    worker.Op(owner, lambda: gate.wait(5) and "opened").success(got.append).abandoned(let_go.append).run()
    owner.deleteLater()
    _flush_deletes(qtbot)                            # its screen has gone
    gate.set()
    _pool_done(qtbot)
    assert got == ["new"] and let_go == ["opened"] and worker.pending() == 0


# ---- lists and pages load off the GUI thread ---------------------------------------------------


@pytest.mark.parametrize("screen, core_module, function", [
    ("ui.audit.area:AuditArea", "app.audit", "page"),
    ("ui.disclosures.area:DisclosuresArea", "app.disclosures", "list_disclosures"),
    ("ui.breaches.area:DpmArea", "app.breaches", "list_breaches"),
    ("ui.meetings.area:MeetingsArea", "app.meetings", "meetings_page"),
])
def test_the_list_loads_off_the_gui_thread(qtbot, tmp_path, monkeypatch, screen, core_module, function):
    """Before: refresh() read the list on the GUI thread, so a slow read froze the window."""
    import importlib

    from desk_helpers import make_desk
    from fake_session import FakeSession

    module, name = screen.split(":")
    area_class = getattr(importlib.import_module(module), name)
    core = importlib.import_module(core_module)
    real, gate = getattr(core, function), threading.Event()

    def slow(*args, **kwargs):
        gate.wait(5)  # a large vault
        return real(*args, **kwargs)

    monkeypatch.setattr(core, function, slow)
    vault = make_desk(tmp_path / "dpm.vault", role="dpm")
    try:
        area = area_class(FakeSession(vault))
        qtbot.addWidget(area)
        area.show()
        began = time.monotonic()
        area.refresh()
        took = time.monotonic() - began
        assert took < 1, f"refresh() waited {took:.1f} s for the list"
        assert worker.pending() >= 1
        gate.set()
        qtbot.waitUntil(lambda: worker.pending() == 0, timeout=10_000)
        shown = {"AuditArea": lambda: area.model.rowCount() > 0 and "events in all" in area.count.text(),
                 "DisclosuresArea": lambda: "0 entries shown of 0 in the register" in area.count.text(),
                 "DpmArea": lambda: area.counts.text() == "0 open, 0 overdue",
                 "MeetingsArea": lambda: area.list_note.text() == "Latest first. 0 meetings."}[name]
        assert shown()
    finally:
        gate.set()
        QtCore.QThreadPool.globalInstance().waitForDone(10_000)
        vault.close()
