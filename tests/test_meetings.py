"""Tactical meetings (2.7, Appendix 1, Appendix 2a): the rules in app.meetings, without Qt."""

from __future__ import annotations

import datetime as dt

import pytest

from app import disclosures, meetings as mt, requests as rq, suspensions
from app.errors import AuthError, InvalidInput
from app.records import Invalid
from app.roles import can
from app.timeutil import LONDON
from app.users import add_user
from app.vault import Vault
from conftest import OTHER_PASSPHRASE, PASSPHRASE
from desk_helpers import make_desk, reopen_as, request_data

UTC = dt.timezone.utc


def local(hours_from_now: float) -> str:
    return (dt.datetime.now(UTC) + dt.timedelta(hours=hours_from_now)).astimezone(LONDON).strftime("%d/%m/%Y %H:%M")


def meeting_data(**overrides) -> dict:
    data = {"held_at": local(-2), "place": "Ripley HQ, room 4", "chair": "DI Amy Clarke"}
    data.update(overrides)
    return data


@pytest.fixture
def spoc(tmp_path):
    vault = make_desk(tmp_path / "dcon.vault", role="spoc")
    yield vault
    if vault.is_open:
        vault.close()


def audit_actions(vault) -> list[str]:
    return [r["action"] for r in vault.db.query("SELECT action FROM audit_events ORDER BY seq")]


def test_required_fields_are_refused_with_messages_and_nothing_is_saved(spoc):
    with pytest.raises(Invalid) as refused:
        mt.create_meeting(spoc, {"held_at": "", "place": " ", "chair": "", "chair_agency": "NOPE"})
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("held_at", "Enter the date and time of the meeting"),
        ("place", "Enter where the meeting is held"),
        ("chair", "Enter the name of the chair"),
        ("chair_agency", "'NOPE' is not a partner of the agreement"),
    ]
    with pytest.raises(Invalid) as bad_time:
        mt.create_meeting(spoc, meeting_data(held_at="31/02/2026 10:00"))
    assert bad_time.value.problems[0].message.startswith("The date and time of the meeting must be a real date")
    with pytest.raises(Invalid) as bad_attendee:
        mt.create_meeting(spoc, meeting_data(attendees=[{"name": "", "agency": ""}]))
    assert [p.field for p in bad_attendee.value.problems] == ["attendees[0].name", "attendees[0].agency"]
    assert spoc.db.scalar("SELECT count(*) FROM meetings") == 0
    assert spoc.db.scalar("SELECT count(*) FROM meeting_attendees") == 0


def test_a_meeting_gets_a_reference_per_desk_and_keeps_uk_time_in_utc(spoc):
    first = mt.create_meeting(spoc, meeting_data(held_at="15/07/2026 10:30"))
    second = mt.create_meeting(spoc, meeting_data(held_at="20/07/2026 10:30"))
    assert (first.reference, second.reference) == ("TM-2026-0001", "TM-2026-0002")
    assert first.held_at.startswith("2026-07-15T09:30:00")  # BST: 10:30 in London is 09:30 UTC
    assert first.held_at_display == "15/07/2026 10:30"
    assert first.status == "planned" and first.chair_agency == "DCON" and first.origin_agency == "DCON"
    assert mt.get_meeting(spoc, "tm-2026-0002").id == second.id
    assert [m.reference for m in mt.list_meetings(spoc)] == ["TM-2026-0002", "TM-2026-0001"]
    assert "meeting.created" in audit_actions(spoc)


