"""A hostile-string corpus (markup, SQL, bidi controls, 10,000 characters, every Unicode plane)
through create, export, import and the reports: no exception, text unchanged, no link, image or
file read from user text.

Unpaired surrogates (U+D800..U+DFFF alone) are not text: UTF-8 cannot encode them, so no vault,
exchange file or PDF can hold them. The decision: they are refused with a clear error (exit 4 on
import, nothing written), never stored or silently replaced; a JSON file can still carry one as
a `\\ud800` escape, which is what the import test feeds in.
"""

from __future__ import annotations

import builtins
import io
import json
import re
from pathlib import Path

import pytest

from app import exchange
from app.errors import InvalidInput
from app.requests import create_request

from conftest import PASSPHRASE, REPO
from desk_helpers import make_desk, request_data

# One character from each of the 17 planes (assigned where the plane has any; 4-13 are all
# unassigned code points, 15-16 private use): all valid scalar values, all UTF-8 encodable.
PLANES = "".join(chr(cp) for cp in (
    0x00E9, 0x1D518, 0x20000, 0x30000, 0x40000, 0x50000, 0x60000, 0x70000, 0x80000, 0x90000,
    0xA0000, 0xB0000, 0xC0000, 0xD0000, 0xE0100, 0xF0000, 0x10FFFD))
CORPUS = {
    "markup": '<b>bold</b> <a href="file:///etc/passwd">link</a> <img src="/etc/passwd"/> '
              '<link href="https://example.invalid">x</link> <font color=red>&amp; &lt; &#65;</font> <para>',
    "sql": "Robert'); DROP TABLE requests; -- \" OR 1=1 -- %_ \\ ; SELECT * FROM meta",
    "bidi": "Ion \u202ePopescu\u202c \u2067x\u2069 zero\u200bwidth \u200e\u200f",
    "long": ("Ten thousand characters. " * 400)[:10_000],
    "planes": PLANES + " Ωμέγα Шевченко 中文 עברית العربية 🙂",
    "controls": "tab\there\r\nline\u0085next\u2028sep",
    "csv": "=HYPERLINK(\"http://x\") +1 -1 @SUM(A1)",
}
TEXT_FIELDS = ("information", "check_request", "requester_name", "requester_team")


def _hostile_request(name: str, text: str) -> dict:
    subjects = request_data()["subjects"]
    subjects[0] = {"subject": {"kind": "person", "name": (text[:200] or "x"), "aliases": [text[:300]],
                               "addresses": [text[:500]]}, "role": "suspected-perpetrator"}
    return request_data(information=text, check_request=text, requester_name=text[:200] or "x",
                        requester_team=text[:200], subjects=subjects)


@pytest.fixture
def hostile_desk(tmp_path):
    """A SPOC desk with one request per corpus entry; yields (vault, {reference: name})."""
    vault = make_desk(tmp_path / "hostile.vault")
    made = {}
    for name, text in CORPUS.items():
        request = create_request(vault, _hostile_request(name, text))
        made[request.reference] = name
    yield vault, made
    vault.close()


def _texts(doc: dict) -> dict:
    out = {}
    subjects = {s["id"]: s for s in doc["subjects"]}
    for r in doc["requests"]:
        first = subjects[r["subjects"][0]["subject_id"]]
        out[r["reference"]] = ([r[f] for f in TEXT_FIELDS], first["name"], first["aliases"], first["addresses"])
    return out


def test_corpus_goes_through_export_and_import_unchanged(hostile_desk, tmp_path):
    from app.vault import Vault

    vault, made = hostile_desk
    path = vault.path
    vault.close()
    admin = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    try:
        doc = exchange.export_vault(admin)
    finally:
        admin.close()
    expected = _texts(doc)
    for reference, name in made.items():
        fields, *_ = expected[reference]
        assert fields[0] == CORPUS[name] and fields[1] == CORPUS[name], name
    out = tmp_path / "hostile.json"
    exchange.write_file(doc, out)
    target = make_desk(tmp_path / "target.vault", agency="DCON", role="admin")
    try:
        summary = exchange.import_file(target, out)
        assert summary.requests_added == len(CORPUS)
        again = exchange.export_vault(target)
    finally:
        target.close()
    assert _texts(again) == expected


def test_an_unpaired_surrogate_is_refused_cleanly(hostile_desk, tmp_path):
    vault, _made = hostile_desk
    with pytest.raises(InvalidInput, match="surrogate"):
        create_request(vault, request_data(information="before \ud800 after"))
    vault.close()
    from app.vault import Vault

    admin = Vault.open(vault.path, user="alice", passphrase=PASSPHRASE)
    try:
        doc = exchange.export_vault(admin)
    finally:
        admin.close()
    doc["requests"][0]["information"] = "before \ud800 after"
    out = tmp_path / "surrogate.json"
    out.write_text(json.dumps(doc), encoding="ascii")  # the escape "\ud800" in the file
    target = make_desk(tmp_path / "t.vault", role="admin")
    try:
        with pytest.raises(InvalidInput, match=r"requests\[0\].*information.*surrogate"):
            exchange.import_file(target, out)
        assert target.db.scalar("SELECT count(*) FROM requests") == 0
    finally:
        target.close()


