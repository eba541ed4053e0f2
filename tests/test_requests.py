"""Appendix 2 requests, subjects and dispatches: the rules of app.requests and app.subjects."""

from __future__ import annotations

import datetime as _dt

import pytest

from app import requests as rq
from app import subjects as sj
from app import suspensions
from app.errors import AuthError, InvalidInput
from app.records import Invalid, today_london
from desk_helpers import make_desk, reopen_as, request_data


@pytest.fixture
def desk(vault_path):
    vault = make_desk(vault_path)
    yield vault
    if vault.is_open:
        vault.close()


def audit_rows(vault):
    return vault.db.query("SELECT action, record_type, record_id, reason FROM audit_events ORDER BY seq")


def test_create_request_has_every_appendix2_field(desk):
    request = rq.create_request(desk, request_data())
    assert request.reference == "MSR-2026-0001"
    assert request.origin_agency == "DCON" and request.status == "draft"
    assert request.request_date == "2026-03-02" and request.information_date == "2026-03-01"
    assert request.requester_rank == "Detective Sergeant" and request.requester_number == "1234"
    assert request.reasons == ("crime",)
    assert request.purposes == ("identify-victims", "enforcement")
    assert request.partnership_question.startswith("Is there any activity")
    assert request.declaration_complete and request.declared_by == "bob" and request.declared_at
    assert [(s.name, s.role) for s in request.subjects] == [
        ("Ion Popescu", "suspected-perpetrator"), ("Nguyễn Văn An", "potential-victim"),
        ("12 Example Street, Derby", "unknown")]
    second = rq.create_request(desk, request_data())
    assert second.reference == "MSR-2026-0002"


def test_references_are_per_year(desk):
    assert rq.create_request(desk, request_data(request_date="2025-12-31")).reference == "MSR-2025-0001"
    assert rq.create_request(desk, request_data()).reference == "MSR-2026-0001"


def test_validation_lists_every_problem_with_plain_messages(desk):
    problems, _ = rq.validate_request({"reasons": ["nonsense"], "information_date": "31/02/2026"})
    fields: dict[str, str] = {}
    for p in problems:
        fields[p.field] = fields.get(p.field, "") + " " + p.message
    assert "requester_name" in fields and "information" in fields and "check_request" in fields
    assert "nonsense" in fields["reasons"]
    assert "real date" in fields["information_date"]
    problems, _ = rq.validate_request({})
    assert ("information_date", "Enter the date the information was received") in [tuple(p) for p in problems]
    with pytest.raises(Invalid) as caught:
        rq.create_request(desk, {"requester_name": "x"})
    assert any(p.field == "information_date" for p in caught.value.problems)
    assert desk.db.scalar("SELECT count(*) FROM requests") == 0


def test_future_information_date_and_unknown_codes_refused(desk):
    future = (today_london() + _dt.timedelta(days=30)).isoformat()
    with pytest.raises(InvalidInput, match="information_date"):
        rq.create_request(desk, request_data(information_date=future))
    with pytest.raises(InvalidInput, match="purposes"):
        rq.create_request(desk, request_data(purposes=["world-domination"]))
    with pytest.raises(InvalidInput, match="subjects\\[0\\].role"):
        rq.create_request(desk, request_data(subjects=[{"subject": {"name": "A"}, "role": "boss"}]))


def test_names_are_stored_exactly_as_entered(desk):
    odd = "  Ana\u202eMaria  Ionescu\u200b "
    request = rq.create_request(desk, request_data(subjects=[{"subject": {"name": odd}, "role": "associate"}]))
    assert request.subjects[0].name == odd


def test_one_subject_on_many_requests(desk):
    subject = sj.create_subject(desk, {"kind": "business", "name": "Example Car Wash Ltd"})
    first = rq.create_request(desk, request_data(subjects=[{"subject_id": subject.id, "role": "associate"}]))
    second = rq.create_request(desk, request_data(subjects=[{"subject_id": subject.id, "role": "unknown"}]))
    refs = sj.requests_of_subject(desk, subject.id)
    assert [(r[1], r[2]) for r in refs] == [(first.reference, "associate"), (second.reference, "unknown")]


