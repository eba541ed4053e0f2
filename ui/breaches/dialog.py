"""Log a breach (clause 10): the dialog any user opens from any screen (menu and shortcut).

Non-modal (`open()`), plain text, one column under short headings. Times are typed as
dd/mm/yyyy HH:MM in UK local time and kept in UTC (app.timeutil.parse_london). Saving needs the
facts, the awareness time and at least one action; the rules are app.breaches.validate_breach,
and the error summary names exactly what is missing, each entry a link to its field. The input
is kept as an encrypted draft over a lock (`draft_state` / `restore_draft_state`, `draft_key`).
"""

from __future__ import annotations

from app import breaches as core
from app.agreement import load_agreement
from app.errors import SpocError
from app.records import Invalid
from app.requests import reference_of_requests
from app.timeutil import utc_now
from ui.qt import QtWidgets, Qt, Signal
from ui.kit.keys import primary_button
from ui.kit.dialogs import error_text
from ui.kit.fields import LineBox, TextBox
from ui.kit.guard import GuardedDialog
from ui.kit.formatting import plural, uk_time
from ui.kit.widgets import announce, ErrorSummary, FieldRow, frameless_scroll, heading, hint_label, MarkingBanner, plain_label, show_field_problems

LABELS = {
    "reporter": "Who is reporting the breach",
    "agency": "Agency where it happened",
    "category": "Kind of breach",
    "occurred_at": "When it happened (optional)",
    "aware_at": "When the agency became aware",
    "facts": "What happened",
    "request_refs": "Requests involved (optional)",
    "data_categories": "Kinds of personal data involved (optional)",
    "people_count": "About how many people (optional)",
    "records_count": "About how many records (optional)",
    "consequences": "Likely consequences (optional)",
    "containment": "Action taken to contain the breach",
    "remedial": "Action taken to put it right",
}
TIME_HINT = "Day/month/year and 24-hour time in UK time, for example 28/11/2026 14:05"
DRAFT_FIELDS = ("reporter", "occurred_at", "aware_at", "facts", "request_refs", "data_categories", "people_count",
                "records_count", "consequences", "containment", "remedial")


