"""The audit trail: an append-only HMAC chain that names the event where history was rewritten.

The attacks are made as someone holding the data key would make them: straight SQL on the
decrypted database, after dropping the append-only triggers.
"""

from __future__ import annotations

import pytest

from app import audit, policy, users
from app.errors import AuthError
from app.vault import Vault, crypto
from app.vault.connection import IntegrityError
from app.vault.keyslots import keyslot_path

from conftest import OTHER_PASSPHRASE, PASSPHRASE

CANARY = "Zanzibar-Quokka-7391"


@pytest.fixture
def vault_with_events(new_vault):
    """A vault with 12 events or more: the three of creation and test events numbered 1..9."""
    vault, _ = new_vault
    for i in range(1, 10):
        vault.audit("case.viewed", record_type="request", record_id=f"REQ-{i:03d}", reason=f"test {i}")
    assert audit.verify_chain(vault.db, vault.audit_key).ok
    return vault


def drop_triggers(vault: Vault) -> None:
    vault.db.execute("DROP TRIGGER audit_events_no_update")
    vault.db.execute("DROP TRIGGER audit_events_no_delete")
    vault.db.execute("DROP TRIGGER audit_events_in_order")


def rows(vault: Vault) -> list[dict]:
    return [dict(r) for r in vault.db.query("SELECT * FROM audit_events ORDER BY seq")]


def check_broken_at(vault: Vault, seq: int) -> audit.ChainReport:
    report = audit.verify_chain(vault.db, vault.audit_key)
    assert not report.ok
    assert report.problems
    assert any(f"audit event {seq} " in problem for problem in report.problems), report.problems
    # The whole-vault check reports it too.
    full = vault.verify()
    assert not full.ok
    assert any(f"audit event {seq} " in problem for problem in full.problems)
    return report


def test_chain_of_a_fresh_vault_verifies(vault_with_events):
    vault = vault_with_events
    report = audit.verify_chain(vault.db, vault.audit_key)
    assert report.ok and report.problems == []
    count = vault.db.scalar("SELECT count(*) FROM audit_events")
    assert report.events == count >= 12
    assert report.head == audit.head(vault.db)
    assert [r["seq"] for r in rows(vault)] == list(range(1, count + 1))
    assert vault.verify().ok


def test_chain_does_not_verify_under_another_key(vault_with_events):
    vault = vault_with_events
    wrong = crypto.audit_key(bytes(32))
    report = audit.verify_chain(vault.db, wrong)
    assert not report.ok
    assert "audit event 1 " in report.problems[0]


@pytest.mark.parametrize("field, value", [
    ("reason", "test 5 (edited)"),
    ("actor", "mallory"),
    ("action", "case.created"),
    ("at", "2020-01-01T00:00:00.000000+00:00"),
    ("record_id", "REQ-999"),
    ("record_type", None),
])
def test_edited_field_is_named(vault_with_events, field, value):
    vault = vault_with_events
    target = vault.db.scalar("SELECT seq FROM audit_events WHERE record_id = 'REQ-005'")
    drop_triggers(vault)
    vault.db.execute(f"UPDATE audit_events SET {field} = ? WHERE seq = ?", (value, target))
    report = check_broken_at(vault, target)
    # One edit is reported once, not as a break of every later event.
    assert len(report.problems) == 1


def test_edited_mac_is_named(vault_with_events):
    vault = vault_with_events
    drop_triggers(vault)
    vault.db.execute("UPDATE audit_events SET mac = ? WHERE seq = 6", ("00" * 32,))
    check_broken_at(vault, 6)


def test_deleted_middle_event_is_named(vault_with_events):
    vault = vault_with_events
    drop_triggers(vault)
    vault.db.execute("DELETE FROM audit_events WHERE seq = 7")
    report = check_broken_at(vault, 7)
    assert any("missing" in p for p in report.problems)


def test_deleted_middle_event_with_renumbering_is_named(vault_with_events):
    vault = vault_with_events
    drop_triggers(vault)
    with vault.db.transaction():
        vault.db.execute("DELETE FROM audit_events WHERE seq = 7")
        vault.db.execute("UPDATE audit_events SET seq = -seq WHERE seq > 7")
        vault.db.execute("UPDATE audit_events SET seq = -seq - 1 WHERE seq < 0")
    assert [r["seq"] for r in rows(vault)] == list(range(1, len(rows(vault)) + 1))
    check_broken_at(vault, 7)


def test_deleted_first_event_is_named(vault_with_events):
    vault = vault_with_events
    drop_triggers(vault)
    vault.db.execute("DELETE FROM audit_events WHERE seq = 1")
    check_broken_at(vault, 1)


