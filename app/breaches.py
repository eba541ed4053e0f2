"""The breach log (clause 10; UK GDPR Art 33, DPA 2018 s.67) and the Data Protection Manager's work.

Any user logs a breach: who reports, when it happened and when the agency became aware, the
agency, a category from the agreement file, the facts, the data involved (linked requests,
subjects and disclosures, categories, approximate numbers of people and records), the likely
consequences, and the containment and remedial actions. Saving needs the facts, the awareness
time and at least one action; `validate_breach` names exactly what is missing.

Two clocks run from awareness (`clocks`): to the Data Protection Manager (10.1; 24 hours in the
agreement data) and to the ICO (Art 33; 72 hours). `clock_heading` words each clock from those
deadlines for screens and reports. Times are stored in UTC and the arithmetic is done on aware UTC
datetimes, so the Europe/London daylight-saving changes neither add nor lose an hour; they only
change the local time at which a deadline is shown.

A saved breach is never rewritten or deleted (triggers refuse UPDATE and DELETE on both tables).
The DPM's work is a list of dated, attributed updates (`add_update`, kinds in UPDATE_KINDS); the
current state (`BreachState`) is derived from that history. Suspension decisions drive
app.suspensions, so a suspended partner is refused new requests, responses and disclosures.
Every create, update, view and listing is audited with ids and codes only.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from app.agreement import load_agreement
from app.errors import InvalidInput
from app.listing import Sort
from app.records import MAX_TEXT, Invalid, Problem, check_text, check_time, dumps, loads, new_id, raise_if
from app.roles import can, require
from app.timeutil import LONDON, london_display, parse_utc, utc_now, utc_now_iso
from app.vault.migrations import BREACH_UPDATE_KINDS

PREFIX = "BR"
RISKS = {"unlikely": "Unlikely to result in a risk to people",
         "risk": "A risk to people's rights and freedoms",
         "high-risk": "A high risk to people's rights and freedoms"}

# What each kind of update records. `at` (when it happened) is common to all and defaults to now.
UPDATE_KINDS: dict[str, str] = {
    "dpm-notified": "Data Protection Manager notified",
    "controller-informed": "Data Controller informed",
    "risk-assessed": "Risk assessed",
    "ico-decision": "Decision on telling the ICO",
    "ico-notified": "ICO told",
    "subjects-told": "Data subjects told, or why not",
    "partners-notified": "Partners notified",
    "review": "Review outcome and lessons learned",
    "alternative-exchange": "Alternative exchange arranged (10.2)",
    "suspension-recommended": "Suspension recommended (13.2)",
    "suspension-decided": "Decision on suspending a partner (13.2)",
    "suspension-lifted": "Suspension lifted (13.2)",
    "note": "Note",
    "closed": "Breach closed",
    "reopened": "Breach reopened",
}
assert tuple(UPDATE_KINDS) == BREACH_UPDATE_KINDS

BREACH_FIELDS = ("reporter", "agency", "category", "occurred_at", "aware_at", "facts", "request_ids",
                 "subject_ids", "disclosure_ids", "data_categories", "people_count", "records_count",
                 "consequences", "containment", "remedial")


# ---- records ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BreachUpdate:
    id: str
    seq: int
    breach_id: str
    kind: str
    at: str
    details: dict
    recorded_at: str
    recorded_by: str

    @classmethod
    def from_row(cls, row) -> "BreachUpdate":
        values = {k: row[k] for k in cls.__dataclass_fields__}
        values["details"] = loads(values["details"]) or {}
        return cls(**values)

    @property
    def label(self) -> str:
        return UPDATE_KINDS.get(self.kind, self.kind)

    def summary(self) -> str:
        """One plain-English line for a timeline (user text is shown as given, never as markup)."""
        d = self.details
        if self.kind == "dpm-notified":
            return f"{d.get('who', '')} was told"
        if self.kind == "controller-informed":
            return f"{d.get('who', '')} was informed"
        if self.kind == "risk-assessed":
            return f"{RISKS.get(d.get('risk'), d.get('risk'))}. Reasons: {d.get('reasons', '')}"
        if self.kind == "ico-decision":
            return ("Decision: tell the ICO. " if d.get("notify") else "Decision: do not tell the ICO. ") + \
                f"Reason: {d.get('reason', '')}"
        if self.kind == "ico-notified":
            return f"ICO reference {d.get('ico_reference', '')}"
        if self.kind == "subjects-told":
            return "Data subjects were told. " + (d.get("how") or "") if d.get("told") else \
                f"Data subjects were not told. Why: {d.get('reason', '')}"
        if self.kind == "partners-notified":
            names = ", ".join(_partner_name(c) for c in d.get("partners", []))
            return names + (f". {d['note']}" if d.get("note") else "")
        if self.kind == "review":
            return f"Outcome: {d.get('outcome', '')}" + (f" Lessons: {d['lessons']}" if d.get("lessons") else "")
        if self.kind == "alternative-exchange":
            return d.get("arrangement", "")
        if self.kind == "suspension-recommended":
            return f"Recommend suspending {_partner_name(d.get('partner', ''))}. Reason: {d.get('reason', '')}"
        if self.kind == "suspension-decided":
            verb = "Suspended" if d.get("suspend") else "Decided not to suspend"
            return f"{verb} {_partner_name(d.get('partner', ''))}. Reason: {d.get('reason', '')}"
        if self.kind == "suspension-lifted":
            return f"Lifted for {_partner_name(d.get('partner', ''))}. Reason: {d.get('reason', '')}"
        return d.get("text") or d.get("reason") or ""


@dataclass(frozen=True)
class Clock:
    """One deadline from awareness: state is running, overdue, met, late (met after the
    deadline) or not-needed (a recorded decision not to tell the ICO)."""

    name: str
    deadline: _dt.datetime
    state: str
    delta: _dt.timedelta  # time left (running), how late (overdue / late), or zero
    done_at: _dt.datetime | None = None

    @property
    def overdue(self) -> bool:
        return self.state == "overdue"

    @property
    def open(self) -> bool:
        return self.state in ("running", "overdue")

    def text(self) -> str:
        due = london_display(self.deadline)
        if self.state == "running":
            return f"{duration_text(self.delta)} left (due {due})"
        if self.state == "overdue":
            return f"OVERDUE by {duration_text(self.delta)} (was due {due})"
        if self.state == "met":
            return f"Done {london_display(self.done_at)}, on time"
        if self.state == "late":
            return f"Done {london_display(self.done_at)}, {duration_text(self.delta)} late"
        return "Not needed: decision not to tell the ICO"

    def printed(self) -> str:
        """The clock for paper (issue 17): the deadline as a date and time, never a countdown
        that is wrong by the time the page is read ("due 02/12/2026 14:05")."""
        due = london_display(self.deadline)
        if self.state == "running":
            return f"Not yet done: due {due}"
        if self.state == "overdue":
            return f"NOT DONE: was due {due} (overdue when printed)"
        if self.state == "met":
            return f"Done {london_display(self.done_at)}, on time (due {due})"
        if self.state == "late":
            return f"Done {london_display(self.done_at)}, after the deadline of {due}"
        return "Not needed: decision not to tell the ICO"


@dataclass(frozen=True)
class BreachState:
    status: str  # open | closed
    dpm_notified_at: str | None
    dpm_notified_who: str
    controller_informed_at: str | None
    risk: str | None
    ico_decision: bool | None  # True notify, False do not, None not decided
    ico_decision_reason: str
    ico_notified_at: str | None
    ico_reference: str
    subjects_told: bool | None
    partners_notified: tuple[str, ...]
    reviewed: bool
    alternative_exchange: str
    suspended_partners: tuple[str, ...]  # suspended through this breach and not lifted


@dataclass(frozen=True)
class Breach:
    id: str
    seq: int
    origin_agency: str
    reference: str
    reporter: str
    agency: str
    category: str
    occurred_at: str | None
    aware_at: str
    facts: str
    request_ids: tuple[str, ...]
    subject_ids: tuple[str, ...]
    disclosure_ids: tuple[str, ...]
    data_categories: str
    people_count: int | None
    records_count: int | None
    consequences: str
    containment: str
    remedial: str
    created_at: str
    created_by: str
    updates: tuple[BreachUpdate, ...] = field(default=())

    @classmethod
    def from_row(cls, row, updates=()) -> "Breach":
        values = {k: row[k] for k in cls.__dataclass_fields__ if k != "updates"}
        for key in ("request_ids", "subject_ids", "disclosure_ids"):
            values[key] = tuple(loads(values[key]))
        return cls(**values, updates=tuple(updates))

    @property
    def category_name(self) -> str:
        try:
            return load_agreement().breach_category(self.category).name
        except Exception:  # noqa: BLE001 - a category the agreement no longer has shows as stored
            return self.category

    @property
    def agency_name(self) -> str:
        return _partner_name(self.agency)

    @property
    def state(self) -> BreachState:
        return derive_state(self.updates)

    def clocks(self, now: _dt.datetime | None = None) -> tuple[Clock, Clock]:
        return clocks(self.aware_at, self.state, now)

    def is_overdue(self, now: _dt.datetime | None = None) -> bool:
        return self.state.status == "open" and any(c.overdue for c in self.clocks(now))


def _partner_name(code: str) -> str:
    return load_agreement().partner_name(code)


# ---- clocks -----------------------------------------------------------------------------------


def duration_text(delta: _dt.timedelta) -> str:
    """'2 days 3 hours', '5 hours 12 minutes', '40 minutes' (whole minutes, rounded down)."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)

    def unit(n, word):
        return f"{n} {word}{'' if n == 1 else 's'}"

    if days:
        return unit(days, "day") + (f" {unit(hours, 'hour')}" if hours else "")
    if hours:
        return unit(hours, "hour") + (f" {unit(mins, 'minute')}" if mins else "")
    return unit(mins, "minute")


