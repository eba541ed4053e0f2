"""The corrections register (clause 7.2): every notice that an item was inaccurate, out of date or
inadequate, every correction made here or applied from its data controller with the old and the
new value, and each recipient's state, with what is outstanding by age. Printed marked
(`spocdesk report VAULT corrections all`)."""

from __future__ import annotations

import datetime as _dt

from reportlab.platypus import Paragraph

from app import corrections as cr
from app.errors import InvalidInput
from app.reports.documents import Content, partner_name, time_text
from app.reports.template import STYLES, grid, heading, spacer, text


def register_doc(vault, reference: str = "all") -> Content:
    scope = (reference or "all").strip().lower()
    if scope != "all":
        raise InvalidInput(f"The corrections register is printed whole: use 'all' (got {reference!r}).")
    found = cr.register(vault, audit=False)
    waiting = cr.outstanding(vault)
    story = [Paragraph(text("Corrections register (clause 7.2)"), STYLES.title),
             Paragraph(text(f"{len(found.notices)} notices, {len(found.corrections)} corrections; "
                            f"{len(waiting)} outstanding. Old values are kept here for the audit; each record shows "
                            "only its current value and a note that it was corrected."), STYLES.subtitle)]
    story.append(heading("Outstanding, oldest first"))
    story.append(grid(["Reference", "What waits", "Since", "Age (days)"],
                      [[o.reference, o.what, time_text(o.since), str(o.age_days)] for o in waiting],
                      [1.9, 6, 1.6, 1], wide=True)
                 if waiting else Paragraph("Nothing is outstanding.", STYLES.body))
    story.append(spacer())
    story.append(heading("Notices"))
    rows = [[n.reference, partner_name(n.raised_by_agency), partner_name(n.controller),
             f"{cr.ITEM_WORDS[n.item_type]}: {n.field_words}", cr.PROBLEMS.get(n.problem, n.problem), n.details,
             n.suggested, time_text(n.raised_at),
             n.state_words + (f". Reason: {n.decline_reason}" if n.decline_reason else "")]
            for n in found.notices]
    story.append(grid(["Reference", "Raised by", "Data controller", "Item", "Problem", "What is wrong", "Suggested",
                       "Raised", "State"], rows, [2.3, 1.4, 1.4, 1.4, 1.1, 2.6, 1.4, 1.3, 1.9], wide=True)
                 if rows else Paragraph("No notices are recorded.", STYLES.body))
    story.append(spacer())
    story.append(heading("Corrections"))
    rows = []
    for c in found.corrections:
        if c.direction == "made":
            lines = "; ".join(f"{r.agency}: {r.state_words}" for r in c.recipients) or \
                "No recipient in the disclosure register"
        else:
            lines = f"Applied here from {c.controller}'s package {time_text(c.recorded_at)}"
        rows.append([c.reference, partner_name(c.controller), f"{cr.ITEM_WORDS[c.item_type]}: {c.field_words}",
                     cr.show_value(c.item_type, c.field, c.old_value), cr.show_value(c.item_type, c.field, c.new_value),
                     c.reason, time_text(c.corrected_at), lines])
    story.append(grid(["Reference", "Data controller", "Item", "Old value (not current)", "New value", "Reason",
                       "Corrected", "Recipients"], rows, [2.3, 1.4, 1.4, 1.6, 1.6, 2.2, 1.3, 2.6], wide=True)
                 if rows else Paragraph("No corrections are recorded.", STYLES.body))
    today = _dt.date.today().strftime("%Y%m%d")
    return Content("Corrections register", f"CORRECTIONS-ALL-{today}", story, file_suffix="register",
                   landscape=True, names_subjects=bool(found.corrections or found.notices),
                   partner_information=any(c.controller != vault.agency for c in found.corrections))
