"""The joint compliance report's sections for consent, corrections, chasing and complaints (13.1,
issue 20): each one's figures from records made through the real services (packages between
desks where the work crosses desks), the period and the one-partner filter, the PDF (which the
preview shows), and no personal data or typed text in any of them."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from app import chasing, compliance, consent, corrections, disclosures
from app import complaints as cp
from app import requests as rq
from app import responses as rs
from app.exchange import packages
from app.records import new_id, today_london
from app.reports import build_report
from app.timeutil import LONDON
from desk_helpers import make_desk, reopen_as, request_data, response_data, trust_each_other

PURPOSE = "identify-victims"
HOSTILE = "<b>bold</b> & <i>x</i> \u202eRTL\u202c Zebedee " + "long " * 80
# Personal data the records hold: none of it may reach the report.
NAMES = ("Ion Popescu", "Johnny P", "Nguyễn Văn An", "Example Street", "Example Ltd", "Zebedee", "Mrs Ana Pop",
         "<b>", "RTL")


def section(report, key):
    return next(s for s in report.sections if s.key == key)


def words(report) -> str:
    """Everything the report's sections say, as one text."""
    out = []
    for s in report.sections:
        out += [s.title, *s.lines, *s.headers, *(cell for row in s.rows for cell in row)]
    return "\n".join(out)


def pdf_text(vault, ref: str) -> str:
    pdf = build_report(vault, "compliance", ref)
    return "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf.data)).pages)


def days_ago(n: int) -> dt.date:
    return today_london() - dt.timedelta(days=n)


def period(first: int, last: int = 0, partner: str | None = None) -> str:
    return compliance.scope_ref(days_ago(first), days_ago(last), partner)


def assert_no_personal_data(text: str) -> None:
    for name in NAMES:
        assert name not in text, name


def utc_iso(day: dt.date, hour: int = 12) -> str:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=LONDON).astimezone(dt.timezone.utc).isoformat(
        timespec="microseconds")


# ---- onward disclosures and consents --------------------------------------------------------


@pytest.fixture
def three(tmp_path):
    """Police (DCON), HMRC and NCA desks that trust each other; HMRC has answered two of the
    police desk's requests through packages."""
    police = make_desk(tmp_path / "dcon.vault", "DCON")
    hmrc = make_desk(tmp_path / "hmrc.vault", "HMRC")
    nca = make_desk(tmp_path / "nca.vault", "NCA")
    trust_each_other(police, hmrc, nca)
    out = tmp_path / "out"
    out.mkdir()
    answers = []
    for n in range(2):
        request = rq.create_request(police, request_data(information=f"Report {n}"))
        [made] = packages.send(police, request.reference, ["HMRC"], out)
        got = packages.receive(hmrc, made.path, receipt_out=out)
        held = rq.get_request(hmrc, got.request_id)
        answer = rs.record_response(hmrc, held.dispatches[0].id, response_data())
        [back] = packages.send(hmrc, f"{request.reference}/HMRC", None, out)
        packages.receive(police, back.path, receipt_out=out)
        answers.append((request, answer))
    yield police, hmrc, nca, out, answers
    for vault in (police, hmrc, nca):
        if vault.is_open:
            vault.close()


def ask(asker, originator, out, items, recipient="NCA", **kwargs):
    asked, path = consent.ask_consent(asker, items, recipient, PURPOSE, reason=HOSTILE, out_dir=out, **kwargs)
    packages.receive(originator, path)
    return asked


def answer(originator, asker, out, asked, decision="granted", **kwargs):
    reply, path = consent.answer_consent(originator, asked.id, decision, out_dir=out, **kwargs)
    packages.receive(asker, path)
    return reply


def plant_onward(vault, *, to, at, request_id, originator, items=(), lawful_bases=("dpa1998-s29-3",)):
    """A register row as an older version wrote it, before section 6 enforcement: no grant cited."""
    import json

    vault.db.execute(
        "INSERT INTO disclosures (id, kind, direction, from_agency, to_agency, at, request_id, what, lawful_bases,"
        " originator, recorded_by, recorded_at, items) VALUES (?, 'onward', 'sent', ?, ?, ?, ?, ?, ?, ?, 'old', ?, ?)",
        (new_id(), vault.agency, to, at, request_id, HOSTILE, json.dumps(list(lawful_bases)), originator, at,
         json.dumps(list(items))))


