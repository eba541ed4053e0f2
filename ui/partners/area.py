"""Partners (Appendix 4, 4a): the agreement's partners and their teams, the secure channels each
uses with those channels' e-mail suffixes, and this desk's contacts for each partner. An
administrator adds, edits and deactivates contacts in a form under the list; an e-mail address no
approved channel accepts gets a visible written warning (app.contacts.email_warning). A partner
suspended under clause 13.2 is shown as suspended, with the reason and the date.
"""

from __future__ import annotations

from app import contacts as directory_core
from app.agreement import load_agreement
from app.errors import SpocError
from app.records import Invalid
from app.suspensions import current as current_suspension
from ui.partners.desks import PartnerDeskSection, ThisDeskDialog
from ui.qt import QtWidgets, Qt, Signal
from ui.kit.keys import primary_button
from ui.kit.dialogs import error_text, field_value, question_box, set_field_value
from ui.kit.guard import ask_discard, input_snapshot, open_question
from ui.kit.fields import LineBox
from ui.kit.formatting import channel_name, uk_time
from ui.kit.widgets import Area, announce, bold_label, ErrorSummary, FieldRow, frameless_scroll, heading, hint_label, plain_label
from ui.kit import theme

CONTACT_COLUMNS = ("Name", "Team", "Role", "E-mail", "Telephone", "Channel", "Check")
FORM_LABELS = {
    "sub_service": "Team (sub-service)",
    "team": "Team name, if not listed",
    "name": "Name",
    "role": "Role",
    "email": "E-mail address",
    "telephone": "Telephone",
    "channel": "Secure channel",
    "partner": "Partner",
}
WARNING_STYLE = ("QLabel { color: {warning}; background: {notice}; border: 0px none; border-left: 5px solid {notice-edge}; padding: 4px; "
                 "font-weight: bold; }")


