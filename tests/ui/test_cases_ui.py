"""The Cases and Subjects areas and the relationship map, driven through their real widgets: a
SPOC opens a case from a Crimestoppers report, moves it on, links a request, records an NRM
referral and its decision, opens the map (laid out off the GUI thread), walks it with the
keyboard to a subject's page, and records a link on that page. Error summaries name the fields."""

from __future__ import annotations

import os

import pytest

from app import cases as cs, requests as rq
from desk_helpers import make_desk, request_data
from fake_session import FakeSession
from test_case_reports import story
from ui.cases.area import CasesArea
from ui.home.area import HomeArea
from ui.qt import Qt
from ui.subjects.area import SubjectsArea

LOOK = os.environ.get("SPOCDESK_LOOK_DIR")


@pytest.fixture
def spoc(tmp_path):
    vault = make_desk(tmp_path / "dcon.vault", role="spoc")
    yield vault
    if vault.is_open:
        vault.close()


def shown(qtbot, area_class, vault, size=(1300, 950)):
    area = area_class(FakeSession(vault))
    qtbot.addWidget(area)
    area.resize(*size)
    area.show()
    area.refresh()
    return area


def grab(widget, name: str) -> None:
    if LOOK:
        widget.grab().save(os.path.join(LOOK, f"{name}.png"))


def click(qtbot, button) -> None:
    qtbot.wait(1)
    assert button.isVisible() and button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def choose(combo, data) -> None:
    index = combo.findData(data)
    assert index >= 0, data
    combo.setCurrentIndex(index)


def test_a_spoc_runs_a_case_from_a_crimestoppers_report(qtbot, spoc):
    request = rq.create_request(spoc, request_data())
    area = shown(qtbot, CasesArea, spoc)
    dialog = area.open_new_dialog()
    qtbot.addWidget(dialog)
    click(qtbot, dialog.form.button)
    assert dialog.form.summary.messages() == ["Choose where the information came from"]
    assert dialog.form.rows["source"].error.text() == "Choose where the information came from"
    assert spoc.db.scalar("SELECT count(*) FROM cases") == 0
    choose(dialog.form.inputs["source"], "public-community")
    qtbot.keyClicks(dialog.form.inputs["source_detail"], "Crimestoppers report")
    dialog.form.inputs["exploitation_types"].boxes["forced-labour"].setChecked(True)
    click(qtbot, dialog.form.button)
    case = area.current
    assert case is not None and case.title == "Forced labour" and area.table.rowCount() == 1

    # Move it on: why is required, each move goes in the history.
    choose(area.stage_form.inputs["stage"], "assessment")
    click(qtbot, area.stage_form.button)
    assert area.stage_form.summary.messages() == ["Enter why the case moves to this stage"]
    area.stage_form.inputs["reason"].setPlainText("Triaged")
    click(qtbot, area.stage_form.button)
    assert area.current.stage == "assessment" and area.history.rowCount() == 2

    # Link a request; the referral form offers its people; the NRM rule speaks in words.
    area.tabs.setCurrentIndex(1)
    qtbot.keyClicks(area.request_form.inputs["request"], request.reference)
    click(qtbot, area.request_form.button)
    assert [r.reference for r in area.current.requests] == [request.reference]
    area.tabs.setCurrentIndex(2)
    form = area.referral_form
    choose(form.inputs["kind"], "nrm")
    people = form.inputs["subject_id"]
    assert people.findText("Nguyễn Văn An") >= 0
    people.setCurrentIndex(people.findText("Nguyễn Văn An"))
    form.inputs["referred_on"].setText("5/3/2026")
    qtbot.keyClicks(form.inputs["first_responder"], "Derbyshire Constabulary")
    choose(form.inputs["consent"], "not-given")
    click(qtbot, form.button)
    assert "record the duty to notify (MS1) instead" in form.summary.messages()[0]
    choose(form.inputs["consent"], "given")
    click(qtbot, form.button)
    assert area.referrals.rowCount() == 1 and "Reasonable grounds decision awaited" in area.outstanding.text()
    area.referrals.selectRow(0)
    choose(area.outcome_form.inputs["rg_decision"], "positive")
    area.outcome_form.inputs["rg_on"].setText("10/3/2026")
    click(qtbot, area.outcome_form.button)
    assert area.current.referrals[0].rg_decision == "positive"
    assert "Conclusive grounds decision awaited" in area.outstanding.text()
    grab(area, "cases-referrals")

    # Filters and a database-side sort.
    choose(area.stage_filter, "review")
    assert area.table.rowCount() == 0
    choose(area.stage_filter, "")
    area.sort_by(0)
    assert area.sort == "reference" and not area.descending


