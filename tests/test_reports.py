"""Printed documents: the OFFICIAL-SENSITIVE template on every page of every kind, user text printed
literally (never as markup, links or images), names in many scripts, permissions, audit, CLI."""

from __future__ import annotations

import io
import os
import re
import stat

import pytest
from pypdf import PdfReader

from conftest import OTHER_PASSPHRASE
from desk_helpers import make_desk, reopen_as, request_data, response_data
from app import breaches, complaints
from app import requests as rq
from app import responses as rs
from app.errors import AuthError, InvalidInput
from app.reports import KINDS, build_report, record_use, recovery_key_sheet, save_pdf
from app.reports.template import clean

NAMES = {
    "Romanian": "Ștefan Țăranu-Mureșan",
    "Vietnamese": "Nguyễn Thị Ánh Tuyết",
    "Polish": "Łukasz Żółćiński",
    "Albanian": "Shpëtim Çela",
    "Cyrillic": "Олександр Шевченко",
    "Greek": "Γιώργος Παπαδόπουλος",
}
HOSTILE = ['<b>unclosed', '&amp; stays &amp;', '<a href="https://example.invalid/x">click</a>']


@pytest.fixture
def desk(tmp_path):
    """A police desk with one request sent to three agencies, two answered, and a breach."""
    vault = make_desk(tmp_path / "dcon.vault")
    secret_file = tmp_path / "secret.png"
    secret_file.write_bytes(b"\x89PNG\r\n\x1a\n not really an image but must never be read")
    hostile_image = f'<img src="{secret_file}" width="50" height="50"/>'
    subjects = [{"subject": {"kind": "person", "name": name}, "role": "potential-victim"} for name in NAMES.values()]
    subjects.append({"subject": {"kind": "person", "name": HOSTILE[0], "aliases": [HOSTILE[2]]},
                     "role": "suspected-perpetrator"})
    data = request_data(subjects=subjects, information=f"Seen at the house. {hostile_image} {HOSTILE[1]}",
                        check_request="Check " + HOSTILE[2])
    request = rq.create_request(vault, data)
    rq.send_to_agencies(vault, request.id, ["HMRC", "GLAA", "DCC/CSIS"])
    request = rq.get_request(vault, request.id)
    by_agency = {d.agency: d for d in request.dispatches}
    rs.receive_response(vault, by_agency["HMRC"].id, response_data(disclosed_text="Employer: " + HOSTILE[0]))
    rs.receive_response(vault, by_agency["GLAA"].id, {"kind": "nil-return", "responder_name": "G. Inspector"})
    vault = reopen_as(vault, "dora", "dpm")
    breaches.create_breach(vault, {"reporter": "DC Sam Lee", "agency": "DCON", "category": "device-loss",
                                   "aware_at": "28/11/2026 08:30", "facts": "Laptop lost. " + HOSTILE[0],
                                   "containment": "Wiped remotely."})
    complaints.create_complaint(vault, {"complainant_kind": "data-subject", "complainant": "A. Person " + HOSTILE[2],
                                        "agency": "DCON", "about": "Shared without cause. " + HOSTILE[0],
                                        "received_at": "28/11/2026 09:00", "received_how": "letter"})
    vault = reopen_as(vault, "bob")
    yield vault, request, hostile_image, secret_file
    vault.close()


def pages_text(data: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]


def top_and_bottom(page) -> tuple[str, str]:
    """The highest and the lowest text on a page, by position (not by drawing order)."""
    placed = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            placed.append((tm[5] * cm[3] + cm[5], text.strip()))

    page.extract_text(visitor_text=visit)
    placed.sort()
    return placed[-1][1], placed[0][1]


def check_template(report) -> list[str]:
    """Every page: the marking at top and bottom, the reference, Page N of M with the right M."""
    texts = pages_text(report.data)
    assert len(texts) == report.page_count >= 1
    for number, (text, page) in enumerate(zip(texts, PdfReader(io.BytesIO(report.data)).pages), start=1):
        assert text.count("OFFICIAL-SENSITIVE") >= 2, f"page {number} lacks the marking twice"
        assert top_and_bottom(page) == ("OFFICIAL-SENSITIVE", "OFFICIAL-SENSITIVE"), f"page {number}"
        assert f"Page {number} of {len(texts)}" in text
        assert report.reference in text
        assert "Printed by" in text and "Audit chain head" in text
    return texts