def _clock(name: str, deadline: _dt.datetime, done: str | None, now: _dt.datetime) -> Clock:
    if done is not None:
        done_at = parse_utc(done)
        if done_at <= deadline:
            return Clock(name, deadline, "met", _dt.timedelta(0), done_at)
        return Clock(name, deadline, "late", done_at - deadline, done_at)
    if now <= deadline:
        return Clock(name, deadline, "running", deadline - now)
    return Clock(name, deadline, "overdue", now - deadline)


def clocks(aware_at: str, state: BreachState, now: _dt.datetime | None = None) -> tuple[Clock, Clock]:
    """The DPM clock (24 h) and the ICO clock (72 h) from awareness, in elapsed hours."""
    now = (now or utc_now()).astimezone(_dt.timezone.utc)
    deadlines = load_agreement().deadlines
    aware = parse_utc(aware_at)
    dpm = _clock("dpm", aware + _dt.timedelta(hours=deadlines.breach_dpm_hours), state.dpm_notified_at, now)
    ico_deadline = aware + _dt.timedelta(hours=deadlines.breach_ico_hours)
    if state.ico_notified_at is None and state.ico_decision is False:
        ico = Clock("ico", ico_deadline, "not-needed", _dt.timedelta(0))
    else:
        ico = _clock("ico", ico_deadline, state.ico_notified_at, now)
    return dpm, ico


