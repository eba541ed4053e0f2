"""Subject access and FOI requests (12): the clocks from data (a month, extendable; 20 working days
with England and Wales bank holidays; stopped while identity or clarification is awaited), the
subject file across requests, partner items consulted (12.2), decisions with exemptions, third
parties redacted, and the Appendix 2 instruction on copies of the request form."""

from __future__ import annotations

import datetime as dt

import pytest

from app import requests as rq
from app import responses as rs
from app import subject_access as sa
from app.errors import AuthError
from app.records import Invalid
from desk_helpers import make_desk, reopen_as, request_data, response_data

HOSTILE = ["<b>bold</b><script>alert('x')</script>", "Robert'); DROP TABLE info_requests;--",
           "Ana\u202eMaria\u200b\u2066x\u2069", "😀👩🏽‍⚕️🇬🇧", "x" * 450]


class E:  # a bare event for the clock
    def __init__(self, kind, on, **details):
        self.kind, self.on_date, self.details = kind, on, details


def test_working_days_skip_weekends_and_bank_holidays():
    assert not sa.is_working_day(dt.date(2026, 12, 25)) and not sa.is_working_day(dt.date(2026, 12, 28))  # Boxing Day observed
    assert not sa.is_working_day(dt.date(2026, 4, 3)) and not sa.is_working_day(dt.date(2026, 4, 6))  # Easter
    assert sa.is_working_day(dt.date(2026, 12, 29))
    # Received Friday 18 December 2026: 20 working days skip 25, 28 December and 1 January.
    assert sa.add_working_days(dt.date(2026, 12, 18), 20) == dt.date(2027, 1, 20)
    assert sa.working_days_between(dt.date(2026, 12, 18), dt.date(2027, 1, 20)) == 20


def test_sar_clock_is_a_calendar_month_to_a_working_day():
    clock = sa.compute_clock("sar-gdpr", "2026-01-31", [], today=dt.date(2026, 2, 1))
    assert clock.due_on == dt.date(2026, 3, 2) and clock.state == "running"  # 28 Feb is a Saturday
    assert sa.compute_clock("sar-gdpr", "2026-11-20", [], today=dt.date(2026, 12, 22)).state == "overdue"


def test_sar_clock_waits_for_identity_and_pauses_for_clarification():
    events = [E("identity-requested", "2026-03-02")]
    assert sa.compute_clock("sar-gdpr", "2026-03-02", events).state == "stopped"
    events.append(E("identity-confirmed", "2026-03-10"))
    assert sa.compute_clock("sar-gdpr", "2026-03-02", events, today=dt.date(2026, 3, 11)).due_on == dt.date(2026, 4, 10)
    events.append(E("clarification-requested", "2026-03-12"))
    stopped = sa.compute_clock("sar-gdpr", "2026-03-02", events)
    assert stopped.state == "stopped" and "clarification" in stopped.text()
    events.append(E("clarification-received", "2026-03-19"))
    assert sa.compute_clock("sar-gdpr", "2026-03-02", events, today=dt.date(2026, 3, 20)).due_on == dt.date(2026, 4, 17)
    events.append(E("extended", "2026-03-20", units=2))
    assert sa.compute_clock("sar-gdpr", "2026-03-02", events, today=dt.date(2026, 3, 20)).due_on == dt.date(2026, 6, 17)
    events.append(E("responded", "2026-06-01"))
    assert sa.compute_clock("sar-gdpr", "2026-03-02", events).state == "answered"


def test_foi_clock_restarts_from_the_clarification():
    assert sa.compute_clock("foi", "2026-12-18", [], today=dt.date(2026, 12, 21)).due_on == dt.date(2027, 1, 20)
    events = [E("clarification-requested", "2026-12-21"), E("clarification-received", "2027-01-04")]
    assert sa.compute_clock("foi", "2026-12-18", events, today=dt.date(2027, 1, 5)).due_on == dt.date(2027, 2, 1)
    clock = sa.compute_clock("foi", "2026-12-18", [], today=dt.date(2027, 1, 5))
    assert clock.unit == "working days" and clock.days_left == sa.working_days_between(dt.date(2027, 1, 5), clock.due_on)


