"""What a user may do with a request, a dispatch or an answer in its current state, and how a
request would go (app.requests.allowed / allowed_dispatch / send_plan, app.responses.answer_allowed):
the screens ask these, so each answer and its reason is checked here without Qt."""

from __future__ import annotations

import datetime as _dt

import pytest

from app import requests as rq
from app import responses as rs
from app import suspensions
from app.policy import get_policy
from app.records import today_london
from desk_helpers import make_desk, reopen_as, request_data, response_data


@pytest.fixture
def desk(vault_path):
    vault = make_desk(vault_path)
    yield vault
    if vault.is_open:
        vault.close()


@pytest.fixture
def partner(tmp_path):
    """A partner desk (HMRC) holding a request from DCON addressed to it, as the import would."""
    vault = make_desk(tmp_path / "hmrc.vault", agency="HMRC")
    request = rq.create_request(vault, request_data())
    vault.db.execute("UPDATE requests SET origin_agency = 'DCON', status = 'open' WHERE id = ?", (request.id,))
    vault.db.execute(
        "INSERT INTO dispatches (id, request_id, agency, sub_service, status, sent_at, due_date, created_at,"
        " created_by, updated_at, updated_by) VALUES ('d-hmrc', ?, 'HMRC', '', 'sent', '2026-03-02T10:00:00+00:00',"
        " '2026-03-16', 'x', 'x', 'x', 'x')", (request.id,))
    yield vault, rq.get_request(vault, request.id)
    if vault.is_open:
        vault.close()


def _chosen(desk, targets=("HMRC", "NCA", "DCC/CSIS")):
    request = rq.create_request(desk, request_data())
    rq.add_agencies(desk, request.id, list(targets))
    return rq.get_request(desk, request.id)


# ---- the request ----------------------------------------------------------------------------


def test_a_draft_of_this_desk_may_be_edited_sent_and_closed_not_yet_exported(desk):
    may = rq.allowed(desk, _chosen(desk))
    assert may.own and may.edit and may.send and may.close and may.record_onward
    assert all(a.offered for a in (may.edit, may.send, may.close, may.export, may.record_onward))
    assert not may.export and "has not been sent to any agency yet" in may.export.reason
    assert may.notes == ()


def test_a_draft_with_no_agency_chosen_says_to_choose_them(desk):
    request = rq.create_request(desk, request_data())
    may = rq.allowed(desk, request)
    assert may.edit and not may.send and may.send.offered
    assert may.send.reason == "Choose agencies to ask (Edit request) before sending."
    assert may.notes == ("Choose agencies to ask (Edit request) before sending.",)


def test_once_sent_only_a_draft_can_be_edited_and_it_may_be_exported(desk):
    request = _chosen(desk)
    rq.send_to_agencies(desk, request.id, ["HMRC"])
    may = rq.allowed(desk, rq.get_request(desk, request.id))
    assert not may.edit and may.edit.offered
    assert may.edit.reason == "Only a draft can be edited; this request has been sent."
    assert may.send            # NCA and DCC/CSIS are chosen and not yet sent
    assert may.export and may.export_to == ("HMRC",)
    assert may.notes == ("Only a draft can be edited; this request has been sent.",)
    rq.send_to_agencies(desk, request.id)
    may = rq.allowed(desk, rq.get_request(desk, request.id))
    assert not may.send and "sent to every agency chosen" in may.send.reason
    assert may.notes == ("Only a draft can be edited; this request has been sent.",)  # not the send reason
    assert may.export_to == ("DCC", "HMRC", "NCA")


def test_a_closed_request_can_be_neither_changed_nor_sent_nor_closed_again(desk):
    request = _chosen(desk)
    rq.close_request(desk, request.id, "raised-in-error")
    may = rq.allowed(desk, rq.get_request(desk, request.id))
    assert not may.edit and "is closed and cannot be changed" in may.edit.reason
    assert not may.send and "is closed" in may.send.reason
    assert not may.close and "already closed" in may.close.reason
    assert may.edit.offered and may.send.offered and may.close.offered


