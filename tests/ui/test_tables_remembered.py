"""Every table remembers its column widths, order and sort across a lock (issue 17), in the
per-user config file, which holds no personal data."""

from __future__ import annotations

from app.requests import create_request
from app.paths import config_dir
from desk_helpers import make_desk, request_data
from fake_session import FakeSession
from ui.kit import tables
from ui.qt import QtCore, Qt
from ui.requests.area import RequestsArea


def _area(qtbot, vault):
    area = RequestsArea(FakeSession(vault))
    qtbot.addWidget(area)
    area.resize(1100, 700)
    area.show()
    area.refresh()
    qtbot.waitUntil(lambda: area.model.rowCount() > 0 and not area.model.is_loading(), timeout=10_000)
    return area


def test_widths_order_and_sort_come_back_after_a_lock(qtbot, tmp_path):
    vault = make_desk(tmp_path / "desk.vault")
    try:
        for name in ("DS Zed Officer", "DS Amy Officer", "DS Kay Officer"):
            create_request(vault, request_data(subjects=[], requester_name=name))
        first = _area(qtbot, vault)
        header = first.table.horizontalHeader()
        header.resizeSection(3, 333)
        header.moveSection(header.visualIndex(2), 0)   # Status first
        first.table.sortByColumn(3, Qt.SortOrder.AscendingOrder)
        qtbot.waitUntil(lambda: not first.model.is_loading(), timeout=10_000)
        tables.save_all()  # what the main window does as it locks
        first.close()
        QtCore.QThreadPool.globalInstance().waitForDone(10_000)

        again = _area(qtbot, vault)  # after unlocking: a new window, a new table
        header = again.table.horizontalHeader()
        assert header.sectionSize(3) == 333 and header.visualIndex(2) == 0
        assert again.model.sort_state() == (3, Qt.SortOrder.AscendingOrder)
        assert again.model.query["sort"] == "requester"  # the first read is already in that order
        assert [again.model.index(r, 3).data() for r in range(3)] == ["DS Amy Officer", "DS Kay Officer",
                                                                      "DS Zed Officer"]
        saved = (config_dir() / "desktop.json").read_text(encoding="utf-8")
        assert "table.requests" in saved and "Officer" not in saved and "MSR-" not in saved
    finally:
        QtCore.QThreadPool.globalInstance().waitForDone(30_000)
        vault.close()


def test_every_table_of_an_area_is_remembered_without_asking(qtbot, tmp_path):
    """A plain table (here the search results) is remembered by its accessible name."""
    from ui.qt import QtWidgets

    vault = make_desk(tmp_path / "desk.vault")
    try:
        create_request(vault, request_data(subjects=[]))
        first = _area(qtbot, vault)
        tables.remember_all(first, "requests")
        results = first.results_table
        assert results.property("spocdeskRemembered")
        results.horizontalHeader().resizeSection(2, 444)
        tables.save_all()
        again = _area(qtbot, vault)
        tables.remember_all(again, "requests")
        assert again.results_table.horizontalHeader().sectionSize(2) == 444
        assert isinstance(again.results_table, QtWidgets.QTableWidget)
    finally:
        QtCore.QThreadPool.globalInstance().waitForDone(30_000)
        vault.close()
