"""The consent screens (sections 6.2, 6.3, 7.3): asking from the onward-disclosure panel, the
originating desk answering in the consents register, and the register showing each state."""

from __future__ import annotations

import os

import pytest

from app import consent, disclosures
from app import requests as rq
from app import responses as rs
from app.exchange import packages
from desk_helpers import make_desk, request_data, response_data, trust_each_other
from fake_session import FakeSession
from settle import settle
from ui.consent.area import ConsentsArea
from ui.qt import Qt, QtCore, QtWidgets
from ui.requests.area import RequestsArea

SHOTS = os.environ.get("SPOCDESK_SHOTS", "")
HOSTILE = "<b>Not bold</b> & \u202eRTL\u202c"


@pytest.fixture
def desks(tmp_path, monkeypatch):
    police = make_desk(tmp_path / "dcon.vault", "DCON")
    hmrc = make_desk(tmp_path / "hmrc.vault", "HMRC")
    nca = make_desk(tmp_path / "nca.vault", "NCA")
    trust_each_other(police, hmrc, nca)
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr("ui.consent.dialogs.documents_folder", lambda: out)
    request = rq.create_request(police, request_data())
    [made] = packages.send(police, request.reference, ["HMRC"], out)
    got = packages.receive(hmrc, made.path, receipt_out=out)
    held = rq.get_request(hmrc, got.request_id)
    answer = rs.record_response(hmrc, held.dispatches[0].id, response_data())
    [back] = packages.send(hmrc, f"{request.reference}/HMRC", None, out)
    packages.receive(police, back.path, receipt_out=out)
    yield police, hmrc, nca, out, request, answer
    for vault in (police, hmrc, nca):
        if vault.is_open:
            vault.close()


def hmrc_row_chosen(qtbot, police, request):
    """The police desk's request view with HMRC's answer chosen in the table."""
    area = RequestsArea(FakeSession(police))
    qtbot.addWidget(area)
    area.resize(1200, 900)
    area.show()
    area.open_request(request.id)
    view = area.view
    view.select_dispatch(next(d.id for d in rq.get_request(police, request.id).dispatches if d.agency == "HMRC"))
    return view


def shot(widget, name):
    if SHOTS:
        widget.show()  # as the user sees it: Qt sizes the window, then lays out what changed
        for _ in range(20):  # an X server confirms a resize a little later
            QtWidgets.QApplication.processEvents()
            QtCore.QThread.msleep(10)
        widget.grab().save(os.path.join(SHOTS, f"{name}.png"))


