"""Cases through the tactical response process (Appendix 2a), with the source of the information
(2.2), exploitation types (1.4), a lead agency (2.4), and links to requests, tactical meetings,
4P actions and referrals (4.3(6): the National Referral Mechanism, the duty to notify, GAIN, the
NCA, local safeguarding, victim support).

A case has a reference per desk (`CASE-2026-0001`) and a title that holds no personal data by
default (the reference and the exploitation types; a title the user types is checked against the
names of the case's subjects and a warning shown). It moves through the stages of Appendix 2a;
every change records who, when and why in an append-only history, and a stage can be revisited.
It closes only from the review and debrief, with what we learnt written down.

Meetings link to a case through their agenda items (an item of kind 'case' names its case); the
4P actions agreed under those items, or under a request the case links, are the case's actions.
The case's internal notes never leave this desk: no exchange file of a request carries them and
no printed document shows them.

Every save is one transaction with its audit event (references, ids and codes only).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from app.agreement import load_agreement
from app.errors import InvalidInput
from app.records import Problem, check_codes, check_date, check_text, dumps, loads, new_id, raise_if, today_london
from app.roles import require
from app.timeutil import utc_now_iso
from app.vault.migrations import CASE_SOURCES, REFERRAL_KINDS

PREFIX = "CASE"
SHORT = 500

def stages() -> dict[str, tuple[str, str]]:
    """Appendix 2a's stages in the agreement data's order: code -> (label, what happens at it).
    The agreement file's `case_stages` (app.agreement; the Appendix 2a list when it has none)."""
    return {s.id: (s.name, s.meaning) for s in load_agreement().case_stages}


def stage_order(stage: str) -> int:
    """Where a stage comes in the agreement's order (a move to an earlier one is a revisit)."""
    return list(stages()).index(stage)

# Clause 2.2: where information and concerns come from.
SOURCES: dict[str, str] = {
    "agency-duties": "Through the exercise of an agency's duties and powers",
    "self-identified": "A potential victim self-identifying and asking for support",
    "public-community": "Concerned members of the public, or a community or voluntary setting",
}
assert tuple(SOURCES) == CASE_SOURCES

REFERRALS: dict[str, str] = {
    "nrm": "National Referral Mechanism (NRM)",
    "duty-to-notify": "Duty to notify (MS1)",
    "gain": "GAIN (Government Agency Intelligence Network)",
    "nca": "National Crime Agency",
    "local-safeguarding": "Local safeguarding",
    "victim-support": "Victim support",
}
assert tuple(REFERRALS) == REFERRAL_KINDS
CONSENT = {"given": "An adult who consents", "not-given": "An adult who does not consent", "child": "A child"}
DECISIONS = {"positive": "Positive", "negative": "Negative"}
STATUS_LABELS = {"open": "Open", "closed": "Closed"}

LABELS = {
    "title": "Case title", "source": "Where the information came from", "source_detail": "Details of the source",
    "received_on": "Date the information came in", "exploitation_types": "Types of exploitation",
    "lead_agency": "Lead agency", "internal_notes": "Internal notes", "stage": "Stage", "reason": "Why",
    "lessons": "What we learnt", "request": "Request", "meeting": "Meeting", "kind": "Referral to",
    "subject_id": "Person referred", "referred_on": "Date of referral", "first_responder": "First responder",
    "consent": "Consent", "external_ref": "Their reference", "rg_decision": "Reasonable grounds decision",
    "rg_on": "Date of the reasonable grounds decision", "cg_decision": "Conclusive grounds decision",
    "cg_on": "Date of the conclusive grounds decision", "outcome": "Outcome", "outcome_on": "Date of the outcome",
    "notes": "Notes",
}


def uk_date(iso: str | None) -> str:
    """A plain ISO date as the screens and papers show it: 27/03/2026."""
    return f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}" if iso and len(iso) >= 10 else ""


def stage_label(stage: str) -> str:
    return stages().get(stage, (stage, ""))[0]


def exploitation_name(code: str) -> str:
    return next((e.name for e in load_agreement().exploitation_types if e.id == code), code)


# ---- records ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageChange:
    id: str
    case_id: str
    from_stage: str | None
    to_stage: str
    reason: str
    at: str
    recorded_by: str

    @property
    def revisit(self) -> bool:
        """A move back to an earlier stage (Appendix 2a is a loop: a stage can be revisited)."""
        return self.from_stage is not None and stage_order(self.to_stage) < stage_order(self.from_stage)


