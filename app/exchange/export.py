"""Export: a whole vault (administrator) or one request for sending, and the file writer."""

from __future__ import annotations

import json
from pathlib import Path

from app.agreement import load_agreement
from app.errors import InvalidInput
from app.exchange.columns import (FORMAT, REQUEST_COLS, SUBJECT_COLS, DISPATCH_COLS, RESPONSE_COLS, DISCLOSURE_COLS,
                                  CONTACT_COLS, SUSPENSION_COLS, BREACH_COLS, BREACH_UPDATE_COLS,
                                  MEETING_COLS, ACTION_UPDATE_COLS, MEETING_PARTS, Progress, to_json)
from app.exchange.validate import _read
from app.roles import require
from app.timeutil import utc_now_iso



def export_cases(vault):
    from app.exchange.cases import export_cases as cases_and_links

    return cases_and_links(vault)


def export_rights(vault) -> dict:
    from app.exchange.rights import export_rights as retention_and_information_rights

    return retention_and_information_rights(vault)


def _request_json(vault, row, *, responses_from: str | None) -> dict:
    data = to_json(row, REQUEST_COLS)
    data["subjects"] = [{"subject_id": r["subject_id"], "role": r["role"]} for r in vault.db.query(
        "SELECT subject_id, role FROM request_subjects WHERE request_id = ? ORDER BY position, subject_id",
        (row["id"],))]
    dispatches = []
    for d in vault.db.query("SELECT * FROM dispatches WHERE request_id = ? ORDER BY agency, sub_service", (row["id"],)):
        item = to_json(d, DISPATCH_COLS)
        del item["request_id"]
        rows = vault.db.query("SELECT * FROM responses WHERE dispatch_id = ? ORDER BY seq", (d["id"],))
        item["responses"] = []
        for r in rows:
            if responses_from is not None and (r["origin_agency"] != responses_from or r["status"] == "draft"):
                continue  # for sending: only this desk's own responses, and only those sent
            resp = to_json(r, RESPONSE_COLS)
            del resp["dispatch_id"]
            item["responses"].append(resp)
        dispatches.append(item)
    data["dispatches"] = dispatches
    return data


def _envelope(vault, scope: str) -> dict:
    return {"format": FORMAT, "scope": scope, "exported_at": utc_now_iso(), "exported_by": vault.actor,
            "desk": {"agency": vault.agency, "vault_id": vault.vault_id},
            "agreement": load_agreement().info.short_name}


def _with_head(vault, doc: dict) -> dict:
    head = vault.chain_head()
    doc["audit_chain_head"] = {"seq": head.seq, "mac": head.mac}
    return doc


def export_vault(vault, progress: Progress | None = None) -> dict:
    """Everything in the vault (admin only), for moving or restoring a desk."""
    require(vault.role, "export.all", "export the whole vault")
    doc = _envelope(vault, "vault")
    rows = vault.db.query("SELECT * FROM requests ORDER BY seq")
    requests = []
    for index, row in enumerate(rows):
        requests.append(_request_json(vault, row, responses_from=None))
        if progress and index % 500 == 0:
            progress(index, len(rows))
    doc["requests"] = requests
    doc["subjects"] = [to_json(r, SUBJECT_COLS) for r in vault.db.query("SELECT * FROM subjects ORDER BY seq")]
    doc["disclosures"] = [to_json(r, DISCLOSURE_COLS)
                          for r in vault.db.query("SELECT * FROM disclosures ORDER BY seq")]
    doc["contacts"] = [to_json(r, CONTACT_COLS) for r in vault.db.query("SELECT * FROM contacts ORDER BY seq")]
    doc["partner_suspensions"] = [to_json(r, SUSPENSION_COLS)
                                  for r in vault.db.query("SELECT * FROM partner_suspensions ORDER BY seq")]
    doc["breaches"] = _breaches_json(vault)
    doc["meetings"] = _meetings_json(vault)
    doc["cases"], doc["subject_links"] = export_cases(vault)
    doc.update(export_rights(vault))
    doc["consent_requests"], doc["consent_answers"] = _consents_json(vault)
    from app.governance import export_governance

    doc["governance"] = export_governance(vault)  # issue 20: signatories and disputes
    from app.exchange.carry import export_carried

    doc.update(export_carried(vault))  # corrections, complaints, chases, outages, packages, approvals
    vault.audit("export.vault", record_type="vault", record_id=vault.vault_id,
                reason=f"{len(requests)} requests, {len(doc['subjects'])} subjects")
    if progress:
        progress(len(rows), len(rows))
    return _with_head(vault, doc)


def _consents_json(vault) -> tuple[list[dict], list[dict]]:
    """The consent requests and their answers (sections 6.2, 6.3, 7.3), in the order recorded."""
    from app.exchange.columns import CONSENT_ANSWER_COLS, CONSENT_REQUEST_COLS

    return ([to_json(r, CONSENT_REQUEST_COLS) for r in vault.db.query("SELECT * FROM consent_requests ORDER BY seq")],
            [to_json(r, CONSENT_ANSWER_COLS) for r in vault.db.query("SELECT * FROM consent_answers ORDER BY seq")])


def _breaches_json(vault) -> list[dict]:
    """Every breach with its updates in the order they were recorded (append-only history)."""
    updates: dict[str, list] = {}
    for r in vault.db.query("SELECT * FROM breach_updates ORDER BY seq"):
        item = to_json(r, BREACH_UPDATE_COLS)
        del item["breach_id"]
        updates.setdefault(r["breach_id"], []).append(item)
    out = []
    for r in vault.db.query("SELECT * FROM breaches ORDER BY seq"):
        item = to_json(r, BREACH_COLS)
        item["updates"] = updates.get(r["id"], [])
        out.append(item)
    return out


