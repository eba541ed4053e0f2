"""The last dialogs that opened with a nested event loop (`exec()`) open without blocking (issue 17):
the test goes on while each is open and acts on it; a lock while it is open closes it without a
traceback; a form dialog's typing comes back, encrypted over the lock, when the desk is unlocked;
once the user saves or discards a dialog reopened from its draft, it does not come back again.
And the Partners contact form keeps what was typed over a lock and asks before leaving it.

Each runs the real shell (unlock screen, main window, lock) over a vault on disk."""

from __future__ import annotations

import datetime as dt

import pytest

from app import corrections as cr
from app import governance
from app import requests as rq
from app.drafts import load_draft
from app.users import add_user
from app.vault import Vault
from conftest import OTHER_PASSPHRASE, PASSPHRASE
from desk_helpers import request_data
from settle import settle
from test_shell import _all_visible_text, _flush_deletes
from ui.kit import guard
from ui.kit.dialogs import FormDialog
from ui.qt import Qt, QtWidgets

TYPED = "Typed before the lock <b>&amp;</b> \u202eRTL\u202c"


def _prepare(path, work=None, users=()):
    """As the desk's administrator add `users` [(name, role)]; then run `work(vault)` as the first
    of them (or the administrator)."""
    with Vault.open(path, user="alice", passphrase=PASSPHRASE) as vault:
        for name, role in users:
            add_user(vault, name, role, OTHER_PASSPHRASE)
    if work is None:
        return None
    user, passphrase = (users[0][0], OTHER_PASSPHRASE) if users else ("alice", PASSPHRASE)
    with Vault.open(path, user=user, passphrase=passphrase) as vault:
        return work(vault)


@pytest.fixture(autouse=True)
def no_nested_event_loop(qtbot):
    """A dialog opened with exec() would hold the test in its nested event loop: after a while this
    closes it (so the test fails instead of hanging) and the test fails here too."""
    from ui.qt import QtCore

    blocked = []

    def rescue() -> None:
        widget = QtWidgets.QApplication.activeModalWidget()
        if isinstance(widget, QtWidgets.QDialog):
            blocked.append(widget.windowTitle())
            widget.done(0)

    timer = QtCore.QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(rescue)
    timer.start(30_000)   # each test takes a few seconds
    yield
    timer.stop()
    assert not blocked, f"a dialog blocked in a nested event loop: {blocked}"


@pytest.fixture
def desk(qtbot, closed_vault, make_shell, unlock_with):
    """start(user) -> the main window of a real shell over the desk, unlocked as `user`;
    relock() locks (as the idle timer does) and unlocks again as the same user."""
    from ui.shell.shell import default_areas

    class Desk:
        path = closed_vault
        shell = None
        user = "alice"

        def start(self, user: str = "alice"):
            self.user = user
            self.shell = make_shell(default_areas())
            self.shell.start(closed_vault)
            return self.unlock()

        def unlock(self):
            main = unlock_with(self.shell, user=self.user,
                               passphrase=PASSPHRASE if self.user == "alice" else OTHER_PASSPHRASE)
            assert main is not None
            settle(qtbot)
            return main

        def lock(self) -> None:
            self.shell.lock("idle")
            _flush_deletes(qtbot)
            assert self.shell.main_window is None
            assert [w for w in QtWidgets.QApplication.topLevelWidgets() if w.isVisible()] == [self.shell.unlock_window]
            assert not any(TYPED in text for text in _all_visible_text())

        def relock(self):
            self.lock()
            return self.unlock()

    return Desk()


def reopened(key: str) -> list:
    return [w for w in QtWidgets.QApplication.topLevelWidgets()
            if getattr(w, "draft_key", "") == key and w.isVisible()]


def no_message_boxes() -> bool:
    return not [w for w in QtWidgets.QApplication.topLevelWidgets()
                if isinstance(w, QtWidgets.QMessageBox) and w.isVisible()]


# ---- users: approval and training --------------------------------------------------------------


