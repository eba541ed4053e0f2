"""Cases (Appendix 2a): the SPOC's list of cases and each case's page.

Top, the cases list, filtered by stage, lead agency, type of exploitation and open or closed, and
sorted in the database by the column header clicked. Below, the chosen case: its details and
stage history, moving it to another stage (why, always), linking requests and putting it on a
meeting's agenda, referrals and their outcomes, what is outstanding, and its relationship map. A
node of the map asks the shell to open that subject's page (`open_subject`).

Every rule is in app.cases and app.links; this only shows and asks.
"""

from __future__ import annotations

from app import cases as core, links as lk
from app.agreement import load_agreement
from app.errors import SpocError
from app.records import Invalid
from ui.kit.guard import GuardedDialog, ask_discard, open_question
from ui.kit.dialogs import error_text
from ui.kit.fields import CheckList, DateField, LineBox, TextBox
from ui.kit.formatting import uk_time
from ui.kit.forms import Form, combo, fill, selected_key, table
from ui.kit.preview import show_report
from ui.kit.relmap import RelationshipMap
from ui.kit.widgets import SUCCESS_STYLE, Area, MarkingBanner, announce, frameless_scroll, heading, hint_label, plain_label
from ui.qt import QtWidgets, Qt, Signal
from ui.kit import theme

LIST_COLUMNS = ("Reference", "Title", "Stage", "Lead agency", "Requests", "Outstanding", "Updated")
SORT_BY_COLUMN = {0: "reference", 1: "title", 2: "stage", 3: "lead", 6: "updated"}
TITLE_HINT = ("Shown on lists and meeting agendas: no names or other personal data. Leave it blank for a title made "
              "from the types of exploitation.")


def partner_items(first: str | None = None):
    return ([("", first)] if first else []) + [(p.code, p.name) for p in load_agreement().partners]


def exploitation_items():
    return [(e.id, e.name) for e in load_agreement().exploitation_types]


def case_form(form: Form, vault) -> None:
    form.add("title", "Case title", LineBox(), TITLE_HINT)
    form.add("source", "Where the information came from", combo([("", "Choose…"), *core.SOURCES.items()],
                                                                 "Where the information came from"),
             "Clause 2.2: an agency's duties, a potential victim asking for support, or the public or a community "
             "or voluntary setting")
    form.add("source_detail", "Details of the source", LineBox(), "For example: Crimestoppers report")
    form.add("received_on", "Date the information came in", DateField(), "Day/month/year, for example 27/3/2026")
    form.add("exploitation_types", "Types of exploitation", CheckList(exploitation_items()))
    form.add("lead_agency", "Lead agency", combo(partner_items("Choose…"), "Lead agency"),
             "Clause 2.4: usually Operation Wilberforce; any agency with a statutory power may lead")
    form.set_value("lead_agency", vault.agency)
    form.add("internal_notes", "Internal notes", TextBox(4), "Stay on this desk: never printed or sent to a partner")


class NewCaseDialog(GuardedDialog, QtWidgets.QDialog):
    saved = Signal(object)

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.case = None
        self.setWindowTitle("New case – SPOC Desk")
        self.resize(640, 720)
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
        layout.addWidget(heading("New case"))
        layout.addWidget(plain_label("The case starts at ‘Information in’ (Appendix 2a). You link requests, "
                                     "meetings and referrals once it is saved."))
        self.form = Form("Details", core.LABELS, button="&Save case")
        self.form.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        case_form(self.form, session.vault)
        layout.addWidget(self.form)
        layout.addStretch(1)
        self.form.button.setDefault(True)
        self.form.button.clicked.connect(self.submit)
        cancel = QtWidgets.QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        self.form.buttons.insertWidget(1, cancel)
        outer.addWidget(MarkingBanner())

    def submit(self):
        data = self.form.values()
        try:
            self.case = core.create_case(self.session.vault, data)
        except Invalid as exc:
            self.form.show_problems(exc.problems)
            return None
        except SpocError as exc:
            self.form.show_problems([("", error_text(exc, "The case was not saved."))])
            return None
        self.saved.emit(self.case)
        self.accept()
        return self.case


