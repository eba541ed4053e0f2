"""Home's work list (issue 17): cards of linked lines, each saying what is waiting and opening it.

A card is made by a small function registered with `@card(order)`: it takes the session and
returns a `Card` (or None when it has nothing to show or the role may not see it). Each line is a
`Link`: its words, whether it is urgent (shown in red, bold, and said in words: "OVERDUE"), and
what clicking it does, a function of the main window (open a request, show an area). Adding a
card for corrections, disputes or reviews is one more function here or in its area's package:

    @card(50)
    def disputes(session):
        if not session.can("disputes.read"):
            return None
        items = app.disputes.open_disputes(session.vault)
        return Card("Disputes to settle", [Link(f"{d.reference}: ...", open_area("disputes")) for d in items])

Words are the user's, not the code's: no table names ("requests"), no "chain head".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from app.drafts import list_drafts
from app.errors import SpocError
from app.timeutil import london_display
from ui.kit.formatting import agency_name, plural, uk_date, uk_time

Go = Callable[[object], None]  # what a link does, given the main window


@dataclass(frozen=True)
class Link:
    text: str
    go: Go | None = None
    urgent: bool = False


@dataclass(frozen=True)
class Card:
    title: str
    links: list[Link]
    empty: str = ""                     # said when there are no links ("Nothing overdue.")
    more: Link | None = None            # "See all 12 overdue answers"
    key: str = field(default="", compare=False)


_MAKERS: list[tuple[int, str, Callable]] = []
SHOWN = 5  # lines a card shows before "See all …"


def card(order: int):
    """Register a card maker; cards show in `order` (lower first)."""
    def register(maker):
        _MAKERS.append((order, maker.__name__, maker))
        _MAKERS.sort(key=lambda m: (m[0], m[1]))
        return maker
    return register


def cards(session) -> list[Card]:
    """Every registered card this session's role may see and that has something to say."""
    out = []
    for _order, name, maker in list(_MAKERS):
        try:
            made = maker(session)
        except SpocError:
            continue  # a card the role cannot read is not shown
        if made is not None:
            out.append(Card(made.title, made.links, made.empty, made.more, key=name))
    return out


# ---- what links do --------------------------------------------------------------------------


def open_area(key: str, then: Callable[[object], None] | None = None) -> Go:
    def go(main) -> None:
        if main.show_area(key) and then is not None:
            area = main.area(key)
            if area is not None:
                then(area)
    return go


def open_request(request_id: str) -> Go:
    return open_area("requests", lambda area: area.open_request(request_id))


def requests_filter(value: str) -> Go:
    def choose(area) -> None:
        area.show_list()
        index = area.filter.findData(value)
        if index >= 0:
            area.filter.setCurrentIndex(index)
    return open_area("requests", choose)


# ---- the cards ---------------------------------------------------------------------------------


@card(10)
def to_answer(session):
    """A partner desk: requests other desks sent it, due first."""
    from app.requests import receives_requests, to_answer_page

    if not session.can("responses.write") or not receives_requests(session.vault):
        return None
    page = to_answer_page(session.vault, limit=SHOWN + 1)
    links = []
    for item in page.items[:SHOWN]:
        d = item.dispatch
        due = f"your answer was due {uk_date(d.due_date)}: OVERDUE" if d.is_overdue() else \
            f"your answer is due {uk_date(d.due_date)}" if d.due_date else "your answer is awaited"
        links.append(Link(f"{item.reference} from {agency_name(item.origin_agency)}: {due}",
                          open_request(item.request_id), d.is_overdue()))
    more = Link("See everything waiting for your answer", requests_filter("to-answer")) \
        if len(page.items) > SHOWN else None
    return Card("Waiting for your answer", links, "Nothing is waiting for your answer.", more)


