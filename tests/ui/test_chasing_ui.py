"""Chasing on screen (2.6): the Chase… button on a chosen agency, the dialog naming what is missing,
the chase shown on the dispatch, a re-made package for a trusted desk, and an answer overdue again
after a chase flagged on the request and on Home for the lead officer."""

from __future__ import annotations

import datetime as dt

import pytest

from app import chasing
from app import requests as rq
from app.records import today_london
from desk_helpers import make_desk, reopen_as, request_data, trust_each_other
from fake_session import FakeSession
from ui.qt import QtCore, QtWidgets
from ui.requests.area import RequestsArea
from ui.requests.chase import ChaseDialog

HOSTILE = "<b>bold</b> & <a href='x'>x</a> \u202eRTL"


@pytest.fixture
def desk(tmp_path):
    police = make_desk(tmp_path / "police.vault", "DCON", "spoc")
    request = rq.create_request(police, request_data())
    sent = {d.agency: d for d in rq.send_to_agencies(police, request.id, ["HMRC", "GLAA"])}
    for d in sent.values():
        rq.set_due_date(police, d.id, (today_london() - dt.timedelta(days=2)).isoformat())
    yield police, request, sent
    QtCore.QThreadPool.globalInstance().waitForDone(30_000)
    if police.is_open:
        police.close()


def texts(widget) -> list[str]:
    return [label.text() for label in widget.findChildren(QtWidgets.QLabel) if label.isVisibleTo(widget)]


def test_chase_from_the_request_view_and_see_it_on_the_dispatch(qtbot, desk):
    police, request, sent = desk
    area = RequestsArea(FakeSession(police))
    qtbot.addWidget(area)
    area.resize(1200, 900)
    area.show()
    area.open_request(request.id)
    view = area.view
    assert not view.chase_button.isHidden() and not view.chase_button.isEnabled()  # no agency chosen
    area.show_list()
    area.load_overdue()
    model = area.overdue_model
    qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=10_000)
    assert "Open one to chase it" in area.showing.text()
    row = next(r for r in range(2) if model.index(r, 1).data().startswith("Gangmasters"))
    area.overdue_table.activated.emit(model.index(row, 0))   # as a double-click or Enter does
    assert area.stack.currentWidget() is view and view.selected_row().dispatch.id == sent["GLAA"].id
    assert view.chase_button.isEnabled()
    dialog = view.chase_selected()
    qtbot.addWidget(dialog)
    assert isinstance(dialog, ChaseDialog) and dialog.isVisible()
    package = dialog.how.model().item(dialog.how.findData("package"))
    assert not package.isEnabled() and "not trusted" in dialog.how.itemText(dialog.how.findData("package"))
    dialog.how.setCurrentIndex(dialog.how.findData("telephone"))
    assert dialog.rows["via"].isVisibleTo(dialog) and not dialog.rows["out_dir"].isVisibleTo(dialog)
    dialog.submit()
    messages = dialog.summary.messages()
    assert "Enter who was chased (a name, a role or a team)" in messages
    assert "Enter the new date the partner promised an answer by" in messages
    assert any("number the call went through" in m for m in messages)
    assert police.db.scalar("SELECT count(*) FROM dispatch_chases") == 0
    promised = today_london() + dt.timedelta(days=3)
    dialog.to_whom.setText(HOSTILE)
    dialog.promised.setText(promised.strftime("%d/%m/%Y"))
    dialog.via.setText("0300 123 (switchboard)")
    dialog.identity_check.setText("Called back")
    dialog.note.setPlainText(HOSTILE)
    dialog.submit()
    assert dialog.result is not None and dialog.result.to_whom == HOSTILE
    assert "The call is in the telephone log" in view.notice.text()
    view.select_dispatch(sent["GLAA"].id)
    shown = "\n".join(texts(view.detail_box))
    assert f"to {HOSTILE}; new date promised {promised.strftime('%d/%m/%Y')}" in shown
    for label in view.detail_box.findChildren(QtWidgets.QLabel):
        if HOSTILE in label.text():
            assert label.textFormat() == QtCore.Qt.TextFormat.PlainText
    status = {view.table.item(r, 0).text(): view.table.item(r, 1).text() for r in range(view.table.rowCount())}
    glaa = next(text for name, text in status.items() if name.startswith("Gangmasters"))
    assert "Chased 1 time" in glaa and "OVERDUE" not in glaa


def test_package_re_sent_for_a_trusted_desk_writes_the_package(qtbot, desk, tmp_path):
    police, request, sent = desk
    hmrc = make_desk(tmp_path / "hmrc.vault", agency="HMRC")
    trust_each_other(police, hmrc)
    hmrc.close()
    area = RequestsArea(FakeSession(police))
    qtbot.addWidget(area)
    area.show()
    area.open_request(request.id)
    area.view.select_dispatch(sent["HMRC"].id)
    dialog = area.view.chase_selected()
    qtbot.addWidget(dialog)
    dialog.how.setCurrentIndex(dialog.how.findData("package"))
    assert dialog.rows["out_dir"].isVisibleTo(dialog)
    out = tmp_path / "out"
    out.mkdir()
    dialog.folder.setText(str(out))
    dialog.to_whom.setText("HMRC SPOC")
    dialog.promised.setText((today_london() + dt.timedelta(days=1)).strftime("%d/%m/%Y"))
    dialog.submit()
    assert len(list(out.iterdir())) == 1 and "Package made again" in area.view.notice.text()


def test_overdue_again_after_a_chase_is_flagged_on_the_request_and_home(qtbot, desk):
    from ui.home.area import HomeArea

    police, request, sent = desk
    chasing.record_chase(police, sent["GLAA"].id, {"how": "email", "to_whom": "x",
                                                   "promised_date": today_london().isoformat()})
    police.db.execute("UPDATE dispatches SET due_date = ? WHERE id = ?",
                      ((today_london() - dt.timedelta(days=1)).isoformat(), sent["GLAA"].id))
    chair = reopen_as(police, "carl", "chair")
    try:
        area = RequestsArea(FakeSession(chair))
        qtbot.addWidget(area)
        area.open_request(request.id)
        assert "1 answer overdue again after a chase: for the lead officer." in area.view.status_line.text()
        assert area.view.chase_button.isHidden()   # the chair reads; the SPOC chases
        session = FakeSession(chair)
        session.user = type("User", (), {"name": "carl"})()
        session.role_title, session.agency_name = "Meeting chair or lead officer", "Derbyshire Constabulary"
        home = HomeArea(session)
        qtbot.addWidget(home)
        home.refresh()
        [card] = [c for c in home.shown_cards if c.title == "For the lead officer: overdue again after a chase"]
        [link] = card.links
        assert request.reference in link.text and link.urgent
    finally:
        chair.close()