def test_subject_validation(desk):
    problems, _ = sj.validate_subject({"kind": "location", "name": "", "date_of_birth": "2000-01-01"})
    assert {p.field for p in problems} == {"name", "date_of_birth"}
    problems, _ = sj.validate_subject({"kind": "ship", "name": "x"})
    assert problems[0].field == "kind"


def test_update_keeps_fields_and_declaration_stamp(desk):
    request = rq.create_request(desk, request_data())
    updated = rq.update_request(desk, request.id, {"information": "More detail."})
    assert updated.information == "More detail." and updated.requester_name == request.requester_name
    assert updated.declared_at == request.declared_at
    undeclared = rq.update_request(desk, request.id, {"declaration": ["use-limited"]})
    assert not undeclared.declaration_complete and undeclared.declared_at is None


def test_send_needs_declaration_and_creates_dispatches_with_due_dates(desk):
    request = rq.create_request(desk, request_data(declaration=[]))
    with pytest.raises(Invalid) as caught:
        rq.send_to_agencies(desk, request.id, ["HMRC"])
    assert "declaration" in {p.field for p in caught.value.problems}
    assert desk.db.scalar("SELECT count(*) FROM dispatches") == 0
    rq.confirm_declaration(desk, request.id)
    dispatches = rq.send_to_agencies(desk, request.id, ["HMRC", "DCC/CSIS", "GLAA"])
    assert sorted(d.target for d in dispatches) == ["DCC/CSIS", "GLAA", "HMRC"]
    due = (today_london() + _dt.timedelta(days=10)).isoformat()
    assert all(d.status == "sent" and d.sent_at and d.due_date == due for d in dispatches)
    assert rq.get_request(desk, request.reference).status == "open"
    registered = desk.db.query("SELECT kind, to_agency, originator FROM disclosures ORDER BY to_agency")
    assert [(r["kind"], r["to_agency"], r["originator"]) for r in registered] == [
        ("request", "DCC", "DCON"), ("request", "GLAA", "DCON"), ("request", "HMRC", "DCON")]
    with pytest.raises(InvalidInput, match="already sent"):
        rq.send_to_agencies(desk, request.id, ["HMRC"])


def test_send_refuses_unknown_own_and_suspended_agencies(desk):
    request = rq.create_request(desk, request_data())
    for target, fragment in (("XYZ", "Unknown agency"), ("DCON", "own agency"), ("DCC/NOPE", "sub-service")):
        with pytest.raises(InvalidInput, match=fragment):
            rq.send_to_agencies(desk, request.id, [target])
    desk = reopen_as(desk, "alice")
    suspensions.suspend(desk, "HMRC", "serious breach under investigation")
    desk = reopen_as(desk, "bob")
    with pytest.raises(InvalidInput, match="HM Revenue & Customs is suspended"):
        rq.send_to_agencies(desk, request.id, ["GLAA", "HMRC"])
    assert desk.db.scalar("SELECT count(*) FROM dispatches") == 0  # all or nothing
    desk = reopen_as(desk, "alice")
    suspensions.lift(desk, "HMRC", "resolved")
    assert not suspensions.is_suspended(desk, "HMRC")
    desk = reopen_as(desk, "bob")
    assert len(rq.send_to_agencies(desk, request.id, ["HMRC"])) == 1
    desk.close()


def test_draft_dispatches_then_send_all(desk):
    request = rq.create_request(desk, request_data())
    drafts = rq.add_agencies(desk, request.id, ["HMRC", "DWP/FES"])
    assert [d.status for d in drafts] == ["draft", "draft"]
    sent = rq.send_to_agencies(desk, request.id, due_date="2026-12-01")
    assert {d.status for d in sent} == {"sent"} and {d.due_date for d in sent} == {"2026-12-01"}


def test_overdue_list_and_acknowledgement(desk):
    request = rq.create_request(desk, request_data())
    hmrc, glaa = rq.send_to_agencies(desk, request.id, ["GLAA", "HMRC"])[::-1]
    assert rq.overdue_dispatches(desk) == []
    rq.acknowledge_dispatch(desk, hmrc.id)
    later = today_london() + _dt.timedelta(days=12)
    overdue = rq.overdue_dispatches(desk, today=later)
    assert {(o.dispatch.agency, o.dispatch.status, o.days_overdue) for o in overdue} == {
        ("HMRC", "acknowledged", 2), ("GLAA", "sent", 2)}
    rq.set_due_date(desk, glaa.id, later.isoformat())
    assert [o.dispatch.agency for o in rq.overdue_dispatches(desk, today=later)] == ["HMRC"]