def test_attendees_and_their_acceptance_of_the_confidentiality_statement(spoc):
    meeting = mt.create_meeting(spoc, meeting_data())
    with pytest.raises(Invalid) as refused:
        mt.add_attendee(spoc, meeting.id, {"name": "", "agency": "XYZ"})
    assert [p.message for p in refused.value.problems] == ["Enter the attendee's name",
                                                           "'XYZ' is not a partner of the agreement"]
    ann = mt.add_attendee(spoc, meeting.id, {"name": "Ann Hughes", "role_title": "Social worker", "agency": "DCC"})
    assert not ann.accepted and ann.agency_name == "Derby City Council"
    accepted = mt.record_acceptance(spoc, meeting.reference, ann.id)
    assert accepted.accepted and accepted.accepted_recorded_by == "bob"
    with pytest.raises(Invalid, match="already recorded"):
        mt.record_acceptance(spoc, meeting.reference, ann.id)
    with pytest.raises(InvalidInput, match="the record is kept"):
        mt.remove_attendee(spoc, meeting.id, ann.id)
    tom = mt.add_attendee(spoc, meeting.id, {"name": "Tom Hall", "agency": "HMRC"})
    with pytest.raises(Invalid, match="now or in the past"):
        mt.record_acceptance(spoc, meeting.id, tom.id, local(5))
    mt.record_acceptance(spoc, meeting.id, tom.id, local(-1))
    assert mt.get_meeting(spoc, meeting.id).all_accepted
    assert audit_actions(spoc).count("meeting.confidentiality_accepted") == 2
    text = mt.confidentiality_statement_text()
    assert "justifiable need to know" in text and "Public Safety" in text


def test_closing_needs_every_acceptance_and_a_closed_meeting_is_read_only(spoc):
    meeting = mt.create_meeting(spoc, meeting_data())
    planned = mt.create_meeting(spoc, meeting_data(held_at=local(48)))
    with pytest.raises(Invalid, match="Add the attendees first"):
        mt.set_status(spoc, meeting.id, "held")
    ann = mt.add_attendee(spoc, meeting.id, {"name": "Ann", "agency": "DCC"})
    mt.add_attendee(spoc, planned.id, {"name": "Ann", "agency": "DCC"})
    with pytest.raises(Invalid, match="once that time has come"):
        mt.set_status(spoc, planned.id, "held")
    assert mt.set_status(spoc, meeting.id, "held").status == "held"
    with pytest.raises(Invalid, match="no recorded acceptance"):
        mt.set_status(spoc, meeting.id, "closed")
    mt.record_acceptance(spoc, meeting.id, ann.id)
    assert mt.set_status(spoc, meeting.id, "closed").status == "closed"
    with pytest.raises(InvalidInput, match="is closed"):
        mt.add_decision(spoc, meeting.id, "Too late")
    assert mt.set_status(spoc, meeting.id, "held").status == "held"  # reopened


def test_agenda_links_requests_and_holds_cases_in_order(spoc):
    request = rq.create_request(spoc, request_data())
    meeting = mt.create_meeting(spoc, meeting_data())
    item = mt.add_agenda_request(spoc, meeting.id, "msr-2026-0001")
    assert item.request_id == request.id and item.request_reference == "MSR-2026-0001" and item.position == 1
    with pytest.raises(Invalid, match="already on the agenda"):
        mt.add_agenda_request(spoc, meeting.id, request.reference)
    with pytest.raises(Invalid, match="There is no request MSR-2099-0001"):
        mt.add_agenda_request(spoc, meeting.id, "MSR-2099-0001")
    with pytest.raises(Invalid) as refused:
        mt.add_agenda_case(spoc, meeting.id, "  ")
    assert refused.value.problems[0].message == "Enter a title for the case"
    case = mt.add_agenda_case(spoc, meeting.id, "Car wash on Mill Lane", "Referral from the council")
    assert case.position == 2 and case.label == "Case: Car wash on Mill Lane"
    moved = mt.move_agenda_item(spoc, meeting.id, case.id, -1)
    assert [i.kind for i in moved.agenda] == ["case", "request"]
    assert [i.position for i in moved.agenda] == [1, 2]
    # Linked, not copied: the agenda shows the request's reference from the request itself.
    assert spoc.db.one("SELECT title FROM meeting_agenda_items WHERE id = ?", (item.id,))["title"] == ""
    assert [r["reference"] for r in mt.find_requests(spoc, "0001")] == ["MSR-2026-0001"]
    mt.add_decision(spoc, meeting.id, "Joint visit", case.id)
    with pytest.raises(InvalidInput, match="stays on the agenda"):
        mt.remove_agenda_item(spoc, meeting.id, case.id)
    after = mt.remove_agenda_item(spoc, meeting.id, item.id)
    assert [i.id for i in after.agenda] == [case.id]


