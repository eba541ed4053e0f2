"""The request-side documents: the Appendix 2 request form, one agency's response, the collation
of all responses (5.3), the disclosure register extract, an audit extract and the recovery-key
sheet. Each function returns the story (flowables) and the facts its Marking needs; the page
template and the permission checks live in `app.reports`.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Table, TableStyle

from app import audit
from app.consent import grant_citation
from app.agreement import load_agreement
from app.disclosures import list_disclosures
from app.errors import InvalidInput
from app.records import parse_date
from app.requests import Request, dispatch_for_target, get_request
from app.responses import Response, collation, latest_response
from app.subjects import ROLES as SUBJECT_ROLES
from app.timeutil import london_display
from app.reports.template import (CONTENT_WIDTH, INK, RULE, SHADE, STYLES, field_block, grid, heading, markup,
                                  para, spacer, subheading, summary_table, text, write_in_box)

TICKED, UNTICKED = "\u2612", "\u2610"


@dataclass
class Content:
    """A document's story and what its pages must carry."""

    title: str
    reference: str
    story: list
    partner_information: bool = False
    names_subjects: bool = False
    file_suffix: str = ""
    landscape: bool = False


# ---- wording helpers (codes from the agreement, shown in its words; unknown codes as given) -----


def partner_name(code: str, sub_service: str = "") -> str:
    return load_agreement().partner_name(code, sub_service)


def _named(items, key: str, value_attr: str):
    return {getattr(i, key): getattr(i, value_attr) for i in items}


def purpose_text(code: str) -> str:
    try:
        p = load_agreement().purpose(code)
        return f"{p.number} {p.text}".strip()
    except KeyError:
        return code


def basis_text(code: str) -> str:
    try:
        basis = load_agreement().lawful_basis(code)
    except KeyError:
        return code
    return f"{basis.title} (cite today: {basis.current})" if basis.current and not basis.in_force else basis.title


def basis_title(code: str) -> str:
    try:
        return load_agreement().lawful_basis(code).title
    except KeyError:
        return code


def channel_name(code: str) -> str:
    return load_agreement().channel_name(code)


MOVEMENTS = {("request", "sent"): "Request sent", ("request", "received"): "Request received",
             ("response", "sent"): "Response sent", ("response", "received"): "Response received",
             ("onward", "sent"): "Onward disclosure", ("onward", "received"): "Onward disclosure received",
             ("export", "sent"): "Exported for sending",
             ("meeting", "sent"): "Further disclosure agreed at a meeting",
             ("meeting", "received"): "Further disclosure agreed at a meeting"}


DISPATCH_WORDS = {"draft": "Not sent yet", "sent": "Sent, awaiting an answer", "acknowledged": "Acknowledged",
                  "responded": "Responded", "nil-return": "Nil return", "declined": "Declined"}


def dispatch_words(status: str) -> str:
    return DISPATCH_WORDS.get(status, status)


def date_text(value) -> str:
    day = parse_date(value) if value else None
    return day.strftime("%d/%m/%Y") if day else ""


def time_text(value) -> str:
    return london_display(value) if value else ""


def _codes(values, names: dict) -> str:
    return "\n".join(f"• {names.get(v, v)}" for v in values)


def _boxed_form(rows: list[tuple[str, list]]) -> Table:
    """Appendix 2's look: a shaded label column beside each answer, ruled like the Word form."""
    label_width = 44 * mm
    data = [[Paragraph(escape(label.upper()), STYLES.cell_bold), cells] for label, cells in rows]
    table = Table(data, colWidths=[label_width, CONTENT_WIDTH - label_width], hAlign="LEFT", splitInRow=1)
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (0, -1), SHADE),
        ("GRID", (0, 0), (-1, -1), 0.6, INK),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]))
    return table


def _subject_lines(subject) -> str:
    lines = [f"{subject.name}  ({subject.kind}; {SUBJECT_ROLES.get(subject.role or '', subject.role or 'role not given')})"]
    if subject.aliases:
        lines.append("Also known as: " + "; ".join(subject.aliases))
    if subject.date_of_birth:
        lines.append("Date of birth: " + date_text(subject.date_of_birth))
    for address in subject.addresses:
        lines.append("Address: " + address)
    for ident in subject.identifiers:
        lines.append(f"{ident.get('type', 'Identifier')}: {ident.get('value', '')}")
    if subject.description:
        lines.append(subject.description)
    return "\n".join(lines)