def test_approval_and_training_opens_without_blocking_and_survives_a_lock(qtbot, desk):
    _prepare(desk.path, users=[("bob", "spoc")])
    main = desk.start()
    main.show_area("users")
    users = main.area("users")
    users.select_user("bob")
    dialog = users.edit_standing()
    assert isinstance(dialog, FormDialog) and dialog.isVisible()   # returned with the dialog open
    assert dialog.windowModality() == Qt.WindowModality.WindowModal   # open(), not exec()
    dialog.course.setText(TYPED)
    dialog.approved_by.setText("Chief Officer")

    main = desk.relock()
    [again] = reopened("users_dialog")
    assert again.course.text() == TYPED and again.approved_by.text() == "Chief Officer"
    assert "bob" in again.windowTitle() and main.current_area_key() == "users"
    again.approved_on.set_date(dt.date(2026, 1, 5))
    again.trained_on.set_date(dt.date(2026, 1, 6))
    again.accept_button.click()
    assert not again.isVisible()
    users = main.area("users")
    assert "Saved the approval and training of bob." in users.notice.text()
    assert TYPED in users.standing.text()

    desk.relock()   # saved: nothing comes back, and the draft has gone
    assert reopened("users_dialog") == []


def test_cancelling_a_dialog_reopened_from_its_draft_lets_the_draft_go(qtbot, desk):
    _prepare(desk.path, users=[("bob", "spoc")])
    main = desk.start()
    main.show_area("users")
    main.area("users").select_user("bob")
    main.area("users").edit_standing().course.setText(TYPED)
    desk.relock()
    [again] = reopened("users_dialog")
    again.cancel_button.click()
    guard.open_question(again).discard_button.click()   # Discard changes
    assert not again.isVisible()
    desk.relock()
    assert reopened("users_dialog") == []
    assert load_draft(desk.shell.session.vault, "users_dialog") is None


def test_a_saved_breach_reopened_from_its_draft_does_not_come_back(qtbot, desk):
    """Before: the shell let a dialog's draft alone once the dialog was closed, so a breach saved
    after an unlock came back, typed in again, at every later unlock."""
    _prepare(desk.path, users=[("sam", "spoc")])
    main = desk.start("sam")
    dialog = main.report_breach()
    dialog.facts.setPlainText(TYPED)
    main = desk.relock()
    [again] = reopened("breach_dialog")
    assert again.facts.toPlainText() == TYPED
    again.category.setCurrentIndex(1)
    again.aware_at.setText("01/12/2026 10:00")
    again.containment.setPlainText("Wiped")
    assert again.submit() is not None
    again.close()
    desk.relock()
    assert reopened("breach_dialog") == []


# ---- governance ------------------------------------------------------------------------------


def test_governance_dialogs_open_without_blocking_and_keep_their_typing(qtbot, desk):
    dispute = _prepare(desk.path, lambda v: governance.raise_dispute(v, {
        "partner": "HMRC", "raised_by": "us", "about": "Late answers", "raised_on": dt.date.today().isoformat()}))
    main = desk.start()
    main.show_area("governance")
    area = main.area("governance")
    assert area.select_dispute(dispute.reference)
    area.step_button.click()
    dialog = area.dialog
    assert dialog.isVisible()   # the click returned with the dialog open
    dialog.text.setPlainText(TYPED)

    main = desk.relock()
    [again] = reopened("governance_dialog")
    assert again.text.toPlainText() == TYPED and dispute.reference in again.windowTitle()
    again.accept_button.click()
    area = main.area("governance")
    assert not again.isVisible() and area.status.text() == f"Added a step to {dispute.reference}."
    assert [s.text for s in governance.list_disputes(desk.shell.session.vault)[0].steps][-1] == TYPED


def test_a_lock_closes_an_empty_governance_dialog_and_nothing_comes_back(qtbot, desk):
    main = desk.start()
    main.show_area("governance")
    area = main.area("governance")
    area.raise_button.click()
    assert area.dialog.isVisible()
    desk.relock()
    assert reopened("governance_dialog") == []


