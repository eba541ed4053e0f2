"""The Data Protection Manager's home screen shows new casework accounts and passphrase resets
made by an administrator until the DPM acknowledges each (issue 16)."""

from __future__ import annotations

from app import users
from app.vault import Vault
from conftest import OTHER_PASSPHRASE, PASSPHRASE
from fake_session import FakeSession
from ui.home.area import HomeArea
from ui.qt import QtWidgets, Qt

DORA = "thistle ember yonder 58"


class HomeSession(FakeSession):
    def __init__(self, vault):
        super().__init__(vault)
        self.user = vault.user
        self.agency_name = "Derbyshire Constabulary"
        self.role_title = vault.role


def _home(qtbot, vault) -> HomeArea:
    area = HomeArea(HomeSession(vault))
    qtbot.addWidget(area)
    area.show()
    area.refresh()
    return area


def test_the_dpm_acknowledges_new_casework_accounts_and_resets(qtbot, vault_path):
    admin, _ = Vault.create(vault_path, user="alice", passphrase=PASSPHRASE, agency="DCON")
    users.add_user(admin, "dora", "dpm", DORA)
    users.add_user(admin, "bob", "spoc", OTHER_PASSPHRASE)
    users.add_user(admin, "audrey", "auditor", "copper violin harbour 19")  # not casework: no notice
    users.change_passphrase(admin, "bob", "lantern cobalt fjord 31", reset_reason="may-be-known")
    admin.close()

    dora = Vault.open(vault_path, user="dora", passphrase=DORA)
    try:
        area = _home(qtbot, dora)
        assert area.notices_box.isVisible()
        texts = [label.text() for label in area.notices_box.findChildren(QtWidgets.QLabel)]
        joined = " ".join(texts)
        assert "bob (Single Point of Contact): account created by alice" in joined
        assert "bob (Single Point of Contact): passphrase reset (it may be known to someone else) by alice" in joined
        assert "dora (Data Protection Manager): account created" in joined and "audrey" not in joined
        assert len(area.notice_buttons) == 3
        while area.notice_buttons:
            qtbot.mouseClick(area.notice_buttons[0], Qt.MouseButton.LeftButton)
        assert not area.notices_box.isVisible()
        acknowledged = dora.db.query("SELECT * FROM audit_events WHERE action = 'account_notice.acknowledged'")
        assert len(acknowledged) == 3 and {r["actor"] for r in acknowledged} == {"dora"}
    finally:
        dora.close()


def test_other_roles_do_not_see_the_notices(qtbot, vault_path):
    admin, _ = Vault.create(vault_path, user="alice", passphrase=PASSPHRASE, agency="DCON")
    try:
        users.add_user(admin, "bob", "spoc", OTHER_PASSPHRASE)
        area = _home(qtbot, admin)
        assert not area.notices_box.isVisible()
    finally:
        admin.close()


def test_an_unencrypted_whole_vault_file_shows_on_the_dpm_home(qtbot, vault_path, tmp_path):
    from app.exchange import packages

    admin, _ = Vault.create(vault_path, user="alice", passphrase=PASSPHRASE, agency="DCON")
    users.add_user(admin, "dora", "dpm", DORA)
    admin.close()
    dora = Vault.open(vault_path, user="dora", passphrase=DORA)
    assert "Unencrypted whole-vault" not in _home(qtbot, dora).due.text()
    dora.close()
    admin = Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
    packages.export_unencrypted(admin, tmp_path / "plain.json")
    admin.close()
    dora = Vault.open(vault_path, user="dora", passphrase=DORA)
    try:
        text = _home(qtbot, dora).due.text()
        assert "Unencrypted whole-vault files made: 1" in text and "by alice" in text
    finally:
        dora.close()