# The clocks' words come from the agreement's deadlines (resources/agreement/*.json), so another
# partnership's hours show wherever a screen or report names a clock.
CLOCK_NAMES = ("dpm", "ico")
_CLOCK_WORDS = {  # name: (the Deadlines field, who is told, who in a table heading)
    "dpm": ("breach_dpm_hours", "Data Protection Manager", "DPM"),
    "ico": ("breach_ico_hours", "ICO", "ICO"),
}
ICO_LAW = "UK GDPR Art 33"  # the ICO clock is law, not a clause of the agreement


def _clock_words(name: str) -> tuple[str, str, str]:
    try:
        return _CLOCK_WORDS[name]
    except KeyError:
        raise InvalidInput(f"Unknown breach clock {name!r}; choose one of: {', '.join(CLOCK_NAMES)}.") from None


def clock_hours(name: str) -> int:
    """The hours a breach clock runs from awareness ('dpm': clause 10.1, 'ico': UK GDPR Art 33)."""
    return getattr(load_agreement().deadlines, _clock_words(name)[0])


def clock_authority(name: str) -> str:
    """Where the clock's deadline comes from: 'clause 10.1', or the law for one outside the agreement."""
    rule = load_agreement().deadlines.rule(_clock_words(name)[0])
    return f"clause {rule.clause}" if rule.clause else ICO_LAW


def clock_heading(name: str, form: str = "full") -> str:
    """A breach clock's heading worded from the agreement's deadline. `form`:
    "full" 'Data Protection Manager, 24 hours'; "short" 'DPM: 24 hours' (a table column);
    "hours" 'Data Protection Manager (24 hours)'; "cited" 'Data Protection Manager (24 hours, clause 10.1)';
    "column" 'DPM (24 h)' (a narrow printed column)."""
    _field, who, short = _clock_words(name)
    hours = f"{clock_hours(name)} hours"
    if form == "full":
        return f"{who}, {hours}"
    if form == "short":
        return f"{short}: {hours}"
    if form == "hours":
        return f"{who} ({hours})"
    if form == "cited":
        return f"{who} ({hours}, {clock_authority(name)})"
    if form == "column":
        return f"{short} ({clock_hours(name)} h)"
    raise ValueError(f"unknown clock heading form {form!r}")


def clock_rule(name: str | None = None) -> str:
    """The breach deadlines in one sentence (the breach log); with `name` only that clock's
    ('dpm': 'The Data Protection Manager must be told within 24 hours of ...')."""
    if name is not None:
        who = _clock_words(name)[1]
        return (f"The {who} must be told within {clock_hours(name)} hours of the agency becoming aware "
                f"({clock_authority(name)}).")
    return (f"Every breach must reach the Data Protection Manager within {clock_hours('dpm')} hours of the agency "
            f"becoming aware ({clock_authority('dpm')}), and the ICO within {clock_hours('ico')} hours where it is "
            f"a risk to people ({clock_authority('ico')}).")