def subjects_table(subjects) -> Table | Paragraph:
    if not subjects:
        return Paragraph("No subjects recorded.", STYLES.small)
    rows = []
    for s in subjects:
        details = []
        if s.aliases:
            details.append("Also known as: " + "; ".join(s.aliases))
        details.extend("Address: " + a for a in s.addresses)
        details.extend(f"{i.get('type', 'Identifier')}: {i.get('value', '')}" for i in s.identifiers)
        if s.description:
            details.append(s.description)
        rows.append([s.name, SUBJECT_ROLES.get(s.role or "", s.role or ""), s.kind.capitalize(),
                     date_text(s.date_of_birth), "\n".join(details)])
    return grid(["Name", "Role on this request", "Kind", "Date of birth", "Aliases, addresses, identifiers"],
                rows, [3, 2, 1.3, 1.5, 4.5])


def _request_partner_info(vault, request: Request) -> bool:
    return request.origin_agency != vault.agency


# ---- the Appendix 2 request form -----------------------------------------------------------------


def request_form(vault, reference: str) -> Content:
    request = get_request(vault, reference, audit=False)
    agreement = load_agreement()
    declaration = agreement.declaration
    form = agreement.request_form
    story: list = [
        Paragraph(escape(form.title), STYLES.title),
        Paragraph(escape(form.operation), STYLES.subheading),
        Paragraph(escape(declaration.motto), STYLES.quote),
        Paragraph(escape(declaration.legal_preamble), STYLES.small),
        spacer(2),
    ]
    reasons = {r.id: r.text for r in agreement.request_reasons}
    reason_lines = "\n".join(f"{TICKED if rid in request.reasons else UNTICKED} {label}"
                             for rid, label in reasons.items())
    person = "\n".join(v for v in (request.requester_name, request.requester_rank,
                                   f"Collar or staff number: {request.requester_number}" if request.requester_number else "",
                                   request.requester_team) if v)
    exploitation = _named(agreement.exploitation_types, "id", "name")
    info_types = _named(agreement.information_types, "id", "text")
    check_cells = [
        Paragraph("<b>Information date:</b> " + text(date_text(request.information_date) or "not given"), STYLES.cell),
        Paragraph("<b>Information</b>", STYLES.cell), para(request.information or "Not given", STYLES.cell),
        Paragraph("<b>Request</b>", STYLES.cell), para(request.check_request or "Not given", STYLES.cell),
    ]
    if request.exploitation_types:
        check_cells += [Paragraph("<b>Types of exploitation (1.4)</b>", STYLES.cell),
                        para(_codes(request.exploitation_types, exploitation), STYLES.cell)]
    if request.purposes:
        check_cells += [Paragraph("<b>Purposes of sharing (4.3)</b>", STYLES.cell),
                        para("\n".join("• " + purpose_text(p) for p in request.purposes), STYLES.cell)]
    if request.info_types:
        check_cells += [Paragraph("<b>Information sought (5.2)</b>", STYLES.cell),
                        para(_codes(request.info_types, info_types), STYLES.cell)]
    agencies = "\n".join(f"• {d.agency_name}" for d in request.dispatches) or "No agency chosen yet"
    story.append(_boxed_form([
        ("Reference", [para(request.reference, STYLES.cell)]),
        ("Request date", [para(date_text(request.request_date), STYLES.cell)]),
        ("Person making request", [para(person or "Not given", STYLES.cell)]),
        ("Reason", [Paragraph(escape("Under the Modern Slavery Information Sharing Agreement:"), STYLES.cell),
                    para(reason_lines, STYLES.cell)]),
        ("Information check request", check_cells),
        ("Agency", [para(agencies, STYLES.cell)]),
        ("Response to request", [Paragraph(
            "Each agency's response is recorded in SPOC Desk and printed as its own document and in the "
            "collation of responses.", STYLES.small)]),
        ("Partnership working", [para(request.partnership_question or form.partnership_working_prompt,
                                      STYLES.cell)]),
        ("Contact details", [para(request.requester_contact or "Not given", STYLES.cell)]),
    ]))
    story += [heading("Subjects of this request"), subjects_table(request.subjects)]
    confirmations = [Paragraph(escape(declaration.confirm_intro), STYLES.body)]
    for confirmation in declaration.confirmations:
        mark = TICKED if confirmation.id in request.declaration else UNTICKED
        # The signed wording, each replaced DPA 1998 reference followed by its DPA 2018 successor.
        confirmations.append(para(f"{mark} {declaration.full_wording(confirmation.text)}"))
    if request.declared_at:
        confirmations.append(Paragraph("Declared by " + text(request.declared_by or "") + " on "
                                       + text(time_text(request.declared_at)) + " (UK time).", STYLES.small))
    else:
        confirmations.append(Paragraph("The declaration has not been made yet.", STYLES.small))
    story += [heading("Declaration"), *confirmations, spacer(2),
              Paragraph("<b>" + escape(declaration.subject_warning) + "</b>", STYLES.body),
              Paragraph(escape(declaration.onward_requests), STYLES.small),
              Paragraph(escape(declaration.retain_line), STYLES.small)]
    return Content("Personal data request (Appendix 2)", request.reference, story,
                   partner_information=_request_partner_info(vault, request), names_subjects=True,
                   file_suffix="request")


