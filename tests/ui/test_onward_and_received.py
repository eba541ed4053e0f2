"""Issue 4 follow-ups through the real widgets: one subject on many requests ("Add an existing
subject…"), recording an onward disclosure from the request view (section 6 consent), and keying
in an answer a partner sent by another route."""

from __future__ import annotations

import pytest

from app import disclosures
from app.requests import create_request, get_request, send_to_agencies
from app.responses import receive_response
from app.subjects import count_subjects, get_subject
from desk_helpers import make_desk, request_data, response_data
from ui.qt import QtCore, QtWidgets, Qt
from ui.requests.area import RequestsArea
from fake_session import FakeSession
from settle import settle

SHOTS = "/tmp/shots-extra"


@pytest.fixture
def desk(tmp_path):
    vault = make_desk(tmp_path / "police.vault", "DCON", "spoc")
    yield vault
    QtCore.QThreadPool.globalInstance().waitForDone(30_000)
    if vault.is_open:
        vault.close()


@pytest.fixture
def area(qtbot, desk):
    widget = RequestsArea(FakeSession(desk))
    qtbot.addWidget(widget)
    widget.resize(1100, 800)
    widget.show()
    widget.refresh()
    qtbot.waitUntil(lambda: not widget.model.is_loading(), timeout=10_000)
    return widget


def shot(widget, name: str) -> None:
    import os

    os.makedirs(SHOTS, exist_ok=True)
    QtWidgets.QApplication.processEvents()
    widget.grab().save(f"{SHOTS}/{name}.png")


def fill_minimal(form) -> None:
    form.request_date.setText("02/03/2026")
    form.requester_name.setText("DS Jane Smith")
    form.requester_contact.setPlainText("operationwilberforce@derbyshire.pnn.police.uk")
    form.reasons.check("crime")
    form.information_date.setText("01/03/2026")
    form.information.setPlainText("Second sighting of the same man.")
    form.check_request.setPlainText("Please check your records.")


# ---- 1. one subject on many requests ----------------------------------------------------------


def test_add_an_existing_subject_links_the_same_subject_id(qtbot, area, desk):
    first = create_request(desk, request_data(subjects=[
        {"subject": {"kind": "person", "name": "Ion\u202e Popescu", "aliases": ["Johnny P"]},
         "role": "suspected-perpetrator"}]))
    subject_id = first.subjects[0].id
    before = count_subjects(desk)
    form = area.open_form(None)
    fill_minimal(form)
    editor = form.subjects
    assert editor.add_existing.isVisible()
    qtbot.mouseClick(editor.add_existing, Qt.MouseButton.LeftButton)
    finder = editor.finder
    assert finder.isVisible() and not editor.panel.isVisible()
    # nothing typed: the core's message, in the summary and under the field
    qtbot.mouseClick(finder.find_button, Qt.MouseButton.LeftButton)
    assert finder.summary.isVisible() and "letters or numbers" in finder.summary.messages()[0]
    # found by alias, shown plain with the hidden character flagged, with the requests it is on
    finder.query.setText("johnny")
    qtbot.keyClick(finder.query, Qt.Key.Key_Return)
    assert finder.results.count() == 1
    text = finder.results.item(0).text()
    assert "⟦U+202E⟧" in text and "[hidden characters]" in text
    assert f"On {first.reference} (Suspected perpetrator)" in text
    assert f"Already a subject of: {first.reference} (Suspected perpetrator)" in finder.details.text()
    assert finder.flag.isVisible() and "RIGHT-TO-LEFT OVERRIDE" in finder.flag.text()
    assert finder.details.textFormat() == Qt.TextFormat.PlainText
    # a draft over a lock keeps the search
    assert form.state()["subject_search"] == {"query": "johnny", "role": "unknown"}
    finder.bring_into_view()
    shot(area, "existing-subject-finder")
    finder.role.setCurrentIndex(finder.role.findData("associate"))
    qtbot.mouseClick(finder.add_button, Qt.MouseButton.LeftButton)
    assert not finder.isVisible()
    assert editor.entries[-1]["subject_id"] == subject_id and editor.entries[-1]["role"] == "associate"
    assert "Ion⟦U+202E⟧ Popescu" in editor.table.item(0, 2).text()
    # adding the same subject twice is refused
    editor.start_find()
    finder.query.setText("Popescu")
    finder.find()
    qtbot.mouseClick(finder.add_button, Qt.MouseButton.LeftButton)
    assert finder.isVisible()
    assert len(editor.entries) == 1 and "already a subject of this request" in finder.summary.messages()[0]
    finder.close_panel()

    second = form.save()
    assert second is not None, form.summary.messages()
    assert count_subjects(desk) == before                       # no new subject row
    assert [s.id for s in get_request(desk, second.id).subjects] == [subject_id]
    assert [s.id for s in get_request(desk, first.id).subjects] == [subject_id]
    assert get_request(desk, second.id).subjects[0].role == "associate"
    assert get_request(desk, first.id).subjects[0].role == "suspected-perpetrator"


