"""Sections 6.2, 6.3 and 7.3 (issue 18): one check decides every disclosure path; written consent
is a package signed by the originating desk; a grant covers only its items, recipient and purpose,
until its date and until withdrawn."""

from __future__ import annotations

import datetime as _dt
import json

import pytest

from app import consent, disclosures, meetings
from app import requests as rq
from app import responses as rs
from app.cli import main
from app.errors import InvalidInput
from app.exchange import desks, packages
from app.reports import build_report
from conftest import OTHER_PASSPHRASE
from desk_helpers import make_desk, request_data, response_data, trust_each_other

PURPOSE = "identify-victims"
HOSTILE = "<b>bold</b> & <i>x</i> \u202eRTL\u202c " + "long " * 300


@pytest.fixture
def three(tmp_path):
    """Police (DCON), HMRC and NCA desks that trust each other; HMRC has answered two of the
    police desk's requests, and the police desk holds both answers."""
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
        answer = rs.record_response(hmrc, held.dispatches[0].id,
                                    response_data(disclosed_text=f"Employed by Example Ltd ({n})"))
        [back] = packages.send(hmrc, f"{request.reference}/HMRC", None, out)
        packages.receive(police, back.path, receipt_out=out)
        answers.append((request, answer))
    yield police, hmrc, nca, out, answers
    for vault in (police, hmrc, nca):
        if vault.is_open:
            vault.close()


def ask_and_answer(police, hmrc, out, asked_items, decision="granted", **answer):
    asked, path = consent.ask_consent(police, asked_items, "NCA", PURPOSE, reason="NCA leads the investigation",
                                      needed_by=None, out_dir=out)
    got = packages.receive(hmrc, path)
    assert got.kind == "consent-request"
    mine = consent.get_request(hmrc, asked.id)
    reply, reply_path = consent.answer_consent(hmrc, mine.id, decision, out_dir=out, **answer)
    back = packages.receive(police, reply_path)
    assert back.kind == "consent-answer"
    return asked, reply


def test_the_originator_is_data(three):
    police, _, _, _, answers = three
    request, answer = answers[0]
    assert consent.originator_of(police, f"response:{answer.id}") == "HMRC"
    assert consent.originator_of(police, f"request:{request.id}") == "DCON"
    assert "HM Revenue" in consent.describe_item(police, f"response:{answer.id}")


def test_done_when_police_asks_hmrc_grants_part_police_discloses_what_is_covered(three):
    police, hmrc, nca, out, answers = three
    (first, a1), (second, a2) = answers
    items = [f"response:{a1.id}", f"response:{a2.id}"]
    # Without consent every path is refused, naming HMRC and section 6.3.
    refused = consent.check_disclosure(police, items, "NCA", PURPOSE)
    assert not refused.allowed and refused.message.startswith(
        "HMRC provided this. Ask HMRC for written consent to disclose it to the NCA for 4.3(2)")
    assert "6.3" in refused.message
    asked, grant = ask_and_answer(police, hmrc, out, items, items=[f"response:{a1.id}"],
                                  until=(_dt.date.today() + _dt.timedelta(days=30)).isoformat(),
                                  conditions="NCA only; no further onward disclosure")
    assert consent.get_request(police, asked.id).state == "partly granted"
    assert consent.get_request(hmrc, asked.id).state == "partly granted"
    # The covered answer goes to the NCA as a package, its register row citing the grant ...
    [made] = packages.send(police, f"{first.reference}/HMRC", ["NCA"], out, purpose=PURPOSE)
    row = disclosures.list_disclosures(police).items[0]
    assert row.kind == "onward" and row.to_agency == "NCA" and row.originator == "HMRC"
    assert row.consent_grants == (grant.id,)
    got = packages.receive(nca, made.path, receipt_out=out)
    assert "passed on by Derbyshire Constabulary" in got.line
    held = rs.collation(nca, got.request_id)
    hmrc_row = next(r for r in held.rows if r.dispatch.agency == "HMRC")
    assert hmrc_row.response.origin_agency == "HMRC"  # held from DCON, still HMRC's
    # ... and the NCA cannot pass it on without HMRC's own consent.
    assert not consent.check_disclosure(nca, [f"response:{a1.id}"], "GLAA", PURPOSE).allowed
    # The rest is refused, on the package path and the onward form alike.
    with pytest.raises(consent.ConsentNeeded, match="HMRC provided this"):
        packages.send(police, f"{second.reference}/HMRC", ["NCA"], out, purpose=PURPOSE)
    with pytest.raises(consent.ConsentNeeded, match="6.3"):
        disclosures.record_onward(police, second.id, "NCA", what="Employer", lawful_bases=["dpa1998-s29-3"],
                                  channel="cjsm", purpose=PURPOSE, response_ids=[a2.id])