def test_keyset_paging_and_counts(desk):
    for _ in range(7):
        rq.create_request(desk, request_data(subjects=[]))
    assert rq.count_requests(desk) == 7 and rq.count_requests(desk, "draft") == 7
    page = rq.list_requests(desk, limit=3)
    refs = [i.reference for i in page.items]
    assert refs == ["MSR-2026-0007", "MSR-2026-0006", "MSR-2026-0005"]
    seen = list(refs)
    while page.next_after is not None:
        page = rq.list_requests(desk, after=page.next_after, limit=3)
        seen += [i.reference for i in page.items]
    assert len(seen) == 7 == len(set(seen))
    assert rq.list_requests(desk, status="open").items == []


def test_need_to_know(vault_path):
    admin = make_desk(vault_path, role="admin")
    with pytest.raises(AuthError):
        rq.create_request(admin, request_data())
    with pytest.raises(AuthError):
        rq.list_requests(admin)
    chair = reopen_as(admin, "carol", "chair")
    with pytest.raises(AuthError):
        rq.create_request(chair, request_data())
    rq.list_requests(chair)  # the chair reads requests
    auditor = reopen_as(chair, "dave", "auditor")
    with pytest.raises(AuthError):
        rq.list_requests(auditor)
    auditor.close()


def test_only_the_origin_desk_edits(desk):
    request = rq.create_request(desk, request_data())
    desk.db.execute("UPDATE requests SET origin_agency = 'HMRC' WHERE id = ?", (request.id,))
    with pytest.raises(InvalidInput, match="only that desk"):
        rq.update_request(desk, request.id, {"information": "x"})


def test_audit_rows_hold_no_personal_values(desk):
    request = rq.create_request(desk, request_data())
    rq.get_request(desk, request.id)
    rq.send_to_agencies(desk, request.id, ["HMRC"])
    rows = audit_rows(desk)
    actions = [r["action"] for r in rows]
    assert {"request.created", "request.viewed", "subject.created", "dispatch.sent"} <= set(actions)
    text = repr([tuple(r) for r in rows])
    for value in ("Popescu", "Nguyễn", "Example Street", "Several workers", "Jane Smith"):
        assert value not in text


def test_subject_list_paging(desk):
    for n in range(5):
        sj.create_subject(desk, {"kind": "business" if n % 2 else "person", "name": f"S{n}"})
    assert sj.count_subjects(desk) == 5 and sj.count_subjects(desk, "business") == 2
    first = sj.list_subjects(desk, limit=2)
    second = sj.list_subjects(desk, after=first.next_after, limit=2)
    third = sj.list_subjects(desk, after=second.next_after, limit=2)
    assert [s.name for s in first.items + second.items + third.items] == ["S4", "S3", "S2", "S1", "S0"]
    assert third.next_after is None


def test_status_counts_requests_and_overdue_responses(desk):
    import app.status as status

    request = rq.create_request(desk, request_data())
    rq.create_request(desk, request_data())
    rq.send_to_agencies(desk, request.id, ["HMRC", "GLAA"], due_date="2020-01-01")
    counts = status.vault_status(desk)["requests"]
    assert counts == {"draft": 1, "open": 1, "closed": 0, "responses_awaited": 2, "responses_overdue": 2}


def test_an_agency_chosen_by_mistake_can_be_taken_off_until_it_is_sent(desk):
    request = rq.create_request(desk, request_data())
    rq.add_agencies(desk, request.id, ["HMRC", "NCA"])
    left = rq.remove_agencies(desk, request.id, ["NCA"])
    assert [d.target for d in left] == ["HMRC"]
    rq.send_to_agencies(desk, request.id)
    with pytest.raises(InvalidInput, match="HMRC has already been sent this request"):
        rq.remove_agencies(desk, request.id, ["HMRC"])
    assert [(d.target, d.status) for d in rq.dispatches_of(desk, request.id)] == [("HMRC", "sent")]


