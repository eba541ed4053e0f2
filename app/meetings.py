"""Tactical meetings (clause 2.7, Appendix 1 Confidentiality Statement, Appendix 2a Tactical
Response Process: Pursue, Prevent, Protect, Prepare).

Relevant partners convene to agree a response (2.7). A meeting has a reference per desk
(`TM-2026-0001`), a date and time (UTC, typed and shown in UK time), a place, a chair and a
status (planned, held, closed). It has:

- attendees by agency, each with their acceptance of the Appendix 1 confidentiality statement
  (when, and who recorded it); the statement's text is the agreement's `confidentiality_statement`;
- agenda items, in order: a request on this desk (linked by id, never copied) or a case (a title
  and notes without a request);
- decisions (text, optionally under an agenda item);
- actions under one of the agreement's `four_p` categories, with an owner agency, a due date and a
  status (open, done, cancelled) whose every change is kept in an append-only history;
- the chair's decisions on further disclosure (Appendix 1 para 4): who asked, to which agency,
  what, the justifiable need-to-know reason, granted or refused, by the chair, when. A granted
  permission is written to the disclosure register (kind `meeting`) in the same transaction, and
  is refused while the receiving partner is suspended (13.2). Decisions are append-only.

Every save is one transaction with its audit event (references, ids and codes only). A closed
meeting is read-only except for the status of its actions, which carry on after the meeting.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from app.agreement import load_agreement
from app.disclosures import record as record_disclosure, refuse_if_suspended
from app.errors import InvalidInput
from app.listing import Sort
from app.records import (TIME_FUTURE_LEEWAY, Page, Problem, check_date, check_text, check_time, new_id, raise_if,
                         today_london)
from app.roles import require
from app.timeutil import LONDON, london_display, parse_utc, utc_now, utc_now_iso
from app.vault.migrations import ACTION_STATUSES, MEETING_STATUSES

PREFIX = "TM"
STATUS_LABELS = {"planned": "Planned", "held": "Held", "closed": "Closed"}
ACTION_STATUS_LABELS = {"open": "Open", "done": "Done", "cancelled": "Cancelled"}
assert tuple(STATUS_LABELS) == MEETING_STATUSES and tuple(ACTION_STATUS_LABELS) == ACTION_STATUSES
SHORT = 500  # names, places, titles

# Plain-English labels for forms and error summaries, by field key.
LABELS = {
    "held_at": "Date and time", "place": "Place", "chair": "Chair", "chair_agency": "Chair's agency",
    "notes": "Notes", "name": "Name", "role_title": "Role or title", "agency": "Agency",
    "accepted_at": "Accepted at", "request": "Request", "title": "Case title", "text": "Text",
    "agenda_item_id": "Agenda item", "category": "Pursue, Prevent, Protect or Prepare",
    "owner_agency": "Owner agency", "due_date": "Due date", "status": "Status", "note": "Note",
    "requested_by": "Who asked", "requested_by_agency": "Their agency", "to_agency": "Disclose to",
    "what": "What would be disclosed", "reason": "Justifiable need to know", "granted": "Decision",
    "decided_at": "Decided at",
}


# ---- records ----------------------------------------------------------------------------------


def partner_name(code: str) -> str:
    return load_agreement().partner_name(code)


def four_p_name(category: str) -> str:
    return next((p.name for p in load_agreement().four_p if p.id == category), category)


@dataclass(frozen=True)
class Attendee:
    id: str
    meeting_id: str
    name: str
    role_title: str
    agency: str
    accepted_at: str | None  # when the attendee accepted the Appendix 1 statement (UTC)
    accepted_recorded_by: str | None
    accepted_recorded_at: str | None
    created_at: str
    created_by: str

    @property
    def accepted(self) -> bool:
        return self.accepted_at is not None

    @property
    def agency_name(self) -> str:
        return partner_name(self.agency)


@dataclass(frozen=True)
class AgendaItem:
    id: str
    meeting_id: str
    position: int  # 1, 2, 3 ... in agenda order
    kind: str  # 'request' or 'case'
    request_id: str | None
    request_reference: str | None  # read from the linked request, never stored here
    title: str  # a case's title ('' for a request)
    notes: str
    created_at: str
    created_by: str
    case_id: str | None = None  # the case an item of kind 'case' names (app.cases)
    case_reference: str | None = None  # read from the linked case, never stored here

    @property
    def label(self) -> str:
        if self.kind == "request":
            return f"Request {self.request_reference or self.request_id}"
        if self.case_reference:
            return f"Case {self.case_reference}: {self.title}"
        return f"Case: {self.title}"


@dataclass(frozen=True)
class Decision:
    id: str
    meeting_id: str
    agenda_item_id: str | None
    text: str
    recorded_at: str
    recorded_by: str


@dataclass(frozen=True)
class ActionUpdate:
    id: str
    action_id: str
    status: str
    note: str
    at: str
    recorded_by: str


@dataclass(frozen=True)
class Action:
    id: str
    meeting_id: str
    meeting_reference: str
    agenda_item_id: str | None
    category: str  # a four_p id from the agreement: pursue, prevent, protect, prepare
    text: str
    owner_agency: str
    due_date: str  # plain ISO date
    status: str  # open | done | cancelled
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str
    updates: tuple[ActionUpdate, ...] = ()  # oldest first; the first is 'open' when agreed

    @property
    def category_name(self) -> str:
        return four_p_name(self.category)

    @property
    def owner_name(self) -> str:
        return partner_name(self.owner_agency)

    def is_overdue(self, today: _dt.date | None = None) -> bool:
        today = today or today_london()
        return self.status == "open" and _dt.date.fromisoformat(self.due_date) < today


@dataclass(frozen=True)
class Permission:
    """The chair's decision on a request for further disclosure (Appendix 1 para 4)."""

    id: str
    meeting_id: str
    agenda_item_id: str | None
    requested_by: str
    requested_by_agency: str
    to_agency: str
    what: str
    reason: str
    granted: bool
    decided_by: str
    decided_at: str
    disclosure_id: str | None  # the disclosure register row of a granted permission
    recorded_at: str
    recorded_by: str