@dataclass(frozen=True)
class Referral:
    id: str
    case_id: str
    kind: str
    subject_id: str | None
    subject_name: str | None  # read from the subject, never stored here
    referred_on: str
    referred_by: str
    first_responder: str
    consent: str
    external_ref: str
    rg_decision: str | None
    rg_on: str | None
    cg_decision: str | None
    cg_on: str | None
    outcome: str
    outcome_on: str | None
    notes: str
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str

    @property
    def kind_label(self) -> str:
        return REFERRALS.get(self.kind, self.kind)

    @property
    def outstanding(self) -> str | None:
        """What is still awaited, in words, or None when nothing is."""
        if self.kind == "nrm":
            if self.rg_decision is None:
                return "Reasonable grounds decision awaited"
            if self.rg_decision == "positive" and self.cg_decision is None:
                return "Conclusive grounds decision awaited"
            return None
        if self.kind == "duty-to-notify":
            return None  # the notification is the whole of the duty
        return None if self.outcome_on else "Outcome awaited"

    @property
    def outcome_text(self) -> str:
        if self.kind == "nrm":
            parts = []
            if self.rg_decision:
                parts.append(f"Reasonable grounds: {DECISIONS[self.rg_decision].lower()} ({uk_date(self.rg_on)})")
            if self.cg_decision:
                parts.append(f"Conclusive grounds: {DECISIONS[self.cg_decision].lower()} ({uk_date(self.cg_on)})")
            return "; ".join(parts)
        return f"{self.outcome} ({uk_date(self.outcome_on)})" if self.outcome_on else ""


@dataclass(frozen=True)
class LinkedRequest:
    id: str
    reference: str
    status: str
    request_date: str
    linked_at: str
    linked_by: str


@dataclass(frozen=True)
class LinkedMeeting:
    id: str
    reference: str
    held_at: str
    status: str
    agenda_item_id: str


@dataclass(frozen=True)
class CaseAction:
    id: str
    meeting_reference: str
    category: str
    text: str
    owner_agency: str
    due_date: str
    status: str

    def is_overdue(self, today: _dt.date | None = None) -> bool:
        today = today or today_london()
        return self.status == "open" and _dt.date.fromisoformat(self.due_date) < today


@dataclass(frozen=True)
class Case:
    id: str
    seq: int
    origin_agency: str
    reference: str
    title: str
    source: str
    source_detail: str
    received_on: str | None
    exploitation_types: tuple[str, ...]
    lead_agency: str
    stage: str
    status: str
    internal_notes: str
    lessons: str
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str
    history: tuple[StageChange, ...] = ()
    requests: tuple[LinkedRequest, ...] = ()
    meetings: tuple[LinkedMeeting, ...] = ()
    actions: tuple[CaseAction, ...] = ()
    referrals: tuple[Referral, ...] = ()

    @property
    def stage_label(self) -> str:
        return stage_label(self.stage)

    @property
    def source_label(self) -> str:
        return SOURCES.get(self.source, self.source)

    @property
    def lead_name(self) -> str:
        return load_agreement().partner_name(self.lead_agency)

    @property
    def exploitation_names(self) -> list[str]:
        return [exploitation_name(c) for c in self.exploitation_types]

    @property
    def outstanding_referrals(self) -> list[Referral]:
        return [r for r in self.referrals if r.outstanding]

    @property
    def open_actions(self) -> list[CaseAction]:
        return [a for a in self.actions if a.status == "open"]


@dataclass(frozen=True)
class CaseSummary:
    """One row of the cases list (no free text but the title)."""

    id: str
    seq: int
    reference: str
    title: str
    stage: str
    status: str
    lead_agency: str
    exploitation_types: tuple[str, ...]
    updated_at: str
    requests: int
    outstanding: int  # referral outcomes awaited + open actions

    @property
    def stage_label(self) -> str:
        return stage_label(self.stage)


@dataclass(frozen=True)
class Outstanding:
    """Something awaited on a case, for the case page and the SPOC's home screen."""

    case_id: str
    case_reference: str
    what: str  # "NRM: Reasonable grounds decision awaited", "Protect action due 01/05/2026"
    due: str | None  # an ISO date, for actions
    overdue: bool


def _row(cls, row, **extra):
    values = {k: row[k] for k in cls.__dataclass_fields__ if k not in extra and k in row.keys()}
    values.update(extra)
    return cls(**values)


# ---- validation -------------------------------------------------------------------------------


def _check_partner(problems: list[Problem], key: str, value: Any, missing: str) -> str:
    code = value if isinstance(value, str) else ""
    if not code:
        problems.append(Problem(key, missing))
    elif code not in load_agreement().partner_codes():
        problems.append(Problem(key, f"{code!r} is not a partner of the agreement"))
    return code


def default_title(reference: str, exploitation_types) -> str:
    """A title with no personal data: the types of exploitation (the reference is shown beside
    every title anyway), or the reference alone."""
    names = [exploitation_name(c) for c in exploitation_types or ()]
    return ", ".join(names) if names else reference