# ---- corrections: the strip on a record, and the corrections area ------------------------------


def _own_subject(vault) -> str:
    request = rq.create_request(vault, request_data())
    return vault.db.scalar("SELECT s.id FROM subjects s JOIN request_subjects rs ON rs.subject_id = s.id "
                           "WHERE rs.request_id = ? AND s.date_of_birth IS NOT NULL", (request.id,))


def test_the_flag_dialog_opens_without_blocking_and_comes_back_after_a_lock(qtbot, desk):
    sid = _prepare(desk.path, _own_subject, users=[("sam", "spoc")])
    main = desk.start("sam")
    main.show_area("subjects")
    subjects = main.area("subjects")
    subjects.show_subject(sid)
    strip = subjects.correction_strip
    strip.flag_button.click()
    assert strip.dialog.isVisible()
    strip.dialog.field.setCurrentIndex(strip.dialog.field.findData("date_of_birth"))
    strip.dialog.details.setPlainText(TYPED)

    desk.relock()
    [again] = reopened("correction_strip_dialog")
    assert again.details.toPlainText() == TYPED and again.field.currentData() == "date_of_birth"
    again.problem.setCurrentIndex(again.problem.findData("inaccurate"))
    again.accept_button.click()
    assert not again.isVisible()
    [notice] = cr.register(desk.shell.session.vault, audit=False).notices
    assert notice.details == TYPED
    assert again.told.isVisible() and again.told.text() == f"Flagged as {notice.reference} (to correct here)."
    again.told.close()


def test_recording_a_correction_from_the_area_opens_without_blocking_and_survives_a_lock(qtbot, desk):
    def flagged(vault):
        sid = _own_subject(vault)
        return cr.flag(vault, {"item_type": "subject", "item_id": sid, "field": "name", "problem": "out-of-date",
                               "details": "Changed by deed poll."})

    notice = _prepare(desk.path, flagged, users=[("sam", "spoc")])
    main = desk.start("sam")
    main.show_area("corrections")
    area = main.area("corrections")
    area.select_notice(notice.reference)
    area.correct_button.click()
    assert area.dialog.isVisible()
    area.dialog.new_value.setPlainText("Ion Pop")
    area.dialog.reason.setPlainText(TYPED)

    main = desk.relock()
    [again] = reopened("corrections_dialog")
    assert again.reason.toPlainText() == TYPED and again.new_value.toPlainText() == "Ion Pop"
    again.accept_button.click()
    area = main.area("corrections")
    assert not again.isVisible() and area.status.text().startswith("Corrected as COR-DCON-")

    # Decline: a lock with nothing typed closes it, and nothing comes back.
    other = cr.flag(desk.shell.session.vault, {"item_type": "subject", "item_id": notice.item_id, "field": "name",
                                               "problem": "inaccurate", "details": "Spelling."})
    area.refresh()
    area.select_notice(other.reference)
    area.decline_button.click()
    assert area.dialog.isVisible()
    desk.relock()
    assert reopened("corrections_dialog") == []


# ---- breaches: "Suspend sharing?" ---------------------------------------------------------------


def test_the_suspend_question_opens_without_blocking_and_a_lock_just_closes_it(qtbot, desk):
    from app import breaches as br
    from app import suspensions

    breach = _prepare(desk.path, lambda v: br.create_breach(v, {
        "reporter": "DC Lee", "agency": "DCON", "category": "device-loss", "aware_at": "01/12/2026 10:00",
        "facts": "Lost phone", "containment": "Wiped"}), users=[("dora", "dpm")])
    main = desk.start("dora")
    main.show_area("breaches")
    area = main.area("breaches")
    settle(qtbot)
    area.select(breach.reference)
    form = area.form
    form.set_kind("suspension-decided")
    form.inputs["partner"].setCurrentIndex(form.inputs["partner"].findData("HMRC"))
    form.inputs["suspend"].setCurrentIndex(form.inputs["suspend"].findData("yes"))
    form.inputs["reason"].setPlainText("Serious breach")
    assert form.submit() is None and form.question.isVisible()
    desk.lock()   # closes the question: nothing is saved, nothing raises
    main = desk.unlock()
    assert not suspensions.is_suspended(desk.shell.session.vault, "HMRC") and no_message_boxes()