@card(20)
def overdue_answers(session):
    """Answers this desk asked for and has not had by their due date (for chasing)."""
    from app.requests import count_overdue, overdue_page

    if not session.can("requests.read"):
        return None
    vault = session.vault
    total = count_overdue(vault, asked_by_us=True)
    page = overdue_page(vault, limit=SHOWN, asked_by_us=True)
    links = [Link(f"{o.reference}: {o.dispatch.agency_name}'s answer was due {uk_date(o.dispatch.due_date)} "
                  f"(OVERDUE by {plural(o.days_overdue, 'day')})", open_request(o.request_id), True)
             for o in page.items]
    if not links:
        return Card("Answers to chase", [], "No answer you asked for is overdue.")
    more = Link(f"See all {plural(total, 'overdue answer')}, oldest first", requests_filter("overdue")) \
        if total > len(links) else None
    return Card("Answers to chase", links, more=more)


@card(25)
def overdue_after_a_chase(session):
    """Clause 2.6: an answer overdue again after a chase goes to the lead officer."""
    from app.chasing import flagged

    if not session.can("requests.read"):
        return None
    again = flagged(session.vault)
    if not again:
        return None
    links = [Link(f.text(), open_request(f.request_id), True) for f in again[:SHOWN]]
    more = Link(f"See all {plural(len(again), 'answer')} overdue again", requests_filter("overdue")) \
        if len(again) > SHOWN else None
    return Card("For the lead officer: overdue again after a chase", links, more=more)


@card(30)
def breach_clocks(session):
    """The Data Protection Manager's open breaches and their clocks, overdue first, in red."""
    from app import breaches as core

    if not session.can("breaches.read"):
        return None
    items = core.list_breaches(session.vault, status="open", audit=False)  # overdue first, then nearest
    links = []
    for breach in items[:SHOWN]:
        parts, urgent = [], False
        for clock in (c for c in breach.clocks() if c.open):
            who = core.clock_heading(clock.name, "short").split(":")[0]
            if clock.overdue:
                urgent = True
                parts.append(f"tell the {who}: OVERDUE, was due {london_display(clock.deadline)}")
            else:
                parts.append(f"tell the {who} by {london_display(clock.deadline)}")
        text = f"{breach.reference} ({breach.category_name}): " + ("; ".join(parts) or "clocks met")
        links.append(Link(text, open_area("breaches", lambda area, ref=breach.reference: area.select(ref)), urgent))
    more = Link(f"See all {plural(len(items), 'open breach', 'open breaches')}", open_area("breaches")) \
        if len(items) > SHOWN else None
    return Card("Breach clocks", links, "No breach is open.", more)


_DRAFT_WORDS = {"breach_dialog": "The breach you were reporting is open again in its window",
                "settings": "Continue changing the settings", "users": "Continue the user account you were editing",
                "meetings": "Continue the meeting you were recording",
                "complaint_dialog": "The complaint you were recording is open again in its window",
                "users_dialog": "The approval and training you were recording is open again in its window",
                "governance_dialog": "The governance form you were filling in is open again in its window",
                "corrections_dialog": "The correction you were recording is open again in its window",
                "correction_strip_dialog": "The flag or correction you were recording is open again in its window",
                "partners": "Continue the contact you were adding or editing"}


@card(40)
def unsaved_drafts(session):
    """Unsaved work kept from the last session: "Continue your request MSR-2026-0093"."""
    from app.requests import reference_of_requests

    if session.user is None:
        return None
    vault = session.vault
    links = []
    for draft in list_drafts(vault):
        payload = draft.payload if isinstance(draft.payload, dict) else {}
        kept = f" (kept {uk_time(draft.saved_at)})"
        if draft.form == "requests":
            request_id = payload.get("request_id")
            reference = reference_of_requests(vault, [request_id])[0] if isinstance(request_id, str) else None
            if payload.get("page") == "response":
                text = f"Continue your answer to {reference}" if reference else "Continue your answer"
            else:
                text = f"Continue your request {reference}" if reference else "Continue your new request"
        elif draft.form == "breaches":
            links += _breach_updates(payload, kept)
            continue
        else:
            text = _DRAFT_WORDS.get(draft.form, "Continue your unsaved work")
        key = "requests" if draft.form == "requests" else draft.form
        links.append(Link(text + kept, open_area(key) if not key.endswith("_dialog") else None))  # a dialog: open already
    return Card("Unsaved work", links) if links else None


