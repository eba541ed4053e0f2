"""The main jobs done by keyboard alone (issue 17): QTest key events only, never a click. Tab
moves to each field (so every field is reachable by Tab, with no trap), Space ticks, Enter
presses buttons, the menu keys open the forms, Ctrl+S saves.

1. Raise a request and send it (a sealed package) as the police SPOC.
2. Answer a request as a partner SPOC and mark the answer sent.
3. Log a breach from any screen (Ctrl+Shift+B).
4. Run a meeting: convene it, add an attendee and a decision, and print its pack to a PDF file
   printer (no print dialog)."""

from __future__ import annotations

import pytest

from app import exchange
from app import meetings as mcore
from app import requests as rq
from desk_helpers import make_desk, request_data
from PySide6.QtTest import QTest
from settle import settle
from ui.qt import QtCore, QtWidgets, Qt
from ui.shell.main_window import MainWindow
from ui.shell.session import Session

NO = Qt.KeyboardModifier.NoModifier
CTRL = Qt.KeyboardModifier.ControlModifier


# ---- the keyboard --------------------------------------------------------------------------


def focused() -> QtWidgets.QWidget:
    widget = QtWidgets.QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def key(k, modifier=NO) -> None:
    QTest.keyClick(focused(), k, modifier)


def has_focus(target: QtWidgets.QWidget) -> bool:
    widget = QtWidgets.QApplication.focusWidget()
    return widget is not None and (widget is target or widget is target.focusProxy())


def tab_to(target: QtWidgets.QWidget, limit: int = 600) -> None:
    """Press Tab until `target` has the focus (fails if Tab never gets there: a trap or a gap)."""
    seen = []
    for _ in range(limit):
        if has_focus(target):
            return
        seen.append(type(focused()).__name__)
        key(Qt.Key.Key_Tab)
    raise AssertionError(f"Tab never reached {target!r}; went through {seen[-12:]}")


def type_into(target: QtWidgets.QWidget, text: str) -> None:
    tab_to(target)
    key(Qt.Key.Key_A, CTRL)   # replace what is there
    QTest.keyClicks(focused(), text)


def arrow_to(found, limit: int = 60) -> None:
    """Down arrow (from Home) until `found()` is true."""
    key(Qt.Key.Key_Home)
    for _ in range(limit):
        if found():
            return
        key(Qt.Key.Key_Down)
    raise AssertionError("the arrow keys never reached the row")


def press(button: QtWidgets.QAbstractButton) -> None:
    """Tab to a button and press Enter (the kit makes Enter press a focused button, as Space does)."""
    tab_to(button)
    key(Qt.Key.Key_Return)


def tick(box: QtWidgets.QAbstractButton) -> None:
    tab_to(box)
    key(Qt.Key.Key_Space)
    assert box.isChecked()


def choose(combo: QtWidgets.QComboBox, data) -> None:
    """Arrow keys in a closed combo box until it shows `data`."""
    tab_to(combo)
    target = combo.findData(data)
    assert target >= 0
    step = Qt.Key.Key_Down if target > combo.currentIndex() else Qt.Key.Key_Up
    while combo.currentIndex() != target:
        key(step)


def active(qtbot, kind):
    qtbot.waitUntil(lambda: isinstance(QtWidgets.QApplication.activeWindow(), kind), timeout=5_000)
    return QtWidgets.QApplication.activeWindow()


def main_window(qtbot, vault) -> MainWindow:
    from ui.shell.shell import default_areas

    main = MainWindow(Session(vault.path, vault), default_areas())
    qtbot.addWidget(main)
    main.resize(1280, 860)
    main.show()
    main.activateWindow()
    qtbot.waitUntil(main.isActiveWindow, timeout=5_000)
    return main


