"""Subject access and FOI requests (clause 12) for the Data Protection Manager.

A log of requests received (12.1): the kind (subject access under UK GDPR Art 15, or under DPA
2018 Part 3 s.45 for law-enforcement processing, or FOI Act 2000), when it arrived, who asked,
and a history of dated events: identity asked for and confirmed, clarification asked for and
received, an extension with its reason, the requesting force's Data Protection Officer consulted
(Appendix 2), each partner consulted (12.2), the answer sent, closed.

The clock is computed from that history, never typed (`clock`):
- Subject access: one calendar month from receipt (the same date next month, or the month's last
  day where it has none; a due day on a weekend or bank holiday moves to the next working day).
  Where identity is asked for, the month starts when it is confirmed; while clarification is
  awaited the clock stops, and the days it was stopped are added. UK GDPR Art 12(3) allows an
  extension of up to two further months, with the reason; Part 3 (s.45, s.54) allows none.
- FOI: 20 working days from the first working day after receipt (s.10(1)), England and Wales
  bank holidays from the `holidays` package; a request for clarification (s.1(3)) stops the
  clock and it starts again from the day the answer arrives; an extension for the public
  interest test (s.10(3)) adds up to 20 working days, with the reason.

The subject file (`subject_file`) gathers everything held about a person: the subject records
and aliases, the requests naming them, the responses to those requests, the disclosures of them
(to and from whom), the meetings that discussed those requests and the breaches naming them.
Items from a partner (another desk's origin) are flagged. `gather_items` copies the file into
the request as items to decide: disclose, or withhold with an exemption from the agreement data;
third parties are redacted in what is disclosed. Partner items are consulted on first (12.2).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from app.errors import InvalidInput
from app.records import Problem, check_text, dumps, loads, new_id, parse_date, raise_if, today_london
from app.retention import add_months, load_information_rights
from app.roles import require
from app.timeutil import utc_now_iso

KINDS: dict[str, str] = {
    "sar-gdpr": "Subject access request (UK GDPR Art 15)",
    "sar-part3": "Subject access request (DPA 2018 Part 3, s.45)",
    "foi": "Freedom of Information request (FOI Act 2000)",
}
PREFIXES = {"sar-gdpr": "SAR", "sar-part3": "SAR", "foi": "FOI"}
EVENT_LABELS: dict[str, str] = {
    "identity-requested": "Identity asked for",
    "identity-confirmed": "Identity confirmed",
    "clarification-requested": "Clarification asked for",
    "clarification-received": "Clarification received",
    "extended": "Time limit extended",
    "dpo-consulted": "Requesting force's Data Protection Officer consulted (Appendix 2)",
    "partner-consulted": "Partner consulted (12.2)",
    "responded": "Answer sent",
    "closed": "Closed",
    "reopened": "Reopened",
    "note": "Note",
}
ITEM_TYPES: dict[str, str] = {
    "subject": "Subject details and aliases",
    "request": "Request naming them",
    "response": "Response from an agency",
    "disclosure": "Disclosure of them",
    "meeting": "Meeting that discussed them",
    "breach": "Breach naming them",
}
CONSULT_VIA = {"telephone": "Telephone (via the partner's switchboard, 9.5)", "note": "Written note or e-mail"}
# How a consultation went, in words: the two a DPM records by hand, and the sealed package whose
# answer app.consultations records when it arrives.
VIA_WORDS = {**CONSULT_VIA, "package": "Sealed package to the partner's desk"}
FOI_DAYS = 20
THIRD_PARTY = "[third party redacted]"


# ---- working days and clocks ------------------------------------------------------------------


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[_dt.date]:
    import holidays

    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: _dt.date) -> bool:
    """Monday to Friday and not an England and Wales bank holiday."""
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def next_working_day(day: _dt.date) -> _dt.date:
    while not is_working_day(day):
        day += _dt.timedelta(days=1)
    return day


def add_working_days(start: _dt.date, days: int) -> _dt.date:
    """The `days`-th working day after `start` (the day of receipt is not counted)."""
    day = start
    counted = 0
    while counted < days:
        day += _dt.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def working_days_between(start: _dt.date, end: _dt.date) -> int:
    """Working days after `start` up to and including `end` (negative when `end` is earlier)."""
    if end < start:
        return -working_days_between(end, start)
    return sum(1 for n in range(1, (end - start).days + 1) if is_working_day(start + _dt.timedelta(days=n)))


@dataclass(frozen=True)
class Event:
    id: str
    kind: str
    on_date: str
    details: dict
    recorded_by: str
    recorded_at: str

    @property
    def label(self) -> str:
        return EVENT_LABELS.get(self.kind, self.kind)

    def summary(self) -> str:
        d = self.details
        if self.kind == "extended":
            return f"{d.get('amount', '')} more. Reason: {d.get('reason', '')}"
        if self.kind == "partner-consulted":
            from app.agreement import load_agreement

            return (f"{load_agreement().partner_name(d.get('partner', ''))} about {d.get('item', '')}, by "
                    f"{VIA_WORDS.get(d.get('via', ''), d.get('via', ''))}. Answer: {d.get('answer', '')}")
        if self.kind == "dpo-consulted":
            return f"{d.get('who', '')}. Answer: {d.get('answer', '')}"
        return d.get("text", "")


@dataclass(frozen=True)
class Clock:
    state: str  # running | overdue | stopped | answered | late | closed
    due_on: _dt.date | None
    why: str
    days_left: int | None = None  # calendar days (SAR) or working days (FOI)
    unit: str = "days"

    @property
    def open(self) -> bool:
        return self.state in ("running", "overdue", "stopped")

    def text(self) -> str:
        due = _uk(self.due_on) if self.due_on else ""
        if self.state == "running":
            return f"{self.days_left} {self.unit} left (due {due})"
        if self.state == "overdue":
            return f"OVERDUE by {-(self.days_left or 0)} {self.unit} (was due {due})"
        if self.state == "stopped":
            return f"Clock stopped: {self.why}"
        if self.state == "answered":
            return f"Answered on time (due {due})"
        if self.state == "late":
            return f"Answered late (was due {due})"
        return "Closed"

    def printed(self) -> str:
        """The clock for paper: the due date, never a count of days left that goes stale."""
        due = _uk(self.due_on) if self.due_on else ""
        if self.state == "running":
            return f"Due {due}"
        if self.state == "overdue":
            return f"NOT ANSWERED: was due {due} (overdue when printed)"
        return self.text()


def _uk(day: _dt.date | str | None) -> str:
    if day is None:
        return ""
    if isinstance(day, str):
        day = _dt.date.fromisoformat(day[:10])
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def _d(value: str) -> _dt.date:
    return _dt.date.fromisoformat(value[:10])


def compute_clock(kind: str, received_on: str, events, today: _dt.date | None = None) -> Clock:
    """The statutory clock of one request from its history (see the module's notes)."""
    today = today or today_london()
    start = _d(received_on)
    identity_asked = identity_ok = None
    pauses: list[list[_dt.date | None]] = []
    extension = 0
    answered = None
    closed = False
    for e in events:
        on = _d(e.on_date)
        if e.kind == "identity-requested" and identity_ok is None:
            identity_asked = on
        elif e.kind == "identity-confirmed" and identity_asked is not None:
            identity_ok = on
        elif e.kind == "clarification-requested":
            pauses.append([on, None])
        elif e.kind == "clarification-received" and pauses and pauses[-1][1] is None:
            pauses[-1][1] = on
        elif e.kind == "extended":
            extension += int(e.details.get("units", 0))
        elif e.kind == "responded":
            answered = on
        elif e.kind == "closed":
            closed = True
        elif e.kind == "reopened":
            closed = False
            answered = None
    if identity_asked is not None:
        if identity_ok is None:
            return Clock("closed" if closed else "stopped", None, "waiting for proof of identity")
        start = identity_ok
    if pauses and pauses[-1][1] is None and answered is None:
        return Clock("closed" if closed else "stopped", None, "waiting for the requester's clarification")
    if kind == "foi":
        if pauses:
            start = max(start, pauses[-1][1])  # s.1(3): the 20 days run from the clarification
        due = add_working_days(start, FOI_DAYS + extension)
        unit = "working days"
    else:
        stopped = sum((p[1] - p[0]).days for p in pauses if p[1] >= start) if pauses else 0
        due = next_working_day(add_months(start, 1 + extension) + _dt.timedelta(days=stopped))
        unit = "days"
    if answered is not None:
        return Clock("answered" if answered <= due else "late", due, "")
    if closed:
        return Clock("closed", due, "")
    left = working_days_between(today, due) if kind == "foi" else (due - today).days
    return Clock("running" if left >= 0 else "overdue", due, "", left, unit)


# ---- records ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    id: str
    item_type: str
    item_id: str
    label: str
    origin_agency: str
    partner_provided: bool
    decision: str
    exemption: str
    redact_third_parties: bool
    note: str
    decided_by: str | None
    decided_at: str | None
    consulted_on: str | None
    consulted_via: str
    consulted_who: str
    consult_answer: str

    @property
    def type_label(self) -> str:
        return ITEM_TYPES.get(self.item_type, self.item_type)

    @property
    def needs_consultation(self) -> bool:
        return self.partner_provided and not self.consulted_on


@dataclass(frozen=True)
class InfoRequest:
    id: str
    seq: int
    reference: str
    kind: str
    received_on: str
    requester_name: str
    requester_contact: str
    about: str
    subject_ids: tuple[str, ...]
    asks_for_request_form: bool
    created_at: str
    created_by: str
    events: tuple[Event, ...] = ()
    items: tuple[Item, ...] = ()

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def status(self) -> str:
        state = "open"
        for e in self.events:
            if e.kind == "closed":
                state = "closed"
            elif e.kind == "reopened":
                state = "open"
        return state

    @property
    def dpo_consulted(self) -> bool:
        return any(e.kind == "dpo-consulted" for e in self.events)

    def clock(self, today: _dt.date | None = None) -> Clock:
        return compute_clock(self.kind, self.received_on, self.events, today)


def request_form_instruction() -> str:
    """The Appendix 2 instruction, in the agreement's words."""
    rights = load_information_rights()
    return f"{rights.request_form_clause}: {rights.request_form_instruction}"


# ---- validation ---------------------------------------------------------------------------


def _check_day(problems: list[Problem], key: str, value: Any, missing: str, what: str,
               today: _dt.date) -> str | None:
    try:
        day = parse_date(value)
    except (ValueError, TypeError):
        problems.append(Problem(key, f"{what} must be a real date, like 27/3/2026"))
        return None
    if day is None:
        problems.append(Problem(key, missing))
        return None
    if day > today:
        problems.append(Problem(key, f"{what} must be today or in the past"))
        return None
    if day.year < 1990:
        problems.append(Problem(key, f"{what} must be after 1990"))
        return None
    return day.isoformat()


def validate_request(vault, data: dict, *, today: _dt.date | None = None) -> tuple[list[Problem], dict]:
    today = today or today_london()
    problems: list[Problem] = []
    kind = data.get("kind")
    if kind not in KINDS:
        problems.append(Problem("kind", "Choose what kind of request it is"))
    received = _check_day(problems, "received_on", data.get("received_on"), "Enter the date the request was received",
                          "The date received", today)
    name = check_text(problems, "requester_name", data.get("requester_name"), required=True,
                      missing="Enter who made the request", limit=500)
    contact = check_text(problems, "requester_contact", data.get("requester_contact"), limit=2000)
    about = check_text(problems, "about", data.get("about"), limit=20_000)
    subject_ids = data.get("subject_ids") or []
    if not isinstance(subject_ids, (list, tuple)) or not all(isinstance(s, str) for s in subject_ids):
        problems.append(Problem("subject_ids", "must be a list of subject ids"))
        subject_ids = []
    for sid in subject_ids:
        if not vault.db.one("SELECT 1 FROM subjects WHERE id = ?", (sid,)):
            problems.append(Problem("subject_ids", "A chosen subject is not in this vault"))
            break
    clean = {"kind": kind, "received_on": received, "requester_name": name, "requester_contact": contact,
             "about": about, "subject_ids": list(dict.fromkeys(subject_ids)),
             "asks_for_request_form": bool(data.get("asks_for_request_form"))}
    return problems, clean


def _next_reference(vault, prefix: str, year: int) -> str:
    key = f"{vault.agency}:{prefix}"
    with vault.db.transaction():
        last = vault.db.scalar("SELECT last FROM reference_counters WHERE agency = ? AND year = ?", (key, year)) or 0
        vault.db.execute("INSERT INTO reference_counters (agency, year, last) VALUES (?, ?, ?)"
                         " ON CONFLICT(agency, year) DO UPDATE SET last = excluded.last", (key, year, last + 1))
    return f"{prefix}-{year}-{last + 1:04d}"


def log_request(vault, data: dict, *, today: _dt.date | None = None) -> InfoRequest:
    """Log a subject access or FOI request received (12.1)."""
    require(vault.role, "info_requests.manage", "log subject access and FOI requests")
    problems, clean = validate_request(vault, data, today=today)
    raise_if(problems, "The request was not logged")
    rid = new_id()
    with vault.db.transaction():
        reference = _next_reference(vault, PREFIXES[clean["kind"]], _d(clean["received_on"]).year)
        vault.db.execute(
            "INSERT INTO info_requests (id, origin_agency, reference, kind, received_on, requester_name,"
            " requester_contact, about, subject_ids, asks_for_request_form, created_at, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (rid, vault.agency, reference, clean["kind"], clean["received_on"], clean["requester_name"],
             clean["requester_contact"], clean["about"], dumps(clean["subject_ids"]),
             int(clean["asks_for_request_form"]), utc_now_iso(), vault.actor))
        vault.audit("info_request.logged", record_type="info_request", record_id=reference, reason=clean["kind"])
    return _load(vault, rid)


