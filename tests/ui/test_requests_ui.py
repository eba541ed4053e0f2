"""Requests (issue 4) through the real widgets: fill and save the Appendix 2 form, validation
with an error summary, send to three agencies, the collation side by side, a suspended partner,
hostile strings, search by alias, a draft kept over a lock, and the lazy list over 450 requests."""

from __future__ import annotations

import pytest

from app.requests import add_agencies, count_requests, create_request, get_request
from app.responses import receive_response
from app.suspensions import suspend
from conftest import OTHER_PASSPHRASE
from desk_helpers import make_desk, reopen_as, request_data, response_data
from ui.qt import QtCore, QtWidgets, Qt
from ui.requests.form import RequestForm
from ui.requests.area import ID_ROLE, RequestsArea
from fake_session import FakeSession

HOSTILE_NAME = "Ana\u202eMaria 'O\"Brien' <b>x 😀"
HOSTILE_TEXT = "<b>x</b> '; DROP TABLE requests;-- \"quoted\" \u202e reversed 😀 " + "y" * 10_000


@pytest.fixture
def desk(tmp_path):
    vault = make_desk(tmp_path / "police.vault", "DCON", "spoc")
    yield vault
    QtCore.QThreadPool.globalInstance().waitForDone(30_000)   # no worker left on the connection
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


def fill_form(qtbot, form: RequestForm, *, name="DS Jane Smith", information="Workers collected at 5am.",
              subject_name="Ion Popescu", alias="Johnny P"):
    form.request_date.setText("02/03/2026")
    form.requester_name.setText(name)
    form.requester_rank.setText("Detective Sergeant")
    form.requester_number.setText("1234")
    form.requester_team.setText("Op Wilberforce")
    form.requester_contact.setPlainText("operationwilberforce@derbyshire.pnn.police.uk")
    form.reasons.check("crime")
    form.information_date.setText("01/03/2026")
    form.information.setPlainText(information)
    form.check_request.setPlainText("Please check your records.")
    qtbot.mouseClick(form.subjects.add_person, Qt.MouseButton.LeftButton)
    form.subjects.name.setText(subject_name)
    form.subjects.aliases.setPlainText(alias)
    form.subjects.date_of_birth.setText("12/04/1988")
    form.subjects.identifiers.setPlainText("passport: RO123")
    form.subjects.role.setCurrentIndex(form.subjects.role.findData("suspected-perpetrator"))
    qtbot.mouseClick(form.subjects.keep_button, Qt.MouseButton.LeftButton)
    for target in ("HMRC", "NCA", "DCC/CSIS"):
        form.agencies.check(target)
    form.exploitation_types.check("forced-labour")
    form.purposes.check("identify-victims")
    form.info_types.check("identity-and-associates")
    for code in ("use-limited", "prejudice", "legal-basis"):
        form.declaration.check(code)


def check_and_save(qtbot, form: RequestForm) -> None:
    """Continue to "Check your answers", then save from there (the form's last step)."""
    qtbot.mouseClick(form.continue_button, Qt.MouseButton.LeftButton)
    assert form.pages.currentWidget() is form.check_page, form.summary.messages()
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)


def test_fill_the_form_and_save_then_the_view_shows_it(qtbot, area, desk):
    form = area.open_form()
    fill_form(qtbot, form)
    check_and_save(qtbot, form)
    assert area.stack.currentWidget() is area.view
    request = get_request(desk, area.view.request.id)
    assert request.reference.startswith("MSR-2026-")
    assert request.request_date == "2026-03-02" and request.information_date == "2026-03-01"
    assert request.requester_name == "DS Jane Smith" and request.reasons == ("crime",)
    assert [(s.name, s.role, s.aliases, s.date_of_birth) for s in request.subjects] == [
        ("Ion Popescu", "suspected-perpetrator", ("Johnny P",), "1988-04-12")]
    assert request.subjects[0].identifiers == ({"type": "passport", "value": "RO123"},)
    assert sorted(d.target for d in request.dispatches) == ["DCC/CSIS", "HMRC", "NCA"]
    assert request.declaration_complete and request.declared_by == "bob"
    assert area.view.title.text() == f"Request {request.reference}"
    assert area.view.table.rowCount() == 3
    area.view.copy_reference()
    assert area.session.copied == [request.reference]


