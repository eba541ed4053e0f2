"""The Subject access area, driven through its real widgets: logging a request (error summary,
then saved), finding the person across three requests, gathering the file, the 12.2 consultation
before a partner item is disclosed, a withholding with its exemption, the Appendix 2 instruction,
the clock in words and hostile text shown as plain text."""

from __future__ import annotations

import datetime as dt

import pytest

from app import requests as rq
from app import responses as rs
from app import subject_access as sa
from desk_helpers import make_desk, reopen_as, request_data, response_data
from fake_session import FakeSession
from ui.qt import Qt
from ui.subject_access.area import SubjectAccessArea, SubjectPicker

HOSTILE = "<b>bold</b> \u202eevil\u202c <script>x</script>"


def act(area, on_dialog) -> None:
    """Act on the dialog the area has just opened (window-modal, open(): never a nested loop)."""
    assert area.dialog.isVisible() and area.dialog.isModal()
    on_dialog(area.dialog)


@pytest.fixture
def dpm(tmp_path):
    vault = make_desk(tmp_path / "dcon.vault")
    first = rq.create_request(vault, request_data())
    ion = next(s for s in first.subjects if s.name == "Ion Popescu")
    for _ in range(2):
        other = rq.create_request(vault, request_data(subjects=[]))
        rq.add_subject(vault, other.id, ion.id, "suspected-perpetrator")
    rq.add_agencies(vault, first.id, ["HMRC"])
    rq.send_to_agencies(vault, first.id, ["HMRC"])
    rs.receive_response(vault, rq.dispatches_of(vault, first.id)[0].id,
                        response_data(disclosed_text="Nguyễn Văn An works for Ion Popescu."))
    vault = reopen_as(vault, "dana", "dpm")
    yield vault
    if vault.is_open:
        vault.close()


def make_area(qtbot, vault) -> SubjectAccessArea:
    area = SubjectAccessArea(FakeSession(vault))
    qtbot.addWidget(area)
    area.show()
    area.refresh()
    return area


def test_log_find_gather_consult_and_decide(qtbot, dpm):
    area = make_area(qtbot, dpm)
    seen = {}

    def log(dialog):
        dialog.accept_button.click()
        seen["messages"] = dialog.summary.messages()
        dialog.kind.setCurrentIndex(dialog.kind.findData("sar-gdpr"))
        dialog.received.set_date(dt.date.today())
        dialog.name.setText(HOSTILE)
        dialog.accept_button.click()

    area.log_button.click()
    act(area, log)
    assert seen["messages"] == ["Choose what kind of request it is", "Enter the date the request was received",
                                "Enter who made the request"]
    assert area.current is not None and area.current.reference.endswith("-0001")
    assert area.table.item(0, 3).text() == HOSTILE  # shown as given, never as markup
    assert "left (due" in area.clock.text() and not area.request_form_warning.isVisible()

    def pick(picker: SubjectPicker):
        picker.search.setText("popescu")
        picker.find_button.click()
        assert picker.results.count() == 1
        picker.results.item(0).setCheckState(Qt.CheckState.Checked)
        picker.ok.click()

    area.subjects_button.click()
    act(area, pick)
    assert "About: Ion Popescu." in area.about.text()
    area.gather_button.click()
    labels = [area.items_table.item(r, 0).text() for r in range(area.items_table.rowCount())]
    assert sum(label.startswith("Request MSR-2026-") for label in labels) == 3
    area.select_item("from HMRC")
    assert area.consult_button.isEnabled()

    def refused(dialog):
        dialog.accept_button.click()
        seen["refused"] = dialog.summary.messages()
        dialog.reject()

    area.disclose_button.click()
    act(area, refused)
    assert seen["refused"] == ["Consult the partner that supplied it first (12.2)"]

    def consult(dialog):
        dialog.via.setCurrentIndex(dialog.via.findData("telephone"))
        dialog.who.setText("HMRC SPOC via the switchboard")
        dialog.answer.setPlainText("Disclose with third parties redacted")
        dialog.accept_button.click()

    area.consult_button.click()
    act(area, consult)
    area.select_item("from HMRC")
    area.disclose_button.click()
    act(area, lambda dialog: dialog.accept_button.click())
    item = next(i for i in area.current.items if "HMRC" in i.label and i.item_type == "response")
    assert item.decision == "disclose" and item.consulted_via == "telephone"
    area.select_item("from HMRC")
    assert sa.THIRD_PARTY in area.item_detail.text() and "Nguyễn" not in area.item_detail.text()

    area.select_item("Subject record")

    def withhold(dialog):
        dialog.accept_button.click()
        seen["withhold"] = dialog.summary.messages()
        dialog.exemption.setCurrentIndex(dialog.exemption.findData("dpa-sch2-p1-2"))
        dialog.accept_button.click()

    area.withhold_button.click()
    act(area, withhold)
    assert seen["withhold"] == ["Choose the exemption it is withheld under"]
    assert "Partner consulted (12.2)" in area.history.text()