# ---- responses -------------------------------------------------------------------------------------


def _response_story(response: Response | None, dispatch, *, with_heading: bool) -> list:
    story: list = []
    if with_heading:
        story.append(heading(dispatch.agency_name))
    rows = [("Agency", dispatch.agency_name), ("Status", dispatch_words(dispatch.status)),
            ("Sent", time_text(dispatch.sent_at)), ("Due", date_text(dispatch.due_date))]
    if dispatch.is_overdue():  # a date, not a count of days that is wrong by the time it is read
        rows.append(("Chasing", f"OVERDUE: no answer by {date_text(dispatch.due_date)} (overdue when printed)"))
    if response is None:
        story += [summary_table(rows), Paragraph("No response has been recorded.", STYLES.small)]
        return story
    answer = {"disclosure": "Information disclosed", "nil-return": "Nil return: nothing held",
              "declined": "Declined"}.get(response.kind, response.kind)
    rows += [("Answer", answer), ("Responder", ", ".join(v for v in (response.responder_name, response.responder_role) if v)),
             ("Responder contact", response.responder_contact), ("Response date", date_text(response.response_date)),
             ("Recorded", {"draft": "Draft, not sent", "sent": f"Sent {time_text(response.sent_at)}",
                           "received": f"Received {time_text(response.received_at)}"}.get(response.status, response.status))]
    story.append(summary_table(rows))
    if response.kind == "declined":
        story += field_block("Reason for declining", response.decline_reason)
    if response.kind == "disclosure":
        info_types = _named(load_agreement().information_types, "id", "text")
        story += field_block("What the agency holds", response.held_text)
        story += field_block("What is disclosed", response.disclosed_text)
        story += field_block("Information disclosed (5.2)", _codes(response.info_types, info_types))
        story += field_block("Lawful basis", "\n".join("• " + basis_text(b) for b in response.lawful_bases))
        story.append(subheading("Necessity, proportionality and accuracy (5.4)"))
        story += field_block("Why the disclosure is necessary", response.necessary)
        story += field_block("Why the disclosure is proportionate", response.proportionate)
        story += field_block("How the agency knows the information is accurate", response.accurate)
    story += field_block("Partnership working", response.partnership_answer, empty="No answer given")
    return story


def _conditions_block(response: Response | None) -> list:
    conditions = response.conditions_of_use if response else ()
    if not conditions:
        conditions = tuple({"clause": c.clause, "text": c.text} for c in load_agreement().conditions_of_use)
    items = [Paragraph(f"<b>{escape(c.get('clause', ''))}</b> " + text(c.get("text", "")), STYLES.small)
             for c in conditions]
    return [KeepTogether([subheading("Conditions of use (section 6)"), *items])]


def parse_response_reference(value: str) -> tuple[str, str]:
    """`MSR-2026-0001/DWP` or `MSR-2026-0001/DCC/ASC` -> (request reference, agency target)."""
    ref, sep, target = (value or "").strip().partition("/")
    if not sep or not ref or not target:
        raise InvalidInput(f"Name a response as REQUEST/AGENCY, for example MSR-2026-0001/DWP (got {value!r}).")
    return ref, target.upper()


