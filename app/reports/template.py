"""The OFFICIAL-SENSITIVE page template every printed document uses (DESIGN.md, "Protective marking").

Every page carries, centred in capitals at the top and the bottom, the marking from the agreement
data (Appendix 1 para 2), the document title and reference, `Page N of M`, who printed it (user
and agency), when (UK time) and the audit chain head. Documents holding information another
partner provided add the section 6 conditions of use to every page; documents naming a subject
add Appendix 2's warning that the subject must not be told of the request.

User text is always passed through `text()` (or `para()`), which escapes it for reportlab's
Paragraph markup and shows hidden characters visibly, so a name can never become a tag, a link
or an image that reads a local file. Documents are built in memory; nothing is written to disk.

`Page N of M` needs M before any page is finished: the canvas keeps each page's drawing until the
end and then stamps the header and footer on all of them (one layout pass, not two).
"""

from __future__ import annotations

import datetime as _dt
import functools
import io
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape as landscape_of
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import (BaseDocTemplate, Flowable, Frame, KeepTogether, PageTemplate, Paragraph,
                                Spacer, Table, TableStyle)

from app.agreement import load_agreement
from app.paths import resource_path
from app.textcheck import visible
from app.timeutil import LONDON

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
FONT_ITALIC = "DejaVuSans-Oblique"
FONT_FILES = {FONT: "DejaVuSans.ttf", FONT_BOLD: "DejaVuSans-Bold.ttf", FONT_ITALIC: "DejaVuSans-Oblique.ttf"}

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
WIDE_CONTENT_WIDTH = PAGE_HEIGHT - 2 * MARGIN  # landscape, for registers with many columns
INK = colors.HexColor("#0b0c0c")  # GOV.UK text colour
SOFT_INK = colors.HexColor("#484949")
RULE = colors.HexColor("#b1b4b6")
SHADE = colors.HexColor("#f3f2f1")

_fonts_lock = threading.Lock()
_fonts_ready = False


def register_fonts() -> None:
    """Register the shipped Unicode fonts once (reportlab's registry is global)."""
    global _fonts_ready
    with _fonts_lock:
        if _fonts_ready:
            return
        for name, filename in FONT_FILES.items():
            pdfmetrics.registerFont(TTFont(name, str(resource_path("fonts", filename))))
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC, boldItalic=FONT_BOLD)
        _fonts_ready = True


# ---- user text ---------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


@functools.lru_cache(maxsize=1)
def _printable() -> frozenset[int]:
    """The characters the shipped fonts can draw (bold has slightly fewer: take both)."""
    register_fonts()
    regular = pdfmetrics.getFont(FONT).face.charToGlyph
    bold = pdfmetrics.getFont(FONT_BOLD).face.charToGlyph
    return frozenset(regular) & frozenset(bold)


def _marker(char: str) -> str:
    return f"\u27e6U+{ord(char):04X}\u27e7"


def clean(value) -> str:
    """User text as it should appear on paper: hidden characters made visible (as on screen),
    other control characters marked, lone surrogates (which no PDF can hold) replaced, and any
    character the fonts cannot draw (CJK, for one) shown as its code, ⟦U+4E2D⟧, rather than
    printed as a blank: a reader must see that part of a name is there."""
    if value is None:
        return ""
    value = str(value).replace("\r\n", "\n").replace("\r", "\n")
    value = visible(value)
    value = _CONTROL.sub(lambda m: _marker(m.group()), value)
    value = _SURROGATE.sub("\ufffd", value)
    value = unicodedata.normalize("NFC", value)
    printable = _printable()
    if all(ord(c) in printable for c in value):
        return value
    return "".join(c if ord(c) in printable or c in "\n\t" else _marker(c) for c in value)


def text(value) -> str:
    """User text made safe for Paragraph markup: escaped, line breaks kept."""
    escaped = escape(clean(value))
    return escaped.replace("\t", "    ").replace("\n", "<br/>")


def para(value, style: "ParagraphStyle | None" = None) -> Paragraph:
    """A Paragraph of user text (never markup)."""
    return Paragraph(text(value), style or STYLES.body)