@dataclass(frozen=True)
class Meeting:
    id: str
    seq: int
    origin_agency: str
    reference: str
    held_at: str  # UTC ISO; show with london_display
    place: str
    chair: str
    chair_agency: str
    status: str
    notes: str
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str
    attendees: tuple[Attendee, ...] = ()
    agenda: tuple[AgendaItem, ...] = ()
    decisions: tuple[Decision, ...] = ()
    actions: tuple[Action, ...] = ()
    permissions: tuple[Permission, ...] = ()

    @property
    def held_at_display(self) -> str:
        return london_display(self.held_at)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def agencies(self) -> tuple[str, ...]:
        """The agencies attending, in the order first added."""
        return tuple(dict.fromkeys(a.agency for a in self.attendees))

    @property
    def all_accepted(self) -> bool:
        return all(a.accepted for a in self.attendees)

    def agenda_item(self, item_id: str | None) -> AgendaItem | None:
        return next((i for i in self.agenda if i.id == item_id), None)


@dataclass(frozen=True)
class MeetingSummary:
    """One row of the meeting list (no free text)."""

    id: str
    seq: int
    reference: str
    held_at: str
    place: str
    chair: str
    status: str
    attendees: int
    accepted: int
    agenda_items: int
    open_actions: int

    @property
    def held_at_display(self) -> str:
        return london_display(self.held_at)


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


def validate_meeting(data: dict, *, now: _dt.datetime | None = None) -> tuple[list[Problem], dict]:
    """Problems with a meeting's details (date and time, place, chair), and the cleaned values."""
    now = now or utc_now()
    problems: list[Problem] = []
    clean: dict[str, Any] = {}
    clean["held_at"] = check_time(problems, "held_at", data.get("held_at"), required=True,
                                   missing="Enter the date and time of the meeting",
                                   what="The date and time of the meeting", future_ok=True, now=now)
    clean["place"] = check_text(problems, "place", data.get("place"), required=True,
                                missing="Enter where the meeting is held", limit=SHORT).strip()
    clean["chair"] = check_text(problems, "chair", data.get("chair"), required=True,
                                missing="Enter the name of the chair", limit=SHORT).strip()
    clean["chair_agency"] = _check_partner(problems, "chair_agency", data.get("chair_agency"),
                                           "Choose the chair's agency")
    clean["notes"] = check_text(problems, "notes", data.get("notes"))
    return problems, clean


def validate_attendee(data: dict) -> tuple[list[Problem], dict]:
    problems: list[Problem] = []
    clean = {
        "name": check_text(problems, "name", data.get("name"), required=True,
                           missing="Enter the attendee's name", limit=SHORT).strip(),
        "role_title": check_text(problems, "role_title", data.get("role_title"), limit=SHORT).strip(),
        "agency": _check_partner(problems, "agency", data.get("agency"), "Choose the attendee's agency"),
    }
    return problems, clean


def validate_action(data: dict) -> tuple[list[Problem], dict]:
    """An action: its 4P category (only the agreement's four_p), text, owner agency and due date."""
    problems: list[Problem] = []
    clean: dict[str, Any] = {}
    four_p = [p.id for p in load_agreement().four_p]
    category = data.get("category") or ""
    if not category:
        problems.append(Problem("category", "Choose Pursue, Prevent, Protect or Prepare"))
    elif category not in four_p:
        problems.append(Problem("category", f"{category!r} is not one of the agreement's categories: "
                                            f"{', '.join(four_p)}"))
    clean["category"] = category
    clean["text"] = check_text(problems, "text", data.get("text"), required=True,
                               missing="Enter what is to be done")
    clean["owner_agency"] = _check_partner(problems, "owner_agency", data.get("owner_agency"),
                                           "Choose the agency that owns the action")
    clean["due_date"] = check_date(problems, "due_date", data.get("due_date"), required=True,
                                   missing="Enter the date the action is due", what="The due date",
                                   not_future=False)
    clean["agenda_item_id"] = data.get("agenda_item_id") or None
    return problems, clean


def validate_permission(data: dict, *, now: _dt.datetime | None = None) -> tuple[list[Problem], dict]:
    """A request for further disclosure and the chair's decision on it (Appendix 1 para 4)."""
    now = now or utc_now()
    problems: list[Problem] = []
    clean: dict[str, Any] = {}
    clean["requested_by"] = check_text(problems, "requested_by", data.get("requested_by"), required=True,
                                       missing="Enter who asked for permission", limit=SHORT).strip()
    clean["requested_by_agency"] = _check_partner(problems, "requested_by_agency", data.get("requested_by_agency"),
                                                  "Choose the agency of the person who asked")
    clean["to_agency"] = _check_partner(problems, "to_agency", data.get("to_agency"),
                                        "Choose the agency the information would go to")
    clean["what"] = check_text(problems, "what", data.get("what"), required=True,
                               missing="Enter what information would be disclosed")
    clean["reason"] = check_text(problems, "reason", data.get("reason"), required=True,
                                 missing="Enter the justifiable need to know (vulnerable family and public "
                                         "protection), for a grant or a refusal")
    granted = data.get("granted")
    if granted in (True, "granted", "yes", 1):
        clean["granted"] = True
    elif granted in (False, "refused", "no", 0):
        clean["granted"] = False
    else:
        clean["granted"] = None
        problems.append(Problem("granted", "Choose whether the chair granted or refused permission"))
    clean["decided_at"] = check_time(problems, "decided_at", data.get("decided_at"), required=False, missing="",
                                      what="The time of the decision", future_ok=False, now=now)
    clean["agenda_item_id"] = data.get("agenda_item_id") or None
    return problems, clean


