"""The request form (Appendix 2, Modern Slavery Personal Data Request), one column, in the
form's order: reference, request date, person making the request, reason, the information check
request (information date, information, what partners are asked), subjects, agencies, the
partnership-working question, exploitation types (1.4), purposes (4.3), information sought (5.2)
and the declaration.

The rules live in app.requests and app.subjects: this form collects what was typed, asks
`validate_request` / `validate_subject` for problems, shows them in an error summary whose links
move focus, and under each field. Every user text is shown as plain text. `state()` and
`set_state()` carry every input (JSON-serialisable) so a half-filled form survives a lock.
"""

from __future__ import annotations

import datetime as _dt

from app import textcheck
from app.agreement import load_agreement
from app.errors import SpocError
from app.records import Invalid, Problem, parse_date
from app.requests import LABELS, save_request, validate_request
from app.subjects import KINDS as SUBJECT_KINDS
from app.subjects import ROLES as SUBJECT_ROLES
from app.subjects import (check_role, get_subject, requests_of_subject, validate_subject)
from app.suspensions import current as current_suspension
from app.timeutil import london_display
from ui.qt import QtCore, QtGui, QtWidgets, Qt, Signal
from ui.kit.widgets import ErrorSummary, FieldRow, frameless_scroll, heading, hint_label, plain_label

KIND_TITLES = {"person": "Person", "location": "Location", "business": "Business"}


# ---- small building blocks -------------------------------------------------------------------


def iso_to_uk(value: str | None) -> str:
    """'2026-03-02' -> '02/03/2026'; anything unparseable is returned as it was."""
    if not value:
        return ""
    try:
        parsed = parse_date(value)
    except (ValueError, TypeError):
        return str(value)
    return parsed.strftime("%d/%m/%Y") if parsed else ""


def plain_text(edit: QtWidgets.QPlainTextEdit) -> str:
    """The exact text of a plain-text box (toPlainText would turn no-break spaces into spaces)."""
    return edit.document().toRawText().replace("\u2029", "\n")


def text_box(height_lines: int = 4) -> QtWidgets.QPlainTextEdit:
    box = QtWidgets.QPlainTextEdit()
    box.setTabChangesFocus(True)
    box.setLineWrapMode(QtWidgets.QPlainTextEdit.LineWrapMode.WidgetWidth)
    metrics = box.fontMetrics()
    box.setFixedHeight(metrics.lineSpacing() * height_lines + 14)
    return box



class DateField(QtWidgets.QWidget):
    """A date typed as dd/mm/yyyy, with a calendar button beside it. The text is kept as typed;
    the core checks it (so '31/02/2026' gets the core's own message)."""

    textChanged = Signal(str)  # noqa: N815 - mirrors QLineEdit

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QtWidgets.QLineEdit()
        self.edit.setPlaceholderText("dd/mm/yyyy")
        self.edit.setMaxLength(40)
        width = self.edit.fontMetrics().horizontalAdvance("00/00/00000") + 24
        self.edit.setFixedWidth(max(width, 120))
        self.edit.textChanged.connect(self.textChanged)
        self.button = QtWidgets.QToolButton()
        self.button.setText("Calendar…")
        self.button.setToolTip("Choose the date on a calendar")
        self.button.setAccessibleName("Choose the date on a calendar")
        self.button.clicked.connect(self.show_calendar)
        layout.addWidget(self.edit)
        layout.addWidget(self.button)
        layout.addStretch(1)
        self.setFocusProxy(self.edit)
        self.calendar: QtWidgets.QCalendarWidget | None = None

    def text(self) -> str:
        return self.edit.text()

    def setText(self, text: str) -> None:  # noqa: N802 - mirrors QLineEdit
        self.edit.setText(text or "")

    def set_iso(self, value: str | None) -> None:
        self.setText(iso_to_uk(value))

    def show_calendar(self) -> QtWidgets.QCalendarWidget:
        calendar = QtWidgets.QCalendarWidget(self, Qt.WindowType.Popup)
        calendar.setGridVisible(True)
        calendar.setFirstDayOfWeek(Qt.DayOfWeek.Monday)
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
        self.calendar = calendar
        return calendar

    def _picked(self, calendar, date: QtCore.QDate) -> None:
        self.setText(f"{date.day():02d}/{date.month():02d}/{date.year():04d}")
        calendar.close()
        self.calendar = None
        self.edit.setFocus()


class WrapCheck(QtWidgets.QWidget):
    """A checkbox whose (long) text wraps; clicking the text ticks the box."""

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


class CheckGroup(QtWidgets.QWidget):
    """A list of codes to tick; `values()` keeps the agreement's order."""

    changed = Signal()

    def __init__(self, items, parent: QtWidgets.QWidget | None = None):
        """items: (code, text, hint, indent) tuples."""
        super().__init__(parent)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.checks: dict[str, WrapCheck] = {}
        for code, text, hint, indent in items:
            check = WrapCheck(code, text, hint)
            check.layout().setContentsMargins(28 * indent, 2, 0, 2)
            check.box.toggled.connect(lambda _v: self.changed.emit())
            layout.addWidget(check)
            self.checks[code] = check
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


def section(layout: QtWidgets.QVBoxLayout, title: str, hint: str = "") -> None:
    layout.addSpacing(14)
    layout.addWidget(heading(title, 2))
    if hint:
        layout.addWidget(hint_label(hint))


def _lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def subject_name_display(name: str) -> str:
    """The name with hidden characters shown as markers and a visible flag."""
    if textcheck.has_hidden(name):
        return f"⚠ {textcheck.visible(name)}  [hidden characters]"
    return name