def test_ask_answer_and_disclose_through_the_screens(qtbot, desks):
    police, hmrc, _, out, request, answer = desks
    area = RequestsArea(FakeSession(police))
    qtbot.addWidget(area)
    area.resize(1200, 900)
    area.show()
    area.open_request(request.id)
    panel = area.view.start_onward()
    panel.responses.checks[answer.id].setChecked(True)
    panel.to_agency.setCurrentIndex(panel.to_agency.findData("NCA"))
    assert panel.consent_notice.text().startswith("HMRC provided this. Ask HMRC for written consent to disclose it "
                                                  "to the NCA for")
    assert "HMRC" in panel.originator_label.text()
    # Ask for consent…: what would go to whom, why, by when; the package for HMRC's desk.
    dialog = panel.ask_for_consent()
    assert dialog is not None and "HM Revenue" in dialog.rows["items"].field.toPlainText()
    dialog.submit()
    assert dialog.isVisible() and any("why the information is needed" in m.lower()
                                      for m in dialog.summary.messages())
    dialog.reason.setPlainText(HOSTILE + " the NCA leads the investigation")
    dialog.needed_by.setText("31/12/2099")
    shot(dialog, "consent-ask")
    dialog.submit()
    assert dialog.result() == dialog.DialogCode.Accepted and dialog.path.exists()
    asked = dialog.asked
    assert asked.state == "awaiting answer" and asked.originator == "HMRC" and asked.recipient == "NCA"

    # The HMRC desk receives it and answers in its consents register.
    packages.receive(hmrc, dialog.path)
    register = ConsentsArea(FakeSession(hmrc))
    qtbot.addWidget(register)
    register.resize(1200, 900)
    register.show()
    assert register.table.rowCount() == 1 and register.table.item(0, 7).text() == "awaiting answer"
    register.select_row(0)
    assert "HM Revenue" in register.values["Items"] and register.values["Why it is needed"].startswith(HOSTILE)
    assert register.answer_button.isEnabled() and not register.withdraw_button.isEnabled()
    if SHOTS:
        register.resize(1200, 900)
        qtbot.wait(50)
        register.grab().save(os.path.join(SHOTS, "consent-register-hmrc.png"))
    answering = register.answer_selected()
    assert "to National Crime Agency (NCA)" in answering.intro.text()
    answering.conditions.setPlainText(HOSTILE)
    answering.until.setText("31/12/2099")
    shot(answering, "consent-answer")
    qtbot.mouseClick(answering.accept_button, Qt.MouseButton.LeftButton)
    assert answering.path is not None and answering.path.exists()
    assert "package made" in register.notice.text()
    assert register.table.item(0, 7).text() == "granted"
    assert register.withdraw_button.isEnabled()

    # Back on the police desk the grant covers it, and the form records the disclosure citing it.
    packages.receive(police, answering.path)
    panel._check_consent()
    assert panel.consent_notice.text().startswith("Written consent covers this: " + asked.reference)
    panel.what.setPlainText("HMRC's employer record")
    panel.bases.checks["cda1998-s115"].setChecked(True)
    row = panel.record()
    assert row is not None and row.originator == "HMRC" and len(row.consent_grants) == 1
    if SHOTS:
        from ui.disclosures.area import DisclosuresArea

        disclosed = DisclosuresArea(FakeSession(police))
        qtbot.addWidget(disclosed)
        disclosed.resize(1200, 900)
        disclosed.show()
        disclosed.refresh()
        qtbot.waitUntil(lambda: disclosed.model.rowCount() > 0)
        settle(qtbot)
        disclosed.open_row(0)
        qtbot.wait(50)
        disclosed.details_scroll.verticalScrollBar().setValue(disclosed.details_scroll.verticalScrollBar().maximum())
        disclosed.grab().save(os.path.join(SHOTS, "disclosure-register-grant.png"))
    police_register = ConsentsArea(FakeSession(police))
    qtbot.addWidget(police_register)
    police_register.select_row(0)
    assert police_register.table.item(0, 2).text() == "Asked by this desk"
    assert any(k.startswith("Granted, in force") for k in police_register.values)
    assert not police_register.answer_button.isEnabled()  # only HMRC answers it
    if SHOTS:
        police_register.resize(1200, 900)
        police_register.show()
        qtbot.wait(50)
        police_register.grab().save(os.path.join(SHOTS, "consent-register-police.png"))

    # HMRC withdraws: the police desk's next disclosure is refused again.
    withdrawing = register.withdraw_selected()
    withdrawing.reason.setPlainText("Investigation closed")
    qtbot.mouseClick(withdrawing.accept_button, Qt.MouseButton.LeftButton)
    packages.receive(police, withdrawing.path)
    assert not consent.check_disclosure(police, [f"response:{answer.id}"], "NCA", asked.purpose).allowed
    police_register.refresh()
    assert police_register.table.item(0, 7).text() == "withdrawn"
    assert len([d for d in disclosures.list_disclosures(police).items if d.kind == "onward"]) == 1


def test_refusing_needs_a_reason_and_shows_in_the_register(qtbot, desks):
    police, hmrc, _, out, request, answer = desks
    asked, path = consent.ask_consent(police, [f"response:{answer.id}"], "NCA", "identify-victims",
                                      reason="Needed", out_dir=out)
    packages.receive(hmrc, path)
    register = ConsentsArea(FakeSession(hmrc))
    qtbot.addWidget(register)
    register.select_row(0)
    answering = register.answer_selected()
    answering.refuse.setChecked(True)
    answering.submit()
    assert answering.isVisible() and any("reason for refusing" in m for m in answering.summary.messages())
    answering.reason.setPlainText("A live HMRC enquiry")
    answering.submit()
    assert not answering.isVisible()
    assert register.table.item(0, 7).text() == "refused"
    preview = register.print_register()
    assert preview is not None


