"""`demo`: realistic fictitious data of every area, valid by the exchange schema; CLI import/export."""

from __future__ import annotations

import json
import re

import pytest

from app import demo, exchange
from app import requests as rq
from app import responses as rs
from app import search as sr
from app.errors import InvalidInput
from conftest import PASSPHRASE
from desk_helpers import make_desk, reopen_as, request_data


@pytest.fixture(scope="module")
def demo_doc(tmp_path_factory):
    from app.vault import crypto
    with crypto.lowered_cost():
        vault = make_desk(tmp_path_factory.mktemp("demo") / "demo.vault", role="admin")
        summary = demo.populate(vault, 400, seed=7)
        doc = exchange.export_vault(vault)
        report = vault.verify()
        vault.close()
    return summary, doc, report


def test_demo_covers_every_area_and_status(demo_doc):
    summary, doc, report = demo_doc
    assert report.ok
    assert summary.requests == 400 and summary.subjects > 400 and summary.responses > 0
    statuses = {d["status"] for r in doc["requests"] for d in r["dispatches"]}
    assert statuses == {"sent", "acknowledged", "responded", "nil-return", "declined"}
    assert {r["status"] for r in doc["requests"]} == {"draft", "open", "closed"}
    assert {d["kind"] for d in doc["disclosures"]} == {"request", "response", "onward", "meeting"}
    assert {s["kind"] for s in doc["subjects"]} == {"person", "business", "location"}
    assert doc["contacts"] and doc["partner_suspensions"]
    names = " ".join(s["name"] for s in doc["subjects"])
    assert re.search("[ăâîșț]", names)  # Romanian
    assert re.search("[ễệạảốồơưđĐ]|Nguyễn|Trần", names)  # Vietnamese
    assert re.search("[ëç]", names)  # Albanian
    assert re.search("[łżźśńę]", names)  # Polish
    assert re.search("[А-Яа-яІіЇї]", names)  # Cyrillic script
    refs = [r["reference"] for r in doc["requests"]]
    assert len(set(refs)) == len(refs)


def test_demo_data_passes_the_import_checks(demo_doc, tmp_path):
    _, doc, _ = demo_doc
    exchange.validate_document(doc)
    target = make_desk(tmp_path / "t.vault", role="admin")
    summary = exchange.import_document(target, doc)
    assert summary.requests_added == 400
    spoc = reopen_as(target, "bob", "spoc")
    hits = sr.search(spoc, doc["subjects"][0]["name"].split()[0])
    assert hits.hits
    page = rq.list_requests(spoc, limit=50)
    assert len(page.items) == 50 and page.next_after
    some = next(r for r in doc["requests"] if r["dispatches"])
    assert rs.collation(spoc, some["id"]).rows
    # New requests continue the demo's numbering.
    year = int(doc["requests"][-1]["request_date"][:4])
    new = rq.create_request(spoc, request_data(request_date=doc["requests"][-1]["request_date"]))
    last = max(int(r["reference"].rsplit("-", 1)[1]) for r in doc["requests"] if r["reference"][4:8] == str(year))
    assert new.reference.endswith(f"{last + 1:04d}")
    spoc.close()


def test_demo_size_limits(tmp_path):
    vault = make_desk(tmp_path / "x.vault", role="admin")
    with pytest.raises(InvalidInput):
        demo.populate(vault, 0)
    vault.close()