# ---- subjects --------------------------------------------------------------------------------


def subject_fields_of(subject) -> dict:
    """A core Subject as the form's dict of subject fields."""
    return {"kind": subject.kind, "name": subject.name, "aliases": list(subject.aliases),
            "date_of_birth": iso_to_uk(subject.date_of_birth), "addresses": list(subject.addresses),
            "identifiers": [dict(i) for i in subject.identifiers], "description": subject.description}


def _normal_subject(fields: dict) -> dict:
    """Cleaned subject fields, for comparing what was loaded with what is in the form."""
    _problems, clean = validate_subject(fields)
    return clean


class SubjectEditor(QtWidgets.QWidget):
    """Subjects of the request (people, locations, businesses), each with its role on this
    request; an inline panel (not a dialog, so a lock keeps what is being typed) adds or edits one."""

    changed = Signal()

    def __init__(self, vault=None, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.vault = vault
        self.entries: list[dict] = []   # {"subject_id": str|None, "role": str, "subject": {fields}}
        self.editing: int | None = None   # index being edited; None when adding
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.error = plain_label("")
        self.error.setStyleSheet("color: #b10e1e; font-weight: bold;")
        self.error.hide()
        layout.addWidget(self.error)
        self.table = QtWidgets.QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(("Role on this request", "Kind", "Name", "Aliases", "Date of birth"))
        self.table.setAccessibleName("Subjects of this request")
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(True)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMinimumHeight(120)
        self.table.setMaximumHeight(220)
        self.table.doubleClicked.connect(lambda _i: self.edit_selected())
        self.table.itemSelectionChanged.connect(self._update_buttons)
        layout.addWidget(self.table)
        self.flags = plain_label("")
        self.flags.setStyleSheet("color: #b10e1e;")
        self.flags.hide()
        layout.addWidget(self.flags)
        buttons = QtWidgets.QHBoxLayout()
        self.add_person = QtWidgets.QPushButton("Add a &person")
        self.add_location = QtWidgets.QPushButton("Add a lo&cation")
        self.add_business = QtWidgets.QPushButton("Add a &business")
        self.edit_button = QtWidgets.QPushButton("Change subject")
        self.remove_button = QtWidgets.QPushButton("Remove from request")
        self.add_person.clicked.connect(lambda: self.start_add("person"))
        self.add_location.clicked.connect(lambda: self.start_add("location"))
        self.add_business.clicked.connect(lambda: self.start_add("business"))
        self.edit_button.clicked.connect(self.edit_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        for button in (self.add_person, self.add_location, self.add_business, self.edit_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.add_existing = QtWidgets.QPushButton("Add an e&xisting subject…")
        self.add_existing.setToolTip("Find a person, location or business already in this vault and add them "
                                     "to this request with a role.")
        self.add_existing.clicked.connect(self.start_find)
        self.add_existing.setVisible(vault is not None)
        layout.addWidget(self.add_existing, 0, Qt.AlignmentFlag.AlignLeft)
        self.setFocusProxy(self.add_person)

        # the inline search panel for a subject already in the vault (one subject, many requests)
        self.finder = ExistingSubjectFinder(vault) if vault is not None else None
        if self.finder is not None:
            self.finder.chosen.connect(self.add_found)
            self.finder.hide()
            layout.addWidget(self.finder)

        # the inline panel
        self.panel = QtWidgets.QFrame()
        self.panel.setObjectName("subjectPanel")
        self.panel.setStyleSheet("QFrame#subjectPanel { border-left: 4px solid #b1b4b6; }")
        panel = QtWidgets.QVBoxLayout(self.panel)
        panel.setContentsMargins(16, 8, 8, 8)
        self.panel_title = heading("Add a person", 2)
        panel.addWidget(self.panel_title)
        self.summary = ErrorSummary()
        panel.addWidget(self.summary)
        self.kind = QtWidgets.QComboBox()
        for kind in SUBJECT_KINDS:
            self.kind.addItem(KIND_TITLES[kind], kind)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.kind_row = FieldRow("Kind of subject", self.kind)
        panel.addWidget(self.kind_row)
        self.role = QtWidgets.QComboBox()
        for code, title in SUBJECT_ROLES.items():
            self.role.addItem(title, code)
        self.role_row = FieldRow("Role on this request", self.role,
                                 "Potential victim, suspected perpetrator, associate, or unknown if not yet clear.")
        panel.addWidget(self.role_row)
        self.name = QtWidgets.QLineEdit()
        self.name.setMaxLength(20_000)
        self.name_row = FieldRow("Name", self.name, "Exactly as it is known, in any script; do not split or reorder it.")
        panel.addWidget(self.name_row)
        self.name_warning = plain_label("")
        self.name_warning.setStyleSheet("color: #b10e1e; font-weight: bold;")
        self.name_warning.hide()
        panel.addWidget(self.name_warning)
        self.name.textChanged.connect(self._name_changed)
        self.aliases = text_box(2)
        self.aliases_row = FieldRow("Aliases or other names", self.aliases, "One on each line.")
        panel.addWidget(self.aliases_row)
        self.date_of_birth = DateField()
        self.dob_row = FieldRow("Date of birth", self.date_of_birth, "For example, 27/03/1988. Leave blank if not known.")
        panel.addWidget(self.dob_row)
        self.addresses = text_box(2)
        self.addresses_row = FieldRow("Addresses", self.addresses,
                                      "One address on each line, for example 12 Example Street, Derby, DE1 1AA.")
        panel.addWidget(self.addresses_row)
        self.identifiers = text_box(2)
        self.identifiers_row = FieldRow("Identifiers", self.identifiers,
                                        "One on each line as type: value, for example passport: RO1234567 "
                                        "or NI number: QQ123456C.")
        panel.addWidget(self.identifiers_row)
        self.description = text_box(2)
        self.description_row = FieldRow("Description", self.description,
                                        "Anything that helps partners find the right record.")
        panel.addWidget(self.description_row)
        panel_buttons = QtWidgets.QHBoxLayout()
        self.keep_button = QtWidgets.QPushButton("Add subject")
        self.keep_button.clicked.connect(self.keep)
        self.discard_button = QtWidgets.QPushButton("Cancel")
        self.discard_button.clicked.connect(self.close_panel)
        panel_buttons.addWidget(self.keep_button)
        panel_buttons.addWidget(self.discard_button)
        panel_buttons.addStretch(1)
        panel.addLayout(panel_buttons)
        self.panel.hide()
        layout.addWidget(self.panel)
        self._rows = {"kind": self.kind_row, "name": self.name_row, "aliases": self.aliases_row,
                      "date_of_birth": self.dob_row, "addresses": self.addresses_row,
                      "identifiers": self.identifiers_row, "description": self.description_row,
                      "role": self.role_row}
        self._update_buttons()

    # ---- the list --------------------------------------------------------------------------

    def set_entries(self, entries) -> None:
        self.entries = [dict(e) for e in entries or []]
        self._fill_table()

    def _fill_table(self) -> None:
        self.table.setRowCount(len(self.entries))
        flagged = []
        for row, entry in enumerate(self.entries):
            fields = entry.get("subject") or {}
            name = fields.get("name", "")
            cells = (SUBJECT_ROLES.get(entry.get("role"), entry.get("role", "")),
                     KIND_TITLES.get(fields.get("kind"), fields.get("kind", "")),
                     subject_name_display(name),
                     "; ".join(textcheck.visible(a) for a in fields.get("aliases") or []),
                     fields.get("date_of_birth") or "")
            for column, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text)
                if column == 2 and textcheck.has_hidden(name):
                    item.setToolTip(textcheck.warning(name) or "")
                    item.setForeground(QtGui.QColor("#b10e1e"))
                self.table.setItem(row, column, item)
            for alias in [name] + list(fields.get("aliases") or []):
                if textcheck.has_hidden(alias):
                    flagged.append(f"{textcheck.visible(alias)}: {textcheck.warning(alias)}")
        self.table.resizeColumnsToContents()
        self.table.resizeRowsToContents()
        self.flags.setText("\n".join(flagged))
        self.flags.setVisible(bool(flagged))
        self._update_buttons()
        self.changed.emit()

    def selected_index(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def _update_buttons(self) -> None:
        chosen = self.selected_index() is not None
        self.edit_button.setEnabled(chosen)
        self.remove_button.setEnabled(chosen)

    def remove_selected(self) -> None:
        index = self.selected_index()
        if index is None:
            return
        del self.entries[index]
        if self.editing is not None:
            self.close_panel()
        self._fill_table()

    def set_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))

    # ---- a subject already in the vault ----------------------------------------------------

    def start_find(self) -> None:
        if self.finder is None:
            return
        self.close_panel()
        self.finder.open_panel()

    def add_found(self, subject, role: str) -> bool:
        """Link a subject already in the vault (the same subject id) with its role on this request."""
        if any(e.get("subject_id") == subject.id for e in self.entries):
            self.finder.say_problem(f"{textcheck.visible(subject.name)} is already a subject of this request.")
            return False
        self.entries.append({"subject_id": subject.id, "role": role, "subject": subject_fields_of(subject)})
        self.finder.close_panel()
        self.set_error(None)
        self._fill_table()
        self.table.selectRow(len(self.entries) - 1)
        return True

    # ---- the panel -------------------------------------------------------------------------

    def start_add(self, kind: str = "person") -> None:
        if self.finder is not None:
            self.finder.close_panel()
        self.editing = None
        self._fill_panel({"kind": kind}, "unknown")
        self.panel_title.setText(f"Add a {kind}")
        self.keep_button.setText("Add subject")
        self.panel.show()
        self.name.setFocus()

    def edit_selected(self) -> None:
        index = self.selected_index()
        if index is None:
            return
        entry = self.entries[index]
        self.editing = index
        self._fill_panel(entry.get("subject") or {}, entry.get("role", "unknown"))
        self.panel_title.setText("Change subject")
        self.keep_button.setText("Keep changes")
        self.panel.show()
        self.name.setFocus()

    def _fill_panel(self, fields: dict, role: str) -> None:
        self.kind.setCurrentIndex(max(self.kind.findData(fields.get("kind") or "person"), 0))
        self.role.setCurrentIndex(max(self.role.findData(role), 0))
        self.name.setText(fields.get("name", ""))
        self.aliases.setPlainText("\n".join(fields.get("aliases") or []))
        self.date_of_birth.setText(fields.get("date_of_birth") or "")
        self.addresses.setPlainText("\n".join(fields.get("addresses") or []))
        self.identifiers.setPlainText("\n".join(
            f"{i.get('type', '')}: {i.get('value', '')}" if i.get("type") else i.get("value", "")
            for i in fields.get("identifiers") or []))
        self.description.setPlainText(fields.get("description", ""))
        self.summary.show_problems([])
        for row in self._rows.values():
            row.set_error(None)
        self._kind_changed()

    def _kind_changed(self) -> None:
        person = self.kind.currentData() == "person"
        self.dob_row.setVisible(person)
        self.aliases_row.setVisible(True)

    def _name_changed(self, text: str) -> None:
        warning = textcheck.warning(text)
        if warning:
            self.name_warning.setText(f"{warning}\nShown with the hidden characters marked: {textcheck.visible(text)}")
        self.name_warning.setVisible(bool(warning))

    def panel_fields(self) -> dict:
        identifiers = []
        for line in _lines(plain_text(self.identifiers)):
            kind, sep, value = line.partition(":")
            if sep:
                identifiers.append({"type": kind.strip(), "value": value.strip()})
            else:
                identifiers.append({"type": "", "value": line.strip()})
        kind = self.kind.currentData()
        return {"kind": kind, "name": self.name.text(), "aliases": _lines(plain_text(self.aliases)),
                "date_of_birth": self.date_of_birth.text().strip() if kind == "person" else "",
                "addresses": _lines(plain_text(self.addresses)), "identifiers": identifiers,
                "description": plain_text(self.description)}

    def keep(self) -> bool:
        """Check the panel with the core's rules; add or change the entry in the list."""
        fields = self.panel_fields()
        role = self.role.currentData()
        problems, _clean = validate_subject(fields)
        problems += check_role(role)
        found = []
        for row in self._rows.values():
            row.set_error(None)
        for problem in problems:
            row = self._rows.get(problem.field, self.name_row)
            row.set_error(problem.message)
            found.append((row.field, problem.message))
        self.summary.show_problems(found)
        if found:
            found[0][0].setFocus()
            return False
        if self.editing is None:
            self.entries.append({"subject_id": None, "role": role, "subject": fields})
        else:
            self.entries[self.editing] = {**self.entries[self.editing], "role": role, "subject": fields}
        self.close_panel()
        self.set_error(None)
        self._fill_table()
        return True

    def close_panel(self) -> None:
        self.editing = None
        self.panel.hide()
        self.summary.show_problems([])

    def panel_state(self) -> dict | None:
        if not self.panel.isVisibleTo(self) and self.panel.isHidden():
            return None
        return {"editing": self.editing, "role": self.role.currentData(), "subject": self.panel_fields()}

    def set_panel_state(self, state: dict | None) -> None:
        if not state:
            self.close_panel()
            return
        editing = state.get("editing")
        self.editing = editing if isinstance(editing, int) and 0 <= editing < len(self.entries) else None
        fields = state.get("subject") or {}
        self._fill_panel(fields, state.get("role") or "unknown")
        self.panel_title.setText("Change subject" if self.editing is not None else
                                 f"Add a {fields.get('kind') or 'person'}")
        self.keep_button.setText("Keep changes" if self.editing is not None else "Add subject")
        self.panel.show()


class ExistingSubjectFinder(QtWidgets.QFrame):
    """Find a person, location or business already in the vault by name or alias (app.search,
    audited), see each hit as plain text with hidden characters flagged and the requests it is on,
    and add it with a role. Inline, not a dialog: a lock keeps the request form as a draft."""

    chosen = Signal(object, str)  # Subject, role code

    def __init__(self, vault, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.vault = vault
        self.hits: list = []
        self.subject = None
        self.setObjectName("subjectFinder")
        self.setStyleSheet("QFrame#subjectFinder { border-left: 4px solid #1d70b8; }")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(16, 8, 8, 8)
        layout.addWidget(heading("Add an existing subject", 2))
        layout.addWidget(hint_label("The same person, location or business can be a subject of many requests. "
                                    "Searches are recorded in the audit trail (the number of matches, not the "
                                    "words)."))
        self.summary = ErrorSummary()
        layout.addWidget(self.summary)
        search_line = QtWidgets.QWidget()
        line = QtWidgets.QHBoxLayout(search_line)
        line.setContentsMargins(0, 0, 0, 0)
        self.query = QtWidgets.QLineEdit()
        self.query.setMaxLength(500)
        self.query.setClearButtonEnabled(True)
        self.query.returnPressed.connect(self.find)
        self.find_button = QtWidgets.QPushButton("&Find")
        self.find_button.clicked.connect(self.find)
        line.addWidget(self.query, 1)
        line.addWidget(self.find_button)
        search_line.setFocusProxy(self.query)
        self.query_row = FieldRow("&Name or alias", search_line,
                                  "Part of a name or alias is enough, in any script; “nguyen” finds “Nguyễn”.")
        self.query.setAccessibleName("Name or alias to find")
        layout.addWidget(self.query_row)
        self.results = QtWidgets.QListWidget()
        self.results.setAccessibleName("Subjects found")
        self.results.setWordWrap(True)
        self.results.setMinimumHeight(90)
        self.results.setMaximumHeight(170)
        self.results.currentRowChanged.connect(self._hit_chosen)
        self.results_row = FieldRow("Subjects found", self.results)
        self.results_row.hide()
        layout.addWidget(self.results_row)
        self.details = plain_label("", selectable=True)
        self.details.setAccessibleName("The subject chosen")
        self.details.hide()
        layout.addWidget(self.details)
        self.flag = plain_label("")
        self.flag.setStyleSheet("color: #b10e1e; font-weight: bold;")
        self.flag.hide()
        layout.addWidget(self.flag)
        self.role = QtWidgets.QComboBox()
        for code, title in SUBJECT_ROLES.items():
            self.role.addItem(title, code)
        self.role.setCurrentIndex(max(self.role.findData("unknown"), 0))
        self.role_row = FieldRow("&Role on this request", self.role,
                                 "Their role on this request; it may differ from their role on other requests.")
        layout.addWidget(self.role_row)
        buttons = QtWidgets.QHBoxLayout()
        self.add_button = QtWidgets.QPushButton("Add to this re&quest")
        self.add_button.clicked.connect(self.add)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.close_panel)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.setFocusProxy(self.query)

    def open_panel(self) -> None:
        self.summary.show_problems([])
        self.show()
        self.query.setFocus()
        self.bring_into_view()

    def bring_into_view(self) -> None:
        """Scroll the page so the whole panel shows (it opens below the subjects table)."""
        parent = self.parentWidget()
        while parent is not None and not isinstance(parent, QtWidgets.QScrollArea):
            parent = parent.parentWidget()
        if parent is not None:
            QtWidgets.QApplication.processEvents()
            parent.ensureWidgetVisible(self, 0, 0)
            parent.ensureWidgetVisible(self.query, 0, 40)

    def close_panel(self) -> None:
        self.summary.show_problems([])
        self.query_row.set_error(None)
        self.hide()

    def say_problem(self, text: str, field: QtWidgets.QWidget | None = None) -> None:
        field = field or self.results
        row = self.query_row if field is self.query else self.results_row
        row.set_error(text)
        self.summary.show_problems([(field, text)])

    def find(self) -> list:
        """Search subjects by name or alias with the core; show each hit as plain text."""
        from app.search import search

        self.summary.show_problems([])
        self.query_row.set_error(None)
        self.results_row.set_error(None)
        try:
            result = search(self.vault, self.query.text(), 50, kinds=("subject",))
        except SpocError as exc:
            self.say_problem(str(exc.args[0]) if exc.args else "Nothing could be searched.", self.query)
            self.query.setFocus()
            return []
        self.hits = [h for h in result.hits if h.kind == "subject"]
        self.results.clear()
        for hit in self.hits:
            on = requests_of_subject(self.vault, hit.record_id)
            text = subject_name_display(hit.label or "")
            text += ("\nOn " + ", ".join(f"{ref} ({SUBJECT_ROLES.get(role, role)})" for _id, ref, role in on)
                     if on else "\nNot on any request yet")
            item = QtWidgets.QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, hit.record_id)
            if textcheck.has_hidden(hit.label or ""):
                item.setForeground(QtGui.QColor("#b10e1e"))
                item.setToolTip(textcheck.warning(hit.label) or "")
            self.results.addItem(item)
        count = len(self.hits)
        self.results_row.label.setText(f"Subjects found ({count}{', more exist: add words' if result.truncated else ''})")
        self.results_row.show()
        self.details.hide()
        self.flag.hide()
        self.subject = None
        if count:
            self.results.setCurrentRow(0)
            self.results.setFocus()
        else:
            self.results_row.set_error("No person, location or business matches. Check the spelling, or add a "
                                       "new subject instead.")
        return self.hits

    def _hit_chosen(self, row: int) -> None:
        self.results_row.set_error(None)
        self.summary.show_problems([])
        if row < 0 or row >= len(self.hits):
            self.subject = None
            self.details.hide()
            self.flag.hide()
            return
        try:
            subject = get_subject(self.vault, self.hits[row].record_id)   # audited as a view
        except SpocError as exc:
            self.say_problem(str(exc.args[0]) if exc.args else "That subject could not be read.")
            return
        self.subject = subject
        lines = [f"{KIND_TITLES.get(subject.kind, subject.kind)}: {textcheck.visible(subject.name)}"]
        if subject.aliases:
            lines.append("Also known as: " + "; ".join(textcheck.visible(a) for a in subject.aliases))
        if subject.date_of_birth:
            lines.append(f"Date of birth: {iso_to_uk(subject.date_of_birth)}")
        if subject.addresses:
            lines.append("Addresses: " + "; ".join(subject.addresses))
        on = requests_of_subject(self.vault, subject.id)
        lines.append("Already a subject of: " + ", ".join(
            f"{ref} ({SUBJECT_ROLES.get(role, role)})" for _id, ref, role in on) if on else
            "Not a subject of any request yet.")
        self.details.setText("\n".join(lines))
        self.details.show()
        flagged = [textcheck.warning(v) for v in (subject.name, *subject.aliases) if textcheck.has_hidden(v)]
        self.flag.setText("⚠ " + " ".join(dict.fromkeys(flagged)) if flagged else "")
        self.flag.setVisible(bool(flagged))

    def add(self) -> bool:
        if self.subject is None:
            self.say_problem("Find and choose the subject to add" if self.hits or not self.query.text().strip()
                             else "Find the subject first: type a name or alias and choose Find",
                             self.results if self.hits else self.query)
            return False
        self.chosen.emit(self.subject, self.role.currentData())
        return True

    def state(self) -> dict | None:
        if self.isHidden():
            return None
        return {"query": self.query.text(), "role": self.role.currentData()}

    def set_state(self, state: dict | None) -> None:
        if not isinstance(state, dict):
            self.close_panel()
            return
        query = state.get("query") if isinstance(state.get("query"), str) else ""
        self.query.setText(query)
        self.role.setCurrentIndex(max(self.role.findData(state.get("role")), 0))
        self.open_panel()
        if query.strip():
            self.find()


