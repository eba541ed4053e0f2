"""Tactical meetings in the exchange format spocdesk/1: whole-vault round trip, re-import, the
register rows of granted permissions, refusals by the CLI (exit 4, nothing written), and no
meetings in a file made for sending one request (need to know)."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json

import pytest

from app import disclosures, exchange, meetings as mt
from app import requests as rq
from app.errors import InvalidInput
from app.timeutil import LONDON
from app.vault import Vault
from app.vault.migrations import ACTION_STATUSES, MEETING_STATUSES
from conftest import OTHER_PASSPHRASE, PASSPHRASE
from desk_helpers import make_desk, reopen_as, request_data

UTC = dt.timezone.utc
HOSTILE = [
    "<b>bold</b><script>alert('x')</script>",
    "Robert'); DROP TABLE meetings;--",
    'He said "hello" \\ and \'bye\'',
    "Ana\u202eMaria\u200b\u2066x\u2069",
    "😀👩🏽‍⚕️🇬🇧",
    "x" * 10_000,
    "line one\nline two\ttabbed\r\n",
]
MEETING_TABLES = ("meetings", "meeting_attendees", "meeting_agenda_items", "meeting_decisions", "meeting_actions",
                  "meeting_action_updates", "meeting_permissions")
DATA_TABLES = ("requests", "subjects", "dispatches", "responses", "disclosures", "breaches") + MEETING_TABLES


def local(hours_from_now: float) -> str:
    return (dt.datetime.now(UTC) + dt.timedelta(hours=hours_from_now)).astimezone(LONDON).strftime("%d/%m/%Y %H:%M")


def counts(vault) -> dict[str, int]:
    return {t: vault.db.scalar(f"SELECT count(*) FROM {t}") for t in DATA_TABLES}


def clean(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k not in ("exported_at", "exported_by", "audit_chain_head", "desk")}


def populate(spoc) -> dict:
    """Two requests; a closed meeting and a held one with every part, hostile text throughout."""
    first = rq.create_request(spoc, request_data())
    second = rq.create_request(spoc, request_data(information=HOSTILE[2]))
    rq.send_to_agencies(spoc, first.id, ["HMRC"])
    old = mt.create_meeting(spoc, {"held_at": local(-24 * 20), "place": HOSTILE[1], "chair": "DI Amy Clarke",
                                   "attendees": [{"name": "Ann Hughes", "agency": "DCC"}]})
    mt.record_acceptance(spoc, old.id, old.attendees[0].id)
    old_action = mt.add_action(spoc, old.id, {"category": "prepare", "text": HOSTILE[3], "owner_agency": "DHCFT",
                                              "due_date": "2026-04-01"})
    mt.set_status(spoc, old.id, "held")
    mt.set_status(spoc, old.id, "closed")
    mt.update_action(spoc, old_action.id, "done", "Briefing given")  # after closing: actions carry on

    meeting = mt.create_meeting(spoc, {"held_at": local(-2), "place": "Ripley HQ " + HOSTILE[4],
                                       "chair": "DI Amy Clarke", "notes": HOSTILE[5]})
    ann = mt.add_attendee(spoc, meeting.id, {"name": HOSTILE[3], "role_title": HOSTILE[0], "agency": "DCC"})
    mt.add_attendee(spoc, meeting.id, {"name": "Tom Hall", "role_title": "", "agency": "HMRC"})
    mt.record_acceptance(spoc, meeting.id, ann.id, local(-1))
    item = mt.add_agenda_request(spoc, meeting.id, first.reference, HOSTILE[6])
    case = mt.add_agenda_case(spoc, meeting.id, HOSTILE[1], HOSTILE[2])
    mt.add_agenda_request(spoc, meeting.id, second.id)
    mt.move_agenda_item(spoc, meeting.id, case.id, -1)  # the agenda order is not the order added
    mt.add_decision(spoc, meeting.id, HOSTILE[0], case.id)
    mt.add_decision(spoc, meeting.id, "Refer to the NRM")
    action = mt.add_action(spoc, meeting.id, {"category": "protect", "text": HOSTILE[6], "owner_agency": "DCC",
                                              "due_date": "2026-09-01", "agenda_item_id": item.id})
    mt.update_action(spoc, action.id, "open", "Visit booked")
    mt.update_action(spoc, action.id, "done", HOSTILE[4])
    cancelled = mt.add_action(spoc, meeting.id, {"category": "pursue", "text": "Research the directors",
                                                 "owner_agency": "DCON", "due_date": "2026-08-01"})
    mt.update_action(spoc, cancelled.id, "cancelled", "Overtaken")
    mt.add_action(spoc, meeting.id, {"category": "prevent", "text": "Advice visit", "owner_agency": "GLAA",
                                     "due_date": "2026-08-15"})
    granted = mt.record_permission(spoc, meeting.id, {
        "requested_by": "Ann Hughes", "requested_by_agency": "DCC", "to_agency": "DHCFT", "what": HOSTILE[1],
        "reason": "GP registration", "granted": True, "agenda_item_id": item.id})
    mt.record_permission(spoc, meeting.id, {
        "requested_by": "Tom Hall", "requested_by_agency": "HMRC", "to_agency": "DFRS", "what": "Names",
        "reason": HOSTILE[2], "granted": False, "agenda_item_id": case.id})
    mt.record_permission(spoc, meeting.id, {
        "requested_by": "Ann Hughes", "requested_by_agency": "DCC", "to_agency": "GLAA", "what": "Employer",
        "reason": "Labour inspection", "granted": True})
    return {"requests": (first, second), "meeting": meeting.id, "old": old.id, "granted": granted}


@pytest.fixture
def desk(tmp_path):
    """The police desk with meetings, reopened as its administrator for the whole-vault export."""
    spoc = make_desk(tmp_path / "dcon.vault", role="spoc")
    made = populate(spoc)
    admin = reopen_as(spoc, "alice")
    yield admin, made
    if admin.is_open:
        admin.close()


def assert_same(left, right, where: str = "") -> None:
    """Field by field through the dataclasses (and the tuples of them), naming the first difference."""
    if dataclasses.is_dataclass(left):
        assert type(left) is type(right), where
        for f in dataclasses.fields(left):
            assert_same(getattr(left, f.name), getattr(right, f.name), f"{where}.{f.name}")
    elif isinstance(left, tuple):
        assert len(left) == len(right), where
        for n, (a, b) in enumerate(zip(left, right)):
            assert_same(a, b, f"{where}[{n}]")
    else:
        assert left == right, where


def reader(vault: Vault) -> Vault:
    """Administrators cannot read meetings: look as the desk's SPOC `bob` (added if need be)."""
    known = vault.db.one("SELECT 1 FROM users WHERE name = 'bob'") is not None
    return reopen_as(vault, "bob", None if known else "spoc")


