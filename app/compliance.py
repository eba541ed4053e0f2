"""The joint compliance report (clause 13.1): for a period and for all partners or one.

Counts, clocks and ids only: no names, no request text. The report is a list of sections, each
made by one builder function `builder(scope) -> Section`; `SECTIONS` lists them in print order.
An area of the app (consents, corrections, chasing, complaints) adds its section by writing one
builder in its own module and listing it in `SECTIONS` (see docs/governance.md, "Adding a section").
"""

from __future__ import annotations

import datetime as _dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from app.agreement import load_agreement
from app.chasing import chases_section
from app.complaints import complaints_section
from app.consent import consent_section
from app.corrections import corrections_section
from app.errors import InvalidInput
from app.records import parse_date, today_london
from app.roles import require
from app.timeutil import LONDON, utc_now


@dataclass(frozen=True)
class Chart:
    """A bar chart: one series per name, one bar per label (drawn by app.reports with reportlab)."""

    title: str
    labels: tuple[str, ...]
    series: tuple[tuple[str, tuple[float, ...]], ...]
    unit: str


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    clause: str
    lines: tuple[str, ...] = ()  # one-line findings, plain text
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    widths: tuple[float, ...] = ()  # relative column widths for the PDF
    chart: Chart | None = None


@dataclass(frozen=True)
class Scope:
    vault: object
    start: _dt.date
    end: _dt.date  # inclusive
    partner: str | None
    today: _dt.date
    now: _dt.datetime

    @property
    def start_utc(self) -> str:
        return _london_midnight_utc(self.start)

    @property
    def end_utc(self) -> str:  # exclusive: midnight after the last day
        return _london_midnight_utc(self.end + _dt.timedelta(days=1))

    @property
    def period_text(self) -> str:
        return f"{_uk(self.start)} to {_uk(self.end)}"

    def partner_clause(self, column: str) -> tuple[str, tuple]:
        """SQL to keep one partner's rows (our own column names, never input)."""
        if self.partner is None:
            return "", ()
        return f" AND {column} = ?", (self.partner,)


@dataclass(frozen=True)
class ComplianceReport:
    scope: Scope
    sections: tuple[Section, ...] = field(default_factory=tuple)

    @property
    def reference(self) -> str:
        who = self.scope.partner or "ALL"
        return f"COMPLIANCE-{who}-{self.scope.start:%Y%m%d}-{self.scope.end:%Y%m%d}"


def _london_midnight_utc(day: _dt.date) -> str:
    return _dt.datetime(day.year, day.month, day.day, tzinfo=LONDON).astimezone(_dt.timezone.utc).isoformat()


def _uk(day: _dt.date | str | None) -> str:
    if day is None:
        return ""
    if isinstance(day, str):
        day = _dt.date.fromisoformat(day[:10])
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def _uk_at(at: str) -> str:
    """The UK date of a stored UTC time."""
    return _uk(_dt.datetime.fromisoformat(at).astimezone(LONDON).date())


def _name(code: str) -> str:
    return load_agreement().partner_name(code)


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (0.9 for the 90th) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-int(round(fraction * 1000)) * len(ordered) // 1000))
    return ordered[min(rank, len(ordered)) - 1]


def _days(value: float) -> str:
    return f"{value:.1f}"


def parse_scope(vault, ref: str, *, today: _dt.date | None = None) -> Scope:
    """'FROM..TO' or 'FROM..TO/PARTNER' (dates YYYY-MM-DD or DD/MM/YYYY); 'all' = this quarter so far."""
    today = today or today_london()
    text = (ref or "all").strip()
    partner = None
    if "/" in text and ".." in text:
        head, _, tail = text.rpartition("/")
        if tail and not tail[0].isdigit():
            text, partner = head, tail.strip().upper()
    if text.lower() == "all":
        start = _dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        end = today
    else:
        first, sep, last = text.partition("..")
        if not sep:
            raise InvalidInput(f"The compliance report needs a period as FROM..TO (got {ref!r}).")
        try:
            start, end = parse_date(first.strip()), parse_date(last.strip())
        except (ValueError, TypeError):
            raise InvalidInput(f"The period {ref!r} has a date that is not a real date (use YYYY-MM-DD).") from None
        if start is None or end is None:
            raise InvalidInput("The compliance report needs both dates of the period (--from and --to).")
    if end < start:
        raise InvalidInput(f"The period ends ({_uk(end)}) before it starts ({_uk(start)}).")
    if partner is not None and partner not in load_agreement().partner_codes():
        raise InvalidInput(f"{partner!r} is not a partner of {load_agreement().info.short_name}.")
    return Scope(vault, start, end, partner, today, utc_now())


