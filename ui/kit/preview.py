"""Preview, print and save a document (issue 5): the PDF is built off the GUI thread, shown from
memory with QtPdf, printed — to a CUPS queue, the PDF itself through `lp` (app.reports.printing),
so the marking prints as text; otherwise by rendering its pages straight to the printer — and
saved only where the user chooses, under a name built from the document reference. No temporary
files. A printer that fails is said in words and the print is not recorded.

Every preview, print and save is an audit event (`app.reports.record_use`). The preview is a
dialog, so locking the vault closes it with the others, and closing it drops the PDF bytes.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from app.errors import AuthError, SpocError
from app.reports import Report, build_report, record_use, save_pdf
from app.reports.printing import PrinterError, lp_available, send_to_queue
from ui.kit.formatting import documents_folder, plural
from ui.qt import QtCore, QtGui, QtPdf, QtPdfWidgets, QtPrintSupport, QtWidgets, Qt
from ui.kit.dialogs import info_box
from ui.kit.widgets import MarkingBanner, hint_label, plain_label
from ui.worker import Op
from ui.kit import theme

log = logging.getLogger(__name__)
message = functools.partial(info_box, warning=True)  # how a refusal is told (the kit's one box)

PDF_FILTER = "PDF documents (*.pdf)"


def print_pdf(document: "QtPdf.QPdfDocument", printer: "QtPrintSupport.QPrinter") -> int:
    """Render the pages the printer asks for onto it, one page image at a time; returns pages sent."""
    count = document.pageCount()
    first, last = printer.fromPage(), printer.toPage()
    if first <= 0 or last <= 0:
        first, last = 1, count
    first, last = max(1, first), min(count, last)
    painter = QtGui.QPainter()
    if not painter.begin(printer):
        raise OSError("the printer could not be started")
    sent = 0
    try:
        for index in range(first - 1, last):
            if sent:
                printer.newPage()
            target = painter.viewport()  # device pixels of the printable page
            points = document.pagePointSize(index)
            scale = min(target.width() / points.width(), target.height() / points.height())
            size = QtCore.QSize(int(points.width() * scale), int(points.height() * scale))
            image = document.render(index, size)
            painter.drawImage(QtCore.QRect(QtCore.QPoint(0, 0), size), image)
            sent += 1
    finally:
        painter.end()
    return sent


class ReportPreview(QtWidgets.QDialog):
    """The document on screen between marking banners, with Print and Save as PDF."""

    def __init__(self, session, report: Report, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.report = report
        self.setWindowTitle(f"{report.title} {report.reference} — OFFICIAL-SENSITIVE — SPOC Desk")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setModal(False)
        self.resize(900, 1000)
        self._bytes = QtCore.QByteArray(report.data)
        self._buffer = QtCore.QBuffer(self._bytes, self)
        self._buffer.open(QtCore.QIODevice.OpenModeFlag.ReadOnly)
        self.document = QtPdf.QPdfDocument(self)
        self.document.load(self._buffer)

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(MarkingBanner())
        bar = QtWidgets.QHBoxLayout()
        bar.setContentsMargins(12, 8, 12, 8)
        title = plain_label(f"{report.title} · {report.reference}", wrap=False)
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        bar.addWidget(title)
        bar.addSpacing(12)
        pages = report.page_count
        self.pages_label = hint_label(plural(pages, "page"))
        bar.addWidget(self.pages_label)
        bar.addStretch(1)
        self.zoom = QtWidgets.QComboBox()
        self.zoom.setAccessibleName("Zoom")
        for label, value in (("Fit width", 0), ("Whole page", -1), ("75 %", 75), ("100 %", 100), ("150 %", 150)):
            self.zoom.addItem(label, value)
        self.zoom.currentIndexChanged.connect(self._zoom_changed)
        bar.addWidget(self.zoom)
        self.print_button = QtWidgets.QPushButton("&Print…")
        self.print_button.setAccessibleName("Print this document")
        self.print_button.clicked.connect(self.choose_printer)
        self.save_button = QtWidgets.QPushButton("&Save as PDF…")
        self.save_button.setAccessibleName("Save this document as a PDF file")
        self.save_button.clicked.connect(self.choose_file)
        close_button = QtWidgets.QPushButton("&Close")
        close_button.clicked.connect(self.close)
        for button in (self.print_button, self.save_button, close_button):
            bar.addWidget(button)
        layout.addLayout(bar)
        self.status = hint_label("")
        self.status.setContentsMargins(12, 0, 12, 6)
        self.status.hide()
        layout.addWidget(self.status)

        self.view = QtPdfWidgets.QPdfView(self)
        self.view.setAccessibleName(f"Preview of {report.title} {report.reference}")
        self.view.setPageMode(QtPdfWidgets.QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QtPdfWidgets.QPdfView.ZoomMode.FitToWidth)
        self.view.setDocument(self.document)
        theme.style(self.view, "QPdfView { background: {preview}; }")
        layout.addWidget(self.view, 1)
        layout.addWidget(MarkingBanner())
        QtGui.QShortcut(QtGui.QKeySequence.StandardKey.Print, self, activated=self.choose_printer)
        QtGui.QShortcut(QtGui.QKeySequence.StandardKey.Save, self, activated=self.choose_file)
        self.print_button.setFocus()

    # ---- zoom --------------------------------------------------------------------------------

    def _zoom_changed(self) -> None:
        value = self.zoom.currentData()
        if value is None:  # the list was emptied (the window is being scrubbed at lock)
            return
        modes = QtPdfWidgets.QPdfView.ZoomMode
        if value == 0:
            self.view.setZoomMode(modes.FitToWidth)
        elif value == -1:
            self.view.setZoomMode(modes.FitInView)
        else:
            self.view.setZoomMode(modes.Custom)
            self.view.setZoomFactor(value / 100)

    # ---- print ---------------------------------------------------------------------------------

    def printer(self, name: str = "") -> "QtPrintSupport.QPrinter":
        """A printer set up for this document (A4, its orientation, the reference as the job's
        name, never personal data); `name` picks a print queue without the dialog."""
        printer = QtPrintSupport.QPrinter(QtPrintSupport.QPrinter.PrinterMode.HighResolution)
        printer.spoc_queue = name   # Qt forgets a queue it has not listed; lp is told the name asked for
        if name:
            printer.setPrinterName(name)
        printer.setDocName(f"{self.report.reference} (OFFICIAL-SENSITIVE)")
        printer.setPageSize(QtGui.QPageSize(QtGui.QPageSize.PageSizeId.A4))
        if self.document.pageCount() and self.document.pagePointSize(0).width() > self.document.pagePointSize(0).height():
            printer.setPageOrientation(QtGui.QPageLayout.Orientation.Landscape)
        return printer

    def choose_printer(self) -> None:
        printer = self.printer()
        dialog = QtPrintSupport.QPrintDialog(printer, self)
        dialog.setWindowTitle(f"Print {self.report.reference}")
        dialog.setMinMax(1, max(1, self.document.pageCount()))
        self._print_dialog = dialog
        dialog.accepted.connect(lambda: self.print_to(printer))
        dialog.open()

    def print_to(self, printer: "QtPrintSupport.QPrinter") -> bool:
        """Print on `printer` (as the print dialog left it, or made by a caller with a printer
        name); audited only once the printer has taken the document."""
        try:
            sent = self._send(printer)
        except PrinterError as exc:
            self._say(f"The document was not printed: {exc}. Check the printer and try again; nothing was "
                      "recorded as printed.", error=True)
            return False
        except OSError:
            self._say("The document was not printed: the printer could not be started. Check the printer and try "
                      "again; nothing was recorded as printed.", error=True)
            return False
        self._audit("printed")
        self._say(f"Sent {plural(sent, 'page')} to the printer. Collect the pages at once "
                  "and keep them secure (OFFICIAL-SENSITIVE).")
        return True

    def _send(self, printer: "QtPrintSupport.QPrinter") -> int:
        formats = QtPrintSupport.QPrinter.OutputFormat
        count = self.document.pageCount()
        asked = getattr(printer, "spoc_queue", "")
        queue = asked or (printer.printerName() if printer.outputFormat() == formats.NativeFormat else "")
        if queue and lp_available():
            first, last = printer.fromPage(), printer.toPage()
            pages = (min(count, last) - max(1, first) + 1) if first > 0 and last > 0 else count
            send_to_queue(self.report.data, queue, title=printer.docName() or self.report.reference,
                          copies=printer.copyCount(), first=first, last=last)
            return max(0, pages)
        sent = print_pdf(self.document, printer)
        if printer.printerState() == QtPrintSupport.QPrinter.PrinterState.Error:
            raise PrinterError("the printer reported an error")
        return sent

    # ---- save -------------------------------------------------------------------------------------

    def choose_file(self) -> None:
        start = str(documents_folder() / self.report.filename)
        chosen, _filter = QtWidgets.QFileDialog.getSaveFileName(self, f"Save {self.report.reference} as PDF",
                                                                start, PDF_FILTER)
        if chosen:
            path = Path(chosen)
            if path.suffix.lower() != ".pdf":
                path = path.with_name(path.name + ".pdf")
            # The native dialog has already asked before replacing an existing file.
            self.save_to(path, replace=path.exists())

    def save_to(self, path: Path, *, replace: bool = False) -> bool:
        try:
            save_pdf(self.report.data, path, replace=replace)
        except SpocError as exc:
            self._say(str(exc), error=True)
            return False
        self._audit("saved")
        self._say(f"Saved as {path.name}. The file holds OFFICIAL-SENSITIVE information: keep it in an approved "
                  "location and send it only through an approved secure channel (Appendix 4).")
        return True

    # ---- helpers ----------------------------------------------------------------------------------

    def _audit(self, how: str) -> None:
        if self.session.vault is None:
            return
        try:
            record_use(self.session.vault, self.report, how)
        except SpocError:
            log.warning("report.audit_failed kind=%s", self.report.kind)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        theme.style(self.status, "color: {danger}; font-weight: bold;" if error else "color: {ok};")
        self.status.show()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.document.close()
        self._buffer.close()
        self._bytes.clear()
        self.report = Report(self.report.kind, self.report.title, self.report.reference, b"", 0)
        super().closeEvent(event)


# ---- opening a preview from any screen -------------------------------------------------------------

_BUSY_TEXT = {"meeting-pack": "Preparing the meeting pack…", "audit": "Preparing the audit trail extract…",
              "disclosures": "Preparing the disclosure register extract…"}


def show_report(parent: QtWidgets.QWidget, session, kind: str, reference: str, **for_partner):
    """Build a document in the background and open its preview; returns the progress dialog.
    `for_partner` (for_agency, purpose): printed to give to another partner (app.reports)."""
    busy = QtWidgets.QProgressDialog(_BUSY_TEXT.get(kind, "Preparing the document…"), "", 0, 0, parent)
    busy.setWindowTitle("SPOC Desk")
    busy.setCancelButton(None)
    busy.setMinimumDuration(300)
    busy.setWindowModality(Qt.WindowModality.WindowModal)
    busy.setAutoClose(False)
    vault = session.vault

    def done(report: Report) -> None:
        busy.close()
        if session.vault is None:  # locked while it was being built: drop it
            return
        preview = ReportPreview(session, report, parent.window() if parent else None)
        preview._audit("previewed")
        preview.show()
        preview.raise_()
        preview.activateWindow()
        busy.preview = preview  # lets callers (and tests) find the window

    def failed(exc: BaseException) -> None:
        busy.close()
        if session.vault is None:
            return
        if isinstance(exc, (AuthError, SpocError)):
            text = str(exc)
        else:
            log.error("report.failed kind=%s error=%s", kind, type(exc).__name__)
            text = "The document could not be prepared. Nothing was printed or saved."
        message(parent, "Could not prepare the document", text).open()

    busy.preview = None
    Op(busy, lambda: build_report(vault, kind, reference, **for_partner), "The document could not be prepared.") \
        .success(done).failure(failed).run()
    return busy
