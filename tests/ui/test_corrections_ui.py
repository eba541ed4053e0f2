"""Corrections (clause 7.2) through the real widgets: the police desk flags a date of birth HMRC gave
(the error summary first, hostile text kept as plain text), HMRC records the correction for the
notice and makes a package for each recipient, and the police desk's subject page and request view
then show "Corrected by HMRC on …: date of birth"; the DPM's home and the printed register."""

from __future__ import annotations

import datetime as _dt

import pytest

from app import corrections as cr
from app import requests as rq
from app.exchange import packages
from app.timeutil import london_zone
from desk_helpers import make_desk, reopen_as, request_data, trust_each_other
from fake_session import FakeSession
from ui.corrections.area import CorrectionsArea
from ui.home.area import HomeArea
from ui.qt import QtCore, QtWidgets
from ui.requests.view import RequestView
from ui.subjects.area import SubjectsArea

HOSTILE = "<b>bold</b> & \u202eevil\u202c " + "w" * 400


def on_open(holder, button, act) -> None:
    """Press `button`: the dialog `holder` opens does not block (no nested event loop), so the test
    goes on and acts on it while it is open; then the event loop runs, as after a real click (a
    widget added to a shown page shows from the event loop)."""
    button.click()
    assert holder.dialog.isVisible()
    act(holder.dialog)
    QtWidgets.QApplication.processEvents()


@pytest.fixture
def desks3(tmp_path):
    hmrc = make_desk(tmp_path / "hmrc.vault", "HMRC")
    police = make_desk(tmp_path / "dcon.vault", "DCON")
    nca = make_desk(tmp_path / "nca.vault", "NCA")
    trust_each_other(hmrc, police, nca)
    out = tmp_path / "out"
    out.mkdir()
    request = rq.create_request(hmrc, request_data())
    for desk, made in zip((police, nca), packages.send(hmrc, request.reference, ["DCON", "NCA"], out)):
        packages.receive(desk, made.path, receipt_out=out)
    sid = hmrc.db.scalar("SELECT id FROM subjects WHERE date_of_birth IS NOT NULL")
    yield hmrc, police, nca, out, request, sid
    QtCore.QThreadPool.globalInstance().waitForDone(30_000)
    for vault in (hmrc, police, nca):
        if vault.is_open:
            vault.close()


def shown(widget, qtbot):
    qtbot.addWidget(widget)
    widget.resize(1200, 900)
    widget.show()
    return widget


def note_texts(widget) -> list[str]:
    return [label.text() for label in widget.findChildren(QtWidgets.QLabel)
            if label.accessibleName() == "Correction" and label.isVisibleTo(widget)]


