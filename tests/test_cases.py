"""Cases (Appendix 2a), referrals, links between subjects (4.3(4)) and the relationship map:
the rules in app.cases and app.links, without Qt."""

from __future__ import annotations

import datetime as dt

import pytest

from app import cases as cs, links as lk, meetings as mt, requests as rq, responses as rs, subjects as sj
from app.errors import AuthError, InvalidInput
from app.records import Invalid
from app.timeutil import LONDON
from desk_helpers import make_desk, reopen_as, request_data, response_data


@pytest.fixture
def spoc(tmp_path):
    vault = make_desk(tmp_path / "dcon.vault", role="spoc")
    yield vault
    if vault.is_open:
        vault.close()


def actions(vault) -> list[tuple[str, str]]:
    return [(r["action"], r["reason"] or "") for r in vault.db.query("SELECT action, reason FROM audit_events")]


def crimestoppers(vault, **overrides) -> cs.Case:
    data = {"source": "public-community", "source_detail": "Crimestoppers report", "received_on": "2026-03-01",
            "exploitation_types": ["forced-labour"], "lead_agency": "DCON",
            "internal_notes": "Caller known to the team; do not share."}
    data.update(overrides)
    return cs.create_case(vault, data)


def sent_request(vault, agencies=("DWP", "HMRC")) -> rq.Request:
    request = rq.create_request(vault, request_data())
    rq.send_to_agencies(vault, request.id, list(agencies))
    return rq.get_request(vault, request.id)


def test_a_case_needs_a_source_and_lead_and_gets_a_title_without_personal_data(spoc):
    with pytest.raises(Invalid) as refused:
        cs.create_case(spoc, {"source": "", "lead_agency": "NOPE", "exploitation_types": ["made-up"]})
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("source", "Choose where the information came from"),
        ("exploitation_types", "'made-up' is not one of: sexual, domestic-servitude, forced-labour, criminality, "
                               "organ-harvesting"),
        ("lead_agency", "'NOPE' is not a partner of the agreement"),
    ]
    assert spoc.db.scalar("SELECT count(*) FROM cases") == 0
    case = crimestoppers(spoc)
    year = dt.datetime.now(LONDON).year
    assert case.reference == f"CASE-{year}-0001"
    assert case.title == "Forced labour"
    assert crimestoppers(spoc, exploitation_types=[]).title == f"CASE-{year}-0002"
    assert case.stage == "information" and case.status == "open" and case.source_label.startswith("Concerned")
    assert [(h.from_stage, h.to_stage, h.recorded_by) for h in case.history] == [(None, "information", "bob")]
    assert crimestoppers(spoc).reference == f"CASE-{year}-0003"


def test_stages_move_with_who_when_why_and_can_be_revisited(spoc):
    case = crimestoppers(spoc)
    with pytest.raises(Invalid) as refused:
        cs.move_stage(spoc, case.id, "assessment", " ")
    assert refused.value.problems[0].message == "Enter why the case moves to this stage"
    with pytest.raises(Invalid, match="already at Information in"):
        cs.move_stage(spoc, case.id, "information", "again")
    with pytest.raises(Invalid, match="Choose a stage"):
        cs.move_stage(spoc, case.id, "nowhere", "why")
    case = cs.move_stage(spoc, case.reference, "assessment", "Crimestoppers report triaged")
    case = cs.move_stage(spoc, case.id, "investigation", "Investigation required")
    case = cs.move_stage(spoc, case.id, "assessment", "New intelligence: assess again")
    case = cs.move_stage(spoc, case.id, "tactical-meeting", "Partners to convene")
    assert case.stage == "tactical-meeting"
    steps = [(h.from_stage, h.to_stage, h.reason, h.revisit) for h in case.history]
    assert steps[1:] == [("information", "assessment", "Crimestoppers report triaged", False),
                         ("assessment", "investigation", "Investigation required", False),
                         ("investigation", "assessment", "New intelligence: assess again", True),
                         ("assessment", "tactical-meeting", "Partners to convene", False)]
    assert all(h.at and h.recorded_by == "bob" for h in case.history)
    audited = actions(spoc)
    assert ("case.stage_revisited", f"{case.reference} investigation to assessment") in audited
    # The history is append-only in the database too.
    with pytest.raises(Exception, match="append-only"):
        spoc.db.execute("UPDATE case_stage_changes SET reason = 'x'")


