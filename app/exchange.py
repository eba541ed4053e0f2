"""The exchange format `spocdesk/1`: export and import of requests between desks (DESIGN.md).

One JSON document: `{"format": "spocdesk/1", "scope": "vault"|"request", ...}` with `requests`
(each with its subjects by id, and its dispatches, each with its responses), `subjects`, and for
a whole-vault file also `disclosures`, `contacts`, `partner_suspensions`, `breaches` and
`meetings` (each with its attendees, agenda, decisions, 4P actions with their status history,
and the chair's further-disclosure permissions, which name their rows in `disclosures`). The
schema is `resources/schema/spocdesk-1.schema.json` (docs/exchange-format.md); unknown fields are rejected.

Export:
- `export_vault` (admin only): everything, for moving or restoring a desk. Audited.
  Breaches and meetings travel only in such a file.
- `export_request` (SPOC): one request for sending, with its subjects and all its dispatches,
  and only the responses this desk made and sent (never a draft, never another partner's
  answers: section 6). Audited
  and recorded in the disclosure register (kind `export`, one row per recipient).
Both carry the audit chain head (taken after the export's own audit event).

Import (`import_document`): validated with jsonschema, then domain checks (agreement codes,
dates, subject links, reference clashes); the first problem found stops it with an InvalidInput
naming the record (`requests[3] MSR-2026-0004`) and the field path; otherwise everything is
written in one transaction, so a bad file changes nothing.

Records are identified by UUID. Re-importing is idempotent: a record already in the vault is
left as it is, unless the file was exported by the record's originating desk and this desk is
not that desk, in which case the file's copy (the origin's newer version) replaces it. A request
whose reference is already used by a different request of the same agency is an error.
A request-scope import also acts on what arrives: a response sent by another desk is stored as
`received`, moves its dispatch to responded / nil-return / declined and is written to the
disclosure register, as is a newly received request.
Append-only records (breaches and their updates; a meeting's decisions, action history and
permissions) are never rewritten: one already held must be the same in the file, or nothing is
imported.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

from app.agreement import load_agreement
from app.errors import AuthError, InvalidInput
from app.paths import resource_path
from app.records import dumps, loads
from app.roles import require
from app.timeutil import utc_now_iso

FORMAT = "spocdesk/1"
SCHEMA_FILE = ("schema", "spocdesk-1.schema.json")

STAMPS = ("created_at", "created_by", "updated_at", "updated_by")
REQUEST_COLS = ("id", "origin_agency", "reference", "status", "request_date", "requester_name", "requester_rank",
                "requester_number", "requester_team", "requester_contact", "reasons", "information_date",
                "information", "check_request", "partnership_question", "exploitation_types", "purposes",
                "info_types", "declaration", "declared_at", "declared_by", *STAMPS, "retention_rule",
                "last_reviewed_at")
SUBJECT_COLS = ("id", "origin_agency", "kind", "name", "aliases", "date_of_birth", "addresses", "identifiers",
                "description", *STAMPS, "retention_rule", "last_reviewed_at")
DISPATCH_COLS = ("id", "request_id", "agency", "sub_service", "status", "sent_at", "due_date", "acknowledged_at",
                 "closed_at", "decline_reason", *STAMPS)
RESPONSE_COLS = ("id", "dispatch_id", "origin_agency", "kind", "status", "responder_name", "responder_role",
                 "responder_contact", "response_date", "held_text", "disclosed_text", "info_types", "lawful_bases",
                 "necessary", "proportionate", "accurate", "partnership_answer", "decline_reason",
                 "conditions_of_use", "sent_at", "received_at", *STAMPS)
DISCLOSURE_COLS = ("id", "kind", "direction", "from_agency", "to_agency", "at", "request_id", "response_id",
                   "subject_ids", "what", "lawful_bases", "channel", "originator", "recorded_by", "recorded_at")
CONTACT_COLS = ("id", "partner", "sub_service", "team", "name", "role", "email", "telephone", "channel", "active",
                *STAMPS)
SUSPENSION_COLS = ("id", "partner", "from_at", "reason", "suspended_by", "lifted_at", "lifted_by", "lifted_reason")
BREACH_COLS = ("id", "origin_agency", "reference", "reporter", "agency", "category", "occurred_at", "aware_at", "facts",
               "request_ids", "subject_ids", "disclosure_ids", "data_categories", "people_count", "records_count",
               "consequences", "containment", "remedial", "created_at", "created_by")
BREACH_UPDATE_COLS = ("id", "breach_id", "kind", "at", "details", "recorded_at", "recorded_by")
MEETING_COLS = ("id", "origin_agency", "reference", "held_at", "place", "chair", "chair_agency", "status", "notes",
                *STAMPS)
ATTENDEE_COLS = ("id", "meeting_id", "name", "role_title", "agency", "accepted_at", "accepted_recorded_by",
                 "accepted_recorded_at", "created_at", "created_by")
AGENDA_COLS = ("id", "meeting_id", "position", "kind", "request_id", "title", "notes", "created_at", "created_by")
DECISION_COLS = ("id", "meeting_id", "agenda_item_id", "text", "recorded_at", "recorded_by")
ACTION_COLS = ("id", "meeting_id", "agenda_item_id", "category", "text", "owner_agency", "due_date", "status",
               *STAMPS)
ACTION_UPDATE_COLS = ("id", "action_id", "status", "note", "at", "recorded_by")
PERMISSION_COLS = ("id", "meeting_id", "agenda_item_id", "requested_by", "requested_by_agency", "to_agency", "what",
                   "reason", "granted", "decided_by", "decided_at", "disclosure_id", "recorded_at", "recorded_by")
# A meeting's parts in the file: (key in the meeting object, table, columns, ORDER BY of the table).
MEETING_PARTS = (("attendees", "meeting_attendees", ATTENDEE_COLS, "seq"),
                 ("agenda", "meeting_agenda_items", AGENDA_COLS, "position, seq"),
                 ("decisions", "meeting_decisions", DECISION_COLS, "seq"),
                 ("actions", "meeting_actions", ACTION_COLS, "seq"),
                 ("permissions", "meeting_permissions", PERMISSION_COLS, "seq"))
JSON_COLS = {"reasons", "exploitation_types", "purposes", "info_types", "declaration", "aliases", "addresses",
             "identifiers", "lawful_bases", "conditions_of_use", "subject_ids", "request_ids", "disclosure_ids",
             "details"}
BOOL_COLS = {"active", "granted"}

Progress = Callable[[int, int], None]  # (done, total)


@dataclass
class ImportSummary:
    requests_added: int = 0
    requests_updated: int = 0
    subjects_added: int = 0
    dispatches_added: int = 0
    responses_added: int = 0
    responses_received: int = 0
    disclosures_added: int = 0
    contacts_added: int = 0
    suspensions_added: int = 0
    breaches_added: int = 0
    breach_updates_added: int = 0
    meetings_added: int = 0
    meetings_updated: int = 0
    unchanged: int = 0
    references: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"{self.requests_added} requests added, {self.requests_updated} updated, "
                f"{self.subjects_added} subjects, {self.dispatches_added} dispatches, "
                f"{self.responses_added} responses ({self.responses_received} newly received), "
                f"{self.disclosures_added} disclosures, {self.contacts_added} contacts, "
                f"{self.breaches_added} breaches ({self.breach_updates_added} breach updates), "
                f"{self.meetings_added} meetings added, {self.meetings_updated} updated; "
                f"{self.unchanged} records already held")


# ---- rows <-> JSON --------------------------------------------------------------------------


def to_json(row, cols) -> dict:
    out = {}
    for col in cols:
        value = row[col]
        if col in JSON_COLS:
            value = loads(value)
        elif col in BOOL_COLS:
            value = bool(value)
        out[col] = value
    return out


def to_params(obj: dict, cols) -> tuple:
    values = []
    for col in cols:
        value = obj.get(col)
        if col in JSON_COLS:
            value = dumps(value if value is not None else ({} if col == "details" else []))
        elif col in BOOL_COLS:
            value = 1 if value else 0
        values.append(value)
    return tuple(values)


def insert_sql(table: str, cols, *, upsert: bool = False) -> str:
    # Table and column names are this module's constants, never input.
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"
    if upsert:
        sql += " ON CONFLICT(id) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in cols if c != "id")
    return sql


# ---- export ---------------------------------------------------------------------------------


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
    vault.audit("export.vault", record_type="vault", record_id=vault.vault_id,
                reason=f"{len(requests)} requests, {len(doc['subjects'])} subjects")
    if progress:
        progress(len(rows), len(rows))
    return _with_head(vault, doc)


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
    for code in recipients:
        disclosures.refuse_if_suspended(vault, code)  # 13.2
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
                               originator=row["origin_agency"] if not responses else vault.agency)
    return _with_head(vault, doc)


def write_file(doc: dict, path: Path) -> None:
    """Write an exchange file (refuses to overwrite); readable by this user only."""
    path = Path(path)
    if path.exists():
        raise InvalidInput(f"{path} already exists; choose a new file name.")
    if not path.parent.is_dir():
        raise InvalidInput(f"The folder {path.parent} does not exist.")
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    with open(path, "x", encoding="utf-8") as handle:
        handle.write(text)
    try:
        path.chmod(0o600)
    except OSError:
        pass


def read_file(path: Path) -> dict:
    return _read(path)[0]


# A JSON text can hold an unpaired surrogate only as a \uD800-\uDFFF escape (UTF-8 text cannot).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _read(path: Path) -> tuple[dict, bool]:
    """The document, and whether its text has any surrogate escape (if not, none can be unpaired)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"There is no file {path}.") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path} is a folder, not an exchange file.") from None
    try:
        text = raw.decode("utf-8")
        return json.loads(text), bool(_SURROGATE_ESCAPE.search(text))
    except UnicodeDecodeError:
        raise InvalidInput(f"{path.name} is not UTF-8 text; it is not a SPOC Desk exchange file.") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path.name} is not valid JSON (line {exc.lineno}, column {exc.colno}).") from None


