"""Retention, review and secure disposal (8.1, 9.3): rules as agreement data, the review queue,
the DPM's decisions, disposal of a record and what hangs only off it, the certificate, and a
canary that no page of the vault file or its write-ahead log keeps after disposal."""

from __future__ import annotations

import datetime as dt
import json

import pytest

import sqlcipher_pages
from app import breaches as br
from app import requests as rq
from app import responses as rs
from app import retention, subject_access as sa
from app.errors import AgreementError, AuthError, InvalidInput
from app.policy import set_policy
from app.records import Invalid
from desk_helpers import make_desk, reopen_as, request_data, response_data

LATER = dt.date(2031, 1, 1)
CANARY = "Qz7KestrelCanary93"
HOSTILE = ["<b>bold</b><script>alert('x')</script>", "Robert'); DROP TABLE requests;--",
           "Ana\u202eMaria\u200b\u2066x\u2069", "x" * 1999]


def _closed_request(vault, **overrides):
    request = rq.create_request(vault, request_data(**overrides))
    rq.close_request(vault, request.id)
    return request


@pytest.fixture
def desk(tmp_path):
    """A police desk with two closed requests (the first shares a subject with the second), then the DPM."""
    vault = make_desk(tmp_path / "dcon.vault")
    first = _closed_request(vault, information=f"Canary: {CANARY}", subjects=[
        {"subject": {"kind": "person", "name": f"Only {CANARY}", "aliases": [CANARY]}, "role": "potential-victim"},
        {"subject": {"kind": "person", "name": "Shared Person"}, "role": "associate"}])
    shared = next(s for s in first.subjects if s.name == "Shared Person")
    second = rq.create_request(vault, request_data(subjects=[]))
    rq.add_subject(vault, second.id, shared.id, "associate")
    rq.close_request(vault, second.id)
    vault = reopen_as(vault, "dana", "dpm")
    yield vault, first, second
    if vault.is_open:
        vault.close()


def test_rules_are_agreement_data_with_their_source(desk):
    vault, *_ = desk
    rights = retention.load_information_rights()
    dcc = next(r for r in rights.rules if r.id == "dcc-adult-care-files")
    assert (dcc.agency, dcc.sub_service, dcc.counts_from, dcc.period_months) == ("DCC", "ADULT-CARE", "subject-death", 60)
    assert "8.1" in dcc.source and "5 years after death" in dcc.text
    views = retention.rule_views(vault)
    assert [v.rule.id for v in views if v.applies_here] == ["desk-review"]  # a police desk: only its default
    assert views[-1].rule.period_months == 24 and "retention_review_months" in views[-1].rule.source


def test_default_rule_follows_the_policy(desk, tmp_path):
    vault, first, _ = desk
    admin = reopen_as(vault, "alice")
    set_policy(admin, "retention_review_months", "6")
    vault = reopen_as(admin, "dana")
    item = next(i for i in retention.review(vault) if i.record_id == first.id)
    assert item.rule.period_months == 6 and "6 months" in item.rule.text
    assert item.due_on == retention.add_months(dt.date.fromisoformat(item.event_date), 6).isoformat()
    vault.close()


def test_a_broken_rules_file_stops_the_load(tmp_path):
    doc = json.loads(retention.information_rights_path().read_text(encoding="utf-8"))
    doc["retention_rules"][0]["surprise"] = 1
    bad = tmp_path / "bad.information-rights.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(AgreementError, match="unknown key 'surprise'"):
        retention.load_information_rights(bad)


def test_months_are_calendar_months():
    assert retention.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert retention.add_months(dt.date(2024, 2, 29), 60) == dt.date(2029, 2, 28)
    assert retention.add_months(dt.date(2026, 11, 15), 2) == dt.date(2027, 1, 15)