def test_a_case_closes_only_after_review_with_lessons_and_is_then_read_only(spoc):
    case = crimestoppers(spoc)
    with pytest.raises(Invalid, match="review and debrief before closing"):
        cs.close_case(spoc, case.id, "lessons")
    cs.move_stage(spoc, case.id, "review", "Actions complete")
    with pytest.raises(Invalid, match="Enter what we learnt"):
        cs.close_case(spoc, case.id, "")
    closed = cs.close_case(spoc, case.id, "Earlier GLAA involvement would have helped.")
    assert closed.status == "closed" and closed.lessons.startswith("Earlier GLAA")
    with pytest.raises(InvalidInput, match="is closed"):
        cs.move_stage(spoc, case.id, "assessment", "why")
    reopened = cs.reopen_case(spoc, case.id, "New report received")
    assert reopened.status == "open" and reopened.stage == "assessment"
    assert reopened.history[-1].revisit


def test_requests_and_meetings_link_to_a_case_and_its_actions_show_as_outstanding(spoc):
    case = crimestoppers(spoc)
    first, second = sent_request(spoc), sent_request(spoc)
    cs.link_request(spoc, case.id, first.reference)
    case = cs.link_request(spoc, case.id, second.id)
    assert [r.reference for r in case.requests] == [first.reference, second.reference]
    with pytest.raises(Invalid, match="already linked"):
        cs.link_request(spoc, case.id, first.reference)
    with pytest.raises(Invalid, match="no request MSR-1999-0001"):
        cs.link_request(spoc, case.id, "MSR-1999-0001")
    meeting = mt.create_meeting(spoc, {"held_at": "01/04/2026 10:00", "place": "Ripley", "chair": "DI Clarke",
                                       "chair_agency": "DCON"})
    item = cs.put_on_agenda(spoc, case.id, meeting.reference)
    assert item.case_id == case.id and item.label == f"Case {case.reference}: {case.title}"
    with pytest.raises(InvalidInput, match="already on that meeting"):
        cs.put_on_agenda(spoc, case.id, meeting.id)
    due = (dt.date.today() - dt.timedelta(days=3)).isoformat()
    mt.add_action(spoc, meeting.id, {"category": "protect", "text": "Safeguarding visit", "owner_agency": "DCC",
                                     "due_date": due, "agenda_item_id": item.id})
    case = cs.get_case(spoc, case.id)
    assert [m.reference for m in case.meetings] == [meeting.reference]
    assert [(a.text, a.is_overdue()) for a in case.open_actions] == [("Safeguarding visit", True)]
    waiting = cs.outstanding(spoc)
    assert waiting[0].overdue and "Protect action" in waiting[0].what
    assert cs.cases_of_request(spoc, first.id) == [(case.id, case.reference)]
    summary = cs.list_cases(spoc)[0]
    assert (summary.requests, summary.outstanding) == (2, 1)