def test_a_grant_covers_only_its_items_recipient_purpose_and_date(three):
    police, hmrc, _, out, answers = three
    (_, a1), (_, a2) = answers
    _, grant = ask_and_answer(police, hmrc, out, [f"response:{a1.id}"],
                              until=(_dt.date.today() + _dt.timedelta(days=2)).isoformat())
    assert consent.check_disclosure(police, [f"response:{a1.id}"], "NCA", PURPOSE).allowed
    assert not consent.check_disclosure(police, [f"response:{a2.id}"], "NCA", PURPOSE).allowed  # other items
    assert not consent.check_disclosure(police, [f"response:{a1.id}"], "GLAA", PURPOSE).allowed  # recipient
    assert not consent.check_disclosure(police, [f"response:{a1.id}"], "NCA", "mapping").allowed  # purpose
    later = _dt.date.today() + _dt.timedelta(days=3)
    assert not consent.check_disclosure(police, [f"response:{a1.id}"], "NCA", PURPOSE, on=later).allowed  # expired
    # Giving HMRC's answer back to HMRC needs nothing.
    assert consent.check_disclosure(police, [f"response:{a1.id}"], "HMRC", PURPOSE).allowed


def test_a_withdrawn_grant_covers_nothing_afterwards(three):
    police, hmrc, _, out, answers = three
    (_, a1), _ = answers
    asked, _ = ask_and_answer(police, hmrc, out, [f"response:{a1.id}"])
    assert consent.check_disclosure(police, [f"response:{a1.id}"], "NCA", PURPOSE).allowed
    made = next(a for a in consent.get_request(hmrc, asked.id).answers if a.decision == "granted")
    withdrawal, path = consent.withdraw_grant(hmrc, made.id, reason="The investigation has closed", out_dir=out)
    got = packages.receive(police, path)
    assert got.line.startswith("Consent withdrawn by HM Revenue")
    assert not consent.check_disclosure(police, [f"response:{a1.id}"], "NCA", PURPOSE).allowed
    assert consent.get_request(police, asked.id).state == "withdrawn"
    with pytest.raises(InvalidInput, match="withdrawn already"):
        consent.withdraw_grant(hmrc, made.id, reason="again", out_dir=out)


def test_a_refusal_comes_back_with_its_reason(three):
    police, hmrc, _, out, answers = three
    (_, a1), _ = answers
    with pytest.raises(InvalidInput, match="reason for refusing"):
        asked, path = consent.ask_consent(police, [f"response:{a1.id}"], "NCA", PURPOSE, reason="Needed",
                                          out_dir=out)
        packages.receive(hmrc, path)
        consent.answer_consent(hmrc, asked.id, "refused", reason=" ", out_dir=out)
    reply, path2 = consent.answer_consent(hmrc, asked.id, "refused", reason="Live HMRC enquiry", out_dir=out)
    packages.receive(police, path2)
    assert consent.get_request(police, asked.id).state == "refused"
    assert not consent.check_disclosure(police, [f"response:{a1.id}"], "NCA", PURPOSE).allowed


