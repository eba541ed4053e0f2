"""Personal data requests (Appendix 2) and their dispatches, one per agency asked (2.5, 5.3).

A request carries every Appendix 2 field: a generated reference (`MSR-2026-0001`, unique per
originating agency), request date, the person making the request (name, rank or role, collar or
staff number, team, contact details), the reasons, the information date, the information (the
intelligence), the information check request, the subjects with their roles, the agencies asked,
the partnership-working question, and the declaration (its confirmations ticked, with when and
by whom). It also carries exploitation types (1.4), purposes (4.3) and the information types
sought (5.2), all as codes from the agreement data.

A request is saved as a draft with what is known; `send_to_agencies` needs the whole form valid,
at least one subject and a complete declaration, and refuses a partner suspended under 13.2.
Only the originating desk may change a request; an imported request is read-only elsewhere.

Statuses: a request is draft, open (sent to at least one agency) or closed. A dispatch is draft,
sent, acknowledged, responded, nil-return or declined; its due date is the sent date plus the
policy's response_due_days unless set by hand.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from app.agreement import load_agreement
from app.errors import InvalidInput
from app.listing import Sort
from app.policy import get_policy
from app.records import (Page, Problem, check_codes, check_date, check_text, dumps, loads, new_id,
                         parse_date, raise_if, today_london)
from app.roles import can, require
from app.subjects import Subject, check_role, create_subject, subjects_of_request, validate_subject
from app.suspensions import current as current_suspension
from app.suspensions import is_suspended
from app.timeutil import utc_now_iso

REQUEST_STATUSES = ("draft", "open", "closed")
DISPATCH_STATUSES = ("draft", "sent", "acknowledged", "responded", "nil-return", "declined")
AWAITING = ("sent", "acknowledged")
FIELDS = ("request_date", "requester_name", "requester_rank", "requester_number", "requester_team",
          "requester_contact", "reasons", "information_date", "information", "check_request",
          "partnership_question", "exploitation_types", "purposes", "info_types", "declaration")
LIST_FIELDS = ("reasons", "exploitation_types", "purposes", "info_types", "declaration")

# Plain-English labels, in Appendix 2's order: forms and error summaries use them.
LABELS = {
    "reference": "Reference",
    "request_date": "Request date",
    "requester_name": "Name of the person making the request",
    "requester_rank": "Rank or role",
    "requester_number": "Collar or staff number",
    "requester_team": "Team",
    "requester_contact": "Contact details",
    "reasons": "Reason",
    "information_date": "Information date",
    "information": "Information",
    "check_request": "Information check request",
    "subjects": "Subjects",
    "agencies": "Agencies asked",
    "partnership_question": "Partnership working",
    "exploitation_types": "Types of exploitation",
    "purposes": "Purposes of sharing",
    "info_types": "Information sought",
    "declaration": "Declaration",
}

# The request form's sections, in Appendix 2's order (headings for the form; fields by key).
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Request", ("reference", "request_date")),
    ("Person making request", ("requester_name", "requester_rank", "requester_number", "requester_team",
                               "requester_contact")),
    ("Reason", ("reasons",)),
    ("Information check request", ("information_date", "information", "check_request", "exploitation_types",
                                   "purposes", "info_types")),
    ("Subjects", ("subjects",)),
    ("Agencies", ("agencies",)),
    ("Partnership working", ("partnership_question",)),
    ("Declaration", ("declaration",)),
)


@dataclass(frozen=True)
class Dispatch:
    id: str
    request_id: str
    agency: str
    sub_service: str
    status: str
    sent_at: str | None
    due_date: str | None
    acknowledged_at: str | None
    closed_at: str | None
    decline_reason: str | None
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str
    # Issue 15, the honest states: when this desk made a sealed package of it, which, and when the
    # partner's receipt came back (app.exchange.packages.dispatch_state words them).
    package_made_at: str | None = None
    package_id: str | None = None
    delivered_at: str | None = None
    # Issue 22, clause 10.2: the channel it went by, and the malfunction when that was the
    # alternative exchange (app.outages).
    channel: str | None = None
    outage_id: str | None = None

    @classmethod
    def from_row(cls, row) -> "Dispatch":
        keys = row.keys()
        return cls(**{k: row[k] for k in cls.__dataclass_fields__ if k in keys})

    @property
    def agency_name(self) -> str:
        return load_agreement().partner_name(self.agency, self.sub_service)

    @property
    def target(self) -> str:
        return f"{self.agency}/{self.sub_service}" if self.sub_service else self.agency

    def is_overdue(self, today: _dt.date | None = None) -> bool:
        today = today or today_london()
        return self.status in AWAITING and bool(self.due_date) and parse_date(self.due_date) < today

    def days_overdue(self, today: _dt.date | None = None) -> int:
        """Whole days past the due date of an answer still awaited; 0 when it is not overdue."""
        today = today or today_london()
        return (today - parse_date(self.due_date)).days if self.is_overdue(today) else 0


@dataclass(frozen=True)
class Request:
    id: str
    seq: int
    origin_agency: str
    reference: str
    status: str
    request_date: str
    requester_name: str
    requester_rank: str
    requester_number: str
    requester_team: str
    requester_contact: str
    reasons: tuple[str, ...]
    information_date: str | None
    information: str
    check_request: str
    partnership_question: str
    exploitation_types: tuple[str, ...]
    purposes: tuple[str, ...]
    info_types: tuple[str, ...]
    declaration: tuple[str, ...]  # ids of the confirmations ticked
    declared_at: str | None
    declared_by: str | None
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str
    subjects: tuple[Subject, ...] = ()
    dispatches: tuple[Dispatch, ...] = ()

    @property
    def declaration_complete(self) -> bool:
        return self.declared_at is not None and declaration_complete(self.declaration)

    @classmethod
    def from_row(cls, row, subjects=(), dispatches=()) -> "Request":
        values = {k: row[k] for k in cls.__dataclass_fields__ if k not in ("subjects", "dispatches")}
        for key in LIST_FIELDS:
            values[key] = tuple(loads(values[key]))
        return cls(**values, subjects=tuple(subjects), dispatches=tuple(dispatches))


@dataclass(frozen=True)
class RequestSummary:
    """One row of the request list: no free text, cheap to page through."""

    seq: int
    id: str
    reference: str
    origin_agency: str
    status: str
    request_date: str
    requester_name: str
    subjects: int
    agencies: int
    answered: int
    overdue: int


def declaration_complete(confirmed) -> bool:
    needed = {c.id for c in load_agreement().declaration.confirmations}
    return needed <= set(confirmed or ())


# ---- validation -----------------------------------------------------------------------------


def validate_request(data: dict) -> tuple[list[Problem], dict]:
    """Problems with the request fields (saving a draft), and the cleaned values."""
    agreement = load_agreement()
    problems: list[Problem] = []
    clean: dict = {}
    clean["request_date"] = check_date(problems, "request_date", data.get("request_date") or today_london(),
                                       required=True, missing="Enter the date of the request",
                                       what="The request date")
    clean["requester_name"] = check_text(problems, "requester_name", data.get("requester_name"), required=True,
                                         missing="Enter the name of the person making the request", limit=10_000)
    for key in ("requester_rank", "requester_number", "requester_team"):
        clean[key] = check_text(problems, key, data.get(key), limit=10_000)
    clean["requester_contact"] = check_text(
        problems, "requester_contact", data.get("requester_contact"), required=True,
        missing="Enter contact details so partners can reply (telephone and secure e-mail)", limit=10_000)
    clean["reasons"] = check_codes(problems, "reasons", data.get("reasons"),
                                   [r.id for r in agreement.request_reasons], required=True,
                                   missing="Choose the reason for the request")
    clean["information_date"] = check_date(problems, "information_date", data.get("information_date"),
                                           required=True, missing="Enter the date the information was received",
                                           what="The information date")
    clean["information"] = check_text(problems, "information", data.get("information"), required=True,
                                      missing="Enter the information (the intelligence) behind the request")
    clean["check_request"] = check_text(problems, "check_request", data.get("check_request"), required=True,
                                        missing="Enter what partners are asked to check")
    question = data.get("partnership_question")
    if question is None:
        question = agreement.request_form.partnership_working_prompt
    clean["partnership_question"] = check_text(problems, "partnership_question", question)
    clean["exploitation_types"] = check_codes(problems, "exploitation_types", data.get("exploitation_types"),
                                              [e.id for e in agreement.exploitation_types])
    clean["purposes"] = check_codes(problems, "purposes", data.get("purposes"), purpose_ids())
    clean["info_types"] = check_codes(problems, "info_types", data.get("info_types"),
                                      [i.id for i in agreement.information_types])
    clean["declaration"] = check_codes(problems, "declaration", data.get("declaration"),
                                       [c.id for c in agreement.declaration.confirmations])
    return problems, clean


# The request form's sections as the form shows them in its list, with the fields each holds.
FORM_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Request date", ("request_date",)),
    ("Person making the request", ("requester_name", "requester_rank", "requester_number", "requester_team",
                                   "requester_contact")),
    ("Reason", ("reasons",)),
    ("Information check request", ("information_date", "information", "check_request")),
    ("Subjects", ("subjects",)),
    ("Agencies", ("agencies",)),
    ("Partnership working", ("partnership_question",)),
    ("About the request", ("exploitation_types", "purposes", "info_types")),
    ("Declaration", ("declaration",)),
)


@dataclass(frozen=True)
class SectionState:
    title: str
    fields: tuple[str, ...]
    problems: tuple[Problem, ...]  # what is missing or wrong before the request can be sent

    @property
    def done(self) -> bool:
        return not self.problems


def form_progress(data: dict, subjects: int, agencies: int) -> list[SectionState]:
    """Each section of the request form with what still stops sending (the form's progress list:
    a section is done when nothing in it would stop the request being sent)."""
    problems, _ = validate_request(data)
    if not data.get("purposes"):
        problems.append(Problem("purposes", "Choose at least one purpose of sharing (4.3)"))
    if not data.get("info_types"):
        problems.append(Problem("info_types", "Choose at least one type of information sought (5.2)"))
    if not subjects:
        problems.append(Problem("subjects", "Add at least one subject"))
    if not agencies:
        problems.append(Problem("agencies", "Choose at least one agency to ask"))
    if not declaration_complete(data.get("declaration") or []):
        problems.append(Problem("declaration", "Confirm every statement of the declaration before sending"))
    return [SectionState(title, fields, tuple(p for p in problems if p.field.split("[")[0].split(".")[0] in fields))
            for title, fields in FORM_SECTIONS]


def purpose_ids() -> list[str]:
    out = []
    for purpose in load_agreement().purposes:
        out.append(purpose.id)
        out.extend(item.id for item in purpose.items)
    return out


def problems_for_sending(request: Request) -> list[Problem]:
    """What stops a saved request from being sent (beyond the draft checks)."""
    data = {k: getattr(request, k) for k in FIELDS}
    problems, _ = validate_request(data)
    if not request.purposes:
        problems.append(Problem("purposes", "Choose at least one purpose of sharing (4.3)"))
    if not request.info_types:
        problems.append(Problem("info_types", "Choose at least one type of information sought (5.2)"))
    if not request.subjects:
        problems.append(Problem("subjects", "Add at least one subject"))
    if not request.declaration_complete:
        problems.append(Problem("declaration", "Confirm every statement of the declaration before sending"))
    return problems


# ---- references -----------------------------------------------------------------------------


def format_reference(agency_prefix: str, year: int, number: int) -> str:
    return f"{agency_prefix}-{year}-{number:04d}"


def next_reference(vault, year: int) -> str:
    """Take the next reference of this desk for `year`; call inside the saving transaction."""
    with vault.db.transaction():
        last = vault.db.scalar("SELECT last FROM reference_counters WHERE agency = ? AND year = ?",
                               (vault.agency, year)) or 0
        number = last + 1
        vault.db.execute(
            "INSERT INTO reference_counters (agency, year, last) VALUES (?, ?, ?)"
            " ON CONFLICT(agency, year) DO UPDATE SET last = excluded.last", (vault.agency, year, number))
    return format_reference(load_agreement().reference_prefix, year, number)


def keep_counter_beyond(vault, agency: str, year: int, number: int) -> None:
    """After importing this desk's own requests, its next reference for `year` is above `number`."""
    vault.db.execute(
        "INSERT INTO reference_counters (agency, year, last) VALUES (?, ?, ?)"
        " ON CONFLICT(agency, year) DO UPDATE SET last = max(last, excluded.last)", (agency, year, number))