def test_onward_disclosures_with_and_without_the_consent_they_needed(three):
    police, hmrc, nca, out, answers = three
    (first, a1), (second, a2) = answers
    asked = ask(police, hmrc, out, [f"response:{a1.id}", f"response:{a2.id}"])
    answer(hmrc, police, out, asked, items=[f"response:{a1.id}"], conditions=HOSTILE)
    [made] = packages.send(police, f"{first.reference}/HMRC", ["NCA"], out, purpose=PURPOSE)  # with the grant
    packages.receive(nca, made.path, receipt_out=out)
    # This desk's own information to the GLAA needs nobody's consent.
    disclosures.record_onward(police, first.id, "GLAA", what=HOSTILE, lawful_bases=["dpa1998-s29-3"],
                              channel="cjsm", purpose=PURPOSE)
    # Two older rows that carried HMRC's information without a grant: one from before items were
    # recorded (its originator says HMRC; no lawful basis either), one naming HMRC's answer.
    plant_onward(police, to="NCA", at=utc_iso(days_ago(40)), request_id=second.id, originator="HMRC",
                 lawful_bases=())
    plant_onward(police, to="NCA", at=utc_iso(days_ago(1)), request_id=second.id, originator="DCON",
                 items=[f"response:{a2.id}"])
    dpm = reopen_as(police, "dee", "dpm")
    try:
        report = compliance.compliance_report(dpm, period(60))
        onward = section(report, "onward")
        by_to = {r[0]: r[1:] for r in onward.rows}
        assert by_to[compliance._name("NCA")] == ("3", "1", "0", "3", "1", "2")
        assert by_to[compliance._name("GLAA")] == ("1", "0", "0", "0", "0", "0")
        assert len(onward.rows) == 2  # HMRC had only request packages of this desk's own information
        assert onward.lines[0] == ("Onward disclosures recorded in the period: 4 (1 without a lawful basis "
                                   "recorded); further disclosures permitted at tactical meetings: 0.")
        assert onward.lines[1].startswith("Further disclosures (onward, at meetings, exchange files) that carried "
                                          "information another partner provided: 3; with the written consent they "
                                          "needed: 1; without it: 2.")
        assert onward.lines[-1].startswith("Without the consent they needed: ")
        assert f"{second.reference} to NCA on {days_ago(40):%d/%m/%Y} (onward)" in onward.lines[-1]
        # The period: the row of 40 days ago is outside the last 30 days.
        recent = section(compliance.compliance_report(dpm, period(30)), "onward")
        assert {r[0]: r[1:] for r in recent.rows}[compliance._name("NCA")] == ("2", "0", "0", "2", "1", "1")
        before = section(compliance.compliance_report(dpm, period(400, 100)), "onward")
        assert before.rows == () and before.lines[0].startswith("Onward disclosures recorded in the period: 0 ")
        # One partner: rows to it, and rows to others carrying its information.
        of_hmrc = section(compliance.compliance_report(dpm, period(60, 0, "HMRC")), "onward")
        assert [r[0] for r in of_hmrc.rows] == [compliance._name("NCA")]
        assert "information HMRC provided" in of_hmrc.lines[2]
        to_glaa = section(compliance.compliance_report(dpm, period(60, 0, "GLAA")), "onward")
        assert [r[0] for r in to_glaa.rows] == [compliance._name("GLAA")]
        to_nca = section(compliance.compliance_report(dpm, period(60, 0, "NCA")), "onward")
        assert [r[1:] for r in to_nca.rows] == [("3", "1", "0", "3", "1", "2")]
        assert_no_personal_data(words(report))
    finally:
        dpm.close()