def test_cli_demo_export_import(spocdesk, tmp_path):
    result = spocdesk("demo", tmp_path / "demo.vault", "--size", "30", "--seed", "1")
    assert result.code == 0, result.err
    passwords = dict(re.findall(r"^(admin|spoc|dpm|chair)\s+\w+\s+(.+)$", result.out, re.M))
    assert set(passwords) == {"admin", "spoc", "dpm", "chair"}
    out = tmp_path / "all.json"
    result = spocdesk("export", tmp_path / "demo.vault", "--out", out, "--unencrypted", "--user", "admin",
                      "--passphrase-stdin", stdin=passwords["admin"] + "\n")
    assert result.code == 0, result.err
    assert "UNENCRYPTED" in result.out
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["format"] == "spocdesk/1" and len(doc["requests"]) == 30
    # A SPOC may not export the whole vault; an existing --out is refused.
    result = spocdesk("export", tmp_path / "demo.vault", "--out", tmp_path / "x.json", "--unencrypted", "--user",
                      "spoc", "--passphrase-stdin", stdin=passwords["spoc"] + "\n")
    assert result.code == 3 and "export the whole vault" in result.err
    assert spocdesk("export", tmp_path / "demo.vault", "--out", out, "--unencrypted", "--user", "admin",
                    "--passphrase-stdin", stdin=passwords["admin"] + "\n").code == 4
    # One request for sending is a sealed package now (`send`), never a readable file.
    sent = next(r for r in doc["requests"] if r["status"] != "draft" and r["dispatches"])
    result = spocdesk("export", tmp_path / "demo.vault", "--out", tmp_path / "one.json", "--request",
                      sent["reference"], "--user", "spoc", "--passphrase-stdin", stdin=passwords["spoc"] + "\n")
    assert result.code == 2 and "spocdesk send" in result.err and not (tmp_path / "one.json").exists()
    # The whole file moves into a new, empty desk of the same agency; never into a live one.
    assert spocdesk("init", tmp_path / "new.vault", "--user", "alice", "--agency", "DCON",
                    "--passphrase-stdin", stdin=f"{PASSPHRASE}\n{PASSPHRASE}\n").code == 0
    result = spocdesk("import", tmp_path / "new.vault", out, "--user", "alice", "--passphrase-stdin",
                      stdin=PASSPHRASE + "\n")
    assert result.code == 0 and "30 requests added" in result.out, result.err
    result = spocdesk("import", tmp_path / "new.vault", out, "--user", "alice", "--passphrase-stdin",
                      stdin=PASSPHRASE + "\n")
    assert result.code == 4 and "never merged into a live desk" in result.err
    assert spocdesk("init", tmp_path / "other.vault", "--user", "alice", "--agency", "DCON",
                    "--passphrase-stdin", stdin=f"{PASSPHRASE}\n{PASSPHRASE}\n").code == 0
    bad = json.loads(out.read_text(encoding="utf-8"))
    bad["requests"][0]["colour"] = "red"
    (tmp_path / "bad.json").write_text(json.dumps(bad), encoding="utf-8")
    result = spocdesk("import", tmp_path / "other.vault", tmp_path / "bad.json", "--user", "alice",
                      "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert result.code == 4 and bad["requests"][0]["reference"] in result.err and "colour" in result.err
    assert len(result.err.strip().splitlines()) == 1
    (tmp_path / "junk.json").write_text("{not json", encoding="utf-8")
    result = spocdesk("import", tmp_path / "other.vault", tmp_path / "junk.json", "--user", "alice",
                      "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert result.code == 4 and "not valid JSON" in result.err


def test_demo_has_tactical_meetings(tmp_path):
    from app import meetings
    from desk_helpers import reopen_as

    vault = make_desk(tmp_path / "demo.vault", role="admin")
    demo.populate(vault, 20, seed=3)
    chair = reopen_as(vault, "carol", "chair")
    try:
        listed = meetings.list_meetings(chair)
        assert [m.status for m in listed] == ["planned", "held", "closed"]
        held = meetings.get_meeting(chair, listed[1].reference)
        assert len(held.agencies) >= 3 and held.all_accepted
        assert {i.kind for i in held.agenda} == {"request", "case"}
        assert all(i.request_reference for i in held.agenda if i.kind == "request")
        assert {a.category for a in held.actions} == {"pursue", "prevent", "protect", "prepare"}
        assert sorted(p.granted for p in held.permissions) == [False, True]
        assert meetings.open_actions_before(chair, held)  # the closed meeting's open actions
    finally:
        chair.close()


def test_demo_has_cases_with_stages_requests_meetings_referrals_and_links(tmp_path):
    """`spocdesk demo` shows a populated Cases area and relationship map (issue 21)."""
    from app import cases as cs, links as lk

    vault = make_desk(tmp_path / "demo.vault", role="admin")
    demo.populate(vault, 30, seed=5)
    spoc = reopen_as(vault, "bob", "spoc")
    try:
        listed = cs.list_cases(spoc, status=None)
        assert len(listed) == 3 and {c.stage for c in listed} == {"tactical-meeting", "four-p-actions", "information"}
        first = cs.get_case(spoc, next(c.id for c in listed if c.stage == "tactical-meeting"))
        assert len(first.requests) == 2 and first.meetings and first.referrals[0].kind == "nrm"
        assert first.referrals[0].rg_decision == "positive"
        second = cs.get_case(spoc, next(c.id for c in listed if c.stage == "four-p-actions"))
        assert any(h.revisit for h in second.history) and second.actions  # the meetings' 4P actions
        assert any(o.what for o in cs.outstanding(spoc, case_id=second.id))  # the duty to notify awaited
        graph = lk.map_graph(spoc, "case", first.id, audit=False)
        assert len(graph.nodes) >= 4 and len(graph.links) >= 4
        kinds = {n.kind for n in graph.nodes.values()}
        assert kinds >= {"person", "vehicle"} and kinds & {"location", "business"}
        agenda = spoc.db.query("SELECT case_id FROM meeting_agenda_items WHERE kind = 'case'")
        assert agenda and all(r["case_id"] for r in agenda)
    finally:
        spoc.close()


def test_demo_has_complaints_chases_and_an_equipment_malfunction(tmp_path):
    """The areas of issue 22 are populated: complaints (10.1), chases (2.6), outages (10.2)."""
    from app import chasing, complaints as cp, outages
    from app.exchange import desks

    vault = make_desk(tmp_path / "demo.vault", role="admin")
    demo.populate(vault, 60, seed=5)
    assert vault.verify().ok
    dpm = reopen_as(vault, "dora", "dpm")
    try:
        listed = {c.complainant_kind: c for c in cp.list_complaints(dpm, status=None)}
        assert set(listed) == {"data-subject", "partner"}
        answered, waiting = listed["data-subject"], listed["partner"]
        assert answered.state.status == "answered" and answered.state.outcome == "not-upheld"
        assert answered.state.replied_at and not answered.is_overdue()
        assert waiting.state.status == "open" and waiting.state.dpm_notified_at is None and waiting.is_overdue()
        assert waiting.complainant_agency and waiting.complainant_agency != vault.agency
    finally:
        dpm.close()
    spoc = reopen_as(vault, "bob", "spoc")
    try:
        chases = spoc.db.query("SELECT dispatch_id, how, promised_date, call_id FROM dispatch_chases ORDER BY seq")
        assert [c["how"] for c in chases] == ["telephone", "email", "email"]
        call = [c for c in desks.calls(spoc) if c["id"] == chases[0]["call_id"]]
        assert call and "Chased the answer" in call[0]["what"]  # the chase is in the telephone log
        for c in chases:  # each dispatch's due date is the date promised at its chase
            assert spoc.db.scalar("SELECT due_date FROM dispatches WHERE id = ?", (c["dispatch_id"],)) == \
                c["promised_date"]
        flags = chasing.flagged(spoc)
        assert [f.dispatch_id for f in flags] == [chases[2]["dispatch_id"]] and flags[0].days_overdue == 4
        listed = outages.list_outages(spoc)
        down = [o for o in listed if o.open]
        assert len(listed) == 2 and len(down) == 1
        assert outages.channel_for(spoc, down[0].partner) == (down[0].fallback, down[0])
        assert down[0].fallback != down[0].channel
        assert all(not outages.missing_notices(o) for o in listed)  # every signatory informed
        repaired = next(o for o in listed if not o.open)
        assert repaired.repaired_at > repaired.down_at and repaired.repair_note
    finally:
        spoc.close()


def test_demo_is_the_same_for_a_seed(tmp_path):
    def contents(name):
        vault = make_desk(tmp_path / name, role="admin")
        demo.populate(vault, 40, seed=9)
        rows = (vault.db.query("SELECT reference, complainant_kind, about FROM complaints ORDER BY seq"),
                vault.db.query("SELECT dispatch_id, how, promised_date FROM dispatch_chases ORDER BY seq"),
                vault.db.query("SELECT partner, channel, fallback FROM channel_outages ORDER BY seq"))
        out = [[tuple(r) for r in part] for part in rows]
        vault.close()
        return out

    first = contents("a.vault")
    assert first == contents("b.vault") and all(first)


def test_a_demo_passphrase_the_rule_would_refuse_is_drawn_again(monkeypatch):
    """About one demo vault in a hundred drew a passphrase the strength rule refuses (a word
    drawn three times): making the demo, and the README's launch command, then failed."""
    import itertools
    import secrets

    from app import cli
    from app.vault import passphrase as rules

    draws = itertools.chain(["pebble"] * 4, itertools.cycle(["amber", "falcon", "quartz", "willow", "orchid"]))
    monkeypatch.setattr(secrets, "choice", lambda _words: next(draws))
    value = cli._demo_passphrase("spoc", "DCON")
    assert value.startswith("amber falcon quartz willow ")
    assert rules.problems(value, ("spoc", "DCON")) == []
    assert rules.problems("pebble pebble pebble pebble 18", ("spoc", "DCON"))  # what was drawn first