# ---- saving ---------------------------------------------------------------------------------


def _stamp_declaration(vault, clean: dict, before: Request | None) -> tuple[str | None, str | None]:
    if not declaration_complete(clean["declaration"]):
        return None, None
    if before is not None and before.declared_at and declaration_complete(before.declaration):
        return before.declared_at, before.declared_by
    return utc_now_iso(), vault.actor


def create_request(vault, data: dict) -> Request:
    """Save a new request (a draft until sent). `data` holds FIELDS and optionally `subjects`:
    a list of {"subject_id": ..., "role": ...} or {"subject": {subject fields}, "role": ...}."""
    require(vault.role, "requests.write", "create requests")
    problems, clean = validate_request(data)
    links = data.get("subjects") or []
    for index, link in enumerate(links):
        problems.extend(check_role(link.get("role", "unknown"), f"subjects[{index}].role"))
        if "subject" in link:
            sub_problems, _ = validate_subject(link["subject"], f"subjects[{index}].")
            problems.extend(sub_problems)
    raise_if(problems, "The request was not saved")
    rid = new_id()
    now = utc_now_iso()
    declared_at, declared_by = _stamp_declaration(vault, clean, None)
    with vault.db.transaction():
        reference = next_reference(vault, int(clean["request_date"][:4]))
        vault.db.execute(
            "INSERT INTO requests (id, origin_agency, reference, status, request_date, requester_name,"
            " requester_rank, requester_number, requester_team, requester_contact, reasons, information_date,"
            " information, check_request, partnership_question, exploitation_types, purposes, info_types,"
            " declaration, declared_at, declared_by, created_at, created_by, updated_at, updated_by)"
            " VALUES (?, ?, ?, 'draft', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (rid, vault.agency, reference, clean["request_date"], clean["requester_name"],
             clean["requester_rank"], clean["requester_number"], clean["requester_team"],
             clean["requester_contact"], dumps(clean["reasons"]), clean["information_date"],
             clean["information"], clean["check_request"], clean["partnership_question"],
             dumps(clean["exploitation_types"]), dumps(clean["purposes"]), dumps(clean["info_types"]),
             dumps(clean["declaration"]), declared_at, declared_by, now, vault.actor, now, vault.actor))
        vault.audit("request.created", record_type="request", record_id=reference)
        for link in links:
            subject_id = link.get("subject_id") or create_subject(vault, link["subject"]).id
            add_subject(vault, rid, subject_id, link.get("role", "unknown"))
    return _load(vault, rid)