def test_editing_a_linked_subject_goes_through_update_subject(qtbot, area, desk):
    first = create_request(desk, request_data())
    victim = next(s for s in first.subjects if s.name == "Nguyễn Văn An")
    second = create_request(desk, request_data(subjects=[]))
    form = area.open_form(get_request(desk, second.id))
    editor = form.subjects
    editor.start_find()
    editor.finder.query.setText("nguyen")
    editor.finder.find()
    assert editor.finder.subject.id == victim.id
    editor.finder.role.setCurrentIndex(editor.finder.role.findData("potential-victim"))
    editor.finder.add()
    editor.table.selectRow(0)
    editor.edit_selected()
    editor.aliases.setPlainText("An Nguyen")
    assert editor.keep()
    assert form.save() is not None
    assert get_subject(desk, victim.id).aliases == ("An Nguyen",)
    assert [s.id for s in get_request(desk, second.id).subjects] == [victim.id]
    assert get_request(desk, first.id).subjects[1].aliases == ("An Nguyen",)   # the same subject everywhere


# ---- 2. onward disclosure ---------------------------------------------------------------------


def _collated(desk):
    """A request sent to HMRC, NCA and GLAA; HMRC disclosed by hand, NCA made a nil return."""
    request = create_request(desk, request_data())
    send_to_agencies(desk, request.id, ["HMRC", "NCA", "GLAA"])
    dispatches = {d.agency: d for d in get_request(desk, request.id).dispatches}
    receive_response(desk, dispatches["HMRC"].id, response_data(), channel="cjsm")
    receive_response(desk, dispatches["NCA"].id, {"kind": "nil-return", "responder_name": "N. Officer",
                                                  "response_date": "2026-03-06"})
    return get_request(desk, request.id)


