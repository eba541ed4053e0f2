"""The tactical meeting pack (2.7, Appendix 1, Appendix 2a) a chair prints for the table: cover,
agenda, the Appendix 1 confidentiality statement with an attendance and signature table, a
summary of each case on the agenda (subjects, the request, responses received, disclosures,
what the meeting decided), actions under Pursue, Prevent, Protect and Prepare (this meeting's
and those still open from earlier meetings), further-disclosure decisions, and space for notes.

Built to stay readable at hundreds of pages: every case starts on a new page under a numbered
heading that matches the agenda, and every table repeats its header on each page.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.platypus import KeepTogether, PageBreak, Paragraph
from reportlab.lib.units import mm

from app.agreement import load_agreement
from app.disclosures import Disclosure
from app.meetings import ACTION_STATUS_LABELS, by_four_p, get_meeting, open_actions_before
from app.requests import get_request
from app.responses import latest_response
from app.reports.case_reports import agenda_case_story
from app.roles import can
from app.reports.documents import (MOVEMENTS, Content, basis_title, channel_name, date_text, dispatch_words,
                                   partner_name, subjects_table, time_text)
from app.reports.template import (STYLES, field_block, grid, heading, markup, para, spacer, subheading,
                                  summary_table, write_in_space)

ANSWERS = {"disclosure": "Disclosed", "nil-return": "Nil return", "declined": "Declined"}


def _cover(meeting) -> list:
    agreement = load_agreement()
    attending = ", ".join(partner_name(code) for code in meeting.agencies) or "None recorded yet"
    return [
        spacer(20),
        Paragraph(escape(agreement.request_form.operation), STYLES.subheading),
        Paragraph("Tactical meeting pack", STYLES.title),
        Paragraph(escape(f"{meeting.reference} · {meeting.status_label}"), STYLES.subtitle),
        summary_table([
            ("Date and time", f"{meeting.held_at_display} (UK time)"),
            ("Place", meeting.place),
            ("Chair", f"{meeting.chair} ({partner_name(meeting.chair_agency)})"),
            ("Agencies attending", attending),
            ("On the agenda", f"{len(meeting.agenda)} item{'s' if len(meeting.agenda) != 1 else ''}"),
        ]),
        spacer(8),
        markup("This pack is marked OFFICIAL-SENSITIVE and must be held securely (Appendix 1 para 2). "
               "Information in it was shared under the Modern Slavery information sharing agreement: it may "
               "be used only for the agreed purpose, and nothing beyond what the meeting agrees may be "
               "disclosed outside it without the chair's permission (Appendix 1 paras 3 and 4) and the "
               "written consent of the partner that provided it (section 6)."),
        PageBreak(),
    ]


def _agenda(meeting) -> list:
    story = [heading("Agenda")]
    items = [[str(n), item.label, item.notes] for n, item in enumerate(meeting.agenda, start=1)]
    if items:
        story.append(grid(["#", "Item", "Notes"], items, [0.5, 4, 6]))
    else:
        story.append(para("Nothing is on the agenda yet."))
    story.append(markup("Standing items: the Appendix 1 confidentiality statement; actions under Pursue, "
                        "Prevent, Protect and Prepare; any further disclosure (Appendix 1 para 4); "
                        "any other business.", STYLES.small))
    return story


def _statement(meeting) -> list:
    statement = load_agreement().confidentiality_statement
    story = [PageBreak(), heading(f"{statement.title} ({statement.clause})"), para(statement.intro)]
    for paragraph in statement.paragraphs:
        body = f"{paragraph.number}. {paragraph.text}"
        if paragraph.items:
            body += "\n" + "\n".join(f"    • {item}" for item in paragraph.items)
        story.append(para(body))
    rows = [[a.name, a.role_title, a.agency_name,
             f"Accepted {time_text(a.accepted_at)}" if a.accepted else "", ""] for a in meeting.attendees]
    rows += [["", "", "", "", ""] for _ in range(3)]  # for attendees who arrive unannounced
    table = grid(["Name", "Role", "Agency", "Acceptance recorded", "Signature"], rows, [2.6, 2.2, 2.8, 2.2, 2.6])
    table.setStyle([("BOTTOMPADDING", (0, 1), (-1, -1), 10), ("TOPPADDING", (0, 1), (-1, -1), 8)])
    # The signature sheet is passed round the table: keep it on one page when it fits on one.
    attendance = [subheading("Attendance and acceptance"),
                  markup("Each attendee accepts the statement above before the meeting discusses any case.",
                         STYLES.small), table]
    story += [spacer(3), KeepTogether(attendance) if len(rows) <= 20 else attendance]
    return story


def _request_summary(vault, request_id: str) -> list:
    request = get_request(vault, request_id, audit=False)
    story = [summary_table([
        ("Reference", request.reference),
        ("Request date", date_text(request.request_date)),
        ("From", partner_name(request.origin_agency)),
        ("Requested by", ", ".join(v for v in (request.requester_name, request.requester_rank) if v)),
        ("Status", request.status.capitalize()),
    ])]
    story += field_block("Information check request", request.check_request)
    story += [subheading("Subjects"), subjects_table(request.subjects)]
    rows = []
    for dispatch in request.dispatches:
        response = latest_response(vault, dispatch.id, drafts=False)
        if response is None:
            rows.append([dispatch.agency_name, dispatch_words(dispatch.status), "", "", ""])
            continue
        summary = response.disclosed_text if response.kind == "disclosure" else response.decline_reason
        rows.append([dispatch.agency_name, f"{ANSWERS.get(response.kind, response.kind)} "
                     f"{date_text(response.response_date)}", "\n".join(basis_title(b) for b in response.lawful_bases),
                     summary, response.partnership_answer])
    story.append(subheading("Responses received"))
    story.append(grid(["Agency", "Answer", "Lawful basis", "What was disclosed", "Partnership working"], rows,
                      [2.4, 2.2, 2.4, 4, 2.4]) if rows else para("No agency has been asked yet."))
    moves = [Disclosure.from_row(r) for r in
             vault.db.query("SELECT * FROM disclosures WHERE request_id = ? ORDER BY seq", (request.id,))]
    story.append(subheading("Disclosures recorded"))
    if moves:
        story.append(grid(["When", "Movement", "From → to", "What", "Channel"],
                          [[time_text(d.at), MOVEMENTS.get((d.kind, d.direction), d.kind),
                            f"{d.from_agency} → {d.to_agency}", d.what, channel_name(d.channel)] for d in moves],
                          [1.8, 2, 1.6, 4.6, 2.2]))
    else:
        story.append(para("None recorded."))
    return story


def _actions_table(actions, *, with_meeting: bool) -> object:
    rows = []
    for action in actions:
        due = date_text(action.due_date) + (" OVERDUE" if action.is_overdue() else "")
        row = [action.text, action.owner_name, due, ACTION_STATUS_LABELS.get(action.status, action.status)]
        if with_meeting:
            row.append(action.meeting_reference)
        rows.append(row)
    headers = ["Action", "Owner", "Due", "Status"] + (["Meeting"] if with_meeting else [])
    widths = [6, 2.6, 1.8, 1.2] + ([2.2] if with_meeting else [])
    return grid(headers, rows, widths)


def _by_four_p(actions, *, with_meeting: bool, empty: str) -> list:
    story = []
    meanings = {p.id: p.meaning for p in load_agreement().four_p}
    for four_p, name, group in by_four_p(actions):
        block = [subheading(name), Paragraph(escape(meanings.get(four_p, "")), STYLES.small),
                 _actions_table(group, with_meeting=with_meeting) if group else Paragraph(escape(empty), STYLES.small)]
        # A short group stays on one page; a long table splits and repeats its header instead.
        story += [KeepTogether(block)] if len(group) < 6 else block
    return story


def _with_next(heading_flowables: list, content: list) -> list:
    """A heading kept on the page of the first thing under it (issue 17): never a heading alone
    at the foot of a page with its content overleaf."""
    if not content:
        return list(heading_flowables)
    return [KeepTogether([*heading_flowables, content[0]]), *content[1:]]


def _cases(vault, meeting) -> list:
    story = []
    for number, item in enumerate(meeting.agenda, start=1):
        body: list = []
        if item.kind == "request" and item.request_id:
            body += _request_summary(vault, item.request_id)
        if item.kind == "case" and item.case_id and can(vault.role, "cases.read"):
            body += agenda_case_story(vault, item.case_id)
        if item.notes:
            body.append(KeepTogether(field_block("Notes for the meeting", item.notes)))
        decisions = [d for d in meeting.decisions if d.agenda_item_id == item.id]
        if decisions:
            body += _with_next([subheading("Decisions recorded")],
                               [para(f"• {d.text}  ({time_text(d.recorded_at)}, {d.recorded_by})") for d in decisions])
        actions = [a for a in meeting.actions if a.agenda_item_id == item.id]
        if actions:
            body += _with_next([subheading("Actions agreed")], [_actions_table(actions, with_meeting=False)])
        story += [PageBreak(), *_with_next([heading(f"{number}. {item.label}")], body)]
        # room left on this item's last page to write in; no page of its own for an empty box
        story.append(write_in_space("Notes on this item", 25 * mm, 60 * mm))
    return story


def _permissions(meeting) -> list:
    story = [heading("Further disclosure (Appendix 1 para 4)")]
    if not meeting.permissions:
        return story + [para("No further disclosure has been asked for.")]
    rows = [[f"{p.requested_by} ({partner_name(p.requested_by_agency)})", partner_name(p.to_agency), p.what,
             p.reason, ("Granted" if p.granted else "Refused") + f" by {p.decided_by}, {time_text(p.decided_at)}"]
            for p in meeting.permissions]
    return story + [grid(["Asked by", "To", "What", "Need to know", "Decision"], rows, [2.4, 2, 3.2, 3.2, 2.4])]


def meeting_pack(vault, reference: str) -> Content:
    meeting = get_meeting(vault, (reference or "").strip(), audit=False)
    story = _cover(meeting) + _agenda(meeting) + _statement(meeting) + _cases(vault, meeting)
    story += [PageBreak(), heading("Actions (Pursue, Prevent, Protect, Prepare)"), subheading("Agreed at this meeting")]
    story += _by_four_p(meeting.actions, with_meeting=False, empty="None yet.")
    story += [spacer(4), heading("Open actions from earlier meetings")]
    earlier = open_actions_before(vault, meeting)
    story += _by_four_p(earlier, with_meeting=True, empty="None open.")
    story += [spacer(4)] + _permissions(meeting)
    general = [d for d in meeting.decisions if not d.agenda_item_id]
    if general:
        story.append(heading("Other decisions"))
        story += [para(f"• {d.text}  ({time_text(d.recorded_at)}, {d.recorded_by})") for d in general]
    if meeting.notes:
        story.append(KeepTogether([heading("Notes"), *field_block("Notes recorded before the meeting",
                                                                  meeting.notes)]))
    # Space to write in, in the room left on the last page: never a page of empty boxes.
    story.append(write_in_space("Any other business and notes", 30 * mm, 120 * mm))
    return Content("Tactical meeting pack", meeting.reference, story, partner_information=True,
                   names_subjects=True, file_suffix="meeting-pack")