def _editable(vault, request_id: str) -> Request:
    request = _load(vault, request_id)
    if request.origin_agency != vault.agency:
        raise InvalidInput(f"{request.reference} came from {request.origin_agency}; only that desk may change it.")
    if request.status == "closed":
        raise InvalidInput(f"{request.reference} is closed and cannot be changed.")
    return request


def update_request(vault, request_id: str, data: dict) -> Request:
    """Change some fields of a request of this desk; fields not in `data` are kept."""
    require(vault.role, "requests.write", "edit requests")
    before = _editable(vault, request_id)
    merged = {k: getattr(before, k) for k in FIELDS}
    merged.update({k: v for k, v in data.items() if k in FIELDS})
    problems, clean = validate_request(merged)
    raise_if(problems, "The request was not saved")
    declared_at, declared_by = _stamp_declaration(vault, clean, before)
    with vault.db.transaction():
        vault.db.execute(
            "UPDATE requests SET request_date = ?, requester_name = ?, requester_rank = ?, requester_number = ?,"
            " requester_team = ?, requester_contact = ?, reasons = ?, information_date = ?, information = ?,"
            " check_request = ?, partnership_question = ?, exploitation_types = ?, purposes = ?, info_types = ?,"
            " declaration = ?, declared_at = ?, declared_by = ?, updated_at = ?, updated_by = ? WHERE id = ?",
            (clean["request_date"], clean["requester_name"], clean["requester_rank"], clean["requester_number"],
             clean["requester_team"], clean["requester_contact"], dumps(clean["reasons"]),
             clean["information_date"], clean["information"], clean["check_request"],
             clean["partnership_question"], dumps(clean["exploitation_types"]), dumps(clean["purposes"]),
             dumps(clean["info_types"]), dumps(clean["declaration"]), declared_at, declared_by,
             utc_now_iso(), vault.actor, request_id))
        vault.audit("request.updated", record_type="request", record_id=before.reference)
    return _load(vault, request_id)


def confirm_declaration(vault, request_id: str, confirmations=None) -> Request:
    """The requester ticks the declaration's statements (all of them by default); stamps who and when."""
    ids = list(confirmations) if confirmations is not None else [
        c.id for c in load_agreement().declaration.confirmations]
    return update_request(vault, request_id, {"declaration": ids})


def add_subject(vault, request_id: str, subject_id: str, role: str = "unknown") -> None:
    require(vault.role, "requests.write", "add subjects to requests")
    raise_if(check_role(role), "The subject was not added")
    request = _editable(vault, request_id)
    if vault.db.one("SELECT 1 FROM subjects WHERE id = ?", (subject_id,)) is None:
        raise InvalidInput(f"There is no subject {subject_id} in this vault.")
    with vault.db.transaction():
        position = vault.db.scalar("SELECT coalesce(max(position), -1) + 1 FROM request_subjects"
                                   " WHERE request_id = ?", (request_id,))
        vault.db.execute(
            "INSERT INTO request_subjects (request_id, subject_id, role, position) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(request_id, subject_id) DO UPDATE SET role = excluded.role",
            (request_id, subject_id, role, position))
        vault.audit("request.subject_linked", record_type="request", record_id=request.reference,
                    reason=f"subject {subject_id} as {role}")


def remove_subject(vault, request_id: str, subject_id: str) -> None:
    require(vault.role, "requests.write", "remove subjects from requests")
    request = _editable(vault, request_id)
    with vault.db.transaction():
        vault.db.execute("DELETE FROM request_subjects WHERE request_id = ? AND subject_id = ?",
                         (request_id, subject_id))
        vault.audit("request.subject_unlinked", record_type="request", record_id=request.reference,
                    reason=f"subject {subject_id}")


# Why a request is closed: a fixed list, so no free text (and no personal data) reaches the audit trail.
CLOSE_REASONS = {
    "answered": "Every agency asked has answered",
    "no-longer-needed": "The information is no longer needed",
    "concluded": "The investigation or safeguarding work has concluded",
    "raised-in-error": "Raised in error",
}


def close_request(vault, request_id: str, reason: str | None = None) -> Request:
    require(vault.role, "requests.write", "close requests")
    request = _editable(vault, request_id)   # refuses another desk's request and a closed one
    if reason is not None and reason not in CLOSE_REASONS:
        raise InvalidInput(f"Choose why {request.reference} is closed: {', '.join(CLOSE_REASONS)}.")
    with vault.db.transaction():
        vault.db.execute("UPDATE requests SET status = 'closed', updated_at = ?, updated_by = ? WHERE id = ?",
                         (utc_now_iso(), vault.actor, request_id))
        vault.audit("request.closed", record_type="request", record_id=request.reference, reason=reason)
    return _load(vault, request_id)


# ---- reading --------------------------------------------------------------------------------


def _resolve(vault, ref_or_id: str) -> str:
    row = vault.db.one("SELECT id FROM requests WHERE id = ?", (ref_or_id,))
    if row is None:
        rows = vault.db.query("SELECT id, origin_agency FROM requests WHERE reference = ?", (ref_or_id,))
        if len(rows) > 1:  # the same reference from two agencies: prefer this desk's own
            rows = [r for r in rows if r["origin_agency"] == vault.agency] or rows[:1]
        row = rows[0] if rows else None
    if row is None:
        raise InvalidInput(f"There is no request {ref_or_id} in this vault.")
    return row["id"]


def dispatches_of(vault, request_id: str) -> list[Dispatch]:
    rows = vault.db.query("SELECT * FROM dispatches WHERE request_id = ? ORDER BY agency, sub_service", (request_id,))
    return [Dispatch.from_row(r) for r in rows]