def _meetings_json(vault, meeting_id: str | None = None) -> list[dict]:
    """Every meeting (or the one `meeting_id`) with its parts: attendees in the order added, the
    agenda in agenda order, decisions, actions (each with its append-only status history) and the
    chair's permissions in the order recorded. A part's `meeting_id` is implied by its place."""
    where, params = ("", ()) if meeting_id is None else (" WHERE meeting_id = ?", (meeting_id,))
    parts: dict[str, dict[str, list]] = {}
    for key, table, cols, order in MEETING_PARTS:
        # Table, column and order names are this module's constants, never input.
        for r in vault.db.query(f"SELECT * FROM {table}{where} ORDER BY {order}", params):
            item = to_json(r, cols)
            del item["meeting_id"]
            parts.setdefault(key, {}).setdefault(r["meeting_id"], []).append(item)
    action_ids = [a["id"] for by_meeting in parts.get("actions", {}).values() for a in by_meeting]
    updates: dict[str, list] = {}
    if action_ids:
        rows = vault.db.query("SELECT * FROM meeting_action_updates ORDER BY seq") if meeting_id is None else \
            vault.db.query(
            "SELECT u.* FROM meeting_action_updates u JOIN meeting_actions a ON a.id = u.action_id"
            " WHERE a.meeting_id = ? ORDER BY u.seq", (meeting_id,))
        for r in rows:
            item = to_json(r, ACTION_UPDATE_COLS)
            del item["action_id"]
            updates.setdefault(r["action_id"], []).append(item)
    for by_meeting in parts.get("actions", {}).values():
        for action in by_meeting:
            action["updates"] = updates.get(action["id"], [])
    out = []
    rows = vault.db.query("SELECT * FROM meetings ORDER BY seq") if meeting_id is None else \
        vault.db.query("SELECT * FROM meetings WHERE id = ?", (meeting_id,))
    for r in rows:
        item = to_json(r, MEETING_COLS)
        for key, *_ in MEETING_PARTS:
            item[key] = parts.get(key, {}).get(r["id"], [])
        out.append(item)
    return out


def export_request(vault, ref_or_id: str, *, to: list[str] | None = None, channel: str = "") -> dict:
    """One request for sending (SPOC): recorded in the disclosure register for each recipient.

    Recipients default to the agencies it was sent to (on the requesting desk) or the
    requesting agency (on a partner desk answering it).
    """
    from app import disclosures
    from app.requests import _resolve

    require(vault.role, "export.request", "export a request for sending")
    request_id = _resolve(vault, ref_or_id)
    row = vault.db.one("SELECT * FROM requests WHERE id = ?", (request_id,))
    data = _request_json(vault, row, responses_from=vault.agency)
    codes = load_agreement().partner_codes()
    if to:
        recipients = list(dict.fromkeys(to))
        for code in recipients:
            if code not in codes or code == vault.agency:
                raise InvalidInput(f"Cannot send to {code!r}: choose another partner's code.")
    elif row["origin_agency"] == vault.agency:
        recipients = sorted({d["agency"] for d in data["dispatches"] if d["status"] != "draft"})
        if not recipients:
            raise InvalidInput(f"{row['reference']} has not been sent to any agency yet; send it first.")
    else:
        recipients = [row["origin_agency"]]
    from app import consent

    decisions = {}
    for code in recipients:
        disclosures.refuse_if_suspended(vault, code)  # 13.2
        decisions[code] = consent.require_consent(  # 6.2-6.3: the request, its subjects, own responses
            vault, consent.items_of_request(vault, request_id, responses_of=vault.agency), code,
            consent.default_purpose(vault, request_id))
    subject_ids = [s["subject_id"] for s in data["subjects"]]
    placeholders = ",".join("?" for _ in subject_ids)
    subjects = [to_json(r, SUBJECT_COLS) for r in vault.db.query(
        f"SELECT * FROM subjects WHERE id IN ({placeholders}) ORDER BY seq", subject_ids)] if subject_ids else []
    responses = [r for d in data["dispatches"] for r in d["responses"]]
    bases = sorted({b for r in responses for b in r["lawful_bases"]})
    doc = _envelope(vault, "request")
    doc["requests"] = [data]
    doc["subjects"] = subjects
    with vault.db.transaction():
        vault.audit("export.request", record_type="request", record_id=row["reference"],
                    reason="to " + ", ".join(recipients))
        for code in recipients:
            disclosures.record(vault, kind="export", direction="sent", from_agency=vault.agency, to_agency=code,
                               request_id=request_id, subject_ids=subject_ids,
                               what=f"Exchange file of {row['reference']}"
                                    + (f" with {len(responses)} response(s)" if responses else ""),
                               lawful_bases=bases, channel=channel,
                               originator=row["origin_agency"] if not responses else vault.agency,
                               items=decisions[code].items, consent_grants=decisions[code].grants)
    return _with_head(vault, doc)


def write_file(doc: dict, path: Path) -> None:
    """Write an exchange file (refuses to overwrite); readable by this user only."""
    path = Path(path)
    if path.exists():
        raise InvalidInput(f"{path} already exists; choose a new file name.")
    if not path.parent.is_dir():
        raise InvalidInput(f"The folder {path.parent} does not exist.")
    from app.files import write_private

    write_private(path, json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8"))


def read_file(path: Path) -> dict:
    return _read(path)[0]

