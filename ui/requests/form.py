"""The request form (Appendix 2, Modern Slavery Personal Data Request), one column, in the
form's order: reference, request date, person making the request, reason, the information check
request (information date, information, what partners are asked), subjects, agencies, the
partnership-working question, exploitation types (1.4), purposes (4.3), information sought (5.2)
and the declaration.

The rules live in app.requests and app.subjects: this form collects what was typed, asks
`validate_request` / `validate_subject` for problems, shows them in an error summary whose links
move focus, and under each field. Every user text is shown as plain text. `state()` and
`set_state()` carry every input (JSON-serialisable) so a half-filled form survives a lock.
The subjects part (the list, its inline panel, the finder) is ui/requests/subjects.py.
"""

from __future__ import annotations

import datetime as _dt

from app.agreement import load_agreement
from app.errors import SpocError
from app.records import Invalid, Problem, today_london
from app.requests import FORM_SECTIONS, LABELS, agencies_to_ask, form_progress, save_request, validate_request
from app.subjects import check_role, validate_subject
from ui.qt import QtCore, QtGui, QtWidgets, Qt, Signal
from ui.kit.keys import primary_button
from ui.kit.dialogs import error_text
from ui.kit.fields import CheckList, DateField, LineBox, TextBox
from ui.kit.formatting import plural, uk_time
from ui.kit.widgets import ErrorSummary, FieldRow, frameless_scroll, heading, hint_label, no_mnemonic, plain_label
from ui.requests.subjects import SubjectEditor, subject_fields_of
from ui.kit import theme

# ---- small building blocks -------------------------------------------------------------------


def section(layout: QtWidgets.QVBoxLayout, title: str, hint: str = "") -> QtWidgets.QLabel:
    layout.addSpacing(14)
    head = heading(title, 2)
    layout.addWidget(head)
    if hint:
        layout.addWidget(hint_label(hint))
    return head


# No border of its own: a link is a flat button, and the application's stylesheet draws its 3 px
# focus ring (a widget's own border would hide it).
LINK_STYLE = "QPushButton, QToolButton { color: {link}; text-decoration: underline; text-align: left; }"
PRIMARY_STYLE = theme.PRIMARY_LOOK
CHECK_ANSWERS = "Check your answers"


# ---- agencies --------------------------------------------------------------------------------