def test_consents_asked_granted_refused_and_withdrawn_both_ways(three):
    police, hmrc, nca, out, answers = three
    (first, a1), (second, a2) = answers
    partly = ask(police, hmrc, out, [f"response:{a1.id}", f"response:{a2.id}"])
    answer(hmrc, police, out, partly, items=[f"response:{a1.id}"])
    refused = ask(police, hmrc, out, [f"response:{a2.id}"], recipient="GLAA")
    answer(hmrc, police, out, refused, "refused", reason=HOSTILE)
    whole = ask(police, hmrc, out, [f"response:{a2.id}"])
    grant = answer(hmrc, police, out, whole)
    made = next(a for a in consent.get_request(hmrc, whole.id).answers if a.id == grant.id)
    withdrawal, path = consent.withdraw_grant(hmrc, made.id, reason=HOSTILE, out_dir=out)
    packages.receive(police, path)
    ask(police, hmrc, out, [f"response:{a1.id}"], recipient="GLAA",
        needed_by=(today_london() + dt.timedelta(days=1)).isoformat())  # not answered
    # The NCA holds this desk's request (passed on with HMRC's grant) and asks this desk.
    [onward] = packages.send(police, f"{first.reference}/HMRC", ["NCA"], out, purpose=PURPOSE)
    packages.receive(nca, onward.path, receipt_out=out)
    theirs = ask(nca, police, out, [f"request:{first.id}"], recipient="GLAA")
    answer(police, nca, out, theirs)

    later = today_london() + dt.timedelta(days=3)
    police_dpm = reopen_as(police, "dee", "dpm")
    hmrc_dpm = reopen_as(hmrc, "dee", "dpm")
    try:
        report = compliance.compliance_report(police_dpm, period(30), today=later)
        consents = section(report, "consents")
        assert consents.rows == (
            (compliance._name("HMRC"), "This desk", "4", "2", "1", "1", "1", "1", "1"),
            (compliance._name("NCA"), "The partner", "1", "1", "0", "0", "0", "0", "0"),
        )
        assert consents.lines == (
            "Consent requests in the period: 4 made by this desk to partners, 1 received from partners.",
            "Decided in the period: granted 3 (1 for part of what was asked), refused 1, withdrawn 1.",
            "Of those asked in the period, awaiting an answer now: 1 from partners, 0 to answer here (1 past the "
            "date they were needed by).")
        # The originating desk sees the same requests from its side, and one still to answer.
        theirs_report = compliance.compliance_report(hmrc_dpm, period(30))
        assert section(theirs_report, "consents").rows == (
            (compliance._name("DCON"), "The partner", "4", "2", "1", "1", "1", "1", "0"),)
        # One partner, and a period that holds none of it.
        only_nca = section(compliance.compliance_report(police_dpm, period(30, 0, "NCA")), "consents")
        assert [r[:3] for r in only_nca.rows] == [(compliance._name("NCA"), "The partner", "1")]
        assert section(compliance.compliance_report(police_dpm, period(30, 0, "GLAA")), "consents").rows == ()
        assert section(compliance.compliance_report(police_dpm, period(90, 31)), "consents").rows == ()
        assert_no_personal_data(words(report))
        text = pdf_text(police_dpm, period(30))
        assert "Consents asked and answered (6.2, 6.3, 7.3)" in text
        assert "Onward disclosures and the consent they needed" in text
        assert_no_personal_data(text)
    finally:
        police_dpm.close()
        hmrc_dpm.close()


# ---- corrections ------------------------------------------------------------------------------


