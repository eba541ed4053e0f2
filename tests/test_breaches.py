"""The breach log (clause 10): required fields, the two clocks across daylight saving, the DPM's
append-only updates, suspension across the app (13.2), status, and the exchange round trip."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from app import breaches as br
from app import disclosures, exchange, suspensions
from app import requests as rq
from app import responses as rs
from app.errors import AuthError, InvalidInput
from app.records import Invalid
from app.status import vault_status
from app.timeutil import london_display, parse_london
from app.vault.connection import IntegrityError
from desk_helpers import make_desk, reopen_as, request_data, response_data

UTC = dt.timezone.utc
HOSTILE = [
    "<b>bold</b><script>alert('x')</script>",
    "Robert'); DROP TABLE breaches;--",
    'He said "hello" \\ and \'bye\'',
    "Ana\u202eMaria\u200b\u2066x\u2069",
    "😀👩🏽‍⚕️🇬🇧",
    "x" * 10_000,
    "line one\nline two\ttabbed\r\n",
]


def breach_data(**overrides) -> dict:
    data = {
        "reporter": "DC Sam Lee",
        "agency": "DCON",
        "category": "device-loss",
        "occurred_at": "27/11/2026 18:00",
        "aware_at": "28/11/2026 08:30",
        "facts": "A laptop was left on a train.",
        "data_categories": "Names and addresses in two requests",
        "people_count": "3",
        "records_count": "2",
        "consequences": "Possible identification of potential victims.",
        "containment": "Laptop remotely wiped; BitLocker was on.",
        "remedial": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def dpm(tmp_path):
    vault = make_desk(tmp_path / "dcon.vault", role="dpm")
    yield vault
    if vault.is_open:
        vault.close()


@pytest.fixture
def spoc(tmp_path):
    vault = make_desk(tmp_path / "spoc.vault", role="spoc")
    yield vault
    if vault.is_open:
        vault.close()


# ---- required fields --------------------------------------------------------------------------


def test_cannot_save_without_required_fields_and_each_is_named(spoc):
    with pytest.raises(Invalid) as caught:
        br.create_breach(spoc, {"reporter": "x", "agency": "DCON", "category": "device-loss"})
    messages = dict((p.field, p.message) for p in caught.value.problems)
    assert messages == {
        "aware_at": "Enter the date and time the agency became aware of the breach",
        "facts": "Enter the facts: what happened",
        "containment": "Enter at least one action taken to contain the breach or put it right",
    }
    assert spoc.db.scalar("SELECT count(*) FROM breaches") == 0
    problems, _ = br.validate_breach({})
    assert {p.field for p in problems} == {"reporter", "agency", "category", "aware_at", "facts", "containment"}


def test_bad_values_are_explained(spoc):
    now = dt.datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    problems, _ = br.validate_breach(breach_data(aware_at="31/02/2026 10:00", people_count="lots",
                                                 category="meteor", agency="NOPE"), now=now)
    fields = {p.field: p.message for p in problems}
    assert "real date and 24-hour time" in fields["aware_at"]
    assert "whole number" in fields["people_count"]
    assert "meteor" in fields["category"] and "NOPE" in fields["agency"]
    problems, _ = br.validate_breach(breach_data(aware_at="29/11/2026 10:00"), now=now)
    assert problems == [br.Problem("aware_at", "The time the agency became aware must be now or in the past")]
    problems, _ = br.validate_breach(breach_data(occurred_at="28/11/2026 09:00"), now=now)
    assert [p.field for p in problems] == ["occurred_at"]
    problems, _ = br.validate_breach(breach_data(aware_at="29/03/2026 01:30"), now=now)
    assert "does not exist in UK time" in problems[0].message


def test_create_gives_reference_and_audits_ids_only(spoc):
    first = br.create_breach(spoc, breach_data())
    second = br.create_breach(spoc, breach_data(remedial="Staff reminded", containment=""))
    year = dt.datetime.now(UTC).year
    assert (first.reference, second.reference) == (f"BR-{year}-0001", f"BR-{year}-0002")
    assert first.aware_at == "2026-11-28T08:30:00.000000+00:00"  # GMT in November
    assert first.people_count == 3 and first.state.status == "open" and first.updates == ()
    rows = spoc.db.query("SELECT action, record_id, reason FROM audit_events WHERE record_type = 'breach'")
    assert [r["action"] for r in rows] == ["breach.created", "breach.created"]
    text = json.dumps([dict(r) for r in rows])
    assert "laptop" not in text.lower() and "Sam Lee" not in text
    with pytest.raises(AuthError):  # a SPOC reports but does not read the breach log
        br.list_breaches(spoc)


def test_request_links_by_reference(spoc):
    request = rq.create_request(spoc, request_data())
    breach = br.create_breach(spoc, breach_data(request_refs=f"{request.reference}, "))
    assert breach.request_ids == (request.id,)
    with pytest.raises(Invalid, match="There is no request MSR-2026-0999"):
        br.create_breach(spoc, breach_data(request_refs="MSR-2026-0999"))


# ---- clocks -----------------------------------------------------------------------------------


def test_parse_london_across_both_changes():
    # Last Sunday of March 2026 (29th): 01:00 GMT -> 02:00 BST; 01:30 does not exist.
    assert parse_london("29/03/2026 00:30") == dt.datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert parse_london("29/03/2026 02:30") == dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="does not exist"):
        parse_london("29/03/2026 01:30")
    # Last Sunday of October 2026 (25th): 01:30 happens twice; BST first unless told GMT.
    assert parse_london("25/10/2026 01:30") == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert parse_london("25/10/2026 01:30 BST") == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert parse_london("25/10/2026 01:30 GMT") == dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="was not BST"):
        parse_london("25/12/2026 01:30 BST")


def _state(**changes):
    return br.derive_state([]).__class__(**{**br.derive_state([]).__dict__, **changes})


@pytest.mark.parametrize("aware, dpm_local, ico_local", [
    # Aware on Saturday 28 March 2026 at 09:00 GMT: 24 elapsed hours end at 10:00 BST on Sunday.
    ("28/03/2026 09:00", "29/03/2026 10:00", "31/03/2026 10:00"),
    # Aware just before the spring change: 00:30 GMT + 24 h = 01:30 BST next day.
    ("29/03/2026 00:30", "30/03/2026 01:30", "01/04/2026 01:30"),
    # Aware on Saturday 24 October 2026 at 09:00 BST: 24 hours end at 08:00 GMT on Sunday.
    ("24/10/2026 09:00", "25/10/2026 08:00", "27/10/2026 08:00"),
    # Aware in the repeated hour (first, BST): 01:30 BST + 24 h = 00:30 GMT on Monday.
    ("25/10/2026 01:30", "26/10/2026 00:30", "28/10/2026 00:30"),
])
def test_clock_deadlines_are_elapsed_hours_across_dst(aware, dpm_local, ico_local):
    aware_at = parse_london(aware).isoformat()
    dpm, ico = br.clocks(aware_at, _state(), now=parse_london(aware))
    assert london_display(dpm.deadline) == dpm_local and london_display(ico.deadline) == ico_local
    assert dpm.deadline - parse_utc_text(aware_at) == dt.timedelta(hours=24)
    assert dpm.state == "running" and dpm.delta == dt.timedelta(hours=24)


def parse_utc_text(text):
    return dt.datetime.fromisoformat(text)


def test_time_left_and_lateness_across_the_spring_change():
    aware_at = parse_london("28/03/2026 09:00").isoformat()  # GMT
    # At 08:00 BST on Sunday only 22 hours have passed, though the wall clock moved 23.
    dpm, _ = br.clocks(aware_at, _state(), now=parse_london("29/03/2026 08:00"))
    assert dpm.state == "running" and dpm.delta == dt.timedelta(hours=2)
    assert dpm.text() == "2 hours left (due 29/03/2026 10:00)"
    dpm, _ = br.clocks(aware_at, _state(), now=parse_london("29/03/2026 11:15"))
    assert dpm.state == "overdue" and dpm.text() == "OVERDUE by 1 hour 15 minutes (was due 29/03/2026 10:00)"
    notified = parse_london("29/03/2026 09:59").isoformat()
    dpm, _ = br.clocks(aware_at, _state(dpm_notified_at=notified), now=parse_london("01/04/2026 09:00"))
    assert dpm.state == "met"


def test_time_left_and_lateness_across_the_autumn_change():
    aware_at = parse_london("24/10/2026 09:00").isoformat()  # BST
    # At 08:00 GMT on Sunday 24 hours have passed, though the wall clock moved 23.
    dpm, ico = br.clocks(aware_at, _state(), now=parse_london("25/10/2026 07:00"))
    assert dpm.delta == dt.timedelta(hours=1) and dpm.state == "running"
    late = parse_london("25/10/2026 10:00").isoformat()
    dpm, ico = br.clocks(aware_at, _state(dpm_notified_at=late, ico_decision=False),
                         now=parse_london("30/10/2026 10:00"))
    assert dpm.state == "late" and dpm.delta == dt.timedelta(hours=2)
    assert dpm.text().endswith("2 hours late") and ico.state == "not-needed"
    _, ico = br.clocks(aware_at, _state(ico_decision=True), now=parse_london("27/10/2026 08:01"))
    assert ico.state == "overdue" and ico.delta == dt.timedelta(minutes=1)


# ---- the DPM's updates ------------------------------------------------------------------------


def test_dpm_updates_are_append_only_and_derive_state(dpm):
    breach = br.create_breach(dpm, breach_data(reporter="DPM herself"))
    assert [u.kind for u in breach.updates] == ["dpm-notified"]  # the DPM logged it
    before = [dict(r) for r in dpm.db.query("SELECT * FROM breaches")]
    history = [dict(r) for r in dpm.db.query("SELECT * FROM breach_updates ORDER BY seq")]
    br.add_update(dpm, breach.reference, "controller-informed", {"who": "Chief Constable's office"})
    br.add_update(dpm, breach.id, "risk-assessed", {"risk": "unlikely", "reasons": "Encrypted device"})
    with pytest.raises(Invalid, match="reason for the decision"):
        br.add_update(dpm, breach.id, "ico-decision", {"notify": False})
    with pytest.raises(Invalid, match="whether to tell the ICO"):
        br.add_update(dpm, breach.id, "ico-decision", {"reason": "x"})
    after = br.add_update(dpm, breach.id, "ico-decision", {"notify": False, "reason": "Encrypted; no risk"})
    assert after.state.ico_decision is False and after.state.risk == "unlikely"
    assert after.clocks()[1].state == "not-needed"
    # Earlier history is untouched, and the triggers refuse any rewrite.
    assert [dict(r) for r in dpm.db.query("SELECT * FROM breaches")] == before
    assert [dict(r) for r in dpm.db.query("SELECT * FROM breach_updates ORDER BY seq")][:1] == history
    for sql in ("UPDATE breaches SET facts = 'rewritten'", "DELETE FROM breaches",
                "UPDATE breach_updates SET details = '{}'", "DELETE FROM breach_updates"):
        with pytest.raises(IntegrityError, match="append-only"):
            dpm.db.execute(sql)
    assert [dict(r) for r in dpm.db.query("SELECT * FROM breaches")] == before
    actions = [r["reason"] for r in dpm.db.query(
        "SELECT reason FROM audit_events WHERE action = 'breach.updated' ORDER BY seq")]
    assert actions == ["dpm-notified", "controller-informed", "risk-assessed", "ico-decision"]


def test_every_kind_of_update_and_closing(dpm):
    breach = br.create_breach(dpm, breach_data(category="equipment-malfunction"))
    br.add_update(dpm, breach.id, "risk-assessed", {"risk": "high-risk", "reasons": "Case notes"})
    with pytest.raises(Invalid, match="decision on telling the ICO before closing"):
        br.add_update(dpm, breach.id, "closed", {"reason": "done"})
    br.add_update(dpm, breach.id, "ico-decision", {"notify": True, "reason": "High risk"})
    br.add_update(dpm, breach.id, "ico-notified", {"ico_reference": "IC-12345", "at": "28/11/2026 09:00"})
    with pytest.raises(Invalid, match="why the data subjects were not told"):
        br.add_update(dpm, breach.id, "subjects-told", {"told": "no"})
    br.add_update(dpm, breach.id, "subjects-told", {"told": "no", "reason": "Would prejudice the investigation"})
    br.add_update(dpm, breach.id, "partners-notified", {"partners": ["HMRC", "GLAA"]})
    br.add_update(dpm, breach.id, "alternative-exchange", {"arrangement": "Encrypted USB by hand until repair"})
    br.add_update(dpm, breach.id, "review", {"outcome": "Procedure changed", "lessons": "Spare laptop"})
    br.add_update(dpm, breach.id, "note", {"text": HOSTILE[0]})
    closed = br.add_update(dpm, breach.id, "closed", {"reason": "Reviewed"})
    state = closed.state
    assert state.status == "closed" and state.ico_reference == "IC-12345" and state.subjects_told is False
    assert state.partners_notified == ("HMRC", "GLAA") and state.reviewed
    assert closed.clocks()[1].state == "met"
    with pytest.raises(Invalid, match="closed; reopen it first"):
        br.add_update(dpm, breach.id, "review", {"outcome": "x"})
    assert br.add_update(dpm, breach.id, "reopened", {"reason": "New facts"}).state.status == "open"
    other = br.create_breach(dpm, breach_data())
    with pytest.raises(Invalid, match="equipment malfunction"):
        br.add_update(dpm, other.id, "alternative-exchange", {"arrangement": "x"})
    with pytest.raises(InvalidInput, match="Unknown kind"):
        br.add_update(dpm, other.id, "party", {})
    for line in (u.summary() for u in closed.updates):
        assert isinstance(line, str) and line


def test_update_before_awareness_refused(dpm):
    breach = br.create_breach(dpm, breach_data())
    with pytest.raises(Invalid, match="after the agency became aware"):
        br.add_update(dpm, breach.id, "controller-informed", {"who": "x", "at": "01/01/2026 10:00"})


def test_only_the_dpm_records_updates(spoc):
    breach = br.create_breach(spoc, breach_data())
    with pytest.raises(AuthError):
        br.add_update(spoc, breach.id, "note", {"text": "x"})


# ---- suspension (13.2) ------------------------------------------------------------------------


def test_suspension_blocks_requests_responses_and_onward_disclosures(dpm):
    breach = br.create_breach(dpm, breach_data())
    br.add_update(dpm, breach.id, "suspension-recommended", {"partner": "HMRC", "reason": "Serious breach"})
    assert not suspensions.is_suspended(dpm, "HMRC")
    with pytest.raises(Invalid, match="reason for the decision"):
        br.add_update(dpm, breach.id, "suspension-decided", {"partner": "HMRC", "suspend": True})
    after = br.add_update(dpm, breach.id, "suspension-decided",
                          {"partner": "HMRC", "suspend": True, "reason": "Serious breach under investigation"})
    assert suspensions.is_suspended(dpm, "HMRC") and after.state.suspended_partners == ("HMRC",)
    assert after.updates[-1].details["suspension_id"] == suspensions.current(dpm, "HMRC").id
    br.add_update(dpm, breach.id, "ico-decision", {"notify": False, "reason": "x"})
    with pytest.raises(Invalid, match="Lift the suspension"):
        br.add_update(dpm, breach.id, "closed", {"reason": "x"})
    spoc = reopen_as(dpm, "carol", "spoc")
    request = rq.create_request(spoc, request_data())
    with pytest.raises(InvalidInput, match="HM Revenue & Customs is suspended under clause 13.2"):
        rq.send_to_agencies(spoc, request.id, ["HMRC"])
    rq.send_to_agencies(spoc, request.id, ["GLAA"])
    with pytest.raises(InvalidInput, match="HM Revenue & Customs is suspended under clause 13.2.*nothing can be "
                                           "disclosed"):
        disclosures.record_onward(spoc, request.id, "HMRC", what="collated", lawful_bases=["cda1998-s115"],
                                  channel="cjsm")
    dpm = reopen_as(spoc, "bob")
    lifted = br.add_update(dpm, breach.id, "suspension-lifted", {"partner": "HMRC", "reason": "Investigated"})
    assert not suspensions.is_suspended(dpm, "HMRC") and lifted.state.suspended_partners == ()
    assert "Investigated" in suspensions.history(dpm, "HMRC")[0].lifted_reason
    spoc = reopen_as(dpm, "carol")
    rq.send_to_agencies(spoc, request.id, ["HMRC"])
    spoc.close()


def test_a_partner_desk_cannot_send_a_response_to_a_suspended_requester(tmp_path):
    from app.exchange import packages
    from desk_helpers import trust_each_other

    police = make_desk(tmp_path / "dcon.vault")
    hmrc = make_desk(tmp_path / "hmrc.vault", agency="HMRC")
    trust_each_other(police, hmrc)
    request = rq.create_request(police, request_data())
    [made] = packages.send(police, request.reference, ["HMRC"], tmp_path)
    police.close()
    packages.receive(hmrc, made.path)
    dispatch = next(d for d in rq.get_request(hmrc, request.id).dispatches if d.agency == "HMRC")
    response = rs.record_response(hmrc, dispatch.id, response_data())
    admin = reopen_as(hmrc, "alice")
    suspensions.suspend(admin, "DCON", "breach at the police desk")
    hmrc = reopen_as(admin, "bob")
    with pytest.raises(InvalidInput, match="is suspended under clause 13.2"):
        rs.mark_response_sent(hmrc, response.id)
    out = tmp_path / "out"
    out.mkdir()
    head = hmrc.chain_head()
    with pytest.raises(InvalidInput, match="is suspended under clause 13.2"):
        packages.send(hmrc, f"{request.reference}/HMRC", None, out)
    assert list(out.iterdir()) == [] and hmrc.chain_head() == head
    hmrc.close()


# ---- status -----------------------------------------------------------------------------------


def test_overdue_dpm_notification_in_status(spoc):
    long_ago = (dt.datetime.now(UTC) - dt.timedelta(hours=30)).astimezone(br.LONDON).strftime("%d/%m/%Y %H:%M")
    recent = (dt.datetime.now(UTC) - dt.timedelta(hours=1)).astimezone(br.LONDON).strftime("%d/%m/%Y %H:%M")
    old = br.create_breach(spoc, breach_data(aware_at=long_ago, occurred_at=""))
    br.create_breach(spoc, breach_data(aware_at=recent, occurred_at=""))
    status = vault_status(spoc)["breaches"]
    assert status["open"] == 2 and status["dpm_notification_overdue"] == 1 and status["ico_notification_overdue"] == 0
    clock = next(c for c in status["clocks"] if c["reference"] == old.reference)
    assert clock["dpm"]["state"] == "overdue" and 5.9 < clock["dpm"]["hours_late"] < 6.1
    assert clock["ico"]["state"] == "running"
    assert "laptop" not in json.dumps(status).lower()


def test_register_orders_overdue_first_and_filters(dpm):
    now = dt.datetime.now(UTC)
    local = lambda hours: (now - dt.timedelta(hours=hours)).astimezone(br.LONDON).strftime("%d/%m/%Y %H:%M")
    admin = reopen_as(dpm, "alice")  # a non-DPM reporter, so no automatic DPM notification
    fresh = br.create_breach(admin, breach_data(aware_at=local(1), occurred_at=""))
    late = br.create_breach(admin, breach_data(aware_at=local(40), occurred_at="", category="security-incident"))
    dpm = reopen_as(admin, "bob")
    listed = br.list_breaches(dpm)
    assert [b.reference for b in listed] == [late.reference, fresh.reference]
    assert listed[0].is_overdue() and not listed[1].is_overdue()
    assert [b.reference for b in br.list_breaches(dpm, overdue_only=True)] == [late.reference]
    assert [b.reference for b in br.list_breaches(dpm, category="security-incident")] == [late.reference]
    assert br.list_breaches(dpm, status="closed") == []
    viewed = br.get_breach(dpm, fresh.reference)
    assert viewed.id == fresh.id and dpm.db.scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'breach.viewed' AND record_id = ?", (fresh.id,)) == 1


# ---- exchange ---------------------------------------------------------------------------------


def test_export_import_round_trip_with_breaches_and_hostile_strings(dpm, tmp_path):
    breach = br.create_breach(dpm, breach_data(facts=HOSTILE[0] + HOSTILE[5], reporter=HOSTILE[1],
                                               consequences=HOSTILE[2], containment=HOSTILE[3],
                                               remedial=HOSTILE[6], data_categories=HOSTILE[4]))
    br.add_update(dpm, breach.id, "ico-decision", {"notify": False, "reason": HOSTILE[3]})
    br.add_update(dpm, breach.id, "suspension-decided", {"partner": "GLAA", "suspend": True, "reason": HOSTILE[1]})
    admin = reopen_as(dpm, "alice")
    original = exchange.export_vault(admin)
    assert len(original["breaches"]) == 1 and len(original["breaches"][0]["updates"]) == 3
    path = tmp_path / "whole.json"
    exchange.write_file(original, path)
    other = make_desk(tmp_path / "empty.vault", role="admin")
    summary = exchange.import_file(other, path)
    assert summary.breaches_added == 1 and summary.breach_updates_added == 3
    again = exchange.export_vault(other)
    strip = lambda d: {k: v for k, v in d.items() if k not in ("exported_at", "exported_by", "audit_chain_head",
                                                                "desk")}
    assert strip(again) == strip(original)
    texts = json.dumps(again["breaches"], ensure_ascii=False)
    for value in HOSTILE:
        assert json.dumps(value, ensure_ascii=False)[1:-1] in texts
    assert suspensions.is_suspended(other, "GLAA")
    # A whole-vault file goes only into an empty vault: a second copy, changed or not, is refused,
    # so a held breach or its updates are never rewritten (nor appended to) that way.
    held = (other.chain_head(), other.db.scalar("SELECT count(*) FROM breach_updates"))
    changed = copy.deepcopy(original)
    changed["breaches"][0]["facts"] = "rewritten"
    added = copy.deepcopy(original)
    added["breaches"][0]["updates"].append({"id": "22222222-2222-2222-2222-222222222222", "kind": "note",
                                            "at": "2026-11-28T10:00:00+00:00", "details": {"text": "later"},
                                            "recorded_at": "2026-11-28T10:00:00+00:00", "recorded_by": "dora"})
    for again in (original, changed, added):
        with pytest.raises(InvalidInput, match="never merged into a live desk"):
            exchange.import_document(other, copy.deepcopy(again))
    assert (other.chain_head(), other.db.scalar("SELECT count(*) FROM breach_updates")) == held
    assert other.db.scalar("SELECT facts FROM breaches") != "rewritten"
    other.close()
    admin.close()


def test_import_refuses_bad_breaches_and_changes_nothing(dpm, tmp_path):
    br.create_breach(dpm, breach_data())
    admin = reopen_as(dpm, "alice")
    good = exchange.export_vault(admin)
    other = make_desk(tmp_path / "empty.vault", role="admin")
    for change, fragment in (
            (lambda b: b.update(colour="red"), "colour"),
            (lambda b: b.update(facts=""), r"breaches\[0\] BR-\d{4}-0001: facts"),
            (lambda b: b.update(category="meteor"), "meteor"),
            (lambda b: b["updates"].append({"id": "11111111-1111-1111-1111-111111111111", "kind": "party",
                                            "at": "2026-01-01T00:00:00+00:00", "details": {},
                                            "recorded_at": "2026-01-01T00:00:00+00:00", "recorded_by": "x"}),
             "party"),
            (lambda b: b.update(containment="", remedial=""), "at least one action")):
        doc = copy.deepcopy(good)
        change(doc["breaches"][0])
        with pytest.raises(InvalidInput, match=fragment):
            exchange.import_document(other, doc)
        assert other.db.scalar("SELECT count(*) FROM breaches") == 0
    other.close()
    admin.close()


def test_cli_status_shows_the_overdue_dpm_notification(spoc, spocdesk):
    from conftest import OTHER_PASSPHRASE

    long_ago = (dt.datetime.now(UTC) - dt.timedelta(hours=25)).astimezone(br.LONDON).strftime("%d/%m/%Y %H:%M")
    breach = br.create_breach(spoc, breach_data(aware_at=long_ago, occurred_at=""))
    path = spoc.path
    spoc.close()
    result = spocdesk("status", path, "--user", "bob", "--passphrase-stdin", stdin=OTHER_PASSPHRASE + "\n")
    assert result.code == 0, result.err
    status = json.loads(result.out)["breaches"]
    assert status["open"] == 1 and status["dpm_notification_overdue"] == 1
    assert status["clocks"][0]["reference"] == breach.reference and status["clocks"][0]["dpm"]["state"] == "overdue"
