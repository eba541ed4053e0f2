"""Revocation that revokes (issue 16): disabling a user, a reset because a passphrase may be known
to someone else, and a new recovery key rekey the vault; the vault lists its current slots, so a
slot it does not list, or a keyslot file rolled back, opens nothing and says the file is out of
date; a rekey cut short anywhere leaves a vault that opens; scrypt slots still open and become
Argon2id; the wrong-passphrase back-off is per user and in the core.

Each of these was shown by a small script against the code before the change (an old copy of
`desk.vault.keys` with a disabled user's old passphrase opened the live vault).
"""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from app import users
from app.errors import AuthError, VaultDamaged
from app.timeutil import utc_now
from app.unlock_throttle import FREE_ATTEMPTS, Throttled
from app.vault import Vault, crypto
from app.vault.keyslots import KeyslotFile, Slot, keyslot_path

from conftest import OTHER_PASSPHRASE, PASSPHRASE

BOB = "copper violin harbour 19"
CAROL = "thistle ember yonder 58"


def keys_of(path: Path) -> Path:
    return keyslot_path(path)


def save_copy(path: Path, name: str) -> Path:
    copy = path.with_name(name)
    shutil.copy(keys_of(path), copy)
    return copy


def put_back(path: Path, copy: Path) -> None:
    shutil.copy(copy, keys_of(path))


def events(vault: Vault, action: str) -> list:
    return vault.db.query("SELECT * FROM audit_events WHERE action = ? ORDER BY seq", (action,))


@pytest.fixture
def desk(vault_path):
    """alice (admin) and bob (spoc), closed; returns the path and the recovery key."""
    vault, recovery_key = Vault.create(vault_path, user="alice", passphrase=PASSPHRASE, agency="DCON")
    users.add_user(vault, "bob", "spoc", BOB)
    vault.close()
    return vault_path, recovery_key


def write_marker(path: Path, text: str) -> None:
    vault = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    try:
        vault.db.execute("CREATE TABLE IF NOT EXISTS marker (text TEXT)")
        vault.db.execute("INSERT INTO marker (text) VALUES (?)", (text,))
    finally:
        vault.close()


# ---- revocation rekeys --------------------------------------------------------------------------


def test_disabled_users_old_keyslot_file_and_old_passphrase_open_nothing(desk):
    path, _ = desk
    old = save_copy(path, "bob-kept-this.keys")
    vault = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    dek_before = bytes(vault.data_key_for_backup())
    outcome = users.disable_user(vault, "bob", reason="left the team")
    assert outcome.rekeyed
    assert bytes(vault.data_key_for_backup()) != dek_before
    assert events(vault, "vault.rekeyed")[-1]["reason"] == "user-disabled"
    vault.close()
    write_marker(path, "written after bob left")

    put_back(path, old)
    with pytest.raises(VaultDamaged, match="out of date"):
        Vault.open(path, user="bob", passphrase=BOB)
    # The old copy opens nothing for anyone: its slots hold the old data key.
    with pytest.raises(VaultDamaged, match="out of date"):
        Vault.open(path, user="alice", passphrase=PASSPHRASE)


def test_rekey_keeps_every_remaining_slot_and_the_trail(desk):
    path, recovery_key = desk
    vault = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    users.add_user(vault, "carol", "dpm", CAROL)
    users.disable_user(vault, "bob")
    vault.close()
    data = json.loads(keys_of(path).read_text())
    assert all("sealed_next" not in s for s in data["slots"])
    for user, passphrase in (("alice", PASSPHRASE), ("carol", CAROL)):
        Vault.open(path, user=user, passphrase=passphrase).close()
    rescue = Vault.open_with_recovery(path, recovery_key)
    try:
        report = rescue.verify()
        assert report.ok, report.problems
    finally:
        rescue.close()


def test_rotated_out_recovery_key_with_an_old_keyslot_file_opens_nothing(desk):
    path, old_key = desk
    old = save_copy(path, "old.keys")
    vault = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    new_key = vault.new_recovery_key()
    assert events(vault, "vault.rekeyed")[-1]["reason"] == "recovery-key-replaced"
    vault.close()
    with pytest.raises(AuthError):
        Vault.open_with_recovery(path, old_key)
    put_back(path, old)
    with pytest.raises(VaultDamaged, match="out of date"):
        Vault.open_with_recovery(path, old_key)
    shutil.copy(old, keys_of(path))
    with pytest.raises((AuthError, VaultDamaged)):
        Vault.open_with_recovery(path, new_key)