def test_corrections_notices_and_their_delivery(tmp_path):
    hmrc = make_desk(tmp_path / "hmrc.vault", "HMRC")
    police = make_desk(tmp_path / "dcon.vault", "DCON")
    nca = make_desk(tmp_path / "nca.vault", "NCA")
    try:
        trust_each_other(hmrc, police, nca)
        out = tmp_path / "out"
        out.mkdir()
        request = rq.create_request(hmrc, request_data())
        for desk, package in zip((police, nca), packages.send(hmrc, request.reference, ["DCON", "NCA"], out)):
            packages.receive(desk, package.path, receipt_out=out)
        sid = hmrc.db.scalar("SELECT s.id FROM subjects s JOIN request_subjects rs ON rs.subject_id = s.id"
                             " WHERE rs.request_id = ? AND s.date_of_birth IS NOT NULL", (request.id,))
        # The police desk flags HMRC's date of birth; the notice goes to HMRC and is delivered.
        notice = corrections.flag(police, {"item_type": "subject", "item_id": sid, "field": "date_of_birth",
                                           "problem": "inaccurate", "details": HOSTILE, "suggested": "12/05/1988"})
        made = corrections.make_notice_package(police, notice.id, out)
        got = packages.receive(hmrc, made.path, receipt_out=out)
        packages.receive(police, got.receipt_path)
        held = next(n for n in corrections.register(hmrc).notices if n.reference == notice.reference)
        # HMRC corrects it, and flags a name of its own that it then declines to change.
        fixed = corrections.record_correction(hmrc, {"item_type": "subject", "item_id": sid, "field": "date_of_birth",
                                                     "new_value": "12/05/1988", "reason": HOSTILE,
                                                     "notice_id": held.id})
        own = corrections.flag(hmrc, {"item_type": "subject", "item_id": sid, "field": "name",
                                      "problem": "out-of-date", "details": HOSTILE})
        corrections.decline_notice(hmrc, own.id, HOSTILE)
        sent = {p.agency: p for p in corrections.make_correction_packages(hmrc, fixed.id, out)}
        got = packages.receive(police, sent["DCON"].path, receipt_out=out)
        packages.receive(nca, sent["NCA"].path, receipt_out=out)  # NCA applies it; its receipt never comes back
        packages.receive(hmrc, got.receipt_path)
        # The correction was made ten days ago: the NCA's line is that old.
        hmrc.db.execute("UPDATE corrections SET corrected_at = ? WHERE id = ?",
                        ((dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=10, hours=1)).isoformat(), fixed.id))

        hmrc_dpm = reopen_as(hmrc, "dee", "dpm")
        police_dpm = reopen_as(police, "dee", "dpm")
        try:
            report = compliance.compliance_report(hmrc_dpm, period(30))
            section_ = section(report, "corrections")
            # Partner, notices sent, received, still open, applied, delivered, outstanding, oldest
            rows = {r[0]: r[1:] for r in section_.rows}
            assert rows[compliance._name("DCON")] == ("0", "1", "0", "0", "1", "0", "–")
            assert rows[compliance._name("HMRC") + " (this desk)"] == ("1", "0", "0", "0", "0", "0", "–")
            assert rows[compliance._name("NCA")] == ("0", "0", "0", "0", "0", "1", "10")
            assert section_.lines[0] == ("Correction notices in the period: 1 raised here (1 on this desk's own "
                                         "information, 0 sent to the partner that controls it), 1 received from "
                                         "partners; now 1 corrected, 1 declined, 0 open.")
            assert section_.lines[1] == "Corrections: 1 made by this desk as data controller, 0 applied here from partners."
            assert section_.lines[2].startswith("Recipients of this desk's corrections: 2; 1 delivered (receipt "
                                                "received), on average 10.0 days after the correction; "
                                                "1 outstanding, the oldest 10 days old, 1 older than 7 days.")
            # The recipient desk: its notice to HMRC, corrected, and HMRC's correction applied.
            theirs = section(compliance.compliance_report(police_dpm, period(30)), "corrections")
            assert theirs.rows == ((compliance._name("HMRC"), "1", "0", "0", "1", "0", "0", "–"),)
            # One partner; and a period before any of it.
            only_nca = section(compliance.compliance_report(hmrc_dpm, period(30, 0, "NCA")), "corrections")
            assert [r[0] for r in only_nca.rows] == [compliance._name("NCA")]
            assert only_nca.lines[1].startswith("Corrections: 1 made")  # a correction that reached the NCA
            only_glaa = section(compliance.compliance_report(hmrc_dpm, period(30, 0, "GLAA")), "corrections")
            assert only_glaa.rows == () and only_glaa.lines[1].startswith("Corrections: 0 made")
            assert section(compliance.compliance_report(hmrc_dpm, period(90, 31)), "corrections").rows == ()
            assert_no_personal_data(words(report))
            text = pdf_text(hmrc_dpm, period(30))
            assert "Corrections and their delivery (7.2)" in text
            assert_no_personal_data(text)
        finally:
            hmrc_dpm.close()
            police_dpm.close()
    finally:
        for vault in (hmrc, police, nca):
            if vault.is_open:
                vault.close()