def test_whole_vault_round_trip_gives_the_same_meetings(desk, tmp_path):
    admin, made = desk
    original = exchange.export_vault(admin)
    assert [len(m[k]) for m in original["meetings"] for k in ("attendees", "agenda", "decisions", "actions",
                                                             "permissions")] == [1, 0, 0, 1, 0, 2, 3, 2, 3, 3]
    path = tmp_path / "whole.json"
    exchange.write_file(original, path)
    source = reader(admin)
    before = {m.id: mt.get_meeting(source, m.id, audit=False) for m in mt.list_meetings(source, audit=False)}
    before_open = mt.open_actions_before(source, made["meeting"])
    source.close()

    other = make_desk(tmp_path / "empty.vault", role="admin")
    summary = exchange.import_file(other, path)
    assert summary.meetings_added == 2 and summary.meetings_updated == 0
    # The granted permissions keep the register rows that travelled in `disclosures`: none is added twice.
    assert other.db.scalar("SELECT count(*) FROM disclosures") == len(original["disclosures"])
    assert clean(exchange.export_vault(other)) == clean(original)
    target = reader(other)
    after = {m.id: mt.get_meeting(target, m.id, audit=False) for m in mt.list_meetings(target, audit=False)}
    assert list(after) == list(before)
    # Nothing is ignored. Meeting.seq is the vault's own row number, so it could differ in a vault
    # that already held meetings; here the vault was empty and the meetings are written in the
    # exporting vault's order, so it is equal too. AgendaItem.request_reference and
    # Action.meeting_reference are not in the file: they are read from the linked request and
    # meeting, which travel with the same ids.
    for mid, meeting in before.items():
        assert_same(meeting, after[mid], meeting.reference)
    assert_same(tuple(before_open), tuple(mt.open_actions_before(target, made["meeting"])), "open actions")
    held = after[made["meeting"]]
    assert [i.kind for i in held.agenda] == ["case", "request", "request"]
    assert held.agenda[1].request_reference == made["requests"][0].reference
    granted = next(p for p in held.permissions if p.id == made["granted"].id)
    row = next(d for d in disclosures.list_disclosures(target).items if d.id == granted.disclosure_id)
    assert (row.kind, row.to_agency, row.request_id) == ("meeting", "DHCFT", made["requests"][0].id)
    text = json.dumps(original["meetings"], ensure_ascii=False)
    for value in HOSTILE:
        assert json.dumps(value, ensure_ascii=False)[1:-1] in text
    target.close()