def _load(vault, request_id: str) -> Request:
    row = vault.db.one("SELECT * FROM requests WHERE id = ?", (request_id,))
    if row is None:
        raise InvalidInput(f"There is no request {request_id} in this vault.")
    return Request.from_row(row, subjects_of_request(vault, request_id), dispatches_of(vault, request_id))


def get_request(vault, ref_or_id: str, *, audit: bool = True) -> Request:
    """One request with its subjects and dispatches; viewing it is audited."""
    require(vault.role, "requests.read", "see requests")
    request = _load(vault, _resolve(vault, ref_or_id))
    if audit:
        vault.audit("request.viewed", record_type="request", record_id=request.reference)
    return request


# The unary + on `+d.status` keeps SQLite on the dispatches' request_id index: left to itself it
# picks the (status, due_date) index and scans every overdue dispatch of the vault for each row,
# which made each page of the list grow with the vault (bench: 10,000 requests, 50 pages, 12 s).
_SUMMARY_SQL = (
    "SELECT r.seq, r.id, r.reference, r.origin_agency, r.status, r.request_date, r.requester_name,"
    " (SELECT count(*) FROM request_subjects rs WHERE rs.request_id = r.id) AS subjects,"
    " (SELECT count(*) FROM dispatches d WHERE d.request_id = r.id AND d.status != 'draft') AS agencies,"
    " (SELECT count(*) FROM dispatches d WHERE d.request_id = r.id"
    "   AND d.status IN ('responded','nil-return','declined')) AS answered,"
    " (SELECT count(*) FROM dispatches d WHERE d.request_id = r.id AND +d.status IN ('sent','acknowledged')"
    "   AND d.due_date < ?) AS overdue"
    " FROM requests r")


REQUEST_SORT = Sort(
    {"reference": "r.seq", "date": "r.request_date", "status": "r.status",
     "requester": "r.requester_name COLLATE NOCASE"},
    tie="r.seq", default="reference",
    captions={"reference": ("Oldest first", "Newest first"),
              "date": ("Earliest request date first", "Latest request date first"),
              "status": ("By status, A to Z", "By status, Z to A"),
              "requester": ("By requester, A to Z", "By requester, Z to A")})


def list_requests(vault, *, after=None, limit: int = 200, status: str | None = None, sort: str | None = None,
                  descending: bool | None = None) -> Page:
    """Newest first by default, or sorted in the database by one of REQUEST_SORT's keys over the
    whole set; keyset paged: pass the page's `next_after` to get the next page."""
    require(vault.role, "requests.read", "list requests")
    if status is not None and status not in REQUEST_STATUSES:
        raise InvalidInput(f"Unknown request status {status!r}; choose one of: {', '.join(REQUEST_STATUSES)}.")
    limit = max(1, min(int(limit), 5000))
    select, params, after_where, order = REQUEST_SORT.plan(sort, descending, after)
    where = [after_where] if after_where else []
    if status is not None:
        where.append("r.status = ?")
        params.append(status)
    keys = vault.db.query(f"SELECT r.seq, {select} FROM requests r"  # the order from REQUEST_SORT, ours
                          + (" WHERE " + " AND ".join(where) if where else "") + f" ORDER BY {order} LIMIT ?",
                          (*params, limit))
    items: list[RequestSummary] = []
    if keys:
        seqs = [k["seq"] for k in keys]
        rows = vault.db.query(_SUMMARY_SQL + " WHERE r.seq IN (" + ", ".join("?" for _ in seqs) + ")",
                              (today_london().isoformat(), *seqs))  # markers only
        by_seq = {r["seq"]: r for r in rows}
        items = [RequestSummary(**{k: by_seq[s][k] for k in RequestSummary.__dataclass_fields__}) for s in seqs]
    if after is None:
        vault.audit("requests.listed", record_type="request", reason=f"{len(items)} shown")
    next_after = REQUEST_SORT.cursor(sort, keys[-1], keys[-1]["seq"]) if len(keys) == limit else None
    return Page(items, next_after)


def reference_of_requests(vault, request_ids) -> list[str | None]:
    """Each request's reference, or None for one not held (no audit: references name no one)."""
    out = []
    for rid in request_ids:
        row = vault.db.one("SELECT reference FROM requests WHERE id = ?", (rid,))
        out.append(row["reference"] if row else None)
    return out


def count_requests(vault, status: str | None = None) -> int:
    require(vault.role, "requests.read", "count requests")
    if status is None:
        return vault.db.scalar("SELECT count(*) FROM requests")
    return vault.db.scalar("SELECT count(*) FROM requests WHERE status = ?", (status,))


# ---- dispatches -----------------------------------------------------------------------------


def parse_target(target) -> tuple[str, str]:
    """'HMRC', 'DCC/CSIS' or ('DCC', 'CSIS') -> (agency, sub_service)."""
    if isinstance(target, (tuple, list)):
        agency, sub = (list(target) + [""])[:2]
    else:
        agency, _, sub = str(target).partition("/")
    return agency.strip(), (sub or "").strip()


def dispatch_for_target(request: "Request", target: str) -> "Dispatch":
    """The dispatch a response reference names: `DWP`, `DCC/CSIS`, or `DCC` alone when only one
    team of that council was asked. Refused (InvalidInput), naming the teams, when several were."""
    wanted = (target or "").strip().upper()
    exact = [d for d in request.dispatches if d.target.upper() == wanted]
    if exact:
        return exact[0]
    if "/" not in wanted:
        teams = [d for d in request.dispatches if d.agency.upper() == wanted]
        if len(teams) == 1:
            return teams[0]
        if teams:
            named = ", ".join(f"{request.reference}/{d.target}" for d in teams)
            raise InvalidInput(f"{request.reference} was sent to {len(teams)} teams of {teams[0].agency}; "
                               f"name one: {named}.")
    asked = ", ".join(d.target for d in request.dispatches) or "none"
    raise InvalidInput(f"Request {request.reference} was not sent to {wanted} (agencies asked: {asked}).")


def check_target(vault, target) -> tuple[str, str]:
    agreement = load_agreement()
    agency, sub = parse_target(target)
    if agency not in agreement.partner_codes():
        raise InvalidInput(f"Unknown agency {agency!r}; choose one of: {', '.join(agreement.partner_codes())}.")
    partner = agreement.partner(agency)
    if sub and sub not in {s.code for s in partner.sub_services}:
        raise InvalidInput(f"{partner.name} has no sub-service {sub!r}; choose one of: "
                           f"{', '.join(s.code for s in partner.sub_services) or 'none'}.")
    if agency == vault.agency:
        raise InvalidInput(f"{partner.name} is this desk's own agency; a request goes to other partners.")
    return agency, sub


