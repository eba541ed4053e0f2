"""A partner desk opens on "To answer" (issue 17): the requests other desks sent it, awaiting its
answer, due date first; the request shows "Your answer is due …" with Respond, and Respond works
without first choosing this desk's row."""

from __future__ import annotations

import pytest

from app import exchange
from app import requests as rq
from desk_helpers import make_desk, request_data
from fake_session import FakeSession
from ui.qt import QtCore, Qt
from ui.requests.area import RequestsArea


@pytest.fixture
def partner(tmp_path):
    police = make_desk(tmp_path / "dcon.vault")
    refs = []
    for n, due in enumerate(("2026-12-20", "2026-12-11", "2026-12-15")):
        request = rq.create_request(police, request_data(requester_name=f"DS {n} Officer"))
        rq.send_to_agencies(police, request.id, ["HMRC", "DCC/CSIS"], due_date=due)
        path = tmp_path / f"r{n}.json"
        exchange.write_file(exchange.export_request(police, request.reference), path)
        refs.append(request.reference)
    police.close()
    desk = make_desk(tmp_path / "dcc.vault", agency="DCC")
    for n in range(3):
        exchange.import_document(desk, exchange.read_file(tmp_path / f"r{n}.json"), sender="DCON")
    yield desk, refs
    QtCore.QThreadPool.globalInstance().waitForDone(30_000)
    desk.close()


def _area(qtbot, vault):
    area = RequestsArea(FakeSession(vault))
    qtbot.addWidget(area)
    area.resize(1200, 800)
    area.show()
    area.refresh()
    return area


def test_a_partner_desk_opens_on_its_requests_to_answer_due_first(qtbot, partner):
    vault, refs = partner
    area = _area(qtbot, vault)
    model = area.to_answer_model
    qtbot.waitUntil(lambda: model.rowCount() == 3 and not model.is_loading(), timeout=10_000)
    assert area.filter.currentData() == "to-answer" and area.views.currentWidget() is area.to_answer_table
    assert [model.index(r, 0).data() for r in range(3)] == [refs[1], refs[2], refs[0]]  # 11/12, 15/12, 20/12
    assert model.index(0, 3).data().startswith("11/12/2026")
    assert area.showing.text().startswith("Due first. 3 requests from other desks are waiting for your answer")
    # Respond straight from the list: the first due, no row chosen, no request opened first
    form = area.respond_to_selected()
    assert form is not None and area.stack.currentWidget() is area.response_page
    assert form.summary_reference.text() == refs[1] and form.dispatch.agency == "DCC"


def test_the_request_says_when_your_answer_is_due_with_respond(qtbot, partner):
    vault, refs = partner
    area = _area(qtbot, vault)
    request = next(r for r in (rq.get_request(vault, ref) for ref in refs) if r.reference == refs[1])
    area.open_request(request.id)
    view = area.view
    assert view.answer_banner.isVisible()
    assert view.answer_due.text() == "Your answer is due 11/12/2026"
    assert view.table.selectionModel().selectedRows() == []  # no row chosen
    qtbot.mouseClick(view.banner_respond, Qt.MouseButton.LeftButton)
    assert area.stack.currentWidget() is area.response_page
    assert area.response_form.dispatch.agency == "DCC" and area.response_form.request.id == request.id


def test_a_requesting_desk_has_no_to_answer_list_or_banner(qtbot, tmp_path):
    police = make_desk(tmp_path / "dcon.vault")
    try:
        request = rq.create_request(police, request_data())
        rq.send_to_agencies(police, request.id, ["HMRC"])
        area = _area(qtbot, police)
        assert area.filter.findData("to-answer") == -1 and area.filter.currentText() == "All requests"
        area.open_request(request.id)
        assert not area.view.answer_banner.isVisible()
    finally:
        QtCore.QThreadPool.globalInstance().waitForDone(30_000)
        police.close()