class EditCaseDialog(GuardedDialog, QtWidgets.QDialog):
    """Edit a case's details and its stage in one save: a move to another stage needs why, and
    nothing is saved unless all of it is (app.cases.edit_case)."""

    saved = Signal(object)

    def __init__(self, session, case: core.Case, parent=None):
        super().__init__(parent)
        self.session, self.case = session, case
        self.setWindowTitle(f"Edit {case.reference} – SPOC Desk")
        self.setModal(True)
        self.resize(640, 760)
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
        layout.addWidget(heading(f"Edit {case.reference}"))
        layout.addWidget(plain_label("Change the details, or move the case to another stage of Appendix 2a with why "
                                     "(the stage history keeps every move)."))
        self.form = Form("Details", core.LABELS, button="&Save changes")
        self.form.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        case_form(self.form, session.vault)
        self.form.add("stage", "Stage", combo([(k, v[0]) for k, v in core.stages().items()], "Stage"),
                      "Forward, or back to revisit a stage")
        self.form.add("reason", "Why it moves", TextBox(2), "Needed when the stage changes")
        for key in ("title", "source", "source_detail", "received_on", "exploitation_types", "lead_agency",
                    "internal_notes", "stage"):
            self.form.set_value(key, getattr(case, key))
        layout.addWidget(self.form)
        layout.addStretch(1)
        self.form.button.setDefault(True)
        self.form.button.clicked.connect(self.submit)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.reject)
        self.form.buttons.insertWidget(1, self.cancel_button)
        outer.addWidget(MarkingBanner())

    def submit(self):
        data = self.form.values()
        stage, reason = data.pop("stage"), data.pop("reason")
        try:
            self.case = core.edit_case(self.session.vault, self.case.id, data, stage=stage, reason=reason)
        except Invalid as exc:
            self.form.show_problems(exc.problems)
            return None
        except SpocError as exc:
            self.form.show_problems([("", error_text(exc, "The case was not saved."))])
            return None
        self.saved.emit(self.case)
        self.accept()
        return self.case


