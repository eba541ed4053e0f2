"""Record a complaint relative to the agreement (clause 10.1): Breach ▸ Record a complaint…,
from any screen, and "Record a complaint…" in the Breaches area.

Non-modal like the breach dialog, plain text, one column. The rules are
app.complaints.validate_complaint; the error summary names exactly what is missing. The same
Data Protection Manager clock as a breach starts when the complaint was received.
"""

from __future__ import annotations

from app import complaints as core
from app.agreement import load_agreement
from app.errors import SpocError
from app.records import Invalid
from app.timeutil import utc_now
from ui.kit.guard import GuardedDialog
from ui.breaches.dialog import TIME_HINT, done_page, show_linked
from ui.kit.dialogs import error_text
from ui.kit.fields import LineBox, TextBox
from ui.kit.forms import combo
from ui.kit.formatting import uk_time
from ui.kit.widgets import (ErrorSummary, FieldRow, MarkingBanner, announce, frameless_scroll, heading,
                            plain_label, show_field_problems)
from ui.qt import QtWidgets, Qt, Signal

LABELS = {
    "complainant_kind": "Who complained",
    "complainant": "Their name",
    "complainant_agency": "Their agency (for a partner or a member of staff)",
    "agency": "Agency the complaint is about",
    "about": "What the complaint is about",
    "received_at": "When it was received",
    "received_how": "How it was received",
    "request_refs": "Requests it concerns (optional)",
}


TEXT_FIELDS = ("complainant", "about", "received_at", "request_refs")
COMBOS = ("complainant_kind", "complainant_agency", "agency", "received_how")


