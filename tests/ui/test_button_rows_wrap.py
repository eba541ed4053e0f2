"""A request's row of actions wraps at 150 % or in a narrow window (issue 17) instead of hiding
Close request, Relationship map and Print off the right-hand edge."""

from __future__ import annotations

import pytest

from app.requests import create_request
from desk_helpers import make_desk, request_data
from fake_session import FakeSession
from ui.kit.widgets import FlowLayout
from ui.qt import QtCore, QtWidgets
from ui.requests.area import RequestsArea


@pytest.fixture
def desk(tmp_path):
    vault = make_desk(tmp_path / "police.vault", "DCON", "spoc")
    yield vault
    QtCore.QThreadPool.globalInstance().waitForDone(30_000)
    vault.close()


def _actions(view) -> list[QtWidgets.QPushButton]:
    return [b for b in (view.edit_button, view.send_button, view.export_button, view.copy_button,
                        view.onward_button, view.close_button, view.map_button, view.print_button) if b.isVisible()]


@pytest.mark.parametrize("width", [1400, 760])
def test_the_request_actions_stay_inside_the_page_and_keep_their_order(qtbot, desk, width):
    area = RequestsArea(FakeSession(desk))
    qtbot.addWidget(area)
    area.resize(width, 800)
    area.show()
    area.refresh()
    request = create_request(desk, request_data())
    assert area.open_request(request.id)
    QtWidgets.QApplication.processEvents()
    view = area.view
    buttons = _actions(view)
    assert len(buttons) >= 6
    shown = view.edit_button.parentWidget()
    while not isinstance(shown.parentWidget(), QtWidgets.QScrollArea) and shown.parentWidget() is not None:
        shown = shown.parentWidget()        # the scroll area's viewport: what is on screen
    for button in buttons:
        right = button.mapTo(shown, QtCore.QPoint(button.width(), 0)).x()
        assert right <= shown.width(), (button.text(), right, shown.width())
    rows = sorted({b.y() for b in buttons})
    assert (len(rows) == 1) == (width == 1400)      # one row when there is room, more when narrow
    # Reading order (and Tab order) is the order they were added: left to right, then down.
    positions = [(b.y(), b.x()) for b in buttons]
    assert positions == sorted(positions)


def test_a_flow_layout_asks_for_the_height_of_its_rows(qtbot):
    holder = QtWidgets.QWidget()
    flow = FlowLayout(holder)
    for n in range(6):
        flow.addWidget(QtWidgets.QPushButton(f"Button number {n}"))
    one = flow.heightForWidth(2000)
    assert flow.heightForWidth(200) > 2 * one
