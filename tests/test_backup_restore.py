"""Backups and restores: a backup restores to the same users and audit trail; a damaged, truncated
or foreign file is refused and leaves nothing behind; a backup taken while the desk is writing is
one consistent snapshot."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from app import policy, users
from app.errors import AuthError, InvalidInput, VaultDamaged
from app.vault import Vault
from app.vault.backup import MAGIC, read_header, restore_backup, verify_backup
from app.vault.keyslots import keyslot_path

from conftest import OTHER_PASSPHRASE, PASSPHRASE

BOB_PASSPHRASE = "copper violin harbour 19"


def users_of(vault: Vault) -> list[dict]:
    return [dict(r) for r in vault.db.query("SELECT * FROM users ORDER BY id")]


def events_of(vault: Vault) -> list[dict]:
    return [dict(r) for r in vault.db.query("SELECT * FROM audit_events ORDER BY seq")]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def backed_up(new_vault, tmp_path):
    """A vault with two users and some events, and a backup of it: (vault, backup, users, events)."""
    vault, _ = new_vault
    users.add_user(vault, "bob", "spoc", BOB_PASSPHRASE)
    for i in range(20):
        vault.audit("case.viewed", record_type="request", record_id=f"REQ-{i:03d}")
    backups = tmp_path / "backups"
    backups.mkdir()
    expected_users = users_of(vault)
    expected_events = events_of(vault)
    info = vault.backup(backups / "desk.backup")
    assert info.path == backups / "desk.backup"
    assert info.audit_events == len(expected_events)
    return vault, info.path, expected_users, expected_events


@pytest.fixture
def target(tmp_path) -> Path:
    folder = tmp_path / "restore"
    folder.mkdir()
    return folder / "restored.vault"


def test_backup_restores_same_users_and_events_and_verifies(backed_up, target):
    vault, backup, expected_users, expected_events = backed_up
    vault_id = vault.vault_id
    restored = restore_backup(backup, target, user="alice", passphrase=PASSPHRASE)
    try:
        assert restored.vault_id == vault_id
        assert users_of(restored) == expected_users
        events = events_of(restored)
        assert events[: len(expected_events)] == expected_events
        assert [e["action"] for e in events[len(expected_events):]] == ["login", "vault.restored"]
        report = restored.verify()
        assert report.ok, report.problems
    finally:
        restored.close()
    # Both users can open the restored vault with their own passphrases.
    Vault.open(target, user="bob", passphrase=BOB_PASSPHRASE).close()
    Vault.open(target, user="alice", passphrase=PASSPHRASE).close()
    # The original was not touched by the restore and carries on.
    assert vault.is_open and vault.verify().ok


def test_backup_file_holds_no_plaintext_database(backed_up):
    _, backup, _, _ = backed_up
    data = backup.read_bytes()
    assert data.startswith(MAGIC)
    assert b"SQLite format 3" not in data
    for needle in (b"audit_events", b"case.viewed", b"REQ-001", b"CREATE TABLE"):
        assert needle not in data
    header, offset = read_header(backup)
    assert header["db_size"] == len(data) - offset


def test_backup_leaves_out_workstation_keyring_slots(new_vault, tmp_path, memory_keyring, target):
    vault, _ = new_vault
    policy.set_policy(vault, "keyring_allowed", "yes")
    vault.remember_on_workstation()
    info = vault.backup(tmp_path / "desk.backup")
    header, _ = read_header(info.path)
    assert {s["kind"] for s in header["keyslots"]["slots"]} == {"passphrase", "recovery"}
    restored = restore_backup(info.path, target, user="alice", passphrase=PASSPHRASE)
    restored.close()
    kinds = [s["kind"] for s in json.loads(keyslot_path(target).read_text())["slots"]]
    assert "keyring" not in kinds


def test_restored_vault_opens_with_the_recovery_key(new_vault, tmp_path, target):
    vault, recovery_key = new_vault
    info = vault.backup(tmp_path / "desk.backup")
    restore_backup(info.path, target, user="alice", passphrase=PASSPHRASE).close()
    Vault.open_with_recovery(target, recovery_key).close()


def test_backup_onto_an_existing_file_is_refused(backed_up, tmp_path):
    vault, backup, _, _ = backed_up
    before = backup.read_bytes()
    with pytest.raises(InvalidInput, match="already exists"):
        vault.backup(backup)
    assert backup.read_bytes() == before


def test_restore_onto_an_existing_path_is_refused_untouched(backed_up, vault_path, tmp_path):
    vault, backup, _, _ = backed_up
    vault.close()
    vault_bytes = vault_path.read_bytes()
    slot_bytes = keyslot_path(vault_path).read_bytes()
    listing = leftovers(vault_path.parent)
    with pytest.raises(InvalidInput, match="already exists") as refused:
        restore_backup(backup, vault_path, user="alice", passphrase=PASSPHRASE)
    assert refused.value.exit_code == 4
    assert vault_path.read_bytes() == vault_bytes
    assert keyslot_path(vault_path).read_bytes() == slot_bytes
    assert leftovers(vault_path.parent) == listing

    # A keyslot file alone at the target is in the way too.
    other = tmp_path / "other.vault"
    keyslot_path(other).write_text("{}")
    with pytest.raises(InvalidInput, match="already exists"):
        restore_backup(backup, other, user="alice", passphrase=PASSPHRASE)
    assert keyslot_path(other).read_text() == "{}"
    assert not other.exists()


def _image_offset(backup: Path) -> int:
    return read_header(backup)[1]


@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_flipped_byte_in_the_image_is_damaged_and_leaves_nothing(backed_up, target, where):
    _, backup, _, _ = backed_up
    data = bytearray(backup.read_bytes())
    offset = _image_offset(backup)
    position = {"first": offset + 20, "middle": (offset + len(data)) // 2, "last": len(data) - 1}[where]
    data[position] ^= 0x01
    backup.write_bytes(bytes(data))
    with pytest.raises(VaultDamaged) as damaged:
        restore_backup(backup, target, user="alice", passphrase=PASSPHRASE)
    assert damaged.value.exit_code == 5
    assert leftovers(target.parent) == []


@pytest.mark.parametrize("keep", ["half", "header-only", "one-byte-short", "inside-header"])
def test_truncated_backup_is_damaged_and_leaves_nothing(backed_up, target, keep):
    _, backup, _, _ = backed_up
    data = backup.read_bytes()
    offset = _image_offset(backup)
    cut = {
        "half": len(data) // 2,
        "header-only": offset,
        "one-byte-short": len(data) - 1,
        "inside-header": len(MAGIC) + 4 + 10,
    }[keep]
    backup.write_bytes(data[:cut])
    with pytest.raises(VaultDamaged):
        restore_backup(backup, target, user="alice", passphrase=PASSPHRASE)
    assert leftovers(target.parent) == []


def test_damaged_backup_header_is_damaged(backed_up, target):
    _, backup, _, _ = backed_up
    data = bytearray(backup.read_bytes())
    data[len(MAGIC) + 4] = ord("[")  # the JSON header no longer parses as an object
    backup.write_bytes(bytes(data))
    with pytest.raises(VaultDamaged):
        restore_backup(backup, target, user="alice", passphrase=PASSPHRASE)
    assert leftovers(target.parent) == []


@pytest.mark.parametrize("header", [b"[]", b'"text"', b"42", b"null"])
def test_backup_header_that_is_not_an_object_is_damaged(backed_up, target, header):
    _, backup, _, _ = backed_up
    _, offset = read_header(backup)
    image = backup.read_bytes()[offset:]
    backup.write_bytes(MAGIC + len(header).to_bytes(4, "big") + header + image)
    try:
        with pytest.raises(VaultDamaged):
            restore_backup(backup, target, user="alice", passphrase=PASSPHRASE)
    finally:
        assert leftovers(target.parent) == []


def test_verify_backup_catches_a_flipped_byte(backed_up):
    vault, backup, _, _ = backed_up
    assert verify_backup(backup, vault.data_key_for_backup()).audit_events > 0
    data = bytearray(backup.read_bytes())
    data[-100] ^= 0x80
    backup.write_bytes(bytes(data))
    with pytest.raises(VaultDamaged):
        verify_backup(backup, vault.data_key_for_backup())


@pytest.mark.parametrize("kind", ["vault", "text", "empty", "missing"])
def test_non_backup_file_is_invalid_input(backed_up, vault_path, tmp_path, target, kind):
    vault, _, _, _ = backed_up
    vault.close()
    if kind == "vault":
        source = vault_path
    else:
        source = tmp_path / f"not-a-backup.{kind}"
        if kind == "text":
            source.write_text("Dear SPOC,\nplease find attached ...\n")
        elif kind == "empty":
            source.write_bytes(b"")
    with pytest.raises(InvalidInput) as refused:
        restore_backup(source, target, user="alice", passphrase=PASSPHRASE)
    assert refused.value.exit_code == 4
    assert leftovers(target.parent) == []


@pytest.mark.parametrize("who, passphrase", [("alice", OTHER_PASSPHRASE), ("mallory", PASSPHRASE)])
def test_wrong_passphrase_or_user_on_restore_is_refused(backed_up, target, who, passphrase):
    _, backup, _, _ = backed_up
    with pytest.raises(AuthError) as refused:
        restore_backup(backup, target, user=who, passphrase=passphrase)
    assert refused.value.exit_code == 3
    assert leftovers(target.parent) == []


def test_backup_after_passphrase_change_opens_with_the_new_passphrase(new_vault, tmp_path, target):
    vault, _ = new_vault
    users.change_passphrase(vault, "alice", OTHER_PASSPHRASE)
    info = vault.backup(tmp_path / "desk.backup")
    with pytest.raises(AuthError):
        restore_backup(info.path, target, user="alice", passphrase=PASSPHRASE)
    restore_backup(info.path, target, user="alice", passphrase=OTHER_PASSPHRASE).close()


def test_backup_is_audited(backed_up):
    vault, backup, _, _ = backed_up
    last = events_of(vault)[-1]
    assert last["action"] == "vault.backup"
    assert backup.name in (last["reason"] or "")


def test_only_permitted_roles_may_back_up(new_vault, vault_path, tmp_path):
    vault, _ = new_vault
    users.add_user(vault, "bob", "spoc", BOB_PASSPHRASE)
    vault.close()
    bob = Vault.open(vault_path, user="bob", passphrase=BOB_PASSPHRASE)
    try:
        with pytest.raises(AuthError):
            bob.backup(tmp_path / "bob.backup")
    finally:
        bob.close()
    assert not (tmp_path / "bob.backup").exists()


def test_backup_under_concurrent_writes_is_a_consistent_snapshot(new_vault, tmp_path, target):
    vault, _ = new_vault
    for i in range(200):  # a few pages of history, so the copy takes more than an instant
        vault.audit("case.viewed", record_type="request", record_id=f"REQ-{i:04d}", reason="x" * 100)
    stop = threading.Event()
    written: list[int] = []
    errors: list[BaseException] = []

    def writer():
        try:
            n = 0
            while not stop.is_set():
                n += 1
                vault.audit("case.viewed", record_type="request", record_id=f"W-{n}")
                written.append(n)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        time.sleep(0.3)
        count_before = vault.db.scalar("SELECT count(*) FROM audit_events")
        info = vault.backup(tmp_path / "busy.backup")
        count_after = vault.db.scalar("SELECT count(*) FROM audit_events")
        time.sleep(0.5)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not errors, errors
    assert not thread.is_alive()
    assert len(written) > 20, "the writer hardly wrote: the test proved nothing"
    print(f"events before {count_before}, in backup {info.audit_events}, after {count_after}")
    assert count_before <= info.audit_events <= count_after

    restored = restore_backup(info.path, target, user="alice", passphrase=PASSPHRASE)
    try:
        report = restored.verify()
        assert report.ok, report.problems
        restored_events = events_of(restored)
        snapshot = restored_events[: info.audit_events]
        added_by_restore = {e["action"] for e in restored_events[info.audit_events:]}
        assert added_by_restore <= {"login", "vault.restored", "vault.verified"}
        assert count_before <= len(snapshot) <= count_after
        # A prefix of the live trail, event for event.
        live = events_of(vault)
        assert snapshot == live[: len(snapshot)]
    finally:
        restored.close()
    assert vault.verify().ok