def validate_case(data: dict) -> tuple[list[Problem], dict]:
    problems: list[Problem] = []
    clean: dict[str, Any] = {}
    clean["title"] = check_text(problems, "title", data.get("title"), limit=SHORT).strip()
    source = data.get("source") or ""
    if not source:
        problems.append(Problem("source", "Choose where the information came from"))
    elif source not in SOURCES:
        problems.append(Problem("source", f"{source!r} is not one of: {', '.join(SOURCES)}"))
    clean["source"] = source
    clean["source_detail"] = check_text(problems, "source_detail", data.get("source_detail"), limit=SHORT)
    clean["received_on"] = check_date(problems, "received_on", data.get("received_on"), required=False, missing="",
                                      what="The date the information came in")
    clean["exploitation_types"] = check_codes(problems, "exploitation_types", data.get("exploitation_types"),
                                              [e.id for e in load_agreement().exploitation_types])
    clean["lead_agency"] = _check_partner(problems, "lead_agency", data.get("lead_agency"),
                                          "Choose the lead agency")
    clean["internal_notes"] = check_text(problems, "internal_notes", data.get("internal_notes"))
    return problems, clean


def validate_referral(data: dict, subject_kind: str | None) -> tuple[list[Problem], dict]:
    """A referral's kind and details. NRM and the duty to notify name the person referred; an adult
    goes to the NRM only with consent, and the duty to notify (MS1) is for an adult who does not."""
    problems: list[Problem] = []
    clean: dict[str, Any] = {}
    kind = data.get("kind") or ""
    if kind not in REFERRALS:
        problems.append(Problem("kind", "Choose who the referral is to" if not kind else
                                f"{kind!r} is not one of: {', '.join(REFERRALS)}"))
    clean["kind"] = kind
    clean["subject_id"] = data.get("subject_id") or None
    about_person = kind in ("nrm", "duty-to-notify")
    if about_person and not clean["subject_id"]:
        problems.append(Problem("subject_id", "Choose the person referred"))
    elif clean["subject_id"] and subject_kind is None:
        problems.append(Problem("subject_id", "The person referred is not a subject in this vault"))
    elif about_person and subject_kind != "person":
        problems.append(Problem("subject_id", "Only a person is referred to the NRM or notified under the duty"))
    clean["referred_on"] = check_date(problems, "referred_on", data.get("referred_on"), required=True,
                                      missing="Enter the date of the referral", what="The date of the referral")
    clean["first_responder"] = check_text(problems, "first_responder", data.get("first_responder"),
                                          required=kind == "nrm", missing="Enter the first responder organisation "
                                          "that made the NRM referral", limit=SHORT).strip()
    consent = data.get("consent") or ""
    if consent and consent not in CONSENT:
        problems.append(Problem("consent", f"{consent!r} is not one of: {', '.join(CONSENT)}"))
        consent = ""
    if kind == "nrm" and not consent:
        problems.append(Problem("consent", "Choose whether the person is a child or an adult who consents"))
    elif kind == "nrm" and consent == "not-given":
        problems.append(Problem("consent", "An adult who does not consent is not referred to the NRM: record the "
                                           "duty to notify (MS1) instead"))
    elif kind == "duty-to-notify" and consent != "not-given":
        problems.append(Problem("consent", "The duty to notify (MS1) is for an adult who does not consent to an NRM "
                                           "referral; a child or a consenting adult is referred to the NRM"))
    clean["consent"] = consent
    clean["external_ref"] = check_text(problems, "external_ref", data.get("external_ref"), limit=SHORT).strip()
    clean["notes"] = check_text(problems, "notes", data.get("notes"))
    return problems, clean


# ---- references and loading -------------------------------------------------------------------


def next_reference(vault, year: int) -> str:
    """The next CASE-YYYY-NNNN of this desk (cases are never deleted, so max + 1 is safe)."""
    from app.records import next_yearly_reference

    return next_yearly_reference(vault, "cases", PREFIX, year)


def resolve(vault, ref_or_id: str) -> str:
    """The id of a case given by reference (any case) or id."""
    if not isinstance(ref_or_id, str) or not ref_or_id.strip():
        raise InvalidInput("Choose a case.")
    row = vault.db.one("SELECT id FROM cases WHERE id = ? OR reference = ? COLLATE NOCASE ORDER BY"
                       " (origin_agency = ?) DESC, seq LIMIT 1", (ref_or_id, ref_or_id.strip(), vault.agency))
    if row is None:
        raise InvalidInput(f"There is no case {ref_or_id} in this vault.")
    return row["id"]


def _referrals(vault, case_id: str) -> list[Referral]:
    rows = vault.db.query("SELECT f.*, s.name AS subject_name FROM case_referrals f"
                          " LEFT JOIN subjects s ON s.id = f.subject_id WHERE f.case_id = ? ORDER BY f.seq",
                          (case_id,))
    return [_row(Referral, r) for r in rows]


def _actions(vault, case_id: str) -> list[CaseAction]:
    rows = vault.db.query(
        "SELECT a.id, m.reference AS meeting_reference, a.category, a.text, a.owner_agency, a.due_date, a.status"
        " FROM meeting_actions a JOIN meetings m ON m.id = a.meeting_id"
        " JOIN meeting_agenda_items i ON i.id = a.agenda_item_id"
        " WHERE i.case_id = ? OR i.request_id IN (SELECT request_id FROM case_requests WHERE case_id = ?)"
        " ORDER BY a.due_date, a.seq", (case_id, case_id))
    return [_row(CaseAction, r) for r in rows]