def set_subjects(vault, ref: str, subject_ids) -> InfoRequest:
    """Say which subject records the request is about (found by search)."""
    require(vault.role, "info_requests.manage", "change subject access requests")
    request = get_request(vault, ref, audit=False)
    problems, clean = validate_request(vault, {"kind": request.kind, "received_on": request.received_on,
                                               "requester_name": request.requester_name,
                                               "subject_ids": list(subject_ids)})
    raise_if([p for p in problems if p.field == "subject_ids"], "The subjects were not changed")
    with vault.db.transaction():
        vault.db.execute("UPDATE info_requests SET subject_ids = ? WHERE id = ?",
                         (dumps(clean["subject_ids"]), request.id))
        vault.audit("info_request.subjects_set", record_type="info_request", record_id=request.reference,
                    reason=f"{len(clean['subject_ids'])} subjects")
    return _load(vault, request.id)


def add_event(vault, ref: str, kind: str, data: dict | None = None, *, today: _dt.date | None = None) -> InfoRequest:
    """Record a dated event in the request's history; the clock follows from it."""
    require(vault.role, "info_requests.manage", "record work on subject access and FOI requests")
    today = today or today_london()
    data = dict(data or {})
    request = get_request(vault, ref, audit=False)
    problems: list[Problem] = []
    if kind not in EVENT_LABELS or kind == "partner-consulted":
        problems.append(Problem("kind", "Choose what happened"))
        raise_if(problems, "Nothing was recorded")
    on = _check_day(problems, "on_date", data.get("on_date") or today.isoformat(), "Enter the date",
                    "The date", today)
    if on and on < request.received_on:
        problems.append(Problem("on_date", "The date must be on or after the day the request was received"))
    details: dict = {}
    if kind == "extended":
        reason = check_text(problems, "reason", data.get("reason"), required=True,
                            missing="Enter why the time limit is extended", limit=2000)
        if request.kind == "sar-part3":
            problems.append(Problem("units", "DPA 2018 Part 3 allows no extension of the one-month limit"))
        elif request.kind == "sar-gdpr":
            months = _int(data.get("units"))
            used = sum(int(e.details.get("units", 0)) for e in request.events if e.kind == "extended")
            if months is None or not 1 <= months <= 2 - used:
                problems.append(Problem("units", "UK GDPR Art 12(3) allows up to two further months in all"))
            details = {"units": months or 0, "amount": f"{months} month{'s' if months != 1 else ''}", "reason": reason}
        else:
            days = _int(data.get("units"))
            used = sum(int(e.details.get("units", 0)) for e in request.events if e.kind == "extended")
            if days is None or not 1 <= days <= FOI_DAYS - used:
                problems.append(Problem("units", "FOI s.10(3): up to 20 further working days for the public interest test"))
            details = {"units": days or 0, "amount": f"{days} working days", "reason": reason}
    elif kind == "dpo-consulted":
        details = {"who": check_text(problems, "who", data.get("who"), required=True,
                                     missing="Enter whom you consulted", limit=500),
                   "answer": check_text(problems, "answer", data.get("answer"), limit=5000)}
    elif kind == "identity-confirmed" and not any(e.kind == "identity-requested" for e in request.events):
        problems.append(Problem("kind", "Record that identity was asked for first"))
    elif kind == "clarification-received" and not any(e.kind == "clarification-requested" for e in request.events):
        problems.append(Problem("kind", "Record that clarification was asked for first"))
    elif kind == "responded":
        problems.extend(problems_before_answering(request))
        details = {"text": check_text(problems, "text", data.get("text"), limit=5000)}
    elif kind == "closed" and request.status == "closed":
        problems.append(Problem("kind", "The request is already closed"))
    elif kind == "reopened" and request.status != "closed":
        problems.append(Problem("kind", "The request is not closed"))
    else:
        details = {"text": check_text(problems, "text", data.get("text"), limit=5000)}
    raise_if(problems, "Nothing was recorded")
    _insert_event(vault, request, kind, on, details)
    return _load(vault, request.id)