class BreachDialog(GuardedDialog, QtWidgets.QDialog):
    draft_key = "breach_dialog"
    saved = Signal(object)

    def __init__(self, session, parent: QtWidgets.QWidget | None = None, linked: dict | None = None):
        super().__init__(parent)
        self.session = session
        self.linked = {k: list(v) for k, v in (linked or {}).items()
                       if k in ("request_ids", "subject_ids", "disclosure_ids") and v}
        self.breach = None
        self.setWindowTitle("Log a breach – SPOC Desk")
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self.resize(720, 760)
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
        """Show without blocking the window behind (QDialog.open would make it window-modal):
        the reporter can look up the request or the register while writing."""
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.show()
        self.raise_()
        self.activateWindow()

    # ---- the form ------------------------------------------------------------------------

    def _form_page(self) -> QtWidgets.QWidget:
        agreement = load_agreement()
        page = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        scroll = frameless_scroll()
        layout.addWidget(scroll, 1)
        body = QtWidgets.QWidget()
        scroll.setWidget(body)
        self.scroll = scroll
        form = QtWidgets.QVBoxLayout(body)
        form.setContentsMargins(24, 12, 24, 12)
        form.setSpacing(4)
        form.addWidget(heading("Log a breach"))
        form.addWidget(plain_label(
            "Use this for any breach of the agreement, a lost or stolen device or papers, a disclosure to the "
            f"wrong person, a security incident or an equipment failure. {core.clock_rule('dpm')}"))
        self.summary = ErrorSummary()
        form.addWidget(self.summary)
        self.rows: dict[str, FieldRow] = {}

        form.addWidget(heading("Who and when", 2))
        self.reporter = LineBox()
        user = getattr(self.session.vault, "actor", "")
        self.reporter.set_value(user)
        self._add(form, "reporter", self.reporter, "Your name, or the name of the person who told you")
        self.agency = QtWidgets.QComboBox()
        for partner in agreement.partners:
            self.agency.addItem(partner.name, partner.code)
        self.agency.setCurrentIndex(max(0, self.agency.findData(self.session.vault.agency)))
        self._add(form, "agency", self.agency)
        self.category = QtWidgets.QComboBox()
        self.category.addItem("Choose the kind of breach", "")
        for cat in agreement.breach_categories:
            self.category.addItem(cat.name, cat.id)
            self.category.setItemData(self.category.count() - 1, f"Clause {cat.clause}: {cat.text}",
                                      Qt.ItemDataRole.ToolTipRole)
        self._add(form, "category", self.category)
        self.occurred_at = LineBox()
        self.occurred_at.setPlaceholderText("dd/mm/yyyy HH:MM")
        self._add(form, "occurred_at", self.occurred_at, TIME_HINT)
        self.aware_at = LineBox()
        self.aware_at.setPlaceholderText("dd/mm/yyyy HH:MM")
        aware_line = QtWidgets.QWidget()
        aware_layout = QtWidgets.QHBoxLayout(aware_line)
        aware_layout.setContentsMargins(0, 0, 0, 0)
        aware_layout.addWidget(self.aware_at)
        self.now_button = QtWidgets.QPushButton("Use the time &now")
        self.now_button.clicked.connect(lambda: self.aware_at.setText(uk_time(utc_now())))
        aware_layout.addWidget(self.now_button)
        aware_layout.addStretch(1)
        row = FieldRow(LABELS["aware_at"], aware_line, f"{TIME_HINT}. {core.clocks_start_here()}")
        self.aware_at.setAccessibleName(LABELS["aware_at"])
        row.label.setBuddy(self.aware_at)
        row.field = self.aware_at
        self.aware_at.setMinimumWidth(200)
        self.aware_at.setMaximumWidth(240)
        self.aware_at.textChanged.connect(lambda _t, r=row: r.set_error(None))
        self.rows["aware_at"] = row
        form.addWidget(row)
        form.addWidget(hint_label("Times are typed and shown in UK time (GMT or BST, as it was on the day) and kept in "
                            "UTC, so the clocks are right across the changes to and from summer time."))

        form.addWidget(heading("What happened", 2))
        self.facts = TextBox(5)
        self._add(form, "facts", self.facts, "The facts, in plain words: what, where, how it came to light")

        form.addWidget(heading("The data involved", 2))
        self.linked_label = plain_label("")
        self.linked_label.setAccessibleName("Records linked from the screen you were on")
        form.addWidget(self.linked_label)
        self._show_linked()
        self.request_refs = LineBox()
        self._add(form, "request_refs", self.request_refs,
                  "Request references, separated by commas, for example MSR-2026-0001, MSR-2026-0004")
        self.data_categories = LineBox()
        self._add(form, "data_categories", self.data_categories,
                  "For example names, dates of birth, addresses, case notes")
        self.people_count = LineBox()
        self._add(form, "people_count", self.people_count, "A whole number; an estimate is fine", width=120)
        self.records_count = LineBox()
        self._add(form, "records_count", self.records_count, "A whole number; an estimate is fine", width=120)
        self.consequences = TextBox(3)
        self._add(form, "consequences", self.consequences, "What could happen to the people the data is about")

        form.addWidget(heading("What has been done", 2))
        form.addWidget(hint_label("Enter at least one of these two."))
        self.containment = TextBox(3)
        self._add(form, "containment", self.containment,
                  "For example: device wiped remotely, e-mail recalled, recipient asked to delete")
        self.remedial = TextBox(3)
        self._add(form, "remedial", self.remedial, "For example: passwords changed, procedure reminded to staff")
        form.addStretch(1)

        buttons = QtWidgets.QHBoxLayout()
        buttons.setContentsMargins(24, 8, 24, 12)
        self.save_button = QtWidgets.QPushButton("&Save breach")
        primary_button(self.save_button)   # Ctrl+S presses it; styled by resources/style.qss
        self.save_button.setDefault(True)
        self.save_button.setAutoDefault(True)
        self.save_button.clicked.connect(self.submit)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.reject)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        return page

    def _add(self, layout, key: str, field, hint_text: str = "", width: int = 560) -> None:
        row = FieldRow(LABELS[key], field, hint_text)
        if isinstance(field, QtWidgets.QLineEdit):
            field.setMaximumWidth(width)
            field.textChanged.connect(lambda _t, r=row: r.set_error(None))
        elif isinstance(field, QtWidgets.QPlainTextEdit):
            field.textChanged.connect(lambda r=row: r.set_error(None))
        else:
            field.setMaximumWidth(width)
        self.rows[key] = row
        layout.addWidget(row)

    def _show_linked(self) -> None:
        show_linked(self.linked_label, self.session.vault, self.linked)

    def _done_page(self) -> QtWidgets.QWidget:
        return done_page(self, "Breach logged")

    # ---- data ----------------------------------------------------------------------------

    def data(self) -> dict:
        return {
            "reporter": self.reporter.value(), "agency": self.agency.currentData() or "",
            "category": self.category.currentData() or "", "occurred_at": self.occurred_at.value(),
            "aware_at": self.aware_at.value(), "facts": self.facts.value(),
            "request_refs": self.request_refs.value(), "data_categories": self.data_categories.value(),
            "people_count": self.people_count.value(), "records_count": self.records_count.value(),
            "consequences": self.consequences.value(), "containment": self.containment.value(),
            "remedial": self.remedial.value(), **self.linked,
        }

    def draft_state(self) -> dict | None:
        if self.breach is not None:
            return None
        data = self.data()
        if not any((data.get(k) or "").strip() for k in DRAFT_FIELDS if k != "reporter") \
                and not data["category"]:
            return None
        return {k: v for k, v in data.items()}

    def restore_draft_state(self, payload: dict) -> None:
        for key in DRAFT_FIELDS:
            if isinstance(payload.get(key), str):
                getattr(self, key).set_value(payload[key])
        for key, combo in (("agency", self.agency), ("category", self.category)):
            index = combo.findData(payload.get(key) or "")
            if index >= 0:
                combo.setCurrentIndex(index)
        self.linked = {k: list(payload[k]) for k in ("request_ids", "subject_ids", "disclosure_ids")
                       if isinstance(payload.get(k), list) and payload[k]}
        self._show_linked()

    def show_problems(self, problems) -> None:
        entries = show_field_problems(self.rows, self.summary, problems, LABELS)
        self.scroll.verticalScrollBar().setValue(0)
        if entries and entries[0][0] is not None:
            entries[0][0].setFocus(Qt.FocusReason.OtherFocusReason)

    def submit(self):
        data = self.data()
        problems, _clean = core.check_breach(self.session.vault, data)   # every problem at once
        if problems:
            self.show_problems(problems)
            return None
        try:
            breach = core.create_breach(self.session.vault, data)
        except Invalid as exc:
            self.show_problems(exc.problems)
            return None
        except SpocError as exc:
            self.show_problems([("", error_text(exc, "The breach was not saved."))])
            return None
        self.breach = breach
        dpm, ico = breach.clocks()
        next_step = ("You are the Data Protection Manager: the notification is recorded. Record your risk "
                     "assessment and the decision on telling the ICO in the Breaches area."
                     if self.session.vault.role == "dpm" else
                     "Tell your Data Protection Manager now, quoting this reference. The breach is in their "
                     "breach log, but the clock stops only when they record that they were told.")
        self.done_title.setText(f"Breach {breach.reference} logged")
        self.done_text.setText(
            f"Reference: {breach.reference}\n"
            f"Kind: {breach.category_name}\n\n"
            f"{core.clock_heading('dpm', 'cited')}: {dpm.text()}\n"
            f"{core.clock_heading('ico', 'cited')}, where the breach is a risk to people: {ico.text()}\n\n{next_step}")
        self.pages.setCurrentIndex(1)
        announce(self.done_title, self.done_title.text())   # focus on what happened; Tab reaches Close
        self.saved.emit(breach)
        return breach