def test_referrals_follow_the_nrm_and_duty_to_notify_rules(spoc):
    case = crimestoppers(spoc)
    victim = sj.create_subject(spoc, {"kind": "person", "name": "Nguyễn Văn An"})
    place = sj.create_subject(spoc, {"kind": "location", "name": "12 Example Street"})
    with pytest.raises(Invalid) as refused:
        cs.add_referral(spoc, case.id, {"kind": "nrm", "referred_on": ""})
    assert [p.message for p in refused.value.problems] == [
        "Choose the person referred", "Enter the date of the referral",
        "Enter the first responder organisation that made the NRM referral",
        "Choose whether the person is a child or an adult who consents"]
    with pytest.raises(Invalid, match="record the duty to notify"):
        cs.add_referral(spoc, case.id, {"kind": "nrm", "subject_id": victim.id, "referred_on": "2026-03-05",
                                        "first_responder": "Derbyshire Constabulary", "consent": "not-given"})
    with pytest.raises(Invalid, match="Only a person"):
        cs.add_referral(spoc, case.id, {"kind": "nrm", "subject_id": place.id, "referred_on": "2026-03-05",
                                        "first_responder": "Police", "consent": "given"})
    with pytest.raises(Invalid, match="for an adult who does not consent"):
        cs.add_referral(spoc, case.id, {"kind": "duty-to-notify", "subject_id": victim.id,
                                        "referred_on": "2026-03-05", "consent": "child"})
    ms1 = cs.add_referral(spoc, case.id, {"kind": "duty-to-notify", "subject_id": victim.id,
                                          "referred_on": "2026-03-05", "consent": "not-given"})
    assert ms1.outstanding is None
    nrm = cs.add_referral(spoc, case.id, {"kind": "nrm", "subject_id": victim.id, "referred_on": "2026-03-05",
                                          "first_responder": "Derbyshire Constabulary", "consent": "given"})
    assert nrm.outstanding == "Reasonable grounds decision awaited" and nrm.subject_name == "Nguyễn Văn An"
    with pytest.raises(Invalid, match="follows a positive reasonable grounds"):
        cs.record_outcome(spoc, nrm.id, {"cg_decision": "positive", "cg_on": "2026-06-01"})
    with pytest.raises(Invalid, match="cannot be before the referral"):
        cs.record_outcome(spoc, nrm.id, {"rg_decision": "positive", "rg_on": "2026-03-01"})
    nrm = cs.record_outcome(spoc, nrm.id, {"rg_decision": "positive", "rg_on": "2026-03-10"})
    assert nrm.outstanding == "Conclusive grounds decision awaited"
    assert any(o.what.startswith("National Referral Mechanism (NRM): Conclusive") for o in cs.outstanding(spoc))
    with pytest.raises(Invalid, match="already recorded"):
        cs.record_outcome(spoc, nrm.id, {"rg_decision": "negative", "rg_on": "2026-03-11"})
    nrm = cs.record_outcome(spoc, nrm.id, {"cg_decision": "positive", "cg_on": "2026-06-01"})
    assert nrm.outstanding is None and "Conclusive grounds: positive" in nrm.outcome_text
    gain = cs.add_referral(spoc, case.id, {"kind": "gain", "referred_on": "2026-03-06"})
    assert gain.outstanding == "Outcome awaited"
    gain = cs.record_outcome(spoc, gain.id, {"outcome": "Intelligence shared with HMRC", "outcome_on": "2026-03-20"})
    assert gain.outstanding is None
    assert ("case.referral_outcome", f"{case.reference} nrm rg=positive") in actions(spoc)


def test_the_cases_list_filters_and_sorts_in_the_database(spoc):
    one = crimestoppers(spoc, exploitation_types=["sexual"], lead_agency="DCC")
    two = crimestoppers(spoc)
    cs.move_stage(spoc, two.id, "assessment", "triage")
    three = crimestoppers(spoc, exploitation_types=["forced-labour", "criminality"])
    cs.move_stage(spoc, three.id, "review", "done")
    cs.close_case(spoc, three.id, "learnt")
    def refs(**kw):
        return [c.reference for c in cs.list_cases(spoc, **kw)]
    assert refs() == [three.reference, two.reference, one.reference]
    assert refs(stage="assessment") == [two.reference]
    assert refs(lead="DCC") == [one.reference]
    assert refs(exploitation="forced-labour") == [three.reference, two.reference]
    assert refs(status="open") == [two.reference, one.reference]
    assert refs(sort="stage", descending=False) == [one.reference, two.reference, three.reference]
    assert refs(sort="reference", descending=False) == [one.reference, two.reference, three.reference]
    with pytest.raises(InvalidInput):
        cs.list_cases(spoc, sort="title; DROP TABLE cases")