# ---- reports --------------------------------------------------------------------------------


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def opened_files(monkeypatch):
    """Every path opened while building reports (builtins.open and io.open)."""
    seen: list[str] = []
    real_open = builtins.open

    def watching(file, *args, **kwargs):
        if isinstance(file, (str, Path)):
            seen.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", watching)
    monkeypatch.setattr(io, "open", watching)
    return seen


def _pdf_text(kind: str, name, report, pypdf) -> str:
    """The text of every page; and no link annotation or image on any page."""
    reader = pypdf.PdfReader(io.BytesIO(report.data))
    assert len(reader.pages) == report.page_count
    for page in reader.pages:
        annots = [a.get_object() for a in page.get("/Annots", []) or []]
        assert not [a for a in annots if a.get("/Subtype") == "/Link"], (kind, name)
        xobjects = page.get("/Resources", {}).get("/XObject", {}) or {}
        assert not [x for x in xobjects.values() if x.get_object().get("/Subtype") == "/Image"], (kind, name)
    return "".join(page.extract_text() or "" for page in reader.pages)


def _printed_as_typed(text: str, name: str, kind: str, pages: int) -> None:
    """The corpus entry printed as typed: hidden characters shown as ⟦U+XXXX⟧ (template.clean, by
    design), whitespace and line breaks aside. Unassigned code points of planes 3-14 have no glyph
    in any font, and the shipped DejaVu fonts have none for CJK, so for `planes` the scripts the
    fonts cover are checked (the rest print as empty boxes, never as an error)."""
    from app.reports.template import clean

    if name == "long":
        # All 400 sentences; where a table cell splits across pages the page's furniture can land
        # inside the sentence that straddles the break (at most one per page break).
        assert _squash(text).count("Tenthousandcharacters.") >= 400 - (pages - 1), (kind, name)
        return
    expected = "Ωμέγα Шевченко" if name == "planes" else clean(CORPUS[name])
    assert _squash(expected) in _squash(text), (kind, name)


def _outside(opened: list[str]) -> list[str]:
    # reportlab looks for its own settings file in the user's home at first use (rl_settings):
    # not driven by user text; everything else read is our fonts and installed code.
    assert not [p for p in opened if "passwd" in p or "example.invalid" in p]
    return [p for p in opened
            if not p.startswith(str(REPO / "resources")) and "site-packages" not in p
            and "/lib/python" not in p and Path(p).name != ".reportlab_settings"]


def test_corpus_through_every_report_kind(hostile_desk, opened_files):
    reports = pytest.importorskip("app.reports")
    pypdf = pytest.importorskip("pypdf")
    vault, made = hostile_desk
    built = []
    for reference, name in made.items():
        for kind in ("request", "collation"):
            report = reports.build_report(vault, kind, reference)
            built.append((kind, name, report))
    for kind in ("disclosures", "audit"):
        try:
            built.append((kind, None, reports.build_report(vault, kind, "all")))
        except Exception as exc:  # noqa: BLE001 - a role that may not print it is refused in words, not a crash
            assert type(exc).__name__ == "AuthError", exc
    assert built
    for kind, name, report in built:
        text = _pdf_text(kind, name, report, pypdf)
        if kind == "request" and name in ("markup", "sql", "csv"):
            # Markup and SQL are printed as the characters typed (line breaks aside).
            assert _squash(CORPUS[name]) in _squash(text), (kind, name)
        if kind == "request" and name == "long":
            # All of both 10,000-character fields, across page breaks (with their page furniture).
            assert _squash(text).count("Tenthousandcharacters.") >= 800
    assert _outside(opened_files) == []


def _short(text: str, limit: int = 500) -> str:
    return text[:limit] or "x"


