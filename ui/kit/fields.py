"""The one set of input widgets: single- and multi-line text, the date field, the check list,
read-only text and summary rows (GOV.UK habits: plain text, one column)."""

from __future__ import annotations

import datetime as _dt

from app.records import parse_date
from ui.kit.widgets import no_mnemonic, plain_label
from ui.qt import QtCore, QtGui, QtWidgets, Qt, Signal



class TextBox(QtWidgets.QPlainTextEdit):
    """Multi-line plain text that gives back exactly what it was given unless the user edits it
    (Qt turns \\r\\n into \\n on display; a saved value must round-trip byte for byte)."""

    def __init__(self, lines: int = 4, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._exact = ""
        self._shown = ""
        self.setTabChangesFocus(True)
        self.setWordWrapMode(QtGui.QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setFixedHeight(self.fontMetrics().lineSpacing() * lines + 14)

    def set_value(self, value: str) -> None:
        self._exact = value or ""
        self.setPlainText(self._exact)
        self._shown = self.toPlainText()

    def value(self) -> str:
        text = self.toPlainText()
        return self._exact if text == self._shown else text


class LineBox(QtWidgets.QLineEdit):
    """One line of text with the same exact round trip as TextBox."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setMaxLength(100_000)
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
    """A date typed as day/month/year, with a calendar button (DESIGN.md)."""

    changed = Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QtWidgets.QLineEdit()
        self.edit.setPlaceholderText("for example 27/3/2026")
        self.edit.setMaximumWidth(160)
        self.edit.textChanged.connect(lambda _t: self.changed.emit())
        layout.addWidget(self.edit)
        self.button = QtWidgets.QToolButton()
        self.button.setText("Calendar…")
        self.button.setAccessibleName("Choose the date from a calendar")
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

    def set_text(self, text: str) -> None:
        self.edit.setText(text)

    def set_date(self, value: _dt.date | str | None) -> None:
        try:
            parsed = parse_date(value)
        except (ValueError, TypeError):
            self.edit.setText(str(value or ""))
            return
        self.edit.setText(f"{parsed.day}/{parsed.month}/{parsed.year}" if parsed else "")

    def show_calendar(self) -> None:
        if self.calendar is None:
            self.calendar = QtWidgets.QCalendarWidget(self, Qt.WindowType.Popup)
            self.calendar.setGridVisible(True)
            self.calendar.setMaximumDate(QtCore.QDate.currentDate().addDays(1))
            self.calendar.clicked.connect(self._picked)
            self.calendar.activated.connect(self._picked)
        try:
            current = parse_date(self.edit.text())
        except (ValueError, TypeError):
            current = None
        if current:
            self.calendar.setSelectedDate(QtCore.QDate(current.year, current.month, current.day))
        self.calendar.move(self.button.mapToGlobal(QtCore.QPoint(0, self.button.height())))
        self.calendar.show()
        self.calendar.setFocus()

    def _picked(self, date: QtCore.QDate) -> None:
        self.set_date(_dt.date(date.year(), date.month(), date.day()))
        if self.calendar is not None:
            self.calendar.hide()
        self.edit.setFocus()


class CheckList(QtWidgets.QWidget):
    """A column of check boxes for codes; focus goes to the first one (error-summary links)."""

    changed = Signal()

    def __init__(self, choices: list[tuple[str, str]], parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.boxes: dict[str, QtWidgets.QCheckBox] = {}
        for code, text in choices:
            box = QtWidgets.QCheckBox(no_mnemonic(text))
            box.setAccessibleName(text)
            box.toggled.connect(lambda _on: self.changed.emit())
            layout.addWidget(box)
            self.boxes[code] = box
        if self.boxes:
            self.setFocusProxy(next(iter(self.boxes.values())))

    def values(self) -> list[str]:
        return [code for code, box in self.boxes.items() if box.isChecked()]

    def set_values(self, codes) -> None:
        wanted = set(codes or ())
        for code, box in self.boxes.items():
            box.setChecked(code in wanted)


def readonly_text(text: str, lines: int = 3, name: str = "") -> TextBox:
    """Long user text shown read-only, as plain text, wrapped even inside long words."""
    box = TextBox(lines)
    box.setReadOnly(True)
    box.set_value(text)
    box.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
    wanted = box.fontMetrics().lineSpacing() * max(1, min(lines, text.count("\n") + 1 + len(text) // 90)) + 14
    box.setFixedHeight(min(wanted, box.fontMetrics().lineSpacing() * lines + 14))
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