def in_view(widget: QtWidgets.QWidget) -> bool:
    """The widget shows inside every scroll area around it."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QtWidgets.QScrollArea):
            top_left = widget.mapTo(parent.viewport(), QtCore.QPoint(0, 0))
            if top_left.y() < 0 or top_left.y() + min(widget.height(), parent.viewport().height()) \
                    > parent.viewport().height():
                return False
        parent = parent.parentWidget()
    return True


@pytest.fixture
def police(tmp_path):
    vault = make_desk(tmp_path / "police.vault", "DCON", "spoc")
    yield vault
    QtCore.QThreadPool.globalInstance().waitForDone(30_000)
    if vault.is_open:
        vault.close()


# ---- 1. raise and send a request -----------------------------------------------------------


def test_raise_and_send_a_request_by_keyboard_alone(qtbot, police, tmp_path):
    from app.exchange import desks
    from ui.requests.form import RequestForm
    from ui.requests.send import SendPackagesDialog
    from ui.requests.view import SendDialog

    partner = make_desk(tmp_path / "hmrc.vault", agency="HMRC")
    card = desks.desk_card(partner)
    partner.close()
    desks.trust_partner(police, card, fingerprint=desks.fingerprint(card), checked_by="DS Jane Smith",
                        via="01773 420100")
    main = main_window(qtbot, police)
    key(Qt.Key.Key_N, CTRL)                                   # File > New request
    form = main.area("requests").form
    assert isinstance(form, RequestForm) and has_focus(form.requester_name)
    type_into(form.requester_name, "DS Jane Smith")
    type_into(form.requester_rank, "Detective Sergeant")
    type_into(form.requester_number, "1234")
    type_into(form.requester_team, "Op Wilberforce")
    type_into(form.requester_contact, "ow@derbyshire.pnn.police.uk")
    tick(form.reasons.boxes["crime"])
    type_into(form.information_date.edit if hasattr(form.information_date, "edit") else form.information_date,
              "01/03/2026")
    type_into(form.information, "Workers collected at 5am.")
    type_into(form.check_request, "Please check your records.")
    press(form.subjects.add_person)                           # the sub-form opens below the fold
    assert has_focus(form.subjects.name) and in_view(form.subjects.name)
    QTest.keyClicks(focused(), "Ion Popescu")
    choose(form.subjects.role, "suspected-perpetrator")
    press(form.subjects.keep_button)
    assert [e["subject"]["name"] for e in form.subjects.entries] == ["Ion Popescu"]
    tick(form.agencies.boxes["HMRC"])                         # one box per agency
    assert form.agencies.values() == ["HMRC"]
    tick(form.exploitation_types.boxes["forced-labour"])
    tick(form.purposes.boxes["identify-victims"])
    tick(form.info_types.boxes["identity-and-associates"])
    for code in ("use-limited", "prejudice", "legal-basis"):
        tick(form.declaration.boxes[code])
    key(Qt.Key.Key_S, CTRL)                                   # the form's primary button: check your answers
    qtbot.waitUntil(lambda: form.check_page.isVisible(), timeout=5_000)
    key(Qt.Key.Key_S, CTRL)                                   # and on that page, Save as draft
    requests = main.area("requests")
    assert requests.stack.currentWidget() is requests.view
    view = requests.view
    assert has_focus(view.notice) and "saved as a draft" in view.notice.text()   # focus on what happened
    press(view.send_button)
    send = active(qtbot, SendDialog)
    press(send.send_button)
    made = active(qtbot, SendPackagesDialog)
    out = tmp_path / "outbox"
    out.mkdir()
    type_into(made.folder, str(out))
    with qtbot.waitSignal(made.made, timeout=10_000):
        press(made.make_button)
    assert len(list(out.iterdir())) == 1
    # the dialog's focus is on what happened ("1 package made … — attach to secure e-mail"), not on Done
    assert made.focusWidget() is made.title and made.title.text().startswith("1 package made ")
    request = rq.get_request(police, view.request.id)
    assert [(d.agency, d.status) for d in request.dispatches] == [("HMRC", "sent")]


# ---- 2. answer a request as a partner ------------------------------------------------------


@pytest.fixture
def partner(tmp_path):
    police = make_desk(tmp_path / "dcon.vault")
    request = rq.create_request(police, request_data())
    rq.send_to_agencies(police, request.id, ["DCC/CSIS"])
    exchange.write_file(exchange.export_request(police, request.reference), tmp_path / "to.json")
    police.close()
    vault = make_desk(tmp_path / "dcc.vault", agency="DCC")
    exchange.import_document(vault, exchange.read_file(tmp_path / "to.json"), sender="DCON")
    yield vault, request.id
    QtCore.QThreadPool.globalInstance().waitForDone(30_000)
    vault.close()


def test_answer_a_request_as_a_partner_by_keyboard_alone(qtbot, partner):
    from app import responses as rs

    vault, request_id = partner
    main = main_window(qtbot, vault)
    key(Qt.Key.Key_2, CTRL)                                   # Go > Requests
    requests = main.area("requests")
    assert main.current_area_key() == "requests"
    settle(qtbot)
    assert requests.views.currentWidget() is requests.to_answer_table   # a partner desk opens on To answer
    tab_to(requests.to_answer_table)
    key(Qt.Key.Key_Home)
    key(Qt.Key.Key_Return)                                    # open the request
    view = requests.view
    assert requests.stack.currentWidget() is view and view.request.id == request_id
    press(view.banner_respond)                                # "Your answer is due … — Respond"
    form = requests.response_form
    assert form is not None and requests.stack.currentWidget() is requests.response_page
    type_into(form.held_text, "Council tax records for one subject.")
    type_into(form.disclosed_text, "Liable for council tax at 12 Example Street since 2024.")
    tick(form.info_types.boxes["residence-or-business"])
    tab_to(form.basis_list)
    arrow_to(lambda: form.basis_list.currentItem() is not None
             and form.basis_list.currentItem().data(Qt.ItemDataRole.UserRole) == "dpa1998-s29-3")
    key(Qt.Key.Key_Space)
    assert form.lawful_bases() == ["dpa1998-s29-3"]
    type_into(form.necessary, "To confirm where a potential victim lives.")
    type_into(form.proportionate, "Only the address and start date are given.")
    type_into(form.accurate, "Checked against the council tax register today.")
    type_into(form.partnership_answer, "Our officers can join a visit.")
    press(form.send_button)                                   # Mark as sent: asks first
    box = active(qtbot, QtWidgets.QMessageBox)
    assert box.defaultButton() is box.cancel_button
    with qtbot.waitSignal(form.saved, timeout=10_000):
        press(box.accept_button)
    (response,) = rs.responses_of_dispatch(vault, form.dispatch.id)
    assert response.status == "sent" and response.kind == "disclosure"
    # the window's focus is on what happened (it has it again once the question has gone)
    assert view.window().focusWidget() is view.notice and "recorded as sent" in view.notice.text()


# ---- 3. log a breach -----------------------------------------------------------------------


def test_log_a_breach_by_keyboard_alone(qtbot, police):
    from ui.breaches.dialog import BreachDialog

    main = main_window(qtbot, police)
    key(Qt.Key.Key_2, CTRL)                                   # from the requests list
    assert main.current_area_key() == "requests"
    key(Qt.Key.Key_B, CTRL | Qt.KeyboardModifier.ShiftModifier)
    dialog = active(qtbot, BreachDialog)
    choose(dialog.category, dialog.category.itemData(dialog.category.count() - 1))
    type_into(dialog.aware_at, "01/12/2026 09:30")
    type_into(dialog.facts, "A printed request was left on a train.")
    type_into(dialog.containment, "Rang the train operator's lost property.")
    type_into(dialog.remedial, "Reminded the team to carry papers in a locked bag.")
    key(Qt.Key.Key_S, CTRL)                                   # Save breach
    breach = dialog.breach
    assert breach is not None and breach.facts == "A printed request was left on a train."
    assert dialog.pages.currentIndex() == 1 and has_focus(dialog.done_title)
    assert breach.reference in dialog.done_title.text()
    press(dialog.close_button)
    assert not dialog.isVisible()


# ---- 4. run a meeting and print its pack ---------------------------------------------------


class _PdfPrinterChosen(QtCore.QObject):
    """Stands in for the print dialog: the user "chose" a PDF file printer; no dialog shows."""

    accepted = QtCore.Signal()
    path = None

    def __init__(self, printer, _parent=None):
        super().__init__()
        self.printer = printer

    def setWindowTitle(self, _title):  # noqa: N802 - Qt's name
        pass

    def setMinMax(self, _low, _high):  # noqa: N802 - Qt's name
        pass

    def open(self):
        from ui.qt import QtPrintSupport

        self.printer.setOutputFormat(QtPrintSupport.QPrinter.OutputFormat.PdfFormat)
        self.printer.setOutputFileName(str(_PdfPrinterChosen.path))
        self.printer.setResolution(96)   # a quick file; the pages are the same
        self.accepted.emit()


def test_run_a_meeting_and_print_its_pack_by_keyboard_alone(qtbot, police, tmp_path, monkeypatch):
    from ui.kit import preview
    from ui.meetings.forms import NewMeetingDialog

    _PdfPrinterChosen.path = tmp_path / "pack.pdf"
    monkeypatch.setattr(preview.QtPrintSupport, "QPrintDialog", _PdfPrinterChosen)
    main = main_window(qtbot, police)
    main.show_area("meetings")
    meetings = main.area("meetings")
    settle(qtbot)
    press(meetings.new_button)
    dialog = active(qtbot, NewMeetingDialog)
    type_into(dialog.held_at, "03/12/2026 10:00")
    type_into(dialog.place, "Room 4, St Mary's Wharf")
    type_into(dialog.chair, "DI Amy Clarke")
    key(Qt.Key.Key_S, CTRL)                                   # Save meeting
    assert not dialog.isVisible()
    settle(qtbot)
    qtbot.waitUntil(lambda: main.isActiveWindow() and QtWidgets.QApplication.focusWidget() is not None)
    (summary,) = mcore.list_meetings(police)
    assert meetings.current is not None and meetings.current.id == summary.id
    form = meetings.attendee_form
    type_into(form.inputs["name"], "Sam Patel")
    choose(form.inputs["agency"], "HMRC")
    key(Qt.Key.Key_S, CTRL)                                   # the attendee form's button: nearest the focus
    assert [a.name for a in mcore.get_meeting(police, summary.id).attendees] == ["Sam Patel"]
    assert has_focus(form.done) and form.done.text() == "Sam Patel is added to the attendees."  # what happened
    type_into(meetings.decision_form.inputs["text"], "Joint visit to the address on Friday.")
    key(Qt.Key.Key_S, CTRL)                                   # Record decision: the button nearest the focus
    assert [d.text for d in mcore.get_meeting(police, summary.id).decisions] == ["Joint visit to the address on Friday."]
    assert has_focus(meetings.decision_form.done) and meetings.decision_form.done.text() == "The decision is recorded."
    assert not form.done.isVisible()       # one confirmation at a time
    press(meetings.pack_button)
    qtbot.waitUntil(lambda: any(isinstance(w, preview.ReportPreview) and w.isVisible()
                                for w in QtWidgets.QApplication.topLevelWidgets()), timeout=20_000)
    preview_window = next(w for w in QtWidgets.QApplication.topLevelWidgets()
                          if isinstance(w, preview.ReportPreview) and w.isVisible())
    preview_window.activateWindow()
    qtbot.waitUntil(preview_window.isActiveWindow, timeout=5_000)
    key(Qt.Key.Key_P, CTRL)                                   # Print: to the PDF file printer
    qtbot.waitUntil(lambda: _PdfPrinterChosen.path.exists() and _PdfPrinterChosen.path.stat().st_size > 1000,
                    timeout=20_000)
    assert _PdfPrinterChosen.path.read_bytes().startswith(b"%PDF")
    assert "Sent" in preview_window.status.text()
    key(Qt.Key.Key_Escape)