# ---- references and loading -------------------------------------------------------------------


def next_reference(vault, year: int) -> str:
    """The next TM-YYYY-NNNN of this desk (meetings are never deleted, so max + 1 is safe)."""
    from app.records import next_yearly_reference

    return next_yearly_reference(vault, "meetings", PREFIX, year)


def _resolve(vault, ref_or_id: str) -> str:
    if not isinstance(ref_or_id, str) or not ref_or_id.strip():
        raise InvalidInput("Choose a meeting.")
    row = vault.db.one("SELECT id FROM meetings WHERE id = ? OR reference = ? COLLATE NOCASE ORDER BY"
                       " (origin_agency = ?) DESC, seq LIMIT 1", (ref_or_id, ref_or_id.strip(), vault.agency))
    if row is None:
        raise InvalidInput(f"There is no meeting {ref_or_id} in this vault.")
    return row["id"]


def resolve(vault, ref_or_id: str) -> str:
    """The id of a meeting given by reference or id."""
    return _resolve(vault, ref_or_id)


def _action_updates(vault, action_ids) -> dict[str, list[ActionUpdate]]:
    out: dict[str, list[ActionUpdate]] = {}
    ids = list(action_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        for r in vault.db.query(f"SELECT * FROM meeting_action_updates WHERE action_id IN ({marks}) ORDER BY seq",
                                chunk):  # placeholders only
            out.setdefault(r["action_id"], []).append(_row(ActionUpdate, r))
    return out


_ACTION_SQL = ("SELECT a.*, m.reference AS meeting_reference FROM meeting_actions a"
               " JOIN meetings m ON m.id = a.meeting_id")


def _actions(vault, rows) -> list[Action]:
    updates = _action_updates(vault, [r["id"] for r in rows])
    return [_row(Action, r, updates=tuple(updates.get(r["id"], ()))) for r in rows]


def _load(vault, meeting_id: str) -> Meeting:
    row = vault.db.one("SELECT * FROM meetings WHERE id = ?", (meeting_id,))
    if row is None:
        raise InvalidInput(f"There is no meeting {meeting_id} in this vault.")
    attendees = [_row(Attendee, r) for r in
                 vault.db.query("SELECT * FROM meeting_attendees WHERE meeting_id = ? ORDER BY seq", (meeting_id,))]
    agenda = [_row(AgendaItem, r) for r in vault.db.query(
        "SELECT i.*, r.reference AS request_reference, c.reference AS case_reference FROM meeting_agenda_items i"
        " LEFT JOIN requests r ON r.id = i.request_id LEFT JOIN cases c ON c.id = i.case_id"
        " WHERE i.meeting_id = ? ORDER BY i.position, i.seq",
        (meeting_id,))]
    decisions = [_row(Decision, r) for r in
                 vault.db.query("SELECT * FROM meeting_decisions WHERE meeting_id = ? ORDER BY seq", (meeting_id,))]
    actions = _actions(vault, vault.db.query(_ACTION_SQL + " WHERE a.meeting_id = ? ORDER BY a.seq", (meeting_id,)))
    permissions = [_row(Permission, r, granted=bool(r["granted"])) for r in
                   vault.db.query("SELECT * FROM meeting_permissions WHERE meeting_id = ? ORDER BY seq",
                                  (meeting_id,))]
    return _row(Meeting, row, attendees=tuple(attendees), agenda=tuple(agenda), decisions=tuple(decisions),
                actions=tuple(actions), permissions=tuple(permissions))


def get_meeting(vault, ref_or_id: str, *, audit: bool = True) -> Meeting:
    """One meeting with its attendees, agenda, decisions, actions (with history) and permissions."""
    require(vault.role, "meetings.read", "see tactical meetings")
    meeting = _load(vault, _resolve(vault, ref_or_id))
    if audit:
        vault.audit("meeting.viewed", record_type="meeting", record_id=meeting.id, reason=meeting.reference)
    return meeting


MEETING_SORT = Sort(
    {"when": "m.held_at", "reference": "m.seq", "status": "m.status"}, tie="m.seq", default="when",
    captions={"when": ("Earliest first", "Latest first"), "reference": ("Oldest reference first", "Newest reference first"),
              "status": ("By status, A to Z", "By status, Z to A")})

_SUMMARY_SQL = (
    "SELECT m.id, m.seq, m.reference, m.held_at, m.place, m.chair, m.status,"
    " (SELECT count(*) FROM meeting_attendees a WHERE a.meeting_id = m.id) AS attendees,"
    " (SELECT count(*) FROM meeting_attendees a WHERE a.meeting_id = m.id AND a.accepted_at IS NOT NULL)"
    "   AS accepted,"
    " (SELECT count(*) FROM meeting_agenda_items i WHERE i.meeting_id = m.id) AS agenda_items,"
    " (SELECT count(*) FROM meeting_actions x WHERE x.meeting_id = m.id AND x.status = 'open')"
    "   AS open_actions")


def meetings_page(vault, *, status: str | None = None, after=None, limit: int = 200, sort: str | None = None,
                  descending: bool | None = None, audit: bool = True) -> Page:
    """Meetings sorted in the database by one of MEETING_SORT's keys (the latest date first by
    default) over all of them, optionally one status; keyset paged."""
    require(vault.role, "meetings.read", "see tactical meetings")
    if status is not None and status not in MEETING_STATUSES:
        raise InvalidInput(f"Unknown meeting status {status!r}; choose one of: {', '.join(MEETING_STATUSES)}.")
    limit = max(1, min(int(limit), 5000))
    select, params, after_where, order = MEETING_SORT.plan(sort, descending, after)
    where = [after_where] if after_where else []
    if status is not None:
        where.append("m.status = ?")
        params.append(status)
    rows = vault.db.query(f"{_SUMMARY_SQL}, {select} FROM meetings m"  # the order is MEETING_SORT's
                          + (" WHERE " + " AND ".join(where) if where else "") + f" ORDER BY {order} LIMIT ?",
                          (*params, limit))
    items = [_row(MeetingSummary, r) for r in rows]
    if audit and after is None:
        vault.audit("meetings.listed", record_type="meeting", reason=f"{len(items)} shown")
    next_after = MEETING_SORT.cursor(sort, rows[-1], rows[-1]["seq"]) if len(rows) == limit else None
    return Page(items, next_after)


def list_meetings(vault, *, status: str | None = None, audit: bool = True) -> list[MeetingSummary]:
    """All meetings of this vault, the latest date first; optionally only one status."""
    items: list[MeetingSummary] = []
    page = meetings_page(vault, status=status, limit=5000, audit=audit)
    items += page.items
    while page.next_after is not None:
        page = meetings_page(vault, status=status, after=page.next_after, limit=5000, audit=False)
        items += page.items
    return items


def open_actions_before(vault, meeting: Meeting | str) -> list[Action]:
    """Open actions agreed at earlier meetings (an earlier date and time, or the same time but
    created before), in the agreement's 4P order, then by due date. Group with `by_four_p`."""
    require(vault.role, "meetings.read", "see tactical meetings")
    if isinstance(meeting, str):
        meeting = _load(vault, _resolve(vault, meeting))
    rows = vault.db.query(_ACTION_SQL + " WHERE a.status = 'open' AND a.meeting_id != ?"
                          " AND (m.held_at < ? OR (m.held_at = ? AND m.seq < ?))",
                          (meeting.id, meeting.held_at, meeting.held_at, meeting.seq))
    order = {p.id: n for n, p in enumerate(load_agreement().four_p)}
    actions = _actions(vault, rows)
    actions.sort(key=lambda a: (order.get(a.category, len(order)), a.due_date, a.meeting_reference, a.created_at))
    return actions


def by_four_p(actions) -> list[tuple[str, str, list[Action]]]:
    """[(four_p id, its name, actions)] in the agreement's order, every category present (maybe empty)."""
    return [(p.id, p.name, [a for a in actions if a.category == p.id]) for p in load_agreement().four_p]


def confidentiality_statement_text() -> str:
    """The Appendix 1 statement as plain text, for the screen (the pack lays it out itself)."""
    statement = load_agreement().confidentiality_statement
    lines = [statement.intro, ""]
    for paragraph in statement.paragraphs:
        lines.append(f"{paragraph.number}. {paragraph.text}")
        lines.extend(f"    • {item}" for item in paragraph.items)
        lines.append("")
    return "\n".join(lines).rstrip()


def find_requests(vault, text: str = "", *, limit: int = 50) -> list[dict]:
    """Requests to put on an agenda, by reference (a part of it, any case), newest first:
    [{id, reference, status, request_date, subjects}] - references and counts only."""
    require(vault.role, "meetings.manage", "put requests on a meeting agenda")
    require(vault.role, "requests.read", "see requests")
    needle = (text or "").strip()
    pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = vault.db.query(
        "SELECT r.id, r.reference, r.status, r.request_date,"
        " (SELECT count(*) FROM request_subjects s WHERE s.request_id = r.id) AS subjects"
        " FROM requests r WHERE r.reference LIKE ? ESCAPE '\\' ORDER BY r.seq DESC LIMIT ?",
        (pattern, max(1, min(int(limit), 500))))
    return [dict(r) for r in rows]


# ---- saving -----------------------------------------------------------------------------------


def _manageable(vault, ref_or_id: str, what: str) -> Meeting:
    require(vault.role, "meetings.manage", what)
    meeting = _load(vault, _resolve(vault, ref_or_id))
    if meeting.status == "closed":
        raise InvalidInput(f"{meeting.reference} is closed; reopen it to change it.")
    return meeting


def _touch(vault, meeting_id: str) -> None:
    vault.db.execute("UPDATE meetings SET updated_at = ?, updated_by = ? WHERE id = ?",
                     (utc_now_iso(), vault.actor, meeting_id))


def create_meeting(vault, data: dict, *, now: _dt.datetime | None = None) -> Meeting:
    """A new planned meeting. `data`: held_at (dd/mm/yyyy HH:MM UK time or UTC ISO), place, chair,
    chair_agency (defaults to this desk), notes. Optional `attendees`: a list of attendee dicts."""
    require(vault.role, "meetings.manage", "convene tactical meetings")
    data = dict(data)
    data.setdefault("chair_agency", vault.agency)
    problems, clean = validate_meeting(data, now=now)
    attendees = []
    for index, item in enumerate(data.get("attendees") or []):
        sub, cleaned = validate_attendee(item)
        problems.extend(Problem(f"attendees[{index}].{p.field}", p.message) for p in sub)
        attendees.append(cleaned)
    raise_if(problems, "The meeting was not saved")
    mid = new_id()
    stamp = utc_now_iso()
    with vault.db.transaction():
        reference = next_reference(vault, parse_utc(clean["held_at"]).astimezone(LONDON).year)
        vault.db.execute(
            "INSERT INTO meetings (id, origin_agency, reference, held_at, place, chair, chair_agency, status, notes,"
            " created_at, created_by, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, 'planned', ?, ?, ?, ?, ?)",
            (mid, vault.agency, reference, clean["held_at"], clean["place"], clean["chair"], clean["chair_agency"],
             clean["notes"], stamp, vault.actor, stamp, vault.actor))
        vault.audit("meeting.created", record_type="meeting", record_id=mid, reason=reference)
        for attendee in attendees:
            _insert_attendee(vault, mid, reference, attendee)
    return _load(vault, mid)


def update_meeting(vault, ref_or_id: str, data: dict, *, now: _dt.datetime | None = None) -> Meeting:
    """Change the date and time, place, chair or notes of a meeting that is not closed."""
    meeting = _manageable(vault, ref_or_id, "change tactical meetings")
    merged = {"held_at": meeting.held_at, "place": meeting.place, "chair": meeting.chair,
              "chair_agency": meeting.chair_agency, "notes": meeting.notes, **data}
    problems, clean = validate_meeting(merged, now=now)
    raise_if(problems, f"{meeting.reference} was not changed")
    changed = sorted(k for k in ("held_at", "place", "chair", "chair_agency", "notes")
                     if clean[k] != getattr(meeting, k))
    if not changed:
        return meeting
    with vault.db.transaction():
        vault.db.execute("UPDATE meetings SET held_at = ?, place = ?, chair = ?, chair_agency = ?, notes = ?,"
                         " updated_at = ?, updated_by = ? WHERE id = ?",
                         (clean["held_at"], clean["place"], clean["chair"], clean["chair_agency"], clean["notes"],
                          utc_now_iso(), vault.actor, meeting.id))
        vault.audit("meeting.updated", record_type="meeting", record_id=meeting.id,
                    reason=f"{meeting.reference} {' '.join(changed)}")
    return _load(vault, meeting.id)


def set_status(vault, ref_or_id: str, status: str, *, now: _dt.datetime | None = None) -> Meeting:
    """planned -> held -> closed (or back to held to reopen). A meeting is held only once its time
    has come, with at least one attendee; it closes only when every attendee has accepted the
    confidentiality statement (Appendix 1)."""
    require(vault.role, "meetings.manage", "change the status of tactical meetings")
    meeting = _load(vault, _resolve(vault, ref_or_id))
    now = now or utc_now()
    if status not in MEETING_STATUSES:
        raise InvalidInput(f"Unknown meeting status {status!r}; choose one of: {', '.join(MEETING_STATUSES)}.")
    problems: list[Problem] = []
    if status == meeting.status:
        problems.append(Problem("status", f"{meeting.reference} is already {meeting.status_label.lower()}"))
    elif status in ("held", "closed"):
        if parse_utc(meeting.held_at) > now + TIME_FUTURE_LEEWAY:
            problems.append(Problem("status", f"{meeting.reference} is planned for {meeting.held_at_display}; "
                                              "it can be marked held once that time has come"))
        if not meeting.attendees:
            problems.append(Problem("status", "Add the attendees first"))
        if status == "closed":
            waiting = [a.name for a in meeting.attendees if not a.accepted]
            if waiting:
                problems.append(Problem("status", f"{len(waiting)} attendee(s) have no recorded acceptance of the "
                                                  "confidentiality statement; record it or remove them before "
                                                  "closing"))
    elif status == "planned" and meeting.status != "planned":
        problems.append(Problem("status", "A meeting that was held cannot go back to planned"))
    raise_if(problems, f"The status of {meeting.reference} was not changed")
    with vault.db.transaction():
        vault.db.execute("UPDATE meetings SET status = ?, updated_at = ?, updated_by = ? WHERE id = ?",
                         (status, utc_now_iso(), vault.actor, meeting.id))
        vault.audit("meeting.status", record_type="meeting", record_id=meeting.id,
                    reason=f"{meeting.reference} {meeting.status} to {status}")
    return _load(vault, meeting.id)


def _insert_attendee(vault, meeting_id: str, reference: str, clean: dict) -> str:
    aid = new_id()
    vault.db.execute("INSERT INTO meeting_attendees (id, meeting_id, name, role_title, agency, created_at, created_by)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (aid, meeting_id, clean["name"], clean["role_title"], clean["agency"], utc_now_iso(),
                      vault.actor))
    vault.audit("meeting.attendee_added", record_type="meeting", record_id=meeting_id,
                reason=f"{reference} {clean['agency']} {aid}")
    return aid