def test_forged_event_inserted_with_renumbering_is_named(vault_with_events):
    vault = vault_with_events
    drop_triggers(vault)
    before = rows(vault)
    template = before[5]  # seq 6
    # A MAC made with a key the forger can guess is no good; the chain key is derived from the DEK.
    forged_mac = crypto.mac(crypto.audit_key(bytes(32)), b"forged").hex()
    with vault.db.transaction():
        vault.db.execute("UPDATE audit_events SET seq = -seq WHERE seq >= 6")
        vault.db.execute("UPDATE audit_events SET seq = -seq + 1 WHERE seq < 0")
        vault.db.execute(
            "INSERT INTO audit_events (seq, at, actor, action, record_type, record_id, reason, mac)"
            " VALUES (6, ?, 'alice', 'case.deleted', 'request', 'REQ-042', 'forged', ?)",
            (template["at"], forged_mac),
        )
    after = rows(vault)
    assert len(after) == len(before) + 1
    assert [r["seq"] for r in after] == list(range(1, len(after) + 1))
    check_broken_at(vault, 6)


def test_forged_event_appended_with_a_copied_mac_is_named(vault_with_events):
    """Copying the last MAC onto a new last event does not extend the chain."""
    vault = vault_with_events
    last = rows(vault)[-1]
    vault.db.execute(
        "INSERT INTO audit_events (seq, at, actor, action, record_type, record_id, reason, mac)"
        " VALUES (?, ?, 'alice', 'case.deleted', 'request', 'REQ-042', NULL, ?)",
        (last["seq"] + 1, last["at"], last["mac"]),
    )
    check_broken_at(vault, last["seq"] + 1)


def test_swapped_events_are_named(vault_with_events):
    vault = vault_with_events
    drop_triggers(vault)
    before = rows(vault)
    with vault.db.transaction():
        vault.db.execute("UPDATE audit_events SET seq = -1 WHERE seq = 5")
        vault.db.execute("UPDATE audit_events SET seq = 5 WHERE seq = 9")
        vault.db.execute("UPDATE audit_events SET seq = 9 WHERE seq = -1")
    after = rows(vault)
    assert after[4]["mac"] == before[8]["mac"] and after[8]["mac"] == before[4]["mac"]
    report = check_broken_at(vault, 5)
    assert any("audit event 9 " in p for p in report.problems)


def test_swapped_adjacent_events_are_named(vault_with_events):
    vault = vault_with_events
    drop_triggers(vault)
    with vault.db.transaction():
        vault.db.execute("UPDATE audit_events SET seq = -1 WHERE seq = 8")
        vault.db.execute("UPDATE audit_events SET seq = 8 WHERE seq = 9")
        vault.db.execute("UPDATE audit_events SET seq = 9 WHERE seq = -1")
    check_broken_at(vault, 8)


def test_triggers_refuse_update_and_delete(vault_with_events):
    vault = vault_with_events
    before = rows(vault)
    with pytest.raises(IntegrityError, match="append-only"):
        vault.db.execute("UPDATE audit_events SET reason = 'edited' WHERE seq = 4")
    with pytest.raises(IntegrityError, match="append-only"):
        vault.db.execute("DELETE FROM audit_events WHERE seq = 4")
    with pytest.raises(IntegrityError, match="append-only"):
        vault.db.execute("DELETE FROM audit_events")
    with pytest.raises(IntegrityError):
        vault.db.execute("INSERT INTO audit_events (seq, at, actor, action, mac)"
                         " VALUES (4, 'x', 'x', 'x', 'x')")
    with pytest.raises(IntegrityError, match="append-only|appended in order"):
        vault.db.execute("INSERT INTO audit_events (seq, at, actor, action, mac)"
                         " VALUES (4, 'x', 'x', 'x', 'x') ON CONFLICT(seq) DO UPDATE SET reason = 'x'")
    assert rows(vault) == before
    assert audit.verify_chain(vault.db, vault.audit_key).ok


def test_triggers_refuse_replace(vault_with_events):
    vault = vault_with_events
    before = rows(vault)
    try:
        with pytest.raises(IntegrityError, match="append-only|appended in order"):
            vault.db.execute("INSERT OR REPLACE INTO audit_events (seq, at, actor, action, mac)"
                             " VALUES (4, 'x', 'x', 'x', 'x')")
    finally:
        assert rows(vault) == before


def test_replaced_event_is_caught_by_the_chain(vault_with_events):
    vault = vault_with_events
    drop_triggers(vault)
    original = rows(vault)[3]
    vault.db.execute(
        "REPLACE INTO audit_events (seq, at, actor, action, record_type, record_id, reason, mac)"
        " VALUES (4, ?, ?, 'case.deleted', ?, ?, ?, ?)",
        (original["at"], original["actor"], original["record_type"], original["record_id"],
         original["reason"], original["mac"]),
    )
    check_broken_at(vault, 4)


