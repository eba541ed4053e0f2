"""Subject access and FOI requests (clause 12) for the Data Protection Manager: the log with each
request's statutory clock (computed from its history, never typed), the subject file found by
search, each item's decision, the partner consulted (12.2), the Appendix 2 instruction on copies
of the request form, and the marked response pack and schedule of exemptions.

Everything it does is a function of app.subject_access; this only shows and asks.
"""

from __future__ import annotations

from app import consultations as consult
from app import subject_access as core
from app.errors import SpocError
from ui.kit.guard import GuardedDialog
from ui.kit.dialogs import FormDialog, error_text
from ui.kit.fields import DateField, LineBox, TextBox
from ui.kit.formatting import agency_name, documents_folder, plural, uk_date, uk_time
from ui.kit.preview import show_report
from ui.kit.widgets import Area, announce, heading, hint_label, plain_label
from ui.qt import QtWidgets, Qt
from ui.kit import theme

COLUMNS = ("Reference", "Kind", "Received", "Requested by", "Clock", "Status")
ITEM_COLUMNS = ("Item", "From", "Decision", "Partner consulted (12.2)")
QUESTION_COLUMNS = ("Their request", "From", "Item they ask about", "Answer by", "Your answer")
EVENT_CHOICES = ("identity-requested", "identity-confirmed", "clarification-requested", "clarification-received",
                 "extended", "dpo-consulted", "responded", "closed", "reopened", "note")


def _combo(items) -> QtWidgets.QComboBox:
    box = QtWidgets.QComboBox()
    for value, text in items:
        box.addItem(text, value)
    return box


def _table(columns) -> QtWidgets.QTableWidget:
    table = QtWidgets.QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(columns)
    table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().hide()
    table.setWordWrap(True)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _user_text_label(name: str) -> QtWidgets.QLabel:
    """User text, wrapped to the page: a very long word must not widen the whole area."""
    label = plain_label("", selectable=True)
    label.setAccessibleName(name)
    label.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
    label.setMinimumWidth(200)
    return label


def _lower_first(text: str) -> str:
    """'Subject access request (UK GDPR Art 15)' -> 'subject access request (UK GDPR Art 15)'."""
    return text[:1].lower() + text[1:]


def _key(table: QtWidgets.QTableWidget) -> str | None:
    rows = table.selectionModel().selectedRows()
    return table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole) if rows else None


class SubjectPicker(GuardedDialog, QtWidgets.QDialog):
    """Find the people a request is about, by name or alias in any script (the full-text search)."""

    def __init__(self, parent, session, chosen: tuple[str, ...]):
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Whom is the request about?")
        self.setModal(True)
        self.setMinimumWidth(520)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(plain_label("Search names, aliases, addresses and identifiers. Tick every record that is "
                                     "the same person: one person may be on several requests."))
        row = QtWidgets.QHBoxLayout()
        self.search = LineBox()
        self.search.setAccessibleName("Name to search for")
        self.search.returnPressed.connect(self.find)
        row.addWidget(self.search, 1)
        self.find_button = QtWidgets.QPushButton("&Search")
        self.find_button.setAutoDefault(False)
        self.find_button.clicked.connect(self.find)
        row.addWidget(self.find_button)
        layout.addLayout(row)
        self.results = QtWidgets.QListWidget()
        self.results.setAccessibleName("Subjects found")
        layout.addWidget(self.results, 1)
        self.message = plain_label("")
        layout.addWidget(self.message)
        self.chosen = list(chosen)
        buttons = QtWidgets.QDialogButtonBox()
        self.ok = buttons.addButton("&Use the ticked subjects", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setAutoDefault(False)
        buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Cancel).clicked.connect(self.reject)
        self.ok.clicked.connect(self._accept)
        layout.addWidget(buttons)

    def find(self) -> None:
        try:
            found = core.find_subjects(self.session.vault, self.search.value())
        except SpocError as exc:
            self.message.setText(error_text(exc, "The search failed."))
            return
        self.results.clear()
        for subject in found:
            aliases = f" (also {', '.join(subject.aliases)})" if subject.aliases else ""
            dob = f", born {subject.date_of_birth}" if subject.date_of_birth else ""
            item = QtWidgets.QListWidgetItem(f"{subject.name}{aliases}{dob} [{subject.kind}, {subject.origin_agency}]")
            item.setData(Qt.ItemDataRole.UserRole, subject.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if subject.id in self.chosen else Qt.CheckState.Unchecked)
            self.results.addItem(item)
        self.message.setText(f"{len(found)} found." if found else "Nothing matches.")

    def ticked(self) -> list[str]:
        shown = {self.results.item(i).data(Qt.ItemDataRole.UserRole): self.results.item(i).checkState()
                 for i in range(self.results.count())}
        keep = [s for s in self.chosen if s not in shown]
        return keep + [s for s, state in shown.items() if state == Qt.CheckState.Checked]

    def _accept(self) -> None:
        self.chosen = self.ticked()
        self.accept()