class ContactForm(QtWidgets.QFrame):
    """Add or edit one contact of the selected partner (inline, not a dialog)."""

    saved = Signal(object)
    cancelled = Signal()

    def __init__(self, session, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.partner = ""
        self.contact = None
        self._baseline: tuple | None = None
        self.setObjectName("contactForm")
        theme.style(self, "QFrame#contactForm { border: 1px solid {border}; }")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        self.title = heading("Add a contact", 2)
        layout.addWidget(self.title)
        self.summary = ErrorSummary()
        layout.addWidget(self.summary)
        self.rows: dict[str, FieldRow] = {}
        self.sub_service = QtWidgets.QComboBox()
        self._add(layout, "sub_service", self.sub_service, "The part of the partner this contact works in")
        self.team = LineBox()
        self._add(layout, "team", self.team, "Optional")
        self.name = LineBox()
        self._add(layout, "name", self.name)
        self.role = LineBox()
        self._add(layout, "role", self.role, "For example SPOC or Information Governance lead")
        self.email = LineBox()
        self._add(layout, "email", self.email,
                  "Use the address on the partner's secure channel, for example name@example.pnn.police.uk")
        self.email_warning = plain_label("")
        theme.style(self.email_warning, WARNING_STYLE)
        self.email_warning.setAccessibleName("E-mail warning")
        self.email_warning.hide()
        layout.addWidget(self.email_warning)
        self.telephone = LineBox()
        self._add(layout, "telephone", self.telephone,
                  "A recognised number, so identity can be checked by calling back (9.5)")
        self.channel = QtWidgets.QComboBox()
        self._add(layout, "channel", self.channel, "The approved channel used to reach this contact (Appendix 4)")
        self.email.textChanged.connect(lambda _t: self.check_email())
        self.channel.currentIndexChanged.connect(lambda _i: self.check_email())
        buttons = QtWidgets.QHBoxLayout()
        self.save_button = QtWidgets.QPushButton("&Save contact")
        primary_button(self.save_button)   # Ctrl+S presses it; styled by resources/style.qss
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.submit)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.hide()

    def _add(self, layout, key: str, field, hint_text: str = "") -> None:
        row = FieldRow(FORM_LABELS[key], field, hint_text)
        if isinstance(field, QtWidgets.QLineEdit):
            field.setMaximumWidth(520)
            field.textChanged.connect(lambda _t, r=row: r.set_error(None))
        else:
            field.setMaximumWidth(520)
        self.rows[key] = row
        layout.addWidget(row)

    def start(self, partner_code: str, contact=None) -> None:
        agreement = load_agreement()
        partner = agreement.partner(partner_code)
        self.partner = partner_code
        self.contact = contact
        self.title.setText(f"Edit {contact.name}" if contact is not None else f"Add a contact for {partner.name}")
        self.sub_service.clear()
        self.sub_service.addItem("Whole agency (no particular team)", "")
        for sub in partner.sub_services:
            self.sub_service.addItem(sub.name + (" (SPOC team)" if sub.spoc else ""), sub.code)
        self.channel.clear()
        self.channel.addItem("Not recorded", "")
        ordered = list(partner.secure_channels) + [c.id for c in agreement.secure_channels
                                                   if c.id not in partner.secure_channels]
        for channel_id in ordered:
            self.channel.addItem(agreement.secure_channel(channel_id).name, channel_id)
        values = {key: getattr(contact, key) if contact is not None else "" for key in
                  ("team", "name", "role", "email", "telephone")}
        for key, value in values.items():
            getattr(self, key).set_value(value)
        self.sub_service.setCurrentIndex(max(0, self.sub_service.findData(contact.sub_service if contact else "")))
        default_channel = contact.channel if contact is not None else (partner.secure_channels or ("",))[0]
        self.channel.setCurrentIndex(max(0, self.channel.findData(default_channel)))
        self.summary.show_problems([])
        for row in self.rows.values():
            row.set_error(None)
        self.check_email()
        self.show()
        self._baseline = input_snapshot(self)
        self.name.setFocus()

    def has_unsaved_changes(self) -> bool:
        """Typed into since the form opened (ui/kit/guard.py)."""
        return not self.isHidden() and self._baseline is not None and input_snapshot(self) != self._baseline

    def discard_changes(self) -> None:
        self._baseline = None
        self.hide()

    def state(self) -> dict:
        """What a lock keeps as a draft: the partner, the contact being edited and the fields."""
        return {"partner": self.partner, "contact_id": self.contact.id if self.contact is not None else None,
                "fields": {key: field_value(row.field) for key, row in self.rows.items()}}

    def set_state(self, fields: dict) -> None:
        for key, row in self.rows.items():
            if key in fields:
                set_field_value(row.field, fields[key])
        self.check_email()

    def data(self) -> dict:
        return {"partner": self.partner, "sub_service": self.sub_service.currentData() or "",
                "team": self.team.value(), "name": self.name.value(), "role": self.role.value(),
                "email": self.email.value(), "telephone": self.telephone.value(),
                "channel": self.channel.currentData() or ""}

    def check_email(self) -> str | None:
        """Show the suffix warning under the e-mail field (text, not colour only)."""
        email = self.email.value().strip()
        warning = None
        if email and directory_core.EMAIL.match(email):
            try:
                warning = directory_core.email_warning(email, self.channel.currentData() or "")
            except Exception:  # noqa: BLE001 - a hint while typing never stops the form
                warning = None
        self.email_warning.setText(f"Warning: {warning}" if warning else "")
        self.email_warning.setVisible(bool(warning))
        return warning

    def show_problems(self, problems) -> None:
        for row in self.rows.values():
            row.set_error(None)
        entries = []
        for field, text in problems:
            row = self.rows.get(field)
            if row is not None:
                row.set_error(text)
                label = FORM_LABELS.get(field, field)
                entries.append((row.field, text if text[:1].isupper() else f"{label} {text}"))
            else:
                entries.append((None, text))
        self.summary.show_problems(entries)

    def submit(self):
        data = self.data()
        problems, _clean = directory_core.validate_contact(data)
        if problems:
            self.show_problems(problems)
            return None
        try:
            if self.contact is None:
                saved = directory_core.add_contact(self.session.vault, data)
            else:
                saved = directory_core.update_contact(self.session.vault, self.contact.id, data)
        except Invalid as exc:
            self.show_problems(exc.problems)
            return None
        except SpocError as exc:
            self.show_problems([("", error_text(exc, "The contact was not saved."))])
            return None
        self._baseline = None
        self.hide()
        self.saved.emit(saved)
        return saved

    def cancel(self) -> None:
        """Cancel (and Escape): asks "Discard changes?" when something was typed."""
        if open_question(self) is not None:
            return

        def close() -> None:
            self.discard_changes()
            self.cancelled.emit()

        ask_discard(self, self.has_unsaved_changes, close)


