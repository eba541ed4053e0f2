"""Complaints relative to the agreement (clause 10.1), kept in the breach log beside breaches.

"All complaints or breaches relative to this agreement will be notified to the designated Data
Protection Manager of the relevant organisation within 24 hours": a complaint runs the same DPM
clock as a breach, from the time it was received (app.breaches.clocks' arithmetic and its
clock-words, so the hours come from the agreement data and the Europe/London clock changes
neither add nor lose an hour). It records who complained (a data subject, a partner, a member of
staff), what about, when and how it was received, and the requests and subjects it concerns.

The DPM's work is a list of dated, attributed updates like a breach's (`add_update`): the DPM
told (stops the clock), the outcome (upheld, not upheld, referred to the partner concerned,
referred to the ICO; a later outcome supersedes an earlier one, both kept), the reply sent
(its date) and notes. A complaint is answered when it has an outcome and a reply. Nothing saved
is rewritten or deleted (triggers refuse UPDATE and DELETE). Every create, update, view and
listing is audited with ids and codes only.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from app.agreement import load_agreement
from app.breaches import (Clock, _check_ids, _clock, _clock_json, _resolve_request_refs, clock_authority,
                          clock_heading, clock_hours)
from app.errors import InvalidInput
from app.records import MAX_TEXT, Problem, check_text, check_time, dumps, loads, new_id, raise_if
from app.roles import require
from app.timeutil import LONDON, parse_utc, utc_now, utc_now_iso
from app.vault.migrations import COMPLAINT_FROM, COMPLAINT_HOW, COMPLAINT_UPDATE_KINDS

PREFIX = "CP"
FROM_TITLES = {"data-subject": "A data subject", "partner": "A partner agency", "staff": "A member of staff"}
HOW_TITLES = {"letter": "Letter", "email": "E-mail", "telephone": "Telephone", "in-person": "In person",
              "via-partner": "Passed on by a partner", "other": "Another way"}
OUTCOMES = {"upheld": "Upheld", "not-upheld": "Not upheld",
            "referred-partner": "Referred to the partner concerned", "referred-ico": "Referred to the ICO"}
UPDATE_KINDS = {"dpm-notified": "Data Protection Manager notified", "outcome": "Outcome decided",
                "replied": "Reply sent to the complainant", "note": "Note"}
assert tuple(FROM_TITLES) == COMPLAINT_FROM and tuple(HOW_TITLES) == COMPLAINT_HOW
assert tuple(UPDATE_KINDS) == COMPLAINT_UPDATE_KINDS


@dataclass(frozen=True)
class ComplaintUpdate:
    id: str
    seq: int
    complaint_id: str
    kind: str
    at: str
    details: dict
    recorded_at: str
    recorded_by: str

    @classmethod
    def from_row(cls, row) -> "ComplaintUpdate":
        values = {k: row[k] for k in cls.__dataclass_fields__}
        values["details"] = loads(values["details"]) or {}
        return cls(**values)

    @property
    def label(self) -> str:
        return UPDATE_KINDS.get(self.kind, self.kind)

    def summary(self) -> str:
        """One plain line for a timeline (user text as given, never markup)."""
        d = self.details
        if self.kind == "dpm-notified":
            return f"{d.get('who', '')} was told"
        if self.kind == "outcome":
            partner = f" ({_partner_name(d['partner'])})" if d.get("partner") else ""
            return f"{OUTCOMES.get(d.get('outcome'), d.get('outcome'))}{partner}. Reason: {d.get('reason', '')}"
        if self.kind == "replied":
            return f"Replied by {d.get('how', '')}" + (f". {d['summary']}" if d.get("summary") else "")
        return d.get("text", "")


@dataclass(frozen=True)
class ComplaintState:
    status: str  # open | answered
    dpm_notified_at: str | None
    outcome: str | None
    outcome_partner: str
    outcome_reason: str
    replied_at: str | None


@dataclass(frozen=True)
class Complaint:
    id: str
    seq: int
    origin_agency: str
    reference: str
    complainant_kind: str
    complainant: str
    complainant_agency: str
    agency: str
    about: str
    received_at: str
    received_how: str
    request_ids: tuple[str, ...]
    subject_ids: tuple[str, ...]
    created_at: str
    created_by: str
    updates: tuple[ComplaintUpdate, ...] = field(default=())

    @classmethod
    def from_row(cls, row, updates=()) -> "Complaint":
        values = {k: row[k] for k in cls.__dataclass_fields__ if k != "updates"}
        for key in ("request_ids", "subject_ids"):
            values[key] = tuple(loads(values[key]))
        return cls(**values, updates=tuple(updates))

    @property
    def from_text(self) -> str:
        text = f"{FROM_TITLES.get(self.complainant_kind, self.complainant_kind)}: {self.complainant}"
        return text + (f" ({_partner_name(self.complainant_agency)})" if self.complainant_agency else "")

    @property
    def agency_name(self) -> str:
        return _partner_name(self.agency)

    @property
    def state(self) -> ComplaintState:
        return derive_state(self.updates)

    def dpm_clock(self, now: _dt.datetime | None = None) -> Clock:
        return dpm_clock(self.received_at, self.state.dpm_notified_at, now)

    def is_overdue(self, now: _dt.datetime | None = None) -> bool:
        return self.dpm_clock(now).overdue


def _partner_name(code: str) -> str:
    return load_agreement().partner_name(code)


def dpm_clock(received_at: str, notified_at: str | None, now: _dt.datetime | None = None) -> Clock:
    """The breach log's DPM clock (clause 10.1; its hours from the agreement) from receipt."""
    now = (now or utc_now()).astimezone(_dt.timezone.utc)
    hours = load_agreement().deadlines.breach_dpm_hours
    return _clock("dpm", parse_utc(received_at) + _dt.timedelta(hours=hours), notified_at, now)