def test_reset_because_it_may_be_known_rekeys_and_a_forgotten_one_does_not(desk):
    path, _ = desk
    old = save_copy(path, "before-resets.keys")
    vault = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    dek = bytes(vault.data_key_for_backup())
    outcome = users.change_passphrase(vault, "bob", OTHER_PASSPHRASE, reset_reason="forgotten")
    assert not outcome.rekeyed and bytes(vault.data_key_for_backup()) == dek
    forgotten = save_copy(path, "after-forgotten.keys")
    outcome = users.change_passphrase(vault, "bob", CAROL, reset_reason="may-be-known")
    assert outcome.rekeyed and bytes(vault.data_key_for_backup()) != dek
    reset = events(vault, "user.passphrase_reset")
    assert [r["reason"] for r in reset] == ["forgotten", "may-be-known"]
    vault.close()

    Vault.open(path, user="bob", passphrase=CAROL).close()
    with pytest.raises(AuthError):
        Vault.open(path, user="bob", passphrase=OTHER_PASSPHRASE)
    for copy in (old, forgotten):
        put_back(path, copy)
        with pytest.raises(VaultDamaged, match="out of date"):
            Vault.open(path, user="bob", passphrase=BOB if copy is old else OTHER_PASSPHRASE)


def test_an_old_passphrase_in_an_old_file_opens_nothing_even_without_a_rekey(desk):
    """A forgotten-passphrase reset rewraps one slot; the vault no longer lists the old one."""
    path, _ = desk
    old = save_copy(path, "old.keys")
    vault = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    users.change_passphrase(vault, "bob", OTHER_PASSPHRASE, reset_reason="forgotten")
    vault.close()
    put_back(path, old)
    with pytest.raises(VaultDamaged, match="out of date") as refused:
        Vault.open(path, user="bob", passphrase=BOB)
    assert "keys" in str(refused.value)


# ---- the vault lists its current slots -----------------------------------------------------------


def test_keyslot_file_rolled_back_opens_nothing(desk):
    path, _ = desk
    old = save_copy(path, "old.keys")
    vault = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    users.add_user(vault, "carol", "dpm", CAROL)
    vault.close()
    put_back(path, old)
    # alice's slot is the same in both files, but the file is from before carol was added.
    with pytest.raises(VaultDamaged, match="out of date"):
        Vault.open(path, user="alice", passphrase=PASSPHRASE)


def test_a_slot_the_vault_does_not_list_opens_nothing(desk, tmp_path):
    """A slot made outside SPOC Desk with the data key (say by someone who once had it)."""
    path, _ = desk
    vault = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    dek = bytearray(vault.data_key_for_backup())
    vault.close()
    slots = KeyslotFile.load(keys_of(path))
    slots.add_passphrase_slot("mallory", OTHER_PASSPHRASE, dek)
    slots.save(keys_of(path))
    with pytest.raises(VaultDamaged, match="out of date"):
        Vault.open(path, user="mallory", passphrase=OTHER_PASSPHRASE)
    # The listed users still open, and the stray slot is dropped from the file.
    vault = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    try:
        assert events(vault, "keyslots.stale_removed")
    finally:
        vault.close()
    assert "mallory" not in KeyslotFile.load(keys_of(path)).users()


def test_the_keyslot_files_check_cannot_be_edited(desk):
    path, _ = desk
    data = json.loads(keys_of(path).read_text())
    data["check"]["generation"] += 5
    keys_of(path).write_text(json.dumps(data))
    with pytest.raises(VaultDamaged, match="out of date"):
        Vault.open(path, user="alice", passphrase=PASSPHRASE)


# ---- a rekey cut short opens with the old key or the new one -------------------------------------


class Cut(Exception):
    pass


def _disable_cut_at(path: Path, monkeypatch, where: str) -> None:
    from app.vault import connection, vault as vault_module

    vault = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    if where == "before-pragma-rekey":
        monkeypatch.setattr(connection.Database, "rekey", lambda self, key: (_ for _ in ()).throw(Cut()))
    elif where == "after-pragma-rekey":
        monkeypatch.setattr(vault_module.Vault, "_finish_rekey", lambda self, seconds=None: (_ for _ in ()).throw(Cut()))
    elif where == "before-rekey":
        monkeypatch.setattr(vault_module.Vault, "rekey", lambda self: (_ for _ in ()).throw(Cut()))
    with pytest.raises(Cut):
        users.disable_user(vault, "bob")
    # As a killed process would: no lock, no clean close.
    vault.db.close()
    vault._lock.release()
    monkeypatch.undo()