class PartnersArea(Area):
    key = "partners"
    title = "Partners"
    permission = "contacts.read"

    def __init__(self, session, parent: QtWidgets.QWidget | None = None):
        super().__init__(session, parent)
        self.agreement = load_agreement()
        self.entries: list = []
        self._dialog = None
        self.can_manage = session.can("contacts.manage")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.setSpacing(6)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(heading("Partners"))
        top.addStretch(1)
        self.desk_button = QtWidgets.QPushButton("&This desk's card…")
        self.desk_button.setToolTip("This desk's card and fingerprint, to e-mail to partners and read on the telephone")
        self.desk_button.clicked.connect(lambda: self.show_this_desk())
        top.addWidget(self.desk_button)
        layout.addLayout(top)
        layout.addWidget(plain_label(
            "The agreement's partners, the secure channels they use (Appendix 4) and this desk's contacts for "
            "each (Appendix 4a). Personal data goes only through an approved secure channel (9.5)."))

        split = QtWidgets.QHBoxLayout()
        split.setSpacing(16)
        layout.addLayout(split, 1)
        left = QtWidgets.QVBoxLayout()
        list_label = bold_label("&Partner")
        left.addWidget(list_label)
        self.partner_list = QtWidgets.QListWidget()
        self.partner_list.setObjectName("partnerList")
        theme.style(self.partner_list, "QListWidget#partnerList::item { padding: 5px 8px; }")
        self.partner_list.setAccessibleName("Partners of the agreement")
        self.partner_list.setFixedWidth(max(300, self.partner_list.fontMetrics().horizontalAdvance(
            "Derbyshire Healthcare NHS Foundation Trust (DHCFT)") + 30))
        self.partner_list.setWordWrap(True)
        self.partner_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        list_label.setBuddy(self.partner_list)
        self._shown_row = -1
        self.partner_list.currentRowChanged.connect(self._partner_chosen)
        left.addWidget(self.partner_list, 1)
        split.addLayout(left)

        self.scroll = frameless_scroll()
        split.addWidget(self.scroll, 1)
        page = QtWidgets.QWidget()
        self.scroll.setWidget(page)
        detail = QtWidgets.QVBoxLayout(page)
        detail.setContentsMargins(0, 0, 8, 0)
        self.partner_title = heading("", 1)
        detail.addWidget(self.partner_title)
        self.partner_facts = plain_label("", selectable=True)
        detail.addWidget(self.partner_facts)
        self.suspended = plain_label("")
        self.suspended.setAccessibleName("Suspension")
        theme.style(self.suspended, "QLabel { color: {alert-text}; background: {alert}; border: 3px solid {alert-edge}; "
                    "padding: 3px; font-weight: bold; }")
        self.suspended.hide()
        detail.addWidget(self.suspended)
        detail.addWidget(heading("Secure channels", 2))
        self.channels = plain_label("", selectable=True)
        self.channels.setAccessibleName("Secure channels")
        detail.addWidget(self.channels)
        self.teams_heading = heading("Teams", 2)
        detail.addWidget(self.teams_heading)
        self.teams = plain_label("", selectable=True)
        self.teams.setAccessibleName("Teams")
        detail.addWidget(self.teams)
        self.desk_section = PartnerDeskSection(session)
        detail.addWidget(self.desk_section)
        from ui.partners.outage import OutageSection

        self.outage_section = OutageSection(session)   # 10.2: a channel down and the alternative exchange
        detail.addWidget(self.outage_section)
        detail.addWidget(heading("This desk's contacts", 2))
        self.no_contacts = hint_label("No contacts recorded for this partner yet.")
        detail.addWidget(self.no_contacts)
        self.table = QtWidgets.QTableWidget(0, len(CONTACT_COLUMNS))
        self.table.setHorizontalHeaderLabels(CONTACT_COLUMNS)
        self.table.setAccessibleName("Contacts for the selected partner")
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setSortingEnabled(True)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate((130, 100, 90, 190, 100, 130)):
            self.table.setColumnWidth(column, width)
        self.table.setMinimumHeight(150)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(lambda _i: self.edit_selected() if self.can_manage else None)
        detail.addWidget(self.table)
        self.contact_warnings = plain_label("")
        theme.style(self.contact_warnings, WARNING_STYLE)
        self.contact_warnings.setAccessibleName("Contact warnings")
        self.contact_warnings.hide()
        detail.addWidget(self.contact_warnings)
        actions = QtWidgets.QHBoxLayout()
        self.add_button = QtWidgets.QPushButton("&Add contact…")
        self.add_button.clicked.connect(self.add_contact)
        self.edit_button = QtWidgets.QPushButton("&Edit contact…")
        self.edit_button.clicked.connect(self.edit_selected)
        self.deactivate_button = QtWidgets.QPushButton("&Deactivate contact…")
        self.deactivate_button.clicked.connect(self.deactivate_selected)
        for button in (self.add_button, self.edit_button, self.deactivate_button):
            actions.addWidget(button)
            button.setVisible(self.can_manage)
        actions.addStretch(1)
        detail.addLayout(actions)
        if not self.can_manage:
            detail.addWidget(hint_label("Only an administrator can change the contacts."))
        self.status = plain_label("", selectable=True)
        self.status.setAccessibleName("Result")
        detail.addWidget(self.status)
        self.form = ContactForm(session)
        self.form.saved.connect(self._contact_saved)
        detail.addWidget(self.form)
        detail.addStretch(1)

    # ---- loading ---------------------------------------------------------------------------

    def refresh(self) -> None:
        code = self.current_code()
        try:
            self.entries = directory_core.directory(self.session.vault)
        except SpocError as exc:
            self.entries = []
            self.status.setText(error_text(exc, "The partners directory could not be read."))
        self.partner_list.blockSignals(True)
        self.partner_list.clear()
        for entry in self.entries:
            text = f"{entry.name} ({entry.code})"
            if entry.suspended:
                text += " — SUSPENDED"
            item = QtWidgets.QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, entry.code)
            item.setToolTip(text)
            self.partner_list.addItem(item)
        self.partner_list.blockSignals(False)
        codes = [e.code for e in self.entries]
        self.partner_list.setCurrentRow(codes.index(code) if code in codes else (0 if codes else -1))
        self._show_partner()

    def show_this_desk(self) -> QtWidgets.QDialog:
        dialog = ThisDeskDialog(self.session, self)
        dialog.open()
        self._dialog = dialog
        return dialog

    def current_code(self) -> str:
        item = self.partner_list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else ""

    def select_partner(self, code: str) -> None:
        for row in range(self.partner_list.count()):
            if self.partner_list.item(row).data(Qt.ItemDataRole.UserRole) == code:
                self.partner_list.setCurrentRow(row)
                return
        raise KeyError(code)

    def entry(self, code: str | None = None):
        code = code or self.current_code()
        return next((e for e in self.entries if e.code == code), None)

    def _partner_chosen(self, row: int) -> None:
        """Another partner: first ask, if the contact form holds typing (it would be lost)."""
        if row == self._shown_row:
            return
        if not self.form.has_unsaved_changes():
            self._show_partner()
            return
        previous = self._shown_row

        def keep() -> None:
            self.partner_list.blockSignals(True)
            self.partner_list.setCurrentRow(previous)
            self.partner_list.blockSignals(False)

        if open_question(self.form) is not None:
            keep()
            return
        ask_discard(self.form, True, lambda: (self.form.discard_changes(), self._show_partner()), keep)

    def _show_partner(self) -> None:
        self._shown_row = self.partner_list.currentRow()
        entry = self.entry()
        if not (entry is not None and self.form.partner == entry.code and self.form.has_unsaved_changes()):
            self.form.hide()   # a refresh (an import, showing the area again) keeps typing for this partner
        if entry is None:
            self.partner_title.setText("")
            return
        self.partner_title.setText(entry.name)
        facts = [f"Code: {entry.code}"]
        if entry.lead:
            facts.append("Lead agency: raises requests and collates responses (2.3–2.5, 5.3)")
        self.partner_facts.setText("\n".join(facts))
        if entry.suspended:
            found = current_suspension(self.session.vault, entry.code)
            since = uk_time(found.from_at, "") if found else ""
            self.suspended.setText(f"Suspended since {since} (clause 13.2): {entry.suspension_reason or ''}\n"
                                   "Nothing can be sent to this partner until the suspension is lifted.")
            self.suspended.show()
        else:
            self.suspended.hide()
        lines = []
        for channel_id in entry.channels:
            channel = self.agreement.secure_channel(channel_id)
            suffixes = ", ".join(channel.suffixes) if channel.suffixes else "no e-mail suffixes listed"
            lines.append(f"• {channel.name}: {suffixes}")
            if channel.note:
                lines.append(f"   {channel.note}")
        self.channels.setText("\n".join(lines) or "None listed in the agreement.")
        self.teams.setText("\n".join(f"• {name}" + (" — SPOC team: requests reach the partner here" if spoc else "")
                                     for _code, name, spoc in entry.sub_services))
        self.teams_heading.setVisible(bool(entry.sub_services))
        self.teams.setVisible(bool(entry.sub_services))
        self.desk_section.setVisible(entry.code != self.session.vault.agency)
        if entry.code != self.session.vault.agency:
            self.desk_section.show_partner(entry.code)
        self.outage_section.show_partner(entry.code)
        self._fill_contacts(entry)

    def _fill_contacts(self, entry) -> None:
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(entry.contacts))
        subs = {code: name for code, name, _spoc in entry.sub_services}
        warnings = []
        for row, contact in enumerate(entry.contacts):
            warning = contact.warning
            if warning:
                warnings.append(f"Warning: {warning}")
            team = contact.team or subs.get(contact.sub_service, "")
            values = (contact.name, team, contact.role, contact.email, contact.telephone,
                      channel_name(contact.channel) or "Not recorded",
                      "Warning: check the e-mail address" if warning else "OK")
            for column, value in enumerate(values):
                item = QtWidgets.QTableWidgetItem(value)
                item.setToolTip(warning if (warning and column in (3, 6)) else value)
                item.setData(Qt.ItemDataRole.UserRole, contact.id)
                self.table.setItem(row, column, item)
        self.table.setSortingEnabled(True)
        self.no_contacts.setVisible(not entry.contacts)
        self.contact_warnings.setText("\n".join(warnings))
        self.contact_warnings.setVisible(bool(warnings))
        self._update_buttons()

    def _update_buttons(self) -> None:
        has = self.selected_contact() is not None
        self.edit_button.setEnabled(has)
        self.deactivate_button.setEnabled(has)

    def selected_contact(self):
        row = self.table.currentRow()
        entry = self.entry()
        if row < 0 or entry is None or not self.table.selectedItems():
            return None
        item = self.table.item(row, 0)
        cid = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return next((c for c in entry.contacts if c.id == cid), None)

    def select_contact(self, name: str) -> None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).text() == name:
                self.table.selectRow(row)
                return
        raise KeyError(name)

    # ---- unsaved work (ui/kit/guard.py) ----------------------------------------------------

    def has_unsaved_changes(self) -> bool:
        return self.form.has_unsaved_changes()

    def discard_changes(self) -> None:
        self.form.discard_changes()

    def draft_state(self) -> dict | None:
        """A typed contact form survives a lock, encrypted in the vault (ui/shell/shell.py)."""
        return {"contact_form": self.form.state()} if self.form.has_unsaved_changes() else None

    def restore_draft_state(self, payload: dict) -> None:
        state = payload.get("contact_form") if isinstance(payload, dict) else None
        if not self.can_manage or not isinstance(state, dict) or not isinstance(state.get("fields"), dict):
            return
        self.refresh()
        try:
            self.select_partner(str(state.get("partner") or ""))
        except KeyError:
            return   # the partner is no longer in the agreement
        contact = None
        if state.get("contact_id"):
            contact = next((c for c in self.entry().contacts if c.id == state["contact_id"]), None)
            if contact is None:
                return   # deactivated since: nothing to edit
        self.form.start(self.current_code(), contact)
        self.form.set_state(state["fields"])
        self.scroll.ensureWidgetVisible(self.form)

    def go_back(self) -> bool:
        """Alt+Left and Escape leave an open contact form as Cancel does (asking first)."""
        if self.form.isHidden():
            return False
        self.form.cancel()
        return True

    # ---- actions ---------------------------------------------------------------------------

    def add_contact(self) -> None:
        if self.can_manage and self.current_code():
            self.status.setText("")
            self.form.start(self.current_code())
            self.scroll.ensureWidgetVisible(self.form)

    def edit_selected(self) -> None:
        contact = self.selected_contact()
        if self.can_manage and contact is not None:
            self.status.setText("")
            self.form.start(contact.partner, contact)
            self.scroll.ensureWidgetVisible(self.form)

    def _contact_saved(self, contact) -> None:
        warning = contact.warning
        self.refresh()
        text = f"Saved {contact.name}."
        if warning:
            text += f"\nWarning: {warning}"
        announce(self.status, text)   # focus on what happened, not the partner list

    def deactivate_selected(self):
        contact = self.selected_contact()
        if not self.can_manage or contact is None:
            return None
        box = question_box(self, "Deactivate contact",
                           f"Deactivate {contact.name} of {self.entry().name}? They will no longer be listed as a "
                           "contact of this desk. The change is recorded in the audit trail.", "Deactivate")
        box.finished.connect(lambda _r, b=box, c=contact: self._deactivate_confirmed(b, c))
        self._dialog = box
        box.open()
        return box

    def _deactivate_confirmed(self, box, contact) -> None:
        if box.clickedButton() is not box.accept_button:
            return
        try:
            directory_core.deactivate_contact(self.session.vault, contact.id)
        except SpocError as exc:
            self.status.setText(error_text(exc, "The contact was not deactivated."))
            return
        self.refresh()
        announce(self.status, f"{contact.name} is no longer an active contact.")
