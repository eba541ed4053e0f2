"""Agency responses (5.4, 6, Appendix 3), nil returns, declining, and collation (5.3)."""

from __future__ import annotations

import pytest

from app import disclosures
from app import requests as rq
from app import responses as rs
from app.errors import InvalidInput
from app.records import Invalid
from desk_helpers import make_desk, request_data, response_data


@pytest.fixture
def partner(tmp_path):
    """A partner desk (HMRC) holding a request from DCON addressed to it, as the import would."""
    vault = make_desk(tmp_path / "hmrc.vault", agency="HMRC")
    request = rq.create_request(vault, request_data())
    # Pretend it was imported from the police desk: origin DCON, dispatch to HMRC.
    vault.db.execute("UPDATE requests SET origin_agency = 'DCON', status = 'open' WHERE id = ?", (request.id,))
    vault.db.execute(
        "INSERT INTO dispatches (id, request_id, agency, sub_service, status, sent_at, due_date, created_at,"
        " created_by, updated_at, updated_by) VALUES ('d-hmrc', ?, 'HMRC', '', 'sent', '2026-03-02T10:00:00+00:00',"
        " '2026-03-16', 'x', 'x', 'x', 'x')", (request.id,))
    yield vault, request
    vault.close()


@pytest.fixture
def police(tmp_path):
    vault = make_desk(tmp_path / "dcon.vault")
    request = rq.create_request(vault, request_data())
    rq.send_to_agencies(vault, request.id, ["HMRC", "GLAA", "DCC/CSIS"])
    yield vault, rq.get_request(vault, request.id)
    vault.close()


def test_lawful_basis_explanation_maps_dpa_1998_to_2018():
    view = rs.explain_lawful_basis("dpa1998-s29-3")
    assert not view.in_force and "2018" in view.cite_today and "Schedule 2" in view.cite_today
    assert view.explanation and view.title.startswith("Section 29(3)")
    assert {v.id for v in rs.lawful_bases()} >= {"cda1998-s115", "msa2015-s54a"}
    with pytest.raises(InvalidInput):
        rs.explain_lawful_basis("magic")


def test_disclosure_needs_the_54_tests_in_words_before_sending(partner):
    vault, _ = partner
    draft = rs.record_response(vault, "d-hmrc", response_data(necessary="", proportionate=" ", lawful_bases=[]))
    assert draft.status == "draft"
    assert [c["clause"] for c in draft.conditions_of_use] == ["6.1", "6.2", "6.3", "6.4"]
    with pytest.raises(Invalid) as caught:
        rs.mark_response_sent(vault, draft.id)
    assert {p.field for p in caught.value.problems} == {"necessary", "proportionate", "lawful_bases"}
    assert rq.get_dispatch(vault, "d-hmrc").status == "sent"
    fixed = rs.update_response(vault, draft.id, {"necessary": "Needed to find the employer.",
                                                 "proportionate": "Only the employer's name is given.",
                                                 "lawful_bases": ["dpa1998-s29-3", "msa2015-s54a"]})
    sent = rs.mark_response_sent(vault, fixed.id)
    assert sent.status == "sent" and sent.sent_at
    assert rq.get_dispatch(vault, "d-hmrc").status == "responded"
    rows = disclosures.list_disclosures(vault).items
    assert len(rows) == 1
    row = rows[0]
    assert (row.kind, row.direction, row.from_agency, row.to_agency, row.originator) == (
        "response", "sent", "HMRC", "DCON", "HMRC")
    assert row.lawful_bases == ("dpa1998-s29-3", "msa2015-s54a") and row.channel == "cjsm"
    assert len(row.subject_ids) == 3
    with pytest.raises(InvalidInput, match="draft"):
        rs.update_response(vault, sent.id, {"held_text": "changed"})


def test_nil_return_is_first_class(partner):
    vault, _ = partner
    nil = rs.record_response(vault, "d-hmrc", {"kind": "nil-return", "responder_name": "A. Officer"})
    sent = rs.mark_response_sent(vault, nil.id)
    assert sent.kind == "nil-return" and sent.conditions_of_use
    assert rq.get_dispatch(vault, "d-hmrc").status == "nil-return"


def test_declining_needs_a_reason(partner):
    vault, _ = partner
    draft = rs.record_response(vault, "d-hmrc", {"kind": "declined", "responder_name": "A. Officer"})
    with pytest.raises(Invalid, match="decline_reason"):
        rs.mark_response_sent(vault, draft.id)
    rs.update_response(vault, draft.id, {"decline_reason": "Legal advice pending."})
    rs.mark_response_sent(vault, draft.id)
    dispatch = rq.get_dispatch(vault, "d-hmrc")
    assert dispatch.status == "declined" and dispatch.decline_reason == "Legal advice pending."


