"""Complaints on screen (10.1): the Breach menu offers a breach and a complaint; the complaint dialog
names what is missing and saves; the DPM's Complaints tab shows the clock in words, records the
outcome and the reply, and keeps hostile text plain."""

from __future__ import annotations

import datetime as dt

import pytest

from app import complaints as cp
from app.timeutil import LONDON
from desk_helpers import make_desk, reopen_as
from fake_session import FakeSession
from settle import settle
from ui.breaches.area import DpmArea
from ui.breaches.complaint_dialog import open_complaint_dialog
from ui.qt import Qt, QtWidgets

UTC = dt.timezone.utc
HOSTILE = "<b>bold</b> & <a href='x'>link</a> \u202eRTL"


def local(hours_ago: float) -> str:
    return (dt.datetime.now(UTC) - dt.timedelta(hours=hours_ago)).astimezone(LONDON).strftime("%d/%m/%Y %H:%M")


@pytest.fixture
def spoc(tmp_path):
    vault = make_desk(tmp_path / "dcon.vault", role="spoc")
    yield vault
    if vault.is_open:
        vault.close()


def test_the_dialog_names_what_is_missing_then_saves_and_keeps_a_draft(qtbot, spoc):
    session = FakeSession(spoc)
    parent = QtWidgets.QWidget()
    qtbot.addWidget(parent)
    dialog = open_complaint_dialog(parent, session)
    qtbot.addWidget(dialog)
    assert dialog.isVisible() and not dialog.isModal() and dialog.draft_state() is None
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.summary.messages() == [
        "Choose who made the complaint: a data subject, a partner or a member of staff",
        "Enter who made the complaint (a name, or 'anonymous')",
        "Enter what the complaint is about",
        "Enter the date and time the complaint was received",
        "Choose how the complaint was received",
    ]
    assert spoc.db.scalar("SELECT count(*) FROM complaints") == 0
    dialog.complainant_kind.setCurrentIndex(dialog.complainant_kind.findData("partner"))
    dialog.complainant.setText(HOSTILE)
    dialog.about.setPlainText(HOSTILE)
    dialog.received_at.setText("29/03/2026 01:30")  # the hour skipped in spring
    dialog.received_how.setCurrentIndex(dialog.received_how.findData("email"))
    dialog.submit()
    messages = dialog.summary.messages()
    assert any("does not exist in UK time" in m for m in messages)
    assert "Choose the partner agency that complained" in messages
    draft = dialog.draft_state()
    assert draft["about"] == HOSTILE
    again = open_complaint_dialog(parent, session)
    qtbot.addWidget(again)
    again.restore_draft_state(draft)
    assert again.about.value() == HOSTILE and again.complainant_kind.currentData() == "partner"
    again.complainant_agency.setCurrentIndex(again.complainant_agency.findData("HMRC"))
    again.received_at.setText(local(30))
    complaint = again.submit()
    assert complaint is not None and complaint.complainant == HOSTILE
    assert again.pages.currentIndex() == 1 and complaint.reference in again.done_text.text()
    assert "OVERDUE by 6 hours" in again.done_text.text()
    assert again.done_text.textFormat() == Qt.TextFormat.PlainText
    # the focus on what happened, as after logging a breach (a screen reader reads it), not on Close
    assert again.focusWidget() is again.done_title and complaint.reference in again.done_title.text()