def test_decisions_need_text_and_a_known_agenda_item(spoc):
    meeting = mt.create_meeting(spoc, meeting_data())
    with pytest.raises(Invalid) as refused:
        mt.add_decision(spoc, meeting.id, "", "not-an-item")
    assert [p.message for p in refused.value.problems] == [
        "Enter the decision", f"The agenda item is not on {meeting.reference}'s agenda"]
    decision = mt.add_decision(spoc, meeting.id, "<b>Refer</b> to the NRM")
    assert decision.text == "<b>Refer</b> to the NRM" and decision.recorded_by == "bob"


def test_actions_take_four_p_categories_from_the_agreement_only(spoc):
    meeting = mt.create_meeting(spoc, meeting_data())
    with pytest.raises(Invalid) as refused:
        mt.add_action(spoc, meeting.id, {"category": "punish", "text": "", "owner_agency": "", "due_date": ""})
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("category", "'punish' is not one of the agreement's categories: pursue, prevent, protect, prepare"),
        ("text", "Enter what is to be done"),
        ("owner_agency", "Choose the agency that owns the action"),
        ("due_date", "Enter the date the action is due"),
    ]
    for category in ("pursue", "prevent", "protect", "prepare"):
        action = mt.add_action(spoc, meeting.id, {"category": category, "text": f"Do {category}",
                                                  "owner_agency": "DCC", "due_date": "1/9/2026"})
        assert action.status == "open" and action.due_date == "2026-09-01"
    assert action.category_name == "Prepare" and action.meeting_reference == meeting.reference


def test_action_status_updates_keep_their_history_and_are_audited(spoc):
    meeting = mt.create_meeting(spoc, meeting_data())
    action = mt.add_action(spoc, meeting.id, {"category": "protect", "text": "Safeguarding visit",
                                              "owner_agency": "DCC", "due_date": "2026-09-01"})
    assert [(u.status, u.note) for u in action.updates] == [("open", "Action agreed")]
    with pytest.raises(Invalid) as refused:
        mt.update_action(spoc, action.id, "done")
    assert refused.value.problems[0].message == "Enter what was done, or why the action is cancelled"
    with pytest.raises(Invalid, match="Choose the status"):
        mt.update_action(spoc, action.id, "finished", "x")
    mt.update_action(spoc, action.id, "open", "Visit booked for Tuesday")
    done = mt.update_action(spoc, action.id, "done", "Visited; referral made")
    assert done.status == "done"
    assert [(u.status, u.note) for u in done.updates] == [
        ("open", "Action agreed"), ("open", "Visit booked for Tuesday"), ("done", "Visited; referral made")]
    assert audit_actions(spoc).count("meeting.action_updated") == 2
    with pytest.raises(Exception, match="append-only"):
        spoc.db.execute("DELETE FROM meeting_action_updates")
    # Actions carry on after the meeting closes.
    ann = mt.add_attendee(spoc, meeting.id, {"name": "Ann", "agency": "DCC"})
    mt.record_acceptance(spoc, meeting.id, ann.id)
    mt.set_status(spoc, meeting.id, "closed")
    assert mt.update_action(spoc, action.id, "open", "Reopened: new information").status == "open"


def permission(**overrides) -> dict:
    data = {"requested_by": "Ann Hughes", "requested_by_agency": "DCC", "to_agency": "DHCFT",
            "what": "The address of the potential victim", "reason": "GP registration for the victim's care",
            "granted": True}
    data.update(overrides)
    return data


