"""Work is never lost without asking (issue 17): Back without saving, Cancel, Escape, closing the
window, switching area and opening another record, with unsaved input in any form, ask "Discard
changes?" with "Keep editing" the default; nothing typed means no question."""

from __future__ import annotations

import pytest

from app import exchange
from app import meetings as mcore
from app import requests as rq
from app.drafts import load_draft
from app.policy import get_policy
from desk_helpers import make_desk, request_data
from fake_session import FakeSession
from PySide6.QtTest import QTest
from settle import settle
from ui.kit import guard
from ui.qt import QtCore, QtWidgets, Qt
from ui.shell.main_window import MainWindow
from ui.shell.session import Session

TYPED = "Seen at the car wash <b>&</b> \u202eRTL"


@pytest.fixture
def desk(tmp_path):
    vault = make_desk(tmp_path / "police.vault", "DCON", "spoc")
    yield vault
    QtCore.QThreadPool.globalInstance().waitForDone(30_000)
    if vault.is_open:
        vault.close()


@pytest.fixture
def admin_desk(tmp_path):
    vault = make_desk(tmp_path / "admin.vault", "DCON", "admin")
    yield vault
    QtCore.QThreadPool.globalInstance().waitForDone(30_000)
    if vault.is_open:
        vault.close()


def main_window(qtbot, vault) -> MainWindow:
    from ui.shell.shell import default_areas

    main = MainWindow(Session(vault.path, vault), default_areas())
    qtbot.addWidget(main)
    main.resize(1200, 800)
    main.show()
    return main


def question(widget) -> QtWidgets.QMessageBox:
    box = guard.open_question(widget)
    assert box is not None, "no Discard changes? question"
    assert box.windowTitle() == "Discard changes?"
    assert box.defaultButton() is box.keep_button and box.keep_button.text() == "Keep editing"
    assert box.escapeButton() is box.keep_button
    return box


def keep_by_enter(box) -> None:
    """Enter on the question keeps the work (Keep editing is the default)."""
    QTest.keyClick(box, Qt.Key.Key_Return)
    assert not box.isVisible()


def discard(box) -> None:
    box.discard_button.click()
    assert not box.isVisible()


# ---- request form: Back without saving, Cancel, Escape ---------------------------------------


@pytest.fixture
def requests_area(qtbot, desk):
    from ui.requests.area import RequestsArea

    area = RequestsArea(FakeSession(desk))
    qtbot.addWidget(area)
    area.resize(1100, 800)
    area.show()
    area.refresh()
    settle(qtbot)
    return area


@pytest.mark.parametrize("how", ["back", "cancel", "escape"])
def test_leaving_a_typed_request_form_asks_and_keep_editing_keeps_it(qtbot, requests_area, how):
    form = requests_area.open_form()
    form.requester_name.setText(TYPED)
    if how == "back":
        form.back_button.click()
    elif how == "cancel":
        form.cancel_button.click()
    else:
        requests_area.activateWindow()
        form.requester_name.setFocus()
        qtbot.waitUntil(form.requester_name.hasFocus)
        QTest.keyClick(form.requester_name, Qt.Key.Key_Escape)
    box = question(form)
    keep_by_enter(box)
    assert requests_area.stack.currentWidget() is form and form.requester_name.text() == TYPED
    form.back_button.click()
    discard(question(form))
    assert requests_area.form is None and requests_area.stack.currentWidget() is requests_area.list_page


def test_an_untouched_request_form_closes_without_a_question(qtbot, requests_area):
    form = requests_area.open_form()
    assert form.cancel() is None
    assert requests_area.form is None and guard.open_question(form) is None


# ---- response form: Close and Escape ---------------------------------------------------------


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


@pytest.mark.parametrize("how", ["close", "escape"])
def test_leaving_a_changed_response_form_asks(qtbot, partner, how):
    from ui.requests.area import RequestsArea

    vault, request_id = partner
    area = RequestsArea(FakeSession(vault))
    qtbot.addWidget(area)
    area.show()
    request = rq.get_request(vault, request_id)
    dispatch = next(d for d in request.dispatches if d.agency == "DCC")
    form = area.open_response(request, dispatch)
    assert form.cancel() is None   # nothing changed: it closes at once
    form = area.open_response(request, dispatch)
    form.held_text.setPlainText(TYPED)
    if how == "close":
        form.cancel_button.click()
    else:
        area.activateWindow()
        form.responder_name.setFocus()
        qtbot.waitUntil(form.responder_name.hasFocus)
        QTest.keyClick(form.responder_name, Qt.Key.Key_Escape)
    keep_by_enter(question(form))
    assert area.response_form is form and area.draft_state() is not None
    form.cancel_button.click()
    discard(question(form))
    assert area.response_form is None and area.draft_state() is None


# ---- breach dialog: Cancel, Escape, the window's close button --------------------------------


@pytest.mark.parametrize("how", ["cancel", "escape", "close"])
def test_closing_a_typed_breach_dialog_asks(qtbot, desk, how):
    from ui.breaches.dialog import BreachDialog

    dialog = BreachDialog(FakeSession(desk))
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.facts.setPlainText(TYPED)
    if how == "cancel":
        dialog.reject()
    elif how == "escape":
        QTest.keyClick(dialog, Qt.Key.Key_Escape)
    else:
        dialog.close()
    box = question(dialog)
    QTest.keyClick(box, Qt.Key.Key_Escape)   # Escape on the question keeps editing too
    assert dialog.isVisible() and dialog.facts.toPlainText() == TYPED
    dialog.close()
    discard(question(dialog))
    assert not dialog.isVisible()


