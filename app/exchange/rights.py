"""Retention and information rights records in the exchange format (issue 19).

They travel only in whole-vault files (a desk moving to a new vault keeps its retention work and
its log of subject access and FOI requests): the DPM's retention decisions and the dated events a
rule counts from, the disposal certificates (references, kinds and rule codes only: a disposed
record never comes back), and each subject access or FOI request with its append-only history and
its items to decide. A request file carries none of them.

Import, in the one transaction of `app.exchange.importer`, after the requests and subjects:
every row is new (a whole-vault file goes only into an empty vault), each names a record in the
file or already held, and this desk's reference counters move past the references it brings.
"""

from __future__ import annotations

import re

from app.exchange.columns import (DISPOSAL_COLS, SAR_CONSULTATION_COLS, INFO_REQUEST_COLS, INFO_REQUEST_PARTS,
                                  RETENTION_DECISION_COLS, RETENTION_EVENT_COLS, insert_sql, to_json, to_params)

# (key in the file, table, columns, order): lists of their own, each row whole.
TABLES = (("retention_events", "retention_events", RETENTION_EVENT_COLS, "seq"),
          ("retention_decisions", "retention_decisions", RETENTION_DECISION_COLS, "seq"),
          ("disposals", "disposals", DISPOSAL_COLS, "seq"))
KEYS = ("retention_events", "retention_decisions", "disposals", "info_requests", "sar_consultations")
REFERENCE = re.compile(r"^([A-Z]+)-(\d{4})-(\d{4,})$")


class Bad(Exception):
    def __init__(self, path: list, message: str):
        super().__init__(message)
        self.path, self.message = path, message


def export_rights(vault) -> dict[str, list[dict]]:
    """Every retention decision, retention event, disposal certificate and information request
    (with its events and items) of the vault, in the order recorded."""
    out: dict[str, list[dict]] = {}
    for key, table, cols, order in TABLES:
        # Table, column and order names are this module's constants, never input.
        out[key] = [to_json(r, cols) for r in vault.db.query(f"SELECT * FROM {table} ORDER BY {order}")]
    parts: dict[str, dict[str, list]] = {}
    for key, table, cols, order in INFO_REQUEST_PARTS:
        for r in vault.db.query(f"SELECT * FROM {table} ORDER BY {order}"):
            item = to_json(r, cols)
            del item["info_request_id"]
            parts.setdefault(key, {}).setdefault(r["info_request_id"], []).append(item)
    requests = []
    for r in vault.db.query("SELECT * FROM info_requests ORDER BY seq"):
        item = to_json(r, INFO_REQUEST_COLS)
        for key, *_ in INFO_REQUEST_PARTS:
            item[key] = parts.get(key, {}).get(r["id"], [])
        requests.append(item)
    out["info_requests"] = requests
    out["sar_consultations"] = [to_json(r, SAR_CONSULTATION_COLS)
                                for r in vault.db.query("SELECT * FROM sar_consultations ORDER BY seq")]
    return out


def check(doc: dict, codes: set[str]) -> None:
    """The agreement's codes, the exemptions and events of the information rights data, and that
    what the rows name is in the file (requests and subjects held already are checked on import)."""
    from app.retention import load_information_rights

    present = [k for k in KEYS if doc.get(k)]
    if present and doc["scope"] != "vault":
        raise Bad([present[0]], "retention records and subject access and FOI requests travel only in a "
                                "whole-vault file")
    rights = load_information_rights()
    events = {e.id for e in rights.events if e.recorded}
    holds = set(rights.hold_reasons)
    exemptions = {e.id: set(e.applies_to) for e in rights.exemptions}
    seen: set[str] = set()

    def once(where: list, record_id: str) -> None:
        if record_id in seen:
            raise Bad(where + ["id"], "appears twice in the file")
        seen.add(record_id)

    for i, row in enumerate(doc.get("retention_events", [])):
        once(["retention_events", i], row["id"])
        if row["event"] not in events:
            raise Bad(["retention_events", i, "event"], f"unknown event {row['event']!r}")
    for i, row in enumerate(doc.get("retention_decisions", [])):
        once(["retention_decisions", i], row["id"])
        if row["decision"] == "keep" and not row["until_date"]:
            raise Bad(["retention_decisions", i, "until_date"], "a record kept is kept until a date")
        if row["decision"] == "hold" and row["reason_code"] not in holds:
            raise Bad(["retention_decisions", i, "reason_code"], f"unknown hold reason {row['reason_code']!r}")
    certificates: set[str] = set()
    for i, row in enumerate(doc.get("disposals", [])):
        once(["disposals", i], row["id"])
        if row["reference"] in certificates:
            raise Bad(["disposals", i, "reference"], "the same certificate appears twice in the file")
        certificates.add(row["reference"])
    refs: set[tuple[str, str]] = set()
    for i, request in enumerate(doc.get("info_requests", [])):
        where = ["info_requests", i]
        once(where, request["id"])
        if request["origin_agency"] not in codes:
            raise Bad(where + ["origin_agency"], f"unknown agency {request['origin_agency']!r}")
        key = (request["origin_agency"], request["reference"])
        if key in refs:
            raise Bad(where + ["reference"], "the same request appears twice in the file")
        refs.add(key)
        for j, event in enumerate(request["events"]):
            once(where + ["events", j], event["id"])
            if event["on_date"] < request["received_on"]:
                raise Bad(where + ["events", j, "on_date"], "is before the request was received")
        items: set[tuple[str, str]] = set()
        for j, item in enumerate(request["items"]):
            once(where + ["items", j], item["id"])
            if item["origin_agency"] not in codes:
                raise Bad(where + ["items", j, "origin_agency"], f"unknown agency {item['origin_agency']!r}")
            if (item["item_type"], item["item_id"]) in items:
                raise Bad(where + ["items", j], "the same item appears twice in the request")
            items.add((item["item_type"], item["item_id"]))
            if item["decision"] == "withhold" and request["kind"] not in exemptions.get(item["exemption"], ()):
                raise Bad(where + ["items", j, "exemption"], f"{item['exemption']!r} is not an exemption for "
                                                             f"a {request['kind']} request")
            if item["decision"] != "withhold" and item["exemption"]:
                raise Bad(where + ["items", j, "exemption"], "only a withheld item names an exemption")
    for i, row in enumerate(doc.get("sar_consultations", [])):
        where = ["sar_consultations", i]
        once(where, row["id"])
        if row["partner"] not in codes:
            raise Bad(where + ["partner"], f"unknown agency {row['partner']!r}")
        if (row["direction"] == "asked") != (row["info_request_id"] is not None and row["item_row_id"] is not None):
            raise Bad(where + ["info_request_id"], "a consultation this desk asked names its request and item; "
                                                   "one it received names neither")
        if row["answer"] == "objects" and row["exemption"] not in exemptions:
            raise Bad(where + ["exemption"], f"unknown exemption {row['exemption']!r}")
        if row["answer"] is not None and not row["answered_at"]:
            raise Bad(where + ["answered_at"], "an answer says when it was given")