def test_corpus_through_response_meeting_pack_and_breach_reports(hostile_desk, opened_files):
    """The other kinds: a response (REF request/AGENCY) whose every text field is the entry, a
    meeting pack with the entry in attendee names, case titles and notes, decisions, actions and
    further-disclosure decisions, and (as the DPM) a breach report (facts, consequences,
    containment, updates) and the breach register (the reason for not telling the ICO)."""
    reports = pytest.importorskip("app.reports")
    pypdf = pytest.importorskip("pypdf")
    from app import breaches
    from app import meetings as mt
    from app.requests import get_request, send_to_agencies
    from app.responses import receive_response
    from desk_helpers import reopen_as, response_data

    vault, made = hostile_desk
    built = []
    opened_by_builds: list[str] = []  # only while a document is built (the vault's own files aside)

    def build(vault, kind, ref):
        start = len(opened_files)
        report = reports.build_report(vault, kind, ref)
        opened_by_builds.extend(opened_files[start:])
        return report

    # responses
    for reference, name in made.items():
        text = CORPUS[name]
        request = get_request(vault, reference, audit=False)
        send_to_agencies(vault, request.id, ["HMRC"])
        dispatch = next(d for d in get_request(vault, reference, audit=False).dispatches if d.agency == "HMRC")
        receive_response(vault, dispatch.id, response_data(
            responder_name=_short(text, 200), responder_role=_short(text, 200), held_text=text, disclosed_text=text,
            necessary=text, proportionate=text, accurate=text, partnership_answer=text))
        built.append(("response", name, build(vault, "response", f"{reference}/HMRC")))
    # one meeting pack holding every entry
    meeting = mt.create_meeting(vault, {"held_at": "20/11/2026 10:00", "place": _short(CORPUS["markup"]),
                                        "chair": _short(CORPUS["sql"]), "notes": CORPUS["bidi"]})
    for n, (reference, name) in enumerate(made.items()):
        text = CORPUS[name]
        attendee = mt.add_attendee(vault, meeting.reference, {"name": _short(text), "role_title": _short(text),
                                                              "agency": ("DCON", "DCC", "GLAA")[n % 3]})
        mt.record_acceptance(vault, meeting.reference, attendee.id)
        request_item = mt.add_agenda_request(vault, meeting.reference, reference, notes=text)
        case = mt.add_agenda_case(vault, meeting.reference, _short(text), notes=text)
        for item in (request_item, case):
            mt.add_decision(vault, meeting.reference, text, agenda_item_id=item.id)
            mt.add_action(vault, meeting.reference, {"category": "protect", "text": text, "owner_agency": "DCC",
                                                     "due_date": "2026-12-10", "agenda_item_id": item.id})
        mt.record_permission(vault, meeting.reference, {
            "requested_by": _short(text), "requested_by_agency": "DCON", "to_agency": "GLAA", "what": text,
            "reason": text, "granted": n % 2 == 0, "agenda_item_id": case.id})
    built.append(("meeting-pack", None, build(vault, "meeting-pack", meeting.reference)))
    # breaches, as the data protection manager
    vault = reopen_as(vault, "dora", "dpm")
    try:
        references = {}
        for name, text in CORPUS.items():
            breach = breaches.create_breach(vault, {
                "reporter": _short(text), "agency": "DCON", "category": "device-loss",
                "aware_at": "28/11/2026 08:30", "facts": text, "data_categories": text, "consequences": text,
                "containment": text, "remedial": text})
            breaches.add_update(vault, breach.reference, "note", {"text": text})
            breaches.add_update(vault, breach.reference, "risk-assessed", {"risk": "unlikely", "reasons": text})
            # the register's one free-text column: the reason for not telling the ICO
            breaches.add_update(vault, breach.reference, "ico-decision", {"notify": False, "reason": text})
            references[name] = breach.reference
            built.append(("breach", name, build(vault, "breach", breach.reference)))
            # The newest breach heads the register (so its row is whole on the first page, not
            # split around another row's page break).
            built.append(("breach-register", name, build(vault, "breach-register", "all")))
    finally:
        vault.close()

    for kind, name, report in built:
        text = _pdf_text(kind, name, report, pypdf)
        for entry in ([name] if name else list(CORPUS)):
            _printed_as_typed(text, entry, kind, report.page_count)
    assert {k for k, _, _ in built} == {"response", "meeting-pack", "breach", "breach-register"}
    assert _outside(opened_by_builds) == []