def _load(vault, case_id: str) -> Case:
    row = vault.db.one("SELECT * FROM cases WHERE id = ?", (case_id,))
    if row is None:
        raise InvalidInput(f"There is no case {case_id} in this vault.")
    history = [_row(StageChange, r) for r in
               vault.db.query("SELECT * FROM case_stage_changes WHERE case_id = ? ORDER BY seq", (case_id,))]
    requests = [_row(LinkedRequest, r) for r in vault.db.query(
        "SELECT r.id, r.reference, r.status, r.request_date, c.linked_at, c.linked_by FROM case_requests c"
        " JOIN requests r ON r.id = c.request_id WHERE c.case_id = ? ORDER BY r.seq", (case_id,))]
    meetings = [_row(LinkedMeeting, r) for r in vault.db.query(
        "SELECT m.id, m.reference, m.held_at, m.status, i.id AS agenda_item_id FROM meeting_agenda_items i"
        " JOIN meetings m ON m.id = i.meeting_id WHERE i.case_id = ? ORDER BY m.held_at, m.seq", (case_id,))]
    return _row(Case, row, exploitation_types=tuple(loads(row["exploitation_types"])), history=tuple(history),
                requests=tuple(requests), meetings=tuple(meetings), actions=tuple(_actions(vault, case_id)),
                referrals=tuple(_referrals(vault, case_id)))


def get_case(vault, ref_or_id: str, *, audit: bool = True) -> Case:
    require(vault.role, "cases.read", "see cases")
    case = _load(vault, resolve(vault, ref_or_id))
    if audit:
        vault.audit("case.viewed", record_type="case", record_id=case.id, reason=case.reference)
    return case


SORTS = {
    "reference": "c.reference", "title": "c.title", "stage": "c.stage", "lead": "c.lead_agency",
    "status": "c.status", "updated": "c.updated_at", "newest": "c.seq",
}


def list_cases(vault, *, stage: str | None = None, lead: str | None = None, exploitation: str | None = None,
               status: str | None = None, sort: str = "newest", descending: bool = True, limit: int = 1000,
               audit: bool = True) -> list[CaseSummary]:
    """Cases filtered by stage, lead agency, exploitation type and open/closed, sorted in the
    database by one of SORTS (the stage sorts in Appendix 2a's order)."""
    require(vault.role, "cases.read", "see cases")
    if stage is not None and stage not in stages():
        raise InvalidInput(f"Unknown stage {stage!r}; choose one of: {', '.join(stages())}.")
    if status is not None and status not in STATUS_LABELS:
        raise InvalidInput(f"Unknown status {status!r}; choose open or closed.")
    if sort not in SORTS:
        raise InvalidInput(f"Unknown sort {sort!r}; choose one of: {', '.join(SORTS)}.")
    order = SORTS[sort]
    if sort == "stage":
        order = "CASE c.stage " + " ".join(f"WHEN '{s}' THEN {n}" for n, s in enumerate(stages())) + " END"
    direction = "DESC" if descending else "ASC"
    sql = ("SELECT c.id, c.seq, c.reference, c.title, c.stage, c.status, c.lead_agency, c.exploitation_types,"
           " c.updated_at,"
           " (SELECT count(*) FROM case_requests q WHERE q.case_id = c.id) AS requests,"
           " (SELECT count(*) FROM case_referrals f WHERE f.case_id = c.id AND ("
           "   (f.kind = 'nrm' AND (f.rg_decision IS NULL OR (f.rg_decision = 'positive' AND f.cg_decision IS NULL)))"
           "   OR (f.kind NOT IN ('nrm', 'duty-to-notify') AND f.outcome_on IS NULL)))"
           " + (SELECT count(*) FROM meeting_actions a JOIN meeting_agenda_items i ON i.id = a.agenda_item_id"
           "   WHERE a.status = 'open' AND (i.case_id = c.id OR i.request_id IN"
           "   (SELECT request_id FROM case_requests WHERE case_id = c.id))) AS outstanding"
           " FROM cases c WHERE (? IS NULL OR c.stage = ?) AND (? IS NULL OR c.lead_agency = ?)"
           " AND (? IS NULL OR c.status = ?)"
           " AND (? IS NULL OR EXISTS (SELECT 1 FROM json_each(c.exploitation_types) e WHERE e.value = ?))"
           f" ORDER BY {order} {direction}, c.seq {direction} LIMIT ?")  # order from our own SORTS
    rows = vault.db.query(sql, (stage, stage, lead, lead, status, status, exploitation, exploitation,
                                max(1, min(int(limit), 10_000))))
    items = [_row(CaseSummary, r, exploitation_types=tuple(loads(r["exploitation_types"]))) for r in rows]
    if audit:
        vault.audit("cases.listed", record_type="case", reason=f"{len(items)} shown")
    return items


