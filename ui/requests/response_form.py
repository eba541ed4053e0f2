"""The partner SPOC's answer to a request addressed to this desk (Appendix 2 "Response", 5.2-5.4, 6,
Appendix 3). A page, not a dialog: the Requests area embeds it when "Respond…" is chosen.

The rules live in app.responses: this form gathers input, asks `validate_response` what is wrong,
and shows the answer GOV.UK-style (an error summary whose links move focus, and each field's own
message). Three kinds of answer, as the core has them:
- disclosure: what is held and disclosed, information types (5.2), lawful basis (Appendix 3) and
  the 5.4 tests answered in words;
- nil return: "we hold nothing": only who answers and when (no personal data goes, so no basis);
- declined: with the reason.
The section 6 conditions of use are shown read-only: they travel with every response.

Longer than 600 lines on purpose: it is one form, the Appendix 2 response in the form's order,
whose draft state, validation and sending each work over all of its fields at once.
"""

from __future__ import annotations

from pathlib import Path

from app.agreement import load_agreement
from app.errors import SpocError
from app.records import Invalid, today_london
from app.requests import LABELS as REQUEST_LABELS
from app.requests import channels_for
from app.subjects import ROLES as SUBJECT_ROLES
from app.textcheck import MIN_ANSWER_LENGTH
from app.responses import (LABELS, Response, answer_allowed, conditions_of_use, lawful_bases, mark_response_sent,
                           receive_response, record_response, responses_of_dispatch, sending_summary,
                           update_response, validate_response)
from app.textcheck import visible
from ui.kit.keys import primary_button
from ui.kit.dialogs import error_text, info_box, question_box
from ui.requests.subjects import KIND_TITLES
from ui.kit.fields import CheckList, DateField, LineBox, TextBox, readonly_text, summary_row
from ui.kit.formatting import (agency_name, channel_name, one_line,
                               uk_date, uk_time)
from ui.qt import QtGui, QtWidgets, Qt, Signal
from ui.kit.widgets import (ErrorSummary, FieldRow, frameless_scroll, heading, hint_label, HINT_STYLE,
                        plain_label)
from ui.kit import theme

KIND_CHOICES = (
    ("disclosure", "We hold information and disclose it",
     "Say what you hold and what you disclose, on which lawful basis, and answer the 5.4 tests."),
    ("nil-return", "Nil return: we hold nothing about these subjects",
     "No personal data is disclosed, so no lawful basis or 5.4 answers are needed."),
    ("declined", "We decline to disclose",
     "Say why. The requesting SPOC sees your reason."),
)
# The same three answers, worded for keying in what a partner sent by another route.
RECEIVED_KIND_CHOICES = (
    ("disclosure", "They hold information and disclosed it",
     "Record what they said they hold and disclosed, their lawful basis and their answers to the 5.4 tests."),
    ("nil-return", "Nil return: they hold nothing about these subjects",
     "No personal data came, so no lawful basis or 5.4 answers are recorded."),
    ("declined", "They declined to disclose",
     "Record the reason they gave."),
)


# ---- the form -------------------------------------------------------------------------------


