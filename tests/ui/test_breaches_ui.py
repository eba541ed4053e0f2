"""The breach dialog (opened from two different screens) and the Data Protection Manager's desk."""

from __future__ import annotations

import datetime as dt

import pytest

from app import breaches as br
from app import requests as rq
from app import suspensions
from app.timeutil import LONDON
from desk_helpers import make_desk, reopen_as, request_data
from fake_session import FakeSession
from settle import settle
from ui.breaches.dialog import BreachDialog, open_breach_dialog
from ui.breaches.area import DpmArea
from ui.partners.area import PartnersArea
from ui.qt import Qt
from ui.requests.area import RequestsArea

UTC = dt.timezone.utc


def local(hours_ago: float) -> str:
    return (dt.datetime.now(UTC) - dt.timedelta(hours=hours_ago)).astimezone(LONDON).strftime("%d/%m/%Y %H:%M")


@pytest.fixture
def spoc(tmp_path):
    vault = make_desk(tmp_path / "dcon.vault", role="spoc")
    yield vault
    if vault.is_open:
        vault.close()


def fill(dialog: BreachDialog, **values) -> None:
    dialog.category.setCurrentIndex(dialog.category.findData(values.get("category", "device-loss")))
    dialog.aware_at.setText(values.get("aware_at", local(0.5)))
    dialog.facts.setPlainText(values.get("facts", "Laptop left on a train."))
    dialog.containment.setPlainText(values.get("containment", "Remote wipe requested."))


def test_dialog_from_the_requests_screen_says_what_is_missing_then_saves(qtbot, spoc):
    request = rq.create_request(spoc, request_data())
    session = FakeSession(spoc)
    area = RequestsArea(session)
    qtbot.addWidget(area)
    area.show()
    dialog = open_breach_dialog(area, session, linked={"request_ids": [request.id]})
    qtbot.addWidget(dialog)
    assert dialog.isVisible() and not dialog.isModal() and dialog.parent() is area
    assert dialog.draft_key == "breach_dialog"
    assert "request MSR-2026-0001" in dialog.linked_label.text()
    assert dialog.draft_state() is None  # nothing typed yet
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.summary.isVisible()
    assert dialog.summary.messages() == [
        "Choose the kind of breach",
        "Enter the date and time the agency became aware of the breach",
        "Enter the facts: what happened",
        "Enter at least one action taken to contain the breach or put it right",
    ]
    assert dialog.rows["facts"].error.text() == "Enter the facts: what happened"
    assert spoc.db.scalar("SELECT count(*) FROM breaches") == 0
    fill(dialog, aware_at="29/03/2026 01:30")
    dialog.submit()
    assert "does not exist in UK time" in dialog.summary.messages()[0]
    dialog.aware_at.setText(local(0.5))
    breach = dialog.submit()
    assert breach is not None and breach.request_ids == (request.id,)
    assert dialog.pages.currentIndex() == 1 and breach.reference in dialog.done_text.text()
    assert "Tell your Data Protection Manager now" in dialog.done_text.text()
    assert dialog.draft_state() is None


def test_dialog_shows_every_problem_at_once_including_unknown_requests(qtbot, spoc):
    session = FakeSession(spoc)
    area = RequestsArea(session)
    qtbot.addWidget(area)
    dialog = open_breach_dialog(area, session)
    qtbot.addWidget(dialog)
    dialog.request_refs.setText("MSR-2026-0099")
    dialog.people_count.setText("lots")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    messages = dialog.summary.messages()
    # the unknown reference is named in the same round as the empty fields, not after them
    assert "Choose the kind of breach" in messages and "Enter the facts: what happened" in messages
    assert any("There is no request MSR-2026-0099 in this vault" in m for m in messages)
    assert any("people" in m.lower() for m in messages if m not in ("Enter the facts: what happened",))
    assert spoc.db.scalar("SELECT count(*) FROM breaches") == 0