def import_rights(vault, doc: dict, summary, refused) -> None:
    """Write the file's retention and information rights records (see the module's note).
    `refused(doc, where, message)` makes the importer's InvalidInput."""
    from app.requests import keep_counter_beyond
    from app.retention import CERTIFICATE_PREFIX

    db = vault.db

    def held(table: str, record_id) -> bool:
        return db.one(f"SELECT 1 FROM {table} WHERE id = ?", (record_id,)) is not None  # our table names

    def counter(prefix: str, reference: str) -> None:
        found = REFERENCE.match(reference)
        if found:
            keep_counter_beyond(vault, f"{vault.agency}:{prefix}", int(found.group(2)), int(found.group(3)))

    for key, table, cols, _order in TABLES:
        for i, row in enumerate(doc.get(key, [])):
            if held(table, row["id"]):
                raise refused(doc, [key, i, "id"], "this vault already holds it")
            if key != "disposals" and not held("requests", row["record_id"]):
                raise refused(doc, [key, i, "record_id"], "names a request that is neither in the file nor in "
                                                          "this vault")
            if key == "disposals":
                if db.one("SELECT 1 FROM disposals WHERE reference = ?", (row["reference"],)) is not None:
                    raise refused(doc, [key, i, "reference"], "this vault already holds a certificate with that "
                                                              "reference")
                counter(CERTIFICATE_PREFIX, row["reference"])
            db.execute(insert_sql(table, cols), to_params(row, cols))
            summary.rights_added += 1
    for i, request in enumerate(doc.get("info_requests", [])):
        where = ["info_requests", i]
        if held("info_requests", request["id"]) or db.one(
                "SELECT 1 FROM info_requests WHERE origin_agency = ? AND reference = ?",
                (request["origin_agency"], request["reference"])) is not None:
            raise refused(doc, where + ["reference"], "this vault already holds that subject access or FOI request")
        for sid in request["subject_ids"]:
            if not held("subjects", sid):
                raise refused(doc, where + ["subject_ids"], "names a subject that is neither in the file nor in this "
                                                            "vault")
        db.execute(insert_sql("info_requests", INFO_REQUEST_COLS), to_params(request, INFO_REQUEST_COLS))
        for key, table, cols, _order in INFO_REQUEST_PARTS:
            db.executemany(insert_sql(table, cols), [to_params(dict(part, info_request_id=request["id"]), cols)
                                                     for part in request[key]])
        if request["origin_agency"] == vault.agency:
            counter(request["reference"].split("-")[0], request["reference"])
        summary.info_requests_added += 1
        vault.audit("info_request.imported", record_type="info_request", record_id=request["reference"])
    for i, row in enumerate(doc.get("sar_consultations", [])):
        where = ["sar_consultations", i]
        if held("sar_consultations", row["id"]):
            raise refused(doc, where + ["id"], "this vault already holds it")
        if row["direction"] == "asked" and (not held("info_requests", row["info_request_id"])
                                            or not held("info_request_items", row["item_row_id"])):
            raise refused(doc, where + ["item_row_id"], "names a request item that is neither in the file nor in "
                                                        "this vault")
        db.execute(insert_sql("sar_consultations", SAR_CONSULTATION_COLS), to_params(row, SAR_CONSULTATION_COLS))
        summary.rights_added += 1


__all__ = ["export_rights", "check", "import_rights", "Bad", "KEYS"]