def markup(fixed: str, style: "ParagraphStyle | None" = None) -> Paragraph:
    """A Paragraph of the app's own markup (never user text; use `text()` for any user part)."""
    return Paragraph(fixed, style or STYLES.body)


# ---- styles ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Styles:
    title: ParagraphStyle
    subtitle: ParagraphStyle
    heading: ParagraphStyle
    subheading: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    label: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    quote: ParagraphStyle
    footer: ParagraphStyle
    centre: ParagraphStyle


def _styles() -> Styles:
    base = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=13.5, textColor=INK, spaceAfter=4,
                          splitLongWords=True)
    return Styles(
        title=ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=17, leading=21, spaceAfter=4),
        subtitle=ParagraphStyle("subtitle", parent=base, fontSize=11, leading=14, textColor=SOFT_INK, spaceAfter=10),
        heading=ParagraphStyle("heading", parent=base, fontName=FONT_BOLD, fontSize=13, leading=16, spaceBefore=12,
                               spaceAfter=5, keepWithNext=True),
        subheading=ParagraphStyle("subheading", parent=base, fontName=FONT_BOLD, fontSize=10.5, leading=13.5,
                                  spaceBefore=7, spaceAfter=3, keepWithNext=True),
        body=base,
        small=ParagraphStyle("small", parent=base, fontSize=8.5, leading=11, textColor=SOFT_INK),
        label=ParagraphStyle("label", parent=base, fontName=FONT_BOLD, fontSize=9, leading=12, spaceBefore=5,
                             spaceAfter=1, keepWithNext=True),
        cell=ParagraphStyle("cell", parent=base, fontSize=8.5, leading=10.5, spaceAfter=0),
        cell_bold=ParagraphStyle("cell_bold", parent=base, fontName=FONT_BOLD, fontSize=8.5, leading=10.5,
                                 spaceAfter=0),
        quote=ParagraphStyle("quote", parent=base, fontName=FONT_ITALIC, leftIndent=8 * mm, rightIndent=8 * mm,
                             spaceBefore=2, spaceAfter=8),
        footer=ParagraphStyle("footer", parent=base, fontSize=6.8, leading=8.2, textColor=SOFT_INK, spaceAfter=0),
        centre=ParagraphStyle("centre", parent=base, alignment=TA_CENTER),
    )


class _LazyStyles:
    """Styles need the fonts registered first; build them on first use."""

    _styles: Styles | None = None

    def __getattr__(self, name):
        if _LazyStyles._styles is None:
            register_fonts()
            _LazyStyles._styles = _styles()
        return getattr(_LazyStyles._styles, name)


STYLES = _LazyStyles()


# ---- building blocks ---------------------------------------------------------------------------


def heading(title: str) -> Paragraph:
    return Paragraph(escape(title), STYLES.heading)


def subheading(title: str) -> Paragraph:
    return Paragraph(escape(title), STYLES.subheading)


def field_block(label: str, value, *, empty: str = "Not given") -> list:
    """A label above its value, GOV.UK summary style; a blank value says so in words."""
    shown = clean(value).strip() if value is not None else ""
    body = para(shown) if shown else Paragraph(escape(empty), STYLES.small)
    return [Paragraph(escape(label), STYLES.label), body]


def summary_table(rows: Sequence[tuple[str, object]], *, label_width: float = 48 * mm) -> Table:
    """Short label/value pairs in two columns (only for short values; long text uses field_block)."""
    data = [[Paragraph(escape(label), STYLES.cell_bold), para(value, STYLES.cell)] for label, value in rows]
    table = Table(data, colWidths=[label_width, CONTENT_WIDTH - label_width], hAlign="LEFT", splitInRow=1)
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
    ]))
    return table