def one_team_each(vault, request: "Request", targets) -> list[tuple[str, str]]:
    """The targets as (agency, team) with one team per agency (issue 17): an agency and one of
    its teams chosen together mean that team; two teams of one agency, or a team other than the
    one the request already has for that agency, are refused in words (nothing is written), so a
    council is never sent one request twice."""
    agreement = load_agreement()
    chosen: dict[str, str] = {}
    for target in targets:
        agency, sub = check_target(vault, target)
        if agency in chosen and sub and chosen[agency] and chosen[agency] != sub:
            raise InvalidInput(f"{agreement.partner(agency).name} is chosen twice ({agreement.partner_name(agency, chosen[agency])}"
                               f" and {agreement.partner_name(agency, sub)}): a request goes to one team of each agency;"
                               " choose one.")
        if sub or agency not in chosen:
            chosen[agency] = sub
    for agency, sub in chosen.items():
        for dispatch in request.dispatches:
            if dispatch.agency == agency and dispatch.sub_service != sub:
                if dispatch.status == "draft" and not sub:
                    chosen[agency] = dispatch.sub_service  # "DCC" for a request that has DCC/CSIS: that team
                    continue
                state = "was sent this request" if dispatch.status != "draft" else "is already chosen"
                raise InvalidInput(f"{dispatch.agency_name} {state}; a request goes to one team of each agency"
                                   f"{', so it cannot also go to ' + agreement.partner_name(agency, sub) if sub else ''}.")
    return list(chosen.items())


def add_agencies(vault, request_id: str, targets) -> list[Dispatch]:
    """Choose agencies to ask, as draft dispatches (nothing is sent): one team of each agency."""
    require(vault.role, "requests.write", "choose agencies")
    request = _editable(vault, request_id)
    now = utc_now_iso()
    with vault.db.transaction():
        for agency, sub in one_team_each(vault, request, targets):
            vault.db.execute(
                "INSERT INTO dispatches (id, request_id, agency, sub_service, status, created_at, created_by,"
                " updated_at, updated_by) VALUES (?, ?, ?, ?, 'draft', ?, ?, ?, ?)"
                " ON CONFLICT(request_id, agency, sub_service) DO NOTHING",
                (new_id(), request_id, agency, sub, now, vault.actor, now, vault.actor))
        vault.audit("request.agencies_chosen", record_type="request", record_id=request.reference)
    return dispatches_of(vault, request_id)


def remove_agencies(vault, request_id: str, targets) -> list[Dispatch]:
    """Take agencies off a request before they are sent; a sent dispatch stays on record."""
    require(vault.role, "requests.write", "change the agencies asked")
    request = _editable(vault, request_id)
    with vault.db.transaction():
        for target in targets:
            agency, sub = parse_target(target)
            row = vault.db.one("SELECT status FROM dispatches WHERE request_id = ? AND agency = ? AND sub_service = ?",
                               (request_id, agency, sub))
            if row is None:
                continue
            if row["status"] != "draft":
                raise InvalidInput(f"{target} has already been sent this request, so it stays on the record.")
            vault.db.execute("DELETE FROM dispatches WHERE request_id = ? AND agency = ? AND sub_service = ?"
                             " AND status = 'draft'", (request_id, agency, sub))
        vault.audit("request.agencies_removed", record_type="request", record_id=request.reference)
    return dispatches_of(vault, request_id)


def send_to_agencies(vault, request_id: str, targets=None, *, due_date=None, channel: str = "") -> list[Dispatch]:
    """Mark the request sent to each target (all its draft dispatches when None).

    Refuses everything (nothing written) if the request is incomplete, the declaration is not
    confirmed, a target is unknown, already sent, or a partner is suspended (13.2). Each send is
    recorded in the disclosure register.
    """
    from app import disclosures

    require(vault.role, "requests.write", "send requests")
    request = _editable(vault, request_id)
    raise_if(problems_for_sending(request), f"{request.reference} cannot be sent yet")
    existing = {d.target: d for d in request.dispatches}
    if targets is None:
        targets = [d.target for d in request.dispatches if d.status == "draft"]
        if not targets:
            raise InvalidInput(f"Choose at least one agency to send {request.reference} to.")
    agreement = load_agreement()
    chosen = []
    for agency, sub in one_team_each(vault, request, targets):
        key = f"{agency}/{sub}" if sub else agency
        if key in existing and existing[key].status != "draft":
            raise InvalidInput(f"{request.reference} was already sent to {existing[key].agency_name}.")
        if is_suspended(vault, agency):
            raise InvalidInput(f"{agreement.partner(agency).name} is suspended under clause 13.2; "
                               "nothing can be sent to them until the suspension is lifted.")
        if (agency, sub) not in chosen:
            chosen.append((agency, sub))
    if channel and channel not in {c.id for c in agreement.secure_channels} | {"telephone"}:
        raise InvalidInput(f"Unknown secure channel {channel!r}.")
    problems: list[Problem] = []
    due = check_date(problems, "due_date", due_date, required=False, missing="", what="The due date",
                     not_future=False)
    raise_if(problems)
    now = utc_now_iso()
    today = today_london()
    due = due or default_due_date(vault, today)
    subject_ids = [s.id for s in request.subjects]
    from app.outages import channel_for

    with vault.db.transaction():
        for agency, sub in chosen:
            usual, outage = channel_for(vault, agency)   # 10.2: the alternative while equipment is down
            key = f"{agency}/{sub}" if sub else agency
            if key in existing:
                did = existing[key].id
                vault.db.execute("UPDATE dispatches SET status = 'sent', sent_at = ?, due_date = ?,"
                                 " updated_at = ?, updated_by = ? WHERE id = ?", (now, due, now, vault.actor, did))
            else:
                did = new_id()
                vault.db.execute(
                    "INSERT INTO dispatches (id, request_id, agency, sub_service, status, sent_at, due_date,"
                    " created_at, created_by, updated_at, updated_by) VALUES (?, ?, ?, ?, 'sent', ?, ?, ?, ?, ?, ?)",
                    (did, request_id, agency, sub, now, due, now, vault.actor, now, vault.actor))
            used = channel or usual
            vault.db.execute("UPDATE dispatches SET channel = ?, outage_id = ? WHERE id = ?",
                             (used, outage.id if outage is not None and used == outage.fallback else None, did))
            vault.audit("dispatch.sent", record_type="dispatch", record_id=did, reason=f"{request.reference} to {key}")
            disclosures.record(vault, kind="request", direction="sent", from_agency=vault.agency, to_agency=agency,
                               request_id=request_id, subject_ids=subject_ids,
                               what=f"Personal data request {request.reference}"
                               + (f" ({outage.words()})" if outage is not None and used == outage.fallback else ""),
                               channel=used, originator=request.origin_agency)
        vault.db.execute("UPDATE requests SET status = 'open', updated_at = ?, updated_by = ?"
                         " WHERE id = ? AND status = 'draft'", (now, vault.actor, request_id))
    return dispatches_of(vault, request_id)


def default_channel(agency: str) -> str:
    """The secure channel a request to (or an answer for) `agency` goes by unless one is chosen:
    the first the agreement lists for that partner (Appendix 4), or '' when it lists none."""
    channels = load_agreement().partner(agency).secure_channels
    return channels[0] if channels else ""


