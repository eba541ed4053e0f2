"""The partner SPOC's response form: a partner desk (DCC) imports a request from the police desk,
answers it through the widgets, and the disclosure register shows what went where."""

from __future__ import annotations

import json

import pytest

from app import disclosures, exchange
from app.exchange import packages
from app import requests as rq
from app import responses as rs
from desk_helpers import make_desk, request_data, trust_each_other
from ui.disclosures.area import DisclosuresArea
from ui.qt import QtCore, QtWidgets, Qt
from ui.requests.response_form import ResponseForm
from fake_session import FakeSession
from settle import settle

HOSTILE = [
    "<b>bold</b><script>alert('x')</script>",
    "Robert'); DROP TABLE responses;--",
    'He said "hello" \\ and \'bye\'',
    "Ana\u202eMaria\u200b\u2066x\u2069",
    "😀👩🏽‍⚕️🇬🇧",
    "x" * 10_000,
    "line one\nline two\ttabbed\r\n",
    "Олександр Шевченко — Nguyễn Văn An — Ștefan Țurcanu — Arbën Krasniqi — Łukasz Wójcik",
]


@pytest.fixture
def desks(tmp_path):
    """(police, partner, request id): DCON sent a request to DCC and two others; DCC imported it."""
    police = make_desk(tmp_path / "dcon.vault")
    request = rq.create_request(police, request_data(check_request=HOSTILE[0] + " " + HOSTILE[3]))
    rq.send_to_agencies(police, request.id, ["HMRC", "GLAA", "DCC/CSIS"])
    exchange.write_file(exchange.export_request(police, request.reference), tmp_path / "to-partners.json")
    partner = make_desk(tmp_path / "dcc.vault", agency="DCC")
    # As a package from the police desk would bring it: the sender is the verified signer.
    exchange.import_document(partner, exchange.read_file(tmp_path / "to-partners.json"), sender="DCON")
    yield police, partner, request.id
    for vault in (police, partner):
        if vault.is_open:
            vault.close()


def open_form(qtbot, vault, request_id) -> ResponseForm:
    request = rq.get_request(vault, request_id)
    dispatch = next(d for d in request.dispatches if d.agency == vault.agency)
    form = ResponseForm(FakeSession(vault), request, dispatch)
    qtbot.addWidget(form)
    form.resize(1100, 800)
    form.show()
    return form


def confirm(qtbot, box):
    assert box is not None and box.isVisible()
    qtbot.mouseClick(box.accept_button, Qt.MouseButton.LeftButton)


