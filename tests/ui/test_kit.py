"""The kit's one of each: the date field, the text boxes, the check list and the UK formatters."""

from __future__ import annotations

import datetime as _dt

from ui.kit.fields import CheckList, DateField, LineBox, TextBox
from ui.kit.formatting import one_line, plural, uk_date, uk_time


def test_uk_dates_and_times_and_counts_in_words():
    assert uk_date("2026-03-02") == "02/03/2026" == uk_date(_dt.date(2026, 3, 2)) == uk_date("2/3/2026")
    assert uk_date(None) == "" and uk_date("", "—") == "—"
    assert uk_date("not a date") == "not a date"          # a stored value is never hidden
    assert uk_time("2026-07-01T13:05:00+00:00") == "01/07/2026 14:05"   # BST
    assert uk_time("2026-01-01T13:05:00+00:00") == "01/01/2026 13:05"   # GMT
    assert uk_time(None) == "—" and uk_time("", "") == "" and uk_time("garbled") == "garbled"
    assert (plural(1, "subject"), plural(2, "subject"), plural(0, "subject")) == ("1 subject", "2 subjects",
                                                                                "0 subjects")
    assert plural(1, "agency", "agencies") == "1 agency" and plural(3, "agency", "agencies") == "3 agencies"
    assert plural(0.5, "minute") == "0.5 minutes" and plural(15.0, "minute") == "15 minutes"
    assert one_line("a\n  b\tc", 80) == "a b c" and one_line("x" * 10, 4) == "xxxx…" and one_line(None) == ""


def test_the_date_field_shows_dd_mm_yyyy_keeps_what_was_typed_and_offers_up_to_its_latest_date(qtbot):
    field = DateField(latest=lambda: _dt.date(2026, 3, 27))
    qtbot.addWidget(field)
    changes = []
    field.changed.connect(lambda: changes.append(field.text()))
    field.set_date("2026-03-02")
    assert field.text() == "02/03/2026" and changes == ["02/03/2026"]
    field.setText("31/02/2026")                         # kept as typed: the core says what is wrong
    assert field.text() == "31/02/2026"
    field.setAccessibleName("Request date")
    assert field.edit.accessibleName() == "Request date"
    calendar = field.show_calendar()
    assert calendar.maximumDate().toPython() == _dt.date(2026, 3, 27)
    field._picked(calendar, calendar.maximumDate().addDays(-26))
    assert field.text() == "01/03/2026"
    open_ended = DateField()
    qtbot.addWidget(open_ended)
    assert open_ended.show_calendar().maximumDate().year() > 2100


def test_text_boxes_round_trip_exactly(qtbot):
    box, line = TextBox(2), LineBox(max_length=20)
    qtbot.addWidget(box)
    qtbot.addWidget(line)
    box.set_value("one\r\ntwo")
    assert box.value() == "one\r\ntwo"                   # unchanged: exactly what it was given
    box.setPlainText("no-break\u00a0space\nline")        # typed: exactly as typed
    assert box.value() == "no-break\u00a0space\nline"
    line.set_value("x" * 30)
    assert line.value() == "x" * 30 and line.maxLength() == 20


def test_the_check_list_keeps_the_agreement_s_order(qtbot):
    checks = CheckList([("b", "B & co", "A hint", 0), ("a", "A"), ("c", "C", "", 1)])
    qtbot.addWidget(checks)
    changed = []
    checks.changed.connect(lambda: changed.append(True))
    checks.set_values(["c", "b"])
    assert checks.values() == ["b", "c"] and changed
    checks.boxes["a"].setChecked(True)
    checks.check("b", False)
    assert checks.values() == ["a", "c"]
    assert checks.checks["b"].label.text() == "B & co" and checks.boxes["b"].accessibleName() == "B & co"