def _select_case(case_id: str) -> Go:
    return open_area("cases", lambda area: area.select(case_id))


@card(45)
def case_work_outstanding(session):
    """Referral outcomes awaited and open 4P actions on open cases: overdue actions first, in red;
    each opens its case."""
    from app.cases import outstanding

    if not session.can("cases.read"):
        return None
    waiting = outstanding(session.vault, limit=50)
    links = [Link(f"{o.case_reference}: {o.what}" + (f" — due {uk_date(o.due)}" if o.due else "")
                  + (" — OVERDUE" if o.overdue else ""), _select_case(o.case_id), o.overdue)
             for o in waiting[:SHOWN]]
    more = Link(f"See all {plural(len(waiting), 'thing')} outstanding in Cases", open_area("cases")) \
        if len(waiting) > SHOWN else None
    return Card("Cases: referral outcomes and actions outstanding", links, more=more) if links else None


def _breach_updates(payload: dict, kept: str) -> list[Link]:
    """The Breaches area's kept updates: "Continue the update to BR-2026-0003", one line for the
    breach and one for the complaint, each opening its form."""
    links = []
    for part, words in (("breach", "Continue the update to {}"), ("complaint", "Continue the update to complaint {}")):
        entry = payload.get(part)
        if not isinstance(entry, dict):
            continue
        reference = entry.get("reference")
        text = words.format(reference) if isinstance(reference, str) and reference else \
            f"Continue the update to the {part} you were recording"
        links.append(Link(text + kept, open_area("breaches", lambda area, p=part: area.show_kept_update(p))))
    return links


@card(50)
def corrections_outstanding(session):
    """The Data Protection Manager's corrections (7.2) not yet closed, oldest first, with their age."""
    from app.corrections import outstanding

    if not (session.can("accounts.acknowledge") and session.can("corrections.read")):
        return None
    waiting = outstanding(session.vault)
    links = [Link(f"{item.what}: {plural(item.age_days, 'day')} old", open_area("corrections"))
             for item in waiting[:SHOWN]]
    more = Link(f"See all {plural(len(waiting), 'correction')} outstanding", open_area("corrections")) \
        if len(waiting) > SHOWN else None
    return Card("Corrections outstanding (clause 7.2)", links, "No correction is outstanding.", more)


@card(60)
def consents_waiting(session):
    """Consent requests (6.2, 6.3): partners' to answer here, and this desk's awaiting an answer."""
    from app.consent import counts

    if not session.can("disclosures.write"):
        return None
    found = counts(session.vault)
    links = []
    if found["to_answer"]:
        links.append(Link(f"{plural(found['to_answer'], 'consent request')} from partners to answer",
                          open_area("consents"), True))
    if found["awaiting_answer"]:
        links.append(Link(f"{plural(found['awaiting_answer'], 'consent request')} of this desk awaiting the "
                          "partner's answer", open_area("consents")))
    return Card("Consents", links) if links else None


def _show_complaint(reference: str) -> Go:
    def choose(area) -> None:
        area.tabs.setCurrentWidget(area.complaints)
        area.complaints.select(reference)
    return open_area("breaches", choose)