# ---- chases -----------------------------------------------------------------------------------


def test_chases_by_method_and_partner_and_overdue_again(tmp_path):
    police = make_desk(tmp_path / "dcon.vault")
    try:
        request = rq.create_request(police, request_data())
        sent = {d.agency: d for d in rq.send_to_agencies(police, request.id, ["HMRC", "GLAA", "NCA"])}
        for d in sent.values():
            rq.set_due_date(police, d.id, days_ago(3).isoformat())
        promised = (today_london() + dt.timedelta(days=2)).isoformat()
        for _ in range(2):
            chasing.record_chase(police, sent["GLAA"].id, {"how": "email", "to_whom": HOSTILE,
                                                           "promised_date": promised, "note": HOSTILE})
        chasing.record_chase(police, sent["HMRC"].id, {"how": "telephone", "to_whom": HOSTILE,
                                                       "promised_date": promised, "via": "switchboard",
                                                       "identity_check": "called back"})
        rs.receive_response(police, sent["HMRC"].id, response_data())
        # The NCA was chased 40 days ago (outside the last 30 days).
        police.db.execute("UPDATE dispatches SET sent_at = ? WHERE id = ?", (utc_iso(days_ago(50)), sent["NCA"].id))
        chasing.record_chase(police, sent["NCA"].id, {"how": "email", "to_whom": "x", "at": utc_iso(days_ago(40)),
                                                      "promised_date": days_ago(38).isoformat()})
        later = today_london() + dt.timedelta(days=5)
        dpm = reopen_as(police, "dee", "dpm")
        try:
            report = compliance.compliance_report(dpm, period(30), today=later)
            assert [s.key for s in report.sections][:2] == ["requests", "chases"]
            chases = section(report, "chases")
            # Partner, chases, package, telephone, e-mail, answers chased, answered since, overdue again
            rows = {r[0]: r[1:] for r in chases.rows}
            assert rows == {compliance._name("HMRC"): ("1", "0", "1", "0", "1", "1", "0"),
                            compliance._name("GLAA"): ("2", "0", "0", "2", "1", "0", "1")}
            assert chases.lines == (
                "Chases of overdue answers in the period: 3 (package re-sent: 0, telephone: 1, e-mail: 2).",
                "Answers chased: 2; answered since: 1; overdue again now, past the date promised at the last chase "
                "(flagged for the lead officer): 1.")
            # Today (before the promised date) nothing is overdue again.
            assert section(compliance.compliance_report(dpm, period(30)), "chases").lines[1].endswith(
                "(flagged for the lead officer): 0.")
            wider = {r[0]: r[1:] for r in section(compliance.compliance_report(dpm, period(60)), "chases").rows}
            assert wider[compliance._name("NCA")] == ("1", "0", "0", "1", "1", "0", "1")
            only = section(compliance.compliance_report(dpm, period(30, 0, "GLAA"), today=later), "chases")
            assert [r[0] for r in only.rows] == [compliance._name("GLAA")]
            assert only.lines[0].startswith("Chases of overdue answers in the period: 2 ")
            assert section(compliance.compliance_report(dpm, period(30, 0, "NCA")), "chases").rows == ()
            assert_no_personal_data(words(report))
            # chase_counts, now counted by the same statement, says the same.
            counts = chasing.chase_counts(dpm, days_ago(30), today_london() + dt.timedelta(days=1))
            assert counts == {"total": 3, "by_how": {"package": 0, "telephone": 1, "email": 2},
                              "by_agency": {"GLAA": 2, "HMRC": 1}, "dispatches_chased": 2, "overdue_again": 0}
            text = pdf_text(dpm, period(30))
            assert "Chasing overdue answers (2.6)" in text
            assert_no_personal_data(text)
        finally:
            dpm.close()
    finally:
        if police.is_open:
            police.close()