def test_a_desk_answers_only_for_its_own_agency(police):
    vault, request = police
    hmrc = next(d for d in request.dispatches if d.agency == "HMRC")
    with pytest.raises(InvalidInput, match="cannot answer for them"):
        rs.record_response(vault, hmrc.id, response_data())


def test_collation_shows_every_agency_side_by_side(police):
    vault, request = police
    by_agency = {d.agency: d for d in request.dispatches}
    rs.receive_response(vault, by_agency["HMRC"].id, response_data())
    rs.receive_response(vault, by_agency["GLAA"].id, {"kind": "nil-return", "responder_name": "G"})
    result = rs.collation(vault, request.id)
    rows = {r.dispatch.target: r for r in result.rows}
    assert set(rows) == {"HMRC", "GLAA", "DCC/CSIS"}
    assert rows["HMRC"].dispatch.status == "responded" and rows["HMRC"].response.disclosed_text
    assert rows["GLAA"].dispatch.status == "nil-return" and rows["GLAA"].response.kind == "nil-return"
    assert rows["DCC/CSIS"].dispatch.status == "sent" and rows["DCC/CSIS"].response is None
    assert result.answered == 2
    received = [d for d in disclosures.list_disclosures(vault).items if d.kind == "response"]
    assert {(d.direction, d.from_agency, d.to_agency) for d in received} == {
        ("received", "HMRC", "DCON"), ("received", "GLAA", "DCON")}
    actions = [r["action"] for r in vault.db.query("SELECT action FROM audit_events")]
    assert "request.collation_viewed" in actions and actions.count("response.received") == 2


def test_received_response_must_be_complete(police):
    vault, request = police
    with pytest.raises(Invalid, match="accurate"):
        rs.receive_response(vault, request.dispatches[0].id, response_data(accurate=""))


def test_onward_disclosure_recorded_with_the_originator_of_what_it_draws_on(police):
    vault, request = police
    row = disclosures.record_onward(vault, request.id, "DCC", what="Our own intelligence",
                                    lawful_bases=["cda1998-s115"], channel="cjsm")
    assert (row.kind, row.originator, row.to_agency) == ("onward", vault.agency, "DCC")
    with pytest.raises(InvalidInput, match="lawful basis"):
        disclosures.record_onward(vault, request.id, "DCC", what="x", lawful_bases=[], channel="cjsm")


def test_onward_disclosure_of_a_partners_answer_needs_their_written_consent(police):
    vault, request = police
    hmrc = next(d for d in request.dispatches if d.agency == "HMRC")
    answer = rs.receive_response(vault, hmrc.id, response_data())
    with pytest.raises(InvalidInput, match=r"HMRC provided this. Ask HMRC for written consent to disclose it to "
                                           r"the DCC for .*6.3"):
        disclosures.record_onward(vault, request.id, "DCC", what="Employer name", lawful_bases=["cda1998-s115"],
                                  channel="cjsm", response_ids=[answer.id])
    assert [d.kind for d in disclosures.list_disclosures(vault).items].count("onward") == 0


@pytest.mark.parametrize("answer", ["n/a", "N/A", ".", "-", "none", "None.", "see above", "  See   above ", "As above",
                                    "tbc", "—", "...", "Yes"])
def test_placeholder_54_answers_are_refused_in_words(partner, answer):
    vault, _ = partner
    draft = rs.record_response(vault, "d-hmrc", response_data(necessary=answer, accurate=answer))
    with pytest.raises(Invalid) as caught:
        rs.mark_response_sent(vault, draft.id)
    problems = {p.field: p.message for p in caught.value.problems}
    assert set(problems) == {"necessary", "accurate"}
    assert problems["necessary"].startswith("Say in words why the disclosure is necessary (5.4.2)")
    assert "is not an answer" in problems["necessary"]
    assert rq.get_dispatch(vault, "d-hmrc").status == "sent"  # nothing was sent


def test_short_54_answers_are_refused_with_the_length_stated(partner):
    vault, _ = partner
    draft = rs.record_response(vault, "d-hmrc", response_data(proportionate="Only a name"))
    with pytest.raises(Invalid) as caught:
        rs.mark_response_sent(vault, draft.id)
    (problem,) = caught.value.problems
    assert problem.field == "proportionate"
    assert problem.message == ("Say in words why the disclosure is proportionate (5.4.3), in at least 20 characters"
                               " (this answer has 11)")
    rs.update_response(vault, draft.id, {"proportionate": "Only the employer's name is given."})
    assert rs.mark_response_sent(vault, draft.id).status == "sent"