def test_flag_correct_and_see_the_corrected_by_note(qtbot, desks3):
    hmrc, police, _nca, out, request, sid = desks3

    # The police desk: HMRC's subject offers a flag, never a correction.
    subjects = shown(SubjectsArea(FakeSession(police)), qtbot)
    subjects.refresh()
    subjects.show_subject(sid)
    strip = subjects.correction_strip
    assert strip.flag_button.isVisibleTo(strip) and not strip.correct_button.isVisibleTo(strip)
    seen = {}

    def fill(dialog):
        dialog.accept_button.click()  # empty first: each field says what it needs
        seen["messages"] = dialog.summary.messages()
        assert "HM Revenue" in dialog.intro.text()
        dialog.field.setCurrentIndex(dialog.field.findData("date_of_birth"))
        dialog.problem.setCurrentIndex(dialog.problem.findData("inaccurate"))
        dialog.details.setPlainText(HOSTILE)
        dialog.suggested.setPlainText("12/05/1988")
        dialog.accept_button.click()

    on_open(strip, strip.flag_button, fill)
    assert seen["messages"] == ["Choose what is wrong: name, date of birth, aliases, addresses, description",
                                "Choose whether it is inaccurate, out of date or inadequate",
                                "Say what is wrong with it"]
    [notice] = cr.register(police, audit=False).notices
    assert notice.details == HOSTILE and notice.status == "to-send"
    assert notice.reference in subjects.correction_strip.said.text()

    # The corrections area seals the notice for HMRC's desk.
    area = shown(CorrectionsArea(FakeSession(police)), qtbot)
    area.refresh()
    area.folder.setText(str(out))
    area.select_notice(notice.reference)
    assert area.notice_package_button.isEnabled() and not area.correct_button.isEnabled()
    assert HOSTILE in area.notice_detail.text()  # shown as plain text, not markup
    area.notice_package_button.click()
    assert "Notice package made" in area.status.text()
    package = next(out.glob(f"{notice.reference}_correction-notice_DCON_to_HMRC*"))
    packages.receive(hmrc, package, receipt_out=out)

    # HMRC, the data controller, records the correction from the notice.
    dpm = reopen_as(hmrc, "dana", "dpm")
    controller = shown(CorrectionsArea(FakeSession(dpm)), qtbot)
    controller.refresh()
    controller.folder.setText(str(out))
    assert notice.reference in controller.outstanding.item(0, 0).text()
    controller.select_notice(notice.reference)
    assert controller.correct_button.isEnabled() and not controller.notice_package_button.isEnabled()

    def correct(dialog):
        seen["current"] = dialog.current.text()
        seen["prefilled"] = dialog.new_value.value()
        dialog.new_value.setPlainText("31/02/1988")
        dialog.reason.setPlainText("Passport checked.")
        dialog.accept_button.click()
        seen["bad"] = dialog.summary.messages()
        dialog.new_value.setPlainText("12/05/1988")
        dialog.accept_button.click()

    on_open(controller, controller.correct_button, correct)
    assert seen["current"] == "Current value: 12/04/1988" and seen["prefilled"] == "12/04/1988"
    assert seen["bad"] == ["The corrected date of birth must be a real date, like 27/3/2026"]
    assert "DCON, NCA" in controller.status.text()
    row = [controller.corrections.item(0, c).text() for c in range(controller.corrections.columnCount())]
    assert row[3] == "12/04/1988" and row[4] == "12/05/1988"  # the old value, labelled not current
    assert "DCON: Correction package to make" in row[6] and "NCA: Correction package to make" in row[6]
    assert controller.packages_button.isEnabled()
    controller.packages_button.click()
    assert "2 correction packages made" in controller.status.text()
    assert not controller.packages_button.isEnabled()

    # The police desk applies it on receipt: its pages say so.
    to_police = next(out.glob("COR-*_correction_HMRC_to_DCON*"))
    packages.receive(police, to_police, receipt_out=out)
    subjects.show_subject(sid)
    today = _dt.datetime.now(_dt.timezone.utc).astimezone(london_zone()).strftime("%d/%m/%Y")
    assert note_texts(subjects) == [f"Corrected by HMRC on {today}: date of birth"]
    assert "Date of birth: 12/05/1988" in subjects.details.text()
    view = shown(RequestView(FakeSession(police)), qtbot)
    view.load(request.id)
    qtbot.waitUntil(lambda: f"Corrected by HMRC on {today}: date of birth" in note_texts(view), timeout=5_000)
    area.refresh()
    assert any("Applied here from HMRC" in area.corrections.item(r, 6).text()
               for r in range(area.corrections.rowCount()))
    dpm.close()


def test_the_controller_corrects_its_own_record_from_the_subject_page(qtbot, desks3):
    hmrc, _police, _nca, _out, _request, sid = desks3
    subjects = shown(SubjectsArea(FakeSession(hmrc)), qtbot)
    subjects.refresh()
    subjects.show_subject(sid)
    strip = subjects.correction_strip
    assert strip.correct_button.isVisibleTo(strip)

    def correct(dialog):
        dialog.field.setCurrentIndex(dialog.field.findData("name"))
        dialog.new_value.setPlainText(HOSTILE[:200])
        dialog.reason.setPlainText(HOSTILE)
        dialog.accept_button.click()

    on_open(strip, strip.correct_button, correct)
    assert hmrc.db.scalar("SELECT name FROM subjects WHERE id = ?", (sid,)) == HOSTILE[:200]
    assert subjects.heading.text().startswith("<b>bold</b>")  # plain text
    assert len(note_texts(subjects)) == 1 and note_texts(subjects)[0].endswith(": name")