def test_missing_fields_show_the_error_summary_and_nothing_is_saved(qtbot, area, desk):
    form = area.open_form()
    form.request_date.setText("31/02/2026")
    qtbot.mouseClick(form.continue_button, Qt.MouseButton.LeftButton)
    assert form.pages.currentWidget() is form.scroll  # the problems stay on the form
    messages = form.summary.messages()
    assert form.summary.isVisible()
    assert "Enter the name of the person making the request" in messages
    assert "Enter the date the information was received" in messages
    assert "Choose the reason for the request" in messages
    assert any("real date" in m for m in messages)
    assert form.rows["requester_name"].error.text() == "Enter the name of the person making the request"
    assert form.rows["information_date"].error.isVisible()
    assert count_requests(desk) == 0
    assert area.stack.currentWidget() is form
    # the summary's link moves focus to the field
    link = next(b for b in form.summary.findChildren(QtWidgets.QPushButton)
                if b.text() == "Enter the name of the person making the request")
    form.window().activateWindow()
    link.click()
    qtbot.waitUntil(lambda: form.requester_name.hasFocus() or QtWidgets.QApplication.focusWidget() is None,
                    timeout=2000)


def test_subject_panel_validates_with_the_core(qtbot, area):
    form = area.open_form()
    qtbot.mouseClick(form.subjects.add_person, Qt.MouseButton.LeftButton)
    form.subjects.date_of_birth.setText("not a date")
    qtbot.mouseClick(form.subjects.keep_button, Qt.MouseButton.LeftButton)
    assert form.subjects.name_row.error.text() == "Enter the person's name"
    assert "real date" in form.subjects.dob_row.error.text()
    assert form.subjects.entries == []


def _saved_request(vault, **overrides):
    request = create_request(vault, request_data(**overrides))
    add_agencies(vault, request.id, ["HMRC", "NCA", "DCC/CSIS"])
    return get_request(vault, request.id)


def trust_partner_desks(vault, tmp_path, *agencies):
    """`vault` trusts a new desk of each agency, as after the telephone checks (9.5)."""
    from app.exchange import desks

    for agency in agencies:
        partner = make_desk(tmp_path / f"{agency.lower()}.vault", agency=agency)
        try:
            card = desks.desk_card(partner)
        finally:
            partner.close()
        desks.trust_partner(vault, card, fingerprint=desks.fingerprint(card), checked_by="DS Jane Smith",
                            via="01773 420100")


def test_send_to_three_agencies_after_confirming(qtbot, area, desk, tmp_path):
    request = _saved_request(desk)
    assert area.open_request(request.id)
    view = area.view
    assert view.send_button.isEnabled() and view.edit_button.isEnabled()
    dialog = view.confirm_send()
    assert dialog is not None
    # "&" in an agency's name is shown as a literal ampersand, not turned into a shortcut.
    assert all("&" not in box.text().replace("&&", "") for box in dialog.checks.values())
    listed = sorted(box.text().replace("&&", "&") for box in dialog.checks.values())
    assert listed == sorted([
        "Derby City Council – Community Safety & Integration Service — by Criminal Justice Secure Messaging "
        "Service (CJSM)",
        "HM Revenue & Customs — by Government Connect (GC)",
        "National Crime Agency — by Criminal Justice Secure Messaging Service (CJSM)"])
    assert dialog.send_button.text() == "Send to 3 agencies"
    trust_partner_desks(desk, tmp_path, "DCC", "HMRC", "NCA")
    qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    packages_dialog = view.dialog           # next: one sealed package per desk, said before it is made
    qtbot.addWidget(packages_dialog)
    labels = " ".join(label.text() for label in packages_dialog.findChildren(QtWidgets.QLabel))
    assert "HM Revenue & Customs" in labels and "National Crime Agency" in labels and "Cannot be made" not in labels
    out = tmp_path / "packages"
    out.mkdir()
    packages_dialog.folder.setText(str(out))
    assert packages_dialog.make_button.text() == "&Make 3 packages"
    with qtbot.waitSignal(packages_dialog.made, timeout=10_000):
        qtbot.mouseClick(packages_dialog.make_button, Qt.MouseButton.LeftButton)
    assert sorted(p.name for p in out.iterdir()) == sorted(m.file_name for m in packages_dialog.result)
    after = get_request(desk, request.id)
    assert {d.status for d in after.dispatches} == {"sent"}
    assert after.status == "open"
    assert "3 packages made" in view.notice.text() and "attach each to a secure e-mail" in view.notice.text()
    assert not view.edit_button.isEnabled()
    statuses = [view.table.item(r, 1).text() for r in range(3)]
    assert all(s.startswith("Package made") and "attach to secure e-mail" in s for s in statuses)
    # acknowledge one and change a due date through the view
    view.select_dispatch(after.dispatches[0].id)
    assert view.acknowledge_selected()
    assert get_request(desk, request.id).dispatches[0].status == "acknowledged"
    due = view.change_due_selected()
    due.date.setText("01/01/2020")
    qtbot.mouseClick(due.ok_button, Qt.MouseButton.LeftButton)
    overdue_cell = next(view.table.item(r, 1).text() for r in range(3)
                        if view.table.item(r, 0).data(Qt.ItemDataRole.UserRole) == after.dispatches[0].id)
    assert "OVERDUE by" in overdue_cell
    # the overdue list shows it for chasing
    area.show_list()
    area.filter.setCurrentIndex(area.filter.findData("overdue"))
    qtbot.waitUntil(lambda: area.overdue_model.rowCount() == 1 and not area.overdue_model.is_loading(), timeout=5000)
    assert area.overdue_model.index(0, 0).data() == request.reference
    assert area.showing.text().startswith("Oldest overdue first. Showing 1 overdue answer")