def test_re_importing_a_file_already_held_changes_nothing(desk, tmp_path):
    """A whole-vault file goes only into an empty vault (a move): a second import is refused, so
    nothing held (decisions, action history, permissions, the register) is ever rewritten."""
    admin, _ = desk
    doc = exchange.export_vault(admin)
    other = make_desk(tmp_path / "empty.vault", role="admin")
    exchange.import_document(other, copy.deepcopy(doc))
    held = counts(other)
    exported = clean(exchange.export_vault(other))
    with pytest.raises(InvalidInput, match="never merged into a live desk"):
        exchange.import_document(other, copy.deepcopy(doc))
    assert counts(other) == held
    assert clean(exchange.export_vault(other)) == exported
    # The register first (a file without meetings), then the whole file: the second is refused.
    third = make_desk(tmp_path / "third.vault", role="admin")
    exchange.import_document(third, dict(copy.deepcopy(doc), meetings=[]))
    rows = third.db.scalar("SELECT count(*) FROM disclosures")
    with pytest.raises(InvalidInput, match="already holds records"):
        exchange.import_document(third, copy.deepcopy(doc))
    assert third.db.scalar("SELECT count(*) FROM disclosures") == rows
    assert third.db.scalar("SELECT count(*) FROM meetings") == 0
    third.close()
    other.close()


def test_held_decisions_history_and_permissions_are_never_rewritten(desk, tmp_path):
    admin, made = desk
    doc = exchange.export_vault(admin)
    other = make_desk(tmp_path / "empty.vault", role="admin")
    exchange.import_document(other, copy.deepcopy(doc))
    held = counts(other)
    index = [m["id"] for m in doc["meetings"]].index(made["meeting"])
    for change in (
            lambda m: m["decisions"][0].update(text="rewritten"),
            lambda m: m["actions"][0]["updates"][1].update(note="rewritten"),
            lambda m: m["permissions"][1].update(reason="rewritten"),
            lambda m: m.update(place="somewhere else")):
        changed = copy.deepcopy(doc)
        change(changed["meetings"][index])
        with pytest.raises(InvalidInput, match="never merged into a live desk"):
            exchange.import_document(other, changed)
        assert counts(other) == held
    assert other.db.scalar("SELECT place FROM meetings WHERE id = ?", (made["meeting"],)) != "somewhere else"
    other.close()


def test_a_whole_vault_file_of_another_agency_is_refused(desk, tmp_path):
    """Meetings travel only in a whole-vault move to a new desk of the same agency: another
    agency's desk cannot take a copy of DCON's meetings (or anything else) that way."""
    admin, made = desk
    first = exchange.export_vault(admin)
    partner = make_desk(tmp_path / "hmrc.vault", agency="HMRC", role="admin")
    before = partner.chain_head()
    with pytest.raises(InvalidInput, match="same agency"):
        exchange.import_document(partner, first)
    assert partner.db.scalar("SELECT count(*) FROM meetings") == 0
    assert partner.chain_head() == before
    partner.close()