def test_disclosure_needs_the_54_tests_then_is_sent_and_registered(qtbot, desks):
    police, partner, request_id = desks
    form = open_form(qtbot, partner, request_id)
    # The request summary, as plain text.
    assert form.summary_reference.text() == "MSR-2026-0001"
    assert form.summary_from.text() == "Derbyshire Constabulary (DCON)"
    assert form.summary_asked.toPlainText() == HOSTILE[0] + " " + HOSTILE[3]
    assert "Ion Popescu" in form.summary_subjects.toPlainText()
    assert form.responder_name.text() == "bob"            # prefilled with the user
    assert [label.text()[:3] for label in form.condition_labels] == ["6.1", "6.2", "6.3", "6.4"]

    qtbot.keyClicks(form.held_text, "Council tax records for one subject.")
    qtbot.keyClicks(form.disclosed_text, "Liable for council tax at 12 Example Street since 2024.")
    qtbot.mouseClick(form.send_button, Qt.MouseButton.LeftButton)
    messages = form.problem_messages()
    for expected in ("Say in words why the disclosure is necessary (5.4.2)",
                     "Say in words why the disclosure is proportionate (5.4.3)",
                     "Say in words how you know the information is accurate (5.4)",
                     "Choose the lawful basis for the disclosure (5.4.1, Appendix 3)",
                     "Choose the types of information disclosed (5.2)"):
        assert expected in messages
    assert form.rows["necessary"].error.text() == "Say in words why the disclosure is necessary (5.4.2)"
    assert form.rows["necessary"].error.isVisible()
    assert rs.responses_of_dispatch(partner, form.dispatch.id) == []        # nothing saved or sent
    # A summary link moves focus to its field.
    link = next(b for b in form.summary.findChildren(QtWidgets.QPushButton) if "proportionate" in b.text())
    with qtbot.waitActive(form):
        form.activateWindow()
    link.click()
    qtbot.waitUntil(form.proportionate.hasFocus, timeout=2000)

    # Choosing a lawful basis shows its Appendix 3 explanation and the DPA 1998 -> 2018 reference.
    form.select_basis("dpa1998-s29-3")
    panel = form.basis_panel
    assert panel.title.text() == "Section 29(3), Data Protection Act 1998"
    assert "repealed" in panel.agreement_cite.text()
    assert panel.today_cite.text() == "Cite today: Data Protection Act 2018, Schedule 2, Part 1, paragraph 2"
    assert panel.explanation.toPlainText().startswith("3. Personal data are exempt")
    assert panel.explanation.isReadOnly()

    form.info_types.boxes["residence-or-business"].setChecked(True)
    # placeholders and one-word answers are refused in words, each at its field
    qtbot.keyClicks(form.necessary, "n/a")
    qtbot.keyClicks(form.proportionate, "see above")
    qtbot.keyClicks(form.accurate, "Checked")
    assert form.mark_sent() is None
    assert form.rows["necessary"].error.text() == "Say in words why the disclosure is necessary (5.4.2): “n/a” is not an answer"
    assert "“see above” is not an answer" in form.rows["proportionate"].error.text()
    assert form.rows["accurate"].error.text() == ("Say in words how you know the information is accurate (5.4), "
                                                  "in at least 20 characters (this answer has 7)")
    for box in (form.necessary, form.proportionate, form.accurate):
        box.clear()
    qtbot.keyClicks(form.necessary, "To confirm where a potential victim lives.")
    qtbot.keyClicks(form.proportionate, "Only the address and start date are given.")
    qtbot.keyClicks(form.accurate, "Checked against the council tax register today.")
    qtbot.keyClicks(form.partnership_answer, "Our officers can join a visit.")
    box = form.mark_sent()
    assert "Derbyshire Constabulary (DCON)" in box.text() and "Criminal Justice Secure Messaging" in box.text()
    # the confirmation repeats what the disclosure relies on: the lawful basis and the three answers
    assert ("Lawful basis:\n  • Section 29(3), Data Protection Act 1998 (today: Data Protection Act 2018, Schedule 2,"
            " Part 1, paragraph 2)") in box.text()
    assert "Why the disclosure is necessary: To confirm where a potential victim lives." in box.text()
    assert "Why the disclosure is proportionate: Only the address and start date are given." in box.text()
    assert "How you know the information is accurate: Checked against the council tax register today." in box.text()
    assert rs.responses_of_dispatch(partner, form.dispatch.id) == []        # not before confirming
    with qtbot.waitSignal(form.saved) as signal:
        confirm(qtbot, box)
    sent = signal.args[0]
    assert sent.status == "sent" and sent.kind == "disclosure"
    assert sent.lawful_bases == ("dpa1998-s29-3",) and sent.info_types == ("residence-or-business",)
    assert sent.necessary == "To confirm where a potential victim lives."
    assert [c["clause"] for c in sent.conditions_of_use] == ["6.1", "6.2", "6.3", "6.4"]
    assert not form.save_button.isVisible() and form.export_button.isEnabled()
    assert form.necessary.isReadOnly()
    assert "Sent to Derbyshire Constabulary" in form.status.text()
    assert rq.get_dispatch(partner, form.dispatch.id).status == "responded"

    area = DisclosuresArea(FakeSession(partner))
    qtbot.addWidget(area)
    area.refresh()
    settle(qtbot)
    top = [area.model.text(0, c) for c in range(area.model.columnCount())]
    assert top[1:4] == ["Response sent", "DCC", "DCON"]
    assert top[5] == "Section 29(3), Data Protection Act 1998"
    assert top[6] == "Criminal Justice Secure Messaging Service (CJSM)"
    assert top[7] == "DCC"


