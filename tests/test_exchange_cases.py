"""Cases and links between subjects in the exchange format: whole-vault round trip with hostile
text, all-or-nothing refusals naming the record and field, and never a case (nor its internal
notes) in a file made for sending one request."""

from __future__ import annotations

import copy
import json

import pytest

from app import cases as cs, exchange, links as lk
from app.errors import InvalidInput
from app.exchange.columns import (CASE_COLS, CASE_REFERRAL_COLS, CASE_REQUEST_COLS, CASE_STAGE_COLS,
                                  SUBJECT_LINK_COLS)
from desk_helpers import make_desk, reopen_as
from test_case_reports import story

HOSTILE = "<b>x</b> Robert'); DROP TABLE cases;-- \u202eAna\u200b 😀 \"q\" \\ \r\nnext"
TABLES = ("cases", "case_stage_changes", "case_requests", "case_referrals", "subject_links", "meeting_agenda_items")


def counts(vault) -> dict[str, int]:
    return {t: vault.db.scalar(f"SELECT count(*) FROM {t}") for t in TABLES}


def parts(doc: dict) -> dict:
    return {k: doc.get(k) for k in ("cases", "subject_links", "meetings", "requests", "subjects")}


@pytest.fixture
def whole(tmp_path):
    vault = make_desk(tmp_path / "dcon.vault")
    case, meeting, first = story(vault)
    cs.update_case(vault, case.id, {"internal_notes": "INTERNAL " + HOSTILE, "source_detail": HOSTILE[:400]})
    cs.move_stage(vault, case.id, "assessment", HOSTILE)  # a revisit, with hostile text
    lk.add_link(vault, {"kind": "associate-of", "from_subject": first.subjects[0].id,
                        "to_subject": first.subjects[1].id, "confidence": "possible", "notes": HOSTILE,
                        "source_kind": "case", "source_id": case.id})
    spoc_counts = counts(vault)
    admin = reopen_as(vault, "alice")
    doc = exchange.export_vault(admin)
    yield admin, doc, spoc_counts, case, first
    if admin.is_open:
        admin.close()


def test_a_whole_vault_file_carries_cases_and_links_and_imports_the_same(whole, tmp_path):
    admin, doc, spoc_counts, case, _first = whole
    assert [c["reference"] for c in doc["cases"]] == [case.reference]
    assert doc["cases"][0]["internal_notes"].startswith("INTERNAL ")  # moving a desk keeps everything
    assert len(doc["subject_links"]) == spoc_counts["subject_links"] == 5
    assert any(item.get("case_id") == case.id for m in doc["meetings"] for item in m["agenda"])
    target = make_desk(tmp_path / "new.vault", role="admin")
    out = tmp_path / "whole.json"
    exchange.write_file(doc, out)
    summary = exchange.import_file(target, out)
    assert (summary.cases_added, summary.links_added) == (1, 5)
    assert counts(target) == spoc_counts
    again = exchange.export_vault(target)
    assert parts(again) == parts(json.loads(out.read_text(encoding="utf-8")))
    # A second import is refused (a whole vault goes only into an empty vault) and changes nothing.
    with pytest.raises(InvalidInput, match="only into a new, empty vault"):
        exchange.import_file(target, out)
    assert counts(target) == spoc_counts
    target.close()


@pytest.mark.parametrize("break_it, where", [
    (lambda d: d["subject_links"][0].update(kind="lives-at", to_subject=d["subject_links"][0]["from_subject"]),
     r"subject_links\[0\]: to_subject"),
    (lambda d: d["cases"][0].update(lead_agency="NOPE"), r"cases\[0\] CASE-\d{4}-0001: lead_agency: unknown agency"),
    (lambda d: d["cases"][0].update(stage="review"), r"cases\[0\] CASE-\d{4}-0001: stage: is not the stage"),
    (lambda d: d["cases"][0]["referrals"][0].update(rg_decision=None, cg_decision="positive"),
     r"referrals\[0\]\.cg_decision"),
    (lambda d: d["cases"][0].update(surprise=1), r"cases\[0\] CASE-\d{4}-0001: Additional properties"),
    (lambda d: d["cases"][0]["requests"][0].update(request_id="00000000-0000-0000-0000-000000000000"),
     r"requests\[0\]\.request_id: links a request that is neither"),
    (lambda d: d["subject_links"][0].update(case_id="00000000-0000-0000-0000-000000000000"),
     r"subject_links\[0\]: case_id: names a case that is not in the file"),
])
def test_one_bad_case_or_link_refuses_the_whole_file(whole, tmp_path, break_it, where):
    _admin, doc, *_ = whole
    bad = copy.deepcopy(doc)
    break_it(bad)
    target = make_desk(tmp_path / "new.vault", role="admin")
    try:
        with pytest.raises(InvalidInput, match=where):
            exchange.import_document(target, bad)
        assert set(counts(target).values()) == {0}
        assert target.db.scalar("SELECT count(*) FROM requests") == 0
    finally:
        target.close()


def test_a_request_file_never_carries_a_case_or_its_internal_notes(whole, tmp_path):
    admin, doc, _counts, case, first = whole
    path = admin.path
    admin.close()
    from app.vault import Vault
    from conftest import OTHER_PASSPHRASE

    spoc = Vault.open(path, user="bob", passphrase=OTHER_PASSPHRASE)
    try:
        sent = exchange.export_request(spoc, first.reference)
    finally:
        spoc.close()
    text = json.dumps(sent, ensure_ascii=False)
    assert "cases" not in sent and "subject_links" not in sent
    assert "INTERNAL" not in text and case.reference not in text
    smuggled = dict(copy.deepcopy(sent), cases=doc["cases"])
    partner = make_desk(tmp_path / "dwp.vault", agency="DWP")
    try:
        with pytest.raises(InvalidInput, match="travel only in a whole-vault file"):
            exchange.import_document(partner, smuggled)
    finally:
        partner.close()


def test_schema_columns_match_the_vault():
    defs = exchange.schema()["$defs"]
    expected = {"case": (set(CASE_COLS) | {"stages", "requests", "referrals"}),
                "case_stage_change": set(CASE_STAGE_COLS) - {"case_id"},
                "case_request": set(CASE_REQUEST_COLS) - {"case_id"},
                "case_referral": set(CASE_REFERRAL_COLS) - {"case_id"},
                "subject_link": set(SUBJECT_LINK_COLS)}
    for name, cols in expected.items():
        assert set(defs[name]["properties"]) == cols, name
    assert tuple(defs["case"]["properties"]["stage"]["enum"]) == tuple(cs.stages())
    assert tuple(defs["subject_link"]["properties"]["kind"]["enum"]) == tuple(lk.KINDS)