def title_warning(vault, case: Case) -> str | None:
    """A warning when the title holds the name of one of the case's subjects (titles travel on
    agendas and lists: they should hold no personal data)."""
    title = case.title.casefold()
    if not title:
        return None
    names = vault.db.query("SELECT DISTINCT s.name FROM case_requests c JOIN request_subjects rs"
                           " ON rs.request_id = c.request_id JOIN subjects s ON s.id = rs.subject_id"
                           " WHERE c.case_id = ?", (case.id,))
    for row in names:
        name = (row["name"] or "").strip().casefold()
        if len(name) >= 3 and name in title:
            return "The title contains the name of a subject of the case; titles should hold no personal data."
    return None


# ---- saving -----------------------------------------------------------------------------------


def _manageable(vault, ref_or_id: str, what: str) -> Case:
    require(vault.role, "cases.manage", what)
    case = _load(vault, resolve(vault, ref_or_id))
    if case.status == "closed":
        raise InvalidInput(f"{case.reference} is closed; reopen it to change it.")
    return case


def _touch(vault, case_id: str) -> None:
    vault.db.execute("UPDATE cases SET updated_at = ?, updated_by = ? WHERE id = ?",
                     (utc_now_iso(), vault.actor, case_id))


def create_case(vault, data: dict) -> Case:
    """Open a case at 'Information in'. Without a title it gets one with no personal data."""
    require(vault.role, "cases.manage", "open cases")
    problems, clean = validate_case(data)
    raise_if(problems, "The case was not saved")
    cid = new_id()
    stamp = utc_now_iso()
    with vault.db.transaction():
        reference = next_reference(vault, today_london().year)
        title = clean["title"] or default_title(reference, clean["exploitation_types"])
        vault.db.execute(
            "INSERT INTO cases (id, origin_agency, reference, title, source, source_detail, received_on,"
            " exploitation_types, lead_agency, stage, internal_notes, created_at, created_by, updated_at, updated_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'information', ?, ?, ?, ?, ?)",
            (cid, vault.agency, reference, title, clean["source"], clean["source_detail"], clean["received_on"],
             dumps(clean["exploitation_types"]), clean["lead_agency"], clean["internal_notes"], stamp, vault.actor,
             stamp, vault.actor))
        _insert_change(vault, cid, None, "information", "Case opened", stamp)
        vault.audit("case.created", record_type="case", record_id=cid, reason=f"{reference} {clean['source']}")
    return _load(vault, cid)


def update_case(vault, ref_or_id: str, data: dict) -> Case:
    """Change a case's details (not its stage: see `move_stage`)."""
    case = _manageable(vault, ref_or_id, "edit cases")
    merged = {"title": case.title, "source": case.source, "source_detail": case.source_detail,
              "received_on": case.received_on, "exploitation_types": list(case.exploitation_types),
              "lead_agency": case.lead_agency, "internal_notes": case.internal_notes}
    merged.update({k: v for k, v in data.items() if k in merged})
    problems, clean = validate_case(merged)
    raise_if(problems, "The case was not saved")
    title = clean["title"] or default_title(case.reference, clean["exploitation_types"])
    with vault.db.transaction():
        vault.db.execute(
            "UPDATE cases SET title = ?, source = ?, source_detail = ?, received_on = ?, exploitation_types = ?,"
            " lead_agency = ?, internal_notes = ?, updated_at = ?, updated_by = ? WHERE id = ?",
            (title, clean["source"], clean["source_detail"], clean["received_on"], dumps(clean["exploitation_types"]),
             clean["lead_agency"], clean["internal_notes"], utc_now_iso(), vault.actor, case.id))
        vault.audit("case.updated", record_type="case", record_id=case.id, reason=case.reference)
    return _load(vault, case.id)


def _insert_change(vault, case_id: str, from_stage, to_stage: str, reason: str, at: str) -> None:
    vault.db.execute("INSERT INTO case_stage_changes (id, case_id, from_stage, to_stage, reason, at, recorded_by)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?)", (new_id(), case_id, from_stage, to_stage, reason, at,
                                                       vault.actor))


def move_stage(vault, ref_or_id: str, stage: str, reason: str) -> Case:
    """Move a case to another stage of Appendix 2a, forward (stages may be passed over: an
    intelligence-development case needs no SIO) or back (a revisit), always with why."""
    case = _manageable(vault, ref_or_id, "move cases through the tactical response process")
    problems: list[Problem] = []
    if stage not in stages():
        problems.append(Problem("stage", f"Choose a stage: {', '.join(s[0] for s in stages().values())}"))
    elif stage == case.stage:
        problems.append(Problem("stage", f"{case.reference} is already at {stage_label(stage)}; choose another stage"))
    reason = check_text(problems, "reason", reason, required=True, missing="Enter why the case moves to this stage",
                        limit=10_000)
    raise_if(problems, "The stage was not changed")
    stamp = utc_now_iso()
    back = stage_order(stage) < stage_order(case.stage)
    with vault.db.transaction():
        vault.db.execute("UPDATE cases SET stage = ?, updated_at = ?, updated_by = ? WHERE id = ?",
                         (stage, stamp, vault.actor, case.id))
        _insert_change(vault, case.id, case.stage, stage, reason, stamp)
        vault.audit("case.stage_revisited" if back else "case.stage_changed", record_type="case", record_id=case.id,
                    reason=f"{case.reference} {case.stage} to {stage}")
    return _load(vault, case.id)