def test_a_received_response_is_collated_side_by_side(qtbot, area, desk):
    request = _saved_request(desk)
    area.open_request(request.id)
    area.view.send([d.target for d in request.dispatches])
    hmrc = next(d for d in get_request(desk, request.id).dispatches if d.agency == "HMRC")
    receive_response(desk, hmrc.id, response_data())
    nca = next(d for d in get_request(desk, request.id).dispatches if d.agency == "NCA")
    receive_response(desk, nca.id, {"kind": "nil-return", "responder_name": "N. Officer",
                                    "response_date": "2026-03-06"})
    area.view.reload()
    rows = {area.view.table.item(r, 0).text(): [area.view.table.item(r, c).text() for c in range(5)]
            for r in range(area.view.table.rowCount())}
    assert rows["HM Revenue & Customs"][1].startswith("Responded")
    assert "Information disclosed" in rows["HM Revenue & Customs"][2]
    assert "Data Protection Act 2018" in rows["HM Revenue & Customs"][2]
    assert "Disclosed: Employed by Example Ltd since 2024." in rows["HM Revenue & Customs"][3]
    assert "Necessary: Needed to identify" in rows["HM Revenue & Customs"][4]
    assert "Partnership working: We can join a visit." in rows["HM Revenue & Customs"][4]
    assert rows["National Crime Agency"][2].startswith("Nil return")
    assert rows["Derby City Council – Community Safety & Integration Service"][2] == "No answer yet"
    assert "2 answered" in area.view.status_line.text()
    area.view.select_dispatch(hmrc.id)
    texts = [label.text() for label in area.view.detail_box.findChildren(QtWidgets.QLabel)]
    assert "Only the employer's name and start date are given." in texts


def test_a_suspended_partner_cannot_be_sent_to(qtbot, tmp_path):
    vault = make_desk(tmp_path / "police.vault", "DCON", "spoc")
    request = _saved_request(vault)
    vault = reopen_as(vault, "alice")
    suspend(vault, "HMRC", "Serious breach under investigation")
    vault = reopen_as(vault, "bob")
    try:
        area = RequestsArea(FakeSession(vault))
        qtbot.addWidget(area)
        area.open_request(request.id)
        dialog = area.view.confirm_send()
        box = dialog.checks["HMRC"]
        assert not box.isEnabled() and not box.isChecked()
        assert "suspended under clause 13.2" in box.text()
        assert dialog.send_button.text() == "Send to 2 agencies"
        dialog.reject()
        # asking the core directly: its clear message is shown and nothing is sent
        assert not area.view.send(["HMRC", "NCA"])
        assert any("suspended under clause 13.2" in m for m in area.view.summary.messages())
        assert {d.status for d in get_request(vault, request.id).dispatches} == {"draft"}
        # the form shows the partner disabled with the reason
        form = area.open_form(get_request(vault, request.id))
        box = form.agencies.boxes["HMRC"]
        assert not box.isEnabled()
        assert "Serious breach under investigation" in box.text()
    finally:
        vault.close()


