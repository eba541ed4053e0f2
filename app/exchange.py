"""The exchange format `spocdesk/1`: export and import of requests between desks (DESIGN.md).

One JSON document: `{"format": "spocdesk/1", "scope": "vault"|"request", ...}` with `requests`
(each with its subjects by id, and its dispatches, each with its responses), `subjects`, and for
a whole-vault file also `disclosures`, `contacts` and `partner_suspensions`. The schema is
`resources/schema/spocdesk-1.schema.json` (docs/exchange-format.md); unknown fields are rejected.

Export:
- `export_vault` (admin only): everything, for moving or restoring a desk. Audited.
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
"""

from __future__ import annotations

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
JSON_COLS = {"reasons", "exploitation_types", "purposes", "info_types", "declaration", "aliases", "addresses",
             "identifiers", "lawful_bases", "conditions_of_use", "subject_ids", "request_ids", "disclosure_ids",
             "details"}

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
    unchanged: int = 0
    references: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"{self.requests_added} requests added, {self.requests_updated} updated, "
                f"{self.subjects_added} subjects, {self.dispatches_added} dispatches, "
                f"{self.responses_added} responses ({self.responses_received} newly received), "
                f"{self.disclosures_added} disclosures, {self.contacts_added} contacts, "
                f"{self.breaches_added} breaches ({self.breach_updates_added} breach updates); "
                f"{self.unchanged} records already held")


# ---- rows <-> JSON --------------------------------------------------------------------------


def to_json(row, cols) -> dict:
    out = {}
    for col in cols:
        value = row[col]
        if col in JSON_COLS:
            value = loads(value)
        elif col == "active":
            value = bool(value)
        out[col] = value
    return out


def to_params(obj: dict, cols) -> tuple:
    values = []
    for col in cols:
        value = obj.get(col)
        if col in JSON_COLS:
            value = dumps(value if value is not None else ({} if col == "details" else []))
        elif col == "active":
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
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"There is no file {path}.") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path} is a folder, not an exchange file.") from None
    try:
        return json.loads(raw.decode("utf-8"))
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
            name = item.get("reference") if head in ("requests", "breaches") else None
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


def validate_document(doc) -> None:
    """Schema first (jsonschema), then the agreement's codes and the links between records."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else None
        raise InvalidInput(f"This is not a SPOC Desk exchange file (format {found!r}; expected {FORMAT!r}).")
    errors = sorted(_validator().iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        error = errors[0]
        more = f" ({len(errors) - 1} more problem{'s' if len(errors) > 2 else ''} in the file)" if len(errors) > 1 else ""
        raise InvalidInput(f"Import refused, nothing was changed: {_where(doc, list(error.absolute_path))}: "
                           f"{_short(error.message)}{more}.")
    try:
        _no_surrogates(doc, [])
        _domain_checks(doc)
    except _Bad as bad:
        raise InvalidInput(f"Import refused, nothing was changed: {_where(doc, bad.path)}: {bad.message}.") from None


_SURROGATE = re.compile("[\ud800-\udfff]")


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


# ---- import ---------------------------------------------------------------------------------


def _existing(vault, table: str) -> set[str]:
    return {r[0] for r in vault.db.query(f"SELECT id FROM {table}")}  # our constant table names


def import_document(vault, doc, progress: Progress | None = None) -> ImportSummary:
    """Validate and import an exchange document, all or nothing."""
    from app import disclosures
    from app.requests import note_reference
    from app.responses import DISPATCH_STATUS_FOR

    require(vault.role, "import", "import exchange files")
    validate_document(doc)
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
        for subject in doc["subjects"]:
            if subject["id"] not in have_subjects:
                db.execute(insert_sql("subjects", SUBJECT_COLS), to_params(subject, SUBJECT_COLS))
                summary.subjects_added += 1
            elif file_wins(subject["origin_agency"]):
                db.execute(insert_sql("subjects", SUBJECT_COLS, upsert=True), to_params(subject, SUBJECT_COLS))
            else:
                summary.unchanged += 1
        for i, request in enumerate(doc["requests"]):
            rid = request["id"]
            is_new = rid not in have_requests
            if is_new or file_wins(request["origin_agency"]):
                db.execute(insert_sql("requests", REQUEST_COLS, upsert=not is_new), to_params(request, REQUEST_COLS))
                db.execute("DELETE FROM request_subjects WHERE request_id = ?", (rid,))
                db.executemany("INSERT INTO request_subjects (request_id, subject_id, role, position) VALUES (?, ?, ?, ?)",
                               [(rid, link["subject_id"], link["role"], n) for n, link in enumerate(request["subjects"])])
                note_reference(vault, request["origin_agency"], request["reference"])
                if is_new:
                    summary.requests_added += 1
                else:
                    summary.requests_updated += 1
                summary.references.append(request["reference"])
                if acting:
                    vault.audit("request.imported", record_type="request", record_id=request["reference"])
                if acting and is_new and request["origin_agency"] != here:
                    disclosures.record(vault, kind="request", direction="received", from_agency=from_desk,
                                       to_agency=here, request_id=rid,
                                       subject_ids=[s["subject_id"] for s in request["subjects"]],
                                       what=f"Personal data request {request['reference']}",
                                       originator=request["origin_agency"])
            else:
                summary.unchanged += 1
            for dispatch in request["dispatches"]:
                row = dict(dispatch, request_id=rid)
                if dispatch["id"] not in have_dispatches:
                    db.execute(insert_sql("dispatches", DISPATCH_COLS), to_params(row, DISPATCH_COLS))
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
                    db.execute(insert_sql("responses", RESPONSE_COLS), to_params(resp, RESPONSE_COLS))
                    summary.responses_added += 1
                    if arriving:
                        summary.responses_received += 1
                        now = utc_now_iso()
                        db.execute("UPDATE dispatches SET status = ?, closed_at = ?, decline_reason = ?,"
                                   " updated_at = ?, updated_by = ? WHERE id = ?",
                                   (DISPATCH_STATUS_FOR[response["kind"]], now, response["decline_reason"] or None,
                                    now, vault.actor, dispatch["id"]))
                        vault.audit("response.received", record_type="response", record_id=response["id"],
                                    reason=request["reference"])
                        disclosures.record(vault, kind="response", direction="received",
                                           from_agency=response["origin_agency"], to_agency=here, request_id=rid,
                                           response_id=response["id"],
                                           subject_ids=[s["subject_id"] for s in request["subjects"]]
                                           if response["kind"] == "disclosure" else [],
                                           what=f"{response['kind']} response to {request['reference']}",
                                           lawful_bases=response["lawful_bases"], originator=response["origin_agency"])
            if progress and i % 500 == 0:
                progress(i, total)
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


def import_file(vault, path: Path, progress: Progress | None = None) -> ImportSummary:
    return import_document(vault, read_file(path), progress)


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