class AgencyChooser(QtWidgets.QWidget):
    """One box per partner agency; an agency with teams has a team list beside it, set to the
    agency's usual team for requests, so a request goes to one team of each agency (the rule is
    app.requests.one_team_each). Suspended partners (13.2) are shown but cannot be ticked; an
    agency the request was already sent to stays ticked and fixed."""

    changed = Signal()

    def __init__(self, vault, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        agreement = load_agreement()
        layout = QtWidgets.QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setHorizontalSpacing(12)
        layout.setVerticalSpacing(4)
        self.boxes: dict[str, QtWidgets.QCheckBox] = {}
        self.teams: dict[str, QtWidgets.QComboBox] = {}
        self.items: set[str] = set()  # every target that can be chosen: HMRC, DCC/CSIS, ...
        self.suspended: dict[str, str] = {}
        self._sent: set[str] = set()
        for row, choice in enumerate(agencies_to_ask(vault)):   # the core says who may be asked (13.2)
            partner = agreement.partner(choice.code)
            text = f"{choice.name} ({choice.code})"
            if not choice.may_ask:
                text += f" — {choice.why_not}"
                self.suspended[choice.code] = choice.suspension_reason
            box = QtWidgets.QCheckBox(no_mnemonic(text))
            box.setEnabled(choice.may_ask)
            box.toggled.connect(self._box_toggled)
            self.boxes[choice.code] = box
            self.items.add(choice.code)
            layout.addWidget(box, row, 0)
            if partner.sub_services:
                teams = QtWidgets.QComboBox()
                teams.setAccessibleName(f"Team at {choice.name}")
                # Shrinks with the window (at 150 % the form would otherwise scroll sideways).
                teams.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
                teams.setMinimumContentsLength(12)
                usual = 0
                for index, sub in enumerate(partner.sub_services):
                    teams.addItem(sub.name + (" (usual team for requests)" if sub.spoc else ""), sub.code)
                    self.items.add(f"{choice.code}/{sub.code}")
                    if sub.spoc:
                        usual = index
                teams.setCurrentIndex(usual)
                teams.setEnabled(False)
                teams.currentIndexChanged.connect(lambda _i: self.changed.emit())
                self.teams[choice.code] = teams
                layout.addWidget(teams, row, 1)
        layout.setColumnStretch(1, 1)

    def _box_toggled(self, _checked: bool) -> None:
        for code, teams in self.teams.items():
            teams.setEnabled(self.boxes[code].isChecked() and self.boxes[code].isEnabled()
                             and not any(t.split("/")[0] == code for t in self._sent))
        self.changed.emit()

    def values(self) -> list[str]:
        """The targets chosen, one per agency: HMRC, or DCC/CSIS for a team."""
        out = []
        for code, box in self.boxes.items():
            if box.isChecked():
                teams = self.teams.get(code)
                out.append(f"{code}/{teams.currentData()}" if teams is not None else code)
        return out

    def set_values(self, targets, sent=()) -> None:
        self._sent = set(sent or ())
        for box in self.boxes.values():
            box.blockSignals(True)
            box.setChecked(False)
        for target in targets or ():
            code, _, sub = str(target).partition("/")
            if code in self.boxes:
                self.boxes[code].setChecked(True)
                teams = self.teams.get(code)
                if teams is not None and sub and teams.findData(sub) >= 0:
                    teams.setCurrentIndex(teams.findData(sub))
        for target in self._sent:
            box = self.boxes.get(target.split("/")[0])
            if box is not None:
                box.setEnabled(False)
                if "already sent" not in box.text():
                    box.setText(box.text() + " — already sent")
        for box in self.boxes.values():
            box.blockSignals(False)
        self._box_toggled(True)

    def check(self, target: str, value: bool = True) -> None:
        code, _, sub = target.partition("/")
        teams = self.teams.get(code)
        if teams is not None and sub:
            teams.setCurrentIndex(teams.findData(sub))
        self.boxes[code].setChecked(value)

    def words(self) -> list[str]:
        """The agencies chosen as the check page names them: 'Derby City Council – Licensing'."""
        agreement = load_agreement()
        return [agreement.partner_name(*((t.split("/") + [""])[:2])) for t in self.values()]


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

        outer = QtWidgets.QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.sections_panel = self._sections_panel()
        outer.addWidget(self.sections_panel)
        self.pages = QtWidgets.QStackedWidget()
        outer.addWidget(self.pages, 1)
        self.scroll = frameless_scroll()
        self.pages.addWidget(self.scroll)
        self.check_page = CheckAnswersPage(self)
        self.pages.addWidget(self.check_page)
        self.heads: dict[str, QtWidgets.QLabel] = {}
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
        theme.style(self.back_button, "text-align: left; color: {link}; text-decoration: underline;")
        self.back_button.clicked.connect(self.cancel)
        layout.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.title = heading(form.title)
        layout.addWidget(self.title)
        layout.addWidget(hint_label(f"{form.operation}. {declaration.motto}"))
        self.details_button = QtWidgets.QPushButton("▸ The powers this request is made under")
        self.details_button.setFlat(True)
        self.details_button.setCheckable(True)
        theme.style(self.details_button, LINK_STYLE)
        self.preamble = plain_label(declaration.legal_preamble)
        theme.style(self.preamble, "border: 0px none; border-left: 4px solid {border}; padding-left: 12px; color: {text};")
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

        self.heads["Reference"] = section(layout, "Reference")
        self.reference = plain_label("Given when you first save, for example MSR-2026-0001.", selectable=True)
        self.reference.setAccessibleName("Reference")
        layout.addWidget(self.reference)

        self.heads["Request date"] = section(layout, "Request date")
        self.request_date = DateField(latest=today_london)
        row("request_date", self.request_date, "For example, 27/03/2026. Today's date unless the request was made earlier.")

        self.heads["Person making the request"] = section(layout, "Person making the request")
        self.requester_name = LineBox(max_length=20_000)
        self.requester_rank = LineBox(max_length=20_000)
        self.requester_number = LineBox(max_length=20_000)
        self.requester_team = LineBox(max_length=20_000)
        row("requester_name", self.requester_name, "The officer or member of staff partners should answer to.",
            label="Name")
        row("requester_rank", self.requester_rank, "For example, Detective Sergeant.")
        row("requester_number", self.requester_number)
        row("requester_team", self.requester_team, "For example, “Op Wilberforce” Modern Day Slavery and "
                                                   "Human Trafficking Team.")
        self.requester_contact = TextBox(3)
        row("requester_contact", self.requester_contact,
            "Telephone, mobile and secure e-mail (for example …@derbyshire.pnn.police.uk).")

        self.heads["Reason"] = section(layout, "Reason", "Under the Modern Slavery Information Sharing Agreement:")
        self.reasons = CheckList([(r.id, r.text, "", 0) for r in agreement.request_reasons])
        row("reasons", self.reasons, "Choose all that apply.", label="Reason for the request")

        self.heads["Information check request"] = section(layout, "Information check request")
        self.information_date = DateField(latest=today_london)
        row("information_date", self.information_date, "When the information was received, for example 27/03/2026.")
        self.information = TextBox(6)
        row("information", self.information, "The intelligence behind the request, as plain text.")
        self.check_request = TextBox(4)
        row("check_request", self.check_request, "What partners are asked to check or provide.",
            label="Request")

        self.heads["Subjects"] = section(layout, "Subjects", "The people, locations and businesses partners are asked about. "
                                    "A request needs at least one before it can be sent.")
        self.subjects = SubjectEditor(session.vault if session.can("search") else None)
        self.rows["subjects"] = None  # the editor shows its own message
        layout.addWidget(self.subjects)

        self.heads["Agencies"] = section(layout, "Agencies", "Which partners to ask (section 3). Nothing is sent until you choose "
                                    "“Send to agencies…” on the saved request.")
        self.agencies = AgencyChooser(session.vault)
        row("agencies", self.agencies, label="Agencies to ask")

        self.heads["Partnership working"] = section(layout, "Partnership working")
        self.partnership_question = TextBox(3)
        self.partnership_question.set_value(form.partnership_working_prompt)
        row("partnership_question", self.partnership_question,
            "The question partners answer about working with you; change it if you need to.",
            label="Partnership working question")

        self.heads["About the request"] = section(layout, "About the request", "From the agreement: these help partners judge the request.")
        self.exploitation_types = CheckList(
            [(e.id, e.name, e.description, 0) for e in agreement.exploitation_types])
        row("exploitation_types", self.exploitation_types, "Section 1.4. Choose all that apply.")
        purposes = []
        for purpose in agreement.purposes:
            purposes.append((purpose.id, purpose.text, "", 0))
            purposes.extend((item.id, item.text, "", 1) for item in purpose.items)
        self.purposes = CheckList(purposes)
        row("purposes", self.purposes, "Section 4.3. At least one is needed before sending.")
        self.info_types = CheckList([(i.id, i.text, "", 0) for i in agreement.information_types])
        row("info_types", self.info_types, "Section 5.2: what the information is needed to do. "
                                           "At least one is needed before sending.")

        self.heads["Declaration"] = section(layout, "Declaration")
        # Plain words on the form; the agreement's full wording, with the successors of its DPA 1998
        # references, one click away (and on the printed request).
        self.declaration = CheckList([(c.id, c.plain or c.text, "", 0) for c in declaration.confirmations])
        row("declaration", self.declaration,
            "Tick every statement before sending. Who ticked them and when is recorded when you save.",
            label="I confirm that")
        self.wording_button = QtWidgets.QPushButton("▸ Read the full wording")
        self.wording_button.setFlat(True)
        self.wording_button.setCheckable(True)
        theme.style(self.wording_button, LINK_STYLE)
        self.wording_button.setAccessibleName("Read the full wording of the declaration")
        self.full_wording = plain_label("\n\n".join(declaration.full_wording(c.text) for c in declaration.confirmations))
        theme.style(self.full_wording, "border: 0px none; border-left: 4px solid {border}; padding-left: 12px; color: {text};")
        self.full_wording.setAccessibleName("The declaration's full wording")
        self.full_wording.hide()
        self.wording_button.toggled.connect(self._toggle_wording)
        layout.addWidget(self.wording_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.full_wording)
        self.declared = hint_label("")
        self.declared.hide()
        layout.addWidget(self.declared)
        for text in (declaration.subject_warning, declaration.onward_requests, declaration.retain_line):
            if text:
                layout.addWidget(hint_label(text))

        layout.addSpacing(16)
        buttons = QtWidgets.QHBoxLayout()
        self.continue_button = QtWidgets.QPushButton("C&ontinue to check your answers")
        self.continue_button.setDefault(True)
        theme.style(self.continue_button, PRIMARY_STYLE)
        primary_button(self.continue_button)   # Ctrl+S presses it
        self.continue_button.clicked.connect(self.show_check)
        self.save_button = self.check_page.save_button
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        buttons.addWidget(self.continue_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(1)

        self._clear_on_change()
        self._progress_timer = QtCore.QTimer(self)
        self._progress_timer.setSingleShot(True)
        self._progress_timer.setInterval(120)
        self._progress_timer.timeout.connect(self.update_progress)
        for widget in (self.request_date, self.information_date, self.reasons, self.exploitation_types, self.purposes,
                       self.info_types, self.declaration, self.agencies, self.subjects):
            widget.changed.connect(self._progress_timer.start)
        for key in self.TEXT_FIELDS + ("requester_contact", "information", "check_request", "partnership_question"):
            getattr(self, key).textChanged.connect(self._progress_timer.start)
        if request is not None:
            self.load(request)
        else:
            self.request_date.set_date(_dt.date.today())
            self.setWindowTitle("New request")
        self._baseline = self.state()
        escape = QtGui.QShortcut(QtGui.QKeySequence("Escape"), self)
        escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        escape.activated.connect(self.cancel)
        self.update_progress()

    # ---- the list of sections, and checking the answers ------------------------------------

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """The list of sections gives way when the form itself would not fit (150 % on a laptop):
        the form never scrolls sideways; Check your answers still lists every section."""
        super().resizeEvent(event)
        needed = (self.sections_panel.maximumWidth() + self.scroll.widget().minimumSizeHint().width()
                  + self.scroll.verticalScrollBar().sizeHint().width() + 8)
        wanted = event.size().width() >= needed
        if self.sections_panel.isVisibleTo(self) != wanted:
            self.sections_panel.setVisible(wanted)

    def _sections_panel(self) -> QtWidgets.QWidget:
        panel = QtWidgets.QWidget()
        panel.setMaximumWidth(260)
        panel.setMinimumWidth(200)
        box = QtWidgets.QVBoxLayout(panel)
        box.setContentsMargins(16, 16, 8, 16)
        box.addWidget(heading("Sections", 2))
        self.progress = hint_label("")
        self.progress.setAccessibleName("Progress")
        box.addWidget(self.progress)
        self.sections = QtWidgets.QListWidget()
        self.sections.setAccessibleName("Sections of the request")
        self.sections.setWordWrap(True)
        self.sections.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.sections.setSpacing(3)
        self.sections.itemActivated.connect(self._section_chosen)
        self.sections.itemClicked.connect(self._section_chosen)
        box.addWidget(self.sections, 1)
        return panel

    def progress_states(self):
        return form_progress(self.fields(), len(self.subjects.entries), len(self.agencies.values()))

    def update_progress(self) -> None:
        states = self.progress_states()
        done = sum(1 for st in states if st.done)
        self.progress.setText(f"{done} of {len(states)} sections complete for sending")
        current = self.sections.currentRow()
        self.sections.blockSignals(True)
        self.sections.clear()
        for st in states:
            item = QtWidgets.QListWidgetItem(("✓ " if st.done else "○ ") + st.title)
            item.setData(Qt.ItemDataRole.UserRole, st.title)
            item.setToolTip("Complete" if st.done else "\n".join(p.message for p in st.problems))
            item.setData(Qt.ItemDataRole.AccessibleTextRole,
                         f"{st.title}: {'complete' if st.done else 'to do'}")
            self.sections.addItem(item)
        last = QtWidgets.QListWidgetItem("→ " + CHECK_ANSWERS)
        last.setData(Qt.ItemDataRole.UserRole, CHECK_ANSWERS)
        self.sections.addItem(last)
        if current >= 0:
            self.sections.setCurrentRow(current)
        self.sections.blockSignals(False)

    def _section_chosen(self, item) -> None:
        title = item.data(Qt.ItemDataRole.UserRole)
        if title == CHECK_ANSWERS:
            self.show_check()
        else:
            self.go_to_section(title)

    def go_to_section(self, title: str) -> None:
        """Back on the form, scrolled to the section's heading, focus in its first field."""
        self.pages.setCurrentWidget(self.scroll)
        head = self.heads.get(title)
        if head is None:
            return
        content = self.scroll.widget()
        self.scroll.verticalScrollBar().setValue(head.mapTo(content, QtCore.QPoint(0, 0)).y() - 8)
        fields = dict(FORM_SECTIONS).get(title, ())
        first = fields[0] if fields else ""
        target = self.subjects if first == "subjects" else (self.rows[first].field if self.rows.get(first) else None)
        if target is not None:
            target.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_check(self) -> bool:
        """'Continue': the draft checks first (errors stay on the form), then the answers to read."""
        if self.validate():
            self.pages.setCurrentWidget(self.scroll)
            return False
        self.check_page.fill()
        self.pages.setCurrentWidget(self.check_page)
        self.sections.setCurrentRow(self.sections.count() - 1)
        self.check_page.title.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    def _toggle_wording(self, shown: bool) -> None:
        self.full_wording.setVisible(shown)
        self.wording_button.setText(("▾ " if shown else "▸ ") + "Read the full wording")

    def _toggle_preamble(self, shown: bool) -> None:
        self.preamble.setVisible(shown)
        self.details_button.setText(("▾ " if shown else "▸ ") + "The powers this request is made under")

    def _clear_on_change(self) -> None:
        for key, widget in (("request_date", self.request_date), ("information_date", self.information_date)):
            widget.changed.connect(lambda k=key: self.rows[k].set_error(None))
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
        self.request_date.set_date(request.request_date)
        for key in self.TEXT_FIELDS:
            getattr(self, key).setText(getattr(request, key))
        self.requester_contact.set_value(request.requester_contact)
        self.reasons.set_values(request.reasons)
        self.information_date.set_date(request.information_date)
        self.information.set_value(request.information)
        self.check_request.set_value(request.check_request)
        self.subjects.set_entries([{"subject_id": s.id, "role": s.role or "unknown",
                                    "subject": subject_fields_of(s)} for s in request.subjects])
        self.agencies.set_values([d.target for d in request.dispatches],
                                 sent=[d.target for d in request.dispatches if d.status != "draft"])
        self.partnership_question.set_value(request.partnership_question)
        self.exploitation_types.set_values(request.exploitation_types)
        self.purposes.set_values(request.purposes)
        self.info_types.set_values(request.info_types)
        self.declaration.set_values(request.declaration)
        if request.declared_at:
            self.declared.setText(f"Confirmed by {request.declared_by} on {uk_time(request.declared_at)}.")
            self.declared.show()
        self._baseline = self.state()

    def fields(self) -> dict:
        """The request fields as app.requests expects them (dates as typed)."""
        data = {"request_date": self.request_date.text().strip(),
                "requester_contact": self.requester_contact.value(),
                "reasons": self.reasons.values(),
                "information_date": self.information_date.text().strip(),
                "information": self.information.value(),
                "check_request": self.check_request.value(),
                "partnership_question": self.partnership_question.value(),
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
            getattr(self, key).set_value(text(key))
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
            self.pages.setCurrentWidget(self.scroll)
            return None
        try:
            request, subject_ids = save_request(self.session.vault, self.request.id if self.request else None,
                                                self.fields(), self.subjects.entries, self.agencies.values())
        except Invalid as exc:
            self.pages.setCurrentWidget(self.scroll)
            self.show_problems(exc.problems)
            return None
        except SpocError as exc:
            self.pages.setCurrentWidget(self.scroll)
            self.show_problems([Problem("", error_text(exc, "The request was not saved."))])
            return None
        for entry, subject_id in zip(self.subjects.entries, subject_ids):
            entry["subject_id"] = subject_id
        self.request = request
        self._baseline = self.state()
        self.saved.emit(request)
        return request

    def cancel(self):
        """Back without saving, Cancel or Escape: asks "Discard changes?" first when anything was
        typed (ui/kit/guard.py); returns the open question, or None when the form closed."""
        from ui.kit.guard import ask_discard

        return ask_discard(self, self.has_unsaved_input, self.cancelled.emit)

    def has_unsaved_changes(self) -> bool:
        return self.has_unsaved_input()


# ---- check your answers ----------------------------------------------------------------------


class CheckAnswersPage(QtWidgets.QWidget):
    """The last step of the request form (GOV.UK's "Check your answers"): every section's answers
    as plain text with a Change link back to it, what would still stop sending, then Save."""

    def __init__(self, form: "RequestForm"):
        super().__init__()
        self.form = form
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
        self.layout_ = QtWidgets.QVBoxLayout(column)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.title = heading(CHECK_ANSWERS)
        self.title.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.title.setAccessibleName(CHECK_ANSWERS)
        self.layout_.addWidget(self.title)
        self.layout_.addWidget(hint_label("Read your answers through before you save. Nothing is sent until you "
                                          "choose “Send to agencies…” on the saved request."))
        self.body = QtWidgets.QWidget()
        self.body_layout = QtWidgets.QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(0, 0, 0, 0)
        self.layout_.addWidget(self.body)
        self.layout_.addSpacing(16)
        buttons = QtWidgets.QHBoxLayout()
        self.save_button = QtWidgets.QPushButton("&Save as draft")
        theme.style(self.save_button, PRIMARY_STYLE)
        primary_button(self.save_button)   # Ctrl+S on the check page saves
        self.save_button.clicked.connect(form.save)
        self.back_button = QtWidgets.QPushButton("Back to the form")
        self.back_button.clicked.connect(lambda: form.pages.setCurrentWidget(form.scroll))
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        self.layout_.addLayout(buttons)
        self.layout_.addStretch(1)
        self.answers: dict[str, list[tuple[str, str]]] = {}
        self.change_links: dict[str, QtWidgets.QPushButton] = {}

    def _answers(self) -> dict[str, list[tuple[str, str]]]:
        f, agreement = self.form, load_agreement()
        names = {r.id: r.text for r in agreement.request_reasons}
        names.update({e.id: e.name for e in agreement.exploitation_types})
        names.update({i.id: i.text for i in agreement.information_types})
        for purpose in agreement.purposes:
            names[purpose.id] = purpose.text
            names.update({item.id: item.text for item in purpose.items})

        def listed(codes) -> str:
            return "\n".join("• " + names.get(c, c) for c in codes) or "None chosen"

        from app.subjects import ROLES
        people = []
        for entry in f.subjects.entries:
            fields = entry.get("subject") or {}
            line = fields.get("name", "")
            extra = [ROLES.get(entry.get("role", ""), "")]
            if fields.get("date_of_birth"):
                extra.append(f"born {fields['date_of_birth']}")
            people.append(f"• {line} ({', '.join(e for e in extra if e)})")
        confirmed = len(f.declaration.values())
        needed = len(agreement.declaration.confirmations)
        return {
            "Request date": [("Request date", f.request_date.text().strip())],
            "Person making the request": [("Name", f.requester_name.text()), ("Rank or role", f.requester_rank.text()),
                                          ("Collar or staff number", f.requester_number.text()),
                                          ("Team", f.requester_team.text()),
                                          ("Contact details", f.requester_contact.value())],
            "Reason": [("Reason for the request", listed(f.reasons.values()))],
            "Information check request": [("Information date", f.information_date.text().strip()),
                                          ("Information", f.information.value()),
                                          ("Request", f.check_request.value())],
            "Subjects": [(plural(len(people), "subject"), "\n".join(people) or "None yet")],
            "Agencies": [("Agencies to ask", "\n".join("• " + w for w in f.agencies.words()) or "None chosen")],
            "Partnership working": [("Partnership working question", f.partnership_question.value())],
            "About the request": [("Types of exploitation", listed(f.exploitation_types.values())),
                                  ("Purposes of sharing", listed(f.purposes.values())),
                                  ("Information sought", listed(f.info_types.values()))],
            "Declaration": [("I confirm that", f"{confirmed} of {needed} statements confirmed"
                             + ("" if confirmed == needed else " (all are needed before sending)"))],
        }

    def fill(self) -> None:
        old, self.body = self.body, QtWidgets.QWidget()
        self.body_layout = QtWidgets.QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(0, 0, 0, 0)
        self.layout_.replaceWidget(old, self.body)
        old.deleteLater()
        self.answers = self._answers()
        self.change_links = {}
        states = {st.title: st for st in self.form.progress_states()}
        still = [p.message for st in states.values() for p in st.problems]
        if still:
            box = QtWidgets.QFrame()
            box.setObjectName("stillNeeded")
            theme.style(box, "#stillNeeded { border: 0px none; border-left: 5px solid {accent}; padding-left: 8px; }")
            inner = QtWidgets.QVBoxLayout(box)
            inner.addWidget(plain_label("You can save this draft now. Before it can be sent:"))
            for message in still:
                inner.addWidget(plain_label("• " + message))
            self.still_needed = box
            self.body_layout.addWidget(box)
        else:
            self.still_needed = None
            self.body_layout.addWidget(hint_label("Every section is complete: once saved, the request can be sent."))
        for title, rows in self.answers.items():
            head_row = QtWidgets.QHBoxLayout()
            head_row.addWidget(heading(title, 2), 1)
            change = QtWidgets.QPushButton("Change")
            change.setFlat(True)
            theme.style(change, LINK_STYLE)
            change.setAccessibleName(f"Change {title.lower()}")
            change.clicked.connect(lambda _c=False, t=title: self.form.go_to_section(t))
            self.change_links[title] = change
            head_row.addWidget(change)
            self.body_layout.addSpacing(10)
            self.body_layout.addLayout(head_row)
            grid = QtWidgets.QFormLayout()
            grid.setRowWrapPolicy(QtWidgets.QFormLayout.RowWrapPolicy.WrapLongRows)
            for label, value in rows:
                shown = plain_label(value if value.strip() else "Not given", selectable=True)
                shown.setAccessibleName(label)
                grid.addRow(plain_label(label + ":"), shown)
            self.body_layout.addLayout(grid)
