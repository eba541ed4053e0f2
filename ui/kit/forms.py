"""Small titled forms and simple tables for the area pages (GOV.UK habits: one column, an error
summary whose links move focus, each field's own message)."""

from __future__ import annotations

from ui.kit.keys import primary_button
from ui.kit.fields import CheckList, DateField
from ui.kit.widgets import (SUCCESS_STYLE, ErrorSummary, FieldRow, announce, heading, hint_label, plain_label,
                             show_field_problems)
from ui.qt import QtWidgets, Qt
from ui.kit import theme


def combo(items, name: str) -> QtWidgets.QComboBox:
    box = QtWidgets.QComboBox()
    for value, text in items:
        box.addItem(text, value)
    box.setAccessibleName(name)
    return box


def table(columns, name: str) -> QtWidgets.QTableWidget:
    view = QtWidgets.QTableWidget(0, len(columns))
    view.setHorizontalHeaderLabels(columns)
    view.setAccessibleName(name)
    view.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
    view.setTabKeyNavigation(False)  # Tab leaves the table; arrows move within it
    view.verticalHeader().hide()
    view.setWordWrap(True)
    view.horizontalHeader().setStretchLastSection(True)
    return view


def fill(view: QtWidgets.QTableWidget, rows, ids, *, max_height: int = 260) -> None:
    view.setRowCount(len(rows))
    for r, (values, key) in enumerate(zip(rows, ids)):
        for c, value in enumerate(values):
            item = QtWidgets.QTableWidgetItem(value)  # QTableWidgetItem text is never rich text
            item.setData(Qt.ItemDataRole.UserRole, key)
            view.setItem(r, c, item)
    view.resizeColumnsToContents()
    view.resizeRowsToContents()
    view.setMinimumHeight(min(70 + 28 * max(1, len(rows)), max_height))


def selected_key(view: QtWidgets.QTableWidget):
    row = view.currentRow()
    if row < 0 or not view.selectionModel().hasSelection():
        return None
    item = view.item(row, 0)
    return item.data(Qt.ItemDataRole.UserRole) if item else None


class Form(QtWidgets.QFrame):
    """A titled form: an error summary, field rows by key, one action button.
    `show_problems([(key, message)])` puts each message on its row and in the summary."""

    def __init__(self, title: str, labels: dict, hint: str = "", button: str = "&Save"):
        super().__init__()
        self.labels = labels
        self.setObjectName("areaForm")
        theme.style(self, "QFrame#areaForm { border: 1px solid {border}; }")
        self.layout_ = QtWidgets.QVBoxLayout(self)
        self.layout_.setContentsMargins(12, 8, 12, 8)
        self.layout_.setSpacing(2)
        self.layout_.addWidget(heading(title, 2))
        if hint:
            self.layout_.addWidget(hint_label(hint))
        self.summary = ErrorSummary()
        self.layout_.addWidget(self.summary)
        self.done = plain_label("")          # what the last save did ("… is added"), given the focus
        theme.style(self.done, SUCCESS_STYLE)
        self.done.setAccessibleName("Confirmation")
        self.done.hide()
        self.layout_.addWidget(self.done)
        self.rows: dict[str, FieldRow] = {}
        self.inputs: dict[str, QtWidgets.QWidget] = {}
        self.buttons = QtWidgets.QHBoxLayout()
        self.button = QtWidgets.QPushButton(button)
        primary_button(self.button)   # Ctrl+S presses it; styled by resources/style.qss
        self.buttons.addWidget(self.button)
        self.buttons.addStretch(1)
        self._button_row = QtWidgets.QWidget()
        self._button_row.setLayout(self.buttons)
        self.layout_.addWidget(self._button_row)

    def add(self, key: str, label: str, field: QtWidgets.QWidget, hint: str = "", width: int = 560):
        row = FieldRow(label, field, hint)
        if not isinstance(field, (QtWidgets.QPlainTextEdit, CheckList)):
            field.setMaximumWidth(width)
        if isinstance(field, DateField):
            row.field = field.edit
            row.label.setBuddy(field.edit)
        self.rows[key] = row
        self.inputs[key] = field
        self.layout_.insertWidget(self.layout_.indexOf(self._button_row), row)
        return field

    def value(self, key: str):
        field = self.inputs[key]
        if isinstance(field, QtWidgets.QComboBox):
            return field.currentData() or ""
        if isinstance(field, DateField):
            return field.edit.text().strip()
        if isinstance(field, CheckList):
            return field.values()
        return field.value()

    def values(self) -> dict:
        return {key: self.value(key) for key in self.inputs}

    def set_value(self, key: str, value) -> None:
        field = self.inputs[key]
        if isinstance(field, QtWidgets.QComboBox):
            field.setCurrentIndex(max(0, field.findData(value or "")))
        elif isinstance(field, DateField):
            field.set_date(value or None)
        elif isinstance(field, CheckList):
            field.set_values(value or [])
        else:
            field.set_value(value or "")

    def clear(self) -> None:
        for key in self.inputs:
            self.set_value(key, "")
        self.show_problems([])

    def confirm(self, text: str) -> None:
        """Say what the save did under the form's title and move the focus there, so the keyboard
        and a screen reader land on it; Tab goes on to the form's first field."""
        announce(self.done, text)

    def show_problems(self, problems) -> None:
        if problems:
            self.done.hide()
        entries = show_field_problems(self.rows, self.summary, problems, self.labels)
        if entries and entries[0][0] is not None:
            entries[0][0].setFocus(Qt.FocusReason.OtherFocusReason)