class ComplaintDialog(GuardedDialog, QtWidgets.QDialog):
    draft_key = "complaint_dialog"  # unsaved input survives a lock, encrypted, like the breach dialog's
    saved = Signal(object)

    def __init__(self, session, parent: QtWidgets.QWidget | None = None, linked: dict | None = None):
        super().__init__(parent)
        self.session = session
        self.linked = {k: list(v) for k, v in (linked or {}).items() if k in ("request_ids", "subject_ids") and v}
        self.complaint = None
        self.setWindowTitle("Record a complaint – SPOC Desk")
        self.setModal(False)
        self.resize(700, 720)
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(MarkingBanner())
        self.pages = QtWidgets.QStackedWidget()
        outer.addWidget(self.pages, 1)
        outer.addWidget(MarkingBanner())
        self.pages.addWidget(self._form_page())
        self.pages.addWidget(self._done_page())

    def open(self) -> None:
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.show()
        self.raise_()
        self.activateWindow()

    def _form_page(self) -> QtWidgets.QWidget:
        agreement = load_agreement()
        partners = [(p.code, p.name) for p in agreement.partners]
        page = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        self.scroll = frameless_scroll()
        layout.addWidget(self.scroll, 1)
        body = QtWidgets.QWidget()
        self.scroll.setWidget(body)
        form = QtWidgets.QVBoxLayout(body)
        form.setContentsMargins(24, 12, 24, 12)
        form.setSpacing(4)
        form.addWidget(heading("Record a complaint"))
        form.addWidget(plain_label(
            "Use this for a complaint about how information was shared under the agreement, from a data subject, "
            f"a partner or a member of staff. {core.clock_rule()}"))
        self.summary = ErrorSummary()
        form.addWidget(self.summary)
        self.rows: dict[str, FieldRow] = {}
        self.complainant_kind = combo((("", "Choose"), *core.FROM_TITLES.items()), LABELS["complainant_kind"])
        self._add(form, "complainant_kind", self.complainant_kind)
        self.complainant = LineBox()
        self._add(form, "complainant", self.complainant, "A name, or 'anonymous'")
        self.complainant_agency = combo((("", "Not a partner agency"), *partners), LABELS["complainant_agency"])
        self._add(form, "complainant_agency", self.complainant_agency)
        self.agency = combo(partners, LABELS["agency"])
        self.agency.setCurrentIndex(max(0, self.agency.findData(self.session.vault.agency)))
        self._add(form, "agency", self.agency)
        self.about = TextBox(5)
        self._add(form, "about", self.about, "In plain words: what they say went wrong")
        self.received_at = LineBox()
        self.received_at.setPlaceholderText("dd/mm/yyyy HH:MM")
        line = QtWidgets.QWidget()
        row_layout = QtWidgets.QHBoxLayout(line)
        row_layout.setContentsMargins(0, 0, 0, 0)
        row_layout.addWidget(self.received_at)
        self.now_button = QtWidgets.QPushButton("Use the time &now")
        self.now_button.clicked.connect(lambda: self.received_at.setText(uk_time(utc_now())))
        row_layout.addWidget(self.now_button)
        row_layout.addStretch(1)
        row = FieldRow(LABELS["received_at"], line, f"{TIME_HINT}. The Data Protection Manager's clock starts here.")
        self.received_at.setAccessibleName(LABELS["received_at"])
        self.received_at.setMaximumWidth(240)
        row.label.setBuddy(self.received_at)
        row.field = self.received_at
        self.rows["received_at"] = row
        form.addWidget(row)
        self.received_how = combo((("", "Choose"), *core.HOW_TITLES.items()), LABELS["received_how"])
        self._add(form, "received_how", self.received_how)
        self.linked_label = plain_label("")
        form.addWidget(self.linked_label)
        self._show_linked()
        self.request_refs = LineBox()
        self._add(form, "request_refs", self.request_refs, "Request references separated by commas")
        form.addStretch(1)
        buttons = QtWidgets.QHBoxLayout()
        buttons.setContentsMargins(24, 8, 24, 12)
        self.save_button = QtWidgets.QPushButton("&Save complaint")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.submit)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.reject)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        return page

    def _add(self, layout, key: str, field, hint_text: str = "") -> None:
        row = FieldRow(LABELS[key], field, hint_text)
        if not isinstance(field, QtWidgets.QPlainTextEdit):
            field.setMaximumWidth(560)
        self.rows[key] = row
        layout.addWidget(row)

    def _show_linked(self) -> None:
        show_linked(self.linked_label, self.session.vault, self.linked)

    def _done_page(self) -> QtWidgets.QWidget:
        return done_page(self, "Complaint recorded")

    def data(self) -> dict:
        return {"complainant_kind": self.complainant_kind.currentData() or "",
                "complainant": self.complainant.value(),
                "complainant_agency": self.complainant_agency.currentData() or "",
                "agency": self.agency.currentData() or "", "about": self.about.value(),
                "received_at": self.received_at.value(), "received_how": self.received_how.currentData() or "",
                "request_refs": self.request_refs.value(), **self.linked}

    def draft_state(self) -> dict | None:
        if self.complaint is not None:
            return None
        data = self.data()
        if not any((data.get(k) or "").strip() for k in TEXT_FIELDS) and not data["complainant_kind"]:
            return None
        return data

    def restore_draft_state(self, payload: dict) -> None:
        for key in TEXT_FIELDS:
            if isinstance(payload.get(key), str):
                getattr(self, key).set_value(payload[key])
        for key in COMBOS:
            box = getattr(self, key)
            index = box.findData(payload.get(key) or "")
            if index >= 0:
                box.setCurrentIndex(index)
        self.linked = {k: list(payload[k]) for k in ("request_ids", "subject_ids")
                       if isinstance(payload.get(k), list) and payload[k]}
        self._show_linked()

    def submit(self):
        data = self.data()
        problems, _clean = core.validate_complaint(data)
        try:
            if problems:
                raise Invalid(problems)
            complaint = core.create_complaint(self.session.vault, data)
        except Invalid as exc:
            entries = show_field_problems(self.rows, self.summary, exc.problems, LABELS)
            self.scroll.verticalScrollBar().setValue(0)
            if entries and entries[0][0] is not None:
                entries[0][0].setFocus(Qt.FocusReason.OtherFocusReason)
            return None
        except SpocError as exc:
            self.summary.show_problems([(None, error_text(exc, "The complaint was not saved."))])
            return None
        self.complaint = complaint
        next_step = ("You are the Data Protection Manager: the notification is recorded. Record the outcome and "
                     "the reply in the Breaches area, Complaints tab." if self.session.vault.role == "dpm" else
                     "Tell your Data Protection Manager now, quoting this reference. The complaint is in their "
                     "log, but the clock stops only when they record that they were told.")
        self.done_title.setText(f"Complaint {complaint.reference} recorded")
        self.done_text.setText(f"Reference: {complaint.reference}\nFrom: {complaint.from_text}\n\n"
                               f"{core.clock_title()}: {complaint.dpm_clock().text()}\n\n{next_step}")
        self.pages.setCurrentIndex(1)
        announce(self.done_title, self.done_title.text())   # focus on what happened; Tab reaches Close
        self.saved.emit(complaint)
        return complaint


def open_complaint_dialog(parent, session, linked: dict | None = None) -> ComplaintDialog:
    dialog = ComplaintDialog(session, parent, linked=linked)
    dialog.open()
    return dialog
