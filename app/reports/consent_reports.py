"""The consents register (sections 6.2, 6.3, 7.3) as a marked document: every consent request
this desk made or received, with each grant, refusal and withdrawal that answered it."""

from __future__ import annotations

import datetime as _dt

from app.consent import answer_details, describe_item, list_requests, purpose_words, state_words
from app.errors import InvalidInput
from app.reports.documents import Content, date_text, partner_name, time_text
from app.reports.template import STYLES, grid, heading, markup, para, summary_table


def consents_register(vault, reference: str) -> Content:
    if (reference or "all").strip().lower() != "all":
        raise InvalidInput("The consents register prints whole: use 'all'.")
    requests = list_requests(vault)
    today = _dt.date.today().strftime("%Y%m%d")
    story = [markup("Consents register (6.2, 6.3, 7.3)", STYLES.title),
             para(f"{len(requests)} consent request{'s' if len(requests) != 1 else ''} made or received by "
                  f"{partner_name(vault.agency)}. A grant covers only its items, recipient and purpose, until its "
                  "date, and not after it is withdrawn.", STYLES.subtitle)]
    for asked in requests:
        way = (f"asked by this desk of {partner_name(asked.originator)}" if asked.direction == "made" else
               f"asked of this desk by {partner_name(asked.asking_agency)}")
        story.append(heading(f"{asked.reference}: {asked.state}"))
        story.append(summary_table([
            ("Request", way),
            ("To whom it would go", partner_name(asked.recipient)),
            ("Purpose", purpose_words(asked.purpose)),
            ("Why it is needed", asked.reason),
            ("Needed by", date_text(asked.needed_by) if asked.needed_by else "Not given"),
            ("Asked", f"{time_text(asked.asked_at)} by {asked.asked_by}"),
            ("Items", "\n".join(describe_item(vault, i) for i in asked.items)),
        ]))
        rows = []
        for answer in asked.answers:
            detail = answer_details(answer, asked, date_text)
            rows.append([time_text(answer.decided_at), state_words(answer),
                         f"{answer.originator} ({answer.decided_by})", "; ".join(detail),
                         f"signed, fingerprint {answer.signer_fingerprint[:17]}"])
        if rows:
            story.append(grid(["When", "Answer", "Signed by desk", "Details", "Signature"], rows,
                              [1.4, 1.4, 1.4, 3.2, 1.8]))
        else:
            story.append(para("No answer yet.", STYLES.body))
    if not requests:
        story.append(para("There are no consent requests.", STYLES.body))
    return Content("Consents register", f"CONSENTS-{today}", story, partner_information=True,
                   file_suffix="consents-register")