def edit_case(vault, ref_or_id: str, data: dict, *, stage: str | None = None, reason: str = "") -> Case:
    """Edit a case's details and, when `stage` is another stage, move it there with why: every
    problem of both is said at once and nothing is saved unless all of it is (one transaction;
    each part audited as `update_case` and `move_stage` audit it)."""
    case = _manageable(vault, ref_or_id, "edit cases")
    if case.status == "closed":
        raise InvalidInput(f"{case.reference} is closed; reopen it to edit it.")
    merged = {"title": case.title, "source": case.source, "source_detail": case.source_detail,
              "received_on": case.received_on, "exploitation_types": list(case.exploitation_types),
              "lead_agency": case.lead_agency, "internal_notes": case.internal_notes}
    merged.update({k: v for k, v in data.items() if k in merged})
    problems, _clean = validate_case(merged)
    moving = bool(stage) and stage != case.stage
    if stage and stage not in stages():
        problems.append(Problem("stage", f"Choose a stage: {', '.join(s[0] for s in stages().values())}"))
        moving = False
    if moving:
        check_text(problems, "reason", reason, required=True, missing="Enter why the case moves to this stage",
                   limit=10_000)
    raise_if(problems, "The case was not saved")
    with vault.db.transaction():
        update_case(vault, case.id, data)
        if moving:
            move_stage(vault, case.id, stage, reason)
    return _load(vault, case.id)


def close_case(vault, ref_or_id: str, lessons: str) -> Case:
    """Close a case after its review and debrief, recording what we learnt (Appendix 2a)."""
    case = _manageable(vault, ref_or_id, "close cases")
    problems: list[Problem] = []
    if case.stage != "review":
        problems.append(Problem("stage", f"Move {case.reference} to the review and debrief before closing it"))
    lessons = check_text(problems, "lessons", lessons, required=True,
                         missing="Enter what we learnt from the case review and debrief")
    raise_if(problems, "The case was not closed")
    with vault.db.transaction():
        vault.db.execute("UPDATE cases SET status = 'closed', lessons = ?, updated_at = ?, updated_by = ?"
                         " WHERE id = ?", (lessons, utc_now_iso(), vault.actor, case.id))
        vault.audit("case.closed", record_type="case", record_id=case.id, reason=case.reference)
    return _load(vault, case.id)


def reopen_case(vault, ref_or_id: str, reason: str, stage: str = "assessment") -> Case:
    """Reopen a closed case at a stage (assessment unless told), with why; the history keeps it."""
    require(vault.role, "cases.manage", "reopen cases")
    case = _load(vault, resolve(vault, ref_or_id))
    problems: list[Problem] = []
    if case.status != "closed":
        problems.append(Problem("stage", f"{case.reference} is open"))
    if stage not in stages():
        problems.append(Problem("stage", "Choose the stage the case reopens at"))
    reason = check_text(problems, "reason", reason, required=True, missing="Enter why the case is reopened")
    raise_if(problems, "The case was not reopened")
    stamp = utc_now_iso()
    with vault.db.transaction():
        vault.db.execute("UPDATE cases SET status = 'open', stage = ?, updated_at = ?, updated_by = ? WHERE id = ?",
                         (stage, stamp, vault.actor, case.id))
        _insert_change(vault, case.id, case.stage, stage, reason, stamp)
        vault.audit("case.reopened", record_type="case", record_id=case.id, reason=f"{case.reference} at {stage}")
    return _load(vault, case.id)


def link_request(vault, ref_or_id: str, request_ref_or_id: str) -> Case:
    """Link a request of this vault to the case (once)."""
    case = _manageable(vault, ref_or_id, "link requests to cases")
    require(vault.role, "requests.read", "see requests")
    needle = request_ref_or_id.strip() if isinstance(request_ref_or_id, str) else ""
    problems: list[Problem] = []
    row = None
    if not needle:
        problems.append(Problem("request", "Choose a request"))
    else:
        rows = vault.db.query("SELECT id, reference, origin_agency FROM requests WHERE id = ? OR reference = ?"
                              " COLLATE NOCASE", (needle, needle))
        row = next((r for r in rows if r["origin_agency"] == vault.agency), rows[0] if rows else None)
        if row is None:
            problems.append(Problem("request", f"There is no request {needle} in this vault"))
        elif any(r.id == row["id"] for r in case.requests):
            problems.append(Problem("request", f"Request {row['reference']} is already linked to {case.reference}"))
    raise_if(problems, "The request was not linked")
    with vault.db.transaction():
        vault.db.execute("INSERT INTO case_requests (case_id, request_id, linked_at, linked_by) VALUES (?, ?, ?, ?)",
                         (case.id, row["id"], utc_now_iso(), vault.actor))
        _touch(vault, case.id)
        vault.audit("case.request_linked", record_type="case", record_id=case.id,
                    reason=f"{case.reference} {row['reference']}")
    return _load(vault, case.id)


