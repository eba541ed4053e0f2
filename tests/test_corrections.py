"""Corrections of inaccurate data (clause 7.2, issue 18): flagging, the notice to the data
controller, the controller's correction with the old value kept, a correction package for every
recipient the disclosure register names, applied on receipt only from the item's origin desk, and
each recipient's receipt closing its line. The "Done when": HMRC corrects a date of birth it gave;
the police desk and the NCA desk both apply it and their receipts close each line at HMRC."""

from __future__ import annotations

import datetime as _dt
import json
import pytest

from app import corrections as cr
from app import requests as rq
from app.errors import AuthError, InvalidInput
from app.exchange import desks, packages
from app.records import Invalid
from conftest import OTHER_PASSPHRASE, PASSPHRASE
from desk_helpers import make_desk, reopen_as, request_data, trust_each_other

HOSTILE = "<b>bold</b> & \u202eevil\u202c \u0000nul " + "z" * 3000
CORRECT_DOB = "1988-05-12"
TABLES = ("subjects", "corrections", "correction_notices", "correction_recipients", "packages")


def state(vault) -> tuple:
    counts = tuple(vault.db.scalar(f"SELECT count(*) FROM {t}") for t in TABLES)  # our constant names
    subjects = tuple(tuple(r) for r in vault.db.query("SELECT * FROM subjects ORDER BY seq"))
    return vault.chain_head(), counts, subjects


@pytest.fixture
def three(tmp_path):
    """HMRC, the police (DCON) and the NCA; HMRC has sent its request (with its subject's date of
    birth) to both, and both have received it."""
    hmrc = make_desk(tmp_path / "hmrc.vault", "HMRC")
    police = make_desk(tmp_path / "dcon.vault", "DCON")
    nca = make_desk(tmp_path / "nca.vault", "NCA")
    trust_each_other(hmrc, police, nca)
    out = tmp_path / "out"
    out.mkdir()
    request = rq.create_request(hmrc, request_data())
    made = packages.send(hmrc, request.reference, ["DCON", "NCA"], out)
    for desk, package in zip((police, nca), made):
        packages.receive(desk, package.path, receipt_out=out)
    yield hmrc, police, nca, out, request
    for vault in (hmrc, police, nca):
        if vault.is_open:
            vault.close()


def subject_id(vault, request) -> str:
    return vault.db.scalar("SELECT s.id FROM subjects s JOIN request_subjects rs ON rs.subject_id = s.id"
                           " WHERE rs.request_id = ? AND s.date_of_birth IS NOT NULL", (request.id,))


def dob(vault, sid) -> str:
    return vault.db.scalar("SELECT date_of_birth FROM subjects WHERE id = ?", (sid,))


