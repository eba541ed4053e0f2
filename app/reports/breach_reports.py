"""Breach documents for the Data Protection Manager (clause 10; UK GDPR Art 33(5) asks for a record
of every breach, including decisions not to tell the ICO): one breach with its clocks and full
history, one complaint (10.1) with its DPM clock, outcome and reply, and the register of all
breaches followed by all complaints."""

from __future__ import annotations

import datetime as _dt
from xml.sax.saxutils import escape

from reportlab.platypus import Paragraph

from app import complaints as cp
from app.breaches import RISKS, clock_heading, get_breach, linked_labels, list_breaches
from app.errors import InvalidInput
from app.reports.documents import Content, partner_name, time_text
from app.reports.template import STYLES, field_block, grid, heading, summary_table
from app.timeutil import utc_now


def _ico_decision(breach) -> str:
    state = breach.state
    if state.ico_decision is None:
        return "Not decided"
    if state.ico_decision:
        told = f"; told {time_text(state.ico_notified_at)}, ICO reference {state.ico_reference}" \
            if state.ico_notified_at else "; not told yet"
        return "Tell the ICO" + told
    return f"Do not tell the ICO. Reason: {state.ico_decision_reason}"


def breach_doc(vault, reference: str) -> Content:
    breach = get_breach(vault, (reference or "").strip().upper(), audit=False)
    now = utc_now()
    dpm, ico = breach.clocks(now)
    state = breach.state
    story = [Paragraph(escape("Breach report"), STYLES.title),
             Paragraph(escape(f"{breach.reference}: {breach.category_name}, {partner_name(breach.agency)}. "
                              f"{'Open' if state.status == 'open' else 'Closed'}."), STYLES.subtitle),
             summary_table([
                 ("Reported by", breach.reporter),
                 ("Agency", partner_name(breach.agency)),
                 ("Category", breach.category_name),
                 ("Happened", time_text(breach.occurred_at) or "Not known"),
                 ("Agency became aware", time_text(breach.aware_at)),
                 ("Logged", f"{time_text(breach.created_at)} by {breach.created_by}"),
                 (clock_heading("dpm", "hours"), dpm.printed()),
                 (clock_heading("ico", "hours"), ico.printed()),
                 ("Risk", RISKS.get(state.risk or "", "Not assessed")),
                 ("ICO decision", _ico_decision(breach)),
                 ("Linked records", "; ".join(linked_labels(vault, breach)) or "None"),
                 ("People affected (approx.)", "" if breach.people_count is None else str(breach.people_count)),
                 ("Records affected (approx.)", "" if breach.records_count is None else str(breach.records_count)),
             ]),
             heading("What happened")]
    story += field_block("The facts", breach.facts)
    story += field_block("Data involved", breach.data_categories)
    story += field_block("Likely consequences", breach.consequences)
    story += field_block("Containment", breach.containment)
    story += field_block("Remedial action", breach.remedial)
    story.append(heading("History"))
    if breach.updates:
        story.append(grid(["When (UK)", "What", "Detail", "Recorded by"],
                          [[time_text(u.at), u.label, u.summary(), f"{u.recorded_by}, {time_text(u.recorded_at)}"]
                           for u in breach.updates], [1.6, 2.2, 5, 2]))
    else:
        story.append(Paragraph("No updates recorded yet.", STYLES.body))
    return Content("Breach report", breach.reference, story, names_subjects=bool(breach.subject_ids),
                   file_suffix="breach")