def test_a_request_received_from_another_desk_is_read_only_here(partner):
    vault, request = partner
    may = rq.allowed(vault, request)
    assert not may.own
    for answer in (may.edit, may.send, may.close, may.record_onward):
        assert not answer and not answer.offered
    assert may.edit.reason == "Received from Derbyshire Constabulary: only that desk may change it."
    assert may.notes == ("Received from Derbyshire Constabulary: only that desk may change it.",)
    assert may.export and may.export_to == ("DCON",)   # the file goes back to the requesting desk


def test_a_role_that_only_reads_requests_is_offered_no_action(desk):
    request = _chosen(desk)
    chair = reopen_as(desk, "carol", "chair")
    try:
        may = rq.allowed(chair, request)
        for answer in (may.edit, may.send, may.close, may.export, may.record_onward):
            assert not answer and not answer.offered
        assert "Your role (chair) may not edit requests" in may.edit.reason
        assert may.notes == ()
    finally:
        chair.close()


# ---- one agency's dispatch ------------------------------------------------------------------


def test_dispatch_actions_follow_its_status(desk):
    request = _chosen(desk)
    hmrc = next(d for d in request.dispatches if d.agency == "HMRC")
    may = rq.allowed_dispatch(desk, request, hmrc)   # chosen, not sent
    assert not may.acknowledge and "has not been sent to HM Revenue & Customs yet" in may.acknowledge.reason
    assert not may.change_due and not may.record_received
    assert may.acknowledge.offered and may.change_due.offered and may.record_received.offered
    assert not may.respond.offered                   # nothing on it is addressed to this desk

    rq.send_to_agencies(desk, request.id, ["HMRC"])
    request = rq.get_request(desk, request.id)
    hmrc = next(d for d in request.dispatches if d.agency == "HMRC")
    may = rq.allowed_dispatch(desk, request, hmrc)
    assert may.acknowledge and may.change_due and may.record_received and not may.respond
    assert "Only that agency's desk can answer it" in may.respond.reason

    rq.acknowledge_dispatch(desk, hmrc.id)
    request = rq.get_request(desk, request.id)
    hmrc = rq.get_dispatch(desk, hmrc.id)
    may = rq.allowed_dispatch(desk, request, hmrc)
    assert not may.acknowledge and may.acknowledge.reason == "HM Revenue & Customs has already acknowledged it."
    assert may.change_due and may.record_received

    rs.receive_response(desk, hmrc.id, response_data())
    hmrc = rq.get_dispatch(desk, hmrc.id)
    may = rq.allowed_dispatch(desk, rq.get_request(desk, request.id), hmrc)
    assert not may.change_due and not may.record_received and not may.acknowledge
    assert may.record_received.reason == "HM Revenue & Customs has already answered."


def test_with_no_dispatch_chosen_each_action_says_so(desk):
    request = _chosen(desk)
    may = rq.allowed_dispatch(desk, request, None)
    for answer in (may.acknowledge, may.change_due, may.record_received):
        assert not answer and answer.offered and answer.reason == "Choose an agency in the table first."
    assert not may.respond and not may.respond.offered


def test_the_partner_desk_may_respond_to_its_own_dispatch_only_while_awaited(partner):
    vault, request = partner
    dispatch = request.dispatches[0]
    may = rq.allowed_dispatch(vault, request, dispatch)
    assert may.respond and may.respond.offered
    assert not may.acknowledge.offered and not may.change_due.offered and not may.record_received.offered
    vault.db.execute("UPDATE dispatches SET status = 'responded' WHERE id = ?", (dispatch.id,))
    may = rq.allowed_dispatch(vault, request, rq.get_dispatch(vault, dispatch.id))
    assert not may.respond and may.respond.offered and "already answered" in may.respond.reason


def test_a_chair_may_not_acknowledge_or_key_in_answers(desk):
    request = _chosen(desk)
    rq.send_to_agencies(desk, request.id, ["HMRC"])
    request = rq.get_request(desk, request.id)
    chair = reopen_as(desk, "carol", "chair")
    try:
        may = rq.allowed_dispatch(chair, request, request.dispatches[0])
        assert not may.acknowledge.offered and not may.change_due.offered and not may.record_received.offered
    finally:
        chair.close()


