"""The hostile-string corpus through every new field of cases, referrals and links, and through
the case summary, the relationship map and a whole-vault round trip: no exception, text unchanged,
printed as typed, no link or image made from user text."""

from __future__ import annotations

import pytest

from app import cases as cs, exchange, links as lk, requests as rq, subjects as sj
from desk_helpers import make_desk, reopen_as, request_data
from test_hostile_strings import CORPUS, _pdf_text, _printed_as_typed


@pytest.fixture
def hostile_cases(tmp_path):
    vault = make_desk(tmp_path / "hostile.vault")
    made = {}
    for name, text in CORPUS.items():
        short = text[:400] or "x"
        request = rq.create_request(vault, request_data())
        person = sj.create_subject(vault, {"kind": "person", "name": text[:200] or "x"})
        place = sj.create_subject(vault, {"kind": "location", "name": short})
        rq.add_subject(vault, request.id, person.id, "potential-victim")
        case = cs.create_case(vault, {"source": "public-community", "source_detail": short, "title": short,
                                      "lead_agency": "DCON", "internal_notes": text})
        cs.link_request(vault, case.id, request.id)
        cs.move_stage(vault, case.id, "assessment", text)
        cs.add_referral(vault, case.id, {"kind": "nrm", "subject_id": person.id, "referred_on": "2026-03-05",
                                         "first_responder": short, "consent": "given", "external_ref": short,
                                         "notes": text})
        lk.add_link(vault, {"kind": "lives-at", "from_subject": person.id, "to_subject": place.id,
                            "confidence": "probable", "source_kind": "case", "source_id": case.id, "notes": text})
        lk.add_link(vault, {"kind": "uses-vehicle", "from_subject": person.id, "vehicle": short[:40] or "x",
                            "confidence": "possible", "source_kind": "request", "source_id": request.id})
        made[case.reference] = name
    yield vault, made
    if vault.is_open:
        vault.close()


def test_corpus_through_the_case_documents(hostile_cases):
    pypdf = pytest.importorskip("pypdf")
    from app.reports import build_report

    vault, made = hostile_cases
    for reference, name in made.items():
        for kind in ("case", "relationship-map"):
            report = build_report(vault, kind, reference)
            text = _pdf_text(kind, name, report, pypdf)
            if name != "long":  # titles and names are cut to 200-400 characters here
                _printed_as_typed(text, name, kind, report.page_count)
            assert "INTERNAL" not in text


def test_corpus_through_a_whole_vault_round_trip(hostile_cases, tmp_path):
    vault, _made = hostile_cases
    admin = reopen_as(vault, "alice")
    try:
        doc = exchange.export_vault(admin)
    finally:
        admin.close()
    target = make_desk(tmp_path / "target.vault", role="admin")
    try:
        exchange.import_document(target, doc)
        again = exchange.export_vault(target)
    finally:
        target.close()
    assert again["cases"] == doc["cases"] and again["subject_links"] == doc["subject_links"]
    texts = {c["internal_notes"] for c in doc["cases"]}
    assert texts == set(CORPUS.values())
