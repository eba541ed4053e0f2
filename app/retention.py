"""Retention, review and secure disposal (clauses 8.1 and 9.3) for the Data Protection Manager.

Clause 8.1 leaves each agency to hold data "in accordance with their own legal or procedural
requirements". Those requirements are agreement data (`resources/agreement/*.information-rights.json`):
rules per agency and kind of record, each with the event its period counts from (the request
closed, the last contact, the subject's death, the end of proceedings), its period and where it
comes from, such as the agreement's own example for Derby City Council adult social care. A
desk whose agency has no rule for a record uses its policy setting "Review retained information
after" (`retention_review_months`), counted from the request being closed.

`review` lists every retained request with its rule, the date its period runs from, the date it
falls due and why; the queue is what is due, oldest first. For each record the DPM disposes of
it, keeps it until a date with a reason, or puts it on legal hold. Holds also come from the data:
an open subject access or FOI request or an open breach that names the record holds it.

Nothing is disposed of without a DPM's approval: `plan_disposal` lists what will go (the screen
and the CLI show it first), and `dispose(..., approve=True)` removes each request and what hangs
only off it (subjects no other request names, dispatches, responses, drafts, full-text entries,
links, its retention decisions) in one transaction. The disclosure register, breaches, meetings
and the audit trail keep ids and references only. Then the vault is scrubbed through the gateway
(`Database.scrub`: WAL checkpoint, VACUUM, checkpoint) so no page keeps the record. What is left
is a disposal certificate: references and kinds, rule codes, who approved it, when, the audit
chain head after it and the partners that received the record, so they can be told.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from app.errors import AgreementError, InvalidInput
from app.records import MAX_TEXT, Problem, check_text, dumps, loads, new_id, parse_date, raise_if, today_london
from app.roles import require
from app.timeutil import utc_now_iso

CERTIFICATE_PREFIX = "DC"
RECORD_KINDS = ("request",)


# ---- the rules, as agreement data ------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    id: str
    label: str
    recorded: bool  # True: the DPM records its date; False: read from the record itself


@dataclass(frozen=True)
class Rule:
    id: str
    agency: str | None  # None: this desk's default
    sub_service: str | None
    record_kind: str
    counts_from: str
    period_months: int
    action: str  # destroy | review
    text: str
    source: str


@dataclass(frozen=True)
class Exemption:
    id: str
    applies_to: tuple[str, ...]
    label: str
    text: str


@dataclass(frozen=True)
class InformationRights:
    events: tuple[Event, ...]
    record_kinds: dict[str, str]
    rules: tuple[Rule, ...]
    default: dict
    hold_reasons: dict[str, str]
    exemptions: tuple[Exemption, ...]
    request_form_instruction: str
    request_form_clause: str

    def event(self, event_id: str) -> Event:
        for e in self.events:
            if e.id == event_id:
                return e
        raise KeyError(event_id)

    def exemption(self, exemption_id: str) -> Exemption:
        for e in self.exemptions:
            if e.id == exemption_id:
                return e
        raise KeyError(exemption_id)


def information_rights_path() -> Path:
    from app.agreement import default_agreement_path

    agreement = default_agreement_path()
    return agreement.with_name(agreement.stem + ".information-rights.json")


def _bad(message: str) -> AgreementError:
    where, _, problem = message.partition(": ")
    file, _, field = where.partition(" ")
    return AgreementError(file, field, problem)


def _strict(obj: Any, where: str, required: set[str], optional: set[str] = frozenset()) -> dict:
    if not isinstance(obj, dict):
        raise _bad(f"{where}: must be an object")
    unknown = set(obj) - required - optional
    missing = required - set(obj)
    if unknown:
        raise _bad(f"{where}: unknown key {sorted(unknown)[0]!r}")
    if missing:
        raise _bad(f"{where}: missing key {sorted(missing)[0]!r}")
    return obj


@lru_cache(maxsize=4)
def load_information_rights(path: Path | None = None) -> InformationRights:
    """The retention rules, hold reasons and exemptions; a wrong or unknown field stops the load."""
    path = path or information_rights_path()
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _bad(f"{Path(path).name}: cannot be read ({exc})") from None
    name = Path(path).name
    _strict(doc, name, {"format", "agreement", "note", "events", "record_kinds", "retention_rules", "desk_default",
                        "hold_reasons", "exemptions", "request_form_instruction"})
    if doc["format"] != "spocdesk-information-rights/1":
        raise _bad(f"{name}: format must be spocdesk-information-rights/1")
    events = tuple(Event(e["id"], e["label"], bool(e["recorded"]))
                   for e in (_strict(e, f"{name} events", {"id", "label", "recorded"}) for e in doc["events"]))
    event_ids = {e.id for e in events}
    kinds = {k["id"]: k["label"] for k in (_strict(k, f"{name} record_kinds", {"id", "label"})
                                            for k in doc["record_kinds"])}
    rules = []
    for i, r in enumerate(doc["retention_rules"]):
        where = f"{name} retention_rules[{i}]"
        _strict(r, where, {"id", "agency", "record_kind", "counts_from", "period_months", "action", "text", "source"},
                {"sub_service"})
        if r["counts_from"] not in event_ids:
            raise _bad(f"{where}: counts_from {r['counts_from']!r} is not one of the events")
        if r["record_kind"] not in kinds:
            raise _bad(f"{where}: record_kind {r['record_kind']!r} is not one of the record kinds")
        if not isinstance(r["period_months"], int) or not 0 <= r["period_months"] <= 1200:
            raise _bad(f"{where}: period_months must be a whole number of months")
        if r["action"] not in ("destroy", "review"):
            raise _bad(f"{where}: action must be destroy or review")
        rules.append(Rule(r["id"], r["agency"], r.get("sub_service"), r["record_kind"], r["counts_from"],
                          r["period_months"], r["action"], r["text"], r["source"]))
    default = _strict(doc["desk_default"], f"{name} desk_default", {"id", "counts_from", "action", "text", "source"})
    if default["counts_from"] not in event_ids:
        raise _bad(f"{name} desk_default: counts_from is not one of the events")
    holds = {h["id"]: h["label"] for h in (_strict(h, f"{name} hold_reasons", {"id", "label"})
                                            for h in doc["hold_reasons"])}
    exemptions = tuple(Exemption(e["id"], tuple(e["applies_to"]), e["label"], e["text"])
                       for e in (_strict(e, f"{name} exemptions", {"id", "applies_to", "label", "text"})
                                 for e in doc["exemptions"]))
    instruction = _strict(doc["request_form_instruction"], f"{name} request_form_instruction", {"clause", "text"})
    return InformationRights(events, kinds, tuple(rules), default, holds, exemptions, instruction["text"],
                             instruction["clause"])


def desk_default_rule(vault) -> Rule:
    from app.policy import get_policy

    rights = load_information_rights()
    months = get_policy(vault).retention_review_months
    d = rights.default
    return Rule(d["id"], None, None, "request", d["counts_from"], months, d["action"],
                d["text"].format(months=months), d["source"])


def rules_for_desk(vault) -> list[Rule]:
    """Every rule this desk applies (its agency's rules from the agreement data), then its default."""
    rights = load_information_rights()
    return [r for r in rights.rules if r.agency == vault.agency] + [desk_default_rule(vault)]


def all_rules(vault) -> list[Rule]:
    """Every agency's rules, for the DPM to see where each comes from; the desk default last."""
    return list(load_information_rights().rules) + [desk_default_rule(vault)]


# ---- dates ---------------------------------------------------------------------------------


def add_months(day: _dt.date, months: int) -> _dt.date:
    """The same day `months` later; the month's last day where that day does not exist."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return _dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _date_of(value: str | None) -> _dt.date | None:
    if not value:
        return None
    return _dt.date.fromisoformat(value[:10])


def _london_date(value: str | None) -> _dt.date | None:
    if not value:
        return None
    from app.timeutil import LONDON, parse_utc

    try:
        return parse_utc(value).astimezone(LONDON).date()
    except ValueError:
        return _date_of(value)


# ---- the review ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    decision: str
    until_date: str | None
    reason_code: str
    reason: str
    decided_by: str
    decided_at: str


@dataclass(frozen=True)
class ReviewItem:
    record_type: str
    record_id: str
    reference: str
    status: str  # the request's own status
    rule: Rule
    counts_from: str  # the event's label
    event_date: str | None  # ISO date the period runs from; None while the event is not recorded
    due_on: str | None
    state: str  # due | not-due | waiting | kept | held | live
    why: str
    holds: tuple[str, ...] = ()  # hold reason codes
    decision: Decision | None = None

    @property
    def is_due(self) -> bool:
        return self.state == "due"

    def as_json(self) -> dict:
        return {"reference": self.reference, "kind": self.record_type, "status": self.status, "rule": self.rule.id,
                "rule_text": self.rule.text, "rule_source": self.rule.source, "counts_from": self.rule.counts_from,
                "event_date": self.event_date, "due_on": self.due_on, "state": self.state, "why": self.why,
                "holds": list(self.holds),
                "kept_until": self.decision.until_date if self.decision and self.decision.decision == "keep" else None}


STATE_WORDS = {"due": "Due for review", "not-due": "Not due yet", "waiting": "Waiting for the event",
               "kept": "Kept until a date", "held": "On legal hold", "live": "Still open"}


def _latest_decisions(vault) -> dict[str, Decision]:
    out: dict[str, Decision] = {}
    for row in vault.db.query("SELECT * FROM retention_decisions WHERE record_type = 'request' ORDER BY seq"):
        out[row["record_id"]] = Decision(row["decision"], row["until_date"], row["reason_code"], row["reason"],
                                         row["decided_by"], row["decided_at"])
    return out


def _recorded_events(vault) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    for row in vault.db.query("SELECT record_id, event, on_date FROM retention_events ORDER BY seq"):
        out[(row["record_id"], row["event"])] = row["on_date"]
    return out


def automatic_holds(vault) -> dict[str, set[str]]:
    """Request id -> hold reasons that come from the data: an open breach or an open subject
    access or FOI request naming it (or naming one of its subjects)."""
    from app.subject_access import open_request_coverage

    holds: dict[str, set[str]] = {}
    for row in vault.db.query("SELECT b.id, b.request_ids FROM breaches b WHERE NOT EXISTS ("
                              " SELECT 1 FROM breach_updates u WHERE u.breach_id = b.id AND u.kind = 'closed'"
                              " AND u.seq = (SELECT max(seq) FROM breach_updates v WHERE v.breach_id = b.id"
                              " AND v.kind IN ('closed','reopened')))"):
        for request_id in loads(row["request_ids"]):
            holds.setdefault(request_id, set()).add("open-breach")
    request_ids, subject_ids = open_request_coverage(vault)
    for request_id in request_ids:
        holds.setdefault(request_id, set()).add("open-sar")
    if subject_ids:
        marks = ", ".join("?" for _ in subject_ids)
        for row in vault.db.query(f"SELECT DISTINCT request_id FROM request_subjects WHERE subject_id IN ({marks})",
                                  tuple(subject_ids)):
            holds.setdefault(row["request_id"], set()).add("open-sar")
    return holds


def _rule_for(rules: list[Rule], sub_services: set[str]) -> Rule:
    for rule in rules[:-1]:
        if rule.record_kind == "request" and (rule.sub_service is None or rule.sub_service in sub_services):
            return rule
    return rules[-1]


def review(vault, *, today: _dt.date | None = None, due_only: bool = False, audit: bool = True) -> list[ReviewItem]:
    """Every retained request with its rule and state; with `due_only` the queue: what is due,
    oldest first. Listing is audited (a count, no personal data)."""
    require(vault.role, "retention.review", "review retained records")
    today = today or today_london()
    rights = load_information_rights()
    rules = rules_for_desk(vault)
    decisions = _latest_decisions(vault)
    recorded = _recorded_events(vault)
    holds = automatic_holds(vault)
    subs: dict[str, set[str]] = {}
    if any(r.sub_service for r in rules):  # only where a rule of this desk's agency names a sub-service
        for row in vault.db.query("SELECT request_id, sub_service FROM dispatches WHERE agency = ?", (vault.agency,)):
            subs.setdefault(row["request_id"], set()).add(row["sub_service"])
    last_contact: dict[str, str] = {}
    if any(r.counts_from == "last-contact" for r in rules):
        for row in vault.db.query("SELECT d.request_id, max(max(coalesce(d.updated_at, '')),"
                                  " max(coalesce(r.updated_at, ''))) AS at FROM dispatches d"
                                  " LEFT JOIN responses r ON r.dispatch_id = d.id GROUP BY d.request_id"):
            last_contact[row["request_id"]] = row["at"]
    items: list[ReviewItem] = []
    for row in vault.db.query("SELECT id, reference, status, updated_at FROM requests ORDER BY seq"):
        rid = row["id"]
        rule = _rule_for(rules, subs.get(rid, set()))
        event = rights.event(rule.counts_from)
        decision = decisions.get(rid)
        auto = sorted(holds.get(rid, ()))
        event_date: _dt.date | None
        if rule.counts_from == "request-closed":
            event_date = _london_date(row["updated_at"]) if row["status"] == "closed" else None
        elif rule.counts_from == "last-contact":
            event_date = _london_date(max(row["updated_at"], last_contact.get(rid, "")))
        else:
            event_date = _date_of(recorded.get((rid, rule.counts_from)))
        due = add_months(event_date, rule.period_months) if event_date else None
        hold_codes = list(auto)
        if decision and decision.decision == "hold":
            hold_codes.insert(0, decision.reason_code or "other")
        if row["status"] != "closed":
            state, why = "live", "The request is still open; retention counts from when it is closed."
        elif hold_codes:
            state = "held"
            why = "On hold: " + "; ".join(rights.hold_reasons.get(c, c) for c in hold_codes) + "."
        elif decision and decision.decision == "keep" and decision.until_date and \
                _dt.date.fromisoformat(decision.until_date) > today:
            state, why = "kept", f"Kept until {_uk(decision.until_date)}."
        elif due is None:
            state, why = "waiting", f"The rule counts from {event.label}: record that date to start it."
        elif due <= today:
            kept_past = decision and decision.decision == "keep"
            state = "due"
            why = (f"{rule.period_months} months after {event.label} ({_uk(event_date.isoformat())}) ended "
                   f"{_uk(due.isoformat())}" + ("; the date it was kept until has passed." if kept_past else "."))
        else:
            state, why = "not-due", f"Due {_uk(due.isoformat())}, {rule.period_months} months after {event.label}."
        items.append(ReviewItem("request", rid, row["reference"], row["status"], rule, event.label,
                                event_date.isoformat() if event_date else None, due.isoformat() if due else None,
                                state, why, tuple(hold_codes), decision))
    if due_only:
        items = [i for i in items if i.is_due]
        items.sort(key=lambda i: (i.due_on or "", i.reference))
    if audit:
        vault.audit("retention.reviewed", record_type="retention", reason=f"{len(items)} records")
    return items


def due_count(vault, *, today: _dt.date | None = None) -> int:
    return len(review(vault, today=today, due_only=True, audit=False))


def _uk(iso: str) -> str:
    day = _dt.date.fromisoformat(iso[:10])
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def _request_row(vault, ref_or_id: str):
    text = (ref_or_id or "").strip()
    row = vault.db.one("SELECT id, reference, status, origin_agency FROM requests WHERE id = ?", (text,))
    if row is None:
        rows = vault.db.query("SELECT id, reference, status, origin_agency FROM requests WHERE reference = ?",
                              (text.upper(),))
        if len(rows) > 1:
            rows = [r for r in rows if r["origin_agency"] == vault.agency] or rows[:1]
        row = rows[0] if rows else None
    if row is None:
        if vault.db.one("SELECT 1 FROM disposals WHERE items LIKE ?", (f'%"{text.upper()}"%',)):
            raise InvalidInput(f"{text.upper()} has already been disposed of; see its disposal certificate.")
        raise InvalidInput(f"There is no request {text} in this vault.")
    return row


# ---- decisions -----------------------------------------------------------------------------


def _decide(vault, ref: str, decision: str, *, until: str | None, reason_code: str, reason: str, action: str) -> None:
    require(vault.role, "retention.decide", "decide on retained records")
    row = _request_row(vault, ref)
    now = utc_now_iso()
    with vault.db.transaction():
        vault.db.execute("INSERT INTO retention_decisions (id, record_type, record_id, decision, until_date,"
                         " reason_code, reason, decided_by, decided_at) VALUES (?, 'request', ?, ?, ?, ?, ?, ?, ?)",
                         (new_id(), row["id"], decision, until, reason_code, reason, vault.actor, now))
        vault.db.execute("UPDATE requests SET last_reviewed_at = ? WHERE id = ?", (now, row["id"]))
        vault.audit(action, record_type="request", record_id=row["reference"], reason=reason_code or None)


def keep_until(vault, ref: str, until, reason: str, *, today: _dt.date | None = None) -> None:
    """Keep a record until a date, with the reason (the review comes back on that date)."""
    problems: list[Problem] = []
    try:
        day = parse_date(until)
    except (ValueError, TypeError):
        day = None
        problems.append(Problem("until", "The date must be a real date, like 27/3/2031"))
    else:
        if day is None:
            problems.append(Problem("until", "Enter the date to keep it until"))
        elif day <= (today or today_london()):
            problems.append(Problem("until", "The date to keep it until must be in the future"))
    reason = check_text(problems, "reason", reason, required=True, missing="Enter why it is kept", limit=2000)
    raise_if(problems, "Cannot keep the record")
    _decide(vault, ref, "keep", until=day.isoformat(), reason_code="kept", reason=reason, action="retention.kept")


def hold(vault, ref: str, reason_code: str, reason: str = "") -> None:
    """Put a record on legal hold: it is never due while the hold stands."""
    problems: list[Problem] = []
    codes = load_information_rights().hold_reasons
    if reason_code not in codes:
        problems.append(Problem("reason_code", "Choose why it is held"))
    reason = check_text(problems, "reason", reason, required=reason_code == "other",
                        missing="Say which legal reason holds it", limit=2000)
    raise_if(problems, "Cannot put the record on hold")
    _decide(vault, ref, "hold", until=None, reason_code=reason_code, reason=reason, action="retention.held")


def release(vault, ref: str, reason: str = "") -> None:
    """Lift a hold or a keep-until decision; the record's rule applies again."""
    problems: list[Problem] = []
    reason = check_text(problems, "reason", reason, limit=2000)
    raise_if(problems, "Cannot release the record")
    _decide(vault, ref, "release", until=None, reason_code="released", reason=reason, action="retention.released")


def record_event(vault, ref: str, event_id: str, on_date, *, today: _dt.date | None = None) -> None:
    """Record the date of an event a rule counts from (a subject's death, the end of proceedings)."""
    require(vault.role, "retention.decide", "record retention events")
    rights = load_information_rights()
    problems: list[Problem] = []
    recordable = [e.id for e in rights.events if e.recorded]
    if event_id not in recordable:
        problems.append(Problem("event", f"Choose one of: {', '.join(recordable)}"))
    try:
        day = parse_date(on_date)
    except (ValueError, TypeError):
        day = None
        problems.append(Problem("on_date", "The date must be a real date, like 27/3/2026"))
    else:
        if day is None:
            problems.append(Problem("on_date", "Enter the date of the event"))
        elif day > (today or today_london()):
            problems.append(Problem("on_date", "The date of the event must be today or in the past"))
    raise_if(problems, "Cannot record the event")
    row = _request_row(vault, ref)
    with vault.db.transaction():
        vault.db.execute("INSERT INTO retention_events (id, record_type, record_id, event, on_date, recorded_by,"
                         " recorded_at) VALUES (?, 'request', ?, ?, ?, ?, ?)",
                         (new_id(), row["id"], event_id, day.isoformat(), vault.actor, utc_now_iso()))
        vault.audit("retention.event_recorded", record_type="request", record_id=row["reference"], reason=event_id)


def decisions_of(vault, ref: str) -> list[Decision]:
    require(vault.role, "retention.review", "review retained records")
    row = _request_row(vault, ref)
    return [Decision(r["decision"], r["until_date"], r["reason_code"], r["reason"], r["decided_by"], r["decided_at"])
            for r in vault.db.query("SELECT * FROM retention_decisions WHERE record_id = ? ORDER BY seq", (row["id"],))]


# ---- disposal ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedItem:
    record_id: str
    reference: str
    rule: str
    due_on: str | None
    subjects: int  # subjects that go with it (no other request names them)
    subjects_kept: int  # subjects other requests still name
    dispatches: int
    responses: int
    sent_to: tuple[str, ...]  # agency codes the record went to (so they can be told)
    received_from: tuple[str, ...]

    def counts_text(self) -> str:
        return (f"{self.subjects} subject{'s' if self.subjects != 1 else ''}"
                f"{f' ({self.subjects_kept} kept: on other requests)' if self.subjects_kept else ''}, "
                f"{self.dispatches} dispatch{'es' if self.dispatches != 1 else ''}, "
                f"{self.responses} response{'s' if self.responses != 1 else ''}")


@dataclass(frozen=True)
class DisposalPlan:
    items: tuple[PlannedItem, ...]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return bool(self.items) and not self.problems


def _marks(values) -> str:
    return ", ".join("?" for _ in values)  # markers only: the values are parameters


def _chunks(values: list, size: int = 500):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _grouped(vault, sql: str, ids: list[str]) -> list:
    """Run `sql` (with one {marks}) over `ids` in chunks; all rows."""
    rows: list = []
    for chunk in _chunks(ids):
        rows.extend(vault.db.query(sql.format(marks=_marks(chunk)), tuple(chunk)))
    return rows


def _plan_items(vault, rows, by_id: dict[str, ReviewItem]) -> list[PlannedItem]:
    """What goes with each request, read in a few queries for all of them (a bulk disposal)."""
    ids = [r["id"] for r in rows]
    chosen = set(ids)
    subjects_of: dict[str, list[str]] = {}
    for r in _grouped(vault, "SELECT request_id, subject_id FROM request_subjects WHERE request_id IN ({marks})", ids):
        subjects_of.setdefault(r["request_id"], []).append(r["subject_id"])
    all_subjects = sorted({s for v in subjects_of.values() for s in v})
    named_by: dict[str, set[str]] = {}
    for r in _grouped(vault, "SELECT subject_id, request_id FROM request_subjects WHERE subject_id IN ({marks})",
                      all_subjects):
        named_by.setdefault(r["subject_id"], set()).add(r["request_id"])
    dispatches: dict[str, list] = {}
    for r in _grouped(vault, "SELECT id, request_id, agency, status FROM dispatches WHERE request_id IN ({marks})", ids):
        dispatches.setdefault(r["request_id"], []).append(r)
    responses: dict[str, int] = {}
    for r in _grouped(vault, "SELECT d.request_id, count(*) AS n FROM responses p JOIN dispatches d"
                             " ON d.id = p.dispatch_id WHERE d.request_id IN ({marks}) GROUP BY d.request_id", ids):
        responses[r["request_id"]] = r["n"]
    moves: dict[str, list] = {}
    for r in _grouped(vault, "SELECT request_id, direction, from_agency, to_agency FROM disclosures"
                             " WHERE request_id IN ({marks})", ids):
        moves.setdefault(r["request_id"], []).append(r)
    items = []
    for row in rows:
        rid = row["id"]
        subjects = subjects_of.get(rid, [])
        # A subject goes with the record when no request outside this disposal names it.
        going = sum(1 for sid in subjects if named_by.get(sid, set()) <= chosen)
        sent = {d["agency"] for d in dispatches.get(rid, []) if d["status"] != "draft"}
        received: set[str] = set()
        for d in moves.get(rid, []):
            if d["direction"] == "sent":
                sent.add(d["to_agency"])
            else:
                received.add(d["from_agency"])
        if row["origin_agency"] != vault.agency:
            received.add(row["origin_agency"])
        sent.discard(vault.agency)
        received.discard(vault.agency)
        review_item = by_id.get(rid)
        items.append(PlannedItem(rid, row["reference"], review_item.rule.id if review_item else "",
                                 review_item.due_on if review_item else None, going, len(subjects) - going,
                                 len(dispatches.get(rid, [])), int(responses.get(rid, 0)), tuple(sorted(sent)),
                                 tuple(sorted(received))))
    return items


def _rows_by_reference(vault, refs: list[str]) -> dict[str, Any]:
    """Each typed reference (or id) -> its request row; this desk's own where two agencies share one."""
    texts = [str(r).strip() for r in refs]
    uppers = sorted({t.upper() for t in texts} | set(texts))
    found: dict[str, Any] = {}
    rows = []
    for chunk in _chunks(uppers):
        marks = _marks(chunk)
        rows.extend(vault.db.query(f"SELECT id, reference, status, origin_agency FROM requests WHERE reference IN"
                                   f" ({marks}) OR id IN ({marks})", tuple(chunk) * 2))
    for r in rows:
        for key in (r["id"], r["reference"]):
            if key in found and found[key]["origin_agency"] == vault.agency:
                continue
            found[key] = r
    return found


def plan_disposal(vault, refs, *, today: _dt.date | None = None) -> DisposalPlan:
    """What disposing of these records would remove, and anything that stops it; changes nothing."""
    require(vault.role, "retention.dispose", "dispose of records")
    refs = [str(r) for r in (refs or []) if str(r).strip()]
    problems: list[Problem] = []
    if not refs:
        problems.append(Problem("refs", "Choose at least one record to dispose of"))
    by_id = {i.record_id: i for i in review(vault, today=today, audit=False)}
    found = _rows_by_reference(vault, refs)
    rows = []
    seen: set[str] = set()
    for ref in refs:
        row = found.get(ref.strip()) or found.get(ref.strip().upper())
        if row is None:
            try:
                _request_row(vault, ref)  # says "already disposed of" or "no such request"
            except InvalidInput as exc:
                problems.append(Problem(ref.strip(), str(exc)))
            continue
        if row["id"] in seen:
            continue
        seen.add(row["id"])
        item = by_id.get(row["id"])
        if row["status"] != "closed":
            problems.append(Problem(row["reference"], "is not closed; only a closed request can be disposed of"))
            continue
        if item is not None and item.state == "held":
            problems.append(Problem(row["reference"], item.why))
            continue
        if item is not None and item.state == "kept":
            problems.append(Problem(row["reference"], item.why + " Release it first to dispose of it."))
            continue
        rows.append(row)
    return DisposalPlan(tuple(_plan_items(vault, rows, by_id)), tuple(problems))


@dataclass(frozen=True)
class Certificate:
    id: str
    reference: str
    disposed_at: str
    approved_by: str
    items: tuple[dict, ...]  # reference, kind, rule, due_on, counts, sent_to, received_from
    head_seq: int
    head_mac: str

    @property
    def head_short(self) -> str:
        return f"{self.head_seq}:{self.head_mac[:16]}"

    @property
    def partners(self) -> tuple[str, ...]:
        return tuple(sorted({p for i in self.items for p in i.get("sent_to", [])}))

    @classmethod
    def from_row(cls, row) -> "Certificate":
        return cls(row["id"], row["reference"], row["disposed_at"], row["approved_by"], tuple(loads(row["items"])),
                   row["head_seq"], row["head_mac"])


def _next_certificate_reference(vault, year: int) -> str:
    from app.agreement import load_agreement  # noqa: F401 - the counter lives with the others

    with vault.db.transaction():
        key = f"{vault.agency}:{CERTIFICATE_PREFIX}"
        last = vault.db.scalar("SELECT last FROM reference_counters WHERE agency = ? AND year = ?", (key, year)) or 0
        vault.db.execute("INSERT INTO reference_counters (agency, year, last) VALUES (?, ?, ?)"
                         " ON CONFLICT(agency, year) DO UPDATE SET last = excluded.last", (key, year, last + 1))
    return f"{CERTIFICATE_PREFIX}-{year}-{last + 1:04d}"


def _remove_requests(vault, items: list[PlannedItem], certificate_ref: str,
                     progress: Callable[[int, int], None] | None = None) -> None:
    """Delete the requests and what hangs only off them; call inside the disposal's transaction."""
    db = vault.db
    ids = [i.record_id for i in items]
    chosen = set(ids)
    dispatch_ids = [r["id"] for r in _grouped(vault, "SELECT id FROM dispatches WHERE request_id IN ({marks})", ids)]
    response_ids = [r["id"] for r in _grouped(vault, "SELECT id FROM responses WHERE dispatch_id IN ({marks})",
                                              dispatch_ids)]
    subject_ids = sorted({r["subject_id"] for r in _grouped(
        vault, "SELECT subject_id FROM request_subjects WHERE request_id IN ({marks})", ids)})
    named_by: dict[str, set[str]] = {}
    for r in _grouped(vault, "SELECT subject_id, request_id FROM request_subjects WHERE subject_id IN ({marks})",
                      subject_ids):
        named_by.setdefault(r["subject_id"], set()).add(r["request_id"])
    orphans = [s for s in subject_ids if named_by.get(s, set()) <= chosen]
    by_id = {i.record_id: i for i in items}
    # The registers keep ids and references only: the free text of a movement goes.
    for chunk in _chunks(ids):
        db.execute(f"UPDATE disclosures SET what = ? WHERE request_id IN ({_marks(chunk)})",
                   (f"Disposed of ({certificate_ref})", *chunk))
    # A meeting keeps its agenda line, by reference only.
    for r in _grouped(vault, "SELECT id, request_id FROM meeting_agenda_items WHERE request_id IN ({marks})", ids):
        db.execute("UPDATE meeting_agenda_items SET kind = 'case', request_id = NULL, title = ? WHERE id = ?",
                   (f"{by_id[r['request_id']].reference} (disposed of, {certificate_ref})", r["id"]))
    from app.corrections import forget_disposed

    forget_disposed(vault, [("request", i) for i in ids] + [("response", i) for i in response_ids]
                    + [("subject", i) for i in orphans], certificate_ref)
    db.executemany("DELETE FROM responses WHERE id = ?", [(i,) for i in response_ids])
    db.executemany("DELETE FROM dispatches WHERE id = ?", [(i,) for i in dispatch_ids])
    db.executemany("DELETE FROM request_subjects WHERE request_id = ?", [(i,) for i in ids])
    db.executemany("DELETE FROM subjects WHERE id = ?", [(i,) for i in orphans])
    keys = set(ids) | set(dispatch_ids) | set(response_ids)
    for draft in db.query("SELECT user_id, form, record_key, payload FROM drafts"):
        if draft["record_key"] in keys or any(k in draft["form"] or k in draft["payload"] for k in keys):
            db.execute("DELETE FROM drafts WHERE user_id = ? AND form = ? AND record_key = ?",
                       (draft["user_id"], draft["form"], draft["record_key"]))
    db.executemany("DELETE FROM retention_events WHERE record_id = ?", [(i,) for i in ids])
    db.executemany("DELETE FROM retention_decisions WHERE record_id = ?", [(i,) for i in ids])
    db.executemany("DELETE FROM requests WHERE id = ?", [(i,) for i in ids])
    for n, item in enumerate(items, start=1):
        vault.audit("retention.disposed", record_type="request", record_id=item.reference, reason=certificate_ref)
        if progress:
            progress(n, len(items))


def dispose(vault, refs, *, approve: bool, today: _dt.date | None = None,
            progress: Callable[[int, int], None] | None = None) -> Certificate:
    """Dispose of the records, with the DPM's approval; returns the disposal certificate.

    Without `approve=True` nothing happens: the caller shows `plan_disposal`'s list first."""
    require(vault.role, "retention.dispose", "dispose of records")
    if not approve:
        raise InvalidInput("Nothing was disposed of: disposal needs the Data Protection Manager's approval.")
    plan = plan_disposal(vault, refs, today=today)
    raise_if(list(plan.problems), "Nothing was disposed of")
    year = today_london().year
    with vault.db.transaction():
        reference = _next_certificate_reference(vault, year)
        _remove_requests(vault, list(plan.items), reference, progress)
        for table in ("requests", "subjects", "responses"):
            # Merge the full-text index into one segment: deleted rows' tokens leave its pages.
            vault.db.execute(f"INSERT INTO {table}_fts({table}_fts) VALUES ('optimize')")  # our own names
        vault.db.execute("INSERT INTO subject_keys(subject_keys) VALUES ('optimize')")  # names' search keys too
        vault.audit("retention.certified", record_type="disposal", record_id=reference,
                    reason=f"{len(plan.items)} records")
        head = vault.chain_head()
        items = [{"reference": i.reference, "kind": "request", "rule": i.rule, "due_on": i.due_on,
                  "subjects": i.subjects, "dispatches": i.dispatches, "responses": i.responses,
                  "sent_to": list(i.sent_to), "received_from": list(i.received_from)} for i in plan.items]
        cert_id = new_id()
        vault.db.execute("INSERT INTO disposals (id, reference, disposed_at, approved_by, items, head_seq, head_mac)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (cert_id, reference, utc_now_iso(), vault.actor, dumps(items), head.seq, head.mac))
    vault.db.scrub()
    return get_certificate(vault, reference, audit=False)


def list_certificates(vault) -> list[Certificate]:
    require(vault.role, "retention.review", "see disposal certificates")
    return [Certificate.from_row(r) for r in vault.db.query("SELECT * FROM disposals ORDER BY seq DESC")]


def get_certificate(vault, ref: str, *, audit: bool = True) -> Certificate:
    """A certificate by its reference (DC-2026-0001) or by the reference of a record it disposed of."""
    require(vault.role, "retention.review", "see disposal certificates")
    text = (ref or "").strip().upper()
    row = vault.db.one("SELECT * FROM disposals WHERE reference = ?", (text,))
    if row is None:
        for candidate in vault.db.query("SELECT * FROM disposals WHERE items LIKE ? ORDER BY seq DESC",
                                        (f'%"{text}"%',)):
            if any(i.get("reference") == text for i in loads(candidate["items"])):
                row = candidate
                break
    if row is None:
        raise InvalidInput(f"There is no disposal certificate {text or '(none given)'} in this vault.")
    cert = Certificate.from_row(row)
    if audit:
        vault.audit("retention.certificate_viewed", record_type="disposal", record_id=cert.reference)
    return cert


@dataclass(frozen=True)
class RuleView:
    rule: Rule
    event_label: str
    agency_name: str
    kind_label: str
    applies_here: bool
    extra: dict = field(default_factory=dict)


def rule_views(vault) -> list[RuleView]:
    """Every rule with where it comes from, marked where it applies to this desk."""
    from app.agreement import load_agreement

    require(vault.role, "retention.review", "see the retention rules")
    rights = load_information_rights()
    agreement = load_agreement()
    here = {r.id for r in rules_for_desk(vault)}
    out = []
    for rule in all_rules(vault):
        agency = agreement.partner_name(rule.agency, rule.sub_service or "") if rule.agency else \
            f"This desk ({agreement.partner_name(vault.agency)})"
        out.append(RuleView(rule, rights.event(rule.counts_from).label, agency,
                            rights.record_kinds.get(rule.record_kind, rule.record_kind), rule.id in here))
    return out


MAX_REASON = min(MAX_TEXT, 2000)