# ---- the send plan --------------------------------------------------------------------------


def test_send_plan_names_each_agency_its_default_channel_and_due_date(desk):
    request = _chosen(desk)
    plans = rq.send_plan(desk, request)
    due = (today_london() + _dt.timedelta(days=get_policy(desk).response_due_days)).isoformat()
    assert [(p.target, p.agency_name, p.channel_name, p.due_date, p.may_send) for p in plans] == [
        ("DCC/CSIS", "Derby City Council – Community Safety & Integration Service",
         "Criminal Justice Secure Messaging Service (CJSM)", due, True),
        ("HMRC", "HM Revenue & Customs", "Government Connect (GC)", due, True),
        ("NCA", "National Crime Agency", "Criminal Justice Secure Messaging Service (CJSM)", due, True)]
    assert all(p.channel == rq.default_channel(p.agency) for p in plans)
    assert rq.default_due_date(desk) == due
    assert rq.default_due_date(desk, _dt.date(2026, 3, 2)) == (
        _dt.date(2026, 3, 2) + _dt.timedelta(days=get_policy(desk).response_due_days)).isoformat()
    # sending uses the same defaults
    sent = rq.send_to_agencies(desk, request.id, ["HMRC"])
    assert next(d for d in sent if d.agency == "HMRC").due_date == due
    assert [p.target for p in rq.send_plan(desk, rq.get_request(desk, request.id))] == ["DCC/CSIS", "NCA"]


def test_send_plan_marks_a_suspended_partner_with_the_reason(desk):
    request = _chosen(desk)
    desk = reopen_as(desk, "alice")
    suspensions.suspend(desk, "HMRC", "Serious breach under investigation")
    desk = reopen_as(desk, "bob")
    try:
        plans = {p.agency: p for p in rq.send_plan(desk, request)}
        assert not plans["HMRC"].may_send
        assert plans["HMRC"].why_not == "suspended under clause 13.2; nothing can be sent to them"
        assert plans["HMRC"].detail == "Serious breach under investigation"
        assert plans["NCA"].may_send and plans["NCA"].why_not == ""
    finally:
        desk.close()


def test_send_plan_of_a_closed_request_sends_nothing(desk):
    request = _chosen(desk)
    rq.close_request(desk, request.id, "raised-in-error")
    plans = rq.send_plan(desk, rq.get_request(desk, request.id))
    assert plans and not any(p.may_send for p in plans)
    assert all("is closed" in p.why_not for p in plans)


def test_channels_for_lists_the_partner_s_own_first_then_the_rest():
    from app.agreement import load_agreement

    agreement = load_agreement()
    everything = {c.id for c in agreement.secure_channels}
    hmrc = rq.channels_for("HMRC")
    assert hmrc[:len(agreement.partner("HMRC").secure_channels)] == list(agreement.partner("HMRC").secure_channels)
    assert set(hmrc) == everything and len(hmrc) == len(everything)
    assert rq.channels_for("NOT-A-PARTNER") == [c.id for c in agreement.secure_channels]
    assert rq.default_channel("HMRC") == hmrc[0]


def test_days_overdue_counts_only_answers_still_awaited(desk):
    request = _chosen(desk, ["HMRC"])
    (hmrc,) = rq.send_to_agencies(desk, request.id, due_date="2026-03-10")
    assert hmrc.days_overdue(_dt.date(2026, 3, 13)) == 3
    assert hmrc.days_overdue(_dt.date(2026, 3, 10)) == 0
    rs.receive_response(desk, hmrc.id, response_data())
    assert rq.get_dispatch(desk, hmrc.id).days_overdue(_dt.date(2026, 3, 13)) == 0


# ---- an answer --------------------------------------------------------------------------------