def test_done_when_hmrc_corrects_a_date_of_birth_and_both_recipients_apply_it(three):
    hmrc, police, nca, out, request = three
    sid = subject_id(hmrc, request)
    assert dob(police, sid) == "1988-04-12"

    # The police desk finds it wrong: HMRC, the data controller, is told by a sealed notice.
    notice = cr.flag(police, {"item_type": "subject", "item_id": sid, "field": "date_of_birth",
                              "problem": "inaccurate", "details": "Passport seen: born 12 May 1988.",
                              "suggested": "12/05/1988"})
    assert notice.controller == "HMRC" and notice.status == "to-send"
    made = cr.make_notice_package(police, notice.id, out)
    assert made.kind == "correction-notice" and made.agency == "HMRC"
    got = packages.receive(hmrc, made.path, receipt_out=out)
    assert "Correction notice" in got.line and "Ion" not in got.line  # no names in the line printed
    [held] = [n for n in cr.register(hmrc).notices if n.reference == notice.reference]
    assert held.raised_by_agency == "DCON" and held.status == "open"
    packages.receive(police, got.receipt_path)
    assert cr.get_notice(police, notice.id).status == "delivered"

    # HMRC corrects it: the old value kept for the audit, the new one current.
    correction = cr.record_correction(hmrc, {"item_type": "subject", "item_id": sid, "field": "date_of_birth",
                                             "new_value": "12/05/1988", "reason": "Passport checked.",
                                             "notice_id": held.id})
    assert dob(hmrc, sid) == CORRECT_DOB
    assert correction.old_value == "1988-04-12" and correction.new_value == CORRECT_DOB
    assert [r.agency for r in correction.recipients] == ["DCON", "NCA"]  # from the disclosure register
    assert all(r.state == "to-make" for r in correction.recipients)
    assert cr.get_notice(hmrc, held.id).status == "corrected"
    sent = cr.make_correction_packages(hmrc, correction.id, out)
    assert sorted(p.agency for p in sent) == ["DCON", "NCA"]

    receipts = []
    for desk, package in zip((police, nca), sorted(sent, key=lambda p: p.agency)):
        before = desk.chain_head().seq
        got = packages.receive(desk, package.path, receipt_out=out)
        assert dob(desk, sid) == CORRECT_DOB
        today = _dt.datetime.now(_dt.timezone.utc).astimezone(desks_london()).strftime("%d/%m/%Y")
        assert cr.notes_for(desk, "subject", sid) == [f"Corrected by HMRC on {today}: date of birth"]
        actions = [r["action"] for r in desk.db.query("SELECT action FROM audit_events WHERE seq > ?", (before,))]
        assert "correction.applied" in actions  # never silent
        [applied] = cr.corrections_of(desk, "subject", sid)
        assert applied.direction == "applied" and applied.old_value == "1988-04-12"
        receipts.append(got.receipt_path)
    assert cr.get_notice(police, notice.id).status == "corrected"  # the police desk's own notice closes

    assert [r.state for r in cr.get_correction(hmrc, correction.id).recipients] == ["package-made"] * 2
    assert len(cr.outstanding(hmrc)) == 2
    for receipt in receipts:
        packages.receive(hmrc, receipt)
    lines = cr.get_correction(hmrc, correction.id).recipients
    assert [(r.agency, r.state) for r in lines] == [("DCON", "delivered"), ("NCA", "delivered")]
    assert cr.outstanding(hmrc) == []


def desks_london():
    from app.timeutil import london_zone

    return london_zone()


def test_a_correction_from_anyone_but_the_origin_desk_is_refused_and_writes_nothing(three, spocdesk):
    hmrc, police, nca, out, request = three
    sid = subject_id(hmrc, request)
    # The police desk holds HMRC's subject; a correction it seals itself must not apply at the NCA.
    forged = {"format": cr.CORRECTION_FORMAT, "correction_id": "x", "reference": "COR-DCON-2026-0001",
              "item_type": "subject", "item_id": sid, "field": "date_of_birth", "old_value": "1988-04-12",
              "new_value": "1970-01-01", "reason": "", "corrected_at": "2026-03-01T10:00:00+00:00",
              "notice_ids": []}
    data = packages.seal(police, kind="correction", document=json.dumps(forged).encode(),
                         recipient_card=desks.desk_card(nca), reference="COR-DCON-2026-0001",
                         package_id="5d1c0a3e-1f0b-4c1e-9a0b-1c2d3e4f5a6b", head=police.chain_head())
    path = out / "forged.spocpkg"
    path.write_bytes(data)
    before = state(nca)
    with pytest.raises(InvalidInput, match="not the data controller.*only HMRC's desk can correct it"):
        packages.receive(nca, path, receipt_out=out)
    assert state(nca) == before and dob(nca, sid) == "1988-04-12"
    assert not list(out.glob("*receipt_NCA_to_DCON*"))
    path_nca = nca.path
    nca.close()
    result = spocdesk("receive", path_nca, path, "--user", "bob", "--passphrase-stdin",
                      stdin=OTHER_PASSPHRASE + "\n")
    assert result.code == 4 and "only HMRC's desk can correct it" in result.err
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err


