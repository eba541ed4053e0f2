"""Issue 17, the pieces left: every dialog that holds typed input asks "Discard changes?" before
Cancel, Escape or its close button throws it away (Keep editing the default); after a save the
focus is on the confirmation; Escape and Alt+Left go back on an area's pages; the screens fit at
150 %."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import ui
from app import cases as cs
from app import requests as rq
from app.exchange import desks
from app.users import list_users
from desk_helpers import make_desk, request_data
from fake_session import FakeSession
from PySide6.QtTest import QTest
from ui.kit import guard
from ui.qt import QtCore, QtWidgets, Qt

KEYS = "Seen at the car wash <b>&</b> "   # QTest types ASCII only; the RTL mark is inserted
TYPED = KEYS + "\u202eRTL"


@pytest.fixture
def desk(tmp_path):
    vault = make_desk(tmp_path / "police.vault", "DCON", "spoc")
    request = rq.create_request(vault, request_data())
    dispatch = rq.send_to_agencies(vault, request.id, ["HMRC"])[0]
    case = cs.create_case(vault, {"source": "agency-duties", "lead_agency": "DCON", "title": "Car wash"})
    other = make_desk(tmp_path / "glaa.vault", "GLAA", "admin")
    card = desks.desk_card(other)
    other.close()
    yield {"vault": vault, "request": request, "dispatch": dispatch, "case": case, "card": card}
    QtCore.QThreadPool.globalInstance().waitForDone(30_000)
    if vault.is_open:
        vault.close()


def question(widget) -> QtWidgets.QMessageBox:
    box = guard.open_question(widget)
    assert box is not None, f"no Discard changes? question over {type(widget).__name__}"
    assert box.windowTitle() == "Discard changes?"
    assert box.defaultButton() is box.keep_button and box.keep_button.text() == "Keep editing"
    assert box.escapeButton() is box.keep_button
    return box


# ---- every guarded dialog class ---------------------------------------------------------------


def _new_case(d):
    from ui.cases.area import NewCaseDialog
    return NewCaseDialog(FakeSession(d["vault"]))


def _edit_case(d):
    from ui.cases.area import EditCaseDialog
    return EditCaseDialog(FakeSession(d["vault"]), d["case"])


def _due_date(d):
    from ui.requests.view import DueDateDialog
    return DueDateDialog(d["vault"], d["dispatch"])


def _close_request(d):
    from ui.requests.view import CloseRequestDialog
    return CloseRequestDialog(d["vault"], d["request"])


def _trust_card(d):
    from ui.partners.desks import TrustCardDialog
    return TrustCardDialog(FakeSession(d["vault"]), d["card"])


def _call(d):
    from ui.partners.desks import CallDialog
    return CallDialog(FakeSession(d["vault"]), "GLAA")


def _complaint(d):
    from ui.breaches.complaint_dialog import ComplaintDialog
    return ComplaintDialog(FakeSession(d["vault"]))


def _picker(d):
    from ui.subject_access.area import SubjectPicker
    return SubjectPicker(None, FakeSession(d["vault"]), ())


def _breach(d):
    from ui.breaches.dialog import BreachDialog
    return BreachDialog(FakeSession(d["vault"]))


def _meeting(d):
    from ui.meetings.forms import NewMeetingDialog
    return NewMeetingDialog(FakeSession(d["vault"]))


def _chase(d):
    from ui.requests.chase import ChaseDialog
    return ChaseDialog(FakeSession(d["vault"]), d["request"], d["dispatch"])


def _disable_user(d):
    from ui.admin.users import DisableUserDialog
    user = next(u for u in list_users(d["vault"]) if u.name == "alice")
    return DisableUserDialog(d["vault"], user)


def _flag(d):
    from ui.kit.correction_flag import flag_dialog
    return flag_dialog(None, FakeSession(d["vault"]), "request", d["request"].id)


DIALOGS = {
    "NewCaseDialog": _new_case, "EditCaseDialog": _edit_case, "DueDateDialog": _due_date,
    "CloseRequestDialog": _close_request, "TrustCardDialog": _trust_card, "CallDialog": _call,
    "ComplaintDialog": _complaint, "SubjectPicker": _picker, "BreachDialog": _breach,
    "NewMeetingDialog": _meeting, "ChaseDialog": _chase, "DisableUserDialog": _disable_user,
    "FormDialog": _flag,
}


def _all_subclasses(cls) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _all_subclasses(sub)
    return found


def test_every_guarded_dialog_class_is_opened_by_the_parametrised_test():
    for module in pkgutil.walk_packages(ui.__path__, "ui."):
        importlib.import_module(module.name)
    names = {c.__name__ for c in _all_subclasses(guard.GuardedDialog) if c.__module__.startswith("ui.")}
    assert names == set(DIALOGS), f"guarded dialogs without a test: {names - set(DIALOGS)}"


def _type_into(dialog) -> QtWidgets.QWidget:
    """Type into the first empty field a user can change (or, with none, tick a choice)."""
    for widget in dialog.findChildren(QtWidgets.QWidget):
        if not widget.isVisible() or not widget.isEnabled():
            continue
        if isinstance(widget, QtWidgets.QLineEdit) and not widget.isReadOnly() and not widget.text() \
                and widget.echoMode() == QtWidgets.QLineEdit.EchoMode.Normal:
            widget.setFocus()
            QTest.keyClicks(widget, KEYS)
            widget.insert("\u202eRTL")
            return widget
        if isinstance(widget, QtWidgets.QPlainTextEdit) and not widget.isReadOnly() and not widget.toPlainText():
            widget.setFocus()
            QTest.keyClicks(widget, KEYS)
            widget.insertPlainText("\u202eRTL")
            return widget
    for widget in dialog.findChildren(QtWidgets.QLineEdit):   # only filled-in ones: change one
        if widget.isVisible() and widget.isEnabled() and not widget.isReadOnly():
            widget.setFocus()
            QTest.keyClick(widget, Qt.Key.Key_Backspace)
            return widget
    for widget in dialog.findChildren(QtWidgets.QRadioButton):
        if widget.isVisible() and widget.isEnabled():
            widget.setFocus()
            QTest.keyClick(widget, Qt.Key.Key_Space)
            return widget
    raise AssertionError(f"{type(dialog).__name__} has nothing to type into")


@pytest.mark.parametrize("name", sorted(DIALOGS))
def test_escape_in_any_guarded_dialog_with_typing_asks_and_keeps_the_work(qtbot, desk, name):
    dialog = DIALOGS[name](desk)
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    QTest.keyClick(dialog.focusWidget() or dialog, Qt.Key.Key_Escape)   # untouched: closes at once
    assert not dialog.isVisible() and guard.open_question(dialog) is None
    dialog = DIALOGS[name](desk)
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    field = _type_into(dialog)
    QTest.keyClick(field, Qt.Key.Key_Escape)
    box = question(dialog)
    QTest.keyClick(box, Qt.Key.Key_Return)   # Enter: Keep editing
    assert dialog.isVisible()
    with guard.not_asking():
        dialog.reject()


def _outage_dialog(qtbot, d):
    from ui.partners.outage import OutageSection

    section = OutageSection(FakeSession(d["vault"]))
    qtbot.addWidget(section)
    section.show_partner("DWP")
    dialog = section.record_down()
    dialog.show()
    return dialog


def _sar_dialog(qtbot, d):
    from ui.subject_access.area import SubjectAccessArea

    area = SubjectAccessArea(FakeSession(d["vault"]))
    qtbot.addWidget(area)
    area.log_request()
    return area.dialog


def _correct_dialog(qtbot, d):
    from ui.kit.correction_flag import correct_dialog

    dialog = correct_dialog(None, FakeSession(d["vault"]), "request", d["request"].id)
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


@pytest.mark.parametrize("opener", [_outage_dialog, _sar_dialog, _correct_dialog], ids=["outage", "sar", "correct"])
def test_the_areas_form_dialogs_ask_too(qtbot, desk, opener):
    dialog = opener(qtbot, desk)
    qtbot.waitExposed(dialog)
    field = _type_into(dialog)
    QTest.keyClick(field, Qt.Key.Key_Escape)
    QTest.keyClick(question(dialog), Qt.Key.Key_Escape)   # Keep editing
    assert dialog.isVisible()
    dialog.close()
    question(dialog).discard_button.click()
    assert not dialog.isVisible()


@pytest.mark.parametrize("how", ["cancel", "escape", "close"])
def test_a_typed_new_case_asks_and_discard_closes_it(qtbot, desk, how):
    dialog = _new_case(desk)
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.form.inputs["source_detail"].setFocus()
    QTest.keyClicks(dialog.form.inputs["source_detail"], KEYS)
    dialog.form.inputs["source_detail"].insert("\u202eRTL")
    if how == "cancel":
        next(b for b in dialog.findChildren(QtWidgets.QPushButton) if b.text() == "Cancel").click()
    elif how == "escape":
        QTest.keyClick(dialog.form.inputs["source_detail"], Qt.Key.Key_Escape)
    else:
        dialog.close()
    box = question(dialog)
    QTest.keyClick(box, Qt.Key.Key_Escape)   # Escape on the question keeps editing
    assert dialog.isVisible() and dialog.form.inputs["source_detail"].text() == TYPED
    dialog.reject()
    question(dialog).discard_button.click()
    assert not dialog.isVisible() and dialog.case is None   # nothing saved


def test_a_changed_due_date_asks_but_an_unchanged_one_does_not(qtbot, desk):
    dialog = _due_date(desk)
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.reject()
    assert not dialog.isVisible() and guard.open_question(dialog) is None
    dialog = _due_date(desk)
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.date.setText("01/01/2030")
    dialog.reject()
    question(dialog).keep_button.click()
    assert dialog.isVisible() and dialog.date.text() == "01/01/2030"


def test_the_complaint_dialog_asks_before_its_close_button_loses_the_complaint(qtbot, desk):
    dialog = _complaint(desk)
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.about.set_value(TYPED)
    dialog.close()
    question(dialog).discard_button.click()
    assert not dialog.isVisible()


# ---- partners: the contact form, Escape and Alt+Left, focus after save --------------------------


@pytest.fixture
def admin(tmp_path):
    vault = make_desk(tmp_path / "admin.vault", "DCON", "admin")
    yield vault
    QtCore.QThreadPool.globalInstance().waitForDone(30_000)
    if vault.is_open:
        vault.close()


def _partners(qtbot, vault):
    from ui.partners.area import PartnersArea

    area = PartnersArea(FakeSession(vault))
    qtbot.addWidget(area)
    area.resize(1300, 900)
    area.show()
    area.refresh()
    area.select_partner("HMRC")
    return area


def test_a_typed_contact_form_asks_on_cancel_escape_and_back(qtbot, admin):
    area = _partners(qtbot, admin)
    area.add_contact()
    assert area.form.isVisible() and not area.has_unsaved_changes()
    QTest.keyClick(area.form.name, Qt.Key.Key_Escape)   # nothing typed: the form just closes
    assert area.form.isHidden() and guard.open_question(area.form) is None
    area.add_contact()
    QTest.keyClicks(area.form.name, KEYS)
    area.form.name.insert("\u202eRTL")
    assert area.has_unsaved_changes()
    for leave in (lambda: area.form.cancel_button.click(),
                  lambda: QTest.keyClick(area.form.name, Qt.Key.Key_Escape),
                  lambda: area.go_back()):
        leave()
        box = question(area.form)
        QTest.keyClick(box, Qt.Key.Key_Return)   # Keep editing
        assert area.form.isVisible() and area.form.name.text() == TYPED
    area.go_back()
    question(area.form).discard_button.click()
    assert area.form.isHidden() and not area.has_unsaved_changes()


def test_saving_a_contact_moves_focus_to_the_confirmation(qtbot, admin):
    area = _partners(qtbot, admin)
    area.window().activateWindow()
    area.add_contact()
    area.form.name.setText("Sam Okafor")
    area.form.role.setText("SPOC")
    area.form.email.setText("sam.okafor@hmrc.gov.uk")
    area.form.telephone.setText("0300 123 4567")
    area.form.save_button.click()
    assert "Saved Sam Okafor" in area.status.text()
    assert area.window().focusWidget() is area.status   # not the partner list


# ---- focus after save in the other areas ----------------------------------------------------------


def test_a_new_case_saved_moves_focus_to_its_confirmation(qtbot, desk):
    from ui.cases.area import CasesArea

    area = CasesArea(FakeSession(desk["vault"]))
    qtbot.addWidget(area)
    area.resize(1300, 900)
    area.show()
    area.refresh()
    dialog = area.open_new_dialog()
    dialog.form.set_value("source", "agency-duties")
    dialog.form.set_value("title", "Nail bar")
    dialog.submit()
    assert not dialog.isVisible()
    assert area.notice.isVisible() and "saved" in area.notice.text()
    assert area.window().focusWidget() is area.notice
    case = area.current
    assert case.reference in area.notice.text()


def test_governance_save_moves_focus_to_the_confirmation(qtbot, desk):
    from ui.governance.area import GovernanceArea
    from ui.kit.widgets import announce

    area = GovernanceArea(FakeSession(desk["vault"]))
    qtbot.addWidget(area)
    area.show()
    announce(area.status, "Recorded.")
    assert area.window().focusWidget() is area.status and area.status.accessibleDescription() == "Recorded."


# ---- Escape and Alt+Left on the requests pages ---------------------------------------------------


def test_escape_and_alt_left_go_back_from_a_request_and_from_search_results(qtbot, desk):
    from ui.requests.area import RequestsArea

    area = RequestsArea(FakeSession(desk["vault"]))
    qtbot.addWidget(area)
    area.resize(1300, 900)
    area.show()
    area.refresh()
    area.open_request(desk["request"].id)
    assert area.stack.currentWidget() is area.view
    area.view.back_button.setFocus()
    QTest.keyClick(area.view.back_button, Qt.Key.Key_Escape)
    assert area.stack.currentWidget() is area.list_page
    area.open_request(desk["request"].id)
    assert area.go_back() and area.stack.currentWidget() is area.list_page   # Alt+Left
    area.search_box.setText("Popescu")
    area.run_search()
    qtbot.waitUntil(lambda: not area.back_to_all.isHidden(), timeout=10_000)
    QTest.keyClick(area.search_box, Qt.Key.Key_Escape)
    assert area.back_to_all.isHidden() and area.search_box.text() == ""
    assert not area.go_back()   # nothing further back on the list


# ---- fitting at 150 %: the breach log, the send dialog, the consent dialogs -----------------------


def test_the_breach_log_fits_a_narrow_window_without_sideways_scrolling(qtbot, tmp_path):
    import random

    from app import demo
    from ui.breaches.area import DpmArea

    vault = make_desk(tmp_path / "dpm.vault", "DCON", "dpm")
    demo._demo_breaches(vault, random.Random(7), None)
    area = DpmArea(FakeSession(vault))
    qtbot.addWidget(area)
    area.resize(760, 700)   # a 1600-pixel screen at 150 %, less the navigation
    area.show()
    area.refresh()
    qtbot.waitUntil(lambda: area.model.rowCount() > 0, timeout=10_000)
    area.fit_columns()
    table = area.table
    used = sum(table.columnWidth(c) for c in range(table.model().columnCount()))
    assert used <= table.viewport().width() + 1 and table.horizontalScrollBar().maximum() == 0
    assert area.minimumSizeHint().width() <= 760
    assert table.model().headerData(3, Qt.Orientation.Horizontal) == "Aware"
    table.horizontalHeader().resizeSection(1, 300)   # the user's own width stays
    area.resize(900, 700)
    QtWidgets.QApplication.processEvents()
    assert table.columnWidth(1) == 300
    QtCore.QThreadPool.globalInstance().waitForDone(30_000)
    vault.close()


def test_the_send_dialog_opens_wide_enough_for_its_agency_lines(qtbot, desk):
    from ui.requests.view import SendDialog

    vault = desk["vault"]
    rq.add_agencies(vault, desk["request"].id, ["GLAA", "DCC/CSIS"])
    dialog = SendDialog(rq.get_request(vault, desk["request"].id), vault)
    qtbot.addWidget(dialog)
    dialog.show()
    QtWidgets.QApplication.processEvents()
    widest = max(box.sizeHint().width() for box in dialog.checks.values())
    assert dialog.width() >= widest and dialog.height() >= dialog.layout().totalHeightForWidth(dialog.width())


def test_consent_choices_do_not_set_the_dialogs_width():
    from ui.consent.dialogs import _partner_box, _purpose_box, purpose_ids

    for box in (_partner_box(()), _purpose_box(purpose_ids()[0])):
        assert box.minimumSizeHint().width() < 450
        assert all(box.itemData(i, Qt.ItemDataRole.ToolTipRole) == box.itemText(i) for i in range(box.count()))


def test_typing_under_one_case_asks_before_another_case_opens(qtbot, desk):
    from ui.cases.area import CasesArea

    vault = desk["vault"]
    other = cs.create_case(vault, {"source": "agency-duties", "lead_agency": "DCON", "title": "Nail bar"})
    area = CasesArea(FakeSession(vault))
    qtbot.addWidget(area)
    area.resize(1300, 900)
    area.show()
    area.refresh()
    area.select(desk["case"].id)
    assert area.current.id == desk["case"].id and not area.has_unsaved_changes()
    reason = area.stage_form.inputs["reason"]
    reason.set_value(TYPED)
    assert area.has_unsaved_changes()
    area.select(other.id)
    box = question(area)
    QTest.keyClick(box, Qt.Key.Key_Return)   # Keep editing: still the first case, the reason kept
    assert area.current.id == desk["case"].id and reason.value() == TYPED
    assert selected_case(area) == desk["case"].id
    area.select(other.id)
    question(area).discard_button.click()
    assert area.current.id == other.id and reason.value() == "" and not area.has_unsaved_changes()


def selected_case(area):
    from ui.kit.forms import selected_key

    return selected_key(area.table)


def test_choosing_another_partner_over_a_typed_contact_asks(qtbot, admin):
    area = _partners(qtbot, admin)
    area.add_contact()
    area.form.name.setText(TYPED)
    area.select_partner("GLAA")
    QTest.keyClick(question(area.form), Qt.Key.Key_Escape)   # Keep editing: still HMRC, still typed
    assert area.current_code() == "HMRC" and area.form.isVisible() and area.form.name.text() == TYPED
    area.select_partner("GLAA")
    question(area.form).discard_button.click()
    assert area.current_code() == "GLAA" and area.form.isHidden()
