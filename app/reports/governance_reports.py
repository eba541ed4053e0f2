"""The agreement register (13.2-13.4, 3.1, 6.4, 11) and the joint compliance report (13.1), with
charts drawn by reportlab's own graphics."""

from __future__ import annotations

import datetime as _dt
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph

from app.agreement import load_agreement
from app.compliance import Chart, compliance_report
from app.governance import (
    agreement_history, current_record, dispute_clock_words, list_disputes, signatories, standings,
)
from app.records import today_london
from app.reports.documents import Content
from app.reports.template import CONTENT_WIDTH, FONT, INK, STYLES, clean, grid, heading, para, spacer, summary_table

SERIES_COLOURS = (colors.HexColor("#1d70b8"), colors.HexColor("#f47738"), colors.HexColor("#00703c"))


def _uk(day) -> str:
    if not day:
        return ""
    day = _dt.date.fromisoformat(str(day)[:10])
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def chart_drawing(chart: Chart, width: float = CONTENT_WIDTH, height: float = 62 * mm) -> Drawing:
    """A bar chart of `chart` (labels are agency codes or months: our own words, never user text)."""
    drawing = Drawing(width, height)
    drawing.add(String(0, height - 10, clean(chart.title), fontName=FONT, fontSize=9, fillColor=INK))
    bars = VerticalBarChart()
    bars.x, bars.y = 30, 28
    bars.width, bars.height = width - 40, height - 58
    bars.data = [list(values) or [0] for _, values in chart.series]
    bars.categoryAxis.categoryNames = [clean(label) for label in chart.labels] or [""]
    bars.categoryAxis.labels.fontName = FONT
    bars.categoryAxis.labels.fontSize = 7
    bars.categoryAxis.labels.angle = 30 if len(chart.labels) > 8 else 0
    bars.categoryAxis.labels.boxAnchor = "ne" if len(chart.labels) > 8 else "n"
    bars.valueAxis.labels.fontName = FONT
    bars.valueAxis.labels.fontSize = 7
    bars.valueAxis.valueMin = 0
    top = max((v for _, values in chart.series for v in values), default=0)
    bars.valueAxis.valueMax = max(1, top * 1.15)
    bars.barSpacing = 1
    bars.groupSpacing = 6
    for n in range(len(chart.series)):
        bars.bars[n].fillColor = SERIES_COLOURS[n % len(SERIES_COLOURS)]
        bars.bars[n].strokeColor = None
    drawing.add(bars)
    if len(chart.series) > 1:
        legend = Legend()
        legend.x, legend.y = width - 150, height - 6
        legend.fontName = FONT
        legend.fontSize = 7
        legend.alignment = "right"
        legend.columnMaximum = 1
        legend.colorNamePairs = [(SERIES_COLOURS[n], name) for n, (name, _) in enumerate(chart.series)]
        drawing.add(legend)
    drawing.add(String(0, 2, clean(f"Unit: {chart.unit}"), fontName=FONT, fontSize=7, fillColor=INK))
    return drawing


# ---- the agreement register ----------------------------------------------------------------


def agreement_register(vault, reference: str = "all") -> Content:
    agreement = load_agreement()
    record = current_record(vault)
    today = today_london()
    story = [Paragraph(escape("Agreement register"), STYLES.title),
             Paragraph(escape(agreement.info.title), STYLES.subtitle)]
    if record is not None:
        story.append(summary_table([
            ("Agreement", record.short_name),
            ("Version", record.version_text),
            ("SHA-256 of its file", record.sha256),
            ("Recorded", f"{_uk(record.adopted_at)} by {record.adopted_by}"),
            ("Review period", f"{agreement.deadlines.review_months} months after each signature (clause "
                              f"{agreement.info.review_clause})"),
            ("Disputes", f"resolved within {dispute_clock_words(agreement)}"),
            ("Indemnity (clause 11.1)", "Each partner to this Agreement will undertake to indemnify the other "
                                        "against any legal action arising from any breach of this Agreement by any "
                                        "person working for or on behalf of that organisation. (Shown here; SPOC "
                                        "Desk has nothing to enforce.)"),
        ]))
        history = agreement_history(vault)
        if len(history) > 1:
            story.append(heading("Versions adopted"))
            story.append(grid(["Version", "SHA-256", "Adopted", "By", "Why"],
                              [[h.version_text, h.sha256[:16] + "…", _uk(h.adopted_at), h.adopted_by, h.reason]
                               for h in history], [1.2, 2.4, 1.3, 1.3, 3.5]))
    story.append(heading("Signatories and reviews (13.4)"))
    rows = []
    for s in signatories(vault):
        state = "Not recorded" if not s.signed else ("REVIEW OVERDUE" if s.overdue(today) else "In date")
        rows.append([s.partner_name, s.name, s.position, _uk(s.signed_on), _uk(s.review_due), state])
    story.append(grid(["Partner", "Signed by", "Position", "Signed", "Review due", "State"], rows,
                      [2.7, 2.1, 1.9, 1.7, 1.7, 1.6]))
    story.append(heading("Disputes (13.3)"))
    disputes = list_disputes(vault)
    if disputes:
        story.append(grid(["Reference", "With", "Raised by", "About", "Clock", "Steps"],
                          [[d.reference, d.partner_name, "This desk" if d.raised_by == "us" else "Partner", d.about,
                            d.clock_text(today), "\n".join(f"{_uk(st.on_date)}: {st.text}" for st in d.steps)]
                           for d in disputes], [2, 2, 1.1, 2.7, 2.2, 2.6]))
    else:
        story.append(para("No disputes are recorded."))
    story.append(heading("Users: approval and training (3.1, 6.4)"))
    story.append(grid(["User", "Role", "Approved by", "Approved", "Course", "Trained", "Renewal due", "State"],
                      [[u.user_name, u.role, u.approved_by, _uk(u.approved_on), u.course, _uk(u.trained_on),
                        _uk(u.renewal_due), ("Disabled" if not u.active else
                                             "; ".join(u.problems(today)) or "Approved and trained")]
                       for u in standings(vault)], [1.4, 0.9, 1.8, 1.2, 1.8, 1.2, 1.2, 3]))
    vault.audit("agreement.register_printed", record_type="agreement")
    return Content("Agreement register", f"REGISTER-{today:%Y%m%d}", story, file_suffix="agreement-register")


# ---- the compliance report ------------------------------------------------------------------


def compliance_doc(vault, reference: str = "all") -> Content:
    report = compliance_report(vault, reference)
    scope = report.scope
    who = load_agreement().partner_name(scope.partner) if scope.partner else "all partners"
    story = [Paragraph(escape("Joint compliance report (clause 13.1)"), STYLES.title),
             Paragraph(escape(f"{scope.period_text}, {who}. Counts, clocks and ids only: no personal data."),
                       STYLES.subtitle)]
    for section in report.sections:
        block = [heading(f"{section.title} ({section.clause})")]
        block += [para(line) for line in section.lines]
        table = grid(list(section.headers), [list(r) for r in section.rows], list(section.widths)) \
            if section.rows else None
        if table is not None and len(section.rows) <= 8:
            block.append(table)  # a short table stays with its heading, never split from it
            table = None
        elif table is None and section.headers:
            block.append(para("None in the period."))
        story.append(KeepTogether(block))
        if table is not None:
            story.append(table)
        if section.chart is not None:
            story.append(spacer(3))
            story.append(chart_drawing(section.chart))
    return Content("Compliance report", report.reference, story, file_suffix="compliance")
