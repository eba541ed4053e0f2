"""Settings (admin): the vault policy form saves what changed, says so, and tells the shell."""

from __future__ import annotations

import pytest

from app.policy import get_policy
from app.roles import can
from ui.qt import Qt
from ui.admin.settings import SettingsArea
from fake_session import FakeSession


@pytest.fixture
def area(qtbot, new_vault):
    vault, _key = new_vault
    widget = SettingsArea(FakeSession(vault))
    qtbot.addWidget(widget)
    widget.show()
    widget.refresh()
    return widget


def test_form_shows_the_policy_and_its_limits(area, new_vault):
    vault, _key = new_vault
    policy = get_policy(vault)
    assert area.idle.value() == policy.idle_lock_minutes == 5
    assert area.keyring.isChecked() is policy.keyring_allowed
    assert area.due.value() == policy.response_due_days
    assert area.retention.value() == policy.retention_review_months
    assert (area.idle.minimum(), area.idle.maximum()) == (1, 240)
    assert (area.due.minimum(), area.due.maximum()) == (1, 90)
    assert (area.retention.minimum(), area.retention.maximum()) == (1, 120)
    assert "Credential store" in area.keyring_status.text()


def test_changing_idle_minutes_persists_and_signals(qtbot, area, new_vault):
    vault, _key = new_vault
    area.idle.setValue(12)
    area.keyring.setChecked(True)
    assert area.changes() == {"idle_lock_minutes": 12, "keyring_allowed": True}
    with qtbot.waitSignal(area.policy_changed) as signal:
        qtbot.mouseClick(area.save_button, Qt.MouseButton.LeftButton)
    assert signal.args[0].idle_lock_minutes == 12
    policy = get_policy(vault)
    assert policy.idle_lock_minutes == 12 and policy.keyring_allowed is True
    assert area.saved.text().startswith("Saved")
    events = [r["record_id"] for r in vault.db.query("SELECT record_id FROM audit_events WHERE action = 'policy.changed'")]
    assert sorted(events) == ["idle_lock_minutes", "keyring_allowed"]
    assert area.changes() == {}


def test_unsaved_changes_survive_as_a_draft(qtbot, area, new_vault):
    vault, _key = new_vault
    assert area.draft_state() is None
    area.due.setValue(20)
    state = area.draft_state()
    assert state == {"response_due_days": 20}
    fresh = SettingsArea(FakeSession(vault))
    qtbot.addWidget(fresh)
    fresh.restore_draft_state(state)       # before the first refresh, as after an unlock
    fresh.refresh()
    assert fresh.due.value() == 20 and get_policy(vault).response_due_days != 20
    fresh.undo()
    assert fresh.due.value() == get_policy(vault).response_due_days


def test_only_administrators_get_the_area():
    assert SettingsArea.permission == "policy.manage"
    assert can("admin", SettingsArea.permission)
    for role in ("spoc", "dpm", "chair", "auditor"):
        assert not can(role, SettingsArea.permission)