def test_register_rows_of_grants_must_agree(desk, tmp_path):
    admin, made = desk
    doc = exchange.export_vault(admin)
    other = make_desk(tmp_path / "empty.vault", role="admin")
    index = [m["id"] for m in doc["meetings"]].index(made["meeting"])
    granted_row = made["granted"].disclosure_id

    def row_of_another_kind(m, d):
        next(r for r in d["disclosures"] if r["id"] == granted_row)["kind"] = "onward"

    def row_claimed_twice(m, d):
        m["permissions"][2]["disclosure_id"] = granted_row

    def row_missing(m, d):
        d["disclosures"] = [r for r in d["disclosures"] if r["id"] != granted_row]

    def refused_with_row(m, d):
        m["permissions"][1]["disclosure_id"] = granted_row

    def granted_without_row(m, d):
        m["permissions"][2]["disclosure_id"] = None

    def row_to_elsewhere(m, d):
        next(r for r in d["disclosures"] if r["id"] == granted_row)["to_agency"] = "NCA"

    for change, fragment in ((row_of_another_kind, "does not record this grant (its kind is 'onward'"),
                             (row_claimed_twice, "permissions[2].disclosure_id: another permission names the same"),
                             (row_missing, "neither in the file nor in this vault"),
                             (refused_with_row, "permissions[1].disclosure_id: a refused permission"),
                             (granted_without_row, "permissions[2].disclosure_id: a granted permission"),
                             (row_to_elsewhere, "its to_agency is 'NCA'")):
        bad = copy.deepcopy(doc)
        change(bad["meetings"][index], bad)
        with pytest.raises(InvalidInput) as refused:
            exchange.import_document(other, bad)
        assert fragment in str(refused.value) and "nothing was changed" in str(refused.value)
        assert all(n == 0 for n in counts(other).values())
    other.close()


def test_domain_checks_name_the_meeting_and_the_field(desk, tmp_path):
    admin, made = desk
    doc = exchange.export_vault(admin)
    other = make_desk(tmp_path / "empty.vault", role="admin")
    index = [m["id"] for m in doc["meetings"]].index(made["meeting"])
    for change, fragment in (
            (lambda m: m.update(chair_agency="ZZZ"), "chair_agency: 'ZZZ' is not a partner"),
            (lambda m: m.update(status="adjourned"), "status: 'adjourned' is not one of"),
            (lambda m: m.update(held_at="15/07/2026 10:30"), "held_at: must be a UTC time"),
            (lambda m: m["attendees"][0].update(agency="XYZ"), "attendees[0].agency"),
            (lambda m: m["attendees"][0].update(accepted_recorded_by=None), "attendees[0].accepted_at"),
            (lambda m: m["agenda"][0].update(request_id=m["agenda"][1]["request_id"]), "agenda[0].request_id"),
            (lambda m: m["decisions"][0].update(agenda_item_id="99999999-9999-4999-8999-999999999999"),
             "decisions[0].agenda_item_id: is not an item of this meeting's agenda"),
            (lambda m: m["actions"][0].update(owner_agency="NOPE"), "actions[0].owner_agency"),
            (lambda m: m["actions"][0].update(due_date="2026-02-30"), "actions[0].due_date"),
            (lambda m: m["actions"][0].update(status="open"), "actions[0].status: is 'open' but its history ends"),
            (lambda m: m["actions"][0]["updates"][0].update(status="done"),
             "actions[0].updates: an action's history starts"),
            (lambda m: m["actions"][0]["updates"][0].update(status="lost"), "'lost' is not one of"),
            (lambda m: m["permissions"][0].update(to_agency="MARS"), "permissions[0].to_agency"),
            (lambda m: m["permissions"][0].update(reason=" "), "permissions[0].reason")):
        bad = copy.deepcopy(doc)
        change(bad["meetings"][index])
        with pytest.raises(InvalidInput) as refused:
            exchange.import_document(other, bad)
        message = str(refused.value)
        assert f"meetings[{index}] {bad['meetings'][index]['reference']}: " in message, message
        assert fragment in message, message
        assert all(n == 0 for n in counts(other).values())
    # A reference used twice in the file.
    clash = copy.deepcopy(doc)
    clash["meetings"].append(dict(copy.deepcopy(clash["meetings"][index]), id="44444444-4444-4444-8444-444444444444"))
    with pytest.raises(InvalidInput, match=r"reference: the same meeting appears twice in the file"):
        exchange.import_document(other, clash)
    assert all(n == 0 for n in counts(other).values())
    other.close()


