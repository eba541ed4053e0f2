"""The meeting-pack row (issues 5 and 8): a meeting pack of at least 200 pages against bare
reportlab laying out the same content in the same run — target ≤ 1.5×.

The figure is `app.reports.build_report(vault, "meeting-pack", REF)` whole: the meeting, its
requests, responses and disclosures read from the vault, every user string cleaned and escaped,
the story laid out on the marked template (pages held until the end, then `Page N of M`, the
marking, header, footer and the section 6 / Appendix 2 notes stamped on each).

The floor is what reportlab alone needs for the same document: the pack's story is taken apart
once, before timing, into plain strings and settings (each Paragraph's markup and style, each
table's cells, widths and style commands, spacers, page breaks, keep-togethers), and each floor
round builds those flowables afresh (so the markup parsing is in the floor too) and lays them out
with `SimpleDocTemplate` in a frame of exactly the same size, with the same fonts: no marking, no
page count, no header or footer, no database reads.

The meeting is made in a copy of the seeded 1,000-request vault: attendees who accepted the
statement, agenda items for requests (with their subjects, responses and disclosures) and for
cases (with notes), decisions, 4P actions, further-disclosure decisions and open actions from an
earlier meeting; agenda items are added until the pack has at least 200 pages.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import time
from pathlib import Path

from bench import seed

PAGES = 200
VAULT_SIZE = 1_000
REPS = 3
FOUR_P = ("pursue", "prevent", "protect", "prepare")
AGENCIES = ("DCON", "DCC", "GLAA", "DWP", "HMRC", "DFRS")


# ---- the meeting ------------------------------------------------------------------------------


def _partners(vault) -> list[str]:
    from app.agreement import load_agreement

    codes = load_agreement().partner_codes()
    chosen = [c for c in AGENCIES if c in codes]
    return chosen or sorted(codes)[:4]


def make_meeting(vault, requests: int, cases: int) -> str:
    """A tactical meeting with `requests` request items and `cases` case items; its reference."""
    from app import meetings as mt

    partners = _partners(vault)
    earlier = mt.create_meeting(vault, {"held_at": "02/02/2026 10:00", "place": "Ripley HQ",
                                        "chair": "DI Amy Clarke"})
    for n in range(12):
        mt.add_action(vault, earlier.reference, {
            "category": FOUR_P[n % 4], "text": f"Earlier meeting: follow up referral {n + 1} with the partner "
                                               "and report back on what was found at the address.",
            "owner_agency": partners[n % len(partners)], "due_date": f"2026-03-{n + 1:02d}"})
    meeting = mt.create_meeting(vault, {"held_at": "16/03/2026 10:00", "place": "Ripley HQ, room 4",
                                        "chair": "DI Amy Clarke",
                                        "notes": "Quarterly review of open cases across the partnership."})
    for n in range(14):
        attendee = mt.add_attendee(vault, meeting.reference, {
            "name": f"Attendee {n + 1} Okonkwo-Kowalski", "role_title": "SPOC",
            "agency": partners[n % len(partners)]})
        if n % 5:
            mt.record_acceptance(vault, meeting.reference, attendee.id)
    add_items(vault, meeting.reference, requests, cases)
    return meeting.reference


def add_items(vault, reference: str, requests: int, cases: int, *, offset: int = 0) -> None:
    from app import meetings as mt

    partners = _partners(vault)
    # Requests with answers first (their summaries carry responses and disclosures).
    refs = [r["reference"] for r in vault.db.query(
        "SELECT r.reference FROM requests r WHERE EXISTS (SELECT 1 FROM dispatches d JOIN responses s"
        " ON s.dispatch_id = d.id WHERE d.request_id = r.id) ORDER BY r.seq LIMIT ? OFFSET ?",
        (requests, offset))]
    items = [mt.add_agenda_request(vault, reference, ref, notes=f"Raised by the desk; review the answers of "
                                   f"request {ref} and agree what is disclosed further.") for ref in refs]
    for n in range(cases):
        items.append(mt.add_agenda_case(
            vault, reference, f"Car wash {offset + n + 1} on Ashbourne Road",
            notes="Workers seen sleeping on site; cash wages; the same minibus collects them at 5am. " * 4))
    for n, item in enumerate(items):
        mt.add_decision(vault, reference, f"Joint visit agreed for item {n + 1}; partners to share what "
                                          "they hold by Friday.", agenda_item_id=item.id)
        for k in range(2):
            mt.add_action(vault, reference, {
                "category": FOUR_P[(n + k) % 4], "text": f"Check the records held on item {n + 1} and report "
                                                         "back to the chair before the next meeting.",
                "owner_agency": partners[(n + k) % len(partners)], "due_date": "2026-04-30",
                "agenda_item_id": item.id})
        if n % 10 == 0:
            mt.record_permission(vault, reference, {
                "requested_by": "DS Jane Smith", "requested_by_agency": partners[0],
                "to_agency": partners[1 % len(partners)], "what": f"The address history discussed under item {n + 1}",
                "reason": "Safeguarding of the workers at the address",
                # granted only on the desk's own cases: a request's answers came from a partner,
                # and passing them on needs that partner's written consent (6.2)
                "granted": n % 20 == 0 and n >= len(refs),
                "agenda_item_id": item.id})


# ---- the floor: the same story as plain strings, rebuilt with bare reportlab --------------------


def _recording_styles():
    """While the pack's story is built, remember every table's style commands on the table."""
    from reportlab.platypus import Table

    original = Table.setStyle

    def recording(self, style):
        commands = style.getCommands() if hasattr(style, "getCommands") else list(style)
        self.__dict__.setdefault("_bench_commands", []).extend(tuple(c) for c in commands)
        return original(self, style)

    return Table, original, recording


def recipe_of(flowable):
    """A flowable as plain data (strings, numbers, styles) to rebuild it from."""
    from reportlab.platypus import CondPageBreak, KeepTogether, PageBreak, Paragraph, Spacer, Table

    if isinstance(flowable, Paragraph):
        return ("P", flowable.text, flowable.style)
    if isinstance(flowable, Table):
        cells = [[recipe_of(c) if not isinstance(c, (str, type(None))) else c for c in row]
                 for row in flowable._cellvalues]
        return ("T", cells, flowable._argW, flowable._argH, flowable.repeatRows, flowable.hAlign,
                flowable.splitInRow, getattr(flowable, "_bench_commands", []))
    if isinstance(flowable, KeepTogether):
        return ("K", [recipe_of(f) for f in flowable._content], flowable._maxHeight)
    if isinstance(flowable, CondPageBreak):
        return ("C", flowable.height)
    if isinstance(flowable, PageBreak):
        return ("B",)
    if isinstance(flowable, Spacer):
        return ("S", flowable.width, flowable.height)
    if isinstance(flowable, (list, tuple)):
        return ("L", [recipe_of(f) for f in flowable])
    from app.reports.template import WriteInSpace
    if isinstance(flowable, WriteInSpace):
        return ("W", flowable.label, flowable.least, flowable.most)
    raise TypeError(f"no recipe for {type(flowable).__name__}")


def from_recipe(recipe):
    from reportlab.platypus import CondPageBreak, KeepTogether, PageBreak, Paragraph, Spacer, Table

    kind = recipe[0]
    if kind == "P":
        return Paragraph(recipe[1], recipe[2])
    if kind == "T":
        _, cells, widths, heights, repeat, align, split_in_row, commands = recipe
        data = [[from_recipe(c) if isinstance(c, tuple) else c for c in row] for row in cells]
        return Table(data, colWidths=widths, rowHeights=heights, repeatRows=repeat, hAlign=align,
                     splitInRow=split_in_row, style=commands)
    if kind == "K":
        return KeepTogether([from_recipe(r) for r in recipe[1]], recipe[2])
    if kind == "C":
        return CondPageBreak(recipe[1])
    if kind == "B":
        return PageBreak()
    if kind == "S":
        return Spacer(recipe[1], recipe[2])
    if kind == "L":
        return [from_recipe(r) for r in recipe[1]]
    if kind == "W":  # the notes box that takes the room left on a page: a one-cell table drawn
        from app.reports.template import WriteInSpace  # where it fits, so the floor draws it too
        return WriteInSpace(recipe[1], recipe[2], recipe[3])
    raise TypeError(kind)


def pack_recipe(vault, reference: str) -> list:
    from app.reports.meeting_pack import meeting_pack

    table, original, recording = _recording_styles()
    table.setStyle = recording
    try:
        content = meeting_pack(vault, reference)
    finally:
        table.setStyle = original
    return [recipe_of(f) for f in content.story]


def bare_reportlab(recipe: list) -> tuple[bytes, int]:
    """The floor: the flowables made from their strings and laid out by SimpleDocTemplate in a
    frame the size of the pack's (SimpleDocTemplate's frame pads 6 pt; the margins allow for it)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import SimpleDocTemplate

    from app.reports.template import MARGIN, _Page, Marking
    from app.timeutil import utc_now

    page = _Page(Marking(title="", reference="", printed_by="", printed_at=utc_now(), chain_head="",
                         partner_information=True, names_subjects=True))
    pad = 6
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN - pad, rightMargin=MARGIN - pad,
                            topMargin=A4[1] - page.content_top - pad, bottomMargin=page.content_bottom - pad)
    story = [from_recipe(r) for r in recipe]
    doc.build(story)
    return buffer.getvalue(), doc.page