@pytest.mark.parametrize("where", ["before-rekey", "before-pragma-rekey", "after-pragma-rekey"])
def test_a_rekey_cut_short_is_finished_at_the_next_unlock(desk, monkeypatch, where):
    path, recovery_key = desk
    old = save_copy(path, "old.keys")
    _disable_cut_at(path, monkeypatch, where)
    vault = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    try:
        assert events(vault, "vault.rekeyed"), "the unlock finishes the rekey"
        assert vault.meta("rekey_pending") is None
        report = vault.verify()
        assert report.ok, report.problems
    finally:
        vault.close()
    assert all("sealed_next" not in s for s in json.loads(keys_of(path).read_text())["slots"])
    Vault.open_with_recovery(path, recovery_key).close()
    with pytest.raises(AuthError):
        Vault.open(path, user="bob", passphrase=BOB)
    put_back(path, old)
    with pytest.raises(VaultDamaged, match="out of date"):
        Vault.open(path, user="bob", passphrase=BOB)


# ---- Argon2id for new slots; scrypt slots open and are upgraded -------------------------------------


def _make_legacy(path: Path) -> None:
    """Turn alice's slot into a format-1 scrypt slot and drop the listing, as an older version wrote."""
    vault = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    dek = bytearray(vault.data_key_for_backup())
    vault.db.execute("DELETE FROM meta WHERE key = 'keyslots'")
    vault.close(record=False)
    slots = KeyslotFile.load(keys_of(path))
    alice = slots.passphrase_slot("alice")
    salt = b"s" * 16
    params = crypto.ScryptParams(n=2**10, r=8, p=1)
    key = crypto.derive_from_passphrase(PASSPHRASE, salt, params)
    legacy = Slot(id=alice.id, kind="passphrase", user="alice", kdf=params.as_dict(salt), nonce="", wrapped="",
                  created_at=alice.created_at)
    nonce, wrapped = crypto.wrap(key, dek, legacy.aad(slots.vault_id))
    legacy.nonce, legacy.wrapped = crypto.b64(nonce), crypto.b64(wrapped)
    slots.slots = [legacy if s is alice else s for s in slots.slots]
    slots.check = None
    slots.save(keys_of(path))


def test_new_slots_use_argon2id(desk):
    path, _ = desk
    for slot in json.loads(keys_of(path).read_text())["slots"]:
        if slot["kind"] == "passphrase":
            assert slot["kdf"]["name"] == "argon2id"
            assert {"t", "p", "m", "salt"} <= set(slot["kdf"])


def test_the_real_argon2id_cost_is_about_256_mib():
    assert crypto.Argon2Params().memory_kib == 256 * 1024


def test_a_scrypt_slot_still_opens_and_is_upgraded(desk):
    path, _ = desk
    _make_legacy(path)
    assert KeyslotFile.load(keys_of(path)).passphrase_slot("alice").kdf["name"] == "scrypt"
    vault = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    try:
        assert events(vault, "keyslot.upgraded")
    finally:
        vault.close()
    slot = KeyslotFile.load(keys_of(path)).passphrase_slot("alice")
    assert slot.kdf["name"] == "argon2id" and slot.format == 2
    Vault.open(path, user="alice", passphrase=PASSPHRASE).close()
    Vault.open(path, user="bob", passphrase=BOB).close()


# ---- back-off per user, in the core --------------------------------------------------------------


def _fail(path: Path, user: str, times: int) -> None:
    for _ in range(times):
        with pytest.raises(AuthError):
            Vault.open(path, user=user, passphrase="wrong wrong wrong 1")


def test_back_off_is_per_user_and_in_the_core(desk):
    path, _ = desk
    _fail(path, "bob", FREE_ATTEMPTS)
    with pytest.raises(Throttled) as waiting:
        Vault.open(path, user="bob", passphrase=BOB)  # even the right passphrase waits
    assert waiting.value.seconds > 0 and waiting.value.exit_code == 3
    # alice is not held up by bob's failures, and her unlock does not end bob's wait.
    Vault.open(path, user="alice", passphrase=PASSPHRASE).close()
    with pytest.raises(Throttled):
        Vault.open(path, user="bob", passphrase=BOB)