def response_doc(vault, reference: str) -> Content:
    ref, target = parse_response_reference(reference)
    request = get_request(vault, ref, audit=False)
    dispatch = dispatch_for_target(request, target)
    response = latest_response(vault, dispatch.id)
    story = [Paragraph(escape("Response to a personal data request"), STYLES.title),
             Paragraph(escape(f"Request {request.reference} of {date_text(request.request_date)} from "
                              f"{partner_name(request.origin_agency)}"), STYLES.subtitle)]
    story += _response_story(response, dispatch, with_heading=False)
    story += [heading("Subjects of the request"), subjects_table(request.subjects)]
    story += _conditions_block(response)
    doc_ref = f"{request.reference}/{dispatch.target}"
    return Content("Agency response (Appendix 2)", doc_ref, story, partner_information=True, names_subjects=True,
                   file_suffix="response")


# ---- collation (5.3) -------------------------------------------------------------------------------


def collation_doc(vault, reference: str) -> Content:
    request = get_request(vault, reference, audit=False)
    result = collation(vault, request.id)
    story = [Paragraph(escape("Collation of responses (5.3)"), STYLES.title),
             Paragraph(escape(f"Request {request.reference} of {date_text(request.request_date)}, "
                              f"{len(result.rows)} agenc{'y' if len(result.rows) == 1 else 'ies'} asked, {result.answered} answered"), STYLES.subtitle)]
    story.append(summary_table([("Requested by", ", ".join(v for v in (request.requester_name, request.requester_rank,
                                                                         request.requester_team) if v)),
                                ("Information check request", request.check_request)]))
    story += [heading("Subjects"), subjects_table(request.subjects), heading("Agencies at a glance")]
    glance = []
    for row in result.rows:
        r = row.response
        answer = "" if r is None else {"disclosure": "Disclosed", "nil-return": "Nil return",
                                       "declined": "Declined"}.get(r.kind, r.kind)
        due = date_text(row.dispatch.due_date) + (" OVERDUE" if row.overdue else "")
        glance.append([row.dispatch.agency_name, dispatch_words(row.dispatch.status), time_text(row.dispatch.sent_at),
                       due, answer, "\n".join(basis_text(b) for b in (r.lawful_bases if r else ()))])
    story.append(grid(["Agency", "Status", "Sent", "Due", "Answer", "Lawful basis"], glance,
                      [3, 1.5, 1.9, 1.7, 1.4, 3.5]))
    for row in result.rows:
        story += _response_story(row.response, row.dispatch, with_heading=True)
    partner_info = any(row.response is not None and row.response.origin_agency != vault.agency for row in result.rows)
    if partner_info:
        story += _conditions_block(None)
    return Content("Collation of responses", request.reference, story,
                   partner_information=partner_info or _request_partner_info(vault, request), names_subjects=True,
                   file_suffix="collation")


# ---- disclosure register extract ---------------------------------------------------------------------


def disclosures_doc(vault, reference: str) -> Content:
    """REF is `all`, a request reference, or a partner code (movements to or from it)."""
    key = (reference or "all").strip()
    request_id = agency = None
    today = _dt.date.today().strftime("%Y%m%d")
    if key.lower() == "all":
        doc_ref, scope = f"DISCLOSURES-{today}", "every movement of information recorded by this desk"
    elif key.upper() in load_agreement().partner_codes():
        agency = key.upper()
        doc_ref, scope = f"DISCLOSURES-{agency}-{today}", f"movements to or from {partner_name(agency)}"
    else:
        request = get_request(vault, key, audit=False)
        request_id = request.id
        doc_ref, scope = f"{request.reference}-DISCLOSURES", f"movements for request {request.reference}"
    rows, after = [], None
    references = dict(vault.db.query("SELECT id, reference FROM requests"))  # id -> reference, for the table
    while True:
        page = list_disclosures(vault, request_id=request_id, after=after, limit=2000, agency=agency or None)
        for d in page.items:
            rows.append([time_text(d.at), MOVEMENTS.get((d.kind, d.direction), f"{d.kind} ({d.direction})"),
                         f"{d.from_agency} → {d.to_agency}", references.get(d.request_id, ""), d.what,
                         "\n".join(basis_title(b) for b in d.lawful_bases), channel_name(d.channel),
                         "\n".join([d.originator] + [f"consent {grant_citation(vault, g)}" for g in d.consent_grants])])
        if page.next_after is None:
            break
        after = page.next_after
    story = [Paragraph(escape("Disclosure register extract"), STYLES.title),
             Paragraph(escape(f"{len(rows)} entries: {scope}."), STYLES.subtitle)]
    if rows:
        story.append(grid(["When", "Kind", "From → to", "Request", "What", "Lawful basis", "Channel",
                           "Originator, consent"], rows, [1.6, 1.7, 1.4, 2.0, 3.6, 3.0, 2.0, 2.1], wide=True))
    else:
        story.append(Paragraph("There are no entries for this extract.", STYLES.body))
    return Content("Disclosure register extract", doc_ref, story, partner_information=True,
                   file_suffix="disclosure-register", landscape=True)