# ---- the row --------------------------------------------------------------------------------


def measure(log=print, reps: int = REPS) -> list:
    from bench.run import Row, median

    from app.meetings import get_meeting
    from app.reports import build_report
    from app.vault import Vault

    started = time.perf_counter()
    cached, _ = seed.seeded_vault(VAULT_SIZE, log)
    work = Path(tempfile.mkdtemp(prefix="spocdesk-bench-pack-"))
    log("measuring a 200-page meeting pack …")
    try:
        path = seed.working_copy(cached, work)
        vault = Vault.open(path, user=seed.USER, passphrase=seed.PASSPHRASE)
        try:
            t = time.perf_counter()
            reference = make_meeting(vault, requests=80, cases=20)
            report = build_report(vault, "meeting-pack", reference)  # also the warm-up
            added = 0
            while report.page_count < PAGES:
                added += 20
                add_items(vault, reference, 10, 10, offset=80 + added)
                report = build_report(vault, "meeting-pack", reference)
            setup_s = time.perf_counter() - t
            recipe = pack_recipe(vault, reference)
            _, floor_pages = bare_reportlab(recipe)  # warm-up of the floor
            app_times, floor_times = [], []
            for _ in range(reps):
                t = time.perf_counter()
                bare_reportlab(recipe)
                floor_times.append(time.perf_counter() - t)
                t = time.perf_counter()
                report = build_report(vault, "meeting-pack", reference)
                app_times.append(time.perf_counter() - t)
            items = len(get_meeting(vault, reference, audit=False).agenda)
        finally:
            vault.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    row = Row(f"meeting pack ({report.page_count} pages)", VAULT_SIZE, median(app_times), median(floor_times), "s",
              "≤ 1.5×", samples={"app": app_times, "floor": floor_times, "pages": report.page_count,
                                 "floor_pages": floor_pages, "agenda_items": items, "setup_s": setup_s,
                                 "wall_s": time.perf_counter() - started},
              note=f"{report.page_count} pages ({floor_pages} bare), {report.page_count / median(app_times):.0f} "
                   f"pages/s; floor: bare reportlab SimpleDocTemplate, same flowables and fonts").finish()
    row.met = row.ratio <= 1.5
    return [row]


if __name__ == "__main__":  # `.venv/bin/python -m bench.meeting_pack`: this row alone
    import os
    import sys

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from bench.run import format_table

    rows = measure(reps=int(sys.argv[1]) if len(sys.argv) > 1 else REPS)
    print(format_table(rows))
