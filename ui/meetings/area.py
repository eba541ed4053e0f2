"""Tactical meetings (2.7, Appendix 1, Appendix 2a): the chair's and convening SPOC's screen.

Left, the meetings of this desk (newest first); right, the chosen meeting in the order a chair
works through it: details and status, the Appendix 1 confidentiality statement with each
attendee's acceptance, the agenda (requests of this desk found by reference, and cases), decisions,
actions under Pursue, Prevent, Protect or Prepare, the chair's decisions on further disclosure
(Appendix 1 para 4), and the open actions of earlier meetings grouped by 4P.

Every rule is in app.meetings; this only shows and asks. Each small form validates with the core's
`validate_*` or save function and shows an error summary naming the field; nothing is half-saved
(each save is one core call, one transaction). User text is shown as plain text only.

Longer than 600 lines on purpose: it is one screen, whose detail panel's small forms are each built
beside the handler that saves them and refilled together from one Meeting; the shared form, tables
and the new-meeting dialog are in ui/meetings/forms.py.
"""

from __future__ import annotations


from app import meetings as core
from app.agreement import load_agreement
from app.errors import SpocError
from app.records import Invalid
from ui.qt import QtWidgets, Qt
from ui.kit.guard import ask_discard
from ui.kit.dialogs import error_text
from ui.kit.fields import DateField, LineBox, TextBox
from ui.kit.formatting import plural, uk_date, uk_time
from ui.kit.forms import combo, selected_key
from ui.kit.paged import PagedTableModel, setup_sorting
from ui.kit.tables import remember
from ui.meetings.forms import Form, NewMeetingDialog, fill_rows, make_table, partner_items
from ui.kit.widgets import announce, Area, ErrorSummary, FieldRow, frameless_scroll, heading, hint_label, plain_label
from ui.kit import theme

LIST_COLUMNS = ("Reference", "Date (UK time)", "Status", "Accepted")
ATTENDEE_COLUMNS = ("Name", "Role or title", "Agency", "Appendix 1 statement")
ACTION_COLUMNS = ("4P", "Action", "Owner", "Due", "Status")
EARLIER_COLUMNS = ("4P", "Meeting", "Action", "Owner", "Due", "Status")


class MeetingListModel(PagedTableModel):
    """The meetings, sorted and paged in the database (app.meetings.meetings_page); the status
    filter is a condition of its query."""

    columns = LIST_COLUMNS
    sorts = {0: "reference", 1: "when", 2: "status"}
    default_sort = (1, Qt.SortOrder.DescendingOrder)
    fallback = "The meetings could not be read."

    def read_page(self, vault, query, after, limit):
        page = core.meetings_page(vault, status=query.get("status"), after=after, limit=limit,
                                  sort=query.get("sort"), descending=query.get("descending"))
        return page.items, page.next_after

    def row_texts(self, m) -> tuple[str, ...]:
        return (m.reference, m.held_at_display, core.STATUS_LABELS[m.status], f"{m.accepted} of {m.attendees}")

    def sort_caption(self) -> str:
        query = self.sort_query()
        return core.MEETING_SORT.caption(query["sort"], query["descending"])