@card(35)
def complaints_waiting(session):
    """Clause 10.1: open complaints waiting on the Data Protection Manager, their DPM clock
    overdue first and in red; each opens the Breaches area's Complaints tab at that complaint."""
    from app import complaints as core

    if not session.can("breaches.read"):
        return None
    waiting = core.list_complaints(session.vault, status="open", audit=False)  # overdue first, then nearest
    links = []
    for complaint in waiting[:SHOWN]:
        clock, state = complaint.dpm_clock(), complaint.state
        who = core.FROM_TITLES.get(complaint.complainant_kind, complaint.complainant_kind).lower()
        if complaint.complainant_agency:
            who += f" ({agency_name(complaint.complainant_agency)})"
        if clock.open:
            todo = f"tell the DPM: {clock.text()}"
        else:
            todo = "; ".join(words for words, missing in (("outcome to decide", not state.outcome),
                                                          ("reply to send", not state.replied_at)) if missing)
        links.append(Link(f"{complaint.reference} from {who}: {todo}", _show_complaint(complaint.reference),
                          clock.overdue))
    more = Link(f"See all {plural(len(waiting), 'open complaint')}",
                open_area("breaches", lambda area: area.tabs.setCurrentWidget(area.complaints))) \
        if len(waiting) > SHOWN else None
    return Card("Complaints waiting for the DPM (clause 10.1)", links, "No complaint is open.", more)


def _select_dispute(reference: str) -> Go:
    def choose(area) -> None:
        for row, dispute in enumerate(area.disputes):
            if dispute.reference == reference:
                area.dispute_table.selectRow(row)
                return
    return open_area("governance", choose)


@card(70)
def agreement_reviews_overdue(session):
    """Clause 13.4: partners whose review of the agreement is overdue (administrator and DPM)."""
    from app.governance import overdue_reviews

    if not session.can("disputes.manage"):
        return None
    late = overdue_reviews(session.vault)
    links = [Link(f"{s.partner_name}: signed {uk_date(s.signed_on)}, review was due {uk_date(s.review_due)}: "
                  "OVERDUE", open_area("governance"), True) for s in late[:SHOWN]]
    more = Link(f"See all {plural(len(late), 'review')} overdue", open_area("governance")) \
        if len(late) > SHOWN else None
    return Card("Agreement reviews overdue (clause 13.4)", links, more=more) if links else None


@card(72)
def disputes_past_their_clock(session):
    """Clause 13.3: open disputes past the time partners have to resolve them."""
    from app.governance import overdue_disputes

    if not session.can("disputes.manage"):
        return None
    late = overdue_disputes(session.vault)
    links = [Link(f"{d.reference} with {d.partner_name}: OVERDUE, was due {uk_date(d.due_on)}",
                  _select_dispute(d.reference), True) for d in late[:SHOWN]]
    more = Link(f"See all {plural(len(late), 'dispute')} past their clock", open_area("governance")) \
        if len(late) > SHOWN else None
    return Card("Disputes past their clock (clause 13.3)", links, more=more) if links else None


def _select_user(name: str) -> Go:
    return open_area("users", lambda area: area.select_user(name))


@card(74)
def users_without_approval_or_training(session):
    """Clauses 3.1 and 6.4: active casework users without a recorded approval or with training
    missing or lapsed. The administrator's lines open the user in Users, where both are recorded;
    the DPM sees the same lines (the DPM does not manage users, so they are not links)."""
    from app.governance import lapsed_training
    from app.records import today_london

    if not session.can("disputes.manage"):
        return None
    today = today_london()
    lapsed = lapsed_training(session.vault, today)
    links = []
    for s in lapsed[:SHOWN]:
        why = []
        if not s.approved:
            why.append("no approval recorded")
        if not s.trained_on:
            why.append("no training recorded")
        elif s.training_lapsed(today):
            why.append(f"training lapsed {uk_date(s.renewal_due)}")
        links.append(Link(f"{s.user_name}: {', '.join(why)}",
                          _select_user(s.user_name) if session.can("users.manage") else None))
    more = Link(f"See all {plural(len(lapsed), 'user')} in Users", open_area("users")) \
        if len(lapsed) > SHOWN and session.can("users.manage") else None
    return Card("Users without approval or in-date training (clauses 3.1, 6.4)", links, more=more) \
        if links else None
