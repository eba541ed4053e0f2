"""The Data Protection Manager's inline update forms (Breaches area: a breach's "Add to the record"
and a complaint's) never lose typing without asking (issue 17): switching area, choosing another
breach or complaint, and Back ask "Discard changes?" ("Keep editing" keeps the text and the
record shown); a lock keeps the typing as an encrypted draft that comes back, with its record, at
unlock; Record leaves the form clean; Home lists the kept update in words."""

from __future__ import annotations

import datetime as dt

import pytest

from app import breaches as br
from app import complaints as cp
from app.drafts import load_draft
from app.timeutil import LONDON
from app.users import add_user
from app.vault import Vault
from conftest import OTHER_PASSPHRASE, PASSPHRASE
from desk_helpers import make_desk, reopen_as
from PySide6.QtTest import QTest
from settle import settle
from test_shell import _all_visible_text, _flush_deletes
from ui.kit import guard
from ui.qt import QtCore, QtWidgets, Qt
from ui.shell.main_window import MainWindow
from ui.shell.session import Session

UTC = dt.timezone.utc
TYPED = "Told Dora Jones <b>&amp;</b> \u202eRTL\u202c by phone"


def local(hours_ago: float) -> str:
    return (dt.datetime.now(UTC) - dt.timedelta(hours=hours_ago)).astimezone(LONDON).strftime("%d/%m/%Y %H:%M")


def add_records(vault) -> None:
    """Two breaches (BR-2026-0001 overdue, BR-2026-0002) and two complaints, as a SPOC logs them."""
    br.create_breach(vault, {"reporter": "DC Lee", "agency": "DCON", "category": "device-loss",
                             "aware_at": local(30), "facts": "Lost phone", "containment": "Wiped"})
    br.create_breach(vault, {"reporter": "DC Lee", "agency": "DCON", "category": "security-incident",
                             "aware_at": local(1), "facts": "Phishing", "remedial": "Passwords reset"})
    cp.create_complaint(vault, {"complainant_kind": "staff", "complainant": "PC Jo Bloggs", "agency": "DCON",
                                "about": "A colleague read a file", "received_at": local(30),
                                "received_how": "letter"})
    cp.create_complaint(vault, {"complainant_kind": "staff", "complainant": "PC Al Smith", "agency": "DCON",
                                "about": "A file sent to the wrong team", "received_at": local(1),
                                "received_how": "in-person"})


@pytest.fixture
def dpm(tmp_path):
    spoc = make_desk(tmp_path / "dcon.vault", role="spoc")
    add_records(spoc)
    vault = reopen_as(spoc, "dora", "dpm")
    yield vault
    QtCore.QThreadPool.globalInstance().waitForDone(30_000)
    if vault.is_open:
        vault.close()


def main_window(qtbot, vault) -> MainWindow:
    from ui.shell.shell import default_areas

    main = MainWindow(Session(vault.path, vault), default_areas())
    qtbot.addWidget(main)
    main.resize(1400, 900)
    main.show()
    return main


def breaches_area(qtbot, main):
    assert main.show_area("breaches")
    area = main.area("breaches")
    settle(qtbot)
    return area


def question(widget) -> QtWidgets.QMessageBox:
    box = guard.open_question(widget)
    assert box is not None, "no Discard changes? question"
    assert box.windowTitle() == "Discard changes?"
    assert box.defaultButton() is box.keep_button and box.keep_button.text() == "Keep editing"
    return box


def keep_by_enter(box) -> None:
    QTest.keyClick(box, Qt.Key.Key_Return)
    assert not box.isVisible()


def row_of(area, reference: str) -> int:
    return next(r for r, b in enumerate(area.items) if b.reference == reference)


def type_breach_update(area, reference: str = "BR-2026-0001") -> None:
    area.select(reference)
    assert area.current.reference == reference
    area.form.set_kind("dpm-notified")
    area.form.inputs["who"].setText(TYPED)


# ---- the breach update form ------------------------------------------------------------------


def test_switching_area_with_a_typed_breach_update_asks_and_keep_editing_keeps_it(qtbot, dpm):
    main = main_window(qtbot, dpm)
    area = breaches_area(qtbot, main)
    type_breach_update(area)
    assert area.has_unsaved_changes()
    main.show_area("home")
    box = question(main)
    assert main.current_area_key() == "breaches"
    keep_by_enter(box)
    assert main.current_area_key() == "breaches"
    assert area.current.reference == "BR-2026-0001" and area.form.inputs["who"].text() == TYPED
    main.show_area("home")
    question(main).discard_button.click()
    assert main.current_area_key() == "home"
    assert area.form.inputs["who"].text() == "" and not area.has_unsaved_changes()