# ---- agencies --------------------------------------------------------------------------------


class AgencyChooser(QtWidgets.QWidget):
    """The agreement's partners and their sub-services, to tick; suspended partners (13.2) are
    shown but cannot be ticked; an agency the request was already sent to stays ticked."""

    changed = Signal()

    def __init__(self, vault, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        agreement = load_agreement()
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.tree = QtWidgets.QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setAccessibleName("Agencies to ask")
        self.tree.setUniformRowHeights(True)
        self.tree.setMinimumHeight(260)
        self.items: dict[str, QtWidgets.QTreeWidgetItem] = {}
        self.suspended: dict[str, str] = {}
        self._sent: set[str] = set()
        for partner in agreement.partners:
            if partner.code == vault.agency:
                continue
            suspension = current_suspension(vault, partner.code)
            text = f"{partner.name} ({partner.code})"
            if suspension is not None:
                reason = suspension.reason.replace("\n", " ")
                text += f" — suspended under clause 13.2: {reason}. Nothing can be sent to them."
                self.suspended[partner.code] = reason
            top = QtWidgets.QTreeWidgetItem([text])
            top.setData(0, Qt.ItemDataRole.UserRole, partner.code)
            self._checkable(top, suspension is None)
            self.tree.addTopLevelItem(top)
            self.items[partner.code] = top
            for sub in partner.sub_services:
                label = sub.name + (" — the usual team for requests" if sub.spoc else "")
                child = QtWidgets.QTreeWidgetItem([label])
                target = f"{partner.code}/{sub.code}"
                child.setData(0, Qt.ItemDataRole.UserRole, target)
                self._checkable(child, suspension is None)
                top.addChild(child)
                self.items[target] = child
        self.tree.itemChanged.connect(lambda _i, _c: self.changed.emit())
        layout.addWidget(self.tree)
        self.setFocusProxy(self.tree)

    @staticmethod
    def _checkable(item: QtWidgets.QTreeWidgetItem, enabled: bool) -> None:
        flags = Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsSelectable
        if enabled:
            flags |= Qt.ItemFlag.ItemIsEnabled
        item.setFlags(flags)
        item.setCheckState(0, Qt.CheckState.Unchecked)

    def values(self) -> list[str]:
        return [target for target, item in self.items.items()
                if item.checkState(0) == Qt.CheckState.Checked]

    def set_values(self, targets, sent=()) -> None:
        wanted, self._sent = set(targets or ()), set(sent or ())
        self.tree.blockSignals(True)
        for target, item in self.items.items():
            item.setCheckState(0, Qt.CheckState.Checked if target in wanted else Qt.CheckState.Unchecked)
            if target in self._sent:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsUserCheckable)
                if "already sent" not in item.text(0):
                    item.setText(0, item.text(0) + " — already sent")
            if target in wanted and "/" in target:
                self.items[target.split("/")[0]].setExpanded(True)
        self.tree.blockSignals(False)
        self.changed.emit()

    def check(self, target: str, value: bool = True) -> None:
        self.items[target].setCheckState(0, Qt.CheckState.Checked if value else Qt.CheckState.Unchecked)