def test_a_granted_permission_goes_into_the_disclosure_register(spoc):
    request = rq.create_request(spoc, request_data())
    meeting = mt.create_meeting(spoc, meeting_data())
    item = mt.add_agenda_request(spoc, meeting.id, request.reference)
    before = spoc.db.scalar("SELECT count(*) FROM disclosures")
    granted = mt.record_permission(spoc, meeting.id, permission(agenda_item_id=item.id))
    assert granted.granted and granted.decided_by == "DI Amy Clarke" and granted.disclosure_id
    row = spoc.db.one("SELECT * FROM disclosures WHERE id = ?", (granted.disclosure_id,))
    assert (row["kind"], row["direction"], row["from_agency"], row["to_agency"], row["originator"]) == \
        ("meeting", "sent", "DCC", "DHCFT", "DCON")
    assert row["request_id"] == request.id and row["what"].startswith(meeting.reference + ": ")
    assert spoc.db.scalar("SELECT count(*) FROM disclosures") == before + 1
    listed = disclosures.list_disclosures(spoc).items
    assert any(d.id == granted.disclosure_id and d.kind == "meeting" for d in listed)
    assert "meeting.permission_granted" in audit_actions(spoc)


def test_a_refused_permission_is_recorded_without_a_register_row(spoc):
    meeting = mt.create_meeting(spoc, meeting_data())
    before = spoc.db.scalar("SELECT count(*) FROM disclosures")
    refused = mt.record_permission(spoc, meeting.id, permission(granted="refused", reason="No need to know"))
    assert not refused.granted and refused.disclosure_id is None
    assert spoc.db.scalar("SELECT count(*) FROM disclosures") == before
    assert mt.get_meeting(spoc, meeting.id).permissions == (refused,)
    with pytest.raises(Invalid) as missing:
        mt.record_permission(spoc, meeting.id, {"granted": None})
    assert [p.field for p in missing.value.problems] == [
        "requested_by", "requested_by_agency", "to_agency", "what", "reason", "granted"]
    with pytest.raises(Exception, match="append-only"):
        spoc.db.execute("UPDATE meeting_permissions SET granted = 1")


def test_permission_to_a_suspended_partner_is_refused(spoc, tmp_path):
    meeting = mt.create_meeting(spoc, meeting_data())
    spoc.close()
    admin = Vault.open(tmp_path / "dcon.vault", user="alice", passphrase=PASSPHRASE)
    suspensions.suspend(admin, "DHCFT", "Breach under investigation")
    admin.close()
    vault = Vault.open(tmp_path / "dcon.vault", user="bob", passphrase=OTHER_PASSPHRASE)
    try:
        before = vault.db.scalar("SELECT count(*) FROM disclosures")
        with pytest.raises(InvalidInput, match="suspended under clause 13.2"):
            mt.record_permission(vault, meeting.id, permission())
        assert vault.db.scalar("SELECT count(*) FROM meeting_permissions") == 0
        assert vault.db.scalar("SELECT count(*) FROM disclosures") == before
        # Refusing is still recorded.
        assert not mt.record_permission(vault, meeting.id, permission(granted=False)).granted
    finally:
        vault.close()


