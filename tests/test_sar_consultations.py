"""Consulting the originating partner on a subject access item by sealed package (12.2), between
two real desks: the police DPM asks HMRC's desk about HMRC's response, HMRC's DPM sees what is
asked and answers (objects, with an exemption; or no objection), and the answer received is
recorded against the item's decision. Refusals change nothing; hostile text passes through."""

from __future__ import annotations

import datetime as dt

import pytest

from app import consultations as co
from app import requests as rq
from app import responses as rs
from app import subject_access as sa
from app.errors import AuthError, InvalidInput
from app.exchange import packages
from app.records import Invalid
from desk_helpers import make_desk, reopen_as, request_data, response_data, trust_each_other

HOSTILE = "<b>bold</b> \u202eAna\u200b & 'x'); DROP TABLE sar_consultations;-- 😀 " + "y" * 300


@pytest.fixture
def two_desks(tmp_path):
    """DCON asked HMRC by package and HMRC answered by package; both desks then open as their DPM."""
    police = make_desk(tmp_path / "dcon.vault", "DCON")
    hmrc = make_desk(tmp_path / "hmrc.vault", "HMRC")
    trust_each_other(police, hmrc)
    out = tmp_path / "out"
    out.mkdir()
    request = rq.create_request(police, request_data())
    [sent] = packages.send(police, request.reference, ["HMRC"], out)
    packages.receive(hmrc, sent.path, receipt_out=out)
    held = rq.get_request(hmrc, request.reference)
    response = rs.record_response(hmrc, held.dispatches[0].id, response_data(responder_role="HMRC SPOC"))
    [back] = packages.send(hmrc, f"{request.reference}/HMRC", None, out)
    packages.receive(police, back.path, receipt_out=out)
    ion = next(s for s in request.subjects if s.name == "Ion Popescu")
    police = reopen_as(police, "dana", "dpm")
    hmrc = reopen_as(hmrc, "harriet", "dpm")
    sar = sa.log_request(police, {"kind": "sar-gdpr", "received_on": dt.date.today().isoformat(),
                                  "requester_name": "Ion Popescu", "subject_ids": [ion.id]})
    sar = sa.gather_items(police, sar.reference)
    yield police, hmrc, out, sar, response
    for vault in (police, hmrc):
        if vault.is_open:
            vault.close()


def partner_items(sar):
    return [i for i in sar.items if i.partner_provided]


def test_the_partner_objects_and_the_item_is_withheld_under_its_exemption(two_desks):
    police, hmrc, out, sar, response = two_desks
    item = next(i for i in partner_items(sar) if i.item_type == "response")
    assert item.origin_agency == "HMRC" and item.needs_consultation
    made = co.ask(police, sar.reference, item.id, out, question=HOSTILE)
    assert made.kind == "sar-consult" and made.agency == "HMRC" and made.path.exists()
    assert b"Ion Popescu" not in made.path.read_bytes()  # sealed: nothing readable on disk
    [asked] = co.consultations_of(police, sar.id)
    assert not asked.answered and asked.answer_words() == "Awaiting the partner's answer"
    with pytest.raises(Invalid, match="has not answered yet"):
        co.ask(police, sar.reference, item.id, out)  # one question at a time per item

    got = packages.receive(hmrc, made.path)
    assert got.kind == "sar-consult" and got.receipt_path is None
    assert got.line.startswith(f"Subject access consultation {sar.reference} from Derbyshire Constabulary: "
                               f"{item.label}; they answer by ")
    [question] = co.received_questions(hmrc, open_only=True)
    assert (question.sar_reference, question.item_id, question.item_type) == (sar.reference, response.id, "response")
    assert question.question == HOSTILE and question.partner == "DCON"
    assert "Ion Popescu" not in str(tuple(hmrc.db.one("SELECT * FROM sar_consultations")))  # the question only
    with pytest.raises(Invalid) as refused:
        co.answer(hmrc, question.id, "objects", out, exemption="foi-s30", reason="")
    assert [p.field for p in refused.value.problems] == ["exemption", "reason"]
    reply = co.answer(hmrc, question.id, "objects", out, exemption="dpa-sch2-p1-2", reason=HOSTILE)
    assert reply.kind == "sar-consult-answer" and reply.agency == "DCON"
    assert co.received_questions(hmrc, open_only=True) == []
    with pytest.raises(Invalid, match="already answered"):
        co.answer(hmrc, question.id, "no-objection", out)

    arrived = packages.receive(police, reply.path)
    assert arrived.kind == "sar-consult-answer" and "item is withheld under that exemption" in arrived.line
    sar = sa.get_request(police, sar.reference)
    item = next(i for i in sar.items if i.id == item.id)
    assert (item.decision, item.exemption, item.consulted_via) == ("withhold", "dpa-sch2-p1-2", "package")
    assert item.consulted_on and not item.needs_consultation and HOSTILE in item.consult_answer
    assert item.note.startswith("Withheld on HM Revenue")
    event = [e for e in sar.events if e.kind == "partner-consulted"][-1]
    assert "Sealed package to the partner's desk" in event.summary() and "Objects to disclosure" in event.summary()
    [asked] = co.consultations_of(police, sar.id)
    assert asked.answered and asked.exemption == "dpa-sch2-p1-2" and asked.reason == HOSTILE
    # The same answer again changes nothing.
    again = packages.receive(police, reply.path)
    assert again.already_received_at is not None