def test_roles_need_to_know(spoc, tmp_path):
    case = crimestoppers(spoc)
    chair = reopen_as(spoc, "carol", "chair")
    try:
        assert cs.get_case(chair, case.id).reference == case.reference
        with pytest.raises(AuthError):
            cs.move_stage(chair, case.id, "assessment", "why")
    finally:
        chair.close()
    admin = make_desk(tmp_path / "other.vault", role="admin")
    try:
        with pytest.raises(AuthError):
            cs.list_cases(admin)
    finally:
        admin.close()


def test_links_carry_their_source_and_a_partners_response_makes_it_the_originator(spoc):
    request = sent_request(spoc)
    ion, an, house = (s.id for s in request.subjects)
    dwp = next(d for d in request.dispatches if d.agency == "DWP")
    response = rs.receive_response(spoc, dwp.id, response_data(responder_role="DWP SPOC"))
    employer = sj.create_subject(spoc, {"kind": "business", "name": "Example Ltd"})
    with pytest.raises(Invalid) as refused:
        lk.add_link(spoc, {"kind": "lives-at", "from_subject": house, "to_subject": ion, "confidence": "sure",
                           "valid_from": "2026-02-01", "valid_to": "2026-01-01"})
    assert [p.message for p in refused.value.problems] == [
        "“lives at” goes from a person", "“lives at” goes to a location",
        "The date the link ended must be on or after the date it began",
        "Choose how sure the link is: confirmed, probable or possible",
        "Choose the record the link came from: a request, a response or a case"]
    with pytest.raises(Invalid, match="linked to itself"):
        lk.add_link(spoc, {"kind": "associate-of", "from_subject": ion, "to_subject": ion, "confidence": "possible",
                           "source_kind": "request", "source_id": request.id})
    works = lk.add_link(spoc, {"kind": "works-at", "from_subject": an, "to_subject": employer.id,
                               "confidence": "confirmed", "valid_from": "2024-05-01",
                               "source_kind": "response", "source_id": response.id})
    assert works.originator == "DWP" and works.source_label == f"{request.reference}/DWP response"
    runs = lk.add_link(spoc, {"kind": "runs", "from_subject": ion, "to_subject": employer.id,
                              "confidence": "probable", "source_kind": "response", "source_id": response.id})
    lives = lk.add_link(spoc, {"kind": "lives-at", "from_subject": an, "to_subject": house, "confidence": "confirmed",
                               "source_kind": "request", "source_id": request.id})
    car = lk.add_link(spoc, {"kind": "uses-vehicle", "from_subject": ion, "vehicle": "ab12 cde",
                             "confidence": "possible", "source_kind": "request", "source_id": request.id})
    assert lives.originator == "DCON" and car.target == "vehicle:AB12CDE" and car.to_subject is None
    assert {link.id for link in lk.links_of_subject(spoc, ion)} == {runs.id, car.id}
    audited = [a for a in actions(spoc) if a[0] == "link.created"]
    assert audited[0] == ("link.created", "works-at response DWP")  # codes only, never a name

    case = crimestoppers(spoc)
    cs.link_request(spoc, case.id, request.id)
    graph = lk.map_graph(spoc, "case", case.reference)
    assert set(graph.nodes) == {ion, an, house, employer.id, "vehicle:AB12CDE"}
    assert graph.nodes["vehicle:AB12CDE"].kind == "vehicle" and graph.nodes[ion].focus
    assert graph.originators == {"DWP", "DCON"}
    only_dwp = graph.filtered(sources=["DWP"])
    assert {link.kind for link in only_dwp.links} == {"works-at", "runs"}
    assert "vehicle:AB12CDE" not in only_dwp.nodes and ion in only_dwp.nodes  # focus nodes stay
    assert {link.kind for link in graph.filtered(kinds=["lives-at"]).links} == {"lives-at"}
    assert [link.kind for link in graph.filtered(until="2024-01-01").links] != ["works-at"]
    # A subject map reaches its neighbours to the depth asked.
    near = lk.map_graph(spoc, "subject", house, depth=1)
    assert set(near.nodes) == {house, an}
    far = lk.map_graph(spoc, "subject", house, depth=2)
    assert employer.id in far.nodes
    with pytest.raises(InvalidInput):
        lk.map_graph(spoc, "subject", house, depth=9)