# ---- the form --------------------------------------------------------------------------------


class RequestForm(QtWidgets.QWidget):
    """Appendix 2 as a form. `saved(Request)` after a successful save; `cancelled()`."""

    saved = Signal(object)
    cancelled = Signal()

    TEXT_FIELDS = ("requester_name", "requester_rank", "requester_number", "requester_team")

    def __init__(self, session, request=None, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.request = None
        agreement = load_agreement()
        form = agreement.request_form
        declaration = agreement.declaration

        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.scroll = frameless_scroll()
        outer.addWidget(self.scroll)
        content = QtWidgets.QWidget()
        self.scroll.setWidget(content)
        centre = QtWidgets.QHBoxLayout(content)
        centre.setContentsMargins(24, 16, 24, 24)
        column = QtWidgets.QWidget()
        column.setMaximumWidth(760)
        centre.addWidget(column, 1)
        centre.addStretch(0)
        layout = QtWidgets.QVBoxLayout(column)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)

        self.back_button = QtWidgets.QPushButton("← Back without saving")
        self.back_button.setFlat(True)
        self.back_button.setStyleSheet("text-align: left; color: #1d70b8; text-decoration: underline;")
        self.back_button.clicked.connect(self.cancel)
        layout.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.title = heading(form.title)
        layout.addWidget(self.title)
        layout.addWidget(hint_label(f"{form.operation}. {declaration.motto}"))
        self.details_button = QtWidgets.QToolButton()
        self.details_button.setText("▸ The powers this request is made under")
        self.details_button.setCheckable(True)
        self.details_button.setStyleSheet("QToolButton { border: none; color: #1d70b8; text-decoration: underline; }")
        self.preamble = plain_label(declaration.legal_preamble)
        self.preamble.setStyleSheet("border-left: 4px solid #b1b4b6; padding-left: 12px; color: #0b0c0c;")
        self.preamble.hide()
        self.details_button.toggled.connect(self._toggle_preamble)
        layout.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.preamble)

        self.summary = ErrorSummary()
        layout.addWidget(self.summary)
        self.rows: dict[str, FieldRow] = {}

        def row(key: str, widget: QtWidgets.QWidget, hint: str = "", label: str | None = None) -> FieldRow:
            field_row = FieldRow(label or LABELS.get(key, key), widget, hint)
            self.rows[key] = field_row
            layout.addWidget(field_row)
            return field_row

        section(layout, "Reference")
        self.reference = plain_label("Given when you first save, for example MSR-2026-0001.", selectable=True)
        self.reference.setAccessibleName("Reference")
        layout.addWidget(self.reference)

        section(layout, "Request date")
        self.request_date = DateField()
        row("request_date", self.request_date, "For example, 27/03/2026. Today's date unless the request was made earlier.")

        section(layout, "Person making the request")
        self.requester_name = QtWidgets.QLineEdit()
        self.requester_rank = QtWidgets.QLineEdit()
        self.requester_number = QtWidgets.QLineEdit()
        self.requester_team = QtWidgets.QLineEdit()
        for edit in (self.requester_name, self.requester_rank, self.requester_number, self.requester_team):
            edit.setMaxLength(20_000)
        row("requester_name", self.requester_name, "The officer or member of staff partners should answer to.",
            label="Name")
        row("requester_rank", self.requester_rank, "For example, Detective Sergeant.")
        row("requester_number", self.requester_number)
        row("requester_team", self.requester_team, "For example, “Op Wilberforce” Modern Day Slavery and "
                                                   "Human Trafficking Team.")
        self.requester_contact = text_box(3)
        row("requester_contact", self.requester_contact,
            "Telephone, mobile and secure e-mail (for example …@derbyshire.pnn.police.uk).")

        section(layout, "Reason", "Under the Modern Slavery Information Sharing Agreement:")
        self.reasons = CheckGroup([(r.id, r.text, "", 0) for r in agreement.request_reasons])
        row("reasons", self.reasons, "Choose all that apply.", label="Reason for the request")

        section(layout, "Information check request")
        self.information_date = DateField()
        row("information_date", self.information_date, "When the information was received, for example 27/03/2026.")
        self.information = text_box(6)
        row("information", self.information, "The intelligence behind the request, as plain text.")
        self.check_request = text_box(4)
        row("check_request", self.check_request, "What partners are asked to check or provide.",
            label="Request")

        section(layout, "Subjects", "The people, locations and businesses partners are asked about. "
                                    "A request needs at least one before it can be sent.")
        self.subjects = SubjectEditor(session.vault if session.can("search") else None)
        self.rows["subjects"] = None  # the editor shows its own message
        layout.addWidget(self.subjects)

        section(layout, "Agencies", "Which partners to ask (section 3). Nothing is sent until you choose "
                                    "“Send to agencies…” on the saved request.")
        self.agencies = AgencyChooser(session.vault)
        row("agencies", self.agencies, label="Agencies to ask")

        section(layout, "Partnership working")
        self.partnership_question = text_box(3)
        self.partnership_question.setPlainText(form.partnership_working_prompt)
        row("partnership_question", self.partnership_question,
            "The question partners answer about working with you; change it if you need to.",
            label="Partnership working question")

        section(layout, "About the request", "From the agreement: these help partners judge the request.")
        self.exploitation_types = CheckGroup(
            [(e.id, e.name, e.description, 0) for e in agreement.exploitation_types])
        row("exploitation_types", self.exploitation_types, "Section 1.4. Choose all that apply.")
        purposes = []
        for purpose in agreement.purposes:
            purposes.append((purpose.id, purpose.text, "", 0))
            purposes.extend((item.id, item.text, "", 1) for item in purpose.items)
        self.purposes = CheckGroup(purposes)
        row("purposes", self.purposes, "Section 4.3. At least one is needed before sending.")
        self.info_types = CheckGroup([(i.id, i.text, "", 0) for i in agreement.information_types])
        row("info_types", self.info_types, "Section 5.2: what the information is needed to do. "
                                           "At least one is needed before sending.")

        section(layout, "Declaration")
        self.declaration = CheckGroup([(c.id, c.text, "", 0) for c in declaration.confirmations])
        row("declaration", self.declaration,
            "Tick every statement before sending. Who ticked them and when is recorded when you save.",
            label="I confirm that")
        self.declared = hint_label("")
        self.declared.hide()
        layout.addWidget(self.declared)
        for text in (declaration.subject_warning, declaration.onward_requests, declaration.retain_line):
            if text:
                layout.addWidget(hint_label(text))

        layout.addSpacing(16)
        buttons = QtWidgets.QHBoxLayout()
        self.save_button = QtWidgets.QPushButton("&Save as draft")
        self.save_button.setDefault(True)
        self.save_button.setStyleSheet("QPushButton { background: #00703c; color: #ffffff; padding: 6px 14px; "
                                       "font-weight: bold; }")
        self.save_button.clicked.connect(self.save)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(1)

        self._clear_on_change()
        if request is not None:
            self.load(request)
        else:
            self.request_date.setText(_dt.date.today().strftime("%d/%m/%Y"))
            self.setWindowTitle("New request")
        self._baseline = self.state()

    def _toggle_preamble(self, shown: bool) -> None:
        self.preamble.setVisible(shown)
        self.details_button.setText(("▾ " if shown else "▸ ") + "The powers this request is made under")

    def _clear_on_change(self) -> None:
        for key, widget in (("request_date", self.request_date), ("information_date", self.information_date)):
            widget.textChanged.connect(lambda _t, k=key: self.rows[k].set_error(None))
        for key in self.TEXT_FIELDS:
            getattr(self, key).textChanged.connect(lambda _t, k=key: self.rows[k].set_error(None))
        for key in ("requester_contact", "information", "check_request", "partnership_question"):
            getattr(self, key).textChanged.connect(lambda k=key: self.rows[k].set_error(None))
        for key in ("reasons", "exploitation_types", "purposes", "info_types", "declaration", "agencies"):
            getattr(self, key).changed.connect(lambda k=key: self.rows[k].set_error(None))
        self.subjects.changed.connect(lambda: self.subjects.set_error(None))

    # ---- loading and state -----------------------------------------------------------------

    @property
    def request_id(self) -> str | None:
        return self.request.id if self.request is not None else None

    def load(self, request) -> None:
        self.request = request
        self.reference.setText(request.reference)
        self.title.setText(f"{load_agreement().request_form.title}: {request.reference}")
        self.setWindowTitle(f"Change {request.reference}")
        self.back_button.setText("← Back to the request without saving")
        self.request_date.set_iso(request.request_date)
        for key in self.TEXT_FIELDS:
            getattr(self, key).setText(getattr(request, key))
        self.requester_contact.setPlainText(request.requester_contact)
        self.reasons.set_values(request.reasons)
        self.information_date.set_iso(request.information_date)
        self.information.setPlainText(request.information)
        self.check_request.setPlainText(request.check_request)
        self.subjects.set_entries([{"subject_id": s.id, "role": s.role or "unknown",
                                    "subject": subject_fields_of(s)} for s in request.subjects])
        self.agencies.set_values([d.target for d in request.dispatches],
                                 sent=[d.target for d in request.dispatches if d.status != "draft"])
        self.partnership_question.setPlainText(request.partnership_question)
        self.exploitation_types.set_values(request.exploitation_types)
        self.purposes.set_values(request.purposes)
        self.info_types.set_values(request.info_types)
        self.declaration.set_values(request.declaration)
        if request.declared_at:
            self.declared.setText(f"Confirmed by {request.declared_by} on {london_display(request.declared_at)}.")
            self.declared.show()
        self._baseline = self.state()

    def fields(self) -> dict:
        """The request fields as app.requests expects them (dates as typed)."""
        data = {"request_date": self.request_date.text().strip(),
                "requester_contact": plain_text(self.requester_contact),
                "reasons": self.reasons.values(),
                "information_date": self.information_date.text().strip(),
                "information": plain_text(self.information),
                "check_request": plain_text(self.check_request),
                "partnership_question": plain_text(self.partnership_question),
                "exploitation_types": self.exploitation_types.values(),
                "purposes": self.purposes.values(),
                "info_types": self.info_types.values(),
                "declaration": self.declaration.values()}
        for key in self.TEXT_FIELDS:
            data[key] = getattr(self, key).text()
        return data

    def state(self) -> dict:
        """Every input, JSON-serialisable (for an encrypted draft)."""
        return {"request_id": self.request_id, **self.fields(),
                "subjects": [dict(e) for e in self.subjects.entries],
                "subject_panel": self.subjects.panel_state(),
                "subject_search": self.subjects.finder.state() if self.subjects.finder is not None else None,
                "agencies": self.agencies.values()}

    def set_state(self, state: dict) -> None:
        def text(key):
            value = state.get(key)
            return value if isinstance(value, str) else ""

        def codes(key):
            value = state.get(key)
            return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

        self.request_date.setText(text("request_date"))
        for key in self.TEXT_FIELDS:
            getattr(self, key).setText(text(key))
        for key in ("requester_contact", "information", "check_request", "partnership_question"):
            getattr(self, key).setPlainText(text(key))
        self.information_date.setText(text("information_date"))
        for key in ("reasons", "exploitation_types", "purposes", "info_types", "declaration"):
            getattr(self, key).set_values(codes(key))
        entries = [e for e in state.get("subjects") or [] if isinstance(e, dict) and isinstance(e.get("subject"), dict)]
        self.subjects.set_entries(entries)
        self.subjects.set_panel_state(state.get("subject_panel") if isinstance(state.get("subject_panel"), dict)
                                      else None)
        if self.subjects.finder is not None:
            self.subjects.finder.set_state(state.get("subject_search"))
        sent = [d.target for d in self.request.dispatches if d.status != "draft"] if self.request else []
        self.agencies.set_values([t for t in codes("agencies") if t in self.agencies.items] + sent, sent=sent)

    def has_unsaved_input(self) -> bool:
        return self.state() != self._baseline

    # ---- validation and saving -------------------------------------------------------------

    def _widget_for(self, field: str) -> QtWidgets.QWidget:
        if field.startswith("subjects"):
            return self.subjects
        row = self.rows.get(field)
        return row.field if row is not None else self.summary

    def show_problems(self, problems) -> None:
        for row in self.rows.values():
            if row is not None:
                row.set_error(None)
        self.subjects.set_error(None)
        found = []
        for problem in problems:
            field, text = problem.field, problem.message
            label = LABELS.get(field.split("[")[0].split(".")[0], "")
            if field.startswith("subjects"):
                self.subjects.set_error(text)
            elif self.rows.get(field) is not None:
                self.rows[field].set_error(text if text[:1].isupper() else f"{label} {text}")
            if not text[:1].isupper():   # the core's "is too long (…)" style: name the field
                text = f"{label} {text}"
            found.append((self._widget_for(field), text))
        self.summary.show_problems(found)
        if found:
            self.scroll.ensureWidgetVisible(self.summary)
            self.summary.setFocus()

    def validate(self) -> list[Problem]:
        problems, _clean = validate_request(self.fields())
        for index, entry in enumerate(self.subjects.entries):
            sub_problems, _ = validate_subject(entry.get("subject") or {}, f"subjects[{index}].")
            problems += sub_problems + check_role(entry.get("role", ""), f"subjects[{index}].role")
        if not self.subjects.panel.isHidden():
            problems.append(Problem("subjects", "Add or cancel the subject you are entering first"))
        self.show_problems(problems)
        return problems

    def save(self):
        """Save as a draft; returns the Request, or None when something stopped it."""
        if self.validate():
            return None
        try:
            request, subject_ids = save_request(self.session.vault, self.request.id if self.request else None,
                                                self.fields(), self.subjects.entries, self.agencies.values())
        except Invalid as exc:
            self.show_problems(exc.problems)
            return None
        except SpocError as exc:
            self.show_problems([Problem("", str(exc.args[0]) if exc.args else "The request was not saved.")])
            return None
        for entry, subject_id in zip(self.subjects.entries, subject_ids):
            entry["subject_id"] = subject_id
        self.request = request
        self._baseline = self.state()
        self.saved.emit(request)
        return request

    def cancel(self) -> None:
        self.cancelled.emit()