def no_links_or_images(data: bytes) -> None:
    reader = PdfReader(io.BytesIO(data))
    for page in reader.pages:
        assert "/Annots" not in page, "a link annotation was made from user text"
        resources = page.get("/Resources") or {}
        xobjects = resources.get("/XObject") or {}
        assert not list(xobjects.keys()), "an image was embedded"
        assert len(page.images) == 0


def as_role(vault, user, role):
    return reopen_as(vault, user, role)


def test_every_kind_carries_the_marking_reference_and_page_count(desk):
    vault, request, _, _ = desk
    built = {
        "request": build_report(vault, "request", request.reference),
        "response": build_report(vault, "response", f"{request.reference}/HMRC"),
        "collation": build_report(vault, "collation", request.reference),
        "disclosures": build_report(vault, "disclosures", "all"),
        "disclosures-one": build_report(vault, "disclosures", request.reference),
    }
    for report in built.values():
        check_template(report)
    vault = reopen_as(vault, "dora")
    built["breach"] = build_report(vault, "breach", "BR-2026-0001")
    built["breach-register"] = build_report(vault, "breach-register", "all")
    built["corrections"] = build_report(vault, "corrections", "all")
    built["complaint"] = build_report(vault, "complaint", "CP-2026-0001")
    built["audit"] = build_report(vault, "audit", "all")
    built["audit-one"] = build_report(vault, "audit", request.reference)
    built["agreement-register"] = build_report(vault, "agreement-register", "all")  # issue 20
    built["compliance"] = build_report(vault, "compliance", "2026-01-01..2026-12-31")
    built["recovery"] = recovery_key_sheet(vault, "3AY2-M5YW-HPHZ-ACXR-6RA3-QMKR-ZMZJ-5SF0-XTCJ")
    for report in built.values():
        check_template(report)
        assert report.filename.endswith(".pdf") and report.filename.startswith(report.reference.replace("/", "-"))
    # meeting-pack, case and relationship-map, and the retention and subject access kinds have their
    # own tests (tests/test_meetings.py, tests/test_case_reports.py, tests/test_subject_access.py,
    # tests/test_consent.py for the consents register).
    assert {k for k in KINDS if k not in ("meeting-pack", "case", "relationship-map", "consents")
            and not KINDS[k][0].startswith("app.reports.information_rights")} <= {r.kind for r in built.values()}
    assert built["response"].reference == f"{request.reference}/HMRC"
    vault.close()


def test_a_long_document_counts_its_pages_on_every_page(desk):
    vault, request, _, _ = desk
    long_text = ("Line of intelligence about the premises and its occupants. " * 40 + "\n") * 30
    vault.db.execute("UPDATE requests SET information = ? WHERE id = ?", (long_text, request.id))
    report = build_report(vault, "request", request.reference)
    assert report.page_count >= 5
    check_template(report)


def test_partner_information_carries_the_conditions_and_subjects_the_warning(desk):
    vault, request, _, _ = desk
    response = pages_text(build_report(vault, "response", f"{request.reference}/HMRC").data)
    for text in response:
        flat = " ".join(text.split())
        assert "Conditions of use (section 6)" in flat and "6.3 The data must be treated as private" in flat
        assert "should not be given any indication that this request has been made" in flat
    # This desk's own request names subjects but holds no other partner's information.
    own = pages_text(build_report(vault, "request", request.reference).data)
    assert all("Conditions of use (section 6)" not in " ".join(t.split()) for t in own)
    assert all("should not be given any indication" in " ".join(t.split()) for t in own)