def test_choosing_another_breach_asks_and_keep_editing_stays_on_this_one(qtbot, dpm):
    main = main_window(qtbot, dpm)
    area = breaches_area(qtbot, main)
    type_breach_update(area)
    area.table.selectRow(row_of(area, "BR-2026-0002"))
    keep_by_enter(question(area))
    assert area.current.reference == "BR-2026-0001" and area.form.inputs["who"].text() == TYPED
    selected = area.table.selectionModel().selectedRows()
    assert [area.model.item(i.row()).reference for i in selected] == ["BR-2026-0001"]   # the list too
    area.table.selectRow(row_of(area, "BR-2026-0002"))
    question(area).discard_button.click()
    assert area.current.reference == "BR-2026-0002" and area.form.inputs["who"].text() == ""
    assert not area.has_unsaved_changes()
    area.form.set_kind("note")   # a kind alone is not input: choosing another asks nothing
    area.table.selectRow(row_of(area, "BR-2026-0001"))
    assert guard.open_question(area) is None and area.current.reference == "BR-2026-0001"


@pytest.mark.parametrize("how", ["alt-left", "escape"])
def test_back_from_a_typed_breach_update_asks(qtbot, dpm, how):
    main = main_window(qtbot, dpm)
    area = breaches_area(qtbot, main)
    type_breach_update(area)
    if how == "alt-left":
        main.back_action.trigger()
    else:
        main.activateWindow()
        area.form.inputs["who"].setFocus()
        qtbot.waitUntil(area.form.inputs["who"].hasFocus)
        QTest.keyClick(area.form.inputs["who"], Qt.Key.Key_Escape)
    keep_by_enter(question(area))
    assert area.current.reference == "BR-2026-0001" and area.form.isVisible()
    assert area.form.inputs["who"].text() == TYPED
    main.back_action.trigger()
    question(area).discard_button.click()
    assert area.current is None and area.empty.isVisible() and not area.has_unsaved_changes()


def test_record_leaves_the_breach_form_clean(qtbot, dpm):
    main = main_window(qtbot, dpm)
    area = breaches_area(qtbot, main)
    type_breach_update(area)
    assert area.has_unsaved_changes() and load_draft(dpm, "breaches") is None
    area._sync_kept_draft()   # as a lock and unlock leave it: a draft kept in the vault
    assert load_draft(dpm, "breaches") is not None
    assert area.form.submit() is not None
    settle(qtbot)
    assert not area.has_unsaved_changes() and area.draft_state() is None
    assert load_draft(dpm, "breaches") is None   # Home no longer offers to continue it
    main.show_area("home")
    assert guard.open_question(main) is None and main.current_area_key() == "home"
    assert TYPED in br.get_breach(dpm, "BR-2026-0001", audit=False).updates[-1].summary()


def test_the_draft_holds_the_breach_the_kind_and_every_value(qtbot, dpm):
    main = main_window(qtbot, dpm)
    area = breaches_area(qtbot, main)
    area.select("BR-2026-0002")
    area.form.set_kind("partners-notified")
    partners = area.form.inputs["partners"]
    partners.item(1).setCheckState(Qt.CheckState.Checked)
    area.form.inputs["note"].setPlainText("Phoned\nthen emailed")
    area.form.inputs["at"].setText("01/12/2026 09:00")
    state = area.draft_state()
    code = partners.item(1).data(Qt.ItemDataRole.UserRole)
    assert state["breach"] == {"id": area.current.id, "reference": "BR-2026-0002", "kind": "partners-notified",
                               "fields": {"partners": [code], "note": "Phoned\nthen emailed",
                                          "at": "01/12/2026 09:00"}}
    area.discard_changes()
    assert area.draft_state() is None and partners.item(1).checkState() == Qt.CheckState.Unchecked


# ---- the complaint update form ---------------------------------------------------------------


def complaints_page(area):
    area.tabs.setCurrentWidget(area.complaints)
    return area.complaints


def test_choosing_another_complaint_asks_and_record_leaves_it_clean(qtbot, dpm):
    main = main_window(qtbot, dpm)
    area = breaches_area(qtbot, main)
    page = complaints_page(area)
    page.select("CP-2026-0001")
    page.form.set_value("who", TYPED)
    assert area.has_unsaved_changes()
    other = next(r for r, c in enumerate(page.items) if c.reference == "CP-2026-0002")
    page.table.selectRow(other)
    keep_by_enter(question(area))
    assert page.current.reference == "CP-2026-0001" and page.form.value("who") == TYPED
    main.show_area("home")
    keep_by_enter(question(main))
    assert main.current_area_key() == "breaches" and page.form.value("who") == TYPED
    assert page.submit() is not None
    assert not area.has_unsaved_changes()
    page.table.selectRow(next(r for r, c in enumerate(page.items) if c.reference == "CP-2026-0002"))
    assert guard.open_question(area) is None and page.current.reference == "CP-2026-0002"


def test_back_from_a_typed_complaint_update_asks(qtbot, dpm):
    main = main_window(qtbot, dpm)
    area = breaches_area(qtbot, main)
    page = complaints_page(area)
    page.select("CP-2026-0002")
    page.form.set_value("kind", "note")
    page.form.set_value("text", TYPED)
    main.back_action.trigger()
    keep_by_enter(question(area))
    assert page.current.reference == "CP-2026-0002" and page.form.value("text") == TYPED
    main.back_action.trigger()
    question(area).discard_button.click()
    assert page.current is None and page.form.value("text") == "" and not area.has_unsaved_changes()


