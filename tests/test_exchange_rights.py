"""Retention records and subject access and FOI requests in the exchange format: a whole-vault
file carries the retention decisions and events, the disposal certificates and each information
request with its history and items (hostile text included), and imports into an empty vault as
the same data; one bad row refuses the whole file naming where; a request file never carries them."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from app import exchange, requests as rq, responses as rs, retention, subject_access as sa
from app.errors import InvalidInput
from app.exchange.columns import (DISPOSAL_COLS, SAR_CONSULTATION_COLS, INFO_EVENT_COLS, INFO_ITEM_COLS, INFO_REQUEST_COLS,
                                  RETENTION_DECISION_COLS, RETENTION_EVENT_COLS)
from desk_helpers import make_desk, reopen_as, request_data, response_data

HOSTILE = "<b>x</b> Robert'); DROP TABLE info_requests;-- \u202eAna\u200b 😀 \"q\" \\ \r\nnext & <i>"
TABLES = ("retention_events", "retention_decisions", "disposals", "info_requests", "info_request_events",
          "info_request_items", "reference_counters")
KEYS = ("retention_events", "retention_decisions", "disposals", "info_requests", "requests", "subjects")


def rows(vault) -> dict[str, list]:
    """Every row of the tables, as the vault holds them (seq aside: it is the vault's own)."""
    out = {}
    for table in TABLES:
        order = "agency, year" if table == "reference_counters" else "seq"
        out[table] = [{k: r[k] for k in r.keys() if k != "seq"}
                      for r in vault.db.query(f"SELECT * FROM {table} ORDER BY {order}")]
    return out


@pytest.fixture
def whole(tmp_path):
    vault = make_desk(tmp_path / "dcon.vault")
    first = rq.create_request(vault, request_data(information="Ion Popescu was seen with Nguyễn Văn An."))
    ion = next(s for s in first.subjects if s.name == "Ion Popescu")
    rq.add_agencies(vault, first.id, ["HMRC"])
    rq.send_to_agencies(vault, first.id, ["HMRC"])
    rs.receive_response(vault, rq.dispatches_of(vault, first.id)[0].id, response_data(disclosed_text="Works."))
    kept, held, gone = (rq.create_request(vault, request_data(subjects=[])) for _ in range(3))
    for request in (kept, held, gone):
        rq.close_request(vault, request.id)
    dpm = reopen_as(vault, "dana", "dpm")
    later = dt.date(2031, 1, 1)
    retention.keep_until(dpm, kept.reference, "1/1/2040", HOSTILE, today=later)
    retention.hold(dpm, held.reference, "other", HOSTILE)
    retention.record_event(dpm, kept.reference, "proceedings-ended", "2026-01-02", today=later)
    retention.dispose(dpm, [gone.reference], approve=True, today=later)
    sar = sa.log_request(dpm, {"kind": "sar-gdpr", "received_on": dt.date.today().isoformat(),
                               "requester_name": HOSTILE, "requester_contact": HOSTILE, "about": HOSTILE,
                               "subject_ids": [ion.id]})
    sar = sa.gather_items(dpm, sar.reference)
    partner = next(i for i in sar.items if i.partner_provided)
    sa.consult_partner(dpm, sar.reference, partner.id, via="telephone", who=HOSTILE, answer=HOSTILE)
    sa.decide_item(dpm, sar.reference, partner.id, "withhold", exemption="dpa-sch2-p1-2", note=HOSTILE)
    sa.add_event(dpm, sar.reference, "extended", {"units": "1", "reason": HOSTILE})
    sa.log_request(dpm, {"kind": "foi", "received_on": dt.date.today().isoformat(), "requester_name": "A journalist",
                         "asks_for_request_form": True})
    before = rows(dpm)
    admin = reopen_as(dpm, "alice")
    doc = exchange.export_vault(admin)
    yield admin, doc, before
    if admin.is_open:
        admin.close()


def test_a_whole_vault_file_carries_retention_and_information_requests_and_imports_the_same(whole, tmp_path):
    admin, doc, before = whole
    assert len(doc["retention_decisions"]) == 2 and len(doc["retention_events"]) == 1
    assert len(doc["disposals"]) == 1 and doc["disposals"][0]["reference"].startswith("DC-")
    assert [r["kind"] for r in doc["info_requests"]] == ["sar-gdpr", "foi"]
    sar = doc["info_requests"][0]
    assert sar["requester_name"] == HOSTILE and sar["events"] and sar["items"]
    assert any(i["decision"] == "withhold" and i["consult_answer"] == HOSTILE for i in sar["items"])
    target = make_desk(tmp_path / "new.vault", role="admin")
    out = tmp_path / "whole.json"
    exchange.write_file(doc, out)
    summary = exchange.import_file(target, out)
    assert summary.info_requests_added == 2 and summary.rights_added == 4
    after = rows(target)
    for table in TABLES[:-1]:
        assert after[table] == before[table], table
    # The desk's next references follow those it brought (no SAR, FOI or certificate number reused).
    counters = {r["agency"]: r["last"] for r in after["reference_counters"]}
    assert counters["DCON:SAR"] >= 1 and counters["DCON:FOI"] >= 1 and counters["DCON:DC"] >= 1
    again = exchange.export_vault(target)
    held = json.loads(out.read_text(encoding="utf-8"))
    assert {k: again[k] for k in KEYS} == {k: held[k] for k in KEYS}
    with pytest.raises(InvalidInput, match="only into a new, empty vault"):
        exchange.import_file(target, out)
    target.close()


@pytest.mark.parametrize("break_it, where", [
    (lambda d: d["info_requests"][0].update(origin_agency="NOPE"),
     r"info_requests\[0\] SAR-\d{4}-0001: origin_agency: unknown agency"),
    (lambda d: d["info_requests"][0]["items"][0].update(decision="withhold", exemption="foi-s30"),
     r"items\[0\]\.exemption: 'foi-s30' is not an exemption for a sar-gdpr request"),
    (lambda d: d["info_requests"][0]["events"][0].update(on_date="1999-01-01"),
     r"events\[0\]\.on_date: is before the request was received"),
    (lambda d: d["info_requests"][0].update(subject_ids=["00000000-0000-4000-8000-000000000000"]),
     r"subject_ids: names a subject that is neither"),
    (lambda d: d["retention_decisions"][0].update(record_id="00000000-0000-4000-8000-000000000000"),
     r"retention_decisions\[0\]: record_id: names a request that is neither"),
    (lambda d: d["retention_events"][0].update(event="moon-landing"), r"retention_events\[0\]: event: unknown event"),
    (lambda d: d["disposals"][0].update(surprise=1), r"disposals\[0\] DC-\d{4}-0001: Additional properties"),
    (lambda d: d["disposals"].append(dict(d["disposals"][0], id="00000000-0000-4000-8000-000000000001")),
     r"disposals\[1\] DC-\d{4}-0001: reference: the same certificate appears twice"),
])
def test_one_bad_row_refuses_the_whole_file(whole, tmp_path, break_it, where):
    _admin, doc, _before = whole
    bad = copy.deepcopy(doc)
    break_it(bad)
    target = make_desk(tmp_path / "new.vault", role="admin")
    try:
        with pytest.raises(InvalidInput, match=where):
            exchange.import_document(target, bad)
        assert all(not v for k, v in rows(target).items())
        assert target.db.scalar("SELECT count(*) FROM requests") == 0
    finally:
        target.close()


def test_a_request_file_never_carries_them(whole, tmp_path):
    _admin, doc, _before = whole
    partner = make_desk(tmp_path / "dwp.vault", agency="DWP")
    try:
        for key in ("info_requests", "disposals", "retention_decisions"):
            smuggled = {"format": doc["format"], "scope": "request", "exported_at": doc["exported_at"],
                        "exported_by": "x", "desk": {"agency": "DCON", "vault_id": doc["desk"]["vault_id"]},
                        "audit_chain_head": doc["audit_chain_head"], "requests": [], "subjects": [], key: doc[key]}
            with pytest.raises(InvalidInput, match="travel only in a whole-vault file"):
                exchange.import_document(partner, smuggled)
    finally:
        partner.close()


def test_schema_columns_match_the_vault():
    defs = exchange.schema()["$defs"]
    expected = {"retention_event": set(RETENTION_EVENT_COLS), "retention_decision": set(RETENTION_DECISION_COLS),
                "disposal": set(DISPOSAL_COLS), "info_request": set(INFO_REQUEST_COLS) | {"events", "items"},
                "info_request_event": set(INFO_EVENT_COLS) - {"info_request_id"},
                "info_request_item": set(INFO_ITEM_COLS) - {"info_request_id"},
                "sar_consultation": set(SAR_CONSULTATION_COLS)}
    for name, cols in expected.items():
        assert set(defs[name]["properties"]) == cols, name
    assert tuple(defs["info_request"]["properties"]["kind"]["enum"]) == tuple(sa.KINDS)
