"""Complaints (clause 10.1): who, about what, received when and how; the breach log's 24-hour DPM
clock from receipt across the clock changes; outcomes and the reply; append-only; the register,
the marked complaint report and the CLI; counted apart from breaches in `status`."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from pypdf import PdfReader

from app import breaches as br
from app import complaints as cp
from app import requests as rq
from app.errors import AuthError, InvalidInput
from app.records import Invalid
from app.reports import build_report
from app.status import vault_status
from app.timeutil import london_display, parse_london
from app.vault.connection import IntegrityError
from desk_helpers import make_desk, reopen_as, request_data

HOSTILE = [
    "<b>bold</b><script>alert('x')</script> & <a href='x'>link</a>",
    "Robert'); DROP TABLE complaints;--",
    "Ana\u202eMaria\u200b\u2066x\u2069",
    "x" * 10_000,
    "line one\nline two\ttabbed",
]


def complaint_data(**overrides) -> dict:
    data = {"complainant_kind": "data-subject", "complainant": "Mrs Ana Pop", "agency": "DCON",
            "about": "My details were shared with my employer.", "received_at": "28/11/2026 09:15",
            "received_how": "letter"}
    data.update(overrides)
    return data


@pytest.fixture
def spoc(tmp_path):
    vault = make_desk(tmp_path / "dcon.vault")
    yield vault
    if vault.is_open:
        vault.close()


def test_every_missing_or_wrong_field_is_named_and_nothing_is_saved(spoc):
    problems, _ = cp.validate_complaint({})
    fields = {p.field for p in problems}
    assert {"complainant_kind", "complainant", "agency", "about", "received_at", "received_how"} <= fields
    problems, _ = cp.validate_complaint(complaint_data(complainant_kind="partner", complainant_agency=""))
    assert [p.field for p in problems] == ["complainant_agency"]
    problems, _ = cp.validate_complaint(complaint_data(agency="NOPE", received_how="pigeon"))
    assert {p.field for p in problems} == {"agency", "received_how"}
    future = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)).astimezone(br.LONDON).strftime("%d/%m/%Y %H:%M")
    problems, _ = cp.validate_complaint(complaint_data(received_at=future))
    assert problems and problems[0].field == "received_at" and "now or in the past" in problems[0].message
    with pytest.raises(Invalid) as caught:
        cp.create_complaint(spoc, complaint_data(request_refs="MSR-2099-9999"))
    assert caught.value.problems[0].field == "request_refs"
    assert spoc.db.scalar("SELECT count(*) FROM complaints") == 0


@pytest.mark.parametrize("received, due_local", [
    ("28/03/2026 09:00", "29/03/2026 10:00"),   # GMT in, BST out: still 24 elapsed hours
    ("29/03/2026 00:30", "30/03/2026 01:30"),   # just before the spring change
    ("24/10/2026 09:00", "25/10/2026 08:00"),   # BST in, GMT out
    ("25/10/2026 01:30", "26/10/2026 00:30"),   # the repeated hour, first (BST)
    ("25/10/2026 01:30 GMT", "26/10/2026 01:30"),  # the repeated hour, second (GMT)
])
def test_the_dpm_clock_is_24_elapsed_hours_across_the_clock_changes(received, due_local):
    received_at = parse_london(received).isoformat()
    clock = cp.dpm_clock(received_at, None, now=parse_london(received.replace(" GMT", "")) if "GMT" not in received
                         else parse_london(received))
    assert london_display(clock.deadline) == due_local
    assert clock.deadline - dt.datetime.fromisoformat(received_at) == dt.timedelta(hours=24)
    # The breach log's own clock gives the same deadline from the same moment.
    dpm, _ = br.clocks(received_at, br.derive_state([]), now=parse_london(received))
    assert dpm.deadline == clock.deadline


def test_clock_words_and_lateness_across_the_spring_change():
    received_at = parse_london("28/03/2026 09:00").isoformat()
    clock = cp.dpm_clock(received_at, None, now=parse_london("29/03/2026 08:00"))
    assert clock.state == "running" and clock.text() == "2 hours left (due 29/03/2026 10:00)"
    clock = cp.dpm_clock(received_at, None, now=parse_london("29/03/2026 11:15"))
    assert clock.text() == "OVERDUE by 1 hour 15 minutes (was due 29/03/2026 10:00)"
    late = cp.dpm_clock(received_at, parse_london("29/03/2026 12:00").isoformat())
    assert late.state == "late" and late.text().endswith("2 hours late")
    assert cp.clock_title() == br.clock_heading("dpm", "cited")
    assert cp.clock_rule() == ("The Data Protection Manager must be told within 24 hours of the complaint being "
                               "received (clause 10.1).")


def test_autumn_change_overdue_and_met():
    received_at = parse_london("24/10/2026 09:00").isoformat()
    assert cp.dpm_clock(received_at, None, now=parse_london("25/10/2026 07:00")).delta == dt.timedelta(hours=1)
    met = cp.dpm_clock(received_at, parse_london("25/10/2026 07:59").isoformat())
    assert met.state == "met" and met.text().startswith("Done 25/10/2026 07:59")


def test_a_complaint_is_recorded_worked_and_answered_append_only(spoc):
    request = rq.create_request(spoc, request_data())
    complaint = cp.create_complaint(spoc, complaint_data(request_refs=request.reference,
                                                         subject_ids=[request.subjects[0].id]))
    assert complaint.reference.startswith("CP-") and complaint.state.status == "open"
    assert complaint.state.dpm_notified_at is None and cp.linked_labels(spoc, complaint) == [
        f"Request {request.reference}", "1 subject"]
    with pytest.raises(AuthError):
        cp.add_update(spoc, complaint.reference, "outcome", {"outcome": "upheld", "reason": "x"})
    dpm = reopen_as(spoc, "dora", "dpm")
    with pytest.raises(Invalid) as caught:
        cp.add_update(dpm, complaint.reference, "outcome", {"outcome": "referred-partner", "reason": "theirs"})
    assert caught.value.problems[0].field == "partner"
    with pytest.raises(Invalid) as caught:
        cp.add_update(dpm, complaint.reference, "replied", {"how": "letter", "at": "27/11/2026 09:00"})
    assert "after the complaint was received" in caught.value.problems[0].message
    cp.add_update(dpm, complaint.reference, "dpm-notified", {"who": "Dora DPM", "at": "28/11/2026 10:00"})
    with pytest.raises(Invalid):
        cp.add_update(dpm, complaint.reference, "dpm-notified", {"who": "again"})
    cp.add_update(dpm, complaint.reference, "outcome", {"outcome": "referred-partner", "partner": "HMRC",
                                                        "reason": "HMRC shared it"})
    cp.add_update(dpm, complaint.reference, "outcome", {"outcome": "upheld", "reason": "Our error after all"})
    done = cp.add_update(dpm, complaint.reference, "replied", {"how": "letter", "summary": "Apology sent"})
    state = done.state
    assert state.status == "answered" and state.outcome == "upheld" and state.outcome_partner == ""
    assert done.dpm_clock().state == "met" and len(done.updates) == 4  # both outcomes kept
    with pytest.raises(IntegrityError):
        dpm.db.execute("UPDATE complaints SET about = 'x'")
    with pytest.raises(IntegrityError):
        dpm.db.execute("DELETE FROM complaint_updates")
    events = [r["action"] for r in dpm.db.query("SELECT action FROM audit_events ORDER BY seq")]
    assert events.count("complaint.created") == 1 and events.count("complaint.updated") == 4
    dpm.close()


def test_the_dpm_recording_a_complaint_stops_the_clock_at_once(spoc):
    dpm = reopen_as(spoc, "dora", "dpm")
    complaint = cp.create_complaint(dpm, complaint_data(received_at=dt.datetime.now(dt.timezone.utc).isoformat()))
    assert complaint.state.dpm_notified_at is not None and complaint.dpm_clock().state == "met"
    dpm.close()


def test_hostile_text_is_kept_exactly_and_prints_literally(spoc):
    saved = [cp.create_complaint(spoc, complaint_data(complainant=text[:500], about=text)) for text in HOSTILE]
    with pytest.raises(AuthError):
        cp.get_complaint(spoc, saved[0].reference)  # the DPM's log, like breaches
    dpm = reopen_as(spoc, "dora", "dpm")
    for text, one in zip(HOSTILE, saved):
        again = cp.get_complaint(dpm, one.reference)
        assert again.about == text and again.complainant == text[:500]
    cp.add_update(dpm, "CP-2026-0001", "outcome", {"outcome": "not-upheld", "reason": HOSTILE[0]})
    cp.add_update(dpm, "CP-2026-0001", "replied", {"how": HOSTILE[1], "summary": HOSTILE[2]})
    for kind, ref in (("complaint", "CP-2026-0001"), ("complaint", "CP-2026-0004"), ("breach-register", "all")):
        report = build_report(dpm, kind, ref)
        reader = PdfReader(io.BytesIO(report.data))
        texts = [page.extract_text() or "" for page in reader.pages]
        for number, text in enumerate(texts, start=1):
            assert text.count("OFFICIAL-SENSITIVE") >= 2, f"{kind} page {number}"
            assert f"Page {number} of {len(texts)}" in text
        flat = " ".join(" ".join(texts).split())
        assert ("x" * 200 in flat.replace(" ", "")) if ref == "CP-2026-0004" else ("<b>bold</b>" in flat)
        assert all("/Annots" not in page for page in reader.pages)
    register = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(
        build_report(dpm, "breach-register", "all").data)).pages).split())
    assert "Complaints (5)" in register and "CP-2026-0005" in register and "Not upheld" in register
    dpm.close()


def test_status_counts_complaints_apart_from_breaches(spoc):
    cp.create_complaint(spoc, complaint_data(received_at="01/11/2026 09:00"))
    br.create_breach(spoc, {"reporter": "Sam", "agency": "DCON", "category": "device-loss",
                            "aware_at": "28/11/2026 08:30", "facts": "Lost", "containment": "Wiped"})
    dpm = reopen_as(spoc, "dora", "dpm")
    status = vault_status(dpm)
    assert status["breaches"]["total"] == 1
    counts = status["complaints"]
    assert counts["total"] == 1 and counts["open"] == 1 and counts["dpm_notification_overdue"] == 1
    assert counts["outcomes"]["upheld"] == 0 and counts["clocks"][0]["dpm"]["state"] == "overdue"
    assert "Mrs Ana Pop" not in json.dumps(status) and "employer" not in json.dumps(status)
    # Open, overdue first.
    cp.create_complaint(dpm, complaint_data())
    listed = cp.list_complaints(dpm)
    assert listed[0].reference == "CP-2026-0001"
    dpm.close()


def test_unknown_complaint_is_refused_plainly(spoc):
    dpm = reopen_as(spoc, "dora", "dpm")
    with pytest.raises(InvalidInput, match="There is no complaint CP-2026-0099"):
        cp.get_complaint(dpm, "CP-2026-0099")
    dpm.close()


def test_cli_prints_the_complaint_report_and_status(spoc, spocdesk, tmp_path):
    from conftest import OTHER_PASSPHRASE

    cp.create_complaint(spoc, complaint_data(about=HOSTILE[0]))
    dpm = reopen_as(spoc, "dora", "dpm")
    path = dpm.path
    dpm.close()
    out = tmp_path / "complaint.pdf"
    result = spocdesk("report", path, "complaint", "CP-2026-0001", "--out", out, "--user", "dora",
                      "--passphrase-stdin", stdin=OTHER_PASSPHRASE + "\n")
    assert result.code == 0, result.err
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(out.read_bytes())).pages).split())
    assert "Complaint report" in text and "OFFICIAL-SENSITIVE" in text and "<b>bold</b>" in text
    result = spocdesk("report", path, "complaint", "CP-1999-0001", "--out", tmp_path / "none.pdf", "--user", "dora",
                      "--passphrase-stdin", stdin=OTHER_PASSPHRASE + "\n")
    assert result.code == 4 and result.err.count("\n") == 1 and "There is no complaint CP-1999-0001" in result.err
    assert not (tmp_path / "none.pdf").exists()
    result = spocdesk("status", path, "--user", "dora", "--passphrase-stdin", stdin=OTHER_PASSPHRASE + "\n")
    assert result.code == 0, result.err
    status = json.loads(result.out)
    assert status["complaints"]["total"] == 1 and status["breaches"]["total"] == 0