def test_pass_an_answer_on_as_a_package_only_with_consent(qtbot, desks):
    police, hmrc, nca, out, request, answer = desks
    view = hmrc_row_chosen(qtbot, police, request)
    assert view.pass_on_button.isVisibleTo(view)
    dialog = view.pass_on_selected()
    dialog.to.setCurrentIndex(dialog.to.findData("NCA"))
    qtbot.mouseClick(dialog.accept_button, Qt.MouseButton.LeftButton)
    qtbot.wait(20)
    assert dialog.isVisible()
    assert dialog.summary.messages() == ["HMRC has not given written consent for this (section 6.3): see below"]
    assert dialog.notice.text().startswith("HMRC provided this. Ask HMRC for written consent")
    assert dialog.ask_button.isVisibleTo(dialog)
    shot(dialog, "pass-on-refused")
    qtbot.mouseClick(dialog.ask_button, Qt.MouseButton.LeftButton)
    assert dialog.ask is not None and dialog.ask.isVisible()
    dialog.ask.reason.setPlainText("The NCA leads")
    dialog.ask.submit()
    packages.receive(hmrc, dialog.ask.path)
    _, reply = consent.answer_consent(hmrc, dialog.ask.asked.id, "granted", out_dir=out)
    packages.receive(police, reply)
    dialog.submit()
    assert dialog.result() == dialog.DialogCode.Accepted
    sending = view.dialog
    assert sending.plan[0].problem is None and "passed on" in sending.plan[0].what
    sending.folder.setText(str(out))
    sending.make()
    qtbot.waitUntil(lambda: bool(sending.result), timeout=10_000)
    got = packages.receive(nca, sending.result[0].path, receipt_out=out)
    assert "passed on by Derbyshire Constabulary with written consent" in got.line
    onward = [d for d in disclosures.list_disclosures(police).items if d.kind == "onward"]
    assert len(onward) == 1 and onward[0].consent_grants


def test_print_for_another_partner_needs_consent_for_the_answers_in_it(qtbot, desks):
    police, hmrc, _, out, request, answer = desks
    view = hmrc_row_chosen(qtbot, police, request)
    dialog = view.print_for_partner()
    dialog.document.setCurrentIndex(dialog.document.findData("response"))
    dialog.to.setCurrentIndex(dialog.to.findData("NCA"))
    dialog.submit()
    assert dialog.isVisible() and dialog.notice.text().startswith("HMRC provided this")
    assert dialog.rows["to"].error.isVisible()
    assert dialog.ask_button.isVisibleTo(dialog)
    # The request form carries only this desk's own information: it may be printed for the NCA.
    dialog.document.setCurrentIndex(dialog.document.findData("request"))
    dialog.submit()
    assert dialog.result() == dialog.DialogCode.Accepted
    settle(qtbot)  # the request list's own background reads first
    busy = view._print_for(dialog)
    qtbot.waitUntil(lambda: busy.preview is not None, timeout=15_000)
    assert busy.preview.report.kind == "request"
    busy.preview.close()


def test_the_chairs_permission_for_a_partners_answer_also_needs_its_consent(qtbot, desks):
    from app import meetings
    from ui.meetings.area import MeetingsArea

    police, hmrc, _, out, request, answer = desks
    meeting = meetings.create_meeting(police, {"held_at": "10/03/2026 10:00", "place": "Ripley", "chair": "DI Chair"})
    item = meetings.add_agenda_request(police, meeting.id, request.id)
    area = MeetingsArea(FakeSession(police))
    qtbot.addWidget(area)
    area.resize(1300, 900)
    area.show()
    area.refresh()
    settle(qtbot)
    area.select(meeting.id)
    form = area.permission_form
    form.inputs["requested_by"].set_value("DS Smith")
    form.set_value("requested_by_agency", "DCON")
    form.set_value("to_agency", "NCA")
    form.inputs["what"].set_value("HMRC's answer about the employer")
    form.inputs["reason"].set_value("Public protection")
    form.set_value("granted", "granted")
    form.set_value("agenda_item_id", item.id)
    form.set_value("purpose", "identify-victims")
    before = police.db.scalar("SELECT count(*) FROM disclosures")
    assert area.record_permission() is None
    assert any("HMRC provided this" in m and "6.3" in m for m in form.summary.messages())
    assert police.db.scalar("SELECT count(*) FROM disclosures") == before
    # With HMRC's grant the chair's permission is recorded and its register row cites the grant.
    asked, path = consent.ask_consent(police, [f"response:{answer.id}"], "NCA", "identify-victims", reason="TM",
                                      out_dir=out)
    packages.receive(hmrc, path)
    grant, reply = consent.answer_consent(hmrc, asked.id, "granted", out_dir=out)
    packages.receive(police, reply)
    found = area.record_permission()
    assert found is not None and found.granted
    row = police.db.one("SELECT originator, consent_grants FROM disclosures WHERE id = ?", (found.disclosure_id,))
    assert row["originator"] == "HMRC" and grant.id in row["consent_grants"]