def test_a_grant_signed_by_another_desk_covers_nothing(three, tmp_path):
    police, hmrc, nca, out, answers = three
    (_, a1), _ = answers
    asked, path = consent.ask_consent(police, [f"response:{a1.id}"], "NCA", PURPOSE, reason="Needed", out_dir=out)
    # The NCA desk (trusted by the police desk) forges HMRC's "grant" and signs it with its own key.
    doc = {"format": consent.CONSENT_FORMAT, "type": "answer", "id": "0" * 8 + "-0000-4000-8000-" + "0" * 12,
           "consent_request_id": asked.id, "decision": "granted", "originator": "HMRC",
           "items": [f"response:{a1.id}"], "recipient": "NCA", "purpose": PURPOSE, "until": None,
           "conditions": "", "reason": "", "withdraws": None, "decided_by": "mallory", "decided_at": "2026-12-01"}
    forged = tmp_path / "forged.spocpkg"
    forged.write_bytes(packages.seal(nca, kind="consent-answer", document=json.dumps(doc).encode(),
                                     recipient_card=desks.desk_card(police), reference=asked.reference,
                                     package_id="11111111-1111-4111-8111-111111111111", head=nca.chain_head()))
    before = police.chain_head()
    with pytest.raises(InvalidInput, match="signed by its originator"):
        packages.receive(police, forged)
    assert police.chain_head() == before
    # Even a row put straight into the vault, signed by any card but HMRC's, covers nothing.
    police.db.execute(
        "INSERT INTO consent_answers (id, consent_request_id, direction, decision, originator, signer_fingerprint,"
        " items, recipient, purpose, package_id, decided_by, decided_at, recorded_at) VALUES"
        " ('x', ?, 'received', 'granted', 'HMRC', ?, ?, 'NCA', ?, 'p', 'm', '2026-12-01', '2026-12-01')",
        (asked.id, desks.fingerprint(desks.desk_card(nca)), json.dumps([f"response:{a1.id}"]), PURPOSE))
    assert not consent.check_disclosure(police, [f"response:{a1.id}"], "NCA", PURPOSE).allowed


def test_a_grant_from_a_revoked_card_covers_nothing(three):
    police, hmrc, _, out, answers = three
    (_, a1), _ = answers
    ask_and_answer(police, hmrc, out, [f"response:{a1.id}"])
    assert consent.check_disclosure(police, [f"response:{a1.id}"], "NCA", PURPOSE).allowed
    desks.revoke_partner(police, "HMRC", "compromised")
    assert not consent.check_disclosure(police, [f"response:{a1.id}"], "NCA", PURPOSE).allowed


def test_a_consent_request_names_only_the_originators_own_items(three, tmp_path):
    police, hmrc, nca, out, answers = three
    request, a1 = answers[0]
    with pytest.raises(InvalidInput, match="provided these items itself"):
        consent.ask_consent(police, [f"request:{request.id}"], "NCA", PURPOSE, reason="x", out_dir=out)
    with pytest.raises(InvalidInput, match="more than one partner"):
        consent.ask_consent(police, [f"response:{a1.id}", f"request:{request.id}"], "NCA", PURPOSE, reason="x",
                            out_dir=out)
    with pytest.raises(InvalidInput, match="Unknown purpose"):
        consent.ask_consent(police, [f"response:{a1.id}"], "NCA", "nonsense", reason="x", out_dir=out)
    # A request package sent to the wrong desk is refused there, and nothing is written.
    asked, path = consent.ask_consent(police, [f"response:{a1.id}"], "NCA", PURPOSE, reason="x", out_dir=out)
    from app.status import vault_status

    assert vault_status(police)["consents"] == {"to_answer": 0, "awaiting_answer": 1, "answered": 0}
    before = hmrc.chain_head()
    again = packages.receive(hmrc, path)
    assert again.kind == "consent-request"
    repeat = packages.receive(hmrc, path)
    assert repeat.already_received_at and hmrc.db.scalar("SELECT count(*) FROM consent_requests") == 1
    assert vault_status(hmrc)["consents"]["to_answer"] == 1
    assert before != hmrc.chain_head()


