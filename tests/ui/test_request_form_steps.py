"""The request form as steps (issue 17): its sections as a list with progress, "Check your
answers" before saving, the declaration in plain words with the full wording behind a link, and
one box per agency with a team list set to the usual team."""

from __future__ import annotations

import pytest

from app.agreement import load_agreement
from app.requests import get_request
from desk_helpers import make_desk
from ui.qt import QtCore, Qt, QtWidgets
from ui.requests.area import RequestsArea
from fake_session import FakeSession
from test_requests_ui import fill_form


@pytest.fixture
def desk(tmp_path):
    vault = make_desk(tmp_path / "police.vault", "DCON", "spoc")
    yield vault
    QtCore.QThreadPool.globalInstance().waitForDone(30_000)
    vault.close()


@pytest.fixture
def form(qtbot, desk):
    area = RequestsArea(FakeSession(desk))
    qtbot.addWidget(area)
    area.resize(1200, 800)
    area.show()
    form = area.open_form()
    form.area = area
    return form


def section_rows(form):
    return [form.sections.item(i).text() for i in range(form.sections.count())]


def test_sections_list_shows_progress_as_the_form_is_filled(qtbot, form):
    rows = section_rows(form)
    assert rows[-1] == "→ Check your answers" and len(rows) == 10
    assert "○ Subjects" in rows and "✓ Request date" in rows   # today's date is filled in
    assert form.progress.text() == "2 of 9 sections complete for sending"  # date, partnership question
    fill_form(qtbot, form)
    qtbot.waitUntil(lambda: form.progress.text() == "9 of 9 sections complete for sending", timeout=3000)
    assert all(row.startswith(("✓", "→")) for row in section_rows(form))
    # an untick brings its section back to "to do", with the reason as its tooltip
    form.declaration.check("prejudice", False)
    qtbot.waitUntil(lambda: "○ Declaration" in section_rows(form), timeout=3000)
    item = form.sections.item(section_rows(form).index("○ Declaration"))
    assert "Confirm every statement" in item.toolTip()


def test_choosing_a_section_scrolls_to_it_and_focuses_its_first_field(qtbot, form):
    form.window().activateWindow()
    item = form.sections.item(section_rows(form).index("○ Information check request"))
    form.sections.itemActivated.emit(item)
    qtbot.waitUntil(lambda: form.information_date.hasFocus() or form.information_date.isAncestorOf(
        QtWidgets.QApplication.focusWidget()), timeout=2000)
    assert form.scroll.verticalScrollBar().value() > 0