def test_hostile_strings_round_trip_exactly_and_show_as_plain_text(qtbot, area, desk):
    form = area.open_form()
    fill_form(qtbot, form, name=HOSTILE_NAME, information=HOSTILE_TEXT, subject_name=HOSTILE_NAME,
              alias="'; DROP TABLE requests;--")
    form.check_request.setPlainText("<script>alert(1)</script>\n\"quotes\" and 'single'\u00a0nbsp")
    check_and_save(qtbot, form)
    request = get_request(desk, area.view.request.id)
    assert request.requester_name == HOSTILE_NAME
    assert request.information == HOSTILE_TEXT and len(request.information) > 10_000
    assert request.check_request == "<script>alert(1)</script>\n\"quotes\" and 'single'\u00a0nbsp"
    assert request.subjects[0].name == HOSTILE_NAME
    assert request.subjects[0].aliases == ("'; DROP TABLE requests;--",)
    assert count_requests(desk) == 1
    labels = area.view.findChildren(QtWidgets.QLabel)
    assert all(label.textFormat() == Qt.TextFormat.PlainText for label in labels if "<b>" in label.text())
    shown = [label.text() for label in labels]
    assert HOSTILE_TEXT in shown
    flagged = [t for t in shown if "\u27e6U+202E\u27e7" in t]
    assert flagged and any("RIGHT-TO-LEFT OVERRIDE" in t for t in shown)
    # editing the saved draft shows exactly the same text, and the subject list flags the name
    form = area.open_form(request)
    assert form.requester_name.text() == HOSTILE_NAME
    assert "\u27e6U+202E\u27e7" in form.subjects.table.item(0, 2).text()
    assert form.subjects.flags.isVisible()
    assert not form.has_unsaved_input()


def test_search_finds_a_subject_by_alias_and_opens_the_request(qtbot, area, desk):
    request = create_request(desk, request_data())
    qtbot.keyClicks(area.search_box, "Johnny")
    qtbot.keyClick(area.search_box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: area.views.currentWidget() is area.results_table, timeout=5000)
    table = area.results_table
    found = [tuple(table.item(r, c).text() for c in range(table.columnCount())) for r in range(table.rowCount())]
    assert ("Ion Popescu", "Person", "As typed", "Johnny P", "12/04/1988", "Suspected perpetrator", request.reference,
            "02/03/2026") in found
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "Ion Popescu")
    table.selectRow(row)
    area.open_selected()
    assert area.stack.currentWidget() is area.view and area.view.request.id == request.id
    assert desk.db.scalar("SELECT count(*) FROM audit_events WHERE action = 'search'") >= 1


def test_search_shows_spellings_and_sounds_alike_and_says_what_was_searched(qtbot, area, desk):
    create_request(desk, request_data(subjects=[
        {"subject": {"name": "Миколай Шевченко", "date_of_birth": "1990-01-31"}, "role": "potential-victim"},
        {"subject": {"name": "Muhammad <b>Rahimi</b>"}, "role": "associate"}]))
    table = area.results_table

    def search_for(text):
        area.search_box.clear()
        qtbot.keyClicks(area.search_box, text)
        qtbot.keyClick(area.search_box, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: area.views.currentWidget() is table and "for “" in area.showing.text(), timeout=5000)
        return [tuple(table.item(r, c).text() for c in range(3)) for r in range(table.rowCount())]

    assert search_for("Shevchenko") == [("Миколай Шевченко", "Person", "Other spelling or script")]
    assert table.item(0, 4).text() == "31/01/1990" and table.item(0, 5).text() == "Potential victim"
    assert search_for("Mohammed") == [("Muhammad <b>Rahimi</b>", "Person", "Sounds like")]
    assert "Sounds like" in area.showing.text() and "1 match for “Mohammed”" in area.showing.text()
    assert search_for("Zebedee") == []
    assert area.showing.text().startswith("Nothing found for “Zebedee” in references, names and aliases")
    assert "Try fewer words" in area.showing.text()
    assert area.showing.textFormat() == Qt.TextFormat.PlainText


