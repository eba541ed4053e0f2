"""The disclosure register area: newest first, paged, filtered by agency, details on opening."""

from __future__ import annotations

import pytest

from app import disclosures
from app import requests as rq
from app.roles import can
from desk_helpers import make_desk, request_data
from ui.disclosures.area import COLUMNS, DisclosureModel, DisclosuresArea
from ui.qt import QtCore, Qt
from fake_session import FakeSession
from settle import settle


@pytest.fixture
def police(tmp_path):
    vault = make_desk(tmp_path / "dcon.vault")
    request = rq.create_request(vault, request_data())
    rq.send_to_agencies(vault, request.id, ["HMRC", "GLAA", "DCC/CSIS"])
    # A movement of HMRC's information, as the register holds it (the consent check is tests/test_consent.py).
    disclosures.record(vault, kind="onward", direction="sent", from_agency="DCON", to_agency="NCA",
                       what="<i>Collated</i> summary\u202e", lawful_bases=["cda1998-s115"], channel="cjsm",
                       originator="HMRC", request_id=request.id)
    yield vault, request
    if vault.is_open:
        vault.close()


def test_register_rows_newest_first_plain_text(qtbot, police):
    vault, request = police
    area = DisclosuresArea(FakeSession(vault))
    qtbot.addWidget(area)
    area.show()
    area.refresh()
    settle(qtbot)
    model = area.model
    assert model.columnCount() == len(COLUMNS) == 8
    assert model.rowCount() == 4
    first = [model.text(0, c) for c in range(8)]
    assert first[1:4] == ["Onward disclosure", "DCON", "NCA"]
    assert first[4] == "<i>Collated</i> summary\u202e"
    assert first[5] == "Section 115 of the Crime and Disorder Act 1998"
    assert first[7] == "HMRC"
    assert len(first[0]) == len("28/11/2026 14:05")
    assert sorted(model.text(r, 3) for r in range(1, 4)) == ["DCC", "GLAA", "HMRC"]
    assert "4 entries shown of 4" in area.count.text()

    area.open_row(0)
    details = area.details.values
    assert details["Originator"].startswith("HM Revenue & Customs (HMRC): their written consent")
    assert details["Request"] == f"{request.reference} from Derbyshire Constabulary"
    assert details["What"] == "<i>Collated</i> summary\u202e"
    assert details["Written consent relied on"].startswith("None")
    assert area.details_scroll.isVisible()


def test_filter_by_agency(qtbot, police):
    vault, _request = police
    area = DisclosuresArea(FakeSession(vault))
    qtbot.addWidget(area)
    area.refresh()
    area.agency_filter.setCurrentIndex(area.agency_filter.findData("GLAA"))
    settle(qtbot)
    assert area.model.rowCount() == 1 and area.model.text(0, 3) == "GLAA"
    assert "involving GLAA" in area.count.text()
    area.agency_filter.setCurrentIndex(area.agency_filter.findData("DWP"))
    settle(qtbot)
    assert area.model.rowCount() == 0
    area.agency_filter.setCurrentIndex(0)
    settle(qtbot)
    assert area.model.rowCount() == 4


def test_pages_are_fetched_as_needed(qtbot, police):
    vault, request = police
    for n in range(9):
        disclosures.record_onward(vault, request.id, "DWP", what=f"note {n}", lawful_bases=["cda1998-s115"],
                                  channel="")
    model = DisclosureModel(vault, page_size=4)
    model.reload()
    settle(qtbot)
    assert model.rowCount() == 4 and model.canFetchMore(QtCore.QModelIndex())
    while model.canFetchMore(QtCore.QModelIndex()):
        model.fetchMore(QtCore.QModelIndex())
        settle(qtbot)
    assert model.rowCount() == 13
    seqs = [model.item(r).seq for r in range(13)]
    assert seqs == sorted(seqs, reverse=True)
    model.set_agency("GLAA")                 # a condition of the query: the first page holds the match
    settle(qtbot)
    while model.canFetchMore(QtCore.QModelIndex()):
        model.fetchMore(QtCore.QModelIndex())
        settle(qtbot)
    assert [model.text(r, 3) for r in range(model.rowCount())] == ["GLAA"]


def test_who_may_read_the_register(police):
    vault, _request = police
    assert DisclosuresArea.permission == "disclosures.read"
    assert {r for r in ("admin", "spoc", "dpm", "chair", "auditor") if can(r, "disclosures.read")} == {"spoc", "dpm"}


def test_sort_by_column(qtbot, police):
    vault, _request = police
    area = DisclosuresArea(FakeSession(vault))
    qtbot.addWidget(area)
    area.refresh()
    settle(qtbot)
    area.table.sortByColumn(3, Qt.SortOrder.AscendingOrder)  # in the database: read again from the first page
    settle(qtbot)
    view = area.table.model()
    shown = [view.index(r, 3).data() for r in range(view.rowCount())]
    assert shown == sorted(shown) and len(shown) == 4
    assert view.headerData(3, Qt.Orientation.Horizontal) == "To ▲"
    assert area.count.text().startswith("By recipient, A to Z.")


def test_when_sorts_by_the_time_of_the_movement_not_the_order_it_was_entered(qtbot, police):
    vault, request = police
    with vault.db.transaction():  # entered last, but it happened first (keyed in from a paper log)
        disclosures.record(vault, kind="onward", direction="sent", from_agency="DCON", to_agency="DWP",
                           what="Keyed in late", originator="DCON", request_id=request.id,
                           at="2020-01-02T09:00:00+00:00")
    area = DisclosuresArea(FakeSession(vault))
    qtbot.addWidget(area)
    area.refresh()
    settle(qtbot)
    model = area.model
    assert model.text(model.rowCount() - 1, 4) == "Keyed in late"  # latest first: the earliest is last
    area.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    settle(qtbot)
    assert model.text(0, 4) == "Keyed in late" and model.text(0, 0) == "02/01/2020 09:00"
    assert area.count.text().startswith("Earliest first.")