def register_doc(vault, reference: str = "all") -> Content:
    scope = (reference or "all").strip().lower()
    if scope not in ("all", "open"):
        raise InvalidInput(f"The breach register is printed for 'all' or 'open' breaches (got {reference!r}).")
    now = utc_now()
    breaches = list_breaches(vault, status="open" if scope == "open" else None, now=now, audit=False)
    rows = []
    for b in breaches:
        dpm, ico = b.clocks(now)
        rows.append([b.reference, b.category_name, partner_name(b.agency), time_text(b.aware_at), dpm.printed(),
                     ico.printed(), RISKS.get(b.state.risk or "", "Not assessed"), _ico_decision(b),
                     "Open" if b.state.status == "open" else "Closed"])
    overdue = sum(1 for b in breaches if b.is_overdue(now))
    complaints = cp.list_complaints(vault, status="open" if scope == "open" else None, now=now, audit=False)
    story = [Paragraph(escape("Breach register"), STYLES.title),
             Paragraph(escape(f"{len(breaches)} {'open ' if scope == 'open' else ''}breaches, {overdue} with a clock "
                              f"overdue. Every breach is listed, including decisions not to tell the ICO."),
                       STYLES.subtitle)]
    story.append(grid(["Reference", "Category", "Agency", "Aware", clock_heading("dpm", "column"),
                       clock_heading("ico", "column"), "Risk", "ICO decision", "Status"], rows,
                      [1.5, 1.9, 1.7, 1.4, 2.2, 2.2, 1.6, 3, 0.9], wide=True)
                 if rows else Paragraph("No breaches are recorded.", STYLES.body))
    story.append(heading(f"Complaints ({len(complaints)})"))
    story.append(Paragraph(escape(f"Complaints relative to the agreement (clause 10.1), counted apart from "
                                  f"breaches; {sum(1 for c in complaints if c.is_overdue(now))} with the "
                                  f"Data Protection Manager's clock overdue."), STYLES.body))
    story.append(grid(["Reference", "From", "About", "Received", clock_heading("dpm", "column"), "Outcome",
                       "Reply", "Status"],
                      [_complaint_row(c, now) for c in complaints], [1.5, 2.6, 3.6, 1.4, 2.2, 2.4, 1.4, 1.1],
                      wide=True)
                 if complaints else Paragraph("No complaints are recorded.", STYLES.body))
    today = _dt.date.today().strftime("%Y%m%d")
    return Content("Breach register", f"BREACHES-{scope.upper()}-{today}", story, file_suffix="register",
                   landscape=True)


def _outcome_text(complaint) -> str:
    state = complaint.state
    if state.outcome is None:
        return "Not decided"
    text = cp.OUTCOMES.get(state.outcome, state.outcome)
    if state.outcome_partner:
        text += f" ({partner_name(state.outcome_partner)})"
    return text


def _complaint_row(c, now) -> list[str]:
    about = c.about if len(c.about) <= 300 else c.about[:300] + "…"
    return [c.reference, c.from_text, about, time_text(c.received_at), c.dpm_clock(now).text(), _outcome_text(c),
            time_text(c.state.replied_at) or "Not yet", "Answered" if c.state.status == "answered" else "Open"]


def complaint_doc(vault, reference: str) -> Content:
    """One complaint (10.1): who, about what, received when and how, the DPM clock, the outcome,
    the reply and the whole history, marked like every document."""
    complaint = cp.get_complaint(vault, (reference or "").strip().upper(), audit=False)
    now = utc_now()
    state = complaint.state
    story = [Paragraph(escape("Complaint report"), STYLES.title),
             Paragraph(escape(f"{complaint.reference}: a complaint relative to the agreement (clause 10.1), about "
                              f"{partner_name(complaint.agency)}. "
                              f"{'Answered' if state.status == 'answered' else 'Open'}."), STYLES.subtitle),
             summary_table([
                 ("From", complaint.from_text),
                 ("About the agency", partner_name(complaint.agency)),
                 ("Received", time_text(complaint.received_at)),
                 ("Received by", cp.HOW_TITLES.get(complaint.received_how, complaint.received_how)),
                 ("Logged", f"{time_text(complaint.created_at)} by {complaint.created_by}"),
                 (clock_heading("dpm", "hours"), complaint.dpm_clock(now).text()),
                 ("Outcome", _outcome_text(complaint)),
                 ("Reason for the outcome", state.outcome_reason or ""),
                 ("Reply sent", time_text(state.replied_at) or "Not yet"),
                 ("Linked records", "; ".join(cp.linked_labels(vault, complaint)) or "None"),
             ]),
             heading("The complaint")]
    story += field_block("What it is about", complaint.about)
    story.append(heading("History"))
    if complaint.updates:
        story.append(grid(["When (UK)", "What", "Detail", "Recorded by"],
                          [[time_text(u.at), u.label, u.summary(), f"{u.recorded_by}, {time_text(u.recorded_at)}"]
                           for u in complaint.updates], [1.6, 2.2, 5, 2]))
    else:
        story.append(Paragraph("No updates recorded yet.", STYLES.body))
    return Content("Complaint report", complaint.reference, story, names_subjects=bool(complaint.subject_ids),
                   file_suffix="complaint")