@pytest.fixture
def desk(tmp_path):
    """A police desk: one person on three requests, HMRC's response on one, then the DPM."""
    vault = make_desk(tmp_path / "dcon.vault")
    first = rq.create_request(vault, request_data(information="Ion Popescu was seen with Nguyễn Văn An."))
    ion = next(s for s in first.subjects if s.name == "Ion Popescu")
    refs = [first]
    for _ in range(2):
        other = rq.create_request(vault, request_data(subjects=[]))
        rq.add_subject(vault, other.id, ion.id, "suspected-perpetrator")
        refs.append(other)
    rq.add_agencies(vault, first.id, ["HMRC"])
    rq.send_to_agencies(vault, first.id, ["HMRC"])
    dispatch = rq.dispatches_of(vault, first.id)[0]
    rs.receive_response(vault, dispatch.id, response_data(disclosed_text="Nguyễn Văn An works for Ion Popescu."))
    vault = reopen_as(vault, "dana", "dpm")
    yield vault, ion, refs
    if vault.is_open:
        vault.close()


def test_subject_file_gathers_every_request_and_flags_partner_items(desk):
    vault, ion, refs = desk
    found = sa.find_subjects(vault, "popescu")
    assert [s.id for s in found] == [ion.id]
    file = sa.subject_file(vault, [ion.id])
    assert {i.label for i in file.of_type("request")} == {f"Request {r.reference}" for r in refs}
    response = file.of_type("response")
    assert len(response) == 1 and response[0].partner_provided and response[0].origin_agency == "HMRC"
    assert file.of_type("disclosure") and not file.of_type("subject")[0].partner_provided
    audited = vault.db.one("SELECT * FROM audit_events WHERE action = 'subject_file.viewed'")
    assert "Popescu" not in str(tuple(audited))


def test_the_dpm_decides_each_item_after_consulting_the_partner(desk):
    vault, ion, refs = desk
    sar = sa.log_request(vault, {"kind": "sar-gdpr", "received_on": dt.date.today().isoformat(),
                                 "requester_name": "Ion Popescu", "subject_ids": [ion.id]})
    assert sar.reference.startswith("SAR-")
    sar = sa.gather_items(vault, sar.reference)
    assert len(sa.gather_items(vault, sar.reference).items) == len(sar.items)  # gathering twice adds nothing
    partner_item = next(i for i in sar.items if i.partner_provided)
    with pytest.raises(Invalid, match="Consult the partner"):
        sa.decide_item(vault, sar.reference, partner_item.id, "disclose")
    with pytest.raises(Invalid, match="exemption"):
        sa.decide_item(vault, sar.reference, partner_item.id, "withhold", exemption="foi-s30")  # not for a SAR
    sar = sa.consult_partner(vault, sar.reference, partner_item.id, via="telephone", who="HMRC SPOC via switchboard",
                             answer="Content to disclose with third parties redacted")
    assert any(e.kind == "partner-consulted" for e in sar.events)
    with pytest.raises(Invalid, match="Decide whether"):
        sa.add_event(vault, sar.reference, "responded")
    for item in sar.items:
        if item.item_type == "disclosure":
            sar = sa.decide_item(vault, sar.reference, item.id, "withhold", exemption="dpa-sch2-p1-2")
        else:
            sar = sa.decide_item(vault, sar.reference, item.id, "disclose")
    partner_item = next(i for i in sar.items if i.id == partner_item.id)
    content = dict(sa.item_content(vault, sar, partner_item))
    assert "Nguyễn Văn An" not in content["Disclosed"] and sa.THIRD_PARTY in content["Disclosed"]
    assert "Ion Popescu" in content["Disclosed"]
    sar = sa.add_event(vault, sar.reference, "responded")
    assert sar.clock().state == "answered"


def test_a_request_for_the_request_form_needs_the_force_dpo_first(desk):
    vault, ion, refs = desk
    foi = sa.log_request(vault, {"kind": "foi", "received_on": dt.date.today().isoformat(),
                                 "requester_name": "A journalist", "asks_for_request_form": True,
                                 "subject_ids": [ion.id]})
    assert "Force Data Protection Officer" in sa.request_form_instruction()
    foi = sa.gather_items(vault, foi.reference)
    item = next(i for i in foi.items if i.item_type == "request")
    with pytest.raises(Invalid, match="Data Protection Officer"):
        sa.decide_item(vault, foi.reference, item.id, "disclose")
    sa.add_event(vault, foi.reference, "dpo-consulted", {"who": "Force DPO, Ripley, 101", "answer": "Withhold s.31"})
    sa.decide_item(vault, foi.reference, item.id, "withhold", exemption="foi-s31")