def scope_ref(start: _dt.date, end: _dt.date, partner: str | None = None) -> str:
    return f"{start.isoformat()}..{end.isoformat()}" + (f"/{partner}" if partner else "")


# ---- the sections ---------------------------------------------------------------------------


def requests_section(scope: Scope) -> Section:
    """Requests sent and answered, and each agency's response times (median, 90th percentile)."""
    where, params = scope.partner_clause("d.agency")
    rows = scope.vault.db.query(
        "SELECT d.agency, d.status, d.due_date, d.closed_at, r.origin_agency,"
        " julianday(d.closed_at) - julianday(d.sent_at) AS took"
        " FROM dispatches d JOIN requests r INDEXED BY requests_origin ON r.id = d.request_id"
        " WHERE d.sent_at >= ? AND d.sent_at < ?" + where, (scope.start_utc, scope.end_utc) + params)
    by_agency: dict[str, dict] = defaultdict(lambda: {"sent": 0, "answered": 0, "nil": 0, "declined": 0,
                                                      "open_overdue": 0, "late": 0, "times": []})
    today = scope.today.isoformat()
    sent_here = received_here = 0
    for r in rows:
        a = by_agency[r["agency"]]
        a["sent"] += 1
        if r["origin_agency"] == scope.vault.agency:
            sent_here += 1
        else:
            received_here += 1
        status = r["status"]
        if status in ("responded", "nil-return", "declined"):
            a["answered"] += 1
            a["nil"] += status == "nil-return"
            a["declined"] += status == "declined"
            if r["took"] is not None:
                a["times"].append(max(0.0, float(r["took"])))
            if r["closed_at"] and r["due_date"] and r["closed_at"][:10] > r["due_date"]:
                a["late"] += 1
        elif status in ("sent", "acknowledged") and r["due_date"] and r["due_date"] < today:
            a["open_overdue"] += 1
    order = {code: n for n, code in enumerate(load_agreement().partner_codes())}
    table = []
    labels, medians, p90s = [], [], []
    for code in sorted(by_agency, key=lambda c: order.get(c, 99)):
        a = by_agency[code]
        times = a["times"]
        median = statistics.median(times) if times else None
        p90 = percentile(times, 0.9) if times else None
        table.append((_name(code), str(a["sent"]), str(a["answered"]), str(a["nil"]), str(a["declined"]),
                      _days(median) if median is not None else "–", _days(p90) if p90 is not None else "–",
                      str(a["open_overdue"]), str(a["late"])))
        if times:
            labels.append(code)
            medians.append(round(median, 1))
            p90s.append(round(p90, 1))
    total = sum(a["sent"] for a in by_agency.values())
    answered = sum(a["answered"] for a in by_agency.values())
    lines = (f"{total} agency requests sent in the period ({sent_here} by this desk, {received_here} received "
             f"from partners); {answered} answered.",
             f"Nil returns: {sum(a['nil'] for a in by_agency.values())}; declined: "
             f"{sum(a['declined'] for a in by_agency.values())}; overdue now: "
             f"{sum(a['open_overdue'] for a in by_agency.values())}; answered after the due date: "
             f"{sum(a['late'] for a in by_agency.values())}.")
    chart = Chart("Response times per agency (days)", tuple(labels),
                  (("Median", tuple(medians)), ("90th percentile", tuple(p90s))), "days") if labels else None
    return Section("requests", "Requests and response times", "2.6, 5.3", lines,
                   ("Agency", "Sent", "Answered", "Nil", "Declined", "Median days", "90th pct days",
                    "Overdue now", "Late at answer"), tuple(table), (2.6, 0.9, 1.4, 0.8, 1.2, 1.2, 1.2, 1.2, 1.2), chart)