# ---- validation -----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _validator():
    import jsonschema

    schema = json.loads(resource_path(*SCHEMA_FILE).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


@lru_cache(maxsize=1)
def _fast_check():
    """The same schema compiled to Python by fastjsonschema: about ten times quicker on a large
    file, so a file that passes is not slowed by jsonschema; a file that fails is re-checked
    with jsonschema, whose messages and paths name the record and field. The schema uses no
    keyword that differs between draft 7 and 2020-12 (a test checks both agree)."""
    import fastjsonschema

    schema = dict(_validator().schema)
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    return fastjsonschema.compile(schema), fastjsonschema.JsonSchemaException


def schema() -> dict:
    return _validator().schema


def _short(value: str, limit: int = 200) -> str:
    return value if len(value) <= limit else value[:limit] + "…"


def _where(doc: dict, path: list) -> str:
    """'requests[3] MSR-2026-0004: dispatches[0].status' for a path into the document."""
    if not path:
        return "the file"
    head, rest = path[0], list(path[1:])
    label = str(head)
    if rest and isinstance(rest[0], int):
        index = rest.pop(0)
        label = f"{head}[{index}]"
        try:
            item = doc[head][index]
            name = item.get("reference") if head in ("requests", "breaches", "meetings") else None
            if name and isinstance(name, str):
                label += f" {_short(name, 40)}"
        except Exception:
            pass
    tail = ""
    for part in rest:
        tail += f"[{part}]" if isinstance(part, int) else (f".{part}" if tail else str(part))
    return f"{label}: {tail}" if tail else label


class _Bad(Exception):
    def __init__(self, path: list, message: str):
        self.path, self.message = path, message


def validate_document(doc, *, may_hold_surrogates: bool = True) -> None:
    """Schema first (jsonschema), then the agreement's codes and the links between records."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else None
        raise InvalidInput(f"This is not a SPOC Desk exchange file (format {found!r}; expected {FORMAT!r}).")
    check, failure = _fast_check()
    try:
        check(doc)
        errors = []
    except failure as fast_error:
        errors = sorted(_validator().iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
        if not errors:  # the two disagree: stay strict and say what the quick check found
            raise InvalidInput(f"Import refused, nothing was changed: {_short(str(fast_error))}.") from None
    if errors:
        error = errors[0]
        more = f" ({len(errors) - 1} more problem{'s' if len(errors) > 2 else ''} in the file)" if len(errors) > 1 else ""
        raise InvalidInput(f"Import refused, nothing was changed: {_where(doc, list(error.absolute_path))}: "
                           f"{_short(error.message)}{more}.")
    try:
        if may_hold_surrogates and _has_surrogates(doc):
            _no_surrogates(doc, [])  # find and name where
        _domain_checks(doc)
    except _Bad as bad:
        raise InvalidInput(f"Import refused, nothing was changed: {_where(doc, bad.path)}: {bad.message}.") from None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_surrogates(doc) -> bool:
    """Quick test for any unpaired surrogate: UTF-8 cannot encode one (done in C, not a Python walk)."""
    try:
        json.dumps(doc, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _no_surrogates(value, path: list) -> None:
    """Refuse unpaired surrogates (a JSON escape such as "\\ud800"): no UTF-8 text can hold them,
    so the vault could not store them and another desk could not read them back."""
    if isinstance(value, str):
        if _SURROGATE.search(value):
            raise _Bad(path, "holds an unpaired surrogate character, which cannot be stored as text")
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_surrogates(key, path)
            _no_surrogates(item, path + [key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _no_surrogates(item, path + [index])


def _domain_checks(doc: dict) -> None:
    from app.requests import validate_request
    from app.responses import validate_response
    from app.subjects import validate_subject

    agreement = load_agreement()
    codes = set(agreement.partner_codes())
    if doc["desk"]["agency"] not in codes:
        raise _Bad(["desk", "agency"], f"unknown agency {doc['desk']['agency']!r}")
    subject_ids = set()
    for i, subject in enumerate(doc["subjects"]):
        if subject["origin_agency"] not in codes:
            raise _Bad(["subjects", i, "origin_agency"], "unknown agency")
        if subject["id"] in subject_ids:
            raise _Bad(["subjects", i, "id"], "appears twice in the file")
        subject_ids.add(subject["id"])
        problems, _ = validate_subject(subject)
        if problems:
            raise _Bad(["subjects", i, problems[0].field], problems[0].message)
    seen_ids: set[str] = set()
    seen_refs: set[tuple[str, str]] = set()
    for i, request in enumerate(doc["requests"]):
        where = ["requests", i]
        if request["origin_agency"] not in codes:
            raise _Bad(where + ["origin_agency"], f"unknown agency {request['origin_agency']!r}")
        key = (request["origin_agency"], request["reference"])
        if key in seen_refs or request["id"] in seen_ids:
            raise _Bad(where + ["reference"], "the same request appears twice in the file")
        seen_refs.add(key)
        seen_ids.add(request["id"])
        problems, _ = validate_request({k: request[k] for k in request if k not in ("subjects", "dispatches")})
        if problems:
            raise _Bad(where + [problems[0].field], problems[0].message)
        for j, link in enumerate(request["subjects"]):
            if link["subject_id"] not in subject_ids:
                raise _Bad(where + ["subjects", j, "subject_id"], "names a subject that is not in the file")
        targets = set()
        for j, dispatch in enumerate(request["dispatches"]):
            dwhere = where + ["dispatches", j]
            if dispatch["agency"] not in codes:
                raise _Bad(dwhere + ["agency"], f"unknown agency {dispatch['agency']!r}")
            if dispatch["sub_service"] and dispatch["sub_service"] not in {
                    s.code for s in agreement.partner(dispatch["agency"]).sub_services}:
                raise _Bad(dwhere + ["sub_service"], f"{dispatch['agency']} has no sub-service {dispatch['sub_service']!r}")
            target = (dispatch["agency"], dispatch["sub_service"])
            if target in targets or dispatch["id"] in seen_ids:
                raise _Bad(dwhere, "the same agency appears twice")
            targets.add(target)
            seen_ids.add(dispatch["id"])
            for k, response in enumerate(dispatch["responses"]):
                rwhere = dwhere + ["responses", k]
                if response["origin_agency"] != dispatch["agency"]:
                    raise _Bad(rwhere + ["origin_agency"], "a response must come from the agency it was sent to")
                if response["id"] in seen_ids:
                    raise _Bad(rwhere + ["id"], "appears twice in the file")
                seen_ids.add(response["id"])
                data = {k2: v for k2, v in response.items()}
                problems, _ = validate_response(data, for_sending=response["status"] != "draft")
                if problems:
                    raise _Bad(rwhere + [problems[0].field], problems[0].message)
    bases = {b.id for b in agreement.lawful_bases}
    for i, row in enumerate(doc.get("disclosures", [])):
        for col in ("from_agency", "to_agency", "originator"):
            if row[col] not in codes:
                raise _Bad(["disclosures", i, col], f"unknown agency {row[col]!r}")
        for basis in row["lawful_bases"]:
            if basis not in bases:
                raise _Bad(["disclosures", i, "lawful_bases"], f"unknown lawful basis {basis!r}")
    for name in ("contacts", "partner_suspensions"):
        for i, row in enumerate(doc.get(name, [])):
            if row["partner"] not in codes:
                raise _Bad([name, i, "partner"], f"unknown agency {row['partner']!r}")
    _check_breaches(doc, codes)
    _check_meetings(doc, codes)


def _check_breaches(doc: dict, codes: set[str]) -> None:
    from app.breaches import validate_breach
    from app.timeutil import parse_utc

    seen: set[str] = set()
    refs: set[tuple[str, str]] = set()
    if doc.get("breaches") and doc["scope"] != "vault":
        raise _Bad(["breaches"], "breaches travel only in a whole-vault file")
    for i, breach in enumerate(doc.get("breaches", [])):
        where = ["breaches", i]
        for col in ("origin_agency", "agency"):
            if breach[col] not in codes:
                raise _Bad(where + [col], f"unknown agency {breach[col]!r}")
        key = (breach["origin_agency"], breach["reference"])
        if breach["id"] in seen or key in refs:
            raise _Bad(where + ["reference"], "the same breach appears twice in the file")
        seen.add(breach["id"])
        refs.add(key)
        problems, _ = validate_breach({k: breach[k] for k in breach if k != "updates"},
                                      now=parse_utc("9999-12-31T00:00:00+00:00"))
        if problems:
            raise _Bad(where + [problems[0].field], problems[0].message)
        for j, update in enumerate(breach["updates"]):
            if update["id"] in seen:
                raise _Bad(where + ["updates", j, "id"], "appears twice in the file")
            seen.add(update["id"])
            for col in ("at", "recorded_at"):
                try:
                    parse_utc(update[col])
                except ValueError:
                    raise _Bad(where + ["updates", j, col], "must be a UTC time like 2026-03-02T10:15:00+00:00") \
                        from None
            for code in [update["details"].get("partner")] + list(update["details"].get("partners", [])):
                if code is not None and code not in codes:
                    raise _Bad(where + ["updates", j, "details"], f"unknown agency {code!r}")


def _check_utc(where: list, value, *, nullable: bool = False) -> None:
    if value is None and nullable:
        return
    from app.timeutil import parse_utc

    try:
        parse_utc(value)
    except (ValueError, TypeError):
        raise _Bad(where, "must be a UTC time like 2026-03-02T10:15:00+00:00") from None


def _check_meetings(doc: dict, codes: set[str]) -> None:
    """Each meeting and its parts: the agreement's partner codes and 4P categories, real times and
    dates, agenda links inside the meeting, an action's history that starts 'open' and ends at its
    status, and a register row named by a granted permission only (and agreeing with it, when
    the row is in the file). Links to requests and to register rows outside the file are checked
    against the vault on import."""
    from app.meetings import validate_action, validate_attendee, validate_meeting, validate_permission
    from app.records import check_text
    from app.timeutil import parse_utc

    meetings = doc.get("meetings", [])
    if meetings and doc["scope"] != "vault":
        raise _Bad(["meetings"], "meetings travel only in a whole-vault file")
    far = parse_utc("9999-12-31T00:00:00+00:00")
    register = {d["id"]: d for d in doc.get("disclosures", [])}
    seen: set[str] = set()
    refs: set[tuple[str, str]] = set()
    claimed: set[str] = set()

    def once(where: list, record_id: str) -> None:
        if record_id in seen:
            raise _Bad(where + ["id"], "appears twice in the file")
        seen.add(record_id)

    def first(where: list, problems) -> None:
        if problems:
            raise _Bad(where + [problems[0].field], problems[0].message)

    for i, meeting in enumerate(meetings):
        where = ["meetings", i]
        if meeting["origin_agency"] not in codes:
            raise _Bad(where + ["origin_agency"], f"unknown agency {meeting['origin_agency']!r}")
        key = (meeting["origin_agency"], meeting["reference"])
        if meeting["id"] in seen or key in refs:
            raise _Bad(where + ["reference"], "the same meeting appears twice in the file")
        seen.add(meeting["id"])
        refs.add(key)
        for col in ("held_at", "created_at", "updated_at"):
            _check_utc(where + [col], meeting[col])
        first(where, validate_meeting(meeting, now=far)[0])
        for j, attendee in enumerate(meeting["attendees"]):
            awhere = where + ["attendees", j]
            once(awhere, attendee["id"])
            first(awhere, validate_attendee(attendee)[0])
            _check_utc(awhere + ["created_at"], attendee["created_at"])
            accepted = [attendee[c] is not None for c in ("accepted_at", "accepted_recorded_by",
                                                           "accepted_recorded_at")]
            if any(accepted) and not all(accepted):
                raise _Bad(awhere + ["accepted_at"], "an acceptance needs its time, who recorded it and when")
            for col in ("accepted_at", "accepted_recorded_at"):
                _check_utc(awhere + [col], attendee[col], nullable=True)
        items: dict[str, dict] = {}
        positions: set[int] = set()
        linked: set[str] = set()
        for j, item in enumerate(meeting["agenda"]):
            iwhere = where + ["agenda", j]
            once(iwhere, item["id"])
            items[item["id"]] = item
            if item["position"] in positions:
                raise _Bad(iwhere + ["position"], "two agenda items have the same position")
            positions.add(item["position"])
            _check_utc(iwhere + ["created_at"], item["created_at"])
            if item["kind"] == "request":
                if item["request_id"] is None:
                    raise _Bad(iwhere + ["request_id"], "a request item must name its request")
                if item["request_id"] in linked:
                    raise _Bad(iwhere + ["request_id"], "the request is already on this agenda")
                linked.add(item["request_id"])
            else:
                if item["request_id"] is not None:
                    raise _Bad(iwhere + ["request_id"], "a case has no request (put the request on the agenda)")
                problems: list = []
                check_text(problems, "title", item["title"], required=True, missing="a case needs a title",
                           limit=500)
                first(iwhere, problems)

        def on_agenda(pwhere: list, item_id) -> None:
            if item_id is not None and item_id not in items:
                raise _Bad(pwhere + ["agenda_item_id"], "is not an item of this meeting's agenda")

        for j, decision in enumerate(meeting["decisions"]):
            dwhere = where + ["decisions", j]
            once(dwhere, decision["id"])
            on_agenda(dwhere, decision["agenda_item_id"])
            problems = []
            check_text(problems, "text", decision["text"], required=True, missing="a decision needs its text")
            first(dwhere, problems)
            _check_utc(dwhere + ["recorded_at"], decision["recorded_at"])
        for j, action in enumerate(meeting["actions"]):
            xwhere = where + ["actions", j]
            once(xwhere, action["id"])
            first(xwhere, validate_action(action)[0])
            on_agenda(xwhere, action["agenda_item_id"])
            for col in ("created_at", "updated_at"):
                _check_utc(xwhere + [col], action[col])
            history = action["updates"]
            if not history or history[0]["status"] != "open":
                raise _Bad(xwhere + ["updates"], "an action's history starts with 'open' when it was agreed")
            if history[-1]["status"] != action["status"]:
                raise _Bad(xwhere + ["status"], f"is {action['status']!r} but its history ends "
                                                f"{history[-1]['status']!r}")
            for k, update in enumerate(history):
                once(xwhere + ["updates", k], update["id"])
                _check_utc(xwhere + ["updates", k, "at"], update["at"])
        for j, permission in enumerate(meeting["permissions"]):
            pwhere = where + ["permissions", j]
            once(pwhere, permission["id"])
            first(pwhere, validate_permission(permission, now=far)[0])
            on_agenda(pwhere, permission["agenda_item_id"])
            for col in ("decided_at", "recorded_at"):
                _check_utc(pwhere + [col], permission[col])
            did = permission["disclosure_id"]
            if not permission["granted"]:
                if did is not None:
                    raise _Bad(pwhere + ["disclosure_id"], "a refused permission has no disclosure register row")
                continue
            if did is None:
                raise _Bad(pwhere + ["disclosure_id"], "a granted permission names its disclosure register row")
            if did in claimed:
                raise _Bad(pwhere + ["disclosure_id"], "another permission names the same register row")
            claimed.add(did)
            if did in register:
                problem = _register_mismatch(permission, register[did], items)
                if problem:
                    raise _Bad(pwhere + ["disclosure_id"], problem)


def _register_mismatch(permission: dict, row: dict, items: dict[str, dict]) -> str | None:
    """Why the register row of a granted permission does not record that grant (None if it does):
    kind 'meeting', sent from the asking agency to `to_agency` at the decision time, linked to the
    request of the permission's agenda item (if any) - as app.meetings.record_permission writes it."""
    item = items.get(permission["agenda_item_id"]) if permission["agenda_item_id"] else None
    expected = {"kind": "meeting", "direction": "sent", "from_agency": permission["requested_by_agency"],
                "to_agency": permission["to_agency"], "at": permission["decided_at"],
                "request_id": item["request_id"] if item is not None else None}
    for col, value in expected.items():
        if row[col] != value:
            return (f"the disclosure register row {row['id']} does not record this grant "
                    f"(its {col} is {row[col]!r}, not {value!r})")
    return None


# ---- import ---------------------------------------------------------------------------------


def _existing(vault, table: str) -> set[str]:
    return {r[0] for r in vault.db.query(f"SELECT id FROM {table}")}  # our constant table names


LINK_SQL = "INSERT INTO request_subjects (request_id, subject_id, role, position) VALUES (?, ?, ?, ?)"


def _note_counter(counters: dict, here: str, origin: str, reference: str) -> None:
    """Remember the highest imported number of this desk's own references, per year."""
    if origin != here:
        return
    try:
        _prefix, year, number = reference.rsplit("-", 2)
        key, value = (origin, int(year)), int(number)
    except ValueError:
        return
    counters[key] = max(counters.get(key, 0), value)


def _response_arrived(vault, disclosures, request: dict, dispatch_id: str, response: dict, status: str) -> None:
    """A partner's answer came in: settle its dispatch, audit it, and enter it in the register."""
    now = utc_now_iso()
    vault.db.execute("UPDATE dispatches SET status = ?, closed_at = ?, decline_reason = ?,"
                     " updated_at = ?, updated_by = ? WHERE id = ?",
                     (status, now, response["decline_reason"] or None, now, vault.actor, dispatch_id))
    vault.audit("response.received", record_type="response", record_id=response["id"], reason=request["reference"])
    disclosures.record(vault, kind="response", direction="received", from_agency=response["origin_agency"],
                       to_agency=vault.agency, request_id=request["id"], response_id=response["id"],
                       subject_ids=[s["subject_id"] for s in request["subjects"]]
                       if response["kind"] == "disclosure" else [],
                       what=f"{response['kind']} response to {request['reference']}",
                       lawful_bases=response["lawful_bases"], originator=response["origin_agency"])


def import_document(vault, doc, progress: Progress | None = None, *,
                    may_hold_surrogates: bool = True) -> ImportSummary:
    """Validate and import an exchange document, all or nothing."""
    from app import disclosures
    from app.requests import keep_counter_beyond
    from app.responses import DISPATCH_STATUS_FOR

    require(vault.role, "import", "import exchange files")
    validate_document(doc, may_hold_surrogates=may_hold_surrogates)
    if doc["scope"] == "vault" and vault.role != "admin":
        raise AuthError("A whole-vault file can only be imported by an administrator.")
    summary = ImportSummary()
    from_desk = doc["desk"]["agency"]
    here = vault.agency
    acting = doc["scope"] == "request"  # act on arrivals; a vault file is a plain restore
    db = vault.db
    total = len(doc["requests"])

    def file_wins(origin: str) -> bool:
        return from_desk == origin and origin != here

    with db.transaction():
        have_requests = _existing(vault, "requests")
        have_subjects = _existing(vault, "subjects")
        have_dispatches = _existing(vault, "dispatches")
        have_responses = _existing(vault, "responses")
        refs = {(r["origin_agency"], r["reference"]): r["id"]
                for r in db.query("SELECT id, origin_agency, reference FROM requests")}
        for i, request in enumerate(doc["requests"]):
            other = refs.get((request["origin_agency"], request["reference"]))
            if other is not None and other != request["id"]:
                raise InvalidInput(f"Import refused, nothing was changed: {_where(doc, ['requests', i, 'reference'])}: "
                                   f"this vault already holds a different request with that reference.")
        # New rows are gathered and inserted with executemany, parents before children (the
        # foreign keys are checked at once); what depends on them (counters, audit events,
        # register rows, dispatch statuses) runs afterwards, in the file's order.
        new_subjects, new_requests, new_links, new_dispatches, new_responses = [], [], [], [], []
        afterwards: list[Callable[[], None]] = []
        counters: dict[tuple[str, int], int] = {}
        for subject in doc["subjects"]:
            if subject["id"] not in have_subjects:
                new_subjects.append(to_params(subject, SUBJECT_COLS))
                summary.subjects_added += 1
            elif file_wins(subject["origin_agency"]):
                db.execute(insert_sql("subjects", SUBJECT_COLS, upsert=True), to_params(subject, SUBJECT_COLS))
            else:
                summary.unchanged += 1
        db.executemany(insert_sql("subjects", SUBJECT_COLS), new_subjects)
        for i, request in enumerate(doc["requests"]):
            rid = request["id"]
            is_new = rid not in have_requests
            if is_new or file_wins(request["origin_agency"]):
                links = [(rid, link["subject_id"], link["role"], n) for n, link in enumerate(request["subjects"])]
                if is_new:
                    new_requests.append(to_params(request, REQUEST_COLS))
                    new_links.extend(links)
                    summary.requests_added += 1
                else:
                    db.execute(insert_sql("requests", REQUEST_COLS, upsert=True), to_params(request, REQUEST_COLS))
                    db.execute("DELETE FROM request_subjects WHERE request_id = ?", (rid,))
                    db.executemany(LINK_SQL, links)
                    summary.requests_updated += 1
                _note_counter(counters, here, request["origin_agency"], request["reference"])
                summary.references.append(request["reference"])
                if acting:
                    afterwards.append(functools.partial(
                        vault.audit, "request.imported", record_type="request", record_id=request["reference"]))
                if acting and is_new and request["origin_agency"] != here:
                    afterwards.append(functools.partial(
                        disclosures.record, vault, kind="request", direction="received", from_agency=from_desk,
                        to_agency=here, request_id=rid, subject_ids=[s["subject_id"] for s in request["subjects"]],
                        what=f"Personal data request {request['reference']}", originator=request["origin_agency"]))
            else:
                summary.unchanged += 1
            for dispatch in request["dispatches"]:
                row = dict(dispatch, request_id=rid)
                if dispatch["id"] not in have_dispatches:
                    new_dispatches.append(to_params(row, DISPATCH_COLS))
                    summary.dispatches_added += 1
                elif file_wins(request["origin_agency"]):
                    db.execute(insert_sql("dispatches", DISPATCH_COLS, upsert=True), to_params(row, DISPATCH_COLS))
                for response in dispatch["responses"]:
                    resp = dict(response, dispatch_id=dispatch["id"])
                    if response["id"] in have_responses:
                        if file_wins(response["origin_agency"]) and response["status"] == "draft":
                            db.execute(insert_sql("responses", RESPONSE_COLS, upsert=True),
                                       to_params(resp, RESPONSE_COLS))
                        else:
                            summary.unchanged += 1
                        continue
                    arriving = acting and response["origin_agency"] != here and response["status"] == "sent"
                    if arriving:
                        resp["status"] = "received"
                        resp["received_at"] = utc_now_iso()
                    new_responses.append(to_params(resp, RESPONSE_COLS))
                    summary.responses_added += 1
                    if arriving:
                        summary.responses_received += 1
                        afterwards.append(functools.partial(
                            _response_arrived, vault, disclosures, request, dispatch["id"], response,
                            DISPATCH_STATUS_FOR[response["kind"]]))
            if progress and i % 500 == 0:
                progress(i, total)
        db.executemany(insert_sql("requests", REQUEST_COLS), new_requests)
        db.executemany(LINK_SQL, new_links)
        db.executemany(insert_sql("dispatches", DISPATCH_COLS), new_dispatches)
        db.executemany(insert_sql("responses", RESPONSE_COLS), new_responses)
        for (agency, year), number in counters.items():
            keep_counter_beyond(vault, agency, year, number)
        for step in afterwards:
            step()
        for name, table, cols, counter in (
                ("disclosures", "disclosures", DISCLOSURE_COLS, "disclosures_added"),
                ("contacts", "contacts", CONTACT_COLS, "contacts_added"),
                ("partner_suspensions", "partner_suspensions", SUSPENSION_COLS, "suspensions_added")):
            rows = doc.get(name) or []
            if not rows:
                continue
            have = _existing(vault, table)
            fresh = [to_params(r, cols) for r in rows if r["id"] not in have]
            db.executemany(insert_sql(table, cols), fresh)
            setattr(summary, counter, getattr(summary, counter) + len(fresh))
            summary.unchanged += len(rows) - len(fresh)
        _import_breaches(vault, doc, summary)
        _import_meetings(vault, doc, summary, file_wins)
        vault.audit("import", record_type="exchange", record_id=doc["scope"],
                    reason=f"from {from_desk}: {summary.requests_added} requests added, "
                           f"{summary.requests_updated} updated, {summary.responses_added} responses")
    if progress:
        progress(total, total)
    return summary


def _import_breaches(vault, doc: dict, summary: ImportSummary) -> None:
    """Breaches are append-only: a new one is added with its updates; one already held must be
    the same record, and only updates it does not hold yet are appended (in the file's order)."""
    db = vault.db
    for i, breach in enumerate(doc.get("breaches", [])):
        held = db.one("SELECT * FROM breaches WHERE id = ?", (breach["id"],))
        if held is None:
            clash = db.one("SELECT 1 FROM breaches WHERE origin_agency = ? AND reference = ?",
                           (breach["origin_agency"], breach["reference"]))
            if clash is not None:
                raise InvalidInput(f"Import refused, nothing was changed: {_where(doc, ['breaches', i, 'reference'])}:"
                                   " this vault already holds a different breach with that reference.")
            db.execute(insert_sql("breaches", BREACH_COLS), to_params(breach, BREACH_COLS))
            summary.breaches_added += 1
            vault.audit("breach.imported", record_type="breach", record_id=breach["id"], reason=breach["reference"])
        else:
            if to_json(held, BREACH_COLS) != {c: breach[c] for c in BREACH_COLS}:
                raise InvalidInput(f"Import refused, nothing was changed: {_where(doc, ['breaches', i])}: differs "
                                   "from the breach this vault holds with the same id; a breach is never rewritten.")
            summary.unchanged += 1
        have = {r["id"]: to_json(r, BREACH_UPDATE_COLS)
                for r in db.query("SELECT * FROM breach_updates WHERE breach_id = ?", (breach["id"],))}
        for j, update in enumerate(breach["updates"]):
            if update["id"] in have:
                if have[update["id"]] != dict(update, breach_id=breach["id"]):
                    raise InvalidInput(f"Import refused, nothing was changed: {_where(doc, ['breaches', i, 'updates', j])}:"
                                       " differs from the update this vault holds with the same id; breach updates"
                                       " are never rewritten.")
                summary.unchanged += 1
                continue
            row = dict(update, breach_id=breach["id"])
            db.execute(insert_sql("breach_updates", BREACH_UPDATE_COLS), to_params(row, BREACH_UPDATE_COLS))
            summary.breach_updates_added += 1


def _refused(doc: dict, where: list, message: str) -> InvalidInput:
    return InvalidInput(f"Import refused, nothing was changed: {_where(doc, where)}: {message}.")


def _import_meetings(vault, doc: dict, summary: ImportSummary, file_wins: Callable[[str], bool]) -> None:
    """After the requests and the register: a new meeting is added with all its parts. A meeting
    already held is left as it is (like a request), unless the file was written by its originating
    desk and this desk is not that desk: then the file's copy replaces its details, attendees,
    agenda and actions. Either way decisions, action status history and permission decisions are
    append-only: one already held must be the same in the file (or nothing is imported), and
    those not held yet are appended only when the meeting is added or replaced. A granted
    permission keeps the register row it names (from the file or already in the vault); no
    second row is written."""
    db = vault.db
    for i, meeting in enumerate(doc.get("meetings", [])):
        where = ["meetings", i]
        items = {item["id"]: item for item in meeting["agenda"]}
        for j, item in enumerate(meeting["agenda"]):
            if item["request_id"] is not None and db.one("SELECT 1 FROM requests WHERE id = ?",
                                                         (item["request_id"],)) is None:
                raise _refused(doc, where + ["agenda", j, "request_id"],
                               "links a request that is neither in the file nor in this vault")
        for j, permission in enumerate(meeting["permissions"]):
            if permission["disclosure_id"] is None:
                continue
            pwhere = where + ["permissions", j, "disclosure_id"]
            row = db.one("SELECT * FROM disclosures WHERE id = ?", (permission["disclosure_id"],))
            if row is None:
                raise _refused(doc, pwhere, "names a disclosure register row that is neither in the file nor "
                                            "in this vault")
            problem = _register_mismatch(permission, to_json(row, DISCLOSURE_COLS), items)
            if problem:
                raise _refused(doc, pwhere, problem)
            other = db.one("SELECT id FROM meeting_permissions WHERE disclosure_id = ? AND id != ?",
                           (permission["disclosure_id"], permission["id"]))
            if other is not None:
                raise _refused(doc, pwhere, "another permission in this vault names the same register row")
        held = db.one("SELECT * FROM meetings WHERE id = ?", (meeting["id"],))
        if held is None:
            clash = db.one("SELECT 1 FROM meetings WHERE origin_agency = ? AND reference = ?",
                           (meeting["origin_agency"], meeting["reference"]))
            if clash is not None:
                raise _refused(doc, where + ["reference"],
                               "this vault already holds a different meeting with that reference")
            db.execute(insert_sql("meetings", MEETING_COLS), to_params(meeting, MEETING_COLS))
            _write_meeting_parts(vault, meeting, replace=False)
            summary.meetings_added += 1
            vault.audit("meeting.imported", record_type="meeting", record_id=meeting["id"],
                        reason=meeting["reference"])
            continue
        _same_append_only(vault, doc, where, meeting)
        if _meetings_json(vault, meeting["id"]) == [meeting] or not file_wins(meeting["origin_agency"]):
            summary.unchanged += 1
            continue
        db.execute(insert_sql("meetings", MEETING_COLS, upsert=True), to_params(meeting, MEETING_COLS))
        _write_meeting_parts(vault, meeting, replace=True)
        summary.meetings_updated += 1
        vault.audit("meeting.imported", record_type="meeting", record_id=meeting["id"], reason=meeting["reference"])


def _same_append_only(vault, doc: dict, where: list, meeting: dict) -> None:
    """Decisions, action updates and permissions are never rewritten: one this vault holds must be
    exactly the same in the file."""
    db = vault.db
    checks = [(["decisions", j], "meeting_decisions", DECISION_COLS, dict(d, meeting_id=meeting["id"]))
              for j, d in enumerate(meeting["decisions"])]
    checks += [(["permissions", j], "meeting_permissions", PERMISSION_COLS, dict(p, meeting_id=meeting["id"]))
               for j, p in enumerate(meeting["permissions"])]
    checks += [(["actions", j, "updates", k], "meeting_action_updates", ACTION_UPDATE_COLS,
                dict(u, action_id=a["id"]))
               for j, a in enumerate(meeting["actions"]) for k, u in enumerate(a["updates"])]
    for path, table, cols, expected in checks:
        row = db.one(f"SELECT * FROM {table} WHERE id = ?", (expected["id"],))  # our constant table names
        if row is not None and to_json(row, cols) != {c: expected[c] for c in cols}:
            raise _refused(doc, where + path, "differs from the record this vault holds with the same id; "
                                              "decisions, action history and permissions are never rewritten")


def _write_meeting_parts(vault, meeting: dict, *, replace: bool) -> None:
    """Write a meeting's parts. `replace`: the file's copy replaces the held attendees, agenda and
    actions (ones it no longer has are removed, as its desk removed them) and adds the decisions,
    action updates and permissions not held yet."""
    db = vault.db
    mid = meeting["id"]
    if replace:
        keep_items = [i["id"] for i in meeting["agenda"]]
        keep_people = [a["id"] for a in meeting["attendees"]]
        for table, keep in (("meeting_attendees", keep_people), ("meeting_agenda_items", keep_items)):
            marks = ", ".join("?" for _ in keep) or "NULL"
            # Our constant table names, and placeholders only.
            db.execute(f"DELETE FROM {table} WHERE meeting_id = ? AND id NOT IN ({marks})", (mid, *keep))
    for key, table, cols, _ in MEETING_PARTS:
        append_only = key in ("decisions", "permissions")
        have = _existing_in(vault, table, [r["id"] for r in meeting[key]]) if replace else set()
        for part in meeting[key]:
            row = dict(part, meeting_id=mid)
            if part["id"] in have:
                if not append_only:
                    db.execute(insert_sql(table, cols, upsert=True), to_params(row, cols))
                continue
            db.execute(insert_sql(table, cols), to_params(row, cols))
    for action in meeting["actions"]:
        ids = [u["id"] for u in action["updates"]]
        have = _existing_in(vault, "meeting_action_updates", ids) if replace else set()
        fresh = [to_params(dict(u, action_id=action["id"]), ACTION_UPDATE_COLS)
                 for u in action["updates"] if u["id"] not in have]
        db.executemany(insert_sql("meeting_action_updates", ACTION_UPDATE_COLS), fresh)


def _existing_in(vault, table: str, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        found.update(r[0] for r in vault.db.query(f"SELECT id FROM {table} WHERE id IN ({marks})", chunk))  # ours
    return found


def import_file(vault, path: Path, progress: Progress | None = None) -> ImportSummary:
    doc, escapes = _read(path)
    return import_document(vault, doc, progress, may_hold_surrogates=escapes)


def _guarded(function):
    """A clash the checks did not foresee (a constraint of the vault) is refused like any other."""
    import functools

    from app.vault.connection import IntegrityError

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except IntegrityError as exc:
            raise InvalidInput("Import refused, nothing was changed: a record in the file clashes with one "
                               f"already in this vault ({str(exc).split(':')[0]}).") from None

    return wrapper


import_document = _guarded(import_document)
