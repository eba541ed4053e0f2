"""Preview, print and save from the screens: the document is shown from memory, printed to a
(PDF) printer page by page, saved under its reference, and each use is audited. Breaches reported
from a screen link what was on it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from app import requests as rq
from app import responses as rs
from desk_helpers import make_desk, reopen_as, request_data, response_data
from fake_session import FakeSession
from settle import settle
from ui.audit.area import AuditArea
from ui.disclosures.area import DisclosuresArea
from ui.qt import QtPrintSupport, QtWidgets, Qt
from ui.kit.preview import ReportPreview
from ui.requests.area import RequestsArea


@pytest.fixture
def police(tmp_path):
    vault = make_desk(tmp_path / "dcon.vault")
    request = rq.create_request(vault, request_data())
    rq.send_to_agencies(vault, request.id, ["HMRC", "GLAA"])
    request = rq.get_request(vault, request.id)
    rs.receive_response(vault, next(d for d in request.dispatches if d.agency == "HMRC").id, response_data())
    yield vault, request
    if vault.is_open:
        vault.close()


def open_preview(qtbot, busy) -> ReportPreview:
    qtbot.waitUntil(lambda: busy.preview is not None, timeout=20_000)
    preview = busy.preview
    # The preview deletes itself on close and is owned by the screen that opened it.
    qtbot.waitUntil(lambda: preview.document.pageCount() == preview.report.page_count, timeout=10_000)
    return preview


def report_events(vault) -> list[tuple[str, str]]:
    # What the user did with a document (making it, report.generated, is an event of its own: issue 16).
    rows = vault.db.query("SELECT action, record_id FROM audit_events WHERE action LIKE 'report.%'"
                          " AND action != 'report.generated' ORDER BY seq")
    return [(r["action"], r["record_id"]) for r in rows]


def pdf_printer(path: Path):
    printer = QtPrintSupport.QPrinter(QtPrintSupport.QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QtPrintSupport.QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    return printer


def test_request_view_previews_prints_and_saves_the_collation(qtbot, police, tmp_path, monkeypatch):
    vault, request = police
    session = FakeSession(vault)
    area = RequestsArea(session)
    qtbot.addWidget(area)
    area.show()
    assert area.open_request(request.id)
    view = area.view
    assert [a.text() for a in view.print_menu.actions()][:2] == ["The request form (Appendix 2)",
                                                                 "The collation of all responses (5.3)"]
    preview = open_preview(qtbot, view.print_document("collation"))
    assert preview.isVisible() and not preview.isModal()
    assert "OFFICIAL-SENSITIVE" in preview.windowTitle() and request.reference in preview.windowTitle()
    assert preview.document.pageCount() >= 1
    assert report_events(vault) == [("report.previewed", request.reference)]

    printed = tmp_path / "printed.pdf"
    assert preview.print_to(pdf_printer(printed))
    assert len(PdfReader(printed).pages) == preview.report.page_count
    assert "Sent" in preview.status.text() and "printer" in preview.status.text()

    folder = tmp_path / "out"
    folder.mkdir()
    offered = {}

    def fake_dialog(parent, caption, start, filters):
        offered["start"] = start
        return str(folder / Path(start).name), filters

    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", staticmethod(fake_dialog))
    qtbot.mouseClick(preview.save_button, Qt.MouseButton.LeftButton)
    assert Path(offered["start"]).name == f"{request.reference}-collation.pdf"  # from the reference only
    saved = folder / f"{request.reference}-collation.pdf"
    text = PdfReader(io.BytesIO(saved.read_bytes())).pages[0].extract_text()
    assert "OFFICIAL-SENSITIVE" in text and request.reference in text
    assert [a for a, _ in report_events(vault)] == ["report.previewed", "report.printed", "report.saved"]

    preview.close()
    assert preview.report.data == b""  # the bytes are dropped with the window


def test_print_menu_offers_the_chosen_agencys_response(qtbot, police):
    vault, request = police
    area = RequestsArea(FakeSession(vault))
    qtbot.addWidget(area)
    area.show()
    area.open_request(request.id)
    view = area.view
    view._update_print_menu()
    assert not view.print_response_action.isEnabled()
    view.select_dispatch(next(d for d in request.dispatches if d.agency == "HMRC").id)
    view._update_print_menu()
    assert view.print_response_action.isEnabled() and "HM Revenue" in view.print_response_action.text()
    preview = open_preview(qtbot, view.print_document("response"))
    assert preview.report.reference == f"{request.reference}/HMRC"
    preview.close()


def test_a_refusal_is_a_message_not_a_preview(qtbot, police, monkeypatch):
    vault, _ = police
    shown = []
    monkeypatch.setattr("ui.kit.preview.message", lambda parent, title, text: shown.append(text) or
                        type("Box", (), {"open": lambda self: None})())
    from ui.kit.preview import show_report

    area = QtWidgets.QWidget()
    qtbot.addWidget(area)
    busy = show_report(area, FakeSession(vault), "breach-register", "all")  # a SPOC may not
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    assert busy.preview is None and "may not print the breach register" in shown[0]


def test_disclosure_register_and_audit_trail_print_extracts(qtbot, police):
    vault, request = police
    area = DisclosuresArea(FakeSession(vault))
    qtbot.addWidget(area)
    area.show()
    area.refresh()
    area.agency_filter.setCurrentIndex(area.agency_filter.findData("HMRC"))
    preview = open_preview(qtbot, area.print_extract())
    assert preview.report.reference.startswith("DISCLOSURES-HMRC-")
    preview.close()
    auditor = reopen_as(vault, "alice")
    audit_area = AuditArea(FakeSession(auditor))
    qtbot.addWidget(audit_area)
    preview = open_preview(qtbot, audit_area.print_extract())
    assert preview.report.kind == "audit" and preview.report.page_count >= 1
    preview.close()
    auditor.close()


def test_breach_reported_from_a_screen_links_what_is_on_it(qtbot, police):
    vault, request = police
    session = FakeSession(vault)
    area = RequestsArea(session)
    qtbot.addWidget(area)
    area.show()
    assert area.breach_context() is None  # the list: nothing in particular
    area.open_request(request.id)
    linked = area.breach_context()
    assert linked["request_ids"] == [request.id]
    assert sorted(linked["subject_ids"]) == sorted(s.id for s in request.subjects)
    register = DisclosuresArea(session)
    qtbot.addWidget(register)
    register.show()
    register.refresh()
    settle(qtbot)
    assert register.breach_context() is None
    register.open_row(0)
    context = register.breach_context()
    assert len(context["disclosure_ids"]) == 1 and context["request_ids"] == [request.id]