def test_corpus_through_subject_access_and_disposal(hostile_desk, opened_files):
    """Issue 19: the corpus through every field of a subject access request (who asked, contact,
    what they asked for, the history, each item's note) and its documents — the subject file, the
    response pack (the request's own text, disclosed) and the schedule of exemptions — then the
    disposal certificate of the same hostile requests, which prints none of their text."""
    reports = pytest.importorskip("app.reports")
    pypdf = pytest.importorskip("pypdf")
    from app import retention, subject_access as sa
    from app.requests import close_request, get_request
    from desk_helpers import reopen_as

    vault, made = hostile_desk
    subjects = {}
    for reference, name in made.items():
        request = get_request(vault, reference, audit=False)
        subjects[name] = request.subjects[0].id
        close_request(vault, request.id)
    vault = reopen_as(vault, "dora", "dpm")
    built = []
    opened_by_builds: list[str] = []  # only while a document is built (the vault's own files aside)

    def build(kind, ref):
        start = len(opened_files)
        report = reports.build_report(vault, kind, ref)
        opened_by_builds.extend(opened_files[start:])
        return report

    try:
        for name, text in CORPUS.items():
            sar = sa.log_request(vault, {"kind": "sar-gdpr", "received_on": "2026-11-30",
                                         "requester_name": _short(text, 500), "requester_contact": _short(text, 2000),
                                         "about": text, "subject_ids": [subjects[name]]})
            sa.add_event(vault, sar.reference, "note", {"text": text[:5000], "on_date": "2026-11-30"})
            sar = sa.gather_items(vault, sar.reference)
            for item in sar.items:
                sa.decide_item(vault, sar.reference, item.id, "disclose", note=text[:5000])
            stored = sa.get_request(vault, sar.reference, audit=False)
            assert (stored.requester_name, stored.about) == (_short(text, 500), text)
            for kind in ("subject-file", "response-pack", "exemption-schedule"):
                built.append((kind, name, build(kind, sar.reference)))
            sa.add_event(vault, sar.reference, "closed", {"on_date": "2026-11-30"})
        cert = retention.dispose(vault, list(made), approve=True, today=__import__("datetime").date(2031, 1, 1))
        certificate = build("disposal-certificate", cert.reference)
    finally:
        vault.close()
    for kind, name, report in built:
        text = _pdf_text(kind, name, report, pypdf)
        if kind == "response-pack":
            _printed_as_typed(text, name, kind, report.page_count)  # the request's information, disclosed
        if kind == "exemption-schedule" and name != "long":
            _printed_as_typed(text, name, kind, report.page_count)  # the item notes
    printed = _pdf_text("disposal-certificate", None, certificate, pypdf)
    assert all(ref in printed for ref in made)
    for name in ("markup", "sql", "bidi", "csv"):
        assert _squash(CORPUS[name][:40]) not in _squash(printed)
    assert _outside(opened_by_builds) == []


def test_corpus_through_complaints_chases_and_malfunctions(hostile_desk, opened_files):
    """Issue 22's new fields: a complaint (who, about, outcome reason, reply), its marked report
    and the register; a chase (to whom, note) and an equipment malfunction (what, the alternative's
    note, the signatory and how), each kept exactly."""
    reports = pytest.importorskip("app.reports")
    pypdf = pytest.importorskip("pypdf")
    import datetime as dt

    from app import chasing, complaints, outages
    from app.records import today_london
    from app.requests import get_request, send_to_agencies
    from desk_helpers import reopen_as

    vault, made = hostile_desk
    promised = (today_london() + dt.timedelta(days=3)).isoformat()
    for n, (reference, name) in enumerate(made.items()):
        text = CORPUS[name]
        request = get_request(vault, reference, audit=False)
        dispatch = send_to_agencies(vault, request.id, ["GLAA"])[0]
        chase, _ = chasing.record_chase(vault, dispatch.id, {"how": "email", "to_whom": _short(text),
                                                             "promised_date": promised, "note": text})
        assert (chase.to_whom, chase.note) == (_short(text), text)
        partner = ("DWP", "DCC", "DCYC", "DFRS", "DHCFT", "DPT", "HMRC")[n]
        outage = outages.record_outage(vault, {"partner": partner, "channel": "cjsm", "fallback": "telephone",
                                               "what": text, "fallback_note": text})
        outage = outages.record_notice(vault, outage.id, {"partner": "HMRC", "signatory": _short(text),
                                                          "how": _short(text)})
        assert (outage.what, outage.fallback_note, outage.notices[0].signatory) == (text, text, _short(text))
        complaints.create_complaint(vault, {"complainant_kind": "data-subject", "complainant": _short(text),
                                            "agency": "DCON", "about": text, "received_at": "28/11/2026 09:00",
                                            "received_how": "letter"})
    vault = reopen_as(vault, "dora", "dpm")
    opened_by_builds: list[str] = []  # only while a document is built (the vault's own files aside)

    def build(kind, ref):
        start = len(opened_files)
        report = reports.build_report(vault, kind, ref)
        opened_by_builds.extend(opened_files[start:])
        return report

    try:
        built = []
        for n, name in enumerate(made.values(), start=1):
            text = CORPUS[name]
            ref = f"CP-2026-{n:04d}"
            complaints.add_update(vault, ref, "outcome", {"outcome": "not-upheld", "reason": text})
            complaints.add_update(vault, ref, "replied", {"how": _short(text), "summary": text})
            assert complaints.get_complaint(vault, ref).about == text
            built.append(("complaint", name, build("complaint", ref)))
        built.append(("breach-register", None, build("breach-register", "all")))
    finally:
        vault.close()
    for kind, name, report in built:
        text = _pdf_text(kind, name, report, pypdf)
        if name is not None:
            _printed_as_typed(text, name, kind, report.page_count)
    assert _outside(opened_by_builds) == []