def clock_title() -> str:
    """'Data Protection Manager (24 hours, clause 10.1)', the breach clock's own words."""
    return clock_heading("dpm", "cited")


def clock_rule() -> str:
    """'The Data Protection Manager must be told within 24 hours of the complaint being received
    (clause 10.1).' from the agreement's deadline, as the breach clock is worded."""
    return (f"The Data Protection Manager must be told within {clock_hours('dpm')} hours of the complaint being "
            f"received ({clock_authority('dpm')}).")


def derive_state(updates) -> ComplaintState:
    s: dict[str, Any] = dict(dpm_notified_at=None, outcome=None, outcome_partner="", outcome_reason="",
                             replied_at=None)
    for u in sorted(updates, key=lambda u: u.seq):
        d = u.details
        if u.kind == "dpm-notified" and s["dpm_notified_at"] is None:
            s["dpm_notified_at"] = u.at
        elif u.kind == "outcome":
            s["outcome"], s["outcome_partner"], s["outcome_reason"] = \
                d.get("outcome"), d.get("partner", ""), d.get("reason", "")
        elif u.kind == "replied":
            s["replied_at"] = u.at
    status = "answered" if s["outcome"] and s["replied_at"] else "open"
    return ComplaintState(status=status, **s)


# ---- validation and saving --------------------------------------------------------------------


def validate_complaint(data: dict, *, now: _dt.datetime | None = None) -> tuple[list[Problem], dict]:
    """Every problem with a complaint, each with its field and what to do."""
    now = now or utc_now()
    codes = load_agreement().partner_codes()
    problems: list[Problem] = []
    clean: dict[str, Any] = {}
    kind = data.get("complainant_kind") or ""
    if kind not in FROM_TITLES:
        problems.append(Problem("complainant_kind", "Choose who made the complaint: a data subject, a partner "
                                                    "or a member of staff"))
    clean["complainant_kind"] = kind
    clean["complainant"] = check_text(problems, "complainant", data.get("complainant"), required=True,
                                      missing="Enter who made the complaint (a name, or 'anonymous')", limit=500)
    partner = data.get("complainant_agency") or ""
    if partner and partner not in codes:
        problems.append(Problem("complainant_agency", f"{partner!r} is not a partner of the agreement"))
    elif kind == "partner" and not partner:
        problems.append(Problem("complainant_agency", "Choose the partner agency that complained"))
    clean["complainant_agency"] = partner
    agency = data.get("agency") or ""
    if not agency:
        problems.append(Problem("agency", "Choose the agency the complaint is about"))
    elif agency not in codes:
        problems.append(Problem("agency", f"{agency!r} is not a partner of the agreement"))
    clean["agency"] = agency
    clean["about"] = check_text(problems, "about", data.get("about"), required=True,
                                missing="Enter what the complaint is about")
    clean["received_at"] = check_time(problems, "received_at", data.get("received_at"), required=True,
                                      missing="Enter the date and time the complaint was received",
                                      what="The time the complaint was received", now=now)
    how = data.get("received_how") or ""
    if how not in HOW_TITLES:
        problems.append(Problem("received_how", "Choose how the complaint was received"))
    clean["received_how"] = how
    for key in ("request_ids", "subject_ids"):
        clean[key] = _check_ids(problems, key, data.get(key))
    return problems, clean