def test_open_actions_before_returns_only_earlier_open_actions_in_four_p_order(spoc):
    first = mt.create_meeting(spoc, meeting_data(held_at=local(-24 * 30)))
    second = mt.create_meeting(spoc, meeting_data(held_at=local(-24 * 10)))
    current = mt.create_meeting(spoc, meeting_data(held_at=local(-2)))
    later = mt.create_meeting(spoc, meeting_data(held_at=local(24 * 7)))

    def act(meeting, category, due, text):
        return mt.add_action(spoc, meeting.id, {"category": category, "text": text, "owner_agency": "DCC",
                                                "due_date": due})

    a = act(first, "protect", "2026-05-01", "first protect")
    b = act(second, "pursue", "2026-06-01", "second pursue")
    c = act(first, "pursue", "2026-04-01", "first pursue")
    done = act(second, "prevent", "2026-04-01", "done prevent")
    mt.update_action(spoc, done.id, "done", "Done")
    cancelled = act(first, "prepare", "2026-04-01", "cancelled")
    mt.update_action(spoc, cancelled.id, "cancelled", "No longer needed")
    act(current, "pursue", "2026-04-01", "this meeting's own")
    act(later, "pursue", "2026-04-01", "a later meeting's")
    found = mt.open_actions_before(spoc, mt.get_meeting(spoc, current.id))
    assert [x.id for x in found] == [c.id, b.id, a.id]
    groups = mt.by_four_p(found)
    assert [(cat, len(items)) for cat, _name, items in groups] == [("pursue", 2), ("prevent", 0), ("protect", 1),
                                                                   ("prepare", 0)]
    assert mt.open_actions_before(spoc, first.reference) == []


def test_permissions_per_role(spoc, tmp_path):
    assert {r for r in ("admin", "spoc", "dpm", "chair", "auditor") if can(r, "meetings.read")} == \
        {"spoc", "dpm", "chair"}
    assert {r for r in ("admin", "spoc", "dpm", "chair", "auditor") if can(r, "meetings.manage")} == \
        {"spoc", "chair"}
    rq.create_request(spoc, request_data())
    meeting = mt.create_meeting(spoc, meeting_data())
    path = spoc.path
    chair = reopen_as(spoc, "carol", "chair")
    try:
        assert mt.get_meeting(chair, meeting.id).reference == meeting.reference
        assert mt.add_agenda_request(chair, meeting.id, "MSR-2026-0001").kind == "request"
        assert mt.create_meeting(chair, meeting_data()).reference == "TM-2026-0002"
    finally:
        chair.close()
    admin = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    try:
        add_user(admin, "dave", "dpm", OTHER_PASSPHRASE)
        add_user(admin, "erin", "auditor", OTHER_PASSPHRASE)
        for call in (lambda: mt.list_meetings(admin), lambda: mt.get_meeting(admin, meeting.id),
                     lambda: mt.create_meeting(admin, meeting_data())):
            with pytest.raises(AuthError):
                call()
    finally:
        admin.close()
    for user, may_read in (("dave", True), ("erin", False)):
        vault = Vault.open(path, user=user, passphrase=OTHER_PASSPHRASE)
        try:
            if may_read:
                assert len(mt.list_meetings(vault)) == 2
                with pytest.raises(AuthError):
                    mt.add_decision(vault, meeting.id, "not mine to record")
            else:
                with pytest.raises(AuthError):
                    mt.list_meetings(vault)
                with pytest.raises(AuthError):
                    mt.open_actions_before(vault, meeting.id)
        finally:
            vault.close()


def test_audit_reasons_hold_no_personal_text(spoc):
    meeting = mt.create_meeting(spoc, meeting_data(place="Secret Place", chair="Chair Name"))
    ann = mt.add_attendee(spoc, meeting.id, {"name": "Ann Unique", "agency": "DCC"})
    mt.record_acceptance(spoc, meeting.id, ann.id)
    mt.add_agenda_case(spoc, meeting.id, "Case Title Unique")
    mt.add_decision(spoc, meeting.id, "Decision Unique")
    mt.record_permission(spoc, meeting.id, permission(requested_by="Asker Unique", what="What Unique"))
    reasons = " ".join(r["reason"] or "" for r in spoc.db.query("SELECT reason FROM audit_events"))
    for text in ("Secret Place", "Chair Name", "Ann Unique", "Case Title Unique", "Decision Unique",
                 "Asker Unique", "What Unique"):
        assert text not in reasons
