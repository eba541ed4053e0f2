"""Two desks through the screens (issue 15): cards saved and trusted after the telephone check,
a request sealed for DWP, received there with a receipt, the receipt marking it delivered; a
wrong fingerprint and a tampered package refused with nothing written."""

from __future__ import annotations

import pytest

from app import requests as rq
from app.exchange import desks
from desk_helpers import make_desk, request_data
from fake_session import FakeSession
from ui.exchange.packages import receive_package
from ui.partners.area import PartnersArea
from ui.qt import Qt, QtWidgets
from ui.requests.area import RequestsArea


@pytest.fixture
def two_desks(tmp_path):
    police = make_desk(tmp_path / "dcon.vault", agency="DCON")
    dwp = make_desk(tmp_path / "dwp.vault", agency="DWP")
    yield police, dwp
    for vault in (police, dwp):
        if vault.is_open:
            vault.close()


def save_card(qtbot, vault, path):
    area = PartnersArea(FakeSession(vault))
    qtbot.addWidget(area)
    area.refresh()
    dialog = area.show_this_desk()
    qtbot.addWidget(dialog)
    page = dialog.page
    assert page.fingerprint.text().split() == desks.fingerprint(desks.desk_card(vault)).split()
    assert page.fingerprint.text().count("\n") == 1          # two rows of four groups, to read aloud
    assert page.fingerprint.textFormat() == Qt.TextFormat.PlainText
    assert page.save_card(str(path)) == str(path)
    assert "read them the fingerprint" in page.status.text()
    assert path.stat().st_mode & 0o077 == 0
    return " ".join(page.fingerprint.text().split())


def trust(qtbot, vault, partner_code, card_path, read_back):
    area = PartnersArea(FakeSession(vault))
    qtbot.addWidget(area)
    area.refresh()
    area.select_partner(partner_code)
    section = area.desk_section
    assert "No card trusted yet" in section.state.text()
    dialog = section.trust_card(str(card_path))
    qtbot.addWidget(dialog)
    dialog.read_back.setText(read_back)
    dialog.via.setText("0800 000 0000 (switchboard)")
    dialog.submit()
    return area, dialog