@pytest.mark.parametrize("tamper, fragment", [
    (lambda d, m: m.update(colour="blue"), "Additional properties are not allowed ('colour' was unexpected)"),
    (lambda d, m: m["actions"][0].update(category="persuade"),
     "actions[0].category: 'persuade' is not one of the agreement's categories"),
    (lambda d, m: d.update(requests=[r for r in d["requests"] if r["id"] != m["agenda"][1]["request_id"]]),
     "agenda[1].request_id: links a request that is neither in the file nor in this vault"),
], ids=["unknown-field", "bad-4p-category", "agenda-links-missing-request"])
def test_cli_refuses_a_tampered_file_with_exit_4_and_writes_nothing(desk, tmp_path, spocdesk, tamper, fragment):
    admin, made = desk
    doc = exchange.export_vault(admin)
    index = [m["id"] for m in doc["meetings"]].index(made["meeting"])
    tamper(doc, doc["meetings"][index])
    path = tmp_path / "tampered.json"
    exchange.write_file(doc, path)
    target = make_desk(tmp_path / "target.vault", role="admin")
    target_path = target.path
    target.close()
    result = spocdesk("import", target_path, path, "--user", "alice", "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert result.code == 4, result.err
    assert "nothing was changed" in result.err and f"meetings[{index}] TM-" in result.err
    assert fragment in result.err, result.err
    target = Vault.open(target_path, user="alice", passphrase=PASSPHRASE)
    try:
        assert all(n == 0 for n in counts(target).values())
        assert target.db.scalar("SELECT count(*) FROM audit_events WHERE action = 'import'") == 0
    finally:
        target.close()


def test_a_file_for_sending_one_request_carries_no_meetings(desk, tmp_path):
    admin, made = desk
    admin.close()
    spoc = Vault.open(tmp_path / "dcon.vault", user="bob", passphrase=OTHER_PASSPHRASE)
    request = made["requests"][0]  # on the agenda, with a permission granted under it
    doc = exchange.export_request(spoc, request.reference)
    assert "meetings" not in doc
    text = json.dumps(doc, ensure_ascii=False)
    meeting = mt.get_meeting(spoc, made["meeting"], audit=False)
    for secret in (meeting.id, meeting.reference, meeting.notes, made["granted"].id,
                   *(a.name for a in meeting.attendees), *(d.text for d in meeting.decisions)):
        assert secret not in text
    # Nor can a request file bring meetings in.
    admin = reopen_as(spoc, "alice")
    whole = exchange.export_vault(admin)
    admin.close()
    smuggled = dict(copy.deepcopy(doc), meetings=whole["meetings"])
    partner = make_desk(tmp_path / "hmrc.vault", agency="HMRC")
    with pytest.raises(InvalidInput, match=r"meetings: meetings travel only in a whole-vault file"):
        exchange.import_document(partner, smuggled)
    assert partner.db.scalar("SELECT count(*) FROM meetings") == 0
    partner.close()


def test_schema_codes_match_the_vault():
    defs = exchange.schema()["$defs"]
    assert tuple(defs["meeting"]["properties"]["status"]["enum"]) == MEETING_STATUSES
    assert tuple(defs["meeting_action"]["properties"]["status"]["enum"]) == ACTION_STATUSES
    assert tuple(defs["meeting_action_update"]["properties"]["status"]["enum"]) == ACTION_STATUSES
    columns = {"meeting": exchange.MEETING_COLS, "meeting_attendee": exchange.ATTENDEE_COLS,
               "meeting_agenda_item": exchange.AGENDA_COLS, "meeting_decision": exchange.DECISION_COLS,
               "meeting_action": exchange.ACTION_COLS, "meeting_action_update": exchange.ACTION_UPDATE_COLS,
               "meeting_permission": exchange.PERMISSION_COLS}
    parts = {"meeting": {"attendees", "agenda", "decisions", "actions", "permissions"},
             "meeting_action": {"updates"}}
    for name, cols in columns.items():
        implied = {"meeting_id", "action_id"}
        assert set(defs[name]["properties"]) == (set(cols) - implied) | parts.get(name, set()), name