def open_breach_dialog(parent, session, linked: dict | None = None) -> BreachDialog:
    """Open the breach dialog (non-modal) over `parent` and return it."""
    dialog = BreachDialog(session, parent, linked=linked)
    dialog.open()
    return dialog


def show_linked(label: QtWidgets.QLabel, vault, linked: dict) -> None:
    """'Linked from the screen you were on: request MSR-…, 2 subjects' (breach and complaint
    dialogs), hidden when nothing was linked."""
    parts = [f"request {reference}" if reference else "a request"
             for reference in reference_of_requests(vault, linked.get("request_ids", []))]
    if linked.get("subject_ids"):
        parts.append(plural(len(linked["subject_ids"]), "subject"))
    if linked.get("disclosure_ids"):
        parts.append(plural(len(linked["disclosure_ids"]), "disclosure register row"))
    label.setText("Linked from the screen you were on: " + ", ".join(parts) if parts else "")
    label.setVisible(bool(parts))


def done_page(dialog: QtWidgets.QDialog, title: str) -> QtWidgets.QWidget:
    """The page a breach or complaint dialog ends on: its title, what happens next (the dialog's
    `done_text`), and Close; sets `done_title`, `done_text` and `close_button` on the dialog."""
    page = QtWidgets.QWidget()
    layout = QtWidgets.QVBoxLayout(page)
    layout.setContentsMargins(24, 16, 24, 16)
    dialog.done_title = heading(title)
    layout.addWidget(dialog.done_title)
    dialog.done_text = plain_label("", selectable=True)
    dialog.done_text.setAccessibleName("What happens next")
    layout.addWidget(dialog.done_text)
    layout.addStretch(1)
    dialog.close_button = QtWidgets.QPushButton("&Close")
    dialog.close_button.clicked.connect(dialog.accept)
    layout.addWidget(dialog.close_button, 0, Qt.AlignmentFlag.AlignLeft)
    return page
