"""The subjects of a request (people, locations, businesses), part of the request form: the
list with each subject's role on this request, the inline panel that adds or changes one, and the
finder for a subject already in the vault (one subject, many requests).

The rules live in app.subjects (`validate_subject`, `check_role`); this shows and asks. Names are
shown as plain text with hidden characters marked and flagged.
"""

from __future__ import annotations

from app import textcheck
from app.records import today_london
from app.subjects import KINDS as SUBJECT_KINDS
from app.subjects import ROLES as SUBJECT_ROLES
from app.subjects import check_role, get_subject, requests_of_subject, validate_subject
from app.errors import SpocError
from ui.kit.dialogs import error_text
from ui.kit.fields import DateField, LineBox, TextBox
from ui.kit.formatting import uk_date
from ui.kit.widgets import ErrorSummary, FieldRow, heading, hint_label, plain_label
from ui.qt import QtWidgets, Qt, Signal
from ui.kit import theme

KIND_TITLES = {"person": "Person", "location": "Location", "business": "Business"}


def _lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def subject_name_display(name: str) -> str:
    """The name with hidden characters shown as markers and a visible flag."""
    if textcheck.has_hidden(name):
        return f"⚠ {textcheck.visible(name)}  [hidden characters]"
    return name


def subject_fields_of(subject) -> dict:
    """A core Subject as the form's dict of subject fields."""
    return {"kind": subject.kind, "name": subject.name, "aliases": list(subject.aliases),
            "date_of_birth": uk_date(subject.date_of_birth), "addresses": list(subject.addresses),
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
        theme.style(self.error, "color: {danger}; font-weight: bold;")
        self.error.hide()
        layout.addWidget(self.error)
        self.table = QtWidgets.QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(("Role on this request", "Kind", "Name", "Aliases", "Date of birth"))
        self.table.resizeColumnsToContents()   # the headings show whole before any subject is added
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
        theme.style(self.flags, "color: {danger};")
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
        theme.style(self.panel, "QFrame#subjectPanel { border: 0px none; border-left: 4px solid {border}; }")
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
        self.name = LineBox(max_length=20_000)
        self.name_row = FieldRow("Name", self.name, "Exactly as it is known, in any script; do not split or reorder it.")
        panel.addWidget(self.name_row)
        self.name_warning = plain_label("")
        theme.style(self.name_warning, "color: {danger}; font-weight: bold;")
        self.name_warning.hide()
        panel.addWidget(self.name_warning)
        self.name.textChanged.connect(self._name_changed)
        self.aliases = TextBox(2)
        self.aliases_row = FieldRow("Aliases or other names", self.aliases, "One on each line.")
        panel.addWidget(self.aliases_row)
        self.date_of_birth = DateField(latest=today_london)
        self.dob_row = FieldRow("Date of birth", self.date_of_birth, "For example, 27/03/1988. Leave blank if not known.")
        panel.addWidget(self.dob_row)
        self.addresses = TextBox(2)
        self.addresses_row = FieldRow("Addresses", self.addresses,
                                      "One address on each line, for example 12 Example Street, Derby, DE1 1AA.")
        panel.addWidget(self.addresses_row)
        self.identifiers = TextBox(2)
        self.identifiers_row = FieldRow("Identifiers", self.identifiers,
                                        "One on each line as type: value, for example passport: RO1234567 "
                                        "or NI number: QQ123456C.")
        panel.addWidget(self.identifiers_row)
        self.description = TextBox(2)
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
                    theme.mark_item(item, "danger")
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
        self.aliases.set_value("\n".join(fields.get("aliases") or []))
        self.date_of_birth.setText(fields.get("date_of_birth") or "")
        self.addresses.set_value("\n".join(fields.get("addresses") or []))
        self.identifiers.set_value("\n".join(
            f"{i.get('type', '')}: {i.get('value', '')}" if i.get("type") else i.get("value", "")
            for i in fields.get("identifiers") or []))
        self.description.set_value(fields.get("description", ""))
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
        for line in _lines(self.identifiers.value()):
            kind, sep, value = line.partition(":")
            if sep:
                identifiers.append({"type": kind.strip(), "value": value.strip()})
            else:
                identifiers.append({"type": "", "value": line.strip()})
        kind = self.kind.currentData()
        return {"kind": kind, "name": self.name.text(), "aliases": _lines(self.aliases.value()),
                "date_of_birth": self.date_of_birth.text().strip() if kind == "person" else "",
                "addresses": _lines(self.addresses.value()), "identifiers": identifiers,
                "description": self.description.value()}

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
        theme.style(self, "QFrame#subjectFinder { border: 0px none; border-left: 4px solid {accent}; }")
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
        theme.style(self.flag, "color: {danger}; font-weight: bold;")
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
            self.say_problem(error_text(exc, "Nothing could be searched."), self.query)
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
                theme.mark_item(item, "danger")
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
            self.say_problem(error_text(exc, "That subject could not be read."))
            return
        self.subject = subject
        lines = [f"{KIND_TITLES.get(subject.kind, subject.kind)}: {textcheck.visible(subject.name)}"]
        if subject.aliases:
            lines.append("Also known as: " + "; ".join(textcheck.visible(a) for a in subject.aliases))
        if subject.date_of_birth:
            lines.append(f"Date of birth: {uk_date(subject.date_of_birth)}")
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