def grid(headers: Sequence[str], rows: Iterable[Sequence[object]], widths: Sequence[float], *,
         repeat_header: bool = True, wide: bool = False) -> Table:
    """A ruled table of user values (each cell escaped) whose header repeats on every page.

    `widths` are fractions of the content width. Rows may split across pages, so a long cell
    never stops the document from laying out."""
    total = sum(widths)
    width = WIDE_CONTENT_WIDTH if wide else CONTENT_WIDTH
    col_widths = [width * w / total for w in widths]
    data = [[Paragraph(escape(h), STYLES.cell_bold) for h in headers]]
    for row in rows:
        data.append([c if isinstance(c, Paragraph) else para(c, STYLES.cell) for c in row])
    table = Table(data, colWidths=col_widths, repeatRows=1 if repeat_header else 0, hAlign="LEFT", splitInRow=1)
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


class WriteInSpace(Flowable):
    """A box to write in that takes the room left on the page, between `least` and `most` high,
    and is left out (drawing nothing, taking no room) where less than `least` is left: a notes box
    never moves to a page of its own (issue 17)."""

    def __init__(self, label: str, least: float, most: float):
        super().__init__()
        self.label, self.least, self.most = label, least, most
        self.height_used = 0.0

    def wrap(self, avail_width, avail_height):  # reportlab's name
        room = avail_height - 4 * mm
        self.height_used = min(self.most, room) if room >= self.least else 0.0
        self.width = avail_width
        return (avail_width, self.height_used + 4 * mm) if self.height_used else (avail_width, 0)

    def split(self, avail_width, avail_height):
        return []  # never carried to the next page

    def draw(self):
        if not self.height_used:
            return
        box = Table([[Paragraph(escape(self.label), STYLES.small)]], colWidths=[self.width],
                    rowHeights=[self.height_used])
        box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.6, SOFT_INK), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        box.wrapOn(self.canv, self.width, self.height_used)
        box.drawOn(self.canv, 0, 0)


def write_in_space(label: str, least: float = 25 * mm, most: float = 60 * mm) -> WriteInSpace:
    return WriteInSpace(label, least, most)


def write_in_box(label: str, height: float = 30 * mm) -> KeepTogether:
    """An empty ruled box to write in by hand (meeting notes, signatures)."""
    box = Table([[Paragraph(escape(label), STYLES.small)]], colWidths=[CONTENT_WIDTH], rowHeights=[height])
    box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.6, SOFT_INK), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return KeepTogether([Spacer(1, 4 * mm), box])


def spacer(height_mm: float = 4) -> Spacer:
    return Spacer(1, height_mm * mm)


# ---- the page template -------------------------------------------------------------------------


@dataclass(frozen=True)
class Marking:
    """What goes on every page besides the content."""

    title: str  # document kind, e.g. "Personal data request (Appendix 2)": never personal data
    reference: str  # the document reference; also the file name's stem
    printed_by: str  # "jsmith (Derbyshire Constabulary)"
    printed_at: _dt.datetime  # aware
    chain_head: str  # audit chain head as printed: "123:0a1b2c3d4e5f6a7b"
    partner_information: bool = False  # adds the section 6 conditions of use
    names_subjects: bool = False  # adds Appendix 2's "do not tell the subject" warning
    landscape: bool = False  # for registers whose tables need the width
    marking: str = field(default_factory=lambda: load_agreement().info.protective_marking)


def conditions_text() -> str:
    conditions = load_agreement().conditions_of_use
    return "Conditions of use (section 6): " + " ".join(f"{c.clause} {c.text}" for c in conditions)


def subject_warning_text() -> str:
    return load_agreement().declaration.subject_warning