def test_closing_takes_a_reason_from_the_list_and_freezes_the_request(desk):
    request = rq.create_request(desk, request_data())
    with pytest.raises(InvalidInput, match="Choose why"):
        rq.close_request(desk, request.id, "because Ion said so")
    closed = rq.close_request(desk, request.id, "no-longer-needed")
    assert closed.status == "closed"
    assert audit_rows(desk)[-1]["reason"] == "no-longer-needed"
    with pytest.raises(InvalidInput, match="closed and cannot be changed"):
        rq.close_request(desk, request.id, "answered")
    with pytest.raises(InvalidInput, match="closed and cannot be changed"):
        rq.add_agencies(desk, request.id, ["HMRC"])


def test_an_agency_and_one_of_its_teams_make_one_dispatch(desk):
    request = rq.create_request(desk, request_data())
    dispatches = rq.add_agencies(desk, request.id, ["DCC", "DCC/CSIS", "HMRC"])
    assert sorted(d.target for d in dispatches) == ["DCC/CSIS", "HMRC"]
    # the bare code again names the team already chosen; nothing new
    assert sorted(d.target for d in rq.add_agencies(desk, request.id, ["DCC"])) == ["DCC/CSIS", "HMRC"]
    sent = rq.send_to_agencies(desk, request.id)
    assert sorted(d.target for d in sent) == ["DCC/CSIS", "HMRC"]
    assert desk.db.scalar("SELECT count(*) FROM disclosures WHERE to_agency = 'DCC'") == 1


def test_two_teams_of_one_council_are_refused_in_words(desk):
    request = rq.create_request(desk, request_data())
    with pytest.raises(InvalidInput, match="Derby City Council is chosen twice .* one team of each agency"):
        rq.add_agencies(desk, request.id, ["DCC/CSIS", "DCC/LICENSING"])
    assert desk.db.scalar("SELECT count(*) FROM dispatches") == 0
    rq.send_to_agencies(desk, request.id, ["DCC/CSIS"])
    with pytest.raises(InvalidInput, match="was sent this request; a request goes to one team of each agency"):
        rq.send_to_agencies(desk, request.id, ["DCC/LICENSING"])
    assert [d.target for d in rq.get_request(desk, request.id).dispatches] == ["DCC/CSIS"]


def test_the_form_can_change_an_agencys_team_before_sending(desk):
    request = rq.create_request(desk, request_data())
    rq.add_agencies(desk, request.id, ["DCC/CSIS"])
    entries = [{"subject_id": s.id, "role": s.role, "subject": {"kind": s.kind, "name": s.name}}
               for s in rq.get_request(desk, request.id).subjects]
    saved, _ = rq.save_request(desk, request.id, request_data(), entries, ["DCC/LICENSING"])
    assert [d.target for d in saved.dispatches] == ["DCC/LICENSING"]


def test_a_response_reference_without_its_team(desk):
    request = rq.create_request(desk, request_data())
    rq.send_to_agencies(desk, request.id, ["DCC/CSIS", "HMRC"])
    request = rq.get_request(desk, request.id)
    assert rq.dispatch_for_target(request, "DCC").target == "DCC/CSIS"
    assert rq.dispatch_for_target(request, "dcc/csis").target == "DCC/CSIS"
    assert rq.dispatch_for_target(request, "HMRC").target == "HMRC"
    with pytest.raises(InvalidInput, match="was not sent to GLAA"):
        rq.dispatch_for_target(request, "GLAA")
    # an older request sent to two teams of one council: the message names both
    desk.db.execute("INSERT INTO dispatches (id, request_id, agency, sub_service, status, created_at, created_by,"
                    " updated_at, updated_by) VALUES ('old', ?, 'DCC', 'LICENSING', 'sent', 't', 'x', 't', 'x')",
                    (request.id,))
    request = rq.get_request(desk, request.id)
    with pytest.raises(InvalidInput, match=r"2 teams of DCC; name one: MSR-2026-0001/DCC/CSIS, MSR-2026-0001/DCC/LICENSING"):
        rq.dispatch_for_target(request, "DCC")