def test_record_an_onward_disclosure_end_to_end(qtbot, area, desk, tmp_path):
    from app.suspensions import suspend
    from desk_helpers import reopen_as

    request = _collated(desk)
    area.open_request(request.id)
    view = area.view
    assert view.onward_button.isVisible() and "None recorded" in " ".join(
        label.text() for label in view.findChildren(QtWidgets.QLabel))
    qtbot.mouseClick(view.onward_button, Qt.MouseButton.LeftButton)
    panel = view.onward_panel
    assert panel is not None and panel.isVisible()
    for key, row in panel.rows.items():
        assert row.field.accessibleName(), key
    # the partner's answer can be drawn on; ticking it makes HMRC the originator (data, not a choice)
    hmrc_answer = next(code for code, check in panel.responses.checks.items() if "HM Revenue" in check.label.text())
    assert len(panel.responses.checks) == 1        # the nil return discloses nothing to pass on
    assert "This desk" in panel.originator_label.text() and not panel.consent_notice.isVisible()
    panel.responses.checks[hmrc_answer].setChecked(True)
    assert "HMRC" in panel.originator_label.text()
    assert not hasattr(panel, "consent_note")  # no free-text consent: only a signed grant counts
    # nothing chosen: the form's own problem first
    assert panel.confirm() is None
    assert panel.problem_messages() == ["Choose the partner the information goes to"]
    panel.to_agency.setCurrentIndex(panel.to_agency.findData("DCC"))
    assert panel.channel.currentData() == load_channels("DCC")[0]
    assert panel.consent_notice.text().startswith("HMRC provided this. Ask HMRC for written consent to disclose "
                                                  "it to the DCC for")
    assert panel.ask_button.isVisibleTo(panel)
    qtbot.keyClicks(panel.what, "Employer of the potential victim: Example Ltd.")
    panel.subjects.checks[request.subjects[1].id].setChecked(True)
    panel.bases.checks["cda1998-s115"].setChecked(True)
    # without written consent it cannot be recorded: the refusal is shown at the field
    assert panel.confirm() is None
    assert any("HMRC provided this" in m and "6.3" in m for m in panel.problem_messages())
    assert panel.rows["originator"].error.isVisible()
    qtbot.wait(50)
    view.scroll.ensureWidgetVisible(panel.record_button)
    shot(area, "onward-disclosure-panel")
    view.scroll.verticalScrollBar().setValue(0)
    shot(area, "onward-disclosure-panel-top")
    # this desk's own information (its subject) goes on without anyone's consent
    panel.responses.checks[hmrc_answer].setChecked(False)
    assert "This desk" in panel.originator_label.text()
    box = panel.confirm()
    text = box.text()
    assert "discloses to Derby City Council (DCC) through" in text
    assert "Employer of the potential victim: Example Ltd." in text and "Nguyễn Văn An" in text
    assert "this desk's own" in text
    box.grab().save(f"{SHOTS}/onward-confirmation.png")
    qtbot.mouseClick(box.accept_button, Qt.MouseButton.LeftButton)
    assert view.onward_panel is None
    assert "Onward disclosure to Derby City Council recorded" in view.notice.text()
    onward = [d for d in disclosures.list_disclosures(desk, request_id=request.id).items if d.kind == "onward"]
    assert len(onward) == 1
    row = onward[0]
    assert (row.from_agency, row.to_agency, row.originator) == ("DCON", "DCC", "DCON")
    assert row.lawful_bases == ("cda1998-s115",) and row.subject_ids == (request.subjects[1].id,)
    assert row.consent_grants == ()
    texts = " ".join(label.text() for label in view.findChildren(QtWidgets.QLabel))
    assert "Onward disclosures (1)" in texts and "to Derby City Council by" in texts


    # the disclosure register shows it
    from ui.disclosures.area import DisclosuresArea

    register = DisclosuresArea(FakeSession(desk))
    qtbot.addWidget(register)
    register.show()
    register.refresh()
    settle(qtbot)
    assert register.model.text(0, 1) == "Onward disclosure" and register.model.text(0, 3) == "DCC"

    # a suspended partner is refused with the core's message
    desk2 = reopen_as(desk, "alice")
    suspend(desk2, "GLAA", "Breach under investigation")
    desk3 = reopen_as(desk2, "bob")
    try:
        other = RequestsArea(FakeSession(desk3))
        qtbot.addWidget(other)
        other.resize(1100, 800)
        other.show()
        other.open_request(request.id)
        panel = other.view.start_onward()
        index = panel.to_agency.findData("GLAA")
        assert "suspended under clause 13.2" in panel.to_agency.itemText(index)
        panel.to_agency.setCurrentIndex(index)
        panel.what.setPlainText("Our own intelligence summary.")
        panel.bases.checks["cda1998-s115"].setChecked(True)
        assert panel.record() is None
        assert any("suspended under clause 13.2" in m for m in panel.problem_messages())
        assert panel.rows["to_agency"].error.isVisible()
    finally:
        desk3.close()


def load_channels(code):
    from app.agreement import load_agreement

    return load_agreement().partner(code).secure_channels


# ---- 3. an answer received by another route --------------------------------------------------