def test_no_objection_lets_the_dpm_disclose_and_a_stray_answer_is_refused(two_desks, tmp_path):
    police, hmrc, out, sar, _response = two_desks
    items = partner_items(sar)
    first = items[0]
    made = co.ask(police, sar.reference, first.id, out)
    question = packages.receive(hmrc, made.path).extra["consultation_id"]
    reply = co.answer(hmrc, question, "no-objection", out, reason="Content to disclose")
    packages.receive(police, reply.path)
    sar = sa.decide_item(police, sar.reference, first.id, "disclose")  # consulted: disclosure is allowed
    assert next(i for i in sar.items if i.id == first.id).decision == "disclose"
    # A desk that did not ask gets nothing from an answer: the HMRC answer is refused by HMRC itself.
    with pytest.raises(InvalidInput):
        packages.receive(hmrc, reply.path)


def test_only_a_partner_item_can_be_put_and_only_the_dpm_puts_it(two_desks):
    police, _hmrc, out, sar, _response = two_desks
    own = next(i for i in sar.items if not i.partner_provided)
    with pytest.raises(Invalid, match="there is no partner to consult"):
        co.ask(police, sar.reference, own.id, out)
    assert police.db.scalar("SELECT count(*) FROM sar_consultations") == 0
    assert list(out.glob("*consult*")) == []
    path = police.path
    police.close()
    spoc = reopen_as(police, "bob")
    try:
        with pytest.raises(AuthError):
            co.consultations_of(spoc, sar.id)
    finally:
        spoc.close()
    assert path.exists()


def test_consultations_travel_in_the_whole_vault_file_and_come_back_the_same(two_desks, tmp_path):
    from app import exchange

    police, hmrc, out, sar, _response = two_desks
    item = partner_items(sar)[0]
    made = co.ask(police, sar.reference, item.id, out, question=HOSTILE)
    packages.receive(police, packages.receive(hmrc, made.path) and co.answer(
        hmrc, co.received_questions(hmrc)[0].id, "objects", out, exemption="dpa-sch2-p1-2", reason=HOSTILE).path)
    for vault in (police, hmrc):
        before = [tuple(r) for r in vault.db.query("SELECT * FROM sar_consultations ORDER BY seq")]
        admin = reopen_as(vault, "alice")
        doc = exchange.export_vault(admin)
        admin.close()
        assert len(doc["sar_consultations"]) == 1 and doc["sar_consultations"][0]["reason"] == HOSTILE
        target = make_desk(tmp_path / f"new-{doc['desk']['agency']}.vault", doc["desk"]["agency"], role="admin")
        try:
            exchange.import_document(target, doc)
            assert [tuple(r) for r in target.db.query("SELECT * FROM sar_consultations ORDER BY seq")] == before
        finally:
            target.close()


def test_the_schedule_of_exemptions_prints_the_partners_answer_by_package(two_desks):
    from app.reports import build_report
    from test_reports import check_template, no_links_or_images

    police, hmrc, out, sar, _response = two_desks
    item = next(i for i in partner_items(sar) if i.item_type == "response")
    made = co.ask(police, sar.reference, item.id, out, question=HOSTILE)
    question = packages.receive(hmrc, made.path).extra["consultation_id"]
    packages.receive(police, co.answer(hmrc, question, "objects", out, exemption="dpa-sch2-p1-2",
                                       reason=HOSTILE).path)
    report = build_report(police, "exemption-schedule", sar.reference)
    no_links_or_images(report.data)
    text = " ".join(" ".join(check_template(report)).split())
    assert "Sealed package to the partner's desk" in text and "Objects to disclosure" in text
    assert "Withheld on HM Revenue" in text
