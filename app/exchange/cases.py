"""Cases and links between subjects in the exchange format (issue 21).

They travel only in whole-vault files: a case with its stage history, linked requests and
referrals (its internal notes included: the file moves this desk, it goes to no partner), and
the links between subjects as their own list. A request file carries none of them, so a case's
internal notes never leave the desk with a request.

Import, in the one transaction of `app.exchange.importer`, after the subjects and requests and
before the meetings (whose agenda items name their cases): a new case is added with its parts; a
case already held is left as it is unless the file was written by its originating desk, which is
not this desk; stage changes are append-only (one already held must be the same in the file).
"""

from __future__ import annotations

from typing import Callable

from app.errors import InvalidInput
from app.exchange.columns import (CASE_COLS, CASE_PARTS, CASE_REFERRAL_COLS, CASE_REQUEST_COLS, CASE_STAGE_COLS,
                                  SUBJECT_LINK_COLS, insert_sql, to_json, to_params)


def export_cases(vault) -> tuple[list[dict], list[dict]]:
    """(cases with their parts, links between subjects) of the whole vault."""
    parts: dict[str, dict[str, list]] = {}
    for key, table, cols, order in CASE_PARTS:
        # Table, column and order names are this module's constants, never input.
        for r in vault.db.query(f"SELECT * FROM {table} ORDER BY {order}"):
            item = to_json(r, cols)
            del item["case_id"]
            parts.setdefault(key, {}).setdefault(r["case_id"], []).append(item)
    cases = []
    for r in vault.db.query("SELECT * FROM cases ORDER BY seq"):
        item = to_json(r, CASE_COLS)
        for key, *_ in CASE_PARTS:
            item[key] = parts.get(key, {}).get(r["id"], [])
        cases.append(item)
    links = [to_json(r, SUBJECT_LINK_COLS) for r in vault.db.query("SELECT * FROM subject_links ORDER BY seq")]
    return cases, links


class Bad(Exception):
    def __init__(self, path: list, message: str):
        super().__init__(message)
        self.path, self.message = path, message


def check(doc: dict, codes: set[str], subject_kinds: dict[str, str] | None = None) -> None:
    """The agreement's codes, the stage history's shape, the rules of referrals and links, and
    that what they name is in the file (or, for requests and subjects, checked on import).
    `subject_kinds`: each subject's kind by id, when the caller has read them already (a long
    list is not walked again)."""
    from app.agreement import load_agreement
    from app.links import KINDS

    cases, links = doc.get("cases", []), doc.get("subject_links", [])
    if (cases or links) and doc["scope"] != "vault":
        raise Bad(["cases" if cases else "subject_links"], "cases and links between subjects travel only in a "
                                                           "whole-vault file")
    exploitation = {e.id for e in load_agreement().exploitation_types}
    seen: set[str] = set()
    refs: set[tuple[str, str]] = set()
    if subject_kinds is not None:
        subjects = subject_kinds
    else:
        subjects = {s["id"]: s["kind"] for s in doc.get("subjects", [])} if (cases or links) else {}
    for i, case in enumerate(cases):
        where = ["cases", i]
        for col in ("origin_agency", "lead_agency"):
            if case[col] not in codes:
                raise Bad(where + [col], f"unknown agency {case[col]!r}")
        for code in case["exploitation_types"]:
            if code not in exploitation:
                raise Bad(where + ["exploitation_types"], f"unknown exploitation type {code!r}")
        key = (case["origin_agency"], case["reference"])
        if key in refs or case["id"] in seen:
            raise Bad(where + ["reference"], "the same case appears twice in the file")
        refs.add(key)
        seen.add(case["id"])
        stages = case["stages"]
        if stages[0]["from_stage"] is not None:
            raise Bad(where + ["stages", 0, "from_stage"], "a case's history starts where it was opened")
        for j in range(1, len(stages)):
            if stages[j]["from_stage"] != stages[j - 1]["to_stage"]:
                raise Bad(where + ["stages", j, "from_stage"], "does not follow the stage before it")
        if stages[-1]["to_stage"] != case["stage"]:
            raise Bad(where + ["stage"], "is not the stage the history ends at")
        for part in stages + case["referrals"]:
            if part["id"] in seen:
                raise Bad(where + ["id"], "appears twice in the file")
            seen.add(part["id"])
        linked = [r["request_id"] for r in case["requests"]]
        if len(set(linked)) != len(linked):
            raise Bad(where + ["requests"], "the same request is linked twice")
        for j, referral in enumerate(case["referrals"]):
            if referral["referred_by"] not in codes:
                raise Bad(where + ["referrals", j, "referred_by"], "unknown agency")
            if referral["kind"] in ("nrm", "duty-to-notify") and not referral["subject_id"]:
                raise Bad(where + ["referrals", j, "subject_id"], "names no person")
            if referral["cg_decision"] and referral["rg_decision"] != "positive":
                raise Bad(where + ["referrals", j, "cg_decision"],
                          "a conclusive grounds decision follows a positive reasonable grounds decision")
    case_ids = {c["id"] for c in cases}
    for i, link in enumerate(links):
        where = ["subject_links", i]
        for col in ("origin_agency", "originator"):
            if link[col] not in codes:
                raise Bad(where + [col], f"unknown agency {link[col]!r}")
        if link["id"] in seen:
            raise Bad(where + ["id"], "appears twice in the file")
        seen.add(link["id"])
        if (link["kind"] == "uses-vehicle") != (link["to_subject"] is None):
            raise Bad(where + ["to_subject"], "a vehicle link names a vehicle, every other link a subject")
        if link["kind"] == "uses-vehicle" and not link["vehicle"].strip():
            raise Bad(where + ["vehicle"], "names no vehicle")
        if link["to_subject"] == link["from_subject"]:
            raise Bad(where + ["to_subject"], "a subject cannot be linked to itself")
        _label, froms, tos = KINDS[link["kind"]]
        for col, allowed in (("from_subject", froms), ("to_subject", tos)):
            kind = subjects.get(link[col]) if link[col] else None
            if link[col] and kind is not None and kind not in allowed:
                raise Bad(where + [col], f"“{_label}” goes {'from' if col == 'from_subject' else 'to'} a "
                                         f"{' or '.join(allowed)}")
        if link["case_id"] and link["case_id"] not in case_ids:
            raise Bad(where + ["case_id"], "names a case that is not in the file")
        if link["valid_from"] and link["valid_to"] and link["valid_to"] < link["valid_from"]:
            raise Bad(where + ["valid_to"], "ends before it begins")


