"""Where the keyboard goes (issue 17, checked by a reviewer's audit): from a focused error summary
Tab goes to its first link, after the last link to the field after the summary; a page that opens
in a scroll area gives the focus to its first control, never to the scroll area itself."""

from __future__ import annotations

from PySide6.QtTest import QTest
from ui.kit import keys
from ui.kit.widgets import ErrorSummary
from ui.qt import QtWidgets, Qt


def _shown(qtbot, widget):
    qtbot.addWidget(widget)
    widget.show()
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow, timeout=5_000)
    return widget


def _tab(times: int = 1, back: bool = False) -> QtWidgets.QWidget:
    for _ in range(times):
        QTest.keyClick(QtWidgets.QApplication.focusWidget(), Qt.Key.Key_Backtab if back else Qt.Key.Key_Tab)
    return QtWidgets.QApplication.focusWidget()


def _form():
    page = QtWidgets.QWidget()
    layout = QtWidgets.QVBoxLayout(page)
    before = QtWidgets.QPushButton("← Back without saving")
    summary = ErrorSummary()
    fields = [QtWidgets.QLineEdit() for _ in range(3)]
    for widget in (before, summary, *fields):
        layout.addWidget(widget)
    return page, before, summary, fields


def test_tab_from_the_focused_summary_goes_through_its_links_then_the_fields(qtbot):
    keys.install()
    page, before, summary, fields = _form()
    _shown(qtbot, page)
    for _attempt in range(2):  # the second save makes new links: they too come first
        summary.show_problems([(fields[2], "Enter field 3"), (fields[0], "Enter field 1")])
        qtbot.wait(20)         # the new links show, as they do before anyone can press Tab
        summary.setFocus()     # as a form does when a save is refused
        links = summary._links
        assert _tab() is links[0]
        assert _tab() is links[1]
        assert _tab() is fields[0]
        assert _tab(back=True) is links[1] and _tab(back=True) is links[0]
        assert _tab(back=True) is before


def test_enter_on_a_summary_link_reached_by_tab_moves_to_its_field(qtbot):
    keys.install()
    page, _before, summary, fields = _form()
    _shown(qtbot, page)
    summary.show_problems([(fields[2], "Enter field 3")])
    summary.setFocus()
    QTest.keyClick(_tab(), Qt.Key.Key_Return)
    assert fields[2].hasFocus()


def test_on_the_request_form_tab_from_the_summary_reaches_the_first_problem(qtbot, tmp_path):
    from desk_helpers import make_desk
    from fake_session import FakeSession
    from ui.requests.area import RequestsArea

    keys.install()
    vault = make_desk(tmp_path / "police.vault", "DCON", "spoc")
    try:
        area = RequestsArea(FakeSession(vault))
        area.resize(1200, 800)
        form = area.open_form()
        _shown(qtbot, area)
        form.continue_button.click()          # nothing typed: the summary lists the problems
        qtbot.wait(20)
        assert form.summary.hasFocus() and form.summary.messages()
        first = _tab()
        assert first is form.summary._links[0]
        QTest.keyClick(first, Qt.Key.Key_Return)
        assert form.requester_name.hasFocus()  # "Enter the name of the person making the request"
    finally:
        vault.close()
