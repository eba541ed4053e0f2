"""The Retention area, driven through its real widgets: the queue oldest first, disposal that lists
what will go and whom to tell before it happens (and Cancel disposes of nothing), keep-until
with its error summary, legal hold with hostile text, and the certificate listed afterwards."""

from __future__ import annotations

import pytest

from app import requests as rq
from app import retention
from desk_helpers import make_desk, reopen_as, request_data
from fake_session import FakeSession
from ui.qt import QtWidgets
from ui.retention.area import DisposeDialog, RetentionArea

HOSTILE = "<b>bold</b> \u202eevil\u202c " + "y" * 300


def act(area, on_dialog) -> None:
    """Act on the dialog the area has just opened: it opens window-modal with open(), never a
    nested event loop, so the test goes on at once with the dialog showing."""
    assert area.dialog.isVisible() and area.dialog.isModal()
    on_dialog(area.dialog)


@pytest.fixture
def dpm(tmp_path):
    vault = make_desk(tmp_path / "dcon.vault")
    for n, closed in enumerate(("2023-05-01", "2023-03-01", "2023-04-01")):
        request = rq.create_request(vault, request_data(information=f"Request {n}"))
        if n == 0:
            rq.add_agencies(vault, request.id, ["HMRC"])
            rq.send_to_agencies(vault, request.id, ["HMRC"])
        rq.close_request(vault, request.id)
        with vault.db.transaction():
            vault.db.execute("UPDATE requests SET updated_at = ? WHERE id = ?", (f"{closed}T10:00:00+00:00", request.id))
    vault = reopen_as(vault, "dana", "dpm")
    yield vault
    if vault.is_open:
        vault.close()


def make_area(qtbot, vault) -> RetentionArea:
    area = RetentionArea(FakeSession(vault))
    qtbot.addWidget(area)
    area.show()
    area.refresh()
    return area


def refs(area) -> list[str]:
    return [area.table.item(r, 0).text() for r in range(area.table.rowCount())]


def test_queue_oldest_first_and_dispose_lists_before_it_acts(qtbot, dpm):
    area = make_area(qtbot, dpm)
    assert refs(area) == ["MSR-2026-0002", "MSR-2026-0003", "MSR-2026-0001"]
    assert "3 due for review" in area.counts.text()
    assert not area.dispose_button.isEnabled()
    area.select("MSR-2026-0001", "MSR-2026-0002")
    assert area.dispose_button.isEnabled() and not area.keep_button.isEnabled()  # keep is for one record

    seen = {}

    def cancel(dialog: DisposeDialog):
        seen["rows"] = [dialog.listing.item(i).text() for i in range(dialog.listing.count())]
        seen["partners"] = dialog.partners.text()
        seen["default"] = dialog.cancel_button.isDefault()
        dialog.cancel_button.click()

    area.dispose_button.click()
    act(area, cancel)
    assert sorted(r.split(":")[0] for r in seen["rows"]) == ["MSR-2026-0001", "MSR-2026-0002"]
    assert "HM Revenue" in seen["partners"] and seen["default"]
    assert area.status.text() == "Nothing was disposed of."
    assert dpm.db.scalar("SELECT count(*) FROM requests") == 3

    area.dispose_button.click()
    act(area, lambda dialog: dialog.dispose_button.click())
    qtbot.waitUntil(lambda: "certificate DC-2026-0001" in area.status.text(), timeout=20_000)
    assert "HMRC" in area.status.text()
    assert refs(area) == ["MSR-2026-0003"]
    assert area.certificates.rowCount() == 1 and area.certificates.item(0, 0).text() == "DC-2026-0001"


def test_keep_until_says_what_is_missing_then_keeps(qtbot, dpm):
    area = make_area(qtbot, dpm)
    area.select("MSR-2026-0003")
    seen = {}

    def empty_then_fill(dialog):
        dialog.accept_button.click()
        seen["messages"] = dialog.summary.messages()
        seen["field_error"] = dialog.rows["until"].error.text()
        dialog.until.setText("1/1/2040")
        dialog.reason.setPlainText(HOSTILE)
        dialog.accept_button.click()

    area.keep_button.click()
    act(area, empty_then_fill)
    assert seen["messages"] == ["Enter the date to keep it until", "Enter why it is kept"]
    assert seen["field_error"] == "Enter the date to keep it until"
    assert "MSR-2026-0003 is kept." == area.status.text()
    area.show_filter.setCurrentIndex(area.show_filter.findData("kept"))
    assert refs(area) == ["MSR-2026-0003"] and "Kept until 01/01/2040" in area.table.item(0, 5).text()
    assert retention.decisions_of(dpm, "MSR-2026-0003")[-1].reason == HOSTILE


def test_legal_hold_and_release(qtbot, dpm):
    area = make_area(qtbot, dpm)
    area.select("MSR-2026-0001")

    def hold(dialog):
        dialog.code.setCurrentIndex(dialog.code.findData("other"))
        dialog.accept_button.click()
        assert dialog.summary.messages() == ["Say which legal reason holds it"]
        dialog.reason.setPlainText(HOSTILE)
        dialog.accept_button.click()

    area.hold_button.click()
    act(area, hold)
    assert "MSR-2026-0001" not in refs(area)
    area.show_filter.setCurrentIndex(area.show_filter.findData("held"))
    assert refs(area) == ["MSR-2026-0001"]
    area.select("MSR-2026-0001")
    area.release_button.click()
    act(area, lambda dialog: dialog.accept_button.click())
    area.show_filter.setCurrentIndex(area.show_filter.findData("due"))
    assert "MSR-2026-0001" in refs(area)


def test_rules_tab_shows_every_rule_and_its_source(qtbot, dpm):
    area = make_area(qtbot, dpm)
    rows = {area.rules.item(r, 0).text(): [area.rules.item(r, c).text() for c in range(8)]
            for r in range(area.rules.rowCount())}
    assert rows["dcc-adult-care-files"][4] == "60 months" and "8.1" in rows["dcc-adult-care-files"][6]
    assert rows["desk-review"][7] == "Yes" and rows["dcc-adult-care-files"][7] == "No"
    assert all(isinstance(w, QtWidgets.QWidget) for w in (area.rules, area.certificates))


def test_dialogs_open_without_blocking_and_times_are_uk(qtbot, dpm):
    """Every dialog of the area opens window-modal and returns at once (no exec()): the button's
    click comes back with the dialog showing; certificates show dd/mm/yyyy HH:MM, London time."""
    area = make_area(qtbot, dpm)
    area.print_button.click()  # no certificate chosen or made yet: says so, without blocking
    assert area.dialog.isVisible() and "Choose a certificate first." in area.dialog.text()
    area.dialog.accept()
    area.select("MSR-2026-0002")
    for button in (area.keep_button, area.hold_button, area.release_button, area.event_button):
        button.click()
        assert area.dialog.isVisible() and area.dialog.isModal()
        area.dialog.cancel_button.click()
        assert not area.dialog.isVisible()
    assert area.status.text() == ""  # cancelled: nothing said, nothing done
    area.dispose_button.click()
    act(area, lambda dialog: dialog.dispose_button.click())
    qtbot.waitUntil(lambda: "certificate DC-2026-0001" in area.status.text(), timeout=20_000)
    import re

    assert re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", area.certificates.item(0, 1).text())
