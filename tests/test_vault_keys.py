"""The vault's keys: passphrase, recovery and keyring slots, damage detection and the one-process lock.

What a user relies on: a wrong passphrase is told apart from a damaged vault; a damaged, truncated
or swapped file is refused and never yields data; keyslots can be added, removed and rewrapped
without rekeying the database; and only one SPOC Desk opens a vault at a time.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import keyring
import keyring.backend
import pytest

from app import audit, policy, users
from app.errors import AuthError, InvalidInput, VaultBusy, VaultDamaged
from app.vault import Vault, keyring_slot, recovery
from app.vault.connection import PAGE_SIZE
from app.vault.keyslots import keyslot_path
from app.vault.lockfile import busy_message, lock_path
from app.vault.verify import verify_database
from app.vault.vault import WRONG_CREDENTIALS

from conftest import OTHER_PASSPHRASE, PASSPHRASE, REPO

HELPER = Path(__file__).with_name("helpers_writer.py")
BOB_PASSPHRASE = "copper violin harbour 19"


# ---- small helpers -------------------------------------------------------------------------


def closed_vault(vault_path: Path, *, events: int = 0) -> tuple[Path, str]:
    """A vault on disk, closed, with `events` extra audit events; returns (path, recovery key)."""
    vault, key = Vault.create(vault_path, user="alice", passphrase=PASSPHRASE, agency="DCON")
    for i in range(events):
        vault.audit("test.event", record_type="test", record_id=str(i), reason="padding " * 20)
    vault.close()
    return vault_path, key


def actions(vault: Vault, action: str) -> list:
    return vault.db.query("SELECT * FROM audit_events WHERE action = ? ORDER BY seq", (action,))


def slots_json(vault_path: Path) -> dict:
    return json.loads(keyslot_path(vault_path).read_text(encoding="utf-8"))


def write_slots_json(vault_path: Path, data: dict) -> None:
    keyslot_path(vault_path).write_text(json.dumps(data), encoding="utf-8")


def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x5A
    path.write_bytes(bytes(data))


def open_damaged(vault_path: Path) -> str:
    """Open and verify; return how the damage was reported, failing if data came back as good."""
    try:
        vault = Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
    except VaultDamaged:
        return "open"
    try:
        try:
            report = verify_database(vault.db, vault.audit_key)
        except VaultDamaged:
            return "verify"
        assert not report.ok, "a damaged vault opened and verified as good"
        assert report.problems
        return "verify"
    finally:
        vault.close(record=False)


def busy_holder(vault_path: Path) -> subprocess.Popen:
    """Another process that opens the vault and holds it until killed."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "SPOCDESK_TEST_PASSPHRASE": PASSPHRASE}
    proc = subprocess.Popen(
        [sys.executable, str(HELPER), "hold", str(vault_path), "alice"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO,
    )
    line = proc.stdout.readline().strip()
    if line != "ready":
        proc.kill()
        _, err = proc.communicate(timeout=10)
        pytest.fail(f"holder process did not open the vault: {line!r} {err}")
    return proc


# ---- passphrases ----------------------------------------------------------------------------


def test_wrong_passphrase_is_refused_and_audited_at_next_unlock(vault_path):
    closed_vault(vault_path)
    with pytest.raises(AuthError) as wrong:
        Vault.open(vault_path, user="alice", passphrase=OTHER_PASSPHRASE)
    assert str(wrong.value) == WRONG_CREDENTIALS
    assert wrong.value.exit_code == 3
    # Pending in the keyslot file until the next unlock ...
    pending = slots_json(vault_path)["failed_unlocks"]
    assert [f["user"] for f in pending] == ["alice"]

    vault = Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
    try:
        failed = actions(vault, "login.failed")
        assert [row["actor"] for row in failed] == ["alice"]
        assert failed[0]["at"] == pending[0]["at"]
        # ... written before the successful login that recorded it.
        login = actions(vault, "login")[-1]
        assert failed[0]["seq"] < login["seq"]
        assert audit.verify_chain(vault.db, vault.audit_key).ok
    finally:
        vault.close()
    assert slots_json(vault_path)["failed_unlocks"] == []

    # Written once, not again at every later unlock.
    vault = Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
    try:
        assert len(actions(vault, "login.failed")) == 1
    finally:
        vault.close()


def test_unknown_user_gets_the_same_message_and_is_audited(vault_path):
    closed_vault(vault_path)
    with pytest.raises(AuthError) as unknown:
        Vault.open(vault_path, user="mallory", passphrase=PASSPHRASE)
    with pytest.raises(AuthError) as wrong:
        Vault.open(vault_path, user="alice", passphrase=OTHER_PASSPHRASE)
    assert str(unknown.value) == str(wrong.value) == WRONG_CREDENTIALS
    vault = Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
    try:
        # A name with no keyslot is recorded as unknown: it may be a passphrase typed in the wrong box.
        assert [r["actor"] for r in actions(vault, "login.failed")] == ["(unknown user)", "alice"]
    finally:
        vault.close()


def test_user_name_is_not_case_sensitive_at_unlock(vault_path):
    closed_vault(vault_path)
    vault = Vault.open(vault_path, user="ALICE", passphrase=PASSPHRASE)
    try:
        assert vault.user.name == "alice"
    finally:
        vault.close()


# ---- damage to the vault file ---------------------------------------------------------------


@pytest.mark.parametrize("offset", [16, 17, 100, 1000, PAGE_SIZE - 1])
def test_flipped_byte_in_first_page_is_damage_not_a_wrong_passphrase(vault_path, offset):
    closed_vault(vault_path)
    flip(vault_path, offset)
    with pytest.raises(VaultDamaged) as damaged:
        Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
    assert damaged.value.exit_code == 5
    assert "damaged" in str(damaged.value)
    assert not lock_path(vault_path).exists()  # the lock was released


def test_flipped_byte_in_any_later_page_is_reported_never_read_as_data(vault_path):
    closed_vault(vault_path, events=200)
    original = vault_path.read_bytes()
    pages = len(original) // PAGE_SIZE
    assert pages > 5
    seen = {}
    for page in range(1, pages):
        vault_path.write_bytes(original)
        flip(vault_path, page * PAGE_SIZE + 1234)
        seen[page] = open_damaged(vault_path)
        for extra in ("-wal", "-shm"):
            Path(f"{vault_path}{extra}").unlink(missing_ok=True)
    assert set(seen.values()) <= {"open", "verify"}


def damaged_unread_page(vault_path: Path) -> Path:
    """A vault with one flipped byte in a page that opening does not read (found by trying)."""
    closed_vault(vault_path, events=200)
    original = vault_path.read_bytes()
    for page in range(len(original) // PAGE_SIZE - 1, 0, -1):
        vault_path.write_bytes(original)
        flip(vault_path, page * PAGE_SIZE + 1234)
        try:
            Vault.open(vault_path, user="alice", passphrase=PASSPHRASE).close(record=False)
        except VaultDamaged:
            continue
        vault_path.write_bytes(original)
        flip(vault_path, page * PAGE_SIZE + 1234)
        return vault_path
    pytest.skip("every damaged page was caught at open")


def test_vault_verify_reports_damage_in_a_page_not_read_at_open(vault_path):
    damaged_unread_page(vault_path)
    vault = Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
    try:
        try:
            report = vault.verify()
        except VaultDamaged:
            return
        assert not report.ok
    finally:
        vault.close(record=False)


@pytest.mark.parametrize("cut", [PAGE_SIZE // 2, 1, PAGE_SIZE - 1])
def test_vault_truncated_inside_a_page_is_damaged(vault_path, cut):
    _, key = closed_vault(vault_path, events=50)
    data = vault_path.read_bytes()
    vault_path.write_bytes(data[:-cut])
    with pytest.raises(VaultDamaged, match="truncated"):
        Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
    with pytest.raises(VaultDamaged, match="truncated"):
        Vault.open_with_recovery(vault_path, key)


@pytest.mark.parametrize("pages_off", [1, 2, "half"])
def test_vault_truncated_by_whole_pages_is_damaged(vault_path, pages_off):
    closed_vault(vault_path, events=200)
    data = vault_path.read_bytes()
    pages = len(data) // PAGE_SIZE
    keep = pages // 2 if pages_off == "half" else pages - pages_off
    vault_path.write_bytes(data[: keep * PAGE_SIZE])
    assert open_damaged(vault_path) in {"open", "verify"}


def test_empty_vault_file_is_damaged(vault_path):
    closed_vault(vault_path)
    vault_path.write_bytes(b"")
    with pytest.raises(VaultDamaged):
        Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)


# ---- damage to the keyslot file -------------------------------------------------------------


def test_missing_keyslot_file_is_damaged(vault_path):
    closed_vault(vault_path)
    keyslot_path(vault_path).unlink()
    with pytest.raises(VaultDamaged, match="missing"):
        Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)


@pytest.mark.parametrize("garble", ["half", "binary", "json-list", "no-slots", "wrong-format",
                                    "unknown-kind", "bad-kdf", "bad-base64"])
def test_garbled_keyslot_file_is_damaged(vault_path, garble):
    closed_vault(vault_path)
    path = keyslot_path(vault_path)
    raw = path.read_bytes()
    data = json.loads(raw)
    if garble == "half":
        path.write_bytes(raw[: len(raw) // 2])
    elif garble == "binary":
        path.write_bytes(b"\x00\xff\xfe garbage \x80")
    elif garble == "json-list":
        path.write_text("[]")
    elif garble == "no-slots":
        del data["slots"]
        write_slots_json(vault_path, data)
    elif garble == "wrong-format":
        data["format"] = "something-else/9"
        write_slots_json(vault_path, data)
    elif garble == "unknown-kind":
        data["slots"][0]["kind"] = "master"
        write_slots_json(vault_path, data)
    elif garble == "bad-kdf":
        alice = next(s for s in data["slots"] if s["user"] == "alice")
        alice["kdf"]["n"] = "many"
        write_slots_json(vault_path, data)
    elif garble == "bad-base64":
        alice = next(s for s in data["slots"] if s["user"] == "alice")
        alice["wrapped"] = "***not base64***"
        write_slots_json(vault_path, data)
    with pytest.raises(VaultDamaged) as damaged:
        Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
    assert "restore" in str(damaged.value)
    assert not lock_path(vault_path).exists()


def _failed_unlocks_not_records(data):
    data["failed_unlocks"] = ["alice", 3]


def _user_not_text(data):
    next(s for s in data["slots"] if s["kind"] == "passphrase")["user"] = 5


def _short_nonce(data):
    next(s for s in data["slots"] if s["user"] == "alice")["nonce"] = "AAAA"


@pytest.mark.parametrize("garble", [
    pytest.param(_failed_unlocks_not_records, id="failed-unlocks-not-records"),
    pytest.param(_user_not_text, id="slot-user-not-text"),
    pytest.param(_short_nonce, id="short-nonce"),
])
def test_keyslot_file_with_wrong_field_types_is_damaged(vault_path, garble):
    closed_vault(vault_path)
    data = slots_json(vault_path)
    garble(data)
    write_slots_json(vault_path, data)
    with pytest.raises(VaultDamaged):
        Vault.open(vault_path, user="alice", passphrase=PASSPHRASE).close()
    assert not lock_path(vault_path).exists()


def test_keyslot_file_of_another_vault_is_damaged(tmp_path, vault_path):
    closed_vault(vault_path)
    other = tmp_path / "other"
    other.mkdir()
    closed_vault(other / "desk.vault")
    keyslot_path(vault_path).write_bytes(keyslot_path(other / "desk.vault").read_bytes())
    with pytest.raises(VaultDamaged):
        Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)


def test_plaintext_sqlite_at_the_vault_path_is_refused_untouched(vault_path, tmp_path):
    closed_vault(vault_path)
    vault_path.unlink()
    plain = sqlite3.connect(vault_path)
    plain.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    plain.execute("INSERT INTO meta VALUES ('vault_id', 'x')")
    plain.commit()
    plain.close()
    before = vault_path.read_bytes()
    keys_before = keyslot_path(vault_path).read_bytes()
    for attempt in (
        lambda: Vault.open(vault_path, user="alice", passphrase=PASSPHRASE),
        lambda: Vault.open(vault_path, user="alice", passphrase=OTHER_PASSPHRASE),
    ):
        with pytest.raises(VaultDamaged, match="unencrypted"):
            attempt()
    assert vault_path.read_bytes() == before
    assert keyslot_path(vault_path).read_bytes() == keys_before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["desk.vault", "desk.vault.keys"]


def test_missing_vault_file_is_invalid_input(vault_path):
    with pytest.raises(InvalidInput, match="no vault"):
        Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)


# ---- adding, removing and rewrapping slots --------------------------------------------------


def test_added_user_can_open_with_their_own_passphrase(new_vault, vault_path):
    vault, _ = new_vault
    users.add_user(vault, "bob", "spoc", BOB_PASSPHRASE)
    assert [s["user"] for s in slots_json(vault_path)["slots"] if s["kind"] == "passphrase"] == ["alice", "bob"]
    vault.close()
    bob = Vault.open(vault_path, user="bob", passphrase=BOB_PASSPHRASE)
    try:
        assert bob.user.name == "bob" and bob.role == "spoc"
    finally:
        bob.close()
    with pytest.raises(AuthError):
        Vault.open(vault_path, user="bob", passphrase=PASSPHRASE)


def test_disabled_user_cannot_open_and_their_slot_is_gone(new_vault, vault_path):
    vault, _ = new_vault
    users.add_user(vault, "bob", "spoc", BOB_PASSPHRASE)
    bob_slot = next(s for s in slots_json(vault_path)["slots"] if s["user"] == "bob")
    users.disable_user(vault, "bob", reason="left the team")
    vault.close()

    data = slots_json(vault_path)
    assert all((s["user"] or "").casefold() != "bob" for s in data["slots"])
    assert bob_slot["wrapped"] not in keyslot_path(vault_path).read_text()
    with pytest.raises(AuthError) as refused:
        Vault.open(vault_path, user="bob", passphrase=BOB_PASSPHRASE)
    assert str(refused.value) == WRONG_CREDENTIALS
    # Putting the old slot back does not let a disabled user in either: disabling rekeyed the
    # vault, so the old slot's data key opens nothing, and the message says the file is out of date.
    data["slots"].append(bob_slot)
    write_slots_json(vault_path, data)
    with pytest.raises(VaultDamaged, match="out of date"):
        Vault.open(vault_path, user="bob", passphrase=BOB_PASSPHRASE)
    Vault.open(vault_path, user="alice", passphrase=PASSPHRASE).close()


def test_passphrase_change_rewraps_one_slot_without_rekeying(new_vault, vault_path):
    vault, _ = new_vault
    users.add_user(vault, "bob", "spoc", BOB_PASSPHRASE)
    dek_before = bytes(vault.data_key_for_backup())
    vault.close()
    salt_before = vault_path.read_bytes()[:16]
    slots_before = {s["user"]: s for s in slots_json(vault_path)["slots"]}

    vault = Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
    users.change_passphrase(vault, "alice", OTHER_PASSPHRASE)
    assert bytes(vault.data_key_for_backup()) == dek_before
    vault.close()

    assert vault_path.read_bytes()[:16] == salt_before
    slots_after = {s["user"]: s for s in slots_json(vault_path)["slots"]}
    assert slots_after["bob"] == slots_before["bob"]
    assert slots_after[None] == slots_before[None]  # the recovery slot
    assert slots_after["alice"]["wrapped"] != slots_before["alice"]["wrapped"]
    assert len([s for s in slots_json(vault_path)["slots"] if s["user"] == "alice"]) == 1

    with pytest.raises(AuthError):
        Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
    vault = Vault.open(vault_path, user="alice", passphrase=OTHER_PASSPHRASE)
    try:
        assert bytes(vault.data_key_for_backup()) == dek_before
        assert actions(vault, "user.passphrase_changed")
    finally:
        vault.close()
    Vault.open(vault_path, user="bob", passphrase=BOB_PASSPHRASE).close()


def test_slot_copied_to_another_user_does_not_open(new_vault, vault_path):
    """The AEAD's associated data binds a slot to its user: renaming it in the file is useless."""
    vault, _ = new_vault
    users.add_user(vault, "bob", "admin", BOB_PASSPHRASE)
    vault.close()
    data = slots_json(vault_path)
    alice = next(s for s in data["slots"] if s["user"] == "alice")
    forged = dict(alice, user="bob")
    data["slots"] = [s for s in data["slots"] if s["user"] != "bob"] + [forged]
    write_slots_json(vault_path, data)

    with pytest.raises(AuthError):
        Vault.open(vault_path, user="bob", passphrase=PASSPHRASE)
    # The same slot under its own name still opens: only the binding refused it.
    Vault.open(vault_path, user="alice", passphrase=PASSPHRASE).close()


def test_slot_moved_to_another_kind_or_vault_id_does_not_open(new_vault, vault_path):
    vault, _ = new_vault
    vault.close()
    data = slots_json(vault_path)
    alice = next(s for s in data["slots"] if s["user"] == "alice")
    alice["id"] = "00000000-0000-4000-8000-000000000000"
    write_slots_json(vault_path, data)
    with pytest.raises(AuthError):
        Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)


# ---- recovery key ---------------------------------------------------------------------------


def test_recovery_key_shape(new_vault):
    _, key = new_vault
    groups = key.split("-")
    assert len(groups) == 9 and all(len(g) == 4 for g in groups)
    assert set(key.replace("-", "")) <= set(recovery.ALPHABET)


def test_recovery_key_opens_even_typed_in_lower_case_with_spaces(new_vault, vault_path):
    vault, key = new_vault
    vault.close()
    typed = "  " + key.lower().replace("-", " ") + "\n"
    rescue = Vault.open_with_recovery(vault_path, typed)
    try:
        assert rescue.user is None and rescue.actor == "recovery-key"
        assert rescue.vault_id == slots_json(vault_path)["vault_id"]
        users.change_passphrase(rescue, "alice", OTHER_PASSPHRASE)
        assert actions(rescue, "user.passphrase_reset")[-1]["actor"] == "recovery-key"
    finally:
        rescue.close()
    Vault.open(vault_path, user="alice", passphrase=OTHER_PASSPHRASE).close()


def test_recovery_key_read_aloud_letters_for_digits_still_open(new_vault, vault_path):
    """Crockford: O is read as 0, I and L as 1."""
    vault, key = new_vault
    vault.close()
    typed = key.replace("0", "o").replace("1", "L")
    if typed == key:
        typed = key.lower()
    Vault.open_with_recovery(vault_path, typed).close()
    assert recovery.parse_recovery_key(key.replace("1", "I")) == recovery.parse_recovery_key(key)


@pytest.mark.parametrize("typed", ["", "ABCD-EFGH", "U" * 36])
def test_recovery_key_of_the_wrong_shape_is_invalid_input(new_vault, vault_path, typed):
    vault, _ = new_vault
    vault.close()
    with pytest.raises(InvalidInput):
        Vault.open_with_recovery(vault_path, typed)


def test_recovery_key_with_one_wrong_character_is_a_typing_mistake(new_vault, vault_path):
    vault, key = new_vault
    vault.close()
    keys_before = keyslot_path(vault_path).read_bytes()
    first = key[0]
    replacement = next(c for c in recovery.ALPHABET if c != first)
    mistyped = replacement + key[1:]
    with pytest.raises(InvalidInput) as refused:
        Vault.open_with_recovery(vault_path, mistyped)
    assert "typing mistake" in str(refused.value)
    assert refused.value.exit_code == 4
    # Caught before any unlock was tried: nothing recorded as a failed unlock.
    assert keyslot_path(vault_path).read_bytes() == keys_before


def test_recovery_key_of_another_vault_is_refused(tmp_path, new_vault, vault_path):
    vault, _ = new_vault
    vault.close()
    other = tmp_path / "other"
    other.mkdir()
    _, other_key = closed_vault(other / "desk.vault")
    with pytest.raises(AuthError, match="does not open this vault"):
        Vault.open_with_recovery(vault_path, other_key)
    vault = Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
    try:
        assert [r["actor"] for r in actions(vault, "login.failed")] == ["recovery-key"]
    finally:
        vault.close()


def test_new_recovery_key_replaces_the_old_one(new_vault, vault_path):
    vault, old_key = new_vault
    new_key = vault.new_recovery_key()
    vault.close()
    assert new_key != old_key
    with pytest.raises(AuthError):
        Vault.open_with_recovery(vault_path, old_key)
    Vault.open_with_recovery(vault_path, new_key).close()


# ---- the "remember on this workstation" keyring slot ----------------------------------------


def test_keyring_slot_remember_open_and_forget(new_vault, vault_path, memory_keyring):
    vault, _ = new_vault
    policy.set_policy(vault, "keyring_allowed", "yes")
    vault.remember_on_workstation()
    kinds = [s["kind"] for s in slots_json(vault_path)["slots"]]
    assert kinds.count("keyring") == 1
    assert len(memory_keyring.store) == 1
    secret_text = next(iter(memory_keyring.store.values()))
    assert secret_text not in keyslot_path(vault_path).read_text()
    vault.close()

    remembered = Vault.open_with_keyring(vault_path, user="alice")
    try:
        assert remembered.user.name == "alice"
        assert actions(remembered, "login")[-1]["reason"] == "keyring"
        remembered.forget_on_workstation()
        assert actions(remembered, "keyring.forgotten")
    finally:
        remembered.close()
    assert memory_keyring.store == {}
    assert [s["kind"] for s in slots_json(vault_path)["slots"]].count("keyring") == 0
    with pytest.raises(AuthError):
        Vault.open_with_keyring(vault_path, user="alice")


def test_keyring_slot_does_not_open_for_another_user(new_vault, vault_path, memory_keyring):
    vault, _ = new_vault
    users.add_user(vault, "bob", "spoc", BOB_PASSPHRASE)
    policy.set_policy(vault, "keyring_allowed", "yes")
    vault.remember_on_workstation()
    vault.close()
    with pytest.raises(AuthError):
        Vault.open_with_keyring(vault_path, user="bob")


def test_keyring_slot_is_refused_when_policy_is_off(new_vault, vault_path, memory_keyring):
    vault, _ = new_vault
    with pytest.raises(AuthError, match="policy"):
        vault.remember_on_workstation()
    assert memory_keyring.store == {}
    assert "keyring" not in [s["kind"] for s in slots_json(vault_path)["slots"]]
    vault.close()
    with pytest.raises(AuthError):
        Vault.open_with_keyring(vault_path, user="alice")


def test_keyring_slot_stops_working_when_policy_is_turned_off(new_vault, vault_path, memory_keyring):
    vault, _ = new_vault
    policy.set_policy(vault, "keyring_allowed", "yes")
    vault.remember_on_workstation()
    policy.set_policy(vault, "keyring_allowed", "no")
    vault.close()
    with pytest.raises(AuthError):
        Vault.open_with_keyring(vault_path, user="alice").close()


def test_disabling_a_user_forgets_their_remembered_key(new_vault, vault_path, memory_keyring):
    vault, _ = new_vault
    users.add_user(vault, "bob", "spoc", BOB_PASSPHRASE)
    policy.set_policy(vault, "keyring_allowed", "yes")
    vault.close()
    bob = Vault.open(vault_path, user="bob", passphrase=BOB_PASSPHRASE)
    bob.remember_on_workstation()
    bob.close()
    assert len(memory_keyring.store) == 1
    admin = Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
    users.disable_user(admin, "bob")
    admin.close()
    assert memory_keyring.store == {}
    with pytest.raises(AuthError):
        Vault.open_with_keyring(vault_path, user="bob")


class _PlainFileKeyring(keyring.backend.KeyringBackend):
    """Stands in for keyrings.alt's plaintext file store; never chosen by keyring on its own."""

    priority = -1

    def get_password(self, service, username):
        return None

    def set_password(self, service, username, password):
        raise AssertionError("a plaintext keyring must never be written to")

    def delete_password(self, service, username):
        pass


_PlainFileKeyring.__module__ = "keyrings.alt.file"
_PlainFileKeyring.__qualname__ = "PlaintextKeyring"


def _fail_backend():
    from keyring.backends import fail
    return fail.Keyring()


def _null_backend():
    from keyring.backends import null
    return null.Keyring()


@pytest.mark.parametrize("make, expected", [
    (_fail_backend, "no credential store"),
    (_null_backend, "no credential store"),
    (_PlainFileKeyring, "plain file"),
])
def test_untrusted_keyring_backends_are_refused_with_a_reason(make, expected, new_vault, vault_path):
    vault, _ = new_vault
    previous = keyring.get_keyring()
    keyring.set_keyring(make())
    try:
        status = keyring_slot.status()
        assert not status.usable
        assert expected in status.reason
        policy.set_policy(vault, "keyring_allowed", "yes")
        with pytest.raises(InvalidInput, match=expected):
            vault.remember_on_workstation()
        assert "keyring" not in [s["kind"] for s in slots_json(vault_path)["slots"]]
        vault.close()
        with pytest.raises(AuthError, match=expected):
            Vault.open_with_keyring(vault_path, user="alice")
    finally:
        keyring.set_keyring(previous)


def test_memory_keyring_is_accepted(memory_keyring):
    status = keyring_slot.status()
    assert status.usable, status.reason


# ---- one process per vault ------------------------------------------------------------------


def test_second_open_in_the_same_process_is_busy(new_vault, vault_path):
    vault, key = new_vault
    for attempt in (
        lambda: Vault.open(vault_path, user="alice", passphrase=PASSPHRASE),
        lambda: Vault.open_with_recovery(vault_path, key),
    ):
        with pytest.raises(VaultBusy) as busy:
            attempt()
        assert busy.value.exit_code == 6
    assert vault.is_open
    vault.audit("still.working")
    vault.close()
    Vault.open(vault_path, user="alice", passphrase=PASSPHRASE).close()


def test_open_in_another_process_is_busy_and_stale_lock_is_recovered_after_kill(vault_path):
    closed_vault(vault_path)
    holder = busy_holder(vault_path)
    try:
        with pytest.raises(VaultBusy) as busy:
            Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
        assert str(holder.pid) in str(busy.value)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    assert holder.returncode == -signal.SIGKILL
    # The crash left its lock file behind; its OS lock died with the process.
    assert lock_path(vault_path).exists()
    assert json.loads(lock_path(vault_path).read_text())["pid"] == holder.pid
    vault = Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
    try:
        assert vault.verify().ok
        assert json.loads(lock_path(vault_path).read_text())["pid"] == os.getpid()
    finally:
        vault.close()
    assert not lock_path(vault_path).exists()


def test_the_unlock_screen_s_busy_check_only_looks(vault_path):
    closed_vault(vault_path)
    assert busy_message(vault_path) is None
    assert not lock_path(vault_path).exists()  # no lock file written just to look
    holder = busy_holder(vault_path)
    try:
        message = busy_message(vault_path)
        assert message is not None and "already open in another SPOC Desk" in message
        assert f"(process {holder.pid})" in message
        held = lock_path(vault_path).read_bytes()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    # the crashed holder's file is left behind: not busy, and not touched by looking
    assert busy_message(vault_path) is None
    assert lock_path(vault_path).read_bytes() == held


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_vault_files_are_private_to_their_owner(new_vault, vault_path, tmp_path):
    vault, _ = new_vault
    info = vault.backup(tmp_path / "desk.backup")
    for path in (vault_path, keyslot_path(vault_path), lock_path(vault_path), info.path,
                 Path(f"{vault_path}-wal")):
        assert path.exists(), path
        assert path.stat().st_mode & 0o077 == 0, (path, oct(path.stat().st_mode))