def test_hostile_text_prints_literally_and_embeds_no_image_or_link(desk):
    vault, request, hostile_image, secret_file = desk
    for kind, ref in (("request", request.reference), ("collation", request.reference),
                      ("response", f"{request.reference}/HMRC")):
        report = build_report(vault, kind, ref)
        flat = " ".join(" ".join(pages_text(report.data)).split())
        assert "<b>unclosed" in flat, kind
        no_links_or_images(report.data)
        assert b"not really an image" not in report.data
    request_text = " ".join(" ".join(pages_text(build_report(vault, "request", request.reference).data)).split())
    assert "&amp; stays &amp;" in request_text
    assert '<a href="https://example.invalid/x">click</a>' in request_text
    assert " ".join(hostile_image.split()) in request_text


def test_names_in_many_scripts_extract_back_exactly(desk):
    vault, request, _, _ = desk
    text = "\n".join(pages_text(build_report(vault, "request", request.reference).data))
    for script, name in NAMES.items():
        assert name in text, f"{script} name {name!r} did not survive"


def test_hidden_characters_are_shown_not_obeyed():
    assert clean("Ion\u202ePopescu") == "Ion\u27e6U+202E\u27e7Popescu"
    assert clean("a\x00b") == "a\u27e6U+0000\u27e7b"
    assert clean("\ud800x") == "\ufffdx"
    assert clean("line one\r\nline two\rthree") == "line one\nline two\nthree"  # line ends are not hidden


def test_characters_the_fonts_cannot_draw_print_as_their_codes_not_blanks(desk):
    """A Chinese name must not print as blank boxes: the reader sees where each character is."""
    vault, request, _, _ = desk
    assert clean("王秀英 (Wang Xiuying)") == "\u27e6U+738B\u27e7\u27e6U+79C0\u27e7\u27e6U+82F1\u27e7 (Wang Xiuying)"
    subject = request.subjects[0]
    vault.db.execute("UPDATE subjects SET name = ? WHERE id = ?", ("王秀英 (Wang Xiuying)", subject.id))
    text = "".join("".join(pages_text(build_report(vault, "request", request.reference).data)).split())
    assert "\u27e6U+738B\u27e7\u27e6U+79C0\u27e7\u27e6U+82F1\u27e7(WangXiuying)" in text  # wrapped in its cell


def test_each_kind_needs_the_right_role(desk):
    vault, request, _, _ = desk
    with pytest.raises(AuthError):
        build_report(vault, "breach-register", "all")
    with pytest.raises(AuthError):
        build_report(vault, "audit", "all")
    vault = reopen_as(vault, "alice")  # the administrator does not read requests
    with pytest.raises(AuthError):
        build_report(vault, "request", request.reference)
    build_report(vault, "audit", "all")
    vault.close()


def test_unknown_kinds_and_references_are_clear_errors(desk):
    vault, request, _, _ = desk
    with pytest.raises(InvalidInput, match="Unknown report kind"):
        build_report(vault, "minutes", "x")
    with pytest.raises(InvalidInput, match="MSR-2026-0099"):
        build_report(vault, "request", "MSR-2026-0099")
    with pytest.raises(InvalidInput, match="was not sent to DWP"):
        build_report(vault, "response", f"{request.reference}/DWP")
    with pytest.raises(InvalidInput, match="REQUEST/AGENCY"):
        build_report(vault, "response", request.reference)


def test_preview_print_and_save_are_audited_by_reference(desk):
    vault, request, _, _ = desk
    report = build_report(vault, "request", request.reference)
    for how in ("previewed", "printed", "saved"):
        record_use(vault, report, how)
    rows = vault.db.query("SELECT actor, action, record_id FROM audit_events WHERE action LIKE 'report.%' ORDER BY seq")
    # Making it is an event of its own, before the footer's head is taken (issue 16).
    assert [(r["actor"], r["action"], r["record_id"]) for r in rows] == [
        ("bob", f"report.{how}", request.reference) for how in ("generated", "previewed", "printed", "saved")]


