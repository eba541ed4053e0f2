"""The building blocks of the Meetings screen: the small titled form every part of a meeting
is recorded with (field rows by key, an error summary naming the field, one action button), its
tables, and the dialog that convenes a new meeting. The rules are app.meetings'."""

from __future__ import annotations

from app import meetings as core
from app.agreement import load_agreement
from app.errors import SpocError
from app.records import Invalid
from ui.kit.dialogs import error_text
from ui.kit.fields import DateField, LineBox
from ui.kit.forms import Form as KitForm
from ui.kit.forms import combo
from ui.kit.guard import GuardedDialog
from ui.kit.widgets import (MarkingBanner, frameless_scroll, heading, plain_label)
from ui.qt import QtWidgets, Qt, Signal
from ui.kit import theme

TIME_HINT = "Day/month/year and 24-hour UK time, for example 28/11/2026 14:05"


def partner_items(first: str | None = None):
    items = [("", first)] if first else []
    return items + [(p.code, p.name) for p in load_agreement().partners]


def make_table(columns, name: str) -> QtWidgets.QTableWidget:
    table = QtWidgets.QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(columns)
    table.setAccessibleName(name)
    table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
    table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move within it
    table.verticalHeader().hide()
    table.setWordWrap(True)
    return table


def fill_rows(table: QtWidgets.QTableWidget, rows, ids) -> None:
    table.setRowCount(len(rows))
    for r, (values, key) in enumerate(zip(rows, ids)):
        for c, value in enumerate(values):
            item = QtWidgets.QTableWidgetItem(value)  # QTableWidgetItem text is never rich text
            item.setData(Qt.ItemDataRole.UserRole, key)
            table.setItem(r, c, item)
    table.resizeRowsToContents()
    table.setMinimumHeight(min(80 + 30 * max(1, len(rows)), 260))


class Form(KitForm):
    """The kit's titled form with the meeting field labels (app.meetings.LABELS): an error summary,
    field rows by key and one action button. A clear can keep some fields, a date keeps the
    text as typed (a draft holds what the user typed), and `typed()` gives that text for a draft."""

    def __init__(self, title: str, hint: str = "", button: str = "&Save"):
        super().__init__(title, core.LABELS, hint, button)

    def set_value(self, key: str, value) -> None:
        field = self.inputs[key]
        if isinstance(field, DateField):
            field.edit.setText(value or "")
        else:
            super().set_value(key, value)

    def clear(self, keep=()) -> None:
        for key in self.inputs:
            if key not in keep:
                self.set_value(key, "")
        self.show_problems([])

    def typed(self) -> dict:
        """What the user typed (text fields only), for a draft."""
        return {k: v for k, v in self.values().items() if isinstance(v, str) and v.strip()
                and not isinstance(self.inputs[k], QtWidgets.QComboBox)}


class NewMeetingDialog(GuardedDialog, QtWidgets.QDialog):
    """Convene a meeting: date and time, place, chair and the chair's agency."""

    saved = Signal(object)

    def __init__(self, session, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.meeting = None
        self.setWindowTitle("New tactical meeting – SPOC Desk")
        self.resize(620, 560)
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(MarkingBanner())
        scroll = frameless_scroll()
        outer.addWidget(scroll, 1)
        body = QtWidgets.QWidget()
        scroll.setWidget(body)
        layout = QtWidgets.QVBoxLayout(body)
        layout.setContentsMargins(24, 12, 24, 12)
        layout.addWidget(heading("New tactical meeting"))
        layout.addWidget(plain_label("Relevant partners convene to agree a response (clause 2.7, Appendix 2a). "
                                     "You add the attendees, the agenda and the actions once the meeting is saved."))
        self.form = Form("Details", button="&Save meeting")
        theme.style(self.form, "")
        self.form.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.held_at = self.form.add("held_at", "Date and time", LineBox(), TIME_HINT, width=240)
        self.held_at.setPlaceholderText("dd/mm/yyyy HH:MM")
        self.place = self.form.add("place", "Place", LineBox(), "The building and room, or the secure call used")
        self.chair = self.form.add("chair", "Chair", LineBox(), "The name of the person chairing the meeting")
        self.chair.set_value(getattr(session.vault, "actor", "") if session.vault.role == "chair" else "")
        self.chair_agency = self.form.add("chair_agency", "Chair's agency",
                                          combo(partner_items(), "Chair's agency"))
        self.form.set_value("chair_agency", session.vault.agency)
        layout.addWidget(self.form)
        layout.addStretch(1)
        self.save_button = self.form.button
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.submit)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.reject)
        self.form.buttons.insertWidget(1, self.cancel_button)
        outer.addWidget(MarkingBanner())

    def submit(self):
        data = self.form.values()
        problems, _clean = core.validate_meeting(data)
        if problems:
            self.form.show_problems(problems)
            return None
        try:
            meeting = core.create_meeting(self.session.vault, data)
        except Invalid as exc:
            self.form.show_problems(exc.problems)
            return None
        except SpocError as exc:
            self.form.show_problems([("", error_text(exc, "The meeting was not saved."))])
            return None
        self.meeting = meeting
        self.saved.emit(meeting)
        self.accept()
        return meeting