def test_the_layout_is_stable_between_openings_and_fits_the_unit_square(spoc):
    request = sent_request(spoc)
    ion, an, house = (s.id for s in request.subjects)
    lk.add_link(spoc, {"kind": "lives-at", "from_subject": an, "to_subject": house, "confidence": "confirmed",
                       "source_kind": "request", "source_id": request.id})
    lk.add_link(spoc, {"kind": "associate-of", "from_subject": ion, "to_subject": an, "confidence": "probable",
                       "source_kind": "request", "source_id": request.id})
    first = lk.layout(lk.map_graph(spoc, "request", request.reference))
    again = lk.layout(lk.map_graph(spoc, "request", request.reference))
    assert first == again and set(first) == {ion, an, house}
    assert all(-1.0001 <= c <= 1.0001 for xy in first.values() for c in xy)


def test_existing_case_agenda_items_become_cases_at_migration(tmp_path):
    """Migration 11 turns a 'case' agenda item of schema 10 into a case the item names."""
    from app.vault import migrations
    from app.vault.vault import Vault
    from conftest import PASSPHRASE

    path = tmp_path / "old.vault"
    vault, _ = Vault.create(path, user="alice", passphrase=PASSPHRASE, agency="DCON")
    vault.close()
    # Build a schema-10 vault with a case agenda item by running the steps up to 10 by hand.
    from app.vault.connection import Database  # noqa: F401 - the gateway the migration uses

    vault = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    try:
        db = vault.db
        assert migrations.schema_version(db) == migrations.LATEST
        with db.transaction():
            db.execute("INSERT INTO meetings (id, origin_agency, reference, held_at, place, chair, chair_agency,"
                       " created_at, created_by, updated_at, updated_by) VALUES ('m1', 'DCON', 'TM-2026-0001',"
                       " '2026-03-01T10:00:00+00:00', 'Ripley', 'DI C', 'DCON', '2026-02-01T00:00:00+00:00', 'bob',"
                       " '2026-02-01T00:00:00+00:00', 'bob')")
            db.execute("INSERT INTO meeting_agenda_items (id, meeting_id, position, kind, title, created_at,"
                       " created_by) VALUES ('i1', 'm1', 1, 'case', 'Car wash on the ring road',"
                       " '2026-02-01T00:00:00+00:00', 'bob')")
            db.execute("DROP INDEX meeting_agenda_case")
            for table in ("subject_links", "case_referrals", "case_requests", "case_stage_changes", "cases"):
                db.execute(f"DROP TABLE {table}")
            db.execute("ALTER TABLE meeting_agenda_items DROP COLUMN case_id")
            db.execute("PRAGMA user_version = 10")
        migrations.migrate(db, target=11)  # later steps' tables are already there
        row = db.one("SELECT c.reference, c.title, c.stage FROM meeting_agenda_items i JOIN cases c"
                     " ON c.id = i.case_id WHERE i.id = 'i1'")
        assert tuple(row) == ("CASE-2026-0001", "Car wash on the ring road", "tactical-meeting")
    finally:
        vault.close()
