"""Schema migrations: an older vault is brought up to date on open, after a backup of it is taken;
a vault from a newer SPOC Desk is refused and left exactly as it was."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

import app.vault.migrations as migrations
import app.vault.vault as vault_module
from app import audit
from app.errors import InvalidInput
from app.vault import Vault
from app.vault.backup import read_header, restore_backup
from app.vault.connection import IntegrityError
from app.vault.keyslots import keyslot_path
from app.vault.migrations import LATEST, MIGRATIONS, Migration, migrate, schema_version

from conftest import PASSPHRASE

REAL_MIGRATIONS = MIGRATIONS
REAL_LATEST = LATEST
# Numbers may have gaps (each branch takes its own): every released step before the newest.
OLDER_VERSIONS = [m.version for m in MIGRATIONS[:-1]]


@contextlib.contextmanager
def ladder(monkeypatch, steps: tuple[Migration, ...]):
    """Pretend this SPOC Desk knows only `steps` (the names vault.py imported are patched too)."""
    latest = steps[-1].version
    real_pending, real_migrate = migrations.pending, migrations.migrate

    def pending(version, target=latest):
        return real_pending(version, target)

    def migrate_to(db, target=latest, on_step=None):
        return real_migrate(db, target, on_step)

    with monkeypatch.context() as patch:
        patch.setattr(migrations, "MIGRATIONS", steps)
        patch.setattr(migrations, "LATEST", latest)
        # Default arguments were bound to the real LATEST when the module was imported.
        patch.setattr(migrations, "pending", pending)
        patch.setattr(migrations, "migrate", migrate_to)
        patch.setattr(vault_module, "LATEST", latest)
        patch.setattr(vault_module, "pending", pending)
        patch.setattr(vault_module, "migrate", migrate_to)
        yield


def old_vault(monkeypatch, vault_path: Path, version: int) -> dict:
    """A vault written by a SPOC Desk whose newest schema was `version`, with some data in it."""
    with ladder(monkeypatch, tuple(m for m in REAL_MIGRATIONS if m.version <= version)):
        vault, _ = Vault.create(vault_path, user="alice", passphrase=PASSPHRASE, agency="DCON")
        try:
            assert schema_version(vault.db) == version
            vault.audit("case.viewed", record_type="request", record_id="REQ-OLD", reason="before upgrade")
            vault.db.execute("INSERT INTO meta (key, value) VALUES ('test_marker', 'kept')")
            facts = {
                "vault_id": vault.vault_id,
                "users": [dict(r) for r in vault.db.query("SELECT * FROM users ORDER BY id")],
                "events": [dict(r) for r in vault.db.query("SELECT * FROM audit_events ORDER BY seq")],
            }
        finally:
            vault.close()
    facts["events"].append(None)  # the logout written by close()
    return facts


def backups_beside(vault_path: Path) -> list[Path]:
    return sorted(vault_path.parent.glob(f"{vault_path.name}.before-schema-*.backup"))


def test_ladder_is_numbered_from_one_in_increasing_order():
    # Each branch takes its own number, so the ladder may have gaps until they are merged.
    versions = [m.version for m in MIGRATIONS]
    assert versions[0] == 1 and versions == sorted(set(versions))
    assert LATEST == MIGRATIONS[-1].version
    assert all(m.summary for m in MIGRATIONS)


def test_new_vault_is_at_the_latest_schema(new_vault):
    vault, _ = new_vault
    assert schema_version(vault.db) == LATEST
    assert backups_beside(vault.path) == []


@pytest.mark.parametrize("version", OLDER_VERSIONS)
def test_older_vault_is_migrated_with_a_backup_that_restores(monkeypatch, tmp_path, vault_path, version):
    facts = old_vault(monkeypatch, vault_path, version)
    assert backups_beside(vault_path) == []

    vault = Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
    try:
        assert schema_version(vault.db) == LATEST
        # Every table of every step is there now.
        tables = {r["name"] for r in vault.db.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"meta", "users", "audit_events", "policy"} <= tables
        # The data is kept, byte for byte.
        assert vault.vault_id == facts["vault_id"]
        # (Later steps may add columns, such as users.disabled_reason in step 9.)
        kept = [{k: v for k, v in dict(r).items() if k in facts["users"][0]}
                for r in vault.db.query("SELECT * FROM users ORDER BY id")]
        assert kept == facts["users"]
        events = [dict(r) for r in vault.db.query("SELECT * FROM audit_events ORDER BY seq")]
        assert events[: len(facts["events"]) - 1] == facts["events"][:-1]
        assert vault.meta("test_marker") == "kept"
        migrated = [e for e in events if e["action"] == "vault.migrated"]
        assert len(migrated) == 1 and migrated[0]["reason"] == f"schema {version} to {LATEST}"
        assert vault.verify().ok
    finally:
        vault.close()

    found = backups_beside(vault_path)
    assert len(found) == 1
    backup = found[0]
    assert f"before-schema-{LATEST}-from-{version}-" in backup.name
    header, _ = read_header(backup)
    assert header["schema"] == version
    assert header["vault_id"] == facts["vault_id"]

    # Opening again migrates nothing and takes no second backup.
    Vault.open(vault_path, user="alice", passphrase=PASSPHRASE).close()
    assert backups_beside(vault_path) == [backup]

    # The backup taken before the migration restores, with the data as it was before.
    restored_path = tmp_path / "restored" / "desk.vault"
    restored_path.parent.mkdir()
    restored = restore_backup(backup, restored_path, user="alice", passphrase=PASSPHRASE)
    try:
        assert restored.vault_id == facts["vault_id"]
        assert schema_version(restored.db) == LATEST  # restoring opens it, which migrates it
        events = [dict(r) for r in restored.db.query("SELECT * FROM audit_events ORDER BY seq")]
        assert events[: len(facts["events"]) - 1] == facts["events"][:-1]
        assert not any(e["action"] == "vault.migrated" for e in events[: len(facts["events"])])
        assert restored.meta("test_marker") == "kept"
        assert restored.verify().ok
    finally:
        restored.close()


@pytest.mark.parametrize("version", OLDER_VERSIONS)
def test_migrate_step_by_step_from_each_version(tmp_path, new_vault, version):
    """migrate(db, target=v) stops at v; carrying on from v reaches LATEST."""
    from app.vault.connection import open_database

    vault, _ = new_vault
    dek = bytes(vault.data_key_for_backup())
    path = tmp_path / f"bare-{version}.db"
    db = open_database(path, dek, create=True)
    try:
        assert migrate(db, target=version) == version
        assert schema_version(db) == version
        steps = []
        assert migrate(db, on_step=steps.append) == LATEST
        assert [s.version for s in steps] == [m.version for m in MIGRATIONS if m.version > version]
        assert migrate(db) == LATEST  # nothing left to do
    finally:
        db.close()


def test_a_failing_step_leaves_the_vault_at_the_step_before(monkeypatch, vault_path):
    vault, _ = Vault.create(vault_path, user="alice", passphrase=PASSPHRASE, agency="DCON")
    vault.close()

    def broken(db):
        db.execute("CREATE TABLE half_done (x INTEGER)")
        raise RuntimeError("step failed half way")

    steps = REAL_MIGRATIONS + (Migration(REAL_LATEST + 1, "a broken step", broken),)
    with ladder(monkeypatch, steps):
        with pytest.raises(RuntimeError, match="half way"):
            Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
    # The backup was taken before the step was tried.
    assert len(backups_beside(vault_path)) == 1
    vault = Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
    try:
        assert schema_version(vault.db) == LATEST
        assert vault.db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'") == 0
        assert vault.verify().ok
    finally:
        vault.close()


def test_vault_from_a_newer_spoc_desk_is_refused_unchanged(vault_path):
    vault, recovery_key = Vault.create(vault_path, user="alice", passphrase=PASSPHRASE, agency="DCON")
    vault.db.execute(f"PRAGMA user_version = {LATEST + 1}")
    vault.close()
    folder = vault_path.parent
    listing = sorted(p.name for p in folder.iterdir())
    vault_bytes = vault_path.read_bytes()
    slot_bytes = keyslot_path(vault_path).read_bytes()

    for attempt in (
        lambda: Vault.open(vault_path, user="alice", passphrase=PASSPHRASE),
        lambda: Vault.open_with_recovery(vault_path, recovery_key),
    ):
        with pytest.raises(InvalidInput) as refused:
            attempt()
        message = str(refused.value)
        assert "newer SPOC Desk" in message
        assert "nothing was changed" in message
        assert refused.value.exit_code == 4
        assert vault_path.read_bytes() == vault_bytes
        assert keyslot_path(vault_path).read_bytes() == slot_bytes
        assert sorted(p.name for p in folder.iterdir()) == listing


def test_migrate_refuses_a_newer_schema(tmp_path, new_vault):
    from app.vault.connection import open_database

    vault, _ = new_vault
    db = open_database(tmp_path / "bare.db", bytes(vault.data_key_for_backup()), create=True)
    try:
        db.execute(f"PRAGMA user_version = {LATEST + 1}")
        with pytest.raises(InvalidInput, match="newer SPOC Desk"):
            migrate(db)
        assert schema_version(db) == LATEST + 1
    finally:
        db.close()


def test_chain_still_verifies_across_a_migration(monkeypatch, vault_path):
    if LATEST < 2:
        pytest.skip("only one schema version so far")
    old_vault(monkeypatch, vault_path, 1)
    vault = Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
    try:
        report = audit.verify_chain(vault.db, vault.audit_key)
        assert report.ok, report.problems
    finally:
        vault.close()


def test_v6_adds_meetings_and_keeps_the_disclosure_register(monkeypatch, vault_path):
    """Schema 6 rebuilds the disclosure register to allow kind 'meeting': every row and the index
    survive, and the meeting tables are there."""
    with ladder(monkeypatch, REAL_MIGRATIONS[:5]):
        vault, _ = Vault.create(vault_path, user="alice", passphrase=PASSPHRASE, agency="DCON")
        try:
            vault.db.execute(
                "INSERT INTO disclosures (id, kind, direction, from_agency, to_agency, at, what, originator,"
                " recorded_by, recorded_at) VALUES ('00000000-0000-4000-8000-000000000001', 'onward', 'sent',"
                " 'DCON', 'DCC', '2026-01-02T10:00:00+00:00', 'kept', 'DCON', 'alice', '2026-01-02T10:00:00+00:00')")
            with pytest.raises(IntegrityError):
                vault.db.execute(
                    "INSERT INTO disclosures (id, kind, direction, from_agency, to_agency, at, originator,"
                    " recorded_by, recorded_at) VALUES ('x', 'meeting', 'sent', 'A', 'B', 't', 'A', 'a', 't')")
            before = [dict(r) for r in vault.db.query("SELECT * FROM disclosures")]
        finally:
            vault.close()
    vault = Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)
    try:
        assert schema_version(vault.db) == LATEST >= 6
        assert [dict(r) for r in vault.db.query("SELECT * FROM disclosures")] == before
        tables = {r["name"] for r in vault.db.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"meetings", "meeting_attendees", "meeting_agenda_items", "meeting_decisions", "meeting_actions",
                "meeting_action_updates", "meeting_permissions"} <= tables
        assert "disclosures_v6" not in tables
        assert vault.db.one("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'disclosures_request'")
        vault.db.execute(
            "INSERT INTO disclosures (id, kind, direction, from_agency, to_agency, at, originator, recorded_by,"
            " recorded_at) VALUES ('y', 'meeting', 'sent', 'DCC', 'DHCFT', 't', 'DCON', 'alice', 't')")
        assert vault.verify().ok
    finally:
        vault.close()


def test_v7_list_counts_come_from_the_index_alone(vault_path):
    """The request list's per-request dispatch counts are answered from the covering index."""
    vault, _ = Vault.create(vault_path, user="alice", passphrase=PASSPHRASE, agency="DCON")
    try:
        assert schema_version(vault.db) == LATEST >= 7
        plan = " ".join(str(tuple(r)) for r in vault.db.query(
            "EXPLAIN QUERY PLAN SELECT count(*) FROM dispatches d WHERE d.request_id = ?"
            " AND +d.status IN ('sent','acknowledged') AND d.due_date < ?", ("x", "2026-01-01")))
        assert "COVERING INDEX dispatches_request_status" in plan
    finally:
        vault.close()
