"""The Qt half of `spocdesk self-test`, run in a child process (`python -m ui.qt_probe`, or the
frozen bundle's launcher): a broken platform plugin aborts the process that loads it, so the
self-test in app/ (which never loads Qt) starts this and reads its output, one `key=value` a line.
"""

from __future__ import annotations

import os
import sys


def _one_page_pdf() -> bytes:
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"]
    pdf, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 4\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    pdf += b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(pdf)


def main() -> int:
    headless = sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                         or os.environ.get("WAYLAND_DISPLAY"))
    if headless and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before Qt loads
    from ui.qt import QtCore, QtWidgets

    app = QtWidgets.QApplication([sys.argv[0]])
    print("platform=" + app.platformName(), flush=True)
    try:
        from ui.qt import QtPdf, QtPdfWidgets  # the report preview's document and view
    except ImportError as exc:
        print("qtpdf=missing " + (exc.name or "QtPdf"), flush=True)
        return 0
    if not hasattr(QtPdfWidgets, "QPdfView"):
        print("qtpdf=missing PySide6.QtPdfWidgets", flush=True)
        return 0
    buffer = QtCore.QBuffer()
    buffer.setData(QtCore.QByteArray(_one_page_pdf()))
    buffer.open(QtCore.QIODevice.OpenModeFlag.ReadOnly)
    document = QtPdf.QPdfDocument()
    document.load(buffer)
    print("qtpdf=pages %d" % document.pageCount(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