def next_reference(vault, year: int) -> str:
    from app.records import next_yearly_reference

    return next_yearly_reference(vault, "complaints", PREFIX, year)


def create_complaint(vault, data: dict, *, now: _dt.datetime | None = None) -> Complaint:
    """Record a complaint (any role that may report a breach). `request_refs` may name requests.
    When the DPM records it, the DPM-notified update is recorded at once."""
    require(vault.role, "breaches.report", "record a complaint")
    now = now or utc_now()
    problems, clean = validate_complaint(data, now=now)
    ids, ref_problems = _resolve_request_refs(vault, data.get("request_refs") or [])
    problems.extend(ref_problems)
    clean["request_ids"] = list(dict.fromkeys([*clean["request_ids"], *ids]))
    for key, table, what in (("request_ids", "requests", "request"), ("subject_ids", "subjects", "subject")):
        for rid in clean[key]:
            if vault.db.one(f"SELECT 1 FROM {table} WHERE id = ?", (rid,)) is None:  # constant names
                problems.append(Problem(key, f"The linked {what} {rid} is not in this vault"))
    raise_if(problems, "The complaint was not saved")
    cid = new_id()
    stamp = utc_now_iso()
    with vault.db.transaction():
        reference = next_reference(vault, now.astimezone(LONDON).year)
        vault.db.execute(
            "INSERT INTO complaints (id, origin_agency, reference, complainant_kind, complainant, complainant_agency,"
            " agency, about, received_at, received_how, request_ids, subject_ids, created_at, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (cid, vault.agency, reference, clean["complainant_kind"], clean["complainant"],
             clean["complainant_agency"], clean["agency"], clean["about"], clean["received_at"],
             clean["received_how"], dumps(clean["request_ids"]), dumps(clean["subject_ids"]), stamp, vault.actor))
        vault.audit("complaint.created", record_type="complaint", record_id=cid,
                    reason=f"{reference} {clean['complainant_kind']}")
        if vault.role == "dpm":
            _insert_update(vault, cid, "dpm-notified", stamp, {"who": vault.actor})
    return _load(vault, cid)