def test_the_dcc_adult_care_rule_waits_for_the_death_then_counts_five_years(tmp_path):
    police = make_desk(tmp_path / "dcon.vault")
    request = rq.create_request(police, request_data())
    police.close()
    council = make_desk(tmp_path / "dcc.vault", agency="DCC")
    council.close()
    council = reopen_as(council, "dana", "dpm")
    # The council desk holds a request it was asked, with its dispatch to adult social care.
    with council.db.transaction():
        council.db.execute("INSERT INTO requests (id, origin_agency, reference, status, request_date, requester_name,"
                           " created_at, created_by, updated_at, updated_by) VALUES (?, 'DCON', ?, 'closed',"
                           " '2026-03-02', 'DS Jane Smith', '2026-03-02T10:00:00+00:00', 'x',"
                           " '2026-04-01T10:00:00+00:00', 'x')", (request.id, request.reference))
        council.db.execute("INSERT INTO dispatches (id, request_id, agency, sub_service, status, created_at, created_by,"
                           " updated_at, updated_by) VALUES ('d1', ?, 'DCC', 'ADULT-CARE', 'responded', 'x', 'x', 'x', 'x')",
                           (request.id,))
    item = retention.review(council)[0]
    assert item.rule.id == "dcc-adult-care-files" and item.state == "waiting"
    retention.record_event(council, request.reference, "subject-death", "14/02/2027", today=dt.date(2027, 3, 1))
    item = retention.review(council, today=dt.date(2032, 2, 13))[0]
    assert item.state == "not-due" and item.due_on == "2032-02-14"
    assert retention.review(council, today=dt.date(2032, 2, 14), due_only=True)[0].why.startswith("60 months after")
    council.close()


def test_queue_holds_and_keeps(desk):
    vault, first, second = desk
    assert retention.review(vault, due_only=True) == []  # closed today: not due for 24 months
    queue = retention.review(vault, today=LATER, due_only=True)
    assert [i.reference for i in queue] == sorted([first.reference, second.reference])
    with pytest.raises(Invalid) as problems:
        retention.keep_until(vault, first.reference, "01/01/2020", "", today=LATER)
    assert {p.field for p in problems.value.problems} == {"until", "reason"}
    retention.keep_until(vault, first.reference, "01/01/2032", "Linked case under review", today=LATER)
    retention.hold(vault, second.reference, "proceedings")
    states = {i.reference: i.state for i in retention.review(vault, today=LATER)}
    assert states == {first.reference: "kept", second.reference: "held"}
    assert retention.review(vault, today=dt.date(2032, 1, 2), due_only=True)[0].reference == first.reference
    retention.release(vault, second.reference, "Trial over")
    assert {i.reference for i in retention.review(vault, today=LATER, due_only=True)} == {second.reference}
    with pytest.raises(Invalid):
        retention.hold(vault, second.reference, "other", "")  # 'other' needs the reason


def test_an_open_sar_or_breach_holds_the_record(desk):
    vault, first, second = desk
    shared = next(s for s in first.subjects if s.name == "Shared Person")
    sar = sa.log_request(vault, {"kind": "sar-gdpr", "received_on": dt.date.today().isoformat(),
                                 "requester_name": "Shared Person", "subject_ids": [shared.id]})
    assert {i.state for i in retention.review(vault, today=LATER)} == {"held"}
    plan = retention.plan_disposal(vault, [first.reference], today=LATER)
    assert not plan.ok and "subject access" in plan.problems[0].message
    sa.add_event(vault, sar.reference, "closed")
    assert {i.state for i in retention.review(vault, today=LATER)} == {"due"}
    breach = br.create_breach(vault, {"reporter": "DPM", "agency": "DCON", "category": "device-loss",
                                      "aware_at": "01/12/2026 08:00", "facts": "A laptop was lost.",
                                      "containment": "Wiped.", "request_ids": [second.id]},
                              now=dt.datetime(2026, 12, 1, 9, tzinfo=dt.timezone.utc))
    held = {i.reference: i.holds for i in retention.review(vault, today=LATER)}
    assert held[second.reference] == ("open-breach",) and held[first.reference] == ()
    assert breach.reference


def test_disposal_needs_the_dpm_and_approval(desk, tmp_path):
    vault, first, _ = desk
    with pytest.raises(InvalidInput, match="approval"):
        retention.dispose(vault, [first.reference], approve=False)
    assert vault.db.scalar("SELECT count(*) FROM requests") == 2
    spoc = reopen_as(vault, "bob")
    with pytest.raises(AuthError):
        retention.dispose(spoc, [first.reference], approve=True)
    open_request = rq.create_request(spoc, request_data())
    vault = reopen_as(spoc, "dana")
    plan = retention.plan_disposal(vault, [open_request.reference, "MSR-1999-0001"])
    assert len(plan.problems) == 2 and not plan.items
    vault.close()


