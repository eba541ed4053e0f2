"""The case summary and relationship map documents, the meeting pack with a case's map, and the
`spocdesk report` kinds `case` and `relationship-map` (issue 21's "done when" story)."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from app import cases as cs, links as lk, meetings as mt, requests as rq, responses as rs, subjects as sj
from app.reports import build_report, save_pdf
from app.errors import AuthError, InvalidInput
from conftest import OTHER_PASSPHRASE
from desk_helpers import make_desk, reopen_as, request_data, response_data
from test_reports import check_template, no_links_or_images, pages_text


def squashed(texts) -> str:
    """Page text without whitespace: table cells wrap anywhere."""
    return re.sub(r"\s+", "", "".join(texts))


def has(text: str, *words: str) -> bool:
    return all(re.sub(r"\s+", "", w) in text for w in words)


def story(vault):
    """A police SPOC opens a case from a Crimestoppers report, moves it to a tactical meeting, links
    two requests, records an NRM referral and its reasonable grounds decision, and adds links learnt
    from a DWP response; returns (case, meeting, first request)."""
    case = cs.create_case(vault, {"source": "public-community", "source_detail": "Crimestoppers report",
                                  "exploitation_types": ["forced-labour"], "lead_agency": "DCON",
                                  "internal_notes": "INTERNAL-ONLY caller details"})
    cs.move_stage(vault, case.id, "assessment", "Report triaged by Op Wilberforce")
    cs.move_stage(vault, case.id, "investigation", "Investigation required")
    cs.move_stage(vault, case.id, "tactical-meeting", "Partners who can assist to convene")
    first = rq.create_request(vault, request_data())
    rq.send_to_agencies(vault, first.id, ["DWP", "HMRC"])
    second = rq.create_request(vault, request_data(information="A second report about the same house."))
    cs.link_request(vault, case.id, first.reference)
    cs.link_request(vault, case.id, second.reference)
    first = rq.get_request(vault, first.id)
    ion, an, house = (s.id for s in first.subjects)
    cs.add_referral(vault, case.id, {"kind": "nrm", "subject_id": an, "referred_on": "2026-03-05",
                                     "first_responder": "Derbyshire Constabulary", "consent": "given"})
    nrm = cs.get_case(vault, case.id).referrals[0]
    cs.record_outcome(vault, nrm.id, {"rg_decision": "positive", "rg_on": "2026-03-10"})
    dwp = next(d for d in first.dispatches if d.agency == "DWP")
    response = rs.receive_response(vault, dwp.id, response_data(disclosed_text="Works at Example Ltd."))
    employer = sj.create_subject(vault, {"kind": "business", "name": "Example Ltd"})
    for data in ({"kind": "works-at", "from_subject": an, "to_subject": employer.id, "confidence": "confirmed"},
                 {"kind": "runs", "from_subject": ion, "to_subject": employer.id, "confidence": "probable"},
                 {"kind": "lives-at", "from_subject": an, "to_subject": house, "confidence": "confirmed"}):
        lk.add_link(vault, dict(data, source_kind="response", source_id=response.id, valid_from="2025-01-01"))
    lk.add_link(vault, {"kind": "uses-vehicle", "from_subject": ion, "vehicle": "AB12 CDE", "confidence": "possible",
                        "source_kind": "case", "source_id": case.id})
    meeting = mt.create_meeting(vault, {"held_at": "01/04/2026 10:00", "place": "Ripley HQ", "chair": "DI Clarke",
                                        "chair_agency": "DCON"})
    cs.put_on_agenda(vault, case.id, meeting.id, "Agree the joint visit")
    return cs.get_case(vault, case.id), meeting, first


@pytest.fixture
def desk(tmp_path):
    vault = make_desk(tmp_path / "dcon.vault")
    yield (vault, *story(vault))
    if vault.is_open:
        vault.close()


def test_the_case_summary_is_marked_and_never_prints_internal_notes(desk):
    vault, case, _meeting, first = desk
    report = build_report(vault, "case", case.reference)
    texts = check_template(report)
    no_links_or_images(report.data)
    text = squashed(texts)
    assert has(text, "Crimestoppers report", "Tactical meeting", first.reference)
    assert has(text, "Reasonable grounds: positive", "Conclusive grounds decision awaited")
    assert "INTERNAL-ONLY" not in text
    assert has(text, "written consent")  # partner information: the conditions of use (section 6)
    assert report.filename == f"{case.reference}-case.pdf"


def test_the_relationship_map_is_vector_graphics_with_a_key_and_the_links_and_their_sources(desk):
    vault, case, _meeting, first = desk
    report = build_report(vault, "relationship-map", case.reference)
    texts = check_template(report)
    no_links_or_images(report.data)  # drawn, not an embedded picture
    text = squashed(texts)
    for word in ("Person", "Location", "Business", "Vehicle", "works at", "runs or directs", "uses vehicle",
                 "Confirmed", "Probable", "Possible"):
        assert has(text, word), word
    assert has(text, f"{first.reference}/DWP response", "Department for Work and Pensions")
    assert has(text, "AB12 CDE", "section 6 applies")
    by_request = build_report(vault, "relationship-map", first.reference)
    assert has(squashed(pages_text(by_request.data)), "Example Ltd")
    an = first.subjects[1].id
    by_subject = build_report(vault, "relationship-map", f"subject:{an}")
    assert by_subject.reference.startswith("MAP-") and an[:8] in by_subject.reference
    with pytest.raises(InvalidInput, match="Name the map"):
        build_report(vault, "relationship-map", "all")


def test_the_meeting_pack_includes_the_map_of_a_case_on_the_agenda(desk):
    vault, case, meeting, _first = desk
    report = build_report(vault, "meeting-pack", meeting.reference)
    text = squashed(check_template(report))
    assert has(text, f"Case {case.reference}", "Relationship map", "Who is on the map")
    assert "INTERNAL-ONLY" not in text


def test_a_map_of_many_subjects_still_lays_out_on_one_drawing(tmp_path):
    vault = make_desk(tmp_path / "big.vault")
    try:
        request = rq.create_request(vault, request_data())
        hub = request.subjects[0].id
        people = [sj.create_subject(vault, {"kind": "person", "name": f"Person {n}"}).id for n in range(80)]
        for n, person in enumerate(people):
            lk.add_link(vault, {"kind": "associate-of", "from_subject": hub if n % 3 else people[n - 1],
                                "to_subject": person, "confidence": "possible", "source_kind": "request",
                                "source_id": request.id})
        report = build_report(vault, "relationship-map", request.reference)
        check_template(report)
        assert report.page_count >= 2
    finally:
        vault.close()


def test_roles_who_may_not_see_cases_are_refused(desk):
    vault, case, *_ = desk
    admin = reopen_as(vault, "alice")
    try:
        with pytest.raises(AuthError):
            build_report(admin, "case", case.reference)
        with pytest.raises(AuthError):
            build_report(admin, "relationship-map", case.reference)
    finally:
        admin.close()


def test_the_cli_prints_a_case_and_its_map(desk, spocdesk, tmp_path):
    vault, case, *_ = desk
    path = vault.path
    vault.close()
    out = tmp_path / "case.pdf"
    result = spocdesk("report", path, "case", case.reference, "--out", out, "--user", "bob", "--passphrase-stdin",
                      stdin=OTHER_PASSPHRASE + "\n")
    assert result.code == 0, result.err
    assert f"Wrote Case summary {case.reference}" in result.out and out.exists()
    out_map = tmp_path / "map.pdf"
    result = spocdesk("report", path, "relationship-map", case.reference, "--out", out_map, "--user", "bob",
                      "--passphrase-stdin", stdin=OTHER_PASSPHRASE + "\n")
    assert result.code == 0, result.err
    assert len(PdfReader(io.BytesIO(out_map.read_bytes())).pages) >= 1
    result = spocdesk("report", path, "case", "CASE-1999-0001", "--out", tmp_path / "none.pdf", "--user", "bob",
                      "--passphrase-stdin", stdin=OTHER_PASSPHRASE + "\n")
    assert result.code == 4 and result.err.count("\n") == 1 and "Traceback" not in result.err
    assert "There is no case CASE-1999-0001" in result.err
    result = spocdesk("report", path, "case", case.reference, "--out", tmp_path / "a.pdf", "--user", "alice",
                      "--passphrase-stdin", stdin="kettle orbit marble 42\n")
    assert result.code == 3 and "Traceback" not in result.err


def test_write_pngs_for_looking(desk, tmp_path):
    """Not an assertion of looks: leaves the PDFs where a person can render and look at them."""
    vault, case, meeting, _ = desk
    import os

    folder = os.environ.get("SPOCDESK_LOOK_DIR")
    if not folder:
        pytest.skip("set SPOCDESK_LOOK_DIR to keep the PDFs")
    for kind, ref in (("case", case.reference), ("relationship-map", case.reference),
                      ("meeting-pack", meeting.reference)):
        save_pdf(build_report(vault, kind, ref).data, f"{folder}/{kind}.pdf", replace=True)