def test_the_partner_s_answer_may_be_drafted_sent_then_only_exported(partner):
    vault, request = partner
    dispatch = request.dispatches[0]
    may = rs.answer_allowed(vault, request, dispatch, None)
    assert may.edit and may.send and not may.export
    assert may.export.reason == "Mark the response as sent first; the file then carries it to Derbyshire Constabulary."
    draft = rs.record_response(vault, dispatch.id, response_data())
    assert rs.answer_allowed(vault, request, dispatch, draft).send
    sent = rs.mark_response_sent(vault, draft.id)
    may = rs.answer_allowed(vault, request, rq.get_dispatch(vault, dispatch.id), sent)
    assert not may.edit and not may.send and may.export
    assert may.edit.reason.startswith("Sent to Derbyshire Constabulary on ")
    assert may.edit.reason.endswith("A sent response cannot be changed.")


def test_an_answer_may_not_be_sent_to_a_suspended_requesting_partner(partner):
    vault, request = partner
    vault = reopen_as(vault, "alice")
    suspensions.suspend(vault, "DCON", "Serious breach under investigation")
    vault = reopen_as(vault, "bob")
    try:
        may = rs.answer_allowed(vault, request, request.dispatches[0], None)
        assert may.edit and not may.send and may.send.offered
        assert "Derbyshire Constabulary is suspended under clause 13.2" in may.send.reason
    finally:
        vault.close()


def test_only_the_desk_addressed_answers_and_only_a_spoc(desk, partner):
    request = _chosen(desk)
    rq.send_to_agencies(desk, request.id, ["HMRC"])
    request = rq.get_request(desk, request.id)
    may = rs.answer_allowed(desk, request, request.dispatches[0], None)
    assert not may.edit and not may.edit.offered and not may.send.offered
    assert "Only that agency's desk can answer it here" in may.edit.reason
    vault, received = partner
    chair = reopen_as(vault, "carol", "chair")
    try:
        may = rs.answer_allowed(chair, received, received.dispatches[0], None)
        assert not may.edit and may.edit.reason == "Your role may read this request but not answer it."
        assert not may.export   # a chair may not export either
    finally:
        chair.close()


def test_an_answer_received_by_another_route_is_keyed_in_once_while_awaited(desk):
    request = _chosen(desk)
    hmrc = next(d for d in request.dispatches if d.agency == "HMRC")
    may = rs.answer_allowed(desk, request, hmrc, None, received=True)
    assert not may.edit and "has not been sent to HM Revenue & Customs yet" in may.edit.reason
    assert not may.send.offered and not may.export.offered
    rq.send_to_agencies(desk, request.id, ["HMRC"])
    request = rq.get_request(desk, request.id)
    hmrc = rq.get_dispatch(desk, hmrc.id)
    assert rs.answer_allowed(desk, request, hmrc, None, received=True).edit
    answer = rs.receive_response(desk, hmrc.id, response_data())
    may = rs.answer_allowed(desk, request, rq.get_dispatch(desk, hmrc.id), answer, received=True)
    assert not may.edit and may.edit.reason == "The answer from HM Revenue & Customs is already recorded."
    chair = reopen_as(desk, "carol", "chair")
    try:
        may = rs.answer_allowed(chair, request, hmrc, None, received=True)
        assert not may.edit and not may.edit.offered and "may read this request but not record answers" in \
            may.edit.reason
    finally:
        chair.close()


def test_the_agencies_to_ask_are_the_other_partners_a_suspended_one_not_choosable(desk):
    from app.agreement import load_agreement

    choices = rq.agencies_to_ask(desk)
    assert [c.code for c in choices] == [p.code for p in load_agreement().partners if p.code != "DCON"]
    assert all(c.may_ask and c.why_not == "" for c in choices)
    desk = reopen_as(desk, "alice")
    suspensions.suspend(desk, "HMRC", "Serious breach\nunder investigation")
    try:
        hmrc = next(c for c in rq.agencies_to_ask(desk) if c.code == "HMRC")
        assert not hmrc.may_ask and hmrc.suspension_reason == "Serious breach under investigation"
        assert hmrc.why_not == ("suspended under clause 13.2: Serious breach under investigation. "
                                "Nothing can be sent to them.")
    finally:
        desk.close()