def add_attendee(vault, ref_or_id: str, data: dict) -> Attendee:
    """Add an attendee: name, role or title, agency (a partner of the agreement)."""
    meeting = _manageable(vault, ref_or_id, "record attendance at tactical meetings")
    problems, clean = validate_attendee(data)
    raise_if(problems, "The attendee was not added")
    with vault.db.transaction():
        aid = _insert_attendee(vault, meeting.id, meeting.reference, clean)
        _touch(vault, meeting.id)
    return next(a for a in _load(vault, meeting.id).attendees if a.id == aid)


def _attendee(meeting: Meeting, attendee_id: str) -> Attendee:
    found = next((a for a in meeting.attendees if a.id == attendee_id), None)
    if found is None:
        raise InvalidInput(f"{meeting.reference} has no attendee {attendee_id}.")
    return found


def remove_attendee(vault, ref_or_id: str, attendee_id: str) -> Meeting:
    """Remove an attendee added by mistake; one whose acceptance is recorded stays on the record."""
    meeting = _manageable(vault, ref_or_id, "record attendance at tactical meetings")
    attendee = _attendee(meeting, attendee_id)
    if attendee.accepted:
        raise InvalidInput(f"{attendee.name} accepted the confidentiality statement; the record is kept.")
    with vault.db.transaction():
        vault.db.execute("DELETE FROM meeting_attendees WHERE id = ?", (attendee.id,))
        _touch(vault, meeting.id)
        vault.audit("meeting.attendee_removed", record_type="meeting", record_id=meeting.id,
                    reason=f"{meeting.reference} {attendee.id}")
    return _load(vault, meeting.id)