def test_a_burst_of_failures_is_one_audit_event(desk):
    path, _ = desk
    _fail(path, "bob", 3)
    vault = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    try:
        failed = events(vault, "login.failed")
        assert len(failed) == 1
        assert failed[0]["actor"] == "bob"
        assert failed[0]["reason"] == "3 failed attempts reported by the keyslot file"
    finally:
        vault.close()
    vault = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    try:
        assert len(events(vault, "login.failed")) == 1  # not again
    finally:
        vault.close()


def test_planted_failure_entries_are_checked_before_they_are_believed(desk):
    path, _ = desk
    data = json.loads(keys_of(path).read_text())
    future = (utc_now() + timedelta(days=400)).isoformat()
    data["failed_unlocks"] = (
        [{"user": "alice", "at": future}] * 50                                   # times not sane
        + [{"user": "Robert'); DROP TABLE users;--", "at": utc_now().isoformat()}]  # user not known
        + [{"user": "bob", "at": "not a time"}]
        + [{"user": "bob", "at": utc_now().isoformat()}] * 3000                # far too many
    )
    keys_of(path).write_text(json.dumps(data))
    # Entries with a time in the future do not hold alice up; 3000 for bob hold him up, for at
    # most the longest wait.
    with pytest.raises(Throttled) as waiting:
        Vault.open(path, user="bob", passphrase=BOB)
    assert waiting.value.seconds <= 300
    data["failed_unlocks"] = data["failed_unlocks"][:52] + [{"user": "bob", "at": utc_now().isoformat()}] * 2
    keys_of(path).write_text(json.dumps(data))
    Vault.open(path, user="alice", passphrase=PASSPHRASE).close()  # not held up by the future ones
    vault = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    try:
        believed = events(vault, "login.failed")
        assert [(r["actor"], r["reason"]) for r in believed] == [("bob", "2 failed attempts reported by the keyslot file")]
        unverified = events(vault, "login.failed_unverified")
        assert len(unverified) == 1 and unverified[0]["reason"].startswith("52 keyslot file entries not believed")
        assert not vault.db.query("SELECT 1 FROM audit_events WHERE actor LIKE '%DROP%'")
    finally:
        vault.close()


def test_a_remembered_key_survives_a_rekey_of_someone_elses_revocation(desk, memory_keyring):
    from app import policy

    path, _ = desk
    vault = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    policy.set_policy(vault, "keyring_allowed", "yes")
    users.add_user(vault, "carol", "dpm", CAROL)
    vault.close()
    bob = Vault.open(path, user="bob", passphrase=BOB)
    bob.remember_on_workstation()
    bob.close()
    vault = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    assert users.disable_user(vault, "carol").rekeyed
    vault.close()
    Vault.open_with_keyring(path, user="bob").close()


def test_a_slot_of_the_old_format_blocks_the_rekey_until_it_is_used(desk):
    path, _ = desk
    vault = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    users.add_user(vault, "carol", "dpm", CAROL)
    vault.close()
    _make_legacy(path)  # alice's slot as an older version wrote it; she signs in next ...
    # ... but the disable is done by an unlock that upgrades her slot first, so make bob's old:
    vault = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    dek = bytearray(vault.data_key_for_backup())
    bob = vault.keyslots.passphrase_slot("bob")
    params = crypto.ScryptParams(n=2**10, r=8, p=1)
    salt = b"b" * 16
    legacy = Slot(id=bob.id, kind="passphrase", user="bob", kdf=params.as_dict(salt), nonce="", wrapped="",
                  created_at=bob.created_at)
    nonce, wrapped = crypto.wrap(crypto.derive_from_passphrase(BOB, salt, params), dek, legacy.aad(vault.vault_id))
    legacy.nonce, legacy.wrapped = crypto.b64(nonce), crypto.b64(wrapped)
    vault.keyslots.slots = [legacy if s is bob else s for s in vault.keyslots.slots]
    vault.save_keyslots()
    outcome = users.disable_user(vault, "carol")
    assert not outcome.rekeyed and "bob" in outcome.not_rekeyed_because
    assert vault.meta("rekey_pending") == "user-disabled"
    vault.close()
    with pytest.raises(AuthError):
        Vault.open(path, user="carol", passphrase=CAROL)          # disabled and unlisted at once
    # bob's next unlock upgrades his slot and finishes the rekey that was due.
    bob_vault = Vault.open(path, user="bob", passphrase=BOB)
    try:
        assert bob_vault.meta("rekey_pending") is None
        assert events(bob_vault, "vault.rekeyed")[-1]["reason"] == "user-disabled"
    finally:
        bob_vault.close()
    Vault.open(path, user="alice", passphrase=PASSPHRASE).close()