class _Page:
    """Draws the marking, header and footer of one page (needs the page count, so runs at save)."""

    MARK_SIZE = 11
    BOTTOM_MARK_Y = 7 * mm

    def __init__(self, marking: Marking):
        self.marking = marking
        self.size = landscape_of(A4) if marking.landscape else A4
        self.width, self.height = self.size
        self.content_width = self.width - 2 * MARGIN
        printed_at = marking.printed_at.astimezone(LONDON).strftime("%d/%m/%Y %H:%M")
        self.footer_line = (f"Printed by {marking.printed_by} at {printed_at} (UK time) · "
                            f"Audit chain head {marking.chain_head}")
        notes = []
        if marking.names_subjects:
            notes.append(subject_warning_text())
        if marking.partner_information:
            notes.append(conditions_text())
        self.notes = [Paragraph(text(n), STYLES.footer) for n in notes]
        self.notes_height = sum(p.wrap(self.content_width, self.height)[1] + 2 for p in self.notes)

    @property
    def content_top(self) -> float:
        return self.height - 24 * mm

    @property
    def content_bottom(self) -> float:
        return 19 * mm + self.notes_height

    def draw(self, canvas, number: int, total: int) -> None:
        m = self.marking
        canvas.saveState()
        canvas.setFillColor(INK)
        canvas.setFont(FONT_BOLD, self.MARK_SIZE)
        canvas.drawCentredString(self.width / 2, self.height - 10 * mm, m.marking.upper())
        canvas.drawCentredString(self.width / 2, self.BOTTOM_MARK_Y, m.marking.upper())
        # Header: what the document is and where this page is in it.
        canvas.setFont(FONT, 8)
        canvas.setFillColor(SOFT_INK)
        header_y = self.height - 16 * mm
        canvas.drawString(MARGIN, header_y, clean(m.title))
        canvas.drawRightString(self.width - MARGIN, header_y, f"{clean(m.reference)} · Page {number} of {total}")
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, header_y - 2.5 * mm, self.width - MARGIN, header_y - 2.5 * mm)
        # Footer: the notes, then who printed it, when, and the chain head.
        line_y = 13 * mm
        canvas.line(MARGIN, line_y + 3.5 * mm + self.notes_height, self.width - MARGIN,
                    line_y + 3.5 * mm + self.notes_height)
        y = line_y + 3 * mm + self.notes_height
        for note in self.notes:
            _, height = note.wrap(self.content_width, self.height)
            y -= height + 2
            note.drawOn(canvas, MARGIN, y + 2)
        canvas.setFont(FONT, 6.8)
        canvas.drawString(MARGIN, line_y, clean(self.footer_line))
        canvas.restoreState()


def _marked_canvas(page: _Page, progress: Callable[[int], None] | None):
    class MarkedCanvas(pdfcanvas.Canvas):
        """Holds every page until the end so each can say `Page N of M`."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._held: list[dict] = []

        def showPage(self):  # noqa: N802 - reportlab's name
            self._held.append(dict(self.__dict__))
            if progress:
                progress(len(self._held))
            self._startPage()

        def save(self):
            total = len(self._held)
            for number, state in enumerate(self._held, start=1):
                self.__dict__.update(state)
                page.draw(self, number, total)
                super().showPage()
            super().save()

    return MarkedCanvas


@dataclass(frozen=True)
class BuiltDocument:
    data: bytes
    page_count: int


def build_pdf(story: list, marking: Marking, *, progress: Callable[[int], None] | None = None) -> BuiltDocument:
    """Lay `story` out on the marked template and return the PDF bytes (in memory only)."""
    register_fonts()
    page = _Page(marking)
    buffer = io.BytesIO()
    doc = BaseDocTemplate(buffer, pagesize=page.size, leftMargin=MARGIN, rightMargin=MARGIN,
                          topMargin=page.height - page.content_top, bottomMargin=page.content_bottom,
                          title=clean(f"{marking.title} {marking.reference}"), author="SPOC Desk",
                          subject=marking.marking.upper(), creator="SPOC Desk", producer="SPOC Desk",
                          keywords=marking.marking.upper())
    frame = Frame(MARGIN, page.content_bottom, page.content_width, page.content_top - page.content_bottom,
                  id="content", leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="marked", frames=[frame])])
    pages = {"count": 0}

    def counted(n: int) -> None:
        pages["count"] = n
        if progress:
            progress(n)

    doc.build(story, canvasmaker=_marked_canvas(page, counted))
    return BuiltDocument(buffer.getvalue(), pages["count"])


def safe_filename(reference: str, suffix: str) -> str:
    """A file name from the document reference only (never personal data)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{reference}-{suffix}").strip("-.") or "document"
    return f"{stem}.pdf"