def _insert_update(vault, complaint_id: str, kind: str, at: str, details: dict) -> None:
    vault.db.execute("INSERT INTO complaint_updates (id, complaint_id, kind, at, details, recorded_at, recorded_by)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (new_id(), complaint_id, kind, at, dumps(details), utc_now_iso(), vault.actor))
    vault.audit("complaint.updated", record_type="complaint", record_id=complaint_id, reason=kind)


def validate_update(complaint: Complaint, kind: str, data: dict, *,
                    now: _dt.datetime | None = None) -> tuple[list[Problem], str | None, dict]:
    now = now or utc_now()
    if kind not in UPDATE_KINDS:
        raise InvalidInput(f"Unknown kind of complaint update {kind!r}; choose one of: {', '.join(UPDATE_KINDS)}.")
    problems: list[Problem] = []
    at = check_time(problems, "at", data.get("at"), required=False, missing="", what="The date and time", now=now)
    if at is None and not problems:
        at = now.astimezone(_dt.timezone.utc).isoformat(timespec="microseconds")
    if at is not None and at < complaint.received_at and kind != "note":
        problems.append(Problem("at", "The date and time must be after the complaint was received"))
    d: dict[str, Any] = {}

    def text_field(key, missing, required=True, limit=MAX_TEXT):
        d[key] = check_text(problems, key, data.get(key), required=required, missing=missing, limit=limit)

    if kind == "dpm-notified":
        text_field("who", "Enter who was told", limit=500)
        if complaint.state.dpm_notified_at is not None:
            problems.append(Problem("kind", "The Data Protection Manager's notification is already recorded"))
    elif kind == "outcome":
        outcome = data.get("outcome") or ""
        if outcome not in OUTCOMES:
            problems.append(Problem("outcome", "Choose the outcome: upheld, not upheld, referred to the partner "
                                               "concerned, or referred to the ICO"))
        d["outcome"] = outcome
        partner = data.get("partner") or ""
        if outcome == "referred-partner":
            if not partner:
                problems.append(Problem("partner", "Choose the partner the complaint is referred to"))
            elif partner not in load_agreement().partner_codes():
                problems.append(Problem("partner", f"{partner!r} is not a partner of the agreement"))
            d["partner"] = partner
        text_field("reason", "Enter the reason for the outcome")
    elif kind == "replied":
        text_field("how", "Enter how the reply was sent (for example letter, e-mail)", limit=500)
        text_field("summary", "", required=False)
    else:
        text_field("text", "Enter the note")
    return problems, at, d


def add_update(vault, ref_or_id: str, kind: str, data: dict, *, now: _dt.datetime | None = None) -> Complaint:
    require(vault.role, "breaches.manage", "record the Data Protection Manager's work on a complaint")
    complaint = _load(vault, _resolve(vault, ref_or_id))
    problems, at, details = validate_update(complaint, kind, data, now=now)
    raise_if(problems, f"The update to {complaint.reference} was not saved")
    with vault.db.transaction():
        _insert_update(vault, complaint.id, kind, at, details)
    return _load(vault, complaint.id)


# ---- reading ----------------------------------------------------------------------------------


def _resolve(vault, ref_or_id: str) -> str:
    row = vault.db.one("SELECT id FROM complaints WHERE id = ? OR reference = ? COLLATE NOCASE ORDER BY seq LIMIT 1",
                       (ref_or_id, ref_or_id))
    if row is None:
        raise InvalidInput(f"There is no complaint {ref_or_id} in this vault.")
    return row["id"]


def _load(vault, complaint_id: str) -> Complaint:
    row = vault.db.one("SELECT * FROM complaints WHERE id = ?", (complaint_id,))
    updates = [ComplaintUpdate.from_row(r) for r in vault.db.query(
        "SELECT * FROM complaint_updates WHERE complaint_id = ? ORDER BY seq", (complaint_id,))]
    return Complaint.from_row(row, updates)


def get_complaint(vault, ref_or_id: str, *, audit: bool = True) -> Complaint:
    require(vault.role, "breaches.read", "read complaints")
    complaint = _load(vault, _resolve(vault, (ref_or_id or "").strip()))
    if audit:
        vault.audit("complaint.viewed", record_type="complaint", record_id=complaint.id, reason=complaint.reference)
    return complaint


def _all(vault) -> list[Complaint]:
    by_id: dict[str, list] = {}
    for r in vault.db.query("SELECT * FROM complaint_updates ORDER BY seq"):
        by_id.setdefault(r["complaint_id"], []).append(ComplaintUpdate.from_row(r))
    return [Complaint.from_row(r, by_id.get(r["id"], ())) for r in
            vault.db.query("SELECT * FROM complaints ORDER BY seq DESC")]


def list_complaints(vault, *, status: str | None = None, now: _dt.datetime | None = None,
                    audit: bool = True) -> list[Complaint]:
    """Open complaints with the DPM clock overdue first, then by the nearest deadline; then the
    answered ones, newest first. `status`: open or answered."""
    require(vault.role, "breaches.read", "see the complaints")
    now = now or utc_now()
    items = [c for c in _all(vault) if status is None or c.state.status == status]

    def order(c: Complaint):
        clock = c.dpm_clock(now)
        if c.state.status != "open":
            return (3, 0.0, -c.seq)
        if clock.overdue:
            return (0, -clock.delta.total_seconds(), -c.seq)
        if clock.open:
            return (1, clock.deadline.timestamp(), -c.seq)
        return (2, 0.0, -c.seq)

    items.sort(key=order)
    if audit:
        vault.audit("complaints.listed", record_type="complaint", reason=f"{len(items)} shown")
    return items


def complaint_counts(vault, now: _dt.datetime | None = None) -> dict:
    """For `spocdesk status`, apart from breaches: counts and the DPM clock by reference only."""
    now = now or utc_now()
    items = _all(vault)
    open_ones = [c for c in items if c.state.status == "open"]
    outcomes = {key: sum(1 for c in items if c.state.outcome == key) for key in OUTCOMES}
    return {"total": len(items), "open": len(open_ones), "answered": len(items) - len(open_ones),
            "dpm_notification_overdue": sum(1 for c in items if c.is_overdue(now)),
            "outcomes": outcomes,
            "clocks": [{"reference": c.reference, "received_at": c.received_at, "dpm": _clock_json(c.dpm_clock(now))}
                       for c in reversed(open_ones)]}


def linked_labels(vault, complaint: Complaint) -> list[str]:
    labels = []
    for rid in complaint.request_ids:
        row = vault.db.one("SELECT reference FROM requests WHERE id = ?", (rid,))
        labels.append(f"Request {row['reference'] if row else rid}")
    if complaint.subject_ids:
        n = len(complaint.subject_ids)
        labels.append(f"{n} subject{'' if n == 1 else 's'}")
    return labels


# ---- the joint compliance report (13.1) -----------------------------------------------------------


def complaints_section(scope):
    """The compliance report's complaints (10.1), counted apart from breaches: received in the
    period, by who complained; the DPM clock met, missed (told late, or not told and overdue now)
    or still running; the latest outcome of each, and replies sent. Partner: the agency complained
    about, or the partner that complained. One statement over the period's complaints (their first
    DPM-notified time and latest outcome read in SQL); the clock is the breach log's own arithmetic."""
    from app.compliance import Section

    where = " AND (c.agency = ? OR c.complainant_agency = ?)" if scope.partner else ""
    found = scope.vault.db.query(
        "SELECT c.agency, c.complainant_kind, c.received_at,"
        " (SELECT u.at FROM complaint_updates u WHERE u.complaint_id = c.id AND u.kind = 'dpm-notified'"
        "  ORDER BY u.seq LIMIT 1) AS notified_at,"
        " (SELECT json_extract(u.details, '$.outcome') FROM complaint_updates u WHERE u.complaint_id = c.id"
        "  AND u.kind = 'outcome' ORDER BY u.seq DESC LIMIT 1) AS outcome,"
        " EXISTS (SELECT 1 FROM complaint_updates u WHERE u.complaint_id = c.id AND u.kind = 'replied') AS replied"
        " FROM complaints c WHERE c.received_at >= ? AND c.received_at < ?" + where,
        (scope.start_utc, scope.end_utc) + ((scope.partner, scope.partner) if scope.partner else ()))
    per: dict[str, dict] = {}
    kinds = {key: 0 for key in FROM_TITLES}
    outcomes = {key: 0 for key in OUTCOMES}
    undecided = 0
    for r in found:
        e = per.setdefault(r["agency"], {"n": 0, "met": 0, "late": 0, "overdue": 0, "running": 0, "outcome": 0,
                                         "replied": 0})
        e["n"] += 1
        e[dpm_clock(r["received_at"], r["notified_at"], scope.now).state] += 1
        kinds[r["complainant_kind"]] = kinds.get(r["complainant_kind"], 0) + 1
        if r["outcome"]:
            e["outcome"] += 1
            outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + 1
        else:
            undecided += 1
        e["replied"] += bool(r["replied"])
    agreement = load_agreement()
    order = {code: n for n, code in enumerate(agreement.partner_codes())}

    def total(key: str) -> int:
        return sum(e[key] for e in per.values())

    def lower(text: str) -> str:
        return text[:1].lower() + text[1:]

    who = ", ".join(f"{lower(FROM_TITLES[k])}: {n}" for k, n in kinds.items() if k in FROM_TITLES)
    lines = (f"Complaints received in the period: {len(found)} ({who}); counted apart from breaches.",
             f"{clock_title()}: told in time {total('met')}, told late {total('late')}, not told and overdue now "
             f"{total('overdue')}, still within the clock {total('running')}.",
             "Outcomes (the latest of each): " + ", ".join(f"{lower(OUTCOMES[k])} {n}" for k, n in outcomes.items()
                                                           if k in OUTCOMES)
             + f"; no outcome yet {undecided}. Replies sent: {total('replied')}.")
    rows = tuple((agreement.partner_name(code), *(str(e[k]) for k in ("n", "met", "late", "overdue", "running",
                                                                        "outcome", "replied")))
                 for code, e in sorted(per.items(), key=lambda kv: order.get(kv[0], 99)))
    return Section("complaints", "Complaints and the DPM clock", "10.1", lines,
                   ("About", "Received", f"{clock_heading('dpm', 'column')}: told in time", "Told late", "Not told, overdue",
                    "Within the clock", "Outcome decided", "Replied"), rows, (2.8, 1.3, 1.5, 0.9, 1.1, 1.4, 1.4, 1.1))


__all__ = ["Complaint", "ComplaintUpdate", "ComplaintState", "FROM_TITLES", "HOW_TITLES", "OUTCOMES",
           "UPDATE_KINDS", "validate_complaint", "create_complaint", "validate_update", "add_update",
           "get_complaint", "list_complaints", "complaint_counts", "dpm_clock", "clock_title", "clock_rule",
           "linked_labels", "complaints_section"]