def channels_for(agency: str) -> list[str]:
    """Every approved secure channel (9.5, Appendix 4), the ones `agency` normally uses first;
    an agency the agreement does not name gets the agreement-wide list."""
    agreement = load_agreement()
    try:
        channels = list(agreement.partner(agency).secure_channels)
    except KeyError:
        channels = []
    return channels + [c.id for c in agreement.secure_channels if c.id not in channels]


def default_due_date(vault, today: _dt.date | None = None) -> str:
    """When an answer to a request sent today is due unless set by hand: today plus the
    policy's response_due_days (ISO date)."""
    return ((today or today_london()) + _dt.timedelta(days=get_policy(vault).response_due_days)).isoformat()


def get_dispatch(vault, dispatch_id: str) -> Dispatch:
    row = vault.db.one("SELECT * FROM dispatches WHERE id = ?", (dispatch_id,))
    if row is None:
        raise InvalidInput(f"There is no dispatch {dispatch_id} in this vault.")
    return Dispatch.from_row(row)


def acknowledge_dispatch(vault, dispatch_id: str) -> Dispatch:
    """The agency has acknowledged the request (sent -> acknowledged)."""
    require(vault.role, "requests.write", "record acknowledgements")
    dispatch = get_dispatch(vault, dispatch_id)
    if dispatch.status != "sent":
        raise InvalidInput(f"Only a sent request can be acknowledged; this one is {dispatch.status}.")
    now = utc_now_iso()
    with vault.db.transaction():
        vault.db.execute("UPDATE dispatches SET status = 'acknowledged', acknowledged_at = ?, updated_at = ?,"
                         " updated_by = ? WHERE id = ?", (now, now, vault.actor, dispatch_id))
        vault.audit("dispatch.acknowledged", record_type="dispatch", record_id=dispatch_id)
    return get_dispatch(vault, dispatch_id)


def set_due_date(vault, dispatch_id: str, due_date) -> Dispatch:
    require(vault.role, "requests.write", "change due dates")
    problems: list[Problem] = []
    due = check_date(problems, "due_date", due_date, required=True, missing="Enter the date the response is due",
                     what="The due date", not_future=False)
    raise_if(problems)
    get_dispatch(vault, dispatch_id)
    with vault.db.transaction():
        vault.db.execute("UPDATE dispatches SET due_date = ?, updated_at = ?, updated_by = ? WHERE id = ?",
                         (due, utc_now_iso(), vault.actor, dispatch_id))
        vault.audit("dispatch.due_changed", record_type="dispatch", record_id=dispatch_id)
    return get_dispatch(vault, dispatch_id)


@dataclass(frozen=True)
class OverdueDispatch:
    dispatch: Dispatch
    request_id: str
    reference: str
    days_overdue: int


def overdue_dispatches(vault, *, today: _dt.date | None = None, limit: int = 1000) -> list[OverdueDispatch]:
    """Dispatches sent or acknowledged whose due date has passed: the list for chasing."""
    require(vault.role, "requests.read", "see overdue requests")
    today = today or today_london()
    rows = vault.db.query(
        "SELECT d.*, r.reference AS ref FROM dispatches d JOIN requests r ON r.id = d.request_id"
        " WHERE d.status IN ('sent','acknowledged') AND d.due_date < ? ORDER BY d.due_date, r.seq LIMIT ?",
        (today.isoformat(), int(limit)))
    return [OverdueDispatch(Dispatch.from_row(r), r["request_id"], r["ref"],
                            (today - parse_date(r["due_date"])).days) for r in rows]


OVERDUE_SORT = Sort(
    {"due": "d.due_date", "reference": "r.seq"},
    tie="d.seq", default="due", default_descending=False,
    captions={"due": ("Oldest overdue first", "Most recently overdue first"),
              "reference": ("Oldest request first", "Newest request first")})


def overdue_page(vault, *, after=None, limit: int = 200, sort: str | None = None, descending: bool | None = None,
                 today: _dt.date | None = None, asked_by_us: bool = False) -> Page:
    """The overdue answers (dispatches sent or acknowledged whose due date has passed), sorted in
    the database by one of OVERDUE_SORT's keys (oldest overdue first by default), keyset paged.
    `asked_by_us`: only this desk's own requests (the answers it can chase), not those of requests
    another desk sent it."""
    require(vault.role, "requests.read", "see overdue requests")
    today = today or today_london()
    limit = max(1, min(int(limit), 5000))
    select, params, after_where, order = OVERDUE_SORT.plan(sort, descending, after)
    # By reference the requests are read in their order and their waiting dispatches looked up
    # (CROSS JOIN keeps that order); by due date the partial index of waiting dispatches (migration
    # 17) is read in its order: the planner would otherwise take the status index and sort them all.
    joined = ("requests r CROSS JOIN dispatches d ON r.id = d.request_id" if OVERDUE_SORT.check(sort) == "reference"
              else "dispatches d INDEXED BY dispatches_waiting_due JOIN requests r ON r.id = d.request_id")
    rows = vault.db.query(
        f"SELECT d.*, r.reference AS ref, {select} FROM {joined}"
        " WHERE d.status IN ('sent','acknowledged') AND d.due_date < ?"
        + (" AND r.origin_agency = ?" if asked_by_us else "")
        + f"{' AND ' + after_where if after_where else ''} ORDER BY {order} LIMIT ?",  # the order is OVERDUE_SORT's
        (today.isoformat(), *([vault.agency] if asked_by_us else []), *params, limit))
    items = [OverdueDispatch(Dispatch.from_row(r), r["request_id"], r["ref"], (today - parse_date(r["due_date"])).days)
             for r in rows]
    next_after = None
    if len(rows) == limit:
        last = rows[-1]
        next_after = OVERDUE_SORT.cursor(sort, last, last["seq"])
    return Page(items, next_after)


def count_overdue(vault, *, today: _dt.date | None = None, asked_by_us: bool = False) -> int:
    """How many answers are overdue (only this desk's own requests' with `asked_by_us`)."""
    require(vault.role, "requests.read", "see overdue requests")
    today = today or today_london()
    return vault.db.scalar(
        "SELECT count(*) FROM dispatches d INDEXED BY dispatches_waiting_due JOIN requests r ON r.id = d.request_id"
        " WHERE d.status IN ('sent','acknowledged') AND d.due_date < ?"
        + (" AND r.origin_agency = ?" if asked_by_us else ""),
        (today.isoformat(), *([vault.agency] if asked_by_us else [])))


TO_ANSWER_SORT = Sort(
    {"due": "d.due_date", "reference": "r.seq", "from": "r.origin_agency"},
    tie="d.seq", default="due", default_descending=False,
    captions={"due": ("Due first", "Due last first"),
              "reference": ("Oldest request first", "Newest request first"),
              "from": ("By requesting agency, A to Z", "By requesting agency, Z to A")})


@dataclass(frozen=True)
class ToAnswer:
    """A request another desk sent this desk, its answer not yet sent."""

    dispatch: Dispatch
    request_id: str
    reference: str
    origin_agency: str
    request_date: str