def test_triggers_survive_close_and_reopen(vault_path, vault_with_events):
    vault_with_events.close()
    vault = Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
    try:
        names = {r["name"] for r in vault.db.query("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        assert {"audit_events_no_update", "audit_events_no_delete"} <= names
        with pytest.raises(IntegrityError):
            vault.db.execute("DELETE FROM audit_events WHERE seq = 1")
    finally:
        vault.close()


def test_head_changes_with_every_event(new_vault):
    vault, _ = new_vault
    heads = [audit.head(vault.db)]
    for _ in range(10):
        seq = vault.audit("case.viewed", record_type="request", record_id="REQ-001")
        head = audit.head(vault.db)
        assert head.seq == seq == heads[-1].seq + 1
        heads.append(head)
    assert len({h.mac for h in heads}) == len(heads)
    assert len({h.short() for h in heads}) == len(heads)
    assert vault.chain_head() == heads[-1]
    assert audit.verify_chain(vault.db, vault.audit_key).head == heads[-1]


def test_identical_events_get_different_macs(new_vault):
    vault, _ = new_vault
    at = "2026-01-01T00:00:00.000000+00:00"
    a = vault.audit("case.viewed", record_type="request", record_id="REQ-001", at=at)
    b = vault.audit("case.viewed", record_type="request", record_id="REQ-001", at=at)
    macs = {r["seq"]: r["mac"] for r in vault.db.query("SELECT seq, mac FROM audit_events")}
    assert macs[a] != macs[b]


def test_events_hold_no_passphrase_key_or_personal_value(vault_path, memory_keyring):
    """A canary in every secret a user types; none of it may reach the audit trail."""
    secret_1 = f"{CANARY} first secret"
    secret_2 = f"{CANARY} second secret"
    secret_3 = f"{CANARY} third secret"
    vault, recovery_key = Vault.create(vault_path, user="alice", passphrase=secret_1, agency="DCON")
    users.add_user(vault, "bob", "spoc", secret_2)
    users.change_passphrase(vault, "bob", secret_3)
    users.change_passphrase(vault, "alice", OTHER_PASSPHRASE)
    policy.set_policy(vault, "keyring_allowed", "yes")
    vault.remember_on_workstation()
    dek_hex = bytes(vault.data_key_for_backup()).hex()
    audit_key_hex = vault.audit_key.hex()
    vault.close()
    with pytest.raises(AuthError):
        Vault.open(vault_path, user="bob", passphrase=f"{CANARY} wrong guess")
    vault = Vault.open_with_recovery(vault_path, recovery_key)
    vault.close()
    vault = Vault.open(vault_path, user="alice", passphrase=OTHER_PASSPHRASE)
    try:
        events = rows(vault)
        assert {"login.failed", "user.added", "user.passphrase_reset", "keyring.remembered"} <= {
            e["action"] for e in events
        }
        keyring_secret = next(iter(memory_keyring.store.values()))
        forbidden = [CANARY, OTHER_PASSPHRASE, recovery_key, recovery_key.replace("-", ""),
                     dek_hex, audit_key_hex, keyring_secret]
        for event in events:
            text = " ".join(str(v) for v in event.values())
            for secret in forbidden:
                assert secret.lower() not in text.lower(), (secret, event)
        # Nor in the keyslot file, which sits beside the vault unencrypted.
        slots_text = keyslot_path(vault_path).read_text(encoding="utf-8")
        for secret in forbidden:
            assert secret.lower() not in slots_text.lower(), secret
    finally:
        vault.close()


def test_events_cut_off_the_end_are_caught_against_the_recorded_head(vault_with_events):
    """Truncation leaves a valid shorter chain; the head printed on paper is what catches it."""
    vault = vault_with_events
    printed_head = audit.head(vault.db)
    drop_triggers(vault)
    vault.db.execute("DELETE FROM audit_events WHERE seq > ?", (printed_head.seq - 2,))
    report = audit.verify_chain(vault.db, vault.audit_key)
    assert report.ok  # by design: nothing inside the file can tell
    assert report.head != printed_head
    assert report.head.seq == printed_head.seq - 2
    assert report.head.short() != printed_head.short()


def test_passphrase_typed_as_user_name_is_not_stored(vault_path):
    secret = f"{CANARY} typed in the wrong box"
    vault, _ = Vault.create(vault_path, user="alice", passphrase=PASSPHRASE, agency="DCON")
    vault.close()
    with pytest.raises(AuthError):
        Vault.open(vault_path, user=secret, passphrase=secret)
    slots_text = keyslot_path(vault_path).read_text(encoding="utf-8")
    vault = Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
    try:
        events = " ".join(" ".join(str(v) for v in e.values()) for e in rows(vault))
        assert "login.failed" in events  # the attempt itself is still on record
    finally:
        vault.close()
    assert CANARY not in slots_text
    assert CANARY not in events


def test_a_page_can_be_limited_to_some_records(vault_with_events):
    vault = vault_with_events
    for n in range(6):
        vault.audit("test.event", record_type="thing", record_id=f"r{n % 3}")
    rows = audit.page(vault.db, record_ids=("r1", "r2"))
    assert [row[5] for row in rows] == ["r2", "r1", "r2", "r1"]
    assert audit.page(vault.db, record_ids=("r1",), limit=1)[0][5] == "r1"