def test_nil_return_needs_no_basis_or_54_answers(qtbot, desks):
    _police, partner, request_id = desks
    form = open_form(qtbot, partner, request_id)
    nil = form.kind_buttons["nil-return"]
    qtbot.mouseClick(nil, Qt.MouseButton.LeftButton, pos=QtCore.QPoint(8, nil.height() // 2))
    assert form.kind() == "nil-return"
    assert not form.necessary.isVisible() and not form.basis_list.isVisible()
    assert form.partnership_answer.isVisible() and form.conditions_box.isVisible()
    form.responder_name.setText("")
    assert form.mark_sent() is None
    assert form.problem_messages() == ["Enter the name of the person responding"]
    form.responder_name.setText("Pat Jones")
    box = form.mark_sent()
    assert "nil return" in box.text()
    with qtbot.waitSignal(form.saved) as signal:
        confirm(qtbot, box)
    response = signal.args[0]
    assert response.kind == "nil-return" and response.status == "sent"
    assert response.lawful_bases == () and response.disclosed_text == ""
    assert rq.get_dispatch(partner, form.dispatch.id).status == "nil-return"
    row = disclosures.list_disclosures(partner).items[0]
    assert (row.kind, row.what, row.subject_ids) == ("response", "nil-return response to MSR-2026-0001", ())


def test_declining_needs_a_reason(qtbot, desks):
    _police, partner, request_id = desks
    form = open_form(qtbot, partner, request_id)
    form.set_kind("declined")
    assert form.decline_reason.isVisible()
    assert form.mark_sent() is None
    assert form.problem_messages() == ["Enter why your agency declines to disclose"]
    assert form.rows["decline_reason"].error.isVisible()


def test_hostile_strings_round_trip_exactly_and_show_as_plain_text(qtbot, desks, tmp_path, monkeypatch):
    police, partner, request_id = desks
    form = open_form(qtbot, partner, request_id)
    fields = ("responder_role", "responder_contact", "held_text", "disclosed_text", "necessary",
              "proportionate", "accurate", "partnership_answer")
    values = {key: HOSTILE[i % len(HOSTILE)] + HOSTILE[(i + 3) % len(HOSTILE)] for i, key in enumerate(fields)}
    values["responder_name"] = HOSTILE[3] + HOSTILE[4]
    for key, value in values.items():
        getattr(form, key).set_value(value)
    form.disclosed_text.setPlainText(HOSTILE[0] + HOSTILE[5] + HOSTILE[7])   # as typed by the user
    values["disclosed_text"] = HOSTILE[0] + HOSTILE[5] + HOSTILE[7]
    form.info_types.set_values(["identity-and-associates"])
    form.set_lawful_bases(["msa2015-s54a", "cda1998-s115"])
    state = form.state()
    assert json.loads(json.dumps(state)) == state
    with qtbot.waitSignal(form.saved):
        form.save_draft()
    saved = rs.responses_of_dispatch(partner, form.dispatch.id)[0]
    for key, value in values.items():
        assert getattr(saved, key) == value, key
    assert saved.lawful_bases == ("cda1998-s115", "msa2015-s54a")

    again = open_form(qtbot, partner, request_id)                 # reopened from the vault
    for key, value in values.items():
        assert again.state()[key] == value, key
    copy = open_form(qtbot, partner, request_id)                  # a draft handed back after a lock
    copy.set_state(state)
    assert {k: v for k, v in copy.state().items() if k != "response_id"} == {
        k: v for k, v in state.items() if k != "response_id"}
    # Shown as plain text, never markup.
    assert form.summary_from.textFormat() == Qt.TextFormat.PlainText
    assert form.status.textFormat() == Qt.TextFormat.PlainText

    # Sent, sealed as a package for the police desk, received there: still exact.
    form.necessary.setFocus()
    box = form.mark_sent()
    with qtbot.waitSignal(form.saved):
        confirm(qtbot, box)
    trust_each_other(police, partner)
    target = tmp_path / "out"
    target.mkdir()
    dialog = form.export_for_sending()
    qtbot.addWidget(dialog)
    labels = " ".join(label.text() for label in dialog.findChildren(QtWidgets.QLabel))
    assert "Derbyshire Constabulary" in labels and "secure e-mail" in labels
    dialog.folder.setText(str(target))
    with qtbot.waitSignal(dialog.made, timeout=10_000):
        qtbot.mouseClick(dialog.make_button, Qt.MouseButton.LeftButton)
    assert form.exported_path is not None and form.exported_path.parent == target and form.exported_path.exists()
    assert "made" in dialog.title.text() and "attach to secure e-mail" in dialog.title.text()
    arrived = packages.receive(police, form.exported_path)
    assert arrived.summary.responses_received == 1
    received = next(r.response for r in rs.collation(police, request_id).rows if r.dispatch.agency == "DCC")
    for key, value in values.items():
        assert getattr(received, key) == value, key


def test_only_this_desks_dispatch_is_answerable(qtbot, desks):
    police, _partner, request_id = desks
    request = rq.get_request(police, request_id)
    hmrc = next(d for d in request.dispatches if d.agency == "HMRC")
    form = ResponseForm(FakeSession(police), request, hmrc)
    qtbot.addWidget(form)
    assert not form.save_button.isVisibleTo(form) and not form.send_button.isVisibleTo(form)
    assert "Only that agency's desk" in form.status.text()


def test_the_response_form_shows_the_whole_request_it_answers(qtbot, desks):
    """Issue 17: every subject's details, the reason, the purposes and what was asked, so the
    partner answers without going back to the request."""
    _police, partner, request_id = desks
    form = open_form(qtbot, partner, request_id)
    subjects = form.summary_subjects.toPlainText()
    assert "Ion Popescu" in subjects and "Date of birth: 12/04/1988" in subjects
    assert "Address: 12 Example Street, Derby" in subjects and "passport: RO123" in subjects
    assert form.summary_reason.toPlainText().startswith("• ") and form.summary_reason.toPlainText() != "• crime"
    purposes = form.summary_purposes.toPlainText()
    assert purposes.count("• ") == 2 and "identify-victims" not in purposes  # in words, not codes
    assert HOSTILE[0] in form.summary_asked.toPlainText()


def test_hostile_subject_details_in_the_request_summary_stay_plain_text(qtbot, tmp_path):
    police = make_desk(tmp_path / "dcon2.vault")
    subject = {"kind": "person", "name": "Ana\u202eMaria", "aliases": [HOSTILE[0]],
               "addresses": [HOSTILE[6]], "identifiers": [{"type": "<i>ni</i>", "value": HOSTILE[1]}],
               "description": HOSTILE[2] + " & " + HOSTILE[4]}
    request = rq.create_request(police, request_data(subjects=[{"subject": subject, "role": "potential-victim"}]))
    rq.send_to_agencies(police, request.id, ["DCC/CSIS"])
    exchange.write_file(exchange.export_request(police, request.reference), tmp_path / "one.json")
    police.close()
    partner = make_desk(tmp_path / "dcc2.vault", agency="DCC")
    try:
        exchange.import_document(partner, exchange.read_file(tmp_path / "one.json"), sender="DCON")
        form = open_form(qtbot, partner, rq.get_request(partner, request.reference).id)
        shown = form.summary_subjects.toPlainText()
        assert HOSTILE[0] in shown and "<i>ni</i>: " + HOSTILE[1] in shown and HOSTILE[2] + " & " in shown
        assert "\u202e" not in shown and "⟦U+202E⟧" in shown  # hidden characters shown as markers
        assert isinstance(form.summary_subjects, QtWidgets.QPlainTextEdit)
    finally:
        partner.close()