def test_a_request_for_the_form_shows_the_appendix_2_instruction(qtbot, dpm):
    sa.log_request(dpm, {"kind": "foi", "received_on": dt.date.today().isoformat(), "requester_name": "A journalist",
                         "asks_for_request_form": True})
    area = make_area(qtbot, dpm)
    area.select("FOI-" + str(dt.date.today().year) + "-0001")
    assert area.request_form_warning.isVisible()
    assert area.request_form_warning.text().startswith("Consult the requesting force's Data Protection Officer first")
    assert "Force Data Protection Officer" in area.request_form_warning.text()
    assert "working days left" in area.clock.text()

    def record(dialog):
        dialog.kind.setCurrentIndex(dialog.kind.findData("dpo-consulted"))
        dialog.who.setText("Force DPO, Ripley, 101")
        dialog.text.setPlainText(HOSTILE)
        dialog.accept_button.click()

    area.record_button.click()
    act(area, record)
    assert area.request_form_warning.text().startswith("The requesting force's Data Protection Officer was consulted")
    assert HOSTILE in area.history.text()

    def clarify(dialog):
        dialog.kind.setCurrentIndex(dialog.kind.findData("clarification-requested"))
        dialog.accept_button.click()

    area.record_button.click()
    act(area, clarify)
    assert "Clock stopped: waiting for the requester's clarification" in area.clock.text()


def test_consult_the_originating_partner_by_package_and_answer_on_its_desk(qtbot, tmp_path):
    """Two desks through the real screens: the police DPM makes the consultation package for HMRC's
    response, HMRC's DPM sees the question and objects with an exemption, and the answer received
    on the police desk shows against the item, withheld under HMRC's exemption."""
    from app import consultations as co
    from app.exchange import packages
    from desk_helpers import trust_each_other

    police = make_desk(tmp_path / "dcon.vault", "DCON")
    hmrc = make_desk(tmp_path / "hmrc.vault", "HMRC")
    trust_each_other(police, hmrc)
    out = tmp_path / "out"
    out.mkdir()
    request = rq.create_request(police, request_data())
    [sent] = packages.send(police, request.reference, ["HMRC"], out)
    packages.receive(hmrc, sent.path, receipt_out=out)
    held = rq.get_request(hmrc, request.reference)
    rs.record_response(hmrc, held.dispatches[0].id, response_data(responder_role="HMRC SPOC"))
    [back] = packages.send(hmrc, f"{request.reference}/HMRC", None, out)
    packages.receive(police, back.path, receipt_out=out)
    ion = next(s for s in request.subjects if s.name == "Ion Popescu")
    police, hmrc = reopen_as(police, "dana", "dpm"), reopen_as(hmrc, "harriet", "dpm")
    try:
        sar = sa.log_request(police, {"kind": "sar-gdpr", "received_on": dt.date.today().isoformat(),
                                      "requester_name": "Ion Popescu", "subject_ids": [ion.id]})
        sa.gather_items(police, sar.reference)
        area = make_area(qtbot, police)
        assert not area.questions_box.isVisible()  # nobody has asked this desk anything
        area.select(sar.reference)
        area.select_item("from HMRC")
        assert area.package_button.isEnabled()
        area.package_button.click()

        def make(dialog):
            dialog.question.setPlainText(HOSTILE)
            dialog.folder.setText(str(out))
            dialog.accept_button.click()

        act(area, make)
        assert area.status.text().startswith(f"Package {sar.reference}_consult_DCON_to_HMRC_")
        area.select_item("from HMRC")
        row = next(r for r in range(area.items_table.rowCount()) if "from HMRC" in area.items_table.item(r, 0).text())
        assert "awaiting the answer" in area.items_table.item(row, 3).text()
        assert not area.package_button.isEnabled()  # one question at a time
        [package] = out.glob(f"{sar.reference}_consult_*")

        partner = make_area(qtbot, hmrc)
        packages.receive(hmrc, package)
        partner.refresh()
        assert partner.questions_box.isVisible() and partner.questions.rowCount() == 1
        assert partner.questions.item(0, 4).text() == "NOT ANSWERED YET"
        partner.questions.selectRow(0)
        assert HOSTILE in partner.question_detail.text()
        assert partner.question_detail.textFormat() == Qt.TextFormat.PlainText
        partner.answer_button.click()
        seen = {}

        def answer(dialog):
            dialog.answer.setCurrentIndex(dialog.answer.findData("objects"))
            dialog.folder.setText(str(out))
            dialog.accept_button.click()
            seen["messages"] = dialog.summary.messages()
            dialog.exemption.setCurrentIndex(dialog.exemption.findData("dpa-sch2-p1-2"))
            dialog.reason.setPlainText("It would prejudice an open HMRC investigation")
            dialog.accept_button.click()

        act(partner, answer)
        assert seen["messages"] == ["Choose the exemption that applies",
                                    "Say why disclosure would prejudice your interests"]
        assert partner.question_status.text().startswith("Answer package ")
        assert partner.questions.item(0, 4).text().startswith("Objects to disclosure: DPA 2018 Sch 2 Pt 1 para 2")
        [reply] = out.glob(f"{sar.reference}_consult_answer_*")
        packages.receive(police, reply)
        area.refresh()
        area.select(sar.reference)
        row = next(r for r in range(area.items_table.rowCount()) if "from HMRC" in area.items_table.item(r, 0).text())
        assert area.items_table.item(row, 2).text() == "Withhold: dpa-sch2-p1-2"
        assert "Sealed package to the partner's desk: Objects to disclosure" in area.items_table.item(row, 3).text()
        assert co.consultations_of(police, sar.id)[0].answered
    finally:
        for vault in (police, hmrc):
            if vault.is_open:
                vault.close()