def to_answer_page(vault, *, after=None, limit: int = 200, sort: str | None = None,
                   descending: bool | None = None) -> Page:
    """The partner desk's work list (issue 17): this desk's dispatches of requests received from
    other desks, sent or acknowledged and not yet answered, due date first; sorted and keyset
    paged in the database."""
    require(vault.role, "requests.read", "see the requests awaiting this desk's answer")
    limit = max(1, min(int(limit), 5000))
    select, params, after_where, order = TO_ANSWER_SORT.plan(sort, descending, after)
    rows = vault.db.query(
        f"SELECT d.*, r.reference AS ref, r.origin_agency AS from_agency, r.request_date AS asked_on, {select}"
        " FROM dispatches d JOIN requests r ON r.id = d.request_id"
        " WHERE d.agency = ? AND r.origin_agency != ? AND d.status IN ('sent','acknowledged')"
        f"{' AND ' + after_where if after_where else ''} ORDER BY {order} LIMIT ?",  # the order is TO_ANSWER_SORT's
        (vault.agency, vault.agency, *params, limit))
    items = [ToAnswer(Dispatch.from_row(r), r["request_id"], r["ref"], r["from_agency"], r["asked_on"]) for r in rows]
    if after is None:
        vault.audit("requests.listed", record_type="request", reason=f"to answer: {len(items)} shown")
    next_after = TO_ANSWER_SORT.cursor(sort, rows[-1], rows[-1]["seq"]) if len(rows) == limit else None
    return Page(items, next_after)


def receives_requests(vault) -> bool:
    """Whether this is a partner desk: one that holds requests other desks sent it to answer."""
    return vault.db.one("SELECT 1 FROM dispatches d JOIN requests r ON r.id = d.request_id"
                        " WHERE d.agency = ? AND r.origin_agency != ? LIMIT 1", (vault.agency, vault.agency)) is not None


def our_dispatch(vault, request) -> Dispatch | None:
    """This desk's own dispatch on a request another desk sent it (the one it answers), if any."""
    if request.origin_agency == vault.agency:
        return None
    ours = [d for d in request.dispatches if d.agency == vault.agency]
    waiting = [d for d in ours if d.status in AWAITING]
    return (waiting or ours or [None])[0]


# ---- saving a whole request form ------------------------------------------------------------


def _same_subject(fields: dict, subject: Subject) -> bool:
    """Whether the form's subject fields say what the held subject already says (both cleaned)."""
    held = {"kind": subject.kind, "name": subject.name, "aliases": list(subject.aliases),
            "date_of_birth": subject.date_of_birth, "addresses": list(subject.addresses),
            "identifiers": [dict(i) for i in subject.identifiers], "description": subject.description}
    return validate_subject(fields)[1] == validate_subject(held)[1]


def save_request(vault, request_id: str | None, data: dict, entries: list[dict], agencies) -> tuple[Request, list[str]]:
    """Save a request form in one transaction: the request, its subjects (each entry a dict of
    `role`, `subject` fields and, for one already held, `subject_id`) and the agencies to ask
    (draft dispatches only are added or dropped). All or nothing: an Invalid or SpocError leaves
    the vault as it was. Returns the request as saved and the subject id of each entry in order
    (new subjects get theirs here; the caller's entries are not changed)."""
    from app.subjects import get_subject, update_subject

    wanted = list(agencies)
    with vault.db.transaction():
        if request_id is None:
            request = create_request(vault, {**data, "subjects": [
                {"subject_id": e["subject_id"], "role": e["role"]} if e.get("subject_id")
                else {"subject": e["subject"], "role": e["role"]} for e in entries]})
            ids = [s.id for s in request.subjects]
            for entry, subject in zip(entries, request.subjects):
                if entry.get("subject_id") == subject.id and not _same_subject(entry["subject"], subject):
                    update_subject(vault, subject.id, entry["subject"])
        else:
            request = update_request(vault, request_id, data)
            before = {s.id: s for s in request.subjects}
            ids = []
            for entry in entries:
                sid, role, fields = entry.get("subject_id"), entry.get("role", "unknown"), entry["subject"]
                if sid and sid in before:
                    if not _same_subject(fields, before[sid]):
                        update_subject(vault, sid, fields)
                    if role != before[sid].role:
                        add_subject(vault, request.id, sid, role)
                elif sid:   # a subject already in the vault, added from "Add an existing subject…"
                    if not _same_subject(fields, get_subject(vault, sid)):
                        update_subject(vault, sid, fields)
                    add_subject(vault, request.id, sid, role)
                else:
                    sid = create_subject(vault, fields).id
                    add_subject(vault, request.id, sid, role)
                ids.append(sid)
            for sid in before:
                if sid not in ids:
                    remove_subject(vault, request.id, sid)
        # Drop first, so changing an agency's team (DCC/CSIS to DCC/LICENSING) is one team throughout.
        dropped = [d.target for d in request.dispatches if d.status == "draft" and d.target not in wanted]
        if dropped:
            remove_agencies(vault, request.id, dropped)
        have = {d.target for d in request.dispatches}
        new = [t for t in wanted if t not in have]
        if new:
            add_agencies(vault, request.id, new)
        return get_request(vault, request.id, audit=False), ids


# ---- what a user may do, and how a request goes -----------------------------------------------
# Screens ask these instead of weighing status, role, desk and suspensions themselves; the
# functions that act (send_to_agencies, acknowledge_dispatch, ...) still refuse on their own.


@dataclass(frozen=True)
class Can:
    """May this user do that, now? `offered`: the action is this user's to take on this record at
    all (their role, their desk), so a screen shows it; `ok`: it may be done in the record's
    current state; `reason`: why not, in words ('' when ok)."""

    ok: bool
    reason: str = ""
    offered: bool = True

    def __bool__(self) -> bool:
        return self.ok


def _yes(offered: bool = True) -> Can:
    return Can(True, "", offered)


def _no(reason: str, offered: bool = True) -> Can:
    return Can(False, reason, offered)


def _partner(code: str) -> str:
    return load_agreement().partner_name(code)


@dataclass(frozen=True)
class RequestAllowed:
    """What this user may do with one request as it stands (the request view's actions)."""

    own: bool                # raised on this desk (only that desk may change it)
    edit: Can
    send: Can                # send to the agencies chosen and not yet sent (see send_plan)
    export: Can              # make the exchange file for sending
    close: Can
    record_onward: Can       # record an onward disclosure of its information (5.3, section 6)
    notes: tuple[str, ...]   # what the screen says under the actions (why the main ones are not open)
    export_to: tuple[str, ...] = ()  # the agencies an export is recorded as sent to (app.exchange)


