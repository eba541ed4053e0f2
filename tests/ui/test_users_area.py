"""Users (admin): add with a role, refuse a duplicate, disable, reset a passphrase, change one's
own; the add-user draft keeps the name and role, never the passphrase."""

from __future__ import annotations

import json

import pytest

from app.errors import AuthError
from app.roles import can
from app.users import disabled_reason, add_user, find_user
from app.vault import Vault
from conftest import OTHER_PASSPHRASE, PASSPHRASE
from ui.kit.passphrase_dialog import ChangePassphraseDialog
from ui.qt import QtWidgets, Qt
from ui.admin.users import UsersArea
from fake_session import FakeSession


@pytest.fixture
def area(qtbot, new_vault):
    vault, _key = new_vault
    widget = UsersArea(FakeSession(vault))
    qtbot.addWidget(widget)
    widget.show()
    widget.refresh()
    return widget


def _fill(area, name, role="spoc", passphrase=OTHER_PASSPHRASE):
    area.name.setText(name)
    area.role.setCurrentIndex(area.role.findData(role))
    area.fields.passphrase.setText(passphrase)
    area.fields.confirm.setText(passphrase)


def _names(area):
    return [u.name for u in area.users()]


def test_add_user_with_a_role_then_they_can_unlock(qtbot, area, new_vault):
    vault, _key = new_vault
    assert UsersArea.permission == "users.manage"
    _fill(area, "bob", "dpm")
    with qtbot.waitSignal(area.user_added, timeout=10_000):
        qtbot.mouseClick(area.add_button, Qt.MouseButton.LeftButton)
    assert "bob" in _names(area)
    assert find_user(vault, "bob").role == "dpm"
    assert area.name.text() == "" and area.fields.passphrase.text() == ""   # form cleared
    assert "bob has been added" in area.notice.text()
    texts = [area.table.item(r, c).text() for r in range(area.table.rowCount()) for c in range(5)]
    assert "Data Protection Manager" in texts
    vault.close()
    bob = Vault.open(vault.path, user="bob", passphrase=OTHER_PASSPHRASE)
    assert bob.role == "dpm"
    bob.close()


def test_duplicate_name_is_refused_with_a_clear_message(qtbot, area):
    _fill(area, "ALICE")
    qtbot.mouseClick(area.add_button, Qt.MouseButton.LeftButton)
    assert "A user called ALICE already exists" in area.name_row.error.text()
    assert any("already exists" in m for m in area.summary.messages())
    assert _names(area) == ["alice"]


def test_weak_passphrase_and_bad_name_are_refused(qtbot, area):
    _fill(area, "x", passphrase="short")
    qtbot.mouseClick(area.add_button, Qt.MouseButton.LeftButton)
    messages = area.summary.messages()
    assert len(messages) == 2
    assert "2 to 64 letters" in messages[0] and "stronger passphrase" in messages[1]
    assert not area.fields.meter.acceptable()


def test_core_refusal_is_shown_without_a_traceback(qtbot, area, new_vault):
    vault, _key = new_vault
    add_user(vault, "carol", "spoc", OTHER_PASSPHRASE)   # added elsewhere; the table is stale
    _fill(area, "carol")
    qtbot.mouseClick(area.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not area._busy and bool(area.summary.messages()), timeout=10_000)
    assert area.summary.messages() == ["A user called 'carol' already exists (user names ignore case)."]
    assert "already exists" in area.name_row.error.text()
    assert area.fields.passphrase.text() == OTHER_PASSPHRASE   # nothing typed is lost


def test_disable_user_asks_for_a_reason_and_disables(qtbot, area, new_vault):
    vault, _key = new_vault
    add_user(vault, "bob", "spoc", OTHER_PASSPHRASE)
    area.refresh()
    area.select_user("alice")
    assert not area.disable_button.isEnabled()     # not yourself
    area.select_user("bob")
    assert area.disable_button.isEnabled()
    dialog = area.disable_selected()
    assert dialog.isVisible()
    body = " ".join(label.text() for label in dialog.findChildren(QtWidgets.QLabel))
    assert "will no longer be able to unlock" in body and "audit trail" in body
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "Enter why" in dialog.reason_row.error.text() and find_user(vault, "bob").active
    dialog.reason.setText("left the team")
    with qtbot.waitSignal(dialog.disabled, timeout=20_000):   # off the GUI thread: it rekeys
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert not find_user(vault, "bob").active
    assert "bob has been disabled" in area.notice.text()
    assert not area.disable_button.isEnabled()     # the selected row is now disabled
    # The typed reason stays with the user record; the trail says only that one was given (issue 16).
    reasons = [r["reason"] for r in vault.db.query("SELECT reason FROM audit_events WHERE action = 'user.disabled'")]
    assert reasons == ["reason recorded with the user"]
    assert disabled_reason(vault, "bob") == "left the team"
    vault.close()
    with pytest.raises(AuthError):
        Vault.open(vault.path, user="bob", passphrase=OTHER_PASSPHRASE)