# ---- partners: the desk-card refusal and the contact form --------------------------------------


def test_a_refused_desk_card_is_told_without_blocking_and_a_lock_closes_it(qtbot, desk, tmp_path):
    junk = tmp_path / "junk.card.json"
    junk.write_text('{"format": "something else"}', encoding="utf-8")
    main = desk.start()
    main.show_area("partners")
    area = main.area("partners")
    area.select_partner("DWP")
    assert area.desk_section.trust_card(str(junk)) is None
    told = area.desk_section._dialog
    assert told.isVisible() and told.windowTitle() == "Not a desk card"
    desk.lock()


def _typed_contact(main):
    main.show_area("partners")
    area = main.area("partners")
    area.select_partner("HMRC")
    area.add_contact()
    area.form.name.setText(TYPED)
    area.form.email.setText("sam.khan@gmail.com")
    area.form.channel.setCurrentIndex(area.form.channel.findData("cjsm"))
    return area


def test_a_typed_contact_survives_a_lock(qtbot, desk):
    _typed_contact(desk.start())
    main = desk.relock()
    area = main.area("partners")
    assert main.current_area_key() == "partners" and area.current_code() == "HMRC"
    assert area.form.isVisible() and area.form.name.text() == TYPED
    assert area.form.email.text() == "sam.khan@gmail.com" and area.form.channel.currentData() == "cjsm"
    assert area.form.email_warning.isVisible() and area.has_unsaved_changes()
    area.form.save_button.click()
    assert area.form.isHidden() and f"Saved {TYPED}." in area.status.text()
    desk.relock()
    assert desk.shell.main_window.area("partners").form.isHidden()   # saved: no draft comes back


def test_an_edited_contact_comes_back_as_the_same_contact(qtbot, desk):
    from app import contacts

    contact = _prepare(desk.path, lambda v: contacts.add_contact(v, {
        "partner": "HMRC", "name": "Sam Khan", "email": "sam.khan@hmrc.gov.uk", "role": "SPOC"}))
    main = desk.start()
    main.show_area("partners")
    area = main.area("partners")
    area.select_partner("HMRC")
    area.select_contact("Sam Khan")
    area.edit_selected()
    area.form.role.setText(TYPED)
    area = desk.relock().area("partners")
    assert area.form.contact is not None and area.form.contact.id == contact.id
    assert area.form.name.text() == "Sam Khan" and area.form.role.text() == TYPED
    area.form.submit()
    assert [c.role for c in contacts.list_contacts(desk.shell.session.vault, "HMRC")] == [TYPED]


def test_leaving_a_typed_contact_by_another_area_asks_and_keep_editing_keeps_it(qtbot, desk):
    main = desk.start()
    area = _typed_contact(main)
    main.show_area("home")
    box = guard.open_question(main)
    assert box is not None and box.defaultButton() is box.keep_button
    box.keep_button.click()
    assert main.current_area_key() == "partners" and area.form.name.text() == TYPED
    area.data_changed()   # records arrived from an import: the typing stays
    assert area.form.isVisible() and area.form.name.text() == TYPED
    main.show_area("home")
    guard.open_question(main).discard_button.click()
    assert main.current_area_key() == "home" and area.form.isHidden() and area.draft_state() is None


@pytest.mark.parametrize("action, field", [("record_signatory", "name"), ("raise_dispute", "about"),
                                           ("close_dispute", "note"), ("adopt_file", "reason")])
