"""The Meetings area driven through its real widgets: a chair convenes a meeting with three
agencies and two cases (and a request), records acceptances, a decision, 4P actions and the
chair's decisions on further disclosure; error summaries name the fields; user text stays plain."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from app import meetings as mt
from app import requests as rq
from app.timeutil import LONDON
from desk_helpers import make_desk, reopen_as, request_data
from fake_session import FakeSession
from settle import settle
from ui.meetings.area import MeetingsArea
from ui.qt import Qt, QtPrintSupport, QtWidgets

UTC = dt.timezone.utc


def local(hours_from_now: float) -> str:
    return (dt.datetime.now(UTC) + dt.timedelta(hours=hours_from_now)).astimezone(LONDON).strftime("%d/%m/%Y %H:%M")


@pytest.fixture
def chair(tmp_path):
    spoc = make_desk(tmp_path / "dcon.vault", role="spoc")
    rq.create_request(spoc, request_data())
    vault = reopen_as(spoc, "carol", "chair")
    yield vault
    if vault.is_open:
        vault.close()


def make_area(qtbot, vault) -> MeetingsArea:
    area = MeetingsArea(FakeSession(vault))
    qtbot.addWidget(area)
    area.resize(1300, 900)
    area.show()
    area.refresh()
    settle(qtbot)
    return area


def click(qtbot, button) -> None:
    qtbot.wait(1)  # let the layouts of sections just shown settle, so the click lands on the button
    assert button.isVisible() and button.isEnabled(), button.text()
    assert button.height() > 0, button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def choose(combo: QtWidgets.QComboBox, data) -> None:
    index = combo.findData(data)
    assert index >= 0, data
    combo.setCurrentIndex(index)


def test_a_chair_runs_a_meeting_with_three_agencies_and_two_cases(qtbot, chair, tmp_path):
    area = make_area(qtbot, chair)
    assert area.new_button.isVisible() and area.empty.isVisible()

    # New meeting: the empty form names every missing field, nothing is saved.
    dialog = area.open_new_dialog()
    qtbot.addWidget(dialog)
    assert dialog.chair.value() == "carol" and dialog.form.value("chair_agency") == "DCON"
    dialog.chair.set_value("")
    click(qtbot, dialog.save_button)
    assert dialog.form.summary.messages() == ["Enter the date and time of the meeting",
                                              "Enter where the meeting is held", "Enter the name of the chair"]
    assert dialog.form.rows["place"].error.text() == "Enter where the meeting is held"
    assert chair.db.scalar("SELECT count(*) FROM meetings") == 0
    dialog.held_at.setText(local(-1))
    qtbot.keyClicks(dialog.place, "Ripley HQ, room 4")
    qtbot.keyClicks(dialog.chair, "DI Amy Clarke")
    click(qtbot, dialog.save_button)
    assert dialog.meeting is not None and not dialog.isVisible()
    meeting = area.current
    assert meeting.reference == "TM-2026-0001" or meeting.reference.startswith("TM-")
    assert area.page.isVisible() and meeting.reference in area.meeting_title.text()
    settle(qtbot)
    assert area.model.rowCount() == 1

    # The Appendix 1 statement is on the screen, as plain text.
    assert "justifiable need to know" in area.statement.toPlainText()
    assert area.statement.isReadOnly()

    # Attendees from three agencies; the first try without a name says so.
    form = area.attendee_form
    choose(form.inputs["agency"], "DCC")
    click(qtbot, form.button)
    assert form.summary.messages() == ["Enter the attendee's name"]
    for name, role, agency in (("Ann <b>Hughes</b>", "Social worker", "DCC"), ("Tom Hall", "Officer", "HMRC"),
                               ("Lena Nowak", "Inspector", "GLAA")):
        form.inputs["name"].setFocus()
        qtbot.keyClicks(form.inputs["name"], name)
        qtbot.keyClicks(form.inputs["role_title"], role)
        choose(form.inputs["agency"], agency)
        click(qtbot, form.button)
        assert form.summary.messages() == []
    assert area.attendees.rowCount() == 3
    assert area.attendees.item(0, 0).text() == "Ann <b>Hughes</b>"  # shown as typed, never as markup
    assert set(area.current.agencies) == {"DCC", "HMRC", "GLAA"}

    # Acceptance: without a choice it says what to do; then each attendee in turn.
    area.attendees.clearSelection()
    click(qtbot, area.accept_button)
    assert area.attendee_summary.messages() == ["Choose an attendee in the table first"]
    for row in range(3):
        area.attendees.selectRow(row)
        click(qtbot, area.accept_button)
        assert area.attendees.item(row, 3).text().startswith("Accepted ")
    assert area.current.all_accepted
    area.attendees.selectRow(0)
    click(qtbot, area.accept_button)
    assert "already recorded" in area.attendee_summary.messages()[0]

    # Agenda: a request found by part of its reference, then two cases.
    area.request_search.setText("0001")
    click(qtbot, area.find_button)
    assert area.request_pick.count() == 1 and "MSR-2026-0001" in area.request_pick.currentText()
    click(qtbot, area.request_form.button)
    case_form = area.case_form
    click(qtbot, case_form.button)
    assert case_form.summary.messages() == ["Enter a title for the case"]
    for title in ("Car wash on Mill Lane", "Nail bar, Victoria Road"):
        qtbot.keyClicks(case_form.inputs["title"], title)
        click(qtbot, case_form.button)
    assert [i.kind for i in area.current.agenda] == ["request", "case", "case"]
    assert area.agenda.count() == 3 and area.agenda.item(0).text() == "1. Request MSR-2026-0001"
    area.agenda.setCurrentRow(2)
    click(qtbot, area.up_button)
    assert [i.title for i in area.current.agenda if i.kind == "case"] == ["Nail bar, Victoria Road",
                                                                          "Car wash on Mill Lane"]
    second_case = area.current.agenda[1]

    # A decision under a case.
    choose(area.decision_form.inputs["agenda_item_id"], second_case.id)
    qtbot.keyClicks(area.decision_form.inputs["text"], "Joint welfare visit")
    click(qtbot, area.decision_form.button)
    assert "Joint welfare visit" in area.decisions.text() and "Nail bar" in area.decisions.text()

    # A 4P action: missing fields are named; then saved.
    action_form = area.action_form
    click(qtbot, action_form.button)
    assert action_form.summary.messages() == ["Choose Pursue, Prevent, Protect or Prepare", "Enter what is to be done",
                                              "Choose the agency that owns the action",
                                              "Enter the date the action is due"]
    choose(action_form.inputs["category"], "protect")
    qtbot.keyClicks(action_form.inputs["text"], "Safeguarding visit and NRM referral offered")
    choose(action_form.inputs["owner_agency"], "DCC")
    action_form.inputs["due_date"].edit.setText("31/12/2026")
    click(qtbot, action_form.button)
    assert action_form.summary.messages() == []
    assert area.actions.rowCount() == 1 and area.actions.item(0, 0).text() == "Protect"
    action = area.current.actions[0]
    assert (action.category, action.owner_agency, action.due_date, action.status) == \
        ("protect", "DCC", "2026-12-31", "open")

    # Status update with its history.
    area.actions.selectRow(0)
    assert "Safeguarding visit" in area.update_target.text()
    choose(area.update_form.inputs["status"], "done")
    click(qtbot, area.update_form.button)
    assert area.update_form.summary.messages() == ["Enter what was done, or why the action is cancelled"]
    qtbot.keyClicks(area.update_form.inputs["note"], "Visited on Tuesday")
    click(qtbot, area.update_form.button)
    assert area.current.actions[0].status == "done"
    assert "Visited on Tuesday" in area.history.text() and "Action agreed" in area.history.text()

    # Further disclosure: granted goes to the register; refused does not.
    before = chair.db.scalar("SELECT count(*) FROM disclosures")
    pf = area.permission_form
    click(qtbot, pf.button)
    assert len(pf.summary.messages()) == 6
    for decision in ("granted", "refused"):
        pf.inputs["requested_by"].set_value("Ann Hughes")
        choose(pf.inputs["requested_by_agency"], "DCC")
        choose(pf.inputs["to_agency"], "DHCFT")
        pf.inputs["what"].set_value("The address, for GP registration")
        pf.inputs["reason"].set_value("Health care for a vulnerable adult")
        choose(pf.inputs["granted"], decision)
        click(qtbot, pf.button)
        assert pf.summary.messages() == []
    assert chair.db.scalar("SELECT count(*) FROM disclosures") == before + 1
    assert "GRANTED" in area.permissions.text() and "REFUSED" in area.permissions.text()

    # Held, then closed (every attendee accepted).
    click(qtbot, area.held_button)
    assert area.current.status == "held" and area.close_button.isVisible()
    click(qtbot, area.close_button)
    assert area.current.status == "closed"
    assert not area.attendee_form.isVisible() and area.reopen_button.isVisible()
    settle(qtbot)
    assert area.model.index(0, 2).data() == "Closed" and area.model.index(0, 3).data() == "3 of 3"

    # The meeting pack: previewed, then printed to a PDF printer; both are audited.
    busy = area.open_pack()
    qtbot.waitUntil(lambda: busy.preview is not None, timeout=30_000)
    preview = busy.preview
    assert preview.report.kind == "meeting-pack" and preview.report.reference == area.current.reference
    printed = tmp_path / "pack.pdf"
    printer = QtPrintSupport.QPrinter(QtPrintSupport.QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QtPrintSupport.QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(printed))
    assert preview.print_to(printer)
    assert len(PdfReader(printed).pages) == preview.report.page_count >= 5
    pack_text = " ".join(" ".join(PdfReader(io.BytesIO(preview.report.data)).pages[p].extract_text().split())
                         for p in range(preview.report.page_count))
    assert "Confidentiality Statement" in pack_text and "Safeguarding visit" in pack_text
    events = [r["action"] for r in chair.db.query("SELECT action FROM audit_events WHERE action LIKE 'report.%'")]
    assert events == ["report.generated", "report.previewed", "report.printed"]
    preview.close()

    # Every input the chair used has an accessible name.
    for form in (area.attendee_form, area.case_form, area.action_form, area.permission_form, area.update_form):
        for key, field in form.inputs.items():
            target = field.edit if hasattr(field, "edit") else field
            assert target.accessibleName(), key


def test_open_actions_from_earlier_meetings_and_a_draft_over_a_lock(qtbot, chair):
    first = mt.create_meeting(chair, {"held_at": local(-24 * 20), "place": "Room 1", "chair": "Amy"})
    old = mt.add_action(chair, first.id, {"category": "pursue", "text": "Check vehicles", "owner_agency": "DCON",
                                          "due_date": "2026-01-05"})
    mt.add_action(chair, first.id, {"category": "prepare", "text": "Brief staff", "owner_agency": "DHCFT",
                                    "due_date": "2026-01-06"})
    second = mt.create_meeting(chair, {"held_at": local(-1), "place": "Room 2", "chair": "Amy"})
    area = make_area(qtbot, chair)
    settle(qtbot)
    assert [m.reference for m in area.summaries] == [second.reference, first.reference]
    area.table.selectRow(0)
    assert area.current.id == second.id
    assert area.earlier_table.rowCount() == 2
    assert [area.earlier_table.item(r, 0).text() for r in range(2)] == ["Pursue", "Prepare"]
    assert "Pursue 1, Prevent 0, Protect 0, Prepare 1" in area.earlier_note.text()
    assert "(overdue)" in area.earlier_table.item(0, 4).text()
    area.earlier_table.selectRow(0)
    choose(area.update_form.inputs["status"], "cancelled")
    area.update_form.inputs["note"].set_value("Overtaken by the arrest")
    click(qtbot, area.update_form.button)
    assert mt.get_action(chair, old.id).status == "cancelled"
    assert area.earlier_table.rowCount() == 1

    # Typed input is kept over a lock and comes back on the same meeting.
    area.case_form.inputs["title"].set_value("Half-typed case")
    state = area.draft_state()
    assert state == {"meeting": second.id, "forms": {"case_form": {"title": "Half-typed case"}}}
    again = make_area(qtbot, chair)
    again.restore_draft_state(state)
    assert again.current.id == second.id and again.case_form.value("title") == "Half-typed case"


def test_the_dpm_reads_and_the_admin_does_not_see_meetings(qtbot, chair, tmp_path):
    meeting = mt.create_meeting(chair, {"held_at": local(-1), "place": "Room", "chair": "Amy"})
    dpm = reopen_as(chair, "dora", "dpm")
    try:
        area = make_area(qtbot, dpm)
        assert not area.new_button.isVisible()
        area.select(meeting.id)
        assert area.page.isVisible() and not area.attendee_form.isVisible() and not area.update_form.isVisible()
        assert FakeSession(dpm).can(MeetingsArea.permission)
    finally:
        dpm.close()
    from app.vault import Vault
    from conftest import PASSPHRASE

    admin = Vault.open(tmp_path / "dcon.vault", user="alice", passphrase=PASSPHRASE)
    try:
        assert not FakeSession(admin).can(MeetingsArea.permission)
    finally:
        admin.close()


def test_the_meetings_sort_in_the_database_over_every_page(qtbot, chair):
    made = [mt.create_meeting(chair, {"held_at": local(-24 * n), "place": f"Room {n}", "chair": "Amy"})
            for n in (3, 1, 5, 2, 4)]  # entered out of date order
    area = make_area(qtbot, chair)
    area.model.page_size = area.model.max_page_size = 2
    area.model.canFetchMore = lambda *_a: False  # one page of two only, unless asked for more
    area.refresh()
    settle(qtbot)
    latest_first = sorted(made, key=lambda m: m.held_at, reverse=True)
    assert [m.reference for m in area.summaries] == [m.reference for m in latest_first[:2]]
    area.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)  # the header: earliest first
    settle(qtbot)
    earliest = sorted(made, key=lambda m: m.held_at)
    assert [m.reference for m in area.summaries] == [m.reference for m in earliest[:2]]  # of all five
    assert area.model.headerData(1, Qt.Orientation.Horizontal).endswith("▲")
    assert area.list_note.text().startswith("Earliest first.")
    area.model.fetchMore()
    settle(qtbot)
    area.model.fetchMore()
    settle(qtbot)
    assert [m.reference for m in area.summaries] == [m.reference for m in earliest]