def test_reset_passphrase(qtbot, area, new_vault):
    vault, _key = new_vault
    add_user(vault, "bob", "spoc", OTHER_PASSPHRASE)
    area.refresh()
    area.select_user("bob")
    dialog = area.reset_selected()
    assert isinstance(dialog, ChangePassphraseDialog) and dialog.reset and dialog.current is None
    new = "copper violin harbour 19"
    dialog.fields.passphrase.setText(new)
    dialog.fields.confirm.setText(new)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "Choose why" in dialog.why_row.error.text()          # the reason decides what happens
    dialog.why_forgotten.setChecked(True)
    with qtbot.waitSignal(dialog.passphrase_changed, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "passphrase for bob has been changed" in area.notice.text()
    assert "rekeyed" not in area.notice.text()
    vault.close()
    with pytest.raises(AuthError):
        Vault.open(vault.path, user="bob", passphrase=OTHER_PASSPHRASE)
    Vault.open(vault.path, user="bob", passphrase=new).close()


def test_a_reset_because_it_may_be_known_rekeys_the_vault(qtbot, area, new_vault, tmp_path):
    import shutil

    from app.errors import VaultDamaged
    from app.vault.keyslots import keyslot_path

    vault, _key = new_vault
    add_user(vault, "bob", "spoc", OTHER_PASSPHRASE)
    old_keys = tmp_path / "old.keys"
    shutil.copy(keyslot_path(vault.path), old_keys)
    area.refresh()
    area.select_user("bob")
    dialog = area.reset_selected()
    body = " ".join(label.text() for label in dialog.findChildren(QtWidgets.QLabel))
    assert "rekeyed" in body and "fresh backup" in body
    new = "copper violin harbour 19"
    dialog.why_known.setChecked(True)
    dialog.fields.passphrase.setText(new)
    dialog.fields.confirm.setText(new)
    with qtbot.waitSignal(dialog.passphrase_changed, timeout=20_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "rekeyed" in area.notice.text() and "fresh backup" in area.notice.text()
    vault.close()
    Vault.open(vault.path, user="bob", passphrase=new).close()
    shutil.copy(old_keys, keyslot_path(vault.path))
    with pytest.raises(VaultDamaged, match="out of date"):
        Vault.open(vault.path, user="bob", passphrase=OTHER_PASSPHRASE)


def test_disabling_says_the_vault_was_rekeyed(qtbot, area, new_vault):
    vault, _key = new_vault
    add_user(vault, "bob", "spoc", OTHER_PASSPHRASE)
    area.refresh()
    area.select_user("bob")
    dialog = area.disable_selected()
    dialog.reason.setText("left the team")
    with qtbot.waitSignal(dialog.disabled, timeout=20_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "rekeyed" in area.notice.text() and "fresh backup" in area.notice.text()


def test_change_own_passphrase_checks_the_current_one(qtbot, new_vault):
    vault, _key = new_vault
    dialog = ChangePassphraseDialog(vault, "alice")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.current.setText("not my passphrase at all")
    dialog.fields.passphrase.setText(OTHER_PASSPHRASE)
    dialog.fields.confirm.setText(OTHER_PASSPHRASE)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)
    assert "current passphrase is wrong" in dialog.current_row.error.text()
    assert dialog.current.text() == ""
    dialog.current.setText(PASSPHRASE)
    with qtbot.waitSignal(dialog.passphrase_changed, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    vault.close()
    Vault.open(vault.path, user="alice", passphrase=OTHER_PASSPHRASE).close()


def test_draft_keeps_name_and_role_never_the_passphrase(qtbot, area, new_vault):
    assert area.draft_state() is None
    _fill(area, "dave", "auditor")
    state = area.draft_state()
    assert state == {"name": "dave", "role": "auditor"}
    assert OTHER_PASSPHRASE not in json.dumps(state)
    vault, _key = new_vault
    other = UsersArea(FakeSession(vault))
    qtbot.addWidget(other)
    other.restore_draft_state(state)
    assert other.name.text() == "dave" and other.role.currentData() == "auditor"
    assert other.fields.passphrase.text() == ""


def test_non_admin_roles_do_not_get_the_area():
    assert can("admin", UsersArea.permission)
    for role in ("spoc", "dpm", "chair", "auditor"):
        assert not can(role, UsersArea.permission)