def test_extensions_follow_the_law(desk):
    vault, *_ = desk
    part3 = sa.log_request(vault, {"kind": "sar-part3", "received_on": dt.date.today().isoformat(),
                                   "requester_name": "Someone"})
    with pytest.raises(Invalid, match="Part 3"):
        sa.add_event(vault, part3.reference, "extended", {"units": 1, "reason": "Complex"})
    gdpr = sa.log_request(vault, {"kind": "sar-gdpr", "received_on": dt.date.today().isoformat(),
                                  "requester_name": "Someone"})
    with pytest.raises(Invalid, match="reason"):
        sa.add_event(vault, gdpr.reference, "extended", {"units": 1})
    with pytest.raises(Invalid, match="two further months"):
        sa.add_event(vault, gdpr.reference, "extended", {"units": 3, "reason": "Complex"})
    gdpr = sa.add_event(vault, gdpr.reference, "extended", {"units": 2, "reason": "Many records"})
    from app.retention import add_months

    assert gdpr.clock().due_on == sa.next_working_day(add_months(dt.date.today(), 3))


def test_the_log_needs_the_dpm_and_says_what_is_missing(desk):
    vault, *_ = desk
    with pytest.raises(Invalid) as problems:
        sa.log_request(vault, {"kind": "nope", "received_on": "31/02/2026", "requester_name": ""})
    assert {p.field for p in problems.value.problems} == {"kind", "received_on", "requester_name"}
    spoc = reopen_as(vault, "bob")
    with pytest.raises(AuthError):
        sa.list_requests(spoc)
    spoc.close()


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_through_every_field(desk, text):
    vault, ion, refs = desk
    sar = sa.log_request(vault, {"kind": "sar-gdpr", "received_on": dt.date.today().isoformat(),
                                 "requester_name": text, "requester_contact": text, "about": text,
                                 "subject_ids": [ion.id]})
    assert (sar.requester_name, sar.about) == (text, text)
    sar = sa.add_event(vault, sar.reference, "note", {"text": text})
    sar = sa.gather_items(vault, sar.reference)
    item = next(i for i in sar.items if i.partner_provided)
    sar = sa.consult_partner(vault, sar.reference, item.id, via="note", who=text, answer=text)
    sar = sa.decide_item(vault, sar.reference, item.id, "disclose", note=text)
    assert next(i for i in sar.items if i.id == item.id).note == text
    for row in vault.db.query("SELECT reason, record_id FROM audit_events"):
        assert text not in (row["reason"] or "") and text not in (row["record_id"] or "")


@pytest.mark.parametrize("text", HOSTILE[:4])
def test_the_documents_are_marked_and_take_hostile_text(desk, text):
    from test_reports import check_template, no_links_or_images

    from app.reports import build_report

    vault, ion, refs = desk
    sar = sa.log_request(vault, {"kind": "sar-gdpr", "received_on": dt.date.today().isoformat(),
                                 "requester_name": text, "about": text, "subject_ids": [ion.id]})
    sar = sa.gather_items(vault, sar.reference)
    sa.add_event(vault, sar.reference, "note", {"text": text})
    for item in sar.items:
        if item.partner_provided:
            sa.consult_partner(vault, sar.reference, item.id, via="note", who=text, answer=text)
        sa.decide_item(vault, sar.reference, item.id, "withhold" if item.item_type == "disclosure" else "disclose",
                       exemption="dpa-sch2-p1-2", note=text)
    for kind in ("subject-file", "response-pack", "exemption-schedule"):
        report = build_report(vault, kind, sar.reference)
        texts = check_template(report)
        no_links_or_images(report.data)
        assert "Conditions of use" in "".join(texts)  # partner items are in each
    pack = "".join(check_template(build_report(vault, "response-pack", sar.reference)))
    assert "Nguy" not in pack and "third party redacted" in pack and "Sch 2 Pt 1 para 2" in pack
