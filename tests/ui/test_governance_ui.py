"""The Governance area and the users' approval and training (issue 20), driven through real widgets."""

from __future__ import annotations

import datetime as dt

import pytest

from app import governance
from desk_helpers import make_desk, reopen_as
from fake_session import FakeSession
from ui.governance.area import GovernanceArea

HOSTILE = "<b>bold</b> & \u202eevil\u202c"


def on_open(area, button, act) -> None:
    """Press `button`: its dialog opens without blocking (no nested event loop), so the test goes on
    and acts on the open dialog."""
    button.click()
    assert area.dialog.isVisible()
    act(area.dialog)


@pytest.fixture
def admin(tmp_path):
    vault = make_desk(tmp_path / "dcon.vault", role="admin")
    yield vault
    if vault.is_open:
        vault.close()


def make_area(qtbot, vault) -> GovernanceArea:
    area = GovernanceArea(FakeSession(vault))
    qtbot.addWidget(area)
    area.show()
    area.refresh()
    return area


def test_record_a_signatory_and_a_dispute_past_its_clock(qtbot, admin):
    area = make_area(qtbot, admin)
    seen = {}

    def sign(dialog):
        dialog.accept_button.click()
        seen["messages"] = dialog.summary.messages()
        dialog.partner.setCurrentIndex(dialog.partner.findData("DWP"))
        dialog.name.setText(HOSTILE)
        dialog.position.setText("Director")
        dialog.signed.set_date(dt.date(2024, 1, 10))
        dialog.accept_button.click()

    on_open(area, area.sign_button, sign)
    assert seen["messages"] == ["Enter the name of the person who signed", "Enter the position of the person who signed",
                                "Enter the date the agreement was signed"]
    row = next(r for r in range(area.signatories.rowCount()) if area.signatories.item(r, 0).text().startswith("Department"))
    assert area.signatories.item(row, 1).text() == HOSTILE
    assert area.signatories.item(row, 5).text() == "REVIEW OVERDUE"

    def dispute(dialog):
        dialog.partner.setCurrentIndex(dialog.partner.findData("HMRC"))
        dialog.raised_by.setCurrentIndex(dialog.raised_by.findData("partner"))
        dialog.about.set_value("Responses arrive late")
        dialog.raised.set_date(dt.date.today() - dt.timedelta(days=15))
        dialog.accept_button.click()

    on_open(area, area.raise_button, dispute)
    assert area.dispute_table.rowCount() == 1 and "OVERDUE" in area.dispute_table.item(0, 4).text()
    assert [d.partner for d in governance.overdue_disputes(admin)] == ["HMRC"]
    area.dispute_table.selectRow(0)
    assert area.close_button.isEnabled()

    def escalate(dialog):
        dialog.outcome.setCurrentIndex(dialog.outcome.findData("escalated"))
        dialog.note.set_value("To the chief officers' group")
        dialog.accept_button.click()

    on_open(area, area.close_button, escalate)
    assert "Escalated" in area.dispute_table.item(0, 4).text()
    area.dispute_table.selectRow(0)
    assert "About: Responses arrive late" in area.dispute_detail.text()
    assert "Escalated: To the chief officers' group" in area.dispute_detail.text()
    assert governance.overdue_disputes(admin) == []


def test_the_home_screen_shows_overdue_reviews_and_disputes(qtbot, admin):
    from ui.home.area import _due_lines
    from ui.home.cards import cards

    governance.set_signatory(admin, "DWP", {"name": "A", "position": "B", "signed_on": "2024-01-10"})
    governance.raise_dispute(admin, {"partner": "HMRC", "raised_by": "us", "about": "x",
                                     "raised_on": (dt.date.today() - dt.timedelta(days=11)).isoformat()})
    session = FakeSession(admin)
    session.user = admin.user
    shown = {c.title: [link.text for link in c.links] for c in cards(session)}
    assert shown["Agreement reviews overdue (clause 13.4)"][0].startswith("Department for Work and Pensions: signed")
    assert shown["Disputes past their clock (clause 13.3)"][0].startswith("DSP-")
    assert "OVERDUE" in shown["Disputes past their clock (clause 13.3)"][0]
    assert not any("13.3" in line or "13.4" in line for line in _due_lines(session))  # cards now, not lines


