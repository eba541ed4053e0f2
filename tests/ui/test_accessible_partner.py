"""Every input has an accessible name on the screens of a partner desk too (issue 17: "every
screen of every role"): its To answer list, a request received, the response form and a meeting
with its forms, which the per-role test on a police desk (tests/ui/test_shell.py) does not reach."""

from __future__ import annotations

from app import exchange
from app import meetings as mcore
from app import requests as rq
from desk_helpers import make_desk, request_data
from fake_session import FakeSession
from settle import settle
from test_shell import _unnamed_inputs
from ui.qt import QtCore


def test_a_partner_desks_screens_name_every_input(qtbot, tmp_path):
    from ui.meetings.area import MeetingsArea
    from ui.requests.area import RequestsArea

    police = make_desk(tmp_path / "dcon.vault")
    request = rq.create_request(police, request_data())
    rq.send_to_agencies(police, request.id, ["DCC/CSIS"])
    exchange.write_file(exchange.export_request(police, request.reference), tmp_path / "to.json")
    police.close()
    vault = make_desk(tmp_path / "dcc.vault", agency="DCC")
    try:
        exchange.import_document(vault, exchange.read_file(tmp_path / "to.json"), sender="DCON")
        area = RequestsArea(FakeSession(vault))
        qtbot.addWidget(area)
        area.resize(1200, 800)
        area.show()
        area.refresh()
        qtbot.waitUntil(lambda: area.to_answer_model.rowCount() == 1, timeout=10_000)
        assert _unnamed_inputs(area) == [], "To answer"
        assert area.open_request(request.id)
        assert _unnamed_inputs(area.view) == [], "the request received"
        form = area.respond_to_selected()
        assert form is not None
        assert _unnamed_inputs(area.response_page) == [], "the response form"
        meeting = mcore.create_meeting(vault, {"held_at": "01/12/2026 10:00", "place": "Room 1", "chair": "Chair A",
                                               "chair_agency": "DCC"})
        meetings = MeetingsArea(FakeSession(vault))
        qtbot.addWidget(meetings)
        meetings.resize(1200, 800)
        meetings.show()
        meetings.refresh()
        settle(qtbot)
        meetings.select(meeting.id)
        assert _unnamed_inputs(meetings) == [], "a meeting with its forms"
    finally:
        QtCore.QThreadPool.globalInstance().waitForDone(30_000)
        vault.close()