def lawful_bases_section(scope: Scope) -> Section:
    where, params = scope.partner_clause("s.origin_agency")
    rows = scope.vault.db.query(
        "SELECT b.value AS basis, count(*) AS n FROM responses s, json_each(s.lawful_bases) b"
        " WHERE s.kind = 'disclosure' AND s.response_date >= ? AND s.response_date <= ?" + where +
        " GROUP BY b.value ORDER BY n DESC", (scope.start.isoformat(), scope.end.isoformat()) + params)
    agreement = load_agreement()

    def title(basis: str) -> str:
        try:
            return agreement.lawful_basis(basis).title
        except KeyError:
            return f"{basis} (not in this agreement)"

    disclosures = scope.vault.db.scalar(
        "SELECT count(*) FROM responses s WHERE s.kind = 'disclosure' AND s.response_date >= ? AND s.response_date <= ?"
        + where, (scope.start.isoformat(), scope.end.isoformat()) + params)
    return Section("lawful-bases", "Lawful bases cited in disclosures", "5.4.1, App. 3",
                   (f"{disclosures} disclosures made in the period.",),
                   ("Lawful basis", "Times cited"), tuple((title(r["basis"]), str(r["n"])) for r in rows), (6, 1.4))


def onward_section(scope: Scope) -> Section:
    """Onward disclosures (5.3, 9.4) and every disclosure of another partner's information, with
    and without the written consent it needed (6.2, 6.3; app.consent's own notion of the items)."""
    from app.consent import onward_consent

    counts, without = onward_consent(scope.vault, scope.start_utc, scope.end_utc, scope.partner, list_limit=10)
    order = {code: n for n, code in enumerate(load_agreement().partner_codes())}
    counts = [c for c in counts if c.onward or c.meeting or c.needed]
    counts.sort(key=lambda c: order.get(c.to_agency, 99))

    def total(name: str) -> int:
        return sum(getattr(c, name) for c in counts)

    lines = [f"Onward disclosures recorded in the period: {total('onward')} ({total('onward_no_basis')} without a "
             f"lawful basis recorded); further disclosures permitted at tactical meetings: {total('meeting')}.",
             f"Further disclosures (onward, at meetings, exchange files) that carried information another partner "
             f"provided: {total('needed')}; with the written consent they needed: {total('with_consent')}; without "
             f"it: {total('without_consent')}. (Request and response packages between the asking and the "
             "answering desk are checked the same way when they are sent, and not counted here.)"]
    if scope.partner:
        lines.append(f"Disclosures to {scope.partner}, and disclosures to others of information {scope.partner} "
                     "provided.")
    if without:
        lines.append("Without the consent they needed: " + "; ".join(
            f"{w['reference'] or 'no request'} to {w['to_agency']} on {_uk_at(w['at'])} ({w['kind']})" for w in without)
            + (f"; and {total('without_consent') - len(without)} more" if total('without_consent') > len(without)
               else "") + ".")
    return Section("onward", "Onward disclosures and the consent they needed", "5.3, 6.2, 6.3, 9.4", tuple(lines),
                   ("To", "Onward", "No lawful basis", "At meetings", "Needing consent", "With consent",
                    "Without consent"),
                   tuple((_name(c.to_agency), str(c.onward), str(c.onward_no_basis), str(c.meeting), str(c.needed),
                          str(c.with_consent), str(c.without_consent)) for c in counts),
                   (3, 1, 1.4, 1.3, 1.5, 1.4, 1.5))