def unlink_request(vault, ref_or_id: str, request_id: str) -> Case:
    case = _manageable(vault, ref_or_id, "link requests to cases")
    linked = next((r for r in case.requests if r.id == request_id), None)
    if linked is None:
        raise InvalidInput(f"{case.reference} has no linked request {request_id}.")
    with vault.db.transaction():
        vault.db.execute("DELETE FROM case_requests WHERE case_id = ? AND request_id = ?", (case.id, request_id))
        _touch(vault, case.id)
        vault.audit("case.request_unlinked", record_type="case", record_id=case.id,
                    reason=f"{case.reference} {linked.reference}")
    return _load(vault, case.id)


def cases_of_request(vault, request_id: str) -> list[tuple[str, str]]:
    """(case id, reference) of the cases a request is linked to."""
    require(vault.role, "cases.read", "see cases")
    rows = vault.db.query("SELECT c.id, c.reference FROM case_requests q JOIN cases c ON c.id = q.case_id"
                          " WHERE q.request_id = ? ORDER BY c.seq", (request_id,))
    return [(r["id"], r["reference"]) for r in rows]


def put_on_agenda(vault, ref_or_id: str, meeting_ref_or_id: str, notes: str = ""):
    """Put the case on a meeting's agenda: the meeting then links to the case. Once per meeting."""
    from app import meetings

    case = _manageable(vault, ref_or_id, "put cases on meeting agendas")
    if any(m.id == meetings.resolve(vault, meeting_ref_or_id) for m in case.meetings):
        raise InvalidInput(f"{case.reference} is already on that meeting's agenda.")
    return meetings.add_agenda_case(vault, meeting_ref_or_id, case.title, notes, case_id=case.id)


def find_cases(vault, text: str = "", *, limit: int = 50) -> list[dict]:
    """Open cases to put on an agenda or link, by reference or title (a part of either)."""
    require(vault.role, "cases.read", "see cases")
    needle = (text or "").strip()
    pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = vault.db.query("SELECT id, reference, title, stage FROM cases WHERE status = 'open' AND"
                          " (reference LIKE ? ESCAPE '\\' OR title LIKE ? ESCAPE '\\') ORDER BY seq DESC LIMIT ?",
                          (pattern, pattern, max(1, min(int(limit), 500))))
    return [dict(r) for r in rows]


def add_referral(vault, ref_or_id: str, data: dict) -> Referral:
    """Record a referral made for the case: kind, the person (NRM, MS1), date, first responder,
    consent, their reference and notes."""
    case = _manageable(vault, ref_or_id, "record referrals")
    subject_kind = None
    if data.get("subject_id"):
        subject_kind = vault.db.scalar("SELECT kind FROM subjects WHERE id = ?", (data["subject_id"],))
    problems, clean = validate_referral(data, subject_kind)
    raise_if(problems, "The referral was not saved")
    rid = new_id()
    stamp = utc_now_iso()
    with vault.db.transaction():
        vault.db.execute(
            "INSERT INTO case_referrals (id, case_id, kind, subject_id, referred_on, referred_by, first_responder,"
            " consent, external_ref, notes, created_at, created_by, updated_at, updated_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (rid, case.id, clean["kind"], clean["subject_id"], clean["referred_on"], vault.agency,
             clean["first_responder"], clean["consent"], clean["external_ref"], clean["notes"], stamp, vault.actor,
             stamp, vault.actor))
        _touch(vault, case.id)
        vault.audit("case.referral_added", record_type="case_referral", record_id=rid,
                    reason=f"{case.reference} {clean['kind']}")
    return next(r for r in _referrals(vault, case.id) if r.id == rid)