def test_continue_shows_check_your_answers_then_saves(qtbot, form, desk):
    fill_form(qtbot, form)
    form.agencies.check("NCA", False)
    qtbot.mouseClick(form.continue_button, Qt.MouseButton.LeftButton)
    page = form.check_page
    assert form.pages.currentWidget() is page and page.still_needed is None
    answers = dict(page.answers)
    assert answers["Subjects"][0][0] == "1 subject"
    assert "Ion Popescu (Suspected perpetrator, born 12/04/1988)" in answers["Subjects"][0][1]
    assert answers["Agencies"][0][1] == ("• Derby City Council – Community Safety & Integration Service\n"
                                         "• HM Revenue & Customs")
    assert answers["Declaration"][0][1] == "3 of 3 statements confirmed"
    shown = [label.text() for label in page.findChildren(QtWidgets.QLabel)]
    assert "DS Jane Smith" in shown and all(
        label.textFormat() == Qt.TextFormat.PlainText for label in page.findChildren(QtWidgets.QLabel))
    # Change goes back to that section; nothing was saved yet
    qtbot.mouseClick(page.change_links["Agencies"], Qt.MouseButton.LeftButton)
    assert form.pages.currentWidget() is form.scroll
    assert desk.db.scalar("SELECT count(*) FROM requests") == 0
    qtbot.mouseClick(form.continue_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    request = get_request(desk, form.area.view.request.id)
    assert sorted(d.target for d in request.dispatches) == ["DCC/CSIS", "HMRC"]


def test_check_your_answers_says_what_still_stops_sending(qtbot, form):
    fill_form(qtbot, form)
    form.declaration.check("legal-basis", False)
    form.purposes.check("identify-victims", False)
    assert form.show_check()
    still = [label.text() for label in form.check_page.still_needed.findChildren(QtWidgets.QLabel)]
    assert still[0] == "You can save this draft now. Before it can be sent:"
    assert "• Choose at least one purpose of sharing (4.3)" in still
    assert "• Confirm every statement of the declaration before sending" in still
    assert form.check_page.answers["Declaration"][0][1] == "2 of 3 statements confirmed (all are needed before sending)"


def test_declaration_in_plain_words_with_the_full_wording_behind_a_link(qtbot, form):
    declaration = load_agreement().declaration
    texts = [form.declaration.checks[c.id].box.text() if hasattr(form.declaration.checks[c.id], "box") else ""
             for c in declaration.confirmations]
    assert all(c.plain for c in declaration.confirmations)
    shown = " ".join(label.text() for label in form.declaration.findChildren(QtWidgets.QLabel)) + " ".join(texts)
    assert "We will use this information only for this enquiry" in shown
    assert "Data Protection Act 1998" not in shown
    assert not form.full_wording.isVisibleTo(form)
    form.wording_button.click()
    assert form.full_wording.isVisibleTo(form) and form.wording_button.text() == "▾ Read the full wording"
    full = form.full_wording.text()
    assert "permitted under S 29(3) [now Data Protection Act 2018, Schedule 2, Part 1, paragraph 2" in full
    assert "S 35(1) [now Data Protection Act 2018, Schedule 2, Part 1, paragraph 5" in full
    assert "Under the Data Protection Act 1998 [now the Data Protection Act 2018 and the UK GDPR]" in full


def test_one_box_per_agency_with_its_usual_team(qtbot, form, desk):
    chooser = form.agencies
    assert set(chooser.boxes) == {p.code for p in load_agreement().partners if p.code != "DCON"}
    dcc = chooser.teams["DCC"]
    assert dcc.currentData() == "CSIS" and "usual team" in dcc.currentText() and not dcc.isEnabled()
    chooser.boxes["DCC"].click()
    assert dcc.isEnabled() and chooser.values() == ["DCC/CSIS"]
    dcc.setCurrentIndex(dcc.findData("LICENSING"))
    chooser.boxes["HMRC"].click()
    assert chooser.values() == ["DCC/LICENSING", "HMRC"]
    assert "HMRC" not in chooser.teams   # an agency without teams has no list


def test_a_narrow_window_hides_the_sections_list_and_never_scrolls_sideways(qtbot, form):
    """At 150 % on a laptop the form has about 650 px: the sections list gives way so the fields
    fit (Check your answers still lists every section); with room it comes back."""
    content = form.scroll.widget()
    for width in (900, 720):
        form.area.resize(width, 700)
        qtbot.waitUntil(lambda: form.sections_panel.isHidden(), timeout=2000)
        qtbot.waitUntil(lambda: content.minimumSizeHint().width() <= form.scroll.viewport().width(), timeout=2000)
        qtbot.waitUntil(lambda: not form.scroll.horizontalScrollBar().isVisible(), timeout=2000)
    form.area.resize(1300, 700)
    qtbot.waitUntil(lambda: not form.sections_panel.isHidden(), timeout=2000)


def test_the_subjects_table_headings_show_whole_before_any_subject_is_added(form):
    header = form.subjects.table.horizontalHeader()
    assert form.subjects.table.rowCount() == 0
    for column in range(header.count()):   # "Role on this request" was cut to "ole on this reque"
        assert header.sectionSize(column) >= header.sectionSizeHint(column), column