class LawfulBasisPanel(QtWidgets.QFrame):
    """Beside the list: the chosen basis as the agreement words it, what to cite today
    (DPA 1998 -> DPA 2018), the note, and the Appendix 3 explanation."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("basisPanel")
        theme.style(self, "QFrame#basisPanel { border: 0px none; border-left: 5px solid {accent}; background: {tint}; }")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(14, 8, 10, 8)
        layout.setSpacing(4)
        self.title = heading("", 2)
        layout.addWidget(self.title)
        self.agreement_cite = plain_label("", selectable=True)
        self.agreement_cite.setAccessibleName("The agreement's reference")
        layout.addWidget(self.agreement_cite)
        self.today_cite = plain_label("", selectable=True)
        self.today_cite.setAccessibleName("What to cite today")
        font = self.today_cite.font()
        font.setBold(True)
        self.today_cite.setFont(font)
        layout.addWidget(self.today_cite)
        self.note = plain_label("", selectable=True)
        theme.style(self.note, HINT_STYLE)
        layout.addWidget(self.note)
        layout.addWidget(plain_label("Appendix 3 explanation:"))
        self.explanation = TextBox(6)
        self.explanation.setReadOnly(True)
        self.explanation.setAccessibleName("Appendix 3 explanation")
        self.explanation.setFixedHeight(self.explanation.fontMetrics().lineSpacing() * 8 + 14)
        layout.addWidget(self.explanation)
        self.basis_id = ""
        self.show_basis(None)

    def show_basis(self, view) -> None:
        if view is None:
            self.basis_id = ""
            self.title.setText("Choose a lawful basis")
            self.agreement_cite.setText("Select a basis in the list to read its Appendix 3 explanation.")
            self.today_cite.setText("")
            self.note.setText("")
            self.explanation.set_value("")
            return
        self.basis_id = view.id
        self.title.setText(view.title)
        state = "still in force" if view.in_force else "repealed"
        self.agreement_cite.setText(f"The agreement cites: {view.title} ({view.clause}; {state})")
        self.today_cite.setText(f"Cite today: {view.cite_today}")
        self.note.setText(view.note)
        self.explanation.set_value(view.explanation)


class ResponseForm(QtWidgets.QWidget):
    """This desk's response to one dispatch of a request (a page, not a modal dialog)."""

    saved = Signal(object)  # the Response after Save draft or Mark as sent
    cancelled = Signal()

    def __init__(self, session, request, dispatch, parent: QtWidgets.QWidget | None = None, *,
                 received: bool = False):
        """`received`: the police desk records an answer the partner sent by another route (secure
        e-mail, not SPOC Desk); saving calls `receive_response` and nothing is sent or exported."""
        super().__init__(parent)
        self.received = received
        self.session = session
        self.vault = session.vault
        self.request = request
        self.dispatch = dispatch
        self.response: Response | None = None
        self.agreement = load_agreement()
        self._bases = {view.id: view for view in lawful_bases()}
        self._dialog: QtWidgets.QWidget | None = None
        self.last_message: QtWidgets.QMessageBox | None = None
        self.exported_path: Path | None = None
        self.rows: dict[str, FieldRow] = {}

        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.scroll = frameless_scroll()
        outer.addWidget(self.scroll, 1)
        page = QtWidgets.QWidget()
        self.scroll.setWidget(page)
        centre = QtWidgets.QHBoxLayout(page)
        centre.setContentsMargins(24, 16, 24, 16)
        column_widget = QtWidgets.QWidget()
        column_widget.setMaximumWidth(860)
        centre.addWidget(column_widget, 1)
        centre.addStretch(0)
        self.column = QtWidgets.QVBoxLayout(column_widget)
        self.column.setContentsMargins(0, 0, 0, 0)
        self.column.setSpacing(6)

        self.title = heading(f"Record the answer {dispatch.agency_name} sent for {request.reference}" if received
                             else f"Respond to {request.reference}")
        self.column.addWidget(self.title)
        self.status = plain_label("", selectable=True)
        self.status.setAccessibleName("Response status")
        self.column.addWidget(self.status)
        self.summary = ErrorSummary()
        self.column.addWidget(self.summary)

        self._build_request_summary()
        self._build_answer()
        self._build_responder()
        self._build_disclosure()
        self._build_tests()
        self._build_decline()
        self._build_partnership()
        self._build_sending()
        self._build_conditions()
        self.column.addStretch(1)

        bar = QtWidgets.QFrame()
        bar.setObjectName("responseButtons")
        theme.style(bar, "QFrame#responseButtons { border-top: 1px solid {border}; }")
        buttons = QtWidgets.QHBoxLayout(bar)
        buttons.setContentsMargins(24, 8, 24, 8)
        self.save_button = QtWidgets.QPushButton("&Save draft")
        primary_button(self.save_button)   # Ctrl+S presses it; styled by resources/style.qss
        self.save_button.setToolTip("Keeps the response on this desk. Nothing is sent.")
        self.save_button.clicked.connect(self.save_draft)
        self.send_button = QtWidgets.QPushButton("&Mark as sent…")
        self.send_button.setToolTip("Checks the response, says to whom it goes, then records it as sent "
                                    "in the disclosure register.")
        self.send_button.clicked.connect(self.mark_sent)
        self.export_button = QtWidgets.QPushButton("&Make package…")
        self.export_button.setToolTip("Seals your response for the requesting desk, to attach to secure e-mail")
        self.export_button.clicked.connect(self.export_for_sending)
        if received:
            self.save_button.setText("&Record answer received")
            self.save_button.setToolTip(f"Records what {dispatch.agency_name} sent, in the collation and the "
                                        "disclosure register (as received).")
            self.save_button.clicked.disconnect()
            self.save_button.clicked.connect(self.record_received)
        self.cancel_button = QtWidgets.QPushButton("&Close")
        self.cancel_button.setToolTip("Leaves the form. Unsaved changes are lost unless you save a draft.")
        self.cancel_button.clicked.connect(self.cancel)
        for button in (self.save_button, self.send_button, self.export_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        outer.addWidget(bar)

        self._load_existing()
        self._update_kind()
        self._update_state()
        escape = QtGui.QShortcut(QtGui.QKeySequence("Escape"), self)
        escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        escape.activated.connect(self.cancel)

    # ---- building ------------------------------------------------------------------------

    def _section(self, title: str, text: str = "") -> None:
        spacer = QtWidgets.QWidget()
        spacer.setFixedHeight(10)
        self.column.addWidget(spacer)
        self.column.addWidget(heading(title, 2))
        if text:
            self.column.addWidget(hint_label(text))

    def _row(self, key: str, field: QtWidgets.QWidget, label: str | None = None, hint_text: str = "",
             tooltip: str = "") -> FieldRow:
        row = FieldRow(label or LABELS[key], field, hint_text)
        if tooltip:
            row.label.setToolTip(tooltip)
            field.setToolTip(tooltip)
        self.rows[key] = row
        self.column.addWidget(row)
        signal = getattr(field, "textChanged", None) or getattr(field, "changed", None)
        if signal is not None:
            signal.connect(lambda *_a, r=row: r.set_error(None))
        return row

    def _build_request_summary(self) -> None:
        request = self.request
        self._section("The request", f"What this desk asked {self.dispatch.agency_name} (Appendix 2)." if self.received
                      else "What the requesting agency asks you (Appendix 2).")
        box = QtWidgets.QFrame()
        box.setObjectName("requestSummary")
        theme.style(box, "QFrame#requestSummary { border: 1px solid {border}; background: {panel}; }")
        layout = QtWidgets.QVBoxLayout(box)
        layout.setContentsMargins(12, 8, 12, 8)
        self.summary_reference = plain_label(request.reference, selectable=True)
        layout.addWidget(summary_row("Reference", self.summary_reference))
        self.summary_from = plain_label(f"{agency_name(request.origin_agency)} ({request.origin_agency})",
                                        selectable=True)
        layout.addWidget(summary_row("From", self.summary_from))
        requester = ", ".join(v for v in (request.requester_name, request.requester_rank,
                                          request.requester_team) if v)
        layout.addWidget(summary_row("Requested by", readonly_text(requester, 2)))
        dates = uk_date(request.request_date, "—")
        if self.dispatch.due_date:
            dates += f"; answer due by {uk_date(self.dispatch.due_date)}"
        layout.addWidget(summary_row("Request date", dates))
        layout.addWidget(summary_row("Sent to", self.dispatch.agency_name))
        self.summary_asked = readonly_text(request.check_request, 4)
        layout.addWidget(summary_row("What is asked", self.summary_asked))
        agreement = self.agreement

        def names(items, codes) -> str:
            by_id = {i.id: getattr(i, "text", None) or getattr(i, "name", "") for i in items}
            return "\n".join(f"• {by_id.get(c, c)}" for c in codes)

        purposes = [p for purpose in agreement.purposes for p in (purpose, *purpose.items)]
        self.summary_reason = readonly_text(names(agreement.request_reasons, request.reasons) or "Not given", 2)
        layout.addWidget(summary_row(REQUEST_LABELS["reasons"], self.summary_reason))
        self.summary_purposes = readonly_text(names(purposes, request.purposes) or "None chosen", 3)
        layout.addWidget(summary_row(REQUEST_LABELS["purposes"], self.summary_purposes))
        if request.exploitation_types:
            layout.addWidget(summary_row(REQUEST_LABELS["exploitation_types"], readonly_text(
                names(agreement.exploitation_types, request.exploitation_types), 2)))
        if request.information:
            info_date = uk_date(request.information_date, "")
            layout.addWidget(summary_row("Information" + (f" (received {info_date})" if info_date else ""),
                                         readonly_text(request.information, 4)))
        if request.partnership_question:
            layout.addWidget(summary_row(REQUEST_LABELS["partnership_question"],
                                         readonly_text(request.partnership_question, 2)))
        sought = [t.text for t in agreement.information_types if t.id in request.info_types]
        if sought:
            layout.addWidget(summary_row("Information sought (5.2)", readonly_text(
                "\n".join(f"• {s}" for s in sought), 4)))
        subjects = []
        for number, subject in enumerate(request.subjects, start=1):  # every subject's details, in full
            role = SUBJECT_ROLES.get(subject.role or "unknown", subject.role or "")
            lines = [f"{number}. {visible(subject.name)} — {KIND_TITLES.get(subject.kind, subject.kind)}"
                     + (f", {role}" if role else "")]
            if subject.aliases:
                lines.append("   Also known as: " + ", ".join(visible(a) for a in subject.aliases))
            if subject.date_of_birth:
                lines.append(f"   Date of birth: {uk_date(subject.date_of_birth)}")
            lines += [f"   Address: {visible(a)}" for a in subject.addresses]
            lines += [f"   {i.get('type') or 'Identifier'}: {visible(i.get('value', ''))}" for i in subject.identifiers]
            if subject.description:
                lines.append(f"   Description: {visible(subject.description)}")
            subjects.append("\n".join(lines))
        self.summary_subjects = readonly_text("\n".join(subjects) or "None named", min(12, max(3, len(subjects) * 3)))
        self.summary_subjects.setAccessibleName("Every subject of the request, with their details")
        layout.addWidget(summary_row(f"Subjects ({len(request.subjects)})", self.summary_subjects))
        if any("\u27e6" in s for s in subjects):
            flag = plain_label("Some names contain hidden characters, shown as ⟦U+…⟧ markers. "
                               "They are stored as received.")
            theme.style(flag, "color: {danger}; font-weight: bold;")
            layout.addWidget(flag)
        self.column.addWidget(box)

    def _build_answer(self) -> None:
        self._section(f"{self.dispatch.agency_name}'s answer" if self.received else "Your answer",
                      f"Record what {self.dispatch.agency_name} sent you, as they worded it. This is not your own "
                      "answer." if self.received else "")
        self.kind_group = QtWidgets.QButtonGroup(self)
        holder = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(holder)
        layout.setContentsMargins(0, 0, 0, 0)
        self.kind_buttons: dict[str, QtWidgets.QRadioButton] = {}
        for code, text, note in (RECEIVED_KIND_CHOICES if self.received else KIND_CHOICES):
            button = QtWidgets.QRadioButton(text)
            button.setAccessibleName(text)
            button.setAccessibleDescription(note)
            button.setToolTip(note)
            self.kind_group.addButton(button)
            self.kind_buttons[code] = button
            layout.addWidget(button)
            item_hint = hint_label(note)
            item_hint.setContentsMargins(24, 0, 0, 4)
            layout.addWidget(item_hint)
        self.kind_buttons["disclosure"].setChecked(True)
        holder.setFocusProxy(self.kind_buttons["disclosure"])
        self.kind_group.buttonToggled.connect(lambda *_a: self._update_kind())
        self._row("kind", holder, f"What did {self.dispatch.agency_name} answer?" if self.received
                  else "What is your answer?")

    def _build_responder(self) -> None:
        self._section(f"Who answered for {self.dispatch.agency_name}" if self.received else "Who is responding")
        self.responder_name = LineBox()
        self._row("responder_name", self.responder_name)
        self.responder_role = LineBox()
        self._row("responder_role", self.responder_role, hint_text="For example SPOC, Community Safety team")
        self.responder_contact = LineBox()
        self._row("responder_contact", self.responder_contact,
                  hint_text="A telephone number or secure e-mail address the requester can use (9.5)")
        self.response_date = DateField(latest=today_london)
        self._row("response_date", self.response_date, hint_text="For example 27/3/2026")

    def _build_disclosure(self) -> None:
        self.disclosure_widgets: list[QtWidgets.QWidget] = []
        start = self.column.count()
        if self.received:
            self._section("What they hold and disclosed")
            self.held_text = TextBox(3)
            self._row("held_text", self.held_text, f"What {self.dispatch.agency_name} holds",
                      hint_text="Briefly, what they said their records show about the subjects")
            self.disclosed_text = TextBox(5)
            self._row("disclosed_text", self.disclosed_text, "What they disclosed",
                      hint_text="The information they gave, as they gave it.")
        else:
            self._section("What you hold and disclose")
            self.held_text = TextBox(3)
            self._row("held_text", self.held_text, hint_text="Briefly, what your records show about the subjects")
            self.disclosed_text = TextBox(5)
            self._row("disclosed_text", self.disclosed_text,
                      hint_text="The information you are giving. Give only what the purpose needs (7.1).")
        self.info_types = CheckList([(t.id, _sentence(t.text)) for t in self.agreement.information_types])
        self._row("info_types", self.info_types, "Information disclosed",
                  "Select all the purposes in section 5.2 that the information serves",
                  tooltip="Agreement 5.2: partners respond with any information they hold about the identified "
                          "individuals that may be relevant to the purpose of this agreement.")
        self._section("Lawful basis", "Information may be disclosed without consent under these provisions "
                                      "(5.4.1). Select one to read its Appendix 3 explanation.")
        self.basis_list = QtWidgets.QListWidget()
        for view in self._bases.values():
            item = QtWidgets.QListWidgetItem(view.title)
            item.setData(Qt.ItemDataRole.UserRole, view.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            item.setToolTip(f"Cite today: {view.cite_today}")
            self.basis_list.addItem(item)
        rows = self.basis_list.count()
        self.basis_list.setFixedHeight((self.basis_list.fontMetrics().lineSpacing() + 4) * rows + 10)
        self.basis_list.currentItemChanged.connect(self._show_current_basis)
        self.basis_list.itemChanged.connect(self._basis_checked)
        self._row("lawful_bases", self.basis_list, "Lawful basis for the disclosure",
                  "Tick each basis you rely on. Where the agreement cites the Data Protection Act 1998, "
                  "the Data Protection Act 2018 provision to cite today is shown beside it.")
        self.basis_panel = LawfulBasisPanel()
        self.column.addWidget(self.basis_panel)
        self.disclosure_widgets = [self.column.itemAt(i).widget() for i in range(start, self.column.count())]

    def _build_tests(self) -> None:
        start = self.column.count()
        self._section("Fair and lawful processing (5.4)",
                      "Their answer to each test, as they gave it. All three are needed to record a disclosure."
                      if self.received else
                      "Answer each test in your own words. All three are needed before the response can be "
                      "marked as sent.")
        self.necessary = TextBox(3)
        # The field, its hint and its error use the same words (app.responses.LABELS, SUBSTANTIVE).
        self._row("necessary", self.necessary, None,
                  f"In your own words, at least {MIN_ANSWER_LENGTH} characters (not “n/a” or “see above”). "
                  "For example, to identify a potential victim's employer",
                  tooltip="5.4.2: information will only be exchanged where necessary for the purpose of properly "
                          "assessing and managing the responses to incidents of Modern Slavery.")
        self.proportionate = TextBox(3)
        self._row("proportionate", self.proportionate, None,
                  f"In your own words, at least {MIN_ANSWER_LENGTH} characters: why it is no more than is needed. "
                  "For example, only the employer's name and start date are given",
                  tooltip="5.4.3: partners co-operate with police requests in the same way as with any other "
                          "police investigation; 7.1: no excessive detail.")
        self.accurate = TextBox(3)
        self._row("accurate", self.accurate, None,
                  f"In your own words, at least {MIN_ANSWER_LENGTH} characters. "
                  "For example, checked against our records today",
                  tooltip="5.4: the information exchanged must be accurate.")
        self.disclosure_widgets += [self.column.itemAt(i).widget() for i in range(start, self.column.count())]

    def _build_decline(self) -> None:
        start = self.column.count()
        self._section("Declining")
        self.decline_reason = TextBox(3)
        self._row("decline_reason", self.decline_reason,
                  hint_text="The reason they gave for not disclosing" if self.received else
                  "Say why your agency will not disclose, for example no lawful basis applies")
        self.decline_widgets = [self.column.itemAt(i).widget() for i in range(start, self.column.count())]

    def _build_partnership(self) -> None:
        self._section("Partnership working")
        prompt = self.request.partnership_question or self.agreement.request_form.partnership_working_prompt
        self.partnership_answer = TextBox(3)
        self._row("partnership_answer", self.partnership_answer, "Partnership working answer",
                  one_line(prompt, 400))

    def _build_sending(self) -> None:
        if self.received:
            self._section("How it arrived", "The approved secure channel it came through (9.5, Appendix 4).")
        else:
            self._section("How it will be sent",
                          "Send only through an approved secure channel (9.5, Appendix 4). By telephone, check who "
                          "you are speaking to by calling through their switchboard.")
        self.channel = QtWidgets.QComboBox()
        origin = self.dispatch.agency if self.received else self.request.origin_agency
        for channel_id in channels_for(origin):   # the ones `origin` normally uses first
            self.channel.addItem(channel_name(channel_id), channel_id)
        self._row("channel", self.channel, "Channel it came through" if self.received else "Secure channel",
                  f"The channels {agency_name(origin)} normally uses are listed first")

    def _build_conditions(self) -> None:
        self._section("Conditions of use (section 6)",
                      "These conditions travel with every response; the requesting agency is bound by them.")
        self.conditions_box = QtWidgets.QFrame()
        self.conditions_box.setObjectName("conditions")
        theme.style(self.conditions_box, "QFrame#conditions { border: 0px none; border-left: 5px solid {border}; }")
        layout = QtWidgets.QVBoxLayout(self.conditions_box)
        layout.setContentsMargins(12, 4, 4, 4)
        self.condition_labels: list[QtWidgets.QLabel] = []
        self._conditions_layout = layout
        self._show_conditions(conditions_of_use())
        self.column.addWidget(self.conditions_box)

    def _show_conditions(self, conditions) -> None:
        for label in self.condition_labels:
            label.deleteLater()
        self.condition_labels = []
        for condition in conditions:
            label = plain_label(f"{condition['clause']}  {condition['text']}", selectable=True)
            self._conditions_layout.addWidget(label)
            self.condition_labels.append(label)

    # ---- loading and state ---------------------------------------------------------------

    def _load_existing(self) -> None:
        if self.received:
            self.response_date.set_date(today_london())
            return
        mine = [r for r in responses_of_dispatch(self.vault, self.dispatch.id)
                if r.origin_agency == self.vault.agency]
        drafts = [r for r in mine if r.status == "draft"]
        found = (drafts or mine or [None])[-1]
        if found is None:
            user = getattr(self.vault, "user", None)
            self.responder_name.set_value(getattr(user, "name", "") or "")
            self.responder_role.set_value("Single Point of Contact")
            self.response_date.set_date(today_london())
            return
        self.response = found
        self._fill(found)

    def _fill(self, response: Response) -> None:
        self.kind_buttons.get(response.kind, self.kind_buttons["disclosure"]).setChecked(True)
        for key in ("responder_name", "responder_role", "responder_contact", "held_text", "disclosed_text",
                    "necessary", "proportionate", "accurate", "partnership_answer", "decline_reason"):
            getattr(self, key).set_value(getattr(response, key))
        self.response_date.set_date(response.response_date)
        self.info_types.set_values(response.info_types)
        self.set_lawful_bases(response.lawful_bases)
        if response.conditions_of_use:
            self._show_conditions(response.conditions_of_use)

    def kind(self) -> str:
        for code, button in self.kind_buttons.items():
            if button.isChecked():
                return code
        return "disclosure"

    def set_kind(self, kind: str) -> None:
        self.kind_buttons.get(kind, self.kind_buttons["disclosure"]).setChecked(True)

    def lawful_bases(self) -> list[str]:
        out = []
        for row in range(self.basis_list.count()):
            item = self.basis_list.item(row)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(item.data(Qt.ItemDataRole.UserRole))
        return out

    def set_lawful_bases(self, codes) -> None:
        wanted = set(codes or ())
        first = None
        for row in range(self.basis_list.count()):
            item = self.basis_list.item(row)
            on = item.data(Qt.ItemDataRole.UserRole) in wanted
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            if on and first is None:
                first = row
        if first is not None:
            self.basis_list.setCurrentRow(first)

    def select_basis(self, basis_id: str, checked: bool = True) -> None:
        """Make `basis_id` the current row (showing its explanation) and tick it."""
        for row in range(self.basis_list.count()):
            item = self.basis_list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == basis_id:
                self.basis_list.setCurrentItem(item)
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
                return
        raise KeyError(basis_id)

    def _show_current_basis(self, item, _previous=None) -> None:
        view = self._bases.get(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None
        self.basis_panel.show_basis(view)

    def _basis_checked(self, item) -> None:
        self.rows["lawful_bases"].set_error(None)
        if item.checkState() == Qt.CheckState.Checked:
            self.basis_list.setCurrentItem(item)

    # ---- unsaved changes (ui/kit/guard.py) -------------------------------------------------

    _baseline: dict | None = None

    def mark_clean(self) -> None:
        """What the form shows now counts as saved (set when it opens and after each save)."""
        self._baseline = self.state()

    def has_unsaved_changes(self) -> bool:
        return self._baseline is not None and self.state() != self._baseline

    def cancel(self):
        """Close or Escape: asks "Discard changes?" first when anything was changed; returns the
        open question, or None when the form closed."""
        from ui.kit.guard import ask_discard

        return ask_discard(self, self.has_unsaved_changes, self.cancelled.emit)

    def state(self) -> dict:
        """Every input, JSON-serialisable (for an encrypted draft)."""
        current = self.basis_list.currentItem()
        return {
            "kind": self.kind(),
            "responder_name": self.responder_name.value(),
            "responder_role": self.responder_role.value(),
            "responder_contact": self.responder_contact.value(),
            "response_date": self.response_date.text(),
            "held_text": self.held_text.value(),
            "disclosed_text": self.disclosed_text.value(),
            "info_types": self.info_types.values(),
            "lawful_bases": self.lawful_bases(),
            "current_basis": current.data(Qt.ItemDataRole.UserRole) if current is not None else "",
            "necessary": self.necessary.value(),
            "proportionate": self.proportionate.value(),
            "accurate": self.accurate.value(),
            "partnership_answer": self.partnership_answer.value(),
            "decline_reason": self.decline_reason.value(),
            "channel": self.channel.currentData() or "",
            "response_id": self.response.id if self.response is not None else "",
        }

    def set_state(self, state: dict) -> None:
        state = state or {}
        if self.response is not None and self.response.status != "draft":
            return  # a sent response stays as sent
        self.set_kind(state.get("kind") or "disclosure")
        for key in ("responder_name", "responder_role", "responder_contact", "held_text", "disclosed_text",
                    "necessary", "proportionate", "accurate", "partnership_answer", "decline_reason"):
            if key in state:
                getattr(self, key).set_value(str(state.get(key) or ""))
        if "response_date" in state:
            self.response_date.setText(str(state.get("response_date") or ""))
        self.info_types.set_values(state.get("info_types") or [])
        self.set_lawful_bases(state.get("lawful_bases") or [])
        if state.get("current_basis"):
            for row in range(self.basis_list.count()):
                if self.basis_list.item(row).data(Qt.ItemDataRole.UserRole) == state["current_basis"]:
                    self.basis_list.setCurrentRow(row)
        index = self.channel.findData(state.get("channel") or "")
        if index >= 0:
            self.channel.setCurrentIndex(index)

    def data(self) -> dict:
        """What goes to the core: the fields the chosen kind uses (a nil return carries no
        disclosure text, even if some was typed before the answer was changed)."""
        kind = self.kind()
        data = {
            "kind": kind,
            "responder_name": self.responder_name.value(),
            "responder_role": self.responder_role.value(),
            "responder_contact": self.responder_contact.value(),
            "response_date": self.response_date.text().strip(),
            "partnership_answer": self.partnership_answer.value(),
            "held_text": "", "disclosed_text": "", "info_types": [], "lawful_bases": [],
            "necessary": "", "proportionate": "", "accurate": "", "decline_reason": "",
        }
        if kind == "disclosure":
            data.update(held_text=self.held_text.value(), disclosed_text=self.disclosed_text.value(),
                        info_types=self.info_types.values(), lawful_bases=self.lawful_bases(),
                        necessary=self.necessary.value(), proportionate=self.proportionate.value(),
                        accurate=self.accurate.value())
        elif kind == "declined":
            data.update(decline_reason=self.decline_reason.value())
        return data

    # ---- showing -------------------------------------------------------------------------

    def _update_kind(self) -> None:
        kind = self.kind()
        for widget in self.disclosure_widgets:
            widget.setVisible(kind == "disclosure")
        for widget in self.decline_widgets:
            widget.setVisible(kind == "declined")
        labels = {"disclosure": "&Mark as sent…", "nil-return": "&Mark nil return as sent…",
                  "declined": "&Mark as sent…"}
        self.send_button.setText(labels[kind])

    def allowed(self):
        """The core's answer: what this user may do with this answer now, and why not."""
        return answer_allowed(self.vault, self.request, self.dispatch, self.response, received=self.received)

    def _editable(self) -> bool:
        return self.allowed().edit.ok

    def _update_state(self) -> None:
        may = self.allowed()
        editable = may.edit.ok
        for key, row in self.rows.items():
            field = row.field
            if isinstance(field, (QtWidgets.QLineEdit, QtWidgets.QPlainTextEdit)):
                field.setReadOnly(not editable)
            elif key != "channel":
                field.setEnabled(editable)
        self.basis_list.setEnabled(True)  # reading the explanations is always allowed
        for row in range(self.basis_list.count()):
            item = self.basis_list.item(row)
            flags = item.flags()
            if editable:
                item.setFlags(flags | Qt.ItemFlag.ItemIsUserCheckable)
            else:
                item.setFlags(flags & ~Qt.ItemFlag.ItemIsUserCheckable)
        self.save_button.setVisible(editable)
        self.send_button.setVisible(editable and may.send.offered)
        self.export_button.setVisible(may.export.offered)
        self.export_button.setEnabled(may.export.ok)
        if self.received:
            name = self.dispatch.agency_name
            if self.response is not None:
                self.status.setText(f"{name}'s answer was recorded as received on "
                                    f"{uk_time(self.response.received_at)}. It shows in the collation.")
            elif not editable:
                self.status.setText(f"An answer from {name} cannot be recorded here now. {may.edit.reason}")
            else:
                self.status.setText(f"Record here the answer {name} sent by another route (for example secure "
                                    "e-mail). It goes in the collation and the disclosure register as received "
                                    "from them, with the section 6 conditions of use.")
            return
        if not may.export.ok:
            self.export_button.setToolTip(may.export.reason)
        if not editable:
            self.status.setText(may.edit.reason + (" Use Make package to seal it for the requesting desk."
                                                   if may.export.ok else ""))
        elif self.response is not None:
            self.status.setText(f"Draft saved {uk_time(self.response.updated_at)}. Not sent yet.")
        else:
            self.status.setText("Not saved yet. Save a draft at any time; nothing is sent until you mark it "
                                "as sent.")

    def _focus_target(self, key: str) -> QtWidgets.QWidget | None:
        row = self.rows.get(key)
        return row.field if row is not None else None

    def show_problems(self, problems) -> None:
        for row in self.rows.values():
            row.set_error(None)
        entries = []
        for problem in problems:
            field, text = problem
            row = self.rows.get(field)
            label = LABELS.get(field, field)
            if row is not None:
                if not row.error.isVisible():
                    row.set_error(text)
                message = text if text[:1].isupper() else f"{label} {text}"
                entries.append((row.field, message))
            else:
                entries.append((None, f"{label}: {text}"))
        self.summary.show_problems(entries)
        if entries:
            self.scroll.ensureWidgetVisible(self.summary)
            self.summary.setFocus()

    def problem_messages(self) -> list[str]:
        return self.summary.messages() if self.summary.isVisible() else []

    # ---- actions -------------------------------------------------------------------------

    def _store(self) -> Response | None:
        """Save the draft through the core (record or update); show problems; None on failure."""
        data = self.data()
        problems, _clean = validate_response(data)
        if problems:
            self.show_problems(problems)
            return None
        try:
            if self.response is None:
                response = record_response(self.vault, self.dispatch.id, data)
            else:
                response = update_response(self.vault, self.response.id, data)
        except Invalid as exc:
            self.show_problems(exc.problems)
            return None
        except SpocError as exc:
            self.show_problems([("", error_text(exc, "The response was not saved."))])
            return None
        self.response = response
        return response

    def record_received(self) -> Response | None:
        """Received mode: key in the partner's answer with `receive_response` (the core asks for the
        5.4 answers of a disclosure, the reason for declining, and so on)."""
        if not self.received or not self._editable():
            return None
        try:
            response = receive_response(self.vault, self.dispatch.id, self.data(),
                                        channel=self.channel.currentData() or "")
        except Invalid as exc:
            self.show_problems(exc.problems)
            return None
        except SpocError as exc:
            self.show_problems([("", error_text(exc, "The answer was not recorded."))])
            return None
        self.response = response
        self.show_problems([])
        self._update_state()
        self.saved.emit(response)
        return response

    def save_draft(self) -> Response | None:
        if not self._editable():
            return None
        response = self._store()
        if response is None:
            return None
        self.show_problems([])
        self._update_state()
        self.saved.emit(response)
        return response

    def mark_sent(self) -> QtWidgets.QMessageBox | None:
        """Check the response for sending; if complete, ask (naming agency and channel) and return
        the confirmation box. Problems go to the error summary and each field."""
        may = self.allowed().send
        if not may.ok:
            if may.offered:   # e.g. the requesting partner is suspended (13.2)
                self.show_problems([("", may.reason)])
            return None
        problems, _clean = validate_response(self.data(), for_sending=True)
        if problems:
            self.show_problems(problems)
            return None
        self.show_problems([])
        to = agency_name(self.request.origin_agency)
        channel = self.channel.currentText()
        what = {"disclosure": "your disclosure", "nil-return": "your nil return (you hold nothing)",
                "declined": "that your agency declines to disclose"}[self.kind()]
        text = (f"You are about to record {what} in answer to {self.request.reference} as sent to {to} "
                f"({self.request.origin_agency}) through {channel}.\n\n"
                f"It is written to the disclosure register as going from {agency_name(self.vault.agency)} to "
                f"{to}, with the section 6 conditions of use. After this the response cannot be changed.\n\n"
                "Then use Make package to seal it for them, and attach the package to a secure e-mail.")
        if self.kind() == "disclosure":
            text += "\n\nCheck what you are relying on (5.4):\n" + sending_summary(self.data())
        box = question_box(self, "Mark the response as sent", text, "Mark as sent")
        box.finished.connect(lambda _r, b=box: self._send_confirmed(b))
        self._dialog = box
        box.open()
        return box

    def _send_confirmed(self, box: QtWidgets.QMessageBox) -> None:
        if box.clickedButton() is not box.accept_button:
            return
        response = self._store()
        if response is None:
            return
        try:
            response = mark_response_sent(self.vault, response.id, channel=self.channel.currentData() or "")
        except Invalid as exc:
            self.show_problems(exc.problems)
            return
        except SpocError as exc:
            self.show_problems([("", error_text(exc, "The response was not marked as sent."))])
            return
        self.response = response
        self._update_state()
        self.saved.emit(response)

    def export_for_sending(self):
        """Make the sealed package of this desk's response for the requesting desk: the dialog
        says what goes to whom first (app.exchange.packages)."""
        if not self.allowed().export.ok:
            return None
        from ui.requests.send import SendPackagesDialog

        try:
            dialog = SendPackagesDialog(self.session, f"{self.request.reference}/{self.dispatch.agency}", None, self)
        except SpocError as exc:
            self._tell("No package made", error_text(exc, "The package could not be made."), True)
            return None
        dialog.made.connect(self._package_made)
        self._dialog = dialog
        dialog.open()
        return dialog

    def _package_made(self, made: list) -> None:
        self.exported_path = made[0].path if made else None

    def _tell(self, title: str, text: str, warning: bool = False) -> None:
        box = info_box(self, title, text, warning=warning)
        self.last_message = box
        box.open()


# ---- helpers --------------------------------------------------------------------------------


def _sentence(text: str) -> str:
    text = text.strip().rstrip(";.")
    return text[:1].upper() + text[1:]