def test_the_map_lays_out_off_the_gui_thread_and_the_keyboard_opens_a_subject(qtbot, spoc):
    case, _meeting, first = story(spoc)
    area = shown(qtbot, CasesArea, spoc)
    area.select(case.id)
    with qtbot.waitSignal(area.map.laid_out, timeout=10_000):
        area.tabs.setCurrentIndex(area.tabs.count() - 1)
    view = area.map.view
    assert len(view.nodes) == 8 and area.map.link_count() == 4
    assert all(item.text is not None for item in view.nodes.values())  # labelled
    grab(area, "cases-map")
    # Filters hide links without moving anything.
    before = {k: (v.pos().x(), v.pos().y()) for k, v in view.nodes.items()}
    area.map.kind_actions["runs"].setChecked(False)
    assert area.map.link_count() == 3
    assert {k: (v.pos().x(), v.pos().y()) for k, v in view.nodes.items()} == before
    area.map.kind_actions["runs"].setChecked(True)
    choose(area.map.source, "DWP")
    assert area.map.link_count() == 3
    choose(area.map.source, "")
    # Keyboard: the first node, then the arrows move between nodes; Enter asks for the subject's page.
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    first_node = view.current
    assert first_node is not None
    for key in (Qt.Key.Key_Right, Qt.Key.Key_Down, Qt.Key.Key_Left, Qt.Key.Key_Up):
        qtbot.keyClick(view, key)
    target = next(i for i in view.nodes if not i.startswith("vehicle:"))
    view.choose(target)
    with qtbot.waitSignal(area.open_subject, timeout=2000) as opened:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert opened.args == [target]
    # The same map opens the same way.
    again = shown(qtbot, CasesArea, spoc)
    again.select(case.id)
    with qtbot.waitSignal(again.map.laid_out, timeout=10_000):
        again.tabs.setCurrentIndex(again.tabs.count() - 1)
    assert {k: (v.pos().x(), v.pos().y()) for k, v in again.map.view.nodes.items()} == before


def test_the_subjects_list_searches_across_scripts_and_a_page_records_a_link(qtbot, spoc):
    case, _meeting, first = story(spoc)
    area = shown(qtbot, SubjectsArea, spoc)
    assert area.table.rowCount() == 7
    qtbot.keyClicks(area.search, "nguyen")
    qtbot.keyClick(area.search, Qt.Key.Key_Return)
    assert area.table.rowCount() == 2  # Nguyễn Văn An on both requests
    an = first.subjects[1].id
    area.table.selectRow(next(r for r in range(2) if area.table.item(r, 0).data(Qt.ItemDataRole.UserRole) == an))
    assert area.current is not None and "Nguyễn" in area.heading.text()
    assert case.reference in area.appears.text()
    grab(area, "subject-page")
    form = area.link_form
    click(qtbot, form.button)
    assert "Choose how the two are linked" in form.summary.messages()
    assert form.rows["kind"].error.text() == "Choose how the two are linked"
    choose(form.inputs["kind"], "associate-of")
    target = form.inputs["to_subject"]
    target.setCurrentIndex(target.findText("Ion Popescu (person)"))
    choose(form.inputs["confidence"], "possible")
    source = form.inputs["source_id"]
    source.setCurrentIndex(next(i for i in range(source.count()) if source.itemText(i).startswith("Response from")))
    before = area.links.rowCount()
    click(qtbot, form.button)
    assert form.summary.messages() == [] and area.links.rowCount() == before + 1
    row = area.links.rowCount() - 1
    assert area.links.item(row, 6).text() == "Department for Work and Pensions"  # the partner is originator
    with qtbot.waitSignal(area.map.laid_out, timeout=10_000):
        area.tabs.setCurrentIndex(1)
    assert area.current.id in area.map.view.nodes


def test_home_shows_what_is_outstanding_on_cases(qtbot, spoc):
    case, *_ = story(spoc)
    session = FakeSession(spoc)
    session.user = type("User", (), {"name": "bob"})()
    session.role_title, session.agency_name = "Single Point of Contact", "Derbyshire Constabulary"
    home = HomeArea(session)
    qtbot.addWidget(home)
    home.resize(900, 700)
    home.show()
    home.refresh()
    card = next(c for c in home.shown_cards if c.title.startswith("Cases:"))
    assert any(case.reference in link.text and "Conclusive grounds decision awaited" in link.text
               for link in card.links)
    assert cs.count_cases(spoc, "open") == 1


def test_hostile_text_is_shown_as_plain_text(qtbot, spoc):
    hostile = "<b>bold</b> <img src=x> \u202eAna"
    case = cs.create_case(spoc, {"source": "agency-duties", "lead_agency": "DCON", "title": hostile,
                                 "internal_notes": hostile})
    area = shown(qtbot, CasesArea, spoc)
    area.select(case.id)
    assert hostile in area.heading.text() and area.heading.textFormat() == Qt.TextFormat.PlainText
    assert area.table.item(0, 1).text() == hostile