def test_dialog_from_the_partners_screen_keeps_a_draft_over_a_lock(qtbot, tmp_path):
    admin = make_desk(tmp_path / "dcc.vault", agency="DCC", role="admin")
    session = FakeSession(admin)
    area = PartnersArea(session)
    qtbot.addWidget(area)
    area.show()
    dialog = open_breach_dialog(area, session)
    qtbot.addWidget(dialog)
    assert dialog.parent() is area and dialog.agency.currentData() == "DCC"
    fill(dialog, facts="<b>not markup</b>\nline two", category="equipment-malfunction")
    dialog.people_count.setText("about six")
    state = dialog.draft_state()
    assert state["facts"] == "<b>not markup</b>\nline two" and state["category"] == "equipment-malfunction"
    dialog.close()
    again = BreachDialog(session, area)
    qtbot.addWidget(again)
    again.restore_draft_state(state)
    assert again.facts.value() == "<b>not markup</b>\nline two"
    assert again.category.currentData() == "equipment-malfunction"
    assert again.submit() is None
    assert again.summary.messages() == ["Enter the approximate number of people as a whole number, like 12"]
    again.people_count.setText("6")
    assert again.submit().category == "equipment-malfunction"
    admin.close()


@pytest.fixture
def dpm_desk(tmp_path):
    spoc = make_desk(tmp_path / "dcon.vault", role="spoc")
    request = rq.create_request(spoc, request_data())
    rq.send_to_agencies(spoc, request.id, ["HMRC"], due_date="2026-01-05")
    late = br.create_breach(spoc, {"reporter": "DC Lee", "agency": "DCON", "category": "device-loss",
                                   "aware_at": local(30), "facts": "Lost phone", "containment": "Wiped"})
    fresh = br.create_breach(spoc, {"reporter": "DC Lee", "agency": "DCON", "category": "security-incident",
                                    "aware_at": local(1), "facts": "Phishing", "remedial": "Passwords reset"})
    dpm = reopen_as(spoc, "dora", "dpm")
    yield dpm, late, fresh
    if dpm.is_open:
        dpm.close()


def make_area(qtbot, vault) -> DpmArea:
    area = DpmArea(FakeSession(vault))
    qtbot.addWidget(area)
    area.resize(1100, 800)
    area.show()
    area.refresh()
    settle(qtbot)
    return area


def test_desk_shows_overdue_first_in_words(qtbot, dpm_desk):
    dpm, late, fresh = dpm_desk
    area = make_area(qtbot, dpm)
    assert (area.key, area.title, area.permission) == ("breaches", "Breaches", "breaches.read")
    assert [area.model.index(r, 0).data() for r in range(area.model.rowCount())] == [late.reference, fresh.reference]
    assert area.model.index(0, 4).data().startswith("OVERDUE by 6 hours")
    assert "left (due" in area.model.index(1, 4).data()
    assert area.counts.text() == "2 open, 1 overdue"
    area.overdue_only.setChecked(True)
    settle(qtbot)
    assert area.model.rowCount() == 1
    area.overdue_only.setChecked(False)
    area.category_filter.setCurrentIndex(area.category_filter.findData("security-incident"))
    settle(qtbot)
    assert [area.model.index(r, 0).data() for r in range(area.model.rowCount())] == [fresh.reference]
    # The clocks in red and bold, and a header click sorting in the database.
    area.category_filter.setCurrentIndex(0)
    settle(qtbot)
    assert area.model.index(0, 4).data(Qt.ItemDataRole.ForegroundRole).name() == "#b10e1e"
    assert area.model.index(1, 4).data(Qt.ItemDataRole.ForegroundRole) is None
    assert area.order_note.text().startswith("Overdue clocks first")
    area.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    settle(qtbot)
    assert [area.model.index(r, 0).data() for r in range(2)] == sorted([late.reference, fresh.reference], reverse=True)
    assert area.order_note.text().startswith("Newest reference first")
    # Overdue responses (app.requests.overdue_dispatches).
    assert area.overdue_table.rowCount() == 1 and area.overdue_table.item(0, 0).text() == "MSR-2026-0001"