class CasesArea(Area):
    key = "cases"
    title = "Cases"
    permission = "cases.read"
    open_subject = Signal(str)  # the shell opens the subject's page

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        self.manage = session.can("cases.manage")
        self.current: core.Case | None = None
        self.sort, self.descending = "newest", True
        self.dialog = None
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(heading("Cases"), 1)
        self.new_button = QtWidgets.QPushButton("&New case…")
        self.new_button.setVisible(self.manage)
        self.new_button.clicked.connect(self.open_new_dialog)
        top.addWidget(self.new_button)
        layout.addLayout(top)
        layout.addWidget(hint_label("Each case follows the tactical response process of Appendix 2a, from the "
                                    "information coming in to the review and debrief."))
        filters = QtWidgets.QHBoxLayout()
        self.stage_filter = combo([("", "Any stage"), *((k, v[0]) for k, v in core.stages().items())], "Stage")
        self.lead_filter = combo(partner_items("Any lead agency"), "Lead agency")
        self.type_filter = combo([("", "Any type of exploitation"), *exploitation_items()], "Type of exploitation")
        self.status_filter = combo([("open", "Open cases"), ("closed", "Closed cases"), ("", "All cases")], "Show")
        for label, box in (("S&tage", self.stage_filter), ("L&ead", self.lead_filter),
                           ("T&ype", self.type_filter), ("Sho&w", self.status_filter)):
            # Long choices ("Tactical advice and enforcement pre-meet") must not widen the window.
            box.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(12)
            text = QtWidgets.QLabel(label)
            text.setBuddy(box)
            filters.addWidget(text)
            filters.addWidget(box)
            box.currentIndexChanged.connect(lambda _i: self.refresh())
        filters.addStretch(1)
        self.count = plain_label("", wrap=False)
        self.count.setAccessibleName("Case count")
        filters.addWidget(self.count)
        layout.addLayout(filters)
        self.notice = plain_label("")   # what a save did; focus goes here after it (announce)
        self.notice.setAccessibleName("Confirmation")
        theme.style(self.notice, SUCCESS_STYLE)
        self.notice.hide()
        layout.addWidget(self.notice)
        split = QtWidgets.QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        layout.addWidget(split, 1)
        self.table = table(LIST_COLUMNS, "Cases")
        self.table.horizontalHeader().setSectionsClickable(True)
        self.table.horizontalHeader().sectionClicked.connect(self.sort_by)
        self.table.itemSelectionChanged.connect(self._chosen)
        split.addWidget(self.table)
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.setAccessibleName("The chosen case")
        split.addWidget(self.tabs)
        split.setSizes([180, 700])
        self.empty = plain_label("Choose a case above, or open a new one.")
        self._build_pages()
        self.tabs.setEnabled(False)  # until a record is chosen
        layout.addWidget(self.empty)

    # ---- building --------------------------------------------------------------------------

    def _page(self, title: str) -> QtWidgets.QVBoxLayout:
        scroll = frameless_scroll()
        body = QtWidgets.QWidget()
        scroll.setWidget(body)
        page = QtWidgets.QVBoxLayout(body)
        page.setContentsMargins(12, 8, 12, 12)
        self.tabs.addTab(scroll, title)
        return page

    def _build_pages(self) -> None:
        page = self._page("&Summary")
        self.heading = heading("", 2)
        page.addWidget(self.heading)
        self.details = plain_label("", wrap=False, selectable=True)
        self.details.setAccessibleName("Case details")
        page.addWidget(self.details)
        self.title_warning = plain_label("")
        theme.style(self.title_warning, "color: {danger}; font-weight: bold;")
        page.addWidget(self.title_warning)
        buttons = QtWidgets.QHBoxLayout()
        self.edit_button = QtWidgets.QPushButton("&Edit case…")
        self.edit_button.setToolTip("Its title, source, types of exploitation, lead agency, notes and stage")
        self.edit_button.clicked.connect(self.open_edit_dialog)
        self.edit_button.setVisible(self.manage)
        buttons.addWidget(self.edit_button)
        self.print_button = QtWidgets.QPushButton("&Print case summary…")
        self.print_button.clicked.connect(lambda: self.print_report("case"))
        buttons.addWidget(self.print_button)
        buttons.addStretch(1)
        page.addLayout(buttons)
        page.addWidget(heading("Tactical response process (Appendix 2a)", 2))
        self.history = table(("When", "From", "To", "Why", "By"), "Stage history")
        page.addWidget(self.history)
        self.stage_form = Form("Move to another stage", core.LABELS, "Forward, or back to revisit a stage; say why.",
                               "&Move")
        self.stage_form.add("stage", "Stage", combo([("", "Choose…"), *((k, v[0]) for k, v in core.stages().items())],
                                                    "Stage"))
        self.stage_form.add("reason", "Why", TextBox(2))
        self.stage_form.button.clicked.connect(self.move_stage)
        page.addWidget(self.stage_form)
        self.close_form = Form("Close after the review and debrief", core.LABELS, "Write down what we learnt.",
                               "&Close case")
        self.close_form.add("lessons", "What we learnt", TextBox(3))
        self.close_form.button.clicked.connect(self.close_case)
        page.addWidget(self.close_form)
        self.reopen_form = Form("Reopen the case", core.LABELS, button="&Reopen")
        self.reopen_form.add("reason", "Why", TextBox(2))
        self.reopen_form.button.clicked.connect(self.reopen_case)
        page.addWidget(self.reopen_form)
        page.addStretch(1)

        page = self._page("&Requests and meetings")
        page.addWidget(heading("Requests", 2))
        self.requests = table(("Reference", "Date", "Status", "Linked"), "Linked requests")
        page.addWidget(self.requests)
        unlink_row = QtWidgets.QHBoxLayout()
        self.unlink_button = QtWidgets.QPushButton("&Unlink the chosen request…")
        self.unlink_button.setToolTip("The request stays as it is; only its link to this case is removed")
        self.unlink_button.clicked.connect(self.confirm_unlink)
        self.unlink_button.setVisible(self.manage)
        unlink_row.addWidget(self.unlink_button)
        self.unlink_note = plain_label("")
        self.unlink_note.setAccessibleName("Unlink result")
        unlink_row.addWidget(self.unlink_note, 1)
        page.addLayout(unlink_row)
        self.request_form = Form("Link a request", core.LABELS, button="&Link request")
        self.request_form.add("request", "Request reference", LineBox(), "For example MSR-2026-0001", width=240)
        self.request_form.button.clicked.connect(self.link_request)
        page.addWidget(self.request_form)
        page.addWidget(heading("Tactical meetings", 2))
        self.meetings = table(("Meeting", "Date and time (UK)", "Status"), "Meetings")
        page.addWidget(self.meetings)
        self.agenda_form = Form("Put on a meeting's agenda", core.LABELS, button="Put on the &agenda")
        self.agenda_form.add("meeting", "Meeting reference", LineBox(), "For example TM-2026-0001", width=240)
        self.agenda_form.add("notes", "Notes for the meeting", TextBox(2))
        self.agenda_form.button.clicked.connect(self.put_on_agenda)
        page.addWidget(self.agenda_form)
        page.addWidget(heading("Actions (Pursue, Prevent, Protect, Prepare)", 2))
        self.actions = table(("Action", "4P", "Owner", "Due", "Status", "Meeting"), "Actions")
        page.addWidget(self.actions)
        page.addStretch(1)

        page = self._page("Re&ferrals")
        self.outstanding = plain_label("")
        self.outstanding.setAccessibleName("Outstanding on this case")
        page.addWidget(self.outstanding)
        self.referrals = table(("Referral to", "Person", "Referred", "First responder", "Consent", "Outcome",
                                "Awaited"), "Referrals")
        page.addWidget(self.referrals)
        self.referral_form = Form("Record a referral", core.LABELS, "The NRM needs a child, or an adult who "
                                  "consents; for an adult who does not consent, record the duty to notify (MS1).",
                                  "Save &referral")
        self.referral_form.add("kind", "Referral to", combo([("", "Choose…"), *core.REFERRALS.items()], "Referral to"))
        self.referral_form.add("subject_id", "Person referred", combo([("", "None")], "Person referred"),
                               "A person on one of the case's requests")
        self.referral_form.add("referred_on", "Date of referral", DateField())
        self.referral_form.add("first_responder", "First responder", LineBox(),
                               "NRM: the first responder organisation that made the referral")
        self.referral_form.add("consent", "Consent", combo([("", "Choose…"), *core.CONSENT.items()], "Consent"))
        self.referral_form.add("external_ref", "Their reference", LineBox(), width=300)
        self.referral_form.button.clicked.connect(self.add_referral)
        page.addWidget(self.referral_form)
        self.outcome_form = Form("Record the outcome of the chosen referral", core.LABELS,
                                 "NRM: the reasonable grounds decision, then the conclusive grounds decision. Others: "
                                 "the outcome and its date.", "Save &outcome")
        decisions = [("", "Not yet"), *core.DECISIONS.items()]
        self.outcome_form.add("rg_decision", "Reasonable grounds decision", combo(decisions, "Reasonable grounds"))
        self.outcome_form.add("rg_on", "Date of the reasonable grounds decision", DateField())
        self.outcome_form.add("cg_decision", "Conclusive grounds decision", combo(decisions, "Conclusive grounds"))
        self.outcome_form.add("cg_on", "Date of the conclusive grounds decision", DateField())
        self.outcome_form.add("outcome", "Outcome", LineBox())
        self.outcome_form.add("outcome_on", "Date of the outcome", DateField())
        self.outcome_form.button.clicked.connect(self.record_outcome)
        page.addWidget(self.outcome_form)
        page.addStretch(1)

        map_page = QtWidgets.QWidget()
        mv = QtWidgets.QVBoxLayout(map_page)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(hint_label("Clause 4.3(4): people, locations, businesses and vehicles of the case and how they "
                                 "are linked, with the record each link came from."), 1)
        self.print_map_button = QtWidgets.QPushButton("Print &map…")
        self.print_map_button.clicked.connect(lambda: self.print_report("relationship-map"))
        row.addWidget(self.print_map_button)
        mv.addLayout(row)
        self.map = RelationshipMap()
        self.map.subject_activated.connect(self.open_subject.emit)
        mv.addWidget(self.map, 1)
        self.tabs.addTab(map_page, "Relationship m&ap")
        self.tabs.currentChanged.connect(self._tab_changed)
        for form in (self.stage_form, self.close_form, self.reopen_form, self.request_form, self.agenda_form,
                     self.referral_form, self.outcome_form):
            form.setVisible(self.manage)

    # ---- the list --------------------------------------------------------------------------

    def sort_by(self, column: int) -> None:
        key = SORT_BY_COLUMN.get(column)
        if key is None:
            return
        self.descending = not self.descending if key == self.sort else False
        self.sort = key
        self.table.horizontalHeader().setSortIndicatorShown(True)
        self.table.horizontalHeader().setSortIndicator(
            column, Qt.SortOrder.DescendingOrder if self.descending else Qt.SortOrder.AscendingOrder)
        self.refresh()

    def refresh(self) -> None:
        vault = self.session.vault
        items = core.list_cases(vault, stage=self.stage_filter.currentData() or None,
                                lead=self.lead_filter.currentData() or None,
                                exploitation=self.type_filter.currentData() or None,
                                status=self.status_filter.currentData() or None, sort=self.sort,
                                descending=self.descending)
        self.table.blockSignals(True)
        fill(self.table, [(c.reference, c.title, c.stage_label, load_agreement().partner_name(c.lead_agency),
                           str(c.requests), str(c.outstanding), uk_time(c.updated_at)) for c in items],
             [c.id for c in items], max_height=150)
        self.table.blockSignals(False)
        self.count.setText(f"{len(items)} case{'s' if len(items) != 1 else ''}")
        if self.current is not None:
            self.load(self.current.id, audit=False)

    def _chosen(self) -> None:
        case_id = selected_key(self.table)
        if not case_id:
            return
        if self.current is not None and case_id != self.current.id and self.has_unsaved_changes():
            # Typing under one case must never carry over to, or be lost by opening, another.
            if open_question(self) is not None:
                return
            previous = self.current.id

            def go() -> None:
                self.discard_changes()
                self.notice.hide()
                self.load(case_id)

            def keep() -> None:
                self.table.blockSignals(True)
                try:
                    self.select(previous)
                finally:
                    self.table.blockSignals(False)

            ask_discard(self, True, go, keep)
            return
        if self.current is None or case_id != self.current.id:
            self.notice.hide()   # a confirmation belongs to the case it was about
        self.load(case_id)

    # ---- unsaved work (ui/kit/guard.py) ----------------------------------------------------

    def _case_forms(self) -> list[Form]:
        return [f for f in (getattr(self, n, None) for n in ("stage_form", "close_form", "reopen_form", "request_form",
                                                              "agenda_form", "referral_form", "outcome_form"))
                if f is not None]

    def has_unsaved_changes(self) -> bool:
        """Anything typed into the case page's forms (a stage move's why, a referral, ...)."""
        for form in self._case_forms():
            for field in form.inputs.values():
                if isinstance(field, QtWidgets.QLineEdit) and not isinstance(field, DateField) \
                        and field.text().strip():
                    return True
                if isinstance(field, QtWidgets.QPlainTextEdit) and field.toPlainText().strip():
                    return True
        return False

    def discard_changes(self) -> None:
        for form in self._case_forms():
            form.clear()

    def select(self, case_id: str) -> None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == case_id:
                self.table.selectRow(row)
                return
        self.load(case_id)

    # ---- the case's page -------------------------------------------------------------------

    def load(self, case_id: str, *, audit: bool = True) -> None:
        vault = self.session.vault
        case = self.current = core.get_case(vault, case_id, audit=audit)
        self.empty.setVisible(False)
        self.tabs.setEnabled(True)
        self.heading.setText(f"{case.reference}: {case.title}")
        self.details.setText("\n".join([
            f"Status: {core.STATUS_LABELS[case.status]} · Stage: {case.stage_label}",
            f"Information from: {case.source_label}" + (f" — {case.source_detail}" if case.source_detail else ""),
            f"Information came in: {core.uk_date(case.received_on) or 'not given'}",
            f"Types of exploitation: {', '.join(case.exploitation_names) or 'not given'}",
            f"Lead agency: {case.lead_name}",
            f"Internal notes (this desk only): {case.internal_notes or 'none'}",
        ] + ([f"What we learnt: {case.lessons}"] if case.lessons else [])))
        self.title_warning.setText(core.title_warning(vault, case) or "")
        self.title_warning.setVisible(bool(self.title_warning.text()))
        fill(self.history, [(uk_time(h.at), core.stage_label(h.from_stage) if h.from_stage else "",
                             core.stage_label(h.to_stage) + (" (revisited)" if h.revisit else ""), h.reason,
                             h.recorded_by) for h in case.history], [h.id for h in case.history])
        fill(self.requests, [(r.reference, core.uk_date(r.request_date), r.status.capitalize(),
                              uk_time(r.linked_at)) for r in case.requests], [r.id for r in case.requests])
        fill(self.meetings, [(m.reference, uk_time(m.held_at), m.status.capitalize()) for m in case.meetings],
             [m.id for m in case.meetings])
        four_p = {p.id: p.name for p in load_agreement().four_p}
        fill(self.actions, [(a.text, four_p.get(a.category, a.category), a.owner_agency,
                             core.uk_date(a.due_date) + (" OVERDUE" if a.is_overdue() else ""), a.status.capitalize(),
                             a.meeting_reference) for a in case.actions], [a.id for a in case.actions])
        fill(self.referrals, [(r.kind_label, r.subject_name or "", core.uk_date(r.referred_on), r.first_responder,
                               core.CONSENT.get(r.consent, ""), r.outcome_text, r.outstanding or "")
                              for r in case.referrals], [r.id for r in case.referrals])
        waiting = core.outstanding(vault, case_id=case.id)
        self.outstanding.setText("Outstanding: " + ("; ".join(o.what + (" — OVERDUE" if o.overdue else "")
                                                              for o in waiting) if waiting else "nothing."))
        people = self.referral_form.inputs["subject_id"]
        people.clear()
        people.addItem("None", "")
        for subject_id, name in self._people(case):
            people.addItem(name, subject_id)
        closed = case.status == "closed"
        if self.manage:
            for form in (self.stage_form, self.request_form, self.agenda_form, self.referral_form, self.outcome_form):
                form.setVisible(not closed)
            self.edit_button.setEnabled(not closed)
            self.unlink_button.setEnabled(not closed)
            self.close_form.setVisible(not closed and case.stage == "review")
            self.reopen_form.setVisible(closed)
        self._map_stale = True
        if self.tabs.currentIndex() == self.tabs.count() - 1:
            self._load_map()

    def _people(self, case) -> list[tuple[str, str]]:
        from app import subjects

        seen: dict[str, str] = {}
        for request in case.requests:
            for subject in subjects.subjects_of_request(self.session.vault, request.id):
                if subject.kind == "person":
                    seen.setdefault(subject.id, subject.name)
        return list(seen.items())

    def _tab_changed(self, index: int) -> None:
        if index == self.tabs.count() - 1 and self.current is not None and getattr(self, "_map_stale", True):
            self._load_map()

    def _load_map(self) -> None:
        self._map_stale = False
        self.map.show_graph(lk.map_graph(self.session.vault, "case", self.current.id))

    def breach_context(self) -> dict | None:
        if self.current is None:
            return None
        return {"request_ids": [r.id for r in self.current.requests]}

    # ---- saving ----------------------------------------------------------------------------

    def _run(self, form: Form, call, fallback: str, said: str = "Saved.") -> bool:
        try:
            case = call()
        except Invalid as exc:
            form.show_problems(exc.problems)
            return False
        except SpocError as exc:
            form.show_problems([("", error_text(exc, fallback))])
            return False
        form.clear()
        self.changed.emit()
        self.current = case if isinstance(case, core.Case) else self.current
        self.refresh()
        announce(self.notice, f"{self.current.reference}: {said}" if self.current is not None else said)
        return True

    def move_stage(self):
        values = self.stage_form.values()
        return self._run(self.stage_form, lambda: core.move_stage(self.session.vault, self.current.id,
                                                                  values["stage"], values["reason"]),
                         "The stage was not changed.", "moved to another stage.")

    def close_case(self):
        lessons = self.close_form.value("lessons")
        return self._run(self.close_form, lambda: core.close_case(self.session.vault, self.current.id, lessons),
                         "The case was not closed.", "closed.")

    def reopen_case(self):
        reason = self.reopen_form.value("reason")
        return self._run(self.reopen_form, lambda: core.reopen_case(self.session.vault, self.current.id, reason),
                         "The case was not reopened.", "reopened.")

    def link_request(self):
        ref = self.request_form.value("request")
        return self._run(self.request_form, lambda: core.link_request(self.session.vault, self.current.id, ref),
                         "The request was not linked.", f"{ref.strip()} linked.")

    def put_on_agenda(self):
        values = self.agenda_form.values()
        if not values["meeting"].strip():
            self.agenda_form.show_problems([("meeting", "Enter the meeting's reference")])
            return False

        def call():
            core.put_on_agenda(self.session.vault, self.current.id, values["meeting"].strip(), values["notes"])
            return core.get_case(self.session.vault, self.current.id, audit=False)

        return self._run(self.agenda_form, call, "The case was not put on the agenda.",
                         f"put on the agenda of {values['meeting'].strip()}.")

    def add_referral(self):
        values = self.referral_form.values()

        def call():
            core.add_referral(self.session.vault, self.current.id, values)
            return core.get_case(self.session.vault, self.current.id, audit=False)

        return self._run(self.referral_form, call, "The referral was not saved.", "referral saved.")

    def record_outcome(self):
        referral_id = selected_key(self.referrals)
        if not referral_id:
            self.outcome_form.show_problems([("", "Choose the referral in the table above first")])
            return False
        values = {k: v for k, v in self.outcome_form.values().items() if v}

        def call():
            core.record_outcome(self.session.vault, referral_id, values)
            return core.get_case(self.session.vault, self.current.id, audit=False)

        return self._run(self.outcome_form, call, "The outcome was not recorded.", "outcome recorded.")

    def print_report(self, kind: str):
        if self.current is not None:
            return show_report(self, self.session, kind, self.current.reference)
        return None

    def open_edit_dialog(self) -> EditCaseDialog | None:
        if self.current is None:
            return None
        self.dialog = EditCaseDialog(self.session, self.current, self)
        self.dialog.saved.connect(self._edited)
        self.dialog.open()
        return self.dialog

    def _edited(self, case) -> None:
        self.changed.emit()
        self.current = case
        self.refresh()
        announce(self.notice, f"{case.reference}: changes saved.")

    def confirm_unlink(self):
        """Ask first; Cancel (the default) changes nothing. The unlink is audited by app.cases."""
        from ui.kit.dialogs import question_box

        request_id = selected_key(self.requests)
        if self.current is None:
            return None
        if not request_id:
            self.status_note("Choose the request to unlink in the table above first.")
            return None
        reference = next(r.reference for r in self.current.requests if r.id == request_id)
        case_id = self.current.id
        box = question_box(self, "Unlink the request", f"Unlink {reference} from {self.current.reference}? The "
                           "request itself is not changed; its link to this case is removed and the audit trail "
                           "records it.", "&Unlink")
        self.dialog = box

        def finished(_result) -> None:
            if box.clickedButton() is not box.accept_button:
                return
            try:
                self.current = core.unlink_request(self.session.vault, case_id, request_id)
            except SpocError as exc:
                self.status_note(error_text(exc, "The request was not unlinked."))
                return
            self.changed.emit()
            self.refresh()
            self.status_note(f"{reference} is no longer linked to {self.current.reference}.")

        box.finished.connect(finished)
        box.open()
        return box

    def status_note(self, text: str) -> None:
        self.unlink_note.setText(text)

    def open_new_dialog(self) -> NewCaseDialog:
        self.dialog = NewCaseDialog(self.session, self)
        self.dialog.saved.connect(self._created)
        self.dialog.open()
        return self.dialog

    def _created(self, case) -> None:
        self.changed.emit()
        self.status_filter.setCurrentIndex(0)
        self.current = case
        self.refresh()
        self.select(case.id)
        announce(self.notice, f"Case {case.reference} saved.")