def record_acceptance(vault, ref_or_id: str, attendee_id: str, accepted_at: Any = None, *,
                      now: _dt.datetime | None = None) -> Attendee:
    """Record that the attendee accepted the Appendix 1 confidentiality statement (at
    `accepted_at`, UK time or UTC ISO, default now), and who recorded it. Recorded once."""
    meeting = _manageable(vault, ref_or_id, "record acceptance of the confidentiality statement")
    attendee = _attendee(meeting, attendee_id)
    now = now or utc_now()
    problems: list[Problem] = []
    if attendee.accepted:
        problems.append(Problem("accepted_at", f"{attendee.name}'s acceptance is already recorded "
                                               f"({london_display(attendee.accepted_at)})"))
    at = check_time(problems, "accepted_at", accepted_at, required=False, missing="",
                     what="The time of acceptance", future_ok=False, now=now)
    raise_if(problems, "The acceptance was not recorded")
    at = at or now.astimezone(_dt.timezone.utc).isoformat(timespec="microseconds")
    with vault.db.transaction():
        vault.db.execute("UPDATE meeting_attendees SET accepted_at = ?, accepted_recorded_by = ?,"
                         " accepted_recorded_at = ? WHERE id = ?", (at, vault.actor, utc_now_iso(), attendee.id))
        _touch(vault, meeting.id)
        vault.audit("meeting.confidentiality_accepted", record_type="meeting", record_id=meeting.id,
                    reason=f"{meeting.reference} {attendee.id}")
    return _attendee(_load(vault, meeting.id), attendee.id)