def clocks_start_here() -> str:
    """'The 24-hour and 72-hour clocks start here.' (beside the awareness time)."""
    return f"The {clock_hours('dpm')}-hour and {clock_hours('ico')}-hour clocks start here."


def derive_state(updates) -> BreachState:
    s: dict[str, Any] = dict(status="open", dpm_notified_at=None, dpm_notified_who="", controller_informed_at=None,
                             risk=None, ico_decision=None, ico_decision_reason="", ico_notified_at=None,
                             ico_reference="", subjects_told=None, partners_notified=(), reviewed=False,
                             alternative_exchange="")
    suspended: list[str] = []
    for u in sorted(updates, key=lambda u: u.seq):
        d = u.details
        if u.kind == "dpm-notified" and s["dpm_notified_at"] is None:
            s["dpm_notified_at"], s["dpm_notified_who"] = u.at, d.get("who", "")
        elif u.kind == "controller-informed" and s["controller_informed_at"] is None:
            s["controller_informed_at"] = u.at
        elif u.kind == "risk-assessed":
            s["risk"] = d.get("risk")
        elif u.kind == "ico-decision":
            s["ico_decision"], s["ico_decision_reason"] = bool(d.get("notify")), d.get("reason", "")
        elif u.kind == "ico-notified" and s["ico_notified_at"] is None:
            s["ico_notified_at"], s["ico_reference"] = u.at, d.get("ico_reference", "")
        elif u.kind == "subjects-told":
            s["subjects_told"] = bool(d.get("told"))
        elif u.kind == "partners-notified":
            s["partners_notified"] = tuple(dict.fromkeys((*s["partners_notified"], *d.get("partners", []))))
        elif u.kind == "review":
            s["reviewed"] = True
        elif u.kind == "alternative-exchange":
            s["alternative_exchange"] = d.get("arrangement", "")
        elif u.kind == "suspension-decided" and d.get("suspend") and d.get("partner") not in suspended:
            suspended.append(d.get("partner"))
        elif u.kind == "suspension-lifted" and d.get("partner") in suspended:
            suspended.remove(d.get("partner"))
        elif u.kind == "closed":
            s["status"] = "closed"
        elif u.kind == "reopened":
            s["status"] = "open"
    return BreachState(**s, suspended_partners=tuple(suspended))


# ---- validation -------------------------------------------------------------------------------


