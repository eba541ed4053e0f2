"""A desk moved to a new workstation keeps its corrections (7.2), complaints (10.1), chases of
overdue answers (2.6), equipment malfunctions with the signatories told (10.2), its packages
register with the partners' audit heads it holds (for `verify --expect` at the joint audit), the
compliance returns it imported (13.1) and its users' approval and training (3.1, 6.4): a whole-vault
file carries them, hostile text included, and an empty vault imports them as the same data; one
bad row is named and changes nothing; a request package carrying any of them is refused."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from app import chasing, complaints as cp, corrections as cr, exchange, governance, outages, reconcile
from app import requests as rq
from app.errors import InvalidInput
from app.exchange import carry, packages
from app.exchange.importer import PACKAGE_ONLY
from app.records import today_london
from app.users import add_user
from conftest import OTHER_PASSPHRASE
from desk_helpers import make_desk, reopen_as, request_data, trust_each_other

HOSTILE = "<b>x</b> & Robert'); DROP TABLE complaints;-- \u202eAna\u200b 😀 \"q\" \\ \r\nnext " + "z" * 300
KEYS = carry.KEYS


def carried_rows(vault) -> dict[str, list]:
    """The carried tables as the vault holds them (seq aside: it is the vault's own; JSON text read
    as the values it holds)."""
    out = {}
    for _key, table, _cols, json_cols, _order in carry.TABLES:
        out[table] = [{k: (json.loads(r[k]) if k in json_cols else r[k]) for k in r.keys() if k != "seq"}
                      for r in vault.db.query(f"SELECT * FROM {table} ORDER BY seq")]  # our constant names
    out["user_approvals"] = [{k: r[k] for k in r.keys() if k != "user_id"} | {"name": r["name"]} for r in vault.db.query(
        "SELECT u.name, a.* FROM user_approvals a JOIN users u ON u.id = a.user_id ORDER BY u.name")]
    out["dispatch_states"] = [dict(r) for r in vault.db.query(
        "SELECT id, package_made_at, package_id, delivered_at, channel, outage_id FROM dispatches"
        " WHERE package_id IS NOT NULL OR channel IS NOT NULL ORDER BY id")]
    return out


def envelope_free(doc: dict) -> dict:
    doc = copy.deepcopy(doc)
    for key in ("exported_at", "exported_by", "audit_chain_head", "desk"):
        doc.pop(key, None)
    return doc


_BUILT: list = []


@pytest.fixture
def moved(tmp_path_factory):
    """Built once (under the suite's quick key derivation and own folders), then reused as data."""
    if not _BUILT:
        _BUILT.append(_build(tmp_path_factory))
    doc, before, heads = _BUILT[0]
    return copy.deepcopy(doc), before, heads


def _build(tmp_path_factory):
    """The police desk (DCON) after a working life with HMRC: a request sent by package and its
    receipt, a correction notice received and the correction made and sent, a complaint worked,
    a chase, a malfunction with a signatory told, a compliance return imported, bob's approval."""
    tmp = tmp_path_factory.mktemp("carry")
    police = make_desk(tmp / "dcon.vault")
    hmrc = make_desk(tmp / "hmrc.vault", "HMRC")
    trust_each_other(police, hmrc)
    out = tmp / "out"
    out.mkdir()
    request = rq.create_request(police, request_data())
    [made] = packages.send(police, request.reference, ["HMRC"], out)
    got = packages.receive(hmrc, made.path, receipt_out=out)
    packages.receive(police, got.receipt_path)
    sid = police.db.scalar("SELECT s.id FROM subjects s JOIN request_subjects rs ON rs.subject_id = s.id"
                           " WHERE rs.request_id = ? AND s.date_of_birth IS NOT NULL", (request.id,))
    notice = cr.flag(hmrc, {"item_type": "subject", "item_id": sid, "field": "date_of_birth",
                            "problem": "inaccurate", "details": HOSTILE, "suggested": "12/05/1988"})
    got = packages.receive(police, cr.make_notice_package(hmrc, notice.id, out).path, receipt_out=out)
    held = next(n for n in cr.register(police).notices if n.reference == notice.reference)
    correction = cr.record_correction(police, {"item_type": "subject", "item_id": sid, "field": "date_of_birth",
                                               "new_value": "12/05/1988", "reason": HOSTILE, "notice_id": held.id})
    cr.make_correction_packages(police, correction.id, out)
    dispatch = rq.dispatches_of(police, request.id)[0]
    rq.set_due_date(police, dispatch.id, (today_london() - dt.timedelta(days=3)).isoformat())
    chasing.record_chase(police, dispatch.id, {"how": "email", "to_whom": HOSTILE, "note": HOSTILE,
                                               "promised_date": (today_london() + dt.timedelta(days=5)).isoformat()})
    outage = outages.record_outage(police, {"partner": "DWP", "channel": "government-connect", "fallback": "cjsm",
                                            "what": HOSTILE, "down_at": "01/12/2026 09:00"})
    outages.record_notice(police, outage.id, {"partner": "HMRC", "signatory": HOSTILE, "how": "Telephone"})
    complaint = cp.create_complaint(police, {"complainant_kind": "data-subject", "complainant": HOSTILE[:400],
                                             "agency": "DCON", "about": HOSTILE, "received_at": "28/11/2026 09:15",
                                             "received_how": "letter", "request_refs": request.reference})
    dpm = reopen_as(police, "dee", "dpm")
    cp.add_update(dpm, complaint.reference, "outcome", {"outcome": "not-upheld", "reason": HOSTILE})
    hmrc_dpm = reopen_as(hmrc, "dee", "dpm")
    reconcile.import_return(dpm, reconcile.make_return(hmrc_dpm, "DCON", out))
    hmrc_dpm.close()
    admin = reopen_as(dpm, "alice")
    governance.set_standing(admin, "bob", {"approved_by": HOSTILE[:250], "approved_on": "2026-01-01",
                                           "course": "Information sharing", "trained_on": "2026-01-10",
                                           "renewal_due": "2099-01-10"})
    before = carried_rows(admin)
    heads = packages.held_heads(admin)
    doc = exchange.export_vault(admin)
    admin.close()
    return doc, before, heads


def empty_desk(path):
    """A new, empty vault of the same agency, with the users set up (they have their own ids)."""
    target = make_desk(path, role="admin")
    add_user(target, "bob", "spoc", OTHER_PASSPHRASE)
    return target


def test_the_whole_vault_carries_them_and_an_empty_vault_gets_the_same_data(moved, tmp_path):
    doc, before, heads = moved
    for key in KEYS:
        assert doc[key], key  # the scenario made every kind
    assert {p["direction"] for p in doc["packages"]} == {"made", "received"}
    assert doc["correction_recipients"][0]["state"] == "package-made"
    assert doc["complaints"][0]["about"] == HOSTILE and doc["dispatch_chases"][0]["to_whom"] == HOSTILE
    assert doc["user_approvals"] == [{"user_name": "bob", "approved_by": HOSTILE[:250], "approved_on": "2026-01-01",
                                      "course": "Information sharing", "trained_on": "2026-01-10",
                                      "renewal_due": "2099-01-10", "updated_at": doc["user_approvals"][0]["updated_at"],
                                      "updated_by": "alice"}]
    path = tmp_path / "whole.json"
    exchange.write_file(doc, path)
    target = empty_desk(tmp_path / "new.vault")
    try:
        summary = exchange.import_file(target, path)
        assert summary.carried_added == sum(len(doc[k]) for k in KEYS)
        after = carried_rows(target)
        assert after == before
        # The partners' audit heads are still held, for `verify --expect` at the joint audit.
        assert packages.held_heads(target) == heads and any(h["agency"] == "HMRC" for h in heads)
        # The dispatch still says the receipt came back (never "marked sent" after a move).
        [dispatch] = target.db.query("SELECT * FROM dispatches")
        assert packages.dispatch_state(dispatch).code == "delivered"
        again = exchange.export_vault(target)
        assert envelope_free(again) == envelope_free(json.loads(path.read_text(encoding="utf-8")))
        # The numbers carry on after those brought: the next complaint is not CP-…-0001 again.
        nxt = cp.next_reference(target, int(doc["complaints"][0]["reference"][3:7]))
        assert nxt != doc["complaints"][0]["reference"]
        assert "other records (corrections, complaints" in summary.sentences()
        with pytest.raises(InvalidInput, match="only into a new, empty vault"):
            exchange.import_file(target, path)
    finally:
        target.close()


def test_an_approval_for_a_user_the_new_vault_lacks_is_named(moved, tmp_path):
    doc, *_ = moved
    target = make_desk(tmp_path / "new.vault", role="admin")
    try:
        head = target.chain_head()
        with pytest.raises(InvalidInput, match=r"user_approvals\[0\]: user_name: 'bob' has no account in this vault; "
                                               "add the user first"):
            exchange.import_document(target, copy.deepcopy(doc))
        assert target.chain_head() == head and target.db.scalar("SELECT count(*) FROM requests") == 0
    finally:
        target.close()


UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.mark.parametrize("break_it, where", [
    (lambda d: d["complaints"][0].update(agency="NOPE"), r"complaints\[0\] CP-\d{4}-0001: agency: unknown agency"),
    (lambda d: d["complaint_updates"][0].update(complaint_id=UNKNOWN),
     r"complaint_updates\[0\]: complaint_id: names a record that is not in the file's complaints"),
    (lambda d: d["complaint_updates"][0]["details"].update(colour="blue"),
     r"complaint_updates\[0\]: details: Additional properties"),
    (lambda d: d["dispatch_chases"][0].update(dispatch_id=UNKNOWN),
     r"dispatch_chases\[0\]: dispatch_id: names an agency asked \(dispatch\) that is neither"),
    (lambda d: d["dispatch_chases"][0].update(how="pigeon"), r"dispatch_chases\[0\]: how: 'pigeon' is not one of"),
    (lambda d: d["channel_outages"][0].update(down_at="the day before yesterday"),
     r"channel_outages\[0\]: down_at: must be a UTC time"),
    (lambda d: d["outage_notices"][0].update(outage_id=UNKNOWN), r"outage_notices\[0\]: outage_id: names a record"),
    (lambda d: d["corrections"][0].update(field=""), r"corrections\[0\] COR-DCON-\d{4}-0001: field: '' should be non-empty"),
    (lambda d: d["channel_outages"][0].update(breach_id=UNKNOWN),
     r"channel_outages\[0\]: breach_id: names a breach that is neither in the file nor in this vault"),
    (lambda d: d["correction_notices"][0].update(controller="ZZZ"),
     r"correction_notices\[0\] CN-HMRC-\d{4}-0001: controller: unknown agency 'ZZZ'"),
    (lambda d: d["correction_recipients"].append(dict(d["correction_recipients"][0])),
     r"correction_recipients\[1\]: id: appears twice in the file"),
    (lambda d: d["packages"][0].update(sender_head_mac="not hex"), r"packages\[0\]: sender_head_mac: 'not hex'"),
    (lambda d: d["packages"][-1].update(made_at=None, received_at=None),
     r"packages\[\d+\]: (made_at|received_at): a package"),
    (lambda d: d["compliance_returns"][0].update(surprise=1), r"compliance_returns\[0\]: Additional properties"),
    (lambda d: d["telephone_calls"][0].update(callee_agency="ZZZ"),
     r"telephone_calls\[0\]: callee_agency: unknown agency 'ZZZ'"),
    (lambda d: d["dispatch_states"][0].update(dispatch_id=UNKNOWN),
     r"dispatch_states\[0\]: dispatch_id: names an agency asked \(dispatch\) that is neither"),
    (lambda d: d["dispatch_states"][0].update(package_id=None),
     r"dispatch_states\[0\]: delivered_at: only a package is delivered"),
    (lambda d: d["user_approvals"][0].update(renewal_due="2025-01-01"),
     r"user_approvals\[0\]: renewal_due: must be after the training date"),
])
def test_one_bad_row_is_named_and_changes_nothing(moved, tmp_path, break_it, where):
    doc, *_ = moved
    bad = copy.deepcopy(doc)
    break_it(bad)
    target = empty_desk(tmp_path / "new.vault")
    try:
        head = target.chain_head()
        with pytest.raises(InvalidInput, match=where):
            exchange.import_document(target, bad)
        assert target.chain_head() == head
        assert all(not rows for rows in carried_rows(target).values())
        assert target.db.scalar("SELECT count(*) FROM requests") == 0
    finally:
        target.close()


def test_ids_of_records_disposed_of_still_move(moved, tmp_path):
    """A request disposed of (9.3) leaves its id in corrections, complaints, packages and calls;
    the move keeps them as they are rather than refusing the desk's file."""
    doc, *_ = moved
    gone = copy.deepcopy(doc)
    gone["complaints"][0]["request_ids"] = [UNKNOWN]
    gone["corrections"][0]["item_id"] = UNKNOWN
    gone["packages"][0]["request_id"] = UNKNOWN
    target = empty_desk(tmp_path / "new.vault")
    try:
        exchange.import_document(target, copy.deepcopy(gone))
        again = exchange.export_vault(target)
        assert {k: again[k] for k in KEYS} == {k: gone[k] for k in KEYS}
    finally:
        target.close()


def test_a_request_package_carrying_any_of_them_is_refused(moved, tmp_path):
    doc, *_ = moved
    partner = make_desk(tmp_path / "dwp.vault", agency="DWP")
    try:
        for key in KEYS:
            assert key in PACKAGE_ONLY
            smuggled = {"format": doc["format"], "scope": "request", "exported_at": doc["exported_at"],
                        "exported_by": "x", "desk": {"agency": "DCON", "vault_id": doc["desk"]["vault_id"]},
                        "audit_chain_head": doc["audit_chain_head"], "requests": [], "subjects": [], key: doc[key]}
            head = partner.chain_head()
            with pytest.raises(InvalidInput, match="travel only in a whole-vault file"):
                exchange.import_document(partner, smuggled)
            with pytest.raises(InvalidInput, match=f"{key}: .*travel only in a whole-vault file"):
                exchange.import_document(partner, smuggled, sender="DCON")
            assert partner.chain_head() == head
    finally:
        partner.close()


def test_schema_columns_match_the_vault(moved):
    doc, *_ = moved
    defs = exchange.schema()
    for key, _table, cols, _json, _order in carry.TABLES:
        ref = defs["properties"][key]["items"]["$ref"].rsplit("/", 1)[1]
        assert set(defs["$defs"][ref]["properties"]) == set(cols), key
        assert set(defs["$defs"][ref]["required"]) == set(cols), key
        assert defs["$defs"][ref]["additionalProperties"] is False
        assert all(set(row) == set(cols) for row in doc[key]), key
    state = defs["$defs"]["dispatch_state"]
    assert set(state["properties"]) == {"dispatch_id", *carry.DISPATCH_STATE_COLS} == set(state["required"])
    approval = defs["$defs"]["user_approval"]
    assert set(approval["properties"]) == {"user_name", *carry.APPROVAL_COLS} == set(approval["required"])