def add_agenda_request(vault, ref_or_id: str, request_ref_or_id: str, notes: str = "") -> AgendaItem:
    """Put a request of this vault on the agenda (linked by id, at the end). Once per meeting."""
    meeting = _manageable(vault, ref_or_id, "set meeting agendas")
    require(vault.role, "requests.read", "see requests")
    problems: list[Problem] = []
    needle = (request_ref_or_id or "").strip() if isinstance(request_ref_or_id, str) else ""
    row = None
    if not needle:
        problems.append(Problem("request", "Choose a request"))
    else:
        rows = vault.db.query("SELECT id, reference, origin_agency FROM requests WHERE id = ? OR reference = ?"
                              " COLLATE NOCASE", (needle, needle))
        row = next((r for r in rows if r["origin_agency"] == vault.agency), rows[0] if rows else None)
        if row is None:
            problems.append(Problem("request", f"There is no request {needle} in this vault"))
        elif any(i.request_id == row["id"] for i in meeting.agenda):
            problems.append(Problem("request", f"Request {row['reference']} is already on the agenda"))
    notes = check_text(problems, "notes", notes)
    raise_if(problems, "The request was not added to the agenda")
    return _insert_item(vault, meeting, "request", row["id"], "", notes, row["reference"])


def add_agenda_case(vault, ref_or_id: str, title: str, notes: str = "", *, case_id: str | None = None) -> AgendaItem:
    """Put a case on the agenda: a title and optional notes, and the case it names (app.cases
    calls this with `case_id`; an item without one is a case not yet opened in the cases list)."""
    meeting = _manageable(vault, ref_or_id, "set meeting agendas")
    problems: list[Problem] = []
    title = check_text(problems, "title", title, required=True, missing="Enter a title for the case",
                       limit=SHORT).strip()
    notes = check_text(problems, "notes", notes)
    raise_if(problems, "The case was not added to the agenda")
    return _insert_item(vault, meeting, "case", None, title, notes, "case", case_id=case_id)


def _insert_item(vault, meeting: Meeting, kind: str, request_id, title: str, notes: str, what: str, *,
                 case_id: str | None = None) -> AgendaItem:
    iid = new_id()
    with vault.db.transaction():
        position = (vault.db.scalar("SELECT max(position) FROM meeting_agenda_items WHERE meeting_id = ?",
                                    (meeting.id,)) or 0) + 1
        vault.db.execute("INSERT INTO meeting_agenda_items (id, meeting_id, position, kind, request_id, title, notes,"
                         " created_at, created_by, case_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (iid, meeting.id, position, kind, request_id, title, notes, utc_now_iso(), vault.actor,
                          case_id))
        _touch(vault, meeting.id)
        vault.audit("meeting.agenda_added", record_type="meeting", record_id=meeting.id,
                    reason=f"{meeting.reference} {what} {iid}")
    return _load(vault, meeting.id).agenda_item(iid)


def move_agenda_item(vault, ref_or_id: str, item_id: str, offset: int) -> Meeting:
    """Move an agenda item up (offset -1) or down (+1); the others keep their order."""
    meeting = _manageable(vault, ref_or_id, "set meeting agendas")
    items = list(meeting.agenda)
    index = next((n for n, i in enumerate(items) if i.id == item_id), None)
    if index is None:
        raise InvalidInput(f"{meeting.reference} has no agenda item {item_id}.")
    target = max(0, min(len(items) - 1, index + int(offset)))
    if target == index:
        return meeting
    items.insert(target, items.pop(index))
    with vault.db.transaction():
        for position, item in enumerate(items, start=1):
            vault.db.execute("UPDATE meeting_agenda_items SET position = ? WHERE id = ?", (position, item.id))
        _touch(vault, meeting.id)
        vault.audit("meeting.agenda_moved", record_type="meeting", record_id=meeting.id,
                    reason=f"{meeting.reference} {item_id} to {target + 1}")
    return _load(vault, meeting.id)


