"""Documents of retention and subject access (8.1, 9.3, 12): the disposal certificate, the subject
file, the response pack and the Data Protection Manager's schedule of exemptions.

The disposal certificate names references, kinds, rule codes and agency codes only, never a
name: what was disposed of stays unknown to anyone who finds the certificate. The subject file,
the response pack and the schedule hold personal data and carry the marking like every document;
the pack prints only what the DPM decided to disclose, with third parties redacted.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import Paragraph

from app import retention, subject_access as sa
from app.errors import InvalidInput
from app.reports.documents import Content, partner_name, time_text
from app.reports.template import STYLES, field_block, grid, heading, para, spacer, summary_table


def _uk(value: str | None) -> str:
    return sa._uk(value) if value else ""


def disposal_certificate(vault, reference: str) -> Content:
    cert = retention.get_certificate(vault, reference, audit=False)
    rules = {r.id: r for r in retention.all_rules(vault)}
    story = [Paragraph(escape("Disposal certificate"), STYLES.title),
             Paragraph(escape(f"{cert.reference}: {len(cert.items)} record{'s' if len(cert.items) != 1 else ''} "
                              "disposed of under clause 8.1, in a way that makes reconstruction unlikely (9.3)."),
                       STYLES.subtitle),
             summary_table([
                 ("Certificate", cert.reference),
                 ("Desk", f"{partner_name(vault.agency)} ({vault.agency})"),
                 ("Approved by (Data Protection Manager)", cert.approved_by),
                 ("Disposed of", time_text(cert.disposed_at)),
                 ("Audit chain head after disposal", cert.head_short),
                 ("Partners to tell", ", ".join(f"{partner_name(c)} ({c})" for c in cert.partners) or "None"),
             ], label_width=70 * mm),
             heading("What was disposed of"),
             grid(["Reference", "Kind", "Rule", "Due", "With it", "Sent to", "Received from"],
                  [[i["reference"], i["kind"].capitalize(), i.get("rule") or "",
                    _uk(i.get("due_on")),
                    f"{i['subjects']} subjects, {i['dispatches']} dispatches, {i['responses']} responses",
                    ", ".join(i.get("sent_to", [])) or "None", ", ".join(i.get("received_from", [])) or "None"]
                   for i in cert.items], [2.1, 1.0, 1.5, 1.5, 2.6, 1.3, 1.3]),
             heading("Rules applied")]
    used = sorted({i.get("rule") for i in cert.items if i.get("rule")})
    for rule_id in used:
        rule = rules.get(rule_id)
        story += field_block(rule_id, f"{rule.text} Source: {rule.source}." if rule else "Rule no longer in the data")
    story += [heading("How it was disposed of"),
              para("Each record was deleted with everything that hung only off it (subjects no other record names, "
                   "dispatches, responses, drafts, full-text index entries, links) in one transaction. The disclosure "
                   "register, meetings, breaches and the audit trail keep ids and references only. The write-ahead "
                   "log was then checkpointed and emptied and the vault rebuilt (VACUUM), with secure delete on, so "
                   "no page of the vault keeps the records."),
              spacer(),
              para("The partners listed received the records from this desk: tell them, so that each can apply its "
                   "own retention (8.1). This certificate names no person.")]
    return Content("Disposal certificate", cert.reference, story, file_suffix="disposal")


def _subject_ids_for(vault, reference: str) -> tuple[list[str], str]:
    text = (reference or "").strip()
    if not text or text.lower() == "all":
        raise InvalidInput("Say whose subject file to print: a subject access reference (SAR-2026-0001), a "
                           "subject id, or a name that finds one subject.")
    upper = text.upper()
    if upper.startswith(("SAR-", "FOI-")):
        request = sa.get_request(vault, upper, audit=False)
        if not request.subject_ids:
            raise InvalidInput(f"{request.reference} names no subject yet; choose the subjects it is about first.")
        return list(request.subject_ids), f"FILE-{request.reference}"
    row = vault.db.one("SELECT id, seq FROM subjects WHERE id = ?", (text,))
    if row is not None:
        return [row["id"]], f"FILE-S{row['seq']:06d}"
    found = sa.find_subjects(vault, text)
    if not found:
        raise InvalidInput("No subject in this vault matches that name.")
    if len(found) > 1:
        raise InvalidInput(f"{len(found)} subjects match that name; give the subject access reference or a subject id.")
    return [found[0].id], f"FILE-S{found[0].seq:06d}"


def subject_file_doc(vault, reference: str) -> Content:
    ids, doc_ref = _subject_ids_for(vault, reference)
    found = sa.subject_file(vault, ids, audit=False)
    story = [Paragraph(escape("Subject file"), STYLES.title),
             Paragraph(escape(f"Everything this desk holds about {len(found.subjects)} subject record"
                              f"{'s' if len(found.subjects) != 1 else ''}: {len(found.items)} items. Items marked "
                              "'Partner' came from another agency: consult it before disclosing (12.2)."),
                       STYLES.subtitle)]
    for subject in found.subjects:
        story.append(heading(f"Subject: {subject.name}"))
        story.append(summary_table([
            ("Kind", subject.kind), ("Also known as", ", ".join(subject.aliases) or "None recorded"),
            ("Date of birth", _uk(subject.date_of_birth) or "Not recorded"),
            ("Addresses", "; ".join(subject.addresses) or "None recorded"),
            ("Recorded by", f"{partner_name(subject.origin_agency)}"),
        ]))
    headings = {"request": "Requests naming them", "response": "Responses from agencies to those requests",
                "disclosure": "Disclosures of them (to and from whom)", "meeting": "Meetings that discussed them",
                "breach": "Breaches naming them"}
    for item_type, label in headings.items():
        rows = found.of_type(item_type)
        story.append(heading(label))
        story.append(Paragraph(escape(f"{len(rows)} held."), STYLES.small))
        if rows:
            story.append(grid(["Item", "Detail", "When", "From", "Partner"],
                              [[i.label, i.detail, _uk(i.when[:10]) if i.when else "", i.origin_agency,
                                "Partner" if i.partner_provided else ""] for i in rows], [2.6, 3.6, 1.2, 1, 1]))
    partner = any(i.partner_provided for i in found.items)
    return Content("Subject file", doc_ref, story, partner_information=partner, names_subjects=True,
                   file_suffix="subject-file")


def response_pack(vault, reference: str) -> Content:
    request = sa.get_request(vault, (reference or "").strip().upper(), audit=False)
    disclosed = [i for i in request.items if i.decision == "disclose"]
    withheld = [i for i in request.items if i.decision == "withhold"]
    undecided = [i for i in request.items if i.decision == "undecided"]
    story = [Paragraph(escape(f"Response to your request ({request.kind_label})"), STYLES.title),
             Paragraph(escape(f"{request.reference}, received {_uk(request.received_on)}."), STYLES.subtitle),
             summary_table([("Requested by", request.requester_name), ("Reference", request.reference),
                            ("Received", _uk(request.received_on)),
                            ("Items disclosed", str(len(disclosed))), ("Items withheld", str(len(withheld)))])]
    if undecided:
        story.append(para(f"DRAFT: {len(undecided)} item{'s are' if len(undecided) != 1 else ' is'} not decided yet; "
                          "this pack is not ready to send."))
    story.append(heading("Information disclosed"))
    if not disclosed:
        story.append(Paragraph("No information is disclosed.", STYLES.body))
    for item in disclosed:
        story.append(Paragraph(escape(f"{item.type_label}: {item.label}"), STYLES.subheading))
        story.append(summary_table(sa.item_content(vault, request, item)))
    if withheld:
        story.append(heading("Information withheld"))
        used = sorted({i.exemption for i in withheld})
        rights = retention.load_information_rights()
        story.append(para("Some information is withheld under these exemptions:"))
        for code in used:
            try:
                ex = rights.exemption(code)
                story += field_block(ex.label, ex.text)
            except KeyError:
                story += field_block(code, "")
    story += [spacer(), para("Where other people appear in this information their details are redacted, shown as "
                             f"{sa.THIRD_PARTY}.")]
    partner = any(i.partner_provided for i in disclosed)
    return Content("Subject access response pack", f"PACK-{request.reference}", story, partner_information=partner,
                   names_subjects=True, file_suffix="pack")


def exemption_schedule(vault, reference: str) -> Content:
    request = sa.get_request(vault, (reference or "").strip().upper(), audit=False)
    rights = retention.load_information_rights()
    clock = request.clock()

    def exemption(code: str) -> str:
        try:
            return rights.exemption(code).label
        except KeyError:
            return code

    rows = [[f"{i.label}\n{i.type_label}; from {partner_name(i.origin_agency)}"
             + (" (PARTNER)" if i.partner_provided else ""),
             {"disclose": "Disclose", "withhold": "Withhold", "undecided": "Not decided"}[i.decision]
             + (", third parties redacted" if i.decision == "disclose" and i.redact_third_parties else "")
             + (f" under {exemption(i.exemption)}" if i.exemption else ""),
             (f"{_uk(i.consulted_on)}, {sa.VIA_WORDS.get(i.consulted_via, i.consulted_via)}, {i.consulted_who}: "
              f"{i.consult_answer}") if i.consulted_on else ("Needed" if i.partner_provided else ""),
             i.note] for i in request.items]
    story = [Paragraph(escape("Schedule of exemptions"), STYLES.title),
             Paragraph(escape(f"{request.reference}: {request.kind_label}. For the Data Protection Manager's file; "
                              "not for the requester."), STYLES.subtitle),
             summary_table([("Received", _uk(request.received_on)), ("Clock", clock.printed()),
                            ("Status", request.status.capitalize()),
                            ("Requesting force's DPO consulted (Appendix 2)",
                             "Yes" if request.dpo_consulted else ("Needed" if request.asks_for_request_form else
                                                                 "Not needed"))]),
             heading("Each item"),
             para(f"{len(request.items)} items: "
                  f"{sum(i.decision == 'disclose' for i in request.items)} to disclose, "
                  f"{sum(i.decision == 'withhold' for i in request.items)} withheld, "
                  f"{sum(i.decision == 'undecided' for i in request.items)} not decided; "
                  f"{sum(i.partner_provided for i in request.items)} from partners."),
             grid(["Item", "Decision", "Partner consulted (12.2)", "Note"], rows, [3, 2.4, 3, 1.6]) if rows
             else Paragraph("No items gathered yet.", STYLES.body),
             heading("History")]
    if request.events:
        story.append(grid(["Date", "What", "Detail", "Recorded by"],
                          [[_uk(e.on_date), e.label, e.summary(), e.recorded_by] for e in request.events],
                          [1.2, 2.6, 4.6, 1.4]))
    else:
        story.append(Paragraph("Nothing recorded yet.", STYLES.body))
    return Content("Schedule of exemptions", f"EXEMPTIONS-{request.reference}", story,
                   partner_information=any(i.partner_provided for i in request.items), names_subjects=True,
                   file_suffix="exemptions")