def import_cases(vault, doc: dict, summary, file_wins: Callable[[str], bool], refused) -> None:
    """Write the file's cases and links (see the module's note). `refused(doc, where, message)`
    makes the importer's InvalidInput; `summary` gains cases_added, cases_updated, links_added."""
    db = vault.db

    def held(table: str, record_id) -> bool:
        return record_id is not None and db.one(f"SELECT 1 FROM {table} WHERE id = ?", (record_id,)) is not None

    for i, case in enumerate(doc.get("cases", [])):
        where = ["cases", i]
        for j, link in enumerate(case["requests"]):
            if not held("requests", link["request_id"]):
                raise refused(doc, where + ["requests", j, "request_id"],
                              "links a request that is neither in the file nor in this vault")
        for j, referral in enumerate(case["referrals"]):
            if referral["subject_id"] and not held("subjects", referral["subject_id"]):
                raise refused(doc, where + ["referrals", j, "subject_id"],
                              "names a subject that is neither in the file nor in this vault")
        current = db.one("SELECT * FROM cases WHERE id = ?", (case["id"],))
        if current is None:
            clash = db.one("SELECT 1 FROM cases WHERE origin_agency = ? AND reference = ?",
                           (case["origin_agency"], case["reference"]))
            if clash is not None:
                raise refused(doc, where + ["reference"], "this vault already holds a different case with that "
                                                          "reference")
            db.execute(insert_sql("cases", CASE_COLS), to_params(case, CASE_COLS))
            summary.cases_added += 1
        else:
            held_stages = {r["id"]: to_json(r, CASE_STAGE_COLS) for r in
                           db.query("SELECT * FROM case_stage_changes WHERE case_id = ?", (case["id"],))}
            for j, stage in enumerate(case["stages"]):
                mine = held_stages.get(stage["id"])
                if mine is not None and dict(stage, case_id=case["id"]) != mine:
                    raise refused(doc, where + ["stages", j], "differs from the stage change this vault holds "
                                                              "(stage changes are never rewritten)")
            if not file_wins(case["origin_agency"]):
                summary.unchanged += 1
                continue
            db.execute(insert_sql("cases", CASE_COLS, upsert=True), to_params(case, CASE_COLS))
            db.execute("DELETE FROM case_requests WHERE case_id = ?", (case["id"],))
            db.execute("DELETE FROM case_referrals WHERE case_id = ?", (case["id"],))
            summary.cases_updated += 1
        have_stages = {r["id"] for r in db.query("SELECT id FROM case_stage_changes WHERE case_id = ?",
                                                 (case["id"],))}
        for stage in case["stages"]:
            if stage["id"] not in have_stages:
                db.execute(insert_sql("case_stage_changes", CASE_STAGE_COLS),
                           to_params(dict(stage, case_id=case["id"]), CASE_STAGE_COLS))
        for link in case["requests"]:
            db.execute(insert_sql("case_requests", CASE_REQUEST_COLS),
                       to_params(dict(link, case_id=case["id"]), CASE_REQUEST_COLS))
        for referral in case["referrals"]:
            db.execute(insert_sql("case_referrals", CASE_REFERRAL_COLS),
                       to_params(dict(referral, case_id=case["id"]), CASE_REFERRAL_COLS))
        vault.audit("case.imported", record_type="case", record_id=case["id"], reason=case["reference"])
    for i, link in enumerate(doc.get("subject_links", [])):
        where = ["subject_links", i]
        for col in ("from_subject", "to_subject"):
            if link[col] is not None and not held("subjects", link[col]):
                raise refused(doc, where + [col], "names a subject that is neither in the file nor in this vault")
        if link["case_id"] is not None and not held("cases", link["case_id"]):
            raise refused(doc, where + ["case_id"], "names a case that is neither in the file nor in this vault")
        if held("subject_links", link["id"]):
            summary.unchanged += 1
            continue
        db.execute(insert_sql("subject_links", SUBJECT_LINK_COLS), to_params(link, SUBJECT_LINK_COLS))
        summary.links_added += 1


def check_agenda_cases(vault, doc: dict, refused) -> None:
    """Each case agenda item of the file's meetings names a case in the file or in this vault."""
    for i, meeting in enumerate(doc.get("meetings", [])):
        for j, item in enumerate(meeting["agenda"]):
            case_id = item.get("case_id")
            if case_id is None:
                continue
            if item["kind"] != "case":
                raise refused(doc, ["meetings", i, "agenda", j, "case_id"], "only a case item names a case")
            if vault.db.one("SELECT 1 FROM cases WHERE id = ?", (case_id,)) is None:
                raise refused(doc, ["meetings", i, "agenda", j, "case_id"],
                              "names a case that is neither in the file nor in this vault")


__all__ = ["export_cases", "check", "import_cases", "check_agenda_cases", "Bad", "InvalidInput"]