def test_only_the_controller_records_a_correction_and_bad_input_names_its_field(three):
    hmrc, police, _nca, _out, request = three
    sid = subject_id(hmrc, request)
    before = state(police)
    with pytest.raises(InvalidInput, match="HM Revenue.*data controller.*Flag it instead"):
        cr.record_correction(police, {"item_type": "subject", "item_id": sid, "field": "date_of_birth",
                                      "new_value": "12/05/1988", "reason": "x"})
    assert state(police) == before
    before = state(hmrc)
    with pytest.raises(Invalid) as err:
        cr.record_correction(hmrc, {"item_type": "subject", "item_id": sid, "field": "date_of_birth",
                                    "new_value": "31/02/1988", "reason": ""})
    fields = {p.field for p in err.value.problems}
    assert fields == {"new_value", "reason"}
    with pytest.raises(Invalid, match="same as the current"):
        cr.record_correction(hmrc, {"item_type": "subject", "item_id": sid, "field": "date_of_birth",
                                    "new_value": "12/04/1988", "reason": "x"})
    with pytest.raises(InvalidInput, match="cannot be corrected here"):
        cr.record_correction(hmrc, {"item_type": "subject", "item_id": sid, "field": "seq",
                                    "new_value": "1", "reason": "x"})
    with pytest.raises(InvalidInput, match="holds no subject"):
        cr.flag(hmrc, {"item_type": "subject", "item_id": "nope", "field": "name", "problem": "inaccurate",
                       "details": "x"})
    with pytest.raises(Invalid) as err:
        cr.flag(hmrc, {"item_type": "subject", "item_id": sid, "field": "", "problem": "wrong", "details": " "})
    assert {p.field for p in err.value.problems} == {"field", "problem", "details"}
    assert state(hmrc) == before


def test_a_flag_on_this_desks_own_item_waits_for_its_own_correction(three):
    hmrc, _police, _nca, out, request = three
    sid = subject_id(hmrc, request)
    notice = cr.flag(hmrc, {"item_type": "subject", "item_id": sid, "field": "name", "problem": "out-of-date",
                            "details": HOSTILE})
    assert notice.status == "open" and notice.details == HOSTILE
    with pytest.raises(InvalidInput, match="not a notice this desk sends"):
        cr.make_notice_package(hmrc, notice.id, out)
    [waiting] = cr.outstanding(hmrc)
    assert waiting.reference == notice.reference and "correct the name" in waiting.what
    declined = cr.decline_notice(hmrc, notice.id, HOSTILE)
    assert declined.status == "declined" and declined.decline_reason == HOSTILE
    assert cr.outstanding(hmrc) == []


def test_hostile_text_survives_the_round_trip_and_a_list_field(three):
    hmrc, police, _nca, out, request = three
    sid = subject_id(hmrc, request)
    notice = cr.flag(police, {"item_type": "subject", "item_id": sid, "field": "aliases", "problem": "inadequate",
                              "details": HOSTILE, "suggested": HOSTILE})
    got = packages.receive(hmrc, cr.make_notice_package(police, notice.id, out).path, receipt_out=out)
    held = [n for n in cr.register(hmrc).notices if n.reference == notice.reference][0]
    assert held.details == HOSTILE and held.suggested == HOSTILE and got.kind == "correction-notice"
    correction = cr.record_correction(hmrc, {"item_type": "subject", "item_id": sid, "field": "aliases",
                                             "new_value": "Johnny P\n" + HOSTILE[:200], "reason": HOSTILE})
    [to_police, _to_nca] = sorted(cr.make_correction_packages(hmrc, correction.id, out), key=lambda p: p.agency)
    packages.receive(police, to_police.path, receipt_out=out)
    aliases = json.loads(police.db.scalar("SELECT aliases FROM subjects WHERE id = ?", (sid,)))
    assert aliases == ["Johnny P", HOSTILE[:200].strip()]
    [applied] = cr.corrections_of(police, "subject", sid)
    assert applied.reason == HOSTILE and applied.old_value == ["Johnny P"]


