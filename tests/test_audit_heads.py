"""An audit trail that cannot be cut quietly (issue 16): verify refuses a trail that does not
start with the vault's creation or is shorter than the keyslot file recorded at the last lock;
`verify --expect SEQ:MAC` checks heads printed on paper or held by partner desks; a report's
footer head covers the report's own event; reasons are codes and ids, never typed free text.
Before the change, cutting the last events or deleting all of them still verified ok."""

from __future__ import annotations

import re

import pytest
from pypdf import PdfReader

from app import users
from app.vault import Vault

from conftest import PASSPHRASE

BOB = "copper violin harbour 19"


def drop_triggers(vault: Vault) -> None:
    for name in ("audit_events_no_update", "audit_events_no_delete", "audit_events_in_order"):
        vault.db.execute(f"DROP TRIGGER IF EXISTS {name}")


@pytest.fixture
def trail(vault_path):
    vault, _ = Vault.create(vault_path, user="alice", passphrase=PASSPHRASE, agency="DCON")
    for i in range(10):
        vault.audit("test.event", record_type="test", record_id=str(i))
    vault.close()
    return vault_path


def _cut(path, sql: str) -> None:
    vault = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    drop_triggers(vault)
    vault.db.execute(sql)
    # As someone with the data key and their own SQLCipher code would: no lock, no logout event.
    vault.close(record=False)


def _verify(path, expect=()):
    vault = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    try:
        return vault.verify(expect=expect)
    finally:
        vault.close()


def test_an_intact_trail_verifies(trail):
    report = _verify(trail)
    assert report.ok, report.problems


def test_cutting_the_last_events_is_found_against_the_keyslot_file(trail):
    vault = Vault.open(trail, user="alice", passphrase=PASSPHRASE)
    last = vault.chain_head().seq
    vault.close()
    _cut(trail, f"DELETE FROM audit_events WHERE seq > {last - 5}")
    report = _verify(trail)
    assert not report.ok
    assert any("cut off the end" in p for p in report.problems)


def test_deleting_every_event_is_found(trail):
    _cut(trail, "DELETE FROM audit_events")
    report = _verify(trail)
    assert not report.ok
    assert any("vault.created" in p for p in report.problems)


def test_a_trail_that_does_not_start_with_the_vaults_creation_is_refused(vault_path):
    from app import audit
    from app.vault.connection import Database

    vault, _ = Vault.create(vault_path, user="alice", passphrase=PASSPHRASE, agency="DCON")
    try:
        # A chain rebuilt from scratch with the right key, but without its first event.
        rows = vault.db.query("SELECT * FROM audit_events ORDER BY seq")
        drop_triggers(vault)
        vault.db.execute("DELETE FROM audit_events")
        for row in rows[1:]:
            audit.record(vault.db, vault.audit_key, row["actor"], row["action"], record_type=row["record_type"],
                         record_id=row["record_id"], reason=row["reason"], at=row["at"])
        report = audit.verify_chain(vault.db, vault.audit_key)
        assert isinstance(vault.db, Database)
        assert not report.ok and "vault.created" in report.problems[0]
    finally:
        vault.close()


def test_expected_heads_match_and_the_first_that_does_not_is_named(trail):
    vault = Vault.open(trail, user="alice", passphrase=PASSPHRASE)
    head = vault.chain_head()
    seventh = vault.db.scalar("SELECT mac FROM audit_events WHERE seq = 7")
    vault.close()
    report = _verify(trail, expect=[(7, seventh[:16]), (head.seq, head.mac[:16])])
    assert report.ok, report.problems
    report = _verify(trail, expect=[(7, seventh[:16]), (head.seq, "0" * 16), (3, "f" * 16)])
    assert not report.ok
    assert report.chain.mismatched_head == f"{head.seq}:{'0' * 16}"
    assert report.problems[0].startswith(f"the audit head {head.seq}:{'0' * 16} does not match")


def test_cli_verify_expect(spocdesk, trail):
    vault = Vault.open(trail, user="alice", passphrase=PASSPHRASE)
    head = vault.chain_head()
    vault.close()
    good = spocdesk("verify", trail, "--user", "alice", "--passphrase-stdin", "--expect", f"{head.seq}:{head.mac[:16]}",
                    stdin=f"{PASSPHRASE}\n")
    assert good.code == 0, good.err
    bad = spocdesk("verify", trail, "--user", "alice", "--passphrase-stdin", "--expect", f"{head.seq}:{head.mac[:16]}",
                   "--expect", "5:0123456789abcdef", stdin=f"{PASSPHRASE}\n")
    assert bad.code == 5
    assert "5:0123456789abcdef does not match" in bad.err and "Traceback" not in bad.err
    usage = spocdesk("verify", trail, "--user", "alice", "--passphrase-stdin", "--expect", "five:xyz",
                     stdin=f"{PASSPHRASE}\n")
    assert usage.code == 2 and "SEQ:MAC" in usage.err


def test_a_reports_footer_head_covers_its_own_audit_event(vault_path):
    from app.reports import build_report

    vault, _ = Vault.create(vault_path, user="alice", passphrase=PASSPHRASE, agency="DCON")
    try:
        report = build_report(vault, "audit", "all")
        text = "\n".join(page.extract_text() for page in PdfReader(__import__("io").BytesIO(report.data)).pages)
        seq, mac = re.search(r"Audit chain head (\d+):([0-9a-f]{16})", text).groups()
        event = vault.db.one("SELECT action, record_id, mac FROM audit_events WHERE seq = ?", (int(seq),))
        assert event["action"] == "report.generated" and event["mac"].startswith(mac)
        assert vault.verify(expect=[(int(seq), mac)]).ok
    finally:
        vault.close()


def test_a_disable_reason_stays_with_the_user_not_in_the_trail(vault_path):
    vault, _ = Vault.create(vault_path, user="alice", passphrase=PASSPHRASE, agency="DCON")
    try:
        users.add_user(vault, "bob", "spoc", BOB)
        typed = "Bob Smith left after the disciplinary about DOB 01/02/1980"
        users.disable_user(vault, "bob", reason=typed)
        assert users.disabled_reason(vault, "bob") == typed
        reasons = [r["reason"] or "" for r in vault.db.query("SELECT reason FROM audit_events")]
        assert not any("Smith" in r or "1980" in r for r in reasons)
        disabled = vault.db.one("SELECT reason FROM audit_events WHERE action = 'user.disabled'")
        assert disabled["reason"] == "reason recorded with the user"
    finally:
        vault.close()


def test_a_reset_reason_is_a_code(vault_path):
    from app.errors import InvalidInput

    vault, _ = Vault.create(vault_path, user="alice", passphrase=PASSPHRASE, agency="DCON")
    try:
        users.add_user(vault, "bob", "spoc", BOB)
        with pytest.raises(InvalidInput):
            users.change_passphrase(vault, "bob", "lantern quartz meadow 77", reset_reason="he told Dave")
    finally:
        vault.close()