def test_save_pdf_is_private_whole_and_never_overwrites_by_accident(tmp_path):
    target = tmp_path / "MSR-2026-0001-request.pdf"
    save_pdf(b"%PDF-1.4 first", target)
    if os.name == "posix":
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with pytest.raises(InvalidInput, match="already exists"):
        save_pdf(b"%PDF-1.4 second", target)
    assert target.read_bytes() == b"%PDF-1.4 first"
    save_pdf(b"%PDF-1.4 second", target, replace=True)
    assert target.read_bytes() == b"%PDF-1.4 second"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]
    with pytest.raises(InvalidInput, match="does not exist"):
        save_pdf(b"x", tmp_path / "missing" / "a.pdf")


def test_cli_report_writes_a_marked_pdf_and_refuses_bad_input(desk, spocdesk, tmp_path):
    vault, request, _, _ = desk
    path = vault.path
    vault.close()
    out = tmp_path / "out.pdf"
    auth = ["--user", "bob", "--passphrase-stdin"]
    result = spocdesk("report", str(path), "collation", request.reference, "--out", str(out), *auth,
                      stdin=OTHER_PASSPHRASE + "\n")
    assert result.code == 0, result.err
    assert re.search(r"Wrote Collation of responses MSR-2026-0001 to .*out\.pdf \(\d+ pages?, OFFICIAL-SENSITIVE\)",
                     result.out)
    assert "OFFICIAL-SENSITIVE" in pages_text(out.read_bytes())[0]
    again = spocdesk("report", str(path), "collation", request.reference, "--out", str(out), *auth,
                     stdin=OTHER_PASSPHRASE + "\n")
    assert again.code == 4 and "already exists" in again.err and "Traceback" not in again.err
    missing = spocdesk("report", str(path), "request", "MSR-2026-0042", "--out", str(tmp_path / "m.pdf"), *auth,
                       stdin=OTHER_PASSPHRASE + "\n")
    assert missing.code == 4 and "MSR-2026-0042" in missing.err and not (tmp_path / "m.pdf").exists()
    wrong_kind = spocdesk("report", str(path), "minutes", "x", "--out", str(tmp_path / "k.pdf"), *auth,
                          stdin=OTHER_PASSPHRASE + "\n")
    assert wrong_kind.code == 2 and "Unknown report kind" in wrong_kind.err
    forbidden = spocdesk("report", str(path), "breach-register", "--out", str(tmp_path / "b.pdf"), *auth,
                         stdin=OTHER_PASSPHRASE + "\n")
    assert forbidden.code == 3 and not (tmp_path / "b.pdf").exists()


def test_meeting_pack_has_statement_signature_table_cases_and_4p_actions(desk):
    from app import meetings as mt

    vault, request, _, _ = desk
    earlier = mt.create_meeting(vault, {"held_at": "01/11/2026 10:00", "place": "Ripley HQ", "chair": "DI Amy Clarke"})
    mt.add_action(vault, earlier.reference, {"category": "protect", "text": "Earlier: NRM referral",
                                             "owner_agency": "DCC", "due_date": "2026-11-10"})
    meeting = mt.create_meeting(vault, {"held_at": "20/11/2026 10:00", "place": "Ripley HQ, room 4",
                                        "chair": "DI Amy Clarke", "notes": HOSTILE[0]})
    for name, agency in (("Sam Lee", "DCON"), ("Pat Jones", "DCC"), ("Kim Wu", "GLAA")):
        attendee = mt.add_attendee(vault, meeting.reference, {"name": name, "role_title": "SPOC", "agency": agency})
        mt.record_acceptance(vault, meeting.reference, attendee.id)
    mt.add_agenda_request(vault, meeting.reference, request.reference)
    case = mt.add_agenda_case(vault, meeting.reference, "Car wash on Ashbourne Road", notes=HOSTILE[2])
    mt.add_decision(vault, meeting.reference, "Joint visit next week.", agenda_item_id=case.id)
    mt.add_action(vault, meeting.reference, {"category": "pursue", "text": "Check the director's companies",
                                             "owner_agency": "DCON", "due_date": "2026-12-10",
                                             "agenda_item_id": case.id})
    vault = reopen_as(vault, "carla", "chair")
    report = build_report(vault, "meeting-pack", meeting.reference.lower())
    texts = check_template(report)
    flat = " ".join(" ".join(texts).split())
    statement = " ".join(" ".join(t.split()) for t in texts if "Confidentiality Statement" in t)
    assert "All partners have agreed boundaries of confidentiality" in statement
    assert "Signature" in statement and "Sam Lee" in statement and "Kim Wu" in statement
    assert "1. Request MSR-2026-0001" in flat and "2. Case: Car wash on Ashbourne Road" in flat
    assert all(name in flat for name in NAMES.values())  # the request's subjects, in every script
    assert "Check the director's companies" in flat and "Earlier: NRM referral" in flat
    assert HOSTILE[0] in flat and HOSTILE[2] in flat
    no_links_or_images(report.data)
    assert report.filename == f"{meeting.reference}-meeting-pack.pdf"
    vault = reopen_as(vault, "alice")
    with pytest.raises(AuthError):
        build_report(vault, "meeting-pack", meeting.reference)
    vault.close()