def test_answers_received_by_hand_are_collated_side_by_side(qtbot, area, desk):
    request = create_request(desk, request_data())
    send_to_agencies(desk, request.id, ["HMRC", "NCA", "GLAA"])
    dispatches = {d.agency: d for d in get_request(desk, request.id).dispatches}
    area.open_request(request.id)
    view = area.view
    view.select_dispatch(dispatches["HMRC"].id)
    assert view.receive_button.isVisible() and view.receive_button.isEnabled()
    assert not view.respond_button.isVisible()          # not addressed to this desk
    qtbot.mouseClick(view.receive_button, Qt.MouseButton.LeftButton)
    form = area.response_form
    assert form is not None and form.received and area.stack.currentWidget() is area.response_page
    # worded as what the partner sent, not "your answer"; no sending or export
    assert form.title.text() == f"Record the answer HM Revenue & Customs sent for {request.reference}"
    assert form.kind_buttons["disclosure"].text() == "They hold information and disclosed it"
    assert form.rows["held_text"].label.text() == "What HM Revenue & Customs holds"
    assert not form.send_button.isVisible() and not form.export_button.isVisible()
    assert form.save_button.isVisible() and "Record answer received" in form.save_button.text()
    assert form.responder_name.text() == ""               # not this desk's user
    assert form.channel.currentData() == load_channels("HMRC")[0]
    # the 5.4 answers are required, as the core says
    form.responder_name.setText("A. Officer")
    form.held_text.setPlainText("Employment records for one subject.")
    form.disclosed_text.setPlainText("Employed by Example Ltd since 2024.")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    messages = form.problem_messages()
    for expected in ("Say in words why the disclosure is necessary (5.4.2)",
                     "Say in words why the disclosure is proportionate (5.4.3)",
                     "Say in words how you know the information is accurate (5.4)",
                     "Choose the lawful basis for the disclosure (5.4.1, Appendix 3)",
                     "Choose the types of information disclosed (5.2)"):
        assert expected in messages
    assert form.rows["necessary"].error.isVisible()
    assert get_request(desk, request.id).dispatches[0].status in ("sent", "acknowledged")
    form.info_types.boxes["residence-or-business"].setChecked(True)
    form.select_basis("dpa1998-s29-3")
    form.necessary.setPlainText("Needed to identify the employer of a potential victim.")
    form.proportionate.setPlainText("Only the employer's name and start date.")
    form.accurate.setPlainText("From their records, checked on the day.")
    form.scroll.verticalScrollBar().setValue(0)
    shot(area, "received-answer-form")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert area.stack.currentWidget() is view                 # back to the collation

    # NCA's nil return, received by hand too
    view.select_dispatch(dispatches["NCA"].id)
    qtbot.mouseClick(view.receive_button, Qt.MouseButton.LeftButton)
    form = area.response_form
    form.set_kind("nil-return")
    assert not form.rows["necessary"].isVisible()
    form.responder_name.setText("N. Officer")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert area.stack.currentWidget() is view

    rows = {view.table.item(r, 0).text(): [view.table.item(r, c).text() for c in range(5)]
            for r in range(view.table.rowCount())}
    assert rows["HM Revenue & Customs"][1].startswith("Responded")
    assert "Disclosed: Employed by Example Ltd since 2024." in rows["HM Revenue & Customs"][3]
    assert "Necessary: Needed to identify" in rows["HM Revenue & Customs"][4]
    assert rows["National Crime Agency"][2].startswith("Nil return")
    assert rows["Gangmasters & Labour Abuse Authority"][2] == "No answer yet"
    shot(area, "received-collation")
    # recorded as received in the register, with the channel
    received = [d for d in disclosures.list_disclosures(desk, request_id=request.id).items
                if d.kind == "response" and d.direction == "received"]
    assert {(d.from_agency, d.to_agency) for d in received} == {("HMRC", "DCON"), ("NCA", "DCON")}
    # an agency that has answered cannot be answered for again
    view.select_dispatch(dispatches["HMRC"].id)
    assert not view.receive_button.isEnabled()
