"""Read-only text shown on a page (the request a partner answers, a register entry) shows all of
itself up to its most lines, under the app's stylesheet: no scroll arrows on a one-line reason or
a two-line list (issue 17, "the response form shows the whole request it answers")."""

from __future__ import annotations

from ui.kit import theme
from ui.kit.fields import readonly_text
from ui.qt import QtWidgets


def _page(qtbot, *boxes, width=600):
    page = QtWidgets.QWidget()
    page.setStyleSheet(theme.stylesheet(page.palette()))   # the padding and borders the app draws
    layout = QtWidgets.QVBoxLayout(page)
    for box in boxes:
        layout.addWidget(box)
    layout.addStretch(1)
    qtbot.addWidget(page)
    page.resize(width, 800)
    page.show()
    qtbot.waitExposed(page)
    qtbot.wait(20)
    return page


def _all_shown(box) -> bool:
    return box.verticalScrollBar().maximum() == 0


def test_short_read_only_text_shows_whole_without_scrolling(qtbot):
    reason = readonly_text("• For prevention, investigation & detection of crime.", 2)
    kinds = readonly_text("• Criminality\n• Organ Harvesting", 2)
    asked = readonly_text("Please confirm benefit claims linked to these people.", 4)
    page = _page(qtbot, reason, kinds, asked)
    assert page.isVisible() and _all_shown(reason) and _all_shown(kinds) and _all_shown(asked)
    assert asked.height() < 2 * asked.fontMetrics().lineSpacing() + 40   # one line: not padded to four


def test_text_that_wraps_grows_and_text_past_its_most_lines_scrolls(qtbot):
    wrapped = readonly_text("A worker at Star Beauty Bar told a customer she has not been paid for months "
                            "and that her passport is held by the manager. " * 2, 12)
    subjects = readonly_text("\n".join(f"{n}. Subject {n}" for n in range(1, 20)), 5)
    page = _page(qtbot, wrapped, subjects, width=320)
    assert page.isVisible() and _all_shown(wrapped)
    assert wrapped.height() > 3 * wrapped.fontMetrics().lineSpacing()    # it grew to its wrapped lines
    assert not _all_shown(subjects)          # 19 lines in at most 5: the rest scrolls
    line = subjects.fontMetrics().lineSpacing()
    assert subjects.height() < 7 * line + 40
