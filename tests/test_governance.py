"""The agreement register, signatories and reviews, disputes, and users' approval and training
(issue 20; clauses 3.1, 6.4, 13.2-13.4)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from app import breaches as br
from app import governance
from app import requests as rq
from app import responses as rs
from app.agreement import load_agreement
from app.errors import AuthError, InvalidInput, VaultDamaged
from app.policy import get_policy, set_policy
from app.records import Invalid
from app.status import vault_status
from app.users import add_user
from app.vault import Vault
from conftest import OTHER_PASSPHRASE, PASSPHRASE
from desk_helpers import make_desk, request_data, response_data, trust_each_other

DATA = Path(__file__).parent / "data"
WESSEX = DATA / "wessex-vale.json"
HOSTILE = "<b>Chief</b> & \u202eRTL\u202c " + "x" * 200


def wessex_desk(path: Path, agency: str, role: str = "spoc") -> Vault:
    vault, _ = Vault.create(path, user="alice", passphrase=PASSPHRASE, agency=agency, agreement_file=WESSEX)
    try:
        if role != "admin":
            add_user(vault, "bob", role, OTHER_PASSPHRASE)
    finally:
        vault.close()
    if role == "admin":
        return Vault.open(path, user="alice", passphrase=PASSPHRASE)
    return Vault.open(path, user="bob", passphrase=OTHER_PASSPHRASE)


# ---- the agreement register ---------------------------------------------------------------


def test_init_records_the_shipped_agreement_with_its_hash(new_vault):
    vault, _ = new_vault
    record = governance.current_record(vault)
    assert record.short_name == "Derby & Derbyshire Modern Slavery ISA"
    from app.agreement import default_agreement_path, text_digest

    assert record.sha256 == text_digest(default_agreement_path().read_text(encoding="utf-8"))
    status = vault_status(vault)
    assert status["agreement"]["sha256"] == record.sha256 and status["agreement"]["version"] is None


def test_a_second_partnership_runs_a_request_a_response_and_a_breach(tmp_path):
    police = wessex_desk(tmp_path / "wvpol.vault", "WVPOL")
    council = wessex_desk(tmp_path / "wvcc.vault", "WVCC")
    try:
        # The whole app follows the vault's agreement: its partners, prefix, bases and deadlines.
        assert load_agreement().partner_codes() == ("WVPOL", "WVCC", "WVHT")
        assert get_policy(police).response_due_days == 7
        trust_each_other(police, council)
        request = rq.create_request(police, request_data(purposes=["identify-victims"]))
        assert request.reference.startswith("WVP-")
        rq.add_agencies(police, request.id, ["WVCC"])
        from app.exchange import packages

        out = tmp_path / "out"
        out.mkdir()
        [made] = packages.send(police, request.reference, ["WVCC"], out)
        got = packages.receive(council, made.path, receipt_out=out)
        assert got.line.startswith(f"Request {request.reference} from Wessex Vale Police")
        held = rq.get_request(council, request.reference)
        with pytest.raises(Invalid):  # a Derby and Derbyshire basis is not one of this partnership's
            rs.record_response(council, held.dispatches[0].id, response_data())
        answer = rs.record_response(council, held.dispatches[0].id,
                                    response_data(lawful_bases=["wv-local-protocol"], responder_role="ASC SPOC"))
        [back] = packages.send(council, f"{request.reference}/WVCC", None, out)
        arrived = packages.receive(police, back.path, receipt_out=out)
        assert arrived.line == f"Response to {request.reference} from Wessex Vale County Council: disclosure"
        assert rs.get_response(council, answer.id).lawful_bases == ("wv-local-protocol",)
    finally:
        police.close()
        council.close()
    dpm = wessex_desk(tmp_path / "dpm.vault", "WVCC", role="dpm")
    try:
        breach = br.create_breach(dpm, {"reporter": "A Clerk", "agency": "WVCC", "category": "wv-misdirected-mail",
                                        "aware_at": "28/11/2026 08:30", "facts": "Sent to the wrong team.",
                                        "containment": "Recalled the e-mail."},
                                  now=dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.timezone.utc))
        assert breach.category_name == "Misdirected secure e-mail"
        assert "12" in br.clock_heading("dpm", "hours")
        with pytest.raises(Invalid):
            br.create_breach(dpm, {"reporter": "A Clerk", "agency": "DCON", "category": "device-loss",
                                   "aware_at": "28/11/2026 08:30", "facts": "x"})
    finally:
        dpm.close()
    # Closed again: the app is back on the shipped agreement.
    assert "DCON" in load_agreement().partner_codes()


def test_an_agency_not_in_the_named_agreement_is_refused_and_nothing_is_made(tmp_path):
    path = tmp_path / "x.vault"
    with pytest.raises(InvalidInput, match="WVPOL"):
        Vault.create(path, user="alice", passphrase=PASSPHRASE, agency="DCON", agreement_file=WESSEX)
    assert not path.exists()
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "spocdesk-agreement/1"}', encoding="utf-8")
    with pytest.raises(InvalidInput, match="bad.json"):
        Vault.create(path, user="alice", passphrase=PASSPHRASE, agency="DCON", agreement_file=bad)
    assert not path.exists()


def test_the_vault_keeps_its_agreement_when_the_file_changes_and_adopts_only_a_new_version(tmp_path):
    local = tmp_path / "wessex-vale.json"
    shutil.copy(WESSEX, local)
    vault, _ = Vault.create(tmp_path / "a.vault", user="alice", passphrase=PASSPHRASE, agency="WVCC",
                            agreement_file=local)
    first = governance.current_record(vault)
    vault.close()
    # The file on disk changes (or disappears): the vault still works under what it recorded.
    import json

    document = json.loads(local.read_text(encoding="utf-8"))
    document["agreement"]["version"] = "2.2"
    document["deadlines"]["response_due_days"]["value"] = 9
    local.write_text(json.dumps(document, indent=2), encoding="utf-8")
    vault = Vault.open(tmp_path / "a.vault", user="alice", passphrase=PASSPHRASE)
    try:
        assert governance.current_record(vault).sha256 == first.sha256
        assert get_policy(vault).response_due_days == 7
        # Another agreement is never adopted.
        with pytest.raises(InvalidInput, match="never switches"):
            governance.adopt_agreement(vault, Path("resources/agreement/derby-derbyshire.json"), "review")
        with pytest.raises(InvalidInput, match="Say why"):
            governance.adopt_agreement(vault, local, " ")
        adopted = governance.adopt_agreement(vault, local, "agreed at the 13.4 review")
        assert adopted.version == "2.2" and adopted.sha256 != first.sha256
        assert get_policy(vault).response_due_days == 9
        with pytest.raises(InvalidInput, match="already works under"):
            governance.adopt_agreement(vault, local, "again")
        events = [r["action"] for r in vault.db.query("SELECT action FROM audit_events")]
        assert "agreement.adopted" in events
        assert [r.version for r in governance.agreement_history(vault)] == ["2.1", "2.2"]
    finally:
        vault.close()


def test_only_an_administrator_adopts_and_records_signatories(tmp_path):
    vault = make_desk(tmp_path / "d.vault", role="dpm")
    try:
        with pytest.raises(AuthError):
            governance.set_signatory(vault, "DWP", {"name": "A", "position": "B", "signed_on": "2025-01-01"})
        with pytest.raises(AuthError):
            governance.adopt_agreement(vault, WESSEX, "x")
    finally:
        vault.close()


def test_an_altered_agreement_in_the_vault_is_refused_at_open(new_vault, vault_path):
    vault, _ = new_vault
    vault.db.execute("UPDATE agreement_register SET file_text = replace(file_text, '\"value\": 10', '\"value\": 90')")
    vault.close()
    with pytest.raises(VaultDamaged, match="SHA-256"):
        Vault.open(vault_path, user="alice", passphrase=PASSPHRASE)


# ---- signatories and review -----------------------------------------------------------------


def test_signatories_give_the_review_due_24_months_after_and_overdue_reviews(new_vault):
    vault, _ = new_vault
    with pytest.raises(Invalid) as problems:
        governance.set_signatory(vault, "DWP", {"name": "", "position": "", "signed_on": "31/02/2024"})
    assert {p.field for p in problems.value.problems} == {"name", "position", "signed_on"}
    signed = governance.set_signatory(vault, "DWP", {"name": HOSTILE, "position": "Director",
                                                     "signed_on": "29/02/2024"})
    assert signed.name == HOSTILE.strip() and signed.review_due == "2026-02-28"
    governance.set_signatory(vault, "HMRC", {"name": "B", "position": "Deputy", "signed_on": "2026-01-15"})
    overdue = governance.overdue_reviews(vault, today=dt.date(2026, 12, 1))
    assert [s.partner for s in overdue] == ["DWP"]
    with pytest.raises(Invalid):
        governance.set_signatory(vault, "NOPE", {"name": "A", "position": "B", "signed_on": "2025-01-01"})


# ---- disputes -------------------------------------------------------------------------------


def test_a_dispute_runs_past_its_ten_day_clock_and_is_escalated(tmp_path):
    vault = make_desk(tmp_path / "d.vault", role="dpm")
    try:
        with pytest.raises(Invalid) as problems:
            governance.raise_dispute(vault, {"partner": "DCON", "raised_by": "x", "about": " "})
        assert {p.field for p in problems.value.problems} == {"partner", "raised_by", "about", "raised_on"}
        dispute = governance.raise_dispute(vault, {"partner": "DWP", "raised_by": "partner", "about": HOSTILE,
                                                   "raised_on": "2026-11-10"})
        assert dispute.reference == "DSP-2026-0001" and dispute.due_on == "2026-11-20"  # calendar days
        assert [d.reference for d in governance.overdue_disputes(vault, dt.date(2026, 11, 21))] == ["DSP-2026-0001"]
        assert governance.overdue_disputes(vault, dt.date(2026, 11, 20)) == []
        assert "OVERDUE" in dispute.clock_text(dt.date(2026, 11, 25))
        governance.add_dispute_step(vault, dispute.reference, {"text": "Called their DPM", "on_date": "2026-11-12"})
        closed = governance.close_dispute(vault, dispute.reference, "escalated",
                                          {"note": "To the chief officers", "closed_on": "2026-11-25"})
        assert closed.status == "escalated" and closed.met_clock() is False and len(closed.steps) == 2
        assert governance.overdue_disputes(vault, dt.date(2026, 11, 30)) == []
        with pytest.raises(Invalid):
            governance.close_dispute(vault, dispute.reference, "resolved", {"note": "again"})
    finally:
        vault.close()


def test_working_day_disputes_where_the_agreement_says_so(tmp_path):
    vault = wessex_desk(tmp_path / "w.vault", "WVCC", role="dpm")
    try:
        # 5 working days from Wednesday 24 December 2025: Christmas, Boxing Day, the weekend and New
        # Year's Day are not counted (England and Wales bank holidays).
        dispute = governance.raise_dispute(vault, {"partner": "WVPOL", "raised_by": "us", "about": "Late",
                                                   "raised_on": "2025-12-24"})
        assert dispute.due_on == "2026-01-05"
        assert governance.dispute_clock_words() == "5 working days (clause 13.3)"
    finally:
        vault.close()


# ---- users: approval and training -----------------------------------------------------------


def test_casework_needs_approval_and_training_only_where_the_policy_says(tmp_path):
    path = tmp_path / "d.vault"
    make_desk(path, role="spoc").close()
    Vault.open(path, user="bob", passphrase=OTHER_PASSPHRASE).close()  # default: off, existing desks work
    admin = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    try:
        set_policy(admin, "casework_needs_approval", "yes")
    finally:
        admin.close()
    with pytest.raises(AuthError, match="no approval"):
        Vault.open(path, user="bob", passphrase=OTHER_PASSPHRASE)
    admin = Vault.open(path, user="alice", passphrase=PASSPHRASE)  # the administrator is not casework
    try:
        with pytest.raises(Invalid) as problems:
            governance.set_standing(admin, "bob", {"approved_on": "2026-01-01", "course": "GDPR",
                                                   "trained_on": "2026-01-10", "renewal_due": "2026-01-05"})
        assert {p.field for p in problems.value.problems} == {"approved_by", "renewal_due"}
        governance.set_standing(admin, "bob", {"approved_by": HOSTILE, "approved_on": "2026-01-01",
                                               "course": "Information sharing", "trained_on": "2025-01-10",
                                               "renewal_due": "2026-01-10"})
        assert [s.user_name for s in governance.lapsed_training(admin)] == ["bob"]
    finally:
        admin.close()
    with pytest.raises(AuthError, match="training lapsed"):
        Vault.open(path, user="bob", passphrase=OTHER_PASSPHRASE)
    admin = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    try:
        governance.set_standing(admin, "bob", {"approved_by": "Head of Service", "approved_on": "2026-01-01",
                                               "course": "Information sharing", "trained_on": "2026-01-10",
                                               "renewal_due": "2099-01-10"})
        refused = [r["reason"] for r in admin.db.query("SELECT reason FROM audit_events WHERE action = 'login.refused'")]
        assert len(refused) == 2
    finally:
        admin.close()
    Vault.open(path, user="bob", passphrase=OTHER_PASSPHRASE).close()


# ---- the command line -----------------------------------------------------------------------


@pytest.mark.slow
def test_cli_init_under_another_agreement_status_register_and_compliance(spocdesk, tmp_path):
    vault = str(tmp_path / "w.vault")
    twice = f"{PASSPHRASE}\n{PASSPHRASE}\n"
    made = spocdesk("init", vault, "--user", "alice", "--agency", "WVCC", "--agreement", str(WESSEX),
                    "--passphrase-stdin", stdin=twice)
    assert made.code == 0, made.err
    assert "It works under Wessex Vale Protocol (2.1; SHA-256 " in made.out
    refused = spocdesk("init", str(tmp_path / "x.vault"), "--user", "alice", "--agency", "DCON", "--agreement",
                       str(WESSEX), "--passphrase-stdin", stdin=twice)
    assert refused.code == 4 and refused.err.count("\n") == 1 and "WVPOL" in refused.err
    status = spocdesk("status", vault, "--user", "alice", "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    import json

    assert json.loads(status.out)["agreement"]["short_name"] == "Wessex Vale Protocol"
    signed = spocdesk("agreement", vault, "signatory", "WVPOL", "--name", HOSTILE, "--position", "Chief",
                      "--signed", "2024-01-10", "--user", "alice", "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert signed.code == 0 and "review due 2025-07-10" in signed.out  # 18 months in this agreement
    bad = spocdesk("agreement", vault, "signatory", "DWP", "--name", "A", "--position", "B", "--signed",
                   "2024-01-10", "--user", "alice", "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert bad.code == 4 and "not a partner of Wessex Vale Protocol" in bad.err
    out = tmp_path / "register.pdf"
    printed = spocdesk("report", vault, "agreement-register", "--out", str(out), "--user", "alice",
                       "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert printed.code == 0 and out.read_bytes().startswith(b"%PDF")
    period = spocdesk("report", vault, "compliance", "--from", "2026-04-01", "--to", "2026-01-01", "--out",
                      str(tmp_path / "c.pdf"), "--user", "alice", "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert period.code == 4 and "before it starts" in period.err and not (tmp_path / "c.pdf").exists()
    report = spocdesk("report", vault, "compliance", "--from", "2026-01-01", "--to", "2026-03-31", "--partner",
                      "WVPOL", "--out", str(tmp_path / "c.pdf"), "--user", "alice", "--passphrase-stdin",
                      stdin=PASSPHRASE + "\n")
    assert report.code == 0 and "COMPLIANCE-WVPOL-20260101-20260331" in report.out
    standing = spocdesk("users", vault, "standing", "alice", "--approved-by", HOSTILE, "--approved-on", "2026-01-05",
                        "--user", "alice", "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    shown = json.loads(standing.out)
    assert standing.code == 0 and shown["approved_by"] == HOSTILE.strip() and shown["trained_on"] is None
    assert shown["problems"] == ["no training is recorded (clause 6.4)"]


def test_the_demo_desk_shows_an_overdue_review_and_a_dispute_past_its_clock(new_vault):
    from app.demo import populate

    vault, _ = new_vault
    populate(vault, 5, seed=2, user="alice")
    assert len(governance.overdue_reviews(vault)) == 1
    [dispute] = governance.overdue_disputes(vault)
    assert dispute.partner != "DCON" and dispute.raised_by == "partner"


def test_records_of_another_agreement_are_refused_whole(tmp_path):
    from app.exchange import export_request, import_document

    derby = make_desk(tmp_path / "dcon.vault", "DCON")
    try:
        request = rq.create_request(derby, request_data())
        doc = export_request(derby, request.reference, to=["DWP"])
    finally:
        derby.close()
    wessex = wessex_desk(tmp_path / "w.vault", "WVCC")
    try:
        before = wessex.db.scalar("SELECT count(*) FROM requests")
        doc["desk"]["agency"] = "WVPOL"  # even dressed up as a partner of this agreement
        with pytest.raises(InvalidInput, match="was made under 'Derby & Derbyshire Modern Slavery ISA'"):
            import_document(wessex, doc)
        assert wessex.db.scalar("SELECT count(*) FROM requests") == before
    finally:
        wessex.close()


def test_a_desk_move_carries_signatories_and_disputes_and_a_package_may_not(tmp_path):
    from app import exchange

    admin = make_desk(tmp_path / "old.vault", role="admin")
    try:
        governance.set_signatory(admin, "DWP", {"name": HOSTILE, "position": "Director", "signed_on": "2024-01-10"})
        dispute = governance.raise_dispute(admin, {"partner": "HMRC", "raised_by": "us", "about": HOSTILE,
                                                   "raised_on": "2026-11-02"})
        governance.add_dispute_step(admin, dispute.reference, {"text": "Called", "on_date": "2026-11-03"})
        original = exchange.export_vault(admin)
    finally:
        admin.close()
    assert original["governance"]["disputes"][0]["steps"][0]["text"] == "Called"
    path = tmp_path / "whole.json"
    exchange.write_file(original, path)
    other = make_desk(tmp_path / "new.vault", role="admin")
    try:
        exchange.import_file(other, path)
        assert [(s.partner, s.name) for s in governance.signatories(other) if s.signed] == [("DWP", HOSTILE.strip())]
        moved = governance.get_dispute(other, dispute.reference)
        assert moved.about == HOSTILE.strip() and [s.text for s in moved.steps] == ["Called"]
        again = exchange.export_vault(other)
        assert again["governance"] == original["governance"]
    finally:
        other.close()
    # A request package never carries them.
    police = make_desk(tmp_path / "dcon.vault", "DCON")
    dwp = make_desk(tmp_path / "dwp.vault", "DWP")
    try:
        doc = exchange.export_request(police, rq.create_request(police, request_data()).reference, to=["DWP"])
        doc["governance"] = original["governance"]
        with pytest.raises(InvalidInput, match="signatories and disputes travel only in a whole-vault file"):
            exchange.import_document(dwp, doc, sender="DCON")
        assert dwp.db.scalar("SELECT count(*) FROM disputes") == 0
    finally:
        police.close()
        dwp.close()


def test_the_agreement_followed_gives_its_words_to_the_passphrase_check(tmp_path):
    from app.vault.passphrase import app_words

    assert "wessex" not in app_words()
    vault = wessex_desk(tmp_path / "w.vault", "WVCC", role="admin")
    try:
        assert "wessex" in app_words() and "wvcc" in app_words()
    finally:
        vault.close()
    assert "wessex" not in app_words()


def test_working_days_are_refused_where_nothing_counts_them(tmp_path):
    import json

    from app.errors import AgreementError

    document = json.loads(WESSEX.read_text(encoding="utf-8"))
    document["deadlines"]["response_due_days"]["counting"] = "working"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(AgreementError, match="deadlines.response_due_days.counting"):
        load_agreement(bad)