def test_an_empty_breach_dialog_closes_at_once(qtbot, desk):
    from ui.breaches.dialog import BreachDialog

    dialog = BreachDialog(FakeSession(desk))
    qtbot.addWidget(dialog)
    dialog.open()
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and guard.open_question(dialog) is None


# ---- meetings: the new-meeting dialog, opening another meeting -------------------------------


def test_new_meeting_dialog_asks_before_cancel_throws_away_the_place(qtbot, desk):
    from ui.meetings.forms import NewMeetingDialog

    dialog = NewMeetingDialog(FakeSession(desk))
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.place.setText(TYPED)
    dialog.cancel_button.click()
    keep_by_enter(question(dialog))
    assert dialog.isVisible()
    dialog.cancel_button.click()
    discard(question(dialog))
    assert not dialog.isVisible()


def test_opening_another_meeting_with_a_typed_form_asks(qtbot, desk):
    from ui.meetings.area import MeetingsArea

    first = mcore.create_meeting(desk, {"held_at": "01/12/2026 10:00", "place": "Room 1", "chair": "Chair A",
                                        "chair_agency": "DCON"})
    second = mcore.create_meeting(desk, {"held_at": "02/12/2026 10:00", "place": "Room 2", "chair": "Chair B",
                                         "chair_agency": "DCON"})
    area = MeetingsArea(FakeSession(desk))
    qtbot.addWidget(area)
    area.show()
    area.refresh()
    settle(qtbot)
    area.select(first.id)
    area.decision_form.set_value("text", TYPED)
    assert area.has_unsaved_changes()
    row = next(r for r, m in enumerate(area.summaries) if m.id == second.id)
    area.table.selectRow(row)
    keep_by_enter(question(area))
    assert area.current.id == first.id and area.decision_form.value("text") == TYPED
    area.table.selectRow(row)
    discard(question(area))
    assert area.current.id == second.id and not area.has_unsaved_changes()


# ---- the main window: switching area, opening another record, closing ----------------------


def test_switching_area_from_a_typed_request_asks_and_keeps_it(qtbot, desk):
    main = main_window(qtbot, desk)
    main.show_area("requests")
    requests = main.area("requests")
    form = requests.open_form()
    form.requester_name.setText(TYPED)
    main.show_area("home")
    box = question(main)
    assert main.current_area_key() == "requests"   # the list stays where the work is
    keep_by_enter(box)
    assert main.current_area_key() == "requests" and main.stack.currentWidget().widget() is requests
    assert requests.form is form and form.requester_name.text() == TYPED
    main.nav.setCurrentRow(0)
    discard(question(main))
    assert main.current_area_key() == "home" and requests.form is None


def test_opening_another_request_over_a_typed_form_asks(qtbot, desk):
    other = rq.create_request(desk, request_data())
    main = main_window(qtbot, desk)
    main.show_area("requests")
    requests = main.area("requests")
    requests.open_form().requester_name.setText(TYPED)
    main._open_request(other.id)   # as "Open request" after receiving a package does
    keep_by_enter(question(main))
    assert requests.stack.currentWidget() is requests.form
    main._open_request(other.id)
    discard(question(main))
    assert requests.stack.currentWidget() is requests.view and requests.view.request.id == other.id


def test_closing_the_window_with_a_typed_breach_asks_and_discard_keeps_no_draft(qtbot, desk):
    main = main_window(qtbot, desk)
    dialog = main.report_breach()
    dialog.facts.setPlainText(TYPED)
    quits = []
    main.quit_requested.connect(lambda: quits.append(True))
    main.close()
    keep_by_enter(question(main))
    assert main.isVisible() and dialog.isVisible() and not quits
    main.close()
    discard(question(main))
    assert quits == [True] and not dialog.isVisible()
    assert not main.isVisible()


def test_closing_an_untouched_window_asks_nothing(qtbot, desk):
    main = main_window(qtbot, desk)
    quits = []
    main.quit_requested.connect(lambda: quits.append(True))
    main.close()
    assert quits == [True] and guard.open_question(main) is None


# ---- settings and user forms -----------------------------------------------------------------


def test_switching_away_from_changed_settings_asks_and_discard_puts_them_back(qtbot, admin_desk):
    main = main_window(qtbot, admin_desk)
    main.show_area("settings")
    settings = main.area("settings")
    before = get_policy(admin_desk).idle_lock_minutes
    settings.idle.setValue(before + 3)
    assert settings.has_unsaved_changes()
    main.show_area("users")
    keep_by_enter(question(main))
    assert main.current_area_key() == "settings" and settings.idle.value() == before + 3
    main.show_area("users")
    discard(question(main))
    assert main.current_area_key() == "users"
    assert settings.idle.value() == before and not settings.has_unsaved_changes()


def test_switching_away_from_a_half_added_user_asks(qtbot, admin_desk):
    main = main_window(qtbot, admin_desk)
    main.show_area("users")
    users = main.area("users")
    users.name.setText("carol")
    main.show_area("home")
    keep_by_enter(question(main))
    assert main.current_area_key() == "users" and users.name.text() == "carol"
    main.show_area("home")
    discard(question(main))
    assert main.current_area_key() == "home" and users.name.text() == ""


def test_a_lock_never_asks_it_keeps_the_draft(qtbot, desk):
    from ui.breaches.dialog import BreachDialog

    dialog = BreachDialog(FakeSession(desk))
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.facts.setPlainText(TYPED)
    with guard.not_asking():
        dialog.reject()
    assert not dialog.isVisible() and guard.open_question(dialog) is None
    assert load_draft(desk, "breach_dialog") is None   # the shell saves it before closing