# ---- over a lock: the real shell -------------------------------------------------------------


@pytest.fixture
def desk(qtbot, closed_vault, make_shell, unlock_with):
    """A real shell over a desk with breaches and complaints, unlocked as the DPM `dora`."""
    from ui.shell.shell import default_areas

    with Vault.open(closed_vault, user="alice", passphrase=PASSPHRASE) as admin:
        add_user(admin, "dora", "dpm", OTHER_PASSPHRASE)
        add_user(admin, "sam", "spoc", OTHER_PASSPHRASE)
    with Vault.open(closed_vault, user="sam", passphrase=OTHER_PASSPHRASE) as spoc:
        add_records(spoc)

    class Desk:
        shell = make_shell(default_areas())

        def unlock(self):
            main = unlock_with(self.shell, user="dora", passphrase=OTHER_PASSPHRASE)
            assert main is not None
            settle(qtbot)
            return main

        def relock(self):
            self.shell.lock("idle")
            _flush_deletes(qtbot)
            assert self.shell.main_window is None
            assert not any("Dora Jones" in text for text in _all_visible_text())
            return self.unlock()

    desk = Desk()
    desk.shell.start(closed_vault)
    return desk


def test_a_lock_then_unlock_brings_back_the_breach_and_the_typed_update(qtbot, desk):
    main = desk.unlock()
    area = breaches_area(qtbot, main)
    area.select("BR-2026-0002")
    area.form.set_kind("risk-assessed")
    area.form.inputs["risk"].setCurrentIndex(area.form.inputs["risk"].findData("high-risk"))
    area.form.inputs["reasons"].setPlainText(TYPED)
    page = complaints_page(area)
    page.select("CP-2026-0001")
    page.form.set_value("kind", "note")
    page.form.set_value("text", "Complaint note " + TYPED)
    area.tabs.setCurrentIndex(0)
    main = desk.relock()
    assert main.current_area_key() == "breaches"
    area = main.area("breaches")
    settle(qtbot)
    assert area.current.reference == "BR-2026-0002" and area.form.isVisible()
    assert area.form.kind.currentData() == "risk-assessed" and area.form.value("risk") == "high-risk"
    assert area.form.inputs["reasons"].toPlainText() == TYPED and area.form.rows["reasons"].isVisible()
    selected = area.table.selectionModel().selectedRows()
    assert [area.model.item(i.row()).reference for i in selected] == ["BR-2026-0002"]
    assert "Your unsaved update to BR-2026-0002 is back" in area.note.text() and area.note.isVisible()
    page = area.complaints
    assert page.current.reference == "CP-2026-0001" and page.kind.currentData() == "note"
    assert page.form.value("text") == "Complaint note " + TYPED
    # Record both: nothing comes back at the next unlock, and the kept draft has gone
    assert area.form.submit() is not None
    settle(qtbot)
    assert area.complaints.submit() is not None
    assert not area.has_unsaved_changes() and not area.note.isVisible()   # "is back" is over
    assert load_draft(main.session.vault, "breaches") is None
    main = desk.relock()
    area = main.area("breaches")
    settle(qtbot)
    assert area.form.typed() is None and area.complaints.typed() is None and not area.note.isVisible()


def test_home_says_continue_the_update_and_its_link_opens_the_form(qtbot, desk):
    from ui.home import cards

    main = desk.unlock()
    area = breaches_area(qtbot, main)
    type_breach_update(area, "BR-2026-0001")
    main = desk.relock()
    session = main.session
    card = cards.unsaved_drafts(session)
    texts = [link.text for link in card.links]
    assert any(t.startswith("Continue the update to BR-2026-0001 (kept ") for t in texts), texts
    link = next(link for link in card.links if "BR-2026-0001" in link.text)
    with guard.not_asking():   # as if the user were on Home (leaving Breaches now would ask)
        main.show_area("home")
    assert main.current_area_key() == "home"
    area = main.area("breaches")
    area.tabs.setCurrentWidget(area.complaints)
    link.go(main)
    assert main.current_area_key() == "breaches" and area.tabs.currentIndex() == 0
    assert area.form.isVisible() and area.current.reference == "BR-2026-0001"
    assert area.form.inputs["who"].text() == TYPED
    area.discard_changes()   # discarded: Home no longer offers it
    assert cards.unsaved_drafts(session) is None or not any(
        "BR-2026-0001" in link.text for link in cards.unsaved_drafts(session).links)


def test_a_kept_update_to_a_breach_no_longer_there_is_said_and_let_go(qtbot, dpm):
    from app.drafts import save_draft

    main = main_window(qtbot, dpm)
    area = main.area("breaches")
    payload = {"breach": {"id": "no-such-breach", "reference": "BR-2026-0099", "kind": "note",
                          "fields": {"text": TYPED}}, "tab": "breaches"}
    save_draft(dpm, "breaches", payload)
    area.restore_draft_state(payload)
    assert area.note.text().startswith("The update you were typing to BR-2026-0099 could not be brought back")
    assert area.note.textFormat() == Qt.TextFormat.PlainText
    assert area.current is None and area.draft_state() is None
    assert load_draft(dpm, "breaches") is None