def record_outcome(vault, referral_id: str, data: dict) -> Referral:
    """Record a referral's outcome. NRM: `rg_decision` with `rg_on`, then (after a positive
    reasonable grounds decision) `cg_decision` with `cg_on`. Others: `outcome` with `outcome_on`.
    A decision once recorded is not changed here."""
    require(vault.role, "cases.manage", "record referral outcomes")
    row = vault.db.one("SELECT case_id FROM case_referrals WHERE id = ?", (referral_id,))
    if row is None:
        raise InvalidInput(f"There is no referral {referral_id} in this vault.")
    case = _manageable(vault, row["case_id"], "record referral outcomes")
    referral = next(r for r in case.referrals if r.id == referral_id)
    problems: list[Problem] = []
    updates: dict[str, Any] = {}
    if referral.kind == "nrm":
        for stage, label in (("rg", "reasonable grounds"), ("cg", "conclusive grounds")):
            decision = data.get(f"{stage}_decision")
            if not decision:
                continue
            if getattr(referral, f"{stage}_decision") is not None:
                problems.append(Problem(f"{stage}_decision", f"The {label} decision is already recorded"))
                continue
            if decision not in DECISIONS:
                problems.append(Problem(f"{stage}_decision", f"Choose positive or negative for the {label} decision"))
                continue
            on = check_date(problems, f"{stage}_on", data.get(f"{stage}_on"), required=True,
                            missing=f"Enter the date of the {label} decision", what=f"The date of the {label} decision")
            if on and on < referral.referred_on:
                problems.append(Problem(f"{stage}_on", f"The {label} decision cannot be before the referral"))
            updates[f"{stage}_decision"], updates[f"{stage}_on"] = decision, on
        if "cg_decision" in updates:
            rg = updates.get("rg_decision", referral.rg_decision)
            rg_on = updates.get("rg_on", referral.rg_on)
            if rg != "positive":
                problems.append(Problem("cg_decision", "A conclusive grounds decision follows a positive reasonable "
                                                       "grounds decision"))
            elif updates["cg_on"] and rg_on and updates["cg_on"] < rg_on:
                problems.append(Problem("cg_on", "The conclusive grounds decision cannot be before the reasonable "
                                                 "grounds decision"))
        if not updates and not problems:
            problems.append(Problem("rg_decision", "Choose the reasonable grounds or conclusive grounds decision"))
    else:
        if referral.outcome_on:
            problems.append(Problem("outcome", "The outcome is already recorded"))
        outcome = check_text(problems, "outcome", data.get("outcome"), required=True, missing="Enter the outcome",
                             limit=10_000)
        on = check_date(problems, "outcome_on", data.get("outcome_on"), required=True,
                        missing="Enter the date of the outcome", what="The date of the outcome")
        if on and on < referral.referred_on:
            problems.append(Problem("outcome_on", "The outcome cannot be before the referral"))
        updates = {"outcome": outcome, "outcome_on": on}
    raise_if(problems, "The outcome was not recorded")
    columns = sorted(updates)  # our own column names
    with vault.db.transaction():
        vault.db.execute(f"UPDATE case_referrals SET {', '.join(c + ' = ?' for c in columns)}, updated_at = ?,"
                         " updated_by = ? WHERE id = ?",
                         (*[updates[c] for c in columns], utc_now_iso(), vault.actor, referral.id))
        _touch(vault, case.id)
        what = " ".join(f"{c[:2]}={updates[c]}" for c in columns if c.endswith("decision")) or "outcome"
        vault.audit("case.referral_outcome", record_type="case_referral", record_id=referral.id,
                    reason=f"{case.reference} {referral.kind} {what}")
    return next(r for r in _referrals(vault, case.id) if r.id == referral.id)


def outstanding(vault, *, case_id: str | None = None, today: _dt.date | None = None,
                limit: int = 200) -> list[Outstanding]:
    """Referral outcomes awaited and open actions on open cases (or one case): for the case page
    and the SPOC's home screen. Overdue actions first, then by due date."""
    require(vault.role, "cases.read", "see cases")
    today = today or today_london()
    out: list[Outstanding] = []
    cases = vault.db.query("SELECT id, reference FROM cases WHERE (? IS NULL AND status = 'open') OR id = ?"
                           " ORDER BY seq", (case_id, case_id))
    for row in cases:
        for referral in _referrals(vault, row["id"]):
            if referral.outstanding:
                out.append(Outstanding(row["id"], row["reference"], f"{referral.kind_label}: {referral.outstanding}"
                                       f" (referred {uk_date(referral.referred_on)})", None, False))
        for action in _actions(vault, row["id"]):
            if action.status == "open":
                name = next((p.name for p in load_agreement().four_p if p.id == action.category), action.category)
                out.append(Outstanding(row["id"], row["reference"], f"{name} action ({action.owner_agency}, "
                                       f"{action.meeting_reference}): {action.text}", action.due_date,
                                       action.is_overdue(today)))
        if len(out) >= limit:
            break
    out.sort(key=lambda o: (not o.overdue, o.due or "9999", o.case_reference))
    return out[:limit]


def count_cases(vault, status: str | None = None) -> int:
    require(vault.role, "cases.read", "count cases")
    return vault.db.scalar("SELECT count(*) FROM cases WHERE (? IS NULL OR status = ?)", (status, status))


__all__ = ["Case", "CaseSummary", "StageChange", "Referral", "LinkedRequest", "LinkedMeeting", "CaseAction",
           "Outstanding", "stages", "stage_order", "edit_case", "SOURCES", "REFERRALS", "CONSENT", "DECISIONS", "LABELS", "STATUS_LABELS",
           "SORTS", "stage_label", "default_title", "validate_case", "validate_referral", "create_case", "update_case",
           "move_stage", "close_case", "reopen_case", "link_request", "unlink_request", "cases_of_request",
           "put_on_agenda", "find_cases", "add_referral", "record_outcome", "outstanding", "get_case", "list_cases",
           "title_warning", "count_cases", "resolve"]