def remove_agenda_item(vault, ref_or_id: str, item_id: str) -> Meeting:
    """Take an item off the agenda, unless a decision, action or permission is recorded under it."""
    meeting = _manageable(vault, ref_or_id, "set meeting agendas")
    item = meeting.agenda_item(item_id)
    if item is None:
        raise InvalidInput(f"{meeting.reference} has no agenda item {item_id}.")
    used = any(x.agenda_item_id == item_id for x in (*meeting.decisions, *meeting.actions, *meeting.permissions))
    if used:
        raise InvalidInput(f"{item.label} has decisions, actions or permissions recorded under it; it stays on "
                           "the agenda.")
    with vault.db.transaction():
        vault.db.execute("DELETE FROM meeting_agenda_items WHERE id = ?", (item_id,))
        for position, other in enumerate((i for i in meeting.agenda if i.id != item_id), start=1):
            vault.db.execute("UPDATE meeting_agenda_items SET position = ? WHERE id = ?", (position, other.id))
        _touch(vault, meeting.id)
        vault.audit("meeting.agenda_removed", record_type="meeting", record_id=meeting.id,
                    reason=f"{meeting.reference} {item_id}")
    return _load(vault, meeting.id)


def _check_item(problems: list[Problem], meeting: Meeting, item_id: str | None) -> None:
    if item_id and meeting.agenda_item(item_id) is None:
        problems.append(Problem("agenda_item_id", f"The agenda item is not on {meeting.reference}'s agenda"))


def add_decision(vault, ref_or_id: str, text: str, agenda_item_id: str | None = None) -> Decision:
    """Record a decision of the meeting, optionally under an agenda item."""
    meeting = _manageable(vault, ref_or_id, "record meeting decisions")
    problems: list[Problem] = []
    text = check_text(problems, "text", text, required=True, missing="Enter the decision")
    _check_item(problems, meeting, agenda_item_id)
    raise_if(problems, "The decision was not recorded")
    did = new_id()
    with vault.db.transaction():
        vault.db.execute("INSERT INTO meeting_decisions (id, meeting_id, agenda_item_id, text, recorded_at,"
                         " recorded_by) VALUES (?, ?, ?, ?, ?, ?)",
                         (did, meeting.id, agenda_item_id or None, text, utc_now_iso(), vault.actor))
        _touch(vault, meeting.id)
        vault.audit("meeting.decision_recorded", record_type="meeting", record_id=meeting.id,
                    reason=f"{meeting.reference} {did}")
    return next(d for d in _load(vault, meeting.id).decisions if d.id == did)


def add_action(vault, ref_or_id: str, data: dict) -> Action:
    """Agree an action: category (a four_p id), text, owner_agency, due_date, optional agenda_item_id.
    Its history starts with 'open'."""
    meeting = _manageable(vault, ref_or_id, "record meeting actions")
    problems, clean = validate_action(data)
    _check_item(problems, meeting, clean["agenda_item_id"])
    raise_if(problems, "The action was not saved")
    aid = new_id()
    stamp = utc_now_iso()
    with vault.db.transaction():
        vault.db.execute("INSERT INTO meeting_actions (id, meeting_id, agenda_item_id, category, text, owner_agency,"
                         " due_date, status, created_at, created_by, updated_at, updated_by)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?)",
                         (aid, meeting.id, clean["agenda_item_id"], clean["category"], clean["text"],
                          clean["owner_agency"], clean["due_date"], stamp, vault.actor, stamp, vault.actor))
        _insert_action_update(vault, aid, "open", "Action agreed", stamp)
        _touch(vault, meeting.id)
        vault.audit("meeting.action_added", record_type="meeting_action", record_id=aid,
                    reason=f"{meeting.reference} {clean['category']} {clean['owner_agency']}")
    return get_action(vault, aid)


def _insert_action_update(vault, action_id: str, status: str, note: str, at: str) -> None:
    vault.db.execute("INSERT INTO meeting_action_updates (id, action_id, status, note, at, recorded_by)"
                     " VALUES (?, ?, ?, ?, ?, ?)", (new_id(), action_id, status, note, at, vault.actor))


def get_action(vault, action_id: str) -> Action:
    require(vault.role, "meetings.read", "see tactical meetings")
    rows = vault.db.query(_ACTION_SQL + " WHERE a.id = ?", (action_id,))
    if not rows:
        raise InvalidInput(f"There is no meeting action {action_id} in this vault.")
    return _actions(vault, rows)[0]