def test_printed_deadlines_are_dates_and_times_never_a_countdown(desk):
    """Paper is read hours later: a breach's clocks print "due dd/mm/yyyy HH:MM", not "3 hours
    left", and an overdue answer prints the date it was due, not "OVERDUE by 2 days"."""
    from app.timeutil import london_display

    vault, _request, _, _ = desk
    vault = reopen_as(vault, "dora")
    breach = breaches.list_breaches(vault, audit=False)[0]
    dpm, ico = breach.clocks()
    for kind, ref in (("breach", breach.reference), ("breach-register", "all")):
        flat = " ".join(" ".join(check_template(build_report(vault, kind, ref))).split())
        assert london_display(dpm.deadline) in flat and london_display(ico.deadline) in flat
        assert not re.search(r"\d+ (hours?|minutes?|days?) left", flat)
        assert not re.search(r"OVERDUE by", flat)


def test_the_meeting_pack_keeps_headings_with_their_content_and_no_page_of_empty_boxes(desk):
    from app import meetings as mt

    vault, request, _, _ = desk
    meeting = mt.create_meeting(vault, {"held_at": "20/11/2026 10:00", "place": "Ripley HQ", "chair": "DI Amy Clarke"})
    for n in range(6):
        item = mt.add_agenda_case(vault, meeting.reference, f"Case {n}", notes="Background. " * (40 + 25 * n))
        for d in range(4):
            mt.add_decision(vault, meeting.reference, f"Decision {n}.{d}: " + "visit " * 30, agenda_item_id=item.id)
    vault = reopen_as(vault, "carla", "chair")
    report = build_report(vault, "meeting-pack", meeting.reference)
    if os.environ.get("SPOCDESK_KEEP_PDF"):
        open(os.environ["SPOCDESK_KEEP_PDF"], "wb").write(report.data)
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(report.data)).pages]
    bodies = [text.split(" OFFICIAL-SENSITIVE OFFICIAL-SENSITIVE Tactical meeting pack")[0].strip()
              for text in pages]  # the page's own content: the marking, header and footer come after it
    for body in bodies:
        # no page whose only content is a box to write in
        assert re.sub(r"Notes on this item|Any other business( and notes)?|Notes", "", body).strip()
        # a heading is never the last thing on its page, its content overleaf
        assert not body.endswith(("Decisions recorded", "Notes for the meeting"))
        assert not re.search(r"\d\. Case \d$", body)
    assert sum("Notes on this item" in p for p in pages) <= 6  # one box per item at most, none moved on


def test_printed_declaration_names_the_dpa_2018_successors(desk):
    vault, request, _, _ = desk
    text = " ".join(" ".join(pages_text(build_report(vault, "request", request.reference).data)).split())
    assert "S 29(3) [now Data Protection Act 2018, Schedule 2, Part 1, paragraph 2" in text
    assert "S 35(1) [now Data Protection Act 2018, Schedule 2, Part 1, paragraph 5" in text
    vault.close()