def test_the_list_pages_lazily_over_450_requests(qtbot, area, desk):
    data = request_data(subjects=[])
    for _ in range(450):
        create_request(desk, data)
    area.show_list()
    model = area.model
    qtbot.waitUntil(lambda: model.rowCount() == 200, timeout=10_000)
    assert model.canFetchMore()
    model.fetchMore()  # each further page is twice the last: 400 asked for, 250 left
    qtbot.waitUntil(lambda: model.rowCount() == 450, timeout=10_000)
    assert not model.canFetchMore()
    refs = [model.summary(r).reference for r in range(450)]
    assert refs[0] == "MSR-2026-0450" and refs[-1] == "MSR-2026-0001" and len(set(refs)) == 450
    assert area.table.model() is model and model.index(0, 0).data() == "MSR-2026-0450"
    # the status filter reloads from the first page
    area.filter.setCurrentIndex(area.filter.findData("open"))
    qtbot.waitUntil(lambda: not model.is_loading(), timeout=10_000)
    assert model.rowCount() == 0


def _header_click(qtbot, table, column: int) -> None:
    header = table.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QtCore.QPoint(x, header.height() // 2))


def test_a_header_click_sorts_the_whole_list_in_the_database(qtbot, area, desk):
    """Seven requests in pages of three: sorting by requester puts DS A first although DS A is
    not among the three loaded when the header was clicked (the sort is over the whole set)."""
    for n in range(7):
        create_request(desk, request_data(subjects=[], requester_name=f"DS {'GECBFDA'[n]} Officer"))
    model, table = area.model, area.table
    model.page_size = model.max_page_size = 3
    model.canFetchMore = lambda *_a: False  # the view reads no further page by itself: one page of three
    area.show_list()
    qtbot.waitUntil(lambda: model.rowCount() == 3 and not model.is_loading(), timeout=10_000)
    assert [model.index(r, 3).data() for r in range(3)] == ["DS A Officer", "DS D Officer", "DS F Officer"]
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Reference ▼"
    assert area.showing.text().startswith("Newest first. Showing 3 requests")
    area.resize(1200, 700)
    area.show()
    _header_click(qtbot, table, 3)  # Requested by, A to Z
    qtbot.waitUntil(lambda: model.rowCount() == 3 and not model.is_loading(), timeout=10_000)
    assert [model.index(r, 3).data() for r in range(3)] == ["DS A Officer", "DS B Officer", "DS C Officer"]
    assert model.headerData(3, Qt.Orientation.Horizontal) == "Requested by ▲"  # ▲ ascending, as Windows shows
    assert area.showing.text().startswith("By requester, A to Z. Showing 3 requests")
    model.fetchMore()  # the next pages continue the same order
    qtbot.waitUntil(lambda: model.rowCount() == 6 and not model.is_loading(), timeout=10_000)
    model.fetchMore()
    qtbot.waitUntil(lambda: model.rowCount() == 7 and not model.is_loading(), timeout=10_000)
    assert [model.index(r, 3).data() for r in range(7)] == [f"DS {c} Officer" for c in "ABCDEFG"]
    _header_click(qtbot, table, 3)  # and back, Z to A
    qtbot.waitUntil(lambda: model.rowCount() == 3 and not model.is_loading(), timeout=10_000)
    assert [model.index(r, 3).data() for r in range(3)] == ["DS G Officer", "DS F Officer", "DS E Officer"]
    assert model.headerData(3, Qt.Orientation.Horizontal) == "Requested by ▼"
    # a count column does not sort: the click is refused and the list stays as it is
    _header_click(qtbot, table, 4)
    assert model.sort_state() == (3, Qt.SortOrder.DescendingOrder)
    assert table.horizontalHeader().sortIndicatorSection() == 3
    assert model.index(0, 0).data(ID_ROLE) == model.summary(0).id


def test_the_status_filter_and_the_sort_combine_over_the_whole_set(qtbot, area, desk):
    for n in range(5):
        create_request(desk, request_data(subjects=[], requester_name=f"DS {'EDCBA'[n]} Officer",
                                          request_date=f"2026-0{n + 1}-10"))
    model = area.model
    model.page_size = model.max_page_size = 2
    model.canFetchMore = lambda *_a: False
    area.show_list()
    area.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)  # request date, earliest first
    qtbot.waitUntil(lambda: model.rowCount() == 2 and not model.is_loading(), timeout=10_000)
    assert [model.index(r, 1).data() for r in range(2)] == ["10/01/2026", "10/02/2026"]
    area.filter.setCurrentIndex(area.filter.findData("draft"))
    qtbot.waitUntil(lambda: model.rowCount() == 2 and not model.is_loading(), timeout=10_000)
    assert model.query["status"] == "draft" and model.query["sort"] == "date"
    assert area.showing.text().startswith("Earliest request date first. Showing 2 requests (drafts)")