def test_users_screen_records_approval_and_training(qtbot, tmp_path):
    from ui.admin.users import UsersArea

    vault = make_desk(tmp_path / "d.vault", role="spoc")
    admin = reopen_as(vault, "alice")
    try:
        area = UsersArea(FakeSession(admin))
        qtbot.addWidget(area)
        area.show()
        area.refresh()
        area.select_user("bob")
        assert "approval not recorded" in area.standing.text()

        def fill(dialog):
            dialog.approved_by.setText(HOSTILE)
            dialog.approved_on.set_date(dt.date(2026, 1, 5))
            dialog.course.setText("Information sharing")
            dialog.trained_on.set_date(dt.date(2026, 1, 6))
            dialog.renewal.set_date(dt.date(2099, 1, 6))
            dialog.accept_button.click()

        dialog = area.edit_standing()
        assert dialog.isVisible()   # open, not blocking: the test fills it in
        fill(dialog)
        assert f"approved by {HOSTILE} on 05/01/2026" in area.standing.text()
        assert governance.standing(admin, "bob").renewal_due == "2099-01-06"
    finally:
        admin.close()


def test_the_compliance_report_previews_with_its_charts(qtbot, tmp_path):
    vault = make_desk(tmp_path / "dpm.vault", role="dpm")
    try:
        area = make_area(qtbot, vault)
        area.date_from.set_date(dt.date(2026, 1, 1))
        area.date_to.set_date(dt.date(2025, 1, 1))
        assert area.preview_compliance() is None and "before it starts" in area.status.text()
        area.date_to.set_date(dt.date(2026, 3, 31))
        from app import complaints

        complaints.create_complaint(vault, {"complainant_kind": "data-subject", "complainant": "Mrs Ana Pop",
                                            "agency": "DWP", "about": HOSTILE, "received_at": "01/02/2026 09:00",
                                            "received_how": "letter"})
        area.partner.setCurrentIndex(area.partner.findData("DWP"))
        busy = area.preview_compliance()
        qtbot.waitUntil(lambda: busy.preview is not None, timeout=20_000)
        assert busy.preview.report.reference == "COMPLIANCE-DWP-20260101-20260331"
        # The preview shows the same PDF as `report VAULT compliance`, with every section in it.
        import io

        from pypdf import PdfReader

        text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(busy.preview.report.data)).pages)
        for title in ("Chasing overdue answers (2.6)", "Onward disclosures and the consent they needed",
                      "Consents asked and answered", "Corrections and their delivery (7.2)",
                      "Complaints and the DPM clock (10.1)"):
            assert title in text, title
        assert "Complaints received in the period: 1 (" in text and "Mrs Ana Pop" not in text
        busy.preview.close()
        assert not area.sign_button.isEnabled() and area.raise_button.isEnabled()
    finally:
        vault.close()


def test_settings_show_the_agreement_and_who_the_approval_policy_would_refuse(qtbot, tmp_path):
    from app.policy import get_policy
    from ui.admin.settings import SettingsArea

    vault = make_desk(tmp_path / "d.vault", role="spoc")
    admin = reopen_as(vault, "alice")
    try:
        area = SettingsArea(FakeSession(admin))
        qtbot.addWidget(area)
        area.refresh()
        assert "SHA-256 of its file: " + governance.current_record(admin).sha256 in area.agreement.text()
        assert "cannot unlock while this is ticked: bob" in area.approval_effect.text()
        area.needs_approval.setChecked(True)
        assert area.save() and get_policy(admin).casework_needs_approval is True
        area.idle.setValue(9)  # saving another setting keeps it
        assert area.save() and get_policy(admin).casework_needs_approval is True
    finally:
        admin.close()