def test_every_disclosure_path_is_refused_without_consent_and_allowed_with_it(three):
    police, hmrc, nca, out, answers = three
    (first, a1), _ = answers
    item = f"response:{a1.id}"
    # 1. sealed package (desktop send and CLI send both call packages.send) and its plan
    [plan] = packages.send_plan(police, f"{first.reference}/HMRC", ["NCA"], purpose=PURPOSE)
    assert plan.problem and "HMRC provided this" in plan.problem
    with pytest.raises(consent.ConsentNeeded):
        packages.send(police, f"{first.reference}/HMRC", ["NCA"], out, purpose=PURPOSE)
    # 2. the onward-disclosure form
    onward = dict(what="Employer", lawful_bases=["dpa1998-s29-3"], channel="cjsm", purpose=PURPOSE,
                  response_ids=[a1.id])
    with pytest.raises(consent.ConsentNeeded):
        disclosures.record_onward(police, first.id, "NCA", **onward)
    # 3. the chair's further-disclosure permission at a tactical meeting
    meeting = meetings.create_meeting(police, {"held_at": "10/03/2026 10:00", "place": "Ripley", "chair": "DI Chair",
                                               "chair_agency": "DCON"})
    agenda = meetings.add_agenda_request(police, meeting.id, first.id).id
    permission = {"requested_by": "DS Smith", "requested_by_agency": "DCON", "to_agency": "NCA", "what": "HMRC's answer",
                  "reason": "Public protection", "granted": True, "agenda_item_id": agenda, "purpose": PURPOSE}
    with pytest.raises(consent.ConsentNeeded):
        meetings.record_permission(police, meeting.id, permission)
    # 4. a report printed for a third party
    with pytest.raises(consent.ConsentNeeded):
        build_report(police, "response", f"{first.reference}/HMRC", for_agency="NCA", purpose=PURPOSE)
    assert build_report(police, "response", f"{first.reference}/HMRC").page_count >= 1  # for this desk
    # 5. a request package carrying a subject another partner provided
    assert consent.check_disclosure(police, [f"request:{first.id}"], "NCA", PURPOSE).allowed
    # With a covering grant each path goes ahead and cites it.
    _, grant = ask_and_answer(police, hmrc, out, [item])
    assert packages.send_plan(police, f"{first.reference}/HMRC", ["NCA"], purpose=PURPOSE)[0].problem is None
    packages.send(police, f"{first.reference}/HMRC", ["NCA"], out, purpose=PURPOSE)
    row = disclosures.record_onward(police, first.id, "NCA", **onward)
    assert row.originator == "HMRC" and row.consent_grants == (grant.id,)
    granted = meetings.record_permission(police, meeting.id, permission)
    register = police.db.one("SELECT * FROM disclosures WHERE id = ?", (granted.disclosure_id,))
    assert json.loads(register["consent_grants"]) == [grant.id] and register["originator"] == "HMRC"
    assert build_report(police, "response", f"{first.reference}/HMRC", for_agency="NCA",
                        purpose=PURPOSE).page_count >= 1
    # 6. the whole-vault move goes only to this agency's own new vault: no third party.
    assert consent.check_disclosure(police, [item], "DCON", PURPOSE).allowed
    # The disclosure register report cites the grant.
    assert build_report(police, "disclosures", "all").page_count >= 1