def breaches_section(scope: Scope) -> Section:
    from app.breaches import Breach, BreachUpdate, clock_heading

    where, params = scope.partner_clause("agency")
    db = scope.vault.db
    found = db.query("SELECT * FROM breaches WHERE aware_at >= ? AND aware_at < ?" + where + " ORDER BY seq",
                     (scope.start_utc, scope.end_utc) + params)
    updates: dict[str, list] = defaultdict(list)
    if found:
        for r in db.query("SELECT * FROM breach_updates WHERE breach_id IN (SELECT id FROM breaches"
                          " WHERE aware_at >= ? AND aware_at < ?" + where + ") ORDER BY seq",
                          (scope.start_utc, scope.end_utc) + params):
            updates[r["breach_id"]].append(BreachUpdate.from_row(r))
    per_category: dict[str, Counter] = defaultdict(Counter)
    by_month: Counter = Counter()
    for row in found:
        breach = Breach.from_row(row, updates.get(row["id"], ()))
        dpm, ico = breach.clocks(scope.now)
        counts = per_category[breach.category_name]
        counts["n"] += 1
        for name, clock in (("dpm", dpm), ("ico", ico)):
            if clock.state == "met":
                counts[f"{name}_met"] += 1
            elif clock.state in ("late", "overdue"):
                counts[f"{name}_missed"] += 1
        aware = _dt.datetime.fromisoformat(breach.aware_at).astimezone(LONDON)
        by_month[f"{aware:%Y-%m}"] += 1
    months = []
    day = scope.start.replace(day=1)
    while day <= scope.end and len(months) < 36:
        months.append(f"{day:%Y-%m}")
        day = (day + _dt.timedelta(days=32)).replace(day=1)
    chart = Chart("Breaches by month (when the agency became aware)", tuple(_month_label(m) for m in months),
                  (("Breaches", tuple(float(by_month[m]) for m in months)),), "breaches") if found else None
    rows = tuple((category, str(c["n"]), str(c["dpm_met"]), str(c["dpm_missed"]), str(c["ico_met"]),
                  str(c["ico_missed"])) for category, c in sorted(per_category.items()))
    return Section("breaches", "Breaches and their clocks", "10.1, 10.2",
                   (f"{len(found)} breaches became known in the period.",),
                   ("Category", "Breaches", f"{clock_heading('dpm', 'hours')}: met", "missed",
                    f"{clock_heading('ico', 'hours')}: met", "missed"), rows, (3.2, 1.3, 2.4, 1.1, 2.4, 1.1), chart)


def _month_label(month: str) -> str:
    year, number = month.split("-")
    return f"{_dt.date(int(year), int(number), 1):%b} {year[2:]}"


def suspensions_section(scope: Scope) -> Section:
    where, params = scope.partner_clause("partner")
    rows = scope.vault.db.query(
        "SELECT partner, from_at, lifted_at FROM partner_suspensions WHERE from_at < ?"
        " AND (lifted_at IS NULL OR lifted_at >= ?)" + where + " ORDER BY from_at",
        (scope.end_utc, scope.start_utc) + params)
    return Section("suspensions", "Suspensions of sharing", "13.2",
                   (f"{len(rows)} suspensions in force during the period.",),
                   ("Partner", "From", "Lifted"),
                   tuple((_name(r["partner"]), _uk(r["from_at"]), _uk(r["lifted_at"]) or "Still suspended")
                         for r in rows), (4, 2, 2))


def disputes_section(scope: Scope) -> Section:
    from app.governance import dispute_clock_words

    where, params = scope.partner_clause("partner")
    rows = scope.vault.db.query(
        "SELECT reference, partner, raised_by, raised_on, due_on, status, closed_on FROM disputes"
        " WHERE raised_on <= ? AND (closed_on IS NULL OR closed_on >= ?)" + where + " ORDER BY raised_on",
        (scope.end.isoformat(), scope.start.isoformat()) + params)
    today = scope.today.isoformat()
    out = []
    for r in rows:
        if r["status"] == "open":
            state = "OVERDUE" if r["due_on"] < today else "Open"
        else:
            state = f"{r['status'].capitalize()} {_uk(r['closed_on'])}, " + (
                "within the clock" if r["closed_on"] <= r["due_on"] else "after the clock")
        out.append((r["reference"], _name(r["partner"]), "Us" if r["raised_by"] == "us" else "Partner",
                    _uk(r["raised_on"]), _uk(r["due_on"]), state))
    return Section("disputes", "Disputes", "13.3",
                   (f"{len(rows)} disputes open during the period; the clock is {dispute_clock_words()}.",),
                   ("Reference", "With", "Raised by", "Raised", "Due", "State"), tuple(out), (2, 2.6, 1, 1.5, 1.5, 2.6))