def test_desk_records_updates_and_suspends_with_confirmation(qtbot, dpm_desk):
    dpm, late, _fresh = dpm_desk
    area = make_area(qtbot, dpm)
    area.select(late.reference)
    assert area.current.id == late.id and "Nothing recorded yet" in area.timeline.text()
    assert area.form.kind.currentData() == "dpm-notified"
    area.form.submit()
    assert area.form.summary.messages() == ["Enter who was told"]
    area.form.inputs["who"].setText("Dora Jones, DPM")
    area.form.submit()
    assert "Data Protection Manager notified" in area.timeline.text() and "Dora Jones, DPM" in area.timeline.text()
    settle(qtbot)
    row = next(r for r in range(area.model.rowCount()) if area.model.index(r, 0).data() == late.reference)
    assert "hours late" in area.model.index(row, 4).data() and area.counts.text() == "2 open, 0 overdue"
    assert area.current.id == late.id  # still selected after the list re-sorted
    area.form.set_kind("ico-decision")
    area.form.inputs["notify"].setCurrentIndex(area.form.inputs["notify"].findData("no"))
    area.form.submit()
    assert area.form.summary.messages() == ["Enter the reason for the decision (it is needed either way)"]
    area.form.inputs["reason"].setPlainText("Encrypted device; unlikely to be a risk.")
    area.form.submit()
    assert "do not tell the ICO" in area.timeline.text()
    # Suspending says what will happen and to whom, without blocking; cancelling changes nothing.
    area.form.set_kind("suspension-decided")
    area.form.inputs["partner"].setCurrentIndex(area.form.inputs["partner"].findData("HMRC"))
    area.form.inputs["suspend"].setCurrentIndex(area.form.inputs["suspend"].findData("yes"))
    area.form.inputs["reason"].setPlainText("Serious breach under investigation")
    assert area.form.submit() is None
    box = area.form.question
    assert box.isVisible() and not suspensions.is_suspended(dpm, "HMRC")
    assert "HM Revenue & Customs" in box.text() and "13.2" in box.text()
    assert box.defaultButton() is box.cancel_button
    box.cancel_button.click()
    assert not box.isVisible() and not suspensions.is_suspended(dpm, "HMRC")
    assert area.form.inputs["reason"].toPlainText() == "Serious breach under investigation"   # kept
    area.form.submit()
    area.form.question.accept_button.click()
    assert suspensions.is_suspended(dpm, "HMRC")
    assert "HM Revenue & Customs: suspended since" in area.suspensions.text()
    before = [u.id for u in br.get_breach(dpm, late.id, audit=False).updates]
    area.form.set_kind("suspension-lifted")
    area.form.inputs["partner"].setCurrentIndex(area.form.inputs["partner"].findData("HMRC"))
    area.form.inputs["reason"].setPlainText("Investigation closed")
    area.form.submit()
    assert not suspensions.is_suspended(dpm, "HMRC")
    after = [u.id for u in br.get_breach(dpm, late.id, audit=False).updates]
    assert after[:len(before)] == before and len(after) == len(before) + 1


def test_log_button_opens_the_dialog_from_the_desk(qtbot, dpm_desk):
    dpm, _late, _fresh = dpm_desk
    area = make_area(qtbot, dpm)
    dialog = area.open_dialog()
    qtbot.addWidget(dialog)
    fill(dialog)
    breach = dialog.submit()
    assert [u.kind for u in breach.updates] == ["dpm-notified"]
    settle(qtbot)
    assert area.model.rowCount() == 3


def test_scrubbing_the_desk_at_lock_raises_nothing(qtbot, dpm_desk):
    """Locking empties every input; the update form must take an empty kind list quietly
    (pytest-qt fails the test if a slot raises)."""
    area = make_area(qtbot, dpm_desk[0])
    area.form.kind.clear()
    assert not any(row.isVisible() for row in area.form.rows.values())