class MeetingsArea(Area):
    key = "meetings"
    title = "Meetings"
    permission = "meetings.read"

    def __init__(self, session, parent: QtWidgets.QWidget | None = None):
        super().__init__(session, parent)
        self.agreement = load_agreement()
        self.manage = session.can("meetings.manage")
        self.current: core.Meeting | None = None
        self.earlier: list = []
        self.dialog: NewMeetingDialog | None = None
        self._pending_draft: dict | None = None
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.setSpacing(6)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(heading("Tactical meetings"), 1)
        self.new_button = QtWidgets.QPushButton("&New meeting…")
        self.new_button.clicked.connect(self.open_new_dialog)
        self.new_button.setVisible(self.manage)
        top.addWidget(self.new_button)
        layout.addLayout(top)
        layout.addWidget(hint_label(
            "Partners convene to agree a response (clause 2.7) under the Appendix 1 confidentiality statement, and "
            "agree actions under Pursue, Prevent, Protect and Prepare (Appendix 2a)."))
        # The list on top (a desk holds few meetings), the chosen meeting below at full width.
        split = QtWidgets.QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        layout.addWidget(split, 1)

        left = QtWidgets.QWidget()
        lv = QtWidgets.QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 4)
        self.status_filter = combo((("", "All meetings"), *core.STATUS_LABELS.items()), "Show meetings")
        show_label = QtWidgets.QLabel("&Show")
        show_label.setBuddy(self.status_filter)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(show_label)
        row.addWidget(self.status_filter)
        row.addStretch(1)
        self.list_note = plain_label("", wrap=False)
        self.list_note.setAccessibleName("Meeting count")
        row.addWidget(self.list_note)
        lv.addLayout(row)
        self.status_filter.currentIndexChanged.connect(lambda _i: self.refresh())
        self.model = MeetingListModel(session.vault, self)
        self.model.failed.connect(self.list_note.setText)
        self.model.page_arrived.connect(self._list_arrived)
        self.model.sort_changed.connect(self._list_arrived)
        self.table = QtWidgets.QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Meetings")
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionsMovable(True)
        for col, width in enumerate((140, 260, 110)):
            self.table.setColumnWidth(col, width)
        remember(self.table, "meetings")
        setup_sorting(self.table, self.model)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._selected())
        self.table.setMinimumHeight(170)  # five meetings in view before the list scrolls
        lv.addWidget(self.table, 1)
        split.addWidget(left)

        self.detail_scroll = frameless_scroll()
        self.detail = QtWidgets.QWidget()
        self.detail_scroll.setWidget(self.detail)
        split.addWidget(self.detail_scroll)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([200, 800])
        self._build_detail()

    # ---- the meeting's page ----------------------------------------------------------------

    def _build_detail(self) -> None:
        d = QtWidgets.QVBoxLayout(self.detail)
        d.setContentsMargins(12, 0, 12, 12)
        d.setSpacing(8)
        self.empty = hint_label("Choose a meeting to see and record its attendance, agenda, decisions and actions."
                                + ("" if not self.manage else " Or start a new one."))
        d.addWidget(self.empty)
        self.page = QtWidgets.QWidget()
        p = QtWidgets.QVBoxLayout(self.page)
        p.setContentsMargins(0, 0, 0, 0)
        p.setSpacing(10)
        d.addWidget(self.page)
        d.addStretch(1)
        self.page.hide()

        self.meeting_title = heading("", 2)
        p.addWidget(self.meeting_title)
        self.facts = plain_label("", selectable=True)
        self.facts.setAccessibleName("Meeting details")
        p.addWidget(self.facts)
        status_row = QtWidgets.QHBoxLayout()
        self.held_button = QtWidgets.QPushButton("Mark as &held")
        self.held_button.clicked.connect(lambda: self.change_status("held"))
        self.close_button = QtWidgets.QPushButton("C&lose meeting")
        self.close_button.clicked.connect(lambda: self.change_status("closed"))
        self.reopen_button = QtWidgets.QPushButton("&Reopen")
        self.reopen_button.clicked.connect(lambda: self.change_status("held"))
        for button in (self.held_button, self.close_button, self.reopen_button):
            status_row.addWidget(button)
        # The meeting pack (issue 5 part 4) is built in app.reports; its button shows once it exists.
        self.pack_button = QtWidgets.QPushButton("Meeting &pack…")
        self.pack_button.setToolTip("Preview and print the OFFICIAL-SENSITIVE meeting pack")
        self.pack_button.clicked.connect(self.open_pack)
        status_row.addWidget(self.pack_button)
        status_row.addStretch(1)
        p.addLayout(status_row)
        self.status_summary = ErrorSummary()
        p.addWidget(self.status_summary)

        # Attendees and the Appendix 1 statement
        p.addWidget(heading("Attendees and the confidentiality statement", 2))
        p.addWidget(hint_label("Read the statement to the meeting. Record each attendee's acceptance before the "
                               "meeting discusses any case (Appendix 1)."))
        statement = self.agreement.confidentiality_statement
        self.statement = TextBox(12)
        self.statement.setReadOnly(True)
        self.statement.set_value(f"{statement.title} ({statement.clause})\n\n{core.confidentiality_statement_text()}")
        self.statement.setAccessibleName("Appendix 1 confidentiality statement")
        p.addWidget(self.statement)
        self.attendees = make_table(ATTENDEE_COLUMNS, "Attendees")
        ah = self.attendees.horizontalHeader()
        ah.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Stretch)
        p.addWidget(self.attendees)
        att_buttons = QtWidgets.QHBoxLayout()
        self.accept_button = QtWidgets.QPushButton("Record &acceptance")
        self.accept_button.setToolTip("The selected attendee accepts the Appendix 1 confidentiality statement now")
        self.accept_button.clicked.connect(self.record_acceptance)
        self.remove_attendee_button = QtWidgets.QPushButton("Remove attendee")
        self.remove_attendee_button.clicked.connect(self.remove_attendee)
        att_buttons.addWidget(self.accept_button)
        att_buttons.addWidget(self.remove_attendee_button)
        att_buttons.addStretch(1)
        p.addLayout(att_buttons)
        self.attendee_summary = ErrorSummary()
        p.addWidget(self.attendee_summary)
        self.attendee_form = Form("Add an attendee", button="Add a&ttendee")
        self.attendee_form.add("name", "Name", LineBox(), width=420)
        self.attendee_form.add("role_title", "Role or title (optional)", LineBox(), width=420)
        self.attendee_form.add("agency", "Agency", combo(partner_items("Choose an agency"), "Agency"))
        self.attendee_form.button.clicked.connect(self.add_attendee)
        p.addWidget(self.attendee_form)

        # Agenda
        p.addWidget(heading("Agenda", 2))
        self.agenda = QtWidgets.QListWidget()
        self.agenda.setAccessibleName("Agenda")
        self.agenda.setWordWrap(True)
        self.agenda.setMinimumHeight(90)
        p.addWidget(self.agenda)
        ag_buttons = QtWidgets.QHBoxLayout()
        self.up_button = QtWidgets.QPushButton("Move &up")
        self.up_button.clicked.connect(lambda: self.move_item(-1))
        self.down_button = QtWidgets.QPushButton("Move &down")
        self.down_button.clicked.connect(lambda: self.move_item(1))
        self.remove_item_button = QtWidgets.QPushButton("Take off the agenda")
        self.remove_item_button.clicked.connect(self.remove_item)
        for b in (self.up_button, self.down_button, self.remove_item_button):
            ag_buttons.addWidget(b)
        ag_buttons.addStretch(1)
        p.addLayout(ag_buttons)
        self.agenda_summary = ErrorSummary()
        p.addWidget(self.agenda_summary)

        self.request_form = Form("Add a request", "Requests of this desk, found by their reference "
                                                  "(all or part of it, for example 2026-0012). The agenda links "
                                                  "the request; it does not copy it.", button="Add &request")
        find_line = QtWidgets.QWidget()
        fl = QtWidgets.QHBoxLayout(find_line)
        fl.setContentsMargins(0, 0, 0, 0)
        self.request_search = LineBox()
        self.request_search.setPlaceholderText("MSR-2026-")
        self.request_search.setAccessibleName("Find a request by reference")
        self.request_search.setMaximumWidth(240)
        self.request_search.returnPressed.connect(self.find_requests)
        self.find_button = QtWidgets.QPushButton("&Find")
        self.find_button.clicked.connect(self.find_requests)
        fl.addWidget(self.request_search)
        fl.addWidget(self.find_button)
        fl.addStretch(1)
        search_row = FieldRow("Find a request by reference", find_line)
        search_row.label.setBuddy(self.request_search)
        self.request_form.layout_.insertWidget(self.request_form.layout_.indexOf(self.request_form._button_row),
                                               search_row)
        self.request_pick = self.request_form.add("request", "Request", combo((), "Request"),
                                                  "Choose from what was found")
        self.request_form.add("notes", "Notes for the agenda (optional)", LineBox())
        self.request_form.button.clicked.connect(self.add_request)
        p.addWidget(self.request_form)

        self.case_form = Form("Add a case", "A matter without a request on this desk: a short title, and notes "
                                            "if needed.", button="Add &case")
        self.case_form.add("title", "Case title", LineBox())
        self.case_form.add("notes", "Notes (optional)", TextBox(3))
        self.case_form.button.clicked.connect(self.add_case)
        p.addWidget(self.case_form)

        # Decisions
        p.addWidget(heading("Decisions", 2))
        self.decisions = plain_label("", selectable=True)
        self.decisions.setAccessibleName("Decisions")
        p.addWidget(self.decisions)
        self.decision_form = Form("Record a decision", button="Record d&ecision")
        self.decision_form.add("agenda_item_id", "Agenda item", combo((), "Agenda item"))
        self.decision_form.add("text", "Decision", TextBox(3))
        self.decision_form.button.clicked.connect(self.add_decision)
        p.addWidget(self.decision_form)

        # Actions
        p.addWidget(heading("Actions (Pursue, Prevent, Protect, Prepare)", 2))
        self.actions = make_table(ACTION_COLUMNS, "Actions of this meeting")
        self._action_header(self.actions, 1)
        p.addWidget(self.actions)
        self.action_form = Form("Agree an action", "Each action sits under one of the four Ps of the agreement "
                                                  "(4.3(8)); hover over a choice for its meaning.",
                                button="Add ac&tion")
        category = combo((("", "Choose Pursue, Prevent, Protect or Prepare"),
                           *((f.id, f.name) for f in self.agreement.four_p)), "Pursue, Prevent, Protect or Prepare")
        for index, f in enumerate(self.agreement.four_p, start=1):
            category.setItemData(index, f"{f.clause}: {f.meaning}", Qt.ItemDataRole.ToolTipRole)
        self.action_form.add("category", "Pursue, Prevent, Protect or Prepare", category, width=420)
        self.action_form.add("text", "What is to be done", TextBox(3))
        self.action_form.add("owner_agency", "Owner agency", combo(partner_items("Choose an agency"), "Owner agency"))
        due = self.action_form.add("due_date", "Due date", DateField(), "Day/month/year, for example 27/3/2026")
        due.edit.setPlaceholderText("dd/mm/yyyy")
        self.action_form.add("agenda_item_id", "Agenda item", combo((), "Agenda item"))
        self.action_form.button.clicked.connect(self.add_action)
        p.addWidget(self.action_form)

        # Further disclosure
        p.addWidget(heading("Further disclosure (Appendix 1 para 4)", 2))
        p.addWidget(hint_label("Disclosure outside the meeting, beyond what the meeting agreed, needs the chair's "
                               "permission, decided on a justifiable need to know for reason of vulnerable family and "
                               "public protection. A grant is written to the disclosure register."))
        self.permissions = plain_label("", selectable=True)
        self.permissions.setAccessibleName("Decisions on further disclosure")
        p.addWidget(self.permissions)
        self.permission_form = Form("Record the chair's decision", button="Record the chair's decisio&n")
        self.permission_form.add("requested_by", "Who asked", LineBox(), width=420)
        self.permission_form.add("requested_by_agency", "Their agency",
                                 combo(partner_items("Choose an agency"), "Their agency"))
        self.permission_form.add("to_agency", "Disclose to", combo(partner_items("Choose an agency"), "Disclose to"),
                                 "The agency the information would go to")
        self.permission_form.add("what", "What would be disclosed", TextBox(2))
        self.permission_form.add("reason", "Justifiable need to know", TextBox(2),
                                 "The reason for the decision, whether granted or refused")
        self.permission_form.add("granted", "Chair's decision", combo(
            (("", "Choose"), ("granted", "Granted"), ("refused", "Refused")), "Chair's decision"), width=240)
        self.permission_form.add("agenda_item_id", "Agenda item", combo((), "Agenda item"))
        from app.consent import purpose_words
        from ui.consent.dialogs import purpose_ids

        self.permission_form.add("purpose", "Purpose (4.3)", combo(
            (("", "The purpose the request gives first"),) + tuple((p, purpose_words(p)) for p in purpose_ids()),
            "Purpose (4.3)"), "Section 6.3: other partners' answers to the agenda item's request go on only with "
            "their written consent for this purpose, as well as the chair's permission.")
        self.permission_form.button.clicked.connect(self.record_permission)
        p.addWidget(self.permission_form)

        # Open actions of earlier meetings
        p.addWidget(heading("Open actions from earlier meetings", 2))
        self.earlier_note = hint_label("")
        p.addWidget(self.earlier_note)
        self.earlier_table = make_table(EARLIER_COLUMNS, "Open actions from earlier meetings")
        self._action_header(self.earlier_table, 2)
        p.addWidget(self.earlier_table)

        self.update_form = Form("Update an action's status", "Choose an action in either table above. Every change "
                                                             "is kept, with who made it and when.",
                                button="&Update status")
        self.update_target = plain_label("No action chosen.")
        self.update_target.setAccessibleName("Action being updated")
        self.update_form.layout_.insertWidget(2, self.update_target)
        self.update_form.add("status", "Status", combo(core.ACTION_STATUS_LABELS.items(), "Status"), width=240)
        self.update_form.add("note", "Note", TextBox(2), "What was done, why it is cancelled, or progress so far")
        self.update_form.button.clicked.connect(self.update_action)
        self.history = plain_label("", selectable=True)
        self.history.setAccessibleName("History of the chosen action")
        theme.style(self.history, "QLabel { border: 0px none; border-left: 5px solid {border}; padding-left: 8px; }")
        self.update_form.layout_.insertWidget(3, self.history)
        p.addWidget(self.update_form)
        self.actions.itemSelectionChanged.connect(lambda: self._action_chosen(self.actions))
        self.earlier_table.itemSelectionChanged.connect(lambda: self._action_chosen(self.earlier_table))
        self.chosen_action = None

        for widget in (self.held_button, self.close_button, self.reopen_button, self.accept_button,
                       self.remove_attendee_button, self.attendee_form, self.up_button, self.down_button,
                       self.remove_item_button, self.request_form, self.case_form, self.decision_form,
                       self.action_form, self.permission_form, self.update_form):
            widget.setVisible(self.manage)

    @staticmethod
    def _action_header(table: QtWidgets.QTableWidget, text_col: int) -> None:
        header = table.horizontalHeader()
        for col in range(table.columnCount()):
            if col == text_col:
                mode = QtWidgets.QHeaderView.ResizeMode.Stretch
            elif col == text_col + 1:  # the owner agency: long names wrap instead of squeezing the action
                mode = QtWidgets.QHeaderView.ResizeMode.Interactive
            else:
                mode = QtWidgets.QHeaderView.ResizeMode.ResizeToContents
            header.setSectionResizeMode(col, mode)
        table.setColumnWidth(text_col + 1, 190)

    # ---- list ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """The list of meetings is read off the GUI thread; the meeting shown is read again at once
        (not audited as a new view), and stays selected when the list comes back."""
        if self.current is not None:
            self.load(self.current.id, audit=False)
        self.model.reload(status=self.status_filter.currentData() or None)

    @property
    def summaries(self) -> list:
        return self.model.items()

    def _list_arrived(self) -> None:
        self.list_note.setText(f"{self.model.sort_caption()}. {plural(self.model.rowCount(), 'meeting')}"
                               + (", scroll for more." if self.model.canFetchMore() else "."))
        if self.current is not None:
            self._select_row(self.current.id)

    def select(self, meeting_id: str, *, audit: bool = True) -> None:
        self._select_row(meeting_id)
        self.load(meeting_id, audit=audit)

    def _select_row(self, meeting_id: str) -> None:
        for row, m in enumerate(self.model.items()):
            if m.id == meeting_id:
                self.table.blockSignals(True)
                self.table.selectionModel().blockSignals(True)
                self.table.selectRow(row)
                self.table.selectionModel().blockSignals(False)
                self.table.blockSignals(False)
                break

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        key = self.model.item(rows[0].row()).id if rows else None
        if key and (self.current is None or self.current.id != key):
            if self.current is not None and self.has_unsaved_changes():
                # Opening another meeting would clear what was typed: ask first (ui/kit/guard.py).
                self._select_row(self.current.id)
                ask_discard(self, True, lambda: (self.discard_changes(), self.select(key)))
                return
            self.load(key)

    def load(self, meeting_id: str, *, audit: bool = True) -> None:
        try:
            meeting = core.get_meeting(self.session.vault, meeting_id, audit=audit)
            earlier = core.open_actions_before(self.session.vault, meeting)
        except SpocError as exc:
            self.list_note.setText(error_text(exc, "The meeting could not be read."))
            return
        changed = self.current is None or self.current.id != meeting.id
        self.current, self.earlier = meeting, earlier
        if changed:
            for form in (self.attendee_form, self.request_form, self.case_form, self.decision_form,
                         self.action_form, self.permission_form, self.update_form):
                form.clear()
            self.request_pick.clear()
            self.chosen_action = None
        self._show()
        if changed and self._pending_draft and self._pending_draft.get("meeting") == meeting.id:
            self._apply_draft(self._pending_draft)
            self._pending_draft = None

    def _show(self) -> None:
        m = self.current
        self.empty.hide()
        self.page.show()
        self.meeting_title.setText(f"{m.reference} — {m.status_label}")
        self.facts.setText(f"Date and time: {m.held_at_display} (UK time)\nPlace: {m.place}\n"
                           f"Chair: {m.chair}, {core.partner_name(m.chair_agency)}\n"
                           f"Convened by {m.created_by}; last changed {uk_time(m.updated_at)} by {m.updated_by}.")
        closed = m.status == "closed"
        self.held_button.setVisible(self.manage and m.status == "planned")
        self.close_button.setVisible(self.manage and m.status == "held")
        self.reopen_button.setVisible(self.manage and closed)
        for form in (self.attendee_form, self.request_form, self.case_form, self.decision_form, self.action_form,
                     self.permission_form):
            form.setVisible(self.manage and not closed)
        for b in (self.accept_button, self.remove_attendee_button, self.up_button, self.down_button,
                  self.remove_item_button):
            b.setVisible(self.manage and not closed)
        self.status_summary.show_problems([])
        self.attendee_summary.show_problems([])
        self.agenda_summary.show_problems([])

        fill_rows(self.attendees, [(a.name, a.role_title, a.agency_name,
                                f"Accepted {uk_time(a.accepted_at)} (recorded by {a.accepted_recorded_by})"
                                if a.accepted else "Not yet accepted") for a in m.attendees],
              [a.id for a in m.attendees])
        agencies = len(m.agencies)
        accepted = sum(a.accepted for a in m.attendees)
        self.attendees.setToolTip(f"{plural(len(m.attendees), 'attendee')} from {plural(agencies, 'agency', 'agencies')}; {accepted} accepted")

        self.agenda.clear()
        for item in m.agenda:
            text = f"{item.position}. {item.label}" + (f"\n    {item.notes}" if item.notes else "")
            entry = QtWidgets.QListWidgetItem(text)
            entry.setData(Qt.ItemDataRole.UserRole, item.id)
            self.agenda.addItem(entry)
        if not m.agenda:
            self.agenda.addItem(QtWidgets.QListWidgetItem("Nothing on the agenda yet."))
        for form in (self.decision_form, self.action_form, self.permission_form):
            box = form.inputs["agenda_item_id"]
            current = box.currentData()
            box.clear()
            box.addItem("The meeting as a whole", "")
            for item in m.agenda:
                box.addItem(f"{item.position}. {item.label}", item.id)
            box.setCurrentIndex(max(0, box.findData(current or "")))

        def under(item_id):
            item = m.agenda_item(item_id)
            return f" (agenda {item.position}. {item.label})" if item else ""

        self.decisions.setText("\n\n".join(
            f"{n}. {d.text}{under(d.agenda_item_id)}\n    Recorded {uk_time(d.recorded_at)} by {d.recorded_by}"
            for n, d in enumerate(m.decisions, start=1)) or "No decisions recorded yet.")
        fill_rows(self.actions, [self._action_row(a) for a in m.actions], [a.id for a in m.actions])
        self.permissions.setText("\n\n".join(
            f"{'GRANTED' if p.granted else 'REFUSED'} by {p.decided_by} on {uk_time(p.decided_at)}: "
            f"{p.requested_by} ({core.partner_name(p.requested_by_agency)}) asked to disclose to "
            f"{core.partner_name(p.to_agency)}{under(p.agenda_item_id)}.\n    What: {p.what}\n    "
            f"Need to know: {p.reason}" + ("\n    In the disclosure register." if p.disclosure_id else "")
            for p in m.permissions) or "No requests for further disclosure.")
        rows, ids = [], []
        for _cat, name, actions in core.by_four_p(self.earlier):
            for a in actions:
                rows.append((name, a.meeting_reference, a.text, a.owner_name, uk_date(a.due_date)
                             + (" (overdue)" if a.is_overdue() else ""), core.ACTION_STATUS_LABELS[a.status]))
                ids.append(a.id)
        fill_rows(self.earlier_table, rows, ids)
        groups = [f"{name} {len(actions)}" for _c, name, actions in core.by_four_p(self.earlier)]
        self.earlier_note.setText(f"{plural(len(self.earlier), 'open action')} from "
                                  f"meetings before this one: {', '.join(groups)}." if self.earlier else
                                  "No open actions from earlier meetings.")
        self._show_chosen()

    @staticmethod
    def _action_row(a) -> tuple:
        return (a.category_name, a.text, a.owner_name,
                uk_date(a.due_date) + (" (overdue)" if a.is_overdue() else ""),
                core.ACTION_STATUS_LABELS[a.status])

    # ---- status and the pack -----------------------------------------------------------------

    def change_status(self, status: str) -> None:
        try:
            self.current = core.set_status(self.session.vault, self.current.id, status)
        except Invalid as exc:
            self.status_summary.show_problems([(None, p.message) for p in exc.problems])
            return
        except SpocError as exc:
            self.status_summary.show_problems([(None, error_text(exc, "The status was not changed."))])
            return
        self._saved()

    def open_pack(self):
        if self.current is None:
            return None
        from ui.kit.preview import show_report

        return show_report(self, self.session, "meeting-pack", self.current.reference)

    # ---- saving ----------------------------------------------------------------------------

    def _saved(self, clear: Form | None = None, keep=(), said: str = "") -> None:
        for form in self.findChildren(Form):
            form.done.hide()            # one confirmation at a time: the last save's
        if clear is not None:
            clear.clear(keep)
        self.refresh()  # the list's counts, and this meeting again (not audited as a new view)
        self.changed.emit()
        if clear is not None and said:
            clear.confirm(said)

    def _run(self, form: Form | ErrorSummary, call, fallback: str):
        """One core call; problems go to the form (or summary); returns the result or None."""
        try:
            return call()
        except Invalid as exc:
            problems = [(p.field, p.message) for p in exc.problems]
        except SpocError as exc:
            problems = [("", error_text(exc, fallback))]
        if isinstance(form, Form):
            form.show_problems(problems)
        else:
            form.show_problems([(None, text if text[:1].isupper() else f"{core.LABELS.get(k, k)} {text}")
                                for k, text in problems])
        return None

    def add_attendee(self):
        data = self.attendee_form.values()
        problems, _ = core.validate_attendee(data)
        if problems:
            self.attendee_form.show_problems(problems)
            return None
        found = self._run(self.attendee_form, lambda: core.add_attendee(self.session.vault, self.current.id, data),
                          "The attendee was not added.")
        if found is not None:
            self._saved(self.attendee_form, keep=("agency",), said=f"{data['name'].strip()} is added to the attendees.")
        return found

    def _chosen_attendee(self):
        key = selected_key(self.attendees)
        if key is None:
            self.attendee_summary.show_problems([(self.attendees, "Choose an attendee in the table first")])
        return key

    def record_acceptance(self):
        key = self._chosen_attendee()
        if key is None:
            return None
        found = self._run(self.attendee_summary,
                          lambda: core.record_acceptance(self.session.vault, self.current.id, key),
                          "The acceptance was not recorded.")
        if found is not None:
            self._saved()
            self._reselect(self.attendees, key)
        return found

    def remove_attendee(self):
        key = self._chosen_attendee()
        if key is None:
            return None
        found = self._run(self.attendee_summary,
                          lambda: core.remove_attendee(self.session.vault, self.current.id, key),
                          "The attendee was not removed.")
        if found is not None:
            self._saved()
        return found

    @staticmethod
    def _reselect(table: QtWidgets.QTableWidget, key) -> None:
        for row in range(table.rowCount()):
            if table.item(row, 0).data(Qt.ItemDataRole.UserRole) == key:
                table.selectRow(row)
                return

    def find_requests(self) -> int:
        self.request_pick.clear()
        try:
            found = core.find_requests(self.session.vault, self.request_search.text())
        except SpocError as exc:
            self.request_form.show_problems([("request", error_text(exc, "Requests could not be searched."))])
            return 0
        on_agenda = {i.request_id for i in self.current.agenda}
        for r in found:
            if r["id"] in on_agenda:
                continue
            self.request_pick.addItem(f"{r['reference']} — {r['status']}, {uk_date(r['request_date'])}, "
                                      f"{plural(r['subjects'], 'subject')}", r["id"])
        count = self.request_pick.count()
        self.request_form.show_problems([] if count else
                                        [("request", f"No request found for {self.request_search.text().strip()!r} "
                                                     "that is not already on the agenda")])
        if count:
            self.request_pick.setFocus()
        return count

    def add_request(self):
        rid = self.request_pick.currentData()
        if not rid:
            self.request_form.show_problems([("request", "Find a request by its reference and choose it")])
            return None
        notes = self.request_form.value("notes")
        found = self._run(self.request_form,
                          lambda: core.add_agenda_request(self.session.vault, self.current.id, rid, notes),
                          "The request was not added.")
        if found is not None:
            self.request_pick.clear()
            self.request_search.clear()
            self._saved(self.request_form, said="The request is on the agenda.")
        return found

    def add_case(self):
        data = self.case_form.values()
        found = self._run(self.case_form, lambda: core.add_agenda_case(self.session.vault, self.current.id,
                                                                       data["title"], data["notes"]),
                          "The case was not added.")
        if found is not None:
            self._saved(self.case_form, said="The case is on the agenda.")
        return found

    def _chosen_item(self):
        entry = self.agenda.currentItem()
        key = entry.data(Qt.ItemDataRole.UserRole) if entry is not None else None
        if not key:
            self.agenda_summary.show_problems([(self.agenda, "Choose an agenda item first")])
        return key

    def move_item(self, offset: int):
        key = self._chosen_item()
        if key is None:
            return None
        found = self._run(self.agenda_summary,
                          lambda: core.move_agenda_item(self.session.vault, self.current.id, key, offset),
                          "The agenda was not changed.")
        if found is not None:
            self._saved()
            for row in range(self.agenda.count()):
                if self.agenda.item(row).data(Qt.ItemDataRole.UserRole) == key:
                    self.agenda.setCurrentRow(row)
        return found

    def remove_item(self):
        key = self._chosen_item()
        if key is None:
            return None
        found = self._run(self.agenda_summary,
                          lambda: core.remove_agenda_item(self.session.vault, self.current.id, key),
                          "The agenda was not changed.")
        if found is not None:
            self._saved()
        return found

    def add_decision(self):
        data = self.decision_form.values()
        found = self._run(self.decision_form,
                          lambda: core.add_decision(self.session.vault, self.current.id, data["text"],
                                                    data["agenda_item_id"] or None),
                          "The decision was not recorded.")
        if found is not None:
            self._saved(self.decision_form, keep=("agenda_item_id",), said="The decision is recorded.")
        return found

    def add_action(self):
        data = self.action_form.values()
        problems, _ = core.validate_action(data)
        if problems:
            self.action_form.show_problems(problems)
            return None
        found = self._run(self.action_form, lambda: core.add_action(self.session.vault, self.current.id, data),
                          "The action was not saved.")
        if found is not None:
            self._saved(self.action_form, keep=("agenda_item_id",), said="The action is recorded.")
        return found

    def record_permission(self):
        data = self.permission_form.values()
        problems, _ = core.validate_permission(data)
        if problems:
            self.permission_form.show_problems(problems)
            return None
        found = self._run(self.permission_form,
                          lambda: core.record_permission(self.session.vault, self.current.id, data),
                          "The decision was not recorded.")
        if found is not None:
            self._saved(self.permission_form, said="The chair's decision on further disclosure is recorded.")
        return found

    def _action_chosen(self, table) -> None:
        key = selected_key(table)
        if key is None:
            return
        other = self.earlier_table if table is self.actions else self.actions
        other.blockSignals(True)
        other.clearSelection()
        other.blockSignals(False)
        self.chosen_action = key
        self.update_form.show_problems([])
        self._show_chosen()
        action = next((a for a in (*self.current.actions, *self.earlier) if a.id == key), None)
        if action is not None:
            self.update_form.set_value("status", action.status)

    def _show_chosen(self) -> None:
        action = next((a for a in (*self.current.actions, *self.earlier) if a.id == self.chosen_action), None) \
            if self.current else None
        if action is None:
            self.update_target.setText("No action chosen: choose one in either table above.")
            self.history.setText("")
            self.history.hide()
            return
        self.update_target.setText(f"{action.category_name}, from {action.meeting_reference}, owner "
                                   f"{action.owner_name}, due {uk_date(action.due_date)}:\n{action.text}")
        self.history.setText("\n".join(
            f"{uk_time(u.at)}  {core.ACTION_STATUS_LABELS[u.status]} — {u.recorded_by}"
            + (f": {u.note}" if u.note else "") for u in action.updates))
        self.history.show()

    def update_action(self):
        if not self.chosen_action:
            self.update_form.show_problems([("status", "Choose an action in one of the tables above first")])
            return None
        data = self.update_form.values()
        key = self.chosen_action
        found = self._run(self.update_form,
                          lambda: core.update_action(self.session.vault, key, data["status"], data["note"]),
                          "The action was not updated.")
        if found is not None:
            self.update_form.clear(keep=("status",))
            self._saved()
            self.chosen_action = key
            self._show_chosen()
        return found

    # ---- new meeting -------------------------------------------------------------------------

    def open_new_dialog(self) -> NewMeetingDialog:
        self.dialog = NewMeetingDialog(self.session, self)
        self.dialog.saved.connect(self._created)
        self.dialog.open()
        return self.dialog

    def _created(self, meeting) -> None:
        self.status_filter.setCurrentIndex(0)
        self.refresh()
        self.select(meeting.id, audit=False)
        self.changed.emit()
        self.window().activateWindow()   # the dialog has gone: focus on the meeting it made
        announce(self.meeting_title, self.meeting_title.text())

    # ---- drafts over a lock ------------------------------------------------------------------

    FORMS = ("attendee_form", "request_form", "case_form", "decision_form", "action_form", "permission_form",
             "update_form")

    def draft_state(self) -> dict | None:
        if self.current is None or not self.manage:
            return None
        typed = {name: getattr(self, name).typed() for name in self.FORMS}
        typed = {k: v for k, v in typed.items() if v}
        if not typed:
            return None
        return {"meeting": self.current.id, "forms": typed}

    def discard_changes(self) -> None:
        for name in self.FORMS:
            getattr(self, name).clear()

    def restore_draft_state(self, payload: dict) -> None:
        if not isinstance(payload, dict) or not isinstance(payload.get("forms"), dict):
            return
        self._pending_draft = payload
        meeting_id = payload.get("meeting")
        if isinstance(meeting_id, str):
            self.refresh()
            self.select(meeting_id, audit=False)

    def _apply_draft(self, payload: dict) -> None:
        for name, values in payload.get("forms", {}).items():
            form = getattr(self, name, None) if name in self.FORMS else None
            if form is None or not isinstance(values, dict):
                continue
            for key, value in values.items():
                if key in form.inputs and isinstance(value, str):
                    form.set_value(key, value)