# ---- complaints -------------------------------------------------------------------------------


def test_complaints_received_the_dpm_clock_and_outcomes(tmp_path):
    spoc = make_desk(tmp_path / "dcon.vault")
    now = dt.datetime.now(dt.timezone.utc)

    def received(hours_ago: float) -> str:
        return (now - dt.timedelta(hours=hours_ago)).isoformat()

    def after(at: str, hours: float) -> str:
        return (dt.datetime.fromisoformat(at) + dt.timedelta(hours=hours)).isoformat()

    base = {"complainant_kind": "data-subject", "complainant": "Mrs Ana Pop", "agency": "DCON", "about": HOSTILE,
            "received_how": "letter"}
    met = cp.create_complaint(spoc, {**base, "received_at": received(72)})
    late = cp.create_complaint(spoc, {**base, "complainant_kind": "partner", "complainant": HOSTILE,
                                      "complainant_agency": "GLAA", "agency": "HMRC", "received_at": received(60)})
    cp.create_complaint(spoc, {**base, "received_at": received(48)})  # never told: overdue now
    cp.create_complaint(spoc, {**base, "complainant_kind": "staff", "received_at": received(1)})  # within the clock
    cp.create_complaint(spoc, {**base, "received_at": received(40 * 24)})  # outside the last 30 days
    dpm = reopen_as(spoc, "dee", "dpm")
    try:
        cp.add_update(dpm, met.reference, "dpm-notified", {"who": HOSTILE, "at": after(met.received_at, 2)})
        cp.add_update(dpm, met.reference, "outcome", {"outcome": "upheld", "reason": HOSTILE})
        cp.add_update(dpm, met.reference, "replied", {"how": "letter", "summary": HOSTILE})
        cp.add_update(dpm, late.reference, "dpm-notified", {"who": "Dora", "at": after(late.received_at, 30)})
        cp.add_update(dpm, late.reference, "outcome", {"outcome": "referred-partner", "partner": "HMRC",
                                                       "reason": "theirs"})
        cp.add_update(dpm, late.reference, "outcome", {"outcome": "not-upheld", "reason": "after all"})
        report = compliance.compliance_report(dpm, period(30))
        keys = [s.key for s in report.sections]
        assert keys.index("complaints") == keys.index("breaches") + 1
        complaints = section(report, "complaints")
        # About, received, met, late, overdue, within the clock, outcome decided, replied
        assert complaints.rows == ((compliance._name("DCON"), "3", "1", "0", "1", "1", "1", "1"),
                                   (compliance._name("HMRC"), "1", "0", "1", "0", "0", "1", "0"))
        assert complaints.lines[0] == ("Complaints received in the period: 4 (a data subject: 2, a partner agency: 1, "
                                       "a member of staff: 1); counted apart from breaches.")
        assert complaints.lines[1] == ("Data Protection Manager (24 hours, clause 10.1): told in time 1, told late 1, "
                                       "not told and overdue now 1, still within the clock 1.")
        assert complaints.lines[2] == ("Outcomes (the latest of each): upheld 1, not upheld 1, referred to the partner "
                                       "concerned 0, referred to the ICO 0; no outcome yet 2. Replies sent: 1.")
        assert section(report, "breaches").rows == ()  # complaints are not breaches
        # The partner that complained and the one complained about each see it; another sees none.
        for code in ("GLAA", "HMRC"):
            only = section(compliance.compliance_report(dpm, period(30, 0, code)), "complaints")
            assert only.rows == ((compliance._name("HMRC"), "1", "0", "1", "0", "0", "1", "0"),)
        assert section(compliance.compliance_report(dpm, period(30, 0, "NCA")), "complaints").rows == ()
        wider = section(compliance.compliance_report(dpm, period(60)), "complaints")
        assert wider.rows[0][:2] == (compliance._name("DCON"), "4")
        assert_no_personal_data(words(report))
        text = pdf_text(dpm, period(30))
        assert "Complaints and the DPM clock (10.1)" in text
        assert_no_personal_data(text)
    finally:
        dpm.close()