def test_the_dpm_tab_shows_the_clock_and_records_outcome_and_reply(qtbot, spoc):
    cp.create_complaint(spoc, {"complainant_kind": "data-subject", "complainant": HOSTILE, "agency": "DCON",
                               "about": HOSTILE, "received_at": local(30), "received_how": "letter"})
    cp.create_complaint(spoc, {"complainant_kind": "staff", "complainant": "PC Jo Bloggs", "agency": "DCON",
                               "about": "A colleague read a file", "received_at": local(1),
                               "received_how": "in-person"})
    dpm = reopen_as(spoc, "dora", "dpm")
    area = DpmArea(FakeSession(dpm))
    qtbot.addWidget(area)
    area.resize(1200, 900)
    area.show()
    area.refresh()
    settle(qtbot)
    page = area.complaints
    assert area.tabs.tabText(area.tabs.indexOf(page)) == "&Complaints (2 open)"
    assert page.counts.text() == "2 open, 1 overdue"
    first = page.table.item(0, 3).text()
    assert page.table.item(0, 0).text() == "CP-2026-0001" and first.startswith("OVERDUE by 6 hours")
    page.select("CP-2026-0001")
    assert page.current.reference == "CP-2026-0001"
    assert HOSTILE in page.facts.text() and page.facts.textFormat() == Qt.TextFormat.PlainText
    assert page.kind.currentData() == "dpm-notified"
    page.submit()
    assert "Enter who was told" in page.form.summary.messages()
    page.form.set_value("who", "Dora")
    assert page.submit() is not None
    page.form.set_value("kind", "outcome")
    page.form.set_value("outcome", "referred-partner")
    page.form.set_value("reason", HOSTILE)
    page.submit()
    assert page.form.summary.messages() == ["Choose the partner the complaint is referred to"]
    page.form.set_value("partner", "HMRC")
    page.submit()
    page.form.set_value("kind", "replied")
    page.form.set_value("how", "Letter")
    saved = page.submit()
    assert saved.state.status == "answered"
    assert "Referred to the partner concerned (HM Revenue" in page.clock_text.text()
    assert "late" in page.clock_text.text()
    assert page.counts.text() == "1 open, 0 overdue"
    dpm.close()


def test_the_breach_menu_offers_a_breach_and_a_complaint(qtbot, closed_vault, make_shell, unlock_with):
    from app.users import add_user
    from app.vault import Vault
    from conftest import OTHER_PASSPHRASE, PASSPHRASE
    from ui.breaches.complaint_dialog import ComplaintDialog
    from ui.shell.shell import default_areas

    with Vault.open(closed_vault, user="alice", passphrase=PASSPHRASE) as vault:
        add_user(vault, "sam", "spoc", OTHER_PASSPHRASE)
    shell = make_shell(default_areas())
    shell.start(closed_vault)
    main = unlock_with(shell, user="sam", passphrase=OTHER_PASSPHRASE)
    menu = next(a.menu() for a in main.menuBar().actions() if a.text() == "&Breach")
    texts = [a.text() for a in menu.actions()]
    assert texts == ["&Report a breach…", "Record a &complaint…"]
    main.show_area("requests")
    qtbot.keyClick(main, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dialogs = [w for w in main.findChildren(ComplaintDialog) if w.isVisible()]
    assert len(dialogs) == 1
    dialogs[0].about.setPlainText("A canary complaint")
    shell.lock("idle")
    main = unlock_with(shell, user="sam", passphrase=OTHER_PASSPHRASE)
    reopened = [w for w in main.findChildren(ComplaintDialog) if w.isVisible()]
    assert len(reopened) == 1 and reopened[0].about.value() == "A canary complaint"


def test_a_complaint_recorded_from_an_open_request_is_linked_to_it(qtbot, spoc):
    from app import requests as rq
    from desk_helpers import request_data
    from ui.requests.area import RequestsArea

    request = rq.create_request(spoc, request_data())
    session = FakeSession(spoc)
    area = RequestsArea(session)
    qtbot.addWidget(area)
    area.show()
    area.open_request(request.id)
    dialog = open_complaint_dialog(area, session, linked=area.breach_context())
    qtbot.addWidget(dialog)
    assert f"request {request.reference}" in dialog.linked_label.text()
    dialog.complainant_kind.setCurrentIndex(dialog.complainant_kind.findData("data-subject"))
    dialog.complainant.setText("A. Person")
    dialog.about.setPlainText("Why was I checked?")
    dialog.received_at.setText(local(1))
    dialog.received_how.setCurrentIndex(dialog.received_how.findData("telephone"))
    complaint = dialog.submit()
    assert complaint.request_ids == (request.id,) and len(complaint.subject_ids) == len(request.subjects)
