"""The audit trail area: events newest first, paged, filtered by action, and Verify chain."""

from __future__ import annotations

import pytest

from app.roles import can
from ui.audit.area import COLUMNS, AuditArea, AuditModel
from ui.qt import QtCore, Qt
from fake_session import FakeSession
from settle import settle


@pytest.fixture
def area(qtbot, new_vault):
    vault, _key = new_vault
    widget = AuditArea(FakeSession(vault))
    qtbot.addWidget(widget)
    widget.show()
    widget.refresh()
    settle(qtbot)
    return widget


def test_lists_events_newest_first_with_readable_columns(area):
    model = area.model
    assert model.columnCount() == len(COLUMNS) == 7
    assert model.seqs() == sorted(model.seqs(), reverse=True)
    assert set(model.actions()) >= {"vault.created", "user.added", "recovery_key.issued"}
    last = model.rowCount() - 1
    assert model.text(last, 0) == "1" and model.text(last, 3) == "vault.created"
    assert model.text(last, 2) == "alice (Administrator)"
    assert len(model.text(last, 1)) == len("28/11/2026 14:05")
    assert "events in all" in area.count.text()


def test_filter_by_action(qtbot, area):
    area.filter.setText("user.")
    area.apply_filter()
    settle(qtbot)
    assert area.model.actions() == ["user.added"]
    area.filter.setText("no_such%")          # LIKE wildcards are taken literally
    area.apply_filter()
    settle(qtbot)
    assert area.model.rowCount() == 0


def test_verify_chain_reports_ok(qtbot, area):
    with qtbot.waitSignal(area.verified) as signal:
        qtbot.mouseClick(area.verify_button, Qt.MouseButton.LeftButton)
    assert signal.args == [True]
    assert area.result.text().startswith("Verified")
    assert area.model.actions()[0] == "vault.verified"


def test_pages_are_fetched_as_the_user_scrolls(qtbot, new_vault):
    vault, _key = new_vault
    for n in range(7):
        vault.audit("test.event", record_type="thing", record_id=str(n))
    model = AuditModel(vault, page_size=4)
    model.reload()
    settle(qtbot)
    assert model.rowCount() == 4 and model.canFetchMore(QtCore.QModelIndex())
    model.fetchMore(QtCore.QModelIndex())
    settle(qtbot)
    model.fetchMore(QtCore.QModelIndex())
    settle(qtbot)
    total = vault.chain_head().seq
    assert model.rowCount() == total == 10
    assert model.seqs() == list(range(total, 0, -1))
    assert not model.canFetchMore(QtCore.QModelIndex())


def test_who_may_read_the_trail():
    assert AuditArea.permission == "audit.read"
    assert {r for r in ("admin", "spoc", "dpm", "chair", "auditor") if can(r, "audit.read")} == {"admin", "dpm", "auditor"}


def test_reading_the_trail_is_itself_recorded(area):
    before = area.session.vault.chain_head().seq
    area.refresh()
    rows = area.session.vault.db.query("SELECT action, actor FROM audit_events WHERE seq > ?", (before,))
    assert [(r["action"], r["actor"]) for r in rows] == [("audit.viewed", "alice")]


def test_oldest_first_over_the_whole_trail(qtbot, area):
    """A click on "No." reads the trail again from its first event, in the database, page by page."""
    model = area.model
    model.page_size = model.max_page_size = 2
    model.canFetchMore = lambda *_a: False
    area.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    settle(qtbot)
    assert model.seqs() == [1, 2] and model.text(0, 3) == "vault.created"
    assert model.headerData(0, Qt.Orientation.Horizontal) == "No. ▲"
    assert area.count.text().startswith("Oldest first.")
    model.fetchMore()
    settle(qtbot)
    assert model.seqs() == [1, 2, 3, 4]