def test_a_recipient_without_a_trusted_card_stops_every_package(tmp_path, three):
    hmrc, _police, _nca, out, request = three
    sid = subject_id(hmrc, request)
    correction = cr.record_correction(hmrc, {"item_type": "subject", "item_id": sid, "field": "date_of_birth",
                                             "new_value": "12/05/1988", "reason": "x"})
    desks.revoke_partner(hmrc, "NCA", "error")
    before = state(hmrc)
    files = set(out.iterdir())
    with pytest.raises(InvalidInput, match="National Crime Agency"):
        cr.make_correction_packages(hmrc, correction.id, out)
    assert state(hmrc) == before and set(out.iterdir()) == files


def test_roles_flag_and_register(three):
    hmrc, _police, _nca, _out, request = three
    sid = subject_id(hmrc, request)
    chair = reopen_as(hmrc, "carol", "chair")
    cr.flag(chair, {"item_type": "subject", "item_id": sid, "field": "name", "problem": "inaccurate",
                    "details": "Spelt wrongly."})
    with pytest.raises(AuthError):
        cr.register(chair)
    with pytest.raises(AuthError):
        cr.record_correction(chair, {"item_type": "subject", "item_id": sid, "field": "name", "new_value": "X",
                                     "reason": "x"})
    chair.close()


def test_outstanding_is_oldest_first_with_its_age(three):
    hmrc, _police, _nca, _out, request = three
    sid = subject_id(hmrc, request)
    first = cr.flag(hmrc, {"item_type": "subject", "item_id": sid, "field": "name", "problem": "inaccurate",
                           "details": "a"})
    cr.flag(hmrc, {"item_type": "request", "item_id": request.id, "field": "information",
                   "problem": "inadequate", "details": "b"})
    with hmrc.db.transaction():
        hmrc.db.execute("UPDATE correction_notices SET raised_at = ? WHERE id = ?",
                        ("2026-01-01T09:00:00+00:00", first.id))
    items = cr.outstanding(hmrc, now=_dt.datetime(2026, 1, 11, 12, tzinfo=_dt.timezone.utc))
    assert [i.reference for i in items][0] == first.reference and items[0].age_days == 10
    from app.status import vault_status

    assert vault_status(hmrc)["corrections"] == {"notices_open": 2, "recipients_awaiting": 0}