def _check_count(problems: list[Problem], key: str, value: Any, what: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        value = str(value)
    try:
        number = int(str(value).strip().replace(",", "")) if not isinstance(value, int) else value
    except ValueError:
        problems.append(Problem(key, f"Enter the approximate number of {what} as a whole number, like 12"))
        return None
    if number < 0 or number > 100_000_000:
        problems.append(Problem(key, f"Enter the approximate number of {what} as a whole number, like 12"))
        return None
    return number


def _check_ids(problems: list[Problem], key: str, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        problems.append(Problem(key, "must be a list of record ids"))
        return []
    return list(dict.fromkeys(v for v in value if v))


def validate_breach(data: dict, *, now: _dt.datetime | None = None) -> tuple[list[Problem], dict]:
    """Every problem with a breach report, each with its field and a message saying what to do."""
    now = now or utc_now()
    agreement = load_agreement()
    problems: list[Problem] = []
    clean: dict[str, Any] = {}
    clean["reporter"] = check_text(problems, "reporter", data.get("reporter"), required=True,
                                   missing="Enter the name of the person reporting the breach", limit=500)
    agency = data.get("agency") or ""
    if not agency:
        problems.append(Problem("agency", "Choose the agency where the breach happened"))
    elif agency not in agreement.partner_codes():
        problems.append(Problem("agency", f"{agency!r} is not a partner of the agreement"))
    clean["agency"] = agency
    category = data.get("category") or ""
    if not category:
        problems.append(Problem("category", "Choose the kind of breach"))
    elif category not in {c.id for c in agreement.breach_categories}:
        problems.append(Problem("category", f"{category!r} is not a kind of breach in the agreement"))
    clean["category"] = category
    clean["occurred_at"] = check_time(problems, "occurred_at", data.get("occurred_at"), required=False, missing="",
                                       what="The time the breach happened", now=now)
    clean["aware_at"] = check_time(problems, "aware_at", data.get("aware_at"), required=True,
                                    missing="Enter the date and time the agency became aware of the breach",
                                    what="The time the agency became aware", now=now)
    if clean["occurred_at"] and clean["aware_at"] and clean["occurred_at"] > clean["aware_at"]:
        problems.append(Problem("occurred_at", "The time the breach happened must be before the agency became aware"))
    clean["facts"] = check_text(problems, "facts", data.get("facts"), required=True,
                                missing="Enter the facts: what happened")
    for key in ("request_ids", "subject_ids", "disclosure_ids"):
        clean[key] = _check_ids(problems, key, data.get(key))
    clean["data_categories"] = check_text(problems, "data_categories", data.get("data_categories"))
    clean["people_count"] = _check_count(problems, "people_count", data.get("people_count"), "people")
    clean["records_count"] = _check_count(problems, "records_count", data.get("records_count"), "records")
    clean["consequences"] = check_text(problems, "consequences", data.get("consequences"))
    clean["containment"] = check_text(problems, "containment", data.get("containment"))
    clean["remedial"] = check_text(problems, "remedial", data.get("remedial"))
    if not clean["containment"].strip() and not clean["remedial"].strip():
        problems.append(Problem("containment", "Enter at least one action taken to contain the breach or "
                                               "put it right"))
    return problems, clean


def _resolve_request_refs(vault, refs) -> tuple[list[str], list[Problem]]:
    """Typed request references (MSR-2026-0001, comma or space separated) -> ids."""
    if isinstance(refs, str):
        refs = [r for r in refs.replace(",", " ").split() if r]
    ids, problems = [], []
    for ref in refs or []:
        row = vault.db.one("SELECT id FROM requests WHERE reference = ? COLLATE NOCASE ORDER BY seq LIMIT 1",
                           (ref.strip(),))
        if row is None:
            problems.append(Problem("request_refs", f"There is no request {ref} in this vault"))
        else:
            ids.append(row["id"])
    return ids, problems


def _check_links(vault, clean: dict) -> list[Problem]:
    problems = []
    for key, table, what in (("request_ids", "requests", "request"), ("subject_ids", "subjects", "subject"),
                             ("disclosure_ids", "disclosures", "disclosure")):
        for rid in clean[key]:
            if vault.db.one(f"SELECT 1 FROM {table} WHERE id = ?", (rid,)) is None:  # constant names
                problems.append(Problem(key, f"The linked {what} {rid} is not in this vault"))
    return problems


# ---- saving -----------------------------------------------------------------------------------


def next_reference(vault, year: int) -> str:
    """The next BR-YYYY-NNNN of this desk (breaches are never deleted, so max + 1 is safe)."""
    from app.records import next_yearly_reference

    return next_yearly_reference(vault, "breaches", PREFIX, year)


def check_breach(vault, data: dict, *, now: _dt.datetime | None = None) -> tuple[list[Problem], dict]:
    """Every problem with a breach report at once (its fields, the request references typed and
    the records linked), so the dialog never shows them in rounds; and the cleaned values."""
    problems, clean = validate_breach(data, now=now)
    ids, ref_problems = _resolve_request_refs(vault, data.get("request_refs") or [])
    problems.extend(ref_problems)
    clean["request_ids"] = list(dict.fromkeys([*clean["request_ids"], *ids]))
    problems.extend(_check_links(vault, clean))
    return problems, clean


def create_breach(vault, data: dict, *, now: _dt.datetime | None = None) -> Breach:
    """Log a breach (any role). `data` holds BREACH_FIELDS; `request_refs` may name requests by
    reference. When the reporter is the DPM, the DPM-notified update is recorded at once."""
    require(vault.role, "breaches.report", "log a breach")
    now = now or utc_now()
    data = dict(data)
    if not data.get("reporter"):
        data["reporter"] = vault.actor
    problems, clean = check_breach(vault, data, now=now)
    raise_if(problems, "The breach was not saved")
    bid = new_id()
    stamp = utc_now_iso()
    with vault.db.transaction():
        reference = next_reference(vault, now.astimezone(LONDON).year)
        vault.db.execute(
            "INSERT INTO breaches (id, origin_agency, reference, reporter, agency, category, occurred_at, aware_at,"
            " facts, request_ids, subject_ids, disclosure_ids, data_categories, people_count, records_count,"
            " consequences, containment, remedial, created_at, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (bid, vault.agency, reference, clean["reporter"], clean["agency"], clean["category"],
             clean["occurred_at"], clean["aware_at"], clean["facts"], dumps(clean["request_ids"]),
             dumps(clean["subject_ids"]), dumps(clean["disclosure_ids"]), clean["data_categories"],
             clean["people_count"], clean["records_count"], clean["consequences"], clean["containment"],
             clean["remedial"], stamp, vault.actor))
        vault.audit("breach.created", record_type="breach", record_id=bid, reason=f"{reference} {clean['category']}")
        if vault.role == "dpm":
            _insert_update(vault, bid, "dpm-notified", stamp, {"who": vault.actor})
    return _load(vault, bid)


def _insert_update(vault, breach_id: str, kind: str, at: str, details: dict) -> str:
    uid = new_id()
    vault.db.execute("INSERT INTO breach_updates (id, breach_id, kind, at, details, recorded_at, recorded_by)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?)", (uid, breach_id, kind, at, dumps(details), utc_now_iso(),
                                                       vault.actor))
    vault.audit("breach.updated", record_type="breach", record_id=breach_id, reason=kind)
    return uid


def _yes_no(problems, key, value, missing) -> bool | None:
    if value in (True, "yes", "true", 1):
        return True
    if value in (False, "no", "false", 0):
        return False
    problems.append(Problem(key, missing))
    return None


def validate_update(breach: Breach, kind: str, data: dict, *,
                    now: _dt.datetime | None = None) -> tuple[list[Problem], str | None, dict]:
    """Problems, the UTC time it happened, and the details to store, for one DPM update."""
    now = now or utc_now()
    if kind not in UPDATE_KINDS:
        raise InvalidInput(f"Unknown kind of breach update {kind!r}; choose one of: {', '.join(UPDATE_KINDS)}.")
    problems: list[Problem] = []
    at = check_time(problems, "at", data.get("at"), required=False, missing="", what="The date and time", now=now)
    if at is None and not problems:
        at = now.astimezone(_dt.timezone.utc).isoformat(timespec="microseconds")
    if at is not None and at < breach.aware_at and kind not in ("note",):
        problems.append(Problem("at", "The date and time must be after the agency became aware of the breach"))
    state = breach.state
    d: dict[str, Any] = {}

    def text_field(key, missing, required=True, limit=MAX_TEXT):
        d[key] = check_text(problems, key, data.get(key), required=required, missing=missing, limit=limit)

    def partner_field(missing):
        code = data.get("partner") or ""
        if not code:
            problems.append(Problem("partner", missing))
        elif code not in load_agreement().partner_codes():
            problems.append(Problem("partner", f"{code!r} is not a partner of the agreement"))
        d["partner"] = code
        return code

    if state.status == "closed" and kind not in ("reopened", "note"):
        problems.append(Problem("kind", f"{breach.reference} is closed; reopen it first"))
    if kind == "reopened" and state.status != "closed":
        problems.append(Problem("kind", f"{breach.reference} is not closed"))
    if kind in ("dpm-notified", "controller-informed"):
        text_field("who", "Enter who was told" if kind == "dpm-notified" else "Enter who was informed", limit=500)
    elif kind == "risk-assessed":
        risk = data.get("risk") or ""
        if risk not in RISKS:
            problems.append(Problem("risk", "Choose the risk: unlikely, a risk, or a high risk"))
        d["risk"] = risk
        text_field("reasons", "Enter the reasons for the risk assessment")
    elif kind == "ico-decision":
        d["notify"] = _yes_no(problems, "notify", data.get("notify"), "Choose whether to tell the ICO")
        text_field("reason", "Enter the reason for the decision (it is needed either way)")
    elif kind == "ico-notified":
        text_field("ico_reference", "Enter the ICO's reference", limit=200)
    elif kind == "subjects-told":
        told = _yes_no(problems, "told", data.get("told"), "Choose whether the data subjects were told")
        d["told"] = told
        if told is False:
            text_field("reason", "Enter why the data subjects were not told")
        else:
            text_field("how", "", required=False)
    elif kind == "partners-notified":
        codes = data.get("partners") or []
        if isinstance(codes, str):
            codes = [codes]
        known = load_agreement().partner_codes()
        bad = [c for c in codes if c not in known]
        if bad:
            problems.append(Problem("partners", f"{bad[0]!r} is not a partner of the agreement"))
        if not codes:
            problems.append(Problem("partners", "Choose at least one partner that was told"))
        d["partners"] = list(dict.fromkeys(c for c in codes if c in known))
        text_field("note", "", required=False)
    elif kind == "review":
        text_field("outcome", "Enter the outcome of the review")
        text_field("lessons", "", required=False)
    elif kind == "alternative-exchange":
        try:
            needs = load_agreement().breach_category(breach.category).needs_alternative_exchange
        except Exception:  # noqa: BLE001 - a category the agreement no longer has needs no alternative exchange
            needs = False
        if not needs:
            problems.append(Problem("kind", "An alternative exchange is recorded for equipment malfunction (10.2)"))
        text_field("arrangement", "Enter the alternative form of exchange arranged until repair")
    elif kind == "suspension-recommended":
        partner_field("Choose the partner to suspend")
        text_field("reason", "Enter why suspending sharing with this partner is recommended")
    elif kind == "suspension-decided":
        partner_field("Choose the partner")
        d["suspend"] = _yes_no(problems, "suspend", data.get("suspend"), "Choose whether to suspend sharing")
        text_field("reason", "Enter the reason for the decision")
    elif kind == "suspension-lifted":
        code = partner_field("Choose the partner whose suspension is lifted")
        text_field("reason", "Enter why the suspension is lifted")
        if code and code not in state.suspended_partners:
            problems.append(Problem("partner", f"{_partner_name(code)} is not suspended because of this breach"))
    elif kind == "note":
        text_field("text", "Enter the note")
    elif kind == "closed":
        text_field("reason", "Enter why the breach is closed")
        if state.dpm_notified_at is None:
            problems.append(Problem("kind", "Record when the Data Protection Manager was notified before closing"))
        if state.ico_decision is None and state.ico_notified_at is None:
            problems.append(Problem("kind", "Record the decision on telling the ICO before closing"))
        if state.suspended_partners:
            problems.append(Problem("kind", "Lift the suspension of "
                                    + ", ".join(_partner_name(p) for p in state.suspended_partners)
                                    + " before closing, or keep the breach open"))
    elif kind == "reopened":
        text_field("reason", "Enter why the breach is reopened")
    return problems, at, d


def add_update(vault, ref_or_id: str, kind: str, data: dict, *, now: _dt.datetime | None = None) -> Breach:
    """Append one dated, attributed DPM update; earlier history is never changed.
    A decision to suspend (or a lifting) acts on app.suspensions in the same transaction."""
    from app import suspensions

    require(vault.role, "breaches.manage", "record the Data Protection Manager's work on a breach")
    breach = _load(vault, _resolve(vault, ref_or_id))
    problems, at, details = validate_update(breach, kind, data, now=now)
    if kind in ("suspension-decided", "suspension-lifted") and (kind == "suspension-lifted" or details.get("suspend")):
        if not can(vault.role, "partners.suspend"):
            problems.append(Problem("partner", "Your role may not suspend partners or lift a suspension"))
        elif kind == "suspension-decided" and details.get("partner") and \
                suspensions.is_suspended(vault, details["partner"]):
            problems.append(Problem("partner", f"{_partner_name(details['partner'])} is already suspended"))
    raise_if(problems, f"The update to {breach.reference} was not saved")
    with vault.db.transaction():
        if kind == "suspension-decided" and details["suspend"]:
            found = suspensions.suspend(vault, details["partner"],
                                        f"Breach {breach.reference}: {details['reason']}", from_at=at)
            details["suspension_id"] = found.id
        elif kind == "suspension-lifted":
            found = suspensions.current(vault, details["partner"])
            if found is not None:
                suspensions.lift(vault, details["partner"], f"Breach {breach.reference}: {details['reason']}")
                details["suspension_id"] = found.id
        _insert_update(vault, breach.id, kind, at, details)
    return _load(vault, breach.id)


# ---- reading ----------------------------------------------------------------------------------


def _resolve(vault, ref_or_id: str) -> str:
    row = vault.db.one("SELECT id FROM breaches WHERE id = ? OR reference = ? COLLATE NOCASE ORDER BY seq LIMIT 1",
                       (ref_or_id, ref_or_id))
    if row is None:
        raise InvalidInput(f"There is no breach {ref_or_id} in this vault.")
    return row["id"]


def _updates(vault, breach_id: str) -> list[BreachUpdate]:
    return [BreachUpdate.from_row(r) for r in
            vault.db.query("SELECT * FROM breach_updates WHERE breach_id = ? ORDER BY seq", (breach_id,))]


def _load(vault, breach_id: str) -> Breach:
    row = vault.db.one("SELECT * FROM breaches WHERE id = ?", (breach_id,))
    if row is None:
        raise InvalidInput(f"There is no breach {breach_id} in this vault.")
    return Breach.from_row(row, _updates(vault, breach_id))


def get_breach(vault, ref_or_id: str, *, audit: bool = True) -> Breach:
    require(vault.role, "breaches.read", "read breaches")
    breach = _load(vault, _resolve(vault, ref_or_id))
    if audit:
        vault.audit("breach.viewed", record_type="breach", record_id=breach.id, reason=breach.reference)
    return breach


BREACH_SORT = Sort(
    {"reference": "seq", "aware": "aware_at", "agency": "agency", "category": "category"}, tie="seq",
    default="reference",
    captions={"reference": ("Oldest reference first", "Newest reference first"),
              "aware": ("Earliest awareness first", "Latest awareness first"),
              "agency": ("By agency, A to Z", "By agency, Z to A"),
              "category": ("By kind, A to Z", "By kind, Z to A")})
URGENCY_CAPTIONS = ("Overdue clocks first, then the nearest deadline", "The furthest deadline first, overdue last")


def list_breaches(vault, *, status: str | None = None, category: str | None = None, agency: str | None = None,
                  overdue_only: bool = False, now: _dt.datetime | None = None, audit: bool = True,
                  sort: str | None = None, descending: bool | None = None) -> list[Breach]:
    """The register, whole (a desk's breaches are few; no paging). By default (`sort` None or
    "urgency") open ones with an overdue clock first, then by the nearest deadline, then the rest
    newest first: the clocks run in time, so this order is worked out from them. Any other sort is
    one of BREACH_SORT's columns, ordered in the database. Filters: status (open/closed),
    category, agency, overdue only."""
    require(vault.role, "breaches.read", "see the breach register")
    by_urgency = sort in (None, "urgency")
    if not by_urgency:
        sort = BREACH_SORT.check(sort)
    now = now or utc_now()
    where, params = [], []
    if category:
        where.append("category = ?")
        params.append(category)
    if agency:
        where.append("agency = ?")
        params.append(agency)
    order_by = "seq DESC"
    if not by_urgency:
        _select, _p, _w, order_by = BREACH_SORT.plan(sort, descending, None)  # BREACH_SORT's own SQL
    sql = "SELECT * FROM breaches" + (" WHERE " + " AND ".join(where) if where else "") + f" ORDER BY {order_by}"
    rows = vault.db.query(sql, tuple(params))
    by_breach: dict[str, list] = {}
    for r in vault.db.query("SELECT * FROM breach_updates ORDER BY seq"):
        by_breach.setdefault(r["breach_id"], []).append(BreachUpdate.from_row(r))
    items = [Breach.from_row(r, by_breach.get(r["id"], ())) for r in rows]
    if status:
        items = [b for b in items if b.state.status == status]
    if overdue_only:
        items = [b for b in items if b.is_overdue(now)]

    def order(b: Breach):
        if b.state.status != "open":
            return (2, 0.0, -b.seq)
        open_clocks = [c for c in b.clocks(now) if c.open]
        if any(c.overdue for c in open_clocks):
            return (0, -max(c.delta.total_seconds() for c in open_clocks if c.overdue), -b.seq)
        nearest = min((c.deadline.timestamp() for c in open_clocks), default=float("inf"))
        return (1, nearest, -b.seq)

    if by_urgency:
        items.sort(key=order, reverse=bool(descending))
    if audit:
        vault.audit("breaches.listed", record_type="breach", reason=f"{len(items)} shown")
    return items


def breach_counts(vault, now: _dt.datetime | None = None) -> dict:
    """For `spocdesk status`: counts and clocks by reference only (no facts, no names)."""
    now = now or utc_now()
    by_breach: dict[str, list] = {}
    for r in vault.db.query("SELECT * FROM breach_updates ORDER BY seq"):
        by_breach.setdefault(r["breach_id"], []).append(BreachUpdate.from_row(r))
    rows = vault.db.query("SELECT * FROM breaches ORDER BY seq")
    breaches = [Breach.from_row(r, by_breach.get(r["id"], ())) for r in rows]
    open_ones = [b for b in breaches if b.state.status == "open"]
    clocks_out = []
    dpm_overdue = ico_overdue = 0
    for b in open_ones:
        dpm, ico = b.clocks(now)
        dpm_overdue += dpm.overdue
        ico_overdue += ico.overdue
        clocks_out.append({"reference": b.reference, "category": b.category, "aware_at": b.aware_at,
                           "dpm": _clock_json(dpm), "ico": _clock_json(ico)})
    return {"total": len(breaches), "open": len(open_ones), "closed": len(breaches) - len(open_ones),
            "dpm_notification_overdue": dpm_overdue, "ico_notification_overdue": ico_overdue,
            "clocks": clocks_out}


def _clock_json(clock: Clock) -> dict:
    out = {"state": clock.state, "due_at": clock.deadline.isoformat(timespec="seconds")}
    if clock.state == "running":
        out["hours_left"] = round(clock.delta.total_seconds() / 3600, 2)
    elif clock.state in ("overdue", "late"):
        out["hours_late"] = round(clock.delta.total_seconds() / 3600, 2)
    return out


def linked_labels(vault, breach: Breach) -> list[str]:
    """Plain labels for a breach's links (request references; subjects and disclosures by count)."""
    labels = []
    for rid in breach.request_ids:
        row = vault.db.one("SELECT reference FROM requests WHERE id = ?", (rid,))
        labels.append(f"Request {row['reference'] if row else rid}")
    if breach.subject_ids:
        labels.append(f"{len(breach.subject_ids)} subject(s)")
    if breach.disclosure_ids:
        labels.append(f"{len(breach.disclosure_ids)} disclosure register row(s)")
    return labels


__all__ = ["Breach", "BreachUpdate", "BreachState", "Clock", "UPDATE_KINDS", "RISKS", "Invalid",
           "validate_breach", "create_breach", "validate_update", "add_update", "get_breach", "list_breaches",
           "breach_counts", "clocks", "derive_state", "duration_text", "linked_labels"]
