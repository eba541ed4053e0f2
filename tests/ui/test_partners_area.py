"""The partners directory: partners, channels and suffixes, this desk's contacts, warnings."""

from __future__ import annotations

import pytest

from app import contacts, suspensions
from desk_helpers import make_desk, reopen_as
from ui.partners.area import PartnersArea
from ui.qt import Qt
from fake_session import FakeSession


@pytest.fixture
def admin(tmp_path):
    vault = make_desk(tmp_path / "dcc.vault", agency="DCC", role="admin")
    yield vault
    if vault.is_open:
        vault.close()


def make_area(qtbot, vault) -> PartnersArea:
    area = PartnersArea(FakeSession(vault))
    qtbot.addWidget(area)
    area.resize(1100, 800)
    area.show()
    area.refresh()
    return area


def test_partners_with_channels_and_suffixes(qtbot, admin):
    area = make_area(qtbot, admin)
    assert area.partner_list.count() == 12
    area.select_partner("DHCFT")
    assert area.partner_title.text() == "Derbyshire Healthcare NHS Foundation Trust"
    assert "nhs.net: @nhs.net" in area.channels.text()
    assert "@pnn.police.uk" in area.channels.text()
    area.select_partner("DCC")
    assert "Community Safety & Integration Service — SPOC team" in area.teams.text()
    assert area.no_contacts.isVisible()


def test_wrong_email_suffix_is_warned_in_words(qtbot, admin):
    area = make_area(qtbot, admin)
    area.select_partner("HMRC")
    qtbot.mouseClick(area.add_button, Qt.MouseButton.LeftButton)
    form = area.form
    assert form.isVisible()
    qtbot.keyClicks(form.name, "Sam <b>Khan</b>")
    form.channel.setCurrentIndex(form.channel.findData("cjsm"))
    qtbot.keyClicks(form.email, "sam.khan@gmail.com")
    assert form.email_warning.isVisible()
    assert form.email_warning.text().startswith("Warning: sam.khan@gmail.com does not end with an address")
    assert "@pnn.police.uk" in form.email_warning.text()
    form.email.setText("sam.khan@hmrc.gsi.gov.uk")
    assert not form.email_warning.isVisible()
    form.email.setText("sam.khan@gmail.com")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert not form.isVisible()
    assert area.table.rowCount() == 1
    assert area.table.item(0, 0).text() == "Sam <b>Khan</b>"
    assert area.table.item(0, 6).text() == "Warning: check the e-mail address"
    assert area.contact_warnings.isVisible() and "gmail.com" in area.contact_warnings.text()
    assert "Warning:" in area.status.text()

    # Edit: fix the address; the warning goes.
    area.select_contact("Sam <b>Khan</b>")
    qtbot.mouseClick(area.edit_button, Qt.MouseButton.LeftButton)
    assert form.name.text() == "Sam <b>Khan</b>"
    form.email.setText("sam.khan@hmrc.pnn.police.uk")
    form.submit()
    assert area.table.item(0, 6).text() == "OK" and not area.contact_warnings.isVisible()
    # Deactivate after saying what it does.
    area.select_contact("Sam <b>Khan</b>")
    box = area.deactivate_selected()
    assert "Deactivate Sam <b>Khan</b> of HM Revenue & Customs?" in box.text()
    qtbot.mouseClick(box.accept_button, Qt.MouseButton.LeftButton)
    assert area.table.rowCount() == 0
    assert contacts.list_contacts(admin, "HMRC") == []


def test_contact_form_shows_problems(qtbot, admin):
    area = make_area(qtbot, admin)
    area.select_partner("NCA")
    area.add_contact()
    area.form.email.setText("not an address")
    assert area.form.submit() is None
    assert area.form.summary.messages() == [
        "Enter the contact's name",
        "Enter an e-mail address in the correct format, like name@example.pnn.police.uk"]
    assert area.form.rows["name"].error.text() == "Enter the contact's name"


def test_suspended_partner_shown_with_reason_and_date(qtbot, admin):
    suspensions.suspend(admin, "GLAA", "Serious breach under investigation")
    area = make_area(qtbot, admin)
    area.select_partner("GLAA")
    item = area.partner_list.currentItem()
    assert item.text().endswith("SUSPENDED")
    assert area.suspended.isVisible()
    text = area.suspended.text()
    assert text.startswith("Suspended since ") and "Serious breach under investigation" in text
    assert "(clause 13.2)" in text


def test_spoc_reads_but_cannot_change(qtbot, admin):
    spoc = reopen_as(admin, "pat", "spoc")
    area = make_area(qtbot, spoc)
    assert not area.add_button.isVisible() and not area.can_manage
    assert PartnersArea.permission == "contacts.read"
    spoc.close()