def information_rights_section(scope: Scope) -> Section:
    from app.subject_access import KINDS, Event, compute_clock

    db = scope.vault.db
    from app.records import loads

    period = (scope.start.isoformat(), scope.end.isoformat())
    found = db.query("SELECT id, kind, received_on FROM info_requests WHERE received_on >= ? AND received_on <= ?",
                     period)
    events: dict[str, list] = defaultdict(list)
    for r in db.query("SELECT info_request_id, kind, on_date, details FROM info_request_events WHERE info_request_id"
                      " IN (SELECT id FROM info_requests WHERE received_on >= ? AND received_on <= ?) ORDER BY seq",
                      period):
        events[r["info_request_id"]].append(Event("", r["kind"], r["on_date"], loads(r["details"]) or {}, "", ""))
    counts: dict[str, Counter] = defaultdict(Counter)
    for r in found:
        clock = compute_clock(r["kind"], r["received_on"], events.get(r["id"], ()), scope.today)
        counts[r["kind"]]["n"] += 1
        counts[r["kind"]][clock.state] += 1
    rows = tuple((KINDS.get(kind, kind), str(c["n"]), str(c["answered"]), str(c["late"]),
                  str(c["running"] + c["stopped"]), str(c["overdue"])) for kind, c in sorted(counts.items()))
    return Section("information-rights", "Subject access and FOI requests", "12",
                   (f"{len(found)} requests received in the period (this desk's own; partners report theirs).",),
                   ("Kind", "Received", "Answered on time", "Answered late", "Open in time or stopped",
                    "Overdue now"), rows, (3.2, 1.2, 1.6, 1.4, 1.8, 1.2))


def reviews_and_training_section(scope: Scope) -> Section:
    from app.governance import lapsed_training, overdue_reviews

    reviews = overdue_reviews(scope.vault, scope.today)
    if scope.partner:
        reviews = [s for s in reviews if s.partner == scope.partner]
    people = lapsed_training(scope.vault, scope.today)
    lines = [f"Agreement reviews overdue (13.4): {len(reviews)}."]
    lines += [f"{s.partner_name}: signed {_uk(s.signed_on)}, review was due {_uk(s.review_due)}" for s in reviews]
    lines.append(f"Casework users of this desk without approval or with training missing or lapsed (3.1, 6.4): "
                 f"{len(people)}.")
    lines += [f"{p.user_name} ({p.role}): {'; '.join(p.problems(scope.today))}" for p in people]
    return Section("governance", "Agreement reviews and users' training", "3.1, 6.4, 13.4", tuple(lines))


def reconciliation_section(scope: Scope) -> Section:
    from app.reconcile import latest_mismatches

    found = latest_mismatches(scope.vault, scope.partner)
    rows = tuple((_name(m["partner"]), m["what"], m["id"], m["detail"]) for m in found)
    latest = scope.vault.db.query(
        "SELECT partner, made_at, imported_at, rows, mismatches FROM compliance_returns c WHERE seq ="
        " (SELECT max(seq) FROM compliance_returns WHERE partner = c.partner)" +
        (" AND partner = ?" if scope.partner else "") + " ORDER BY partner", (scope.partner,) if scope.partner else ())
    import json

    lines = [f"Compliance returns imported from {len(latest)} partner desks; {len(found)} mismatches in the "
             "latest return of each."]
    lines += [f"{_name(r['partner'])}: return made {_uk(r['made_at'])}, imported {_uk(r['imported_at'])}; "
              f"{len(json.loads(r['rows']))} register rows, {len(json.loads(r['mismatches']))} mismatches"
              for r in latest]
    return Section("reconciliation", "Reconciliation with partner desks", "13.1", tuple(lines),
                   ("Partner", "Mismatch", "Register row or audit head", "Detail"), rows, (2.4, 2.6, 3, 4))


# The report, in print order. To add a section: write `def my_section(scope) -> Section` (in its
# own area's module, importing Section inside the function) and list it here.
SECTIONS: list[Callable[[Scope], Section]] = [
    requests_section,
    chases_section,
    lawful_bases_section,
    onward_section,
    consent_section,
    corrections_section,
    breaches_section,
    complaints_section,
    suspensions_section,
    disputes_section,
    information_rights_section,
    reviews_and_training_section,
    reconciliation_section,
]


def compliance_report(vault, ref: str = "all", *, today: _dt.date | None = None) -> ComplianceReport:
    require(vault.role, "compliance.read", "see the compliance report")
    scope = parse_scope(vault, ref, today=today)
    return ComplianceReport(scope, tuple(builder(scope) for builder in SECTIONS))