class SubjectAccessArea(Area):
    key = "subject_access"
    title = "Subject access"
    permission = "info_requests.read"

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        self.items: list[core.InfoRequest] = []
        self.current: core.InfoRequest | None = None
        self.consultations: dict[str, consult.Consultation] = {}
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(heading("Subject access and FOI requests"), 1)
        self.log_button = QtWidgets.QPushButton("&Log a request…")
        self.log_button.clicked.connect(self.log_request)
        top.addWidget(self.log_button)
        layout.addLayout(top)
        layout.addWidget(plain_label(
            "Requests under the Data Protection Act or the Freedom of Information Act come to you without delay "
            "(12.1). Where the information came from a partner, consult it before answering (12.2). Clocks are "
            "worked out from what you record: a month for subject access, 20 working days for FOI."))
        filters = QtWidgets.QHBoxLayout()
        self.show_filter = _combo((("open", "Open requests"), ("", "All requests")))
        self.show_filter.setAccessibleName("Show")
        label = QtWidgets.QLabel("&Show")
        label.setBuddy(self.show_filter)
        filters.addWidget(label)
        filters.addWidget(self.show_filter)
        filters.addStretch(1)
        self.counts = plain_label("", wrap=False)
        filters.addWidget(self.counts)
        layout.addLayout(filters)
        self.show_filter.currentIndexChanged.connect(lambda _i: self.refresh())
        # Partners' questions to this desk (12.2): a sealed package asked whether this desk objects to
        # disclosing something it supplied; shown while there are any.
        self.questions_box = QtWidgets.QWidget()
        q = QtWidgets.QVBoxLayout(self.questions_box)
        q.setContentsMargins(0, 4, 0, 8)
        q.addWidget(heading("Partners asking you (12.2)", 2))
        q.addWidget(hint_label("A partner received a request for information that you supplied and asks whether "
                               "you object to its disclosure. Answer before the date they give."))
        self.questions = _table(QUESTION_COLUMNS)
        self.questions.setAccessibleName("Consultations from partners")
        self.questions.setMaximumHeight(160)
        self.questions.itemSelectionChanged.connect(self._question_selected)
        q.addWidget(self.questions)
        self.question_detail = _user_text_label("The partner's question")
        q.addWidget(self.question_detail)
        row = QtWidgets.QHBoxLayout()
        self.answer_button = QtWidgets.QPushButton("&Answer the partner…")
        self.answer_button.setToolTip("No objection, or object with an exemption and why; sealed back to their desk")
        self.answer_button.clicked.connect(self.answer_question)
        row.addWidget(self.answer_button)
        row.addStretch(1)
        q.addLayout(row)
        self.question_status = plain_label("")
        self.question_status.setAccessibleName("Answer result")
        q.addWidget(self.question_status)
        layout.insertWidget(2, self.questions_box)  # above the log's own filter
        self.received: list[consult.Consultation] = []
        # The main window scrolls the area: one long page, the log above the chosen request.
        self.table = _table(COLUMNS)
        self.table.setAccessibleName("Subject access and FOI requests")
        self.table.setMinimumHeight(140)
        self.table.setMaximumHeight(240)
        self.table.itemSelectionChanged.connect(self._selected)
        layout.addWidget(self.table)
        d = QtWidgets.QVBoxLayout()
        layout.addLayout(d, 1)
        d.setContentsMargins(0, 8, 0, 0)
        self.empty = hint_label("Choose a request to see its clock, its subject file and the decisions.")
        d.addWidget(self.empty)
        self.detail = QtWidgets.QWidget()
        d.addWidget(self.detail)
        d.addStretch(1)
        v = QtWidgets.QVBoxLayout(self.detail)
        v.setContentsMargins(0, 0, 0, 0)
        self.detail_title = heading("", 2)
        v.addWidget(self.detail_title)
        self.clock = plain_label("", selectable=True)
        self.clock.setAccessibleName("Clock")
        theme.style(self.clock, "QLabel { border: 0px none; border-left: 5px solid {accent}; padding-left: 8px; }")
        v.addWidget(self.clock)
        self.request_form_warning = plain_label("")
        self.request_form_warning.setAccessibleName("Appendix 2 instruction")
        theme.style(self.request_form_warning, "QLabel { border: 0px none; border-left: 5px solid {danger}; padding-left: 8px; "
                                                "font-weight: bold; }")
        v.addWidget(self.request_form_warning)
        self.about = _user_text_label("The request")
        v.addWidget(self.about)
        actions = QtWidgets.QHBoxLayout()
        self.record_button = QtWidgets.QPushButton("&Record what happened…")
        self.record_button.setToolTip("Identity, clarification, an extension, the force DPO consulted, the answer sent")
        self.record_button.clicked.connect(self.record_event)
        self.subjects_button = QtWidgets.QPushButton("Find the &subjects…")
        self.subjects_button.clicked.connect(self.choose_subjects)
        self.gather_button = QtWidgets.QPushButton("&Gather the subject file")
        self.gather_button.setToolTip("Everything held about them: requests, subject details, responses, disclosures, "
                                      "meetings and breaches, each to decide")
        self.gather_button.clicked.connect(self.gather)
        for button in (self.record_button, self.subjects_button, self.gather_button):
            actions.addWidget(button)
        actions.addStretch(1)
        v.addLayout(actions)
        v.addWidget(heading("Items held", 2))
        self.items_table = _table(ITEM_COLUMNS)
        self.items_table.setAccessibleName("Items held about the subject")
        self.items_table.setMinimumHeight(180)
        self.items_table.itemSelectionChanged.connect(self._item_selected)
        v.addWidget(self.items_table)
        item_actions = QtWidgets.QHBoxLayout()
        self.package_button = QtWidgets.QPushButton("&Consult the originating partner…")
        self.package_button.setToolTip("Clause 12.2: a sealed package to the desk that supplied the item; its answer, "
                                       "received, is recorded against the item")
        self.package_button.clicked.connect(self.consult_by_package)
        self.consult_button = QtWidgets.QPushButton("Record a consultation by &telephone…")
        self.consult_button.setToolTip("Clause 12.2: a consultation made by telephone or in writing, and its answer")
        self.consult_button.clicked.connect(self.consult)
        self.disclose_button = QtWidgets.QPushButton("&Disclose…")
        self.disclose_button.clicked.connect(lambda: self.decide("disclose"))
        self.withhold_button = QtWidgets.QPushButton("&Withhold…")
        self.withhold_button.clicked.connect(lambda: self.decide("withhold"))
        for button in (self.package_button, self.consult_button, self.disclose_button, self.withhold_button):
            item_actions.addWidget(button)
        item_actions.addStretch(1)
        v.addLayout(item_actions)
        self.item_detail = _user_text_label("The chosen item")
        v.addWidget(self.item_detail)
        v.addWidget(heading("History", 2))
        self.history = _user_text_label("History")
        v.addWidget(self.history)
        prints = QtWidgets.QHBoxLayout()
        for text, kind in (("Print the subject &file…", "subject-file"), ("Print the response &pack…", "response-pack"),
                           ("Print the schedule of &exemptions…", "exemption-schedule")):
            button = QtWidgets.QPushButton(text)
            button.clicked.connect(lambda _=False, k=kind: self.print_document(k))
            prints.addWidget(button)
        prints.addStretch(1)
        v.addLayout(prints)
        self.status = plain_label("")
        self.status.setAccessibleName("Result")
        v.addWidget(self.status)
        self._show(None)

    # ---- the log -------------------------------------------------------------------------

    def refresh(self) -> None:
        self._refresh_questions()
        try:
            self.items = core.list_requests(self.session.vault, status=self.show_filter.currentData() or None)
        except SpocError as exc:
            self.counts.setText(error_text(exc, "The log could not be read."))
            return
        keep = self.current.id if self.current else None
        self.table.setRowCount(len(self.items))
        due = 0
        for row, request in enumerate(self.items):
            clock = request.clock()
            due += clock.state == "overdue"
            for col, value in enumerate((request.reference, request.kind_label, uk_date(request.received_on),
                                         request.requester_name, clock.text(), request.status.capitalize())):
                item = QtWidgets.QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, request.id)
                if col == 4 and clock.state == "overdue":
                    theme.mark_item(item, "danger")
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        self.counts.setText(f"{len(self.items)} shown, {due} overdue")
        if keep:
            self.select(keep)
        else:
            self._show(None)

    def select(self, ref_or_id: str) -> None:
        for row, request in enumerate(self.items):
            if ref_or_id in (request.id, request.reference):
                self.table.selectRow(row)
                self._show(core.get_request(self.session.vault, request.id))
                return

    def _selected(self) -> None:
        key = _key(self.table)
        if key and (self.current is None or self.current.id != key):
            try:
                self._show(core.get_request(self.session.vault, key))
            except SpocError as exc:
                self.status.setText(error_text(exc, "The request could not be read."))

    def _reload(self, said: str = "") -> None:
        if self.current is not None:
            self._show(core.get_request(self.session.vault, self.current.id, audit=False))
        if said:
            announce(self.status, said)   # focus on what happened, not the navigation list
        keep = self.current.id if self.current else None
        self.current = None
        self.refresh()
        if keep:
            self.select(keep)

    def _show(self, request: core.InfoRequest | None) -> None:
        self.current = request
        self.empty.setVisible(request is None)
        self.detail.setVisible(request is not None)
        if request is None:
            return
        clock = request.clock()
        self.detail_title.setText(f"{request.reference}: {request.kind_label} ({request.status})")
        self.clock.setText(f"Clock: {clock.text()}")
        needs_dpo = request.asks_for_request_form and not request.dpo_consulted
        self.request_form_warning.setVisible(request.asks_for_request_form)
        self.request_form_warning.setText(
            ("Consult the requesting force's Data Protection Officer first. " if needs_dpo else
             "The requesting force's Data Protection Officer was consulted. ")
            + "This request asks for a copy of a request form. " + core.request_form_instruction())
        file = core.subject_file(self.session.vault, request.subject_ids, audit=False) if request.subject_ids else None
        names = ", ".join(s.name for s in file.subjects) if file else "none chosen yet"
        self.about.setText(f"Received {uk_date(request.received_on)} from {request.requester_name}"
                           + (f" ({request.requester_contact})" if request.requester_contact else "")
                           + f".\nAbout: {names}." + (f"\n{request.about}" if request.about else ""))
        self.consultations = {c.item_row_id: c for c in consult.consultations_of(self.session.vault, request.id)}
        self.items_table.setRowCount(len(request.items))
        for row, item in enumerate(request.items):
            decision = {"disclose": "Disclose" + (", third parties redacted" if item.redact_third_parties else ""),
                        "withhold": f"Withhold: {item.exemption}", "undecided": "Not decided"}[item.decision]
            asked = self.consultations.get(item.id)
            consulted = (f"{uk_date(item.consulted_on)} by {core.VIA_WORDS.get(item.consulted_via, item.consulted_via)}"
                         f": {item.consult_answer}" if item.consulted_on else
                         f"Asked by package {uk_date(asked.asked_at)}; awaiting the answer" if asked and not asked.answered
                         else ("NEEDED: partner item" if item.partner_provided else "Not needed"))
            for col, value in enumerate((f"{item.label} ({item.type_label})",
                                         agency_name(item.origin_agency) + (" (partner)" if item.partner_provided
                                                                            else ""), decision, consulted)):
                cell = QtWidgets.QTableWidgetItem(value)
                cell.setData(Qt.ItemDataRole.UserRole, item.id)
                self.items_table.setItem(row, col, cell)
        self.items_table.resizeColumnsToContents()
        self.history.setText("\n".join(f"{uk_date(e.on_date)}  {e.label}"
                                       + (f": {e.summary()}" if e.summary() else "")
                                       + f"  (recorded by {e.recorded_by}, {uk_time(e.recorded_at)})"
                                       for e in request.events) or "Nothing recorded yet.")
        self._item_selected()

    def chosen_item(self) -> core.Item | None:
        key = _key(self.items_table)
        if self.current is None or key is None:
            return None
        return next((i for i in self.current.items if i.id == key), None)

    def select_item(self, label_part: str) -> None:
        for row in range(self.items_table.rowCount()):
            if label_part in self.items_table.item(row, 0).text():
                self.items_table.selectRow(row)
                return

    def _item_selected(self) -> None:
        item = self.chosen_item()
        for button in (self.disclose_button, self.withhold_button):
            button.setEnabled(item is not None)
        self.consult_button.setEnabled(item is not None and item.partner_provided)
        waiting = item is not None and (self.consultations.get(item.id) is not None
                                        and not self.consultations[item.id].answered)
        self.package_button.setEnabled(item is not None and item.partner_provided and not waiting)
        if item is None or self.current is None:
            self.item_detail.setText("")
            return
        lines = [f"{label}: {text}" for label, text in core.item_content(self.session.vault, self.current, item)]
        self.item_detail.setText("\n".join(lines))

    # ---- dialogs -------------------------------------------------------------------------

    def _run(self, dialog: QtWidgets.QDialog, said: str, then=None) -> None:
        """Open the dialog window-modal (never a nested event loop) and reload once it is accepted."""
        self.dialog = dialog
        dialog.accepted.connect(then or (lambda: self._reload(said)))
        dialog.open()

    def log_request(self) -> None:
        def submit(d):
            d.result = core.log_request(self.session.vault, {
                "kind": d.kind.currentData(), "received_on": d.received.text(), "requester_name": d.name.value(),
                "requester_contact": d.contact.value(), "about": d.about.value(),
                "asks_for_request_form": d.form_copy.isChecked()})

        dialog = FormDialog(self, "Log a request", "A request for information received under the Data Protection "
                            "Act or the Freedom of Information Act (12.1).", "&Log the request", submit)
        dialog.kind = dialog.add("kind", "&Kind of request", _combo((("", "Choose"), *core.KINDS.items())),
                                 "Part 3 (s.45) applies where the data is processed for law enforcement")
        dialog.received = dialog.add("received_on", "&Date received", DateField(), "Day/month/year. The clock runs "
                                     "from this date")
        dialog.name = dialog.add("requester_name", "&Who asked", LineBox())
        dialog.contact = dialog.add("requester_contact", "How to &reach them (optional)", LineBox())
        dialog.about = dialog.add("about", "&What they asked for (optional)", TextBox(3))
        dialog.form_copy = QtWidgets.QCheckBox("It asks for a &copy of a request form (Appendix 2)")
        dialog.form_copy.setToolTip(core.request_form_instruction())
        dialog._fields.addWidget(dialog.form_copy)
        dialog._fields.addWidget(hint_label("If so, the requesting force's Data Protection Officer is consulted first."))

        def logged() -> None:
            self.show_filter.setCurrentIndex(0)
            self.current = None
            self.refresh()
            self.select(dialog.result.reference)
            announce(self.status, f"Logged {dialog.result.reference}.")

        self._run(dialog, "", logged)

    def record_event(self) -> None:
        request = self.current
        if request is None:
            return

        def submit(d):
            kind = d.kind.currentData()
            if not kind:
                from app.records import Invalid, Problem

                raise Invalid([Problem("kind", "Choose what happened")])
            core.add_event(self.session.vault, request.reference, kind, {
                "on_date": d.on.text() or None, "units": d.units.value(), "reason": d.text.value(),
                "text": d.text.value(), "who": d.who.value(), "answer": d.text.value()})

        dialog = FormDialog(self, f"Record what happened on {request.reference}", "Each entry is dated and signed "
                            "with your name; the clock follows from them.", "&Record", submit)
        dialog.kind = dialog.add("kind", "&What happened", _combo((("", "Choose"),
                                                                  *((k, core.EVENT_LABELS[k]) for k in EVENT_CHOICES))))
        dialog.on = dialog.add("on_date", "&When", DateField(), "Day/month/year; blank for today")
        dialog.units = dialog.add("units", "&Extension", LineBox(), "Subject access: months (up to 2 in all). "
                                  "FOI: working days (up to 20)")
        dialog.who = dialog.add("who", "Whom you &consulted", LineBox(), "For the force Data Protection Officer")
        dialog.text = dialog.add("text", "&Reason, answer or note", TextBox(3))
        self._run(dialog, "Recorded.")

    def choose_subjects(self) -> None:
        request = self.current
        if request is None:
            return
        picker = SubjectPicker(self, self.session, request.subject_ids)

        def chosen() -> None:
            try:
                core.set_subjects(self.session.vault, request.reference, picker.chosen)
            except SpocError as exc:
                self.status.setText(error_text(exc, "The subjects were not changed."))
                return
            self._reload(f"{plural(len(picker.chosen), 'subject record')} chosen.")

        self._run(picker, "", chosen)

    def gather(self) -> None:
        if self.current is None:
            return
        try:
            before = len(self.current.items)
            request = core.gather_items(self.session.vault, self.current.reference)
        except SpocError as exc:
            self.status.setText(error_text(exc, "The subject file could not be gathered."))
            return
        self._reload(f"{plural(len(request.items) - before, 'item')} added to decide.")

    def consult(self) -> None:
        request, item = self.current, self.chosen_item()
        if request is None or item is None:
            return

        def submit(d):
            core.consult_partner(self.session.vault, request.reference, item.id, via=d.via.currentData(),
                                 who=d.who.value(), answer=d.answer.value(), on_date=d.on.text() or None)

        dialog = FormDialog(self, "Consult the partner", f"{item.label} came from {agency_name(item.origin_agency)}. "
                            "Clause 12.2: have regard to its interests before answering. By telephone, call through "
                            "its switchboard or recognised number (9.5).", "&Record the consultation", submit)
        dialog.via = dialog.add("via", "&How", _combo((("", "Choose"), *core.CONSULT_VIA.items())))
        dialog.who = dialog.add("who", "&Whom you spoke to", LineBox())
        dialog.answer = dialog.add("answer", "Their &answer", TextBox(3))
        dialog.on = dialog.add("on_date", "W&hen", DateField(), "Day/month/year; blank for today")
        self._run(dialog, f"Consultation with {item.origin_agency} recorded.")

    def _folder_field(self, dialog: FormDialog) -> LineBox:
        folder = dialog.add("folder", "&Folder for the package", LineBox(), "The sealed package is written here; "
                            "attach it to a secure e-mail to the partner")
        folder.setText(str(documents_folder()))
        return folder

    def consult_by_package(self) -> None:
        request, item = self.current, self.chosen_item()
        if request is None or item is None:
            return

        def submit(d):
            d.result = consult.ask(self.session.vault, request.reference, item.id, d.folder.value(),
                                   question=d.question.value())

        dialog = FormDialog(self, "Consult the originating partner", f"{item.label} came from "
                            f"{agency_name(item.origin_agency)}. A sealed package asks its desk whether it objects to "
                            "disclosure (12.2). It carries your reference, the date your answer is due and which item "
                            "it is, never the requester's details.", "&Make the package", submit)
        dialog.question = dialog.add("question", "&Anything to add (optional)", TextBox(3),
                                     "For example what you are minded to disclose")
        dialog.folder = self._folder_field(dialog)
        self._run(dialog, "", lambda: self._reload(
            f"Package {dialog.result.file_name} made in {dialog.result.path.parent}: attach it to a secure e-mail to "
            f"{agency_name(item.origin_agency)}. Its answer, received, is recorded against the item."))

    def _refresh_questions(self) -> None:
        try:
            self.received = consult.received_questions(self.session.vault)
        except SpocError as exc:
            self.question_detail.setText(error_text(exc, "The partners' questions could not be read."))
            return
        self.questions_box.setVisible(bool(self.received))
        self.questions.setRowCount(len(self.received))
        for row, c in enumerate(self.received):
            for col, value in enumerate((c.sar_reference, agency_name(c.partner), c.item_label, uk_date(c.due_on),
                                         c.answer_words() if c.answered else "NOT ANSWERED YET")):
                cell = QtWidgets.QTableWidgetItem(value)
                cell.setData(Qt.ItemDataRole.UserRole, c.id)
                self.questions.setItem(row, col, cell)
        self.questions.resizeColumnsToContents()
        self._question_selected()

    def chosen_question(self) -> consult.Consultation | None:
        key = _key(self.questions)
        return next((c for c in self.received if c.id == key), None)

    def _question_selected(self) -> None:
        c = self.chosen_question()
        self.answer_button.setEnabled(c is not None and not c.answered)
        self.question_detail.setText("" if c is None else (
            f"{agency_name(c.partner)} received a {_lower_first(c.kind_label)} ({c.sar_reference}) and asks about "
            f"{c.item_label} ({_lower_first(core.ITEM_TYPES.get(c.item_type, c.item_type))})."
            + (f"\nThey add: {c.question}" if c.question else "")
            + (f"\nYou answered {uk_time(c.answered_at)}: {c.answer_words()}" if c.answered else "")))

    def answer_question(self) -> None:
        c = self.chosen_question()
        if c is None:
            return

        def submit(d):
            d.result = consult.answer(self.session.vault, c.id, d.answer.currentData(), d.folder.value(),
                                      exemption=d.exemption.currentData(), reason=d.reason.value())

        dialog = FormDialog(self, f"Answer {agency_name(c.partner)}", f"{c.sar_reference}: {c.item_label}. Say "
                            "whether you object to its disclosure; if you object, the exemption that applies and "
                            "why.", "&Make the answer package", submit)
        dialog.answer = dialog.add("answer", "&Your answer", _combo((("", "Choose"), *consult.ANSWERS.items())))
        dialog.exemption = dialog.add("exemption", "&Exemption (if you object)", _combo(
            (("", "Choose"), *((e.id, e.label) for e in core.exemptions_for(c.sar_kind)))))
        dialog.reason = dialog.add("reason", "&Why", TextBox(3), "Needed when you object")
        dialog.folder = self._folder_field(dialog)

        def answered() -> None:
            self._refresh_questions()
            announce(self.question_status, f"Answer package {dialog.result.file_name} made in "
                     f"{dialog.result.path.parent}: attach it to a secure e-mail to {agency_name(c.partner)}.")

        self._run(dialog, "", answered)

    def decide(self, decision: str) -> None:
        request, item = self.current, self.chosen_item()
        if request is None or item is None:
            return

        def submit(d):
            core.decide_item(self.session.vault, request.reference, item.id, decision,
                             exemption=d.exemption.currentData() if d.exemption else "",
                             redact_third_parties=d.redact.isChecked() if d.redact else True, note=d.note.value())

        verb = "Disclose" if decision == "disclose" else "Withhold"
        dialog = FormDialog(self, f"{verb} {item.label}", "Disclosed items go into the response pack; withheld ones "
                            "are listed with their exemption in the schedule.", f"&{verb}", submit)
        dialog.exemption = dialog.redact = None
        if decision == "withhold":
            dialog.exemption = dialog.add("exemption", "&Exemption", _combo(
                (("", "Choose"), *((e.id, e.label) for e in core.exemptions_for(request.kind)))))
        else:
            dialog.redact = QtWidgets.QCheckBox("&Redact third parties (other people named with them)")
            dialog.redact.setChecked(True)
            dialog._fields.addWidget(dialog.redact)
        dialog.note = dialog.add("note", "&Note (optional)", TextBox(2))
        self._run(dialog, f"{item.label}: {decision}.")

    def print_document(self, kind: str) -> None:
        if self.current is not None:
            self.preview = show_report(self, self.session, kind, self.current.reference)