def _int(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _insert_event(vault, request: InfoRequest, kind: str, on: str, details: dict) -> None:
    with vault.db.transaction():
        vault.db.execute("INSERT INTO info_request_events (id, info_request_id, kind, on_date, details, recorded_by,"
                         " recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (new_id(), request.id, kind, on, dumps(details), vault.actor, utc_now_iso()))
        vault.audit(f"info_request.{kind}", record_type="info_request", record_id=request.reference)


def problems_before_answering(request: InfoRequest) -> list[Problem]:
    """What must be done before the answer goes: the Appendix 2 DPO, each partner item consulted
    on (12.2), every item decided."""
    problems = []
    if request.asks_for_request_form and not request.dpo_consulted:
        problems.append(Problem("dpo", "Consult the requesting force's Data Protection Officer first (Appendix 2)"))
    for item in request.items:
        if item.needs_consultation and item.decision != "withhold":
            problems.append(Problem(item.id, f"Consult the partner that supplied {item.label} first (12.2)"))
        if item.decision == "undecided":
            problems.append(Problem(item.id, f"Decide whether to disclose {item.label}"))
    return problems


# ---- reading ------------------------------------------------------------------------------


def _resolve(vault, ref: str) -> str:
    text = (ref or "").strip()
    row = vault.db.one("SELECT id FROM info_requests WHERE id = ? OR reference = ?", (text, text.upper()))
    if row is None:
        raise InvalidInput(f"There is no subject access or FOI request {text} in this vault.")
    return row["id"]


def _load(vault, rid: str) -> InfoRequest:
    from app.agreement import load_agreement  # noqa: F401

    row = vault.db.one("SELECT * FROM info_requests WHERE id = ?", (rid,))
    events = tuple(Event(r["id"], r["kind"], r["on_date"], loads(r["details"]) or {}, r["recorded_by"],
                         r["recorded_at"])
                   for r in vault.db.query("SELECT * FROM info_request_events WHERE info_request_id = ? ORDER BY seq",
                                           (rid,)))
    items = tuple(_item(vault, r) for r in vault.db.query(
        "SELECT * FROM info_request_items WHERE info_request_id = ? ORDER BY seq", (rid,)))
    return InfoRequest(row["id"], row["seq"], row["reference"], row["kind"], row["received_on"], row["requester_name"],
                       row["requester_contact"], row["about"], tuple(loads(row["subject_ids"])),
                       bool(row["asks_for_request_form"]), row["created_at"], row["created_by"], events, items)


def _item(vault, r) -> Item:
    return Item(r["id"], r["item_type"], r["item_id"], r["label"], r["origin_agency"],
                r["origin_agency"] != vault.agency, r["decision"], r["exemption"], bool(r["redact_third_parties"]),
                r["note"], r["decided_by"], r["decided_at"], r["consulted_on"], r["consulted_via"],
                r["consulted_who"], r["consult_answer"])


def get_request(vault, ref: str, *, audit: bool = True) -> InfoRequest:
    require(vault.role, "info_requests.read", "see subject access and FOI requests")
    request = _load(vault, _resolve(vault, ref))
    if audit:
        vault.audit("info_request.viewed", record_type="info_request", record_id=request.reference)
    return request


def list_requests(vault, *, status: str | None = None, today: _dt.date | None = None,
                  audit: bool = True) -> list[InfoRequest]:
    """Open ones first by the nearest due date (stopped clocks after them), then the rest newest first."""
    require(vault.role, "info_requests.read", "see subject access and FOI requests")
    today = today or today_london()
    items = [_load(vault, r["id"]) for r in vault.db.query("SELECT id FROM info_requests ORDER BY seq DESC")]
    if status:
        items = [i for i in items if i.status == status]

    def order(i: InfoRequest):
        clock = i.clock(today)
        if clock.open and clock.due_on:
            return (0, clock.due_on.isoformat(), i.reference)
        if clock.open:
            return (1, "", i.reference)
        return (2, "", f"{-i.seq:012d}")

    items.sort(key=order)
    if audit:
        vault.audit("info_requests.listed", record_type="info_request", reason=f"{len(items)} requests")
    return items


def due_summary(vault, *, today: _dt.date | None = None, within_days: int = 7) -> list[tuple[InfoRequest, Clock]]:
    """Open requests whose clock is overdue or due within `within_days`, or stopped (for the home)."""
    today = today or today_london()
    out = []
    for request in list_requests(vault, status="open", today=today, audit=False):
        clock = request.clock(today)
        if clock.state == "stopped" or (clock.due_on and (clock.due_on - today).days <= within_days):
            out.append((request, clock))
    return out


def open_request_coverage(vault) -> tuple[set[str], set[str]]:
    """Request ids and subject ids that open subject access and FOI requests cover (a legal hold)."""
    request_ids: set[str] = set()
    subject_ids: set[str] = set()
    for row in vault.db.query("SELECT i.id, i.subject_ids FROM info_requests i WHERE NOT EXISTS ("
                              " SELECT 1 FROM info_request_events e WHERE e.info_request_id = i.id AND e.kind = 'closed'"
                              " AND e.seq = (SELECT max(seq) FROM info_request_events f WHERE f.info_request_id = i.id"
                              " AND f.kind IN ('closed','reopened')))"):
        subject_ids.update(loads(row["subject_ids"]))
        for item in vault.db.query("SELECT item_id FROM info_request_items WHERE info_request_id = ?"
                                   " AND item_type = 'request'", (row["id"],)):
            request_ids.add(item["item_id"])
    return request_ids, subject_ids


# ---- the subject file ---------------------------------------------------------------------


@dataclass(frozen=True)
class FileItem:
    item_type: str
    item_id: str
    label: str  # references and kinds only
    origin_agency: str
    partner_provided: bool
    detail: str  # what the screen shows beside it (may hold personal data; never audited)
    when: str = ""


@dataclass
class SubjectFile:
    subjects: list = field(default_factory=list)  # app.subjects.Subject
    items: list[FileItem] = field(default_factory=list)

    def of_type(self, item_type: str) -> list[FileItem]:
        return [i for i in self.items if i.item_type == item_type]


def find_subjects(vault, text: str, limit: int = 50) -> list:
    """People (and other subjects) whose name, aliases or details match, across scripts."""
    from app.search import search
    from app.subjects import _get

    require(vault.role, "info_requests.read", "search for a subject file")
    result = search(vault, text, limit=limit, kinds=("subject",))
    return [_get(vault, hit.record_id) for hit in result.hits]


def subject_file(vault, subject_ids, *, audit: bool = True) -> SubjectFile:
    """Everything held about these subjects, each item flagged where a partner supplied it."""
    from app.agreement import load_agreement
    from app.subjects import Subject

    require(vault.role, "info_requests.read", "see a subject file")
    agreement = load_agreement()
    here = vault.agency
    ids = [s for s in dict.fromkeys(subject_ids or [])]
    out = SubjectFile()
    if not ids:
        return out
    marks = ", ".join("?" for _ in ids)  # markers only
    for row in vault.db.query(f"SELECT * FROM subjects WHERE id IN ({marks}) ORDER BY seq", tuple(ids)):
        subject = Subject.from_row(row)
        out.subjects.append(subject)
        aliases = f" (also known as {', '.join(subject.aliases)})" if subject.aliases else ""
        out.items.append(FileItem("subject", subject.id, f"Subject record ({subject.kind})", subject.origin_agency,
                                  subject.origin_agency != here, subject.name + aliases, subject.created_at))
    requests = vault.db.query(
        f"SELECT DISTINCT r.id, r.reference, r.origin_agency, r.status, r.request_date, rs.role FROM requests r"
        f" JOIN request_subjects rs ON rs.request_id = r.id WHERE rs.subject_id IN ({marks}) ORDER BY r.seq", tuple(ids))
    request_ids = list(dict.fromkeys(r["id"] for r in requests))
    for r in requests:
        if any(i.item_type == "request" and i.item_id == r["id"] for i in out.items):
            continue
        out.items.append(FileItem("request", r["id"], f"Request {r['reference']}", r["origin_agency"],
                                  r["origin_agency"] != here,
                                  f"{r['role'].replace('-', ' ')}; {r['status']}; dated {_uk(r['request_date'])}",
                                  r["request_date"]))
    if request_ids:
        rmarks = ", ".join("?" for _ in request_ids)
        for r in vault.db.query(
                f"SELECT p.id, p.origin_agency, p.kind, p.response_date, q.reference, d.agency, d.sub_service"
                f" FROM responses p JOIN dispatches d ON d.id = p.dispatch_id JOIN requests q ON q.id = d.request_id"
                f" WHERE d.request_id IN ({rmarks}) AND p.status != 'draft' ORDER BY p.seq", tuple(request_ids)):
            out.items.append(FileItem("response", r["id"], f"Response to {r['reference']} from {r['agency']}",
                                      r["origin_agency"], r["origin_agency"] != here,
                                      f"{r['kind'].replace('-', ' ')} from {agreement.partner_name(r['agency'], r['sub_service'])}",
                                      r["response_date"]))
        for r in vault.db.query(
                f"SELECT m.id, m.reference, m.origin_agency, m.held_at FROM meetings m WHERE m.id IN (SELECT meeting_id"
                f" FROM meeting_agenda_items WHERE request_id IN ({rmarks})) ORDER BY m.seq", tuple(request_ids)):
            out.items.append(FileItem("meeting", r["id"], f"Meeting {r['reference']}", r["origin_agency"],
                                      r["origin_agency"] != here, "Tactical meeting that discussed a request naming them",
                                      r["held_at"]))
    wanted_subjects, wanted_requests = set(ids), set(request_ids)
    # The request's index finds most; a LIKE over the JSON list (checked exactly below) the rest.
    where = " OR ".join(["d.subject_ids LIKE ?"] * len(ids))
    params: list[str] = [f'%"{sid}"%' for sid in ids]
    if request_ids:
        where = f"d.request_id IN ({', '.join('?' for _ in request_ids)}) OR " + where
        params = list(request_ids) + params
    for r in vault.db.query("SELECT d.id, d.kind, d.direction, d.from_agency, d.to_agency, d.at, d.request_id,"
                            " d.subject_ids, d.originator, q.reference FROM disclosures d"
                            f" LEFT JOIN requests q ON q.id = d.request_id WHERE {where} ORDER BY d.seq",
                            tuple(params)):
        if r["request_id"] in wanted_requests or wanted_subjects & set(loads(r["subject_ids"])):
            out.items.append(FileItem(
                "disclosure", r["id"], f"Disclosure {r['direction']} {r['from_agency']} to {r['to_agency']}"
                + (f" ({r['reference']})" if r["reference"] else ""), r["originator"], r["originator"] != here,
                f"{r['kind']}: {agreement.partner_name(r['from_agency'])} to {agreement.partner_name(r['to_agency'])}",
                r["at"]))
    for r in vault.db.query("SELECT id, reference, origin_agency, category, request_ids, subject_ids, created_at"
                            " FROM breaches ORDER BY seq"):
        if wanted_subjects & set(loads(r["subject_ids"])) or wanted_requests & set(loads(r["request_ids"])):
            out.items.append(FileItem("breach", r["id"], f"Breach {r['reference']}", r["origin_agency"],
                                      r["origin_agency"] != here, f"Breach ({r['category']})", r["created_at"]))
    if audit:
        vault.audit("subject_file.viewed", record_type="subject", record_id=",".join(ids)[:500],
                    reason=f"{len(out.items)} items")
    return out


def gather_items(vault, ref: str) -> InfoRequest:
    """Copy the subject file of the request's subjects into it as items to decide (new ones only)."""
    require(vault.role, "info_requests.manage", "decide subject access requests")
    request = get_request(vault, ref, audit=False)
    if not request.subject_ids:
        raise InvalidInput(f"Say which subjects {request.reference} is about before gathering their file.")
    found = subject_file(vault, request.subject_ids, audit=False)
    with vault.db.transaction():
        added = 0
        for item in found.items:
            cursor = vault.db.execute(
                "INSERT OR IGNORE INTO info_request_items (id, info_request_id, item_type, item_id, label,"
                " origin_agency) VALUES (?, ?, ?, ?, ?, ?)",
                (new_id(), request.id, item.item_type, item.item_id, item.label, item.origin_agency))
            added += cursor.rowcount if cursor.rowcount and cursor.rowcount > 0 else 0
        vault.audit("info_request.gathered", record_type="info_request", record_id=request.reference,
                    reason=f"{added} items added")
    return _load(vault, request.id)


def exemptions_for(kind: str):
    return [e for e in load_information_rights().exemptions if kind in e.applies_to]


def decide_item(vault, ref: str, item_id: str, decision: str, *, exemption: str = "",
                redact_third_parties: bool = True, note: str = "") -> InfoRequest:
    """Disclose an item (third parties redacted unless said otherwise), or withhold it under an exemption."""
    require(vault.role, "info_requests.manage", "decide subject access requests")
    request = get_request(vault, ref, audit=False)
    item = next((i for i in request.items if i.id == item_id), None)
    problems: list[Problem] = []
    if item is None:
        raise InvalidInput(f"{request.reference} has no such item.")
    if decision not in ("disclose", "withhold", "undecided"):
        problems.append(Problem("decision", "Choose to disclose or withhold it"))
    allowed = {e.id for e in exemptions_for(request.kind)}
    if decision == "withhold" and exemption not in allowed:
        problems.append(Problem("exemption", "Choose the exemption it is withheld under"))
    if decision != "withhold":
        exemption = ""
    if decision == "disclose" and item.needs_consultation:
        problems.append(Problem("decision", "Consult the partner that supplied it first (12.2)"))
    if decision == "disclose" and request.asks_for_request_form and not request.dpo_consulted \
            and item.item_type == "request":
        problems.append(Problem("decision", "Consult the requesting force's Data Protection Officer first (Appendix 2)"))
    note = check_text(problems, "note", note, limit=5000)
    raise_if(problems, "The decision was not recorded")
    with vault.db.transaction():
        vault.db.execute("UPDATE info_request_items SET decision = ?, exemption = ?, redact_third_parties = ?,"
                         " note = ?, decided_by = ?, decided_at = ? WHERE id = ?",
                         (decision, exemption, int(bool(redact_third_parties)), note, vault.actor, utc_now_iso(),
                          item.id))
        vault.audit("info_request.item_decided", record_type="info_request", record_id=request.reference,
                    reason=f"{item.item_type} {decision}{(' ' + exemption) if exemption else ''}")
    return _load(vault, request.id)


def consult_partner(vault, ref: str, item_id: str, *, via: str, who: str, answer: str, on_date=None,
                    today: _dt.date | None = None) -> InfoRequest:
    """Record that the partner who supplied an item was consulted (12.2), how, and its answer."""
    require(vault.role, "info_requests.manage", "consult partners on subject access requests")
    today = today or today_london()
    request = get_request(vault, ref, audit=False)
    item = next((i for i in request.items if i.id == item_id), None)
    if item is None:
        raise InvalidInput(f"{request.reference} has no such item.")
    problems: list[Problem] = []
    if not item.partner_provided:
        problems.append(Problem("item", "This item came from this desk; there is no partner to consult"))
    if via not in CONSULT_VIA:
        problems.append(Problem("via", "Choose how the partner was consulted"))
    who = check_text(problems, "who", who, required=True, missing="Enter whom you spoke to at the partner", limit=500)
    answer = check_text(problems, "answer", answer, required=True, missing="Enter the partner's answer", limit=5000)
    on = _check_day(problems, "on_date", on_date or today.isoformat(), "Enter the date", "The date", today)
    raise_if(problems, "The consultation was not recorded")
    with vault.db.transaction():
        vault.db.execute("UPDATE info_request_items SET consulted_on = ?, consulted_via = ?, consulted_who = ?,"
                         " consult_answer = ? WHERE id = ?", (on, via, who, answer, item.id))
        vault.db.execute("INSERT INTO info_request_events (id, info_request_id, kind, on_date, details, recorded_by,"
                         " recorded_at) VALUES (?, ?, 'partner-consulted', ?, ?, ?, ?)",
                         (new_id(), request.id, on,
                          dumps({"item": item.label, "partner": item.origin_agency, "via": via, "answer": answer}),
                          vault.actor, utc_now_iso()))
        vault.audit("info_request.partner_consulted", record_type="info_request", record_id=request.reference,
                    reason=f"{item.origin_agency} {via}")
    return _load(vault, request.id)


# ---- what the pack shows -----------------------------------------------------------------


def third_party_names(vault, request: InfoRequest, item: Item) -> list[str]:
    """Names and aliases of other people on the same request(s), longest first, for redaction."""
    if item.item_type == "request":
        request_ids = [item.item_id]
    elif item.item_type == "response":
        request_ids = [r["request_id"] for r in vault.db.query(
            "SELECT d.request_id FROM responses p JOIN dispatches d ON d.id = p.dispatch_id WHERE p.id = ?",
            (item.item_id,))]
    elif item.item_type == "breach":
        row = vault.db.one("SELECT request_ids, subject_ids FROM breaches WHERE id = ?", (item.item_id,))
        request_ids = loads(row["request_ids"]) if row else []
    else:
        request_ids = []
    names: set[str] = set()
    own = set(request.subject_ids)
    for rid in request_ids:
        for row in vault.db.query("SELECT s.id, s.name, s.aliases FROM subjects s JOIN request_subjects rs"
                                  " ON rs.subject_id = s.id WHERE rs.request_id = ?", (rid,)):
            if row["id"] not in own:
                names.add(row["name"])
                names.update(loads(row["aliases"]))
    return sorted((n for n in names if n.strip()), key=len, reverse=True)


def redact(text: str, names: list[str]) -> str:
    import re

    for name in names:
        text = re.sub(re.escape(name), THIRD_PARTY, text, flags=re.IGNORECASE)
    return text


def item_content(vault, request: InfoRequest, item: Item) -> list[tuple[str, str]]:
    """The item's content as (label, text) pairs, third parties redacted where the decision says so."""
    from app.agreement import load_agreement

    agreement = load_agreement()
    names = third_party_names(vault, request, item) if item.redact_third_parties else []
    rows: list[tuple[str, str]] = []
    if item.item_type == "subject":
        row = vault.db.one("SELECT * FROM subjects WHERE id = ?", (item.item_id,))
        if row:
            rows = [("Name", row["name"]), ("Also known as", ", ".join(loads(row["aliases"]))),
                    ("Date of birth", _uk(row["date_of_birth"]) if row["date_of_birth"] else ""),
                    ("Addresses", "; ".join(loads(row["addresses"]))), ("Description", row["description"])]
    elif item.item_type == "request":
        row = vault.db.one("SELECT * FROM requests WHERE id = ?", (item.item_id,))
        if row:
            rows = [("Reference", row["reference"]), ("Date", _uk(row["request_date"])),
                    ("Information", row["information"]), ("Check request", row["check_request"])]
    elif item.item_type == "response":
        row = vault.db.one("SELECT p.*, d.agency, d.sub_service FROM responses p JOIN dispatches d"
                           " ON d.id = p.dispatch_id WHERE p.id = ?", (item.item_id,))
        if row:
            rows = [("From", agreement.partner_name(row["agency"], row["sub_service"])),
                    ("Date", _uk(row["response_date"])), ("Disclosed", row["disclosed_text"])]
    elif item.item_type == "disclosure":
        row = vault.db.one("SELECT * FROM disclosures WHERE id = ?", (item.item_id,))
        if row:
            rows = [("From", agreement.partner_name(row["from_agency"])), ("To", agreement.partner_name(row["to_agency"])),
                    ("When", _uk(row["at"]))]
    elif item.item_type == "meeting":
        row = vault.db.one("SELECT reference, held_at FROM meetings WHERE id = ?", (item.item_id,))
        if row:
            rows = [("Meeting", row["reference"]), ("Held", _uk(row["held_at"]))]
    elif item.item_type == "breach":
        row = vault.db.one("SELECT reference, facts, created_at FROM breaches WHERE id = ?", (item.item_id,))
        if row:
            rows = [("Breach", row["reference"]), ("Logged", _uk(row["created_at"])), ("What happened", row["facts"])]
    if not rows:
        return [("Note", "This item is no longer held (it may have been disposed of).")]
    return [(label, redact(value or "", names)) for label, value in rows if value]