def test_drawing_a_large_map_leaves_none_with_its_references(qtbot):
    """PySide6 6.12 returns None from void methods without a reference (ui.qt); a map of hundreds
    of nodes makes tens of thousands of such calls, and None's reserve (ui.qt) outlasts them."""
    import sys

    import ui.qt
    from app import links as lk
    from ui.kit.relmap import RelationshipMap

    graph = lk.MapGraph("case", "CASE-2026-0001", "test")
    for n in range(300):
        graph.nodes[f"n{n:03d}"] = lk.Node(f"n{n:03d}", ("person", "location", "business")[n % 3], f"Node {n}")
    widget = RelationshipMap()
    qtbot.addWidget(widget)
    positions = {k: ((i % 20) / 10 - 1, (i // 20) / 8 - 1) for i, k in enumerate(sorted(graph.nodes))}
    before = sys.getrefcount(None)
    for _ in range(3):
        widget.draw(graph, positions)
    assert len(widget.view.nodes) == 300
    if ui.qt.BORROWED_NONE:
        assert before - sys.getrefcount(None) < ui.qt.IMMORTAL_RESERVE // 1000  # a tiny part of the reserve
    else:
        assert sys.getrefcount(None) >= before - 50


def test_edit_a_case_its_fields_and_stage_in_one_save(qtbot, spoc):
    case, *_ = story(spoc)
    area = shown(qtbot, CasesArea, spoc)
    area.select(case.id)
    click(qtbot, area.edit_button)
    dialog = area.dialog
    assert dialog.isVisible() and dialog.form.value("stage") == "tactical-meeting"
    assert dialog.form.value("lead_agency") == "DCON" and dialog.form.value("title") == case.title
    dialog.form.set_value("title", "<b>Joint visit</b> & farm")
    choose(dialog.form.inputs["stage"], "four-p-actions")
    click(qtbot, dialog.form.button)
    assert dialog.isVisible() and dialog.form.summary.messages() == ["Enter why the case moves to this stage"]
    assert cs.get_case(spoc, case.id, audit=False).title == case.title  # nothing saved
    dialog.form.set_value("reason", "Agreed at the tactical meeting")
    click(qtbot, dialog.form.button)
    assert not dialog.isVisible()
    saved = cs.get_case(spoc, case.id, audit=False)
    assert (saved.title, saved.stage) == ("<b>Joint visit</b> & farm", "four-p-actions")
    assert area.heading.text() == f"{case.reference}: <b>Joint visit</b> & farm"
    assert area.heading.textFormat() == Qt.TextFormat.PlainText
    assert area.history.item(area.history.rowCount() - 1, 3).text() == "Agreed at the tactical meeting"


def test_unlink_a_request_asks_first_and_cancel_changes_nothing(qtbot, spoc):
    case, _meeting, first = story(spoc)
    area = shown(qtbot, CasesArea, spoc)
    area.select(case.id)
    area.tabs.setCurrentIndex(1)
    area.requests.selectRow(0)
    reference = area.requests.item(0, 0).text()
    click(qtbot, area.unlink_button)
    box = area.dialog
    assert box.isVisible() and reference in box.text() and box.defaultButton() is box.cancel_button
    box.cancel_button.click()
    assert len(cs.get_case(spoc, case.id, audit=False).requests) == 2
    area.requests.selectRow(0)
    click(qtbot, area.unlink_button)
    area.dialog.accept_button.click()
    assert [r.reference for r in cs.get_case(spoc, case.id, audit=False).requests] != [] and \
        reference not in [r.reference for r in cs.get_case(spoc, case.id, audit=False).requests]
    assert area.requests.rowCount() == 1 and area.unlink_note.text().startswith(f"{reference} is no longer linked")
    assert spoc.db.one("SELECT 1 FROM audit_events WHERE action = 'case.request_unlinked'") is not None


def test_remove_a_link_between_subjects_says_why_first(qtbot, spoc):
    _case, _meeting, first = story(spoc)
    area = shown(qtbot, SubjectsArea, spoc)
    an = first.subjects[1].id
    area.show_subject(an)
    before = area.links.rowCount()
    assert before >= 2
    click(qtbot, area.remove_link_button)
    assert area.link_note.text() == "Choose the link to remove in the table above first."
    area.links.selectRow(0)
    click(qtbot, area.remove_link_button)
    dialog = area.dialog
    assert dialog.isVisible() and "Both subjects stay" in dialog.intro.text()
    dialog.accept_button.click()
    assert dialog.summary.messages() == ["Enter why the link is removed"] and area.links.rowCount() == before
    dialog.reason.setPlainText("<i>Recorded</i> against the wrong person")
    dialog.accept_button.click()
    assert not dialog.isVisible() and area.links.rowCount() == before - 1
    assert area.link_note.text() == "The link was removed."
    assert spoc.db.one("SELECT 1 FROM audit_events WHERE action = 'link.removed'") is not None
