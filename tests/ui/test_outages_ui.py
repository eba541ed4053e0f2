"""Equipment malfunction on screen (10.2): the partner page records the channel down with the
alternative, each signatory informed and the repair; Send then offers the alternative in words and
the dispatch says it went that way."""

from __future__ import annotations

import pytest

from app import outages
from app import requests as rq
from desk_helpers import make_desk, request_data
from fake_session import FakeSession
from ui.partners.area import PartnersArea
from ui.qt import QtCore, Qt, QtWidgets
from ui.requests.area import RequestsArea
from ui.requests.view import SendDialog

HOSTILE = "<b>bold</b> & <a href='x'>x</a> \u202eRTL"


@pytest.fixture
def spoc(tmp_path):
    vault = make_desk(tmp_path / "dcon.vault")
    yield vault
    QtCore.QThreadPool.globalInstance().waitForDone(30_000)
    if vault.is_open:
        vault.close()


def test_record_down_inform_and_repair_from_the_partner_page(qtbot, spoc):
    area = PartnersArea(FakeSession(spoc))
    qtbot.addWidget(area)
    area.resize(1100, 900)
    area.show()
    area.refresh()
    area.select_partner("DWP")
    section = area.outage_section
    assert "No malfunction recorded" in section.state.text()
    assert section.down_button.isEnabled() and not section.repair_button.isEnabled()
    dialog = section.record_down()
    qtbot.addWidget(dialog)
    dialog.submit()
    assert dialog.isVisible() and dialog.summary.messages() == [
        "Choose the channel that is down",
        "Choose the alternative form of exchange from the agreement's channels or the telephone",
        "Enter what has failed (for example the secure e-mail gateway)"]
    dialog.channel.setCurrentIndex(dialog.channel.findData("government-connect"))
    dialog.fallback.setCurrentIndex(dialog.fallback.findData("telephone"))
    dialog.what.setPlainText(HOSTILE)
    dialog.submit()
    assert not dialog.isVisible()
    text = section.state.text()
    assert text.startswith("DOWN since") and HOSTILE in text and "Send uses: Telephone" in text
    assert section.state.textFormat() == Qt.TextFormat.PlainText
    notice = section.record_notice()
    qtbot.addWidget(notice)
    notice.partner.setCurrentIndex(notice.partner.findData("HMRC"))
    notice.signatory.setText(HOSTILE)
    notice.how.setText("Telephone via the switchboard")
    notice.submit()
    assert f"HM Revenue & Customs: {HOSTILE}, by Telephone via the switchboard" in section.state.text()
    assert "Signatories informed (1 of" in section.state.text()
    repair = section.record_repair()
    qtbot.addWidget(repair)
    repair.submit()
    assert repair.summary.messages() == ["Enter what was repaired and how it was checked"]
    repair.note.setPlainText("Gateway certificate renewed; test mail received")
    repair.submit()
    assert "No malfunction recorded" in section.state.text() and outages.current(spoc, "DWP") is None


def test_send_offers_the_alternative_and_the_dispatch_says_so(qtbot, spoc):
    outages.record_outage(spoc, {"partner": "DWP", "channel": "government-connect", "fallback": "telephone",
                                 "what": "Gateway down"})
    request = rq.create_request(spoc, request_data())
    rq.add_agencies(spoc, request.id, ["DWP"])
    area = RequestsArea(FakeSession(spoc))
    qtbot.addWidget(area)
    area.show()
    area.open_request(request.id)
    dialog = area.view.confirm_send()
    qtbot.addWidget(dialog)
    assert isinstance(dialog, SendDialog)
    box = next(b for t, b in dialog.checks.items() if t == "DWP")
    assert box.text().endswith("— by Telephone, with the identity check of clause 9.5 (the telephone log)")
    assert dialog.alternatives["DWP"].text().startswith("The alternative while Government Connect (GC) is down (10.2)")
    assert "HMRC" not in dialog.alternatives
    for target, check in dialog.checks.items():
        check.setChecked(target == "DWP")
    area.view._send_chosen(dialog)
    assert "Give the information by telephone now and log the call" in area.view.notice.text()
    dwp = next(d for d in rq.get_request(spoc, request.id).dispatches if d.agency == "DWP")
    assert dwp.status == "sent" and dwp.channel == "telephone"
    area.view.select_dispatch(dwp.id)
    texts = [label.text() for label in area.view.detail_box.findChildren(QtWidgets.QLabel)]
    assert any(t.startswith("Sent by Telephone") and "while Government Connect" in t for t in texts)