def test_each_governance_dialog_comes_back_with_its_typing(qtbot, desk, tmp_path, action, field):
    from ui.kit.dialogs import field_value, set_field_value

    dispute = _prepare(desk.path, lambda v: governance.raise_dispute(v, {
        "partner": "HMRC", "raised_by": "us", "about": "Late answers", "raised_on": dt.date.today().isoformat()}))
    new_version = tmp_path / "agreement-v2.json"
    new_version.write_text("{}", encoding="utf-8")
    main = desk.start()
    main.show_area("governance")
    area = main.area("governance")
    area.select_dispute(dispute.reference)
    opened = {"record_signatory": area.sign_button.click, "raise_dispute": area.raise_button.click,
              "close_dispute": area.close_button.click, "adopt_file": lambda: area.adopt_file(str(new_version))}
    opened[action]()
    assert area.dialog.isVisible()
    set_field_value(area.dialog.rows[field].field, TYPED)
    title = area.dialog.windowTitle()
    desk.relock()
    [again] = reopened("governance_dialog")
    assert again.windowTitle() == title and field_value(again.rows[field].field) == TYPED


def test_a_dialog_whose_record_has_gone_does_not_come_back_and_its_draft_goes(qtbot, desk):
    dispute = _prepare(desk.path, lambda v: governance.raise_dispute(v, {
        "partner": "HMRC", "raised_by": "us", "about": "Late answers", "raised_on": dt.date.today().isoformat()}))
    main = desk.start()
    main.show_area("governance")
    area = main.area("governance")
    area.select_dispute(dispute.reference)
    area.step_button.click()
    area.dialog.text.setPlainText(TYPED)
    desk.lock()
    _prepare(desk.path, lambda v: governance.close_dispute(v, dispute.reference, "resolved", {"note": "Agreed"}))
    desk.unlock()   # the dispute was closed meanwhile: no step can be added to it
    assert reopened("governance_dialog") == []
    assert load_draft(desk.shell.session.vault, "governance_dialog") is None


def test_correct_and_decline_come_back_with_their_typing(qtbot, desk):
    def flagged(vault):
        sid = _own_subject(vault)
        notice = cr.flag(vault, {"item_type": "subject", "item_id": sid, "field": "name", "problem": "inaccurate",
                                 "details": "Spelling."})
        return sid, notice

    sid, notice = _prepare(desk.path, flagged, users=[("sam", "spoc")])
    main = desk.start("sam")
    main.show_area("subjects")
    main.area("subjects").show_subject(sid)
    strip = main.area("subjects").correction_strip
    strip.correct_button.click()
    strip.dialog.field.setCurrentIndex(strip.dialog.field.findData("name"))
    strip.dialog.reason.setPlainText(TYPED)
    desk.relock()
    [again] = reopened("correction_strip_dialog")
    assert again.windowTitle() == "Record a correction" and again.reason.toPlainText() == TYPED
    again.reject()
    guard.open_question(again).discard_button.click()

    main = desk.shell.main_window
    main.show_area("corrections")
    area = main.area("corrections")
    area.select_notice(notice.reference)
    area.decline_button.click()
    area.dialog.reason.setPlainText(TYPED)
    main = desk.relock()
    [again] = reopened("corrections_dialog")
    assert again.windowTitle() == f"Decline {notice.reference}" and again.reason.toPlainText() == TYPED
    again.accept_button.click()
    assert main.area("corrections").status.text() == f"{notice.reference} is declined."
    assert reopened("correction_strip_dialog") == []   # discarded before the second lock


def test_a_lock_while_discard_changes_is_asked_keeps_the_typing(qtbot, desk):
    main = desk.start()
    main.show_area("governance")
    area = main.area("governance")
    area.raise_button.click()
    area.dialog.about.setPlainText(TYPED)
    area.dialog.cancel_button.click()
    assert guard.open_question(area.dialog) is not None   # "Discard changes?" is open over it
    desk.relock()
    [again] = reopened("governance_dialog")
    assert again.about.toPlainText() == TYPED and guard.open_question(again) is None