def test_report_prints_the_register_marked_with_hostile_text_and_the_cli_writes_it(three, tmp_path, spocdesk):
    import pypdf

    hmrc, _police, _nca, _out, request = three
    sid = subject_id(hmrc, request)
    cr.flag(hmrc, {"item_type": "subject", "item_id": sid, "field": "name", "problem": "inaccurate",
                   "details": HOSTILE})
    correction = cr.record_correction(hmrc, {"item_type": "subject", "item_id": sid, "field": "date_of_birth",
                                             "new_value": "12/05/1988", "reason": HOSTILE})
    from app.reports import build_report

    report = build_report(hmrc, "corrections", "all")
    assert report.data.startswith(b"%PDF") and report.page_count >= 2  # the long text runs on
    with pytest.raises(InvalidInput, match="printed whole"):
        build_report(hmrc, "corrections", "MSR-2026-0001")
    dpm = reopen_as(hmrc, "dana", "dpm")
    path = dpm.path
    dpm.close()
    pdf = tmp_path / "corrections.pdf"
    auth = ["--user", "dana", "--passphrase-stdin"]
    result = spocdesk("report", path, "corrections", "all", "--out", pdf, *auth, stdin=OTHER_PASSPHRASE + "\n")
    assert result.code == 0, result.err
    assert (pdf.stat().st_mode & 0o777) == 0o600
    words = "\n".join(page.extract_text() for page in pypdf.PdfReader(str(pdf)).pages)
    assert "OFFICIAL-SENSITIVE" in words and correction.reference in words
    assert "12/04/1988" in words and "12/05/1988" in words  # old value kept (marked not current) and new
    assert "<b>bold</b>" in words and "Outstanding" in words
    result = spocdesk("report", path, "corrections", "all", "--out", tmp_path / "x.pdf", "--user", "alice",
                      "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert result.code == 3 and "Traceback" not in result.err  # the administrator may not see it


def test_search_finds_the_corrected_name_not_the_old_one(three):
    from app.search import search

    hmrc, police, _nca, out, request = three
    sid = subject_id(hmrc, request)
    correction = cr.record_correction(hmrc, {"item_type": "subject", "item_id": sid, "field": "name",
                                             "new_value": "Ioan Popesku", "reason": "Spelling checked."})
    [to_police, _] = sorted(cr.make_correction_packages(hmrc, correction.id, out), key=lambda p: p.agency)
    packages.receive(police, to_police.path, receipt_out=out)
    labels = [h.label for h in search(police, "Popesku").hits]
    assert "Ioan Popesku" in labels
    # The old spelling is no longer held: the corrected name is found only as sounding like it.
    old = [h for h in search(police, "Popescu").hits if h.kind == "subject" and h.record_id == sid]
    assert [(h.label, h.match) for h in old] in ([], [("Ioan Popesku", "sounds like")])


def test_disposal_keeps_the_register_by_reference_only(three):
    from app import retention

    hmrc, _police, _nca, _out, request = three
    sid = subject_id(hmrc, request)
    cr.flag(hmrc, {"item_type": "subject", "item_id": sid, "field": "name", "problem": "inaccurate",
                   "details": "Known as Ioan."})
    correction = cr.record_correction(hmrc, {"item_type": "subject", "item_id": sid, "field": "name",
                                             "new_value": "Ioan Popescu", "reason": "Known as Ioan."})
    rq.close_request(hmrc, request.id)
    dpm = reopen_as(hmrc, "dana", "dpm")
    cert = retention.dispose(dpm, [request.reference], approve=True, today=_dt.date(2031, 1, 1))
    kept = cr.get_correction(dpm, correction.id)
    assert kept.reference == correction.reference and kept.old_value == f"Disposed of ({cert.reference})"
    assert "Ion" not in json.dumps([tuple(r) for r in dpm.db.query("SELECT * FROM corrections")])
    assert "Ioan" not in json.dumps([tuple(r) for r in dpm.db.query("SELECT * FROM correction_notices")])
    dpm.close()


def test_migration_13_keeps_every_package_and_takes_the_new_kinds(monkeypatch, tmp_path):
    from app.vault import Vault
    from test_migrations import REAL_MIGRATIONS, ladder

    path = tmp_path / "old.vault"
    with ladder(monkeypatch, tuple(m for m in REAL_MIGRATIONS if m.version <= 11)):
        vault, _ = Vault.create(path, user="alice", passphrase=PASSPHRASE, agency="HMRC")
        with vault.db.transaction():
            vault.db.execute(
                "INSERT INTO packages (package_id, direction, kind, sender_agency, sender_vault_id, doc_sha256,"
                " sender_head_seq, sender_head_mac, created, receipt_state) VALUES ('p1', 'made', 'request', 'HMRC',"
                " 'v', 'h', 1, 'm', '2026-01-01T00:00:00+00:00', 'awaiting')")
        before = [tuple(r) for r in vault.db.query("SELECT * FROM packages")]
        vault.close()
    vault = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    try:
        assert [tuple(r) for r in vault.db.query("SELECT * FROM packages")] == before
        indexes = {r["name"] for r in vault.db.query("SELECT name FROM sqlite_master WHERE tbl_name = 'packages'"
                                                     " AND type = 'index'")}
        assert "packages_request" in indexes
        with vault.db.transaction():
            vault.db.execute("UPDATE packages SET kind = 'correction' WHERE package_id = 'p1'")
        with pytest.raises(Exception, match="CHECK"):
            with vault.db.transaction():
                vault.db.execute("UPDATE packages SET kind = 'nonsense' WHERE package_id = 'p1'")
        assert vault.verify().ok
    finally:
        vault.close()


def test_a_response_hmrc_gave_is_corrected_from_a_police_notice(tmp_path):
    from app import responses as rs
    from desk_helpers import response_data

    hmrc = make_desk(tmp_path / "hmrc.vault", "HMRC")
    police = make_desk(tmp_path / "dcon.vault", "DCON")
    trust_each_other(hmrc, police)
    out = tmp_path
    asked = rq.create_request(police, request_data())
    [made] = packages.send(police, asked.reference, ["HMRC"], out)
    packages.receive(hmrc, made.path, receipt_out=out)
    dispatch = rq.get_request(hmrc, asked.id).dispatches[0]
    answer = rs.record_response(hmrc, dispatch.id, response_data(disclosed_text="Employed by Example Ltd."))
    [back] = packages.send(hmrc, f"{asked.reference}/HMRC", None, out)
    packages.receive(police, back.path, receipt_out=out)

    notice = cr.flag(police, {"item_type": "response", "item_id": answer.id, "field": "disclosed_text",
                              "problem": "out-of-date", "details": "Left Example Ltd in March."})
    assert notice.controller == "HMRC"
    packages.receive(hmrc, cr.make_notice_package(police, notice.id, out).path, receipt_out=out)
    correction = cr.record_correction(hmrc, {"item_type": "response", "item_id": answer.id,
                                             "field": "disclosed_text", "new_value": "Employed by Other Ltd.",
                                             "reason": "Records updated.", "notice_id": notice.id})
    assert [r.agency for r in correction.recipients] == ["DCON"]
    [package] = cr.make_correction_packages(hmrc, correction.id, out)
    got = packages.receive(police, package.path, receipt_out=out)
    assert got.request_id == asked.id and asked.reference in got.line
    assert rs.get_response(police, answer.id).disclosed_text == "Employed by Other Ltd."
    assert cr.notes_for(police, "response", answer.id)[0].endswith(": information disclosed")
    assert cr.get_notice(police, notice.id).status == "corrected"
    hmrc.close()
    police.close()


def test_cli_lists_what_is_outstanding_in_either_order(three, spocdesk):
    hmrc, _police, _nca, _out, request = three
    sid = subject_id(hmrc, request)
    notice = cr.flag(hmrc, {"item_type": "subject", "item_id": sid, "field": "name", "problem": "inaccurate",
                            "details": "Ion is spelt Ioan."})
    dpm = reopen_as(hmrc, "dana", "dpm")
    path = dpm.path
    dpm.close()
    auth = ["--user", "dana", "--passphrase-stdin"]
    for args in (("corrections", path, "list"), ("corrections", "list", path)):
        result = spocdesk(*args, *auth, stdin=OTHER_PASSPHRASE + "\n")
        assert result.code == 0, result.err
        [item] = json.loads(result.out)
        assert item["reference"] == notice.reference and item["kind"] == "notice" and item["age_days"] == 0
        assert "Ioan" not in result.out and "Ion" not in result.out  # no personal data
    result = spocdesk("corrections", path, "list", "--user", "alice", "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert result.code == 3 and "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1


def test_demo_data_fills_the_corrections_area(tmp_path):
    from app import demo

    vault = make_desk(tmp_path / "demo.vault", role="admin")
    demo.populate(vault, 40, seed=3)
    dpm = reopen_as(vault, "dana", "dpm")
    try:
        found = cr.register(dpm, audit=False)
        [notice] = found.notices
        [correction] = found.corrections
        assert notice.raised_by_agency == "HMRC" and notice.controller == "DCON" and notice.status == "open"
        assert correction.recipients and correction.recipients[0].state == "delivered"
        assert cr.notes_for(dpm, "subject", correction.item_id)[0].startswith("Corrected by DCON on ")
        assert dpm.db.scalar("SELECT date_of_birth FROM subjects WHERE id = ?",
                             (correction.item_id,)) == correction.new_value
        waiting = cr.outstanding(dpm)
        assert waiting[0].kind == "notice" and waiting[0].age_days == 8
    finally:
        dpm.close()