def test_the_dpm_home_shows_corrections_outstanding_by_age_and_the_register_prints(qtbot, desks3):
    hmrc, _police, _nca, _out, _request, sid = desks3
    cr.flag(hmrc, {"item_type": "subject", "item_id": sid, "field": "name", "problem": "out-of-date",
                   "details": "Changed by deed poll."})
    dpm = reopen_as(hmrc, "dana", "dpm")

    class HomeSession(FakeSession):
        user = dpm.user
        agency_name = "HM Revenue and Customs"
        role_title = "Data Protection Manager"

    home = shown(HomeArea(HomeSession(dpm)), qtbot)
    home.refresh()
    [card] = [c for c in home.shown_cards if c.title == "Corrections outstanding (clause 7.2)"]
    [link] = card.links
    assert "correct the name" in link.text and link.text.endswith(": 0 days old")

    area = shown(CorrectionsArea(FakeSession(dpm)), qtbot)
    area.refresh()
    busy = area.print_register()
    qtbot.waitUntil(lambda: getattr(busy, "preview", None) is not None, timeout=30_000)
    assert busy.preview.report.kind == "corrections" and busy.preview.report.page_count >= 1
    busy.preview.close()
    dpm.close()


def test_a_response_from_a_partner_offers_a_flag_and_shows_its_correction(qtbot, tmp_path):
    from app import responses as rs
    from desk_helpers import response_data

    hmrc = make_desk(tmp_path / "hmrc.vault", "HMRC")
    police = make_desk(tmp_path / "dcon.vault", "DCON")
    trust_each_other(hmrc, police)
    try:
        asked = rq.create_request(police, request_data())
        [made] = packages.send(police, asked.reference, ["HMRC"], tmp_path)
        packages.receive(hmrc, made.path, receipt_out=tmp_path)
        dispatch = rq.get_request(hmrc, asked.id).dispatches[0]
        answer = rs.record_response(hmrc, dispatch.id, response_data())
        [back] = packages.send(hmrc, f"{asked.reference}/HMRC", None, tmp_path)
        packages.receive(police, back.path, receipt_out=tmp_path)

        view = shown(RequestView(FakeSession(police)), qtbot)
        view.load(asked.id)
        view.select_dispatch(dispatch.id)
        strip = view.correction_strips[("response", answer.id)]
        assert strip.flag_button.isVisibleTo(strip) and not strip.correct_button.isVisibleTo(strip)

        def fill(dialog):
            dialog.field.setCurrentIndex(dialog.field.findData("disclosed_text"))
            dialog.problem.setCurrentIndex(dialog.problem.findData("out-of-date"))
            dialog.details.setPlainText("Left Example Ltd in March.")
            dialog.accept_button.click()

        on_open(strip, strip.flag_button, fill)
        assert "Flagged as CN-DCON-2026-0001" in view.notice.text()  # said after the view reloads
        [notice] = cr.register(police, audit=False).notices
        assert (notice.item_type, notice.field, notice.controller) == ("response", "disclosed_text", "HMRC")

        packages.receive(hmrc, cr.make_notice_package(police, notice.id, tmp_path).path, receipt_out=tmp_path)
        correction = cr.record_correction(hmrc, {"item_type": "response", "item_id": answer.id,
                                                 "field": "disclosed_text", "new_value": "Employed by Other Ltd.",
                                                 "reason": "Records updated."})
        [package] = cr.make_correction_packages(hmrc, correction.id, tmp_path)
        packages.receive(police, package.path, receipt_out=tmp_path)
        view.reload()
        view.select_dispatch(dispatch.id)
        qtbot.waitUntil(lambda: any(t.endswith(": information disclosed") for t in note_texts(view)), timeout=5_000)
    finally:
        QtCore.QThreadPool.globalInstance().waitForDone(30_000)
        hmrc.close()
        police.close()