def test_disposal_removes_the_record_and_what_hangs_only_off_it(desk):
    vault, first, second = desk
    # Give the first request a dispatch, a response, a disclosure, a meeting agenda line and a draft.
    spoc = reopen_as(vault, "bob")
    other = rq.create_request(spoc, request_data())
    rq.add_agencies(spoc, other.id, ["HMRC"])
    rq.send_to_agencies(spoc, other.id, ["HMRC"])
    dispatch = rq.dispatches_of(spoc, other.id)[0]
    rs.receive_response(spoc, dispatch.id, response_data(disclosed_text=f"HMRC holds {CANARY}"))
    rq.close_request(spoc, other.id)
    from app import meetings

    meeting = meetings.create_meeting(spoc, {"held_at": "01/12/2026 10:00", "place": "HQ", "chair": "DI Roe",
                                             "chair_agency": "DCON"},
                                      now=dt.datetime(2026, 12, 1, 9, tzinfo=dt.timezone.utc))
    meetings.add_agenda_request(spoc, meeting.reference, other.reference)
    from app.drafts import save_draft

    save_draft(spoc, f"request:{other.id}", {"information": CANARY})
    vault = reopen_as(spoc, "dana")
    plan = retention.plan_disposal(vault, [first.reference, other.reference], today=LATER)
    assert plan.ok, plan.problems
    by_ref = {i.reference: i for i in plan.items}
    assert (by_ref[first.reference].subjects, by_ref[first.reference].subjects_kept) == (1, 1)
    assert by_ref[other.reference].sent_to == ("HMRC",) and by_ref[other.reference].responses == 1
    cert = retention.dispose(vault, [first.reference, other.reference], approve=True, today=LATER)
    db = vault.db
    assert db.scalar("SELECT count(*) FROM requests") == 1
    assert [r["name"] for r in db.query("SELECT name FROM subjects")] == ["Shared Person"] + \
        [s.name for s in second.subjects if s.name != "Shared Person"]
    assert db.scalar("SELECT count(*) FROM dispatches") == 0 and db.scalar("SELECT count(*) FROM responses") == 0
    assert db.scalar("SELECT count(*) FROM drafts") == 0
    assert db.scalar("SELECT count(*) FROM requests_fts WHERE requests_fts MATCH ?", (CANARY,)) == 0
    assert db.scalar("SELECT count(*) FROM subjects_fts WHERE subjects_fts MATCH ?", (CANARY,)) == 0
    kept = [dict(r) for r in db.query("SELECT request_id, what FROM disclosures")]
    assert kept and all(r["request_id"] == other.id and r["what"].startswith("Disposed of") for r in kept)
    agenda = db.one("SELECT kind, request_id, title FROM meeting_agenda_items")
    assert (agenda["kind"], agenda["request_id"]) == ("case", None) and other.reference in agenda["title"]
    assert cert.reference == "DC-2026-0001" and cert.partners == ("HMRC",)
    assert {i["reference"] for i in cert.items} == {first.reference, other.reference}
    assert cert.head_seq == db.scalar("SELECT seq FROM audit_events WHERE action = 'retention.certified'")
    for row in db.query("SELECT * FROM audit_events"):
        assert CANARY not in json.dumps(list(row))
    assert retention.get_certificate(vault, first.reference, audit=False).reference == cert.reference
    with pytest.raises(InvalidInput, match="already been disposed"):
        retention.plan_disposal(vault, [first.reference]).problems and \
            retention.dispose(vault, [first.reference], approve=True)
    assert vault.verify().ok


def test_no_page_of_the_vault_or_its_log_keeps_the_canary(desk):
    vault, first, _ = desk
    key = bytes(vault.data_key_for_backup())
    salt = vault.path.read_bytes()[:16]

    def pages():
        return (sqlcipher_pages.database_pages(vault.path, key)
                + sqlcipher_pages.wal_pages(vault.path.with_name(vault.path.name + "-wal"), key, salt))

    # The reader is right: page 1 decrypts to a SQLite header after the salt, and the canary is found.
    first_page = sqlcipher_pages.database_pages(vault.path, key)[0]
    # SQLite header bytes 16-17 (page size 4096, big-endian) and byte 20 (80 reserved bytes per page).
    assert first_page[0:2] == b"\x10\x00" and first_page[4] == 80 and len(first_page) == 4096 - 16 - 80
    before = sqlcipher_pages.find(CANARY, pages())
    assert before, "the page reader should find the canary before disposal"
    retention.dispose(vault, [first.reference], approve=True, today=LATER)
    after = sqlcipher_pages.find(CANARY, pages())
    assert after == []
    assert sqlcipher_pages.find("Shared Person", pages())  # what stays is still readable


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_through_retention_fields(desk, text):
    vault, first, second = desk
    retention.keep_until(vault, first.reference, "01/01/2040", text)
    retention.hold(vault, second.reference, "other", text)
    decisions = retention.decisions_of(vault, first.reference)
    assert decisions[-1].reason == text
    for row in vault.db.query("SELECT reason FROM audit_events"):
        assert row["reason"] != text