def test_a_half_filled_form_survives_a_lock_as_a_draft(qtbot, tmp_path, make_shell, unlock_with):
    vault = make_desk(tmp_path / "police.vault", "DCON", "spoc")
    path = vault.path
    vault.close()
    shell = make_shell([RequestsArea])
    shell.start(path)
    main = unlock_with(shell, "bob", OTHER_PASSPHRASE)
    area = main.area("requests")
    form = area.open_form()
    form.requester_name.setText("DS Half Filled \u202e")
    form.information.setPlainText("Partly typed intelligence")
    form.reasons.check("protect-life-property")
    qtbot.mouseClick(form.subjects.add_location, Qt.MouseButton.LeftButton)
    form.subjects.name.setText("Unit 4, Example Estate")
    shell.lock("idle")
    assert shell.main_window is None
    assert "unsaved input was kept" in shell.unlock_window.notice.text()
    main = unlock_with(shell, "bob", OTHER_PASSPHRASE)
    area = main.area("requests")
    assert main.current_area_key() == "requests"
    form = area.form
    assert form is not None and area.stack.currentWidget() is form
    assert form.requester_name.text() == "DS Half Filled \u202e"
    assert form.information.toPlainText() == "Partly typed intelligence"
    assert form.reasons.values() == ["protect-life-property"]
    assert not form.subjects.panel.isHidden() and form.subjects.name.text() == "Unit 4, Example Estate"
    assert form.subjects.kind.currentData() == "location"
    # cancelling asks, then "Discard changes" discards the draft: the next lock keeps nothing
    box = form.cancel()
    assert box is not None and area.form is form
    box.discard_button.click()
    assert area.form is None
    shell.lock("manual")
    assert "unsaved input" not in shell.unlock_window.notice.text()


def test_read_only_roles_see_no_writing_buttons(qtbot, tmp_path):
    vault = make_desk(tmp_path / "police.vault", "DCON", "spoc")
    request = _saved_request(vault)
    vault = reopen_as(vault, "carol", "chair")
    try:
        area = RequestsArea(FakeSession(vault))
        qtbot.addWidget(area)
        assert area.new_button.isHidden()
        area.open_request(request.id)
        assert area.view.edit_button.isHidden() and area.view.send_button.isHidden()
        assert area.view.export_button.isHidden()
        assert area.draft_state() is None
    finally:
        vault.close()


def test_export_for_sending_says_to_whom_and_writes_the_file(qtbot, area, desk, tmp_path, monkeypatch):
    request = _saved_request(desk)
    area.open_request(request.id)
    assert area.view.confirm_export() is None   # not sent yet: says so
    assert any("has not been sent" in m for m in area.view.summary.messages())
    area.view.send(["HMRC", "NCA"])      # recorded as sent by another route, no package yet
    trust_partner_desks(desk, tmp_path, "HMRC", "NCA")
    chosen = tmp_path / "out"
    chosen.mkdir()
    dialog = area.view.confirm_export()   # Make packages again…: for the agencies already sent to
    qtbot.addWidget(dialog)
    text = " ".join(label.text() for label in dialog.findChildren(QtWidgets.QLabel))
    assert "HM Revenue & Customs" in text and "National Crime Agency" in text and "disclosure register" in text
    dialog.folder.setText(str(chosen))
    with qtbot.waitSignal(dialog.made, timeout=10_000):
        qtbot.mouseClick(dialog.make_button, Qt.MouseButton.LeftButton)
    names = sorted(p.name for p in chosen.iterdir())
    assert len(names) == 2 and all(name.startswith(request.reference) for name in names)
    assert "Recorded in the disclosure register" in area.view.notice.text()


