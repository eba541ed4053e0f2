"""The one set of input widgets: single- and multi-line text, the date field, the check list,
read-only text and summary rows (GOV.UK habits: plain text, one column)."""

from __future__ import annotations

import datetime as _dt
from typing import Callable

from app.records import parse_date
from ui.kit.formatting import uk_date
from ui.kit.widgets import hint_label, plain_label
from ui.qt import QtCore, QtGui, QtWidgets, Qt, Signal


class TextBox(QtWidgets.QPlainTextEdit):
    """Multi-line plain text that gives back exactly what it was given unless the user edits it
    (Qt turns \\r\\n into \\n on display; a saved value must round-trip byte for byte), and what
    the user typed exactly as typed (no-break spaces stay no-break spaces)."""

    def __init__(self, lines: int = 4, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._exact = ""
        self._shown = ""
        self.setTabChangesFocus(True)
        self.setWordWrapMode(QtGui.QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setFixedHeight(self.fontMetrics().lineSpacing() * lines + 14)

    def _typed(self) -> str:
        # toPlainText() would turn no-break spaces into spaces; the raw text keeps them
        return self.document().toRawText().replace("\u2029", "\n")

    def set_value(self, value: str) -> None:
        self._exact = value or ""
        self.setPlainText(self._exact)
        self._shown = self._typed()

    def value(self) -> str:
        text = self._typed()
        return self._exact if text == self._shown else text


class LineBox(QtWidgets.QLineEdit):
    """One line of text with the same exact round trip as TextBox."""

    def __init__(self, parent: QtWidgets.QWidget | None = None, *, max_length: int = 100_000):
        super().__init__(parent)
        self.setMaxLength(max_length)
        self._exact = ""
        self._shown = ""

    def set_value(self, value: str) -> None:
        self._exact = value or ""
        self.setText(self._exact)
        self._shown = self.text()

    def value(self) -> str:
        text = self.text()
        return self._exact if text == self._shown else text


class DateField(QtWidgets.QWidget):
    """A date typed as day/month/year (2/3/2026 or 02/03/2026), shown as dd/mm/yyyy, with a
    calendar button (DESIGN.md). The text is kept as typed: the core checks it, so '31/02/2026'
    gets the core's own message. `latest` (a date, or a function giving one such as
    app.records.today_london) is the last day the calendar offers; None for no limit."""

    changed = Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None, *,
                 latest: _dt.date | Callable[[], _dt.date] | None = None):
        super().__init__(parent)
        self.latest = latest
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QtWidgets.QLineEdit()
        self.edit.setPlaceholderText("dd/mm/yyyy")
        self.edit.setMaxLength(40)
        width = self.edit.fontMetrics().horizontalAdvance("00/00/00000") + 24
        self.edit.setFixedWidth(max(width, 120))
        self.edit.textChanged.connect(lambda _t: self.changed.emit())
        layout.addWidget(self.edit)
        self.button = QtWidgets.QToolButton()
        self.button.setText("Calendar…")
        self.button.setToolTip("Choose the date on a calendar")
        self.button.setAccessibleName("Choose the date on a calendar")
        self.button.clicked.connect(self.show_calendar)
        layout.addWidget(self.button)
        layout.addStretch(1)
        self.setFocusProxy(self.edit)
        self.calendar: QtWidgets.QCalendarWidget | None = None

    def setAccessibleName(self, name: str) -> None:  # noqa: N802 - Qt's name; FieldRow names the input
        super().setAccessibleName(name)
        self.edit.setAccessibleName(name)

    def setAccessibleDescription(self, text: str) -> None:  # noqa: N802 - Qt's name
        super().setAccessibleDescription(text)
        self.edit.setAccessibleDescription(text)

    def text(self) -> str:
        return self.edit.text()

    def setText(self, text: str) -> None:  # noqa: N802 - mirrors QLineEdit
        self.edit.setText(text or "")

    def set_date(self, value: _dt.date | str | None) -> None:
        """Show a date (or ISO text) as dd/mm/yyyy; text that is not a date as it was."""
        self.setText(uk_date(value))

    def latest_date(self) -> _dt.date | None:
        return self.latest() if callable(self.latest) else self.latest

    def show_calendar(self) -> QtWidgets.QCalendarWidget:
        calendar = QtWidgets.QCalendarWidget(self)
        calendar.setWindowFlags(Qt.WindowType.Popup)
        calendar.setGridVisible(True)
        calendar.setFirstDayOfWeek(Qt.DayOfWeek.Monday)
        latest = self.latest_date()
        if latest is not None:
            calendar.setMaximumDate(QtCore.QDate(latest.year, latest.month, latest.day))
        try:
            current = parse_date(self.text())
        except (ValueError, TypeError):
            current = None
        if current:
            calendar.setSelectedDate(QtCore.QDate(current.year, current.month, current.day))
        calendar.clicked.connect(lambda d: self._picked(calendar, d))
        calendar.activated.connect(lambda d: self._picked(calendar, d))
        calendar.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        calendar.move(self.button.mapToGlobal(QtCore.QPoint(0, self.button.height())))
        calendar.show()
        calendar.setFocus()
        self.calendar = calendar
        return calendar

    def _picked(self, calendar: QtWidgets.QCalendarWidget, date: QtCore.QDate) -> None:
        self.set_date(_dt.date(date.year(), date.month(), date.day()))
        calendar.close()
        self.calendar = None
        self.edit.setFocus()


class WrapCheck(QtWidgets.QWidget):
    """One check box of a CheckList: its (long) text wraps, with optional hint text beneath;
    clicking the text ticks the box."""

    def __init__(self, code: str, text: str, hint: str = "", parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.code = code
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.setSpacing(8)
        self.box = QtWidgets.QCheckBox()
        self.box.setAccessibleName(text)
        if hint:
            self.box.setAccessibleDescription(hint)
        layout.addWidget(self.box, 0, Qt.AlignmentFlag.AlignTop)
        column = QtWidgets.QVBoxLayout()
        column.setSpacing(0)
        self.label = plain_label(text)
        self.label.setCursor(Qt.CursorShape.PointingHandCursor)
        self.label.mousePressEvent = lambda _e: self.box.isEnabled() and self.box.toggle()
        column.addWidget(self.label)
        if hint:
            column.addWidget(hint_label(hint))
        layout.addLayout(column, 1)
        self.setFocusProxy(self.box)

    def isChecked(self) -> bool:  # noqa: N802 - mirrors QCheckBox
        return self.box.isChecked()

    def setChecked(self, value: bool) -> None:  # noqa: N802
        self.box.setChecked(bool(value))


class CheckList(QtWidgets.QWidget):
    """A column of codes to tick, in the agreement's order; focus goes to the first (error-summary
    links). `choices` are (code, text) or (code, text, hint, indent) tuples. `checks[code]` is
    each WrapCheck, `boxes[code]` its QCheckBox."""

    changed = Signal()

    def __init__(self, choices, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.checks: dict[str, WrapCheck] = {}
        for code, text, *more in choices:
            hint, indent = (list(more) + ["", 0])[:2]
            check = WrapCheck(code, text, hint)
            check.layout().setContentsMargins(28 * indent, 2, 0, 2)
            check.box.toggled.connect(lambda _on: self.changed.emit())
            layout.addWidget(check)
            self.checks[code] = check
        self.boxes: dict[str, QtWidgets.QCheckBox] = {code: check.box for code, check in self.checks.items()}
        if self.checks:
            self.setFocusProxy(next(iter(self.checks.values())))

    def values(self) -> list[str]:
        return [code for code, check in self.checks.items() if check.isChecked()]

    def set_values(self, codes) -> None:
        wanted = set(codes or ())
        for code, check in self.checks.items():
            check.setChecked(code in wanted)

    def check(self, code: str, value: bool = True) -> None:
        self.checks[code].setChecked(value)


class _ShownText(TextBox):
    """Read-only text as tall as its wrapped lines, up to `most` lines (then it scrolls)."""

    def __init__(self, most: int):
        super().__init__(most)
        self._most = max(1, most)
        self.document().documentLayout().documentSizeChanged.connect(self._fit)

    def _fit(self, *_args) -> None:
        # A plain-text document measures its height in lines; the frame, the stylesheet's border
        # and padding and the document margin come on top (measured, not guessed), plus the
        # viewport's own margins.
        lines = max(1, min(self._most, int(self.document().documentLayout().documentSize().height() + 0.99)))
        margins = self.contentsMargins()   # the frame, the stylesheet's border and padding
        viewport = self.viewportMargins()
        wanted = margins.top() + margins.bottom() + viewport.top() + viewport.bottom() \
            + lines * self.fontMetrics().lineSpacing() + int(2 * self.document().documentMargin()) + 1
        if wanted != self.height():
            self.setFixedHeight(wanted)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit()


def readonly_text(text: str, lines: int = 3, name: str = "") -> TextBox:
    """Long user text shown read-only, as plain text, wrapped even inside long words: as tall as
    it needs, up to `lines` lines, so a one-line reason shows whole without scroll arrows."""
    box = _ShownText(lines)
    box.setReadOnly(True)
    box.set_value(text)
    box.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
    if name:
        box.setAccessibleName(name)
    return box


def summary_row(label: str, value: QtWidgets.QWidget | str) -> QtWidgets.QWidget:
    """A GOV.UK summary-list row: bold key above its value (one column)."""
    row = QtWidgets.QWidget()
    layout = QtWidgets.QVBoxLayout(row)
    layout.setContentsMargins(0, 2, 0, 2)
    layout.setSpacing(1)
    key = plain_label(label)
    font = key.font()
    font.setBold(True)
    key.setFont(font)
    layout.addWidget(key)
    widget = plain_label(value, selectable=True) if isinstance(value, str) else value
    widget.setAccessibleName(label)
    layout.addWidget(widget)
    return row