def test_two_desks_exchange_a_request_and_its_receipt_through_the_screens(qtbot, two_desks, tmp_path):
    police, dwp = two_desks
    police_fp = save_card(qtbot, police, tmp_path / "dcon.card.json")
    dwp_fp = save_card(qtbot, dwp, tmp_path / "dwp.card.json")

    # A fingerprint read back wrongly is refused in words and trusts nothing.
    wrong = dwp_fp[:-1] + ("1" if dwp_fp[-1] != "1" else "2")
    area, dialog = trust(qtbot, police, "DWP", tmp_path / "dwp.card.json", wrong)
    assert dialog.isVisible() and "does not match" in " ".join(dialog.summary.messages())
    assert desks.partner_desks(police) == []
    dialog.read_back.setText(dwp_fp)
    dialog.submit()
    assert "Trusted. Fingerprint " + dwp_fp in area.desk_section.state.text()
    assert "0800 000 0000" in area.desk_section.state.text()
    trust(qtbot, dwp, "DCON", tmp_path / "dcon.card.json", police_fp)

    # The police SPOC sends: the package is made, and the screen says so (not "sent").
    request = rq.create_request(police, request_data())
    rq.add_agencies(police, request.id, ["DWP"])
    requests_area = RequestsArea(FakeSession(police))
    qtbot.addWidget(requests_area)
    requests_area.open_request(request.id)
    view = requests_area.view
    send_dialog = view.confirm_send()
    qtbot.mouseClick(send_dialog.send_button, Qt.MouseButton.LeftButton)
    made_dialog = view.dialog
    qtbot.addWidget(made_dialog)
    out = tmp_path / "outbox"
    out.mkdir()
    made_dialog.folder.setText(str(out))
    with qtbot.waitSignal(made_dialog.made, timeout=10_000):
        qtbot.mouseClick(made_dialog.make_button, Qt.MouseButton.LeftButton)
    (package,) = made_dialog.result
    assert package.path.parent == out and request.reference in package.file_name
    assert "Popescu" not in package.file_name
    assert view.table.item(0, 1).text().startswith("Package made")

    # A tampered copy is refused at the DWP desk with nothing written.
    tampered = tmp_path / "tampered.spocpkg"
    data = bytearray(package.path.read_bytes())
    data[len(data) // 2] ^= 0x01
    tampered.write_bytes(bytes(data))
    before = dwp.chain_head().seq
    refused = receive_package(None, FakeSession(dwp), tampered)
    qtbot.addWidget(refused)
    qtbot.waitUntil(lambda: refused.close_button.isEnabled(), timeout=10_000)
    assert "Nothing was written" in refused.message.text() and refused.result is None
    assert dwp.db.scalar("SELECT count(*) FROM requests") == 0
    assert dwp.chain_head().seq == before       # not even an audit event

    # The real package arrives, says what it is in words, and writes a receipt.
    received = receive_package(None, FakeSession(dwp), package.path)
    qtbot.addWidget(received)
    with qtbot.waitSignal(received.received, timeout=10_000):
        pass
    assert received.message.text().startswith(f"Request {request.reference} from Derbyshire Constabulary")
    assert received.open_button.isVisibleTo(received) and received.folder_button.isVisibleTo(received)
    receipt = received.result.receipt_path
    assert receipt is not None and receipt.exists()
    assert rq.get_request(dwp, request.reference).reference == request.reference

    # Again: already received, nothing changes, and it says when.
    again = receive_package(None, FakeSession(dwp), package.path)
    qtbot.addWidget(again)
    with qtbot.waitSignal(again.received, timeout=10_000):
        pass
    assert "already received" in again.message.text()

    # The receipt marks the police desk's dispatch delivered.
    back = receive_package(None, FakeSession(police), receipt)
    qtbot.addWidget(back)
    with qtbot.waitSignal(back.received, timeout=10_000):
        pass
    view.reload()
    assert view.table.item(0, 1).text().startswith("Delivered")


def test_a_card_that_is_not_a_card_is_refused_in_words(qtbot, two_desks, tmp_path):
    police, _dwp = two_desks
    junk = tmp_path / "junk.card.json"
    junk.write_text('{"format": "something else"}', encoding="utf-8")
    area = PartnersArea(FakeSession(police))
    qtbot.addWidget(area)
    area.refresh()
    area.select_partner("DWP")
    assert area.desk_section.trust_card(str(junk)) is None
    told = area.desk_section._dialog   # said without blocking: the message is open now
    assert isinstance(told, QtWidgets.QMessageBox) and told.isVisible()
    assert told.windowTitle() == "Not a desk card" and "card" in told.text().lower()
    told.button(QtWidgets.QMessageBox.StandardButton.Ok).click()
    assert not told.isVisible()
    assert desks.partner_desks(police) == []


def test_rotating_this_desks_keys_gives_a_new_card_and_fingerprint(qtbot, two_desks):
    police, _dwp = two_desks
    area = PartnersArea(FakeSession(police))
    qtbot.addWidget(area)
    area.refresh()
    page = area.show_this_desk().page
    before = page.fingerprint.text()
    box = page.rotate()
    qtbot.mouseClick(box.accept_button, Qt.MouseButton.LeftButton)
    assert page.fingerprint.text() != before
    assert page.fingerprint.text().split() == desks.fingerprint(desks.desk_card(police)).split()
    assert "card version 2" in page.status.text()


def test_a_telephone_call_is_logged_and_is_a_disclosure(qtbot, two_desks):
    from app import disclosures

    police, _dwp = two_desks
    area = PartnersArea(FakeSession(police))
    qtbot.addWidget(area)
    area.refresh()
    area.select_partner("DWP")
    dialog = area.desk_section.log_call()
    qtbot.addWidget(dialog)
    dialog.callee.setText("DWP duty SPOC")
    dialog.via.setText("0800 000 0000 (switchboard)")
    dialog.what.set_value("Confirmed <b>Ion Popescu</b>'s address")
    assert dialog.submit() is None and "identity" in " ".join(dialog.summary.messages())   # said, not logged
    assert "identity" in dialog.rows["identity"].error.text()
    dialog.identity.setText("Called back through the switchboard")
    call = dialog.submit()
    assert call is not None and call["via_number"] == "0800 000 0000 (switchboard)"
    rows = disclosures.list_disclosures(police, agency="DWP").items
    assert any(r.channel == "telephone" and r.to_agency == "DWP" for r in rows)
    assert "Last call logged" in area.desk_section.state.text()


def test_the_partner_page_lists_its_past_calls_newest_first_as_plain_text(qtbot, two_desks):
    police, _dwp = two_desks
    for what in ("First <b>call</b>", "Second call"):
        desks.log_call(police, direction="given", caller="PC Amber", callee="DWP duty SPOC", other_agency="DWP",
                       via="0800 000 0000 (switchboard)", identity_check="Called back", what=what)
    desks.log_call(police, direction="received", caller="HMRC SPOC", callee="PC Amber", other_agency="HMRC",
                   via="0300 200 3300", identity_check="Called back", what="Not for DWP's page")
    area = PartnersArea(FakeSession(police))
    qtbot.addWidget(area)
    area.refresh()
    area.select_partner("DWP")
    section = area.desk_section
    view = section.calls_table
    assert view.rowCount() == 2 and not view.isHidden()
    assert [view.item(r, 6).text() for r in range(2)] == ["Second call", "First <b>call</b>"]
    assert view.item(0, 1).text() == "We gave information"
    assert "2 calls with" in section.calls_caption.text()
    dialog = section.log_call()
    qtbot.addWidget(dialog)
    dialog.callee.setText("DWP duty SPOC")
    dialog.via.setText("0800 000 0000")
    dialog.identity.setText("Called back")
    dialog.what.set_value("Third call")
    assert dialog.submit() is not None
    assert view.rowCount() == 3 and view.item(0, 6).text() == "Third call"
    area.select_partner("NCA")
    assert "No calls with" in section.calls_caption.text() and section.calls_table.isHidden()
