"""The case summary (Appendix 2a) and the relationship map (4.3(4)) on the marked template.

The map is drawn as reportlab vector graphics: nodes by shape and colour (person, location,
business, vehicle), links coloured by kind and dashed by confidence, each node numbered, with a
key, the list of who is on the map, and the list of links with their dates, confidence, source
and originator. Positions come from `app.links.layout`, so the paper map matches the screen.
A case's internal notes are never printed.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Line, Polygon, Rect, String, Circle
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import CondPageBreak, KeepTogether, PageBreak, Paragraph

from app import cases as cs, links as lk
from app.agreement import load_agreement
from app.errors import InvalidInput
from app.reports.documents import Content, date_text, partner_name, time_text
from app.reports.template import (CONTENT_WIDTH, FONT, FONT_BOLD, STYLES, clean, field_block, grid, heading, markup,
                                  para, spacer, subheading, summary_table)

LABELLED_NODES = 60  # above this many nodes the drawing shows numbers only; the list names them


def _short(text: str, limit: int = 24) -> str:
    text = " ".join(clean(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _shape(kind: str, x: float, y: float, r: float, fill, *, focus: bool):
    shape, _ = lk.NODE_STYLE.get(kind, ("circle", "#505a5f"))
    stroke = colors.HexColor("#0b0c0c")
    width = 1.4 if focus else 0.6
    if shape == "square":
        return Rect(x - r, y - r, 2 * r, 2 * r, fillColor=fill, strokeColor=stroke, strokeWidth=width)
    if shape == "diamond":
        return Polygon([x, y + r * 1.25, x + r * 1.25, y, x, y - r * 1.25, x - r * 1.25, y], fillColor=fill,
                       strokeColor=stroke, strokeWidth=width)
    if shape == "triangle":
        return Polygon([x, y + r * 1.2, x + r * 1.15, y - r * 0.8, x - r * 1.15, y - r * 0.8], fillColor=fill,
                       strokeColor=stroke, strokeWidth=width)
    return Circle(x, y, r, fillColor=fill, strokeColor=stroke, strokeWidth=width)


def numbering(graph: lk.MapGraph) -> dict[str, int]:
    """Node numbers for the drawing and the lists: focus subjects first, then by kind and name."""
    order = sorted(graph.nodes.values(), key=lambda n: (not n.focus, list(lk.NODE_KINDS).index(n.kind)
                                                        if n.kind in lk.NODE_KINDS else 9, n.label.casefold(), n.id))
    return {n.id: number for number, n in enumerate(order, start=1)}


def map_drawing(graph: lk.MapGraph, positions: dict, numbers: dict[str, int], width: float = CONTENT_WIDTH,
                height: float = CONTENT_WIDTH * 0.8) -> Drawing:
    drawing = Drawing(width, height)
    drawing.add(Rect(0, 0, width, height, fillColor=colors.HexColor("#fbfbfb"), strokeColor=colors.HexColor("#b1b4b6"),
                     strokeWidth=0.5))
    count = len(graph.nodes)
    labelled = count <= LABELLED_NODES
    r = 5.5 if count <= 40 else 4 if count <= 150 else 2.6
    pad_x, pad_y = (34 if labelled else 10), 22

    def at(node_id: str) -> tuple[float, float]:
        x, y = positions.get(node_id, (0.0, 0.0))
        # Layout y runs down the page (as on screen); reportlab's runs up.
        return (pad_x + (x + 1) / 2 * (width - 2 * pad_x), pad_y + (1 - y) / 2 * (height - 2 * pad_y))

    for link in graph.links:
        if link.from_subject not in graph.nodes or link.target not in graph.nodes:
            continue
        (x1, y1), (x2, y2) = at(link.from_subject), at(link.target)
        line = Line(x1, y1, x2, y2, strokeColor=colors.HexColor(lk.LINK_COLOURS.get(link.kind, "#505a5f")),
                    strokeWidth=1.1 if count <= 150 else 0.4)
        dash = lk.CONFIDENCE_DASH.get(link.confidence)
        if dash:
            line.strokeDashArray = list(dash)
        drawing.add(line)
    for node in graph.nodes.values():
        x, y = at(node.id)
        fill = colors.HexColor(lk.NODE_STYLE.get(node.kind, ("", "#505a5f"))[1])
        drawing.add(_shape(node.kind, x, y, r, fill, focus=node.focus))
        number = str(numbers.get(node.id, ""))
        if labelled:
            text = f"{number} {_short(node.label)}"
            font = FONT_BOLD if node.focus else FONT
            w = stringWidth(text, font, 7)
            drawing.add(Rect(x - w / 2 - 1.5, y - r - 10.5, w + 3, 9, fillColor=colors.Color(1, 1, 1, alpha=0.85),
                             strokeColor=None))
            drawing.add(String(x, y - r - 8.5, text, fontName=font, fontSize=7,
                               fillColor=colors.HexColor("#0b0c0c"), textAnchor="middle"))
        elif count <= 200:
            drawing.add(String(x + r + 1, y + r, number, fontName=FONT, fontSize=4.5,
                               fillColor=colors.HexColor("#0b0c0c")))
    return drawing


def map_key(width: float = CONTENT_WIDTH) -> Drawing:
    """The key: node kinds by shape and colour, link kinds by colour, confidence by dash."""
    drawing = Drawing(width, 40 * mm / 2.2)
    y_top = drawing.height - 7
    x = 2
    for kind, label in lk.NODE_KINDS.items():
        drawing.add(_shape(kind, x + 5, y_top, 4, colors.HexColor(lk.NODE_STYLE[kind][1]), focus=False))
        drawing.add(String(x + 13, y_top - 3, label, fontName=FONT, fontSize=7.5))
        x += 26 * mm
    x = 2
    y = y_top - 14
    step = width / 4
    for n, (kind, colour) in enumerate(lk.LINK_COLOURS.items()):
        cx, cy = x + (n % 4) * step, y - (n // 4) * 11
        drawing.add(Line(cx, cy, cx + 16, cy, strokeColor=colors.HexColor(colour), strokeWidth=1.6))
        drawing.add(String(cx + 20, cy - 2.5, lk.kind_label(kind), fontName=FONT, fontSize=7.5))
    cy = y - 22
    for n, (confidence, dash) in enumerate(lk.CONFIDENCE_DASH.items()):
        cx = x + n * step
        line = Line(cx, cy, cx + 16, cy, strokeColor=colors.HexColor("#0b0c0c"), strokeWidth=1.1)
        if dash:
            line.strokeDashArray = list(dash)
        drawing.add(line)
        drawing.add(String(cx + 20, cy - 2.5, lk.CONFIDENCE[confidence], fontName=FONT, fontSize=7.5))
    drawing.add(String(x + 3 * step, cy - 2.5, "Bold outline: subject of the record", fontName=FONT, fontSize=7.5))
    return drawing


def link_rows(graph: lk.MapGraph, numbers: dict[str, int]) -> list[list]:
    rows = []
    for n, link in enumerate(sorted(graph.links, key=lambda x: (numbers.get(x.from_subject, 0),
                                                              numbers.get(x.target, 0), x.kind)), start=1):
        rows.append([str(n), f"{numbers.get(link.from_subject, '')}. {link.from_name}", link.kind_label,
                     f"{numbers.get(link.target, '')}. {link.to_name}", link.dates,
                     lk.CONFIDENCE.get(link.confidence, link.confidence), link.source_label,
                     partner_name(link.originator)])
    return rows


def map_story(vault, graph: lk.MapGraph, *, heading_text: str | None = None) -> list:
    """The drawing, its key, who is on it and the list of links (for the map report and packs)."""
    positions = lk.layout(graph)
    numbers = numbering(graph)
    top = [subheading(heading_text)] if heading_text else []
    if not graph.nodes:
        return top + [para("No subjects or links are recorded for this map yet.")]
    story: list = [KeepTogether(top + [map_drawing(graph, positions, numbers), spacer(2), map_key()])]
    others = sorted(o for o in graph.originators if o != vault.agency)
    if others:
        story.append(markup("Links learnt from " + escape(", ".join(partner_name(o) for o in others)) +
                            " are that partner's information: section 6 applies to them as to the response "
                            "they came from.", STYLES.small))
    story.append(CondPageBreak(40 * mm))
    story.append(subheading("Who is on the map"))
    people = sorted(graph.nodes.values(), key=lambda n: numbers[n.id])
    story.append(grid(["#", "Kind", "Name or description"],
                      [[str(numbers[n.id]), lk.NODE_KINDS.get(n.kind, n.kind), n.label] for n in people], [0.6, 1.6, 9]))
    story.append(subheading("Links and where each came from"))
    rows = link_rows(graph, numbers)
    story.append(grid(["#", "From", "Link", "To", "Dates", "Confidence", "Source", "Originator"], rows,
                      [0.5, 2.2, 1.4, 2.2, 1.8, 1.7, 2.3, 1.9]) if rows else para("No links are recorded."))
    return story


def _graph_for(vault, ref: str) -> lk.MapGraph:
    text = (ref or "").strip()
    if not text or text == "all":
        raise InvalidInput("Name the map: a case (CASE-2026-0001), a request (MSR-2026-0001) or subject:ID.")
    if text.lower().startswith("subject:"):
        return lk.map_graph(vault, "subject", text.split(":", 1)[1].strip(), audit=False)
    if text.upper().startswith(cs.PREFIX + "-"):
        return lk.map_graph(vault, "case", text, audit=False)
    return lk.map_graph(vault, "request", text, audit=False)


def relationship_map(vault, ref: str) -> Content:
    graph = _graph_for(vault, ref)
    reference = graph.reference if graph.scope != "subject" else "MAP-" + next(
        (n.id[:8] for n in graph.nodes.values() if n.focus), "subject")
    story = [Paragraph("Relationship map", STYLES.title),
             Paragraph(escape(f"{graph.title} · {len(graph.nodes)} on the map · {len(graph.links)} links"),
                       STYLES.subtitle),
             markup("Clause 4.3(4): to sensitively map vulnerable individuals, businesses and offenders and share "
                    "information on locations, relationships, needs and concerns.", STYLES.small), spacer(2)]
    story += map_story(vault, graph)
    partner = any(o != vault.agency for o in graph.originators)
    return Content("Relationship map", f"{reference}-MAP" if graph.scope != "subject" else reference, story,
                   partner_information=partner, names_subjects=True, file_suffix="map")


def case_summary_rows(case: cs.Case) -> list[tuple[str, str]]:
    return [
        ("Reference", case.reference), ("Title", case.title),
        ("Status", f"{cs.STATUS_LABELS[case.status]} · {case.stage_label}"),
        ("Information from", case.source_label + (f" — {case.source_detail}" if case.source_detail else "")),
        ("Information came in", date_text(case.received_on) or "Not given"),
        ("Types of exploitation", ", ".join(case.exploitation_names) or "Not given"),
        ("Lead agency", case.lead_name),
    ]


def referral_rows(case: cs.Case) -> list[list]:
    return [[r.kind_label, r.subject_name or "", date_text(r.referred_on),
             r.first_responder, cs.CONSENT.get(r.consent, ""), r.outcome_text, r.outstanding or ""]
            for r in case.referrals]


def case_doc(vault, ref: str) -> Content:
    case = cs.get_case(vault, (ref or "").strip(), audit=False)
    four_p = {p.id: p.name for p in load_agreement().four_p}
    story = [Paragraph("Case summary", STYLES.title),
             Paragraph(escape(f"{case.reference} · {case.stage_label}"), STYLES.subtitle),
             summary_table(case_summary_rows(case)),
             markup("The case's internal notes stay on this desk and are not printed.", STYLES.small),
             heading("Tactical response process (Appendix 2a)")]
    story.append(grid(["When", "Stage", "Why", "By"],
                      [[time_text(h.at), (f"{cs.stage_label(h.from_stage)} → " if h.from_stage else "")
                        + cs.stage_label(h.to_stage) + (" (revisited)" if h.revisit else ""), h.reason, h.recorded_by]
                       for h in case.history], [2, 4, 5, 1.6]))
    story.append(heading("Requests"))
    story.append(grid(["Reference", "Date", "Status", "Linked"],
                      [[r.reference, date_text(r.request_date), r.status.capitalize(), time_text(r.linked_at)]
                       for r in case.requests], [3, 2, 2, 3]) if case.requests else para("No request is linked."))
    story.append(heading("Tactical meetings"))
    story.append(grid(["Meeting", "Date and time", "Status"],
                      [[m.reference, time_text(m.held_at), m.status.capitalize()] for m in case.meetings],
                      [3, 3, 2]) if case.meetings else para("The case has not been on a meeting agenda."))
    story.append(heading("Actions (Pursue, Prevent, Protect, Prepare)"))
    story.append(grid(["Action", "Category", "Owner", "Due", "Status", "Meeting"],
                      [[a.text, four_p.get(a.category, a.category), partner_name(a.owner_agency),
                        date_text(a.due_date) + (" OVERDUE" if a.is_overdue() else ""), a.status.capitalize(),
                        a.meeting_reference] for a in case.actions], [5, 1.4, 2.4, 1.8, 1.2, 2])
                 if case.actions else para("No actions are agreed yet."))
    story.append(heading("Referrals"))
    story.append(grid(["Referral to", "Person", "Referred", "First responder", "Consent", "Outcome", "Awaited"],
                      referral_rows(case), [2.2, 1.8, 1.8, 2, 1.8, 2.6, 2])
                 if case.referrals else para("No referral is recorded."))
    if case.lessons:
        story += [heading("Review and debrief: what we learnt")] + field_block("What we learnt", case.lessons)
    graph = lk.map_graph(vault, "case", case.id, audit=False)
    story += [PageBreak(), heading("Relationship map")] + map_story(vault, graph)
    partner = bool(case.requests) or any(o != vault.agency for o in graph.originators)
    return Content("Case summary", case.reference, story, partner_information=partner, names_subjects=True,
                   file_suffix="case")


def agenda_case_story(vault, case_id: str) -> list:
    """What a meeting pack shows under a case on the agenda: its summary, referrals and its map."""
    case = cs.get_case(vault, case_id, audit=False)
    story = [summary_table(case_summary_rows(case))]
    if case.referrals:
        story += [subheading("Referrals"), grid(["Referral to", "Person", "Referred", "First responder", "Consent",
                                                 "Outcome", "Awaited"], referral_rows(case),
                                                [2.2, 1.8, 1.8, 2, 1.8, 2.6, 2])]
    if case.requests:
        story.append(para("Requests: " + ", ".join(r.reference for r in case.requests)))
    graph = lk.map_graph(vault, "case", case.id, audit=False)
    return story + map_story(vault, graph, heading_text="Relationship map")