def test_respond_opens_the_response_form_for_a_request_received(qtbot, tmp_path):
    pytest.importorskip("ui.requests.response_form")
    from app.exchange import export_request, import_document

    police = make_desk(tmp_path / "police.vault", "DCON", "spoc")
    request = _saved_request(police)
    from app.requests import send_to_agencies
    send_to_agencies(police, request.id)
    doc = export_request(police, request.id)
    police.close()
    partner = make_desk(tmp_path / "hmrc.vault", "HMRC", "spoc")
    try:
        import_document(partner, doc, sender="DCON")   # as the police desk's package brings it
        area = RequestsArea(FakeSession(partner))
        qtbot.addWidget(area)
        received = get_request(partner, request.reference)
        area.open_request(received.id)
        hmrc = next(d for d in received.dispatches if d.agency == "HMRC")
        area.view.select_dispatch(hmrc.id)
        assert area.view.respond_button.isEnabled()
        assert area.view.edit_button.isHidden()
        area.view.respond_selected()
        assert area.response_form is not None and area.stack.currentWidget() is area.response_page
    finally:
        partner.close()


def test_unticking_an_agency_before_sending_takes_it_off_the_request(qtbot, area, desk):
    form = area.open_form()
    fill_form(qtbot, form)
    check_and_save(qtbot, form)
    request = get_request(desk, area.view.request.id)
    form = area.open_form(request)
    form.agencies.check("NCA", False)
    check_and_save(qtbot, form)
    assert sorted(d.target for d in get_request(desk, request.id).dispatches) == ["DCC/CSIS", "HMRC"]


def test_closing_a_request_asks_why_then_freezes_it(qtbot, area, desk):
    request = _saved_request(desk)
    assert area.open_request(request.id)
    view = area.view
    assert view.close_button.isVisible() and view.close_button.isEnabled()
    dialog = view.confirm_close()
    dialog.close_button.click()
    assert dialog.summary.messages() == ["Choose why the request is closed"]
    assert get_request(desk, request.id).status != "closed"
    dialog.reason_buttons["concluded"].setChecked(True)
    dialog.close_button.click()
    assert get_request(desk, request.id).status == "closed"
    assert not view.close_button.isEnabled() and not view.edit_button.isEnabled()
    assert "is closed" in view.notice.text()


def test_the_request_view_opens_its_relationship_map(qtbot, area, desk):
    """Relationship map… on a request opens the map of that request only (its subjects and the
    links learnt from it, not the case's other request), in its own non-modal window; a node asks
    the shell, through the area, for its subject page."""
    from test_case_reports import story

    _case, _meeting, first = story(desk)
    area.open_request(first.id)
    assert area.view.map_button.isVisible()
    area.view.map_button.click()
    window = area.view.map_window
    qtbot.addWidget(window)
    assert window.isVisible() and not window.isModal()
    assert window.windowTitle() == f"Relationship map of {first.reference}"
    qtbot.waitUntil(lambda: bool(window.map.view.nodes), timeout=10_000)
    names = {n.label for n in window.map.graph.nodes.values()}
    assert {"Ion Popescu", "Example Ltd"} <= names
    from app import links as lk

    mine = lk.map_graph(desk, "request", first.id, audit=False)
    of_case = lk.map_graph(desk, "case", _case.id, audit=False)
    assert set(window.map.view.nodes) == set(mine.nodes) != set(of_case.nodes)  # this request's map only
    assert window.map.link_count() == len(mine.links) == 4
    target = next(i for i in window.map.view.nodes if not i.startswith("vehicle:"))
    window.map.view.choose(target)
    with qtbot.waitSignal(area.open_subject, timeout=2000) as opened:
        qtbot.keyClick(window.map.view, Qt.Key.Key_Return)
    assert opened.args == [target]
    window.close()


def test_the_header_shows_one_arrow_the_platform_way(qtbot, area):
    """Qt's own indicator is hidden (some styles point it down for ascending); the heading's text
    carries ▲ for ascending and ▼ for descending, as Windows shows them."""
    header = area.table.horizontalHeader()
    assert not header.isSortIndicatorShown()
    area.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
    assert not header.isSortIndicatorShown()
    assert area.model.headerData(1, Qt.Orientation.Horizontal) == "Request date ▲"
    assert area.model.headerData(0, Qt.Orientation.Horizontal) == "Reference"