def test_cli_send_without_a_grant_exits_4_naming_hmrc_and_63(three, capsys, monkeypatch):
    import io
    import sys

    police, hmrc, nca, out, answers = three
    (first, _), _ = answers
    path = police.path
    police.close()
    monkeypatch.setattr(sys, "stdin", io.StringIO(OTHER_PASSPHRASE + "\n"))
    code = main(["send", str(path), f"{first.reference}/HMRC", "--to", "NCA", "--out", str(out),
                 "--user", "bob", "--passphrase-stdin"])
    err = capsys.readouterr().err
    assert code == 4, err
    assert "HMRC provided this" in err and "6.3" in err and err.count("\n") == 1
    assert not list(out.glob("*_HMRC_response_to_NCA*"))
    pdf = out / "for-nca.pdf"
    monkeypatch.setattr(sys, "stdin", io.StringIO(OTHER_PASSPHRASE + "\n"))
    code = main(["report", str(path), "response", f"{first.reference}/HMRC", "--for", "NCA", "--out", str(pdf),
                 "--user", "bob", "--passphrase-stdin"])
    err = capsys.readouterr().err
    assert code == 4 and "HMRC provided this" in err and not pdf.exists()
    # With HMRC's grant the same command goes ahead and the package is made.
    from app.vault import Vault

    police = Vault.open(path, user="bob", passphrase=OTHER_PASSPHRASE)
    try:
        ask_and_answer(police, hmrc, out, [f"response:{answers[0][1].id}"])
    finally:
        police.close()
    monkeypatch.setattr(sys, "stdin", io.StringIO(OTHER_PASSPHRASE + "\n"))
    code = main(["send", str(path), f"{first.reference}/HMRC", "--to", "NCA", "--out", str(out), "--purpose", PURPOSE,
                 "--user", "bob", "--passphrase-stdin"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Package made for NCA" in captured.out and list(out.glob("*_HMRC_response_to_NCA*"))


def test_hostile_text_through_consent_fields_and_the_register_report(three, tmp_path):
    police, hmrc, _, out, answers = three
    (_, a1), _ = answers
    with pytest.raises(InvalidInput, match="NUL"):
        consent.ask_consent(police, [f"response:{a1.id}"], "NCA", PURPOSE, reason="a\x00b", out_dir=out)
    asked, grant = ask_and_answer(police, hmrc, out, [f"response:{a1.id}"], conditions=HOSTILE[:1500],
                                  reason=HOSTILE[:1900])
    assert consent.get_answer(police, grant.id).conditions == HOSTILE[:1500]
    from test_reports import check_template

    for vault in (police, hmrc):
        report = build_report(vault, "consents", "all")
        check_template(report)  # the marking on every page, the reference, Page N of M
    with pytest.raises(InvalidInput, match="whole"):
        build_report(police, "consents", "CON-1")


def test_a_whole_vault_move_carries_consents_and_register_citations(three, tmp_path):
    from desk_helpers import reopen_as

    police, hmrc, _, out, answers = three
    (first, a1), _ = answers
    item = f"response:{a1.id}"
    asked, grant = ask_and_answer(police, hmrc, out, [item])
    packages.send(police, f"{first.reference}/HMRC", ["NCA"], out, purpose=PURPOSE)
    admin = reopen_as(police, "alice")
    new = make_desk(tmp_path / "new.vault", "DCON", role="admin")
    target = tmp_path / "move.spocpkg"
    packages.export_sealed(admin, desks.desk_card(new), target)  # to this agency's own new vault: allowed
    with pytest.raises(InvalidInput, match="same agency"):
        packages.export_sealed(admin, desks.desk_card(hmrc), tmp_path / "other.spocpkg")
    packages.import_whole_vault(new, target)
    admin.close()
    rows = new.db.query("SELECT id, consent_grants FROM disclosures WHERE kind = 'onward'")
    assert [json.loads(r["consent_grants"]) for r in rows] == [[grant.id]]
    assert new.db.scalar("SELECT count(*) FROM consent_requests") == 1
    assert new.db.scalar("SELECT count(*) FROM consent_answers") == 1
    # The new desk relies on the grant again once it trusts HMRC's card after its own call.
    assert not consent.check_disclosure(new, [item], "NCA", PURPOSE).allowed
    card = desks.desk_card(hmrc)
    desks.trust_partner(new, card, fingerprint=desks.fingerprint(card), checked_by="DS Smith", via="0300 200 3300")
    assert consent.check_disclosure(new, [item], "NCA", PURPOSE).allowed
    new.close()


def test_a_request_package_carrying_a_partners_subject_needs_that_partners_consent(three):
    from app.requests import add_subject

    police, hmrc, nca, out, _ = three
    # HMRC raises its own request about a business; the police desk receives it and so holds
    # HMRC's subject details, then puts that subject on a request of its own for the NCA.
    theirs = rq.create_request(hmrc, request_data(subjects=[{"subject": {"kind": "business", "name": "Example Ltd"},
                                                             "role": "unknown"}]))
    [made] = packages.send(hmrc, theirs.reference, ["DCON"], out)
    got = packages.receive(police, made.path, receipt_out=out)
    subject_id = rq.get_request(police, got.request_id).subjects[0].id
    assert consent.originator_of(police, f"subject:{subject_id}") == "HMRC"
    mine = rq.create_request(police, request_data())
    add_subject(police, mine.id, subject_id, "unknown")
    [plan] = packages.send_plan(police, mine.reference, ["NCA"])
    assert plan.problem and plan.problem.startswith("HMRC provided this")
    with pytest.raises(consent.ConsentNeeded):
        packages.send(police, mine.reference, ["NCA"], out)
    # Asking HMRC for its subject, granted, the request goes to the NCA.
    purpose = consent.default_purpose(police, mine.id)
    asked, path = consent.ask_consent(police, [f"subject:{subject_id}"], "NCA", purpose, reason="Joint visit",
                                      out_dir=out)
    packages.receive(hmrc, path)
    grant, reply = consent.answer_consent(hmrc, asked.id, "granted", out_dir=out)
    packages.receive(police, reply)
    [sent] = packages.send(police, mine.reference, ["NCA"], out)
    row = next(d for d in disclosures.list_disclosures(police).items if d.kind == "request" and d.to_agency == "NCA")
    assert row.consent_grants == (grant.id,) and f"subject:{subject_id}" in row.items
    arrived = packages.receive(nca, sent.path, receipt_out=out)
    held = nca.db.one("SELECT origin_agency FROM subjects WHERE id = ?", (subject_id,))
    assert arrived.kind == "request" and held["origin_agency"] == "HMRC"  # still HMRC's, held from DCON
    assert not consent.check_disclosure(nca, [f"subject:{subject_id}"], "GLAA", purpose).allowed