def allowed(vault, request: Request) -> RequestAllowed:
    """What `vault`'s user may do with `request` now, each with the reason when not."""
    role = vault.role
    own = request.origin_agency == vault.agency
    writer = can(role, "requests.write")
    unsent = any(d.status == "draft" for d in request.dispatches)
    not_own = f"Received from {_partner(request.origin_agency)}: only that desk may change it."
    closed = f"{request.reference} is closed and cannot be changed."

    if not writer:
        edit = _no(f"Your role ({role}) may not edit requests.", False)
    elif not own:
        edit = _no(not_own, False)
    elif request.status == "closed":
        edit = _no(closed)
    elif request.status != "draft":
        edit = _no("Only a draft can be edited; this request has been sent.")
    else:
        edit = _yes()

    if not writer:
        send = _no(f"Your role ({role}) may not send requests.", False)
    elif not own:
        send = _no(not_own, False)
    elif request.status == "closed":
        send = _no(f"{request.reference} is closed; it can no longer be sent to more agencies.")
    elif not unsent and request.status == "draft":
        send = _no("Choose agencies to ask (Edit request) before sending.")
    elif not unsent:
        send = _no(f"{request.reference} has been sent to every agency chosen.")
    else:
        send = _yes()

    if not can(role, "export.request"):
        export = _no(f"Your role ({role}) may not export requests.", False)
    elif own and not any(d.status != "draft" for d in request.dispatches):
        export = _no(f"{request.reference} has not been sent to any agency yet; send it first")
    else:
        export = _yes()

    if not writer:
        close = _no(f"Your role ({role}) may not close requests.", False)
    elif not own:
        close = _no(not_own, False)
    elif request.status == "closed":
        close = _no(f"{request.reference} is already closed.")
    else:
        close = _yes()

    if not can(role, "disclosures.write"):
        onward = _no(f"Your role ({role}) may not record disclosures.", False)
    elif not own:
        onward = _no(f"Onward disclosures of {request.reference} are recorded by the desk that raised it.", False)
    else:
        onward = _yes()

    notes = []
    if edit.offered and not edit.ok:
        notes.append(edit.reason)
    if send.offered and not send.ok and request.status == "draft":
        notes.append(send.reason)
    if not own:
        notes.append(not_own)
    export_to = (tuple(sorted({d.agency for d in request.dispatches if d.status != "draft"})) if own
                 else (request.origin_agency,))
    return RequestAllowed(own, edit, send, export, close, onward, tuple(notes), export_to)


@dataclass(frozen=True)
class DispatchAllowed:
    """What this user may do with one agency's dispatch of a request (the collation's row actions)."""

    acknowledge: Can
    change_due: Can
    record_received: Can     # key in an answer the agency sent by another route (the requesting desk)
    respond: Can             # answer it, when it is addressed to this desk's own agency


def allowed_dispatch(vault, request: Request, dispatch: Dispatch | None) -> DispatchAllowed:
    """What `vault`'s user may do with `dispatch` (one of `request`'s) now. With no dispatch (none
    chosen yet) each action says whether it is offered and is not open."""
    role = vault.role
    own = request.origin_agency == vault.agency
    writer = can(role, "requests.write")
    answerer = can(role, "responses.write")
    ours = any(d.agency == vault.agency for d in request.dispatches)
    choose = "Choose an agency in the table first."

    def state(offered: bool, wanted) -> Can:
        if dispatch is None:
            return _no(choose, offered)
        name = dispatch.agency_name
        if dispatch.status == "draft":
            return _no(f"{request.reference} has not been sent to {name} yet.", offered)
        if dispatch.status not in wanted:
            if dispatch.status == "acknowledged":
                return _no(f"{name} has already acknowledged it.", offered)
            return _no(f"{name} has already answered.", offered)
        return _yes(offered)

    acknowledge = state(writer and own, ("sent",))
    change_due = state(writer and own, AWAITING)
    received = state(own and answerer, AWAITING)
    if received.ok and dispatch.agency == vault.agency:
        received = _no("It is addressed to this desk: answer it with Respond.", received.offered)
    respond = state(ours and answerer, AWAITING)
    if dispatch is not None and dispatch.agency != vault.agency:
        respond = _no(f"This request was sent to {dispatch.agency_name}. Only that agency's desk can answer it.",
                      respond.offered)
    return DispatchAllowed(acknowledge, change_due, received, respond)


@dataclass(frozen=True)
class DispatchPlan:
    """How one agency chosen and not yet sent the request would receive it, if sent now."""

    dispatch_id: str
    target: str              # "HMRC" or "DCC/CSIS", as send_to_agencies takes it
    agency: str
    sub_service: str
    agency_name: str
    channel: str             # the default secure channel's id (Appendix 4); '' when none is listed
    channel_name: str
    due_date: str            # ISO date the answer would be due by
    may_send: bool
    why_not: str = ""        # e.g. "suspended under clause 13.2; nothing can be sent to them"
    detail: str = ""         # more on why not (the suspension's reason), for a tooltip


@dataclass(frozen=True)
class AgencyChoice:
    """A partner a request of this desk may be addressed to (the request form's list)."""

    code: str
    name: str
    may_ask: bool
    why_not: str = ""        # "suspended under clause 13.2: <reason>. Nothing can be sent to them."
    suspension_reason: str = ""


def agencies_to_ask(vault) -> list[AgencyChoice]:
    """Every partner of the agreement except this desk's own agency (a request goes to other
    partners), in the agreement's order; a partner suspended under 13.2 is listed, not choosable."""
    out = []
    for partner in load_agreement().partners:
        if partner.code == vault.agency:
            continue
        suspension = current_suspension(vault, partner.code)
        if suspension is None:
            out.append(AgencyChoice(partner.code, partner.name, True))
        else:
            reason = suspension.reason.replace("\n", " ")
            out.append(AgencyChoice(partner.code, partner.name, False,
                                    f"suspended under clause 13.2: {reason}. Nothing can be sent to them.", reason))
    return out


def send_plan(vault, request: Request, today: _dt.date | None = None) -> list[DispatchPlan]:
    """One plan per dispatch of `request` not yet sent: to whom, by which channel, due when, and
    whether it may go now (the request itself and each partner's suspension, 13.2). Whether the
    request is complete enough to send is `problems_for_sending`."""
    due = default_due_date(vault, today)
    whole = allowed(vault, request).send
    plans = []
    for dispatch in request.dispatches:
        if dispatch.status != "draft":
            continue
        from app.outages import channel_for, channel_name

        channel, outage = channel_for(vault, dispatch.agency)   # 10.2: the alternative while equipment is down
        may, why, detail = whole.ok, whole.reason, ""
        suspension = current_suspension(vault, dispatch.agency)
        if may and suspension is not None:
            may, why, detail = False, "suspended under clause 13.2; nothing can be sent to them", suspension.reason
        name = channel_name(channel) or "—"
        if outage is not None:
            name = f"{name}, the alternative while {outage.channel_name} is down (10.2)"
        plans.append(DispatchPlan(dispatch.id, dispatch.target, dispatch.agency, dispatch.sub_service,
                                  dispatch.agency_name, channel, name, due, may, why, detail))
    return plans