def update_action(vault, action_id: str, status: str, note: str = "") -> Action:
    """Change an action's status (open, done, cancelled) with a note; the change is appended to its
    history and audited. Allowed after the meeting closed: actions carry on to later meetings.
    Closing or cancelling needs a note (what was done, or why cancelled)."""
    require(vault.role, "meetings.manage", "update meeting actions")
    action = get_action(vault, action_id)
    problems: list[Problem] = []
    if status not in ACTION_STATUSES:
        problems.append(Problem("status", f"Choose the status: {', '.join(ACTION_STATUS_LABELS.values())}"))
    elif status == action.status and not (note or "").strip():
        problems.append(Problem("status", f"The action is already {ACTION_STATUS_LABELS[status].lower()}; "
                                          "enter a note to record progress"))
    note = check_text(problems, "note", note, required=status in ("done", "cancelled") and status != action.status,
                      missing="Enter what was done, or why the action is cancelled")
    raise_if(problems, "The action was not updated")
    stamp = utc_now_iso()
    with vault.db.transaction():
        vault.db.execute("UPDATE meeting_actions SET status = ?, updated_at = ?, updated_by = ? WHERE id = ?",
                         (status, stamp, vault.actor, action.id))
        _insert_action_update(vault, action.id, status, note, stamp)
        vault.audit("meeting.action_updated", record_type="meeting_action", record_id=action.id,
                    reason=f"{action.meeting_reference} {action.status} to {status}")
    return get_action(vault, action.id)


def partner_items_of(vault, request_id: str | None) -> list[str]:
    """The partner-provided answers to a request (as consent items), for a further disclosure."""
    if not request_id:
        return []
    return [f"response:{r['id']}" for r in vault.db.query(
        "SELECT r.id FROM responses r JOIN dispatches d ON d.id = r.dispatch_id WHERE d.request_id = ?"
        " AND r.origin_agency != ? AND r.status != 'draft' ORDER BY r.seq", (request_id, vault.agency))]


def _permission_consent(vault, data: dict, item, to_agency: str):
    """Appendix 1 para 4 with section 6: the chair's permission is recorded as always, and the
    partner-provided items it covers (`data['items']`; by default every partner answer to the
    agenda item's request) also need their originator's written consent for `data['purpose']`."""
    from app import consent

    request_id = item.request_id if item is not None else None
    items = data.get("items")
    if items is None:
        items = partner_items_of(vault, request_id)
    if not isinstance(items, (list, tuple)):
        raise InvalidInput("The items of a further disclosure must be a list.")
    purpose = consent.check_purpose(data.get("purpose") or consent.default_purpose(vault, request_id))
    return consent.require_consent(vault, items, to_agency, purpose)


def record_permission(vault, ref_or_id: str, data: dict, *, now: _dt.datetime | None = None) -> Permission:
    """The chair's decision on further disclosure (Appendix 1 para 4). `data`: requested_by,
    requested_by_agency, to_agency, what, reason, granted (True/False or 'granted'/'refused'),
    optional decided_at (default now), decided_by (default the meeting's chair), agenda_item_id.
    A grant goes into the disclosure register (kind 'meeting', from the asking agency to
    `to_agency`, linked to the request when under a request item), and is refused while
    `to_agency` is suspended (13.2). Optional `items` and `purpose`: partner-provided items it
    covers need their originator's written consent too (section 6; `_permission_consent`), and the
    row's originator is theirs. A refusal is recorded without a register row."""
    meeting = _manageable(vault, ref_or_id, "record the chair's permissions for further disclosure")
    now = now or utc_now()
    problems, clean = validate_permission(data, now=now)
    _check_item(problems, meeting, clean["agenda_item_id"])
    decided_by = check_text(problems, "decided_by", data.get("decided_by") or meeting.chair, limit=SHORT).strip()
    raise_if(problems, "The decision on further disclosure was not recorded")
    if clean["granted"]:
        refuse_if_suspended(vault, clean["to_agency"])
    decided_at = clean["decided_at"] or now.astimezone(_dt.timezone.utc).isoformat(timespec="microseconds")
    item = meeting.agenda_item(clean["agenda_item_id"])
    decision = None
    if clean["granted"]:
        decision = _permission_consent(vault, data, item, clean["to_agency"])
    pid = new_id()
    with vault.db.transaction():
        disclosure_id = None
        if clean["granted"]:
            disclosure_id = record_disclosure(
                vault, kind="meeting", direction="sent", from_agency=clean["requested_by_agency"],
                to_agency=clean["to_agency"], what=f"{meeting.reference}: {clean['what']}",
                originator=decision.originator or vault.agency,
                request_id=item.request_id if item is not None else None, at=decided_at, items=decision.items,
                consent_grants=decision.grants)
        vault.db.execute(
            "INSERT INTO meeting_permissions (id, meeting_id, agenda_item_id, requested_by, requested_by_agency,"
            " to_agency, what, reason, granted, decided_by, decided_at, disclosure_id, recorded_at, recorded_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (pid, meeting.id, clean["agenda_item_id"], clean["requested_by"], clean["requested_by_agency"],
             clean["to_agency"], clean["what"], clean["reason"], 1 if clean["granted"] else 0, decided_by,
             decided_at, disclosure_id, utc_now_iso(), vault.actor))
        _touch(vault, meeting.id)
        vault.audit("meeting.permission_" + ("granted" if clean["granted"] else "refused"), record_type="meeting",
                    record_id=meeting.id, reason=f"{meeting.reference} to {clean['to_agency']} {pid}")
    return next(p for p in _load(vault, meeting.id).permissions if p.id == pid)


__all__ = ["Meeting", "MeetingSummary", "Attendee", "AgendaItem", "Decision", "Action", "ActionUpdate", "Permission",
           "LABELS", "STATUS_LABELS", "ACTION_STATUS_LABELS", "validate_meeting", "validate_attendee",
           "validate_action", "validate_permission", "create_meeting", "update_meeting", "set_status",
           "add_attendee", "remove_attendee", "record_acceptance", "add_agenda_request", "add_agenda_case",
           "move_agenda_item", "remove_agenda_item", "add_decision", "add_action", "get_action", "update_action",
           "record_permission", "get_meeting", "list_meetings", "open_actions_before", "by_four_p",
           "confidentiality_statement_text", "find_requests", "partner_name", "four_p_name"]