# ---- audit extract ------------------------------------------------------------------------------------


def _record_ids_for(vault, key: str) -> tuple[str, ...]:
    """A reference of a request, breach or meeting -> the ids its audit events name."""
    for table in ("requests", "breaches", "meetings"):  # constant names
        try:
            row = vault.db.one(f"SELECT id, reference FROM {table} WHERE reference = ?", (key,))
        except Exception:  # noqa: BLE001 - a table from a later schema may not exist in an older vault
            row = None
        if row:
            return (row["id"], row["reference"])
    raise InvalidInput(f"There is no request, breach or meeting {key} in this vault. Use 'all' for the whole trail.")


def audit_doc(vault, reference: str) -> Content:
    """REF `all` prints the whole trail, newest first; a record reference prints its events."""
    key = (reference or "all").strip()
    today = _dt.date.today().strftime("%Y%m%d")
    ids = None if key.lower() == "all" else _record_ids_for(vault, key.upper())
    rows, before = [], None
    while True:
        batch = audit.page(vault.db, before=before, limit=5000, record_ids=ids or ())
        if not batch:
            break
        for seq, at, actor, action, record_type, record_id, reason in batch:
            rows.append([str(seq), time_text(at), actor, action, f"{record_type or ''} {record_id or ''}".strip(),
                         reason or ""])
        before = batch[-1][0]
    head = vault.chain_head()
    scope = "the whole audit trail" if ids is None else f"events about {key.upper()}"
    story = [Paragraph(escape("Audit trail extract"), STYLES.title),
             Paragraph(escape(f"{len(rows)} events, newest first: {scope}. Chain head {head.short()} "
                              f"({head.seq} events in the chain)."), STYLES.subtitle)]
    story.append(grid(["#", "When (UK)", "Who", "Action", "Record", "Detail"], rows, [0.7, 1.5, 1.5, 2.6, 4.2, 3.5],
                      wide=True)
                 if rows else Paragraph("There are no events for this extract.", STYLES.body))
    doc_ref = f"AUDIT-{today}" if ids is None else f"{key.upper()}-AUDIT"
    return Content("Audit trail extract", doc_ref, story, file_suffix="audit", landscape=True)


# ---- recovery-key sheet ---------------------------------------------------------------------------------


def recovery_sheet(vault, recovery_key: str) -> Content:
    """The sheet the Data Protection Manager keeps in the safe (DESIGN.md, "The vault")."""
    groups = recovery_key.split("-") if "-" in recovery_key else [recovery_key]
    key_table = Table([[Paragraph(text(g), STYLES.title) for g in groups[i:i + 3]] for i in range(0, len(groups), 3)],
                      hAlign="LEFT")
    key_table.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1, INK), ("INNERGRID", (0, 0), (-1, -1), 0.4, RULE),
                                   ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 8)]))
    reference = f"RECOVERY-{(vault.vault_id or '')[:8].upper()}"
    story = [Paragraph("SPOC Desk vault recovery key", STYLES.title),
             Paragraph(escape(f"Vault of {partner_name(vault.agency)}, identifier {vault.vault_id}"), STYLES.subtitle),
             markup("This key opens the vault if every passphrase is lost. Anyone holding it can read everything in "
                    "the vault. Keep this sheet in the Data Protection Manager's safe; do not photograph, scan or "
                    "e-mail it."),
             spacer(3), key_table, spacer(3),
             markup("Type the groups in order; dashes and spaces are optional and letters may be either case. "
                    "The last group is a checksum, so a mistyped key is caught."),
             summary_table([("Vault file", vault.path.name), ("Created for", partner_name(vault.agency))]),
             spacer(6), write_in_box("Stored by (name, signature, date)", 22 * mm),
             write_in_box("Witnessed by (name, signature, date)", 22 * mm)]
    return Content("Vault recovery key", reference, story, file_suffix="recovery-key")
